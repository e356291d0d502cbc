"""Searching the vocabulary by words (kg.vocab.Vocabulary.search): text folded and lightly stemmed, the
search index of each term's name, labels, definitions and the draft lexicon's forms, and how a hit is
ranked (docs/vocabulary.md). The index is built by Vocabulary, which knows the terms; this module only
compares words.
"""
from __future__ import annotations

import bisect
import re
import unicodedata
from collections import namedtuple
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

TIER_LABEL, TIER_FORM, TIER_ALL_IN_LABEL, TIER_ALL_IN_FORM, TIER_ALL_IN_DEFINITION, TIER_SOME = range(6)
_WORD = re.compile(r"[^\W_]+")
_STOP = frozenset("a an and are as at be by for from in into is it its of on or that the their this to with "
                  "au aux avec d de des du en et l la le les ou par pour sur un une vos votre".split())
# suffixes stripped, longest first, while a stem of 3 letters or more is left (English and French, folded)
_SUFFIXES = ("ings", "ing", "ies", "es", "ed", "s", "e")


@dataclass(frozen=True)
class SearchHit:
    curie: str
    iri: str
    tier: int          # 0 a label equals the words … 5 some of the words (module docstring)
    field: str         # name, label, form (the draft lexicon's) or definition
    lang: str
    text: str          # what matched
    score: float       # within the tier: 1.0 every word of the text is a word asked for
    label_en: str | None
    label_fr: str | None


# one thing search compares with: a term's name, label, form or definition, folded, and the stems of its words
_Entry = namedtuple("_Entry", "term curie field lang text folded words weak")


class _SearchIndex:
    """The entries, and where each word stem, folded text and folded name (or CURIE) occurs."""

    def __init__(self, entries: list[_Entry]):
        self.entries = entries
        self.by_word: dict[str, list[int]] = {}
        self.by_text: dict[str, list[int]] = {}
        self.by_name: dict[str, list[int]] = {}
        for i, entry in enumerate(entries):
            for word in entry.words:
                self.by_word.setdefault(word, []).append(i)
            if entry.field == "name":
                for key in (entry.folded.replace("-", "").replace("_", ""), fold(entry.curie)):
                    self.by_name.setdefault(key, []).append(i)
            elif entry.field != "definition":
                self.by_text.setdefault(entry.folded, []).append(i)
        self._keys = sorted(self.by_word)

    def keys_from(self, prefix: str) -> list[str]:
        """The word stems that start with `prefix` (sorted keys: a range)."""
        start = end = bisect.bisect_left(self._keys, prefix)
        while end < len(self._keys) and self._keys[end].startswith(prefix):
            end += 1
        return self._keys[start:end]


def fold(text: str) -> str:
    """Lower case, accents removed (é -> e), ligatures opened (œ -> oe)."""
    if text.isascii():
        return text.lower()
    text = text.lower().replace("œ", "oe").replace("æ", "ae").replace("ß", "ss")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light stem of a folded word: plural, -ing, -ed and a final e taken off, again while something is
    taken off ('payments' -> 'payment', 'billing' -> 'bill', 'données' and 'donnée' -> 'donne')."""
    while True:
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                word = word[:-len(suffix)]
                break
        else:
            return word


def words(text: str) -> list[str]:
    """The stems of the words of `text` that are not stop words."""
    return [stem(w) for w in _WORD.findall(fold(text)) if w not in _STOP]


def name_words(local: str) -> str:
    """A term's local name as words: 'PaymentManagement' -> 'Payment Management', 'A6-1-a' -> 'A6 1 a'."""
    return re.sub(r"[-_.]+", " ", re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", local)).strip()


def _matches(asked: str, have: frozenset) -> bool:
    return asked in have or (len(asked) >= 4 and any(w.startswith(asked) for w in have))


def _rank(entry: _Entry, query: str, flat: str, wanted: list[str]) -> tuple | None:
    """(tier, weak, a penalty: 100 x the share of the entry's words not asked for + 100 x the share of the
    words asked for that it lacks, its length), or None when it holds none of them."""
    if entry.field == "name" and flat in (entry.folded.replace(" ", "").replace("-", "").replace("_", ""),
                                          fold(entry.curie)):
        return (TIER_LABEL, False, 0, len(entry.text))
    if entry.field in ("label", "form") and entry.folded == query:
        return (TIER_LABEL if entry.field == "label" else TIER_FORM, entry.weak, 0, len(entry.text))
    found = sum(_matches(w, entry.words) for w in wanted)
    if not found:
        return None
    tier = TIER_SOME if found < len(wanted) else {"label": TIER_ALL_IN_LABEL, "name": TIER_ALL_IN_LABEL,
                                                  "form": TIER_ALL_IN_FORM}.get(entry.field, TIER_ALL_IN_DEFINITION)
    extra = max(len(entry.words) - found, 0) * 100 // max(len(entry.words), 1)
    missing = (len(wanted) - found) * 100 // len(wanted)
    return (tier, entry.weak, extra + missing, len(entry.text))


@lru_cache(maxsize=1)
def _lexicon_forms() -> tuple[tuple[str, str, str, bool], ...]:
    """(term CURIE, lang, form, weak) of the draft lexicon's curated files (data read from kg/draft/lexicon/,
    no code of the draft imported; a file that is missing or does not parse gives none)."""
    import yaml
    out = []
    for path in sorted((Path(__file__).resolve().parent / "draft" / "lexicon").glob("*.yaml")):
        try:
            text = path.read_text(encoding="utf-8")
            data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) if "\nterms:" in text else {}
        except (OSError, yaml.YAMLError):
            continue
        for curie, entry in (data.get("terms") or {}).items():
            for lang in ("en", "fr") if isinstance(entry, dict) else ():
                out += [(curie, lang, str(form), False) for form in entry.get(lang) or []]
                out += [(curie, lang, str(form), True) for form in (entry.get("weak") or {}).get(lang) or []]
    return tuple(out)
