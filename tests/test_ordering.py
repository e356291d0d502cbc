"""kg.stores.ordering: ORDER BY in Python gives the rows in the very order pyoxigraph's ORDER BY gives."""
from __future__ import annotations

import random

import pyoxigraph as ox
import pytest

from kg.stores import EmbeddedStore
from kg.stores.ordering import order_rows, sort_key, split_order

XSD = "http://www.w3.org/2001/XMLSchema#"
TERMS = {   # families a column may hold; each is ordered by sort_key
    "iris and strings": ["<http://ex.org/b>", "<http://ex.org/a>", "<http://ex.org/a#é>", "<http://ex.org/A>",
                         '"b"', '"a"', '"é"', '"A"', '"a"@en', '"a"@fr', '"b"@en', '"a"@fr-ca', '"10"', '"9"',
                         '"x"^^<http://ex.org/t>', '"w"^^<http://ex.org/t>', '"x"^^<http://ex.org/s>',
                         "true", "false", '"2024-05-19"^^xsd:date', '"2015-09-01"^^xsd:date', "UNDEF"],
    "numbers": ["3", '"03"^^xsd:integer', "2.5", "2.50", "-1", "10", "0", "UNDEF", "<http://ex.org/z>"],
}


@pytest.mark.parametrize("family", sorted(TERMS))
@pytest.mark.parametrize("direction", ["ASC", "DESC"])
def test_python_order_is_pyoxigraph_order(family, direction):
    store = ox.Store()
    rng = random.Random(7)
    for trial in range(20):
        terms = TERMS[family] * 2
        rng.shuffle(terms)
        rows = " ".join(f"({t} {i})" for i, t in enumerate(terms))
        query = (f"PREFIX xsd: <{XSD}> SELECT ?x ?i WHERE {{ VALUES (?x ?i) {{ {rows} }} }} "
                 f"ORDER BY {direction}(?x)")
        want = [(s["x"], s["i"]) for s in store.query(query)]
        body, keys, offset, limit = split_order(query)
        got = order_rows([(s["x"], s["i"]) for s in store.query(body)], ["x", "i"], keys)
        # the same sequence of keys; rows whose keys tie may differ in order (pyoxigraph's sort is not
        # stable, ours keeps the store's order)
        assert [x for x, _ in got] == [x for x, _ in want], (family, direction, trial)
        assert sorted(map(str, got)) == sorted(map(str, want))


def test_columns_it_cannot_order_are_left_to_the_store():
    lit = ox.Literal
    assert sort_key([lit("1", datatype=ox.NamedNode(XSD + "integer")), lit("a")]) is None     # numbers and strings
    assert sort_key([lit("1.5", datatype=ox.NamedNode(XSD + "double"))]) is None
    assert sort_key([lit("2024-01-01+02:00", datatype=ox.NamedNode(XSD + "date"))]) is None   # a time zone
    assert sort_key([lit("P1Y", datatype=ox.NamedNode(XSD + "duration"))]) is None
    assert sort_key([lit("1", datatype=ox.NamedNode(XSD + "boolean"))]) is None                # not canonical


@pytest.mark.parametrize("query, expected", [
    ("SELECT ?a WHERE { ?a ?b ?c } ORDER BY ?a", [("a", False)]),
    ("SELECT ?a ?b WHERE { ?a ?b ?c } ORDER BY DESC(?b) ASC(?a) LIMIT 5 OFFSET 2", [("b", True), ("a", False)]),
    ("SELECT ?a WHERE { ?a <http://x.org/#p> ?c } # ORDER BY comment }\nORDER BY ?a\n", [("a", False)]),
    ("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?n ?g", [("n", False), ("g", False)]),
])
def test_split_order_finds_the_outer_order_by(query, expected):
    plan = split_order(query)
    assert plan is not None and plan[1] == expected
    assert "ORDER BY" not in plan[0].split("#")[0] or "comment" in plan[0]


@pytest.mark.parametrize("query", [
    "SELECT ?a WHERE { ?a ?b ?c }",
    "SELECT ?a WHERE { ?a ?b ?c } ORDER BY STR(?a)",
    "SELECT ?a WHERE { { SELECT ?a WHERE { ?a ?b ?c } ORDER BY ?a LIMIT 1 } }",
    "SELECT ?a WHERE { ?a ?b ?c } ORDER BY ?a VALUES ?a { <http://x.org/> }",
])
def test_split_order_declines_other_shapes(query):
    assert split_order(query) is None


def test_embedded_store_slices_after_sorting(tmp_path):
    store = ox.Store()
    for i in range(10):
        store.add(ox.Quad(ox.NamedNode(f"http://ex.org/s{i}"), ox.NamedNode("http://ex.org/p"),
                          ox.Literal(str(9 - i), datatype=ox.NamedNode(XSD + "integer"))))
    es = EmbeddedStore(tmp_path, store=store)
    text = "SELECT ?s ?n WHERE { ?s <http://ex.org/p> ?n } ORDER BY DESC(?n) LIMIT 3 OFFSET 2"
    assert es.select(text).rows == [tuple(s) for s in store.query(text)]
    assert [r[1].value for r in es.select(text).rows] == ["7", "6", "5"]
