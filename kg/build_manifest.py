"""What a store was built from, so that a rebuild does only what changed (issue 18).

Each store generation holds `build-manifest.json`: the build's key (policykg's version, the source of the
modules that turn an input into a graph, the vocabulary's files) and, for each input file, the SHA-256 of
its bytes, the snapshot a card quotes (with its SHA-256) and the policy graphs it gave. A later build with
the same key reloads only the inputs whose bytes or snapshot changed, drops the graphs of inputs that are
gone, and copies the rest of the store as it is (kg.stores.oxigraph: a new generation made of hard links,
swapped in atomically as always). Any other key, a missing or unreadable manifest: a full build.

Beside it, `card-locations/` holds, for each policy graph built from a card, where each of its statements is
written in the card (kg.sources.card_locations: file, line, column and field of each fact), so that the
findings of a stored policy point at the card's lines as those of the card itself do (`read_locations`). A
rebuild links the files of the inputs it keeps from the previous generation.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Literal, URIRef

from .errors import Location

from .version import __version__

MANIFEST = "build-manifest.json"
LOCATIONS = "card-locations"
FORMAT = 2   # 2: card locations beside the manifest (a store of format 1 is built again in full)
# the modules whose code decides what graph an input gives: a change to one of them rebuilds everything
_MAPPING_MODULES = ("model.py", "card_yaml.py", "card_schema.py", "card.schema.json", "quotes.py", "load.py",
                    "load_rdf.py", "mapping.py", "evidence.py", "namespaces.py", "terms.py")


@dataclass
class StoredPolicy:
    key: str               # slug@version
    graph: str
    triples: int
    statements: int


@dataclass
class Input:
    """One input file of a build and what it gave."""
    path: str              # absolute
    sha256: str
    policies: list[StoredPolicy] = field(default_factory=list)
    snapshot: str | None = None          # a card's snapshot (absolute path) and its SHA-256
    snapshot_sha256: str | None = None


@dataclass
class Manifest:
    key: str
    inputs: dict[str, Input]             # by absolute path
    vocabulary_triples: int = 0


@dataclass
class Plan:
    """What a build must do: reload `changed` inputs (in input order), keep `kept` as stored, and drop
    `dropped` graphs (of inputs changed or gone) from the copy of the previous store."""
    changed: list[Path]
    kept: list[Input]
    dropped: set[str]

    @property
    def nothing_to_do(self) -> bool:
        return not self.changed and not self.dropped


def sha256_of(path: str | Path) -> str | None:
    """The SHA-256 of a file's bytes (None if it cannot be read: the build then loads it and says why)."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def build_key(vocab_files: list[Path]) -> str:
    """The build's key: policykg's version, the mapping's code and the vocabulary's files."""
    digest = hashlib.sha256(f"policykg {__version__} manifest {FORMAT}\n".encode())
    here = Path(__file__).resolve().parent
    for name in _MAPPING_MODULES:
        digest.update(name.encode() + b"\0" + (sha256_of(here / name) or "-").encode() + b"\n")
    for path in sorted(vocab_files):
        digest.update(str(path.name).encode() + b"\0" + (sha256_of(path) or "-").encode() + b"\n")
    return digest.hexdigest()


def read_manifest(generation: Path | None) -> Manifest | None:
    """The manifest of a store generation, or None (no store, a store built before manifests, unreadable)."""
    if generation is None:
        return None
    try:
        data = json.loads((generation / MANIFEST).read_text(encoding="utf-8"))
        inputs = {}
        for raw in data["inputs"]:
            entry = Input(**{**raw, "policies": [StoredPolicy(**p) for p in raw["policies"]]})
            inputs[entry.path] = entry
        return Manifest(data["key"], inputs, int(data["vocabulary_triples"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_manifest(generation: Path, manifest: Manifest) -> None:
    """The manifest as JSON, one input a line (written by the C encoder: dataclasses.asdict and an indented dump
    took ~0.3 ms an input)."""
    def entry(e: Input) -> str:
        return json.dumps({**vars(e), "policies": [vars(p) for p in e.policies]}, ensure_ascii=False)
    head = json.dumps({"format": FORMAT, "key": manifest.key, "vocabulary_triples": manifest.vocabulary_triples},
                      ensure_ascii=False)
    lines = ",\n".join(entry(manifest.inputs[p]) for p in sorted(manifest.inputs))
    tmp = generation / (MANIFEST + ".tmp")
    tmp.write_text(head[:-1] + ', "inputs": [\n' + lines + "\n]}\n", encoding="utf-8")
    os.replace(tmp, generation / MANIFEST)


def plan(files: list[Path], hashes: dict[Path, str | None], previous: Manifest | None, key: str,
         absolute_paths: dict[Path, str] | None = None) -> Plan:
    """Which inputs to reload: all without a previous manifest of the same key; else those whose bytes, or
    whose card's snapshot, changed (or are new); the graphs of inputs no longer given are dropped.
    `absolute_paths`: each file's resolved path, when the caller has them."""
    if previous is None or previous.key != key:
        return Plan(list(files), [], set())
    changed, kept, given = [], [], set()
    for path in files:
        absolute = absolute_paths[path] if absolute_paths is not None else str(path.resolve())
        given.add(absolute)
        entry = previous.inputs.get(absolute)
        same = (entry is not None and hashes.get(path) is not None and entry.sha256 == hashes[path]
                and (entry.snapshot is None or sha256_of(entry.snapshot) == entry.snapshot_sha256))
        if same:
            kept.append(entry)
        else:
            changed.append(path)
    kept_paths = {entry.path for entry in kept}
    dropped = {p.graph for absolute, entry in previous.inputs.items() if absolute not in kept_paths
               for p in entry.policies}
    return Plan(changed, kept, dropped)


# --- where each statement of a stored card is written ---------------------------------------------------------

def term_key(term) -> str:
    """An rdflib term as a string that is the same whether the term comes from a card (kg.mapping) or back from
    the store (a finding's focus, path or value): <iri>, "text"@lang, "text"^^<datatype> ("text" for xsd:string),
    "" for None. A blank node matches nothing."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        text = json.dumps(str(term), ensure_ascii=False)
        if term.language:
            return f"{text}@{term.language.lower()}"
        if term.datatype is not None and str(term.datatype) != "http://www.w3.org/2001/XMLSchema#string":
            return f"{text}^^<{term.datatype}>"
        return text
    return f"_:{term}"


def locations_bytes(card: str | Path, locations: dict) -> bytes:
    """A card's locations (kg.sources.card_locations: (s, p, o) -> Location), compressed, for `write_locations`."""
    keys: dict = {}   # a card names the same nodes and properties many times

    def key(term) -> str:
        found = keys.get(term)
        if found is None:
            found = keys[term] = term_key(term)
        return found
    entries = [[key(s), key(p), key(o), where.line, where.column, where.field]
               for (s, p, o), where in locations.items()]
    data = {"card": str(Path(card).resolve()), "entries": entries}
    return zlib.compress(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), 1)


def policy_locations_bytes(policy, graph: str) -> bytes:
    """`locations_bytes(policy.card_path, kg.sources.card_locations(policy, graph))`, the same bytes, made from
    the policy model without rdflib terms (the build does this for every card): each term written as `term_key`
    writes it, the entries in the same order, each key kept once (where it is first said)."""
    from .mapping import _lexical
    from .model import Lit, NodeRef, Term
    base = "<" + graph + "#"
    nodes: dict[str, str] = {}
    objects: dict = {}
    entries: dict[tuple, list] = {}

    def node(local: str) -> str:
        found = nodes.get(local)
        if found is None:
            found = nodes[local] = base + local + ">"
        return found

    def obj(value) -> str:
        found = objects.get(value)
        if found is None:
            if isinstance(value, Term):
                found = "<" + value.iri + ">"
            elif isinstance(value, NodeRef):
                found = node(value.id)
            elif isinstance(value, Lit):
                if value.lang:
                    found = json.dumps(value.value, ensure_ascii=False) + "@" + value.lang.lower()
                elif value.datatype:   # rdflib's lexical form, as kg.mapping writes it
                    found = json.dumps(_lexical(value.value, value.datatype), ensure_ascii=False)
                    if value.datatype != _XSD_STRING:
                        found += "^^<" + value.datatype + ">"
                else:
                    found = json.dumps(value.value, ensure_ascii=False)
            else:
                found = ""
            objects[value] = found
        return found

    def add(key: tuple, where) -> None:
        if key not in entries:
            entries[key] = [*key, where.line, where.column, where.field]
    for process in policy.processes:
        if process.where:
            add((node(process.id), "", ""), process.where)
    for st in policy.statements:
        for fact in st.facts:
            s, p = node(fact.subject), "<" + fact.predicate + ">"
            add((s, p, obj(fact.object)), fact.where)
            add((s, p, ""), fact.where)
            add((s, "", ""), st.where)
    data = {"card": str(Path(policy.card_path).resolve()), "entries": list(entries.values())}
    return zlib.compress(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), 1)


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def _locations_file(generation: Path, graph: str) -> Path:
    return generation / LOCATIONS / (hashlib.sha256(graph.encode("utf-8")).hexdigest()[:40] + ".json.z")


def write_locations(generation: Path, graph: str, data: bytes) -> None:
    path = _locations_file(generation, graph)
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)


def keep_locations(previous: Path, generation: Path, graphs) -> None:
    """Carry the location files of kept graphs from the previous generation into the new one (a hard link, or
    a copy where links cannot be made); a graph without one (an RDF input) has none to carry."""
    for graph in graphs:
        source, target = _locations_file(previous, graph), _locations_file(generation, graph)
        if not source.is_file():
            continue
        target.parent.mkdir(exist_ok=True)
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)


class CardLocations:
    """Where a stored policy's statements are written in its card, read on first use: `get((s, p, o))` as
    for the dict of kg.sources.card_locations, with terms of any origin (see `term_key`). The card's path is
    absolute (`shown_path` makes it relative to the working folder for a report)."""

    def __init__(self, generation: Path, graph: str):
        self.path = _locations_file(generation, graph)
        self._index: dict[tuple, Location] | None = None

    def _load(self) -> dict[tuple, Location]:
        index: dict[tuple, Location] = {}
        try:
            data = json.loads(zlib.decompress(self.path.read_bytes()))
            card = data["card"]
            for s, p, o, line, column, field_path in data["entries"]:
                index.setdefault((s, p, o), Location(card, line, column, field_path))
        except (OSError, ValueError, KeyError, TypeError, zlib.error):
            pass   # no file (an RDF input, a store built before them) or a damaged one: findings without lines
        return index

    def get(self, key: tuple, default=None):
        if self._index is None:
            self._index = self._load()
        s, p, o = key
        return self._index.get((term_key(s), term_key(p), term_key(o)), default)

    def __bool__(self) -> bool:
        return True


def read_locations(generation: Path | None, graph: str) -> CardLocations | None:
    """Where the statements of a stored policy are written in its card (None without a generation)."""
    return None if generation is None else CardLocations(generation, graph)


def shown_path(path: str) -> str:
    """An absolute path as a report shows it: relative to the working folder when it is inside it."""
    if not os.path.isabs(path):
        return path
    try:
        relative = os.path.relpath(path)
    except ValueError:   # another drive (Windows)
        return path
    return path if relative == ".." or relative.startswith(".." + os.sep) else relative
