"""Benchmark 1, build: synthetic cards -> the embedded store, against the raw Oxigraph bulk load of the same
quads and against a naive rdflib pipeline (run by hand; prints a table).

    python benchmarks/bench_build.py --sizes 1000,10000 [--naive-max 1000] [--scratch DIR] [--out FILE.md]

Each measured step runs in its own Python process (peak RSS is that process's, plus the largest worker's):
- policykg: `kg.build.build` of the corpus's cards (+ the two seeds) into scratch/store-N (kept for the
  query and export benchmarks);
- rebuild: `kg.build.build` again into that store, once with nothing changed and once after one card (the
  middle one) was edited (a comment appended: other bytes, the same graph), then the card restored; the
  incremental build (kg.build_manifest) loads only what changed;
- raw: `pyoxigraph.Store.bulk_load` of the very same quads as one N-Quads file (dumped from that store,
  not timed) into a new store: the practical limit of the store;
- naive: what a user would write with rdflib: each card loaded (kg.load_card: the same YAML parser and
  checks) and mapped into one rdflib Dataset (Graph.add per triple), serialised as N-Quads, and loaded
  into Oxigraph with `Store.load` (the ordinary transactional load). rdflib has no RDF 1.2 triple terms, so
  it writes the RDF 1.1 form of the evidence (each quoted fact an rdf:Statement): more quads for the same
  policies, as a user of rdflib would have.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import (DEFAULT_SCRATCH, SEEDS, Measure, corpus, machine, machine_line,  # noqa: E402
                               run_child, table, target, write_fragment)

SCRIPT = Path(__file__).resolve()


def child(args: list[str]) -> dict:
    step, n, scratch = args[0], int(args[1]), Path(args[2])
    import pyoxigraph as ox
    from kg.vocab import load_vocabulary
    load_vocabulary()  # not timed: loaded once per process by every command
    cards = corpus(n, scratch) / "policies"
    if step == "policykg":
        from kg.build import build
        folder = scratch / f"store-{n}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        with Measure() as m:
            result = build([SEEDS, cards], store=folder / "store")
        (folder / "done").write_text("ok\n")
        quads = sum(p.triple_count for p in result.policies) + result.vocabulary_triples
        return {**m.result, "policies": len(result.policies), "quads": quads, "phases": result.seconds}
    if step == "rebuild":
        from kg.build import build
        from kg.sources import input_files
        store = scratch / f"store-{n}" / "store"
        with Measure() as m:
            unchanged = build([SEEDS, cards], store=store)
        nothing = {**m.result, "unchanged": unchanged.unchanged}
        files = input_files([cards])
        card = files[len(files) // 2]
        original = card.read_bytes()
        try:
            card.write_bytes(original + b"\n# edited by benchmarks/bench_build.py\n")
            with Measure() as m:
                result = build([SEEDS, cards], store=store)
        finally:
            card.write_bytes(original)
        build([SEEDS, cards], store=store)   # back to the corpus as generated (one card again)
        return {"nothing_changed": nothing, "one_changed": {**m.result, "reloaded": result.reloaded}}
    if step == "raw":
        nq = scratch / f"raw-{n}.nq"
        target_store = scratch / f"raw-{n}"
        shutil.rmtree(target_store, ignore_errors=True)
        with Measure() as m:
            store = ox.Store(str(target_store))
            store.bulk_load(path=str(nq), format=ox.RdfFormat.N_QUADS)
            store.flush()
            store.optimize()
            quads = len(store)
            del store
        shutil.rmtree(target_store, ignore_errors=True)
        return {**m.result, "quads": quads}
    if step == "naive":
        from rdflib import Dataset
        from kg import namespaces as ns
        from kg.sources import input_files
        from kg.load import load_card
        from kg.mapping import graph_iri, policy_triples
        vocabulary = load_vocabulary()
        target_store = scratch / f"naive-{n}"
        shutil.rmtree(target_store, ignore_errors=True)
        with Measure() as m:
            ds = Dataset()
            vocab_graph = ds.graph(ns.VOCAB_GRAPH)
            for g in vocabulary.graphs().values():
                for triple in g:
                    vocab_graph.add(triple)
            for path in input_files([SEEDS, cards]):
                policy = load_card(path, vocabulary=vocabulary)
                graph = ds.graph(graph_iri(policy))
                for triple in policy_triples(policy):
                    graph.add(triple)
            data = ds.serialize(format="nquads", encoding="utf-8")
            store = ox.Store(str(target_store))
            store.load(data, format=ox.RdfFormat.N_QUADS)  # the ordinary (transactional) load
            store.flush()
            quads = len(store)
            del store
        shutil.rmtree(target_store, ignore_errors=True)
        return {**m.result, "quads": quads}
    raise SystemExit(f"unknown step {step}")


def dump_nquads(n: int, scratch: Path) -> Path:
    """The quads of scratch/store-N as one N-Quads file (the raw bulk load's input)."""
    import pyoxigraph as ox
    from kg.stores.oxigraph import open_store
    path = scratch / f"raw-{n}.nq"
    store = open_store(scratch / f"store-{n}" / "store")
    with open(path, "wb") as f:
        store.dump(f, format=ox.RdfFormat.N_QUADS)
    return path


def run(sizes: list[int], scratch: Path, naive_max: int, raw_max: int) -> tuple[list[dict], str]:
    rows, results = [], []
    for n in sizes:
        corpus(n, scratch)  # generated outside the timings
        ours = run_child(SCRIPT, ["policykg", str(n), str(scratch)])
        res = {"n": n, "policykg": ours}
        print(f"n={n}: policykg {ours['seconds']:.1f} s, {ours['quads']} quads, peak RSS {ours['rss_mb']:.0f} MiB",
              flush=True)
        res["rebuild"] = run_child(SCRIPT, ["rebuild", str(n), str(scratch)])
        print(f"n={n}: rebuild, nothing changed {res['rebuild']['nothing_changed']['seconds']:.2f} s; one card "
              f"changed {res['rebuild']['one_changed']['seconds']:.2f} s", flush=True)
        if n <= raw_max:
            nq = dump_nquads(n, scratch)
            res["raw"] = run_child(SCRIPT, ["raw", str(n), str(scratch)])
            nq.unlink()
            print(f"n={n}: raw bulk load {res['raw']['seconds']:.1f} s", flush=True)
        if n <= naive_max:
            res["naive"] = run_child(SCRIPT, ["naive", str(n), str(scratch)])
            print(f"n={n}: naive rdflib pipeline {res['naive']['seconds']:.1f} s", flush=True)
        results.append(res)
        raw, naive = res.get("raw"), res.get("naive")
        rate = ours["quads"] / ours["seconds"]
        rows.append([
            n, ours["policies"], f"{ours['quads']:,}", f"{ours['seconds']:.1f}", f"{ours['cpu_seconds']:.1f}",
            f"{ours['policies'] / ours['seconds']:,.0f}", f"{rate:,.0f}",
            f"{ours['rss_mb']:,.0f} / {ours['worker_rss_mb']:,.0f}",
            f"{raw['seconds']:.1f}" if raw else "not run", f"{raw['quads'] / raw['seconds']:,.0f}" if raw else "—",
            f"{rate / (raw['quads'] / raw['seconds']):.0%}" if raw else "—",
            f"{naive['seconds']:.1f}" if naive else "not run",
            f"{naive['seconds'] / ours['seconds']:.1f}×" if naive else "—",
            f"{res['rebuild']['nothing_changed']['seconds']:.2f}", f"{res['rebuild']['one_changed']['seconds']:.2f}"])
    text = table(["policies generated", "loaded", "quads (policy + vocabulary)", "policykg build s", "CPU s",
                  "policies/s", "quads/s", "peak RSS MiB (main / largest worker)", "raw bulk load s", "raw quads/s",
                  "policykg / raw rate", "naive rdflib s", "policykg speed-up", "rebuild, nothing changed s",
                  "rebuild, one card changed s"], rows)
    return results, text


def targets(results: list[dict]) -> str:
    by_n = {r["n"]: r for r in results}
    lines = []
    if 10000 in by_n:
        r = by_n[10000]
        ours = r["policykg"]
        lines.append(f"- build 10k cards ≤ 20 s (issue 7), ≤ 45 s (issue 18): {ours['seconds']:.1f} s — "
                     f"{target(ours['seconds'] <= 20)}, {target(ours['seconds'] <= 45)}")
        one = r["rebuild"]["one_changed"]["seconds"]
        lines.append(f"- a rebuild after one card of 10k changed ≤ 5 s: {one:.2f} s — {target(one <= 5)}")
        if "raw" in r:
            share = (ours["quads"] / ours["seconds"]) / (r["raw"]["quads"] / r["raw"]["seconds"])
            lines.append(f"- ≥ 40 % of the raw bulk-load rate at 10k: {share:.0%} — {target(share >= 0.4)}")
        lines.append(f"- peak RSS ≤ 1 GB at 10k: {ours['rss_mb']:,.0f} MiB main process, largest worker "
                     f"{ours['worker_rss_mb']:,.0f} MiB — {target(ours['rss_mb'] <= 1024)}")
    naive_sizes = [n for n in sorted(by_n) if "naive" in by_n[n]]
    if naive_sizes:
        n = naive_sizes[-1]
        speed = by_n[n]["naive"]["seconds"] / by_n[n]["policykg"]["seconds"]
        lines.append(f"- ≥ 10× the naive rdflib pipeline (measured at {n:,} policies, the largest size it was run "
                     f"at): {speed:.1f}× — {target(speed >= 10)}")
    if 100000 in by_n:
        ours = by_n[100000]["policykg"]
        lines.append(f"- 100k cards into the on-disk store, ≤ 4 GB peak (issue 7); ≤ 12 min and ≤ 2 GB peak (issue 18): "
                     f"{ours['seconds']:.0f} s ({ours['seconds'] / 60:.1f} min), {ours['rss_mb']:,.0f} MiB — "
                     f"{target(ours['rss_mb'] <= 4096)}; {target(ours['seconds'] <= 720)}, {target(ours['rss_mb'] <= 2048)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        print(json.dumps(child(argv[1:])))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated numbers of policies")
    parser.add_argument("--n", type=int, help="one size (same as --sizes N)")
    parser.add_argument("--naive-max", type=int, default=1000,
                        help="largest size the naive rdflib pipeline is run at (it needs ~1.5 GB per 1k policies)")
    parser.add_argument("--raw-max", type=int, default=10000,
                        help="largest size the raw bulk load is run at (it needs the N-Quads file on disk)")
    parser.add_argument("--scratch", type=Path, default=DEFAULT_SCRATCH)
    parser.add_argument("--out", type=Path, help="write the Markdown section here")
    args = parser.parse_args(argv)
    sizes = [args.n] if args.n else [int(x) for x in args.sizes.split(",") if x]
    facts = machine()
    results, text = run(sizes, args.scratch, args.naive_max, args.raw_max)
    section = (f"## 1. Build: cards → store\n\n{machine_line(facts)}\n\n{text}\n\n"
               "Quads include the vocabulary graph (22k). Times are wall-clock seconds of the whole step in a fresh "
               "process, the vocabulary already loaded; CPU s adds the worker processes.\n")
    goals = targets(results)
    if goals:
        section += "\nTargets:\n\n" + goals + "\n"
    write_fragment(args.out, section)
    if args.out:
        args.out.with_suffix(".json").write_text(json.dumps({"machine": facts, "results": results}, indent=1))


if __name__ == "__main__":
    main()
