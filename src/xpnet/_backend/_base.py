"""The backend object: an array library's Array API namespace, plus what xpnet adds to it.

Every xpnet Tensor holds one in ``t.xp``; ops receive it as ``xp`` and call the
standard on it (``xp.exp``, ``xp.matmul``, ``xp.sum(..., axis=)``) and xpnet's
own operations next to them (``xp.bias_act``, ``xp.sgd_step``, ``xp.describe``).
There is one object per library, made once (``xpnet._backend.namespace``).

:class:`Backend` *is* the generic code: its methods (here and in :class:`Ops`)
are written in Array API calls only, and work for any library. A library's
subclass (``_numpy.py``, ``_cupy.py``, ``_torch.py``, ``_strict.py``, ``_jax.py``)
overrides what it does faster or differently and calls ``super()`` for the rest.
The namespace functions themselves are the library's (array-api-compat's), copied
onto the object once; a subclass that defines a function of the same name (NumPy's
``sum``) is the one ops get.

Devices, moves between libraries and random numbers live here too: they are
what differs most between libraries, and each subclass says it in one place.
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np

from ._ops import Ops

_NO_SCOPE = contextlib.nullcontext()


class Backend(Ops):
    """One array library as xpnet uses it (the generic version; see the module docstring).

    Attributes:
        library: the library's short name (``"numpy"``, ``"cupy"``, ``"torch"``, ...).
        namespace: the library's own Array API namespace (array-api-compat's where it wraps
            the library), whose functions this object carries.
    """

    library = "array_api"
    device_modules: tuple[str, ...] = ()  # top-level modules whose device objects select it
    namespace_module = ""  # the module of its Array API namespace, imported for such a device
    has_views = False  # whether slices and reshapes are views of one memory (not a copy)
    one_device = False  # whether all arrays of the library live on one device (NumPy's cpu)
    linalg_raises = True  # whether its linalg raises on a singular matrix (JAX returns inf/NaN)
    immutable = False  # whether its arrays never change (JAX): updates rebind the Tensor

    def __init__(self, namespace: Any) -> None:
        self.namespace = namespace
        own = set(dir(type(self)))
        self.__dict__.update({name: value for name, value in vars(namespace).items()
                              if not name.startswith("__") and name not in own})
        # The subclasses' own functions (NumPy's C entry points) and flags, read on every op:
        # kept on the object itself, where a lookup is as quick as a module's (a class
        # attribute costs about 15 ns more). Methods stay on the class (tests patch them there).
        for klass in reversed(type(self).__mro__):
            for name, value in vars(klass).items():
                if isinstance(value, staticmethod):
                    self.__dict__[name] = value.__func__
                elif not name.startswith("_") and isinstance(value, (bool, str)):
                    self.__dict__[name] = value
        for extension in ("linalg", "fft"):  # the standard's extensions, where the library has them
            if extension not in self.__dict__ and hasattr(namespace, extension):
                self.__dict__[extension] = getattr(namespace, extension)
        self.__array_api_version__ = getattr(namespace, "__array_api_version__", "2023.12")
        self.__name__ = f"xpnet._backend.{self.library}"

    def __repr__(self) -> str:
        return f"<xpnet backend {self.library!r} over {getattr(self.namespace, '__name__', '?')}>"

    def __copy__(self) -> Backend:
        return self  # one object per library: a copied Tensor keeps it

    def __deepcopy__(self, memo: dict[int, Any]) -> Backend:
        return self

    # -- devices --------------------------------------------------------------------------------
    def device_of(self, array: Any) -> Any:
        """The device object of ``array``."""
        return array.device

    def same_device(self, a: Any, b: Any) -> bool:
        """Whether two arrays of this library live on the same device."""
        return bool(self.device_of(a) == self.device_of(b))

    def describe(self, dev: Any) -> str:
        """A device as people read it: ``numpy cpu``, ``cupy cuda:0``, ``torch cuda:1``."""
        return f"{self.library} {dev}"

    def device_name(self, dev: Any) -> tuple[str, int | None]:
        """torch's ``(type, index)`` for a device of this library: ``("cuda", 0)``, ``("cpu", None)``."""
        kind, _, number = str(dev).lower().partition(":")
        return kind, (int(number) if number.isdigit() else None)

    def parse_device(self, text: str, current: Any) -> Any:
        """This library's device for a lower-case string (``"cpu"``, ``"cuda:1"``), or None when
        it has none of that name (then ``"cpu"`` means NumPy and ``"cuda"`` CuPy).
        ``current``: the device of the array the string was given for."""
        return None

    def device_scope(self, dev: Any) -> Any:
        """A context manager under which this library's ops run on ``dev`` (CuPy runs on the
        *current* GPU; other libraries place results by their operands: nothing to do)."""
        return _NO_SCOPE

    def on_host(self, dev: Any) -> bool:
        """Whether reading a value on ``dev`` is free (no wait for a GPU queue).

        Value checks that need a device-to-host read (class indices in range,
        probabilities in [0, 1]) run only where this is True.
        """
        return True

    # -- memory and moves -----------------------------------------------------------------------
    def flat_buffer(self, size: int, dtype: Any) -> Any:
        """A 1-D buffer of ``size`` elements that a flat group of gradients (an optimizer's,
        data parallel's all-reduce) is copied into each step through views, or None:
        concatenate the gradients instead."""
        return None

    def is_writeable(self, array: Any) -> bool:
        """Whether ``array`` can be updated in place (False for JAX, read-only views)."""
        import array_api_compat

        return bool(array_api_compat.is_writeable_array(array))

    def owns_memory(self, array: Any) -> bool:
        """Whether ``array`` is known to own its writeable memory (no view of another array).

        False where that cannot be told, so that a caller keeping the array copies it.
        """
        return False

    def to_numpy(self, array: Any) -> np.ndarray:
        """A NumPy array with the values of ``array`` (copied to the host if needed)."""
        return np.asarray(array)

    def host_memory(self, array: Any) -> str:
        """What :meth:`to_numpy` gives for ``array``: ``"shared"`` (the array's own memory:
        writing it changes the array), ``"fresh"`` (a new copy, free to write), or
        ``"unknown"`` (a caller that writes must copy it)."""
        return "unknown"

    def from_numpy(self, host: np.ndarray, dev: Any) -> Any:
        """An array of this library on ``dev`` with the values of the NumPy array ``host``."""
        return self.asarray(host, device=dev)

    def to_device(self, array: Any, dev: Any) -> Any:
        """``array`` (of this library) on ``dev``; the same object if already there."""
        if self.device_of(array) == dev:
            return array
        import array_api_compat

        return array_api_compat.to_device(array, dev)

    def bitcast(self, array: Any, dtype: Any) -> Any:
        """The bytes of ``array`` read as ``dtype`` (``view(dtype)``); the standard has no
        such function: NumPy, CuPy and torch give their arrays' ``view``."""
        raise TypeError(f"view(dtype) reads an array's bytes as another dtype, which {self.library} "
                        "arrays cannot do (the Array API has no bitcast): convert the values with "
                        ".to(dtype) instead")

    # -- random numbers ---------------------------------------------------------------------------
    def generator(self, dev: Any, seed: int) -> Any:
        """A native random generator for draws on ``dev``: NumPy's, whose host draws are
        copied to the device once (libraries without a random module of their own)."""
        return np.random.default_rng(seed)

    def generator_state(self, gen: Any) -> Any:
        """The state of the native generator ``gen`` as JSON-able data (NumPy's bit generator's)."""
        return gen.bit_generator.state

    def set_generator_state(self, gen: Any, state: Any) -> Any:
        """``gen`` (a fresh native generator) set to ``state`` (from :meth:`generator_state`)."""
        gen.bit_generator.state = state
        return gen

    def draw(self, gen: Any, kind: str, shape: tuple[int, ...], dev: Any, dtype: Any) -> Any:
        """Samples of ``kind`` (``"uniform"``: U[0, 1), ``"normal"``: N(0, 1)) from ``gen``."""
        host_dtype = np.float64 if dtype == self.float64 else np.float32
        host = getattr(gen, _HOST_DRAWS[kind])(shape, dtype=host_dtype)  # NumPy: float32/64 only
        return self.asarray(host, dtype=dtype, device=dev)

    def draw_permutation(self, gen: Any, n: int, dev: Any) -> Any:
        """A random permutation of ``0..n-1`` from ``gen``, as int64 on ``dev``."""
        host = gen.permutation(n).astype(np.int64)
        return self.asarray(host, device=dev)


_HOST_DRAWS = {"uniform": "random", "normal": "standard_normal"}  # NumPy Generator methods
