"""Serialise policy graphs as Turtle, TriG, N-Quads or JSON-LD, with deterministic bytes.

Quads are sorted before writing, so the same graphs always give the same bytes. JSON-LD is compacted
with the project's context (ontology/context.jsonld), written inline so that the output loads offline.
Files are written atomically: a temporary file beside the target, then a rename.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from . import namespaces as ns
from .errors import KgError, UsageError


@dataclass(frozen=True)
class ExportFormat:
    name: str
    media_type: str
    extension: str
    datasets: bool     # keeps named graphs


FORMATS: dict[str, ExportFormat] = {
    "ttl": ExportFormat("ttl", "text/turtle", ".ttl", False),
    "trig": ExportFormat("trig", "application/trig", ".trig", True),
    "nq": ExportFormat("nq", "application/n-quads", ".nq", True),
    "jsonld": ExportFormat("jsonld", "application/ld+json", ".jsonld", True),
}
_OX = {"ttl": ox.RdfFormat.TURTLE, "trig": ox.RdfFormat.TRIG, "nq": ox.RdfFormat.N_QUADS}


def format_for(name: str | None, out: str | Path | None) -> ExportFormat:
    """The format named, or the one the output file's extension implies."""
    if name:
        if name not in FORMATS:
            raise UsageError(f"unknown export format '{name}'", None, "use one of " + ", ".join(FORMATS),
                             error_id="unknown-format")
        return FORMATS[name]
    if out:
        for fmt in FORMATS.values():
            if str(out).endswith(fmt.extension):
                return fmt
    raise UsageError("no export format given", None, "add --format ttl|trig|nq|jsonld", error_id="unknown-format")


def _sort_key(q: ox.Quad) -> tuple:
    return (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object))


def serialize(quads: Iterable[ox.Quad], fmt: ExportFormat) -> bytes:
    quads = sorted(set(quads), key=_sort_key)
    if fmt.name == "jsonld":
        return _jsonld(quads)
    prefixes = {**_used_prefixes(quads), **_policy_prefixes(quads)}
    if fmt.name == "ttl":  # one graph: the union of the selected graphs
        triples = sorted({q.triple for q in quads}, key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
        return ox.serialize(triples, format=_OX["ttl"], prefixes=prefixes)
    return ox.serialize(quads, format=_OX[fmt.name], prefixes=prefixes if fmt.name == "trig" else None)


def _policy_prefixes(quads) -> dict[str, str]:
    return _policy_prefixes_of(q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode))


def _policy_prefixes_of(graph_iris: Iterable[str]) -> dict[str, str]:
    """A prefix per policy graph (`whiteprovider:` for <…/policy/whiteprovider/2024-05-19#>), so that
    Turtle and TriG name nodes `whiteprovider:retention`; the version is added when a slug has several."""
    graphs = sorted({g for g in graph_iris if g.startswith(ns.POLICY_BASE)})
    versions: dict[str, list[str]] = {}
    for g in graphs:
        slug, _, version = g.removeprefix(ns.POLICY_BASE).partition("/")
        versions.setdefault(slug, []).append(version)
    out = {}
    for slug, vs in versions.items():
        name = slug if slug[:1].isalpha() and slug not in ns.PREFIXES else f"p-{slug}"
        for v in vs:
            out[name if len(vs) == 1 else f"{name}-{v.replace('-', '')}"] = f"{ns.POLICY_BASE}{slug}/{v}#"
    return out


def _used_prefixes(quads) -> dict[str, str]:
    """The known prefixes whose namespace some IRI of the output is in (in PREFIXES order)."""
    namespaces = set()
    for q in quads:
        for term in (q.subject, q.predicate, q.object, q.graph_name):
            iri = term.value if isinstance(term, ox.NamedNode) else (
                term.datatype.value if isinstance(term, ox.Literal) and term.datatype else None)
            if iri:
                cut = max(iri.rfind("#"), iri.rfind("/")) + 1
                namespaces.add(iri[:cut])
    return {p: iri for p, iri in ns.PREFIXES.items() if iri in namespaces}


def _jsonld(quads: list[ox.Quad]) -> bytes:
    """Compact JSON-LD with the project context inline (rdflib's serializer does the compaction)."""
    from rdflib import Dataset, URIRef

    from .resources import ontology_dir
    from .stores.oxigraph import from_ox

    full = json.loads((ontology_dir() / "context.jsonld").read_text(encoding="utf-8"))["@context"]
    context = _context_for(full, quads)
    ds = Dataset()
    for q in quads:
        g = ds.graph(URIRef(q.graph_name.value)) if isinstance(q.graph_name, ox.NamedNode) else ds.default_graph
        g.add((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)))
    text = ds.serialize(format="json-ld", context=context, auto_compact=True, sort_keys=True, indent=1)
    doc = json.loads(text)
    return (json.dumps(_sorted_doc(doc), ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")


def _context_for(full: dict, quads: list[ox.Quad]) -> dict:
    """The project context cut down to what the document uses: its namespaces, and the term definitions
    of the properties that occur (the full context defines every DPV property)."""
    prefixes = _used_prefixes(quads)
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


def store_quads(store: ox.Store, graphs: Iterable[str]) -> list[ox.Quad]:
    out: list[ox.Quad] = []
    for g in graphs:
        out += list(store.quads_for_pattern(None, None, None, ox.NamedNode(g)))
    return out


def export_store(store: ox.Store, fmt: ExportFormat, policies: list[str] | None = None,
                 include_vocabulary: bool = False) -> bytes:
    """The selected policies (all by default) of a store, serialised."""
    from .inventory import select_policies, vocabulary_graphs

    graphs = [p.graph for p in select_policies(store, policies)]
    if include_vocabulary:
        graphs += vocabulary_graphs(store)
    if not graphs:
        raise KgError("the store holds no policy", None, "run 'policykg build' first", error_id="empty-store")
    if fmt.name == "jsonld":
        return serialize(store_quads(store, graphs), fmt)
    return _serialize_sorted_lines(store, graphs, fmt)


# The fast path for Turtle, TriG and N-Quads: the same bytes as `serialize`, without a Python object per quad.
# The store dumps each graph as N-Triples; sorting those lines as bytes is sorting the triples by
# (str(subject), str(predicate), str(object)) as `serialize` does (UTF-8 byte order is code point order, and
# a term is never a prefix of another term followed by a character below the separating space).

def _graph_lines(store: ox.Store, graph: str) -> list[bytes]:
    data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))
    lines = data.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    lines.sort()
    return lines


def _line_prefixes(blobs: list[bytes]) -> dict[str, str]:
    """`_used_prefixes` on N-Triples text: the known namespaces some IRI of the text is directly in."""
    import re
    used = {}
    for prefix, iri in ns.PREFIXES.items():
        pattern = re.compile(b"<" + re.escape(iri.encode("utf-8")) + b"[^#/>]*>")
        if any(pattern.search(blob) for blob in blobs):
            used[prefix] = iri
    return used


def _serialize_sorted_lines(store: ox.Store, graphs: list[str], fmt: ExportFormat) -> bytes:
    ordered = sorted(set(graphs), key=lambda g: f"<{g}>")
    per_graph = [(g, _graph_lines(store, g)) for g in ordered]
    if fmt.name == "nq":
        out = []
        for g, lines in per_graph:
            tail = f" <{g}> .".encode("utf-8")
            out += [line[:-2] + tail for line in lines]  # "s p o ." -> "s p o <g> ."
        return b"\n".join(out) + (b"\n" if out else b"")
    blobs = [b"\n".join(lines) for _, lines in per_graph]
    graph_names = "\n".join(f"<{g}>" for g in ordered).encode("utf-8")
    prefixes = {**_line_prefixes(blobs + [graph_names]), **_policy_prefixes_of(ordered)}
    if fmt.name == "ttl":  # one graph: the union of the selected graphs, without duplicates
        import heapq
        merged, last = [], None
        for line in heapq.merge(*(lines for _, lines in per_graph)):
            if line != last:
                merged.append(line)
                last = line
        del per_graph, blobs
        text = b"\n".join(merged) + b"\n"
        del merged
        return ox.serialize(ox.parse(text, format=ox.RdfFormat.N_TRIPLES), format=_OX["ttl"], prefixes=prefixes)
    text = b"".join(
        b"".join(line[:-2] + f" <{g}> .\n".encode("utf-8") for line in lines) for g, lines in per_graph)
    del per_graph, blobs
    return ox.serialize(ox.parse(text, format=ox.RdfFormat.N_QUADS), format=_OX["trig"], prefixes=prefixes)
