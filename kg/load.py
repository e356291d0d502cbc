"""Load a policy card (YAML) into the `Policy` model, keeping the file:line of every value.

Errors are `CardError`s that say what is wrong, where (file:line:column and the field), and how to
fix it. Nothing here builds triples; the vocabulary is only asked whether terms exist.

A card is hostile input until checked: it is read with a size limit (kg/files.py), parsed without
recursion and without a node tree, refused past `MAX_DEPTH` levels of nesting, checked against the
schema with a bounded number of explained errors, and its snapshot is read only from inside the
sources folder.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
import warnings
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any


from . import namespaces as ns
from .errors import (CardError, InputFileError, InputNotFoundError, Location, QuoteNotFoundError, SnapshotError,
                     SunsetTermWarning, UnknownTermError)
from .files import CARD_SUFFIXES, read_input
from .model import Evidence, Fact, Lit, NodeRef, Policy, Process, Source, Statement, Term
from .card_schema import _schema_error, card_schema, ecma_validator  # noqa: F401 - card_schema, ecma_validator: API
from .card_schema import check_typed_value, typed_lexical  # noqa: F401 - check_typed_value: API
from .card_yaml import MAX_DEPTH, _Positions, _path_text, read_card  # noqa: F401 - MAX_DEPTH: API
from .quotes import QuoteMiss, _quote_fix, explain_quote_miss, locate_quote  # noqa: F401 - API

XSD = ns.PREFIXES["xsd"]

# Properties that take literals (one table: kg.namespaces); every other property takes a term or a node.
LITERAL_PROPERTIES = ns.LITERAL_PROPERTIES
# Properties outside the DPV namespaces that a card may use.
OTHER_PROPERTIES = {ns.expand_curie(c) for c in (
    "dct:description", "dct:title", "dct:identifier", "dct:source", "dct:isPartOf", "rdfs:label",
    "rdfs:comment", "rdfs:seeAlso", "skos:note", "rdf:value")}
TYPED = {"duration": "duration", "date": "date", "dateTime": "dateTime", "integer": "integer",
         "decimal": "decimal", "boolean": "boolean"}
STATEMENT_KEYS = {"id", "quote", "occurrence", "inferred", "note", "review", "confidence", "found_by"}
_LOCAL_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_RDF_TYPE = ns.expand_curie("rdf:type")



def _count(raw: Any, where: Location) -> int | None:
    """`occurrence`: a whole number (the schema lets 2.0 through, JSON Schema calls it an integer)."""
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise CardError(f"occurrence: {raw!r} is not a whole number", where,
                        "write which occurrence of the quote, counting from 1: occurrence: 2", error_id="invalid-value")
    return raw


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


# What checking a term gave, kept per vocabulary for the whole process (a build's worker loads thousands of
# cards that name the same few hundred terms): (CURIE, as a property) -> IRI for current terms, and one `Term`
# per IRI. Both depend only on the CURIE, the vocabulary and this module's tables.
_TERM_CACHES: dict[int, tuple[object, dict, dict]] = {}


def _term_caches(vocabulary) -> tuple[dict, dict]:
    entry = _TERM_CACHES.get(id(vocabulary))
    if entry is None or entry[0] is not vocabulary:
        if len(_TERM_CACHES) >= 4:
            _TERM_CACHES.clear()
        entry = _TERM_CACHES[id(vocabulary)] = (vocabulary, {}, {})
    return entry[1], entry[2]


class _CardReader:
    def __init__(self, path: Path, data: dict, pos: _Positions, vocabulary, sources_dir: Path | None):
        self.path, self.data, self.pos, self.vocab = path, data, pos, vocabulary
        self.sources_dir = sources_dir or sources_dir_for(path)
        self.statement_ids: dict[str, tuple] = {}
        # (CURIE, as a property) -> IRI for current terms, and one `Term` per IRI (a card's long lists repeat
        # a few terms): shared by the cards of one vocabulary
        self.checked, self.terms = _term_caches(vocabulary)
        self.file = str(path)                            # one string for the Location of every value
        self.texts: dict[str, Lit] = {}                  # one object per distinct text
        self.parent_texts: dict[tuple, str] = {}         # a statement's path as text, for each of its fields

    def where(self, path: tuple, field_text: str | None = None) -> Location:
        line, col = self.pos.item(path[:-1], path[-1]) if path and type(path[-1]) is int else self.pos.of(path)
        return Location(self.file, line, col, field_text if field_text is not None else self.path_text(path))

    def path_text(self, path: tuple) -> str:
        """`_path_text(path)`, its parent's text made once (the fields of a statement share it)."""
        if not path:
            return ""
        parent, last = path[:-1], path[-1]
        head = self.parent_texts.get(parent)
        if head is None:
            head = self.parent_texts[parent] = _path_text(parent)
        if type(last) is int:
            return f"{head}[{last}]"
        if not last.isprintable():
            return _path_text(path)
        return f"{head}.{last}" if head else last

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
        if known is not None:   # cards repeat a few terms: check each once (sunset ones warn each time)
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
        rdf_type = _RDF_TYPE
        for ipath, where, curie in self.located_items(raw, path):
            value = self.term_value(self.term(curie, ipath))
            facts.append(Fact(subject, rdf_type, value, where))

    def property(self, subject: str, key: str, raw: Any, path: tuple, facts: list[Fact]) -> None:
        prop = self.term(key, path, is_property=True)
        for ipath, where, item in self.located_items(raw, path):
            try:
                facts.append(Fact(subject, prop, self.value(prop, item, ipath, facts), where))
            except _LangMap as langs:
                for lang, text in langs.texts.items():
                    facts.append(Fact(subject, prop, Lit(text, lang=lang), where))

    def located_items(self, raw: Any, path: tuple):
        """(path, Location, value) of each value of a key written as one value or a list of them: `items`
        with `where`, a list's positions read once."""
        field_text = self.path_text(path)
        if not isinstance(raw, list):
            yield path, self.where(path, field_text), raw
            return
        positions = self.pos.items.get(path)
        known = len(positions) if positions is not None else 0
        file = self.file
        for i, item in enumerate(raw):
            ipath = path + (i,)
            if i < known:
                packed = positions[i]
                yield ipath, Location(file, packed >> 32, packed & 0xFFFFFFFF, f"{field_text}[{i}]"), item
            else:
                yield ipath, self.where(ipath, f"{field_text}[{i}]"), item

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
        occurrence = raw.get("occurrence")
        if occurrence is not None:
            occurrence = _count(occurrence, self.where(path + ("occurrence",)))
        found = locate_quote(source.text, raw["quote"], occurrence)
        if isinstance(found, QuoteMiss):
            what = "is not" if found.count == 0 else found
            raise QuoteNotFoundError(f"the quote of '{raw['id']}' {what} in {source.snapshot}",
                                     self.where(path + ("quote",)), _quote_fix(found, source.text, raw["quote"]))
        start, end = found
        text = source.text
        return Evidence(exact=text[start:end], start=start, end=end,
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
                      text=unicodedata.normalize("NFC", text), byte_size=len(blob), file=str(Path(snap).resolve()))

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
    from .files import files_under
    return files_under(root, *((suffix,) for suffix in CARD_SUFFIXES))
