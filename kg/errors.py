"""Errors policykg reports to its users: what is wrong, where, and how to fix it.

Every error has a stable kebab-case id and a stable code `PKG-Ennn` (both in the heading of its section of
docs/errors.md), a `what` sentence, a `where` (file:line:column and the field, a store path, a URL or a
query parameter) and a `fix` the user can act on. The library raises them; the CLI prints them and picks
the exit code from `exit_code`. Warnings (`KgWarning`, codes `PKG-Wnnn`) go through Python's `warnings`.
"""
from __future__ import annotations

from dataclasses import dataclass

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2        # bad option, unreadable or unparsable input, unknown term
EXIT_ENVIRONMENT = 3  # endpoint unreachable, network, missing optional dependency, disk full, store busy
EXIT_INTERRUPTED = 130  # SIGINT / SIGTERM (128 + SIGINT, the shell's convention)

# Stable codes: never renumber or reuse one; a new error takes the next free number of its group.
CODES = {
    # cards and RDF inputs (exit 2)
    "invalid-card": "PKG-E001", "yaml-syntax": "PKG-E002", "duplicate-key": "PKG-E003",
    "invalid-value": "PKG-E004", "unknown-property": "PKG-E005", "not-a-property": "PKG-E006",
    "wrong-value-kind": "PKG-E007", "empty-statement": "PKG-E008", "duplicate-id": "PKG-E009",
    "quote-not-found": "PKG-E010", "snapshot-mismatch": "PKG-E011", "unknown-term": "PKG-E012",
    "file-not-found": "PKG-E013", "not-a-file": "PKG-E014", "empty-file": "PKG-E015",
    "binary-file": "PKG-E016", "not-utf8": "PKG-E017", "file-too-large": "PKG-E018",
    "rdf-syntax": "PKG-E019", "remote-context": "PKG-E020", "remote-context-failed": "PKG-E021",
    "no-policy": "PKG-E022", "duplicate-policy": "PKG-E023", "quote-offsets": "PKG-E024", "yaml-alias": "PKG-E025",
    "snapshot-outside": "PKG-E026", "card-too-deep": "PKG-E027", "outside-policy": "PKG-E028",
    "input-errors": "PKG-E029",
    # store, export, writing files
    "no-store": "PKG-E030", "store-locked": "PKG-E031", "store-error": "PKG-E032", "store-busy": "PKG-E033",
    "empty-store": "PKG-E034", "unknown-policy": "PKG-E035", "unknown-format": "PKG-E036",
    "cannot-write": "PKG-E037", "disk-full": "PKG-E038", "interrupted": "PKG-E039",
    # store, continued (the group above is full)
    "not-a-store": "PKG-E100", "store-damaged": "PKG-E101",
    # validation
    "unknown-profile": "PKG-E040", "bad-profile": "PKG-E041", "unknown-engine": "PKG-E042",
    "missing-engine": "PKG-E043", "environment": "PKG-E044", "unsupported-shape": "PKG-E045",
    "bad-date": "PKG-E046", "profile-clash": "PKG-E047", "not-a-report": "PKG-E048",
    # vocabulary
    "vocab-error": "PKG-E050", "dpv-file-missing": "PKG-E051", "dpv-fetch-failed": "PKG-E052",
    "dpv-hash-mismatch": "PKG-E053",
    # queries and endpoints
    "unknown-query": "PKG-E060", "invalid-query": "PKG-E061", "unknown-param": "PKG-E062",
    "missing-param": "PKG-E063", "bad-param": "PKG-E064", "endpoint-unreachable": "PKG-E065",
    "endpoint-auth": "PKG-E066", "endpoint-error": "PKG-E067", "graph-store-unknown": "PKG-E068",
    "push-incomplete": "PKG-E069", "endpoint-timeout": "PKG-E070", "endpoint-redirect": "PKG-E071",
    # diff, compare
    "diff-input": "PKG-E075",
    # reasoning
    "java-missing": "PKG-E080", "unknown-reasoner": "PKG-E081", "reasoner-unavailable": "PKG-E082",
    "reasoner-failed": "PKG-E083", "inconsistent-policy": "PKG-E084",
    # draft (policykg draft: a policy's text -> a draft card)
    "draft-format": "PKG-E110", "draft-language": "PKG-E111", "draft-no-text": "PKG-E112",
    "draft-exists": "PKG-E113", "draft-slug": "PKG-E114", "draft-version": "PKG-E115", "draft-url": "PKG-E116",
    "draft-lexicon": "PKG-E117",
    # preferences (policykg match: a person's or a company's preferences -> met / not met / unknown)
    "bad-preferences": "PKG-E120",
    # other
    "usage": "PKG-E090", "worker-failed": "PKG-E093", "bug": "PKG-E099",
    # warnings (printed, the command goes on)
    "sunset-term": "PKG-W001",
}


def code_of(error_id: str) -> str:
    """The stable code of an error id (`PKG-E000` for an id missing from CODES: a test forbids that)."""
    return CODES.get(error_id, "PKG-E000")


def anchor(error_id: str) -> str:
    """The docs/errors.md anchor of an id (GitHub's slug of the heading 'PKG-E012 unknown-term')."""
    return f"{code_of(error_id)}-{error_id}".lower()


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

    @property
    def code(self) -> str:
        return code_of(self.id)

    def __str__(self) -> str:
        return _message("error", self.code, self.id, self.what, self.where, self.fix)

    def __reduce__(self):
        # pickled whole (what, where, fix, id and any other attribute), e.g. from a build's worker process:
        # Exception's default pickling keeps only the message
        return _restore_error, (type(self), dict(self.__dict__))


def _restore_error(cls, state: dict):
    error = cls.__new__(cls)
    Exception.__init__(error, state.get("what"))
    error.__dict__.update(state)
    return error


def _message(kind: str, code: str, error_id: str, what: str, where, fix) -> str:
    lines = [f"{kind}[{code} {error_id}]: {what}"]
    if where:
        lines.append(f"  where: {where}")
    if fix:
        lines.append(f"  fix:   {fix}")
    lines.append(f"  docs:  docs/errors.md#{anchor(error_id)}")
    return "\n".join(lines)


class KgWarning(UserWarning):
    """Something that works but should be changed (e.g. a sunset DPV term); the command goes on."""

    id = "warning"

    def __init__(self, what: str, where: Location | str | None = None, fix: str | None = None,
                 *, error_id: str | None = None):
        super().__init__(what)
        self.what, self.where, self.fix = what, where, fix
        if error_id:
            self.id = error_id

    @property
    def code(self) -> str:
        return code_of(self.id)

    def __str__(self) -> str:
        return _message("warning", self.code, self.id, self.what, self.where, self.fix)


class SunsetTermWarning(KgWarning):
    id = "sunset-term"


class CardError(KgError):
    """A policy card (or an RDF policy file) that cannot be loaded as written."""
    id = "invalid-card"


class UnknownTermError(CardError):
    id = "unknown-term"


class QuoteNotFoundError(CardError):
    id = "quote-not-found"


class SnapshotError(CardError):
    id = "snapshot-mismatch"


class InputErrors(KgError):
    """Several inputs of one run could not be loaded: each error (`errors`, in input order) keeps its own id,
    file:line and fix; this one sums them up. The command line prints every one of them, then this."""
    id = "input-errors"

    def __init__(self, errors: list[KgError], inputs: int):
        self.errors = list(errors)
        places = [_place(e) for e in self.errors]
        shown = ", ".join(places[:5]) + (f" and {len(places) - 5} more" if len(places) > 5 else "")
        super().__init__(f"{len(self.errors)} of {inputs} input(s) could not be loaded", shown,
                         "fix each error listed (each names its file:line and its own fix), then run the command "
                         "again; nothing was written: the store is as it was")

    def __str__(self) -> str:
        return "\n".join([*(str(e) for e in self.errors), super().__str__()])


def _place(error: KgError) -> str:
    where = error.where
    if isinstance(where, Location):
        return where.file + (f":{where.line}" if where.line is not None else "")
    return str(where) if where else "?"


class InputNotFoundError(KgError):
    id = "file-not-found"


class InputFileError(KgError):
    """An input path that is not a readable text file of a sensible size (a folder, empty, binary, not
    UTF-8, too large)."""
    id = "not-a-file"


class WriteError(KgError):
    """An output file that cannot be written (folder missing or read-only, path is a folder)."""
    id = "cannot-write"


class DiskFullError(WriteError):
    id = "disk-full"
    exit_code = EXIT_ENVIRONMENT


class InterruptedError_(KgError):
    """SIGINT or SIGTERM: the command stopped, leaving what it was writing unchanged."""
    id = "interrupted"
    exit_code = EXIT_INTERRUPTED


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
