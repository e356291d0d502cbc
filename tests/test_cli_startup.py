"""The command line's start-up (issue 18): registering the commands imports no library (each command imports
what it needs when it runs; the consoles import rich when first used), so the values its options show are
written in kg/cli/defaults.py; they must be the library's."""
from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from kg.cli import defaults
from kg.cli.main import app

from .conftest import ROOT


def test_the_options_show_the_library_values():
    from importlib import import_module
    build, dpv_release, export, reason, validate, oxigraph, sparql = (import_module(f"kg.{m}") for m in (
        "build", "dpv_release", "export", "reason", "validate", "stores.oxigraph", "stores.sparql"))
    assert defaults.DEFAULT_STORE == oxigraph.DEFAULT_STORE
    assert defaults.DEFAULT_DATA == build.DEFAULT_DATA
    assert (defaults.DEFAULT_ENGINE, defaults.ENGINES) == (validate.DEFAULT_ENGINE, validate.ENGINES)
    assert (defaults.PASSWORD_ENV, defaults.TIMEOUT_S) == (sparql.PASSWORD_ENV, sparql.TIMEOUT_S)
    assert defaults.EXPORT_FORMATS == tuple(export.FORMATS)
    assert defaults.DEFAULT_REASONER == reason.DEFAULT_REASONER
    assert (defaults.DPV_VERSION, defaults.ENV_BASE_URL, defaults.DEFAULT_BASE_URL) == (
        dpv_release.DPV_VERSION, dpv_release.ENV_BASE_URL, dpv_release.DEFAULT_BASE_URL)


def test_registering_the_commands_imports_no_library():
    code = ("import sys, kg.cli.main\n"
            "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('kg', 'rdflib', 'pyoxigraph', 'pydantic', 'jsonschema', 'yaml', 'rich'))))")
    loaded = set(subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                                check=True).stdout.split())
    assert loaded <= {"kg", "kg.version", "kg.errors", "kg.terminal", "kg.messages"} | {
        m for m in loaded if m.startswith("kg.cli")}


def test_help_still_lists_every_command():
    result = CliRunner().invoke(app, ["--help"], terminal_width=200)
    assert result.exit_code == 0
    for command in ("build", "list", "diff", "compare", "draft", "export", "match", "queries", "query", "push",
                    "reason", "report", "validate", "profiles", "vocab"):
        assert f" {command} " in result.output, command
