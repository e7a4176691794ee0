"""DistributedDataParallel under mpiexec -n 2: the same weights as one process with the whole batch.

Each rank's model starts from other random weights (its own seed): wrapping must
broadcast rank 0's. Rank r trains on rows r*b..(r+1)*b of a batch of n*b rows
that every rank also holds in full, so each rank can train the reference -- one
process, batch n*b, from rank 0's initial weights -- itself and compare.
"""

from __future__ import annotations

import numpy as np
import pytest
from _models import OPTIMIZERS, TOLERANCE, copy_of, data, gather, make_model, weights

import xpnet as xn
from xpnet import nn

STEPS, B = 20, 4


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("opt", list(OPTIMIZERS))
def test_two_ranks_with_batch_b_equal_one_with_batch_2b(xp, world, opt, dtype):
    rank, size = world.get_rank(), world.get_world_size()
    model = nn.parallel.DistributedDataParallel(make_model(xp, dtype, seed=100 + rank))
    reference = copy_of(model.module, xp, dtype)  # rank 0's initial weights, after the broadcast
    start = gather(world, weights(xp, model.module).tolist())
    opt_ddp, opt_ref = OPTIMIZERS[opt](model.parameters()), OPTIMIZERS[opt](reference.parameters())
    loss_fn = nn.MSELoss()
    for step in range(STEPS):
        x, y = data(xp, dtype, size * B, seed=step)
        mine = slice(rank * B, (rank + 1) * B)
        opt_ddp.zero_grad()
        loss_fn(model(x[mine, ...]), y[mine, ...]).backward()
        opt_ddp.step()
        opt_ref.zero_grad()
        loss_fn(reference(x), y).backward()
        opt_ref.step()
    ours, everyone = weights(xp, model.module), gather(world, weights(xp, model.module).tolist())
    assert all(s == start[0] for s in start)  # every rank began from rank 0's weights
    assert all(w == everyone[0] for w in everyone)  # ... and ends with the same ones
    np.testing.assert_allclose(ours, weights(xp, reference), rtol=0, atol=TOLERANCE[dtype])
    assert not np.allclose(ours, weights(xp, make_model(xp, dtype, seed=100)))  # it trained


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_no_sync_accumulation_equals_the_big_batch(xp, world, dtype):
    rank, size = world.get_rank(), world.get_world_size()
    model = nn.parallel.DistributedDataParallel(make_model(xp, dtype, seed=200 + rank))
    reference = copy_of(model.module, xp, dtype)
    local = copy_of(model.module, xp, dtype)
    opt_ddp, opt_ref = OPTIMIZERS["SGD-momentum"](model.parameters()), \
        OPTIMIZERS["SGD-momentum"](reference.parameters())
    loss_fn = nn.MSELoss()
    for step in range(5):
        opt_ddp.zero_grad()
        opt_ref.zero_grad()
        for micro in range(2):  # two micro-batches accumulate; only the last one's backward averages
            x, y = data(xp, dtype, size * B, seed=10 * step + micro)
            mine = slice(rank * B, (rank + 1) * B)
            if micro == 0:
                with model.no_sync():
                    loss_fn(model(x[mine, ...]), y[mine, ...]).backward()
                if step == 0:  # inside no_sync: this rank's own gradient, not the average
                    local.zero_grad()
                    loss_fn(local(x[mine, ...]), y[mine, ...]).backward()
                    unsynced = [xp.numpy(p.grad) for p in model.parameters()]
                    own = [xp.numpy(p.grad) for p in local.parameters()]
            else:
                loss_fn(model(x[mine, ...]), y[mine, ...]).backward()
            loss_fn(reference(x), y).backward()
        opt_ddp.step()
        opt_ref.step()
    for got, want in zip(unsynced, own):
        np.testing.assert_allclose(got, want, rtol=0, atol=TOLERANCE[dtype])
    np.testing.assert_allclose(weights(xp, model.module), weights(xp, reference), rtol=0,
                               atol=TOLERANCE[dtype])


def test_wrapping_refuses_models_that_differ_between_ranks(xp, world):
    rank = world.get_rank()
    with pytest.raises(ValueError, match=r"rank 1 has '0.weight' of shape \(9, 5\)") as shapes:
        nn.parallel.DistributedDataParallel(make_model(xp, "float64", 0, hidden=8 if rank == 0 else 9))
    dtype = "float64" if rank == 0 else "float32"
    with pytest.raises(ValueError, match=r"dtype float64, rank 1 has '0\.weight' of shape") as dtypes:
        nn.parallel.DistributedDataParallel(make_model(xp, dtype, 0))
    assert "build the same model" in str(shapes.value) and "dtype" in str(dtypes.value)


def test_module_forwarding_and_state_dict(xp, world):
    inner = make_model(xp, "float64", 300 + world.get_rank())
    model = nn.parallel.DistributedDataParallel(inner)
    x, _ = data(xp, "float64", 4)
    with xn.no_grad():
        np.testing.assert_array_equal(xp.numpy(model(x)), xp.numpy(inner(x)))
    assert model.module is inner
    assert list(model.state_dict()) == [f"module.{k}" for k in inner.state_dict()]


def test_gradients_are_averaged_once_per_forward(xp, world):
    rank, size = world.get_rank(), world.get_world_size()
    model = nn.parallel.DistributedDataParallel(make_model(xp, "float64", 0))
    reference = copy_of(model.module, xp, "float64")
    x, y = data(xp, "float64", size * B)
    mine = slice(rank * B, (rank + 1) * B)
    loss_fn = nn.MSELoss()
    model(x[mine, ...])  # a forward whose output never reaches backward: replaced by the next one
    out = model(x[mine, ...])
    penalty = sum((p * p).sum() for p in model.parameters())  # the same on every rank
    (loss_fn(out, y[mine, ...]) + 0.01 * penalty).backward()
    ref_penalty = sum((p * p).sum() for p in reference.parameters())
    (loss_fn(reference(x), y) + 0.01 * ref_penalty).backward()
    for p, q in zip(model.parameters(), reference.parameters()):
        np.testing.assert_allclose(xp.numpy(p.grad), xp.numpy(q.grad), rtol=0, atol=1e-12)
    stale = model(x[mine, ...])
    model(x[mine, ...])
    with pytest.raises(RuntimeError, match="output of an earlier forward"):
        loss_fn(stale, y[mine, ...]).backward()


class TwoHeads(nn.Module):
    def __init__(self, xp, seed):
        self.body = make_model(xp, "float64", seed)
        xn.manual_seed(seed + 1)
        self.head = nn.Linear(3, 2).to(xp.device).to(dtype=xn.float64)

    def forward(self, x):
        h = self.body(x)
        return {"a": h, "b": (self.head(h),)}


def test_outputs_in_a_structure_are_averaged_after_the_last_one(xp, world):
    rank, size = world.get_rank(), world.get_world_size()
    model = nn.parallel.DistributedDataParallel(TwoHeads(xp, 500 + rank))
    reference = TwoHeads(xp, 0)
    reference.load_state_dict(model.module.state_dict())
    x, _ = data(xp, "float64", size * B)
    mine = slice(rank * B, (rank + 1) * B)
    out, ref = model(x[mine, ...]), reference(x)
    ((out["a"] * out["a"]).mean() + out["b"][0].mean()).backward()
    ((ref["a"] * ref["a"]).mean() + ref["b"][0].mean()).backward()
    for p, q in zip(model.parameters(), reference.parameters()):
        np.testing.assert_allclose(xp.numpy(p.grad), xp.numpy(q.grad), rtol=0, atol=1e-12)
    half = model(x[mine, ...])
    half["a"].sum().backward()  # one of two outputs: not averaged yet
    with pytest.raises(RuntimeError, match="reached 1 of its 2 outputs"):
        model(x[mine, ...])


def test_moving_the_model_after_wrapping_is_an_error(world, torch):
    model = nn.parallel.DistributedDataParallel(nn.Linear(3, 1))  # NumPy parameters
    model.module.to(torch.device("cpu"))  # now torch tensors: the NumPy buckets no longer fit
    x = xn.Tensor(torch.ones((2, 3)))
    with pytest.raises(RuntimeError, match=r"moved to another library or device after wrapping"):
        model(x).sum().backward()
    with pytest.raises(NotImplementedError, match="mixed_precision"):
        nn.parallel.DistributedDataParallel(nn.Linear(3, 1), mixed_precision=object())
