"""Writing HTML safely: every text from data goes through `e()` (escaped for text and for quoted attribute
values alike), every fragment or file name made from data through `frag()` or `safe_name()`, and JSON
embedded in a page through `json_data()` (no `</script>` or `<!--` can close or open anything). Links to
the web are written only for http(s) URLs.

The page skeleton is here too: language, landmarks (header, nav, main, footer), a skip link, the site's
stylesheet and script (shipped in kg/site/static, linked relatively: the site opens from file://), and a
Content-Security-Policy that forbids every request but the site's own files.
"""
from __future__ import annotations

import json
import re
from html import escape

from .words import say

_UNSAFE = re.compile(r"[^A-Za-z0-9-]")


def e(value) -> str:
    """Text escaped for HTML content and for a double- or single-quoted attribute value."""
    return escape("" if value is None else str(value), quote=True)


def frag(prefix: str, ident: str) -> str:
    """A fragment id from data: letters, digits and '-' kept, anything else (and '_') as _hex_, so that two
    different ids never share a fragment and no id can break out of an attribute or a URL."""
    return prefix + _UNSAFE.sub(lambda m: f"_{ord(m.group()):x}_", ident)


def safe_name(text: str) -> str:
    """A file or folder name from data (a slug, a version): the same encoding as frag, never '.' or ''."""
    name = _UNSAFE.sub(lambda m: f"_{ord(m.group()):x}_", text)
    return name or "_"


def web_link(url: str, text: str | None = None) -> str:
    """A link to an http(s) URL (rel noopener noreferrer), or the URL as plain text when it is anything else."""
    shown = e(text if text is not None else url)
    if re.match(r"^https?://[^\s\"'<>]+$", url or ""):
        return f'<a href="{e(url)}" rel="noopener noreferrer nofollow" class="external">{shown}</a>'
    return shown


def json_data(element_id: str, value) -> str:
    """Data for the page's script, as a JSON script block that can hold any text safely."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return f'<script type="application/json" id="{e(element_id)}">{text}</script>'


CSP = ("default-src 'none'; script-src 'self'; style-src 'self'{styles}; img-src 'self'; font-src 'self'; "
       "connect-src 'none'; base-uri 'none'; form-action 'none'")
# The one <style> element Cytoscape.js 3.35.0 adds to a page (its container's rules), allowed by its hash.
CYTOSCAPE_STYLE = "'sha256-pgvDUBa4IjFA2yuSJ2cqcyxmNYJMborsd0ORcRv9vw8='"


def page(*, lang: str, title: str, root: str, body: str, nav: str = "", scripts: tuple[str, ...] = (),
         body_class: str = "") -> str:
    """A whole page. `root` is the relative path to the site's top folder ("" or "../../"); `body` and
    `nav` are HTML already escaped; `title` is text."""
    from ..version import __version__
    styles = " " + CYTOSCAPE_STYLE if "cytoscape.min.js" in scripts else ""
    script_tags = "".join(f'<script src="{root}static/{e(s)}"></script>' for s in (*scripts, "site.js"))
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{e(lang)}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{e(CSP.format(styles=styles))}">\n'
        f'<meta name="referrer" content="no-referrer">\n'
        f"<title>{e(title)} — policykg</title>\n"
        f'<link rel="stylesheet" href="{root}static/site.css">\n</head>\n'
        f'<body class="{e(body_class)}">\n'
        f'<a class="skip" href="#main">{e(say("nav", "skip", lang))}</a>\n'
        f'<header class="site">\n<p class="brand"><a href="{root}index.html">policykg</a></p>\n{nav}</header>\n'
        f'<main id="main" tabindex="-1">\n{body}\n</main>\n'
        f'<footer class="site"><p>{e(say("nav", "footer", lang, version=__version__))}</p></footer>\n'
        f"{script_tags}\n</body>\n</html>\n")


def nav_links(links: list[tuple[str, str, bool]], label: str) -> str:
    """A navigation landmark: (href, text, current) links."""
    items = "".join(f'<li><a href="{e(href)}"' + (' aria-current="page"' if current else "") + f">{e(text)}</a></li>"
                    for href, text, current in links)
    return f'<nav aria-label="{e(label)}"><ul>{items}</ul></nav>\n'
