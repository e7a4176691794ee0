"""Run an elementwise update in cache-sized blocks, on every core.

An optimizer step is a handful of elementwise passes over each parameter
(``m = ...``, ``v = ...``, ``theta -= ...``). On a large parameter each pass
streams the whole array from memory, on one core: NumPy's elementwise loops
are single-threaded. :func:`in_blocks` runs the *same* generic update on
consecutive blocks of the flattened arrays instead -- each block small enough
that all of its passes stay in the L2 cache -- and spreads the blocks over a
thread pool (NumPy releases the GIL inside its loops). Elementwise math does
not depend on how the arrays are cut, so the results are bit-identical to one
call of the generic function on the whole arrays.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

BLOCK = 1 << 16  # elements per block: 256 KiB per float32 array, so 3-4 arrays fit in L2
MIN_SIZE = 1 << 18  # below this a single pass of the generic code beats the fan-out

_pool: ThreadPoolExecutor | None = None


def _workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=_workers(), thread_name_prefix="xpnet-cpu")
    return _pool


def applies(updated: Sequence[Any], read: Sequence[Any]) -> bool:
    """Whether the arrays are large NumPy arrays of one shape that blocks can view.

    ``updated`` arrays are changed in place, so they must be writeable and
    C-contiguous (their flat blocks are views); ``read`` arrays only need the
    same shape (flattening one that is not contiguous copies it once).
    """
    first = updated[0]
    if type(first) is not np.ndarray or first.size < MIN_SIZE:
        return False
    for a in updated:
        if type(a) is not np.ndarray or a.shape != first.shape or a.dtype != first.dtype:
            return False
        if not (a.flags.c_contiguous and a.flags.writeable):
            return False
    return all(type(a) is np.ndarray and a.shape == first.shape for a in read)


def in_blocks(update: Callable[..., Any], arrays: Sequence[Any], **options: Any) -> None:
    """``update(*blocks, **options)`` for every block of the (flattened) ``arrays``.

    ``update`` must change its array arguments in place, elementwise; None
    entries in ``arrays`` are passed through as None.
    """
    flats = [None if a is None else a.reshape(-1) for a in arrays]
    size = next(a.size for a in arrays if a is not None)
    starts = range(0, size, BLOCK)
    workers = min(_workers(), len(starts))

    def run(first: int) -> None:
        for s in starts[first::workers]:
            e = min(s + BLOCK, size)
            update(*[None if f is None else f[s:e] for f in flats], **options)

    if workers == 1:
        run(0)
        return
    for future in [_executor().submit(run, w) for w in range(workers)]:
        future.result()  # re-raises a worker's exception here
