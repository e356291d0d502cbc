"""Serialise policy graphs as Turtle, TriG, N-Quads or JSON-LD, with deterministic bytes.

Quads are sorted before writing, so the same graphs always give the same bytes. JSON-LD is compacted
with the project's context (ontology/context.jsonld), written inline so that the output loads offline.
Files are written atomically: a temporary file beside the target, then a rename.
"""
from __future__ import annotations

import bisect
import io
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from functools import partial
from itertools import groupby
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from . import namespaces as ns
from .errors import KgError, UsageError
from .export_turtle import TurtleWriter, header
from .parallel import can_fork, closing_batches
from .stores.export_cache import EXPORT_CACHE, keep_lines, read_lines


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
        from .export_jsonld import jsonld
        return jsonld(quads, _used_prefixes(quads))
    if fmt.name == "nq":
        return ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
    policy_prefixes = _policy_prefixes(quads)
    writer = TurtleWriter({**ns.PREFIXES, **policy_prefixes})
    if fmt.name == "ttl":  # one graph: the union of the selected graphs
        triples = sorted({q.triple for q in quads}, key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
        body = writer.body(_nt_lines(triples))
    else:
        body = b"".join(writer.body(_nt_lines([q.triple for q in group]), _graph_name(name))
                        for name, group in groupby(quads, key=lambda q: q.graph_name))
    return header({**_known(writer.used), **policy_prefixes}) + body


def _nt_lines(triples: list[ox.Triple]) -> list[bytes]:
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).split(b"\n")[:-1]


def _graph_name(name) -> str | None:
    return name.value if isinstance(name, ox.NamedNode) else None   # the default graph: outside any block


def _known(used: set[str]) -> dict[str, str]:
    """The known prefixes named in `used`, in PREFIXES order."""
    return {p: iri for p, iri in ns.PREFIXES.items() if p in used}


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


# Datatypes that Turtle and N-Triples never write (a plain or language-tagged literal).
_IMPLICIT = {"http://www.w3.org/2001/XMLSchema#string", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString",
             "http://www.w3.org/1999/02/22-rdf-syntax-ns#dirLangString"}


def _used_prefixes(quads) -> dict[str, str]:
    """The known prefixes whose namespace some IRI of the output is in (in PREFIXES order)."""
    namespaces = set()
    for q in quads:
        for term in (q.subject, q.predicate, q.object, q.graph_name):
            iri = term.value if isinstance(term, ox.NamedNode) else (
                term.datatype.value if isinstance(term, ox.Literal) and term.datatype.value not in _IMPLICIT
                else None)
            if iri:
                cut = max(iri.rfind("#"), iri.rfind("/")) + 1
                namespaces.add(iri[:cut])
    return {p: iri for p, iri in ns.PREFIXES.items() if iri in namespaces}


def store_quads(store, graphs: Iterable[str]) -> list[ox.Quad]:
    """The quads of the named graphs `graphs` of a store (a PolicyStore or a pyoxigraph Store)."""
    out: list[ox.Quad] = []
    for g in graphs:
        out += list(store.quads_for_pattern(None, None, None, ox.NamedNode(g)))
    return out


def export_store(store, fmt: ExportFormat, policies: list[str] | None = None,
                 include_vocabulary: bool = False, *, reified: bool = False) -> bytes:
    """The selected policies (all by default) of a store, serialised (in memory; `write_store` streams)."""
    buffer = io.BytesIO()
    write_store(store, fmt, buffer, policies, include_vocabulary, reified=reified)
    return buffer.getvalue()


def write_store(store, fmt: ExportFormat, out: BinaryIO, policies: list[str] | None = None,
                include_vocabulary: bool = False, *, store_path: str | Path | None = None,
                workers: int | None = None, reified: bool = False) -> None:
    """Write the selected policies (all by default) of a store to the binary stream `out`. The store is a
    PolicyStore (the embedded store or a SPARQL endpoint: the same bytes for the same graphs), an open
    pyoxigraph Store, or a location (kg.stores.as_store). Turtle, TriG and N-Quads are streamed graph by
    graph: memory holds one graph at a time (plus the few triples whose subject is outside their own graph's
    namespace), whatever the size of the store. Given the embedded store's path, `workers` processes
    (default: one per core) read and write the graphs of a large export. The evidence is written as stored,
    with RDF 1.2 triple terms, unless `reified` (or JSON-LD, which has no triple terms): then in its RDF 1.1
    form, each triple term an rdf:Statement (kg.evidence), in memory."""
    from .inventory import select_policies, vocabulary_graphs
    from .stores import as_store

    store = as_store(store)
    graphs = [p.graph for p in select_policies(store, policies)]
    if include_vocabulary:
        graphs += vocabulary_graphs(store)
    if not graphs:
        remote = store.kind == "sparql"
        raise KgError("the store holds no policy" + (f" ({store})" if remote else ""), str(store) if remote else None,
                      "upload policies to it first ('policykg push')" if remote else "run 'policykg build' first",
                      error_id="empty-store")
    if store.kind != "embedded":
        store_path = None   # worker processes open the embedded store's folder; a remote store is read here
    if fmt.name == "jsonld":
        out.write(serialize(store_quads(store, graphs), fmt))
    elif reified:
        from .evidence import reify
        out.write(serialize(reify(store_quads(store, graphs)), fmt))
    else:
        write_graphs(store, graphs, fmt, out, store_path=store_path, workers=workers)


# The fast path for Turtle, TriG and N-Quads: the same bytes as `serialize`, without a Python object per quad
# and without holding the store in memory. Each graph's N-Triples lines come sorted from the export cache (the
# build keeps them: kg.stores.export_cache) or from the store; sorting those lines as bytes is sorting the
# triples by (str(subject), str(predicate), str(object)) as `serialize` does (UTF-8 byte order is code point
# order, and a term is never a prefix of another term followed by a character below the separating space).
# The texts written from them go to a temporary spool file, streamed after the header.

def _graph_lines(store, graph: str, kept: Path | None = None) -> list[bytes]:
    """The N-Triples lines of one graph, sorted (the embedded store dumps them; a remote store's triples are
    serialised here, which gives the same lines for the same triples). With `kept` (the embedded store's
    export cache, kg.stores.export_cache), the lines kept there are read instead, and new ones kept."""
    # `policykg reason` rewrites a policy's /inferred graph in place: those are read from the store each time
    if kept is not None and not graph.endswith("/inferred"):
        lines = read_lines(kept, graph)
        if lines is not None:
            return lines
    data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))
    lines = data.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    lines.sort()
    if kept is not None and not graph.endswith("/inferred"):
        keep_lines(kept, graph, lines)
    return lines


def export_cache(store) -> Path | None:
    """The export cache of the generation an embedded store opened (None for another store, or a folder
    that is not a generation a build made)."""
    from .stores.oxigraph import generation_file
    return generation_file(store, EXPORT_CACHE)


# Reading a graph out of the on-disk store (RocksDB string lookups) and serialising it are most of an export's
# time, so a large export does both in worker processes, each with its own read-only handle on the store.
_PARALLEL_MIN_GRAPHS = 64
_GRAPH_BATCH = 16
_worker_job = None     # (store path, export cache, what to make of a graph): set before the workers fork
_worker_store = None


def _run_job(graphs: list[str]) -> list:
    global _worker_store
    path, kept, make = _worker_job
    if _worker_store is None:
        _worker_store = ox.Store.read_only(path)
    return [make(_worker_store, g, kept) for g in graphs]


def _per_graph(store, graphs: list[str], make, store_path, workers: int | None, *, parallel: bool = True
               ) -> Iterator[tuple[str, object]]:
    """(graph, make(store, graph, export cache)) for each graph, in order: in `workers` forked processes
    (default: one per core) for a large export of the embedded store (given its path), else here."""
    global _worker_job
    workers = workers if workers is not None else (os.cpu_count() or 1)
    kept = export_cache(store)
    if parallel and store_path is not None and workers > 1 and len(graphs) >= _PARALLEL_MIN_GRAPHS and can_fork():
        # the workers open the generation the parent reads (a build may have swapped the link since)
        _worker_job = (str(kept.parent if kept is not None else Path(store_path).resolve()), kept, make)
        batches = [graphs[i:i + _GRAPH_BATCH] for i in range(0, len(graphs), _GRAPH_BATCH)]
        try:
            with closing_batches(_run_job, batches, workers) as made:
                for batch, results in zip(batches, made):
                    yield from zip(batch, results)
        finally:
            _worker_job = None   # the writer it holds remembers IRIs: not kept past the export
        return
    for g in graphs:
        yield g, make(store, g, kept)


def write_graphs(store, graphs: list[str], fmt: ExportFormat, out: BinaryIO, *,
                 store_path: str | Path | None = None, workers: int | None = None) -> None:
    """Turtle, TriG or N-Quads of the named graphs `graphs` of `store`, streamed to `out`."""
    ordered = sorted(set(graphs), key=lambda g: f"<{g}>")
    if fmt.name == "nq":
        with closing(_per_graph(store, ordered, _graph_nquads, store_path, workers)) as read:
            for _, data in read:   # closing: an error ends the workers
                out.write(data)
        return
    policy_prefixes = _policy_prefixes_of(ordered)
    writer = TurtleWriter({**ns.PREFIXES, **policy_prefixes})
    # Each graph's text is written alone (kg.export_turtle: a block never depends on the other graphs), in
    # the worker processes for a large export; here, the texts are spooled, then written after the header
    make = partial(_graph_pieces, writer=writer, trig=fmt.name == "trig")
    used: set[str] = set()
    pieces: list[_Piece] = []
    with tempfile.TemporaryFile(prefix="policykg-export-") as spool, \
            closing(_per_graph(store, ordered, make, store_path, workers)) as made:
        for g, (graph_used, graph_pieces) in made:   # closing: an error ends the workers
            used |= graph_used
            for first, last, part, text in graph_pieces:
                pieces.append(_Piece(first, last, g, part, spool.tell(), len(text)))
                spool.write(text)
        if fmt.name == "trig":
            out.write(header({**_known(used), **policy_prefixes}))
            spool.seek(0)
            for block in iter(lambda: spool.read(1 << 20), b""):
                out.write(block)
            return
        # Turtle: one graph, the union of the selected graphs, sorted, without duplicates. Each graph gave its
        # lines in runs (before its own namespace <g#...>, in it, after it), each written alone; runs whose
        # subjects do not meet another's follow each other as written, and runs that do (another graph
        # states something of the same subjects) are merged and written again here.
        pieces.sort(key=lambda piece: (piece.first, piece.last))
        writer.used = used
        chunks: list[bytes | _Piece] = []   # what follows the header: text, or a piece's text in the spool
        kept = export_cache(store)
        i = 0
        while i < len(pieces):
            j, last = i + 1, pieces[i].last
            while j < len(pieces) and pieces[j].first <= last:
                last = max(last, pieces[j].last)
                j += 1
            if j == i + 1:
                chunks.append(pieces[i])
            else:
                lines = [line for piece in pieces[i:j] for line in piece.read_lines(store, kept)]
                chunks.append(writer.body(list(_unique(sorted(lines)))))
            i = j
        out.write(header({**_known(writer.used), **policy_prefixes}))   # merged runs may use more
        for chunk in chunks:
            if isinstance(chunk, _Piece):
                spool.seek(chunk.offset)
                out.write(spool.read(chunk.length))
            else:
                out.write(chunk)


@dataclass
class _Piece:
    """A run of a graph's sorted lines (Turtle), its text in the spool: `first` and `last`, its first and
    last subjects; `part`, which of the graph's runs it is (`_runs`). Its lines are read again only when a
    merge needs them, so memory holds no line, whatever the size of the export."""
    first: bytes
    last: bytes
    graph: str
    part: int
    offset: int
    length: int

    def read_lines(self, store, kept: Path | None) -> list[bytes]:
        return _runs(_graph_lines(store, self.graph, kept), self.graph)[self.part]


def _runs(lines: list[bytes], graph: str) -> tuple[list[bytes], list[bytes], list[bytes]]:
    """A graph's sorted lines before its own namespace (<g#...>), in it, and after it."""
    own = f"<{graph}#".encode("utf-8")
    start = bisect.bisect_left(lines, own)
    end = bisect.bisect_left(lines, own[:-1] + b"$", start)   # "$" follows "#": past the last <g#… line
    return lines[:start], lines[start:end], lines[end:]


def _graph_pieces(store, graph: str, kept: Path | None, *, writer: TurtleWriter, trig: bool
                  ) -> tuple[set[str], list[tuple[bytes, bytes, int, bytes]]]:
    """(the known prefixes the writer used so far (for the header), the graph's runs: (first subject, last
    subject, which run, the text)). TriG: one run, the graph's block; Turtle: the lines before the graph's
    own namespace (<g#...>), in it and after it, each a run when there are some."""
    lines = _graph_lines(store, graph, kept)
    if not lines:
        return writer.used, []
    if trig:
        return writer.used, [(b"", b"", 0, writer.body(lines, graph))]
    return writer.used, [(_subject(run[0]), _subject(run[-1]), part, writer.body(run))
                         for part, run in enumerate(_runs(lines, graph)) if run]


def _subject(line: bytes) -> bytes:
    return line[:line.index(b" ")]


def _graph_nquads(store, graph: str, kept: Path | None) -> bytes:
    """The N-Quads of one graph, its lines sorted."""
    tail = f" <{graph}> .\n".encode("utf-8")
    return b"".join(line[:-2] + tail for line in _graph_lines(store, graph, kept))   # "s p o ." -> "s p o <g> ."


def _unique(lines: Iterable[bytes]) -> Iterator[bytes]:
    last = None
    for line in lines:
        if line != last:
            yield line
            last = line
