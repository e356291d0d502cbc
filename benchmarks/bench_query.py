"""Benchmark 3, query: median latency of every library query (queries/*.rq) on the embedded store with the
seeds + N synthetic policies (run by hand; prints a table).

    python benchmarks/bench_query.py --sizes 1000,10000 [--repeat 7] [--timeout 120] [--out FILE.md]

A query with a `policy` parameter is timed twice: on the whole corpus (parameter unbound) and on one
policy (whiteprovider, the single-policy case); other parameters are those of the tests
(tests/queries/<name>.params). Each query runs in its own process (a query that exceeds --timeout is
stopped and reported as such): one warm-up run, then the median of --repeat runs (3 when one run takes
more than a second; when it takes 10 s or more, that first run is the figure, marked † in the table).
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import (DEFAULT_SCRATCH, machine, machine_line, run_child, store, table,  # noqa: E402
                               target, write_fragment)

SCRIPT = Path(__file__).resolve()
SINGLE_POLICY = "<https://w3id.org/policykg/policy/whiteprovider/2024-05-19>"


def library_params(name: str) -> dict[str, str]:
    path = Path(__file__).resolve().parent.parent / "tests" / "queries" / f"{name}.params"
    if not path.exists():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#"))
    return {k.strip(): v.strip() for k, v in pairs}


def cases() -> list[tuple[str, str, dict[str, str]]]:
    """(query, mode, params): mode 'corpus' (no policy bound) or 'policy' (one policy)."""
    from kg.queries import find_queries
    out = []
    for name, query in find_queries().items():
        params = library_params(name)
        policy_param = query.param("policy")
        if policy_param is not None:
            corpus_params = {k: v for k, v in params.items() if k != "policy"}
            if not policy_param.required:
                out.append((name, "corpus", corpus_params))
            out.append((name, "policy", {**corpus_params, "policy": params.get("policy", SINGLE_POLICY)}))
        else:
            out.append((name, "corpus", params))
    return out


def child(args: list[str]) -> dict:
    name, store_path, params, repeat = args[0], args[1], json.loads(args[2]), int(args[3])
    from kg.queries import find_queries, run_query
    from kg.stores import EmbeddedStore
    embedded = EmbeddedStore(Path(store_path))
    query = find_queries()[name]
    start = time.perf_counter()
    rows = len(run_query(embedded, query, params).rows)  # warm-up (and the row count)
    first = time.perf_counter() - start
    if first >= 10:   # at 100k: the first run is the figure (a second would double an hour-long section)
        return {"median_ms": first * 1000, "rows": rows, "runs": 1, "first_run_only": True}
    runs = repeat if first < 1 else max(1, min(repeat, 3))
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run_query(embedded, query, params)
        times.append(time.perf_counter() - start)
    return {"median_ms": statistics.median(times) * 1000, "rows": rows, "runs": runs}


def run(sizes: list[int], scratch: Path, repeat: int, timeout: float, in_process: bool = False) -> tuple[dict, str]:
    all_cases = cases()
    results: dict = {}
    for n in sizes:
        path = store(n, scratch)
        for name, mode, params in all_cases:
            try:
                child_args = [name, str(path), json.dumps(params), str(repeat)]
                r = child(child_args) if in_process else run_child(SCRIPT, child_args, timeout=timeout)
            except subprocess.TimeoutExpired:
                r = {"median_ms": None, "rows": None, "timeout": timeout}
            results.setdefault(f"{name} ({mode})", {})[n] = r
            shown = f"{r['median_ms']:.1f} ms" if r["median_ms"] is not None else f"> {timeout:.0f} s"
            print(f"n={n} {name} ({mode}): {shown}", flush=True)
    headers = ["query", "mode"] + [f"{n:,} policies: median ms (rows)" for n in sizes]
    rows = []
    for key, by_n in results.items():
        name, mode = key.rsplit(" (", 1)
        cells = []
        for n in sizes:
            r = by_n.get(n)
            cells.append("—" if r is None else (f"> {r['timeout']:.0f} s" if r["median_ms"] is None
                                                 else f"{r['median_ms']:.1f}{'†' if r.get('first_run_only') else ''} "
                                                      f"({r['rows']})"))
        rows.append([f"`{name}`", mode.rstrip(")"), *cells])
    return results, table(headers, rows)


def targets(results: dict) -> str:
    lines = []
    at = 10000
    corpus = [(k, v[at]) for k, v in results.items() if at in v and k.endswith("(corpus)")]
    single = [(k, v[at]) for k, v in results.items() if at in v and k.endswith("(policy)")]

    def worst(items):
        def ms(r):
            return float("inf") if r["median_ms"] is None else r["median_ms"]
        return max(items, key=lambda kv: ms(kv[1]))

    every = corpus + single
    if every:
        k, r = worst(every)
        slow = [k for k, r in every if r["median_ms"] is None or r["median_ms"] > 300]
        lines.append(f"- every library query ≤ 300 ms median at 10k: slowest {k} "
                     f"{'timeout' if r['median_ms'] is None else format(r['median_ms'], '.0f') + ' ms'}; "
                     f"{len(slow)} of {len(every)} over — {target(not slow)}"
                     + (f" ({', '.join(slow)})" if slow else ""))
    if single:
        k, r = worst(single)
        slow = [k for k, r in single if r["median_ms"] is None or r["median_ms"] > 5]
        lines.append(f"- single-policy queries ≤ 5 ms at 10k: slowest {k} "
                     f"{'timeout' if r['median_ms'] is None else format(r['median_ms'], '.1f') + ' ms'}; "
                     f"{len(slow)} of {len(single)} over — {target(not slow)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        print(json.dumps(child(argv[1:])))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--n", type=int, help="one size (same as --sizes N)")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before a query is stopped")
    parser.add_argument("--in-process", action="store_true",
                        help="run the queries in this process, without --timeout (quick check on small stores)")
    parser.add_argument("--scratch", type=Path, default=DEFAULT_SCRATCH)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    sizes = [args.n] if args.n else [int(x) for x in args.sizes.split(",") if x]
    facts = machine()
    results, text = run(sizes, args.scratch, args.repeat, args.timeout, args.in_process)
    section = (f"## 3. Query: library queries on the embedded store\n\n{machine_line(facts)}\n\n"
               "Store: the two seeds + N synthetic policies (+ the vocabulary graph). *corpus*: the query over every "
               "policy; *policy*: bound to one policy (whiteprovider). Median of up to "
               f"{args.repeat} runs after a warm-up (3 when a run takes over 1 s), in milliseconds, with the number of "
               "rows; † marks a query whose first run took 10 s or more, whose figure is that one run.\n\n"
               f"{text}\n")
    goals = targets(results)
    if goals:
        section += "\nTargets:\n\n" + goals + "\n"
    write_fragment(args.out, section)
    if args.out:
        args.out.with_suffix(".json").write_text(json.dumps({"machine": facts, "results": results}, indent=1))


if __name__ == "__main__":
    main()
