"""Map a `Policy` to RDF: one named graph per policy version, DPV 2.3 terms, quotes as Web Annotations.

The contract (docs/mapping.md):
- graph `<BASE>policy/<slug>/<version>`; nodes `<graph>#<local id>`;
- `<graph>#notice a dpv:PrivacyNotice` with dct:title, dct:language, dct:source, dates,
  dpv:hasDataController the controller, dpv:hasProcess every process;
- every triple a statement asserts is also an `rdf:Statement` node (`<graph>#st-<id>-<n>`) that
  `prov:wasDerivedFrom` the statement's `oa:Annotation` (`<graph>#ev-<id>`), whose target selects the
  quote in the source snapshot (TextQuoteSelector + TextPositionSelector);
- IRIs depend only on the card, so the same card always gives the same graph.
"""
from __future__ import annotations

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, XSD

from . import namespaces as ns
from .model import Lit, NodeRef, Policy, Term

DPV, OA, PKX, SPDX = ns.DPV, ns.OA, ns.PKX, ns.SPDX


def graph_iri(policy: Policy) -> URIRef:
    return URIRef(ns.policy_graph_iri(policy.slug, policy.version))


def _literal(lit: Lit) -> Literal:
    if lit.lang:
        return Literal(lit.value, lang=lit.lang)
    if lit.datatype:
        return Literal(lit.value, datatype=URIRef(lit.datatype))
    return Literal(lit.value)


def policy_graph(policy: Policy, graph: Graph | None = None) -> Graph:
    """The triples of one policy version as an rdflib Graph (into `graph` if given)."""
    g = graph if graph is not None else Graph(identifier=graph_iri(policy))
    for triple in policy_triples(policy):
        g.add(triple)
    return g


class _Triples(list):
    """A list of triples with Graph's `add` spelling, so the mapping reads like rdflib code."""
    add = list.append


def policy_triples(policy: Policy) -> list[tuple]:
    """The triples of one policy version, without duplicates, in a stable order."""
    g_iri = graph_iri(policy)
    g = _Triples()

    def node(local_id: str) -> URIRef:
        return URIRef(f"{g_iri}#{local_id}")

    def obj(value):
        if isinstance(value, Term):
            return URIRef(value.iri)
        if isinstance(value, NodeRef):
            return node(value.id)
        return _literal(value)

    notice, controller = node(Policy.NOTICE_ID), node(policy.controller_id)
    source = URIRef(ns.source_iri(policy.slug, policy.version))

    # The notice and its structure.
    g.add((notice, RDF.type, DPV.PrivacyNotice))
    g.add((notice, DCTERMS.title, Literal(policy.title, lang=policy.language)))
    g.add((notice, DCTERMS.language, Literal(policy.language, datatype=XSD.language)))
    g.add((notice, DCTERMS.identifier, Literal(policy.key)))
    g.add((notice, DCTERMS.isVersionOf, URIRef(ns.POLICY_BASE + policy.slug)))
    g.add((notice, DCTERMS.source, URIRef(policy.source.url) if policy.source.url else source))
    g.add((notice, PROV.wasDerivedFrom, source))
    for key, value in sorted(policy.dates.items()):
        g.add((notice, DCTERMS[key], _literal(value)))
    g.add((notice, DPV.hasDataController, controller))
    g.add((controller, RDF.type, DPV.DataController))
    parents = [p for p in policy.processes if p.policy_scope]
    for process in policy.processes:
        p = node(process.id)
        g.add((notice, DPV.hasProcess, p))
        g.add((p, RDF.type, DPV.Process))
        for lang, text in sorted(process.label.items()):
            g.add((p, RDFS.label, Literal(text, lang=lang)))
        for lang, text in sorted(process.description.items()):
            g.add((p, DCTERMS.description, Literal(text, lang=lang)))
        for parent in parents:
            if parent is not process:
                g.add((node(parent.id), DPV.hasProcess, p))
        if process.within:  # nesting: the parent's context (purposes, bases, …) is shared with this one
            g.add((node(process.within), DPV.hasProcess, p))

    # The snapshot every quote points into.
    g.add((source, RDF.type, PROV.Entity))
    g.add((source, DCTERMS.format, Literal("text/plain; charset=utf-8")))
    g.add((source, DCTERMS.language, Literal(policy.language, datatype=XSD.language)))
    g.add((source, DCTERMS.identifier, Literal(policy.source.snapshot)))
    if policy.source.url:
        g.add((source, PROV.hadPrimarySource, URIRef(policy.source.url)))
    if policy.source.retrieved:
        g.add((source, PROV.generatedAtTime, Literal(policy.source.retrieved, datatype=XSD.date)))
    checksum = URIRef(f"{source}#sha256")
    g.add((source, SPDX.checksum, checksum))
    g.add((checksum, RDF.type, SPDX.Checksum))
    g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
    g.add((checksum, SPDX.checksumValue, Literal(policy.source.sha256, datatype=XSD.hexBinary)))

    # Statements: the facts, and for each fact a reified statement pointing to its evidence.
    for st in policy.statements:
        ev = node(f"ev-{st.id}")
        target, quote_sel, pos_sel = node(f"ev-{st.id}-target"), node(f"ev-{st.id}-quote"), node(f"ev-{st.id}-position")
        g.add((ev, RDF.type, OA.Annotation))
        g.add((ev, DCTERMS.identifier, Literal(st.id)))
        g.add((ev, OA.motivatedBy, PKX.inferring if st.evidence.inferred else OA.describing))
        g.add((ev, OA.hasTarget, target))
        if st.evidence.note:
            g.add((ev, RDFS.comment, Literal(st.evidence.note)))
        g.add((target, RDF.type, OA.SpecificResource))
        g.add((target, OA.hasSource, source))
        g.add((target, OA.hasSelector, quote_sel))
        g.add((target, OA.hasSelector, pos_sel))
        g.add((quote_sel, RDF.type, OA.TextQuoteSelector))
        g.add((quote_sel, OA.exact, Literal(st.evidence.exact)))
        g.add((quote_sel, OA.prefix, Literal(st.evidence.prefix)))
        g.add((quote_sel, OA.suffix, Literal(st.evidence.suffix)))
        g.add((pos_sel, RDF.type, OA.TextPositionSelector))
        g.add((pos_sel, OA.start, Literal(st.evidence.start, datatype=XSD.nonNegativeInteger)))
        g.add((pos_sel, OA.end, Literal(st.evidence.end, datatype=XSD.nonNegativeInteger)))
        for n, fact in enumerate(st.facts, start=1):
            s, p, o = node(fact.subject), URIRef(fact.predicate), obj(fact.object)
            g.add((s, p, o))
            reified = node(f"st-{st.id}-{n}")
            g.add((reified, RDF.type, RDF.Statement))
            g.add((reified, RDF.subject, s))
            g.add((reified, RDF.predicate, p))
            g.add((reified, RDF.object, o))
            g.add((reified, PROV.wasDerivedFrom, ev))
            g.add((ev, OA.hasBody, reified))
    return list(dict.fromkeys(g))


def to_dataset(policies: list[Policy], vocabulary=None) -> Dataset:
    """All policies as one Dataset, one named graph each; plus the vocabulary graphs if given."""
    ds = Dataset()
    for prefix, iri in ns.PREFIXES.items():
        ds.bind(prefix, iri, override=True, replace=True)
    for policy in policies:
        policy_graph(policy, ds.graph(graph_iri(policy)))
    if vocabulary is not None:
        for iri, vgraph in vocabulary.graphs().items():
            target = ds.graph(URIRef(iri))
            for triple in vgraph:
                target.add(triple)
    return ds
