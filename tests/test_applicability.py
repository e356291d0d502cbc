"""Where and when a profile applies: the triggers of each profile.ttl, `--as-of`, requested profiles that
do not apply, and inferred facts that never count (kg/validate/applicability.py, docs/applicability.md)."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from rdflib import Graph

from kg.errors import UsageError
from kg.validate import ENGINES, applicable_profiles, load_profiles, parse_as_of, validate_graph
from kg.validate.data_graph import drop_inferred, validation_graph

from .conftest import engine_params

PREFIXES = """
@prefix dpv: <https://w3id.org/dpv#> .
@prefix pd: <https://w3id.org/dpv/pd#> .
@prefix loc: <https://w3id.org/dpv/loc#> .
@prefix eu-gdpr: <https://w3id.org/dpv/legal/eu/gdpr#> .
@prefix legal-eu: <https://w3id.org/dpv/legal/eu#> .
@prefix pkx: <https://w3id.org/policykg/ext#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix ex: <https://w3id.org/policykg/policy/fixture/2024-01-01#> .
"""


def policy(controller_at: str, *extra: str) -> Graph:
    """A small policy: a notice, its controller located at `controller_at`, one process; `extra` Turtle."""
    text = PREFIXES + f"""
ex:notice a dpv:PrivacyNotice ; dct:identifier "fixture@2024-01-01" ; dpv:hasDataController ex:acme ;
    dpv:hasProcess ex:p1 .
ex:acme a dpv:DataController ; dpv:hasName "ACME" ; dpv:hasLocation {controller_at} .
ex:p1 a dpv:Process ; dpv:hasPurpose dpv:ServiceProvision ; dpv:hasPersonalData pd:EmailAddress .
""" + "\n".join(extra)
    return Graph().parse(data=text, format="turtle")


def chosen(graph: Graph, vocabulary, as_of=None) -> dict[str, dict[str, str]]:
    return dict(applicable_profiles(graph, vocabulary, load_profiles(), as_of=as_of))


def test_french_polynesia_gets_the_gdpr_rules_through_loi_78_17(vocabulary):
    """EU law does not apply in French Polynesia (TFEU Art. 355(2)); Loi 78-17 Title V applies the GDPR's
    rules there since 1 June 2019, whether or not the notice names the GDPR."""
    got = chosen(policy("loc:PF"), vocabulary, as_of="2024-01-01")
    assert "gdpr" in got
    assert "78-17" in got["gdpr"]["en"] and "355(2)" in got["gdpr"]["en"]
    assert "loi n° 78-17" in got["gdpr"]["fr"] and "Polynésie française" in got["gdpr"]["fr"]
    assert "gdpr" not in chosen(policy("loc:PF"), vocabulary, as_of="2019-05-31")


def test_gdpr_outside_the_union_needs_targeting_evidence(vocabulary):
    assert "gdpr" not in chosen(policy("loc:US"), vocabulary)
    got = chosen(policy("loc:US", "ex:notice pkx:targetsPeopleIn loc:DE ."), vocabulary)
    assert "3(2)(a)" in got["gdpr"]["en"]
    # targeting French Polynesia is not targeting the Union
    assert "gdpr" not in chosen(policy("loc:US", "ex:notice pkx:targetsPeopleIn loc:PF ."), vocabulary)


def test_an_establishment_in_the_union_comes_before_the_policys_own_claim(vocabulary):
    got = chosen(policy("loc:FR", "ex:notice dpv:hasApplicableLaw legal-eu:law-GDPR ."), vocabulary)
    assert "Art. 3(1)" in got["gdpr"]["en"]
    claimed = chosen(policy("loc:US", "ex:notice dpv:hasApplicableLaw legal-eu:law-GDPR ."), vocabulary)
    assert "own commitment" in claimed["gdpr"]["en"]


def test_pipeda_for_a_quebec_business_needs_a_flow_outside_the_province(vocabulary):
    inside = chosen(policy("loc:CA-QC"), vocabulary)
    assert "law25" in inside and "pipeda" not in inside
    # Canada as a whole is not "outside Québec"
    canada = policy("loc:CA-QC", "ex:p1 dpv:hasLocation loc:CA .")
    assert "pipeda" not in chosen(canada, vocabulary)
    abroad = chosen(policy("loc:CA-QC", "ex:p1 dpv:hasLocation loc:FR ."), vocabulary)
    assert "pipeda" in abroad and "France" in abroad["pipeda"]["en"]
    assert "pipeda" in chosen(policy("loc:CA-ON"), vocabulary)


def test_law_25_reason_cites_the_act(vocabulary):
    got = chosen(policy("loc:CA-QC"), vocabulary)
    assert "P-39.1" in got["law25"]["en"] and "RLRQ, c. P-39.1, art. 1" in got["law25"]["fr"]


@pytest.mark.parametrize("engine", engine_params(*[e for e in ENGINES if e != "pyshacl-turbo"]))
def test_a_requested_profile_that_does_not_apply_is_reported_once(engine, vocabulary):
    graph = policy("loc:FR")
    report = validate_graph(graph, "fixture@2024-01-01", vocabulary, profiles=["law25"], engine=engine)
    law25 = [f for f in report.findings if f.profile == "law25"]
    assert [f.shape for f in law25] == ["law25-not-applicable"]
    assert law25[0].severity == "info" and "does not apply" in law25[0].message["en"]
    assert "law25" not in dict(report.profiles)
    forced = validate_graph(graph, "fixture@2024-01-01", vocabulary, profiles=["law25"], engine=engine,
                            applicability=False)
    assert "law25" in dict(forced.profiles)
    assert any(f.profile == "law25" and f.severity != "info" for f in forced.findings)


def test_a_law_not_yet_in_force_is_said_once(vocabulary):
    graph = policy("loc:FR")
    report = validate_graph(graph, "fixture@2024-01-01", vocabulary, as_of="2016-01-01")
    assert "gdpr" not in dict(report.profiles)
    notices = [f for f in report.findings if f.shape == "gdpr-not-in-force"]
    assert len(notices) == 1 and "25 May 2018" in notices[0].message["en"]
    assert "gdpr" in dict(validate_graph(graph, "fixture@2024-01-01", vocabulary).profiles)


def test_a_rule_not_yet_in_force_is_not_a_violation(vocabulary, tmp_path):
    """A shape dated after --as-of is not run; one notice lists it."""
    shapes = tmp_path / "shapes"
    shutil.copytree(Path(load_profiles()["core"].folder).parent, shapes,
                    ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    target = "pks:core-process-legal-basis a sh:NodeShape ;"
    structure = shapes / "core" / "structure.ttl"
    text = structure.read_text(encoding="utf-8")
    assert target in text
    structure.write_text(text.replace(target, target + '\n    pks:inForceFrom "2030-01-01"^^xsd:date ;')
                         .replace("@prefix sh:", "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n@prefix sh:", 1),
                         encoding="utf-8")
    graph = policy("loc:FR")   # its process has no legal basis
    now = validate_graph(graph, "f@1", vocabulary, profiles=["core"], shapes_dir=str(shapes), as_of="2031-01-01")
    assert any(f.shape == "core-process-legal-basis" for f in now.findings)
    before = validate_graph(graph, "f@1", vocabulary, profiles=["core"], shapes_dir=str(shapes), as_of="2029-01-01")
    assert not any(f.shape == "core-process-legal-basis" for f in before.findings)
    notice = [f for f in before.findings if f.shape == "core-rules-not-in-force"]
    assert len(notice) == 1 and "core-process-legal-basis" in notice[0].message["en"]


INFERRED_CARD_DATA = """
ex:p1 dpv:hasPersonalData pd:PaymentCard .
ex:st1 a rdf:Statement ; rdf:subject ex:p1 ; rdf:predicate dpv:hasPersonalData ; rdf:object pd:PaymentCard ;
    prov:wasDerivedFrom ex:ev1 .
ex:ev1 a oa:Annotation ; oa:motivatedBy pkx:inferring ; oa:hasBody ex:st1 .
"""


@pytest.mark.parametrize("engine", engine_params(*[e for e in ENGINES if e != "pyshacl-turbo"]))
def test_an_inferred_fact_neither_triggers_nor_satisfies(engine, vocabulary):
    graph = policy("loc:FR", INFERRED_CARD_DATA)
    report = validate_graph(graph, "fixture@2024-01-01", vocabulary, engine=engine)
    assert "pci-dss" not in dict(report.profiles)
    assert any(f.shape == "core-inferred-not-counted" for f in report.findings)
    stated = graph + Graph().parse(data=PREFIXES + """
ex:st2 a rdf:Statement ; rdf:subject ex:p1 ; rdf:predicate dpv:hasPersonalData ; rdf:object pd:PaymentCard ;
    prov:wasDerivedFrom ex:ev2 .
ex:ev2 a oa:Annotation ; oa:motivatedBy oa:describing ; oa:hasBody ex:st2 .
""", format="turtle")
    report = validate_graph(stated, "fixture@2024-01-01", vocabulary, engine=engine)
    assert "pci-dss" in dict(report.profiles)
    assert not any(f.shape == "core-inferred-not-counted" for f in report.findings)


def test_drop_inferred_keeps_facts_with_stated_evidence_or_none(vocabulary):
    data = validation_graph(policy("loc:FR", INFERRED_CARD_DATA), vocabulary)
    assert drop_inferred(data) == 1
    assert drop_inferred(data) == 0
    plain = validation_graph(policy("loc:FR"), vocabulary)   # no evidence at all: everything counts
    assert drop_inferred(plain) == 0


def test_as_of_parsing():
    assert parse_as_of("2015-09-01") == dt.date(2015, 9, 1)
    assert parse_as_of(None) == dt.date.today()
    with pytest.raises(UsageError) as e:
        parse_as_of("2015-13-01")
    assert e.value.id == "bad-date"


def test_every_profile_declares_where_it_applies():
    for pid, profile in load_profiles().items():
        rules = profile.rules
        assert rules.always or rules.triggers, pid
        assert rules.always or {"en", "fr"} <= set(rules.not_applicable), pid
        for trigger in rules.triggers:
            assert {"en", "fr"} <= set(trigger.reason), (pid, trigger.rank)
        assert rules.order != 99, pid


def test_cli_as_of_and_not_applicable(tmp_path):
    from typer.testing import CliRunner

    from kg.cli.main import app
    runner = CliRunner()
    card = Path(__file__).resolve().parent / "fixtures" / "policies" / "minimal.yaml"   # a controller in France
    result = runner.invoke(app, ["validate", str(card), "--profile", "law25", "--format", "json"])
    assert result.exit_code in (0, 1), result.stdout   # core runs (imported); law25 is reported once
    import json
    findings = json.loads(result.stdout)["reports"][0]["findings"]
    assert [f["shape"] for f in findings if f["profile"] == "law25"] == ["law25-not-applicable"]
    result = runner.invoke(app, ["validate", str(card), "--as-of", "2015-13-01"])
    assert result.exit_code == 2 and "PKG-E046" in result.stderr
    result = runner.invoke(app, ["profiles", "--where", "--lang", "fr"])
    assert result.exit_code == 0 and "loi n° 78-17, titre V" in result.stdout


def test_targeting_the_union_as_a_whole_and_a_pci_dss_claim(vocabulary):
    """PlanetHoster's «(€) EUR» is recorded as pkx:targetsPeopleIn loc:EU (the Union as a place); a policy
    that says its payment data are handled under PCI DSS is placed under the standard by its own words."""
    got = chosen(policy("loc:CA-QC", "ex:notice pkx:targetsPeopleIn loc:EU ."), vocabulary)
    assert "3(2)(a)" in got["gdpr"]["en"]
    claim = chosen(policy("loc:PF", "ex:p1 dpv:hasOrganisationalMeasure pkx:PCI-DSS ."), vocabulary)
    assert "conformance with PCI DSS" in claim["pci-dss"]["en"]
    assert "pci-dss" not in chosen(policy("loc:PF"), vocabulary)
