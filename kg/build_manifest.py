"""What a store was built from, so that a rebuild does only what changed (issue 18).

Each store generation holds `build-manifest.json`: the build's key (policykg's version, the source of the
modules that turn an input into a graph, the vocabulary's files) and, for each input file, the SHA-256 of
its bytes, the snapshot a card quotes (with its SHA-256) and the policy graphs it gave. A later build with
the same key reloads only the inputs whose bytes or snapshot changed, drops the graphs of inputs that are
gone, and copies the rest of the store as it is (kg.stores.oxigraph: a new generation made of hard links,
swapped in atomically as always). Any other key, a missing or unreadable manifest: a full build.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .version import __version__

MANIFEST = "build-manifest.json"
FORMAT = 1
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
    data = {"format": FORMAT, "key": manifest.key, "vocabulary_triples": manifest.vocabulary_triples,
            "inputs": [asdict(manifest.inputs[p]) for p in sorted(manifest.inputs)]}
    tmp = generation / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    os.replace(tmp, generation / MANIFEST)


def plan(files: list[Path], hashes: dict[Path, str | None], previous: Manifest | None, key: str) -> Plan:
    """Which inputs to reload: all without a previous manifest of the same key; else those whose bytes, or
    whose card's snapshot, changed (or are new); the graphs of inputs no longer given are dropped."""
    if previous is None or previous.key != key:
        return Plan(list(files), [], set())
    changed, kept, given = [], [], set()
    for path in files:
        absolute = str(path.resolve())
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
