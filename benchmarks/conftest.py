"""pytest-benchmark suites: xpnet on each device beside PyTorch eager (docs/benchmarks.md).

    nox -s bench                                        # the full suites, JSON in .benchmarks/
    python -m pytest benchmarks --benchmark-only        # the same, by hand
    python -m pytest benchmarks --benchmark-disable -q  # CI: each benchmark runs once, as a test

``pytest`` alone skips these suites (``--benchmark-skip`` in pyproject.toml's
addopts, and ``testpaths = ["tests"]``); asking for ``--benchmark-only`` or
``--benchmark-disable`` runs them. ``--bench-smoke`` (or XPNET_BENCH_SMOKE=1)
shrinks the wide net and the sweep to tiny sizes: the numbers then mean nothing.

Each benchmark is parametrized over ``backend``: ``numpy`` (xpnet on the CPU),
``cupy`` (xpnet on a CUDA GPU), ``torch`` and ``torch-cuda`` (PyTorch eager,
the peer reference on the same device). One without its library or device is
skipped, with the reason shown. Benchmarks of one thing share a
``benchmark.group``, so the devices and the peers print side by side. The
models, steps and ops come from :mod:`xpnet.bench.models`, as in the bench command.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from _bench import BACKENDS, usable

from xpnet.bench import models, timing


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--bench-smoke", action="store_true",
                     default=os.environ.get("XPNET_BENCH_SMOKE", "") not in ("", "0"),
                     help="tiny wide net and sweep (CI's smoke run); also XPNET_BENCH_SMOKE=1")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    # pyproject.toml's addopts skips benchmarks (--benchmark-skip); an explicit --benchmark-disable
    # asks to run them once each as plain tests, so it wins (--benchmark-only already does).
    if config.getoption("benchmark_disable", False):
        config.option.benchmark_skip = False


@pytest.fixture(scope="session")
def smoke(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--bench-smoke"))


@pytest.fixture(scope="session")
def specs(smoke: bool) -> dict[str, models.ModelSpec]:
    return models.model_specs(smoke)


@pytest.fixture(scope="session", autouse=True)
def _same_threads() -> Iterator[None]:
    """torch gets as many threads as NumPy's BLAS, as in the bench command."""
    with timing.matched_threads():
        yield


@pytest.fixture(params=list(BACKENDS))
def backend(request: pytest.FixtureRequest) -> tuple[str, str]:
    """(framework, device) of the backend under test; skipped when not usable here."""
    framework, device = BACKENDS[request.param]
    usable(framework, device)
    return framework, device
