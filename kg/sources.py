"""Targets -> policy sources: the one place that turns what a user names on the command line into policy
graphs, for build, validate, diff, compare, reason and export.

A target is a card (`.yaml`), an RDF file (`.ttl`, `.trig`, `.nq`, `.nt`, `.jsonld`, `.json`), a folder
(every card and RDF file under it, snapshots under `sources/` excepted), or a policy of the store: `SLUG`
(its latest version), `SLUG@DATE`, `SLUG@*` (every version).

    split_targets(targets)            -> (file targets, store selectors)
    input_files(paths)                -> the cards and RDF files under files and folders (policy_files)
    file_sources(path, vocabulary)    -> the policies of one card or RDF file
    stored_sources(store, selectors)  -> the policies of the store that selectors name
    resolve(targets, ...)             -> every policy the targets name, in order

A PolicySource holds the policy's named graph as an rdflib Graph and, for a card, where each statement is
written (file:line), so that findings and differences can point at the card line.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, URIRef

from .errors import CardError, InputNotFoundError, Location
from .files import CARD_SUFFIXES



@dataclass
class PolicySource:
    """One policy version, read from a card, an RDF file or the store."""
    key: str                          # slug@version
    origin: str                       # the file, or the store selector that named it
    graph_iri: str
    graph: Graph
    locations: dict[tuple, Location] = field(default_factory=dict)   # card lines (cards only)
    model: object | None = None       # the card's kg.model.Policy (cards only)

    @property
    def from_card(self) -> bool:
        return self.model is not None


def rdf_suffixes() -> tuple[str, ...]:
    from .load_rdf import RDF_SUFFIXES
    return tuple(RDF_SUFFIXES)


def is_file_target(target: str | Path) -> bool:
    """A file (or a folder) on disk, or a name with a card or RDF extension (missing: an error to report),
    rather than a policy of the store."""
    path = Path(target)
    return path.exists() or path.suffix.lower() in (*CARD_SUFFIXES, *rdf_suffixes())


def split_targets(targets: Iterable[str]) -> tuple[list[str], list[str]]:
    """(file and folder targets, store selectors), each in the order given."""
    targets = list(targets)
    files = [t for t in targets if is_file_target(t)]
    return files, [t for t in targets if t not in files]


def input_files(paths: Iterable[str | Path]) -> list[Path]:
    """Cards and RDF files under the given files or folders, sorted within each folder, without duplicates."""
    paths = list(paths)
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputNotFoundError(f"no such file or folder: {path}", str(path),
                                     "check the path (policies live under data/policies/)")
        out += policy_files(path) if path.is_dir() else [path]
    seen, unique = set(), []
    for p in out:
        resolved = p.resolve()
        if resolved not in seen:
            seen.add(resolved)
            unique.append(p)
    if not unique:   # a build of nothing would replace the store with an empty one
        given = ", ".join(str(p) for p in paths)
        raise CardError(f"no card (.yaml) or RDF file under {given}", given,
                        "give the folder that holds the cards (e.g. data/policies); snapshots under sources/ "
                        "are not policies", error_id="no-policy")
    return unique


def policy_files(folder: Path) -> list[Path]:
    """The cards (.yaml, then .yml) and RDF files under a folder, each kind sorted, snapshots (`sources/`) left
    out."""
    from .files import files_under
    return files_under(folder, *((suffix,) for suffix in CARD_SUFFIXES), rdf_suffixes())


def file_sources(path: str | Path, vocabulary) -> list[PolicySource]:
    """The policies of one card (one) or RDF file (one per named graph with a notice)."""
    from .load_rdf import load_rdf_policies

    path = Path(path)
    if path.suffix.lower() in CARD_SUFFIXES:
        return [card_source(path, vocabulary)]
    return [PolicySource(rp.key, str(path), rp.graph_iri, rp.graph) for rp in load_rdf_policies(path, vocabulary=vocabulary)]


def card_source(path: str | Path, vocabulary) -> PolicySource:
    from .load import load_card
    from .mapping import graph_iri, policy_graph

    model = load_card(path, vocabulary=vocabulary)
    iri = str(graph_iri(model))
    return PolicySource(model.key, str(path), iri, policy_graph(model), card_locations(model, iri), model)


def stored_sources(store, selectors: list[str] | None) -> list[PolicySource]:
    """The policies of an open embedded store that the selectors name (all when None), in inventory order."""
    import pyoxigraph as ox

    from .inventory import select_policies
    from .terms import rdflib_graph
    return [PolicySource(info.key, info.key, info.graph,
                         rdflib_graph(store.quads_for_pattern(None, None, None, ox.NamedNode(info.graph))))
            for info in select_policies(store, selectors)]


def resolve(targets: Iterable[str], *, vocabulary, store=None, store_path: str | Path | None = None) -> Iterator[PolicySource]:
    """Every policy the targets name: files and folders in the order given, then the store's policies. The
    store (open, or opened from `store_path`) is only touched when a target names a policy of it."""
    files, selectors = split_targets(targets)
    for path in input_files(files) if files else []:
        yield from file_sources(path, vocabulary)
    if selectors:
        if store is None:
            from .stores.oxigraph import DEFAULT_STORE, open_store
            store = open_store(store_path or DEFAULT_STORE)
        yield from stored_sources(store, selectors)


def card_locations(policy_model, graph_iri: str) -> dict[tuple, Location]:
    """(subject, predicate, object) -> card Location, for findings on cards; (s, p, None) and
    (s, None, None) point to the first statement that says something of s (with p)."""
    from .mapping import _literal  # the same literal conversion as the mapping
    from .model import Lit, NodeRef, Term

    def node(local):
        return URIRef(f"{graph_iri}#{local}")
    out: dict[tuple, Location] = {}
    for process in policy_model.processes:
        if process.where:
            out.setdefault((node(process.id), None, None), process.where)
    for st in policy_model.statements:
        for fact in st.facts:
            obj = fact.object
            o = URIRef(obj.iri) if isinstance(obj, Term) else node(obj.id) if isinstance(obj, NodeRef) else \
                _literal(obj) if isinstance(obj, Lit) else None
            s, p = node(fact.subject), URIRef(fact.predicate)
            out.setdefault((s, p, o), fact.where)
            out.setdefault((s, p, None), fact.where)
            out.setdefault((s, None, None), st.where)
    return out
