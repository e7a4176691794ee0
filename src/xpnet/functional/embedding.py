"""``embedding``: rows of a table looked up by integer indices, and its scatter-add gradient.

``out[...] = weight[index[...]]``; the gradient of the table adds each row of
``G`` into the row it was read from (a row read twice gets both)::

    dL/dweight[j] = sum_{i : index[i] == j} G[i]      (zero for j == padding_idx)
"""

from __future__ import annotations

import math
from typing import Any

from .. import _backend, _dtypes
from ._core import Tensor, as_tensor, check_same_place, make_result, p_norm


def embedding(input: Any, weight: Any, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` picked by the integer ``input``.

    input: integer indices of any shape ``(*)`` in ``[0, num_embeddings)``;
    weight: (num_embeddings, embedding_dim). Output: ``(*, embedding_dim)``.
    ``padding_idx``: that row gets no gradient (negative counts from the end).
    Raises IndexError for an index out of range (checked where reading it is
    free: on the CPU); TypeError for non-integer indices. ``sparse`` is not
    supported (NotImplementedError: xpnet's gradients are dense).

    dL/dweight[r] = the sum of G over the positions whose index is r (0 for ``padding_idx``),
    divided by how many positions read r with ``scale_grad_by_freq``.

    Args:
        input: integer indices, any shape, on ``weight``'s device.
        weight: the table, (num_embeddings, embedding_dim).
        padding_idx: a row that gets no gradient, or None.
        max_norm: as torch: before the lookup, each row that ``input`` reads whose
            ``norm_type``-norm exceeds ``max_norm`` is rescaled *in place* (without grad) to
            ``row * max_norm / (norm + 1e-7)``.
        norm_type: the p of the norm for ``max_norm``.
        scale_grad_by_freq: divide each row's gradient by how many positions of ``input``
            read it (torch's inverse frequency in the mini-batch).
        sparse: not supported (True raises NotImplementedError: gradients are dense).
    """
    if sparse:
        raise NotImplementedError("embedding: sparse=True is not supported (xpnet's gradients are "
                                  "dense); leave it False")
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
    share = None  # with scale_grad_by_freq: 1 / (how many positions read the row), per position
    if max_norm is not None or scale_grad_by_freq:
        reads = _reads(xp, flat, rows, w.array.dtype)
        share = 1.0 / reads if scale_grad_by_freq else None
        if max_norm is not None:
            _renorm(w, flat, reads, float(max_norm), norm_type)
    out = xp.reshape(xp.take(w.array, flat, axis=0), batch + (dim,))

    def backward(g: Any) -> tuple[Any, None]:
        g_flat = xp.reshape(g, (math.prod(batch), dim))
        if pad is not None:
            g_flat = xp.where(xp.reshape(flat == pad, (-1, 1)), 0.0, g_flat)
        if share is not None:
            g_flat = g_flat * share
        return xp.scatter_add(flat, g_flat, rows), None

    return make_result(out, xp, (w, idx), backward, "embedding", saves=False)


def _reads(xp: Any, flat: Any, rows: int, dtype: Any) -> Any:
    """For each position of ``flat`` (M,), how many positions read its row: (M, 1) of ``dtype``."""
    ones = xp.ones((flat.shape[0], 1), dtype=dtype, device=_backend.device(flat))
    return xp.take(xp.scatter_add(flat, ones, rows), flat, axis=0)


def _renorm(w: Tensor, flat: Any, reads: Any, max_norm: float, norm_type: float) -> None:
    """torch's ``embedding_renorm_``: each row read whose norm exceeds ``max_norm`` becomes
    ``row * max_norm / (norm + 1e-7)``, in place and without grad. Written as one scatter-add
    of the change (each position adds its share of its row's change), so it needs no
    assignment at integer indices (array-api-strict has none)."""
    from ..autograd import no_grad

    xp = w.xp
    picked = xp.take(w.array, flat, axis=0)
    norm = p_norm(xp, picked, norm_type, axis=1, keepdims=True)
    scale = xp.where(norm > max_norm, max_norm / (norm + 1e-7), 1.0)
    change = xp.scatter_add(flat, picked * (scale - 1.0) / reads, w.array.shape[0])
    with no_grad():
        w.add_(make_result(change, xp, (), None, ""))


def _padding(padding_idx: int | None, rows: int) -> int | None:
    if padding_idx is None:
        return None
    if isinstance(padding_idx, bool) or not isinstance(padding_idx, int) \
            or not -rows <= padding_idx < rows:
        raise ValueError(f"embedding: padding_idx must be an int in [{-rows}, {rows - 1}] for "
                         f"a table of {rows} rows, got {padding_idx!r}")
    return padding_idx % rows
