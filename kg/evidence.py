"""The evidence encoding (docs/decisions/0007-evidence-encoding.md): how a fact is tied to its quote, in the
store and in RDF 1.1.

The store holds the compact form, RDF 1.2 (324 quads a synthetic policy instead of 971):

    <G#ev-W37> a oa:Annotation ; dct:identifier "W37" ; oa:motivatedBy oa:describing ;
        oa:hasBody <<( <G#all-processing> dpv:hasStorageCondition <G#retention> )>> ;   # one per fact
        oa:hasTarget <SOURCE#char=4144,4268> .                                          # RFC 5147
    <SOURCE#char=4144,4268> oa:exact "Nous conservons …" .

rdflib, pySHACL and JSON-LD know no triple terms, so every reader that needs RDF 1.1 (validation, diff,
compare, reason, JSON-LD and `--rdf 1.1` exports, servers without RDF 1.2) gets the same graph with each
triple term reified, and nothing else changed:

    <G#ev-W37> oa:hasBody <G#st-W37-1> .
    <G#st-W37-1> a rdf:Statement ; rdf:subject … ; rdf:predicate … ; rdf:object … ; prov:wasDerivedFrom <G#ev-W37> .

`reify` and `unreify` turn one form into the other (pyoxigraph quads or triples); a statement node is
numbered by its triple's rank among the annotation's triples (N-Triples order), so both directions are
deterministic and the same card always gives the same IRIs.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

import pyoxigraph as ox

OA = "http://www.w3.org/ns/oa#"
HAS_BODY = ox.NamedNode(OA + "hasBody")
HAS_TARGET = ox.NamedNode(OA + "hasTarget")
EXACT = ox.NamedNode(OA + "exact")
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDF_TYPE = ox.NamedNode(RDF + "type")
RDF_STATEMENT = ox.NamedNode(RDF + "Statement")
RDF_SUBJECT, RDF_PREDICATE, RDF_OBJECT = (ox.NamedNode(RDF + n) for n in ("subject", "predicate", "object"))
DERIVED_FROM = ox.NamedNode("http://www.w3.org/ns/prov#wasDerivedFrom")
_REIFICATION = {RDF_SUBJECT, RDF_PREDICATE, RDF_OBJECT}

_CHAR = re.compile(r"#char=(\d+),(\d+)$")


def char_target(source: str, start: int, end: int) -> str:
    """The RFC 5147 IRI of the characters [start, end) of a plain-text snapshot (code points, end exclusive)."""
    return f"{source}#char={start},{end}"


def parse_char_target(iri: str) -> tuple[str, int, int] | None:
    """(snapshot IRI, start, end) of an RFC 5147 `#char=start,end` IRI, or None."""
    m = _CHAR.search(iri)
    if m is None:
        return None
    return iri[:m.start()], int(m.group(1)), int(m.group(2))


def statement_node(annotation, n: int):
    """The RDF 1.1 node of the n-th fact (from 1) of an annotation: <G#ev-ID> -> <G#st-ID-n>."""
    if isinstance(annotation, ox.BlankNode):
        return ox.BlankNode(f"{annotation.value}st{n}")
    iri = annotation.value
    head, sep, tail = iri.rpartition("#ev-")
    return ox.NamedNode(f"{head}#st-{tail}-{n}" if sep else f"{iri}-st-{n}")


def _rank_key(triple: ox.Triple) -> str:
    return str(triple)


def reify(quads: Iterable) -> list:
    """The RDF 1.1 form of a graph's quads (or triples): each `ev oa:hasBody <<( s p o )>>` becomes
    `ev oa:hasBody st` and st's reification. Other quads are kept, in their order."""
    out: list = []
    bodies: dict = {}   # (annotation, graph) -> [triple terms], in order of appearance
    for q in quads:
        if q.predicate == HAS_BODY and isinstance(q.object, ox.Triple):
            bodies.setdefault((q.subject, _graph_of(q)), []).append(q.object)
        else:
            out.append(q)
    for (ann, graph), triples in bodies.items():
        for n, t in enumerate(sorted(set(triples), key=_rank_key), start=1):
            st = statement_node(ann, n)
            out += [_make(ann, HAS_BODY, st, graph), _make(st, RDF_TYPE, RDF_STATEMENT, graph),
                    _make(st, RDF_SUBJECT, t.subject, graph), _make(st, RDF_PREDICATE, t.predicate, graph),
                    _make(st, RDF_OBJECT, t.object, graph), _make(st, DERIVED_FROM, ann, graph)]
    return out


def unreify(quads: Iterable) -> list:
    """The stored form of a graph given in RDF 1.1: each statement node an annotation lists as its body
    (with rdf:subject, rdf:predicate and rdf:object) becomes a triple term; its reification, type and
    back link are dropped. A statement node that is no annotation's body is kept as it is."""
    quads = list(quads)
    parts: dict = {}
    for q in quads:
        if q.predicate in _REIFICATION:
            parts.setdefault((q.subject, _graph_of(q)), {})[q.predicate] = q.object
    replaced: set = set()
    out: list = []
    for q in quads:
        if q.predicate == HAS_BODY:
            spo = parts.get((q.object, _graph_of(q)))
            if spo is not None and len(spo) == 3:
                replaced.add((q.object, _graph_of(q)))
                out.append(_make(q.subject, HAS_BODY, ox.Triple(spo[RDF_SUBJECT], spo[RDF_PREDICATE], spo[RDF_OBJECT]),
                                 _graph_of(q)))
                continue
        out.append(q)
    return [q for q in out if (q.subject, _graph_of(q)) not in replaced
            or not (q.predicate in _REIFICATION or q.predicate == DERIVED_FROM
                    or (q.predicate == RDF_TYPE and q.object == RDF_STATEMENT))]


def _graph_of(q):
    return q.graph_name if isinstance(q, ox.Quad) else None


def _make(s, p, o, graph):
    return ox.Triple(s, p, o) if graph is None else ox.Quad(s, p, o, graph)
