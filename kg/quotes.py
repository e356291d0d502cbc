"""Finding a card's quote in its snapshot (`locate_quote`) and, when it is not there, the closest passage
and the typographic differences that explain the miss (`explain_quote_miss`). Split out of kg/load.py.
"""

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


# What a copied quote often has in another form than the snapshot: each folded to one form, to find the
# passage the author meant. Apostrophes, quotation marks, spaces and dashes fold to one character each; a
# ligature to its letters and an invisible character (soft hyphen, zero-width space) to nothing, so the
# folded text keeps, for each of its characters, the position of the character it came from.
_APOSTROPHES = "’‘‛′ʼ`´"
_DOUBLE_QUOTES = "“”„‟«»″"
_SPACES = ("\u00a0\u202f\u2007\u2009\u200a\u2002\u2003\u2004\u2005\u2006\u2008\u3000\u1680\u205f"
           "\t\n\r\x0b\x0c\u2028\u2029\x85")
_DASHES = "‐‑‒–—―−"
_LIGATURES = {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st", "Ĳ": "IJ", "ĳ": "ij",
              "œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "…": "..."}
_INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_FOLD_MAP = {**{c: "'" for c in _APOSTROPHES}, **{c: '"' for c in _DOUBLE_QUOTES}, **{c: " " for c in _SPACES},
             **{c: "-" for c in _DASHES}, **_LIGATURES, **{c: "" for c in _INVISIBLE}}
_FOLD = str.maketrans(_FOLD_MAP)
_RESIZED = re.compile("[" + re.escape("".join(_LIGATURES) + _INVISIBLE) + "]")   # not one character for one
_FUZZY_QUOTE = 400        # characters of the quote matched fuzzily (enough to find the passage)
_FUZZY_HITS = 200         # a word found more often than this says nothing about where the quote is
_FUZZY_CANDIDATES = 12
_SHOWN_DIFFERENCES = 6

# How the characters that differ are named in a fix (others: their Unicode name).
_NAMES = {"’": "curly apostrophe", "‘": "opening curly quote", "‛": "reversed apostrophe", "′": "prime",
          "ʼ": "modifier letter apostrophe", "`": "backtick", "´": "acute accent", "'": "straight apostrophe",
          "“": "opening curly double quote", "”": "closing curly double quote", "„": "low double quote",
          "‟": "reversed double quote", "«": "opening guillemet", "»": "closing guillemet", "″": "double prime",
          '"': "straight double quote", " ": "space", "\u00a0": "no-break space", "\u202f": "narrow no-break space",
          "\u2009": "thin space", "\u2007": "figure space", "\t": "tab", "\n": "line break", "\r": "carriage return",
          "-": "hyphen-minus", "‐": "hyphen", "‑": "non-breaking hyphen", "‒": "figure dash", "–": "en dash",
          "—": "em dash", "―": "horizontal bar", "−": "minus sign", "\u00ad": "soft hyphen",
          "\u200b": "zero-width space", "\u200c": "zero-width non-joiner", "\u200d": "zero-width joiner",
          "\u2060": "word joiner", "\ufeff": "zero-width no-break space (BOM)", "…": "ellipsis character"}


@dataclass
class NearestPassage:
    """The snapshot's passage closest to a quote that is not in it, and how they differ. `folded`: the
    passage is the quote itself once typography and case are set aside (else the best fuzzy match)."""
    passage: str | None
    start: int | None = None
    line: int | None = None
    differences: list[str] = field(default_factory=list)
    column: int | None = None
    folded: bool = False


def _lower(folded: str) -> str:
    lower = folded.lower()
    if len(lower) == len(folded):
        return lower
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in folded)   # İ: keep positions


def _fold(text: str) -> tuple[str, list[int] | None]:
    """The folded text and, when folding changed its length (ligatures, invisible characters), the position in
    `text` of each folded character (None: the same positions)."""
    if not _RESIZED.search(text):
        return _lower(text.translate(_FOLD)), None
    pieces: list[str] = []
    origin: list[int] = []
    for i, c in enumerate(text):
        r = _FOLD_MAP.get(c, c)
        pieces.append(r)
        origin.extend([i] * len(r))
    folded = "".join(pieces)
    return _lower(folded), origin


def _original_span(origin: list[int] | None, start: int, end: int, size: int) -> tuple[int, int]:
    """The span of the original text that the folded span [start, end) comes from."""
    if origin is None:
        return start, end
    if start >= len(origin):
        return size, size
    return origin[start], (origin[end - 1] + 1 if end > start else origin[start])


def explain_quote_miss(text: str, quote: str) -> NearestPassage:
    """The passage of `text` closest to `quote`: the same after folding typography, ligatures and case,
    else the best fuzzy match, word by word, among the windows where the quote's rarer words occur. Bounded:
    only the quote's first 400 characters are matched, at most 12 windows compared, and the typographic
    differences are looked for in the first 1000 characters."""
    quote = unicodedata.normalize("NFC", quote)
    folded_text, origin = _fold(text)
    folded_quote, _ = _fold(quote)
    found = folded_text.find(folded_quote) if folded_quote.strip() else -1
    if found >= 0:
        start, end = _original_span(origin, found, found + len(folded_quote), len(text))
    else:
        span = _fuzzy_span(folded_text, folded_quote[:_FUZZY_QUOTE])
        if span is None:
            return NearestPassage(None)
        start, end = _original_span(origin, *span, len(text))
        while start < end and text[start].isspace():    # a fuzzy span may begin or end on a line break
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
    passage = text[start:end]
    # difflib is quadratic at worst: compare the first 1000 characters (the passage begins where the quote does)
    differences = _differences(quote[:min(len(passage) + 40, 1000)], passage[:1000])
    line_start = text.rfind("\n", 0, start) + 1
    return NearestPassage(passage, start, text.count("\n", 0, start) + 1, differences,
                          column=start - line_start + 1, folded=found >= 0)


_WORD = re.compile(r"\w+")


def _fuzzy_span(text: str, quote: str) -> tuple[int, int] | None:
    """The span of `text` (folded) that best matches `quote` (folded), compared word by word: candidate
    windows are where the quote's words of 3 letters or more occur at the same distance from its start (a
    word found more than 200 times is ignored), scored by the letters of the words they share in order."""
    q_words = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(quote)]
    if not q_words:
        return None
    wanted = {w for w, _, _ in q_words if len(w) >= 3} or {w for w, _, _ in q_words}
    positions: dict[str, list[int]] = {w: [] for w in wanted}
    t_words: list[tuple[str, int, int]] = []
    for m in _WORD.finditer(text):
        w = m.group()
        hits = positions.get(w)
        if hits is not None and len(hits) <= _FUZZY_HITS:
            hits.append(len(t_words))
        t_words.append((w, m.start(), m.end()))
    votes: Counter = Counter()
    for qi, (w, _, _) in enumerate(q_words):
        hits = positions.get(w)
        if hits and len(hits) <= _FUZZY_HITS:
            for ti in hits:
                votes[max(0, ti - qi) // 4] += 1
    q_tokens = [w for w, _, _ in q_words]
    q_letters = sum(len(w) for w in q_tokens)
    slack = len(q_words) // 2 + 4
    best, best_score = None, 0.0
    for key, _ in votes.most_common(_FUZZY_CANDIDATES):
        lo = max(0, key * 4 - slack)
        window = [w for w, _, _ in t_words[lo:key * 4 + len(q_words) + slack]]
        blocks = [b for b in SequenceMatcher(None, q_tokens, window, autojunk=False).get_matching_blocks() if b.size]
        if not blocks:
            continue
        matched = sum(len(q_tokens[b.a + k]) for b in blocks for k in range(b.size))
        first, last = blocks[0], blocks[-1]
        t_first, t_last = lo + first.b, lo + last.b + last.size - 1
        span_letters = sum(len(w) for w, _, _ in t_words[t_first:t_last + 1])
        score = 2 * matched / (q_letters + span_letters)
        if score > best_score:
            # from the text's word that matches the quote's first matched word, back as far as the quote goes
            # before that word; likewise after the last one
            start = max(0, t_words[t_first][1] - q_words[first.a][1])
            end = min(len(text), t_words[t_last][2] + (len(quote) - q_words[last.a + last.size - 1][2]))
            best, best_score = (start, end), score
    return best if best_score >= 0.5 else None


def _name(c: str) -> str:
    """A character as a fix names it: 'a curly apostrophe ’ (U+2019)', 'a no-break space (U+00A0)'."""
    name = _NAMES.get(c)
    if name is None:
        if c in _LIGATURES:
            name = f"ligature {c}"
        else:
            name = unicodedata.name(c, "character").lower()
    shown = "" if c.isspace() or unicodedata.category(c) in ("Cf", "Zs") or name.startswith("ligature") else f" {c}"
    article = "an" if name[:1] in "aeiou" else "a"
    return f"{article} {name}{shown} (U+{ord(c):04X})"


def _snippet(text: str, start: int, end: int) -> str:
    """A few words of `text` around [start, end), on one line, for a fix to point at."""
    lo, hi = max(0, start - 12), min(len(text), end + 12)
    while lo > 0 and not text[lo - 1].isspace() and start - lo < 24:
        lo -= 1
    while hi < len(text) and not text[hi].isspace() and hi - end < 24:
        hi += 1
    out = text[lo:hi].strip()
    return out.replace("\n", "\\n")


def _differences(quote: str, passage: str) -> list[str]:
    """What tells a quote from its nearest passage, first what typography hides (apostrophes, quotation marks,
    spaces such as no-break and narrow no-break ones, dashes, ligatures, invisible characters, line breaks,
    case), each with where it is in the quote, then other words or letters. At most 6, in the quote's order."""
    fq, oq = _fold(quote)
    fp, op = _fold(passage)
    oq = oq if oq is not None else range(len(quote))
    op = op if op is not None else range(len(passage))
    found: dict[tuple, list] = {}   # (kind, snapshot's, quote's) -> [first position in the quote, count, text]
    case_words: list[tuple[int, str, str]] = []

    def note(key: tuple, position: int, text: str) -> None:
        entry = found.setdefault(key, [position, 0, text])
        entry[1] += 1

    seen_pairs: set[tuple[int, int]] = set()
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, fq, fp, autojunk=False).get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                qi, pj = oq[i1 + k], op[j1 + k]
                if (qi, pj) in seen_pairs:
                    continue
                seen_pairs.add((qi, pj))
                qc, pc = quote[qi], passage[pj]
                if qc == pc:
                    continue
                if pc in _LIGATURES or qc in _LIGATURES:
                    lig = pc if pc in _LIGATURES else qc
                    key = ("ligature", pc if pc in _LIGATURES else None, qc if qc in _LIGATURES else None)
                    if lig == pc:
                        seen_pairs.update((qi + n, pj) for n in range(len(_LIGATURES[lig])))
                    else:
                        seen_pairs.update((qi, pj + n) for n in range(len(_LIGATURES[lig])))
                    note(key, qi, _snippet(quote, qi, qi + 1))
                elif qc.lower() == pc.lower() or _lower(qc) == _lower(pc):
                    case_words.append((qi, _word_around(passage, pj, pj + 1), _word_around(quote, qi, qi + 1)))
                else:
                    note(("char", pc, qc), qi, _snippet(quote, qi, qi + 1))
            continue
        q_lo = oq[i1] if i1 < len(oq) else len(quote)
        q_hi = oq[i2 - 1] + 1 if i2 > i1 else q_lo
        p_lo = op[j1] if j1 < len(op) else len(passage)
        p_hi = op[j2 - 1] + 1 if j2 > j1 else p_lo
        q_text, p_text = quote[q_lo:q_hi], passage[p_lo:p_hi]
        if not q_text.strip() and not p_text.strip():   # spacing: one more or one fewer space
            note(("spacing", p_text, q_text), q_lo, _snippet(quote, q_lo, q_hi))
            continue
        w_q, w_p = _word_around(quote, q_lo, q_hi).strip(), _word_around(passage, p_lo, p_hi).strip()
        if w_q and w_p:
            note(("word", w_p, w_q), q_lo, f"the quote writes '{w_q}' where the snapshot writes '{w_p}'")
        elif w_q:
            note(("word", None, w_q), q_lo, f"the quote has '{w_q}', which the snapshot does not")
        elif w_p:
            note(("word", w_p, None), q_lo, f"the snapshot has '{w_p}', which the quote does not")
    for c in _INVISIBLE:   # folded to nothing: counted, not aligned
        in_p, in_q = passage.count(c), quote.count(c)
        if in_p != in_q:
            where = quote.find(c) if in_q > in_p else passage.find(c)
            text = _snippet(quote, where, where + 1) if in_q > in_p else _snippet(passage, where, where + 1)
            found[("invisible", c, in_p - in_q)] = [quote.find(c) if in_q > in_p else len(quote), abs(in_p - in_q), text]
    out = []
    if case_words:
        words = list(dict.fromkeys((w1, w2) for _, w1, w2 in case_words))
        example = f"the snapshot writes '{words[0][0]}' where the quote writes '{words[0][1]}'"
        out.append((case_words[0][0], f"case: {example}" if len(words) == 1 else
                    f"case: {len(words)} words differ in case, e.g. {example}"))
    for key, (position, count, text) in found.items():
        out.append((position, _describe(key, position, count, text)))
    out.sort(key=lambda item: item[0])
    return list(dict.fromkeys(d for _, d in out))[:_SHOWN_DIFFERENCES]


def _describe(key: tuple, position: int, count: int, text: str) -> str:
    kind = key[0]
    times = "" if count == 1 else f", {count} times, first"
    at = f"{times} at «{text}» (character {position + 1} of the quote)"
    if kind == "char":
        _, pc, qc = key
        return f"the snapshot has {_name(pc)} where the quote has {_name(qc)}{at}"
    if kind == "ligature":
        _, in_p, in_q = key
        if in_p:
            return f"the snapshot has {_name(in_p)} where the quote has '{_LIGATURES[in_p]}'{at}"
        return f"the quote has {_name(in_q)} where the snapshot has '{_LIGATURES[in_q]}'{at}"
    if kind == "spacing":
        _, p_text, q_text = key
        said = {"": "nothing"}
        q_said = said.get(q_text) or " and ".join(_name(c) for c in dict.fromkeys(q_text))
        p_said = said.get(p_text) or " and ".join(_name(c) for c in dict.fromkeys(p_text))
        if len(q_text) > 1 and set(q_text) <= {" "}:
            q_said = f"{len(q_text)} spaces"
        if len(p_text) > 1 and set(p_text) <= {" "}:
            p_said = f"{len(p_text)} spaces"
        if not p_text:
            return f"spacing: the quote has {q_said} that the snapshot does not have{at}"
        if not q_text:
            return f"spacing: the snapshot has {p_said} that the quote does not have{at}"
        return f"spacing: the snapshot has {p_said} where the quote has {q_said}{at}"
    if kind == "invisible":
        _, c, more = key
        side, other = ("snapshot", "quote") if more > 0 else ("quote", "snapshot")
        many = "" if count == 1 else f" ({count} of them)"
        return f"the {side} has {_name(c)}{many} that the {other} does not, at «{text}»"
    return text   # a word


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
    where = f"line {near.line}, column {near.column}"
    if near.folded:
        return f"copy the passage from the snapshot ({where}): «{shown}»{differs}"
    return f"copy the quote exactly from the snapshot; its closest passage ({where}) is «{shown}»{differs}"
