"""Profiles: the shapes/<profile>/ folders, their titles, imports and applicability (read by
applicability.py from each profile.ttl), and the profiles a policy graph calls for (`--profile auto`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, SH

from .. import namespaces as ns
from ..errors import UsageError
from ..messages import words
from .applicability import Applicability, lang_texts, read_applicability  # noqa: F401 - lang_texts: API

PKS, PKX, OA = ns.PKS, ns.PKX, ns.OA
PROFILE_CLASS = PKS.Profile


class GraphPickledLazily:
    """For objects with an rdflib `graph` that are pickled often and whose graph is seldom read (a Report from a
    worker or the report cache, a Profile from the cache folder): the graph is pickled on its own, compressed,
    and unpickled on first use. Most runs print text, JSON or SARIF and never read a report's graph (taking
    990 reports from the cache: 4.3 of 4.9 s went into rebuilding rdflib terms); validating a card reads the
    profiles' headers, seldom their shapes."""

    def __getstate__(self) -> dict:
        import pickle
        import zlib
        state = dict(self.__dict__)
        if "graph" in state:
            state["_graph_pickle"] = zlib.compress(pickle.dumps(state.pop("graph"), protocol=5), 1)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)

    def __getattr__(self, name: str):   # only for an attribute not set: the graph of an unpickled object
        if name == "graph" and "_graph_pickle" in self.__dict__:
            import pickle
            import zlib
            self.graph = pickle.loads(zlib.decompress(self.__dict__.pop("_graph_pickle")))
            return self.graph
        raise AttributeError(name)


@dataclass
class Profile(GraphPickledLazily):
    id: str
    iri: URIRef
    title: dict[str, str]
    description: dict[str, str]
    imports: list[str]          # ids of the profiles it builds on
    graph: Graph                # every shape file of the folder
    folder: Path
    rules: Applicability = field(default_factory=Applicability)   # where and when it applies
    origin: str = "built-in"    # "built-in", or the folder of a user's profile (kg/validate/user_profiles.py)
    refusals: list = field(default_factory=list)   # what the oxigraph engine refuses in a user's profile

    def shape_ids(self) -> list[str]:
        return sorted(shape_id(s) for s in _named_shapes(self.graph))


def _named_shapes(graph: Graph):
    shapes = set(graph.subjects(RDF.type, SH.NodeShape)) | set(graph.subjects(RDF.type, SH.PropertyShape))
    return {s for s in shapes if isinstance(s, URIRef)}


def shape_id(iri) -> str:
    text = str(iri)
    return text[len(str(PKS)):] if text.startswith(str(PKS)) else text


def load_profiles(shapes_dir: str | None = None, folders=(), *, user_folder: bool = False,
                  engine: str | None = None) -> dict[str, Profile]:
    """Every profile by id: the folders of shapes/ (or `shapes_dir`), each with a profile.ttl header, then the
    users' own: the profile folders `folders` and, with `user_folder`, those of the user profiles folder
    ($POLICYKG_PROFILES, else $XDG_CONFIG_HOME/policykg/profiles or ~/.config/policykg/profiles). A problem of
    a user's folder (Turtle syntax, header, messages in en and fr, imports, an id or a shape already used) is a
    KgError with its file:line, all of them at once; with `engine` "oxigraph", so are the shapes that engine
    refuses (`unsupported-shape`)."""
    from .user_profiles import profile_folders, raise_problems, signature
    extra = profile_folders(tuple(folders), user_folder)
    if not extra:
        return _builtin_profiles(shapes_dir)
    profiles, problems, refused = _with_user_profiles(shapes_dir, extra, signature(extra))
    if engine == "oxigraph":
        problems = problems + refused
    raise_problems(problems, extra)
    return profiles


def _read_profile(folder: Path, graph: Graph, header, origin: str = "built-in") -> Profile:
    pid = str(graph.value(header, DCTERMS.identifier) or folder.name)
    imports = sorted(str(o).rsplit("profile-", 1)[-1] for o in graph.objects(header, OWL.imports))
    return Profile(pid, header, lang_texts(graph, header, DCTERMS.title),
                   lang_texts(graph, header, DCTERMS.description), imports, graph, folder,
                   read_applicability(graph, header), origin)


@lru_cache(maxsize=4)
def _builtin_profiles(shapes_dir: str | None = None) -> dict[str, Profile]:
    """Every profile folder of shapes/ (each with a profile.ttl header), by id; kept in the cache folder, keyed
    by the bytes of the shapes files (shapes_key)."""
    from ..resources import cached
    return cached("profiles-" + _place(shapes_dir), shapes_key(shapes_dir), lambda: _read_builtin_profiles(shapes_dir))


@lru_cache(maxsize=4)
def shapes_key(shapes_dir: str | None = None) -> str:
    """The hash of the profile folders' shapes files (shapes/ or `shapes_dir`) and of the code that reads them:
    the key of what the cache folder keeps of them (profiles, their shapes graphs, compiled shapes)."""
    from ..resources import code_digest, digest, files_digest
    from ..resources import shapes_dir as default_dir

    root = Path(shapes_dir) if shapes_dir else default_dir()
    try:
        files = sorted(root.glob("*/*.ttl"))
    except OSError:
        files = []
    return digest("shapes", code_digest(), root, files_digest(files))


def _place(shapes_dir: str | None) -> str:
    """A short name for a shapes folder in the cache folder's file names."""
    from ..resources import digest
    return digest(shapes_dir)[:16]


def _read_builtin_profiles(shapes_dir: str | None = None) -> dict[str, Profile]:
    from ..resources import shapes_dir as default_dir

    root = Path(shapes_dir) if shapes_dir else default_dir()
    profiles: dict[str, Profile] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and (p / "profile.ttl").is_file()):
        graph = Graph()
        for prefix, iri in ns.PREFIXES.items():
            graph.bind(prefix, iri)
        for ttl in sorted(folder.glob("*.ttl")):
            graph.parse(ttl, format="turtle")
        header = next(iter(graph.subjects(RDF.type, PROFILE_CLASS)), None)
        if header is None:
            raise UsageError(f"{folder / 'profile.ttl'} declares no pks:Profile", str(folder),
                             "add `pks:profile-<id> a pks:Profile ; dct:identifier \"<id>\"`", error_id="bad-profile")
        profile = _read_profile(folder, graph, header)
        profiles[profile.id] = profile
    return profiles


@lru_cache(maxsize=8)
def _with_user_profiles(shapes_dir: str | None, folders: tuple[str, ...], _signature: tuple
                        ) -> tuple[dict[str, Profile], list, list]:
    """The built-in profiles and the users' (`folders`, keyed by their files' signature so that an edited
    profile is read again), the problems found in the users' folders, and the shapes the oxigraph engine
    refuses in them (also on each profile, as its `refusals`)."""
    from ..errors import KgError
    from . import user_profiles as up

    profiles = dict(_builtin_profiles(shapes_dir))
    problems: list = []
    read: list[Profile] = []   # each user profile read
    for name in folders:
        folder = Path(name)
        graph, found = up.read_folder(folder)
        if graph is not None and not up.header_unread(found):   # the other files' problems too
            header, more = up.check_folder(folder, graph)
            found += more
            if header is not None:
                try:
                    profile = _read_profile(folder, graph, header, origin=str(folder))
                except (KgError, ValueError, TypeError) as exc:   # an ill-typed order, rank or date
                    found = found or [exc if isinstance(exc, KgError) else up.bad_value(folder, header, exc)]
                    profile = None
                if profile is not None:
                    clashes = up.check_clashes(profile, profiles)
                    found += clashes
                    if not clashes:
                        profiles[profile.id] = profile
                    read.append(profile)
        problems += found
    for profile in read:   # imports, then what the engine refuses, once every profile is known
        unknown = up.check_imports(profile, profiles)
        problems += unknown
        if not unknown:
            profile.refusals = up.engine_refusals(profile, {**profiles, profile.id: profile})
    return profiles, problems, [e for profile in read for e in profile.refusals]


def resolve_profiles(requested: list[str], profiles: dict[str, Profile]) -> list[str]:
    """Requested ids plus what they import (core first), in a stable order; unknown ids are usage errors."""
    out: list[str] = []

    def add(pid: str) -> None:
        if pid not in profiles:
            raise UsageError(f"unknown profile '{pid}'", None, "use one of: " + ", ".join(sorted(profiles)) +
                             " (or auto)", error_id="unknown-profile")
        for dep in profiles[pid].imports:
            add(dep)
        if pid not in out:
            out.append(pid)
    for pid in requested:
        add(pid)
    return sorted(out, key=lambda p: _profile_rank(p, profiles))



REASONS = words("validate-reasons")   # {lang: {requested, imported, forced}}: kg/messages.yaml


def applicable_profiles(graph: Graph, vocabulary, profiles: dict[str, Profile], as_of=None
                        ) -> list[tuple[str, dict[str, str]]]:
    """(profile id, why in en and fr) for the profiles that apply to a policy graph on `as_of` (default today),
    as their profile.ttl declares it (kg/validate/applicability.py)."""
    from .applicability import decide, parse_as_of, term_label
    from .data_graph import drop_inferred, validation_graph

    data = validation_graph(graph, vocabulary)
    drop_inferred(data)
    day, label, select = parse_as_of(as_of), term_label(vocabulary), graph_select(data)
    out = []
    for pid in sorted(profiles, key=lambda p: _profile_rank(p, profiles)):
        decision = decide(profiles[pid].rules, select, label, day)
        if decision.applies:
            out.append((pid, decision.reason))
    return out


def graph_select(graph: Graph):
    """select(query) -> rows (dicts of variable -> rdflib term) over an rdflib data graph, run by pyoxigraph:
    rdflib's SPARQL takes seconds on the triggers' `skos:broader*` paths (78 s for the two seeds' profiles,
    against milliseconds here)."""
    import pyoxigraph as ox

    from ..terms import ox_quads, solution_rows
    store = ox.Store()
    store.extend(ox_quads(graph, None))
    return lambda query: solution_rows(store.query(query))


def _profile_rank(pid: str, profiles: dict[str, Profile] | None = None) -> tuple[int, str]:
    """Reports list profiles in their pks:order (core first, consistency last)."""
    profile = (profiles or {}).get(pid)
    return (profile.rules.order if profile is not None else 99, pid)
