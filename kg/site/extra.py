"""The pages about several policies: the index of every policy version in the store, the side-by-side
comparison (kg.compare) and the changes between two versions of one policy (kg.diff)."""
from __future__ import annotations

from rdflib import Literal

from .. import namespaces as ns
from .html import e, nav_links, page, safe_name
from .words import colon, count, say

SEVERITIES = ("violation", "warning", "info")


def site_nav(root: str, lang: str, current: str, compare: bool) -> str:
    links = [(f"{root}index.html", say("nav", "index", lang), current == "index")]
    if compare:
        links.append((f"{root}compare.html", say("nav", "compare", lang), current == "compare"))
    return nav_links(links, say("nav", "site", lang))


def policy_href(slug: str, version: str, page_name: str = "index.html", root: str = "") -> str:
    return f"{root}policies/{safe_name(slug)}/{safe_name(version)}/{page_name}"


def index_page(infos, latest: set[str], reported: dict, lang: str, compare_href: str | None, diffs: list,
               compare_max: int) -> str:
    """Every policy version of the store (`infos`: kg.inventory.PolicyInfo), linking the reported ones
    (`reported`: key -> kg.site.build.PolicyPages)."""
    rows = []
    for info in sorted(infos, key=lambda i: (i.slug, i.version)):
        done = reported.get(info.key)
        mark = f' <span class="badge">{e(say("index", "latest", lang))}</span>' if info.key in latest else ""
        if done is not None:
            name = f'<a href="{e(policy_href(info.slug, info.version))}">{e(info.slug)}</a>'
            findings = (f'<a href="{e(policy_href(info.slug, info.version, "findings.html"))}">'
                        + ", ".join(f'<span class="sev {s}">{e(count("severity_n", s, done.counts.get(s, 0), lang))}</span>'
                                    for s in SEVERITIES) + "</a>")
        else:
            name = e(info.slug)
            findings = f'<span class="absent">{e(say("index", "not_reported", lang))}</span>'
        rows.append(f"<tr><th scope=\"row\">{name}</th><td><time>{e(info.version)}</time>{mark}</td>"
                    f"<td>{e(info.title)}</td><td class=\"num\">{e(info.statements)}</td><td>{findings}</td></tr>")
    head = "".join(f'<th scope="col">{e(say("index", k, lang))}</th>'
                   for k in ("policy", "version", "title_col", "statements", "findings"))
    more = []
    if compare_href:
        more.append(f'<li><a href="{e(compare_href)}">{e(say("compare", "title", lang))}</a></li>')
    for href, a, b in diffs:
        more.append(f'<li><a href="{e(href)}">{e(say("diff", "title", lang, a=a, b=b))}</a></li>')
    if not compare_href:
        more.append(f'<li class="absent">{e(say("index", "compare_none", lang, max=compare_max))}</li>')
    body = (f'<h1>{e(say("index", "title", lang))}</h1>\n<p>{e(say("index", "intro", lang))}</p>\n'
            f'<p class="meta">{e(count("count", "policies", len(infos), lang))}</p>\n'
            f'<section aria-labelledby="idx-h"><h2 id="idx-h" class="visually-hidden">{e(say("index", "policy", lang))}</h2>'
            f'<div class="scroll"><table class="index"><thead><tr>{head}</tr></thead><tbody>\n'
            + "\n".join(rows) + "\n</tbody></table></div></section>\n"
            f'<section aria-labelledby="more-h"><h2 id="more-h">{e(say("index", "more", lang))}</h2><ul>{"".join(more)}</ul></section>\n')
    return page(lang=lang, title=say("index", "title", lang), root="", body=body,
                nav=site_nav("", lang, "index", bool(compare_href)), body_class="index")


def compare_page(comparison, vocabulary, lang: str, hrefs: dict[str, str]) -> str:
    """kg.compare's Comparison as a table: one row per aspect, one column per policy."""
    from ..compare import ASPECTS, _aspect_name, _label
    policies = comparison.policies
    head = f'<th scope="col">{e(say("compare", "aspect", lang))}</th>' + "".join(
        f'<th scope="col"><a href="{e(hrefs[p])}">{e(p)}</a></th>' if p in hrefs else f'<th scope="col">{e(p)}</th>'
        for p in policies)
    rows = []
    for aspect in ASPECTS:
        cells = []
        for policy in policies:
            only = set(comparison.only(aspect, policy))
            items = []
            for item in comparison.stated(aspect, policy):
                label = _label(item, comparison, vocabulary, lang)
                mark = (f' <span class="only" title="{e(say("compare", "only", lang))}">★<span class="visually-hidden">'
                        f'{e(say("compare", "only", lang))}</span></span>') if item in only else ""
                items.append(f'<li class="{"only-item" if item in only else ""}">'
                             + (f'<span class="term">{e(label)}</span> ' if label else "")
                             + f'<code class="curie">{e(item)}</code>{mark}</li>')
            cells.append("<td>" + (f'<ul class="items">{"".join(items)}</ul>' if items else
                                   f'<span class="absent">{e(say("compare", "nothing", lang))}</span>') + "</td>")
        rows.append(f'<tr><th scope="row">{e(_aspect_name(aspect, lang))}</th>{"".join(cells)}</tr>')
    if comparison.findings:
        cells = "".join("<td>" + ", ".join(f'<span class="sev {s}">{e(count("severity_n", s, comparison.findings[p].get(s, 0), lang))}</span>'
                                           for s in SEVERITIES) + "</td>" for p in policies)
        rows.append(f'<tr><th scope="row">{e(say("nav", "findings", lang))}</th>{cells}</tr>')
    body = (f'<h1>{e(say("compare", "title", lang))}</h1>\n<p>{e(say("compare", "intro", lang))} ★</p>\n'
            f'<div class="scroll"><table class="compare"><thead><tr>{head}</tr></thead><tbody>\n'
            + "\n".join(rows) + "\n</tbody></table></div>\n")
    return page(lang=lang, title=say("compare", "title", lang), root="", body=body,
                nav=site_nav("", lang, "compare", True), body_class="compare")


def _term_html(term, normal, vocabulary, lang: str) -> str:
    from ..diff import term_text
    if term is None:
        return ""
    if isinstance(term, Literal):
        return f'<q class="literal">{e(str(term))}</q>' + (f' <code>@{e(term.language)}</code>' if term.language else "")
    return f'<code>{e(term_text(term, normal, vocabulary, lang))}</code>'


def diff_page(d, vocabulary, lang: str, root: str, hrefs: dict[str, str], compare: bool) -> str:
    """kg.diff's Diff: the changes by category (added, removed, changed, with the quotes of both sides) and
    the findings that appeared or disappeared."""
    from ..diff import CATEGORIES
    a, b = d.a.key, d.b.key

    def link(key: str) -> str:
        return f'<a href="{e(root + hrefs[key])}">{e(key)}</a>' if key in hrefs else e(key)
    parts = [f'<h1>{e(say("diff", "title", lang, a=a, b=b))}</h1>\n<p>{e(say("diff", "intro", lang))}</p>\n'
             f'<p class="meta">A {link(a)} → B {link(b)} · {e(count("count", "changes", len(d.changes), lang))}</p>\n']
    if not d.changes:
        parts.append(f'<p class="absent">{e(say("diff", "none", lang))}</p>')
    for cat, names in CATEGORIES.items():
        found = [c for c in d.changes if c.category == cat]
        if not found:
            continue
        parts.append(f'<section aria-labelledby="cat-{e(cat)}"><h2 id="cat-{e(cat)}">{e(names[1] if lang == "fr" else names[0])} '
                     f'({len(found)})</h2><div class="scroll"><table class="diff"><thead><tr>'
                     + "".join(f'<th scope="col">{e(say("diff", k, lang))}</th>' for k in ("subject", "property", "before", "after", "quotes"))
                     + "</tr></thead><tbody>")
        for c in found:
            normal = d.normal_b if c.kind == "added" else d.normal_a
            quotes = "".join(f'<p class="dq"><span class="side">{side}</span> <q>{e(q)}</q>' + (f" <code>{e(sid)}</code>" if sid else "") + "</p>"
                             for side, qs in (("A", c.quotes_a), ("B", c.quotes_b)) for sid, q in qs)
            parts.append(f'<tr class="{e(c.kind)}"><td><span class="kind {e(c.kind)}">{e(say("diff", c.kind, lang))}</span> '
                         f'{_term_html(c.subject, normal, vocabulary, lang)}</td>'
                         f'<td><code>{e(ns.shorten(str(c.predicate)))}</code></td>'
                         f'<td>{_term_html(c.a, d.normal_a, vocabulary, lang)}</td><td>{_term_html(c.b, d.normal_b, vocabulary, lang)}</td>'
                         f"<td>{quotes}</td></tr>")
        parts.append("</tbody></table></div></section>\n")
    if d.validated:
        for key, found in (("appeared", d.appeared), ("disappeared", d.disappeared)):
            parts.append(f'<section aria-labelledby="f-{key}"><h2 id="f-{key}">{e(say("diff", key, lang))} ({len(found)})</h2>')
            if not found:
                parts.append(f'<p class="absent">{e(say("findings", "none", lang))}</p>')
            else:
                parts.append('<ul class="diff-findings">')
                for f in found:
                    where = f.focus_label.get(lang) or f.focus_label.get("en", "")
                    parts.append(f'<li class="finding {e(f.severity)}"><span class="sev {e(f.severity)}">{e(say("severity", f.severity, lang))}</span> '
                                 f'<code>{e(f.shape)}</code> {e(where)}{e(colon(lang))} {e(f.text("message", lang))}</li>')
                parts.append("</ul>")
            parts.append("</section>\n")
    return page(lang=lang, title=say("diff", "title", lang, a=a, b=b), root=root, body="".join(parts),
                nav=site_nav(root, lang, "diff", compare), body_class="diff")
