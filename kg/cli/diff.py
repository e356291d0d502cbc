"""`policykg diff` and `policykg compare`."""
from __future__ import annotations

import io
from pathlib import Path
from typing import List, Optional

import typer

from ..errors import UsageError
from .common import endpoint_option, policy_store, timeout_option, user_option
from .defaults import DEFAULT_ENGINE, DEFAULT_STORE, ENGINES
from .main import LazyConsole, app, choice, err, profile_ids, report_errors, vocab_dir_option, write_output

out = LazyConsole(highlight=False, soft_wrap=False)


@app.command("diff")
@report_errors
def diff_command(
    old: str = typer.Argument(..., help="A: a card (.yaml), an RDF file, or SLUG / SLUG@DATE in the store. Alone, "
                                        "SLUG compares its previous version with its latest."),
    new: Optional[str] = typer.Argument(None, help="B: the same kinds (another version, or another policy)."),
    fmt: str = typer.Option("text", "--format", "-f", help="text, json, or trig (a patch: the removed and the "
                                                           "added triples as two named graphs)."),
    lang: str = typer.Option("en", "--lang", help="Labels and messages: en or fr."),
    out_path: Optional[Path] = typer.Option(None, "--out", "-o", help="Write to this file (atomically)."),
    profile: Optional[List[str]] = typer.Option(None, "--profile", "-p", help="Profiles for the findings that "
                                                "appeared or disappeared (default auto)."),
    no_findings: bool = typer.Option(False, "--no-findings", help="Do not validate: compare the statements only."),
    engine: str = typer.Option(DEFAULT_ENGINE, "--engine", help="SHACL engine: " + " or ".join(ENGINES) + "."),
    store: Path = typer.Option(DEFAULT_STORE, "--store", "-s", help="The store, for SLUG targets."),
    endpoint: Optional[str] = endpoint_option("Read SLUG targets from this SPARQL 1.1 query endpoint (see "
                                              "'policykg push') instead of the embedded store."),
    user: Optional[str] = user_option(),
    timeout: float = timeout_option(),
    vocab_dir: Optional[Path] = vocab_dir_option(),
) -> None:
    """Compare two policy versions (or two policies) by what they state, not by their text.

    Processes, personal data, purposes, legal bases, recipients, retention, locations, rights … added,
    removed or changed, each with its quotes on both sides, and the validation findings that appeared or
    disappeared. Nodes are compared relative to each policy graph; evidence, statement IRIs, ordering and
    blank-node labels are no change. SLUG is the latest version, SLUG@DATE one version.

    Example: policykg diff whiteprovider@2024-05-19 whiteprovider --format json
    Example: policykg diff whiteprovider --endpoint http://127.0.0.1:7878/query
    """
    from ..diff import FORMATS, diff_targets, previous_and_latest, render
    from ..sources import is_file_target
    from ..vocab import load_vocabulary
    choice(fmt, FORMATS, "--format")
    choice(lang, ("en", "fr"), "--lang")
    if new is None and (is_file_target(old) or "@" in old):
        raise UsageError("diff needs two targets, or one SLUG with two versions in the store", None,
                         "give A and B: cards, RDF files or SLUG@DATE selectors", error_id="diff-input")
    backend = None   # opened only when a target names a policy of the store
    if new is None or not (is_file_target(old) and is_file_target(new)):
        backend = policy_store(endpoint, user, timeout, store)
    if new is None:
        old, new = previous_and_latest(backend, old)
    result = diff_targets(old, new, store=backend, store_path=store, vocab_dir=vocab_dir,
                          profiles=profile_ids(profile), engine=engine, validate=not no_findings)
    write_output(render(result, fmt, lang, load_vocabulary(vocab_dir)), out_path)
    if fmt != "text" or out_path:
        err.print(f"{len(result.changes)} change(s)" + ("" if no_findings else
                  f"; findings: {len(result.appeared)} appeared, {len(result.disappeared)} disappeared"))


@app.command("compare")
@report_errors
def compare_command(
    policies: List[str] = typer.Argument(..., help="Two or more SLUG / SLUG@DATE in the store, or cards and RDF "
                                                   "files."),
    fmt: str = typer.Option("table", "--format", "-f", help="table, csv or json."),
    lang: str = typer.Option("en", "--lang", help="Labels: en or fr."),
    out_path: Optional[Path] = typer.Option(None, "--out", "-o", help="Write to this file (atomically)."),
    profile: Optional[List[str]] = typer.Option(None, "--profile", "-p", help="Profiles for the findings count "
                                                "(default auto)."),
    engine: str = typer.Option(DEFAULT_ENGINE, "--engine", help="SHACL engine: " + " or ".join(ENGINES) + "."),
    store: Path = typer.Option(DEFAULT_STORE, "--store", "-s", help="The store, for SLUG targets."),
    endpoint: Optional[str] = endpoint_option("Read SLUG targets from this SPARQL 1.1 query endpoint (see "
                                              "'policykg push') instead of the embedded store."),
    user: Optional[str] = user_option(),
    timeout: float = timeout_option(),
    vocab_dir: Optional[Path] = vocab_dir_option(),
    raw_csv: bool = typer.Option(False, "--raw-csv", help="csv: write items and labels as they are, without "
                                                          "the quote that keeps spreadsheets from running formulas."),
) -> None:
    """Compare policies side by side, marking what only one of them states.

    One row per aspect (data categories, purposes, recipients, retention, locations, rights), one column
    per policy, read with the library queries; `*` (table) or the `only` column (csv) marks an item that
    a single policy states; the last row counts each policy's validation findings.

    In csv, a value that starts with = + - @ tab, CR or NUL gets a leading ' so that spreadsheets
    read it as text (see 'policykg query --help'); --raw-csv writes the values as they are.

    Example: policykg compare planethoster whiteprovider --format csv
    Example: policykg compare planethoster whiteprovider --endpoint http://127.0.0.1:7878/query
    """
    from ..compare import FORMATS, compare_targets, render
    from ..sources import is_file_target
    from ..vocab import load_vocabulary
    choice(fmt, FORMATS, "--format")
    choice(lang, ("en", "fr"), "--lang")
    vocabulary = load_vocabulary(vocab_dir)
    backend = None   # opened only when a target names a policy of the store
    if not all(map(is_file_target, policies)):
        backend = policy_store(endpoint, user, timeout, store)
    result = compare_targets(policies, store_path=store, store=backend, vocabulary=vocabulary,
                             profiles=profile_ids(profile), engine=engine)
    shown = render(result, fmt, lang, vocabulary, raw_csv=raw_csv)
    if fmt == "table" and not out_path:
        out.print(shown)
    else:
        write_output(shown if isinstance(shown, str) else _plain(shown), out_path)


def _plain(table) -> str:
    """A rich table as plain text for --out (str() of a Table is its Python repr, not the table)."""
    from rich.console import Console
    buffer = io.StringIO()
    Console(file=buffer, width=160, color_system=None, highlight=False, soft_wrap=False).print(table)
    return buffer.getvalue()
