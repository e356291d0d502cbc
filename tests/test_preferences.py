"""The preferences file format (kg/preferences/format.py) and its compilation to shapes (compile.py): the
examples load, every word maps to a real term, durations, and bad files reported whole, each problem with
its file:line (PKG-E120 bad-preferences), never a traceback (issue 20)."""
from __future__ import annotations

from pathlib import Path

import pytest
from rdflib.namespace import RDF, SH
from typer.testing import CliRunner

from kg import namespaces as ns
from kg.cli.main import app
from kg.preferences import (KINDS, PreferencesError, compile_preferences, load_preferences, parse_duration)
from kg.preferences import words as W

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "preferences"
FIXTURES = ROOT / "tests" / "fixtures" / "preferences"
runner = CliRunner()


@pytest.mark.parametrize("name", ["cautious-person.yaml", "procurement-rules.yaml"])
def test_examples_load_and_compile(name, vocabulary):
    prefs = load_preferences(EXAMPLES / name, vocabulary)
    assert prefs.items and prefs.title["en"] and prefs.title["fr"] != prefs.title["en"]
    compiled = compile_preferences(prefs)
    shapes = set(compiled.graph.subjects(RDF.type, SH.NodeShape))
    assert {str(s) for s in shapes} == set(compiled.shapes)
    for shape, what in compiled.shapes.items():   # the role is the severity
        severity = compiled.graph.value(next(s for s in shapes if str(s) == shape), SH.severity)
        assert severity == {"breach": SH.Violation, "open": SH.Warning, "met": SH.Info}[what.role]
        assert what.preference in {p.id for p in prefs.items}


def test_every_kind_in_the_fixture():
    text = (FIXTURES / "all-kinds.yaml").read_text()
    assert all(f"kind: {kind}" in text for kind in KINDS)


def test_every_word_names_a_real_term(vocabulary):
    tables = [W.USES, W.MECHANISMS, W.RIGHTS, W.DATA, W.EXCUSES, {k: [v] for k, v in W.TERRITORIES.items()}]
    missing = [(word, curie) for table in tables for word, curies in table.items() for curie in curies
               if not vocabulary.exists(ns.expand_curie(curie))]
    assert not missing


def test_words_and_terms_resolve(vocabulary, tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("policykg-preferences: 1\npreferences:\n"
                    "  - kind: consent-required\n    uses: [Marketing, dpv:Profiling, automated-decisions, Publicité]\n"
                    "  - kind: territories\n    within: [eea, ch, loc:CA-QC]\n    unless: [SCCs, eu-gdpr:A46-2-b]\n"
                    "  - kind: rights\n    rights: [Access, eu-gdpr:A21]\n    channel: courriel\n", encoding="utf-8")
    prefs = load_preferences(path, vocabulary)
    uses, territories, rights = prefs.items
    assert [ns.shorten(t) for t in uses.terms["uses"]] == ["dpv:Marketing", "dpv:Profiling",
                                                           "dpv:AutomatedDecisionMaking", "dpv:Advertising"]
    assert [ns.shorten(t) for t in territories.terms["within"]] == ["pkx:territory-EEA", "loc:CH", "loc:CA-QC"]
    assert [ns.shorten(t) for t in territories.terms["unless"]] == ["eu-gdpr:StandardContractualClauses",
                                                                    "eu-gdpr:A46-2-b"]
    assert [(w, [ns.shorten(t) for t in ts]) for w, ts in rights.rights] == [
        ("Access", ["eu-gdpr:A15", "pkx:QC-RightOfAccess"]), ("eu-gdpr:A21", ["eu-gdpr:A21"])]
    assert rights.channel == "email" and uses.id == "consent-required"


@pytest.mark.parametrize("text,iso,days", [
    ("3 years", "P3Y", 1095.75), ("P3Y", "P3Y", 1095.75), ("36 months", "P36M", 1095.75),
    ("1 year 6 months", "P1Y6M", 547.875), ("90 days", "P90D", 90), ("2 weeks", "P2W", 14),
    ("3 ans", "P3Y", 1095.75), ("6 mois", "P6M", 182.625), ("1 year and 2 days", "P1Y2D", 367.25)])
def test_durations(text, iso, days):
    assert parse_duration(text) == (iso, days)


@pytest.mark.parametrize("text", ["three years", "3 lightyears", "P", "3", "", "-1 year", "PT5H"])
def test_not_durations(text):
    assert parse_duration(text) is None


BAD = """\
policykg-preferences: 1
title: Bad on purpose
colour: blue
preferences:
  - kind: consent-requird
    uses: [marketing]
  - kind: retention
    max: three years
  - kind: territories
    within: [EEA, Mars]
  - kind: consent-required
    uses: [marketting, dpv:Marketting]
  - kind: rights
  - kind: no-third-party-disclosure
    unless: [consent]
    except: [law]
  - id: Bad Id
    kind: rights
    rights: [acess]
    channel: pigeon
"""


def _problems(path: Path, vocabulary) -> list:
    with pytest.raises(PreferencesError) as caught:
        load_preferences(path, vocabulary)
    return caught.value.errors


def test_every_problem_at_once_with_its_line(vocabulary, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD, encoding="utf-8")
    problems = _problems(path, vocabulary)
    got = [(e.where.line, e.what.split(": ", 1)[1]) for e in problems]
    assert got == [
        (3, "unknown key 'colour'"),
        (5, "unknown kind 'consent-requird'"),
        (8, "'max' is not a duration: 'three years'"),
        (10, "unknown territory 'Mars'"),
        (12, "unknown term 'marketting'"),
        (12, "unknown term 'dpv:Marketting'"),
        (13, "the rights preference 'rights' has no 'rights'"),
        (16, "'except' is not a field of a no-third-party-disclosure preference"),
        (17, "the id 'Bad Id' is not lower-case letters, digits and hyphens"),
        (19, "unknown right 'acess'"),
        (20, "unknown channel 'pigeon'"),
    ]
    for e in problems:
        assert e.id == "bad-preferences" and e.code == "PKG-E120"
        assert e.where.file == str(path) and e.what.startswith(f"{path}:{e.where.line}: ")
        assert e.fix
    fixes = {e.where.line: e.fix for e in problems}
    assert "did you mean 'consent-required'?" in fixes[5]
    assert "'marketing'" in next(e.fix for e in problems if "'marketting'" in e.what)
    assert "'dpv:Marketing'" in next(e.fix for e in problems if "dpv:Marketting" in e.what)
    assert "'access'" in fixes[19]


@pytest.mark.parametrize("text,line,what", [
    ("policykg-preferences: 1\npreferences:\n  - kind: rights\n    rights: [access\n", 5, "YAML syntax error"),
    ("", None, "the file is empty"),
    ("# only a comment\n", None, "the file is empty"),
    ("preferences: []\n", 1, "'policykg-preferences: 1' is missing"),
    ("- a\n- b\n", 1, "the file is not a mapping"),
    ("policykg-preferences: 1\npreferences:\n  - kind: retention\n    max: 3 years\n    data: [finances]\n", 5,
     "unknown term 'finances'"),
])
def test_bad_files(vocabulary, tmp_path, text, line, what):
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    problems = _problems(path, vocabulary)
    assert what in problems[0].what and problems[0].where.line == line


def test_cli_reports_every_problem_and_exits_2(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD, encoding="utf-8")
    result = runner.invoke(app, ["match", str(path), str(ROOT / "data" / "policies" / "whiteprovider")])
    assert result.exit_code == 2, result.output
    err = result.stderr
    assert "Traceback" not in err
    assert err.count("error[PKG-E120 bad-preferences]") == 12      # 11 problems, then the summary
    assert f"where: {path}:10:" in err and f"{path}: 11 problem(s) in the preferences file" in err


def test_cli_missing_file_is_an_input_error(tmp_path):
    result = runner.invoke(app, ["match", str(tmp_path / "none.yaml"), "whiteprovider"])
    assert result.exit_code == 2 and "file-not-found" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("body,line,what", [
    ("preferences: {a: 1}", 2, "'preferences' must be a non-empty list"),
    ("preferences:\n  - kind: consent-required\n    uses: 5", 4, "expected a word or a list of words"),
    ("preferences:\n  - kind: retention\n    max: 3", 4, "'max' is not a duration: 3"),
    ("preferences:\n  - kind: [x]", 3, "unknown kind ['x']"),
    ("preferences:\n  - 7", 3, "a preference is a mapping with a 'kind'"),
    ("preferences:\n  - kind: territories\n    within: [null]", 4, "expected a word or a list of words"),
    ("preferences:\n  - kind: rights\n    rights: [access]\n    channel: 3", 5, "unknown channel 3"),
])
def test_values_of_the_wrong_type_are_problems_not_tracebacks(tmp_path, body, line, what):
    path = tmp_path / "p.yaml"
    path.write_text(f"policykg-preferences: 1\n{body}\n", encoding="utf-8")
    result = runner.invoke(app, ["match", str(path), str(ROOT / "data" / "policies" / "whiteprovider")])
    assert result.exit_code == 2 and "Traceback" not in result.stderr and "PKG-E099" not in result.stderr
    assert f"error[PKG-E120 bad-preferences]: {path}:{line}: {what}" in result.stderr.splitlines()
