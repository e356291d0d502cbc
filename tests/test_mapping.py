"""kg.mapping: the RDF contract of a policy graph (docs/mapping.md)."""
from __future__ import annotations


from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF

from kg import namespaces as ns
from kg.load import load_card
from kg.mapping import graph_iri, policy_graph, to_dataset

from .conftest import DATA, FIXTURES

DPV, OA = ns.DPV, ns.OA


def test_notice_controller_processes(vocabulary):
    policy = load_card(FIXTURES / "policies" / "minimal.yaml", vocabulary=vocabulary)
    g = policy_graph(policy)
    base = str(graph_iri(policy))
    assert base == "https://w3id.org/policykg/policy/example/2024-01-31"
    notice, controller, process = URIRef(base + "#notice"), URIRef(base + "#example"), URIRef(base + "#newsletter")
    assert (notice, RDF.type, DPV.PrivacyNotice) in g
    assert (notice, DCTERMS.source, URIRef("https://example.org/confidentialite")) in g
    assert (notice, DCTERMS.modified, Literal("2024-01-31", datatype=ns.XSD.date)) in g
    assert (notice, DPV.hasDataController, controller) in g
    assert (controller, DPV.hasName, Literal("Example SAS")) in g
    assert (notice, DPV.hasProcess, process) in g and (process, RDF.type, DPV.Process) in g
    assert (process, DPV.hasPurpose, DPV.DirectMarketing) in g
    retention = URIRef(base + "#newsletter-retention")
    assert (process, DPV.hasStorageCondition, retention) in g and (retention, RDF.type, DPV.StorageDuration) in g


def test_every_fact_is_reified_with_evidence(vocabulary):
    policy = load_card(FIXTURES / "policies" / "minimal.yaml", vocabulary=vocabulary)
    g = policy_graph(policy)
    facts = [(f.subject, f.predicate) for f in policy.facts()]
    reified = list(g.subjects(RDF.type, RDF.Statement))
    assert len(reified) == len(facts)
    for st in reified:
        triple = (g.value(st, RDF.subject), g.value(st, RDF.predicate), g.value(st, RDF.object))
        assert triple in g
        ev = g.value(st, PROV.wasDerivedFrom)
        assert (ev, RDF.type, OA.Annotation) in g and (ev, OA.hasBody, st) in g
    inferred = URIRef(str(graph_iri(policy)) + "#ev-E06")
    assert (inferred, OA.motivatedBy, ns.PKX.inferring) in g
    assert (URIRef(str(graph_iri(policy)) + "#ev-E03"), OA.motivatedBy, OA.describing) in g


def _quotes(g):
    from kg.evidence import parse_char_target
    for target in set(g.objects(None, OA.hasTarget)):
        source, start, end = parse_char_target(str(target))
        yield start, end, str(g.value(target, OA.exact)), URIRef(source)


def test_seed_quotes_match_snapshots_at_their_offsets(seed_policies):
    """Every quote of both seeds, read back from the graph, is the snapshot's text at its span, and the span
    is of the snapshot the notice is derived from."""
    checked = 0
    for policy in seed_policies.values():
        g = policy_graph(policy)
        snapshot = (DATA / "sources" / policy.source.snapshot).read_text(encoding="utf-8")
        for start, end, exact, source in _quotes(g):
            assert snapshot[start:end] == exact
            assert (None, PROV.wasDerivedFrom, source) in g
            checked += 1
    assert checked >= 124


def test_stored_form_quotes_facts_as_triple_terms(vocabulary):
    """The store's form (policy_terms): no rdf:Statement, each fact a triple term of its annotation, which
    targets its span; the RDF 1.1 form is that graph with each triple term reified, and back."""
    import pyoxigraph as ox

    from kg.evidence import reify, unreify
    from kg.mapping import TripleTerm, ox_term, policy_terms
    policy = load_card(FIXTURES / "policies" / "minimal.yaml", vocabulary=vocabulary)
    terms = policy_terms(policy)
    assert not any(o == str(RDF.Statement) for _, _, o in terms)
    bodies = [(s, o) for s, p, o in terms if p == str(OA.hasBody)]
    assert bodies and all(type(o) is TripleTerm and (o.subject, o.predicate, o.object) in terms for _, o in bodies)
    assert len({o for _, o in bodies}) == len({(f.subject, f.predicate, str(f.object)) for f in policy.facts()})
    stored = [ox.Triple(*(ox_term(t) for t in triple)) for triple in terms]
    assert sorted(map(str, unreify(reify(stored)))) == sorted(map(str, stored))
    assert len(reify(stored)) == len(stored) + 5 * len(bodies)


def test_snapshot_checksum_in_graph(seed_policies):
    import hashlib
    for policy in seed_policies.values():
        g = policy_graph(policy)
        digest = hashlib.sha256((DATA / "sources" / policy.source.snapshot).read_bytes()).hexdigest()
        assert (None, ns.SPDX.checksumValue, Literal(digest, datatype=ns.XSD.hexBinary)) in g


def test_same_card_same_graph(vocabulary):
    """IRIs depend only on the card: two loads give byte-identical sorted N-Quads."""
    card = FIXTURES / "policies" / "minimal.yaml"

    def nquads():
        ds = to_dataset([load_card(card, vocabulary=vocabulary)])
        return sorted(ds.serialize(format="nquads").splitlines())
    assert nquads() == nquads()


def test_no_blank_nodes_in_seed_graphs(seed_policies):
    from rdflib import BNode
    for policy in seed_policies.values():
        assert not any(isinstance(t, BNode) for triple in policy_graph(policy) for t in triple)


def test_within_nests_a_process_under_its_parent(seed_policies):
    """PlanetHoster's per-category processes are within `customer-information` (P31's purposes), and still
    under the policy-wide process; the disclosures are not within it."""
    g = policy_graph(seed_policies["planethoster"])
    base = str(graph_iri(seed_policies["planethoster"]))
    group, contact = URIRef(base + "#customer-information"), URIRef(base + "#contact-data")
    assert (group, DPV.hasProcess, contact) in g
    assert (URIRef(base + "#all-processing"), DPV.hasProcess, contact) in g
    assert (group, DPV.hasProcess, URIRef(base + "#disclosure-required-by-law")) not in g
