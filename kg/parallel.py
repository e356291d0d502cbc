"""Run a function over batches in forked worker processes, results in input order, memory bounded.

Used by the build (cards -> N-Quads) and by whole-store validation. Workers are forked, so what the parent
prepared (the vocabulary, compiled shapes) is shared without being pickled; a worker must not use a store
handle the parent opened, and opens its own.
"""
from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterator, Sequence


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def ordered_batches(fn: Callable[[list], list], batches: Sequence[list], workers: int,
                    window: int = 8, initializer: Callable[[], None] | None = None) -> Iterator[list]:
    """fn(batch) for each batch, computed by `workers` forked processes and yielded in the order of
    `batches`; at most `window` batches are in flight, so results never pile up in memory. fn must catch
    its own errors and return them as values (an exception may not survive pickling)."""
    with multiprocessing.get_context("fork").Pool(workers, initializer=initializer) as pool:
        pending: deque = deque()
        following = 0
        while pending or following < len(batches):
            while following < len(batches) and len(pending) < window:
                pending.append(pool.apply_async(fn, (batches[following],)))
                following += 1
            yield pending.popleft().get()
