"""`policykg queries`, `policykg query`, `policykg push`."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from ..errors import UsageError
from ..terminal import printable, rich_text
from .common import endpoint as _endpoint
from .defaults import DEFAULT_STORE, PASSWORD_ENV, TIMEOUT_S
from .main import LazyConsole, app, choice, err, report_errors

out = LazyConsole(highlight=False, soft_wrap=False)


@app.command("queries")
@report_errors
def queries_command(
    fmt: str = typer.Option("table", "--format", "-f", help="table or json."),
    directory: Optional[Path] = typer.Option(None, "--dir", help="A folder of .rq files (default: queries/)."),
) -> None:
    """List the query library: name, title, parameters (TYPE? = optional).

    Example: policykg queries --format json
    """
    from ..queries import find_queries
    from ..render import queries_json, queries_plain, queries_table
    library = find_queries(directory)
    if choice(fmt, ("table", "json"), "--format") == "json":
        sys.stdout.write(queries_json(library))
    elif out.is_terminal:
        out.print(queries_table(library))
    else:   # a file or a pipe: every cell whole, one line a query
        sys.stdout.writelines(queries_plain(library))
    sys.stdout.flush()


@app.command("query")
@report_errors
def query_command(
    name: Optional[str] = typer.Argument(None, help="A query name (see 'policykg queries') or a .rq file of your "
                                                    "own (run as it is; no header needed)."),
    sparql: Optional[str] = typer.Option(None, "--sparql", help="The SELECT query itself, instead of NAME "
                                                                "('-': read it from standard input)."),
    param: Optional[List[str]] = typer.Option(None, "--param", "-P", help="NAME=VALUE; repeatable. IRIs may be "
                                                                          "CURIEs (dpv:Marketing)."),
    policy: Optional[str] = typer.Option(None, "--policy", "-p", help="SLUG[@DATE]: bind the query's 'policy' "
                                                                      "parameter to that version's graph "
                                                                      "(SLUG alone: its latest version)."),
    limit: Optional[int] = typer.Option(None, "--limit", "-n", min=0, help="At most N rows: a page of the "
                                                                           "ordered answer, reached quickly "
                                                                           "(see docs/queries-engine.md)."),
    offset: int = typer.Option(0, "--offset", min=0, help="Skip the first M rows of the ordered answer."),
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
    """Run a library query, a .rq file of your own or --sparql text (values bound, never pasted).

    --limit N [--offset M] gives rows M+1 to M+N of the ordered answer: a library query
    ordered by policy is run policy by policy until the page is full, so the first page of a
    corpus-wide query comes in a fraction of a second. Without --limit, csv and tsv rows are
    written as they come. A table written to a file or a pipe is plain tab-separated lines,
    never cut to the terminal's width.

    CSV and TSV are safe to open in a spreadsheet: a value that starts with = + - @ tab, CR or
    NUL is written with a leading ' so that it is read as text, never run as a formula (OWASP,
    CSV Injection: https://owasp.org/www-community/attacks/CSV_Injection). Numbers (xsd numeric
    literals written as plain numbers, e.g. -1 or 2.5) are left as they are, so that they sort
    and add up; text that looks like one (a phone number +33 1 …, a "-1" stored as a string)
    gets the quote. --raw-csv writes every value as stored (for programs, not spreadsheets).

    Example: policykg query processes-for-purpose --param purpose=dpv:Marketing --policy whiteprovider

    Example: policykg query data-subjects --limit 100 --offset 100 --format csv
    """
    from ..queries import QueryResult, parse_param_args, stream_query
    from ..render import FORMATS, LANGS, plain_lines, render, to_csv
    from ..stores import EmbeddedStore
    choice(fmt, FORMATS, "--format")
    choice(lang, LANGS, "--lang")
    query = _query_of(name, sparql, directory)
    values = parse_param_args(param)
    backend = _endpoint(endpoint, None, user, timeout) if endpoint else EmbeddedStore(store)
    result = stream_query(backend, query, values, policy, limit=limit, offset=offset)
    if fmt in ("csv", "tsv"):   # row by row, as they come: a large answer is never held as one string
        result.prime()          # the store's errors before any output
        to_csv(result, "," if fmt == "csv" else "\t", raw=raw_csv, stream=sys.stdout)
        sys.stdout.flush()
        return
    rows = list(result.rows)
    answer = QueryResult(query, result.columns, rows, result.text, result.store, result.bindings, result.seconds,
                         result.form, limit, offset)
    if fmt == "json":
        sys.stdout.write(render(answer, fmt))
    elif out.is_terminal:
        out.print(render(answer, fmt, lang, _labels(backend, rows)))
    else:   # a file or a pipe: every cell whole
        sys.stdout.writelines(plain_lines(answer, lang, _labels(backend, rows)))
    sys.stdout.flush()
    if fmt == "table":
        page = f" (rows {offset + 1}-{offset + len(rows)}, {result.form} form)" if limit is not None or offset else ""
        err.print(rich_text(f"{len(rows)} row{'' if len(rows) == 1 else 's'}{page} from {result.store} "
                            f"in {result.seconds * 1000:.1f} ms"))


LABELS_FROM_STORE = 5000   # distinct terms: above, the whole vocabulary is loaded (~1.5 s) rather than asked


def _labels(backend, rows: list[tuple]):
    """What gives the table its labels: the store's vocabulary graph, asked for the terms of these rows (a page
    of a corpus query shows in milliseconds), else the vocabulary (kg.vocab: a large table, or a store that
    holds no label of them)."""
    import pyoxigraph as ox

    from ..namespaces import POLICY_BASE
    terms = {t for row in rows for t in row if isinstance(t, ox.NamedNode) and not t.value.startswith(POLICY_BASE)}
    if 0 < len(terms) <= LABELS_FROM_STORE:
        from ..queries import store_labels
        from ..render import Labels
        table = store_labels(backend, terms)
        if table:
            return Labels(table)
    if not terms:
        return None
    from ..vocab import load_vocabulary
    return load_vocabulary()


def _query_of(name: Optional[str], sparql: Optional[str], directory: Optional[Path]):
    """The query NAME (a library query or a .rq file) or the --sparql text: one of them."""
    if (name is None) == (sparql is None):
        raise UsageError("give a query NAME (or a .rq file) or --sparql TEXT" if name is None else
                         "give a query NAME or --sparql TEXT, not both", None,
                         "e.g. policykg query data-subjects, policykg query my.rq, or policykg query --sparql "
                         "'SELECT …' ('policykg queries' lists the library)", error_id="usage")
    from ..queries import load_query, sparql_query
    if name is not None:
        return load_query(name, directory)
    text = sys.stdin.read() if sparql == "-" else sparql
    if not text.strip():
        raise UsageError("--sparql is empty" + (" (nothing on standard input)" if sparql == "-" else ""), None,
                         "give the SELECT query as the value of --sparql, or pipe it in with --sparql -",
                         error_id="usage")
    return sparql_query(text)


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
    fmt: str = typer.Option("text", "--format", "-f", help="text (a line a graph, on stderr) or json (on stdout: "
                                                           "the server, each graph replaced, the totals)."),
    prune: bool = typer.Option(False, "--prune", help="Then remove the server's policykg graphs (policy and "
                                                      "vocabulary graph IRIs) that the store no longer holds, so "
                                                      "the server mirrors the store; other graphs are never "
                                                      "touched."),
) -> None:
    """Upload the vocabulary graph and the policy graphs to a SPARQL server, replacing each named graph (PUT).

    With --prune, the server's policykg graphs that the store no longer holds are then removed (DELETE).

    Example: policykg push --endpoint http://127.0.0.1:7878/query --policy whiteprovider --prune
    """
    from rich.markup import escape
    from rich.progress import BarColumn, Progress, TextColumn

    from ..render import pushed_json
    from ..stores import EmbeddedStore
    from ..stores.sparql import prune_graphs, push_graphs
    choice(fmt, ("text", "json"), "--format")
    source = EmbeddedStore(store)
    remote = _endpoint(endpoint, graph_store, user, timeout)
    graphs = source.push_selection(policy or None)
    remote.require_graph_store()
    # a progress bar on a terminal; plain lines otherwise (logs, pipes, tests)
    progress = Progress(TextColumn("{task.description}"), BarColumn(),
                        TextColumn("{task.completed}/{task.total} graphs"), console=err.console, transient=True,
                        disable=not err.is_terminal)
    with progress:
        task = progress.add_task(escape(printable(f"push to {remote.graph_store}")), total=len(graphs))
        pushed = push_graphs(remote, ((g, source.graph_triples(g)) for g in graphs),
                             lambda g, n: progress.advance(task), names=graphs)
        # after the push, so that the server never lacks a graph the store has
        removed = prune_graphs(remote, source.graph_names()) if prune else None
    if fmt == "json":
        sys.stdout.write(pushed_json(pushed, remote.url, remote.graph_store, removed))
        sys.stdout.flush()
        return
    total = sum(p.triples for p in pushed)
    for p in pushed:
        err.print(rich_text(f"  {p.graph}  {p.triples} triples  {p.seconds:.2f} s"))
    err.print(rich_text(f"pushed {len(pushed)} graph(s), {total} triples to {remote.graph_store} "
                        "(each graph replaced)"))
    if removed is not None:
        for graph in removed:
            err.print(rich_text(f"  removed {graph}"))
        err.print(rich_text(f"pruned {len(removed)} graph(s) the store no longer holds" if removed else
                            "pruned nothing: the server holds no policykg graph the store does not"))
