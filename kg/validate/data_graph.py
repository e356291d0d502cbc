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


# vocabulary facts a policy's terms carry into its data graph, besides the WALK hierarchy (not to be confused
# with kg.vocab.FACT_PREDICATES, the predicates the shipped term table keeps)
CARRIED_FACTS = (ns.SW.term_status, PKX.withinLegalTerritory, PKX.outsideLegalTerritory)


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
        for p in CARRIED_FACTS:
            for o in vgraph.objects(term, p):
                yield (term, p, o), None
    for triple in vocabulary_closure(start, edges):
        data.add(triple)
    return data


# The facts a card marks `inferred: true` (evidence oa:motivatedBy pkx:inferring) and no stated evidence
# supports: validation judges what the text states, so they neither satisfy nor trigger a requirement
# (docs/applicability.md). A fact without any evidence (a policy written in RDF) counts as stated.
INFERRED_FACTS = """
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX pkx: <https://w3id.org/policykg/ext#>
SELECT DISTINCT ?s ?p ?o WHERE {
  ?st rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; prov:wasDerivedFrom ?ev .
  ?ev oa:motivatedBy pkx:inferring .
  FILTER NOT EXISTS {
    ?st2 rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; prov:wasDerivedFrom ?ev2 .
    FILTER NOT EXISTS { ?ev2 oa:motivatedBy pkx:inferring }
  }
}
"""


def drop_inferred(data: Graph) -> int:
    """Remove from a data graph the facts only inferred evidence supports; how many were removed."""
    if (None, OA.motivatedBy, PKX.inferring) not in data:
        return 0
    facts = [(row.s, row.p, row.o) for row in data.query(INFERRED_FACTS) if (row.s, row.p, row.o) in data]
    for triple in facts:
        data.remove(triple)
    return len(facts)
