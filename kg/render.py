"""Presentation of query results and of the query library: CSV, TSV, JSON, rich tables.

`csv_rows()` is the one definition of a result as text cells, used by the CSV/TSV output and by the
expected-result files tests/queries/<name>.expected.csv: an IRI is its CURIE (`kg.namespaces.shorten`,
the full IRI when no prefix matches), a literal its lexical form (no language tag, no datatype), an
unbound cell the empty string. Tables show vocabulary labels in the chosen language (fr falls back to en).

Tables are for people: every cell and title is a rich Text of `kg.terminal.printable` (control characters
shown, never markup). CSV and TSV files are for spreadsheets: a cell that a spreadsheet would run as a
formula gets a leading single quote (see `spreadsheet_cell`), unless raw values are asked for.
"""
from __future__ import annotations

import csv
import io
import json
import re

import pyoxigraph as ox
from rich.table import Table

from . import namespaces as ns
from .terminal import rich_text

FORMATS = ("table", "csv", "tsv", "json")
LANGS = ("en", "fr")


def cell(term) -> str:
    """One result cell as text (the expected-CSV rule)."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return ns.shorten(term.value)
    if isinstance(term, ox.Literal):
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return str(term)


def csv_rows(result) -> list[list[str]]:
    """The column names, then one row of cells per solution."""
    return [list(result.columns)] + [[cell(t) for t in row] for row in result.rows]


# OWASP, CSV Injection (https://owasp.org/www-community/attacks/CSV_Injection): a spreadsheet runs a cell
# that starts with one of these as a formula (=HYPERLINK(…), =cmd|…, @SUM(…)); NUL is in OWASP ASVS 1.2.10.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")
NUMERIC_TYPES = {f"{ns.XSD}{t}" for t in (
    "integer", "decimal", "double", "float", "long", "int", "short", "byte", "nonNegativeInteger",
    "positiveInteger", "nonPositiveInteger", "negativeInteger", "unsignedLong", "unsignedInt", "unsignedShort",
    "unsignedByte")}
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def spreadsheet_cell(text: str, term=None) -> str:
    """A CSV cell a spreadsheet reads as text: one that starts with = + - @ tab CR or NUL gets a leading
    single quote, as OWASP recommends. A numeric literal (xsd:integer, decimal, double …) written as a plain
    number (-1, +2.5, 1e3) is left as it is: a spreadsheet reads it as that number, which cannot call
    anything, and a DPO can sort and add it up. A phone number "+33 1 …" or a "-1" typed as a string is not
    a numeric literal: it gets the quote."""
    if not text.startswith(FORMULA_STARTS):
        return text
    if (isinstance(term, ox.Literal) and term.datatype is not None and term.datatype.value in NUMERIC_TYPES
            and _PLAIN_NUMBER.fullmatch(text)):
        return text
    return "'" + text


def write_csv(rows, delimiter: str = ",", stream=None) -> str | None:
    """Rows of text cells as CSV (or TSV), lines ending in LF: returned as text, or written row by row to
    `stream` (so that a large result is never held twice, as cells and as one string). Python's csv module
    quotes a cell that holds a character of the line terminator, so a cell with a lone CR would be written
    bare and split its row for every reader: such a row is written with every cell quoted."""
    out = stream if stream is not None else io.StringIO()
    minimal = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    quoted = csv.writer(out, delimiter=delimiter, lineterminator="\n", quoting=csv.QUOTE_ALL)
    for row in rows:
        (quoted if any("\r" in value for value in row) else minimal).writerow(row)
    return out.getvalue() if stream is None else None


def csv_lines(result, raw: bool = False):
    """The header, then each solution's cells (made spreadsheet-safe unless `raw`), one row at a time."""
    yield list(result.columns)
    for terms in result.rows:
        values = [cell(t) for t in terms]
        yield values if raw else [spreadsheet_cell(v, t) for v, t in zip(values, terms)]


def to_csv(result, delimiter: str = ",", raw: bool = False, stream=None) -> str | None:
    """The result as CSV (or TSV): csv_rows() cells, made spreadsheet-safe unless `raw`; as text, or
    written to `stream` row by row."""
    return write_csv(csv_lines(result, raw), delimiter, stream)


def _json_term(term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype and term.datatype.value != ns.XSD + "string":
        out["datatype"] = term.datatype.value
    return out


def to_json(result) -> str:
    """The W3C SPARQL 1.1 Query Results JSON format."""
    bindings = [{c: _json_term(t) for c, t in zip(result.columns, row) if t is not None} for row in result.rows]
    return json.dumps({"head": {"vars": list(result.columns)}, "results": {"bindings": bindings}},
                      ensure_ascii=False, indent=2) + "\n"


def display(term, lang: str = "en", vocabulary=None) -> str:
    """A cell for people: 'Label (curie)' for vocabulary terms, `slug@version#node` for policy nodes."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        iri = term.value
        if iri.startswith(ns.POLICY_BASE):
            slug, _, rest = iri[len(ns.POLICY_BASE):].partition("/")
            return f"{slug}@{rest}" if rest else slug
        short = ns.shorten(iri)
        label = vocabulary.label(iri, lang) if vocabulary is not None and short != iri else None
        return f"{label} ({short})" if label else short
    if isinstance(term, ox.Literal) and term.language:
        return f"{term.value} @{term.language}"
    return cell(term)


def to_table(result, lang: str = "en", vocabulary=None) -> Table:
    count = f"{len(result.rows)} row{'' if len(result.rows) == 1 else 's'}"
    table = Table(title=rich_text(f"{result.query.title} ({count})"), title_justify="left",
                  show_lines=False, expand=False)
    for column in result.columns:
        table.add_column(rich_text(column), overflow="fold")
    for row in result.rows:
        table.add_row(*[rich_text(display(t, lang, vocabulary)) for t in row])
    return table


def render(result, fmt: str, lang: str = "en", vocabulary=None, raw_csv: bool = False):
    """The result in one of FORMATS: a string for csv/tsv/json, a rich Table for table. CSV and TSV cells
    are spreadsheet-safe (spreadsheet_cell) unless `raw_csv`."""
    if fmt == "csv":
        return to_csv(result, raw=raw_csv)
    if fmt == "tsv":
        return to_csv(result, "\t", raw=raw_csv)
    if fmt == "json":
        return to_json(result)
    return to_table(result, lang, vocabulary)


def queries_table(queries) -> Table:
    """The library: name, title, parameters."""
    table = Table(title=f"{len(queries)} queries", title_justify="left")
    table.add_column("name", no_wrap=True)
    table.add_column("title")
    table.add_column("params")
    for name, query in sorted(queries.items()):   # query files may come from anyone (--dir, a .rq path)
        params = ", ".join(f"{p.name}:{p.type}{'' if p.required else '?'}" for p in query.params)
        table.add_row(rich_text(name), rich_text(query.title), rich_text(params))
    return table


def queries_json(queries) -> str:
    return json.dumps([{"name": name, "title": q.title, "description": q.description, "legal": q.legal,
                        "columns": q.columns,
                        "params": [{"name": p.name, "type": p.type, "required": p.required, "help": p.help}
                                   for p in q.params]}
                       for name, q in sorted(queries.items())], ensure_ascii=False, indent=2) + "\n"
