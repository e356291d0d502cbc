"""kg.site, the HTML report, without a browser: the pages' structure (landmarks, one h1, balanced tags), every
relative link and fragment resolving inside the site, no resource from outside it, the counts of statements
and findings the library gives, every located quote highlighted in the text, hostile cards escaped, a missing
snapshot said, the output folder protected, the catalogue complete. The browser tests: test_site_browser.py."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from .conftest import DATA, FIXTURES

SITE_FIXTURES = FIXTURES / "site"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Page(HTMLParser):
    """A page read back: its elements (tag, attributes, text inside), ids, links and tag balance."""

    def __init__(self, path: Path):
        super().__init__(convert_charrefs=True)
        self.path = path
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.elements: list[tuple[str, dict]] = []
        self.ids: set[str] = set()
        self.texts: dict[int, list[str]] = {}   # index of an element -> text directly or deeply inside
        self._open: list[int] = []
        self.doctype = ""
        self.feed(path.read_text(encoding="utf-8"))
        self.close()
        if self.stack:
            self.errors.append(f"unclosed: {self.stack}")

    def handle_decl(self, decl):
        self.doctype = decl

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs))
        if "id" in attrs:
            if attrs["id"] in self.ids:
                self.errors.append(f"duplicate id {attrs['id']}")
            self.ids.add(attrs["id"])
        if tag not in VOID:
            self.stack.append(tag)
            self._open.append(len(self.elements) - 1)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()
        self._open.pop()

    def handle_data(self, data):
        for index in self._open:
            self.texts.setdefault(index, []).append(data)

    def text_of(self, index: int) -> str:
        return "".join(self.texts.get(index, []))

    def find(self, tag: str, **attrs) -> list[int]:
        """Indexes of the elements with that tag whose attributes contain the given values (class: one of)."""
        out = []
        for i, (t, a) in enumerate(self.elements):
            if t != tag:
                continue
            ok = True
            for k, v in attrs.items():
                k = k.rstrip("_")
                if k == "class":
                    ok = ok and v in (a.get("class") or "").split()
                else:
                    ok = ok and a.get(k) == v
            if ok:
                out.append(i)
        return out


def all_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


@pytest.fixture(scope="session")
def seed_sites(built_store, tmp_path_factory):
    """The seeds' report in English and in French: {lang: (site folder, SiteResult)}."""
    from kg.site import write_report
    store, _ = built_store
    out = {}
    for lang in ("en", "fr"):
        site = tmp_path_factory.mktemp(f"site-{lang}") / "report"
        out[lang] = (site, write_report(site, store=store, lang=lang, sources_dir=DATA / "sources", workers=1))
    return out


@pytest.fixture(scope="session")
def seed_reports(built_store):
    from kg.validate import validate_store
    store, _ = built_store
    return {r.policy: r for r in validate_store(store, None, workers=1).reports}


def test_the_site_has_every_page(seed_sites):
    site, result = seed_sites["en"]
    keys = sorted(p.key for p in result.policies)
    assert keys == ["planethoster@2015-09-01", "whiteprovider@2024-05-19"]
    for key in keys:
        slug, version = key.split("@")
        for name in ("index", "text", "findings", "graph"):
            assert (site / "policies" / slug / version / f"{name}.html").is_file()
    assert (site / "index.html").is_file() and (site / "compare.html").is_file()
    assert {p.name for p in (site / "static").iterdir()} >= {"site.css", "site.js", "cytoscape.min.js",
                                                              "LICENSE-cytoscape.txt"}
    assert result.pages == len(all_pages(site))


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_pages_are_well_formed_and_accessible(seed_sites, lang):
    site, _ = seed_sites[lang]
    for path in all_pages(site):
        page = Page(path)
        assert not page.errors, (path, page.errors[:5])
        assert page.doctype.lower() == "doctype html"
        html = page.find("html")
        assert page.elements[html[0]][1].get("lang") == lang, path
        for landmark in ("header", "nav", "main", "footer"):
            assert page.find(landmark), (path, landmark)
        assert len(page.find("h1")) == 1, path
        assert page.find("main", id="main") and page.find("a", class_="skip", href="#main")
        # headings do not skip a level
        levels = [int(t[1]) for t, _ in page.elements if re.fullmatch(r"h[1-6]", t)]
        assert all(b - a <= 1 for a, b in zip(levels, levels[1:])), (path, levels)
        for i in page.find("img"):
            assert "alt" in page.elements[i][1], path
        for i in page.find("table"):
            pass
        assert page.find("meta", **{"http-equiv": "Content-Security-Policy"}), path


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_link_resolves_inside_the_site(seed_sites, lang):
    site, _ = seed_sites[lang]
    pages = {p.resolve(): Page(p) for p in all_pages(site)}
    for path, page in pages.items():
        for tag, attrs in page.elements:
            for attr in ("href", "src"):
                url = attrs.get(attr)
                if url is None:
                    continue
                parts = urlsplit(url)
                if parts.scheme in ("http", "https") and tag == "a":
                    assert "external" in (attrs.get("class") or ""), (path, url)   # a link out, never a resource
                    continue
                assert not parts.scheme and not parts.netloc, (path, tag, url)
                target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
                assert target.is_relative_to(site.resolve()), (path, url)
                assert target.exists(), (path, url)
                if parts.fragment and target.suffix == ".html":
                    assert unquote(parts.fragment) in pages[target].ids, (path, url)


def test_counts_match_the_library(seed_sites, seed_reports, built_store):
    from kg.inventory import list_policies
    from kg.stores import EmbeddedStore
    store, _ = built_store
    infos = {i.key: i for i in list_policies(EmbeddedStore(store))}
    site, result = seed_sites["en"]
    for done in result.policies:
        folder = site / done.folder
        text = Page(folder / "text.html")
        statements = text.find("li", class_="statement")
        assert len(statements) == infos[done.key].statements == done.statements
        report = seed_reports[done.key]
        assert done.counts == report.counts()
        findings = Page(folder / "findings.html")
        assert len(findings.find("li", class_="finding")) == len(report.findings)
        for severity, n in report.counts().items():
            assert len(findings.find("li", class_=severity)) == n


def test_every_located_quote_is_highlighted_in_the_text(seed_sites, built_store):
    import pyoxigraph as ox

    from kg.site.model import read_policy, read_snapshot
    from kg.stores import EmbeddedStore
    from kg.terms import rdflib_graph
    store = EmbeddedStore(built_store[0])
    site, result = seed_sites["en"]
    for done in result.policies:
        page = Page(site / done.folder / "text.html")
        graph_iri = f"https://w3id.org/policykg/policy/{done.slug}/{done.version}"
        view = read_policy(rdflib_graph(store.quads_for_pattern(None, None, None, ox.NamedNode(graph_iri))),
                           graph_iri, done.key)
        read_snapshot(view, DATA / "sources")
        assert view.snapshot.text is not None and all(st.located for st in view.statements if st.quote)
        from kg.site.html import frag
        for st in view.statements:
            token = frag("s-", st.id)
            passage = "".join(page.text_of(i) for i in page.find("a", class_="q")
                              if token in page.elements[i][1].get("data-st", "").split())
            assert passage == st.quote, st.id
            assert token in page.ids and (frag("q-", st.id) in page.ids) == bool(st.quote)


def test_summary_items_link_to_their_evidence(seed_sites):
    site, result = seed_sites["en"]
    wp = next(p for p in result.policies if p.slug == "whiteprovider")
    page = Page(site / wp.folder / "index.html")
    rows = [page.elements[i][1]["class"] for i in page.find("div", class_="row")]
    assert [r.split()[1] for r in rows[:8]] == ["row-data", "row-purposes", "row-bases", "row-recipients",
                                               "row-retention", "row-locations", "row-rights", "row-exercise"]
    raw = (site / wp.folder / "index.html").read_text(encoding="utf-8")
    assert "2 years (a minimum)" in raw and "Direct Marketing" in raw
    evidence = [page.elements[i][1]["href"] for i in page.find("a", class_="ev")]
    assert "text.html#q-W37" in evidence and "text.html#q-W21" in evidence


def test_french_labels_and_words(seed_sites):
    site, result = seed_sites["fr"]
    wp = next(p for p in result.policies if p.slug == "whiteprovider")
    raw = (site / wp.folder / "index.html").read_text(encoding="utf-8")
    assert "Prospection commerciale" in raw and "Étiquette de confidentialité" in raw and "2 ans (un minimum)" in raw
    assert "Droit d&#x27;accès (art. 15 RGPD)" in raw


def test_diff_pages_between_versions(versions_store, tmp_path):
    from kg.site import write_report
    result = write_report(tmp_path / "r", ["whiteprovider@*"], store=versions_store, sources_dir=DATA / "sources",
                          workers=1)
    assert result.diffs == ["diff/whiteprovider/2024-05-19--2025-03-01.html"]
    page = (tmp_path / "r" / result.diffs[0]).read_text(encoding="utf-8")
    assert "P2Y" in page and "P1Y" in page and "Findings that disappeared" in page
    assert result.compare is None
    index = (tmp_path / "r" / "index.html").read_text(encoding="utf-8")
    assert result.diffs[0] in index and "planethoster" in index and "not in this report" in index


# --- hostile input, missing snapshot, output folder ----------------------------------------------------------

@pytest.fixture(scope="session")
def hostile_site(tmp_path_factory):
    from kg.build import build
    from kg.site import write_report
    root = tmp_path_factory.mktemp("hostile")
    build([SITE_FIXTURES / "policies"], store=root / "store")
    sites = {}
    for lang in ("en", "fr"):
        write_report(root / lang, store=root / "store", lang=lang, sources_dir=SITE_FIXTURES / "sources", workers=1)
        sites[lang] = root / lang
    return sites


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_hostile_card_cannot_inject_html(hostile_site, lang):
    site = hostile_site[lang]
    for path in all_pages(site):
        page = Page(path)
        assert not page.errors, (path, page.errors[:3])
        for tag, attrs in page.elements:
            assert tag not in ("img", "svg", "iframe", "b", "object", "embed"), (path, tag)
            assert not [a for a in attrs if a.startswith("on")], (path, tag, attrs)
            if tag == "script":
                assert set(attrs) <= {"src", "type", "id"}, attrs
                assert attrs.get("src", "").endswith(("site.js", "cytoscape.min.js")) or \
                    attrs.get("type") == "application/json", attrs
        raw = path.read_text(encoding="utf-8")
        assert "<script>alert" not in raw and "</script><script>" not in raw.replace(
            '</script>\n<script src', "")
    summary = (site / "policies" / "hostile" / "2024-02-01" / "index.html").read_text(encoding="utf-8")
    assert "Evil &lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;" in summary
    assert "&lt;b onmouseover=alert(4)&gt;trois ans&lt;/b&gt;" in summary
    assert 'href="https://evil.example' not in summary    # a URL with a quote in it is shown, not linked
    text = (site / "policies" / "hostile" / "2024-02-01" / "text.html").read_text(encoding="utf-8")
    assert "&lt;!-- pendant --&gt; trois ans &amp; plus." in text
    graph = (site / "policies" / "hostile" / "2024-02-01" / "graph.html").read_text(encoding="utf-8")
    data = graph.split('id="graph-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in data and ">" not in data and "\\u003c" in data


def test_a_missing_snapshot_is_said(built_store, tmp_path):
    from kg.site import write_report
    result = write_report(tmp_path / "r", ["whiteprovider"], store=built_store[0], sources_dir=tmp_path / "none",
                          workers=1)
    assert [p.snapshot_problem for p in result.policies] == ["missing"]
    folder = tmp_path / "r" / result.policies[0].folder
    for name in ("index.html", "text.html"):
        raw = (folder / name).read_text(encoding="utf-8")
        assert "The snapshot of this policy (whiteprovider/2024-05-19.fr.txt) is missing" in raw
    page = Page(folder / "text.html")
    assert not page.find("a", class_="q") and len(page.find("li", class_="statement")) == result.policies[0].statements


def test_the_output_folder_is_protected(built_store, tmp_path):
    from kg.errors import UsageError
    from kg.site import write_report
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    with pytest.raises(UsageError, match="does not hold a policykg report"):
        write_report(other, ["whiteprovider"], store=built_store[0], sources_dir=DATA / "sources", workers=1)
    assert (other / "notes.txt").read_text() == "keep me" and len(list(other.iterdir())) == 1
    site = tmp_path / "site"
    write_report(site, ["whiteprovider"], store=built_store[0], sources_dir=DATA / "sources", workers=1)
    write_report(site, ["planethoster"], store=built_store[0], sources_dir=DATA / "sources", workers=1)
    assert sorted(p.name for p in (site / "policies").iterdir()) == ["planethoster"]   # replaced whole
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]               # nothing left behind


def test_the_command(built_store, tmp_path):
    from typer.testing import CliRunner

    from kg.cli.main import app
    result = CliRunner().invoke(app, ["report", "whiteprovider", "planethoster", "-o", str(tmp_path / "r"),
                                      "--store", str(built_store[0]), "--sources", str(DATA / "sources"),
                                      "--lang", "fr", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "wrote 10 page(s) for 2 policy version(s)" in result.output
    assert (tmp_path / "r" / "compare.html").is_file()
    bad = CliRunner().invoke(app, ["report", "-o", str(tmp_path / "x"), "--store", str(built_store[0]), "--lang", "de"])
    assert bad.exit_code == 2


def test_the_catalogue_has_both_languages():
    from kg.site.words import LANGS, catalogue, count, say
    missing = [(s, k, lang) for s, entries in catalogue().items() for k, pair in entries.items() for lang in LANGS
               if not isinstance(pair.get(lang), str) or not pair[lang].strip()]
    assert not missing, missing
    assert count("count", "statements", 1, "en") == "1 statement" and count("count", "statements", 0, "fr") == "0 énoncé"
    assert say("nav", "summary", "de") == "Summary"


def test_escaping_helpers():
    from kg.site.html import e, frag, json_data, safe_name, web_link
    assert e('<a href="x">\'&') == "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;"
    assert frag("s-", 'W1" onclick=x') == "s-W1_22__20_onclick_3d_x" and frag("s-", "a_b") != frag("s-", "a-b")
    assert safe_name("..") == "_2e__2e_" and safe_name("") == "_" and "/" not in safe_name("a/b")
    assert web_link("javascript:alert(1)") == "javascript:alert(1)"
    assert web_link("https://example.org/a").startswith('<a href="https://example.org/a"')
    assert json_data("x", {"a": "</script><!--"}).count("<") == 2    # its own tags only


def _luminance(hex_colour: str) -> float:
    rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def test_the_colours_have_enough_contrast():
    """WCAG 2.2 AA: 4.5:1 for text on each background the stylesheet pairs it with."""
    css = (Path(__file__).resolve().parent.parent / "kg" / "site" / "static" / "site.css").read_text(encoding="utf-8")
    colours = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-f]{6})", css))
    pairs = [("ink", "paper"), ("muted", "paper"), ("muted", "panel"), ("link", "paper"), ("link", "panel"),
             ("violation", "paper"), ("warning", "paper"), ("info", "paper"), ("ink", "mark"),
             ("ink", "mark-current"), ("ink", "mark-inferred"), ("link", "mark")]
    pairs += [("ink", k) for k in colours if k.startswith("k-")]
    for text, background in pairs:
        a, b = sorted((_luminance(colours[text]), _luminance(colours[background])), reverse=True)
        assert (a + 0.05) / (b + 0.05) >= 4.5, (text, background, round((a + 0.05) / (b + 0.05), 2))
    assert "@media print" in css
