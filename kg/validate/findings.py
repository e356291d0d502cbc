"""The report model: a Finding per SHACL result (message and fix in fr and en, the article, the quote
and the card line) and a Report per policy, with the standard `sh:ValidationReport` graph the engine
produced.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SH

from .. import namespaces as ns
from ..errors import Location
from .profiles import GraphPickledLazily, lang_texts, shape_id

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
    articles: dict[str, str] = field(default_factory=dict)   # lang -> the citation in that language's style
    # the citations by law: [{"profile": "gdpr", "en": "GDPR Art. 7(3)", "fr": "RGPD, art. 7, § 3"}]; the
    # Report keeps those of the profiles it ran (a finding cites only the laws that apply)
    citations: list[dict[str, str]] = field(default_factory=list)
    card_hint: dict[str, str] = field(default_factory=dict)  # lang -> how to state it in the card (RDF terms)
    values: list[str] = field(default_factory=list)         # every value of a grouped finding (value is the first)

    def text(self, what: str, lang: str) -> str:
        """message, fix, focus_label, card_hint or article in `lang` (fr falls back to en)."""
        if what == "article":
            return self.articles.get(lang) or self.articles.get("en") or self.article
        texts = getattr(self, what)
        return texts.get(lang) or texts.get("en") or next(iter(texts.values()), "")

    def keep_citations(self, profiles) -> None:
        """Keep the citations of the laws whose profiles are in `profiles` (when some are), and make the
        article those citations."""
        kept = [c for c in self.citations if c.get("profile") in set(profiles)]
        if not self.citations or not kept:
            return
        self.citations = kept
        sep = {"en": "; ", "fr": " ; "}
        self.articles = {lang: sep[lang].join(c.get(lang) or c["en"] for c in kept) for lang in ("en", "fr")}
        self.article = self.articles["en"]
        refs = sorted({r for c in kept for r in c.get("references", [])})
        if refs:
            self.references = refs


@dataclass
class Report(GraphPickledLazily):
    policy: str
    profiles: list[tuple[str, dict[str, str]]]  # (id, why: lang -> text)
    findings: list[Finding]
    graph: Graph                     # the sh:ValidationReport
    engine: str
    seconds: float
    source: str | None = None        # the file validated
    shapes_dir: str | None = None    # the profiles' folder the shapes came from (None: the shipped ones)
    profile_folders: tuple[str, ...] = ()   # the users' profile folders given to the run (--profile PATH)

    def __post_init__(self) -> None:
        # a finding cites only the laws that apply: the citations of the profiles this run applied
        run = [pid for pid, _ in self.profiles]
        for f in self.findings:
            f.keep_citations(run)

    def conforms(self, fail_on: str = "violation") -> bool:
        return not any(SEVERITY_RANK[f.severity] >= SEVERITY_RANK[fail_on] for f in self.findings)

    def counts(self) -> dict[str, int]:
        out = {"violation": 0, "warning": 0, "info": 0}
        for f in self.findings:
            out[f.severity] += 1
        return out


def quoted_statements(policy: Graph, subjects: set | None = None):
    """(subject, predicate, object, quote, statement id, inferred) for each quoted statement of a policy graph
    in the RDF 1.1 form (kg.evidence), for the statements about `subjects` only when given."""
    value = _first_values(policy, (RDF.subject, RDF.predicate, RDF.object, ns.PROV.wasDerivedFrom, OA.hasTarget,
                                   OA.exact, DCTERMS.identifier))
    inferring = set(policy.subjects(OA.motivatedBy, ns.PKX.inferring))
    for st in policy.subjects(RDF.type, RDF.Statement):
        s = value(st, RDF.subject)
        if subjects is not None and s not in subjects:
            continue
        ann = value(st, ns.PROV.wasDerivedFrom)
        if ann is None:
            continue
        target = value(ann, OA.hasTarget)
        exact = value(target, OA.exact) if target is not None else None
        if exact is None:
            continue
        yield (s, value(st, RDF.predicate), value(st, RDF.object), str(exact),
               str(value(ann, DCTERMS.identifier) or ""), ann in inferring)


def _first_values(graph: Graph, predicates):
    """`graph.value(node, predicate)` for these predicates, from one scan of each: a node with several values
    of one asks the graph, which gives the first in its own order."""
    single: dict = {}
    several: set = set()
    for p in predicates:
        for s, o in graph.subject_objects(p):
            if single.setdefault((s, p), o) != o:
                several.add((s, p))

    def value(node, p):
        return graph.value(node, p) if (node, p) in several else single.get((node, p))
    return value


def _evidence_index(policy: Graph, subjects: set | None = None) -> dict[tuple, tuple[str, str]]:
    """(subject, predicate, object) -> (quote, statement id), and (subject, ANY, object) -> the first one
    whatever the predicate (for the statements about `subjects` only, when given). Never (subject, predicate)
    alone: a finding quotes the statement it is about, not another statement of the same node."""
    return _index_of((s, p, o, quote, ident) for s, p, o, quote, ident, _inferred in quoted_statements(policy, subjects))


def _index_of(rows) -> dict[tuple, tuple[str, str]]:
    index: dict[tuple, tuple[str, str]] = {}
    for s, p, o, quote, ident in rows:
        index.setdefault((s, p, o), (quote, ident))
        index.setdefault((s, ANY, o), (quote, ident))
    return index


class GraphFacts:
    """What the findings' descriptions read of a policy (its quoted statements, the names of its nodes), from
    an rdflib graph of it."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self._index: dict | None = None

    def evidence(self) -> dict[tuple, tuple[str, str]]:
        if self._index is None:
            self._index = _evidence_index(self.graph)
        return self._index

    def texts(self, node, predicate) -> dict[str, str]:
        return lang_texts(self.graph, node, predicate)


_EVIDENCE = """SELECT ?st ?s ?p ?o ?exact ?id WHERE {
  ?st a <http://www.w3.org/1999/02/22-rdf-syntax-ns#Statement> ;
      <http://www.w3.org/1999/02/22-rdf-syntax-ns#subject> ?s ;
      <http://www.w3.org/1999/02/22-rdf-syntax-ns#predicate> ?p ;
      <http://www.w3.org/1999/02/22-rdf-syntax-ns#object> ?o ;
      <http://www.w3.org/ns/prov#wasDerivedFrom> ?ann .
  ?ann <http://www.w3.org/ns/oa#hasTarget> ?target .
  ?target <http://www.w3.org/ns/oa#exact> ?exact .
  OPTIONAL { ?ann <http://purl.org/dc/terms/identifier> ?id } }"""


class StoreFacts:
    """The same, read from the oxigraph engine's workspace (a pyoxigraph store holding the policy's data graph
    in `graph`, its statement nodes in the order of the store they came from): one query for the quoted
    statements, the names of the nodes on first use; no rdflib graph of the policy is built (profiled: 40 ms of
    a policy's 90 went into building one and reading it)."""

    def __init__(self, store, graph, statements: list | None = None):
        self.store, self.graph, self.statements = store, graph, statements
        self._index: dict | None = None
        self._names: dict | None = None

    def evidence(self) -> dict[tuple, tuple[str, str]]:
        if self._index is None:
            from ..terms import from_ox
            rows = list(self.store.query(_EVIDENCE, default_graph=self.graph))
            order = {st: i for i, st in enumerate(self.statements or ())}
            if self.statements is None:   # the workspace's own order of its statement nodes (as rdflib reads them)
                import pyoxigraph as ox
                order = {st: i for i, st in enumerate(q.subject for q in self.store.quads_for_pattern(
                    None, ox.NamedNode(str(RDF.type)), ox.NamedNode(str(RDF.Statement)), self.graph))}
            # one row per statement as the rdflib reading takes it: the first annotation, target and quote
            first: dict = {}
            for row in rows:
                first.setdefault(row["st"], row)
            chosen = sorted(first.values(), key=lambda row: order.get(row["st"], len(order)))
            self._index = _index_of((from_ox(r["s"]), from_ox(r["p"]), from_ox(r["o"]), r["exact"].value,
                                     r["id"].value if r["id"] is not None else "") for r in chosen)
        return self._index

    def texts(self, node, predicate) -> dict[str, str]:
        if self._names is None:
            import pyoxigraph as ox

            from ..terms import from_ox
            self._names = {}
            for p in (RDFS.label, DPV_HAS_NAME, DCTERMS.title):
                for q in self.store.quads_for_pattern(None, ox.NamedNode(str(p)), None, self.graph):
                    if isinstance(q.object, ox.Literal):
                        self._names.setdefault((from_ox(q.subject), p), []).append(q.object)
        out: dict[str, str] = {}
        for lit in self._names.get((node, predicate), ()):
            out.setdefault(lit.language or "en", lit.value)
        return out


ANY = "*"   # any predicate: the statement about (subject, value) whatever the path


def _label(facts, node, vocabulary, lang: str = "en") -> str:
    """A node's name in `lang`: its label, name or title in the policy (`facts`: GraphFacts, StoreFacts or an
    rdflib Graph), else the local id of a policy node, else the vocabulary's label."""
    for p in (RDFS.label, DPV_HAS_NAME, DCTERMS.title):
        texts = lang_texts(facts, node, p) if isinstance(facts, Graph) else facts.texts(node, p)
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


def _findings(results: Graph, policy_key: str, profile_of: dict[str, str], shapes: Graph, policy,
              vocabulary, locations: dict | None) -> list[Finding]:
    """The findings of an engine's results on a policy: `policy` is what describes it (GraphFacts or
    StoreFacts; an rdflib Graph is read as GraphFacts). The evidence index is built on first use (absence
    findings need none), from the reified statements only."""
    facts = policy if isinstance(policy, (GraphFacts, StoreFacts)) else GraphFacts(policy)
    evidence = facts.evidence
    out = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        source = results.value(result, SH.sourceShape)
        sid = shape_id(source)
        focus = results.value(result, SH.focusNode)
        path = results.value(result, SH.resultPath)
        value = results.value(result, SH.value)
        severity = SEVERITIES.get(results.value(result, SH.resultSeverity), "violation")
        messages = _localized_messages(results, result, shapes, source, facts, vocabulary)
        if value == focus:  # SPARQL constraints without ?value report the focus node as the value
            value = None
        # presence findings (a value) carry the quote of the statement (focus, path, value); absence findings
        # (and values no statement states, e.g. a missing right) have none: "absent", never another quote
        quote = None
        if value is not None:
            quote = evidence().get((focus, path, value)) if isinstance(path, URIRef) else evidence().get((focus, ANY, value))
            if quote is None and isinstance(path, URIRef):   # one node further: (focus, path, X) and X states the value
                quote = next((evidence()[(k[2], ANY, value)] for k in list(evidence())
                              if k[0] == focus and k[1] == path and (k[2], ANY, value) in evidence()), None)
        refs = sorted(ns.shorten(str(r)) for r in shapes.objects(source, DCTERMS.references))
        where = None
        if locations is not None:
            where = (locations.get((focus, path, value)) or locations.get((focus, path, None))
                     or locations.get((focus, None, None)))
        articles = lang_texts(shapes, source, PKS.article)
        out.append(Finding(
            policy=policy_key, profile=profile_of.get(sid, "?"), shape=sid, severity=severity,
            message=messages, fix=lang_texts(shapes, source, PKS.fix),
            article=articles.get("en") or next(iter(articles.values()), ""), references=refs,
            articles=articles, citations=_citations(shapes, source), card_hint=lang_texts(shapes, source, PKS.cardHint),
            focus=str(focus), focus_label={lang: _label(facts, focus, vocabulary, lang) for lang in ("en", "fr")},
            path=_term_text(path) if isinstance(path, URIRef) else None, value=_term_text(value),
            quote=quote[0] if quote else None, statement=quote[1] if quote else None, where=where))
    out.sort(key=lambda f: (-SEVERITY_RANK[f.severity], f.profile, f.shape, f.focus, f.value or ""))
    return _grouped(out, shapes)


def _citations(shapes: Graph, source) -> list[dict[str, str]]:
    """The shape's pks:citation nodes: [{"profile": id, "en": article, "fr": article}], in a stable order."""
    out = []
    for node in shapes.objects(source, PKS.citation):
        profile = shapes.value(node, PKS.profile)
        texts = lang_texts(shapes, node, PKS.article)
        if profile is not None and texts:
            out.append({"profile": str(profile), "en": texts.get("en") or next(iter(texts.values())),
                        "fr": texts.get("fr") or texts.get("en") or next(iter(texts.values())),
                        "references": sorted(ns.shorten(str(r)) for r in shapes.objects(node, DCTERMS.references))})
    order = {"gdpr": 0, "law25": 1, "pipeda": 2, "pci-dss": 3}
    return sorted(out, key=lambda c: (order.get(c["profile"], 9), c["profile"]))


def _grouped(findings: list[Finding], shapes: Graph) -> list[Finding]:
    """One omission, one finding: the results of one shape on one focus node (four payment data without a
    named payment provider, three rights missing from one notice, a tracker reported by its cookie and by its
    tracking) become one finding whose message names every value and whose `values` lists them."""
    groups: dict[tuple, list[Finding]] = {}
    for f in findings:
        groups.setdefault((f.shape, f.focus, f.severity), []).append(f)
    out = []
    for f in findings:
        group = groups.get((f.shape, f.focus, f.severity))
        if group is None:
            continue
        del groups[(f.shape, f.focus, f.severity)]
        # a stable order whatever order the engine gave the results in
        group.sort(key=lambda g: (g.path or "", g.value or "", sorted(g.message.items())))
        first = group[0]
        first.values = [g.value for g in group if g.value is not None]
        if len(group) > 1:
            first.message = {lang: _merged(lang, [g.message.get(lang, "") for g in group], shapes, first.shape)
                             for lang in first.message}
            first.quote = first.quote or next((g.quote for g in group if g.quote), None)
            first.statement = first.statement if first.quote == group[0].quote else \
                next((g.statement for g in group if g.quote == first.quote), None)
        out.append(first)
    return out


def _merged(lang: str, texts: list[str], shapes: Graph, sid: str) -> str:
    """The messages of a group as one: the shape's template in `lang`, each slot filled with the distinct
    texts the members gave it, joined by commas (the first member's message when no template fits)."""
    template = lang_texts(shapes, PKS[sid], SH.message).get(lang)
    if not template:
        return texts[0]
    parts = re.split(r"(\{[?$]\w+\})", template)
    pattern = _template_pattern(template)
    filled: list[list[str]] = []
    for text in texts:
        m = pattern.fullmatch(text)
        if not m:
            return texts[0]
        for i, slot in enumerate(m.groups()):
            if len(filled) <= i:
                filled.append([])
            if slot not in filled[i]:
                filled[i].append(slot)
    slots = iter(", ".join(values) for values in filled)
    return "".join(next(slots) if re.fullmatch(r"\{[?$]\w+\}", part) else part for part in parts)


@lru_cache(maxsize=4096)
def _template_pattern(template: str) -> re.Pattern:
    """A message template ("The process {?p} has …") as a pattern whose groups are its slots (compiled once)."""
    return re.compile("".join("(.*?)" if re.fullmatch(r"\{[?$]\w+\}", part) else re.escape(part)
                              for part in re.split(r"(\{[?$]\w+\})", template)), flags=re.S)


def _gdpr_label(label: str) -> str:
    """DPV's English labels of GDPR articles put the code first ("A17 Right to Erasure", "Art 6(1-f)
    legitimate interest of controller"): the name first, the article after it ("Right to Erasure (GDPR
    Art. 17)")."""
    m = re.fullmatch(r"A(\d+)(?:-(\d+))?(?:-([a-z]))? (.+)", label) or \
        re.fullmatch(r"Art\.? ?(\d+)\((\d+)(?:-([a-z]))?\) (.+)", label)
    if not m:
        return label
    art, par, point, name = m.groups()
    return f"{name} (GDPR Art. {art}" + (f"({par})" if par else "") + (f"({point})" if point else "") + ")"


def _in_prose(label: str, lang: str, sentence_start: bool) -> str:
    """A concept's label as a common noun inside a sentence: "Implied Consent" -> "implied consent",
    "Consentement implicite" -> "consentement implicite"; capitalised at the start of a sentence; labels that
    start with a code or an acronym ("A17 Right to Erasure", "IP Address") are kept."""
    head, sep, tail = label.partition(" (")     # "Right to Erasure (GDPR Art. 17)": the name, then a reference
    words = head.split()
    if not words or not re.fullmatch(r"[A-ZÀ-Ý][a-zà-ÿ'’-]+", words[0]):
        out = label
    elif lang == "en" and all(re.fullmatch(r"[A-Z][a-z'’-]+|[a-z'’-]+", w) for w in words):
        out = head.lower() + sep + tail
    else:
        out = label[0].lower() + label[1:]
    return out[0].upper() + out[1:] if sentence_start else out


_IRI = re.compile(r"(?:https?|urn):[^\s\"<>«»]+[^\s\"<>«».,;:!?)]")


def _localized_messages(results: Graph, result, shapes: Graph, source, facts, vocabulary) -> dict[str, str]:
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
                if _template_pattern(template).fullmatch(text):
                    lang = tlang
                    break
        out.setdefault(lang or "en", text)
    if not out:
        out = dict(templates)

    def readable(lang: str):
        def label(match: re.Match) -> str:
            iri = match.group(0)
            if iri.startswith(ns.POLICY_BASE):
                return _label(facts, URIRef(iri), vocabulary, lang)
            text = vocabulary.label(URIRef(iri), lang)
            if not text:
                return ns.shorten(iri)
            if iri.startswith(str(ns.LOC)):     # a place keeps its capital
                return text
            text = _gdpr_label(text)
            before = match.string[:match.start()].rstrip()
            return _in_prose(text, lang, not before or before.endswith((".", "!", "?")))
        return label
    # prose names terms by their label in the message's language (never a vocabulary code)
    return {lang: _IRI.sub(readable(lang), text) for lang, text in out.items()}
