"""`push`: filling a SPARQL server from the embedded store, one named graph at a time, each replaced whole
by the Graph Store Protocol (HTTP PUT `<graph store>?graph=<iri>`, N-Triples), so pushing twice gives the
same graphs, not duplicates. A push that stops after some graphs went says which were replaced and which
were not (`push-incomplete`); running it again is safe.

`push --prune` then removes (Graph Store Protocol DELETE) the server's graphs that policykg writes (policy
and vocabulary graphs, by their IRIs) and the embedded store no longer holds, so that the server mirrors
the store; graphs outside policykg's IRIs are never touched."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

import pyoxigraph as ox

from .. import namespaces as ns
from .sparql_http import EndpointError


class PushIncompleteError(EndpointError):
    """A push that stopped after some graphs were replaced: it says which went, which did not."""
    id = "push-incomplete"


class GraphStore(Protocol):
    """What a push writes to (kg.stores.sparql.SparqlEndpoint)."""

    def put_graph(self, graph: str, ntriples: bytes) -> int: ...

    def delete_graph(self, graph: str) -> int: ...

    def select(self, text: str, bindings: dict | None = None): ...

    def prepare_graph(self, graph: str, triples: list) -> list:
        """The triples to send for a graph (in the server's dialect; optional)."""


@dataclass
class PushedGraph:
    graph: str
    triples: int
    seconds: float


def push_graphs(endpoint: GraphStore, graphs: Iterable[tuple[str, list]],
                progress: Callable[[str, int], None] | None = None,
                names: list[str] | None = None) -> list[PushedGraph]:
    """PUT each (graph IRI, pyoxigraph triples) to the endpoint's graph store; `progress(graph, triples)`
    is called after each one. A failure after some graphs went is a PushIncompleteError that lists the
    graphs replaced and those not (`names`: every graph of the push, for that list)."""
    out = []
    for graph, triples in graphs:
        start = time.perf_counter()
        try:
            sent = endpoint.prepare_graph(graph, triples) if hasattr(endpoint, "prepare_graph") else triples
            data = ox.serialize(sent, format=ox.RdfFormat.N_TRIPLES) if sent else b""
            endpoint.put_graph(graph, data)
        except EndpointError as exc:
            if not out:
                raise   # nothing changed on the server: the plain error says it all
            raise _incomplete(exc, graph, out, names) from None
        out.append(PushedGraph(graph, len(triples), time.perf_counter() - start))
        if progress:
            progress(graph, len(triples))
    return out


def _incomplete(exc: EndpointError, graph: str, done: list[PushedGraph], names: list[str] | None) -> PushIncompleteError:
    went = [p.graph for p in done]
    left = [g for g in (names or []) if g not in went and g != graph] if names else []
    total = f" of {len(names)}" if names else ""
    return PushIncompleteError(
        f"the push stopped at graph {len(went) + 1}{total} ({graph}): {exc.what}",
        exc.where,
        f"replaced on the server: {', '.join(went)}; not pushed: {', '.join([graph] + left)}. "
        "Fix the cause, then run the same push again: it is safe, each graph is replaced whole (PUT), "
        "never duplicated")


# The server's graphs in policykg's IRIs: its policy graphs (and their /inferred graphs) and vocabulary graphs.
# Not `GRAPH ?g { }`, which would not read the triples: Virtuoso answers it with one row, ?g unbound.
SERVER_GRAPHS = """SELECT DISTINCT ?g WHERE {
  GRAPH ?g { ?s ?p ?o }
  FILTER (isIRI(?g) && (STRSTARTS(STR(?g), ?policyBase) || STR(?g) = ?vocab || STRSTARTS(STR(?g), ?vocabBase)))
} ORDER BY ?g"""


def stale_graphs(endpoint: GraphStore, keep: Iterable[str]) -> list[str]:
    """The server's graphs in policykg's IRIs that are not in `keep` (the embedded store's graphs), sorted."""
    answer = endpoint.select(SERVER_GRAPHS, {"policyBase": ox.Literal(ns.POLICY_BASE),
                                             "vocab": ox.Literal(ns.VOCAB_GRAPH),
                                             "vocabBase": ox.Literal(ns.VOCAB_GRAPH_BASE)})
    kept = set(keep)
    found = [row[0].value for row in answer.rows if isinstance(row[0], ox.NamedNode)]
    return [g for g in found if g not in kept]


def prune_graphs(endpoint: GraphStore, keep: Iterable[str],
                 progress: Callable[[str], None] | None = None) -> list[str]:
    """Remove the server's graphs in policykg's IRIs that are not in `keep`; the graphs removed. A failure
    after some went is a PushIncompleteError that lists those removed and those left."""
    stale = stale_graphs(endpoint, keep)
    removed: list[str] = []
    for graph in stale:
        try:
            endpoint.delete_graph(graph)
        except EndpointError as exc:
            if not removed:
                raise
            left = [g for g in stale if g not in removed]
            raise PushIncompleteError(
                f"the prune stopped at graph {len(removed) + 1} of {len(stale)} ({graph}): {exc.what}", exc.where,
                f"removed from the server: {', '.join(removed)}; not removed: {', '.join(left)}. Fix the cause, "
                "then run the same push --prune again: it is safe") from None
        removed.append(graph)
        if progress:
            progress(graph)
    return removed
