"""What a store holds: the policy versions, their graphs and counts; selecting policies by slug[@date]."""
from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from . import namespaces as ns
from .errors import UsageError

_LIST = """
PREFIX dpv: <https://w3id.org/dpv#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX oa: <http://www.w3.org/ns/oa#>
SELECT ?g ?notice ?id ?title (COUNT(DISTINCT ?ev) AS ?statements) (COUNT(DISTINCT ?process) AS ?processes) WHERE {
  GRAPH ?g {
    ?notice a dpv:PrivacyNotice .
    OPTIONAL { ?notice dct:identifier ?id }
    OPTIONAL { ?notice dct:title ?title }
    OPTIONAL { ?ev a oa:Annotation }
    OPTIONAL { ?notice dpv:hasProcess ?process }
  }
} GROUP BY ?g ?notice ?id ?title ORDER BY ?g
"""
# Selecting needs only the graphs and identifiers: no counts (which read every triple of every graph).
_GRAPHS = """
PREFIX dpv: <https://w3id.org/dpv#>
PREFIX dct: <http://purl.org/dc/terms/>
SELECT ?g ?id WHERE {
  GRAPH ?g { ?notice a dpv:PrivacyNotice . OPTIONAL { ?notice dct:identifier ?id } }
}
"""
_TRIPLES = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


@dataclass
class PolicyInfo:
    key: str          # slug@version
    slug: str
    version: str
    graph: str
    title: str
    statements: int | None   # None where not counted (select_policies)
    processes: int | None
    triples: int | None


def list_policies(store: ox.Store) -> list[PolicyInfo]:
    triples = {row["g"].value: int(row["n"].value) for row in store.query(_TRIPLES)}
    out = []
    for row in store.query(_LIST):
        graph = row["g"].value
        key = row["id"].value if row["id"] else graph.removeprefix(ns.POLICY_BASE).replace("/", "@", 1)
        slug, _, version = key.partition("@")
        out.append(PolicyInfo(key, slug, version, graph, row["title"].value if row["title"] else "",
                              int(row["statements"].value), int(row["processes"].value), triples.get(graph, 0)))
    return out


def vocabulary_graphs(store: ox.Store) -> list[str]:
    return sorted(g.value for g in store.named_graphs()
                  if isinstance(g, ox.NamedNode) and g.value == ns.VOCAB_GRAPH)


def select_policies(store: ox.Store, selectors: list[str] | None) -> list[PolicyInfo]:
    """Policies matching SLUG or SLUG@DATE selectors (all when none); an unknown one is a usage error.
    Titles and counts are not filled in (list_policies has them)."""
    policies = []
    for row in store.query(_GRAPHS):
        graph = row["g"].value
        key = row["id"].value if row["id"] else graph.removeprefix(ns.POLICY_BASE).replace("/", "@", 1)
        slug, _, version = key.partition("@")
        policies.append(PolicyInfo(key, slug, version, graph, "", None, None, None))
    policies = sorted({p.graph: p for p in policies}.values(), key=lambda p: p.graph)
    if not selectors:
        return policies
    chosen = []
    for sel in selectors:
        slug, _, version = sel.partition("@")
        match = [p for p in policies if p.slug == slug and (not version or p.version == version)]
        if not match:
            known = ", ".join(p.key for p in policies) or "none"
            raise UsageError(f"no policy '{sel}' in the store", None,
                             f"use one of: {known} (SLUG for every version, SLUG@DATE for one)",
                             error_id="unknown-policy")
        chosen += [p for p in match if p not in chosen]
    return chosen
