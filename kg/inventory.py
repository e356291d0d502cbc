"""What a store holds: the policy versions, their graphs and counts; selecting policies by SLUG (the latest
version), SLUG@DATE (one version) or SLUG@* (every version)."""
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


ALL_VERSIONS = "*"   # SLUG@* selects every version of a policy


def latest_versions(policies: list[PolicyInfo]) -> set[str]:
    """The keys (slug@version) of each policy's latest version (versions are ISO dates, so they sort)."""
    latest: dict[str, PolicyInfo] = {}
    for p in policies:
        if p.slug not in latest or p.version > latest[p.slug].version:
            latest[p.slug] = p
    return {p.key for p in latest.values()}


def select_policies(store: ox.Store, selectors: list[str] | None) -> list[PolicyInfo]:
    """Policies matching the selectors: SLUG (its latest version), SLUG@DATE (that version) or SLUG@*
    (every version); every version of every policy when there is no selector. An unknown one is a
    usage error that lists what the store holds. Titles and counts are not filled in (list_policies has them)."""
    policies = []
    for row in store.query(_GRAPHS):
        graph = row["g"].value
        key = row["id"].value if row["id"] else graph.removeprefix(ns.POLICY_BASE).replace("/", "@", 1)
        slug, _, version = key.partition("@")
        policies.append(PolicyInfo(key, slug, version, graph, "", None, None, None))
    policies = sorted({p.graph: p for p in policies}.values(), key=lambda p: p.graph)
    if not selectors:
        return policies
    latest = latest_versions(policies)
    chosen = []
    for sel in selectors:
        slug, at, version = sel.partition("@")
        if at and not version:
            raise UsageError(f"'{sel}' names no version", None,
                             f"write {slug}@DATE for one version, {slug}@* for every version, or {slug} "
                             "for the latest", error_id="unknown-policy")
        match = [p for p in policies if p.slug == slug and (
            p.version == version if version and version != ALL_VERSIONS else
            version == ALL_VERSIONS or p.key in latest)]
        if not match:
            known = ", ".join(p.key for p in policies) or "none"
            raise UsageError(f"no policy '{sel}' in the store", None,
                             f"use one of: {known} (SLUG for the latest version, SLUG@DATE for one, "
                             "SLUG@* for every version)", error_id="unknown-policy")
        chosen += [p for p in match if p not in chosen]
    return chosen
