"""Validation runs: one policy graph (`validate_graph`), cards and RDF files (`validate_paths`), the
policies of a store (`validate_store`, in forked workers when there are many).
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph
from rdflib.namespace import RDF, SH

from .. import namespaces as ns
from ..parallel import can_fork, closing_batches


from .data_graph import validation_graph
from .engines import DEFAULT_ENGINE, ENGINES, _WORKSPACES, _engine, _profile_shapes, _shapes_engine, workspace
from .findings import Report, _findings
from .profiles import REASONS, _choose_profiles, applicable_profiles, load_profiles, resolve_profiles

PKS, PKX, OA = ns.PKS, ns.PKX, ns.OA


def validate_graph(policy: Graph | None, policy_key: str, vocabulary, *, profiles: list[str] | str = "auto",
                   engine: str = DEFAULT_ENGINE, shapes_dir: str | None = None,
                   locations: dict | None = None, source: str | None = None,
                   only_shapes: list[str] | None = None, ox_triples: list | None = None,
                   from_store: tuple | None = None) -> Report:
    """Validate one policy graph. `profiles` is 'auto' or a list of profile ids (their imports added);
    `only_shapes` (shape ids) restricts the run to those shapes. `ox_triples`: the same graph as
    pyoxigraph triples, when the caller has them (the oxigraph engine then skips the conversion), or
    `from_store` = (store, graph IRI) where it is; `policy` may then be None: the rdflib graph of what the
    findings describe is built only when there are findings."""
    available = load_profiles(shapes_dir)
    ws = None
    if engine == "oxigraph":
        ws = workspace(vocabulary)
        if from_store is not None:
            ws.load_from(*from_store)
        else:
            ws.load(ox_triples if ox_triples is not None else ws.ox_triples(policy))
    elif engine not in ENGINES:
        _engine(engine)
    if profiles == "auto" or profiles == ["auto"]:
        chosen = _choose_profiles(ws.applies(), vocabulary, available) if ws else \
            applicable_profiles(policy, vocabulary, available)
    else:
        ids = resolve_profiles(list(profiles), available)
        chosen = [(pid, {lang: REASONS[lang]["requested"] if pid in profiles else
                         REASONS[lang]["imported"].format(by=", ".join(profiles)) for lang in REASONS})
                  for pid in ids]
    pids = tuple(pid for pid, _ in chosen)
    shapes, profile_of = _profile_shapes(shapes_dir, pids)
    started = time.perf_counter()
    if ws is not None:
        only = {PKS[sid] for sid in only_shapes} if only_shapes else None
        _conforms, results = _shapes_engine(shapes_dir, pids).validate(ws.store, [ws.graph], only)
    else:
        data = validation_graph(policy, vocabulary)
        extra = {"use_shapes": [str(PKS[sid]) for sid in only_shapes]} if only_shapes else {}
        _conforms, results, _text = _engine(engine)(
            data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True, allow_infos=True,
            **extra)
    seconds = time.perf_counter() - started
    if policy is None:   # given as pyoxigraph triples or in a store only
        policy = ws.policy_graph() if (None, RDF.type, SH.ValidationResult) in results else Graph()
    findings = _findings(results, policy_key, profile_of, shapes, policy, vocabulary, locations)
    return Report(policy_key, chosen, findings, results, engine, seconds, source, shapes_dir)


@dataclass
class ValidationRun:
    reports: list[Report] = field(default_factory=list)

    def conforms(self, fail_on: str = "violation") -> bool:
        return all(r.conforms(fail_on) for r in self.reports)


def validate_paths(paths: list[str | Path], *, profiles: list[str] | str = "auto", engine: str = DEFAULT_ENGINE,
                   vocab_dir: Path | None = None, shapes_dir: str | None = None) -> ValidationRun:
    """Validate cards and RDF files (each policy on its own), without touching the store."""
    from ..sources import file_sources, input_files
    from ..vocab import load_vocabulary

    vocabulary = load_vocabulary(vocab_dir)
    run = ValidationRun()
    for path in input_files(paths):
        for source in file_sources(path, vocabulary):
            run.reports.append(validate_graph(source.graph, source.key, vocabulary, profiles=profiles, engine=engine,
                                              shapes_dir=shapes_dir, locations=source.locations or None,
                                              source=str(path)))
    return run


def validate_store(store, selectors: list[str] | None, *, profiles: list[str] | str = "auto",
                   engine: str = DEFAULT_ENGINE, vocab_dir: Path | None = None,
                   shapes_dir: str | None = None, workers: int | None = None) -> ValidationRun:
    """Validate policies already in the store (by SLUG or SLUG@DATE), one report per policy, in the order
    of the store's inventory. `store` is an open store or the path of one; given a path, many policies are
    validated by `workers` forked processes (default: one per core), each reading the store on its own."""
    from ..inventory import select_policies
    from ..stores.oxigraph import open_store
    from ..vocab import load_vocabulary

    store_path = None
    if isinstance(store, (str, Path)):
        store_path, store = Path(store), open_store(store)
    vocabulary = load_vocabulary(vocab_dir)
    items = [(info.key, info.graph) for info in select_policies(store, selectors)]
    options = {"profiles": profiles, "engine": engine, "shapes_dir": shapes_dir}
    workers = workers if workers is not None else (os.cpu_count() or 1)
    run = ValidationRun()
    if store_path is not None and workers > 1 and len(items) >= _PARALLEL_MIN_POLICIES and can_fork():
        global _worker_job
        _worker_job = (store_path, vocabulary, options)
        batches = [items[i:i + _POLICY_BATCH] for i in range(0, len(items), _POLICY_BATCH)]
        with closing_batches(_validate_batch, batches, workers, initializer=_WORKSPACES.clear) as validated:
            for batch, reports in zip(batches, validated):
                for item, report in zip(batch, reports):
                    # a policy that failed in a worker is validated here again, to raise its error as it is
                    run.reports.append(report or _validate_stored(store, *item, vocabulary, **options))
        return run
    for key, graph in items:
        run.reports.append(_validate_stored(store, key, graph, vocabulary, **options))
    return run


# Whole-store validation in forked workers: each opens the store read-only itself and validates a batch of
# policies; reports (findings and the sh:ValidationReport graph) come back pickled, in order.
_PARALLEL_MIN_POLICIES = 32
_POLICY_BATCH = 8
_worker_job: tuple | None = None
_worker_store = None


def _validate_batch(items: list[tuple[str, str]]) -> list[Report | None]:
    global _worker_store
    store_path, vocabulary, options = _worker_job
    out: list[Report | None] = []
    for key, graph in items:
        try:
            if _worker_store is None:
                from ..stores.oxigraph import open_store
                _worker_store = open_store(store_path)
            out.append(_validate_stored(_worker_store, key, graph, vocabulary, **options))
        except BaseException:  # noqa: BLE001 - the parent validates it again and raises the error itself
            out.append(None)
    return out


def _validate_stored(store, key: str, graph: str, vocabulary, *, profiles, engine, shapes_dir) -> Report:
    if engine == "oxigraph":   # straight from store to store; the rdflib graph only if there are findings
        return validate_graph(None, key, vocabulary, profiles=profiles, engine=engine, shapes_dir=shapes_dir,
                              source=graph, from_store=(store, graph))
    import pyoxigraph as ox

    from ..terms import rdflib_graph
    g = rdflib_graph(store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))
    return validate_graph(g, key, vocabulary, profiles=profiles, engine=engine, shapes_dir=shapes_dir, source=graph)
