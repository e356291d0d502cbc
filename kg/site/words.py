"""The words of the HTML report, in English and French: the `site-<section>` sections of the one catalogue,
kg/messages.yaml, read through kg.messages.

    say("nav", "summary", "fr") -> "Résumé"
    say("count", "statements", "en", n=3) -> "3 statements"

An unknown language falls back to English; every entry has both (tests/test_site.py checks it).
"""
from __future__ import annotations

from functools import lru_cache

LANGS = ("en", "fr")


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, dict[str, str]]]:
    """The report's sections of kg/messages.yaml, by their name without `site-`."""
    from ..messages import catalogue as everything
    return {name[len("site-"):]: entries for name, entries in everything().items() if name.startswith("site-")}


def say(section: str, key: str, lang: str = "en", /, **values) -> str:
    """One entry in `lang`, its {placeholders} filled with `values` (the caller escapes the result)."""
    pair = catalogue()[section][key]
    text = pair.get(lang) or pair["en"]
    return text.format(**values) if values else text


def count(section: str, key: str, n: int, lang: str = "en") -> str:
    """"1 statement" / "3 statements" (French: 0 and 1 are singular): the key's _one form where it has one."""
    singular = n == 1 or (lang == "fr" and n == 0)
    entries = catalogue()[section]
    return say(section, key + "_one" if singular and key + "_one" in entries else key, lang, n=n)


def colon(lang: str) -> str:
    """":" as the language writes it after a label (French puts a space before it)."""
    return "\u00a0:" if lang == "fr" else ":"
