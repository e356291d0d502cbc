"""kg.shacl on what the W3C suite found it doing silently (issue 20): each case ran and answered, wrongly, with
no error. Now it runs as SHACL says or is refused (`unsupported-shape`), and these tests keep it so.

- a SPARQL-based constraint component (sh:validator, sh:nodeValidator, sh:propertyValidator; its parameters
  are not sh: predicates) was ignored: the data "conformed";
- SPARQL that SHACL forbids with pre-bound variables (MINUS, VALUES, SERVICE, a sub-query not returning $this,
  `AS $this`, a nested SELECT * without $this) ran;
- $this was pasted as text: `bound($this)` or `SELECT $this` in a sub-query were syntax errors;
- sh:prefixes declared through owl:imports were not followed; $shapesGraph and $currentShape ran unbound;
- sh:conforms was computed from violations only (a warning left it true).
"""
from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH

from kg.errors import UsageError
from kg.shacl import ShapesEngine
from kg.shacl.prebinding import Refusal, check, template, tokens
from kg.terms import to_ox

HEAD = """@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:prefixes sh:declare [ sh:prefix "ex" ; sh:namespace "http://example.org/"^^xsd:anyURI ] .
"""
EX = "http://example.org/"
G = ox.NamedNode("urn:test:data")


def _validate(turtle: str, data: str = "", **kw) -> tuple[bool, Graph]:
    shapes = Graph().parse(data=HEAD + turtle, format="turtle")
    data_graph = Graph().parse(data=HEAD + data, format="turtle") if data else shapes
    store = ox.Store()
    store.extend([ox.Quad(to_ox(s), to_ox(p), to_ox(o), G) for s, p, o in data_graph])
    return ShapesEngine(shapes, **kw).validate(store, [G])


def _focus_nodes(report: Graph) -> set:
    return {report.value(r, SH.focusNode) for r in report.subjects(RDF.type, SH.ValidationResult)}


def _refusal(turtle: str) -> UsageError:
    with pytest.raises(UsageError) as err:
        _validate(turtle)
    assert err.value.id == "unsupported-shape"
    return err.value


# --- custom constraint components ----------------------------------------------------------------

COMPONENT = """
ex:LangComponent a sh:ConstraintComponent ;
    sh:parameter [ sh:path ex:lang ] ;
    sh:{validator} [ a sh:SPARQL{kind}Validator ; sh:prefixes ex:prefixes ; sh:{form} \"\"\"{query}\"\"\" ] .
ex:a ex:label "hello"@en .
"""


@pytest.mark.parametrize("validator,kind,form,query,shape,value", [
    ("validator", "Ask", "ask", "ASK { FILTER (langMatches(lang($value), $lang)) }",
     'ex:s a sh:PropertyShape ; sh:targetNode ex:a ; sh:path ex:label ; ex:lang "de" .', Literal("hello", lang="en")),
    ("nodeValidator", "Select", "select",
     "SELECT $this WHERE { $this ex:label ?l FILTER (!langMatches(lang(?l), $lang)) }",
     'ex:s a sh:NodeShape ; sh:targetNode ex:a ; ex:lang "de" .', URIRef(EX + "a")),
    ("propertyValidator", "Select", "select",
     "SELECT $this ?value WHERE { $this $PATH ?value FILTER (!langMatches(lang(?value), $lang)) }",
     'ex:s a sh:PropertyShape ; sh:targetNode ex:a ; sh:path ex:label ; ex:lang "de" .', Literal("hello", lang="en")),
])
def test_a_custom_constraint_component_is_checked_not_ignored(validator, kind, form, query, shape, value):
    """Its parameters are not sh: predicates: the engine ignored it and the data 'conformed'."""
    conforms, report = _validate(COMPONENT.format(validator=validator, kind=kind, form=form, query=query) + shape)
    assert not conforms
    r = next(report.subjects(RDF.type, SH.ValidationResult))
    assert report.value(r, SH.sourceConstraintComponent) == URIRef(EX + "LangComponent")
    assert report.value(r, SH.value) == value and report.value(r, SH.focusNode) == URIRef(EX + "a")
    conforms, _ = _validate(COMPONENT.format(validator=validator, kind=kind, form=form, query=query)
                            + shape.replace('"de"', '"en"'))
    assert conforms


def test_a_component_without_a_validator_for_the_shape_is_refused():
    err = _refusal(COMPONENT.format(validator="propertyValidator", kind="Select", form="select",
                                    query="SELECT $this ?value WHERE { $this $PATH ?value }")
                   + 'ex:s a sh:NodeShape ; sh:targetNode ex:a ; ex:lang "de" .')
    assert "no validator for node shapes" in err.what and not err.forbidden


def test_a_component_is_used_through_subclasses_and_only_when_its_mandatory_parameters_are_there():
    shapes = """
ex:MyComponent rdfs:subClassOf sh:ConstraintComponent .
ex:C a ex:MyComponent ; sh:parameter [ sh:path ex:p1 ] , [ sh:path ex:p2 ; sh:optional true ] ;
    sh:validator [ sh:ask "ASK { FILTER ($value != $p1 && $value != COALESCE(?p2, <urn:none>)) }" ] .
"""
    _, report = _validate(shapes + 'ex:s a sh:NodeShape ; sh:targetNode ex:a, ex:b ; ex:p1 ex:a .')
    assert _focus_nodes(report) == {URIRef(EX + "a")}
    _, report = _validate(shapes + 'ex:s a sh:NodeShape ; sh:targetNode ex:a, ex:b ; ex:p1 ex:a ; ex:p2 ex:b .')
    assert _focus_nodes(report) == {URIRef(EX + "a"), URIRef(EX + "b")}
    # the optional parameter alone does not activate the component: the shape has nothing to check
    conforms, _ = _validate(shapes + 'ex:s a sh:NodeShape ; sh:targetNode ex:a ; ex:p2 ex:a .')
    assert conforms


def test_a_components_parameter_with_several_values_is_refused():
    err = _refusal(COMPONENT.format(validator="validator", kind="Ask", form="ask", query="ASK { }")
                   + 'ex:s a sh:NodeShape ; sh:targetNode ex:a ; ex:lang "de", "fr" .')
    assert "several values" in err.what


# --- what SHACL forbids with pre-bound variables -----------------------------------------------

@pytest.mark.parametrize("query,feature", [
    ("SELECT $this WHERE { $this ?p ?o . MINUS { $this ?p 'v' } }", "MINUS"),
    ("SELECT $this WHERE { VALUES ?o { 1 } $this ?p ?o }", "VALUES"),
    ("SELECT $this WHERE { $this ?p ?o } VALUES ?o { 1 }", "VALUES"),
    ("SELECT $this WHERE { $this ?p ?o . SERVICE <http://example.com/sparql> { ?o ?q ?r } }", "SERVICE"),
    ("SELECT $this WHERE { $this ?p ?o . { SELECT ?o WHERE { ?o ?q ?r } } }", "sub-query that does not return $this"),
    ("SELECT $this WHERE { { SELECT * WHERE { FILTER ($this = ex:a) } } }", "nested SELECT * that does not return"),
    ("SELECT $this WHERE { BIND (ex:a AS $this) }", "AS $this"),
    ("SELECT $this WHERE { BIND (ex:a AS ?this) }", "AS ?this"),
    ("SELECT $this (ex:a AS ?this) WHERE { }", "AS ?this"),
])
def test_what_shacl_forbids_with_pre_binding_is_rejected(query, feature):
    err = _refusal(f'ex:s a sh:NodeShape ; sh:targetNode ex:a ; sh:sparql [ sh:prefixes ex:prefixes ; sh:select "{query}" ] .')
    assert err.forbidden and feature in err.what and err.what.startswith("the shapes graph is not valid SHACL")


@pytest.mark.parametrize("query", [
    "SELECT $this WHERE { $this ex:p 'MINUS VALUES SERVICE' }",                 # in a string
    "SELECT $this WHERE { $this <http://example.org/MINUS> ?o }",              # in an IRI
    "SELECT $this WHERE { $this ex:VALUES ?o . ex:SERVICE ex:MINUS ?o }",     # prefixed names
    "SELECT $this WHERE { $this ex:p ?o # MINUS { } VALUES SERVICE\n }",       # a comment
    "SELECT $this WHERE { $this ex:p ?o . { SELECT $this ?o WHERE { $this ex:q ?o } } }",  # returns $this
    "SELECT $this WHERE { FILTER NOT EXISTS { $this ex:p ?o } }",
])
def test_keywords_are_read_on_the_querys_syntax_not_its_text(query):
    check(query, {"this"})      # no Refusal


@pytest.mark.parametrize("query", [
    "SELECT $this WHERE { $this ?p ?o . GRAPH ?g { ?s ?p ?o } }",
    "SELECT $this FROM <urn:other> WHERE { $this ?p ?o }",
    "SELECT $this WHERE { $this ?p ?o FILTER bound($shapesGraph) }",
    "SELECT $this WHERE { { SELECT * WHERE { $this ex:p ?o } } }",   # allowed by SHACL, not run here
])
def test_what_is_allowed_but_not_run_here_is_refused(query):
    with pytest.raises(Refusal) as err:
        check(query, {"this"})
    assert not err.value.forbidden


def test_shapes_graph_is_refused_and_current_shape_pre_bound():
    """SHACL §5.3.1: a processor that does not give $shapesGraph to queries must refuse them (W3C
    shapesGraph-001); $currentShape is the shape."""
    err = _refusal('ex:s a sh:NodeShape ; sh:targetNode ex:a ; ex:property 42 ; sh:sparql [ sh:select """'
                   'SELECT $this WHERE { FILTER bound($shapesGraph) . GRAPH $shapesGraph { $currentShape '
                   '<http://example.org/property> 42 } }""" ] .')
    assert "$shapesGraph" in err.what and not err.forbidden
    shape = ('ex:s a sh:NodeShape ; sh:targetNode ex:a ; sh:sparql [ sh:prefixes ex:prefixes ; sh:select '
             '"SELECT $this WHERE { FILTER ($currentShape = ex:s && bound($currentShape)) }" ] .')
    assert _focus_nodes(_validate(shape)[1]) == {URIRef(EX + "a")}
    err = _refusal(shape.replace("ex:s a sh:NodeShape", "[] a sh:NodeShape"))
    assert "$currentShape" in err.what


# --- pre-binding on the query's syntax ------------------------------------------------------------

PRE_BOUND = [   # (query, focus nodes that violate): ex:a has ex:p "Label"; ex:b has nothing
    ("SELECT $this WHERE { { FILTER (bound($this)) } $this ex:p 'Label' . FILTER (bound($this)) }", {"a"}),
    ("SELECT $this WHERE { FILTER bound($this) }", {"a", "b"}),
    ("SELECT $this WHERE { { SELECT $this WHERE { FILTER ($this = ex:a) } } }", {"a"}),
    ("SELECT $this WHERE { { FILTER (false) } UNION { FILTER ($this = ex:a) } }", {"a"}),
    ("SELECT $this WHERE { BIND ($this AS ?that) FILTER (?that = ex:b) }", {"b"}),
    ("SELECT $this WHERE { OPTIONAL { ?x ex:p ?o BIND ($this AS ?y) } FILTER (?y = ex:b) }", {"b"}),
    ("SELECT $this (COUNT(?o) AS ?n) WHERE { $this ex:p ?o } GROUP BY $this HAVING (COUNT(?o) > 0)", {"a"}),
]


@pytest.mark.parametrize("query,violating", PRE_BOUND)
@pytest.mark.parametrize("batch", [True, False])
def test_this_is_pre_bound_as_a_term(query, violating, batch):
    """What SHACL's pre-binding gives (W3C sparql/pre-binding-00x): the text form failed on bound($this) and
    on SELECT $this in a sub-query (syntax errors), and a VALUES join gives other answers in nested groups."""
    shape = f'ex:s a sh:NodeShape ; sh:targetNode ex:a, ex:b ; sh:sparql [ sh:prefixes ex:prefixes ; sh:select "{query}" ] .'
    _, report = _validate(shape, 'ex:a ex:p "Label" .', batch=batch)
    assert _focus_nodes(report) == {URIRef(EX + n) for n in violating}


def test_the_pre_bound_form_replaces_terms_and_keeps_the_projection():
    q = "SELECT $this ?v WHERE { $this ex:p ?v . { SELECT $this WHERE { $this ex:q ?w } } FILTER (bound($this)) } ORDER BY $this"
    cut = template(q, tokens(q), {"this"})
    assert cut.render({"this": "<urn:x>"}) == (
        "SELECT ?this ?v WHERE { <urn:x> ex:p ?v . { SELECT (<urn:x> AS ?__prebound_this_2) WHERE { <urn:x> ex:q ?w } } "
        "FILTER ((true)) } ORDER BY ?this")
    lit = '"a \\"quoted\\" value"^^<http://www.w3.org/2001/XMLSchema#string>'
    assert lit in cut.render({"this": lit})


def test_blank_node_focus_nodes():
    """A blank node has no constant form in a query: pyoxigraph's substitutions bind it, which is pre-binding
    where $this is in triple patterns and FILTERs (same answers as for an IRI); elsewhere it is refused."""
    for query in ("SELECT $this WHERE { $this ex:p ?o FILTER NOT EXISTS { $this ex:q ?o } }",
                  "SELECT $this WHERE { ?x ex:p ?o FILTER (?x = $this) }",
                  "SELECT $this WHERE { { FILTER (isBlank($this)) } }",
                  "SELECT $this WHERE { { SELECT $this ?o WHERE { $this ex:p ?o } } }"):
        shape = f'ex:s a sh:NodeShape ; sh:targetSubjectsOf ex:p ; sh:sparql [ sh:prefixes ex:prefixes ; sh:select "{query}" ] .'
        _, report = _validate(shape, '[] ex:p "x" .')
        assert len(_focus_nodes(report)) == 1 and isinstance(next(iter(_focus_nodes(report))), BNode), query
    shape = ('ex:s a sh:NodeShape ; sh:targetSubjectsOf ex:p ; sh:sparql [ sh:prefixes ex:prefixes ; '
             'sh:select "SELECT $this WHERE { BIND ($this AS ?x) FILTER (bound(?x)) }" ] .')
    assert _focus_nodes(_validate(shape, 'ex:a ex:p "x" .')[1]) == {URIRef(EX + "a")}
    with pytest.raises(UsageError) as err:
        _validate(shape, '[] ex:p "x" .')
    assert err.value.id == "unsupported-shape" and "blank node" in err.value.what


def test_oxigraph_substitutions_pre_bind_where_the_engine_relies_on_them():
    """The blank-node path relies on pyoxigraph's substitutions= binding the variable in triple patterns,
    FILTERs (nested, in EXISTS) and a sub-query's projection, and not in BIND or BOUND (which the template
    turns into (true)): a new pyoxigraph that changes this fails here first."""
    store = ox.Store()
    b, p = ox.BlankNode("b1"), ox.NamedNode(EX + "p")
    store.add(ox.Quad(b, p, ox.Literal("x")))
    this = ox.Variable("this")

    def rows(q):
        return len(list(store.query(q, substitutions={this: b})))
    assert rows("SELECT ?this WHERE { ?this <http://example.org/p> ?o }") == 1
    assert rows("SELECT ?this WHERE { { FILTER (isBlank(?this)) } }") == 1
    assert rows("SELECT ?this WHERE { FILTER EXISTS { ?x ?p ?o FILTER (?x = ?this) } }") == 1
    assert rows("SELECT ?this WHERE { { SELECT ?this ?o WHERE { ?this ?p ?o } } }") == 1
    assert rows("SELECT ?this WHERE { BIND (?this AS ?x) FILTER (bound(?x)) }") == 0   # why BIND is refused


# --- sh:prefixes ------------------------------------------------------------------------------------

def test_prefixes_are_followed_through_owl_imports_within_the_shapes_graph():
    shapes = """
ex:more sh:declare [ sh:prefix "test" ; sh:namespace "http://test.example/ns#"^^xsd:anyURI ] .
ex:mine owl:imports ex:prefixes, ex:more .
ex:s a sh:NodeShape ; sh:targetNode ex:a ; sh:sparql [ sh:prefixes ex:mine ;
    sh:select "SELECT $this WHERE { $this ex:p test:Value }" ] .
ex:a ex:p <http://test.example/ns#Value> .
"""
    assert _focus_nodes(_validate(shapes)[1]) == {URIRef(EX + "a")}


def test_prefixes_from_a_graph_outside_the_shapes_graph_are_refused():
    err = _refusal("""ex:mine owl:imports <http://elsewhere.example/prefixes> .
ex:s a sh:NodeShape ; sh:targetNode ex:a ; sh:sparql [ sh:prefixes ex:mine ;
    sh:select "SELECT $this WHERE { $this ex:p test:Value }" ] .""")
    assert "owl:imports" in err.what and not err.forbidden
    err = _refusal('ex:s a sh:NodeShape ; sh:targetNode ex:a ; sh:sparql [ sh:select "SELECT $this WHERE { $this ex:p ?o" ] .')
    assert "does not parse" in err.what and err.forbidden


# --- sh:conforms ----------------------------------------------------------------------------------

@pytest.mark.parametrize("severity", ["sh:Violation", "sh:Warning", "sh:Info"])
def test_any_result_makes_the_report_not_conform(severity):
    """SHACL §3.6.1: sh:conforms is true iff there is no result, whatever its severity (a warning made it
    true before). policykg's exit code is decided by severity elsewhere (Report.conforms(fail_on))."""
    shape = f'ex:s a sh:NodeShape ; sh:targetNode ex:a ; sh:severity {severity} ; sh:sparql [ sh:select "SELECT $this WHERE {{ }}" ] .'
    conforms, report = _validate(shape)
    root = next(report.subjects(RDF.type, SH.ValidationReport))
    assert conforms is False and report.value(root, SH.conforms) == Literal(False)
    conforms, report = _validate(shape.replace("WHERE { }", "WHERE { FILTER (false) }"))
    assert conforms is True


# --- literals the store keeps in another form ------------------------------------------------------

def test_literals_are_checked_as_written_when_the_caller_gives_them():
    """The pyoxigraph store keeps numbers, booleans, dates and durations by value ("5"^^xsd:byte is read back
    as "5"^^xsd:integer, "01"^^xsd:integer as "1"); given the literals as written, the engine checks those
    (W3C core/property/datatype-ill-formed); without them, sh:datatype of a type derived from xsd:integer is
    refused rather than answered wrongly. (The report is an rdflib graph: rdflib writes its literals in
    their canonical form, as pySHACL's.)"""
    xsd = "http://www.w3.org/2001/XMLSchema#"
    shapes = Graph().parse(data=HEAD + """
ex:s a sh:PropertyShape ; sh:targetNode ex:a ; sh:path ex:p ; sh:datatype xsd:byte .
ex:t a sh:PropertyShape ; sh:targetNode ex:a ; sh:path ex:q ; sh:maxLength 1 .
""", format="turtle")
    byte = ox.Literal("5", datatype=ox.NamedNode(xsd + "byte"))
    padded = ox.Literal("01", datatype=ox.NamedNode(xsd + "integer"))
    a = ox.NamedNode(EX + "a")
    store = ox.Store()
    store.extend([ox.Quad(a, ox.NamedNode(EX + "p"), byte, G), ox.Quad(a, ox.NamedNode(EX + "q"), padded, G)])
    assert next(iter(store.quads_for_pattern(a, ox.NamedNode(EX + "p"), None))).object != byte   # the store's form
    conforms, report = ShapesEngine(shapes).validate(store, [G], written=[byte, padded])
    # "5"^^xsd:byte has its datatype; "01" is longer than 1 character
    assert [report.value(r, SH.sourceConstraintComponent) for r in report.subjects(RDF.type, SH.ValidationResult)] \
        == [SH.MaxLengthConstraintComponent]
    with pytest.raises(UsageError) as err:
        ShapesEngine(shapes).validate(store, [G])
    assert err.value.id == "unsupported-shape" and "xsd:integer" in err.value.what
