"""kg.build_manifest: a rebuild loads only the inputs that changed, and gives the store a full build gives."""
from __future__ import annotations

import shutil

import pyoxigraph as ox
import pytest

from kg.build import build
from kg.build_manifest import MANIFEST, read_manifest
from kg.errors import CardError, SnapshotError
from kg.export import FORMATS, export_store
from kg.stores.oxigraph import current_generation, open_store

from .conftest import DATA


def _quads(store) -> set[str]:
    return {str(q) for q in ox.parse(export_store(open_store(store), FORMATS["nq"]), format=ox.RdfFormat.N_QUADS)}


@pytest.fixture
def data(tmp_path):
    """A copy of the seeds' data folder (cards and snapshots) to edit."""
    shutil.copytree(DATA, tmp_path / "data")
    return tmp_path / "data"


def _edit(card, old: str, new: str) -> None:
    text = card.read_text(encoding="utf-8")
    assert old in text
    card.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_nothing_changed_leaves_the_store_as_it_was(tmp_path, data):
    store = tmp_path / "store"
    first = build([data], store=store)
    assert first.reloaded is None and (current_generation(store) / MANIFEST).is_file()
    generation = current_generation(store)
    again = build([data], store=store)
    assert again.unchanged and again.reloaded == 0 and current_generation(store) == generation
    assert [p.key for p in again.policies] == [p.key for p in first.policies]
    assert [p.triple_count for p in again.policies] == [p.triple_count for p in first.policies]


def test_one_changed_card_is_reloaded_and_the_store_equals_a_full_build(tmp_path, data):
    store, full = tmp_path / "store", tmp_path / "full"
    build([data], store=store)
    card = data / "policies" / "whiteprovider" / "2024-05-19.yaml"
    card.write_text(card.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")   # same graph, other bytes
    result = build([data], store=store)
    assert result.reloaded == 1 and not result.unchanged
    build([data], store=full, incremental=False)
    assert _quads(store) == _quads(full)


def test_a_changed_statement_replaces_the_policys_graph(tmp_path, data):
    store, full = tmp_path / "store", tmp_path / "full"
    build([data], store=store)
    before = _quads(store)
    card = data / "policies" / "whiteprovider" / "2024-05-19.yaml"
    _edit(card, "dpv:DirectMarketing", "dpv:Advertising")
    assert build([data], store=store).reloaded == 1
    after = _quads(store)
    assert after != before and any("Advertising" in q for q in after - before)
    build([data], store=full, incremental=False)
    assert after == _quads(full)


def test_a_removed_input_drops_its_graph(tmp_path, data):
    store = tmp_path / "store"
    build([data], store=store)
    shutil.rmtree(data / "policies" / "planethoster")
    result = build([data], store=store)
    assert result.reloaded == 0 and [p.key for p in result.policies] == ["whiteprovider@2024-05-19"]
    assert not any("planethoster" in q for q in _quads(store))


def test_a_changed_snapshot_reloads_its_card(tmp_path, data):
    """The card pins its snapshot's SHA-256: the rebuild loads the card again, which says so."""
    store = tmp_path / "store"
    build([data], store=store)
    before = _quads(store)
    snapshot = next((data / "sources" / "whiteprovider").glob("*.txt"))
    snapshot.write_text(snapshot.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    with pytest.raises(SnapshotError):
        build([data], store=store)
    assert _quads(store) == before


def test_a_failed_rebuild_leaves_the_store_as_it_was(tmp_path, data):
    store = tmp_path / "store"
    build([data], store=store)
    before, generation = _quads(store), current_generation(store)
    card = data / "policies" / "whiteprovider" / "2024-05-19.yaml"
    card.write_text(card.read_text(encoding="utf-8") + "\nthis is: [not yaml\n", encoding="utf-8")
    with pytest.raises(CardError):
        build([data], store=store)
    assert _quads(store) == before and current_generation(store) == generation
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("store.gen-")] == [generation.name]


def test_a_new_input_that_repeats_a_kept_policy_is_refused(tmp_path, data):
    store = tmp_path / "store"
    build([data], store=store)
    shutil.copy(data / "policies" / "whiteprovider" / "2024-05-19.yaml", data / "policies" / "copy.yaml")
    with pytest.raises(CardError) as exc:
        build([data], store=store)
    assert exc.value.id == "duplicate-policy"


def test_other_code_or_vocabulary_means_a_full_build(tmp_path, data):
    """The manifest's key changes with the mapping's code and the vocabulary: then everything is loaded."""
    import json
    store = tmp_path / "store"
    build([data], store=store)
    manifest = current_generation(store) / MANIFEST
    doc = json.loads(manifest.read_text(encoding="utf-8"))
    doc["key"] = "0" * 64
    manifest.write_text(json.dumps(doc), encoding="utf-8")
    assert read_manifest(current_generation(store)).key == "0" * 64
    assert build([data], store=store).reloaded is None
    assert build([data], store=store, incremental=False).reloaded is None


def test_cli_says_what_it_did(tmp_path, data):
    from typer.testing import CliRunner

    from kg.cli.main import app
    runner = CliRunner()
    store = str(tmp_path / "store")
    assert "built" in runner.invoke(app, ["build", str(data), "--store", store]).output
    out = runner.invoke(app, ["build", str(data), "--store", store]).output
    assert "is up to date" in out and "nothing changed" in out
    out = runner.invoke(app, ["build", str(data), "--store", store, "--full"]).output
    assert "built" in out and "loaded again" not in out


# --- issue 19: the card lines of a stored policy's findings ----------------------------------------------------

def _placed(report) -> set[tuple]:
    from pathlib import Path
    return {(f.shape, f.focus, f.value, str(Path(f.where.file).resolve()) if f.where else None,
             f.where.line if f.where else None) for f in report.findings}


def _card(data, slug: str):
    return next((data / "policies" / slug).glob("*.yaml"))


def test_stored_policies_give_the_card_lines_of_their_findings(tmp_path, data, monkeypatch):
    """Before: a finding on `policykg validate SLUG` had no file:line; now the same as on the card."""
    from kg.validate import validate_paths, validate_store
    store = tmp_path / "store"
    build([data], store=store)
    for slug in ("whiteprovider", "planethoster"):
        card = validate_paths([_card(data, slug)], profiles=["gdpr"]).reports[0]
        stored = validate_store(store, [slug], profiles=["gdpr"], cache=False).reports[0]
        assert _placed(stored) == _placed(card)
        assert sum(1 for f in stored.findings if f.where) >= 10
    monkeypatch.chdir(tmp_path)   # shown relative to the working folder, also when read back from the cache
    first = validate_store(store, ["whiteprovider"], profiles=["gdpr"]).reports[0]
    kept = validate_store(store, ["whiteprovider"], profiles=["gdpr"]).reports[0]
    assert {f.where.file for f in first.findings if f.where} == {"data/policies/whiteprovider/2024-05-19.yaml"}
    assert _placed(kept) == _placed(first)


def test_card_lines_survive_a_rebuild_that_keeps_the_policy(tmp_path, data):
    from kg.build_manifest import LOCATIONS
    from kg.validate import validate_store
    store = tmp_path / "store"
    build([data], store=store)
    before = validate_store(store, ["planethoster"], profiles=["gdpr"], cache=False).reports[0]
    _edit(_card(data, "whiteprovider"), "title: ", "title: Nouveau ")
    again = build([data], store=store)
    assert again.reloaded == 1
    after = validate_store(store, ["planethoster"], profiles=["gdpr"], cache=False).reports[0]
    assert _placed(after) == _placed(before) and any(f.where for f in after.findings)
    assert len(list((current_generation(store) / LOCATIONS).iterdir())) == 2


def test_card_lines_from_validation_workers(tmp_path, data, monkeypatch):
    from kg.validate import run as run_module
    from kg.validate import validate_store
    store = tmp_path / "store"
    build([data], store=store)
    serial = validate_store(store, None, profiles=["gdpr"], cache=False, workers=1).reports
    monkeypatch.setattr(run_module, "_PARALLEL_MIN_POLICIES", 1)
    parallel = validate_store(store, None, profiles=["gdpr"], cache=False, workers=2).reports
    assert [_placed(r) for r in parallel] == [_placed(r) for r in serial]
    assert all(any(f.where for f in r.findings) for r in parallel)


def test_cli_validate_of_a_stored_policy_shows_the_card_line(built_store):
    from typer.testing import CliRunner

    from kg.cli.main import app
    result = CliRunner().invoke(app, ["validate", "whiteprovider", "--store", str(built_store[0]), "--profile",
                                      "gdpr", "--no-cache"])
    assert result.exit_code == 1, result.output
    assert "at data/policies/whiteprovider/2024-05-19.yaml:185" in result.stdout


def test_term_keys_match_terms_from_a_card_and_from_the_store():
    from rdflib import Literal, URIRef
    from rdflib.namespace import XSD

    from kg.build_manifest import term_key
    assert term_key(Literal("x")) == term_key(Literal("x", datatype=XSD.string)) == '"x"'
    assert term_key(Literal("P2Y", datatype=XSD.duration)) == '"P2Y"^^<http://www.w3.org/2001/XMLSchema#duration>'
    assert term_key(Literal("oui", lang="FR")) == '"oui"@fr' and term_key(URIRef("urn:a")) == "<urn:a>"
    assert term_key(None) == ""


def test_card_locations_written_by_the_build_are_those_of_the_rdflib_terms():
    """The build writes a card's locations from the policy model (build_manifest.policy_locations_bytes): the very
    bytes kg.sources.card_locations' rdflib terms give, for every card the tests ship that loads."""
    import zlib

    from kg.build_manifest import locations_bytes, policy_locations_bytes
    from kg.errors import KgError
    from kg.load import load_card
    from kg.mapping import graph_iri
    from kg.sources import card_locations
    from kg.vocab import load_vocabulary

    from .conftest import ROOT
    vocabulary = load_vocabulary()
    checked = 0
    for card in sorted((DATA / "policies").rglob("*.yaml")) + sorted((ROOT / "tests" / "fixtures").rglob("*.yaml")):
        try:
            policy = load_card(card, vocabulary=vocabulary)
        except KgError:
            continue
        iri = str(graph_iri(policy))
        expected = locations_bytes(policy.card_path, card_locations(policy, iri))
        assert zlib.decompress(policy_locations_bytes(policy, iri)) == zlib.decompress(expected), card
        checked += 1
    assert checked >= 5
