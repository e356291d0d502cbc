"""The main job: load every policy (cards and RDF files) -> map to RDF -> a new embedded store.

The store is rebuilt beside the old one and swapped in at the end (see stores/oxigraph.py): a build
that fails on any input leaves the previous store exactly as it was. A rebuild does only what changed
(kg.build_manifest): inputs whose bytes and snapshot are unchanged keep their graphs, copied from the
previous generation; the others are loaded again.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path


from . import namespaces as ns
from .errors import EXIT_USAGE, CardError, InputErrors, KgError
from .build_manifest import (Input, Manifest, StoredPolicy, build_key, keep_locations, plan, policy_locations_bytes,
                             read_manifest, sha256_of, write_locations, write_manifest)
from .evidence import unreify
from .files import CARD_SUFFIXES
from .load import load_card
from .load_rdf import load_rdf_policies
from .mapping import graph_iri, policy_nquads
from .parallel import can_fork, closing_batches
from .sources import input_files
from .stores.export_cache import EXPORT_CACHE, keep_lines, stored_lines
from .stores.oxigraph import DEFAULT_STORE, StoreBuilder, clean_stale_generations, current_generation
from .terms import ox_quads

DEFAULT_DATA = Path("data")


@dataclass
class PolicyGraph:
    """One policy version written to the store (its triples go straight to the store, not kept here)."""
    key: str              # slug@version
    graph_iri: str
    triple_count: int
    path: str
    statements: int       # statements with evidence (quotes)
    snapshot: str | None = None   # a card's snapshot file
    snapshot_sha256: str | None = None   # the SHA-256 of the snapshot's bytes as the card was loaded




@dataclass
class BuildResult:
    store: Path
    policies: list[PolicyGraph]
    vocabulary_triples: int
    seconds: dict[str, float] = field(default_factory=dict)
    reloaded: int | None = None   # inputs loaded again by an incremental build (None: a full build)
    unchanged: bool = False       # nothing had changed: the store was left as it was


# Cards are loaded and mapped in worker processes (fork: they share the parent's vocabulary) when there are
# enough of them; each worker returns a card's N-Quads text, which the parent streams, in input order, into
# the store's bulk loader. Memory stays bounded: at most _WINDOW batches are in flight.
_PARALLEL_MIN_CARDS = 64
_BATCH = 16
_WINDOW = 8
_worker_vocabulary = None
_worker_kept: Path | None = None


def _map_cards(paths: list[str]) -> list[tuple | KgError | None]:
    """Worker: load and map each card; a card's error (a KgError) where it fails, None on anything else (the
    parent reloads that card to raise what happened)."""
    out: list[tuple | KgError | None] = []
    for path in paths:
        try:
            out.append(_mapped(load_card(Path(path), vocabulary=_worker_vocabulary), _worker_kept))
        except KgError as exc:
            out.append(exc)
        except BaseException:  # noqa: BLE001 - reported by the parent, with the exact same error
            out.append(None)
    return out


def _is_input_error(exc: BaseException) -> bool:
    """An error of the input itself (exit 2: a card, an RDF file, a path): the build goes on to the other
    inputs and reports them all. Anything else (the store, the environment, Ctrl-C, a bug) stops it at once."""
    return isinstance(exc, KgError) and exc.exit_code == EXIT_USAGE and not isinstance(exc, InputErrors)


def _load_mapped(path: Path, vocabulary, kept: Path | None) -> tuple | KgError:
    try:
        return _mapped(load_card(path, vocabulary=vocabulary), kept)
    except KgError as exc:
        if not _is_input_error(exc):
            raise
        return exc


def _mapped(policy, kept: Path | None) -> tuple:
    """A card's policy as the build needs it; with `kept` (the new generation's export cache), its graph's
    lines are kept there, so that the first export after the build reads none from the store."""
    text, count = policy_nquads(policy)
    iri = str(graph_iri(policy))
    data = text.encode("utf-8")
    if kept is not None:
        lines = stored_lines(data, iri)
        if lines is not None:
            keep_lines(kept, iri, lines, atomic=False)   # the generation is not in use yet
    return (policy.key, iri, count, len(policy.statements), data, policy.source.file,
            policy.source.sha256, policy_locations_bytes(policy, iri))


def _card_results(cards: list[Path], vocabulary, workers: int, kept: Path | None
                  ) -> Iterator[tuple[Path, tuple | KgError]]:
    """(path, (key, graph IRI, triples, statements, N-Quads bytes, snapshot, its SHA-256, card locations)) for
    each card, in order, or (path, the card's error) for a card that cannot be loaded; an error that is not the
    card's own is raised."""
    global _worker_vocabulary, _worker_kept
    if workers > 1 and len(cards) >= _PARALLEL_MIN_CARDS and can_fork():
        _worker_vocabulary, _worker_kept = vocabulary, kept
        batches = [[str(p) for p in cards[i:i + _BATCH]] for i in range(0, len(cards), _BATCH)]
        with closing_batches(_map_cards, batches, workers, _WINDOW) as mapped:   # an error ends the workers
            for index, results in enumerate(mapped):
                for path, result in zip(cards[index * _BATCH:(index + 1) * _BATCH], results):
                    if isinstance(result, KgError) and not _is_input_error(result):
                        raise result
                    yield path, _load_mapped(path, vocabulary, kept) if result is None else result
        return
    for path in cards:
        yield path, _load_mapped(path, vocabulary, kept)


def iter_policy_graphs(paths: Iterable[str | Path], *, vocabulary, progress: Callable[[str], None] | None = None,
                       workers: int | None = None, known: dict[str, str] | None = None
                       ) -> Iterator[tuple[PolicyGraph, bytes | list, bytes | None]]:
    """Load and map every input, in input order: (policy, N-Quads bytes, where its statements are written, for
    kg.build_manifest.write_locations) for a card, (policy, pyoxigraph quads in the store's form, None) for a
    policy of an RDF file. Every input is loaded even when some fail: after
    the last one, the error of the one that failed is raised (with its file:line), or an `InputErrors` that
    holds the error of each one that failed; once one has failed, no policy is yielded any more. `known`
    (graph IRI -> file) are graphs already in the store, which no input may define again."""
    yield from _iter_files(input_files(paths), vocabulary, progress, workers, known)


def _iter_files(files: list[Path], vocabulary, progress: Callable[[str], None] | None, workers: int | None,
                known: dict[str, str] | None, kept: Path | None = None
                ) -> Iterator[tuple[PolicyGraph, bytes | list, bytes | None]]:
    """`iter_policy_graphs` of input files already listed (kg.sources.input_files); with `kept`, each card's
    graph's lines are kept in that export cache (`_mapped`)."""
    workers = workers if workers is not None else (os.cpu_count() or 1)
    cards = [p for p in files if p.suffix.lower() in CARD_SUFFIXES]
    results = _card_results(cards, vocabulary, workers, kept)
    try:
        yield from _in_order(files, results, vocabulary, progress, dict(known or {}))
    finally:
        results.close()   # ends the card workers now, not when a traceback that holds them is freed


def _in_order(files: list[Path], results: Iterator[tuple[Path, tuple | KgError]], vocabulary,
              progress: Callable[[str], None] | None, seen: dict[str, str]
              ) -> Iterator[tuple[PolicyGraph, bytes | list, bytes | None]]:
    errors: list[KgError] = []
    for path in files:
        if progress:
            progress(str(path))
        try:
            if path.suffix.lower() in CARD_SUFFIXES:
                _, result = next(results)
                if isinstance(result, KgError):
                    raise result
                key, iri, count, statements, data, snapshot, snapshot_sha256, locations = result
                loaded = [(PolicyGraph(key, iri, count, str(path), statements, snapshot, snapshot_sha256), data,
                           locations)]
            else:
                loaded = []
                for p in load_rdf_policies(path, vocabulary=vocabulary):
                    quads = unreify(ox_quads(p.graph, p.graph_iri))   # the store holds the evidence's compact form
                    loaded.append((PolicyGraph(p.key, p.graph_iri, len(quads), p.path, p.statement_count), quads,
                                   None))
        except KgError as exc:
            if not _is_input_error(exc):
                raise
            errors.append(exc)
            continue
        for pg, data, locations in loaded:
            if pg.graph_iri in seen:
                errors.append(CardError(f"the policy {pg.key} is defined twice: in {seen[pg.graph_iri]} and in {path}",
                                        str(path), "keep one file per policy version", error_id="duplicate-policy"))
                continue
            seen[pg.graph_iri] = str(path)
            if not errors:   # a failed run writes nothing more: its store is thrown away
                yield pg, data, locations
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise InputErrors(errors, len(files))


def load_policy_graphs(paths: Iterable[str | Path], *, vocabulary,
                       progress: Callable[[str], None] | None = None) -> list[PolicyGraph]:
    """Load and map every input (without a store); raises the error of each input that failed (with its
    file:line; an `InputErrors` when several did)."""
    return [pg for pg, _, _ in iter_policy_graphs(paths, vocabulary=vocabulary, progress=progress)]


def build(paths: Iterable[str | Path] | None = None, *, store: str | Path = DEFAULT_STORE,
          vocab_dir: Path | None = None, progress: Callable[[str], None] | None = None,
          incremental: bool = True) -> BuildResult:
    """Build the embedded store from the policies under `paths` (default: data/). With `incremental` (the
    default), inputs unchanged since the store's last build keep their graphs and only the others are
    loaded again (kg.build_manifest); without it, or when the store was built otherwise, everything is."""
    from .vocab import load_vocabulary

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    vocabulary = load_vocabulary(vocab_dir)
    timings["vocabulary"] = time.perf_counter() - t0

    files = input_files(list(paths or [DEFAULT_DATA]))
    absolute = {path: str(path.resolve()) for path in files}   # resolved once (a path's every folder is read)
    hashes = {path: sha256_of(path) for path in files}
    key = build_key(vocabulary.files)
    previous_generation = current_generation(store) if incremental else None
    previous = read_manifest(previous_generation)
    todo = plan(files, hashes, previous, key, absolute)
    if previous is not None and previous.key == key:
        # a build leaves exactly the inputs' graphs: the graphs no input gave (`policykg reason`'s /inferred
        # ones, written into the store since its build) go, as a full build would not write them
        todo.dropped |= _unaccounted_graphs(previous_generation, previous)
    timings["plan"] = time.perf_counter() - t0 - timings["vocabulary"]
    kept = {entry.path: entry for entry in todo.kept}
    if previous is not None and previous.key == key and todo.nothing_to_do:
        clean_stale_generations(store)
        timings["total"] = time.perf_counter() - t0
        return BuildResult(Path(store), _in_input_order(files, absolute, kept, {}), previous.vocabulary_triples, timings,
                           reloaded=0, unchanged=True)
    copy_of = previous_generation if previous is not None and previous.key == key else None

    # Loading, mapping and writing overlap: cards are mapped (in worker processes) while the store's bulk
    # loader reads their N-Quads, so "load+map" is the time spent waiting for cards beyond the store's own.
    t1 = time.perf_counter()
    loaded: dict[str, list[PolicyGraph]] = {}
    rdf_graphs: list[tuple[list, str]] = []   # (pyoxigraph quads, graph IRI)
    failure: list[BaseException] = []
    waited = [0.0]
    known = {p.graph: entry.path for entry in todo.kept for p in entry.policies}
    absolute_of = {str(path): absolute[path] for path in todo.changed}

    def card_nquads() -> Iterator[bytes]:
        while True:
            t = time.perf_counter()
            try:
                pg, data, locations = next(inputs)
            except StopIteration:
                return
            except BaseException as exc:  # raised after the bulk load returns (not through the Rust loader)
                failure.append(exc)
                return
            finally:
                waited[0] += time.perf_counter() - t
            loaded.setdefault(absolute_of.get(pg.path) or str(Path(pg.path).resolve()), []).append(pg)
            if locations is not None:
                write_locations(builder.generation, pg.graph_iri, locations)
            if isinstance(data, bytes):
                if progress:
                    try:
                        progress(f"store {pg.key}")
                    except BaseException as exc:
                        failure.append(exc)
                        return
                yield data
            else:
                rdf_graphs.append((data, pg.graph_iri))

    builder = StoreBuilder(store, copy_of=copy_of)
    # the cards' graphs' lines go to the new generation's export cache as they are mapped (a failed build
    # removes the generation, and them with it)
    lines_kept = builder.generation / EXPORT_CACHE
    inputs = _iter_files(todo.changed, vocabulary, progress, None, known, lines_kept) if todo.changed else iter(())
    try:
        if copy_of is None:
            # one vocabulary graph, so that hierarchy walks (skos:broader*) cross from extension terms to DPV
            quads, vocab_triples = vocabulary.store_quads()
            builder.add_quads(quads)
        else:
            vocab_triples = previous.vocabulary_triples
            builder.remove_graphs(todo.dropped)
            keep_locations(copy_of, builder.generation, (p.graph for entry in todo.kept for p in entry.policies))
        builder.load_nquads(card_nquads())
        if failure:
            raise failure[0]
        for quads, graph in rdf_graphs:
            if progress:
                progress(f"store {graph}")
            builder.add_quads(quads)
        policies = _in_input_order(files, absolute, kept, loaded)
        inputs_now = {entry.path: entry for entry in todo.kept}
        for path in todo.changed:
            pgs = loaded.get(absolute[path], [])
            first = next((pg for pg in pgs if pg.snapshot), None)
            snapshot = first.snapshot if first else None
            snapshot_sha256 = (first.snapshot_sha256 or sha256_of(snapshot)) if first else None
            inputs_now[absolute[path]] = Input(absolute[path], hashes[path] or "",
                                               [StoredPolicy(pg.key, pg.graph_iri, pg.triple_count, pg.statements)
                                                for pg in pgs], snapshot, snapshot_sha256)
        write_manifest(builder.generation, Manifest(key, inputs_now, vocab_triples))
        builder.commit(optimize=copy_of is None)   # compacting a whole store is a full build's job
    except BaseException:
        builder.abort()
        raise
    finally:
        if hasattr(inputs, "close"):
            inputs.close()
    timings["load+map"] = waited[0]
    timings["store"] = time.perf_counter() - t1 - waited[0]
    timings["total"] = time.perf_counter() - t0
    return BuildResult(Path(store), policies, vocab_triples, timings,
                       reloaded=None if copy_of is None else len(todo.changed))


def _unaccounted_graphs(generation: Path, manifest) -> set[str]:
    """The named graphs of a generation that are neither the vocabulary's nor one an input of its build gave."""
    import pyoxigraph as ox
    known = {p.graph for entry in manifest.inputs.values() for p in entry.policies} | {ns.VOCAB_GRAPH}
    store = ox.Store.read_only(str(generation))
    try:
        return {g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode) and g.value not in known}
    finally:
        del store


def _in_input_order(files: list[Path], absolute: dict[Path, str], kept: dict, loaded: dict) -> list[PolicyGraph]:
    """The policies of the build, in the order of its inputs: kept ones from the manifest, loaded ones as loaded."""
    out = []
    for path in files:
        entry = kept.get(absolute[path])
        if entry is not None:
            out += [PolicyGraph(p.key, p.graph, p.triples, str(path), p.statements, entry.snapshot,
                                entry.snapshot_sha256) for p in entry.policies]
        else:
            out += loaded.get(absolute[path], [])
    return out
