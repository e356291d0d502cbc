"""The validation report as a graph first: the engines' standard `sh:ValidationReport`s with everything the
text, JSON and SARIF reports say written into it as pks: statements (docs/validation-report.md), and the
same reports read back from that graph.

`report_graph(reports, errors)` writes one document: a `pks:ValidationRun` listing its reports in order, the
inputs that could not be loaded and the rules (the shapes run, with their names, messages, articles and
severities, so SARIF needs no profile folder to be rendered again); each report its policy, source, engine,
time, profiles run and why, and its findings in order (`pks:Finding`: the SHACL results it groups, or none
for a notice, with the messages, fixes, card hints, citations, focus label, quote, statement and card
file:line). `reports_from_graph(graph)` is its inverse: the reports and errors every other format is rendered
from, the same as those of the run (tests/test_report_graph.py checks every format both ways).
"""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, RDF, RDFS, SH

from . import namespaces as ns
from .errors import KgError, Location
from .validate import Finding, Report, lang_texts, load_profiles

PKS = ns.PKS
SEVERITY_IRI = {"violation": SH.Violation, "warning": SH.Warning, "info": SH.Info}
SEVERITY_NAME = {iri: name for name, iri in SEVERITY_IRI.items()}


# ---- rules: the shapes of the profiles run -------------------------------------------------------------

def rules_of(reports: list[Report]) -> list[dict]:
    """The rules of the shapes the reports' profiles hold, in SARIF's order (by profile id, then each profile's
    shapes), one per shape id: id, profile, names, descriptions, messages, articles (lang -> text), severity,
    references (CURIEs) and help_uri. Reports read from a graph carry their rules; the others' come from the
    profile folders they were validated with (the shipped shapes/, `shapes_dir`, the users' folders)."""
    carried = [r.rules for r in reports if getattr(r, "rules", None) is not None]
    if carried and len(carried) == len(reports):
        merged: dict[str, dict] = {}
        for rules in carried:
            for rule in rules:
                merged.setdefault(rule["id"], rule)
        return sorted(merged.values(), key=lambda rule: rule["profile"])   # stable: each profile's own order
    sources = {(r.shapes_dir, tuple(getattr(r, "profile_folders", ()))) for r in reports}
    profiles_of = {src: load_profiles(src[0], src[1], user_folder=True) for src in sources}
    used = sorted({(pid, (r.shapes_dir, tuple(getattr(r, "profile_folders", ())))) for r in reports
                   for pid, _ in r.profiles}, key=lambda x: (x[0], x[1][0] or "", x[1][1]))
    rules: dict[str, dict] = {}
    for pid, src in used:
        profile = profiles_of[src][pid]
        g = profile.graph
        for sid in profile.shape_ids():
            if sid in rules:
                continue
            s = PKS[sid]
            rules[sid] = {
                "id": sid, "profile": pid,
                "names": lang_texts(g, s, SH.name), "descriptions": lang_texts(g, s, SH.description),
                "messages": lang_texts(g, s, SH.message), "articles": lang_texts(g, s, PKS.article),
                "severity": SEVERITY_NAME.get(g.value(s, SH.severity), "violation"),
                "references": sorted(ns.shorten(str(o)) for o in g.objects(s, DCTERMS.references)),
                "help_uri": _help_uri(profile, s, sid)}
    return list(rules.values())


def _help_uri(profile, shape, sid: str) -> str:
    """Where a rule is explained: the built-in profiles' reference page; a user's profile's own document (the
    shape's dct:source or rdfs:seeAlso, else its header's dct:source), else the profile's folder."""
    if profile.origin == "built-in":
        return f"https://w3id.org/policykg/docs/profiles#{sid}"
    g = profile.graph
    for node in (shape, profile.iri):
        for p in (DCTERMS.source, RDFS.seeAlso):
            value = g.value(node, p)
            if value is not None:
                return str(value)
    return Path(profile.folder).resolve().as_uri()


# ---- writing ----------------------------------------------------------------------------------------------

def report_graph(reports: list[Report], errors=()) -> Graph:
    """One graph of the reports: each engine's sh:ValidationReport as it is, described (module docstring)."""
    g = Graph()
    for prefix, iri in ns.PREFIXES.items():
        g.bind(prefix, iri)
    g.bind("sh", str(SH))
    run = BNode()
    g.add((run, RDF.type, PKS.ValidationRun))
    nodes = []
    for r in reports:
        g += r.graph
        nodes.append(_describe_report(g, r))
    _add_list(g, run, PKS.reports, [n for n in nodes if n is not None])
    _add_list(g, run, PKS.loadErrors, [_describe_error(g, e) for e in errors])
    rules = rules_of(reports) if reports else []
    _add_list(g, run, PKS.rules, [_describe_rule(g, rule) for rule in rules])
    return g


def _add_list(g: Graph, subject, predicate, items: list) -> None:
    """subject predicate ( items… ): an RDF collection, rdf:nil when empty."""
    head = BNode() if items else RDF.nil
    g.add((subject, predicate, head))
    if items:
        Collection(g, head, items)


def _texts(g: Graph, node, predicate, texts: dict[str, str]) -> None:
    for lang, text in texts.items():
        g.add((node, predicate, Literal(text, lang=lang)))


def _reference(curie: str):
    iri = ns.expand_curie(curie) if not curie.startswith(("http:", "https:", "urn:")) else curie
    return URIRef(iri) if iri else Literal(curie)


def _describe_report(g: Graph, r: Report):
    """The report node of `r` (its engine's sh:ValidationReport), described; None when it has none."""
    report = next(iter(r.graph.subjects(RDF.type, SH.ValidationReport)), None)
    if report is None:
        return None
    g.add((report, PKS.policy, Literal(r.policy)))
    g.add((report, PKS.engine, Literal(r.engine)))
    g.add((report, PKS.seconds, Literal(Decimal(repr(float(r.seconds))))))
    if r.source:
        g.add((report, PKS.source, Literal(r.source)))
    if r.shapes_dir:
        g.add((report, PKS.shapesFolder, Literal(str(r.shapes_dir))))
    folders = tuple(getattr(r, "profile_folders", ()))
    if folders:
        _add_list(g, report, PKS.profileFolders, [Literal(str(f)) for f in folders])
    for position, (pid, why) in enumerate(r.profiles):
        run = BNode()
        g.add((report, PKS.profileRun, run))
        g.add((run, PKS.profile, Literal(pid)))
        g.add((run, PKS.position, Literal(position)))
        _texts(g, run, PKS.reason, why)
    results: dict[tuple, list] = {}
    for res in r.graph.objects(report, SH.result):
        severity = SEVERITY_NAME.get(r.graph.value(res, SH.resultSeverity), "violation")
        key = (str(r.graph.value(res, SH.sourceShape)), str(r.graph.value(res, SH.focusNode)), severity)
        results.setdefault(key, []).append(res)
    findings = [_describe_finding(g, report, f, results.get((str(PKS[f.shape]), f.focus, f.severity), []))
                for f in r.findings]
    _add_list(g, report, PKS.findings, findings)
    return report


def _describe_finding(g: Graph, report, f: Finding, results: list) -> BNode:
    """A pks:Finding: the SHACL results it groups (none for a notice, then it is the report's pks:notice too),
    with what the text, JSON and SARIF reports show of it; on each result, its profile, article, fix, quote
    and card line as well (for readers of the standard results alone)."""
    node = BNode()
    g.add((node, RDF.type, PKS.Finding))
    g.add((node, PKS.policy, Literal(f.policy)))
    g.add((node, PKS.profile, Literal(f.profile)))
    g.add((node, PKS.ruleId, Literal(f.shape)))
    g.add((node, SH.resultSeverity, SEVERITY_IRI[f.severity]))
    g.add((node, PKS.focus, Literal(f.focus)))
    for predicate, texts in ((PKS.message, f.message), (PKS.fix, f.fix), (PKS.cardHint, f.card_hint),
                             (PKS.article, f.articles or {"en": f.article}), (PKS.focusLabel, f.focus_label)):
        _texts(g, node, predicate, texts)
    for ref in f.references:
        g.add((node, DCTERMS.references, _reference(ref)))
    for position, citation in enumerate(f.citations):
        c = BNode()
        g.add((node, PKS.citation, c))
        g.add((c, PKS.position, Literal(position)))
        g.add((c, PKS.profile, Literal(citation["profile"])))
        _texts(g, c, PKS.article, {lang: citation[lang] for lang in ("en", "fr") if citation.get(lang)})
        for ref in citation.get("references", []):
            g.add((c, DCTERMS.references, _reference(ref)))
    for predicate, value in ((PKS.path, f.path), (PKS.value, f.value), (PKS.quote, f.quote),
                             (PKS.statement, f.statement)):
        if value is not None:
            g.add((node, predicate, Literal(value)))
    _add_list(g, node, PKS.values, [Literal(v) for v in f.values])
    _describe_where(g, node, f.where)
    for res in results:
        g.add((node, PKS.result, res))
        _describe_result(g, res, f)
    if not results:   # a notice: no SHACL result behind it
        g.add((report, PKS.notice, node))
        g.add((node, PKS.noticeId, Literal(f.shape)))
        _texts(g, node, SH.resultMessage, f.message)
    return node


def _describe_result(g: Graph, res, f: Finding) -> None:
    g.add((res, PKS.profile, Literal(f.profile)))
    _texts(g, res, PKS.article, f.articles or {"en": f.article})
    _texts(g, res, PKS.fix, f.fix)
    if f.quote:
        g.add((res, PKS.quote, Literal(f.quote)))
    if f.statement:
        g.add((res, PKS.statement, Literal(f.statement)))
    if f.where:
        g.add((res, PKS.file, Literal(str(f.where.file))))
        if f.where.line:
            g.add((res, PKS.line, Literal(int(f.where.line))))


def _describe_where(g: Graph, node, where) -> None:
    if where is None:
        return
    g.add((node, PKS.file, Literal(str(where.file))))
    for predicate, value in ((PKS.line, where.line), (PKS.column, where.column), (PKS.field, where.field)):
        if value is not None:
            g.add((node, predicate, Literal(value)))


def _describe_error(g: Graph, exc: KgError) -> BNode:
    """An input that could not be loaded: its error id, what, where, fix (and file:line:column when known)."""
    node = BNode()
    g.add((node, RDF.type, PKS.LoadError))
    g.add((node, PKS.errorId, Literal(exc.id)))
    g.add((node, PKS.errorCode, Literal(exc.code)))
    g.add((node, PKS.what, Literal(exc.what)))
    if exc.fix:
        g.add((node, PKS.fix, Literal(exc.fix)))
    if isinstance(exc.where, Location):
        _describe_where(g, node, exc.where)
    elif exc.where is not None:
        g.add((node, PKS.where, Literal(str(exc.where))))
    return node


def _describe_rule(g: Graph, rule: dict) -> URIRef:
    node = PKS[rule["id"]]
    g.add((node, PKS.ruleId, Literal(rule["id"])))
    g.add((node, PKS.profile, Literal(rule["profile"])))
    for predicate, key in ((SH.name, "names"), (SH.description, "descriptions"), (SH.message, "messages"),
                           (PKS.article, "articles")):
        _texts(g, node, predicate, rule[key])
    g.add((node, SH.severity, SEVERITY_IRI[rule["severity"]]))
    for ref in rule["references"]:
        g.add((node, DCTERMS.references, _reference(ref)))
    g.add((node, RDFS.seeAlso, URIRef(rule["help_uri"])))
    return node


# ---- reading ----------------------------------------------------------------------------------------------

def read_report(path: str | Path) -> tuple[list[Report], list[KgError]]:
    """The reports and load errors of a Turtle report file (`policykg validate --format ttl`), to render again
    in any format. Raises a KgError: the file's own (missing, too large, not UTF-8), `rdf-syntax` with its
    line, `not-a-report` when the graph is no report policykg wrote."""
    from .errors import InputFileError, RdfSyntaxError
    from .files import read_text_input
    text = read_text_input(path, "validation report")
    try:
        g = Graph().parse(data=text, format="turtle")
    except Exception as exc:  # noqa: BLE001 - rdflib's parsers raise several kinds; each is the file's syntax
        line = getattr(exc, "lines", None)
        raise RdfSyntaxError(f"{path} is not valid Turtle: {str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}",
                             Location(str(path), line if isinstance(line, int) else None),
                             "give the file `policykg validate --format ttl` wrote, unedited") from None
    try:
        return reports_from_graph(g)
    except NotAReport as exc:
        raise InputFileError(f"{path} {exc}", str(path), "give the Turtle that `policykg validate … --format ttl` wrote "
                      "(kept whole: every format is rendered from it)", error_id="not-a-report") from None


class NotAReport(ValueError):
    """The graph is no report_graph: no pks:ValidationRun, or a report or finding without what each one has."""


def reports_from_graph(g: Graph) -> tuple[list[Report], list[KgError]]:
    """The reports and the load errors of a report graph written by report_graph (or parsed from its
    Turtle), in their order; each report's `graph` is its engine's standard sh:ValidationReport alone.
    Raises NotAReport when it is not one."""
    run = next(iter(g.subjects(RDF.type, PKS.ValidationRun)), None)
    if run is None:
        raise NotAReport("holds no pks:ValidationRun: it is not a report written by policykg validate --format ttl")
    try:
        rules = [_read_rule(g, node) for node in _items(g, run, PKS.rules)]
        reports = [_read_report(g, node, rules) for node in _items(g, run, PKS.reports)]
        errors = [_read_error(g, node) for node in _items(g, run, PKS.loadErrors)]
    except (TypeError, ValueError, KeyError) as exc:   # a value missing (None) or of another kind
        raise NotAReport(f"is an incomplete report ({type(exc).__name__}: {exc}): a report, finding or rule lacks a "
                         "value every one has (docs/validation-report.md)") from None
    return reports, errors


def _items(g: Graph, node, predicate) -> list:
    head = g.value(node, predicate)
    return list(Collection(g, head)) if head is not None else []


def _one(g: Graph, node, predicate) -> str:
    """The value every such node has (NotAReport when missing)."""
    value = g.value(node, predicate)
    if value is None:
        raise NotAReport(f"misses {ns.shorten(str(predicate))} on a {_kind(g, node)} (docs/validation-report.md)")
    return str(value)


def _kind(g: Graph, node) -> str:
    kind = g.value(node, RDF.type)
    return ns.shorten(str(kind)) if kind is not None else "node"


def _str(g: Graph, node, predicate) -> str | None:
    value = g.value(node, predicate)
    return str(value) if value is not None else None


def _curie(term) -> str:
    return ns.shorten(str(term)) if isinstance(term, URIRef) else str(term)


def _read_report(g: Graph, node, rules: list[dict]) -> Report:
    runs = sorted(g.objects(node, PKS.profileRun), key=lambda run: int(g.value(run, PKS.position)))
    profiles = [(str(g.value(run, PKS.profile)), lang_texts(g, run, PKS.reason)) for run in runs]
    findings = [_read_finding(g, f) for f in _items(g, node, PKS.findings)]
    report = Report(_one(g, node, PKS.policy), profiles, [], _standard_report(g, node),
                    _one(g, node, PKS.engine), float(str(g.value(node, PKS.seconds) or 0)),
                    _str(g, node, PKS.source), _str(g, node, PKS.shapesFolder),
                    tuple(str(f) for f in _items(g, node, PKS.profileFolders)))
    report.findings = findings   # as written: their citations were kept when the run made them
    used = {pid for pid, _ in profiles}
    report.rules = [rule for rule in rules if rule["profile"] in used]
    return report


def _read_finding(g: Graph, node) -> Finding:
    citations = []
    for c in sorted(g.objects(node, PKS.citation), key=lambda c: int(g.value(c, PKS.position))):
        texts = lang_texts(g, c, PKS.article)
        citations.append({"profile": str(g.value(c, PKS.profile)), "en": texts.get("en", ""),
                          "fr": texts.get("fr", ""),
                          "references": sorted(_curie(r) for r in g.objects(c, DCTERMS.references))})
    articles = lang_texts(g, node, PKS.article)
    return Finding(
        policy=_one(g, node, PKS.policy), profile=_one(g, node, PKS.profile), shape=_one(g, node, PKS.ruleId),
        severity=SEVERITY_NAME.get(g.value(node, SH.resultSeverity), "violation"),
        message=lang_texts(g, node, PKS.message), fix=lang_texts(g, node, PKS.fix),
        article=articles.get("en") or next(iter(articles.values()), ""),
        references=sorted(_curie(r) for r in g.objects(node, DCTERMS.references)),
        focus=str(g.value(node, PKS.focus) or ""), focus_label=lang_texts(g, node, PKS.focusLabel),
        path=_str(g, node, PKS.path), value=_str(g, node, PKS.value), quote=_str(g, node, PKS.quote),
        statement=_str(g, node, PKS.statement), where=_read_where(g, node),
        articles=articles, citations=citations,
        card_hint=lang_texts(g, node, PKS.cardHint), values=[str(v) for v in _items(g, node, PKS.values)])


def _read_where(g: Graph, node) -> Location | None:
    file = g.value(node, PKS.file)
    if file is None:
        return None
    number = {p: g.value(node, p) for p in (PKS.line, PKS.column)}
    return Location(str(file), *(int(v) if v is not None else None for v in number.values()),
                    field=_str(g, node, PKS.field))


def _read_error(g: Graph, node) -> KgError:
    where = _read_where(g, node) or _str(g, node, PKS.where)
    return KgError(_one(g, node, PKS.what), where, _str(g, node, PKS.fix), error_id=_one(g, node, PKS.errorId))


def _read_rule(g: Graph, node) -> dict:
    return {"id": _one(g, node, PKS.ruleId), "profile": _one(g, node, PKS.profile),
            "names": lang_texts(g, node, SH.name), "descriptions": lang_texts(g, node, SH.description),
            "messages": lang_texts(g, node, SH.message), "articles": lang_texts(g, node, PKS.article),
            "severity": SEVERITY_NAME.get(g.value(node, SH.severity), "violation"),
            "references": sorted(_curie(r) for r in g.objects(node, DCTERMS.references)),
            "help_uri": _one(g, node, RDFS.seeAlso)}


def _standard_report(g: Graph, report) -> Graph:
    """The engine's sh:ValidationReport alone: the SHACL statements reachable from the report node through
    SHACL's own properties (the results, their paths and values), without the pks: description."""
    out = Graph()
    todo, seen = [report], set()
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for p, o in g.predicate_objects(node):
            if str(p).startswith(str(SH)) or p == RDF.type or (p in (RDF.first, RDF.rest) and node != report):
                out.add((node, p, o))
                if isinstance(o, BNode):
                    todo.append(o)
    return out
