"""NumPy's backend object: the generic code, with NumPy's quicker ways where they pay.

What it overrides, each computing what the generic version computes:

* namespace functions bound to NumPy's C entry points (``sum``, ``mean``, ``matmul``,
  ``where`` as a bitwise select on large masks, ...: :mod:`._numpy_namespace`);
* ``matmul_2d``: ``np.dot`` for small products (less setup per call); ``sum_rows``:
  ``np.add.reduce`` directly;
* ``activation``: relu, sigmoid and tanh in place with 0-d constants
  (:mod:`._numpy_activation`);
* ``sgd_step``/``adam_step``: large parameters in cache-sized blocks on every core
  (:mod:`._blocked`), SGD's small ones in place, and ``sgd_plan`` for flat groups
  (:mod:`._numpy_optim`);
* ``scatter_add``: ``np.add.at``, ``O(M R)`` instead of the one-hot product;
* devices (one: ``"cpu"``), memory flags, and moves (a NumPy array is its own host copy).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from . import _blocked
from . import _numpy_namespace as fast
from ._base import Backend
from ._numpy_activation import CONSTANTS, KINDS
from ._numpy_optim import in_place, sgd_plan
from ._ops import reduce_identity

_SCATTER_UFUNCS = {"prod": np.multiply, "amax": np.maximum, "amin": np.minimum}
SMALL_GEMM = 1 << 20  # m * k * n multiply-adds: below this NumPy's dot beats its matmul here


class NumpyBackend(Backend):
    """NumPy (``device="cpu"``), through ``array_api_compat.numpy``."""

    library = "numpy"
    has_views = True
    one_device = True

    # -- namespace functions: NumPy's C entry points (same results, fewer Python layers) --------
    asarray = staticmethod(fast.asarray)
    broadcast_to = staticmethod(fast.broadcast_to)
    concat = staticmethod(np.concatenate)
    matmul = staticmethod(np.matmul)
    matrix_transpose = staticmethod(np.matrix_transpose)
    mean = staticmethod(fast.mean)
    ones_like = staticmethod(fast.ones_like)
    permute_dims = staticmethod(np.permute_dims)
    reshape = staticmethod(fast.reshape)
    sum = staticmethod(fast.sum)
    where = staticmethod(fast.where)
    zeros_like = staticmethod(fast.zeros_like)

    # -- products and reductions ----------------------------------------------------------------
    def matmul_2d(self, m: int, k: int, n: int) -> Callable[[Any, Any], Any]:
        """``np.dot`` for a single row or a small product (the same BLAS GEMM as ``matmul``, with
        less setup per call, most of a small layer's cost); ``matmul`` for large ones."""
        if m == 1 or m * k * n <= SMALL_GEMM:
            return np.dot
        return np.matmul

    sum_rows = staticmethod(functools.partial(fast.add_reduce, axis=0))  # C-level: no sum's dtype check

    def scatter_add(self, index: Any, values: Any, size: int) -> Any:
        """``np.add.at``: each row of ``values`` added into its target directly, in index order
        (the generic one-hot product sums the same rows; last bits may differ)."""
        out = np.zeros((size, values.shape[1]), dtype=values.dtype)
        np.add.at(out, index, values)
        return out

    def scatter_reduce(self, index: Any, values: Any, size: int, reduce: str) -> Any:
        """``np.multiply.at`` / ``np.maximum.at`` / ``np.minimum.at``: ``O(M)``, not the one-hot
        chunks (the same results: each slot combines the same values)."""
        out = np.full((size,), reduce_identity(self, values.dtype, reduce), dtype=values.dtype)
        with np.errstate(invalid="ignore"):  # NaN propagates through the extremes, as intended
            _SCATTER_UFUNCS[reduce].at(out, index, values)
        return out

    # -- activations ----------------------------------------------------------------------------
    def activation(self, z: Any, activation: str, negative_slope: float = 0.01,
                   overwrite: bool = False) -> tuple[Any, Any]:
        kind = KINDS.get(activation)
        constants = CONSTANTS.get(z.dtype) if type(z) is np.ndarray and z.ndim else None
        if kind is None or constants is None:  # NumPy's ufuncs give a 0-d input a scalar back
            return super().activation(z, activation, negative_slope, overwrite=overwrite)
        return kind(self, z, *constants, z if overwrite else None)

    # -- optimizer updates ----------------------------------------------------------------------
    def sgd_step(self, param: Any, grad: Any, buf: Any, *, lr: float, momentum: float,
                 dampening: float, weight_decay: float, nesterov: bool) -> tuple[Any, Any]:
        """In cache-sized blocks on every core (large parameters), or its passes in place with
        writeability checked once (small ones, such as a small network's flat group)."""
        options: dict[str, Any] = {"lr": lr, "momentum": momentum, "dampening": dampening,
                                   "weight_decay": weight_decay, "nesterov": nesterov}
        first = momentum != 0 and buf is None  # the first momentum step makes the buffer: generic
        if not first and param.size >= _blocked.MIN_SIZE:
            if _blocked.applies([param] if buf is None else [param, buf], [grad]):
                generic = super().sgd_step
                _blocked.in_blocks(lambda p, g, b: generic(p, g, b, **options), [param, grad, buf])
                return param, buf
        elif (not first and type(param) is np.ndarray and type(grad) is np.ndarray
              and param.flags.writeable and (buf is None or (type(buf) is np.ndarray
                                                             and buf.flags.writeable))):
            return self.sgd(param, grad, buf, lr, momentum if momentum != 0 else None,
                            1 - dampening if dampening != 0 else None,
                            weight_decay if weight_decay != 0 else None, nesterov, in_place)
        return super().sgd_step(param, grad, buf, **options)

    def sgd_plan(self, dtype: Any, lr: float, momentum: float, dampening: float,
                 weight_decay: float, nesterov: bool) -> Callable[[Any, Any, dict[str, Any]], bool] | None:
        return sgd_plan(self.sgd, dtype, lr, momentum, dampening, weight_decay, nesterov)

    def adam_step(self, param: Any, grad: Any, exp_avg: Any, exp_avg_sq: Any, max_exp_avg_sq: Any,
                  **options: Any) -> tuple[Any, Any, Any, Any]:
        """In cache-sized blocks on every core for large parameters (bit-identical: elementwise)."""
        generic = super().adam_step
        if param.size >= _blocked.MIN_SIZE:
            updated = [param, exp_avg, exp_avg_sq] + ([] if max_exp_avg_sq is None else [max_exp_avg_sq])
            if _blocked.applies(updated, [grad]):
                _blocked.in_blocks(lambda p, g, m, v, vmax: generic(p, g, m, v, vmax, **options),
                                   [param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq])
                return param, exp_avg, exp_avg_sq, max_exp_avg_sq
        return generic(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, **options)

    # -- devices, memory, moves -----------------------------------------------------------------
    def device_of(self, array: Any) -> Any:
        return "cpu"

    def same_device(self, a: Any, b: Any) -> bool:
        return True

    def flat_buffer(self, size: int, dtype: Any) -> Any:
        return np.empty((size,), dtype)  # copying into its views: twice as quick as concatenate

    def is_writeable(self, array: Any) -> bool:
        return type(array) is np.ndarray and bool(array.flags.writeable)  # a NumPy scalar: no

    def owns_memory(self, array: Any) -> bool:
        if type(array) is np.ndarray:
            flags = array.flags
            return bool(flags.owndata and flags.writeable)
        return False  # a NumPy scalar (np.float32): immutable

    def bitcast(self, array: Any, dtype: Any) -> Any:
        return array.view(dtype)

    def to_numpy(self, array: Any) -> np.ndarray:
        return array if isinstance(array, np.ndarray) else np.asarray(array)

    def host_memory(self, array: Any) -> str:
        return "shared"

    def from_numpy(self, host: np.ndarray, dev: Any) -> Any:
        return host

    def to_device(self, array: Any, dev: Any) -> Any:
        return array
