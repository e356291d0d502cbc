"""One side of a diff, read and reduced to its facts: a card, an RDF file or a policy of the store loaded as
one policy version (`load_side`, `previous_and_latest` for `policykg diff SLUG`), then normalised so that
two sides line up node by node (`_normalise`).

Normalising sets aside the evidence (rdf:Statement, oa:Annotation, selectors), the snapshot and the
notice's version metadata, names every node of the policy relative to its own graph (`<graph>#retention`
-> `#retention`; the controller is `#controller` on both sides), gives blank nodes content-derived labels
(rdflib.compare canonicalisation) and keeps, for each fact, the quotes that support it.

Separate from computing the differences (`changes`) because all of it is done to each side alone: what
is compared is decided here, how the two compare is decided there.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from rdflib import BNode, Graph, URIRef
from rdflib.compare import _TripleCanonicalizer
from rdflib.namespace import DCTERMS, PROV, RDF

from .. import namespaces as ns
from ..errors import UsageError
from ..sources import (
    PolicySource as Side,  # one side of a diff: a policy version and where it came from
)

DPV, OA, SPDX = ns.DPV, ns.OA, ns.SPDX
LOCAL = "urn:policykg:node#"          # the neutral base both sides' nodes are named in
CONTROLLER = URIRef(LOCAL + "controller")
NOTICE = URIRef(LOCAL + "notice")
_EVIDENCE_TYPES = {RDF.Statement, OA.Annotation, SPDX.Checksum, PROV.Entity}   # and every annotation's target
_VERSION_METADATA = {DCTERMS.title, DCTERMS.language, DCTERMS.identifier, DCTERMS.isVersionOf, DCTERMS.source,
                     PROV.wasDerivedFrom, DCTERMS.issued, DCTERMS.modified, DCTERMS.valid, DCTERMS.created}


# --- loading the two sides ------------------------------------------------------------------------------

def load_side(target: str, *, store=None, store_path=None, vocabulary=None) -> Side:
    """A card, an RDF file holding one policy, or a SLUG / SLUG@DATE of the store (kg.sources; `store` a
    PolicyStore, remote or embedded, or an open pyoxigraph Store)."""
    from ..sources import is_file_target, resolve
    if is_file_target(target) and not Path(target).is_file():
        from ..errors import InputNotFoundError
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
    from ..inventory import select_policies
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
    evidence_nodes = {s for t in _EVIDENCE_TYPES for s in g.subjects(RDF.type, t)} | set(g.objects(None, OA.hasTarget))
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
        exact = g.value(target, OA.exact) if target is not None else None
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
