"""kg.report_graph: the validation report is a graph first; every other format renders the same from it."""
from __future__ import annotations

from collections import Counter

import pytest
from rdflib import BNode, Graph
from rdflib.namespace import RDF, SH

from kg import namespaces as ns
from kg.errors import CardError, InputFileError, KgError, Location
from kg.report import render, render_turtle
from kg.report_graph import NotAReport, read_report, report_graph, reports_from_graph
from kg.validate import validate_paths

from .conftest import DATA, ROOT

WHITE = DATA / "policies" / "whiteprovider" / "2024-05-19.yaml"
PLANET = DATA / "policies" / "planethoster" / "2015-09-01.yaml"
HOUSE_RULES = ROOT / "examples" / "profiles" / "house-rules"


@pytest.fixture(scope="module")
def seed_run():
    """Both seeds validated (auto profiles, the project's engine), two inputs that could not be loaded."""
    reports = validate_paths([WHITE, PLANET]).reports
    errors = [CardError("unknown term 'dpv:Nope'", Location("cards/x.yaml", 12, 5, "purposes[0]"),
                        "use a DPV term", error_id="unknown-term"),
              InputFileError("not UTF-8", "cards/y.yaml", "save it as UTF-8", error_id="not-utf8")]
    return reports, errors


@pytest.fixture(scope="module")
def read_back(seed_run):
    """The seed run's reports and errors as a reader of its Turtle report has them (parsed once)."""
    return _read_back(*seed_run)


def _read_back(reports, errors):
    return reports_from_graph(Graph().parse(data=render_turtle(reports, errors), format="turtle"))


@pytest.mark.parametrize("fmt", ["text", "json", "jsonl", "sarif"])
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_format_renders_the_same_from_the_turtle_report(seed_run, read_back, fmt, lang):
    reports, errors = seed_run
    again, again_errors = read_back
    assert render(again, fmt, lang, errors=again_errors) == render(reports, fmt, lang, errors=errors)


def test_the_findings_read_back_are_the_findings(seed_run, read_back):
    reports, errors = seed_run
    again, again_errors = read_back
    assert [r.policy for r in again] == ["whiteprovider@2024-05-19", "planethoster@2015-09-01"]
    for r, a in zip(reports, again):
        assert a.findings == r.findings and a.profiles == r.profiles
        assert (a.engine, a.source, a.seconds) == (r.engine, r.source, r.seconds)
        assert a.conforms() == r.conforms() and a.counts() == r.counts()
        assert any(f.where for f in a.findings) and any(f.quote for f in a.findings)
        assert any(f.citations for f in a.findings)
    assert [(e.id, e.code, e.what, str(e.where), e.fix) for e in again_errors] == \
        [(e.id, e.code, e.what, str(e.where), e.fix) for e in errors]


def test_the_turtle_report_reads_back_to_the_same_graph(seed_run, read_back):
    reports, errors = seed_run
    again, again_errors = read_back
    assert _ground(report_graph(again, again_errors)) == _ground(report_graph(reports, errors))


def _ground(g: Graph) -> Counter:
    """The graph's triples with every blank node as one placeholder, counted (rdflib's isomorphism test takes
    a minute on these 7,000 triples; this is as strict on everything but how blank nodes connect)."""
    return Counter(tuple("_" if isinstance(t, BNode) else t for t in triple) for triple in g)


def test_each_report_keeps_its_standard_validation_report(seed_run, read_back):
    """A report read back holds its engine's sh:ValidationReport alone: the results, not the description."""
    reports, errors = seed_run
    again, _ = read_back
    for r, a in zip(reports, again):
        assert _ground(a.graph) == _ground(r.graph) and len(a.graph) == len(r.graph)
        assert not any(str(p).startswith(str(ns.PKS)) for p in a.graph.predicates())


def test_sarif_rules_come_from_the_graph_without_the_profiles(seed_run, tmp_path):
    """The graph describes the rules of the profiles run (a user's profile's included), so SARIF is rendered
    again from the Turtle alone, the profile folders gone."""
    import json
    import shutil
    folder = tmp_path / "house-rules"
    shutil.copytree(HOUSE_RULES, folder)
    reports = validate_paths([PLANET], profiles=["auto", str(folder)]).reports
    before = render(reports, "sarif")
    ttl = render_turtle(reports)
    shutil.rmtree(folder)
    again, _ = reports_from_graph(Graph().parse(data=ttl, format="turtle"))
    assert render(again, "sarif") == before
    rules = {r["id"] for r in json.loads(before)["runs"][0]["tool"]["driver"]["rules"]}
    assert any(rule.startswith("house") for rule in rules) and "gdpr-13-2-a-retention-stated" in rules


def test_notices_are_findings_of_the_graph(seed_run):
    reports, errors = seed_run
    g = report_graph(reports, errors)
    notices = list(g.subjects(ns.PKS.noticeId, None))
    assert notices and all((n, RDF.type, ns.PKS.Finding) in g for n in notices)
    results = list(g.subjects(RDF.type, SH.ValidationResult))
    assert all(list(g.subjects(ns.PKS.result, res)) for res in results)   # every result belongs to a finding


def test_not_a_report_graph_is_refused():
    with pytest.raises(NotAReport):
        reports_from_graph(Graph())


def test_a_report_file_reads_back(seed_run, tmp_path):
    reports, errors = seed_run
    path = tmp_path / "report.ttl"
    path.write_text(render_turtle(reports, errors), encoding="utf-8")
    again, again_errors = read_report(path)
    assert render(again, "json", errors=again_errors) == render(reports, "json", errors=errors)


def test_bad_report_files_say_what_and_where(seed_run, tmp_path):
    broken = tmp_path / "broken.ttl"
    broken.write_text("@prefix pks: <https://w3id.org/policykg/shapes#> .\n\n[] a pks:ValidationRun ;\n  pks:x \"open\n",
                      encoding="utf-8")
    with pytest.raises(KgError) as caught:
        read_report(broken)
    assert caught.value.id == "rdf-syntax" and caught.value.where.file == str(broken)
    policy = tmp_path / "policy.ttl"
    policy.write_text("<urn:a> <urn:b> <urn:c> .\n", encoding="utf-8")
    with pytest.raises(KgError) as caught:
        read_report(policy)
    assert caught.value.id == "not-a-report" and caught.value.code == "PKG-E048" and "ValidationRun" in caught.value.what
    # a report whose findings lost their rule: named, never a traceback
    reports, errors = seed_run
    g = Graph().parse(data=render_turtle(reports, errors), format="turtle")
    g.remove((None, ns.PKS.ruleId, None))
    cut = tmp_path / "cut.ttl"
    cut.write_text(g.serialize(format="turtle"), encoding="utf-8")
    with pytest.raises(KgError) as caught:
        read_report(cut)
    assert caught.value.id == "not-a-report" and "pks:ruleId" in caught.value.what
    with pytest.raises(KgError) as caught:
        read_report(tmp_path / "missing.ttl")
    assert caught.value.id == "file-not-found"


def test_the_cli_renders_a_kept_report_again(tmp_path):
    """`policykg validate --from-report FILE`: the output (and exit code) of the run, in any format and language,
    from the Turtle report alone."""
    from typer.testing import CliRunner

    from kg.cli.main import app
    runner = CliRunner()
    ttl = tmp_path / "report.ttl"
    first = runner.invoke(app, ["validate", str(PLANET), "-f", "ttl", "-o", str(ttl)])
    assert first.exit_code == 1
    run = runner.invoke(app, ["validate", str(PLANET), "-f", "sarif"])   # a run of its own, the same output
    again = runner.invoke(app, ["validate", "--from-report", str(ttl), "-f", "sarif"])
    assert (again.exit_code, again.stdout) == (run.exit_code, run.stdout)
    reports, errors = read_report(ttl)
    for args, fmt, lang, fail_on in ((["-f", "text", "--lang", "fr"], "text", "fr", "violation"),
                                     (["-f", "json", "--strict"], "json", "en", "warning")):
        again = runner.invoke(app, ["validate", "--from-report", str(ttl), *args])
        assert again.stdout == render(reports, fmt, lang, fail_on, errors)
        assert again.exit_code == (0 if all(r.conforms(fail_on) for r in reports) else 1)
    both = runner.invoke(app, ["validate", str(PLANET), "--from-report", str(ttl)])
    assert both.exit_code == 2 and "PKG-E090" in both.output
    none = runner.invoke(app, ["validate"])
    assert none.exit_code == 2 and "no policy to validate" in none.output
    bad = tmp_path / "bad.ttl"
    bad.write_text("<urn:a> <urn:b> <urn:c> .\n", encoding="utf-8")
    wrong = runner.invoke(app, ["validate", "--from-report", str(bad)])
    assert wrong.exit_code == 2 and wrong.output.startswith("error[PKG-E048 not-a-report]")
