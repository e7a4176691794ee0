"""The backend layer: namespaces, devices, transfers and random numbers.

Only this package imports array libraries; everything else receives ``xp``.
"""

from ._devices import (
    cuda_available,
    cuda_device,
    cuda_device_count,
    describe,
    device,
    device_scope,
    is_array,
    library,
    namespace,
    numpy_xp,
    on_host,
    resolve,
    same_device,
    scalar_value,
    set_default_device,
)
from ._fast_numpy import SUM_AXIS, matmul_2d
from ._random import Generator, manual_seed, normal, permutation, uniform
from ._siblings import dispatch, sibling
from ._transfer import is_writeable, move, owns_memory, to_numpy

__all__ = [
    "Generator",
    "cuda_available", "cuda_device", "cuda_device_count", "describe", "device", "device_scope", "dispatch",
    "is_array", "is_writeable", "library",
    "SUM_AXIS", "matmul_2d",
    "manual_seed", "move", "namespace", "normal", "numpy_xp", "on_host", "owns_memory",
    "permutation",
    "resolve", "same_device", "scalar_value", "set_default_device", "sibling", "to_numpy", "uniform",
]
