"""The draft lexicon: French and English surface forms of DPV terms, and the cue words the rules use.

Two parts, both data (kg/draft/lexicon/):
* `generated.tsv` — the multi-word English labels of the DPV 2.3 term table and the project's French labels
  (ontology/labels-fr.ttl), per family. Regenerate with `python -m kg.draft.lexicon`; never edited by hand.
  One-word labels are left out: alone, "Name", "Age" or "Application" say nothing reliable.
* `<family>.yaml` — curated entries, reviewed by hand: each key names its DPV term (a test checks every one
  exists), with `fr` and `en` forms, `weak` forms that are ambiguous (drafted with a lower confidence and
  marked for review), and `except` phrases, compared on the words as written (no lemma), in which a form
  means something else ("in order to" is no purchase order, "en fonction de" no job). `cues.yaml` holds the words the rules look for (negations, retention verbs, units).

Forms are matched token by token on their lemmas (simplemma), case, accents, hyphens and apostrophes
folded, with an Aho-Corasick automaton (pyahocorasick): "adresses e-mail" matches the form "adresse email".
"""
from __future__ import annotations

import re
import sys
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from ..errors import KgError

FAMILIES = ("data", "purpose", "basis", "recipient", "retention", "location", "right", "source", "technology")
CURATED = ("data", "purpose", "basis", "recipient", "location", "right", "source", "technology")
GENERATED = "generated.tsv"
GENERATED_CONFIDENCE = 0.55
CURATED_CONFIDENCE = 0.85
WEAK_CONFIDENCE = 0.6
_TOKEN = re.compile(r"[^\W_]+(?:[-‐‑][^\W_]+)*")


class LexiconError(KgError):
    id = "draft-lexicon"


@dataclass(frozen=True)
class Entry:
    """One surface form of one term: `source` is 'generated' or the curated file's stem."""
    family: str
    term: str
    lang: str
    form: str
    confidence: float
    source: str
    excepts: tuple[tuple[str, ...], ...] = ()   # surface phrases (folded words) in which the form means something else

    @property
    def found_by(self) -> str:
        return f"lexicon:{self.source}:{self.term}:{self.form}"


@dataclass(frozen=True)
class Token:
    start: int
    end: int
    key: str


@dataclass(frozen=True)
class Hit:
    entry: Entry
    start: int       # offsets in the text
    end: int
    first: int       # token indexes
    last: int


# --- normalisation: the same for the text and for the forms ------------------------------------------------

def fold(word: str) -> str:
    """Lower case, no accents, no hyphens: 'E-mail' -> 'email', 'Données' -> 'donnees'."""
    word = unicodedata.normalize("NFD", word.lower())
    return "".join(c for c in word if not unicodedata.combining(c) and c not in "-‐‑")


@lru_cache(maxsize=200_000)
def key(word: str, lang: str) -> str:
    """The matching key of a word: its folded lemma (simplemma), or the folded word for unknown words."""
    import simplemma
    lower = word.lower()
    lemma = simplemma.lemmatize(lower, lang=lang) if lower.isalpha() else lower
    return fold(lemma)


def surface_words(text: str) -> tuple[str, ...]:
    """The folded words of a text as written (no lemma): what `except` phrases are compared on."""
    return tuple(fold(m.group()) for m in _TOKEN.finditer(text))


def tokens(text: str, lang: str) -> list[Token]:
    return [Token(m.start(), m.end(), key(m.group(), lang)) for m in _TOKEN.finditer(text)]


# --- loading -----------------------------------------------------------------------------------------------

def lexicon_dir() -> Path:
    return Path(str(resources.files("kg.draft").joinpath("lexicon")))


@lru_cache(maxsize=1)
def load_cues() -> dict:
    return _yaml(lexicon_dir() / "cues.yaml")


def _yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise LexiconError(f"the draft lexicon file {path.name} cannot be read: {exc}", str(path),
                           "reinstall policykg, or fix the file (see kg/draft/lexicon.py)") from None
    if not isinstance(data, dict):
        raise LexiconError(f"the draft lexicon file {path.name} is not a mapping", str(path),
                           "reinstall policykg, or fix the file (see kg/draft/lexicon.py)")
    return data


def curated_entries(family: str) -> list[Entry]:
    path = lexicon_dir() / f"{family}.yaml"
    data = _yaml(path)
    out = []
    for term, spec in (data.get("terms") or {}).items():
        spec = spec or {}
        confidence = float(spec.get("confidence", CURATED_CONFIDENCE))
        for lang in ("fr", "en"):
            excepts = tuple(surface_words(str(x)) for x in (spec.get("except") or {}).get(lang) or [])
            for form in spec.get(lang) or []:
                out.append(Entry(family, term, lang, str(form), confidence, family, excepts))
            for form in (spec.get("weak") or {}).get(lang) or []:
                out.append(Entry(family, term, lang, str(form), min(confidence, WEAK_CONFIDENCE), family, excepts))
    return out


def generated_entries() -> list[Entry]:
    out = []
    for line in (lexicon_dir() / GENERATED).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        family, term, lang, form = line.split("\t")
        out.append(Entry(family, term, lang, form, GENERATED_CONFIDENCE, "generated"))
    return out


@lru_cache(maxsize=1)
def all_entries() -> tuple[Entry, ...]:
    entries = [e for family in CURATED for e in curated_entries(family)]
    curated = {(e.term, e.lang, _form_key(e.form, e.lang)) for e in entries}
    entries += [e for e in generated_entries() if (e.term, e.lang, _form_key(e.form, e.lang)) not in curated]
    return tuple(entries)


def _form_key(form: str, lang: str) -> str:
    return " ".join(t.key for t in tokens(form, lang))


# --- matching ----------------------------------------------------------------------------------------------

class Matcher:
    """All lexicon forms of one language in one Aho-Corasick automaton over token keys."""

    def __init__(self, lang: str, entries: tuple[Entry, ...] | None = None):
        import ahocorasick
        self.lang = lang
        self.automaton = ahocorasick.Automaton()
        by_key: dict[str, list[Entry]] = {}
        for entry in entries if entries is not None else all_entries():
            if entry.lang != lang:
                continue
            k = _form_key(entry.form, lang)
            if k:
                by_key.setdefault(k, []).append(entry)
        for k, found in by_key.items():
            self.automaton.add_word(f" {k} ", (k.count(" ") + 1, tuple(found)))
        if by_key:
            self.automaton.make_automaton()
        self.empty = not by_key

    def hits(self, toks: list[Token]) -> list[Hit]:
        """Every match on token boundaries; a match inside a longer one of the same family is dropped."""
        if self.empty or not toks:
            return []
        ends: dict[int, int] = {}        # position of a token key's last character in `line` -> token index
        pos = 1
        for i, t in enumerate(toks):
            ends[pos + len(t.key) - 1] = i
            pos += len(t.key) + 1
        line = " " + " ".join(t.key for t in toks) + " "
        found: list[Hit] = []
        for end, (length, entries) in self.automaton.iter(line):
            last = ends.get(end - 1)        # `end` is the pattern's trailing space
            if last is None or last - length + 1 < 0:
                continue
            first = last - length + 1
            found.extend(Hit(entry, toks[first].start, toks[last].end, first, last) for entry in entries)
        return _longest(found)


def _longest(hits: list[Hit]) -> list[Hit]:
    """Drop a hit whose token span lies inside another hit's span of the same family (keep the longest)."""
    keep = []
    for h in hits:
        inside = any(o is not h and o.entry.family == h.entry.family and o.first <= h.first and h.last <= o.last
                     and (o.last - o.first) > (h.last - h.first) for o in hits)
        if not inside:
            keep.append(h)
    return sorted(keep, key=lambda h: (h.start, -h.end, h.entry.family, h.entry.term))


@lru_cache(maxsize=4)
def matcher(lang: str) -> Matcher:
    return Matcher(lang)


# --- generation ----------------------------------------------------------------------------------------------

def family_of_term(vocab, term) -> str | None:
    from kg import namespaces as ns
    iri = str(term)
    if iri.startswith(str(ns.PD)):
        return "data"
    if iri.startswith(str(ns.TECH)):
        return "technology" if vocab.is_a(term, ns.TECH.Technology) or not vocab.is_property(term) else None
    if vocab.is_a(term, ns.DPV.Purpose):
        return "purpose"
    if vocab.is_a(term, ns.DPV.LegalBasis):
        return "basis"
    if vocab.is_a(term, ns.DPV.DataSource):
        return "source"
    if vocab.is_a(term, ns.DPV.Recipient) or vocab.is_a(term, ns.DPV.ThirdParty) or vocab.is_a(term, ns.DPV.Authority):
        return "recipient"
    if vocab.is_a(term, ns.DPV.DataSubjectRight) or vocab.is_a(term, ns.DPV.Right) and iri.startswith(str(ns.PKX)):
        return "right"
    return None


def generate(vocab=None) -> str:
    """The generated lexicon: for every term of a family, its multi-word English label and its French label."""
    from kg import namespaces as ns
    from kg.vocab import load_vocabulary
    vocab = vocab or load_vocabulary()
    rows = set()
    for term in vocab._terms:
        if vocab.is_property(term) or vocab.is_sunset(term):
            continue
        family = family_of_term(vocab, term)
        if family is None:
            continue
        curie = ns.shorten(str(term))
        for lang in ("en", "fr"):
            label = vocab._labels.get((term, lang))
            if not label:
                continue
            label = re.sub(r"\s+", " ", label).strip()
            if len(_TOKEN.findall(label)) < 2 or "(" in label:
                continue
            rows.add((family, curie, lang, label))
    lines = ["# Generated by `python -m kg.draft.lexicon` from the DPV 2.3 term table and ontology/labels-fr.ttl "
             "(multi-word labels only): do not edit; curated forms go in <family>.yaml.",
             "# family\tterm\tlang\tform"]
    lines += ["\t".join(r) for r in sorted(rows)]
    return "\n".join(lines) + "\n"


def main() -> None:
    from kg.files import write_atomic
    path = lexicon_dir() / GENERATED
    write_atomic(generate().encode("utf-8"), path)
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
