"""kg.load: cards -> Policy, and the errors a bad card gets (file:line, field, fix)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from kg.errors import CardError, InputNotFoundError, QuoteNotFoundError, SnapshotError, UnknownTermError
from kg.load import load_card
from kg.model import Lit, NodeRef, Term

from .conftest import FIXTURES, SEED_CARDS


def _local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def test_minimal_card_loads(vocabulary):
    policy = load_card(FIXTURES / "policies" / "minimal.yaml", vocabulary=vocabulary)
    assert policy.key == "example@2024-01-31"
    assert [s.id for s in policy.statements] == ["E01", "E05", "E02", "E03", "E04", "E06"]
    e04 = next(s for s in policy.statements if s.id == "E04")
    values = {(f.subject, _local(f.predicate), f.object) for f in e04.facts}
    assert ("newsletter", "hasStorageCondition", NodeRef("newsletter-retention")) in values
    assert ("newsletter-retention-duration", "value",
            Lit("P3Y", datatype="http://www.w3.org/2001/XMLSchema#duration")) in values
    assert ("newsletter-retention-duration", "description", Lit("trois ans après votre dernier contact", lang="fr")) in values
    e02 = next(s for s in policy.statements if s.id == "E02")
    assert ("example", "hasName", Lit("Example SAS")) in {(f.subject, _local(f.predicate), f.object) for f in e02.facts}
    assert Term("https://w3id.org/dpv#ForProfitOrganisation") in [f.object for f in e02.facts]


def test_quote_offsets_and_occurrence(vocabulary):
    policy = load_card(FIXTURES / "policies" / "minimal.yaml", vocabulary=vocabulary)
    text = policy.source.text
    for statement in policy.statements:
        ev = statement.evidence
        assert text[ev.start:ev.end] == ev.exact
    e05 = next(s for s in policy.statements if s.id == "E05").evidence
    assert e05.start == text.find(e05.exact, text.find(e05.exact) + 1)  # the second occurrence
    assert next(s for s in policy.statements if s.id == "E06").evidence.inferred


def _mutate(card: Path, old: str, new: str) -> Path:
    text = card.read_text(encoding="utf-8")
    assert old in text, old
    card.write_text(text.replace(old, new, 1), encoding="utf-8")
    return card


def _line_of(card: Path, needle: str) -> int:
    for n, line in enumerate(card.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return n
    raise AssertionError(needle)


def test_yaml_syntax_error_names_line(minimal_card, vocabulary):
    _mutate(minimal_card, "  title: Politique", "  title: [Politique")
    with pytest.raises(CardError) as exc:
        load_card(minimal_card, vocabulary=vocabulary)
    assert exc.value.id == "yaml-syntax"
    assert exc.value.where.file == str(minimal_card) and exc.value.where.line is not None


def test_missing_field_names_line_and_field(minimal_card, vocabulary):
    _mutate(minimal_card, "  language: fr\n", "")
    with pytest.raises(CardError) as exc:
        load_card(minimal_card, vocabulary=vocabulary)
    assert "'language'" in exc.value.what
    assert exc.value.where.field == "policy" and exc.value.where.line == _line_of(minimal_card, "policy:")


def test_unknown_term_suggests_closest(minimal_card, vocabulary):
    _mutate(minimal_card, "dpv:hasPurpose: dpv:DirectMarketing", "dpv:hasPurpose: dpv:DirectMarketting")
    with pytest.raises(UnknownTermError) as exc:
        load_card(minimal_card, vocabulary=vocabulary)
    err = exc.value
    assert "dpv:DirectMarketting" in err.what
    assert "dpv:DirectMarketing" in err.fix
    assert err.where.line == _line_of(minimal_card, "dpv:DirectMarketting")
    assert err.where.field == "processes[0].statements[0].dpv:hasPurpose"


def test_unknown_property_and_prefix(minimal_card, vocabulary):
    _mutate(minimal_card, "dpv:hasProcessing: dpv:Use", "dpv:hasProcesing: dpv:Use")
    with pytest.raises(UnknownTermError) as exc:
        load_card(minimal_card, vocabulary=vocabulary)
    assert "dpv:hasProcessing" in exc.value.fix
    _mutate(minimal_card, "dpv:hasProcesing: dpv:Use", "dpv:hasProcessing: foo:Use")
    with pytest.raises(UnknownTermError) as exc:
        load_card(minimal_card, vocabulary=vocabulary)
    assert "unknown prefix 'foo'" in exc.value.what


def test_term_where_text_expected_and_text_where_term_expected(minimal_card, vocabulary):
    _mutate(minimal_card, "dpv:hasPurpose: dpv:DirectMarketing", "dpv:hasPurpose: {fr: prospection}")
    with pytest.raises(CardError) as exc:
        load_card(minimal_card, vocabulary=vocabulary)
    assert exc.value.id == "wrong-value-kind"


def test_quote_not_in_snapshot(minimal_card, vocabulary):
    _mutate(minimal_card, "pendant trois ans", "pendant 3 ans")
    with pytest.raises(QuoteNotFoundError) as exc:
        load_card(minimal_card, vocabulary=vocabulary)
    assert "E04" in exc.value.what and exc.value.where.field.endswith(".quote")


def test_ambiguous_quote_needs_occurrence(minimal_card, vocabulary):
    _mutate(minimal_card, "      occurrence: 2\n", "")
    with pytest.raises(QuoteNotFoundError) as exc:
        load_card(minimal_card, vocabulary=vocabulary)
    assert "occurs 2 times" in exc.value.what and "occurrence" in exc.value.fix


def test_snapshot_hash_checked(minimal_card, vocabulary):
    snap = minimal_card.parent.parent / "sources" / "example" / "2024-01-31.fr.txt"
    snap.write_text(snap.read_text(encoding="utf-8") + "ajout\n", encoding="utf-8")
    with pytest.raises(SnapshotError) as exc:
        load_card(minimal_card, vocabulary=vocabulary)
    assert exc.value.where.field == "policy.source.sha256"


def test_duplicate_statement_id(minimal_card, vocabulary):
    _mutate(minimal_card, "- id: E04", "- id: E03")
    with pytest.raises(CardError) as exc:
        load_card(minimal_card, vocabulary=vocabulary)
    assert exc.value.id == "duplicate-id"


def test_missing_file(vocabulary, tmp_path):
    with pytest.raises(InputNotFoundError):
        load_card(tmp_path / "nope.yaml", vocabulary=vocabulary)


def test_error_text_has_what_where_fix(minimal_card, vocabulary):
    _mutate(minimal_card, "pd:EmailAddress", "pd:EmailAdress")
    with pytest.raises(UnknownTermError) as exc:
        load_card(minimal_card, vocabulary=vocabulary)
    text = str(exc.value)
    assert re.search(r"^error\[PKG-E012 unknown-term\]: 'pd:EmailAdress' is not a term of DPV 2\.3", text)
    assert re.search(r"where: .*minimal\.yaml:\d+:\d+", text) and "fix:   did you mean 'pd:EmailAddress'" in text


@pytest.mark.parametrize("card", SEED_CARDS, ids=lambda p: p.parent.name)
def test_seed_cards_load(card, vocabulary):
    policy = load_card(card, vocabulary=vocabulary)
    assert policy.statements and policy.processes


# --- properties -------------------------------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from kg.load import locate_quote  # noqa: E402

_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Mn", "Mc", "Me")), min_size=1, max_size=200)


@settings(max_examples=300, deadline=None)
@given(text=_TEXT, data=st.data())
def test_any_quote_is_found_at_its_offsets(text, data):
    """For any text and any non-empty slice of it, the quote (with the right occurrence) is located at
    exactly that slice: the offsets written into the TextPositionSelector always select the quote."""
    import unicodedata
    text = unicodedata.normalize("NFC", text)
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    quote = text[start:end]
    starts, i = [], text.find(quote)
    while i >= 0:
        starts.append(i)
        i = text.find(quote, i + 1)
    found = locate_quote(text, quote, starts.index(start) + 1)
    assert found == (start, end) and text[found[0]:found[1]] == quote
    if len(starts) > 1:
        assert str(locate_quote(text, quote, None)) == f"occurs {len(starts)} times"


def test_within_names_another_process(minimal_card, vocabulary):
    _mutate(minimal_card, "  - id: newsletter\n", "  - id: newsletter\n    within: nowhere\n")
    with pytest.raises(CardError) as exc:
        load_card(minimal_card, vocabulary=vocabulary)
    assert "'nowhere'" in exc.value.what and exc.value.where.field == "processes[0]"


def test_within_loops_are_refused(minimal_card, vocabulary):
    text = minimal_card.read_text(encoding="utf-8")
    text = text.replace("  - id: newsletter\n", "  - id: newsletter\n    within: other\n")
    text += ("  - id: other\n    within: newsletter\n    label: {fr: Autre, en: Other}\n    statements:\n"
             "      - id: E07\n        quote: \"Nous utilisons votre adresse email\"\n        dpv:hasPurpose: dpv:ServiceProvision\n")
    minimal_card.write_text(text, encoding="utf-8")
    with pytest.raises(CardError) as exc:
        load_card(minimal_card, vocabulary=vocabulary)
    assert "loop" in exc.value.what


def test_drafted_statements_carry_their_review_fields(minimal_card):
    """`policykg draft` writes review, confidence and found_by on each statement: the loader keeps them,
    and refuses them when they are not of their kind."""
    from kg.errors import CardError
    from kg.load import load_card
    text = minimal_card.read_text(encoding="utf-8")
    quote_line = next(line for line in text.splitlines() if line.strip().startswith("quote:"))
    indent = quote_line[: len(quote_line) - len(quote_line.lstrip())]
    drafted = text.replace(quote_line, f"{quote_line}\n{indent}review: true\n{indent}confidence: 0.6\n"
                                       f"{indent}found_by: lexicon:data/email", 1)
    minimal_card.write_text(drafted, encoding="utf-8")
    evidence = load_card(minimal_card).statements[0].evidence
    assert (evidence.review, evidence.confidence, evidence.found_by) == (True, 0.6, "lexicon:data/email")
    minimal_card.write_text(drafted.replace("confidence: 0.6", "confidence: 1.5"), encoding="utf-8")
    with pytest.raises(CardError):
        load_card(minimal_card)
