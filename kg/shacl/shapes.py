"""Compiling a shapes graph into plans the engine runs: each shape's targets, severity, messages, sh:minCount,
sh:or members and SPARQL constraints (their query text prepared once, with its PREFIX lines, in the batched
and pre-bound forms of `rewrite`).

Separate from running (`engine`) because it happens once per shapes graph (kg.validate keeps one engine per
set of profiles) and it is where every refusal is made: a shapes graph that uses a SHACL feature outside
this plan (another constraint, a complex path, sh:sparql on a property shape...) is refused with an
`unsupported-shape` error here, before any data is read, rather than silently ignored.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH

from ..errors import UsageError
from ..terms import to_ox
from .rewrite import _batch_body, _closure_filters_to_unions, _exists_split, _this_cuts

SHAPE_TYPES = (SH.NodeShape, SH.PropertyShape)
TARGETS = {SH.targetClass: "class", SH.targetSubjectsOf: "subjects", SH.targetObjectsOf: "objects",
           SH.targetNode: "node"}
# sh: predicates a shape may carry: targets, the constraints implemented, and non-validating ones
SHAPE_PREDICATES = {*TARGETS, SH.sparql, SH.path, SH.minCount, SH["or"], SH.severity, SH.message,
                    SH.deactivated, SH.name, SH.description, SH.order, SH.group}
SPARQL_PREDICATES = {SH.select, SH.prefixes, SH.message, SH.deactivated}


def unsupported(what: str, where) -> UsageError:
    return UsageError(f"the oxigraph SHACL engine does not implement {what}", str(where),
                      "use --engine pyshacl (or pyshacl-turbo) for this shapes graph, or express the shape as "
                      "a SPARQL constraint (sh:sparql)", error_id="unsupported-shape")


@dataclass
class SparqlConstraint:
    node: object                     # the sh:sparql node (sh:sourceConstraint)
    select: str                      # the query with its PREFIX declarations
    prebound: tuple[str, ...]        # the query cut where $this occurs in its WHERE group
    batch: tuple[str, str] | None    # the query cut where `VALUES ?this { <focus nodes> }` goes, when equivalent
    messages: list                   # the constraint's own sh:message literals
    triples: list                    # the node's triples, copied into the report as pySHACL does


@dataclass
class Shape:
    node: object
    severity: URIRef
    messages: list                   # sh:message literals of the shape
    targets: list[tuple[str, object]] = field(default_factory=list)
    path: URIRef | None = None       # a property shape's predicate path
    min_count: int | None = None
    sparql: list[SparqlConstraint] = field(default_factory=list)
    any_of: list["Shape"] | None = None   # sh:or members


def compile_shapes(shapes: Graph) -> list[Shape]:
    """The shapes of `shapes` (nodes typed sh:NodeShape or sh:PropertyShape, or carrying a target) that are
    not deactivated and have targets, compiled, in the order of their node's text (the order of the results)."""
    nodes = set()
    for t in SHAPE_TYPES:
        nodes |= set(shapes.subjects(RDF.type, t))
    for p in TARGETS:
        nodes |= set(shapes.subjects(p, None))
    out: list[Shape] = []
    for node in sorted(nodes, key=str):
        if shapes.value(node, SH.deactivated) == Literal(True):
            continue
        shape = _shape(shapes, node)
        if shape.targets:
            out.append(shape)
    return out


def _shape(g: Graph, node) -> Shape:
    for p in set(g.predicates(node, None)):
        if str(p).startswith(str(SH)) and p not in SHAPE_PREDICATES:
            raise unsupported(p.n3(g.namespace_manager), node)
    is_property = (node, RDF.type, SH.PropertyShape) in g or g.value(node, SH.path) is not None
    shape = Shape(node, g.value(node, SH.severity) or SH.Violation, list(g.objects(node, SH.message)))
    for p, kind in TARGETS.items():
        shape.targets += [(kind, to_ox(o)) for o in g.objects(node, p)]
    if is_property:
        path = g.value(node, SH.path)
        if not isinstance(path, URIRef):
            raise unsupported("property paths other than a predicate IRI", node)
        shape.path = path
        if g.value(node, SH.sparql) is not None:
            raise unsupported("sh:sparql on a property shape ($PATH)", node)
    min_count = g.value(node, SH.minCount)
    if min_count is not None:
        if not is_property:
            raise unsupported("sh:minCount on a node shape", node)
        shape.min_count = int(min_count)
    members = g.value(node, SH["or"])
    if members is not None:
        shape.any_of = [_shape(g, m) for m in Collection(g, members)]
    for c in g.objects(node, SH.sparql):
        if g.value(c, SH.deactivated) == Literal(True):
            continue
        shape.sparql.append(_sparql(g, c))
    return shape


def _sparql(g: Graph, c) -> SparqlConstraint:
    for p in set(g.predicates(c, None)):
        if str(p).startswith(str(SH)) and p not in SPARQL_PREDICATES:
            raise unsupported(p.n3(g.namespace_manager), c)
    select = g.value(c, SH.select)
    if select is None:
        raise unsupported("a SPARQL constraint without sh:select", c)
    prefixes = []
    for decls in g.objects(c, SH.prefixes):
        for d in g.objects(decls, SH.declare):
            prefixes.append(f"PREFIX {g.value(d, SH.prefix)}: <{g.value(d, SH.namespace)}>")
    text = _closure_filters_to_unions(str(select))
    head = "\n".join(sorted(set(prefixes)))
    body = _batch_body(text)
    if body:
        body = _exists_split(body)
    cuts = _this_cuts(text)
    return SparqlConstraint(c, f"{head}\n{text}", (f"{head}\n{cuts[0]}", *cuts[1:]),
                            (f"{head}\n{body[0]}", body[1]) if body else None,
                            list(g.objects(c, SH.message)), _subgraph(g, c))


def _subgraph(g: Graph, node) -> list:
    """The triples of `node` and of the blank nodes it reaches."""
    out, todo, seen = [], [node], set()
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        for p, o in g.predicate_objects(n):
            out.append((n, p, o))
            if isinstance(o, BNode):
                todo.append(o)
    return out
