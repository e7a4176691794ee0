"""Smoke test of xpnet.distributed on a GPU: ``mpiexec -n R python tools/device/nccl_smoke.py``.

Run by tools/device/gpu_checks.sh (step ``nccl``). Every rank joins the group with
``--backend`` ("nccl" on a GPU: one rank per GPU, so ``-n 1`` on a one-GPU machine; "mpi"
on the CPU in the script's dry run), puts its tensors on ``--device`` ("cuda" means the
rank's own GPU, ``cuda:<node-local rank>``), then checks against values computed here:

- ``all_reduce`` SUM, AVG and MAX, ``broadcast`` from every rank, ``all_gather``;
- DistributedDataParallel: 5 SGD steps of a 2-16-1 net, each rank on its own half of a
  batch, reach the weights of the same net trained on the whole batch in this process.

Prints one line per check and ``nccl smoke: ok`` at the end; exits 1 on the first wrong
value (every rank makes the same collectives in the same order, so none is left waiting).
"""

from __future__ import annotations

import argparse
import sys

import numpy as np


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="nccl", choices=("nccl", "mpi"))
    parser.add_argument("--device", default="cuda", help="cpu or cuda (the rank's own GPU)")
    args = parser.parse_args()

    import xpnet as xn
    import xpnet.distributed as dist
    from xpnet import nn, optim

    dist.init_process_group(args.backend)
    rank, size = dist.get_rank(), dist.get_world_size()
    device = f"cuda:{dist.get_node_local_rank()}" if args.device == "cuda" else args.device
    say = print if rank == 0 else (lambda *_: None)
    say(f"nccl smoke: backend {dist.get_backend()}, {size} rank(s), device {device}")
    failures: list[str] = []

    def check(name: str, got: object, want: np.ndarray) -> None:
        ok = np.allclose(np.asarray(got), want, rtol=1e-6, atol=1e-6)
        say(f"  {name}: {'ok' if ok else 'WRONG'}")
        if not ok:
            failures.append(f"{name}: got {np.asarray(got).tolist()}, expected {want.tolist()}")

    def values(r: int) -> np.ndarray:
        return np.array([1.0 + r, -2.0 * r, 3.0, 10.0 * r], dtype="float32")

    every = np.stack([values(r) for r in range(size)])
    for op, want in (("SUM", every.sum(0)), ("AVG", every.mean(0)), ("MAX", every.max(0))):
        t = xn.tensor(values(rank), device=device)
        dist.all_reduce(t, op=getattr(dist.ReduceOp, op))
        check(f"all_reduce {op}", t.numpy(), want)
    for src in range(size):
        t = xn.tensor(values(rank), device=device)
        dist.broadcast(t, src=src)
        check(f"broadcast from {src}", t.numpy(), values(src))
    parts = [xn.zeros(4, device=device) for _ in range(size)]
    dist.all_gather(parts, xn.tensor(values(rank), device=device))
    check("all_gather", np.stack([p.numpy() for p in parts]), every)

    rng = np.random.default_rng(0)
    x_all = rng.standard_normal((8 * size, 2)).astype("float32")
    y_all = rng.standard_normal((8 * size, 1)).astype("float32")

    def net() -> nn.Module:
        xn.manual_seed(1)
        return nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 1)).to(device)

    ddp = nn.parallel.DistributedDataParallel(net())
    alone = net()
    shard = slice(8 * rank, 8 * (rank + 1))
    pairs = ((ddp, x_all[shard], y_all[shard]), (alone, x_all, y_all))
    for model, x, y in pairs:
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        xt, yt = xn.tensor(x, device=device), xn.tensor(y, device=device)
        for _ in range(5):
            loss = nn.MSELoss()(model(xt), yt)
            opt.zero_grad()
            loss.backward()
            opt.step()
    for (name, p), q in zip(ddp.module.named_parameters(), alone.parameters()):
        check(f"DDP 5 steps, {name}", p.detach().numpy(), q.detach().numpy())

    dist.destroy_process_group()
    if failures:
        print(f"nccl smoke: rank {rank}: FAILED\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    say("nccl smoke: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
