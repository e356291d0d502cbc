"""Properties of the loaders and of query parameters, over generated input (hypothesis).

- A generated valid card (real DPV terms, quotes taken from a generated snapshot) loads, and its graph
  round-trips: load -> map -> Turtle -> load_rdf gives an isomorphic graph.
- A mutated card (a field removed, a value replaced by junk, bytes of the file changed) either loads or
  raises a KgError whose id has a code and a section in docs/errors.md; nothing else escapes.
- A random value for each parameter type is bound to an RDF term or refused with bad-param.
Example counts are modest: the whole file runs in well under a minute.
"""
from __future__ import annotations

import copy
import hashlib
import re
import tempfile
import unicodedata
import warnings
from pathlib import Path

import pyoxigraph as ox
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib.compare import isomorphic

from kg.errors import CODES, KgError, KgWarning
from kg.load import load_card
from kg.load_rdf import load_rdf_policies
from kg.mapping import policy_graph
from kg.queries import PARAM_TYPES, Param, ParamError, to_term

from .conftest import FIXTURES, ROOT

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DOCUMENTED = set(re.findall(r"^### PKG-[EW]\d{3} ([a-z0-9-]+)",
                            (ROOT / "docs" / "errors.md").read_text(encoding="utf-8"), flags=re.M))

PURPOSES = ["dpv:ServiceProvision", "dpv:DirectMarketing", "dpv:Personalisation", "dpv:FraudPreventionAndDetection",
            "dpv:CustomerCare", "dpv:ServiceOptimisation"]
PERSONAL_DATA = ["pd:EmailAddress", "pd:Name", "pd:IPAddress", "pd:Age", "pd:TelephoneNumber", "pd:Location"]
PROCESSING = ["dpv:Use", "dpv:Collect", "dpv:Store", "dpv:Share", "dpv:Erase"]
LEGAL_BASES = ["eu-gdpr:A6-1-a", "eu-gdpr:A6-1-b", "eu-gdpr:A6-1-f", "dpv:Consent"]

# Text a person might write in a policy: letters of several scripts, digits, punctuation, quotes, spaces.
_CHARS = st.characters(blacklist_categories=("Cs", "Cc", "Co", "Cn", "Zl", "Zp"))
_TEXT = st.text(_CHARS, min_size=1, max_size=40).map(lambda t: unicodedata.normalize("NFC", t)).filter(
    lambda t: t.strip() == t and t)


@pytest.fixture(scope="module")
def vocab():
    from kg.vocab import load_vocabulary
    return load_vocabulary()


def test_the_term_lists_are_real(vocab):
    for curie in PURPOSES + PERSONAL_DATA + PROCESSING + LEGAL_BASES:
        assert vocab.exists(curie) and not vocab.is_sunset(curie), curie


@st.composite
def valid_cards(draw):
    """(card dict, snapshot text): every statement quotes its own numbered sentence of the snapshot."""
    sentences: list[str] = []

    def quote(text: str) -> str:
        sentences.append(f"[{len(sentences)}] {text}.")
        return sentences[-1]

    day = draw(st.dates(min_value=__import__("datetime").date(1990, 1, 1),
                        max_value=__import__("datetime").date(2099, 12, 31))).isoformat()
    processes = []
    for i in range(draw(st.integers(0, 3))):
        statements = []
        for j in range(draw(st.integers(1, 3))):
            st_ = {"id": f"P{i}S{j}", "quote": quote(draw(_TEXT))}
            if draw(st.booleans()):
                st_["dpv:hasPurpose"] = draw(st.sampled_from(PURPOSES))
            st_["dpv:hasPersonalData"] = draw(st.lists(st.sampled_from(PERSONAL_DATA), min_size=1, max_size=3,
                                                       unique=True))
            if draw(st.booleans()):
                st_["dpv:hasProcessing"] = draw(st.sampled_from(PROCESSING))
            if draw(st.booleans()):
                st_["dpv:hasLegalBasis"] = draw(st.sampled_from(LEGAL_BASES))
                st_["inferred"] = draw(st.booleans())
            if draw(st.booleans()):
                st_["dpv:hasStorageCondition"] = {
                    "id": f"p{i}-keep{j}", "a": "dpv:StorageDuration",
                    "dpv:hasDuration": {"id": f"p{i}-dur{j}", "a": "dpv:TemporalDuration",
                                        "rdf:value": {"duration": f"P{draw(st.integers(1, 99))}"
                                                                  f"{draw(st.sampled_from('YMWD'))}"}}}
            statements.append(st_)
        processes.append({"id": f"p{i}", "label": {"en": draw(_TEXT), "fr": draw(_TEXT)}, "statements": statements})
    card = {
        "policykg": 1,
        "policy": {"slug": draw(st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}", fullmatch=True)), "version": day,
                   "title": draw(_TEXT), "language": draw(st.sampled_from(["fr", "en", "de", "fr-CA"])),
                   "modified": day,
                   "source": {"url": "https://example.org/policy", "snapshot": "snapshot.txt", "sha256": "",
                              "retrieved": day},
                   "statements": [{"id": "N1", "quote": quote(draw(_TEXT)), "a": "dpv:PrivacyNotice"}]},
        "controller": {"id": "controller",
                       "statements": [{"id": "C1", "quote": quote(draw(_TEXT)), "a": "dpv:DataController",
                                       "dpv:hasName": draw(_TEXT)}]},
        "processes": processes,
    }
    text = "\n".join(sentences) + "\n"
    card["policy"]["source"]["sha256"] = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return card, text


def _write(folder: Path, card: dict | str, snapshot: str) -> Path:
    (folder / "policies").mkdir(exist_ok=True)
    (folder / "sources").mkdir(exist_ok=True)
    (folder / "sources" / "snapshot.txt").write_bytes(snapshot.encode("utf-8"))
    path = folder / "policies" / "card.yaml"
    text = card if isinstance(card, str) else yaml.safe_dump(card, allow_unicode=True, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def _load_or_documented_error(path: Path, vocab):
    """The card's Policy, or None after checking the error is a documented KgError."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", KgWarning)
            return load_card(path, vocabulary=vocab)
    except KgError as exc:
        assert exc.id in CODES and exc.id in DOCUMENTED, exc.id
        assert str(exc).startswith(f"error[{CODES[exc.id]} {exc.id}]: ")
        return None


@SETTINGS
@given(generated=valid_cards())
def test_valid_cards_load_and_round_trip_through_rdf(generated, vocab):
    card, snapshot = generated
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp), card, snapshot)
        policy = load_card(path, vocabulary=vocab)
        assert policy.slug == card["policy"]["slug"] and policy.version == card["policy"]["version"]
        assert len(policy.statements) == 2 + sum(len(p["statements"]) for p in card["processes"])
        for statement in policy.statements:
            assert snapshot[statement.evidence.start:statement.evidence.end] == statement.evidence.exact
        graph = policy_graph(policy)
        ttl = Path(tmp) / "policy.ttl"
        ttl.write_bytes(graph.serialize(format="turtle").encode("utf-8"))
        [back] = load_rdf_policies(ttl, vocabulary=vocab)
        assert isomorphic(_lower_lang(back.graph), _lower_lang(graph))


def _lower_lang(graph):
    """Language tags compare case-insensitively (RDF 1.1): pyoxigraph reads fr-CA as fr-ca."""
    from rdflib import Graph, Literal
    out = Graph()
    for s, p, o in graph:
        out.add((s, p, Literal(str(o), lang=o.language.lower()) if isinstance(o, Literal) and o.language else o))
    return out


def _paths(node, prefix=()):
    """Every (path) to a value inside a card."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield prefix + (k,)
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield prefix + (i,)
            yield from _paths(v, prefix + (i,))


_JUNK = st.one_of(st.none(), st.booleans(), st.integers(-10, 10**6), st.floats(allow_nan=False), _TEXT,
                  st.sampled_from(["dpv:Nope", "pd:EmailAdress", "dpv:DataControllerContract", "foo:bar", "P3 years",
                                   "2024-02-30", "dpv:hasPurpose", "{", "dpv:Marketing"]),
                  st.lists(st.integers(), max_size=2), st.dictionaries(_TEXT, _TEXT, max_size=2))


@SETTINGS
@given(generated=valid_cards(), data=st.data())
def test_mutated_cards_load_or_raise_a_documented_error(generated, data, vocab):
    card, snapshot = generated
    card = copy.deepcopy(card)
    paths = list(_paths(card))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths))
        parent = card
        try:
            for part in path[:-1]:
                parent = parent[part]
            if data.draw(st.booleans()) and isinstance(parent, dict):
                parent.pop(path[-1], None)
            else:
                parent[path[-1]] = data.draw(_JUNK)
        except (KeyError, IndexError, TypeError):
            continue   # an earlier mutation removed or replaced the way there
    with tempfile.TemporaryDirectory() as tmp:
        _load_or_documented_error(_write(Path(tmp), card, snapshot), vocab)


@SETTINGS
@given(data=st.data())
def test_damaged_card_files_load_or_raise_a_documented_error(data, vocab):
    """Bytes of the real minimal card deleted, replaced or inserted (YAML syntax, encodings, NUL bytes)."""
    raw = bytearray((FIXTURES / "policies" / "minimal.yaml").read_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(raw) - 1))
        action = data.draw(st.sampled_from(["delete", "replace", "insert"]))
        byte = data.draw(st.sampled_from([0x00, 0x0A, 0x20, 0x22, 0x27, 0x3A, 0x2D, 0x5B, 0x7B, 0x23, 0xE9, 0xFF, 0x09]))
        if action == "delete":
            del raw[at:at + data.draw(st.integers(1, 20))]
        elif action == "replace":
            raw[at] = byte
        else:
            raw.insert(at, byte)
    snapshot = (FIXTURES / "sources" / "example" / "2024-01-31.fr.txt").read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp), "", "")
        (Path(tmp) / "sources" / "example").mkdir()
        (Path(tmp) / "sources" / "example" / "2024-01-31.fr.txt").write_text(snapshot, encoding="utf-8")
        path.write_bytes(bytes(raw))
        _load_or_documented_error(path, vocab)


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(PARAM_TYPES),
       value=st.one_of(st.text(st.characters(blacklist_categories=("Cs",)), max_size=60),
                       st.from_regex(r"-?[0-9]{1,6000}", fullmatch=True),
                       st.from_regex(r"[0-9٠-٩]{4}-[0-9٠-٩]{2}-[0-9٠-٩]{2}", fullmatch=True),
                       st.sampled_from(["dpv:Marketing", "https://w3id.org/dpv#Marketing", "<https://x.org/a>",
                                        "x } DROP ALL {", "2024-02-30", "2024-05-19", " 42 ", "_:b0", "pd:"])))
def test_any_parameter_value_is_bound_or_refused_with_bad_param(kind, value):
    try:
        term = to_term(Param("p", kind, True), value, "q")
    except ParamError as exc:
        assert exc.id == "bad-param" and str(exc).startswith("error[PKG-E064 bad-param]: --param p=")
        return
    assert isinstance(term, (ox.NamedNode, ox.Literal))
    if kind == "literal":
        assert term.value == value
    elif kind == "date":
        assert re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", term.value)   # a valid xsd:date lexical form
    elif kind == "integer":
        assert re.fullmatch(r"-?[0-9]+", term.value)
