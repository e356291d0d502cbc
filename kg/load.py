"""Load a policy card (YAML) into the `Policy` model, keeping the file:line of every value.

Errors are `CardError`s that say what is wrong, where (file:line:column and the field), and how to
fix it. Nothing here builds triples; the vocabulary is only asked whether terms exist.

A card is hostile input until checked: it is read with a size limit (kg/files.py), parsed without
recursion and without a node tree, refused past `MAX_DEPTH` levels of nesting, checked against the
schema with a bounded number of explained errors, and its snapshot is read only from inside the
sources folder.
"""
from __future__ import annotations

import copy
import datetime
import hashlib
import itertools
import json
import math
from array import array
import re
import unicodedata
import warnings
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from difflib import SequenceMatcher
from functools import lru_cache
from importlib import resources
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import jsonschema
import jsonschema_rs
import yaml

from . import namespaces as ns
from .errors import (CardError, InputFileError, InputNotFoundError, Location, QuoteNotFoundError, SnapshotError,
                     SunsetTermWarning, UnknownTermError)
from .files import DEFAULT_MAX_CARD_SIZE, read_input, read_text_input
from .model import Evidence, Fact, Lit, NodeRef, Policy, Process, Source, Statement, Term

try:  # the C parser is ~10x faster on large cards
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _Loader

XSD = ns.PREFIXES["xsd"]

# Properties that take literals; every other property takes a term or a node.
LITERAL_PROPERTIES = {ns.expand_curie(c) for c in (
    "dpv:hasName", "dpv:hasAddress", "dpv:hasContact", "dct:description", "dct:title", "rdfs:label",
    "rdfs:comment", "skos:note", "rdf:value")}
# Properties outside the DPV namespaces that a card may use.
OTHER_PROPERTIES = {ns.expand_curie(c) for c in (
    "dct:description", "dct:title", "dct:identifier", "dct:source", "dct:isPartOf", "rdfs:label",
    "rdfs:comment", "rdfs:seeAlso", "skos:note", "rdf:value")}
TYPED = {"duration": "duration", "date": "date", "dateTime": "dateTime", "integer": "integer",
         "decimal": "decimal", "boolean": "boolean"}
STATEMENT_KEYS = {"id", "quote", "occurrence", "inferred", "note", "review", "confidence", "found_by"}
CONTEXT_CHARS = 32  # prefix/suffix length of a TextQuoteSelector
_LOCAL_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")

# Levels of mappings and lists a card may nest (the seeds use 8). Past it nothing is built: the schema
# validator and the reader recurse once or more per level, and Python's stack is ~1000 frames.
MAX_DEPTH = 64
_EXPLAINED_ERRORS = 20      # schema errors looked at to report the first (a long list can hold millions)
_MAX_QUOTE_COUNT = 10_000   # occurrences of an ambiguous quote counted before "or more"


@lru_cache(maxsize=1)
def card_schema() -> dict:
    return json.loads(resources.files("kg").joinpath("card.schema.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _fast_validator():
    """jsonschema-rs checks a valid card in ~0.1 ms (jsonschema: ~90 ms); jsonschema explains errors."""
    return jsonschema_rs.validator_for(card_schema())


# ---------------------------------------------------------------------------------------------
# Schema patterns are ECMA-262; Python's `re` reads some of their syntax differently
# ---------------------------------------------------------------------------------------------

# ECMA-262 \s: white space and line terminators (Python's \s adds \x1c-\x1f and lacks U+FEFF)
_ECMA_SPACE = "\t\n\x0b\x0c\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_ECMA_CLASSES = {"d": "0-9", "w": "A-Za-z0-9_", "s": _ECMA_SPACE}


def ecma_to_python(pattern: str) -> str:
    """The Python `re` pattern that matches what an ECMA-262 pattern (no flags) matches: `$` is the end of
    the text (Python's `$` also matches before a final newline), `\\d` and `\\w` are ASCII, `\\s` and `.`
    follow ECMA's white space and line terminators."""
    out, i, in_class = [], 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            e = pattern[i + 1]
            if e in _ECMA_CLASSES:
                out.append(_ECMA_CLASSES[e] if in_class else f"[{_ECMA_CLASSES[e]}]")
            elif e.lower() in _ECMA_CLASSES and not in_class:
                out.append(f"[^{_ECMA_CLASSES[e.lower()]}]")
            elif e.lower() in _ECMA_CLASSES or e in "bB":
                raise ValueError(f"pattern {pattern!r}: \\{e} has no Python equivalent written here")
            else:
                out.append(c + e)
            i += 2
            continue
        if in_class:
            in_class = c != "]"
            out.append(c)
        elif c == "[":
            in_class = True
            out.append(c)
        elif c == "$":
            out.append(r"\Z")
        elif c == ".":
            out.append("[^\n\r\u2028\u2029]")
        else:
            out.append(c)
        i += 1
    return "".join(out)


def _python_patterns(schema: Any, originals: dict[str, str]) -> Any:
    """A copy of the schema with every pattern (and patternProperties key) read as ECMA-262."""
    if isinstance(schema, list):
        return [_python_patterns(item, originals) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key == "pattern" and isinstance(value, str):
            out[key] = ecma_to_python(value)
            originals[out[key]] = value
        elif key == "patternProperties" and isinstance(value, dict):
            out[key] = {}
            for pattern, sub in value.items():
                originals[ecma_to_python(pattern)] = pattern
                out[key][ecma_to_python(pattern)] = _python_patterns(sub, originals)
        else:
            out[key] = _python_patterns(value, originals)
    return out


def _finite_number(checker, instance) -> bool:
    # jsonschema-rs: NaN and infinities are not JSON numbers (JSON has no way to write them)
    return (jsonschema.Draft202012Validator.TYPE_CHECKER.is_type(instance, "number")
            and (not isinstance(instance, float) or math.isfinite(instance)))   # an int of 400 digits is finite


_EcmaValidator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("number", _finite_number))
_ECMA_ORIGINALS: dict[str, str] = {}   # Python pattern -> the schema's own, for messages


def ecma_validator(schema: dict):
    """A jsonschema validator that agrees with jsonschema-rs: patterns read as ECMA-262, numbers finite."""
    return _EcmaValidator(_python_patterns(copy.deepcopy(schema), _ECMA_ORIGINALS))


@lru_cache(maxsize=1)
def _python_validator():
    return ecma_validator(card_schema())


# ---------------------------------------------------------------------------------------------
# YAML with positions
# ---------------------------------------------------------------------------------------------

class _Positions(dict):
    """Where each value of a card starts: (path tuple) -> line and column (1-based), packed in one int.
    A list's items are kept in an array per list (`items`, 8 bytes an item), not one path each: a long
    list of short values would otherwise take ~250 bytes of positions per value."""

    def __init__(self):
        super().__init__()
        self.items: dict[tuple, array] = {}

    def item(self, list_path: tuple, index: int) -> tuple[int | None, int | None]:
        """The position of a list's item (the list's own when unknown)."""
        lst = self.items.get(list_path)
        if lst is None or index >= len(lst):
            return self.of(list_path)
        return lst[index] >> 32, lst[index] & 0xFFFFFFFF

    def of(self, path: tuple) -> tuple[int | None, int | None]:
        while path:
            packed = self.get(path)
            if packed is None and type(path[-1]) is int:
                lst = self.items.get(path[:-1])
                packed = lst[path[-1]] if lst is not None and path[-1] < len(lst) else None
            if packed is not None:
                return packed >> 32, packed & 0xFFFFFFFF
            path = path[:-1]
        packed = self.get(())
        return (packed >> 32, packed & 0xFFFFFFFF) if packed is not None else (None, None)


_NO_KEY = object()      # a mapping waiting for its next key
_EMPTY = object()       # a stream with no document (only comments)
_STR, _INT = "tag:yaml.org,2002:str", "tag:yaml.org,2002:int"
# first characters of a plain scalar that YAML 1.1 may read as another type than text (true, 12, ~, .inf)
_RESOLVED_FIRST = frozenset(first for first in _Loader.yaml_implicit_resolvers if first)
_TRUE, _FALSE = ("true", "yes", "on"), ("false", "no", "off")
_YAML_SCALARS = yaml.constructor.SafeConstructor()


def _compose(text: str) -> tuple[Any, _Positions]:
    """The card's data and the position of every value, built from the YAML parser's events: iterative
    (no recursion whatever the nesting) and without a node tree (a node and two marks per value took
    most of the memory of a large card). YAML errors are raised as yaml.YAMLError."""
    loader = _Loader(text)
    pos = _Positions()
    try:
        loader.get_event()                                  # stream start
        if loader.check_event(yaml.StreamEndEvent):
            return _EMPTY, pos
        loader.get_event()                                  # document start
        data, too_deep = _build(loader, pos)
        loader.get_event()                                  # document end
        if not loader.check_event(yaml.StreamEndEvent):
            mark = loader.peek_event().start_mark
            raise CardError("the file holds more than one YAML document (a second one starts here)",
                            Location("", mark.line + 1, mark.column + 1),
                            "keep one card per file: remove the '---' line and what follows it", error_id="yaml-syntax")
        if too_deep:   # after the whole stream: a YAML syntax error anywhere comes first
            raise too_deep
        return data, pos
    finally:
        loader.dispose()


def _build(loader, pos: _Positions) -> tuple[Any, CardError | None]:
    """One document's value from its events. Containers past MAX_DEPTH are skipped, not built; the first
    one is returned as an error to raise once the parser has read the rest."""
    stack: list[list] = []     # open containers: [value, path, key or _NO_KEY, position, item positions]
    shared: dict[str, str] = {}   # one object per distinct short text (keys, terms): the parser makes one per scalar
    anchors: dict[str, int] = {}
    too_deep: CardError | None = None
    skipping = 0               # levels open inside a skipped container
    while True:
        event = loader.get_event()
        kind = type(event)
        if skipping:
            if kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                skipping += 1
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                skipping -= 1
            if skipping:
                continue
            value, start = None, None
        elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            value, path, _, start, _ = stack.pop()
        else:
            path = _child_path(stack)
            if kind is yaml.AliasEvent:
                raise CardError(f"{_path_text(path)} is a YAML alias (*name) of the value at line "
                                f"{anchors.get(event.anchor, '?')}", Location("", field=_path_text(path)),
                                "write the value out in full: cards do not use anchors (&name) and aliases (*name)",
                                error_id="yaml-alias")
            start = (event.start_mark.line + 1) << 32 | (event.start_mark.column + 1)
            if event.anchor is not None:
                anchors[event.anchor] = start >> 32
            if not stack:
                pos[path] = start
            elif type(stack[-1][0]) is list:
                stack[-1][4].append(start)   # a mapping's values keep their key's position (set with the key)
            if kind is yaml.ScalarEvent:
                value = _scalar(loader, event, path)
                if type(value) is str and len(value) <= 64:
                    value = shared.setdefault(value, value)
            elif len(stack) >= MAX_DEPTH:   # a mapping or list one level too deep
                too_deep = too_deep or CardError(
                    f"the card nests mappings and lists more than {MAX_DEPTH} levels deep",
                    Location("", start >> 32, start & 0xFFFFFFFF,
                             f"{_path_text(path[:6])} … {_path_text(path[-2:])} ({len(path)} keys and indexes)"),
                    "a card needs a few levels (the seeds use 8): describe a deeply nested node in a statement "
                    "of its own and refer to it by id ({id: name}), or remove the stray brackets",
                    error_id="card-too-deep")
                skipping = 1
                continue
            elif kind is yaml.MappingStartEvent:
                stack.append([{}, path, _NO_KEY, start, None])
                continue
            else:
                stack.append([[], path, _NO_KEY, start, array("Q")])
                pos.items[path] = stack[-1][4]
                continue
        if not stack:
            return value, too_deep
        _add(stack[-1], value, start, pos)


def _child_path(stack: list[list]) -> tuple:
    """The path of the next value read: the root, a list's next item, a mapping's key or its value."""
    if not stack:
        return ()
    container, path, key = stack[-1][:3]
    if type(container) is list:
        return path + (len(container),)
    return path + (("<key>",) if key is _NO_KEY else (key,))


def _add(frame: list, value: Any, start: int | None, pos: _Positions) -> None:
    container, path, key = frame[:3]
    if type(container) is list:
        container.append(value)
    elif key is _NO_KEY:
        key = value if isinstance(value, str) else str(value)
        if key in container:
            first = pos.of(path + (key,))[0]
            line, column = (start >> 32, start & 0xFFFFFFFF) if start else (None, None)
            raise CardError(f"the key '{key}' appears twice in the same mapping (first at line {first})",
                            Location("", line, column, _path_text(path + (key,))),
                            "keep one of them (YAML keeps only the last, silently)", error_id="duplicate-key")
        if start:
            pos[path + (key,)] = start
        frame[2] = key
    else:
        container[key] = value
        frame[2] = _NO_KEY


def _scalar(loader, event, path: tuple) -> Any:
    """A scalar's value: text as written (dates stay text), YAML 1.1 numbers and booleans converted."""
    tag, value = event.tag, event.value
    if tag is None or tag == "!":
        if not event.implicit[0] or (value and value[0] not in _RESOLVED_FIRST):
            return _text(event, path)   # quoted, or plain and no YAML 1.1 type starts that way (pd:Age)
        # a plain decimal number, without the resolver (a leading 0 is octal in YAML 1.1; from 4300 digits
        # Python's int() refuses, and the constructor below reports it)
        if value.isascii() and value.isdigit() and (value[0] != "0" or value == "0") and len(value) < 4300:
            return int(value)
        tag = loader.resolve(yaml.ScalarNode, value, event.implicit)
    if tag == _STR:
        return _text(event, path)
    try:
        if tag.endswith(":int"):     # every YAML 1.1 form: 0x1F, 0o17, 0b101, 1_000, 1:30 (sexagesimal)
            return _YAML_SCALARS.construct_yaml_int(yaml.ScalarNode(tag, event.value))
        if tag.endswith(":float"):   # .inf, -.inf, .nan, 1_000.5, 1:30.5
            return _YAML_SCALARS.construct_yaml_float(yaml.ScalarNode(tag, event.value))
    except (ValueError, IndexError) as exc:   # !!int 12abc, !!float "", an int of 5000 digits
        raise CardError(f"{event.value[:40]!r} is not a YAML {tag.rsplit(':', 1)[-1]} ({exc})",
                        _event_location(event, path), "write the number plainly (e.g. 2 or 1.5), or quote it "
                        "to keep it as text", error_id="invalid-value") from None
    if tag.endswith(":bool"):
        word = event.value.lower()
        if word not in _TRUE + _FALSE:
            raise CardError(f"{event.value[:40]!r} is not a YAML boolean", _event_location(event, path),
                            "write true or false", error_id="invalid-value")
        return word in _TRUE
    if tag.endswith(":null"):
        return None
    return _text(event, path)


def _text(event, path: tuple) -> str:
    value = event.value
    if not value.isprintable() and any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        # "\ud800" in a double-quoted YAML string: not a character, cannot be written as UTF-8
        raise CardError("the text holds a lone UTF-16 surrogate (a \\uD800-\\uDFFF escape), not a character",
                        _event_location(event, path), "write the character itself, or its \\U0001xxxx escape",
                        error_id="invalid-value")
    return value


def _event_location(event, path: tuple) -> Location:
    return Location("", event.start_mark.line + 1, event.start_mark.column + 1, _path_text(path))


def _path_text(path: tuple) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            part = part if part.isprintable() else "".join(c if c.isprintable() else repr(c)[1:-1] for c in part)
            text += f".{part}" if text else part
    return text


def read_card(path: Path) -> tuple[dict, _Positions]:
    """Parse a card's YAML, returning the data and the position of every value."""
    try:
        text = read_text_input(path, "card", default_limit=DEFAULT_MAX_CARD_SIZE)
    except InputNotFoundError as exc:
        exc.fix = "check the path; cards live in data/policies/<slug>/<version>.yaml"
        raise
    try:
        data, pos = _compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = Location(str(path), mark.line + 1, mark.column + 1) if mark else Location(str(path))
        problem = getattr(exc, "problem", None) or str(exc)
        raise CardError(f"YAML syntax error: {problem}", where,
                        "fix the YAML at that line (indentation, a missing ':' or an unclosed quote)",
                        error_id="yaml-syntax") from None
    except CardError as exc:
        if isinstance(exc.where, Location):
            exc.where.file = str(path)
        else:
            exc.where = Location(str(path))
        raise
    if data is _EMPTY:
        raise CardError("the card is empty (only comments)", Location(str(path)), "start from docs/card.md's example",
                        error_id="empty-file")
    return data, pos


# ---------------------------------------------------------------------------------------------
# Schema errors
# ---------------------------------------------------------------------------------------------

def _schema_error(path: Path, data: dict, pos: _Positions) -> CardError | None:
    """The first schema error of the card (by line), explained; None when the card follows the schema.
    Only the first few errors are looked at: a long list of wrong values holds one error per value."""
    if _fast_validator().is_valid(data):
        return None
    try:
        errors = list(itertools.islice(_python_validator().iter_errors(data), _EXPLAINED_ERRORS + 1))
    except RecursionError:   # cannot happen within MAX_DEPTH; jsonschema-rs still has the answer
        errors = []
    if not errors:   # the two validators disagree: jsonschema-rs is the one that decides
        rs_error = next(iter(_fast_validator().iter_errors(data)), None)
        field_path = tuple(rs_error.instance_path) if rs_error else ()
        line, col = pos.of(field_path)
        return CardError(rs_error.message if rs_error else "the card does not follow the schema",
                         Location(str(path), line, col, _path_text(field_path) or None),
                         "see docs/card.md for the card format")

    def deepest(err):  # the most specific error inside anyOf
        while err.context:
            err = max(err.context, key=lambda e: len(e.absolute_path))
        return err

    errors = [deepest(e) for e in errors]
    first = min(errors, key=lambda e: pos.of(tuple(e.absolute_path))[0] or 0)
    what, fix, field_path = _explain(first)
    line, col = pos.of(field_path)
    if len(errors) > _EXPLAINED_ERRORS:
        what += f" (and at least {_EXPLAINED_ERRORS} more problems after this one)"
    elif len(errors) > 1:
        what += f" ({len(errors) - 1} more problem(s) after this one)"
    return CardError(what, Location(str(path), line, col, _path_text(field_path) or None), fix)


_TYPE_WORDS = {"string": "a string (text)", "integer": "a whole number", "number": "a number",
               "boolean": "true or false", "object": "a mapping (key: value)", "array": "a list", "null": "empty"}


def _explain(err: jsonschema.ValidationError) -> tuple[str, str, tuple]:
    """(what, fix, field path) of a schema error, in the card's words."""
    v, instance, where = err.validator, err.instance, tuple(err.absolute_path)
    schema_path = list(err.relative_schema_path)
    if v == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        return f"the required field '{missing}' is missing", f"add '{missing}:' (see docs/card.md)", where
    if v == "additionalProperties":
        extra = _unexpected_keys(instance, err.schema)
        shown = ", ".join(f"'{_path_text((k,))}'" for k in extra[:3])
        return (f"unexpected field {shown}", "remove it or check its spelling; properties are written "
                "prefix:name (see docs/card.md)", where + (extra[0],) if extra else where)
    if v == "pattern" and "propertyNames" in schema_path:
        return (f"'{_path_text((instance,))}' is not a language tag", "write a BCP 47 language tag such as "
                "fr, en or fr-CA (lower-case language)", where + (instance,))
    if v == "pattern":
        pattern = _ECMA_ORIGINALS.get(err.validator_value, err.validator_value)
        last = where[-1] if where else ""
        space = " (it has white space or a line break at an end)" if instance != instance.strip() else ""
        if last == "duration":
            return (f"{instance!r} is not an ISO 8601 duration{space}",
                    "write P then the amounts: P3Y (3 years), P6M, P30D, PT12H, P1Y6M", where)
        if "[0-9]{4}-[0-9]{2}-[0-9]{2}T" in pattern:
            return (f"{instance!r} is not a date-time in the form YYYY-MM-DDThh:mm:ss{space}",
                    "write the date and time as 2024-05-19T15:30:00, with an optional zone: Z or -10:00", where)
        if "[0-9]{4}-[0-9]{2}-[0-9]{2}(T" in pattern:
            return (f"{instance!r} is not a date (YYYY-MM-DD) or a date-time (YYYY-MM-DDThh:mm:ss){space}",
                    "write the date as YYYY-MM-DD (in quotes), or 2024-05-19T15:30:00-10:00", where)
        if "[0-9]{4}-[0-9]{2}-[0-9]{2}" in pattern:
            return (f"{instance!r} is not a date in the form YYYY-MM-DD{space}",
                    "write the date as YYYY-MM-DD (in quotes)", where)
        fix = "remove the white space or line break" if space else f"it must match {pattern}"
        return f"the value {instance!r} is not in the expected form{space}", fix, where
    if v == "anyOf" and "issued" in json.dumps(err.validator_value):
        return "the policy has no date", "add one of issued:, modified: or valid: to policy", where
    if v == "const":
        return f"the value {instance!r} is not supported", f"write {err.validator_value!r}", where
    if v == "enum":
        return (f"the value {instance!r} is not allowed",
                "write one of " + ", ".join(map(str, err.validator_value)), where)
    if where and where[-1] == "occurrence" and v in ("type", "minimum"):
        return (f"occurrence: {_yaml_text(instance)} is not a count of occurrences",
                "occurrence says which occurrence of the quote in the snapshot, counting from 1: write e.g. "
                "occurrence: 2, or remove it when the quote occurs once", where)
    if v == "type":
        kinds = err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]
        wanted = " or ".join(_TYPE_WORDS.get(k, k) for k in kinds)
        if isinstance(instance, float) and not math.isfinite(instance):
            return (f"{_yaml_text(instance)} is not a number a card can hold", "write a finite number such as 1.5: "
                    "RDF numbers have no NaN or infinity", where)
        return f"{_yaml_text(instance)} is not {wanted}", f"write {wanted} here", where
    if v == "minimum":
        return f"{instance} is less than {err.validator_value}", f"write a number from {err.validator_value}", where
    if v in ("minLength", "minItems", "minProperties"):
        return "the value is empty", "write a value, or remove the field", where
    if v == "maxProperties":
        return (f"{_yaml_text(instance)} has more than one key", "a typed value has one key: duration, date, dateTime, "
                "integer, decimal or boolean", where)
    return err.message, "see docs/card.md for the card format", where


def _unexpected_keys(instance: dict, schema: dict) -> list[str]:
    allowed = schema.get("properties", {})
    patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
    return [k for k in instance if k not in allowed and not any(p.search(k) for p in patterns)]


def _yaml_text(value: Any) -> str:
    """A value as YAML writes it (.inf, true, null), shortened."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# ---------------------------------------------------------------------------------------------
# Values that the schema lets through but their datatype does not
# ---------------------------------------------------------------------------------------------

def typed_lexical(kind: str, raw: Any, where: Location) -> str:
    """The XSD lexical form of a typed value such as {integer: 30}, or an invalid-value error: 2.0 is not an
    xsd:integer (JSON Schema calls it an integer), a date must exist, numbers must be finite."""
    if kind == "integer":
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise CardError(f"{raw!r} is not a whole number (xsd:integer)", where,
                            "write the number without a decimal point, e.g. {integer: 2}", error_id="invalid-value")
        return str(raw)
    if kind == "decimal":
        if isinstance(raw, bool) or not isinstance(raw, (int, float)) or (
                isinstance(raw, float) and not math.isfinite(raw)):   # isfinite of a 400-digit int overflows
            raise CardError(f"{raw!r} is not a finite number (xsd:decimal)", where,
                            "write a number such as 1.5; RDF numbers have no NaN or infinity", error_id="invalid-value")
        return str(raw) if isinstance(raw, int) else format(Decimal(repr(raw)), "f")   # 1e+20 is not xsd:decimal
    if kind == "boolean":
        if not isinstance(raw, bool):
            raise CardError(f"{raw!r} is not true or false", where, "write {boolean: true} or {boolean: false}",
                            error_id="invalid-value")
        return "true" if raw else "false"
    text = str(raw)
    check_typed_value(kind, text, where)
    return text


_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)([YMWDHS])")
_DURATION_DIGITS = 9     # 999,999,999 days is 2.7 million years; rdflib fails on longer amounts


def check_typed_value(kind: str, text: str, where: Location) -> None:
    """Dates must be real calendar dates (the schema checks only their form: 2024-02-30 passes it), zones
    within ±14:00 (XSD), durations within what RDF tools read."""
    try:
        if kind == "date":
            datetime.date.fromisoformat(text)
        elif kind == "dateTime":
            moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
            offset = moment.utcoffset()
            if offset is not None and abs(offset) > datetime.timedelta(hours=14):
                raise ValueError("the time zone is beyond ±14:00")
        elif kind == "duration":
            _check_duration(text)
    except (ValueError, OverflowError) as exc:
        fix = ("write a duration such as P3Y or P30D: amounts of at most 9 digits (P999999999D), and a negative one "
               "either in years and months or in weeks, days and times" if kind == "duration" else
               "write an existing date as YYYY-MM-DD (month 01-12, day within the month)"
               + (", a time within 00:00:00-23:59:59 and a zone within ±14:00" if kind == "dateTime" else ""))
        raise CardError(f"'{text}' is not a real {kind} ({exc})", where, fix, error_id="invalid-value") from None


def _check_duration(text: str) -> None:
    """What rdflib (isodate) reads: amounts of at most 9 digits, weeks to seconds within 999,999,999 days,
    and a negative duration in years and months, or in weeks to seconds, not both (-P1Y4D raises in rdflib)."""
    date_part, _, time_part = text.lstrip("-").removeprefix("P").partition("T")
    amounts = {}
    for part, units in ((date_part, "YMWD"), (time_part, "HMS")):
        for number, unit in _DURATION_PART.findall(part):
            if len(number.split(".")[0]) > _DURATION_DIGITS or len(number) > 2 * _DURATION_DIGITS:
                raise ValueError(f"{number} has more than {_DURATION_DIGITS} digits")
            amounts[unit + ("t" if units == "HMS" else "")] = Decimal(number)
    # OverflowError past 999,999,999 days
    span = datetime.timedelta(weeks=float(amounts.get("W", 0)), days=float(amounts.get("D", 0)),
                              hours=float(amounts.get("Ht", 0)), minutes=float(amounts.get("Mt", 0)),
                              seconds=float(amounts.get("St", 0)))
    if text.startswith("-"):
        span = -span   # OverflowError below timedelta's minimum (-999,999,999 days)
        if span and (amounts.get("Y") or amounts.get("M")):
            raise ValueError("a negative duration cannot mix years or months with weeks, days or times")


def _count(raw: Any, where: Location) -> int | None:
    """`occurrence`: a whole number (the schema lets 2.0 through, JSON Schema calls it an integer)."""
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise CardError(f"occurrence: {raw!r} is not a whole number", where,
                        "write which occurrence of the quote, counting from 1: occurrence: 2", error_id="invalid-value")
    return raw


# ---------------------------------------------------------------------------------------------
# Quotes
# ---------------------------------------------------------------------------------------------

@dataclass
class QuoteMiss:
    """Why a quote was not located: how often it occurs (0: nowhere) and which occurrence was asked for."""
    count: int
    occurrence: int | None
    more: bool = False   # counting stopped at _MAX_QUOTE_COUNT

    def __str__(self) -> str:
        if self.count == 0:
            return "not found"
        if self.occurrence is None:
            return f"occurs {self.count:,} times or more" if self.more else f"occurs {self.count} times"
        return f"occurs {self.count} time(s), not {self.occurrence}"

    def fix(self) -> str:
        """The fix for a repeated quote or an occurrence beyond the count (not found: see `NearestPassage`)."""
        if self.occurrence is None:
            which = "1 or 2" if self.count == 2 else f"1 to {self.count:,}"
            return (f"add 'occurrence: N' to say which one ({which}, in the order of the snapshot), "
                    "or quote a longer passage that occurs once")
        if self.count == 1:
            return "remove 'occurrence' (the quote occurs once), or quote the passage you meant"
        if self.count == 2:
            return "write occurrence: 1 or occurrence: 2, or quote the passage you meant"
        return f"write an occurrence from 1 to {self.count}, or quote the passage you meant"


def locate_quote(text: str, quote: str, occurrence: int | None) -> tuple[int, int] | QuoteMiss:
    """(start, end) of the quote's chosen occurrence in code points, or a `QuoteMiss` saying why not.
    Occurrences may overlap; only positions are kept (a one-letter quote of a large snapshot matches
    millions of times)."""
    quote = unicodedata.normalize("NFC", quote)
    wanted = occurrence or 1
    count, start, i = 0, None, text.find(quote)
    while i >= 0:
        count += 1
        if count == wanted:
            start = i
            if occurrence is not None:
                break
        if occurrence is None and count >= _MAX_QUOTE_COUNT:
            return QuoteMiss(count, None, more=True)
        i = text.find(quote, i + 1)
    if start is None:
        return QuoteMiss(count, occurrence)
    if occurrence is None and count > 1:
        return QuoteMiss(count, None)
    return start, start + len(quote)


# Characters a copied quote often has in another form: folded to one form each (one character for one,
# so positions in the folded text are positions in the text) to find the passage the author meant.
_FOLD = str.maketrans({**{c: "'" for c in "’‘‛′ʼ`´"}, **{c: '"' for c in "“”„‟«»″"},
                       **{c: " " for c in "\u00a0\u202f\u2007\u2009\u200a\u2002\u2003\u2004\u2005\u2006\u2008"
                                        "\u3000\u1680\u205f\t\n\r\x0b\x0c"},
                       **{c: "-" for c in "‐‑‒–—―−"}})
_FUZZY_QUOTE = 400        # characters of the quote matched fuzzily (enough to find the passage)
_FUZZY_HITS = 200         # a word found more often than this says nothing about where the quote is
_FUZZY_CANDIDATES = 12


@dataclass
class NearestPassage:
    """The snapshot's passage closest to a quote that is not in it, and how they differ typographically."""
    passage: str | None
    start: int | None = None
    line: int | None = None
    differences: list[str] = field(default_factory=list)


def _fold(text: str) -> str:
    folded = text.translate(_FOLD)
    lower = folded.lower()
    if len(lower) == len(folded):
        return lower
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in folded)   # İ: keep positions


def explain_quote_miss(text: str, quote: str) -> NearestPassage:
    """The passage of `text` closest to `quote`: the same after folding typography and case, else the best
    fuzzy match (difflib) among windows where the quote's rarer words occur. Bounded: only the quote's first
    400 characters are matched, at most 12 windows compared."""
    quote = unicodedata.normalize("NFC", quote)
    folded_text, folded_quote = _fold(text), _fold(quote)
    start = folded_text.find(folded_quote)
    end = start + len(quote)
    if start < 0:
        span = _fuzzy_span(folded_text, folded_quote[:_FUZZY_QUOTE])
        if span is None:
            return NearestPassage(None)
        start, end = span
        while start < end and text[start].isspace():    # a fuzzy span may begin or end on a line break
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
    passage = text[start:end]
    # difflib is quadratic at worst: compare the first 1000 characters (the passage begins where the quote does)
    differences = _differences(quote[:min(len(passage) + 40, 1000)], passage[:1000])
    return NearestPassage(passage, start, text.count("\n", 0, start) + 1, differences)


def _fuzzy_span(text: str, quote: str) -> tuple[int, int] | None:
    votes: Counter = Counter()
    bucket = 32
    for word in re.finditer(r"\w{3,}", quote):
        hits = list(itertools.islice(re.finditer(re.escape(word.group()), text), _FUZZY_HITS + 1))
        if len(hits) > _FUZZY_HITS:
            continue
        for hit in hits:
            votes[max(0, hit.start() - word.start()) // bucket] += 1
    best, best_score = None, 0.0
    slack = len(quote) // 2 + bucket
    for key, _ in votes.most_common(_FUZZY_CANDIDATES):
        lo = max(0, key * bucket - slack)
        window = text[lo:key * bucket + len(quote) + slack]
        blocks = [b for b in SequenceMatcher(None, quote, window, autojunk=False).get_matching_blocks() if b.size >= 3]
        if not blocks:
            continue
        matched = sum(b.size for b in blocks)
        first, last = blocks[0], blocks[-1]
        span = (lo + max(0, first.b - first.a),
                lo + min(len(window), last.b + last.size + (len(quote) - last.a - last.size)))
        score = 2 * matched / (len(quote) + span[1] - span[0])
        if score > best_score:
            best, best_score = span, score
    return best if best_score >= 0.5 else None


def _is_typographic(c: str) -> bool:
    return ord(c) in _FOLD or c in "'\"-" or unicodedata.category(c) in ("Zs", "Zl", "Zp", "Cf", "Pd", "Pi", "Pf")


def _describe(text: str) -> str:
    if not text:
        return "nothing"
    c = text[0] if len(text.strip()) != 1 else text.strip()
    if c in "\n\r":
        return "a line break"
    if c == " ":
        return "a space"
    if c.isspace() or unicodedata.category(c) == "Cf":
        return f"a {unicodedata.name(c, 'space').lower()} (U+{ord(c):04X})"
    return f"{c} (U+{ord(c):04X} {unicodedata.name(c, '?')})"


def _differences(quote: str, passage: str) -> list[str]:
    """Typographic differences between a quote and its nearest passage: apostrophes, quotation marks,
    spaces (non-breaking, narrow), dashes, line breaks, case."""
    found: list[str] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, quote, passage, autojunk=False).get_opcodes():
        q, p = quote[i1:i2], passage[j1:j2]
        if op == "equal":
            continue
        if q.lower() == p.lower():
            w1, w2 = _word_around(passage, j1, j2), _word_around(quote, i1, i2)
            found.append(f"case: the snapshot writes '{w1}' where the quote writes '{w2}'")
            continue
        # name the snapshot's special characters (’ for '); when it has none, the quote's (’ for ')
        in_snapshot = [c for c in p if c != " " and _is_typographic(c) and c not in q]
        for c in in_snapshot:
            found.append(f"the snapshot has {_describe(c)} where the quote has {_describe(q)}")
        in_quote = [] if in_snapshot else [c for c in q if c != " " and _is_typographic(c) and c not in p]
        for c in in_quote:
            found.append(f"the quote has {_describe(c)} where the snapshot has {_describe(p)}")
        if not in_snapshot and not in_quote:   # not typography: other words or letters
            w1, w2 = _word_around(quote, i1, i2).strip(), _word_around(passage, j1, j2).strip()
            found.append(f"the quote writes '{w1}' where the snapshot writes '{w2}'" if w2 else
                         f"the quote has '{w1}', which the snapshot does not")
    return list(dict.fromkeys(found))[:6]


def _word_around(text: str, start: int, end: int) -> str:
    while start > 0 and text[start - 1].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum():
        end += 1
    return text[start:end]


def _quote_fix(miss: QuoteMiss, text: str, quote: str) -> str:
    if miss.count:
        return miss.fix()
    near = explain_quote_miss(text, quote)
    if near.passage is None:
        return ("copy the quote exactly from the snapshot: no passage of it resembles this quote "
                "(is it the right snapshot?)")
    shown = near.passage if len(near.passage) <= 200 else near.passage[:120] + " … " + near.passage[-60:]
    shown = shown.replace("\n", "\\n")
    differs = ("; it differs by: " + "; ".join(near.differences)) if near.differences else ""
    return f"copy the quote exactly from the snapshot; the closest passage (line {near.line}) is «{shown}»{differs}"


# ---------------------------------------------------------------------------------------------
# Cards -> Policy
# ---------------------------------------------------------------------------------------------

def sources_dir_for(card: Path) -> Path:
    """The snapshots folder for a card: `sources/` beside the `policies/` folder that holds it."""
    for parent in card.resolve().parents:
        if parent.name == "policies" and (parent.parent / "sources").is_dir():
            return parent.parent / "sources"
    return card.resolve().parent


def snapshot_path(sources_dir: Path, raw: str, where: Location) -> Path:
    """The snapshot file a card names, confined to the sources folder: an absolute path, a '..' that
    climbs out, or a symbolic link that leads out is refused before anything is read."""
    root = sources_dir.resolve()
    fix = f"keep the snapshot in the sources folder {root} and write its path relative to it (e.g. slug/date.fr.txt)"
    if "\x00" in raw:
        raise CardError("the snapshot path holds a NUL character", where, fix, error_id="invalid-value")
    if PurePosixPath(raw).is_absolute() or PureWindowsPath(raw).is_absolute() or PureWindowsPath(raw).drive:
        raise CardError(f"the snapshot path {raw!r} is absolute", where, fix, error_id="snapshot-outside")
    try:
        target = (root / raw).resolve()
    except (OSError, RuntimeError) as exc:   # a loop of symbolic links
        raise SnapshotError(f"the snapshot path {raw!r} cannot be resolved ({exc})", where, fix) from None
    if not target.is_relative_to(root):
        raise CardError(f"the snapshot path {raw!r} leads outside the sources folder (to {target})", where, fix,
                        error_id="snapshot-outside")
    return target


class _CardReader:
    def __init__(self, path: Path, data: dict, pos: _Positions, vocabulary, sources_dir: Path | None):
        self.path, self.data, self.pos, self.vocab = path, data, pos, vocabulary
        self.sources_dir = sources_dir or sources_dir_for(path)
        self.statement_ids: dict[str, tuple] = {}
        self.checked: dict[tuple[str, bool], str] = {}   # (CURIE, as a property) -> IRI, for current terms
        self.file = str(path)                            # one string for the Location of every value
        self.terms: dict[str, Term] = {}                 # one object per distinct value: a card's long lists
        self.texts: dict[str, Lit] = {}                  # repeat a few terms and texts

    def where(self, path: tuple, field_text: str | None = None) -> Location:
        line, col = self.pos.item(path[:-1], path[-1]) if path and type(path[-1]) is int else self.pos.of(path)
        return Location(self.file, line, col, field_text if field_text is not None else _path_text(path))

    def term_value(self, iri: str) -> Term:
        value = self.terms.get(iri)
        if value is None:
            value = self.terms[iri] = Term(iri)
        return value

    def text_value(self, text: str) -> Lit:
        value = self.texts.get(text)
        if value is None:
            value = self.texts[text] = Lit(text)
        return value

    # -- terms -------------------------------------------------------------------------------
    def term(self, curie: str, path: tuple, *, is_property: bool = False) -> str:
        known = self.checked.get((curie, is_property))
        if known is not None:   # a long list repeats a few terms: check each once (sunset ones warn each time)
            return known
        iri = ns.expand_curie(curie)
        if iri is None:
            prefix = curie.split(":", 1)[0]
            raise UnknownTermError(f"unknown prefix '{prefix}' in '{curie}'", self.where(path),
                                   "use one of the prefixes " + ", ".join(ns.VOCAB_PREFIXES) +
                                   " (or dct, rdfs, skos, rdf for descriptive properties)")
        prefix, local = curie.split(":", 1)
        if not _LOCAL_NAME.fullmatch(local):  # e.g. a stray quote or brace: not an IRI at all
            cleaned = f"{prefix}:{re.sub(r'[^A-Za-z0-9_.-]', '', local)}"
            close = self.vocab.suggest(cleaned) if prefix in ns.VOCAB_PREFIXES and cleaned != f"{prefix}:" else []
            raise UnknownTermError(f"'{curie}' is not a valid term name", self.where(path),
                                   ("did you mean " + " or ".join(f"'{c}'" for c in close) + "?") if close
                                   else "term names are letters, digits, '-', '_' and '.'")
        if prefix in ns.VOCAB_PREFIXES:
            if not self.vocab.exists(iri):
                close = self.vocab.suggest(curie)
                hint = ("did you mean " + " or ".join(f"'{c}'" for c in close) + "? (closest real terms)"
                        if close else "check the spelling against the DPV 2.3 documentation")
                owner = "the policykg extension" if prefix == "pkx" else f"DPV {self.vocab.version}"
                raise UnknownTermError(f"'{curie}' is not a term of {owner}", self.where(path), hint)
            if self.vocab.is_sunset(iri):
                warnings.warn(SunsetTermWarning(f"'{curie}' is a sunset term of DPV {self.vocab.version}",
                                                self.where(path), "DPV will remove it: use a current term "
                                                "(see its documentation for the replacement)"), stacklevel=2)
            if is_property and not self.vocab.is_property(iri):
                raise CardError(f"'{curie}' is a concept, not a property", self.where(path),
                                "use it as a value (e.g. under dpv:hasPurpose), or use a dpv:has… property here",
                                error_id="not-a-property")
        elif is_property and iri not in OTHER_PROPERTIES:
            raise CardError(f"the property '{curie}' is not one a card may use", self.where(path),
                            "use a DPV property, or one of " + ", ".join(sorted(ns.shorten(p) for p in OTHER_PROPERTIES)),
                            error_id="unknown-property")
        if prefix not in ns.VOCAB_PREFIXES or not self.vocab.is_sunset(iri):
            self.checked[(curie, is_property)] = iri
        return iri

    # -- values ------------------------------------------------------------------------------
    def value(self, prop: str, item: Any, path: tuple, facts: list[Fact]):
        literal_prop = prop in LITERAL_PROPERTIES
        if isinstance(item, str):
            return self.text_value(item) if literal_prop else self.term_value(self.term(item, path))
        if isinstance(item, dict) and "id" in item:
            if literal_prop:
                raise CardError(f"{ns.shorten(prop)} takes text, not a node", self.where(path),
                                "write the text as a string", error_id="wrong-value-kind")
            self.node(item, path, facts)
            return NodeRef(item["id"])
        if isinstance(item, dict) and len(item) == 1 and next(iter(item)) in TYPED:
            kind, raw = next(iter(item.items()))
            return Lit(typed_lexical(kind, raw, self.where(path + (kind,))), datatype=XSD + TYPED[kind])
        if isinstance(item, dict):  # language map
            if not literal_prop:
                raise CardError(f"{ns.shorten(prop)} takes a term (prefix:Name) or a node, not text",
                                self.where(path), "write a DPV term such as dpv:ServiceProvision, "
                                "or a node with an id", error_id="wrong-value-kind")
            raise _LangMap({lang: text for lang, text in item.items()})
        raise CardError(f"unexpected value {item!r}", self.where(path), "see docs/card.md, Values")

    def node(self, node: dict, path: tuple, facts: list[Fact]) -> None:
        node_id = node["id"]
        if "a" in node:
            self.types(node_id, node["a"], path + ("a",), facts)
        for key, raw in node.items():
            if key in ("id", "a"):
                continue
            self.property(node_id, key, raw, path + (key,), facts)

    def types(self, subject: str, raw: Any, path: tuple, facts: list[Fact]) -> None:
        rdf_type = ns.expand_curie("rdf:type")
        for ipath, field_text, curie in self.items(raw, path):
            value = self.term_value(self.term(curie, ipath))
            facts.append(Fact(subject, rdf_type, value, self.where(ipath, field_text)))

    def property(self, subject: str, key: str, raw: Any, path: tuple, facts: list[Fact]) -> None:
        prop = self.term(key, path, is_property=True)
        for ipath, field_text, item in self.items(raw, path):
            where = self.where(ipath, field_text)
            try:
                facts.append(Fact(subject, prop, self.value(prop, item, ipath, facts), where))
            except _LangMap as langs:
                for lang, text in langs.texts.items():
                    facts.append(Fact(subject, prop, Lit(text, lang=lang), where))

    @staticmethod
    def items(raw: Any, path: tuple):
        """(path, field text, value) of each value of a key written as one value or a list of them."""
        field_text = _path_text(path)
        if not isinstance(raw, list):
            yield path, field_text, raw
            return
        for i, item in enumerate(raw):
            yield path + (i,), f"{field_text}[{i}]", item

    # -- statements --------------------------------------------------------------------------
    def statement(self, raw: dict, subject: str, path: tuple, source: Source) -> Statement:
        sid = raw["id"]
        if sid in self.statement_ids:
            first = self.where(self.statement_ids[sid])
            raise CardError(f"the statement id '{sid}' is used twice (first at line {first.line})",
                            self.where(path + ("id",)), "give each statement its own id",
                            error_id="duplicate-id")
        self.statement_ids[sid] = path + ("id",)
        facts: list[Fact] = []
        if "a" in raw:
            self.types(subject, raw["a"], path + ("a",), facts)
        for key, value in raw.items():
            if key in STATEMENT_KEYS or key == "a":
                continue
            self.property(subject, key, value, path + (key,), facts)
        if not facts:
            raise CardError(f"the statement '{sid}' states nothing", self.where(path),
                            "add what the quote says, e.g. dpv:hasPurpose: dpv:ServiceProvision",
                            error_id="empty-statement")
        return Statement(sid, subject, facts, self.evidence(raw, path, source), self.where(path))

    def evidence(self, raw: dict, path: tuple, source: Source) -> Evidence:
        occurrence = _count(raw.get("occurrence"), self.where(path + ("occurrence",)))
        found = locate_quote(source.text, raw["quote"], occurrence)
        if isinstance(found, QuoteMiss):
            what = "is not" if found.count == 0 else found
            raise QuoteNotFoundError(f"the quote of '{raw['id']}' {what} in {source.snapshot}",
                                     self.where(path + ("quote",)), _quote_fix(found, source.text, raw["quote"]))
        start, end = found
        text = source.text
        return Evidence(exact=text[start:end], start=start, end=end,
                        prefix=text[max(0, start - CONTEXT_CHARS):start],
                        suffix=text[end:end + CONTEXT_CHARS],
                        inferred=bool(raw.get("inferred", False)), note=raw.get("note"),
                        review=bool(raw.get("review", False)), confidence=raw.get("confidence"),
                        found_by=raw.get("found_by"))

    def source(self) -> Source:
        raw = self.data["policy"]["source"]
        path = ("policy", "source", "snapshot")
        snap = snapshot_path(self.sources_dir, raw["snapshot"], self.where(path))
        try:
            blob = read_input(snap, "policy text snapshot")
        except InputNotFoundError:
            raise SnapshotError(f"the snapshot {snap} does not exist", self.where(path),
                                f"put the policy text there, or fix the path (relative to {self.sources_dir})") from None
        except InputFileError as exc:   # a folder, a device, empty, binary, too large: the card names it here
            exc.where = self.where(path)
            raise
        digest = hashlib.sha256(blob).hexdigest()
        if digest != raw["sha256"]:
            raise SnapshotError(f"the snapshot's SHA-256 is {digest}, the card says {raw['sha256']}",
                                self.where(("policy", "source", "sha256")),
                                "if the snapshot was replaced on purpose, update sha256 and re-check every quote")
        try:
            text = blob.decode("utf-8")
        except UnicodeDecodeError:
            raise SnapshotError(f"the snapshot {snap} is not UTF-8 text", self.where(path),
                                "convert it to UTF-8") from None
        return Source(url=raw.get("url"), snapshot=raw["snapshot"], sha256=digest, retrieved=raw.get("retrieved"),
                      text=unicodedata.normalize("NFC", text), byte_size=len(blob))

    def dates(self) -> dict[str, Lit]:
        """issued / modified / valid as typed literals; version and retrieved checked as dates too."""
        pol = self.data["policy"]
        check_typed_value("date", pol["version"], self.where(("policy", "version")))
        if "retrieved" in pol["source"]:
            check_typed_value("date", pol["source"]["retrieved"], self.where(("policy", "source", "retrieved")))
        dates = {}
        for k in ("issued", "modified", "valid"):
            if k in pol:
                kind = "dateTime" if "T" in pol[k] else "date"
                check_typed_value(kind, pol[k], self.where(("policy", k)))
                dates[k] = Lit(pol[k], datatype=XSD + kind)
        return dates

    def policy(self) -> Policy:
        d = self.data
        pol = d["policy"]
        dates = self.dates()
        source = self.source()
        statements: list[Statement] = []
        for i, raw in enumerate(pol.get("statements", [])):
            statements.append(self.statement(raw, Policy.NOTICE_ID, ("policy", "statements", i), source))
        ctrl = d["controller"]
        for i, raw in enumerate(ctrl["statements"]):
            statements.append(self.statement(raw, ctrl["id"], ("controller", "statements", i), source))
        processes: list[Process] = []
        seen_ids = {Policy.NOTICE_ID: ("policy",), ctrl["id"]: ("controller", "id")}
        for i, raw in enumerate(d.get("processes", [])):
            ppath = ("processes", i)
            if raw["id"] in seen_ids:
                raise CardError(f"the id '{raw['id']}' names two different things", self.where(ppath + ("id",)),
                                "give the process its own id", error_id="duplicate-id")
            seen_ids[raw["id"]] = ppath
            processes.append(Process(raw["id"], dict(raw["label"]), dict(raw.get("description", {})),
                                     raw.get("scope") == "policy", self.where(ppath), raw.get("within")))
            for j, st in enumerate(raw["statements"]):
                statements.append(self.statement(st, raw["id"], ppath + ("statements", j), source))
        ids = {p.id: p for p in processes}
        for p in processes:
            if p.within is not None and (p.within not in ids or p.within == p.id):
                raise CardError(f"the process '{p.id}' is within '{p.within}', which is not another process of the card",
                                p.where, "name the id of the parent process, or remove 'within'", error_id="invalid-card")
            seen, parent = {p.id}, p.within
            while parent is not None:
                if parent in seen:
                    raise CardError(f"the processes {' → '.join(sorted(seen))} are nested in a loop", p.where,
                                    "remove one 'within' so that nesting ends", error_id="invalid-card")
                seen.add(parent)
                parent = ids[parent].within
        if sum(p.policy_scope for p in processes) > 1:
            second = [p for p in processes if p.policy_scope][1]
            raise CardError("more than one process has scope: policy", second.where,
                            "keep scope: policy on the one process that holds policy-wide statements",
                            error_id="invalid-card")
        return Policy(slug=pol["slug"], version=pol["version"], title=pol["title"],
                      language=pol["language"], dates=dates, source=source, controller_id=ctrl["id"],
                      processes=processes, statements=statements, card_path=str(self.path))


class _LangMap(Exception):
    """Internal: a {lang: text} value that expands to several literals."""

    def __init__(self, texts: dict[str, str]):
        super().__init__("language map")
        self.texts = texts


def load_card(path: str | Path, *, vocabulary=None, sources_dir: Path | None = None) -> Policy:
    """Read, check and return one policy card. Raises a `CardError` (or subclass) on any problem."""
    from .vocab import load_vocabulary

    path = Path(path)
    data, pos = read_card(path)
    if not isinstance(data, dict):
        raise CardError("a card is a YAML mapping (key: value), not a list or a single value",
                        Location(str(path), 1), "start from docs/card.md's example")
    problem = _schema_error(path, data, pos)
    if problem:
        raise problem
    reader = _CardReader(path, data, pos, vocabulary or load_vocabulary(), sources_dir)
    return reader.policy()


def find_cards(root: str | Path) -> list[Path]:
    """Every card under a folder (sorted), or the file itself."""
    root = Path(root)
    if root.is_file():
        return [root]
    if not root.exists():
        raise InputNotFoundError(f"no such file or folder: {root}", str(root), "check the path")
    return sorted(p for p in root.rglob("*.yaml") if "sources" not in p.parts) + \
        sorted(p for p in root.rglob("*.yml") if "sources" not in p.parts)
