"""The rules of `policykg draft`, one per family: what the lexicon found in each sentence becomes a fact
(property + DPV term or node), with how it was found, a confidence, and whether a person should look.

Families: data, purpose, basis, recipient, retention, location, right, source, technology (the benchmark's,
benchmarks/bench_extract.py); the notice, the controller and the laws are in notice.py. A fact in a negated
clause is never drafted as the fact: it becomes part of a dpv:Prohibition node, marked for review.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from .lexicon import Entry, Hit, Matcher, all_entries, fold, load_cues, tokens
from .reader import Block, Document
from .segment import Clause, Sentence

REVIEW_BELOW = 0.75          # a fact less sure than this is marked review: true
# a family's root term (a generated label such as "Legal Basis:" or "Personal data") says nothing of the policy
GENERIC = {"dpv:LegalBasis", "dpv:Purpose", "dpv:PersonalData", "dpv:DataSource", "dpv:Recipient",
           "dpv:Technology", "dpv:Right", "dpv:DataSubjectRight", "eu-gdpr:Recipient"}
# an authority a policy names is where to complain (dpv:hasAuthority), not a recipient of the data
NOT_RECIPIENTS = {"dpv:DataProtectionAuthority", "eu-gdpr:DataProtectionAuthority", "dpv:SupervisoryAuthority",
                  "eu-gdpr:SupervisoryAuthority"}
# rights whose words also name what the controller does (access control, correcting, deleting, limiting)
AMBIGUOUS_RIGHTS = {"eu-gdpr:A15", "eu-gdpr:A16", "eu-gdpr:A17", "eu-gdpr:A18"}
# "Storage: …", "Legal basis: …", "Finalité : …": the label a line starts with, the context of its sentences
_LABEL = re.compile(r"[ \t]*(?:[-*•]\s*)?([A-ZÀ-Ý][^\W\d_]*(?:[ '’-][^\W\d_]+){0,3})\s?:\s")
RECIPIENT_PROPERTY = {"dpv:DataProcessor": "dpv:hasDataProcessor", "dpv:ThirdParty": "dpv:hasRecipientThirdParty"}
FAMILY_PROPERTY = {"data": "dpv:hasPersonalData", "purpose": "dpv:hasPurpose", "basis": "dpv:hasLegalBasis",
                   "right": "dpv:hasRight", "source": "dpv:hasDataSource",
                   "technology": "dpv:isImplementedUsingTechnology"}


@dataclass
class Fact:
    family: str
    prop: str
    value: object                    # a CURIE, or a node (dict with id)
    found_by: str
    confidence: float
    start: int                       # the words that gave the fact
    end: int
    negated: Clause | None = None
    note: str | None = None


@dataclass
class Context:
    """What the rules know of the whole policy: its language, the laws it names, the cue words."""
    lang: str
    doc: Document
    jurisdictions: set[str] = field(default_factory=set)
    counters: dict[str, int] = field(default_factory=dict)

    def node_id(self, prefix: str) -> str:
        self.counters[prefix] = self.counters.get(prefix, 0) + 1
        return f"{prefix}-{self.counters[prefix]}"


# --- cue words ---------------------------------------------------------------------------------------------

@lru_cache(maxsize=4)
def cue_keys(lang: str) -> dict[str, list[tuple[str, ...]]]:
    c = load_cues()
    out = {f"context:{k}": _phrases(v[lang], lang) for k, v in c["context"].items()}
    r = c["retention"]
    for k in ("before_number", "minimum", "event", "until_purpose", "indeterminate", "endless", "deadline"):
        out[f"retention:{k}"] = _phrases(r[k][lang], lang)
    out["location:outside"] = _phrases(c["location_outside"][lang], lang)
    out["right:strong"] = _phrases(c["right_strong"][lang], lang)
    out["data:excluded"] = _phrases(c["data_excluded"][lang], lang)
    return out


def _phrases(words, lang: str) -> list[tuple[str, ...]]:
    return [p for p in (tuple(t.key for t in tokens(str(w), lang)) for w in words) if p]


def find_phrase(keys: list[str], phrases: list[tuple[str, ...]], start: int = 0) -> tuple[int, int] | None:
    """The first (token index, length) of any phrase in keys[start:]."""
    best = None
    for i in range(start, len(keys)):
        for p in phrases:
            if tuple(keys[i:i + len(p)]) == p and (best is None or best[0] > i or best[1] < len(p)):
                best = (i, len(p))
        if best is not None:
            return best
    return None


def has_cue(keys: list[str], family: str, lang: str) -> bool:
    return find_phrase(keys, cue_keys(lang)[f"context:{family}"]) is not None


# --- matchers --------------------------------------------------------------------------------------------------

@lru_cache(maxsize=2)
def full_matcher(lang: str) -> Matcher:
    """The lexicon plus country names (babel's CLDR data) as location entries."""
    return Matcher(lang, tuple(all_entries()) + tuple(country_entries(lang)))


@lru_cache(maxsize=2)
def country_entries(lang: str) -> list[Entry]:
    from babel import Locale

    from kg.vocab import load_vocabulary
    vocab = load_vocabulary()
    out = []
    for code, name in Locale(lang).territories.items():
        if len(code) == 2 and code.isalpha() and vocab.exists(f"loc:{code}"):
            out.append(Entry("location", f"loc:{code}", lang, name, 0.8, "babel"))
    return out


@lru_cache(maxsize=1)
def named() -> tuple[re.Pattern, dict[str, dict]]:
    """Named companies and software (organisations.yaml), matched as whole words, case-sensitive."""
    from .lexicon import _yaml, lexicon_dir
    data = _yaml(lexicon_dir() / "organisations.yaml")
    specs = {name: {**spec, "kind": "organisation"} for name, spec in (data.get("organisations") or {}).items()}
    specs.update({name: {**spec, "kind": "software"} for name, spec in (data.get("software") or {}).items()})
    names = sorted(specs, key=len, reverse=True)
    return re.compile(r"(?<![\w@./-])(" + "|".join(re.escape(n) for n in names) + r")(?![\w@-])"), specs


def slug_id(text: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")
    return s or "x"


# --- per sentence ------------------------------------------------------------------------------------------------

def line_label(s: Sentence, doc: Document) -> str:
    """The label the sentence's line starts with ("Storage", "Legal Basis", "Finalité"), or ""."""
    line_start = doc.text.rfind("\n", 0, s.start) + 1
    m = _LABEL.match(doc.text, line_start, min(len(doc.text), line_start + 60))
    return m.group(1) if m else ""


COLUMN_FAMILIES = ("retention", "basis", "recipient", "purpose", "data")   # a header cell's family: first cue wins


def _header_row(doc: Document, block: Block) -> Block | None:
    i = doc.blocks.index(block)
    while i > 0 and doc.blocks[i - 1].kind == "row":
        i -= 1
    first = doc.blocks[i]
    return first if first is not block and first.cells else None


def column_families(doc: Document, block: Block, lang: str) -> list[str | None]:
    """For a table row: the family each column is about, read from the header row's cell ("Finalité",
    "Données collectées", "Base légale", "Durée de conservation", "Destinataires"), None where it says none."""
    header = _header_row(doc, block) if block.kind == "row" else None
    if header is None:
        return []
    out = []
    for a, b in header.cells:
        keys = [t.key for t in tokens(doc.text[a:b], lang)]
        out.append(next((f for f in COLUMN_FAMILIES if has_cue(keys, f, lang)), None))
    return out


def _column_of(block: Block, offset: int) -> int | None:
    return next((i for i, (a, b) in enumerate(block.cells) if a <= offset < b), None)


def sentence_facts(s: Sentence, ctx: Context, context_keys: list[str]) -> list[Fact]:
    """Every fact of one sentence. `context_keys`: the token keys of its heading and of the sentence that
    introduces its list (a list item's context); the label its line starts with ("Storage:") is context too."""
    lang = ctx.lang
    keys = [t.key for t in s.tokens]
    label_keys = [t.key for t in tokens(line_label(s, ctx.doc), lang)]
    context_keys = context_keys + label_keys
    hits = [h for h in full_matcher(lang).hits(s.tokens) if not _excepted(h, s)]
    columns = column_families(ctx.doc, s.block, lang)
    if columns:          # a table row: a cell of the purpose column names purposes, not data, and so on
        def fits(h: Hit) -> bool:
            i = _column_of(s.block, h.start)
            col = columns[i] if i is not None and i < len(columns) else None
            return not (col in ("data", "purpose", "basis", "retention") and h.entry.family in ("data", "purpose", "basis")
                        and h.entry.family != col)
        hits = [h for h in hits if fits(h)]
    retention_context = has_cue(label_keys, "retention", lang) or "retention" in columns
    data_hits = [h for h in hits if h.entry.family == "data" and h.entry.confidence > 0.6
                 and h.entry.source != "generated"]
    facts: list[Fact] = []
    for hit in hits:
        fact = _lexicon_fact(hit, s, ctx, keys, context_keys, data_hits)
        if fact is not None:
            facts.append(fact)
    facts += _named_facts(s, ctx, keys, context_keys)
    facts += retention_facts(s, ctx, keys, retention_context)
    for f in facts:
        if f.negated is None:
            f.negated = s.negated_at(f.start, f.end)
    return facts


def _excepted(hit: Hit, s: Sentence) -> bool:
    """The hit lies inside one of its entry's `except` phrases ("in order to", "en fonction de", "named")."""
    if not hit.entry.excepts:
        return False
    words = [fold(s.text[t.start - s.start:t.end - s.start]) for t in s.tokens]
    for phrase in hit.entry.excepts:
        n = len(phrase)
        for i in range(max(0, hit.first - n + 1), min(hit.last, len(words) - n) + 1):
            if tuple(words[i:i + n]) == phrase and i <= hit.last and hit.first <= i + n - 1:
                return True
    return False


def _enumerated(hit: Hit, data_hits: list[Hit]) -> bool:
    """A weak data form listed beside a sure one ("votre nom, prénom et adresse"): at most 3 words apart."""
    return any(o is not hit and (0 < hit.first - o.last <= 3 or 0 < o.first - hit.last <= 3) for o in data_hits)


def _lexicon_fact(hit: Hit, s: Sentence, ctx: Context, keys: list[str], context_keys: list[str],
                  data_hits: list[Hit] = ()) -> Fact | None:
    e = hit.entry
    lang = ctx.lang
    conf = e.confidence
    note = None
    if e.term in GENERIC:
        return None
    in_sentence = has_cue(keys, e.family, lang) if e.family in ("data", "purpose", "right", "recipient", "basis") \
        else True
    around = in_sentence or (e.family in ("data", "purpose", "recipient", "basis") and has_cue(context_keys, e.family, lang))
    weak = e.source == "generated" or e.confidence <= 0.6
    if e.family == "data":
        if find_phrase(keys[max(0, hit.first - 4):hit.first], cue_keys(lang)["data:excluded"]) is not None:
            return None          # "… à l'exception des données professionnelles": left out, not collected
        if not around or (weak and not (in_sentence or s.block.kind in ("item", "row")
                                        or (e.source != "generated" and _enumerated(hit, data_hits)))):
            return None
        return Fact("data", "dpv:hasPersonalData", e.term, e.found_by, conf, hit.start, hit.end)
    if e.family == "purpose":
        if not around:
            conf -= 0.25
            note = "no word of purpose around it (pour, afin de, to, purpose …): is it one?"
        return Fact("purpose", "dpv:hasPurpose", e.term, e.found_by, conf, hit.start, hit.end, note=note)
    if e.family == "basis":
        if weak and not around:
            return None
        term = map_term(e.term, "basis", ctx)
        return Fact("basis", "dpv:hasLegalBasis", term, e.found_by + ("" if term == e.term else f" -> {term}"),
                    conf, hit.start, hit.end)
    if e.family == "recipient":
        if e.term in NOT_RECIPIENTS:
            return None
        if not around and not (e.form in load_cues()["recipient_sure"].get(lang, []) and e.source == "recipient"):
            return None
        prop = RECIPIENT_PROPERTY.get(e.term, "dpv:hasRecipient")
        return Fact("recipient", prop, e.term, e.found_by, conf, hit.start, hit.end, note=note)
    if e.family == "right":
        strong = cue_keys(lang)["right:strong"]
        if e.confidence <= 0.6 and not find_phrase(keys, strong):
            return None          # a bare verb ("delete", "corriger") is a right only where the text says so
        if e.term in AMBIGUOUS_RIGHTS and not _names_a_right(e.form) and find_phrase(keys, strong) is None \
                and find_phrase(context_keys, strong) is None:
            return None          # "nous limitons l'accès à vos données": access control, not the right of access
        term = map_term(e.term, "right", ctx)
        return Fact("right", "dpv:hasRight", term, e.found_by + ("" if term == e.term else f" -> {term}"),
                    conf if in_sentence else conf - 0.15, hit.start, hit.end)
    if e.family == "source":
        return Fact("source", "dpv:hasDataSource", e.term, e.found_by, conf, hit.start, hit.end)
    if e.family == "technology":
        return Fact("technology", "dpv:isImplementedUsingTechnology", e.term, e.found_by, conf, hit.start, hit.end)
    if e.family == "location":
        return _location_fact(hit, s, ctx, keys)
    return None


def _names_a_right(form: str) -> bool:
    return bool(re.search(r"\b(droit|right|rights)\b", form, re.I))


def _location_fact(hit: Hit, s: Sentence, ctx: Context, keys: list[str]) -> Fact | None:
    e = hit.entry
    before = keys[max(0, hit.first - 4):hit.first]
    if find_phrase(before, cue_keys(ctx.lang)["location:outside"]) is not None:
        return None          # "hors de l'Union européenne", "outside the EEA": the place data leaves, not where it goes
    storage = has_cue(keys, "storage", ctx.lang)
    transfer = has_cue(keys, "transfer", ctx.lang)
    if not (storage or transfer):
        return None
    if transfer and not storage:
        return Fact("location", "dpv:hasThirdCountry", e.term, e.found_by, e.confidence - 0.1, hit.start, hit.end,
                    note="a transfer: check the country is outside the exporter's territory")
    return Fact("location", "dpv:hasStorageCondition", {"a": "dpv:StorageLocation", "dpv:hasLocation": [e.term]},
                e.found_by, e.confidence, hit.start, hit.end)


def map_term(term: str, family: str, ctx: Context) -> str:
    """A neutral term as the law the policy falls under names it (cues.yaml jurisdictions)."""
    j = load_cues()["jurisdictions"]
    if family == "basis" and "gdpr" in ctx.jurisdictions:
        return j["gdpr"]["basis"].get(term, term)
    if family == "right" and "gdpr" not in ctx.jurisdictions:
        for law in ("law25", "pipeda"):         # Québec's Law 25 first: it has more rights than PIPEDA
            if law in ctx.jurisdictions and term in j[law].get("right", {}):
                return j[law]["right"][term]
    return term


def _named_facts(s: Sentence, ctx: Context, keys: list[str], context_keys: list[str]) -> list[Fact]:
    pattern, specs = named()
    out = []
    for m in pattern.finditer(s.text):
        name = m.group(1)
        spec = specs[name]
        start, end = s.start + m.start(1), s.start + m.end(1)
        found_by = f"lexicon:organisations:{spec['a']}:{name}"
        if spec["kind"] == "software":
            node = {"id": slug_id(name), "a": spec["a"], "rdfs:label": name}
            out.append(Fact("technology", "dpv:isImplementedUsingTechnology", node, found_by, 0.8, start, end))
            continue
        cue = has_cue(keys, "recipient", ctx.lang) or has_cue(context_keys, "recipient", ctx.lang)
        if not cue and spec.get("role") == "social":
            continue          # "profils … tels que Facebook": a source or a platform, not a recipient
        node = {"id": slug_id(name), "a": spec["a"], "dpv:hasName": name}
        prop = RECIPIENT_PROPERTY.get(spec["a"], "dpv:hasRecipient")
        out.append(Fact("recipient", prop, node, found_by, 0.8 if cue else 0.6, start, end,
                        note=None if cue else "named, but no word of sharing around it"))
    return out


# --- retention -----------------------------------------------------------------------------------------------------

_DIGITS = re.compile(r"^\d{1,4}$")


def retention_facts(s: Sentence, ctx: Context, keys: list[str], about_retention: bool = False) -> list[Fact]:
    """Periods a sentence about keeping data states: '13 mois', '3 years after the end of the contract'
    (an event-bound period: dpv:UntilEventDuration with its event), 'aussi longtemps que nécessaire'.
    `about_retention`: the sentence's line is labelled "Storage:" / "Conservation :", or it is a table row with
    a retention column, so it is about keeping data even without a retention word of its own."""
    lang = ctx.lang
    if not (about_retention or has_cue(keys, "retention", lang)):
        return []
    cues = load_cues()["retention"]
    units = {fold(k): v for k, v in cues["units"][lang].items()}
    numbers = {fold(k): v for k, v in cues["numbers"][lang].items()}
    ck = cue_keys(lang)
    out: list[Fact] = []
    toks = s.tokens
    i = 0
    while i < len(toks) - 1:
        word = s.text[toks[i].start - s.start:toks[i].end - s.start]
        amount = int(word) if _DIGITS.match(word) else numbers.get(fold(word)) if word.isalpha() else None
        unit = units.get(toks[i + 1].key) or units.get(fold(s.text[toks[i + 1].start - s.start:toks[i + 1].end - s.start]))
        if amount is None or unit is None or (amount == 1 and word.lower() in ("a", "an", "un", "une")
                                               and not _after_retention_word(keys, i)):
            i += 1
            continue
        if find_phrase(keys[max(0, i - 3):i], ck["retention:deadline"]) is not None and ctx.lang == "fr":
            i += 1          # "dans les 30 jours suivant la requête": a deadline to answer
            continue
        if unit in ("H", "MIN"):
            value = f"PT{amount}{'M' if unit == 'MIN' else 'H'}"
        else:
            value = f"P{amount}{unit}"
        end_tok = i + 1
        types = ["dpv:TemporalDuration"]
        event = find_phrase(keys[end_tok + 1:end_tok + 7], ck["retention:event"])
        if event is not None and event[0] == 0:
            types = ["dpv:UntilEventDuration"]
            end_tok = _clause_end(s, end_tok + 1 + event[1], limit=12)
        if find_phrase(keys[max(0, i - 4):i], ck["retention:minimum"]) is not None:
            types.append("pkx:MinimumDuration")
        start, end = toks[i].start, toks[end_tok].end
        node = {"a": "dpv:StorageDuration",
                "dpv:hasDuration": {"a": types, "rdf:value": {"duration": value},
                                    "dct:description": {lang: ctx.doc.text[start:end]}}}
        out.append(Fact("retention", "dpv:hasStorageCondition", node, f"rule:retention-period:{value}",
                        0.85 if len(types) == 1 or "dpv:UntilEventDuration" in types else 0.8, start, end))
        i = end_tok + 1
    if True:
        for kind, term in (("until_purpose", "dpv:UntilEventDuration"), ("indeterminate", "dpv:IndeterminateDuration"),
                           ("endless", "dpv:EndlessDuration")):
            hit = find_phrase(keys, ck[f"retention:{kind}"])
            if hit is None:
                continue
            start, last = toks[hit[0]].start, hit[0] + hit[1] - 1
            if kind == "until_purpose":
                last = _clause_end(s, last, limit=10)
            end = toks[last].end
            node = {"a": "dpv:StorageDuration",
                    "dpv:hasDuration": {"a": term, "dct:description": {lang: ctx.doc.text[start:end]}}}
            out.append(Fact("retention", "dpv:hasStorageCondition", node, f"rule:retention-{kind.replace('_', '-')}",
                            0.7, start, end, note="no period stated: the criterion that ends it"))
            break
    return out


def _after_retention_word(keys: list[str], i: int) -> bool:
    return i > 0 and keys[i - 1] in ("pendant", "durant", "for", "pour", "of", "within")


def _clause_end(s: Sentence, tok: int, limit: int) -> int:
    """The last token index of the phrase starting at `tok`: up to `limit` tokens, stopping before , ; ( ."""
    toks = s.tokens
    last = min(tok, len(toks) - 1)
    for j in range(tok, min(len(toks), tok + limit)):
        gap = s.text[toks[j - 1].end - s.start:toks[j].start - s.start] if j > 0 else ""
        if j > tok and any(c in gap for c in ",;().:"):
            break
        last = j
    return last


def block_context(doc: Document, block: Block) -> str:
    """A block's context: its heading and, for a list item or table row, the sentence before the list."""
    parts = []
    heading = doc.heading_of(block)
    while heading is not None:          # the heading and the headings above it
        parts.append(doc.block_text(heading))
        heading = doc.heading_of(heading)
    if block.kind in ("item", "row"):
        i = doc.blocks.index(block)
        j = i - 1
        while j >= 0 and doc.blocks[j].kind in ("item", "row"):
            j -= 1
        if j >= 0 and doc.blocks[j].kind == "paragraph":
            parts.append(doc.block_text(doc.blocks[j]))
        if block.kind == "row":
            first_row = next(b for b in doc.blocks[j + 1:i + 1] if b.kind == "row")
            if first_row is not block:
                parts.append(doc.block_text(first_row))
    return "\n".join(parts)
