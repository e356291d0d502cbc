"""What a policy says, as the report shows it: the summary rows (what data, for which purposes, on which
bases, shared with whom, kept how long, stored where, rights and how to exercise them, contact, laws,
security, what is not done) with the statements behind each item, and the picture of the processes and what
they link to, with its layout. Read from kg.site.model's PolicyView; every text stays data (escaped when
written)."""
from __future__ import annotations

from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS

from .. import namespaces as ns
from .model import _EVIDENCE_TYPES, Item, Labeller, PolicyView, _natural, pick, texts
from .triples import Terms, is_literal
from .words import say

DPV, PKX = Terms(ns.DPV), Terms(ns.PKX)
DCTERMS, RDF, RDFS = Terms(DCTERMS), Terms(RDF), Terms(RDFS)


# --- the summary ----------------------------------------------------------------------------------------

ROWS = ("data", "purposes", "bases", "recipients", "retention", "locations", "rights", "exercise", "contact",
        "authority", "security", "not-done")
_RECIPIENT_CACHE: dict = {}


def _is_recipient(p, vocabulary) -> bool:
    if p not in _RECIPIENT_CACHE:
        _RECIPIENT_CACHE[p] = bool(vocabulary is not None and vocabulary.exists(p) and vocabulary.is_a(p, DPV.hasRecipient))
    return _RECIPIENT_CACHE[p]


def _is_measure(p, vocabulary) -> bool:
    return p in (DPV.hasTechnicalMeasure, DPV.hasOrganisationalMeasure, DPV.hasPhysicalMeasure,
                 DPV.hasLegalMeasure, DPV.hasTechnicalOrganisationalMeasure)


def prohibitions(graph: Graph) -> set:
    return set(graph.objects(None, DPV.hasProhibition)) | set(graph.subjects(RDF.type, DPV.Prohibition))


def _node_evidence(view: PolicyView, node, seen=None) -> list[str]:
    """The statements that say something of a node of the policy or of the nodes inside it."""
    seen = seen if seen is not None else set()
    if node in seen:
        return []
    seen.add(node)
    ids = list(view.evidence.get((node, None, None), []))
    for o in view.graph.objects(node, None):
        if isinstance(o, URIRef) and str(o).startswith(view.graph_iri + "#") and o not in view.processes:
            ids += [i for i in _node_evidence(view, o, seen) if i not in ids]
    return ids


def summary(view: PolicyView, vocabulary, label: Labeller) -> dict[str, list[Item]]:
    """Row -> items, each with the statements behind it, in the order of the label."""
    g = view.graph
    banned = prohibitions(g)
    evidence_nodes = {s for t in _EVIDENCE_TYPES for s in g.subjects(RDF.type, t)}
    rows: dict[str, dict] = {r: {} for r in ROWS}

    def add(row: str, term, ids, detail: str = ""):
        key = str(term)
        item = rows[row].get(key)
        if item is None:
            item = rows[row][key] = Item(label(term), label.curie(term), [], detail)
        for i in ids:
            if i not in item.evidence:
                item.evidence.append(i)

    notice = next(iter(sorted(g.subjects(RDF.type, DPV.PrivacyNotice))), None)
    controllers = set(g.objects(notice, DPV.hasDataController)) if notice is not None else set()
    for s, p, o in g:
        if s in evidence_nodes or p == RDF.type:
            continue
        ids = view.evidence.get((s, p, o), [])
        if s in banned:
            add("not-done", s, _node_evidence(view, s), _prohibition_detail(g, s, label))
            continue
        if p in (DPV.hasPersonalData, DPV.hasData):
            add("data", o, ids)
        elif p == DPV.hasPurpose and s in view.processes:
            add("purposes", o, ids)
        elif p == DPV.hasLegalBasis and s in view.processes:
            add("bases", o, ids)
        elif _is_recipient(p, vocabulary) and o not in controllers:
            add("recipients", o, ids + (_node_evidence(view, o) if label.is_node(o) else []))
            for loc in g.objects(o, DPV.hasLocation) if label.is_node(o) else ():   # where a recipient is
                add("locations", loc, view.evidence.get((o, DPV.hasLocation, loc), []) or ids)
        elif p == DPV.hasStorageCondition:
            types = set(g.objects(o, RDF.type))
            if DPV.StorageLocation in types:
                for loc in g.objects(o, DPV.hasLocation):
                    add("locations", loc, ids + view.evidence.get((o, DPV.hasLocation, loc), []))
            else:
                add("retention", o, ids + _node_evidence(view, o), _retention_detail(g, o, label))
        elif p == DPV.hasRight:
            add("rights", o, ids)
        elif p in (DPV.hasNotice,) and DPV.RightExerciseNotice in set(g.objects(o, RDF.type)):
            add("exercise", o, ids + _node_evidence(view, o))
            described = pick(texts(g, o, DCTERMS.description), label.lang)
            if described:
                rows["exercise"][str(o)].label = described
        elif p == DPV.isExercisedAt:
            add("exercise", o, ids)
        elif p in (DPV.hasAuthority, DPV.hasApplicableLaw):
            add("authority", o, ids)
        elif _is_measure(p, vocabulary):
            add("security", o, ids)
    for c in sorted(controllers, key=str):
        add("contact", c, view.evidence.get((c, None, None), []), _contact_detail(g, c, label))
        for p, o in sorted(g.predicate_objects(c), key=lambda po: (str(po[0]), str(po[1]))):
            if label.is_node(o) and p != RDF.type and o not in view.processes:
                add("contact", o, _node_evidence(view, o), _contact_detail(g, o, label))
    for items in rows.values():
        for item in items.values():
            item.evidence.sort(key=_natural)
    return {row: sorted(items.values(), key=lambda i: (i.label.casefold(), i.term)) for row, items in rows.items()}


def _retention_detail(g: Graph, node, label: Labeller) -> str:
    """What a storage condition says: its description, duration value, whether a minimum, in words."""
    parts = []
    seen = set()
    stack = [node]
    while stack:
        n = stack.pop(0)
        if n in seen:
            continue
        seen.add(n)
        desc = pick(texts(g, n, DCTERMS.description), label.lang)
        value = g.value(n, RDF.value)
        if value is not None:
            parts.append(label(value) + (" (" + say("summary", "minimum", label.lang) + ")"
                                         if PKX.MinimumDuration in set(g.objects(n, RDF.type)) else ""))
        if desc:
            parts.append(desc)
        stack += [o for o in g.objects(n, DPV.hasDuration) if label.is_node(o)]
    return " — ".join(dict.fromkeys(parts))


def _prohibition_detail(g: Graph, node, label: Labeller) -> str:
    """What a prohibition forbids, in words: the labels of its operations, data and recipients."""
    parts = []
    for p, o in sorted(g.predicate_objects(node), key=lambda po: (str(po[0]), str(po[1]))):
        if p not in (RDF.type, RDFS.label, DCTERMS.description, DPV.hasName) and not is_literal(o):
            parts.append(label(o))
    return " · ".join(dict.fromkeys(parts))


def _contact_detail(g: Graph, node, label: Labeller) -> str:
    parts = []
    for prop in (DPV.hasAddress, DPV.hasContact):
        for o in sorted(g.objects(node, prop), key=str):
            if is_literal(o):
                parts.append(str(o))
    return " · ".join(parts)


# --- the picture ----------------------------------------------------------------------------------------

KINDS = ("data", "process", "purpose", "basis", "recipient", "location")


def picture(view: PolicyView, vocabulary, label: Labeller) -> dict:
    """Processes and the data, purposes, legal bases, recipients and storage locations they link to, as
    nodes (id, label, kind, curie) and edges (source, target, statement ids). Prohibitions are left out:
    they say what is not done."""
    g = view.graph
    banned = prohibitions(g)
    nodes: dict[str, dict] = {}
    edges: dict[tuple, dict] = {}

    def node(term, kind: str) -> str:
        key = f"{kind}:{term}"
        if key not in nodes:
            nodes[key] = {"id": f"n{len(nodes)}", "label": label(term), "kind": kind, "curie": label.curie(term)}
        return nodes[key]["id"]

    def edge(a: str, b: str, ids):
        e = edges.setdefault((a, b), {"source": a, "target": b, "evidence": []})
        e["evidence"] += [i for i in ids if i not in e["evidence"]]

    for proc in view.processes:
        if proc in banned:
            continue
        pid = node(proc, "process")
        for p, o in g.predicate_objects(proc):
            ids = view.evidence.get((proc, p, o), [])
            kind = None
            if p in (DPV.hasPersonalData, DPV.hasData):
                kind = "data"
            elif p == DPV.hasPurpose:
                kind = "purpose"
            elif p == DPV.hasLegalBasis:
                kind = "basis"
            elif _is_recipient(p, vocabulary) and o not in banned:
                kind = "recipient"
            elif p == DPV.hasStorageCondition and DPV.StorageLocation in set(g.objects(o, RDF.type)):
                for loc in g.objects(o, DPV.hasLocation):
                    edge(pid, node(loc, "location"), ids + view.evidence.get((o, DPV.hasLocation, loc), []))
            if kind == "recipient" and label.is_node(o):   # where the recipient is: the data go there too
                for loc in g.objects(o, DPV.hasLocation):
                    edge(pid, node(loc, "location"), view.evidence.get((o, DPV.hasLocation, loc), []) or ids)
            elif p == DPV.hasProcess and o in view.processes and o not in banned:
                edge(pid, node(o, "process"), ids)
            if kind:
                edge(pid, node(o, kind), ids)
    return {"nodes": list(nodes.values()), "edges": list(edges.values())}


def layout(pic: dict) -> None:
    """Positions for a readable picture at ~90 statements: processes in the middle column, personal data on
    the left, purposes, legal bases, recipients and locations stacked on the right (one block each); each
    side ordered by the mean position of the processes it links to, so that few edges cross."""
    by_id = {n["id"]: n for n in pic["nodes"]}
    links: dict[str, set] = {n["id"]: set() for n in pic["nodes"]}
    for e in pic["edges"]:
        links[e["source"]].add(e["target"])
        links[e["target"]].add(e["source"])
    procs = [n for n in pic["nodes"] if n["kind"] == "process"]
    procs.sort(key=lambda n: (-len(links[n["id"]]), n["label"].casefold()))
    # processes: heaviest in the middle of the column
    middle: list = []
    for i, n in enumerate(procs):
        if i % 2:
            middle.append(n)
        else:
            middle.insert(0, n)
    step, x_gap = 34.0, 420.0
    rank = {}
    sides = max(sum(1 for n in pic["nodes"] if n["kind"] == "data"),
                sum(1 for n in pic["nodes"] if n["kind"] not in ("data", "process")) + 3)
    gap = max(step * 1.8, min(step * 3, sides * step / max(len(middle), 1)))   # processes spread along the sides
    for i, n in enumerate(middle):
        n["x"], n["y"] = 0.0, (i - (len(middle) - 1) / 2) * gap
        rank[n["id"]] = n["y"]

    def mean(n) -> float:
        ys = [rank[m] for m in links[n["id"]] if m in rank]
        return sum(ys) / len(ys) if ys else 0.0

    left = sorted((n for n in pic["nodes"] if n["kind"] == "data"), key=lambda n: (mean(n), n["label"].casefold()))
    for i, n in enumerate(left):
        n["x"], n["y"] = -x_gap, (i - (len(left) - 1) / 2) * step
    right: list = []
    for kind in ("purpose", "basis", "recipient", "location"):
        block = sorted((n for n in pic["nodes"] if n["kind"] == kind), key=lambda n: (mean(n), n["label"].casefold()))
        if right and block:
            right.append(None)   # a gap between blocks
        right += block
    for i, n in enumerate(right):
        if n is not None:
            n["x"], n["y"] = x_gap, (i - (len(right) - 1) / 2) * step
    for n in by_id.values():
        n.setdefault("x", 0.0)
        n.setdefault("y", 0.0)
