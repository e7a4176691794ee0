"""One test session per backend, plus lint and the benchmark suites.

    nox                          # the CPU sessions: numpy, array_api_strict, torch, jax, lint
    nox -s tests-cupy            # on a machine with an NVIDIA GPU (installs ".[cuda]")
    nox -s tests-cupy_double     # the CuPy path on the CuPy double, no GPU (not in the default set)
    nox -s tests-torch -- -k mlp -x   # arguments after -- go to pytest
    nox -s bench                 # the benchmark suites (not in the default set; docs/benchmarks.md)
    nox -s tests-mpi             # data parallel: tests/mpi under mpiexec -n 2 (docs/distributed.md)
    nox -s docs                  # the documentation site, warnings as errors, into site/

Each test session installs ``.[test]`` in a fresh venv and runs pytest with
``--backend`` set to its backend (see tests/conftest.py); tests that take no
backend run in every session.

Choosing the torch build: ``tests-torch`` installs ``torch==2.13.0`` (the
version the suite is checked against). To test another version or a CUDA
build, set ``XPNET_TORCH`` to the requirement and, if it comes from
PyTorch's own index, ``XPNET_TORCH_INDEX_URL``::

    XPNET_TORCH="torch==2.6.0" XPNET_TORCH_INDEX_URL=https://download.pytorch.org/whl/cu126 \\
        nox -s tests-torch
"""

from __future__ import annotations

import datetime
import os

import nox

nox.options.default_venv_backend = "venv"
nox.options.sessions = ["tests-numpy", "tests-array_api_strict", "tests-torch", "tests-jax", "lint"]

TORCH = os.environ.get("XPNET_TORCH", "torch==2.13.0")
TORCH_INDEX_URL = os.environ.get("XPNET_TORCH_INDEX_URL")
# The JAX the suite is checked against: its CPU wheel (jax + jaxlib; no CUDA plugin is pulled).
JAX = os.environ.get("XPNET_JAX", "jax==0.10.2")


def _pytest(session: nox.Session, backends: str) -> None:
    session.run("python", "-m", "pytest", "--backend", backends, *session.posargs)


@nox.session(name="tests-numpy")
def tests_numpy(session: nox.Session) -> None:
    """The NumPy backend (device="cpu")."""
    session.install("-e", ".[test]")
    _pytest(session, "numpy")


@nox.session(name="tests-array_api_strict")
def tests_array_api_strict(session: nox.Session) -> None:
    """array-api-strict on its CPU device and its fake second device: no hidden NumPy call."""
    session.install("-e", ".[test]")
    _pytest(session, "array_api_strict,array_api_strict-device1")


@nox.session(name="tests-torch")
def tests_torch(session: nox.Session) -> None:
    """torch tensors on the CPU, and on CUDA where torch sees a GPU (see XPNET_TORCH above)."""
    index = ["--index-url", TORCH_INDEX_URL] if TORCH_INDEX_URL else []
    session.install(TORCH, *index)
    session.install("-e", ".[test]")
    _pytest(session, "torch,torch-cuda")


@nox.session(name="tests-jax")
def tests_jax(session: nox.Session) -> None:
    """jax.numpy arrays on JAX's CPU device (immutable: the Tensor rebinds), x64 mode on (XPNET_JAX:
    the requirement, ``jax==0.10.2`` by default)."""
    session.install(JAX)
    session.install("-e", ".[test]")
    _pytest(session, "jax")


@nox.session(name="tests-cupy")
def tests_cupy(session: nox.Session) -> None:
    """CuPy on a CUDA GPU (not in the default set: needs an NVIDIA GPU and driver)."""
    session.install("-e", ".[test,cuda]")
    _pytest(session, "cupy")


@nox.session(name="tests-cupy_double")
def tests_cupy_double(session: nox.Session) -> None:
    """xpnet's CuPy path on the CuPy double (tests/_cupy_double.py): no GPU needed, Linux x86-64.

    Not in the default set: slower than the other sessions. The test extra installs CuPy
    (it imports without a GPU) and NVRTC; see docs/gpu.md, "The CuPy double".
    """
    session.install("-e", ".[test]")
    _pytest(session, "cupy-double")


@nox.session(name="tests-mpi")
def tests_mpi(session: nox.Session) -> None:
    """xpnet.distributed: tests/mpi under ``mpiexec -n 2`` on the CPU backends, then the fault test.

    Installs ".[test,distributed]" (mpi4py and the mpich wheel, whose mpiexec is in the venv).
    """
    index = ["--index-url", TORCH_INDEX_URL] if TORCH_INDEX_URL else []
    session.install(TORCH, *index)
    session.install("-e", ".[test,distributed]")
    session.run("mpiexec", "-n", "2", "python", "-m", "pytest", "tests/mpi", "-q", "-p", "no:cacheprovider",
                "--backend", "numpy,array_api_strict,array_api_strict-device1,torch", *session.posargs)
    session.run("python", "-m", "pytest", "tests/test_distributed.py", "-k", "not mpi_suite",
                env={"XPNET_REQUIRE_MPI": "1"})


@nox.session
def lint(session: nox.Session) -> None:
    """ruff over the repository, mypy over src/ (settings in pyproject.toml)."""
    session.install("-e", ".", "ruff>=0.5", "mypy>=1.10")
    session.run("ruff", "check", ".")
    session.run("mypy")


@nox.session
def bench(session: nox.Session) -> None:
    """The pytest-benchmark suites in benchmarks/, timed in full; JSON in .benchmarks/.

    Not in the default set: minutes long, and only meaningful on a quiet machine. xpnet runs
    beside torch (XPNET_TORCH, as in tests-torch); set XPNET_BENCH_CUDA=1 on a GPU machine to
    add CuPy (".[cuda]"). Arguments after -- go to pytest, e.g. ``nox -s bench -- -k mnist``.
    See docs/benchmarks.md.
    """
    index = ["--index-url", TORCH_INDEX_URL] if TORCH_INDEX_URL else []
    session.install(TORCH, *index)
    session.install("-e", ".[test,cuda]" if os.environ.get("XPNET_BENCH_CUDA") else ".[test]")
    os.makedirs(".benchmarks", exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    session.run("python", "-m", "pytest", "benchmarks", "--benchmark-only",
                f"--benchmark-json=.benchmarks/bench-{stamp}.json", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """The documentation site (mkdocs-material + mkdocstrings) into site/, warnings as errors.

    A broken link or anchor, a reference that does not resolve, a docstring griffe cannot parse
    or a public name without a docstring fails the build (mkdocs.yml, docs/_ext/api_pages.py).
    The examples in the pages run in the test suite (tests/test_docs_examples.py). ``nox -s docs
    -- serve`` previews the site instead (mkdocs serve).
    """
    session.install("-e", ".[docs]")
    env = {"NO_MKDOCS_2_WARNING": "1"}  # mkdocs-material's end-of-life banner (9.7+), not a warning
    if session.posargs and session.posargs[0] == "serve":
        session.run("mkdocs", "serve", *session.posargs[1:], env=env)
    else:
        session.run("mkdocs", "build", "--strict", *session.posargs, env=env)
