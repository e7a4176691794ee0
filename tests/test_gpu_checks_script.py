"""tools/device/gpu_checks.sh, the one command run on a lent GPU, cannot rot: its dry run here.

The dry run (``GPU_CHECKS_DRY_RUN=1``) takes every step of the GPU run on the CPU at tiny
sizes (the CuPy double instead of CuPy, ``--device cpu``, the bench's smoke sizes, MPI
instead of NCCL). One step is made to fail on purpose (``GPU_CHECKS_FAIL``): the script must
go on with every later step, list all of them in its summary, and exit 1.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tools" / "device" / "gpu_checks.sh"
STEPS = ("wheels", "env", "demo", "train", "pytest-cuda", "nccl", "mpi-gpu", "bench", "bench-suites",
         "pytest-suite")


def _summary(text: str) -> dict[str, tuple[str, str]]:
    """``{step: (status, note)}`` from the table under the summary's header line."""
    rows = {}
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("-------------")) + 1
    for line in lines[start:]:
        parts = line.split(None, 3)
        rows[parts[0]] = (parts[1], parts[3] if len(parts) > 3 else "")
    return rows


@pytest.mark.skipif(shutil.which("bash") is None or shutil.which("timeout") is None,
                    reason="needs bash and coreutils' timeout (Linux)")
def test_the_dry_run_takes_every_step_and_goes_on_after_a_failure(tmp_path):
    path = os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]  # the venv's mpiexec
    env = {**os.environ, "GPU_CHECKS_DRY_RUN": "1", "GPU_CHECKS_FAIL": "train", "OUT": str(tmp_path),
           "PYTHON": sys.executable, "PATH": path}
    env.pop("GPU_CHECKS_ONLY", None)
    done = subprocess.run(["bash", str(SCRIPT)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    log = (tmp_path / "gpu_checks.log").read_text()
    summary = (tmp_path / "summary.txt").read_text()
    assert summary in done.stdout and summary in log
    rows = _summary(summary)
    assert tuple(rows) == STEPS, summary
    assert rows["train"] == ("FAILED", "exit status 3"), summary
    for step in STEPS:
        if step != "train":
            assert rows[step][0] in ("ok", "skipped"), f"{step}: {rows[step]}\n{done.stdout[-4000:]}"
    assert rows["env"][0] == rows["demo"][0] == rows["pytest-cuda"][0] == rows["bench"][0] == "ok"
    assert "passed" in rows["pytest-cuda"][1] and "passed" in rows["bench-suites"][1]
    assert done.returncode == 1  # a failed step fails the run, after every step has run
    assert "handwritten digits" in log and "--backend cupy-double" in log  # the steps' own output
    assert (tmp_path / "bench.json").stat().st_size > 0
