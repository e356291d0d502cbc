"""The benchmark scripts (benchmarks/), run on 20 policies so that they cannot rot. No timing is asserted:
the figures are the business of benchmarks/RESULTS.md, measured by hand on a quiet machine."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.generate import DEFECTS, Manifest, generate, policy_card  # noqa: E402
from kg.errors import KgError  # noqa: E402
from kg.load import load_card  # noqa: E402


def test_generator_is_deterministic_and_prefix_stable(tmp_path):
    """Policy i is the same whatever N (and whatever run)."""
    small = generate(5, tmp_path / "a")
    generate(8, tmp_path / "b")
    for card in (tmp_path / "a" / "policies").rglob("*.yaml"):
        twin = tmp_path / "b" / card.relative_to(tmp_path / "a")
        assert twin.read_bytes() == card.read_bytes()
    assert policy_card(3) == policy_card(3)
    assert small.cards + small.load_error_cards == 5


def test_generated_cards_load_and_planted_load_errors_are_refused(tmp_path):
    manifest = generate(150, tmp_path)
    assert Manifest.read(tmp_path / "manifest.json") == manifest
    cards = sorted((tmp_path / "policies").rglob("*.yaml"))
    assert len(cards) == manifest.cards
    for card in cards:
        load_card(card)  # raises on any problem
    assert manifest.defects, "about 5 % of 150 policies carry a defect"
    for defect in manifest.load_defects:
        try:
            load_card(tmp_path / defect.card)
        except KgError as exc:
            assert exc.id == DEFECTS[defect.kind]["error_id"] == defect.error_id
        else:
            raise AssertionError(f"{defect.card} loads, but it has a planted {defect.kind}")
    for defect in manifest.validation_defects:
        assert defect.shape and defect.focus and (tmp_path / defect.card).exists()


def _has_java() -> bool:
    from kg.reason import JavaMissingError, java_executable
    try:
        java_executable()
    except JavaMissingError:
        return False
    return True


@pytest.mark.slow   # the benchmark smoke test
def test_run_all_on_20_policies(tmp_path):
    """Every benchmark script runs (through the driver) and RESULTS.md gets every section."""
    results = tmp_path / "RESULTS.md"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run_all.py"), "--sizes", "20", "--naive-max", "20", "--quick",
         "--scratch", str(tmp_path / "scratch"), "--results-dir", str(tmp_path / "results"),
         "--results", str(results)], capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = results.read_text(encoding="utf-8")
    sections = ["build", "validate", "query", "export", "soak", "extract"] + (["reason"] if _has_java() else [])
    for title in ("## Synthetic corpus", "## 1. Build", "## 2. Validate", "## 3. Query", "## 4. Export", "## 6. Soak",
                  "## 7. Extraction"):
        assert title in text
    for name in sections:
        assert (tmp_path / "results" / f"{name}.status").read_text().strip().endswith("ok"), name
    build = json.loads((tmp_path / "results" / "build.json").read_text())["results"][0]
    manifest = Manifest.read(tmp_path / "scratch" / "corpus-20" / "manifest.json")
    assert build["policykg"]["policies"] == manifest.cards + 2  # + the two seeds
    assert build["policykg"]["quads"] == build["raw"]["quads"]
    # rdflib has no RDF 1.2 triple terms: the naive pipeline writes the RDF 1.1 form of the same evidence
    assert build["naive"]["quads"] > build["policykg"]["quads"]
    assert "`policy-summary`" in text and "| 20 | ttl |" in text
