"""N-Quads text streamed into the embedded store's bulk loader (kg.stores.oxigraph.StoreBuilder.load_nquads).

Oxigraph's bulk load reads its input, then sorts and writes what it read (its SST files) without reading any
more: seconds for a large load. The loads run in a thread of their own (pyoxigraph releases the GIL while it
loads), fed through a queue bounded in bytes, so that the one who makes the chunks (a build: the card
workers' results) goes on while a load sorts, instead of waiting for it.
"""
from __future__ import annotations

import io
import queue
import threading
from collections.abc import Iterable, Iterator

import pyoxigraph as ox

_POLL_S = 0.2


class ChunkReader(io.RawIOBase):
    """A readable binary stream over an iterator of byte chunks (what a parser or the bulk loader reads),
    which ends after the chunk that reaches `limit` bytes, if given; `exhausted` says whether the iterator
    is used up."""

    def __init__(self, chunks, limit: float = float("inf")):
        self._chunks = chunks
        self._current = memoryview(b"")
        self._left = limit
        self.exhausted = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._current:
            if self._left <= 0:
                return 0
            chunk = next(self._chunks, None)
            if chunk is None:
                self.exhausted = True
                return 0
            self._current = memoryview(chunk)
            self._left -= len(chunk)
        n = min(len(buffer), len(self._current))
        buffer[:n] = self._current[:n]
        self._current = self._current[n:]
        return n


class _Stopped(Exception):
    """The loads were told to stop (the caller failed or was interrupted)."""


def load_in_thread(store: ox.Store, chunks: Iterable[bytes], load_bytes: int, queued_bytes: int) -> None:
    """Bulk load `chunks` (N-Quads text, each ending at a line end) into `store`, one bulk load per `load_bytes`,
    in a thread; at most `queued_bytes` wait between the caller and the loads. The chunks are made in the
    calling thread. An error of a load is raised here; if making the chunks fails (or Ctrl-C), the load under
    way is stopped at its next read, waited for, and the error raised."""
    feed: queue.Queue = queue.Queue()
    room = threading.Condition()
    waiting = [0]                     # bytes in the queue
    stop = threading.Event()
    failure: list[BaseException] = []

    def take() -> Iterator[bytes]:
        while True:
            if stop.is_set():
                raise _Stopped()
            try:
                chunk = feed.get(timeout=_POLL_S)
            except queue.Empty:
                continue
            if chunk is None:
                return
            with room:
                waiting[0] -= len(chunk)
                room.notify()
            yield chunk

    def run() -> None:
        try:
            chunks_in = take()
            while True:
                reader = ChunkReader(chunks_in, load_bytes)
                store.bulk_load(input=io.BufferedReader(reader, buffer_size=1 << 20), format=ox.RdfFormat.N_QUADS)
                if reader.exhausted:
                    return
        except BaseException as exc:  # noqa: BLE001 - raised by the caller's thread
            failure.append(exc)

    thread = threading.Thread(target=run, name="policykg-bulk-load", daemon=True)
    thread.start()
    try:
        for chunk in chunks:
            with room:
                while waiting[0] > queued_bytes and thread.is_alive():
                    room.wait(_POLL_S)
                waiting[0] += len(chunk)
            if not thread.is_alive():
                break
            feed.put(chunk)
        feed.put(None)
        thread.join()
    except BaseException:
        stop.set()
        thread.join()
        raise
    if failure:
        raise failure[0]
