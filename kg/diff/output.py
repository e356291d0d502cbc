"""A diff written out: for people (`render_text`, in English or French, every line made printable), as
JSON (`to_dict`, `render_json`: terms as CURIEs, `#id` for the policy's nodes, literals with their language
or datatype) and as a TriG patch (`patch_dataset`, `render_trig`: the removed and added fact triples in
each side's own IRIs, as two named graphs).

Separate from computing the differences (`changes`) because it only reads a finished `Diff`: the labels
of terms (the vocabulary's, the policy's), the words of kg/messages.yaml and the formats are its concern
alone.
"""
from __future__ import annotations

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, RDFS

from .. import namespaces as ns
from ..messages import words
from ..terminal import printable
from .changes import CATEGORIES, Diff
from .sides import DPV, LOCAL, Side, _Normal

FORMATS = ("text", "json", "trig")
_WORDS = words("diff")   # kg/messages.yaml
_MARK = {"added": "+", "removed": "-", "changed": "~"}


def term_text(term, normal: _Normal | None = None, vocabulary=None, lang: str = "en", labels: bool = True) -> str:
    """A term as people read it: `#id` for a node of the policy, a CURIE for a term, "text"@lang for a
    literal; with its label (the node's label or name, the vocabulary's label) when `labels`."""
    if term is None:
        return ""
    if isinstance(term, Literal):
        if term.language:
            return f'"{term}"@{term.language}'
        return f'"{term}"'
    if isinstance(term, BNode):
        types = sorted(ns.shorten(str(t)) for t in normal.graph.objects(term, RDF.type)) if normal else []
        return "[" + " ".join(types or ["blank node"]) + "]"
    text = str(term)
    if text.startswith(LOCAL):
        out = "#" + text[len(LOCAL):]
        if labels and normal is not None:
            from ..validate import lang_texts
            for p in (RDFS.label, DPV.hasName):
                texts = lang_texts(normal.graph, term, p)
                if texts:
                    return f"{out} ({texts.get(lang) or texts.get('en') or next(iter(texts.values()))})"
        return out
    out = ns.shorten(text)
    label = vocabulary.label(term, lang) if labels and vocabulary is not None else None
    return f"{out} ({label})" if label else out


def _json_term(term):
    if isinstance(term, Literal):
        out = {"value": str(term)}
        if term.language:
            out["lang"] = term.language
        elif term.datatype:
            out["datatype"] = ns.shorten(str(term.datatype))
        return out
    return term_text(term, labels=False) if term is not None else None


def to_dict(d: Diff, lang: str = "en", vocabulary=None) -> dict:
    from ..report import finding_dict

    def side(s: Side) -> dict:
        return {"key": s.key, "source": s.origin, "graph": s.graph_iri}

    def quotes(qs):
        return [{"statement": i, "quote": q} for i, q in qs]
    changes = []
    for c in d.changes:
        normal = d.normal_b if c.kind == "added" else d.normal_a
        changes.append({"category": c.category, "kind": c.kind, "subject": _json_term(c.subject),
                        "subject_label": term_text(c.subject, normal, vocabulary, lang),
                        "property": _json_term(c.predicate), "a": _json_term(c.a), "b": _json_term(c.b),
                        "quotes_a": quotes(c.quotes_a), "quotes_b": quotes(c.quotes_b)})
    out = {"a": side(d.a), "b": side(d.b), "changes": changes}
    if d.validated:
        out["findings"] = {"appeared": [finding_dict(f, lang) for f in d.appeared],
                           "disappeared": [finding_dict(f, lang) for f in d.disappeared]}
    return out


def render_json(d: Diff, lang: str = "en", vocabulary=None) -> str:
    import json
    return json.dumps(to_dict(d, lang, vocabulary), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def render_text(d: Diff, lang: str = "en", vocabulary=None) -> str:
    """The changes for people; each line made printable (kg.terminal): quotes, labels and values from the
    policies cannot reach the terminal raw, nor start lines of their own."""
    w = _WORDS.get(lang, _WORDS["en"])
    lines = [f"A  {d.a.key}  ({d.a.origin})", f"B  {d.b.key}  ({d.b.origin})"]
    for cat, names in CATEGORIES.items():
        found = [c for c in d.changes if c.category == cat]
        if not found:
            continue
        lines.append(f"{names[1] if lang == 'fr' else names[0]} ({len(found)})")
        for c in found:
            normal = d.normal_b if c.kind == "added" else d.normal_a
            subject = term_text(c.subject, normal, vocabulary, lang)
            prop = ns.shorten(str(c.predicate))
            if c.kind == "changed":
                value = (f"{term_text(c.a, d.normal_a, vocabulary, lang)} → "
                         f"{term_text(c.b, d.normal_b, vocabulary, lang)}")
            else:
                value = term_text(c.a if c.kind == "removed" else c.b, normal, vocabulary, lang)
            lines.append(f"  {_MARK[c.kind]} {subject}  {prop}  {value}   [{w[c.kind]}]")
            for side, qs in (("A", c.quotes_a), ("B", c.quotes_b)):
                for sid, quote in qs:
                    lines.append(f"      {side} «{quote}»" + (f" [{sid}]" if sid else ""))
    if not d.changes:
        lines.append(w["none"])
    if d.validated:
        for title, found, mark in ((w["appeared"], d.appeared, "+"), (w["disappeared"], d.disappeared, "-")):
            if found:
                lines.append(f"{title} ({len(found)})")
            for f in found:
                where = f.focus_label.get(lang) or f.focus_label.get("en", "")
                lines.append(f"  {mark} {f.severity.upper():<9} {f.shape}  {where}" + (f"  {f.path}" if f.path else ""))
                lines.append(f"      {f.text('message', lang)}")
    summary = f"{len(d.changes)} {w['changes']}; {w['findings']}: "
    summary += (f"+{len(d.appeared)} -{len(d.disappeared)}" if d.validated else w["skipped"])
    lines.append(summary)
    return "\n".join(printable(line) for line in lines) + "\n"


def patch_dataset(d: Diff):
    """The patch as an rdflib Dataset: every fact triple of A that B lacks (in A's own IRIs) and of B that A
    lacks (in B's), as two named graphs `<B graph>#diff-removed` and `<B graph>#diff-added`. Evidence and
    version metadata are not part of it."""
    from rdflib import Dataset
    ds = Dataset()
    for prefix, iri in ns.PREFIXES.items():
        ds.bind(prefix, iri, override=True, replace=True)
    base = d.b.graph_iri.split("#")[0]
    facts_a, facts_b = set(d.normal_a.facts), set(d.normal_b.facts)
    for name, normal, triples in (("removed", d.normal_a, facts_a - facts_b), ("added", d.normal_b, facts_b - facts_a)):
        graph = ds.graph(URIRef(f"{base}#diff-{name}"))
        back = normal.absolute
        for s, p, o in triples:
            graph.add((back.get(s, s), p, back.get(o, o)))
    return ds


def render_trig(d: Diff) -> str:
    header = (f"# policykg diff: triples removed from {d.a.key} and added in {d.b.key} (evidence and version "
              "metadata left out)\n")
    return header + patch_dataset(d).serialize(format="trig")


def render(d: Diff, fmt: str, lang: str = "en", vocabulary=None) -> str:
    if fmt == "json":
        return render_json(d, lang, vocabulary)
    if fmt == "trig":
        return render_trig(d)
    return render_text(d, lang, vocabulary)
