"""Moving arrays between libraries and devices, only when asked (``.to``, ``.numpy``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._devices import namespace


def to_numpy(array: Any) -> np.ndarray:
    """A NumPy array with the values of ``array`` (copied to host if needed)."""
    if isinstance(array, np.ndarray):
        return array
    return namespace(array).to_numpy(array)


def move(array: Any, xp: Any, dev: Any) -> Any:
    """``array`` on namespace ``xp`` and device ``dev``; the same object if already there."""
    src = namespace(array)
    if src is xp:
        return xp.to_device(array, dev)
    return xp.from_numpy(src.to_numpy(array), dev)


def owns_memory(array: Any) -> bool:
    """Whether ``array`` is known to own its (writeable) memory: no view of another array.

    False where that cannot be told (array-api-strict, JAX, ...), so that a
    caller keeping the array copies it to be safe.
    """
    if type(array) is np.ndarray:  # the common case first: no namespace lookup
        flags = array.flags
        return bool(flags.owndata and flags.writeable)
    return bool(namespace(array).owns_memory(array))


def is_writeable(array: Any) -> bool:
    """Whether ``array`` can be updated in place (False for JAX, read-only views)."""
    if type(array) is np.ndarray:  # the common case first, without a namespace lookup
        return bool(array.flags.writeable)
    return bool(namespace(array).is_writeable(array))
