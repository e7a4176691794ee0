"""Helpers shared by the benchmark suites (the fixtures are in conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from xpnet.bench import models

BACKENDS = {"numpy": ("xpnet", "cpu"), "cupy": ("xpnet", "cuda"), "torch": ("torch", "cpu"),
            "torch-cuda": ("torch", "cuda")}
SLOW_GFLOP = 5.0  # a step above this many GFLOP is timed in few rounds (the wide net: ~1 s a step here)


def usable(framework: str, device: str) -> None:
    """Skip, saying why, when ``framework`` cannot run on ``device`` here."""
    try:
        models.check(framework, device)
    except RuntimeError as exc:
        pytest.skip(f"{framework} on {device}: {exc}")


def measure(benchmark: Any, fn: Callable[[], None], gflop: float = 0.0) -> None:
    """Time ``fn``, which synchronises its device itself.

    Steps above ``SLOW_GFLOP`` (the wide net): 3 rounds after 1 warm-up round;
    the rest: pytest-benchmark's calibrated rounds (its calibration warms up).
    """
    if gflop > SLOW_GFLOP:
        benchmark.pedantic(fn, rounds=3, warmup_rounds=1, iterations=1)
    else:
        benchmark(fn)
