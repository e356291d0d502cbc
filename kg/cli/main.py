"""The `policykg` command: a thin Typer layer over the library.

Exit codes (also in the README):
  0  done (the policy conforms)
  1  findings at or above the chosen level (validate); an inconsistent policy (reason)
  2  usage or input error: bad option, unreadable or unparsable file, unknown term/policy/format
  3  environment error: store locked, endpoint unreachable, network, missing optional dependency, no Java
Results go to stdout, progress and errors to stderr. A traceback is shown only with --debug.
"""
from __future__ import annotations

import functools
import sys
import traceback
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from ..errors import EXIT_USAGE, KgError

EXIT_CODES_HELP = ("Exit codes: 0 done; 1 findings (validate, reason); 2 usage or input error (bad option, "
                   "unreadable or invalid file, unknown term); 3 environment error (store locked, endpoint "
                   "unreachable, network, no Java).")

app = typer.Typer(
    name="policykg",
    help="policykg: privacy policies as a DPV 2.3 knowledge graph.\n\n" + EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, highlight=False, soft_wrap=True)
_state = {"debug": False}


def report_errors(func):
    """Print a KgError as what/where/fix and exit with its code; anything else is a bug."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except KgError as exc:
            if _state["debug"]:
                traceback.print_exc()
            err.print(str(exc), markup=False)
            raise typer.Exit(exc.exit_code) from None
        except (typer.Exit, typer.Abort, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            if _state["debug"]:
                traceback.print_exc()
            err.print(f"error[bug]: {type(exc).__name__}: {exc}\n  this is a bug in policykg, please report it "
                      f"with the command line: {' '.join(sys.argv)}\n  (run again with --debug for the traceback)",
                      markup=False)
            raise typer.Exit(70) from None
    return wrapper


def _version(value: bool) -> None:
    if value:
        from .. import __version__
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


# The command modules register themselves on `app` when imported.
from . import build as _build  # noqa: E402,F401
from . import diff as _diff  # noqa: E402,F401
from . import export as _export  # noqa: E402,F401
from . import query as _query  # noqa: E402,F401
from . import reason as _reason  # noqa: E402,F401
from . import validate as _validate  # noqa: E402,F401
from . import vocab as _vocab  # noqa: E402

app.add_typer(_vocab.app, name="vocab")


def main() -> None:
    try:
        app()
    except KgError as exc:  # raised outside a command (option parsing callbacks)
        err.print(str(exc), markup=False)
        sys.exit(EXIT_USAGE)
