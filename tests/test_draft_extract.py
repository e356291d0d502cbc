"""policykg draft's rules (issue 17), one test per family, on short texts written for the test; negation;
quotes that are exact substrings of the snapshot."""
from __future__ import annotations

import pytest
import yaml

from kg.draft import draft

FR = """Politique de confidentialité

Dernière mise à jour : 30 novembre 2023

Exemple SAS, en qualité de responsable de traitement au sens du RGPD, collecte vos données.

Données collectées

Nous collectons les données suivantes :
- nom, prénom et adresse e-mail ;
- numéro de téléphone.

Finalités

Vos données sont utilisées pour la gestion de votre compte et pour vous envoyer notre newsletter.
Le traitement repose sur l'exécution du contrat et, pour la newsletter, sur votre consentement.

Destinataires

Vos données sont transmises à nos sous-traitants, notamment Stripe pour le paiement.
Nous ne vendons pas vos données à des tiers.

Conservation

Vos données sont conservées 13 mois, puis 3 ans à compter de la fin du contrat.

Hébergement

Vos données sont hébergées en France et en Irlande.

Cookies

Nous utilisons des cookies de mesure d'audience.

Vos droits

Vous disposez d'un droit d'accès, de rectification et d'opposition, et du droit d'introduire une réclamation auprès de la CNIL.
Les données que vous nous fournissez lors de votre inscription sont collectées directement.

Contact

Exemple SAS
Délégué à la protection des données : dpo@exemple.fr
1 rue de la Paix
75002 Paris
France
"""

EN = """Privacy policy

Last updated: July 10, 2025

Example Ltd is the data controller. We do not share your personal data with third parties.
We never sell your data. We collect your email address to provide the service, based on your consent.
Payment data is kept for 3 years after the end of the contract. Logs are deleted after 20 days.
We only store your personal data within the European Union.
You have the right to data portability and the right to withdraw your consent.
"""


@pytest.fixture(scope="module")
def fr(tmp_path_factory):
    src = tmp_path_factory.mktemp("fr") / "exemple.txt"
    src.write_text(FR, encoding="utf-8")
    return draft(src, "exemple", "2023-11-30", write=False, retrieved="2024-01-01")


@pytest.fixture(scope="module")
def en(tmp_path_factory):
    src = tmp_path_factory.mktemp("en") / "example.txt"
    src.write_text(EN, encoding="utf-8")
    return draft(src, "example", "2025-07-10", write=False, retrieved="2025-07-11")


def _values(result, family=None, prop=None, positive=True):
    out = []
    for st in result.draft.statements:
        if family and st.family != family:
            continue
        for p, values in st.props.items():
            if prop and p != prop:
                continue
            out += values
    return out


def _terms(result, prop):
    flat = []
    for v in _values(result, prop=prop):
        flat += [v] if isinstance(v, str) else ([v["a"]] if isinstance(v.get("a"), str) else v.get("a", []))
    return set(flat)


def test_personal_data(fr):
    assert {"pd:Name", "pd:EmailAddress", "pd:TelephoneNumber"} <= _terms(fr, "dpv:hasPersonalData")


def test_purposes(fr):
    assert {"dpv:CustomerManagement", "dpv:DirectMarketing"} <= _terms(fr, "dpv:hasPurpose")


def test_legal_bases_in_the_gdpr_form_when_the_policy_names_the_gdpr(fr):
    assert {"eu-gdpr:A6-1-b-contract-performance", "eu-gdpr:A6-1-a"} <= _terms(fr, "dpv:hasLegalBasis")


def test_recipients_types_and_named_companies(fr):
    assert "dpv:DataProcessor" in _terms(fr, "dpv:hasDataProcessor")
    stripe = [v for v in _values(fr, prop="dpv:hasDataProcessor") if isinstance(v, dict)]
    assert stripe and stripe[0]["dpv:hasName"] == "Stripe" and stripe[0]["a"] == "dpv:DataProcessor"


def test_retention_periods_plain_and_event_bound(fr, en):
    def durations(result):
        return {v["dpv:hasDuration"]["rdf:value"]["duration"]: v["dpv:hasDuration"]
                for v in _values(result, prop="dpv:hasStorageCondition")
                if v.get("a") == "dpv:StorageDuration" and "rdf:value" in v["dpv:hasDuration"]}
    f, e = durations(fr), durations(en)
    assert f["P13M"]["a"] == ["dpv:TemporalDuration"]
    assert f["P3Y"]["a"] == ["dpv:UntilEventDuration"]            # "3 ans à compter de la fin du contrat"
    assert "fin du contrat" in f["P3Y"]["dct:description"]["fr"]
    assert e["P3Y"]["a"] == ["dpv:UntilEventDuration"] and "end of the contract" in e["P3Y"]["dct:description"]["en"]
    assert e["P20D"]["a"] == ["dpv:TemporalDuration"]


def test_storage_locations_as_loc_terms(fr, en):
    places = set()
    for v in _values(fr, prop="dpv:hasStorageCondition") + _values(en, prop="dpv:hasStorageCondition"):
        if v.get("a") == "dpv:StorageLocation":
            places |= set(v["dpv:hasLocation"])
    assert {"loc:FR", "loc:IE", "loc:EU"} <= places


def test_rights_gdpr_and_complaint_with_authority(fr, en):
    assert {"eu-gdpr:A15", "eu-gdpr:A16", "eu-gdpr:A21", "eu-gdpr:A77"} <= _terms(fr, "dpv:hasRight")
    assert "legal-fr:DPA-FR" in _terms(fr, "dpv:hasAuthority")
    assert {"eu-gdpr:A20", "eu-gdpr:A7-3"} <= _terms(en, "dpv:hasRight")


def test_data_source_and_technology(fr):
    assert "dpv:DataSubjectDataSource" in _terms(fr, "dpv:hasDataSource")
    assert "tech:Cookie" in _terms(fr, "dpv:isImplementedUsingTechnology")


def test_controller_notice_date_dpo_and_address(fr, en):
    ctrl = [s for s in fr.draft.statements if s.section == "controller"]
    names = [v for s in ctrl for v in s.props.get("dpv:hasName", [])]
    assert names == ["Exemple SAS"]
    address = next(s for s in ctrl if "dpv:hasAddress" in s.props)
    assert address.props["dpv:hasAddress"] == ["1 rue de la Paix, 75002 Paris, France"]
    assert address.props["dpv:hasLocation"] == ["loc:FR"]
    dpo = next(s for s in ctrl if "dpv:hasDataProtectionOfficer" in s.props)
    assert dpo.props["dpv:hasDataProtectionOfficer"][0]["dpv:hasContact"] == "dpo@exemple.fr"
    assert (fr.draft.date.kind, fr.draft.date.iso) == ("modified", "2023-11-30")
    assert (en.draft.date.kind, en.draft.date.iso) == ("modified", "2025-07-10")


def test_negated_facts_are_prohibitions_never_the_fact(fr, en):
    """'Nous ne vendons pas vos données à des tiers', 'We do not share … with third parties'."""
    for result in (fr, en):
        assert "dpv:ThirdParty" not in _terms(result, "dpv:hasRecipientThirdParty")
        prohibitions = [s for s in result.draft.statements if s.family == "prohibition"]
        assert prohibitions and all(s.review and s.negated for s in prohibitions)
        inner = [v for s in prohibitions for v in s.props["dpv:hasProhibition"]]
        assert any("dpv:ThirdParty" in v.get("dpv:hasRecipientThirdParty", []) for v in inner)


def test_ne_que_is_a_restriction_not_a_negation(tmp_path):
    src = tmp_path / "p.txt"
    src.write_text("Politique\n\nVos données ne sont transmises qu'à nos prestataires pour assurer le service. "
                   "Nous ne les transmettons jamais à des partenaires commerciaux.\n" * 3, encoding="utf-8")
    r = draft(src, "x", "2024-01-01", write=False)
    assert "dpv:DataProcessor" in _terms(r, "dpv:hasDataProcessor")
    assert "dpv:ThirdParty" not in _terms(r, "dpv:hasRecipientThirdParty")


def test_every_quote_is_an_exact_substring_with_its_occurrence(fr, en):
    for result in (fr, en):
        text = result.draft.doc.text
        card = yaml.safe_load(result.card_text)
        statements = list(card["policy"].get("statements") or []) + list(card["controller"]["statements"])
        statements += [s for p in card.get("processes") or [] for s in p["statements"]]
        assert len(statements) == result.statements >= 10
        for st in statements:
            count = sum(1 for i in range(len(text)) if text.startswith(st["quote"], i))
            assert count >= 1, st["quote"]
            assert (st.get("occurrence") is not None) == (count > 1)
            assert 0 <= st["confidence"] <= 1 and st["found_by"]
            assert st.get("review", False) == (st["confidence"] < 0.75 or "note" in st)


# --- rules added while tuning on the dev split (benchmarks/extraction/manifest.json) --------------------------

_PAD = {"en": "\nAbout this text\n\nThis short page was written for the test suite of the drafter only. " * 2,
        "fr": "\nÀ propos de ce texte\n\nCette courte page est écrite pour la suite de tests du brouillon. " * 2}


def _draft_text(tmp_path, text, lang_slug="t"):
    """Draft a short text, padded with neutral sentences to the reader's minimum length."""
    src = tmp_path / f"{lang_slug}.txt"
    src.write_text(text + _PAD[lang_slug], encoding="utf-8")
    return draft(src, lang_slug, "2024-01-01", write=False)


def test_except_phrases_keep_a_form_out_of_its_other_meanings(tmp_path):
    """'in order to' is no purchase order, 'en fonction de' no job, 'named' no name."""
    en = _draft_text(tmp_path, "Privacy policy\n\nWe collect your personal data in order to provide the service. "
                     "We use a session cookie (named “session”) to process your application. We process personal "
                     "data to meet our legitimate interests, which never override your interests or fundamental "
                     "rights.\n", "en")
    assert not {"pd:Purchase", "pd:Name", "pd:Interest"} & _terms(en, "dpv:hasPersonalData")
    fr = _draft_text(tmp_path, "Politique\n\nVos données\n\nNous personnalisons le service en fonction de vos "
                     "préférences, et nous collectons vos données.\n", "fr")
    data = _terms(fr, "dpv:hasPersonalData")
    assert "pd:Preference" in data and "pd:Job" not in data


def test_a_place_after_outside_is_not_where_data_goes(tmp_path):
    fr = _draft_text(tmp_path, "Politique\n\nVos données sont susceptibles de faire l'objet de transferts hors de "
                     "l'Union européenne. Nos serveurs sont situés en France.\n", "fr")
    places = set(_values(fr, prop="dpv:hasThirdCountry"))
    for v in _values(fr, prop="dpv:hasStorageCondition"):
        places |= set(v.get("dpv:hasLocation", []))
    assert "loc:EU" not in places and "loc:FR" in places
    en = _draft_text(tmp_path, "Privacy policy\n\nWe may transfer your data outside the European Economic Area.\n",
                     "en")
    assert "loc:EEA" not in set(_values(en, prop="dpv:hasThirdCountry"))


def test_a_bare_verb_is_a_right_only_where_the_text_gives_one(tmp_path):
    r = _draft_text(tmp_path, "Privacy policy\n\nTickets are automatically deleted within 6 months, unless we "
                    "must keep evidence of legal requests. You can delete your account at any time.\n", "en")
    rights = [st for st in r.draft.statements if st.family == "right"]
    assert [r.draft.doc.text[st.start:st.end] for st in rights] == ["You can delete your account at any time."]


def test_root_terms_and_authorities_are_not_drafted(tmp_path):
    r = _draft_text(tmp_path, "Privacy policy\n\nThis policy follows the GDPR.\nLegal Basis: your consent for "
                    "sending emails.\nYou have the right to launch a complaint with your local data protection "
                    "authority.\n", "en")
    assert _terms(r, "dpv:hasLegalBasis") == {"eu-gdpr:A6-1-a"}
    assert not _values(r, family="recipient")
    assert "eu-gdpr:A77" in _terms(r, "dpv:hasRight")


def test_a_line_label_is_the_context_of_its_sentences(tmp_path):
    """'Storage: … require 7 years of bookkeeping.': the label says it is a retention period."""
    r = _draft_text(tmp_path, "Privacy policy\n\nMembership\n\nStorage: Austrian accounting provisions require "
                    "7 years of bookkeeping.\n", "en")
    values = [v["dpv:hasDuration"].get("rdf:value") for v in _values(r, prop="dpv:hasStorageCondition")]
    assert {"duration": "P7Y"} in values


def test_a_weak_data_form_listed_beside_a_sure_one_is_kept(tmp_path):
    r = _draft_text(tmp_path, "Politique\n\nVos données\n\nToute demande doit comprendre votre nom, prénom et "
                    "adresse.\n", "fr")
    assert {"pd:Name", "pd:PhysicalAddress"} <= _terms(r, "dpv:hasPersonalData")


def test_no_longer_than_is_a_limit_not_a_negation(tmp_path):
    """simplemma reads 'longer' as 'long': 'no longer than necessary' must not become a prohibition."""
    r = _draft_text(tmp_path, "Privacy policy\n\nIf not required by law, the data will be stored for no longer "
                    "than necessary for the purpose.\n", "en")
    assert not [st for st in r.draft.statements if st.family == "prohibition"]
    kinds = [v["dpv:hasDuration"]["a"] for v in _values(r, prop="dpv:hasStorageCondition")]
    assert "dpv:UntilEventDuration" in kinds


def test_processors_are_recipients_without_a_word_of_sharing(tmp_path):
    r = _draft_text(tmp_path, "Privacy policy\n\nWe may use trustworthy processors that only process your "
                    "personal data on our behalf.\n", "en")
    assert "dpv:DataProcessor" in _terms(r, "dpv:hasDataProcessor")


def test_a_controller_address_written_inside_a_sentence(tmp_path):
    r = _draft_text(tmp_path, "Politique\n\nExemple SA, responsable du traitement, collecte vos données. Toute "
                    "demande doit être adressée à support@exemple.fr, ou Exemple SA service juridique, 45 rue de "
                    "Delizy, 93692 Pantin CEDEX.\n", "fr")
    address = next(s for s in r.draft.statements if s.section == "controller" and "dpv:hasAddress" in s.props)
    assert address.props["dpv:hasAddress"] == ["45 rue de Delizy, 93692 Pantin CEDEX"]
    assert address.props["dpv:hasLocation"] == ["loc:FR"]
    assert r.draft.doc.text[address.start:address.end] == "45 rue de Delizy, 93692 Pantin CEDEX"


def test_pipeda_and_law25_rights_in_their_own_terms(tmp_path):
    pipeda = _draft_text(tmp_path, "Privacy policy\n\nWe comply with PIPEDA. You have the right to access your "
                         "personal information and the right to rectification, and you may withdraw your consent "
                         "at any time.\n", "en")
    assert {"pkx:QC-RightOfAccess", "pkx:QC-RightToRectification", "pkx:QC-RightToWithdrawConsent"} \
        <= _terms(pipeda, "dpv:hasRight")
    assert not {"eu-gdpr:A15", "eu-gdpr:A16", "eu-gdpr:A7-3"} & _terms(pipeda, "dpv:hasRight")
    law25 = _draft_text(tmp_path, "Politique\n\nConformément à la Loi 25, vous pouvez demander la désindexation "
                        "de vos renseignements personnels.\n", "fr")
    assert "pkx:QC-RightToDeindexation" in _terms(law25, "dpv:hasRight")


def test_a_list_introduced_by_a_legal_basis_is_one_process_with_its_purposes(tmp_path):
    r = _draft_text(tmp_path, "Politique\n\nFinalités\n\nVos données personnelles sont traitées dans le respect du "
                    "RGPD.\n\nSur la base d’un contrat conclu avec vous, nous réalisons les traitements ci-dessous :\n\n"
                    "- facturation et paiement ;\n- gestion des réclamations.\n\nSur la base de votre consentement, "
                    "nous réalisons les traitements suivants :\n\n- envoi de notre newsletter ;\n- mesures d’audience."
                    "\n", "fr")
    by_process: dict = {}
    for st in r.draft.statements:
        for prop in ("dpv:hasLegalBasis", "dpv:hasPurpose"):
            by_process.setdefault(st.process, {}).setdefault(prop, set()).update(st.props.get(prop, []))
    contract = next(p for p in by_process.values() if "eu-gdpr:A6-1-b-contract-performance" in
                    p.get("dpv:hasLegalBasis", ()))
    consent = next(p for p in by_process.values() if "eu-gdpr:A6-1-a" in p.get("dpv:hasLegalBasis", ()))
    assert contract is not consent
    assert {"dpv:PaymentManagement", "dpv:CustomerClaimsManagement"} <= contract["dpv:hasPurpose"]
    assert {"dpv:DirectMarketing", "dpv:ServiceUsageAnalytics"} <= consent["dpv:hasPurpose"]
    assert not {"dpv:DirectMarketing", "dpv:ServiceUsageAnalytics"} & contract["dpv:hasPurpose"]


def test_a_data_category_the_text_leaves_out_is_not_drafted(tmp_path):
    r = _draft_text(tmp_path, "Politique\n\nUn renseignement personnel est un renseignement qui se rapporte à une "
                    "personne identifiable, à l’exception des coordonnées d’affaires. Nous collectons votre adresse "
                    "e-mail.\n", "fr")
    data = _terms(r, "dpv:hasPersonalData")
    assert "pd:EmailAddress" in data and "pd:Contact" not in data


TABLE = """# Politique de confidentialité

Exemple SAS, responsable du traitement au sens du RGPD, traite vos données comme suit.

## Nos traitements

| Finalité | Données | Base légale | Durée de conservation |
|---|---|---|---|
| Gestion de votre compte | Nom, prénom, adresse e-mail | Exécution du contrat | 3 ans après la fin du contrat |
| Newsletter | Adresse e-mail | Consentement | 13 mois |
| Facturation | Adresse postale, coordonnées bancaires | Obligation légale | 10 ans |
"""


def test_a_table_row_is_read_column_by_column(tmp_path):
    """The header says what each column holds: 'Facturation' in the purpose column is no data category, and a
    period in the retention column is a retention period without a word of keeping beside it."""
    src = tmp_path / "table.md"
    src.write_text(TABLE, encoding="utf-8")
    r = draft(src, "exemple", "2024-01-01", write=False)
    rows = {p.id: p for p in r.draft.processes}
    assert {"gestion-de-votre-compte", "newsletter", "facturation"} <= set(rows)

    def of(pid, prop):
        return {v if isinstance(v, str) else v["dpv:hasDuration"].get("rdf:value", {}).get("duration")
                for st in r.draft.statements if st.process == pid for v in st.props.get(prop, [])}
    assert of("facturation", "dpv:hasPersonalData") == {"pd:PhysicalAddress", "pd:BankAccount"}
    assert of("facturation", "dpv:hasPurpose") == {"dpv:PaymentManagement"}
    assert of("gestion-de-votre-compte", "dpv:hasStorageCondition") == {"P3Y"}
    assert of("newsletter", "dpv:hasStorageCondition") == {"P13M"}
    assert of("facturation", "dpv:hasStorageCondition") == {"P10Y"}


def test_access_control_and_unauthorised_third_parties_are_not_rights_or_recipients(tmp_path):
    r = _draft_text(tmp_path, "Politique\n\nSécurité\n\nNous restreignons et limitons l’accès à vos données via des "
                    "contrôles d’accès, afin d’empêcher que des tiers non autorisés y aient accès.\n\nVos droits\n\n"
                    "Vous pouvez accéder à vos données et en obtenir une copie.\n", "fr")
    rights = [st for st in r.draft.statements if st.family == "right"]
    assert [r.draft.doc.text[st.start:st.end] for st in rights] == [
        "Vous pouvez accéder à vos données et en obtenir une copie."]
    assert not _values(r, family="recipient")
