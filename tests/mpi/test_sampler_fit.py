"""DistributedSampler and fit(distributed=True) under mpiexec -n 2."""

from __future__ import annotations

import os
import tempfile
from collections import Counter

import numpy as np
import pytest
from _models import TOLERANCE, data, gather, make_model, weights

from xpnet import nn, optim
from xpnet.train import ModelCheckpoint, fit
from xpnet.utils.data import DataLoader, TensorDataset
from xpnet.utils.data.distributed import DistributedSampler


@pytest.mark.parametrize("n", [10, 11, 1])
@pytest.mark.parametrize("drop_last", [False, True])
def test_sampler_covers_the_dataset_once_per_epoch_across_ranks(world, n, drop_last):
    size = world.get_world_size()
    sampler = DistributedSampler(list(range(n)), shuffle=True, seed=3, drop_last=drop_last)
    orders = []
    for epoch in range(3):
        sampler.set_epoch(epoch)
        shards = gather(world, list(sampler))
        seen = Counter(i for shard in shards for i in shard)
        assert {len(s) for s in shards} == {len(sampler)}
        if n % size == 0:
            assert seen == Counter(range(n))  # every sample exactly once
        elif drop_last:
            assert len(seen) == sum(seen.values()) == (n // size) * size  # once each, tail cut
        else:
            assert set(seen) == set(range(n)) and sum(seen.values()) == -(-n // size) * size
        orders.append([i for pair in zip(*shards) for i in pair])
    assert n < 3 or orders[0] != orders[1]  # set_epoch: a new order each epoch


def test_a_dataloader_with_the_sampler_covers_the_rows_once(xp, world):
    n = 12
    x = xp.tensor(np.arange(n * 2).reshape(n, 2), "float32")
    sampler = DistributedSampler(TensorDataset(x), seed=1)
    loader = DataLoader(TensorDataset(x), batch_size=4, sampler=sampler)
    rows = [float(v) for (xb,) in loader for v in xp.numpy(xb)[:, 0]]
    every = gather(world, rows)
    assert sorted(v for part in every for v in part) == [2.0 * i for i in range(n)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_fit_distributed_equals_one_process_with_the_whole_batch(xp, world, dtype):
    rank, size, b = world.get_rank(), world.get_world_size(), 4
    model = make_model(xp, dtype, seed=400 + rank)
    x, y = data(xp, dtype, 6 * size * b, seed=11)
    with tempfile.TemporaryDirectory() as mine:
        folder = gather(world, mine)[0]  # rank 0's folder (one machine: a shared file system)
        path = os.path.join(folder, f"ckpt-rank{rank}.npz")
        history = fit(model, nn.MSELoss(), optim.Adam(model.parameters(), lr=0.01), (x, y), epochs=3,
                      batch_size=b, shuffle=False, metrics=["mae"], verbose=0, distributed=True,
                      callbacks=[ModelCheckpoint(path, monitor="loss")])
        written = gather(world, os.path.exists(path))
        world.barrier()  # rank 0 removes its folder only after every rank looked
    reference = make_model(xp, dtype, seed=400)  # rank 0's initial weights
    ref_history = fit(reference, nn.MSELoss(), optim.Adam(reference.parameters(), lr=0.01), (x, y),
                      epochs=3, batch_size=size * b, shuffle=False, metrics=["mae"], verbose=0)
    np.testing.assert_allclose(weights(xp, model), weights(xp, reference), rtol=0, atol=TOLERANCE[dtype])
    for name in ("loss", "mae"):
        np.testing.assert_allclose(history[name], ref_history[name], rtol=1e-6)
    assert written == [True] + [False] * (size - 1)  # checkpoints on rank 0 only
