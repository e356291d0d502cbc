"""kg.load_rdf: an RDF input may write only its own policy graph, and never crashes on RDF 1.2."""
from __future__ import annotations

import textwrap

import pytest
from typer.testing import CliRunner

from kg.cli.main import app
from kg.errors import RdfSyntaxError
from kg.load_rdf import load_rdf_policies

from .conftest import DATA

PREFIXES = """
@prefix dpv: <https://w3id.org/dpv#> . @prefix pd: <https://w3id.org/dpv/pd#> .
@prefix dct: <http://purl.org/dc/terms/> . @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix ex: <https://w3id.org/policykg/policy/acme/2025-01-01#> .
"""
NOTICE = """ex:notice a dpv:PrivacyNotice ; dct:identifier "acme@2025-01-01" ; dpv:hasProcess ex:p1 .
            ex:p1 a dpv:Process ; dpv:hasPurpose dpv:ServiceProvision ; dpv:hasPersonalData pd:EmailAddress ."""
runner = CliRunner()


def _trig(tmp_path, body: str):
    path = tmp_path / "input.trig"
    path.write_text(PREFIXES + textwrap.dedent(body), encoding="utf-8")
    return path


def test_a_policy_in_its_own_graph_loads(tmp_path):
    path = _trig(tmp_path, f"<https://w3id.org/policykg/policy/acme/2025-01-01> {{ {NOTICE} }}")
    assert [p.key for p in load_rdf_policies(path)] == ["acme@2025-01-01"]


@pytest.mark.parametrize("graph, why", [
    ("https://w3id.org/policykg/graph/vocab", "the shared vocabulary graph"),
    ("https://w3id.org/policykg/policy/whiteprovider/2024-05-19/inferred", "'policykg reason' writes"),
    ("https://example.org/anything", "not a policy graph"),
])
def test_an_input_cannot_write_another_graph(tmp_path, graph, why):
    path = _trig(tmp_path, f"<{graph}> {{ {NOTICE} }}")
    with pytest.raises(RdfSyntaxError) as raised:
        load_rdf_policies(path)
    assert raised.value.id == "outside-policy" and why in raised.value.what


def test_the_vocabulary_graph_attack_is_refused_before_any_store_is_written(tmp_path):
    """The red-team case: a notice in the vocabulary graph, and DirectMarketing made a kind of
    ServiceProvision, changed whiteprovider's answers (its marketing process matched purpose=ServiceProvision).
    It is refused, and no store is written."""
    evil = _trig(tmp_path, f"""
        <https://w3id.org/policykg/graph/vocab> {{ {NOTICE}
            dpv:DirectMarketing skos:broader dpv:ServiceProvision . }}""")
    result = runner.invoke(app, ["build", str(DATA), str(evil), "--store", str(tmp_path / "store")])
    assert result.exit_code == 2 and "PKG-E028 outside-policy" in result.output
    assert not (tmp_path / "store").exists()


def test_statements_about_vocabulary_terms_are_refused_even_in_the_policys_graph(tmp_path):
    path = _trig(tmp_path, f"""<https://w3id.org/policykg/policy/acme/2025-01-01> {{ {NOTICE}
        dpv:DirectMarketing skos:broader dpv:ServiceProvision . }}""")
    with pytest.raises(RdfSyntaxError) as raised:
        load_rdf_policies(path)
    assert raised.value.id == "outside-policy" and "DirectMarketing" in raised.value.what


def test_a_blank_node_graph_is_refused(tmp_path):
    path = _trig(tmp_path, f"_:g {{ {NOTICE} }}")
    with pytest.raises(RdfSyntaxError) as raised:
        load_rdf_policies(path)
    assert raised.value.id == "outside-policy"


def test_rdf_star_triple_terms_are_a_syntax_error_not_a_crash(tmp_path):
    path = tmp_path / "star.ttl"
    path.write_text(PREFIXES + NOTICE + "\n<< ex:p1 dpv:hasPurpose dpv:ServiceProvision >> dct:source ex:q .\n",
                    encoding="utf-8")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert "PKG-E019 rdf-syntax" in result.output and "triple term" in result.output
    assert "Traceback" not in result.output and "PKG-E099" not in result.output
