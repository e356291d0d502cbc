"""Presentation of query results and of the query library: CSV, TSV, JSON, rich tables.

`csv_rows()` is the one definition of a result as text cells, used by the CSV/TSV output and by the
expected-result files tests/queries/<name>.expected.csv: an IRI is its CURIE (`kg.namespaces.shorten`,
the full IRI when no prefix matches), a literal its lexical form (no language tag, no datatype), an
unbound cell the empty string. Tables show vocabulary labels in the chosen language (fr falls back to en).

Tables are for people: every cell and title is a rich Text of `kg.terminal.printable` (control characters
shown, never markup). A table that goes to a file or a pipe rather than a terminal is written as plain
tab-separated lines of the same cells (`plain_lines`), never cut to a terminal's width. CSV and TSV files
are for spreadsheets: a cell that a spreadsheet would run as a formula gets a leading single quote (see
`spreadsheet_cell`), unless raw values are asked for. CSV and TSV are written row by row as the rows come
(a QueryStream of kg.queries, or a QueryResult).
"""
from __future__ import annotations

import csv
import io
import json
import re

import pyoxigraph as ox
from rich.table import Table

from . import namespaces as ns
from .terminal import printable, rich_text

FORMATS = ("table", "csv", "tsv", "json")
LANGS = ("en", "fr")


def cell(term) -> str:
    """One result cell as text (the expected-CSV rule)."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return shorten(term.value)
    if isinstance(term, ox.Literal):
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return str(term)


_STEMS: dict[str, tuple[str, int] | None] = {}


def shorten(iri: str) -> str:
    """kg.namespaces.shorten, remembered by the IRI's namespace part (up to its last '/' or '#'): every
    namespace of kg.namespaces.PREFIXES ends with one of them, so the namespaces that start an IRI are those
    that start that part. A row dump shortens millions of IRIs of a few thousand namespaces."""
    cut = max(iri.rfind("#"), iri.rfind("/")) + 1
    stem = iri[:cut]
    known = _STEMS.get(stem, False)
    if known is False:
        short = ns.shorten(stem + "x")
        known = None if short == stem + "x" else (short[:-1], len(stem))
        if len(_STEMS) > 100_000:
            _STEMS.clear()
        _STEMS[stem] = known
    if known is None:
        return iri
    curie_head, length = known   # 'dpv:' + the part of the stem after the namespace
    return curie_head + iri[length:]


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
        (quoted if "\r" in "".join(row) else minimal).writerow(row)
    return out.getvalue() if stream is None else None


def csv_lines(result, raw: bool = False):
    """The header, then each solution's cells (made spreadsheet-safe unless `raw`), one row at a time: the
    cells of csv_rows(), computed for speed (a dump writes millions): an IRI's cell is remembered, and only
    literals (and other terms) can start like a formula (an IRI starts with its scheme's letter, a CURIE
    with its prefix's)."""
    yield list(result.columns)
    named, literal = ox.NamedNode, ox.Literal
    iris: dict[str, str] = {}
    for terms in result.rows:
        values = []
        for term in terms:
            kind = type(term)
            if kind is named:
                iri = term.value
                text = iris.get(iri)
                if text is None:
                    text = shorten(iri)
                    if len(iris) < 200_000:
                        iris[iri] = text
            elif term is None:
                text = ""
            elif kind is literal:
                text = term.value
                if not raw and text.startswith(FORMULA_STARTS):
                    text = spreadsheet_cell(text, term)
            else:
                text = cell(term)
                if not raw:
                    text = spreadsheet_cell(text, term)
            values.append(text)
        yield values


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


class Labels:
    """Labels looked up in a {(IRI, language): label} table (kg.queries.store_labels), with the vocabulary's
    rule: French falls back to English."""

    def __init__(self, table: dict[tuple[str, str], str]):
        self.table = table

    def label(self, iri, lang: str = "en") -> str | None:
        iri = str(iri)
        return self.table.get((iri, lang.lower())) or self.table.get((iri, "en"))


def to_table(result, lang: str = "en", vocabulary=None) -> Table:
    count = f"{len(result.rows)} row{'' if len(result.rows) == 1 else 's'}"
    table = Table(title=rich_text(f"{result.query.title} ({count})"), title_justify="left",
                  show_lines=False, expand=False)
    for column in result.columns:
        table.add_column(rich_text(column), overflow="fold")
    for row in result.rows:
        table.add_row(*[rich_text(display(t, lang, vocabulary)) for t in row])
    return table


def plain_cell(text: str) -> str:
    """A cell of a plain (tab-separated) table: printable, its tabs shown as \\t so that columns stay."""
    return printable(text).replace("\t", "\\t")


def plain_lines(result, lang: str = "en", vocabulary=None):
    """The table's cells (as `to_table` shows them) as tab-separated lines, header first, each ending in a
    newline: what `--format table` writes to a file or a pipe, whole, whatever its width."""
    yield "\t".join(plain_cell(c) for c in result.columns) + "\n"
    for row in result.rows:
        yield "\t".join(plain_cell(display(t, lang, vocabulary)) for t in row) + "\n"


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


def queries_plain(queries):
    """The library as tab-separated lines (name, title, params), header first: the list for a file or pipe."""
    yield "name\ttitle\tparams\n"
    for name, query in sorted(queries.items()):
        params = ", ".join(f"{p.name}:{p.type}{'' if p.required else '?'}" for p in query.params)
        yield "\t".join(plain_cell(x) for x in (name, query.title, params)) + "\n"


def queries_json(queries) -> str:
    from .queries import default_paging
    return json.dumps([{"name": name, "title": q.title, "description": q.description, "legal": q.legal,
                        "columns": q.columns, "paging": default_paging(q),
                        "params": [{"name": p.name, "type": p.type, "required": p.required, "help": p.help}
                                   for p in q.params]}
                       for name, q in sorted(queries.items())], ensure_ascii=False, indent=2) + "\n"


def pushed_json(pushed, endpoint: str, graph_store: str, removed: list[str] | None = None) -> str:
    """What `push --format json` writes: the server, each graph replaced (IRI, triples, seconds), the totals,
    and with --prune the graphs removed."""
    graphs = [{"graph": p.graph, "triples": p.triples, "seconds": round(p.seconds, 3)} for p in pushed]
    out = {"endpoint": endpoint, "graphStore": graph_store, "graphs": graphs,
           "triples": sum(p.triples for p in pushed), "seconds": round(sum(p.seconds for p in pushed), 3)}
    if removed is not None:
        out["removed"] = removed
    return json.dumps(out, ensure_ascii=False, indent=2) + "\n"
