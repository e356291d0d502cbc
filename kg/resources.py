"""Where the files shipped inside the package are: the ontology, the SHACL profiles and the query library
(ontology/, shapes/ and queries/ in the repository, packaged as kg.ontology, kg._shapes, kg._queries); and the
cache folder, where what loading the vocabulary and compiling the shapes build is kept between runs, each entry
keyed by the hash of what it was built from (`read_cached`, `keep_cached`)."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path


def ontology_dir() -> Path:
    """The folder of the shipped vocabulary files (ontology/ in the repository)."""
    return Path(str(resources.files("kg.ontology")))


def shapes_dir() -> Path:
    """The folder of the SHACL profiles (shapes/ in the repository; one sub-folder per profile)."""
    return Path(str(resources.files("kg._shapes")))


def queries_dir() -> Path:
    """The folder of the SPARQL query library (queries/ in the repository)."""
    return Path(str(resources.files("kg._queries")))


def package_file(name: str) -> Path:
    """A data file shipped in the kg package itself (e.g. messages.yaml, card.schema.json)."""
    return Path(str(resources.files("kg"))) / name


# --- the cache folder: what loading the vocabulary and compiling the shapes build, kept between runs ----------

CACHE_ENV = "POLICYKG_CACHE"
# the modules whose code decides what is kept (their text is in every entry's key, with the versions)
_CACHED_BY = ("version.py", "namespaces.py", "terms.py", "dpv_release.py", "vocab.py", "validate/data_graph.py",
              "validate/engines.py", "validate/profiles.py", "validate/applicability.py", "validate/user_profiles.py",
              "shacl/*.py")


def cache_dir() -> Path:
    """The cache folder: $POLICYKG_CACHE, else $XDG_CACHE_HOME/policykg, else ~/.cache/policykg (it need not
    exist; a folder that cannot be written only means that nothing is kept)."""
    import os
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache").expanduser() / "policykg"


def digest(*parts) -> str:
    """The SHA-256 (hex) of the text of `parts`."""
    import hashlib
    return hashlib.sha256("\0".join(map(str, parts)).encode("utf-8", "surrogatepass")).hexdigest()


def files_digest(paths, root: Path | None = None) -> str:
    """The SHA-256 of files' paths (relative to `root` if given) and bytes (a file that cannot be read counts
    as missing)."""
    import hashlib
    out = hashlib.sha256()
    for path in paths:
        try:
            data = Path(path).read_bytes()
        except OSError:
            data = None
        name = Path(path).relative_to(root).as_posix() if root is not None else path
        out.update(f"{name}\0{hashlib.sha256(data).hexdigest() if data is not None else '-'}\n".encode(
            "utf-8", "surrogatepass"))
    return out.hexdigest()


@lru_cache(maxsize=1)
def code_digest() -> str:
    """What every cache entry's key starts with: policykg's version, Python's, rdflib's and pyoxigraph's, and
    the text of the modules that build what is kept (so an edited module is never served an old entry)."""
    import sys

    import pyoxigraph
    import rdflib

    from .version import __version__
    root = Path(__file__).parent
    files = sorted(p for pattern in _CACHED_BY for p in root.glob(pattern))
    return digest(__version__, sys.version, rdflib.__version__, getattr(pyoxigraph, "__version__", "?"),
                  files_digest(files, root))


def read_cached(name: str, key: str):
    """The object kept as `name` with the key `key`, or None: never kept, kept with another key, unreadable or
    corrupt (then it is built again and replaces the entry), or written by another user (an entry is a pickle:
    only the user's own files are read)."""
    import os
    import pickle
    try:
        with open(cache_dir() / f"{name}.pickle", "rb") as fh:
            if hasattr(os, "getuid") and os.fstat(fh.fileno()).st_uid != os.getuid():
                return None
            data = fh.read()
        head, _, body = data.partition(b"\n")
        if head != key.encode("ascii"):
            return None
        return pickle.loads(body)
    except Exception:  # noqa: BLE001 - missing, unreadable, truncated or from another version: rebuilt
        return None


def cached(name: str | None, key: str | None, build):
    """The object kept as `name` with the key `key`, else `build()` kept there and returned (no name: built,
    not kept)."""
    if name is None:
        return build()
    value = read_cached(name, key)
    if value is None:
        value = build()
        keep_cached(name, key, value)
    return value


def keep_cached(name: str, key: str, value) -> None:
    """Keep `value` as `name` with the key `key`: written to a temporary file then renamed over the entry, so a
    reader sees the old entry or the new one whole; a folder that cannot be written keeps nothing."""
    import os
    import pickle
    import tempfile
    tmp = None
    try:
        body = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        folder = cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key.encode("ascii") + b"\n" + body)
        os.replace(tmp, folder / f"{name}.pickle")
        tmp = None
    except Exception:  # noqa: BLE001 - read-only or full disk, or a value that does not pickle: no cache
        pass
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
