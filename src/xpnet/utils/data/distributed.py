"""``DistributedSampler``: each rank's share of a dataset, torch's index order rules.

>>> sampler = DistributedSampler(dataset, shuffle=True, seed=0)   # ranks from xpnet.distributed
>>> loader = DataLoader(dataset, batch_size=64, sampler=sampler)
>>> for epoch in range(epochs):
...     sampler.set_epoch(epoch)   # a new order each epoch, the same on every rank
...     for xb, yb in loader: ...

The epoch's order is ``0..N-1`` or, with ``shuffle``, a permutation drawn from
``random.Random(seed + epoch)`` on the host (every rank draws the same one; the
permutation is not torch's ``randperm`` for that seed). Then, as torch: without
``drop_last`` the order is padded to a multiple of the number of replicas by
repeating its start; with ``drop_last`` its tail is cut to a multiple; rank ``r``
takes every ``num_replicas``-th index from position ``r``. So one epoch over all
ranks visits every sample exactly once (plus the padding).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from typing import Any

from .sampler import Sampler


def shard(n: int, num_replicas: int, rank: int, shuffle: bool, seed: int, epoch: int,
          drop_last: bool) -> list[int]:
    """The indices of rank ``rank`` for one epoch over ``n`` samples (the module docstring's rules)."""
    indices = list(range(n))
    if shuffle:
        random.Random(seed + epoch).shuffle(indices)
    if drop_last and n % num_replicas:
        per = math.ceil((n - num_replicas) / num_replicas)
    else:
        per = math.ceil(n / num_replicas)
    total = per * num_replicas
    if drop_last:
        indices = indices[:total]
    elif total > n:
        padding = total - n
        indices += (indices * math.ceil(padding / n))[:padding] if n else []
    return indices[rank:total:num_replicas]


class DistributedSampler(Sampler):
    """The indices of this rank's share of ``dataset`` (torch.utils.data.distributed's).

    Args:
        dataset: a map-style dataset (anything with ``len``).
        num_replicas: the number of ranks (default: ``xpnet.distributed.get_world_size()``).
        rank: this rank (default: ``xpnet.distributed.get_rank()``).
        shuffle: a new permutation each epoch (``set_epoch``); default True.
        seed: the base of the permutation's seed (the same on every rank).
        drop_last: cut the tail so that every rank gets ``N // num_replicas`` samples,
            rather than pad by repeating samples.

    ``len(sampler)`` is this rank's count. Raises ValueError for a rank outside
    ``0..num_replicas-1`` or a non-positive ``num_replicas``; RuntimeError when
    either is left out and there is no process group.
    """

    def __init__(self, dataset: Any, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            from ... import distributed

            if not distributed.is_initialized():
                raise RuntimeError("DistributedSampler: no process group to take num_replicas and rank "
                                   "from: call xpnet.distributed.init_process_group() first, or pass "
                                   "num_replicas= and rank=")
            num_replicas = distributed.get_world_size() if num_replicas is None else num_replicas
            rank = distributed.get_rank() if rank is None else rank
        if isinstance(num_replicas, bool) or not isinstance(num_replicas, int) or num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas must be a positive int, got "
                             f"{num_replicas!r}")
        if isinstance(rank, bool) or not isinstance(rank, int) or not 0 <= rank < num_replicas:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, "
                             f"{num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.shuffle = shuffle
        self.seed = seed
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self) -> Iterator[int]:
        return iter(shard(len(self.dataset), self.num_replicas, self.rank, self.shuffle, self.seed,
                          self.epoch, self.drop_last))

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use the order of epoch ``epoch`` (call it before each epoch, with the same value on
        every rank: otherwise every epoch repeats the first one's order)."""
        self.epoch = epoch


__all__ = ["DistributedSampler"]
