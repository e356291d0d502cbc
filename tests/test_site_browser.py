"""The HTML report in a real browser: Debian's Chromium driven headless by Selenium (chromedriver given by its
path, so Selenium Manager downloads nothing). Every page of the seeds' report, in English and in French, is
loaded from file://: the console has no error, no request leaves the report's folder (Chrome's performance
log: every URL is a file under it), the counts of statements and findings are the library's, every quote is
highlighted in the text, and selecting a statement goes to its passage and back (mouse and keyboard). A
screenshot of each page is saved (the folder is printed). Slow tests: one browser run takes ~20 s."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .conftest import DATA

pytestmark = pytest.mark.slow

CHROMIUM = os.environ.get("POLICYKG_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("POLICYKG_CHROMEDRIVER", "/usr/bin/chromedriver")


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[test]')")
    if not (Path(CHROMIUM).is_file() and Path(CHROMEDRIVER).is_file()):
        pytest.skip(f"Chromium and its WebDriver are not installed ({CHROMIUM}, {CHROMEDRIVER}): "
                    "apt-get install chromium chromium-driver")
    from selenium.webdriver.chrome.service import Service
    os.environ.setdefault("SE_OFFLINE", "true")      # Selenium Manager, if it ever ran, must not download
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1000", "--no-first-run", "--disable-extensions",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-default-apps", "--lang=en-GB"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def sites(built_store, tmp_path_factory):
    from kg.site import write_report
    store, _ = built_store
    out = {}
    for lang in ("en", "fr"):
        site = tmp_path_factory.mktemp(f"browser-{lang}") / "report"
        out[lang] = (site, write_report(site, store=store, lang=lang, sources_dir=DATA / "sources", workers=1))
    return out


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = tmp_path_factory.mktemp("site-screenshots")
    print(f"\nscreenshots of the HTML report: {folder}")
    return folder


@pytest.fixture(scope="module")
def reports(built_store):
    from kg.validate import validate_store
    return {r.policy: r for r in validate_store(built_store[0], None, workers=1).reports}


def load(driver, path: Path):
    """Open a page, wait until it is loaded (and its picture drawn), return the log entries it produced."""
    from selenium.webdriver.support.ui import WebDriverWait
    driver.get_log("browser")
    driver.get_log("performance")
    driver.get(path.resolve().as_uri())
    WebDriverWait(driver, 15).until(lambda d: d.execute_script("return document.readyState") == "complete")
    if path.name == "graph.html":
        WebDriverWait(driver, 15).until(lambda d: d.execute_script("return !!window.policykgGraph"))
    return driver.get_log("browser"), driver.get_log("performance")


def requested_urls(performance) -> list[str]:
    urls = []
    for entry in performance:
        message = json.loads(entry["message"])["message"]
        if message["method"] in ("Network.requestWillBeSent", "Network.webSocketCreated"):
            urls.append(message["params"].get("request", {}).get("url") or message["params"].get("url", ""))
    return urls


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_page_loads_clean_and_stays_in_the_folder(browser, sites, shots, lang):
    site, _ = sites[lang]
    prefix = site.resolve().as_uri() + "/"
    pages = sorted(site.rglob("*.html"))
    assert len(pages) == sites[lang][1].pages
    for path in pages:
        console, performance = load(browser, path)
        errors = [c for c in console if c["level"] in ("SEVERE", "ERROR")]
        assert not errors, (path, errors)
        urls = requested_urls(performance)
        assert urls, path
        outside = [u for u in urls if not u.startswith(prefix)]
        assert not outside, (path, outside)
        name = "_".join(path.relative_to(site).with_suffix("").parts)
        browser.save_screenshot(str(shots / f"{lang}-{name}.png"))
        assert browser.execute_script("return document.documentElement.lang") == lang


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_counts_and_highlights_are_the_librarys(browser, sites, reports, built_store, lang):
    from kg.inventory import list_policies
    from kg.stores import EmbeddedStore
    infos = {i.key: i for i in list_policies(EmbeddedStore(built_store[0]))}
    site, result = sites[lang]
    for done in result.policies:
        load(browser, site / done.folder / "text.html")
        n = browser.execute_script("return document.querySelectorAll('li.statement').length")
        assert n == infos[done.key].statements
        # every statement whose quote is located: its highlighted passage reads as its quote
        check = browser.execute_script("""
            var out = {};
            document.querySelectorAll('li.statement').forEach(function (li) {
              var q = li.querySelector('blockquote.quote').textContent;
              if (!li.querySelector('a.to-passage')) { out[li.id] = q ? 'not located' : 'ok'; return; }
              var text = '';
              document.querySelectorAll('a.q').forEach(function (a) {
                if ((a.getAttribute('data-st') || '').split(' ').indexOf(li.id) >= 0) { text += a.textContent; }
              });
              out[li.id] = text === q ? 'ok' : text;
            });
            return out;""")
        assert check and set(check.values()) == {"ok"}, {k: v for k, v in check.items() if v != "ok"}
        load(browser, site / done.folder / "findings.html")
        report = reports[done.key]
        for severity, count in report.counts().items():
            assert browser.execute_script(f"return document.querySelectorAll('li.finding.{severity}').length") == count
        load(browser, site / done.folder / "graph.html")
        nodes = browser.execute_script("return window.policykgGraph.nodes().length")
        data = json.loads(browser.execute_script("return document.getElementById('graph-data').textContent"))
        assert nodes == len(data["nodes"]) > 5


def _in_view(driver, element) -> bool:
    return driver.execute_script("var r = arguments[0].getBoundingClientRect();"
                                 "return r.bottom > 0 && r.top < window.innerHeight;", element)


@pytest.mark.parametrize("slug,statement", [("whiteprovider", "W37"), ("planethoster", "P50")])
def test_a_statement_goes_to_its_passage_and_back(browser, sites, shots, slug, statement):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    site, result = sites["en"]
    done = next(p for p in result.policies if p.slug == slug)
    load(browser, site / done.folder / "text.html")
    # statement -> passage
    link = browser.find_element(By.CSS_SELECTOR, f"#s-{statement} a.to-passage")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", link)
    link.click()
    WebDriverWait(browser, 5).until(lambda d: d.execute_script("return location.hash") == f"#q-{statement}")
    passage = browser.find_element(By.ID, f"q-{statement}")
    if passage.tag_name != "a":
        passage = browser.find_element(By.CSS_SELECTOR, f"#q-{statement} ~ a.q")
    assert "current" in passage.get_attribute("class").split() and _in_view(browser, passage)
    browser.save_screenshot(str(shots / f"{slug}-{statement}-passage.png"))
    # passage -> the facts it supports -> the statement
    passage.click()
    panel = browser.find_element(By.ID, "passage-panel")
    WebDriverWait(browser, 5).until(lambda d: panel.is_displayed())
    back = panel.find_element(By.CSS_SELECTOR, f'a.to-statement[href="#s-{statement}"]')
    assert panel.find_elements(By.CSS_SELECTOR, "ul.facts li")
    browser.save_screenshot(str(shots / f"{slug}-{statement}-panel.png"))
    back.click()
    WebDriverWait(browser, 5).until(lambda d: d.execute_script("return location.hash") == f"#s-{statement}")
    item = browser.find_element(By.ID, f"s-{statement}")
    assert "current" in item.get_attribute("class").split() and _in_view(browser, item)
    assert not panel.is_displayed()


def test_the_keyboard_reaches_passages_and_statements(browser, sites):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait
    site, result = sites["fr"]
    done = next(p for p in result.policies if p.slug == "whiteprovider")
    load(browser, site / done.folder / "text.html")
    link = browser.find_element(By.CSS_SELECTOR, "#s-W21 a.to-passage")
    link.send_keys(Keys.ENTER)
    WebDriverWait(browser, 5).until(lambda d: d.execute_script("return location.hash") == "#q-W21")
    focused = browser.switch_to.active_element
    assert focused.get_attribute("id") == "q-W21" or "s-W21" in (focused.get_attribute("data-st") or "")
    focused.send_keys(Keys.ENTER)                       # the passage's panel, focus on its heading
    WebDriverWait(browser, 5).until(lambda d: d.find_element(By.ID, "passage-panel").is_displayed())
    assert browser.switch_to.active_element.get_attribute("id") == "panel-h"
    browser.switch_to.active_element.send_keys(Keys.ESCAPE)
    WebDriverWait(browser, 5).until(lambda d: not d.find_element(By.ID, "passage-panel").is_displayed())
    assert "s-W21" in (browser.switch_to.active_element.get_attribute("data-st") or "")


def test_the_pages_print(browser, sites):
    """The print stylesheet: navigation, panel and the picture's canvas are hidden; the table stays."""
    site, result = sites["en"]
    done = next(p for p in result.policies if p.slug == "planethoster")
    load(browser, site / done.folder / "graph.html")
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        shown = browser.execute_script("""return [getComputedStyle(document.querySelector('header.site')).display,
            getComputedStyle(document.getElementById('graph')).display,
            getComputedStyle(document.querySelector('section.links table')).display];""")
        assert shown == ["none", "none", "table"]
        pdf = browser.execute_cdp_cmd("Page.printToPDF", {"printBackground": False})
        assert len(pdf["data"]) > 1000
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})

