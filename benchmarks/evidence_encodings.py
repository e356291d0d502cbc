"""How to write a statement's evidence: candidate encodings measured on the same synthetic corpus (issue 18).

    python benchmarks/evidence_encodings.py --n 1000 [--out benchmarks/results/evidence-encodings.md]

Every candidate keeps every fact traceable to its verbatim quote and its span in the hashed snapshot; they
differ in how a fact is tied to its annotation and how the annotation points into the snapshot:

- `reified-oa` (main today, docs/mapping.md): an `rdf:Statement` per fact (type, subject, predicate,
  object, `prov:wasDerivedFrom`) and a full Web Annotation target (`oa:SpecificResource`, a
  `TextQuoteSelector` with exact/prefix/suffix, a `TextPositionSelector`);
- `reified-char`: RDF 1.1 still, the reification without its redundant type and back link, and the target
  an RFC 5147 `<snapshot#char=start,end>` IRI carrying its `oa:exact`;
- `triple-oa`: RDF 1.2 triple terms (`ev oa:hasBody <<( s p o )>>`), the full target kept;
- `triple-char`: triple terms and the `#char=` target carrying its `oa:exact`;
- `triple-char-text`: triple terms and the `#char=` target without the quote, the snapshot's text stored
  once per policy (`rdf:value`), the quote cut from it by SPARQL `SUBSTR`.

Measured for each, on the loadable cards of the corpus: quads per policy, one bulk load into an on-disk store
(wall and CPU seconds), the store's size on disk, reading every policy graph back as N-Quads (the export's
read), and the two look-ups everything else does: the evidence of one asserted fact, and every fact of a
policy with its quote. Results feed docs/decisions/0007-evidence-encoding.md.
"""
from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pyoxigraph as ox  # noqa: E402

from benchmarks.common import DEFAULT_SCRATCH, corpus, machine, machine_line  # noqa: E402
from kg import namespaces as ns  # noqa: E402
from kg.load import load_card  # noqa: E402
from kg.mapping import graph_iri, nt_term, policy_terms  # noqa: E402

OA = "http://www.w3.org/ns/oa#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
PROV_DERIVED = "http://www.w3.org/ns/prov#wasDerivedFrom"
ENCODINGS = ["reified-oa", "reified-char", "triple-oa", "triple-char", "triple-char-text"]


def _structure(policy) -> list[tuple]:
    """The policy's triples that are not evidence: the notice, processes, snapshot and the asserted facts."""
    base = str(graph_iri(policy)) + "#"
    return [t for t in policy_terms(policy) if not (t[0].startswith(base + "ev-") or t[0].startswith(base + "st-"))]


def _fact_terms(policy, fact, base):
    from kg.mapping import _lit  # the mapping's own literal form, so the facts are the same in every encoding
    from kg.model import NodeRef, Term
    o = fact.object
    obj = o.iri if isinstance(o, Term) else base + o.id if isinstance(o, NodeRef) else _lit(o)
    return base + fact.subject, fact.predicate, obj


def encode(policy, encoding: str, text: str) -> tuple[list[str], int]:
    """The policy's graph in `encoding` as N-Quads lines (triple terms written in N-Quads 1.2), and its count."""
    if encoding == "reified-oa":
        terms = policy_terms(policy)
        g = " <" + str(graph_iri(policy)) + "> .\n"
        return [" ".join(nt_term(t) for t in triple) + g for triple in terms], len(terms)
    g_iri = str(graph_iri(policy))
    base = g_iri + "#"
    source = ns.source_iri(policy.slug, policy.version)
    lines = [" ".join(nt_term(t) for t in triple) for triple in _structure(policy)]
    extra: list[str] = []
    spans: set[str] = set()
    if encoding == "triple-char-text":
        extra.append(f"<{source}> <{RDF}value> {nt_term((text, None, None))}")
    for st in policy.statements:
        ev = f"<{base}ev-{st.id}>"
        e = st.evidence
        extra.append(f"{ev} <{RDF}type> <{OA}Annotation>")
        if e.inferred:
            extra.append(f"{ev} <{OA}motivatedBy> <{ns.PKX}inferring>")
        if encoding.endswith("-oa"):
            target = f"<{base}ev-{st.id}-target>"
            q, pos = f"<{base}ev-{st.id}-quote>", f"<{base}ev-{st.id}-position>"
            extra += [f"{ev} <{OA}hasTarget> {target}", f"{target} <{RDF}type> <{OA}SpecificResource>",
                      f"{target} <{OA}hasSource> <{source}>", f"{target} <{OA}hasSelector> {q}",
                      f"{target} <{OA}hasSelector> {pos}", f"{q} <{RDF}type> <{OA}TextQuoteSelector>",
                      f"{q} <{OA}exact> {nt_term((e.exact, None, None))}",
                      f"{q} <{OA}prefix> {nt_term((e.prefix, None, None))}",
                      f"{q} <{OA}suffix> {nt_term((e.suffix, None, None))}",
                      f"{pos} <{RDF}type> <{OA}TextPositionSelector>",
                      f'{pos} <{OA}start> "{e.start}"^^<http://www.w3.org/2001/XMLSchema#nonNegativeInteger>',
                      f'{pos} <{OA}end> "{e.end}"^^<http://www.w3.org/2001/XMLSchema#nonNegativeInteger>']
        else:
            span = f"<{source}#char={e.start},{e.end}>"
            extra.append(f"{ev} <{OA}hasTarget> {span}")
            if encoding != "triple-char-text" and span not in spans:
                spans.add(span)
                extra.append(f"{span} <{OA}exact> {nt_term((e.exact, None, None))}")
        for n, fact in enumerate(st.facts, start=1):
            s, p, o = (nt_term(t) for t in _fact_terms(policy, fact, base))
            if encoding.startswith("triple"):
                extra.append(f"{ev} <{OA}hasBody> <<( {s} {p} {o} )>>")
            else:
                reified = f"<{base}st-{st.id}-{n}>"
                extra += [f"{ev} <{OA}hasBody> {reified}", f"{reified} <{RDF}subject> {s}",
                          f"{reified} <{RDF}predicate> {p}", f"{reified} <{RDF}object> {o}"]
    lines = list(dict.fromkeys(lines + extra))
    return [line + f" <{g_iri}> .\n" for line in lines], len(lines)


# The evidence of one asserted fact (?s ?p ?o bound), and every fact of a policy with its quote.
LOOKUP = {
    "reified-oa": """PREFIX oa: <http://www.w3.org/ns/oa#> PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
        SELECT ?g ?s ?p ?o ?exact WHERE { GRAPH ?g { ?st rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o .
          ?ev oa:hasBody ?st ; oa:hasTarget/oa:hasSelector/oa:exact ?exact } }""",
    "reified-char": """PREFIX oa: <http://www.w3.org/ns/oa#> PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
        SELECT ?g ?s ?p ?o ?exact WHERE { GRAPH ?g { ?st rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o .
          ?ev oa:hasBody ?st ; oa:hasTarget/oa:exact ?exact } }""",
    "triple-oa": """PREFIX oa: <http://www.w3.org/ns/oa#>
        SELECT ?g ?s ?p ?o ?exact WHERE { GRAPH ?g { ?s ?p ?o . ?ev oa:hasBody <<( ?s ?p ?o )>> ;
          oa:hasTarget/oa:hasSelector/oa:exact ?exact } }""",
    "triple-char": """PREFIX oa: <http://www.w3.org/ns/oa#>
        SELECT ?g ?s ?p ?o ?exact WHERE { GRAPH ?g { ?s ?p ?o . ?ev oa:hasBody <<( ?s ?p ?o )>> ; oa:hasTarget/oa:exact ?exact } }""",
    "triple-char-text": """PREFIX oa: <http://www.w3.org/ns/oa#> PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
        PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
        SELECT ?g ?s ?p ?o ?exact WHERE { GRAPH ?g { ?s ?p ?o . ?ev oa:hasBody <<( ?s ?p ?o )>> ; oa:hasTarget ?t .
          BIND(STRAFTER(STR(?t), "#char=") AS ?span) BIND(IRI(STRBEFORE(STR(?t), "#char=")) AS ?src)
          ?src rdf:value ?text .
          BIND(xsd:integer(STRBEFORE(?span, ",")) AS ?start) BIND(xsd:integer(STRAFTER(?span, ",")) AS ?end)
          BIND(SUBSTR(?text, ?start + 1, ?end - ?start) AS ?exact) } }""",
}
ALL_FACTS = {
    "reified-oa": """PREFIX oa: <http://www.w3.org/ns/oa#> PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
        SELECT ?g ?s ?p ?o ?exact WHERE { GRAPH ?g { ?ev oa:hasBody ?st ; oa:hasTarget/oa:hasSelector/oa:exact ?exact .
          ?st rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o } }""",
    "reified-char": """PREFIX oa: <http://www.w3.org/ns/oa#> PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
        SELECT ?g ?s ?p ?o ?exact WHERE { GRAPH ?g { ?ev oa:hasBody ?st ; oa:hasTarget/oa:exact ?exact .
          ?st rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o } }""",
    "triple-oa": """PREFIX oa: <http://www.w3.org/ns/oa#>
        SELECT ?g ?s ?p ?o ?exact WHERE { GRAPH ?g { ?ev oa:hasBody <<( ?s ?p ?o )>> ;
          oa:hasTarget/oa:hasSelector/oa:exact ?exact } }""",
    "triple-char": """PREFIX oa: <http://www.w3.org/ns/oa#>
        SELECT ?g ?s ?p ?o ?exact WHERE { GRAPH ?g { ?ev oa:hasBody <<( ?s ?p ?o )>> ; oa:hasTarget/oa:exact ?exact } }""",
    "triple-char-text": """PREFIX oa: <http://www.w3.org/ns/oa#> PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
        PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
        SELECT ?g ?s ?p ?o ?exact WHERE { GRAPH ?g { ?ev oa:hasBody <<( ?s ?p ?o )>> ; oa:hasTarget ?t .
          BIND(STRAFTER(STR(?t), "#char=") AS ?span) BIND(IRI(STRBEFORE(STR(?t), "#char=")) AS ?src)
          ?src rdf:value ?text .
          BIND(xsd:integer(STRBEFORE(?span, ",")) AS ?start) BIND(xsd:integer(STRAFTER(?span, ",")) AS ?end)
          BIND(SUBSTR(?text, ?start + 1, ?end - ?start) AS ?exact) } }""",
}


def _du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _median_ms(fn, runs: int = 15) -> float:
    fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def measure(policies: list, texts: list[str], encoding: str, scratch: Path) -> dict:
    lines: list[str] = []
    count = 0
    graphs = []
    for policy, text in zip(policies, texts):
        enc, n = encode(policy, encoding, text)
        lines += enc
        count += n
        graphs.append(ox.NamedNode(str(graph_iri(policy))))
    data = "".join(lines).encode("utf-8")
    folder = scratch / f"enc-{encoding}"
    shutil.rmtree(folder, ignore_errors=True)
    cpu0, t0 = time.process_time(), time.perf_counter()
    store = ox.Store(str(folder))
    store.bulk_load(input=io.BytesIO(data), format=ox.RdfFormat.N_QUADS)
    store.flush()
    store.optimize()
    load_s, load_cpu = time.perf_counter() - t0, time.process_time() - cpu0
    store = None
    size = _du(folder)
    store = ox.Store.read_only(str(folder))
    t0 = time.perf_counter()
    read = 0
    for g in graphs:
        read += len(store.dump(format=ox.RdfFormat.N_QUADS, from_graph=g))
    export_s = time.perf_counter() - t0
    # The evidence of one fact: a process's personal data in the middle policy.
    middle = policies[len(policies) // 2]
    g = graphs[len(policies) // 2]
    base = str(graph_iri(middle)) + "#"
    fact = middle.statements[len(middle.statements) // 2].facts[0]
    s, p, o = _fact_terms(middle, fact, base)
    o_term = ox.NamedNode(o) if isinstance(o, str) else ox.Literal(o[0], language=o[1]) if o[1] else (
        ox.Literal(o[0], datatype=ox.NamedNode(o[2])) if o[2] else ox.Literal(o[0]))
    bindings = {"g": g, "s": ox.NamedNode(s), "p": ox.NamedNode(p), "o": o_term}
    answer = [str(r["exact"].value) for r in store.query(LOOKUP[encoding], substitutions={ox.Variable(k): v for k, v in bindings.items()})]
    expected = next(st.evidence.exact for st in middle.statements if fact in st.facts)
    if expected not in answer:
        raise SystemExit(f"{encoding}: the look-up lost the quote ({answer!r} vs {expected!r})")
    lookup_ms = _median_ms(lambda: list(store.query(LOOKUP[encoding], substitutions={ox.Variable(k): v for k, v in bindings.items()})))
    rows = list(store.query(ALL_FACTS[encoding], substitutions={ox.Variable("g"): g}))
    facts_ms = _median_ms(lambda: list(store.query(ALL_FACTS[encoding], substitutions={ox.Variable("g"): g})))
    store = None   # closed before its folder is removed
    shutil.rmtree(folder, ignore_errors=True)
    return {"encoding": encoding, "policies": len(policies), "quads": count, "per_policy": count / len(policies),
            "load_s": load_s, "load_cpu": load_cpu, "store_mb": size / 2**20, "export_read_s": export_s,
            "read_mb": read / 2**20, "lookup_ms": lookup_ms, "facts_ms": facts_ms, "fact_rows": len(rows)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--scratch", type=Path, default=DEFAULT_SCRATCH)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    folder = corpus(args.n, args.scratch)
    policies, texts = [], []
    for card in sorted((folder / "policies").rglob("*.yaml")):
        policy = load_card(card)
        policies.append(policy)
        texts.append((folder / "sources" / policy.source.snapshot).read_text(encoding="utf-8")
                     if (folder / "sources" / policy.source.snapshot).exists()
                     else (card.parent.parent.parent / "sources" / policy.source.snapshot).read_text(encoding="utf-8"))
    scratch = Path(tempfile.mkdtemp(prefix="policykg-enc-", dir=os.environ.get("TMPDIR")))
    results = []
    try:
        for encoding in ENCODINGS:
            results.append(measure(policies, texts, encoding, scratch))
            r = results[-1]
            print(f"{encoding}: {r['per_policy']:.0f} quads/policy, load {r['load_s']:.1f} s ({r['load_cpu']:.1f} CPU-s), "
                  f"store {r['store_mb']:.0f} MiB, export read {r['export_read_s']:.2f} s, "
                  f"look-up {r['lookup_ms']:.2f} ms, all facts {r['facts_ms']:.2f} ms", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    base = results[0]
    out = [f"# Evidence encodings, {len(policies):,} synthetic policies", "",
           f"`python benchmarks/evidence_encodings.py --n {args.n}`; {machine_line(machine())}", "",
           "| encoding | quads per policy | bulk load s (CPU s) | load CPU vs today | store MiB | vs today "
           "| read every graph back s | one fact's evidence ms | a policy's facts with quotes ms |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        out.append(f"| `{r['encoding']}` | {r['per_policy']:.0f} | {r['load_s']:.1f} ({r['load_cpu']:.1f}) "
                   f"| {100 * (r['load_cpu'] / base['load_cpu'] - 1):+.0f} % | {r['store_mb']:.0f} "
                   f"| {100 * (r['store_mb'] / base['store_mb'] - 1):+.0f} % | {r['export_read_s']:.2f} "
                   f"| {r['lookup_ms']:.2f} | {r['facts_ms']:.2f} |")
    text = "\n".join(out) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
