"""`policykg report`: the HTML report (kg.site)."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from ..terminal import printable
from .defaults import DEFAULT_ENGINE, DEFAULT_STORE, ENGINES
from .main import app, choice, err, profile_ids, report_errors, vocab_dir_option


@app.command("report")
@report_errors
def report_command(
    policies: Optional[List[str]] = typer.Argument(None, help="SLUG (latest version), SLUG@DATE or SLUG@* of the "
                                                   "store. Default: every version of every policy."),
    out: Path = typer.Option(..., "--out", "-o", help="The folder of the site: new, empty, or a report written "
                                                      "before (replaced once the new one is complete)."),
    lang: str = typer.Option("en", "--lang", help="Language of the pages and of the vocabulary's labels: en or fr."),
    store: Path = typer.Option(DEFAULT_STORE, "--store", "-s", help="The embedded store to read."),
    sources: Path = typer.Option(Path("data/sources"), "--sources", help="The folder of the policy snapshots the "
                                 "graphs name (their text, with the quoted passages highlighted)."),
    compare: Optional[List[str]] = typer.Option(None, "--compare", help="Policies for the side-by-side page "
                                                "(SLUG[@DATE],…; default: the chosen policies' latest versions "
                                                "when there are 2 to 8)."),
    profile: Optional[List[str]] = typer.Option(None, "--profile", "-p", help="Profiles for the findings "
                                                "(default auto, as validate picks them): ids, or PATH, a folder of "
                                                "your own profile, as for validate."),
    engine: str = typer.Option(DEFAULT_ENGINE, "--engine", help="SHACL engine: " + " or ".join(ENGINES) + "."),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, help="Processes that write the pages of many "
                                          "policies in parallel (default: one per core)."),
    preferences: Optional[Path] = typer.Option(None, "--preferences", help="A preferences file (docs/preferences.md): "
                                               "a page of its verdicts on the report's policies, as 'policykg match'."),
    vocab_dir: Optional[Path] = vocab_dir_option(),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors."),
) -> None:
    """Write a static HTML report of the policies: open OUT/index.html in a browser (no server, no network).

    Per policy version: a one-screen summary (what data, purposes, legal bases, recipients, retention,
    storage locations, rights, contact), each item linked to the passage that states it; the policy's text
    with every quoted passage highlighted beside its statements; the validation findings by severity (as
    'policykg validate'); a picture of the graph. Then the changes between consecutive versions ('policykg
    diff'), the policies side by side ('policykg compare') and an index of every policy in the store.

    Example: policykg report -o build/report --lang fr
    Example: policykg report whiteprovider planethoster -o build/report
    """
    from ..site import write_report
    choice(lang, ("en", "fr"), "--lang")
    if engine in ENGINES:   # the problems of the users' profile folders first, all at once (exit 2)
        from ..validate import load_profiles
        from ..validate.user_profiles import split_profiles
        load_profiles(None, split_profiles(profile_ids(profile))[1], user_folder=True, engine=engine)
    if preferences is not None:   # a bad preferences file is reported before any page is written (exit 2)
        from ..preferences import load_preferences
        from ..vocab import load_vocabulary
        load_preferences(preferences, load_vocabulary(vocab_dir))
    result = write_report(out, list(policies or []), store=store, lang=lang, sources_dir=sources, compare=compare,
                          profiles=profile_ids(profile), engine=engine, workers=workers, vocab_dir=vocab_dir,
                          preferences=preferences)
    if not quiet:
        missing = sum(1 for p in result.policies if p.snapshot_problem)
        err.print(f"wrote {result.pages} page(s) for {len(result.policies)} policy version(s) to {printable(out)} "
                  f"in {result.seconds:.2f} s" + (f"; {missing} without their snapshot" if missing else "")
                  + f"\nopen {printable(out / 'index.html')}")
