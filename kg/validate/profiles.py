"""Profiles and where each applies (`--profile auto`): the shapes/<profile>/ folders, their titles
and articles, and the rules that pick the profiles a policy graph calls for.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, SH

from .. import namespaces as ns
from ..errors import UsageError

PKS, PKX, OA = ns.PKS, ns.PKX, ns.OA
PROFILE_CLASS = PKS.Profile


@dataclass
class Profile:
    id: str
    iri: URIRef
    title: dict[str, str]
    description: dict[str, str]
    imports: list[str]          # ids of the profiles it builds on
    graph: Graph                # every shape file of the folder
    folder: Path

    def shape_ids(self) -> list[str]:
        return sorted(shape_id(s) for s in _named_shapes(self.graph))


def lang_texts(graph: Graph, subject, predicate) -> dict[str, str]:
    """The literals of (subject, predicate) by language tag (untagged counts as en), one per language."""
    out = {}
    for lit in graph.objects(subject, predicate):
        if isinstance(lit, Literal):
            out.setdefault(lit.language or "en", str(lit))
    return out


def _named_shapes(graph: Graph):
    shapes = set(graph.subjects(RDF.type, SH.NodeShape)) | set(graph.subjects(RDF.type, SH.PropertyShape))
    return {s for s in shapes if isinstance(s, URIRef)}


def shape_id(iri) -> str:
    text = str(iri)
    return text[len(str(PKS)):] if text.startswith(str(PKS)) else text


@lru_cache(maxsize=4)
def load_profiles(shapes_dir: str | None = None) -> dict[str, Profile]:
    """Every profile folder of shapes/ (each with a profile.ttl header), by id."""
    from ..resources import shapes_dir as default_dir

    root = Path(shapes_dir) if shapes_dir else default_dir()
    profiles: dict[str, Profile] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and (p / "profile.ttl").is_file()):
        graph = Graph()
        for prefix, iri in ns.PREFIXES.items():
            graph.bind(prefix, iri)
        for ttl in sorted(folder.glob("*.ttl")):
            graph.parse(ttl, format="turtle")
        header = next(iter(graph.subjects(RDF.type, PROFILE_CLASS)), None)
        if header is None:
            raise UsageError(f"{folder / 'profile.ttl'} declares no pks:Profile", str(folder),
                             "add `pks:profile-<id> a pks:Profile ; dct:identifier \"<id>\"`", error_id="bad-profile")
        pid = str(graph.value(header, DCTERMS.identifier) or folder.name)
        imports = sorted(str(o).rsplit("profile-", 1)[-1] for o in graph.objects(header, OWL.imports))
        profiles[pid] = Profile(pid, header, lang_texts(graph, header, DCTERMS.title),
                                lang_texts(graph, header, DCTERMS.description), imports, graph, folder)
    return profiles


def resolve_profiles(requested: list[str], profiles: dict[str, Profile]) -> list[str]:
    """Requested ids plus what they import (core first), in a stable order; unknown ids are usage errors."""
    out: list[str] = []

    def add(pid: str) -> None:
        if pid not in profiles:
            raise UsageError(f"unknown profile '{pid}'", None, "use one of: " + ", ".join(sorted(profiles)) +
                             " (or auto)", error_id="unknown-profile")
        for dep in profiles[pid].imports:
            add(dep)
        if pid not in out:
            out.append(pid)
    for pid in requested:
        add(pid)
    return sorted(out, key=_profile_rank)



_APPLIES = """
PREFIX dpv: <https://w3id.org/dpv#>
PREFIX pkx: <https://w3id.org/policykg/ext#>
SELECT DISTINCT ?why ?term WHERE {
  { ?n a dpv:PrivacyNotice ; dpv:hasApplicableLaw ?term . BIND("law" AS ?why) }
  UNION { ?n a dpv:PrivacyNotice ; dpv:hasJurisdiction ?term . BIND("jurisdiction" AS ?why) }
  UNION { ?n a dpv:PrivacyNotice ; dpv:hasDataController ?c . ?c dpv:hasLocation ?term . BIND("controller" AS ?why) }
  UNION { ?n a dpv:PrivacyNotice ; dpv:hasGeographicCoverage ?term . BIND("coverage" AS ?why) }
  UNION { ?p dpv:hasPersonalData ?term . BIND("data" AS ?why) }
}
"""


_WHERE = {"en": {"jurisdiction": "the jurisdiction", "controller": "the controller's location",
                 "coverage": "the geographic coverage"},
          "fr": {"jurisdiction": "la juridiction", "controller": "le lieu du responsable",
                 "coverage": "la couverture géographique"}}
REASONS = {
    lang: {
        "core": {"en": "always: well-formedness of the graph", "fr": "toujours : graphe bien formé"}[lang],
        "consistency": {"en": "always: statements of one policy that contradict each other",
                        "fr": "toujours : énoncés d'une même politique qui se contredisent"}[lang],
        "claims": {"en": "the policy says {law} applies", "fr": "la politique dit que {law} s'applique"}[lang],
        "card-data": {"en": "payment card data is processed ({data})",
                      "fr": "des données de carte de paiement sont traitées ({data})"}[lang],
        "requested": {"en": "requested", "fr": "demandé"}[lang],
        "imported": {"en": "imported by {by}", "fr": "importé par {by}"}[lang],
        **{f"{w}-{zone}": f"{_WHERE[lang][w]} {{place}} " + {
            "eu": {"en": "is in EU/EEA territory", "fr": "est sur le territoire de l'UE/EEE"},
            "qc": {"en": "is in Québec", "fr": "est au Québec"},
            "ca": {"en": "is in Canada", "fr": "est au Canada"}}[zone][lang]
           for w in ("jurisdiction", "controller", "coverage") for zone in ("eu", "qc", "ca")},
    }
    for lang in ("en", "fr")
}


def applicable_profiles(graph: Graph, vocabulary, profiles: dict[str, Profile]) -> list[tuple[str, dict[str, str]]]:
    """(profile id, why in en and fr) for the profiles the graph calls for: core and consistency always; gdpr when the
    policy claims the GDPR or its controller, jurisdiction or geographic coverage is in EU/EEA territory
    (French Polynesia is not: see ontology/territories.ttl); law25 for Québec; pipeda for Canada;
    pci-dss when payment card data is processed."""
    return _choose_profiles([(str(r.why), r.term) for r in graph.query(_APPLIES)], vocabulary, profiles)


def _choose_profiles(rows: list[tuple[str, object]], vocabulary,
                     profiles: dict[str, Profile]) -> list[tuple[str, dict[str, str]]]:
    """applicable_profiles from the (why, term) rows of _APPLIES, whichever store ran it."""
    eu, eea = PKX["territory-EU"], PKX["territory-EEA"]
    chosen: dict[str, dict[str, str]] = {}

    def pick(pid: str, reason: str, **values) -> None:
        if pid in profiles and pid not in chosen:
            chosen[pid] = {lang: texts[reason].format(**values) for lang, texts in REASONS.items()}
    pick("core", "core")
    # the controller's own location first: a law the card only infers (PlanetHoster P84) is a weaker reason
    rank = {"controller": 0, "jurisdiction": 1, "coverage": 2, "law": 3, "data": 4}
    for why, term in sorted(rows, key=lambda r: (rank[r[0]], str(r[1]))):
        curie = ns.shorten(str(term))
        where = {"jurisdiction": "jurisdiction", "controller": "controller", "coverage": "coverage"}.get(why)
        if why == "law" and term == ns.LEGAL_EU["law-GDPR"]:
            pick("gdpr", "claims", law=curie)
        if where and isinstance(term, URIRef):
            if vocabulary.in_territory(term, eu) or vocabulary.in_territory(term, eea):
                pick("gdpr", where + "-eu", place=curie)
            if vocabulary.is_a(term, ns.LOC["CA-QC"]) or term == ns.LOC["CA-QC"]:
                pick("law25", where + "-qc", place=curie)
            if term in (ns.LOC.CA, ns.LOC["CA-QC"]) or vocabulary.is_a(term, ns.LOC.CA):
                pick("pipeda", where + "-ca", place=curie)
        if why == "law" and term == PKX["law-CA-QC-P39.1"]:
            pick("law25", "claims", law=curie)
        if why == "law" and term == PKX["law-CA-PIPEDA"]:
            pick("pipeda", "claims", law=curie)
        if why == "data" and isinstance(term, URIRef) and vocabulary.is_a(term, ns.PD.PaymentCard):
            pick("pci-dss", "card-data", data=curie)
    pick("consistency", "consistency")
    return sorted(chosen.items(), key=lambda kv: _profile_rank(kv[0]))


def _profile_rank(pid: str) -> tuple[int, str]:
    order = ("core", "gdpr", "law25", "pipeda", "pci-dss", "consistency")
    return (order.index(pid) if pid in order else len(order), pid)
