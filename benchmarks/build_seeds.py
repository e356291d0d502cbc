"""Build time of the seed policies, and of N synthetic copies of them (run by hand).

    python benchmarks/build_seeds.py            # the two seeds, 5 runs
    python benchmarks/build_seeds.py --copies 500

Copies are the seed cards with another slug (same snapshot, same quotes): they measure the loader,
the mapping and the store at scale, not the mapper's work.
"""
from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.build import build  # noqa: E402
from kg.export import FORMATS, export_store  # noqa: E402
from kg.stores.oxigraph import open_store  # noqa: E402
from kg.vocab import load_vocabulary  # noqa: E402


def make_copies(root: Path, copies: int) -> Path:
    shutil.copytree(ROOT / "data" / "sources", root / "sources")
    for card in (ROOT / "data" / "policies").rglob("*.yaml"):
        text = card.read_text(encoding="utf-8")
        slug = card.parent.name
        for i in range(copies):
            out = root / "policies" / f"{slug}-{i:05d}" / card.name
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(re.sub(rf"slug: {slug}\b", f"slug: {slug}-{i:05d}", text, count=1), encoding="utf-8")
    return root / "policies"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=0)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    t = time.perf_counter()
    load_vocabulary()
    print(f"vocabulary load (cold, once per process): {time.perf_counter() - t:.2f} s")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        inputs = make_copies(tmp / "in", args.copies) if args.copies else ROOT / "data"
        totals, phases = [], []
        for run in range(args.runs):
            result = build([inputs], store=tmp / "store")
            totals.append(result.seconds["total"])
            phases.append(result.seconds)
        n = len(result.policies)
        print(f"build of {n} policy versions ({sum(p.triple_count for p in result.policies)} policy triples, "
              f"{result.vocabulary_triples} vocabulary triples): median {statistics.median(totals):.3f} s "
              f"over {args.runs} runs (warm vocabulary)")
        for key in ("load+map", "store"):
            print(f"  {key:<9} median {statistics.median(p[key] for p in phases):.3f} s")
        store = open_store(tmp / "store")
        for fmt in FORMATS:
            t = time.perf_counter()
            data = export_store(store, FORMATS[fmt])
            print(f"export {fmt:<6} {len(data):>10} bytes in {time.perf_counter() - t:.3f} s")


if __name__ == "__main__":
    main()
