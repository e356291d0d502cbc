"""Virtuoso's dialect without a server (kg.stores.dialects, kg.stores.sparql_text): the query text rewrites,
the literals pushed and given back, the closures push computes, the dialect read from the Server header.
tests/test_virtuoso.py holds them to a real Virtuoso."""
from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg.resources import queries_dir
from kg.stores.dialects import (CLOSURE, LEXICAL, STANDARD, VIRTUOSO, closure_predicate, closure_triples,
                                dialect_for, embedded_order, library_paths)
from kg.stores.sparql_http import cut_short
from kg.stores.sparql_text import (might_rewrite, paths, replace_paths, tokens, triple_terms_as_reification,
                                   typed_booleans)

XSD = "http://www.w3.org/2001/XMLSchema#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
VOCAB = "https://w3id.org/policykg/graph/vocab"
LIBRARY = sorted(queries_dir().glob("*.rq"))


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.stem)
def test_every_library_query_is_rewritten_into_a_query_that_parses(path):
    text = path.read_text(encoding="utf-8")
    assert "".join(t.text for t in tokens(text)) == text   # the tokens give the text back
    closures = {(u.graph, u.canonical): closure_predicate(u.canonical) for u in paths(text)}
    sent = VIRTUOSO.query(text, closures)
    ox.Store().query(sent)   # valid SPARQL
    assert "<<(" not in sent and not paths(sent)
    assert all(use.graph == VOCAB for use in paths(text))   # every library path reads the vocabulary graph


def test_triple_terms_become_their_reification():
    text = 'SELECT * WHERE { ?e <http://x/b> <<( ?s a "v"@fr )>> ; <http://x/m> <<( <http://x/s> ?p 3 )>> }'
    assert triple_terms_as_reification(text) == (
        f'SELECT * WHERE {{ ?e <http://x/b> [ <{RDF}subject> ?s ; <{RDF}predicate> <{RDF}type> ; <{RDF}object> '
        f'"v"@fr ] ; <http://x/m> [ <{RDF}subject> <http://x/s> ; <{RDF}predicate> ?p ; <{RDF}object> 3 ] }}')
    with pytest.raises(ValueError, match="inside a triple term"):
        triple_terms_as_reification("SELECT * WHERE { ?e ?b <<( ?s ?p <<( ?a ?b ?c )>> )>> }")
    assert triple_terms_as_reification('SELECT * WHERE { ?s ?p "<<( not a term )>>" }') == \
        'SELECT * WHERE { ?s ?p "<<( not a term )>>" }'


def test_boolean_expressions_are_typed_and_others_left_alone():
    text = ("SELECT ?a (COUNT(*) AS ?n) (true AS ?t) WHERE { BIND(BOUND(?x) AS ?b) BIND(?y = <http://x> AS ?c) "
            "BIND(STR(?z) AS ?d) BIND(COALESCE(?x, ?y) AS ?e) BIND(EXISTS { ?s ?p ?o } AS ?f) } GROUP BY ?a")
    sent = typed_booleans(text)
    wrap = f"<{XSD}boolean>("
    assert sent.count(wrap) == 4
    assert f"{wrap}BOUND(?x) ) AS ?b" in sent and f"{wrap}true ) AS ?t" in sent and "(COUNT(*) AS ?n)" in sent
    assert "BIND(STR(?z) AS ?d)" in sent and "BIND(COALESCE(?x, ?y) AS ?e)" in sent
    ox.Store().query(sent)


def test_paths_are_found_with_their_graph_and_nothing_else():
    text = ("PREFIX s: <http://x/> SELECT * WHERE { GRAPH <http://g> { ?a (s:b|s:c)* s:top . ?a s:d ?e } "
            "GRAPH ?g { ?a ^s:p+ ?b } ?x s:q? ?y FILTER(?x IN (s:a, s:b)) BIND(?n * 2 AS ?m) }")
    found = [(u.canonical, u.graph) for u in paths(text)]
    assert found == [("(<http://x/b>|<http://x/c>)*", "http://g"), ("^<http://x/p>+", None), ("<http://x/q>?", None)]
    closures = {("http://g", "(<http://x/b>|<http://x/c>)*"): CLOSURE + "1"}
    with pytest.raises(ValueError, match=r"the property path \^s:p\+ \(outside a GRAPH with an IRI\) has no closure"):
        replace_paths(text, closures)
    one = replace_paths("PREFIX s: <http://x/> SELECT * WHERE { GRAPH <http://g> { ?a (s:b|s:c)* s:top } }", closures)
    assert one == f"PREFIX s: <http://x/> SELECT * WHERE {{ GRAPH <http://g> {{ ?a <{CLOSURE}1> s:top }} }}"
    assert not might_rewrite("SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }")


def test_closures_are_the_path_pairs_pyoxigraph_finds():
    wanted = library_paths()[VOCAB]
    assert f"(<{SKOS}broader>|<http://www.w3.org/2000/01/rdf-schema#subClassOf>)*" in wanted
    a, b, c = (ox.NamedNode(f"http://x/{n}") for n in "abc")
    broader = ox.NamedNode(SKOS + "broader")
    triples = [ox.Triple(a, broader, b), ox.Triple(b, broader, c), ox.Triple(a, ox.NamedNode("http://x/l"),
                                                                             ox.Literal("label"))]
    out = closure_triples(VOCAB, triples)
    star = ox.NamedNode(closure_predicate(f"<{SKOS}broader>*"))
    pairs = {(t.subject, t.object) for t in out if t.predicate == star}
    assert pairs == {(a, a), (b, b), (c, c), (a, b), (b, c), (a, c)}   # the literal's own pair left out
    assert ox.Triple(star, ox.NamedNode(RDF + "type"), ox.NamedNode(CLOSURE + "Closure")) in out
    assert closure_triples("http://another/graph", triples) == []


def test_literals_virtuoso_alters_are_pushed_wrapped_and_given_back():
    s, p = ox.NamedNode("http://x/s"), ox.NamedNode("http://x/p")
    literals = [ox.Literal("P1Y1M", datatype=ox.NamedNode(XSD + "duration")),
                ox.Literal("2.5", datatype=ox.NamedNode(XSD + "decimal")),
                ox.Literal("2024-05-19T15:30:00.25+02:00", datatype=ox.NamedNode(XSD + "dateTime"))]
    kept = [ox.Literal("13", datatype=ox.NamedNode(XSD + "integer")), ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean")),
            ox.Literal("2024-05-19T15:30:00-10:00", datatype=ox.NamedNode(XSD + "dateTime")),
            ox.Literal("Québec", language="fr-CA"), ox.Literal("x")]
    sent = VIRTUOSO.outgoing("http://x/g", [ox.Triple(s, p, o) for o in literals + kept])
    assert [t.object.datatype.value.startswith(LEXICAL) for t in sent] == [True] * 3 + [False] * 5
    assert [t.object.value for t in sent] == [o.value for o in literals + kept]   # lexical forms as they are
    back = VIRTUOSO.answer("SELECT ?o WHERE { ?s ?p ?o }", ["o"], [(t.object,) for t in sent] + [
        (ox.Literal("1", datatype=ox.NamedNode(XSD + "boolean")),)])
    assert [row[0] for row in back] == literals + kept + [ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean"))]
    assert VIRTUOSO.bound({"d": literals[0], "i": s})["d"] == sent[0].object


def test_the_dialect_comes_from_the_server_header():
    assert dialect_for("Virtuoso/07.20.3229 (Linux) x86_64-pc-linux-gnu  ") is VIRTUOSO
    assert dialect_for("oxigraph/0.5.3") is dialect_for(None) is dialect_for("") is STANDARD
    assert STANDARD.query("SELECT * WHERE { ?s ?p <<( ?a ?b ?c )>> }", {}) == "SELECT * WHERE { ?s ?p <<( ?a ?b ?c )>> }"


def test_a_graph_read_is_put_in_the_embedded_order(tmp_path):
    store = ox.Store(str(tmp_path / "store"))
    g = ox.NamedNode("http://x/g")
    triples = [ox.Triple(ox.NamedNode(f"http://x/s{i % 7}"), ox.NamedNode(f"http://x/p{i % 3}"), ox.Literal(str(i)))
               for i in range(60)]
    store.extend(ox.Quad(t.subject, t.predicate, t.object, g) for t in triples)
    expected = [q.triple for q in store.quads_for_pattern(None, None, None, g)]
    assert embedded_order(g.value, list(reversed(triples))) == expected == embedded_order(g.value, triples)


def test_a_cut_answer_is_seen_in_its_headers():
    assert cut_short({"X-SPARQL-MaxRows": "500"}, 500) == \
        "500 rows, the most it gives (X-SPARQL-MaxRows: 500); more may match"
    assert cut_short({"X-SPARQL-MaxRows": "500"}, 499) is None
    assert cut_short({"X-SQL-State": "S1TAT", "X-SQL-Message": "RC...: Returning incomplete results"}, 3) == \
        "X-SQL-State S1TAT (RC...: Returning incomplete results)"
    assert cut_short({}, 10) is None
