"""The embedded on-disk store (pyoxigraph), and its atomic rebuild.

Layout: the store path the user names (default `.policykg/store`) is a symbolic link to a generation
folder beside it (`store.gen-<stamp>`). A build writes a new generation, closes it, then swaps the link
with one `rename`: readers see either the old store or the new one, and a build that fails or is
killed leaves the previous store as it was (the half-written generation is removed on the next build).

A build only ever removes what it can prove it made: each generation holds a marker file naming the store
and the generation itself (`.policykg-generation`), written before anything else. A store path that is a
link to any other folder (a folder of the user's, a copy of a generation under another name) is refused,
and a sibling that merely looks like a generation (`store.gen-backup`) is left alone.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
from ..errors import StoreError
from .bulk import ChunkReader, load_in_thread  # noqa: F401 - ChunkReader: API
from .export_cache import EXPORT_CACHE, export_cache_file  # noqa: F401 - EXPORT_CACHE: API

DEFAULT_STORE = Path(".policykg") / "store"
_GEN = ".gen-"
# The lists of its graphs a generation keeps for the commands that read them (kg.queries, kg.inventory);
# only `policykg reason` writes into a generation after its build: opening one for writing drops them
QUERY_GRAPHS_FILE = "query-policy-graphs.txt"
VERSIONS_FILE = "inventory-policy-versions.json"
MARKER = ".policykg-generation"
# generations made before the marker (policykg 0.1): replaced when the store link points at one, else kept
_LEGACY_GENERATION = r"\.gen-[0-9]{8}T[0-9]{6}-[0-9]+-[0-9]+"


def open_store(path: str | Path = DEFAULT_STORE, *, read_only: bool = True) -> ox.Store:
    """Open an existing embedded store; a path that is not a store, or a damaged store, is a StoreError
    that says so (exit 3), never a traceback."""
    return open_generation(path, read_only=read_only)[0]


def generation_file(store, name: str) -> Path | None:
    """The file or folder `name` of the generation an embedded store (kg.stores.EmbeddedStore) opened; None
    for another store, or a folder that is not a generation a build made."""
    generation = getattr(store, "generation", None)
    return generation / name if generation is not None and (generation / MARKER).is_file() else None


def open_generation(path: str | Path = DEFAULT_STORE, *, read_only: bool = True) -> tuple[ox.Store, Path]:
    """`open_store`, and the generation folder it opened (what this process reads, whatever a build swaps in
    later)."""
    path = Path(path)
    if not path.exists():
        raise StoreError(f"no store at {path}", str(path),
                         "run 'policykg build' first (or pass --store PATH to an existing store)",
                         error_id="no-store")
    if not path.is_dir():
        raise _not_a_store(path, "it is a file")
    generation = _hold_generation(path)
    try:
        store = ox.Store.read_only(str(generation)) if read_only else ox.Store(str(generation))
    except (OSError, RuntimeError) as exc:
        raise _open_error(path, exc) from None
    if not read_only:
        for name in (QUERY_GRAPHS_FILE, VERSIONS_FILE):
            try:
                (generation / name).unlink(missing_ok=True)
            except OSError:
                pass
    return store, generation


# Readers and the build share the generations through flock on each generation's folder: a process that
# opened a generation holds a shared lock on it until it ends, and a build removes an old generation only
# if it can take the exclusive lock, so an export or a query that started before a build swapped the link
# goes on reading the generation it opened (a later build removes it once no one holds it).
_held: dict[Path, int] = {}


def _hold_generation(path: Path) -> Path:
    """The generation folder the store path leads to, locked shared for the rest of this process."""
    for _ in range(10):     # a build may swap the link between the resolve and the lock: look again
        generation = path.resolve()
        if generation in _held or sys.platform == "win32":
            return generation
        fd = _lock_folder(generation, shared=True)
        if fd is None:      # removed by a build between the resolve and the lock
            continue
        if path.resolve() == generation:
            _held[generation] = fd
            return generation
        os.close(fd)
    return path.resolve()


def _lock_folder(folder: Path, *, shared: bool) -> int | None:
    """A descriptor of `folder` holding flock (shared, or exclusive), or None: no flock here (Windows), the
    folder is gone, or (exclusive) someone holds it."""
    if sys.platform == "win32":  # pragma: no cover
        return None
    import fcntl
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _remove_unused(generation: Path) -> bool:
    """Remove an old generation if no other process has it open (see _hold_generation); True if removed.
    This process's own hold is dropped first: a handle opened before a rebuild in the same process is not
    to be used after it (a command opens its store once)."""
    own = _held.pop(generation, None)
    if own is not None:
        os.close(own)
    fd = _lock_folder(generation, shared=False)
    if fd is None and sys.platform != "win32":
        return False
    try:
        shutil.rmtree(generation, ignore_errors=True)
    finally:
        if fd is not None:
            os.close(fd)
    return True


def _open_error(path: Path, exc: BaseException) -> StoreError:
    damage = store_damage(exc, path)
    if damage is not None:
        return damage
    if not (path / "CURRENT").exists():
        if not _is_generation(path.resolve(), path.name) and not any(path.iterdir()):
            return _not_a_store(path, "it is an empty folder")
        if not _is_generation(path.resolve(), path.name):
            return _not_a_store(path, "it holds no store files (no CURRENT file, no policykg marker)")
        return StoreError(f"the store at {path} is damaged: its CURRENT file is missing", str(path),
                          "rebuild it with 'policykg build --full' (the cards are the source of the store)",
                          error_id="store-damaged")
    if "lock" in str(exc).lower():
        return StoreError(f"cannot open the store at {path}: {exc}", str(path),
                          "another program holds it open for writing: wait until it ends, or close it",
                          error_id="store-locked")
    return StoreError(f"cannot open the store at {path}: {exc}", str(path),
                      "check the folder's permissions, or rebuild the store with 'policykg build --full'")


def store_damage(exc: BaseException, path: str | Path | None = None) -> StoreError | None:
    """The store-damaged error for what RocksDB raises on a damaged store (a truncated or altered SST file,
    a garbled MANIFEST), opening it or later while reading it; None for any other exception."""
    text = str(exc)
    if not isinstance(exc, (OSError, RuntimeError)) or not text.startswith("Corruption"):
        return None
    where = str(path) if path is not None else "the store"
    return StoreError(f"the store is damaged: {text.strip()}", where,
                      "rebuild it with 'policykg build --full' (the cards are the source of the store; a full build "
                      "replaces the damaged generation)", error_id="store-damaged")


def _not_a_store(path: Path, why: str) -> StoreError:
    return StoreError(f"{path} is not a policykg store: {why}", str(path),
                      "give the --store path of a store that 'policykg build' made, or build one there",
                      error_id="not-a-store")


def current_generation(path: str | Path) -> Path | None:
    """The generation folder a store link points at, or None (no store, or not one a build made)."""
    path = Path(path)
    if not path.is_symlink():
        return None
    folder = path.parent / os.readlink(path)
    return folder if _is_generation(folder, path.name) else None


def clean_stale_generations(path: str | Path) -> None:
    """What a build does first, for a build that has nothing to write: remove the generations left by killed
    or failed builds (under the build lock; skipped if another build holds it)."""
    path = Path(path)
    try:
        fd = lock_store(path)
    except StoreError:
        return
    try:
        current = current_generation(path)
        for gen in path.parent.glob(f"{path.name}{_GEN}*"):
            if gen != current and not gen.is_symlink() and _is_generation(gen, path.name):
                _remove_unused(gen)
    finally:
        if fd is not None:
            os.close(fd)


class StoreBuilder:
    """Write a new store generation beside `path`; `commit()` swaps it in, `abort()` throws it away. With
    `copy_of` (the current generation), the new one starts as a copy of it: RocksDB's checkpoint, hard
    links to its immutable files, made in milliseconds whatever the store's size."""

    BATCH = 500_000  # quads buffered before a bulk write

    def __init__(self, path: str | Path = DEFAULT_STORE, *, copy_of: Path | None = None):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the store folder {self.path.parent}: {exc.strerror}", str(self.path),
                             "choose a --store path in a folder you can write to") from None
        self._lock_fd = lock_store(self.path)  # before the clean-up: another build's generation is not stale
        try:
            self._current = self._current_generation()   # say so before a whole build is written
            self._clean_stale()
            stamp = time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}-{time.monotonic_ns() % 10**6}"
            self.generation = self.path.parent / f"{self.path.name}{_GEN}{stamp}"
            if copy_of is None:
                self.generation.mkdir()
            else:
                if self._current is None or self._current.resolve() != Path(copy_of).resolve():
                    raise StoreError(f"the store {self.path} changed while the build was planned", str(self.path),
                                     "run the build again", error_id="store-busy")
                self._copying = True   # the folder is ours from here on, marker or not
                ox.Store.read_only(str(copy_of)).backup(str(self.generation))
                _link_export_cache(Path(copy_of), self.generation)
            (self.generation / MARKER).write_text(json.dumps({"policykg": "store generation",
                                                              "store": self.path.name,
                                                              "generation": self.generation.name}) + "\n")
            self.store = ox.Store(str(self.generation))
        except BaseException:
            if getattr(self, "generation", None) is not None and (
                    _is_generation(self.generation, self.path.name) or getattr(self, "_copying", False)):
                shutil.rmtree(self.generation, ignore_errors=True)
            self._unlock()
            raise
        self._pending: list[ox.Quad] = []

    def _current_generation(self) -> Path | None:
        """The generation the store link points at (None if there is no store yet), or a StoreError if the
        store path is anything but a link made by a build: a folder, a file, a link elsewhere."""
        if not self.path.is_symlink():
            if self.path.exists():
                raise StoreError(f"{self.path} exists and is not a policykg store link", str(self.path),
                                 "move it away or choose another --store path")
            return None
        target = os.readlink(self.path)
        folder = self.path.parent / target
        if "/" in target or not _is_generation(folder, self.path.name, legacy=True):
            if not folder.exists() and "/" not in target and target.startswith(self.path.name + _GEN):
                return None     # a link left dangling (its generation removed by hand): nothing to remove
            raise StoreError(f"{self.path} is a link to {target}, which is not a generation of this store",
                             str(self.path), "a build replaces only what it made: remove the link yourself, or "
                             "choose another --store path (nothing was changed)", error_id="not-a-store")
        return folder

    def _clean_stale(self) -> None:
        """Remove generations that are not the current one (left by killed or failed builds): only folders
        whose marker names this store and the folder itself."""
        for gen in self.path.parent.glob(f"{self.path.name}{_GEN}*"):
            if gen != self._current and not gen.is_symlink() and _is_generation(gen, self.path.name):
                _remove_unused(gen)   # one a reader still has open stays until a later build

    def remove_graphs(self, graphs: Iterable[str]) -> None:
        """Remove named graphs (of a generation made with `copy_of`), and their export cache."""
        self._write_pending()
        for graph in sorted(graphs):
            self.store.remove_graph(ox.NamedNode(graph))
            for cached in (self.generation / EXPORT_CACHE).glob(export_cache_file(graph)[:40] + ".*"):
                cached.unlink(missing_ok=True)

    def add_quads(self, quads: list) -> int:
        """Add pyoxigraph quads."""
        self._pending += quads
        if len(self._pending) >= self.BATCH:
            self._write_pending()
        return len(quads)

    # N-Quads text per bulk load: the loader keeps ~3x its input in memory (measured). Each bulk load adds a
    # sorted run of SST files to every index; past a few of them RocksDB compacts while the build goes on, so
    # fewer, larger loads cost less: 10k synthetic policies (3.2 M quads), bulk loads and the final optimize,
    # took 54-59 CPU-s in 64 MB loads, 44-49 in 128 MB and 41 in 192 MB (~800 MiB peak; one load of everything:
    # 53 CPU-s, 1.65 GiB). Oxigraph sorts up to 1 M quads a batch; 192 MB is ~830k of ours.
    BULK_BYTES = 192 << 20

    QUEUED_BYTES = 64 << 20   # N-Quads made while a load sorts and writes, waiting for the next load

    def load_nquads(self, chunks: Iterable[bytes]) -> None:
        """Stream N-Quads text (an iterable of byte chunks, each ending at a line end) into the store with
        the bulk loader, one bulk load per BULK_BYTES of text, so that memory stays bounded; the loads run in
        a thread, the chunks are made in this one meanwhile (kg.stores.bulk)."""
        self._write_pending()
        load_in_thread(self.store, chunks, self.BULK_BYTES, self.QUEUED_BYTES)

    def _write_pending(self) -> None:
        # each bulk_extend writes its own files: fewer, larger batches load ~1.5x faster (measured)
        if self._pending:
            self.store.bulk_extend(self._pending)
            self._pending = []

    def commit(self, *, optimize: bool = True) -> Path:
        self._write_pending()
        self.store.flush()
        if optimize:
            self.store.optimize()
        del self.store  # close the files before the swap
        old = self._current_generation()   # again: the path may have changed during the build
        tmp_link = self.path.parent / f".{self.path.name}.link-{os.getpid()}"
        if tmp_link.is_symlink() or tmp_link.exists():
            tmp_link.unlink()
        os.symlink(self.generation.name, tmp_link)
        os.replace(tmp_link, self.path)  # the atomic swap
        if old is not None and old != self.generation:
            _remove_unused(old)   # kept while an export or a query started before the swap reads it
        self._unlock()
        return self.generation

    def abort(self) -> None:
        try:
            del self.store
        except AttributeError:
            pass
        if _is_generation(self.generation, self.path.name):
            shutil.rmtree(self.generation, ignore_errors=True)
        self._unlock()

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)   # closing the descriptor releases the flock
            self._lock_fd = None


def _link_export_cache(old: Path, new: Path) -> None:
    """The copy of a generation keeps its export cache (hard links; best effort: it is only a cache): each
    graph's lines, not the Turtle and TriG bodies a store built before decision 0008 may still hold."""
    if not (old / EXPORT_CACHE).is_dir():
        return
    try:
        (new / EXPORT_CACHE).mkdir()
        for path in (old / EXPORT_CACHE).iterdir():
            if path.name.endswith(".nt.z") and not path.name.startswith("."):
                os.link(path, new / EXPORT_CACHE / path.name)
    except OSError:
        shutil.rmtree(new / EXPORT_CACHE, ignore_errors=True)


def _is_generation(folder: Path, store_name: str, *, legacy: bool = False) -> bool:
    """Whether `folder` is a generation a build of the store `store_name` made: a real folder (not a link)
    whose marker names that store and the folder itself. With `legacy`, a generation of policykg 0.1 (no
    marker: its exact name, beside the link, and RocksDB's CURRENT file) counts too."""
    if folder.is_symlink() or not folder.is_dir():
        return False
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
        return marker.get("store") == store_name and marker.get("generation") == folder.name
    except (OSError, ValueError, AttributeError):
        pass
    return legacy and re.fullmatch(re.escape(store_name) + _LEGACY_GENERATION, folder.name) is not None \
        and (folder / "CURRENT").is_file()


def lock_store(path: Path) -> int | None:
    """Take the store's build lock (`.<name>.lock` beside it, fcntl.flock) or refuse: two builds writing
    generations beside one store would remove each other's. The kernel releases it when the process ends,
    even by SIGKILL. Returns the descriptor to close, or None where flock does not exist (Windows)."""
    if sys.platform == "win32":  # pragma: no cover
        return None
    import fcntl
    lock = path.parent / f".{path.name}.lock"
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StoreError(f"cannot write in the store folder {path.parent}: {exc.strerror}", str(lock),
                         "choose a --store path in a folder you can write to") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise StoreError(f"another build is writing the store {path}", str(lock),
                         "wait until it ends, then run the build again (the store is never half-written)",
                         error_id="store-busy") from None
    return fd
