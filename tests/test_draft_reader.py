"""policykg draft's readers (issue 17): .txt, Markdown (Open Terms Archive's format) and HTML become a
snapshot text with a map of its headings, paragraphs, list items and table rows."""
from __future__ import annotations

import pytest

from kg.draft.reader import read_source
from kg.errors import KgError

MARKDOWN = """Politique de confidentialité
============================

Dernière mise à jour : le 2 juin 2021

Données collectées
------------------

Nous collectons les données suivantes :

*   votre [adresse e-mail](https://example.org/mail) et votre **nom** ;
*   votre numéro de téléphone.

| Finalité | Données | Base légale | Durée |
|---|---|---|---|
| Gestion du compte | nom, adresse e-mail | exécution du contrat | 3 ans après la fin du contrat |

Contact  
Exemple SAS  
1 rue de la Paix  
75002 Paris
"""


def test_markdown_keeps_text_drops_markup(tmp_path):
    src = tmp_path / "p.md"
    src.write_text(MARKDOWN, encoding="utf-8")
    doc = read_source(src)
    assert "- votre adresse e-mail et votre nom ;" in doc.text      # link target and ** gone, item kept
    assert "https://" not in doc.text and "**" not in doc.text and "===" not in doc.text
    assert "Gestion du compte | nom, adresse e-mail | exécution du contrat | 3 ans après la fin du contrat" in doc.text
    assert "Exemple SAS\n1 rue de la Paix\n75002 Paris" in doc.text     # hard breaks keep the address lines
    kinds = [b.kind for b in doc.blocks]
    assert kinds.count("heading") >= 2 and kinds.count("item") == 2 and kinds.count("row") == 2
    row = [b for b in doc.blocks if b.kind == "row"][1]
    assert [doc.text[a:b] for a, b in row.cells] == ["Gestion du compte", "nom, adresse e-mail",
                                                     "exécution du contrat", "3 ans après la fin du contrat"]
    item = next(b for b in doc.blocks if b.kind == "item")
    assert doc.block_text(doc.heading_of(item)) == "Données collectées"
    assert doc.text.endswith("\n") and not doc.text.endswith("\n\n")


def test_snapshot_is_byte_stable_and_clean(tmp_path):
    src = tmp_path / "p.txt"
    src.write_bytes("Politique\r\n\r\nNous conservons vos donn\u00e9es\u200b 13 mois.   \r\n".encode("utf-8") * 20)
    a, b = read_source(src), read_source(src)
    assert a.text == b.text and "\r" not in a.text and "\u200b" not in a.text and "   \n" not in a.text


HTML = """<!doctype html><html lang="fr"><head><title>Confidentialité</title>
<script>window.dataLayer=[];gtag('config','G-1');</script><script src="https://www.googletagmanager.com/gtm.js"></script>
<style>body{margin:0}</style></head><body>
<header><nav><a href="/">Accueil</a><a href="/offres">Nos offres</a></nav></header>
<div id="cookie-banner">Nous utilisons des cookies. <button>Tout accepter</button></div>
<main><h1>Politique de confidentialité</h1>
<p>Nous collectons votre adresse e-mail et votre nom pour gérer votre compte et vous envoyer notre lettre
d'information, sur la base de votre consentement.</p>
<ul><li>Adresse e-mail</li><li>Numéro de téléphone<ul><li>fixe</li></ul></li></ul>
<table><tr><th>Finalité</th><th>Durée</th></tr><tr><td>Prospection</td><td>3 ans</td></tr></table>
<p>Vos données sont conservées 13 mois.<br>Elles sont hébergées en France.</p></main>
<footer>© 2025 Exemple SAS. Mentions légales</footer>
<noscript><img src="https://www.facebook.com/tr?id=1"></noscript></body></html>"""


def test_html_main_text_without_scripts_trackers_or_chrome(tmp_path):
    src = tmp_path / "p.html"
    src.write_text(HTML, encoding="utf-8")
    doc = read_source(src)
    for chrome in ("gtag", "dataLayer", "googletagmanager", "Nos offres", "Tout accepter", "Mentions légales",
                   "facebook", "margin"):
        assert chrome not in doc.text, chrome
    assert "Nous collectons votre adresse e-mail et votre nom" in doc.text
    assert "- Adresse e-mail" in doc.text and "Finalité | Durée" in doc.text and "Prospection | 3 ans" in doc.text
    assert "Vos données sont conservées 13 mois.\nElles sont hébergées en France." in doc.text
    assert doc.blocks[0].kind == "heading" and doc.block_text(doc.blocks[0]) == "Politique de confidentialité"


def test_html_of_scripts_only_has_no_main_text(tmp_path):
    src = tmp_path / "p.html"
    src.write_text("<html><head><script>track()</script></head><body><nav>Accueil</nav>"
                   "<script src='a.js'></script><footer>© 2025</footer></body></html>", encoding="utf-8")
    with pytest.raises(KgError) as exc:
        read_source(src)
    assert exc.value.id == "draft-no-text"


@pytest.mark.parametrize("head,what", [(b"%PDF-1.7\n", "PDF"), (b"\x89PNG\r\n\x1a\n", "PNG"),
                                       (b"\xff\xd8\xff\xe0", "JPEG"), (b"PK\x03\x04", "ZIP")])
def test_pdf_and_images_are_refused_by_their_bytes(tmp_path, head, what):
    src = tmp_path / "policy.txt"            # the extension does not matter
    src.write_bytes(head + b"\x00" * 64)
    with pytest.raises(KgError) as exc:
        read_source(src)
    assert exc.value.id == "draft-format" and what in exc.value.what
