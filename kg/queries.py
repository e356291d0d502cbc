"""The query library: `queries/*.rq` and their headers, a user's own SPARQL, typed parameters bound as
values, runs on a store, whole or page by page.

Longer than 450 lines because it holds the three parts of running a query that share its model (Query,
Param, the paging forms): reading queries, binding parameters, running them whole or page by page. They
become the package kg.queries (library, params, run) once pyproject.toml lists it (a package must be
installed: tests/test_architecture.py).

**Reading.** A library query opens with a comment header (docs/queries-engine.md):

    # title: Processes for a purpose
    # description: Every process … (continuation lines start with '#   ')
    # param: purpose  IRI  required  a DPV purpose, e.g. dpv:DirectMarketing
    # columns: purpose policy process
    # legal: GDPR Art. 13(1)(c)
    # paging: policy

The library's rules (title and description present, columns equal to the SELECT variables, an ORDER BY,
every header line a known key) apply to library queries only, and every problem of a header is reported at
once. A user's own file (`policykg query my.rq`) or text (`--sparql`) runs as it is: its comments are
comments, and only its `# param:` lines (which let `--param` bind values) are read and checked.

**Parameters.** Values are checked against their type and become RDF terms (IRI -> NamedNode, literal ->
plain literal, date -> xsd:date, integer -> xsd:integer); the store binds the terms (pyoxigraph
substitutions on the embedded store, a VALUES block of serialised terms on an endpoint). The user's text is
never put into the query text. The library raises KgError subclasses and never prints.

**Running.** A query runs on a store (kg.stores: the embedded store or an endpoint): its whole answer, or a
page of it (`limit` rows after `offset`), as a list (run_query) or as rows that come while the store
answers (stream_query).

A page is the rows the whole ordered answer has at those places, reached in one of three forms
(docs/queries-engine.md, Paging):

- `policy`: a query whose ORDER BY starts with ?policy (after parameters bound to one value) and that has a
  `policy` parameter left unbound is run once per policy graph of the store, in the order of the graph IRIs
  (SPARQL's order of IRIs), each with `policy` bound as a single value exactly as `--policy` binds it; the
  rows of each are in the query's own order, so their concatenation is the whole answer's order. It stops
  once `offset + limit` rows are there: the first page reads a few policies, not the corpus.
- `batch`: the same, over batches of policy graphs bound at once as a VALUES block (`with_graphs`), for
  queries whose evaluation has a fixed cost per call (a hierarchy walk) that a batch shares; a query says
  so in its header (`# paging: batch`), since Oxigraph plans some queries badly with such a block.
- `whole`: any other query, or one whose header says `# paging: whole` (few rows in the whole corpus, found
  from a few vocabulary terms): the text with SPARQL's LIMIT and OFFSET.

Without a limit or offset the whole query is run (the fastest way to every row, measured in
benchmarks/bench_query.py --paging) and its rows are given one by one.
"""
from __future__ import annotations

import difflib
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyoxigraph as ox

from . import namespaces as ns
from .errors import InputNotFoundError, KgError, Location, UsageError, WriteError
from .files import write_atomic
from .stores.ordering import split_order
from .stores.oxigraph import QUERY_GRAPHS_FILE, generation_file
from .stores.sparql import serialize_term, where_brace
from .stores.sparql_text import tokens

QUERIES_ENV = "POLICYKG_QUERIES_DIR"
PARAM_TYPES = ("IRI", "CURIE", "literal", "date", "integer")
HEADER_KEYS = ("title", "description", "param", "columns", "legal", "paging", "values")
# how `--limit/--offset` page a query over the store's policies (kg.queries.run): one policy at a time, batches
# of policies bound as a VALUES block, or the whole query with SPARQL's LIMIT/OFFSET
PAGING_FORMS = ("policy", "batch", "whole")
_KEY = re.compile(r"#\s?([A-Za-z][\w-]*):\s?(.*)$")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class QueryError(UsageError):
    """A query file whose header or text is wrong."""
    id = "invalid-query"

    def __init__(self, what: str, where=None, fix: str | None = None, *, error_id: str | None = None,
                 errors: list[KgError] | None = None):
        super().__init__(what, where, fix, error_id=error_id)
        self.errors = list(errors or [])   # several problems: each printed first (kg.cli.main.print_error)


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
    paging: str = ""          # one of PAGING_FORMS, or "" (chosen by kg.queries.run)
    values: list[str] = field(default_factory=list)   # parameters the embedded store binds as a VALUES block
    library: bool = True      # the library's header rules were checked (False: a user's file or --sparql text)

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def params_usage(self) -> str:
        if not self.params:
            return (f"query '{self.name}' takes no parameter" if self.library else
                    f"query '{self.name}' declares no parameter (declare one with a line "
                    "'# param: NAME TYPE required|optional HELP' at its top)")
        return f"query '{self.name}' takes " + "; ".join(p.usage() for p in self.params)

    def order_keys(self) -> list[tuple[str, bool]]:
        """The keys [(variable, descending)] of the ORDER BY the query ends with (over plain variables, maybe
        then LIMIT/OFFSET), or [] (kg.stores.ordering.split_order)."""
        plan = split_order(self.text)
        return plan[1] if plan else []


# --- finding ---------------------------------------------------------------------------------------------------

def queries_dir() -> Path:
    """$POLICYKG_QUERIES_DIR, else the shipped library (queries/ in the repository)."""
    if os.environ.get(QUERIES_ENV):
        return Path(os.environ[QUERIES_ENV])
    from .resources import queries_dir as shipped
    return shipped()


def find_queries(directory: str | Path | None = None) -> dict[str, Query]:
    """Every `*.rq` of the library by name (the file stem), parsed and checked against the library's rules;
    the problems of every file are reported together."""
    folder = Path(directory) if directory else queries_dir()
    if not folder.is_dir():
        raise InputNotFoundError(f"no query folder {folder}", str(folder), "give a folder of .rq files to --dir")
    found: dict[str, Query] = {}
    problems: list[KgError] = []
    for path in sorted(folder.glob("*.rq")):
        try:
            found[path.stem] = parse_query(path)
        except QueryError as exc:
            problems += exc.errors or [exc]
        except KgError as exc:   # unreadable: empty, binary, not UTF-8 …
            problems.append(exc)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        files = sorted({_file_of(p) for p in problems})
        raise QueryError(f"{len(problems)} problems in {len(files)} query file(s) of {folder}", str(folder),
                         "fix each problem listed above (each names its file and line)", errors=problems)
    return found


def _file_of(error: KgError) -> str:
    where = error.where
    return where.file if isinstance(where, Location) else str(where or "?")


def load_query(name_or_file: str, directory: str | Path | None = None) -> Query:
    """A library query by name, or a `.rq` file of the user's own by path (run as it is: see the module)."""
    if name_or_file.endswith(".rq") or os.sep in name_or_file or "/" in name_or_file:
        path = Path(name_or_file)
        if not path.is_file():
            raise InputNotFoundError(f"no query file {path}", str(path), "check the path (or give a query name; "
                                     "'policykg queries' lists them)")
        return parse_query(path, library=False)
    folder = Path(directory) if directory else queries_dir()
    path = folder / f"{name_or_file}.rq"
    if path.is_file():
        return parse_query(path)
    names = sorted(p.stem for p in folder.glob("*.rq"))
    close = difflib.get_close_matches(name_or_file, names, n=3)
    hint = f"did you mean {', '.join(repr(c) for c in close)}? " if close else ""
    raise UsageError(f"no query named '{name_or_file}' in {folder}", str(folder),
                     f"{hint}run 'policykg queries' for the list ({len(names)} queries), give a .rq file, or "
                     "give the SPARQL itself with --sparql", error_id="unknown-query")


def sparql_query(text: str, name: str = "sparql") -> Query:
    """A query given as text (`policykg query --sparql '…'`): run as it is, like a user's file."""
    return parse_query(Path(f"<--{name}>"), text, library=False)


# --- reading a header ------------------------------------------------------------------------------------------

def parse_query(path: str | Path, text: str | None = None, *, library: bool = True) -> Query:
    """Read a query's header and check the query: against every rule of the library when `library`
    (check_query), else only what running it needs (it parses, is a SELECT, its declared parameters are
    SELECT variables). All the problems found are raised at once: one QueryError, or one that holds each."""
    path = Path(path)
    if text is None:
        from .files import read_text_input
        text = read_text_input(path, "query file")   # not found, empty, binary, not UTF-8, too large
    query = Query(name=path.stem if path.suffix == ".rq" else path.name, path=path, text=text, library=library)
    problems: list[QueryError] = []
    values = _read_header(query, problems)
    query.title = " ".join(values.get("title", [])).strip()
    query.description = " ".join(values.get("description", [])).strip()
    query.legal = " ".join(values.get("legal", [])).strip()
    query.columns = " ".join(values.get("columns", [])).split()
    query.paging = " ".join(values.get("paging", [])).strip()
    query.values = " ".join(values.get("values", [])).split()
    check_query(query, problems)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise QueryError(f"{len(problems)} problems in {path}", str(path),
                         "fix each problem listed above (each names its line)", errors=problems)
    return query


def _read_header(query: Query, problems: list[QueryError]) -> dict[str, list[str]]:
    """The header's values by key; each wrong line a problem (a user's file: only its param lines count)."""
    last_key = None
    values: dict[str, list[str]] = {}
    for lineno, line in enumerate(query.text.splitlines(), 1):
        if not line.startswith("#"):
            break
        where = Location(str(query.path), lineno)
        m = _KEY.match(line)
        if m and m.group(1) in HEADER_KEYS and (query.library or m.group(1) == "param"):
            last_key, value = m.group(1), m.group(2).strip()
            if last_key == "param":
                param = _parse_param(value, where, query, problems)
                if param is not None:
                    query.params.append(param)
            elif last_key in values:
                problems.append(QueryError(f"the header has '{last_key}' twice", where, "keep one line (continue it "
                                           "on lines starting with '#   ')"))
            else:
                values[last_key] = [value]
        elif not query.library:
            last_key = None            # a user's comment: its text is not a header's
        elif line.strip() == "#":
            continue
        elif line.startswith("#  ") and last_key in ("title", "description", "legal"):
            values[last_key].append(line[1:].strip())
        elif m:
            problems.append(QueryError(f"unknown header key '{m.group(1)}'", where,
                                       "use one of " + ", ".join(HEADER_KEYS)))
        else:
            problems.append(QueryError("a header line that is neither 'key: value' nor a continuation", where,
                                       "start continuation lines with '#   ' (three spaces), or end the header "
                                       "first"))
    return values


def _parse_param(value: str, where: Location, query: Query, problems: list[QueryError]) -> Param | None:
    parts = value.split(None, 3)

    def bad(what: str, fix: str) -> None:
        problems.append(QueryError(what, where, fix))

    if len(parts) < 3:
        return bad(f"param line '{value}' needs a name, a type and required|optional",
                   "write '# param: NAME TYPE required|optional HELP', e.g. "
                   "'# param: purpose IRI required a DPV purpose'")
    name, kind, need = parts[:3]
    types = {t.lower(): t for t in PARAM_TYPES}
    if not _NAME.fullmatch(name):
        return bad(f"param name '{name}' is not a SPARQL variable name", "use letters, digits and _")
    if kind.lower() not in types:
        return bad(f"param '{name}' has an unknown type '{kind}'", "use one of " + ", ".join(PARAM_TYPES))
    if need not in ("required", "optional"):
        return bad(f"param '{name}' must be 'required' or 'optional', not '{need}'",
                   "write required or optional after the type")
    if query.param(name):
        return bad(f"param '{name}' is declared twice", "keep one declaration")
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
        kind = "an ASK" if isinstance(result, (bool, ox.QueryBoolean)) else "a CONSTRUCT or DESCRIBE"
        raise QueryError(f"the query is {kind} query, not a SELECT", where,
                         "write it as a SELECT (policykg runs SELECT queries; for a graph, use 'policykg export')")
    return [v.value for v in result.variables]


def check_query(query: Query, problems: list[QueryError] | None = None) -> None:
    """The library's rules (title and description present; columns == the SELECT variables; each param a
    projected variable; an ORDER BY; a known paging form that fits the query), or for a user's query only
    what running it needs. Problems are appended to `problems`, or the first one raised."""
    out: list[QueryError] = [] if problems is None else problems
    where = str(query.path)
    if query.library:
        for key in ("title", "description"):
            if not getattr(query, key):
                out.append(QueryError(f"the header has no '{key}'", where, f"add a '# {key}: …' line at the top"))
    try:
        variables = select_variables(query.text, where)
    except QueryError as exc:
        out.append(exc)
        variables = None
    if variables is not None:
        if not query.library:
            query.columns = variables
        elif query.columns != variables:
            out.append(QueryError(f"'columns: {' '.join(query.columns)}' differs from the SELECT variables "
                                  f"'{' '.join(variables)}'", where,
                                  "list the SELECT variables, in order, in '# columns:'"))
    body = _code(query.text)
    for param in query.params:
        if not re.search(rf"[?$]{param.name}\b", body):
            out.append(QueryError(f"param '{param.name}' is not a variable of the query", where,
                                  f"use ?{param.name} in the query or remove the param line"))
        elif variables is not None and param.name not in variables:
            out.append(QueryError(f"param '{param.name}' is not a SELECT variable", where,
                                  f"add ?{param.name} to the SELECT clause" + (" (and to '# columns:')" if query.library
                                                                             else "") +
                                  ": the embedded store binds parameters of the projection only, see "
                                  "docs/queries-engine.md"))
    if query.library and not re.search(r"\bORDER\s+BY\b", body, re.IGNORECASE):
        out.append(QueryError("the query has no ORDER BY", where, "end the SELECT with ORDER BY so results are stable"))
    if query.paging:
        problem = _paging_problem(query)
        if problem:
            out.append(QueryError(problem, where, "write '# paging: whole', or see docs/queries-engine.md "
                                                  "(Paging) for when 'policy' and 'batch' apply"))
    for name in query.values:
        if query.param(name) is None:
            out.append(QueryError(f"'values: {name}' names no parameter of the query", where,
                                  "list in '# values:' only parameters declared by '# param:' lines"))
    if problems is None and out:
        raise out[0]


def _paging_problem(query: Query) -> str | None:
    if query.paging not in PAGING_FORMS:
        return f"'paging: {query.paging}' is not one of {', '.join(PAGING_FORMS)}"
    if query.paging == "whole":
        return None
    if query.param("policy") is None:
        return f"'paging: {query.paging}' needs a 'policy' parameter (the policy graph)"
    keys = [name for name, _ in query.order_keys()]
    lead = next((k for k in keys if k == "policy" or query.param(k) is None), None)
    if lead != "policy":
        return f"'paging: {query.paging}' needs an ORDER BY that starts with ?policy (after parameters)"
    return None


def _code(text: str) -> str:
    """The query without its comment lines (a header, a user's notes)."""
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


# --- parameters -----------------------------------------------------------------------------------------------

XSD_DATE = ox.NamedNode(ns.XSD + "date")
XSD_INTEGER = ox.NamedNode(ns.XSD + "integer")
_ABSOLUTE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


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


# --- running --------------------------------------------------------------------------------------------------

POLICY = "policy"
FIRST_BATCH = 16       # policies in the first batch of the `batch` form; later batches follow the rows found
MAX_BATCH = 512        # financial-and-sensitive-data at 10k: 1,000 graphs in a block 0.2 s, 1,024 graphs 20 s
# the policy graphs, as kg.inventory finds them (a graph that holds a privacy notice), without the identifier
# and counts the inventory reads (which cost ~5 times as much at 10k policies): only the order is needed here
POLICY_GRAPHS = """PREFIX dpv: <https://w3id.org/dpv#>
SELECT ?policy WHERE { GRAPH ?policy { ?notice a dpv:PrivacyNotice } }"""


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
    form: str = "whole"            # how it was run: whole, policy or batch (PAGING_FORMS)
    limit: int | None = None
    offset: int = 0


class QueryStream:
    """The rows of a query as the store gives them (iterate `rows` once); `count` and `seconds` are known once
    they are all read. Renderers take it as they take a QueryResult (kg.render.to_csv)."""

    def __init__(self, query: Query, columns: list[str], rows: Iterator[tuple], text: str, store: str,
                 bindings: dict, form: str, limit: int | None, offset: int):
        self.query, self.columns, self.text, self.store = query, columns, text, store
        self.bindings, self.form, self.limit, self.offset = bindings, form, limit, offset
        self.count = 0
        self.seconds = 0.0
        self.calls = 0             # SELECTs sent to the store
        self._rows = rows
        self._first: list[tuple] = []

    def prime(self) -> "QueryStream":
        """Wait for the first row (or the end): an error of the store is raised here, before anything is
        written."""
        if not self._first:
            start = time.perf_counter()
            try:
                self._first = [row for row in (next(self._rows, None),) if row is not None]
            finally:
                self.seconds += time.perf_counter() - start
        return self

    @property
    def rows(self) -> Iterator[tuple]:
        start = time.perf_counter()
        try:
            for row in self._first:
                self.count += 1
                yield row
            self._first = []
            for row in self._rows:
                self.count += 1
                yield row
        finally:
            self.seconds += time.perf_counter() - start


def run_query(store, query: Query, params: dict[str, str] | None = None, policy: str | None = None, *,
              limit: int | None = None, offset: int = 0) -> QueryResult:
    """Run a query on a store (kg.stores: embedded or endpoint) with its parameters bound.

    `policy` (SLUG or SLUG@DATE) binds the query's `policy` parameter to that policy version's graph
    (SLUG alone: its latest version). `limit` and `offset`: the rows of the whole ordered answer from
    `offset` on, at most `limit` of them (the module says how a page is reached quickly).
    """
    stream = stream_query(store, query, params, policy, limit=limit, offset=offset)
    rows = list(stream.rows)
    return QueryResult(query, stream.columns, rows, stream.text, stream.store, stream.bindings, stream.seconds,
                       stream.form, limit, offset)


def stream_query(store, query: Query, params: dict[str, str] | None = None, policy: str | None = None, *,
                 limit: int | None = None, offset: int = 0, form: str | None = None) -> QueryStream:
    """As run_query, the rows coming one by one as the store gives them. `form` forces a paging form
    (PAGING_FORMS; for measurements): it must fit the query."""
    if limit is not None and limit < 0 or offset < 0:
        raise ParamError(f"limit {limit} and offset {offset}: neither can be negative", f"query {query.name}",
                         "give --limit and --offset as whole numbers, 0 or more")
    bindings = _bindings(store, query, params, policy)
    chosen = paging_form(query, bindings)
    if form is not None:
        if form not in PAGING_FORMS or (form != "whole" and chosen == "whole" and not _pageable(query, bindings)):
            raise ParamError(f"query '{query.name}' cannot be run in the form '{form}'", f"query {query.name}",
                             "use one of " + ", ".join(PAGING_FORMS) + " ('policy' and 'batch' need a policy "
                             "parameter left unbound and an ORDER BY that starts with ?policy)")
        chosen = form
    elif limit is None and offset == 0:
        chosen = "whole"   # every row: one query is the fastest (docs/queries-engine.md, Paging)
    columns = query.columns or select_variables(query.text, str(query.path))
    if chosen == "whole":
        text, cut = query.text, (offset, limit)
        if (limit is not None or offset) and _orders_as_embedded(store):
            sliced = with_slice(query.text, limit, offset)
            if sliced is not None:
                text, cut = sliced, (0, None)
        text, sent = _planned(store, query, text, bindings)
        stream = QueryStream(query, columns, iter(()), text, str(store), bindings, "whole", limit, offset)
        stream._rows = _whole(store, stream, text, sent, *cut)
        return stream
    stream = QueryStream(query, columns, iter(()), query.text, str(store), bindings, chosen, limit, offset)
    stream._rows = _paged(store, stream, query, bindings, chosen, limit, offset)
    return stream


def _bindings(store, query: Query, params: dict[str, str] | None, policy: str | None) -> dict:
    values = dict(params or {})
    if policy:
        if query.param(POLICY) is None:
            raise ParamError(f"query '{query.name}' has no 'policy' parameter, so --policy does not apply",
                             f"query {query.name}", "leave out --policy; " + query.params_usage(),
                             error_id="unknown-param")
        if POLICY in values:
            raise ParamError("both --policy and --param policy=… are given", f"query {query.name}",
                             "give one of them")
        values[POLICY] = store.policy_graph_iri(policy)
    return bind_params(query, values)


# --- choosing the form -----------------------------------------------------------------------------------------

def _pageable(query: Query, bindings: dict) -> bool:
    """Whether the query can be run policy by policy: a `policy` parameter left unbound, and an ORDER BY (the
    query's end, no LIMIT or OFFSET of its own) whose first key not bound to one value is ?policy."""
    if query.param(POLICY) is None or POLICY in bindings:
        return False
    plan = split_order(query.text)
    if plan is None or plan[2] or plan[3] is not None:
        return False
    lead = next((name for name, _ in plan[1] if name not in bindings), None)
    return lead == POLICY


def default_paging(query: Query) -> str:
    """The form a page of the query takes on the whole corpus (its required parameters given, no other)."""
    return paging_form(query, {p.name: None for p in query.params if p.required})


def paging_form(query: Query, bindings: dict) -> str:
    """How a page of the query is reached (PAGING_FORMS): its header's `paging`, else `policy` when the query
    can be run policy by policy, else `whole`."""
    if query.paging == "whole" or not _pageable(query, bindings):
        return "whole"
    return query.paging or "policy"


# --- the whole query -------------------------------------------------------------------------------------------

def with_slice(text: str, limit: int | None, offset: int) -> str | None:
    """The query text with `LIMIT limit OFFSET offset` applied after its own (a LIMIT/OFFSET the text ends
    with is combined with them), or None when the text does not end where a LIMIT may follow (a trailing
    VALUES block, text that does not read as SPARQL): the rows are then cut after the store answers.
    Only the two numbers are written, never a user's text."""
    try:
        toks = [t for t in tokens(text) if t.kind not in ("ws", "comment")]
    except ValueError:
        return None
    own_limit, own_offset, i = None, 0, len(toks)
    while i >= 2 and toks[i - 2].kind == "name" and toks[i - 2].text.upper() in ("LIMIT", "OFFSET") \
            and toks[i - 1].kind == "number" and toks[i - 1].text.isdigit():
        if toks[i - 2].text.upper() == "LIMIT":
            own_limit = int(toks[i - 1].text)
        else:
            own_offset = int(toks[i - 1].text)
        i -= 2
    if not toks or i == 0:
        return None
    new_offset = own_offset + offset
    if own_limit is None:
        new_limit = limit
    else:
        new_limit = max(0, own_limit - offset) if limit is None else max(0, min(limit, own_limit - offset))
    head = text[:toks[i].start] if i < len(toks) else text
    clause = (f"LIMIT {new_limit} " if new_limit is not None else "") + (f"OFFSET {new_offset}" if new_offset else "")
    sliced = head.rstrip() + "\n" + clause.rstrip() + "\n"
    try:
        select_variables(sliced)
    except Exception:  # noqa: BLE001 - any refusal: cut the rows after the answer instead
        return None
    return sliced


def _orders_as_embedded(store) -> bool:
    """Whether the store's ORDER BY is the embedded store's, so that its LIMIT/OFFSET cut the same rows: not
    so on a server with a dialect of its own (Virtuoso sorts strings otherwise; its rows are sorted again
    here, which needs all of them: kg.stores.dialects)."""
    if getattr(store, "kind", None) != "sparql":
        return True
    from .stores.dialects import STANDARD
    return store.dialect is STANDARD


def _planned(store, query: Query, text: str, bindings: dict) -> tuple[str, dict]:
    """The text and the bindings sent to the store: on the embedded store, the parameters the header lists in
    `# values:` are written as a VALUES block (the bound terms, serialised: never a user's text) at the top of
    the WHERE clause, as an endpoint binds every parameter, so that Oxigraph plans from them (it plans a
    substituted variable as if it were unbound: statement-evidence with its subject given and no policy
    scanned every annotation of the store, 6.5 s at 10k, against 1 ms with the subject as a VALUES block)."""
    chosen = {name: bindings[name] for name in query.values if name in bindings}
    if not chosen or getattr(store, "kind", None) == "sparql":
        return text, bindings
    from .stores.sparql import with_values
    return with_values(text, chosen), {k: v for k, v in bindings.items() if k not in chosen}


def _whole(store, stream: QueryStream, text: str, bindings: dict, skip: int, limit: int | None):
    stream.calls += 1
    answer = store.select(text, bindings)
    # the text as sent (with an endpoint's VALUES block), the columns as answered (a server orders them)
    stream.text, stream.columns, rows = answer.text, answer.columns, answer.rows
    end = None if limit is None else skip + limit
    yield from rows[skip:end] if skip or end is not None else rows


# --- page by page over the policies ----------------------------------------------------------------------------

def policy_graphs(store, descending: bool = False) -> list[ox.NamedNode]:
    """The store's policy graphs in the order SPARQL sorts IRIs (by their text), read through the store's
    `select` (an answer that holds something other than an IRI is the store's bad answer). The embedded
    store keeps the list in the generation it opened (GRAPHS_FILE), which a build never changes: listing
    10k graphs out of RocksDB takes 0.1-0.4 s, reading the list back a few milliseconds."""
    kept = generation_file(store, GRAPHS_FILE)
    graphs = _read_graphs(kept) if kept is not None else None
    if graphs is None:
        found = set()
        for (graph,) in store.select(POLICY_GRAPHS).rows:
            if not isinstance(graph, ox.NamedNode):
                raise store.bad_answer(f"a policy graph ?policy is {graph!r}, not an IRI")
            found.add(graph.value)
        graphs = sorted(found)
        if kept is not None:
            _keep_graphs(kept, graphs)
    return [ox.NamedNode(g) for g in (reversed(graphs) if descending else graphs)]


GRAPHS_FILE = QUERY_GRAPHS_FILE   # kg.stores.oxigraph: opening the store for writing drops it
_GRAPHS_HEAD = "policykg policy graphs of "


def _read_graphs(path: Path) -> list[str] | None:
    """The kept list, or None when it is missing, unreadable or another generation's (a copied file)."""
    try:
        head, *graphs = path.read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError):
        return None
    if head != _GRAPHS_HEAD + path.parent.name or graphs[-1:] != [""]:
        return None
    return graphs[:-1]


def _keep_graphs(path: Path, graphs: list[str]) -> None:
    """Best effort: a read-only or full disk only costs the next page its time."""
    try:
        write_atomic("\n".join([_GRAPHS_HEAD + path.parent.name, *graphs, ""]).encode("utf-8"), path)
    except WriteError:
        pass


def with_graphs(text: str, graphs: list[ox.NamedNode], variable: str = POLICY) -> str:
    """The query text with `VALUES ?policy { <g1> <g2> … }` inserted right after the opening brace of its WHERE
    clause, as an endpoint's bound values are (kg.stores.sparql): a multi-valued binding for IRIs the store
    itself gave (its policy graphs, the terms of its answers), each serialised by
    kg.stores.sparql.serialize_term, never a user's text."""
    if not graphs or not all(isinstance(g, ox.NamedNode) for g in graphs):
        raise TypeError("a batch is a non-empty list of graph IRIs (pyoxigraph NamedNode)")
    i = where_brace(text)
    return text[:i] + f"\n  VALUES ?{variable} {{ " + " ".join(serialize_term(g) for g in graphs) + " }" + text[i:]


_LABELS = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?term ?label WHERE { GRAPH <https://w3id.org/policykg/graph/vocab> { ?term skos:prefLabel ?label } }"""


def store_labels(store, terms) -> dict[tuple[str, str], str]:
    """{(IRI, language): skos:prefLabel} of the given IRIs (terms of the store's own answers) in the store's
    vocabulary graph, read by batches of a VALUES block: the labels a table of a few rows shows, without
    loading the whole vocabulary (kg.vocab: ~1.5 s)."""
    iris = sorted({t.value for t in terms if isinstance(t, ox.NamedNode)})
    found: dict[tuple[str, str], str] = {}
    for start in range(0, len(iris), MAX_BATCH):
        batch = [ox.NamedNode(i) for i in iris[start:start + MAX_BATCH]]
        for term, label in store.select(with_graphs(_LABELS, batch, "term")).rows:
            if isinstance(term, ox.NamedNode) and isinstance(label, ox.Literal) and label.language:
                found.setdefault((term.value, label.language.lower()), label.value)
    return found


def _aligned(store, answer, columns: list[str]) -> list[tuple]:
    """An answer's rows with their cells in the order of `columns` (a server may answer the variables in
    another order); other columns are the store's bad answer."""
    if answer.columns == columns:
        return answer.rows
    if sorted(answer.columns) != sorted(columns):
        raise store.bad_answer(f"the columns are {', '.join(answer.columns) or 'none'}, not {', '.join(columns)}")
    at = [answer.columns.index(c) for c in columns]
    return [tuple(row[i] for i in at) for row in answer.rows]


def _paged(store, stream: QueryStream, query: Query, bindings: dict, form: str, limit: int | None, offset: int):
    """Rows from `offset` on, at most `limit`, policy by policy (or batch by batch) in graph order."""
    if limit == 0:
        return
    keys = split_order(query.text)[1]
    descending = next(desc for name, desc in keys if name == POLICY)
    graphs = policy_graphs(store, descending)
    stream.calls += 1
    skip, left = offset, limit
    start, size, seen_rows = 0, FIRST_BATCH, 0
    while start < len(graphs):
        if form == "policy":
            batch = graphs[start:start + 1]
            rows = _aligned(store, store.select(query.text, {**bindings, POLICY: batch[0]}), stream.columns)
        else:
            batch = graphs[start:start + size]
            rows = _aligned(store, store.select(with_graphs(query.text, batch), bindings), stream.columns)
        stream.calls += 1
        start += len(batch)
        seen_rows += len(rows)
        if skip >= len(rows):
            skip -= len(rows)
        else:
            for row in rows[skip:] if skip else rows:
                yield row
                if left is not None:
                    left -= 1
                    if left == 0:
                        return
            skip = 0
        if form == "batch":   # the next batch: enough policies for the rows still wanted, at the rate seen so far
            wanted = skip + (left if left is not None else MAX_BATCH * 1000)
            rate = seen_rows / start
            size = MAX_BATCH if rate == 0 else max(FIRST_BATCH, min(MAX_BATCH, int(wanted / rate * 1.25) + 1))
