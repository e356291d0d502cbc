"""From facts to the statements of a draft card: one statement per sentence and family (its quote, its
facts, how they were found, a confidence, review), grouped into processes as the text groups them (one per
section heading, one per row of a table), rights and laws on the notice, identity on the controller.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

from .extract import REVIEW_BELOW, Context, Fact, block_context, sentence_facts, slug_id
from .lexicon import load_cues, tokens
from .notice import (NoticeDate, address_block, controller_name, dpo_facts, emails, inline_address,
                     jurisdictions, notice_date)
from .reader import Document
from .segment import Sentence, sentences

MAX_QUOTE = 300        # characters: a longer sentence is quoted from the clause around its facts


@dataclass
class Statement:
    section: str                     # policy | controller | process
    process: str | None
    start: int
    end: int
    family: str
    props: dict[str, list] = field(default_factory=dict)
    found_by: list[str] = field(default_factory=list)
    confidence: float = 1.0
    notes: list[str] = field(default_factory=list)
    negated: str | None = None       # the negation cue, for a prohibition
    id: str = ""

    @property
    def review(self) -> bool:
        return self.confidence < REVIEW_BELOW or self.negated is not None or bool(self.notes)


@dataclass
class Process:
    id: str
    label: str
    start: int


@dataclass
class Draft:
    doc: Document
    lang: str
    slug: str
    title: str
    date: NoticeDate | None
    controller_id: str
    statements: list[Statement]
    processes: list[Process]
    jurisdictions: list[str]

    def by_section(self, section: str, process: str | None = None) -> list[Statement]:
        return [s for s in self.statements if s.section == section and (process is None or s.process == process)]


def assemble(doc: Document, lang: str, slug: str) -> Draft:
    found_laws = jurisdictions(doc, lang)
    ctx = Context(lang, doc, set(found_laws))
    sents = sentences(doc, lang)
    statements: list[Statement] = []
    processes: dict[object, Process] = {}
    contexts: dict[int, list[str]] = {}
    seen: set[tuple] = set()
    index = {id(b): i for i, b in enumerate(doc.blocks)}
    basis_intros: set[int] = set()      # paragraphs that state a legal basis and introduce a list
    for s in sents:
        bid = id(s.block)
        if bid not in contexts:
            contexts[bid] = [t.key for t in tokens(block_context(doc, s.block), lang)]
        facts = sentence_facts(s, ctx, contexts[bid])
        if not facts:
            continue
        if s.block.kind == "paragraph" and any(f.family == "basis" and not f.negated for f in facts):
            i = index[bid]
            if i + 1 < len(doc.blocks) and doc.blocks[i + 1].kind == "item":
                basis_intros.add(bid)
        for st in _statements_of(s, facts, ctx):
            if st.section == "process":
                st.process = _process(doc, s, processes, _list_intro(doc, s.block, index, basis_intros)).id
            key = (st.section, st.process, st.family, st.negated is not None, _value_key(st.props))
            if key in seen:
                continue
            seen.add(key)
            statements.append(st)
    statements = _policy_statements(doc, lang, sents, found_laws, ctx) + statements
    cid = slug_id(slug)
    statements = _controller_statements(doc, lang, slug, sents) + statements
    date = notice_date(doc, lang)
    if date is not None:
        statements.insert(0, Statement("policy", None, date.start, date.end, "notice", {"a": ["dpv:PrivacyNotice"]},
                                       ["rule:notice-date"], 0.9, [f"the notice's date: {date.kind} {date.iso}"]))
        statements[0].notes = []
    order = {"policy": 0, "controller": 1}
    pids = {}
    for st in statements:
        pids.setdefault(st.process, len(pids))
    for n, st in enumerate(sorted(statements, key=lambda x: (order.get(x.section, 2), pids[x.process])), 1):
        st.id = f"D{n:03d}"
    title = (doc.title or "").strip() or ("Politique de confidentialité" if lang == "fr" else "Privacy policy")
    return Draft(doc, lang, slug, title[:200], date, cid, statements,
                 sorted(processes.values(), key=lambda p: p.start), sorted(found_laws))


# --- statements of one sentence -------------------------------------------------------------------------------

def _statements_of(s: Sentence, facts: list[Fact], ctx: Context) -> list[Statement]:
    out: list[Statement] = []
    positive = [f for f in facts if not f.negated]
    negated = [f for f in facts if f.negated]
    families: dict[tuple[str, bool], list[Fact]] = {}
    for f in positive:     # sure and unsure facts apart, so that one weak word does not flag the others
        families.setdefault((f.family, f.confidence < REVIEW_BELOW), []).append(f)
    for (family, _), group in families.items():
        section = "policy" if family == "right" else "process"
        st = Statement(section, None, *quote_span(s, group), family)
        for f in group:
            _add(st, f.prop, _node(f.value, ctx, f.family))
            if f.found_by not in st.found_by:
                st.found_by.append(f.found_by)
            if f.note and f.note not in st.notes:
                st.notes.append(f.note)
        st.confidence = round(min(f.confidence for f in group), 2)
        out.append(st)
        if family == "right":
            out.extend(_authority(s, ctx))
    if negated:
        node: dict = {"id": ctx.node_id("prohibition"), "a": "dpv:Prohibition"}
        for f in negated:
            _add_node(node, f.prop, _node(f.value, ctx, f.family))
        cue = negated[0].negated.cue
        st = Statement("process", None, *quote_span(s, negated), "prohibition", {"dpv:hasProhibition": [node]},
                       sorted({f.found_by for f in negated}) + ["rule:negation"],
                       round(min(f.confidence for f in negated), 2),
                       [f"the text negates it («{cue}»): drafted as a prohibition, not as the fact"], cue)
        out.append(st)
    return out


def _authority(s: Sentence, ctx: Context) -> list[Statement]:
    from .extract import _phrases, find_phrase
    keys = [t.key for t in s.tokens]
    out = []
    for term, forms in load_cues()["authorities"].items():
        hit = find_phrase(keys, _phrases(forms[ctx.lang], ctx.lang))
        if hit is not None:
            start, end = s.tokens[hit[0]].start, s.tokens[hit[0] + hit[1] - 1].end
            out.append(Statement("policy", None, *quote_span(s, [Fact("", "", "", "", 0, start, end)]), "authority",
                                 {"dpv:hasAuthority": [term]}, [f"lexicon:cues:authorities:{term}"], 0.85))
    return out


def _node(value, ctx: Context, family: str):
    if not isinstance(value, dict):
        return value
    node = copy.deepcopy(value)
    if "id" not in node:
        prefix = {"retention": "retention", "location": "storage"}.get(family, family)
        node["id"] = ctx.node_id(prefix)
        inner = node.get("dpv:hasDuration")
        if isinstance(inner, dict) and "id" not in inner:
            inner["id"] = node["id"] + "-duration"
    return node


def _add(st: Statement, prop: str, value) -> None:
    values = st.props.setdefault(prop, [])
    if isinstance(value, dict) and value.get("a") == "dpv:StorageLocation":
        for v in values:                   # one storage node per statement, with every place
            if isinstance(v, dict) and v.get("a") == "dpv:StorageLocation":
                v["dpv:hasLocation"] += [x for x in value["dpv:hasLocation"] if x not in v["dpv:hasLocation"]]
                return
    if value not in values:
        values.append(value)


def _add_node(node: dict, prop: str, value) -> None:
    values = node.setdefault(prop, [])
    if value not in values:
        values.append(value)


def _value_key(props: dict) -> str:
    def strip(v):
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items() if k != "id"}
        if isinstance(v, list):
            return [strip(x) for x in v]
        return v
    return repr(sorted((k, strip(v)) for k, v in props.items()))


def quote_span(s: Sentence, facts: list[Fact]) -> tuple[int, int]:
    """The sentence, or for a long one the clause(s) around the facts: an exact slice of the snapshot."""
    if s.end - s.start <= MAX_QUOTE:
        return s.start, _trim_end(s.text, s.start, s.end)
    text = s.text
    lo = min(f.start for f in facts) - s.start
    hi = max(f.end for f in facts) - s.start
    left = max((text.rfind(c, 0, lo) for c in ".;:(!?"), default=-1)
    if left >= 0 and lo - left < 160:
        left += 1
    else:
        left = max(0, lo - 100)
        while 0 < left < lo and not text[left - 1].isspace():
            left += 1
    stops = [i for i in (text.find(c, hi) for c in ".;)!?") if i >= 0]
    if stops and min(stops) - hi < 160:
        right = min(stops)
    else:
        right = min(len(text), hi + 100)
        while hi < right < len(text) and not text[right].isspace():
            right -= 1
    while left < lo and text[left] in " ,":
        left += 1
    return s.start + left, _trim_end(s.text, s.start, s.start + right)


def _trim_end(text: str, base: int, end: int) -> int:
    while end > base and text[end - base - 1] in " ,;:":
        end -= 1
    return end


def _list_intro(doc: Document, block, index: dict, basis_intros: set[int]):
    """The paragraph that introduces `block`'s list (or `block` itself) when it states a legal basis:
    "Sur la base d'un intérêt légitime …, les traitements suivants sont mis en œuvre :" ties its basis to the
    purposes of the list, so the paragraph and its items are one process."""
    if id(block) in basis_intros:
        return block
    if block.kind != "item":
        return None
    j = index[id(block)] - 1
    while j >= 0 and doc.blocks[j].kind == "item":
        j -= 1
    return doc.blocks[j] if j >= 0 and id(doc.blocks[j]) in basis_intros else None


def _process(doc: Document, s: Sentence, processes: dict, intro=None) -> Process:
    block = s.block
    if intro is not None:
        key = ("list", id(intro))
        label = doc.block_text(intro)
    elif block.kind == "row":
        key = ("row", id(block))
        label = doc.text[block.cells[0][0]:block.cells[0][1]] if block.cells else doc.block_text(block)
    else:
        key = ("section", block.section)
        heading = doc.heading_of(block)
        label = doc.block_text(heading) if heading is not None else ""
    if key not in processes:
        label = " ".join(label.split())[:120] or "Dispositions générales"
        base = slug_id(label)[:48].strip("-") or "process"
        pid, n = base, 1
        while any(p.id == pid for p in processes.values()):
            n += 1
            pid = f"{base}-{n}"
        processes[key] = Process(pid, label, s.start)
    return processes[key]


# --- the notice and the controller ---------------------------------------------------------------------------

def _sentence_at(sents: list[Sentence], start: int) -> Sentence | None:
    return next((s for s in sents if s.start <= start < s.end), None)


def _policy_statements(doc, lang, sents, laws, ctx) -> list[Statement]:
    out = []
    for name, (start, end) in sorted(laws.items(), key=lambda kv: kv[1]):
        law = load_cues()["jurisdictions"][name]["law"]
        s = _sentence_at(sents, start)
        span = quote_span(s, [Fact("", "", "", "", 0, start, end)]) if s else (start, end)
        out.append(Statement("policy", None, *span, "law", {"dpv:hasApplicableLaw": [law]},
                             [f"lexicon:cues:jurisdictions:{name}"], 0.85))
    return out


def _controller_statements(doc: Document, lang: str, slug: str, sents: list[Sentence]) -> list[Statement]:
    out = []
    found = controller_name(doc, slug, lang)
    if found is None:
        title = next((b for b in doc.blocks if b.kind == "heading"), doc.blocks[0])
        out.append(Statement("controller", None, title.start, title.end, "controller", {"a": ["dpv:DataController"]},
                             ["rule:controller-name"], 0.3,
                             ["the controller's name was not found: add dpv:hasName and quote where the text names it"]))
        name_at = None
    else:
        name, start, end = found
        cues = [tuple(t.key for t in tokens(c, lang)) for c in load_cues()["controller"]["cue"][lang]]
        best = None
        for s in sents:
            if name in s.text:
                keys = [t.key for t in s.tokens]
                has = any(tuple(keys[i:i + len(c)]) == c for c in cues for i in range(len(keys)))
                if has:
                    best = s
                    break
                best = best or s
        span = quote_span(best, [Fact("", "", "", "", 0, best.start + best.text.index(name),
                                      best.start + best.text.index(name) + len(name))]) if best else (start, end)
        out.append(Statement("controller", None, *span, "controller",
                             {"a": ["dpv:DataController"], "dpv:hasName": [name]}, ["rule:controller-name"],
                             0.8 if best is not None and best.start <= start + 10_000 else 0.6))
        name_at = start
    near = _last_mention(doc.text, found[0]) if found else name_at
    address = address_block(doc, lang, near) or inline_address(doc, lang, near)
    if address is not None:
        a_start, a_end, lines, country = address
        props: dict[str, list] = {"dpv:hasAddress": [", ".join(lines)]}
        if country:
            props["dpv:hasLocation"] = [country]
        out.append(Statement("controller", None, a_start, a_end, "address", props, ["rule:postal-address"], 0.7))
    mails = []
    for a, b in emails(doc.text):
        if doc.text[a:b] not in [m for m, _, _ in mails]:
            mails.append((doc.text[a:b], a, b))
    dpo = dpo_facts(sents, lang)
    dpo_mails = set()
    for s, fact in dpo:
        node = dict(fact.value)
        dpo_mails |= set(node.get("dpv:hasContact", []) if isinstance(node.get("dpv:hasContact"), list)
                         else [node.get("dpv:hasContact")])
        out.append(Statement("controller", None, *quote_span(s, [fact]), "dpo",
                             {"dpv:hasDataProtectionOfficer": [node]}, [fact.found_by], fact.confidence))
    for mail, a, b in mails[:3]:
        if mail in dpo_mails:
            continue
        out.append(Statement("controller", None, a, b, "contact", {"dpv:hasContact": [mail]}, ["rule:email"], 0.75))
    return out


def _last_mention(text: str, name: str) -> int | None:
    i = text.rfind(name)
    return i if i >= 0 else None
