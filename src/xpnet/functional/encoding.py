"""``one_hot`` and ``cdist``: class indices as indicator rows, and pairwise distances.

* ``one_hot``: out[..., c] = 1 where the index is c (int64, no gradient: indices are integers)
* ``cdist``: out[..., i, j] = ||x1_i - x2_j||_p;  with D = x1_i - x2_j and r = out[i, j],
  dL/dx1_i = sum_j G_ij sign(D) |D|**(p-1) / r**(p-1),  dL/dx2_j = -sum_i (the same)
  (p = 2: G D / r), 0 where r = 0 (torch's rule), and for p < 1 also 0 where D = 0
  (torch's); p = inf: G sign(D) on the largest |D|
"""

from __future__ import annotations

import math
from typing import Any

from .. import _backend, _dtypes
from ._core import Tensor, as_tensor, check_same_place, make_result, needs_grad, require_floating, unbroadcast

__all__ = ["cdist", "one_hot"]


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """Integer class indices as one-hot rows: shape ``tensor.shape + (num_classes,)``, int64.

    ``num_classes=-1``: one more than the largest index (one host read on a GPU, as torch).

    Args:
        tensor: an integer Tensor (or array) of class indices in ``[0, num_classes)``.
        num_classes: the number of classes, or -1.

    Raises:
        RuntimeError: non-integer input, or (where reading it is free, or with -1) an index
            out of range; a negative ``num_classes`` other than -1.
    """
    t = as_tensor(tensor, "one_hot")
    xp, a = t.xp, t.array
    name = _dtypes.wrap(a.dtype).name
    if "int" not in name:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor, got "
                           f"{name}: pass integer class indices (t.long())")
    dev = _backend.device(a)
    size = math.prod(tuple(a.shape))
    if num_classes == -1:
        if size == 0:
            raise RuntimeError("one_hot: can not infer total number of classes from empty tensor")
        num_classes = int(xp.max(a)) + 1
    elif num_classes < 0:
        raise RuntimeError(f"one_hot: num_classes should be -1 or a non-negative int, got "
                           f"{num_classes}")
    if size and _backend.on_host(xp, dev):
        low, high = int(xp.min(a)), int(xp.max(a))
        if low < 0:
            raise RuntimeError(f"one_hot: class values must be non-negative, got {low}")
        if high >= num_classes:
            raise RuntimeError(f"one_hot: class value {high} is not below num_classes={num_classes}")
    classes = xp.arange(num_classes, dtype=a.dtype, device=dev)
    out = xp.astype(xp.expand_dims(a, axis=-1) == classes, xp.int64)
    return make_result(out, xp, (), None, "one_hot")


def cdist(x1: Any, x2: Any, p: float = 2.0, compute_mode: str = "use_mm_for_euclid_dist_if_necessary"
          ) -> Tensor:
    """The p-norm distance between each row of ``x1`` and each row of ``x2``.

    Shapes: x1 (..., P, M), x2 (..., R, M) (batch dims broadcast); out (..., P, R).
    ``compute_mode`` is accepted for torch's signature (the differences are always formed
    directly, which is exact).

    Args:
        x1: a floating Tensor (or array) of row vectors.
        x2: a floating Tensor (or array) of row vectors of the same length.
        p: the norm's order, ``p > 0`` (``float("inf")``: the largest difference).

    Raises:
        RuntimeError: integer input, rows of different lengths, ranks below 2, ``p < 0``,
            or tensors on different devices.
    """
    a, b = as_tensor(x1, "cdist"), as_tensor(x2, "cdist")
    check_same_place(a, b, "cdist")
    require_floating(a, "cdist")
    require_floating(b, "cdist")
    if a.ndim < 2 or b.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {a.ndim}D, "
                           f"X2 got: {b.ndim}D")
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {a.shape[-1]} "
                           f"X2: {b.shape[-1]}")
    if p < 0:
        raise RuntimeError(f"cdist only supports non-negative p values, got {p}")
    xp = a.xp
    av, bv = a.array, b.array
    if av.dtype != bv.dtype:
        raise RuntimeError(f"cdist: X1 and X2 must have the same dtype, got {a.dtype} and {b.dtype}")
    diff = xp.expand_dims(av, axis=-2) - xp.expand_dims(bv, axis=-3)  # (..., P, R, M)
    ad = xp.abs(diff)
    if p == math.inf:
        out = xp.max(ad, axis=-1)
    elif p == 0:
        out = xp.sum(xp.astype(ad != 0, av.dtype), axis=-1)
    elif p == 2:
        out = xp.sqrt(xp.sum(diff * diff, axis=-1))
    elif p == 1:
        out = xp.sum(ad, axis=-1)
    else:
        out = xp.sum(ad ** p, axis=-1) ** (1 / p)

    def backward(g: Any) -> tuple[Any, Any]:
        r = xp.expand_dims(out, axis=-1)
        zero = xp.zeros_like(diff)
        if p == 0:
            share = zero
        elif p == 1:
            share = xp.sign(diff)
        elif p == 2:
            share = xp.where(r > 0, diff / xp.where(r > 0, r, xp.ones_like(r)), zero)
        elif p == math.inf:  # the gradient goes to the largest |difference| (all of them if tied)
            share = xp.where(ad == r, xp.sign(diff), zero)
        else:
            safe = xp.where(r > 0, r, xp.ones_like(r))
            if p < 1:  # |D|**(p - 1) is infinite where D = 0: torch's share is 0 there
                kept = ad > 0
                ad_safe = xp.where(kept, ad, xp.ones_like(ad))
                share = xp.where(kept, xp.sign(diff) * ad_safe ** (p - 1) / safe ** (p - 1), zero)
            else:
                share = xp.where(r > 0, xp.sign(diff) * ad ** (p - 1) / safe ** (p - 1), zero)
        per_pair = xp.expand_dims(g, axis=-1) * share  # (..., P, R, M)
        ga = xp.sum(per_pair, axis=-2) if needs_grad(a) else None
        gb = -xp.sum(per_pair, axis=-3) if needs_grad(b) else None
        return (unbroadcast(xp, ga, tuple(av.shape)) if ga is not None else None,
                unbroadcast(xp, gb, tuple(bv.shape)) if gb is not None else None)

    return make_result(out, xp, (a, b), backward, "cdist")
