"""ORDER BY done in Python for the embedded store, for the key columns whose SPARQL order it reproduces.

Why: pyoxigraph 0.5 sorts by reading each IRI's and string's text back from the on-disk store at every
comparison; a corpus-wide library query spends 50-80 % of its time there (benchmarks/RESULTS.md). The rows
come out of the store decoded anyway, so sorting them here costs a fraction of that.

When: the query ends with `ORDER BY` over plain variables (ASC/DESC), optionally `LIMIT`/`OFFSET`, each
key variable is projected, and every key column holds terms whose SPARQL order this module reproduces
exactly: unbound < blank nodes (by label) < IRIs (by string) < literals; literals by value where SPARQL's
`<` is defined (strings, and integers/decimals among themselves), and otherwise by lexical form, datatype,
language, as spareval does (tests/test_ordering.py holds it to pyoxigraph). A column that mixes numbers
with other literals, or holds floats, doubles, durations or date/times with a zone or a fraction, makes the
query run as written. Rows whose keys tie keep the order the store gave them
(a stable sort; pyoxigraph's own sort leaves ties in no promised order).
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox

XSD = "http://www.w3.org/2001/XMLSchema#"
_EXACT_NUMBERS = {XSD + "integer", XSD + "decimal"} | {XSD + t for t in (
    "long", "int", "short", "byte", "nonNegativeInteger", "nonPositiveInteger", "positiveInteger",
    "negativeInteger", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte")}
# literals SPARQL compares by value in ways a lexical key would not reproduce
_VALUED = {XSD + t for t in ("float", "double", "dateTime", "date", "time", "duration", "dateTimeStamp",
                             "dayTimeDuration", "yearMonthDuration", "gYear", "gYearMonth", "boolean")}
# ... except lexical forms whose lexical order is their value order (no time zone, no fraction)
_LEXICAL_IS_VALUE = {XSD + "boolean": re.compile(r"true|false"), XSD + "date": re.compile(r"\d{4}-\d\d-\d\d"),
                     XSD + "dateTime": re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")}
_TAIL = re.compile(r"\bORDER\s+BY((?:\s+(?:\?\w+|ASC\s*\(\s*\?\w+\s*\)|DESC\s*\(\s*\?\w+\s*\)))+)"
                   r"((?:\s+(?:LIMIT|OFFSET)\s+\d+)*)\s*$", re.I)
_KEY = re.compile(r"(ASC|DESC)?\s*\(?\s*\?(\w+)", re.I)


def split_order(text: str) -> tuple[str, list[tuple[str, bool]], int, int | None] | None:
    """(query without its ORDER BY/LIMIT/OFFSET, [(variable, descending)], offset, limit), or None when the
    query does not end with an ORDER BY over plain variables (after comments are set aside)."""
    code = _without_comments(text)   # same length as text: positions carry over
    match = _TAIL.search(code)
    if not match or code.count("{") != code.count("}") or "}" not in code[:match.start()]:
        return None
    keys = [((m.group(1) or "").upper() == "DESC", m.group(2)) for m in _KEY.finditer(match.group(1))]
    offset, limit = 0, None
    for word, number in re.findall(r"(LIMIT|OFFSET)\s+(\d+)", match.group(2), re.I):
        if word.upper() == "LIMIT":
            limit = int(number)
        else:
            offset = int(number)
    return text[:match.start()], [(name, desc) for desc, name in keys], offset, limit


def _without_comments(text: str) -> str:
    """The query with its # comments blanked (not those inside IRIs or strings)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif c == "<" and re.match(r"<[^<>\"{}|^`\\\s]*>", text[i:]):
            j = text.index(">", i)
            out.append(text[i:j + 1])
            i = j + 1
        elif c == "#":
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def sort_key(column: list) -> list | None:
    """A key per value of a column that orders it as SPARQL's ORDER BY does, or None if this module
    cannot guarantee that for the column's values."""
    keys = []
    numbers = others = False
    for term in column:
        if term is None:
            keys.append((0, ""))
        elif isinstance(term, ox.BlankNode):
            keys.append((1, term.value))
        elif isinstance(term, ox.NamedNode):
            keys.append((2, term.value))
        elif isinstance(term, ox.Literal):
            datatype = term.datatype.value
            if datatype in _EXACT_NUMBERS:
                try:
                    keys.append((3, Decimal(term.value.strip())))
                except InvalidOperation:
                    return None
                numbers = True
            elif datatype in _VALUED and not (datatype in _LEXICAL_IS_VALUE
                                               and _LEXICAL_IS_VALUE[datatype].fullmatch(term.value)):
                return None
            else:
                keys.append((3, term.value, datatype, term.language or ""))
                others = True
        else:
            return None
        if numbers and others:
            return None
    return keys


def order_rows(rows: list[tuple], columns: list[str], keys: list[tuple[str, bool]]) -> list[tuple] | None:
    """The rows sorted by `keys` [(column, descending)], or None when a key column is not one
    sort_key can order."""
    index = {name: i for i, name in enumerate(columns)}
    if any(name not in index for name, _ in keys):
        return None
    per_key = []
    for name, desc in keys:
        column_keys = sort_key([row[index[name]] for row in rows])
        if column_keys is None:
            return None
        per_key.append((column_keys, desc))
    order = list(range(len(rows)))
    for column_keys, desc in reversed(per_key):   # stable sorts, last key first
        order.sort(key=column_keys.__getitem__, reverse=desc)
    return [rows[i] for i in order]
