"""Samplers: the order in which a DataLoader visits a map-style dataset.

Each yields indices (Python ints). ``SequentialSampler`` and ``RandomSampler``
can also give a whole epoch's order at once as an int64 array on the data's
device (``order(xp, device)``), which the DataLoader's whole-array path uses:
the permutation is drawn there, from the device's seeded generator
(``xn.manual_seed``), and never crosses to the host.

``generator=``: None (the seeded generators of ``xn.manual_seed``), an int seed,
or an object with ``initial_seed()`` (``xn.Generator`` where it exists, or a
``torch.Generator``): a seed gives its own host ``random.Random``, so the order
is the same on every backend (but not torch's order for that seed).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from ... import _backend


def make_rng(generator: Any) -> random.Random | None:
    """A host random generator for ``generator=`` (see the module docstring); None for None."""
    if generator is None or isinstance(generator, random.Random):
        return generator
    if isinstance(generator, int) and not isinstance(generator, bool):
        return random.Random(generator)
    initial_seed = getattr(generator, "initial_seed", None)
    if callable(initial_seed):
        return random.Random(int(initial_seed()))
    raise TypeError(f"generator must be None, an int seed or a generator with initial_seed(), got "
                    f"{type(generator).__name__}")


def host_permutation(n: int, rng: random.Random | None) -> list[int]:
    """A random order of ``0..n-1`` as Python ints: from ``rng``, or xpnet's seeded host generator."""
    if rng is None:
        return _backend.permutation(n, xp=_backend.numpy_xp, device="cpu").tolist()
    order = list(range(n))
    rng.shuffle(order)
    return order


class Sampler:
    """Base class: ``__iter__`` yields indices of the dataset (and ``__len__`` counts them).

    ``data_source``: accepted for torch programs and unused, as in torch.
    """

    def __init__(self, data_source: Any = None) -> None:
        pass

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__()")


class SequentialSampler(Sampler):
    """``0, 1, ..., len(data_source) - 1``."""

    def __init__(self, data_source: Any) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)

    def order(self, xp: Any, device: Any) -> Any:
        """The epoch's indices on ``device``: None, meaning ``0..n-1`` in order (batches are slices)."""
        return None


class RandomSampler(Sampler):
    """A random order: a new permutation every epoch, or ``num_samples`` draws with replacement.

    ``num_samples`` (default ``len(data_source)``) beyond the length without
    replacement repeats whole permutations, as torch does. ValueError for a
    non-bool ``replacement`` or a non-positive ``num_samples``.

    ``data_source``: the dataset (its length sets the range of indices); ``generator``: None
    (``xn.manual_seed``'s generators), an int seed, or an object with ``initial_seed()``, as
    DataLoader's.
    """

    def __init__(self, data_source: Any, replacement: bool = False, num_samples: int | None = None,
                 generator: Any = None) -> None:
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement}")
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        self._rng = make_rng(generator)
        if not isinstance(self.num_samples, int) or isinstance(self.num_samples, bool) \
                or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={self.num_samples}")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __len__(self) -> int:
        return self.num_samples

    def __iter__(self) -> Iterator[int]:
        if self._rng is None:
            return iter(self.order(_backend.numpy_xp, "cpu").tolist())
        n, count = len(self.data_source), self.num_samples
        if self.replacement:
            return iter([self._rng.randrange(n) for _ in range(count)])
        order: list[int] = []
        while len(order) < count:
            order += host_permutation(n, self._rng)
        return iter(order[:count])

    def order(self, xp: Any, device: Any) -> Any:
        """The epoch's indices as an int64 array on ``device``, drawn there (without a seed)."""
        n, count = len(self.data_source), self.num_samples
        if self._rng is not None:
            return xp.asarray(list(iter(self)), dtype=xp.int64, device=device)
        if self.replacement:  # floor(u n), u ~ U[0, 1)
            u = _backend.uniform((count,), xp=xp, device=device, dtype=xp.float64)
            return xp.astype(xp.floor(u * n), xp.int64)
        blocks = [_backend.permutation(n, xp=xp, device=device) for _ in range(-(-count // n))]
        whole = blocks[0] if len(blocks) == 1 else xp.concat(blocks)
        return whole if count == n else whole[:count]


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a random order, a new one every epoch.

    ``generator``: None (``xn.manual_seed``'s generators), an int seed, or an object with
    ``initial_seed()``, as DataLoader's.
    """

    def __init__(self, indices: Any, generator: Any = None) -> None:
        self.indices = indices
        self.generator = generator
        self._rng = make_rng(generator)

    def __iter__(self) -> Iterator[Any]:
        return iter([self.indices[i] for i in host_permutation(len(self.indices), self._rng)])

    def __len__(self) -> int:
        return len(self.indices)


class BatchSampler(Sampler):
    """Group the indices of ``sampler`` into lists of ``batch_size`` (the last one shorter
    unless ``drop_last``). ValueError for a non-positive ``batch_size`` or non-bool ``drop_last``."""

    def __init__(self, sampler: Any, batch_size: int, drop_last: bool) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[Any]]:
        batch: list[Any] = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


__all__ = ["BatchSampler", "RandomSampler", "Sampler", "SequentialSampler", "SubsetRandomSampler"]
