"""Verdicts: a preferences file's compiled shapes run on policy graphs, one verdict per policy and preference.

The verdict of a preference on a policy: **not met** if a statement breaks it (a result of one of its
sh:Violation shapes); else **unknown** if a statement leaves it undecided (sh:Warning: a use without a legal
basis, a period that is only a minimum, a right not named …) or if the policy is silent (no result at all);
else **met** (sh:Info results only: stated statements that show it met). Facts a card marks `inferred` are
removed from the data graph first (as validation does), so they never make a verdict, least of all "met".
Each verdict carries the statements behind it: the quote, the card's statement id and file:line.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SH

from .. import namespaces as ns
from ..errors import Location
from ..validate.findings import _term_text, quoted_statements
from .compile import Compiled, compile_preferences
from .format import Preference, Preferences, load_preferences
from .texts import KIND_TITLES, VERDICT_TEXTS

ENGINES = ("oxigraph", "pyshacl")
ROLE_OF_SEVERITY = {SH.Violation: "breach", SH.Warning: "open", SH.Info: "met"}
ROLE_RANK = {"breach": 0, "open": 1, "met": 2}


@dataclass
class Evidence:
    """One result behind a verdict: what the policy states (or, for an absence, what it does not)."""
    role: str                         # breach, open or met
    focus: str
    focus_label: dict[str, str]
    path: str | None = None           # CURIE
    value: str | None = None          # CURIE, IRI or literal
    value_label: dict[str, str] = field(default_factory=dict)
    quote: str | None = None
    statement: str | None = None      # the card's statement id
    where: Location | None = None     # the card's file:line
    detail: str | None = None         # rights: the right asked for, or "channel:<the channel>"


@dataclass
class Verdict:
    preference: str
    kind: str
    title: dict[str, str]
    verdict: str                      # met, not-met or unknown
    state: str                        # not-met, open, met or silent (why unknown: open or silent)
    reason: dict[str, str]
    evidence: list[Evidence]

    def deciding(self) -> list[Evidence]:
        """The evidence that decides the verdict (the breaches, the open points, or what shows it met)."""
        role = {"not-met": "breach", "open": "open", "met": "met"}.get(self.state)
        return [e for e in self.evidence if e.role == role]


@dataclass
class PolicyMatch:
    policy: str                       # slug@version
    source: str
    engine: str
    verdicts: list[Verdict]
    inferred_not_counted: int = 0

    def counts(self) -> dict[str, int]:
        out = {"met": 0, "not-met": 0, "unknown": 0}
        for v in self.verdicts:
            out[v.verdict] += 1
        return out


@dataclass
class MatchRun:
    preferences: Preferences
    policies: list[PolicyMatch]

    def outcome(self) -> str:
        """not-met if any verdict is, else unknown if any is, else met."""
        verdicts = {v.verdict for p in self.policies for v in p.verdicts}
        return "not-met" if "not-met" in verdicts else "unknown" if "unknown" in verdicts else "met"


def preference_title(pref: Preference) -> dict[str, str]:
    """The preference's own title, or one made from its kind and the words of its fields."""
    if pref.title:
        return pref.title
    fields = {k: ", ".join(pref.words.get(k, [])) for k in ("uses", "within", "max", "rights")}
    return {lang: KIND_TITLES[pref.kind][lang].format(**fields) for lang in ("en", "fr")}


def match_graph(policy: Graph, key: str, prefs: Preferences, compiled: Compiled, vocabulary, *,
                engine: str = "oxigraph", locations=None, source: str = "") -> PolicyMatch:
    """The verdicts of every preference on one policy graph (its evidence in the RDF 1.1 form)."""
    if engine == "oxigraph":
        from ..validate.engines import workspace
        ws = workspace(vocabulary)
        ws.load(ws.ox_triples(policy))
        inferred = ws.drop_inferred()
        _conforms, results = _engine(compiled).validate(ws.store, [ws.graph])
    elif engine == "pyshacl":
        import pyshacl

        from ..validate.data_graph import drop_inferred, validation_graph
        data = validation_graph(policy, vocabulary)
        inferred = drop_inferred(data)
        _conforms, results, _text = pyshacl.validate(data, shacl_graph=compiled.graph, inference="none", advanced=True)
    else:
        from ..errors import UsageError
        raise UsageError(f"unknown engine '{engine}'", None, "use --engine " + " or --engine ".join(ENGINES),
                         error_id="unknown-engine")
    index = _EvidenceIndex(policy)
    by_pref: dict[str, list[Evidence]] = {p.id: [] for p in prefs.items}
    seen = set()
    for result in results.subjects(RDF.type, SH.ValidationResult):
        shape = compiled.shapes.get(str(results.value(result, SH.sourceShape)))
        if shape is None:
            continue
        focus = results.value(result, SH.focusNode)
        path = results.value(result, SH.resultPath)
        value = results.value(result, SH.value)
        if value == focus:      # a SPARQL constraint without ?value reports the focus node as the value
            value = None
        ident = (shape.preference, shape.role, shape.detail, focus, path, value)
        if ident in seen:
            continue
        seen.add(ident)
        by_pref[shape.preference].append(index.evidence(shape.role, focus, path, value, shape.detail, vocabulary,
                                                        locations))
    verdicts = [_verdict(pref, by_pref[pref.id], vocabulary) for pref in prefs.items]
    return PolicyMatch(key, source, engine, verdicts, inferred)


def _engine(compiled: Compiled):
    engine = getattr(compiled, "_engine", None)
    if engine is None:
        from ..shacl import ShapesEngine
        engine = compiled._engine = ShapesEngine(compiled.graph)
    return engine


def _verdict(pref: Preference, evidence: list[Evidence], vocabulary) -> Verdict:
    roles = {e.role for e in evidence}
    if "breach" in roles:
        state = "not-met"
    elif "open" in roles and not (pref.kind == "rights" and "met" not in roles):
        state = "open"
    elif "met" in roles:
        state = "met"
    else:
        state = "silent"
    verdict = {"not-met": "not-met", "met": "met"}.get(state, "unknown")
    evidence.sort(key=lambda e: (ROLE_RANK[e.role], e.detail or "", e.where.line if e.where and e.where.line else 0,
                                 e.focus, e.path or "", e.value or ""))
    return Verdict(pref.id, pref.kind, preference_title(pref), verdict, state,
                   dict(VERDICT_TEXTS[pref.kind][state]), evidence)


class _EvidenceIndex:
    """(subject, predicate, object) -> the (quote, statement id) of the stated statements that say it (inferred
    ones left out), and the process hierarchy to find a statement made on a containing process."""

    def __init__(self, policy: Graph):
        self.graph = policy
        self.quotes: dict[tuple, tuple[str, str]] = {}
        self.by_pair: dict[tuple, list] = {}
        for s, p, o, quote, ident, inferred in quoted_statements(policy):
            if inferred:
                continue
            key = (s, p, o)
            if key not in self.quotes or ident < self.quotes[key][1]:
                self.quotes[key] = (quote, ident)
            self.by_pair.setdefault((p, o), []).append(s)

    def holders(self, focus) -> list:
        """The focus, then the processes that contain it, nearest first."""
        out, level = [focus], [focus]
        while level:
            level = [p for node in level for p in self.graph.subjects(ns.DPV.hasProcess, node) if p not in out]
            out += level
        return out

    def evidence(self, role, focus, path, value, detail, vocabulary, locations) -> Evidence:
        subject, quote = focus, None
        if path is not None and value is not None:
            for candidate in self.holders(focus) + sorted(self.by_pair.get((path, value), []), key=str):
                if (candidate, path, value) in self.quotes:
                    subject, quote = candidate, self.quotes[(candidate, path, value)]
                    break
        where = None
        if locations is not None and quote is not None:
            where = locations.get((subject, path, value))
        return Evidence(role, str(focus), {lang: _label(self.graph, focus, vocabulary, lang) for lang in ("en", "fr")},
                        ns.shorten(str(path)) if isinstance(path, URIRef) else None, _term_text(value),
                        {lang: _label(self.graph, value, vocabulary, lang) for lang in ("en", "fr")} if value is not None else {},
                        quote[0] if quote else None, quote[1] if quote else None, where, detail)


def _label(graph: Graph, node, vocabulary, lang: str) -> str:
    """A node as people read it: a policy node's label or name (a period with its length), a term's label."""
    from ..validate.findings import _gdpr_label
    from ..validate.findings import _label as label_of
    if isinstance(node, Literal):
        return str(node)
    amount = graph.value(node, RDF.value)
    text = label_of(graph, node, vocabulary, lang)
    if not str(node).startswith(ns.POLICY_BASE):
        text = _gdpr_label(text)
    described = {lit.language: str(lit) for lit in graph.objects(node, DCTERMS.description) if isinstance(lit, Literal)}
    words = described.get(lang) or described.get("en") or next(iter(described.values()), None)
    if amount is not None:
        return f"{amount}" + (f" ({words})" if words else "")
    if words and str(node).startswith(ns.POLICY_BASE) and text == str(node).rsplit("#", 1)[-1]:
        return words      # a node known by its description only (a period given by a criterion)
    return text


def match_targets(preferences: str | Path, targets: list[str], *, engine: str = "oxigraph",
                  store_path: str | Path | None = None, vocab_dir: Path | None = None) -> MatchRun:
    """Match a preferences file against cards, RDF files or folders, and policies of the embedded store (SLUG,
    SLUG@DATE, SLUG@*), each policy on its own, in the order given (files first, then the store's)."""
    from ..sources import file_sources, input_files, split_targets
    from ..vocab import load_vocabulary

    vocabulary = load_vocabulary(vocab_dir)
    prefs = load_preferences(preferences, vocabulary)
    compiled = compile_preferences(prefs)
    run = MatchRun(prefs, [])
    files, selectors = split_targets(targets)
    for path in input_files(files) if files else []:
        for src in file_sources(path, vocabulary):
            run.policies.append(match_graph(src.graph, src.key, prefs, compiled, vocabulary, engine=engine,
                                            locations=src.locations or None, source=str(path)))
    if selectors:
        for key, graph, locations, origin in _stored(store_path, selectors):
            run.policies.append(match_graph(graph, key, prefs, compiled, vocabulary, engine=engine,
                                            locations=locations, source=origin))
    return run


def _stored(store_path, selectors: list[str]):
    """(key, the policy graph in the RDF 1.1 form, its card lines, its card) of the store's policies named."""
    from ..build_manifest import read_locations, shown_path
    from ..sources import stored_sources
    from ..stores.oxigraph import DEFAULT_STORE, current_generation, open_store
    path = Path(store_path or DEFAULT_STORE)
    generation = current_generation(path)
    for src in stored_sources(open_store(path), selectors):
        locations = read_locations(generation, src.graph_iri)
        card = None
        if locations is not None:
            located = locations.get((URIRef(src.graph_iri + "#notice"), RDF.type, ns.DPV.PrivacyNotice))
            card = shown_path(located.file) if located else None
        yield src.key, src.graph, _Shown(locations) if locations is not None else None, card or src.key


class _Shown:
    """A stored policy's card lines, with the card's path shown relative to the working folder."""

    def __init__(self, locations):
        self.locations = locations

    def get(self, key, default=None):
        from dataclasses import replace

        from ..build_manifest import shown_path
        found = self.locations.get(key)
        return replace(found, file=shown_path(found.file)) if found is not None else default
