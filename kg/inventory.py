"""What a store holds: the policy versions, their graphs and counts; selecting policies by SLUG (the latest
version), SLUG@DATE (one version) or SLUG@* (every version).

The store is a PolicyStore (kg.stores.base: the embedded store or a SPARQL endpoint, read by SPARQL through
its `select`) or an open pyoxigraph Store; `select_policies` and `vocabulary_graphs` work on both kinds and
on a remote store alike."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from . import namespaces as ns
from .errors import UsageError, WriteError
from .files import write_atomic

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


def _rows(store, text: str) -> list[dict]:
    """The rows of a SELECT as {variable: term} (unbound ones left out), on a PolicyStore or a pyoxigraph Store."""
    if isinstance(store, ox.Store):
        result = store.query(text)
        names = [v.value for v in result.variables]
        return [{n: s[n] for n in names if s[n] is not None} for s in result]
    answer = store.select(text)
    return [{n: t for n, t in zip(answer.columns, row) if t is not None} for row in answer.rows]


def _key(store, row: dict) -> tuple[str, str]:
    """(slug@version, graph IRI) of an inventory row; a graph that is not an IRI is the store's bad answer."""
    graph = row.get("g")
    if not isinstance(graph, ox.NamedNode):
        raise store.bad_answer(f"a policy graph ?g is {'unbound' if graph is None else repr(graph.value)}, "
                               "not an IRI")
    ident = row.get("id")
    key = ident.value if ident is not None else graph.value.removeprefix(ns.POLICY_BASE).replace("/", "@", 1)
    return key, graph.value


def list_policies(store) -> list[PolicyInfo]:
    triples = {row["g"].value: int(row["n"].value) for row in _rows(store, _TRIPLES)}
    out = []
    for row in _rows(store, _LIST):
        key, graph = _key(store, row)
        slug, _, version = key.partition("@")
        out.append(PolicyInfo(key, slug, version, graph, row["title"].value if "title" in row else "",
                              int(row["statements"].value), int(row["processes"].value), triples.get(graph, 0)))
    return out


def vocabulary_graphs(store) -> list[str]:
    if isinstance(store, ox.Store):
        return sorted(g.value for g in store.named_graphs()
                      if isinstance(g, ox.NamedNode) and g.value == ns.VOCAB_GRAPH)
    return [ns.VOCAB_GRAPH] if store.contains_named_graph(ox.NamedNode(ns.VOCAB_GRAPH)) else []


def stored_versions(store) -> list[PolicyInfo]:
    """Every policy version of the store (graph IRI, slug, version; no title, no counts), by graph IRI. The
    embedded store keeps the list in the generation it opened (kg.stores.oxigraph.VERSIONS_FILE; only
    `policykg reason` writes into a generation after its build, and opening it for writing drops the list):
    at 10k policies the query takes 0.4-0.5 s, and seconds on a store not yet in the page cache."""
    from .stores.oxigraph import VERSIONS_FILE, generation_file
    kept = generation_file(store, VERSIONS_FILE)
    rows = _read_versions(kept) if kept is not None else None
    if rows is None:
        rows = [_key(store, row) for row in _rows(store, _GRAPHS)]
        if kept is not None:
            _keep_versions(kept, rows)
    policies = []
    for key, graph in rows:
        slug, _, version = key.partition("@")
        policies.append(PolicyInfo(key, slug, version, graph, "", None, None, None))
    return sorted({p.graph: p for p in policies}.values(), key=lambda p: p.graph)


def _read_versions(path: Path) -> list[tuple[str, str]] | None:
    """The kept (key, graph) pairs, or None when missing, unreadable or another generation's (a copy)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["generation"] != path.parent.name:
            return None
        rows = [(key, graph) for key, graph in data["versions"]]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        return None
    return rows if all(isinstance(k, str) and isinstance(g, str) for k, g in rows) else None


def _keep_versions(path: Path, rows: list[tuple[str, str]]) -> None:
    """Best effort: a read-only or full disk only costs the next listing its time."""
    data = json.dumps({"generation": path.parent.name, "versions": rows}, ensure_ascii=False)
    try:
        write_atomic(data.encode("utf-8"), path)
    except WriteError:
        pass


ALL_VERSIONS = "*"   # SLUG@* selects every version of a policy


def latest_versions(policies: list[PolicyInfo]) -> set[str]:
    """The keys (slug@version) of each policy's latest version (versions are ISO dates, so they sort)."""
    latest: dict[str, PolicyInfo] = {}
    for p in policies:
        if p.slug not in latest or p.version > latest[p.slug].version:
            latest[p.slug] = p
    return {p.key for p in latest.values()}


def select_policies(store, selectors: list[str] | None) -> list[PolicyInfo]:
    """Policies matching the selectors: SLUG (its latest version), SLUG@DATE (that version) or SLUG@*
    (every version); every version of every policy when there is no selector. An unknown one is a
    usage error that lists what the store holds. Titles and counts are not filled in (list_policies has them)."""
    policies = stored_versions(store) if isinstance(store, ox.Store) else store.policies()
    if not selectors:
        return policies
    latest = latest_versions(policies)
    by_slug: dict[str, list[PolicyInfo]] = {}   # a store of 10k policies named one by one: no scan per name
    for p in policies:
        by_slug.setdefault(p.slug, []).append(p)
    chosen: dict[str, PolicyInfo] = {}
    for sel in selectors:
        slug, at, version = sel.partition("@")
        if at and not version:
            raise UsageError(f"'{sel}' names no version", None,
                             f"write {slug}@DATE for one version, {slug}@* for every version, or {slug} "
                             "for the latest", error_id="unknown-policy")
        match = [p for p in by_slug.get(slug, ()) if (
            p.version == version if version and version != ALL_VERSIONS else
            version == ALL_VERSIONS or p.key in latest)]
        if not match:
            known = ", ".join(p.key for p in policies) or "none"
            remote = getattr(store, "kind", None) == "sparql"
            raise UsageError(f"no policy '{sel}' " + (f"on {store}" if remote else "in the store"),
                             str(store) if remote else None,
                             f"use one of: {known} (SLUG for the latest version, SLUG@DATE for one, "
                             "SLUG@* for every version)", error_id="unknown-policy")
        for p in match:
            chosen.setdefault(p.graph, p)   # each policy graph once, in the order first named
    return list(chosen.values())
