"""The README's examples run as shown (issue 19): the diff example on the Quickstart store plus the fixture
it builds first, the push figures (a real Oxigraph server), the shapes with plain pySHACL. Each `$ policykg …`
line of a console block is run (on a store of the test's own), and each line the README shows of its output,
but `…`, is in what it printed."""
from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.cli.main import app

from .conftest import ROOT

runner = CliRunner()
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _console_block(after: str, containing: str) -> list[tuple[str, list[str]]]:
    """The (command, shown output lines) of the first console block after the heading `after` that holds
    `containing`."""
    text = README.split(after, 1)[1]
    block = next(b for b in re.findall(r"```console\n(.*?)```", text, flags=re.S) if containing in b)
    out: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            out.append((re.sub(r"\s+#.*$", "", line[2:]).strip(), []))
        elif out:
            out[-1][1].append(line)
    return out


def _policykg(command: str, store: Path):
    args = shlex.split(command)
    assert args[0] == "policykg", command
    return runner.invoke(app, args[1:] + ["--store", str(store)])


def test_the_versions_example_runs_on_the_quickstart_store(tmp_path, monkeypatch):
    """Before: `policykg diff whiteprovider@2024-05-19 whiteprovider` on the Quickstart store failed (one
    version), and the output shown was not the output."""
    monkeypatch.chdir(ROOT)   # the README's paths (data, tests/fixtures/…) are relative to the repository
    store = tmp_path / "store"
    steps = _console_block("### Versions", "policykg diff")
    assert [c.split()[1] for c, _ in steps] == ["build", "diff", "compare", "build"]
    for command, shown in steps:
        result = _policykg(command, store)
        assert result.exit_code == 0, (command, result.output)
        printed = result.stdout.splitlines()
        for line in shown:
            assert line == "…" or line in printed, (command, line)
    from kg.inventory import list_policies
    from kg.stores.oxigraph import open_store
    assert sorted(p.key for p in list_policies(open_store(store))) == ["planethoster@2015-09-01",
                                                                      "whiteprovider@2024-05-19"]


@pytest.mark.slow   # a real Oxigraph server
def test_the_push_figures_are_those_of_a_real_push(built_store):
    from .conftest_server import OxigraphServer
    steps = _console_block("## Querying", "policykg push")
    command, shown = next((c, s) for c, s in steps if c.startswith("policykg push"))
    counts = lambda lines: [re.sub(r"  [0-9.]+ s$", "", line) for line in lines]  # noqa: E731 - seconds vary
    with OxigraphServer() as server:
        result = runner.invoke(app, ["push", "--endpoint", server.query_url, "--store", str(built_store[0])])
        assert result.exit_code == 0, result.output
    printed = [line.replace(server.store_url, "http://127.0.0.1:7878/store") for line in result.output.splitlines()]
    assert counts(printed) == counts(shown)


@pytest.mark.slow   # pySHACL on the whole vocabulary: ~16 s
def test_the_shapes_run_with_plain_pyshacl(built_store, tmp_path, monkeypatch):
    """The three commands, as written, in a folder with the repository's shapes; pySHACL reads what export
    wrote and gives the results the README counts."""
    from rdflib import Graph
    from rdflib.namespace import RDF, SH
    pyshacl = shutil.which("pyshacl", path=str(Path(sys.executable).parent)) or shutil.which("pyshacl")
    if pyshacl is None:
        pytest.skip("no pyshacl command")
    (tmp_path / "shapes").symlink_to(ROOT / "shapes")
    (tmp_path / "build").mkdir()
    monkeypatch.chdir(tmp_path)
    steps = _console_block("### The shapes with plain pySHACL", "pyshacl")
    assert [c.split()[0] for c, _ in steps] == ["policykg", "cat", "pyshacl"]
    export = _policykg(steps[0][0], built_store[0])
    assert export.exit_code == 0, export.output
    subprocess.run(steps[1][0], shell=True, cwd=tmp_path, check=True)
    args = shlex.split(steps[2][0])
    table = subprocess.run([pyshacl, *args[1:]], cwd=tmp_path, capture_output=True, text=True)
    assert table.returncode == 1, table.stderr
    turtle = [pyshacl, *args[1:args.index("-f")], "-f", "turtle", args[-1]]
    report = subprocess.run(turtle, cwd=tmp_path, capture_output=True, text=True)
    results = Graph().parse(data=report.stdout, format="turtle")
    assert len(set(results.subjects(RDF.type, SH.ValidationResult))) == 26
    found = {(str(results.value(r, SH.sourceShape)).rsplit("#", 1)[-1], str(results.value(r, SH.focusNode)))
             for r in results.subjects(RDF.type, SH.ValidationResult)}
    assert len(found) == 24
    from kg.validate import validate_store
    ours = {(f.shape, f.focus) for f in validate_store(built_store[0], ["whiteprovider"], profiles=["gdpr"],
                                                       cache=False).reports[0].findings}
    assert len(found & ours) == 23 and len(ours - found) == 3   # README: the inferred facts
