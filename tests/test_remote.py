"""The remote path against a real `oxigraph serve` on 127.0.0.1: push (Graph Store Protocol PUT, no
duplicates on re-push), every library query gives the same result on the embedded store and on the server,
injection attempts leave the text and the server's data unchanged; export, diff and validate of stored
policies give on the server what they give on the embedded store (the same bytes, findings and diff); and
the endpoint errors (unreachable, credentials, HTTP errors) against a small local stub server, for every
command that reads a store."""
from __future__ import annotations

import base64
import http.server
import json
import re
import threading
from collections import Counter

import pyoxigraph as ox
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic
from typer.testing import CliRunner

from kg import namespaces as ns
from kg.cli.main import app
from kg.diff import diff_targets
from kg.diff import render as render_diff
from kg.errors import UsageError
from kg.export import FORMATS, export_store
from kg.inventory import select_policies, vocabulary_graphs
from kg.queries import load_query, run_query
from kg.render import csv_rows
from kg.stores import EmbeddedStore, SparqlEndpoint, open_backend
from kg.stores.sparql import PASSWORD_ENV, graph_store_for, values_block, where_brace
from kg.validate import validate_store

from .conftest import DATA
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


def test_push_prune_removes_the_policykg_graphs_the_store_no_longer_holds(pushed, embedded, built_store, server):
    """A policy and a vocabulary graph the store does not hold are removed; a graph outside policykg's IRIs
    stays; the store's graphs are untouched; a second prune removes nothing."""
    stale = [ns.policy_graph_iri("gone", "2020-01-01"), ns.policy_graph_iri("gone", "2020-01-01") + "/inferred",
             ns.VOCAB_GRAPH_BASE + "retired"]
    other = "http://example.org/not-policykg"
    triple = b"<http://example.org/s> <http://example.org/p> <http://example.org/o> .\n"
    for graph in stale + [other]:
        pushed.put_graph(graph, triple)
    before = counts(embedded)
    assert set(stale) | {other} <= set(counts(pushed))
    args = ["push", "--endpoint", server.query_url, "--store", str(built_store[0]), "--policy", "planethoster",
            "--prune"]
    result = runner.invoke(app, args + ["--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["removed"] == sorted(stale)
    remote = counts(pushed)
    assert other in remote and not set(stale) & set(remote)
    assert {g: n for g, n in remote.items() if g != other} == before
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and "pruned nothing" in again.output, again.output
    assert pushed.delete_graph(other) in (200, 204) and other not in counts(pushed)
    assert pushed.delete_graph(other) == 404   # already gone: what was asked


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
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
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


# --- export, diff and validate through the store interface: embedded == server ----------------------------
# (issue 15) The commands read a stored policy through kg.stores' PolicyStore; on an Oxigraph server that
# holds what `push` uploaded they give what they give on the embedded store: the same export bytes, the same
# findings (quotes included), the same diff. Seed-specific numbers are not pinned: the seeds are compared
# with themselves.

ROOT_CARD = DATA / "policies" / "whiteprovider" / "2024-05-19.yaml"
VERSION_KEYS = ("whiteprovider@2024-05-19", "whiteprovider@2025-03-01")


@pytest.fixture(scope="module")
def versions_server(versions_store):
    """A second server holding the seeds and a second whiteprovider version (for diff SLUG), pushed by the CLI."""
    if not oxigraph_binary():
        pytest.skip("the `oxigraph` server binary is absent")
    with OxigraphServer() as running:
        result = runner.invoke(app, ["push", "--endpoint", running.query_url, "--store", str(versions_store)])
        assert result.exit_code == 0, result.output
        yield running
    assert running.process.poll() is not None


@pytest.fixture(scope="module")
def both(versions_server, versions_store):
    """(embedded store, the server's endpoint, the CLI's store options for each) holding the same graphs."""
    return (EmbeddedStore(versions_store), SparqlEndpoint(versions_server.query_url),
            ["--store", str(versions_store)], ["--endpoint", versions_server.query_url])


def test_inventory_same_on_embedded_and_server(both):
    local, remote = both[:2]
    assert [(p.key, p.graph) for p in select_policies(remote, None)] == \
        [(p.key, p.graph) for p in select_policies(local, None)]
    assert [p.key for p in select_policies(remote, ["whiteprovider"])] == [VERSION_KEYS[1]]
    assert [p.key for p in select_policies(remote, ["whiteprovider@*"])] == list(VERSION_KEYS)
    assert vocabulary_graphs(remote) == vocabulary_graphs(local) == [ns.VOCAB_GRAPH]
    for p in select_policies(local, None):
        assert remote.graph_triples(p.graph) == local.graph_triples(p.graph)   # the same order, too
    with pytest.raises(UsageError) as raised:
        select_policies(remote, ["nobody"])
    assert raised.value.id == "unknown-policy" and remote.url in raised.value.what


# (JSON-LD of the whole vocabulary takes rdflib minutes: the other formats cover the vocabulary graph)
@pytest.mark.parametrize("fmt, selection, vocabulary", [
    (fmt, selection, vocabulary) for fmt in sorted(FORMATS)
    for selection, vocabulary in ((None, False), (["whiteprovider@*"], False), (["planethoster"], True))
    if not (fmt == "jsonld" and vocabulary)])
def test_export_same_bytes_on_embedded_and_server(both, fmt, selection, vocabulary):
    local, remote = both[:2]
    data = export_store(local, FORMATS[fmt], selection, vocabulary)
    assert data and export_store(remote, FORMATS[fmt], selection, vocabulary) == data


@pytest.mark.parametrize("fmt", ["nq", "ttl"])
def test_cli_export_on_endpoint_writes_the_same_bytes(both, fmt, tmp_path):
    _, _, local, remote = both
    a = runner.invoke(app, ["export", "-f", fmt, "-p", "whiteprovider@*", *local])
    b = runner.invoke(app, ["export", "-f", fmt, "-p", "whiteprovider@*", *remote])
    assert a.exit_code == b.exit_code == 0, b.output
    assert a.stdout_bytes and b.stdout_bytes == a.stdout_bytes
    out = tmp_path / f"remote.{fmt}"
    c = runner.invoke(app, ["export", "-p", "whiteprovider@*", "-o", str(out), *remote])
    assert c.exit_code == 0, c.output
    assert out.read_bytes() == a.stdout_bytes


def _reports(run) -> list:
    return [(r.policy, r.profiles, r.findings, r.engine) for r in run.reports]


@pytest.mark.parametrize("engine", ["oxigraph", "pyshacl-turbo"])
def test_validate_same_findings_on_embedded_and_server(both, engine):
    if engine == "pyshacl-turbo":
        pytest.importorskip("pyshacl_turbo")   # the rdflib path, as pySHACL's
    local, remote = both[:2]
    selectors = None if engine == "oxigraph" else [VERSION_KEYS[0]]
    a, b = validate_store(local, selectors, engine=engine), validate_store(remote, selectors, engine=engine)
    assert _reports(a) and any(r.findings for r in a.reports)
    assert _reports(b) == _reports(a)   # findings with their quotes, messages, focus labels
    assert all(isomorphic(x.graph, y.graph) for x, y in zip(a.reports, b.reports))
    assert [r.source for r in b.reports] == [r.source for r in a.reports]


def _seconds_out(text: str) -> str:
    return re.sub(r'"seconds": [0-9.e-]+', '"seconds": 0', text)


def _ground_report(ttl: str) -> Counter:
    """A Turtle report's triples, the run's own time (pks:seconds) left out and every blank node as one
    placeholder, counted (rdflib's isomorphism test takes a minute on a report graph of ~7,000 triples)."""
    from rdflib import BNode

    from kg.namespaces import PKS
    g = Graph().parse(data=ttl, format="turtle")
    g.remove((None, PKS.seconds, None))
    return Counter(tuple("_" if isinstance(t, BNode) else t for t in triple) for triple in g)


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "ttl"])
def test_cli_validate_on_endpoint_prints_the_same_report(both, fmt, monkeypatch):
    _, _, local, remote = both
    # an endpoint has no card lines (the build keeps them beside the embedded store): like with like
    monkeypatch.setattr("kg.build_manifest.read_locations", lambda *args: None)
    args = ["validate", "whiteprovider@*", "planethoster", "-f", fmt, "--no-cache"]
    a, b = runner.invoke(app, [*args, *local]), runner.invoke(app, [*args, *remote])
    assert a.exit_code == b.exit_code and a.exit_code in (0, 1), b.output
    if fmt == "ttl":   # blank-node labels of the report graph differ from run to run, on either store
        assert _ground_report(a.stdout) == _ground_report(b.stdout)
    else:
        assert _seconds_out(b.stdout) == _seconds_out(a.stdout)


@pytest.mark.parametrize("targets", [list(VERSION_KEYS), ["planethoster", VERSION_KEYS[1]],
                                     [str(ROOT_CARD), "whiteprovider"]])
def test_diff_same_on_embedded_and_server(both, versions_store, targets):
    local, remote = both[:2]
    a = diff_targets(*targets, store=local)
    b = diff_targets(*targets, store=remote)
    assert a.changes == b.changes and (a.appeared, a.disappeared) == (b.appeared, b.disappeared)
    for fmt in ("text", "json", "trig"):
        assert render_diff(b, fmt) == render_diff(a, fmt), fmt


def _same_on_both(both, args: list[str]) -> None:
    """The command prints the same on the embedded store and on the server, and succeeds."""
    _, _, local, remote = both
    a, b = runner.invoke(app, [*args, *local]), runner.invoke(app, [*args, *remote])
    assert a.exit_code == b.exit_code == 0, b.output
    assert a.stdout and b.stdout == a.stdout


@pytest.mark.parametrize("args", [list(VERSION_KEYS), ["whiteprovider"], ["whiteprovider", "--no-findings"]])
@pytest.mark.parametrize("fmt", ["text", "json", "trig"])
def test_cli_diff_on_endpoint_prints_the_same_diff(both, args, fmt):
    _same_on_both(both, ["diff", *args, "-f", fmt])


@pytest.mark.parametrize("args", [["planethoster", "whiteprovider"], [*VERSION_KEYS, "planethoster"]])
@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_cli_compare_on_endpoint_prints_the_same_comparison(both, args, fmt):
    _same_on_both(both, ["compare", *args, "-f", fmt])


def test_cli_diff_on_endpoint_with_one_version_says_so(both):
    result = runner.invoke(app, ["diff", "planethoster", *both[3]])
    assert result.exit_code == 2 and result.output.startswith("error[PKG-E075 diff-input]")


@pytest.mark.parametrize("command", [["export", "-f", "nq", "-p"], ["validate"], ["diff", "whiteprovider"],
                                     ["compare", "planethoster"]])
def test_unknown_policy_on_endpoint_names_the_endpoint(both, command):
    result = runner.invoke(app, [*command, "nobody@2020-01-01", *both[3]])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"error[PKG-E035 unknown-policy]: no policy 'nobody@2020-01-01' on {both[1].url}")


def test_export_of_an_empty_server_says_push(server):
    result = runner.invoke(app, ["export", "-f", "nq", "--endpoint", server.query_url, "-p", "x"])
    assert result.exit_code == 2 and "PKG-E035" in result.output
    with OxigraphServer() as empty:
        result = runner.invoke(app, ["export", "-f", "nq", "--endpoint", empty.query_url])
        assert result.exit_code == 2 and "the store holds no policy" in result.output and "policykg push" in result.output


# the endpoint errors keep their ids (PKG-E065, E066, E067) on export, diff and validate

STORE_COMMANDS = [["export", "-f", "nq"], ["validate", "whiteprovider"], ["diff", "whiteprovider"],
                  ["diff", "planethoster", "whiteprovider@2024-05-19"]]


@pytest.mark.parametrize("command", STORE_COMMANDS)
def test_unreachable_endpoint_exits_3_on_every_store_command(command):
    url = f"http://127.0.0.1:{free_port()}/query"
    result = runner.invoke(app, [*command, "--endpoint", url])
    assert result.exit_code == 3, result.output
    assert result.output.startswith("error[PKG-E065 endpoint-unreachable]: no answer from the query at " + url)


@pytest.mark.parametrize("command", STORE_COMMANDS)
def test_refused_and_failing_endpoint_exit_3_on_every_store_command(stub, command, monkeypatch):
    url, _ = stub(401, b"denied")
    result = runner.invoke(app, [*command, "--endpoint", url])
    assert result.exit_code == 3 and result.output.startswith("error[PKG-E066 endpoint-auth]:"), result.output
    url, _ = stub(500, b"storage is on fire")
    result = runner.invoke(app, [*command, "--endpoint", url])
    assert result.exit_code == 3 and result.output.splitlines()[0] == \
        f"error[PKG-E067 endpoint-error]: the query at {url} answered HTTP 500: storage is on fire"
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    result = runner.invoke(app, [*command, "--endpoint", url, "--user", "alice"])
    assert result.exit_code == 3 and result.output.startswith("error[PKG-E066 endpoint-auth]: --user alice is given")
    result = runner.invoke(app, [*command, "--endpoint", url, "--timeout", "0"])
    assert result.exit_code == 2 and "--timeout 0 is not a positive number" in result.output
