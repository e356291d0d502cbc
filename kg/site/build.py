"""Writing the report: every chosen policy version's four pages (in forked workers when there are many, each
reading the store and validating on its own), the diff pages of consecutive versions, the side-by-side page,
the index and the static files, into a new folder that replaces the output folder only once it is complete.
"""
from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ..errors import UsageError
from .html import safe_name

MARKER = ".policykg-report"       # a folder holding it is a report policykg may replace
COMPARE_MAX = 8                    # the side-by-side page of the chosen policies, when there are 2..8 of them
_PARALLEL_MIN = 8
_BATCH = 8


@dataclass
class PolicyPages:
    key: str
    slug: str
    version: str
    title: str
    statements: int
    processes: int
    counts: dict[str, int]
    snapshot_problem: str
    folder: str                    # relative to the site


@dataclass
class SiteResult:
    out: Path
    policies: list[PolicyPages] = field(default_factory=list)
    compare: str | None = None     # relative path of the side-by-side page
    diffs: list[str] = field(default_factory=list)
    pages: int = 0
    seconds: float = 0.0


def static_files() -> list[Path]:
    folder = Path(str(resources.files("kg.site") / "static"))
    return sorted(p for p in folder.iterdir() if p.is_file())


def write_report(out: str | Path, selectors: list[str] | None = None, *, store=None, lang: str = "en",
                 sources_dir: str | Path | None = "data/sources", compare: list[str] | None = None,
                 profiles: list[str] | str = "auto", engine: str | None = None, workers: int | None = None,
                 vocab_dir=None, preferences: str | Path | None = None) -> SiteResult:
    """The static site of the store's policies (the selectors' versions; every version when None) in
    `out`, in `lang` (en, fr). `store` is the embedded store's path (default .policykg/store). The old
    content of `out` is replaced only if it is a report written before (or an empty folder)."""
    from ..inventory import latest_versions, list_policies, select_policies
    from ..stores import EmbeddedStore
    from ..stores.oxigraph import DEFAULT_STORE
    from ..validate import DEFAULT_ENGINE, parse_as_of
    from ..validate.cache import ReportCache, run_key
    from ..vocab import load_vocabulary

    started = time.perf_counter()
    if lang not in ("en", "fr"):
        raise UsageError(f"--lang {lang} is not one of en, fr", None, "use --lang en or --lang fr", error_id="usage")
    out = Path(out)
    _check_out(out)
    store_path = Path(store if store is not None else DEFAULT_STORE)
    backend = EmbeddedStore(store_path)
    vocabulary = load_vocabulary(vocab_dir)
    infos = list_policies(backend)
    chosen = select_policies(backend, selectors or None)
    latest = latest_versions(infos)
    options = {"lang": lang, "sources_dir": Path(sources_dir) if sources_dir else None, "profiles": profiles,
               "engine": engine or DEFAULT_ENGINE}
    # the reports `policykg validate` keeps for these graphs, shapes and options today, and keeps new ones
    options["reports"] = ReportCache(store_path, run_key(vocabulary=vocabulary, shapes_dir=None,
                                                         engine=options["engine"], profiles=profiles,
                                                         as_of=parse_as_of(None), applicability=True))
    tmp = out.parent / f".{out.name}.part-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "static").mkdir(parents=True)
    result = SiteResult(out)
    try:
        for path in static_files():
            shutil.copyfile(path, tmp / "static" / path.name)
        items = [(info.key, info.graph) for info in chosen]
        result.policies = _render_policies(store_path, backend, items, vocabulary, options, tmp, workers)
        reported = {p.key: p for p in result.policies}
        hrefs = {p.key: p.folder + "index.html" for p in result.policies}
        diffs = _diff_pages(backend, chosen, vocabulary, options, tmp, hrefs)
        result.diffs = [rel for rel, _, _ in diffs]
        result.compare = _compare_page(store_path, backend, chosen, compare, vocabulary, options, tmp, reported, hrefs)
        from .extra import index_page
        (tmp / "index.html").write_text(index_page(infos, latest, reported, lang, result.compare, diffs, COMPARE_MAX),
                                        encoding="utf-8")
        if preferences is not None:   # policykg report --preferences: the verdicts' page (kg/site/match.py)
            from .match import add_match_page
            add_match_page(tmp, preferences, items, store_path, lang)
        (tmp / MARKER).write_text("policykg report\n", encoding="utf-8")
        result.pages = 4 * len(result.policies) + len(result.diffs) + (1 if result.compare else 0) + 1 + \
            (1 if preferences is not None else 0)
        _swap(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    result.seconds = time.perf_counter() - started
    return result


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} is a file, not a folder", str(out), "give -o a folder (new, or a report written "
                         "before)", error_id="usage")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise UsageError(f"{out} is a folder that does not hold a policykg report; it is left as it is", str(out),
                         "give -o a new or empty folder, or the folder of a report written before", error_id="usage")


def _swap(tmp: Path, out: Path) -> None:
    """The new site in place of the old one: the old one moved aside, the new one renamed, the old removed."""
    old = None
    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        out.rename(old)
    tmp.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# --- one policy's pages ---------------------------------------------------------------------------------

def render_policy(store, key: str, graph_iri: str, vocabulary, options: dict, site: Path) -> PolicyPages:
    """Read one policy version from the store, validate it as `policykg validate` does, and write its pages."""
    import pyoxigraph as ox

    from ..validate import validate_graph
    from .model import read_policy, read_snapshot
    from .triples import Triples
    from .pages import findings_page, graph_page, snapshot_note, summary_page, text_page

    lang = options["lang"]
    graph = Triples.from_quads(store.quads_for_pattern(None, None, None, ox.NamedNode(graph_iri)))
    view = read_policy(graph, graph_iri, key)
    read_snapshot(view, options["sources_dir"])
    kept = options.get("reports")
    report = kept.get(graph_iri) if kept is not None else None
    if report is None:
        report = validate_graph(None, key, vocabulary, profiles=options["profiles"], engine=options["engine"],
                                source=graph_iri, from_store=(store, graph_iri))
        if kept is not None:
            kept.put(graph_iri, report)
    counts = report.counts()
    note = snapshot_note(view, lang)
    rel = f"policies/{safe_name(view.slug)}/{safe_name(view.version)}/"
    folder = site / rel
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "index.html").write_text(summary_page(view, vocabulary, lang, counts, note), encoding="utf-8")
    (folder / "text.html").write_text(text_page(view, vocabulary, lang, counts, note), encoding="utf-8")
    (folder / "findings.html").write_text(findings_page(view, report, lang, counts), encoding="utf-8")
    (folder / "graph.html").write_text(graph_page(view, vocabulary, lang, counts), encoding="utf-8")
    return PolicyPages(key, view.slug, view.version, view.title, len(view.statements), len(view.processes), counts,
                       view.snapshot.problem, rel)


_job: tuple | None = None
_worker_store = None


def _render_batch(items: list[tuple[str, str]]) -> list:
    """In a forked worker: each policy's pages, or None for one that failed (the parent renders it again
    to raise its error)."""
    global _worker_store
    store_path, vocabulary, options, site = _job
    out = []
    for key, graph in items:
        try:
            if _worker_store is None:
                from ..stores import EmbeddedStore
                _worker_store = EmbeddedStore(store_path)
            out.append(render_policy(_worker_store, key, graph, vocabulary, options, site))
        except BaseException:  # noqa: BLE001 - the parent renders it again and raises the error itself
            out.append(None)
    return out


def _render_policies(store_path: Path, store, items, vocabulary, options, site: Path, workers: int | None) -> list:
    from ..parallel import can_fork, closing_batches
    from ..validate.engines import _WORKSPACES

    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers > 1 and len(items) >= _PARALLEL_MIN and can_fork():
        global _job
        _job = (store_path, vocabulary, options, site)
        batches = [items[i:i + _BATCH] for i in range(0, len(items), _BATCH)]
        done = []
        try:
            with closing_batches(_render_batch, batches, workers, initializer=_WORKSPACES.clear) as rendered:
                for batch, pages in zip(batches, rendered):
                    for item, result in zip(batch, pages):
                        done.append(result or render_policy(store, *item, vocabulary, options, site))
        finally:
            _job = None
        return done
    return [render_policy(store, key, graph, vocabulary, options, site) for key, graph in items]


# --- diff and compare pages -----------------------------------------------------------------------------

def _diff_pages(store, chosen, vocabulary, options, site: Path, hrefs: dict[str, str]) -> list[tuple[str, str, str]]:
    """A page for each pair of consecutive chosen versions of one policy (kg.diff, with the findings):
    (its path in the site, A's key, B's key)."""
    from ..diff import diff_sides, load_side
    from .extra import diff_page

    by_slug: dict[str, list] = {}
    for info in chosen:
        by_slug.setdefault(info.slug, []).append(info)
    out = []
    for slug, versions in sorted(by_slug.items()):
        versions.sort(key=lambda i: i.version)
        for a, b in zip(versions, versions[1:]):
            sides = [load_side(x.key, store=store, vocabulary=vocabulary) for x in (a, b)]
            d = diff_sides(*sides, vocabulary=vocabulary, profiles=options["profiles"], engine=options["engine"])
            rel = f"diff/{safe_name(slug)}/{safe_name(a.version)}--{safe_name(b.version)}.html"
            (site / rel).parent.mkdir(parents=True, exist_ok=True)
            (site / rel).write_text(diff_page(d, vocabulary, options["lang"], "../../", hrefs, True), encoding="utf-8")
            out.append((rel, a.key, b.key))
    return out


def _compare_page(store_path: Path, store, chosen, compare: list[str] | None, vocabulary, options, site: Path,
                  reported: dict, hrefs: dict[str, str]) -> str | None:
    """compare.html: the policies --compare names, or else the latest chosen version of each chosen policy
    when there are 2 to COMPARE_MAX of them."""
    from ..compare import compare_targets
    from ..inventory import latest_versions, select_policies
    from .extra import compare_page

    if compare:
        named = [k.strip() for c in compare for k in c.split(",") if k.strip()]
        keys = list(dict.fromkeys(i.key for i in select_policies(store, named))) if named else []
    else:
        latest = latest_versions(chosen)
        keys = sorted(latest)
        if not 2 <= len(keys) <= COMPARE_MAX:
            return None
    if len(keys) < 2:
        raise UsageError("--compare needs two policies or more", None, "give --compare SLUG,SLUG[,…]", error_id="usage")
    known = all(k in reported for k in keys)
    result = compare_targets(keys, store_path=store_path, vocabulary=vocabulary, profiles=options["profiles"],
                             engine=options["engine"], validate=not known)
    if known:
        result.findings = {k: dict(reported[k].counts) for k in result.policies}
    (site / "compare.html").write_text(compare_page(result, vocabulary, options["lang"], hrefs), encoding="utf-8")
    return "compare.html"
