"""Where and when a profile applies, read from the data of its profile.ttl (docs/applicability.md).

A profile either applies always (pks:appliesAlways) or through triggers (pks:appliesWhen): SPARQL SELECTs
run on the policy's data graph, tried by rank; the first that returns a row gives the reason shown to the
user, its {variables} replaced by the labels of the row's terms. A law, a trigger or a shape dated
pks:inForceFrom after the validation date (`--as-of`, default today) is not applied, and the report says
so once. The data graph holds only what the text states (data_graph.drop_inferred), so an inferred fact
never makes a law apply.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SH

from .. import namespaces as ns
from ..errors import UsageError
from ..messages import text

PKS = ns.PKS
LANGS = ("en", "fr")


@dataclass(frozen=True)
class Trigger:
    rank: int
    query: str                              # with the PREFIX lines of the usual prefixes
    reason: dict[str, str]                  # lang -> template with {variable} slots
    in_force_from: dt.date | None = None


@dataclass(frozen=True)
class Applicability:
    """What profile.ttl says of where and when the profile applies."""
    order: int = 99
    always: dict[str, str] | None = None
    triggers: tuple[Trigger, ...] = ()
    not_applicable: dict[str, str] = field(default_factory=dict)
    in_force_from: dt.date | None = None
    scope: dict[str, str] = field(default_factory=dict)
    shapes_in_force: tuple[tuple[str, dt.date], ...] = ()   # (shape id, date) for shapes with a date


@dataclass
class Decision:
    applies: bool
    reason: dict[str, str]                  # why it applies, or why it does not (lang -> text)
    not_in_force: bool = False              # it does not apply because the law was not yet in force


def lang_texts(graph: Graph, subject, predicate) -> dict[str, str]:
    """The literals of (subject, predicate) by language tag (untagged counts as en), one per language."""
    out = {}
    for lit in graph.objects(subject, predicate):
        if isinstance(lit, Literal):
            out.setdefault(lit.language or "en", str(lit))
    return out


def _date(graph: Graph, subject) -> dt.date | None:
    value = graph.value(subject, PKS.inForceFrom)
    if value is None:
        return None
    parsed = value.toPython() if isinstance(value, Literal) else None
    if not isinstance(parsed, dt.date):
        raise UsageError(f"pks:inForceFrom of {subject} is not an xsd:date: {value}", None,
                         'write it as "YYYY-MM-DD"^^xsd:date', error_id="bad-profile")
    return parsed


def _prefix_lines() -> str:
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in sorted(ns.PREFIXES.items()))


def read_applicability(graph: Graph, header) -> Applicability:
    """The Applicability of a profile from its graph (header: the pks:Profile node)."""
    order = graph.value(header, PKS.order)
    triggers = []
    for node in graph.objects(header, PKS.appliesWhen):
        query = graph.value(node, PKS.select)
        if query is None:
            raise UsageError(f"a trigger of {header} has no pks:select", None,
                             "give each pks:appliesWhen node a SPARQL SELECT in pks:select", error_id="bad-profile")
        rank = graph.value(node, PKS.rank)
        triggers.append(Trigger(int(rank) if rank is not None else 99, _prefix_lines() + str(query),
                                lang_texts(graph, node, PKS.reason), _date(graph, node)))
    shapes = set(graph.subjects(RDF.type, SH.NodeShape)) | set(graph.subjects(RDF.type, SH.PropertyShape))
    dated = []
    for s in shapes:
        if isinstance(s, URIRef) and str(s).startswith(str(PKS)):
            day = _date(graph, s)
            if day is not None:
                dated.append((str(s)[len(str(PKS)):], day))
    return Applicability(
        order=int(order) if order is not None else 99,
        always=lang_texts(graph, header, PKS.appliesAlways) or None,
        triggers=tuple(sorted(triggers, key=lambda t: t.rank)),
        not_applicable=lang_texts(graph, header, PKS.notApplicable),
        in_force_from=_date(graph, header),
        scope=lang_texts(graph, header, PKS.scope),
        shapes_in_force=tuple(sorted(dated)))


def parse_as_of(text: str | None) -> dt.date:
    """The validation date: `--as-of YYYY-MM-DD`, today by default."""
    if text is None or text == "":
        return dt.date.today()
    if isinstance(text, dt.date):
        return text
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        raise UsageError(f"--as-of {text!r} is not a date", None, "write the date as YYYY-MM-DD, e.g. --as-of 2015-09-01",
                         error_id="bad-date") from None


def decide(rules: Applicability, run_query, label, as_of: dt.date) -> Decision:
    """Does the profile apply to the policy whose data graph `run_query(sparql)` queries, on `as_of`?
    run_query returns rows as dicts of variable -> term; label(term, lang) names a term for people."""
    if rules.always:
        return Decision(True, dict(rules.always))
    for trigger in rules.triggers:
        if trigger.in_force_from is not None and trigger.in_force_from > as_of:
            continue
        rows = run_query(trigger.query)
        if rows:
            row = min(rows, key=lambda r: sorted((k, str(v)) for k, v in r.items()))
            reason = {lang: _fill(template, row, label, lang) for lang, template in trigger.reason.items()}
            if rules.in_force_from is not None and rules.in_force_from > as_of:
                since = rules.in_force_from
                return Decision(False, {lang: text("validate-applicability", "not_in_force", lang).format(
                    day=spoken_date(as_of, lang), since=spoken_date(since, lang), reason=reason.get(lang, ""))
                    for lang in ("en", "fr")}, not_in_force=True)
            return Decision(True, reason)
    return Decision(False, dict(rules.not_applicable))


_MONTHS = {"en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                   "October", "November", "December"),
           "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
                  "novembre", "décembre")}


def spoken_date(day: dt.date, lang: str) -> str:
    """A date as its readers write it: "1 September 2015", « 1er septembre 2015 »."""
    number = "1er" if lang == "fr" and day.day == 1 else str(day.day)
    return f"{number} {_MONTHS[lang][day.month - 1]} {day.year}"


def _fill(template: str, row: dict, label, lang: str) -> str:
    def one(m: re.Match) -> str:
        term = row.get(m.group(1))
        return m.group(0) if term is None else label(term, lang)
    return re.sub(r"\{(\w+)\}", one, template)


def shapes_not_in_force(rules: Applicability, as_of: dt.date) -> list[tuple[str, dt.date]]:
    """The profile's shapes whose rule came into force after `as_of`."""
    return [(sid, day) for sid, day in rules.shapes_in_force if day > as_of]


def term_label(vocabulary):
    """label(term, lang) for reasons: the term's label in that language, else in English, else its CURIE."""
    def label(term, lang: str) -> str:
        if isinstance(term, Literal):
            return str(term)
        return vocabulary.label(term, lang) or vocabulary.label(term, "en") or ns.shorten(str(term))
    return label

