"""`policykg validate` and `policykg profiles`."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from ..errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError
from ..terminal import error_text
from .common import (TABLE_FORMATS, endpoint_option, policy_store, print_json, print_rows, table_format_option,
                     timeout_option, user_option)
from .defaults import DEFAULT_ENGINE, DEFAULT_STORE, ENGINES
from .main import (allow_remote_context_option, app, apply_input_options, choice, err, max_input_size_option,
                   profile_ids, report_errors, vocab_dir_option, write_output)

@app.command("validate")
@report_errors
def validate_command(
    targets: Optional[List[str]] = typer.Argument(None, help="Cards (.yaml), RDF files (.ttl .trig .nq .jsonld) or "
                                                  "folders; or policies in the store: SLUG (its latest version), "
                                                  "SLUG@DATE (one version), SLUG@* (every version)."),
    profile: Optional[List[str]] = typer.Option(None, "--profile", "-p", help="core, gdpr, law25, pipeda, pci-dss, "
                                                "consistency, the id of a profile of your user profiles folder, or "
                                                "PATH: a folder of your own profile (a value with a / or naming a "
                                                "folder); comma-separated or repeated; or auto (default: the "
                                                "profiles the graph calls for, with the reason, yours included)."),
    fmt: str = typer.Option("text", "--format", "-f", help="text, json (one document: a report per policy), "
                                                           "jsonl (one line per finding), ttl "
                                                           "(sh:ValidationReport) or sarif (SARIF 2.1.0)."),
    lang: str = typer.Option("en", "--lang", help="Language of messages: en or fr."),
    strict: bool = typer.Option(False, "--strict", help="Warnings fail too (exit 1)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write the report to this file (atomically)."),
    engine: str = typer.Option(DEFAULT_ENGINE, "--engine", help="SHACL engine: " + " or ".join(ENGINES) + "."),
    store: Path = typer.Option(DEFAULT_STORE, "--store", "-s", help="The store, for SLUG targets."),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, help="Processes that validate policies "
                                          "of the embedded store in parallel, when there are many (default: one "
                                          "per core)."),
    endpoint: Optional[str] = endpoint_option("Read SLUG targets from this SPARQL 1.1 query endpoint (see "
                                              "'policykg push') instead of the embedded store."),
    user: Optional[str] = user_option(),
    timeout: float = timeout_option(),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Judge by the law in force on this date (YYYY-MM-DD; "
                                        "default today): laws and rules not yet in force are not applied, and "
                                        "the report says so once."),
    even_if_not_applicable: bool = typer.Option(False, "--even-if-not-applicable", help="Run the --profile "
                                                "profiles even on a policy they do not apply to (by default that "
                                                "is reported once, as info, instead)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Validate the store's policies again even if their "
                                  "reports are kept from an earlier run with the same graphs, shapes, options "
                                  "and date (kept beside the store, in STORE.reports/)."),
    vocab_dir: Optional[Path] = vocab_dir_option(),
    max_input_size: Optional[str] = max_input_size_option(),
    allow_remote_context: bool = allow_remote_context_option(),
    from_report: Optional[Path] = typer.Option(None, "--from-report", help="Validate nothing: render again the "
                                               "report a run wrote with --format ttl, in --format and --lang "
                                               "(the same output that run gave; no profile folder needed)."),
) -> None:
    """Check policies against the legal profiles before they are published.

    Files and folders are validated file by file: a card or RDF file that cannot be loaded
    (YAML or Turtle syntax error, unknown DPV term, unreadable file) is reported as an error on
    stderr, in the last line of the text report, in --format json (under "errors") and jsonl (a record with an "error"
    key: id, code, what, where, fix) and in sarif (a tool execution notification of level
    error); every other file is still validated and reported.

    Exit codes: 0 conforms (warnings allowed), 1 violations (or warnings with --strict), 2 an
    input that could not be loaded or a usage error (unknown profile), 3 environment. 2 wins
    over 1: when a file could not be loaded the exit code is 2 even if other files have
    findings, once every report is printed (a file that was not checked is not a pass).

    Where and when a profile applies is data in its profile.ttl (docs/applicability.md): with
    --profile auto the reason is shown; a requested profile that does not apply is reported once.

    Your own profiles (docs/profiles.md, "Your own profile"): --profile PATH, or the folders of
    $POLICYKG_PROFILES (else $XDG_CONFIG_HOME/policykg/profiles, ~/.config/policykg/profiles).
    Every problem of such a folder is reported at once, with its file:line, before any policy
    is validated (exit 2).

    Example: policykg validate data/policies/whiteprovider/2024-05-19.yaml --profile gdpr --lang fr
    Example: policykg validate data/policies/planethoster/2015-09-01.yaml --as-of 2015-09-01
    Example: policykg validate whiteprovider@* --endpoint http://127.0.0.1:7878/query
    Example: policykg validate tests/fixtures/profiles/house-rules-violates.ttl --profile examples/profiles/house-rules
    Example: policykg validate --from-report report.ttl --format sarif --lang fr

    The Turtle report (--format ttl) holds everything the other formats show (docs/validation-report.md):
    --from-report renders it again, exit codes as for the run.
    """
    from ..report import FORMATS, render
    from ..validate import parse_as_of, validate_targets
    apply_input_options(max_input_size, allow_remote_context)
    if fmt not in FORMATS:
        raise UsageError(f"unknown format '{fmt}'", None, "use one of " + ", ".join(FORMATS), error_id="unknown-format")
    if lang not in ("en", "fr"):
        raise UsageError(f"unknown language '{lang}'", None, "use --lang en or --lang fr", error_id="usage")
    fail_on = "warning" if strict else "violation"
    if from_report is not None:
        if targets:
            raise UsageError("--from-report renders a report again: it takes no policy to validate", None,
                             "give either the report (--from-report FILE) or the policies, not both", error_id="usage")
        from ..report_graph import read_report
        reports, errors = read_report(from_report)
    elif not targets:
        raise UsageError("no policy to validate", None, "give cards, RDF files, folders or SLUG[@DATE|@*] "
                         "(policykg validate --help), or --from-report FILE", error_id="usage")
    else:
        source = policy_store(endpoint, user, timeout, store) if endpoint else store   # a path: workers
        run = validate_targets(targets, store=source, profiles=profile_ids(profile), engine=engine,
                               vocab_dir=vocab_dir, as_of=parse_as_of(as_of), applicability=not even_if_not_applicable,
                               workers=workers, cache=not no_cache, on_error=lambda exc: err.print(error_text(exc)))
        reports, errors = run.reports, run.errors
    write_output(render(reports, fmt, lang, fail_on, errors), out)
    if errors:
        raise typer.Exit(EXIT_USAGE)
    conforms = all(r.conforms(fail_on) for r in reports)
    raise typer.Exit(EXIT_OK if conforms else EXIT_FINDINGS)


@app.command("profiles")
@report_errors
def profiles_command(lang: str = typer.Option("en", "--lang", help="en or fr."),
                     where: bool = typer.Option(False, "--where", help="Show where and when each profile "
                                                "applies (its triggers, in force dates) instead of its shapes."),
                     profile: Optional[List[str]] = typer.Option(None, "--profile", "-p", help="PATH: list this "
                                                                 "folder of your own profile too (repeatable), "
                                                                 "after checking it as validate does."),
                     fmt: str = table_format_option("json is one document: each profile with its title, origin, "
                                                    "where and when it applies and its shapes (severity, "
                                                    "article, name), whatever --where."),
                     ) -> None:
    """List the SHACL profiles, their shapes and severities (or, with --where, where each applies).

    The built-in profiles, those of your user profiles folder ($POLICYKG_PROFILES, else
    $XDG_CONFIG_HOME/policykg/profiles or ~/.config/policykg/profiles) and those given with
    --profile PATH; the last column says where each comes from: built-in, or its folder.

    Example: policykg profiles --lang fr
    Example: policykg profiles --where
    Example: policykg profiles --format json
    Example: policykg profiles --profile examples/profiles/house-rules
    """
    from ..validate import load_profiles
    from ..validate.user_profiles import split_profiles
    choice(fmt, TABLE_FORMATS, "--format")
    choice(lang, ("en", "fr"), "--lang")
    folders = [p.strip() for v in (profile or []) for p in v.split(",") if p.strip()]
    profiles = load_profiles(None, split_profiles(folders)[1] if folders else (), user_folder=True)
    from rich.console import Console
    console = Console(highlight=False, soft_wrap=True)
    if fmt == "json":
        print_json({"profiles": [_profile_dict(pid, profile, lang) for pid, profile in profiles.items()]})
        return
    if where:
        rows = []
        for pid, profile in sorted(profiles.items(), key=lambda kv: kv[1].rules.order):
            since = profile.rules.in_force_from.isoformat() if profile.rules.in_force_from else ""
            for i, reason in enumerate(_applies_when(profile.rules, lang)):   # one row per trigger
                rows.append([pid if i == 0 else "", since if i == 0 else "", reason, _origin(profile) if i == 0 else ""])
        print_rows(fmt, ["profile", "in force from", "applies when", "origin"], rows, console)
        return
    rows = [[pid, sid, shape["severity"].capitalize(), shape["article"], _origin(profile)]
            for pid, profile in profiles.items() for sid, shape in _shapes(profile, lang).items()]
    print_rows(fmt, ["profile", "shape", "severity", "article", "origin"], rows, console)


def _origin(profile) -> str:
    """built-in, or the folder of a user's profile (shown from the working folder when inside it)."""
    if profile.origin == "built-in":
        return "built-in"
    from ..build_manifest import shown_path
    return shown_path(profile.origin)


def _applies_when(rules, lang: str) -> list[str]:
    if rules.always:
        return [rules.always.get(lang) or rules.always.get("en", "")]
    return [(f"{t.rank}. " + (t.reason.get(lang) or t.reason.get("en", ""))
             + (f" [{t.in_force_from.isoformat()}]" if t.in_force_from else "")) for t in rules.triggers]


def _shapes(profile, lang: str) -> dict[str, dict]:
    """shape id -> its severity (violation, warning, info), article (the shape's pks:article, in `lang` when
    it has one) and name."""
    from rdflib.namespace import SH

    from .. import namespaces as ns
    from ..validate.profiles import lang_texts
    out = {}
    for sid in profile.shape_ids():
        sev = profile.graph.value(ns.PKS[sid], SH.severity)
        article = lang_texts(profile.graph, ns.PKS[sid], ns.PKS.article)
        name = lang_texts(profile.graph, ns.PKS[sid], SH.name)
        out[sid] = {"severity": str(sev).rsplit("#", 1)[-1].lower() if sev else "",
                    "article": article.get(lang) or article.get("en") or next(iter(article.values()), ""),
                    "name": name.get(lang) or name.get("en") or next(iter(name.values()), "")}
    return out


def _profile_dict(pid: str, profile, lang: str) -> dict:
    rules = profile.rules
    return {"id": pid, "title": profile.title.get(lang) or profile.title.get("en") or pid, "origin": profile.origin,
            "imports": list(profile.imports),
            "in_force_from": rules.in_force_from.isoformat() if rules.in_force_from else None,
            "applies_always": (rules.always.get(lang) or rules.always.get("en")) if rules.always else None,
            "applies_when": [{"rank": t.rank, "reason": t.reason.get(lang) or t.reason.get("en", ""),
                              "in_force_from": t.in_force_from.isoformat() if t.in_force_from else None}
                             for t in rules.triggers],
            "shapes": [{"id": sid, **shape} for sid, shape in _shapes(profile, lang).items()]}
