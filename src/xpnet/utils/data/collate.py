"""``default_collate``: a list of samples into one batch, as torch.utils.data's does.

Tensors and arrays (NumPy, CuPy, torch, array-api-strict) are stacked along a
new first axis into a Tensor of their library and device; Python floats become
a float64 Tensor, ints int64, bools bool (torch's dtypes); strings stay a list;
dicts, named tuples, tuples and lists are collated field by field (a tuple
sample gives a list, as torch does). Stacking copies the values: the batch has
no autograd history.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ... import _backend
from ...creation import tensor
from ...tensor import Tensor


def _stack(batch: list[Any]) -> Tensor:
    arrays = [b.array if isinstance(b, Tensor) else b for b in batch]
    shapes = [tuple(a.shape) for a in arrays]
    for i, shape in enumerate(shapes):
        if shape != shapes[0]:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shapes[0])} "
                               f"at entry 0 and {list(shape)} at entry {i}: give every sample the same "
                               "shape, or pass a collate_fn that pads them")
    xp = _backend.namespace(arrays[0])
    return Tensor(xp.stack(arrays, axis=0))


def default_collate(batch: list[Any]) -> Any:
    """Collate a list of samples into a batch (see the module docstring); TypeError for a sample
    of another type, RuntimeError for Tensors or sequences of unequal sizes."""
    elem = batch[0]
    if isinstance(elem, Tensor) or _backend.is_array(elem):
        return _stack(batch)
    if isinstance(elem, bool):
        return tensor(batch, dtype="bool")
    if isinstance(elem, int):
        return tensor(batch, dtype="int64")
    if isinstance(elem, float):
        return tensor(batch, dtype="float64")
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, Mapping):
        collated = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            return type(elem)(collated)  # type: ignore[call-arg]
        except TypeError:
            return collated
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a named tuple
        return type(elem)(*(default_collate(list(field)) for field in zip(*batch)))
    if isinstance(elem, Sequence):
        size = len(elem)
        if any(len(sample) != size for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [default_collate(list(field)) for field in zip(*batch)]
        if isinstance(elem, tuple):
            return fields  # a list, as torch's (for backwards compatibility there)
        try:
            return type(elem)(fields)  # type: ignore[call-arg]
        except TypeError:
            return fields
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                    f"found {type(elem).__name__}: pass a collate_fn that handles it")


def default_convert(data: Any) -> Any:
    """One sample as the loader gives it without batching (``batch_size=None``): arrays become
    Tensors (without copying), containers are converted field by field (tuples and lists to
    lists, as torch's), the rest is unchanged.

    ``data``: one sample (an array, a Tensor, a number, or a tuple, list, dict or namedtuple
    of them).
    """
    if isinstance(data, Tensor):
        return data
    if _backend.is_array(data):
        return Tensor(data)
    if isinstance(data, Mapping):
        return {key: default_convert(value) for key, value in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, (list, tuple)):  # a tuple gives a list, as torch's does
        return [default_convert(d) for d in data]
    return data


__all__ = ["default_collate", "default_convert"]
