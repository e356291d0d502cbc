"""Compiling a shapes graph into plans the engine runs: each shape's targets, severity, messages, path, its
SHACL Core constraints (their parameters read once, the shapes they refer to compiled) and SPARQL constraints
(`sparql_constraints`).

Separate from running (`engine`) because it happens once per shapes graph (kg.validate keeps one engine per
set of profiles) and it is where every refusal is made: a shapes graph that uses a feature outside this plan
(a SPARQL-based constraint component, sh:rule, sh:target...) or that SHACL does not allow (an ill-formed
path or list, a recursive shape) is refused with an `unsupported-shape` error here, before any data is read,
rather than silently ignored.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH

from ..errors import UsageError
from ..terms import to_ox
from . import components
from .paths import Path, PathError, read_path
from .refusal import unsupported
from .sparql_constraints import SPARQL_PREDICATES, SparqlConstraint, compile_sparql

SHAPE_TYPES = (SH.NodeShape, SH.PropertyShape)
TARGETS = {SH.targetClass: "class", SH.targetSubjectsOf: "subjects", SH.targetObjectsOf: "objects",
           SH.targetNode: "node"}

# SHACL Core: parameter -> (its component, what its value is). One constraint per value of the parameter.
#   term: an RDF term; int: an xsd:integer; bool; list: an RDF list of terms; shape: a shape; shapes: a list of shapes
PARAMETERS = {
    SH["class"]: (SH.ClassConstraintComponent, "term"),
    SH.datatype: (SH.DatatypeConstraintComponent, "iri"),
    SH.nodeKind: (SH.NodeKindConstraintComponent, "iri"),
    SH.minCount: (SH.MinCountConstraintComponent, "int"),
    SH.maxCount: (SH.MaxCountConstraintComponent, "int"),
    SH.minExclusive: (SH.MinExclusiveConstraintComponent, "literal"),
    SH.minInclusive: (SH.MinInclusiveConstraintComponent, "literal"),
    SH.maxExclusive: (SH.MaxExclusiveConstraintComponent, "literal"),
    SH.maxInclusive: (SH.MaxInclusiveConstraintComponent, "literal"),
    SH.minLength: (SH.MinLengthConstraintComponent, "int"),
    SH.maxLength: (SH.MaxLengthConstraintComponent, "int"),
    SH.pattern: (SH.PatternConstraintComponent, "literal"),
    SH.languageIn: (SH.LanguageInConstraintComponent, "list"),
    SH.uniqueLang: (SH.UniqueLangConstraintComponent, "bool"),
    SH.equals: (SH.EqualsConstraintComponent, "iri"),
    SH.disjoint: (SH.DisjointConstraintComponent, "iri"),
    SH.lessThan: (SH.LessThanConstraintComponent, "iri"),
    SH.lessThanOrEquals: (SH.LessThanOrEqualsConstraintComponent, "iri"),
    SH["not"]: (SH.NotConstraintComponent, "shape"),
    SH["and"]: (SH.AndConstraintComponent, "shapes"),
    SH["or"]: (SH.OrConstraintComponent, "shapes"),
    SH.xone: (SH.XoneConstraintComponent, "shapes"),
    SH.node: (SH.NodeConstraintComponent, "shape"),
    SH.hasValue: (SH.HasValueConstraintComponent, "term"),
    SH["in"]: (SH.InConstraintComponent, "list"),
    SH.closed: (SH.ClosedConstraintComponent, "bool"),
    SH.qualifiedValueShape: (SH.QualifiedMinCountConstraintComponent, "shape"),
}
# parameters read with another one (sh:flags with sh:pattern...), and the components only property shapes have
COMPANIONS = {SH.flags, SH.ignoredProperties, SH.qualifiedMinCount, SH.qualifiedMaxCount,
              SH.qualifiedValueShapesDisjoint}
PROPERTY_ONLY = {SH.minCount, SH.maxCount, SH.uniqueLang, SH.lessThan, SH.lessThanOrEquals, SH.qualifiedValueShape}
# sh: predicates a shape may carry: targets, the constraints implemented, and non-validating ones
SHAPE_PREDICATES = {*TARGETS, *PARAMETERS, *COMPANIONS, SH.sparql, SH.path, SH.property, SH.severity, SH.message,
                    SH.deactivated, SH.name, SH.description, SH.order, SH.group, SH.defaultValue}
NODE_KINDS = {SH.IRI, SH.BlankNode, SH.Literal, SH.BlankNodeOrIRI, SH.BlankNodeOrLiteral, SH.IRIOrLiteral}
XSD_INTEGER = URIRef("http://www.w3.org/2001/XMLSchema#integer")
# what the pyoxigraph store gives back as xsd:integer (it keeps numeric literals by value)
STORED_AS_INTEGER = {f"http://www.w3.org/2001/XMLSchema#{t}" for t in (
    "byte", "short", "int", "long", "unsignedByte", "unsignedShort", "unsignedInt", "unsignedLong",
    "nonNegativeInteger", "positiveInteger", "negativeInteger", "nonPositiveInteger")}
XSD_BOOLEAN = URIRef("http://www.w3.org/2001/XMLSchema#boolean")

__all__ = ["SHAPE_PREDICATES", "SHAPE_TYPES", "SPARQL_PREDICATES", "TARGETS", "Constraint", "Shape",
           "SparqlConstraint", "compile_shapes", "unsupported"]


@dataclass
class Constraint:
    component: URIRef                # sh:sourceConstraintComponent
    parameter: URIRef                # the parameter that activates it (sh:class...)
    value: object                    # its value: an rdflib term, int, bool, a list, a Shape or a list of Shapes
    extra: dict = field(default_factory=dict)   # companions: flags, ignored, min, max, siblings (qualified)


@dataclass(eq=False)
class Shape:
    node: object
    severity: URIRef
    messages: list                   # sh:message literals of the shape
    targets: list[tuple[str, object]] = field(default_factory=list)
    path: Path | None = None         # a property shape's path (None: a node shape)
    constraints: list[Constraint] = field(default_factory=list)
    sparql: list[SparqlConstraint] = field(default_factory=list)
    properties: list["Shape"] = field(default_factory=list)   # sh:property
    deactivated: bool = False


def compile_shapes(shapes: Graph) -> list[Shape]:
    """The shapes of `shapes` (nodes typed sh:NodeShape or sh:PropertyShape, or carrying a target) that are
    not deactivated and have targets, compiled, in the order of their node's text (the order of the results)."""
    nodes = set()
    for t in SHAPE_TYPES:
        nodes |= set(shapes.subjects(RDF.type, t))
    for p in TARGETS:
        nodes |= set(shapes.subjects(p, None))
    compiler = _Compiler(shapes)
    # implicit class targets: a shape that is also a class (SHACL §2.1.3.3)
    implicit = _instances(shapes, RDFS.Class) & nodes
    out: list[Shape] = []
    refusals: list[UsageError] = []
    for node in sorted(nodes, key=str):
        if shapes.value(node, SH.deactivated) == Literal(True):
            continue
        try:
            shape = compiler.shape(node)
        except UsageError as err:
            refusals.append(err)
            continue
        targets = list(shape.targets) + ([("class", to_ox(node))] if node in implicit else [])
        if targets:
            shape.targets = targets
            out.append(shape)
    if refusals:
        # the same refusal whatever the order of the nodes (blank node labels differ from parse to parse):
        # what SHACL forbids first, then by the feature's name
        raise min(refusals, key=lambda e: (not getattr(e, "forbidden", False), getattr(e, "feature", e.what)))
    return out


def _regex_ok(pattern: str, flags: str) -> bool:
    """Whether SPARQL's REGEX accepts the pattern and flags (an error would make every value fail)."""
    q = f"SELECT (regex(\"\", {ox.Literal(pattern)}, {ox.Literal(flags)}) AS ?ok) WHERE {{}}"
    return next(iter(_EMPTY.query(q)))["ok"] is not None


_EMPTY = ox.Store()


def _order(term) -> tuple:
    return type(term).__name__, str(term)


def _instances(g: Graph, cls) -> set:
    """The SHACL instances of `cls` in `g` (rdf:type/rdfs:subClassOf*)."""
    classes, todo = set(), [cls]
    while todo:
        c = todo.pop()
        if c not in classes:
            classes.add(c)
            todo += list(g.subjects(RDFS.subClassOf, c))
    return {s for c in classes for s in g.subjects(RDF.type, c)}


class _Compiler:
    """Compiles shapes once each (a shape several others refer to is one Shape), refusing recursion."""

    def __init__(self, g: Graph):
        self.g = g
        self.done: dict = {}
        self.doing: list = []
        self.components = components.components(g)

    def shape(self, node) -> Shape:
        if node in self.done:
            return self.done[node]
        if node in self.doing:
            raise unsupported("a recursive shape (it refers to itself through sh:node, sh:property, sh:and...)",
                              node, feature="recursive shapes")
        self.doing.append(node)
        try:
            shape = self.done[node] = self._compile(node)
        finally:
            self.doing.pop()
        return shape

    def _compile(self, node) -> Shape:
        g = self.g
        allowed = SHAPE_PREDICATES | (SPARQL_PREDICATES if (None, SH.sparql, node) in g else set())
        for p in sorted(set(g.predicates(node, None))):
            if str(p).startswith(str(SH)) and p not in allowed:
                raise unsupported(p.n3(g.namespace_manager), node)
        severity = g.value(node, SH.severity) or SH.Violation
        shape = Shape(node, severity, list(g.objects(node, SH.message)),
                      deactivated=g.value(node, SH.deactivated) == Literal(True))
        for p, kind in TARGETS.items():
            shape.targets += [(kind, to_ox(o)) for o in g.objects(node, p)]
        paths = list(g.objects(node, SH.path))
        if len(paths) > 1:
            raise unsupported("a shape with several sh:path", node, forbidden=True)
        if paths:
            try:
                shape.path = read_path(g, paths[0])
            except PathError as err:
                raise unsupported(str(err), node, forbidden=True, feature="an ill-formed property path") from None
        elif (node, RDF.type, SH.PropertyShape) in g:
            raise unsupported("a sh:PropertyShape without sh:path", node, forbidden=True)
        for parameter in sorted(PARAMETERS):
            for value in sorted(g.objects(node, parameter), key=_order):
                shape.constraints.append(self._constraint(node, parameter, value, shape))
        for v in components.uses(g, node, self.components, shape.path):
            shape.constraints.append(Constraint(v.component, SH.validator, v))
        for c in sorted(g.objects(node, SH.sparql), key=_order):
            if g.value(c, SH.deactivated) == Literal(True):
                continue
            shape.sparql.append(compile_sparql(g, c, shape.path, frozenset(SHAPE_PREDICATES), node))
        for p in sorted(g.objects(node, SH.property), key=_order):
            prop = self.shape(p)
            if prop.path is None:
                raise unsupported(f"sh:property {p.n3(g.namespace_manager)}, a shape without sh:path", node,
                                  forbidden=True)
            shape.properties.append(prop)
        return shape

    def _constraint(self, node, parameter, value, shape: Shape) -> Constraint:
        g = self.g
        component, kind = PARAMETERS[parameter]
        name = parameter.n3(g.namespace_manager)
        if parameter in PROPERTY_ONLY and shape.path is None:
            raise unsupported(f"{name} on a node shape", node, forbidden=True)

        def bad(what: str):
            return unsupported(f"{name} {value.n3(g.namespace_manager)}: {what}", node, forbidden=True,
                               feature=f"an ill-formed {name}")
        if kind == "iri" and not isinstance(value, URIRef):
            raise bad("not an IRI")
        if kind == "literal" and not isinstance(value, Literal):
            raise bad("not a literal")
        if kind == "int":
            if not (isinstance(value, Literal) and value.datatype == XSD_INTEGER and not value.ill_typed):
                raise bad("not an xsd:integer")
            value = int(value)
        if kind == "bool":
            if not (isinstance(value, Literal) and value.datatype == XSD_BOOLEAN and not value.ill_typed):
                raise bad("not an xsd:boolean")
            value = str(value) == "true"     # SHACL names `true`: "1"^^xsd:boolean leaves it off (W3C uniqueLang-002)
        if kind in ("list", "shapes"):
            value = self._list(value, bad)
        if kind == "shape":
            value = self.shape(value)
        if kind == "shapes":
            value = [self.shape(v) for v in value]
        extra: dict = {}
        if parameter == SH.nodeKind and value not in NODE_KINDS:
            raise bad("not a node kind")
        if parameter == SH.pattern:
            flags = list(g.objects(node, SH.flags))
            extra["flags"] = str(flags[0]) if flags else ""
            if not _regex_ok(str(value), extra["flags"]):
                raise bad(f"not a valid regular expression with the flags \"{extra['flags']}\"")
        if parameter == SH.closed:
            extra["ignored"] = [v for lst in g.objects(node, SH.ignoredProperties) for v in self._list(lst, bad)]
        if parameter == SH.qualifiedValueShape:
            for companion, key in ((SH.qualifiedMinCount, "min"), (SH.qualifiedMaxCount, "max")):
                v = g.value(node, companion)
                if v is not None:
                    if not (isinstance(v, Literal) and v.datatype == XSD_INTEGER):
                        raise bad(f"{companion.n3(g.namespace_manager)} is not an xsd:integer")
                    extra[key] = int(v)
            extra["siblings"] = self._siblings(node, value) \
                if g.value(node, SH.qualifiedValueShapesDisjoint) == Literal(True) else []
        return Constraint(component, parameter, value, extra)

    def _list(self, head, bad) -> list:
        items, n, seen = [], head, set()
        while n != RDF.nil:
            if n in seen or (n, RDF.first, None) not in self.g:
                raise bad("not a well-formed RDF list")
            seen.add(n)
            items.append(self.g.value(n, RDF.first))
            n = self.g.value(n, RDF.rest)
        return items

    def _siblings(self, node, own: Shape) -> list[Shape]:
        """sh:qualifiedValueShapesDisjoint: the qualified value shapes of the other property shapes of the
        shapes that have this one as sh:property (SHACL §4.7.3)."""
        out = []
        for parent in self.g.subjects(SH.property, node):
            for sibling in self.g.objects(parent, SH.property):
                if sibling == node:
                    continue
                for q in self.g.objects(sibling, SH.qualifiedValueShape):
                    shape = self.shape(q)
                    if shape is not own and shape not in out:
                        out.append(shape)
        return out
