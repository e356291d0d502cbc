"""The `policykg` command: a thin Typer layer over the library.

Exit codes (also in the README):
  0  done (the policy conforms)
  1  findings at or above the chosen level (validate); an inconsistent policy (reason)
  2  usage or input error: bad option, unreadable or unparsable file, unknown term/policy/format
  3  environment error: store locked or busy, endpoint unreachable or slow, network, disk full, missing dependency, no Java
  130 interrupted (SIGINT, SIGTERM) after the command's clean-up
Results go to stdout, progress and errors to stderr. A traceback is shown only with --debug.
"""
from __future__ import annotations

import errno
import functools
import os
import signal
import sys
import traceback
import warnings
from pathlib import Path
from typing import Optional

import typer

from ..errors import EXIT_USAGE, DiskFullError, InterruptedError_, KgError, KgWarning
from ..terminal import error_text, printable

EXIT_CODES_HELP = ("Exit codes: 0 done; 1 findings (validate, reason); 2 usage or input error (bad option, "
                   "unreadable or invalid file, unknown term); 3 environment error (store locked, endpoint "
                   "unreachable, network, disk full, no Java); 130 interrupted.")

TERMINAL_HELP = ("Text from policies and stores (titles, labels, quotes, terms, file names) is printed with its "
                 "control characters and bidi overrides shown as escapes (\\x1b, \\n, \\u202e), never sent raw "
                 "to the terminal; json, sarif, ttl, trig, nq and jsonld outputs keep it as it is.")

app = typer.Typer(
    name="policykg",
    help="policykg: privacy policies as a DPV 2.3 knowledge graph.\n\n" + EXIT_CODES_HELP + "\n\n" + TERMINAL_HELP,
    no_args_is_help=True,
    add_completion=True,   # --install-completion, --show-completion (bash, zsh, fish, PowerShell)
    pretty_exceptions_enable=False,
)


class LazyConsole:
    """A rich Console made when it is first used (importing rich takes tens of milliseconds that a command which
    prints nothing to it does not need); `console` is the Console itself, for rich's own widgets."""

    def __init__(self, **options):
        self._options, self._console = options, None

    @property
    def console(self):
        if self._console is None:
            from rich.console import Console
            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name: str):
        return getattr(self.console, name)


# What goes to stderr quotes data (terms, paths, titles): never read as markup or :emoji: codes, and every
# message goes through printable()/error_text() so that no control character reaches the terminal raw.
err = LazyConsole(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False)
_state = {"debug": False}


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """KgWarnings print like errors (warning[PKG-W001 sunset-term]: …); others keep Python's format."""
    if isinstance(message, KgWarning):
        err.print(error_text(message))
    else:
        _python_showwarning(message, category, filename, lineno, file, line)


_python_showwarning = warnings.showwarning


def _terminate(signum, frame):
    """SIGTERM unwinds like Ctrl-C, so that a build removes its half-written store generation."""
    raise KeyboardInterrupt


def report_errors(func):
    """Print a KgError as what/where/fix and exit with its code; Ctrl-C or SIGTERM exits 130 after the
    command's own clean-up (files are written atomically); anything else is a bug."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        previous = signal.signal(signal.SIGTERM, _terminate) if _in_main_thread() else None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("always", KgWarning)
                warnings.showwarning = _show_warning
                return func(*args, **kwargs)
        except KeyboardInterrupt:
            exc = InterruptedError_("interrupted (SIGINT or SIGTERM)", " ".join(sys.argv),
                                    "nothing was half-written: the store and --out files are as they were "
                                    "(a push may have replaced some graphs, each whole); run the command again")
            err.print(error_text(exc))
            raise typer.Exit(exc.exit_code) from None
        except KgError as exc:
            if _state["debug"]:
                traceback.print_exc()
            print_error(exc)
            raise typer.Exit(exc.exit_code) from None
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except BrokenPipeError:
            if not _stdout_closed():
                _bug(sys.exc_info()[1])
            # standard output closed by its reader (`policykg export … | head`): the command ends quietly, as
            # `policykg query` does; Python is kept from failing again when it flushes at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(0) from None
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            known = _environment_error(exc)
            if known is None:
                _bug(exc)
            if _state["debug"]:
                traceback.print_exc()
            err.print(error_text(known))
            raise typer.Exit(known.exit_code) from None
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
    return wrapper


def print_error(exc: KgError) -> None:
    """An error as its what/where/fix block on stderr; one that gathers several (InputErrors) prints each of
    them first, in input order, then its summary."""
    for each in getattr(exc, "errors", None) or ():
        err.print(error_text(each))
    err.print(error_text(exc))


def _environment_error(exc: Exception) -> KgError | None:
    """What a failure from outside policykg means to the user, where it is known: a full disk under standard
    output, a store damaged in a way RocksDB finds only while reading it."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return DiskFullError(f"no space left to write the output ({exc.strerror})", "standard output",
                             "free space on the disk the output goes to, or write elsewhere with --out")
    from ..stores.oxigraph import store_damage
    return store_damage(exc)


def _bug(exc: Exception):
    """Anything policykg did not expect: say so, exit 70 (called inside an except block: --debug prints it)."""
    if _state["debug"]:
        traceback.print_exc()
    err.print(f"error[PKG-E099 bug]: {type(exc).__name__}: {printable(exc)}\n  this is a bug in policykg, please "
              f"report it with the command line: {printable(' '.join(sys.argv))}\n  (run again with --debug for "
              f"the traceback)")
    raise typer.Exit(70) from None


def _stdout_closed() -> bool:
    """Whether standard output is a pipe whose reader has gone (a broken pipe elsewhere is not this)."""
    import select
    try:
        poll = select.poll()
        poll.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poll.poll(0))
    except (OSError, ValueError, AttributeError):
        return False


def _in_main_thread() -> bool:
    import threading
    return threading.current_thread() is threading.main_thread()


def _version(value: bool) -> None:
    if value:
        from ..version import __version__
        from ..vocab import DPV_VERSION
        typer.echo(f"policykg {__version__} (DPV {DPV_VERSION})")
        raise typer.Exit(0)


@app.callback()
def main_options(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks of errors."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version of policykg and of DPV it ships, and exit."),
) -> None:
    _state["debug"] = debug


def vocab_dir_option() -> Optional[Path]:
    return typer.Option(None, "--vocab-dir", envvar="POLICYKG_VOCAB_DIR",
                        help="A full DPV release folder (see 'policykg vocab fetch') to use instead of the "
                             "shipped term table.")


def max_input_size_option() -> Optional[str]:
    return typer.Option(None, "--max-input-size", envvar="POLICYKG_MAX_INPUT_SIZE",
                        help="Refuse input files larger than this (bytes, or with K, M, G; default 64M).")


def allow_remote_context_option() -> bool:
    return typer.Option(False, "--allow-remote-context",
                        help="Let JSON-LD inputs fetch a remote @context (refused by default: no network).")


def apply_input_options(max_input_size: Optional[str], allow_remote_context: bool) -> None:
    from ..files import set_max_input_size
    from ..load_rdf import set_allow_remote_context
    set_max_input_size(max_input_size)
    set_allow_remote_context(allow_remote_context)


def choice(value: str, allowed, option: str) -> str:
    """The value of an option that must be one of `allowed`, or a usage error naming them."""
    if value not in allowed:
        from ..errors import UsageError
        raise UsageError(f"{option} {value} is not one of {', '.join(allowed)}", None,
                         f"use {option} " + "|".join(allowed), error_id="usage")
    return value


def profile_ids(values: list[str] | None) -> list[str] | str:
    """--profile values (repeatable, comma-separated) as profile ids, or "auto"."""
    ids = [p.strip() for v in (values or []) for p in v.split(",") if p.strip()]
    return "auto" if not ids or ids == ["auto"] else ids


def write_output(text: str, path: Path | None) -> None:
    """A report to --out (atomically) or to standard output."""
    if path:
        from ..files import write_atomic
        write_atomic(text.encode("utf-8"), path)
        err.print(f"wrote {printable(path)}")
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


# The command modules register themselves on `app` when imported.
from . import build as _build  # noqa: E402,F401
from . import diff as _diff  # noqa: E402,F401
from . import draft as _draft  # noqa: E402,F401
from . import export as _export  # noqa: E402,F401
from . import match as _match  # noqa: E402,F401
from . import query as _query  # noqa: E402,F401
from . import reason as _reason  # noqa: E402,F401
from . import report as _report  # noqa: E402,F401
from . import validate as _validate  # noqa: E402,F401
from . import vocab as _vocab  # noqa: E402

app.add_typer(_vocab.app, name="vocab")


def main() -> None:
    try:
        app()
    except KgError as exc:  # raised outside a command (option parsing callbacks)
        err.print(error_text(exc))
        sys.exit(EXIT_USAGE)
