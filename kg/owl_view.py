"""The OWL 2 DL view of one policy graph, on which kg/reason.py runs HermiT (or Pellet).

A policy graph is RDF on DPV's SKOS/RDFS vocabulary: a concept such as dpv:DirectMarketing is a class (it
has a hierarchy) and is also used as a value (`:p dpv:hasPurpose dpv:DirectMarketing`). That is OWL 2
punning, which owlready2 handles poorly, so `owl_view` builds a plain OWL 2 DL ontology instead
(docs/reasoning.md):
* classes: the vocabulary classes the policy uses and their ancestors, with `rdfs:subClassOf` from the
  term table's rdfs:subClassOf, skos:broader and the typing of a concept by its top concept
  (`dpv:DirectMarketing a dpv:Purpose`), as DPV's OWL variant does;
* each concept used as a value becomes one individual of that class, with an IRI derived from the concept
  (`value_iri`), mapped back to the concept when inferred facts are written;
* object properties with their DPV super-properties and, as range, the union of their dcam:rangeIncludes
  (never dcam:domainIncludes: DPV lists only some domains, e.g. dpv:hasRecipient "includes"
  dpv:RightExerciseActivity, and every process would become one);
* DISJOINT: pairs of top concepts that no DPV term falls under both of, so that a value of the wrong kind
  makes the policy inconsistent;
* the policy's nodes with their types, DPV edges and literals; literals outside the OWL 2 datatype map
  (xsd:duration, xsd:date …) are left out and reported, since HermiT rejects them.
Left out on purpose: the evidence (rdf:Statement, oa:Annotation), labels, descriptions and metadata.
"""
from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field

import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS, XSD

from . import namespaces as ns

DCAM = rdflib.Namespace("http://purl.org/dc/dcam/")
VALUE_BASE = ns.BASE + "owl/value/"     # + the percent-encoded IRI of a concept used as a value
BNODE_BASE = ns.BASE + "owl/bnode/"     # + the id of a blank node of the policy graph
VIEW_IRI = ns.BASE + "owl/view"

# Pairs of DPV top concepts declared owl:disjointWith in the view. Checked against the term table (no term
# is under both: tests/test_reason.py); docs/reasoning.md says why each pair cannot overlap. Not declared,
# because DPV puts terms under both: Purpose/TechnicalOrganisationalMeasure (dpv:DataGovernance …),
# Purpose/LegalBasis (dpv:RightsFulfilment), LegalBasis/TechnicalOrganisationalMeasure (contracts).
DISJOINT_TOPS = ("Purpose", "Data", "Processing", "Entity", "LegalBasis", "TechnicalOrganisationalMeasure", "Process")
OVERLAPPING_TOPS = {frozenset(("Purpose", "TechnicalOrganisationalMeasure")), frozenset(("Purpose", "LegalBasis")),
                    frozenset(("LegalBasis", "TechnicalOrganisationalMeasure"))}


def disjoint_pairs() -> list[tuple[URIRef, URIRef]]:
    tops = DISJOINT_TOPS
    return [(ns.DPV[a], ns.DPV[b]) for i, a in enumerate(tops) for b in tops[i + 1:]
            if frozenset((a, b)) not in OVERLAPPING_TOPS]


# The OWL 2 datatype map (OWL 2 Structural Specification, section 4): HermiT refuses any other datatype.
_XSD_MAP = ("decimal integer nonNegativeInteger nonPositiveInteger positiveInteger negativeInteger long int short "
            "byte unsignedLong unsignedInt unsignedShort unsignedByte double float string normalizedString token "
            "language Name NCName NMTOKEN boolean hexBinary base64Binary anyURI dateTime dateTimeStamp").split()
OWL2_DATATYPES = frozenset({XSD[n] for n in _XSD_MAP} | {RDF.PlainLiteral, RDF.XMLLiteral, RDF.langString,
                                                         RDFS.Literal, OWL.real, OWL.rational})
META_TYPES = frozenset({RDFS.Class, OWL.Class, SKOS.Concept, RDF.Property, OWL.ObjectProperty, OWL.DatatypeProperty,
                        OWL.AnnotationProperty, OWL.NamedIndividual, OWL.Thing, RDFS.Resource})
VOCAB_NAMESPACES = tuple(ns.PREFIXES[p] for p in ns.VOCAB_PREFIXES)
# predicates outside the vocabulary namespaces that still carry a policy's facts
EXTRA_PREDICATES = frozenset({RDF.value})
# facts never written to the inferred graph: `policykg list` and the queries find policies by this type
WITHHELD_TYPES = frozenset({ns.DPV.PrivacyNotice})



# --- the OWL view -------------------------------------------------------------------------------------------

@dataclass
class LeftOut:
    """A fact of the policy graph kept out of the OWL view, and why."""
    subject: object
    predicate: URIRef
    object: object
    reason: str           # "datatype" (outside the OWL 2 datatype map) | "ill-typed" | "mixed" | "not-a-class"


@dataclass
class OwlView:
    ntriples: bytes
    triples: int                          # triples of the view (axioms and assertions)
    policy_triples: int                   # triples of the policy graph it was built from
    asserted: set[tuple]                  # the policy's facts the view carries, in the policy's terms
    individuals: dict[str, object]        # view IRI -> the policy's node (URIRef or BNode)
    values: dict[str, URIRef]             # view IRI -> the concept used as a value
    classes: set[URIRef]
    object_properties: set[URIRef]
    left_out: list[LeftOut] = field(default_factory=list)
    skipped: int = 0                      # evidence, labels, metadata: not facts for the reasoner

    def to_policy_term(self, iri: str):
        """A view IRI -> the term of the policy's vocabulary it stands for."""
        if iri in self.values:
            return self.values[iri]
        if iri in self.individuals:
            return self.individuals[iri]
        return URIRef(iri)


def value_iri(concept) -> URIRef:
    """The view's individual for a concept used as a value (`dpv:DirectMarketing` the value, not the class)."""
    return URIRef(VALUE_BASE + urllib.parse.quote(str(concept), safe=""))


def _in_vocab(iri) -> bool:
    return isinstance(iri, URIRef) and str(iri).startswith(VOCAB_NAMESPACES)


class _ViewBuilder:
    def __init__(self, policy: rdflib.Graph, vocab: rdflib.Graph):
        self.policy = policy
        self.vocab = vocab
        self.out = rdflib.Graph()
        self.view = OwlView(b"", 0, len(policy), set(), {}, {}, set(), set())
        self.vocab_classes = self._vocab_classes()
        self.local_classes = {s for s, o in policy.subject_objects(RDFS.subClassOf)
                              if isinstance(s, URIRef) and isinstance(o, URIRef)}

    def _vocab_classes(self) -> set[URIRef]:
        g = self.vocab
        classes = {s for t in (RDFS.Class, OWL.Class) for s in g.subjects(RDF.type, t) if isinstance(s, URIRef)}
        classes |= {s for s in g.subjects(RDFS.subClassOf, None) if isinstance(s, URIRef)}
        return classes

    def is_class(self, term) -> bool:
        return term in self.vocab_classes or term in self.local_classes

    def parents(self, cls: URIRef) -> set[URIRef]:
        """Superclasses of a vocabulary class: rdfs:subClassOf, skos:broader and its typing by a top
        concept (`dpv:DirectMarketing a dpv:Purpose`), kept when they are classes themselves."""
        found = set()
        for p in (RDFS.subClassOf, SKOS.broader, RDF.type):
            for o in self.vocab.objects(cls, p):
                if isinstance(o, URIRef) and o not in META_TYPES and o != cls and self.is_class(o):
                    found.add(o)
        return found

    # individuals

    def node(self, term) -> URIRef:
        """The view's IRI for a term of the policy graph used as a subject or value."""
        if isinstance(term, BNode):
            iri = URIRef(BNODE_BASE + urllib.parse.quote(str(term), safe=""))
            self.view.individuals[str(iri)] = term
            return iri
        if self.is_class(term):
            iri = value_iri(term)
            if str(iri) not in self.view.values:
                self.view.values[str(iri)] = term
                self.add_class(term)
                self.out.add((iri, RDF.type, OWL.NamedIndividual))
                self.out.add((iri, RDF.type, term))
            return iri
        if str(term) not in self.view.individuals:
            self.view.individuals[str(term)] = term
            self.out.add((term, RDF.type, OWL.NamedIndividual))
            if _in_vocab(term):   # a vocabulary individual (pkx:law-FR-LIL a dpv:Law): its types
                for t in self.vocab.objects(term, RDF.type):
                    if t not in META_TYPES and self.is_class(t):
                        self.add_class(t)
                        self.out.add((term, RDF.type, t))
        return term

    # classes

    def add_class(self, cls: URIRef) -> None:
        stack = [cls]
        while stack:
            c = stack.pop()
            if c in self.view.classes:
                continue
            self.view.classes.add(c)
            self.out.add((c, RDF.type, OWL.Class))
            parents = self.parents(c) if c in self.vocab_classes else set()
            if c in self.local_classes:
                parents |= {o for o in self.policy.objects(c, RDFS.subClassOf) if isinstance(o, URIRef)}
            for parent in parents:
                self.out.add((c, RDFS.subClassOf, parent))
                stack.append(parent)

    # properties

    def add_object_property(self, prop: URIRef, data_properties: set[URIRef]) -> None:
        stack = [prop]
        while stack:
            p = stack.pop()
            if p in self.view.object_properties:
                continue
            self.view.object_properties.add(p)
            self.out.add((p, RDF.type, OWL.ObjectProperty))
            ranges = sorted({o for o in self.vocab.objects(p, DCAM.rangeIncludes) if self.is_class(o)} |
                            {o for o in self.vocab.objects(p, RDFS.range) if self.is_class(o)}, key=str)
            for c in ranges:
                self.add_class(c)
            if len(ranges) == 1:
                self.out.add((p, RDFS.range, ranges[0]))
            elif ranges:
                union = BNode()
                self.out.add((union, RDF.type, OWL.Class))
                self.out.add((union, OWL.unionOf, _rdf_list(self.out, ranges)))
                self.out.add((p, RDFS.range, union))
            for c in sorted({o for o in self.vocab.objects(p, RDFS.domain) if self.is_class(o)}, key=str):
                self.add_class(c)
                self.out.add((p, RDFS.domain, c))
            for sup in self.vocab.objects(p, RDFS.subPropertyOf):
                if isinstance(sup, URIRef) and sup not in data_properties and sup != p:
                    self.out.add((p, RDFS.subPropertyOf, sup))
                    stack.append(sup)

    def build(self) -> OwlView:
        view, policy = self.view, self.policy
        facts = [(s, p, o) for s, p, o in policy if p == RDF.type or _in_vocab(p) or p in EXTRA_PREDICATES]
        view.skipped = len(policy) - len(facts) - sum(1 for _ in policy.triples((None, RDFS.subClassOf, None)))
        literal_preds = {p for s, p, o in facts if isinstance(o, Literal) and p != RDF.type}
        object_preds = {p for s, p, o in facts if not isinstance(o, Literal) and p != RDF.type}
        data_preds = literal_preds - object_preds
        for s, p, o in sorted(facts, key=lambda t: tuple(str(x) for x in t)):
            if p == RDF.type:
                if isinstance(o, URIRef) and self.is_class(o):
                    self.add_class(o)
                    self.out.add((self.node(s), RDF.type, o))
                    view.asserted.add((s, p, o))
                elif _in_vocab(o):
                    view.left_out.append(LeftOut(s, p, o, "not-a-class"))
                else:
                    view.skipped += 1   # rdf:Statement, oa:Annotation …: evidence
                continue
            if isinstance(o, Literal):
                if p in object_preds:
                    view.left_out.append(LeftOut(s, p, o, "mixed"))
                    continue
                datatype = o.datatype or (RDF.langString if o.language else XSD.string)
                if datatype not in OWL2_DATATYPES:
                    view.left_out.append(LeftOut(s, p, o, "datatype"))
                    continue
                if getattr(o, "ill_typed", False):   # "two"^^xsd:integer: HermiT would stop on it
                    view.left_out.append(LeftOut(s, p, o, "ill-typed"))
                    continue
                self.out.add((p, RDF.type, OWL.DatatypeProperty))
                self.out.add((self.node(s), p, o))
            else:
                self.add_object_property(p, data_preds)
                self.out.add((self.node(s), p, self.node(o)))
            view.asserted.add((s, p, o))
        for cls in sorted(self.local_classes, key=str):   # the policy's own classes, used or not
            self.add_class(cls)
        for a, b in disjoint_pairs():
            if a in view.classes or b in view.classes:
                self.add_class(a)
                self.add_class(b)
                self.out.add((a, OWL.disjointWith, b))
        self.out.add((URIRef(VIEW_IRI), RDF.type, OWL.Ontology))
        view.triples = len(self.out)
        view.ntriples = self.out.serialize(format="nt", encoding="utf-8")
        return view


def _rdf_list(g: rdflib.Graph, items: list) -> BNode:
    head = BNode()
    node = head
    for i, item in enumerate(items):
        g.add((node, RDF.first, item))
        nxt = BNode() if i < len(items) - 1 else RDF.nil
        g.add((node, RDF.rest, nxt))
        node = nxt
    return head


def owl_view(policy: rdflib.Graph, vocabulary) -> OwlView:
    """The OWL 2 DL view of one policy graph on the vocabulary (a kg.vocab.Vocabulary or an rdflib Graph)."""
    vocab = vocabulary if isinstance(vocabulary, rdflib.Graph) else vocabulary.graph
    return _ViewBuilder(policy, vocab).build()

