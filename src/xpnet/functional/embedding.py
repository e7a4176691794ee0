"""``embedding``: rows of a table looked up by integer indices, and its scatter-add gradient.

``out[...] = weight[index[...]]``; the gradient of the table adds each row of
``G`` into the row it was read from (a row read twice gets both)::

    dL/dweight[j] = sum_{i : index[i] == j} G[i]      (zero for j == padding_idx)
"""

from __future__ import annotations

import math
from typing import Any

from .. import _backend, _dtypes
from ._core import Tensor, as_tensor, check_same_place, make_result


def embedding(input: Any, weight: Any, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` picked by the integer ``input``.

    input: integer indices of any shape ``(*)`` in ``[0, num_embeddings)``;
    weight: (num_embeddings, embedding_dim). Output: ``(*, embedding_dim)``.
    ``padding_idx``: that row gets no gradient (negative counts from the end).
    Raises IndexError for an index out of range (checked where reading it is
    free: on the CPU); TypeError for non-integer indices. ``max_norm``,
    ``scale_grad_by_freq`` and ``sparse`` are not supported (NotImplementedError).

    dL/dweight[r] = the sum of G over the positions whose index is r (0 for ``padding_idx``).

    Args:
        input: integer indices, any shape, on ``weight``'s device.
        weight: the table, (num_embeddings, embedding_dim).
        padding_idx: a row that gets no gradient, or None.
        max_norm: not supported (anything but None raises NotImplementedError).
        norm_type: accepted for torch programs; used only with ``max_norm``.
        scale_grad_by_freq: not supported (True raises NotImplementedError).
        sparse: not supported (True raises NotImplementedError).
    """
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: max_norm, scale_grad_by_freq and sparse are not "
                                  "supported yet; leave them at their defaults")
    w = as_tensor(weight, "embedding")
    idx = as_tensor(input, "embedding")
    check_same_place(w, idx, "embedding")
    xp = w.xp
    if len(w.array.shape) != 2:
        raise ValueError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got "
                         f"shape {tuple(w.array.shape)}")
    rows, dim = (int(n) for n in w.array.shape)
    kind = _dtypes.wrap(idx.array.dtype).name
    if "int" not in kind:
        raise TypeError(f"embedding: indices must be integers (int64 or int32), got {kind}: "
                        f"convert them with .to(dtype=xn.int64)")
    pad = _padding(padding_idx, rows)
    batch = tuple(idx.array.shape)
    flat = xp.reshape(xp.astype(idx.array, xp.int64), (-1,))
    if _backend.on_host(xp, _backend.device(w.array)) and flat.shape[0] > 0:
        low, high = int(xp.min(flat)), int(xp.max(flat))
        if low < 0 or high >= rows:
            raise IndexError(f"embedding: index {low if low < 0 else high} is out of range for "
                             f"a table of {rows} rows: indices must lie in [0, {rows - 1}]")
    out = xp.reshape(xp.take(w.array, flat, axis=0), batch + (dim,))

    def backward(g: Any) -> tuple[Any, None]:
        g_flat = xp.reshape(g, (math.prod(batch), dim))
        if pad is not None:
            g_flat = xp.where(xp.reshape(flat == pad, (-1, 1)), 0.0, g_flat)
        return xp.scatter_add(flat, g_flat, rows), None

    return make_result(out, xp, (w, idx), backward, "embedding", saves=False)


def _padding(padding_idx: int | None, rows: int) -> int | None:
    if padding_idx is None:
        return None
    if isinstance(padding_idx, bool) or not isinstance(padding_idx, int) \
            or not -rows <= padding_idx < rows:
        raise ValueError(f"embedding: padding_idx must be an int in [{-rows}, {rows - 1}] for "
                         f"a table of {rows} rows, got {padding_idx!r}")
    return padding_idx % rows
