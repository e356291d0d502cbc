"""A SPARQL 1.1 endpoint as a store: queries by the SPARQL 1.1 Protocol (HTTP POST), uploads by the Graph
Store Protocol.

Parameters reach a remote endpoint as a `VALUES` block inserted right after the opening brace of the outer
query's WHERE clause. The block is built only from serialised RDF terms (pyoxigraph's N-Triples form of
terms that the query library has already checked), never from the user's text, so the query file's text
is sent unchanged around it: `sent == text[:i] + block + text[i:]` (see docs/queries-engine.md).

Uploads replace whole named graphs (HTTP PUT `<graph store>?graph=<iri>`), so pushing twice gives the same
graphs, not duplicates. Credentials: a user name from the command line, the password from the environment
variable POLICYKG_ENDPOINT_PASSWORD (never from the command line).

An endpoint is not trusted to behave (issue 14):
- `timeout` bounds each exchange as a whole (connecting, sending, the status, headers and the whole body):
  every socket read or write waits at most the time left until the deadline, so a server that drips its
  answer byte by byte is cut at `timeout` like one that says nothing (`endpoint-timeout`).
- Redirects are followed only within the origin of the URL the user gave (same scheme, host and port), with
  the same request (method, body, credentials; a 303 becomes a GET). A redirect to another origin is
  refused (`endpoint-redirect`), with or without credentials: following it would send the password, the
  query and the pushed graphs to a server the user never named, and following it without the password
  would run the query anonymously on that server. The error names the target, to be given explicitly.
- SPARQL JSON results are read as they arrive, one row at a time (`read_solutions`): memory holds the rows'
  terms, never the answer's text. Anything that is not valid results is `endpoint-error`, naming the row
  and the variable.

SPARQLWrapper is not used here: its public API opens the connection itself (urllib.urlopen, whose timeout
is per socket read and whose redirects keep the Authorization header), so neither the deadline nor the
redirect rule could be applied through it.
"""
from __future__ import annotations

import base64
import codecs
import http.client
import io
import json
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from .. import namespaces as ns
from ..errors import EnvironmentError_, UsageError
from .base import PolicyStore, Solutions

PASSWORD_ENV = "POLICYKG_ENDPOINT_PASSWORD"
TIMEOUT_S = 60
PUSH_MEDIA_TYPE = "application/n-triples"
RESULTS_ACCEPT = "application/sparql-results+json, application/json;q=0.9"
READ_CHUNK = 1 << 20            # bytes of an answer read at a time
MAX_VALUE_CHARS = 64 << 20      # one row (or the head) longer than this is refused rather than buffered
USER_AGENT = "policykg (SPARQL 1.1 Protocol)"


class EndpointError(EnvironmentError_):
    """The endpoint answered with an error (a status other than 401/403)."""
    id = "endpoint-error"


class EndpointUnreachableError(EndpointError):
    id = "endpoint-unreachable"


class EndpointAuthError(EndpointError):
    id = "endpoint-auth"


class EndpointTimeoutError(EndpointUnreachableError):
    id = "endpoint-timeout"


class EndpointRedirectError(EndpointError):
    """The server redirected to another origin: not followed (see the module's docstring)."""
    id = "endpoint-redirect"


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

TERM_TYPES = ("uri", "literal", "bnode", "typed-literal")   # typed-literal: SPARQL 1.0 JSON, still Virtuoso's


def _show(value, limit: int = 60) -> str:
    """A JSON value as it appears in the answer, cut to `limit` characters (for messages)."""
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def term_from_json(value, bnodes: dict | None = None):
    """A binding of the W3C SPARQL 1.1 JSON results format -> a pyoxigraph term; a ValueError says what is
    wrong with one that is not an RDF term. Unknown keys are ignored. A blank node label that pyoxigraph
    refuses (Virtuoso's `nodeID://b1`) gets a fresh blank node, the same one wherever the label recurs in
    one answer (`bnodes`: label -> node, shared by the answer's rows)."""
    if not isinstance(value, dict):
        raise ValueError(f"a term must be a JSON object, not {_show(value)}")
    kind, text = value.get("type"), value.get("value")
    if kind not in TERM_TYPES:
        raise ValueError(f"unknown term type {_show(kind)} (expected {', '.join(TERM_TYPES[:3])})")
    if "value" not in value:
        raise ValueError(f"the {kind} term has no 'value'")
    if not isinstance(text, str):
        raise ValueError(f"the {kind} term's 'value' must be a string, not {_show(text)}")
    if kind == "uri":
        return _iri(text, "")
    if kind == "bnode":
        return _blank(text, bnodes)
    lang, datatype = value.get("xml:lang"), value.get("datatype")
    if lang:
        if not isinstance(lang, str):
            raise ValueError(f"'xml:lang' must be a string, not {_show(lang)}")
        return _literal(text, language=lang)
    if datatype:
        return _literal(text, datatype=_iri(datatype, "datatype "))
    return _literal(text)


def _literal(text: str, **kwargs) -> ox.Literal:
    try:
        return ox.Literal(text, **kwargs)
    except ValueError as exc:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:   # a lone surrogate (JSON "\ud800"): not text
            raise ValueError(f"the literal {_show(text)} is not valid Unicode text") from None
        if "language" in kwargs:
            raise ValueError(f"{_show(kwargs['language'])} is not a language tag ({exc})") from None
        raise ValueError(f"the literal {_show(text)} is refused ({exc})") from None


def _iri(text, what: str) -> ox.NamedNode:
    try:
        return ox.NamedNode(text)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{what}{_show(text)} is not an IRI ({exc})") from None


def _blank(label: str, bnodes: dict | None) -> ox.BlankNode:
    if bnodes is not None and label in bnodes:
        return bnodes[label]
    try:
        node = ox.BlankNode(label)
    except ValueError:
        node = ox.BlankNode()
    if bnodes is not None:
        bnodes[label] = node
    return node


# --- SPARQL JSON results, read as a stream -----------------------------------------------------------------

class MalformedResults(ValueError):
    """An answer that is not SPARQL JSON results: `detail` says what is wrong, `place` where (a row and a
    variable, the head, or a character offset)."""

    def __init__(self, detail: str, place: str = ""):
        super().__init__(f"{detail} ({place})" if place else detail)
        self.detail, self.place = detail, place


_SPACE = re.compile(r"[ \t\n\r]*")


class JsonReader:
    """A JSON text read from a binary stream in chunks, one piece at a time: a punctuation character
    (`peek`, `take`) or a whole value (`value`). Only the text of the value being read is held, never the
    whole stream, so a long array can be read element by element."""

    def __init__(self, stream, chunk: int = READ_CHUNK):
        self._stream, self._chunk = stream, chunk
        self._utf8 = codecs.getincrementaldecoder("utf-8-sig")()   # a BOM is tolerated
        self._json = json.JSONDecoder()
        self._text, self._pos, self._start, self._end = "", 0, 0, False

    @property
    def offset(self) -> int:
        """Characters of the stream consumed so far."""
        return self._start + self._pos

    def _more(self, size: int) -> bool:
        """Append about `size` more bytes of the stream to the text; False at its end."""
        if self._end:
            return False
        data = self._stream.read(size)
        try:
            text = self._utf8.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            at = self._start + len(self._text) + len(data[:max(exc.start, 0)].decode("utf-8", "ignore"))
            raise MalformedResults(f"the answer is not UTF-8 ({exc.reason})", f"near character {at}") from None
        self._end = not data
        self._text = self._text[self._pos:] + text
        self._start += self._pos
        self._pos = 0
        return bool(data)

    def peek(self) -> str:
        """The next character that is not white space, not consumed ('' at the end of the stream)."""
        while True:
            self._pos = _SPACE.match(self._text, self._pos).end()
            if self._pos < len(self._text):
                return self._text[self._pos]
            if not self._more(self._chunk):
                return ""

    def take(self, char: str) -> None:
        """Consume `char`, which must come next."""
        found = self.peek()
        if found != char:
            raise MalformedResults(f"expected {char!r}, found {repr(found) if found else 'the end of the answer'}",
                                   f"character {self.offset}")
        self._pos += 1

    def value(self):
        """The next JSON value, whole."""
        self.peek()
        size = self._chunk
        while True:
            try:
                value, end = self._json.raw_decode(self._text, self._pos)
                if end < len(self._text) or self._end:   # a number at the text's end may go on in the next chunk
                    self._pos = end
                    return value
            except json.JSONDecodeError as exc:
                cut = self._cut_short(exc)
                if self._end or not cut:
                    raise self._invalid(exc.msg, self._start + exc.pos, cut) from None
            except (ValueError, RecursionError) as exc:   # an integer of 5000 digits, [[[[…]]]] nested too deep
                raise self._invalid(str(exc) or type(exc).__name__, self.offset, False) from None
            if len(self._text) - self._pos > MAX_VALUE_CHARS:
                raise MalformedResults(f"one JSON value is longer than {MAX_VALUE_CHARS:,} characters")
            self._more(size)
            size *= 2   # doubling: a long value is decoded a few times, not once per chunk

    def _cut_short(self, exc: json.JSONDecodeError) -> bool:
        """Whether the value may just go on past the text read so far: the decoder stopped at its end, or in
        a string that is not closed yet. An error further back is one that more text cannot mend."""
        return exc.pos >= len(self._text) - 8 or exc.msg.startswith("Unterminated string")

    def _invalid(self, reason: str, at: int, cut: bool) -> MalformedResults:
        """The error for JSON that does not decode at character `at`; `cut`: the text just stops there."""
        if at == 0 and not cut:
            start = self._text[:40].replace("\n", " ")
            return MalformedResults(f"the answer is not JSON (it starts with {start!r})", "character 0")
        if cut:
            return MalformedResults(f"the answer ends too early ({reason})", f"character {at}")
        return MalformedResults(f"invalid JSON ({reason})", f"character {at}")


class ResultsReader:
    """SPARQL 1.1 JSON results (https://www.w3.org/TR/sparql11-results-json/) read from a JSON stream:
    `read()` -> (columns, rows), each row a tuple of pyoxigraph terms (None = unbound) in column order.
    The keys may come in any order; rows met before the head wait as {variable: term} until it comes."""

    def __init__(self, reader: JsonReader):
        self.reader = reader
        self.columns: list[str] | None = None
        self.rows: list[tuple] = []
        self.waiting: list[dict] = []   # rows read before the head
        self.bnodes: dict = {}
        self.last: dict = {}   # variable -> (its JSON term, its term) in the last row: sorted answers repeat them

    def read(self) -> tuple[list[str], list[tuple]]:
        if not self.reader.peek():
            raise MalformedResults("the answer is empty")
        keys = self._members(self._member, "the answer")
        if self.reader.peek():
            raise MalformedResults("text after the end of the results", f"character {self.reader.offset}")
        if "head" not in keys:
            raise MalformedResults("no 'head' (with the variables) in the answer")
        if "results" not in keys:
            raise MalformedResults("a boolean (ASK) answer, not SELECT rows" if "boolean" in keys
                                   else "no 'results' in the answer")
        for number, terms in enumerate(self.waiting, 1):
            self.rows.append(self._tuple(terms, number))
        return self.columns, self.rows

    def _members(self, member: Callable[[str], None], name: str) -> set[str]:
        """Read a JSON object key by key, calling `member(key)` to read each value; the keys."""
        reader, keys = self.reader, set()
        if reader.peek() != "{":
            raise MalformedResults(f"{name} must be a JSON object, not {_show(reader.value())}", name.strip("'"))
        reader.take("{")
        while reader.peek() != "}":
            if keys:
                reader.take(",")
            key = reader.value()
            if not isinstance(key, str) or key in keys:
                problem = "twice" if isinstance(key, str) else "not a key"
                raise MalformedResults(f"{_show(key)} is {problem} in {name}", f"character {reader.offset}")
            keys.add(key)
            reader.take(":")
            member(key)
        reader.take("}")
        return keys

    def _member(self, key: str) -> None:
        if key == "head":
            self.columns = self._head(self.reader.value())
        elif key == "results":
            self._members(self._results_member, "'results'")
        else:   # boolean, link, …: read and dropped
            self.reader.value()

    def _results_member(self, key: str) -> None:
        reader = self.reader
        if key != "bindings":   # distinct, ordered, …
            reader.value()
            return
        if reader.peek() != "[":
            raise MalformedResults(f"'results.bindings' must be a list, not {_show(reader.value())}", "results")
        reader.take("[")
        while reader.peek() != "]":
            if self.rows or self.waiting:
                reader.take(",")
            number = len(self.rows) + len(self.waiting) + 1
            try:
                binding = reader.value()
            except MalformedResults as exc:
                raise MalformedResults(exc.detail, ", ".join(filter(None, [f"row {number}", exc.place]))) from None
            terms = self._terms(binding, number)
            if self.columns is None:
                self.waiting.append(terms)
            else:
                self.rows.append(self._tuple(terms, number))
        reader.take("]")

    @staticmethod
    def _head(head) -> list[str]:
        variables = head.get("vars", []) if isinstance(head, dict) else None
        if not isinstance(variables, list) or not all(isinstance(v, str) for v in variables):
            raise MalformedResults(f"'head.vars' must be a list of variable names, not "
                                   f"{_show(variables if isinstance(head, dict) else head)}", "head")
        for name in variables:
            try:
                ox.Variable(name)
            except ValueError:
                raise MalformedResults(f"{_show(name)} is not a variable name", "head") from None
        if len(set(variables)) < len(variables):
            raise MalformedResults(f"'head.vars' names a variable twice: {_show(variables)}", "head")
        return variables

    def _terms(self, binding, number: int) -> dict:
        if not isinstance(binding, dict):
            raise MalformedResults(f"a row must be a JSON object, not {_show(binding)}", f"row {number}")
        terms = {}
        for name, value in binding.items():
            last = self.last.get(name)
            if last is not None and last[0] == value:   # as in the row before: the same term object, not a copy
                terms[name] = last[1]
                continue
            try:
                terms[name] = term_from_json(value, self.bnodes)
            except ValueError as exc:
                raise MalformedResults(str(exc), f"row {number}, ?{name}") from None
            self.last[name] = (value, terms[name])
        return terms

    def _tuple(self, terms: dict, number: int) -> tuple:
        unknown = [name for name in terms if name not in self.columns]
        if unknown:
            raise MalformedResults(f"?{unknown[0]} is not among the head's variables ({', '.join(self.columns)})",
                                   f"row {number}")
        return tuple(terms.get(name) for name in self.columns)


def read_solutions(stream, chunk: int = READ_CHUNK) -> tuple[list[str], list[tuple]]:
    """Columns and rows of SPARQL 1.1 JSON results read from a binary stream `chunk` bytes at a time (see
    ResultsReader); MalformedResults says what is wrong and where."""
    return ResultsReader(JsonReader(stream, chunk)).read()


# --- HTTP with a deadline, redirects within the origin ------------------------------------------------------

def origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of a URL, the default port filled in; None for a URL without a valid one."""
    try:
        parts = urllib.parse.urlsplit(url)
        scheme = parts.scheme.lower()
        port = parts.port or {"http": 80, "https": 443}.get(scheme)
    except ValueError:
        return None
    return (scheme, parts.hostname, port) if parts.hostname and port else None


def time_left(deadline: float) -> float:
    """Seconds until `deadline` (time.monotonic()); TimeoutError once it has passed."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the answer took longer than the timeout")
    return left


class DeadlineSocket:
    """A connected socket whose every send and receive waits at most until `deadline`: a server that sends
    one byte a second cannot stretch the timeout, which counts the whole exchange, not each read."""

    SEND_CHUNK = 64 * 1024   # sent at a time, so a slow reader on the other side is also cut at the deadline

    def __init__(self, sock: socket.socket, deadline: float):
        self._sock, self._deadline = sock, deadline

    def sendall(self, data) -> None:
        view = memoryview(data).cast("B")
        for start in range(0, len(view), self.SEND_CHUNK):
            self._sock.settimeout(time_left(self._deadline))
            self._sock.sendall(view[start:start + self.SEND_CHUNK])

    def makefile(self, mode: str = "rb", *args, **kwargs):
        """What http.client reads the answer through: the socket's own reader, each read under the deadline."""
        return io.BufferedReader(_DeadlineReader(self._sock.makefile("rb", buffering=0), self), 64 * 1024)

    def wait(self) -> None:
        self._sock.settimeout(time_left(self._deadline))

    def __getattr__(self, name):   # close, fileno, setsockopt…: the socket's own
        return getattr(self._sock, name)


class _DeadlineReader(io.RawIOBase):
    def __init__(self, raw, sock: DeadlineSocket):
        self._raw, self._sock = raw, sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        self._sock.wait()
        return self._raw.readinto(buffer)

    def close(self) -> None:
        self._raw.close()   # releases the socket (http.client closes its own handle on it early)
        super().close()


class _DeadlineConnection:
    """Mixed into http.client's connections: connect within the time left, then read and write through a
    DeadlineSocket."""

    def __init__(self, *args, deadline: float, **kwargs):
        super().__init__(*args, **kwargs)
        self.deadline = deadline

    def connect(self) -> None:
        self.timeout = time_left(self.deadline)   # the TCP (and TLS) handshake waits at most the time left
        super().connect()
        self.sock = DeadlineSocket(self.sock, self.deadline)


class _HTTPConnection(_DeadlineConnection, http.client.HTTPConnection):
    pass


class _HTTPSConnection(_DeadlineConnection, http.client.HTTPSConnection):
    pass


class DeadlineHandler(urllib.request.HTTPHandler, urllib.request.HTTPSHandler):
    """urllib's HTTP and HTTPS handler, on connections that end every exchange by the request's `deadline`
    (an attribute: time.monotonic() value, kept by redirects and by the answers to auth challenges)."""

    def http_open(self, req):
        return self.do_open(_HTTPConnection, req, deadline=req.deadline)

    def https_open(self, req):
        return self.do_open(_HTTPSConnection, req, deadline=req.deadline)


class CrossOriginRedirect(Exception):
    """A redirect to another origin than the request's (refused; SparqlEndpoint._error says it)."""

    def __init__(self, url: str, location: str, status: int):
        super().__init__(f"{status} redirect from {url} to {location}")
        self.url, self.location, self.status = url, location, status


class SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect within the origin with the same request (method, body and headers, credentials
    included; a 303 See Other as a GET); refuses one to another origin (CrossOriginRedirect)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        fp.close()   # unread: urllib would read a redirect's whole body, which a server can make endless
        if origin(newurl) != origin(req.full_url):
            raise CrossOriginRedirect(req.full_url, newurl, code)
        see_other = code == 303
        kept = {k: v for k, v in req.headers.items()
                if not (see_other and k.lower() in ("content-type", "content-length"))}
        new = urllib.request.Request(newurl, data=None if see_other else req.data, headers=kept,
                                     method="GET" if see_other else req.get_method(),
                                     origin_req_host=req.origin_req_host, unverifiable=True)
        if req.has_header("Authorization"):   # the same origin: the credentials go along
            new.add_unredirected_header("Authorization", req.get_header("Authorization"))
        new.deadline = req.deadline            # one deadline for the whole chain
        return new


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
                 password: str | None = None, timeout: float = TIMEOUT_S):
        _check_url(url, "--endpoint")
        if graph_store:
            _check_url(graph_store, "--graph-store")
        self.url = url
        self.user = user
        self.password = password
        self.timeout = timeout
        self.graph_store = graph_store or graph_store_for(url, user)
        self.last_query: str | None = None   # the exact text last sent (for tests and --debug)
        self._urllib: urllib.request.OpenerDirector | None = None   # built once: it costs more than a request
        if user and not password:
            raise EndpointAuthError(f"--user {user} is given but no password", url,
                                    f"set the environment variable {PASSWORD_ENV} to the password "
                                    "(it is never read from the command line)")

    def __str__(self) -> str:
        return self.url

    # queries

    def select(self, text: str, bindings: dict[str, object] | None = None) -> Solutions:
        """Run a SELECT (an HTML-form POST, as the SPARQL 1.1 Protocol allows) and read its JSON results as
        they arrive."""
        sent = with_values(text, bindings or {})
        headers = {"Accept": RESULTS_ACCEPT, "Content-Type": "application/x-www-form-urlencoded",
                   "User-Agent": USER_AGENT}
        request = urllib.request.Request(self.url, data=urllib.parse.urlencode({"query": sent}).encode(),
                                         headers=headers, method="POST")
        if self.user:   # Basic, sent at once (one round trip); the opener's answer to a Digest challenge replaces it
            token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode("ascii")
            request.add_unredirected_header("Authorization", f"Basic {token}")
        self.last_query = sent
        try:
            with self._open(request) as response:
                columns, rows = read_solutions(response)
        except MalformedResults as exc:
            where = f"{self.url}, {exc.place}" if exc.place else self.url
            raise EndpointError(f"{self.url} did not answer with valid SPARQL JSON results: {exc.detail}", where,
                                "check that the URL is the server's SPARQL query endpoint (not its web page or a "
                                "proxy's login page); if it is, the server's answer is broken: see its log") from None
        except Exception as exc:  # noqa: BLE001 - urllib, http.client and socket errors
            raise self._error(exc, "query") from None
        return Solutions(columns, rows, sent)

    def bad_answer(self, detail: str) -> EndpointError:
        """Valid results that do not hold what the query asked (a literal as a graph or a subject, a column
        missing): endpoint-error, as for results that do not parse."""
        return EndpointError(f"{self.url} did not answer what was asked: {detail}", self.url,
                             "check that the URL is a SPARQL 1.1 query endpoint that holds the graphs 'policykg "
                             "push' uploads; if it is, the server's answer is broken: see its log")

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
                                         headers={"Content-Type": PUSH_MEDIA_TYPE, "User-Agent": USER_AGENT})
        try:
            with self._open(request) as response:
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

    # HTTP

    def _open(self, request: urllib.request.Request):
        """Send the request; the answer, to be read before the deadline (now + timeout) like the rest."""
        request.deadline = time.monotonic() + self.timeout
        if self._urllib is None:
            self._urllib = self._opener()
        return self._urllib.open(request)

    def _opener(self) -> urllib.request.OpenerDirector:
        """urllib with deadlines, redirects within the origin, and (with --user) answers to Basic and
        Digest challenges from the origins of the endpoint and the graph store only."""
        handlers = [DeadlineHandler(), SameOriginRedirects()]
        if self.user:
            manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            roots = {"%s://%s:%s/" % o for o in (origin(self.url), origin(self.graph_store or self.url)) if o}
            manager.add_password(None, sorted(roots), self.user, self.password)
            handlers += [urllib.request.HTTPBasicAuthHandler(manager),
                         urllib.request.HTTPDigestAuthHandler(manager)]
        return urllib.request.build_opener(*handlers)

    # errors

    def _error(self, exc: Exception, what: str, url: str | None = None) -> EndpointError:
        url = url or self.url
        if isinstance(exc, EndpointError):
            return exc
        if isinstance(exc, CrossOriginRedirect):
            option = "--endpoint" if what == "query" else "--graph-store"
            target = exc.location if what == "query" else exc.location.split("?", 1)[0]
            return EndpointRedirectError(
                f"the {what} at {url} redirects to {exc.location} (HTTP {exc.status}), another origin: not "
                "followed, so neither the credentials nor the request were sent there", url,
                f"if you trust that server, give it yourself: {option} {target} (policykg follows redirects "
                "only within one scheme://host:port)")
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
        if isinstance(exc, TimeoutError) or isinstance(reason, TimeoutError):
            return EndpointTimeoutError(f"the {what} at {url} did not answer in full within {self.timeout:g} s",
                                        url, "try again later, or give the server more time with --timeout "
                                             "SECONDS (it counts the whole answer)")
        if isinstance(exc, (urllib.error.URLError, OSError)):
            return EndpointUnreachableError(f"no answer from the {what} at {url} ({reason})", url,
                                            "start the server or check the URL and port; leave out --endpoint "
                                            "to use the embedded store")
        return EndpointError(f"the {what} at {url} failed: {type(exc).__name__}: {exc}", url,
                             "check the URL and the server's log")


def _check_url(url: str, option: str) -> None:
    """An http(s) URL with a host and a valid port, or a usage error."""
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port   # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise UsageError(f"{option} {url} is not a valid URL ({exc})", url,
                         "write it as http://HOST:PORT/PATH, e.g. http://127.0.0.1:7878/query",
                         error_id="usage") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{option} {url} is not an http(s) URL", url,
                         "write it as http://HOST:PORT/PATH, e.g. http://127.0.0.1:7878/query",
                         error_id="usage")


def _status_and_body(exc: Exception) -> tuple[int | None, str]:
    """The HTTP status behind a urllib error and the start of its answer (64 KiB at most: enough for the
    first line, and a server cannot make us hold more)."""
    if not isinstance(exc, urllib.error.HTTPError):
        return None, ""
    try:
        body = exc.read(64 * 1024).decode("utf-8", "replace")
    except Exception:  # noqa: BLE001 - a broken or late error page: the status says enough
        body = ""
    return exc.code, body


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
