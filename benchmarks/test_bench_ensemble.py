"""1024 XOR nets trained as one ``nn.Ensemble`` against the same 1024 nets one after another.

Each net is the XOR-size MLP (2-8-1, Sigmoid, MSE, SGD lr 0.1 momentum 0.9) on the 4 XOR
samples. One call of ``ensemble`` is one training step of all members at once (batched
GEMMs, one optimizer over the stacked parameters); one call of ``one-after-another`` is one
training step of each of the 1024 separate models in turn, each with its own optimizer, the
device synchronised once at the end. Both calls do the same arithmetic, so the ratio of
their times is the ensemble's speed-up (docs/benchmarks.md's GPU target: >= 10x on a GPU).
``--bench-smoke`` keeps 8 members. xpnet only (numpy on the CPU, cupy on a GPU).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from _bench import BACKENDS, usable

from xpnet.bench.timing import synchronizer

MEMBERS = 1024
SMOKE_MEMBERS = 8
XOR_X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
XOR_Y = [[0.0], [1.0], [1.0], [0.0]]


def _xor_net():
    from xpnet import nn

    return nn.Sequential(nn.Linear(2, 8), nn.Sigmoid(), nn.Linear(8, 1), nn.Sigmoid())


def make_ensemble_step(device: str, members: int) -> Callable[[], None]:
    """One SGD step of ``members`` XOR nets stacked in one ``nn.Ensemble``; synchronises."""
    import xpnet as xn
    from xpnet import nn, optim

    xn.manual_seed(0)
    ens = nn.Ensemble(members, _xor_net).to(device)
    opt = optim.SGD(ens.parameters(), lr=0.1, momentum=0.9)
    x, y = xn.tensor(XOR_X, device=device), xn.tensor(XOR_Y, device=device)
    loss_fn, sync = nn.MSELoss(), synchronizer("xpnet", device)

    def step() -> None:
        loss = ens.loss(loss_fn, ens(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sync()

    return step


def make_sequential_steps(device: str, members: int) -> Callable[[], None]:
    """One SGD step of each of ``members`` separate XOR nets in turn; synchronises once."""
    import xpnet as xn
    from xpnet import nn, optim

    xn.manual_seed(0)
    nets = [_xor_net().to(device) for _ in range(members)]
    opts = [optim.SGD(net.parameters(), lr=0.1, momentum=0.9) for net in nets]
    x, y = xn.tensor(XOR_X, device=device), xn.tensor(XOR_Y, device=device)
    loss_fn, sync = nn.MSELoss(), synchronizer("xpnet", device)

    def steps() -> None:
        for net, opt in zip(nets, opts):
            loss = loss_fn(net(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        sync()

    return steps


@pytest.mark.parametrize("how", ["ensemble", "one-after-another"])
@pytest.mark.parametrize("backend_name", ["numpy", "cupy"])
def test_ensemble_of_xor_nets(benchmark, smoke, backend_name, how):
    framework, device = BACKENDS[backend_name]
    usable(framework, device)
    members = SMOKE_MEMBERS if smoke else MEMBERS
    make = make_ensemble_step if how == "ensemble" else make_sequential_steps
    benchmark.group = f"ensemble of {members} xor nets (2-8-1, batch 4), {device}"
    benchmark.extra_info.update(members=members, how=how, framework=framework, device=device,
                                steps_per_call=members)
    benchmark(make(device, members))
