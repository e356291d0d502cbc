"""Run a function over batches in forked worker processes, results in input order, memory bounded.

Used by the build (cards -> N-Quads), whole-store validation and export. Workers are forked, so what the
parent prepared (the vocabulary, compiled shapes) is shared without being pickled; a worker must not use a
store handle the parent opened, and opens its own.

Why not multiprocessing.Pool: its `terminate()` ends workers with SIGTERM, and forked workers inherit the
CLI's SIGTERM -> KeyboardInterrupt handler, so a worker could be interrupted while holding the result
queue's lock and the parent then waited for it for ever (seen in 1 export of 8, and in 8 of 14 Ctrl-C'd
builds). Here each worker has its own two pipes, ignores SIGINT (a terminal's Ctrl-C reaches the whole
process group: the parent alone decides), takes SIGTERM's default action, dies with its parent
(PR_SET_PDEATHSIG where Linux has it, else it notices within a poll), and is ended by the parent with
SIGKILL as soon as the run stops for any reason: an error, Ctrl-C, or a consumer that stops reading. A
worker holds nothing that needs cleaning up, so killing it loses nothing.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from multiprocessing.connection import Connection, wait

from .errors import KgError

_SIGNALS = {signal.SIGINT, signal.SIGTERM}
_POLL_S = 0.2           # how often idle workers check their parent, and the collector its stop flag
_EXIT_GRACE_S = 5.0     # how long finished workers get to exit after the last batch, before SIGKILL


class WorkerError(KgError):
    """A worker process ended without giving its result (killed by the system, out of memory), or its
    function raised where it must return errors as values."""
    id = "worker-failed"
    exit_code = 3


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def ordered_batches(fn: Callable[[list], list], batches: Sequence[list], workers: int,
                    window: int = 8, initializer: Callable[[], None] | None = None) -> Iterator[list]:
    """fn(batch) for each batch, computed by `workers` forked processes and yielded in the order of
    `batches`; at most `window` batches are in flight, so results never pile up in memory. fn must catch
    its own errors and return them as values (an exception may not survive pickling).

    Close the generator (`contextlib.closing`, or run it to the end) to end the workers at once: they
    are killed in its `finally`, never waited for."""
    if not batches:
        return
    with _Pool(fn, min(workers, len(batches)), initializer) as pool:
        yield from pool.run(batches, max(window, 1))


class _Worker:
    def __init__(self, pid: int, tasks: Connection, results: Connection):
        self.pid, self.tasks, self.results = pid, tasks, results
        self.busy = False
        self.alive = True


class _Pool:
    def __init__(self, fn: Callable[[list], list], count: int, initializer: Callable[[], None] | None):
        self._fn, self._initializer = fn, initializer
        self._workers: list[_Worker] = []
        self._inbox: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._collector: threading.Thread | None = None
        self._finished = False
        try:
            self._start(count)
        except BaseException:
            self._kill_all()
            raise
        self._collector = threading.Thread(target=self._collect, name="policykg-results", daemon=True)
        self._collector.start()

    def __enter__(self) -> _Pool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- parent side -------------------------------------------------------------------------------------

    def _start(self, count: int) -> None:
        for stream in (sys.stdout, sys.stderr):   # a child never flushes the parent's buffers (os._exit)
            try:
                stream.flush()
            except (OSError, ValueError, AttributeError):
                pass
        # Signals are blocked across fork, so a Ctrl-C cannot reach a child before it ignores SIGINT.
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
        # What the parent prepared (the vocabulary, compiled shapes) is left out of the children's garbage
        # collections: a collection touches every object it tracks, which copies each shared page into the
        # child (copy-on-write). A build's workers took 13.5 ms of CPU a card where one process takes 4.3.
        gc.freeze()
        try:
            for _ in range(count):
                task_r, task_w = multiprocessing.Pipe(duplex=False)
                result_r, result_w = multiprocessing.Pipe(duplex=False)
                try:
                    pid = os.fork()
                except OSError as exc:
                    for conn in (task_r, task_w, result_r, result_w):
                        conn.close()
                    raise WorkerError(f"cannot start a worker process: {exc.strerror}", None,
                                      "run with --workers 1, or free processes or memory") from None
                if pid == 0:   # the child: never returns
                    inherited = [c for w in self._workers for c in (w.tasks, w.results)] + [task_w, result_r]
                    _child_main(self._fn, self._initializer, task_r, result_w, inherited)
                task_r.close()
                result_w.close()
                self._workers.append(_Worker(pid, task_w, result_r))
        finally:
            gc.unfreeze()   # the parent collects its own objects again
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)

    def run(self, batches: Sequence[list], window: int) -> Iterator[list]:
        done: dict[int, list] = {}
        sent = yielded = 0
        while yielded < len(batches):
            while sent < len(batches) and sent - yielded < window:
                idle = next((w for w in self._workers if w.alive and not w.busy), None)
                if idle is None:
                    break
                idle.busy = True
                self._send(idle, (sent, batches[sent]))
                sent += 1
            if yielded in done:
                yield done.pop(yielded)
                yielded += 1
                continue
            try:
                worker, index, status, value = self._inbox.get(timeout=_POLL_S)
            except queue.Empty:
                continue
            if status == "died":
                raise WorkerError(f"a worker process ended without its result ({value})", None,
                                  "the machine may be out of memory: run with --workers 1, or on fewer inputs")
            worker.busy = False
            if status == "error":
                raise WorkerError(f"a worker process failed: {value}", None,
                                  "run again with --workers 1 and --debug to see where")
            done[index] = value
        self._finished = True

    def _send(self, worker: _Worker, task) -> None:
        try:
            worker.tasks.send(task)
        except OSError:
            raise WorkerError("a worker process ended before it was given its work", None,
                              "the machine may be out of memory: run with --workers 1") from None

    def _collect(self) -> None:
        """Thread: move results from the workers' pipes to the inbox as they come, so that a worker never
        waits on a full pipe while the parent is busy with earlier results."""
        by_conn = {w.results: w for w in self._workers}
        while by_conn and not self._stop.is_set():
            try:
                ready = wait(list(by_conn), timeout=_POLL_S)
            except (OSError, ValueError):   # the parent closed the pipes: the run is over
                return
            for conn in ready:
                worker = by_conn[conn]
                try:
                    index, status, value = conn.recv()
                except (EOFError, OSError, ValueError):
                    del by_conn[conn]
                    worker.alive = False
                    if not self._stop.is_set():
                        self._inbox.put((worker, None, "died", _exit_status(worker.pid)))
                    continue
                except Exception as exc:  # noqa: BLE001 - a result that cannot be unpickled
                    self._inbox.put((worker, None, "error", f"unreadable result: {exc}"))
                    continue
                self._inbox.put((worker, index, status, value))

    def close(self) -> None:
        """End every worker: politely after a complete run, at once (SIGKILL) otherwise."""
        self._stop.set()
        if self._finished:
            for w in self._workers:
                try:
                    w.tasks.send(None)
                except OSError:
                    pass
            deadline = time.monotonic() + _EXIT_GRACE_S
            for w in self._workers:
                while _reap(w.pid, block=False) is None and time.monotonic() < deadline:
                    time.sleep(0.005)
        self._kill_all()
        if self._collector is not None:
            self._collector.join()
        for w in self._workers:
            w.tasks.close()
            w.results.close()

    def _kill_all(self) -> None:
        for w in self._workers:
            try:
                os.kill(w.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for w in self._workers:
            _reap(w.pid, block=True)


def _reap(pid: int, block: bool) -> int | None:
    """The wait status of an ended child (reaping it), None while it runs; 0 if it was already reaped."""
    try:
        done, status = os.waitpid(pid, 0 if block else os.WNOHANG)
    except ChildProcessError:
        return 0
    return status if done else None


def _exit_status(pid: int) -> str:
    status = _reap(pid, block=True)
    if status and os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit status {os.WEXITSTATUS(status) if status else 0}"


# -- child side -------------------------------------------------------------------------------------------

def _child_main(fn, initializer, tasks: Connection, results: Connection, inherited: list[Connection]) -> None:
    """A worker's whole life: run batches until told to stop or the parent is gone; never returns, and
    never runs the parent's clean-up code (atexit handlers, finally blocks, buffered output): os._exit."""
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        parent = os.getppid()
        _die_with_parent()
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)
        for conn in inherited:   # the other workers' pipe ends: their EOFs must not depend on this process
            conn.close()
        if initializer is not None:
            initializer()
        while True:
            while not tasks.poll(_POLL_S):
                if os.getppid() != parent:
                    os._exit(0)
            task = tasks.recv()
            if task is None:
                break
            index, batch = task
            try:
                reply = (index, "ok", fn(batch))
            except BaseException as exc:  # noqa: BLE001 - fn should not raise: say what it raised
                reply = (index, "error", f"{type(exc).__name__}: {exc}")
            try:
                results.send(reply)     # pickled whole before a byte is written
            except (OSError, EOFError):
                raise
            except Exception as exc:  # noqa: BLE001 - a result that cannot be pickled
                results.send((index, "error", f"cannot send the result: {type(exc).__name__}: {exc}"))
    except BaseException:  # noqa: BLE001 - the parent sees the closed pipe and reports it
        code = 1
    finally:
        os._exit(code)


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (prctl PR_SET_PDEATHSIG); elsewhere the
    idle poll notices a new parent."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)   # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


@contextmanager
def closing_batches(*args, **kwargs) -> Iterator[Iterator[list]]:
    """`ordered_batches` as a context: leaving the block, by an error or early, ends the workers at once
    (a generator left to the garbage collector could keep them alive while a traceback holds it)."""
    results = ordered_batches(*args, **kwargs)
    try:
        yield results
    finally:
        results.close()
