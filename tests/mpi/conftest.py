"""Tests run under ``mpiexec -n 2`` (by tests/test_distributed.py, nox -s tests-mpi).

Outside an MPI launch (the plain suite) these files are not collected:
tests/test_distributed.py launches them itself and fails when they fail. Under
mpiexec every rank runs every test; a test makes the same collectives on every
rank in the same order and asserts only after them, so that a failure on one
rank cannot leave the other waiting. The process group lives for the session.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS")


def launched_size() -> int:
    """The world size the MPI launcher announced in the environment (1 when not launched)."""
    for name in _SIZE_VARIABLES:
        if os.environ.get(name, "").isdigit():
            return int(os.environ[name])
    return 1


collect_ignore_glob = [] if launched_size() > 1 else ["test_*.py"]


@pytest.fixture(scope="session", autouse=True)
def world() -> Iterator[Any]:
    """The process group of the session: ``xpnet.distributed`` after init_process_group("mpi")."""
    import xpnet.distributed as dist

    dist.init_process_group("mpi")
    assert dist.get_world_size() >= 2, "launch these tests with mpiexec -n 2 (or more)"
    yield dist
    dist.destroy_process_group()

