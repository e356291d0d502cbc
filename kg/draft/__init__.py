"""`policykg draft`: a policy's text (.txt, Markdown, .html) -> its snapshot and a draft card to review.

    from kg.draft import draft
    result = draft("policy.md", slug="example", version="2024-01-31")   # writes data/sources/…, data/policies/…

The library entry `draft()` reads the source (reader.py), checks its language, extracts facts with the
lexicon and the rules (lexicon.py, segment.py, extract.py, notice.py), groups them into statements
(assemble.py) and writes the snapshot and the card (card.py), both atomically, after every check: a bad
input leaves no file. Errors are KgErrors (PKG-E110 … PKG-E119 and the input-file errors).
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import KgError, UsageError

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
LANGS = ("fr", "en")
MIN_LANGUAGE_SHARE = 0.6     # py3langid's probability below which a text is "mixed or unknown"


class DraftError(KgError):
    id = "draft-exists"


@dataclass
class DraftResult:
    card: Path
    snapshot: Path
    sha256: str
    lang: str
    draft: object             # kg.draft.assemble.Draft
    card_text: str

    @property
    def statements(self) -> int:
        return len(self.draft.statements)

    @property
    def to_review(self) -> int:
        return sum(1 for s in self.draft.statements if s.review)


def check_slug(slug: str) -> str:
    if not SLUG.match(slug or "") or len(slug) > 100:
        raise UsageError(f"the slug {slug!r} is not a policy slug", "--slug",
                         "write lower-case letters, digits and hyphens, starting with a letter or digit "
                         "(the company or site: e.g. --slug planethoster)", error_id="draft-slug")
    return slug


def check_version(version: str) -> str:
    try:
        ok = bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", version or "")) and _dt.date.fromisoformat(version)
    except ValueError:
        ok = False
    if not ok:
        raise UsageError(f"the version {version!r} is not a date", "--version",
                         "write the date the policy version took effect as YYYY-MM-DD, e.g. --version 2024-05-19",
                         error_id="draft-version")
    return version


def check_url(url: str | None) -> str | None:
    if url is not None and not re.fullmatch(r"https?://[^\s<>\"{}|\\^`\x00-\x1f\x7f-\x9f]+", url):
        raise UsageError(f"--url {url!r} is not an http(s) URL", "--url",
                         "give the address the policy is published at, e.g. --url https://example.org/privacy",
                         error_id="draft-url")
    return url


def detect_language(text: str, wanted: str, where: str) -> str:
    """The policy's language: 'fr' or 'en' (py3langid over the whole text), checked against --lang."""
    lang, prob = _identifier().classify(text[:20000])
    if lang not in LANGS or prob < MIN_LANGUAGE_SHARE:
        name = _language_name(lang) if prob >= MIN_LANGUAGE_SHARE else \
            f"no clear language (best guess {_language_name(lang)}, {prob:.0%})"
        raise KgError(f"the text is in {name}, not French or English", where,
                      "draft French or English policies (a translation of the policy may exist on its site)"
                      if wanted == "auto" else f"--lang {wanted} was given, but the text reads as {lang}",
                      error_id="draft-language")
    if wanted != "auto" and wanted != lang:
        raise KgError(f"--lang {wanted} was given, but the text reads as {lang} ({prob:.0%})", where,
                      f"use --lang {lang} or --lang auto", error_id="draft-language")
    return lang


def _language_name(code: str) -> str:
    from babel import Locale
    return f"{Locale('en').languages.get(code, code)} ({code})"


_IDENT: dict = {}


def _identifier():
    """py3langid's shipped model (97 languages), giving probabilities: read once from the package."""
    if "model" not in _IDENT:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier
        from py3langid.langid import MODEL_DIR
        _IDENT["model"] = LanguageIdentifier.from_modelpath(Path(MODEL_DIR) / MODEL_FILE, norm_probs=True)
    return _IDENT["model"]


def draft(source: str | Path, slug: str, version: str, *, lang: str = "auto", data: str | Path = "data",
          url: str | None = None, force: bool = False, retrieved: str | None = None,
          max_size: int | None = None, write: bool = True) -> DraftResult:
    """Read `source`, draft its card, and (write=True) write DIR/sources/SLUG/VERSION.LANG.txt and
    DIR/policies/SLUG/VERSION.yaml. Nothing is written unless every check passed."""
    from ..files import write_atomic
    from .assemble import assemble
    from .card import write_card
    from .reader import read_source

    check_slug(slug)
    check_version(version)
    check_url(url)
    if lang not in ("auto",) + LANGS:
        raise UsageError(f"--lang {lang} is not one of auto, fr, en", "--lang", "use --lang auto, fr or en",
                         error_id="usage")
    data = Path(data)
    card_path = data / "policies" / slug / f"{version}.yaml"
    if write and not force and card_path.exists():
        raise DraftError(f"{card_path} already exists", str(card_path),
                         "give --force to replace it (and its snapshot), or another --version", error_id="draft-exists")
    doc = read_source(source, max_size=max_size)
    lang = detect_language(doc.text, lang, str(source))
    snapshot_rel = f"{slug}/{version}.{lang}.txt"
    snapshot_path = data / "sources" / snapshot_rel
    if write and not force and snapshot_path.exists():
        raise DraftError(f"{snapshot_path} already exists", str(snapshot_path),
                         "give --force to replace it (and the card), or another --version", error_id="draft-exists")
    result = assemble(doc, lang, slug)
    snapshot_bytes = doc.text.encode("utf-8")
    sha = hashlib.sha256(snapshot_bytes).hexdigest()
    card_text = write_card(result, version=version, snapshot=snapshot_rel, sha256=sha,
                           retrieved=retrieved or _dt.date.today().isoformat(), url=url,
                           source_name=Path(source).name)
    if write:
        existed = snapshot_path.exists()
        write_atomic(snapshot_bytes, snapshot_path)
        try:
            write_atomic(card_text.encode("utf-8"), card_path)
        except BaseException:
            if not existed:
                snapshot_path.unlink(missing_ok=True)
            raise
    return DraftResult(card_path, snapshot_path, sha, lang, result, card_text)


__all__ = ["draft", "DraftResult", "check_slug", "check_version", "detect_language"]
