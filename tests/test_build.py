"""kg.build: the embedded store, rebuilt atomically."""
from __future__ import annotations

import importlib
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kg.build import build
from kg.errors import CardError, UnknownTermError
from kg.inventory import list_policies
from kg.stores.oxigraph import open_store

from .conftest import DATA, FIXTURES


def _quads(store_path: Path) -> set:
    store = open_store(store_path)
    return {str(q) for q in store}


def test_build_seeds(built_store):
    path, result = built_store
    keys = sorted(p.key for p in result.policies)
    assert keys == ["planethoster@2015-09-01", "whiteprovider@2024-05-19"]
    infos = {p.slug: p for p in list_policies(open_store(path))}
    assert infos["whiteprovider"].statements >= 40 and infos["planethoster"].statements >= 84
    assert infos["planethoster"].processes >= 8
    assert result.vocabulary_triples > 10000


def test_store_has_vocabulary_graphs(built_store):
    from kg.inventory import vocabulary_graphs
    graphs = vocabulary_graphs(open_store(built_store[0]))
    assert graphs == ["https://w3id.org/policykg/graph/vocab"]
    store = open_store(built_store[0])
    ask = ("ASK { GRAPH <https://w3id.org/policykg/graph/vocab> { <https://w3id.org/policykg/ext#SessionCookie> "
           "<http://www.w3.org/2004/02/skos/core#broader>+ <https://w3id.org/dpv#Technology> } }")
    assert store.query(ask)  # a path from an extension term through DPV's hierarchy, in one graph


def _bad_copy(tmp_path: Path) -> Path:
    """A copy of the fixtures whose second card has an unknown term."""
    shutil.copytree(FIXTURES / "sources", tmp_path / "in" / "sources")
    (tmp_path / "in" / "policies").mkdir(parents=True)
    good = (FIXTURES / "policies" / "minimal.yaml").read_text(encoding="utf-8")
    (tmp_path / "in" / "policies" / "a.yaml").write_text(good, encoding="utf-8")
    bad = good.replace("slug: example", "slug: example-two").replace("pd:EmailAddress", "pd:EmailAdress")
    (tmp_path / "in" / "policies" / "b.yaml").write_text(bad, encoding="utf-8")
    return tmp_path / "in" / "policies"


def test_failed_build_leaves_store_unchanged(tmp_path, copy_store):
    store = copy_store(FIXTURES / "policies")      # as build([FIXTURES / "policies"]) leaves it
    before = _quads(store)
    with pytest.raises(UnknownTermError):
        build([_bad_copy(tmp_path)], store=store)
    assert _quads(store) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("store.gen-")] == [store.resolve().name]


def test_failure_while_writing_leaves_store_unchanged(copy_store):
    store = copy_store(FIXTURES / "policies")
    before = _quads(store)

    def explode(label):
        if label.startswith("store "):
            raise RuntimeError("disk full (simulated)")
    with pytest.raises(RuntimeError):
        build([DATA], store=store, progress=explode)
    assert _quads(store) == before


@pytest.mark.slow   # a real build killed in a subprocess
def test_killed_build_leaves_store_unchanged(tmp_path):
    """A build killed (SIGKILL) while it writes the new store leaves the old one intact; the next
    build cleans the half-written generation."""
    store = tmp_path / "store"
    build([FIXTURES / "policies"], store=store)
    before = _quads(store)
    script = textwrap.dedent(f"""
        import os, signal
        from kg.build import build
        def die(label):
            if label.startswith("store "):
                os.kill(os.getpid(), signal.SIGKILL)
        build([{str(DATA)!r}], store={str(store)!r}, progress=die)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert proc.returncode == -signal.SIGKILL
    gens = [p for p in tmp_path.iterdir() if p.name.startswith("store.gen-")]
    assert len(gens) == 2  # the current store and the killed build's leftover
    assert _quads(store) == before
    build([FIXTURES / "policies"], store=store)
    assert len([p for p in tmp_path.iterdir() if p.name.startswith("store.gen-")]) == 1


def test_rebuild_replaces(copy_store):
    store = copy_store(FIXTURES / "policies")
    build([DATA], store=store)
    assert sorted(p.slug for p in list_policies(open_store(store))) == ["planethoster", "whiteprovider"]


def test_duplicate_policy_rejected(tmp_path):
    shutil.copytree(FIXTURES, tmp_path / "f")
    shutil.copy(tmp_path / "f" / "policies" / "minimal.yaml", tmp_path / "f" / "policies" / "copy.yaml")
    with pytest.raises(CardError) as exc:
        build([tmp_path / "f" / "policies"], store=tmp_path / "store")
    assert exc.value.id == "duplicate-policy"


def test_rdf_policy_input(tmp_path, vocabulary):
    """A policy written directly in Turtle is accepted like a card."""
    ttl = tmp_path / "acme.ttl"
    ttl.write_text(textwrap.dedent("""
        @prefix dpv: <https://w3id.org/dpv#> . @prefix pd: <https://w3id.org/dpv/pd#> .
        @prefix dct: <http://purl.org/dc/terms/> .
        @prefix ex: <https://w3id.org/policykg/policy/acme/2025-01-01#> .
        ex:notice a dpv:PrivacyNotice ; dct:identifier "acme@2025-01-01" ; dct:title "ACME privacy"@en ;
            dpv:hasProcess ex:p1 .
        ex:p1 a dpv:Process ; dpv:hasPurpose dpv:ServiceProvision ; dpv:hasPersonalData pd:EmailAddress .
    """), encoding="utf-8")
    result = build([ttl], store=tmp_path / "store")
    assert [p.key for p in result.policies] == ["acme@2025-01-01"]
    assert result.policies[0].graph_iri == "https://w3id.org/policykg/policy/acme/2025-01-01"


def test_rdf_policy_unknown_term(tmp_path):
    ttl = tmp_path / "bad.ttl"
    ttl.write_text('@prefix dpv: <https://w3id.org/dpv#> . <urn:x> a dpv:PrivacyNotice ; dpv:hasPurpose dpv:Marketting .\n')
    with pytest.raises(UnknownTermError) as exc:
        build([ttl], store=tmp_path / "store")
    assert "dpv:Marketing" in exc.value.fix


def test_rdf_syntax_error_has_line(tmp_path):
    from kg.errors import RdfSyntaxError
    ttl = tmp_path / "broken.ttl"
    ttl.write_text("@prefix dpv: <https://w3id.org/dpv#> .\n\n<urn:x> a dpv:PrivacyNotice ;\n  dpv:hasPurpose .\n")
    with pytest.raises(RdfSyntaxError) as exc:
        build([ttl], store=tmp_path / "store")
    assert exc.value.where.line == 4


def test_jsonld_policy_with_the_project_context_loads_offline(tmp_path):
    """A JSON-LD policy that names the project's context IRI is read with the shipped context; any
    other remote context is refused (no network at parse time)."""
    import json

    from kg.errors import RdfSyntaxError
    doc = {"@context": "https://w3id.org/policykg/context.jsonld",
           "@id": "https://w3id.org/policykg/policy/acme/2025-01-01#notice", "@type": "dpv:PrivacyNotice",
           "dct:identifier": "acme@2025-01-01",
           "dpv:hasProcess": {"@id": "https://w3id.org/policykg/policy/acme/2025-01-01#p1", "@type": "dpv:Process",
                              "dpv:hasPurpose": "dpv:ServiceProvision"}}
    path = tmp_path / "acme.jsonld"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = build([path], store=tmp_path / "store")
    assert [p.key for p in result.policies] == ["acme@2025-01-01"]
    doc["@context"] = "https://example.org/context.jsonld"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(RdfSyntaxError) as exc:
        build([path], store=tmp_path / "store2")
    assert exc.value.id == "remote-context"


def _synthetic_corpus(root: Path, n: int):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from benchmarks.generate import generate
    return generate(n, root)


@pytest.mark.slow   # a synthetic corpus built twice
def test_parallel_build_matches_serial_build(tmp_path):
    """Enough cards to load them in worker processes: the store holds the same quads as a serial build."""
    build_module = importlib.import_module("kg.build")
    manifest = _synthetic_corpus(tmp_path / "corpus", 80)
    parallel = build([tmp_path / "corpus" / "policies"], store=tmp_path / "parallel")
    assert len(parallel.policies) == manifest.cards >= build_module._PARALLEL_MIN_CARDS
    minimum = build_module._PARALLEL_MIN_CARDS
    try:
        build_module._PARALLEL_MIN_CARDS = 10**9
        serial = build([tmp_path / "corpus" / "policies"], store=tmp_path / "serial")
    finally:
        build_module._PARALLEL_MIN_CARDS = minimum
    assert [(p.key, p.triple_count) for p in parallel.policies] == [(p.key, p.triple_count) for p in serial.policies]
    assert _quads(tmp_path / "parallel") == _quads(tmp_path / "serial")


def test_parallel_build_reports_the_first_bad_card(tmp_path):
    """A card that fails in a worker is reported with the same error as a serial load, and no store is made."""
    from kg.load import load_card
    corpus = tmp_path / "corpus"
    manifest = _synthetic_corpus(corpus, 120)
    bad = next(d for d in manifest.load_defects if d.kind == "unknown-term")
    target = corpus / "policies" / Path(bad.card).relative_to("invalid/policies")
    shutil.copytree(corpus / Path(bad.card).parent, target.parent)
    shutil.copytree(corpus / "invalid" / "sources" / target.parent.name, corpus / "sources" / target.parent.name)
    with pytest.raises(UnknownTermError) as expected:
        load_card(target)
    with pytest.raises(UnknownTermError) as raised:
        build([corpus / "policies"], store=tmp_path / "store")
    assert str(raised.value) == str(expected.value)
    assert not (tmp_path / "store").exists()


def test_bulk_loads_in_several_batches_give_the_same_store(tmp_path, monkeypatch):
    """The store is written by one bulk load per BULK_BYTES of N-Quads: many small ones give the same quads."""
    from kg.stores.oxigraph import StoreBuilder
    build([DATA], store=tmp_path / "one")
    monkeypatch.setattr(StoreBuilder, "BULK_BYTES", 10_000)
    build([DATA], store=tmp_path / "many")
    assert _quads(tmp_path / "many") == _quads(tmp_path / "one")



def test_the_bulk_loads_thread_raises_its_error_in_the_caller(tmp_path):
    """kg.stores.bulk: the loads run in a thread; bad N-Quads are the caller's SyntaxError, and the thread ends."""
    import threading

    import pyoxigraph as ox

    from kg.stores.bulk import load_in_thread
    store = ox.Store(str(tmp_path / "s"))
    good = b"<urn:s> <urn:p> <urn:o> <urn:g> .\n"
    with pytest.raises(SyntaxError):
        load_in_thread(store, iter([good] * 50 + [b"<urn:s> <urn:p> not an object <urn:g> .\n"] + [good] * 50), 100, 200)
    assert not any(t.name == "policykg-bulk-load" for t in threading.enumerate())
    store = ox.Store(str(tmp_path / "t"))   # (a failed build's generation is thrown away: what the loads wrote)
    load_in_thread(store, iter([good.replace(b"urn:o", f"urn:o{i}".encode()) for i in range(500)]), 1000, 100)
    assert len(store) == 500


def test_an_interrupted_chunk_maker_stops_the_bulk_loads(tmp_path):
    """Ctrl-C while the chunks are made: raised at once, the load under way stopped at its next read."""
    import threading

    import pyoxigraph as ox

    from kg.stores.bulk import load_in_thread
    made = []

    def chunks():
        for i in range(1000):
            if i == 300:
                raise KeyboardInterrupt
            made.append(i)
            yield f"<urn:s> <urn:p> <urn:o{i}> <urn:g> .\n".encode()
    with pytest.raises(KeyboardInterrupt):
        load_in_thread(ox.Store(str(tmp_path / "s")), chunks(), 1 << 20, 1 << 20)
    assert len(made) == 300
    assert not any(t.name == "policykg-bulk-load" for t in threading.enumerate())

# --- issue 19: every bad input of a build reported at once ----------------------------------------------------

def _bad_cards(tmp_path: Path) -> Path:
    """Four copies of the minimal card: a and d good, b with an unknown term (line 36), c with a quote that is
    not in the snapshot (line 40)."""
    shutil.copytree(FIXTURES / "sources", tmp_path / "in" / "sources")
    folder = tmp_path / "in" / "policies"
    folder.mkdir(parents=True)
    good = (FIXTURES / "policies" / "minimal.yaml").read_text(encoding="utf-8")
    (folder / "a.yaml").write_text(good, encoding="utf-8")
    (folder / "b.yaml").write_text(good.replace("slug: example", "slug: ex-b").replace("pd:EmailAddress", "pd:EmailAdress"),
                                   encoding="utf-8")
    (folder / "c.yaml").write_text(good.replace("slug: example", "slug: ex-c").replace("pendant trois ans", "pendant 3 ans"),
                                   encoding="utf-8")
    (folder / "d.yaml").write_text(good.replace("slug: example", "slug: ex-d"), encoding="utf-8")
    return folder


def test_a_build_reports_every_bad_card_and_leaves_the_store(tmp_path, copy_store):
    """Before: the first bad card only (b), and c's error after fixing b."""
    from kg.errors import InputErrors
    store = copy_store(FIXTURES / "policies")
    before = _quads(store)
    with pytest.raises(InputErrors) as raised:
        build([_bad_cards(tmp_path)], store=store)
    errors = raised.value.errors
    assert [(e.id, Path(e.where.file).name, e.where.line) for e in errors] == [
        ("unknown-term", "b.yaml", 36), ("quote-not-found", "c.yaml", 40)]
    assert raised.value.code == "PKG-E029" and raised.value.exit_code == 2
    assert "2 of 4 input(s)" in raised.value.what and "b.yaml:36" in raised.value.where
    assert _quads(store) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("store.gen-")] == [store.resolve().name]


def test_a_parallel_build_reports_every_bad_card(tmp_path, monkeypatch):
    """Cards loaded in worker processes: their errors come back whole (what, where, fix), in input order."""
    from kg.errors import InputErrors
    build_module = importlib.import_module("kg.build")
    monkeypatch.setattr(build_module, "_PARALLEL_MIN_CARDS", 2)
    monkeypatch.setattr(build_module, "_BATCH", 1)
    folder = _bad_cards(tmp_path)
    with pytest.raises(InputErrors) as parallel:
        build([folder], store=tmp_path / "store")
    monkeypatch.setattr(build_module, "_PARALLEL_MIN_CARDS", 10**9)
    with pytest.raises(InputErrors) as serial:
        build([folder], store=tmp_path / "store")
    assert str(parallel.value) == str(serial.value)
    assert [e.where.line for e in parallel.value.errors] == [36, 40]
    assert not (tmp_path / "store").exists()


def test_bad_rdf_files_and_duplicates_are_reported_with_the_cards(tmp_path):
    from kg.errors import InputErrors
    folder = _bad_cards(tmp_path)
    (folder / "e.ttl").write_text("@prefix dpv: <https://w3id.org/dpv#> .\n\n<urn:x> a dpv:PrivacyNotice ;\n"
                                  "  dpv:hasPurpose .\n", encoding="utf-8")
    shutil.copy(folder / "a.yaml", folder / "f.yaml")
    with pytest.raises(InputErrors) as raised:
        build([folder], store=tmp_path / "store")
    assert [e.id for e in raised.value.errors] == ["unknown-term", "quote-not-found", "duplicate-policy", "rdf-syntax"]


def test_a_kg_error_survives_pickling_whole():
    import pickle

    from kg.errors import InputErrors, Location, QuoteNotFoundError
    error = QuoteNotFoundError("the quote of 'E04' is not in x.txt", Location("c.yaml", 40, 9, "quote"), "copy it")
    again = pickle.loads(pickle.dumps(InputErrors([error, error], 3)))
    assert str(again) == str(InputErrors([error, error], 3)) and again.errors[0].where.line == 40


def test_cli_build_prints_every_error_then_the_summary(tmp_path):
    from typer.testing import CliRunner

    from kg.cli.main import app
    result = CliRunner().invoke(app, ["build", str(_bad_cards(tmp_path)), "--store", str(tmp_path / "store")])
    assert result.exit_code == 2, result.output
    heads = [line for line in result.output.splitlines() if line.startswith("error[")]
    assert [h.split("]")[0] for h in heads] == ["error[PKG-E012 unknown-term", "error[PKG-E010 quote-not-found",
                                                  "error[PKG-E029 input-errors"]
    assert "b.yaml:36:9" in result.output and "c.yaml:40:9" in result.output and "Traceback" not in result.output
