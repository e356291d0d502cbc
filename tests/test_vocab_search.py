"""Searching the vocabulary by words (issue 19): `Vocabulary.search` and `policykg vocab search` find terms by
their labels (English and French), the words policies use for them (the draft lexicon's curated forms) and
their definitions, ranked; unknown-term errors suggest by meaning as well as by spelling."""
from __future__ import annotations

import json

import pytest
import rdflib
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, SKOS
from typer.testing import CliRunner

from kg import namespaces as ns
from kg.cli.main import app
from kg.errors import UnknownTermError
from kg.load import load_card
from kg.vocab import (TIER_ALL_IN_DEFINITION, TIER_FORM, TIER_LABEL, Vocabulary, fold, graph_iri, load_vocabulary,
                      name_words, stem, words)

runner = CliRunner()


@pytest.fixture(scope="module")
def v():
    return load_vocabulary()


def test_words_are_folded_and_lightly_stemmed():
    assert fold("Données de Santé œuvre") == "donnees de sante oeuvre"
    assert stem("payments") == stem("payment") == "payment" and stem("billing") == stem("bills") == "bill"
    assert stem(fold("données")) == stem(fold("donnée")) == "donn"
    assert words("Les données de santé") == words("donnee sante")
    assert name_words("PaymentManagement") == "Payment Management" and name_words("A6-1-a") == "A6 1 a"
    assert name_words("IPAddress") == "IP Address"


def test_billing_finds_payment_management_first(v):
    """DPV's definition of dpv:PaymentManagement ("… managing payment in relation to service, including
    invoicing and records") does not say billing, nor does its label: the draft lexicon's curated forms,
    the words policies use for it, do ("billing", "facturation")."""
    hits = v.search("billing")
    assert hits[0].curie == "dpv:PaymentManagement" and hits[0].tier == TIER_FORM and hits[0].field == "form"
    assert hits[0].label_en == "Payment Management" and hits[0].label_fr
    assert [h.curie for h in hits].index("pd:Transaction") > 0   # a weak form of it: after
    assert v.search("facturation")[0].curie == "dpv:PaymentManagement"
    assert v.search("Facturation", lang="fr")[0].curie == "dpv:PaymentManagement"
    assert "dpv:PaymentManagement" not in [h.curie for h in v.search("facturation", lang="en")]


def test_ranking_exact_labels_then_words(v):
    hits = v.search("payment management")
    assert hits[0].curie == "dpv:PaymentManagement" and hits[0].tier == TIER_LABEL
    tiers = [h.tier for h in v.search("email address", limit=50)]
    assert tiers == sorted(tiers) and v.search("email address")[0].curie == "pd:EmailAddress"
    assert v.search("données de santé")[0].curie == v.search("DONNEES DE SANTE")[0].curie == "pd:Health"
    assert v.search("gestion des paiements", lang="fr")[0].curie == "dpv:PaymentManagement"   # a French label
    assert v.search("dpv:PaymentManagement")[0].curie == "dpv:PaymentManagement"
    assert v.search("Payments")[0].tier <= 2
    assert v.search("   ") == [] and v.search("zzqqxx") == []
    assert len(v.search("data", limit=3)) == 3


def test_definitions_are_searched_when_the_vocabulary_has_them():
    """The shipped term table has no definitions; a full DPV copy has (a graph with one here)."""
    g = rdflib.Graph()
    term = URIRef(ns.DPV + "PaymentManagement")
    g.add((term, RDF.type, SKOS.Concept))
    g.add((term, SKOS.prefLabel, Literal("Payment Management", lang="en")))
    g.add((term, SKOS.definition, Literal("Purposes associated with processing and managing payment in relation "
                                          "to service, including invoicing and records", lang="en")))
    small = Vocabulary({graph_iri("dpv"): g}, "2.3")
    hit = small.search("invoicing records")[0]
    assert hit.curie == "dpv:PaymentManagement" and hit.tier == TIER_ALL_IN_DEFINITION and hit.field == "definition"


def test_suggest_keeps_spelling_first_and_adds_meaning(v):
    assert v.suggest("dpv:ServiceProvison")[0] == "dpv:ServiceProvision"
    assert v.suggest("pd:EmailAdress")[0] == "pd:EmailAddress"
    assert "dpv:PaymentManagement" in v.suggest("dpv:Billing")
    assert "dpv:PaymentManagement" in v.suggest("dpv:Facturation")
    assert v.suggest("dpv:Billing", meaning=0) == v.suggest("dpv:Billing")[:3]


def test_a_card_with_an_unknown_term_is_told_the_term_it_means(minimal_card, vocabulary):
    text = minimal_card.read_text(encoding="utf-8")
    minimal_card.write_text(text.replace("dpv:hasPurpose: dpv:DirectMarketing", "dpv:hasPurpose: dpv:Billing"),
                            encoding="utf-8")
    with pytest.raises(UnknownTermError) as info:
        load_card(minimal_card, vocabulary=vocabulary)
    assert "'dpv:PaymentManagement'" in info.value.fix


# --- the command line -------------------------------------------------------------------------------------------

def test_cli_search_plain_and_json():
    plain = runner.invoke(app, ["vocab", "search", "billing"])
    assert plain.exit_code == 0, plain.output
    lines = plain.stdout.splitlines()
    assert lines[0] == "term\tlabel\tmatched\ttext" and lines[1] == "dpv:PaymentManagement\tPayment Management\tform (en)\tbilling"
    out = json.loads(runner.invoke(app, ["vocab", "search", "données", "de", "santé", "--lang", "fr", "-n", "2",
                                         "-f", "json"]).stdout)
    assert len(out) == 2 and out[0]["term"] == "pd:Health" and out[0]["matched"] == "form" and out[0]["lang"] == "fr"


@pytest.mark.parametrize("args, message", [
    (["--lang", "de", "billing"], "error[PKG-E090 usage]: --lang de is not one of en, fr"),
    (["-f", "xml", "billing"], "error[PKG-E090 usage]: --format xml is not one of table, json"),
    ([" "], "error[PKG-E090 usage]: no words to search for"),
])
def test_cli_search_usage_errors(args, message):
    result = runner.invoke(app, ["vocab", "search", *args])
    assert result.exit_code == 2 and result.output.startswith(message), result.output


def test_cli_search_without_hits_says_so():
    result = runner.invoke(app, ["vocab", "search", "zzqqxx"])
    assert result.exit_code == 0 and result.stdout == "" and "no term matches 'zzqqxx'" in result.stderr
    assert json.loads(runner.invoke(app, ["vocab", "search", "zzqqxx", "-f", "json"]).stdout) == []


def test_cli_term_suggests_by_meaning():
    result = runner.invoke(app, ["vocab", "term", "dpv:Billing"])
    assert result.exit_code == 2 and "'dpv:PaymentManagement'" in result.output


def test_cli_term_json():
    """`vocab term --format json`: the term, its IRI, labels, status and broader DPV terms (not rdfs:Class…)."""
    out = runner.invoke(app, ["vocab", "term", "dpv:Marketing", "--format", "json"])
    assert out.exit_code == 0, out.output
    term = json.loads(out.stdout)
    assert term["term"] == "dpv:Marketing" and term["iri"] == "https://w3id.org/dpv#Marketing"
    assert term["label"] == {"en": "Marketing", "fr": "Marketing"} and term["sunset"] is False
    assert term["broader"] == ["dpv:Purpose"] and term["property"] is False
    prop = json.loads(runner.invoke(app, ["vocab", "term", "dpv:hasPurpose", "-f", "json"]).stdout)
    assert prop["property"] is True
    bad = runner.invoke(app, ["vocab", "term", "dpv:Marketing", "-f", "xml"])
    assert bad.exit_code == 2 and bad.output.startswith("error[PKG-E090 usage]: --format xml is not one of text, json")
    unknown = runner.invoke(app, ["vocab", "term", "dpv:Marketting", "-f", "json"])
    assert unknown.exit_code == 2 and not unknown.stdout.strip().startswith("{") and "dpv:Marketing" in unknown.output
