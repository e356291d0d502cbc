"""The store interface: what every command reads of a store, the embedded one (pyoxigraph on disk) or a SPARQL
1.1 endpoint alike.

    select(text, bindings)              a SELECT, values bound (never pasted into the text) -> Solutions
    policies()                          the policy versions the store holds (slug, version, graph IRI)
    policy_graph_iri(selector)              the graph IRI of SLUG@DATE, or of SLUG's latest version
    graph_triples(graph)                the triples of one named graph, in the store's order
    quads_for_pattern(s, p, o, graph)   the quads of one named graph that match a pattern
    dump(format=, from_graph=)          one named graph serialised (N-Triples, Turtle, …)
    contains_named_graph(graph)         whether the store holds that named graph

A backend implements `select` and `policy_graph_iri`; the other reads are SPARQL here (every IRI and literal
bound as a value, `kg.stores.sparql.with_values`), so a remote store serves export, diff and validate as it
serves query. The embedded store replaces them with pyoxigraph's direct calls (`kg.stores.embedded`).
`quads_for_pattern`, `dump` and `contains_named_graph` keep the names and arguments of pyoxigraph's Store,
so that code written against a pyoxigraph Store (kg.sources, the validation workspace) reads any store.

Order: `graph_triples` and `quads_for_pattern` give the triples in the order the store answers them. An
Oxigraph server answers in the order of the embedded store (both read the same kind of index), which matters
where policykg takes the first of equals (the quote a finding shows); another server may order them
otherwise. Blank nodes are the store's: a server that relabels them on upload (Oxigraph does) exports other
labels than the embedded store for the same graph.
"""
from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox


@dataclass
class Solutions:
    """What a store answers to a SELECT: column names, rows of terms (None = unbound), the text sent."""
    columns: list[str]
    rows: list[tuple]
    text: str


_PATTERN = "SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"
_ANY_TRIPLE = "SELECT ?s WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 1"
_GRAPH_FORMATS = {ox.RdfFormat.N_TRIPLES, ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML}


class PolicyStore:
    """The reads of a store that the commands make (module docstring). Subclasses implement `select` and
    `policy_graph_iri`; `bad_answer` turns an answer that is not what was asked for into the backend's error."""

    kind = "store"

    def select(self, text: str, bindings: dict[str, object] | None = None) -> Solutions:
        raise NotImplementedError

    def policy_graph_iri(self, selector: str) -> str:
        raise NotImplementedError

    def bad_answer(self, detail: str) -> Exception:
        """The error for an answer that does not hold what the query asked (a broken or hostile server)."""
        from ..errors import StoreError
        return StoreError(f"{self} gave an answer that is not what was asked: {detail}", str(self),
                          "check the store")

    # the inventory

    def policies(self) -> list:
        """The policy versions the store holds (kg.inventory.PolicyInfo, without counts), by graph IRI."""
        from ..inventory import stored_versions
        return stored_versions(self)

    # graphs

    def graph_triples(self, graph: str) -> list[ox.Triple]:
        """The triples of the named graph `graph`, in the order the store gives them."""
        return [q.triple for q in self.quads_for_pattern(None, None, None, ox.NamedNode(graph))]

    def quads_for_pattern(self, subject=None, predicate=None, object=None, graph_name=None) -> list[ox.Quad]:
        """The quads of the named graph `graph_name` that match the pattern (None: any term), as pyoxigraph's
        Store.quads_for_pattern; the bound terms are SPARQL values. The policy and vocabulary graphs are
        named graphs: the default graph is not read."""
        if not isinstance(graph_name, ox.NamedNode):
            raise TypeError(f"a pattern is read within one named graph, not {graph_name!r}")
        bindings = {"g": graph_name}
        for name, term in (("s", subject), ("p", predicate), ("o", object)):
            if term is not None:
                if not isinstance(term, (ox.NamedNode, ox.Literal)):
                    raise TypeError(f"only IRIs and literals can be bound in a pattern, not {term!r}")
                bindings[name] = term
        answer = self.select(_PATTERN, bindings)
        return [ox.Quad(s, p, o, graph_name) for s, p, o in self._triples(answer)]

    def _triples(self, answer: Solutions) -> list[tuple]:
        """The (s, p, o) rows of a `?s ?p ?o` answer, each checked to be an RDF triple."""
        try:
            at = [answer.columns.index(name) for name in ("s", "p", "o")]
        except ValueError:
            raise self.bad_answer(f"the columns are {', '.join(answer.columns) or 'none'}, not s, p, o") from None
        out = []
        for number, row in enumerate(answer.rows, 1):
            s, p, o = (row[i] for i in at)
            if not isinstance(s, (ox.NamedNode, ox.BlankNode)):
                raise self.bad_answer(f"row {number}: the subject ?s is {_kind(s)}, not an IRI or a blank node")
            if not isinstance(p, ox.NamedNode):
                raise self.bad_answer(f"row {number}: the predicate ?p is {_kind(p)}, not an IRI")
            if not isinstance(o, (ox.NamedNode, ox.BlankNode, ox.Literal, ox.Triple)):   # a triple term: evidence
                raise self.bad_answer(f"row {number}: the object ?o is {_kind(o)}")
            out.append((s, p, o))
        return out

    def dump(self, output=None, format=None, *, from_graph=None) -> bytes:
        """One named graph serialised in a graph format (N-Triples by default), as pyoxigraph's Store.dump
        with `from_graph`."""
        if output is not None or not isinstance(from_graph, ox.NamedNode):
            raise TypeError("dump() of a store writes one named graph (from_graph=) and returns its bytes")
        format = format or ox.RdfFormat.N_TRIPLES
        if format not in _GRAPH_FORMATS:
            raise TypeError(f"{format} is not a format of one graph")
        return ox.serialize(self.graph_triples(from_graph.value), format=format)

    def contains_named_graph(self, graph_name) -> bool:
        """Whether the store holds triples in the named graph `graph_name` (an IRI or its string)."""
        name = graph_name if isinstance(graph_name, ox.NamedNode) else ox.NamedNode(str(graph_name))
        return bool(self.select(_ANY_TRIPLE, {"g": name}).rows)


def _kind(term) -> str:
    if term is None:
        return "unbound"
    return {ox.NamedNode: "an IRI", ox.BlankNode: "a blank node", ox.Literal: "a literal"}.get(
        type(term), type(term).__name__)
