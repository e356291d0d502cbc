"""`policykg draft` end to end (issue 17): a seed's text drafted from scratch builds; every bad input is a
documented error with exit 2, no traceback, and no file left behind."""
from __future__ import annotations

import shutil

import pytest
from typer.testing import CliRunner

from kg.cli.main import app

from .conftest import DATA
from .draft_helpers import buildable

runner = CliRunner()
SEED = DATA / "sources" / "whiteprovider" / "2024-05-19.fr.txt"


def _draft(*args):
    return runner.invoke(app, ["draft", *map(str, args)])


def test_seed_text_drafted_from_scratch_builds(tmp_path):
    from kg.build import build
    data = tmp_path / "data"
    result = _draft(SEED, "--slug", "whiteprovider", "--version", "2024-05-19", "--data", data, "--explain")
    assert result.exit_code == 0, result.output
    card = data / "policies" / "whiteprovider" / "2024-05-19.yaml"
    snapshot = data / "sources" / "whiteprovider" / "2024-05-19.fr.txt"
    assert card.is_file() and snapshot.is_file()
    assert "## To review" in result.stdout and "found by: " in result.stdout and "»" in result.stdout
    built = build([buildable(card)], store=tmp_path / "store")
    assert len(built.policies) == 1 and built.policies[0].statements > 20


def test_existing_card_is_kept_unless_force(tmp_path):
    data = tmp_path / "data"
    args = (SEED, "--slug", "whiteprovider", "--version", "2024-05-19", "--data", data)
    assert _draft(*args).exit_code == 0
    card = data / "policies" / "whiteprovider" / "2024-05-19.yaml"
    card.write_text("# reviewed by hand\n", encoding="utf-8")
    again = _draft(*args)
    assert again.exit_code == 2 and "PKG-E113 draft-exists" in again.stderr
    assert card.read_text(encoding="utf-8") == "# reviewed by hand\n"
    assert _draft(*args, "--force").exit_code == 0 and card.read_text(encoding="utf-8").startswith("# Draft card")


def _write(path, content):
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


GERMAN = ("Wir verarbeiten Ihre personenbezogenen Daten nur, soweit dies zur Bereitstellung unserer Dienste "
          "erforderlich ist. Sie haben das Recht auf Auskunft, Berichtigung und Löschung Ihrer Daten. ") * 4


@pytest.mark.parametrize("name,content,options,error", [
    ("empty.txt", "", (), "PKG-E015 empty-file"),
    ("blank.txt", "  \n\n ", (), "PKG-E015 empty-file"),
    ("binary.txt", b"abc\x00\x01\x02" * 50, (), "PKG-E016 binary-file"),
    ("latin1.txt", "Données personnelles collectées ".encode("latin-1") * 20, (), "PKG-E017 not-utf8"),
    ("policy.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", (), "PKG-E110 draft-format"),
    ("scan.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, (), "PKG-E110 draft-format"),
    ("de.txt", GERMAN, (), "PKG-E111 draft-language"),
    ("fr.txt", None, ("--lang", "en"), "PKG-E111 draft-language"),
    ("page.html", "<html><head><script>gtag('config')</script></head><body><nav>Accueil</nav>"
                  "<script src='https://t.example/p.js'></script><footer>© 2025</footer></body></html>", (),
     "PKG-E112 draft-no-text"),
    ("big.txt", "Nous collectons vos données personnelles. " * 130_000, (), "PKG-E018 file-too-large"),
    ("fr.txt", None, ("--slug", "Not A Slug"), "PKG-E114 draft-slug"),
    ("fr.txt", None, ("--version", "2024-02-30"), "PKG-E115 draft-version"),
    ("fr.txt", None, ("--url", "javascript:alert(1)"), "PKG-E116 draft-url"),
])
def test_bad_input_exits_2_with_its_error_and_leaves_no_file(tmp_path, name, content, options, error):
    src = tmp_path / name
    if content is None:
        shutil.copy(SEED, src)
    else:
        _write(src, content)
    data = tmp_path / "data"
    opts = {"--slug": "example", "--version": "2024-01-31"}
    extra = list(options)
    for key in list(opts):
        if key in extra:
            opts.pop(key)
    args = [src, *[x for kv in opts.items() for x in kv], *extra, "--data", data]
    result = _draft(*args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error[{error}]"), result.stderr
    assert "Traceback" not in result.output
    assert not data.exists() or not any(p.is_file() for p in data.rglob("*"))


def test_missing_source_is_file_not_found(tmp_path):
    result = _draft(tmp_path / "nope.md", "--slug", "x", "--version", "2024-01-31", "--data", tmp_path / "d")
    assert result.exit_code == 2 and result.stderr.startswith("error[PKG-E013 file-not-found]")
