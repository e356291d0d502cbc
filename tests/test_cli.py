"""The command line, in-process: exit codes and the first line of output, one test per exit code."""
from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from kg.cli.main import app

from .conftest import DATA, FIXTURES

runner = CliRunner()


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "store"
    result = runner.invoke(app, ["build", str(DATA), "--store", str(path)])
    assert result.exit_code == 0, result.output
    return path


def test_help_documents_exit_codes():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0 and "Exit codes" in result.output


def test_build_reports_policies(store, tmp_path):
    result = runner.invoke(app, ["build", str(FIXTURES / "policies"), "--store", str(tmp_path / "s")])
    assert result.exit_code == 0
    assert "example@2024-01-31" in result.output and "built" in result.output


def test_list(store):
    result = runner.invoke(app, ["list", "--store", str(store)])
    assert result.exit_code == 0
    assert "planethoster" in result.output and "whiteprovider" in result.output


def test_export_ttl_to_stdout(store):
    result = runner.invoke(app, ["export", "--format", "ttl", "--policy", "whiteprovider", "--store", str(store)])
    assert result.exit_code == 0
    assert result.stdout.startswith("@prefix ")


def test_export_to_file(store, tmp_path):
    out = tmp_path / "out" / "all.jsonld"
    result = runner.invoke(app, ["export", "-o", str(out), "--store", str(store)])
    assert result.exit_code == 0 and "wrote" in result.output
    assert "@context" in json.loads(out.read_text(encoding="utf-8"))


def test_unknown_policy_exits_2(store):
    result = runner.invoke(app, ["export", "--format", "nq", "--policy", "nobody", "--store", str(store)])
    assert result.exit_code == 2
    assert result.output.splitlines()[0] == "error[PKG-E035 unknown-policy]: no policy 'nobody' in the store"


def test_bad_card_exits_2_without_traceback(tmp_path):
    shutil.copytree(FIXTURES, tmp_path / "f")
    card = tmp_path / "f" / "policies" / "minimal.yaml"
    card.write_text(card.read_text(encoding="utf-8").replace("dpv:DirectMarketing", "dpv:DirectMarketting"),
                    encoding="utf-8")
    result = runner.invoke(app, ["build", str(card), "--store", str(tmp_path / "s")])
    assert result.exit_code == 2
    assert result.output.splitlines()[0] == "error[PKG-E012 unknown-term]: 'dpv:DirectMarketting' is not a term of DPV 2.3"
    assert "Traceback" not in result.output and "did you mean 'dpv:DirectMarketing'" in result.output


def test_missing_input_exits_2(tmp_path):
    result = runner.invoke(app, ["build", str(tmp_path / "nope.yaml"), "--store", str(tmp_path / "s")])
    assert result.exit_code == 2 and result.output.startswith("error[PKG-E013 file-not-found]")


def test_missing_store_exits_3(tmp_path):
    result = runner.invoke(app, ["list", "--store", str(tmp_path / "none")])
    assert result.exit_code == 3 and result.output.startswith("error[PKG-E030 no-store]")


def test_unknown_format_exits_2(store):
    result = runner.invoke(app, ["export", "--format", "rdfxml", "--store", str(store)])
    assert result.exit_code == 2 and result.output.startswith("error[PKG-E036 unknown-format]")


@pytest.mark.slow   # the full DPV release loaded
def test_build_with_a_full_dpv_copy(tmp_path):
    """--vocab-dir makes build use a full DPV release folder instead of the shipped table."""
    from .conftest import needs_shared
    dpv = needs_shared("dpv")
    result = runner.invoke(app, ["build", str(DATA), "--store", str(tmp_path / "s"), "--vocab-dir", str(dpv)])
    assert result.exit_code == 0, result.output
    plain = runner.invoke(app, ["build", str(DATA), "--store", str(tmp_path / "t")])
    count = lambda out: int(out.split(" policy triples + ")[1].split()[0])  # noqa: E731
    assert count(result.output) > count(plain.output)  # the full release has more vocabulary triples


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("policykg 0.1.0 (DPV 2.3)")


# --- hostile data: shown, never obeyed (issue 14) ---------------------------------------------------------

@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """The hostile card (tests/test_render.py) and a store built from it: (card, store)."""
    from .test_render import hostile_card
    folder = tmp_path_factory.mktemp("hostile")
    card = hostile_card(folder)
    result = runner.invoke(app, ["build", str(card), "--store", str(folder / "store")])
    assert result.exit_code == 0, result.output
    return card, folder / "store"


def _assert_safe(result, code: int = 0):
    from .test_render import raw_controls
    assert result.exit_code == code, result.output
    assert not raw_controls(result.stdout) and not raw_controls(result.stderr), result.output
    assert "PKG-E099" not in result.output


def test_list_shows_hostile_titles_as_text(hostile):
    result = runner.invoke(app, ["list", "--store", str(hostile[1])])
    _assert_safe(result)   # before: rich MarkupError on '[/bold]' (exit 70), or ESC written raw
    assert "[/bold]" in result.stdout and "\\x1b]0;PWNED" in result.stdout and "\\u202e" in result.stdout


def test_query_table_shows_hostile_cells_as_text(hostile):
    result = runner.invoke(app, ["query", "recipients-and-third-parties", "--store", str(hostile[1])],
                           env={"COLUMNS": "400"})
    _assert_safe(result)
    assert "[/bold]" in result.stdout and "\\x1b[2J" in result.stdout


def test_compare_table_and_csv(hostile, tmp_path):
    from .test_render import FORMULA
    card, store = hostile
    table = runner.invoke(app, ["compare", str(card)])
    _assert_safe(table)
    assert "\\x1b[31m" in table.stdout
    out = tmp_path / "compare.txt"
    written = runner.invoke(app, ["compare", str(card), "-o", str(out)])
    _assert_safe(written)
    assert "Recipients" in out.read_text(encoding="utf-8")   # the table, not the Table object's repr
    import csv
    import io
    rows = list(csv.reader(io.StringIO(runner.invoke(app, ["compare", str(card), "-f", "csv"]).stdout)))
    assert [r[1] for r in rows if r[0] == "recipients"][0].startswith("'" + FORMULA)
    raw = list(csv.reader(io.StringIO(runner.invoke(app, ["compare", str(card), "-f", "csv", "--raw-csv"]).stdout)))
    assert [r[1] for r in raw if r[0] == "recipients"][0].startswith(FORMULA)


def test_diff_text_shows_hostile_labels_and_quotes_as_text(hostile):
    result = runner.invoke(app, ["diff", str(FIXTURES / "policies" / "minimal.yaml"), str(hostile[0])])
    _assert_safe(result)
    assert "News Evil \\x1b]0;PWNED" in result.stdout and "\\u2066" in result.stdout


def test_error_messages_show_what_they_echo_as_text(store):
    result = runner.invoke(app, ["export", "-f", "nq", "--policy", "x\x1b]0;PWNED\x07\x1b[2J[/bold]",
                                 "--store", str(store)])
    _assert_safe(result, 2)
    assert result.stderr.splitlines()[0] == ("error[PKG-E035 unknown-policy]: no policy "
                                             "'x\\x1b]0;PWNED\\x07\\x1b[2J[/bold]' in the store")


def test_written_file_name_is_shown_as_text(store, tmp_path):
    out = tmp_path / "a\x1b[31m[/bold].ttl"
    result = runner.invoke(app, ["export", "--policy", "whiteprovider", "-o", str(out), "--store", str(store)])
    _assert_safe(result)
    assert out.is_file() and "a\\x1b[31m[/bold].ttl" in result.stderr


# --- issue 19: data as JSON, and piped tables never cut -------------------------------------------------------

def test_list_as_json(store):
    result = runner.invoke(app, ["list", "--store", str(store), "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["policy"], r["version"], r["latest"]) for r in rows] == [
        ("planethoster", "2015-09-01", True), ("whiteprovider", "2024-05-19", True)]
    assert rows[1]["graph"] == "https://w3id.org/policykg/policy/whiteprovider/2024-05-19"
    assert all(isinstance(r[k], int) for r in rows for k in ("statements", "processes", "triples"))


@pytest.fixture(scope="module")
def long_names(tmp_path_factory):
    """A store of one policy whose slug and title are longer than any terminal: (store, slug, title)."""
    folder = tmp_path_factory.mktemp("long")
    shutil.copytree(FIXTURES / "sources", folder / "sources")
    (folder / "policies").mkdir()
    slug = "a-company-whose-name-is-much-longer-than-the-width-of-a-terminal-" + "x" * 40
    title = "Politique de confidentialité " + " ".join(f"mot{i}" for i in range(60))
    card = (FIXTURES / "policies" / "minimal.yaml").read_text(encoding="utf-8")
    card = card.replace("slug: example", f"slug: {slug}").replace("title: Politique de confidentialité — Example",
                                                                  f"title: {title}")
    (folder / "policies" / "long.yaml").write_text(card, encoding="utf-8")
    result = runner.invoke(app, ["build", str(folder / "policies"), "--store", str(folder / "store")])
    assert result.exit_code == 0, result.output
    return folder / "store", slug, title


def test_list_piped_is_tsv_and_never_cut(long_names):
    """Before: a rich table cut to 80 columns (the slug ended in an ellipsis, the title wrapped)."""
    store, slug, title = long_names
    result = runner.invoke(app, ["list", "--store", str(store)], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split("\t") == ["policy", "version", "latest", "statements", "processes", "triples", "title"]
    assert lines[1].split("\t")[:3] == [slug, "2024-01-31", "latest"] and lines[1].split("\t")[6] == title
    assert len(lines) == 2
    assert runner.invoke(app, ["list", "--store", str(store), "-f", "tsv"]).stdout == result.stdout


def test_profiles_as_json_and_piped_tsv():
    from kg.validate import load_profiles
    shapes = {(pid, sid) for pid, p in load_profiles().items() for sid in p.shape_ids()}
    table = runner.invoke(app, ["profiles"])
    assert table.exit_code == 0, table.output
    rows = [line.split("\t") for line in table.stdout.splitlines()]
    assert rows[0] == ["profile", "shape", "severity", "article", "origin"] and all(len(r) == 5 for r in rows)
    assert {r[4] for r in rows[1:]} == {"built-in"}
    assert {(r[0], r[1]) for r in rows[1:]} == shapes            # every shape on its own line, none cut
    document = json.loads(runner.invoke(app, ["profiles", "--format", "json"]).stdout)
    got = {(p["id"], s["id"]) for p in document["profiles"] for s in p["shapes"]}
    assert got == shapes
    gdpr = next(p for p in document["profiles"] if p["id"] == "gdpr")
    assert gdpr["in_force_from"] == "2018-05-25" and gdpr["applies_when"][0]["rank"] == 1
    assert {s["severity"] for p in document["profiles"] for s in p["shapes"]} <= {"violation", "warning", "info"}
    where = runner.invoke(app, ["profiles", "--where"]).stdout.splitlines()
    assert where[0] == "profile\tin force from\tapplies when\torigin" and any(line.startswith("gdpr\t2018-05-25\t1. ")
                                                                      for line in where)


def test_build_as_json(tmp_path):
    result = runner.invoke(app, ["build", str(FIXTURES / "policies"), "--store", str(tmp_path / "s"), "-f", "json"])
    assert result.exit_code == 0, result.output
    done = json.loads(result.stdout)
    assert done["built"] is True and done["reloaded"] is None and done["unchanged"] is False
    assert [p["policy"] for p in done["policies"]] == ["example@2024-01-31"]
    assert done["counts"]["policies"] == 1 and done["counts"]["policy_triples"] == done["policies"][0]["triples"] > 0
    assert done["counts"]["vocabulary_triples"] > 10000 and done["seconds"]["total"] > 0
    again = json.loads(runner.invoke(app, ["build", str(FIXTURES / "policies"), "--store", str(tmp_path / "s"),
                                           "--format", "json"]).stdout)
    assert again["unchanged"] is True and again["reloaded"] == 0


def test_build_as_json_with_errors(tmp_path):
    shutil.copytree(FIXTURES, tmp_path / "f")
    card = tmp_path / "f" / "policies" / "minimal.yaml"
    card.write_text(card.read_text(encoding="utf-8").replace("pd:EmailAddress", "pd:EmailAdress"), encoding="utf-8")
    result = runner.invoke(app, ["build", str(card), "--store", str(tmp_path / "s"), "-f", "json"])
    assert result.exit_code == 2
    done = json.loads(result.stdout)
    assert done["built"] is False and [(e["error"], e["line"]) for e in done["errors"]] == [("unknown-term", 36)]
    assert "error[PKG-E012 unknown-term]" in result.stderr


def test_validate_json_is_one_document_for_several_files():
    result = runner.invoke(app, ["validate", str(FIXTURES / "policies" / "minimal.yaml"),
                                 str(DATA / "policies" / "whiteprovider" / "2024-05-19.yaml"), "-f", "json"])
    document = json.loads(result.stdout)
    assert [r["policy"] for r in document["reports"]] == ["example@2024-01-31", "whiteprovider@2024-05-19"]


def test_shell_completion_can_be_shown_and_completes_commands_and_options(monkeypatch):
    """Before: --install-completion and --show-completion were disabled (add_completion=False)."""
    # the shell named, not detected from the processes above the test (Typer's switch for tests)
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")
    script = runner.invoke(app, ["--show-completion", "bash"], prog_name="policykg")
    assert script.exit_code == 0 and "complete -o default -F _policykg_completion policykg" in script.output
    assert "--install-completion" in runner.invoke(app, ["--help"]).output

    def complete(words: str, index: int) -> list[str]:
        done = runner.invoke(app, [], prog_name="policykg",
                             env={"_POLICYKG_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(index)})
        assert done.exit_code == 0, done.output
        return done.output.split()
    assert complete("policykg bu", 1) == ["build"]
    assert complete("policykg validate --pro", 2) == ["--profile"]
