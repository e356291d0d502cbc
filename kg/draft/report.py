"""The review report of a draft (`policykg draft --explain`): for each statement, where it goes, its facts,
its quote in context (the quote between » «), how it was found and why it is marked for review.
Statements marked for review come first, so a reviewer starts where a person is needed."""
from __future__ import annotations

from ..terminal import printable
from .assemble import Draft, Statement

CONTEXT = 80      # characters shown each side of a quote


def _facts(props: dict) -> str:
    parts = []
    for prop, values in props.items():
        shown = []
        for v in values:
            if isinstance(v, dict):
                inner = {k: x for k, x in v.items() if k != "id"}
                shown.append("{" + ", ".join(f"{k} {_flat(x)}" for k, x in inner.items()) + "}")
            else:
                shown.append(str(v))
        parts.append(f"{prop} {', '.join(shown)}")
    return "; ".join(parts)


def _flat(x) -> str:
    if isinstance(x, dict):
        return "{" + ", ".join(f"{k} {_flat(v)}" for k, v in x.items() if k != "id") + "}"
    if isinstance(x, list):
        return ", ".join(_flat(v) for v in x)
    return str(x)


def _where(draft: Draft, st: Statement) -> str:
    if st.section == "process":
        label = next((p.label for p in draft.processes if p.id == st.process), st.process)
        return f"process {st.process} («{label}»)"
    return st.section


def explain_statement(draft: Draft, st: Statement) -> str:
    text = draft.doc.text
    before = text[max(0, st.start - CONTEXT):st.start].replace("\n", " ⏎ ")
    after = text[st.end:st.end + CONTEXT].replace("\n", " ⏎ ")
    line = text.count("\n", 0, st.start) + 1
    flag = "REVIEW" if st.review else "ok    "
    lines = [f"{st.id}  {flag}  {st.family:<11} confidence {st.confidence:.2f}  {_where(draft, st)}",
             f"      {_facts(st.props)}",
             f"      …{before}»{text[st.start:st.end]}«{after}…  (snapshot line {line})",
             f"      found by: {'; '.join(st.found_by)}"]
    if st.notes:
        lines.append(f"      why review: {' '.join(st.notes)}")
    elif st.review:
        lines.append("      why review: confidence below 0.75 (a weak or generated lexicon form)")
    return "\n".join(printable(x) for x in lines)


def explain_report(draft: Draft) -> str:
    review = [s for s in draft.statements if s.review]
    sure = [s for s in draft.statements if not s.review]
    head = [f"Draft of {draft.slug} ({draft.lang}): {len(draft.statements)} statements, {len(review)} to review, "
            f"{len(draft.processes)} processes; laws named: {', '.join(draft.jurisdictions) or 'none'}",
            f"notice date: {draft.date.kind} {draft.date.iso}" if draft.date else "notice date: not found (the card "
            "uses --version as its valid date)", ""]
    body = ["## To review", ""] + [explain_statement(draft, s) + "\n" for s in review]
    body += ["## Proposed with confidence", ""] + [explain_statement(draft, s) + "\n" for s in sure]
    return "\n".join(head + body).rstrip() + "\n"
