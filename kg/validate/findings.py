"""The report model: a Finding per SHACL result (message and fix in fr and en, the article, the quote
and the card line) and a Report per policy, with the standard `sh:ValidationReport` graph the engine
produced.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SH

from .. import namespaces as ns
from ..errors import Location


from .profiles import lang_texts, shape_id

PKS, PKX, OA = ns.PKS, ns.PKX, ns.OA
SEVERITIES = {SH.Violation: "violation", SH.Warning: "warning", SH.Info: "info"}
SEVERITY_RANK = {"info": 0, "warning": 1, "violation": 2}


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
    shapes_dir: str | None = None    # the profiles' folder the shapes came from (None: the shipped ones)

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
