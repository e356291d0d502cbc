"""Every shape has a conforming and a violating fixture (tests/shapes/<profile>/<shape-id>.*.ttl).

`<id>.conforms.ttl` must produce no finding of that shape; `<id>.violates.ttl` must produce exactly the
(shape id, focus node) pairs of its `# expect: <shape-id> <focus local id>` lines. A shape without both
files fails. Both engines (pySHACL, the reference, and pyshacl-turbo) must give the same findings.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from kg.load_rdf import load_rdf_policies
from kg.validate import DEFAULT_ENGINE, ENGINES, REFERENCE_ENGINE, load_profiles, validate_graph

FIXTURES = Path(__file__).resolve().parent / "shapes"
SHAPES = [(pid, sid) for pid, profile in sorted(load_profiles().items()) for sid in profile.shape_ids()]


def _expected(path: Path) -> set[tuple[str, str]]:
    out = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"#\s*expect:\s*(\S+)\s+(\S+)", line)
        if m:
            out.add((m.group(1), m.group(2)))
    return out


def _findings(path: Path, profile: str, vocabulary, engine: str = DEFAULT_ENGINE, only: list[str] | None = None) -> list:
    out = []
    for rp in load_rdf_policies(path, vocabulary=vocabulary):
        out += validate_graph(rp.graph, rp.key, vocabulary, profiles=[profile], engine=engine,
                              only_shapes=only, applicability=False).findings
    return out


def _local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1]


@pytest.mark.parametrize("profile,shape", SHAPES, ids=[s for _, s in SHAPES])
def test_shape_fixtures(profile, shape, vocabulary):
    conforms = FIXTURES / profile / f"{shape}.conforms.ttl"
    violates = FIXTURES / profile / f"{shape}.violates.ttl"
    assert conforms.is_file() and violates.is_file(), f"write {conforms} and {violates}"
    ok = [f for f in _findings(conforms, profile, vocabulary) if f.shape == shape]
    assert not ok, [(f.shape, _local(f.focus), f.value) for f in ok]
    expected = _expected(violates)
    assert expected and all(sid == shape for sid, _ in expected), f"{violates}: add '# expect: {shape} <focus>'"
    got = {(f.shape, _local(f.focus)) for f in _findings(violates, profile, vocabulary) if f.shape == shape}
    assert got == expected


def test_no_orphan_fixtures():
    known = {s for _, s in SHAPES}
    orphans = [p.name for p in FIXTURES.rglob("*.ttl") if p.name.split(".")[0] not in known]
    assert not orphans, orphans


CURIE = re.compile(r"\b(dpv|pd|pkx|eu-gdpr|legal-eu|legal-fr|tech|loc):[A-Za-z]")


def test_every_shape_is_documented():
    """Named shapes with severity, fr+en message and fix, a name, an article (in English and in French
    citation style) and a legal reference; a card hint in both languages when there is one; each per-law
    citation (pks:citation) with its profile and its article in both languages; law25 shapes dated
    (pks:inForceFrom, an xsd:date)."""
    from rdflib.namespace import DCTERMS, SH, XSD
    from kg import namespaces as ns
    problems = []
    for pid, profile in load_profiles().items():
        g = profile.graph
        for sid in profile.shape_ids():
            s = ns.PKS[sid]
            langs = lambda p, node=s: {o.language for o in g.objects(node, p)}  # noqa: E731
            if g.value(s, SH.severity) is None:
                problems.append(f"{sid}: no sh:severity")
            for prop in (SH.message, ns.PKS.fix, SH.name, ns.PKS.article):
                if not {"en", "fr"} <= langs(prop):
                    problems.append(f"{sid}: {prop.n3()} needs @en and @fr")
            if g.value(s, ns.PKS.cardHint) is not None and not {"en", "fr"} <= langs(ns.PKS.cardHint):
                problems.append(f"{sid}: pks:cardHint needs @en and @fr")
            for citation in g.objects(s, ns.PKS.citation):
                if g.value(citation, ns.PKS.profile) is None or not {"en", "fr"} <= langs(ns.PKS.article, citation):
                    problems.append(f"{sid}: each pks:citation needs pks:profile and pks:article @en and @fr")
            when = g.value(s, ns.PKS.inForceFrom)
            if (pid == "law25" and when is None) or (when is not None and when.datatype != XSD.date):
                problems.append(f"{sid}: pks:inForceFrom needs an xsd:date (every law25 shape has one)")
            if pid != "core" and any(CURIE.search(str(o)) for o in g.objects(s, ns.PKS.fix)):
                problems.append(f"{sid}: pks:fix is advice to the controller: RDF terms go to pks:cardHint")
            if g.value(s, DCTERMS.references) is None or g.value(s, ns.PKS.article) is None:
                problems.append(f"{sid}: needs dct:references and pks:article")
            if not re.fullmatch(rf"{re.escape(pid)}-[a-z0-9-]+", sid):
                problems.append(f"{sid}: ids start with the profile id ({pid}-…)")
    assert not problems, problems


def _comparable(findings) -> set:
    return {(f.shape, f.focus, f.value, f.severity, f.path, tuple(sorted(f.message.items()))) for f in findings}


@pytest.mark.slow   # pySHACL agreement, shape by shape
@pytest.mark.parametrize("profile,shape", SHAPES, ids=[s for _, s in SHAPES])
def test_engines_agree_on_fixtures(profile, shape, vocabulary):
    """Every engine gives the findings of pySHACL (the reference), messages included, on every fixture
    (the shape under test only: pySHACL takes seconds per profile; whole profiles are compared on the
    seeds in tests/test_validate.py)."""
    engines = [e for e in ENGINES if e != "pyshacl-turbo" or _has_turbo()]
    for kind in ("conforms", "violates"):
        path = FIXTURES / profile / f"{shape}.{kind}.ttl"
        if not path.is_file():
            pytest.skip("fixture missing (reported by test_shape_fixtures)")
        results = {e: _comparable(_findings(path, profile, vocabulary, e, [shape])) for e in engines}
        for engine in engines:
            assert results[engine] == results[REFERENCE_ENGINE], (engine, path.name)
        if kind == "violates":
            assert results[REFERENCE_ENGINE], f"{path.name}: the shape reported nothing when run alone"


@pytest.mark.slow   # pySHACL agreement, whole profiles
@pytest.mark.parametrize("profile", sorted(load_profiles()))
def test_oxigraph_engine_on_whole_profiles(profile, vocabulary):
    """The oxigraph engine, run on a whole profile (every shape at once, auto-selected imports), finds
    on each fixture what pySHACL finds on the same profile."""
    paths = sorted((FIXTURES / profile).glob("*.ttl"))[:6]
    for path in paths:
        ours = _comparable(_findings(path, profile, vocabulary, "oxigraph"))
        ref = _comparable(_findings(path, profile, vocabulary, REFERENCE_ENGINE))
        assert ours == ref, path.name


def _has_turbo() -> bool:
    try:
        import pyshacl_turbo  # noqa: F401
    except ImportError:
        return False
    return True


def test_requirements_table_covers_every_shape():
    """docs/profiles.md's requirements table (the hand-written part, after the generated one): every shape id
    it names exists, and every shape is named in it (with the requirement it checks)."""
    doc = (Path(__file__).resolve().parents[1] / "docs" / "profiles.md").read_text(encoding="utf-8")
    assert "## Requirements and the shapes that check them" in doc
    part = doc.split("## Requirements and the shapes that check them", 1)[1].split("\n## ", 1)[0]
    named = set()
    for line in part.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and line.startswith("|") and not set(cells[0]) <= set("-"):
            named |= set(re.findall(r"`([a-z0-9-]+)`", cells[2]))
    known = {s for _, s in SHAPES}
    assert not named - known, sorted(named - known)
    assert not known - named, sorted(known - named)


def test_purpose_without_legal_basis_quotes_a_lawful_basis(vocabulary):
    """consistency-purpose-without-legal-basis quotes, for comparison, a lawful basis given elsewhere, not a
    disclosure of public information (pkx:PubliclyAvailableInformation, a local law's exception to consent)
    that comes first in alphabetical order: PlanetHoster's «Lorsque ces renseignements sont publics» was quoted
    as the basis the policy gives elsewhere while gdpr-6-1-lawful-basis says it is none."""
    shape = "consistency-purpose-without-legal-basis"
    path = FIXTURES / "consistency" / f"{shape}.violates.ttl"
    found = [f for f in _findings(path, "consistency", vocabulary, only=[shape]) if f.shape == shape]
    assert found and all("«to perform the contract»" in f.message["en"] for f in found), \
        [f.message["en"] for f in found]


@pytest.mark.parametrize("place,needs_representative", [("loc:GB", True), ("loc:IE", False), ("loc:NO", False)])
def test_the_united_kingdom_is_outside_the_eea(place, needs_representative, vocabulary, tmp_path):
    """DPV's loc:GB is still under loc:EEA31 and loc:EU28 (loc:EEA31 skos:broader loc:EEA); since 31 January
    2020 the United Kingdom is outside the Union and the EEA (ontology/territories.ttl), so a controller there
    that targets people in France needs an Art. 27 representative, as one in French Polynesia does."""
    text = (FIXTURES / "gdpr" / "gdpr-27-representative.violates.ttl").read_text(encoding="utf-8")
    path = tmp_path / "controller.ttl"
    path.write_text(text.replace("dpv:hasLocation loc:PF", f"dpv:hasLocation {place}"), encoding="utf-8")
    got = {(f.shape, _local(f.focus)) for f in _findings(path, "gdpr", vocabulary, only=["gdpr-27-representative"])}
    assert (("gdpr-27-representative", "acme") in got) is needs_representative


def test_the_vocabulary_places_the_united_kingdom_outside_the_eea(vocabulary):
    from kg import namespaces as ns
    gb = "https://w3id.org/dpv/loc#GB"
    assert not vocabulary.in_territory(gb, str(ns.PKX) + "territory-EEA")
    assert not vocabulary.in_territory(gb, str(ns.PKX) + "territory-EU")
