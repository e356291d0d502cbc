"""A SHACL engine on pyoxigraph for the SHACL features our profiles use, with pySHACL's results.

Implemented (SHACL 1.0 and SHACL-SPARQL): node and property shapes; targets sh:targetClass (instances
through rdf:type/rdfs:subClassOf* in the data graph), sh:targetSubjectsOf, sh:targetObjectsOf,
sh:targetNode; SPARQL-based constraints (sh:sparql with sh:select, sh:prefixes/sh:declare, sh:message
templates {?var} and {$this}, sh:deactivated); sh:minCount on a predicate path; sh:or of shapes built
from those; sh:severity, sh:message, sh:deactivated on shapes. A shapes graph that uses anything else
(another constraint, a complex path, sh:sparql on a property shape...) is refused with an
`unsupported-shape` error rather than silently ignored.

Results are the triples pySHACL writes (focusNode, resultPath, value, sourceShape,
sourceConstraintComponent, sourceConstraint, resultSeverity, resultMessage: SPARQL messages lose their
language tag once {?var} are substituted, as in pySHACL), so the finding extraction of kg/validate.py
works on either engine's report. tests/test_shapes.py and tests/test_validate.py check that the findings
are those of pySHACL on every fixture and on the seeds.

Speed: shapes are compiled once per shapes graph (queries with their PREFIX lines, targets, the
batching decision); a SPARQL constraint runs once for all its focus nodes (`VALUES ?this {...}` joined
first in the WHERE group) when that is equivalent to pre-binding $this in each (see `_batchable`),
otherwise once per focus node with $this substituted (SEP-0007 `substitutions=`, SHACL's pre-binding).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH

from .errors import UsageError
from .terms import from_ox, to_ox

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


# ---------------------------------------------------------------------------------------------
# Compiling a shapes graph
# ---------------------------------------------------------------------------------------------

class ShapesEngine:
    """The shapes of one shapes graph, compiled once; `validate` runs them on a pyoxigraph store."""

    def __init__(self, shapes: Graph, *, batch: bool = True):
        self.graph = shapes
        self.batch = batch            # False: one query per focus node always (tests compare both)
        nodes = set()
        for t in SHAPE_TYPES:
            nodes |= set(shapes.subjects(RDF.type, t))
        for p in TARGETS:
            nodes |= set(shapes.subjects(p, None))
        self.shapes: list[Shape] = []
        for node in sorted(nodes, key=str):
            if shapes.value(node, SH.deactivated) == Literal(True):
                continue
            shape = self._shape(node)
            if shape.targets:
                self.shapes.append(shape)

    def _shape(self, node) -> Shape:
        g = self.graph
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
            shape.any_of = [self._shape(m) for m in Collection(g, members)]
        for c in g.objects(node, SH.sparql):
            if g.value(c, SH.deactivated) == Literal(True):
                continue
            shape.sparql.append(self._sparql(c))
        return shape

    def _sparql(self, c) -> SparqlConstraint:
        g = self.graph
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

    # -----------------------------------------------------------------------------------------
    # Validation
    # -----------------------------------------------------------------------------------------

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
        report = Graph()
        report.bind("sh", SH)
        root = BNode()
        report.add((root, RDF.type, SH.ValidationReport))
        conforms = not any(shape.severity == SH.Violation for shape, _ in results)
        report.add((root, SH.conforms, Literal(conforms)))
        for shape, triples in results:
            r = BNode()
            report.add((root, SH.result, r))
            report.add((r, RDF.type, SH.ValidationResult))
            report.add((r, SH.sourceShape, shape.node))
            report.add((r, SH.resultSeverity, shape.severity))
            for p, o in triples:
                if p == SH.sourceConstraint:
                    for t in o.triples:
                        report.add(t)
                    o = o.node
                report.add((r, p, o))
        return conforms, report

    def _node_results(self, run: "_Run", shape: Shape, focus: list) -> list:
        out = []
        if shape.min_count is not None:
            counts = run.counts(shape.path)
            for f in focus:
                if counts.get(f, 0) < shape.min_count:
                    out.append((shape, [(SH.focusNode, from_ox(f)), (SH.resultPath, shape.path),
                                        (SH.sourceConstraintComponent, SH.MinCountConstraintComponent),
                                        *((SH.resultMessage, m) for m in shape.messages)]))
        if shape.any_of is not None:
            for f in focus:
                if not any(self._conforms(run, member, f) for member in shape.any_of):
                    value = from_ox(f)
                    out.append((shape, [(SH.focusNode, value), (SH.value, value),
                                        (SH.sourceConstraintComponent, SH.OrConstraintComponent),
                                        *((SH.resultMessage, m) for m in shape.messages)]))
        for constraint in shape.sparql:
            out += [(shape, triples) for triples in _sparql_results(run, shape, constraint, focus, self.batch)]
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


RDFS_SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"


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


# ---------------------------------------------------------------------------------------------
# SPARQL constraints
# ---------------------------------------------------------------------------------------------

def _sparql_results(run: _Run, shape: Shape, c: SparqlConstraint, focus: list, batch: bool = True) -> list:
    """pySHACL's results of one SPARQL constraint (sparql_based_constraints.py): one per distinct
    (this, path, value, other bindings) row of each focus node."""
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
    out = []
    for f in focus:
        fr = from_ox(f)
        seen: list = []
        failed = False
        for d in rows.get(fr, ()):
            if d.pop("failure", None) is not None:
                if not failed:
                    failed = True
                    out.append(_result(shape, c, fr, fr, None, None))
                continue
            p, v, t = d.pop("path", None), d.pop("value", None), d.pop("this", None)
            if p is None and v is None and t is None:
                continue
            key = (t, p, v, d)
            if key in seen:
                continue
            seen.append(key)
            v = fr if v is None else v
            out.append(_result(shape, c, t or fr, v, p, (t, p, v, d)))
    return out


def _solutions(results) -> list[dict]:
    names = [(v, v.value) for v in results.variables]
    return [{name: from_ox(sol[v]) for v, name in names if sol[v] is not None} for sol in results]


def _result(shape: Shape, c: SparqlConstraint, focus, value, path, bound) -> list:
    """pySHACL's make_v_result: the constraint's own messages not also on the shape, then the shape's;
    each with {?var} substituted (a plain literal) when there are bindings."""
    triples = [(SH.focusNode, focus), (SH.sourceConstraintComponent, SH.SPARQLConstraintComponent),
               (SH.sourceConstraint, c)]
    if value is not None:
        triples.append((SH.value, value))
    if path is not None:
        triples.append((SH.resultPath, path))
    for m in [m for m in c.messages if m not in shape.messages] + list(shape.messages):
        if isinstance(m, Literal) and bound is not None:
            m = Literal(_format_message(str(m), bound))
        triples.append((SH.resultMessage, m))
    return triples


def _format_message(msg: str, bound) -> str:
    """pySHACL's substitution of {?var} / {$var} (the other bindings, then this, path and value)."""
    t, p, v, others = bound
    values = dict(others)
    if t is not None:
        values["this"] = t
    if p is not None:
        values["path"] = p
    if v is not None:
        values["value"] = v
    for var, val in values.items():
        msg = re.sub("{{[?$]{}}}".format(var), str(val), msg)
    return msg


# ---------------------------------------------------------------------------------------------
# A rewrite for the query planner
# ---------------------------------------------------------------------------------------------

_CLOSURE_FILTER = re.compile(
    r"(?P<lead>[.{}]\s*)(?P<s>[?$]\w+|<[^<>\s]*>|[\w-]*:[\w-]*)\s+(?P<path>[^\s{}.;,]+[*+])\s+(?P<var>\?\w+)\s*\.?\s*"
    r"FILTER\s*\(\s*(?P=var)\s+IN\s*\((?P<values>[^()]*)\)\s*\)")
_IRI_TERM = re.compile(r"<[^<>\s]*>|[A-Za-z][\w-]*:[\w-]*")


def _closure_filters_to_unions(select: str) -> str:
    """`?x skos:broader* ?k . FILTER (?k IN (a, b))` becomes
    `{ ?x skos:broader* a BIND (a AS ?k) } UNION { ?x skos:broader* b BIND (b AS ?k) }`: the same
    solutions (a * or + path gives each (start, end) pair once, so one per listed concept reached, with
    ?k bound to it), but oxigraph evaluates each closure from its constant end instead of over every node
    of the graph, which it does inside EXISTS (profiled: 0.8 s -> 1.4 ms for gdpr-5-1-c-minimisation on
    WhiteProvider). Applied only when the FILTER directly follows the path pattern (same group) and
    lists IRIs."""
    def union(m: re.Match) -> str:
        var = m.group("var")
        values = [v.strip() for v in m.group("values").split(",")]
        if not values or not all(_IRI_TERM.fullmatch(v) for v in values):
            return m.group(0)
        branches = " UNION ".join("{ %s %s %s BIND (%s AS %s) }" % (m.group("s"), m.group("path"), v, v, var)
                                  for v in dict.fromkeys(values))
        return m.group("lead") + branches + " "
    return _CLOSURE_FILTER.sub(union, select)


# ---------------------------------------------------------------------------------------------
# When one query for all focus nodes is the same as one query per pre-bound $this
# ---------------------------------------------------------------------------------------------

_TOKEN = re.compile(r'''
    (?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""|'\'\'(?:[^'\\]|\\.|'(?!''))*'\'\'|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<comment>\#[^\n]*)
  | (?P<iri><[^<>"{}|^`\\\s]*>)
  | (?P<var>[?$][A-Za-z_0-9]+)
  | (?P<word>[A-Za-z_][A-Za-z_0-9-]*(?::[A-Za-z_0-9-]*)?)
  | (?P<punct>[{}()])
  | (?P<other>\S)
''', re.X)
_AGGREGATES = {"COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE", "GROUP_CONCAT"}


def _batch_body(select: str) -> str | None:
    """`select` with `VALUES ?this {FOCUS}` as the first element of its WHERE group, when joining that
    block is equivalent to pre-binding $this (SHACL-SPARQL §5.2.1) in each solution; else None.

    Joined first, ?this is bound in every solution of the top-level group, hence in its FILTERs, its
    BINDs, the EXISTS they evaluate, and the FILTERs of its OPTIONALs (the left join's condition sees
    both sides); a triple pattern that names ?this anywhere (a UNION branch, a nested group) is a join
    on it. Refused: ?this in an expression or EXISTS of a nested group or UNION branch (where it would
    be unbound), in the BIND of an OPTIONAL; sub-SELECTs, VALUES, MINUS, SERVICE, LIMIT/OFFSET;
    aggregates without GROUP BY ?this; a projection without ?this."""
    tokens = [(m.lastgroup, m.group(), m.start()) for m in _TOKEN.finditer(select)]
    tokens = [t for t in tokens if t[0] != "comment"]
    words = [v.upper() for k, v, _ in tokens if k == "word"]
    if words.count("SELECT") != 1 or {"VALUES", "MINUS", "SERVICE", "LIMIT", "OFFSET"} & set(words):
        return None
    first = next((i for i, t in enumerate(tokens) if t[1] == "{"), None)
    if first is None:
        return None
    projection = [v for k, v, _ in tokens[:first] if k in ("var", "other")]
    if "*" not in projection and not {"?this", "$this"} & set(projection):
        return None
    # aggregates need GROUP BY ?this
    has_aggregate = any(tokens[i][0] == "word" and tokens[i][1].upper() in _AGGREGATES and i + 1 < len(tokens)
                        and tokens[i + 1][1] == "(" for i in range(len(tokens)))
    grouped = False
    for i, (k, v, _) in enumerate(tokens):
        if k == "word" and v.upper() == "GROUP" and i + 1 < len(tokens) and tokens[i + 1][1].upper() == "BY":
            j = i + 2
            while j < len(tokens) and tokens[j][0] == "var":
                grouped = grouped or tokens[j][1][1:] == "this"
                j += 1
            if not grouped:
                return None
    if has_aggregate and not grouped:
        return None
    # walk the WHERE group. A frame's state: bound (?this bound in its solutions: the top group and the
    # EXISTS of its expressions), optional (an OPTIONAL of a bound frame: its FILTERs see ?this, its BINDs
    # do not), plain (a nested group or UNION branch: only its triple patterns may name ?this), dead.
    frames: list[list] = []   # [state, paren depth at open, last FILTER/BIND keyword seen in it]
    parens = 0
    prev = None
    for k, v, _ in tokens[first:]:
        up = v.upper()
        if v == "{":
            if not frames:
                state = "bound"
            else:
                outer, _, keyword = frames[-1]
                if prev == "EXISTS":
                    state = "bound" if outer == "bound" or (outer == "optional" and keyword == "FILTER") else "dead"
                elif prev == "OPTIONAL" and outer == "bound":
                    state = "optional"
                else:
                    state = "dead" if outer == "dead" else "plain"
            frames.append([state, parens, None])
        elif v == "}":
            if not frames:
                return None
            frames.pop()
            if not frames:
                break
        elif v == "(":
            parens += 1
        elif v == ")":
            parens -= 1
        elif k == "word" and up in ("FILTER", "BIND") and frames:
            frames[-1][2] = up
        elif k == "var" and v[1:] == "this" and frames:
            state, depth, keyword = frames[-1]
            if prev == "AS" or state == "dead":
                return None
            if parens > depth and not (state == "bound" or (state == "optional" and keyword == "FILTER")):
                return None
            if parens == depth and state in ("plain", "optional"):
                # a triple pattern of this group binds ?this (joined to the focus node) for what follows
                frames[-1][0] = "bound"
        prev = up if k == "word" else v
    if frames:
        return None
    at = tokens[first][2] + 1
    return select[:at] + " VALUES ?this { ", " } " + select[at:]


def _this_cuts(select: str) -> tuple[str, ...]:
    """The query split at each ?this / $this of its WHERE group: joined with a focus node's N-Triples
    form, it is SHACL's pre-binding (the variable replaced by the value; the projection keeps ?this,
    which the caller sets to the focus node)."""
    tokens = [m for m in _TOKEN.finditer(select) if m.lastgroup != "comment"]
    cuts, at, depth = [], 0, 0
    for m in tokens:
        if m.group() == "{":
            depth += 1
        elif m.group() == "}":
            depth -= 1
        elif depth and m.lastgroup == "var" and m.group()[1:] == "this":
            cuts.append(select[at:m.start()])
            at = m.end()
    cuts.append(select[at:])
    return tuple(cuts)


_GROUP_KEYWORDS = {"FILTER", "BIND", "OPTIONAL", "UNION", "MINUS", "VALUES", "SERVICE", "GRAPH", "EXISTS", "NOT",
                   "SELECT"}


def _exists_split(body: tuple[str, str]) -> tuple[str, str]:
    """_exists_to_joins on the batched query (cut where the focus nodes go)."""
    mark = "?__policykg_focus__"
    joined = _exists_to_joins(body[0] + mark + body[1])
    before, _, after = joined.partition(mark)
    return before, after


def _exists_to_joins(query: str) -> str:
    """In the batched query (?this bound first by VALUES), a top-level `FILTER NOT EXISTS { P }` becomes
    `MINUS { P }` and `FILTER EXISTS { P }` a join with `{ SELECT DISTINCT ?this WHERE { P } }`, when P
    is triple patterns only and shares no variable but ?this with the rest of the query: then both
    forms keep or drop a solution by its ?this alone, and oxigraph evaluates P once for all focus nodes
    instead of once per solution with joins it cannot plan (profiled: 80 ms -> 1 ms for
    core-statement-evidence on PlanetHoster's 259 statements)."""
    tokens = [m for m in _TOKEN.finditer(query) if m.lastgroup != "comment"]
    candidates = []     # (start, end, negated, inner text, variables of P)
    depth, i = 0, 0
    while i < len(tokens):
        m = tokens[i]
        v = m.group()
        if v == "{":
            depth += 1
        elif v == "}":
            depth -= 1
        elif depth == 1 and m.lastgroup == "word" and v.upper() == "FILTER":
            j = i + 1
            negated = j < len(tokens) and tokens[j].group().upper() == "NOT"
            j += negated
            if j + 1 < len(tokens) and tokens[j].group().upper() == "EXISTS" and tokens[j + 1].group() == "{":
                k, names, ok = j + 2, set(), True
                while k < len(tokens) and tokens[k].group() != "}":
                    t = tokens[k]
                    if t.group() == "{" or (t.lastgroup == "word" and t.group().upper() in _GROUP_KEYWORDS):
                        ok = False
                        break
                    if t.lastgroup == "var":
                        names.add(t.group()[1:])
                    k += 1
                if ok and k < len(tokens):
                    candidates.append((m.start(), tokens[k].end(), negated,
                                       query[tokens[j + 1].end():tokens[k].start()], names))
                    i = k + 1
                    continue
        i += 1
    out, at = [], 0
    for start, end, negated, inner, names in candidates:
        outside = {t.group()[1:] for t in tokens if t.lastgroup == "var" and not start <= t.start() < end}
        if "this" not in names or names & outside != {"this"}:
            continue
        out.append(query[at:start])
        out.append(f"MINUS {{{inner}}}" if negated else f"{{ SELECT DISTINCT ?this WHERE {{{inner}}} }}")
        at = end
    out.append(query[at:])
    return "".join(out)
