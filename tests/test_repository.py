"""Repository rules: no file of ../shared is committed, except the seed snapshots in data/sources/."""
from __future__ import annotations

import hashlib
import subprocess

import pytest

from .conftest import ROOT, needs_shared


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_no_shared_file_is_committed():
    shared = needs_shared()
    try:
        tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    shared_hashes = {_sha(p): p for p in shared.rglob("*") if p.is_file() and p.stat().st_size > 0}
    copies = []
    for name in tracked:
        path = ROOT / name
        if path.is_file() and path.stat().st_size > 0 and _sha(path) in shared_hashes:
            if not name.startswith("data/sources/"):
                copies.append(f"{name} = {shared_hashes[_sha(path)]}")
    assert not copies, copies


def test_seed_snapshots_are_the_shared_seeds():
    seeds = needs_shared("seeds")
    for slug, version in (("whiteprovider", "2024-05-19"), ("planethoster", "2015-09-01")):
        assert _sha(ROOT / "data" / "sources" / slug / f"{version}.fr.txt") == _sha(seeds / f"{slug}.fr.txt")
