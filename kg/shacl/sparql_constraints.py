"""SPARQL-based constraints (SHACL §5): a `sh:sparql` value compiled once: its query with the PREFIX lines of
its sh:prefixes, $PATH replaced by the property shape's path, checked against what SHACL allows with pre-bound
variables (`prebinding`), in its pre-bound form and, when equivalent, its batched form (`rewrite`).

Separate from `shapes` (which compiles the shapes and their core constraints) because this is about one
query's text and where its prefixes come from.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import BNode, Graph, URIRef
from rdflib.namespace import OWL, SH

from . import prebinding
from .refusal import unsupported
from .rewrite import _batch_body, _closure_filters_to_unions, _exists_split, required_terms

SPARQL_PREDICATES = {SH.select, SH.prefixes, SH.message, SH.deactivated}


@dataclass
class SparqlConstraint:
    node: object                     # the sh:sparql node (sh:sourceConstraint)
    select: str                      # the query with its PREFIX declarations
    prebound: "prebinding.Template"  # the query cut where $this is pre-bound (its value as a term)
    batch: tuple[str, str] | None    # the query cut where `VALUES ?this { <focus nodes> }` goes, when equivalent
    messages: list                   # the constraint's own sh:message literals
    triples: list                    # the node's triples, copied into the report as pySHACL does
    fixed: dict = field(default_factory=dict)   # other pre-bound variables: $currentShape -> the shape
    # what the data graph must hold for the query to have a solution (rewrite.required_terms): without it,
    # the query is not run
    required: frozenset = frozenset()


def compile_sparql(g: Graph, c, path=None, shape_predicates=frozenset(), shape=None) -> SparqlConstraint:
    """The constraint `c` (a value of sh:sparql) of the shape `shape` whose path is `path` (None: a node
    shape)."""
    for p in sorted(set(g.predicates(c, None))):
        # a constraint may also be a shape (its shape predicates are checked there)
        if str(p).startswith(str(SH)) and p not in SPARQL_PREDICATES | shape_predicates:
            raise unsupported(p.n3(g.namespace_manager), c)
    select = g.value(c, SH.select)
    if select is None:
        raise unsupported("a SPARQL constraint without sh:select", c)
    lines, outside = prefix_lines(g, c)
    head = "\n".join(lines)
    select = _substitute_path(str(select), path, c)
    try:
        prebinding.check(select, {"this"})
    except prebinding.Refusal as r:
        raise unsupported(r.feature, c, forbidden=r.forbidden) from None
    fixed = current_shape(select, shape, c)
    text = _closure_filters_to_unions(select)
    body = None if fixed else _batch_body(text)
    if body:
        body = _exists_split(body)
    query = f"{head}\n{text}"
    cut = prebinding.template(query, prebinding.tokens(query), {"this", *fixed})
    _parses(cut.render({"this": "<urn:policykg:focus>", **fixed}), c, outside)
    return SparqlConstraint(c, query, cut, (f"{head}\n{body[0]}", body[1]) if body else None,
                            list(g.objects(c, SH.message)), _subgraph(g, c), fixed, required_terms(query))


def current_shape(query: str, shape, where) -> dict:
    """{"currentShape": the shape's N-Triples form} when the query uses $currentShape, else {}."""
    if not any(t.kind == "var" and t.text[1:] == "currentShape" for t in prebinding.tokens(query)):
        return {}
    if not isinstance(shape, URIRef):
        raise unsupported("$currentShape in the query of a blank-node shape (no constant names it)", where)
    return {"currentShape": shape.n3()}


def prefix_lines(g: Graph, node) -> tuple[list[str], list]:
    """The PREFIX lines of `node`'s sh:prefixes: the sh:declare of each value and of what it owl:imports,
    transitively, within the shapes graph (SHACL §5.2.1: sh:prefixes/owl:imports*/sh:declare), and the
    nodes of that path the shapes graph says nothing of (graphs a processor that loads owl:imports would
    read). A prefix declared twice with two namespaces is refused."""
    out: dict[str, str] = {}
    seen: set = set()
    outside = []
    todo = list(g.objects(node, SH.prefixes))
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        if (n, None, None) not in g:
            outside.append(n)
        for d in g.objects(n, SH.declare):
            prefix, namespace = g.value(d, SH.prefix), g.value(d, SH.namespace)
            if prefix is None or namespace is None:
                raise unsupported(f"a prefix declaration without sh:prefix or sh:namespace ({d.n3()})", node,
                                  forbidden=True)
            if out.get(str(prefix), str(namespace)) != str(namespace):
                raise unsupported(f"the prefix {prefix}: declared with two namespaces", node, forbidden=True)
            out[str(prefix)] = str(namespace)
        todo += list(g.objects(n, OWL.imports))
    return sorted(f"PREFIX {p}: <{ns}>" for p, ns in out.items()), outside


_EMPTY = None


def _parses(query: str, where, outside=()) -> None:
    """Refuse a query oxigraph cannot parse (at compile time, not once per focus node): SHACL does not allow
    it, unless its prefixes may be declared in an owl:imports graph outside the shapes graph (not loaded)."""
    global _EMPTY
    if _EMPTY is None:
        _EMPTY = ox.Store()
    try:
        _EMPTY.query(query)
    except SyntaxError as err:
        if outside:
            raise unsupported(f"sh:prefixes through owl:imports of a graph outside the shapes graph "
                              f"({', '.join(n.n3() for n in outside)}: not loaded)", where) from None
        raise unsupported(f"a SPARQL query that does not parse ({str(err).splitlines()[0]})", where,
                          forbidden=True) from None


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


def _substitute_path(select: str, path, where) -> str:
    """$PATH replaced by the property shape's path in SPARQL syntax (SHACL §5.2.1: a substitution of the
    text, done here on the tokens, so `$PATH` in a string stays)."""
    toks = [t for t in prebinding.tokens(select) if t.kind == "var" and t.text[1:] == "PATH"]
    if not toks:
        return select
    if path is None:
        raise unsupported("$PATH in the SPARQL constraint of a node shape", where, forbidden=True)
    out, at = [], 0
    for t in toks:
        out += [select[at:t.start], path.sparql]
        at = t.end
    return "".join(out) + select[at:]
