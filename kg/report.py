"""Validation reports for people and tools: text (fr/en), JSON (one object per finding), Turtle (the
standard sh:ValidationReport, with what the other formats say added as pks: statements) and SARIF 2.1.0 (for code-scanning tools, locations on the card lines).

Inputs that could not be loaded (a card with a YAML error or an unknown term, in a folder validated card by
card) are part of the report too, so that a report never looks complete when it is not: the last line of
the text, one JSON record each, a SARIF tool execution notification each, a comment in Turtle."""
from __future__ import annotations

import json
from pathlib import Path


from . import namespaces as ns
from .errors import Location, anchor
from .messages import words
from .terminal import printable
from .report_graph import report_graph, rules_of
from .validate import SEVERITY_RANK, Report, shape_id

FORMATS = ("text", "json", "jsonl", "ttl", "sarif")
WORDS = words("report")   # kg/messages.yaml


def _w(lang: str, key: str) -> str:
    return WORDS.get(lang, WORDS["en"])[key]


def _label(lang: str, key: str) -> str:
    """A line label followed by its colon, as the language writes it ("fix:", "correction :")."""
    return _w(lang, key) + (" :" if lang == "fr" else ":")


def _count(lang: str, severity: str, n: int) -> str:
    """"2 warnings" / "2 avertissements": the severity word agreeing with its number."""
    return f"{n} {_w(lang, severity if n == 1 else severity + '_plural')}"


def _severity(lang: str, severity: str) -> str:
    return _w(lang, severity).upper()


def render_text(reports: list[Report], lang: str = "en", fail_on: str = "violation", errors=()) -> str:
    """The report for people, one finding a block. Each line is made printable (kg.terminal) as a whole: the
    quotes, labels, values and file names it quotes cannot reach the terminal raw, and a newline inside one
    of them shows as \\n instead of starting a line of its own."""
    lines: list[str] = []
    total = 0
    for report in reports:
        lines.append(f"{report.policy}  ({report.source or ''})")
        for pid, why in report.profiles:
            lines.append(f"  {_w(lang, 'profile')} {pid}{' :' if lang == 'fr' else ':'} {why.get(lang) or why.get('en')}")
        run = {pid for pid, _ in report.profiles}
        for f in report.findings:   # requested profiles not run: not applicable, or not in force on --as-of
            if f.profile not in run:
                total += 1
                lines.append(f"  {_w(lang, 'profile')} {f.profile}{' :' if lang == 'fr' else ':'} {f.text('message', lang)}"
                             f"  [{f.shape}]")
        for pid, _ in report.profiles:
            found = [f for f in report.findings if f.profile == pid]
            counts = {s: sum(1 for f in found if f.severity == s) for s in ("violation", "warning", "info")}
            ok = not any(SEVERITY_RANK[f.severity] >= SEVERITY_RANK[fail_on] for f in found)
            summary = ", ".join(_count(lang, s, n) for s, n in counts.items() if n)
            colon = " : " if lang == "fr" else ": "
            lines.append(f"{report.policy.split('@')[0]}  {_w(lang, 'profile')} {pid}  "
                         f"{_w(lang, 'conforms') if ok else _w(lang, 'not')}" + (f"{colon}{summary}" if summary else ""))
            for f in found:
                total += 1
                target = f.focus_label.get(lang) or f.focus_label.get("en", "")
                value = f.value or ""
                if value.startswith(ns.POLICY_BASE):  # a node of the policy: its local id is enough here
                    value = "#" + value.rsplit("#", 1)[-1]
                width = 13 if lang == "fr" else 9
                lines.append(f"  {_severity(lang, f.severity):<{width}}  {f.shape}   {target}" + (f"  {f.path}" if f.path else "")
                             + (f"  {value}" if value and value != f.path else ""))
                lines.append(f"             {f.text('message', lang)}")
                if f.fix:
                    lines.append(f"             {_label(lang, 'fix')} {f.text('fix', lang)}")
                if f.card_hint:   # advice to the card's author, apart from the advice to the controller
                    lines.append(f"             {_label(lang, 'card')} {f.text('card_hint', lang)}")
                refs = f"  ({', '.join(f.references)})" if f.references else ""
                lines.append(f"             {_label(lang, 'article')} {f.text('article', lang)}{refs}")
                q_open, q_close = ("« ", " »") if lang == "fr" else ("«", "»")
                lines.append(f"             {_w(lang, 'quote')} {q_open}{f.quote}{q_close}" + (f" [{f.statement}]" if f.statement else "")
                             if f.quote else f"             {_label(lang, 'quote')} {_w(lang, 'absent')}")
                if f.where:
                    lines.append(f"             {_w(lang, 'at')} {f.where.file}:{f.where.line}")
    mark = "✔" if all(r.conforms(fail_on) for r in reports) and not errors else "✖"
    # French: singular for 0 and 1, plural from 2
    lines.append(f"{mark} {total} {_w(lang, 'finding_one' if total < 2 else 'finding_many')} {len(reports)} "
                 f"{_w(lang, 'policy_one' if len(reports) < 2 else 'policy_many')}"
                 + (f"; {len(errors)} {_w(lang, 'not_loaded')}" if errors else ""))
    return "\n".join(printable(line) for line in lines) + "\n"


def finding_dict(f, lang: str = "en") -> dict:
    return {
        "policy": f.policy, "profile": f.profile, "shape": f.shape, "severity": f.severity,
        "message": f.text("message", lang), "messages": f.message, "fix": f.text("fix", lang), "fixes": f.fix,
        "card_hint": f.text("card_hint", lang) if f.card_hint else None, "card_hints": f.card_hint,
        "article": f.text("article", lang), "articles": f.articles or {"en": f.article},
        "citations": [{"profile": c["profile"], "en": c["en"], "fr": c["fr"]} for c in f.citations],
        "values": f.values, "references": f.references, "focus": f.focus,
        "focus_label": f.focus_label.get(lang) or f.focus_label.get("en"), "path": f.path, "value": f.value,
        "quote": f.quote, "statement": f.statement,
        "file": f.where.file if f.where else None, "line": f.where.line if f.where else None,
        "column": f.where.column if f.where else None,
    }


def error_dict(exc) -> dict:
    """An input that could not be loaded (a KgError) as a JSON record: `error` (its id), code, what, where,
    fix, docs, and the file, line, column and field when `where` is a place in a file."""
    where = exc.where if isinstance(exc.where, Location) else None
    return {"error": exc.id, "code": exc.code, "what": exc.what,
            "where": str(exc.where) if exc.where is not None else None, "fix": exc.fix,
            "docs": f"docs/errors.md#{anchor(exc.id)}",
            "file": where.file if where else None, "line": where.line if where else None,
            "column": where.column if where else None, "field": where.field if where else None}


def report_dict(r: Report, lang: str = "en", fail_on: str = "violation") -> dict:
    """One policy's report: the policy, where it was read, the profiles run (and why), the engine, the
    verdict, the counts and the findings."""
    return {"policy": r.policy, "source": r.source, "engine": r.engine, "seconds": round(r.seconds, 4),
            "profiles": [{"id": pid, "why": why.get(lang) or why.get("en")} for pid, why in r.profiles],
            "conforms": r.conforms(fail_on), "counts": r.counts(),
            "findings": [finding_dict(f, lang) for f in r.findings]}


def render_json(reports: list[Report], lang: str = "en", errors=(), fail_on: str = "violation") -> str:
    """One JSON document: {"policykg": version, "conforms", "reports": [report_dict…], "errors":
    [error_dict…]} (the inputs that could not be loaded). `--format jsonl` streams the findings instead."""
    from .version import __version__
    doc = {"policykg": __version__, "fail_on": fail_on,
           "conforms": not errors and all(r.conforms(fail_on) for r in reports),
           "reports": [report_dict(r, lang, fail_on) for r in reports], "errors": [error_dict(e) for e in errors]}
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=1) + "\n"


def render_jsonl(reports: list[Report], lang: str = "en", errors=()) -> str:
    """One JSON object per finding, one per line (JSON Lines), so tools can stream and grep them; then one
    per input that could not be loaded (error_dict: the records with an `error` key)."""
    records = [finding_dict(f, lang) for r in reports for f in r.findings] + [error_dict(e) for e in errors]
    return "".join(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n" for record in records)


def render_turtle(reports: list[Report], errors=()) -> str:
    """The report graph (kg.report_graph: the engines' standard sh:ValidationReports, one per policy, with what
    the other formats say as pks: statements) in Turtle; the inputs that could not be loaded are also named
    in comments at the top, for people."""
    # printable(): a newline in a message would end the comment and let the rest be read as triples
    comments = "".join(f"# not loaded: {printable(e.where or '')}: {e.code} {e.id}: {printable(e.what)}\n"
                       for e in errors)
    return comments + report_graph(reports, errors).serialize(format="turtle")


def _level(severity: str) -> str:
    return {"violation": "error", "warning": "warning", "info": "note"}[severity]


def render_sarif(reports: list[Report], lang: str = "en", root: Path | None = None, errors=()) -> str:
    """SARIF 2.1.0: one run, one rule per shape of the profiles used, one result per finding, located on
    the card line when the input was a card (else a logical location: the focus node). An input that could
    not be loaded is a tool execution notification of level error (SARIF §3.20.21; Appendix I: the results
    are then known to be incomplete) whose descriptor is the error's PKG code, located on the card line."""
    from .version import __version__

    # the rules of the shapes actually run (the profiles each report was validated with, or those its report
    # graph describes), one rule per shape id
    rules, index = [], {}
    for rule in rules_of(reports):
        index[rule["id"]] = len(rules)
        rules.append({
            "id": rule["id"],
            "name": "".join(w.capitalize() for w in rule["id"].split("-")),
            "shortDescription": {"text": _in(rule["names"], lang) or rule["id"]},
            "fullDescription": {"text": _in(rule["descriptions"], lang) or _in(rule["messages"], lang) or rule["id"]},
            "helpUri": rule["help_uri"],
            "help": {"text": _in(rule["articles"], lang) or ""},
            "defaultConfiguration": {"level": _level(rule["severity"])},
            "properties": {"profile": rule["profile"], "references": rule["references"]},
        })
    # the validator's own notices (a profile not applied, facts not counted) are no shape: a rule each
    for r in reports:
        for f in r.findings:
            if f.shape not in index:
                index[f.shape] = len(rules)
                rules.append({
                    "id": f.shape, "name": "".join(w.capitalize() for w in f.shape.split("-")),
                    "shortDescription": {"text": f.text("article", lang) or f.shape},
                    "fullDescription": {"text": f.text("message", lang) or f.shape},
                    "defaultConfiguration": {"level": _level(f.severity)},
                    "properties": {"profile": f.profile, "references": list(f.references)},
                })
    results = []
    for r in reports:
        for f in r.findings:
            result = {
                "ruleId": f.shape, "level": _level(f.severity),
                "message": {"text": f.text("message", lang) + (f" — {f.text('fix', lang)}" if f.fix else "")},
                "logicalLocations": [{"fullyQualifiedName": f.focus or f.policy,
                                      "name": f.focus_label.get(lang) or f.focus_label.get("en") or f.focus or f.policy,
                                      "kind": "object"}],
                "properties": {"policy": f.policy, "profile": f.profile, "quote": f.quote, "path": f.path,
                               "value": f.value, "article": f.text("article", lang),
                               "cardHint": f.text("card_hint", lang) if f.card_hint else None},
            }
            if f.shape in index:      # never another rule's index
                result["ruleIndex"] = index[f.shape]
            if f.where is not None:
                uri = _relative(f.where.file, root)
                region = {"startLine": f.where.line or 1}
                if f.where.column:
                    region["startColumn"] = f.where.column
                result["locations"] = [{"physicalLocation": {"artifactLocation": {"uri": uri}, "region": region},
                                        "logicalLocations": result.pop("logicalLocations")}]
            elif r.source and Path(r.source).exists():
                result["locations"] = [{"physicalLocation": {"artifactLocation": {"uri": _relative(r.source, root)}},
                                        "logicalLocations": result.pop("logicalLocations")}]
            else:
                result["locations"] = [{"logicalLocations": result.pop("logicalLocations")}]
            results.append(result)
    driver = {"name": "policykg", "version": __version__, "informationUri": "https://w3id.org/policykg",
              "rules": rules}
    run = {"tool": {"driver": driver}, "results": results, "columnKind": "unicodeCodePoints"}
    if errors:
        driver["notifications"], notifications = _error_notifications(errors, root)
        run["invocations"] = [{"executionSuccessful": False, "toolExecutionNotifications": notifications}]
    sarif = {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": [run]}
    return json.dumps(sarif, ensure_ascii=False, indent=2) + "\n"


def _in(texts: dict[str, str], lang: str) -> str | None:
    """The text in `lang`, else in English (None when neither)."""
    return texts.get(lang) or texts.get("en")


def _error_notifications(errors, root: Path | None) -> tuple[list[dict], list[dict]]:
    """The notification descriptors (one per PKG code met) and one notification per load error."""
    descriptors, index, notifications = [], {}, []
    for exc in errors:
        if exc.code not in index:
            index[exc.code] = len(descriptors)
            descriptors.append({"id": exc.code, "name": exc.id,
                                "helpUri": f"https://w3id.org/policykg/docs/errors#{anchor(exc.id)}",
                                "defaultConfiguration": {"level": "error"}})
        note = {"level": "error", "message": {"text": exc.what + (f" — {exc.fix}" if exc.fix else "")},
                "descriptor": {"id": exc.code, "index": index[exc.code]},
                "properties": {"errorId": exc.id, "where": str(exc.where) if exc.where is not None else None}}
        where = exc.where if isinstance(exc.where, Location) else None
        file = where.file if where else (exc.where if isinstance(exc.where, str) and Path(exc.where).exists()
                                         else None)
        if file:
            location = {"artifactLocation": {"uri": _relative(file, root)}}
            if where and where.line:
                location["region"] = {"startLine": where.line}
                if where.column:
                    location["region"]["startColumn"] = where.column
            note["locations"] = [{"physicalLocation": location}]
        notifications.append(note)
    return descriptors, notifications


def _relative(file: str, root: Path | None) -> str:
    path = Path(file).resolve()
    base = (root or Path.cwd()).resolve()
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_uri()


def render(reports: list[Report], fmt: str, lang: str = "en", fail_on: str = "violation", errors=()) -> str:
    """The reports in one of FORMATS; `errors` are the KgErrors of inputs that could not be loaded."""
    if fmt == "text":
        return render_text(reports, lang, fail_on, errors)
    if fmt == "json":
        return render_json(reports, lang, errors, fail_on)
    if fmt == "jsonl":
        return render_jsonl(reports, lang, errors)
    if fmt == "ttl":
        return render_turtle(reports, errors)
    if fmt == "sarif":
        return render_sarif(reports, lang, errors=errors)
    raise ValueError(fmt)


__all__ = ["FORMATS", "error_dict", "render", "render_json", "render_jsonl", "render_sarif", "render_text", "render_turtle",
           "report_dict", "shape_id"]
