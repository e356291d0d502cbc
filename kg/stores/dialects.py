"""Server dialects: what a SPARQL server does otherwise than the embedded store, and how policykg makes its
answers and graphs the embedded store's anyway (docs/servers.md holds the table, with the tests).

A dialect is known from the server's `Server:` header (kg.stores.sparql learns it from the first answer,
or asks before a query or a push that it would rewrite). `STANDARD` changes nothing: Oxigraph, and every
server policykg knows no difference of. `VIRTUOSO` (OpenLink Virtuoso 7, tested with 7.2.5):

- no RDF 1.2 triple terms: `push` sends each graph's evidence in its RDF 1.1 form (kg.evidence.reify),
  reads give it back as stored (kg.evidence.unreify), and a query's `<<( s p o )>>` is rewritten as the
  reification's blank node (kg.stores.sparql_text);
- property paths with `*`, `+`, `?`: Virtuoso refuses most ("transitive start not given"), answers some
  wrongly (no rows when the start is a VALUES value, duplicates with `|`). `push` adds to each graph the
  closure of each path the query library reads in it (`?a <closure> ?b` for every pair the path joins,
  computed here by pyoxigraph, with a marker `<closure> a pkc:Closure`); a query's path is replaced by its
  closure's predicate; reads drop the closures. A path without a closure on the server is an error;
- typed literals kept by value, not by lexical form: durations come back as numbers (P2Y as 24, P30D as
  2.592e+06, and P1Y2D as 12: days lost), doubles and decimals in Virtuoso's form (1000 as 1000.0), a
  fraction of a second with three digits. `push` sends such literals with their datatype wrapped
  (`<…/lexical?datatype=<xsd IRI>>`, kept verbatim), a query's values too, and answers and reads unwrap it;
- booleans: stored ones come back as "1"/"0"^^xsd:boolean, computed ones as the integers 1 and 0. A
  boolean BIND or projection is wrapped in xsd:boolean(…) and every xsd:boolean answer is given its
  canonical form (true, false);
- ORDER BY: its own order of strings and of unbound values; the rows are sorted again here as the embedded
  store sorts them (kg.stores.ordering), ties left in the server's order; a graph's triples are given in the
  embedded store's order (`embedded_order`);
- results: its SPARQL JSON is written slowly (85,000 rows in 18 s), and its XML turns a carriage return into
  a line feed: a graph is read as N-Triples (`graph_construct`: 85,000 triples in 2 s), SELECTs in JSON.
"""
from __future__ import annotations

import hashlib
import re
import urllib.parse
from functools import lru_cache

import pyoxigraph as ox

from ..evidence import reify, unreify
from .ordering import order_rows, split_order
from .sparql_text import paths, replace_paths, triple_terms_as_reification, typed_booleans

XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
LEXICAL = "https://w3id.org/policykg/lexical?datatype="   # + the datatype IRI, percent-encoded
CLOSURE = "https://w3id.org/policykg/closure#"            # + a hash of the path's canonical text
CLOSURE_CLASS = ox.NamedNode(CLOSURE + "Closure")
XSD_BOOLEAN = ox.NamedNode(XSD + "boolean")
_TRUE, _FALSE = ox.Literal("true", datatype=XSD_BOOLEAN), ox.Literal("false", datatype=XSD_BOOLEAN)
# kept by value on Virtuoso: the lexical form is not given back
_BY_VALUE = {XSD + t for t in ("duration", "yearMonthDuration", "dayTimeDuration", "decimal", "float", "double")}
_INTEGERS = {XSD + t for t in ("integer", "long", "int", "short", "byte", "nonNegativeInteger", "positiveInteger",
                               "nonPositiveInteger", "negativeInteger", "unsignedLong", "unsignedInt",
                               "unsignedShort", "unsignedByte")}
_CANONICAL_INTEGER = re.compile(r"0|-?[1-9]\d*")
_CLOCK = {XSD + t for t in ("dateTime", "time", "dateTimeStamp")}



class Dialect:
    """SPARQL 1.1 and RDF 1.2 as the embedded store speaks them: nothing to change."""

    name = "SPARQL 1.1"
    needs_closures = False
    graph_construct: str | None = None   # a CONSTRUCT of graph ?g's triples (None: the store interface's SELECT)
    graph_count: str | None = None       # the number of triples graph_construct gives

    def __str__(self) -> str:
        return self.name

    def bound(self, bindings: dict) -> dict:
        """The values of a query's parameters as the server holds such terms."""
        return bindings

    def query(self, text: str, closures: dict) -> str:
        """The text to send for `text` (its VALUES block already in)."""
        return text

    def answer(self, text: str, columns: list[str], rows: list[tuple]) -> list[tuple]:
        """The rows as the embedded store gives them."""
        return rows

    def outgoing(self, graph: str, triples: list) -> list:
        """The triples `push` sends for a graph of the embedded store."""
        return triples

    def incoming(self, graph: str, triples: list) -> list:
        """A graph's triples as the server gave them (graph_construct) -> as the embedded store holds them, in
        its order."""
        return triples


class Virtuoso(Dialect):
    """OpenLink Virtuoso 7 (module docstring)."""

    name = "Virtuoso"
    needs_closures = True
    # its graph as N-Triples, without the closures: 85,000 triples in 2 s (as SPARQL JSON rows, 18 s); as
    # ResultSetMaxRows cuts a CONSTRUCT without saying so, its triples are counted first (graph_count)
    _GRAPH = ("WHERE { GRAPH ?g { ?s ?p ?o FILTER(!STRSTARTS(STR(?p), \"%s\") && !(isIRI(?s) && "
              "STRSTARTS(STR(?s), \"%s\"))) } }" % (CLOSURE, CLOSURE))
    graph_construct = "CONSTRUCT { ?s ?p ?o } " + _GRAPH
    graph_count = "SELECT (COUNT(*) AS ?n) " + _GRAPH

    def bound(self, bindings: dict) -> dict:
        return {name: _wrap(term) for name, term in bindings.items()}

    def query(self, text: str, closures: dict) -> str:
        text = triple_terms_as_reification(typed_booleans(text))
        return replace_paths(text, closures)

    def answer(self, text: str, columns: list[str], rows: list[tuple]) -> list[tuple]:
        rows = [row if not any(map(_altered, row)) else tuple(map(_restored, row)) for row in rows]
        plan = split_order(text)
        if plan is not None and plan[2] == 0 and plan[3] is None:   # no LIMIT/OFFSET: the rows are all here
            ordered = order_rows(rows, columns, plan[1])
            if ordered is not None:
                return ordered
        return rows

    def outgoing(self, graph: str, triples: list) -> list:
        closures = closure_triples(graph, triples)
        if any(_has_triple_term(t) for t in triples):
            triples = reify(triples)
            left = next((t for t in triples if _has_triple_term(t)), None)
            if left is not None:
                raise ValueError(f"the graph {graph} holds a triple term outside the evidence ({left}), which this "
                                 "server cannot store")
        return [_wrapped(t) for t in triples] + closures

    def incoming(self, graph: str, triples: list) -> list:
        kept = [t if not _altered(t.object) else ox.Triple(t.subject, t.predicate, _restored(t.object))
                for t in triples if not (t.predicate.value.startswith(CLOSURE) or t.subject.value.startswith(CLOSURE))]
        return embedded_order(graph, unreify(kept))


STANDARD = Dialect()
VIRTUOSO = Virtuoso()


def dialect_for(server: str | None) -> Dialect:
    """The dialect of a server by its `Server:` header (e.g. `Virtuoso/07.20.3229 (Linux) …`)."""
    return VIRTUOSO if server and server.strip().lower().startswith("virtuoso/") else STANDARD


_SCRATCH: dict = {}   # pid -> [TemporaryDirectory, pyoxigraph Store, quads written]: one per process
_SCRATCH_QUADS = 2_000_000   # a scratch store that holds more is dropped and a new one made


def embedded_order(graph: str, triples: list) -> list:
    """The triples in the order the embedded store gives them (an on-disk pyoxigraph store orders one graph's
    triples by its index, whatever the order they came in; the in-memory store does not): they are written
    to a scratch store of this process, under a graph name of their own, and read back. Where policykg takes
    the first of equals (a finding's quote, the order of a diff's quotes), a server's own order would pick
    otherwise."""
    if len(triples) < 2:
        return triples
    import os
    import tempfile
    scratch = _SCRATCH.get(os.getpid())
    if scratch is None or scratch[2] > _SCRATCH_QUADS:
        folder = tempfile.TemporaryDirectory(prefix="policykg-order-")
        scratch = _SCRATCH[os.getpid()] = [folder, ox.Store(folder.name), 0]
    name = ox.NamedNode(f"urn:policykg:order:{scratch[2]}")   # within one graph the order does not depend on its name
    scratch[2] += len(triples)
    scratch[1].extend(ox.Quad(t.subject, t.predicate, t.object, name) for t in triples)
    return [q.triple for q in scratch[1].quads_for_pattern(None, None, None, name)]


def _has_triple_term(t) -> bool:
    return isinstance(t.subject, ox.Triple) or isinstance(t.object, ox.Triple)


# --- literals ----------------------------------------------------------------------------------------------

def _kept_verbatim(literal: ox.Literal) -> bool:
    """Whether Virtuoso gives this literal back as it is."""
    datatype = literal.datatype.value
    if datatype in _BY_VALUE:
        return False
    if datatype == XSD + "boolean":
        return literal.value in ("true", "false")
    if datatype in _INTEGERS:
        return bool(_CANONICAL_INTEGER.fullmatch(literal.value))
    if datatype in _CLOCK:   # a fraction of a second comes back with three digits (.25 as .250)
        return "." not in literal.value
    return True


def _wrap(term):
    if isinstance(term, ox.Literal) and term.language is None and not _kept_verbatim(term):
        return ox.Literal(term.value, datatype=ox.NamedNode(LEXICAL + urllib.parse.quote(term.datatype.value, safe="")))
    return term


def _wrapped(t):
    o = _wrap(t.object)
    return t if o is t.object else ox.Triple(t.subject, t.predicate, o)


def _altered(term) -> bool:
    """Whether an answer's term is one Virtuoso changed (a wrapped datatype, a boolean's 1 or 0)."""
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value
        return datatype.startswith(LEXICAL) or (datatype == XSD + "boolean" and term.value in ("1", "0"))
    return isinstance(term, ox.NamedNode) and term.value.startswith(LEXICAL)


def _restored(term):
    """The term as pushed: the datatype unwrapped, a boolean in its canonical form."""
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value
        if datatype.startswith(LEXICAL):
            return ox.Literal(term.value, datatype=ox.NamedNode(urllib.parse.unquote(datatype[len(LEXICAL):])))
        if datatype == XSD + "boolean" and term.value in ("1", "0"):
            return _TRUE if term.value == "1" else _FALSE
    elif isinstance(term, ox.NamedNode) and term.value.startswith(LEXICAL):
        return ox.NamedNode(urllib.parse.unquote(term.value[len(LEXICAL):]))
    return term


# --- path closures -----------------------------------------------------------------------------------------

def closure_predicate(canonical: str) -> str:
    """The predicate of the closure of a path (its canonical text, kg.stores.sparql_text.paths)."""
    return CLOSURE + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:24]


@lru_cache(maxsize=1)
def library_paths() -> dict[str, frozenset[str]]:
    """graph IRI -> the canonical paths the query library reads in that graph (GRAPH <iri> { … })."""
    from ..files import read_text_input
    from ..resources import queries_dir
    found: dict[str, set[str]] = {}
    for path in sorted(queries_dir().glob("*.rq")):
        for use in paths(read_text_input(path, "query file")):
            if use.graph is not None:
                found.setdefault(use.graph, set()).add(use.canonical)
    return {graph: frozenset(uses) for graph, uses in found.items()}


def closure_triples(graph: str, triples: list) -> list:
    """For each library path read in `graph`: `?a <closure> ?b` for each pair the path joins in these
    triples (pyoxigraph's answer: SPARQL's semantics, zero-length pairs included; a literal cannot be a
    subject, so its own pair is left out), and the marker `<closure> a pkc:Closure`."""
    wanted = library_paths().get(graph)
    if not wanted:
        return []
    store = ox.Store()
    store.extend(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples)
    out = []
    for canonical in sorted(wanted):
        predicate = ox.NamedNode(closure_predicate(canonical))
        out.append(ox.Triple(predicate, RDF_TYPE, CLOSURE_CLASS))
        for solution in store.query(f"SELECT DISTINCT ?a ?b WHERE {{ ?a {canonical} ?b }}"):
            a, b = solution[0], solution[1]
            if not isinstance(a, ox.Literal):
                out.append(ox.Triple(a, predicate, b))
    return out


CLOSURES_QUERY = f"SELECT ?g ?c WHERE {{ GRAPH ?g {{ ?c a <{CLOSURE_CLASS.value}> }} }}"


def closures_of(rows: list[tuple]) -> set[tuple[str, str]]:
    """(graph, closure predicate) pairs from the answer to CLOSURES_QUERY."""
    return {(g.value, c.value) for g, c in rows if isinstance(g, ox.NamedNode) and isinstance(c, ox.NamedNode)}


def closure_map(text: str, held: set[tuple[str, str]]) -> dict:
    """(graph, canonical path) -> closure predicate, for the paths of `text` whose closure the server holds."""
    out = {}
    for use in paths(text):
        predicate = closure_predicate(use.canonical)
        if (use.graph, predicate) in held:
            out[(use.graph, use.canonical)] = predicate
    return out
