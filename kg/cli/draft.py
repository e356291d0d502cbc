"""`policykg draft`: a policy's text -> its snapshot and a draft card to review."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..terminal import printable
from .main import app, apply_input_options, err, max_input_size_option, report_errors, write_output


@app.command("draft")
@report_errors
def draft_command(
    source: Path = typer.Argument(..., help="The policy's text: .txt, Markdown (.md) or .html."),
    slug: str = typer.Option(..., "--slug", help="The policy's slug: the company or site, e.g. planethoster."),
    version: str = typer.Option(..., "--version", help="The date the version took effect, YYYY-MM-DD."),
    lang: str = typer.Option("auto", "--lang", help="The text's language: fr, en, or auto (detected)."),
    data: Path = typer.Option(Path("data"), "--data", help="The data folder: the card goes to DATA/policies/SLUG/"
                                                           "VERSION.yaml, the snapshot to DATA/sources/SLUG/."),
    url: Optional[str] = typer.Option(None, "--url", help="Where the policy is published (written in the card)."),
    force: bool = typer.Option(False, "--force", help="Replace an existing card and snapshot."),
    explain: bool = typer.Option(False, "--explain", help="Print, for each statement, its quote in context and "
                                                          "why it was proposed (to stdout, or to --out)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write the --explain report to this file."),
    max_input_size: Optional[str] = max_input_size_option(),
) -> None:
    """Draft a card from a policy's text: every statement quotes the snapshot exactly and says how it was
    found (found_by), how sure it is (confidence) and whether a person should look (review). Facts the
    text negates ("nous ne vendons pas vos données") are drafted as prohibitions, never as the fact.
    Nothing is written when the input is refused; an existing card or snapshot is kept unless --force.

    Example: policykg draft privacy.md --slug example --version 2024-01-31 --explain
    """
    from ..draft import draft
    from ..draft.report import explain_report
    apply_input_options(max_input_size, False)
    result = draft(source, slug, version, lang=lang, data=data, url=url, force=force)
    err.print(f"drafted {result.statements} statements ({result.to_review} to review) from "
              f"{printable(source)} ({result.lang})")
    err.print(f"  card      {printable(result.card)}")
    err.print(f"  snapshot  {printable(result.snapshot)}  sha256 {result.sha256}")
    if explain:
        write_output(explain_report(result.draft), out)
