"""The draft lexicon (issue 17): every curated entry names a real term, the generated part is what the
generator writes, and forms match through lemmas, case, accents and hyphens."""
from __future__ import annotations

import yaml

from kg.draft import lexicon
from kg.draft.lexicon import Matcher, curated_entries, generate, lexicon_dir, load_cues, tokens
from kg.vocab import load_vocabulary


def _curies(value):
    if isinstance(value, str) and ":" in value and " " not in value and value.split(":")[0] in (
            "dpv", "pd", "eu-gdpr", "tech", "loc", "legal-eu", "legal-fr", "pkx"):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _curies(k)
            yield from _curies(v)
    elif isinstance(value, list):
        for v in value:
            yield from _curies(v)


def test_every_curated_term_exists_in_dpv_or_the_extension():
    vocab = load_vocabulary()
    named = []
    for path in sorted(lexicon_dir().glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        named += [(path.name, c) for c in _curies(data)]
    assert len(named) > 200
    missing = [(f, c) for f, c in named if not vocab.exists(c)]
    assert not missing, missing


def test_every_curated_family_file_has_forms_in_both_languages():
    for family in lexicon.CURATED:
        entries = curated_entries(family)
        assert {e.lang for e in entries} == {"fr", "en"}, family
        assert all(e.form.strip() for e in entries)


def test_generated_part_is_up_to_date():
    """kg/draft/lexicon/generated.tsv is what `python -m kg.draft.lexicon` writes from the shipped vocabulary."""
    assert (lexicon_dir() / lexicon.GENERATED).read_text(encoding="utf-8") == generate()


def test_forms_match_through_lemmas_case_accents_and_hyphens():
    m = Matcher("fr")
    text = "Vos ADRESSES E-MAIL, vos numéros de téléphone et vos donnees de localisation"
    terms = {h.entry.term for h in m.hits(tokens(text, "fr"))}
    assert {"pd:EmailAddress", "pd:TelephoneNumber", "pd:Location"} <= terms
    hit = next(h for h in m.hits(tokens(text, "fr")) if h.entry.term == "pd:EmailAddress")
    assert text[hit.start:hit.end] == "ADRESSES E-MAIL"
    en = {h.entry.term for h in Matcher("en").hits(tokens("We keep your e-mail addresses and IP addresses", "en"))}
    assert {"pd:EmailAddress", "pd:IPAddress"} <= en


def test_longest_form_wins_within_a_family():
    hits = Matcher("fr").hits(tokens("votre adresse postale", "fr"))
    assert [h.entry.term for h in hits if h.entry.family == "data"] == ["pd:PhysicalAddress"]
    assert all(h.entry.confidence > 0.6 for h in hits if h.entry.family == "data")   # not the weak 'adresse'


def test_cue_terms_exist():
    vocab = load_vocabulary()
    assert all(vocab.exists(c) for c in _curies(load_cues()))


def test_forms_added_from_the_dev_split():
    """Forms of the dev split's policies the first lexicon missed (one per family)."""
    fr = {h.entry.term for h in Matcher("fr").hits(tokens(
        "un droit au retrait de votre consentement, un droit d’adresser une réclamation à la Cnil ; des clauses "
        "types ; les données personnelles provenant de tiers ; les données inférées ou calculées par nous ; "
        "gestion de notre relation commerciale ; souscription des abonnements", "fr"))}
    assert {"eu-gdpr:A7-3", "eu-gdpr:A77", "eu-gdpr:StandardContractualClauses", "dpv:ThirdPartyDataSource",
            "dpv:DataControllerDataSource", "dpv:CustomerRelationshipManagement", "dpv:ServiceRegistration"} <= fr
    en = {h.entry.term for h in Matcher("en").hits(tokens(
        "to launch a complaint; to rectify; to object; we generate a member ID; in order to enter into and continue "
        "performing the contract; our legal duty; the management of your membership", "en"))}
    assert {"eu-gdpr:A77", "eu-gdpr:A16", "eu-gdpr:A21", "pd:AccountIdentifier", "dpv:EnterIntoContract",
            "dpv:ContractPerformance", "dpv:LegalObligation", "dpv:MemberPartnerManagement"} <= en


def test_except_phrases_are_read_from_the_curated_files():
    name = next(e for e in curated_entries("data") if e.term == "pd:Name" and e.lang == "en")
    assert ("named",) in name.excepts
    purchase = next(e for e in curated_entries("data") if e.term == "pd:Purchase" and e.lang == "en")
    assert ("in", "order", "to") in purchase.excepts
