"""Reading an endpoint's answer: SPARQL 1.1 JSON results (https://www.w3.org/TR/sparql11-results-json/)
read from a binary stream as they arrive, into columns and rows of pyoxigraph terms.

- `read_solutions(stream)` -> (columns, rows): each row a tuple of terms in column order (None = unbound).
  The answer is read one row at a time (`JsonReader`, `ResultsReader`): memory holds the rows' terms, never
  the answer's text, and one JSON value longer than MAX_VALUE_CHARS is refused rather than buffered.
- `term_from_json(value)`: one binding -> a pyoxigraph term (the SPARQL 1.0 `typed-literal` that Virtuoso
  still sends is read too; a blank node label pyoxigraph refuses gets a fresh blank node, the same one
  wherever the label recurs in one answer).
- Anything that is not valid results is a `MalformedResults` that names what is wrong and where (the row and
  the variable, the head, or a character offset); `kg.stores.sparql` turns it into `endpoint-error`.

Checking that valid results hold what was asked (a literal as a graph, other columns) is the store
interface's (kg.stores.base).
"""
from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable

import pyoxigraph as ox

READ_CHUNK = 1 << 20            # bytes of an answer read at a time
MAX_VALUE_CHARS = 64 << 20      # one row (or the head) longer than this is refused rather than buffered


# --- terms from SPARQL JSON results ------------------------------------------------------------------------

TERM_TYPES = ("uri", "literal", "bnode", "typed-literal", "triple")   # typed-literal: SPARQL 1.0 JSON, still
# Virtuoso's; triple: an RDF 1.2 triple term (SPARQL 1.2 JSON results), the evidence as the store holds it


def _show(value, limit: int = 60) -> str:
    """A JSON value as it appears in the answer, cut to `limit` characters (for messages)."""
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def term_from_json(value, bnodes: dict | None = None):
    """A binding of the W3C SPARQL 1.1 JSON results format -> a pyoxigraph term; a ValueError says what is
    wrong with one that is not an RDF term. Unknown keys are ignored. A blank node label that pyoxigraph
    refuses (Virtuoso's `nodeID://b1`) gets a fresh blank node, the same one wherever the label recurs in
    one answer (`bnodes`: label -> node, shared by the answer's rows)."""
    if not isinstance(value, dict):
        raise ValueError(f"a term must be a JSON object, not {_show(value)}")
    kind, text = value.get("type"), value.get("value")
    if kind not in TERM_TYPES:
        raise ValueError(f"unknown term type {_show(kind)} (expected {', '.join(TERM_TYPES[:3])})")
    if "value" not in value:
        raise ValueError(f"the {kind} term has no 'value'")
    if kind == "triple":
        return _triple(value["value"], bnodes)
    if not isinstance(text, str):
        raise ValueError(f"the {kind} term's 'value' must be a string, not {_show(text)}")
    if kind == "uri":
        return _iri(text, "")
    if kind == "bnode":
        return _blank(text, bnodes)
    lang, datatype = value.get("xml:lang"), value.get("datatype")
    if lang:
        if not isinstance(lang, str):
            raise ValueError(f"'xml:lang' must be a string, not {_show(lang)}")
        return _literal(text, language=lang)
    if datatype:
        return _literal(text, datatype=_iri(datatype, "datatype "))
    return _literal(text)


def _triple(parts, bnodes: dict | None) -> ox.Triple:
    if not isinstance(parts, dict) or not {"subject", "predicate", "object"} <= parts.keys():
        raise ValueError(f"a triple term's 'value' must hold its subject, predicate and object, not {_show(parts)}")
    s, p, o = (term_from_json(parts[k], bnodes) for k in ("subject", "predicate", "object"))
    if not isinstance(s, (ox.NamedNode, ox.BlankNode)) or not isinstance(p, ox.NamedNode):
        raise ValueError("a triple term's subject must be an IRI or a blank node and its predicate an IRI")
    return ox.Triple(s, p, o)


def _literal(text: str, **kwargs) -> ox.Literal:
    try:
        return ox.Literal(text, **kwargs)
    except ValueError as exc:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:   # a lone surrogate (JSON "\ud800"): not text
            raise ValueError(f"the literal {_show(text)} is not valid Unicode text") from None
        if "language" in kwargs:
            raise ValueError(f"{_show(kwargs['language'])} is not a language tag ({exc})") from None
        raise ValueError(f"the literal {_show(text)} is refused ({exc})") from None


def _iri(text, what: str) -> ox.NamedNode:
    try:
        return ox.NamedNode(text)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{what}{_show(text)} is not an IRI ({exc})") from None


def _blank(label: str, bnodes: dict | None) -> ox.BlankNode:
    if bnodes is not None and label in bnodes:
        return bnodes[label]
    try:
        node = ox.BlankNode(label)
    except ValueError:
        node = ox.BlankNode()
    if bnodes is not None:
        bnodes[label] = node
    return node


# --- SPARQL JSON results, read as a stream -----------------------------------------------------------------

class MalformedResults(ValueError):
    """An answer that is not SPARQL JSON results: `detail` says what is wrong, `place` where (a row and a
    variable, the head, or a character offset)."""

    def __init__(self, detail: str, place: str = ""):
        super().__init__(f"{detail} ({place})" if place else detail)
        self.detail, self.place = detail, place


_SPACE = re.compile(r"[ \t\n\r]*")


class JsonReader:
    """A JSON text read from a binary stream in chunks, one piece at a time: a punctuation character
    (`peek`, `take`) or a whole value (`value`). Only the text of the value being read is held, never the
    whole stream, so a long array can be read element by element."""

    def __init__(self, stream, chunk: int = READ_CHUNK):
        self._stream, self._chunk = stream, chunk
        self._utf8 = codecs.getincrementaldecoder("utf-8-sig")()   # a BOM is tolerated
        self._json = json.JSONDecoder()
        self._text, self._pos, self._start, self._end = "", 0, 0, False

    @property
    def offset(self) -> int:
        """Characters of the stream consumed so far."""
        return self._start + self._pos

    def _more(self, size: int) -> bool:
        """Append about `size` more bytes of the stream to the text; False at its end."""
        if self._end:
            return False
        data = self._stream.read(size)
        try:
            text = self._utf8.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            at = self._start + len(self._text) + len(data[:max(exc.start, 0)].decode("utf-8", "ignore"))
            raise MalformedResults(f"the answer is not UTF-8 ({exc.reason})", f"near character {at}") from None
        self._end = not data
        self._text = self._text[self._pos:] + text
        self._start += self._pos
        self._pos = 0
        return bool(data)

    def peek(self) -> str:
        """The next character that is not white space, not consumed ('' at the end of the stream)."""
        while True:
            self._pos = _SPACE.match(self._text, self._pos).end()
            if self._pos < len(self._text):
                return self._text[self._pos]
            if not self._more(self._chunk):
                return ""

    def take(self, char: str) -> None:
        """Consume `char`, which must come next."""
        found = self.peek()
        if found != char:
            raise MalformedResults(f"expected {char!r}, found {repr(found) if found else 'the end of the answer'}",
                                   f"character {self.offset}")
        self._pos += 1

    def value(self):
        """The next JSON value, whole."""
        self.peek()
        size = self._chunk
        while True:
            try:
                value, end = self._json.raw_decode(self._text, self._pos)
                if end < len(self._text) or self._end:   # a number at the text's end may go on in the next chunk
                    self._pos = end
                    return value
            except json.JSONDecodeError as exc:
                cut = self._cut_short(exc)
                if self._end or not cut:
                    raise self._invalid(exc.msg, self._start + exc.pos, cut) from None
            except (ValueError, RecursionError) as exc:   # an integer of 5000 digits, [[[[…]]]] nested too deep
                raise self._invalid(str(exc) or type(exc).__name__, self.offset, False) from None
            if len(self._text) - self._pos > MAX_VALUE_CHARS:
                raise MalformedResults(f"one JSON value is longer than {MAX_VALUE_CHARS:,} characters")
            self._more(size)
            size *= 2   # doubling: a long value is decoded a few times, not once per chunk

    def _cut_short(self, exc: json.JSONDecodeError) -> bool:
        """Whether the value may just go on past the text read so far: the decoder stopped at its end, or in
        a string that is not closed yet. An error further back is one that more text cannot mend."""
        return exc.pos >= len(self._text) - 8 or exc.msg.startswith("Unterminated string")

    def _invalid(self, reason: str, at: int, cut: bool) -> MalformedResults:
        """The error for JSON that does not decode at character `at`; `cut`: the text just stops there."""
        if at == 0 and not cut:
            start = self._text[:40].replace("\n", " ")
            return MalformedResults(f"the answer is not JSON (it starts with {start!r})", "character 0")
        if cut:
            return MalformedResults(f"the answer ends too early ({reason})", f"character {at}")
        return MalformedResults(f"invalid JSON ({reason})", f"character {at}")


class ResultsReader:
    """SPARQL 1.1 JSON results (https://www.w3.org/TR/sparql11-results-json/) read from a JSON stream:
    `read()` -> (columns, rows), each row a tuple of pyoxigraph terms (None = unbound) in column order.
    The keys may come in any order; rows met before the head wait as {variable: term} until it comes."""

    def __init__(self, reader: JsonReader):
        self.reader = reader
        self.columns: list[str] | None = None
        self.rows: list[tuple] = []
        self.waiting: list[dict] = []   # rows read before the head
        self.bnodes: dict = {}
        self.last: dict = {}   # variable -> (its JSON term, its term) in the last row: sorted answers repeat them

    def read(self) -> tuple[list[str], list[tuple]]:
        if not self.reader.peek():
            raise MalformedResults("the answer is empty")
        keys = self._members(self._member, "the answer")
        if self.reader.peek():
            raise MalformedResults("text after the end of the results", f"character {self.reader.offset}")
        if "head" not in keys:
            raise MalformedResults("no 'head' (with the variables) in the answer")
        if "results" not in keys:
            raise MalformedResults("a boolean (ASK) answer, not SELECT rows" if "boolean" in keys
                                   else "no 'results' in the answer")
        for number, terms in enumerate(self.waiting, 1):
            self.rows.append(self._tuple(terms, number))
        return self.columns, self.rows

    def _members(self, member: Callable[[str], None], name: str) -> set[str]:
        """Read a JSON object key by key, calling `member(key)` to read each value; the keys."""
        reader, keys = self.reader, set()
        if reader.peek() != "{":
            raise MalformedResults(f"{name} must be a JSON object, not {_show(reader.value())}", name.strip("'"))
        reader.take("{")
        while reader.peek() != "}":
            if keys:
                reader.take(",")
            key = reader.value()
            if not isinstance(key, str) or key in keys:
                problem = "twice" if isinstance(key, str) else "not a key"
                raise MalformedResults(f"{_show(key)} is {problem} in {name}", f"character {reader.offset}")
            keys.add(key)
            reader.take(":")
            member(key)
        reader.take("}")
        return keys

    def _member(self, key: str) -> None:
        if key == "head":
            self.columns = self._head(self.reader.value())
        elif key == "results":
            self._members(self._results_member, "'results'")
        else:   # boolean, link, …: read and dropped
            self.reader.value()

    def _results_member(self, key: str) -> None:
        reader = self.reader
        if key != "bindings":   # distinct, ordered, …
            reader.value()
            return
        if reader.peek() != "[":
            raise MalformedResults(f"'results.bindings' must be a list, not {_show(reader.value())}", "results")
        reader.take("[")
        while reader.peek() != "]":
            if self.rows or self.waiting:
                reader.take(",")
            number = len(self.rows) + len(self.waiting) + 1
            try:
                binding = reader.value()
            except MalformedResults as exc:
                raise MalformedResults(exc.detail, ", ".join(filter(None, [f"row {number}", exc.place]))) from None
            terms = self._terms(binding, number)
            if self.columns is None:
                self.waiting.append(terms)
            else:
                self.rows.append(self._tuple(terms, number))
        reader.take("]")

    @staticmethod
    def _head(head) -> list[str]:
        variables = head.get("vars", []) if isinstance(head, dict) else None
        if not isinstance(variables, list) or not all(isinstance(v, str) for v in variables):
            raise MalformedResults(f"'head.vars' must be a list of variable names, not "
                                   f"{_show(variables if isinstance(head, dict) else head)}", "head")
        for name in variables:
            try:
                ox.Variable(name)
            except ValueError:
                raise MalformedResults(f"{_show(name)} is not a variable name", "head") from None
        if len(set(variables)) < len(variables):
            raise MalformedResults(f"'head.vars' names a variable twice: {_show(variables)}", "head")
        return variables

    def _terms(self, binding, number: int) -> dict:
        if not isinstance(binding, dict):
            raise MalformedResults(f"a row must be a JSON object, not {_show(binding)}", f"row {number}")
        terms = {}
        for name, value in binding.items():
            last = self.last.get(name)
            if last is not None and last[0] == value:   # as in the row before: the same term object, not a copy
                terms[name] = last[1]
                continue
            try:
                terms[name] = term_from_json(value, self.bnodes)
            except ValueError as exc:
                raise MalformedResults(str(exc), f"row {number}, ?{name}") from None
            self.last[name] = (value, terms[name])
        return terms

    def _tuple(self, terms: dict, number: int) -> tuple:
        unknown = [name for name in terms if name not in self.columns]
        if unknown:
            raise MalformedResults(f"?{unknown[0]} is not among the head's variables ({', '.join(self.columns)})",
                                   f"row {number}")
        return tuple(terms.get(name) for name in self.columns)


def read_solutions(stream, chunk: int = READ_CHUNK) -> tuple[list[str], list[tuple]]:
    """Columns and rows of SPARQL 1.1 JSON results read from a binary stream `chunk` bytes at a time (see
    ResultsReader); MalformedResults says what is wrong and where."""
    return ResultsReader(JsonReader(stream, chunk)).read()
