"""Verdicts as text (for people, in English or French) and as JSON (for programs: every statement behind every
verdict, whatever its role)."""
from __future__ import annotations

import json

from ..terminal import printable
from .match import Evidence, MatchRun, Verdict
from .texts import VERDICT_WORDS

MARKS = {"breach": "✖", "open": "?", "met": "✔"}
SHOWN = 6          # statements shown per verdict in text (JSON has them all)
WORDS = {
    "en": {"preferences": "preferences", "policies": "policy(ies)", "absent": "(not stated)", "more": "more",
           "inferred": "fact(s) the card marks as inferred were not counted", "at": "at",
           "summary": "{met} met, {not_met} not met, {unknown} unknown", "none": "no policy matched",
           "right": "right", "channel": "channel", "colon": ": "},
    "fr": {"preferences": "préférences", "policies": "politique(s)", "absent": "(non indiqué)", "more": "de plus",
           "inferred": "fait(s) que la fiche marque comme déduits n'ont pas été pris en compte", "at": "à",
           "summary": "{met} respectée(s), {not_met} non respectée(s), {unknown} inconnue(s)",
           "none": "aucune politique", "right": "droit", "channel": "moyen", "colon": " : "},
}


def render_text(run: MatchRun, lang: str = "en") -> str:
    w = WORDS[lang]
    prefs = run.preferences
    title = prefs.title.get(lang) or prefs.title.get("en") or ""
    lines = [f"{printable(prefs.path)}" + (f": {printable(title)}" if title else "")
             + f" — {len(prefs.items)} {w['preferences']}, {len(run.policies)} {w['policies']}"]
    for policy in run.policies:
        lines += ["", f"{policy.policy}  ({printable(policy.source)})"]
        for verdict in policy.verdicts:
            lines += _verdict_lines(verdict, lang)
        if policy.inferred_not_counted:
            lines.append(f"  ({policy.inferred_not_counted} {w['inferred']})")
        c = policy.counts()
        lines.append("  " + w["summary"].format(met=c["met"], not_met=c["not-met"], unknown=c["unknown"]))
    if not run.policies:
        lines.append(w["none"])
    return "\n".join(lines) + "\n"


def _verdict_lines(verdict: Verdict, lang: str) -> list[str]:
    word = VERDICT_WORDS[verdict.verdict][lang].upper()
    title = verdict.title.get(lang) or verdict.title.get("en", "")
    out = [f"  {word:<14} {verdict.preference}  {printable(title)}",
           f"  {'':<14} {verdict.reason.get(lang) or verdict.reason['en']}"]
    shown = verdict.deciding()
    for e in shown[:SHOWN]:
        out += _evidence_lines(e, lang)
    if len(shown) > SHOWN:
        out.append(f"  {'':<16}… {len(shown) - SHOWN} {WORDS[lang]['more']}")
    return out


def _evidence_lines(e: Evidence, lang: str) -> list[str]:
    w = WORDS[lang]
    pad = " " * 17
    label = e.focus_label.get(lang) or e.focus_label.get("en", "")
    value = e.value_label.get(lang) or e.value_label.get("en") or e.value or ""
    if e.detail and e.detail.startswith("channel:"):
        what = f"{w['channel']} ({e.detail.split(':', 1)[1]})" + (f"{w['colon']}{value}" if value else "")
    elif e.detail:
        what = f"{w['right']}{w['colon']}{e.detail}" + (f"  ({value})" if e.role == "met" else "")
    else:
        what = f"{e.path or ''}  {value}".strip()
    out = [f"{pad[:-2]}{MARKS[e.role]} {printable(label)}  {printable(what)}"]
    if e.quote:
        out.append(f"{pad}«{printable(e.quote)}»" + (f" [{e.statement}]" if e.statement else ""))
        if e.where is not None:
            out.append(f"{pad}{w['at']} {printable(e.where.file)}:{e.where.line}")
    elif e.role != "met":
        out.append(f"{pad}{w['absent']}")
    return out


def render_json(run: MatchRun, lang: str = "en") -> str:
    document = {
        "preferences": {"file": run.preferences.path, "title": run.preferences.title,
                        "ids": [p.id for p in run.preferences.items]},
        "outcome": run.outcome(),
        "policies": [{
            "policy": p.policy, "source": p.source, "engine": p.engine,
            "inferred_not_counted": p.inferred_not_counted, "counts": p.counts(),
            "verdicts": [{
                "preference": v.preference, "kind": v.kind, "title": v.title.get(lang) or v.title.get("en"),
                "verdict": v.verdict, "state": v.state, "reason": v.reason.get(lang) or v.reason["en"],
                "evidence": [_evidence_dict(e, lang) for e in v.evidence],
            } for v in p.verdicts],
        } for p in run.policies],
    }
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def _evidence_dict(e: Evidence, lang: str) -> dict:
    return {"role": e.role, "focus": e.focus, "focus_label": e.focus_label.get(lang) or e.focus_label.get("en"),
            "path": e.path, "value": e.value, "value_label": e.value_label.get(lang) or e.value_label.get("en"),
            "quote": e.quote, "statement": e.statement,
            "where": f"{e.where.file}:{e.where.line}" if e.where is not None else None, "about": e.detail}


FORMATS = {"text": render_text, "json": render_json}
