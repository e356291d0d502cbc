"""kg.messages: one catalogue of what policykg prints, every entry in English and French."""
from __future__ import annotations

from kg.messages import LANGS, catalogue, text, words


def test_every_entry_has_both_languages():
    missing = [(section, key, lang) for section, entries in catalogue().items() for key, pair in entries.items()
               for lang in LANGS if not isinstance(pair.get(lang), str) or not pair[lang].strip()]
    assert not missing, missing


def test_sections_read_as_the_modules_read_them():
    report = words("report")
    assert report["fr"]["conforms"] == "conforme" and report["en"]["conforms"] == "conforms"
    assert set(report["en"]) == set(report["fr"])
    assert text("diff-categories", "legal-bases", "fr") == "Fondements juridiques"
    assert text("compare", "findings", "de") == "Findings"     # an unknown language falls back to English


def test_the_modules_take_their_words_from_the_catalogue():
    from kg import compare, diff, report
    from kg.cli import reason
    assert report.WORDS == words("report") and reason.WORDS == words("reason") and diff._WORDS == words("diff")
    assert list(diff.CATEGORIES) == list(catalogue()["diff-categories"])
    assert compare.ASPECTS["rights"][2:] == (text("compare-aspects", "rights", "en"),
                                            text("compare-aspects", "rights", "fr"))


def test_severities_and_report_labels_speak_french():
    report = words("report")
    assert [report["fr"][k] for k in ("violation", "warning", "info")] == ["violation", "avertissement", "information"]
    assert [report["fr"][k + "_plural"] for k in ("violation", "warning", "info")] == \
        ["violations", "avertissements", "informations"]
    assert report["fr"]["card"] == "fiche" and report["fr"]["fix"] == "correction"
    assert (report["fr"]["finding_one"], report["fr"]["finding_many"]) == ("constat dans", "constats dans")
