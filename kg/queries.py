"""The query library: `queries/*.rq`, their headers, typed parameters bound as values, runs on a store.

A query file opens with a comment header (docs: /work/shared/STYLE.md §5, docs/queries-engine.md):

    # title: Processes for a purpose
    # description: Every process … (continuation lines start with '#   ')
    # param: purpose  IRI  required  a DPV purpose, e.g. dpv:DirectMarketing
    # columns: purpose policy process
    # legal: GDPR Art. 13(1)(c)

Parameter values are checked against their type and become RDF terms (IRI -> NamedNode, literal ->
plain literal, date -> xsd:date, integer -> xsd:integer); the store binds the terms (pyoxigraph
substitutions on the embedded store, a VALUES block of serialised terms on an endpoint). The user's text
is never put into the query text. The library raises KgError subclasses and never prints.
"""
from __future__ import annotations

import difflib
import os
import re
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyoxigraph as ox

from . import namespaces as ns
from .errors import InputNotFoundError, Location, UsageError

QUERIES_ENV = "POLICYKG_QUERIES_DIR"
PARAM_TYPES = ("IRI", "CURIE", "literal", "date", "integer")
HEADER_KEYS = ("title", "description", "param", "columns", "legal")
XSD_DATE = ox.NamedNode(ns.XSD + "date")
XSD_INTEGER = ox.NamedNode(ns.XSD + "integer")
_KEY = re.compile(r"#\s?([A-Za-z][\w-]*):\s?(.*)$")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ABSOLUTE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


class QueryError(UsageError):
    """A query file whose header or text is wrong."""
    id = "invalid-query"


class ParamError(UsageError):
    """A --param that the query does not declare, a missing required one, or a value of the wrong type."""
    id = "bad-param"


@dataclass(frozen=True)
class Param:
    name: str
    type: str        # one of PARAM_TYPES
    required: bool
    help: str = ""

    def usage(self) -> str:
        return f"{self.name}=<{self.type}> ({'required' if self.required else 'optional'}: {self.help})"


@dataclass
class Query:
    name: str
    path: Path
    text: str
    title: str = ""
    description: str = ""
    params: list[Param] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    legal: str = ""

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def params_usage(self) -> str:
        if not self.params:
            return f"query '{self.name}' takes no parameter"
        return f"query '{self.name}' takes " + "; ".join(p.usage() for p in self.params)


@dataclass
class QueryResult:
    """The answer of a query: columns, rows of pyoxigraph terms (None = unbound), what was run where."""
    query: Query
    columns: list[str]
    rows: list[tuple]
    text: str                      # the query text as sent (the file's text on the embedded store)
    store: str = ""
    bindings: dict = field(default_factory=dict)
    seconds: float = 0.0


# --- finding and parsing ------------------------------------------------------------------------------------

def queries_dir() -> Path:
    """$POLICYKG_QUERIES_DIR, else the shipped library (queries/ in the repository)."""
    if os.environ.get(QUERIES_ENV):
        return Path(os.environ[QUERIES_ENV])
    from .resources import queries_dir as shipped
    return shipped()


def find_queries(directory: str | Path | None = None) -> dict[str, Query]:
    """Every `*.rq` of the library by name (the file stem), parsed and checked."""
    folder = Path(directory) if directory else queries_dir()
    if not folder.is_dir():
        raise InputNotFoundError(f"no query folder {folder}", str(folder), "give a folder of .rq files to --dir")
    return {path.stem: parse_query(path) for path in sorted(folder.glob("*.rq"))}


def load_query(name_or_file: str, directory: str | Path | None = None) -> Query:
    """A library query by name, or a `.rq` file by path."""
    if name_or_file.endswith(".rq") or os.sep in name_or_file or "/" in name_or_file:
        path = Path(name_or_file)
        if not path.is_file():
            raise InputNotFoundError(f"no query file {path}", str(path), "check the path (or give a query name; "
                                     "'policykg queries' lists them)")
        return parse_query(path)
    folder = Path(directory) if directory else queries_dir()
    path = folder / f"{name_or_file}.rq"
    if path.is_file():
        return parse_query(path)
    names = sorted(p.stem for p in folder.glob("*.rq"))
    close = difflib.get_close_matches(name_or_file, names, n=3)
    hint = f"did you mean {', '.join(repr(c) for c in close)}? " if close else ""
    raise UsageError(f"no query named '{name_or_file}' in {folder}", str(folder),
                     f"{hint}run 'policykg queries' for the list ({len(names)} queries), or give a .rq file",
                     error_id="unknown-query")


def parse_query(path: str | Path, text: str | None = None) -> Query:
    """Read a query file's header and check it against the query (see check_query)."""
    path = Path(path)
    if text is None:
        from .files import read_text_input
        text = read_text_input(path, "query file")   # not found, empty, binary, not UTF-8, too large
    query = Query(name=path.stem, path=path, text=text)
    last_key = None
    values: dict[str, list[str]] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.startswith("#"):
            break
        where = Location(str(path), lineno)
        m = _KEY.match(line)
        if m and m.group(1) in HEADER_KEYS:
            last_key, value = m.group(1), m.group(2).strip()
            if last_key == "param":
                query.params.append(_parse_param(value, where, query))
            elif last_key in values:
                raise QueryError(f"the header has '{last_key}' twice", where, "keep one line (continue it on "
                                 "lines starting with '#   ')")
            else:
                values[last_key] = [value]
        elif line.strip() == "#":
            continue
        elif line.startswith("#  ") and last_key in ("title", "description", "legal"):
            values[last_key].append(line[1:].strip())
        elif m:
            raise QueryError(f"unknown header key '{m.group(1)}'", where,
                             "use one of " + ", ".join(HEADER_KEYS))
        else:
            raise QueryError("a header line that is neither 'key: value' nor a continuation", where,
                             "start continuation lines with '#   ' (three spaces), or end the header first")
    query.title = " ".join(values.get("title", [])).strip()
    query.description = " ".join(values.get("description", [])).strip()
    query.legal = " ".join(values.get("legal", [])).strip()
    query.columns = " ".join(values.get("columns", [])).split()
    check_query(query)
    return query


def _parse_param(value: str, where: Location, query: Query) -> Param:
    parts = value.split(None, 3)
    if len(parts) < 3:
        raise QueryError(f"param line '{value}' needs a name, a type and required|optional", where,
                         "write '# param: NAME TYPE required|optional HELP', e.g. "
                         "'# param: purpose IRI required a DPV purpose'")
    name, kind, need = parts[:3]
    types = {t.lower(): t for t in PARAM_TYPES}
    if not _NAME.fullmatch(name):
        raise QueryError(f"param name '{name}' is not a SPARQL variable name", where, "use letters, digits and _")
    if kind.lower() not in types:
        raise QueryError(f"param '{name}' has an unknown type '{kind}'", where, "use one of " + ", ".join(PARAM_TYPES))
    if need not in ("required", "optional"):
        raise QueryError(f"param '{name}' must be 'required' or 'optional', not '{need}'", where,
                         "write required or optional after the type")
    if query.param(name):
        raise QueryError(f"param '{name}' is declared twice", where, "keep one declaration")
    return Param(name, types[kind.lower()], need == "required", parts[3].strip() if len(parts) > 3 else "")


_EMPTY = None


def select_variables(text: str, where: str = "") -> list[str]:
    """The SELECT variables of a query (parsed by pyoxigraph on an empty store); a syntax error or another
    query form is a QueryError."""
    global _EMPTY
    if _EMPTY is None:
        _EMPTY = ox.Store()
    try:
        result = _EMPTY.query(text)
    except SyntaxError as exc:
        at = re.search(r"at (\d+):(\d+)", str(exc))   # pyoxigraph: 'error at LINE:COLUMN: …'
        if at and isinstance(where, str):
            where = Location(where, int(at.group(1)), int(at.group(2)))
        raise QueryError(f"the query does not parse: {exc}", where, "fix the SPARQL syntax at that line and column") from None
    if not isinstance(result, ox.QuerySolutions):
        raise QueryError("the query is not a SELECT", where, "library queries are SELECT queries")
    return [v.value for v in result.variables]


def check_query(query: Query) -> None:
    """title and description present; columns == the SELECT variables; each param a projected variable."""
    where = str(query.path)
    for key in ("title", "description"):
        if not getattr(query, key):
            raise QueryError(f"the header has no '{key}'", where, f"add a '# {key}: …' line at the top")
    variables = select_variables(query.text, where)
    if query.columns != variables:
        raise QueryError(f"'columns: {' '.join(query.columns)}' differs from the SELECT variables "
                         f"'{' '.join(variables)}'", where, "list the SELECT variables, in order, in '# columns:'")
    body = "\n".join(line for line in query.text.splitlines() if not line.startswith("#"))
    for param in query.params:
        if not re.search(rf"[?$]{param.name}\b", body):
            raise QueryError(f"param '{param.name}' is not a variable of the query", where,
                             f"use ?{param.name} in the query or remove the param line")
        if param.name not in variables:
            raise QueryError(f"param '{param.name}' is not a SELECT variable", where,
                             f"add ?{param.name} to the SELECT clause (and to '# columns:'): the embedded store "
                             "binds parameters of the projection only, see docs/queries-engine.md")
    if not re.search(r"\bORDER\s+BY\b", body, re.IGNORECASE):
        raise QueryError("the query has no ORDER BY", where, "end the SELECT with ORDER BY so results are stable")


# --- parameters ----------------------------------------------------------------------------------------------

def parse_param_args(args: list[str] | None) -> dict[str, str]:
    """['name=value', …] (the --param options) -> {name: value}; a name or value that is not UTF-8 text is a
    bad-param error naming the parameter."""
    out: dict[str, str] = {}
    for arg in args or []:
        name, sep, value = arg.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ParamError(f"--param '{arg}' is not name=value", None, "write --param NAME=VALUE",
                             error_id="bad-param")
        check_utf8(name, f"--param {name}", "name")
        check_utf8(value, f"--param {name}")
        if name in out:
            raise ParamError(f"--param {name} is given twice", None, "give each parameter once")
        out[name] = value
    return out


def check_utf8(text: str, option: str, part: str = "value") -> str:
    """`text` from the command line, or a bad-param error when it holds bytes that are not UTF-8: Python
    decodes argv with surrogateescape, so such a byte is a lone surrogate that no RDF term, store or file
    can take (pyoxigraph would fail with a ValueError)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        code = ord(text[exc.start])
        byte = f"byte 0x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"U+{code:04X}"
        raise ParamError(f"{option}: the {part} is not UTF-8 text ({byte} at character {exc.start + 1})", option,
                         "give the value as UTF-8 text (set a UTF-8 locale, or convert it with iconv -t utf-8)",
                         error_id="bad-param") from None
    return text


def to_term(param: Param, value: str, query_name: str = ""):
    """A checked parameter value -> the pyoxigraph term to bind."""
    def bad(what: str, fix: str) -> ParamError:
        return ParamError(f"--param {param.name}={value!r}: {what}", f"query {query_name}", fix)

    check_utf8(value, f"--param {param.name}")   # callers of the library skip parse_param_args

    if param.type in ("IRI", "CURIE"):
        text = value.strip()
        if text.startswith("<") and text.endswith(">"):
            text = text[1:-1]
        iri = ns.expand_curie(text)
        if iri is None:
            if not _ABSOLUTE_IRI.match(text) or text.split(":", 1)[0] in ("_",):
                raise bad("not an IRI or a CURIE with a known prefix",
                          "give a full IRI (https://…) or a CURIE with one of the prefixes "
                          + ", ".join(ns.PREFIXES))
            iri = text
        try:
            return ox.NamedNode(iri)
        except ValueError as exc:
            raise bad(f"not a valid IRI ({exc})", "remove spaces, quotes, braces and angle brackets") from None
    if param.type == "literal":
        return ox.Literal(value)
    if param.type == "date":
        try:
            if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):   # ASCII digits: \d takes any script
                raise ValueError
            date.fromisoformat(value)
        except ValueError:
            raise bad("not a date", "write the date as YYYY-MM-DD, e.g. 2024-05-19") from None
        return ox.Literal(value, datatype=XSD_DATE)
    if param.type == "integer":
        if not re.fullmatch(r"[+-]?[0-9]{1,4000}", value.strip()):   # Python's int() stops at 4300 digits
            raise bad("not an integer", "write a whole number (ASCII digits, at most 4000), e.g. 30")
        return ox.Literal(str(int(value)), datatype=XSD_INTEGER)
    raise bad(f"unknown type {param.type}", "fix the query's header")  # pragma: no cover - checked at parse


def bind_params(query: Query, values: dict[str, str]) -> dict[str, object]:
    """{name: value} -> {name: term}; an undeclared or missing parameter, or a bad value, is a ParamError
    whose fix lists the query's parameters."""
    for name in values:
        if query.param(name) is None:
            raise ParamError(f"query '{query.name}' has no parameter '{name}'", f"query {query.name}",
                             query.params_usage(), error_id="unknown-param")
    missing = [p.name for p in query.params if p.required and p.name not in values]
    if missing:
        raise ParamError(f"query '{query.name}' needs the parameter '{missing[0]}'", f"query {query.name}",
                         f"add --param {missing[0]}=…; " + query.params_usage(), error_id="missing-param")
    return {name: to_term(query.param(name), value, query.name) for name, value in values.items()}


# --- running ---------------------------------------------------------------------------------------------------

def run_query(store, query: Query, params: dict[str, str] | None = None, policy: str | None = None) -> QueryResult:
    """Run a library query on a store (kg.stores: embedded or endpoint) with its parameters bound.

    `policy` (SLUG or SLUG@DATE) binds the query's `policy` parameter to that policy version's graph
    (SLUG alone: its latest version).
    """
    values = dict(params or {})
    if policy:
        if query.param("policy") is None:
            raise ParamError(f"query '{query.name}' has no 'policy' parameter, so --policy does not apply",
                             f"query {query.name}", "leave out --policy; " + query.params_usage(),
                             error_id="unknown-param")
        if "policy" in values:
            raise ParamError("both --policy and --param policy=… are given", f"query {query.name}",
                             "give one of them")
        values["policy"] = store.policy_graph(policy)
    bindings = bind_params(query, values)
    start = time.perf_counter()
    solutions = store.select(query.text, bindings)
    seconds = time.perf_counter() - start
    return QueryResult(query, solutions.columns, solutions.rows, solutions.text, str(store), bindings, seconds)
