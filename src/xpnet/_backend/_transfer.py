"""Moving arrays between libraries and devices, only when asked (``.to``, ``.numpy``)."""

from __future__ import annotations

from typing import Any

import array_api_compat as compat
import numpy as np

from ._devices import device, library, namespace, numpy_xp


def to_numpy(array: Any) -> np.ndarray:
    """A NumPy array with the values of ``array`` (copied to host if needed)."""
    if isinstance(array, np.ndarray):
        return array
    lib = library(namespace(array))
    if lib == "cupy":
        return array.get()
    if lib == "torch":
        return array.detach().cpu().numpy()
    if lib == "array_api_strict":
        import array_api_strict

        cpu = array_api_strict.Device("CPU_DEVICE")
        if array.device != cpu:
            array = array.to_device(cpu)
        return np.asarray(array)
    return np.asarray(array)


def move(array: Any, xp: Any, dev: Any) -> Any:
    """``array`` on namespace ``xp`` and device ``dev``; the same object if already there."""
    src = namespace(array)
    if src is xp:
        if xp is numpy_xp or device(array) == dev:
            return array
        return compat.to_device(array, dev)
    host = to_numpy(array)
    lib = library(xp)
    if lib == "numpy":
        return host
    if lib == "cupy":
        with dev:
            return xp.asarray(host)
    if lib == "torch":
        import torch

        if not host.flags.writeable or not host.flags.c_contiguous:
            host = np.ascontiguousarray(host).copy()
        return torch.from_numpy(host).to(dev)
    return xp.asarray(host, device=dev)


def owns_memory(array: Any) -> bool:
    """Whether ``array`` is known to own its (writeable) memory: no view of another array.

    False where that cannot be told (array-api-strict, JAX, ...), so that a
    caller keeping the array copies it to be safe.
    """
    if type(array) is np.ndarray:  # the common case first: no namespace lookup
        flags = array.flags
        return bool(flags.owndata and flags.writeable)
    lib = library(namespace(array))
    if lib == "numpy":
        return False  # a NumPy scalar (np.float32): immutable
    if lib == "cupy":
        return bool(array.flags.owndata)
    if lib == "torch":
        return not array._is_view()
    return False


def is_writeable(array: Any) -> bool:
    """Whether ``array`` can be updated in place (False for JAX, read-only views)."""
    if type(array) is np.ndarray:  # the common case first, without array_api_compat's checks
        return bool(array.flags.writeable)
    return bool(compat.is_writeable_array(array))
