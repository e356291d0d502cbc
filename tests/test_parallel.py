"""kg.parallel: forked workers that give results in order, fail fast, and never outlive the run.

The hang tests are bounded: each runs its command with a timeout, so a regression fails instead of
holding CI. The soak (100 exports, 20 interrupted builds) is benchmarks/soak.py, run by hand.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from kg.parallel import WorkerError, _Pool, closing_batches, ordered_batches

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="workers are forked")


def _square_all(batch: list[int]) -> list[int]:
    return [x * x for x in batch]


def _big(batch: list[int]) -> list[bytes]:
    return [bytes(2_000_000) for _ in batch]   # far more than a pipe holds: a worker blocks on its send


def _slow(batch: list[int]) -> list[int]:
    time.sleep(0.05)
    return batch


def _raises(batch: list[int]) -> list[int]:
    raise ValueError("boom")


def _children() -> set[int]:
    """The live (not zombie) child processes of this process."""
    pids = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        children = (task / "children").read_text().split()
        pids |= {int(p) for p in children}
    return {p for p in pids if _state(p) not in ("Z", None)}


def _state(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return None


needs_proc = pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc (Linux)")


def test_results_come_in_input_order():
    batches = [list(range(i, i + 5)) for i in range(0, 200, 5)]
    assert list(ordered_batches(_square_all, batches, workers=3, window=4)) == [_square_all(b) for b in batches]


def test_no_batches_starts_no_worker():
    assert list(ordered_batches(_square_all, [], workers=4)) == []


@needs_proc
def test_workers_are_gone_after_a_complete_run():
    before = _children()
    assert len(list(ordered_batches(_slow, [[i] for i in range(20)], workers=2))) == 20
    assert _children() == before


@needs_proc
def test_an_error_in_the_consumer_ends_blocked_workers_at_once():
    """The newcomer's deadlock: the consumer fails early while workers block writing large results."""
    before = _children()
    t = time.monotonic()
    with pytest.raises(RuntimeError):
        with closing_batches(_big, [[i] for i in range(200)], workers=2, window=8) as results:
            for _ in results:
                time.sleep(0.2)   # let the workers fill their pipes
                raise RuntimeError("a bad card")
    assert time.monotonic() - t < 10
    assert _children() == before


@needs_proc
def test_closing_early_ends_the_workers():
    before = _children()
    with closing(ordered_batches(_big, [[i] for i in range(100)], workers=2)) as results:
        next(results)
    assert _children() == before


def test_a_killed_worker_is_an_error_not_a_hang():
    pool = _Pool(_slow, 2, None)
    try:
        os.kill(pool._workers[0].pid, signal.SIGKILL)
        t = time.monotonic()
        with pytest.raises(WorkerError) as raised:
            list(pool.run([[i] for i in range(100)], 4))
        assert time.monotonic() - t < 10
        assert "signal 9" in raised.value.what
    finally:
        pool.close()


def test_a_function_that_raises_is_a_worker_error():
    with pytest.raises(WorkerError) as raised:
        list(ordered_batches(_raises, [[1], [2]], workers=2))
    assert "ValueError: boom" in raised.value.what


def test_workers_ignore_sigint_and_take_sigterm():
    pool = _Pool(_slow, 2, None)
    try:
        first, second = (w.pid for w in pool._workers)
        os.kill(first, signal.SIGINT)            # Ctrl-C reaches the whole process group: the parent decides
        os.kill(second, signal.SIGTERM)
        time.sleep(0.5)
        assert _state(first) not in ("Z", None)
        assert _state(second) in ("Z", None)         # ended (and reaped by the pool)
    finally:
        pool.close()


# -- the commands, in subprocesses, each bounded in time ---------------------------------------------------

def _corpus(root: Path, n: int) -> Path:
    sys.path.insert(0, str(ROOT))
    from benchmarks.generate import generate
    generate(n, root)
    return root / "policies"


def _policykg(*args: str, cwd: Path, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kg", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, **kwargs)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    _corpus(root, 160)
    return root


@pytest.mark.slow   # a real build in a subprocess
def test_build_with_a_bad_card_early_among_many_ends_with_its_error(corpus, tmp_path):
    """150 cards and a bad one third: the build hung for ever (a worker blocked on its pipe)."""
    policies = tmp_path / "policies"
    shutil.copytree(corpus / "policies", policies)
    shutil.copytree(corpus / "sources", tmp_path / "sources")
    cards = sorted(policies.rglob("*.yaml"))
    text = cards[2].read_text(encoding="utf-8")
    cards[2].write_text(text.replace("dpv:hasPurpose:", "dpv:hasPurpos:", 1), encoding="utf-8")
    t = time.monotonic()
    done = _policykg("build", str(policies), "--store", str(tmp_path / "store"), cwd=tmp_path, timeout=90)
    assert done.returncode == 2, done.stderr
    assert "PKG-E005" in done.stderr or "PKG-E012" in done.stderr, done.stderr
    assert str(cards[2].relative_to(tmp_path)) in done.stderr or str(cards[2]) in done.stderr
    assert "Traceback" not in done.stderr
    assert time.monotonic() - t < 90
    assert not (tmp_path / "store").exists()


@pytest.mark.slow   # real builds interrupted
def test_ctrl_c_to_the_process_group_ends_a_parallel_build(corpus, tmp_path):
    """SIGINT to the whole group, as a terminal sends it: exit 130, no worker traceback, no worker left,
    the lock released (the next build runs), the previous store untouched."""
    store = tmp_path / "store"
    first = _policykg("build", str(corpus / "policies"), "--store", str(store), "-q", cwd=corpus)
    assert first.returncode == 0, first.stderr
    before = sorted((p.name, p.stat().st_size) for p in store.resolve().iterdir())
    interrupted = 0
    for delay in (0.3, 2.5, 5.0):   # while starting, while loading cards, while writing the store
        # SIGINT's default action in the build, as under a terminal: a job started in the background of a
        # non-interactive shell inherits SIGINT ignored, and then no build would be interrupted
        proc = subprocess.Popen([sys.executable, "-m", "kg", "build", str(corpus / "policies"), "--store", str(store),
                                 "-q"], cwd=corpus, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGINT)
        try:
            _, stderr = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail(f"the build did not end within 30 s of Ctrl-C (after {delay} s)")
        # 0: it had finished before the signal came; -SIGINT: it came as Python shut down (a shell says 130)
        assert proc.returncode in (130, 0, -signal.SIGINT), stderr
        assert "Traceback" not in stderr
        with pytest.raises(ProcessLookupError):       # nothing of the group is left
            os.killpg(proc.pid, 0)
        if proc.returncode == 130:
            assert sorted((p.name, p.stat().st_size) for p in store.resolve().iterdir()) == before
        interrupted += proc.returncode in (130, -signal.SIGINT)
    assert interrupted, "no build was interrupted: the test proved nothing"
    again = _policykg("build", str(corpus / "policies"), "--store", str(store), "-q", cwd=corpus)
    assert again.returncode == 0, again.stderr


@pytest.mark.slow   # twenty parallel exports
def test_parallel_exports_all_end(corpus, tmp_path, monkeypatch):
    """1 parallel export in 8 never exited: nineteen in a row (two through the command) must all end, with
    the same bytes."""
    import io

    import kg.export as export_module
    from kg.export import FORMATS, write_store
    from kg.stores.oxigraph import open_store
    store = tmp_path / "store"
    assert _policykg("build", str(corpus / "policies"), "--store", str(store), "-q", cwd=corpus).returncode == 0
    digests = set()
    for i in range(2):
        out = tmp_path / f"export-{i}.nq"
        done = _policykg("export", "--store", str(store), "--format", "nq", "-o", str(out), "--workers", "2",
                         cwd=tmp_path, timeout=60)
        assert done.returncode == 0, done.stderr
        digests.add(out.read_bytes())
    assert len(digests) == 1
    from kg.inventory import list_policies
    handle = open_store(store)
    few = [p.key for p in list_policies(handle)][:12]
    monkeypatch.setattr(export_module, "_PARALLEL_MIN_GRAPHS", 4)
    monkeypatch.setattr(export_module, "_GRAPH_BATCH", 2)
    digests = set()
    for _ in range(17):   # the same race, in process: many small parallel reads
        buffer = io.BytesIO()
        write_store(handle, FORMATS["nq"], buffer, few, store_path=store, workers=2)
        digests.add(buffer.getvalue())
    assert len(digests) == 1
