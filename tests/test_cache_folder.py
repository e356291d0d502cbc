"""The cache folder (issue 18, "Scale by design": `policykg validate card.yaml` from a fresh process): what loading
the vocabulary and compiling the shapes build is kept on disk (kg.resources.read_cached / keep_cached), keyed by
the hash of the files it was built from, built again when one changes; a corrupt entry or a folder that cannot be
written never fails a command, and a warm cache gives the same output as a cold one."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kg import resources, vocab
from kg.namespaces import VOCAB_GRAPH
from kg.resources import cache_dir, keep_cached, read_cached
from kg.validate import engines, profiles
from kg.validate.run import validate_paths

from .conftest import DATA, ROOT

CARD = DATA / "policies" / "whiteprovider" / "2024-05-19.yaml"
MINI_DPV = ("@prefix dpv: <https://w3id.org/dpv#> . @prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
            "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
            "<https://w3id.org/dpv> a owl:Ontology ; owl:versionInfo \"9.9\" .\n"
            "dpv:Purpose a <http://www.w3.org/2000/01/rdf-schema#Class> ; skos:prefLabel \"Purpose\"@en .\n")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache folder of its own."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(resources.CACHE_ENV, str(folder))
    return folder


def _forget_in_process():
    """Drop what this process holds, so that the next load reads the cache folder (or builds again)."""
    vocab._load.cache_clear()
    profiles._builtin_profiles.cache_clear()
    profiles.shapes_key.cache_clear()
    engines._profile_shapes_of.cache_clear()
    engines._shapes_engine_of.cache_clear()


def test_the_cache_folder_is_chosen_by_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("POLICYKG_CACHE", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("POLICYKG_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "policykg"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_dir() == Path.home() / ".cache" / "policykg"


def test_an_entry_is_read_back_with_its_key_only(cache):
    keep_cached("thing", "k1", {"a": [1, 2]})
    assert read_cached("thing", "k1") == {"a": [1, 2]}
    assert read_cached("thing", "k2") is None          # kept from other files: built again
    assert read_cached("other", "k1") is None          # never kept
    assert [p.name for p in cache.iterdir()] == ["thing.pickle"]   # no temporary file left behind


@pytest.mark.parametrize("damage", [b"", b"k1\n", b"k1\nnot a pickle", b"\x80\x05garbage"])
def test_a_corrupt_entry_is_ignored(cache, damage):
    cache.mkdir()
    (cache / "thing.pickle").write_bytes(damage)
    assert read_cached("thing", "k1") is None
    keep_cached("thing", "k1", [3])                    # and replaced
    assert read_cached("thing", "k1") == [3]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="giving a file away needs root")
def test_an_entry_of_another_user_is_not_read(cache):
    keep_cached("thing", "k1", [1])
    os.chown(cache / "thing.pickle", 54321, -1)      # an entry is a pickle: only the user's own are read
    assert read_cached("thing", "k1") is None


def test_a_folder_that_cannot_be_written_keeps_nothing(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv(resources.CACHE_ENV, str(blocker / "cache"))   # cannot be created, even by root
    keep_cached("thing", "k1", [1])
    assert read_cached("thing", "k1") is None
    _forget_in_process()
    v = vocab.load_vocabulary()
    assert v.exists("dpv:Purpose") and v.label("dpv:Purpose") == "Purpose"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_keeps_nothing(cache):
    cache.mkdir()
    cache.chmod(0o500)
    try:
        _forget_in_process()
        assert vocab.load_vocabulary().exists("dpv:Purpose")
        assert list(cache.iterdir()) == []
    finally:
        cache.chmod(0o700)


def test_the_vocabulary_is_read_from_the_cache_then_again_when_a_file_changes(cache, tmp_path):
    dpv = tmp_path / "dpv"
    dpv.mkdir()
    (dpv / "mini.ttl").write_text(MINI_DPV, encoding="utf-8")
    _forget_in_process()
    cold = vocab.load_vocabulary(dpv)
    assert any(p.name.startswith("vocabulary-") for p in cache.iterdir())
    _forget_in_process()
    warm = vocab.load_vocabulary(dpv)
    assert warm is not cold and warm._graphs_held is None          # from the cache: no file parsed
    for v in (cold, warm):
        assert v.version == "9.9" and v.exists("dpv:Purpose") and not v.exists("dpv:Marketing")
        assert v.label("dpv:Purpose") == "Purpose" and v.exists("pkx:PersistentCookie")
        assert v.in_territory("loc:FR", "pkx:territory-EU") and not v.in_territory("loc:PF", "pkx:territory-EU")
    assert warm.ancestors("pkx:PersistentCookie") == cold.ancestors("pkx:PersistentCookie")
    assert set(warm.graphs()) == set(cold.graphs()) and len(warm.graph) == len(cold.graph)   # read when asked
    (dpv / "mini.ttl").write_text(MINI_DPV + "dpv:Marketing a <http://www.w3.org/2000/01/rdf-schema#Class> .\n",
                                  encoding="utf-8")
    _forget_in_process()
    assert vocab.load_vocabulary(dpv).exists("dpv:Marketing")        # built again from the changed file


def _messages(run) -> list[tuple[str, str]]:
    return [(f.shape, f.message["en"]) for r in run.reports for f in r.findings]


def test_compiled_shapes_are_built_again_when_a_shape_file_changes(cache, tmp_path):
    shapes = tmp_path / "shapes"
    shutil.copytree(resources.shapes_dir(), shapes)
    _forget_in_process()
    cold = validate_paths([CARD], shapes_dir=str(shapes), as_of="2026-12-01")
    kinds = {p.name.split("-")[0] for p in cache.iterdir()}
    assert {"vocabulary", "workspace", "profiles", "shapes", "engine"} <= kinds
    _forget_in_process()
    warm = validate_paths([CARD], shapes_dir=str(shapes), as_of="2026-12-01")
    assert _messages(warm) == _messages(cold) and [r.profiles for r in warm.reports] == [r.profiles for r in cold.reports]
    core = shapes / "core" / "structure.ttl"
    text = core.read_text(encoding="utf-8")
    old = "The process has no purpose, of its own or shared by a parent process."
    assert old in text and ("core-process-purpose", old) in _messages(cold)
    core.write_text(text.replace(old, "EDITED: no purpose."), encoding="utf-8")
    _forget_in_process()
    edited = validate_paths([CARD], shapes_dir=str(shapes), as_of="2026-12-01")
    assert ("core-process-purpose", "EDITED: no purpose.") in _messages(edited)
    assert ("core-process-purpose", old) not in _messages(edited)


def _validate_in_a_fresh_process(cache: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, resources.CACHE_ENV: str(cache)}
    return subprocess.run([sys.executable, "-m", "kg", "validate", str(CARD.relative_to(ROOT)), "--as-of",
                           "2026-12-01"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_a_warm_cache_gives_the_output_of_a_cold_one(tmp_path):
    cache = tmp_path / "cache"
    cold = _validate_in_a_fresh_process(cache)
    assert cold.returncode == 1 and "whiteprovider" in cold.stdout
    assert {p.name.split("-")[0] for p in cache.iterdir()} >= {"vocabulary", "workspace", "profiles", "engine"}
    warm = _validate_in_a_fresh_process(cache)
    assert (warm.returncode, warm.stdout, warm.stderr) == (cold.returncode, cold.stdout, cold.stderr)
    for entry in cache.iterdir():   # every entry damaged: ignored, built again, the same output
        entry.write_bytes(entry.read_bytes()[:100])
    damaged = _validate_in_a_fresh_process(cache)
    assert (damaged.returncode, damaged.stdout, damaged.stderr) == (cold.returncode, cold.stdout, cold.stderr)


def test_a_build_writes_the_vocabulary_from_the_cache_as_it_is(cache, tmp_path):
    """The vocabulary's quads a build writes come from the cache folder (no Turtle parsed) and are the quads
    of its files, with the same count."""
    from kg.terms import ox_quads
    _forget_in_process()
    cold = vocab.load_vocabulary()
    quads, count = cold.store_quads()
    assert any(cache.glob("vocabulary-*-quads.pickle"))
    _forget_in_process()
    warm = vocab.load_vocabulary()
    again, again_count = warm.store_quads()
    assert warm._graphs_held is None   # read from the cache: no file parsed
    expected = [q for _, g in sorted(cold.graphs().items()) for q in ox_quads(g, VOCAB_GRAPH)]
    assert count == again_count == sum(len(g) for g in cold.graphs().values())
    assert sorted(map(str, again)) == sorted(map(str, quads)) == sorted(map(str, expected))
