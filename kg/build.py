"""The main job: load every policy (cards and RDF files) -> map to RDF -> a new embedded store.

The store is rebuilt beside the old one and swapped in at the end (see stores/oxigraph.py): a build
that fails on any input leaves the previous store exactly as it was.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path


from . import namespaces as ns
from .errors import CardError, InputNotFoundError
from .load import find_cards, load_card
from .load_rdf import RDF_SUFFIXES, load_rdf_policies
from .mapping import graph_iri, policy_triples
from .stores.oxigraph import DEFAULT_STORE, StoreBuilder

DEFAULT_DATA = Path("data")


@dataclass
class PolicyGraph:
    """One policy version ready for the store."""
    key: str              # slug@version
    graph_iri: str
    triples: list[tuple]   # rdflib terms
    path: str
    statements: int       # statements with evidence (quotes)

    @property
    def triple_count(self) -> int:
        return len(self.triples)


@dataclass
class BuildResult:
    store: Path
    policies: list[PolicyGraph]
    vocabulary_triples: int
    seconds: dict[str, float] = field(default_factory=dict)


def input_files(paths: Iterable[str | Path]) -> list[Path]:
    """Cards (.yaml) and RDF files under the given files or folders, sorted, without duplicates."""
    paths = list(paths)
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputNotFoundError(f"no such file or folder: {path}", str(path),
                                     "check the path (policies live under data/policies/)")
        if path.is_dir():
            out += find_cards(path)
            out += sorted(p for p in path.rglob("*") if p.suffix.lower() in RDF_SUFFIXES and "sources" not in p.parts)
        else:
            out.append(path)
    seen, unique = set(), []
    for p in out:
        if p.resolve() not in seen:
            seen.add(p.resolve())
            unique.append(p)
    if not unique:   # a build of nothing would replace the store with an empty one
        given = ", ".join(str(p) for p in paths)
        raise CardError(f"no card (.yaml) or RDF file under {given}", given,
                        "give the folder that holds the cards (e.g. data/policies); snapshots under sources/ "
                        "are not policies", error_id="no-policy")
    return unique


def load_policy_graphs(paths: Iterable[str | Path], *, vocabulary,
                       progress: Callable[[str], None] | None = None) -> list[PolicyGraph]:
    """Load and map every input; raises the first input's error (with its file:line)."""
    graphs: list[PolicyGraph] = []
    seen: dict[str, str] = {}
    for path in input_files(paths):
        if progress:
            progress(str(path))
        if path.suffix.lower() in (".yaml", ".yml"):
            policy = load_card(path, vocabulary=vocabulary)
            loaded = [PolicyGraph(policy.key, str(graph_iri(policy)), policy_triples(policy), str(path),
                                  len(policy.statements))]
        else:
            loaded = [PolicyGraph(p.key, p.graph_iri, list(p.graph), p.path, p.statement_count)
                      for p in load_rdf_policies(path, vocabulary=vocabulary)]
        for pg in loaded:
            if pg.graph_iri in seen:
                raise CardError(f"the policy {pg.key} is defined twice: in {seen[pg.graph_iri]} and in {path}",
                                str(path), "keep one file per policy version", error_id="duplicate-policy")
            seen[pg.graph_iri] = str(path)
            graphs.append(pg)
    return graphs


def build(paths: Iterable[str | Path] | None = None, *, store: str | Path = DEFAULT_STORE,
          vocab_dir: Path | None = None, progress: Callable[[str], None] | None = None) -> BuildResult:
    """Build the embedded store from the policies under `paths` (default: data/)."""
    from .vocab import load_vocabulary

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    vocabulary = load_vocabulary(vocab_dir)
    timings["vocabulary"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    policies = load_policy_graphs(list(paths or [DEFAULT_DATA]), vocabulary=vocabulary, progress=progress)
    timings["load+map"] = time.perf_counter() - t1

    t2 = time.perf_counter()
    builder = StoreBuilder(store)
    try:
        # one vocabulary graph, so that hierarchy walks (skos:broader*) cross from extension terms to DPV
        vocab_triples = sum(builder.add_triples(g, ns.VOCAB_GRAPH) for _, g in sorted(vocabulary.graphs().items()))
        for pg in policies:
            if progress:
                progress(f"store {pg.key}")
            builder.add_triples(pg.triples, pg.graph_iri)
        builder.commit()
    except BaseException:
        builder.abort()
        raise
    timings["store"] = time.perf_counter() - t2
    timings["total"] = time.perf_counter() - t0
    return BuildResult(Path(store), policies, vocab_triples, timings)

