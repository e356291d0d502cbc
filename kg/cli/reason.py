"""`policykg reason`: HermiT (or Pellet) on the OWL view of stored policies; inferred facts to `<graph>/inferred`."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rdflib import BNode, Literal
from rdflib.namespace import RDF

from .. import namespaces as ns
from .. import reason as rs
from ..errors import EXIT_FINDINGS, EXIT_OK, UsageError
from ..inventory import select_policies
from ..stores.oxigraph import DEFAULT_STORE, open_store
from ..terminal import printable
from .main import app, err, report_errors, vocab_dir_option

WORDS = {
    "en": {"consistent": "consistent", "inconsistent": "INCONSISTENT",
           "view": "OWL view: {triples} triples for the policy's {policy_triples} ({skipped} of evidence, labels "
                   "and metadata left out)",
           "left_out": "left out of the OWL view", "datatype": "literal outside the OWL 2 datatype map",
           "ill-typed": "literal whose text does not fit its datatype",
           "mixed": "literal of a property that also links nodes", "not-a-class": "type that is not a class",
           "why": "why (Pellet's explanation)", "no_why": "no explanation (Pellet could not give one)",
           "unsat": "unsatisfiable classes", "none": "none", "inferred": "inferred",
           "types": "types", "edges": "edges",
           "beyond": "not given by a SPARQL subClassOf*/broader*/subPropertyOf* walk",
           "values": "about concepts used as values (not written)", "withheld": "withheld (never written)",
           "written": "written to", "not_written": "nothing written; previous inferred facts dropped",
           "dropped": "dropped", "triples": "triples", "no_graph": "no inferred graph",
           "dry": "not written (--dry-run)"},
    "fr": {"consistent": "cohérente", "inconsistent": "INCOHÉRENTE",
           "view": "vue OWL : {triples} triplets pour les {policy_triples} de la politique ({skipped} de preuves, "
                   "libellés et métadonnées écartés)",
           "left_out": "écarté de la vue OWL", "datatype": "littéral hors de la table des types de données OWL 2",
           "ill-typed": "littéral dont le texte ne convient pas à son type",
           "mixed": "littéral d'une propriété qui relie aussi des nœuds", "not-a-class": "type qui n'est pas une classe",
           "why": "pourquoi (explication de Pellet)", "no_why": "pas d'explication (Pellet n'a pas pu en donner)",
           "unsat": "classes insatisfiables", "none": "aucune", "inferred": "inféré",
           "types": "types", "edges": "arêtes",
           "beyond": "absents d'un parcours SPARQL subClassOf*/broader*/subPropertyOf*",
           "values": "sur des concepts employés comme valeurs (non écrits)", "withheld": "retenus (jamais écrits)",
           "written": "écrit dans", "not_written": "rien d'écrit ; les faits inférés précédents sont supprimés",
           "dropped": "supprimé", "triples": "triplets", "no_graph": "pas de graphe inféré",
           "dry": "non écrit (--dry-run)"},
}


def _short(term, graph: str) -> str:
    text = str(term)
    if text.startswith(graph + "#"):
        return "#" + text[len(graph) + 1:]
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, Literal):
        if term.language:
            return f'"{term}"@{term.language}'
        return f'"{term}"' + (f"^^{ns.shorten(str(term.datatype))}" if term.datatype else "")
    return ns.shorten(text)


def _fact(t: tuple, graph: str) -> str:
    s, p, o = t
    return f"{_short(s, graph)} {'a' if p == RDF.type else _short(p, graph)} {_short(o, graph)}"


def _summary(result: rs.ReasonResult, beyond: list[tuple], written: int | None, key: str) -> dict:
    g = result.graph
    return {
        "policy": key, "graph": g, "reasoner": result.reasoner, "consistent": result.consistent,
        "explanation": result.explanation,
        "unsatisfiable": [_short(c, g) for c in result.unsatisfiable],
        "view": {"triples": result.view.triples, "policy_triples": result.view.policy_triples,
                 "skipped": result.view.skipped},
        "left_out": [{"fact": _fact((x.subject, x.predicate, x.object), g), "reason": x.reason}
                     for x in result.view.left_out],
        "inferred": {"triples": len(result.inferred),
                     "types": sum(1 for t in result.inferred if t[1] == RDF.type),
                     "edges": sum(1 for t in result.inferred if t[1] != RDF.type),
                     "beyond_walk": [_fact(t, g) for t in beyond]},
        "value_facts": [_fact(t, g) for t in result.value_facts],
        "withheld": [_fact(t, g) for t in result.withheld],
        "inferred_graph": result.inferred_graph if written is not None else None,
        "written_triples": written,
        "seconds": {k: round(v, 3) for k, v in result.seconds.items()},
    }


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
    return WORDS.get(lang, WORDS["en"])


@app.command("reason")
@report_errors
def reason_command(
    policy: Optional[List[str]] = typer.Option(None, "--policy", "-p", help="SLUG or SLUG@DATE; repeatable. "
                                                                           "Default: every policy in the store."),
    reasoner: str = typer.Option(rs.DEFAULT_REASONER, "--reasoner", "-r",
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
    if lang not in WORDS:
        raise UsageError(f"unknown language '{lang}'", None, "use --lang en or --lang fr", error_id="usage")
    if reasoner not in rs.REASONERS:
        raise UsageError(f"unknown reasoner '{reasoner}'", None, "use --reasoner " + " or ".join(rs.REASONERS),
                         error_id="unknown-reasoner")
    if drop:
        for line in _drop(store, policy, rs_words(lang)):
            err.print(printable(line))
        raise typer.Exit(EXIT_OK)
    summaries = _reason(store, policy, reasoner, dry_run, vocab_dir)
    if fmt == "json":
        sys.stdout.write(json.dumps(summaries, ensure_ascii=False, indent=1) + "\n")
    else:
        sys.stdout.write("\n\n".join(_text(s, lang) for s in summaries) + "\n")
    findings = any(not s["consistent"] or s["unsatisfiable"] for s in summaries)
    raise typer.Exit(EXIT_FINDINGS if findings else EXIT_OK)


# The store is opened and released inside these functions, so that it is closed (its files flushed) before
# the command exits, even when something keeps the exit's traceback.

def _drop(store: Path, policy: list[str] | None, w: dict) -> list[str]:
    db = open_store(store, read_only=False)
    lines = []
    for p in select_policies(db, policy or None):
        n = rs.drop_inferred(db, p.graph)
        lines.append(f"{w['dropped']} <{rs.inferred_graph_iri(p.graph)}> ({n} {w['triples']})" if n
                     else f"{p.key}: {w['no_graph']}")
    return lines


def _reason(store: Path, policy: list[str] | None, reasoner: str, dry_run: bool, vocab_dir: Path | None) -> list[dict]:
    from ..vocab import load_vocabulary
    rs.java_executable()   # no Java: say so before opening the store for writing
    db = open_store(store, read_only=dry_run)
    chosen = select_policies(db, policy or None)
    vocabulary = load_vocabulary(vocab_dir)
    summaries = []
    for p in chosen:
        result = rs.reason(rs.policy_graph(db, p.graph), vocabulary, p.graph, reasoner)
        written = None
        if not dry_run:
            if result.consistent:
                written = rs.write_inferred(db, result)
            else:
                rs.drop_inferred(db, p.graph)   # the old inferences no longer hold
        beyond = rs.beyond_walk(result, rs.walk_baseline(db, p.graph)) if result.consistent else []
        summaries.append(_summary(result, beyond, written, p.key))
    return summaries
