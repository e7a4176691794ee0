"""JAX's backend object: ``jax.numpy`` arrays, immutable, on JAX's devices.

A JAX array never changes: xpnet's in-place updates (``add_``, ``x[i] = v``, an
optimizer's step, ``w.data -= ...``) build the new array and rebind the Tensor to
it (the Tensor is the mutable box; see ``Tensor.data``). What this subclass
overrides:

* 64-bit mode: JAX makes float64/int64 arrays only with ``jax_enable_x64`` on, and
  silently gives 32-bit ones otherwise; torch's semantics need them (int64 indices,
  float64 tensors), so the backend is refused with the fix until it is on;
* devices: ``jax.Device`` objects, named as torch names them (``"cpu"``, ``"cuda:N"``
  for JAX's GPUs); the strings ``"cpu"``/``"cuda:N"`` given for a JAX tensor mean
  JAX's devices; moves by ``jax.device_put``;
* memory: nothing is writeable or a view; ``set_at`` and ``scatter_add`` use JAX's
  ``x.at[index]`` updates (the generic ones write in place, or take a one-hot product);
* host copies (``to_numpy``) are writeable NumPy arrays of their own.

Random numbers are the generic ones (a seeded NumPy generator, copied to the
device once): ``xn.manual_seed`` makes them reproducible.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import Backend

_X64 = ("xpnet needs JAX's 64-bit mode for JAX arrays (torch's int64 indices and float64 "
        "tensors; without it JAX silently makes float64 and int64 arrays 32-bit): call "
        "jax.config.update('jax_enable_x64', True) before making JAX arrays for xpnet "
        "(or set the environment variable JAX_ENABLE_X64=1)")


class JaxBackend(Backend):
    """``jax.numpy`` arrays on any device JAX has (refused unless JAX's x64 mode is on)."""

    library = "jax"
    device_modules = ("jax", "jaxlib")
    namespace_module = "jax.numpy"
    immutable = True
    linalg_raises = False  # a singular matrix gives inf/NaN: xpnet checks (on the host)

    def __init__(self, namespace: Any) -> None:
        import jax

        if not jax.config.read("jax_enable_x64"):
            raise TypeError(_X64)
        super().__init__(namespace)

    # -- devices --------------------------------------------------------------------------------
    def describe(self, dev: Any) -> str:
        kind, index = self.device_name(dev)
        return f"jax {kind}" if index is None else f"jax {kind}:{index}"

    def device_name(self, dev: Any) -> tuple[str, int | None]:
        if dev.platform == "cpu":
            return "cpu", None
        return ("cuda" if dev.platform in ("gpu", "cuda") else str(dev.platform)), int(dev.id)

    def parse_device(self, text: str, current: Any) -> Any:
        import jax

        if text == "cpu":
            return jax.devices("cpu")[0]
        kind, _, number = text.partition(":")
        if kind == "cuda" and (not number or number.isdigit()):
            try:
                gpus = jax.devices("gpu")
            except RuntimeError:
                return None  # JAX has no GPU here: "cuda" means CuPy's
            index = int(number or 0)
            if index >= len(gpus):
                raise ValueError(f"device {text!r} does not exist: JAX sees {len(gpus)} GPU(s)")
            return gpus[index]
        return None

    def on_host(self, dev: Any) -> bool:
        return bool(dev.platform == "cpu")

    # -- memory and moves -----------------------------------------------------------------------
    def is_writeable(self, array: Any) -> bool:
        return False

    def to_numpy(self, array: Any) -> np.ndarray:
        return np.array(array)  # np.asarray would be a read-only view of a CPU buffer

    def from_numpy(self, host: np.ndarray, dev: Any) -> Any:
        import jax

        return jax.device_put(host, dev)

    def to_device(self, array: Any, dev: Any) -> Any:
        import jax

        if array.device == dev:
            return array
        return jax.device_put(array, dev)

    # -- updates --------------------------------------------------------------------------------
    def set_at(self, array: Any, index: Any, value: Any) -> Any:
        """``array`` with ``value`` written at ``index``: a new array (``array.at[index].set``)."""
        return array.at[index].set(value)

    def scatter_add(self, index: Any, values: Any, size: int) -> Any:
        """``zeros.at[index].add(values)``: each row added into its target, ``O(M R)``."""
        out = self.zeros((size, values.shape[1]), dtype=values.dtype, device=values.device)
        return out.at[index].add(values)
