"""The SHACL Core constraint components (SHACL §4): for a shape, its focus nodes and their value nodes, the
validation results of one constraint.

Each component is checked as the recommendation defines it: comparisons (sh:minInclusive..., sh:lessThan) and
sh:pattern with SPARQL's own operators and REGEX (pyoxigraph, on the terms alone: the same answers as the
SPARQL definitions, incomparable values failing); class membership by rdf:type/rdfs:subClassOf* in the data
graph; sh:datatype by datatype and a well-formed lexical form (rdflib's `ill_typed`); language ranges by
RFC 4647 basic filtering (SPARQL's langMatches); shape-based components (sh:node, sh:not, sh:and, sh:or,
sh:xone, sh:qualifiedValueShape) by validating the value node against the shape (`run.conforms`).

Separate from `engine` (focus nodes, value nodes, the SPARQL constraints, the walk of sh:property) because
this is the meaning of each component, one function each.
"""
from __future__ import annotations

import pyoxigraph as ox
from rdflib import URIRef
from rdflib.namespace import RDF, SH

from ..terms import from_ox, to_ox
from . import components
from .paths import Path
from .refusal import unsupported
from .results import core_result
from .shapes import STORED_AS_INTEGER, Constraint, Shape

_RDF_LANGSTRING = str(RDF.langString)
_COMPARISONS = {SH.minExclusive: ">", SH.minInclusive: ">=", SH.maxExclusive: "<", SH.maxInclusive: "<="}
_KINDS = {SH.IRI: (ox.NamedNode,), SH.BlankNode: (ox.BlankNode,), SH.Literal: (ox.Literal,),
          SH.BlankNodeOrIRI: (ox.BlankNode, ox.NamedNode), SH.BlankNodeOrLiteral: (ox.BlankNode, ox.Literal),
          SH.IRIOrLiteral: (ox.NamedNode, ox.Literal)}


def check(run, shape: Shape, c: Constraint, focus: list, values) -> list:
    """The results of constraint `c` of `shape` on `focus` (ox terms); `values(f)` gives a focus node's value
    nodes (the focus node itself for a node shape)."""
    return _CHECKS[c.parameter](run, shape, c, focus, values)


def _per_value(test, message):
    """A component whose result is per value node that fails `test(run, c, value)`."""
    def run_check(run, shape, c, focus, values):
        return [core_result(shape, c.component, f, v, message=message(run, c, v))
                for f in focus for v in values(f) if not test(run, c, v)]
    return run_check


def _is_instance(run, c, v) -> bool:
    return not isinstance(v, ox.Literal) and v in run.instances(to_ox(c.value))


def _has_datatype(run, c, v) -> bool:
    if str(c.value) in STORED_AS_INTEGER and not run.faithful:
        raise unsupported(f"sh:datatype {c.value.n3()} on a store whose literals are not given as written (the "
                          "pyoxigraph store keeps the values of the types derived from xsd:integer as xsd:integer)",
                          c.value, feature="sh:datatype of a type derived from xsd:integer")
    if not isinstance(v, ox.Literal) or v.datatype.value != str(c.value):
        return False
    if v.datatype.value == _RDF_LANGSTRING:
        return bool(v.language)
    return not from_ox(v).ill_typed


def _has_kind(run, c, v) -> bool:
    return isinstance(v, _KINDS[c.value])


def _compares(run, c, v) -> bool:
    return run.holds(f"{{}} {_COMPARISONS[c.parameter]} {{}}", v, to_ox(c.value))


def _length(run, c, v) -> bool:
    if isinstance(v, ox.BlankNode):
        return False
    n = len(v.value)
    return n >= c.value if c.parameter == SH.minLength else n <= c.value


def _matches(run, c, v) -> bool:
    if isinstance(v, ox.BlankNode):
        return False
    return run.holds("regex(str({}), {}, {})", v, to_ox(c.value), ox.Literal(c.extra["flags"]))


def lang_matches(tag: str, lang_range: str) -> bool:
    """SPARQL's langMatches: RFC 4647 basic filtering."""
    if lang_range == "*":
        return bool(tag)
    tag, lang_range = tag.lower(), lang_range.lower()
    return tag == lang_range or tag.startswith(lang_range + "-")


def _language_in(run, c, v) -> bool:
    return isinstance(v, ox.Literal) and bool(v.language) and any(lang_matches(v.language, str(r)) for r in c.value)


def _in(run, c, v) -> bool:
    return v in run.terms(c.value)


def _counts(run, shape, c, focus, values):
    n = c.value
    if c.parameter == SH.minCount:
        counts = run.counts(shape.path.predicate) if shape.path.predicate is not None else None
        return [core_result(shape, c.component, f, message=f"Less than {n} values on {f}->{shape.path.sparql}")
                for f in focus if (counts.get(f, 0) if counts is not None else len(values(f))) < n]
    return [core_result(shape, c.component, f, message=f"More than {n} values on {f}->{shape.path.sparql}")
            for f in focus if len(values(f)) > n]


def _unique_lang(run, shape, c, focus, values):
    if not c.value:
        return []
    out = []
    for f in focus:
        seen: dict[str, int] = {}
        for v in values(f):
            if isinstance(v, ox.Literal) and v.language:
                seen[v.language.lower()] = seen.get(v.language.lower(), 0) + 1
        out += [core_result(shape, c.component, f, message=f"More than one value uses the language tag {lang}")
                for lang, n in seen.items() if n > 1]
    return out


def _pair(run, shape, c, focus, values):
    """sh:equals, sh:disjoint, sh:lessThan, sh:lessThanOrEquals: value nodes against the values of a
    predicate on the focus node."""
    others = run.values(Path(c.value, c.value.n3()), focus)
    out = []
    name = c.parameter.fragment
    for f in focus:
        mine, theirs = values(f), others[f]
        if c.parameter == SH.equals:
            bad = [v for v in mine if v not in theirs] + [o for o in theirs if o not in mine]
        elif c.parameter == SH.disjoint:
            bad = [v for v in mine if v in theirs]
        else:
            op = "<" if c.parameter == SH.lessThan else "<="
            bad = [v for v in mine for o in theirs if not run.holds(f"{{}} {op} {{}}", v, o)]
        out += [core_result(shape, c.component, f, v, message=f"Value {v} breaks sh:{name} {c.value.n3()}")
                for v in bad]
    return out


def _has_value(run, shape, c, focus, values):
    want = to_ox(c.value)
    return [core_result(shape, c.component, f, message=f"Missing value {want}")
            for f in focus if want not in values(f)]


def _closed(run, shape, c, focus, values):
    if not c.value:
        return []
    allowed = {p.path.predicate for p in shape.properties if p.path.predicate is not None}
    allowed |= {URIRef(str(i)) for i in c.extra["ignored"]}
    out = []
    for f in focus:
        for v in values(f):
            for p, o in run.outgoing(v):
                if from_ox(p) not in allowed:
                    out.append(core_result(shape, c.component, f, o, path=from_ox(p),
                                           message=f"Node {v} is closed: it cannot have {p}"))
    return out


def _shape_based(run, shape, c, focus, values):
    """sh:node, sh:not, sh:and, sh:or, sh:xone: each value node against the shapes."""
    p = c.parameter
    out = []
    for f in focus:
        for v in values(f):
            if p == SH.node:
                ok = run.conforms(c.value, v)
            elif p == SH["not"]:
                ok = not run.conforms(c.value, v)
            elif p == SH["and"]:
                ok = all(run.conforms(s, v) for s in c.value)
            elif p == SH["or"]:
                ok = any(run.conforms(s, v) for s in c.value)
            else:
                ok = sum(run.conforms(s, v) for s in c.value) == 1
            if not ok:
                out.append(core_result(shape, c.component, f, v, message=f"Value {v} breaks sh:{p.fragment}"))
    return out


def _qualified(run, shape, c, focus, values):
    out = []
    for f in focus:
        n = sum(1 for v in values(f) if run.conforms(c.value, v)
                and not any(run.conforms(s, v) for s in c.extra["siblings"]))
        if "min" in c.extra and n < c.extra["min"]:
            out.append(core_result(shape, SH.QualifiedMinCountConstraintComponent, f,
                                   message=f"Less than {c.extra['min']} values conform to the qualified shape"))
        if "max" in c.extra and n > c.extra["max"]:
            out.append(core_result(shape, SH.QualifiedMaxCountConstraintComponent, f,
                                   message=f"More than {c.extra['max']} values conform to the qualified shape"))
    return out


_CHECKS = {
    SH["class"]: _per_value(_is_instance, lambda run, c, v: f"Value {v} does not have class {c.value.n3()}"),
    SH.datatype: _per_value(_has_datatype, lambda run, c, v: f"Value {v} is not a literal of datatype {c.value.n3()}"),
    SH.nodeKind: _per_value(_has_kind, lambda run, c, v: f"Value {v} is not of node kind {c.value.n3()}"),
    SH.minCount: _counts,
    SH.maxCount: _counts,
    **{p: _per_value(_compares, lambda run, c, v: f"Value {v} is not {_COMPARISONS[c.parameter]} {c.value.n3()}")
       for p in _COMPARISONS},
    SH.minLength: _per_value(_length, lambda run, c, v: f"Value {v} is shorter than {c.value} characters"),
    SH.maxLength: _per_value(_length, lambda run, c, v: f"Value {v} is longer than {c.value} characters"),
    SH.pattern: _per_value(_matches, lambda run, c, v: f"Value {v} does not match the pattern {c.value}"),
    SH.languageIn: _per_value(_language_in, lambda run, c, v: f"Value {v} is not in the languages "
                                                              f"{', '.join(map(str, c.value))}"),
    SH.uniqueLang: _unique_lang,
    SH.equals: _pair, SH.disjoint: _pair, SH.lessThan: _pair, SH.lessThanOrEquals: _pair,
    SH["not"]: _shape_based, SH["and"]: _shape_based, SH["or"]: _shape_based, SH.xone: _shape_based,
    SH.node: _shape_based,
    SH.hasValue: _has_value,
    SH["in"]: _per_value(_in, lambda run, c, v: f"Value {v} is not in the list"),
    SH.closed: _closed,
    SH.qualifiedValueShape: _qualified,
    SH.validator: components.check,      # a SPARQL-based constraint component
}
