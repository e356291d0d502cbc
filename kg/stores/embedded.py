"""The embedded store (pyoxigraph on disk) behind the store interface (kg.stores.base): SELECT with
pyoxigraph substitutions, and every other read by pyoxigraph's own calls, the fastest way to each."""
from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from ..errors import UsageError
from .base import PolicyStore, Solutions
from .ordering import order_rows, split_order
from .oxigraph import DEFAULT_STORE, open_generation


class EmbeddedStore(PolicyStore):
    """The embedded store: parameters are bound with pyoxigraph substitutions (never put into the text)."""

    kind = "embedded"

    def __init__(self, path: str | Path = DEFAULT_STORE, store: ox.Store | None = None):
        self.path = Path(path)
        self.generation: Path | None = None   # the generation folder opened (None: a Store given)
        if store is None:
            store, self.generation = open_generation(self.path)
        self.store = store

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

    def policy_graph_iri(self, selector: str) -> str:
        """The graph of SLUG@DATE, or of SLUG's latest version."""
        from ..inventory import select_policies
        chosen = select_policies(self, [selector])
        if len(chosen) > 1:
            raise UsageError(f"'{selector}' names {len(chosen)} versions; a query's policy is one graph", None,
                             f"use {chosen[0].slug}@DATE for one version, or {chosen[0].slug} for the latest",
                             error_id="unknown-policy")
        return chosen[0].graph

    # the reads of the interface, by pyoxigraph itself

    def graph_names(self) -> list[str]:
        """Every named graph of the store (policy, inferred and vocabulary graphs), sorted."""
        return sorted(g.value for g in self.store.named_graphs() if isinstance(g, ox.NamedNode))

    def graph_triples(self, graph: str) -> list:
        """The triples of one named graph (for `push`)."""
        return [q.triple for q in self.store.quads_for_pattern(None, None, None, ox.NamedNode(graph))]

    def quads_for_pattern(self, subject=None, predicate=None, object=None, graph_name=None):
        return self.store.quads_for_pattern(subject, predicate, object, graph_name)

    def dump(self, output=None, format=None, *, from_graph=None):
        return self.store.dump(output, format, from_graph=from_graph)

    def contains_named_graph(self, graph_name) -> bool:
        name = graph_name if isinstance(graph_name, ox.NamedNode) else ox.NamedNode(str(graph_name))
        return self.store.contains_named_graph(name)

    def push_selection(self, selectors: list[str] | None) -> list[str]:
        """The graphs `push` uploads: the vocabulary graph, then the chosen policy versions' graphs."""
        from ..inventory import select_policies, vocabulary_graphs
        return vocabulary_graphs(self) + [p.graph for p in select_policies(self, selectors)]
