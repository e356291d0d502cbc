"""A draft as a policy card (docs/card.md): YAML written by hand for people to read and review, in a fixed
order (the same draft always gives the same bytes). Each statement carries its exact quote (with
`occurrence` when the quote is found more than once in the snapshot), `review`, `confidence` and
`found_by`, then its facts.
"""
from __future__ import annotations

import json
import re

from .assemble import Draft, Statement

REVIEW_FIELDS = ("review", "confidence", "found_by")
_CURIE = re.compile(r"^[a-z][a-z0-9-]*:[A-Za-z_][A-Za-z0-9_.-]*$")
_ORDER = ("id", "a", "rdf:value", "dpv:hasName", "rdfs:label", "dpv:hasLocation", "dpv:hasDuration")


def _scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    if _CURIE.match(text):
        return text
    return json.dumps(text, ensure_ascii=False)


def _value(value, indent: int) -> list[str]:
    """Lines of a value written after 'key:' (the first line is appended to the key's line)."""
    pad = " " * indent
    if isinstance(value, list):
        if len(value) == 1:
            return _value(value[0], indent)
        if all(not isinstance(v, dict) for v in value):
            return [" [" + ", ".join(_scalar(v) for v in value) + "]"]
        lines = [""]
        for v in value:
            sub = _mapping(v, indent + 2) if isinstance(v, dict) else [" " * (indent + 2) + _scalar(v)]
            sub[0] = pad + "- " + sub[0].lstrip()
            lines += sub
        return lines
    if isinstance(value, dict):
        if set(value) <= {"fr", "en", "duration", "date", "dateTime", "integer", "boolean"} and len(value) == 1:
            k, v = next(iter(value.items()))
            return [f" {{{k}: {_scalar(v)}}}"]
        return [""] + _mapping(value, indent)
    return [" " + _scalar(value)]


def _mapping(node: dict, indent: int) -> list[str]:
    pad = " " * indent
    keys = sorted(node, key=lambda k: (_ORDER.index(k) if k in _ORDER else len(_ORDER), k))
    lines = []
    for k in keys:
        sub = _value(node[k], indent + 2)
        lines.append(f"{pad}{k}:{sub[0]}")
        lines += sub[1:]
    return lines


def occurrence(text: str, quote: str, start: int) -> tuple[int, int]:
    """(which occurrence the quote at `start` is, how many there are), overlapping ones counted as the
    loader counts them."""
    count, which, i = 0, 0, text.find(quote)
    while i >= 0:
        count += 1
        if i == start:
            which = count
        i = text.find(quote, i + 1)
    return which, count


def statement_lines(st: Statement, text: str, indent: int) -> list[str]:
    pad = " " * indent
    quote = text[st.start:st.end]
    which, count = occurrence(text, quote, st.start)
    if which == 0:
        raise AssertionError(f"quote of {st.id} is not at its offsets")
    lines = [f"{pad}- id: {st.id}", f"{pad}  quote: {_scalar(quote)}"]
    if count > 1:
        lines.append(f"{pad}  occurrence: {which}")
    if st.review:
        lines.append(f"{pad}  review: true")
    lines.append(f"{pad}  confidence: {st.confidence:.2f}")
    lines.append(f"{pad}  found_by: {_scalar('; '.join(st.found_by))}")
    if st.notes:
        lines.append(f"{pad}  note: {_scalar(' '.join(st.notes))}")
    lines += _mapping(st.props, indent + 2)
    return lines


def write_card(draft: Draft, *, version: str, snapshot: str, sha256: str, retrieved: str, url: str | None,
               source_name: str) -> str:
    text = draft.doc.text
    review = sum(1 for s in draft.statements if s.review)
    out = [f"# Draft card written by `policykg draft` from {source_name}: review it before relying on it.",
           f"# {len(draft.statements)} statements, {review} marked `review: true`; each has its exact quote, how it was",
           "# found (`found_by`: a lexicon entry or a rule) and a `confidence`. `policykg draft --explain` shows every",
           "# quote in its context. Facts the text negates are drafted as dpv:Prohibition nodes, never as the fact.",
           "policykg: 1", "", "policy:",
           f"  slug: {draft.slug}", f"  version: \"{version}\"", f"  title: {_scalar(draft.title)}",
           f"  language: {draft.lang}"]
    if draft.date is not None:
        out.append(f"  {draft.date.kind}: \"{draft.date.iso}\"")
    else:
        out.append(f"  valid: \"{version}\"   # no date found in the text: the --version given")
    out.append("  source:")
    if url:
        out.append(f"    url: {_scalar(url)}")
    out += [f"    snapshot: {_scalar(snapshot)}", f"    sha256: \"{sha256}\"", f"    retrieved: \"{retrieved}\""]
    policy = draft.by_section("policy")
    if policy:
        out.append("  statements:")
        for st in policy:
            out += statement_lines(st, text, 4)
    out += ["", "controller:", f"  id: {draft.controller_id}"]
    ctrl = draft.by_section("controller")
    if ctrl:
        out.append("  statements:")
        for st in ctrl:
            out += statement_lines(st, text, 4)
    else:
        out.append("  statements: []")
    procs = [p for p in draft.processes if draft.by_section("process", p.id)]
    if procs:
        out += ["", "processes:"]
        for p in procs:
            out += [f"  - id: {p.id}", f"    label: {{{draft.lang}: {_scalar(p.label)}}}", "    statements:"]
            for st in draft.by_section("process", p.id):
                out += statement_lines(st, text, 6)
    return "\n".join(out) + "\n"
