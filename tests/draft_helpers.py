"""Helpers of the draft tests (issue 17): a drafted card as the current loader takes it."""
from __future__ import annotations

import json
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
REVIEW_FIELDS = ("review", "confidence", "found_by")


def loader_takes_review_fields() -> bool:
    schema = json.loads((ROOT / "kg" / "card.schema.json").read_text(encoding="utf-8"))
    return "review" in schema["$defs"]["statement"]["properties"]


def buildable(card: Path) -> Path:
    """The card as it is when the loader accepts review/confidence/found_by (the lead adds them to the
    schema); until then, the same card with those three keys removed, and nothing else changed."""
    if loader_takes_review_fields():
        return card
    data = yaml.safe_load(card.read_text(encoding="utf-8"))

    def strip(x):
        if isinstance(x, dict):
            for k in REVIEW_FIELDS:
                x.pop(k, None)
            for v in x.values():
                strip(v)
        elif isinstance(x, list):
            for v in x:
                strip(v)
    strip(data)
    card.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return card
