"""The program's entry point (`policykg`, `python -m kg`).

Importing the command line and its libraries, and building the command from its options, take about a
second before a command's own error handling starts; a Ctrl-C in that second ends the program like a
Ctrl-C during a command (exit 130, one message, no traceback).
"""
from __future__ import annotations

import sys


def main() -> None:
    try:
        from .main import main as run
        run()
    except KeyboardInterrupt:
        from ..errors import EXIT_INTERRUPTED, InterruptedError_
        sys.stderr.write(str(InterruptedError_("interrupted (SIGINT or SIGTERM) while starting", " ".join(sys.argv),
                                               "nothing was done; run the command again")) + "\n")
        raise SystemExit(EXIT_INTERRUPTED) from None
