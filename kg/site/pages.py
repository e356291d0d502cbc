"""The four pages of one policy version: the summary (a privacy label, each item linked to its evidence,
then the processes one layer down), the text of the policy with every quoted passage highlighted and its
statements beside it, the findings by severity, and the picture of the graph (with the same links as a
table). Every text from the policy is escaped (kg.site.html.e)."""
from __future__ import annotations

from rdflib.namespace import RDF

from .. import namespaces as ns
from .html import e, frag, json_data, nav_links, page, web_link
from .model import Labeller, PolicyView
from .triples import is_literal
from .summary import KINDS, ROWS, layout, picture, summary
from .words import colon, count, say

SEVERITIES = ("violation", "warning", "info")
PAGES = ("index", "text", "findings", "graph")
ROOT = "../../../"          # policies/<slug>/<version>/ -> the site's top folder
ROW_MAX = 12                # a summary row longer than this shows its first items and the rest on demand


def policy_nav(view: PolicyView, lang: str, current: str, counts: dict[str, int]) -> str:
    total = sum(counts.values())
    links = [(f"{ROOT}index.html", say("nav", "all_policies", lang), False),
             ("index.html", say("nav", "summary", lang), current == "index"),
             ("text.html", say("nav", "text", lang), current == "text"),
             ("findings.html", say("nav", "findings", lang) + f" ({total})", current == "findings"),
             ("graph.html", say("nav", "graph", lang), current == "graph")]
    return nav_links(links, say("nav", "policy_pages", lang, key=view.key))


def _heading(view: PolicyView, lang: str, what: str) -> str:
    title = view.title or view.key
    return (f'<h1><span class="what">{e(say("nav", what, lang))}</span> {e(title)}</h1>\n'
            f'<p class="meta"><code>{e(view.key)}</code>'
            + (f' · {web_link(view.source_url)}' if view.source_url else "")
            + "".join(f' · {e(say("meta", k, lang))}{e(colon(lang))} <time>{e(v)}</time>' for k, v in view.dates.items())
            + "</p>\n")


def evidence_links(view: PolicyView, ids: list[str], lang: str, prefix: str = "text.html") -> str:
    """Links to the statements behind an item: to the passage in the text when it was found, else to the
    statement itself."""
    by_id = {st.id: st for st in view.statements}
    out = []
    for ident in ids:
        st = by_id.get(ident)
        target = frag("q-", ident) if st is not None and st.located else frag("s-", ident)
        quote = (st.quote[:240] + ("…" if len(st.quote) > 240 else "")) if st is not None else ""
        cls = "ev inferred" if st is not None and st.inferred else "ev"
        label = say("summary", "evidence_of", lang, id=ident)
        out.append(f'<a class="{cls}" href="{prefix}#{target}" title="{e(quote)}" aria-label="{e(label)}">{e(ident)}</a>')
    return f'<span class="evidence">{" ".join(out)}</span>' if out else ""


def _term(label: str, curie: str, compact: bool = False) -> str:
    """A term's label with its CURIE (compact: the CURIE as the label's title only)."""
    if compact:
        return f'<span class="term" title="{e(curie)}">{e(label)}</span>' if curie else f'<span class="term">{e(label)}</span>'
    return f'<span class="term">{e(label)}</span>' + (f' <code class="curie">{e(curie)}</code>' if curie else "")


# --- summary --------------------------------------------------------------------------------------------

def summary_page(view: PolicyView, vocabulary, lang: str, counts: dict[str, int], snapshot_note: str) -> str:
    label = Labeller(view, vocabulary, lang)
    rows = summary(view, vocabulary, label)
    parts = [_heading(view, lang, "summary")]
    parts.append('<section class="label" aria-labelledby="label-h">\n'
                 f'<h2 id="label-h">{e(say("summary", "label", lang))}</h2>\n<dl class="rows">\n')
    for row in ROWS:
        items = rows[row]
        if row == "not-done" and not items:
            continue
        parts.append(f'<div class="row row-{row}"><dt>{e(say("rows", row, lang))}</dt><dd>')
        if not items:
            parts.append(f'<span class="absent">{e(say("summary", "not_stated", lang))}</span>')
        else:
            def lis(chosen):
                return "".join(f"<li>{_term(item.label, item.term, compact=True)}"
                               + (f' <span class="detail">{e(item.detail)}</span>' if item.detail else "")
                               + f" {evidence_links(view, item.evidence, lang)}</li>" for item in chosen)
            shown = items if len(items) <= ROW_MAX else items[:ROW_MAX - 2]
            parts.append(f'<ul class="items">{lis(shown)}</ul>')
            if len(shown) < len(items):   # one screen: a long row shows its first items, the rest one click away
                rest = items[len(shown):]
                parts.append(f'<details class="more"><summary>{e(say("summary", "more", lang, n=len(rest)))}</summary>'
                             f'<ul class="items">{lis(rest)}</ul></details>')
        parts.append("</dd></div>\n")
    parts.append("</dl>\n</section>\n")
    total = sum(counts.values())
    parts.append(f'<section class="glance" aria-labelledby="glance-h"><h2 id="glance-h">{e(say("summary", "glance", lang))}</h2>'
                 '<ul class="counts">'
                 f'<li><a href="text.html">{e(count("count", "statements", len(view.statements), lang))}</a></li>'
                 f'<li>{e(count("count", "processes", len(view.processes), lang))}</li>'
                 f'<li><a href="findings.html">{e(count("count", "findings", total, lang))}</a>: '
                 + ", ".join(f'<span class="sev {s}">{e(count("severity_n", s, counts.get(s, 0), lang))}</span>'
                             for s in SEVERITIES) + "</li></ul>"
                 + (f'<p class="notice" role="note">{e(snapshot_note)}</p>' if snapshot_note else "")
                 + "</section>\n")
    parts.append(_processes_section(view, vocabulary, label, lang))
    return page(lang=lang, title=f"{view.title or view.key} — {say('nav', 'summary', lang)}", root=ROOT,
                nav=policy_nav(view, lang, "index", counts), body="".join(parts), body_class="summary")


def _picture(view: PolicyView, vocabulary, label: Labeller) -> dict:
    """The picture of the view's graph in the label's language, laid out, computed once per view."""
    key = ("picture", label.lang)
    if key not in view.cache:
        pic = picture(view, vocabulary, label)
        layout(pic)
        view.cache[key] = pic
    return view.cache[key]


def _processes_section(view: PolicyView, vocabulary, label: Labeller, lang: str) -> str:
    """The second layer: each process with what it links to (the picture's edges, as lists)."""
    pic = _picture(view, vocabulary, label)
    by_id = {n["id"]: n for n in pic["nodes"]}
    out = [f'<section class="processes" aria-labelledby="proc-h"><h2 id="proc-h">{e(say("summary", "processes", lang))}</h2>']
    for n in pic["nodes"]:
        if n["kind"] != "process":
            continue
        linked = [(by_id[x["target"]], x["evidence"]) for x in pic["edges"] if x["source"] == n["id"]]
        out.append(f'<details><summary>{e(n["label"])} <span class="n">({len(linked)})</span></summary><dl>')
        for kind in KINDS:
            here = [(m, ev) for m, ev in linked if m["kind"] == kind]
            if here:
                out.append(f'<dt>{e(say("kinds", kind, lang))}</dt><dd><ul class="items">'
                           + "".join(f"<li>{_term(m['label'], m['curie'])} {evidence_links(view, ev, lang)}</li>" for m, ev in here)
                           + "</ul></dd>")
        out.append("</dl></details>")
    out.append("</section>\n")
    return "\n".join(out)


# --- text -----------------------------------------------------------------------------------------------

def fact_html(fact: tuple, label: Labeller, lang: str) -> str:
    s, p, o = fact
    prop = say("facts", "is_a", lang) if p == RDF.type else (label(p) if label.vocabulary is not None else ns.shorten(str(p)))
    obj = f'<q class="o literal">{e(label(o))}</q>' if is_literal(o) else f'<span class="o">{_term(label(o), label.curie(o))}</span>'
    return f'<li><span class="s">{e(label(s))}</span> <span class="p" title="{e(ns.shorten(str(p)))}">{e(prop)}</span> {obj}</li>'


def _segments(text: str, statements) -> list[tuple[int, int, list]]:
    """The text cut at every start and end of a located quote: (start, end, statements covering it)."""
    located = [st for st in statements if st.located]
    cuts = sorted({0, len(text), *(st.start for st in located), *(st.end for st in located)})
    out = []
    for a, b in zip(cuts, cuts[1:]):
        out.append((a, b, [st for st in located if st.start <= a and st.end >= b]))
    return out


def text_page(view: PolicyView, vocabulary, lang: str, counts: dict[str, int], snapshot_note: str) -> str:
    label = Labeller(view, vocabulary, lang)
    parts = [_heading(view, lang, "text")]
    if snapshot_note:
        parts.append(f'<p class="notice" role="note">{e(snapshot_note)}</p>\n')
    else:
        parts.append(f'<p class="hint">{e(say("text", "hint", lang, file=view.snapshot.name))}</p>\n')
    parts.append('<div class="reader">\n')
    parts.append(f'<section class="policy" aria-labelledby="text-h"><h2 id="text-h">{e(say("text", "policy_text", lang))}</h2>\n')
    text = view.snapshot.text
    if text is None:
        parts.append(f'<p class="absent">{e(say("text", "no_text", lang))}</p>')
    else:
        lang_attr = f' lang="{e(view.language)}"' if view.language else ""
        parts.append(f'<div class="policy-text"{lang_attr}>')
        anchored: set[str] = set()
        for a, b, covering in _segments(text, view.statements):
            chunk = e(text[a:b])
            if not covering:
                parts.append(chunk)
                continue
            starting = [st for st in covering if st.start == a and st.id not in anchored]
            extra = "".join(f'<span class="qa" id="{frag("q-", st.id)}"></span>' for st in starting[1:])
            anchored.update(st.id for st in starting)
            own_id = f' id="{frag("q-", starting[0].id)}"' if starting else ""
            ids = " ".join(frag("s-", st.id) for st in covering)
            cls = "q inferred" if all(st.inferred for st in covering) else "q"
            parts.append(f'{extra}<a class="{cls}"{own_id} href="#{frag("s-", covering[0].id)}" data-st="{ids}">{chunk}</a>')
        parts.append("</div>")
    parts.append("</section>\n")
    parts.append(f'<section class="statements" aria-labelledby="st-h"><h2 id="st-h">'
                 f'{e(count("count", "statements", len(view.statements), lang))}</h2>\n<ol class="statements">\n')
    for st in view.statements:
        cls = "statement" + (" inferred" if st.inferred else "") + (" review" if st.review else "")
        badges = (f' <span class="badge inferred">{e(say("text", "inferred", lang))}</span>' if st.inferred else "") + \
                 (f' <span class="badge review">{e(say("text", "review", lang))}</span>' if st.review else "")
        if st.located:
            head = (f'<a class="to-passage" href="#{frag("q-", st.id)}" '
                    f'aria-label="{e(say("text", "show_passage", lang, id=st.id))}">{e(st.id)}</a>')
        else:
            head = f'<span class="sid">{e(st.id)}</span> <span class="absent">{e(say("text", "not_located", lang))}</span>'
        facts = "".join(fact_html(f, label, lang) for f in st.facts)
        note = f'<details class="note"><summary>{e(say("text", "note", lang))}</summary><p>{e(st.note)}</p></details>' if st.note else ""
        qlang = f' lang="{e(view.language)}"' if view.language else ""
        parts.append(f'<li id="{frag("s-", st.id)}" class="{cls}" tabindex="-1"><p class="st-head">{head}{badges}</p>'
                     f'<ul class="facts">{facts}</ul><blockquote class="quote"{qlang}>{e(st.quote)}</blockquote>{note}</li>\n')
    parts.append("</ol>\n</section>\n</div>\n")
    parts.append(f'<aside id="passage-panel" class="panel" aria-labelledby="panel-h" hidden>'
                 f'<h2 id="panel-h" tabindex="-1">{e(say("text", "panel", lang))}</h2><div class="panel-body"></div>'
                 f'<button type="button" class="close">{e(say("text", "close", lang))}</button></aside>\n')
    return page(lang=lang, title=f"{view.title or view.key} — {say('nav', 'text', lang)}", root=ROOT,
                nav=policy_nav(view, lang, "text", counts), body="".join(parts), body_class="text")


# --- findings -------------------------------------------------------------------------------------------

def findings_page(view: PolicyView, report, lang: str, counts: dict[str, int]) -> str:
    parts = [_heading(view, lang, "findings")]
    parts.append(f'<section class="profiles" aria-labelledby="prof-h"><h2 id="prof-h">{e(say("findings", "profiles", lang))}</h2><ul>')
    for pid, why in report.profiles:
        parts.append(f"<li><strong>{e(pid)}</strong>{e(colon(lang))} {e(why.get(lang) or why.get('en', ''))}</li>")
    parts.append("</ul>")
    parts.append('<p class="counts">' + ", ".join(
        f'<a class="sev {s}" href="#sev-{s}">{e(count("severity_n", s, counts.get(s, 0), lang))}</a>' for s in SEVERITIES)
        + f' — {e(say("findings", "engine", lang, engine=report.engine))}</p></section>\n')
    located = {st.id for st in view.statements if st.located}
    known = {st.id for st in view.statements}
    n = 0
    for sev in SEVERITIES:
        found = [f for f in report.findings if f.severity == sev]
        parts.append(f'<section class="severity {sev}" aria-labelledby="sev-{sev}"><h2 id="sev-{sev}">'
                     f'{e(count("severity_n", sev, len(found), lang))}</h2>\n')
        if not found:
            parts.append(f'<p class="absent">{e(say("findings", "none", lang))}</p></section>\n')
            continue
        parts.append('<ol class="findings">\n')
        for f in found:
            n += 1
            focus = f.focus_label.get(lang) or f.focus_label.get("en", "")
            value = f.value or ""
            if value.startswith(ns.POLICY_BASE):
                value = "#" + value.rsplit("#", 1)[-1]
            rows = [("message", e(f.text("message", lang)))]
            if f.fix:
                rows.append(("fix", e(f.text("fix", lang))))
            if f.card_hint:
                rows.append(("card_hint", e(f.text("card_hint", lang))))
            article = f.text("article", lang)
            if article:
                rows.append(("article", e(article)))
            where = " ".join(x for x in (f.path or "", value if value and value != f.path else "") if x)
            if where:
                rows.append(("where", f"<code>{e(where)}</code>"))
            if f.quote:
                link = ""
                if f.statement and f.statement in known:
                    target = frag("q-", f.statement) if f.statement in located else frag("s-", f.statement)
                    link = f' <a class="ev" href="text.html#{target}">{e(f.statement)}</a>'
                rows.append(("quote", f'<blockquote class="quote">{e(f.quote)}</blockquote>{link}'))
            else:
                rows.append(("quote", f'<span class="absent">{e(say("findings", "absent", lang))}</span>'))
            if f.where is not None:
                rows.append(("card", f"<code>{e(str(f.where))}</code>"))
            body = "".join(f"<dt>{e(say('findings', k, lang))}</dt><dd>{v}</dd>" for k, v in rows)
            parts.append(f'<li class="finding {sev}" id="f-{n}"><h3><span class="sev {sev}">{e(say("severity", sev, lang))}</span> '
                         f'<code>{e(f.shape)}</code> <span class="focus">{e(focus)}</span></h3><dl>{body}</dl></li>\n')
        parts.append("</ol></section>\n")
    return page(lang=lang, title=f"{view.title or view.key} — {say('nav', 'findings', lang)}", root=ROOT,
                nav=policy_nav(view, lang, "findings", counts), body="".join(parts), body_class="findings")


# --- graph ----------------------------------------------------------------------------------------------

def graph_page(view: PolicyView, vocabulary, lang: str, counts: dict[str, int]) -> str:
    label = Labeller(view, vocabulary, lang)
    pic = _picture(view, vocabulary, label)
    by_id = {n["id"]: n for n in pic["nodes"]}
    processes = [n for n in pic["nodes"] if n["kind"] == "process"]
    parts = [_heading(view, lang, "graph")]
    parts.append(f'<section class="picture" aria-labelledby="pic-h"><h2 id="pic-h">{e(say("graph", "picture", lang))}</h2>\n')
    parts.append('<ul class="legend">' + "".join(f'<li class="kind-{k}">{e(say("kinds", k, lang))}</li>' for k in KINDS) + "</ul>\n")
    desc = say("graph", "described", lang, processes=len(processes), links=len(pic["edges"]))
    parts.append(f'<div id="graph" class="graph" role="img" aria-label="{e(desc)}"></div>\n'
                 f'<p class="hint">{e(say("graph", "hint", lang))}</p>\n'
                 f'<div id="graph-info" class="graph-info" aria-live="polite"></div>\n')
    evidence_href = {st.id: ("text.html#" + (frag("q-", st.id) if st.located else frag("s-", st.id))) for st in view.statements}
    data = {"nodes": pic["nodes"], "edges": pic["edges"], "href": evidence_href,
            "kinds": {k: say("kinds", k, lang) for k in KINDS}, "words": {k: say("graph", k, lang) for k in ("evidence", "zoom_in", "zoom_out", "fit")}}
    parts.append(json_data("graph-data", data) + "\n</section>\n")
    parts.append(f'<section class="links" aria-labelledby="links-h"><h2 id="links-h">{e(say("graph", "table", lang))}</h2>\n'
                 f'<div class="scroll"><table><caption>{e(desc)}</caption><thead><tr><th scope="col">{e(say("kinds", "process", lang))}</th>'
                 + "".join(f'<th scope="col">{e(say("kinds", k, lang))}</th>' for k in KINDS if k != "process")
                 + "</tr></thead><tbody>\n")
    for n in processes:
        linked = [(by_id[x["target"]], x["evidence"]) for x in pic["edges"] if x["source"] == n["id"]]
        cells = []
        for kind in KINDS:
            if kind == "process":
                continue
            here = [(m, ev) for m, ev in linked if m["kind"] == kind]
            cells.append("<td>" + "<br>".join(f"{e(m['label'])} {evidence_links(view, ev, lang)}" for m, ev in here) + "</td>")
        parts.append(f'<tr><th scope="row">{e(n["label"])}</th>{"".join(cells)}</tr>\n')
    parts.append("</tbody></table></div></section>\n")
    return page(lang=lang, title=f"{view.title or view.key} — {say('nav', 'graph', lang)}", root=ROOT,
                nav=policy_nav(view, lang, "graph", counts), body="".join(parts), scripts=("cytoscape.min.js",),
                body_class="graph-page")


def snapshot_note(view: PolicyView, lang: str) -> str:
    """What the page says when the snapshot cannot be shown ("" when it is there)."""
    snap = view.snapshot
    if snap.text is not None:
        return ""
    return say("snapshot", snap.problem or "missing", lang, file=snap.name or "?")
