"""Benchmark 5: HermiT on 10 and 100 synthetic policies (run by hand, or through run_all.py).

    python benchmarks/bench_reason.py [--sizes 10,100] [--scratch DIR] [--out FILE.md]

For each size N: reason on the first N synthetic policies of the corpus store (seeds + the largest size's
synthetic policies, made once by benchmarks/common.py), one policy after the other as `policykg reason`
does (an OWL view, a fresh owlready2 World and one HermiT run per policy), without writing the inferred
graphs. Prints the total time, policies/s, the median and p95 time per policy, the consistent and
inconsistent counts, and how many inferred facts a SPARQL subClassOf*/broader*/subPropertyOf* walk does not
give. Needs Java (see docs/reasoning.md).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import DEFAULT_SCRATCH, machine, machine_line, store, table, write_fragment  # noqa: E402


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def run(sizes: list[int], scratch: Path) -> list[dict]:
    from kg import reason as rs
    from kg.inventory import list_policies
    from kg.stores.oxigraph import open_store
    from kg.vocab import load_vocabulary

    rs.java_executable()  # no Java: the documented error, before any work
    db = open_store(store(max(sizes), scratch))
    synthetic = sorted((p for p in list_policies(db) if p.slug.startswith("synth-")), key=lambda p: p.key)
    vocabulary = load_vocabulary()
    rows = []
    for n in sizes:
        chosen = synthetic[:n]
        per_policy, consistent, unsatisfiable, inferred, beyond = [], 0, 0, 0, 0
        start = time.perf_counter()
        for p in chosen:
            t = time.perf_counter()
            result = rs.reason(rs.stored_graph(db, p.graph), vocabulary, p.graph)
            per_policy.append(time.perf_counter() - t)
            consistent += result.consistent
            unsatisfiable += bool(result.unsatisfiable)
            inferred += len(result.inferred)
            beyond += len(rs.beyond_walk(result, rs.walk_baseline(db, p.graph)))
        total = time.perf_counter() - start
        rows.append({"n": len(chosen), "seconds": total, "per_s": len(chosen) / total if total else 0.0,
                     "median": statistics.median(per_policy), "p95": _p95(per_policy),
                     "consistent": consistent, "unsatisfiable": unsatisfiable,
                     "inferred": inferred, "beyond": beyond})
    return rows


def markdown(rows: list[dict]) -> str:
    lines = ["## 5. Reason: HermiT on synthetic policies", "", machine_line(machine()), "",
             "One policy after the other, as `policykg reason --dry-run` does (OWL view + HermiT through "
             "owlready2 in a fresh World per policy); the time includes reading each policy from the store.", ""]
    lines.append(table(
        ["policies", "seconds", "policies/s", "median s/policy", "p95 s/policy", "consistent",
         "with unsatisfiable classes", "inferred facts", "beyond SPARQL walks"],
        [[r["n"], f"{r['seconds']:.1f}", f"{r['per_s']:.2f}", f"{r['median']:.2f}", f"{r['p95']:.2f}",
          r["consistent"], r["unsatisfiable"], r["inferred"], r["beyond"]] for r in rows]))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100", help="numbers of synthetic policies, comma-separated")
    parser.add_argument("--scratch", type=Path, default=DEFAULT_SCRATCH)
    parser.add_argument("--out", type=Path, default=None, help="write the Markdown section here")
    args = parser.parse_args(argv)
    sizes = [int(x) for x in args.sizes.split(",") if x]
    write_fragment(args.out, markdown(run(sizes, args.scratch)))


if __name__ == "__main__":
    main()
