"""kg.errors and every failure the issue lists: each is a documented error (id, code, exit code), never a
traceback, never a half-written store or file. Faults are real where they are cheap: HTTP servers on
127.0.0.1 that answer 500, HTML, 401 or too late; signals sent to a real `policykg build` process; a
file-size limit (RLIMIT_FSIZE) that fills the "disk" of a real export; a 100 MB sparse file.

docs/errors.md's case table names a test of this suite for every case; `test_case_table_names_real_tests`
keeps it honest."""
from __future__ import annotations

import ast
import hashlib
import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.cli.main import app
from kg.errors import CODES, KgError, SunsetTermWarning, code_of
from kg.files import read_text_input, write_atomic
from kg.load import load_card

from .conftest import DATA, FIXTURES, ROOT
from .conftest_server import OxigraphServer, oxigraph_binary

runner = CliRunner()
POLICYKG = [sys.executable, "-m", "kg"]


def _mutate(card: Path, old: str, new: str) -> Path:
    text = card.read_text(encoding="utf-8")
    assert old in text, old
    card.write_text(text.replace(old, new, 1), encoding="utf-8")
    return card


def _error(exc_info, error_id: str) -> KgError:
    exc = exc_info.value
    assert exc.id == error_id, str(exc)
    assert str(exc).startswith(f"error[{code_of(error_id)} {error_id}]: ")
    return exc


# --- the catalogue --------------------------------------------------------------------------------------

def _raised_ids() -> set[str]:
    ids = set()
    for path in (ROOT / "kg").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        ids |= set(re.findall(r'error_id="([a-z0-9-]+)"', text))
        ids |= set(re.findall(r'^\s+id = "([a-z0-9-]+)"', text, flags=re.M))
    return ids - {"error", "warning"}


def _doc_sections() -> dict[str, str]:
    """'PKG-E012 unknown-term' heading -> the section's text."""
    text = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    parts = re.split(r"^### (PKG-[EW]\d{3} [a-z0-9-]+).*$", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


def test_codes_are_unique_and_well_formed():
    assert len(set(CODES.values())) == len(CODES)
    assert all(re.fullmatch(r"PKG-[EW]\d{3}", c) for c in CODES.values())


def test_every_raised_id_has_a_code_and_a_documented_section():
    ids = _raised_ids()
    assert not ids - set(CODES), sorted(ids - set(CODES))
    sections = _doc_sections()
    headings = {h.split(" ", 1)[1]: h.split(" ", 1)[0] for h in sections}
    assert headings == {i: CODES[i] for i in headings}, "a heading's code differs from kg/errors.py"
    assert not set(CODES) - set(headings), sorted(set(CODES) - set(headings))


def test_every_section_has_an_example_and_a_fix():
    for heading, body in _doc_sections().items():
        code, error_id = heading.split()
        kind = "warning" if code.startswith("PKG-W") else "error"
        assert f"{kind}[{code} {error_id}]" in body, f"{heading}: no example message"
        assert "**Fix**" in body, f"{heading}: no fix"


CASE_ROW = re.compile(r"^\|\s*(\d+)\s*\|(.+?)\|(.+?)\|(.+?)\|(.+?)\|\s*$", re.M)


def _case_rows() -> list[tuple]:
    text = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    table = text.split("## Cases and their tests", 1)[1]
    return [tuple(c.strip() for c in m.groups()) for m in CASE_ROW.finditer(table)]


def _test_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
            and n.name.startswith("test_")}


def test_case_table_names_real_tests():
    """Each row: number | case | error id(s) | exit code | tests/file.py::test_name[, …]. Every test
    named exists (a parametrized id after '[' is allowed) and every error id is in the catalogue."""
    rows = _case_rows()
    table = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8").split("## Cases and their tests", 1)[1]
    assert len(rows) == table.count("\n| ") - 1, "a row does not parse (header excluded)"
    assert len(rows) >= 30, len(rows)
    assert [int(r[0]) for r in rows] == list(range(1, len(rows) + 1))
    names: dict[Path, set[str]] = {}
    for number, case, ids, exit_code, tests in rows:
        for error_id in re.findall(r"`([a-z0-9-]+)`", ids):
            assert error_id in CODES or error_id.startswith("core-"), (number, error_id)
        assert re.fullmatch(r"[0-9, /]+|—", exit_code.replace("`", "")), (number, exit_code)
        refs = re.findall(r"(tests/[\w/]+\.py)::(\w+)", tests)
        assert refs, (number, tests)
        for file, name in refs:
            path = ROOT / file
            assert path.is_file(), (number, file)
            if path not in names:            # each file parsed once (setdefault parsed it for every reference)
                names[path] = _test_names(path)
            assert name in names[path], (number, f"{file}::{name}")


# --- cards ----------------------------------------------------------------------------------------------

def test_duplicate_yaml_key_names_both_lines(minimal_card, vocabulary):
    _mutate(minimal_card, "  language: fr\n", "  language: fr\n  title: Autre titre\n")
    with pytest.raises(KgError) as exc:
        load_card(minimal_card, vocabulary=vocabulary)
    err = _error(exc, "duplicate-key")
    assert err.where.file == str(minimal_card) and err.where.line == 8 and err.where.field == "policy.title"
    assert "first at line 6" in err.what


def test_date_that_is_not_a_date(minimal_card, vocabulary):
    _mutate(minimal_card, 'modified: "2024-01-31"', 'modified: "2024-02-30"')
    with pytest.raises(KgError) as exc:
        load_card(minimal_card, vocabulary=vocabulary)
    err = _error(exc, "invalid-value")
    assert err.where.line == 8 and err.where.field == "policy.modified" and "2024-02-30" in err.what


def test_source_url_that_is_not_an_iri(minimal_card, vocabulary):
    """A space (or <, >, ") in the source URL would make an invalid IRI in the store: refused at load."""
    _mutate(minimal_card, "url: https://example.org/confidentialite", "url: https://example.org/confi dentialite")
    with pytest.raises(KgError) as exc:
        load_card(minimal_card, vocabulary=vocabulary)
    err = _error(exc, "invalid-card")
    assert err.where.line == 10 and err.where.field == "policy.source.url"


def test_date_of_the_wrong_form(minimal_card, vocabulary):
    _mutate(minimal_card, 'modified: "2024-01-31"', 'modified: "31/01/2024"')
    with pytest.raises(KgError) as exc:
        load_card(minimal_card, vocabulary=vocabulary)
    assert _error(exc, "invalid-card").where.field == "policy.modified"


def test_duration_not_iso8601(minimal_card, vocabulary):
    _mutate(minimal_card, "{duration: P3Y}", "{duration: 3 years}")
    with pytest.raises(KgError) as exc:
        load_card(minimal_card, vocabulary=vocabulary)
    err = _error(exc, "invalid-card")
    assert err.where.line == 49 and err.what == "'3 years' is not an ISO 8601 duration" and "P3Y" in err.fix


def test_sunset_term_is_a_warning_not_an_error(minimal_card, vocabulary):
    _mutate(minimal_card, "dpv:hasLegalBasis: eu-gdpr:A6-1-a", "dpv:hasLegalBasis: dpv:DataControllerContract")
    _mutate(minimal_card, "inferred: true", "inferred: false")   # validation counts stated facts only
    with pytest.warns(SunsetTermWarning) as caught:
        policy = load_card(minimal_card, vocabulary=vocabulary)
    assert policy.slug == "example"
    text = str(caught[0].message)
    assert text.startswith("warning[PKG-W001 sunset-term]: 'dpv:DataControllerContract' is a sunset term")
    assert "minimal.yaml:54:9  processes[0].statements[2].dpv:hasLegalBasis" in text
    result = runner.invoke(app, ["validate", str(minimal_card), "--profile", "core"])
    assert "warning[PKG-W001 sunset-term]" in result.output and "core-sunset-term" in result.output
    assert result.exit_code == 0, result.output   # warnings pass unless --strict


def test_purpose_given_as_personal_data_is_a_finding(minimal_card):
    _mutate(minimal_card, "dpv:hasPersonalData: pd:EmailAddress", "dpv:hasPersonalData: dpv:DirectMarketing")
    result = runner.invoke(app, ["validate", str(minimal_card), "--profile", "core"])
    assert result.exit_code == 1, result.output
    assert "core-value-kind" in result.output and "minimal.yaml:36" in result.output


def test_quote_occurrence_beyond_the_count(minimal_card, vocabulary):
    _mutate(minimal_card, "occurrence: 2", "occurrence: 5")
    with pytest.raises(KgError) as exc:
        load_card(minimal_card, vocabulary=vocabulary)
    err = _error(exc, "quote-not-found")
    assert "occurs 2 time(s), not 5" in err.what and err.where.field == "policy.statements[1].quote"


@pytest.mark.parametrize("content, error_id, line", [
    (b"", "empty-file", None),
    (b"  \n\n", "empty-file", None),
    (b"# only a comment\n", "empty-file", None),
    (b"policykg: 1\n\x00\x01\x02binary", "binary-file", 2),
    ("policykg: 1\npolicy:\n  title: caf\xe9\n".encode("latin-1"), "not-utf8", 3),
])
def test_empty_binary_and_non_utf8_cards(tmp_path, vocabulary, content, error_id, line):
    card = tmp_path / "card.yaml"
    card.write_bytes(content)
    with pytest.raises(KgError) as exc:
        load_card(card, vocabulary=vocabulary)
    err = _error(exc, error_id)
    if line:
        assert err.where.line == line
    result = runner.invoke(app, ["build", str(card), "--store", str(tmp_path / "store")])
    assert result.exit_code == 2 and result.output.startswith(f"error[{code_of(error_id)} {error_id}]")
    assert not (tmp_path / "store").exists()


def test_not_utf8_names_line_and_column(tmp_path):
    card = tmp_path / "card.yaml"
    card.write_bytes("policykg: 1\npolicy:\n  title: caf\xe9\n".encode("latin-1"))
    with pytest.raises(KgError) as exc:
        read_text_input(card)
    assert (exc.value.where.line, exc.value.where.column) == (3, 13)


def test_path_that_is_a_folder_or_a_device(tmp_path, vocabulary):
    with pytest.raises(KgError) as exc:
        load_card(tmp_path, vocabulary=vocabulary)
    _error(exc, "not-a-file")
    with pytest.raises(KgError) as exc:
        load_card("/dev/zero", vocabulary=vocabulary)     # would never end if it were read
    assert _error(exc, "not-a-file").what.endswith("is not a regular file (a device, pipe or socket)")


def test_path_that_does_not_exist(tmp_path):
    for args in (["build", str(tmp_path / "nope")], ["validate", str(tmp_path / "nope.yaml")]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and result.output.startswith("error[PKG-E013 file-not-found]"), result.output


def test_100_mb_file_is_refused_from_its_size_without_reading_it(tmp_path):
    big = tmp_path / "huge.ttl"
    with big.open("wb") as fh:           # sparse: 100 MB without writing them
        fh.truncate(100 * 1024 * 1024)
    script = textwrap.dedent(f"""
        import sys
        from kg.cli.main import main
        sys.argv = ["policykg", "build", {str(big)!r}, "--store", {str(tmp_path / 'store')!r}]
        try:
            main()
        finally:  # this process's peak (ru_maxrss would count the forking pytest's pages too)
            hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0]
            print(hwm.split()[1], file=sys.stderr)
    """)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path)
    seconds = time.perf_counter() - start
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error[PKG-E018 file-too-large]: ")
    assert "104,857,600 bytes, more than the limit of 67,108,864 bytes" in proc.stderr
    peak_kib = int(proc.stderr.strip().splitlines()[-1])
    assert peak_kib < 400 * 1024, peak_kib        # the interpreter and libraries, not the file
    assert seconds < 60 and "Traceback" not in proc.stderr
    assert not (tmp_path / "store").exists()


def test_max_input_size_option_and_environment(tmp_path, monkeypatch):
    card = shutil.copytree(FIXTURES, tmp_path / "f") / "policies" / "minimal.yaml"
    result = runner.invoke(app, ["build", str(card), "--store", str(tmp_path / "s"), "--max-input-size", "1K"])
    assert result.exit_code == 2 and "file-too-large" in result.output and "1,024 bytes" in result.output
    monkeypatch.setenv("POLICYKG_MAX_INPUT_SIZE", "1000")
    result = runner.invoke(app, ["validate", str(card)])
    assert result.exit_code == 2 and "limit of 1,000 bytes" in result.output
    result = runner.invoke(app, ["validate", str(card), "--max-input-size", "lots"])
    assert result.exit_code == 2 and result.output.startswith("error[PKG-E090 usage]")
    monkeypatch.delenv("POLICYKG_MAX_INPUT_SIZE")
    assert runner.invoke(app, ["build", str(card), "--store", str(tmp_path / "s")]).exit_code == 0


def test_yaml_special_numbers_do_not_crash(minimal_card, vocabulary):
    """Found by the property tests: YAML 1.1 floats and ints such as .inf or 0b101 once escaped as ValueError."""
    for value in (".inf", "-.inf", ".nan", "0b101", "1:30", "0x1F", "1_000"):
        _mutate(minimal_card, "occurrence: 2", f"occurrence: {value}")
        with pytest.raises(KgError) as exc:
            load_card(minimal_card, vocabulary=vocabulary)
        assert exc.value.id in ("invalid-card", "quote-not-found"), str(exc.value)
        _mutate(minimal_card, f"occurrence: {value}", "occurrence: 2")


def test_yaml_alias_bomb_is_refused_at_once(tmp_path):
    """Found while probing: nine lines of YAML aliases expand to 9**9 values; the loader hung."""
    bomb = tmp_path / "bomb.yaml"
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    bomb.write_text("\n".join(lines) + "\n", encoding="utf-8")
    start = time.perf_counter()
    result = runner.invoke(app, ["validate", str(bomb)])
    assert result.exit_code == 2 and time.perf_counter() - start < 30
    assert result.output.startswith("error[PKG-E025 yaml-alias]: a1[0] is a YAML alias (*name) of the value at line 1")
    assert f"where: {bomb}  a1[0]" in result.output


# --- RDF inputs -----------------------------------------------------------------------------------------

TTL = """@prefix dpv: <https://w3id.org/dpv#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
<https://w3id.org/policykg/policy/acme/2024-01-01#notice> a dpv:PrivacyNotice ;
    dct:identifier "acme@2024-01-01" {imports}.
"""


@pytest.mark.parametrize("file, old, new, start, end", [
    ("tests/golden/example.ttl", "#char=39,72>", "#char=39,75>", 39, 75),
    ("tests/golden/example.ttl", "#char=39,72>", "#char=80,72>", 80, 72),
    # the selectors policykg wrote before decision 0007 are checked the same way
    ("tests/fixtures/legacy/example-selectors.ttl", "oa:end 72 ;", "oa:end 75 ;", 39, 75),
    ("tests/fixtures/legacy/example-selectors.ttl", "oa:start 39 .", "oa:start 80 .", 80, 72)])
def test_rdf_quote_at_wrong_offsets(tmp_path, file, old, new, start, end):
    ttl = tmp_path / "example.ttl"
    text = (ROOT / file).read_text(encoding="utf-8")
    assert old in text
    ttl.write_text(text.replace(old, new), encoding="utf-8")
    result = runner.invoke(app, ["build", str(ttl), "--store", str(tmp_path / "s")])
    assert result.exit_code == 2 and result.output.startswith("error[PKG-E024 quote-offsets]: the span"), result.output
    assert f"(start {start}, end {end})" in result.output and "of 33 characters" in result.output   # E01's quote
    assert f"#char={start},{end}" in result.output
    assert not (tmp_path / "s").exists()


def test_rdf_export_of_before_0007_builds_the_same_graph(tmp_path):
    """An export made with the selectors of decision 0002 builds into the graph its card gives today."""
    import pyoxigraph as ox

    from kg.build import build
    from kg.export import FORMATS, export_store
    from kg.stores.oxigraph import open_store
    build([ROOT / "tests" / "fixtures" / "legacy" / "example-selectors.ttl"], store=tmp_path / "old")
    build([ROOT / "tests" / "fixtures" / "policies"], store=tmp_path / "card")
    quads = [{str(q) for q in ox.parse(export_store(open_store(tmp_path / name), FORMATS["nq"]),
                                       format=ox.RdfFormat.N_QUADS)} for name in ("old", "card")]
    assert quads[0] == quads[1]


def test_jsonld_syntax_error_has_line(tmp_path):
    bad = tmp_path / "p.jsonld"
    bad.write_text('{\n  "@id": "x",\n  "@type" "y"\n}\n', encoding="utf-8")
    result = runner.invoke(app, ["build", str(bad), "--store", str(tmp_path / "s")])
    assert result.exit_code == 2 and result.output.startswith("error[PKG-E019 rdf-syntax]: JSON syntax error")
    assert f"where: {bad}:3:11" in result.output


@pytest.mark.parametrize("name, text, error_id", [
    ("deep.jsonld", '{"a":' * 20000 + "1" + "}" * 20000, "rdf-syntax"),
    ("deep.yaml", "a: " + "[" * 20000 + "]" * 20000, "yaml-syntax"),
])
def test_deeply_nested_input(tmp_path, name, text, error_id):
    """Found while probing: JSON nested 20,000 deep escaped as RecursionError (a bug, exit 70)."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2 and result.output.startswith(f"error[{code_of(error_id)} {error_id}]"), result.output


def test_rdf_file_not_utf8(tmp_path):
    bad = tmp_path / "p.ttl"
    bad.write_bytes(TTL.replace("{imports}", "").encode().replace(b"acme@", b"acm\xe9@"))
    result = runner.invoke(app, ["build", str(bad), "--store", str(tmp_path / "s")])
    assert result.exit_code == 2 and result.output.startswith("error[PKG-E017 not-utf8]"), result.output
    assert f"{bad}:5:24" in result.output


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Serves fixed answers by path and records every request it gets."""
    answers: dict = {}
    seen: list = []

    def do_GET(self):  # noqa: N802
        type(self).seen.append(self.path)
        status, body, delay = self.answers.get(self.path, (404, b"not here", 0))
        time.sleep(delay)
        self.send_response(status)
        self.send_header("Content-Type", "application/ld+json" if status == 200 else "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server():
    """start(answers) -> base URL of a real HTTP server on 127.0.0.1 and its handler class."""
    servers = []

    def start(answers):
        handler = type("Handler", (_Recorder,), {"answers": answers, "seen": []})
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(httpd)
        return f"http://127.0.0.1:{httpd.server_address[1]}", handler
    yield start
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


def _jsonld(context) -> str:
    return json.dumps({"@context": context, "@id": "https://w3id.org/policykg/policy/acme/2024-01-01#notice",
                       "@type": "dpv:PrivacyNotice", "dct:identifier": "acme@2024-01-01"})


def test_remote_context_refused_offline_unless_allowed(tmp_path, http_server):
    context = {"@context": {"dpv": "https://w3id.org/dpv#", "dct": "http://purl.org/dc/terms/"}}
    base, handler = http_server({"/ctx.jsonld": (200, json.dumps(context).encode(), 0)})
    doc = tmp_path / "p.jsonld"
    doc.write_text(_jsonld(base + "/ctx.jsonld"), encoding="utf-8")
    result = runner.invoke(app, ["build", str(doc), "--store", str(tmp_path / "s")])
    assert result.exit_code == 2 and result.output.startswith("error[PKG-E020 remote-context]"), result.output
    assert "--allow-remote-context" in result.output and handler.seen == []   # nothing was fetched
    result = runner.invoke(app, ["build", str(doc), "--store", str(tmp_path / "s"), "--allow-remote-context"])
    assert result.exit_code == 0, result.output
    assert handler.seen == ["/ctx.jsonld"] and "acme@2024-01-01" in result.output


def test_remote_context_that_cannot_be_fetched_exits_3(tmp_path, http_server):
    base, _ = http_server({})
    doc = tmp_path / "p.jsonld"
    doc.write_text(_jsonld(base + "/missing.jsonld"), encoding="utf-8")
    result = runner.invoke(app, ["validate", str(doc), "--allow-remote-context"])
    assert result.exit_code == 3 and result.output.startswith("error[PKG-E021 remote-context-failed]")
    assert "HTTP Error 404" in result.output


def test_owl_imports_are_not_followed(tmp_path, http_server):
    base, handler = http_server({"/more.ttl": (200, b"<a> <b> <c> .", 0)})
    ttl = tmp_path / "acme.ttl"
    ttl.write_text(TTL.replace("{imports}", f"; owl:imports <{base}/more.ttl> "), encoding="utf-8")
    result = runner.invoke(app, ["build", str(ttl), "--store", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    assert handler.seen == []
    from kg.stores.oxigraph import open_store
    store = open_store(tmp_path / "s")
    assert store.query(f"ASK {{ GRAPH ?g {{ ?n <http://www.w3.org/2002/07/owl#imports> <{base}/more.ttl> }} }}")


# --- writing files --------------------------------------------------------------------------------------

def test_out_into_a_missing_folder_creates_it(built_store, tmp_path):
    out = tmp_path / "new" / "deeper" / "p.ttl"
    result = runner.invoke(app, ["export", "-o", str(out), "--store", str(built_store[0])])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 1000


def test_out_that_cannot_be_written(built_store, tmp_path):
    (tmp_path / "file").write_text("x")
    targets = [(tmp_path / "file" / "p.ttl", "is not a folder"), (tmp_path, "is a folder"),
               (tmp_path / ("x" * 300 + ".ttl"), "File name too long")]    # found while probing: was a bug
    if os.geteuid() != 0:        # root writes anywhere: a read-only folder refuses only other users
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o500)
        targets.append((ro / "p.ttl", "Permission denied"))
    elif os.path.isdir("/proc/self"):
        targets.append((Path("/proc/self/p.ttl"), ""))   # procfs: no new files, even for root
    for out, why in targets:
        result = runner.invoke(app, ["export", "-f", "ttl", "-o", str(out), "--store", str(built_store[0])])
        assert result.exit_code == 2, result.output
        assert result.output.startswith("error[PKG-E037 cannot-write]") and why in result.output, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["file"] + (["ro"] if os.geteuid() else []))


def test_disk_full_while_exporting(built_store, tmp_path):
    """A real write limit (RLIMIT_FSIZE, SIGXFSZ ignored so write() fails with EFBIG): the export fails
    with disk-full, the temporary file is removed and the previous target is untouched."""
    out = tmp_path / "p.ttl"
    out.write_bytes(b"previous content")
    script = textwrap.dedent(f"""
        import resource, signal, sys
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        from kg.cli.main import main
        sys.argv = ["policykg", "export", "-o", {str(out)!r}, "--store", {str(built_store[0])!r}]
        main()
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.startswith("error[PKG-E038 disk-full]: no space left to write"), proc.stderr
    assert "Traceback" not in proc.stderr
    assert out.read_bytes() == b"previous content"
    assert [p.name for p in tmp_path.iterdir()] == ["p.ttl"]    # no temporary file left


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
def test_stdout_on_a_full_disk(built_store):
    """Found while probing: output to a full device was reported as a bug (exit 70)."""
    for args in (["export", "-f", "nq", "--with-vocabulary"], ["query", "policy-versions", "-f", "csv"]):
        with open("/dev/full", "wb") as full:
            proc = subprocess.run(POLICYKG + args + ["--store", str(built_store[0])], stdout=full,
                                  stderr=subprocess.PIPE, text=True)
        assert proc.returncode == 3, proc.stderr
        assert proc.stderr.startswith("error[PKG-E038 disk-full]: no space left to write the output")


def test_out_that_is_a_pipe_or_a_link(built_store, tmp_path):
    """Found while probing: `-o /dev/full` (or /dev/stdout) replaced the device node by a regular file
    (the atomic rename), as root. Devices and pipes are now written through; links keep pointing at the file."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    result = runner.invoke(app, ["export", "-f", "nq", "-o", str(fifo), "--store", str(built_store[0])])
    reader.join(timeout=60)
    assert result.exit_code == 0, result.output
    assert fifo.is_fifo() and got and got[0].count(b"\n") > 100
    target = tmp_path / "real.nq"
    target.write_bytes(b"old")
    link = tmp_path / "link.nq"
    link.symlink_to(target)
    result = runner.invoke(app, ["export", "-f", "nq", "-o", str(link), "--store", str(built_store[0])])
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and target.read_bytes() == got[0]


def test_write_atomic_error_kinds(tmp_path, monkeypatch):
    import errno
    out = tmp_path / "x.ttl"
    write_atomic(b"old", out)

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(KgError) as exc:
        write_atomic(b"new", out)
    assert exc.value.id == "disk-full" and exc.value.exit_code == 3
    assert out.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["x.ttl"]


# --- queries and endpoints ------------------------------------------------------------------------------

def test_sparql_syntax_error_has_line_and_column(tmp_path, built_store):
    rq = tmp_path / "broken.rq"
    rq.write_text("# title: t\n# description: d\n# columns: x\nSELECT ?x\nWHERE { ?x ?y \"abc }\nORDER BY ?x\n",
                  encoding="utf-8")
    result = runner.invoke(app, ["query", str(rq), "--store", str(built_store[0])])
    assert result.exit_code == 2 and result.output.startswith("error[PKG-E061 invalid-query]: the query does not parse")
    assert f"where: {rq}:5:21" in result.output


@pytest.mark.parametrize("content, error_id", [(b"", "empty-file"), (b"\x00\x01", "binary-file"),
                                               (b"# title: caf\xe9", "not-utf8")])
def test_query_file_empty_binary_or_not_utf8(tmp_path, built_store, content, error_id):
    rq = tmp_path / "q.rq"
    rq.write_bytes(content)
    result = runner.invoke(app, ["query", str(rq), "--store", str(built_store[0])])
    assert result.exit_code == 2 and result.output.startswith(f"error[{code_of(error_id)} {error_id}]"), result.output
    result = runner.invoke(app, ["queries", "--dir", str(tmp_path)])
    assert result.exit_code == 2 and error_id in result.output
    result = runner.invoke(app, ["queries", "--dir", str(tmp_path / "nope")])
    assert result.exit_code == 2 and result.output.startswith("error[PKG-E013 file-not-found]: no query folder")


def test_slow_endpoint_times_out(http_server, built_store):
    base, _ = http_server({"/query": (200, b"{}", 3)})
    start = time.perf_counter()
    result = runner.invoke(app, ["query", "policy-versions", "--endpoint", base + "/query", "--timeout", "1"])
    assert result.exit_code == 3 and result.output.startswith("error[PKG-E070 endpoint-timeout]"), result.output
    assert "within 1 s" in result.output and time.perf_counter() - start < 3
    result = runner.invoke(app, ["query", "policy-versions", "--endpoint", base + "/query", "--timeout", "0"])
    assert result.exit_code == 2 and "--timeout 0 is not a positive" in result.output


def test_endpoint_answering_non_sparql_content(http_server):
    base, _ = http_server({"/query": (200, b"<html><body>Welcome to our proxy</body></html>", 0)})
    result = runner.invoke(app, ["query", "policy-versions", "--endpoint", base + "/query"])
    assert result.exit_code == 3, result.output
    assert result.output.startswith("error[PKG-E067 endpoint-error]") and "SPARQL JSON results" in result.output


class _FailAfter(http.server.BaseHTTPRequestHandler):
    """A proxy in front of a real Oxigraph server that forwards `allowed` PUTs, then answers 500."""
    upstream = ""
    allowed = 0
    puts: list = []

    def do_PUT(self):  # noqa: N802
        data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._forward_or_fail(type(self).puts, type(self).allowed, b"disk quota exceeded", data=data,
                              headers={"Content-Type": self.headers["Content-Type"]})

    def _forward_or_fail(self, done: list, allowed: int, failure: bytes, **request_args):
        """Forward this request to the real server while fewer than `allowed` went (noted in `done`), then
        answer 500 with `failure`."""
        if len(done) >= allowed:
            body = failure
            self.send_response(500)
        else:
            done.append(self.path)
            request = urllib.request.Request(type(self).upstream + self.path, method=self.command, **request_args)
            with urllib.request.urlopen(request, timeout=30) as response:
                self.send_response(response.status)
                body = response.read()
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.mark.slow   # a real server
def test_push_failing_halfway_reports_the_graphs_and_rerun_is_safe(built_store):
    if not oxigraph_binary():
        pytest.skip("the `oxigraph` server binary is absent (pip install -e '.[test]')")
    counts = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
    with OxigraphServer() as server:
        handler = type("H", (_FailAfter,), {"upstream": server.base, "allowed": 2, "puts": []})
        proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        proxy.handle_error = lambda *a: None     # a client that hangs up after a 500 is no news here
        threading.Thread(target=proxy.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        try:
            url = f"http://127.0.0.1:{proxy.server_address[1]}/query"
            graph_store = f"http://127.0.0.1:{proxy.server_address[1]}/store"
            result = runner.invoke(app, ["push", "--endpoint", url, "--graph-store", graph_store,
                                         "--store", str(built_store[0])])
        finally:
            proxy.shutdown()
            proxy.server_close()
        assert result.exit_code == 3, result.output
        first = next(line for line in result.output.splitlines() if line.startswith("error["))
        assert first.startswith("error[PKG-E069 push-incomplete]: the push stopped at graph 3 of 3 (")
        assert "HTTP 500: disk quota exceeded" in first
        assert "replaced on the server: https://w3id.org/policykg/graph/vocab, https://w3id.org/policykg/policy/" in result.output
        assert "run the same push again: it is safe" in result.output
        from kg.stores import SparqlEndpoint
        remote = SparqlEndpoint(server.query_url)
        assert len(remote.select(counts).rows) == 2           # the two graphs that went, whole
        for _ in range(2):                                     # re-run, twice: same graphs, no duplicates
            again = runner.invoke(app, ["push", "--endpoint", server.query_url, "--store", str(built_store[0])])
            assert again.exit_code == 0, again.output
            rows = {r[0].value: int(r[1].value) for r in remote.select(counts).rows}
        from kg.stores import EmbeddedStore
        assert rows == {r[0].value: int(r[1].value) for r in EmbeddedStore(built_store[0]).select(counts).rows}


class _DeleteFailAfter(_FailAfter):
    """Forwards every PUT and `deletes` DELETEs to the real server, then answers 500 to DELETEs."""
    allowed = 1000
    deletes = 1
    deleted: list = []

    def do_DELETE(self):  # noqa: N802
        self._forward_or_fail(type(self).deleted, type(self).deletes, b"read-only mode")


@pytest.mark.slow   # a real server
def test_push_prune_failing_halfway_says_what_was_removed_and_rerun_is_safe(built_store):
    if not oxigraph_binary():
        pytest.skip("the `oxigraph` server binary is absent (pip install -e '.[test]')")
    from kg import namespaces as ns
    from kg.stores import SparqlEndpoint
    stale = sorted(ns.policy_graph_iri("gone", d) for d in ("2020-01-01", "2021-01-01", "2022-01-01"))
    with OxigraphServer() as server:
        remote = SparqlEndpoint(server.query_url, graph_store=server.store_url)
        for graph in stale:
            remote.put_graph(graph, b"<http://example.org/s> <http://example.org/p> <http://example.org/o> .\n")
        handler = type("H", (_DeleteFailAfter,), {"upstream": server.base, "puts": [], "deleted": []})
        proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        proxy.handle_error = lambda *a: None
        threading.Thread(target=proxy.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        try:
            graph_store = f"http://127.0.0.1:{proxy.server_address[1]}/store"
            result = runner.invoke(app, ["push", "--endpoint", server.query_url, "--graph-store", graph_store,
                                         "--store", str(built_store[0]), "--prune"])
        finally:
            proxy.shutdown()
            proxy.server_close()
        assert result.exit_code == 3, result.output
        first = next(line for line in result.output.splitlines() if line.startswith("error["))
        assert first.startswith(f"error[PKG-E069 push-incomplete]: the prune stopped at graph 2 of 3 ({stale[1]})")
        assert f"removed from the server: {stale[0]}; not removed: {stale[1]}, {stale[2]}" in result.output
        graphs = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
        assert set(stale[1:]) <= {r[0].value for r in remote.select(graphs).rows}
        again = runner.invoke(app, ["push", "--endpoint", server.query_url, "--store", str(built_store[0]), "--prune"])
        assert again.exit_code == 0, again.output
        assert "pruned 2 graph(s)" in again.output
        assert not set(stale) & {r[0].value for r in remote.select(graphs).rows}


# --- builds: signals, concurrency -----------------------------------------------------------------------

def _store_digest(store: Path) -> dict[str, str]:
    """Every file of the store's current generation, by content (and where the link points)."""
    target = store.resolve()
    out = {"->": os.readlink(store)}
    for path in sorted(target.rglob("*")):
        if path.is_file():
            out[str(path.relative_to(target))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _slow_build(store: Path, ready: Path, hold: float) -> subprocess.Popen:
    """A real `policykg build` (the CLI's main) that signals `ready` once it writes the new store
    generation, then takes `hold` seconds there: the window for a signal or a second build. `--full`: a
    rebuild of a store of the same code copies its generation and writes no vocabulary graph (issue 18),
    so the hook on add_quads (the vocabulary's quads, the first a full build writes) would never run."""
    script = textwrap.dedent(f"""
        import pathlib, sys, time
        from kg.stores import oxigraph
        add = oxigraph.StoreBuilder.add_quads
        def slow(self, quads):
            pathlib.Path({str(ready)!r}).touch()
            time.sleep({hold})
            return add(self, quads)
        oxigraph.StoreBuilder.add_quads = slow
        from kg.cli.main import main
        sys.argv = ["policykg", "build", {str(DATA)!r}, "--store", {str(store)!r}, "--full"]
        main()
    """)
    # SIGINT must reach the child as Ctrl-C does, even where this test runs with SIGINT ignored (a
    # background job of a non-interactive shell): Python then installs no KeyboardInterrupt handler.
    return subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the build never reached the store"
        time.sleep(0.05)


@pytest.mark.slow   # real builds interrupted
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_build_leaves_the_store_byte_identical(tmp_path, sig):
    from kg.build import build
    store = tmp_path / "store"
    build([FIXTURES / "policies"], store=store)
    before = _store_digest(store)
    proc = _slow_build(store, tmp_path / "ready", hold=30)
    try:
        _wait_for(tmp_path / "ready", proc)
        os.kill(proc.pid, sig)
        _, errs = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, errs
    assert errs.startswith("error[PKG-E039 interrupted]") and "Traceback" not in errs
    assert _store_digest(store) == before
    # the half-written generation is gone and the lock is free: the next build runs
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("store.gen-")] == [store.resolve().name]
    assert runner.invoke(app, ["build", str(FIXTURES / "policies"), "--store", str(store)]).exit_code == 0


@pytest.mark.slow   # two real builds in subprocesses
def test_two_builds_at_once_second_refuses(tmp_path):
    from kg.build import build
    store = tmp_path / "store"
    build([FIXTURES / "policies"], store=store)
    proc = _slow_build(store, tmp_path / "ready", hold=0.5)
    try:
        _wait_for(tmp_path / "ready", proc)
        # --full: a build with nothing to load leaves the store as it is and needs no lock (issue 18)
        result = runner.invoke(app, ["build", str(FIXTURES / "policies"), "--store", str(store), "--full"])
        assert result.exit_code == 3, result.output
        assert result.output.startswith(f"error[PKG-E033 store-busy]: another build is writing the store {store}")
        _, errs = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, errs
    from kg.inventory import list_policies
    from kg.stores.oxigraph import open_store
    assert sorted(p.slug for p in list_policies(open_store(store))) == ["planethoster", "whiteprovider"]
    assert len([p for p in tmp_path.iterdir() if p.name.startswith("store.gen-")]) == 1
    assert runner.invoke(app, ["build", str(FIXTURES / "policies"), "--store", str(store)]).exit_code == 0


def test_store_path_that_is_not_a_store(tmp_path):
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "mine.txt").write_text("keep me")
    result = runner.invoke(app, ["build", str(FIXTURES / "policies"), "--store", str(tmp_path / "store")])
    assert result.exit_code == 3 and result.output.startswith("error[PKG-E032 store-error]"), result.output
    assert (tmp_path / "store" / "mine.txt").read_text() == "keep me"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("store.gen-")]   # nothing was built


def test_build_of_a_folder_without_policies_keeps_the_store(tmp_path, copy_store):
    """Found while probing: `policykg build sources` built an empty store over the good one."""
    store = copy_store(FIXTURES / "policies")      # as build([FIXTURES / "policies"]) leaves it
    before = _store_digest(store)
    (tmp_path / "empty").mkdir()
    for folder in (FIXTURES / "sources", tmp_path / "empty"):
        result = runner.invoke(app, ["build", str(folder), "--store", str(store)])
        assert result.exit_code == 2 and result.output.startswith("error[PKG-E022 no-policy]: no card"), result.output
    assert _store_digest(store) == before


def test_store_folder_that_cannot_be_written(tmp_path):
    (tmp_path / "file").write_text("x")
    for store in (tmp_path / "file" / "store", Path("/proc/self/store")):
        result = runner.invoke(app, ["build", str(FIXTURES / "policies"), "--store", str(store)])
        assert result.exit_code == 3 and result.output.startswith("error[PKG-E032 store-error]: cannot "), result.output


@pytest.mark.parametrize("url", ["http://[::1", "http://127.0.0.1:99999/query"])
def test_endpoint_url_that_is_not_a_url(url, built_store):
    for args in (["query", "policy-versions", "--endpoint", url],
                 ["push", "--endpoint", url, "--store", str(built_store[0])]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and result.output.startswith(f"error[PKG-E090 usage]: --endpoint {url} is not")


def test_no_traceback_without_debug(tmp_path):
    bad = tmp_path / "p.ttl"
    bad.write_text("@prefix : <x> .\n:a :b", encoding="utf-8")
    proc = subprocess.run(POLICYKG + ["build", str(bad), "--store", str(tmp_path / "s")], capture_output=True,
                          text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and proc.stderr.startswith("error[PKG-E019")
    proc = subprocess.run(POLICYKG + ["--debug", "build", str(bad), "--store", str(tmp_path / "s")],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" in proc.stderr
