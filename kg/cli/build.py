"""`policykg build` and `policykg list`."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..build import DEFAULT_DATA, build
from ..sources import input_files
from ..inventory import latest_versions, list_policies
from ..stores.oxigraph import DEFAULT_STORE, open_store
from ..terminal import printable, rich_text
from .main import (allow_remote_context_option, app, apply_input_options, err, max_input_size_option,
                   report_errors, vocab_dir_option)

out = Console(highlight=False, soft_wrap=True)


@app.command("build")
@report_errors
def build_command(
    paths: Optional[List[Path]] = typer.Argument(None, help="Cards (.yaml) or RDF files, or folders of them. "
                                                           "Default: data/"),
    store: Path = typer.Option(DEFAULT_STORE, "--store", "-s", help="Where the embedded store is written."),
    vocab_dir: Optional[Path] = vocab_dir_option(),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors."),
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
    """
    apply_input_options(max_input_size, allow_remote_context)
    paths = paths or [DEFAULT_DATA]
    total = len(input_files(paths))
    # the description holds a file name: plain text, not markup
    with Progress(TextColumn("{task.description}", markup=False), BarColumn(),
                  TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(), console=err, transient=True,
                  disable=quiet or total < 10 or not err.is_terminal) as progress:
        task = progress.add_task("loading policies", total=total)

        def step(label: str) -> None:
            if not label.startswith("store "):
                progress.update(task, advance=1, description=f"loading {printable(Path(label).name)}")

        result = build(paths, store=store, vocab_dir=vocab_dir, progress=step, incremental=not full)
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


@app.command("list")
@report_errors
def list_command(
    store: Path = typer.Option(DEFAULT_STORE, "--store", "-s", help="The embedded store to read."),
) -> None:
    """List every policy version in the store (the latest marked), with statement, process and triple counts.

    A bare SLUG selects the latest version, SLUG@DATE one version, SLUG@* every version.

    Example: policykg list
    """
    policies = list_policies(open_store(store))
    latest = latest_versions(policies)
    table = Table(box=None)
    for name in ("policy", "version", "latest", "statements", "processes", "triples"):
        table.add_column(name, no_wrap=True)   # what users type and read never wraps; the title may
    table.add_column("title")
    for p in policies:
        # slug, version and title come from the store: text, never markup or control sequences
        table.add_row(rich_text(p.slug), rich_text(p.version), "latest" if p.key in latest else "",
                      str(p.statements), str(p.processes), str(p.triples), rich_text(p.title))
    out.print(table)
