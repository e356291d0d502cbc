"""The two seed cards hold every statement of the research mapping (shared/research/seed-mapping.md)."""
from __future__ import annotations

import importlib.util
import re

import pytest

from kg import namespaces as ns

from .conftest import needs_shared

EXPECTED = {"whiteprovider": 40, "planethoster": 84}


def _base_id(sid: str) -> str:
    return re.sub(r"-[a-z0-9]+$", "", sid)


@pytest.mark.parametrize("slug", sorted(EXPECTED))
def test_every_research_statement_is_in_the_card(seed_policies, slug):
    policy = seed_policies[slug]
    prefix = slug[0].upper()
    ids = {_base_id(s.id) for s in policy.statements}
    expected = {f"{prefix}{n:02d}" for n in range(1, EXPECTED[slug] + 1)}
    assert expected <= ids, sorted(expected - ids)


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
