"""A hostile or broken SPARQL endpoint never loses the user's data, never hangs `policykg`, never leaks its
password (issue 14). Every server here is real: http.server on 127.0.0.1 in a thread, stopped by the test.

- an endpoint that drips its answer (headers or body) is cut at --timeout, counted over the whole answer;
- a redirect to another origin (scheme, host or port) is refused, so neither the credentials nor the query
  reach it; a redirect within the origin is followed with the same request;
- malformed SPARQL JSON results are `endpoint-error` (exit 3) naming the row and the variable, never a bug;
- the results are read in chunks (a 1-byte chunk gives the same rows as the whole answer at once).
"""
from __future__ import annotations

import base64
import hashlib
import http.server
import io
import json
import re
import threading
import time

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from kg.cli.main import app
from kg.stores.sparql import PASSWORD_ENV, MalformedResults, origin, read_solutions

runner = CliRunner()
RESULTS = {"head": {"vars": ["x"]}, "results": {"bindings": [{"x": {"type": "uri", "value": "http://a.example/1"}}]}}


class Handler(http.server.BaseHTTPRequestHandler):
    """Calls the class's `respond(handler, body)` for every request, after recording it in `seen`."""
    protocol_version = "HTTP/1.1"
    respond = None
    seen: list = []
    stop: threading.Event

    def _any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        type(self).seen.append((self.command, self.path, dict(self.headers), body))
        type(self).respond(self, body)

    do_GET = do_POST = do_PUT = _any

    def log_message(self, *args):
        pass


@pytest.fixture
def serve():
    """serve(respond) -> (base URL, handler class): a server on 127.0.0.1 on a free port; every server is shut
    down, and every drip ended, after the test."""
    servers = []
    stop = threading.Event()

    def start(respond):
        handler = type("H", (Handler,), {"respond": staticmethod(respond), "seen": [], "stop": stop})
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        httpd.handle_error = lambda *a: None      # a client that hangs up mid-drip is the point
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(httpd)
        return f"http://127.0.0.1:{httpd.server_address[1]}", handler
    yield start
    stop.set()
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


def answer(handler, status=200, body=b"", headers=None):
    handler.send_response(status)
    for key, value in (headers or {}).items():
        handler.send_header(key, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def results(data) -> bytes:
    return data if isinstance(data, bytes) else json.dumps(data).encode()


def json_answer(data):
    return lambda handler, body: answer(handler, 200, results(data),
                                        {"Content-Type": "application/sparql-results+json"})


def drip(text: bytes, pause: float = 0.1):
    """An answer sent one byte every `pause` seconds (each read well within --timeout, the whole far beyond
    it), until it is all sent, the client hangs up or the test ends."""
    def respond(handler, body):
        for i in range(len(text)):
            if handler.stop.wait(pause):
                return
            handler.wfile.write(text[i:i + 1])
            handler.wfile.flush()
    return respond


def full_response(status: str, body: bytes, content_type="application/sparql-results+json") -> bytes:
    return (f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
            .encode() + body)


# --- never hang: --timeout bounds the whole answer --------------------------------------------------------

SLOW = results(RESULTS)           # 90 bytes at 0.1 s each: 9 s in all, every byte within 0.1 s


@pytest.mark.parametrize("part", ["headers", "body"])
def test_dripping_endpoint_is_cut_at_timeout(serve, part):
    if part == "headers":
        respond = drip(full_response("200 OK", SLOW))
    else:
        def respond(handler, body):
            handler.wfile.write(full_response("200 OK", SLOW)[:-len(SLOW)])
            drip(SLOW)(handler, body)
    base, _ = serve(respond)
    start = time.monotonic()
    result = runner.invoke(app, ["query", "policy-versions", "--endpoint", base + "/query", "--timeout", "1"])
    elapsed = time.monotonic() - start
    assert result.exit_code == 3, result.output
    assert result.output.startswith("error[PKG-E070 endpoint-timeout]: the query at "), result.output
    assert "within 1 s" in result.output
    assert elapsed < 2.5, elapsed


def test_dripping_graph_store_is_cut_at_timeout(serve, built_store):
    base, handler = serve(drip(full_response("201 Created", b"")))
    start = time.monotonic()
    result = runner.invoke(app, ["push", "--endpoint", base + "/query", "--policy", "whiteprovider",
                                 "--store", str(built_store[0]), "--timeout", "1"])
    elapsed = time.monotonic() - start
    assert result.exit_code == 3, result.output
    assert result.output.startswith("error[PKG-E070 endpoint-timeout]: the graph store at "), result.output
    assert elapsed < 2.5, elapsed
    assert [s[0] for s in handler.seen] == ["PUT"]         # it stopped at the first graph


# --- never leak: redirects --------------------------------------------------------------------------------

def _redirect_to(location: str, status: int = 302):
    return lambda handler, body: answer(handler, status, b"", {"Location": location})


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_query_redirect_to_another_origin_is_refused_without_sending_credentials(serve, monkeypatch, status):
    monkeypatch.setenv(PASSWORD_ENV, "s3cret")
    elsewhere, received = serve(json_answer(RESULTS))
    base, _ = serve(_redirect_to(elsewhere + "/query", status))
    result = runner.invoke(app, ["query", "policy-versions", "--endpoint", base + "/query", "--user", "alice"])
    assert result.exit_code == 3, result.output
    assert result.output.startswith(f"error[PKG-E071 endpoint-redirect]: the query at {base}/query redirects "
                                    f"to {elsewhere}/query"), result.output
    assert received.seen == []                              # no password, no query, nothing went there
    assert "s3cret" not in result.output


def test_push_redirect_to_another_origin_is_refused_without_sending_credentials(serve, monkeypatch, built_store):
    monkeypatch.setenv(PASSWORD_ENV, "s3cret")
    elsewhere, received = serve(lambda handler, body: answer(handler, 201))
    base, _ = serve(lambda handler, body: answer(handler, 307, b"",
                                                 {"Location": elsewhere + handler.path}))
    result = runner.invoke(app, ["push", "--endpoint", base + "/query", "--user", "alice", "--policy",
                                 "whiteprovider", "--store", str(built_store[0])])
    assert result.exit_code == 3, result.output
    assert result.output.startswith(f"error[PKG-E071 endpoint-redirect]: the graph store at {base}/store "
                                    f"redirects to {elsewhere}/store?graph="), result.output
    assert f"--graph-store {elsewhere}/store" in result.output
    assert received.seen == []


def test_redirect_within_the_origin_is_followed_with_the_same_request(serve, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "s3cret")

    def respond(handler, body):
        if handler.path == "/old":
            answer(handler, 308, b"", {"Location": "/query"})
        else:
            json_answer(RESULTS)(handler, body)
    base, handler = serve(respond)
    result = runner.invoke(app, ["query", "policy-versions", "-f", "json", "--endpoint", base + "/old",
                                 "--user", "alice"])
    assert result.exit_code == 0, result.output
    (m1, p1, h1, b1), (m2, p2, h2, b2) = handler.seen
    assert (m1, p1, m2, p2) == ("POST", "/old", "POST", "/query") and b1 == b2 and b"query=" in b1
    assert h1["Authorization"] == h2["Authorization"] == "Basic " + base64.b64encode(b"alice:s3cret").decode()


def test_query_answers_a_digest_challenge(serve, monkeypatch):
    """Virtuoso's …/sparql-auth asks for Digest: the Basic header sent first gives way to the Digest answer."""
    monkeypatch.setenv(PASSWORD_ENV, "s3cret")
    realm, nonce = "policykg", "n0nce"

    def md5(text: str) -> str:
        return hashlib.md5(text.encode()).hexdigest()

    def respond(handler, body):
        fields = dict(re.findall(r'(\w+)="?([^",]+)"?', handler.headers.get("Authorization", "")))
        if handler.headers.get("Authorization", "").startswith("Digest ") and fields.get("response") == md5(
                f"{md5(f'alice:{realm}:s3cret')}:{nonce}:{fields['nc']}:{fields['cnonce']}:{fields['qop']}:"
                f"{md5(handler.command + ':' + fields['uri'])}"):
            return json_answer(RESULTS)(handler, body)
        answer(handler, 401, b"", {"WWW-Authenticate": f'Digest realm="{realm}", nonce="{nonce}", qop="auth"'})
    base, handler = serve(respond)
    result = runner.invoke(app, ["query", "policy-versions", "-f", "json", "--endpoint", base + "/sparql-auth",
                                 "--user", "alice"])
    assert result.exit_code == 0, result.output
    assert [h["Authorization"].split()[0] for _, _, h, _ in handler.seen] == ["Basic", "Digest"]
    assert json.loads(result.stdout)["results"]["bindings"] == RESULTS["results"]["bindings"]


@pytest.mark.parametrize("a, b, same", [
    ("http://h:80/x", "http://H/y", True),
    ("https://h/x", "https://h:443/y?z", True),
    ("http://h:8080/x", "http://h:8081/x", False),
    ("http://h/x", "https://h/x", False),
    ("http://127.0.0.1/x", "http://localhost/x", False),
    ("http://h/x", "http://h:bad/x", False),
])
def test_origin(a, b, same):
    assert (origin(a) == origin(b)) is same


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/query"])
def test_endpoint_must_be_http(url):
    result = runner.invoke(app, ["query", "policy-versions", "--endpoint", url])
    assert result.exit_code == 2 and result.output.startswith(f"error[PKG-E090 usage]: --endpoint {url} is not "
                                                              "an http(s) URL"), result.output


# --- never a bug: malformed results -------------------------------------------------------------------------

def _rows(*terms):
    return {"head": {"vars": ["x", "y"]},
            "results": {"bindings": [{"x": {"type": "uri", "value": "http://a.example/ok"}}] + list(terms)}}


MALFORMED = {
    "bad term type": (_rows({"y": {"type": "zzz", "value": "a"}}), "unknown term type 'zzz'", "row 2, ?y"),
    "invalid IRI": (_rows({"x": {"type": "uri", "value": "not an iri"}}), "'not an iri' is not an IRI", "row 2, ?x"),
    "results null": ({"head": {"vars": ["x"]}, "results": None}, "'results' must be a JSON object, not null",
                     "results"),
    "vars 5": ({"head": {"vars": 5}, "results": {"bindings": []}}, "'head.vars' must be a list of variable names",
               "head"),
    "bad language tag": (_rows({"y": {"type": "literal", "value": "v", "xml:lang": "not a tag!"}}),
                         "'not a tag!' is not a language tag", "row 2, ?y"),
    "missing value": (_rows({"x": {"type": "literal"}}), "the literal term has no 'value'", "row 2, ?x"),
    "not JSON": (b"<html><body>Welcome to our proxy</body></html>", "the answer is not JSON", "character 0"),
    "truncated": (results(_rows())[:-10], "the answer ends too early", "character "),
    "row not an object": (_rows(5), "a row must be a JSON object, not 5", "row 2"),
    "undeclared variable": (_rows({"z": {"type": "uri", "value": "http://a.example/z"}}),
                            "?z is not among the head's variables (x, y)", "row 2"),
    "not UTF-8": (results(_rows({"y": {"type": "literal", "value": "caf\u00e9"}})).replace("caf\\u00e9".encode(),
                                                                                      b"caf\xe9"),
                  "the answer is not UTF-8", "character "),
    "an ASK answer": ({"head": {}, "boolean": True}, "a boolean (ASK) answer, not SELECT rows", ""),
    "no head": ({"results": {"bindings": []}}, "no 'head'", ""),
    "value not a string": (_rows({"y": {"type": "literal", "value": 5}}),
                           "the literal term's 'value' must be a string, not 5",
                           "row 2, ?y"),
    "bad datatype": (_rows({"y": {"type": "literal", "value": "1", "datatype": "no iri"}}),
                     "datatype 'no iri' is not an IRI", "row 2, ?y"),
    "bindings not a list": ({"head": {"vars": ["x"]}, "results": {"bindings": {}}},
                            "'results.bindings' must be a list, not {}", "results"),
    "text after the results": (results(_rows()) + b" {}", "text after the end of the results", "character "),
    "empty": (b"", "the answer is empty", ""),
    "lone surrogate": (_rows({"y": {"type": "literal", "value": "\ud800"}}), "the literal '\\ud800' is not valid "
                       "Unicode text", "row 2, ?y"),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_results_are_an_endpoint_error(serve, case):
    data, what, where = MALFORMED[case]
    base, _ = serve(json_answer(data))
    url = base + "/query"
    result = runner.invoke(app, ["query", "policy-versions", "--endpoint", url])
    assert result.exit_code == 3, result.output
    first, second = result.output.splitlines()[:2]
    assert first.startswith(f"error[PKG-E067 endpoint-error]: {url} did not answer with valid SPARQL JSON "
                            f"results: {what}"), first
    assert second.startswith(f"  where: {url}") and where in second, second


# --- never a bug: results that parse but do not hold what was asked (export, diff, validate) ----------------

GRAPH = "https://w3id.org/policykg/policy/example/2024-01-01"
IRI = {"type": "uri", "value": "http://a.example/s"}
LIT = {"type": "literal", "value": "a literal"}
INVENTORY = {"head": {"vars": ["g", "id"]}, "results": {"bindings": [{"g": {"type": "uri", "value": GRAPH}}]}}
WRONG_ANSWERS = {
    "a graph that is a literal": ({"head": {"vars": ["g", "id"]}, "results": {"bindings": [{"g": LIT}]}}, None,
                                  "a policy graph ?g is 'a literal', not an IRI"),
    "a graph left unbound": ({"head": {"vars": ["g", "id"]}, "results": {"bindings": [{}]}}, None,
                             "a policy graph ?g is unbound, not an IRI"),
    "a subject that is a literal": (INVENTORY, {"head": {"vars": ["s", "p", "o"]}, "results": {"bindings": [
        {"s": IRI, "p": IRI, "o": IRI}, {"s": LIT, "p": IRI, "o": IRI}]}},
        "row 2: the subject ?s is a literal, not an IRI or a blank node"),
    "a predicate that is a blank node": (INVENTORY, {"head": {"vars": ["s", "p", "o"]}, "results": {"bindings": [
        {"s": IRI, "p": {"type": "bnode", "value": "b0"}, "o": IRI}]}},
        "row 1: the predicate ?p is a blank node, not an IRI"),
    "an object left unbound": (INVENTORY, {"head": {"vars": ["s", "p", "o"]}, "results": {"bindings": [
        {"s": IRI, "p": IRI}]}}, "row 1: the object ?o is unbound"),
    "other columns": (INVENTORY, {"head": {"vars": ["x"]}, "results": {"bindings": []}},
                      "the columns are x, not s, p, o"),
}


def _store_reads(inventory, triples):
    """An endpoint that answers the inventory (its query names dpv:PrivacyNotice) with `inventory`, and any
    other query (the triples of a graph) with `triples`."""
    from urllib.parse import parse_qs

    def respond(handler, body):
        query = parse_qs(body.decode()).get("query", [""])[0]
        data = inventory if "PrivacyNotice" in query or triples is None else triples
        answer(handler, 200, results(data), {"Content-Type": "application/sparql-results+json"})
    return respond


@pytest.mark.parametrize("command", [["export", "-f", "nq"], ["validate", "example"], ["diff", "example@2024-01-01",
                                                                                          "example"]])
@pytest.mark.parametrize("case", WRONG_ANSWERS)
def test_answers_that_are_not_what_was_asked_are_an_endpoint_error(serve, case, command):
    inventory, triples, what = WRONG_ANSWERS[case]
    base, _ = serve(_store_reads(inventory, triples))
    url = base + "/query"
    result = runner.invoke(app, [*command, "--endpoint", url])
    assert result.exit_code == 3, result.output
    first, second = result.output.splitlines()[:2]
    assert first == f"error[PKG-E067 endpoint-error]: {url} did not answer what was asked: {what}", first
    assert second == f"  where: {url}"


def test_store_reads_bind_their_values_and_send_the_text_unchanged(serve):
    """The graph of a read is a VALUES row after the WHERE brace, never pasted into the query's text."""
    from urllib.parse import parse_qs

    from kg.stores.sparql import SparqlEndpoint
    base, handler = serve(_store_reads(INVENTORY, {"head": {"vars": ["s", "p", "o"]}, "results": {"bindings": [
        {"s": IRI, "p": IRI, "o": LIT}]}}))
    endpoint = SparqlEndpoint(base + "/query")
    hostile = GRAPH + "> } } ; DROP ALL ; #"
    with pytest.raises(ValueError):
        endpoint.graph_triples(hostile)   # not an IRI: refused before anything is sent
    assert handler.seen == []
    assert [str(t) for t in endpoint.graph_triples(GRAPH)] == ['<http://a.example/s> <http://a.example/s> "a literal"']
    sent = parse_qs(handler.seen[-1][3].decode())["query"][0]
    assert sent == "SELECT ?s ?p ?o WHERE {\n  VALUES ?g { <" + GRAPH + "> } GRAPH ?g { ?s ?p ?o } }"


# --- streaming -------------------------------------------------------------------------------------------

class Trickle(io.RawIOBase):
    """A stream that gives at most `size` bytes per read (as a network does, at worst)."""
    def __init__(self, data: bytes, size: int):
        self.data, self.size, self.pos = data, size, 0

    def readable(self):
        return True

    def read(self, n=-1):
        n = self.size if n is None or n < 0 else min(n, self.size)
        out = self.data[self.pos:self.pos + n]
        self.pos += len(out)
        return out


def test_results_read_in_any_chunks_give_the_same_rows():
    bindings = [{"x": {"type": "uri", "value": f"http://a.example/{i}"},
                 "y": {"type": "literal", "value": f"caf\u00e9 \U0001F600 {i}", "xml:lang": "fr"},
                 "z": {"type": "typed-literal", "value": str(i),
                       "datatype": "http://www.w3.org/2001/XMLSchema#integer"},
                 "b": {"type": "bnode", "value": f"nodeID://b{i % 3}"}} for i in range(200)]
    data = {"results": {"distinct": False, "bindings": bindings}, "head": {"link": [], "vars": ["x", "y", "z", "b"]}}
    text = json.dumps(data, ensure_ascii=False, indent=1).encode()
    columns, rows = read_solutions(io.BytesIO(text))
    assert columns == ["x", "y", "z", "b"] and len(rows) == 200
    assert rows[7][:3] == (ox.NamedNode("http://a.example/7"), ox.Literal("caf\u00e9 \U0001F600 7", language="fr"),
                           ox.Literal("7", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")))
    assert rows[0][3] == rows[3][3] != rows[1][3]     # one label, one blank node (a fresh one: Virtuoso's label)
    for size in (1, 2, 3, 7, 4096):
        again = read_solutions(Trickle(text, size), chunk=size)
        assert again[0] == columns and [r[:3] for r in again[1]] == [r[:3] for r in rows]
        assert [r[3] == again[1][0][3] for r in again[1]] == [r[3] == rows[0][3] for r in rows]


def test_a_value_longer_than_the_limit_is_refused(monkeypatch):
    from kg.stores import sparql_results
    monkeypatch.setattr(sparql_results, "MAX_VALUE_CHARS", 1000)
    text = results(_rows({"y": {"type": "literal", "value": "a" * 5000}}))
    with pytest.raises(MalformedResults) as exc:
        read_solutions(Trickle(text, 100), chunk=100)
    assert "longer than" in exc.value.detail and exc.value.place == "row 2"



def test_a_term_repeated_from_the_row_before_is_one_object():
    """Memory: sorted answers repeat a column's term row after row; it is held once."""
    same = {"type": "literal", "value": "2024-05-19", "datatype": "http://www.w3.org/2001/XMLSchema#date"}
    data = {"head": {"vars": ["x", "d"]}, "results": {"bindings": [
        {"x": {"type": "uri", "value": f"http://a.example/{i}"}, "d": same} for i in range(3)]}}
    _, rows = read_solutions(io.BytesIO(results(data)))
    assert rows[0][1] is rows[1][1] is rows[2][1] and rows[0][1] == ox.Literal("2024-05-19", datatype=ox.NamedNode(
        "http://www.w3.org/2001/XMLSchema#date"))
    assert len({r[0].value for r in rows}) == 3


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
                    max_leaves=8)
TERM = st.fixed_dictionaries({}, optional={
    "type": st.sampled_from(["uri", "literal", "bnode", "typed-literal", "x"]) | JSON,
    "value": st.text(max_size=12) | JSON, "xml:lang": st.text(max_size=6) | JSON,
    "datatype": st.text(max_size=12) | JSON})


@settings(max_examples=300, deadline=None)
@given(head=JSON | st.fixed_dictionaries({"vars": st.lists(st.sampled_from(["x", "y", "1", ""]), max_size=3) | JSON}),
       rows=st.lists(st.dictionaries(st.sampled_from(["x", "y", "z"]), TERM | JSON, max_size=3) | JSON, max_size=3),
       cut=st.integers(0, 400), chunk=st.integers(1, 64))
def test_any_answer_gives_rows_or_malformed_results(head, rows, cut, chunk):
    """Whatever the JSON (or a prefix of it) a server sends, the reader returns rows of terms or raises
    MalformedResults: never another exception (which the command line would report as a bug)."""
    text = json.dumps({"head": head, "results": {"bindings": rows}}).encode()
    for data in (text, text[:cut]):
        try:
            columns, got = read_solutions(Trickle(data, chunk), chunk=chunk)
        except MalformedResults:
            continue
        assert all(len(row) == len(columns) for row in got) and len(got) == len(rows)
        assert all(t is None or isinstance(t, (ox.NamedNode, ox.BlankNode, ox.Literal)) for row in got for t in row)
