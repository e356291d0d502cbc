"""`policykg match` (issue 20): the verdicts of the two shipped examples on both seeds, as docs/preferences.md
gives them after a person checked each against the seed texts; the command's outputs and exit codes; a
stored policy matched as its card is; both engines agree on the seeds (slow)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.cli.main import app
from kg.preferences import match_targets

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "preferences"
SEEDS = [str(ROOT / "data" / "policies" / "planethoster"), str(ROOT / "data" / "policies" / "whiteprovider")]
runner = CliRunner()

# example -> policy -> preference -> (verdict, statements behind the deciding evidence, or the rights missing)
GOLDEN = {
    "cautious-person": {
        "planethoster": {
            "no-marketing-without-consent": ("not-met", {"P28"}),      # profiling cookie on implied consent
            "data-stay-in-europe": ("unknown", {"P64"}),               # Switzerland adequate by law; Canada's
            #                                                            decision covers some recipients only
            "kept-at-most-three-years": ("unknown", {"P25", "P61", "P62"}),   # "la durée nécessaire"
            "no-third-parties": ("not-met", {"P59"}),                  # "les tiers à qui … ont été fournis"
            "my-rights-by-email": ("unknown", {"complaint", "erasure", "objection", "portability"}),
            "no-tracking-without-consent": ("not-met", {"P28"}),
        },
        "whiteprovider": {
            "no-marketing-without-consent": ("unknown", {"W21"}),      # bases listed, none tied to it
            "data-stay-in-europe": ("unknown", set()),                 # where data are kept is not said
            "kept-at-most-three-years": ("unknown", {"W37"}),          # two years minimum, no maximum
            "no-third-parties": ("unknown", {"W36"}),                  # "sauf … loi ou … consentement"
            "my-rights-by-email": ("unknown", {"channel:email", "complaint", "objection"}),
            "no-tracking-without-consent": ("unknown", set()),         # Matomo, no tracker stated
        },
    },
    "procurement-rules": {
        "planethoster": {
            "data-in-eea-or-switzerland": ("unknown", {"P64"}),        # Canada: a scoped adequacy decision
            "financial-data-one-year": ("unknown", {"P61", "P62"}),
            "processors-only": ("not-met", {"P59"}),
            "no-marketing-of-our-staff": ("unknown", {"P42", "P44"}),  # marketing uses without a basis
            "gdpr-rights-and-contact": ("unknown", {"complaint", "erasure", "objection", "portability",
                                                    "restriction"}),
        },
        "whiteprovider": {
            "data-in-eea-or-switzerland": ("unknown", set()),
            "financial-data-one-year": ("not-met", {"W37"}),           # at least two years, payment data too
            "processors-only": ("unknown", {"W36"}),
            "no-marketing-of-our-staff": ("unknown", {"W21"}),
            "gdpr-rights-and-contact": ("unknown", {"channel:email", "complaint", "objection", "restriction"}),
        },
    },
}


def _verdicts(run) -> dict:
    return {p.policy.split("@")[0]: {v.preference: (v.verdict, {e.statement or e.detail for e in v.deciding()})
                                     for v in p.verdicts} for p in run.policies}


@pytest.fixture(scope="module")
def runs():
    return {name: match_targets(EXAMPLES / f"{name}.yaml", SEEDS) for name in GOLDEN}


@pytest.mark.parametrize("example", sorted(GOLDEN))
def test_seed_verdicts(runs, example):
    assert _verdicts(runs[example]) == GOLDEN[example]


def test_seed_quotes_and_lines(runs):
    tracking = next(v for p in runs["cautious-person"].policies if p.policy.startswith("planethoster")
                    for v in p.verdicts if v.preference == "no-tracking-without-consent")
    assert {(e.value, e.where.line) for e in tracking.deciding()} == {("dpv:Profiling", 586),
                                                                     ("dpv:TrackingByFirstParty", 586)}
    assert tracking.deciding()[0].quote.startswith("Nous installons un mouchard électronique persistant")


@pytest.mark.slow
@pytest.mark.parametrize("example", sorted(GOLDEN))
def test_both_engines_agree_on_the_seeds(runs, example):
    other = match_targets(EXAMPLES / f"{example}.yaml", SEEDS, engine="pyshacl")
    def everything(run):
        return [(p.policy, v.preference, v.verdict, v.state,
                 sorted((e.role, e.focus, e.path or "", e.value or "", e.quote or "") for e in v.evidence))
                for p in run.policies for v in p.verdicts]
    assert everything(other) == everything(runs[example])


def test_cli_text_and_exit_codes(tmp_path):
    result = runner.invoke(app, ["match", str(EXAMPLES / "cautious-person.yaml"), *SEEDS])
    assert result.exit_code == 1, result.output            # some preference not met
    lines = result.stdout.splitlines()
    assert lines[0].endswith("cautious-person.yaml: A cautious person — 6 preferences, 2 policy(ies)")
    assert "  NOT MET        no-tracking-without-consent  No tracking cookies or trackers without my consent" in lines
    fixtures = ROOT / "tests" / "fixtures" / "preferences"
    met = runner.invoke(app, ["match", str(fixtures / "all-kinds.yaml"), str(fixtures / "policies" / "met.yaml")])
    assert met.exit_code == 0, met.output                   # every preference met
    silent = runner.invoke(app, ["match", str(fixtures / "all-kinds.yaml"), str(fixtures / "policies" / "silent.yaml")])
    assert silent.exit_code == 4, silent.output             # nothing broken, something unknown
    assert "  0 met, 0 not met, 6 unknown" in silent.stdout.splitlines()


def test_cli_json_and_french(tmp_path):
    out = tmp_path / "verdicts.json"
    result = runner.invoke(app, ["match", str(EXAMPLES / "procurement-rules.yaml"), SEEDS[1], "--format", "json",
                                 "--lang", "fr", "-o", str(out)])
    assert result.exit_code == 1, result.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["outcome"] == "not-met" and [p["policy"] for p in doc["policies"]] == ["whiteprovider@2024-05-19"]
    (policy,) = doc["policies"]
    retention = next(v for v in policy["verdicts"] if v["preference"] == "financial-data-one-year")
    assert retention["title"] == "Données financières conservées un an au plus"
    assert retention["reason"] == "La politique conserve des données plus longtemps que votre limite."
    (e,) = retention["evidence"]
    assert e["role"] == "breach" and e["statement"] == "W37" and e["where"].endswith("2024-05-19.yaml:188")
    text = runner.invoke(app, ["match", str(EXAMPLES / "procurement-rules.yaml"), SEEDS[1], "--lang", "fr"]).stdout
    assert "  NON RESPECTÉE  financial-data-one-year  Données financières conservées un an au plus" in text


def test_a_stored_policy_matches_as_its_card(built_store):
    store, _ = built_store
    stored = match_targets(EXAMPLES / "cautious-person.yaml", ["whiteprovider"], store_path=store)
    card = match_targets(EXAMPLES / "cautious-person.yaml", [SEEDS[1]])
    def seen(run):
        return [(v.preference, v.verdict, sorted((e.role, e.statement or "", e.where.line if e.where else 0)
                                                 for e in v.evidence)) for v in run.policies[0].verdicts]
    assert seen(stored) == seen(card)
    assert stored.policies[0].source == "data/policies/whiteprovider/2024-05-19.yaml"


def test_cli_bad_options():
    result = runner.invoke(app, ["match", str(EXAMPLES / "cautious-person.yaml"), SEEDS[1], "--format", "xml"])
    assert result.exit_code == 2 and "--format xml is not one of text, json" in result.stderr


def test_readme_match_section_runs_as_shown(built_store, tmp_path, monkeypatch):
    """README.md's 'Matching privacy preferences': each `$ policykg match …` line runs (stored targets on a
    store of the test's own), and each output line it shows, but `…`, is in what it printed."""
    import re
    import shlex
    readme = (ROOT / "README.md").read_text(encoding="utf-8").split("## Matching privacy preferences", 1)[1]
    block = re.search(r"```console\n(.*?)```", readme, flags=re.S).group(1)
    commands: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            commands.append((line[2:], []))
        else:
            commands[-1][1].append(line)
    assert [c.split()[:2] for c, _ in commands] == [["policykg", "match"]] * 2
    monkeypatch.chdir(ROOT)
    store, _ = built_store
    for command, shown in commands:
        args = shlex.split(command)[1:]
        args = [str(tmp_path / a) if a == "verdicts.json" else a for a in args] + ["--store", str(store)]
        result = runner.invoke(app, args)
        assert result.exit_code == 1, (command, result.output)
        printed = result.stdout.splitlines()
        assert [line for line in shown if line != "…" and line not in printed] == []
    assert json.loads((tmp_path / "verdicts.json").read_text(encoding="utf-8"))["outcome"] == "not-met"


def test_report_preferences_page(built_store, tmp_path, monkeypatch):
    """policykg report --preferences: a page of the verdicts (the same as match's), linked from the index, each
    quote linked to its statement on the policy's text page; a bad preferences file stops it before any page."""
    import re
    monkeypatch.chdir(ROOT)
    store, _ = built_store
    out = tmp_path / "site"
    prefs = EXAMPLES / "procurement-rules.yaml"
    result = runner.invoke(app, ["report", "-o", str(out), "--store", str(store), "--lang", "fr",
                                 "--preferences", str(prefs), "-q", "--workers", "1"])
    assert result.exit_code == 0, result.output
    page = (out / "preferences.html").read_text(encoding="utf-8")
    assert '<a href="preferences.html">Préférences de confidentialité : les verdicts de Règles d&#x27;achat pour ' \
           'les hébergeurs</a>' in (out / "index.html").read_text(encoding="utf-8")
    run = match_targets(prefs, ["planethoster", "whiteprovider"], store_path=store)
    cells = re.findall(r'<td><span class="sev (\w+)">', page)
    expected = [{"met": "info", "not-met": "violation", "unknown": "warning"}[p.verdicts[i].verdict]
                for i in range(len(run.preferences.items)) for p in run.policies]
    assert cells == expected
    for href, ident in re.findall(r'href="(policies/[^"#]+)#(s-[^"]+)"', page):
        assert f'id="{ident}"' in (out / href).read_text(encoding="utf-8"), (href, ident)
    assert 'href="policies/whiteprovider/2024-05-19/text.html#s-W37"' in page
    bad = tmp_path / "bad.yaml"
    bad.write_text("policykg-preferences: 1\npreferences:\n  - kind: retention\n    max: forever\n", encoding="utf-8")
    again = runner.invoke(app, ["report", "-o", str(tmp_path / "other"), "--store", str(store),
                                "--preferences", str(bad)])
    assert again.exit_code == 2 and f"{bad}:4: 'max' is not a duration" in again.stderr
    assert not (tmp_path / "other").exists()


def test_no_target_is_every_policy_of_the_store(built_store):
    store, _ = built_store
    result = runner.invoke(app, ["match", str(EXAMPLES / "cautious-person.yaml"), "--store", str(store),
                                 "--format", "json"])
    assert result.exit_code == 1, result.output
    assert [p["policy"] for p in json.loads(result.stdout)["policies"]] == ["planethoster@2015-09-01",
                                                                           "whiteprovider@2024-05-19"]
