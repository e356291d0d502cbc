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
from .applicability import Applicability, lang_texts, read_applicability  # noqa: F401 - lang_texts: API

PKS, PKX, OA = ns.PKS, ns.PKX, ns.OA
PROFILE_CLASS = PKS.Profile


@dataclass
class Profile:
    id: str
    iri: URIRef
    title: dict[str, str]
    description: dict[str, str]
    imports: list[str]          # ids of the profiles it builds on
    graph: Graph                # every shape file of the folder
    folder: Path
    rules: Applicability = field(default_factory=Applicability)   # where and when it applies

    def shape_ids(self) -> list[str]:
        return sorted(shape_id(s) for s in _named_shapes(self.graph))


def _named_shapes(graph: Graph):
    shapes = set(graph.subjects(RDF.type, SH.NodeShape)) | set(graph.subjects(RDF.type, SH.PropertyShape))
    return {s for s in shapes if isinstance(s, URIRef)}


def shape_id(iri) -> str:
    text = str(iri)
    return text[len(str(PKS)):] if text.startswith(str(PKS)) else text


@lru_cache(maxsize=4)
def load_profiles(shapes_dir: str | None = None) -> dict[str, Profile]:
    """Every profile folder of shapes/ (each with a profile.ttl header), by id."""
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
        pid = str(graph.value(header, DCTERMS.identifier) or folder.name)
        imports = sorted(str(o).rsplit("profile-", 1)[-1] for o in graph.objects(header, OWL.imports))
        profiles[pid] = Profile(pid, header, lang_texts(graph, header, DCTERMS.title),
                                lang_texts(graph, header, DCTERMS.description), imports, graph, folder,
                                read_applicability(graph, header))
    return profiles


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



REASONS = {
    "en": {"requested": "requested", "imported": "imported by {by}", "forced": "requested, applied even if it does not apply"},
    "fr": {"requested": "demandé", "imported": "importé par {by}", "forced": "demandé, appliqué même s'il ne s'applique pas"},
}


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
