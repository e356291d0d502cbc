"""The card's JSON Schema (kg/card.schema.json): the validator (jsonschema-rs, with the ECMA-262 pattern
dialect the schema is written in) and the explanation of a schema error as a CardError at the card's
file:line. Split out of kg/load.py, which uses it.
"""

import copy
import datetime
import itertools
import json
import math
import re
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema_rs

from .errors import (CardError, Location)


from .card_yaml import _Positions, _path_text

_EXPLAINED_ERRORS = 20      # schema errors looked at to report the first (a long list can hold millions)


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


@lru_cache(maxsize=1)
def _ecma_validator_class():
    """jsonschema's Draft 2020-12 validator with finite numbers only. Imported on first use: jsonschema (and
    attrs) cost ~70 ms to import, and only a card with an error needs them (jsonschema-rs checks the others)."""
    import jsonschema
    draft = jsonschema.Draft202012Validator

    def finite_number(checker, instance) -> bool:
        # jsonschema-rs: NaN and infinities are not JSON numbers (JSON has no way to write them)
        return (draft.TYPE_CHECKER.is_type(instance, "number")
                and (not isinstance(instance, float) or math.isfinite(instance)))   # an int of 400 digits is finite
    return jsonschema.validators.extend(draft, type_checker=draft.TYPE_CHECKER.redefine("number", finite_number))


_ECMA_ORIGINALS: dict[str, str] = {}   # Python pattern -> the schema's own, for messages


def ecma_validator(schema: dict):
    """A jsonschema validator that agrees with jsonschema-rs: patterns read as ECMA-262, numbers finite."""
    return _ecma_validator_class()(_python_patterns(copy.deepcopy(schema), _ECMA_ORIGINALS))


@lru_cache(maxsize=1)
def _python_validator():
    return ecma_validator(card_schema())

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


def _explain(err) -> tuple[str, str, tuple]:
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
