"""Median latency of every library query on the seeds: embedded store vs a local Oxigraph server.

Builds the seeds into a temporary store, starts `oxigraph serve` on 127.0.0.1 (a free port, a temporary
folder), pushes the store to it, runs every queries/*.rq REPEAT times on each (with the parameters of
tests/queries/<name>.params), prints the medians in milliseconds, and stops the server.
Remote times include HTTP and JSON parsing: what `policykg query --endpoint` costs.

    python benchmarks/query_latency.py [--repeat 21]
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
sys.path.insert(0, str(ROOT))

from kg.build import build  # noqa: E402
from kg.queries import find_queries, run_query  # noqa: E402
from kg.stores import EmbeddedStore, SparqlEndpoint  # noqa: E402
from kg.stores.sparql import push_graphs  # noqa: E402
from tests.conftest_server import OxigraphServer  # noqa: E402
from tests.test_queries import library_params  # noqa: E402


def median_ms(store, query, params, repeat: int) -> tuple[float, int]:
    run_query(store, query, params)  # warm-up
    times, rows = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        rows = len(run_query(store, query, params).rows)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=21)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="policykg-bench-") as tmp:
        store_path = Path(tmp) / "store"
        build([ROOT / "data"], store=store_path)
        embedded = EmbeddedStore(store_path)
        with OxigraphServer(location=Path(tmp) / "server") as server:
            remote = SparqlEndpoint(server.query_url)
            graphs = embedded.push_selection(None)
            start = time.perf_counter()
            pushed = push_graphs(remote, ((g, embedded.graph_triples(g)) for g in graphs))
            push_s = time.perf_counter() - start
            library = find_queries()
            print(f"policykg query latency, seeds ({sum(p.triples for p in pushed)} triples in {len(pushed)} graphs, "
                  f"pushed in {push_s:.2f} s); median of {args.repeat} runs after one warm-up")
            print(f"Python {platform.python_version()}, {platform.machine()}, oxigraph server {server.base}")
            print(f"{'query':40} {'rows':>5} {'embedded ms':>12} {'remote ms':>10}")
            local_all, remote_all = [], []
            for name, query in library.items():
                params = library_params(name)
                local, rows = median_ms(embedded, query, params, args.repeat)
                far, remote_rows = median_ms(remote, query, params, args.repeat)
                flag = "" if rows == remote_rows else f"  (remote rows {remote_rows})"
                print(f"{name:40} {rows:>5} {local:>12.2f} {far:>10.2f}{flag}")
                local_all.append(local)
                remote_all.append(far)
            print(f"{'median over queries':40} {'':>5} {statistics.median(local_all):>12.2f} "
                  f"{statistics.median(remote_all):>10.2f}")
        print("server stopped")


if __name__ == "__main__":
    main()
