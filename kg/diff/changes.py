"""The differences of two sides, by meaning: the fact triples one side states and the other does not, a
value that replaces the only value of the same node and property as one `changed` entry (P2Y -> P1Y,
loc:PF -> loc:NC), the rest `added` or `removed`, each with its category (processes, personal data,
purposes, retention...) and the quotes that support it on each side; a process added or removed as a
whole is one entry. The validation findings that appeared or disappeared are compared by (shape, focus,
path, value), relative to each graph.

Separate from reading the sides (`sides`: each side alone, normalised) and from the outputs (`output`:
text, JSON, TriG patch): this is the comparison, and the `Diff` it gives is what the outputs read.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS

from ..messages import catalogue
from .sides import CONTROLLER, DPV, LOCAL, NOTICE, Side, _bases, _Normal, _normalise, load_side

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
    from ..vocab import load_vocabulary
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
    from ..vocab import load_vocabulary
    vocabulary = load_vocabulary(vocab_dir)
    from ..sources import is_file_target
    if is_file_target(target_a) and is_file_target(target_b):
        store = None
    elif store is None:
        from ..stores import EmbeddedStore
        from ..stores.oxigraph import DEFAULT_STORE
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
    from ..validate import DEFAULT_ENGINE, validate_graph
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
