"""The remote path against a real `oxigraph serve` on 127.0.0.1: push (Graph Store Protocol PUT, no
duplicates on re-push), every library query gives the same result on the embedded store and on the server,
injection attempts leave the text and the server's data unchanged; and the endpoint errors (unreachable,
credentials, HTTP errors) against a small local stub server."""
from __future__ import annotations

import base64
import http.server
import json
import threading
from collections import Counter

import pyoxigraph as ox
import pytest
from typer.testing import CliRunner

from kg import namespaces as ns
from kg.cli.main import app
from kg.queries import load_query, run_query
from kg.render import csv_rows
from kg.stores import EmbeddedStore, SparqlEndpoint, open_backend
from kg.stores.sparql import PASSWORD_ENV, graph_store_for, values_block, where_brace

from .conftest_server import OxigraphServer, free_port, oxigraph_binary
from .test_queries import ECHO, INJECTIONS, LIBRARY, library_params, write_query

runner = CliRunner()
COUNTS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"

pytestmark = pytest.mark.slow   # a real Oxigraph server


@pytest.fixture(scope="module")
def server():
    """A fresh Oxigraph server for this module, stopped afterwards even when a test fails."""
    if not oxigraph_binary():
        pytest.skip("the `oxigraph` server binary is absent (it comes with the [test] extra: "
                    "pip install -e '.[test]')")
    with OxigraphServer() as running:
        yield running
    assert running.process.poll() is not None   # stopped


@pytest.fixture(scope="module")
def embedded(built_store):
    return EmbeddedStore(built_store[0])


@pytest.fixture(scope="module")
def pushed(server, built_store):
    result = runner.invoke(app, ["push", "--endpoint", server.query_url, "--store", str(built_store[0])])
    assert result.exit_code == 0, result.output
    return SparqlEndpoint(server.query_url)


def counts(backend) -> dict[str, int]:
    return {row[0].value: int(row[1].value) for row in backend.select(COUNTS).rows}


def same(a, b) -> bool:
    return a.columns == b.columns and Counter(map(str, a.rows)) == Counter(map(str, b.rows))


# --- push --------------------------------------------------------------------------------------------------

def test_push_uploads_every_graph(pushed, embedded):
    remote = counts(pushed)
    assert remote == counts(embedded)
    assert set(remote) == {ns.VOCAB_GRAPH} | {p for p in remote if p.startswith(ns.POLICY_BASE)}
    assert len(remote) == 3


def test_push_again_replaces_not_duplicates(pushed, embedded, built_store, server):
    before = counts(pushed)
    result = runner.invoke(app, ["push", "--endpoint", server.query_url, "--graph-store", server.store_url,
                                 "--policy", "whiteprovider", "--store", str(built_store[0])])
    assert result.exit_code == 0, result.output
    assert "pushed 2 graph(s)" in result.output
    assert counts(pushed) == before == counts(embedded)


# --- every query: embedded == remote -----------------------------------------------------------------------

@pytest.mark.parametrize("name", LIBRARY)
def test_query_same_on_embedded_and_server(name, pushed, embedded):
    query = load_query(name)
    params = library_params(name)
    local, remote = run_query(embedded, query, params), run_query(pushed, query, params)
    assert same(local, remote), f"{name}: embedded and server results differ"
    assert csv_rows(local) == csv_rows(remote) or sorted(csv_rows(local)) == sorted(csv_rows(remote))
    if query.param("policy") and "policy" not in params:
        for selector in ("whiteprovider", "planethoster@2015-09-01"):
            assert same(run_query(embedded, query, params, selector), run_query(pushed, query, params, selector))


def test_cli_query_on_endpoint_prints_the_same_csv(pushed, built_store, server):
    name = "processes-for-purpose" if "processes-for-purpose" in LIBRARY else LIBRARY[0]
    params = [a for k, v in library_params(name).items() for a in ("--param", f"{k}={v}")]
    local = runner.invoke(app, ["query", name, *params, "-f", "csv", "--store", str(built_store[0])])
    remote = runner.invoke(app, ["query", name, *params, "-f", "csv", "--endpoint", server.query_url])
    assert local.exit_code == remote.exit_code == 0, remote.output
    assert sorted(local.stdout.splitlines()) == sorted(remote.stdout.splitlines())


def test_open_backend_by_location(server, built_store):
    assert isinstance(open_backend(server.query_url), SparqlEndpoint)
    assert isinstance(open_backend(built_store[0]), EmbeddedStore)


# --- injection ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", INJECTIONS)
def test_injection_is_a_value_on_the_server(value, pushed, embedded, tmp_path):
    before = counts(pushed)
    query = load_query(str(write_query(tmp_path, ECHO, "echo")))
    result = run_query(pushed, query, {"text": value})
    term = ox.Literal(value)
    i = where_brace(ECHO)
    assert pushed.last_query == result.text == ECHO[:i] + f"\n  VALUES ?text {{ {term} }}" + ECHO[i:]
    assert values_block({"text": term}) == f"\n  VALUES ?text {{ {term} }}"
    assert result.rows == [(term, None, None, None)]
    assert same(result, run_query(embedded, query, {"text": value}))
    assert counts(pushed) == before


def test_bad_iri_is_rejected_before_anything_is_sent(server, tmp_path):
    endpoint = SparqlEndpoint(server.query_url)
    query = load_query(str(write_query(tmp_path, ECHO, "echo")))
    result = runner.invoke(app, ["query", str(query.path), "--param", "term=http://x/> } ; DROP ALL ; { <http://y",
                                 "--endpoint", server.query_url])
    assert result.exit_code == 2 and result.output.startswith("error[PKG-E064 bad-param]")
    assert endpoint.last_query is None


# --- errors (a stub HTTP server on 127.0.0.1) --------------------------------------------------------------

class Stub(http.server.BaseHTTPRequestHandler):
    status = 200
    body = b""
    user_password = None          # when set, answer 401 unless Basic credentials match
    seen: list = []

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(length) if length else b""
        type(self).seen.append((self.command, self.path, dict(self.headers), data))
        status, body, headers = self.status, self.body, {}
        if self.user_password is not None:
            want = "Basic " + base64.b64encode(self.user_password.encode()).decode()
            if self.headers.get("Authorization") != want:
                status, body, headers = 401, b"who are you?", {"WWW-Authenticate": 'Basic realm="policykg"'}
            else:
                status = 201 if self.command == "PUT" else 200
                body = b"" if self.command == "PUT" else json.dumps(
                    {"head": {"vars": ["x"]}, "results": {"bindings": []}}).encode()
                headers = {} if self.command == "PUT" else {"Content-Type": "application/sparql-results+json"}
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def stub():
    def start(status=200, body=b"", user_password=None):
        handler = type("Handler", (Stub,), {"status": status, "body": body, "user_password": user_password,
                                            "seen": []})
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
        return f"http://127.0.0.1:{httpd.server_address[1]}/query", handler
    servers: list = []
    yield start
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


def test_unreachable_endpoint_exits_3(built_store):
    url = f"http://127.0.0.1:{free_port()}/query"
    for args in (["query", "policy-versions", "--endpoint", url],
                 ["push", "--endpoint", url, "--store", str(built_store[0])]):
        result = runner.invoke(app, args)
        assert result.exit_code == 3, result.output
        assert result.output.startswith("error[PKG-E065 endpoint-unreachable]: no answer from the ")
        assert "fix:   start the server" in result.output


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_exit_3(stub, built_store, status):
    url, _ = stub(status, b"denied")
    for args in (["query", "policy-versions", "--endpoint", url],
                 ["push", "--endpoint", url, "--store", str(built_store[0])]):
        result = runner.invoke(app, args)
        assert result.exit_code == 3, result.output
        assert result.output.startswith("error[PKG-E066 endpoint-auth]:") and str(status) in result.output.splitlines()[0]
        assert f"--user NAME and set the environment variable {PASSWORD_ENV}" in result.output


def test_server_error_exits_3_with_its_first_line(stub, built_store):
    url, _ = stub(500, b"\nstorage is on fire\nsecond line")
    result = runner.invoke(app, ["query", "policy-versions", "--endpoint", url])
    assert result.exit_code == 3
    assert result.output.splitlines()[0].endswith("answered HTTP 500: storage is on fire")
    result = runner.invoke(app, ["push", "--endpoint", url, "--store", str(built_store[0])])
    assert result.exit_code == 3 and "HTTP 500: storage is on fire" in result.output.splitlines()[0]


def test_user_without_password_exits_3(stub, monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    url, _ = stub()
    result = runner.invoke(app, ["query", "policy-versions", "--endpoint", url, "--user", "alice"])
    assert result.exit_code == 3 and result.output.startswith("error[PKG-E066 endpoint-auth]: --user alice is given")
    assert PASSWORD_ENV in result.output


def test_credentials_come_from_the_environment(stub, built_store, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "s3cret")
    url, handler = stub(user_password="alice:s3cret")
    graph_store = url.replace("/query", "/store")
    result = runner.invoke(app, ["push", "--endpoint", url, "--graph-store", graph_store, "--user", "alice",
                                 "--policy", "whiteprovider", "--store", str(built_store[0])])
    assert result.exit_code == 0, result.output
    puts = [s for s in handler.seen if s[0] == "PUT" and s[2].get("Authorization")]
    assert len(puts) == 2 and all(s[1].startswith("/store?graph=https%3A%2F%2Fw3id.org%2Fpolicykg%2F") for s in puts)
    assert puts[0][2]["Content-Type"] == "application/n-triples"
    result = runner.invoke(app, ["query", "policy-versions", "-f", "csv", "--endpoint", url, "--user", "alice"])
    assert result.exit_code == 0, result.output


def test_graph_store_unknown_exits_2(built_store):
    result = runner.invoke(app, ["push", "--endpoint", "http://127.0.0.1:9/somewhere", "--store",
                                 str(built_store[0])])
    assert result.exit_code == 2 and result.output.startswith("error[PKG-E068 graph-store-unknown]")


@pytest.mark.parametrize("endpoint, user, graph_store", [
    ("http://127.0.0.1:7878/query", None, "http://127.0.0.1:7878/store"),                       # Oxigraph
    ("http://localhost:3030/policies/sparql", None, "http://localhost:3030/policies/data"),      # Fuseki
    ("http://localhost:3030/policies/query", None, "http://localhost:3030/policies/data"),       # Fuseki
    ("http://localhost:7200/repositories/policies", None,
     "http://localhost:7200/repositories/policies/rdf-graphs/service"),                          # GraphDB
    ("http://localhost:8890/sparql", None, "http://localhost:8890/sparql-graph-crud"),           # Virtuoso
    ("http://localhost:8890/sparql", "dba", "http://localhost:8890/sparql-graph-crud-auth"),
    ("http://localhost/elsewhere", None, None),
])
def test_graph_store_is_derived_per_server(endpoint, user, graph_store):
    assert graph_store_for(endpoint, user) == graph_store
