"""The DPV release and what the project derives from it, on explicit request only (`policykg vocab`):
* `generate_term_table(dpv_dir)` keeps the facts the project needs from a release folder (types,
  hierarchy, English labels, status) as ontology/dpv-terms.ttl, written as deterministic Turtle;
* `generate_context` derives the JSON-LD context (ontology/context.jsonld);
* `fetch_dpv()` downloads the official release files, checked against pinned hashes.
Split out of kg/vocab.py, which loads the result and answers questions about terms.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import urllib.error
import urllib.request
from pathlib import Path

import rdflib
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from kg import namespaces as ns
from kg.errors import EnvironmentError_, KgError, UsageError
from kg.files import write_atomic



DCAM = rdflib.Namespace("http://purl.org/dc/dcam/")
TERM_STATUS = ns.SW.term_status
VANN = ns.VANN
DPV_VERSION = "2.3"
ENV_VOCAB_DIR = "POLICYKG_VOCAB_DIR"
ENV_BASE_URL = "POLICYKG_DPV_BASE_URL"
DEFAULT_BASE_URL = "https://raw.githubusercontent.com/w3c-cg/dpv/master"
PROJECT_FILES = ("policykg.ttl", "labels-fr.ttl", "territories.ttl")  # always loaded, after DPV
TERM_TABLE = "dpv-terms.ttl"
SUNSET = {"sunset", "deprecated", "removed"}


class VocabError(KgError):
    id = "vocab-error"


class FetchError(EnvironmentError_):
    id = "dpv-fetch-failed"


class HashMismatchError(FetchError):
    id = "dpv-hash-mismatch"



# --- the DPV release: files, where they are upstream, their pinned SHA-256 --------------------------

# local file name -> (path in the DPVCG repository, SHA-256 of the release file)
RELEASE_FILES: dict[str, dict[str, tuple[str, str]]] = {
    "2.3": {
        "dpv.ttl": ("2.3/dpv/dpv.ttl", "97bc7ce1a4544d39b9e480eeb7990693bee1155fb094f3dd50b9eb1d0c0d578f"),
        "pd.ttl": ("2.3/pd/pd.ttl", "65d3f07a407a76c7dbf2934a386e74137e434f0b0446f93000b4fb580c641080"),
        "tech.ttl": ("2.3/tech/tech.ttl", "a9d09590fce70e859f744f86f2a903e34dc74dbeb79ed77e4b7fdcb80eeab356"),
        "eu-gdpr.ttl": ("2.3/legal/eu/gdpr/eu-gdpr.ttl",
                        "9b710961f5e010b659f4a87dca13578dd92d6768c8716f551d142c661f7fb77f"),
        "legal.ttl": ("2.3/legal/legal.ttl", "1a960bd53c98bda829e32207f58d911b249a46c591ef57945eca39419794e915"),
        "loc.ttl": ("2.3/loc/loc.ttl", "2da355c31eafb323c3a99da79f8314b8f3b1a827c56268523e19f00c446dbe1a"),
        "risk.ttl": ("2.3/risk/risk.ttl", "6e7f7a4a6882ced639fb7c19c557b44b5fca68c370f628d34d23243c4b7b4643"),
        "justifications.ttl": ("2.3/justifications/justifications.ttl",
                               "1557a8043f887b42e773e5e03fe1107dd9f9d8696851653d6d4b78f221fce8eb"),
    },
}

# --- term table generation ----------------------------------------------------------------------------

# file of the release -> prefixes (of namespaces.PREFIXES) whose terms are kept
MODULES = (
    ("dpv.ttl", ("dpv",)), ("pd.ttl", ("pd",)), ("tech.ttl", ("tech",)), ("eu-gdpr.ttl", ("eu-gdpr",)),
    ("risk.ttl", ("risk",)), ("justifications.ttl", ("justifications",)),
    ("legal.ttl", ("legal-eu", "legal-fr")), ("loc.ttl", ("loc",)),
)
LOC_REGIONS_OF = ("CA", "FR")   # countries whose ISO 3166-2 regions are kept
# single regions kept for the legal territory table (EU outermost regions, Dutch Caribbean)
LOC_EXTRA_REGIONS = ("ES-CE", "ES-CN", "ES-ML", "PT-20", "PT-30",
                     "NL-AW", "NL-BQ1", "NL-BQ2", "NL-BQ3", "NL-CW", "NL-SX")
TERM_TYPES = {RDFS.Class, SKOS.Concept, RDF.Property, OWL.ObjectProperty, OWL.DatatypeProperty,
              OWL.AnnotationProperty}
PROPERTY_TYPES = {RDF.Property, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty}
FACT_PREDICATES = (RDF.type, RDFS.subClassOf, RDFS.subPropertyOf, SKOS.broader, DCAM.domainIncludes,
                   DCAM.rangeIncludes, SKOS.prefLabel, TERM_STATUS, DCTERMS.isPartOf)
MODULE_PREDICATES = (RDF.type, OWL.versionInfo, OWL.versionIRI, DCTERMS.modified,
                     VANN.preferredNamespacePrefix, VANN.preferredNamespaceUri)
DPV_BASE = "https://w3id.org/dpv"


def _parse(path: Path) -> rdflib.Graph:
    if not path.is_file():
        raise VocabError(f"DPV file {path.name} is missing", where=str(path),
                         fix="point --from at a DPV release folder (see `policykg vocab fetch`)",
                         error_id="dpv-file-missing")
    g = rdflib.Graph()
    try:
        g.parse(path, format="nt" if path.suffix == ".nt" else "turtle")
    except Exception as exc:  # rdflib raises several types for bad syntax
        raise VocabError(f"cannot parse {path.name}: {exc}", where=str(path),
                         fix="re-download the file with `policykg vocab fetch`",
                         error_id="rdf-syntax") from exc
    return g


def _module_of(g: rdflib.Graph, namespace: str) -> URIRef | None:
    for onto in g.subjects(VANN.preferredNamespaceUri, None):
        if str(g.value(onto, VANN.preferredNamespaceUri)) == namespace:
            return onto
    return None


def _is_term(g: rdflib.Graph, s) -> bool:
    return isinstance(s, URIRef) and any(t in TERM_TYPES for t in g.objects(s, RDF.type))


def _keep_loc(g: rdflib.Graph, s: URIRef, regions_of: tuple[str, ...]) -> bool:
    types = set(g.objects(s, RDF.type))
    if ns.DPV.Country in types or ns.DPV.SupraNationalUnion in types:
        return True
    if ns.DPV.Region in types:
        code = str(s)[len(str(ns.LOC)):]
        if code in LOC_EXTRA_REGIONS:
            return True
        return any(b in {ns.LOC[c] for c in regions_of} for b in g.objects(s, SKOS.broader))
    return False


def _copy_facts(src: rdflib.Graph, out: rdflib.Graph, s: URIRef, module: URIRef | None) -> None:
    for p in FACT_PREDICATES[:-1]:
        for o in src.objects(s, p):
            if p == RDF.type and not (o in TERM_TYPES or o in PROPERTY_TYPES or str(o).startswith(str(OWL))
                                      or str(o).startswith(DPV_BASE)):
                continue
            if p == SKOS.prefLabel and getattr(o, "language", None) != "en":
                continue
            if p != SKOS.prefLabel and p != TERM_STATUS and not isinstance(o, URIRef):
                continue
            out.add((s, p, o))
    if module is not None:
        out.add((s, DCTERMS.isPartOf, module))


def generate_term_table(dpv_dir: Path | str, regions_of: tuple[str, ...] = LOC_REGIONS_OF) -> rdflib.Graph:
    """The facts policykg needs of every DPV term (no prose), from a DPV release folder."""
    dpv_dir = Path(dpv_dir)
    if not dpv_dir.is_dir():
        raise VocabError(f"{dpv_dir} is not a folder", where=str(dpv_dir),
                         fix="give the folder of a DPV release (dpv.ttl, pd.ttl, …), e.g. from `policykg vocab fetch`",
                         error_id="dpv-file-missing")
    out = rdflib.Graph()
    for filename, prefixes in MODULES:
        src = _parse(dpv_dir / filename)
        for prefix in prefixes:
            namespace = ns.PREFIXES[prefix]
            module = _module_of(src, namespace)
            if module is not None:
                for p in MODULE_PREDICATES:
                    for o in src.objects(module, p):
                        if p != RDF.type or o == OWL.Ontology:
                            out.add((module, p, o))
            terms = {s for s in set(src.subjects()) if str(s).startswith(namespace) and _is_term(src, s)}
            if prefix == "loc":
                terms = {s for s in terms if _keep_loc(src, s, regions_of)}
            for s in terms:
                _copy_facts(src, out, s, module)
            if prefix.startswith("legal-"):   # the legal: core terms these modules use
                used = {o for s in terms for o in src.objects(s, None) if str(o).startswith(str(ns.LEGAL))}
                legal_module = _module_of(src, str(ns.LEGAL))
                for s in used:
                    if _is_term(src, s):
                        _copy_facts(src, out, s, legal_module)
    return out


def dpv_version(graph: rdflib.Graph) -> str | None:
    value = graph.value(URIRef(DPV_BASE), OWL.versionInfo)
    return str(value) if value is not None else None


# --- deterministic Turtle -----------------------------------------------------------------------------

_LOCAL = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?$")
_WRITE_PREFIXES = {**ns.PREFIXES, "dcam": str(DCAM), "vann": str(VANN)}


def _n3(term) -> str:
    if isinstance(term, URIRef):
        iri = str(term)
        best = max((p for p, n in _WRITE_PREFIXES.items() if iri.startswith(n)),
                   key=lambda p: len(_WRITE_PREFIXES[p]), default=None)
        if best is not None and _LOCAL.match(iri[len(_WRITE_PREFIXES[best]):]):
            return f"{best}:{iri[len(_WRITE_PREFIXES[best]):]}"
        return f"<{iri}>"
    if isinstance(term, Literal):
        return term.n3()
    raise VocabError(f"blank node {term} cannot be written to the term table", error_id="vocab-error")


def to_turtle(graph: rdflib.Graph, first_line: str) -> str:
    """Sorted Turtle: the same graph always gives the same bytes."""
    lines = [first_line.rstrip("\n")]
    lines += [f"@prefix {p}: <{n}> ." for p, n in sorted(_WRITE_PREFIXES.items())]
    order = {p: i for i, p in enumerate(FACT_PREDICATES + MODULE_PREDICATES[1:])}
    for s in sorted(set(graph.subjects()), key=str):
        preds = sorted(set(graph.predicates(s)), key=lambda p: (order.get(p, 99), str(p)))
        parts = []
        for p in preds:
            objs = sorted(graph.objects(s, p), key=lambda o: (type(o).__name__, str(o), o.n3()))
            verb = "a" if p == RDF.type else _n3(p)
            parts.append(f"    {verb} " + ", ".join(_n3(o) for o in objs))
        lines.append("")
        lines.append(_n3(s) + "\n" + " ;\n".join(parts) + " .")
    return "\n".join(lines) + "\n"


def write_term_table(dpv_dir: Path | str, out_dir: Path | str) -> tuple[Path, int, str]:
    """Generate and write <out_dir>/dpv-terms.ttl; returns (path, triple count, DPV version)."""
    graph = generate_term_table(dpv_dir)
    version = dpv_version(graph) or "unknown"
    first = (f"# Generated by `policykg vocab generate --from {Path(dpv_dir).name}` from DPV {version}"
             " (types, hierarchy, English labels, status; no definitions): do not edit.")
    path = Path(out_dir) / TERM_TABLE
    write_atomic(to_turtle(graph, first).encode("utf-8"), path)
    return path, len(graph), version



# --- fetching a release (explicit request only) ---------------------------------------------------------

def default_cache_dir(version: str = DPV_VERSION) -> Path:
    """Where `vocab fetch` keeps a release: dpv/VERSION in policykg's cache folder (kg.resources.cache_dir:
    $POLICYKG_CACHE, else $XDG_CACHE_HOME/policykg, else ~/.cache/policykg)."""
    from .resources import cache_dir
    return cache_dir() / "dpv" / version


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch_dpv(version: str = DPV_VERSION, base_url: str | None = None,
              cache_dir: Path | str | None = None, timeout: float = 60) -> Path:
    """Download the DPV release files into cache_dir, each checked against its pinned SHA-256.
    Files already there with the right hash are kept. Returns the folder."""
    if version not in RELEASE_FILES:
        raise UsageError(f"no pinned hashes for DPV {version}",
                         fix=f"use --version {' or '.join(sorted(RELEASE_FILES))}")
    base = (base_url or os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL).rstrip("/")
    target = Path(cache_dir) if cache_dir is not None else default_cache_dir(version)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FetchError(f"cannot create the cache folder {target}: {exc.strerror}", where=str(target),
                         fix="pass a writable folder with --cache-dir") from exc
    for name, (path, expected) in sorted(RELEASE_FILES[version].items()):
        final = target / name
        if final.is_file() and _sha256(final.read_bytes()) == expected:
            continue
        url = f"{base}/{path}"
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                data = response.read()
        except urllib.error.HTTPError as exc:
            raise FetchError(f"could not download {name}: HTTP {exc.code} {exc.reason}", where=url,
                             fix="check --base-url (or $POLICYKG_DPV_BASE_URL) and --version") from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise FetchError(f"could not download {name}: {reason}", where=url,
                             fix="check the network connection, or use --base-url for a mirror") from exc
        got = _sha256(data)
        if got != expected:
            final.unlink(missing_ok=True)
            raise HashMismatchError(f"{name} does not have the pinned SHA-256 of DPV {version} "
                                    f"(got {got[:12]}…, expected {expected[:12]}…); the file was not kept",
                                    where=url, fix="check --base-url points at the official release, then retry")
        write_atomic(data, final)
    return target


# --- JSON-LD context -------------------------------------------------------------------------------

LITERAL_PROPERTIES = ns.LITERAL_PROPERTIES   # one table, shared with the card loader
EXTRA_OBJECT_PROPERTIES = (ns.OA.hasBody, ns.OA.hasTarget, ns.OA.hasSource, ns.OA.hasSelector,
                           ns.OA.motivatedBy, ns.PROV.wasDerivedFrom, RDF.subject, RDF.predicate,
                           DCTERMS.isPartOf, DCTERMS.source)


def generate_context(vocab) -> dict:   # vocab: a kg.vocab.Vocabulary
    """A JSON-LD 1.1 context: the prefixes, then every property of the vocabulary by its CURIE, with
    `@type: @id` for object properties and an xsd datatype where one is known."""
    terms: dict[str, dict] = {}
    for prop in sorted({str(p) for p in vocab._properties | set(EXTRA_OBJECT_PROPERTIES)} | set(LITERAL_PROPERTIES)):
        curie = ns.shorten(prop)
        if curie == prop or not _LOCAL.match(curie.split(":", 1)[1]):
            continue
        if prop in LITERAL_PROPERTIES:
            datatype = LITERAL_PROPERTIES[prop]
            if datatype:
                terms[curie] = {"@id": curie, "@type": ns.shorten(datatype)}
            continue
        terms[curie] = {"@id": curie, "@type": "@id"}
    return {"@context": {"@version": 1.1, **dict(ns.PREFIXES), **terms}}


def write_context(vocab, out_dir: Path | str) -> Path:
    path = Path(out_dir) / "context.jsonld"
    text = json.dumps(generate_context(vocab), indent=2, ensure_ascii=False) + "\n"
    write_atomic(text.encode("utf-8"), path)
    return path
