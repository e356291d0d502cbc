"""A card's YAML read as hostile input: with a size limit, without recursion or a node tree, refused past
MAX_DEPTH levels of nesting, and with the file:line:column of every value (`read_card`). Split out of
kg/load.py, which uses it.
"""

from array import array
from pathlib import Path
from typing import Any

import yaml

from .errors import (CardError, InputNotFoundError, Location)
from .files import DEFAULT_MAX_CARD_SIZE, read_text_input

try:  # the C parser is ~10x faster on large cards
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _Loader


# Levels of mappings and lists a card may nest (the seeds use 8). Past it nothing is built: the schema
# validator and the reader recurse once or more per level, and Python's stack is ~1000 frames.
MAX_DEPTH = 64


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
    one is returned as an error to raise once the parser has read the rest.

    The loop is written out (no call per event for a plain scalar, its path made only if it is needed for an
    error): a card is a few hundred events, read once each, and this loop was a third of loading a card."""
    stack: list[list] = []     # open containers: [value, path, key or _NO_KEY, position, item positions or None]
    shared: dict[str, str] = {}   # one object per distinct short text (keys, terms): the parser makes one per scalar
    anchors: dict[str, int] = {}
    too_deep: CardError | None = None
    skipping = 0               # levels open inside a skipped container
    get_event = loader.get_event
    scalar_event, alias_event = yaml.ScalarEvent, yaml.AliasEvent
    mapping_start, sequence_start = yaml.MappingStartEvent, yaml.SequenceStartEvent
    mapping_end, sequence_end = yaml.MappingEndEvent, yaml.SequenceEndEvent
    resolved_first = _RESOLVED_FIRST
    no_key = _NO_KEY
    while True:
        event = get_event()
        kind = type(event)
        if skipping:
            if kind is mapping_start or kind is sequence_start:
                skipping += 1
            elif kind is mapping_end or kind is sequence_end:
                skipping -= 1
            if skipping:
                continue
            value, start = None, None
        elif kind is mapping_end or kind is sequence_end:
            value, _, _, start, _ = stack.pop()
        else:
            if kind is alias_event:
                path = _child_path(stack)
                raise CardError(f"{_path_text(path)} is a YAML alias (*name) of the value at line "
                                f"{anchors.get(event.anchor, '?')}", Location("", field=_path_text(path)),
                                "write the value out in full: cards do not use anchors (&name) and aliases (*name)",
                                error_id="yaml-alias")
            mark = event.start_mark
            start = (mark.line + 1) << 32 | (mark.column + 1)
            if event.anchor is not None:
                anchors[event.anchor] = start >> 32
            if not stack:
                pos[()] = start
            else:
                items = stack[-1][4]
                if items is not None:
                    items.append(start)   # a mapping's values keep their key's position (set with the key)
            if kind is scalar_event:
                value = event.value
                tag = event.tag
                if (tag is None or tag == "!") and (not event.implicit[0] or (value and value[0] not in resolved_first)) \
                        and value.isprintable():
                    pass   # text as written (quoted, or plain and no YAML 1.1 type starts that way): _scalar's answer
                else:
                    value = _scalar(loader, event, _child_path(stack))
                if type(value) is str and len(value) <= 64:
                    value = shared.setdefault(value, value)
            else:
                path = _child_path(stack)
                if len(stack) >= MAX_DEPTH:   # a mapping or list one level too deep
                    too_deep = too_deep or CardError(
                        f"the card nests mappings and lists more than {MAX_DEPTH} levels deep",
                        Location("", start >> 32, start & 0xFFFFFFFF,
                                 f"{_path_text(path[:6])} … {_path_text(path[-2:])} ({len(path)} keys and indexes)"),
                        "a card needs a few levels (the seeds use 8): describe a deeply nested node in a statement "
                        "of its own and refer to it by id ({id: name}), or remove the stray brackets",
                        error_id="card-too-deep")
                    skipping = 1
                    continue
                if kind is mapping_start:
                    stack.append([{}, path, no_key, start, None])
                else:
                    stack.append([[], path, no_key, start, array("Q")])
                    pos.items[path] = stack[-1][4]
                continue
        if not stack:
            return value, too_deep
        frame = stack[-1]
        container = frame[0]
        if frame[4] is not None:   # a list
            container.append(value)
        elif frame[2] is no_key:
            _set_key(frame, value, start, pos)
        else:
            container[frame[2]] = value
            frame[2] = no_key


def _child_path(stack: list[list]) -> tuple:
    """The path of the next value read: the root, a list's next item, a mapping's key or its value."""
    if not stack:
        return ()
    container, path, key = stack[-1][:3]
    if type(container) is list:
        return path + (len(container),)
    return path + (("<key>",) if key is _NO_KEY else (key,))


def _set_key(frame: list, value: Any, start: int | None, pos: _Positions) -> None:
    """A mapping's next key: refused if the mapping has it already, its position kept for its value."""
    container, path = frame[0], frame[1]
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


