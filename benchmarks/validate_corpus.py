"""Benchmark 2: validation speed and agreement on a synthetic corpus, per SHACL engine (run by hand).

    python benchmarks/validate_corpus.py --n 10000 [--scratch /tmp/policykg-bench] [--single 50] [--sample 20]
        [--limit N] [--engines oxigraph,pyshacl-turbo,pyshacl] [--out FRAGMENT.md] [--corpus DIR --store DIR]

1. The corpus: benchmarks/generate.py's N policies and a store of them, in --scratch (corpus-<N>,
   store-<N>/store: made once and shared with the other benchmarks, benchmarks/common.py), or the
   given --corpus and --store.
2. One new policy: `validate_graph` on --single cards' graphs (profiles `auto`), after one warm-up
   validation per engine: median and p95 latency. Targets: oxigraph <= 10 ms median (issue 7), <= 15 ms
   (issue 18).
3. Whole store: `validate_store` on every policy of the store, by one worker process per core as the CLI
   does (oxigraph; the slower engines on --sample policies only, and oxigraph on --limit policies if given;
   said in the table): policies/s, the first time (the store's report cache emptied first) and again, when
   nothing changed (every report from the cache, kg.validate.cache).
   Targets: >= 500 policies/s at 10k (issue 7); >= 100 policies/s the first time and >= 2,000 policies/s
   when nothing changed (issue 18).
4. Planted defects (manifest.json, category validation): each engine must report the planted shape on
   the planted focus node (recall, target 100 %), and report exactly pySHACL's findings on those
   policies (shape, focus, value, severity, message). oxigraph runs on every planted policy; the slower
   engines on --agree-max of them (every kind represented: pySHACL takes ~10 s a policy).

Prints a table; with --out, writes it there as the section of RESULTS.md (benchmarks/run_all.py collects it).
"""
from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.inventory import select_policies  # noqa: E402
from kg.load import load_card  # noqa: E402
from kg.mapping import policy_graph  # noqa: E402
from kg.stores.oxigraph import open_store  # noqa: E402
from kg.validate import ENGINES, REFERENCE_ENGINE, validate_graph, validate_store  # noqa: E402
from kg.vocab import load_vocabulary  # noqa: E402

SECTION = "## 2. Validate"


def corpus_and_store(n: int, scratch: Path, folder: Path | None, store_dir: Path | None):
    """(corpus folder, its manifest, store path): the shared ones of benchmarks/common.py unless given."""
    from benchmarks.common import corpus, store
    from benchmarks.generate import Manifest
    folder = folder or corpus(n, scratch)
    store_dir = store_dir or store(n, scratch)
    return folder, Manifest.read(folder / "manifest.json"), store_dir


def comparable(report) -> set:
    return {(f.shape, f.focus, f.value, f.severity, tuple(sorted(f.message.items()))) for f in report.findings}


def _rate(per_s: float) -> str:
    """Policies a second, as a reader writes them: 3,340 rather than 3.34e+03, 0.115 rather than 0.1."""
    return f"{per_s:,.0f}" if per_s >= 100 else f"{per_s:.3g}"


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * len(values)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--single", type=int, default=50, help="policies timed one by one")
    parser.add_argument("--slow-single", type=int, default=None,
                        help="policies timed one by one with pySHACL, the reference (default: --single)")
    parser.add_argument("--sample", type=int, default=20, help="policies for the whole-store run of slow engines")
    parser.add_argument("--limit", type=int, help="validate only this many store policies with oxigraph too")
    parser.add_argument("--store", type=Path, help="an existing store of the corpus (default: built in the corpus)")
    parser.add_argument("--agree-max", type=int, default=60, help="planted policies the engines other than "
                        "oxigraph are run on (every kind represented; oxigraph runs on all of them)")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/policykg-bench"))
    parser.add_argument("--out", type=Path, help="write the section (Markdown) to this file")
    args = parser.parse_args()
    load_at_start = os.getloadavg()[0]
    engines = args.engines.split(",")
    folder, manifest, store_dir = corpus_and_store(args.n, args.scratch, args.corpus, args.store)
    vocabulary = load_vocabulary()
    store = open_store(store_dir)
    everything = select_policies(store, None)
    rng = random.Random(0)
    cards = {d.key: folder / d.card for d in manifest.validation_defects}
    all_cards = sorted((folder / "policies").rglob("*.yaml"))
    single = [load_card(c, vocabulary=vocabulary) for c in rng.sample(all_cards, min(args.single, len(all_cards)))]
    single = [(m.key, policy_graph(m)) for m in single]
    # 1. one new policy
    latency = {}
    for engine in engines:
        validate_graph(single[0][1], single[0][0], vocabulary, engine=engine)   # warm-up
        times = []
        timed = single[:args.slow_single] if engine == REFERENCE_ENGINE and args.slow_single else single
        for key, graph in timed:
            t = time.perf_counter()
            validate_graph(graph, key, vocabulary, engine=engine)
            times.append((time.perf_counter() - t) * 1000)
        latency[engine] = (statistics.median(times), percentile(times, 0.95))
        print(f"{engine}: one policy median {latency[engine][0]:.1f} ms, p95 {latency[engine][1]:.1f} ms")
    # 2. whole store
    throughput, again = {}, {}
    for engine in engines:
        size = (args.limit or len(everything)) if engine == "oxigraph" else args.sample
        chosen = everything if size >= len(everything) else rng.sample(everything, size)
        # the first validation of these policies: no report kept from an earlier run
        shutil.rmtree(Path(f"{store_dir}.reports"), ignore_errors=True)
        for rounds, into in ((1, throughput), (2, again)):
            t = time.perf_counter()
            # given the store's path, as `policykg validate SLUG...` does: one worker process per core
            run = validate_store(store_dir, [p.key for p in chosen], engine=engine, workers=os.cpu_count())
            seconds = time.perf_counter() - t
            into[engine] = (len(run.reports) / seconds, len(run.reports))
            print(f"{engine}: {len(run.reports)} store policies in {seconds:.1f} s = {into[engine][0]:.3g} "
                  f"policies/s ({'first' if rounds == 1 else 'again, nothing changed'})")
    # 3. planted defects: recall and agreement with pySHACL
    defect_models = {}
    for defect in manifest.validation_defects:
        model = load_card(cards[defect.key], vocabulary=vocabulary)
        defect_models[defect.key] = (defect, policy_graph(model))
    # the slow engines on a sample of at most --agree-max planted policies, every kind represented
    by_kind_keys: dict[str, list[str]] = {}
    for key, (defect, _) in sorted(defect_models.items()):
        by_kind_keys.setdefault(defect.kind, []).append(key)
    for keys in by_kind_keys.values():
        rng.shuffle(keys)
    sample, i = [], 0
    while len(sample) < min(args.agree_max, len(defect_models)):
        sample += [keys[i] for keys in by_kind_keys.values() if i < len(keys)][:args.agree_max - len(sample)]
        i += 1
    planted = {e: (list(defect_models) if e == "oxigraph" else sample) for e in engines}
    found = {e: {} for e in engines}
    for engine in engines:
        for key in planted[engine]:
            found[engine][key] = validate_graph(defect_models[key][1], key, vocabulary, engine=engine)
    recall, same = {}, {}
    by_kind: dict[str, list[int]] = {}
    for engine in engines:
        hits = 0
        for key in planted[engine]:
            defect = defect_models[key][0]
            hit = any(f.shape == defect.shape and f.focus == defect.focus for f in found[engine][key].findings)
            hits += hit
            if engine == engines[0]:
                by_kind.setdefault(defect.kind, [0, 0])
                by_kind[defect.kind][0] += hit
                by_kind[defect.kind][1] += 1
        recall[engine] = (hits, len(planted[engine]))
        if REFERENCE_ENGINE in found:
            keys = planted[REFERENCE_ENGINE]
            same[engine] = (sum(comparable(found[engine][k]) == comparable(found[REFERENCE_ENGINE][k])
                                for k in keys), len(keys))
    # the table
    lines = [SECTION, "",
             f"`python benchmarks/validate_corpus.py --n {args.n}` ({manifest.cards} loadable policies, "
             f"{len(defect_models)} with a planted validation defect; oxigraph runs on all of them, the other "
             f"engines on {len(sample)} covering every kind, and agreement with pySHACL is counted on those), "
             f"{platform.python_implementation()} "
             f"{platform.python_version()}, {os.cpu_count()} cores, load average {load_at_start:.1f} at start. "
             "Targets: one new policy <= 10 ms median (issue 7), <= 15 ms (issue 18); whole store >= 500 "
             "policies/s at 10k (issue 7), >= 100 policies/s the first time and >= 2,000 policies/s when nothing "
             "changed (issue 18: the reports kept by the first run); findings identical to pySHACL; recall of "
             "planted defects 100 %.", "",
             f"| engine | one policy median (ms) | p95 (ms) | whole store, first (policies/s, {os.cpu_count()} workers) "
             "| again, nothing changed (policies/s) | planted defects found | same findings as pySHACL | targets |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for engine in engines:
        med, p95 = latency[engine]
        per_s, count = throughput[engine]
        sample = "" if count == len(everything) else f" ({count}-policy sample of {len(everything)})"
        hits, total = recall[engine]
        agree = f"{same[engine][0]}/{same[engine][1]}" if engine in same else "n/a"
        cached = again[engine][0]
        verdict = ", ".join([f"10 ms {'met' if med <= 10 else '**missed**'}",
                             f"15 ms {'met' if med <= 15 else '**missed**'}",
                             f"500/s {'met' if per_s >= 500 else '**missed**'}",
                             f"100/s first {'met' if per_s >= 100 else '**missed**'}",
                             f"2,000/s again {'met' if cached >= 2000 else '**missed**'}",
                             f"recall {'met' if hits == total else '**missed**'}"]
                            + ([f"identical {'met' if same[engine][0] == same[engine][1] else '**missed**'}"]
                               if engine in same else []))
        lines.append(f"| {engine} | {med:.1f} | {p95:.1f} | {_rate(per_s)}{sample} | {_rate(cached)} | {hits}/{total} | {agree} "
                     f"| {verdict} |")
    lines += ["", "Why a target is missed (profiled): docs/decisions/0004-oxigraph-shacl-engine.md.",
              "", "Recall by planted defect kind: " + ", ".join(
        f"{kind} {hit}/{total}" for kind, (hit, total) in sorted(by_kind.items())) + ".", ""]
    table = "\n".join(lines)
    print()
    print(table)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(table.rstrip() + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
