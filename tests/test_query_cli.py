"""Frictions of `policykg query` (issue 19): a SPARQL file of one's own runs as it is (the library's header
rules are the library's), every problem of a library header is reported at once, `--sparql` runs inline
text, `--format json` on `queries` and `push`, and tables written to a file or a pipe are never cut."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from kg.cli.main import app
from kg.queries import QueryError, find_queries, load_query, parse_query, sparql_query
from kg.render import pushed_json
from kg.stores.sparql_push import PushedGraph

from .conftest import ROOT
from .test_queries import write_query

runner = CliRunner()
NOTICES = ("PREFIX dpv: <https://w3id.org/dpv#>\nSELECT ?policy WHERE { GRAPH ?policy { ?n a dpv:PrivacyNotice } }\n"
           "ORDER BY ?policy\n")


def _cli(*args, **kwargs):
    return runner.invoke(app, list(args), **kwargs)


def _csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


# --- a query of one's own ------------------------------------------------------------------------------------------

def test_a_plain_sparql_file_runs_as_it_is(built_store, tmp_path):
    path = write_query(tmp_path, "# which policies are stored?\n# (my own notes: no header here)\n" + NOTICES, "mine")
    result = _cli("query", str(path), "--store", str(built_store[0]), "-f", "csv")
    assert result.exit_code == 0, result.output
    assert _csv(result.stdout) == [["policy"], ["https://w3id.org/policykg/policy/planethoster/2015-09-01"],
                                   ["https://w3id.org/policykg/policy/whiteprovider/2024-05-19"]]
    query = load_query(str(path))
    assert not query.library and query.columns == ["policy"] and query.title == ""


def test_a_file_of_ones_own_needs_no_order_by_and_may_declare_params(built_store, tmp_path):
    text = ("# note: anything\n# param: policy IRI optional a graph\n"
            "PREFIX dpv: <https://w3id.org/dpv#>\nSELECT ?policy ?process WHERE {\n"
            "  GRAPH ?policy { ?n a dpv:PrivacyNotice ; dpv:hasProcess ?process } }\n")
    path = write_query(tmp_path, text, "mine")
    result = _cli("query", str(path), "--store", str(built_store[0]), "--policy", "whiteprovider", "-f", "csv")
    assert result.exit_code == 0, result.output
    rows = _csv(result.stdout)
    assert rows[0] == ["policy", "process"] and len(rows) > 2
    assert {r[0] for r in rows[1:]} == {"https://w3id.org/policykg/policy/whiteprovider/2024-05-19"}


def test_a_wrong_param_line_of_ones_own_is_reported(tmp_path):
    path = write_query(tmp_path, "# param: policy URL optional a graph\n" + NOTICES, "mine")
    with pytest.raises(QueryError) as info:
        load_query(str(path))
    assert "unknown type 'URL'" in info.value.what and info.value.where.line == 1


def test_a_library_header_reports_every_problem_at_once(built_store, tmp_path):
    text = ("# title: t\n# descripton: typo\n# param: policy IRI maybe a graph\n# columns: policy extra\n"
            "PREFIX dpv: <https://w3id.org/dpv#>\nSELECT ?policy WHERE { GRAPH ?policy { ?n a dpv:PrivacyNotice } }\n")
    (tmp_path / "lib").mkdir()
    write_query(tmp_path / "lib", text, "broken")
    write_query(tmp_path / "lib", text.replace("# title: t\n", ""), "worse")
    with pytest.raises(QueryError) as info:
        parse_query(tmp_path / "lib" / "broken.rq")
    whats = [e.what for e in info.value.errors]
    assert len(whats) == 5, whats
    assert any("unknown header key 'descripton'" in w for w in whats)
    assert any("must be 'required' or 'optional'" in w for w in whats)
    assert any("the header has no 'description'" in w for w in whats)
    assert any("differs from the SELECT variables" in w for w in whats)
    assert any("no ORDER BY" in w for w in whats)
    result = _cli("query", "broken", "--dir", str(tmp_path / "lib"), "--store", str(built_store[0]))
    assert result.exit_code == 2
    assert result.output.count("error[PKG-E061 invalid-query]") == 6   # each problem, then the summary
    assert "broken.rq:2" in result.output and "broken.rq:3" in result.output
    listing = _cli("queries", "--dir", str(tmp_path / "lib"))
    assert listing.exit_code == 2 and "11 problems in 2 query file(s)" in listing.output
    assert "worse.rq" in listing.output and "broken.rq" in listing.output


# --- inline SPARQL -------------------------------------------------------------------------------------------------

def test_sparql_inline_and_from_stdin(built_store):
    store = ["--store", str(built_store[0]), "-f", "csv"]
    inline = _cli("query", "--sparql", NOTICES, *store)
    piped = _cli("query", "--sparql", "-", *store, input=NOTICES)
    assert inline.exit_code == 0 and piped.exit_code == 0, inline.output + piped.output
    assert inline.stdout == piped.stdout and len(_csv(inline.stdout)) == 3
    assert sparql_query(NOTICES).name == "<--sparql>"


@pytest.mark.parametrize("args, first", [
    (["query"], "error[PKG-E090 usage]: give a query NAME (or a .rq file) or --sparql TEXT"),
    (["query", "data-subjects", "--sparql", NOTICES], "error[PKG-E090 usage]: give a query NAME or --sparql TEXT, "
                                                      "not both"),
    (["query", "--sparql", "  "], "error[PKG-E090 usage]: --sparql is empty"),
    (["query", "--sparql", "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"],
     "error[PKG-E061 invalid-query]: the query is a CONSTRUCT or DESCRIBE query, not a SELECT"),
    (["query", "--sparql", "ASK { ?s ?p ?o }"], "error[PKG-E061 invalid-query]: the query is an ASK query, not a SELECT"),
    (["query", "--sparql", "SELECT ?x WHERE { ?x ?y }"], "error[PKG-E061 invalid-query]: the query does not parse"),
    (["query", "--sparql", NOTICES, "-P", "x=1"], "error[PKG-E062 unknown-param]: query '<--sparql>' has no "
                                                  "parameter 'x'"),
])
def test_sparql_usage_errors(built_store, args, first):
    result = _cli(*args, "--store", str(built_store[0]))
    assert result.exit_code == 2, result.output
    assert result.output.splitlines()[0].startswith(first), result.output
    assert "Traceback" not in result.output


# --- machine-readable lists and pushes ------------------------------------------------------------------------------

def test_queries_json_says_how_each_query_pages():
    result = _cli("queries", "--format", "json")
    listed = {q["name"]: q for q in json.loads(result.stdout)}
    assert listed["data-subjects"]["paging"] == "policy" and listed["policy-differences"]["paging"] == "whole"
    assert set(listed) == set(find_queries())


def test_pushed_json():
    out = json.loads(pushed_json([PushedGraph("https://g/1", 3, 0.0123), PushedGraph("https://g/2", 4, 0.5)],
                                 "http://h/query", "http://h/store"))
    assert out == {"endpoint": "http://h/query", "graphStore": "http://h/store", "triples": 7, "seconds": 0.512,
                   "graphs": [{"graph": "https://g/1", "triples": 3, "seconds": 0.012},
                              {"graph": "https://g/2", "triples": 4, "seconds": 0.5}]}


def test_push_format_is_checked(built_store):
    result = _cli("push", "--endpoint", "http://127.0.0.1:9/query", "--format", "xml", "--store", str(built_store[0]))
    assert result.exit_code == 2 and "--format xml is not one of text, json" in result.output


# --- tables to a file or a pipe --------------------------------------------------------------------------------------

def test_a_piped_table_is_never_cut(built_store):
    long = "x" * 300 + " end"
    text = f'SELECT ?text ?n WHERE {{ VALUES (?text ?n) {{ ("{long}" 1) ("a\\tb" 2) }} }} ORDER BY ?n'
    result = _cli("query", "--sparql", text, "--store", str(built_store[0]), env={"COLUMNS": "40"})
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["text\tn", f"{long}\t1", "a\\tb\t2"]
    assert "1 row" not in result.stdout and "2 rows from" in result.stderr


def test_the_piped_library_list_is_whole():
    result = _cli("queries", env={"COLUMNS": "40"})
    lines = result.stdout.splitlines()
    library = find_queries()
    assert lines[0] == "name\ttitle\tparams" and len(lines) == len(library) + 1
    for line in lines[1:]:
        name, title, _ = line.split("\t")
        assert title == library[name].title


def test_a_closed_pipe_ends_the_command_quietly(built_store):
    """`policykg query … | head -1`: the reader goes away; no error, no traceback, exit 0."""
    every = "SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"
    script = (f"set -o pipefail; {sys.executable} -m kg query --sparql '{every}' -f csv --store {built_store[0]} "
              "| head -1")
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "s,p,o\n" and done.stderr == ""


@pytest.mark.parametrize("command", [["export", "--format", "ttl", "--policy", "whiteprovider"],
                                     ["export", "--format", "nq"], ["list"]])
def test_any_command_ends_quietly_when_its_reader_goes(built_store, command):
    """Every command, not only `query`: `policykg export … | head -1` exits 0 with nothing on stderr (it
    was reported as a bug, PKG-E099)."""
    import shlex
    script = (f"set -o pipefail; {sys.executable} -m kg {shlex.join(command)} --store {built_store[0]} | head -c 1"
              " > /dev/null")
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_a_broken_pipe_that_is_not_standard_output_is_a_bug(monkeypatch, capsys):
    """Only a reader that went away ends a command quietly: a broken pipe elsewhere (a worker, a server) is
    still reported."""
    import typer

    from kg.cli.main import report_errors

    @report_errors
    def command():
        raise BrokenPipeError(32, "Broken pipe")
    with pytest.raises(typer.Exit) as ended:
        command()
    assert ended.value.exit_code == 70 and "PKG-E099" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["data-subjects", "purposes-by-policy", "recipients-and-third-parties",
                                  "rights-missing", "term-labels"])
def test_table_labels_from_the_store_are_the_vocabulary_labels(built_store, vocabulary, name):
    """A table's labels are read from the store's vocabulary graph for the terms it shows (no vocabulary to
    load): the same cells as with the vocabulary, in English and French."""
    from kg.queries import run_query, store_labels
    from kg.render import Labels, plain_lines
    from kg.stores import EmbeddedStore

    from .test_queries import library_params
    store = EmbeddedStore(built_store[0])
    result = run_query(store, load_query(name), library_params(name))
    labels = Labels(store_labels(store, {t for row in result.rows for t in row if t is not None}))
    for lang in ("en", "fr"):
        assert list(plain_lines(result, lang, labels)) == list(plain_lines(result, lang, vocabulary))
