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


def keep_lines(kept: Path, graph: str, lines: list[bytes], *, atomic: bool = True) -> None:
    """Keep a graph's sorted lines: written beside, then renamed (the temporary name is this process's and
    thread's own); without `atomic`, written in place, for a generation no reader sees yet (a build's). A
    read-only or full disk only costs the next export its time."""
    path = kept / export_cache_file(graph)
    tmp = kept / f".{path.name}.{os.getpid()}-{threading.get_ident()}" if atomic else path
    try:
        if not atomic:   # never write into a file the previous generation shares (a hard link)
            path.unlink(missing_ok=True)
        try:
            f = open(tmp, "wb")
        except FileNotFoundError:
            kept.mkdir(exist_ok=True)
            f = open(tmp, "wb")
        with f:
            f.write(zlib.compress(b"\n".join(lines) + b"\n" if lines else b"", 1))
        if atomic:
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
    tail = b" <" + graph.encode("utf-8") + b"> .\n"
    if not nquads.endswith(b"\n"):
        nquads += b"\n"
    # a literal holds no raw line end (N-Quads escapes it), so the tail is found only at the lines' ends
    if nquads.count(b"\n") != nquads.count(tail):
        return None
    text = nquads.replace(tail, b" .\n")
    if b"_:" in text or len(text.translate(None, _CONTROLS)) < len(text) or _UPPER_TAG.search(text):
        lines = []   # rare: line by line
        for line in text.split(b"\n")[:-1]:
            line = _line_in_store_form(line)
            if line is None:
                return None
            lines.append(line)
        return sorted(set(lines))
    # the typed literals, each in the store's form: a line holds one literal at most, whose first quote is the
    # line's first (no IRI holds one) and whose last is the line's last (a quote inside it is escaped)
    parts = []
    at = 0
    found = text.find(b'"^^<')
    while found >= 0:
        start = text.rfind(b"\n", 0, found) + 1
        end = text.index(b"\n", found)
        close = text.rfind(b'"', start, end)
        if text.startswith(b'"^^<', close):
            opening = text.index(b'"', start)
            literal_end = text.index(b">", close) + 1
            stored = _stored_form(text[opening:literal_end])
            if stored is None:
                return None
            parts += (text[at:opening], stored)
            at = literal_end
        found = text.find(b'"^^<', end)
    parts.append(text[at:])
    return sorted(set(b"".join(parts).split(b"\n")[:-1]))


_CONTROLS = bytes(c for c in [*range(0x20), 0x7f] if c != 0x0a)   # line ends aside
_CONTROL = re.compile(b"[" + re.escape(_CONTROLS) + b"]")
_UPPER_TAG = re.compile(rb'"@[a-zA-Z0-9-]*[A-Z]')


def _line_in_store_form(line: bytes) -> bytes | None:
    """One N-Triples line in the store's form, or None (a blank node, a literal the store refuses)."""
    quote = line.find(b'"')
    if quote < 0:
        return None if b"_:" in line else line
    end = line.rindex(b'"')   # one literal at most: the object, or a triple term's object
    if b"_:" in line[:quote] or b"_:" in line[end:]:
        return None
    suffix = line[end + 1:]
    cut = suffix.find(b" ")
    if cut >= 0:
        suffix = suffix[:cut]
    literal = line[quote:end + 1 + len(suffix)]
    if suffix.startswith(b"^^") or suffix != suffix.lower() or _CONTROL.search(literal):
        stored = _stored_form(literal)
        if stored is None:
            return None
        line = line[:quote] + stored + line[quote + len(literal):]
    return line


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
