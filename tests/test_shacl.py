"""kg.shacl, the oxigraph SHACL engine: what it refuses (kg.shacl.shapes), when it batches focus nodes and
its rewrites (kg.shacl.rewrite), batched and per-focus runs agreeing (kg.shacl.engine), and the names the
package keeps for its callers.

That its findings are pySHACL's (kg.shacl.results) is checked on every fixture (tests/test_shapes.py) and on
the seeds (tests/test_validate.py)."""
from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph

from kg.errors import UsageError
from kg.load_rdf import load_rdf_policies
from kg.shacl import ShapesEngine, _batch_body, _closure_filters_to_unions
from kg.shacl.rewrite import required_terms
from kg.validate import _profile_shapes, load_profiles, resolve_profiles, workspace

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
FIXTURES = Path(__file__).resolve().parent / "shapes"
HEAD = """@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> ."""


@pytest.mark.parametrize("shape,forbidden", [
    ("ex:s a sh:NodeShape ; sh:targetClass ex:C ; sh:maxCount 1 .", True),            # on a node shape
    ("ex:s a sh:NodeShape ; sh:targetClass ex:C ; sh:sparql [ sh:ask \"ASK {}\" ] .", False),
    ("ex:s a sh:NodeShape ; sh:target [ a sh:SPARQLTarget ; sh:select \"SELECT ?this WHERE {}\" ] .", False),
    ("ex:s a sh:NodeShape ; sh:targetClass ex:C ; sh:rule [ a sh:TripleRule ] .", False),
    ("ex:s a sh:PropertyShape ; sh:targetClass ex:C ; sh:path [ ex:p ex:q ] ; sh:minCount 1 .", True),
    ("ex:s a sh:NodeShape ; sh:targetClass ex:C ; sh:node ex:s .", False),           # recursive
    ("ex:s a sh:NodeShape ; sh:targetClass ex:C ; sh:datatype \"xsd:string\" .", True),
    ("ex:s a sh:NodeShape ; sh:targetClass ex:C ; sh:in ( ex:a ex:b ) ; sh:in ex:c .", True),  # not a list
    ("ex:s a sh:NodeShape ; sh:targetClass ex:C ; sh:pattern \"(\" .", True),        # not a regular expression
])
def test_unsupported_features_are_refused(shape, forbidden):
    with pytest.raises(UsageError) as err:
        ShapesEngine(Graph().parse(data=HEAD + shape, format="turtle"))
    assert err.value.id == "unsupported-shape" and err.value.forbidden == forbidden


@pytest.mark.parametrize("query,batched", [
    ("SELECT $this WHERE { FILTER NOT EXISTS { $this ex:p ?o } }", True),
    ("SELECT $this ?v WHERE { $this ex:p ?v . OPTIONAL { ?v ex:q ?w FILTER (?w != $this) } }", True),
    ("SELECT $this (MIN(?q) AS ?m) WHERE { $this ex:p ?q } GROUP BY $this", True),
    ("SELECT $this WHERE { { $this ex:p ?o } UNION { ?o ex:q $this } }", True),   # triple patterns: a join
    ("SELECT (COUNT(?q) AS ?n) WHERE { $this ex:p ?q }", False),                  # no ?this projected
    ("SELECT $this (COUNT(?q) AS ?n) WHERE { $this ex:p ?q }", False),            # aggregate over all
    ("SELECT $this WHERE { { BIND ($this AS ?x) } UNION { ?x ex:p ?o } }", False),  # unbound in a branch
    ("SELECT $this WHERE { { ?x ex:p ?o FILTER NOT EXISTS { $this ex:q ?x } } UNION { ?x ex:r ?o } }", False),
    ("SELECT $this WHERE { OPTIONAL { ?x ex:p ?o BIND ($this AS ?y) } }", False),
    ("SELECT $this WHERE { { $this ex:p ?x BIND ($this AS ?y) } UNION { ?x ex:p ?o } }", True),  # bound first
    ("SELECT $this WHERE { { SELECT $this WHERE { $this ex:p ?o } } }", False),  # sub-select
])
def test_batching_only_where_it_equals_pre_binding(query, batched):
    assert (_batch_body(query) is not None) == batched


def test_closure_filter_rewrite():
    q = "SELECT $this WHERE { FILTER EXISTS { $this ex:p ?p . ?p skos:broader* ?k . FILTER (?k IN (ex:A, ex:B)) } }"
    out = _closure_filters_to_unions(q)
    assert "{ ?p skos:broader* ex:A BIND (ex:A AS ?k) } UNION { ?p skos:broader* ex:B BIND (ex:B AS ?k) }" in out
    assert "FILTER (?k" not in out
    kept = "SELECT $this ?k WHERE { $this ex:p ?p . ?p skos:broader* ?k . FILTER (?k IN (ex:A, 'a')) }"
    assert _closure_filters_to_unions(kept) == kept      # not only IRIs: left as written


def _two_ways(profile: str, vocabulary, **variant):
    """(fixture name, [report of the default engine, report of an engine with `variant`]) for each fixture of
    `profile`."""
    pids = tuple(resolve_profiles([profile], load_profiles()))
    shapes = _profile_shapes(None, pids)[0]
    engines = ShapesEngine(shapes), ShapesEngine(shapes, **variant)
    ws = workspace(vocabulary)
    for path in sorted((FIXTURES / profile).glob("*.ttl")):
        for rp in load_rdf_policies(path, vocabulary=vocabulary):
            ws.load(ws.ox_triples(rp.graph))
            yield path.name, [e.validate(ws.store, [ws.graph])[1] for e in engines]


@pytest.mark.slow   # every profile run two ways
@pytest.mark.parametrize("profile", sorted(load_profiles()))
def test_batched_and_per_focus_runs_agree(profile, vocabulary):
    """One query for all focus nodes gives the results of one query per pre-bound focus node."""
    for name, (batched, per_focus) in _two_ways(profile, vocabulary, batch=False):
        assert _results(batched) == _results(per_focus), name


@pytest.mark.parametrize("profile", sorted(load_profiles()))
def test_pruned_and_full_runs_agree(profile, vocabulary):
    """Not running a SPARQL constraint whose required terms the data graph lacks gives the results of
    running every one."""
    for name, (pruned, full) in _two_ways(profile, vocabulary, prune=False):
        assert _results(pruned) == _results(full) and len(pruned) == len(full), name


EX = "http://example.org/"


@pytest.mark.parametrize("where,required", [
    ("$this ex:p ?o", {(EX + "p", None)}),
    ("$this ex:p ?o OPTIONAL { ?o ex:q ?z }", {(EX + "p", None)}),              # not the optional part
    ("OPTIONAL { ?o ex:q ?z }", set()),
    ("{ $this ex:p ?o } UNION { $this ex:p ?z . ?z ex:r ?y }", set()),          # nested groups: not followed
    ("$this a ex:C ; ex:p/ex:q ?x . ?x ex:r* ?y", {(RDF_TYPE, EX + "C")}),  # not through paths
    ("$this ex:a ?b FILTER NOT EXISTS { $this ex:p ?o } MINUS { $this ex:m ?m }", {(EX + "a", None)}),
    ("{ SELECT $this (COUNT(?o) AS ?n) WHERE { $this ex:p ?o } }", set()),     # an aggregate of nothing is a row
    ("{ SELECT $this WHERE { $this ex:p ?o } } $this ex:s ?t", {(EX + "s", None)}),
    ("?x ex:p/ex:q ?y ; ex:s ?v , ?w . ?y ^ex:r ?z . ?z a ?c", {(EX + "s", None), (RDF_TYPE, None)}),
    ('$this ex:p "a"^^ex:T ; ex:q "b"@en, -1 . FILTER (?x) ?y ex:r [ ex:s ?z ]', {(EX + "p", None), (EX + "q", None),
                                                                                  (EX + "r", None)}),
    ("$this ex:p ?o OPTIONAL { ?o ex:q ?z } ?o ex:r ?z . BIND (1 AS ?k) ?o a ex:C , ex:D",
     {(EX + "p", None), (EX + "r", None), (RDF_TYPE, EX + "C"), (RDF_TYPE, EX + "D")}),
    ("FILTER EXISTS { $this ex:p ?o } FILTER NOT EXISTS { $this ex:q ?o } MINUS { $this ex:m ?m }", set()),
    ("BIND (1 AS ?x)", set()),
    ("$this ex:a\\.b ?o", {(EX + "a.b", None)}),                               # PN_LOCAL_ESC as SPARQL reads it
])
def test_required_terms(where, required):
    assert required_terms(f"PREFIX ex: <{EX}>\nSELECT $this WHERE {{ {where} }}") == required


def test_required_terms_of_aggregates_and_unread_queries():
    head = f"PREFIX ex: <{EX}>\n"
    assert required_terms(head + "SELECT (COUNT(?o) AS ?n) WHERE { $this ex:p ?o }") == set()
    assert required_terms(head + "SELECT $this (COUNT(?o) AS ?n) WHERE { $this ex:p ?o } GROUP BY $this") == {
        (EX + "p", None)}
    assert required_terms("SELECT $this WHERE { $this undeclared:p ?o }") == set()     # always run
    assert required_terms("SELECT $this WHERE { $this <p> ?o ; <http://e/q> ?v }") == {("http://e/q", None)}
    assert required_terms("BASE <http://e/> SELECT $this WHERE { $this <http://e/q> ?o }") == set()


def _results(report: Graph) -> set:
    from rdflib.namespace import RDF, SH
    return {(report.value(r, SH.sourceShape), report.value(r, SH.focusNode), report.value(r, SH.value),
             frozenset(report.objects(r, SH.resultMessage)))
            for r in report.subjects(RDF.type, SH.ValidationResult)}


def test_top_level_exists_become_joins_only_when_they_share_only_this():
    from kg.shacl import _exists_to_joins
    q = "SELECT $this WHERE { VALUES ?this { <a> } FILTER NOT EXISTS { $this ex:p/ex:q ?x } FILTER EXISTS { $this ex:r ?y } }"
    out = _exists_to_joins(q)
    assert "MINUS { $this ex:p/ex:q ?x }" in out and "{ SELECT DISTINCT ?this WHERE { $this ex:r ?y } }" in out
    for kept in ("SELECT $this ?x WHERE { $this ex:s ?x FILTER NOT EXISTS { $this ex:p ?x } }",   # ?x shared
                 "SELECT $this WHERE { FILTER NOT EXISTS { ?a ex:p ?b } }",                        # no ?this
                 "SELECT $this WHERE { FILTER NOT EXISTS { $this ex:p ?b FILTER (?b > 1) } }",    # not only triples
                 "SELECT $this WHERE { { FILTER NOT EXISTS { $this ex:p ?b } } }"):               # not top level
        assert _exists_to_joins(kept) == kept


def test_the_package_keeps_the_names_of_the_module_it_replaced():
    """kg.shacl was one module: what callers, tests and docs import from it is still there."""
    import kg.shacl
    from kg.shacl import engine, results, rewrite, shapes
    assert kg.shacl.ShapesEngine is engine.ShapesEngine and kg.shacl.unsupported is shapes.unsupported
    for name in ("_batch_body", "_closure_filters_to_unions", "_exists_to_joins", "_exists_split"):
        assert getattr(kg.shacl, name) is getattr(rewrite, name)
    for name in ("Shape", "SparqlConstraint", "SHAPE_TYPES", "TARGETS", "SHAPE_PREDICATES", "SPARQL_PREDICATES"):
        assert getattr(kg.shacl, name) is getattr(shapes, name)
    assert callable(results.validation_report) and set(kg.shacl.__all__) <= set(dir(kg.shacl))
