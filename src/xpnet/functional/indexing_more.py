"""``take_along_dim`` and ``index_add``: torch's reads and sums by index, built on ``gather`` and
the backend's scatter-add (no host read on a GPU, except torch's range checks where free).

* ``take_along_dim``: out = gather(broadcast(input), dim, broadcast(indices));
  dL/dinput = G scatter-added back (through gather's and broadcast's own rules)
* ``index_add``: out = input + alpha * (source's slices summed into the slices ``index``
  names, along ``dim``);  dL/dinput = G,  dL/dsource = alpha * index_select(G, dim, index)
"""

from __future__ import annotations

from typing import Any

from .. import _backend
from ._core import Tensor, as_tensor, check_same_place, dim_index, make_result, needs_grad
from .dims import expand
from .gathering import _index, gather
from .shape import reshape

__all__ = ["index_add", "take_along_dim"]


def take_along_dim(input: Any, indices: Any, dim: int | None = None) -> Tensor:
    """The values of ``input`` at ``indices`` along ``dim`` (NumPy's ``take_along_axis``).

    ``dim`` None: both are flattened first (a 1-D result). Otherwise ``input`` and
    ``indices`` broadcast against each other in every dimension but ``dim``, and the result
    has their broadcast shape with ``indices``' length along ``dim``:
    ``out[i][j] = input[indices[i][j]][j]`` (dim 0). Typical use: the values at
    ``argmax(dim, keepdim=True)`` or ``argsort(dim)``.

    Args:
        input: the Tensor (or array) to read from.
        indices: an integer Tensor or array with ``input``'s number of dimensions (``dim``
            given) or any shape (``dim`` None).
        dim: the dimension the indices select along, or None.

    Raises:
        RuntimeError: non-integer indices, different numbers of dimensions, shapes that
            do not broadcast, or (where reading them is free) an index out of range.
    """
    x = as_tensor(input, "take_along_dim")
    idx = as_tensor(indices, "take_along_dim")
    check_same_place(x, idx, "take_along_dim")
    if dim is None:
        return gather(reshape(x, (-1,)), 0, reshape(idx, (-1,)))
    shape, ishape = tuple(x.array.shape), tuple(idx.array.shape)
    d = dim_index(dim, len(shape), "take_along_dim")
    if len(ishape) != len(shape):
        raise RuntimeError(f"take_along_dim(): input {shape} and indices {ishape} should have the "
                           "same number of dimensions")
    common = []
    for k, (s, i) in enumerate(zip(shape, ishape)):
        if k != d and s != i and 1 not in (s, i):
            raise RuntimeError(f"take_along_dim(): input {shape} and indices {ishape} do not "
                               f"broadcast in dimension {k} ({s} and {i})")
        common.append(max(s, i) if 0 not in (s, i) else 0)
    x_shape = tuple(shape[k] if k == d else common[k] for k in range(len(shape)))
    i_shape = tuple(ishape[k] if k == d else common[k] for k in range(len(shape)))
    x_b = x if x_shape == shape else expand(x, x_shape)
    i_b = idx if i_shape == ishape else expand(idx, i_shape)
    return gather(x_b, d, i_b)


def index_add(input: Any, dim: int, index: Any, source: Any, *, alpha: Any = 1) -> Tensor:
    """``input`` with ``alpha * source``'s slices added into the slices ``index`` names, along ``dim``.

    ``out.select(dim, index[i]) += alpha * source.select(dim, i)``; a repeated index adds
    each of its slices. Not in place: ``x.index_add_(...)`` is.
    dL/dinput = G;  dL/dsource = alpha * index_select(G, dim, index).

    Args:
        input: the Tensor (or array) added into (``input`` itself is unchanged).
        dim: the dimension the index selects along.
        index: a 1-D integer Tensor or array of ``source.size(dim)`` positions in
            ``[0, input.size(dim))``.
        source: a Tensor (or array) of ``input``'s shape except ``len(index)`` along ``dim``,
            of ``input``'s dtype.
        alpha: the factor applied to ``source`` (a number).

    Raises:
        RuntimeError: non-integer or non-1-D index, mismatched shapes or dtypes.
        IndexError: (where reading it is free) an index out of range.
    """
    x = as_tensor(input, "index_add")
    s = as_tensor(source, "index_add")
    check_same_place(x, s, "index_add")
    xp, shape, sshape = x.xp, tuple(x.array.shape), tuple(s.array.shape)
    if s.array.dtype != x.array.dtype:
        raise RuntimeError(f"index_add(): source {s.dtype} and input {x.dtype} must have the same "
                           f"dtype: convert it (source.to({x.dtype}))")
    d = dim_index(dim, max(len(shape), 1), "index_add")
    idx = _index(x, index, "index_add")
    if idx.ndim > 1:
        raise RuntimeError(f"index_add(): index must be 1-D, got shape {tuple(idx.shape)}")
    idx = xp.reshape(idx, (-1,))
    n = idx.shape[0]
    expected = tuple(n if k == d else size for k, size in enumerate(shape)) if shape else (n,)
    if sshape != expected and not (not shape and sshape in ((), (1,))):
        raise RuntimeError(f"index_add(): source {sshape} should have input {shape}'s shape with "
                           f"{n} (the length of index) along dimension {d}")
    if not shape:  # a 0-d input: index [0] and a 0-d (or 1-element) source
        src = xp.reshape(s.array, ())
        return _node(x, s, xp, x.array + _scaled(src, alpha), idx, d, alpha, scalar=True)
    if _backend.on_host(xp, _backend.device(idx)) and n > 0:
        low, high = int(xp.min(idx)), int(xp.max(idx))
        if low < 0 or high >= shape[d]:
            raise IndexError(f"index_add(): index {low if low < 0 else high} is out of range for "
                               f"dimension {d} with size {shape[d]}")
    moved = xp.moveaxis(s.array, d, 0)
    rest = tuple(moved.shape[1:])
    rows = xp.scatter_add(idx, xp.reshape(moved, (n, -1)), shape[d])  # (size along d, rest)
    added = xp.moveaxis(xp.reshape(rows, (shape[d], *rest)), 0, d)
    return _node(x, s, xp, x.array + _scaled(added, alpha), idx, d, alpha, scalar=False)


def _scaled(a: Any, alpha: Any) -> Any:
    return a if alpha == 1 else a * alpha


def _node(x: Tensor, s: Tensor, xp: Any, out: Any, idx: Any, d: int, alpha: Any,
          scalar: bool) -> Tensor:
    sshape = tuple(s.array.shape)

    def backward(g: Any) -> tuple[Any, Any]:
        gs = None
        if needs_grad(s):  # dL/dsource = alpha * index_select(G, dim, index)
            picked = xp.reshape(g, sshape) if scalar else xp.take(g, idx, axis=d)
            gs = _scaled(picked, alpha)
        return g, gs

    return make_result(out, xp, (x, s), backward, "index_add", saves=False)
