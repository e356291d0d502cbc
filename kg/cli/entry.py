"""The program's entry point (`policykg`, `python -m kg`).

Importing the command line and its libraries takes about a second; a Ctrl-C in that second ends the
program like a Ctrl-C during a command (exit 130, no traceback), not with Python's KeyboardInterrupt trace.
"""
from __future__ import annotations

import sys


def main() -> None:
    try:
        from .main import main as run
    except KeyboardInterrupt:
        from ..errors import EXIT_INTERRUPTED, InterruptedError_
        sys.stderr.write(str(InterruptedError_("interrupted (SIGINT or SIGTERM) while starting", " ".join(sys.argv),
                                               "nothing was done; run the command again")) + "\n")
        raise SystemExit(EXIT_INTERRUPTED) from None
    run()
