"""RDF terms between the two libraries policykg uses: rdflib (cards, SHACL with pySHACL, JSON-LD, diff) and
pyoxigraph (the store, SPARQL, the oxigraph SHACL engine). One place for the conversion, so that a literal
or a blank node means the same on both sides.

    to_ox(rdflib term) -> pyoxigraph term          from_ox(pyoxigraph term) -> rdflib term
    ox_quads(triples, graph) -> [ox.Quad]          rdflib_graph(quads) -> rdflib Graph
"""
from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def to_ox(term):
    """rdflib term -> pyoxigraph term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"cannot store {term!r}")


def from_ox(term):
    """pyoxigraph term -> rdflib term. An RDF 1.2 triple term has no rdflib form: readers reify them first
    (kg.evidence), so meeting one here is a bug."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        dt = term.datatype.value if term.datatype else None
        if dt == _XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(dt))
    raise TypeError(f"unexpected term {term!r}")


def ox_quads(triples: Iterable[tuple], graph: str | None) -> list[ox.Quad]:
    """rdflib triples as pyoxigraph quads in the named graph `graph` (the default graph if None)."""
    name = ox.NamedNode(graph) if graph is not None else ox.DefaultGraph()
    return [ox.Quad(to_ox(s), to_ox(p), to_ox(o), name) for s, p, o in triples]


def rdflib_graph(quads: Iterable, into: Graph | None = None) -> Graph:
    """pyoxigraph quads or triples (e.g. `store.quads_for_pattern(None, None, None, graph)`) as an rdflib
    Graph, or added to `into`. rdflib has no RDF 1.2 triple terms: the evidence comes in its RDF 1.1 form
    (`kg.evidence.reify`)."""
    from .evidence import reify
    graph = into if into is not None else Graph()
    for q in reify(quads):
        graph.add((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)))
    return graph


def solution_rows(solutions) -> list[dict]:
    """The rows of a pyoxigraph SELECT as dicts of variable name -> rdflib term, unbound variables left out."""
    names = [v.value for v in solutions.variables]
    return [{n: from_ox(s[n]) for n in names if s[n] is not None} for s in solutions]
