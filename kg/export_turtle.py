"""Turtle and TriG from sorted N-Triples lines (kg.export), written here rather than by Oxigraph's serialiser.

Why: handing lines to pyoxigraph's serialiser means parsing them into a Python object per triple first
(~2.6 µs a triple, measured; its serialisation itself is ~0.8 µs), most of a Turtle export's time once the
lines are read (issue 18). The lines are already in the canonical N-Triples form the store writes, and
every N-Triples term is a valid Turtle 1.2 term, so writing Turtle is grouping the lines and shortening IRIs.

The layout is the one Oxigraph's serialiser gives: a subject's triples in one block, `;` between predicates,
`,` between objects, `a` for rdf:type as a predicate, numbers and booleans bare. Its rules are this module's
own, chosen so that a graph's block never depends on the other graphs of the document:
- an IRI is written `prefix:local` when the part after its last `#` or `/` is a plain local name (ASCII
  letters, digits, `_`, and `-` or `.` inside) and what comes before is a declared namespace; else `<iri>`;
- a known namespace (kg.namespaces.PREFIXES) is declared when some IRI of the output lies directly in it,
  at any depth (triple terms and datatypes included);
- an xsd:integer, xsd:decimal, xsd:double or xsd:boolean literal is bare when its lexical form is that
  datatype's Turtle form (`1`, `1.5`, `1e3`, `true`), so that reading it back gives the same literal.
"""
from __future__ import annotations

import re

from . import namespaces as ns

_RDF_TYPE = b"<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_BARE = {f"<{_XSD}{name}>".encode(): re.compile(pattern) for name, pattern in (
    ("integer", rb"[+-]?[0-9]+"),
    ("decimal", rb"[+-]?[0-9]*\.[0-9]+"),
    ("double", rb"[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)[eE][+-]?[0-9]+"),
    ("boolean", rb"true|false"),
)}
_LOCAL = re.compile(rb"(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?)?")
_KNOWN = {iri.encode("utf-8"): name for name, iri in ns.PREFIXES.items()}


def header(prefixes: dict[str, str]) -> bytes:
    """The `@prefix` lines of `prefixes` (name -> namespace IRI), in their order."""
    return "".join(f"@prefix {name}: <{iri}> .\n" for name, iri in prefixes.items()).encode("utf-8")


class TurtleWriter:
    """Writes the Turtle (or a TriG block) of sorted N-Triples lines with `prefixes` (name -> namespace
    IRI; a namespace that is not directly the namespace of an IRI is never used) and notes, in `used`, the
    known prefixes (kg.namespaces.PREFIXES) whose namespace some IRI it wrote lies directly in: all the
    writer has written, which is what a document's header needs. One writer serves the many graphs of a
    document: how each IRI is written is remembered (up to _REMEMBERED of them)."""

    _REMEMBERED = 200_000

    def __init__(self, prefixes: dict[str, str]):
        self._names = {iri.encode("utf-8"): name.encode("utf-8") for name, iri in prefixes.items()}
        self._iris: dict[bytes, bytes] = {}   # IRI token -> as written
        self.used: set[str] = set()

    def iri(self, token: bytes) -> bytes:
        """`<iri>` as written."""
        written = self._iris.get(token)
        if written is None:
            cut = max(token.rfind(b"#"), token.rfind(b"/")) + 1
            namespace, local = token[1:cut], token[cut:-1]
            name = self._names.get(namespace)
            written = name + b":" + local if name is not None and _LOCAL.fullmatch(local) else token
            known = _KNOWN.get(namespace)
            if known is not None:
                self.used.add(known)
            if len(self._iris) >= self._REMEMBERED:
                self._iris.clear()
            self._iris[token] = written
        return written

    def term(self, token: bytes) -> bytes:
        """An N-Triples term as written in Turtle."""
        first = token[:1]
        if first == b"<":
            if token.startswith(b"<<( "):
                s, p, o = token[4:-4].split(b" ", 2)   # a triple term's subject is never one
                return b"<<( " + self.term(s) + b" " + self.iri(p) + b" " + self.term(o) + b" )>>"
            return self.iri(token)
        if first == b'"':
            end = token.rfind(b'"')
            if end + 1 == len(token) or token[end + 1:end + 2] == b"@":
                return token   # a string, or a language-tagged one: as in N-Triples
            datatype = token[end + 3:]   # '"lexical"^^<datatype>'
            bare = _BARE.get(datatype)
            if bare is not None and bare.fullmatch(token, 1, end):
                self.iri(datatype)   # its namespace is used all the same
                return token[1:end]
            return token[:end + 3] + self.iri(datatype)
        return token   # a blank node

    def body(self, lines: list[bytes], graph: str | None = None) -> bytes:
        """The Turtle of `lines` (sorted N-Triples lines, "s p o ."), or with `graph` its TriG block."""
        if not lines:
            return b""
        memo, term = self._iris, self.term
        indent = b"\t" if graph is not None else b""
        out = [self.iri(b"<" + graph.encode("utf-8") + b">") + b" {\n"] if graph is not None else []
        append = out.append
        next_predicate = b" ;\n\t" + indent
        last_s = last_p = None
        for line in lines:
            s, p, o = line[:-2].split(b" ", 2)
            if s == last_s:
                if p == last_p:
                    append(b" , ")
                else:
                    append(next_predicate)
                    append(b"a " if p == _RDF_TYPE else (memo.get(p) or term(p)) + b" ")
            else:
                if last_s is not None:
                    append(b" .\n")
                append(indent)
                append(memo.get(s) or term(s))
                append(b" a " if p == _RDF_TYPE else b" " + (memo.get(p) or term(p)) + b" ")
            # most objects are IRIs written before, strings, or triple terms of those: they need no call
            written = memo.get(o)
            if written is None:
                if o[-1:] == b'"':
                    written = o
                elif o[:4] == b"<<( ":
                    ts, tp, to = o[4:-4].split(b" ", 2)
                    written = b"".join((b"<<( ", memo.get(ts) or term(ts), b" ", memo.get(tp) or term(tp), b" ",
                                        memo.get(to) or (to if to[-1:] == b'"' else term(to)), b" )>>"))
                else:
                    written = term(o)
            append(written)
            last_s, last_p = s, p
        append(b" .\n")
        if graph is not None:
            append(b"}\n")
        return b"".join(out)
