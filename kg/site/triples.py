"""A policy graph as the report reads it: a small read-only index of its triples, built straight from the
store's pyoxigraph quads (about 6x faster than an rdflib Graph, which the report of 1,000 policies felt), with
the few rdflib-like reads kg.site uses (`subjects`, `objects`, `value`, `predicate_objects`, iteration).

IRIs are rdflib URIRefs (so they compare with the namespace constants), each made once per process; literals
are `Lit`, a str with `language` and `datatype`; the RDF 1.2 triple terms of the evidence (`oa:hasBody <<( s p
o )>>`, kg.evidence) are kept as the annotation's `bodies`, and the RDF 1.1 form (rdf:Statement nodes) is
read too.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef

_IRIS: dict[str, URIRef] = {}
_HAS_BODY = "http://www.w3.org/ns/oa#hasBody"


class Lit(str):
    """A literal: its text, with its language tag ("" for none) and datatype IRI (None for a plain string)."""
    __slots__ = ("language", "datatype")

    def __new__(cls, value: str, language: str | None = None, datatype=None):
        self = super().__new__(cls, value)
        self.language = language or None
        self.datatype = datatype
        return self

    def __eq__(self, other):
        if isinstance(other, Lit):
            return str.__eq__(self, other) and self.language == other.language and self.datatype == other.datatype
        return NotImplemented if not isinstance(other, str) else False

    __hash__ = str.__hash__


class Terms:
    """A namespace whose terms are made once (rdflib's Namespace makes a new URIRef at each attribute read,
    which the summary of 1,000 policies felt)."""

    def __init__(self, namespace):
        self._namespace = namespace

    def __getattr__(self, name: str):
        value = getattr(self._namespace, name)
        setattr(self, name, value)
        return value


def is_literal(term) -> bool:
    return isinstance(term, (Lit, Literal))


def _iri(value: str) -> URIRef:
    found = _IRIS.get(value)
    if found is None:
        found = _IRIS[value] = URIRef(value)
        if len(_IRIS) > 500_000:   # a long-lived process: keep the cache bounded
            _IRIS.clear()
    return found


def term(t):
    if isinstance(t, ox.NamedNode):
        return _iri(t.value)
    if isinstance(t, ox.Literal):
        dt = t.datatype.value if t.datatype is not None else None
        return Lit(t.value, t.language, None if t.language or dt == "http://www.w3.org/2001/XMLSchema#string" else _iri(dt))
    if isinstance(t, ox.BlankNode):
        return BNode(t.value)
    raise TypeError(f"unexpected term {t!r}")


class Triples:
    """The triples of one graph, indexed by subject and by (predicate, object)."""

    def __init__(self):
        self._all: list[tuple] = []
        self._by_s: dict = {}
        self._by_po: dict = {}
        self._by_p: dict = {}
        self.bodies: dict = {}          # annotation -> [(s, p, o)] of its triple-term bodies

    @classmethod
    def from_quads(cls, quads: Iterable) -> Triples:
        out = cls()
        for q in quads:
            obj = q.object
            if isinstance(obj, ox.Triple) and q.predicate.value == _HAS_BODY:
                out.bodies.setdefault(term(q.subject), []).append((term(obj.subject), term(obj.predicate), term(obj.object)))
                continue
            out.add(term(q.subject), term(q.predicate), term(obj))
        return out

    def add(self, s, p, o) -> None:
        t = (s, p, o)
        self._all.append(t)
        self._by_s.setdefault(s, []).append(t)
        self._by_po.setdefault((p, o), []).append(s)
        self._by_p.setdefault(p, []).append(t)

    def __iter__(self) -> Iterator[tuple]:
        return iter(self._all)

    def __len__(self) -> int:
        return len(self._all)

    def subjects(self, p=None, o=None) -> Iterator:
        if p is not None and o is not None:
            yield from self._by_po.get((p, o), ())
            return
        for s, p2, o2 in (self._by_p.get(p, ()) if p is not None else self._all):
            if o is None or o2 == o:
                yield s

    def objects(self, s=None, p=None) -> Iterator:
        rows = self._by_s.get(s, ()) if s is not None else (self._by_p.get(p, ()) if p is not None else self._all)
        for _, p2, o in rows:
            if p is None or p2 == p:
                yield o

    def predicate_objects(self, s) -> Iterator[tuple]:
        for _, p, o in self._by_s.get(s, ()):
            yield p, o

    def value(self, s, p):
        if s is None:
            return None
        return next(self.objects(s, p), None)
