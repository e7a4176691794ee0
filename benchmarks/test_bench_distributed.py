"""The data-parallel benchmark script (bench_distributed.py) once under mpiexec -n 2 at tiny
sizes, so it cannot rot; skipped, with the reason, without mpi4py/mpiexec (".[distributed]")."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def test_bench_distributed_script_runs_on_two_ranks():
    pytest.importorskip("mpi4py", reason="mpi4py not installed: pip install 'xpnet[distributed]'")
    beside = Path(sys.executable).parent / "mpiexec"
    mpiexec = str(beside) if beside.exists() else shutil.which("mpiexec")
    if mpiexec is None:
        pytest.skip("no mpiexec: pip install 'xpnet[distributed]'")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE.parent / "src"),
                                                       os.environ.get("PYTHONPATH", "")]))
    run = subprocess.run([mpiexec, "-n", "2", sys.executable, str(HERE / "bench_distributed.py"), "--smoke"],
                         env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "| 0.1 MB | 2 |" in run.stdout and "| DistributedDataParallel step | 2 |" in run.stdout
