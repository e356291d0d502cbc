"""What a policy says of itself and of its author: the notice's date, the laws it names, the controller's
name, address and contacts, its data protection officer (or Law 25's person in charge).

Dates are read with dateparser (French and English, its own data: nothing is downloaded); country names
with babel. The controller's name is the company the slug names, as the text spells it, extended to its
legal form when the text gives one (Mullvad -> "Mullvad VPN AB"), else the name before "en qualité de
responsable de traitement" / "is the controller".
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .extract import Fact, country_entries, find_phrase, _phrases
from .lexicon import fold, load_cues, tokens
from .reader import Document
from .segment import Sentence

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-zA-Z]{2,}(?![\w])")
_PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(?\d{1,4}\)?[\s.-]?){2,5}\d{2,4}(?![\w])")
_POSTCODE = re.compile(r"(?<!\d)(\d{5}|\d{3} ?\d{2}|\d{4}|[A-Z]\d[A-Z] ?\d[A-Z]\d|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2})(?!\d)")


@dataclass
class NoticeDate:
    kind: str          # modified | valid
    iso: str
    start: int
    end: int


def notice_date(doc: Document, lang: str) -> NoticeDate | None:
    """The first 'Dernière mise à jour : …' / 'Last updated: …' / 'en vigueur le …' with a date after it."""
    import dateparser
    cues = load_cues()["notice_date"]
    triggers = [(kind, p) for kind in ("modified", "valid") for p in _phrases(cues[kind][lang], lang)]
    for block in doc.blocks:
        text = doc.block_text(block)
        toks = tokens(text, lang)
        keys = [t.key for t in toks]
        for kind, phrase in triggers:
            hit = find_phrase(keys, [phrase])
            if hit is None:
                continue
            after = toks[hit[0] + hit[1]:hit[0] + hit[1] + 8]
            for n in range(len(after), 0, -1):
                span = text[after[0].start:after[n - 1].end]
                if not re.search(r"\d", span):
                    continue
                span = re.sub(r"^(le|du|on|as of|of|:)\s+", "", span.strip(), flags=re.I)
                parsed = dateparser.parse(span, languages=[lang],
                                          settings={"REQUIRE_PARTS": ["day", "month", "year"],
                                                    "DATE_ORDER": "DMY" if lang == "fr" else "MDY",
                                                    "PREFER_DATES_FROM": "past"})
                if parsed is not None and 1990 <= parsed.year <= 2100:
                    return NoticeDate(kind, parsed.date().isoformat(), block.start + toks[hit[0]].start,
                                      block.start + after[n - 1].end)
    return None


def jurisdictions(doc: Document, lang: str) -> dict[str, tuple[int, int]]:
    """The laws the policy names (cues.yaml jurisdictions), each with its first mention."""
    found = {}
    toks = tokens(doc.text, lang)
    keys = [t.key for t in toks]
    for name, spec in load_cues()["jurisdictions"].items():
        phrases = _phrases(spec["signals"].get(lang, []) + spec["signals"].get("en" if lang == "fr" else "fr", []),
                           lang)
        hit = find_phrase(keys, phrases)
        if hit is not None:
            found[name] = (toks[hit[0]].start, toks[hit[0] + hit[1] - 1].end)
    return found


# --- controller -----------------------------------------------------------------------------------------------

def controller_name(doc: Document, slug: str, lang: str) -> tuple[str, int, int] | None:
    """(name, start, end of one mention) of the controller, or None when the text does not say."""
    text = doc.text
    legal = load_cues()["controller"]["legal_forms"]
    forms = "|".join(re.escape(f) for f in sorted(legal, key=len, reverse=True))
    words = [w for w in re.split(r"[-_]+", slug) if w]
    brand = None
    if words:
        pattern = re.compile(r"(?<![\w@/.-])" + r"[\s.-]?".join(re.escape(w) for w in words) + r"(?![\w@-]|\.\w)", re.I)
        counts: dict[str, int] = {}
        for m in pattern.finditer(text):
            counts[m.group()] = counts.get(m.group(), 0) + 1
        if counts:
            brand = max(counts, key=lambda k: (counts[k], k != k.lower()))
    if brand:
        full = re.compile(re.escape(brand) + r"((?:\s+(?:[A-Z0-9][\w&'.-]*)){0,3}?\s+(?:" + forms + r"))(?![\w])")
        m = full.search(text)
        if m:
            return m.group().strip(), m.start(), m.end()
        m = re.search(r"(?<![\w@/.-])" + re.escape(brand) + r"(?![\w@-]|\.\w)", text)
        return brand, m.start(), m.end()
    cue = re.compile(r"((?:la société|la sociét\w|société)\s+)?((?:[A-Z][\w&'.-]*\s?){1,4}?)\s*(?:,\s*)?(?:\([^)]*\)\s*,?\s*)?"
                     r"(?:en (?:sa )?qualité de responsable|agit en qualité de responsable|est (?:le )?responsable du traitement"
                     r"|is the (?:data )?controller|acts as (?:the )?(?:data )?controller)")
    m = cue.search(text)
    if m:
        return m.group(2).strip(), m.start(2), m.start(2) + len(m.group(2).strip())
    return None


def address_block(doc: Document, lang: str, near: int | None) -> tuple[int, int, list[str], str | None] | None:
    """Consecutive short lines that read as a postal address (a street word or a postcode, with digits),
    the nearest after `near`; (start, end, lines, country code)."""
    words = {fold(w) for w in load_cues()["controller"]["address_words"][lang]}
    countries = {fold(e.form): e.term for e in country_entries(lang)}
    lines, pos = [], 0
    for line in doc.text.split("\n"):
        lines.append((pos, line))
        pos += len(line) + 1
    best = None
    i = 0
    while i < len(lines):
        start, line = lines[i]
        if _addressy(line, words):
            j = i
            while j + 1 < len(lines) and lines[j + 1][1].strip() and (
                    _addressy(lines[j + 1][1], words) or fold(lines[j + 1][1].strip()) in countries):
                j += 1
            chosen = [lines[k][1].strip() for k in range(i, j + 1)]
            country = None
            for x in reversed(chosen):
                parts = [fold(p.strip()) for p in re.split(r"[,\n]", x)]
                country = next((countries[p] for p in reversed(parts) if p in countries), None)
                if country:
                    break
            candidate = (start + len(line) - len(line.lstrip()), lines[j][0] + len(lines[j][1].rstrip()), chosen, country)
            if near is None or candidate[0] >= near:
                if best is None or (near is not None and candidate[0] - near < best[0] - near):
                    best = candidate
                if near is not None:
                    break
            i = j + 1
        else:
            i += 1
    return best


_FR_STREET = (r"(?:rue|avenue|av\.|boulevard|bd|quai|place|allée|chemin|route|impasse|cours|square|esplanade"
              r"|parvis|voie)")
_INLINE_FR = re.compile(r"(?<![\w,])(\d{1,4}(?:\s?(?:bis|ter))?,?\s+" + _FR_STREET + r"\s[^,\n;:()]{2,60}?),?\s+"
                        r"((?:BP|CS)\s?\d+,?\s+)?(\d{5})\s+([A-ZÀ-Ý][\w'’-]+(?:[ -][A-ZÀ-Ý][\w'’-]+)*"
                        r"(?:\s+(?:CEDEX|Cedex)(?:\s+\d{1,2})?)?)")


def inline_address(doc: Document, lang: str, near: int | None) -> tuple[int, int, list[str], str | None] | None:
    """A postal address written inside a sentence ("… ou XANDRIE SA service juridique, 45 rue de Delizy, 93692
    Pantin CEDEX"): a number, a French street word, a five-digit postcode and a capitalised town; the first one
    after `near` (else the first one). Its country is the one named right after it, else France (a French
    street and postcode)."""
    text = doc.text
    found = list(_INLINE_FR.finditer(text))
    if not found:
        return None
    after = [m for m in found if near is not None and m.start() >= near]
    m = (after or found)[0]
    countries = {fold(e.form): e.term for e in country_entries(lang)}
    end = m.end()
    country = None
    tail = re.match(r",?\s*([^\W\d_][^\W\d_ '-]*(?:[ '-][^\W\d_]+){0,3})", text[end:end + 40])
    if tail and fold(tail.group(1)) in countries:
        country = countries[fold(tail.group(1))]
        end += tail.end()
    elif lang == "fr" or "France" in text[m.start():end + 20]:
        country = "loc:FR"
    value = " ".join(text[m.start():end].split())
    return m.start(), end, [value], country


def _addressy(line: str, words: set[str]) -> bool:
    stripped = line.strip()
    if not stripped or len(stripped) > 90 or not re.search(r"\d", stripped) or "@" in stripped:
        return False
    keys = {fold(w) for w in re.findall(r"[^\W\d_]+", stripped)}
    return bool(keys & words) or bool(_POSTCODE.match(stripped) and re.search(r"[^\W\d_]{3,}", stripped))


def emails(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _EMAIL.finditer(text)]


def dpo_facts(sentences: list[Sentence], lang: str) -> list[tuple[Sentence, Fact]]:
    """A sentence naming the data protection officer (or Law 25's person in charge), with its e-mail."""
    spec = load_cues()["dpo"]
    out = []
    for term, forms in spec.items():
        phrases = _phrases(forms[lang], lang)
        for s in sentences:
            keys = [t.key for t in s.tokens]
            hit = find_phrase(keys, phrases)
            if hit is None:
                continue
            start, end = s.tokens[hit[0]].start, s.tokens[hit[0] + hit[1] - 1].end
            if s.negated_at(start, end):
                continue
            node = {"id": "dpo", "a": term}
            mails = [s.text[a:b] for a, b in emails(s.text)]
            if mails:
                node["dpv:hasContact"] = mails if len(mails) > 1 else mails[0]
            out.append((s, Fact("controller", "dpv:hasDataProtectionOfficer", node, f"lexicon:cues:dpo:{term}",
                                0.8, start, end)))
            return out
    return out
