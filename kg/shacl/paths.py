"""SHACL property paths (SHACL §2.3.1): read from the shapes graph, written as SPARQL property paths, and the
value nodes they reach from focus nodes.

A path is an IRI (a predicate), or a blank node: a list (sequence), sh:alternativePath (a list),
sh:inversePath, sh:zeroOrMorePath, sh:oneOrMorePath, sh:zeroOrOnePath. Anything else, or a path that refers
to itself, is not a well-formed path and is rejected. In the report, sh:resultPath is the shape's path node
with the triples of its blank nodes copied (as pySHACL writes it), so the report says which path it was.
"""
from __future__ import annotations

from dataclasses import dataclass

from rdflib import BNode, Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH

_UNARY = {SH.inversePath: ("inverse", "^{}"), SH.zeroOrMorePath: ("zeroOrMore", "{}*"),
          SH.oneOrMorePath: ("oneOrMore", "{}+"), SH.zeroOrOnePath: ("zeroOrOne", "{}?")}


class PathError(ValueError):
    """Not a well-formed SHACL path."""


@dataclass(frozen=True)
class Path:
    node: object                # the path's node in the shapes graph (sh:resultPath)
    sparql: str                 # its SPARQL property path
    triples: tuple = ()         # the triples of its blank nodes (copied into the report)
    inverse_of: URIRef | None = None    # for ^p: p

    @property
    def predicate(self) -> URIRef | None:
        """The IRI when the path is a predicate path."""
        return self.node if isinstance(self.node, URIRef) else None


def read_path(g: Graph, node) -> Path:
    triples: list = []
    text = _sparql(g, node, triples, set())
    inner = g.value(node, SH.inversePath) if isinstance(node, BNode) else None
    inverse = inner if isinstance(inner, URIRef) and text == f"(^{inner.n3()})" else None
    return Path(node, text, tuple(dict.fromkeys(triples)), inverse)


def _sparql(g: Graph, node, triples: list, seen: set) -> str:
    if isinstance(node, URIRef):
        return node.n3()
    if not isinstance(node, BNode) or node in seen:
        raise PathError(f"{node!r} is not a well-formed SHACL path")
    seen = seen | {node}
    for p, o in g.predicate_objects(node):
        triples.append((node, p, o))
    if (node, RDF.first, None) in g:
        items = _list(g, node, triples)
        if len(items) < 2:
            raise PathError("a sequence path has at least two members")
        return "(" + "/".join(_sparql(g, i, triples, seen) for i in items) + ")"
    kinds = [p for p in g.predicates(node, None)]
    if len(kinds) != 1:
        raise PathError("a path node has exactly one of sh:inversePath, sh:alternativePath, sh:zeroOrMorePath...")
    kind = kinds[0]
    inner = g.value(node, kind)
    if kind == SH.alternativePath:
        items = _list(g, inner, triples)
        if len(items) < 2:
            raise PathError("an alternative path has at least two members")
        return "(" + "|".join(_sparql(g, i, triples, seen) for i in items) + ")"
    if kind not in _UNARY:
        raise PathError(f"{kind.n3()} is not a SHACL path predicate")
    return "(" + _UNARY[kind][1].format(_sparql(g, inner, triples, seen)) + ")"


def _list(g: Graph, head, triples: list) -> list:
    items, node = [], head
    while node != RDF.nil:
        if node is None or (node, RDF.first, None) not in g:
            raise PathError("a path list is not a well-formed RDF list")
        for p, o in g.predicate_objects(node):
            triples.append((node, p, o))
        node = g.value(node, RDF.rest)
    items += list(Collection(g, head))
    return items
