"""Benchmark 4, export: every policy of the store (seeds + N synthetic policies) as Turtle, TriG, N-Quads and
JSON-LD, seconds and megabytes (run by hand; prints a table).

    python benchmarks/bench_export.py --n 10000 [--timeout 900] [--out FILE.md]

Each format runs in its own process (`kg.export.write_store` streamed into `kg.files.write_atomic`, with
one worker process per core reading the graphs: what `policykg export --format F -o FILE` does, written to
a scratch file), stopped after --timeout seconds; twice: with the generation's export cache as the build
left it (what the first export after a build costs: the build keeps each card's lines,
kg.stores.export_cache), then again (once that export kept the lines of any other graph it read).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import (DEFAULT_SCRATCH, Measure, machine, machine_line, run_child, store, table,  # noqa: E402
                               target, write_fragment)

SCRIPT = Path(__file__).resolve()
ORDER = ("ttl", "trig", "nq", "jsonld")


def child(args: list[str]) -> dict:
    fmt, store_path, out = args[0], Path(args[1]), Path(args[2])
    from kg.export import FORMATS, write_store
    from kg.files import write_atomic
    from kg.stores import EmbeddedStore
    with Measure() as m:
        source = EmbeddedStore(store_path)
        write_atomic(lambda stream: write_store(source, FORMATS[fmt], stream, store_path=store_path), out)
    size = out.stat().st_size
    out.unlink()
    return {**m.result, "bytes": size}


def _as_built(path: Path) -> None:
    """The store's export cache as its build left it: what exports added since is removed."""
    from kg.stores.oxigraph import EXPORT_CACHE, current_generation
    built = set((path.parent / "built-export-cache.txt").read_text().split())
    kept = current_generation(path) / EXPORT_CACHE
    for file in kept.iterdir() if kept.is_dir() else []:
        if file.name not in built:
            file.unlink()


def run(sizes: list[int], scratch: Path, timeout: float, formats: list[str], jsonld_max: int) -> tuple[dict, str]:
    results: dict = {}
    rows = []
    for n in sizes:
        path = store(n, scratch)
        for fmt in formats:
            if fmt == "jsonld" and n > jsonld_max:
                rows.append([n, fmt, f"not run (above --jsonld-max {jsonld_max})", "—", "—", "—"])
                continue
            out = scratch / f"export-{n}.{fmt}"
            _as_built(path)
            try:
                first = run_child(SCRIPT, [fmt, str(path), str(out)], timeout=timeout)
                r = run_child(SCRIPT, [fmt, str(path), str(out)], timeout=timeout)
                r["first_seconds"] = first["seconds"]
            except subprocess.TimeoutExpired:
                out.unlink(missing_ok=True)
                r = {"seconds": None, "timeout": timeout}
            results.setdefault(n, {})[fmt] = r
            if r["seconds"] is None:
                print(f"n={n} {fmt}: stopped after {timeout:.0f} s", flush=True)
                rows.append([n, fmt, f"> {timeout:.0f}", "—", "—", "—", "—"])
            else:
                print(f"n={n} {fmt}: {r['first_seconds']:.1f} s, then {r['seconds']:.1f} s, {r['bytes'] / 1e6:.1f} MB",
                      flush=True)
                rows.append([n, fmt, f"{r['first_seconds']:.1f}", f"{r['seconds']:.1f}", f"{r['cpu_seconds']:.1f}",
                             f"{r['bytes'] / 1e6:,.1f}", f"{r['rss_mb']:,.0f}"])
    return results, table(["policies", "format", "seconds, first export", "seconds, again", "CPU s (again)", "MB",
                           "peak RSS MiB"], rows)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        print(json.dumps(child(argv[1:])))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000")
    parser.add_argument("--n", type=int, help="one size (same as --sizes N)")
    parser.add_argument("--formats", default=",".join(ORDER))
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--jsonld-max", type=int, default=1000,
                        help="largest size JSON-LD is exported at (rdflib compacts it in memory: ~2 GB per 1k policies)")
    parser.add_argument("--scratch", type=Path, default=DEFAULT_SCRATCH)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    sizes = [args.n] if args.n else [int(x) for x in args.sizes.split(",") if x]
    facts = machine()
    results, text = run(sizes, args.scratch, args.timeout, args.formats.split(","), args.jsonld_max)
    section = (f"## 4. Export: every policy of the store\n\n{machine_line(facts)}\n\n"
               f"Store: the two seeds + N synthetic policies; output written atomically to a file.\n\n{text}\n")
    goals = []
    for fmt, name in (("ttl", "Turtle"), ("nq", "N-Quads")):
        r = results.get(10000, {}).get(fmt)
        if r is not None:
            if r["seconds"] is None:
                goals.append(f"- export 10k policies to {name} ≤ 10 s: > {r['timeout']:.0f} s (stopped) — {target(False)}")
                continue
            # the first export after a build reads the lines the build kept; the next ones, those and any it kept
            goals.append(f"- export 10k policies to {name} ≤ 10 s: {r['first_seconds']:.1f} s the first time after a "
                         f"build — {target(r['first_seconds'] <= 10)}; {r['seconds']:.1f} s after — "
                         f"{target(r['seconds'] <= 10)}")
    if goals:
        section += "\nTargets:\n\n" + "\n".join(goals) + "\n"
    write_fragment(args.out, section)
    if args.out:
        args.out.with_suffix(".json").write_text(json.dumps({"machine": facts, "results": results}, indent=1))


if __name__ == "__main__":
    main()
