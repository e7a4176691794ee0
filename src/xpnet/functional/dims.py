"""torch's shape ops that add, drop, reorder or repeat axes: forward, then backward.

Nothing here changes a value, so each backward only moves ``G`` back into the
input's shape (a reshape, the inverse permutation, a sum over repeated copies).
Dims may be negative, counted from the end, as in torch.
"""

from __future__ import annotations

import math
from typing import Any

from .. import _backend
from ._core import Tensor, as_tensor, dim_index, make_result, unbroadcast
from .shape import permute_dims, reshape

__all__ = ["expand", "flatten", "flip", "movedim", "narrow", "permute", "repeat", "squeeze", "t", "tile",
           "transpose", "unflatten", "unsqueeze"]


def sizes(args: tuple[Any, ...]) -> tuple[int, ...]:
    """Sizes given as varargs ``(2, 3)`` or as one sequence ``((2, 3),)``."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def unsqueeze(input: Any, dim: int) -> Tensor:
    """``input`` with a new axis of size 1 at ``dim`` (in ``[-ndim-1, ndim]``)."""
    x = as_tensor(input, "unsqueeze")
    axis = dim_index(dim, x.ndim + 1, "unsqueeze")
    shape = x.shape
    return reshape(x, shape[:axis] + (1,) + shape[axis:])


def squeeze(input: Any, dim: Any = None) -> Tensor:
    """``input`` without its axes of size 1 (only those in ``dim`` when given; others stay)."""
    x = as_tensor(input, "squeeze")
    shape = x.shape
    if dim is None:
        axes = set(range(len(shape)))
    else:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        axes = {dim_index(d, len(shape), "squeeze") for d in dims}
    return reshape(x, tuple(n for i, n in enumerate(shape) if not (i in axes and n == 1)))


def flatten(input: Any, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """``input`` with axes ``start_dim..end_dim`` merged into one (a 0-d input gives 1-D)."""
    x = as_tensor(input, "flatten")
    shape = x.shape
    if not shape:
        return reshape(x, (1,))
    start = dim_index(start_dim, len(shape), "flatten")
    end = dim_index(end_dim, len(shape), "flatten")
    if start > end:
        raise RuntimeError(f"flatten() has invalid args: start_dim ({start_dim}) cannot come after "
                           f"end_dim ({end_dim}) for a tensor of shape {shape}")
    return reshape(x, shape[:start] + (math.prod(shape[start:end + 1]),) + shape[end + 1:])


def unflatten(input: Any, dim: int, sizes: Any) -> Tensor:
    """``input`` with axis ``dim`` split into ``sizes`` (one may be -1)."""
    x = as_tensor(input, "unflatten")
    axis = dim_index(dim, x.ndim, "unflatten")
    return reshape(x, x.shape[:axis] + tuple(sizes) + x.shape[axis + 1:])


def permute(input: Any, dims: Any) -> Tensor:
    """``input`` with its axes in the order ``dims``.  dL/dx = G in the inverse order."""
    x = as_tensor(input, "permute")
    dims = tuple(dims)
    order = [dim_index(d, x.ndim, "permute") for d in dims]
    if sorted(order) != list(range(x.ndim)):
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not "
                           f"match the length of the desired ordering of dimensions: dims {dims} "
                           f"for a tensor of shape {x.shape} (each axis exactly once)")
    return permute_dims(x, tuple(order))


def transpose(input: Any, dim0: int, dim1: int) -> Tensor:
    """``input`` with axes ``dim0`` and ``dim1`` swapped (``swapaxes``, ``swapdims``)."""
    x = as_tensor(input, "transpose")
    if x.ndim == 0:
        return x
    a, b = dim_index(dim0, x.ndim, "transpose"), dim_index(dim1, x.ndim, "transpose")
    order = list(range(x.ndim))
    order[a], order[b] = order[b], order[a]
    return permute_dims(x, tuple(order))


def t(input: Any) -> Tensor:
    """The transpose of a matrix; 0-D and 1-D tensors are returned as they are.

    dL/dx = G^T.

    Args:
        input: a Tensor with at most 2 dimensions.

    Raises:
        RuntimeError: ``input`` has more than 2 dimensions (use ``transpose`` or ``mT``).
    """
    x = as_tensor(input, "t")
    if x.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {x.ndim}D "
                           f"(shape {x.shape}); use transpose(dim0, dim1) or .mT")
    return transpose(x, 0, 1) if x.ndim == 2 else x


def movedim(input: Any, source: Any, destination: Any) -> Tensor:
    """``input`` with axes ``source`` moved to positions ``destination`` (ints or sequences)."""
    x = as_tensor(input, "movedim")
    if isinstance(source, (tuple, list)) != isinstance(destination, (tuple, list)):
        raise TypeError(f"movedim takes two ints or two sequences of ints, got {source!r} and "
                        f"{destination!r}")
    src = source if isinstance(source, (tuple, list)) else (source,)
    dst = destination if isinstance(destination, (tuple, list)) else (destination,)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) "
                           f"should contain the same number of dims as destination ({list(dst)} dims)")
    src = [dim_index(d, x.ndim, "movedim") for d in src]
    dst = [dim_index(d, x.ndim, "movedim") for d in dst]
    order = [-1] * x.ndim
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(i for i in range(x.ndim) if i not in src)
    return permute_dims(x, tuple(o if o >= 0 else next(rest) for o in order))


def expand(input: Any, *sizes_: Any) -> Tensor:
    """``input`` broadcast to ``sizes`` (-1 keeps a size; new axes go in front).

    dL/dx = G summed over the broadcast axes.

    Args:
        input: ``x``, a Tensor; a view-like result of the new shape, same dtype and device.
        *sizes_: the target sizes, as ints (``expand(x, 3, -1)``) or one tuple
            (``expand(x, (3, -1))``): ``sizes``.

    Raises:
        RuntimeError: fewer sizes than ``x`` has dimensions, or a size of ``x`` other than 1
            differs from its target.
    """
    x = as_tensor(input, "expand")
    target = sizes(sizes_)
    extra = len(target) - x.ndim
    if extra < 0:
        raise RuntimeError(f"expand: the number of sizes provided ({len(target)}) must be greater "
                           f"or equal to the number of dimensions in the tensor ({x.ndim})")
    shape = tuple(x.shape[i - extra] if n == -1 and i >= extra else n for i, n in enumerate(target))
    xp = x.xp
    try:
        out = xp.broadcast_to(x.array, shape)
    except (ValueError, RuntimeError):
        raise RuntimeError(f"expand: the expanded size {shape} must match the existing size {x.shape} "
                           "at each non-singleton dimension") from None
    old = x.shape

    def backward(g: Any) -> tuple[Any]:
        return (unbroadcast(xp, g, old),)

    return make_result(out, xp, (x,), backward, "expand", saves=False)


def repeat(input: Any, *repeats: Any) -> Tensor:
    """``input`` tiled ``repeats[i]`` times along each axis (torch's ``Tensor.repeat``, ``tile``).

    Built as a broadcast of shape (r0, s0, r1, s1, ...) reshaped to (r0*s0, r1*s1, ...);
    dL/dx = G reshaped the same way and summed over the r axes.
    """
    x = as_tensor(input, "repeat")
    reps = sizes(repeats)
    if len(reps) < x.ndim:
        raise RuntimeError(f"repeat: number of repeat dims ({len(reps)}) can not be smaller than "
                           f"number of dimensions of tensor ({x.ndim})")
    xp = x.xp
    shape = (1,) * (len(reps) - x.ndim) + x.shape
    split = tuple(n for pair in zip(reps, shape) for n in pair)
    ones = tuple(n for s in shape for n in (1, s))
    out = xp.broadcast_to(xp.reshape(x.array, ones), split)
    old = x.shape

    def backward(g: Any) -> tuple[Any]:
        g = xp.sum(xp.reshape(g, split), axis=tuple(range(0, 2 * len(reps), 2)))
        return (xp.reshape(g, old),)

    final = tuple(r * s for r, s in zip(reps, shape))
    return make_result(xp.reshape(out, final), xp, (x,), backward, "repeat", saves=False)


def tile(input: Any, dims: Any) -> Tensor:
    """``input`` repeated ``dims[i]`` times along each axis; missing leading dims count as 1."""
    x = as_tensor(input, "tile")
    dims = tuple(dims)
    return repeat(x, (1,) * (x.ndim - len(dims)) + dims)


def flip(input: Any, dims: Any) -> Tensor:
    """``input`` reversed along ``dims``.  dL/dx = G reversed along the same axes."""
    x = as_tensor(input, "flip")
    xp = x.xp
    axes = tuple(dim_index(d, x.ndim, "flip") for d in (dims if isinstance(dims, (tuple, list))
                                                          else (dims,)))

    def backward(g: Any) -> tuple[Any]:
        return (xp.flip(g, axis=axes),)

    return make_result(xp.flip(x.array, axis=axes), xp, (x,), backward, "flip", saves=False)


def narrow(input: Any, dim: int, start: int, length: int) -> Tensor:
    """Elements ``start .. start+length-1`` along ``dim``.

    dL/dx = G padded with zeros to the input's length along ``dim``.
    """
    x = as_tensor(input, "narrow")
    axis = dim_index(dim, x.ndim, "narrow")
    size = x.shape[axis]
    start = int(start)
    if start < 0:
        start += size
    if not (0 <= start <= size and 0 <= length and start + length <= size):
        raise RuntimeError(f"narrow: start ({start}) + length ({length}) exceeds dimension size "
                         f"({size}) of dim {dim} (shape {x.shape})")
    xp = x.xp
    index = (slice(None),) * axis + (slice(start, start + length), Ellipsis)
    out = x.array[index]
    shape, dtype, device = x.shape, x.array.dtype, _backend.device(x.array)

    def backward(g: Any) -> tuple[Any]:
        def zeros(n: int) -> Any:
            return xp.zeros(shape[:axis] + (n,) + shape[axis + 1:], dtype=dtype, device=device)

        parts = [zeros(start), g, zeros(size - start - length)]
        return (xp.concat([p for p in parts if p.shape[axis]], axis=axis),)

    return make_result(out, xp, (x,), backward, "narrow", saves=False)
