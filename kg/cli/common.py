"""What several commands share: the --endpoint, --user and --timeout options and the store they name (a SPARQL
endpoint, or else the embedded store at --store); the --format of commands that print rows of data (a table
on a terminal, TSV when piped, JSON)."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from ..errors import UsageError
from .defaults import PASSWORD_ENV, TIMEOUT_S

if TYPE_CHECKING:   # the stores are imported by the commands that open one, when they run
    from ..stores import PolicyStore, SparqlEndpoint


def endpoint_option(help: str = "Read the policies from this SPARQL 1.1 query endpoint (see 'policykg push') "
                                "instead of the embedded store.") -> Optional[str]:
    return typer.Option(None, "--endpoint", "-e", help=help)


def user_option() -> Optional[str]:
    return typer.Option(None, "--user", help=f"User for the endpoint; password from ${PASSWORD_ENV}.")


def timeout_option() -> float:
    return typer.Option(TIMEOUT_S, "--timeout", help="Seconds to wait for each answer of the endpoint.")


def endpoint(url: str, graph_store: Optional[str], user: Optional[str], timeout: float = TIMEOUT_S) -> SparqlEndpoint:
    """The endpoint at `url`; the password of `user` from the environment, never from the command line."""
    from ..stores import SparqlEndpoint
    if not timeout > 0:
        raise UsageError(f"--timeout {timeout:g} is not a positive number of seconds", None,
                         "give --timeout SECONDS, e.g. --timeout 30", error_id="usage")
    return SparqlEndpoint(url, graph_store=graph_store, user=user,
                          password=os.environ.get(PASSWORD_ENV) if user else None, timeout=timeout)


def policy_store(url: Optional[str], user: Optional[str], timeout: float, store: Path) -> PolicyStore:
    """The store a command reads: the endpoint at --endpoint URL, or else the embedded store at --store."""
    from ..stores import EmbeddedStore
    return endpoint(url, None, user, timeout) if url else EmbeddedStore(store)


# --- data a command prints: a table for people, TSV when piped, JSON for programs -------------------------

TABLE_FORMATS = ("table", "tsv", "json")


def table_format_option(what: str) -> str:
    return typer.Option("table", "--format", "-f", help=f"table, tsv or json. {what} The table is plain TSV "
                        "(never cut to the width of a terminal) when standard output is not a terminal.")


def print_rows(fmt: str, header: list[str], rows: list[list[str]], console) -> None:
    """Rows of text cells as a rich table on a terminal (`console`), or as TSV (a header line, then one line per
    row) with --format tsv or when standard output is piped, so that no cell is ever cut to a terminal's
    width. Cells go through printable() (control characters shown as escapes); a cell with a tab, a quote or
    a line end is quoted as CSV does."""
    from rich.table import Table

    from ..render import write_csv
    from ..terminal import printable, rich_text
    if fmt == "tsv" or not console.is_terminal:
        sys.stdout.write(write_csv([header] + [[printable(c) for c in row] for row in rows], "\t"))
        sys.stdout.flush()
        return
    table = Table(box=None)
    for name in header:
        table.add_column(name, no_wrap=name in _NO_WRAP)   # what users type and read never wraps; titles may
    for row in rows:
        table.add_row(*(rich_text(c) for c in row))   # text from data: never markup or control sequences
    console.print(table)


_NO_WRAP = {"policy", "version", "latest", "statements", "processes", "triples", "profile", "shape", "severity",
            "in force from"}


def print_json(document) -> None:
    """A JSON document on standard output (data as it is: JSON escapes it)."""
    import json
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=1) + "\n")
    sys.stdout.flush()
