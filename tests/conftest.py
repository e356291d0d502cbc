"""Shared fixtures: paths, the vocabulary, the seed policies, a built store (session-scoped)."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
DATA = ROOT / "data"
SHARED = ROOT.parent / "shared"
SEED_CARDS = sorted((DATA / "policies").rglob("*.yaml"))

# Tests never read the developer's own profiles (~/.config/policykg/profiles, issue 20): an empty user profiles
# folder for the whole session (subprocesses inherit it); tests of user profiles set their own.
os.environ["POLICYKG_PROFILES"] = tempfile.mkdtemp(prefix="policykg-no-user-profiles-")
# the cache folder (kg.resources.cache_dir): never the developer's ~/.cache; one per test process
os.environ["POLICYKG_CACHE"] = tempfile.mkdtemp(prefix="policykg-test-cache-")


def needs_shared(*parts: str) -> Path:
    """A path under ../shared, or skip the test (CI has ../shared; a user's clone may not)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: this test reads the shared research/DPV files beside the project")
    return path


@pytest.fixture(scope="session")
def vocabulary():
    from kg.vocab import load_vocabulary
    return load_vocabulary()


@pytest.fixture(scope="session")
def seed_policies(vocabulary):
    from kg.load import load_card
    return {p.slug: p for p in (load_card(card, vocabulary=vocabulary) for card in SEED_CARDS)}


@pytest.fixture(scope="session")
def built_store(tmp_path_factory):
    """The seeds built into an embedded store once for the session: (store path, BuildResult)."""
    from kg.build import build
    path = tmp_path_factory.mktemp("store") / "store"
    result = build([DATA], store=path)
    return path, result


@pytest.fixture(scope="session")
def store_template(tmp_path_factory):
    """template(*inputs) -> a folder holding `store` (its link, its generation, its lock file) built once for the
    session from those inputs and never opened again: tests copy it (copy_store) instead of building the same
    store again, and may write into their copy."""
    from kg.build import build
    built: dict[tuple, Path] = {}

    def template(*inputs: Path) -> Path:
        key = tuple(str(Path(i).resolve()) for i in inputs)
        if key not in built:
            folder = tmp_path_factory.mktemp("template")
            build([Path(i) for i in inputs], store=folder / "store")
            built[key] = folder
        return built[key]
    return template


@pytest.fixture
def copy_store(store_template, tmp_path):
    """copy_store(*inputs, into=tmp_path) -> into/"store", a store as `build(inputs, store=into/"store")` leaves
    it (same files, the same relative link to its generation), copied from the session's template."""
    def copy(*inputs: Path, into: Path | None = None) -> Path:
        into = into or tmp_path
        shutil.copytree(store_template(*inputs), into, symlinks=True, dirs_exist_ok=True)
        return into / "store"
    return copy


@pytest.fixture
def minimal_card(tmp_path) -> Path:
    """A writable copy of tests/fixtures (policies/minimal.yaml and its snapshot) for mutation tests."""
    shutil.copytree(FIXTURES / "policies", tmp_path / "policies")
    shutil.copytree(FIXTURES / "sources", tmp_path / "sources")
    return tmp_path / "policies" / "minimal.yaml"


SLOW_ENV = "POLICYKG_SLOW_TESTS"


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite the expected files (query results, seed findings) from the current output; "
                          "review the diff before committing")
    parser.addoption("--slow", action="store_true", default=False,
                     help=f"also run the slow reference tests (or set {SLOW_ENV}=1; CI does)")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: a slow reference test (pySHACL agreement, HermiT, real servers, "
                                       f"subprocess soak, benchmark smoke test): run with --slow or {SLOW_ENV}=1")


def engine_params(*engines: str) -> list:
    """Engines to parametrize a test with: the project's engine in the default loop; pySHACL's runs (the
    reference, seconds a policy) are slow reference tests, run by CI."""
    return [pytest.param(e, marks=pytest.mark.slow) if e.startswith("pyshacl") else e for e in engines]


def pytest_collection_modifyitems(config, items):
    """The default loop leaves the slow reference tests out; CI (.ci/run) runs everything."""
    if config.getoption("--slow") or os.environ.get(SLOW_ENV) == "1":
        return
    slow = [item for item in items if item.get_closest_marker("slow")]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if not item.get_closest_marker("slow")]


@pytest.fixture(scope="session")
def update_golden(request) -> bool:
    return bool(request.config.getoption("--update-golden"))


VERSIONS = FIXTURES / "versions"          # a fictitious second version of a seed (test fixture, see its README)
VERSION_CARD = VERSIONS / "policies" / "whiteprovider" / "2025-03-01.test-fixture.yaml"


@pytest.fixture(scope="session")
def versions_store(tmp_path_factory):
    """The seeds plus the fixture version whiteprovider@2025-03-01, built once: the store path."""
    from kg.build import build
    path = tmp_path_factory.mktemp("versions") / "store"
    build([DATA, VERSIONS / "policies"], store=path)
    return path
