"""Validation time per policy, per engine (run by hand).

    python benchmarks/validate_seeds.py [--runs 3] [--profile auto]

Prints, for each SHACL engine, the median time to validate each seed policy (profiles chosen by `auto`
unless --profile is given) and whether each engine reports the findings of pySHACL (the reference).
The first run of each engine includes its warm-up (the oxigraph engine compiles the shapes and indexes
the vocabulary once per process).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.load import load_card  # noqa: E402
from kg.mapping import policy_graph  # noqa: E402
from kg.validate import ENGINES, REFERENCE_ENGINE, validate_graph  # noqa: E402
from kg.vocab import load_vocabulary  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", default="auto")
    args = parser.parse_args()
    profiles = "auto" if args.profile == "auto" else args.profile.split(",")
    vocabulary = load_vocabulary()
    cards = sorted((ROOT / "data" / "policies").rglob("*.yaml"))
    policies = [load_card(c, vocabulary=vocabulary) for c in cards]
    findings = {}
    for engine in ENGINES:
        for policy in policies:
            graph = policy_graph(policy)
            times = []
            for _ in range(args.runs):
                t = time.perf_counter()
                report = validate_graph(graph, policy.key, vocabulary, profiles=profiles, engine=engine)
                times.append(time.perf_counter() - t)
            findings[(engine, policy.key)] = {(f.shape, f.focus, f.value, f.severity) for f in report.findings}
            print(f"{engine:<14} {policy.key:<26} {len(report.findings):>3} findings  "
                  f"median {statistics.median(times):.3f} s over {args.runs} runs "
                  f"(profiles: {', '.join(p for p, _ in report.profiles)})")
    for policy in policies:
        for engine in ENGINES:
            if engine != REFERENCE_ENGINE:
                same = findings[(engine, policy.key)] == findings[(REFERENCE_ENGINE, policy.key)]
                print(f"{policy.key}: {engine} {'agrees with' if same else 'DISAGREES with'} {REFERENCE_ENGINE}")


if __name__ == "__main__":
    main()
