"""The data graph of one validation: the policy's own graph plus the part of the vocabulary its terms
reach (their rdf:type / skos:broader / rdfs:subClassOf closure, sunset status and legal territories).
DPV types its concepts inconsistently, so shapes walk `(rdf:type|skos:broader|rdfs:subClassOf)*` (see
../shared/research/dpv-modelling.md §5), and pySHACL never sees the 22k-triple vocabulary whole.
"""
from __future__ import annotations


from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from .. import namespaces as ns

PKS, PKX, OA = ns.PKS, ns.PKX, ns.OA
WALK = (RDF.type, SKOS.broader, RDFS.subClassOf)


# vocabulary facts a policy's terms carry into its data graph, besides the WALK hierarchy
FACT_PREDICATES = (ns.SW.term_status, PKX.withinLegalTerritory, PKX.outsideLegalTerritory)


def vocabulary_closure(start, edges) -> list:
    """What the vocabulary terms `start` reach: every item of `edges(term)` = (item, next term or None),
    for the terms reached from `start` through the next terms (each term visited once). Shared by the
    rdflib data graph (validation_graph) and the oxigraph engine's Workspace."""
    todo, seen, out = set(start), set(), []
    while todo:
        term = todo.pop()
        if term in seen:
            continue
        seen.add(term)
        for item, following in edges(term):
            out.append(item)
            if following is not None:
                todo.add(following)
    return out


def validation_graph(policy: Graph, vocabulary) -> Graph:
    """The policy graph plus the vocabulary facts its terms reach (hierarchy, status, territories)."""
    vgraph = vocabulary.graph
    data = Graph()
    for prefix, iri in ns.PREFIXES.items():
        data.bind(prefix, iri)
    for triple in policy:
        data.add(triple)
    vocab_ns = tuple(ns.PREFIXES[p] for p in ns.VOCAB_PREFIXES)
    start = {o for _, _, o in policy if isinstance(o, URIRef) and str(o).startswith(vocab_ns)}
    start |= {p for _, p, _ in policy if str(p).startswith(vocab_ns)}

    def edges(term):
        for p in WALK:
            for o in vgraph.objects(term, p):
                yield (term, p, o), (o if isinstance(o, URIRef) else None)
        for p in FACT_PREDICATES:
            for o in vgraph.objects(term, p):
                yield (term, p, o), None
    for triple in vocabulary_closure(start, edges):
        data.add(triple)
    return data
