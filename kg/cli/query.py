"""`policykg queries`, `policykg query`, `policykg push`."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn

from ..queries import find_queries, load_query, parse_param_args, run_query
from ..render import FORMATS, LANGS, queries_json, queries_table, render, to_csv
from ..stores import EmbeddedStore
from ..stores.oxigraph import DEFAULT_STORE
from ..stores.sparql import PASSWORD_ENV, TIMEOUT_S, push_graphs
from ..terminal import printable, rich_text
from .common import endpoint as _endpoint
from .main import app, choice, err, report_errors

out = Console(highlight=False, soft_wrap=False)


@app.command("queries")
@report_errors
def queries_command(
    fmt: str = typer.Option("table", "--format", "-f", help="table or json."),
    directory: Optional[Path] = typer.Option(None, "--dir", help="A folder of .rq files (default: queries/)."),
) -> None:
    """List the query library: name, title, parameters (TYPE? = optional).

    Example: policykg queries --format json
    """
    library = find_queries(directory)
    if choice(fmt, ("table", "json"), "--format") == "json":
        sys.stdout.write(queries_json(library))
    else:
        out.print(queries_table(library))


@app.command("query")
@report_errors
def query_command(
    name: str = typer.Argument(..., help="A query name (see 'policykg queries') or a .rq file."),
    param: Optional[List[str]] = typer.Option(None, "--param", "-P", help="NAME=VALUE; repeatable. IRIs may be "
                                                                          "CURIEs (dpv:Marketing)."),
    policy: Optional[str] = typer.Option(None, "--policy", "-p", help="SLUG[@DATE]: bind the query's 'policy' "
                                                                      "parameter to that version's graph "
                                                                      "(SLUG alone: its latest version)."),
    fmt: str = typer.Option("table", "--format", "-f", help="table, csv, tsv or json (SPARQL JSON results)."),
    lang: str = typer.Option("en", "--lang", help="Label language of table output: en or fr (falls back to en)."),
    endpoint: Optional[str] = typer.Option(None, "--endpoint", "-e", help="Run on this SPARQL 1.1 query endpoint "
                                                                          "instead of the embedded store."),
    user: Optional[str] = typer.Option(None, "--user", help=f"User for the endpoint; password from ${PASSWORD_ENV}."),
    store: Path = typer.Option(DEFAULT_STORE, "--store", "-s", help="The embedded store to query."),
    timeout: float = typer.Option(TIMEOUT_S, "--timeout", help="Seconds to wait for the endpoint's answer."),
    directory: Optional[Path] = typer.Option(None, "--dir", help="A folder of .rq files (default: queries/)."),
    raw_csv: bool = typer.Option(False, "--raw-csv", help="csv/tsv: write every value as it is, without the "
                                                          "quote that keeps spreadsheets from running formulas."),
) -> None:
    """Run a library query (parameters are bound as RDF terms, never pasted into the text).

    CSV and TSV are safe to open in a spreadsheet: a value that starts with = + - @ tab, CR or
    NUL is written with a leading ' so that it is read as text, never run as a formula (OWASP,
    CSV Injection: https://owasp.org/www-community/attacks/CSV_Injection). Numbers (xsd numeric
    literals written as plain numbers, e.g. -1 or 2.5) are left as they are, so that they sort
    and add up; text that looks like one (a phone number +33 1 …, a "-1" stored as a string)
    gets the quote. --raw-csv writes every value as stored (for programs, not spreadsheets).

    Example: policykg query processes-for-purpose --param purpose=dpv:Marketing --policy whiteprovider
    """
    choice(fmt, FORMATS, "--format")
    choice(lang, LANGS, "--lang")
    query = load_query(name, directory)
    values = parse_param_args(param)
    backend = _endpoint(endpoint, None, user, timeout) if endpoint else EmbeddedStore(store)
    result = run_query(backend, query, values, policy)
    if fmt == "table":
        from ..vocab import load_vocabulary
        out.print(render(result, fmt, lang, load_vocabulary()))
        err.print(rich_text(f"{len(result.rows)} row{'' if len(result.rows) == 1 else 's'} from {result.store} "
                            f"in {result.seconds * 1000:.1f} ms"))
    elif fmt in ("csv", "tsv"):   # row by row: a large answer is not held a second time as one string
        to_csv(result, "," if fmt == "csv" else "\t", raw=raw_csv, stream=sys.stdout)
        sys.stdout.flush()
    else:
        sys.stdout.write(render(result, fmt, raw_csv=raw_csv))
        sys.stdout.flush()


@app.command("push")
@report_errors
def push_command(
    endpoint: str = typer.Option(..., "--endpoint", "-e", help="The server's SPARQL query endpoint URL."),
    graph_store: Optional[str] = typer.Option(None, "--graph-store", help="Its Graph Store Protocol URL (derived "
                                                                          "from --endpoint for Oxigraph, Fuseki, "
                                                                          "GraphDB, Virtuoso)."),
    policy: Optional[List[str]] = typer.Option(None, "--policy", "-p", help="SLUG (latest version), SLUG@DATE or "
                                                                           "SLUG@* (every version); repeatable. "
                                                                           "Default: every version of every policy."),
    user: Optional[str] = typer.Option(None, "--user", help=f"User for the server; password from ${PASSWORD_ENV}."),
    store: Path = typer.Option(DEFAULT_STORE, "--store", "-s", help="The embedded store to upload from."),
    timeout: float = typer.Option(TIMEOUT_S, "--timeout", help="Seconds to wait for each answer of the server."),
) -> None:
    """Upload the vocabulary graph and the policy graphs to a SPARQL server, replacing each named graph (PUT).

    Example: policykg push --endpoint http://127.0.0.1:7878/query --policy whiteprovider
    """
    source = EmbeddedStore(store)
    remote = _endpoint(endpoint, graph_store, user, timeout)
    graphs = source.push_selection(policy or None)
    remote.require_graph_store()
    # a progress bar on a terminal; plain lines otherwise (logs, pipes, tests)
    progress = Progress(TextColumn("{task.description}"), BarColumn(),
                        TextColumn("{task.completed}/{task.total} graphs"), console=err, transient=True,
                        disable=not err.is_terminal)
    with progress:
        task = progress.add_task(escape(printable(f"push to {remote.graph_store}")), total=len(graphs))
        pushed = push_graphs(remote, ((g, source.graph_triples(g)) for g in graphs),
                             lambda g, n: progress.advance(task), names=graphs)
    total = sum(p.triples for p in pushed)
    for p in pushed:
        err.print(rich_text(f"  {p.graph}  {p.triples} triples  {p.seconds:.2f} s"))
    err.print(rich_text(f"pushed {len(pushed)} graph(s), {total} triples to {remote.graph_store} "
                        "(each graph replaced)"))
