"""What several commands share to reach a store: the --endpoint, --user and --timeout options, and the store
they name (a SPARQL endpoint, or else the embedded store at --store)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer

from ..errors import UsageError
from ..stores import EmbeddedStore, PolicyStore, SparqlEndpoint
from ..stores.sparql import PASSWORD_ENV, TIMEOUT_S


def endpoint_option(help: str = "Read the policies from this SPARQL 1.1 query endpoint (see 'policykg push') "
                                "instead of the embedded store.") -> Optional[str]:
    return typer.Option(None, "--endpoint", "-e", help=help)


def user_option() -> Optional[str]:
    return typer.Option(None, "--user", help=f"User for the endpoint; password from ${PASSWORD_ENV}.")


def timeout_option() -> float:
    return typer.Option(TIMEOUT_S, "--timeout", help="Seconds to wait for each answer of the endpoint.")


def endpoint(url: str, graph_store: Optional[str], user: Optional[str], timeout: float = TIMEOUT_S) -> SparqlEndpoint:
    """The endpoint at `url`; the password of `user` from the environment, never from the command line."""
    if not timeout > 0:
        raise UsageError(f"--timeout {timeout:g} is not a positive number of seconds", None,
                         "give --timeout SECONDS, e.g. --timeout 30", error_id="usage")
    return SparqlEndpoint(url, graph_store=graph_store, user=user,
                          password=os.environ.get(PASSWORD_ENV) if user else None, timeout=timeout)


def policy_store(url: Optional[str], user: Optional[str], timeout: float, store: Path) -> PolicyStore:
    """The store a command reads: the endpoint at --endpoint URL, or else the embedded store at --store."""
    return endpoint(url, None, user, timeout) if url else EmbeddedStore(store)
