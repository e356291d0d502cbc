"""Validation reports kept between runs (issue 18): a policy of the store whose graph, shapes, vocabulary,
options and date are those of an earlier run is not validated again.

A report is stored under `<store>.reports/<run key>/<graph key>.pickle`, beside the store:
- the graph key comes from the store's build manifest (kg.build_manifest): the build's key, the input's and
  its snapshot's SHA-256 and the graph IRI determine the graph, so no graph is read to know it unchanged;
- the run key is the SHA-256 of policykg's version, the code of the validation and of the SHACL engine, every
  file of the shapes folder, the vocabulary's files, the engine, the profiles asked for, the date of the run
  (`--as-of`: rules come into force on dates) and whether applicability is decided; and the SHA-256 of
  every users' profile folder of the run (`--profile PATH` and the user profiles folder), so that a run after
  an edit of a user's profile validates again.
A store without a manifest (built before it, or a SPARQL endpoint) is validated without the cache. Files are
written atomically; an unreadable one is a miss. Folders of run keys unused for a week are removed.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import tempfile
import time
from pathlib import Path

from ..build_manifest import read_manifest, sha256_of
from ..version import __version__

KEEP_UNUSED_S = 7 * 24 * 3600
_CODE = ("validate", "shacl")   # packages of kg/ whose code decides a report


def _files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def run_key(*, vocabulary, shapes_dir: str | None, engine: str, profiles, as_of, applicability: bool) -> str:
    """What decides a report besides the graph."""
    from ..resources import shapes_dir as shipped_shapes
    here = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(f"policykg {__version__}\0{engine}\0{profiles!r}\0{as_of}\0{applicability}\n".encode())
    shapes = Path(shapes_dir) if shapes_dir else shipped_shapes()
    for root, files in [(here, [f for package in _CODE for f in _files_under(here / package)]),
                        (shapes, _files_under(shapes)), (None, list(getattr(vocabulary, "files", [])))]:
        for path in files:
            name = str(path.relative_to(root)) if root is not None else path.name
            digest.update(name.encode() + b"\0" + (sha256_of(path) or "-").encode() + b"\n")
    from .user_profiles import content_hash, profile_folders, split_profiles
    for folder in profile_folders(split_profiles(profiles)[1]):
        digest.update(f"profile folder {folder}\0{content_hash(folder)}\n".encode())
    return digest.hexdigest()


class ReportCache:
    """The reports of one run key for the policies of one embedded store."""

    def __init__(self, store_path: Path, key: str):
        from ..stores.oxigraph import current_generation
        self.folder = Path(f"{store_path}.reports") / key
        manifest = read_manifest(current_generation(store_path))
        self.graph_keys: dict[str, str] = {}
        if manifest is not None:
            for entry in manifest.inputs.values():
                for policy in entry.policies:
                    self.graph_keys[policy.graph] = hashlib.sha256(
                        f"{manifest.key}\0{entry.sha256}\0{entry.snapshot_sha256}\0{policy.graph}".encode()).hexdigest()

    def _file(self, graph: str) -> Path | None:
        key = self.graph_keys.get(graph)
        return self.folder / f"{key}.pickle" if key else None

    def get(self, graph: str):
        """The report kept for this graph, or None."""
        path = self._file(graph)
        if path is None:
            return None
        try:
            return pickle.loads(path.read_bytes())
        except (OSError, ValueError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
            return None

    def put(self, graph: str, report) -> None:
        """Keep a report (best effort: a full disk or a read-only folder only costs the next run its time)."""
        path = self._file(graph)
        if path is None:
            return
        try:
            if not self.folder.is_dir():
                self.folder.mkdir(parents=True, exist_ok=True)
                self._prune()
            fd, tmp = tempfile.mkstemp(prefix=".report-", dir=self.folder)
            with os.fdopen(fd, "wb") as f:
                f.write(pickle.dumps(report, protocol=pickle.HIGHEST_PROTOCOL))   # uncompressed: read back faster
            os.replace(tmp, path)
        except OSError:
            pass

    def _prune(self) -> None:
        """Remove the folders of other run keys unused for a week (a run touches its own folder)."""
        now = time.time()
        for folder in self.folder.parent.iterdir():
            try:
                if folder != self.folder and folder.is_dir() and now - folder.stat().st_mtime > KEEP_UNUSED_S:
                    shutil.rmtree(folder, ignore_errors=True)
            except OSError:
                pass
