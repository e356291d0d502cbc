"""IRIs of the vocabularies policykg reads and writes, and of the graphs it builds.

One place for every base IRI: the rest of the code imports from here and never types an IRI.
policykg's own IRIs live under https://w3id.org/policykg/ (see docs/namespaces.md).
"""
from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

DPV = Namespace("https://w3id.org/dpv#")
PD = Namespace("https://w3id.org/dpv/pd#")
TECH = Namespace("https://w3id.org/dpv/tech#")
LOC = Namespace("https://w3id.org/dpv/loc#")
RISK = Namespace("https://w3id.org/dpv/risk#")
EU_GDPR = Namespace("https://w3id.org/dpv/legal/eu/gdpr#")
LEGAL = Namespace("https://w3id.org/dpv/legal#")
LEGAL_EU = Namespace("https://w3id.org/dpv/legal/eu#")
LEGAL_FR = Namespace("https://w3id.org/dpv/legal/fr#")
JUSTIFICATIONS = Namespace("https://w3id.org/dpv/justifications#")
OA = Namespace("http://www.w3.org/ns/oa#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
SW = Namespace("http://www.w3.org/2003/06/sw-vocab-status/ns#")
VANN = Namespace("http://purl.org/vocab/vann/")

BASE = "https://w3id.org/policykg/"
PKX = Namespace(BASE + "ext#")          # the extension terms (ontology/policykg.ttl)
PKS = Namespace(BASE + "shapes#")       # SHACL shapes (shapes/)
POLICY_BASE = BASE + "policy/"          # <BASE>policy/<slug>/<version> = one named graph per version
SOURCE_BASE = BASE + "source/"          # <BASE>source/<slug>/<version> = the dated snapshot
VOCAB_GRAPH = BASE + "graph/vocab"       # the store's one vocabulary graph (every ontology file merged)
VOCAB_GRAPH_BASE = VOCAB_GRAPH + "/"     # <BASE>graph/vocab/<file stem>: Vocabulary.graphs() keys, one per file

# prefix -> namespace, in the order used for CURIEs, Turtle output and the JSON-LD context.
PREFIXES: dict[str, str] = {
    "dpv": str(DPV),
    "pd": str(PD),
    "tech": str(TECH),
    "loc": str(LOC),
    "risk": str(RISK),
    "eu-gdpr": str(EU_GDPR),
    "legal": str(LEGAL),
    "legal-eu": str(LEGAL_EU),
    "legal-fr": str(LEGAL_FR),
    "justifications": str(JUSTIFICATIONS),
    "pkx": str(PKX),
    "pks": str(PKS),
    "oa": str(OA),
    "prov": str(PROV),
    "dct": str(DCTERMS),
    "skos": str(SKOS),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "spdx": str(SPDX),
    "sw": str(SW),
}

# Prefixes whose terms must exist in the term table (DPV) or in the extension (pkx).
VOCAB_PREFIXES = ("dpv", "pd", "tech", "loc", "risk", "eu-gdpr", "legal", "legal-eu", "legal-fr",
                  "justifications", "pkx")


def policy_graph_iri(slug: str, version: str) -> str:
    return f"{POLICY_BASE}{slug}/{version}"


def source_iri(slug: str, version: str) -> str:
    return f"{SOURCE_BASE}{slug}/{version}"


def expand_curie(curie: str) -> str | None:
    """'dpv:Purpose' -> full IRI, or None when the prefix is unknown."""
    prefix, sep, local = curie.partition(":")
    if not sep or prefix not in PREFIXES:
        return None
    return PREFIXES[prefix] + local


def shorten(iri: str) -> str:
    """Full IRI -> CURIE when a known namespace matches (longest namespace wins), else the IRI."""
    best = None
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and (best is None or len(ns) > len(PREFIXES[best])):
            best = prefix
    return f"{best}:{iri[len(PREFIXES[best]):]}" if best else iri


# The properties whose values are literals, with their datatype where one is fixed (None: a plain or language
# string). One table for the card loader (a card's value for these is text, not a term) and for the JSON-LD
# context (kg.vocab.generate_context types the ones with a datatype).
LITERAL_PROPERTIES: dict[str, str | None] = {str(p): d for p, d in {
    DPV.hasName: None, DPV.hasAddress: None, DPV.hasContact: None, DPV.hasIdentifier: None,
    DPV.isIndicatedAtTime: str(XSD.dateTime),
    DCTERMS.description: None, DCTERMS.title: None, RDFS.label: None, RDFS.comment: None, SKOS.note: None,
    RDF.value: None,
    OA.start: str(XSD.nonNegativeInteger), OA.end: str(XSD.nonNegativeInteger),
    PKX.draftConfidence: str(XSD.decimal), PKX.foundBy: None,
}.items()}   # keys are plain strings: an rdflib URIRef never equals a str
