"""Errors policykg reports to its users: what is wrong, where, and how to fix it.

Every error has a stable kebab-case id (a heading in docs/errors.md), a `what` sentence, a `where`
(file:line and the field, a store path or a URL) and a `fix` the user can act on. The library raises
them; the CLI prints them and picks the exit code from `exit_code`.
"""
from __future__ import annotations

from dataclasses import dataclass

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2        # bad option, unreadable or unparsable input, unknown term
EXIT_ENVIRONMENT = 3  # endpoint unreachable, network, missing optional dependency


@dataclass
class Location:
    """Where in a file: 1-based line and column, and the path of the field inside the document."""
    file: str
    line: int | None = None
    column: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        text = self.file
        if self.line is not None:
            text += f":{self.line}"
            if self.column is not None:
                text += f":{self.column}"
        if self.field:
            text += f"  {self.field}"
        return text


class KgError(Exception):
    """Base of every error policykg reports to a user."""

    id = "error"
    exit_code = EXIT_USAGE

    def __init__(self, what: str, where: Location | str | None = None, fix: str | None = None,
                 *, error_id: str | None = None):
        super().__init__(what)
        self.what = what
        self.where = where
        self.fix = fix
        if error_id:
            self.id = error_id

    def __str__(self) -> str:
        lines = [f"error[{self.id}]: {self.what}"]
        if self.where:
            lines.append(f"  where: {self.where}")
        if self.fix:
            lines.append(f"  fix:   {self.fix}")
        lines.append(f"  docs:  docs/errors.md#{self.id}")
        return "\n".join(lines)


class CardError(KgError):
    """A policy card (or an RDF policy file) that cannot be loaded as written."""
    id = "invalid-card"


class UnknownTermError(CardError):
    id = "unknown-term"


class QuoteNotFoundError(CardError):
    id = "quote-not-found"


class SnapshotError(CardError):
    id = "snapshot-mismatch"


class InputNotFoundError(KgError):
    id = "file-not-found"


class RdfSyntaxError(KgError):
    id = "rdf-syntax"


class StoreError(KgError):
    id = "store-error"
    exit_code = EXIT_ENVIRONMENT


class UsageError(KgError):
    id = "usage"


class EnvironmentError_(KgError):
    """Something outside policykg is missing or unreachable (network, server, optional package)."""
    id = "environment"
    exit_code = EXIT_ENVIRONMENT
