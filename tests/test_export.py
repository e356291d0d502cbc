"""kg.export: every format round-trips to the same graphs (RDF 1.2, or the RDF 1.1 form of the evidence for
JSON-LD and --reified); bytes are deterministic; writes atomic."""
from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph
from rdflib.compare import isomorphic

from kg.export import FORMATS, export_store
from kg.stores.oxigraph import open_store

RDFLIB_FORMAT = {"ttl": "turtle", "trig": "trig", "nq": "nquads", "jsonld": "json-ld"}


def _union(ds: Dataset) -> Graph:
    g = Graph()
    for ctx in ds.graphs():
        for t in ctx:
            g.add(t)
    return g


OX_FORMAT = {"ttl": ox.RdfFormat.TURTLE, "trig": ox.RdfFormat.TRIG, "nq": ox.RdfFormat.N_QUADS}


def _ox_quads(data: bytes, fmt: str) -> set[str]:
    """The quads of an RDF 1.2 export (pyoxigraph's parser; rdflib has no triple terms), as N-Quads lines;
    a Turtle file's triples are in the default graph."""
    return {str(q) for q in ox.parse(data, format=OX_FORMAT[fmt])}


def _rdflib_dataset(quads) -> Dataset:
    from kg.terms import from_ox
    ds = Dataset()
    for q in quads:
        ds.graph(from_ox(q.graph_name)).add((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)))
    return ds


@pytest.fixture(scope="module")
def reference(built_store):
    """The policy graphs as the store holds them (evidence as triple terms), via N-Quads."""
    store = open_store(built_store[0])
    data = export_store(store, FORMATS["nq"])
    return store, list(ox.parse(data, format=ox.RdfFormat.N_QUADS))


def _same(data: bytes, fmt: str, quads, *, reified: bool = False) -> None:
    """`data` (an export in `fmt`) holds exactly `quads`: compared as N-Quads lines for the RDF 1.2 formats,
    as isomorphic rdflib graphs of the RDF 1.1 form for JSON-LD and --reified exports."""
    if fmt == "jsonld" or reified:
        from kg.evidence import reify
        back = Dataset()
        back.parse(data=data.decode(), format=RDFLIB_FORMAT[fmt])
        ref = _rdflib_dataset(reify(quads))
        if FORMATS[fmt].datasets:
            names = lambda d: sorted(str(g.identifier) for g in d.graphs() if len(g))  # noqa: E731
            assert names(back) == names(ref)
            for g in ref.graphs():
                if len(g):
                    assert isomorphic(g, back.graph(g.identifier)), g.identifier
        else:
            assert isomorphic(_union(back), _union(ref))
    elif FORMATS[fmt].datasets:
        assert _ox_quads(data, fmt) == {str(q) for q in quads}
    else:
        assert _ox_quads(data, fmt) == {str(ox.Quad(q.subject, q.predicate, q.object)) for q in quads}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_round_trip_isomorphic(reference, fmt):
    store, ref = reference
    data = export_store(store, FORMATS[fmt])
    if fmt == "jsonld":
        doc = json.loads(data)
        assert isinstance(doc["@context"], dict)  # inline: loads offline
    _same(data, fmt, ref)


@pytest.mark.parametrize("fmt", ["ttl", "trig", "nq"])
def test_reified_exports_are_rdf_1_1_and_convert_back(reference, fmt):
    """--reified: rdflib reads it (no triple term), and kg.evidence.unreify gives back the stored quads."""
    from kg.evidence import unreify
    from kg.terms import ox_quads
    store, ref = reference
    data = export_store(store, FORMATS[fmt], reified=True)
    assert b"<<(" not in data and b"rdf:Statement" in data or b"22-rdf-syntax-ns#Statement" in data
    _same(data, fmt, ref, reified=True)
    if FORMATS[fmt].datasets:
        back = Dataset()
        back.parse(data=data.decode(), format=RDFLIB_FORMAT[fmt])
        quads = [q for g in back.graphs() if len(g) for q in ox_quads(g, str(g.identifier))]
        assert {str(q) for q in unreify(quads)} == {str(q) for q in ref}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_deterministic_bytes(reference, fmt):
    store, _ = reference
    assert export_store(store, FORMATS[fmt]) == export_store(store, FORMATS[fmt])


def test_policy_selection(reference):
    store, _ = reference
    data = export_store(store, FORMATS["trig"], ["whiteprovider"])
    assert b"policy/whiteprovider/2024-05-19" in data and b"policy/planethoster/" not in data


def test_turtle_uses_prefixes(reference):
    data = export_store(reference[0], FORMATS["ttl"], ["planethoster@2015-09-01"])
    assert b"@prefix dpv: <https://w3id.org/dpv#> ." in data and b"dpv:hasPurpose" in data


def test_same_bytes_from_two_builds(tmp_path):
    """Two independent builds of the same cards export byte-identical files in every format."""
    from kg.build import build

    from .conftest import DATA
    outputs = []
    for name in ("a", "b"):
        build([DATA], store=tmp_path / name)
        store = open_store(tmp_path / name)
        outputs.append({fmt: export_store(store, FORMATS[fmt]) for fmt in FORMATS})
    assert outputs[0] == outputs[1]


def test_turtle_names_policy_nodes_with_a_prefix(reference):
    data = export_store(reference[0], FORMATS["ttl"], ["whiteprovider"])
    assert b"@prefix whiteprovider: <https://w3id.org/policykg/policy/whiteprovider/2024-05-19#> ." in data
    assert b"whiteprovider:notice a " in data or b"whiteprovider:notice " in data


GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_golden_exports_of_the_minimal_card(fmt, copy_store, update_golden):
    """The mapping contract, pinned: tests/fixtures/policies/minimal.yaml exports to tests/golden/example.<ext>
    (compared as graphs, so a harmless reordering is not a failure). `pytest --update-golden` rewrites them;
    review the diff: it is a change of the contract every query and shape relies on."""
    from .conftest import FIXTURES
    path = copy_store(FIXTURES / "policies")     # a fresh store of the card (no export cached in it)
    data = export_store(open_store(path), FORMATS[fmt])
    golden = GOLDEN / f"example{FORMATS[fmt].extension}"
    if update_golden:
        golden.write_bytes(data)
    store = open_store(path)
    _same(golden.read_bytes(), fmt, list(ox.parse(export_store(store, FORMATS["nq"]), format=ox.RdfFormat.N_QUADS)))
    if fmt == "nq":  # deterministic bytes: the sorted N-Quads are the same line for line
        assert sorted(data.decode().splitlines()) == sorted(golden.read_text(encoding="utf-8").splitlines())


@pytest.mark.slow   # a synthetic store exported both ways
def test_fast_export_gives_the_same_bytes_as_serialize(tmp_path, monkeypatch):
    """export_store writes Turtle, TriG and N-Quads from the store's sorted lines: the bytes are those of
    serialize() over the quads, for many policies, one policy, and with the vocabulary; and so does
    write_store when worker processes read the graphs."""
    import io

    import kg.export
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from benchmarks.generate import generate
    from kg.build import build
    from kg.export import FORMATS, export_store, serialize, store_quads
    from kg.inventory import select_policies, vocabulary_graphs
    from kg.stores.oxigraph import open_store
    generate(12, tmp_path / "corpus")
    build([Path(__file__).resolve().parent.parent / "data" / "policies", tmp_path / "corpus" / "policies"],
          store=tmp_path / "store")
    store = open_store(tmp_path / "store")
    for selection, vocabulary in ((None, False), (["whiteprovider"], False), (["synth-000003"], True)):
        graphs = [p.graph for p in select_policies(store, selection)] + (vocabulary_graphs(store) if vocabulary else [])
        for fmt in ("ttl", "trig", "nq"):
            expected = serialize(store_quads(store, graphs), FORMATS[fmt])
            assert export_store(store, FORMATS[fmt], selection, vocabulary) == expected, (fmt, selection)
    for fmt in ("ttl", "trig"):
        assert export_store(store, FORMATS[fmt], None, True) == serialize(
            store_quads(store, [p.graph for p in select_policies(store, None)] + vocabulary_graphs(store)),
            FORMATS[fmt]), fmt
    monkeypatch.setattr(kg.export, "_PARALLEL_MIN_GRAPHS", 2)
    monkeypatch.setattr(kg.export, "_GRAPH_BATCH", 3)
    for fmt in ("ttl", "trig", "nq"):
        out = io.BytesIO()
        kg.export.write_store(store, FORMATS[fmt], out, None, True, store_path=tmp_path / "store", workers=2)
        assert out.getvalue() == export_store(store, FORMATS[fmt], None, True), fmt


def test_streamed_export_merges_subjects_shared_by_graphs():
    """write_graphs streams graph by graph; lines whose subject lies in another graph's namespace, duplicates
    across graphs, blank nodes, graph IRIs that prefix each other and literals that look like line ends
    still give the bytes of serialize()."""
    import io

    import pyoxigraph as ox

    from kg.export import FORMATS, serialize, store_quads, write_graphs
    base = "https://w3id.org/policykg/policy/"
    g1, g2, g3 = base + "a/2024", base + "a/2024-x", base + "b/2020-01-01"
    dpv = "https://w3id.org/dpv#"
    store = ox.Store()

    def add(s, p, o, g):
        store.add(ox.Quad(s, ox.NamedNode(dpv + p), o, ox.NamedNode(g)))
    shared = ox.NamedNode(g1 + "#process")
    for g in (g1, g2, g3):
        add(ox.NamedNode(g + "#notice"), "hasPurpose", ox.NamedNode(dpv + "ServiceProvision"), g)
        add(shared, "hasPurpose", ox.NamedNode(dpv + "Marketing"), g)                 # the same triple thrice
        add(ox.NamedNode(g3 + "#x"), "hasData", ox.Literal("a .\n<b> c .", language="fr"), g)
        add(ox.BlankNode("b" + g[-1]), "hasNotice", ox.NamedNode(g + "#notice"), g)
        add(ox.NamedNode(dpv + "Marketing"), "isSubTypeOf", ox.NamedNode(dpv + "Purpose"), g)
    add(ox.NamedNode(g2 + "#z"), "hasData", ox.Literal("é\t\"q\"", datatype=ox.NamedNode(dpv + "T")), g1)
    graphs = [g3, g1, g2]
    for fmt in ("ttl", "trig", "nq"):
        out = io.BytesIO()
        write_graphs(store, graphs, FORMATS[fmt], out)
        assert out.getvalue() == serialize(store_quads(store, graphs), FORMATS[fmt]), fmt


def test_the_build_keeps_each_graphs_lines_and_exports_read_them(tmp_path):
    """The export cache (issue 18): the build keeps each card's graph's lines, the store's own (an export reads
    those, not RocksDB: a line changed on disk shows in it); a rebuild that changed one card keeps the other's
    file (a hard link), writes the changed one's, and exports what a full build does."""
    import shutil

    import pyoxigraph as ox

    from kg.build import build
    from kg.export import write_store
    from kg.inventory import select_policies
    from kg.stores import EmbeddedStore
    from kg.stores.export_cache import export_cache_file, keep_lines, read_lines
    from kg.stores.oxigraph import EXPORT_CACHE, current_generation

    from .conftest import DATA
    shutil.copytree(DATA, tmp_path / "data")
    store = tmp_path / "store"
    build([tmp_path / "data"], store=store)
    cache = current_generation(store) / EXPORT_CACHE
    assert len(list(cache.glob("*.nt.z"))) == 2   # before any export
    raw = ox.Store.read_only(str(current_generation(store)))
    for p in select_policies(EmbeddedStore(store), None):
        dumped = raw.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(p.graph)).split(b"\n")[:-1]
        assert read_lines(cache, p.graph) == sorted(dumped), p.key
    del raw

    def export(fmt: str, path=store) -> bytes:
        import io
        out = io.BytesIO()
        write_store(path, FORMATS[fmt], out, workers=1)
        return out.getvalue()
    first = {fmt: export(fmt) for fmt in ("nq", "trig", "ttl")}
    assert len(list(cache.iterdir())) == 2   # nothing more: the vocabulary is not exported
    planethoster = next(p.graph for p in select_policies(EmbeddedStore(store), ["planethoster"]))
    kept = read_lines(cache, planethoster)
    keep_lines(cache, planethoster, [b'<urn:x:kept> <urn:x:line> "read from the cache" .'])
    assert b'"read from the cache"' in export("nq") and b'"read from the cache"' in export("ttl")
    keep_lines(cache, planethoster, kept)
    assert {fmt: export(fmt) for fmt in first} == first
    whiteprovider = next(p.graph for p in select_policies(EmbeddedStore(store), ["whiteprovider"]))
    inode = (cache / export_cache_file(planethoster)).stat().st_ino
    stale = export_cache_file(planethoster)[:40] + ".0123456789abcdef.z"   # a body kept before decision 0008
    (cache / stale).write_bytes(b"x")
    card = tmp_path / "data" / "policies" / "whiteprovider" / "2024-05-19.yaml"
    card.write_text(card.read_text(encoding="utf-8").replace("dpv:DirectMarketing", "dpv:Advertising", 1),
                    encoding="utf-8")
    build([tmp_path / "data"], store=store)
    again = current_generation(store) / EXPORT_CACHE
    assert (again / export_cache_file(planethoster)).stat().st_ino == inode
    assert not (again / stale).exists()
    assert b"Advertising" in b"".join(read_lines(again, whiteprovider))
    build([tmp_path / "data"], store=tmp_path / "full", incremental=False)
    for fmt in ("nq", "trig", "ttl"):
        assert export(fmt) == export(fmt, tmp_path / "full") != first[fmt], fmt
