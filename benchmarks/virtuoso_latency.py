"""Virtuoso against the embedded store: push time, the query library's latency, graph reads (docs/servers.md).

    python benchmarks/virtuoso_latency.py [--n 1000] [--repeat 5]

Builds the seeds (or the seeds plus N synthetic policies, benchmarks/generate.py) into a temporary embedded
store, starts a throw-away Virtuoso on 127.0.0.1 (tests/conftest_server.py), pushes every graph with
`push_graphs` as `policykg push --user` does, then times each library query on both (median of --repeat runs
after one warm-up) and the reading of one policy graph and of the vocabulary graph. Needs virtuoso-t and
isql-vt (Debian: virtuoso-opensource-7-bin).
"""
from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kg import namespaces as ns  # noqa: E402
from kg.build import build  # noqa: E402
from kg.inventory import select_policies  # noqa: E402
from kg.queries import find_queries, run_query  # noqa: E402
from kg.stores import EmbeddedStore, SparqlEndpoint  # noqa: E402
from kg.stores.sparql import push_graphs  # noqa: E402
from tests.conftest_server import VirtuosoServer  # noqa: E402
from tests.test_queries import library_params  # noqa: E402


def median_ms(fn, repeat: int) -> float:
    fn()
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=0, help="synthetic policies added to the seeds (default: none)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="policykg-virtuoso-bench-") as tmp:
        inputs = [ROOT / "data" / "policies"]
        if args.n:
            from benchmarks.generate import generate
            generate(args.n, Path(tmp) / "corpus")
            inputs.append(Path(tmp) / "corpus" / "policies")
        store_path = Path(tmp) / "store"
        build(inputs, store=store_path)
        embedded = EmbeddedStore(store_path)
        policies = select_policies(embedded, None)
        with VirtuosoServer() as server:
            remote = SparqlEndpoint(server.query_url, user=server.user, password=server.password, timeout=600)
            graphs = embedded.push_selection(None)
            start = time.perf_counter()
            pushed = push_graphs(remote, ((g, embedded.graph_triples(g)) for g in graphs))
            push_s = time.perf_counter() - start
            reader = SparqlEndpoint(server.query_url, timeout=600)
            print(f"Virtuoso {server.version()} vs the embedded store: {len(policies)} policies, "
                  f"{sum(p.triples for p in pushed)} triples in {len(pushed)} graphs pushed in {push_s:.1f} s "
                  f"({push_s / len(pushed) * 1000:.0f} ms a graph)")
            print(f"Python {platform.python_version()}, {platform.machine()}; median of {args.repeat} runs after "
                  "one warm-up")
            print(f"{'query':40} {'rows':>6} {'embedded ms':>12} {'Virtuoso ms':>12}")
            local_all, remote_all = [], []
            for name, query in find_queries().items():
                params = library_params(name) if not args.n else {}
                if any(p.required and p.name not in params for p in query.params):
                    continue
                try:
                    rows = len(run_query(embedded, query, params).rows)
                    local = median_ms(lambda: run_query(embedded, query, params), args.repeat)
                    far = median_ms(lambda: run_query(reader, query, params), args.repeat)
                except Exception as exc:  # noqa: BLE001 - a known gap (docs/servers.md): reported, not timed
                    print(f"{name:40} {'-':>6} {'':>12} {'refused':>12}  {str(exc).splitlines()[0][:60]}")
                    continue
                print(f"{name:40} {rows:>6} {local:>12.1f} {far:>12.1f}")
                local_all.append(local)
                remote_all.append(far)
            print(f"{'median over queries':40} {'':>6} {statistics.median(local_all):>12.1f} "
                  f"{statistics.median(remote_all):>12.1f}")
            one = policies[0].graph
            for label, graph in (("one policy graph", one), ("the vocabulary graph", ns.VOCAB_GRAPH)):
                local = median_ms(lambda: embedded.graph_triples(graph), args.repeat)
                far = median_ms(lambda: reader.graph_triples(graph), args.repeat)
                print(f"read {label:35} {len(embedded.graph_triples(graph)):>6} {local:>12.1f} {far:>12.1f}")
        print("server stopped")


if __name__ == "__main__":
    main()
