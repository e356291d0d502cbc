"""docs/card.md's worked examples are the card tests/fixtures/worked/policies/2024-03-01.yaml: each YAML
snippet is one of its statements, and each Turtle block holds exactly the triples that statement gives."""
from __future__ import annotations

import re

import yaml
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

from kg import namespaces as ns
from kg.load import load_card
from kg.mapping import _literal, graph_iri
from kg.model import NodeRef, Term

from .conftest import FIXTURES, ROOT

CARD = FIXTURES / "worked" / "policies" / "2024-03-01.yaml"


def _section() -> str:
    text = (ROOT / "docs" / "card.md").read_text(encoding="utf-8")
    return text.split("## Worked examples", 1)[1].split("\n## ", 1)[0]


def _statement_graph(statement, iri: str) -> Graph:
    g = Graph()
    for fact in statement.facts:
        o = fact.object
        o = URIRef(o.iri) if isinstance(o, Term) else URIRef(f"{iri}#{o.id}") if isinstance(o, NodeRef) else _literal(o)
        g.add((URIRef(f"{iri}#{fact.subject}"), URIRef(fact.predicate), o))
    return g


def test_worked_examples_show_the_card_and_what_it_gives(vocabulary):
    policy = load_card(CARD, vocabulary=vocabulary)
    iri = str(graph_iri(policy))
    card = yaml.safe_load(CARD.read_text(encoding="utf-8"))
    raw = {st["id"]: st for part in (card["policy"], card["controller"], *card["processes"]) for st in part["statements"]}
    section = _section()
    snippets = re.findall(r"```yaml\n(.*?)```", section, flags=re.S)
    turtles = re.findall(r"```turtle\n(.*?)```", section, flags=re.S)
    assert len(snippets) == len(turtles) == 3
    prefixes = "".join(f"@prefix {p}: <{i}> .\n" for p, i in ns.PREFIXES.items()) + f"@prefix ex: <{iri}#> .\n"
    by_id = {st.id: st for st in policy.statements}
    for snippet, turtle in zip(snippets, turtles):
        [shown] = yaml.safe_load(snippet)
        assert shown == raw[shown["id"]], shown["id"]
        expected = Graph().parse(data=prefixes + turtle, format="turtle")
        assert isomorphic(expected, _statement_graph(by_id[shown["id"]], iri)), shown["id"]


def test_the_worked_card_conforms_on_what_it_shows(vocabulary):
    """The transfer has its mechanism, the processor is named and located, the DPO has a contact, the
    retention is bounded: none of the shapes about them fires."""
    from kg.validate import validate_paths
    report = validate_paths([CARD], profiles=["gdpr"]).reports[0]
    about = {"gdpr-44-transfer-mechanism", "gdpr-13-1-e-recipient-categories", "gdpr-13-1-f-recipient-location",
             "gdpr-13-1-f-transfers-stated", "gdpr-13-1-b-dpo", "gdpr-13-1-b-dpo-contact", "gdpr-13-2-a-retention-stated",
             "gdpr-13-2-a-retention-minimum", "gdpr-13-2-a-retention-indeterminate"}
    assert not [f.shape for f in report.findings if f.shape in about]
