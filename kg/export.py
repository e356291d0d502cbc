"""Serialise policy graphs as Turtle, TriG, N-Quads or JSON-LD, with deterministic bytes.

Quads are sorted before writing, so the same graphs always give the same bytes. JSON-LD is compacted
with the project's context (ontology/context.jsonld), written inline so that the output loads offline.
Files are written atomically: a temporary file beside the target, then a rename.
"""
from __future__ import annotations

import bisect
import io
import json
import os
import re
import tempfile
import threading
import zlib
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from . import namespaces as ns
from .errors import KgError, UsageError
from .parallel import can_fork, closing_batches


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
        from .export_jsonld import jsonld
        return jsonld(quads, _used_prefixes(quads))
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
    (default: one per core) read and sort the graphs of a large export. The evidence is written as stored,
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
# and without holding the store in memory. The store dumps each graph as N-Triples; sorting those lines as
# bytes is sorting the triples by (str(subject), str(predicate), str(object)) as `serialize` does (UTF-8
# byte order is code point order, and a term is never a prefix of another term followed by a character below
# the separating space). The sorted lines go to a temporary spool file, which the serialiser then streams.

def _graph_lines(store, graph: str, kept: Path | None = None) -> list[bytes]:
    """The N-Triples lines of one graph, sorted (the embedded store dumps them; a remote store's triples are
    serialised here, which gives the same lines for the same triples). With `kept` (the embedded store's
    export cache), the lines an earlier export kept are read from there, and new ones kept."""
    from .stores.oxigraph import export_cache_file
    # `policykg reason` rewrites a policy's /inferred graph in place: those are read from the store each time
    cached = kept / export_cache_file(graph) if kept is not None and not graph.endswith("/inferred") else None
    if cached is not None:
        try:
            data = zlib.decompress(cached.read_bytes())
            return data.split(b"\n")[:-1] if data else []
        except (OSError, zlib.error):
            pass
    data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))
    lines = data.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    lines.sort()
    if cached is not None:
        _keep(cached, b"".join(line + b"\n" for line in lines))
    return lines


# Reading a graph back from RocksDB is most of an export's time (issue 18: ~5 µs a quad), so an export of the
# embedded store keeps each graph's sorted lines (and serialised bodies) in the generation it read
# (`export-cache/`, zlib); a rebuild links the files of the graphs it kept (kg.stores.oxigraph.StoreBuilder).


def export_cache(store) -> Path | None:
    """The export cache of the generation an embedded store opened (None for another store, or a folder
    that is not a generation a build made)."""
    from .stores.oxigraph import EXPORT_CACHE, MARKER
    generation = getattr(store, "generation", None)
    return generation / EXPORT_CACHE if generation is not None and (generation / MARKER).is_file() else None


def _keep(path: Path, data: bytes) -> None:
    """Best effort: a read-only or full disk only costs the next export its time. Written beside, then
    renamed (the temporary name is this process's and thread's own)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}")
    try:
        try:
            f = open(tmp, "wb")
        except FileNotFoundError:
            path.parent.mkdir(exist_ok=True)
            f = open(tmp, "wb")
        with f:
            f.write(zlib.compress(data, 1))
        os.replace(tmp, path)
    except OSError:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass


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
        with closing_batches(_run_job, batches, workers) as made:
            for batch, results in zip(batches, made):
                yield from zip(batch, results)
        return
    for g in graphs:
        yield g, make(store, g, kept)


class _PrefixScan:
    """`_used_prefixes` on N-Triples text, fed graph by graph: the known namespaces some IRI of the text is
    directly in (`<` + namespace + a local part without '#', '/' or '>' + `>`). A namespace once found is not
    searched for again. `bytes.find` and a match at each hit: a regular expression per namespace read every
    graph's text 22 times (1.8 µs a line against 0.4)."""

    def __init__(self) -> None:
        self._left = {prefix: b"<" + iri.encode("utf-8") for prefix, iri in ns.PREFIXES.items()}
        self.found: set[str] = set()

    def feed(self, blob: bytes) -> None:
        for prefix, needle in list(self._left.items()):
            at = blob.find(needle)
            while at >= 0:
                if _LOCAL_PART.match(blob, at + len(needle)):
                    self.found.add(prefix)
                    del self._left[prefix]
                    break
                at = blob.find(needle, at + 1)

    def add(self, prefixes) -> None:
        """Prefixes found elsewhere (a graph's export-cache record)."""
        self.found.update(prefixes)

    def prefixes(self) -> dict[str, str]:
        return {p: iri for p, iri in ns.PREFIXES.items() if p in self.found}  # in PREFIXES order


_LOCAL_PART = re.compile(b"[^#/>]*>")


def write_graphs(store, graphs: list[str], fmt: ExportFormat, out: BinaryIO, *,
                 store_path: str | Path | None = None, workers: int | None = None) -> None:
    """Turtle, TriG or N-Quads of the named graphs `graphs` of `store`, streamed to `out`."""
    ordered = sorted(set(graphs), key=lambda g: f"<{g}>")
    if fmt.name == "nq":
        with closing(_per_graph(store, ordered, _graph_lines, store_path, workers)) as read:
            for g, lines in read:   # closing: an error ends the workers
                tail = f" <{g}> .\n".encode("utf-8")
                out.write(b"".join(line[:-2] + tail for line in lines))  # "s p o ." -> "s p o <g> ."
        return
    policy_prefixes = _policy_prefixes_of(ordered)
    name_of = {iri: name for name, iri in policy_prefixes.items()}
    kept = export_cache(store)
    # Each graph's body is serialised alone, with only the prefixes its own lines use, and kept in the export
    # cache (keyed by its policy prefix's name, which depends on the selection) with the prefixes it uses and,
    # for Turtle, its lines about other subjects: the next export of the same graphs reads only those (issue
    # 18: the serialiser, ~10 µs a triple, and reading the lines, ~2 µs, were the floor)
    order = ordered if fmt.name == "trig" else sorted(set(graphs), key=lambda g: f"<{g}#")
    # once every part is kept, reading them here is faster than sending them back from workers
    cached = kept is not None and all(_part_file(kept, g, fmt, name_of).is_file() for g in order)
    make = partial(_graph_part, fmt=fmt, name_of=name_of)
    scan = _PrefixScan()
    scan.feed("\n".join(f"<{g}>" for g in ordered).encode("utf-8"))
    foreign: list[bytes] = []
    bodies: list[tuple[str, int, int]] = []   # graph, offset and length of its body in the spool
    with tempfile.TemporaryFile(prefix="policykg-export-") as spool, \
            closing(_per_graph(store, order, make, store_path, workers, parallel=not cached)) as parts:
        for g, (used, others, body) in parts:   # closing: an error ends the workers
            scan.add(used)
            foreign += others
            bodies.append((g, spool.tell(), len(body)))
            spool.write(body)
        out.write(_header(fmt, {**scan.prefixes(), **policy_prefixes}))
        if fmt.name == "trig":
            spool.seek(0)
            for block in iter(lambda: spool.read(1 << 20), b""):
                out.write(block)
            return
        # Turtle: one graph, the union of the selected graphs, sorted, without duplicates. The lines whose
        # subject is in a graph's own namespace (<g#...>) fill one range per graph, and those ranges follow
        # each other in the order of "<g#"; the other lines (sources, vocabulary, foreign subjects) are few
        # and kept in memory, then serialised between the ranges where they sort.
        foreign = list(_unique(sorted(foreign)))
        at = 0
        for g, offset, length in bodies:
            own = f"<{g}#".encode("utf-8")
            start = bisect.bisect_left(foreign, own, lo=at)
            out.write(_lines_body(foreign[at:start], fmt, name_of))
            end = start
            while end < len(foreign) and foreign[end].startswith(own):
                end += 1
            if end > start:   # another graph states something of this graph's nodes: merged into its range
                mine = [line for line in _graph_lines(store, g, kept) if line.startswith(own)]
                out.write(_lines_body(list(_unique(sorted(mine + foreign[start:end]))), fmt, name_of))
            else:
                spool.seek(offset)
                out.write(spool.read(length))
            at = end
        out.write(_lines_body(foreign[at:], fmt, name_of))


def _part_file(kept: Path, graph: str, fmt: ExportFormat, name_of: dict[str, str]) -> Path:
    from .stores.oxigraph import export_cache_file
    return kept / export_cache_file(graph, f"{fmt.name}-{name_of.get(f'{graph}#', '')}")


def _graph_part(store, graph: str, kept: Path | None, *, fmt: ExportFormat, name_of: dict[str, str]
                ) -> tuple[set[str], list[bytes], bytes]:
    """(the known prefixes the graph's lines use, for Turtle its lines whose subject is not in its own
    namespace, the serialised body without prefix lines: TriG, the graph's block; Turtle, its own
    subjects' triples). Read from the export cache when an earlier export kept it, else made and kept."""
    cached = _part_file(kept, graph, fmt, name_of) if kept is not None and not graph.endswith("/inferred") \
        else None
    if cached is not None:
        try:
            head, body = zlib.decompress(cached.read_bytes()).split(b"\n", 1)
            meta = json.loads(head)
            return set(meta["prefixes"]), [line.encode("utf-8") for line in meta["foreign"]], body
        except (OSError, zlib.error, ValueError, KeyError):
            pass
    lines = _graph_lines(store, graph, kept)
    if fmt.name == "trig":
        tail = f" <{graph}> .\n".encode("utf-8")
        foreign = []
        used, body = _text_body(b"".join(line[:-2] + tail for line in lines), fmt, name_of, ox.RdfFormat.N_QUADS)
    else:
        own = f"<{graph}#".encode("utf-8")
        mine = [line for line in lines if line.startswith(own)]
        foreign = [line for line in lines if not line.startswith(own)] if len(mine) < len(lines) else []
        used, body = _text_body(b"\n".join(mine) + b"\n" if mine else b"", fmt, name_of)
        if foreign:
            scan = _PrefixScan()
            scan.feed(b"\n".join(foreign))
            used |= scan.found
    if cached is not None:
        meta = {"prefixes": sorted(used), "foreign": [line.decode("utf-8") for line in foreign]}
        _keep(cached, json.dumps(meta, ensure_ascii=False).encode("utf-8") + b"\n" + body)
    return used, foreign, body


def _lines_body(lines: list[bytes], fmt: ExportFormat, name_of: dict[str, str]) -> bytes:
    """The serialiser's body for these sorted N-Triples lines, without its prefix lines."""
    return _text_body(b"".join(line if line.endswith(b"\n") else line + b"\n" for line in lines), fmt, name_of)[1]


def _text_body(text: bytes, fmt: ExportFormat, name_of: dict[str, str], kind=ox.RdfFormat.N_TRIPLES
               ) -> tuple[set[str], bytes]:
    """(the known prefixes the text uses, the serialiser's body for the text, with those prefixes and the
    policy prefixes the text uses, without its prefix lines)."""
    if not text:
        return set(), b""
    scan = _PrefixScan()
    scan.feed(text)
    # a graph's text names its own policy's nodes hundreds of times and another's rarely: the few other
    # namespaces are searched for once the most frequent is taken out
    first = _POLICY_NAMESPACE.search(text)
    namespaces = set(_POLICY_NAMESPACE.findall(text.replace(first.group(0), b""))) | {first.group(1)} \
        if first else set()
    mine = {name_of[iri]: iri for iri in sorted(m.decode("utf-8") for m in namespaces) if iri in name_of}
    prefixes = {**scan.prefixes(), **mine}
    body = ox.serialize(ox.parse(text, format=kind), format=_OX[fmt.name], prefixes=prefixes)
    at = 0
    for _ in prefixes:   # the serialiser writes one "@prefix" line for each prefix, first
        if not body.startswith(b"@prefix ", at):
            raise RuntimeError("unexpected Turtle/TriG serialiser output: a prefix line is missing")
        at = body.index(b"\n", at) + 1
    return scan.found, body[at:]


_POLICY_NAMESPACE = re.compile(b"<(" + re.escape(ns.POLICY_BASE.encode("utf-8")) + b"[^#>]*#)")


# Oxigraph's Turtle and TriG serialisers try every prefix on every IRI, so one document with a prefix per
# policy (10k of them) is quadratic: 230 s for 10k policies. Each body is serialised with only the prefixes
# its lines use; the bodies, after the one header of every prefix, are the bytes of the whole.
_PROBE = [ox.Triple(ox.NamedNode("urn:policykg:probe"), ox.NamedNode("urn:policykg:probe"),
                    ox.NamedNode("urn:policykg:probe"))]


def _header(fmt: ExportFormat, prefixes: dict[str, str]) -> bytes:
    """The @prefix lines the serialiser writes for `prefixes` (in its own order: it writes none for an
    empty document, so they are cut from a one-triple document)."""
    with_prefixes = ox.serialize(_PROBE, format=_OX[fmt.name], prefixes=prefixes)
    alone = ox.serialize(_PROBE, format=_OX[fmt.name])
    return with_prefixes[:-len(alone)]


def _unique(lines: Iterable[bytes]) -> Iterator[bytes]:
    last = None
    for line in lines:
        if line != last:
            yield line
            last = line
