"""Users' own profiles (issue 20): a folder of the user's shapes, given with --profile PATH or found in the user
profiles folder, validated and reported as the built-in profiles are; every problem of such a folder reported
at once with its file:line. The example is examples/profiles/house-rules (ACME's house rules); its fixtures are
tests/fixtures/profiles/house-rules-*.ttl, whose `# expect:` lines give the findings."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.cli.main import app
from kg.validate import load_profiles, validate_paths, validate_store

from .conftest import engine_params

ROOT = Path(__file__).resolve().parent.parent
HOUSE_RULES = ROOT / "examples" / "profiles" / "house-rules"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
VIOLATES = FIXTURES / "profiles" / "house-rules-violates.ttl"
CONFORMS = FIXTURES / "profiles" / "house-rules-conforms.ttl"
runner = CliRunner()


@pytest.fixture(autouse=True)
def no_user_profiles(tmp_path, monkeypatch):
    """Each test starts with an empty user profiles folder of its own (never the developer's)."""
    folder = tmp_path / "user-profiles"
    folder.mkdir()
    monkeypatch.setenv("POLICYKG_PROFILES", str(folder))
    return folder


def expected(fixture: Path) -> set[tuple[str, str]]:
    """(shape id, focus local name) of the fixture's `# expect:` lines."""
    return {(m.group(1), m.group(2)) for m in re.finditer(r"^# expect: (\S+) ex:(\S+)", fixture.read_text(), re.M)}


def house_findings(run) -> set[tuple[str, str]]:
    return {(f.shape, f.focus.rsplit("#", 1)[-1]) for r in run.reports for f in r.findings if f.profile == "house-rules"}


def comparable(run) -> list[tuple]:
    return sorted((r.policy, f.profile, f.shape, f.severity, f.focus, f.path or "", f.value or "",
                   f.message.get("en", ""), f.message.get("fr", ""), f.fix.get("fr", ""))
                  for r in run.reports for f in r.findings)


def copy_profile(tmp_path: Path, name: str = "house-rules", source: Path = HOUSE_RULES) -> Path:
    folder = tmp_path / name
    shutil.copytree(source, folder)
    return folder


def write_profile(folder: Path, pid: str, shapes: str = "", header_extra: str = "") -> Path:
    """A small profile folder: a profile.ttl header (always applies, imports core) and one file of shapes."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "profile.ttl").write_text(f"""@prefix pks: <https://w3id.org/policykg/shapes#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .

pks:profile-{pid} a pks:Profile ;
    dct:identifier "{pid}" ;
    dct:title "Test rules"@en, "Règles d'essai"@fr ;
    dct:description "Rules made for a test."@en, "Des règles écrites pour un essai."@fr ;
    owl:imports pks:profile-core ;
    {header_extra}
    pks:appliesAlways "always"@en, "toujours"@fr .
""", encoding="utf-8")
    (folder / "rules.ttl").write_text("""@prefix pks: <https://w3id.org/policykg/shapes#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix dpv: <https://w3id.org/dpv#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

""" + shapes, encoding="utf-8")
    return folder


def shape(sid: str, body: str, *, fr: bool = True) -> str:
    messages = '"Something is wrong."@en' + (', "Quelque chose ne va pas."@fr' if fr else "")
    kind = "sh:PropertyShape" if "sh:path" in body and "sh:property [" not in body else "sh:NodeShape"
    return f"""pks:{sid} a {kind} ;
    sh:targetClass dpv:Process ;
    sh:message {messages} ;
    pks:fix "Fix it."@en, "Corrigez-le."@fr ;
    {body} .

"""


# --- validation: the example, both engines ------------------------------------------------------------------

@pytest.mark.parametrize("engine", engine_params("oxigraph", "pyshacl"))
def test_house_rules_find_what_the_fixtures_expect(engine):
    run = validate_paths([VIOLATES, CONFORMS], profiles=[str(HOUSE_RULES)], engine=engine)
    by_policy = {r.policy: r for r in run.reports}
    assert house_findings(run) == expected(VIOLATES)
    assert not [f for f in by_policy["keeper@2025-03-01"].findings if f.profile == "house-rules"]
    assert [pid for pid, _ in by_policy["spender@2025-03-01"].profiles] == ["core", "house-rules"]
    finding = next(f for f in by_policy["spender@2025-03-01"].findings
                   if f.shape == "house-rules-2-retention-over-three-years")
    assert finding.value == "P5Y" and "P5Y" in finding.message["fr"] and finding.text("article", "fr") == \
        "ACME DP-01, règle 2 (section 5.1)"


@pytest.mark.slow   # pySHACL, the reference
def test_both_engines_give_the_same_findings():
    runs = [validate_paths([VIOLATES, CONFORMS], profiles=[str(HOUSE_RULES)], engine=e) for e in ("oxigraph", "pyshacl")]
    assert comparable(runs[0]) == comparable(runs[1])
    assert any(f[1] == "house-rules" for f in comparable(runs[0]))


@pytest.mark.parametrize("engine", engine_params("oxigraph", "pyshacl"))
def test_retention_periods_around_three_years(engine, tmp_path):
    """The duration arithmetic of house-rules-2: P3Y, P36M and P1095D keep the rule; P37M, P1097D and P3Y1D
    break it (a year of 365.25 days, a month of 30.4375)."""
    text = CONFORMS.read_text()
    broken = set()
    for period in ("P3Y", "P36M", "P1095D", "P37M", "P1097D", "P3Y1D", "P2Y11M30D"):
        path = tmp_path / f"{period}.ttl"
        path.write_text(text.replace('"P2Y"^^xsd:duration', f'"{period}"^^xsd:duration'))
        run = validate_paths([path], profiles=[str(HOUSE_RULES)], engine=engine)
        if ("house-rules-2-retention-over-three-years", "hosting") in house_findings(run):
            broken.add(period)
    assert broken == {"P37M", "P1097D", "P3Y1D"}


def test_auto_chooses_the_user_profiles_folder_by_applicability(no_user_profiles, tmp_path):
    copy_profile(no_user_profiles)
    run = validate_paths([VIOLATES], profiles="auto")
    chosen = dict(run.reports[0].profiles)
    assert "house-rules" in chosen and "Email Address" in chosen["house-rules"]["en"]
    assert house_findings(run) == expected(VIOLATES)
    # a policy without personal data: the trigger does not fire, auto leaves the profile out
    silent = tmp_path / "no-data.ttl"
    silent.write_text(re.sub(r"dpv:hasPersonalData pd:EmailAddress ;", "", CONFORMS.read_text()))
    assert "house-rules" not in dict(validate_paths([silent], profiles="auto").reports[0].profiles)
    # requested by id, it is reported once as not applicable
    notices = [f.shape for f in validate_paths([silent], profiles=["house-rules"]).reports[0].findings]
    assert "house-rules-not-applicable" in notices


def test_user_profiles_folder_location(monkeypatch, tmp_path):
    from kg.validate.user_profiles import user_profiles_dir
    monkeypatch.setenv("POLICYKG_PROFILES", str(tmp_path / "mine"))
    assert user_profiles_dir() == tmp_path / "mine"
    monkeypatch.delenv("POLICYKG_PROFILES")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert user_profiles_dir() == tmp_path / "config" / "policykg" / "profiles"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert user_profiles_dir() == tmp_path / "home" / ".config" / "policykg" / "profiles"


def test_an_edited_profile_is_read_again_in_the_same_process(tmp_path):
    folder = copy_profile(tmp_path)
    assert house_findings(validate_paths([CONFORMS], profiles=[str(folder)])) == set()
    retention = folder / "retention.ttl"
    retention.write_text(retention.read_text().replace("> 17532)", "> 11000)"))   # two years now break it
    assert ("house-rules-2-retention-over-three-years", "hosting") in house_findings(
        validate_paths([CONFORMS], profiles=[str(folder)]))


# --- the CLI ---------------------------------------------------------------------------------------------------

def test_cli_validate_text_json_sarif():
    text = runner.invoke(app, ["validate", str(VIOLATES), "--profile", str(HOUSE_RULES), "--lang", "fr"])
    assert text.exit_code == 1, text.output
    assert "spender  profil house-rules  non conforme : 2 violations, 1 avertissement" in text.stdout
    assert "la règle 1 d'ACME l'interdit" in text.stdout
    document = json.loads(runner.invoke(app, ["validate", str(VIOLATES), "-p", str(HOUSE_RULES), "-f", "json"]).stdout)
    shapes = {(f["shape"], f["focus"].rsplit("#", 1)[-1]) for r in document["reports"] for f in r["findings"]
              if f["profile"] == "house-rules"}
    assert shapes == expected(VIOLATES)
    sarif = json.loads(runner.invoke(app, ["validate", str(VIOLATES), "-p", str(HOUSE_RULES), "-f", "sarif"]).stdout)
    rules = {r["id"]: r for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["house-rules-1-transfers-outside-eea"]["helpUri"] == "https://intranet.acme.example/policies/DP-01#rule-1"
    assert rules["house-rules-2-retention-checkable"]["properties"]["profile"] == "house-rules"
    assert rules["core-notice-date"]["helpUri"].startswith("https://w3id.org/policykg/docs/profiles#")
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} >= {s for s, _ in expected(VIOLATES)}


def test_cli_profiles_lists_user_profiles_with_their_origin(no_user_profiles, tmp_path):
    copy_profile(no_user_profiles, "acme")
    other = write_profile(tmp_path / "extra", "extra", shape("extra-purpose", "sh:property pks:extra-purpose-p"))
    (other / "rules.ttl").write_text((other / "rules.ttl").read_text() + """pks:extra-purpose-p a sh:PropertyShape ;
    sh:path dpv:hasPurpose ; sh:minCount 1 ;
    sh:message "No purpose."@en, "Aucune finalité."@fr ; pks:fix "State it."@en, "Indiquez-la."@fr .
""")
    table = runner.invoke(app, ["profiles", "--profile", str(other)])
    assert table.exit_code == 0, table.output
    rows = [line.split("\t") for line in table.stdout.splitlines()]
    origins = {r[0]: r[4] for r in rows[1:]}
    assert origins["gdpr"] == "built-in" and origins["house-rules"] == str(no_user_profiles / "acme")
    assert origins["extra"] == str(other)
    document = json.loads(runner.invoke(app, ["profiles", "-f", "json"]).stdout)
    house = next(p for p in document["profiles"] if p["id"] == "house-rules")
    assert house["origin"] == str(no_user_profiles / "acme") and house["applies_when"][0]["rank"] == 1
    assert {s["id"] for s in house["shapes"]} == {"house-rules-1-transfers-outside-eea",
                                                   "house-rules-2-retention-over-three-years",
                                                   "house-rules-2-retention-checkable"}
    where = runner.invoke(app, ["profiles", "--where", "--lang", "fr"]).stdout
    assert "données personnelles" in where


# --- the store, its report cache, the HTML report --------------------------------------------------------------

@pytest.fixture
def fixture_store(tmp_path):
    store = tmp_path / "store"
    result = runner.invoke(app, ["build", str(FIXTURES / "policies"), "--store", str(store)])
    assert result.exit_code == 0, result.output
    return store


def test_store_validation_and_its_cache_see_an_edited_profile(fixture_store, tmp_path):
    folder = copy_profile(tmp_path)
    first = validate_store(fixture_store, ["example"], profiles=[str(folder)], workers=1)
    assert "house-rules" in dict(first.reports[0].profiles) and house_findings(first) == set()
    again = validate_store(fixture_store, ["example"], profiles=[str(folder)], workers=1)
    assert comparable(again) == comparable(first)          # from the cache
    retention = folder / "retention.ttl"
    retention.write_text(retention.read_text().replace("> 17532)", "> 11000)"))   # the card's P3Y breaks it now
    edited = validate_store(fixture_store, ["example"], profiles=[str(folder)], workers=1)
    assert ("house-rules-2-retention-over-three-years", "newsletter") in house_findings(edited)
    cli = runner.invoke(app, ["validate", "example", "--store", str(fixture_store), "-p", str(folder), "-f", "json"])
    assert "house-rules-2-retention-over-three-years" in cli.stdout


def test_html_report_with_a_user_profile(fixture_store, tmp_path):
    out = tmp_path / "site"
    result = runner.invoke(app, ["report", "-o", str(out), "--store", str(fixture_store), "-p", str(HOUSE_RULES),
                                 "--sources", str(FIXTURES / "sources"), "--quiet"])
    assert result.exit_code == 0, result.output
    pages = "\n".join(p.read_text(encoding="utf-8") for p in out.rglob("*.html"))
    assert "house-rules" in pages
    bad = write_profile(tmp_path / "bad", "gdpr")
    refused = runner.invoke(app, ["report", "-o", str(tmp_path / "site2"), "--store", str(fixture_store),
                                  "-p", str(bad)])
    assert refused.exit_code == 2 and "PKG-E047" in refused.stderr


# --- errors: clear, with file:line, all at once ----------------------------------------------------------------

def run_cli(*profiles: Path):
    args = ["validate", str(CONFORMS)]
    for p in profiles:
        args += ["--profile", str(p)]
    return runner.invoke(app, args)


def test_id_of_a_built_in_profile_is_a_clash(tmp_path):
    folder = write_profile(tmp_path / "mine", "gdpr")
    result = run_cli(folder)
    assert result.exit_code == 2
    assert "error[PKG-E047 profile-clash]: the profile id 'gdpr'" in result.stderr
    assert f"where: {folder / 'profile.ttl'}:5" in result.stderr
    assert "Traceback" not in result.output


def test_id_of_another_user_profile_is_a_clash(no_user_profiles, tmp_path):
    copy_profile(no_user_profiles)
    result = run_cli(copy_profile(tmp_path, "again"))
    assert result.exit_code == 2 and "PKG-E047" in result.stderr and "is already the id of the profile of" in result.stderr
    shape_clash = write_profile(tmp_path / "s", "mine", shape("gdpr-13-2-a-retention-stated", "sh:maxCount 0 ; sh:path dpv:hasPurpose"))
    result = run_cli(shape_clash)
    assert result.exit_code == 2 and "the shape gdpr-13-2-a-retention-stated" in result.stderr
    assert f"{shape_clash / 'rules.ttl'}:6" in result.stderr


def test_turtle_syntax_error_at_its_line(tmp_path):
    folder = write_profile(tmp_path / "mine", "mine")
    (folder / "broken.ttl").write_text('@prefix pks: <https://w3id.org/policykg/shapes#> .\n\npks:a pks:b "no end .\n')
    result = run_cli(folder)
    assert result.exit_code == 2
    assert "error[PKG-E019 rdf-syntax]: Turtle syntax error" in result.stderr
    assert f"where: {folder / 'broken.ttl'}:3" in result.stderr
    # the other files are still checked: a message missing in French is reported with it
    (folder / "rules.ttl").write_text((folder / "rules.ttl").read_text()
                                      + shape("mine-a", "sh:path dpv:hasPurpose ; sh:maxCount 0", fr=False))
    result = run_cli(folder)
    assert "error[PKG-E019 rdf-syntax]" in result.stderr and "the shape mine-a has no sh:message in fr" in result.stderr
    assert "2 problems in the profile folder(s)" in result.stderr


def test_a_clash_and_a_refused_shape_are_reported_together(tmp_path):
    folder = write_profile(tmp_path / "mine", "law25", shape("mine-target", TARGET).replace(
        "    sh:targetClass dpv:Process ;\n", "") + PURPOSE)
    result = run_cli(folder)
    codes = re.findall(r"^error\[(PKG-E\d+) ", result.stderr, re.M)
    assert result.exit_code == 2 and codes == ["PKG-E047", "PKG-E045", "PKG-E041"], result.stderr


def test_no_header_is_bad_profile(tmp_path):
    folder = write_profile(tmp_path / "mine", "mine")
    (folder / "profile.ttl").write_text("@prefix dct: <http://purl.org/dc/terms/> .\n<urn:x> dct:title \"x\" .\n")
    result = run_cli(folder)
    assert result.exit_code == 2 and "error[PKG-E041 bad-profile]" in result.stderr and "declares no pks:Profile" in result.stderr
    missing = run_cli(tmp_path / "nowhere/")
    assert missing.exit_code == 2 and "does not exist" in missing.stderr


def test_every_problem_of_a_folder_at_once(tmp_path):
    body = "sh:property [ sh:path dpv:hasPurpose ; sh:minCount 1 ]"
    folder = write_profile(tmp_path / "mine", "mine", shape("mine-a", body, fr=False) + shape("mine-b", "sh:path dpv:hasPurpose ; sh:maxCount 1"),
                           header_extra="owl:imports pks:profile-nope ;")
    (folder / "profile.ttl").write_text((folder / "profile.ttl").read_text().replace(', "Règles d\'essai"@fr', ""))
    result = run_cli(folder)
    assert result.exit_code == 2
    errors = re.findall(r"^error\[(PKG-E\d+) [a-z-]+\]: (.*)$", result.stderr, re.M)
    whats = [w for _, w in errors]
    assert "the profile has no dct:title in fr" in whats
    assert "the shape mine-a has no sh:message in fr" in whats
    assert "the shape mine-a has a blank-node sh:property shape" in whats
    assert "the profile 'mine' imports the unknown profile 'nope'" in whats
    assert whats[-1] == "4 problems in the profile folder(s) " + str(folder)
    assert f"{folder / 'rules.ttl'}:6" in result.stderr and f"{folder / 'profile.ttl'}:5" in result.stderr


TARGET = """sh:target [ a sh:SPARQLTarget ; sh:prefixes pks:prefixes ;
        sh:select "SELECT ?this WHERE { ?this a dpv:Process }" ] ;
    sh:property pks:mine-target-purpose"""
PURPOSE = """pks:mine-target-purpose a sh:PropertyShape ; sh:path dpv:hasPurpose ; sh:maxCount 0 ;
    sh:message "A purpose."@en, "Une finalité."@fr ; pks:fix "Remove it."@en, "Retirez-la."@fr .
"""


def test_a_shape_the_engine_refuses_names_the_feature_and_runs_on_pyshacl(tmp_path):
    """Decision 0004 (amended for issue 20): no automatic fallback; the default engine refuses with the feature
    and its file:line, --engine pyshacl runs the profile."""
    folder = write_profile(tmp_path / "mine", "mine", shape("mine-target", TARGET).replace(
        "    sh:targetClass dpv:Process ;\n", "") + PURPOSE)
    result = run_cli(folder)
    assert result.exit_code == 2
    assert "error[PKG-E045 unsupported-shape]: the oxigraph SHACL engine does not implement sh:target" in result.stderr
    assert f"where: {folder / 'rules.ttl'}:6" in result.stderr and "--engine pyshacl" in result.stderr
    run = validate_paths([CONFORMS], profiles=[str(folder)], engine="pyshacl")
    assert {f.shape for r in run.reports for f in r.findings if f.profile == "mine"} == {"mine-target-purpose"}


def test_library_errors_name_the_file_and_line(tmp_path):
    from kg.errors import KgError
    folder = write_profile(tmp_path / "mine", "mine", shape("mine-a", "sh:path dpv:hasPurpose ; sh:maxCount 0", fr=False))
    with pytest.raises(KgError) as caught:
        load_profiles(None, [str(folder)])
    assert caught.value.id == "bad-profile" and str(caught.value.where) == f"{folder / 'rules.ttl'}:6"


# --- the worked example of docs/profiles.md is the example as it is, and its output a real run's ----------------

def doc_section() -> str:
    doc = (ROOT / "docs" / "profiles.md").read_text(encoding="utf-8")
    return doc.split("## Your own profile", 1)[1].split("\n## ", 1)[0]


def test_the_docs_show_each_file_of_the_example():
    section = doc_section()
    for path in sorted(HOUSE_RULES.glob("*.ttl")):
        shown = re.search(rf"`examples/profiles/house-rules/{re.escape(path.name)}`:\n\n```turtle\n(.*?)\n```",
                          section, re.S)
        assert shown is not None, path.name
        assert shown.group(1) == path.read_text(encoding="utf-8").rstrip(), f"docs/profiles.md shows an old {path.name}"


def test_the_docs_show_the_output_of_a_real_run(monkeypatch):
    monkeypatch.chdir(ROOT)
    section = doc_section()
    command = "policykg validate tests/fixtures/profiles/house-rules-violates.ttl --profile examples/profiles/house-rules"
    shown = re.search(rf"\$ {re.escape(command)}\n(.*?)\n```", section, re.S).group(1)
    result = runner.invoke(app, command.split()[1:])
    assert result.exit_code == 1 and result.stdout.rstrip() == shown


def test_auto_with_a_profile_folder_runs_both():
    """--profile auto --profile PATH: the profiles auto chooses (the laws that apply) and the folder's, requested."""
    run = validate_paths([VIOLATES], profiles=["auto", str(HOUSE_RULES)])
    chosen = dict(run.reports[0].profiles)
    assert {"core", "gdpr", "consistency", "house-rules"} <= set(chosen)
    assert chosen["house-rules"]["en"].startswith("requested: ")
    assert house_findings(run) == expected(VIOLATES)


@pytest.mark.parametrize("header, said", [
    ('pks:order "ten" ;', "pks:order ten is not an integer"),
    ('pks:inForceFrom "2025-13-01"^^<http://www.w3.org/2001/XMLSchema#date> ;', "pks:inForceFrom 2025-13-01 is not an xsd:date"),
    ('pks:notApplicable "no"@en, "non"@fr ; pks:appliesWhen [ pks:rank "one" ; pks:reason "r"@en, "r"@fr ; '
     'pks:select "SELECT ?x WHERE { ?x a dpv:Process }" ] ;', "pks:rank one of trigger 1 is not an integer"),
    ('pks:notApplicable "no"@en, "non"@fr ; pks:appliesWhen [ pks:rank 1 ; pks:reason "r"@en, "r"@fr ; '
     'pks:select "SELECT ?x WHERE { ?x a dpv:Process" ] ;', "the pks:select of trigger 1 is not SPARQL"),
])
def test_header_values_that_cannot_be_read(tmp_path, header, said):
    folder = write_profile(tmp_path / "mine", "mine", header_extra=header)
    result = run_cli(folder)
    assert result.exit_code == 2 and said in result.stderr and "Traceback" not in result.output, result.output
    assert f"{folder / 'profile.ttl'}:5" in result.stderr
