"""The SHACL engines and their data side: pySHACL (the reference), pyshacl-turbo, and the oxigraph engine
(kg/shacl/) with its Workspace, an in-memory store that holds one validation's data graph at a time.
"""
from __future__ import annotations

from functools import lru_cache

from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from .. import namespaces as ns
from ..errors import EnvironmentError_, UsageError


from .data_graph import CARRIED_FACTS, INFERRED_FACTS, WALK, vocabulary_closure
from .profiles import _named_shapes, load_profiles, shape_id

PKS, PKX, OA = ns.PKS, ns.PKX, ns.OA
ENGINES = ("oxigraph", "pyshacl", "pyshacl-turbo")
REFERENCE_ENGINE = "pyshacl"
# pySHACL is the reference. `oxigraph` (kg/shacl/: the SHACL features our profiles use, on an
# in-memory pyoxigraph store) and pyshacl-turbo (same API as pySHACL, a Rust engine) give identical
# findings on every fixture and on the seeds (tests/test_shapes.py, tests/test_validate.py);
# oxigraph is the fastest (benchmarks/validate_corpus.py, docs/decisions/), so it is the default.
DEFAULT_ENGINE = "oxigraph"


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


def _profile_shapes(shapes_dir: str | None, pids: tuple[str, ...], folders: tuple[str, ...] = ()
                    ) -> tuple[Graph, dict[str, str]]:
    """The shapes graph of a set of profiles and the profile of each shape (built once per set). `folders`:
    the users' profile folders of the run (kg/validate/user_profiles.py); the user profiles folder is read too."""
    from .user_profiles import profile_folders, signature
    extra = profile_folders(tuple(folders))
    return _profile_shapes_of(shapes_dir, tuple(pids), extra, signature(extra))


def _compiled_key(kind: str, shapes_dir, pids, folders) -> tuple[str, str]:
    """(cache entry's name, key) of what is built from a set of profiles: the shapes files' hash, and the
    bytes of the users' folders."""
    from ..resources import digest
    from .profiles import _place, shapes_key
    from .user_profiles import content_hash
    return (f"{kind}-{_place(shapes_dir)}-{digest(pids, folders)[:16]}",
            digest(kind, shapes_key(shapes_dir), pids, *((f, content_hash(f)) for f in folders)))


@lru_cache(maxsize=32)
def _profile_shapes_of(shapes_dir, pids, folders, _signature) -> tuple[Graph, dict[str, str]]:
    from ..resources import cached
    return cached(*_compiled_key("shapes", shapes_dir, pids, folders), lambda: _union_shapes(shapes_dir, pids, folders))


def _union_shapes(shapes_dir, pids, folders) -> tuple[Graph, dict[str, str]]:
    available = load_profiles(shapes_dir, folders)
    shapes = Graph()
    profile_of: dict[str, str] = {}
    for pid in pids:
        shapes += available[pid].graph
        for s in _named_shapes(available[pid].graph):
            profile_of[shape_id(s)] = pid
    return shapes, profile_of


def _shapes_engine(shapes_dir: str | None, pids: tuple[str, ...], folders: tuple[str, ...] = ()):
    """The oxigraph engine's compiled shapes of a set of profiles (queries prepared once per process, and again
    when a user's profile folder changes)."""
    from .user_profiles import profile_folders, signature
    extra = profile_folders(tuple(folders))
    return _shapes_engine_of(shapes_dir, tuple(pids), extra, signature(extra))


@lru_cache(maxsize=32)
def _shapes_engine_of(shapes_dir, pids, folders, _signature):
    from ..resources import cached
    from ..shacl import ShapesEngine
    from ..shacl.shapes import compile_shapes
    graph = _profile_shapes_of(shapes_dir, pids, folders, _signature)[0]
    compiled = cached(*_compiled_key("engine", shapes_dir, pids, folders), lambda: compile_shapes(graph))
    return ShapesEngine(graph, compiled=compiled)


class Workspace:
    """The oxigraph engine's data side: an in-memory store that holds one validation's data graph at a
    time (the policy's triples plus the vocabulary closure of validation_graph, from an index of the
    vocabulary built once), so no rdflib graph is built on the way."""

    def __init__(self, vocabulary):
        import pyoxigraph as ox
        self.store = ox.Store()
        self.graph = ox.NamedNode("urn:policykg:validation")
        self.vocab_ns = tuple(ns.PREFIXES[p] for p in ns.VOCAB_PREFIXES)
        # vocabulary IRI -> its closure triples (the WALK ones lead to further terms)
        self.walk, self.facts = _closure_index(vocabulary, self.graph)
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
        """Write the data graph of a policy of `store`: its quads, the evidence in its RDF 1.1 form."""
        import pyoxigraph as ox
        from ..evidence import reify
        source = ox.NamedNode(graph_iri)
        # the shapes read the RDF 1.1 form of the evidence (kg.evidence)
        quads = reify(store.quads_for_pattern(None, None, None, source))
        # the statements in the source store's order: which quote a finding shows, when several
        # statements say the same thing of its focus node, depends on it (_evidence_index)
        rdf_type, statement = ox.NamedNode(str(RDF.type)), ox.NamedNode(str(RDF.Statement))
        self.statements = [q.subject for q in quads if q.predicate == rdf_type and q.object == statement]
        self.store = ox.Store()
        g = self.graph
        self.store.extend([ox.Quad(q.subject, q.predicate, q.object, g) for q in quads])
        # the vocabulary terms the policy uses as predicates or IRI objects
        self._add_closure({q.predicate.value for q in quads}
                          | {q.object.value for q in quads if isinstance(q.object, ox.NamedNode)})

    def _add_closure(self, terms: set) -> None:
        """validation_graph's vocabulary part: what the policy's vocabulary terms reach."""
        def edges(term: str):
            yield from self.walk.get(term, ())
            yield from ((quad, None) for quad, _ in self.facts.get(term, ()))
        self.store.extend(vocabulary_closure({t for t in terms if t.startswith(self.vocab_ns)}, edges))

    def ox_triples(self, graph: Graph) -> list:
        """The pyoxigraph triples of an rdflib graph (terms converted once per process)."""
        import pyoxigraph as ox

        from ..terms import to_ox
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

    def select(self, query: str) -> list[dict]:
        """The rows of a SELECT on the data graph, as dicts of variable -> rdflib term (applicability triggers)."""
        from ..terms import solution_rows
        return solution_rows(self.store.query(query, default_graph=self.graph))

    def drop_inferred(self) -> int:
        """data_graph.drop_inferred on the workspace's store."""
        import pyoxigraph as ox
        if not self.store.query("ASK { ?ev <http://www.w3.org/ns/oa#motivatedBy> "
                                "<https://w3id.org/policykg/ext#inferring> }", default_graph=self.graph):
            return 0
        facts = [ox.Quad(s["s"], s["p"], s["o"], self.graph)
                 for s in self.store.query(INFERRED_FACTS, default_graph=self.graph)]
        facts = [q for q in facts if q in self.store]
        for quad in facts:
            self.store.remove(quad)
        return len(facts)


def _closure_index(vocabulary, graph) -> tuple:
    """The Workspace's walk and facts indexes of a vocabulary: kept in the cache folder as N-Quads text per IRI
    (read back for the IRIs a policy reaches only) when the vocabulary has a key (kg.vocab._load)."""
    import pyoxigraph as ox

    from ..resources import cached, code_digest, digest
    from ..terms import to_ox
    key = name = None
    if getattr(vocabulary, "cache_key", None):   # one entry per vocabulary folder, replaced when its files change
        key = digest("workspace", code_digest(), vocabulary.cache_key)
        name = "workspace-" + digest(*getattr(vocabulary, "files", ()))[:16]

    def build() -> tuple:
        walk: dict[str, list] = {}
        facts: dict[str, list] = {}
        vgraph = vocabulary.graph
        for preds, index in ((WALK, walk), (CARRIED_FACTS, facts)):
            for p in preds:
                for s, o in vgraph.subject_objects(p):
                    index.setdefault(str(s), []).append(
                        (ox.Quad(to_ox(s), to_ox(p), to_ox(o), graph), str(o) if isinstance(o, URIRef) else None))
        return _as_text(walk), _as_text(facts)
    walk, facts = cached(name, key, build)
    return _ClosureIndex(walk, graph), _ClosureIndex(facts, graph)


def _as_text(index: dict[str, list]) -> dict[str, tuple[str, list]]:
    """A closure index as the cache keeps it: per IRI, the N-Quads of its triples and the next terms."""
    import pyoxigraph as ox
    return {term: (ox.serialize([quad for quad, _ in items], format=ox.RdfFormat.N_QUADS).decode("utf-8"),
                   [following for _, following in items]) for term, items in index.items()}


class _ClosureIndex:
    """A closure index read from the cache: an IRI's (quad, next term) items are parsed on first use."""

    def __init__(self, text: dict[str, tuple[str, list]], graph):
        self._text, self._graph, self._done = text, graph, {}

    def get(self, term: str, default=()):
        items = self._done.get(term)
        if items is None:
            held = self._text.get(term)
            if held is None:
                return default
            import pyoxigraph as ox
            quads = ox.parse(held[0], format=ox.RdfFormat.N_QUADS)
            items = self._done[term] = [(ox.Quad(q.subject, q.predicate, q.object, self._graph), following)
                                        for q, following in zip(quads, held[1])]
        return items


_WORKSPACES: dict[int, tuple[object, Workspace]] = {}


def workspace(vocabulary) -> Workspace:
    """The Workspace of a vocabulary (built once: the warm-up)."""
    held = _WORKSPACES.get(id(vocabulary))
    if held is None or held[0] is not vocabulary:
        held = _WORKSPACES[id(vocabulary)] = (vocabulary, Workspace(vocabulary))
    return held[1]
