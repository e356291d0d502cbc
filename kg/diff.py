"""Semantic diff of two policy versions (or of two policies): what the second states that the first does not.

Both sides are reduced to their facts: the evidence (rdf:Statement, oa:Annotation, selectors), the snapshot
and the notice's version metadata (title, identifier, dates, source) are set aside, and every node of the
policy is named relative to its own graph (`<graph>#retention` -> `#retention`; the controller is
`#controller` on both sides), so two versions, or two policies, line up node by node. Blank nodes (RDF
inputs) get content-derived labels (rdflib.compare canonicalisation), so labels and statement IRIs that
differ only by ordering never show as changes. A value that replaces the only value of the same node and
property (P2Y -> P1Y, loc:PF -> loc:NC) is one `changed` entry; the rest are `added` or `removed`. Each
entry carries the quotes that support it on each side, and the validation findings that appeared or
disappeared are compared by (shape, focus, path, value), relative to each graph.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import _TripleCanonicalizer
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS

from . import namespaces as ns
from .errors import UsageError
from .messages import catalogue, words
from .sources import (
    PolicySource as Side,  # one side of a diff: a policy version and where it came from
)
from .terminal import printable

DPV, OA, SPDX = ns.DPV, ns.OA, ns.SPDX
LOCAL = "urn:policykg:node#"          # the neutral base both sides' nodes are named in
CONTROLLER = URIRef(LOCAL + "controller")
NOTICE = URIRef(LOCAL + "notice")
_EVIDENCE_TYPES = {RDF.Statement, OA.Annotation, OA.SpecificResource, OA.TextQuoteSelector,
                   OA.TextPositionSelector, SPDX.Checksum, PROV.Entity}
_VERSION_METADATA = {DCTERMS.title, DCTERMS.language, DCTERMS.identifier, DCTERMS.isVersionOf, DCTERMS.source,
                     PROV.wasDerivedFrom, DCTERMS.issued, DCTERMS.modified, DCTERMS.valid, DCTERMS.created}
_STRUCTURE = {RDF.type, RDFS.label, DCTERMS.description}

# id -> (en, fr), in the order of the report (kg/messages.yaml)
CATEGORIES = {key: (pair["en"], pair["fr"]) for key, pair in catalogue()["diff-categories"].items()}
_BY_PROPERTY = {
    DPV.hasPersonalData: "personal-data", DPV.hasPurpose: "purposes", DPV.hasProcessing: "processing",
    DPV.hasLegalBasis: "legal-bases", DPV.hasRight: "rights", DPV.isExercisedAt: "rights",
    DPV.hasLocation: "locations", DPV.hasJurisdiction: "locations", DPV.hasCountry: "locations",
    DPV.hasDataSubject: "data-subjects", DPV.hasProcess: "processes", DPV.hasDataController: "controller",
    DPV.isImplementedUsingTechnology: "technologies", DPV.hasApplicableLaw: "laws", DPV.hasAuthority: "laws",
    DPV.hasConsentControl: "consent", DPV.hasConsentStatus: "consent", DPV.mitigatesRisk: "measures",
    DPV.hasRule: "rules", DPV.hasProhibition: "rules", DPV.hasPermission: "rules", DPV.hasObligation: "rules",
}
_WHOLE_NODE = ("retention", "rules", "locations")   # everything said inside such a node belongs to it


@dataclass
class Change:
    category: str
    kind: str                        # added | removed | changed
    subject: object                  # normalised node
    predicate: URIRef
    a: object | None                 # the value in A (removed, changed)
    b: object | None                 # the value in B (added, changed)
    quotes_a: list[tuple[str, str]] = field(default_factory=list)   # (statement id, quote)
    quotes_b: list[tuple[str, str]] = field(default_factory=list)

    def key(self) -> tuple:
        return (list(CATEGORIES).index(self.category), str(self.subject), str(self.predicate),
                str(self.a or ""), str(self.b or ""))


@dataclass
class Diff:
    a: Side
    b: Side
    changes: list[Change]
    appeared: list = field(default_factory=list)      # Findings of B that A does not have
    disappeared: list = field(default_factory=list)   # Findings of A that B does not have
    normal_a: "_Normal | None" = None
    normal_b: "_Normal | None" = None
    validated: bool = True


# --- loading the two sides ------------------------------------------------------------------------------

def load_side(target: str, *, store=None, store_path=None, vocabulary=None) -> Side:
    """A card, an RDF file holding one policy, or a SLUG / SLUG@DATE of the store (kg.sources; `store` a
    PolicyStore, remote or embedded, or an open pyoxigraph Store)."""
    from .sources import is_file_target, resolve
    if is_file_target(target) and not Path(target).is_file():
        from .errors import InputNotFoundError
        raise InputNotFoundError(f"no such file: {target}", str(target), "give a card (.yaml), an RDF file, or "
                                 "SLUG[@DATE] of a policy in the store")
    found = list(resolve([target], vocabulary=vocabulary, store=store, store_path=store_path))
    if len(found) != 1:
        if is_file_target(target):
            raise UsageError(f"{target} holds {len(found)} policies; a side of a diff is one", str(target),
                             "export one version (policykg export --policy SLUG@DATE) or split the file",
                             error_id="diff-input")
        slug = found[0].key.split("@", 1)[0]
        raise UsageError(f"'{target}' names {len(found)} versions; a side of a diff is one", None,
                         f"use {slug}@DATE, or {slug} for the latest", error_id="diff-input")
    side = found[0]
    if not side.from_card and not is_file_target(target):
        side.origin = target      # the selector as the user wrote it
    return side


def previous_and_latest(store, slug: str) -> tuple[str, str]:
    """SLUG's two latest versions in `store` (a PolicyStore or a pyoxigraph Store), as selectors (for
    `policykg diff SLUG`)."""
    from .inventory import select_policies
    versions = sorted(select_policies(store, [f"{slug}@*"]), key=lambda p: p.version)
    if len(versions) < 2:
        raise UsageError(f"the store holds one version of '{slug}' ({versions[0].key}); nothing to compare",
                         None, "give two targets: SLUG@DATE, a card or an RDF file, or another policy",
                         error_id="diff-input")
    return versions[-2].key, versions[-1].key


# --- normalising ----------------------------------------------------------------------------------------

class _Canonicalizer(_TripleCanonicalizer):
    """rdflib's canonicaliser, keeping the labels it gives each blank node (to relabel the evidence too)."""

    def __init__(self, graph: Graph):
        super().__init__(graph)
        self.labels: dict = {}

    def _canonicalize_bnodes(self, triple, labels):
        self.labels = labels
        return super()._canonicalize_bnodes(triple, labels)


@dataclass
class _Normal:
    facts: Graph                              # normalised facts
    evidence: dict                            # (s, p, o) / (s, None, None) -> [(id, quote)]
    absolute: dict                            # normalised node -> the side's own term (for the patch)
    graph: Graph                              # the normalised whole graph (labels of nodes)


def _bases(side: Side) -> list[str]:
    g = side.graph
    bases = [side.graph_iri.split("#")[0] + "#"]
    for notice in g.subjects(RDF.type, DPV.PrivacyNotice):
        if isinstance(notice, URIRef) and "#" in notice:
            bases.append(str(notice).split("#")[0] + "#")
    return sorted(set(bases), key=len, reverse=True)


def _normalise(side: Side) -> _Normal:
    g, bases = side.graph, _bases(side)
    notices = set(g.subjects(RDF.type, DPV.PrivacyNotice))
    controllers = {c for n in notices for c in g.objects(n, DPV.hasDataController)}
    evidence_nodes = {s for t in _EVIDENCE_TYPES for s in g.subjects(RDF.type, t)}
    # the controller is `#controller` on both sides, unless another node of the graph is already called so
    taken = any(str(t) == b + "controller" for t in set(g.subjects()) | set(g.objects()) if t not in controllers
                for b in bases)
    absolute: dict = {}

    def rel(term):
        if term in notices:
            out = NOTICE
        elif term in controllers and len(controllers) == 1 and not taken:
            out = CONTROLLER
        elif isinstance(term, URIRef):
            base = next((b for b in bases if str(term).startswith(b)), None)
            out = URIRef(LOCAL + str(term)[len(base):]) if base else term
        else:
            out = term
        absolute.setdefault(out, term)
        return out

    facts = Graph()
    for s, p, o in g:
        if s in evidence_nodes or (s in notices and p in _VERSION_METADATA):
            continue
        facts.add((rel(s), p, rel(o)))
    relabel = {}
    if any(isinstance(t, BNode) for triple in facts for t in triple):
        canon = _Canonicalizer(facts)
        canonical = Graph()
        canonical += canon.canonical_triples()
        relabel = {b: BNode("cb" + label) for b, label in canon.labels.items() if isinstance(b, BNode)}
        facts = canonical
        for b, c in relabel.items():
            absolute[c] = absolute.get(b, b)
    evidence: dict = defaultdict(list)
    for st in g.subjects(RDF.type, RDF.Statement):
        s, p, o = g.value(st, RDF.subject), g.value(st, RDF.predicate), g.value(st, RDF.object)
        ann = g.value(st, PROV.wasDerivedFrom)
        target = g.value(ann, OA.hasTarget) if ann is not None else None
        exact = next((g.value(sel, OA.exact) for sel in g.objects(target, OA.hasSelector)
                      if g.value(sel, OA.exact) is not None), None) if target is not None else None
        if s is None or exact is None:
            continue
        s, o = relabel.get(rel(s), rel(s)), relabel.get(rel(o), rel(o))
        quote = (str(g.value(ann, DCTERMS.identifier) or ""), str(exact))
        for k in ((s, p, o), (s, None, None)):
            if quote not in evidence[k]:
                evidence[k].append(quote)
    whole = Graph()
    for s, p, o in g:
        whole.add((relabel.get(rel(s), rel(s)), p, relabel.get(rel(o), rel(o))))
    return _Normal(facts, dict(evidence), absolute, whole)


# --- categories -----------------------------------------------------------------------------------------

def _property_category(p, o, graph: Graph, vocabulary) -> str | None:
    if p in _BY_PROPERTY:
        return _BY_PROPERTY[p]
    if p == DPV.hasStorageCondition:
        types = set(graph.objects(o, RDF.type))
        return "locations" if DPV.StorageLocation in types else "retention"
    if vocabulary is not None and vocabulary.exists(p):
        if vocabulary.is_a(p, DPV.hasRecipient):
            return "recipients"
        if vocabulary.is_a(p, DPV.hasTechnicalOrganisationalMeasure) or vocabulary.is_a(p, DPV.hasMeasure):
            return "measures"
    return None


def _node_categories(graph: Graph, processes: set, vocabulary) -> dict:
    """The category of each nested node: the category of the property that reaches it from the notice,
    the controller or a process (breadth first, so the shortest path wins)."""
    roots = {NOTICE, CONTROLLER} | processes
    out: dict = {}
    frontier = [(r, "controller" if r == CONTROLLER else None) for r in roots]   # its DPO, units …: controller
    while frontier:
        nxt = []
        for node, inherited in frontier:
            for p, o in graph.predicate_objects(node):
                if isinstance(o, Literal) or o in roots or o in out or p == RDF.type:
                    continue
                if not (isinstance(o, BNode) or str(o).startswith(LOCAL)):
                    continue
                cat = (inherited if inherited in _WHOLE_NODE else None) or \
                    _property_category(p, o, graph, vocabulary) or inherited or "other"
                out[o] = cat
                nxt.append((o, cat))
        frontier = nxt
    return out


def _categorise(s, p, o, graph: Graph, nodes: dict, vocabulary) -> str:
    inside = nodes.get(s)
    if inside in _WHOLE_NODE:
        return inside
    by_property = _property_category(p, o, graph, vocabulary)
    if by_property:
        return by_property
    if inside:
        return inside
    if s == CONTROLLER:
        return "controller"
    if s == NOTICE:
        return "notice"
    return "processes" if p in _STRUCTURE else "other"


# --- the diff -------------------------------------------------------------------------------------------

def _processes(graph: Graph) -> set:
    return set(graph.objects(NOTICE, DPV.hasProcess)) | set(graph.subjects(RDF.type, DPV.Process))


def _pair_key(s, p, o):
    return (s, p, o.language if isinstance(o, Literal) else None)


def diff_sides(a: Side, b: Side, *, vocabulary=None, profiles: list[str] | str = "auto", engine: str | None = None,
               validate: bool = True) -> Diff:
    """The semantic diff of two sides, with the findings that appeared or disappeared."""
    from .vocab import load_vocabulary
    vocabulary = vocabulary or load_vocabulary()
    na, nb = _normalise(a), _normalise(b)
    removed, added = set(na.facts) - set(nb.facts), set(nb.facts) - set(na.facts)
    procs_a, procs_b = _processes(na.facts), _processes(nb.facts)
    new_procs, gone_procs = procs_b - procs_a, procs_a - procs_b

    def structural(triple, procs) -> bool:   # the triples that make up a process added or removed as a whole
        s, p, o = triple
        return (s in procs and p in _STRUCTURE) or (p == DPV.hasProcess and o in procs and s != NOTICE)

    removed = {t for t in removed if not structural(t, gone_procs)}
    added = {t for t in added if not structural(t, new_procs)}
    groups_r, groups_a = defaultdict(list), defaultdict(list)
    for t in removed:
        groups_r[_pair_key(*t)].append(t)
    for t in added:
        groups_a[_pair_key(*t)].append(t)
    nodes_a = _node_categories(na.facts, procs_a, vocabulary)
    nodes_b = _node_categories(nb.facts, procs_b, vocabulary)

    def quotes(n: _Normal, s, p, o):
        return list(n.evidence.get((s, p, o)) or (n.evidence.get((o, None, None), []) if p == DPV.hasProcess else []))

    changes = []
    for key in set(groups_r) | set(groups_a):
        rs, ads = groups_r.get(key, []), groups_a.get(key, [])
        if len(rs) == 1 and len(ads) == 1 and key[1] != DPV.hasProcess:
            (s, p, o_a), (_, _, o_b) = rs[0], ads[0]
            changes.append(Change(_categorise(s, p, o_b, nb.facts, nodes_b, vocabulary), "changed", s, p, o_a, o_b,
                                  quotes(na, s, p, o_a), quotes(nb, s, p, o_b)))
            continue
        for s, p, o in rs:
            changes.append(Change(_categorise(s, p, o, na.facts, nodes_a, vocabulary), "removed", s, p, o, None,
                                  quotes(na, s, p, o)))
        for s, p, o in ads:
            changes.append(Change(_categorise(s, p, o, nb.facts, nodes_b, vocabulary), "added", s, p, None, o,
                                  [], quotes(nb, s, p, o)))
    changes.sort(key=Change.key)
    result = Diff(a, b, changes, normal_a=na, normal_b=nb, validated=validate)
    if validate:
        result.appeared, result.disappeared = _finding_changes(a, b, vocabulary, profiles, engine)
    return result


def diff_targets(target_a: str, target_b: str, *, store=None, store_path=None, vocab_dir=None, **options) -> Diff:
    """`policykg diff A B`: each target a card, an RDF file or a selector of the store, which is `store` (a
    PolicyStore: the embedded store or a SPARQL endpoint) or else the embedded store at `store_path`. The
    store is only opened when a target names a policy of it."""
    from .vocab import load_vocabulary
    vocabulary = load_vocabulary(vocab_dir)
    from .sources import is_file_target
    if is_file_target(target_a) and is_file_target(target_b):
        store = None
    elif store is None:
        from .stores import EmbeddedStore
        from .stores.oxigraph import DEFAULT_STORE
        store = EmbeddedStore(store_path or DEFAULT_STORE)
    sides = [load_side(t, store=store, vocabulary=vocabulary) for t in (target_a, target_b)]
    return diff_sides(*sides, vocabulary=vocabulary, **options)


# --- findings -------------------------------------------------------------------------------------------

def _relative(text: str | None, side: Side) -> str:
    if not text:
        return ""
    for base in _bases(side):
        if text.startswith(base):
            return "#" + text[len(base):]
    return text


def _finding_key(f, side: Side) -> tuple:
    return (f.shape, _relative(f.focus, side), f.path or "")


def _finding_changes(a: Side, b: Side, vocabulary, profiles, engine) -> tuple[list, list]:
    """Findings of B that A does not have (appeared) and of A that B does not have (disappeared), by shape,
    focus and path relative to each graph, then value; a shape that fires once on the same focus and path on
    both sides is the same finding even when its value changed (the value change is in the diff)."""
    from .validate import DEFAULT_ENGINE, validate_graph
    reports = [validate_graph(s.graph, s.key, vocabulary, profiles=profiles, engine=engine or DEFAULT_ENGINE,
                              locations=s.locations, source=s.origin) for s in (a, b)]
    by_key: list[dict] = [defaultdict(list), defaultdict(list)]
    for i, (side, report) in enumerate(zip((a, b), reports)):
        for f in report.findings:
            by_key[i][_finding_key(f, side)].append(f)
    appeared, disappeared = [], []
    for key in sorted(set(by_key[0]) | set(by_key[1])):
        fa, fb = by_key[0].get(key, []), by_key[1].get(key, [])
        if len(fa) == 1 and len(fb) == 1:
            continue
        values_a = {_relative(f.value, a) for f in fa}
        values_b = {_relative(f.value, b) for f in fb}
        appeared += [f for f in fb if _relative(f.value, b) not in values_a]
        disappeared += [f for f in fa if _relative(f.value, a) not in values_b]
    return appeared, disappeared


# --- output ---------------------------------------------------------------------------------------------

FORMATS = ("text", "json", "trig")
_WORDS = words("diff")   # kg/messages.yaml
_MARK = {"added": "+", "removed": "-", "changed": "~"}


def term_text(term, normal: _Normal | None = None, vocabulary=None, lang: str = "en", labels: bool = True) -> str:
    """A term as people read it: `#id` for a node of the policy, a CURIE for a term, "text"@lang for a
    literal; with its label (the node's label or name, the vocabulary's label) when `labels`."""
    if term is None:
        return ""
    if isinstance(term, Literal):
        if term.language:
            return f'"{term}"@{term.language}'
        return f'"{term}"'
    if isinstance(term, BNode):
        types = sorted(ns.shorten(str(t)) for t in normal.graph.objects(term, RDF.type)) if normal else []
        return "[" + " ".join(types or ["blank node"]) + "]"
    text = str(term)
    if text.startswith(LOCAL):
        out = "#" + text[len(LOCAL):]
        if labels and normal is not None:
            from .validate import lang_texts
            for p in (RDFS.label, DPV.hasName):
                texts = lang_texts(normal.graph, term, p)
                if texts:
                    return f"{out} ({texts.get(lang) or texts.get('en') or next(iter(texts.values()))})"
        return out
    out = ns.shorten(text)
    label = vocabulary.label(term, lang) if labels and vocabulary is not None else None
    return f"{out} ({label})" if label else out


def _json_term(term):
    if isinstance(term, Literal):
        out = {"value": str(term)}
        if term.language:
            out["lang"] = term.language
        elif term.datatype:
            out["datatype"] = ns.shorten(str(term.datatype))
        return out
    return term_text(term, labels=False) if term is not None else None


def to_dict(d: Diff, lang: str = "en", vocabulary=None) -> dict:
    from .report import finding_dict

    def side(s: Side) -> dict:
        return {"key": s.key, "source": s.origin, "graph": s.graph_iri}

    def quotes(qs):
        return [{"statement": i, "quote": q} for i, q in qs]
    changes = []
    for c in d.changes:
        normal = d.normal_b if c.kind == "added" else d.normal_a
        changes.append({"category": c.category, "kind": c.kind, "subject": _json_term(c.subject),
                        "subject_label": term_text(c.subject, normal, vocabulary, lang),
                        "property": _json_term(c.predicate), "a": _json_term(c.a), "b": _json_term(c.b),
                        "quotes_a": quotes(c.quotes_a), "quotes_b": quotes(c.quotes_b)})
    out = {"a": side(d.a), "b": side(d.b), "changes": changes}
    if d.validated:
        out["findings"] = {"appeared": [finding_dict(f, lang) for f in d.appeared],
                           "disappeared": [finding_dict(f, lang) for f in d.disappeared]}
    return out


def render_json(d: Diff, lang: str = "en", vocabulary=None) -> str:
    import json
    return json.dumps(to_dict(d, lang, vocabulary), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def render_text(d: Diff, lang: str = "en", vocabulary=None) -> str:
    """The changes for people; each line made printable (kg.terminal): quotes, labels and values from the
    policies cannot reach the terminal raw, nor start lines of their own."""
    w = _WORDS.get(lang, _WORDS["en"])
    lines = [f"A  {d.a.key}  ({d.a.origin})", f"B  {d.b.key}  ({d.b.origin})"]
    for cat, names in CATEGORIES.items():
        found = [c for c in d.changes if c.category == cat]
        if not found:
            continue
        lines.append(f"{names[1] if lang == 'fr' else names[0]} ({len(found)})")
        for c in found:
            normal = d.normal_b if c.kind == "added" else d.normal_a
            subject = term_text(c.subject, normal, vocabulary, lang)
            prop = ns.shorten(str(c.predicate))
            if c.kind == "changed":
                value = (f"{term_text(c.a, d.normal_a, vocabulary, lang)} → "
                         f"{term_text(c.b, d.normal_b, vocabulary, lang)}")
            else:
                value = term_text(c.a if c.kind == "removed" else c.b, normal, vocabulary, lang)
            lines.append(f"  {_MARK[c.kind]} {subject}  {prop}  {value}   [{w[c.kind]}]")
            for side, qs in (("A", c.quotes_a), ("B", c.quotes_b)):
                for sid, quote in qs:
                    lines.append(f"      {side} «{quote}»" + (f" [{sid}]" if sid else ""))
    if not d.changes:
        lines.append(w["none"])
    if d.validated:
        for title, found, mark in ((w["appeared"], d.appeared, "+"), (w["disappeared"], d.disappeared, "-")):
            if found:
                lines.append(f"{title} ({len(found)})")
            for f in found:
                where = f.focus_label.get(lang) or f.focus_label.get("en", "")
                lines.append(f"  {mark} {f.severity.upper():<9} {f.shape}  {where}" + (f"  {f.path}" if f.path else ""))
                lines.append(f"      {f.text('message', lang)}")
    summary = f"{len(d.changes)} {w['changes']}; {w['findings']}: "
    summary += (f"+{len(d.appeared)} -{len(d.disappeared)}" if d.validated else w["skipped"])
    lines.append(summary)
    return "\n".join(printable(line) for line in lines) + "\n"


def patch_dataset(d: Diff):
    """The patch as an rdflib Dataset: every fact triple of A that B lacks (in A's own IRIs) and of B that A
    lacks (in B's), as two named graphs `<B graph>#diff-removed` and `<B graph>#diff-added`. Evidence and
    version metadata are not part of it."""
    from rdflib import Dataset
    ds = Dataset()
    for prefix, iri in ns.PREFIXES.items():
        ds.bind(prefix, iri, override=True, replace=True)
    base = d.b.graph_iri.split("#")[0]
    facts_a, facts_b = set(d.normal_a.facts), set(d.normal_b.facts)
    for name, normal, triples in (("removed", d.normal_a, facts_a - facts_b), ("added", d.normal_b, facts_b - facts_a)):
        graph = ds.graph(URIRef(f"{base}#diff-{name}"))
        back = normal.absolute
        for s, p, o in triples:
            graph.add((back.get(s, s), p, back.get(o, o)))
    return ds


def render_trig(d: Diff) -> str:
    header = (f"# policykg diff: triples removed from {d.a.key} and added in {d.b.key} (evidence and version "
              "metadata left out)\n")
    return header + patch_dataset(d).serialize(format="trig")


def render(d: Diff, fmt: str, lang: str = "en", vocabulary=None) -> str:
    if fmt == "json":
        return render_json(d, lang, vocabulary)
    if fmt == "trig":
        return render_trig(d)
    return render_text(d, lang, vocabulary)


__all__ = ["CATEGORIES", "FORMATS", "Change", "Diff", "Side", "diff_sides", "diff_targets", "load_side",
           "previous_and_latest"]
