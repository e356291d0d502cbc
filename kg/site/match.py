"""The report's preferences page (`policykg report --preferences FILE`): the verdicts of `policykg match` for
the report's policies, a table of every preference against every policy, then each policy's verdicts with the
statements behind them, each quote linked to its passage in the policy's text page; and the index's link to
it. The words of the page are the site-preferences section of the one catalogue, kg/messages.yaml."""
from __future__ import annotations

from pathlib import Path

from .extra import policy_href, site_nav
from .html import e, frag, page
from ..messages import catalogue
from .words import colon

PAGE = "preferences.html"
WORDS = catalogue()["site-preferences"]   # kg/messages.yaml
CLASS = {"met": "info", "not-met": "violation", "unknown": "warning"}


def say(key: str, lang: str, **values) -> str:
    text = WORDS[key].get(lang) or WORDS[key]["en"]
    return text.format(**values) if values else text


def match_page(run, lang: str) -> str:
    """The page of a kg.preferences MatchRun whose policies are the report's (policy keys slug@version)."""
    prefs = run.preferences
    title = prefs.title.get(lang) or prefs.title.get("en") or Path(prefs.path).name
    head = "".join(f'<th scope="col"><a href="#{frag("p-", p.policy)}">{e(p.policy)}</a></th>' for p in run.policies)
    rows = []
    for i, pref in enumerate(prefs.items):
        cells = "".join(f'<td>{_verdict(p.verdicts[i].verdict, lang)}</td>' for p in run.policies)
        name = run.policies[0].verdicts[i].title.get(lang) if run.policies else pref.id
        rows.append(f'<tr><th scope="row">{e(name)} <span class="meta">({e(pref.id)})</span></th>{cells}</tr>')
    parts = [f"<h1>{e(say('title', lang))}{e(colon(lang))} {e(title)}</h1>\n<p>{e(say('intro', lang, file=Path(prefs.path).name))}</p>\n",
             f'<div class="scroll"><table class="index"><thead><tr><th scope="col">{e(say("preference", lang))}</th>'
             f"{head}</tr></thead><tbody>\n" + "\n".join(rows) + "\n</tbody></table></div>\n"]
    for policy in run.policies:
        slug, version = policy.policy.split("@", 1)
        text_href = policy_href(slug, version, "text.html")
        parts.append(f'<section aria-labelledby="{frag("p-", policy.policy)}">'
                     f'<h2 id="{frag("p-", policy.policy)}"><a href="{e(policy_href(slug, version))}">{e(policy.policy)}</a></h2>\n<ul>')
        for verdict in policy.verdicts:
            items = "".join(_evidence(ev, lang, text_href) for ev in verdict.deciding())
            parts.append(f'<li class="finding {CLASS[verdict.verdict]}"><p>{_verdict(verdict.verdict, lang)} '
                         f'<strong>{e(verdict.title.get(lang) or verdict.title.get("en"))}</strong></p>'
                         f'<p>{e(verdict.reason.get(lang) or verdict.reason["en"])}</p>'
                         + (f"<ul>{items}</ul>" if items else "") + "</li>\n")
        parts.append("</ul></section>\n")
    return page(lang=lang, title=say("title", lang), root="", body="".join(parts),
                nav=site_nav("", lang, "preferences", False), body_class="index")


def _verdict(verdict: str, lang: str) -> str:
    return f'<span class="sev {CLASS[verdict]}">{e(say(verdict, lang))}</span>'


def _evidence(ev, lang: str, text_href: str) -> str:
    label = ev.focus_label.get(lang) or ev.focus_label.get("en", "")
    value = ev.value_label.get(lang) or ev.value_label.get("en") or ev.value or ""
    what = ev.detail if ev.detail and not ev.quote else value
    if ev.quote:
        link = f'<a class="ev" href="{e(text_href)}#{frag("s-", ev.statement)}">{e(ev.statement)}</a>' if ev.statement else ""
        return f"<li>{e(label)} — {e(what)}<blockquote>«{e(ev.quote)}» {link}</blockquote></li>"
    return f'<li>{e(label)} — {e(what)} <span class="absent">({e(say("not_stated", lang))})</span></li>'


def add_match_page(site: Path, preferences, items: list[tuple[str, str]], store_path: Path, lang: str) -> None:
    """Write the preferences page of the policies `items` (key, graph) into the site folder `site` and link it
    from the site's index (the index's list of other pages)."""
    from ..preferences import match_targets
    run = match_targets(preferences, [key for key, _ in items], store_path=store_path)
    (site / PAGE).write_text(match_page(run, lang), encoding="utf-8")
    title = run.preferences.title.get(lang) or run.preferences.title.get("en") or Path(run.preferences.path).name
    index = site / "index.html"
    text = index.read_text(encoding="utf-8")
    marker = '<section aria-labelledby="more-h">'
    at = text.find("<ul>", text.find(marker)) if marker in text else -1
    if at >= 0:
        link = f'<li><a href="{PAGE}">{e(say("link", lang, title=title))}</a></li>'
        index.write_text(text[:at + 4] + link + text[at + 4:], encoding="utf-8")
