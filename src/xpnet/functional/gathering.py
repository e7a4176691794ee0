"""Reading and writing by index with torch's names: gather, scatter, index_select, nonzero.

Notation: ``G = dL/d(out)``. Every op here turns its indices into linear positions
``pos`` in the flattened input (``pos = sum_d coord_d * stride_d``, the index along
``dim``, ``arange`` along the others), then reads with ``xp.take`` and writes with
the backend's scatter-add ``xp.scatter_add`` (NumPy: ``np.add.at``): no
host read on a GPU, except :func:`nonzero` (and ``where(cond)``), whose result
size depends on the values and so needs one by nature.

* ``gather``: out = x_flat[pos];  dL/dx = scatter_add(G by pos)
* ``scatter_add``: out = x + scatter_add(src by pos);  dL/dx = G,  dL/dsrc = gather(G)
* ``scatter``: out = x with src written at pos (the last writer wins where an index
  repeats; torch leaves that case undefined);  dL/dx = G where nothing was written,
  dL/dsrc = gather(G) (torch's rule)
* ``index_select``: out = take(x, index, dim);  dL/dx = scatter_add(G along dim)
"""

from __future__ import annotations

import math
from typing import Any

from .. import _backend, _dtypes
from ._core import Tensor, as_tensor, check_same_place, dim_index, make_result, needs_grad

__all__ = ["gather", "index_select", "masked_select", "nonzero", "scatter", "scatter_add", "where"]


def _index(x: Tensor, index: Any, op: str) -> Any:
    """``index`` as an int64 array of x's library and device (TypeError for non-integers)."""
    t = as_tensor(index, op)
    check_same_place(x, t, op)
    name = _dtypes.wrap(t.array.dtype).name
    if "int" not in name:
        raise RuntimeError(f"{op}(): Expected dtype int64 for index, got {name}: pass integer "
                           "indices (index.long())")
    a = t.array
    return a if name == "int64" else x.xp.astype(a, x.xp.int64)


def _scatter_add(xp: Any, pos: Any, values: Any, size: int) -> Any:
    """Flat ``values`` summed into ``size`` slots by flat ``pos`` (``xp.scatter_add``)."""
    return xp.reshape(xp.scatter_add(pos, xp.reshape(values, (-1, 1)), size),
                      (size,))


def _positions(xp: Any, index: Any, shape: tuple[int, ...], dim: int | None, op: str) -> Any:
    """Flat positions in an array of ``shape`` of the cells of ``index``'s shape.

    Along ``dim`` the coordinate is ``index`` itself (None: every coordinate is its
    position); ``index.shape[d] <= shape[d]`` elsewhere, as torch asks.
    """
    ishape = tuple(index.shape)
    if len(ishape) != len(shape):
        raise RuntimeError(f"{op}(): index {ishape} and input {shape} must have the same number "
                           "of dimensions")
    for d, (i, s) in enumerate(zip(ishape, shape)):
        if d != dim and i > s:
            raise RuntimeError(f"{op}(): size {i} of index {ishape} exceeds size {s} of the tensor "
                               f"{shape} along dimension {d} (only dimension {dim} may be larger)")
    dev = _backend.device(index)
    if dim is not None and _backend.on_host(xp, dev) and math.prod(ishape) > 0:
        low, high = int(xp.min(index)), int(xp.max(index))
        if low < 0 or high >= shape[dim]:
            raise RuntimeError(f"{op}(): index {low if low < 0 else high} is out of bounds for "
                               f"dimension {dim} with size {shape[dim]}")
    pos = xp.zeros(ishape, dtype=xp.int64, device=dev)
    stride = 1
    for d in reversed(range(len(shape))):
        if d == dim:
            coord = index
        else:
            view = [1] * len(shape)
            view[d] = ishape[d]
            coord = xp.reshape(xp.arange(ishape[d], dtype=xp.int64, device=dev), tuple(view))
        pos = pos + coord * stride
        stride *= shape[d]
    return xp.reshape(pos, (-1,))


def gather(input: Any, dim: int, index: Any, *, sparse_grad: bool = False) -> Tensor:
    """Values of ``input`` along ``dim`` at ``index``: ``out[i][j] = input[index[i][j]][j]`` (dim 0).

    Shapes: index has input's number of dims, ``index.size(d) <= input.size(d)`` for
    ``d != dim``; out has index's shape. Raises RuntimeError for non-integer indices,
    mismatched dims, or (where reading them is free) an index out of range.
    dL/dinput = G scatter-added at the gathered positions (a position read twice gets both).

    Args:
        input: the Tensor (or array) to read from.
        dim: the axis the indices select along.
        index: an integer Tensor or array of ``input``'s number of dims.
        sparse_grad: accepted for torch's signature; the gradient is always dense.
    """
    x = as_tensor(input, "gather")
    xp, shape = x.xp, tuple(x.array.shape)
    dim = dim_index(dim, len(shape), "gather")
    idx = _index(x, index, "gather")
    pos = _positions(xp, idx, shape, dim, "gather")
    out = xp.reshape(xp.take(xp.reshape(x.array, (-1,)), pos, axis=0), tuple(idx.shape))

    def backward(g: Any) -> tuple[Any]:
        return (xp.reshape(_scatter_add(xp, pos, g, math.prod(shape)), shape),)

    return make_result(out, xp, (x,), backward, "gather", saves=False)


def _source(x: Tensor, src: Any, value: Any, op: str) -> tuple[Tensor, bool]:
    """The values to write: a Tensor (src), or a number as a 0-d constant; and whether a number."""
    if (src is None) == (value is None):
        raise TypeError(f"{op}() takes exactly one of src (a tensor) or value (a number)")
    if src is not None and (isinstance(src, Tensor) or _backend.is_array(src)):
        s = as_tensor(src, op)
        check_same_place(x, s, op)
        if s.array.dtype != x.array.dtype:
            raise RuntimeError(f"{op}(): expected src of the input's dtype {x.dtype}, got {s.dtype}: "
                               f"convert it (src.to({x.dtype}))")
        return s, False
    number: Any = value if value is not None else src
    xp, dt = x.xp, x.array.dtype
    if not _dtypes.is_floating(dt) and _dtypes.wrap(dt).name != "bool":
        number = int(number)
    full = xp.full((), number, dtype=dt, device=_backend.device(x.array))
    return make_result(full, xp, (), None, op), True


def _write(input: Any, dim: int, index: Any, src: Any, value: Any, op: str, add: bool) -> Tensor:
    x = as_tensor(input, op)
    xp, shape = x.xp, tuple(x.array.shape)
    dim = dim_index(dim, len(shape), op)
    idx = _index(x, index, op)
    s, is_number = _source(x, src, value, op)
    size = math.prod(shape)
    pos = _positions(xp, idx, shape, dim, op)
    sshape = tuple(s.array.shape)
    if is_number:  # the same value at every index
        vals = xp.broadcast_to(s.array, (pos.shape[0],))
        spos = None
    else:
        spos = _positions(xp, idx, sshape, None, op)  # the cells of src that are written
        vals = xp.take(xp.reshape(s.array, (-1,)), spos, axis=0)
    flat = xp.reshape(x.array, (-1,))
    if add:
        out = flat + _scatter_add(xp, pos, vals, size)
        written = None
    else:
        # The last writer of each position: after a stable sort by position, the last of its run.
        order = xp.argsort(pos, stable=True)
        sorted_pos = xp.take(pos, order, axis=0)
        dev = _backend.device(pos)
        last_sorted = xp.concat([sorted_pos[:-1] != sorted_pos[1:],
                                 xp.ones((min(1, pos.shape[0]),), dtype=xp.bool, device=dev)])
        last = xp.take(last_sorted, xp.argsort(order), axis=0)  # back in the order of pos
        kept = xp.where(last, vals, xp.zeros_like(vals))
        counts = _scatter_add(xp, pos, xp.astype(last, xp.int64), size)
        written = counts > 0
        out = xp.where(written, _scatter_add(xp, pos, kept, size), flat)

    def backward(g: Any) -> tuple[Any, Any]:
        g_flat = xp.reshape(g, (-1,))
        gx = gs = None
        if x.requires_grad:
            gx = g if written is None else xp.reshape(xp.where(written, xp.zeros_like(g_flat), g_flat), shape)
        if needs_grad(s):
            picked = xp.take(g_flat, pos, axis=0)  # gather(G, dim, index)
            gs = (None if spos is None
                  else xp.reshape(_scatter_add(xp, spos, picked, math.prod(sshape)), sshape))
        return gx, gs

    return make_result(xp.reshape(out, shape), xp, (x, s), backward, op, saves=False)


def scatter(input: Any, dim: int, index: Any, src: Any = None, *, value: Any = None,
            reduce: str | None = None) -> Tensor:
    """``input`` with ``src`` (a tensor or a number) written at ``index`` along ``dim``.

    ``out[index[i][j]][j] = src[i][j]`` (dim 0); the other cells keep ``input``. Shapes
    as :func:`gather` (``src`` at least index's shape). Where an index repeats, the last
    one in row-major order wins (torch: undefined). Not in place: ``x.scatter_(...)`` is.
    dL/dinput = G where nothing was written, else 0;  dL/dsrc = gather(G, dim, index).
    ``reduce`` is not supported (use :func:`scatter_add`, or torch's scatter_reduce).

    Args:
        input: the Tensor (or array) written into (a copy: ``input`` is unchanged).
        dim: the axis the indices select along.
        index: an integer Tensor or array of ``input``'s number of dims.
        src: the values to write (a Tensor or array at least ``index``'s shape, or a number).
        value: a number to write everywhere ``index`` points (torch's keyword form).
        reduce: not supported: NotImplementedError.
    """
    if reduce is not None:
        raise NotImplementedError(f"scatter(reduce={reduce!r}) is not supported in xpnet: use "
                                  "scatter_add for sums")
    return _write(input, dim, index, src, value, "scatter", add=False)


def scatter_add(input: Any, dim: int, index: Any, src: Any) -> Tensor:
    """``input`` plus ``src`` summed in at ``index`` along ``dim``: ``out[index[i][j]][j] += src[i][j]``.

    Repeated indices add up. dL/dinput = G;  dL/dsrc = gather(G, dim, index).
    """
    return _write(input, dim, index, src, None, "scatter_add", add=True)


def index_select(input: Any, dim: int, index: Any) -> Tensor:
    """The slices of ``input`` along ``dim`` at the 1-D ``index`` (repeats allowed).

    out.shape = input.shape with ``len(index)`` along dim.
    dL/dinput = G summed back into the slices it came from.
    """
    x = as_tensor(input, "index_select")
    xp, shape = x.xp, tuple(x.array.shape)
    dim = dim_index(dim, len(shape), "index_select")
    idx = _index(x, index, "index_select")
    if idx.ndim > 1:
        raise IndexError(f"index_select(): index must be 1-D or 0-d, got shape {tuple(idx.shape)}")
    idx = xp.reshape(idx, (-1,))
    if not shape:  # torch: a 0-d input takes index [0]
        return make_result(x.array, xp, (x,), lambda g: (g,), "index_select", saves=False)
    if _backend.on_host(xp, _backend.device(idx)) and idx.shape[0] > 0:
        low, high = int(xp.min(idx)), int(xp.max(idx))
        if low < 0 or high >= shape[dim]:
            raise IndexError(f"index_select(): index {low if low < 0 else high} is out of range "
                             f"for dimension {dim} with size {shape[dim]}")
    out = xp.take(x.array, idx, axis=dim)

    def backward(g: Any) -> tuple[Any]:
        moved = xp.moveaxis(g, dim, 0)
        rest = tuple(moved.shape[1:])
        rows = xp.scatter_add(idx, xp.reshape(moved, (idx.shape[0], -1)), shape[dim])
        return (xp.moveaxis(xp.reshape(rows, (shape[dim], *rest)), 0, dim),)

    return make_result(out, xp, (x,), backward, "index_select", saves=False)


def masked_select(input: Any, mask: Any) -> Tensor:
    """The values of ``input`` where the boolean ``mask`` holds (both broadcast), as a 1-D tensor.

    The result size depends on the mask: on a GPU, one host read. dL/dinput = G at the
    selected cells, summed over broadcast axes.
    """
    from .dims import expand
    from .shape import getitem

    x = as_tensor(input, "masked_select")
    m = as_tensor(mask, "masked_select")
    check_same_place(x, m, "masked_select")
    if _dtypes.wrap(m.array.dtype).name != "bool":
        raise RuntimeError(f"masked_select: expected a bool mask, got {m.dtype}")
    xp = x.xp
    shape = tuple(xp.broadcast_arrays(x.array, m.array)[0].shape)
    xb = x if tuple(x.array.shape) == shape else expand(x, shape)
    mb = m.array if tuple(m.array.shape) == shape else xp.broadcast_to(m.array, shape)
    return getitem(xb, mb)


def nonzero(input: Any, *, as_tuple: bool = False) -> Any:
    """The indices of the non-zero values of ``input``, in row-major order.

    ``as_tuple=False``: an int64 tensor of shape (n, ndim); True: a tuple of ``ndim``
    int64 tensors of shape (n,) (what ``x[...]`` takes). The size n depends on the
    values: on a GPU this waits for the device (a host read), as torch's does.
    """
    x = as_tensor(input, "nonzero")
    xp, a = x.xp, x.array
    dev = _backend.device(a)
    if a.ndim == 0:  # torch: a 0-d input is treated as 1-D for as_tuple, as (n, 0) otherwise
        n = int(bool(a != 0))
        if as_tuple:
            return (make_result(xp.zeros((n,), dtype=xp.int64, device=dev), xp, (), None, "nonzero"),)
        return make_result(xp.zeros((n, 0), dtype=xp.int64, device=dev), xp, (), None, "nonzero")
    parts = [xp.astype(p, xp.int64) for p in xp.nonzero(a)]
    if as_tuple:
        return tuple(make_result(p, xp, (), None, "nonzero") for p in parts)
    return make_result(xp.stack(parts, axis=1), xp, (), None, "nonzero")


_MISSING: Any = object()


def where(condition: Any, input: Any = _MISSING, other: Any = _MISSING) -> Any:
    """``input`` where ``condition`` holds, else ``other`` (see :func:`.arithmetic.where`).

    With the condition alone, ``where(cond)`` is ``nonzero(cond, as_tuple=True)``, as torch.
    """
    from .arithmetic import where as select

    if input is _MISSING and other is _MISSING:
        return nonzero(condition, as_tuple=True)
    if input is _MISSING or other is _MISSING:
        raise TypeError("where() takes a condition alone, or a condition, input and other")
    return select(condition, input, other)


def written_in_place(t: Tensor, op: str, compute: Any, *others: Any) -> Tensor:
    """``t`` given the values of ``compute(t)`` in place (``scatter_``...), recorded as torch does.

    ``compute`` must build an op whose backward never reads its input's values (scatter
    and scatter_add do not): the input node shares ``t``'s memory, which is overwritten.
    """
    from .._tensor_inplace import check_leaf, record, recording, split, write
    from ..autograd import no_grad

    check_leaf(t)
    if not recording(t, *others):
        with no_grad():
            out = compute(t)
        write(t, out.array)
        return t
    old = split(t)
    out = compute(old)
    write(t, out.array)
    record(t, old, out._parents, out._backward, op, saves=False)
    return t
