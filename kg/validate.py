"""Validate policy graphs against the SHACL profiles in shapes/<profile>/ (one policy at a time).

The data graph of one validation is the policy's own graph plus the part of the vocabulary its terms
reach (their rdf:type / skos:broader / rdfs:subClassOf closure, sunset status and legal territories):
DPV types its concepts inconsistently, so shapes walk `(rdf:type|skos:broader|rdfs:subClassOf)*`
(see ../shared/research/dpv-modelling.md §5), and pySHACL never sees the 22k-triple vocabulary whole.
The result is a `Report` per policy: its findings (with message and fix in fr and en, the article, the
quote and the card line) and the standard `sh:ValidationReport` graph the engine produced.
"""
from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SH, SKOS

from . import namespaces as ns
from .errors import EnvironmentError_, Location, UsageError
from .parallel import can_fork, closing_batches

PKS, PKX, OA = ns.PKS, ns.PKX, ns.OA
PROFILE_CLASS = PKS.Profile
SEVERITIES = {SH.Violation: "violation", SH.Warning: "warning", SH.Info: "info"}
SEVERITY_RANK = {"info": 0, "warning": 1, "violation": 2}
ENGINES = ("oxigraph", "pyshacl", "pyshacl-turbo")
REFERENCE_ENGINE = "pyshacl"
# pySHACL is the reference. `oxigraph` (kg/shacl.py: the SHACL features our profiles use, on an
# in-memory pyoxigraph store) and pyshacl-turbo (same API as pySHACL, a Rust engine) give identical
# findings on every fixture and on the seeds (tests/test_shapes.py, tests/test_validate.py);
# oxigraph is the fastest (benchmarks/validate_corpus.py, docs/decisions/), so it is the default.
DEFAULT_ENGINE = "oxigraph"
WALK = (RDF.type, SKOS.broader, RDFS.subClassOf)


# ---------------------------------------------------------------------------------------------
# Profiles
# ---------------------------------------------------------------------------------------------

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
    from .resources import shapes_dir as default_dir

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


# ---------------------------------------------------------------------------------------------
# Which profiles apply (profile `auto`)
# ---------------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------------
# The data graph of one validation
# ---------------------------------------------------------------------------------------------

# vocabulary facts a policy's terms carry into its data graph, besides the WALK hierarchy
FACT_PREDICATES = (ns.SW.term_status, PKX.withinLegalTerritory, PKX.outsideLegalTerritory)


def vocabulary_closure(start, edges) -> list:
    """What the vocabulary terms `start` reach: every item of `edges(term)` = (item, next term or None),
    for the terms reached from `start` through the next terms (each term visited once). Shared by the
    rdflib data graph (validation_graph) and the oxigraph engine's Workspace."""
    todo, seen, out = set(start), set(), []
    while todo:
        term = todo.pop()
        if term in seen:
            continue
        seen.add(term)
        for item, following in edges(term):
            out.append(item)
            if following is not None:
                todo.add(following)
    return out


def validation_graph(policy: Graph, vocabulary) -> Graph:
    """The policy graph plus the vocabulary facts its terms reach (hierarchy, status, territories)."""
    vgraph = vocabulary.graph
    data = Graph()
    for prefix, iri in ns.PREFIXES.items():
        data.bind(prefix, iri)
    for triple in policy:
        data.add(triple)
    vocab_ns = tuple(ns.PREFIXES[p] for p in ns.VOCAB_PREFIXES)
    start = {o for _, _, o in policy if isinstance(o, URIRef) and str(o).startswith(vocab_ns)}
    start |= {p for _, p, _ in policy if str(p).startswith(vocab_ns)}

    def edges(term):
        for p in WALK:
            for o in vgraph.objects(term, p):
                yield (term, p, o), (o if isinstance(o, URIRef) else None)
        for p in FACT_PREDICATES:
            for o in vgraph.objects(term, p):
                yield (term, p, o), None
    for triple in vocabulary_closure(start, edges):
        data.add(triple)
    return data


# ---------------------------------------------------------------------------------------------
# Findings and reports
# ---------------------------------------------------------------------------------------------

@dataclass
class Finding:
    policy: str                      # slug@version
    profile: str
    shape: str                       # the shape id, e.g. gdpr-13-2-a-retention-stated
    severity: str                    # violation | warning | info
    message: dict[str, str]          # lang -> text
    fix: dict[str, str]
    article: str                     # e.g. "GDPR Art. 13(2)(a)"
    references: list[str]            # CURIEs of the legal IRIs (dct:references)
    focus: str                       # IRI of the focus node
    focus_label: dict[str, str]      # lang -> label of the focus node
    path: str | None = None          # CURIE
    value: str | None = None         # CURIE, IRI or literal text
    quote: str | None = None         # the evidence of (focus, path, value) when the graph has one
    statement: str | None = None     # the card statement id of that quote
    where: Location | None = None    # the card file:line when the input was a card

    def text(self, what: str, lang: str) -> str:
        """message, fix or focus_label in `lang` (fr falls back to en)."""
        texts = getattr(self, what)
        return texts.get(lang) or texts.get("en") or next(iter(texts.values()), "")


@dataclass
class Report:
    policy: str
    profiles: list[tuple[str, dict[str, str]]]  # (id, why: lang -> text)
    findings: list[Finding]
    graph: Graph                     # the sh:ValidationReport
    engine: str
    seconds: float
    source: str | None = None        # the file validated

    def conforms(self, fail_on: str = "violation") -> bool:
        return not any(SEVERITY_RANK[f.severity] >= SEVERITY_RANK[fail_on] for f in self.findings)

    def counts(self) -> dict[str, int]:
        out = {"violation": 0, "warning": 0, "info": 0}
        for f in self.findings:
            out[f.severity] += 1
        return out


def _evidence_index(policy: Graph, subjects: set | None = None) -> dict[tuple, tuple[str, str]]:
    """(subject, predicate, object) -> (quote, statement id), and (subject, predicate) -> first one
    (for the statements about `subjects` only, when given)."""
    index: dict[tuple, tuple[str, str]] = {}
    for st in policy.subjects(RDF.type, RDF.Statement):
        s = policy.value(st, RDF.subject)
        if subjects is not None and s not in subjects:
            continue
        p, o = policy.value(st, RDF.predicate), policy.value(st, RDF.object)
        ann = policy.value(st, ns.PROV.wasDerivedFrom)
        if ann is None:
            continue
        target = policy.value(ann, OA.hasTarget)
        exact = None
        for sel in policy.objects(target, OA.hasSelector):
            exact = policy.value(sel, OA.exact) or exact
        if exact is None:
            continue
        found = (str(exact), str(policy.value(ann, DCTERMS.identifier) or ""))
        index.setdefault((s, p, o), found)
        index.setdefault((s, p, None), found)
        index.setdefault((s, None, None), found)
    return index


def _label(graph: Graph, node, vocabulary, lang: str = "en") -> str:
    for p in (RDFS.label, DPV_HAS_NAME, DCTERMS.title):
        texts = lang_texts(graph, node, p)
        if texts:
            return texts.get(lang) or texts.get("en") or next(iter(texts.values()))
    if str(node).startswith(ns.POLICY_BASE):
        return str(node).rsplit("#", 1)[-1]
    return vocabulary.label(node, lang) or ns.shorten(str(node))


DPV_HAS_NAME = ns.DPV.hasName


def _term_text(term) -> str | None:
    if term is None:
        return None
    return ns.shorten(str(term)) if isinstance(term, URIRef) else str(term)


def _findings(results: Graph, policy_key: str, profile_of: dict[str, str], shapes: Graph, policy: Graph,
              vocabulary, locations: dict | None) -> list[Finding]:
    index: list = []

    def evidence() -> dict:   # built on first use (absence findings need none), for the focus nodes only
        if not index:
            index.append(_evidence_index(policy, set(results.objects(None, SH.focusNode))))
        return index[0]
    out = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        source = results.value(result, SH.sourceShape)
        sid = shape_id(source)
        focus = results.value(result, SH.focusNode)
        path = results.value(result, SH.resultPath)
        value = results.value(result, SH.value)
        severity = SEVERITIES.get(results.value(result, SH.resultSeverity), "violation")
        messages = _localized_messages(results, result, shapes, source, policy, vocabulary)
        if value == focus:  # SPARQL constraints without ?value report the focus node as the value
            value = None
        # presence findings (a value) carry the quote that states it; absence findings have none
        p_key = path if isinstance(path, URIRef) else None
        quote = (evidence().get((focus, p_key, value)) or evidence().get((focus, p_key, None))) if value is not None else None
        refs = sorted(ns.shorten(str(r)) for r in shapes.objects(source, DCTERMS.references))
        where = None
        if locations is not None:
            where = (locations.get((focus, path, value)) or locations.get((focus, path, None))
                     or locations.get((focus, None, None)))
        out.append(Finding(
            policy=policy_key, profile=profile_of.get(sid, "?"), shape=sid, severity=severity,
            message=messages, fix=lang_texts(shapes, source, PKS.fix),
            article=str(shapes.value(source, PKS.article) or ""), references=refs,
            focus=str(focus), focus_label={lang: _label(policy, focus, vocabulary, lang) for lang in ("en", "fr")},
            path=_term_text(path) if isinstance(path, URIRef) else None, value=_term_text(value),
            quote=quote[0] if quote else None, statement=quote[1] if quote else None, where=where))
    out.sort(key=lambda f: (-SEVERITY_RANK[f.severity], f.profile, f.shape, f.focus, f.value or ""))
    return out


_IRI = re.compile(r"(?:https?|urn):[^\s\"<>«»]+[^\s\"<>«».,;:!?)]")


def _localized_messages(results: Graph, result, shapes: Graph, source, policy: Graph, vocabulary) -> dict[str, str]:
    """The result's messages by language. Both engines drop the language tags of sh:message when they
    substitute {?var} and {$this}; each result message is matched back to the shape's template of its
    language. IRIs in the text become labels (policy nodes) or CURIEs (vocabulary terms)."""
    templates = {lit.language or "en": str(lit) for lit in shapes.objects(source, SH.message) if isinstance(lit, Literal)}
    out: dict[str, str] = {}
    for lit in results.objects(result, SH.resultMessage):
        text = str(lit)
        lang = lit.language if isinstance(lit, Literal) and lit.language else None
        if lang is None:
            for tlang, template in templates.items():
                pattern = "".join("(.*?)" if re.fullmatch(r"\{[?$]\w+\}", part) else re.escape(part)
                                  for part in re.split(r"(\{[?$]\w+\})", template))
                if re.fullmatch(pattern, text, flags=re.S):
                    lang = tlang
                    break
        out.setdefault(lang or "en", text)
    if not out:
        out = dict(templates)

    def readable(match: re.Match) -> str:
        iri = match.group(0)
        if iri.startswith(ns.POLICY_BASE):
            return _label(policy, URIRef(iri), vocabulary)
        return ns.shorten(iri)
    return {lang: _IRI.sub(readable, text) for lang, text in out.items()}


def _engine(name: str):
    if name == "pyshacl":
        import pyshacl
        return pyshacl.validate
    if name == "pyshacl-turbo":
        try:
            import pyshacl_turbo
        except ImportError:
            raise EnvironmentError_("the engine pyshacl-turbo is not installed", None,
                                    "pip install pyshacl-turbo, or use --engine pyshacl",
                                    error_id="missing-engine") from None
        return pyshacl_turbo.validate
    raise UsageError(f"unknown engine '{name}'", None, "use one of " + ", ".join(ENGINES), error_id="unknown-engine")


@lru_cache(maxsize=32)
def _profile_shapes(shapes_dir: str | None, pids: tuple[str, ...]) -> tuple[Graph, dict[str, str]]:
    """The shapes graph of a set of profiles and the profile of each shape (built once per set)."""
    available = load_profiles(shapes_dir)
    shapes = Graph()
    profile_of: dict[str, str] = {}
    for pid in pids:
        shapes += available[pid].graph
        for s in _named_shapes(available[pid].graph):
            profile_of[shape_id(s)] = pid
    return shapes, profile_of


@lru_cache(maxsize=32)
def _shapes_engine(shapes_dir: str | None, pids: tuple[str, ...]):
    """The oxigraph engine's compiled shapes of a set of profiles (queries prepared once per process)."""
    from .shacl import ShapesEngine
    return ShapesEngine(_profile_shapes(shapes_dir, pids)[0])


class Workspace:
    """The oxigraph engine's data side: an in-memory store that holds one validation's data graph at a
    time (the policy's triples plus the vocabulary closure of validation_graph, from an index of the
    vocabulary built once), so no rdflib graph is built on the way."""

    def __init__(self, vocabulary):
        import pyoxigraph as ox

        from .terms import to_ox
        self.store = ox.Store()
        self.graph = ox.NamedNode("urn:policykg:validation")
        self.vocab_ns = tuple(ns.PREFIXES[p] for p in ns.VOCAB_PREFIXES)
        # vocabulary IRI -> its closure triples (the WALK ones lead to further terms)
        self.walk: dict[str, list] = {}
        self.facts: dict[str, list] = {}
        vgraph = vocabulary.graph
        for preds, index in ((WALK, self.walk), (FACT_PREDICATES, self.facts)):
            for p in preds:
                for s, o in vgraph.subject_objects(p):
                    index.setdefault(str(s), []).append(
                        (ox.Quad(to_ox(s), to_ox(p), to_ox(o), self.graph), str(o) if isinstance(o, URIRef) else None))
        self._terms: dict = {}
        self.statements = None   # rdf:Statement nodes in the order of the store they came from

    def load(self, triples) -> None:
        """Write the data graph of a policy given as pyoxigraph triples (replacing the previous one)."""
        import pyoxigraph as ox
        # a new store each time: the in-memory store keeps removed quads as versions, and queries over
        # a store that was cleared many times slow down (profiled: 45 ms -> 280 ms per policy)
        self.store = ox.Store()
        self.statements = None
        g = self.graph
        quads = [ox.Quad(t.subject, t.predicate, t.object, g) for t in triples]
        terms = set()
        for q in quads:
            o, p = q.object, q.predicate
            if isinstance(o, ox.NamedNode):
                terms.add(o.value)
            terms.add(p.value)
        self.store.extend(quads)
        self._add_closure(terms)

    def load_from(self, store, graph_iri: str) -> None:
        """Write the data graph of a policy of `store` (copied as N-Triples, without Python objects)."""
        import pyoxigraph as ox
        source = ox.NamedNode(graph_iri)
        data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=source)
        # the statements in the source store's order: which quote a finding shows, when several
        # statements say the same thing of its focus node, depends on it (_evidence_index)
        self.statements = [q.subject for q in store.quads_for_pattern(
            None, ox.NamedNode(str(RDF.type)), ox.NamedNode(str(RDF.Statement)), source)]
        self.store = ox.Store()
        self.store.load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=self.graph)
        rows = self.store.query("SELECT DISTINCT ?t WHERE { { ?s ?t ?o } UNION { ?s ?p ?t FILTER (isIRI(?t)) } }",
                                default_graph=self.graph)
        self._add_closure({r[0].value for r in rows})

    def _add_closure(self, terms: set) -> None:
        """validation_graph's vocabulary part: what the policy's vocabulary terms reach."""
        def edges(term: str):
            yield from self.walk.get(term, ())
            yield from ((quad, None) for quad, _ in self.facts.get(term, ()))
        self.store.extend(vocabulary_closure({t for t in terms if t.startswith(self.vocab_ns)}, edges))

    def policy_graph(self) -> Graph:
        """The rdflib graph of what the finding descriptions read of the policy (evidence and labels)."""
        import pyoxigraph as ox

        from .terms import from_ox
        out = Graph()
        for p in _DESCRIPTION_PREDICATES:
            for q in self.store.quads_for_pattern(None, ox.NamedNode(str(p)), None, self.graph):
                out.add((from_ox(q.subject), p, from_ox(q.object)))
        statements = self.statements
        if statements is None:
            statements = [q.subject for q in self.store.quads_for_pattern(
                None, ox.NamedNode(str(RDF.type)), ox.NamedNode(str(RDF.Statement)), self.graph)]
        for st in statements:
            out.add((from_ox(st), RDF.type, RDF.Statement))
        return out

    def ox_triples(self, graph: Graph) -> list:
        """The pyoxigraph triples of an rdflib graph (terms converted once per process)."""
        import pyoxigraph as ox

        from .terms import to_ox
        cache = self._terms
        out = []
        for triple in graph:
            terms = []
            for t in triple:
                x = cache.get(t)
                if x is None:
                    x = cache[t] = to_ox(t)
                terms.append(x)
            out.append(ox.Triple(*terms))
        if len(cache) > 200_000:
            cache.clear()
        return out

    def applies(self) -> list[tuple[str, object]]:
        from .terms import from_ox
        return [(s["why"].value, from_ox(s["term"]))
                for s in self.store.query(_APPLIES, default_graph=self.graph)]


# what _findings reads of the policy graph (_evidence_index, _label), besides rdf:type rdf:Statement
_DESCRIPTION_PREDICATES = (RDF.subject, RDF.predicate, RDF.object, ns.PROV.wasDerivedFrom, OA.hasTarget,
                           OA.hasSelector, OA.exact, DCTERMS.identifier, RDFS.label, DPV_HAS_NAME, DCTERMS.title)

_WORKSPACES: dict[int, tuple[object, Workspace]] = {}


def workspace(vocabulary) -> Workspace:
    """The Workspace of a vocabulary (built once: the warm-up)."""
    held = _WORKSPACES.get(id(vocabulary))
    if held is None or held[0] is not vocabulary:
        held = _WORKSPACES[id(vocabulary)] = (vocabulary, Workspace(vocabulary))
    return held[1]


def validate_graph(policy: Graph | None, policy_key: str, vocabulary, *, profiles: list[str] | str = "auto",
                   engine: str = DEFAULT_ENGINE, shapes_dir: str | None = None,
                   locations: dict | None = None, source: str | None = None,
                   only_shapes: list[str] | None = None, ox_triples: list | None = None,
                   from_store: tuple | None = None) -> Report:
    """Validate one policy graph. `profiles` is 'auto' or a list of profile ids (their imports added);
    `only_shapes` (shape ids) restricts the run to those shapes. `ox_triples`: the same graph as
    pyoxigraph triples, when the caller has them (the oxigraph engine then skips the conversion), or
    `from_store` = (store, graph IRI) where it is; `policy` may then be None: the rdflib graph of what the
    findings describe is built only when there are findings."""
    available = load_profiles(shapes_dir)
    ws = None
    if engine == "oxigraph":
        ws = workspace(vocabulary)
        if from_store is not None:
            ws.load_from(*from_store)
        else:
            ws.load(ox_triples if ox_triples is not None else ws.ox_triples(policy))
    elif engine not in ENGINES:
        _engine(engine)
    if profiles == "auto" or profiles == ["auto"]:
        chosen = _choose_profiles(ws.applies(), vocabulary, available) if ws else \
            applicable_profiles(policy, vocabulary, available)
    else:
        ids = resolve_profiles(list(profiles), available)
        chosen = [(pid, {lang: REASONS[lang]["requested"] if pid in profiles else
                         REASONS[lang]["imported"].format(by=", ".join(profiles)) for lang in REASONS})
                  for pid in ids]
    pids = tuple(pid for pid, _ in chosen)
    shapes, profile_of = _profile_shapes(shapes_dir, pids)
    started = time.perf_counter()
    if ws is not None:
        only = {PKS[sid] for sid in only_shapes} if only_shapes else None
        _conforms, results = _shapes_engine(shapes_dir, pids).validate(ws.store, [ws.graph], only)
    else:
        data = validation_graph(policy, vocabulary)
        extra = {"use_shapes": [str(PKS[sid]) for sid in only_shapes]} if only_shapes else {}
        _conforms, results, _text = _engine(engine)(
            data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True, allow_infos=True,
            **extra)
    seconds = time.perf_counter() - started
    if policy is None:   # given as pyoxigraph triples or in a store only
        policy = ws.policy_graph() if (None, RDF.type, SH.ValidationResult) in results else Graph()
    findings = _findings(results, policy_key, profile_of, shapes, policy, vocabulary, locations)
    return Report(policy_key, chosen, findings, results, engine, seconds, source)


@dataclass
class ValidationRun:
    reports: list[Report] = field(default_factory=list)

    def conforms(self, fail_on: str = "violation") -> bool:
        return all(r.conforms(fail_on) for r in self.reports)


def validate_paths(paths: list[str | Path], *, profiles: list[str] | str = "auto", engine: str = DEFAULT_ENGINE,
                   vocab_dir: Path | None = None, shapes_dir: str | None = None) -> ValidationRun:
    """Validate cards and RDF files (each policy on its own), without touching the store."""
    from .sources import file_sources, input_files
    from .vocab import load_vocabulary

    vocabulary = load_vocabulary(vocab_dir)
    run = ValidationRun()
    for path in input_files(paths):
        for source in file_sources(path, vocabulary):
            run.reports.append(validate_graph(source.graph, source.key, vocabulary, profiles=profiles, engine=engine,
                                              shapes_dir=shapes_dir, locations=source.locations or None,
                                              source=str(path)))
    return run


def validate_store(store, selectors: list[str] | None, *, profiles: list[str] | str = "auto",
                   engine: str = DEFAULT_ENGINE, vocab_dir: Path | None = None,
                   shapes_dir: str | None = None, workers: int | None = None) -> ValidationRun:
    """Validate policies already in the store (by SLUG or SLUG@DATE), one report per policy, in the order
    of the store's inventory. `store` is an open store or the path of one; given a path, many policies are
    validated by `workers` forked processes (default: one per core), each reading the store on its own."""
    from .inventory import select_policies
    from .stores.oxigraph import open_store
    from .vocab import load_vocabulary

    store_path = None
    if isinstance(store, (str, Path)):
        store_path, store = Path(store), open_store(store)
    vocabulary = load_vocabulary(vocab_dir)
    items = [(info.key, info.graph) for info in select_policies(store, selectors)]
    options = {"profiles": profiles, "engine": engine, "shapes_dir": shapes_dir}
    workers = workers if workers is not None else (os.cpu_count() or 1)
    run = ValidationRun()
    if store_path is not None and workers > 1 and len(items) >= _PARALLEL_MIN_POLICIES and can_fork():
        global _worker_job
        _worker_job = (store_path, vocabulary, options)
        batches = [items[i:i + _POLICY_BATCH] for i in range(0, len(items), _POLICY_BATCH)]
        with closing_batches(_validate_batch, batches, workers, initializer=_WORKSPACES.clear) as validated:
            for batch, reports in zip(batches, validated):
                for item, report in zip(batch, reports):
                    # a policy that failed in a worker is validated here again, to raise its error as it is
                    run.reports.append(report or _validate_stored(store, *item, vocabulary, **options))
        return run
    for key, graph in items:
        run.reports.append(_validate_stored(store, key, graph, vocabulary, **options))
    return run


# Whole-store validation in forked workers: each opens the store read-only itself and validates a batch of
# policies; reports (findings and the sh:ValidationReport graph) come back pickled, in order.
_PARALLEL_MIN_POLICIES = 32
_POLICY_BATCH = 8
_worker_job: tuple | None = None
_worker_store = None


def _validate_batch(items: list[tuple[str, str]]) -> list[Report | None]:
    global _worker_store
    store_path, vocabulary, options = _worker_job
    out: list[Report | None] = []
    for key, graph in items:
        try:
            if _worker_store is None:
                from .stores.oxigraph import open_store
                _worker_store = open_store(store_path)
            out.append(_validate_stored(_worker_store, key, graph, vocabulary, **options))
        except BaseException:  # noqa: BLE001 - the parent validates it again and raises the error itself
            out.append(None)
    return out


def _validate_stored(store, key: str, graph: str, vocabulary, *, profiles, engine, shapes_dir) -> Report:
    if engine == "oxigraph":   # straight from store to store; the rdflib graph only if there are findings
        return validate_graph(None, key, vocabulary, profiles=profiles, engine=engine, shapes_dir=shapes_dir,
                              source=graph, from_store=(store, graph))
    import pyoxigraph as ox

    from .terms import rdflib_graph
    g = rdflib_graph(store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))
    return validate_graph(g, key, vocabulary, profiles=profiles, engine=engine, shapes_dir=shapes_dir, source=graph)
