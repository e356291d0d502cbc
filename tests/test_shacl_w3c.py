"""The W3C SHACL test suite (tests/w3c-shacl/, 121 tests of core/ and sparql/) on the oxigraph engine: every
test passes or is refused with `unsupported-shape` naming the feature; no test crashes or gives a wrong
answer. docs/shacl-engine.md holds the table of the results (`pytest --update-golden` rewrites it).

A test passes when the engine's report equals the expected one as the suite compares them
(https://w3c.github.io/data-shapes/data-shapes-test-suite/, "full compliance"): the same sh:conforms and the
same results, each compared by sh:focusNode, sh:resultPath, sh:value, sh:resultSeverity, sh:sourceShape,
sh:sourceConstraintComponent and sh:sourceConstraint (messages ignored); a test whose expected result is
sht:Failure passes when the engine refuses the shapes graph because SHACL forbids what it does. A blank node
of the expected report is matched exactly when it is a node of the test's data or shapes graph (the same
parse), else it stands for any blank node; paths are compared by their structure.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib import BNode, Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH

from kg.errors import UsageError
from kg.shacl import ShapesEngine
from kg.terms import to_ox

SUITE = Path(__file__).resolve().parent / "w3c-shacl"
DOC = Path(__file__).resolve().parent.parent / "docs" / "shacl-engine.md"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
SHT = Namespace("http://www.w3.org/ns/shacl-test#")
DATA_GRAPH = ox.NamedNode("urn:policykg:w3c-data")


@dataclass
class SuiteTest:
    name: str            # e.g. core/node/class-001 (its file, relative to the suite, without .ttl)
    label: str
    manifest: Graph      # the parsed file that holds the test (and often its data and shapes)
    node: URIRef
    data: Path
    shapes: Path

    @property
    def folder(self) -> str:
        return self.name.rsplit("/", 1)[0]


def parse(path: Path) -> Graph:
    """A test file as written: rdflib's normalisation of literals off (it would read "1"^^xsd:boolean as
    true, which W3C core/property/uniqueLang-002 tells apart)."""
    normalize = rdflib.NORMALIZE_LITERALS
    rdflib.NORMALIZE_LITERALS = False
    try:
        return Graph().parse(path, format="turtle", publicID=path.as_uri())
    finally:
        rdflib.NORMALIZE_LITERALS = normalize


def _parse(path: Path, cache: dict) -> Graph:
    if path not in cache:
        cache[path] = parse(path)
    return cache[path]


def suite_tests() -> list[SuiteTest]:
    """The sht:Validate tests of the suite's manifests (mf:include followed), in the suite's order."""
    out: list[SuiteTest] = []
    cache: dict = {}

    def walk(path: Path) -> None:
        g = _parse(path, cache)
        me = URIRef(path.as_uri())
        for inc in g.objects(me, MF.include):
            walk(Path(inc.replace("file://", "", 1)))
        for entries in g.objects(me, MF.entries):
            for node in Collection(g, entries):
                if (node, RDF.type, SHT.Validate) not in g:
                    continue
                action = g.value(node, MF.action)
                data, shapes = (Path(str(g.value(action, p)).replace("file://", "", 1))
                                for p in (SHT.dataGraph, SHT.shapesGraph))
                name = str(path.relative_to(SUITE).with_suffix(""))
                out.append(SuiteTest(name, str(g.value(node, RDFS.label) or ""), g, node, data, shapes))

    walk(SUITE / "manifest.ttl")
    return out


TESTS = suite_tests()


def run_test(test: SuiteTest) -> tuple[str, str]:
    """('pass', ''), ('refused', the feature named) or ('fail', why): the engine on one test."""
    manifest_path = SUITE / (test.name + ".ttl")
    same = {manifest_path: test.manifest}
    shapes = same.get(test.shapes) or parse(test.shapes)
    data = same.get(test.data) or parse(test.data)
    expected = test.manifest.value(test.node, MF.result)
    try:
        engine = ShapesEngine(shapes)
        store = ox.Store()
        store.extend([ox.Quad(to_ox(s), to_ox(p), to_ox(o), DATA_GRAPH) for s, p, o in data])
        written = [to_ox(o) for o in data.objects() if isinstance(o, rdflib.Literal)]
        conforms, report = engine.validate(store, [DATA_GRAPH], written=written)
    except UsageError as err:
        if err.id != "unsupported-shape":
            raise
        feature = getattr(err, "feature", err.what)
        if expected == SHT.Failure:
            if getattr(err, "forbidden", False):
                return "pass", f"rejected: {feature}"
            return "refused", feature
        return "refused", feature
    if expected == SHT.Failure:
        return "fail", "the shapes graph is invalid (sht:Failure) but the engine ran it"
    want_conforms = test.manifest.value(expected, SH.conforms).toPython()
    root = next(report.subjects(RDF.type, SH.ValidationReport))
    got_conforms = report.value(root, SH.conforms).toPython()
    if got_conforms != want_conforms or conforms != want_conforms:
        return "fail", f"sh:conforms {got_conforms}, expected {want_conforms}"
    known = {t for g in (shapes, data) for triple in g for t in triple if isinstance(t, BNode)}
    want = [_key(test.manifest, r, known) for r in test.manifest.objects(expected, SH.result)]
    got = [_key(report, r, None, shapes) for r in report.objects(root, SH.result)]
    missing, extra = _match(want, got)
    if missing or extra:
        return "fail", f"results differ: missing {missing}, unexpected {extra}"
    return "pass", ""


_COMPARED = (SH.focusNode, SH.resultPath, SH.value, SH.resultSeverity, SH.sourceShape,
             SH.sourceConstraintComponent, SH.sourceConstraint)
ANY_BNODE = "_:any"


def _key(g: Graph, result, known: set | None, shapes: Graph | None = None) -> tuple:
    out = []
    for p in _COMPARED:
        values = list(g.objects(result, p))
        if len(values) > 1:
            out.append(("several", tuple(sorted(map(str, values)))))
            continue
        v = values[0] if values else None
        if p == SH.resultPath and v is not None:
            out.append(_path(g if (v, None, None) in g or shapes is None else shapes, v))
        elif isinstance(v, BNode) and known is not None and v not in known:
            out.append(ANY_BNODE)
        elif isinstance(v, rdflib.Literal):
            # as rdflib builds report terms (normalised: the expected ones were read as written)
            out.append(rdflib.Literal(str(v), lang=v.language, datatype=v.datatype, normalize=True))
        else:
            out.append(v)
    return tuple(out)


def _path(g: Graph, node):
    """A property path as a nested tuple (its blank nodes are copies, compared by structure)."""
    if isinstance(node, URIRef):
        return node
    if (node, RDF.first, None) in g:
        return ("sequence", *(_path(g, n) for n in Collection(g, node)))
    for kind in (SH.inversePath, SH.zeroOrMorePath, SH.oneOrMorePath, SH.zeroOrOnePath):
        inner = g.value(node, kind)
        if inner is not None:
            return (kind.fragment, _path(g, inner))
    alt = g.value(node, SH.alternativePath)
    if alt is not None:
        return ("alternative", *(_path(g, n) for n in Collection(g, alt)))
    return ("unknown", str(node))


def _same(w, g) -> bool:
    if w == ANY_BNODE:
        return isinstance(g, BNode)
    if isinstance(w, tuple) and isinstance(g, tuple):
        return len(w) == len(g) and all(_same(a, b) for a, b in zip(w, g))
    return w == g


def _match(want: list, got: list) -> tuple[list, list]:
    """The expected results not found and the results not expected (each result matched once)."""
    left = list(got)
    missing = []
    for w in sorted(want, key=lambda k: sum(x == ANY_BNODE for x in k)):
        for i, g in enumerate(left):
            if _same(w, g):
                del left[i]
                break
        else:
            missing.append(w)
    return missing, left


# ---------------------------------------------------------------------------------------------
# The tests
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("test", TESTS, ids=[t.name for t in TESTS])
def test_w3c_suite(test):
    """Pass, or a clean refusal: never a crash (any other exception fails the test) nor a wrong answer."""
    outcome, detail = run_test(test)
    assert outcome in ("pass", "refused"), f"{test.name} ({test.label}): {detail}"


def test_the_suite_is_all_there():
    assert len(TESTS) == 121
    assert Counter(t.name.split("/")[0] for t in TESTS) == {"core": 98, "sparql": 23}


# ---------------------------------------------------------------------------------------------
# The results table of docs/shacl-engine.md
# ---------------------------------------------------------------------------------------------

BEGIN = "<!-- w3c-results: generated by tests/test_shacl_w3c.py (pytest tests/test_shacl_w3c.py --update-golden) -->"
END = "<!-- w3c-results: end -->"


def results_table(outcomes: dict[str, tuple[str, str]]) -> str:
    """Markdown: pass / refused per folder, then the refused tests by the feature named."""
    folders: dict[str, Counter] = {}
    for t in TESTS:
        folders.setdefault(t.folder, Counter())[outcomes[t.name][0]] += 1
    lines = ["| folder | tests | pass | refused (`unsupported-shape`) | fail |", "|---|---:|---:|---:|---:|"]
    total: Counter = Counter()
    for folder, c in folders.items():
        total += c
        lines.append(f"| {folder} | {sum(c.values())} | {c['pass']} | {c['refused']} | {c['fail']} |")
    lines.append(f"| **total** | **{sum(total.values())}** | **{total['pass']}** | **{total['refused']}** | "
                 f"**{total['fail']}** |")
    rejected = [(n, d) for n, (o, d) in outcomes.items() if o == "pass" and d.startswith("rejected: ")]
    lines += ["", f"Of the passes, {len(rejected)} are shapes graphs SHACL does not allow (the expected result is "
                  "`sht:Failure`), rejected with `unsupported-shape` (\"the shapes graph is not valid SHACL\"):", "",
              "| test | rejected because |", "|---|---|"]
    lines += [f"| {n} | {d.removeprefix('rejected: ')} |" for n, d in rejected]
    by_feature: dict[str, list[str]] = {}
    for n, (o, d) in outcomes.items():
        if o == "refused":
            by_feature.setdefault(d, []).append(n.split("/", 1)[1])
    lines += ["", "Refused tests by the feature the refusal names (one per test: the first by name of those it uses):",
              "", "| feature not implemented | tests | which |", "|---|---:|---|"]
    for feature, names in sorted(by_feature.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        lines.append(f"| {feature.replace('|', '/')} | {len(names)} | {', '.join(names)} |")
    return "\n".join(lines) + "\n"


def test_results_table_in_docs(update_golden):
    outcomes = {t.name: run_test(t) for t in TESTS}
    table = results_table(outcomes)
    text = DOC.read_text(encoding="utf-8")
    assert BEGIN in text and END in text, f"{DOC} lost its markers"
    before, rest = text.split(BEGIN, 1)
    _, after = rest.split(END, 1)
    if update_golden:
        DOC.write_text(f"{before}{BEGIN}\n{table}{END}{after}", encoding="utf-8")
        text = DOC.read_text(encoding="utf-8")
    assert f"{BEGIN}\n{table}{END}" in text, "docs/shacl-engine.md: run pytest tests/test_shacl_w3c.py --update-golden"
