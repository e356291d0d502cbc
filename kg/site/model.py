"""What the report reads of one policy version: the notice, its statements (the W3C Web Annotations: quote,
span, the triples each supports), the snapshot they quote, and the labels of terms and nodes in a language.
The summary rows and the picture are made from these in kg.site.summary.

Everything here is data from a card or an RDF file, possibly hostile: it is kept as text and escaped by
kg.site.html when it is written.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD

from .. import namespaces as ns
from .triples import Terms, is_literal
from .words import say

DPV, OA, PROV, SPDX, PKX = (Terms(n) for n in (ns.DPV, ns.OA, ns.PROV, ns.SPDX, ns.PKX))
DCTERMS, RDF, RDFS, SKOS, XSD = (Terms(n) for n in (DCTERMS, RDF, RDFS, SKOS, XSD))
_EVIDENCE_TYPES = {RDF.Statement, OA.Annotation, OA.SpecificResource, OA.TextQuoteSelector,
                   OA.TextPositionSelector, SPDX.Checksum, PROV.Entity}


@dataclass
class Statement:
    """One statement of the card: an oa:Annotation with its quote and the triples it supports."""
    id: str
    quote: str
    start: int | None                  # code points of the snapshot's NFC text, end exclusive
    end: int | None
    inferred: bool                     # the card marks it `inferred`: the text implies it, does not state it
    review: bool                       # a draft statement still to be reviewed
    note: str
    facts: list[tuple] = field(default_factory=list)   # (s, p, o) rdflib terms
    located: bool = False              # its passage was found in the snapshot


@dataclass
class Item:
    """One entry of a summary row: a label, the term or node it names, and the statements behind it."""
    label: str
    term: str = ""                     # CURIE, or "" for a node of the policy or a literal
    evidence: list[str] = field(default_factory=list)
    detail: str = ""


@dataclass
class Snapshot:
    name: str                          # the source's dct:identifier, relative to the sources folder
    text: str | None = None            # NFC text, when found and unchanged
    problem: str = ""                  # missing | outside | changed | unreadable | none


@dataclass
class PolicyView:
    key: str
    slug: str
    version: str
    graph_iri: str
    graph: Graph
    title: str
    language: str
    source_url: str
    statements: list[Statement]
    processes: list[URIRef]
    snapshot: Snapshot
    evidence: dict                     # (s, p, o) -> [statement id]; (s, None, None) -> [statement id]
    dates: dict[str, str] = field(default_factory=dict)
    cache: dict = field(default_factory=dict)   # what several pages of the view compute (the picture)


# --- reading the graph ----------------------------------------------------------------------------------

def texts(graph: Graph, node, prop) -> dict[str, str]:
    """The literals of (node, prop) by lower-cased language tag ("" for none)."""
    out: dict[str, str] = {}
    for o in graph.objects(node, prop):
        if is_literal(o):
            out.setdefault((o.language or "").lower(), str(o))
    return out


def pick(found: dict[str, str], lang: str) -> str:
    """The text in `lang` (or a regional variant of it: fr-ca for fr), else English, untagged, any."""
    if not found:
        return ""
    for key in (lang, *sorted(k for k in found if k.startswith(lang + "-")), "en", ""):
        if key in found:
            return found[key]
    return found[sorted(found)[0]]


def read_policy(graph: Graph, graph_iri: str, key: str) -> PolicyView:
    """The notice, statements and evidence index of one policy graph (no snapshot read yet)."""
    notice = next(iter(sorted(graph.subjects(RDF.type, DPV.PrivacyNotice))), None)
    slug, _, version = key.partition("@")
    title = pick(texts(graph, notice, DCTERMS.title), "") if notice is not None else ""
    language = next((str(o) for o in graph.objects(notice, DCTERMS.language)), "") if notice is not None else ""
    url = next((str(o) for o in graph.objects(notice, DCTERMS.source)), "") if notice is not None else ""
    dates = {}
    for name, prop in (("issued", DCTERMS.issued), ("modified", DCTERMS.modified), ("valid", DCTERMS.valid)):
        value = graph.value(notice, prop) if notice is not None else None
        if value is not None:
            dates[name] = str(value)
    processes = sorted(set(graph.objects(notice, DPV.hasProcess)) | set(graph.subjects(RDF.type, DPV.Process)),
                       key=str) if notice is not None else sorted(graph.subjects(RDF.type, DPV.Process), key=str)
    statements: dict[str, Statement] = {}
    by_annotation: dict = {}
    for ann in graph.subjects(RDF.type, OA.Annotation):
        ident = str(graph.value(ann, DCTERMS.identifier) or str(ann).rsplit("#", 1)[-1])
        target = graph.value(ann, OA.hasTarget)
        quote, start, end = "", None, None
        # the target is the quote's span of the snapshot, <snapshot>#char=start,end with its oa:exact
        # (docs/mapping.md), or, in graphs written before that, an oa:SpecificResource with selectors
        exact = graph.value(target, OA.exact) if target is not None else None
        if exact is not None:
            quote = str(exact)
        span = _CHAR.search(str(target)) if isinstance(target, URIRef) else None
        if span:
            start, end = int(span.group(1)), int(span.group(2))
        for sel in graph.objects(target, OA.hasSelector) if target is not None else ():
            exact = graph.value(sel, OA.exact)
            if exact is not None:
                quote = str(exact)
            s, e = graph.value(sel, OA.start), graph.value(sel, OA.end)
            if s is not None and e is not None:
                try:
                    start, end = int(s), int(e)
                except (TypeError, ValueError):
                    start = end = None
        st = Statement(ident, quote, start, end, graph.value(ann, OA.motivatedBy) == PKX.inferring,
                       graph.value(ann, DPV.hasAuditStatus) == DPV.AuditRequired,
                       str(graph.value(ann, RDFS.comment) or ""))
        statements[ident] = st
        by_annotation[ann] = st
    evidence: dict = {}
    for reified in graph.subjects(RDF.type, RDF.Statement):
        st = by_annotation.get(graph.value(reified, PROV.wasDerivedFrom))
        s, p, o = graph.value(reified, RDF.subject), graph.value(reified, RDF.predicate), graph.value(reified, RDF.object)
        if st is None or s is None or p is None or o is None:
            continue
        st.facts.append((s, p, o))
        for k in ((s, p, o), (s, None, None)):
            ids = evidence.setdefault(k, [])
            if st.id not in ids:
                ids.append(st.id)
    for ann, facts in getattr(graph, "bodies", {}).items():   # the RDF 1.2 form: triple terms (kg.site.triples)
        st = by_annotation.get(ann)
        if st is None:
            continue
        for s, p, o in facts:
            st.facts.append((s, p, o))
            for k in ((s, p, o), (s, None, None)):
                ids = evidence.setdefault(k, [])
                if st.id not in ids:
                    ids.append(st.id)
    for st in statements.values():
        st.facts.sort(key=lambda t: (str(t[0]), str(t[1]), str(t[2])))
    ordered = sorted(statements.values(), key=lambda st: (st.start if st.start is not None else 1 << 60, _natural(st.id)))
    return PolicyView(key, slug, version, graph_iri, graph, title, language, url, ordered, processes,
                      Snapshot(_snapshot_name(graph, notice)), evidence, dates)


_CHAR = re.compile(r"#char=(\d+),(\d+)$")   # RFC 5147 fragment


def _natural(text: str) -> list:
    return [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", text)]


def _snapshot_name(graph: Graph, notice) -> str:
    source = graph.value(notice, PROV.wasDerivedFrom) if notice is not None else None
    ident = graph.value(source, DCTERMS.identifier) if source is not None else None
    return str(ident) if ident is not None else ""


def _checksum(graph: Graph, notice_graph_source) -> str | None:
    checksum = graph.value(notice_graph_source, SPDX.checksum)
    value = graph.value(checksum, SPDX.checksumValue) if checksum is not None else None
    return str(value).lower() if value is not None else None


def read_snapshot(view: PolicyView, sources_dir: Path | None, max_bytes: int = 64 << 20) -> None:
    """Find the snapshot the graph names under `sources_dir`, check its SHA-256 against the graph's, and
    locate every statement's passage (offsets checked against the quote; a quote whose offsets do not fit is
    searched for). The snapshot is never read outside the folder."""
    snap = view.snapshot
    if not snap.name:
        snap.problem = "none"
        return
    if sources_dir is None:
        snap.problem = "missing"
        return
    root = Path(sources_dir).resolve()
    try:
        path = (root / snap.name).resolve()
    except (OSError, RuntimeError, ValueError):
        snap.problem = "outside"
        return
    if "\x00" in snap.name or Path(snap.name).is_absolute() or not path.is_relative_to(root):
        snap.problem = "outside"
        return
    if not path.is_file():
        snap.problem = "missing"
        return
    try:
        if path.stat().st_size > max_bytes:
            snap.problem = "unreadable"
            return
        blob = path.read_bytes()
        text = blob.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        snap.problem = "unreadable"
        return
    notice = next(iter(sorted(view.graph.subjects(RDF.type, DPV.PrivacyNotice))), None)
    source = view.graph.value(notice, PROV.wasDerivedFrom) if notice is not None else None
    expected = _checksum(view.graph, source) if source is not None else None
    if expected and hashlib.sha256(blob).hexdigest() != expected:
        snap.problem = "changed"
        return
    snap.text = unicodedata.normalize("NFC", text)
    for st in view.statements:
        if st.start is not None and st.end is not None and 0 <= st.start < st.end <= len(snap.text) \
                and snap.text[st.start:st.end] == unicodedata.normalize("NFC", st.quote):
            st.located = True
        elif st.quote:
            at = snap.text.find(unicodedata.normalize("NFC", st.quote))
            if at >= 0:
                st.start, st.end, st.located = at, at + len(st.quote), True


# --- labels ---------------------------------------------------------------------------------------------

_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
_UNITS = ("years", "months", "weeks", "days", "hours", "minutes", "seconds")


def duration_text(value: str, lang: str) -> str:
    """An xsd:duration for people: P2Y -> "2 years" / "2 ans"; anything else as it is."""
    match = _DURATION.match(value.strip())
    if not match or not any(match.groups()):
        return value
    parts = []
    for unit, amount in zip(_UNITS, match.groups()):
        if amount:
            n = int(amount)
            parts.append(say("units", unit[:-1] if n == 1 else unit, lang, n=n))
    return " ".join(parts)


class Labeller:
    """Labels of terms and nodes in one language: vocabulary labels for DPV terms, the node's own label
    or name for a node of the policy, the value for a literal (durations in words)."""

    def __init__(self, view: PolicyView, vocabulary, lang: str):
        self.view, self.vocabulary, self.lang = view, vocabulary, lang
        self._cache: dict = {}

    def is_node(self, term) -> bool:
        return isinstance(term, URIRef) and str(term).startswith(self.view.graph_iri + "#")

    def curie(self, term) -> str:
        if isinstance(term, URIRef) and not self.is_node(term):
            return ns.shorten(str(term))
        return ""

    def __call__(self, term) -> str:
        if term in self._cache:
            return self._cache[term]
        self._cache[term] = out = self._label(term)
        return out

    def _label(self, term) -> str:
        g, lang = self.view.graph, self.lang
        if is_literal(term):
            if term.datatype == XSD.duration:
                return duration_text(str(term), lang)
            return str(term)
        if self.is_node(term):
            for prop in (RDFS.label, DPV.hasName, DCTERMS.title, SKOS.prefLabel):
                found = pick(texts(g, term, prop), lang)
                if found:
                    return found
            types = sorted((t for t in g.objects(term, RDF.type) if isinstance(t, URIRef)), key=str)
            if types:
                return self(types[0])
            return "#" + str(term).rsplit("#", 1)[-1]
        if isinstance(term, URIRef):
            label = self.vocabulary.label(term, lang) if self.vocabulary is not None else None
            return label or ns.shorten(str(term))
        return str(term)
