"""Users' own profiles (issue 20): folders of their own shapes, described as the built-in profiles are.

A user profile is a folder with a `profile.ttl` (the pks:Profile header: id, titles and descriptions in en and
fr, imports, order, applicability) and Turtle files of shapes. They come from `--profile PATH` (the library:
a folder path among the `profiles` of validate_graph / validate_paths / validate_store) and from the user
profiles folder (`$POLICYKG_PROFILES`, else `$XDG_CONFIG_HOME/policykg/profiles`, else
`~/.config/policykg/profiles`: each subfolder with a profile.ttl). They are read here and checked before any
policy is: Turtle syntax (file:line), the header, an id or a shape that is already a built-in's or another
profile's (`profile-clash`), messages and fixes in en and fr, imports of known profiles, triggers that parse,
and, for the default engine, the shapes the oxigraph engine refuses (`unsupported-shape` naming the feature;
no automatic fallback to pySHACL: docs/decisions/0004, amended for issue 20). Every problem of every folder is
raised at once (one `bad-profile` error holding each, or the one problem itself).
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, SH, XSD

from .. import namespaces as ns
from ..errors import KgError, Location, RdfSyntaxError, UsageError

PKS = ns.PKS
LANGS = ("en", "fr")
ENV = "POLICYKG_PROFILES"
BUILT_IN = "built-in"


class ProfileProblems(UsageError):
    """Several problems of users' profile folders: each keeps its own id, file:line and fix (printed first by the
    CLI, kg.cli.main.print_error); this one sums them up."""
    id = "bad-profile"

    def __init__(self, errors: list[KgError], folders: list[str]):
        self.errors = list(errors)
        super().__init__(f"{len(self.errors)} problems in the profile folder(s) {', '.join(folders)}",
                         ", ".join(folders), "fix each problem listed above (each names its file and line), then "
                                             "run the command again")

    def __str__(self) -> str:
        return "\n".join([*(str(e) for e in self.errors), super().__str__()])


def user_profiles_dir() -> Path:
    """The user profiles folder: $POLICYKG_PROFILES, else $XDG_CONFIG_HOME/policykg/profiles, else
    ~/.config/policykg/profiles (it need not exist)."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV]).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "policykg" / "profiles"


def is_profile_folder(value) -> bool:
    """A `--profile` value that names a folder: a Path, a value with a path separator, or an existing folder
    (anything else is a profile id, or auto)."""
    if isinstance(value, Path):
        return True
    text = str(value)
    return "/" in text or os.sep in text or Path(text).is_dir()


def split_profiles(requested) -> tuple[list[str] | str, tuple[str, ...]]:
    """`profiles` as the entry points take it ('auto', or ids and folders) -> (ids or 'auto', absolute folders)."""
    if isinstance(requested, (str, Path)):
        requested = [requested]
    ids = [str(r) for r in requested if not is_profile_folder(r)]
    folders = tuple(dict.fromkeys(str(Path(r).expanduser().resolve()) for r in requested if is_profile_folder(r)))
    if not ids and not folders:
        return "auto", ()
    return (ids if ids != ["auto"] or folders else "auto"), folders


def profile_folders(folders=(), user_folder: bool = True) -> tuple[str, ...]:
    """The users' profile folders of a run: those of the user profiles folder (with user_folder) and the
    `folders` given, each once, by absolute path."""
    out: list[str] = []
    root = user_profiles_dir()
    if user_folder and root.is_dir():
        out += [str(p.resolve()) for p in sorted(root.iterdir()) if p.is_dir() and (p / "profile.ttl").is_file()]
    out += [str(Path(f).expanduser().resolve()) for f in folders]
    return tuple(dict.fromkeys(out))


def shown(path) -> str:
    """A path as errors show it: relative to the working folder when inside it."""
    from ..build_manifest import shown_path
    return shown_path(str(path))


def folder_files(folder) -> list[Path]:
    return sorted(p for p in Path(folder).glob("*.ttl") if p.is_file())


def signature(folders: tuple[str, ...]) -> tuple:
    """What changes when a profile folder is edited (names, sizes and times of its files): the in-process
    caches of profiles and compiled shapes are keyed by it."""
    out = []
    for folder in folders:
        try:
            out.append((folder, tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in folder_files(folder))))
        except OSError:
            out.append((folder, ()))
    return tuple(out)


def content_hash(folder) -> str:
    """The SHA-256 of a profile folder's Turtle files (names and bytes): the report cache's key has it."""
    digest = hashlib.sha256()
    for path in folder_files(folder):
        try:
            data = path.read_bytes()
        except OSError:
            data = b"-"
        digest.update(path.name.encode() + b"\0" + hashlib.sha256(data).hexdigest().encode() + b"\n")
    return digest.hexdigest()


# --- reading and checking one folder ------------------------------------------------------------------------

def read_folder(folder: Path) -> tuple[Graph | None, list[KgError]]:
    """The graph of a user profile folder's Turtle files, or the problems that prevent reading it (a missing
    folder or profile.ttl; each file's Turtle syntax error at its line)."""
    if folder.exists() and not folder.is_dir():
        return None, [UsageError(f"the profile folder {shown(folder)} is a file, not a folder", shown(folder),
                                 "give the folder that holds profile.ttl (--profile PATH names the folder)",
                                 error_id="bad-profile")]
    if not folder.is_dir():
        return None, [UsageError(f"the profile folder {shown(folder)} does not exist", shown(folder),
                                 "give a folder that holds a profile.ttl and the profile's shapes (docs/profiles.md, "
                                 "\"Your own profile\")", error_id="bad-profile")]
    if not (folder / "profile.ttl").is_file():
        return None, [UsageError(f"the profile folder {shown(folder)} has no profile.ttl", shown(folder),
                                 "add a profile.ttl with the profile's header: `pks:profile-<id> a pks:Profile ; "
                                 "dct:identifier \"<id>\"` (docs/profiles.md, \"Your own profile\")",
                                 error_id="bad-profile")]
    graph, problems = Graph(), []
    for prefix, iri in ns.PREFIXES.items():
        graph.bind(prefix, iri)
    # rdflib logs a traceback for an ill-formed typed literal ("2025-13-01"^^xsd:date); the checks below
    # report it as a problem of the profile instead
    quiet = logging.getLogger("rdflib.term")
    was, quiet.disabled = quiet.disabled, True
    try:
        _parse_files(folder, graph, problems)
    finally:
        quiet.disabled = was
    return graph, problems


def _parse_files(folder: Path, graph: Graph, problems: list[KgError]) -> None:
    import pyoxigraph as ox

    for path in folder_files(folder):
        try:
            data = path.read_bytes()
            text = data.decode("utf-8")
            list(ox.parse(data, format=ox.RdfFormat.TURTLE, base_iri=path.resolve().as_uri()))
            graph.parse(data=text, format="turtle", publicID=path.resolve().as_uri())
        except UnicodeDecodeError as exc:
            problems.append(RdfSyntaxError(f"{path.name} is not UTF-8 text ({exc.reason} at byte {exc.start})",
                                           shown(path), "save the file as UTF-8"))
        except SyntaxError as exc:
            line, col = (exc.lineno, exc.offset) if getattr(exc, "lineno", None) else (None, None)
            problems.append(RdfSyntaxError(f"Turtle syntax error: {getattr(exc, 'msg', None) or exc}",
                                           Location(shown(path), line, col), "fix the syntax at that line"))
        except OSError as exc:
            problems.append(UsageError(f"cannot read {shown(path)}: {exc.strerror}", shown(path), "check the file's "
                                       "permissions", error_id="bad-profile"))
        except Exception as exc:  # noqa: BLE001 - rdflib's own refusals of what pyoxigraph read
            problems.append(RdfSyntaxError(f"Turtle that rdflib cannot read: {exc}", shown(path),
                                           "fix the syntax of this file"))


def header_unread(problems: list[KgError]) -> bool:
    """Whether one of a folder's reading problems is in its profile.ttl (then nothing else is checked)."""
    return any((p.where.file if isinstance(p.where, Location) else str(p.where or "")).endswith("profile.ttl")
               or p.what.endswith(("does not exist", "has no profile.ttl", "not a folder")) for p in problems)


def bad_value(folder: Path, header, exc: Exception) -> KgError:
    """A value of the header that cannot be read as what it must be (a rank that is no integer...)."""
    return UsageError(f"a value of the profile's header cannot be read: {exc}", locate(folder, header),
                      "pks:order and pks:rank are integers, pks:inForceFrom an xsd:date (docs/applicability.md)",
                      error_id="bad-profile")


def locate(folder: Path, node) -> Location:
    """The file:line where a node of a profile folder is described (the line that starts with its prefixed
    name or <IRI>), else its profile.ttl."""
    if isinstance(node, URIRef):
        for path in folder_files(folder):
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            names = [f"<{node}>"]
            for prefix, iri in re.findall(r"@prefix\s+([\w.-]*):\s*<([^>]*)>", text, flags=re.I):
                if str(node).startswith(iri) and re.fullmatch(r"[\w.-]*", str(node)[len(iri):]):
                    names.append(f"{prefix}:{str(node)[len(iri):]}")
            pattern = re.compile(r"^\s*(" + "|".join(re.escape(n) for n in names) + r")(\s|$)")
            for number, line in enumerate(text.splitlines(), 1):
                if pattern.match(line):
                    return Location(shown(path), number)
    return Location(shown(folder / "profile.ttl"))


def _named(graph: Graph) -> set:
    shapes = set(graph.subjects(RDF.type, SH.NodeShape)) | set(graph.subjects(RDF.type, SH.PropertyShape))
    return {s for s in shapes if isinstance(s, URIRef)}


def _langs(graph: Graph, node, predicate) -> set[str]:
    return {(o.language or "en") for o in graph.objects(node, predicate) if isinstance(o, Literal)}


def _missing_langs(graph: Graph, nodes, predicate) -> list[str]:
    have = set()
    for node in nodes:
        have |= _langs(graph, node, predicate)
    return [lang for lang in LANGS if lang not in have]


def check_folder(folder: Path, graph: Graph) -> tuple[URIRef | None, list[KgError]]:
    """The header node of a user profile's graph and the problems of its description and shapes."""
    problems: list[KgError] = []
    headers = sorted(graph.subjects(RDF.type, PKS.Profile))
    header_where = Location(shown(folder / "profile.ttl"))

    def bad(what: str, where, fix: str) -> None:
        problems.append(UsageError(what, where, fix, error_id="bad-profile"))

    if not headers:
        bad(f"{shown(folder / 'profile.ttl')} declares no pks:Profile", header_where,
            "add `pks:profile-<id> a pks:Profile ; dct:identifier \"<id>\"` with its titles and descriptions in en "
            "and fr (docs/profiles.md, \"Your own profile\")")
        header = None
    else:
        header = headers[0]
        header_where = locate(folder, header)
        if len(headers) > 1:
            bad(f"the folder declares {len(headers)} pks:Profile headers ({', '.join(ns.shorten(str(h)) for h in headers)})",
                header_where, "keep one profile per folder")
        pid = graph.value(header, DCTERMS.identifier)
        if pid is None or not re.fullmatch(r"[a-z0-9][a-z0-9-]*", str(pid)):
            bad(f"the profile's dct:identifier is {'missing' if pid is None else repr(str(pid))}", header_where,
                'give it a kebab-case id: dct:identifier "house-rules"')
        for predicate, name in ((DCTERMS.title, "dct:title"), (DCTERMS.description, "dct:description")):
            missing = _missing_langs(graph, [header], predicate)
            if missing:
                bad(f"the profile has no {name} in {' and '.join(missing)}", header_where,
                    f"add {name} \"…\"@{missing[0]} (profiles are described in English and French)")
        for imported in graph.objects(header, OWL.imports):
            if not str(imported).startswith(str(PKS) + "profile-"):
                bad(f"owl:imports {imported} is not a profile", header_where,
                    "import profiles by their header, e.g. owl:imports pks:profile-core")
        _check_applicability(graph, header, header_where, bad)
    for node in sorted(_named(graph)):
        where = locate(folder, node)
        if not str(node).startswith(str(PKS)):
            bad(f"the shape {node} is not in the pks: namespace", where,
                f"name it pks:<profile id>-<rule>, i.e. <{PKS}…>: findings, the report cache and SARIF rules know "
                "shapes by that id")
            continue
        sid = str(node)[len(str(PKS)):]
        carriers = [node, *graph.objects(node, SH.sparql)]
        for predicate, name in ((SH.message, "sh:message"), (PKS.fix, "pks:fix")):
            missing = _missing_langs(graph, carriers, predicate)
            if missing:
                bad(f"the shape {sid} has no {name} in {' and '.join(missing)}", where,
                    f"add {name} \"…\"@{missing[0]}: findings are shown in English and French (--lang)")
        for blank in graph.objects(node, SH.property):
            if isinstance(blank, BNode):
                bad(f"the shape {sid} has a blank-node sh:property shape", where,
                    "give the property shape an IRI of its own (pks:<profile id>-…, with its message and fix): "
                    "findings name the shape that found them, and a blank node has no name")
    return header, problems


def _check_applicability(graph: Graph, header, where, bad) -> None:
    import pyoxigraph as ox

    from .applicability import _prefix_lines
    order = graph.value(header, PKS.order)
    if order is not None and not re.fullmatch(r"-?\d+", str(order)):
        bad(f"pks:order {order} is not an integer", where, "give the place in reports as an integer: pks:order 10")
    triggers = list(graph.objects(header, PKS.appliesWhen))
    always = graph.value(header, PKS.appliesAlways)
    if always is None and not triggers:
        bad("the profile says neither pks:appliesAlways nor pks:appliesWhen", where,
            "say when it applies: pks:appliesAlways \"…\"@en, \"…\"@fr, or pks:appliesWhen triggers "
            "(docs/applicability.md)")
    if always is not None and _missing_langs(graph, [header], PKS.appliesAlways):
        bad(f"pks:appliesAlways has no text in {' and '.join(_missing_langs(graph, [header], PKS.appliesAlways))}",
            where, "give the reason in English and French")
    if triggers and _missing_langs(graph, [header], PKS.notApplicable):
        bad(f"the profile has no pks:notApplicable in {' and '.join(_missing_langs(graph, [header], PKS.notApplicable))}",
            where, "say, in English and French, what is reported when it is requested for a policy it does not apply to")
    store = ox.Store()
    for i, node in enumerate(triggers, 1):
        rank = graph.value(node, PKS.rank)
        if rank is not None and not re.fullmatch(r"-?\d+", str(rank)):
            bad(f"pks:rank {rank} of trigger {i} is not an integer", where, "rank the triggers 1, 2, 3…")
        query = graph.value(node, PKS.select)
        if query is None:
            bad(f"trigger {i} (pks:appliesWhen) has no pks:select", where, "give it a SPARQL SELECT in pks:select")
            continue
        try:
            store.query(_prefix_lines() + str(query))
        except SyntaxError as exc:
            bad(f"the pks:select of trigger {i} is not SPARQL: {exc}", where, "fix the query (the usual prefixes "
                "are declared for it)")
        missing = _missing_langs(graph, [node], PKS.reason)
        if missing:
            bad(f"trigger {i} has no pks:reason in {' and '.join(missing)}", where,
                "say why the profile applies, in English and French")
    for node in (header, *triggers, *_named(graph)):
        value = graph.value(node, PKS.inForceFrom)
        if value is not None and not (isinstance(value, Literal) and value.datatype == XSD.date
                                      and value.toPython() is not None and not isinstance(value.toPython(), str)):
            bad(f"pks:inForceFrom {value} is not an xsd:date", where, 'write it "YYYY-MM-DD"^^xsd:date')


def check_clashes(profile, others: dict) -> list[KgError]:
    """An id or a shape of a user profile that is already a built-in's or another (earlier) profile's."""
    problems = []
    where = locate(profile.folder, profile.iri)
    other = others.get(profile.id)
    if other is not None:
        what = f"the built-in profile '{other.id}' ({shown(other.folder)})" if other.origin == BUILT_IN else \
            f"the profile of {shown(other.folder)}"
        problems.append(UsageError(f"the profile id '{profile.id}' of {shown(profile.folder / 'profile.ttl')} is already "
                                   f"the id of {what}", where,
                                   "give your profile an id of its own (dct:identifier \"<id>\"), and its header and "
                                   "shapes IRIs to match", error_id="profile-clash"))
    shapes = {sid: p for p in others.values() for sid in p.shape_ids()}
    for sid in profile.shape_ids():
        if sid in shapes:
            owner = shapes[sid]
            problems.append(UsageError(
                f"the shape {sid} of {shown(profile.folder)} is already a shape of the "
                + (f"built-in profile '{owner.id}'" if owner.origin == BUILT_IN else f"profile of {shown(owner.folder)}"),
                locate(profile.folder, PKS[sid]), f"rename it pks:{profile.id}-…: each shape has one IRI",
                error_id="profile-clash"))
    return problems


def check_imports(profile, available: dict) -> list[KgError]:
    return [UsageError(f"the profile '{profile.id}' imports the unknown profile '{dep}'",
                       locate(profile.folder, profile.iri),
                       "import one of: " + ", ".join(sorted(p for p in available if p != profile.id)),
                       error_id="bad-profile")
            for dep in profile.imports if dep not in available]


def engine_refusals(profile, available: dict) -> list[KgError]:
    """What the oxigraph engine refuses in the shapes of a user profile (with its imports, whose prefixes and
    components it may use): one `unsupported-shape` error per refused shape, at its file:line."""
    from ..shacl.shapes import _Compiler

    graph, seen, todo = Graph(), set(), [profile.id]
    while todo:   # the profile and what it imports, transitively
        pid = todo.pop()
        if pid not in seen and pid in available:
            seen.add(pid)
            graph += available[pid].graph
            todo += available[pid].imports
    compiler = _Compiler(graph)
    out = []
    for node in sorted(_named(profile.graph)):
        try:
            compiler.shape(node)
        except UsageError as exc:
            exc.where = locate(profile.folder, node)
            if getattr(exc, "forbidden", False) is False and exc.id == "unsupported-shape":
                exc.fix = ("use --engine pyshacl (or pyshacl-turbo) with this profile, or express the shape as a "
                           "SPARQL constraint (sh:sparql): no shape falls back to pySHACL on its own")
            out.append(exc)
    return out


def raise_problems(problems: list[KgError], folders) -> None:
    """The one problem, or a ProfileProblems holding each, naming the folders they are in."""
    if len(problems) == 1:
        raise problems[0]
    if problems:
        places = set()
        for problem in problems:
            where = problem.where.file if isinstance(problem.where, Location) else str(problem.where or "")
            places.add(str(Path(where).parent) if where.endswith(".ttl") else where)
        named = sorted(f for f in (shown(f) for f in folders) if f in places) or sorted(places)
        raise ProfileProblems(problems, named)
