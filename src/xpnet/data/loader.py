"""``DataLoader``: minibatches of arrays that stay on their device, and ``to_device``.

>>> loader = xn.data.DataLoader((x, y), batch_size=64, shuffle=True)
>>> for xb, yb in loader:        # xb: (64, features), yb: (64,), on x's device
...     ...

Shuffling draws a permutation from the seeded generator of the data's own
device (``xn.manual_seed`` makes it reproducible) and gathers rows with
``xp.take(array, indices, axis=0)``: no copy through the host.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from .. import _backend
from ..tensor import Tensor


def native(obj: Any) -> tuple[Any, Any, Any]:
    """``(array, xp, device)`` of a Tensor or a native array; TypeError for anything else."""
    if isinstance(obj, Tensor):
        return obj.array, obj.xp, _backend.device(obj.array)
    if _backend.is_array(obj):
        return obj, _backend.namespace(obj), _backend.device(obj)
    hint = ": make one with xn.tensor(...)" if isinstance(obj, (list, tuple)) else ""
    raise TypeError(f"expected a Tensor or an array (NumPy, CuPy, torch, array-api-strict), "
                    f"got {type(obj).__name__}{hint}")


def columns(data: Any, who: str) -> tuple[list[Any], list[Any], Any, Any, int]:
    """Check that ``data``'s arrays agree in rows and device: ``(keys, arrays, xp, device, n)``.

    ``data`` is one array, a tuple/list of arrays, or a dict of arrays; ``keys``
    is ``[None]``, the positions, or the dict's keys.
    """
    if isinstance(data, dict):
        keys, items = list(data), list(data.values())
    elif isinstance(data, (tuple, list)):
        keys, items = list(range(len(data))), list(data)
    else:
        keys, items = [None], [data]
    if not items:
        raise ValueError(f"{who} got no arrays")
    natives = [native(item) for item in items]
    _, xp, dev = natives[0]
    for key, (array, other_xp, other_dev) in zip(keys, natives):
        if not array.shape:
            raise ValueError(f"{who}: array {key!r} is 0-d; rows are along axis 0")
        if other_xp is not xp or not _backend.same_device(xp, natives[0][0], array):
            raise ValueError(
                f"{who}: arrays on different devices ({_backend.describe(xp, dev)} and "
                f"{_backend.describe(other_xp, other_dev)}): put them on one with "
                f"xn.data.to_device(data, device)")
    lengths = [int(array.shape[0]) for array, _, _ in natives]
    if len(set(lengths)) > 1:
        described = ", ".join(f"{k!r}: {n}" if k is not None else str(n) for k, n in zip(keys, lengths))
        raise ValueError(f"{who}: arrays of different lengths ({described} rows): every array "
                         f"needs one row per sample")
    return keys, items, xp, dev, lengths[0]


def rebuild(data: Any, keys: list[Any], parts: list[Any]) -> Any:
    """``parts`` in the structure of ``data`` (one array, tuple or dict)."""
    if isinstance(data, dict):
        return dict(zip(keys, parts))
    if isinstance(data, (tuple, list)):
        return tuple(parts)
    return parts[0]


def take_rows(item: Any, xp: Any, index: Any) -> Any:
    """Rows ``index`` (a slice, or an int array on the item's device) of a Tensor or array."""
    array = item.array if isinstance(item, Tensor) else item
    rows = array[index, ...] if isinstance(index, slice) else xp.take(array, index, axis=0)
    return Tensor(rows) if isinstance(item, Tensor) else rows


class DataLoader:
    """Iterate over ``data`` in minibatches of ``batch_size`` rows.

    ``data``: one array or Tensor of shape (N, ...), or a tuple/list/dict of
    them with the same N, all in one library and on one device. Each batch
    has the structure of ``data`` (a tuple for a list) and the type of each
    item (Tensor or native array), with ``batch_size`` rows, the last one
    smaller unless ``drop_last``. ``shuffle=True`` draws a new order every epoch.
    """

    def __init__(self, data: Any, batch_size: int = 32, shuffle: bool = False,
                 drop_last: bool = False) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        self._keys, self._items, self.xp, self._device, self.num_samples = columns(data, "DataLoader")
        self.data = data
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)

    @property
    def device(self) -> Any:
        """The device of the data (and of every batch)."""
        return self._device

    def __len__(self) -> int:
        """The number of batches per epoch."""
        whole = self.num_samples / self.batch_size
        return math.floor(whole) if self.drop_last else math.ceil(whole)

    def __iter__(self) -> Iterator[Any]:
        n, size = self.num_samples, self.batch_size
        order = _backend.permutation(n, xp=self.xp, device=self._device) if self.shuffle else None
        for b in range(len(self)):
            start, stop = b * size, min((b + 1) * size, n)
            index = slice(start, stop) if order is None else order[start:stop]
            yield rebuild(self.data, self._keys, [take_rows(item, self.xp, index) for item in self._items])

    def __repr__(self) -> str:
        return (f"DataLoader({self.num_samples} samples, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, "
                f"device='{_backend.describe(self.xp, self._device)}')")


def to_device(obj: Any, device: Any) -> Any:
    """``obj`` with every array and Tensor in it moved to ``device`` (tuples, lists, dicts too).

    ``device`` is read as by ``Tensor.to``: ``"cpu"``, ``"cuda"``, ``"numpy"`` (the way
    back to NumPy from any library), or a library's device object. Other values pass through.
    """
    if isinstance(obj, Tensor):
        return obj.to(device)
    if _backend.is_array(obj):
        like = (_backend.namespace(obj), _backend.device(obj))
        xp, dev = _backend.resolve(device, like=like)
        return _backend.move(obj, xp, dev)
    if isinstance(obj, dict):
        return {key: to_device(value, device) for key, value in obj.items()}
    if isinstance(obj, (tuple, list)):
        moved = [to_device(value, device) for value in obj]
        return type(obj)(*moved) if hasattr(obj, "_fields") else type(obj)(moved)  # namedtuples too
    return obj
