"""Text from data, made safe to print on a terminal: control characters shown, never obeyed.

Titles, labels, quotes, terms, file names and the parameters users type come from cards, RDF files,
stores and shells that anyone may have written. A terminal obeys what it is sent: ESC ]0;…ESC \\ sets the
window title, ESC [2J clears the screen, ESC [31m colours what follows, a carriage return or a backspace
overwrites what was shown, and the bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069)
show text in another order than it is stored ("Trojan Source", CVE-2021-42574). `printable()` is the one
function every human-facing output goes through (text reports, tables, error messages); machine formats
(JSON, Turtle, TriG, SARIF) keep the data as it is, with their own escaping.

Each such character is written as its Python escape: ESC is the four characters `\\x1b`, a newline
`\\n`, U+202E `\\u202e`; a byte that was not UTF-8 (decoded by Python with surrogateescape, e.g. in argv
or a file name) is shown as the byte, `\\xff`. Tabs are kept. Backslashes are not doubled, so that paths
and regular expressions stay readable: `\\x1b` typed as text and an escaped ESC print alike.
"""
from __future__ import annotations

import re

# C0 controls but the tab, DEL and the C1 controls; the line and paragraph separators (line breaks inside
# a one-line cell); the bidi embeddings, overrides and isolates; lone surrogates (undecodable bytes).
_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r"}


def _visible(match: re.Match) -> str:
    char = match.group()
    code = ord(char)
    if char in _NAMED:
        return _NAMED[char]
    if 0xDC80 <= code <= 0xDCFF:          # surrogateescape: the byte that was not UTF-8
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text) -> str:
    """`text` (any object, as str) with every control, bidi-override and undecodable character written as a
    visible escape (`\\x1b`, `\\n`, `\\u202e`, `\\xff`); tabs kept."""
    return _UNSAFE.sub(_visible, text if isinstance(text, str) else str(text))


def rich_text(text):
    """A rich Text of printable(text): for table cells and titles, never read as console markup (a title
    holding `[/bold]` is text, not a closing tag) nor as :emoji: codes."""
    from rich.text import Text
    return Text(printable(text))


def error_text(exc) -> str:
    """A KgError or KgWarning as its usual block (kind[code id]: what / where / fix / docs) with each field
    printable: a term, a path or a parameter echoed in a message cannot reach the terminal raw, nor break
    the block's lines."""
    from .errors import KgWarning, _message   # the block's one format, shared with KgError.__str__
    kind = "warning" if isinstance(exc, KgWarning) else "error"
    where = printable(exc.where) if exc.where else exc.where
    fix = printable(exc.fix) if exc.fix else exc.fix
    return _message(kind, exc.code, exc.id, printable(exc.what), where, fix)
