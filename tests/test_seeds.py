"""The two seed cards hold every statement of the research mapping (shared/research/seed-mapping.md), except
those the re-review of 2026-12 (docs/seed-review.md) removed, and the review's changes hold."""
from __future__ import annotations

import importlib.util
import re

import pytest

from kg import namespaces as ns

from .conftest import needs_shared

EXPECTED = {"whiteprovider": 40, "planethoster": 84}
# research statements the text does not support at all (docs/seed-review.md): removed from the cards
REMOVED = {"planethoster": {"P26"}}
STATEMENTS = {"whiteprovider": 52, "planethoster": 105}


def _base_id(sid: str) -> str:
    return re.sub(r"-[a-z0-9]+$", "", sid)


@pytest.mark.parametrize("slug", sorted(EXPECTED))
def test_every_research_statement_is_in_the_card(seed_policies, slug):
    policy = seed_policies[slug]
    prefix = slug[0].upper()
    ids = {_base_id(s.id) for s in policy.statements}
    expected = {f"{prefix}{n:02d}" for n in range(1, EXPECTED[slug] + 1)} - REMOVED.get(slug, set())
    assert expected <= ids, sorted(expected - ids)
    assert not ids & REMOVED.get(slug, set())
    assert len(policy.statements) == STATEMENTS[slug]


def _research():
    path = needs_shared("research", "check_seed_mapping.py")
    spec = importlib.util.spec_from_file_location("check_seed_mapping", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("slug", sorted(EXPECTED))
def test_research_terms_are_in_the_card(seed_policies, slug):
    """Each research statement's DPV terms appear in the card's statement(s) with the same id, except
    extension terms (renamed into the project namespace) and replacements the card's note explains."""
    research = _research()
    statements = research.W if slug == "whiteprovider" else research.P
    policy = seed_policies[slug]
    card_terms: dict[str, set[str]] = {}
    notes: dict[str, str] = {}
    for st in policy.statements:
        bid = _base_id(st.id)
        terms = card_terms.setdefault(bid, set())
        for fact in st.facts:
            terms.add(ns.shorten(fact.predicate))
            if hasattr(fact.object, "iri"):
                terms.add(ns.shorten(fact.object.iri))
        notes[bid] = notes.get(bid, "") + (st.evidence.note or "")
    missing = []
    for st in statements:
        if st["id"] in REMOVED.get(slug, set()):
            continue
        for prop, term in st["pairs"]:
            if term == "lit" or term.startswith("pkx:"):
                continue
            if term not in card_terms.get(st["id"], set()) and term.split(":")[1] not in notes.get(st["id"], ""):
                missing.append(f"{st['id']}: {prop} {term}")
    assert not missing, missing


@pytest.mark.parametrize("slug", sorted(EXPECTED))
def test_inferred_statements_are_marked(seed_policies, slug):
    research = _research()
    statements = research.W if slug == "whiteprovider" else research.P
    inferred = {st["id"] for st in statements if st["infer"]}
    card = {_base_id(s.id) for s in seed_policies[slug].statements if s.evidence.inferred}
    assert inferred <= card


def _facts(policy, sid):
    st = next(s for s in policy.statements if s.id == sid)
    return {(ns.shorten(f.predicate), ns.shorten(f.object.iri) if hasattr(f.object, "iri") else str(f.object))
            for f in st.facts}, st.evidence.inferred


def test_review_whiteprovider(seed_policies):
    """docs/seed-review.md: what the text does not state is inferred; W40 no longer uses isExercisedAt on the notice."""
    w = seed_policies["whiteprovider"]
    for sid, term in [("W02-b", "legal-fr:DPA-FR"), ("W08-b", "dpv:Customer"), ("W09-b", "dpv:DataSubjectDataSource"),
                      ("W11-b", "pd:PaymentCard"), ("W27", "eu-gdpr:BalancingTest"), ("W36-b", "eu-gdpr:A6-1-c")]:
        facts, inferred = _facts(w, sid)
        assert inferred and term in {o for _p, o in facts}, sid
    for sid, term in [("W01", "eu-gdpr:DirectDataCollectionNotice"), ("W02", "legal-fr:DPA-FR"),
                      ("W08", "dpv:Customer"), ("W11", "pd:PaymentCard"), ("W36", "eu-gdpr:A6-1-c"), ("W36", "dpv:Authority")]:
        facts, inferred = _facts(w, sid)
        assert not inferred and term not in {o for _p, o in facts}, sid
    assert not any(p == "dpv:isExercisedAt" for s in w.statements for p, _o in _facts(w, s.id)[0])
    assert ("dpv:hasTechnicalMeasure", "dpv:SecurityMethod") in _facts(w, "W41")[0]


def test_review_planethoster(seed_policies):
    """docs/seed-review.md: statuses that were judgements or promises are gone; the carve-out is an exclusion;
    consent is the basis of the contact data only; the euro prices are targeting evidence."""
    p = seed_policies["planethoster"]
    every = {(s.id, po) for s in p.statements for po in _facts(p, s.id)[0]}
    objects = {o for _sid, (_p, o) in every}
    for gone in ("dpv:NoticeStale", "dpv:NoticeUpdated", "dpv:SecondaryUse", "dpv:ConsentWithdrawn", "dpv:ConsentRequested",
                 "dpv:FeeRequired", "dpv:PersonalisedAdvertising", "dpv:CannotCorrectProcessInput", "dpv:Obligation",
                 "dpv:VitalInterestOfNaturalPerson", "dpv:LegitimateInterestOfThirdParty", "dpv:LegitimateInterestOfController"):
        assert gone not in objects, gone
    assert ("pkx:excludesPersonalData", "pd:Professional") in _facts(p, "P08")[0]
    assert not any(po[0] == "dpv:hasPersonalData" for po in _facts(p, "P08")[0])
    assert ("pkx:targetsPeopleIn", "loc:EU") in _facts(p, "P93")[0]
    assert ("dpv:hasLegalBasis", "dpv:Consent") in _facts(p, "P94")[0]
    assert not any(po[0] == "dpv:hasLegalBasis" for po in _facts(p, "P54")[0])
    assert ("dpv:hasEntityInvolvement", "dpv:OptingOutFromProcess") in _facts(p, "P30")[0]
    assert ("dpv:hasLegalMeasure", "dpv:ControllerProcessorAgreement") in _facts(p, "P47")[0]
    assert _facts(p, "P05-b")[1] and not any(po[0] == "dpv:hasDataProcessor" for po in _facts(p, "P05")[0])
