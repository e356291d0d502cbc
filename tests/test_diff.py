"""The semantic diff (kg.diff, `policykg diff`): the versioned fixture gives exactly its planted changes and
findings, from cards or from the store (kg.diff.changes); ordering, statement IRIs and blank-node labels are
no change (kg.diff.sides); the outputs (text fr/en, JSON, TriG patch: kg.diff.output) and the errors; the
names the package keeps for its callers."""
from __future__ import annotations

import json

import pytest
import yaml
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDF
from typer.testing import CliRunner

from kg import namespaces as ns
from kg.cli.main import app
from kg.diff import diff_sides, diff_targets, load_side, render, to_dict
from kg.errors import KgError, code_of

from .conftest import DATA, FIXTURES, VERSION_CARD, VERSIONS

runner = CliRunner()
SEED = DATA / "policies" / "whiteprovider" / "2024-05-19.yaml"
PLANTED = yaml.safe_load((VERSIONS / "planted.yaml").read_text(encoding="utf-8"))


def _value(v):
    return v if v is None or isinstance(v, str) else v["value"]


def change_set(doc: dict) -> set[tuple]:
    return {(c["category"], c["kind"], c["subject"], c["property"], _value(c["a"]), _value(c["b"]))
            for c in doc["changes"]}


def planted_changes() -> set[tuple]:
    return {(c["category"], c["kind"], c["subject"], c["property"], c.get("a"), c.get("b"))
            for c in PLANTED["changes"]}


def finding_set(findings: list[dict], graph: str) -> set[tuple]:
    return {(f["shape"], "#" + f["focus"].split("#", 1)[1] if f["focus"].startswith(graph) else f["focus"])
            for f in findings}


@pytest.fixture(scope="module")
def card_diff(vocabulary):
    return diff_targets(str(SEED), str(VERSION_CARD))


def test_fixture_is_labelled_and_outside_data():
    assert "TEST FIXTURE" in VERSION_CARD.read_text(encoding="utf-8").splitlines()[0]
    snapshot = next((VERSIONS / "sources").rglob("*.txt"))
    assert "FIXTURE DE TEST" in snapshot.read_text(encoding="utf-8") and "test-fixture" in snapshot.name
    assert not list(DATA.rglob("*test-fixture*"))


def test_planted_changes_exactly(card_diff):
    doc = to_dict(card_diff)
    assert change_set(doc) == planted_changes()
    assert len(doc["changes"]) == len(PLANTED["changes"])        # no duplicate entries either


def test_planted_findings_exactly(card_diff):
    doc = to_dict(card_diff)
    assert finding_set(doc["findings"]["appeared"], card_diff.b.graph_iri) == \
        {(f["shape"], f["focus"]) for f in PLANTED["findings"]["appeared"]}
    assert finding_set(doc["findings"]["disappeared"], card_diff.a.graph_iri) == \
        {(f["shape"], f["focus"]) for f in PLANTED["findings"]["disappeared"]}


def test_every_change_has_its_quotes(card_diff):
    for c in card_diff.changes:
        assert bool(c.quotes_a) == (c.kind in ("removed", "changed")), c
        assert bool(c.quotes_b) == (c.kind in ("added", "changed")), c
    retention = next(c for c in card_diff.changes if str(c.predicate) == str(RDF.value))
    assert "deux ans" in retention.quotes_a[0][1] and "un an" in retention.quotes_b[0][1]
    assert retention.quotes_a[0][0] == retention.quotes_b[0][0] == "W37"


def test_store_selectors_give_the_same_diff(versions_store, card_diff):
    by_store = diff_targets("whiteprovider@2024-05-19", "whiteprovider", store_path=versions_store, validate=False)
    assert change_set(to_dict(by_store)) == change_set(to_dict(card_diff))
    assert by_store.b.key == "whiteprovider@2025-03-01"


def test_a_policy_against_itself_is_no_change(versions_store):
    same = diff_targets(str(SEED), "whiteprovider@2024-05-19", store_path=versions_store)   # card vs store
    assert same.changes == [] and same.appeared == [] and same.disappeared == []
    assert "no difference" in render(same, "text")


def test_statement_ids_and_fact_order_are_no_change(tmp_path, minimal_card):
    text = minimal_card.read_text(encoding="utf-8")
    moved = text.replace("        dpv:hasPersonalData: pd:EmailAddress\n        dpv:hasPurpose: dpv:DirectMarketing\n",
                         "        dpv:hasPurpose: dpv:DirectMarketing\n        dpv:hasPersonalData: pd:EmailAddress\n")
    moved = moved.replace("id: E03", "id: E33")     # other statement IRIs and annotation ids
    assert moved != text
    other = minimal_card.with_name("reordered.yaml")
    other.write_text(moved, encoding="utf-8")
    result = diff_targets(str(minimal_card), str(other), validate=False)
    assert result.changes == []


def _with_blank_nodes(card, vocabulary, order: int, value: str = "P3Y") -> Graph:
    """The minimal card's graph with its retention nodes as blank nodes (labels chosen by `order`) and its
    statement IRIs renamed: same facts, other labels."""
    from kg.load import load_card
    from kg.mapping import graph_iri, policy_graph
    model = load_card(card, vocabulary=vocabulary)
    g, base = policy_graph(model), str(graph_iri(model)) + "#"
    blanks = {URIRef(base + "newsletter-retention"): BNode(f"b{order}x"),
              URIRef(base + "newsletter-retention-duration"): BNode(f"b{1 - order}y")}

    def swap(t):
        if t in blanks:
            return blanks[t]
        if isinstance(t, URIRef) and str(t).startswith(base + "st-"):
            return URIRef(f"{base}statement-{order}-{str(t)[len(base) + 3:]}")
        if t == Literal("P3Y", datatype=ns.XSD.duration):
            return Literal(value, datatype=ns.XSD.duration)
        return t
    out = Graph()
    for s, p, o in g:
        out.add((swap(s), p, swap(o)))
    return out


def test_blank_node_labels_are_no_change(tmp_path, minimal_card, vocabulary):
    a, b = tmp_path / "a.ttl", tmp_path / "b.ttl"
    a.write_text(_with_blank_nodes(minimal_card, vocabulary, 0).serialize(format="turtle"), encoding="utf-8")
    b.write_text(_with_blank_nodes(minimal_card, vocabulary, 1).serialize(format="turtle"), encoding="utf-8")
    assert diff_targets(str(a), str(b), validate=False).changes == []
    # and a real change inside a blank node shows, in the retention category, with its quote
    b.write_text(_with_blank_nodes(minimal_card, vocabulary, 1, "P5Y").serialize(format="turtle"), encoding="utf-8")
    changed = diff_targets(str(a), str(b), validate=False).changes
    assert changed and {c.category for c in changed} == {"retention"}
    assert any(c.b == Literal("P5Y", datatype=ns.XSD.duration) and c.quotes_b for c in changed)


def test_two_policies_line_up_their_controllers(vocabulary):
    planethoster = DATA / "policies" / "planethoster" / "2015-09-01.yaml"
    result = diff_sides(load_side(str(SEED), vocabulary=vocabulary), load_side(str(planethoster), vocabulary=vocabulary),
                        vocabulary=vocabulary, validate=False)
    names = [c for c in result.changes if c.category == "controller" and str(c.predicate) == str(ns.DPV.hasName)
             and c.subject == URIRef("urn:policykg:node#controller")]
    others = {c.subject for c in result.changes if c.category == "controller"} - {names[0].subject}
    assert URIRef("urn:policykg:node#privacy-officer") in others   # what hangs off the controller is its too
    assert [(str(c.a), str(c.b), c.kind) for c in names] == [("WhiteProvider", "PLANETHOSTER", "changed")]
    ids = [{p["id"] for p in yaml.safe_load(card.read_text(encoding="utf-8"))["processes"]} for card in (SEED, planethoster)]
    for kind, expected in (("added", ids[1] - ids[0]), ("removed", ids[0] - ids[1])):
        entries = [c for c in result.changes if c.category == "processes" and c.kind == kind]
        assert {c.subject for c in entries} == {URIRef("urn:policykg:node#notice")}   # one entry per process
        assert sorted(str(c.b if kind == "added" else c.a).split("#")[1] for c in entries) == sorted(expected)


def test_text_output_in_french(card_diff, vocabulary):
    text = render(card_diff, "text", "fr", vocabulary)
    assert "Conservation (3)" in text and "Numéro de téléphone" in text
    assert '"P2Y" → "P1Y"' in text
    assert "A «Nous conservons les données personnelles pour une durée minimale de deux ans" in text
    assert f"constats disparus ({len(PLANTED['findings']['disappeared'])})" in text   # counted in planted.yaml


def test_trig_patch_holds_the_removed_and_added_triples(card_diff):
    ds = Dataset()
    ds.parse(data=render(card_diff, "trig"), format="trig")
    base_b = card_diff.b.graph_iri
    removed, added = ds.graph(URIRef(base_b + "#diff-removed")), ds.graph(URIRef(base_b + "#diff-added"))
    kinds = [c.kind for c in card_diff.changes]    # here every change is one triple (no process added)
    assert len(removed) == kinds.count("removed") + kinds.count("changed")
    assert len(added) == kinds.count("added") + kinds.count("changed")
    duration = RDF.value
    assert (URIRef(card_diff.a.graph_iri + "#retention-duration"), duration,
            Literal("P2Y", datatype=ns.XSD.duration)) in removed
    assert (URIRef(base_b + "#retention-duration"), duration, Literal("P1Y", datatype=ns.XSD.duration)) in added


def test_trig_patch_of_two_policies_is_the_set_difference(vocabulary):
    planethoster = DATA / "policies" / "planethoster" / "2015-09-01.yaml"
    a, b = load_side(str(SEED), vocabulary=vocabulary), load_side(str(planethoster), vocabulary=vocabulary)
    result = diff_sides(a, b, vocabulary=vocabulary, validate=False)
    ds = Dataset()
    ds.parse(data=render(result, "trig"), format="trig")
    added = ds.graph(URIRef(b.graph_iri + "#diff-added"))
    label = (URIRef(b.graph_iri + "#hosted-customer-data"), URIRef(str(ns.RDFS) + "label"))
    assert list(added.objects(*label))                     # a process added as a whole: its label too
    assert all(not str(s).startswith("urn:policykg:") for s, _, _ in added)   # B's own IRIs
    assert len(added) == len(set(result.normal_b.facts) - set(result.normal_a.facts))


def test_cli_json_and_out_file(tmp_path):
    out = tmp_path / "diff.json"
    result = runner.invoke(app, ["diff", str(SEED), str(VERSION_CARD), "--format", "json", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == "" and "11 change(s)" in result.stderr
    assert change_set(json.loads(out.read_text(encoding="utf-8"))) == planted_changes()


def test_cli_one_slug_is_previous_against_latest(versions_store):
    result = runner.invoke(app, ["diff", "whiteprovider", "--store", str(versions_store), "--no-findings",
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert (doc["a"]["key"], doc["b"]["key"]) == ("whiteprovider@2024-05-19", "whiteprovider@2025-03-01")
    assert change_set(doc) == planted_changes() and "findings" not in doc


@pytest.mark.parametrize("args, error_id", [
    (["planethoster"], "diff-input"),                      # one version only
    (["whiteprovider@*", "planethoster"], "diff-input"),   # a side is one version
    (["nobody", "planethoster"], "unknown-policy"),
    ([str(SEED)], "diff-input"),                           # one file
    ([str(SEED), str(FIXTURES / "nope.yaml")], "file-not-found"),
    ([str(SEED), str(VERSION_CARD), "--format", "xml"], "usage"),
])
def test_cli_errors_exit_2(versions_store, args, error_id):
    result = runner.invoke(app, ["diff", *args, "--store", str(versions_store), "--no-findings"])
    assert result.exit_code == 2, result.output
    assert f"error[{code_of(error_id)} {error_id}]" in result.output


def test_rdf_file_with_two_policies_is_refused(tmp_path, versions_store):
    from kg.export import FORMATS, export_store
    from kg.stores.oxigraph import open_store
    both = tmp_path / "both.trig"
    both.write_bytes(export_store(open_store(versions_store), FORMATS["trig"], ["whiteprovider@*"], False))
    with pytest.raises(KgError) as exc:
        diff_targets(str(both), str(SEED), validate=False)
    assert exc.value.id == "diff-input"


def test_the_package_keeps_the_names_of_the_module_it_replaced():
    """kg.diff was one module: what the command line, kg.compare, the API, tests and benchmarks import from it
    is still there."""
    import kg
    import kg.diff
    from kg.diff import changes, output, sides
    assert kg.diff_targets is kg.diff.diff_targets is changes.diff_targets
    assert kg.diff.load_side is sides.load_side and kg.diff.previous_and_latest is sides.previous_and_latest
    assert kg.diff.render is output.render and kg.diff.to_dict is output.to_dict and kg.diff.FORMATS == output.FORMATS
    assert kg.diff.Diff is changes.Diff and kg.diff.CATEGORIES is changes.CATEGORIES
    assert kg.diff._WORDS is output._WORDS       # tests/test_messages.py reads it
    assert set(kg.diff.__all__) <= set(dir(kg.diff))
