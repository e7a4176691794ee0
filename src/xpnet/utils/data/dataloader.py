"""``DataLoader``: torch's loader over map-style and iterable datasets, whole arrays where it can.

Two paths, chosen once per epoch where the reader can see it (``__iter__``):

* a :class:`TensorDataset`, or a :class:`Subset` of one, with the default
  ``collate_fn``: each batch is one gather of rows on the data's device
  (:func:`xpnet.data.loader.take_rows`, the loader of :mod:`xpnet.data`), with
  the epoch's order drawn on that device (``SequentialSampler``: slices;
  ``RandomSampler``: one permutation from the device's seeded generator); any
  other sampler's indices go to the device once per batch. No per-sample loop.
* any other dataset: ``collate_fn([dataset[i] for i in indices])`` per batch, as torch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ...data.loader import take_rows
from .collate import default_collate, default_convert
from .dataset import IterableDataset, row_source
from .sampler import BatchSampler, RandomSampler, SequentialSampler


class DataLoader:
    """Iterate over ``dataset`` in batches, with torch.utils.data.DataLoader's arguments.

    Args:
        dataset: a map-style dataset (``__getitem__``, ``__len__``), e.g. a
            :class:`TensorDataset`, or an :class:`IterableDataset`.
        batch_size: samples per batch (default 1); None yields single samples, unbatched.
        shuffle: a new random order every epoch (a ``RandomSampler``).
        sampler: the order of indices.
        batch_sampler: the order of whole batches of indices.
        num_workers: accepted for torch programs; batches are always made in the
            calling process (for a TensorDataset a batch is one gather on the device,
            which worker processes would not speed up), so the batches are the same
            for any value. ValueError if negative.
        collate_fn: turns a list of samples into a batch (default: :func:`default_collate`).
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        generator: None (``xn.manual_seed``'s generators), an int seed, or an object
            with ``initial_seed()``; used by the default ``RandomSampler``.

    ``pin_memory``, ``timeout``, ``worker_init_fn``, ``multiprocessing_context``,
    ``prefetch_factor``, ``persistent_workers``, ``pin_memory_device``, ``in_order``:
    accepted, no effect here.

    Each batch of a TensorDataset is a list of Tensors (one per tensor of the
    dataset), on the dataset's device, as torch's default collate makes it.
    ValueError for the option combinations torch refuses (``sampler`` with
    ``shuffle``; ``batch_sampler`` with ``batch_size``, ``shuffle``, ``sampler`` or
    ``drop_last``; a sampler or shuffle with an IterableDataset).
    """

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Any = None, batch_sampler: Any = None, num_workers: int = 0,
                 collate_fn: Callable[[list[Any]], Any] | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn: Any = None,
                 multiprocessing_context: Any = None, generator: Any = None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             f"multiprocessing (got {num_workers})")
        if timeout < 0:
            raise ValueError(f"timeout option should be non-negative (got {timeout})")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if isinstance(dataset, IterableDataset):
            if shuffle not in (None, False):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, "
                                 f"but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, "
                                 f"but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified batch_sampler "
                                 f"option, but got batch_sampler={batch_sampler}")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, "
                                 "sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive "
                             "with drop_last")
        iterable = isinstance(dataset, IterableDataset)
        if sampler is None and not iterable:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        if iterable and batch_size is not None and (isinstance(batch_size, bool) or batch_size < 1):
            raise ValueError(f"batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size}")
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.generator = generator
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self._default_collate = collate_fn is None
        auto = batch_sampler is not None or (iterable and batch_size is not None)
        self.collate_fn = collate_fn if collate_fn is not None else (
            default_collate if auto else default_convert)

    def __len__(self) -> int:
        """Batches per epoch (samples when ``batch_size=None``); TypeError for a stream without length."""
        if isinstance(self.dataset, IterableDataset):
            n = len(self.dataset)  # type: ignore[arg-type]  # TypeError without one, as in torch
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        return len(self.sampler)

    def __iter__(self) -> Iterator[Any]:
        if isinstance(self.dataset, IterableDataset):
            return self._stream()
        source = row_source(self.dataset) if self._default_collate else None
        if source is not None and self.batch_sampler is not None:
            return self._whole_arrays(*source)
        if self.batch_sampler is None:  # batch_size=None: one sample at a time
            return (self.collate_fn(self.dataset[i]) for i in self.sampler)
        return (self.collate_fn([self.dataset[i] for i in indices]) for indices in self.batch_sampler)

    def _whole_arrays(self, data: Any, rows: Any) -> Iterator[list[Any]]:
        """Batches of a TensorDataset: one gather of rows per tensor, on the data's device."""
        xp, device, tensors = data.xp, data._device, data.tensors
        batches = self.batch_sampler
        sampler: Any = getattr(batches, "sampler", None)
        if type(batches) is BatchSampler and type(sampler) in (SequentialSampler, RandomSampler):
            order = sampler.order(xp, device)
            n, size = len(sampler), batches.batch_size
            for b in range(len(batches)):
                index = slice(b * size, min((b + 1) * size, n))
                if order is not None:
                    index = order[index]
                yield _gather(tensors, xp, rows, index)
        else:
            for indices in batches:
                yield _gather(tensors, xp, rows, xp.asarray(list(indices), dtype=xp.int64, device=device))

    def _stream(self) -> Iterator[Any]:
        if self.batch_size is None:
            for sample in self.dataset:
                yield self.collate_fn(sample)
            return
        batch: list[Any] = []
        for sample in self.dataset:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)

    def __repr__(self) -> str:
        return (f"DataLoader({type(self.dataset).__name__} of {_length(self.dataset)} samples, "
                f"batch_size={self.batch_size}, sampler={type(self.sampler).__name__}, "
                f"drop_last={self.drop_last})")


def _gather(tensors: tuple[Any, ...], xp: Any, rows: Any, index: Any) -> list[Any]:
    """Rows ``index`` (a slice or an int array) of each tensor, through the Subset map ``rows``."""
    if rows is not None:
        index = rows[index] if isinstance(index, slice) else xp.take(rows, index, axis=0)
    return [take_rows(t, xp, index) for t in tensors]


def _length(dataset: Any) -> str:
    try:
        return str(len(dataset))
    except TypeError:
        return "?"


__all__ = ["DataLoader"]
