"""Finding a card's quote in its snapshot (`locate_quote`) and, when it is not there, the closest passage
and the typographic differences that explain the miss (`explain_quote_miss`). Split out of kg/load.py.
"""

import itertools
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from difflib import SequenceMatcher




_MAX_QUOTE_COUNT = 10_000   # occurrences of an ambiguous quote counted before "or more"


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


