"""Map a `Policy` to RDF: one named graph per policy version, DPV 2.3 terms, quotes as Web Annotations.

The contract (docs/mapping.md):
- graph `<BASE>policy/<slug>/<version>`; nodes `<graph>#<local id>`;
- `<graph>#notice a dpv:PrivacyNotice` with dct:title, dct:language, dct:source, dates,
  dpv:hasDataController the controller, dpv:hasProcess every process;
- every statement an `oa:Annotation` (`<graph>#ev-<id>`) whose bodies are the triples it asserts, as RDF 1.2
  triple terms, and whose target is the quote's span of the snapshot, `<snapshot>#char=start,end` (RFC 5147)
  with its `oa:exact` text; `kg.evidence` gives the RDF 1.1 form (each triple term an `rdf:Statement`);
- IRIs depend only on the card, so the same card always gives the same graph.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, XSD

import pyoxigraph as ox

from . import namespaces as ns
from .evidence import char_target
from .model import Lit, NodeRef, Policy, Term

DPV, OA, PKX, SPDX = ns.DPV, ns.OA, ns.PKX, ns.SPDX


def graph_iri(policy: Policy) -> URIRef:
    return URIRef(ns.policy_graph_iri(policy.slug, policy.version))


def _literal(lit: Lit) -> Literal:
    if lit.lang:
        return Literal(lit.value, lang=lit.lang)
    if lit.datatype:
        return Literal(lit.value, datatype=URIRef(lit.datatype))
    return Literal(lit.value)


def policy_graph(policy: Policy, graph: Graph | None = None) -> Graph:
    """The triples of one policy version as an rdflib Graph, in the RDF 1.1 form of the evidence (into
    `graph` if given)."""
    g = graph if graph is not None else Graph(identifier=graph_iri(policy))
    for triple in policy_triples(policy):
        g.add(triple)
    return g


# Terms of the neutral triples `policy_terms` returns: an IRI is a plain `str`, a literal a tuple
# (lexical form, language or None, datatype IRI or None), an RDF 1.2 triple term a `TripleTerm`. Both
# outputs are made from them: N-Quads text (`policy_nquads`, for the store's bulk load, without building an
# rdflib term per triple on the build path) and rdflib triples in the RDF 1.1 form (`policy_triples`).
@dataclass(frozen=True, slots=True)
class TripleTerm:
    subject: str
    predicate: str
    object: object


_RDF_TYPE = str(RDF.type)
_RDFS_LABEL, _RDFS_COMMENT = str(RDFS.label), str(RDFS.comment)
_XSD_LANGUAGE, _XSD_DATE, _XSD_HEX = str(XSD.language), str(XSD.date), str(XSD.hexBinary)
_DCT = {k: str(DCTERMS[k]) for k in ("title", "language", "identifier", "isVersionOf", "source", "description",
                                      "format", "issued", "modified", "valid")}
_PROV_DERIVED, _PROV_ENTITY = str(PROV.wasDerivedFrom), str(PROV.Entity)
_PROV_PRIMARY, _PROV_GENERATED = str(PROV.hadPrimarySource), str(PROV.generatedAtTime)
_DPV_NOTICE, _DPV_CONTROLLER, _DPV_HAS_CONTROLLER = str(DPV.PrivacyNotice), str(DPV.DataController), str(DPV.hasDataController)
_DPV_PROCESS, _DPV_HAS_PROCESS = str(DPV.Process), str(DPV.hasProcess)
_OA = {k: str(OA[k]) for k in ("Annotation", "motivatedBy", "describing", "hasTarget", "exact", "hasBody")}
_PKX_INFERRING = str(PKX.inferring)
# what `policykg draft` leaves for a reviewer (docs/card.md): a statement to check, its confidence, its rule
_DPV_AUDIT_STATUS, _DPV_AUDIT_REQUIRED = str(DPV.hasAuditStatus), str(DPV.AuditRequired)
_PKX_CONFIDENCE, _PKX_FOUND_BY = str(PKX.draftConfidence), str(PKX.foundBy)
_XSD_DECIMAL = str(XSD.decimal)
_SPDX_CHECKSUM, _SPDX_CHECKSUM_CLASS = str(SPDX.checksum), str(SPDX.Checksum)
_SPDX_ALGORITHM, _SPDX_SHA256, _SPDX_VALUE = str(SPDX.algorithm), str(SPDX.checksumAlgorithm_sha256), str(SPDX.checksumValue)


def _lit(lit: Lit) -> tuple:
    if lit.datatype and not lit.lang:
        return (_lexical(lit.value, lit.datatype), None, lit.datatype)
    return (lit.value, lit.lang, lit.datatype)


def policy_terms(policy: Policy) -> list[tuple]:
    """The triples of one policy version as neutral terms, without duplicates, in a stable order."""
    g_iri = str(graph_iri(policy))
    base = g_iri + "#"
    g: list[tuple] = []
    add = g.append

    def obj(value):
        if isinstance(value, Term):
            return value.iri
        if isinstance(value, NodeRef):
            return base + value.id
        return _lit(value)

    notice, controller = base + Policy.NOTICE_ID, base + policy.controller_id
    source = ns.source_iri(policy.slug, policy.version)
    language = _lit(Lit(policy.language, datatype=_XSD_LANGUAGE))

    # The notice and its structure.
    add((notice, _RDF_TYPE, _DPV_NOTICE))
    add((notice, _DCT["title"], (policy.title, policy.language, None)))
    add((notice, _DCT["language"], language))
    add((notice, _DCT["identifier"], (policy.key, None, None)))
    add((notice, _DCT["isVersionOf"], ns.POLICY_BASE + policy.slug))
    add((notice, _DCT["source"], policy.source.url if policy.source.url else source))
    add((notice, _PROV_DERIVED, source))
    for key, value in sorted(policy.dates.items()):
        add((notice, str(DCTERMS[key]), _lit(value)))
    add((notice, _DPV_HAS_CONTROLLER, controller))
    add((controller, _RDF_TYPE, _DPV_CONTROLLER))
    parents = [p for p in policy.processes if p.policy_scope]
    for process in policy.processes:
        p = base + process.id
        add((notice, _DPV_HAS_PROCESS, p))
        add((p, _RDF_TYPE, _DPV_PROCESS))
        for lang, text in sorted(process.label.items()):
            add((p, _RDFS_LABEL, (text, lang, None)))
        for lang, text in sorted(process.description.items()):
            add((p, _DCT["description"], (text, lang, None)))
        for parent in parents:
            if parent is not process:
                add((base + parent.id, _DPV_HAS_PROCESS, p))
        if process.within:  # nesting: the parent's context (purposes, bases, …) is shared with this one
            add((base + process.within, _DPV_HAS_PROCESS, p))

    # The snapshot every quote points into.
    add((source, _RDF_TYPE, _PROV_ENTITY))
    add((source, _DCT["format"], ("text/plain; charset=utf-8", None, None)))
    add((source, _DCT["language"], language))
    add((source, _DCT["identifier"], (policy.source.snapshot, None, None)))
    if policy.source.url:
        add((source, _PROV_PRIMARY, policy.source.url))
    if policy.source.retrieved:
        add((source, _PROV_GENERATED, _lit(Lit(policy.source.retrieved, datatype=_XSD_DATE))))
    checksum = f"{source}#sha256"
    add((source, _SPDX_CHECKSUM, checksum))
    add((checksum, _RDF_TYPE, _SPDX_CHECKSUM_CLASS))
    add((checksum, _SPDX_ALGORITHM, _SPDX_SHA256))
    add((checksum, _SPDX_VALUE, _lit(Lit(policy.source.sha256, datatype=_XSD_HEX))))

    # Statements: the facts, and for each statement its annotation: the facts as its bodies, the quote's
    # span of the snapshot as its target (statements quoting the same span share it).
    oa = _OA
    for st in policy.statements:
        ev = f"{base}ev-{st.id}"
        evidence = st.evidence
        span = char_target(source, evidence.start, evidence.end)
        add((ev, _RDF_TYPE, oa["Annotation"]))
        add((ev, _DCT["identifier"], (st.id, None, None)))
        add((ev, oa["motivatedBy"], _PKX_INFERRING if evidence.inferred else oa["describing"]))
        add((ev, oa["hasTarget"], span))
        if evidence.note:
            add((ev, _RDFS_COMMENT, (evidence.note, None, None)))
        if evidence.review:
            add((ev, _DPV_AUDIT_STATUS, _DPV_AUDIT_REQUIRED))
        if evidence.confidence is not None:
            add((ev, _PKX_CONFIDENCE, (f"{float(evidence.confidence):.2f}", None, _XSD_DECIMAL)))
        if evidence.found_by:
            add((ev, _PKX_FOUND_BY, (str(evidence.found_by), None, None)))
        add((span, oa["exact"], (evidence.exact, None, None)))
        for fact in st.facts:
            s, p, o = base + fact.subject, fact.predicate, obj(fact.object)
            add((s, p, o))
            add((ev, oa["hasBody"], TripleTerm(s, p, o)))
    return list(dict.fromkeys(g))


def policy_triples(policy: Policy) -> list[tuple]:
    """The triples of one policy version (rdflib terms) in the RDF 1.1 form of the evidence (each triple term
    reified, `kg.evidence`), without duplicates, in a stable order."""
    from .evidence import reify
    from .terms import from_ox
    cache: dict = {}

    def term(t):
        x = cache.get(t)
        if x is None:
            x = cache[t] = ox_term(t)
        return x

    stored = [ox.Triple(term(s), term(p), term(o)) for s, p, o in policy_terms(policy)]
    return [(from_ox(t.subject), from_ox(t.predicate), from_ox(t.object)) for t in reify(stored)]


def ox_term(t):
    """A neutral term as a pyoxigraph term."""
    if type(t) is str:
        return ox.NamedNode(t)
    if type(t) is TripleTerm:
        return ox.Triple(ox_term(t.subject), ox_term(t.predicate), ox_term(t.object))
    value, lang, datatype = t
    if lang:
        return ox.Literal(value, language=lang)
    if datatype:
        return ox.Literal(value, datatype=ox.NamedNode(datatype))
    return ox.Literal(value)


@lru_cache(maxsize=65536)
def _lexical(value: str, datatype: str) -> str:
    """The lexical form rdflib gives a typed literal (it normalises some, e.g. P13M -> P1Y1M), so that the
    store holds the same literal whichever way it was written."""
    return str(Literal(value, datatype=URIRef(datatype)))


def _nt_string(text: str) -> str:
    if "\\" in text or '"' in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return '"' + text + '"'


def nt_term(t) -> str:
    """A neutral term in N-Triples syntax."""
    if type(t) is str:
        return "<" + t + ">"
    if type(t) is TripleTerm:
        return "<<( " + nt_term(t.subject) + " " + nt_term(t.predicate) + " " + nt_term(t.object) + " )>>"
    value, lang, datatype = t
    if lang:
        return _nt_string(value) + "@" + lang
    if datatype:  # the lexical form is already rdflib's (policy_terms)
        return _nt_string(value) + "^^<" + datatype + ">"
    return _nt_string(value)


def nquads(triples, graph: str) -> str:
    """Neutral triples as N-Quads lines in the named graph `graph`."""
    cache: dict = {}
    get = cache.get
    g = " <" + graph + "> .\n"
    out = []
    append = out.append
    for s, p, o in triples:
        ts = get(s)
        if ts is None:
            ts = cache[s] = nt_term(s)
        tp = get(p)
        if tp is None:
            tp = cache[p] = nt_term(p)
        if type(o) is TripleTerm:   # each is used once: its parts are what repeats
            parts = []
            for t in (o.subject, o.predicate, o.object):
                text = get(t)
                if text is None:
                    text = cache[t] = nt_term(t)
                parts.append(text)
            to = "<<( " + parts[0] + " " + parts[1] + " " + parts[2] + " )>>"
        else:
            to = get(o)
            if to is None:
                to = cache[o] = nt_term(o)
        append(ts + " " + tp + " " + to + g)
    return "".join(out)


def policy_nquads(policy: Policy) -> tuple[str, int]:
    """The policy's named graph as N-Quads text, and its number of triples (for the store's bulk load)."""
    terms = policy_terms(policy)
    return nquads(terms, str(graph_iri(policy))), len(terms)


def to_dataset(policies: list[Policy], vocabulary=None) -> Dataset:
    """All policies as one Dataset, one named graph each; plus the vocabulary graphs if given."""
    ds = Dataset()
    for prefix, iri in ns.PREFIXES.items():
        ds.bind(prefix, iri, override=True, replace=True)
    for policy in policies:
        policy_graph(policy, ds.graph(graph_iri(policy)))
    if vocabulary is not None:
        for iri, vgraph in vocabulary.graphs().items():
            target = ds.graph(URIRef(iri))
            for triple in vgraph:
                target.add(triple)
    return ds
