"""The one catalogue of what policykg prints for people, in English and French (kg/messages.yaml).

    text("report", "conforms", "fr") -> "conforme"
    words("report") -> {"en": {key: text}, "fr": {key: text}}   (a section, for modules that read many keys)

Every entry has both languages (a test checks it); an unknown language falls back to English.
"""
from __future__ import annotations

from functools import lru_cache

LANGS = ("en", "fr")


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, dict[str, str]]]:
    import yaml

    from .resources import package_file
    # libyaml's loader where PyYAML has it (7 ms instead of 66 for this file: start-up time), the same data
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(package_file("messages.yaml").read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 - a safe loader


def words(section: str) -> dict[str, dict[str, str]]:
    """A section as {lang: {key: text}}."""
    entries = catalogue()[section]
    return {lang: {key: pair[lang] for key, pair in entries.items()} for lang in LANGS}


def text(section: str, key: str, lang: str = "en") -> str:
    pair = catalogue()[section][key]
    return pair.get(lang) or pair["en"]
