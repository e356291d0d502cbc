"""Docs are tested: generated pages are up to date; every error id has a heading in docs/errors.md."""
from __future__ import annotations

import re

from kg.docs import main as docs_main

from .conftest import ROOT


def test_generated_pages_are_up_to_date():
    assert docs_main(["--check"]) == 0, "run: python -m kg.docs"


def test_every_error_id_is_documented():
    ids = set()
    for path in (ROOT / "kg").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        ids |= set(re.findall(r'error_id="([a-z0-9-]+)"', text))
        ids |= set(re.findall(r'^\s+id = "([a-z0-9-]+)"', text, flags=re.M))
    ids -= {"error", "warning"}
    headings = set(re.findall(r"^### PKG-[EW]\d{3} ([a-z0-9-]+)", (ROOT / "docs" / "errors.md").read_text(encoding="utf-8"), flags=re.M))
    assert not ids - headings, sorted(ids - headings)


def test_readme_quickstart_is_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Quickstart", 1)[1].split("```", 2)[1].strip().splitlines()
    assert block == ["pip install -e . && policykg build", "pip install -e '.[test]' && pytest"]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -q -e '.[test]' && pytest" in ci
