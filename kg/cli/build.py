"""`policykg build` and `policykg list`."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from ..errors import KgError
from ..terminal import printable
from .common import TABLE_FORMATS, print_json, print_rows, table_format_option
from .defaults import DEFAULT_DATA, DEFAULT_STORE
from .main import (LazyConsole, allow_remote_context_option, app, apply_input_options, choice, err, max_input_size_option,
                   report_errors, vocab_dir_option)

out = LazyConsole(highlight=False, soft_wrap=True)


@app.command("build")
@report_errors
def build_command(
    paths: Optional[List[Path]] = typer.Argument(None, help="Cards (.yaml) or RDF files, or folders of them. "
                                                           "Default: data/"),
    store: Path = typer.Option(DEFAULT_STORE, "--store", "-s", help="Where the embedded store is written."),
    vocab_dir: Optional[Path] = vocab_dir_option(),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors."),
    fmt: str = typer.Option("text", "--format", "-f", help="text (a line per policy and a summary, on stderr) or "
                            "json (one document on stdout: the store, each policy with its statements and "
                            "triples, the counts, the seconds of each step, how many inputs were loaded again; "
                            "with the errors, if any)."),
    full: bool = typer.Option(False, "--full", help="Load every input again, even those unchanged since the "
                              "store's last build (by default only changed inputs are)."),
    max_input_size: Optional[str] = max_input_size_option(),
    allow_remote_context: bool = allow_remote_context_option(),
) -> None:
    """Load every policy under PATHS (default data/) into the embedded store, replacing it atomically.

    The store then holds exactly the policies of PATHS. Inputs whose bytes (and snapshot) are unchanged
    since the store's last build keep their graphs; only the others are loaded again (--full: all).

    Every input is loaded even when one fails: the error of each bad input is printed (file:line and
    fix), then a summary, and the store is left as it was (exit 2).

    Example: policykg build data/policies --store .policykg/store
    Example: policykg build --format json | jq .counts
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from ..build import build
    from ..sources import input_files
    choice(fmt, ("text", "json"), "--format")
    apply_input_options(max_input_size, allow_remote_context)
    files = input_files(paths or [DEFAULT_DATA])   # listed once: the bar's total and what is built
    total = len(files)
    # the description holds a file name: plain text, not markup
    with Progress(TextColumn("{task.description}", markup=False), BarColumn(),
                  TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(), console=err.console, transient=True,
                  disable=quiet or total < 10 or not err.is_terminal) as progress:
        task = progress.add_task("loading policies", total=total)

        def step(label: str) -> None:
            if not label.startswith("store "):
                progress.update(task, advance=1, description=f"loading {printable(Path(label).name)}")

        try:
            result = build(files, store=store, vocab_dir=vocab_dir, progress=step, incremental=not full)
        except KgError as exc:
            if fmt == "json":   # the errors as data too (stderr has them as text), then the usual exit
                from ..report import error_dict
                print_json({"store": str(store), "built": False,
                            "errors": [error_dict(e) for e in getattr(exc, "errors", None) or [exc]]})
            raise
    if fmt == "json":
        print_json(build_dict(result))
        return
    if quiet:
        return
    if result.unchanged:
        err.print(f"{printable(result.store)} is up to date: {len(result.policies)} policy version(s), nothing "
                  f"changed since its last build ({result.seconds['total']:.2f} s; --full loads everything again)")
        return
    for pg in result.policies:
        err.print(f"  {printable(pg.key):<32} {pg.statements:>5} statements {pg.triple_count:>7} triples  "
                  f"({printable(pg.path)})")
    reloaded = "" if result.reloaded is None else f" ({result.reloaded} input(s) loaded again, the others unchanged)"
    err.print(f"built {printable(result.store)}: {len(result.policies)} policy version(s), "
              f"{sum(p.triple_count for p in result.policies)} policy triples + {result.vocabulary_triples} "
              f"vocabulary triples in {result.seconds['total']:.2f} s{reloaded}")


def build_dict(result) -> dict:
    """What a build did, as data: the store, each policy (key, graph, statements, triples, input), the counts,
    the seconds of each step, the inputs loaded again (None: a full build) and whether nothing had changed."""
    policies = [{"policy": pg.key, "graph": pg.graph_iri, "statements": pg.statements, "triples": pg.triple_count,
                 "path": pg.path} for pg in result.policies]
    return {"store": str(result.store), "built": True, "unchanged": result.unchanged, "reloaded": result.reloaded,
            "policies": policies,
            "counts": {"policies": len(policies), "statements": sum(p["statements"] for p in policies),
                       "policy_triples": sum(p["triples"] for p in policies),
                       "vocabulary_triples": result.vocabulary_triples},
            "seconds": {step: round(value, 4) for step, value in result.seconds.items()}}


@app.command("list")
@report_errors
def list_command(
    store: Path = typer.Option(DEFAULT_STORE, "--store", "-s", help="The embedded store to read."),
    fmt: str = table_format_option("json is a list of objects: policy, version, latest, statements, processes, "
                                   "triples, title, graph."),
) -> None:
    """List every policy version in the store (the latest marked), with statement, process and triple counts.

    A bare SLUG selects the latest version, SLUG@DATE one version, SLUG@* every version.

    Example: policykg list
    Example: policykg list --format json
    """
    from ..inventory import latest_versions, list_policies
    from ..stores.oxigraph import open_store
    choice(fmt, TABLE_FORMATS, "--format")
    policies = list_policies(open_store(store))
    latest = latest_versions(policies)
    if fmt == "json":
        print_json([{"policy": p.slug, "version": p.version, "latest": p.key in latest, "statements": p.statements,
                     "processes": p.processes, "triples": p.triples, "title": p.title, "graph": p.graph}
                    for p in policies])
        return
    print_rows(fmt, ["policy", "version", "latest", "statements", "processes", "triples", "title"],
               [[p.slug, p.version, "latest" if p.key in latest else "", str(p.statements), str(p.processes),
                 str(p.triples), p.title] for p in policies], out)
