"""`policykg match`: a preferences file against policies (met / not met / unknown, with the quotes)."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from ..errors import EXIT_FINDINGS, EXIT_OK
from .defaults import DEFAULT_STORE
from .main import app, apply_input_options, choice, max_input_size_option, report_errors, vocab_dir_option, write_output

EXIT_UNKNOWN = 4   # no preference is broken, but some are unknown (the policy is silent or leaves them open)


@app.command("match")
@report_errors
def match_command(
    preferences: Path = typer.Argument(..., help="A preferences file (.yaml, docs/preferences.md)."),
    targets: Optional[List[str]] = typer.Argument(None, help="Cards (.yaml), RDF files or folders; or policies in "
                                                   "the store: SLUG, SLUG@DATE, SLUG@* (default: the latest version "
                                                   "of every policy of the store)."),
    fmt: str = typer.Option("text", "--format", "-f", help="text or json (every statement behind every verdict)."),
    lang: str = typer.Option("en", "--lang", help="Language of the verdicts: en or fr."),
    engine: str = typer.Option("oxigraph", "--engine", help="SHACL engine: oxigraph or pyshacl (same verdicts)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write the verdicts to this file (atomically)."),
    store: Path = typer.Option(DEFAULT_STORE, "--store", "-s", help="The store, for SLUG targets."),
    vocab_dir: Optional[Path] = vocab_dir_option(),
    max_input_size: Optional[str] = max_input_size_option(),
) -> None:
    """Match privacy preferences against policies: for each policy and each preference, met, not met or
    unknown, with the quotes of the statements behind the verdict.

    A preference is not met when a statement of the policy breaks it, unknown when the policy is silent or
    leaves it undecided (unknown is never met), met when stated statements show it met; facts a card marks
    inferred never count. A bad preferences file is reported whole, each problem with its file:line
    (PKG-E120 bad-preferences).

    Exit codes: 0 every preference met by every policy; 1 some preference not met; 4 none broken but some
    unknown; 2 usage or input error (bad preferences file, unreadable card, unknown policy); 3 environment.

    Example: policykg match examples/preferences/cautious-person.yaml whiteprovider planethoster
    Example: policykg match examples/preferences/procurement-rules.yaml data/policies --format json --lang fr
    """
    from ..preferences import match_targets
    from ..preferences.output import FORMATS

    apply_input_options(max_input_size, False)
    choice(fmt, tuple(FORMATS), "--format")
    choice(lang, ("en", "fr"), "--lang")
    choice(engine, ("oxigraph", "pyshacl"), "--engine")
    chosen = list(targets or []) or ["*"]
    if chosen == ["*"]:
        chosen = _every_policy(store)
    run = match_targets(preferences, chosen, engine=engine, store_path=store, vocab_dir=vocab_dir)
    write_output(FORMATS[fmt](run, lang), out)
    raise typer.Exit({"met": EXIT_OK, "not-met": EXIT_FINDINGS, "unknown": EXIT_UNKNOWN}[run.outcome()])


def _every_policy(store: Path) -> list[str]:
    """The slug of every policy of the store (its latest version each)."""
    from ..inventory import list_policies
    from ..stores.oxigraph import open_store
    return sorted({info.slug for info in list_policies(open_store(store))})
