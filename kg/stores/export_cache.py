"""The export cache of a store generation: each graph's sorted N-Triples lines, as the store dumps them.

Reading a graph back out of RocksDB is most of an export's time (issue 18: ~5-10 µs a quad), so the lines
are kept beside the store, one zlib file per graph in the generation's `export-cache/` folder:
- the build writes them for every card it maps, from the N-Quads it hands the bulk loader, put in the form
  the store gives back (`stored_lines`), so that the first export after a build reads no graph from RocksDB;
- an export keeps the lines of any other graph it reads (a policy of an RDF file, the vocabulary);
- a rebuild that keeps graphs keeps their files (hard links, kg.stores.oxigraph.StoreBuilder).
A graph whose lines cannot be told without the store (blank nodes: the loader renames them) has no file
until an export reads it. Writes are best effort: the cache only saves time.
"""
from __future__ import annotations

import hashlib
import os
import re
import threading
import zlib
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox

EXPORT_CACHE = "export-cache"


def export_cache_file(graph: str) -> str:
    """The name of a graph's file in the export cache (the start of the SHA-256 of its IRI)."""
    return hashlib.sha256(graph.encode("utf-8")).hexdigest()[:40] + ".nt.z"


def read_lines(kept: Path, graph: str) -> list[bytes] | None:
    """The lines kept for `graph` in the export cache folder `kept`, or None."""
    try:
        data = zlib.decompress((kept / export_cache_file(graph)).read_bytes())
    except (OSError, zlib.error):
        return None
    return data.split(b"\n")[:-1] if data else []


def keep_lines(kept: Path, graph: str, lines: list[bytes]) -> None:
    """Keep a graph's sorted lines: written beside, then renamed (the temporary name is this process's and
    thread's own). A read-only or full disk only costs the next export its time."""
    path = kept / export_cache_file(graph)
    tmp = kept / f".{path.name}.{os.getpid()}-{threading.get_ident()}"
    try:
        try:
            f = open(tmp, "wb")
        except FileNotFoundError:
            kept.mkdir(exist_ok=True)
            f = open(tmp, "wb")
        with f:
            f.write(zlib.compress(b"".join(line + b"\n" for line in lines), 1))
        os.replace(tmp, path)
    except OSError:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass


def stored_lines(nquads: bytes, graph: str) -> list[bytes] | None:
    """The sorted N-Triples lines the store dumps for `graph` once it has loaded `nquads` (N-Quads lines,
    all in `graph`, as kg.mapping writes them), or None when they cannot be told without the store: a blank
    node (the bulk loader gives each a new name), or a line that is not of that graph.

    What the store changes: literals. It keeps the typed literals it knows (XSD numbers, dates, durations…)
    as values and writes them back in their canonical form ("P1Y12M" -> "P2Y"), lower-cases language tags
    and escapes control characters. Such a literal is put in the store's form by the store itself (an
    in-memory one, remembered for the next time); the rest are written back as they were given."""
    tail = b" <" + graph.encode("utf-8") + b"> ."
    out = set()
    for line in nquads.split(b"\n"):
        if not line:
            continue
        if not line.endswith(tail):
            return None
        triple = line[:-len(tail)]
        quote = triple.find(b'"')
        if quote < 0:
            if b"_:" in triple:
                return None
        else:   # one literal at most: the object, or a triple term's object
            end = triple.rindex(b'"')
            if b"_:" in triple[:quote] or b"_:" in triple[end:]:
                return None
            suffix = triple[end + 1:]
            cut = suffix.find(b" ")
            if cut >= 0:
                suffix = suffix[:cut]
            literal = triple[quote:end + 1 + len(suffix)]
            if suffix.startswith(b"^^") or suffix != suffix.lower() or _CONTROL.search(literal):
                stored = _stored_form(literal)
                if stored is None:
                    return None
                triple = triple[:quote] + stored + triple[quote + len(literal):]
        out.add(triple + b" .")
    return sorted(out)


_CONTROL = re.compile(rb"[\x00-\x1f\x7f]")
_PROBE = b"<urn:policykg:s> <urn:policykg:p> "
_probe_store: ox.Store | None = None


@lru_cache(maxsize=1 << 14)
def _stored_form(literal: bytes) -> bytes | None:
    """How the store writes back an N-Triples literal (None: one it refuses)."""
    global _probe_store
    if _probe_store is None:
        _probe_store = ox.Store()
    try:
        _probe_store.load(_PROBE + literal + b" .\n", format=ox.RdfFormat.N_TRIPLES)
        data = _probe_store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    except (SyntaxError, ValueError, OSError):
        return None
    finally:
        _probe_store.clear()
    return data[len(_PROBE):-3] if data.startswith(_PROBE) and data.endswith(b" .\n") else None
