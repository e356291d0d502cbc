"""Preferences -> SHACL shapes (standard SHACL-SPARQL: the project's engine and pySHACL run them alike).

Each preference compiles to a few named shapes, each with one role, which its severity carries:

| role | severity | its results are |
|---|---|---|
| breach | sh:Violation | statements that break the preference (the verdict is then "not met") |
| open   | sh:Warning   | statements that leave it undecided (no legal basis, only a minimum period …: "unknown") |
| met    | sh:Info      | statements that show it met ("met" when nothing breaks it or leaves it open) |

The shapes read the policy's data graph as validation builds it (kg.validate.data_graph: the policy graph,
the evidence in its RDF 1.1 form and the vocabulary its terms reach), with the facts a card marks `inferred`
removed, so an inferred fact never decides a verdict. A process's legal bases are those it states, or else
those of the nearest process that contains it (`dpv:hasProcess`) and states some: the specific wins over the
policy-wide. The user's terms come from the vocabulary (checked by kg.preferences.format), so their IRIs are
written into the queries as IRIs; nothing else of the file is.
"""
from __future__ import annotations

from dataclasses import dataclass

from rdflib import Graph

from .. import namespaces as ns
from .format import Preference, Preferences
from .texts import SHAPE_TEXTS

PKP = ns.BASE + "preferences#"            # the compiled shapes: <PKP><preference id>--<role>[-n]
ROLES = {"breach": "Violation", "open": "Warning", "met": "Info"}
WALK = "(rdf:type|skos:broader|rdfs:subClassOf)*"
PREFIXES = ("dpv", "pd", "tech", "loc", "eu-gdpr", "legal-eu", "pkx", "rdf", "rdfs", "skos", "xsd")
RECIPIENT_PATHS = "dpv:hasRecipient, dpv:hasRecipientThirdParty, dpv:hasRecipientDataController"
# an xsd:duration's parts (years, months, weeks, days, then hours, minutes, seconds) read by REPLACE
DURATION_RE = ("^P(?:([0-9]+(?:[.][0-9]+)?)Y)?(?:([0-9]+(?:[.][0-9]+)?)M)?(?:([0-9]+(?:[.][0-9]+)?)W)?"
               "(?:([0-9]+(?:[.][0-9]+)?)D)?(?:T(?:([0-9]+(?:[.][0-9]+)?)H)?(?:([0-9]+(?:[.][0-9]+)?)M)?"
               "(?:([0-9]+(?:[.][0-9]+)?)S)?)?$")
# minutes in each part (a year is 365.25 days, a month a twelfth of it): whole numbers, so that no engine rounds
MINUTES_PER = ("* 525960", "* 43830", "* 10080", "* 1440", "* 60", "* 1", "/ 60")


@dataclass
class CompiledShape:
    iri: str
    preference: str          # the preference id
    role: str                # breach, open or met
    detail: str | None = None   # for rights: the word of the right a shape is about; "channel"


@dataclass
class Compiled:
    graph: Graph
    shapes: dict[str, CompiledShape]      # shape IRI -> what it is


def iri(term: str) -> str:
    return f"<{term}>"


def walk_to(var: str, terms: list[str]) -> str:
    """`var` is one of the terms or below one (its type, broader concept or superclass, step by step): a
    UNION of paths to each constant, which engines walk from the constant or the bound variable."""
    return " UNION ".join(f"{{ {var} {WALK} {iri(t)} }}" for t in terms)


def nearest_bases(this: str = "$this", basis: str = "?basis", tag: str = "") -> str:
    """The legal bases of a process: its own, or else those of the nearest process containing it that has some."""
    h, n, o = f"?holder{tag}", f"?nearer{tag}", f"?other{tag}"
    return (f"{h} dpv:hasProcess* {this} ; dpv:hasLegalBasis {basis} . "
            f"FILTER NOT EXISTS {{ {h} dpv:hasProcess+ {n} . {n} dpv:hasProcess* {this} ; dpv:hasLegalBasis {o} }}")


def real_consent(var: str) -> str:
    return f"{var} {WALK} dpv:Consent . FILTER NOT EXISTS {{ {var} {WALK} dpv:ImpliedConsent }}"


def minutes(var: str) -> str:
    """The number of minutes of an xsd:duration (a year is 365.25 days, a month 30.4375)."""
    parts = [f"COALESCE(xsd:decimal(REPLACE(STR({var}), \"{DURATION_RE}\", \"${i + 1}\")), 0) {factor}"
             for i, factor in enumerate(MINUTES_PER)]
    return "(" + " + ".join(parts) + ")"


def compile_preferences(prefs: Preferences) -> Compiled:
    """The shapes graph of a preferences file, and which preference and role each shape stands for."""
    out: list[str] = [f"@prefix {p}: <{ns.PREFIXES[p]}> ." for p in PREFIXES]
    out += ["@prefix sh: <http://www.w3.org/ns/shacl#> .", f"@prefix pkp: <{PKP}> .",
            "@prefix owl: <http://www.w3.org/2002/07/owl#> .", "", "pkp:prefixes a owl:Ontology ;"]
    out.append(" ;\n".join(f'    sh:declare [ sh:prefix "{p}" ; sh:namespace "{ns.PREFIXES[p]}"^^xsd:anyURI ]'
                           for p in PREFIXES) + " .")
    shapes: dict[str, CompiledShape] = {}
    for pref in prefs.items:
        for n, (role, target, select, detail) in enumerate(_KINDS[pref.kind](pref)):
            shape = f"{PKP}{pref.id}--{role}-{n + 1}"
            shapes[shape] = CompiledShape(shape, pref.id, role, detail)
            texts = SHAPE_TEXTS[pref.kind][role]
            out.append(f"""
<{shape}> a sh:NodeShape ; {target} ;
    sh:name {_lit(pref.id + ' (' + role + ')')} ;
    sh:severity sh:{ROLES[role]} ;
    sh:message {_lit(texts['en'], 'en')}, {_lit(texts['fr'], 'fr')} ;
    sh:sparql [ a sh:SPARQLConstraint ; sh:prefixes pkp:prefixes ;
        sh:select {_long(select)} ] .""")
    graph = Graph()
    graph.parse(data="\n".join(out), format="turtle")
    return Compiled(graph, shapes)


def _lit(text: str, lang: str | None = None) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"' + (f"@{lang}" if lang else "")


def _long(text: str) -> str:
    return '"""' + text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"') + '"""'


PROCESS = "sh:targetClass dpv:Process"
PROHIBITION = "sh:targetClass dpv:Prohibition"
NOTICE = "sh:targetClass dpv:PrivacyNotice"


def _consent(pref: Preference, use=None) -> list[tuple]:
    """consent-required (and no-tracking-without-consent, with its own `use`): a use found on a process whose
    legal bases are not consent (breach), with no basis or consent among others (open), consent only (met);
    a prohibition of the use (met). `use(path, value, tag)`: the pattern that finds a use of $this."""
    if use is None:
        def use(path: str, value: str, tag: str) -> str:
            return (f"$this {path} {value} . FILTER ({path} IN (dpv:hasPurpose, dpv:hasProcessing, dpv:hasContext)) "
                    f"{walk_to(value, pref.terms['uses'])}")
    found = use("?path", "?value", "")
    other = f"?basis {WALK} dpv:Consent"
    breach = f"""SELECT DISTINCT $this ?path ?value WHERE {{
    {found}
    FILTER EXISTS {{ {nearest_bases()} }}
    FILTER NOT EXISTS {{ {nearest_bases()} . {real_consent('?basis')} }}
}}"""
    open_ = f"""SELECT DISTINCT $this ?path ?value WHERE {{
    {found}
    {{ FILTER NOT EXISTS {{ ?any dpv:hasProcess* $this ; dpv:hasLegalBasis ?anyBasis }} }}
    UNION
    {{ FILTER EXISTS {{ {nearest_bases()} . {real_consent('?basis')} }}
       FILTER EXISTS {{ {nearest_bases()} . FILTER NOT EXISTS {{ {other} }} }} }}
}}"""
    met = f"""SELECT DISTINCT $this ?path ?value WHERE {{
    FILTER EXISTS {{ {nearest_bases()} . {real_consent('?basis')} }}
    FILTER NOT EXISTS {{ {nearest_bases()} . FILTER NOT EXISTS {{ {other} }} }}
    {{ {found} }}
    UNION
    {{ FILTER EXISTS {{ {use("?p0", "?v0", "0")} }}
       {nearest_bases(basis='?value', tag='2')} . BIND (dpv:hasLegalBasis AS ?path) }}
}}"""
    forbidden = f"SELECT DISTINCT $this ?path ?value WHERE {{ {found} }}"
    return [("breach", PROCESS, breach, None), ("open", PROCESS, open_, None), ("met", PROCESS, met, None),
            ("met", PROHIBITION, forbidden, None)]


def _tracking(pref: Preference) -> list[tuple]:
    """Tracking (dpv:Tracking and narrower), or profiling implemented with cookies."""
    def use(path: str, value: str, tag: str) -> str:
        return (f"{{ $this dpv:hasProcessing {value} . {value} {WALK} dpv:Tracking . BIND (dpv:hasProcessing AS {path}) }} "
                f"UNION {{ $this dpv:hasProcessing {value} . {value} {WALK} dpv:Profiling . "
                f"BIND (dpv:hasProcessing AS {path}) $this dpv:isImplementedUsingTechnology ?tech{tag} . "
                f"?tech{tag} {WALK} tech:Cookie }}")
    return _consent(pref, use)


def _inside(var: str, territories: list[str]) -> str:
    """A location inside one of the territories: a legal territory by its table (pkx:withinLegalTerritory, or a
    place one or two levels up it that is, unless the place is said outside), a country or region by the
    loc: hierarchy."""
    branches = []
    for i, t in enumerate(territories):
        if t.startswith(str(ns.PKX)):
            branches += [f"{{ {var} pkx:withinLegalTerritory {iri(t)} }}",
                         f"{{ FILTER NOT EXISTS {{ {var} pkx:outsideLegalTerritory {iri(t)} }} "
                         f"{var} skos:broader ?up{i} . ?up{i} pkx:withinLegalTerritory {iri(t)} }}",
                         f"{{ FILTER NOT EXISTS {{ {var} pkx:outsideLegalTerritory {iri(t)} }} "
                         f"{var} skos:broader ?mid{i} . FILTER NOT EXISTS {{ ?mid{i} pkx:outsideLegalTerritory {iri(t)} }} "
                         f"?mid{i} skos:broader ?top{i} . ?top{i} pkx:withinLegalTerritory {iri(t)} }}"]
        else:
            branches.append(f"{{ {var} skos:broader* {iri(t)} }}")
    return " UNION ".join(branches)


def _mechanism(process: str, place: str, mechanisms: list[str], value: str = "?m") -> str:
    """A transfer mechanism of the list stated on the process or one containing it; an adequacy decision
    counts for the country it names (legal-eu:Adequacy-EU-CA for loc:CA and its regions) or when generic."""
    adequacy = str(ns.EU_GDPR.AdequacyDecision)
    others = [m for m in mechanisms if m != adequacy]
    branches = []
    if others:
        branches.append(walk_to(value, others))
    if adequacy in mechanisms:
        branches.append(f"{{ {value} skos:broader* eu-gdpr:AdequacyDecision . {place} skos:broader* ?country . "
                        f"FILTER ({value} IN (eu-gdpr:AdequacyDecision, eu-gdpr:A45-3) || STR({value}) = "
                        f"CONCAT(STR(legal-eu:), \"Adequacy-EU-\", STRAFTER(STR(?country), STR(loc:)))) }}")
    return (f"?mh dpv:hasProcess* {process} . ?mh (dpv:hasLegalBasis|dpv:hasOrganisationalMeasure|dpv:hasLegalMeasure) "
            f"{value} . " + " UNION ".join(branches))


# GDPR Art. 45(1): a transfer to a third country the Commission has found adequate "shall not require any
# specific authorisation": an adequacy decision applies by law, whether or not the policy names it. The decisions
# DPV 2.3 names (legal-eu:Adequacy-EU-XX; tests/test_preferences_kinds.py holds this list to the vocabulary's);
# the sources of each are in docs/preferences.md ("An adequacy decision applies by law"). Canada's
# covers only commercial organisations subject to PIPEDA (Decision 2002/2/EC): a policy that does not say its
# recipient in Canada is one leaves the preference open (docs/preferences.md).
ADEQUATE_COUNTRIES = ("AD", "AR", "CH", "FO", "GB", "GG", "IL", "IM", "JE", "JP", "NZ", "UY")
SCOPED_ADEQUACY = ("CA",)


def _adequate(place: str, countries: tuple[str, ...], tag: str) -> str:
    """The place is one of these countries or inside one (a region of it)."""
    return (f"{{ {place} skos:broader* ?adequate{tag} . "
            f"FILTER (?adequate{tag} IN ({', '.join('loc:' + c for c in countries)})) }}")


def _territories(pref: Preference) -> list[tuple]:
    within, unless = pref.terms["within"], pref.terms.get("unless", [])
    by_law = str(ns.EU_GDPR.AdequacyDecision) in unless   # the person accepts adequacy decisions
    place = (f"?p rdf:type dpv:Process . {{ ?p dpv:hasStorageCondition $this }} UNION {{ ?p ?rp $this . "
             f"FILTER (?rp IN ({RECIPIENT_PATHS}, dpv:hasDataProcessor)) }} "
             f"$this dpv:hasLocation ?value . BIND (dpv:hasLocation AS ?path) FILTER (isIRI(?value))")
    located = "sh:targetSubjectsOf dpv:hasLocation"
    # no pattern stands for "no mechanism" (rdflib, so pySHACL, finds EXISTS { FILTER (false) } true)
    covered = f"FILTER NOT EXISTS {{ {_mechanism('?p', '?value', unless)} }}" if unless else ""
    if by_law:
        covered += (f"\n    FILTER NOT EXISTS {_adequate('?value', ADEQUATE_COUNTRIES, '1')}"
                    f"\n    FILTER NOT EXISTS {_adequate('?value', SCOPED_ADEQUACY, '2')}")
    breach = f"""SELECT DISTINCT $this ?path ?value WHERE {{
    {place}
    FILTER NOT EXISTS {{ {_inside('?value', within)} }}
    {covered}
}}"""
    either = f" || EXISTS {{ {_mechanism('?p', '?value', unless)} }}" if unless else ""
    if by_law:
        either += f" || EXISTS {_adequate('?value', ADEQUATE_COUNTRIES, '1')}"
    met = f"""SELECT DISTINCT $this ?path ?value WHERE {{
    {place}
    FILTER (EXISTS {{ {_inside('?value', within)} }}{either})
}}"""
    # a country whose adequacy decision covers some recipients only, and no mechanism stated: open
    scoped = f"""SELECT DISTINCT $this ?path ?value WHERE {{
    {place}
    FILTER NOT EXISTS {{ {_inside('?value', within)} }}
    FILTER NOT EXISTS {{ {_mechanism('?p', '?value', unless)} }}
    FILTER EXISTS {_adequate('?value', SCOPED_ADEQUACY, '2')}
}}"""
    mechanism = f"""SELECT DISTINCT $this ?path ?value WHERE {{
    ?p rdf:type dpv:Process . {{ ?p dpv:hasStorageCondition $this }} UNION {{ ?p ?rp $this .
        FILTER (?rp IN ({RECIPIENT_PATHS}, dpv:hasDataProcessor)) }}
    $this dpv:hasLocation ?place . FILTER (isIRI(?place))
    {_mechanism('?p', '?place', unless, '?value')} BIND (dpv:hasLegalBasis AS ?path)
}}"""
    transfer = f"""SELECT DISTINCT $this ?path ?value WHERE {{
    $this dpv:hasProcessing ?value . ?value {WALK} dpv:CrossBorderTransfer . BIND (dpv:hasProcessing AS ?path)
    FILTER NOT EXISTS {{ ?h dpv:hasProcess* $this . ?h (dpv:hasStorageCondition|dpv:hasRecipient|dpv:hasRecipientThirdParty|dpv:hasRecipientDataController|dpv:hasDataProcessor)/dpv:hasLocation ?l }}
}}"""
    out = [("breach", located, breach, None), ("met", located, met, None), ("open", PROCESS, transfer, None)]
    if by_law:
        out.append(("open", located, scoped, None))
    return out + ([("met", located, mechanism, None)] if unless else [])


def _retention(pref: Preference) -> list[tuple]:
    data = ""
    if pref.terms.get("data"):
        data = (f"FILTER EXISTS {{ {{ ?p dpv:hasProcess* ?q }} UNION {{ ?q dpv:hasProcess* ?p }} "
                f"?q dpv:hasPersonalData ?pdata . {walk_to('?pdata', pref.terms['data'])} }}")
    period = (f"?p dpv:hasStorageCondition $this . ?p rdf:type dpv:Process . $this dpv:hasDuration ?value . "
              f"BIND (dpv:hasDuration AS ?path) {data}")
    amount = f'?value rdf:value ?d . FILTER (REGEX(STR(?d), "{DURATION_RE}"))'
    limit = str(round(pref.max_days * 1440))
    breach = f"SELECT DISTINCT $this ?path ?value WHERE {{\n    {period}\n    {amount}\n    FILTER ({minutes('?d')} > {limit})\n}}"
    met = (f"SELECT DISTINCT $this ?path ?value WHERE {{\n    {period}\n    {amount}\n    FILTER ({minutes('?d')} <= {limit})\n"
           f"    FILTER NOT EXISTS {{ ?value {WALK} pkx:MinimumDuration }}\n}}")
    open_ = f"""SELECT DISTINCT $this ?path ?value WHERE {{
    {period}
    OPTIONAL {{ {amount} }}
    FILTER (!BOUND(?d) || ({minutes('?d')} <= {limit} && EXISTS {{ ?value {WALK} pkx:MinimumDuration }}))
}}"""
    sc = "sh:targetSubjectsOf dpv:hasDuration"
    return [("breach", sc, breach, None), ("open", sc, open_, None), ("met", sc, met, None)]


def _no_third_party(pref: Preference) -> list[tuple]:
    unless = pref.terms.get("unless", [])
    excused = ""
    if unless:
        excused = (f"FILTER (EXISTS {{ {nearest_bases(tag='e')} }} && NOT EXISTS {{ {nearest_bases()} . "
                   f"FILTER NOT EXISTS {{ {walk_to('?basis', unless)} }} }})")
    not_excused = "" if not unless else excused.replace("FILTER (", "FILTER (!(", 1) + ")"
    recipient = (f"$this ?path ?value . FILTER (?path IN ({RECIPIENT_PATHS})) "
                 f"FILTER NOT EXISTS {{ ?value {WALK} dpv:DataProcessor }} "
                 f"FILTER NOT EXISTS {{ ?notice dpv:hasDataController ?value }}")
    disclosure = (f"$this dpv:hasProcessing ?value . ?value {WALK} dpv:Disclose . BIND (dpv:hasProcessing AS ?path) "
                  f"FILTER NOT EXISTS {{ $this ?rp ?r . FILTER (?rp IN ({RECIPIENT_PATHS}, dpv:hasDataProcessor)) }}")
    breach = f"SELECT DISTINCT $this ?path ?value WHERE {{\n    {recipient}\n    {not_excused}\n}}"
    open_ = f"SELECT DISTINCT $this ?path ?value WHERE {{\n    {disclosure}\n    {not_excused}\n}}"
    processors = ("SELECT DISTINCT $this ?path ?value WHERE {\n    $this dpv:hasDataProcessor ?value . "
                  "BIND (dpv:hasDataProcessor AS ?path)\n}")
    forbidden = (f"SELECT DISTINCT $this ?path ?value WHERE {{\n    {{ $this ?path ?value . FILTER (?path IN "
                 f"({RECIPIENT_PATHS})) }} UNION {{ $this dpv:hasProcessing ?value . ?value {WALK} dpv:Disclose . "
                 f"BIND (dpv:hasProcessing AS ?path) }}\n}}")
    out = [("breach", PROCESS, breach, None), ("open", PROCESS, open_, None), ("met", PROCESS, processors, None),
           ("met", PROHIBITION, forbidden, None)]
    if unless:
        allowed = (f"SELECT DISTINCT $this ?path ?value WHERE {{\n    {{ {recipient} }} UNION {{ {disclosure} }}\n"
                   f"    {excused}\n}}")
        out.append(("met", PROCESS, allowed, None))
    return out


CHANNEL_TESTS = {
    "email": 'dpv:hasContact ?value . FILTER (REGEX(STR(?value), "^[^@ ]+@[^@ ]+[.][^@ ]+$"))',
    "phone": 'dpv:hasContact ?value . FILTER (REGEX(STR(?value), "^[+]?[0-9][0-9 ().-]{5,}$"))',
    "web": 'dpv:hasContact ?value . FILTER (REGEX(STR(?value), "^https?://"))',
    "post": "dpv:hasAddress ?value",
    "any": "dpv:hasContact|dpv:hasAddress ?value",
}


def _rights(pref: Preference) -> list[tuple]:
    out = []
    for word, alternatives in pref.rights:
        stated = (f"{{ $this dpv:hasRight ?value }} UNION {{ $this dpv:hasProcess ?rp . ?rp dpv:hasRight ?value }} "
                  f"{walk_to('?value', alternatives)}")
        out.append(("met", NOTICE, f"SELECT DISTINCT $this ?path ?value WHERE {{\n    {stated} BIND (dpv:hasRight AS ?path)\n}}",
                    word))
        missing = stated.replace("?value", "?stated")
        out.append(("open", NOTICE, f"SELECT DISTINCT $this ?value WHERE {{\n    OPTIONAL {{ {missing} }}\n"
                                    f"    FILTER (!BOUND(?stated)) BIND ({iri(alternatives[0])} AS ?value)\n}}", word))
    if pref.channel:
        test = CHANNEL_TESTS[pref.channel]
        path, _, rest = test.partition(" ?value")
        contact = (f"$this dpv:hasDataController ?c . ?c (dpv:hasDataProtectionOfficer|dpv:hasEntity)? ?x . "
                   f"?x {path} ?value{rest}")
        bind = "dpv:hasAddress" if pref.channel == "post" else "dpv:hasContact"
        if pref.channel == "any":
            contact = ("$this dpv:hasDataController ?c . ?c (dpv:hasDataProtectionOfficer|dpv:hasEntity)? ?x . "
                       "?x ?path ?value . FILTER (?path IN (dpv:hasContact, dpv:hasAddress))")
            bind = None
        met = (f"SELECT DISTINCT $this ?path ?value WHERE {{\n    {contact}\n"
               + (f"    BIND ({bind} AS ?path)\n" if bind else "") + "}")
        out.append(("met", NOTICE, met, f"channel:{pref.channel}"))
        out.append(("open", NOTICE, f"SELECT DISTINCT $this WHERE {{\n    FILTER NOT EXISTS {{ {contact} }}\n}}",
                    f"channel:{pref.channel}"))
    return out


_KINDS = {"consent-required": _consent, "no-tracking-without-consent": _tracking, "territories": _territories,
          "retention": _retention, "no-third-party-disclosure": _no_third_party, "rights": _rights}
