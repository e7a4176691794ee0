"""CuPy's backend object: the generic code, with fused ``ElementwiseKernel``s and GPU placement.

What it overrides:

* creation functions run on the asked GPU: CuPy allocates and launches on the
  *current* GPU, and array-api-compat's ``zeros``/``ones``/``full``/``arange``/
  ``empty``/``eye``/``linspace``/``asarray`` accept ``device=`` and ignore it, its
  ``*_like`` follow the current GPU, not the array's. Here they run under
  ``with device:`` (``*_like``: the array's device unless ``device=`` says otherwise),
  so a tensor made for ``"cuda:1"`` lives on GPU 1 whichever GPU is current;
* ``bias_act``/``activation``: bias + activation in one kernel, its derivative in one
  (:mod:`._cuda_activation`); ``sgd_step``/``adam_step``: a whole update in one kernel
  (:mod:`._cuda_optim`). Kernels cover float32 or float64 arrays of one dtype; anything
  else goes to the generic code (``super()``). They are compiled with ``--fmad=false``,
  so products and sums round as in the generic code's separate CuPy ops;
* devices (``cupy.cuda.Device``), ``device_scope`` (CuPy runs ops on the current GPU),
  host reads (never free: a value check would wait for the GPU), moves and random draws.

Other ops run on the current GPU, as in CuPy itself: work on ``cuda:N`` for ``N != 0``
under ``with xpnet.cuda.device(N):`` (or after ``xpnet.cuda.set_device(N)``), as with
``torch.cuda.device``; the kernels and random draws follow their arrays' device on their own.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import Backend
from ._cuda_activation import BACKWARD, FORWARD, GELU_BACKWARD, GELU_FORWARD, launch_bias_act
from ._cuda_kernel import Kernel, covers
from ._cuda_optim import adam_kernel, launch_adam, launch_sgd, sgd_kernel

_ACTIVATIONS = (*FORWARD, "gelu_tanh")  # what the kernels cover


def _on_device(name: str, like: bool = False) -> Any:
    """The namespace's creation function ``name``, run with ``device`` (default for a ``*_like``:
    its array's device) made the current GPU, where CuPy allocates."""
    def create(self: CupyBackend, *args: Any, device: Any = None, **kwargs: Any) -> Any:
        make = getattr(self.namespace, name)
        if like and device is None:
            device = args[0].device
        return self._on(device, make, args, kwargs)

    create.__name__ = create.__qualname__ = name
    return create


class CupyBackend(Backend):
    """CuPy (``device="cuda"``, ``"cuda:N"``), through ``array_api_compat.cupy``."""

    library = "cupy"
    has_views = True
    device_modules = ("cupy",)
    namespace_module = "array_api_compat.cupy"

    # -- creation on the asked GPU ----------------------------------------------------------------
    arange = _on_device("arange")
    asarray = _on_device("asarray")
    empty = _on_device("empty")
    eye = _on_device("eye")
    full = _on_device("full")
    linspace = _on_device("linspace")
    ones = _on_device("ones")
    zeros = _on_device("zeros")
    empty_like = _on_device("empty_like", like=True)
    full_like = _on_device("full_like", like=True)
    ones_like = _on_device("ones_like", like=True)
    zeros_like = _on_device("zeros_like", like=True)

    def _on(self, device: Any, make: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """``make(*args, **kwargs)`` with ``device`` current (None: the current GPU)."""
        if device is None:
            return make(*args, **kwargs)
        import cupy

        with cupy.cuda.Device(device):
            return make(*args, **kwargs)

    # -- fused kernels ----------------------------------------------------------------------------
    def bias_act(self, z: Any, bias: Any, activation: str, negative_slope: float = 0.01) -> Any:
        if (activation in _ACTIVATIONS and covers(z) and (bias is None or covers(z, bias))
                and not (activation == "leaky_relu" and negative_slope < 0)):
            return launch_bias_act(self, z, bias, activation, negative_slope)
        return super().bias_act(z, bias, activation, negative_slope)

    def activation(self, z: Any, activation: str, negative_slope: float = 0.01,
                   overwrite: bool = False) -> Any:
        if (activation in _ACTIVATIONS and covers(z)
                and not (activation == "leaky_relu" and negative_slope < 0)):
            if not overwrite:
                z = z.copy()  # the kernel writes its result into z
            return launch_bias_act(self, z, None, activation, negative_slope)
        return super().activation(z, activation, negative_slope, overwrite=overwrite)

    def sgd_step(self, param: Any, grad: Any, buf: Any, **options: Any) -> tuple[Any, Any]:
        if covers(param, grad) and (buf is None or covers(param, buf)):
            return launch_sgd(self, param, grad, buf, **options)
        return super().sgd_step(param, grad, buf, **options)

    def adam_step(self, param: Any, grad: Any, exp_avg: Any, exp_avg_sq: Any, max_exp_avg_sq: Any,
                  **options: Any) -> tuple[Any, Any, Any, Any]:
        buffers = [exp_avg, exp_avg_sq] + ([] if max_exp_avg_sq is None else [max_exp_avg_sq])
        if covers(param, grad, *buffers):
            return launch_adam(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, **options)
        return super().adam_step(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, **options)

    # -- devices, memory, moves -----------------------------------------------------------------
    def describe(self, dev: Any) -> str:
        return f"cupy cuda:{dev.id}"

    def device_name(self, dev: Any) -> tuple[str, int | None]:
        return "cuda", int(dev.id)

    def device_scope(self, dev: Any) -> Any:
        return dev  # a cupy.cuda.Device is the context manager making it current

    def on_host(self, dev: Any) -> bool:
        return False

    def owns_memory(self, array: Any) -> bool:
        return bool(array.flags.owndata)

    def is_writeable(self, array: Any) -> bool:
        return True

    def bitcast(self, array: Any, dtype: Any) -> Any:
        return array.view(dtype)

    def to_numpy(self, array: Any) -> np.ndarray:
        return array.get()

    def host_memory(self, array: Any) -> str:
        return "fresh"  # .get() copies to a new host array

    def from_numpy(self, host: np.ndarray, dev: Any) -> Any:
        with dev:
            return self.namespace.asarray(host)

    # -- random numbers ---------------------------------------------------------------------------
    def generator(self, dev: Any, seed: int) -> Any:
        import cupy

        with dev:
            return cupy.random.default_rng(seed)

    def generator_state(self, gen: Any) -> Any:
        raise NotImplementedError("CuPy's random generators keep no state xpnet can read: to repeat "
                                  "GPU draws, reseed with xn.manual_seed(seed) (or g.manual_seed)")

    def set_generator_state(self, gen: Any, state: Any) -> Any:
        return self.generator_state(gen)

    def draw(self, gen: Any, kind: str, shape: tuple[int, ...], dev: Any, dtype: Any) -> Any:
        method = "random" if kind == "uniform" else "standard_normal"
        with dev:  # CuPy's generator draws float32/float64 only: cast float16 on the GPU
            if dtype == self.float32 or dtype == self.float64:
                return getattr(gen, method)(shape, dtype=dtype)
            return getattr(gen, method)(shape, dtype=self.float32).astype(dtype)

    def draw_permutation(self, gen: Any, n: int, dev: Any) -> Any:
        import cupy

        with dev:  # cupy.random.Generator has no permutation (CuPy 14): sort uniform draws
            return cupy.argsort(gen.random(n, dtype=cupy.float64)).astype(cupy.int64)


def all_kernels() -> list[Kernel]:
    """Every ``ElementwiseKernel`` CuPy's backend may launch, each variant once (each is
    compiled per dtype it meets: float32 and float64)."""
    flags = (False, True)
    return [*FORWARD.values(), *BACKWARD.values(), GELU_FORWARD, GELU_BACKWARD,
            sgd_kernel(False, False, False),
            *(sgd_kernel(True, nesterov, first) for nesterov in flags for first in flags),
            *(adam_kernel(decoupled, amsgrad) for decoupled in flags for amsgrad in flags)]
