"""Running compiled shapes on a data graph held in a pyoxigraph store: `ShapesEngine` (the shapes of one
shapes graph, compiled once, validated many times), the focus nodes of each target, the value nodes of each
path, each shape's constraints (SHACL Core: `core`; SPARQL: one query per constraint) and the walk of
sh:property.

Speed: a SPARQL constraint runs once for all its focus nodes (`VALUES ?this {...}` joined first in the
WHERE group) when that is equivalent to pre-binding $this in each (see `rewrite._batch_body`), otherwise
once per focus node with $this pre-bound (`prebinding`); what every shape needs (a target's focus nodes, a
predicate's values and counts, a class's instances, whether a node conforms to a shape) is computed once
per validation (`_Run`), from pyoxigraph's index look-ups rather than queries (a query's parsing and planning
cost more than the look-up); a constraint whose query needs a predicate or class the data graph lacks is not run
(`SparqlConstraint.required`).

Separate from compiling (`shapes`: once per shapes graph, where refusals are made) and from writing the
results (`results`: pySHACL's triples and the report), so this module is only the evaluation: which focus
nodes, which queries, which rows.
"""
from __future__ import annotations

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from ..terms import from_ox
from . import core
from .paths import Path
from .refusal import unsupported
from .results import sparql_results, validation_report
from .shapes import Shape, compile_shapes
from .sparql_constraints import SparqlConstraint

RDFS_SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
_RDF_TYPE, _SUBCLASS_OF = ox.NamedNode(str(RDF.type)), ox.NamedNode(RDFS_SUBCLASS)
_EXPRESSIONS = ox.Store()     # FILTERs on constants only (comparisons, REGEX): no data


class ShapesEngine:
    """The shapes of one shapes graph, compiled once; `validate` runs them on a pyoxigraph store."""

    def __init__(self, shapes: Graph, *, batch: bool = True, compiled: list[Shape] | None = None,
                 prune: bool = True):
        """`compiled`: the shapes of `shapes` as an engine compiled them before (kg.validate keeps them in the
        cache folder), instead of compiling them again."""
        self.graph = shapes
        self.batch = batch            # False: one query per focus node always (tests compare both)
        self.prune = prune            # False: run every SPARQL constraint, even one that cannot match (tests)
        self.shapes: list[Shape] = compile_shapes(shapes) if compiled is None else compiled

    def validate(self, store: ox.Store, graphs: list, only: set | None = None, *,
                 written=None) -> tuple[bool, Graph]:
        """Run the shapes (those in `only`, if given) on the union of `graphs` of `store`. Returns
        (conforms, the sh:ValidationReport graph).

        `written`: the data's literals as they were written (pyoxigraph terms), when the caller has them. The
        pyoxigraph store keeps some literals in another form (numbers, booleans, dates and durations by value,
        so "01"^^xsd:integer is read back as "1", "5"^^xsd:byte as "5"^^xsd:integer, an ill-formed
        "2011-01-01"^^xsd:dateTime as a well-formed one; language tags in lower case): given them, the engine
        checks and reports the literals as written (one form read back for two written ones is refused)."""
        run = _Run(store, graphs, self.batch, _written_forms(written) if written is not None else None)
        if self.prune:
            run.read_present()
        results: list[list] = []
        for shape in self.shapes:
            if only is not None and shape.node not in only:
                continue
            focus = run.focus_nodes(shape.targets)
            if focus:
                results += run.evaluate(shape, focus)
        return validation_report(results)


class _Run:
    """One validation: the store, the graphs that make the data graph, and what is computed once."""

    def __init__(self, store: ox.Store, graphs: list, batch: bool = True, written: dict | None = None):
        self.store, self.graphs, self.batch = store, graphs, batch
        self.written = written or {}     # a literal as the store holds it -> as it was written
        self.faithful = written is not None   # the caller gave the literals as written
        self._targets: dict = {}
        self._counts: dict = {}
        self._pairs: dict = {}
        self._instances: dict = {}
        self._typing: tuple | None = None   # (class -> typed nodes, class -> direct subclasses), read once
        self._conforms: dict = {}
        self._holds: dict = {}
        self._terms: dict = {}
        self.present: set | None = None   # (predicate, None) and (rdf:type, class) in the data graph

    def read_present(self) -> None:
        """The predicates the data graph uses and the classes it types nodes with: a SPARQL constraint that
        needs another (SparqlConstraint.required) has no solution, and is not run."""
        self.present = {(s["p"].value, None) for s in self.query("SELECT DISTINCT ?p WHERE { ?s ?p ?o }")}
        self.present |= {(str(RDF.type), s["c"].value)
                         for s in self.query(f"SELECT DISTINCT ?c WHERE {{ ?s <{RDF.type}> ?c }}")}

    def may_match(self, c: SparqlConstraint) -> bool:
        return self.present is None or c.required <= self.present

    def query(self, text: str, **kw):
        return self.store.query(text, default_graph=self.graphs, **kw)

    def term(self, term):
        """A term read from the store, as the data wrote it."""
        if not self.written or not isinstance(term, ox.Literal):
            return term
        original = self.written.get(term, term)
        if original is _AMBIGUOUS:
            raise unsupported(f"the literal {term}: the pyoxigraph store keeps several written forms of it as one",
                              term, feature="literals the pyoxigraph store keeps in one form for several written ones")
        return original

    # --- evaluation ------------------------------------------------------------------------------

    def evaluate(self, shape: Shape, focus: list) -> list:
        """The results of `shape` on `focus` (ox terms): its constraints, its SPARQL constraints, then its
        property shapes on its value nodes."""
        if shape.deactivated or not focus:
            return []
        out: list = []
        values = _Values(self, shape.path, focus)
        for c in shape.constraints:
            out += core.check(self, shape, c, focus, values)
        for c in shape.sparql:
            rows = _sparql_rows(self, c, focus, self.batch)
            out += [(shape, triples) for triples in sparql_results(shape, c, focus, rows)]
        for p in shape.properties:
            # each focus node's value nodes on their own: a value node two focus nodes reach is validated
            # twice, and its results are two results (W3C core/property/property-001)
            for f in focus:
                out += self.evaluate(p, values(f))
        return out

    def conforms(self, shape: Shape, node) -> bool:
        """Whether `node` conforms to `shape` (no result of any severity), computed once per validation."""
        key = (id(shape), node)
        if key not in self._conforms:
            self._conforms[key] = not self.evaluate(shape, [node])
        return self._conforms[key]

    # --- what the data graph says ------------------------------------------------------------------

    def quads(self, s=None, p=None, o=None):
        """The quads of the data graph's graphs that match (pyoxigraph's index look-up: no query to parse)."""
        for g in self.graphs:
            yield from self.store.quads_for_pattern(s, p, o, g)

    def focus_nodes(self, targets: list) -> list:
        out: dict = {}
        for target in targets:
            if target not in self._targets:
                kind, term = target
                if kind == "class":
                    self._targets[target] = self.members(term)
                elif kind == "subjects":
                    self._targets[target] = list(dict.fromkeys(self.term(q.subject) for q in self.quads(None, term)))
                elif kind == "objects":
                    self._targets[target] = list(dict.fromkeys(self.term(q.object) for q in self.quads(None, term)))
                else:
                    self._targets[target] = [term]
            out.update(dict.fromkeys(self._targets[target]))
        return list(out)

    def counts(self, path: URIRef) -> dict:
        """focus node -> number of distinct values of the predicate `path`."""
        if path not in self._counts:
            objects: dict = {}
            for q in self.quads(None, ox.NamedNode(str(path))):
                objects.setdefault(q.subject, set()).add(q.object)
            self._counts[path] = {s: len(o) for s, o in objects.items()}
        return self._counts[path]

    def values(self, path: Path, focus: list) -> dict:
        """focus node -> its value nodes for `path` (distinct, in the store's order)."""
        if path.predicate is not None or path.inverse_of is not None:
            key = (path.predicate, path.inverse_of)
            if key not in self._pairs:
                table: dict = {}
                inverse = path.predicate is None
                for q in self.quads(None, ox.NamedNode(str(path.inverse_of if inverse else path.predicate))):
                    s, o = (q.object, q.subject) if inverse else (q.subject, q.object)
                    table.setdefault(self.term(s), {})[self.term(o)] = None
                self._pairs[key] = table
            table = self._pairs[key]
            return {f: list(table.get(f, ())) for f in focus}
        out: dict = {f: {} for f in focus}
        constants = [f for f in focus if not isinstance(f, ox.BlankNode)]
        if constants:
            for s in self.query(f"SELECT ?s ?o WHERE {{ VALUES ?s {{ {' '.join(map(str, constants))} }} "
                                f"?s {path.sparql} ?o }}"):
                out[self.term(s["s"])][self.term(s["o"])] = None
        for f in focus:
            if isinstance(f, ox.BlankNode):
                for s in self.query(f"SELECT ?s ?o WHERE {{ ?s {path.sparql} ?o }}", substitutions={ox.Variable("s"): f}):
                    out[f][self.term(s["o"])] = None
        return {f: list(v) for f, v in out.items()}

    def instances(self, cls) -> set:
        """The SHACL instances of `cls` in the data graph (rdf:type/rdfs:subClassOf*)."""
        if cls not in self._instances:
            self._instances[cls] = set(self.members(cls))
        return self._instances[cls]

    def members(self, cls) -> list:
        """The nodes `?x rdf:type/rdfs:subClassOf* cls` gives, each once: walked in Python over the data graph's
        rdf:type and rdfs:subClassOf triples, read once (a query per class cost ~0.5 ms)."""
        if self._typing is None:
            typed: dict = {}       # class -> the nodes typed with it
            below: dict = {}       # class -> its direct subclasses
            for q in self.quads(None, _RDF_TYPE):
                typed.setdefault(q.object, {})[q.subject] = None
            for q in self.quads(None, _SUBCLASS_OF):
                below.setdefault(q.object, {})[q.subject] = None
            self._typing = (typed, below)
        typed, below = self._typing
        out: dict = {}
        seen, todo = {cls}, [cls]
        while todo:
            c = todo.pop()
            out.update(typed.get(c, {}))
            for sub in below.get(c, ()):
                if sub not in seen:
                    seen.add(sub)
                    todo.append(sub)
        return list(out)

    def outgoing(self, node) -> list:
        """(predicate, object) of the triples whose subject is `node` (each once)."""
        return list(dict.fromkeys((q.predicate, self.term(q.object)) for q in self.quads(node)))

    def holds(self, expression: str, *terms) -> bool:
        """Whether a SPARQL expression on constants is true (`{}` for each term; a blank node has no constant
        form, and no comparison or REGEX is true of it); an error is false, as in a FILTER."""
        if any(isinstance(t, ox.BlankNode) for t in terms):
            return False
        text = expression.format(*map(str, terms))
        if text not in self._holds:
            self._holds[text] = bool(_EXPRESSIONS.query(f"ASK {{ FILTER ({text}) }}"))
        return self._holds[text]

    def terms(self, rdflib_terms: list) -> set:
        """rdflib terms as a set of ox terms (sh:in), converted once."""
        key = id(rdflib_terms)
        if key not in self._terms:
            from ..terms import to_ox
            self._terms[key] = {to_ox(t) for t in rdflib_terms}
        return self._terms[key]


class _Values:
    """The value nodes of a shape's focus nodes, read on first use: the focus node itself for a node shape."""

    def __init__(self, run: _Run, path: Path | None, focus: list):
        self.run, self.path, self.focus = run, path, focus
        self.table: dict | None = None

    def __call__(self, f) -> list:
        if self.path is None:
            return [f]
        if self.table is None:
            self.table = self.run.values(self.path, self.focus)
        return self.table.get(f) if f in self.table else self.run.values(self.path, [f])[f]


def _sparql_rows(run: _Run, c: SparqlConstraint, focus: list, batch: bool = True) -> dict:
    """The solutions of one SPARQL constraint for each focus node (rdflib terms: focus -> list of solution
    dicts): one batched query when `c` has a batched form and every focus node can be written in it,
    else one query per focus node with $this pre-bound."""
    rows: dict = {}   # focus -> list of solution dicts
    if not run.may_match(c):
        return rows
    if batch and c.batch is not None and all(isinstance(f, (ox.NamedNode, ox.Literal)) for f in focus):
        before, after = c.batch
        for d in _solutions(run.query(before + " ".join(str(f) for f in focus) + after), run):
            rows.setdefault(d.get("this"), []).append(d)
    else:
        var = ox.Variable("this")
        for f in focus:
            if isinstance(f, ox.BlankNode):    # no constant for it in a query: oxigraph's substitution
                if not c.prebound.bnode_safe:
                    raise unsupported("$this outside triple patterns and FILTERs when the focus node is a blank "
                                      "node", c.node)
                rows[from_ox(f)] = _solutions(run.query(c.prebound.render({"this": None, **c.fixed}),
                                                        substitutions={var: f}), run)
                continue
            results = run.query(c.prebound.render({"this": str(f), **c.fixed}))
            solutions = _solutions(results, run)
            if any(v.value == "this" for v in results.variables):
                for d in solutions:
                    d["this"] = from_ox(f)
            rows[from_ox(f)] = solutions
    return rows


def _solutions(results, run: _Run) -> list[dict]:
    names = [(v, v.value) for v in results.variables]
    return [{name: from_ox(run.term(sol[v])) for v, name in names if sol[v] is not None} for sol in results]


_AMBIGUOUS = object()


def _written_forms(literals) -> dict:
    """A literal as the pyoxigraph store holds it -> as written, for the literals it does not hold as written
    (each literal read back once per process from a scratch store)."""
    literals = [t for t in dict.fromkeys(literals) if isinstance(t, ox.Literal) and _may_change(t)]
    new = [t for t in literals if t not in _HELD]
    if new:
        if len(_HELD) > 200_000:
            _HELD.clear()
        scratch = ox.Store()
        p = ox.NamedNode("urn:policykg:literal")
        scratch.extend([ox.Quad(ox.NamedNode(f"urn:policykg:literal:{i}"), p, t) for i, t in enumerate(new)])
        for s in scratch.query("SELECT ?s ?o WHERE { ?s ?p ?o }"):
            _HELD[new[int(s["s"].value.rsplit(":", 1)[1])]] = s["o"]
    out: dict = {}
    for t in literals:
        held = _HELD[t]
        if held != t:
            out[held] = t if out.get(held, t) == t else _AMBIGUOUS
    return out


_HELD: dict = {}      # a literal as written -> as the pyoxigraph store holds it
_KEPT = {"http://www.w3.org/2001/XMLSchema#string", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"}


def _may_change(t: ox.Literal) -> bool:
    """Whether the store may hold `t` in another form: not a string, or a language tag not in lower case."""
    if t.language:
        return t.language != t.language.lower()
    return t.datatype.value not in _KEPT
