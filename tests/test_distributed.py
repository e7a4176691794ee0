"""xpnet.distributed in the plain suite: the MPI tests launched with mpiexec -n 2, the fault
test, and what a single process can check (DistributedSampler against torch's, errors).

The launch tests skip, with the reason shown, when mpi4py or mpiexec is missing
(``pip install "xpnet[distributed]"``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import xpnet as xn
import xpnet.distributed as dist
from xpnet import nn
from xpnet.utils.data import DistributedSampler

ROOT = Path(__file__).resolve().parent.parent


def _mpiexec() -> str:
    """mpiexec beside this Python (the mpich wheel's) or on PATH; else skip, or fail where
    XPNET_REQUIRE_MPI is set (.ci/run and nox -s tests-mpi set it)."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        _missing("mpi4py is not installed")
    beside = Path(sys.executable).parent / "mpiexec"
    found = str(beside) if beside.exists() else shutil.which("mpiexec")
    if found is None:
        _missing("no mpiexec beside the Python executable or on PATH")
    return str(found)


def _missing(what: str) -> None:
    message = f"{what}: pip install 'xpnet[distributed]' (mpi4py and the mpich wheel)"
    if os.environ.get("XPNET_REQUIRE_MPI"):
        pytest.fail(message + " (XPNET_REQUIRE_MPI is set)")
    pytest.skip(message)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    for name in ("PMI_SIZE", "PMI_RANK", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS"):
        env.pop(name, None)
    return env


@pytest.mark.slow
def test_the_mpi_suite_passes_under_mpiexec_with_two_ranks(request):
    backends = request.config.getoption("--backend")
    command = [_mpiexec(), "-n", "2", sys.executable, "-m", "pytest", str(ROOT / "tests" / "mpi"), "-q",
               "-p", "no:cacheprovider", "--backend", backends]
    run = subprocess.run(command, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=600)
    output = run.stdout + run.stderr
    assert run.returncode == 0, f"mpiexec -n 2 pytest tests/mpi failed:\n{output[-6000:]}"
    assert output.count(" passed") == 2, output[-3000:]  # both ranks reported their passes


@pytest.mark.slow
def test_an_error_on_one_rank_ends_every_rank_within_30_seconds(tmp_path):
    command = [_mpiexec(), "-n", "2", sys.executable, str(ROOT / "tests" / "mpi" / "fault.py"),
               str(tmp_path)]
    start = time.monotonic()
    try:
        run = subprocess.run(command, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the ranks still ran after 30 s: a collective hung ({exc})")
    took = time.monotonic() - start
    output = run.stdout + run.stderr
    assert run.returncode != 0, output
    assert "rank 1 fails on purpose at step 5" in output and "rank 1 failed" in output, output
    assert "unreachable" not in output
    pids = [int((tmp_path / f"pid-{rank}").read_text()) for rank in (0, 1)]
    while any(_alive(pid) for pid in pids) and time.monotonic() - start < 30:
        time.sleep(0.1)  # mpiexec may return while the killed ranks are still being torn down
    assert [pid for pid in pids if _alive(pid)] == [], "a rank outlived the 30 s"
    assert took < 30


def _alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie has ended: only its exit status is left)."""
    status = Path(f"/proc/{pid}/status")
    if Path("/proc/self").exists():  # Linux
        try:
            return "zombie" not in status.read_text()
        except FileNotFoundError:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("n", [1, 7, 10, 13])
@pytest.mark.parametrize("replicas", [1, 2, 3, 4])
@pytest.mark.parametrize("drop_last", [False, True])
def test_unshuffled_shards_are_torchs(torch, n, replicas, drop_last):
    from torch.utils.data.distributed import DistributedSampler as TorchSampler

    for rank in range(replicas):
        ours = DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        theirs = TorchSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)
        assert ours.total_size == theirs.total_size


def test_shuffled_shards_partition_one_permutation_per_epoch():
    shards = [DistributedSampler(range(20), 4, r, seed=5) for r in range(4)]
    for epoch in (0, 1):
        for s in shards:
            s.set_epoch(epoch)
        assert sorted(i for s in shards for i in s) == list(range(20))
    again = DistributedSampler(range(20), 4, 0, seed=5)
    assert list(again) != list(shards[0]) and (again.set_epoch(1) or list(again)) == list(shards[0])


def test_sampler_errors_teach():
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="num_replicas must be a positive int"):
        DistributedSampler(range(4), num_replicas=0, rank=0)
    with pytest.raises(RuntimeError, match="init_process_group"):
        DistributedSampler(range(4))


def test_without_a_group_the_calls_say_how_to_start_one(xp):
    assert not dist.is_initialized()
    for call in (dist.get_rank, dist.get_world_size, dist.barrier,
                 lambda: dist.all_reduce(xp.tensor([1.0])),
                 lambda: nn.parallel.DistributedDataParallel(nn.Linear(2, 1))):
        with pytest.raises(RuntimeError, match=r"init_process_group\(\"mpi\"\) first"):
            call()
    with pytest.raises(ValueError, match="unknown backend 'gloo'"):
        dist.init_process_group("gloo")
    assert not dist.is_initialized() and xn.distributed is dist
    assert dist.get_node_local_rank(fallback_rank=3) == 3
