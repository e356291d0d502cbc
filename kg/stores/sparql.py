"""A SPARQL 1.1 endpoint as a store (`SparqlEndpoint`, a PolicyStore): queries by the SPARQL 1.1 Protocol
(HTTP POST), uploads by the Graph Store Protocol. The endpoint's other jobs have their own modules, whose
names this module keeps for its callers:

    kg.stores.sparql_http      HTTP with a deadline, redirects within the origin, credentials; the errors
    kg.stores.sparql_results   SPARQL JSON results read as a stream into rows of terms
    kg.stores.sparql_text      query text read and rewritten for a server's dialect
    kg.stores.dialects         what a server does otherwise (Virtuoso), and how its answers are made the
                               embedded store's
    kg.stores.sparql_push      push: named graphs replaced whole (PUT), an incomplete push said as such

Parameters reach a remote endpoint as a `VALUES` block inserted right after the opening brace of the outer
query's WHERE clause. The block is built only from serialised RDF terms (pyoxigraph's N-Triples form of
terms that the query library has already checked), never from the user's text, so the query file's text
is sent unchanged around it: `sent == text[:i] + block + text[i:]` (see docs/queries-engine.md).

Credentials: a user name from the command line, the password from the environment variable
POLICYKG_ENDPOINT_PASSWORD (never from the command line). Each request ends within `timeout` seconds in all
and follows redirects within its origin only (kg.stores.sparql_http).
"""
from __future__ import annotations

import base64
import re
import time
import urllib.error
import urllib.parse
import urllib.request

import pyoxigraph as ox

from .. import namespaces as ns
from ..errors import UsageError
from .base import PolicyStore, Solutions
from .dialects import CLOSURES_QUERY, STANDARD, Dialect, closure_map, closures_of, dialect_for
from .sparql_http import (PASSWORD_ENV, TIMEOUT_S, USER_AGENT, CrossOriginRedirect, DeadlineHandler,
                          EndpointAuthError, EndpointError, EndpointRedirectError, EndpointTimeoutError,
                          EndpointUnreachableError, SameOriginRedirects, check_url, cut_short, endpoint_error,
                          opener, origin, time_left)
from .sparql_push import PushedGraph, PushIncompleteError, prune_graphs, push_graphs, stale_graphs
from .sparql_text import might_rewrite
from .sparql_results import (MAX_VALUE_CHARS, READ_CHUNK, TERM_TYPES, JsonReader, MalformedResults,
                             ResultsReader, read_solutions, term_from_json)

PUSH_MEDIA_TYPE = "application/n-triples"
RESULTS_ACCEPT = "application/sparql-results+json, application/json;q=0.9"
CAP_FIX = ("raise the server's limit above the largest answer policykg asks for (Virtuoso: ResultSetMaxRows, "
           "MaxQueryExecutionTime in the [SPARQL] section of virtuoso.ini; docs/servers.md)")
PROBE = "SELECT ?policykg WHERE { }"   # holds nothing any dialect rewrites: its answer's headers say the server


class GraphStoreUnknownError(UsageError):
    id = "graph-store-unknown"


# --- the VALUES block ------------------------------------------------------------------------------------

# Tokens that may precede the WHERE clause's brace: comments, IRIs, strings. Braces inside them do not count.
_SKIP = re.compile(r'#[^\n]*|<[^<>"{}|^`\\\x00-\x20]*>|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'')
_WHERE = re.compile(r"\bWHERE\b", re.IGNORECASE)


def where_brace(text: str) -> int:
    """The offset just after the opening brace of the outer query's WHERE clause (the first `{` outside
    comments, IRIs and strings: the prologue and the SELECT clause contain none)."""
    pos = 0
    while pos < len(text):
        skip = _SKIP.match(text, pos)
        if skip:
            pos = skip.end()
            continue
        if text[pos] == "{":
            return pos + 1
        pos += 1
    raise ValueError("the query has no WHERE clause")


def serialize_term(term) -> str:
    """A checked RDF term in N-Triples/SPARQL syntax (`<iri>`, `"lexical"^^<datatype>`, `"text"@lang`)."""
    if not isinstance(term, (ox.NamedNode, ox.Literal)):
        raise TypeError(f"only IRIs and literals can be bound, not {term!r}")
    return str(term)


def values_block(bindings: dict[str, object]) -> str:
    """`VALUES ?name { term }` lines for each bound variable, in name order; '' when nothing is bound."""
    return "".join(f"\n  VALUES ?{name} {{ {serialize_term(term)} }}" for name, term in sorted(bindings.items()))


def with_values(text: str, bindings: dict[str, object]) -> str:
    """The query text with the VALUES block inserted after its WHERE clause's opening brace."""
    block = values_block(bindings)
    if not block:
        return text
    i = where_brace(text)
    return text[:i] + block + text[i:]


# --- the endpoint -----------------------------------------------------------------------------------------

def graph_store_for(endpoint: str, user: str | None = None) -> str | None:
    """The Graph Store Protocol URL of the usual servers, derived from their query endpoint URL, or None.

    Oxigraph `…/query` -> `…/store`; Fuseki `…/<dataset>/query|sparql` -> `…/<dataset>/data`;
    Virtuoso `…/sparql` -> `…/sparql-graph-crud` (`-auth` with a user); GraphDB
    `…/repositories/<id>` -> `…/repositories/<id>/rdf-graphs/service`.
    """
    parts = urllib.parse.urlsplit(endpoint)
    path = parts.path.rstrip("/")
    if path == "/query":
        new = "/store"
    elif path == "/sparql":
        new = "/sparql-graph-crud-auth" if user else "/sparql-graph-crud"
    elif re.fullmatch(r"/repositories/[^/]+", path):
        new = path + "/rdf-graphs/service"
    elif re.fullmatch(r"(/[^/]+)+/(query|sparql)", path):
        new = path.rsplit("/", 1)[0] + "/data"
    else:
        return None
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, new, "", ""))


class SparqlEndpoint(PolicyStore):
    """A remote SPARQL 1.1 endpoint (and its Graph Store Protocol service, for `push`). Each request ends
    within `timeout` seconds in all and follows redirects within its origin only (module docstring). The
    store interface's reads (inventory, graphs, patterns) are SELECTs with bound values (kg.stores.base)."""

    kind = "sparql"

    def __init__(self, url: str, *, graph_store: str | None = None, user: str | None = None,
                 password: str | None = None, timeout: float = TIMEOUT_S, dialect: Dialect | None = None):
        check_url(url, "--endpoint")
        if graph_store:
            check_url(graph_store, "--graph-store")
        self.url = url
        self.user = user
        self.password = password
        self.timeout = timeout
        self.graph_store = graph_store or graph_store_for(url, user)
        self.last_query: str | None = None   # the exact text last sent (for tests and --debug)
        self._urllib: urllib.request.OpenerDirector | None = None
        self._knocked = False   # the graph store's challenge asked for (with a user)
        self._dialect = dialect   # kg.stores.dialects: given, or learnt from the server's first answer
        self._closures: set | None = None   # (graph, closure predicate) the server holds (dialects.CLOSURES_QUERY)
        if user and not password:
            raise EndpointAuthError(f"--user {user} is given but no password", url,
                                    f"set the environment variable {PASSWORD_ENV} to the password "
                                    "(it is never read from the command line)")

    def __str__(self) -> str:
        return self.url

    # queries

    def select(self, text: str, bindings: dict[str, object] | None = None) -> Solutions:
        """Run a SELECT (an HTML-form POST, as the SPARQL 1.1 Protocol allows) and read its JSON results as
        they arrive. On a server with a dialect of its own (kg.stores.dialects) the text sent is rewritten
        for it and the answer made the embedded store's; Solutions.text is the text sent."""
        bindings = bindings or {}
        if self._dialect is None and (might_rewrite(text) or any(isinstance(t, ox.Literal) for t in bindings.values())):
            self.dialect   # noqa: B018 - asks the server which it is before writing the query for it
        sent = with_values(text, self._dialect.bound(bindings) if self._dialect is not None else bindings)
        wire = self._for_server(sent)
        columns, rows = self._run(wire)
        dialect = self._dialect or STANDARD   # learnt from this answer at the latest
        if dialect is not STANDARD:
            rows = dialect.answer(sent, columns, rows)
        return Solutions(columns, rows, wire)

    @property
    def dialect(self) -> Dialect:
        """The server's dialect, asked with a query that holds nothing to rewrite if not known yet."""
        if self._dialect is None:
            try:
                self._run(PROBE)
            except EndpointError:
                if self._dialect is None:   # no answer at all
                    raise
        return self._dialect or STANDARD

    def _for_server(self, sent: str) -> str:
        """The text to send for `sent` in the server's dialect (a rewrite it cannot make is an error)."""
        dialect = self._dialect
        if dialect is None or dialect is STANDARD:
            return sent
        try:
            closures = closure_map(sent, self._held_closures()) if dialect.needs_closures else {}
            return dialect.query(sent, closures)
        except ValueError as exc:
            raise EndpointError(f"{self.url} ({dialect}) cannot answer this query as written: {exc}", self.url,
                                "policykg answers the query library's property paths from the closures 'policykg "
                                "push' stores on this server: push again with this version of policykg; a query "
                                "of your own must use only those paths (docs/servers.md)") from None

    def _held_closures(self) -> set:
        if self._closures is None:
            self._closures = closures_of(self._run(CLOSURES_QUERY)[1])
        return self._closures

    def _run(self, wire: str) -> tuple[list[str], list[tuple]]:
        """Send a query's text as it is; its columns and rows, as the server gave them."""
        headers = {"Accept": RESULTS_ACCEPT, "Content-Type": "application/x-www-form-urlencoded",
                   "User-Agent": USER_AGENT}
        request = urllib.request.Request(self.url, data=urllib.parse.urlencode({"query": wire}).encode(),
                                         headers=headers, method="POST")
        if self.user:   # Basic, sent at once (one round trip); the opener's answer to a Digest challenge replaces it
            token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode("ascii")
            request.add_unredirected_header("Authorization", f"Basic {token}")
        self.last_query = wire
        try:
            with self._open(request) as response:
                columns, rows = read_solutions(response)
                cut = cut_short(response.headers, len(rows))
        except MalformedResults as exc:
            where = f"{self.url}, {exc.place}" if exc.place else self.url
            raise EndpointError(f"{self.url} did not answer with valid SPARQL JSON results: {exc.detail}", where,
                                "check that the URL is the server's SPARQL query endpoint (not its web page or a "
                                "proxy's login page); if it is, the server's answer is broken: see its log") from None
        except Exception as exc:  # noqa: BLE001 - urllib, http.client and socket errors
            raise self._error(exc, "query") from None
        if cut:
            raise EndpointError(f"{self.url} gave a partial answer: {cut}", self.url, CAP_FIX)
        return columns, rows

    def bad_answer(self, detail: str) -> EndpointError:
        """Valid results that do not hold what the query asked (a literal as a graph or a subject, a column
        missing): endpoint-error, as for results that do not parse."""
        return EndpointError(f"{self.url} did not answer what was asked: {detail}", self.url,
                             "check that the URL is a SPARQL 1.1 query endpoint that holds the graphs 'policykg "
                             "push' uploads; if it is, the server's answer is broken: see its log")

    def policy_graph_iri(self, selector: str) -> str:
        """The graph IRI of SLUG@DATE (built), or of SLUG's latest version (asked of the endpoint)."""
        slug, _, version = selector.partition("@")
        if version == "*":
            raise UsageError(f"'{selector}' names every version; a query's policy is one graph", self.url,
                             f"use {slug}@DATE for one version, or {slug} for the latest",
                             error_id="unknown-policy")
        if version:
            return ns.policy_graph_iri(slug, version)
        try:
            work = ox.NamedNode(ns.POLICY_BASE + slug)
        except ValueError:
            work = None
        found = []
        if work is not None:
            text = ("PREFIX dct: <http://purl.org/dc/terms/>\nSELECT ?g WHERE { GRAPH ?g { ?notice dct:isVersionOf "
                    "?work } }\nORDER BY DESC(?g)")
            found = [row[0].value for row in self.select(text, {"work": work}).rows if row[0] is not None]
        if not found:
            raise UsageError(f"no policy '{selector}' on {self.url}", self.url,
                             "push it first ('policykg push'), or use SLUG@DATE", error_id="unknown-policy")
        return found[0]

    # graphs

    def quads_for_pattern(self, subject=None, predicate=None, object=None, graph_name=None) -> list[ox.Quad]:
        """As the store interface's (kg.stores.base). On a server with a dialect of its own the whole graph is
        read, made the embedded store's (dialect.incoming), and the pattern matched here."""
        pattern = (subject, predicate, object)
        if self.dialect is STANDARD:   # asked first: how a graph is read depends on the server
            return super().quads_for_pattern(subject, predicate, object, graph_name)
        if any(isinstance(term, ox.BlankNode) for term in pattern):
            raise TypeError("only IRIs, literals and triple terms can be bound in a pattern")
        if not isinstance(graph_name, ox.NamedNode):
            raise TypeError(f"a pattern is read within one named graph, not {graph_name!r}")
        triples = self._construct(self._dialect.graph_construct, graph_name)
        held = self.select(self._dialect.graph_count, {"g": graph_name}).rows
        if not held or not isinstance(held[0][0], ox.Literal) or not held[0][0].value.isdigit():
            raise self.bad_answer("the count of a graph's triples is not a number")
        if len(triples) != int(held[0][0].value):
            raise EndpointError(f"{self.url} gave a partial answer: {len(triples)} of the {held[0][0].value} triples "
                                f"of {graph_name.value} (Virtuoso cuts a CONSTRUCT at ResultSetMaxRows without "
                                "saying so)", self.url, CAP_FIX)
        triples = self._dialect.incoming(graph_name.value, triples)
        return [ox.Quad(t.subject, t.predicate, t.object, graph_name) for t in triples
                if all(want is None or want == got for want, got in zip(pattern, (t.subject, t.predicate, t.object)))]

    def _construct(self, text: str, graph: ox.NamedNode) -> list:
        """The triples a CONSTRUCT over graph ?g (bound: VALUES after its WHERE's brace) gives, as N-Triples."""
        i = text.index("WHERE {") + len("WHERE {")
        wire = text[:i] + values_block({"g": graph}) + text[i:]
        request = urllib.request.Request(self.url, data=urllib.parse.urlencode({"query": wire}).encode(),
                                         headers={"Accept": "application/n-triples", "User-Agent": USER_AGENT,
                                                  "Content-Type": "application/x-www-form-urlencoded"},
                                         method="POST")
        self.last_query = wire
        try:
            with self._open(request) as response:
                kind = response.headers.get_content_type()
                if kind not in ("application/n-triples", "text/plain"):
                    raise MalformedResults(f"the answer is {kind}, not the N-Triples asked for")
                triples = [q.triple for q in ox.parse(input=response, format=ox.RdfFormat.N_TRIPLES)]
                cut = cut_short(response.headers, len(triples))
        except (MalformedResults, SyntaxError) as exc:
            detail = exc.detail if isinstance(exc, MalformedResults) else f"invalid N-Triples ({exc})"
            raise EndpointError(f"{self.url} did not answer with the graph's triples: {detail}", self.url,
                                "check that the URL is the server's SPARQL query endpoint; if it is, the server's "
                                "answer is broken: see its log") from None
        except Exception as exc:  # noqa: BLE001 - urllib, http.client and socket errors
            raise self._error(exc, "query") from None
        if cut:
            raise EndpointError(f"{self.url} gave a partial answer: {cut}", self.url, CAP_FIX)
        return triples

    # uploads

    def prepare_graph(self, graph: str, triples: list) -> list:
        """The triples `push` sends for a graph of the embedded store, in the server's dialect (learnt from the
        graph store's answer to a first bodiless request)."""
        if not self._knocked:
            self._knock(self.require_graph_store())
        dialect = self._dialect or STANDARD
        try:
            return dialect.outgoing(graph, triples)
        except ValueError as exc:
            raise EndpointError(f"{self.url} ({dialect}) cannot hold the graph: {exc}", graph,
                                "see docs/servers.md for what this server stores") from None


    def _graph_url(self, graph: str) -> tuple[str, str]:
        """(the graph store, the URL of one of its graphs), the server knocked at before the first write; what
        the server holds changes, so its closures are asked again before the next query that needs them."""
        store = self.require_graph_store()
        sep = "&" if "?" in store else "?"
        if not self._knocked:
            self._knock(store)
        self._closures = None
        return store, f"{store}{sep}graph={urllib.parse.quote(graph, safe='')}"

    def put_graph(self, graph: str, ntriples: bytes) -> int:
        """Replace the named graph `graph` with these N-Triples (Graph Store Protocol PUT); the HTTP status."""
        store, url = self._graph_url(graph)
        for attempt in (1, 2):
            request = urllib.request.Request(url, data=ntriples, method="PUT",
                                             headers={"Content-Type": PUSH_MEDIA_TYPE, "User-Agent": USER_AGENT})
            try:
                with self._open(request) as response:
                    return response.status
            except (BrokenPipeError, ConnectionResetError) as exc:
                # with a user: the server may have closed on a stale challenge before reading the body; the
                # PUT is idempotent, so it is sent once more with a fresh challenge
                if not self.user or attempt == 2:
                    raise self._error(exc, "graph store", url=store) from None
                self._knock(store)
            except Exception as exc:  # noqa: BLE001
                raise self._error(exc, "graph store", url=store) from None
        raise AssertionError("unreachable")

    def delete_graph(self, graph: str) -> int:
        """Remove the named graph `graph` (Graph Store Protocol DELETE); the HTTP status. A graph the server
        no longer has (404) is already what was asked."""
        store, url = self._graph_url(graph)
        request = urllib.request.Request(url, method="DELETE", headers={"User-Agent": USER_AGENT})
        try:
            with self._open(request) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return 404
            raise self._error(exc, "graph store", url=store) from None
        except Exception as exc:  # noqa: BLE001
            raise self._error(exc, "graph store", url=store) from None

    def _knock(self, store: str) -> None:
        """A bodiless HEAD to the graph store before the first upload: its answer says the server's dialect,
        and with a user its Digest challenge is answered before an upload's body is sent
        (kg.stores.sparql_http.PreemptiveDigest). Its status does not matter (HEAD may not be implemented),
        only whether the server is there and takes the user."""
        request = urllib.request.Request(store, method="HEAD", headers={"User-Agent": USER_AGENT})
        try:
            with self._open(request):
                pass
        except urllib.error.HTTPError as exc:
            if exc.code in (401, 403):
                raise self._error(exc, "graph store", url=store) from None
        except Exception as exc:  # noqa: BLE001
            raise self._error(exc, "graph store", url=store) from None
        self._knocked = True

    def require_graph_store(self) -> str:
        """The Graph Store Protocol URL, or a usage error saying how to give it."""
        if not self.graph_store:
            raise GraphStoreUnknownError(f"no Graph Store Protocol URL is known for {self.url}", self.url,
                                         "add --graph-store URL (Oxigraph …/store, Fuseki …/<dataset>/data, "
                                         "GraphDB …/repositories/<id>/rdf-graphs/service, Virtuoso "
                                         "…/sparql-graph-crud); see docs/queries-engine.md")
        return self.graph_store

    # HTTP

    def _open(self, request: urllib.request.Request):
        """Send the request; the answer, to be read before the deadline (now + timeout) like the rest. The
        first answer's `Server:` header says the server's dialect."""
        request.deadline = time.monotonic() + self.timeout
        if self._urllib is None:   # built once: it costs more than a request
            self._urllib = opener(self.user, self.password, (self.url, self.graph_store))
        try:
            response = self._urllib.open(request)
        except urllib.error.HTTPError as exc:
            self._learn(exc.headers)
            raise
        self._learn(response.headers)
        return response

    def _learn(self, headers) -> None:
        if self._dialect is None and headers is not None:
            self._dialect = dialect_for(headers.get("Server"))

    def _error(self, exc: Exception, what: str, url: str | None = None) -> EndpointError:
        return endpoint_error(exc, what, url or self.url, self.timeout)


__all__ = [
    "MAX_VALUE_CHARS", "PASSWORD_ENV", "PUSH_MEDIA_TYPE", "READ_CHUNK", "RESULTS_ACCEPT", "TERM_TYPES", "TIMEOUT_S",
    "USER_AGENT", "CrossOriginRedirect", "DeadlineHandler", "EndpointAuthError", "EndpointError",
    "EndpointRedirectError", "EndpointTimeoutError", "EndpointUnreachableError", "GraphStoreUnknownError",
    "JsonReader", "MalformedResults", "PushIncompleteError", "PushedGraph", "ResultsReader", "SameOriginRedirects",
    "SparqlEndpoint", "graph_store_for", "origin", "prune_graphs", "push_graphs", "stale_graphs", "read_solutions", "serialize_term",
    "term_from_json", "time_left", "values_block", "where_brace", "with_values",
]
