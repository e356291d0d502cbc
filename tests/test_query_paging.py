"""Pages of a query (issue 18): `run_query(…, limit=, offset=)` and `policykg query NAME --limit N --offset M`
give the rows the whole ordered answer has at those places, whichever form reaches them (policy by policy,
batches of policies bound as a VALUES block, or the whole query with LIMIT/OFFSET), on a store of the seeds,
a second version of a seed and synthetic policies; the first page reads a few policies, not the corpus; a
dump streams its rows; the graph list kept in the store's generation; the same pages from a real server."""
from __future__ import annotations

import csv
import io
import sys

import pyoxigraph as ox
import pytest
from typer.testing import CliRunner

from kg.cli.main import app
from kg.queries import (PAGING_FORMS, GRAPHS_FILE, ParamError, default_paging, find_queries, load_query,
                        paging_form, parse_query, policy_graphs, run_query, stream_query, with_graphs, with_slice)
from kg.render import csv_rows
from kg.stores import EmbeddedStore
from kg.stores.sparql import where_brace

from .conftest import DATA, ROOT, VERSIONS
from .test_queries import LIBRARY, library_params, write_query

runner = CliRunner()
PAGES = [(0, 1), (3, 5), (10, 40), (25, 0), (0, 10_000)]


@pytest.fixture(scope="module")
def corpus_store(tmp_path_factory):
    """The seeds, the fixture's second WhiteProvider version and 14 synthetic policies: 17 policy graphs."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.generate import generate
    from kg.build import build
    folder = tmp_path_factory.mktemp("paging")
    generate(14, folder / "corpus")
    build([DATA, VERSIONS / "policies", folder / "corpus" / "policies"], store=folder / "store")
    return EmbeddedStore(folder / "store")


def _case(name: str):
    params = {k: v for k, v in library_params(name).items() if k != "policy"}
    return load_query(name), params


@pytest.mark.parametrize("name", LIBRARY)
def test_every_page_is_the_slice_of_the_whole_answer(corpus_store, name):
    """For every library query, in the form it takes: each page is whole[offset:offset+limit], rows in the
    same order (--slow: in every form it can take, and full dumps in them)."""
    _check_pages(corpus_store, name, every_form=False)


@pytest.mark.slow
@pytest.mark.parametrize("name", LIBRARY)
def test_every_form_gives_the_same_pages(corpus_store, name):
    _check_pages(corpus_store, name, every_form=True)


def _check_pages(store, name: str, every_form: bool) -> None:
    query, params = _case(name)
    whole = run_query(store, query, params)
    assert whole.form == "whole"
    default = run_query(store, query, params, limit=9, offset=2)
    assert default.rows == whole.rows[2:11] and default.form == default_paging(query)
    pageable = paging_form(query, _bound(query, params)) != "whole" or query.paging == "whole"
    forms = (PAGING_FORMS if every_form else {default.form, "whole"}) if pageable else ("whole",)
    for form in forms:
        if every_form:
            assert list(stream_query(store, query, params, form=form).rows) == whole.rows, form
        last = (max(len(whole.rows) - 3, 0), 10)
        for offset, limit in PAGES + [last] if form != "batch" else [(3, 5), last]:   # Oxigraph: some slow
            page = list(stream_query(store, query, params, limit=limit, offset=offset, form=form).rows)
            assert page == whole.rows[offset:offset + limit], (form, offset, limit)


def _bound(query, params):
    from kg.queries import bind_params
    return bind_params(query, params)


def test_the_library_pages_by_policy():
    """The queries ordered by policy (after their required parameters) page policy by policy, or in the
    form their header says; the others run whole."""
    library = find_queries()
    forms = {name: default_paging(q) for name, q in library.items()}
    whole = sorted(n for n, f in forms.items() if f == "whole")
    assert "policy-differences" in whole and forms["policy-versions"] == "policy"   # ordered by its graph
    assert sum(f != "whole" for f in forms.values()) >= 20, forms
    for name, q in library.items():
        if q.paging:
            assert forms[name] == q.paging, name


def test_the_first_page_reads_a_few_policies(corpus_store):
    """data-subjects has several rows per policy: 5 rows take the graph list and one or two policies."""
    query = load_query("data-subjects")
    stream = stream_query(corpus_store, query, limit=5)
    rows = list(stream.rows)
    assert len(rows) == 5 and stream.form == "policy" and stream.calls <= 3
    later = stream_query(corpus_store, query, limit=5, offset=30)
    assert list(later.rows) == run_query(corpus_store, query).rows[30:35] and later.calls < 17


def test_pages_follow_a_descending_policy_order(corpus_store, tmp_path):
    text = ("# title: t\n# description: d\n# param: policy IRI optional a graph\n# columns: policy process\n"
            "PREFIX dpv: <https://w3id.org/dpv#>\nSELECT ?policy ?process WHERE {\n"
            "  GRAPH ?policy { ?n a dpv:PrivacyNotice ; dpv:hasProcess ?process }\n}\n"
            "ORDER BY DESC(?policy) ?process\n")
    query = parse_query(write_query(tmp_path, text))
    whole = run_query(corpus_store, query).rows
    assert paging_form(query, {}) == "policy" and whole[0][0].value > whole[-1][0].value
    for form in ("policy", "batch"):
        assert list(stream_query(corpus_store, query, limit=12, offset=4, form=form).rows) == whole[4:16]


def test_a_bound_policy_or_an_own_limit_runs_whole(corpus_store, tmp_path):
    query = load_query("data-subjects")
    one = run_query(corpus_store, query, policy="whiteprovider", limit=3, offset=1)
    assert one.form == "whole" and one.rows == run_query(corpus_store, query, policy="whiteprovider").rows[1:4]
    text = ("# title: t\n# description: d\n# param: policy IRI optional a graph\n# columns: policy\n"
            "PREFIX dpv: <https://w3id.org/dpv#>\nSELECT ?policy WHERE { GRAPH ?policy { ?n a dpv:PrivacyNotice } }\n"
            "ORDER BY ?policy\nLIMIT 6 OFFSET 2\n")
    own = parse_query(write_query(tmp_path, text))
    assert paging_form(own, {}) == "whole"
    everything = run_query(corpus_store, own).rows
    assert len(everything) == 6
    assert run_query(corpus_store, own, limit=3, offset=2).rows == everything[2:5]
    assert run_query(corpus_store, own, limit=30, offset=4).rows == everything[4:6]


def test_forms_that_do_not_fit_and_negative_numbers_are_refused(corpus_store):
    with pytest.raises(ParamError, match="cannot be run in the form 'policy'"):
        stream_query(corpus_store, load_query("policy-differences"),
                     {"policyA": "<https://w3id.org/policykg/policy/a/1>",
                      "policyB": "<https://w3id.org/policykg/policy/b/1>"}, form="policy")
    with pytest.raises(ParamError) as info:
        run_query(corpus_store, load_query("data-subjects"), limit=-1)
    assert info.value.id == "bad-param"


def test_paging_header_is_checked(tmp_path):
    base = ("# title: t\n# description: d\n# param: policy IRI optional a graph\n# columns: policy\n# paging: {}\n"
            "PREFIX dpv: <https://w3id.org/dpv#>\nSELECT ?policy WHERE {{ GRAPH ?policy {{ ?n a dpv:PrivacyNotice }} }}\n"
            "ORDER BY {}\n")
    assert parse_query(write_query(tmp_path, base.format("batch", "?policy"))).paging == "batch"
    from kg.queries import QueryError
    with pytest.raises(QueryError, match="is not one of policy, batch, whole"):
        parse_query(write_query(tmp_path, base.format("pages", "?policy")))
    with pytest.raises(QueryError, match="needs an ORDER BY that starts with \\?policy"):
        parse_query(write_query(tmp_path, base.format("policy", "?n ?policy").replace(
            "# columns: policy", "# columns: policy n").replace("SELECT ?policy", "SELECT ?policy ?n")))


# --- the multi-valued binding and the slice: only IRIs and numbers are written into the text ---------------------

def test_with_graphs_is_the_text_plus_a_block_of_iris():
    query = load_query("data-subjects")
    graphs = [ox.NamedNode("https://w3id.org/policykg/policy/a/2024-01-01"),
              ox.NamedNode("https://w3id.org/policykg/policy/b/2024-01-01")]
    sent = with_graphs(query.text, graphs)
    i = where_brace(query.text)
    block = ("\n  VALUES ?policy { <https://w3id.org/policykg/policy/a/2024-01-01> "
             "<https://w3id.org/policykg/policy/b/2024-01-01> }")
    assert sent == query.text[:i] + block + query.text[i:]
    for bad in ([], ["https://w3id.org/policykg/policy/a/2024-01-01"], [ox.Literal("} DROP ALL {")]):
        with pytest.raises(TypeError):
            with_graphs(query.text, bad)


@pytest.mark.parametrize("text, limit, offset, tail", [
    ("SELECT ?x WHERE { ?x ?p ?o } ORDER BY ?x", 5, 0, "ORDER BY ?x\nLIMIT 5\n"),
    ("SELECT ?x WHERE { ?x ?p ?o } ORDER BY ?x # done", 5, 2, "ORDER BY ?x # done\nLIMIT 5 OFFSET 2\n"),
    ("SELECT ?x WHERE { ?x ?p ?o } LIMIT 10 OFFSET 3", 4, 2, "WHERE { ?x ?p ?o }\nLIMIT 4 OFFSET 5\n"),
    ("SELECT ?x WHERE { ?x ?p ?o } LIMIT 10", 40, 8, "WHERE { ?x ?p ?o }\nLIMIT 2 OFFSET 8\n"),
    ("SELECT ?x WHERE { ?x ?p ?o } OFFSET 3", None, 1, "WHERE { ?x ?p ?o }\nOFFSET 4\n"),
])
def test_with_slice_writes_only_the_numbers(text, limit, offset, tail):
    assert with_slice(text, limit, offset).endswith(tail)


def test_with_slice_leaves_a_trailing_values_block_to_python():
    assert with_slice("SELECT ?x WHERE { ?x ?p ?o } VALUES ?x { <http://x/> }", 3, 0) is None


# --- the graph list kept in the generation -----------------------------------------------------------------------

def test_policy_graphs_are_kept_in_the_generation(corpus_store):
    kept = corpus_store.generation / GRAPHS_FILE
    kept.unlink(missing_ok=True)
    first = policy_graphs(corpus_store)
    assert kept.is_file() and [g.value for g in first] == sorted(p.graph for p in corpus_store.policies())
    assert policy_graphs(corpus_store) == first and policy_graphs(corpus_store, True) == first[::-1]
    kept.write_text("policykg policy graphs of another-generation\nhttps://x/\n", encoding="utf-8")
    assert policy_graphs(corpus_store) == first            # another generation's list is not read
    assert kept.read_text(encoding="utf-8").count("\n") == len(first) + 1


# --- the command line --------------------------------------------------------------------------------------------

def _csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_cli_limit_and_offset(corpus_store):
    args = ["query", "data-subjects", "--store", str(corpus_store.path), "-f", "csv"]
    whole = runner.invoke(app, args)
    page = runner.invoke(app, [*args, "--limit", "4", "--offset", "6"])
    assert whole.exit_code == 0 and page.exit_code == 0, page.output
    assert _csv(page.stdout) == [_csv(whole.stdout)[0]] + _csv(whole.stdout)[7:11]
    table = runner.invoke(app, ["query", "data-subjects", "--store", str(corpus_store.path), "-n", "3"])
    assert table.exit_code == 0 and "3 rows (rows 1-3, policy form)" in table.stderr
    bad = runner.invoke(app, [*args, "--limit", "-2"])
    assert bad.exit_code == 2


def test_cli_csv_dump_is_the_library_answer(corpus_store):
    query, params = _case("personal-data-by-policy")
    result = runner.invoke(app, ["query", "personal-data-by-policy", "--store", str(corpus_store.path), "-f", "csv",
                                 "--raw-csv"])
    assert _csv(result.stdout) == csv_rows(run_query(corpus_store, query, params))


def test_a_dump_streams_its_rows(corpus_store):
    """stream_query gives rows lazily: nothing is asked of the store before the first row is read."""
    calls = []

    class Counting(EmbeddedStore):
        def select(self, text, bindings=None):
            calls.append(text)
            return super().select(text, bindings)

    store = Counting(corpus_store.path)
    stream = stream_query(store, load_query("data-subjects"), limit=50, form="policy")
    assert calls == []
    rows = iter(stream.rows)
    next(rows)
    assert 1 <= len(calls) <= 3
    assert len(list(rows)) == 49 and stream.count == 50


# --- a real server: the same pages -------------------------------------------------------------------------------

@pytest.mark.slow
def test_pages_on_a_server_are_the_embedded_pages(corpus_store):
    from .conftest_server import OxigraphServer, oxigraph_binary
    if not oxigraph_binary():
        pytest.skip("the `oxigraph` server binary is absent")
    from kg.stores import SparqlEndpoint
    with OxigraphServer() as server:
        pushed = runner.invoke(app, ["push", "--endpoint", server.query_url, "--store", str(corpus_store.path),
                                     "--format", "json"])
        assert pushed.exit_code == 0, pushed.output
        import json
        report = json.loads(pushed.stdout)
        assert report["graphStore"].endswith("/store") and len(report["graphs"]) == 18
        assert report["triples"] == sum(g["triples"] for g in report["graphs"]) > 0
        remote = SparqlEndpoint(server.query_url)
        for name in ("data-subjects", "financial-and-sensitive-data", "policy-summary", "cookies-and-trackers"):
            query, params = _case(name)
            whole = run_query(corpus_store, query, params).rows
            for form in PAGING_FORMS:
                page = list(stream_query(remote, query, params, limit=6, offset=3, form=form).rows)
                assert [tuple(map(str, r)) for r in page] == [tuple(map(str, r)) for r in whole[3:9]], (name, form)


def test_a_server_may_answer_the_columns_in_another_order(corpus_store):
    """Each policy's answer is read by column name; other columns are the store's bad answer."""
    from kg.errors import KgError
    from kg.stores.base import Solutions

    class Reordering(EmbeddedStore):
        columns = None

        def select(self, text, bindings=None):
            answer = super().select(text, bindings)
            if answer.columns != ["policy"] and self.columns is None:
                order = list(reversed(range(len(answer.columns))))
                return Solutions([answer.columns[i] for i in order], [tuple(r[i] for i in order) for r in answer.rows],
                                 answer.text)
            if answer.columns != ["policy"]:
                return Solutions(self.columns, answer.rows, answer.text)
            return answer

    store = Reordering(corpus_store.path)
    query = load_query("data-subjects")
    whole = run_query(corpus_store, query).rows
    assert run_query(store, query, limit=8, offset=4).rows == whole[4:12]
    store.columns = ["a", "b", "c", "d"]
    with pytest.raises(KgError, match="the columns are a, b, c, d, not policy, process, dataSubject, inherited"):
        run_query(store, query, limit=8)
