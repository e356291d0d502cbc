"""`policykg export`."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from ..terminal import printable
from .common import endpoint_option, policy_store, timeout_option, user_option
from .defaults import DEFAULT_STORE, EXPORT_FORMATS
from .main import app, err, report_errors


@app.command("export")
@report_errors
def export_command(
    fmt: Optional[str] = typer.Option(None, "--format", "-f",
                                      help="One of " + ", ".join(EXPORT_FORMATS) + " (default: from -o's extension)."),
    policy: Optional[List[str]] = typer.Option(None, "--policy", "-p", help="SLUG (latest version), SLUG@DATE or "
                                                                           "SLUG@* (every version); repeatable. "
                                                                           "Default: every version of every policy."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write to this file (atomically) instead of stdout."),
    with_vocabulary: bool = typer.Option(False, "--with-vocabulary", help="Also export the vocabulary graphs."),
    reified: bool = typer.Option(False, "--reified", help="RDF 1.1: each fact an annotation quotes written as an "
                                 "rdf:Statement instead of an RDF 1.2 triple term, for rdflib, pySHACL and "
                                 "tools without RDF 1.2 (JSON-LD always is)."),
    store: Path = typer.Option(DEFAULT_STORE, "--store", "-s", help="The embedded store to read."),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, help="Processes that read the policies "
                                          "of a large export from the embedded store in parallel (default: one "
                                          "per core)."),
    endpoint: Optional[str] = endpoint_option(),
    user: Optional[str] = user_option(),
    timeout: float = timeout_option(),
) -> None:
    """Export policies from the store as Turtle, TriG, N-Quads or JSON-LD (deterministic bytes).

    The evidence is written as the store holds it, each quoted fact an RDF 1.2 triple term
    (docs/mapping.md); --reified writes its RDF 1.1 form.

    With --endpoint the policies are read from a SPARQL 1.1 endpoint (one SELECT per graph, values
    bound): the same graphs give the same bytes as from the embedded store.

    Example: policykg export --format trig --policy planethoster -o build/planethoster.trig
    Example: policykg export --endpoint http://127.0.0.1:7878/query --format nq --policy whiteprovider
    """
    from ..export import format_for, write_store
    from ..files import write_atomic
    chosen = format_for(fmt, out)
    source = policy_store(endpoint, user, timeout, store)

    def write(stream) -> None:
        write_store(source, chosen, stream, policy or None, with_vocabulary,
                    store_path=None if endpoint else store, workers=workers, reified=reified)

    if out:
        write_atomic(write, out)
        err.print(f"wrote {printable(out)} ({out.stat().st_size if out.is_file() else '?'} bytes, {chosen.name})")
    else:
        write(sys.stdout.buffer)
        sys.stdout.flush()
