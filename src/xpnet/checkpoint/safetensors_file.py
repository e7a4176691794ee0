"""safetensors files: the weights format torch, Hugging Face and JAX users share.

A ``.safetensors`` file holds a flat dict ``name -> array`` (a ``state_dict()``):
an 8-byte little-endian header length, a JSON header naming each array's dtype,
shape and byte range, then the raw little-endian data. Like xpnet's own format
it can hold no code. Reading and writing go through the ``safetensors`` package
(its NumPy flavour), an optional extra: ``pip install "xpnet[safetensors]"``.

Before the package parses a file, this module checks the header's length
against the file's and refuses a header that names a key twice (the package
would keep the last). Every array comes back writeable and in native order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np  # safetensors' NumPy flavour takes and gives NumPy arrays

from .. import _backend
from ..tensor import Tensor
from .archive import strict_json
from .files import CheckpointError

SUFFIX = ".safetensors"
_HEADER_MAX = 100_000_000  # the safetensors package's own limit
_KINDS = "biuf"  # safetensors has bool, int, uint and float dtypes (no complex)
INSTALL = 'pip install "xpnet[safetensors]"'


def _package() -> Any:
    try:
        import safetensors.numpy
    except ImportError:
        raise ImportError(f"reading or writing .safetensors files needs the safetensors package: "
                          f"{INSTALL} (or pip install safetensors)") from None
    return safetensors.numpy


def looks_like(raw: bytes) -> bool:
    """Whether ``raw`` starts as a safetensors file: a header length, then a JSON object."""
    return len(raw) >= 9 and raw[8:9] == b"{"


def to_bytes(obj: Any) -> bytes:
    """The bytes of a ``.safetensors`` file holding the flat dict ``obj`` (name -> array or Tensor).

    Raises TypeError, naming the key, for anything else (nested dicts, numbers,
    an optimizer's state: save those to xpnet's own format, any other file name).
    """
    if not isinstance(obj, Mapping):
        raise TypeError(f"a .safetensors file holds a flat dict name -> array (a model's state_dict()); "
                        f"got a {type(obj).__name__}: save it under another file name (xpnet's own format "
                        f"holds any tree of dicts, lists, numbers and arrays)")
    host = {}
    for key, value in obj.items():
        array = value.array if isinstance(value, Tensor) else value
        if not isinstance(key, str) or not _backend.is_array(array):
            raise TypeError(f"a .safetensors file holds only str keys and arrays; {key!r} holds a "
                            f"{type(value).__name__}: save the state_dict() alone, or use xpnet's own "
                            f"format (any other file name) for optimizer state and other values")
        values = np.asarray(_backend.to_numpy(array))
        if values.dtype.kind not in _KINDS:
            raise TypeError(f"{key!r} has dtype {values.dtype}, which safetensors cannot hold "
                            f"(bool, int and float only)")
        # safetensors stores little-endian, contiguous data (np.asarray: ascontiguousarray makes 0-d 1-d)
        host[key] = np.asarray(values, dtype=values.dtype.newbyteorder("<"), order="C")
    return bytes(_package().save(host))


def from_bytes(raw: bytes, where: str) -> dict[str, np.ndarray]:
    """The arrays of a safetensors file's bytes (host NumPy, writeable); else CheckpointError."""
    size = int.from_bytes(raw[:8], "little") if len(raw) >= 8 else -1
    if not (2 <= size <= min(len(raw) - 8, _HEADER_MAX)):
        raise CheckpointError(f"{where} is not a safetensors file, or is truncated: its header says "
                              f"{size} bytes, the file has {len(raw)}")
    try:
        header = strict_json(raw[8:8 + size], where, "the safetensors header")
    except CheckpointError:
        raise
    except Exception as exc:
        raise CheckpointError(f"{where}: the safetensors header is not JSON: {exc}") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"{where}: the safetensors header is not a JSON object")
    package = _package()
    try:
        loaded = package.load(raw)
        order = [k for k in header if k != "__metadata__"]  # the file's order, as torch gives it
        return {k: np.array(loaded[k], dtype=loaded[k].dtype.newbyteorder("="), order="C")
                for k in order}
    except Exception as exc:  # the package's SafetensorError, an unknown dtype (BF16), ...
        hint = (" (bfloat16 and float8 have no NumPy dtype: convert on the torch side, e.g. "
                "{k: v.float() for k, v in state.items()})" if "BF16" in str(exc) or "F8" in str(exc)
                else "")
        raise CheckpointError(f"{where} is not a valid safetensors file: {type(exc).__name__}: "
                              f"{str(exc)[:200]}{hint}") from None
