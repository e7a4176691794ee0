"""The generic math of a backend: fused activations, optimizer updates, scatter-add, products.

:class:`Ops` is written in Array API calls on ``self`` (the backend object is the
namespace: ``self.exp``, ``self.where``, ...), so it runs on every library as it
is. It is the base of every backend object (:class:`xpnet._backend.Backend`);
NumPy's and CuPy's subclasses override a method where they are faster and call
``super()`` for the inputs they do not cover. Each formula is written here once;
an override computes the same formula (the same numbers, bit for bit on NumPy,
and to rounding in CuPy's kernels, which are compiled without fused multiply-adds).

Activations, with ``s`` = ``negative_slope``, ``S = sqrt(2/pi)``, ``A = 0.044715``,
``c = clip(Z, -10, 10)``, ``t = tanh(S (c + A c**3))``:

    relu        Y = max(Z, 0)                     act' = [Y > 0]
    leaky_relu  Y = Z if Z > 0 else s Z           act' = 1 if Y > 0 else s   (s >= 0; else a mask)
    sigmoid     Y = e**min(Z, 0) / (1 + e**-|Z|)  act' = Y (1 - Y)   (= 1 / (1 + e**-Z), overflow-free)
    tanh        Y = tanh(Z)                       act' = 1 - Y**2
    gelu_tanh   Y = Z (1 + t) / 2                 act' = (1 + t)/2 + c (1 - t**2) S (1 + 3 A c**2)/2

Optimizer updates (the optimizer classes show them as math): SGD with momentum,
dampening, Nesterov and weight decay; Adam/AdamW with amsgrad.
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh", "gelu_tanh")
GELU_S = math.sqrt(2 / math.pi)  # the GELU tanh fit: t = tanh(S (c + A c**3))
GELU_A = 0.044715
GELU_CLIP = 10.0  # beyond |Z| = 10, t = sign(Z) in float64: the powers of c cannot overflow
ONEHOT_ELEMENTS = 1 << 22  # scatter_add: one-hot entries per chunk (32 MiB in float64)

ActGrad = Callable[[Any], Any]  # G -> G * act'(Z)
_IN_PLACE = {"+": operator.iadd, "-": operator.isub, "*": operator.imul, "/": operator.itruediv}
_NEW = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


class Ops:
    """The generic version of every fast path (see the module docstring for the formulas)."""

    if TYPE_CHECKING:  # the namespace's functions, copied onto each backend object at runtime
        def __getattr__(self, name: str) -> Any: ...

    # -- updates that keep arrays where they can ------------------------------------------------
    def is_writeable(self, array: Any) -> bool:
        """Whether ``array`` can be updated in place (False for JAX, read-only views)."""
        raise NotImplementedError  # Backend answers it

    def apply_(self, array: Any, op: str, value: Any) -> Any:
        """``array <op>= value`` (op one of ``+ - * /``, or ``=`` to copy ``value`` in).

        In place where the array is writeable; a new array otherwise (JAX, read-only
        views). Always rebind to the result: ``p.array = xp.apply_(p.array, "-", lr * g)``.
        """
        if self.is_writeable(array):
            if op == "=":
                array[...] = value
                return array
            return _IN_PLACE[op](array, value)
        return value if op == "=" else _NEW[op](array, value)

    def set_at(self, array: Any, index: Any, value: Any) -> Any:
        """``array[index] = value``: in place where writeable, else into a copy (a read-only view);
        a new array where arrays are immutable (JAX). Always rebind: ``a = xp.set_at(a, i, v)``."""
        if not self.is_writeable(array):
            array = self.asarray(array, copy=True)
        array[index] = value
        return array

    # -- products and reductions ----------------------------------------------------------------
    def matmul_2d(self, m: int, k: int, n: int) -> Callable[[Any, Any], Any]:
        """The function computing the product of an (m, k) and a (k, n) array: ``matmul``."""
        return self.matmul

    def sum_rows(self, a: Any) -> Any:
        """The sum of a floating 2-D array over its rows (axis 0): a bias gradient."""
        return self.sum(a, axis=0)

    def scatter_add(self, index: Any, values: Any, size: int) -> Any:
        """Rows of ``values`` summed into ``size`` rows by ``index``: the gradient of ``x[index]``.

        index: (M,) integers in ``[0, size)``; values: (M, R); returns (size, R) of ``values``'
        dtype and device, row ``j`` the sum of the rows ``i`` with ``index[i] == j`` (zeros
        where none). The Array API has no scatter-add (nor ``__setitem__`` with repeated
        indices), so this is a product with a one-hot matrix,
        ``out = onehot(index, size)^T @ values``: ``M * size * R`` multiply-adds, ``M`` cut
        into chunks of at most :data:`ONEHOT_ELEMENTS` one-hot entries. Each output sums its
        own rows only (the other terms are exact zeros).
        """
        xp: Any = self
        m, r = values.shape
        out = xp.zeros((size, r), dtype=values.dtype, device=values.device)
        if m == 0 or size == 0 or r == 0:
            return out
        targets = xp.reshape(xp.arange(size, dtype=index.dtype, device=values.device), (1, size))
        step = max(1, ONEHOT_ELEMENTS // size)
        for start in range(0, m, step):
            stop = min(start + step, m)  # the standard leaves slices past the end unspecified
            onehot = xp.astype(xp.reshape(index[start:stop], (-1, 1)) == targets, values.dtype)
            out = out + xp.matmul(xp.matrix_transpose(onehot), values[start:stop, ...])  # (size, R)
        return out

    def scatter_reduce(self, index: Any, values: Any, size: int, reduce: str) -> Any:
        """``values`` (M,) combined into ``size`` slots by ``index`` (M,): ``reduce`` is ``"prod"``,
        ``"amax"`` or ``"amin"``; a slot nothing goes to holds the identity (1, the dtype's
        lowest, its highest). NaN propagates through amax/amin.

        Generic: each chunk of at most :data:`ONEHOT_ELEMENTS` (M, size) cells takes the values
        where the one-hot matrix is set and the identity elsewhere, reduced over M.
        """
        xp: Any = self
        dtype, dev = values.dtype, values.device
        identity = reduce_identity(xp, dtype, reduce)
        out = xp.full((size,), identity, dtype=dtype, device=dev)
        m = values.shape[0]
        if m == 0 or size == 0:
            return out
        targets = xp.reshape(xp.arange(size, dtype=index.dtype, device=dev), (1, size))
        step = max(1, ONEHOT_ELEMENTS // size)
        for start in range(0, m, step):
            stop = min(start + step, m)
            hit = xp.reshape(index[start:stop], (-1, 1)) == targets  # (chunk, size)
            picked = xp.where(hit, xp.reshape(values[start:stop], (-1, 1)),
                              xp.full((1, 1), identity, dtype=dtype, device=dev))
            if reduce == "prod":
                out = out * xp.prod(picked, axis=0)
            elif reduce == "amax":
                out = xp.maximum(out, xp.max(picked, axis=0))
            else:
                out = xp.minimum(out, xp.min(picked, axis=0))
        return out

    # -- activations ----------------------------------------------------------------------------
    def bias_act(self, z: Any, bias: Any, activation: str, negative_slope: float = 0.01
                 ) -> tuple[Any, ActGrad]:
        """``(Y, grad)``: ``Y = act(z + bias)`` and ``grad(G) = G act'(z + bias)``.

        ``z`` is a fresh GEMM output (..., out), which may be overwritten; ``bias`` is None
        or broadcasts against it ((out,), or (K, 1, out) for ensembles).
        """
        if bias is not None:
            z += bias  # in place: z is fresh (libraries without in-place ops rebind)
        return self.activation(z, activation, negative_slope, True)  # overwrite: z is fresh

    def activation(self, z: Any, activation: str, negative_slope: float = 0.01,
                   overwrite: bool = False) -> tuple[Any, ActGrad]:
        """``(Y, grad)``: ``Y = act(z)`` and ``grad(G) = G act'(z)``, for a floating ``z``.

        ``activation``: one of :data:`ACTIVATIONS`. ``overwrite``: ``z`` is the caller's own
        scratch array, which may hold the result (the generic code never writes into it).
        """
        return _GENERIC[activation](self, z, negative_slope)

    # -- optimizer updates ----------------------------------------------------------------------
    def sgd_step(self, param: Any, grad: Any, buf: Any, *, lr: float, momentum: float,
                 dampening: float, weight_decay: float, nesterov: bool) -> tuple[Any, Any]:
        """One SGD update of one parameter array: returns ``(param, momentum_buffer)``.

        ``buf`` is None before the first step with momentum, and stays None without.
        ``param`` and ``buf`` are updated in place where writeable (:meth:`apply_`).
        """
        return self.sgd(param, grad, buf, lr, momentum if momentum != 0 else None,
                        1 - dampening if dampening != 0 else None,
                        weight_decay if weight_decay != 0 else None, nesterov, self.updates)

    @functools.cached_property
    def updates(self) -> dict[str, Callable[[Any, Any], Any]]:
        """``{op: f}`` with ``f(a, value)`` making ``a op= value`` as :meth:`apply_` does (made
        once per backend object)."""
        return {op: functools.partial(_apply_as, self, op) for op in ("+", "-", "*", "/", "=")}

    def sgd(self, param: Any, grad: Any, buf: Any, lr: Any, momentum: Any, keep: Any,
            weight_decay: Any, nesterov: bool, update: dict[str, Callable[[Any, Any], Any]]
            ) -> tuple[Any, Any]:
        """SGD's formula, written once (:meth:`sgd_step` and NumPy's in-place plans run it).

        ``momentum``, ``keep`` (``1 - dampening``) and ``weight_decay`` are numbers (Python's,
        or 0-d arrays of the parameter's dtype), None where the option is off (no test of a
        number on each call). ``update[op](a, value)`` makes ``a op= value``: :attr:`updates`
        (in place where writeable), or the operators themselves where the caller checked
        once that the arrays are writeable (NumPy: no Python call per pass).
        """
        g = grad
        if weight_decay is not None:
            g = g + weight_decay * param  # g <- g + lambda theta
        if momentum is not None:
            if buf is None:  # b_1 = g: our own copy, never the caller's gradient array
                buf = g if g is not grad else self.asarray(g, copy=True)
            else:  # b_t = mu b_{t-1} + (1 - tau) g
                buf = update["*"](buf, momentum)
                buf = update["+"](buf, g if keep is None else keep * g)
            g = g + momentum * buf if nesterov else buf
        return update["-"](param, lr * g), buf  # theta <- theta - gamma g

    def sgd_plan(self, dtype: Any, lr: float, momentum: float, dampening: float,
                 weight_decay: float, nesterov: bool) -> Callable[[Any, Any, dict[str, Any]], bool] | None:
        """:meth:`sgd_step` with its options fixed, for a flat group's arrays; None: no plan
        (the optimizer then calls :meth:`sgd_step`). The plan returns False where it cannot
        run (a group without its momentum buffer yet)."""
        return None

    def adam_step(self, param: Any, grad: Any, exp_avg: Any, exp_avg_sq: Any, max_exp_avg_sq: Any, *,
                  step: int, lr: float, beta1: float, beta2: float, eps: float, weight_decay: float,
                  decoupled: bool) -> tuple[Any, Any, Any, Any]:
        """One Adam/AdamW update of one parameter array at step ``step`` (1, 2, ...).

        ``max_exp_avg_sq`` is None without amsgrad. Returns the four arrays, updated in
        place where writeable (:meth:`apply_`).
        """
        g = grad
        if weight_decay != 0:
            if decoupled:
                param = self.apply_(param, "*", 1 - lr * weight_decay)  # theta <- theta (1 - gamma lambda)
            else:
                g = g + weight_decay * param  # g <- g + lambda theta
        m = self.apply_(exp_avg, "+", (1 - beta1) * (g - exp_avg))  # m_t = m + (1 - b1)(g - m): a lerp
        v = self.apply_(exp_avg_sq, "*", beta2)
        v = self.apply_(v, "+", (1 - beta2) * g * g)  # v_t = b2 v + (1 - b2) g^2
        v_hat = v
        if max_exp_avg_sq is not None:  # v_hat = max(v_hat, v_t)
            v_hat = max_exp_avg_sq = self.apply_(max_exp_avg_sq, "=",
                                                 self.maximum(max_exp_avg_sq, v))
        step_size = lr / (1 - beta1**step)
        denom = self.sqrt(v_hat) / (1 - beta2**step) ** 0.5 + eps
        return self.apply_(param, "-", step_size * (m / denom)), m, v, max_exp_avg_sq


def _apply_as(xp: Ops, op: str, array: Any, value: Any) -> Any:
    return xp.apply_(array, op, value)


def reduce_identity(xp: Any, dtype: Any, reduce: str) -> Any:
    """The value a slot of ``scatter_reduce`` starts from: 1 for a product, the dtype's lowest
    (highest) value for a maximum (minimum)."""
    if reduce == "prod":
        return 1
    floating = xp.isdtype(dtype, "real floating")
    info = xp.finfo(dtype) if floating else xp.iinfo(dtype)
    if reduce == "amax":
        return -math.inf if floating else info.min
    return math.inf if floating else info.max


# -- the activations, generic -------------------------------------------------------------------
def _relu(xp: Any, z: Any, s: float) -> tuple[Any, ActGrad]:
    y = xp.maximum(z, 0.0)
    return y, lambda g: xp.where(y > 0, g, 0.0)


def _leaky_relu(xp: Any, z: Any, s: float) -> tuple[Any, ActGrad]:
    positive = z > 0
    y = xp.where(positive, z, z * s)
    if s >= 0:  # Y > 0 exactly where Z > 0: the mask need not be kept
        return y, lambda g: xp.where(y > 0, g, g * s)
    return y, lambda g: xp.where(positive, g, g * s)


def _sigmoid(xp: Any, z: Any, s: float) -> tuple[Any, ActGrad]:
    # Y = 1 / (1 + e**-Z) as e**min(Z, 0) / (1 + e**-|Z|): where Z >= 0 that is
    # 1 / (1 + e**-Z), else e**Z / (1 + e**Z); no exp overflows, and no select is needed.
    y = xp.exp(xp.minimum(z, 0.0)) / (1 + xp.exp(-xp.abs(z)))
    return y, lambda g: g * y * (1 - y)


def _tanh(xp: Any, z: Any, s: float) -> tuple[Any, ActGrad]:
    y = xp.tanh(z)
    return y, lambda g: g * (1 - y * y)


def _gelu_tanh(xp: Any, z: Any, s: float) -> tuple[Any, ActGrad]:
    c = xp.minimum(xp.maximum(z, -GELU_CLIP), GELU_CLIP)  # NaN stays NaN
    t = xp.tanh(GELU_S * (c + GELU_A * c * c * c))
    y = 0.5 * z * (1 + t)

    def grad(g: Any) -> Any:
        du = GELU_S * (1 + 3 * GELU_A * c * c)
        return g * (0.5 * (1 + t) + 0.5 * c * (1 - t * t) * du)

    return y, grad


_GENERIC: dict[str, Callable[[Any, Any, float], tuple[Any, ActGrad]]] = {
    "relu": _relu, "leaky_relu": _leaky_relu, "sigmoid": _sigmoid, "tanh": _tanh,
    "gelu_tanh": _gelu_tanh,
}
