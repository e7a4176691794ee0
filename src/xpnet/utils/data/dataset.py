"""Datasets as torch.utils.data names them: ``Dataset``, ``TensorDataset``, ``Subset``,
``ConcatDataset``, ``IterableDataset``, and ``random_split``."""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator, Sequence
from typing import Any

from ...data.loader import columns
from ...tensor import Tensor
from .sampler import host_permutation, make_rng


class Dataset:
    """A map-style dataset: subclass it and define ``__getitem__(index)`` and ``__len__()``.

    ``dataset[i]`` returns one sample (a Tensor, a tuple ``(x, y)``, a dict, ...);
    a :class:`~xpnet.utils.data.DataLoader` collates samples into batches.
    ``a + b`` is a :class:`ConcatDataset`.
    """

    def __getitem__(self, index: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index) to be a Dataset")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A dataset that is a stream: subclass it and define ``__iter__()`` yielding samples.

    A DataLoader batches its samples in order (no sampler, no shuffle).
    """

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__() to be an IterableDataset")


class TensorDataset(Dataset):
    """Samples are rows: ``dataset[i] == (t[i] for t in tensors)``, as a tuple.

    ``tensors``: Tensors (or native arrays, wrapped without copying) with the same
    first dimension N, in one library and on one device; ValueError otherwise.
    A DataLoader batches it as whole arrays: one gather of rows per batch, on the
    tensors' device.
    """

    def __init__(self, *tensors: Any) -> None:
        _, items, self.xp, self._device, self._n = columns(list(tensors), "TensorDataset")
        self.tensors = tuple(t if isinstance(t, Tensor) else Tensor(t) for t in items)

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self._n


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices`` (a sequence of ints), in that order."""

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx: Any) -> Any:
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """The samples of ``datasets`` one after another (map-style datasets only)."""

    def __init__(self, datasets: Any) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise ValueError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = []
        total = 0
        for d in self.datasets:
            total += len(d)
            self.cumulative_sizes.append(total)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int) -> Any:
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][idx - start]


def random_split(dataset: Any, lengths: Sequence[int | float], generator: Any = None) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random :class:`Subset` s of the given lengths.

    ``lengths``: counts that sum to ``len(dataset)``, or fractions that sum to 1
    (each gets ``floor(fraction * n)``, the remainder handed out one by one from
    the first, as torch does). ``generator``: None (the seeded host generator of
    ``xn.manual_seed``), an int seed, or an object with ``initial_seed()``
    (``xn.Generator`` / ``torch.Generator``-like). The split differs from torch's
    for the same seed (another random generator). ValueError if the lengths do
    not fit the dataset.
    """
    n = len(dataset)
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        counts = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            counts.append(math.floor(n * frac))
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if sum(lengths) != n:
        raise ValueError(f"Sum of input lengths ({sum(lengths)}) does not equal the length of the input "
                         f"dataset ({n}): give counts that sum to {n} or fractions that sum to 1")
    order = host_permutation(n, make_rng(generator))
    out, start = [], 0
    for length in lengths:
        out.append(Subset(dataset, order[start:start + int(length)]))
        start += int(length)
    return out


def row_source(dataset: Any) -> tuple[TensorDataset, Any] | None:
    """``(tensor_dataset, rows)`` when ``dataset`` is a TensorDataset or a Subset chain over one:
    ``rows`` is None (all rows, in order) or an int64 array on the data's device mapping
    positions of ``dataset`` to rows. None for any other dataset."""
    chain = []
    while isinstance(dataset, Subset):
        chain.append(dataset.indices)
        dataset = dataset.dataset
    if not isinstance(dataset, TensorDataset):
        return None
    xp, device = dataset.xp, dataset._device
    rows = None
    for indices in reversed(chain):  # innermost Subset first
        idx = xp.asarray(list(indices), dtype=xp.int64, device=device)
        rows = idx if rows is None else xp.take(rows, idx, axis=0)
    return dataset, rows


__all__ = ["ConcatDataset", "Dataset", "IterableDataset", "Subset", "TensorDataset", "random_split"]
