"""How the bench command times things: synchronised calls, interleaved windows, medians.

The method (docs/benchmarks.md):

1. Warm up each candidate (at least ``MIN_WARMUP`` calls and ``warmup_s``
   seconds): first calls allocate, JIT-compile kernels, fill caches.
2. From the warm-up, pick how many calls fill one window of ``window_s``.
3. Time ``windows`` windows per candidate, **interleaved**: window 1 of every
   candidate, then window 2 of every candidate (the order rotating), so that
   a noisy neighbour slows all candidates alike instead of one of them.
4. Report the median rate over the windows; keep every window for the JSON.

Every call synchronises its device itself (see :mod:`xpnet.bench.models`),
so the clock never stops while a GPU is still working.
"""

from __future__ import annotations

import contextlib
import importlib
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

MIN_WARMUP = 2


def _nothing() -> None:
    return None


def synchronizer(framework: str, device: str) -> Callable[[], None]:
    """A function that waits until ``framework``'s queued work on ``device`` is done."""
    if device != "cuda":
        return _nothing
    if framework == "torch":
        import torch

        return torch.cuda.synchronize
    import cupy

    def sync() -> None:
        cupy.cuda.get_current_stream().synchronize()

    return sync


def _optional(name: str) -> Any:
    """The module ``name``, or None when it is not installed."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def blas_threads() -> int | None:
    """Threads NumPy's BLAS uses (threadpoolctl), or None when that cannot be told."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    import numpy  # noqa: F401  (loads the BLAS so threadpoolctl sees it)

    counts = [p["num_threads"] for p in threadpool_info() if p.get("user_api") == "blas"]
    return max(counts) if counts else None


@contextlib.contextmanager
def matched_threads(n: int | None = None) -> Iterator[int | None]:
    """Give NumPy's BLAS and torch the same thread count for the block; yield that count.

    ``n=None`` keeps the BLAS's count and gives torch the same
    (``torch.set_num_threads``); an int limits both (threadpoolctl). Restored on exit.
    """
    import numpy  # noqa: F401  (threadpoolctl only limits libraries already loaded)

    torch: Any = _optional("torch")
    limiter = None
    if n is not None:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            raise RuntimeError("--threads needs threadpoolctl (pip install threadpoolctl)") from None
        limiter = threadpool_limits(limits=n)
    count = n if n is not None else blas_threads()
    previous = torch.get_num_threads() if torch is not None else None
    try:
        if torch is not None and count:
            torch.set_num_threads(count)
        yield count
    finally:
        if torch is not None and previous:
            torch.set_num_threads(previous)
        if limiter is not None:
            limiter.restore_original_limits()


@dataclass
class Measurement:
    """Rates (calls per second) of one candidate, one per timed window."""

    calls_per_window: int
    rates: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.rates)

    def as_dict(self) -> dict[str, Any]:
        return {"median_per_s": self.median, "calls_per_window": self.calls_per_window,
                "windows_per_s": self.rates}


def _time(fn: Callable[[], None], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return time.perf_counter() - start


def warm_up(fn: Callable[[], None], seconds: float) -> float:
    """Call ``fn`` for at least ``seconds`` and ``MIN_WARMUP`` calls; return the best seconds per call."""
    best = float("inf")
    calls, start = 0, time.perf_counter()
    while calls < MIN_WARMUP or time.perf_counter() - start < seconds:
        best = min(best, _time(fn, 1))
        calls += 1
    return best


def interleaved(candidates: dict[str, Callable[[], None]], *, window_s: float, windows: int,
                warmup_s: float, tick: Callable[[], None] = _nothing) -> dict[str, Measurement]:
    """Time every candidate in ``windows`` interleaved windows of about ``window_s`` seconds.

    ``tick`` is called after each warm-up and each window (a progress bar's ``update``).
    """
    if windows < 1:
        raise ValueError(f"windows must be at least 1, got {windows}")
    results: dict[str, Measurement] = {}
    for name, fn in candidates.items():
        per_call = warm_up(fn, warmup_s)
        results[name] = Measurement(max(1, round(window_s / max(per_call, 1e-9))))
        tick()
    names = list(candidates)
    for w in range(windows):
        shift = w % len(names)
        for name in names[shift:] + names[:shift]:
            m = results[name]
            m.rates.append(m.calls_per_window / _time(candidates[name], m.calls_per_window))
            tick()
    return results


GPU_PRODUCTS = 10  # GEMMs queued per synchronisation when timing a GPU's peak


def gemm_gflops(library: str, device: str = "cpu", n: int = 2048, repeats: int = 5) -> float:
    """Best float32 GEMM rate (GFLOP/s) of ``library`` over ``repeats`` ``(n, n) @ (n, n)`` products.

    ``library``: ``"numpy"`` (cpu), ``"cupy"`` (cuda) or ``"torch"`` (either).
    A square product costs ``2·n³`` FLOPs. The best, not the median: this is
    the peak the machine can reach, the yardstick for the models' GFLOP/s. On a
    GPU each timing queues ``GPU_PRODUCTS`` products before one synchronisation,
    so the launch and the wait are not counted as GEMM time.
    """
    a: Any
    b: Any
    if library == "torch":
        import torch

        a = torch.rand(n, n, dtype=torch.float32, device=device)
        b = torch.rand(n, n, dtype=torch.float32, device=device)
    elif library == "cupy":
        import cupy

        a = cupy.random.rand(n, n, dtype=cupy.float32)
        b = cupy.random.rand(n, n, dtype=cupy.float32)
    elif library == "numpy":
        import numpy

        rng = numpy.random.default_rng(0)
        a = rng.random((n, n), dtype=numpy.float32)
        b = rng.random((n, n), dtype=numpy.float32)
    else:
        raise ValueError(f"unknown library {library!r}: numpy, cupy or torch")
    sync = synchronizer("torch" if library == "torch" else "xpnet", device)
    per_sync = 1 if device == "cpu" else GPU_PRODUCTS

    def products() -> None:
        for _ in range(per_sync):
            a @ b
        sync()

    products()  # warm-up: BLAS threads start, cuBLAS picks its kernel
    best = min(_time(products, 1) for _ in range(repeats))
    return 2 * n**3 * per_sync / best / 1e9
