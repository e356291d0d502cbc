"""Stores, chosen by location: a path is the embedded store (pyoxigraph on disk), an http(s) URL a SPARQL
1.1 endpoint. Both answer `select(text, bindings) -> Solutions` and `policy_graph(selector) -> graph IRI`,
so the query library runs the same way on either.

A new backend is a module and one entry in BACKENDS.
"""
from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from ..errors import UsageError
from .ordering import order_rows, split_order
from .oxigraph import DEFAULT_STORE, open_store
from .sparql import Solutions, SparqlEndpoint


class EmbeddedStore:
    """The embedded store: parameters are bound with pyoxigraph substitutions (never put into the text)."""

    kind = "embedded"

    def __init__(self, path: str | Path = DEFAULT_STORE, store: ox.Store | None = None):
        self.path = Path(path)
        self.store = store if store is not None else open_store(self.path)

    def __str__(self) -> str:
        return str(self.path)

    def select(self, text: str, bindings: dict[str, object] | None = None) -> Solutions:
        subs = {ox.Variable(name): term for name, term in (bindings or {}).items()}
        plan = split_order(text)
        if plan is not None:   # sorted here rather than by the store, when that gives the same order
            body, keys, offset, limit = plan
            columns, rows = self._run(body, subs)
            ordered = order_rows(rows, columns, keys)
            if ordered is not None:
                return Solutions(columns, ordered[offset:None if limit is None else offset + limit], text)
        columns, rows = self._run(text, subs)
        return Solutions(columns, rows, text)

    def _run(self, text: str, subs: dict) -> tuple[list[str], list[tuple]]:
        result = self.store.query(text, substitutions=subs) if subs else self.store.query(text)
        if not isinstance(result, ox.QuerySolutions):
            raise UsageError("only SELECT queries can be run", None, "write the query as a SELECT",
                             error_id="invalid-query")
        columns = [v.value for v in result.variables]
        n = len(columns)
        return columns, [tuple(solution[i] for i in range(n)) for solution in result]

    def policy_graph(self, selector: str) -> str:
        """The graph of SLUG@DATE, or of SLUG's latest version."""
        from ..inventory import select_policies
        chosen = select_policies(self.store, [selector])
        if len(chosen) > 1:
            raise UsageError(f"'{selector}' names {len(chosen)} versions; a query's policy is one graph", None,
                             f"use {chosen[0].slug}@DATE for one version, or {chosen[0].slug} for the latest",
                             error_id="unknown-policy")
        return chosen[0].graph

    def graph_triples(self, graph: str) -> list:
        """The triples of one named graph (for `push`)."""
        return [q.triple for q in self.store.quads_for_pattern(None, None, None, ox.NamedNode(graph))]

    def push_selection(self, selectors: list[str] | None) -> list[str]:
        """The graphs `push` uploads: the vocabulary graph, then the chosen policy versions' graphs."""
        from ..inventory import select_policies, vocabulary_graphs
        return vocabulary_graphs(self.store) + [p.graph for p in select_policies(self.store, selectors)]


BACKENDS = {
    "embedded": EmbeddedStore,
    "sparql": SparqlEndpoint,
}


def is_endpoint(location: str | Path | None) -> bool:
    return isinstance(location, str) and location.startswith(("http://", "https://"))


def open_backend(location: str | Path | None = None, **options):
    """The store at `location`: an http(s) URL -> SparqlEndpoint(**options), else the embedded store."""
    if is_endpoint(location):
        return BACKENDS["sparql"](str(location), **options)
    return BACKENDS["embedded"](location or DEFAULT_STORE)


__all__ = ["BACKENDS", "EmbeddedStore", "Solutions", "SparqlEndpoint", "is_endpoint", "open_backend"]
