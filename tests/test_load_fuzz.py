"""Fuzzing card loading (issue 14): real cards (the seeds, the test fixtures) mutated with hostile values must
load or be refused with a documented KgError, never another exception; a card that loads must map to N-Quads
that pyoxigraph reads, without an rdflib warning (what `policykg build` stores).

Mutations (half of them at a leaf field: slug, dates, ids, quotes, typed values…): a value replaced by junk
(text with C0/C1 controls, U+2028, a BOM, bidi overrides, lone surrogates (escaped in the YAML), typographic
look-alikes; 0, -1, 2.0, 1e309, .nan, .inf, -.inf, huge integers, booleans, null; empty strings, lists and
mappings; typed values and nodes of every kind), a key removed, renamed or added (occurrence, within, a typed
value…), hostile text added to a string, a value wrapped in nodes nested up to 150 levels, a hostile character
inserted anywhere in the YAML text. A card that loads must also hold only valid XSD lexical forms and real dates.

`test_every_leaf_of_the_minimal_card_with_every_edge_value` is the systematic half: each leaf field of the
minimal card given each edge value (and each hostile character at its end), each typed value of each kind given
each edge value, each node wrapped 70 levels deep: ~2,000 cards, ~15 s. Random mutants rarely reach a rare
combination such as `occurrence: 2.0` (most are refused by the schema first); the sweep reaches them all.

The random half runs ~200 examples by default (~15 s). A long run, e.g. overnight:

    POLICYKG_FUZZ_EXAMPLES=200000 pytest tests/test_load_fuzz.py -p no:cacheprovider

(`POLICYKG_FUZZ_SEED=N` repeats a run; hypothesis prints the smallest failing card it finds.)
"""
from __future__ import annotations

import copy
import logging
import os
import re
import shutil
import warnings
from pathlib import Path

import pyoxigraph as ox
import pytest
import yaml
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from kg.errors import CODES, KgError, KgWarning, Location
from kg.load import load_card
from kg.mapping import policy_nquads

from .conftest import DATA, FIXTURES, ROOT
from .test_load_properties import _paths

EXAMPLES = int(os.environ.get("POLICYKG_FUZZ_EXAMPLES", "200"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize="POLICYKG_FUZZ_SEED" not in os.environ,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])
DOCUMENTED = set(re.findall(r"^### PKG-[EW]\d{3} ([a-z0-9-]+)",
                            (ROOT / "docs" / "errors.md").read_text(encoding="utf-8"), flags=re.M))

# (data root holding policies/ and sources/, card path inside it): every card the project ships
BASES = [(DATA, p.relative_to(DATA)) for p in sorted((DATA / "policies").rglob("*.yaml"))] + [
    (FIXTURES, Path("policies/minimal.yaml")),
    (FIXTURES / "versions", Path("policies/whiteprovider/2025-03-01.test-fixture.yaml")),
]

HOSTILE = ["\x00", "\x01", "\x08", "\x1b", "\x1c", "\x7f", "\x85", "\x9b", "\u00a0", "\u202f", "\u2028", "\u2029",
           "\ufeff", "\u202e", "\u200b", "\u00ad", "\n", "\r", "\t", " ", "’", "«", "—", "\ud800", "\udfff",
           "𝔘",
           "İ", "ß", "ﬁ", "e\u0301", ":", "#", "&", "*", "!", "{", "[", "'", '"', "\\", "%", "@", "`", "|", ">"]
_CHAR = st.one_of(st.sampled_from(HOSTILE), st.characters(codec="utf-8"))
TEXT = st.one_of(st.lists(_CHAR, max_size=12).map("".join),   # st.text refuses lone surrogates
                 st.sampled_from(["", " ", "dpv:Nope", "pd:EmailAddress\n", "dpv:Use\u2028", "\ufeffdpv:Use",
                                  "2024-02-30", "2024-13-45", "0000-01-01", "2024-01-31T25:00:00", "P1YT", "P٣Y",
                                  "P" + "9" * 30 + "Y", "https://x.org/a b", "https://x.org/\x01", "../../etc/passwd",
                                  "/etc/hostname", "fr\n", "id", "EN", "a:b:c", "dpv:", ":x", "x" * 300]))
NUMBER = st.sampled_from([0, -1, 1, 2, 2.0, -0.0, 1.5, 1e309, -1e309, float("nan"), float("inf"), float("-inf"),
                          10 ** 30, -(10 ** 30), 2 ** 63, 10 ** 4000, 1e-320, True, False, None])
# (not 10 ** 4300: PyYAML cannot write it; tests/test_load_hostile.py reads such a number from YAML text)
EMPTY = st.sampled_from(["", [], {}, [[]], [{}], {"": ""}, [None]])
TYPED = st.builds(lambda kind, value: {kind: value},
                  st.sampled_from(["duration", "date", "dateTime", "integer", "decimal", "boolean", "id", "fr"]),
                  st.one_of(NUMBER, TEXT, st.sampled_from(["P3Y", "2024-02-29", "2024-05-19T15:30:00-10:00"])))
NODE = st.builds(lambda node_id, prop, value: {"id": node_id, prop: value},
                 st.one_of(st.sampled_from(["n1", "notice", "example"]), TEXT),
                 st.sampled_from(["dpv:hasDuration", "rdf:value", "dpv:hasName", "a", "dct:description"]),
                 st.one_of(NUMBER, TEXT, TYPED))
JUNK = st.one_of(TEXT, NUMBER, EMPTY, TYPED, NODE, st.lists(st.one_of(TEXT, NUMBER, TYPED), max_size=3),
                 st.dictionaries(TEXT, st.one_of(TEXT, NUMBER), max_size=2))


@pytest.fixture(scope="module")
def vocab():
    from kg.vocab import load_vocabulary
    return load_vocabulary()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A copy of each base's data root: mutated cards are written beside the real one, so their snapshot is found."""
    copies = []
    for i, (root, card) in enumerate(BASES):
        target = tmp_path_factory.mktemp(f"base{i}")
        shutil.copytree(root / "policies", target / "policies")
        shutil.copytree(root / "sources", target / "sources")
        data = yaml.safe_load((root / card).read_text(encoding="utf-8"))
        copies.append((data, target / card.parent / "fuzz.yaml"))
    return _Bases(copies)


class _Bases(list):
    """The parsed base cards and where to write their mutants (a short repr: hypothesis prints it)."""

    def __repr__(self) -> str:
        return f"<{len(self)} base cards>"


KEYS = ["occurrence", "inferred", "note", "within", "scope", "retrieved", "issued", "valid", "a", "id", "quote",
        "rdf:value", "dpv:hasDuration", "dpv:hasName", "dct:description", "dpv:hasStorageCondition", "url"]


def _nested(levels: int, leaf):
    for i in range(levels):
        leaf = {"id": f"deep{i}", "dpv:hasStorageCondition": leaf} if i % 3 else [{"id": f"deep{i}", "a": leaf}]
    return leaf


def _mutate(card: dict, data) -> None:
    """One random change at a random place of the card (in place); half of them at a leaf field."""
    paths = list(_paths(card))
    leaves = [p for p in paths if isinstance(p[-1], str) and not isinstance(_get(card, p), (dict, list))]
    path = data.draw(st.sampled_from(leaves if leaves and data.draw(st.booleans()) else paths))
    parent = _get(card, path[:-1])
    key, old = path[-1], parent[path[-1]]
    action = data.draw(st.sampled_from(["replace", "replace", "remove", "rename", "append", "prepend", "add",
                                        "deepen"]))
    if action == "remove" and isinstance(parent, dict):
        del parent[key]
    elif action == "rename" and isinstance(parent, dict):
        new_key = data.draw(st.one_of(TEXT, st.builds(lambda s: key + s, TEXT)))
        parent[new_key if new_key not in parent else key] = parent.pop(key)
    elif action in ("append", "prepend") and isinstance(old, str):
        extra = data.draw(st.one_of(st.sampled_from(HOSTILE), TEXT))
        parent[key] = old + extra if action == "append" else extra + old
    elif action == "add" and isinstance(parent, dict):
        parent[data.draw(st.sampled_from(KEYS))] = copy.deepcopy(data.draw(JUNK))
    elif action == "deepen":
        # at most 150: PyYAML's representer recurses (the loader's 400-level case is in test_load_hostile.py)
        parent[key] = _nested(data.draw(st.sampled_from([1, 2, 10, 60, 70, 150])), old)
    else:   # a copy: sampled_from gives the same [] or {} each time, and a later mutation may change it
        parent[key] = copy.deepcopy(data.draw(JUNK))


def _get(card, path):
    for part in path:
        card = card[part]
    return card


def _dump(card: dict, data) -> str:
    text = yaml.safe_dump(card, allow_unicode=data.draw(st.booleans()), sort_keys=False, width=10 ** 6)
    if data.draw(st.integers(0, 9)) == 0:    # now and then, a hostile character anywhere in the text
        at = data.draw(st.integers(0, len(text)))
        text = text[:at] + data.draw(st.sampled_from(HOSTILE)) + text[at:]
    return text


# XSD 1.1 lexical forms (Part 2, §3.3), written here independently of the loader
XSD_LEXICAL = {
    "integer": r"[+-]?[0-9]+",
    "decimal": r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)",
    "boolean": r"true|false|1|0",
    "date": r"-?[0-9]{4,}-[0-9]{2}-[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})?",
    "dateTime": r"-?[0-9]{4,}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2})?",
    "duration": r"-?P(?=[0-9]|T[0-9])([0-9]+Y)?([0-9]+M)?([0-9]+W)?([0-9]+D)?"
                r"(T(?=[0-9])([0-9]+H)?([0-9]+M)?([0-9]+(\.[0-9]+)?S)?)?",
}


def _well_formed(policy) -> None:
    """Every typed value of a loaded card is a lexical form of its datatype; its dates exist."""
    import datetime
    datetime.date.fromisoformat(policy.version)
    for lit in [f.object for f in policy.facts()] + list(policy.dates.values()):
        kind = getattr(lit, "datatype", None)
        if kind and kind.startswith("http://www.w3.org/2001/XMLSchema#"):
            name = kind.rsplit("#", 1)[1]
            assert re.fullmatch(XSD_LEXICAL[name], lit.value), (name, lit.value)
            if name == "date":
                datetime.date.fromisoformat(lit.value[:10])


def _storable(policy) -> None:
    """What `policykg build` does with a loaded card: N-Quads (rdflib lexical forms) read by pyoxigraph."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("rdflib")
    logger.addHandler(handler)
    try:
        text, count = policy_nquads(policy)
    finally:
        logger.removeHandler(handler)
    assert not records, [r.getMessage() for r in records]
    quads = list(ox.parse(text.encode("utf-8"), format=ox.RdfFormat.N_QUADS))
    assert len(quads) == count


def _fuzz(data, vocab, workspace, *, mutations: int) -> None:
    # the minimal fixture half of the time: fewer places to mutate, each found more often
    base, path = workspace[data.draw(st.one_of(st.just(len(workspace) - 2), st.integers(0, len(workspace) - 1)))]
    card = copy.deepcopy(base)
    for _ in range(data.draw(st.integers(1, mutations))):
        _mutate(card, data)
    path.write_bytes(_dump(card, data).encode("utf-8", "surrogatepass"))
    _check(path, vocab)


def _seeded(test):
    return seed(int(os.environ["POLICYKG_FUZZ_SEED"]))(test) if "POLICYKG_FUZZ_SEED" in os.environ else test


@_seeded
@SETTINGS
@given(data=st.data())
def test_mutated_cards_load_or_raise_a_kg_error(data, vocab, workspace):
    _fuzz(data, vocab, workspace, mutations=3)


EDGE_VALUES = [0, -1, 2, 2.0, 1.5, -0.0, 1e309, float("nan"), float("-inf"), 10 ** 30, 10 ** 4000, 1e-320, True,
               False, None, "", " ", "x" * 300, [], {}, [None], {"": ""}, "dpv:Use", "2024-02-30", "P1YT",
               "/etc/hostname"]
SUFFIXES = ["\n", "\r\n", " ", "\u2028", "\u0085", "\x00", "\x1b", "\u00a0", "\ufeff", "\u202e", "\ud800"]


def _variants(card: dict):
    """(what, mutated card) for every leaf and edge value of a card (see the module docstring)."""
    for path in _paths(card):
        old = _get(card, path)
        if isinstance(old, dict) and len(old) == 1 and next(iter(old)) in XSD_LEXICAL:
            for kind in XSD_LEXICAL:
                for value in EDGE_VALUES + ["P3Y", "2024-02-29", "2024-05-19T15:30:00-10:00", "2024-01-31T25:00:00"]:
                    yield f"{path} = {{{kind}: {value!r}}}", _replaced(card, path, {kind: value})
        elif isinstance(old, dict) and "id" in old:
            yield f"{path} nested 70 deep", _replaced(card, path, _nested(70, old))
        if isinstance(old, (dict, list)):
            continue
        for value in EDGE_VALUES:
            yield f"{path} = {value!r}", _replaced(card, path, value)
        if isinstance(old, str):
            for suffix in SUFFIXES:
                yield f"{path} += {suffix!r}", _replaced(card, path, old + suffix)


def _replaced(card: dict, path: tuple, value) -> dict:
    card = copy.deepcopy(card)
    _get(card, path[:-1])[path[-1]] = copy.deepcopy(value)
    return card


@pytest.mark.slow   # about 2,000 cards (20 s): CI runs it; the random fuzzer stays in the default loop
def test_every_leaf_of_the_minimal_card_with_every_edge_value(vocab, workspace):
    base, path = workspace[-2]
    failures = []
    for what, card in _variants(base):
        path.write_bytes(yaml.safe_dump(card, allow_unicode=True, sort_keys=False, width=10 ** 6).encode("utf-8"))
        try:
            _check(path, vocab)
        except Exception as exc:   # noqa: BLE001 - collected: one run names every case that fails
            failures.append(f"{what}: {type(exc).__name__}: {str(exc)[:200]}")
    assert not failures, f"{len(failures)} case(s):\n" + "\n".join(failures[:40])


def _check(path: Path, vocab) -> None:
    """The card loads into a well-formed, storable policy, or is refused with a documented KgError."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", KgWarning)
            policy = load_card(path, vocabulary=vocab)
    except KgError as exc:
        assert exc.id in CODES and exc.id in DOCUMENTED, exc.id
        assert str(exc).startswith(f"error[{CODES[exc.id]} {exc.id}]: ") and exc.fix, str(exc)
        assert exc.where is None or isinstance(exc.where, (Location, str))
        return
    _well_formed(policy)
    _storable(policy)


def test_the_bases_load_unmutated(vocab, workspace):
    """The fuzzer starts from cards that load: otherwise every example would be refused at the same place."""
    for base, path in workspace:
        path.write_text(yaml.safe_dump(base, allow_unicode=True, sort_keys=False), encoding="utf-8")
        _storable(load_card(path, vocabulary=vocab))
