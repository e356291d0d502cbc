"""Running compiled shapes on a data graph held in a pyoxigraph store: `ShapesEngine` (the shapes of one
shapes graph, compiled once, validated many times), the focus nodes of each target, the sh:minCount
counts and sh:or members, and the SPARQL constraints' queries.

Speed: a SPARQL constraint runs once for all its focus nodes (`VALUES ?this {...}` joined first in the
WHERE group) when that is equivalent to pre-binding $this in each (see `rewrite._batch_body`), otherwise
once per focus node with $this substituted (SEP-0007 `substitutions=`, SHACL's pre-binding); what every
shape needs (a target's focus nodes, a path's counts) is computed once per validation (`_Run`).

Separate from compiling (`shapes`: once per shapes graph, where refusals are made) and from writing the
results (`results`: pySHACL's triples and the report), so this module is only the evaluation: which focus
nodes, which queries, which rows.
"""
from __future__ import annotations

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from ..terms import from_ox
from .results import min_count_result, or_result, sparql_results, validation_report
from .shapes import Shape, SparqlConstraint, compile_shapes, unsupported

RDFS_SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"


class ShapesEngine:
    """The shapes of one shapes graph, compiled once; `validate` runs them on a pyoxigraph store."""

    def __init__(self, shapes: Graph, *, batch: bool = True):
        self.graph = shapes
        self.batch = batch            # False: one query per focus node always (tests compare both)
        self.shapes: list[Shape] = compile_shapes(shapes)

    def validate(self, store: ox.Store, graphs: list, only: set | None = None) -> tuple[bool, Graph]:
        """Run the shapes (those in `only`, if given) on the union of `graphs` of `store`. Returns
        (conforms, the sh:ValidationReport graph)."""
        run = _Run(store, graphs)
        results: list[list] = []
        for shape in self.shapes:
            if only is not None and shape.node not in only:
                continue
            focus = run.focus_nodes(shape.targets)
            if not focus:
                continue
            results += self._node_results(run, shape, focus)
        return validation_report(results)

    def _node_results(self, run: "_Run", shape: Shape, focus: list) -> list:
        out = []
        if shape.min_count is not None:
            counts = run.counts(shape.path)
            for f in focus:
                if counts.get(f, 0) < shape.min_count:
                    out.append(min_count_result(shape, f))
        if shape.any_of is not None:
            for f in focus:
                if not any(self._conforms(run, member, f) for member in shape.any_of):
                    out.append(or_result(shape, f))
        for constraint in shape.sparql:
            rows = _sparql_rows(run, constraint, focus, self.batch)
            out += [(shape, triples) for triples in sparql_results(shape, constraint, focus, rows)]
        return out

    def _conforms(self, run: "_Run", shape: Shape, node) -> bool:
        if shape.sparql or shape.targets:
            raise unsupported("sh:or members with SPARQL constraints or targets", shape.node)
        if shape.min_count is not None and run.counts(shape.path).get(node, 0) < shape.min_count:
            return False
        if shape.any_of is not None and not any(self._conforms(run, m, node) for m in shape.any_of):
            return False
        return True


class _Run:
    """One validation: the store, the graphs that make the data graph, and what is computed once."""

    def __init__(self, store: ox.Store, graphs: list):
        self.store, self.graphs = store, graphs
        self._targets: dict = {}
        self._counts: dict = {}

    def query(self, text: str, **kw):
        return self.store.query(text, default_graph=self.graphs, **kw)

    def focus_nodes(self, targets: list) -> list:
        out: dict = {}
        for target in targets:
            if target not in self._targets:
                kind, term = target
                q = {"class": "SELECT DISTINCT ?this ?t WHERE { ?this <%s>/<%s>* ?t }" % (RDF.type, RDFS_SUBCLASS),
                     "subjects": "SELECT DISTINCT ?this ?t WHERE { ?this ?t ?o }",
                     "objects": "SELECT DISTINCT ?this ?t WHERE { ?s ?t ?this }"}.get(kind)
                if q is None:
                    self._targets[target] = [term]
                else:
                    self._targets[target] = [s["this"] for s in self.query(q, substitutions={ox.Variable("t"): term})]
            out.update(dict.fromkeys(self._targets[target]))
        return list(out)

    def counts(self, path: URIRef) -> dict:
        """focus node -> number of distinct values of `path`."""
        if path not in self._counts:
            q = "SELECT ?s ?p (COUNT(DISTINCT ?o) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?s ?p"
            self._counts[path] = {s["s"]: int(s["n"].value)
                                  for s in self.query(q, substitutions={ox.Variable("p"): ox.NamedNode(str(path))})}
        return self._counts[path]


def _sparql_rows(run: _Run, c: SparqlConstraint, focus: list, batch: bool = True) -> dict:
    """The solutions of one SPARQL constraint for each focus node (rdflib terms: focus -> list of solution
    dicts): one batched query when `c` has a batched form and every focus node can be written in it,
    else one query per focus node with $this pre-bound."""
    rows: dict = {}   # focus -> list of solution dicts
    if batch and c.batch is not None and all(isinstance(f, (ox.NamedNode, ox.Literal)) for f in focus):
        before, after = c.batch
        for d in _solutions(run.query(before + " ".join(str(f) for f in focus) + after)):
            rows.setdefault(d.get("this"), []).append(d)
    else:
        var = ox.Variable("this")
        for f in focus:
            if isinstance(f, ox.BlankNode):    # no constant for it in a query: oxigraph's substitution
                rows[from_ox(f)] = _solutions(run.query(c.select, substitutions={var: f}))
                continue
            results = run.query(str(f).join(c.prebound))
            solutions = _solutions(results)
            if any(v.value == "this" for v in results.variables):
                for d in solutions:
                    d["this"] = from_ox(f)
            rows[from_ox(f)] = solutions
    return rows


def _solutions(results) -> list[dict]:
    names = [(v, v.value) for v in results.variables]
    return [{name: from_ox(sol[v]) for v, name in names if sol[v] is not None} for sol in results]
