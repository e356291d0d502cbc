"""The vocabulary policykg works with: DPV 2.3 terms, the project's extension, French labels, territories.

`load_vocabulary()` loads the shipped files (or a full DPV copy) and answers questions about terms
(`Vocabulary`). Generating the term table and the JSON-LD context from a DPV release, and fetching a
release, live in kg/dpv_release.py (re-exported here). The library never prints; bad input raises
`kg.errors.KgError` subclasses.

`Vocabulary.search(words)` finds terms by their labels, the words policies use for them (the draft lexicon's
curated forms: "billing" is dpv:PaymentManagement) and their definitions (a full DPV copy has them), in
English and French, ranked (docs/vocabulary.md); `suggest()` adds its best hits to the closest spellings.
"""
from __future__ import annotations

import difflib
import os
import re
from functools import cached_property, lru_cache
from pathlib import Path

import rdflib
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from kg import namespaces as ns
from kg.errors import UsageError


from kg.vocab_search import (TIER_ALL_IN_DEFINITION, TIER_ALL_IN_FORM, TIER_ALL_IN_LABEL,  # noqa: F401 - API
                             TIER_FORM, TIER_LABEL, TIER_SOME, _WORD, SearchHit, _Entry, _lexicon_forms, _rank,
                             _SearchIndex, fold, name_words, stem, words)
from kg.dpv_release import (DCAM, DEFAULT_BASE_URL, DPV_VERSION, ENV_BASE_URL, ENV_VOCAB_DIR,  # noqa: F401
                            EXTRA_OBJECT_PROPERTIES, FACT_PREDICATES, LITERAL_PROPERTIES, MODULES,
                            PROJECT_FILES, PROPERTY_TYPES, RELEASE_FILES, SUNSET, TERM_STATUS, TERM_TABLE, VANN, FetchError,
                            HashMismatchError, VocabError, _LOCAL, _WRITE_PREFIXES, _parse, default_cache_dir,
                            dpv_version, fetch_dpv, generate_context, generate_term_table, to_turtle,
                            write_context, write_term_table)

# --- the vocabulary API ----------------------------------------------------------------------------

class Vocabulary:
    """DPV terms + the project's extension, labels and territories, with the questions the code asks."""

    def __init__(self, graphs: dict[str, rdflib.Graph] | None, version: str | None, *, index=None, read=None):
        """The vocabulary of `graphs` (one per file, by graph IRI); or, from the cache, of its `index` (what
        `index_state` gave) with `read()` giving the graphs when something asks for them."""
        self.files: list[Path] = []   # the files it was read from (set by _load)
        self.cache_key: str | None = None   # the hash of the files and code it was built from (set by _load)
        self._graphs_read = read
        self._graphs_held = graphs
        self.version = version or "unknown"
        self._graph: rdflib.Graph | None = None
        if index is not None:   # each part of the index is rebuilt when first asked for (__getattr__)
            self._packed, self._iris = dict(zip(_PACKED, index)), {}
            self._term_strings = frozenset(self._packed["_terms"])   # the loader's questions, with no URIRef
            self._property_strings = frozenset(self._packed["_properties"])
            self._sunset_strings = frozenset(t for t, status in self._packed["_status"] if status in SUNSET)
            return
        self._parents: dict[URIRef, set[URIRef]] = {}
        self._terms: set[URIRef] = set()
        self._properties: set[URIRef] = set()
        self._status: dict[URIRef, str] = {}
        self._labels: dict[tuple[URIRef, str], str] = {}
        self._within: dict[URIRef, set[URIRef]] = {}
        self._outside: dict[URIRef, set[URIRef]] = {}
        for g in graphs.values():
            self._index(g)

    @property
    def _graphs(self) -> dict[str, rdflib.Graph]:
        if self._graphs_held is None:   # a vocabulary from the cache reads its files on first use only
            self._graphs_held = self._graphs_read()
        return self._graphs_held

    def index_state(self) -> tuple:
        """What the questions about terms read (not the graphs), as strings and tuples: the cache keeps it."""
        def pack(term):   # IRIs as plain strings (rebuilt quickly), anything else as it is
            return str(term) if type(term) is URIRef else term

        def sets(index):
            return [(pack(k), [pack(v) for v in values]) for k, values in index.items()]
        return (self.version, [pack(t) for t in self._terms], [pack(t) for t in self._properties],
                sets(self._parents), [(pack(k), v) for k, v in self._status.items()],
                [(pack(k), lang, v) for (k, lang), v in self._labels.items()], sets(self._within), sets(self._outside))

    def __getattr__(self, name: str):
        """A part of the index of a vocabulary from the cache, rebuilt on first use (only then: e.g. validating a
        card asks for labels, parents and territories, not for the set of every term as URIRefs)."""
        packed = self.__dict__.get("_packed")
        if packed is None or name not in _PACKED[1:]:
            raise AttributeError(name)
        iris = self._iris

        def term(x):
            if type(x) is not str:
                return x
            iri = iris.get(x)
            if iri is None:
                iri = iris[x] = URIRef(x)
            return iri
        rows = packed[name]
        if name in ("_terms", "_properties"):
            value = {term(t) for t in rows}
        elif name == "_status":
            value = {term(k): v for k, v in rows}
        elif name == "_labels":
            value = {(term(k), lang): v for k, lang, v in rows}
        else:   # _parents, _within, _outside
            value = {term(k): {term(v) for v in values} for k, values in rows}
        setattr(self, name, value)
        return value

    def _index(self, g: rdflib.Graph) -> None:
        for s, p, o in g:
            if not isinstance(s, URIRef):
                continue
            if p == RDF.type:
                self._terms.add(s)
                if o in PROPERTY_TYPES:
                    self._properties.add(s)
            if p in (RDF.type, SKOS.broader, RDFS.subClassOf) and isinstance(o, URIRef):
                self._parents.setdefault(s, set()).add(o)
            elif p == TERM_STATUS:
                self._status[s] = str(o)
            elif p == SKOS.prefLabel and isinstance(o, Literal) and o.language:
                self._labels.setdefault((s, o.language.lower()), str(o))
            elif p == ns.PKX.withinLegalTerritory:
                self._within.setdefault(s, set()).add(o)
            elif p == ns.PKX.outsideLegalTerritory:
                self._outside.setdefault(s, set()).add(o)

    @property
    def graph(self) -> rdflib.Graph:
        """Every triple of every file, in one graph (built on first use)."""
        if self._graph is None:
            g = rdflib.Graph()
            for prefix, namespace in _WRITE_PREFIXES.items():
                g.bind(prefix, namespace, override=True)
            for part in self._graphs.values():
                g += part
            self._graph = g
        return self._graph

    def graphs(self) -> dict[str, rdflib.Graph]:
        """One graph per file, keyed by its graph IRI (namespaces.VOCAB_GRAPH_BASE + file stem)."""
        return dict(self._graphs)

    def store_quads(self) -> tuple[list, int]:
        """Every file's triples as pyoxigraph quads of the named graph namespaces.VOCAB_GRAPH (what a build
        writes into the store: one graph, so that hierarchy walks cross from the extension to DPV) and how
        many triples the files hold (the sum of theirs). Kept in the cache folder as N-Quads beside the index,
        so that a build with a warm cache parses no Turtle (~1 s a build)."""
        import pyoxigraph as ox

        from .resources import cached
        from .terms import ox_quads

        def build() -> tuple[bytes, int]:
            quads = [q for _, g in sorted(self.graphs().items()) for q in ox_quads(g, ns.VOCAB_GRAPH)]
            return ox.serialize(quads, format=ox.RdfFormat.N_QUADS), sum(len(g) for g in self.graphs().values())
        name = getattr(self, "cache_name", None)
        data, count = cached(name and name + "-quads", getattr(self, "cache_key", None), build)
        return list(ox.parse(data, format=ox.RdfFormat.N_QUADS)), count

    def exists(self, iri) -> bool:
        if type(iri) is str and "://" in iri:  # the loader's question, once per term of every card: no URIRef
            return iri in self._term_strings
        return _iri(iri) in self._terms

    @cached_property
    def _term_strings(self) -> frozenset[str]:
        return frozenset(str(t) for t in self._terms)

    def is_sunset(self, iri) -> bool:
        if type(iri) is str and "://" in iri:   # the loader's question too, once per term: no URIRef
            return iri in self._sunset_strings
        return self._status.get(_iri(iri)) in SUNSET

    @cached_property
    def _sunset_strings(self) -> frozenset[str]:
        return frozenset(str(t) for t, status in self._status.items() if status in SUNSET)

    def is_property(self, iri) -> bool:
        if type(iri) is str and "://" in iri:
            return iri in self._property_strings
        return _iri(iri) in self._properties

    @cached_property
    def _property_strings(self) -> frozenset[str]:
        return frozenset(str(t) for t in self._properties)

    def ancestors(self, iri) -> set[URIRef]:
        return set(self._ancestors(_iri(iri)))

    @lru_cache(maxsize=None)
    def _ancestors(self, iri: URIRef) -> frozenset[URIRef]:
        seen: set[URIRef] = set()
        stack = [iri]
        while stack:
            for parent in self._parents.get(stack.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        seen.discard(iri)
        return frozenset(seen)

    def is_a(self, iri, top_iri) -> bool:
        iri, top = _iri(iri), _iri(top_iri)
        return iri == top or top in self._ancestors(iri)

    def label(self, iri, lang: str = "en") -> str | None:
        iri = _iri(iri)
        return self._labels.get((iri, lang.lower())) or self._labels.get((iri, "en"))

    def suggest(self, iri_or_curie: str, n: int = 3, meaning: int = 2) -> list[str]:
        """The closest real terms, as CURIEs: by spelling, same namespace first, then the others (up to `n`);
        then up to `meaning` terms the search finds for the words of the name (dpv:Billing: its words
        'billing' name dpv:PaymentManagement), when they are good hits (a label or form equal to the words,
        or holding them all)."""
        spelled = self._suggest_spelling(iri_or_curie, n)
        if meaning <= 0:
            return spelled
        local = str(_iri(iri_or_curie))
        local = local[len(_namespace_of(local)):]
        extra = [h.curie for h in self.search(name_words(local), limit=meaning + len(spelled))
                 if h.tier <= TIER_ALL_IN_FORM and h.curie not in spelled]
        return spelled + extra[:meaning]

    def _suggest_spelling(self, iri_or_curie: str, n: int = 3) -> list[str]:
        """The closest real terms by spelling, as CURIEs: same namespace first, then the others."""
        iri = str(_iri(iri_or_curie))
        namespace = max((v for v in _WRITE_PREFIXES.values() if iri.startswith(v)), key=len, default="")
        local = iri[len(namespace):]
        same, other = self._locals()
        found = [namespace + m for m in _close(local, same.get(namespace, []), n)]
        if len(found) < n:
            pool = [full for ns_, names in same.items() if ns_ != namespace for full in (ns_ + x for x in names)]
            by_local: dict[str, list[str]] = {}
            for full in pool:
                by_local.setdefault(full[len(_namespace_of(full)):], []).append(full)
            for m in _close(local, sorted(by_local), n):
                found += sorted(by_local[m])
        return [ns.shorten(x) for x in found[:n]]

    @lru_cache(maxsize=1)
    def _locals(self) -> tuple[dict[str, list[str]], None]:
        index: dict[str, list[str]] = {}
        for term in self._terms:
            namespace = _namespace_of(str(term))
            if namespace:
                index.setdefault(namespace, []).append(str(term)[len(namespace):])
        return {k: sorted(v) for k, v in index.items()}, None

    def search(self, text: str, lang: str | None = None, limit: int = 20) -> list[SearchHit]:
        """The terms that `text` names or describes, best first, at most `limit`; `lang` ('en' or 'fr'): only
        the labels, forms and definitions in that language."""
        query = " ".join(fold(text).split())
        wanted = words(text) or [stem(w) for w in _WORD.findall(query)]
        if not query or not wanted:
            return []
        flat = re.sub(r"[\s_-]+", "", query)
        index = self._search_index
        candidates: set[int] = set(index.by_text.get(query, ())) | set(index.by_name.get(flat, ()))
        for word in set(wanted):
            candidates.update(index.by_word.get(word, ()))
            if len(word) >= 4:
                for key in index.keys_from(word):
                    candidates.update(index.by_word[key])
        best: dict[URIRef, tuple] = {}
        for i in candidates:
            entry = index.entries[i]
            if lang and entry.field != "name" and entry.lang != lang:
                continue
            rank = _rank(entry, query, flat, wanted)
            if rank is not None and (entry.term not in best or rank < best[entry.term][0]):
                best[entry.term] = (rank, entry)
        ordered = sorted(best.values(), key=lambda x: (x[0], x[1].curie))[:limit]
        return [SearchHit(e.curie, str(e.term), rank[0], e.field, e.lang, e.text,
                          round(1 - rank[2] / 200, 2), self.label(e.term, "en"), self.label(e.term, "fr"))
                for rank, e in ordered]

    @cached_property
    def _search_index(self) -> _SearchIndex:
        """What search compares with: each term's name, labels, definitions and the draft lexicon's forms,
        with the stems of their words."""
        entries: list[_Entry] = []

        def add(term, field: str, lang: str, text: str, weak: bool = False) -> None:
            iri = str(term)
            namespace = _namespace_of(iri)
            if namespace and len(iri) > len(namespace):
                entries.append(_Entry(term, _prefix_of(namespace) + iri[len(namespace):], field, lang, text,
                                      " ".join(fold(text).split()),
                                      frozenset(words(name_words(text) if field == "name" else text)), weak))

        for term in self._terms:
            add(term, "name", "", str(term)[len(_namespace_of(str(term))):])
        for g in self._graphs.values():
            for p, field in _SEARCHED:
                for s, o in g.subject_objects(p):
                    if s in self._terms and isinstance(o, Literal):
                        add(s, field, (o.language or "en").lower()[:2], str(o))
        for curie, lang, form, weak in _lexicon_forms():
            term = URIRef(ns.expand_curie(curie) or curie)
            if term in self._terms:
                add(term, "form", lang, form, weak)
        return _SearchIndex(entries)

    def in_territory(self, loc_iri, territory_iri) -> bool:
        """Is this location inside the legal territory (pkx:territory-EU …)? Uses territories.ttl, where the
        political loc: hierarchy is wrong (loc:PF skos:broader loc:FR, yet PF is outside the EU)."""
        territory = _iri(territory_iri)
        level, seen = [_iri(loc_iri)], set()
        while level:
            verdicts = {territory in self._within.get(x, set()) for x in level
                        if territory in self._within.get(x, set()) | self._outside.get(x, set())}
            if verdicts:
                return verdicts == {True}
            seen.update(level)
            level = sorted({p for x in level for p in self._parents.get(x, ())
                            if str(p).startswith(str(ns.LOC)) and p not in seen
                            and (ns.DPV.Country in self._parents.get(p, ()) or
                                 ns.DPV.Region in self._parents.get(p, ()))})
        return False


# the parts of Vocabulary.index_state, in its order
_PACKED = ("version", "_terms", "_properties", "_parents", "_status", "_labels", "_within", "_outside")
_SEARCHED = ((SKOS.prefLabel, "label"), (SKOS.altLabel, "label"), (RDFS.label, "label"),
             (SKOS.definition, "definition"), (DCTERMS.description, "definition"))


def _namespace_of(iri: str) -> str:
    """The longest namespace of _WRITE_PREFIXES that starts `iri` ('' for none); each ends with '/' or '#'."""
    return _namespace_of_stem(iri[:max(iri.rfind("/"), iri.rfind("#")) + 1])


@lru_cache(maxsize=4096)
def _namespace_of_stem(stem: str) -> str:
    return max((v for v in _WRITE_PREFIXES.values() if stem.startswith(v)), key=len, default="")


@lru_cache(maxsize=None)
def _prefix_of(namespace: str) -> str:
    return ns.shorten(namespace + "x")[:-1]    # 'dpv:'; the namespace itself when no prefix has it


def _close(word: str, candidates: list[str], n: int) -> list[str]:
    lowered: dict[str, list[str]] = {}
    for c in candidates:
        lowered.setdefault(c.lower(), []).append(c)
    hits = difflib.get_close_matches(word.lower(), list(lowered), n=n, cutoff=0.6)
    return [c for h in hits for c in lowered[h]][:n]


def _iri(value) -> URIRef:
    if isinstance(value, URIRef):
        return value
    text = str(value)
    if "://" not in text:
        full = ns.expand_curie(text)
        if full is None:
            raise UsageError(f"'{text}' is neither an IRI nor a CURIE with a known prefix",
                             fix="write prefix:Name with a prefix of kg.namespaces.PREFIXES, e.g. dpv:Purpose")
        text = full
    return URIRef(text)


def graph_iri(stem: str) -> str:
    return ns.VOCAB_GRAPH_BASE + stem


def load_vocabulary(vocab_dir: Path | str | None = None) -> Vocabulary:
    """The shipped vocabulary, or a full DPV copy from vocab_dir (or $POLICYKG_VOCAB_DIR) plus the
    project's own files. Cached per folder."""
    if vocab_dir is None and os.environ.get(ENV_VOCAB_DIR):
        vocab_dir = os.environ[ENV_VOCAB_DIR]
    return _load(str(Path(vocab_dir).resolve()) if vocab_dir is not None else None)


@lru_cache(maxsize=4)
def _load(vocab_dir: str | None) -> Vocabulary:
    from kg.resources import ontology_dir
    here = ontology_dir()
    if vocab_dir is None:
        dpv_files = [here / TERM_TABLE]
    else:
        folder = Path(vocab_dir)
        dpv_files = sorted(folder.glob("*.ttl")) if folder.is_dir() else []
        if not dpv_files:
            raise VocabError(f"no DPV files (*.ttl) in {folder}", where=str(folder),
                             fix="run `policykg vocab fetch` and use the folder it prints, or unset "
                                 f"{ENV_VOCAB_DIR}", error_id="dpv-file-missing")
    files = [*dpv_files, *(here / name for name in PROJECT_FILES)]

    def read() -> tuple[dict[str, rdflib.Graph], str | None]:
        graphs = {graph_iri(p.stem): _parse(p) for p in dpv_files}
        version = None
        for g in graphs.values():
            version = version or dpv_version(g)
        for name in PROJECT_FILES:
            graphs[graph_iri(Path(name).stem)] = _parse(here / name)
        return graphs, version
    # what indexing the files gives is kept in the cache folder, keyed by their bytes (and the code's)
    from kg.resources import code_digest, digest, files_digest, keep_cached, read_cached
    key = digest("vocabulary", code_digest(), files_digest(files))
    name = "vocabulary-" + digest(vocab_dir)[:16]
    state = read_cached(name, key)
    if state is not None:
        vocabulary = Vocabulary(None, state[0], index=state, read=lambda: read()[0])
    else:
        vocabulary = Vocabulary(*read())
        keep_cached(name, key, vocabulary.index_state())
    vocabulary.files = files   # a build's key (build_manifest)
    vocabulary.cache_key = key
    vocabulary.cache_name = name
    return vocabulary


