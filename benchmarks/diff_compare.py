"""Time of `policykg diff` and `policykg compare` on the seeds and the versioned test fixture (run by hand).

    python benchmarks/diff_compare.py            # 5 runs each

Prints the median of: the semantic diff of the WhiteProvider seed and its test fixture version (cards),
without and with the findings (two validations); the diff of the two seeds (different policies); the
comparison of the two seeds from a built store (library queries, without and with the findings).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.build import build  # noqa: E402
from kg.compare import compare_targets  # noqa: E402
from kg.diff import diff_targets  # noqa: E402
from kg.vocab import load_vocabulary  # noqa: E402

SEED = ROOT / "data" / "policies" / "whiteprovider" / "2024-05-19.yaml"
OTHER = ROOT / "data" / "policies" / "planethoster" / "2015-09-01.yaml"
FIXTURE = ROOT / "tests" / "fixtures" / "versions" / "policies" / "whiteprovider" / "2025-03-01.test-fixture.yaml"


def median_ms(runs: int, job) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = job()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    vocabulary = load_vocabulary()
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        build([ROOT / "data"], store=store)
        jobs = {
            "diff seed -> fixture (cards), no findings": lambda: diff_targets(str(SEED), str(FIXTURE), validate=False),
            "diff seed -> fixture (cards), with findings": lambda: diff_targets(str(SEED), str(FIXTURE)),
            "diff whiteprovider -> planethoster, no findings": lambda: diff_targets(str(SEED), str(OTHER),
                                                                                     validate=False),
            "compare the two seeds (store), no findings": lambda: compare_targets(
                ["planethoster", "whiteprovider"], store_path=store, vocabulary=vocabulary, validate=False),
            "compare the two seeds (store), with findings": lambda: compare_targets(
                ["planethoster", "whiteprovider"], store_path=store, vocabulary=vocabulary),
        }
        for name, job in jobs.items():
            ms, result = median_ms(runs, job)
            size = f"{len(result.changes)} changes" if hasattr(result, "changes") else \
                f"{sum(len(v) for v in result.items.values())} items"
            print(f"{name:<50} {ms:8.1f} ms  ({size}, median of {runs})")


if __name__ == "__main__":
    main()
