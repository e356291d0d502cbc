"""The query library (kg.queries, kg.render, `policykg queries|query`): headers, typed parameters bound as
terms, injection attempts, the expected result of every queries/*.rq, and the CLI's exit codes."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from typer.testing import CliRunner

from kg import namespaces as ns
from kg.cli.main import app
from kg.queries import (Param, ParamError, QueryError, QueryResult, bind_params, load_query,
                        parse_query, run_query, to_term)
from kg.render import csv_rows, to_csv, to_json
from kg.stores import EmbeddedStore
from kg.stores.sparql import serialize_term, values_block, where_brace, with_values

from .conftest import ROOT

runner = CliRunner()
QUERIES = ROOT / "queries"
EXPECTED = ROOT / "tests" / "queries"
LIBRARY = sorted(p.stem for p in QUERIES.glob("*.rq"))
INJECTIONS = ['} ; DROP ALL ; {', '" } ; DROP ALL ; { "', "' } ; CLEAR DEFAULT ; { '", '"""}""" ;', "\\\" }",
              '\\u0022 } ; DROP ALL ; {', "a\nb\r\tc", "<http://x/> ?s ?p ?o", "# }\n} DROP ALL {"]

ECHO = """# title: Echo
# description: Gives back its parameters (a test fixture).
# param: text  literal  optional  any text
# param: day  date  optional  a date
# param: n  integer  optional  a number
# param: term  IRI  optional  an IRI
# columns: text day n term
SELECT ?text ?day ?n ?term WHERE { }
ORDER BY ?text
"""


def library_params(name: str) -> dict[str, str]:
    """The parameters a library query is tested with: tests/queries/<name>.params, one name=value a line."""
    path = EXPECTED / f"{name}.params"
    if not path.exists():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#"))
    return {k.strip(): v.strip() for k, v in pairs}


def write_query(tmp_path: Path, text: str, name: str = "q") -> Path:
    path = tmp_path / f"{name}.rq"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def store(built_store):
    return EmbeddedStore(built_store[0])


# --- headers ---------------------------------------------------------------------------------------------

GOOD = """# title: Processes for a purpose
# description: Every process that a policy declares for the given purpose,
#   with the policy it belongs to.
# param: purpose  IRI  required  a DPV purpose, e.g. dpv:DirectMarketing
# param: policy IRI optional restrict to one policy graph
# columns: purpose policy process
# legal: GDPR Art. 13(1)(c)
PREFIX dpv: <https://w3id.org/dpv#>
SELECT ?purpose ?policy ?process WHERE {
  GRAPH ?policy { ?process dpv:hasPurpose ?purpose }
}
ORDER BY ?policy ?process
"""


def test_header_is_parsed(tmp_path):
    q = parse_query(write_query(tmp_path, GOOD, "processes-for-purpose"))
    assert q.name == "processes-for-purpose" and q.title == "Processes for a purpose"
    assert q.description == "Every process that a policy declares for the given purpose, with the policy it belongs to."
    assert q.params == [Param("purpose", "IRI", True, "a DPV purpose, e.g. dpv:DirectMarketing"),
                        Param("policy", "IRI", False, "restrict to one policy graph")]
    assert q.columns == ["purpose", "policy", "process"] and q.legal == "GDPR Art. 13(1)(c)"


@pytest.mark.parametrize("change, message", [
    (("# title: Processes for a purpose\n", ""), "the header has no 'title'"),
    (("# columns: purpose policy process", "# columns: purpose process"), "differs from the SELECT variables"),
    (("# param: policy IRI optional", "# param: graph IRI optional"), "param 'graph' is not a variable"),
    (("# param: policy IRI optional", "# param: policy URL optional"), "unknown type 'URL'"),
    (("# param: policy IRI optional", "# param: policy IRI maybe"), "must be 'required' or 'optional'"),
    (("# legal:", "# legl:"), "unknown header key 'legl'"),
    (("ORDER BY ?policy ?process\n", ""), "no ORDER BY"),
    (("WHERE {\n", "WHERE {{\n"), "does not parse"),
    (("SELECT ?purpose ?policy ?process WHERE", "SELECT ?purpose ?process WHERE"), "differs from the SELECT"),
])
def test_bad_headers_are_rejected(tmp_path, change, message):
    with pytest.raises(QueryError) as info:
        parse_query(write_query(tmp_path, GOOD.replace(*change)))
    assert any(message in what for what in problems(info.value)), problems(info.value)


def problems(error: QueryError) -> list[str]:
    """The problems an error reports: its own, or each of those it gathers."""
    return [e.what for e in error.errors] or [error.what]


def test_param_must_be_projected(tmp_path):
    text = GOOD.replace("# columns: purpose policy process", "# columns: policy process").replace(
        "SELECT ?purpose ?policy", "SELECT ?policy")
    with pytest.raises(QueryError, match="param 'purpose' is not a SELECT variable"):
        parse_query(write_query(tmp_path, text))


def test_library_is_not_empty():
    assert LIBRARY, f"no query in {QUERIES}"


@pytest.mark.parametrize("name", LIBRARY)
def test_library_header(name):
    """Every queries/*.rq: title, description, columns == SELECT variables, params are projected variables."""
    q = parse_query(QUERIES / f"{name}.rq")
    assert q.title and q.description and q.columns


# --- expected results ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", LIBRARY)
def test_library_expected_result(name, store, update_golden):
    """Each query, run with tests/queries/<name>.params only, gives tests/queries/<name>.expected.csv
    (header equal, rows as a multiset). `pytest --update-golden` rewrites the file."""
    import csv
    expected_file = EXPECTED / f"{name}.expected.csv"
    if update_golden:
        rows = csv_rows(run_query(store, load_query(name), library_params(name)))
        with expected_file.open("w", encoding="utf-8", newline="") as f:
            csv.writer(f, lineterminator="\n").writerows(rows)  # in the query's ORDER BY
    assert expected_file.exists(), f"queries/{name}.rq has no expected result {expected_file.relative_to(ROOT)}"
    with expected_file.open(encoding="utf-8", newline="") as f:
        expected = list(csv.reader(f))
    got = csv_rows(run_query(store, load_query(name), library_params(name)))
    assert got[0] == expected[0]
    assert Counter(map(tuple, got[1:])) == Counter(map(tuple, expected[1:]))


# --- parameters -------------------------------------------------------------------------------------------

IRI = Param("term", "IRI", True)


@pytest.mark.parametrize("value, iri", [
    ("dpv:DirectMarketing", ns.DPV + "DirectMarketing"),
    ("https://w3id.org/dpv/pd#EmailAddress", ns.PD + "EmailAddress"),
    ("<https://example.org/a>", "https://example.org/a"),
    ("eu-gdpr:A6-1-a", ns.EU_GDPR + "A6-1-a"),
    ("urn:x:y", "urn:x:y"),
])
def test_iri_and_curie_values(value, iri):
    assert to_term(IRI, value) == ox.NamedNode(iri)
    assert to_term(Param("term", "CURIE", True), value) == ox.NamedNode(iri)


@pytest.mark.parametrize("value", ["DirectMarketing", "nope:Thing x", "http://x/> } ; DROP ALL ; { <http://y",
                                   "dpv:A>}", 'http://x/"', "http://x/{}", "", "_:b0", "dpv:a b"])
def test_bad_iri_values(value):
    with pytest.raises(ParamError) as info:
        to_term(IRI, value)
    assert info.value.id == "bad-param"


def test_typed_values():
    assert to_term(Param("d", "date", True), "2024-05-19") == ox.Literal(
        "2024-05-19", datatype=ox.NamedNode(ns.XSD + "date"))
    assert to_term(Param("n", "integer", True), "+030") == ox.Literal("30", datatype=ox.NamedNode(ns.XSD + "integer"))
    assert to_term(Param("t", "literal", True), "Nous conservons") == ox.Literal("Nous conservons")
    for kind, value in [("date", "2024-02-30"), ("date", "19/05/2024"), ("date", "2024-05-19T00:00:00"),
                        ("integer", "3.5"), ("integer", "30 } ; DROP ALL"), ("integer", "")]:
        with pytest.raises(ParamError, match="not a"):
            to_term(Param("x", kind, True), value)


def test_unknown_and_missing_params_list_the_declared_ones(tmp_path):
    q = parse_query(write_query(tmp_path, GOOD))
    with pytest.raises(ParamError) as info:
        bind_params(q, {"purpose": "dpv:Marketing", "purpse": "x"})
    assert info.value.id == "unknown-param" and "purpose=<IRI> (required" in info.value.fix
    with pytest.raises(ParamError) as info:
        bind_params(q, {})
    assert info.value.id == "missing-param" and "policy=<IRI> (optional" in info.value.fix
    assert bind_params(q, {"purpose": "dpv:Marketing"}) == {"purpose": ox.NamedNode(ns.DPV + "Marketing")}


def test_optional_params_left_unset_are_not_bound(store):
    q = load_query("policy-versions") if (QUERIES / "policy-versions.rq").exists() else None
    if q is None:
        pytest.skip("queries/policy-versions.rq is not written yet")
    everything = run_query(store, q)
    one = run_query(store, q, policy="whiteprovider")
    assert one.bindings == {"policy": ox.NamedNode(ns.policy_graph_iri("whiteprovider", "2024-05-19"))}
    assert 0 < len(one.rows) < len(everything.rows) and everything.bindings == {}


# --- injection: values are bound, the text never changes -------------------------------------------------

def _quads(store: EmbeddedStore) -> int:
    return len(store.store)


@pytest.mark.parametrize("value", INJECTIONS)
def test_injection_is_bound_as_a_value_on_the_embedded_store(tmp_path, store, value):
    q = load_query(str(write_query(tmp_path, ECHO, "echo")))
    before = _quads(store)
    result = run_query(store, q, {"text": value})
    assert result.text == ECHO                       # the text run is the file's text
    assert result.rows == [(ox.Literal(value), None, None, None)]   # and the value comes back intact
    assert _quads(store) == before


@pytest.mark.parametrize("value", INJECTIONS)
def test_values_block_is_the_file_text_plus_serialised_terms(value):
    term = ox.Literal(value)
    sent = with_values(ECHO, {"text": term})
    i = where_brace(ECHO)
    block = f"\n  VALUES ?text {{ {str(term)} }}"
    assert block == values_block({"text": term}) and sent == ECHO[:i] + block + ECHO[i:]
    assert ox.Store().query(sent).__next__()[0] == term   # the serialised term parses back to the value


def test_where_brace_skips_comments_iris_and_strings():
    text = ('# a { in a comment\nPREFIX x: <http://x/#> # {\n'
            'SELECT ?a ("{" AS ?b) (\'{\' AS ?c) FROM <http://g/#> WHERE { ?a ?b "{" }')
    i = where_brace(text)
    assert text[i - 7:].startswith('WHERE { ?a ?b "{" }')


def test_only_iris_and_literals_are_serialised():
    with pytest.raises(TypeError):
        serialize_term("} DROP ALL {")


# --- rendering --------------------------------------------------------------------------------------------

def _result(rows):
    q = parse_query(Path("x.rq"), ECHO)
    return QueryResult(q, ["a", "b", "c", "d"], rows, ECHO)


def test_csv_rows_rule():
    rows = [(ox.NamedNode(ns.DPV + "Marketing"), ox.NamedNode("https://example.org/x"),
             ox.Literal("Marketing direct", language="fr"), None),
            (ox.Literal("30", datatype=ox.NamedNode(ns.XSD + "integer")), ox.Literal('a,"b"'),
             ox.Literal("true", datatype=ox.NamedNode(ns.XSD + "boolean")), ox.NamedNode(ns.POLICY_BASE + "w/1#p"))]
    assert csv_rows(_result(rows)) == [["a", "b", "c", "d"],
                                       ["dpv:Marketing", "https://example.org/x", "Marketing direct", ""],
                                       ["30", 'a,"b"', "true", ns.POLICY_BASE + "w/1#p"]]
    assert to_csv(_result(rows)).splitlines()[2] == '30,"a,""b""",true,' + ns.POLICY_BASE + "w/1#p"
    assert '"xml:lang": "fr"' in to_json(_result(rows))


# --- the command line -------------------------------------------------------------------------------------

def _cli(*args):
    return runner.invoke(app, list(args))


def test_cli_queries_lists_the_library():
    result = _cli("queries", "--format", "json")
    assert result.exit_code == 0
    import json
    assert sorted(q["name"] for q in json.loads(result.stdout)) == LIBRARY


def test_cli_query_csv(built_store):
    name = "policy-versions" if "policy-versions" in LIBRARY else LIBRARY[0]
    params = [a for k, v in library_params(name).items() for a in ("--param", f"{k}={v}")]
    result = _cli("query", name, *params, "--format", "csv", "--store", str(built_store[0]))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == ",".join(load_query(name).columns)


def test_cli_query_table_in_french(built_store, tmp_path):
    path = write_query(tmp_path, ECHO, "echo")
    result = _cli("query", str(path), "--param", "term=dpv:DirectMarketing", "--lang", "fr",
                  "--store", str(built_store[0]))
    assert result.exit_code == 0, result.output
    assert "Prospection commerciale (dpv:DirectMarketing)" in result.stdout


@pytest.mark.parametrize("args, first", [
    (["query", "no-such-query"], f"error[PKG-E060 unknown-query]: no query named 'no-such-query' in {QUERIES}"),
    (["query", "{ECHO}", "--param", "nope=1"], "error[PKG-E062 unknown-param]: query 'echo' has no parameter 'nope'"),
    (["query", "{GOOD}"], "error[PKG-E063 missing-param]: query 'q' needs the parameter 'purpose'"),
    (["query", "{ECHO}", "--param", "day=tomorrow"], "error[PKG-E064 bad-param]: --param day='tomorrow': not a date"),
    (["query", "{ECHO}", "--param", "term=x } DROP ALL {"], "error[PKG-E064 bad-param]: --param term='x } DROP ALL {': "
                                                           "not an IRI or a CURIE with a known prefix"),
    (["query", "{ECHO}", "--param", "text"], "error[PKG-E064 bad-param]: --param 'text' is not name=value"),
    (["query", "{ECHO}", "--policy", "whiteprovider"], "error[PKG-E062 unknown-param]: query 'echo' has no 'policy' "
                                                       "parameter, so --policy does not apply"),
    (["query", "{GOOD}", "-P", "purpose=dpv:Marketing", "--policy", "nobody"],
     "error[PKG-E035 unknown-policy]: no policy 'nobody' in the store"),
    (["query", "{ECHO}", "--format", "xml"], "error[PKG-E090 usage]: --format xml is not one of table, csv, tsv, json"),
    (["query", "missing.rq"], "error[PKG-E013 file-not-found]: no query file missing.rq"),
])
def test_cli_usage_errors_exit_2(built_store, tmp_path, args, first):
    files = {"{ECHO}": str(write_query(tmp_path, ECHO, "echo")), "{GOOD}": str(write_query(tmp_path, GOOD))}
    result = _cli(*[files.get(a, a) for a in args], "--store", str(built_store[0]))
    assert result.exit_code == 2, result.output
    assert result.output.splitlines()[0] == first
    assert "fix:" in result.output and "Traceback" not in result.output


def test_cli_missing_param_lists_the_params(built_store, tmp_path):
    result = _cli("query", str(write_query(tmp_path, GOOD)), "--store", str(built_store[0]))
    assert "purpose=<IRI> (required: a DPV purpose" in result.output and "policy=<IRI> (optional" in result.output


def test_cli_query_missing_store_exits_3(tmp_path):
    result = _cli("query", str(write_query(tmp_path, ECHO, "echo")), "--store", str(tmp_path / "none"))
    assert result.exit_code == 3 and result.output.startswith("error[PKG-E030 no-store]")


# --- CSV for spreadsheets, parameters that are not UTF-8 (issue 14) ----------------------------------------

FORMULA = "=cmd|' /C calc'!A0"


def _csv_cells(text: str, delimiter: str = ",") -> list[list[str]]:
    import csv
    import io
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


@pytest.mark.parametrize("fmt, delimiter", [("csv", ","), ("tsv", "\t")])
def test_cli_csv_cells_never_start_a_formula(built_store, tmp_path, fmt, delimiter):
    path = str(write_query(tmp_path, ECHO, "echo"))
    args = ["query", path, "-P", f"text={FORMULA}", "-P", "n=-5", "-P", "term=dpv:Marketing", "-f", fmt,
            "--store", str(built_store[0])]
    result = _cli(*args)
    assert result.exit_code == 0, result.output
    assert _csv_cells(result.stdout, delimiter)[1] == ["'" + FORMULA, "", "-5", "dpv:Marketing"]   # -5: a number
    raw = _cli(*args, "--raw-csv")
    assert _csv_cells(raw.stdout, delimiter)[1] == [FORMULA, "", "-5", "dpv:Marketing"]


@pytest.mark.parametrize("value", ["+33 1 23 45 67 89", "-5", "@SUM(A1:A2)", "\t=1", "\r=1"])
def test_cli_csv_quotes_text_that_looks_like_a_formula(built_store, tmp_path, value):
    result = _cli("query", str(write_query(tmp_path, ECHO, "echo")), "-P", f"text={value}", "-f", "csv",
                  "--store", str(built_store[0]))
    assert _csv_cells(result.stdout)[1][0] == "'" + value   # a literal, not a number: text


@pytest.mark.parametrize("arg, first", [
    ("text=\udcff", "error[PKG-E064 bad-param]: --param text: the value is not UTF-8 text (byte 0xff at character 1)"),
    ("x=a\udce9", "error[PKG-E064 bad-param]: --param x: the value is not UTF-8 text (byte 0xe9 at character 2)"),
    ("te\udcffxt=1", "error[PKG-E064 bad-param]: --param te\\xffxt: the name is not UTF-8 text (byte 0xff at "
                     "character 3)"),
])
def test_cli_param_that_is_not_utf8_is_bad_param(built_store, tmp_path, arg, first):
    """Python decodes argv with surrogateescape: a byte that is not UTF-8 is a lone surrogate, which
    pyoxigraph refuses with a ValueError (it was a bug, exit 70)."""
    path = str(write_query(tmp_path, ECHO, "echo"))
    for backend in (["--store", str(built_store[0])], ["--endpoint", "http://127.0.0.1:9/query"]):
        result = _cli("query", path, "--param", arg, *backend)
        assert result.exit_code == 2, result.output
        assert result.stderr.splitlines()[0] == first


def test_not_utf8_param_from_a_real_shell(built_store, tmp_path):
    import subprocess
    import sys
    path = str(write_query(tmp_path, ECHO, "echo"))
    done = subprocess.run([sys.executable, "-m", "kg", "query", path, "--param", b"text=\xff",
                           "--store", str(built_store[0])], capture_output=True, env={"LC_ALL": "C.UTF-8",
                                                                                      "PATH": "/usr/bin:/bin"})
    assert done.returncode == 2, done.stderr
    assert done.stderr.decode("utf-8").startswith("error[PKG-E064 bad-param]: --param text: the value is not UTF-8")


def test_library_refuses_lone_surrogates(store, tmp_path):
    q = load_query(str(write_query(tmp_path, ECHO, "echo")))
    with pytest.raises(ParamError, match="not UTF-8"):
        run_query(store, q, {"text": "\udcff"})


# --- properties: any literal value is bound, never pasted -------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_ECHO = "PREFIX dpv: <https://w3id.org/dpv#>\nSELECT ?text WHERE {\n  OPTIONAL { ?s dpv:hasName ?text }\n}\nORDER BY ?text\n"


@settings(max_examples=200, deadline=None)
@given(value=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80))
def test_any_literal_comes_back_unchanged_on_both_paths(value):
    """Whatever a user types as a literal parameter (quotes, braces, `} ; DROP ALL ; {`, newlines, \\u escapes),
    the embedded path binds it and the remote path's VALUES block carries it: the query returns exactly the
    value, and the query text around the block is the file's text, unchanged."""
    term = to_term(Param("text", "literal", True), value)
    assert term == ox.Literal(value)
    memory = ox.Store()
    embedded = [row["text"] for row in memory.query(_ECHO, substitutions={ox.Variable("text"): term})]
    sent = with_values(_ECHO, {"text": term})
    block = values_block({"text": term})
    assert sent.replace(block, "", 1) == _ECHO
    remote = [row["text"] for row in memory.query(sent)]
    assert embedded == remote == [ox.Literal(value)]
