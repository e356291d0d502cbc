"""kg.export_turtle: Turtle and TriG written from sorted N-Triples lines.

Its output must read back as exactly the triples it was given (any term: odd IRIs, literals with quotes,
control characters and every XSD number form, blank nodes, triple terms), and on the project's graphs it
gives the bytes of Oxigraph's serialiser, which it replaces (issue 18).
"""
from __future__ import annotations

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg import namespaces as ns
from kg.export_turtle import TurtleWriter, header

XSD = "http://www.w3.org/2001/XMLSchema#"
DPV = "https://w3id.org/dpv#"
EX = "http://example.org/ns/"


def _lines(triples) -> list[bytes]:
    return sorted(set(ox.serialize(list(triples), format=ox.RdfFormat.N_TRIPLES).split(b"\n")[:-1]))


def _document(triples, prefixes: dict[str, str], graph: str | None = None) -> tuple[bytes, TurtleWriter]:
    writer = TurtleWriter(prefixes)
    body = writer.body(_lines(triples), graph)
    declared = {name: iri for name, iri in prefixes.items() if name in writer.used or name not in ns.PREFIXES}
    return header(declared) + body, writer


def _read_back(text: bytes, fmt=ox.RdfFormat.TURTLE) -> set[bytes]:
    quads = ox.parse(text, format=fmt)
    return set(ox.serialize([q.triple for q in quads], format=ox.RdfFormat.N_TRIPLES).split(b"\n")[:-1])


def test_the_layout_is_oxigraphs():
    """One block a subject, `;` between predicates, `,` between objects, `a` for rdf:type as a predicate only,
    numbers and booleans bare when their lexical form is Turtle's, other literals as in N-Triples."""
    s, p, q = ox.NamedNode(EX + "s"), ox.NamedNode(EX + "p"), ox.NamedNode(EX + "q")
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    triples = [
        ox.Triple(s, rdf_type, ox.NamedNode(DPV + "Purpose")),
        ox.Triple(s, p, ox.Literal("1", datatype=ox.NamedNode(XSD + "integer"))),
        ox.Triple(s, p, ox.Literal("5.", datatype=ox.NamedNode(XSD + "decimal"))),   # not Turtle's: typed
        ox.Triple(s, p, ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean"))),
        ox.Triple(s, q, ox.Literal("a \"b\"\n", language="fr")),
        ox.Triple(s, q, ox.Triple(s, rdf_type, ox.NamedNode(EX + "a%20b"))),
        ox.Triple(ox.BlankNode("b1"), q, ox.NamedNode(EX + "a.")),
    ]
    text, writer = _document(triples, {"dpv": DPV, "ex": EX, "xsd": XSD})
    body = text.split(b"\n", 3)[3]
    assert body == (b'ex:s ex:p 1 , "5."^^xsd:decimal , true ;\n'
                    b'\tex:q "a \\"b\\"\\n"@fr , <<( ex:s <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> '
                    b'<http://example.org/ns/a%20b> )>> ;\n'
                    b'\ta dpv:Purpose .\n'
                    b'_:b1 ex:q <http://example.org/ns/a.> .\n')
    assert writer.used == {"dpv", "xsd", "rdf"}   # rdf:type is written in full above, its namespace declared
    assert _read_back(text) == set(_lines(triples))


def test_a_trig_block_and_an_unprefixed_namespace():
    g = EX + "graph"
    triples = [ox.Triple(ox.NamedNode(EX + "s"), ox.NamedNode(EX + "p"), ox.NamedNode("urn:x:y"))]
    text, _ = _document(triples, {"ex": EX}, g)
    assert text == b"@prefix ex: <http://example.org/ns/> .\nex:graph {\n\tex:s ex:p <urn:x:y> .\n}\n"
    assert {q.graph_name.value for q in ox.parse(text, format=ox.RdfFormat.TRIG)} == {g}


def test_the_project_graphs_give_oxigraphs_bytes(built_store):
    """On the seeds' graphs (and the vocabulary's), the writer gives what Oxigraph's serialiser gives for the
    same triples and prefixes: the exports did not change when it took over."""
    from kg.export import _graph_lines, _policy_prefixes_of
    from kg.inventory import select_policies, vocabulary_graphs
    from kg.stores import EmbeddedStore
    store = EmbeddedStore(built_store[0])
    graphs = [p.graph for p in select_policies(store, None)] + vocabulary_graphs(store)
    policy_prefixes = _policy_prefixes_of(graphs)
    checked = 0
    for g in graphs:
        lines = _graph_lines(store, g)
        for graph in (None, g):
            writer = TurtleWriter({**ns.PREFIXES, **policy_prefixes})
            mine = writer.body(lines, graph)
            prefixes = {**{p: iri for p, iri in ns.PREFIXES.items() if p in writer.used}, **policy_prefixes}
            triples = list(ox.parse(b"\n".join(lines), format=ox.RdfFormat.N_TRIPLES))
            if graph is None:
                theirs = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes)
            else:
                quads = [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(g)) for t in triples]
                theirs = ox.serialize(quads, format=ox.RdfFormat.TRIG, prefixes=prefixes)
            assert theirs.split(b"\n", len(prefixes))[-1] == mine, (g, graph)
            checked += len(lines)
    assert checked > 20_000


# Terms for the round trip: IRIs whose local names need escapes or cannot be prefixed, every kind of literal
_LOCAL = st.lists(st.sampled_from(["a", "Z", "0", "9", "_", "-", ".", "%20", ":", "~", "/", "é", "'"]),
                  max_size=5).map("".join)
_IRI = st.builds(lambda namespace, local: ox.NamedNode(namespace + local),
                 st.sampled_from([EX, DPV, "urn:x:", "http://other.example/"]), _LOCAL)
_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_NUMBER = st.sampled_from(["1", "-5", "+5", ".5", "5.", "1.50", "1e3", "1E-2", ".5e1", "NaN", "INF", "01", "x",
                           "true", "false", "1.0e"])
_LITERAL = st.one_of(
    _TEXT.map(ox.Literal),
    st.builds(lambda t, lang: ox.Literal(t, language=lang), _TEXT, st.sampled_from(["fr", "en-gb", "de-ch-1996"])),
    st.builds(lambda t, d: ox.Literal(t, language="ar", direction=d), _TEXT, st.sampled_from([ox.BaseDirection.LTR, ox.BaseDirection.RTL])),
    st.builds(lambda lex, dt: ox.Literal(lex, datatype=ox.NamedNode(XSD + dt)), _NUMBER,
              st.sampled_from(["integer", "decimal", "double", "boolean", "date", "duration"])),
    st.builds(lambda t, dt: ox.Literal(t, datatype=dt), _TEXT, _IRI),
)
_SUBJECT = st.one_of(_IRI, st.sampled_from([ox.BlankNode("b1"), ox.BlankNode("x2")]))
_OBJECT = st.one_of(_IRI, _LITERAL, _SUBJECT)
_QUOTED = st.builds(ox.Triple, _SUBJECT, _IRI, _OBJECT)
_TRIPLE = st.builds(ox.Triple, _SUBJECT, _IRI,
                    st.one_of(_OBJECT, _QUOTED, st.builds(ox.Triple, _SUBJECT, _IRI, _QUOTED)))   # nested too


@settings(max_examples=300, deadline=None)
@given(st.lists(_TRIPLE, min_size=1, max_size=12))
def test_what_it_writes_reads_back_as_the_same_triples(triples):
    text, _ = _document(triples, {"ex": EX, "dpv": DPV, "xsd": XSD, "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#"})
    assert _read_back(text) == set(_lines(triples))
    g = EX + "g"
    trig, _ = _document(triples, {"ex": EX, "dpv": DPV, "xsd": XSD}, g)
    assert {q.graph_name.value for q in ox.parse(trig, format=ox.RdfFormat.TRIG)} == {g}
    assert _read_back(trig, ox.RdfFormat.TRIG) == set(_lines(triples))


@pytest.mark.parametrize("prefixes", [{}, {"ex": EX}])
def test_no_lines_no_text(prefixes):
    assert TurtleWriter(prefixes).body([]) == b""
