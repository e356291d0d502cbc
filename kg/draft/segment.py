"""Sentences, clauses and negation: where a drafted statement's quote starts and ends, and whether the
text says the opposite of the fact.

Sentences come from pysbd (one segmenter per language), run line by line inside each block of the snapshot;
each sentence keeps its offsets. A clause ends at ';', ':', '(' or ')', the sentence end, or a word that
turns the sentence (sauf, except, mais, but, only …: cues.yaml clause_break). A clause is negated when it
holds a negation: French "ne/n' … pas|jamais|aucun|plus|rien", "aucun", "jamais" (not "ne … que", which
means only, nor "sans aucun", which means without any); English "not", "never", "no", "n't" …
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from .lexicon import Token, fold, load_cues, tokens
from .reader import Block, Document

_CLAUSE_PUNCT = ";:()[]"


@dataclass
class Clause:
    start: int
    end: int
    negated: bool
    cue: str | None = None


@dataclass
class Sentence:
    start: int
    end: int
    block: Block
    text: str
    tokens: list[Token] = field(default_factory=list)
    clauses: list[Clause] = field(default_factory=list)

    def clause_at(self, offset: int) -> Clause | None:
        for c in self.clauses:
            if c.start <= offset < c.end:
                return c
        return None

    def negated_at(self, start: int, end: int) -> Clause | None:
        """The negated clause the span [start, end) lies in, if any."""
        c = self.clause_at(start)
        return c if c is not None and c.negated else None


@lru_cache(maxsize=2)
def _segmenter(lang: str):
    import pysbd
    return pysbd.Segmenter(language=lang, clean=False)


def sentences(doc: Document, lang: str) -> list[Sentence]:
    """Every sentence of every non-heading block, with its tokens and clauses."""
    out: list[Sentence] = []
    seg = _segmenter(lang)
    for block in doc.blocks:
        if block.kind == "heading":
            continue
        text = doc.text
        cursor = block.start
        for line in text[block.start:block.end].split("\n"):
            line_start = text.index(line, cursor) if line else cursor
            cursor = line_start + len(line) + 1
            if not line.strip():
                continue
            pos = line_start
            for piece in seg.segment(line):
                stripped = piece.strip()
                if not stripped:
                    continue
                found = text.find(stripped, pos, line_start + len(line))
                if found < 0:          # pysbd changed the text: fall back to the whole line
                    found, stripped = line_start + (len(line) - len(line.lstrip())), line.strip()
                sent = Sentence(found, found + len(stripped), block, stripped)
                sent.tokens = [Token(t.start + found, t.end + found, t.key) for t in tokens(stripped, lang)]
                sent.clauses = clauses(sent, lang)
                out.append(sent)
                pos = found + len(stripped)
                if stripped == line.strip():
                    break
    return out


def _phrase_keys(words: list[str], lang: str) -> list[tuple[str, ...]]:
    return [tuple(t.key for t in tokens(w, lang)) for w in words if tokens(w, lang)]


@lru_cache(maxsize=4)
def _cues(lang: str) -> dict:
    c = load_cues()
    neg = c["negation"][lang]
    return {
        "particle": {fold(w) for w in neg.get("particle", [])},
        "after": {fold(w) for w in neg.get("after_particle", [])},
        "alone": {fold(w) for w in neg.get("alone", [])},
        "restrictive": {fold(w) for w in neg.get("restrictive", [])},
        "break": _phrase_keys(c["clause_break"][lang], lang),
        "conditional": _phrase_keys(c["conditional"][lang], lang),
    }


def clauses(sent: Sentence, lang: str) -> list[Clause]:
    """Split at clause punctuation and turning words; mark each clause negated or not."""
    cues = _cues(lang)
    bounds = [sent.start]
    for i, ch in enumerate(sent.text):
        if ch in _CLAUSE_PUNCT:
            bounds.append(sent.start + i + 1)
    keys = [t.key for t in sent.tokens]
    for i in range(len(keys)):
        for phrase in cues["break"]:
            if tuple(keys[i:i + len(phrase)]) == phrase:
                bounds.append(sent.tokens[i].start)
        for phrase in cues["conditional"]:
            if tuple(keys[i:i + len(phrase)]) == phrase:
                bounds.append(sent.tokens[i].start)
                comma = sent.text.find(",", sent.tokens[i].start - sent.start)
                if comma >= 0:
                    bounds.append(sent.start + comma + 1)
    bounds = sorted(set(bounds)) + [sent.end]
    out: list[Clause] = []
    for a, b in zip(bounds, bounds[1:]):
        if b <= a:
            continue
        toks = [t for t in sent.tokens if a <= t.start < b]
        cue = _negation(toks, cues, lang)
        if cue is None and out and out[-1].negated and sent.text[a - sent.start - 1:a - sent.start] == "(":
            cue = out[-1].cue      # "No automated decision making (including profiling)": the aside shares it
        out.append(Clause(a, b, cue is not None, cue))
    return out


def _negation(toks: list[Token], cues: dict, lang: str) -> str | None:
    keys = [t.key for t in toks]
    for i, k in enumerate(keys):
        if k in cues["alone"]:
            if lang == "fr" and i > 0 and keys[i - 1] == "sans":
                continue          # "sans aucun": without any, not a negation of the clause
            if lang == "en" and k == "no" and i + 1 < len(keys) and keys[i + 1] in ("longer", "long", "more") \
                    and i + 2 < len(keys) and keys[i + 2] == "than":
                continue          # "no longer than": a limit, not a negation
            return k
        if lang == "en" and k == "t" and i > 0 and keys[i - 1].endswith("n"):
            return "n't"
        if k in cues["particle"]:
            rest = keys[i + 1:i + 8]
            if any(r in cues["after"] for r in rest):
                return "ne … " + next(r for r in rest if r in cues["after"])
    return None
