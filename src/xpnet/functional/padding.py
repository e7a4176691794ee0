"""``pad``: torch's ``F.pad`` (modes constant, reflect, replicate, circular).

``pad`` lists (before, after) pairs from the LAST dimension backwards, as torch:
``(1, 2)`` pads the last dim by 1 before and 2 after; ``(1, 1, 2, 2)`` also the one before.
Constant mode is one graph node (negative pads crop): out = value, out[inner] = x;
dL/dx = G[inner]. The other modes gather rows by an index (index_select), whose
backward adds the gradient of each copy back to its source row.
"""

from __future__ import annotations

from typing import Any

from ._core import Tensor, as_tensor, make_result

_MODES = ("constant", "reflect", "replicate", "circular")


def pad(input: Any, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad (or crop, with negative numbers) ``input``; see the module docstring.

    Args:
        input: a Tensor of any shape (constant mode) or with the padded dims.
        pad: an even-length sequence of ints, at most ``2 * input.ndim``.
        mode: ``"constant"`` (default), ``"reflect"``, ``"replicate"`` or ``"circular"``.
        value: the fill for constant mode (default 0).

    Raises:
        RuntimeError: an odd or too long ``pad``, reflect padding not smaller than the
            dimension (torch's errors).
        NotImplementedError: an unknown mode. ValueError: a value with another mode.
    """
    x = as_tensor(input, "pad")
    pads = [int(p) for p in pad]
    if len(pads) % 2:
        raise RuntimeError(f"Padding length must be divisible by 2 (pad: got {tuple(pads)}; give "
                           f"a (before, after) pair per dimension)")
    if len(pads) // 2 > x.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pads)} and input of dimension "
                           f"{x.ndim}")
    if mode not in _MODES:
        raise NotImplementedError(f"pad: mode must be one of {_MODES}, got {mode!r}")
    pairs = {x.ndim - 1 - i: (pads[2 * i], pads[2 * i + 1]) for i in range(len(pads) // 2)}
    if mode == "constant":
        return _constant(x, pairs, 0.0 if value is None else value)
    if value is not None and value != 0:
        raise ValueError(f"pad: padding mode {mode!r} doesn't take in value argument")
    from .gathering import index_select

    xp = x.xp
    for d, (lo, hi) in sorted(pairs.items()):
        n = x.shape[d]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding "
                               f"input dimension, but got: padding ({lo}, {hi}) at dimension {d} "
                               f"of input {tuple(x.shape)}")
        idx = [_source(i, n, mode) for i in range(-lo, n + hi)]
        index = xp.asarray(idx, dtype=xp.int64, device=x.array.device)
        x = index_select(x, d, Tensor(index))
    return x


def _source(i: int, n: int, mode: str) -> int:
    """The input row that output row ``i`` (counted from the input's row 0) copies."""
    if mode == "replicate":
        return min(max(i, 0), n - 1)
    if mode == "circular":
        return i % n
    period = 2 * (n - 1) if n > 1 else 1  # reflect: ... 2 1 | 0 1 2 | 1 0 ...
    i = i % period
    return i if i < n else period - i


def _constant(x: Tensor, pairs: dict[int, tuple[int, int]], value: float) -> Tensor:
    xp, v = x.xp, x.array
    src, dst, shape = [], [], []
    for d, n in enumerate(v.shape):
        lo, hi = pairs.get(d, (0, 0))
        start, stop = max(-lo, 0), n - max(-hi, 0)
        size = n + lo + hi
        if size < 0 or stop < start:
            raise RuntimeError(f"pad: the padding {(lo, hi)} leaves dimension {d} of size {n} "
                               f"with {size} elements: it must be at least 0")
        src.append(slice(start, stop))
        dst.append(slice(max(lo, 0), max(lo, 0) + stop - start))
        shape.append(size)
    s_idx, d_idx = tuple(src), tuple(dst)
    out = xp.full(tuple(shape), value, dtype=v.dtype, device=v.device)
    out = xp.set_at(out, d_idx, v[s_idx])  # in place, or a new array where immutable (JAX)

    def backward(g: Any) -> tuple[Any]:
        gx = xp.zeros(v.shape, dtype=g.dtype, device=g.device)
        return (xp.set_at(gx, s_idx, g[d_idx]),)

    return make_result(out, xp, (x,), backward, "pad", saves=False)
