"""The backend layer: one backend object per array library, and where arrays live.

Only this package imports array libraries; everything else receives ``xp``, the
backend object of its arrays (``t.xp``): the library's Array API namespace plus
xpnet's own operations (``xp.bias_act``, ``xp.sgd_step``, ``xp.describe``, ...).
:class:`Backend` is the generic code; NumPy, CuPy, torch and array-api-strict
subclass it (``_numpy.py``, ``_cupy.py``, ``_torch.py``, ``_strict.py``) and
:func:`backend_for` is where one is chosen per library.
"""

from ._base import Backend
from ._devices import (
    backend_for,
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
from ._ops import ACTIVATIONS
from ._random import Generator, get_rng_state, manual_seed, normal, permutation, set_rng_state, uniform
from ._transfer import is_writeable, move, owns_memory, to_numpy

__all__ = [
    "ACTIVATIONS", "Backend", "Generator",
    "backend_for", "cuda_available", "cuda_device", "cuda_device_count", "describe", "device",
    "device_scope", "get_rng_state", "is_array", "is_writeable", "library", "set_rng_state",
    "manual_seed", "move", "namespace", "normal", "numpy_xp", "on_host", "owns_memory",
    "permutation",
    "resolve", "same_device", "scalar_value", "set_default_device", "to_numpy", "uniform",
]
