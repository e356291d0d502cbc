"""A SPARQL 1.1 endpoint as a store: queries through SPARQLWrapper, uploads through the Graph Store Protocol.

Parameters reach a remote endpoint as a `VALUES` block inserted right after the opening brace of the outer
query's WHERE clause. The block is built only from serialised RDF terms (pyoxigraph's N-Triples form of
terms that the query library has already checked), never from the user's text, so the query file's text
is sent unchanged around it: `sent == text[:i] + block + text[i:]` (see docs/queries-engine.md).

Uploads replace whole named graphs (HTTP PUT `<graph store>?graph=<iri>`), so pushing twice gives the same
graphs, not duplicates. Credentials: a user name from the command line, the password from the environment
variable POLICYKG_ENDPOINT_PASSWORD (never from the command line).
"""
from __future__ import annotations

import ast
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from .. import namespaces as ns
from ..errors import EnvironmentError_, UsageError

PASSWORD_ENV = "POLICYKG_ENDPOINT_PASSWORD"
TIMEOUT_S = 60
PUSH_MEDIA_TYPE = "application/n-triples"


class EndpointError(EnvironmentError_):
    """The endpoint answered with an error (a status other than 401/403)."""
    id = "endpoint-error"


class EndpointUnreachableError(EndpointError):
    id = "endpoint-unreachable"


class EndpointAuthError(EndpointError):
    id = "endpoint-auth"


class EndpointTimeoutError(EndpointUnreachableError):
    id = "endpoint-timeout"


class PushIncompleteError(EndpointError):
    """A push that stopped after some graphs were replaced: it says which went, which did not."""
    id = "push-incomplete"


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


# --- terms from SPARQL JSON results ------------------------------------------------------------------------

def term_from_json(value: dict):
    """A binding of the W3C SPARQL 1.1 JSON results format -> a pyoxigraph term."""
    kind = value.get("type")
    if kind == "uri":
        return ox.NamedNode(value["value"])
    if kind == "bnode":
        try:
            return ox.BlankNode(value["value"])
        except ValueError:
            return ox.BlankNode()
    if kind in ("literal", "typed-literal"):
        if value.get("xml:lang"):
            return ox.Literal(value["value"], language=value["xml:lang"])
        if value.get("datatype"):
            return ox.Literal(value["value"], datatype=ox.NamedNode(value["datatype"]))
        return ox.Literal(value["value"])
    raise ValueError(f"unexpected term in SPARQL results: {value!r}")


# --- the endpoint -----------------------------------------------------------------------------------------

@dataclass
class Solutions:
    """What a store answers to a SELECT: column names, rows of terms (None = unbound), the text sent."""
    columns: list[str]
    rows: list[tuple]
    text: str


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


class SparqlEndpoint:
    """A remote SPARQL 1.1 endpoint (and its Graph Store Protocol service, for `push`)."""

    kind = "sparql"

    def __init__(self, url: str, *, graph_store: str | None = None, user: str | None = None,
                 password: str | None = None, timeout: float = TIMEOUT_S):
        try:
            parts = urllib.parse.urlsplit(url)
            parts.port   # noqa: B018 - raises ValueError on a bad port
        except ValueError as exc:
            raise UsageError(f"--endpoint {url} is not a valid URL ({exc})", url,
                             "write it as http://HOST:PORT/PATH, e.g. http://127.0.0.1:7878/query",
                             error_id="usage") from None
        self.url = url
        self.user = user
        self.password = password
        self.timeout = timeout
        self.graph_store = graph_store or graph_store_for(url, user)
        self.last_query: str | None = None   # the exact text last sent (for tests and --debug)
        if user and not password:
            raise EndpointAuthError(f"--user {user} is given but no password", url,
                                    f"set the environment variable {PASSWORD_ENV} to the password "
                                    "(it is never read from the command line)")

    def __str__(self) -> str:
        return self.url

    # queries

    def select(self, text: str, bindings: dict[str, object] | None = None) -> Solutions:
        from SPARQLWrapper import JSON, POST, SPARQLWrapper
        sent = with_values(text, bindings or {})
        wrapper = SPARQLWrapper(self.url)
        wrapper.setQuery(sent)
        wrapper.queryType = "SELECT"   # never let the text's words turn it into an update request
        wrapper.setMethod(POST)
        wrapper.setReturnFormat(JSON)
        wrapper.setTimeout(int(self.timeout))
        if self.user:
            wrapper.setCredentials(self.user, self.password)
        self.last_query = sent
        try:
            with warnings.catch_warnings():   # SPARQLWrapper warns on an unexpected content type: we say it below
                warnings.simplefilter("ignore")
                data = wrapper.queryAndConvert()
        except ValueError:   # JSON that does not parse, under a JSON content type
            data = None
        except Exception as exc:  # noqa: BLE001 - SPARQLWrapper raises urllib and its own errors
            raise self._error(exc, "query") from None
        if not isinstance(data, dict) or not isinstance(data.get("head"), dict):
            raise EndpointError(f"{self.url} did not answer with SPARQL JSON results", self.url,
                                "check that the URL is the server's SPARQL query endpoint (not its web page "
                                "or a proxy's login page)")
        columns = list(data["head"].get("vars", []))
        rows = [tuple(term_from_json(b[c]) if c in b else None for c in columns)
                for b in data.get("results", {}).get("bindings", [])]
        return Solutions(columns, rows, sent)

    def policy_graph(self, selector: str) -> str:
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

    # uploads

    def put_graph(self, graph: str, ntriples: bytes) -> int:
        """Replace the named graph `graph` with these N-Triples (Graph Store Protocol PUT); the HTTP status."""
        store = self.require_graph_store()
        sep = "&" if "?" in store else "?"
        url = f"{store}{sep}graph={urllib.parse.quote(graph, safe='')}"
        request = urllib.request.Request(url, data=ntriples, method="PUT",
                                         headers={"Content-Type": PUSH_MEDIA_TYPE})
        try:
            with self._opener().open(request, timeout=self.timeout) as response:
                return response.status
        except Exception as exc:  # noqa: BLE001
            raise self._error(exc, "graph store", url=store) from None

    def require_graph_store(self) -> str:
        """The Graph Store Protocol URL, or a usage error saying how to give it."""
        if not self.graph_store:
            raise GraphStoreUnknownError(f"no Graph Store Protocol URL is known for {self.url}", self.url,
                                         "add --graph-store URL (Oxigraph …/store, Fuseki …/<dataset>/data, "
                                         "GraphDB …/repositories/<id>/rdf-graphs/service, Virtuoso "
                                         "…/sparql-graph-crud); see docs/queries-engine.md")
        return self.graph_store

    def _opener(self):
        handlers = []
        if self.user:
            manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            manager.add_password(None, self.graph_store, self.user, self.password)
            handlers += [urllib.request.HTTPBasicAuthHandler(manager),
                         urllib.request.HTTPDigestAuthHandler(manager)]
        return urllib.request.build_opener(*handlers)

    # errors

    def _error(self, exc: Exception, what: str, url: str | None = None) -> EndpointError:
        url = url or self.url
        status, body = _status_and_body(exc)
        if status in (401, 403):
            return EndpointAuthError(f"the {what} at {url} refused the request ({status} "
                                     f"{'Unauthorized' if status == 401 else 'Forbidden'})", url,
                                     f"pass --user NAME and set the environment variable {PASSWORD_ENV} "
                                     "to the password (or ask the server's administrator for write access)")
        if status is not None:
            first = next((line.strip() for line in body.splitlines() if line.strip()), "")
            return EndpointError(f"the {what} at {url} answered HTTP {status}" + (f": {first}" if first else ""),
                                 url, "check the URL (the query endpoint and --graph-store are different "
                                      "URLs on most servers) and the server's log")
        reason = getattr(exc, "reason", exc)
        if isinstance(exc, (socket.timeout, TimeoutError)) or isinstance(reason, (socket.timeout, TimeoutError)):
            return EndpointTimeoutError(f"the {what} at {url} did not answer within {self.timeout:g} s", url,
                                        "try again later, or give the server more time with --timeout SECONDS")
        if isinstance(exc, (urllib.error.URLError, ConnectionError, socket.timeout, TimeoutError, OSError)):
            return EndpointUnreachableError(f"no answer from the {what} at {url} ({reason})", url,
                                            "start the server or check the URL and port; leave out --endpoint "
                                            "to use the embedded store")
        return EndpointError(f"the {what} at {url} failed: {type(exc).__name__}: {exc}", url,
                             "check the URL and the server's log")


def _status_and_body(exc: Exception) -> tuple[int | None, str]:
    """The HTTP status and response text behind a urllib or SPARQLWrapper error."""
    from SPARQLWrapper import SPARQLExceptions as se
    if isinstance(exc, urllib.error.HTTPError):
        try:
            body = exc.read().decode("utf-8", "replace")
        except Exception:  # noqa: BLE001
            body = ""
        return exc.code, body
    codes = {se.QueryBadFormed: 400, se.Unauthorized: 401, se.EndPointNotFound: 404, se.URITooLong: 414,
             se.EndPointInternalError: 500}
    for cls, code in codes.items():
        if isinstance(exc, cls):
            text = str(exc)
            body = text.split("Response:\n", 1)[1] if "Response:\n" in text else ""
            if body.startswith(("b'", 'b"')):
                try:
                    body = ast.literal_eval(body).decode("utf-8", "replace")  # SPARQLWrapper keeps a bytes repr
                except Exception:  # noqa: BLE001
                    pass
            return code, body
    return None, ""


# --- push -------------------------------------------------------------------------------------------------

@dataclass
class PushedGraph:
    graph: str
    triples: int
    seconds: float


def push_graphs(endpoint: SparqlEndpoint, graphs: Iterable[tuple[str, list]],
                progress: Callable[[str, int], None] | None = None,
                names: list[str] | None = None) -> list[PushedGraph]:
    """PUT each (graph IRI, pyoxigraph triples) to the endpoint's graph store; `progress(graph, triples)`
    is called after each one. A failure after some graphs went is a PushIncompleteError that lists the
    graphs replaced and those not (`names`: every graph of the push, for that list)."""
    out = []
    for graph, triples in graphs:
        start = time.perf_counter()
        data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) if triples else b""
        try:
            endpoint.put_graph(graph, data)
        except EndpointError as exc:
            if not out:
                raise   # nothing changed on the server: the plain error says it all
            raise _incomplete(exc, graph, out, names) from None
        out.append(PushedGraph(graph, len(triples), time.perf_counter() - start))
        if progress:
            progress(graph, len(triples))
    return out


def _incomplete(exc: EndpointError, graph: str, done: list[PushedGraph], names: list[str] | None) -> PushIncompleteError:
    went = [p.graph for p in done]
    left = [g for g in (names or []) if g not in went and g != graph] if names else []
    total = f" of {len(names)}" if names else ""
    return PushIncompleteError(
        f"the push stopped at graph {len(went) + 1}{total} ({graph}): {exc.what}",
        exc.where,
        f"replaced on the server: {', '.join(went)}; not pushed: {', '.join([graph] + left)}. "
        "Fix the cause, then run the same push again: it is safe, each graph is replaced whole (PUT), "
        "never duplicated")
