"""Presentation of query results and of the query library: CSV, TSV, JSON, rich tables.

`csv_rows()` is the one definition of a result as text cells, used by the CSV/TSV output and by the
expected-result files tests/queries/<name>.expected.csv: an IRI is its CURIE (`kg.namespaces.shorten`,
the full IRI when no prefix matches), a literal its lexical form (no language tag, no datatype), an
unbound cell the empty string. Tables show vocabulary labels in the chosen language (fr falls back to en).
"""
from __future__ import annotations

import csv
import io
import json

import pyoxigraph as ox
from rich.table import Table

from . import namespaces as ns

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


def to_csv(result, delimiter: str = ",") -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerows(csv_rows(result))
    return out.getvalue()


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
    table = Table(title=f"{result.query.title} ({len(result.rows)} row{'' if len(result.rows) == 1 else 's'})", title_justify="left",
                  show_lines=False, expand=False)
    for column in result.columns:
        table.add_column(column, overflow="fold")
    for row in result.rows:
        table.add_row(*[display(t, lang, vocabulary) for t in row])
    return table


def render(result, fmt: str, lang: str = "en", vocabulary=None):
    """The result in one of FORMATS: a string for csv/tsv/json, a rich Table for table."""
    if fmt == "csv":
        return to_csv(result)
    if fmt == "tsv":
        return to_csv(result, "\t")
    if fmt == "json":
        return to_json(result)
    return to_table(result, lang, vocabulary)


def queries_table(queries) -> Table:
    """The library: name, title, parameters."""
    table = Table(title=f"{len(queries)} queries", title_justify="left")
    table.add_column("name", no_wrap=True)
    table.add_column("title")
    table.add_column("params")
    for name, query in sorted(queries.items()):
        params = ", ".join(f"{p.name}:{p.type}{'' if p.required else '?'}" for p in query.params)
        table.add_row(name, query.title, params)
    return table


def queries_json(queries) -> str:
    return json.dumps([{"name": name, "title": q.title, "description": q.description, "legal": q.legal,
                        "columns": q.columns,
                        "params": [{"name": p.name, "type": p.type, "required": p.required, "help": p.help}
                                   for p in q.params]}
                       for name, q in sorted(queries.items())], ensure_ascii=False, indent=2) + "\n"
