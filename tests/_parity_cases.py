"""Gradient cases for torch's op names, each written ONCE as ``f(lib, *inputs)``.

The same ``f`` runs with ``lib = xpnet`` on xpnet Tensors and with ``lib = torch`` on
torch tensors (torch's names, keywords and methods, spelled identically), so every
case is a parity check of the spelling too. The reference forward is torch's, run
in float64 on the host; ``check_case`` (tests/_gradcheck.py) compares forward,
gradients (float64 finite differences and torch autograd), dtype and device on
every backend. tests/test_gradcheck.py counts these cases as coverage of the ops.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import xpnet as xn
from _gradcheck import Arg, Case, away, positive, randn, uniform

CASES: list[Case] = []

# ops of xpnet.functional whose results are boolean or integer (no gradient): their
# values, dtypes and errors are compared with torch in tests/test_ops_torch_parity.py
TESTED_ELSEWHERE = {
    "all", "allclose", "any", "bitwise_and", "bitwise_not", "bitwise_or", "bitwise_xor", "eq",
    "equal", "ge", "greater", "greater_equal", "gt", "isclose", "isfinite", "isinf", "isnan", "le",
    "less", "less_equal", "logical_and", "logical_not", "logical_or", "logical_xor", "lt", "ne",
    "not_equal", "floor_divide", "argsort",
    "nonzero",  # integer indices: tests/test_torch_gaps.py
    "one_hot",  # integer indicators: tests/test_torch_gaps.py
}


def A(values: Any, grad: bool = True) -> Arg:
    return Arg(np.asarray(values), grad)


def both(id: str, f: Callable[..., Any], *args: Arg, fd: bool = True) -> None:
    """A case running ``f(xn, *tensors)``, checked against ``f(torch, *tensors)``."""

    def on_torch(*inputs: Any) -> Any:
        import torch

        return f(torch, *inputs)

    def reference(*arrays: Any) -> Any:
        import torch

        return on_torch(*[torch.from_numpy(np.array(a)) for a in arrays]).detach().numpy()

    CASES.append(Case(id, lambda *t: f(xn, *t), reference, list(args), on_torch, fd))


# -- elementwise ------------------------------------------------------------------------
for name in ("sin", "cos", "tan", "expm1", "sign", "floor", "ceil", "trunc", "round", "square",
             "neg", "negative"):
    both(f"{name}", lambda lib, x, n=name: getattr(lib, n)(x), A(uniform(2, 3, low=-1.2, high=1.2)))
    both(f"{name} method", lambda lib, x, n=name: getattr(x, n)(), A(uniform(4, low=-1.2, high=1.2)))
for name in ("rsqrt", "log1p", "log2", "log10", "reciprocal", "sqrt", "abs"):
    both(f"{name}", lambda lib, x, n=name: getattr(lib, n)(x), A(positive(2, 3)))
    both(f"{name} method", lambda lib, x, n=name: getattr(x, n)(), A(positive(3)))
both("round decimals=2", lambda lib, x: lib.round(x, decimals=2), A(uniform(5)))
both("round method decimals=1", lambda lib, x: x.round(decimals=1), A(uniform(5)))
both("pow xn.pow(x, y)", lambda lib, x, y: lib.pow(x, y), A(positive(2, 3)), A(uniform(3)))
both("pow method scalar", lambda lib, x: x.pow(3), A(randn(4)))
both("maximum", lambda lib, a, b: lib.maximum(a, b), A(randn(2, 3)), A(randn(3)))
both("minimum method", lambda lib, a, b: a.minimum(b), A(randn(2, 3)), A(randn(2, 1)))
both("maximum ties", lambda lib, a, b: lib.maximum(a, b), A([1.0, 2.0, -1.0]), A([1.0, 0.5, -1.0]),
     fd=False)
both("clamp numbers", lambda lib, x: lib.clamp(x, -0.5, 0.5), A(away(3, 4)))
both("clamp method max=", lambda lib, x: x.clamp(max=0.3), A(away(5)))
both("clip keyword min", lambda lib, x: lib.clip(x, min=0.2), A(away(5)))
both("clamp tensor bounds", lambda lib, x, lo, hi: lib.clamp(x, lo, hi),
     A(randn(3, 4)), A(uniform(4, low=-1.5, high=-0.2)), A(uniform(3, 1, low=0.2, high=1.5)))
both("clamp tensor min> max", lambda lib, x, lo, hi: x.clamp(min=lo, max=hi),
     A(randn(5)), A([0.5, 0.6, -2.0, 1.0, -0.3]), A([0.1, 0.9, -2.5, 0.0, 0.3]))
both("clamp tensor min only", lambda lib, x, lo: lib.clamp(x, min=lo), A(randn(2, 3)),
     A(uniform(2, 3)))
both("remainder", lambda lib, a, b: lib.remainder(a, b), A(uniform(6, low=-3, high=3)),
     A(away(6, margin=0.7, high=1.5)))
both("remainder % scalar", lambda lib, a: a % 0.75, A(uniform(6, low=-3, high=3)))
both("where", lambda lib, c, a, b: lib.where(c > 0, a, b), A(randn(3, 4), grad=False), A(randn(3, 4)),
     A(randn(4)))
both("where method", lambda lib, c, a, b: a.where(c > 0, b), A(randn(5), grad=False), A(randn(5)),
     A(randn(5)))

both("masked_fill", lambda lib, x, m: x.masked_fill(m > 0, 0.5), A(randn(3, 4)), A(randn(4), grad=False))
both("masked_fill xn.", lambda lib, x, m: lib.masked_fill(x, m > 0, -2.0), A(randn(5)),
     A(randn(5), grad=False))
both("add alpha", lambda lib, a, b: lib.add(a, b, alpha=0.5), A(randn(2, 3)), A(randn(3)))
both("add method", lambda lib, a, b: a.add(b), A(randn(3)), A(randn(3)))
both("sub alpha method", lambda lib, a, b: a.sub(b, alpha=2), A(randn(3)), A(randn(2, 3)))
both("subtract", lambda lib, a, b: lib.subtract(a, b), A(randn(3)), A(randn(3)))
both("mul multiply", lambda lib, a, b: lib.mul(a, b) + a.multiply(b), A(randn(3)), A(randn(3)))
both("div divide true_divide", lambda lib, a, b: lib.div(a, b) + a.divide(b) + lib.true_divide(a, b),
     A(randn(3)), A(away(3, margin=0.5)))
both("div rounding_mode=trunc", lambda lib, a, b: lib.div(a, b, rounding_mode="trunc") + a,
     A(uniform(6, low=-3, high=3)), A(away(6, margin=0.7, high=1.5), grad=False))

# inverse trigonometric, hyperbolic and special functions (transcendental.py)
for name in ("asin", "acos", "atan", "sinh", "cosh", "asinh", "atanh", "exp2", "erf", "erfc"):
    both(f"{name}", lambda lib, x, n=name: getattr(lib, n)(x), A(uniform(2, 3, low=-0.9, high=0.9)))
    both(f"{name} method", lambda lib, x, n=name: getattr(x, n)(), A(uniform(4, low=-0.9, high=0.9)))
both("erf wide", lambda lib, x: lib.erf(x), A(uniform(7, low=-5, high=5)))
both("erfc tails", lambda lib, x: lib.erfc(x), A([-4.0, -1.0, 0.3, 2.5, 6.0, 12.0, 25.0]), fd=False)
both("erfinv", lambda lib, x: lib.erfinv(x), A(uniform(2, 3, low=-0.95, high=0.95)))
both("erfinv method tails", lambda lib, x: x.erfinv(),
     A([-0.999, -1e-9, 0.0, 1e-30, 0.99, 0.995]), fd=False)
both("acosh", lambda lib, x: lib.acosh(x), A(uniform(2, 3, low=1.2, high=4.0)))
both("arcsin arctanh spellings", lambda lib, x: lib.arcsin(x) + x.arctanh(),
     A(uniform(5, low=-0.8, high=0.8)))
both("arccos arctan arcsinh spellings", lambda lib, x: lib.arccos(x) + lib.arctan(x) + x.arcsinh(),
     A(uniform(5, low=-0.8, high=0.8)))
both("arccosh spelling", lambda lib, x: lib.arccosh(x), A(uniform(4, low=1.5, high=3.0)))
both("logit", lambda lib, x: lib.logit(x), A(uniform(2, 3, low=0.05, high=0.95)))
both("logit eps clamps and zeroes the gradient", lambda lib, x: x.logit(eps=0.2),
     A([0.05, 0.3, 0.5, 0.7, 0.93]), fd=False)
both("atan2", lambda lib, y, x: lib.atan2(y, x), A(randn(2, 3)), A(away(3, margin=0.3)))
both("atan2 method and arctan2", lambda lib, y, x: y.atan2(x) + lib.arctan2(x, y),
     A(away(4, margin=0.3)), A(randn(2, 1)))

# -- sorting --------------------------------------------------------------------------
both("sort", lambda lib, x: lib.sort(x).values, A(randn(3, 4)))
both("sort method dim=0 descending", lambda lib, x: x.sort(dim=0, descending=True)[0], A(randn(3, 4)))
both("topk", lambda lib, x: lib.topk(x, 2).values, A(randn(3, 4)))
both("topk method smallest dim=0", lambda lib, x: x.topk(2, dim=0, largest=False).values,
     A(randn(3, 4)))

# -- statistics -----------------------------------------------------------------------
both("std", lambda lib, x: lib.std(x), A(randn(3, 4)))
both("std dim=1 keepdim", lambda lib, x: x.std(dim=1, keepdim=True), A(randn(3, 4)))
both("std unbiased=False", lambda lib, x: x.std(0, False), A(randn(3, 4)))
both("std correction=0 dims", lambda lib, x: lib.std(x, dim=(0, 2), correction=0), A(randn(2, 3, 4)))
both("var", lambda lib, x: lib.var(x, 1), A(randn(3, 4)))
both("var method unbiased", lambda lib, x: x.var(False), A(randn(5)))
both("var correction=2 keepdim", lambda lib, x: x.var(dim=0, correction=2, keepdim=True),
     A(randn(5, 2)))
both("norm", lambda lib, x: lib.norm(x), A(randn(3, 4)))
both("norm dim=1", lambda lib, x: x.norm(dim=1), A(randn(3, 4)))
both("norm p=1 keepdim", lambda lib, x: x.norm(p=1, dim=0, keepdim=True), A(away(3, 4)))
both("norm p=3", lambda lib, x: lib.norm(x, p=3, dim=-1), A(away(3, 4)))
both("norm p=inf", lambda lib, x: x.norm(p=float("inf"), dim=1), A(randn(3, 4)))
both("norm p=-inf", lambda lib, x: x.norm(p=float("-inf")), A(away(6)))
both("norm p=fro dims", lambda lib, x: x.norm(p="fro", dim=(0, 1)), A(randn(3, 4)))
both("prod", lambda lib, x: lib.prod(x), A(uniform(2, 3)))
both("prod dim keepdim", lambda lib, x: x.prod(1, keepdim=True), A(uniform(2, 3)))
both("prod one zero", lambda lib, x: x.prod(dim=0), A([[0.0, 2.0], [3.0, 1.5], [0.5, -2.0]]), fd=False)
both("prod two zeros", lambda lib, x: lib.prod(x), A([0.0, 2.0, 0.0, 1.5]), fd=False)
both("cumsum", lambda lib, x: lib.cumsum(x, dim=1), A(randn(3, 4)))
both("cumsum method dim=0", lambda lib, x: x.cumsum(0), A(randn(3, 4)))
both("logsumexp", lambda lib, x: lib.logsumexp(x, dim=1), A(randn(3, 4)))
both("logsumexp method keepdim", lambda lib, x: x.logsumexp(0, keepdim=True), A(randn(3, 4) * 30))

# -- products -------------------------------------------------------------------------
both("mm", lambda lib, a, b: lib.mm(a, b), A(randn(3, 4)), A(randn(4, 2)))
both("mm method", lambda lib, a, b: a.mm(b), A(randn(2, 3)), A(randn(3, 5)))
both("bmm", lambda lib, a, b: lib.bmm(a, b), A(randn(2, 3, 4)), A(randn(2, 4, 2)))
both("mv", lambda lib, a, v: lib.mv(a, v), A(randn(3, 4)), A(randn(4)))
both("dot", lambda lib, a, b: lib.dot(a, b), A(randn(4)), A(randn(4)))
both("dot method", lambda lib, a, b: a.dot(b), A(randn(3)), A(randn(3)))
both("outer", lambda lib, a, b: lib.outer(a, b), A(randn(3)), A(randn(2)))

# -- shape ----------------------------------------------------------------------------
both("unsqueeze", lambda lib, x: lib.unsqueeze(x, 1), A(randn(2, 3)))
both("unsqueeze method -1", lambda lib, x: x.unsqueeze(-1), A(randn(2, 3)))
both("squeeze", lambda lib, x: lib.squeeze(x), A(randn(2, 1, 3, 1)))
both("squeeze dim", lambda lib, x: x.squeeze(1), A(randn(2, 1, 3, 1)))
both("squeeze dim not 1", lambda lib, x: x.squeeze(0), A(randn(2, 1, 3)))
both("squeeze dims tuple", lambda lib, x: x.squeeze((1, 3)), A(randn(2, 1, 3, 1)))
both("flatten", lambda lib, x: lib.flatten(x), A(randn(2, 3, 4)))
both("flatten start_dim=1", lambda lib, x: x.flatten(1), A(randn(2, 3, 4)))
both("flatten 0 1", lambda lib, x: x.flatten(0, 1), A(randn(2, 3, 4)))
both("flatten 0-d", lambda lib, x: x.flatten(), A(np.array(1.5)))
both("unflatten", lambda lib, x: x.unflatten(1, (2, 3)), A(randn(2, 6)))
both("reshape", lambda lib, x: lib.reshape(x, (3, -1)), A(randn(2, 3, 2)))
both("view_as", lambda lib, x, y: x.view_as(y), A(randn(2, 6)), A(randn(3, 4), grad=False))
both("reshape_as", lambda lib, x, y: x.reshape_as(y), A(randn(2, 6)), A(randn(4, 3), grad=False))
both("transpose", lambda lib, x: lib.transpose(x, 0, 2), A(randn(2, 3, 4)))
both("transpose method -1 -2", lambda lib, x: x.transpose(-1, -2), A(randn(2, 3, 4)))
both("swapaxes", lambda lib, x: x.swapaxes(0, 1), A(randn(2, 3)))
both("t", lambda lib, x: lib.t(x), A(randn(2, 3)))
both("t method 1-D", lambda lib, x: x.t(), A(randn(3)))
both("permute", lambda lib, x: lib.permute(x, (2, 0, 1)), A(randn(2, 3, 4)))
both("permute method varargs", lambda lib, x: x.permute(1, 2, 0), A(randn(2, 3, 4)))
both("movedim", lambda lib, x: lib.movedim(x, 0, -1), A(randn(2, 3, 4)))
both("movedim method pairs", lambda lib, x: x.movedim((0, 1), (2, 0)), A(randn(2, 3, 4)))
both("expand", lambda lib, x: x.expand(2, 3, 4), A(randn(3, 1)))
both("expand -1 tuple", lambda lib, x: x.expand((2, -1, 4)), A(randn(3, 1)))
both("expand_as", lambda lib, x, y: x.expand_as(y), A(randn(1, 4)), A(randn(3, 4), grad=False))
both("repeat", lambda lib, x: x.repeat(2, 3), A(randn(2, 3)))
both("repeat new dims", lambda lib, x: x.repeat((2, 1, 2)), A(randn(3, 2)))
both("tile", lambda lib, x: lib.tile(x, (2,)), A(randn(2, 3)))
both("flip", lambda lib, x: lib.flip(x, (0, 2)), A(randn(2, 3, 4)))
both("flip method varargs", lambda lib, x: x.flip(1), A(randn(2, 3)))
both("narrow", lambda lib, x: lib.narrow(x, 1, 1, 2), A(randn(2, 4)))
both("narrow method", lambda lib, x: x.narrow(0, 0, 1), A(randn(3, 2)))
both("contiguous", lambda lib, x: x.contiguous() * 2, A(randn(2, 3)))

# -- joining and cutting (pieces scaled differently, so each route is checked) --------------
both("cat", lambda lib, a, b: lib.cat([a, b]), A(randn(2, 3)), A(randn(1, 3)))
both("cat dim=1", lambda lib, a, b: lib.cat((a, b), dim=1), A(randn(2, 3)), A(randn(2, 1)))
both("cat one input", lambda lib, a, b: lib.cat([a, b], -1), A(randn(2, 3)), A(randn(2, 2), grad=False))
both("concat", lambda lib, a, b: lib.concat([a, b], dim=0), A(randn(2)), A(randn(3)))
both("concatenate", lambda lib, a, b: lib.concatenate([a, b], dim=1), A(randn(1, 2)), A(randn(1, 2)))
both("stack", lambda lib, a, b: lib.stack([a, b]), A(randn(2, 3)), A(randn(2, 3)))
both("stack dim=-1", lambda lib, a, b: lib.stack((a, b), dim=-1), A(randn(2, 3)), A(randn(2, 3)))
both("hstack", lambda lib, a, b: lib.hstack([a, b]), A(randn(2, 3)), A(randn(2, 1)))
both("vstack", lambda lib, a, b: lib.vstack([a, b]), A(randn(3)), A(randn(3)))


def _weighted(lib: Any, pieces: Any, dim: int) -> Any:
    return lib.cat([p * (i + 1) for i, p in enumerate(pieces)], dim=dim)


both("split int", lambda lib, x: _weighted(lib, lib.split(x, 2, dim=1), 1), A(randn(2, 5)))
both("split sizes", lambda lib, x: _weighted(lib, x.split([1, 3], 0), 0), A(randn(4, 2)))
both("chunk", lambda lib, x: _weighted(lib, lib.chunk(x, 3, 1), 1), A(randn(2, 5)))
both("chunk method", lambda lib, x: _weighted(lib, x.chunk(2), 0), A(randn(4, 2)))
both("unbind", lambda lib, x: lib.stack([p * (i + 1) for i, p in enumerate(lib.unbind(x, 1))]),
     A(randn(2, 3)))


# -- reading and writing by index (gathering.py); integer index inputs take no gradient ----
_GATHER_INDEX = np.array([[0, 0, 2], [1, 0, 0]], dtype=np.int64)  # repeats: gradients add up
_SCATTER_INDEX = np.array([[0, 1, 2, 0], [2, 0, 0, 1]], dtype=np.int64)  # distinct per column
both("gather dim=1", lambda lib, x, i: lib.gather(x, 1, i), A(randn(2, 4)), A(_GATHER_INDEX))
both("gather dim=0 smaller index", lambda lib, x, i: x.gather(0, i[:, :2]), A(randn(3, 4)),
     A(_GATHER_INDEX))
both("gather 3-D dim=-1", lambda lib, x, i: lib.gather(x, -1, i), A(randn(2, 3, 4)),
     A(np.array([[[3, 0], [1, 1], [2, 0]], [[0, 0], [3, 2], [1, 3]]])))
both("scatter", lambda lib, x, i, s: lib.scatter(x, 0, i, s), A(randn(3, 4)), A(_SCATTER_INDEX),
     A(randn(2, 4)))
# a src larger than index: torch's backward refuses its gradient (shape), so src takes none here
both("scatter method src larger", lambda lib, x, i, s: x.scatter(1, i[:, :2], s), A(randn(2, 4)),
     A(np.array([[3, 1], [0, 2]])), A(randn(3, 3), grad=False))
both("scatter value", lambda lib, x, i: x.scatter(0, i, value=2.5), A(randn(3, 4)), A(_SCATTER_INDEX))
both("scatter_add", lambda lib, x, i, s: lib.scatter_add(x, 1, i, s), A(randn(2, 4)),
     A(_GATHER_INDEX), A(randn(2, 3)))
both("scatter_add method dim=0", lambda lib, x, i, s: x.scatter_add(0, i, s), A(randn(3, 4)),
     A(_SCATTER_INDEX), A(randn(2, 4)))
both("index_select", lambda lib, x, i: lib.index_select(x, 1, i), A(randn(2, 4)),
     A(np.array([3, 0, 3], dtype=np.int64)))
both("index_select method dim=0", lambda lib, x, i: x.index_select(0, i), A(randn(3, 2, 2)),
     A(np.array([2, 2, 0, 1], dtype=np.int64)))
both("take_along_dim", lambda lib, x, i: lib.take_along_dim(x, i, dim=1), A(randn(2, 4)),
     A(_GATHER_INDEX))
both("take_along_dim broadcast", lambda lib, x, i: x.take_along_dim(i, 0), A(randn(3, 1)),
     A(np.array([[2, 0, 2], [1, 1, 0]], dtype=np.int64)))
both("take_along_dim flat", lambda lib, x, i: lib.take_along_dim(x, i), A(randn(2, 3)),
     A(np.array([5, 0, 0, 3], dtype=np.int64)))
both("index_add", lambda lib, x, i, s: lib.index_add(x, 1, i, s, alpha=0.5), A(randn(2, 4)),
     A(np.array([3, 0, 3], dtype=np.int64)), A(randn(2, 3)))
both("index_add method dim=0", lambda lib, x, i, s: x.index_add(0, i, s), A(randn(3, 2)),
     A(np.array([2, 2, 0, 1], dtype=np.int64)), A(randn(4, 2)))
both("index_add_ in place", lambda lib, x, i, s: (x * 1).index_add_(0, i, s) * 2, A(randn(3, 2)),
     A(np.array([1, 1], dtype=np.int64)), A(randn(2, 2)))
_REDUCE_INDEX = np.array([[0, 1, 2], [0, 0, 2], [3, 1, 2], [0, 1, 0], [3, 3, 3]], dtype=np.int64)
for _red in ("sum", "mean", "prod", "amax", "amin"):
    for _inc in (True, False):
        both(f"scatter_reduce {_red} include_self={_inc}",
             lambda lib, x, i, s, r=_red, inc=_inc: lib.scatter_reduce(x, 0, i, s, r, include_self=inc),
             A(randn(4, 3)), A(_REDUCE_INDEX), A(randn(5, 3)), fd=_red not in ("amax", "amin"))
both("scatter_reduce amax ties (torch's shares)",
     lambda lib, x, i, s: x.scatter_reduce(0, i, s, "amax", include_self=False),
     A([[5.0, 1.0], [0.5, 2.0]]), A(np.array([[0, 1], [0, 1]], dtype=np.int64)),
     A([[5.0, 2.0], [5.0, -1.0]]), fd=False)
both("scatter_reduce prod with zeros", lambda lib, x, i, s: x.scatter_reduce(1, i, s, "prod"),
     A(randn(2, 3)), A(np.array([[0, 0, 2], [1, 1, 1]], dtype=np.int64)),
     A([[0.0, 1.5, 0.0], [0.0, -2.0, 0.7]]), fd=False)
both("scatter_reduce_ in place", lambda lib, x, i, s: (x * 1).scatter_reduce_(0, i, s, "amin") * 2,
     A(randn(4, 3)), A(_REDUCE_INDEX), A(randn(5, 3)), fd=False)
for _p in (2.0, 1.0, 3.0, 0.5, float("inf")):
    both(f"cdist p={_p}", lambda lib, a, b, p=_p: lib.cdist(a, b, p=p), A(randn(3, 4)), A(randn(2, 4)),
         fd=_p != float("inf"))
both("cdist batched broadcast", lambda lib, a, b: lib.cdist(a, b), A(randn(2, 3, 2)), A(randn(1, 4, 2)))
both("cdist zero distance", lambda lib, a, b: lib.cdist(a, b), A([[1.0, 2.0], [0.0, 0.5]]),
     A([[1.0, 2.0]]), fd=False)
both("masked_select", lambda lib, x, m: lib.masked_select(x, m), A(randn(3, 4)),
     A(np.array([[True, False, True, True], [False, False, True, False], [True, True, True, False]])))
both("masked_select broadcast", lambda lib, x, m: x.masked_select(m), A(randn(1, 4)),
     A(np.array([[True, False, True, True], [False, False, True, False]])))
both("cumprod", lambda lib, x: lib.cumprod(x, 1), A(uniform(2, 5)))
both("cumprod method with zeros", lambda lib, x: x.cumprod(0),
     A(np.array([[1.5, 0.0, -2.0], [0.0, 0.0, 3.0], [2.0, -1.0, 0.5], [0.7, 2.0, 1.2]])))
both("cumprod 3-D dim=-1", lambda lib, x: lib.cumprod(x, -1), A(uniform(2, 2, 3)))

# -- einsum (composed of permute, reshape, matmul, sum) -------------------------------------
for _eq, _shapes in [("ij,jk->ik", [(2, 3), (3, 4)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
                     ("i,i->", [(4,), (4,)]), ("ij->ji", [(2, 3)]), ("ij->", [(2, 3)]),
                     ("ijk,ik->ij", [(2, 3, 4), (2, 4)]), ("ij,kl->ijkl", [(2, 1), (3, 2)]),
                     ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]), ("ij,jk", [(2, 3), (3, 2)]),
                     ("bhqd,bhkd->bhqk", [(1, 2, 3, 2), (1, 2, 4, 2)]), ("ij,j->i", [(3, 2), (2,)]),
                     ("ab,cb,c->a", [(2, 3), (4, 3), (4,)]),
                     ("...ij,...jk->...ik", [(2, 3, 4), (4, 2)]), ("...i,...i", [(2, 3), (3,)]),
                     ("b...,b...->b", [(2, 1, 3), (2, 4, 3)]), ("i...->...", [(3, 2, 2)]),
                     ("ii->", [(3, 3)]), ("ii->i", [(3, 3)]), ("bii,bj->bij", [(2, 3, 3), (2, 2)]),
                     ("iji->j", [(2, 3, 2)]), ("bij,bjk", [(1, 2, 3), (3, 3, 2)])]:
    both(f"einsum {_eq}", lambda lib, *xs, eq=_eq: lib.einsum(eq, *xs), *[A(randn(*s)) for s in _shapes])
both("einsum list of operands", lambda lib, a, b: lib.einsum("ij,jk->ki", [a, b]), A(randn(2, 3)),
     A(randn(3, 2)))

# -- gaps2: activations, distances, pad, margin/embedding losses (torch's names) -----------------
for _name, _kw in [("logsigmoid", {}), ("hardsigmoid", {}), ("hardswish", {}), ("tanhshrink", {}),
                   ("celu", {"alpha": 0.7}), ("softshrink", {"lambd": 0.3}), ("hardshrink", {"lambd": 0.3}),
                   ("rrelu", {}), ("threshold", {"threshold": 0.2, "value": -1.5})]:
    both(f"F.{_name}", lambda lib, x, n=_name, kw=_kw: getattr(lib.nn.functional, n)(x, **kw),
         A(uniform(3, 4, low=-4.5, high=4.5)))
both("F.softmin", lambda lib, x: lib.nn.functional.softmin(x, 1), A(randn(3, 4)))
both("F.glu dim=0", lambda lib, x: lib.nn.functional.glu(x, 0), A(randn(4, 3)))
both("F.normalize", lambda lib, x: lib.nn.functional.normalize(x, dim=1), A(randn(3, 4)))
both("F.normalize p=1 dim=0", lambda lib, x: lib.nn.functional.normalize(x, p=1.0, dim=0),
     A(away(3, 4)))
both("F.cosine_similarity", lambda lib, a, b: lib.nn.functional.cosine_similarity(a, b),
     A(randn(3, 4)), A(randn(3, 4)))
both("F.cosine_similarity broadcast dim=-1",
     lambda lib, a, b: lib.nn.functional.cosine_similarity(a, b, dim=-1), A(randn(2, 3, 4)), A(randn(3, 4)))
both("F.pairwise_distance", lambda lib, a, b: lib.nn.functional.pairwise_distance(a, b),
     A(randn(3, 4)), A(randn(3, 4)))
both("F.pairwise_distance p=1 keepdim", lambda lib, a, b: lib.nn.functional.pairwise_distance(
    a, b, p=1.0, keepdim=True), A(randn(3, 4)), A(randn(3, 4)))
for _mode, _pads in [("constant", (1, 2)), ("constant", (2, 1, -1, 1)), ("reflect", (2, 1)),
                     ("replicate", (1, 2, 2, 0)), ("circular", (1, 3))]:
    both(f"F.pad {_mode} {_pads}", lambda lib, x, m=_mode, p=_pads: lib.nn.functional.pad(
        x, p, mode=m) if m != "constant" else lib.nn.functional.pad(x, p, value=0.5), A(randn(2, 3, 4)))
_SIGNS = np.array([1.0, -1.0, 1.0])
_LABELS = np.array([0, 3, 1])
both("F.cosine_embedding_loss", lambda lib, a, b, y: lib.nn.functional.cosine_embedding_loss(
    a, b, y, margin=0.1), A(randn(3, 4)), A(randn(3, 4)), A(_SIGNS, grad=False))
both("F.hinge_embedding_loss", lambda lib, x, y: lib.nn.functional.hinge_embedding_loss(x, y),
     A(away(3, 4)), A(np.sign(randn(3, 4)), grad=False))
both("F.soft_margin_loss sum", lambda lib, x, y: lib.nn.functional.soft_margin_loss(
    x, y, reduction="sum"), A(randn(3, 4)), A(np.sign(randn(3, 4)), grad=False))
both("F.multilabel_soft_margin_loss", lambda lib, x, y, w: lib.nn.functional.multilabel_soft_margin_loss(
    x, y, weight=w), A(randn(3, 4)), A((randn(3, 4) > 0) * 1.0, grad=False), A(positive(4), grad=False))
both("F.multi_margin_loss p=2", lambda lib, x, y, w: lib.nn.functional.multi_margin_loss(
    x, y, p=2, margin=0.7, weight=w), A(randn(3, 4)), A(_LABELS, grad=False), A(positive(4), grad=False))
both("F.multi_margin_loss none", lambda lib, x, y: lib.nn.functional.multi_margin_loss(
    x, y, reduction="none"), A(away(3, 4)), A(_LABELS, grad=False), fd=False)
both("F.multilabel_margin_loss", lambda lib, x, y: lib.nn.functional.multilabel_margin_loss(x, y),
     A(randn(3, 4)), A(np.array([[0, 2, -1, 1], [3, -1, 0, 0], [1, 2, 3, 0]]), grad=False), fd=False)
both("F.triplet_margin_loss swap", lambda lib, a, p, n: lib.nn.functional.triplet_margin_loss(
    a, p, n, swap=True, margin=2.0), A(randn(3, 4)), A(randn(3, 4)), A(randn(3, 4)))
both("F.gaussian_nll_loss full", lambda lib, x, y, v: lib.nn.functional.gaussian_nll_loss(
    x, y, v, full=True), A(randn(3, 4)), A(randn(3, 4)), A(positive(3)))
both("F.binary_cross_entropy_with_logits pos_weight weight",
     lambda lib, x, y, w, pw: lib.nn.functional.binary_cross_entropy_with_logits(
         x, y, weight=w, pos_weight=pw), A(randn(3, 4)), A(uniform(3, 4, low=0.0, high=1.0)),
     A(positive(3, 4), grad=False), A(positive(4), grad=False))
both("F.group_norm", lambda lib, x, w, b: lib.nn.functional.group_norm(x, 2, w, b), A(randn(2, 4, 3)),
     A(randn(4)), A(randn(4)))
both("F.rms_norm", lambda lib, x, w: lib.nn.functional.rms_norm(x, (3,), w, eps=1e-5), A(randn(2, 4, 3)),
     A(randn(3)))
both("F.bilinear", lambda lib, a, b, w, c: lib.nn.functional.bilinear(a, b, w, c), A(randn(4, 3)),
     A(randn(4, 2)), A(randn(5, 3, 2)), A(randn(5)))
# training=False: the identity (the random training mask: tests/test_nn_gaps2.py)
both("F.alpha_dropout eval", lambda lib, x: lib.nn.functional.alpha_dropout(x, 0.3), A(randn(3, 4)))
# -- torch's names for triangles, rearranging, order statistics, counting (gaps1) ------------
TESTED_ELSEWHERE |= {"argwhere", "bernoulli", "bucketize", "count_nonzero", "histc", "is_floating_point",
                     "searchsorted", "unique"}  # integer / boolean / drawn: tests/test_torch_gaps.py
for _k in (0, 1, -1):
    both(f"tril diagonal={_k}", lambda lib, x, k=_k: lib.tril(x, k), A(randn(3, 4)))
    both(f"triu method diagonal={_k}", lambda lib, x, k=_k: x.triu(k), A(randn(2, 3, 3)))
    both(f"diagonal offset={_k}", lambda lib, x, k=_k: lib.diagonal(x, k), A(randn(3, 4)))
    both(f"diag of a vector k={_k}", lambda lib, x, k=_k: lib.diag(x, k), A(randn(3)))
    both(f"diag of a matrix method k={_k}", lambda lib, x, k=_k: x.diag(k), A(randn(4, 3)))
both("diagonal dims 2, 0", lambda lib, x: x.diagonal(1, 2, 0), A(randn(3, 2, 4)))
both("trace", lambda lib, x: lib.trace(x), A(randn(3, 4)))
both("trace method", lambda lib, x: x.trace(), A(randn(3, 3)))
both("roll", lambda lib, x: lib.roll(x, 1, 0), A(randn(3, 4)))
both("roll two dims", lambda lib, x: x.roll((2, -1), (1, 0)), A(randn(3, 4)))
both("roll flattened", lambda lib, x: lib.roll(x, 5), A(randn(3, 4)))
both("diff", lambda lib, x: lib.diff(x), A(randn(3, 4)))
both("diff n=2 dim=0 prepend append", lambda lib, x, p, q: lib.diff(x, 2, 0, prepend=p, append=q),
     A(randn(3, 2)), A(randn(1, 2)), A(randn(2, 2)))
both("diff method", lambda lib, x: x.diff(dim=0), A(randn(4)))
both("repeat_interleave int", lambda lib, x: lib.repeat_interleave(x, 2), A(randn(2, 3)))
both("repeat_interleave counts dim=0", lambda lib, x, r: lib.repeat_interleave(x, r, dim=0),
     A(randn(3, 2)), A(np.array([2, 0, 3], dtype=np.int64)))
both("repeat_interleave method dim=1", lambda lib, x: x.repeat_interleave(3, dim=1), A(randn(2, 2)))
for _ix in ("ij", "xy"):
    both(f"meshgrid indexing={_ix}",  # each output weighted differently, so each one counts
         lambda lib, a, b, c, ix=_ix: sum((k + 1.5) * g for k, g in
                                          enumerate(lib.meshgrid(a, b, c, indexing=ix))),
         A(randn(2)), A(randn(3)), A(randn(4)))
    both(f"meshgrid of a list indexing={_ix}",
         lambda lib, a, b, ix=_ix: (lambda g: g[0] * g[1] + g[0])(lib.meshgrid([a, b], indexing=ix)),
         A(randn(2)), A(randn(3)))
both("kron", lambda lib, a, b: lib.kron(a, b), A(randn(2, 3)), A(randn(3, 2)))
both("kron ranks 1 and 2 method", lambda lib, a, b: a.kron(b), A(randn(3)), A(randn(2, 2)))
both("nan_to_num", lambda lib, x: lib.nan_to_num(x, posinf=1e30, neginf=-2e30),
     A([[np.nan, 1.5, -np.inf], [np.inf, -0.3, 2.0]]), fd=False)
both("nan_to_num values method", lambda lib, x: x.nan_to_num(0.5, 9.0, -9.0),
     A([np.nan, 1.5, -np.inf, np.inf, -0.3]), fd=False)
both("nan_to_num finite", lambda lib, x: lib.nan_to_num(x), A(randn(3, 2)))
both("lerp number", lambda lib, a, b: lib.lerp(a, b, 0.3), A(randn(2, 3)), A(randn(2, 3)))
both("lerp tensor weight broadcast", lambda lib, a, b, w: lib.lerp(a, b, w), A(randn(2, 3)), A(randn(3)),
     A(uniform(2, 1, low=0.0, high=1.0)))
both("lerp method", lambda lib, a, b: a.lerp(b, 0.8), A(randn(4)), A(randn(4)))
both("hypot", lambda lib, a, b: lib.hypot(a, b), A(away(2, 3)), A(away(3)))
both("hypot method", lambda lib, a, b: a.hypot(b), A(away(4)), A(away(4)))
both("fmod number", lambda lib, x: lib.fmod(x, 0.7), A(uniform(2, 5, low=-3, high=3)))
both("fmod tensor", lambda lib, a, b: lib.fmod(a, b),  # a / b away from integers (fmod's jumps)
     A([[2.5, -1.0, 0.7, 2.0, -0.2], [-2.3, 1.4, -2.9, 0.5, 1.1]]),
     A(np.array([0.7, -0.9, 1.3, -1.1, 0.45])))
both("fmod method", lambda lib, a: a.fmod(-1.25), A(uniform(6, low=-3, high=3)))
both("frac", lambda lib, x: lib.frac(x), A(uniform(2, 5, low=-3, high=3)))
both("frac method", lambda lib, x: x.frac(), A(uniform(5, low=-3, high=3)))
both("addmm", lambda lib, c, a, b: lib.addmm(c, a, b), A(randn(2, 4)), A(randn(2, 3)), A(randn(3, 4)))
both("addmm beta alpha broadcast", lambda lib, c, a, b: lib.addmm(c, a, b, beta=0.5, alpha=-2.0),
     A(randn(4)), A(randn(2, 3)), A(randn(3, 4)))
both("addmm method", lambda lib, c, a, b: c.addmm(a, b, alpha=3), A(randn(2, 2)), A(randn(2, 3)),
     A(randn(3, 2)))
both("baddbmm", lambda lib, c, a, b: lib.baddbmm(c, a, b, beta=2.0, alpha=0.5), A(randn(2, 2, 4)),
     A(randn(2, 2, 3)), A(randn(2, 3, 4)))
both("baddbmm method", lambda lib, c, a, b: c.baddbmm(a, b), A(randn(1, 2, 2)), A(randn(3, 2, 3)),
     A(randn(3, 3, 2)))
both("amax dim=1", lambda lib, x: lib.amax(x, 1), A(randn(3, 4)))
both("amax all", lambda lib, x: lib.amax(x), A(randn(3, 4)))
both("amin dims keepdim method", lambda lib, x: x.amin((0, 2), keepdim=True), A(randn(2, 3, 4)))
both("amax ties share", lambda lib, x: lib.amax(x, 0), A([[1.0, 2.0], [1.0, 0.5]]), fd=False)
both("aminmax min", lambda lib, x: lib.aminmax(x, dim=1).min, A(randn(3, 4)))
both("aminmax max method", lambda lib, x: x.aminmax().max, A(randn(3, 4)))
both("median all", lambda lib, x: lib.median(x), A(randn(3, 5)))
both("median all even count (lower)", lambda lib, x: x.median(), A(randn(4)))
both("median all ties share", lambda lib, x: lib.median(x), A([3.0, 1.0, 2.0, 2.0, 5.0]), fd=False)
both("median dim", lambda lib, x: lib.median(x, 1).values, A(randn(3, 5)))
both("median dim keepdim method", lambda lib, x: x.median(0, keepdim=True)[0], A(randn(4, 3)))
both("kthvalue", lambda lib, x: lib.kthvalue(x, 2).values, A(randn(3, 5)))
both("kthvalue dim 0 keepdim method", lambda lib, x: x.kthvalue(3, 0, True).values, A(randn(4, 3)))
both("mode", lambda lib, x: lib.mode(x).values,
     A([[1.0, 2.0, 2.0, 3.0, 1.0, 2.0], [0.5, 0.5, 4.0, 4.0, 1.0, 1.0]]), fd=False)
both("mode method dim 0", lambda lib, x: x.mode(0).values, A([[1.0, 2.0], [1.0, 3.0], [0.5, 3.0]]),
     fd=False)
both("cummax", lambda lib, x: lib.cummax(x, 1).values, A(randn(3, 6)))
both("cummin method dim 0", lambda lib, x: x.cummin(0).values, A(randn(5, 3)))
both("cummax ties (the later index)", lambda lib, x: lib.cummax(x, 0).values,
     A([1.0, 3.0, 3.0, 2.0, 5.0, 5.0]), fd=False)
both("quantile all", lambda lib, x: lib.quantile(x, 0.3), A(randn(3, 5)))
for _it in ("linear", "lower", "higher", "nearest", "midpoint"):
    both(f"quantile interpolation={_it}", lambda lib, x, it=_it: lib.quantile(x, 0.4, 1, interpolation=it),
         A(randn(3, 6)))
both("quantile tensor q keepdim method",
     lambda lib, x, q: x.quantile(q, dim=0, keepdim=True), A(randn(5, 3)),
     A(np.array([0.1, 0.5, 0.9]), grad=False))

# -- xn.linalg: norms, inverses, solves, determinants (gaps1) ---------------------------------
def _well_conditioned(*shape: int) -> Any:
    return randn(*shape) + 3 * np.eye(shape[-1])


def _positive_definite(*shape: int) -> Any:
    """A @ A^T + I: a positive determinant whatever the random draws (logdet is NaN below 0)."""
    a = randn(*shape)
    return a @ np.swapaxes(a, -1, -2) + np.eye(shape[-1])


both("linalg.inv", lambda lib, a: lib.linalg.inv(a), A(_well_conditioned(3, 3)))
both("linalg.inv batched", lambda lib, a: lib.linalg.inv(a), A(_well_conditioned(2, 3, 3)))
both("inverse method", lambda lib, a: a.inverse(), A(_well_conditioned(2, 2)))
both("linalg.solve matrix", lambda lib, a, b: lib.linalg.solve(a, b), A(_well_conditioned(3, 3)),
     A(randn(3, 2)))
both("linalg.solve vector", lambda lib, a, b: lib.linalg.solve(a, b), A(_well_conditioned(3, 3)), A(randn(3)))
both("linalg.solve batched vectors", lambda lib, a, b: lib.linalg.solve(a, b), A(_well_conditioned(2, 3, 3)),
     A(randn(2, 3)))
both("linalg.solve broadcast batch", lambda lib, a, b: lib.linalg.solve(a, b), A(_well_conditioned(3, 3)),
     A(randn(2, 3, 2)))
both("linalg.solve left=False", lambda lib, a, b: lib.linalg.solve(a, b, left=False),
     A(_well_conditioned(3, 3)), A(randn(2, 3)))
both("linalg.det", lambda lib, a: lib.linalg.det(a), A(_well_conditioned(3, 3)))
both("det batched", lambda lib, a: lib.det(a), A(_well_conditioned(2, 3, 3)))
both("det method", lambda lib, a: a.det(), A(randn(2, 2)))
both("linalg.slogdet logabsdet", lambda lib, a: lib.linalg.slogdet(a).logabsdet, A(randn(3, 3)))
both("slogdet batched", lambda lib, a: lib.slogdet(a)[1] * lib.slogdet(a)[0], A(randn(2, 3, 3)))
for _o in (2, 1, 3, float("inf"), -float("inf")):
    both(f"linalg.vector_norm ord={_o}", lambda lib, x, o=_o: lib.linalg.vector_norm(x, o), A(randn(3, 4)),
         fd=abs(_o) != float("inf"))
both("linalg.vector_norm dims keepdim", lambda lib, x: lib.linalg.vector_norm(x, 2, (0, 2), True),
     A(randn(2, 3, 2)))
for _o in ("fro", 1, -1, float("inf"), -float("inf")):
    both(f"linalg.matrix_norm ord={_o}", lambda lib, x, o=_o: lib.linalg.matrix_norm(x, o), A(randn(2, 3, 4)))
both("linalg.matrix_norm dims keepdim", lambda lib, x: lib.linalg.matrix_norm(x, 1, (0, 2), True),
     A(randn(3, 2, 4)))
both("linalg.norm all", lambda lib, x: lib.linalg.norm(x), A(randn(2, 3, 2)))
both("linalg.norm matrix ord", lambda lib, x: lib.linalg.norm(x, float("inf")), A(randn(3, 4)))
both("linalg.norm vector ord", lambda lib, x: lib.linalg.norm(x, 3), A(randn(5)))
both("linalg.norm dim", lambda lib, x: lib.linalg.norm(x, dim=1), A(randn(3, 4)))
both("linalg.norm dim pair", lambda lib, x: lib.linalg.norm(x, "fro", dim=(0, 2)), A(randn(2, 3, 2)))
# in place, recorded in the graph as torch's
both("tril_ in place", lambda lib, x: (x * 1).tril_(-1) * 2, A(randn(3, 4)))
both("triu_ in place", lambda lib, x: (x * 1).triu_(1) * 2, A(randn(3, 4)))
both("nan_to_num_ in place", lambda lib, x: (x * 1).nan_to_num_(posinf=5.0, neginf=-5.0) * 2,
     A([np.nan, 1.5, -np.inf, np.inf, -0.3]), fd=False)
both("lerp_ in place", lambda lib, a, b: (a * 1).lerp_(b, 0.25) * 2, A(randn(2, 3)), A(randn(2, 3)))
both("lerp_ in place tensor weight", lambda lib, a, b, w: (a * 1).lerp_(b, w) * 2, A(randn(2, 3)),
     A(randn(2, 3)), A(uniform(3, low=0.0, high=1.0)))
both("frac_ in place", lambda lib, x: (x * 1).frac_() * 2, A(uniform(5, low=-3, high=3)))
both("addmm_ in place", lambda lib, c, a, b: (c * 1).addmm_(a, b, beta=0.5) * 2, A(randn(2, 2)),
     A(randn(2, 3)), A(randn(3, 2)))
both("baddbmm_ in place", lambda lib, c, a, b: (c * 1).baddbmm_(a, b, alpha=2) * 2, A(randn(2, 2, 2)),
     A(randn(2, 2, 3)), A(randn(2, 3, 2)))
for _o in ("nuc", 2, -2):
    both(f"linalg.matrix_norm ord={_o} (singular values)", lambda lib, x, o=_o: lib.linalg.matrix_norm(x, o),
         A(randn(2, 3, 4)))
both("linalg.matrix_norm nuc dims keepdim", lambda lib, x: lib.linalg.matrix_norm(x, "nuc", (2, 0), True),
     A(randn(3, 2, 4)))
both("linalg.norm ord=2 of a matrix", lambda lib, x: lib.linalg.norm(x, 2), A(randn(4, 3)))
both("logdet", lambda lib, a: lib.logdet(a), A(_positive_definite(2, 3, 3)))
both("logdet method", lambda lib, a: a.logdet(), A(_positive_definite(3, 3)))
