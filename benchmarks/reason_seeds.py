"""Reasoning time per seed policy, and what HermiT infers that plain SPARQL does not (run by hand).

    python benchmarks/reason_seeds.py [--runs 3] [--reasoner hermit] [--show]

Builds the seeds into a temporary store, then for each policy: the size of its OWL view, the median time
of `kg.reason.reason` (view + HermiT through owlready2 + reading the results) and of the reasoner alone,
and the inferred facts split into those a SPARQL walk already gives ((rdfs:subClassOf|skos:broader)* over
the asserted types, rdfs:subPropertyOf* over the asserted edges, in the vocabulary graph) and those it does
not; plus the types entailed for concepts used as values (never written). --show lists the facts beyond the
walks.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg import namespaces as ns  # noqa: E402
from kg import reason as rs  # noqa: E402
from kg.build import build  # noqa: E402
from kg.inventory import list_policies  # noqa: E402
from kg.stores.oxigraph import open_store  # noqa: E402
from kg.vocab import load_vocabulary  # noqa: E402


def _short(term, graph: str) -> str:
    text = str(term)
    return "#" + text.split("#", 1)[1] if text.startswith(graph + "#") else ns.shorten(text)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reasoner", default=rs.DEFAULT_REASONER, choices=rs.REASONERS)
    parser.add_argument("--show", action="store_true", help="list the inferred facts beyond the SPARQL walks")
    args = parser.parse_args()
    vocabulary = load_vocabulary()
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        build([ROOT / "data"], store=Path(tmp) / "store")
        print(f"built the seeds in {time.perf_counter() - t:.2f} s")
        store = open_store(Path(tmp) / "store")
        for p in list_policies(store):
            graph = rs.stored_graph(store, p.graph)
            totals, reasoner = [], []
            for _ in range(args.runs):
                result = rs.reason(graph, vocabulary, p.graph, args.reasoner)
                totals.append(result.seconds["total"])
                reasoner.append(result.seconds["reasoner"])
            baseline = rs.walk_baseline(store, p.graph)
            beyond = rs.beyond_walk(result, baseline)
            kinds = Counter("type" if t[1] == rs.RDF.type else "edge" for t in result.inferred)
            by_walk = Counter("type" if t[1] == rs.RDF.type else "edge" for t in result.inferred if t in baseline)
            print(f"{p.key:<26} {'consistent' if result.consistent else 'INCONSISTENT'}  {result.reasoner}")
            print(f"  OWL view      {result.view.triples} triples from {result.view.policy_triples} policy triples; "
                  f"left out: {len(result.view.left_out)} ({', '.join(sorted({x.reason for x in result.view.left_out}))})")
            print(f"  time          median {statistics.median(totals):.2f} s per run "
                  f"(reasoner alone {statistics.median(reasoner):.2f} s) over {args.runs} runs")
            print(f"  inferred      {len(result.inferred)} facts: {kinds['type']} types, {kinds['edge']} edges")
            print(f"  SPARQL walks  give {by_walk['type']} of the types and {by_walk['edge']} of the edges; "
                  f"beyond them: {len(beyond)}")
            print(f"  values        {len(result.value_facts)} types entailed for concepts used as values (not written)")
            if args.show:
                for fact in beyond:
                    print("    beyond  " + " ".join(_short(x, p.graph) for x in fact))
                for fact in result.value_facts:
                    print("    value   " + " ".join(_short(x, p.graph) for x in fact))
        del store


if __name__ == "__main__":
    main()
