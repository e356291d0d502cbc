"""Validation runs: one policy graph (`validate_graph`), cards and RDF files (`validate_paths`), the
policies of a store (`validate_store`, in forked workers when there are many).
"""
from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from rdflib import BNode, Graph
from rdflib.namespace import DCTERMS, RDF, SH

from .. import namespaces as ns
from ..messages import text
from ..errors import CODES, EXIT_USAGE, UsageError
from ..parallel import can_fork, closing_batches


from .applicability import decide, parse_as_of, shapes_not_in_force, spoken_date, term_label
from .data_graph import drop_inferred, validation_graph
from .engines import DEFAULT_ENGINE, ENGINES, _WORKSPACES, _engine, _profile_shapes, _shapes_engine, workspace
from .findings import Finding, Report, StoreFacts, _findings
from .profiles import REASONS, _profile_rank, graph_select, load_profiles, resolve_profiles
from .user_profiles import split_profiles

PKS, PKX, OA = ns.PKS, ns.PKX, ns.OA


def validate_graph(policy: Graph | None, policy_key: str, vocabulary, *, profiles: list[str] | str = "auto",
                   engine: str = DEFAULT_ENGINE, shapes_dir: str | None = None,
                   locations: dict | None = None, source: str | None = None,
                   only_shapes: list[str] | None = None, ox_triples: list | None = None,
                   from_store: tuple | None = None, as_of=None, applicability: bool = True) -> Report:
    """Validate one policy graph on the date `as_of` (a date or "YYYY-MM-DD"; default today).

    `profiles` is 'auto' (the profiles whose profile.ttl says they apply) or a list of profile ids (their
    imports added) and of users' profile folders (a Path, or a str with a path separator or naming an existing
    folder: kg/validate/user_profiles.py), 'auto' among them choosing the others as it does alone; the profiles of
    the user profiles folder ($POLICYKG_PROFILES, else $XDG_CONFIG_HOME/policykg/profiles) are available by id
    and to 'auto' too. A problem of a user's profile folder raises a KgError naming its file:line (all of them
    at once), as does a shape the oxigraph engine refuses (`unsupported-shape`: no fallback). A requested profile that does not apply to the policy, or was not in force on `as_of`,
    is reported once (an info finding) instead of being run, unless `applicability` is False. Shapes whose
    rule came into force after `as_of` are not run (one info finding per profile says so). Facts the card
    only infers are not counted. `only_shapes` (shape ids) restricts the run to those shapes.
    `ox_triples`: the same graph as pyoxigraph triples, when the caller has them (the oxigraph engine then
    skips the conversion), or `from_store` = (store, graph IRI) where it is; `policy` may then be None: the
    rdflib graph of what the findings describe is built only when there are findings."""
    day = parse_as_of(as_of)
    requested, folders = split_profiles(profiles)
    available = load_profiles(shapes_dir, folders, user_folder=True, engine=engine)
    requested = _with_folder_ids(requested, folders, available)
    ws = data = None
    if engine == "oxigraph":
        ws = workspace(vocabulary)
        if from_store is not None:
            ws.load_from(*from_store)
        else:
            ws.load(ox_triples if ox_triples is not None else ws.ox_triples(policy))
        inferred = ws.drop_inferred()
        select = ws.select
    elif engine in ENGINES:
        data = validation_graph(policy, vocabulary)
        inferred = drop_inferred(data)
        select = graph_select(data)
    else:
        _engine(engine)
    chosen, notices = _choose(requested, available, select, term_label(vocabulary), day, applicability)
    pids = tuple(pid for pid, _ in chosen)
    later = {sid: when for pid in pids for sid, when in shapes_not_in_force(available[pid].rules, day)}
    run_only = set(only_shapes) if only_shapes else None
    if later:
        in_force = {sid for pid in pids for sid in available[pid].shape_ids()} - set(later)
        run_only = in_force if run_only is None else run_only & in_force
    shapes, profile_of = _profile_shapes(shapes_dir, pids, folders)
    started = time.perf_counter()
    if run_only is not None and not run_only:
        results = Graph()
        results.add((BNode(), RDF.type, SH.ValidationReport))
    elif ws is not None:
        only = {PKS[sid] for sid in run_only} if run_only is not None else None
        _conforms, results = _shapes_engine(shapes_dir, pids, folders).validate(ws.store, [ws.graph], only)
    else:
        extra = {"use_shapes": [str(PKS[sid]) for sid in sorted(run_only)]} if run_only is not None else {}
        run_engine = _engine(engine)
        try:
            _conforms, results, _text = run_engine(
                # sh:conforms as SHACL says (any result makes it false), as the oxigraph engine writes it too
                data, shacl_graph=shapes, inference="none", advanced=True,
                **extra)
        except Exception as exc:  # noqa: BLE001 - pySHACL's refusal of a user's shapes graph is theirs to fix
            users = sorted({str(available[pid].folder) for pid in pids if available[pid].origin != "built-in"})
            if not users:
                raise
            raise UsageError(f"{engine} cannot run the shapes of {', '.join(users)}: {type(exc).__name__}: {exc}",
                             ", ".join(users), "correct the shape the message names (https://www.w3.org/TR/shacl/ "
                             "says what a shape may contain)", error_id="unsupported-shape") from None
    seconds = time.perf_counter() - started
    if policy is None:   # given as pyoxigraph triples or in a store only: read where it is
        policy = StoreFacts(ws.store, ws.graph, ws.statements)
    findings = _findings(results, policy_key, profile_of, shapes, policy, vocabulary, locations)
    notices += _not_in_force_notices(later, profile_of, available, day, policy_key)
    notices += _to_review(select, policy_key)
    if inferred:
        notices.append(_notice(policy_key, "core", "core-inferred-not-counted", _say("inferred", n=inferred),
                               _say("inferred_fix"), _say("inferred_article")))
    _about_the_notice(notices, select, policy_key)
    return Report(policy_key, chosen, notices + findings, results, engine, seconds, source, shapes_dir, folders)


def _with_folder_ids(requested, folders: tuple[str, ...], available: dict):
    """The requested ids (or 'auto') with the id of each profile folder given."""
    if not folders:
        return requested
    by_folder = {str(p.folder): pid for pid, p in available.items() if p.origin != "built-in"}
    ids = [by_folder[f] for f in folders if f in by_folder]
    return (["auto"] if requested == "auto" else list(requested)) + ids


def _choose(requested, available: dict, select, label, day, applicability: bool):
    """The (profile id, reasons) to run and the notices of requested profiles that were not run."""
    notices: list[Finding] = []
    if requested != "auto" and "auto" in requested and len(set(requested)) > 1:
        # auto and named profiles (a user's folder): what auto chooses, and the named ones as requested
        auto, auto_notices = _choose("auto", available, select, label, day, applicability)
        named, named_notices = _choose([r for r in requested if r != "auto"], available, select, label, day,
                                       applicability)
        picked = dict(auto)
        picked.update((pid, why) for pid, why in named if pid not in picked or pid in requested)
        run = set(picked)
        notices = [n for n in auto_notices + named_notices if n.profile not in run]
        return sorted(picked.items(), key=lambda kv: _profile_rank(kv[0], available)), notices
    if requested == "auto" or requested == ["auto"]:
        chosen = []
        for pid in sorted(available, key=lambda p: _profile_rank(p, available)):
            profile = available[pid]
            decision = decide(profile.rules, select, label, day)
            if decision.applies:
                chosen.append((pid, decision.reason))
            elif decision.not_in_force:
                notices.append(_profile_notice(pid, profile, decision.reason, "not-in-force"))
        return chosen, notices
    ids = resolve_profiles(list(requested), available)
    chosen = []
    for pid in ids:
        profile = available[pid]
        asked = pid in requested
        decision = decide(profile.rules, select, label, day)
        if decision.applies or not applicability:
            key = "requested" if asked else "imported"
            why = {lang: REASONS[lang][key].format(by=", ".join(requested)) for lang in REASONS}
            if not decision.applies:
                why = {lang: REASONS[lang]["forced"] for lang in REASONS}
            elif asked:
                why = {lang: f"{why[lang]}: {decision.reason.get(lang) or decision.reason.get('en', '')}"
                       for lang in REASONS}
            chosen.append((pid, why))
        else:
            notices.append(_profile_notice(pid, profile, decision.reason,
                                           "not-in-force" if decision.not_in_force else "not-applicable"))
    return chosen, notices


_TO_REVIEW = """SELECT DISTINCT ?id WHERE {
  ?ev <https://w3id.org/dpv#hasAuditStatus> <https://w3id.org/dpv#AuditRequired> ;
      <http://purl.org/dc/terms/identifier> ?id } ORDER BY ?id"""


def _to_review(select, policy_key: str) -> list[Finding]:
    """One notice listing the statements a card still marks `review: true` (drafts): validation counts them
    (they are quoted), but a person has not checked them yet."""
    ids = [str(row["id"]) for row in select(_TO_REVIEW)]
    if not ids:
        return []
    listed = ", ".join(ids[:40]) + (" …" if len(ids) > 40 else "")
    return [_notice(policy_key, "core", "core-statements-to-review", _say("review", n=len(ids), listed=listed),
                    _say("review_fix"), _say("review_article"))]


def _about_the_notice(notices: list[Finding], select, policy_key: str) -> None:
    """Notices are about the policy as a whole: their focus is its dpv:PrivacyNotice node."""
    if not notices:
        return
    rows = select("SELECT ?n WHERE { ?n a <https://w3id.org/dpv#PrivacyNotice> } ORDER BY ?n LIMIT 1")
    focus = str(rows[0]["n"]) if rows else ""
    for notice in notices:
        notice.policy, notice.focus = policy_key, focus
        notice.focus_label = _say("the_policy")


def _say(key: str, **values) -> dict[str, str]:
    """A notice's text in English and French, from kg/messages.yaml (validate-notices), {values} filled in."""
    return {lang: text("validate-notices", key, lang).format(**values) for lang in ("en", "fr")}


def _notice(policy_key: str, pid: str, notice_id: str, message: dict, fix: dict, article: dict,
            references: list[str] | None = None) -> Finding:
    return Finding(policy=policy_key, profile=pid, shape=notice_id, severity="info", message=message, fix=fix,
                   article=article.get("en", ""), references=references or [], focus="", focus_label={},
                   articles={lang: article.get(lang) or article.get("en", "") for lang in ("en", "fr")})


def _profile_notice(pid: str, profile, reason: dict, kind: str) -> Finding:
    fix = _say("not_applicable_fix" if kind == "not-applicable" else "not_in_force_fix")
    text = {lang: (reason.get(lang) or reason.get("en", "")) for lang in ("en", "fr")}
    text = {lang: s[:1].upper() + s[1:] + ("" if s.endswith(".") else ".") for lang, s in text.items()}
    source = profile.graph.value(profile.iri, DCTERMS.source)
    return _notice("", pid, f"{pid}-{kind}", text, fix, profile.rules.scope or profile.title,
                   [ns.shorten(str(source))] if source is not None else [])


def _not_in_force_notices(later: dict, profile_of: dict, available: dict, day, policy_key: str) -> list[Finding]:
    """One notice per profile whose shapes were not run because their rule was not yet in force."""
    by_profile: dict[str, list] = {}
    for sid, when in sorted(later.items()):
        by_profile.setdefault(profile_of.get(sid, sid.split("-")[0]), []).append((sid, when))
    out = []
    for pid, items in by_profile.items():
        dates = sorted({w for _, w in items})
        names = ", ".join(sid for sid, _ in items)
        said = {lang: ", ".join(spoken_date(d, lang) for d in dates) for lang in ("en", "fr")}
        out.append(_notice(policy_key, pid, f"{pid}-rules-not-in-force",
            {lang: text("validate-notices", "rules_not_in_force", lang).format(
                n=len(items), day=spoken_date(day, lang), dates=said[lang], names=names) for lang in ("en", "fr")},
            _say("rules_not_in_force_fix"),
            available[pid].rules.scope or available[pid].title))
    return out


@dataclass
class ValidationRun:
    reports: list[Report] = field(default_factory=list)
    errors: list = field(default_factory=list)   # the KgErrors of inputs that could not be loaded (validate_targets)

    def conforms(self, fail_on: str = "violation") -> bool:
        """Whether every report conforms at `fail_on` and every input was loaded (one not checked is no pass)."""
        return not self.errors and all(r.conforms(fail_on) for r in self.reports)


# The errors of one input (exit 2, PKG-E001…E029: a card's YAML or term, an RDF file's syntax, a missing file):
# validate_targets reports them with the others' reports instead of stopping
LOAD_ERRORS = frozenset(i for i, code in CODES.items() if "PKG-E001" <= code <= "PKG-E029")


def validate_targets(targets: list[str | Path], *, store=None, profiles: list[str] | str = "auto",
                     engine: str = DEFAULT_ENGINE, vocab_dir: Path | None = None, as_of=None,
                     applicability: bool = True, workers: int | None = None, cache: bool = True,
                     on_error=None) -> ValidationRun:
    """The one entry point: validate what the user names, each policy on its own. `targets`: cards, RDF files
    and folders (validated file by file), and stored policies (SLUG, SLUG@DATE, SLUG@*) of `store` (a
    PolicyStore, an embedded store's path, default ./store, or an endpoint's URL: validate_store). An input
    that cannot be loaded (LOAD_ERRORS) does not stop the run: it is in `run.errors`, in order, and given to
    `on_error(exc)` when it happens; the problems of the users' profile folders are raised first, all at once."""
    from ..errors import KgError
    from ..sources import input_files, split_targets

    if engine in ENGINES:
        load_profiles(None, split_profiles(profiles)[1], user_folder=True, engine=engine)
    paths, slugs = split_targets(map(str, targets))
    options = {"profiles": profiles, "engine": engine, "vocab_dir": vocab_dir, "as_of": parse_as_of(as_of),
               "applicability": applicability}
    run = ValidationRun()

    def guarded(func, *args, **kwargs):
        try:
            return func(*args, **kwargs)
        except KgError as exc:
            if exc.id not in LOAD_ERRORS or exc.exit_code != EXIT_USAGE:
                raise
            run.errors.append(exc)
            if on_error is not None:
                on_error(exc)
            return None
    files = []
    for target in paths:   # a missing path or an empty folder is one error; the other targets go on
        files += guarded(input_files, [target]) or []
    seen = set()
    for path in files:
        resolved = path.resolve()
        if resolved not in seen:   # the same file reached from two targets is validated once
            seen.add(resolved)
            done = guarded(validate_paths, [path], **options)
            run.reports += done.reports if done else []
    if slugs:
        if store is None:
            from ..stores.oxigraph import DEFAULT_STORE   # imported only when a stored policy is named
            store = DEFAULT_STORE
        run.reports += validate_store(store, slugs, workers=workers, cache=cache, **options).reports
    return run


def validate_paths(paths: list[str | Path], *, profiles: list[str] | str = "auto", engine: str = DEFAULT_ENGINE,
                   vocab_dir: Path | None = None, shapes_dir: str | None = None, as_of=None,
                   applicability: bool = True) -> ValidationRun:
    """Validate cards and RDF files (each policy on its own), without touching the store. `profiles` as for
    validate_graph: 'auto', ids, and folders of the user's own profiles (whose problems are raised, all at
    once with their file:line, before any file is read)."""
    from ..sources import file_sources, input_files
    from ..vocab import load_vocabulary

    load_profiles(shapes_dir, split_profiles(profiles)[1], user_folder=True, engine=engine)   # its problems first
    vocabulary = load_vocabulary(vocab_dir)
    run = ValidationRun()
    for path in input_files(paths):
        for source in file_sources(path, vocabulary):
            run.reports.append(validate_graph(source.graph, source.key, vocabulary, profiles=profiles, engine=engine,
                                              shapes_dir=shapes_dir, locations=source.locations or None,
                                              source=str(path), as_of=as_of, applicability=applicability))
    return run


def validate_store(store, selectors: list[str] | None, *, profiles: list[str] | str = "auto",
                   engine: str = DEFAULT_ENGINE, vocab_dir: Path | None = None,
                   shapes_dir: str | None = None, workers: int | None = None, as_of=None,
                   applicability: bool = True, cache: bool = True) -> ValidationRun:
    """Validate policies already in a store (by SLUG or SLUG@DATE), one report per policy, in the order of
    the store's inventory. `store` is a PolicyStore (the embedded store or a SPARQL endpoint: the same
    findings for the same graphs), an open pyoxigraph Store, or a location: the path of an embedded store
    (then many policies are validated by `workers` forked processes, default one per core, each reading the
    store on its own) or an endpoint's URL. With `cache`, the reports of an embedded store's policies are kept
    beside it, and a policy validated before with the same graph, shapes, vocabulary, options and date is not
    validated again (kg.validate.cache). Given by its path, the embedded store also gives each finding the
    card file:line of its statement, as validating the card does (kept by its build, kg.build_manifest); an
    endpoint or an open store cannot. `profiles` as for validate_graph ('auto', ids, folders of the user's own
    profiles); the cache's key has the content of each user's profile folder, so an edited one runs again."""
    from ..inventory import select_policies
    from ..stores import as_store, is_endpoint
    from ..vocab import load_vocabulary

    load_profiles(shapes_dir, split_profiles(profiles)[1], user_folder=True, engine=engine)   # its problems first
    store_path = Path(store) if isinstance(store, (str, Path)) and not is_endpoint(store) else None
    store = as_store(store)
    vocabulary = load_vocabulary(vocab_dir)
    items = [(info.key, info.graph) for info in select_policies(store, selectors)]
    options = {"profiles": profiles, "engine": engine, "shapes_dir": shapes_dir, "as_of": parse_as_of(as_of),
               "applicability": applicability}
    workers = workers if workers is not None else (os.cpu_count() or 1)
    run = ValidationRun()
    kept = None
    if cache and store_path is not None:
        from .cache import ReportCache, run_key
        kept = ReportCache(store_path, run_key(vocabulary=vocabulary, **options))
    cached = {graph: report for _, graph in items if kept is not None
              for report in [kept.get(graph)] if report is not None}
    todo = [item for item in items if item[1] not in cached]
    fresh = dict(zip((graph for _, graph in todo), _validate_items(store, store_path, todo, vocabulary, options, workers)))
    for _, graph in items:
        if graph in fresh and kept is not None:
            kept.put(graph, fresh[graph])
        run.reports.append(_card_paths_shown(cached.get(graph) or fresh[graph]))
    return run


def _card_paths_shown(report: Report) -> Report:
    """The card lines of a stored policy's findings are kept with the card's absolute path (a report may be
    kept and shown again from another folder): shown relative to the working folder when inside it."""
    from ..build_manifest import shown_path
    for f in report.findings:
        if f.where is not None and os.path.isabs(f.where.file):
            f.where = replace(f.where, file=shown_path(f.where.file))
    return report


def _card_lines(store_path: Path | None) -> Path | None:
    """The store generation whose build wrote where each card statement is (kg.build_manifest), if any."""
    if store_path is None:
        return None
    from ..stores.oxigraph import current_generation
    return current_generation(store_path)


def _validate_items(store, store_path, items, vocabulary, options, workers) -> Iterator[Report]:
    """The reports of the policies `items` (key, graph), in order: in forked workers when there are many."""
    generation = _card_lines(store_path)
    if store_path is not None and workers > 1 and len(items) >= _PARALLEL_MIN_POLICIES and can_fork():
        global _worker_job
        _worker_job = (store_path, vocabulary, options, generation)
        batches = [items[i:i + _POLICY_BATCH] for i in range(0, len(items), _POLICY_BATCH)]
        with closing_batches(_validate_batch, batches, workers, initializer=_WORKSPACES.clear) as validated:
            for batch, reports in zip(batches, validated):
                for item, report in zip(batch, reports):
                    # a policy that failed in a worker is validated here again, to raise its error as it is
                    yield report or _validate_stored(store, *item, vocabulary, card_lines=generation, **options)
        return
    for key, graph in items:
        yield _validate_stored(store, key, graph, vocabulary, card_lines=generation, **options)


# Whole-store validation in forked workers: each opens the store read-only itself and validates a batch of
# policies; reports (findings and the sh:ValidationReport graph) come back pickled, in order.
_PARALLEL_MIN_POLICIES = 32
_POLICY_BATCH = 8
_worker_job: tuple | None = None
_worker_store = None


def _validate_batch(items: list[tuple[str, str]]) -> list[Report | None]:
    global _worker_store
    store_path, vocabulary, options, generation = _worker_job
    out: list[Report | None] = []
    for key, graph in items:
        try:
            if _worker_store is None:
                from ..stores import EmbeddedStore
                _worker_store = EmbeddedStore(store_path)
            out.append(_validate_stored(_worker_store, key, graph, vocabulary, card_lines=generation, **options))
        except BaseException:  # noqa: BLE001 - the parent validates it again and raises the error itself
            out.append(None)
    return out


def _validate_stored(store, key: str, graph: str, vocabulary, *, profiles, engine, shapes_dir, as_of,
                     applicability, card_lines: Path | None = None) -> Report:
    """One policy graph of a PolicyStore, validated. Both engines read it through the store interface
    (`dump` and `quads_for_pattern` of the graph: pyoxigraph's own calls on the embedded store, SELECTs with
    the graph bound on an endpoint), in the store's order of the triples. `card_lines`: the store generation
    that says where the card of each policy writes each statement (findings then give file:line)."""
    from ..build_manifest import read_locations
    more = {"as_of": as_of, "applicability": applicability, "locations": read_locations(card_lines, graph)}
    if engine == "oxigraph":   # straight from store to store; the rdflib graph only if there are findings
        return validate_graph(None, key, vocabulary, profiles=profiles, engine=engine, shapes_dir=shapes_dir,
                              source=graph, from_store=(store, graph), **more)
    import pyoxigraph as ox

    from ..terms import rdflib_graph
    g = rdflib_graph(store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))
    return validate_graph(g, key, vocabulary, profiles=profiles, engine=engine, shapes_dir=shapes_dir, source=graph,
                          **more)
