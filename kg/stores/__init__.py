"""Stores, chosen by location: a path is the embedded store (pyoxigraph on disk), an http(s) URL a SPARQL
1.1 endpoint. Both are a PolicyStore (kg.stores.base): SELECT with bound values, the inventory of policy
versions, the triples of one graph, so that query, export, diff and validate run the same way on either.

A new backend is a module with a PolicyStore subclass (`select`, `policy_graph_iri`) and one entry in BACKENDS.
"""
from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from .base import PolicyStore, Solutions
from .embedded import EmbeddedStore
from .oxigraph import DEFAULT_STORE
from .sparql import SparqlEndpoint

BACKENDS = {
    "embedded": EmbeddedStore,
    "sparql": SparqlEndpoint,
}


def is_endpoint(location: str | Path | None) -> bool:
    return isinstance(location, str) and location.startswith(("http://", "https://"))


def open_backend(location: str | Path | None = None, **options) -> PolicyStore:
    """The store at `location`: an http(s) URL -> SparqlEndpoint(**options), else the embedded store."""
    if is_endpoint(location):
        return BACKENDS["sparql"](str(location), **options)
    return BACKENDS["embedded"](location or DEFAULT_STORE)


def as_store(store: PolicyStore | ox.Store | str | Path | None) -> PolicyStore:
    """A PolicyStore for what the library's callers pass as a store: a PolicyStore as it is, an open
    pyoxigraph Store (the embedded store, opened by the caller), or a location (open_backend)."""
    if isinstance(store, PolicyStore):
        return store
    if isinstance(store, ox.Store):
        return EmbeddedStore("(open store)", store=store)
    return open_backend(store)


__all__ = ["BACKENDS", "DEFAULT_STORE", "EmbeddedStore", "PolicyStore", "Solutions", "SparqlEndpoint",
           "as_store", "is_endpoint", "open_backend"]
