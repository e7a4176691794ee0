"""Elementwise arithmetic: each op's forward, then the closure with its chain rule.

Notation: ``G = dL/d(out)``, the gradient arriving from the loss. Gradients of
inputs that were broadcast are summed back to their shape (``unbroadcast``).
``exp``, ``log``, ``sqrt`` of an integer or bool tensor compute in the default float
dtype, as torch (:func:`._promote.floating_array`, the rule of :mod:`.pointwise` too).
"""

from __future__ import annotations

import math
from typing import Any

from .. import _backend, _dtypes
from .._double_backward import double_backward_ready
from . import _promote
from ._core import (
    SCALARS,
    Tensor,
    as_tensor,
    make_result,
    needs_grad,
    node,
    operands,
    unbroadcast,
    value,
)
from ._special import clamp, sign


def _grad(xp: Any, x: Any, g: Any) -> Any:
    """``g`` summed to the shape of input ``x``, or None when ``x`` needs no gradient."""
    return unbroadcast(xp, g, x.array.shape) if needs_grad(x) else None


# The floating dtype met last (see ._promote): a true division of it needs no cast.
_FLOAT_SEEN = _promote.FLOAT_SEEN


def _route(g: Any) -> tuple[Any, Any]:
    """The backward of ``a + b`` for inputs of the output's shape: G to both."""
    return g, g


def add(a: Any, b: Any) -> Tensor:
    """``a + b``.  dL/da = G,  dL/db = G."""
    a, b, xp = operands(a, b, "add")
    a_tensor, b_tensor = isinstance(a, Tensor), isinstance(b, Tensor)
    av = a.array if a_tensor else a
    bv = b.array if b_tensor else b
    try:
        out = av + bv
    except TypeError:  # bool + bool: the Array API defines no arithmetic on bool
        out = _promote.logical(xp, av, bv, "add")
    if a_tensor and b_tensor and av.shape == bv.shape == out.shape:  # nothing to sum back
        return make_result(out, xp, (a, b), _route, "add", saves=False)
    parents = (node(a), node(b))

    def backward(g: Any) -> tuple[Any, Any]:
        return _grad(xp, a, g), _grad(xp, b, g)

    return make_result(out, xp, parents, backward, "add", saves=False)


def sub(a: Any, b: Any) -> Tensor:
    """``a - b``.  dL/da = G,  dL/db = -G."""
    a, b, xp = operands(a, b, "sub")
    out = value(a) - value(b)

    def backward(g: Any) -> tuple[Any, Any]:
        return _grad(xp, a, g), (_grad(xp, b, -g) if needs_grad(b) else None)

    return make_result(out, xp, (node(a), node(b)), backward, "sub", saves=False)


def mul(a: Any, b: Any) -> Tensor:
    """``a * b``.  dL/da = G * b,  dL/db = G * a."""
    a, b, xp = operands(a, b, "mul")
    a_tensor, b_tensor = isinstance(a, Tensor), isinstance(b, Tensor)
    av = a.array if a_tensor else a
    bv = b.array if b_tensor else b
    try:
        out = av * bv
    except TypeError:  # bool * bool: the Array API defines no arithmetic on bool
        out = _promote.logical(xp, av, bv, "mul")
    if a_tensor and b_tensor and av.shape == bv.shape == out.shape:  # nothing to sum back

        def backward_same(g: Any) -> tuple[Any, Any]:
            return (g * bv if a.requires_grad else None, g * av if b.requires_grad else None)

        return make_result(out, xp, (a, b), backward_same, "mul")

    def backward(g: Any) -> tuple[Any, Any]:
        return (_grad(xp, a, g * bv) if needs_grad(a) else None,
                _grad(xp, b, g * av) if needs_grad(b) else None)

    return make_result(out, xp, (node(a), node(b)), backward, "mul")


def div(a: Any, b: Any) -> Tensor:
    """``a / b``, true division: integers divide in the default float dtype, as in torch.

    dL/da = G / b,  dL/db = -G * a / b**2 = -G * out / b.
    """
    a, b, xp = operands(a, b, "div")
    a_tensor = isinstance(a, Tensor)
    if (a if a_tensor else b).array.dtype is not _FLOAT_SEEN[0]:  # integers: one identity check
        a, b = _true_division(a, b)
    av = a.array if a_tensor else a
    bv = b.array if isinstance(b, Tensor) else b
    out = av / bv

    def backward(g: Any) -> tuple[Any, Any]:
        return (_grad(xp, a, g / bv) if needs_grad(a) else None,
                _grad(xp, b, -g * out / bv) if needs_grad(b) else None)

    return make_result(out, xp, (node(a), node(b)), backward, "div")


def _true_division(a: Any, b: Any) -> tuple[Any, Any]:
    """The operands of ``a / b`` in a floating dtype (both have one dtype by now)."""
    a, b = (int(v) if type(v) is bool else v for v in (a, b))
    if isinstance(a, Tensor):
        a = _promote.floating(a)
        if isinstance(b, Tensor) and b.array.dtype != a.array.dtype:
            b = _promote.floating(b)
        _promote.with_scalar(a, 1.0)  # notes the dtype as seen
    else:
        b = _promote.floating(b)
        _promote.with_scalar(b, 1.0)
    return a, b


def pow(a: Any, b: Any) -> Tensor:
    """``a ** b``.  dL/da = G * b * a**(b-1),  dL/db = G * out * log(a)."""
    a, b, xp = operands(a, b, "pow")
    av, bv = value(a), value(b)
    out = av**bv

    def backward(g: Any) -> tuple[Any, Any]:
        ga = gb = None
        if needs_grad(a):
            ga = _grad(xp, a, g * bv * av ** (bv - 1))
        if needs_grad(b):
            # A Python base stays a Python number: xp.log takes arrays only, and a
            # NumPy float64 scalar would promote a float32 gradient.
            log_a = math.log(av) if isinstance(av, SCALARS) else xp.log(av)
            gb = _grad(xp, b, g * out * log_a)
        return ga, gb

    return make_result(out, xp, (node(a), node(b)), backward, "pow")


def neg(x: Any) -> Tensor:
    """``-x``.  dL/dx = -G."""
    x = as_tensor(x, "neg")

    def backward(g: Any) -> tuple[Any]:
        return (-g,)

    return make_result(-x.array, x.xp, (x,), backward, "neg", saves=False)


def exp(x: Any) -> Tensor:
    """``e**x``.  dL/dx = G * e**x = G * out."""
    x = as_tensor(x, "exp")
    out = x.xp.exp(_promote.floating_array(x.xp, x.array))

    def backward(g: Any) -> tuple[Any]:
        return (g * out,)

    return make_result(out, x.xp, (x,), backward, "exp")


def log(x: Any) -> Tensor:
    """Natural logarithm.  dL/dx = G / x."""
    x = as_tensor(x, "log")
    a = _promote.floating_array(x.xp, x.array)

    def backward(g: Any) -> tuple[Any]:
        return (g / a,)

    return make_result(x.xp.log(a), x.xp, (x,), backward, "log")


def sqrt(x: Any) -> Tensor:
    """Square root.  dL/dx = G / (2 sqrt(x)) = G / (2 out)."""
    x = as_tensor(x, "sqrt")
    out = x.xp.sqrt(_promote.floating_array(x.xp, x.array))

    def backward(g: Any) -> tuple[Any]:
        return (g / (2 * out),)

    return make_result(out, x.xp, (x,), backward, "sqrt")


def abs(x: Any) -> Tensor:
    """``|x|``.  dL/dx = G * sign(x) (0 at x = 0, as in PyTorch)."""
    x = as_tensor(x, "abs")

    def backward(g: Any) -> tuple[Any]:
        return (g * sign(x.xp, x.array),)  # no mask: no GPU wait

    return make_result(x.xp.abs(x.array), x.xp, (x,), backward, "abs")


def clip(x: Any, min: Any = None, max: Any = None) -> Tensor:
    """``x`` limited to ``[min, max]``.  dL/dx = G where min <= x <= max, else 0."""
    x = as_tensor(x, "clip")
    xp = x.xp
    out = clamp(xp, x.array, min, max)  # no mask: no GPU wait (NaN kept)

    def backward(g: Any) -> tuple[Any]:
        inside = out == x.array
        return (xp.where(inside, g, xp.zeros_like(g)),)

    return make_result(out, xp, (x,), backward, "clip")


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """``a`` where ``condition`` holds, else ``b``.  dL/da = G [cond],  dL/db = G [not cond]."""
    cond = condition.array if isinstance(condition, Tensor) else condition
    a, b, xp = operands(a, b, "where")
    out = xp.where(cond, value(a), value(b))

    def backward(g: Any) -> tuple[Any, Any]:
        zero = xp.zeros_like(g)
        return (_grad(xp, a, xp.where(cond, g, zero)) if needs_grad(a) else None,
                _grad(xp, b, xp.where(cond, zero, g)) if needs_grad(b) else None)

    return make_result(out, xp, (node(a), node(b)), backward, "where", saves=False)


def to(x: Any, device: Any = None, dtype: Any = None) -> Tensor:
    """``x`` moved to ``device`` and/or cast to ``dtype``; the gradient goes back the same way.

    As in PyTorch, a dtype may be given in place of the device: ``x.to("float64")``.
    """
    x = as_tensor(x, "to")
    if dtype is None and _dtypes.is_dtype(device):
        device, dtype = None, device
    src_xp, src_dev, src_dtype = x.xp, _backend.device(x.array), x.array.dtype
    xp, dev = _backend.resolve(device, like=(src_xp, src_dev))
    data = _backend.move(x.array, xp, dev)
    if dtype is not None:
        target = _dtypes.resolve(dtype, xp)
        if data.dtype != target:
            data = xp.astype(data, target)
    if data is x.array:
        return x
    if not _dtypes.is_floating(data.dtype):  # as torch: an integer or bool result has no gradient
        return make_result(data, xp, (), None, "to")

    def backward(g: Any) -> tuple[Any]:
        g = _backend.move(g, src_xp, src_dev)
        return (src_xp.astype(g, src_dtype) if g.dtype != src_dtype else g,)

    return make_result(data, xp, (x,), backward, "to", saves=False)


def compare(a: Any, b: Any, method: str) -> Tensor:
    """A comparison (``a < b``, ...) as a boolean tensor, outside the graph.

    Args:
        a: a Tensor, an array or a Python number.
        b: a Tensor, an array or a Python number (broadcast with ``a``).
        method: the name of the comparison method, such as ``"__lt__"`` or ``"__eq__"``.
    """
    a, b, xp = operands(a, b, method.strip("_"))
    va, vb = value(a), value(b)
    try:
        out = getattr(va, method)(vb) if isinstance(a, Tensor) else getattr(vb, _MIRROR[method])(va)
    except TypeError:  # bool < bool: the Array API orders numbers only; torch orders False < True
        va, vb = (xp.astype(v, xp.int8) if not isinstance(v, bool) else int(v) for v in (va, vb))
        out = getattr(va, method)(vb) if isinstance(a, Tensor) else getattr(vb, _MIRROR[method])(va)
    return make_result(out, xp, (), _no_backward, "compare")


_MIRROR = {"__eq__": "__eq__", "__ne__": "__ne__", "__lt__": "__gt__", "__gt__": "__lt__",
           "__le__": "__ge__", "__ge__": "__le__"}


def _no_backward(g: Any) -> tuple[()]:
    return ()


def update_(t: Tensor, other: Any, method: str) -> Tensor:
    """In-place ``t += other`` (or -=, *=, /=: ``method`` is ``"__iadd__"``...), torch's rules.

    The same as ``t.add_(other)``...: see :mod:`xpnet._tensor_inplace` (a leaf that
    requires grad refuses outside ``no_grad()``; other tensors in a graph record it).
    """
    from .._tensor_inplace import arith_

    op = {"__iadd__": "add_", "__isub__": "sub_", "__imul__": "mul_", "__itruediv__": "div_"}[method]
    return arith_(t, other, method, op)


# These rules read only xp, their node's input and output arrays, and constants: under
# create_graph=True they run again on Tensors (see xpnet._double_backward).
double_backward_ready(_route, add, sub, mul, div, pow, neg, exp, log, sqrt, abs, where, clip)
