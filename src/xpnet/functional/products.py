"""torch's named matrix products: ``mm``, ``bmm``, ``mv``, ``dot``, ``outer``.

Each checks the ranks torch requires (torch refuses a 3-D input to ``mm``), then is
:func:`xpnet.functional.matmul` (or a broadcast product), whose node carries the
gradient rule: dL/dA = G B^T, dL/dB = A^T G.
"""

from __future__ import annotations

from typing import Any

from ._core import Tensor, as_tensor
from .arithmetic import mul
from .linalg import matmul
from .shape import reshape

__all__ = ["bmm", "dot", "mm", "mv", "outer"]


def _ranked(a: Any, b: Any, name: str, ranks: tuple[int, int]) -> tuple[Tensor, Tensor]:
    a, b = as_tensor(a, name), as_tensor(b, name)
    if (a.ndim, b.ndim) != ranks:
        raise RuntimeError(f"{name} expects {ranks[0]}-D and {ranks[1]}-D tensors, got shapes "
                           f"{a.shape} and {b.shape}" + ("; for batches use matmul (or @)"
                                                        if name != "bmm" else ""))
    if a.dtype != b.dtype:
        raise RuntimeError(f"{name}: both tensors must have the same dtype, got {a.dtype} and "
                           f"{b.dtype}; convert one, e.g. b.to(a.dtype)")
    return a, b


def _inner(a: Tensor, b: Tensor, name: str) -> None:
    """torch's RuntimeError when the inner sizes of a product differ."""
    inner_b = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if a.shape[-1] != inner_b:
        raise RuntimeError(f"{name}: mat1 and mat2 shapes cannot be multiplied "
                           f"({'x'.join(map(str, a.shape))} and {'x'.join(map(str, b.shape))}): "
                           "the last size of the first must equal the first size of the second")


def mm(input: Any, mat2: Any) -> Tensor:
    """Matrix product of (n, k) and (k, m): (n, m).  dL/dA = G B^T, dL/dB = A^T G.

    Args:
        input: ``A``, a 2-D Tensor (n, k).
        mat2: ``B``, a 2-D Tensor (k, m) of the same dtype, library and device.

    Raises:
        RuntimeError: an operand is not 2-D, the dtypes differ, or the inner sizes differ.
    """
    a, b = _ranked(input, mat2, "mm", (2, 2))
    _inner(a, b, "mm")
    return matmul(a, b)


def bmm(input: Any, mat2: Any) -> Tensor:
    """Batched matrix product of (b, n, k) and (b, k, m): (b, n, m) (no broadcasting).

    dL/dA = G B^T and dL/dB = A^T G, batch by batch.

    Args:
        input: ``A``, a 3-D Tensor (b, n, k).
        mat2: ``B``, a 3-D Tensor (b, k, m) of the same dtype, library and device.

    Raises:
        RuntimeError: an operand is not 3-D, the dtypes differ, the batch sizes differ, or the
            inner sizes differ.
    """
    a, b = _ranked(input, mat2, "bmm", (3, 3))
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"bmm: batch sizes differ: {a.shape} and {b.shape}")
    _inner(a, b, "bmm")
    return matmul(a, b)


def mv(input: Any, vec: Any) -> Tensor:
    """Matrix (n, m) times vector (m,): (n,).  dL/dA = G v^T, dL/dv = A^T G.

    Args:
        input: ``A``, a 2-D Tensor (n, m).
        vec: ``v``, a 1-D Tensor (m,) of the same dtype, library and device.

    Raises:
        RuntimeError: the ranks are not 2 and 1, the dtypes differ, or the sizes differ.
    """
    a, v = _ranked(input, vec, "mv", (2, 1))
    _inner(a, v, "mv")
    return matmul(a, v)


def dot(input: Any, tensor: Any) -> Tensor:
    """Inner product of two 1-D tensors of the same size: a 0-d tensor.  dL/da = G b.

    dL/db = G a.

    Args:
        input: ``a``, a 1-D Tensor (n,).
        tensor: ``b``, a 1-D Tensor (n,) of the same dtype, library and device.

    Raises:
        RuntimeError: an operand is not 1-D, the dtypes differ, or the sizes differ.
    """
    a, b = _ranked(input, tensor, "dot", (1, 1))
    if a.shape != b.shape:
        raise RuntimeError(f"dot: 1-D tensors of different sizes {a.shape[0]} and {b.shape[0]}")
    return matmul(a, b)


def outer(input: Any, vec2: Any) -> Tensor:
    """Outer product of (n,) and (m,): (n, m) with ``out[i, j] = a[i] b[j]``.

    dL/da = G b, dL/db = G^T a.

    Args:
        input: ``a``, a 1-D Tensor (n,).
        vec2: ``b``, a 1-D Tensor (m,) of the same dtype, library and device.

    Raises:
        RuntimeError: an operand is not 1-D, or the dtypes differ.
    """
    a, b = _ranked(input, vec2, "outer", (1, 1))
    return mul(reshape(a, (-1, 1)), reshape(b, (1, -1)))
