"""`policykg compare` (kg.compare): the two seeds side by side; what only one of them states, checked against
what the cards say (read here from the YAML, not with the library queries); outputs and inputs."""
from __future__ import annotations

import csv
import io
import json

import pytest
import yaml
from typer.testing import CliRunner

from kg import namespaces as ns
from kg.cli.main import app
from kg.compare import compare_targets, render
from kg.errors import KgError

from .conftest import DATA, SEED_CARDS

runner = CliRunner()
RECIPIENT_PROPERTIES = ("dpv:hasRecipient", "dpv:hasDataProcessor", "dpv:hasRecipientThirdParty",
                        "dpv:hasRecipientDataController", "dpv:hasDataImporter", "dpv:hasDataExporter")


def _list(value) -> list:
    return value if isinstance(value, list) else [value]


def _name(value) -> str | None:
    if isinstance(value, dict):
        return next(iter(value.values()))
    return value


class CardFacts:
    """What a card states, read from its YAML: process-level values, the controller, the notice."""

    def __init__(self, path):
        self.card = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.key = f"{self.card['policy']['slug']}@{self.card['policy']['version']}"
        self.names: dict[str, str] = {}
        self.locations_of: dict[str, set[str]] = {}
        for node in self._nodes(self.card):
            if "dpv:hasName" in node:
                self.names.setdefault(node["id"], _name(node["dpv:hasName"]))
            if "dpv:hasLocation" in node:
                self.locations_of.setdefault(node["id"], set()).update(_list(node["dpv:hasLocation"]))
        controller = self.card["controller"]
        for st in controller["statements"]:
            if "dpv:hasName" in st:
                self.names[controller["id"]] = _name(st["dpv:hasName"])
            self.locations_of.setdefault(controller["id"], set()).update(_list(st.get("dpv:hasLocation", [])))

    def _nodes(self, value):
        if isinstance(value, dict):
            if "id" in value and "quote" not in value and "statements" not in value:
                yield value
            for v in value.values():
                yield from self._nodes(v)
        elif isinstance(value, list):
            for v in value:
                yield from self._nodes(v)

    def process_values(self, prop: str) -> list:
        return [v for p in self.card["processes"] for st in p["statements"] for v in _list(st.get(prop, []))]

    def personal_data(self) -> set[str]:
        return set(self.process_values("dpv:hasPersonalData"))

    def recipients(self) -> set[str]:
        out = set()
        for prop in RECIPIENT_PROPERTIES:
            for v in self.process_values(prop):
                out.add(self.names.get(v["id"], "#" + v["id"]) if isinstance(v, dict) else v)
        return out

    def locations(self) -> set[str]:
        out = set()
        for st in self.card["policy"].get("statements", []):
            out.update(_list(st.get("dpv:hasJurisdiction", [])))
        out.update(self.locations_of.get(self.card["controller"]["id"], set()))
        for cond in self.process_values("dpv:hasStorageCondition"):
            if isinstance(cond, dict) and "dpv:StorageLocation" in _list(cond.get("a", [])):
                out.update(_list(cond.get("dpv:hasLocation", [])))
        for prop in RECIPIENT_PROPERTIES:
            for v in self.process_values(prop):
                if isinstance(v, dict):
                    out.update(self.locations_of.get(v["id"], set()))
        return out


@pytest.fixture(scope="module")
def cards():
    return [CardFacts(path) for path in SEED_CARDS]


@pytest.fixture(scope="module")
def comparison(built_store, cards):
    return compare_targets([c.key for c in cards], store_path=built_store[0])


@pytest.mark.parametrize("aspect, read", [("personal-data", CardFacts.personal_data),
                                          ("recipients", CardFacts.recipients),
                                          ("locations", CardFacts.locations)])
def test_only_one_seed_states_it(comparison, cards, aspect, read):
    first, second = cards
    stated = {c.key: read(c) for c in cards}
    assert stated[first.key] and stated[second.key]
    assert set(comparison.only(aspect, first.key)) == stated[first.key] - stated[second.key]
    assert set(comparison.only(aspect, second.key)) == stated[second.key] - stated[first.key]
    for c in cards:
        assert set(comparison.stated(aspect, c.key)) == stated[c.key]


def test_seed_expectations_by_hand(comparison):
    """A few items read off the cards by eye: WhiteProvider alone collects birth date and gender and is
    in French Polynesia; PlanetHoster alone stores data in France, Switzerland and Canada."""
    wp, ph = "whiteprovider@2024-05-19", "planethoster@2015-09-01"
    assert {"pd:BirthDate", "pd:Gender"} <= set(comparison.only("personal-data", wp))
    assert set(comparison.only("locations", wp)) == {"loc:PF"}
    assert {"loc:FR", "loc:CH", "loc:CA", "loc:CA-QC"} == set(comparison.only("locations", ph))
    assert comparison.only("recipients", wp) == ["dpv:Authority"]
    assert "pd:EmailAddress" in comparison.stated("personal-data", wp) and \
        "pd:EmailAddress" not in comparison.only("personal-data", wp)


def test_other_rows_and_findings(comparison):
    wp = "whiteprovider@2024-05-19"
    assert comparison.stated("retention", wp) == ["P2Y (minimum)"]
    assert set(comparison.stated("rights", wp)) == {"eu-gdpr:A15", "eu-gdpr:A16", "eu-gdpr:A17", "eu-gdpr:A20"}
    assert "dpv:DirectMarketing" in comparison.stated("purposes", wp)
    assert all(sum(counts.values()) > 0 for counts in comparison.findings.values())


def test_cards_give_the_same_comparison(comparison):
    from_files = compare_targets([str(p) for p in SEED_CARDS], validate=False)
    assert from_files.items == comparison.items


def test_csv_and_json(comparison, vocabulary):
    rows = list(csv.reader(io.StringIO(render(comparison, "csv", "en", vocabulary))))
    header = rows[0]
    assert header[:3] == ["aspect", "item", "label"] and header[-1] == "only"
    gender = next(r for r in rows if r[1] == "pd:Gender")
    assert gender[2] == "Gender" and gender[-1] == "whiteprovider@2024-05-19"
    assert [r[1] for r in rows if r[0] == "findings"] == ["violation", "warning", "info"]
    doc = json.loads(render(comparison, "json", "fr", vocabulary))
    assert doc["labels"]["pd:TelephoneNumber"] == "Numéro de téléphone"
    assert doc["aspects"]["locations"]["whiteprovider@2024-05-19"]["only"] == ["loc:PF"]


def test_cli_table(built_store):
    result = runner.invoke(app, ["compare", "planethoster", "whiteprovider", "--store", str(built_store[0])],
                           env={"COLUMNS": "240"})
    assert result.exit_code == 0, result.output
    assert "Data categories" in result.stdout and "* loc:PF" in result.stdout and "Findings" in result.stdout


def test_cli_out_file_and_errors(built_store, tmp_path):
    out = tmp_path / "compare.csv"
    ok = runner.invoke(app, ["compare", "planethoster", "whiteprovider", "-f", "csv", "-o", str(out),
                             "--store", str(built_store[0])])
    assert ok.exit_code == 0 and out.read_text(encoding="utf-8").startswith("aspect,item")
    twice = runner.invoke(app, ["compare", "whiteprovider", "whiteprovider@2024-05-19", "--store",
                                str(built_store[0])])
    assert twice.exit_code == 2 and "error[PKG-E075 diff-input]" in twice.output
    unknown = runner.invoke(app, ["compare", "nobody", "--store", str(built_store[0])])
    assert unknown.exit_code == 2 and "error[PKG-E035 unknown-policy]" in unknown.output


def test_unknown_format_is_a_usage_error(built_store):
    result = runner.invoke(app, ["compare", "planethoster", "-f", "xml", "--store", str(built_store[0])])
    assert result.exit_code == 2


def test_one_policy_has_no_only_marks(built_store):
    single = compare_targets(["whiteprovider"], store_path=built_store[0], validate=False)
    assert single.only("personal-data", "whiteprovider@2024-05-19") == []
    with pytest.raises(KgError):
        compare_targets([], store_path=built_store[0])


def test_recipient_properties_cover_the_cards(vocabulary):
    """The test's own list of recipient properties covers every one the seed cards use."""
    used = set()
    for path in SEED_CARDS:
        for line in path.read_text(encoding="utf-8").splitlines():
            key = line.strip().lstrip("- ").split(":", 2)
            if len(key) > 2 and key[0] == "dpv":
                iri = ns.expand_curie(f"dpv:{key[1]}")
                if iri and vocabulary.is_property(iri) and vocabulary.is_a(iri, ns.DPV.hasRecipient):
                    used.add(f"dpv:{key[1]}")
    assert used and used <= set(RECIPIENT_PROPERTIES)
    assert DATA.exists()
