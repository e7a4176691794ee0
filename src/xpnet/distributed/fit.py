"""What ``xpnet.train.fit(..., distributed=True)`` changes: shards, averaging, rank 0 reports.

* Training data: each rank iterates its own shard, ``DistributedSampler``'s rules
  (a permutation from ``seed + epoch`` the same on every rank when shuffling, padded
  to a multiple of the world size): :class:`ShardedLoader`.
* The model is wrapped in ``nn.parallel.DistributedDataParallel`` for the steps
  (rank 0's weights broadcast; gradients averaged after each backward); callbacks
  and the History still see the model itself, so checkpoints load into a plain model.
* The epoch's loss and metrics are sums over each rank's samples, added over the
  ranks (one ``all_reduce``) before dividing: the mean over all ranks' samples.
  Validation data is not sharded: every rank evaluates all of it (the same
  weights give the same values).
* The progress bar and printed lines (``verbose``) and ``ModelCheckpoint`` run on
  rank 0 only. To resume, every rank loads the same checkpoint file.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .. import _backend
from ..data import DataLoader
from ..data.loader import rebuild, take_rows
from ..tensor import Tensor
from ..utils.data.distributed import shard
from ._collectives import ReduceOp, all_reduce
from ._group import world


class ShardedLoader(DataLoader):
    """This rank's shard of a :class:`xpnet.data.DataLoader`'s data, a new order every epoch.

    ``num_samples`` stays the whole data's count; ``len()`` is this rank's batches.
    Each ``iter()`` is the next epoch (every rank iterates as often as the others).
    """

    def __init__(self, loader: DataLoader, num_replicas: int, rank: int, seed: int = 0) -> None:
        super().__init__(loader.data, loader.batch_size, loader.shuffle, loader.drop_last)
        self.num_replicas, self.rank, self.seed, self.epoch = num_replicas, rank, seed, 0
        self.shard_size = len(shard(self.num_samples, num_replicas, rank, False, 0, 0, False))

    def __len__(self) -> int:
        whole, size = self.shard_size, self.batch_size
        return whole // size if self.drop_last else -(-whole // size)

    def __iter__(self) -> Iterator[Any]:
        indices = shard(self.num_samples, self.num_replicas, self.rank, self.shuffle, self.seed,
                        self.epoch, False)
        self.epoch += 1
        order = self.xp.asarray(indices, dtype=self.xp.int64, device=self._device)
        size = self.batch_size
        for b in range(len(self)):
            index = order[b * size:min((b + 1) * size, len(indices))]
            yield rebuild(self.data, self._keys, [take_rows(item, self.xp, index) for item in self._items])


class FitPlan:
    """The distributed pieces of one ``fit`` call (see the module docstring)."""

    def __init__(self, model: Any, train: DataLoader) -> None:
        from ..nn.parallel import DistributedDataParallel

        group = world()  # RuntimeError without a process group
        self.rank, self.size = group.rank, group.size
        self.net = DistributedDataParallel(model)
        self.train = ShardedLoader(train, self.size, self.rank)

    def verbose(self, verbose: int) -> int:
        return verbose if self.rank == 0 else 0

    def callbacks(self, callbacks: list[Any]) -> list[Any]:
        """Every callback on rank 0; the others without ModelCheckpoint (one writer per file)."""
        if self.rank == 0:
            return callbacks
        from ..train.callbacks import ModelCheckpoint

        return [cb for cb in callbacks if not isinstance(cb, ModelCheckpoint)]

    def add(self, values: list[float], n_train: int, count: int) -> tuple[list[float], int]:
        """The first ``n_train`` of ``values`` (the epoch's training totals) and the sample
        ``count``, each added over the ranks: one all-reduce of float64 numbers on the host."""
        xp = _backend.numpy_xp
        box = Tensor(xp.asarray([*values[:n_train], count], dtype=xp.float64, device="cpu"))
        all_reduce(box, ReduceOp.SUM)
        added = box.array.tolist()
        return added[:n_train] + list(values[n_train:]), int(added[n_train])


__all__ = ["FitPlan", "ShardedLoader"]
