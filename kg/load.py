"""Load a policy card (YAML) into the `Policy` model, keeping the file:line of every value.

Errors are `CardError`s that say what is wrong, where (file:line:column and the field), and how to
fix it. Nothing here builds triples; the vocabulary is only asked whether terms exist.
"""
from __future__ import annotations

import datetime
import hashlib
import json
import re
import unicodedata
import warnings
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
import yaml

from . import namespaces as ns
from .errors import (CardError, InputNotFoundError, Location, QuoteNotFoundError, SnapshotError,
                     SunsetTermWarning, UnknownTermError)
from .files import read_input, read_text_input
from .model import Evidence, Fact, Lit, NodeRef, Policy, Process, Source, Statement, Term

try:  # the C loader is ~10x faster on large cards
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
STATEMENT_KEYS = {"id", "quote", "occurrence", "inferred", "note"}
CONTEXT_CHARS = 32  # prefix/suffix length of a TextQuoteSelector
_LOCAL_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


@lru_cache(maxsize=1)
def card_schema() -> dict:
    return json.loads(resources.files("kg").joinpath("card.schema.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _fast_validator():
    """jsonschema-rs checks a valid card in ~0.1 ms (jsonschema: ~90 ms); jsonschema explains errors."""
    return jsonschema_rs.validator_for(card_schema())


# ---------------------------------------------------------------------------------------------
# YAML with positions
# ---------------------------------------------------------------------------------------------

class _Positions(dict):
    """(path tuple) -> (line, column), both 1-based."""

    def of(self, path: tuple) -> tuple[int | None, int | None]:
        while path not in self and path:
            path = path[:-1]
        return self.get(path, (None, None))


def _to_python(node: yaml.Node, path: tuple, pos: _Positions) -> Any:
    seen = pos.__dict__.setdefault("nodes", set())
    if id(node) in seen:   # a YAML alias: a few lines of them expand to billions of values
        raise CardError(f"{_path_text(path)} is a YAML alias (*name) of the value at line {node.start_mark.line + 1}",
                        Location("", field=_path_text(path)),
                        "write the value out in full: cards do not use anchors (&name) and aliases (*name)",
                        error_id="yaml-alias")
    seen.add(id(node))
    pos[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict = {}
        for key_node, value_node in node.value:
            key = _to_python(key_node, path + ("<key>",), pos)
            if not isinstance(key, str):
                key = str(key)
            if key in out:
                first = pos.get(path + (key,), (None, None))[0]
                raise CardError(f"the key '{key}' appears twice in the same mapping (first at line {first})",
                                Location("", key_node.start_mark.line + 1, key_node.start_mark.column + 1,
                                         _path_text(path + (key,))),
                                "keep one of them (YAML keeps only the last, silently)", error_id="duplicate-key")
            pos[path + (key,)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = _to_python(value_node, path + (key,), pos)
            # the value's own position wins for scalars on the same line; keep the key's line
            pos[path + (key,)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(item, path + (i,), pos) for i, item in enumerate(node.value)]
    # scalars: keep dates as the text the author wrote; convert numbers and booleans
    tag = node.tag
    if tag == "tag:yaml.org,2002:str":  # most scalars: no suffix tests
        return node.value
    if tag.endswith(":int"):   # every YAML 1.1 form: 0x1F, 0o17, 0b101, 1_000, 1:30 (sexagesimal)
        return _YAML_SCALARS.construct_yaml_int(node)
    if tag.endswith(":float"):  # .inf, -.inf, .nan, 1_000.5, 1:30.5
        return _YAML_SCALARS.construct_yaml_float(node)
    if tag.endswith(":bool"):
        return node.value.lower() in ("true", "yes", "on")
    if tag.endswith(":null"):
        return None
    return node.value


_YAML_SCALARS = yaml.constructor.SafeConstructor()


def _path_text(path: tuple) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def read_card(path: Path) -> tuple[dict, _Positions]:
    """Parse a card's YAML, returning the data and the position of every value."""
    try:
        text = read_text_input(path, "card")
    except InputNotFoundError as exc:
        exc.fix = "check the path; cards live in data/policies/<slug>/<version>.yaml"
        raise
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = Location(str(path), mark.line + 1, mark.column + 1) if mark else Location(str(path))
        problem = getattr(exc, "problem", None) or str(exc)
        raise CardError(f"YAML syntax error: {problem}", where,
                        "fix the YAML at that line (indentation, a missing ':' or an unclosed quote)",
                        error_id="yaml-syntax") from None
    if root is None:
        raise CardError("the card is empty (only comments)", Location(str(path)), "start from docs/card.md's example",
                        error_id="empty-file")
    pos = _Positions()
    try:
        data = _to_python(root, (), pos)
    except CardError as exc:
        if isinstance(exc.where, Location):
            exc.where.file = str(path)
        else:
            exc.where = Location(str(path))
        raise
    return data, pos


def _schema_error(path: Path, data: dict, pos: _Positions) -> CardError | None:
    if _fast_validator().is_valid(data):
        return None
    validator = jsonschema.Draft202012Validator(card_schema())
    errors = list(validator.iter_errors(data))
    if not errors:
        return None

    def deepest(err):  # the most specific error inside oneOf/anyOf
        while err.context:
            err = max(err.context, key=lambda e: len(e.absolute_path))
        return err

    errors = sorted((deepest(e) for e in errors), key=lambda e: (pos.of(tuple(e.absolute_path))[0] or 0))
    err = errors[0]
    field_path = tuple(err.absolute_path)
    line, col = pos.of(field_path)
    what, fix = _explain(err)
    more = f" ({len(errors) - 1} more problem(s) after this one)" if len(errors) > 1 else ""
    return CardError(what + more, Location(str(path), line, col, _path_text(field_path) or None), fix)


def _explain(err: jsonschema.ValidationError) -> tuple[str, str]:
    v = err.validator
    if v == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        return f"the required field '{missing}' is missing", f"add '{missing}:' (see docs/card.md)"
    if v == "additionalProperties":
        return (f"unexpected field: {err.message.split('(')[-1].rstrip(')')}",
                "remove it or check its spelling; properties are written prefix:name (see docs/card.md)")
    if v == "pattern":
        last = err.absolute_path[-1] if err.absolute_path else ""
        if last == "duration":
            return (f"{err.instance!r} is not an ISO 8601 duration",
                    "write P then the amounts: P3Y (3 years), P6M, P30D, PT12H, P1Y6M")
        if "[0-9]{4}-[0-9]{2}-[0-9]{2}" in err.validator_value:
            return f"{err.instance!r} is not a date in the form YYYY-MM-DD", "write the date as YYYY-MM-DD (in quotes)"
        return f"the value {err.instance!r} is not in the expected form", f"it must match {err.validator_value}"
    if v == "anyOf" and "issued" in json.dumps(err.validator_value):
        return "the policy has no date", "add one of issued:, modified: or valid: to policy"
    if v == "const":
        return f"the value {err.instance!r} is not supported", f"write {err.validator_value!r}"
    if v == "type":
        return f"{err.instance!r} is not a {err.validator_value}", f"write a {err.validator_value} here"
    return err.message, "see docs/card.md for the card format"


# ---------------------------------------------------------------------------------------------
# Cards -> Policy
# ---------------------------------------------------------------------------------------------

def sources_dir_for(card: Path) -> Path:
    """The snapshots folder for a card: `sources/` beside the `policies/` folder that holds it."""
    for parent in card.resolve().parents:
        if parent.name == "policies" and (parent.parent / "sources").is_dir():
            return parent.parent / "sources"
    return card.resolve().parent


def locate_quote(text: str, quote: str, occurrence: int | None) -> tuple[int, int] | str:
    """(start, end) of the quote's chosen occurrence in code points, or a message saying why not."""
    quote = unicodedata.normalize("NFC", quote)
    starts, i = [], text.find(quote)
    while i >= 0:
        starts.append(i)
        i = text.find(quote, i + 1)
    if not starts:
        return "not found"
    if occurrence is None and len(starts) > 1:
        return f"occurs {len(starts)} times"
    n = occurrence or 1
    if n > len(starts):
        return f"occurs {len(starts)} time(s), not {n}"
    return starts[n - 1], starts[n - 1] + len(quote)


class _CardReader:
    def __init__(self, path: Path, data: dict, pos: _Positions, vocabulary, sources_dir: Path | None):
        self.path, self.data, self.pos, self.vocab = path, data, pos, vocabulary
        self.sources_dir = sources_dir or sources_dir_for(path)
        self.statement_ids: dict[str, tuple] = {}

    def where(self, path: tuple) -> Location:
        line, col = self.pos.of(path)
        return Location(str(self.path), line, col, _path_text(path))

    # -- terms -------------------------------------------------------------------------------
    def term(self, curie: str, path: tuple, *, is_property: bool = False) -> str:
        iri = ns.expand_curie(curie)
        if iri is None:
            prefix = curie.split(":", 1)[0]
            raise UnknownTermError(f"unknown prefix '{prefix}' in '{curie}'", self.where(path),
                                   "use one of the prefixes " + ", ".join(ns.VOCAB_PREFIXES) +
                                   " (or dct, rdfs, skos, rdf for descriptive properties)")
        prefix, local = curie.split(":", 1)
        if prefix in ns.VOCAB_PREFIXES:
            if not _LOCAL_NAME.fullmatch(local):  # e.g. a stray quote or brace: not an IRI at all
                cleaned = f"{prefix}:{re.sub(r'[^A-Za-z0-9_.-]', '', local)}"
                close = self.vocab.suggest(cleaned) if cleaned != f"{prefix}:" else []
                raise UnknownTermError(f"'{curie}' is not a valid term name", self.where(path),
                                       ("did you mean " + " or ".join(f"'{c}'" for c in close) + "?") if close
                                       else "term names are letters, digits, '-', '_' and '.'")
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
        return iri

    # -- values ------------------------------------------------------------------------------
    def value(self, prop: str, item: Any, path: tuple, facts: list[Fact]):
        literal_prop = prop in LITERAL_PROPERTIES
        if isinstance(item, str):
            if literal_prop:
                return Lit(item)
            return Term(self.term(item, path))
        if isinstance(item, dict) and "id" in item:
            if literal_prop:
                raise CardError(f"{ns.shorten(prop)} takes text, not a node", self.where(path),
                                "write the text as a string", error_id="wrong-value-kind")
            self.node(item, path, facts)
            return NodeRef(item["id"])
        if isinstance(item, dict) and len(item) == 1 and next(iter(item)) in TYPED:
            kind, raw = next(iter(item.items()))
            text = str(raw).lower() if kind == "boolean" else str(raw)
            check_typed_value(kind, text, self.where(path + (kind,)))
            return Lit(text, datatype=XSD + TYPED[kind])
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
        items = raw if isinstance(raw, list) else [raw]
        for i, curie in enumerate(items):
            ipath = path + (i,) if isinstance(raw, list) else path
            facts.append(Fact(subject, rdf_type, Term(self.term(curie, ipath)), self.where(ipath)))

    def property(self, subject: str, key: str, raw: Any, path: tuple, facts: list[Fact]) -> None:
        prop = self.term(key, path, is_property=True)
        items = raw if isinstance(raw, list) else [raw]
        for i, item in enumerate(items):
            ipath = path + (i,) if isinstance(raw, list) else path
            try:
                facts.append(Fact(subject, prop, self.value(prop, item, ipath, facts), self.where(ipath)))
            except _LangMap as langs:
                for lang, text in langs.texts.items():
                    facts.append(Fact(subject, prop, Lit(text, lang=lang), self.where(ipath)))

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
        found = locate_quote(source.text, raw["quote"], raw.get("occurrence"))
        if isinstance(found, str):
            fix = ("add 'occurrence: N' to say which one" if "times" in found and "not" not in found else
                   "give an occurrence between 1 and the count, or quote a longer passage" if "not" in found else
                   "copy the quote exactly from the snapshot (apostrophes ’ vs ', spaces and case matter)")
            raise QuoteNotFoundError(f"the quote of '{raw['id']}' {found} in {source.snapshot}",
                                     self.where(path + ("quote",)), fix)
        start, end = found
        text = source.text
        return Evidence(exact=text[start:end], start=start, end=end,
                        prefix=text[max(0, start - CONTEXT_CHARS):start],
                        suffix=text[end:end + CONTEXT_CHARS],
                        inferred=bool(raw.get("inferred", False)), note=raw.get("note"))

    def source(self) -> Source:
        raw = self.data["policy"]["source"]
        snap = self.sources_dir / raw["snapshot"]
        path = ("policy", "source", "snapshot")
        try:
            blob = read_input(snap, "policy text snapshot")
        except InputNotFoundError:
            raise SnapshotError(f"the snapshot {snap} does not exist", self.where(path),
                                f"put the policy text there, or fix the path (relative to {self.sources_dir})") from None
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

    def policy(self) -> Policy:
        d = self.data
        pol = d["policy"]
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
        dates = {k: Lit(str(pol[k]), datatype=XSD + ("dateTime" if "T" in str(pol[k]) else "date"))
                 for k in ("issued", "modified", "valid") if k in pol}
        for k, lit in dates.items():
            check_typed_value(lit.datatype.removeprefix(XSD), lit.value, self.where(("policy", k)))
        if "retrieved" in pol["source"]:
            check_typed_value("date", str(pol["source"]["retrieved"])[:10], self.where(("policy", "source", "retrieved")))
        return Policy(slug=pol["slug"], version=str(pol["version"]), title=pol["title"],
                      language=pol["language"], dates=dates, source=source, controller_id=ctrl["id"],
                      processes=processes, statements=statements, card_path=str(self.path))


def check_typed_value(kind: str, text: str, where: Location) -> None:
    """Dates must be real calendar dates (the schema checks only their form: 2024-02-30 passes it)."""
    try:
        if kind == "date":
            datetime.date.fromisoformat(text)
        elif kind == "dateTime":
            datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise CardError(f"'{text}' is not a real {kind} ({exc})", where,
                        "write an existing date as YYYY-MM-DD (month 01-12, day within the month)",
                        error_id="invalid-value") from None


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
