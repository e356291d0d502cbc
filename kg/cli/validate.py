"""`policykg validate` and `policykg profiles`."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.table import Table

from ..errors import EXIT_FINDINGS, EXIT_OK, UsageError
from ..report import FORMATS, render
from ..stores.oxigraph import DEFAULT_STORE
from ..validate import DEFAULT_ENGINE, ENGINES, load_profiles, validate_paths, validate_store
from .main import (allow_remote_context_option, app, apply_input_options, max_input_size_option,
                   profile_ids, report_errors, vocab_dir_option, write_output)


@app.command("validate")
@report_errors
def validate_command(
    targets: List[str] = typer.Argument(..., help="Cards (.yaml), RDF files (.ttl .trig .nq .jsonld) or folders; "
                                                  "or policies in the store: SLUG (its latest version), "
                                                  "SLUG@DATE (one version), SLUG@* (every version)."),
    profile: Optional[List[str]] = typer.Option(None, "--profile", "-p", help="core, gdpr, law25, pipeda, pci-dss, "
                                                "consistency (comma-separated or repeated), or auto (default: the "
                                                "profiles the graph calls for, with the reason)."),
    fmt: str = typer.Option("text", "--format", "-f", help="text, json (one object per finding), ttl "
                                                           "(sh:ValidationReport) or sarif (SARIF 2.1.0)."),
    lang: str = typer.Option("en", "--lang", help="Language of messages: en or fr."),
    strict: bool = typer.Option(False, "--strict", help="Warnings fail too (exit 1)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write the report to this file (atomically)."),
    engine: str = typer.Option(DEFAULT_ENGINE, "--engine", help="SHACL engine: " + " or ".join(ENGINES) + "."),
    store: Path = typer.Option(DEFAULT_STORE, "--store", "-s", help="The store, for SLUG targets."),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, help="Processes that validate store "
                                          "policies in parallel, when there are many (default: one per core)."),
    vocab_dir: Optional[Path] = vocab_dir_option(),
    max_input_size: Optional[str] = max_input_size_option(),
    allow_remote_context: bool = allow_remote_context_option(),
) -> None:
    """Check policies against the legal profiles before they are published.

    Exit codes: 0 conforms (warnings allowed), 1 violations (or warnings with --strict), 2 bad input or
    usage (unreadable file, YAML/Turtle syntax error, unknown DPV term, unknown profile), 3 environment.

    Example: policykg validate data/policies/whiteprovider/2024-05-19.yaml --profile gdpr --lang fr
    """
    apply_input_options(max_input_size, allow_remote_context)
    if fmt not in FORMATS:
        raise UsageError(f"unknown format '{fmt}'", None, "use one of " + ", ".join(FORMATS), error_id="unknown-format")
    if lang not in ("en", "fr"):
        raise UsageError(f"unknown language '{lang}'", None, "use --lang en or --lang fr", error_id="usage")
    profiles = profile_ids(profile)
    paths = [t for t in targets if Path(t).exists() or Path(t).suffix.lower() in (".yaml", ".yml", ".ttl", ".trig",
                                                                                 ".nq", ".nt", ".jsonld", ".json")]
    slugs = [t for t in targets if t not in paths]
    reports = []
    if paths:
        reports += validate_paths(paths, profiles=profiles, engine=engine, vocab_dir=vocab_dir).reports
    if slugs:
        reports += validate_store(store, slugs, profiles=profiles, engine=engine, vocab_dir=vocab_dir,
                                  workers=workers).reports
    fail_on = "warning" if strict else "violation"
    text = render(reports, fmt, lang, fail_on)
    write_output(text, out)
    conforms = all(r.conforms(fail_on) for r in reports)
    raise typer.Exit(EXIT_OK if conforms else EXIT_FINDINGS)


@app.command("profiles")
@report_errors
def profiles_command(lang: str = typer.Option("en", "--lang", help="en or fr.")) -> None:
    """List the SHACL profiles, their shapes and severities.

    Example: policykg profiles --lang fr
    """
    from rdflib.namespace import SH

    from .. import namespaces as ns
    table = Table("profile", "shape", "severity", "article", box=None)
    for pid, profile in load_profiles().items():
        for sid in profile.shape_ids():
            sev = profile.graph.value(ns.PKS[sid], SH.severity)
            table.add_row(pid, sid, str(sev).rsplit("#", 1)[-1] if sev else "",
                          str(profile.graph.value(ns.PKS[sid], ns.PKS.article) or ""))
    Console(highlight=False, soft_wrap=True).print(table)
