"""queries/transfers-outside-jurisdiction.rq: the jurisdiction from the notice, or else from the controller's
location; when neither is stated, the locations with why no jurisdiction could be decided (issue 19)."""
from __future__ import annotations

from kg.build import build
from kg.queries import load_query, run_query
from kg.stores import EmbeddedStore

from .conftest import FIXTURES


def _rows(tmp_path, name: str) -> list[dict]:
    build([FIXTURES / "transfers" / f"{name}.ttl"], store=tmp_path / "store")
    result = run_query(EmbeddedStore(tmp_path / "store"), load_query("transfers-outside-jurisdiction"), {})
    return [{c: (v.value if v is not None else None) for c, v in zip(result.columns, row)} for row in result.rows]


def test_the_jurisdiction_comes_from_the_controllers_location(tmp_path):
    rows = _rows(tmp_path, "derived")
    assert rows and {r["jurisdictionFrom"] for r in rows} == {"controller's location"}
    assert {r["location"].rsplit("#", 1)[-1] for r in rows} == {"US"}     # DE is in the Union with FR
    assert {r["jurisdiction"].rsplit("#", 1)[-1] for r in rows} == {"FR"}


def test_without_a_jurisdiction_or_a_controller_location_it_says_why(tmp_path):
    rows = _rows(tmp_path, "unknown")
    assert rows and all(r["jurisdiction"] is None and r["outsideOf"] is None for r in rows)
    assert all(r["jurisdictionFrom"] and "controller" in r["jurisdictionFrom"] for r in rows)
