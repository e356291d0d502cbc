"""SPARQL-based constraint components (SHACL-SPARQL §6): a `sh:ConstraintComponent` of the shapes graph whose
parameters (`sh:parameter` with `sh:path`, `sh:optional`) a shape has values for, checked by its validator:
`sh:validator` (an ASK query, per value node, `$value` pre-bound; node and property shapes),
`sh:nodeValidator` or `sh:propertyValidator` (a SELECT query, per focus node; each solution a result, as a
SPARQL constraint's). Each parameter's value is pre-bound to the variable named by the local name of its
path; `$PATH` is the property shape's path; pre-binding and its limits are `prebinding`'s.

Separate from `sparql_constraints` (a shape's own sh:sparql) because a component is declared once and used by
many shapes with their own parameter values, and its results name the component, not a constraint node.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal
from rdflib.namespace import RDF, RDFS, SH

from ..terms import from_ox, to_ox
from . import prebinding
from .refusal import unsupported
from .results import core_result
from .sparql_constraints import _parses, _substitute_path, current_shape, prefix_lines

VALIDATORS = (SH.validator, SH.nodeValidator, SH.propertyValidator)


@dataclass
class Component:
    node: object                     # the component (sh:sourceConstraintComponent)
    mandatory: dict                  # parameter path -> variable name
    optional: dict


@dataclass
class Validator:
    """One use of a component by a shape: its query with the shape's parameter values pre-bound."""
    component: object
    ask: bool                        # an ASK validator (per value node) or a SELECT one (per focus node)
    template: prebinding.Template
    values: dict                     # variable name -> the parameter's value (N-Triples form)
    blank: dict                      # variable name -> a blank-node parameter value (bound by substitutions)
    messages: list


def components(g: Graph) -> dict:
    """The constraint components the shapes graph declares: the instances of sh:ConstraintComponent (and its
    subclasses) and whatever has parameters or validators."""
    classes, todo = set(), [SH.ConstraintComponent]
    while todo:
        c = todo.pop()
        if c not in classes:
            classes.add(c)
            todo += list(g.subjects(RDFS.subClassOf, c))
    nodes = {s for c in classes for s in g.subjects(RDF.type, c)}
    for p in (SH.parameter, *VALIDATORS):
        nodes |= set(g.subjects(p, None))
    out = {}
    for c in nodes:
        mandatory, optional = {}, {}
        for p in g.objects(c, SH.parameter):
            path = g.value(p, SH.path)
            if path is None or not hasattr(path, "fragment"):
                raise unsupported(f"a parameter of {c.n3(g.namespace_manager)} without an IRI sh:path", c,
                                  forbidden=True)
            name = re.split(r"[#/:]", str(path))[-1]
            (optional if g.value(p, SH.optional) == Literal(True) else mandatory)[path] = name
        out[c] = Component(c, mandatory, optional)
    return out


def uses(g: Graph, node, comps: dict, path) -> list[Validator]:
    """The validators of the components shape `node` activates (a value for each mandatory parameter)."""
    predicates = set(g.predicates(node, None))
    out = []
    for comp in sorted(comps.values(), key=lambda c: str(c.node)):
        params = {**comp.mandatory, **comp.optional}
        if not params or not set(comp.mandatory) <= predicates or not set(params) & predicates:
            continue
        values, blank = {}, {}
        for p, name in params.items():
            found = list(g.objects(node, p))
            if len(found) > 1:
                raise unsupported(f"{p.n3(g.namespace_manager)} with several values (a parameter of "
                                  f"{comp.node.n3(g.namespace_manager)})", node,
                                  feature="a constraint component's parameter with several values")
            if found:
                if isinstance(found[0], BNode):    # no constant form in a query: bound by substitutions
                    blank[name] = to_ox(found[0])
                else:
                    values[name] = str(to_ox(found[0]))
        out.append(_validator(g, comp, node, path, values, blank))
    return out


def _validator(g: Graph, comp: Component, node, path, values: dict, blank: dict) -> Validator:
    kind = SH.propertyValidator if path is not None else SH.nodeValidator
    chosen = next(iter(sorted(g.objects(comp.node, kind), key=str)), None)
    ask = chosen is None
    if chosen is None:
        chosen = next(iter(sorted(g.objects(comp.node, SH.validator), key=str)), None)
    if chosen is None:
        raise unsupported(f"the constraint component {comp.node.n3(g.namespace_manager)}, which has no validator for "
                          f"{'property' if path is not None else 'node'} shapes", node,
                          feature="a constraint component without a suitable validator")
    text = g.value(chosen, SH.ask if ask else SH.select)
    if text is None:
        raise unsupported(f"the validator of {comp.node.n3(g.namespace_manager)}: an ASK validator without sh:ask, or a "
                          "node or property validator without sh:select", node, forbidden=True)
    lines, outside = prefix_lines(g, chosen)
    select = _substitute_path(str(text), path, chosen)
    names = {*comp.mandatory.values(), *comp.optional.values()}
    values = {**values, **current_shape(select, node, chosen)}
    prebound = {"this", *values, *blank} | ({"value"} if ask else set())
    try:
        prebinding.check(select, names | {"this"} | ({"value"} if ask else set()))
    except prebinding.Refusal as r:
        raise unsupported(r.feature, chosen, forbidden=r.forbidden) from None
    query = "\n".join(lines) + "\n" + select
    template = prebinding.template(query, prebinding.tokens(query), prebound)
    probe = {name: "<urn:policykg:value>" for name in prebound} | values
    _parses(template.render(probe), chosen, outside)
    return Validator(comp.node, ask, template, values, blank, list(g.objects(chosen, SH.message)))


def check(run, shape, c, focus: list, values) -> list:
    """The results of one use of a component (`c.value`, a Validator) on `focus`."""
    v: Validator = c.value
    out = []
    for f in focus:
        if v.ask:
            for value in values(f):
                if not _ask(run, v, f, value):
                    out.append(_with_messages(core_result(shape, v.component, f, value), shape, v, f, value, {}))
            continue
        for row in _select(run, v, f):
            value = row.pop("value", None)
            path = row.pop("path", None)
            row.pop("this", None)
            value = to_ox(value) if value is not None else f
            result = core_result(shape, v.component, f, value, **({"path": path} if path is not None else {}))
            out.append(_with_messages(result, shape, v, f, value, row))
    return out


def _bindings(v: Validator, f, value=None) -> tuple[dict, dict]:
    """(constants by variable, blank nodes by variable) of one evaluation."""
    constants, blanks = dict(v.values), {ox.Variable(k): b for k, b in v.blank.items()}
    for name, term in (("this", f), ("value", value)):
        if term is None:
            continue
        if isinstance(term, ox.BlankNode):
            blanks[ox.Variable(name)] = term
            constants[name] = None
        else:
            constants[name] = str(term)
    return constants, blanks


def _ask(run, v: Validator, f, value) -> bool:
    constants, blanks = _bindings(v, f, value)
    if blanks and not v.template.bnode_safe:
        raise unsupported("a validator that uses a pre-bound variable outside triple patterns and FILTERs, for a "
                          "blank node", v.component)
    return bool(run.query(v.template.render(constants), **({"substitutions": blanks} if blanks else {})))


def _select(run, v: Validator, f) -> list[dict]:
    constants, blanks = _bindings(v, f)
    if blanks and not v.template.bnode_safe:
        raise unsupported("a validator that uses a pre-bound variable outside triple patterns and FILTERs, for a "
                          "blank node", v.component)
    results = run.query(v.template.render(constants), **({"substitutions": blanks} if blanks else {}))
    names = [(var, var.value) for var in results.variables]
    return [{name: from_ox(run.term(sol[var])) for var, name in names if sol[var] is not None} for sol in results]


def _with_messages(result: tuple, shape, v: Validator, f, value, row: dict) -> tuple:
    """The validator's sh:message, {$param} and {?var} filled, when the shape has none of its own."""
    _, triples = result
    if shape.messages or not v.messages:
        return result
    values = {**{k: _text(x) for k, x in v.values.items()}, **{k: str(x) for k, x in row.items()},
              "this": str(from_ox(f)), "value": str(from_ox(value))}
    out = [t for t in triples if t[0] != SH.resultMessage]
    for m in v.messages:
        text = str(m)
        for name, x in values.items():
            text = re.sub("{{[?$]{}}}".format(re.escape(name)), lambda _m, x=x: x, text)
        out.append((SH.resultMessage, Literal(text)))
    return shape, out


def _text(ntriples: str) -> str:
    """A parameter's value as a message shows it: a literal's lexical form, an IRI as it is."""
    m = re.match(r'^"(.*)"(?:@[\w-]+|\^\^<[^>]*>)?$', ntriples, re.S)
    return m.group(1) if m else ntriples.strip("<>")
