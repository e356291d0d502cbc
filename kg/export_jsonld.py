"""JSON-LD export (kg.export): compact JSON-LD with the project's context inline, cut down to what the
document uses, its @graph arrays sorted so that the same graphs always give the same bytes. The evidence is
given in its RDF 1.1 form (JSON-LD has no triple terms: kg.evidence)."""
from __future__ import annotations

import json

import pyoxigraph as ox

from . import namespaces as ns


def jsonld(quads: list[ox.Quad], prefixes: dict[str, str]) -> bytes:
    """Compact JSON-LD with the project context inline (rdflib's serializer does the compaction); `prefixes`:
    the known prefixes the quads use (kg.export)."""
    from rdflib import Dataset, URIRef

    from .resources import ontology_dir
    from .terms import rdflib_graph

    full = json.loads((ontology_dir() / "context.jsonld").read_text(encoding="utf-8"))["@context"]
    context = _context_for(full, quads, prefixes)
    ds = Dataset()
    by_graph: dict = {}
    for q in quads:
        by_graph.setdefault(q.graph_name, []).append(q)
    for name, graph_quads in by_graph.items():   # rdflib_graph gives the evidence's RDF 1.1 form
        g = ds.graph(URIRef(name.value)) if isinstance(name, ox.NamedNode) else ds.default_graph
        rdflib_graph(graph_quads, into=g)
    text = ds.serialize(format="json-ld", context=context, auto_compact=True, sort_keys=True, indent=1)
    doc = json.loads(text)
    return (json.dumps(_sorted_doc(doc), ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")


def _context_for(full: dict, quads: list[ox.Quad], prefixes: dict[str, str]) -> dict:
    """The project context cut down to what the document uses: its namespaces, and the term definitions
    of the properties that occur (the full context defines every DPV property)."""
    predicates = {ns.shorten(q.predicate.value) for q in quads}
    context = {"@version": full.get("@version", 1.1)}
    for key, value in full.items():
        if key.startswith("@"):
            continue
        if isinstance(value, str) and key in prefixes:
            context[key] = value
        elif isinstance(value, dict) and key in predicates:
            context[key] = value
    return context


def _sorted_doc(doc):
    """Order @graph arrays by @id so that the bytes do not depend on rdflib's traversal order."""
    if isinstance(doc, dict):
        out = {k: _sorted_doc(v) for k, v in doc.items() if k != "@context"}
        if "@context" in doc:
            out["@context"] = doc["@context"]
        return out
    if isinstance(doc, list):
        return sorted((_sorted_doc(v) for v in doc), key=lambda i: json.dumps(i, sort_keys=True, ensure_ascii=False))
    return doc
