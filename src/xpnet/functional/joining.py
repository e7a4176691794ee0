"""Joining tensors and cutting one apart, with torch's names: cat, stack, split, chunk, unbind.

``cat`` is one node with every input as a parent; its backward cuts ``G`` into the
inputs' pieces. The cutting ops return one :func:`~xpnet.functional.dims.narrow`
node per piece, each padding its ``G`` back with zeros.
"""

from __future__ import annotations

from typing import Any

from .. import _dtypes
from ._core import Tensor, as_tensor, check_same_place, make_result
from .dims import dim_index, narrow, squeeze, unsqueeze

__all__ = ["cat", "chunk", "concat", "concatenate", "hstack", "split", "stack", "unbind", "vstack"]


def _tensors(tensors: Any, name: str) -> list[Tensor]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}() expects a list or tuple of tensors, got "
                        f"{type(tensors).__name__}: write {name}([a, b], dim=...)")
    if not tensors:
        raise ValueError(f"{name}(): expected a non-empty list of Tensors")
    out = [as_tensor(t, name) for t in tensors]
    for t in out[1:]:
        check_same_place(out[0], t, name)
    return out


def _common(xp: Any, arrays: list[Any]) -> list[Any]:
    """The arrays cast to one dtype, by torch's rule for ``cat``: the kinds rank bool <
    integer < floating, and within the highest kind present the widest dtype wins
    (int64 and float32 give float32, not NumPy's float64)."""
    dtypes = {a.dtype for a in arrays}
    if len(dtypes) == 1:
        return arrays
    names = [_dtypes.wrap(a.dtype).name for a in arrays]
    floats = [a for a, n in zip(arrays, names) if _dtypes.is_floating(a.dtype)]
    ints = [a for a, n in zip(arrays, names) if n != "bool" and not _dtypes.is_floating(a.dtype)]
    target = xp.result_type(*(floats or ints or arrays))
    return [a if a.dtype == target else xp.astype(a, target) for a in arrays]


def cat(tensors: Any, dim: int = 0) -> Tensor:
    """The tensors joined along the existing axis ``dim`` (other sizes must match).

    dL/dx_k = the slice of G that x_k filled.
    """
    parts = _tensors(tensors, "cat")
    xp = parts[0].xp
    ndim = parts[0].ndim
    if ndim == 0:
        raise RuntimeError("zero-dimensional tensor cannot be concatenated: use stack, or "
                           "unsqueeze(0) each tensor first")
    axis = dim_index(dim, ndim, "cat")
    for k, p in enumerate(parts):
        if p.ndim != ndim or p.shape[:axis] + p.shape[axis + 1:] != parts[0].shape[:axis] + \
                parts[0].shape[axis + 1:]:
            raise RuntimeError(f"cat: Sizes of tensors must match except in dimension {dim}: "
                               f"tensor 0 has shape {parts[0].shape}, tensor {k} has shape {p.shape}")
    arrays = _common(xp, [p.array for p in parts])
    bounds = [0]
    for p in parts:
        bounds.append(bounds[-1] + p.shape[axis])
    dtypes = [p.array.dtype for p in parts]

    def backward(g: Any) -> tuple[Any, ...]:
        lead = (slice(None),) * axis
        grads: list[Any] = []
        for p, lo, hi, dt in zip(parts, bounds, bounds[1:], dtypes):
            if not p.requires_grad:
                grads.append(None)
                continue
            piece = g[lead + (slice(lo, hi), Ellipsis)]
            grads.append(piece if piece.dtype == dt else xp.astype(piece, dt))
        return tuple(grads)

    return make_result(xp.concat(arrays, axis=axis), xp, tuple(parts), backward, "cat", saves=False)


concat = concatenate = cat


def stack(tensors: Any, dim: int = 0) -> Tensor:
    """The tensors (all of one shape) joined along a new axis ``dim``."""
    parts = _tensors(tensors, "stack")
    for k, p in enumerate(parts):
        if p.shape != parts[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {parts[0].shape} "
                               f"at entry 0 and {p.shape} at entry {k}")
    axis = dim_index(dim, parts[0].ndim + 1, "stack")
    return cat([unsqueeze(p, axis) for p in parts], axis)


def hstack(tensors: Any) -> Tensor:
    """The tensors joined along axis 1 (axis 0 for 1-D tensors)."""
    parts = _tensors(tensors, "hstack")
    return cat(parts, 0 if parts[0].ndim == 1 else 1)


def vstack(tensors: Any) -> Tensor:
    """The tensors joined along axis 0 (1-D tensors become rows first)."""
    parts = _tensors(tensors, "vstack")
    return cat([unsqueeze(p, 0) if p.ndim == 1 else p for p in parts], 0)


def split(tensor: Any, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """``tensor`` cut along ``dim``: into pieces of ``split_size`` (the last may be smaller),
    or into pieces of the listed sizes (which must add up to the axis' size).

    Args:
        tensor: the Tensor to cut.
        split_size_or_sections: an int (the size of each piece) or a list of ints (the size
            of each piece, adding up to the size of ``dim``).
        dim: the axis cut along.

    Returns:
        A tuple of Tensors; each one's gradient flows back into its part of ``tensor``.

    Raises:
        RuntimeError: a split size is not positive, or the sections do not add up.
    """
    x = as_tensor(tensor, "split")
    axis = dim_index(dim, x.ndim, "split")
    size = x.shape[axis]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0 and size > 0:
            raise RuntimeError(f"split expects split_size be positive, got {step}")
        lengths = [min(step, size - s) for s in range(0, size, step)] if size else [0]
    else:
        lengths = [int(n) for n in split_size_or_sections]
        if sum(lengths) != size:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} (input "
                               f"tensor's size at dimension {dim}), but got split_sizes={lengths}")
    starts = [sum(lengths[:i]) for i in range(len(lengths))]
    return tuple(narrow(x, axis, s, n) for s, n in zip(starts, lengths))


def chunk(input: Any, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """``input`` cut into ``chunks`` pieces of ``ceil(size / chunks)`` along ``dim`` (the last
    may be smaller, and there may be fewer pieces, as in torch)."""
    x = as_tensor(input, "chunk")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    size = x.shape[dim_index(dim, x.ndim, "chunk")]
    return split(x, max(-(-size // chunks), 1), dim)


def unbind(input: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """The slices of ``input`` along ``dim``, each without that axis."""
    x = as_tensor(input, "unbind")
    axis = dim_index(dim, x.ndim, "unbind")
    return tuple(squeeze(narrow(x, axis, i, 1), axis) for i in range(x.shape[axis]))
