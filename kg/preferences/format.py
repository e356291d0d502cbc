"""A preferences file (docs/preferences.md): read as hostile YAML with the line of every value, checked
whole, every problem reported at once with its file:line (`PreferencesError`, PKG-E120 bad-preferences).

```yaml
policykg-preferences: 1
title: A cautious person
preferences:
  - id: no-marketing
    kind: consent-required
    uses: [marketing, profiling]
```
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

from .. import namespaces as ns
from ..errors import CardError, InputFileError, KgError, Location
from . import words as W

FORMAT_KEY = "policykg-preferences"
# kind -> (required fields, optional fields)
KINDS = {
    "consent-required": ({"uses"}, set()),
    "territories": ({"within"}, {"unless"}),
    "retention": ({"max"}, {"data"}),
    "no-third-party-disclosure": (set(), {"unless"}),
    "rights": ({"rights"}, {"channel"}),
    "no-tracking-without-consent": (set(), set()),
}
COMMON = {"id", "kind", "title"}
ID = re.compile(r"[a-z0-9][a-z0-9-]*")


class PreferencesError(KgError):
    """A preferences file with problems: each one (`errors`) with its file:line; this one sums them up."""
    id = "bad-preferences"

    def __init__(self, path: str, errors: list[KgError]):
        self.errors = errors
        super().__init__(f"{path}: {len(errors)} problem(s) in the preferences file", Location(path),
                         "correct the file at the lines given; docs/preferences.md lists every kind of "
                         "preference and its fields", error_id="bad-preferences")


@dataclass
class Preference:
    id: str
    kind: str
    title: dict[str, str]                       # lang -> title ({} when the file gives none)
    where: Location
    terms: dict[str, list[str]] = field(default_factory=dict)   # field -> IRIs (uses, within, unless, data)
    rights: list[tuple[str, list[str]]] = field(default_factory=list)   # (the word, its terms' IRIs)
    max_days: float | None = None               # retention: the longest period, in days (a year is 365.25)
    max_text: str | None = None                 # the period as the file writes it, in ISO 8601 (P3Y)
    channel: str | None = None                  # rights: email, post, phone, web or any
    words: dict[str, list[str]] = field(default_factory=dict)   # field -> the words as the file writes them


@dataclass
class Preferences:
    path: str
    title: dict[str, str]
    items: list[Preference]


def load_preferences(path: str | Path, vocabulary) -> Preferences:
    """The preferences of a file, checked against the vocabulary; PreferencesError lists every problem."""
    from ..card_yaml import read_card
    path = str(path)
    try:
        data, pos = read_card(Path(path))
    except (CardError, InputFileError) as exc:     # YAML syntax, aliases, nesting, an empty file: as for a card
        if isinstance(exc, InputFileError) and exc.id != "empty-file":
            raise
        where = exc.where if isinstance(exc.where, Location) else Location(path)
        problem = "the file is empty (or holds only comments)" if exc.id == "empty-file" else exc.what
        what = f"{path}:{where.line}: {problem}" if where.line else f"{path}: {problem}"
        fix = exc.fix if exc.id != "empty-file" else f"start with '{FORMAT_KEY}: 1' (docs/preferences.md)"
        raise PreferencesError(path, [KgError(what, where, fix, error_id="bad-preferences")]) from None
    return _Checker(path, pos, vocabulary).preferences(data)


class _Checker:
    def __init__(self, path: str, pos, vocabulary):
        self.path, self.pos, self.vocabulary = path, pos, vocabulary
        self.errors: list[KgError] = []
        self.bad_ids: set[str] = set()

    def at(self, where: tuple) -> Location:
        line, column = self.pos.of(where)
        text = ""
        for part in where:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
        return Location(self.path, line, column, text or None)

    def problem(self, where: tuple, what: str, fix: str) -> None:
        loc = self.at(where)
        self.errors.append(KgError(f"{self.path}:{loc.line}: {what}", loc, fix, error_id="bad-preferences"))

    def preferences(self, data) -> Preferences:
        if not isinstance(data, dict):
            self.problem((), "the file is not a mapping of keys to values",
                         f"start with '{FORMAT_KEY}: 1' and a 'preferences:' list (docs/preferences.md)")
            raise PreferencesError(self.path, self.errors)
        if data.get(FORMAT_KEY) != 1:
            self.problem((FORMAT_KEY,) if FORMAT_KEY in data else (),
                         f"'{FORMAT_KEY}: 1' is missing or not 1", f"write '{FORMAT_KEY}: 1' as the first line")
        for k in data:
            if k not in (FORMAT_KEY, "title", "preferences"):
                self.problem((k,), f"unknown key '{k}'", f"use {FORMAT_KEY}, title and preferences" +
                             self.did_you_mean(str(k), [FORMAT_KEY, "title", "preferences"]))
        title = self.title(data.get("title"), ("title",))
        items: list[Preference] = []
        prefs = data.get("preferences")
        if not isinstance(prefs, list) or not prefs:
            self.problem(("preferences",) if "preferences" in data else (), "'preferences' must be a non-empty list",
                         "list your preferences under 'preferences:', each with its 'kind'")
            prefs = []
        seen: dict[str, int] = {}
        for i, item in enumerate(prefs):
            pref = self.preference(item, ("preferences", i))
            if pref is None:
                continue
            if pref.id in seen and pref.id not in self.bad_ids:
                self.problem(("preferences", i, "id") if "id" in prefs[i] else ("preferences", i),
                             f"the id '{pref.id}' is used twice",
                             "give each preference its own id (one without an id has its kind as its id)")
            seen[pref.id] = i
            items.append(pref)
        if self.errors:
            raise PreferencesError(self.path, self.errors)
        return Preferences(self.path, title, items)

    def title(self, value, where) -> dict[str, str]:
        if value is None:
            return {}
        if isinstance(value, str) and value.strip():
            return {"en": value, "fr": value}
        if isinstance(value, dict) and value and all(k in ("en", "fr") and isinstance(v, str) for k, v in value.items()):
            return {"en": value.get("en") or value["fr"], "fr": value.get("fr") or value["en"]}
        self.problem(where, "a title is a text, or {en: …, fr: …}", "write title: My rules, or title: {en: …, fr: …}")
        return {}

    def preference(self, item, where) -> Preference | None:
        if not isinstance(item, dict):
            self.problem(where, "a preference is a mapping with a 'kind'", "write '- kind: consent-required' …")
            return None
        kind = item.get("kind")
        if not isinstance(kind, str) or kind not in KINDS:
            if kind is None:
                self.problem(where, "the preference has no 'kind'", "add kind: one of " + ", ".join(KINDS))
            else:
                self.problem(where + ("kind",), f"unknown kind {kind!r}",
                             "use one of " + ", ".join(KINDS) + self.did_you_mean(str(kind), list(KINDS)))
            return None
        required, optional = KINDS[kind]
        pid = item.get("id", kind)
        if not isinstance(pid, str) or not ID.fullmatch(pid):
            self.problem(where + ("id",), f"the id {pid!r} is not lower-case letters, digits and hyphens",
                         "write an id such as no-marketing-without-consent")
            pid = kind
            self.bad_ids.add(pid)
        for k in item:
            if k not in COMMON | required | optional:
                self.problem(where + (k,), f"'{k}' is not a field of a {kind} preference",
                             f"the fields of {kind}: " + ", ".join(sorted(required | optional) or ["none"])
                             + self.did_you_mean(str(k), sorted(required | optional)))
        for k in sorted(required - set(item)):
            self.problem(where, f"the {kind} preference '{pid}' has no '{k}'", f"add {k}: (docs/preferences.md#{kind})")
        pref = Preference(pid, kind, self.title(item.get("title"), where + ("title",)), self.at(where))
        for k in ("uses", "within", "unless", "data", "rights", "max"):
            if isinstance(item.get(k), (str, list)):
                pref.words[k] = [str(x) for x in (item[k] if isinstance(item[k], list) else [item[k]])]
        if "uses" in item:
            pref.terms["uses"] = self.terms(item["uses"], where + ("uses",), W.USES, "dpv", "a use such as marketing, "
                                            "profiling, automated decisions, or a DPV purpose or processing")
        if "within" in item:
            pref.terms["within"] = self.territories(item["within"], where + ("within",))
        if "unless" in item:
            table = W.MECHANISMS if kind == "territories" else W.EXCUSES
            hint = ("adequacy, scc or bcr, or a DPV transfer mechanism" if kind == "territories"
                    else "consent or legal obligation, or a DPV legal basis")
            pref.terms["unless"] = self.terms(item["unless"], where + ("unless",), table, "eu-gdpr", hint)
        if "data" in item:
            pref.terms["data"] = self.terms(item["data"], where + ("data",), W.DATA, "pd", "a data category such as "
                                            "financial, contact, or a DPV term such as pd:Financial")
        if "max" in item:
            parsed = parse_duration(item["max"])
            if parsed is None:
                self.problem(where + ("max",), f"'max' is not a duration: {item['max']!r}",
                             "write a duration such as 3 years, 6 months, 90 days or P3Y")
            else:
                pref.max_text, pref.max_days = parsed
        if "rights" in item:
            pref.rights = self.rights(item["rights"], where + ("rights",))
        if "channel" in item:
            channel = item["channel"]
            channel = W.CHANNEL_WORDS.get(W.key(channel), W.key(channel)) if isinstance(channel, str) else channel
            if channel not in W.CHANNELS:
                self.problem(where + ("channel",), f"unknown channel {item['channel']!r}",
                             "use one of " + ", ".join(W.CHANNELS))
            else:
                pref.channel = channel
        return pref

    def as_list(self, value, where) -> list:
        if isinstance(value, str):
            return [value]
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return value
        self.problem(where, "expected a word or a list of words", "write [a, b] or a single word")
        return []

    def terms(self, value, where, table: dict, default_prefix: str, hint: str) -> list[str]:
        out: list[str] = []
        lookup = {W.key(k): v for k, v in table.items()}
        for i, word in enumerate(self.as_list(value, where)):
            at = where + (i,) if isinstance(value, list) else where
            if W.key(word) in lookup:
                out += [ns.expand_curie(c) for c in lookup[W.key(word)]]
                continue
            iri = self.term(word, default_prefix)
            if iri is not None:
                out.append(iri)
                continue
            close = difflib.get_close_matches(W.key(word), list(lookup), n=2, cutoff=0.6)
            if ":" in word and ns.expand_curie(word):
                close += self.vocabulary.suggest(word, n=2, meaning=0)
            self.problem(at, f"unknown term '{word}'",
                         f"write {hint}" + (f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""))
        return out

    def term(self, word: str, default_prefix: str) -> str | None:
        """The IRI of a CURIE or a bare DPV name that exists in the vocabulary."""
        if ":" in word:
            iri = ns.expand_curie(word)
            return iri if iri and self.vocabulary.exists(iri) else None
        for prefix in dict.fromkeys((default_prefix, "dpv", "pd", "eu-gdpr")):
            iri = ns.expand_curie(f"{prefix}:{word}")
            if re.fullmatch(r"[A-Za-z0-9-]+", word) and self.vocabulary.exists(iri):
                return iri
        return None

    def territories(self, value, where) -> list[str]:
        out = []
        for i, word in enumerate(self.as_list(value, where)):
            at = where + (i,) if isinstance(value, list) else where
            named = W.TERRITORIES.get(W.key(word))
            iri = ns.expand_curie(named) if named else self.place(word)
            if iri is None:
                close = difflib.get_close_matches(W.key(word), list(W.TERRITORIES), n=2, cutoff=0.6)
                self.problem(at, f"unknown territory '{word}'", "write EU, EEA or an ISO 3166 code such as FR, CH, "
                             "CA-QC (or loc:FR)" + (f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""))
            else:
                out.append(iri)
        return out

    def place(self, word: str) -> str | None:
        code = word[4:] if word.startswith("loc:") else word
        iri = ns.expand_curie("loc:" + code.upper())
        return iri if re.fullmatch(r"[A-Za-z]{2}(-[A-Za-z0-9]{1,3})?", code) and self.vocabulary.exists(iri) else None

    def rights(self, value, where) -> list[tuple[str, list[str]]]:
        out = []
        lookup = {W.key(k): v for k, v in W.RIGHTS.items()}
        for i, word in enumerate(self.as_list(value, where)):
            at = where + (i,) if isinstance(value, list) else where
            if W.key(word) in lookup:
                out.append((word, [ns.expand_curie(c) for c in lookup[W.key(word)]]))
                continue
            iri = self.term(word, "eu-gdpr")
            if iri is not None and self.vocabulary.is_a(iri, ns.DPV.Right):
                out.append((word, [iri]))
                continue
            close = difflib.get_close_matches(W.key(word), list(lookup), n=2, cutoff=0.6)
            self.problem(at, f"unknown right '{word}'", "write access, rectification, erasure, restriction, portability, "
                         "objection, withdraw consent or complaint, or a DPV right such as eu-gdpr:A21"
                         + (f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""))
        return out

    @staticmethod
    def did_you_mean(word: str, choices: list[str]) -> str:
        close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
        return f"; did you mean '{close[0]}'?" if close else ""


_UNITS = {"y": ("Y", 365.25), "year": ("Y", 365.25), "years": ("Y", 365.25), "an": ("Y", 365.25), "ans": ("Y", 365.25),
          "annee": ("Y", 365.25), "annees": ("Y", 365.25), "année": ("Y", 365.25), "années": ("Y", 365.25),
          "month": ("M", 30.4375), "months": ("M", 30.4375), "mois": ("M", 30.4375),
          "week": ("W", 7), "weeks": ("W", 7), "semaine": ("W", 7), "semaines": ("W", 7),
          "day": ("D", 1), "days": ("D", 1), "jour": ("D", 1), "jours": ("D", 1)}
ISO = re.compile(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?")


def parse_duration(value) -> tuple[str, float] | None:
    """'3 years', '1 year 6 months', '90 days', '3 ans', 'P3Y' -> ('P3Y', 1095.75); None when it is not one.
    A year is 365.25 days and a month 30.4375, the same as the compiled shapes count (kg.preferences.compile)."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    m = ISO.fullmatch(text.upper())
    if m and any(m.groups()):
        parts = [(int(n), u) for n, u in zip(m.groups(), "YMWD") if n]
    else:
        found = re.findall(r"(\d+)\s*([A-Za-zéè]+)", text)
        rest = re.sub(r"(\d+)\s*([A-Za-zéè]+)|\band\b|\bet\b|[,\s]", "", text)
        if not found or rest or any(u.lower() not in _UNITS for _, u in found):
            return None
        parts = [(int(n), _UNITS[u.lower()][0]) for n, u in found]
    days = {"Y": 365.25, "M": 30.4375, "W": 7, "D": 1}
    total: dict[str, int] = {}
    for n, unit in parts:
        total[unit] = total.get(unit, 0) + n
    iso = "P" + "".join(f"{total[u]}{u}" for u in "YMWD" if u in total)
    return iso, sum(n * days[u] for u, n in total.items())
