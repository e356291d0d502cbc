"""`policykg reason`: HermiT (or Pellet) on the OWL view of stored policies; inferred facts to `<graph>/inferred`."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer

from ..errors import EXIT_FINDINGS, EXIT_OK, UsageError
from ..messages import words
from ..terminal import printable
from .defaults import DEFAULT_REASONER, DEFAULT_STORE
from .main import app, err, report_errors, vocab_dir_option


def __getattr__(name: str):
    if name == "WORDS":   # kg/messages.yaml's section, read when a command needs it (not at registration)
        return words("reason")
    raise AttributeError(name)


def _text(s: dict, lang: str) -> str:
    """A policy's summary for people; each line made printable (facts quote literals from the policy)."""
    w = rs_words(lang)
    head = f"{s['policy']}  {w['consistent'] if s['consistent'] else w['inconsistent']}  " \
           f"({s['reasoner']}, {s['seconds'].get('total', 0):.2f} s)"
    lines = [head, "  " + w["view"].format(**s["view"])]
    for item in s["left_out"]:
        lines.append(f"  {w['left_out']} ({w[item['reason']]}): {item['fact']}")
    if not s["consistent"]:
        lines.append(f"  {w['why']}:" if s["explanation"] else f"  {w['no_why']}")
        lines += [f"    {line}" for line in (s["explanation"] or "").splitlines()]
        lines.append(f"  {w['not_written']}")
        return "\n".join(map(printable, lines))
    lines.append(f"  {w['unsat']}: " + (", ".join(s["unsatisfiable"]) or w["none"]))
    inf = s["inferred"]
    lines.append(f"  {w['inferred']}: {inf['triples']} {w['triples']} ({inf['types']} {w['types']}, "
                 f"{inf['edges']} {w['edges']}); {len(inf['beyond_walk'])} {w['beyond']}")
    lines += [f"    {fact}" for fact in inf["beyond_walk"]]
    if s["value_facts"]:
        lines.append(f"  {len(s['value_facts'])} {w['values']}")
        lines += [f"    {fact}" for fact in s["value_facts"]]
    if s["withheld"]:
        lines.append(f"  {w['withheld']}: " + "; ".join(s["withheld"]))
    if s["inferred_graph"]:
        lines.append(f"  {w['written']} <{s['inferred_graph']}> ({s['written_triples']} {w['triples']})")
    else:
        lines.append(f"  {w['dry']}")
    return "\n".join(map(printable, lines))


def rs_words(lang: str) -> dict:
    texts = words("reason")
    return texts.get(lang, texts["en"])


@app.command("reason")
@report_errors
def reason_command(
    policy: Optional[List[str]] = typer.Option(None, "--policy", "-p", help="SLUG or SLUG@DATE; repeatable. "
                                                                           "Default: every policy in the store."),
    reasoner: str = typer.Option(DEFAULT_REASONER, "--reasoner", "-r",
                                 help="hermit (default) or pellet (needs a newer Java than HermiT)."),
    drop: bool = typer.Option(False, "--drop", help="Remove the inferred graphs of the chosen policies; no reasoning."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Reason and report, but write nothing to the store."),
    fmt: str = typer.Option("text", "--format", "-f", help="text or json."),
    lang: str = typer.Option("en", "--lang", help="Language of messages: en or fr."),
    store: Path = typer.Option(DEFAULT_STORE, "--store", "-s", help="The embedded store."),
    vocab_dir: Optional[Path] = vocab_dir_option(),
) -> None:
    """Check that policies are consistent with an OWL reasoner and store what it infers.

    Builds the OWL view of each policy (DPV class hierarchy, property ranges, disjoint top concepts, the
    policy's nodes; see docs/reasoning.md), runs HermiT through owlready2 (needs Java), reports
    consistency, unsatisfiable classes and the inferred types and edges, and replaces the graph
    <policy graph>/inferred with them. Exit codes: 0 consistent; 1 a policy is inconsistent or has
    unsatisfiable classes; 2 usage (unknown policy, reasoner that cannot run); 3 environment (no Java,
    store locked).

    Example: policykg reason --policy whiteprovider --lang fr
    """
    if fmt not in ("text", "json"):
        raise UsageError(f"unknown format '{fmt}'", None, "use --format text or --format json", error_id="unknown-format")
    from .. import reason as rs
    if lang not in words("reason"):
        raise UsageError(f"unknown language '{lang}'", None, "use --lang en or --lang fr", error_id="usage")
    if reasoner not in rs.REASONERS:
        raise UsageError(f"unknown reasoner '{reasoner}'", None, "use --reasoner " + " or ".join(rs.REASONERS),
                         error_id="unknown-reasoner")
    if drop:
        w = rs_words(lang)
        for key, graph, n in rs.drop_store_inferences(store, policy or None):
            err.print(printable(f"{w['dropped']} <{graph}> ({n} {w['triples']})" if n else f"{key}: {w['no_graph']}"))
        raise typer.Exit(EXIT_OK)
    summaries = rs.reason_store(store, policy or None, reasoner=reasoner, dry_run=dry_run, vocab_dir=vocab_dir)
    if fmt == "json":
        sys.stdout.write(json.dumps(summaries, ensure_ascii=False, indent=1) + "\n")
    else:
        sys.stdout.write("\n\n".join(_text(s, lang) for s in summaries) + "\n")
    findings = any(not s["consistent"] or s["unsatisfiable"] for s in summaries)
    raise typer.Exit(EXIT_FINDINGS if findings else EXIT_OK)
