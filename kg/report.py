"""Validation reports for people and tools: text (fr/en), JSON (one object per finding), Turtle (the
standard sh:ValidationReport) and SARIF 2.1.0 (for code-scanning tools, locations on the card lines)."""
from __future__ import annotations

import json
from pathlib import Path

from rdflib import Graph
from rdflib.namespace import DCTERMS, SH

from . import namespaces as ns
from .validate import Report, SEVERITY_RANK, lang_texts, load_profiles, shape_id

FORMATS = ("text", "json", "ttl", "sarif")
WORDS = {
    "en": {"conforms": "conforms", "not": "does not conform", "violation": "violation", "warning": "warning",
           "info": "info", "profile": "profile", "profiles": "profiles", "quote": "quote", "absent": "absent",
           "fix": "fix", "article": "article", "at": "at", "findings": "finding(s) in", "policies": "policy(ies)",
           "why": "because"},
    "fr": {"conforms": "conforme", "not": "non conforme", "violation": "violation", "warning": "avertissement",
           "info": "info", "profile": "profil", "profiles": "profils", "quote": "citation", "absent": "absente",
           "fix": "correction", "article": "article", "at": "à", "findings": "constat(s) dans", "policies": "politique(s)",
           "why": "car"},
}


def _w(lang: str, key: str) -> str:
    return WORDS.get(lang, WORDS["en"])[key]


def render_text(reports: list[Report], lang: str = "en", fail_on: str = "violation") -> str:
    lines: list[str] = []
    total = 0
    for report in reports:
        lines.append(f"{report.policy}  ({report.source or ''})")
        for pid, why in report.profiles:
            lines.append(f"  {_w(lang, 'profile')} {pid}: {why.get(lang) or why.get('en')}")
        for pid, _ in report.profiles:
            found = [f for f in report.findings if f.profile == pid]
            counts = {s: sum(1 for f in found if f.severity == s) for s in ("violation", "warning", "info")}
            ok = not any(SEVERITY_RANK[f.severity] >= SEVERITY_RANK[fail_on] for f in found)
            summary = ", ".join(f"{n} {_w(lang, s)}" for s, n in counts.items() if n)
            lines.append(f"{report.policy.split('@')[0]}  {_w(lang, 'profile')} {pid}  "
                         f"{_w(lang, 'conforms') if ok else _w(lang, 'not')}" + (f": {summary}" if summary else ""))
            for f in found:
                total += 1
                target = f.focus_label.get(lang) or f.focus_label.get("en", "")
                value = f.value or ""
                if value.startswith(ns.POLICY_BASE):  # a node of the policy: its local id is enough here
                    value = "#" + value.rsplit("#", 1)[-1]
                lines.append(f"  {f.severity.upper():<9}  {f.shape}   {target}" + (f"  {f.path}" if f.path else "")
                             + (f"  {value}" if value and value != f.path else ""))
                lines.append(f"             {f.text('message', lang)}")
                if f.fix:
                    lines.append(f"             {_w(lang, 'fix')}: {f.text('fix', lang)}")
                refs = f"  ({', '.join(f.references)})" if f.references else ""
                lines.append(f"             {_w(lang, 'article')}: {f.article}{refs}")
                lines.append(f"             {_w(lang, 'quote')} «{f.quote}»" + (f" [{f.statement}]" if f.statement else "")
                             if f.quote else f"             {_w(lang, 'quote')}: {_w(lang, 'absent')}")
                if f.where:
                    lines.append(f"             {_w(lang, 'at')} {f.where.file}:{f.where.line}")
    mark = "✔" if all(r.conforms(fail_on) for r in reports) else "✖"
    lines.append(f"{mark} {total} {_w(lang, 'findings')} {len(reports)} {_w(lang, 'policies')}")
    return "\n".join(lines) + "\n"


def finding_dict(f, lang: str = "en") -> dict:
    return {
        "policy": f.policy, "profile": f.profile, "shape": f.shape, "severity": f.severity,
        "message": f.text("message", lang), "messages": f.message, "fix": f.text("fix", lang), "fixes": f.fix,
        "article": f.article, "references": f.references, "focus": f.focus,
        "focus_label": f.focus_label.get(lang) or f.focus_label.get("en"), "path": f.path, "value": f.value,
        "quote": f.quote, "statement": f.statement,
        "file": f.where.file if f.where else None, "line": f.where.line if f.where else None,
        "column": f.where.column if f.where else None,
    }


def render_json(reports: list[Report], lang: str = "en") -> str:
    """One JSON object per finding, one per line (JSON Lines), so tools can stream and grep them."""
    return "".join(json.dumps(finding_dict(f, lang), ensure_ascii=False, sort_keys=True) + "\n"
                   for r in reports for f in r.findings)


def render_turtle(reports: list[Report]) -> str:
    """The engine's standard sh:ValidationReport(s), one per policy, in one Turtle document."""
    g = Graph()
    for prefix, iri in ns.PREFIXES.items():
        g.bind(prefix, iri)
    g.bind("sh", str(SH))
    for r in reports:
        g += r.graph
    return g.serialize(format="turtle")


def _level(severity: str) -> str:
    return {"violation": "error", "warning": "warning", "info": "note"}[severity]


def render_sarif(reports: list[Report], lang: str = "en", root: Path | None = None) -> str:
    """SARIF 2.1.0: one run, one rule per shape of the profiles used, one result per finding, located on
    the card line when the input was a card (else a logical location: the focus node)."""
    from . import __version__

    profiles = load_profiles()
    used = sorted({pid for r in reports for pid, _ in r.profiles})
    rules, index = [], {}
    for pid in used:
        g = profiles[pid].graph
        for sid in profiles[pid].shape_ids():
            s = ns.PKS[sid]
            name, desc, msg = (lang_texts(g, s, p) for p in (SH.name, SH.description, SH.message))
            severity = {SH.Violation: "violation", SH.Warning: "warning", SH.Info: "info"}.get(g.value(s, SH.severity), "violation")
            index[sid] = len(rules)
            rules.append({
                "id": sid,
                "name": "".join(w.capitalize() for w in sid.split("-")),
                "shortDescription": {"text": name.get(lang) or name.get("en") or sid},
                "fullDescription": {"text": desc.get(lang) or desc.get("en") or msg.get(lang) or msg.get("en") or sid},
                "helpUri": f"https://w3id.org/policykg/docs/profiles#{sid}",
                "help": {"text": str(g.value(s, ns.PKS.article) or "")},
                "defaultConfiguration": {"level": _level(severity)},
                "properties": {"profile": pid, "references": sorted(ns.shorten(str(o)) for o in g.objects(s, DCTERMS.references))},
            })
    results = []
    for r in reports:
        for f in r.findings:
            result = {
                "ruleId": f.shape, "ruleIndex": index.get(f.shape, 0), "level": _level(f.severity),
                "message": {"text": f.text("message", lang) + (f" — {f.text('fix', lang)}" if f.fix else "")},
                "logicalLocations": [{"fullyQualifiedName": f.focus, "name": f.focus_label.get(lang) or f.focus_label.get("en"),
                                      "kind": "object"}],
                "properties": {"policy": f.policy, "profile": f.profile, "quote": f.quote, "path": f.path,
                               "value": f.value},
            }
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
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "policykg", "version": __version__,
                                "informationUri": "https://w3id.org/policykg", "rules": rules}},
            "results": results,
            "columnKind": "unicodeCodePoints",
        }],
    }
    return json.dumps(sarif, ensure_ascii=False, indent=2) + "\n"


def _relative(file: str, root: Path | None) -> str:
    path = Path(file).resolve()
    base = (root or Path.cwd()).resolve()
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_uri()


def render(reports: list[Report], fmt: str, lang: str = "en", fail_on: str = "violation") -> str:
    if fmt == "text":
        return render_text(reports, lang, fail_on)
    if fmt == "json":
        return render_json(reports, lang)
    if fmt == "ttl":
        return render_turtle(reports)
    if fmt == "sarif":
        return render_sarif(reports, lang)
    raise ValueError(fmt)


__all__ = ["FORMATS", "render", "render_json", "render_sarif", "render_text", "render_turtle", "shape_id"]
