"""Time of `policykg report` (the HTML report, kg.site) on the seeds and on N synthetic policies (run by hand).

    python benchmarks/bench_site.py --n 1000 [--workers 2] [--lang en] [--scratch /tmp/policykg-bench]

The store of the seeds + N synthetic policies (benchmarks/generate.py) is built first if it is not in the
scratch folder already (not timed). Then the report of the seeds alone (their own store, 2 policies) and the
report of every policy of the N store (N + 2 versions: summary, text, findings and graph pages each,
validated with the default profiles) are written into a temporary folder and timed: wall and CPU time (with
the workers), peak memory, pages and bytes written. Target: 1k policies within 60 s on the 2-core machine.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.common import DEFAULT_SCRATCH, Measure, corpus, machine, machine_line, store  # noqa: E402


def site_size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def report(store_path: Path, sources: Path, lang: str, workers: int | None) -> dict:
    from kg.site import write_report
    with tempfile.TemporaryDirectory() as tmp:
        with Measure() as m:
            result = write_report(Path(tmp) / "site", store=store_path, lang=lang, sources_dir=sources,
                                  workers=workers)
        files, size = site_size(Path(tmp) / "site")
    return {**m.result, "policies": len(result.policies), "pages": result.pages, "files": files,
            "mib": size / 2**20, "missing_snapshots": sum(1 for p in result.policies if p.snapshot_problem)}


def show(name: str, r: dict) -> None:
    print(f"{name}: {r['policies']} policy versions, {r['pages']} pages ({r['files']} files, {r['mib']:.1f} MiB) "
          f"in {r['seconds']:.2f} s wall, {r['cpu_seconds']:.1f} s CPU; {r['policies'] / r['seconds']:.1f} "
          f"policies/s; peak RSS {r['rss_mb']:.0f} MiB (largest worker {r['worker_rss_mb']:.0f} MiB); "
          f"snapshots missing: {r['missing_snapshots']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--lang", default="en")
    parser.add_argument("--scratch", type=Path, default=DEFAULT_SCRATCH)
    args = parser.parse_args()
    print(machine_line(machine()))
    from kg.build import build
    with tempfile.TemporaryDirectory() as tmp:
        seeds = Path(tmp) / "store"
        build([ROOT / "data" / "policies"], store=seeds)
        show("seeds", report(seeds, ROOT / "data" / "sources", args.lang, args.workers))
    path = store(args.n, args.scratch)
    sources = corpus(args.n, args.scratch) / "sources"
    # the seeds' snapshots are under data/sources, the synthetic ones under the corpus: one folder of both
    # (copied: the report reads no snapshot through a link that leads out of the sources folder)
    import shutil
    with tempfile.TemporaryDirectory() as tmp:
        both = Path(tmp) / "sources"
        for folder in (ROOT / "data" / "sources", sources):
            shutil.copytree(folder, both, dirs_exist_ok=True)
        show(f"{args.n} synthetic + seeds", report(path, both, args.lang, args.workers))


if __name__ == "__main__":
    main()
