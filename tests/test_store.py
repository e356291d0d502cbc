"""kg.stores.oxigraph: a build removes only what it made; a damaged store or a path that is not a store is
a clear error (exit 3), never a traceback, never "locked"."""
from __future__ import annotations

import json
import os
import shutil
import sys

import pytest
from typer.testing import CliRunner

from kg.build import build
from kg.cli.main import app
from kg.errors import StoreError
from kg.inventory import list_policies
from kg.stores.oxigraph import MARKER, open_store

from .conftest import DATA, FIXTURES

CARD = FIXTURES / "policies" / "minimal.yaml"
runner = CliRunner()


def _tree(folder) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_store_link_to_a_folder_of_the_users_is_refused_and_the_folder_kept(tmp_path):
    """`ln -s ~/mydata s/store; policykg build --store s/store` removed mydata/."""
    mydata = tmp_path / "mydata"
    mydata.mkdir()
    (mydata / "thesis.txt").write_text("years of work")
    (tmp_path / "s").mkdir()
    os.symlink(mydata, tmp_path / "s" / "store")
    before = _tree(mydata)
    with pytest.raises(StoreError) as raised:
        build([CARD], store=tmp_path / "s" / "store")
    assert raised.value.id == "not-a-store"
    assert _tree(mydata) == before
    assert [p.name for p in (tmp_path / "s").iterdir() if p.name != ".store.lock"] == ["store"]


def test_a_relative_link_to_a_sibling_that_is_not_a_generation_is_refused(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.txt").write_text("mine")
    os.symlink("notes", tmp_path / "store")
    result = runner.invoke(app, ["build", str(CARD), "--store", str(tmp_path / "store")])
    assert result.exit_code == 3
    assert "PKG-E100 not-a-store" in result.output and "Traceback" not in result.output
    assert (tmp_path / "notes" / "a.txt").read_text() == "mine"


def test_siblings_that_only_look_like_generations_are_left_alone(tmp_path):
    """`store.gen-backup-2024/` beside the store was deleted by every build."""
    store = tmp_path / "store"
    backup = tmp_path / "store.gen-backup-2024"
    backup.mkdir()
    (backup / "keep.txt").write_text("mine")
    build([CARD], store=store)
    copy = tmp_path / "store.gen-copy"                     # a generation copied under another name
    shutil.copytree(store.resolve(), copy)
    build([CARD], store=store)
    build([CARD], store=store)
    assert (backup / "keep.txt").read_text() == "mine"
    assert copy.is_dir() and (copy / MARKER).is_file()
    generations = [p for p in tmp_path.iterdir() if p.name.startswith("store.gen-2")]
    assert generations == [store.resolve()]                # the builds' own old generations are gone


def test_each_generation_carries_its_marker(tmp_path):
    store = tmp_path / "store"
    build([CARD], store=store)
    marker = json.loads((store.resolve() / MARKER).read_text())
    assert marker == {"policykg": "store generation", "store": "store", "generation": store.resolve().name}
    assert [p.key for p in list_policies(open_store(store))] == ["example@2024-01-31"]   # it still opens


def test_a_half_written_generation_of_a_killed_build_is_removed(tmp_path):
    store = tmp_path / "store"
    build([CARD], store=store)
    stale = tmp_path / "store.gen-20240101T000000-1-1"
    stale.mkdir()
    (stale / MARKER).write_text(json.dumps({"store": "store", "generation": stale.name}))
    build([CARD], store=store)
    assert not stale.exists()


def test_a_store_of_policykg_0_1_without_markers_is_replaced(tmp_path):
    """Generations made before the marker: the one the link points at is replaced; others are kept."""
    store = tmp_path / "store"
    build([CARD], store=store)
    legacy = tmp_path / "store.gen-20250101T101010-42-4242"
    store.resolve().rename(legacy)
    (legacy / MARKER).unlink()
    store.unlink()
    os.symlink(legacy.name, store)
    other = tmp_path / "store.gen-20250101T090909-41-4141"
    shutil.copytree(legacy, other)
    build([CARD], store=store)
    assert not legacy.exists() and other.exists()
    assert store.resolve() != legacy


def test_a_dangling_store_link_is_rebuilt(tmp_path):
    store = tmp_path / "store"
    build([CARD], store=store)
    shutil.rmtree(store.resolve())
    build([CARD], store=store)
    assert open_store(store)


def test_a_folder_at_the_store_path_is_refused(tmp_path):
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "f").write_text("x")
    with pytest.raises(StoreError):
        build([CARD], store=tmp_path / "store")
    assert (tmp_path / "store" / "f").read_text() == "x"


# -- damaged stores ----------------------------------------------------------------------------------------

@pytest.fixture
def seed_store(copy_store):
    """The seeds' store, a copy of one built once (tests.conftest.copy_store): each test damages its own."""
    return copy_store(DATA)


def _largest_sst(store):
    return max(store.resolve().glob("*.sst"), key=lambda p: p.stat().st_size)


def _truncate(store):
    sst = _largest_sst(store)
    os.truncate(sst, 1000)


def _flip(store):
    sst = _largest_sst(store)
    data = bytearray(sst.read_bytes())
    for i in range(1000, len(data), 5000):
        data[i] ^= 0xFF
    sst.write_bytes(bytes(data))


def _garble_manifest(store):
    manifest = next(store.resolve().glob("MANIFEST-*"))
    manifest.write_bytes(os.urandom(manifest.stat().st_size))


def _no_current(store):
    (store.resolve() / "CURRENT").unlink()


@pytest.mark.parametrize("damage", [_truncate, _flip, _garble_manifest, _no_current])
@pytest.mark.parametrize("command", [["list"], ["export", "--format", "nq"], ["query", "policy-versions"],
                                     ["validate", "whiteprovider"]])
def test_a_damaged_store_is_exit_3_with_what_to_do(seed_store, damage, command):
    damage(seed_store)
    result = runner.invoke(app, [*command, "--store", str(seed_store)])
    assert result.exit_code == 3, result.output
    assert "PKG-E101 store-damaged" in result.output, result.output
    assert "policykg build" in result.output and "Traceback" not in result.output


def test_a_store_link_to_a_folder_that_is_not_a_store_is_not_called_locked(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "a.txt").write_text("x")
    os.symlink("elsewhere", tmp_path / "store")
    result = runner.invoke(app, ["list", "--store", str(tmp_path / "store")])
    assert result.exit_code == 3
    assert "PKG-E100 not-a-store" in result.output and "locked" not in result.output


def test_a_damaged_store_is_rebuilt_by_a_build(seed_store):
    """What the error says to do works: a full build (an incremental one would copy the damaged files)."""
    _flip(seed_store)
    result = runner.invoke(app, ["build", str(DATA), "--store", str(seed_store), "-q", "--full"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["list", "--store", str(seed_store)]).exit_code == 0


pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the store link is a symbolic link")


def test_a_generation_a_reader_has_open_survives_a_rebuild_until_the_reader_ends(tmp_path):
    """An export that started before a build swapped the store read a generation the build then deleted
    (tracebacks in the red-team's concurrent run): a build now leaves a generation some process holds."""
    import subprocess
    import textwrap
    store = tmp_path / "store"
    build([CARD], store=store)
    first = store.resolve()
    reader = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys
        from kg.stores.oxigraph import open_store
        store = open_store({str(store)!r})
        print("open", flush=True)
        sys.stdin.readline()                       # the build runs now
        print(sum(1 for _ in store), flush=True)   # every quad is still readable
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert reader.stdout.readline().strip() == "open"
    build([DATA], store=store)
    assert first.is_dir() and store.resolve() != first
    out, _ = reader.communicate("go\n", timeout=60)
    assert reader.returncode == 0 and int(out) > 0
    build([CARD], store=store)                     # no one holds it now
    assert not first.exists()


def test_damage_found_while_reading_is_store_damaged_not_a_bug():
    """RocksDB may find a bad block only when a query reads it; the command says so (exit 3). The message is
    the one RocksDB gives (seen on a store whose SST index block was altered)."""
    from kg.cli.main import _environment_error
    found = _environment_error(RuntimeError("Corruption: block checksum mismatch: stored = 1035076671, computed "
                                            "= 2669393145, type = 4  in s/000027.sst offset 1383674 size 4631"))
    assert found is not None and found.id == "store-damaged" and found.exit_code == 3
    assert _environment_error(RuntimeError("something else")) is None
    assert _environment_error(ValueError("Corruption: not from the store")) is None
