"""Data-parallel overhead: all-reduce time against gradient size, and the MNIST-size step.

    mpiexec -n 2 python benchmarks/bench_distributed.py        # 2 local ranks: both tables
    mpiexec -n 1 python benchmarks/bench_distributed.py        # the 1-rank step, for comparison
    mpiexec -n 2 python benchmarks/bench_distributed.py --smoke   # tiny sizes (CI): numbers mean nothing

Prints Markdown rows for docs/distributed.md. What it measures:

* ``all_reduce(op=AVG)`` of one float32 Tensor of 1 to 100 MB (what DDP does once
  per bucket), NumPy buffers through MPI in place: the median over repeats, each
  started after a barrier, and the bus bandwidth ``2 (n-1)/n * bytes / time``.
* One MNIST-size training step (784-256-128-10, batch 128 per rank, SGD with
  momentum, float32, NumPy): forward, backward, step. Without DDP (the plain
  step, run on every rank at once), and with ``DistributedDataParallel`` (the
  same step plus the averaging of its 0.9 MB of gradients, one bucket), and the
  all-reduce of that gradient alone; medians over ranks' mean step times.

On a machine with as many cores as ranks (2 here) this measures overhead, not
speed-up: each rank gets one core, and the ranks' all-reduce shares them. Each
rank uses one BLAS thread (OMP/OPENBLAS/MKL_NUM_THREADS default to 1 here, as
one rank per core wants; set them to override): with a BLAS thread per core in
every rank, the ranks fight over the cores and a step is several times slower.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import statistics
import time

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # before NumPy loads
    os.environ.setdefault(_name, "1")

import numpy as np  # noqa: E402

import xpnet as xn  # noqa: E402
import xpnet.distributed as dist  # noqa: E402
from xpnet import nn, optim  # noqa: E402
from xpnet.bench import models  # noqa: E402

MB = 1 << 20


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def timed(fn, repeats: int) -> float:
    """Median seconds of ``fn()`` over ``repeats`` runs, each after a barrier; max over ranks."""
    times = []
    for _ in range(repeats):
        dist.barrier()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    mine = xn.Tensor(np.asarray([statistics.median(times)]))
    dist.all_reduce(mine, op=dist.ReduceOp.MAX)
    return float(mine.array[0])


def allreduce_rows(sizes_mb: list[float], repeats: int) -> list[str]:
    n = dist.get_world_size()
    rows = []
    for size in sizes_mb:
        t = xn.Tensor(np.ones(int(size * MB) // 4, dtype=np.float32))
        dist.all_reduce(t, op=dist.ReduceOp.AVG)  # warm-up
        seconds = timed(lambda t=t: dist.all_reduce(t, op=dist.ReduceOp.AVG), repeats)
        bus = 2 * (n - 1) / n * size * MB / seconds / 1e9
        rows.append(f"| {size:g} MB | {n} | {seconds * 1e3:.2f} ms | {bus:.2f} GB/s |")
    return rows


def mnist_step(model, wrapped, steps: int, batch: int) -> float:
    """Median seconds per step over ``steps`` steps (after 3 warm-up steps); max over ranks."""
    sizes = models.model_specs()["mnist"].sizes
    rng = np.random.default_rng(dist.get_rank())
    x = xn.tensor(rng.normal(size=(batch, sizes[0])).astype(np.float32))
    y = xn.tensor(rng.integers(0, sizes[-1], size=(batch,)))
    forward = model if wrapped is None else wrapped
    opt, loss_fn = optim.SGD(model.parameters(), lr=0.01, momentum=0.9), nn.CrossEntropyLoss()

    def step() -> None:
        opt.zero_grad()
        loss_fn(forward(x), y).backward()
        opt.step()

    for _ in range(3):
        step()
    dist.barrier()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    mine = xn.Tensor(np.asarray([statistics.median(times)]))
    dist.all_reduce(mine, op=dist.ReduceOp.MAX)
    return float(mine.array[0])


def make_mnist():
    sizes = models.model_specs()["mnist"].sizes
    xn.manual_seed(0)
    layers: list[nn.Module] = []
    for a, b in itertools.pairwise(sizes):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks that it runs")
    args = parser.parse_args()
    dist.init_process_group("mpi")
    n, rank = dist.get_world_size(), dist.get_rank()
    sizes = [0.01, 0.1] if args.smoke else [1, 4, 16, 64, 100]
    steps, repeats, batch = (3, 2, 8) if args.smoke else (100, 20, 128)
    lines = [f"CPU: {cpu_model()} ({os.cpu_count()} cores); {n} rank(s); MPI: {dist_library()}; "
             f"load average {os.getloadavg()[0]:.1f}"]
    if n > 1:
        lines += ["", "| gradient | ranks | all_reduce (AVG) | bus bandwidth |", "|---|---|---|---|"]
        lines += allreduce_rows(sizes, repeats)
    plain = mnist_step(make_mnist(), None, steps, batch)
    lines += ["", f"| MNIST-size step (batch {batch} per rank) | ranks | time per step |", "|---|---|---|",
              f"| plain step (no DDP) | {n} | {plain * 1e3:.2f} ms |"]
    if n > 1:
        model = make_mnist()
        ddp = nn.parallel.DistributedDataParallel(model)
        with_ddp = mnist_step(model, ddp, steps, batch)
        grad_bytes = sum(p.numel() for p in model.parameters()) * 4
        t = xn.Tensor(np.ones(grad_bytes // 4, dtype=np.float32))
        reduce_only = timed(lambda: dist.all_reduce(t, op=dist.ReduceOp.AVG), steps)
        lines += [f"| DistributedDataParallel step | {n} | {with_ddp * 1e3:.2f} ms |",
                  f"| its all-reduce alone ({grad_bytes / MB:.2f} MB) | {n} | {reduce_only * 1e3:.2f} ms "
                  f"({100 * reduce_only / plain:.0f}% of the plain step) |"]
    if rank == 0:
        print("\n".join(lines), flush=True)
    dist.destroy_process_group()


def dist_library() -> str:
    from mpi4py import MPI

    return MPI.Get_library_version().splitlines()[0].strip()


if __name__ == "__main__":
    main()
