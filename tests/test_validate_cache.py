"""kg.validate.cache: a store's policies validated before with the same graph, shapes, options and date are not
validated again, and give the same reports."""
from __future__ import annotations

import shutil

import pytest

from kg.build import build
from kg.validate import run as validation
from kg.validate.run import validate_store

from .conftest import DATA


@pytest.fixture
def store(tmp_path):
    shutil.copytree(DATA, tmp_path / "data")
    build([tmp_path / "data"], store=tmp_path / "store")
    return tmp_path / "store"


def _findings(run) -> list:
    return [(r.policy, [(f.shape, f.severity, f.focus, f.message["en"], f.quote) for f in r.findings]) for r in run.reports]


def _validated(monkeypatch) -> list[str]:
    """The keys of the policies validated (not taken from the cache) from now on."""
    seen: list[str] = []
    real = validation._validate_stored

    def counting(store, key, *args, **kwargs):
        seen.append(key)
        return real(store, key, *args, **kwargs)
    monkeypatch.setattr(validation, "_validate_stored", counting)
    return seen


def test_a_second_run_takes_every_report_from_the_cache(store, monkeypatch):
    first = validate_store(store, None, workers=1, as_of="2026-12-01")
    seen = _validated(monkeypatch)
    second = validate_store(store, None, workers=1, as_of="2026-12-01")
    assert seen == [] and _findings(second) == _findings(first)
    assert len(list((store.parent / "store.reports").iterdir())) == 1   # one run key


def test_what_changed_is_validated_again(store, monkeypatch):
    validate_store(store, None, workers=1, as_of="2026-12-01")
    card = store.parent / "data" / "policies" / "whiteprovider" / "2024-05-19.yaml"
    card.write_text(card.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    build([store.parent / "data"], store=store)
    seen = _validated(monkeypatch)
    validate_store(store, None, workers=1, as_of="2026-12-01")
    assert seen == ["whiteprovider@2024-05-19"]
    seen.clear()
    validate_store(store, None, workers=1, as_of="2026-12-02")                 # another day: another run
    validate_store(store, None, workers=1, as_of="2026-12-01", profiles=["gdpr"])  # other profiles
    validate_store(store, None, workers=1, as_of="2026-12-01", cache=False)
    assert len(seen) == 6


def test_a_damaged_cache_file_is_a_miss(store, monkeypatch):
    first = validate_store(store, None, workers=1, as_of="2026-12-01")
    for path in (store.parent / "store.reports").rglob("*.pickle"):
        path.write_bytes(b"not a report")
    seen = _validated(monkeypatch)
    again = validate_store(store, None, workers=1, as_of="2026-12-01")
    assert len(seen) == 2 and _findings(again) == _findings(first)


def test_the_cli_has_no_cache_option(store):
    from typer.testing import CliRunner

    from kg.cli.main import app
    runner = CliRunner()
    args = ["validate", "whiteprovider", "--store", str(store), "--as-of", "2026-12-01", "--format", "json"]
    first = runner.invoke(app, args)
    second = runner.invoke(app, args)
    third = runner.invoke(app, [*args, "--no-cache"])
    assert first.exit_code == second.exit_code == third.exit_code
    strip = lambda out: [line for line in out.splitlines() if '"seconds"' not in line]  # noqa: E731
    assert strip(first.output) == strip(second.output) == strip(third.output)


def test_a_reports_graph_is_read_back_only_when_asked(store):
    """A kept (or worker's) report carries its sh:ValidationReport graph as bytes until it is read."""
    import pickle

    from rdflib.compare import isomorphic
    report = validate_store(store, ["planethoster"], workers=1, as_of="2026-12-01", cache=False).reports[0]
    back = pickle.loads(pickle.dumps(report))
    assert "graph" not in back.__dict__ and back.findings == report.findings
    assert isomorphic(back.graph, report.graph) and "graph" in back.__dict__
