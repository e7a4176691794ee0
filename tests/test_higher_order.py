"""create_graph=True: second (and higher) derivatives of every converted op, against torch.

Each case is an op over float64 inputs; the check builds ``L = sum(R * out * out)``,
takes its gradients with ``create_graph=True``, then differentiates ``sum_i g_i . V_i``
again (a Hessian-vector product, which needs every op's double backward) and compares
both with torch autograd to 1e-10, on every backend of the ``xp`` fixture.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import xpnet as xn
from xpnet import nn

RTOL, ATOL = 1e-10, 1e-12
F = nn.functional


def _tf(torch: Any) -> Any:
    return torch.nn.functional


def _same(op: Callable[..., Any], specs: list[Any]) -> tuple[Any, Any, Any]:
    """A case whose op is the same code for xpnet and torch tensors."""
    return op, lambda t: op, specs


# name: (xpnet op, torch op (given the torch module), inputs as (shape, "any" | "pos"))
CASES: dict[str, tuple[Callable[..., Any], Callable[..., Any], list[tuple[tuple[int, ...], str]]]] = {
    "add": _same(lambda a, b: a + b, [((3, 4), "any"), ((3, 4), "any")]),
    "add broadcast": _same(lambda a, b: a + b, [((3, 4), "any"), ((4,), "any")]),
    "add scalar": _same(lambda a: 1.5 + a, [((3, 4), "any")]),
    "sub broadcast": _same(lambda a, b: a - b, [((3, 4), "any"), ((3, 1), "any")]),
    "mul": _same(lambda a, b: a * b, [((3, 4), "any"), ((3, 4), "any")]),
    "mul broadcast": _same(lambda a, b: a * b, [((3, 4), "any"), ((4,), "any")]),
    "mul scalar": _same(lambda a: a * 2.5, [((3, 4), "any")]),
    "div": _same(lambda a, b: a / b, [((3, 4), "any"), ((3, 4), "pos")]),
    "div broadcast": _same(lambda a, b: a / b, [((3, 4), "any"), ((4,), "pos")]),
    "rdiv scalar": _same(lambda a: 2.0 / a, [((3, 4), "pos")]),
    "neg": _same(lambda a: -a, [((3, 4), "any")]),
    "pow scalar": _same(lambda a: a ** 3, [((3, 4), "any")]),
    "pow fraction": _same(lambda a: a ** 2.5, [((3, 4), "pos")]),
    "pow tensors": _same(lambda a, b: a ** b, [((3, 4), "pos"), ((3, 4), "any")]),
    "rpow scalar": _same(lambda a: 2.0 ** a, [((3, 4), "any")]),
    "exp": (xn.exp, lambda t: t.exp, [((3, 4), "any")]),
    "log": (xn.log, lambda t: t.log, [((3, 4), "pos")]),
    "sqrt": (xn.sqrt, lambda t: t.sqrt, [((3, 4), "pos")]),
    "tanh": (xn.tanh, lambda t: t.tanh, [((3, 4), "any")]),
    "sin": (xn.sin, lambda t: t.sin, [((3, 4), "any")]),
    "cos": (xn.cos, lambda t: t.cos, [((3, 4), "any")]),
    "tan": (xn.tan, lambda t: t.tan, [((3, 4), "any")]),
    "rsqrt": (xn.rsqrt, lambda t: t.rsqrt, [((3, 4), "pos")]),
    "square": (xn.square, lambda t: t.square, [((3, 4), "any")]),
    "reciprocal": (xn.reciprocal, lambda t: t.reciprocal, [((3, 4), "pos")]),
    "log1p": (xn.log1p, lambda t: t.log1p, [((3, 4), "pos")]),
    "expm1": (xn.expm1, lambda t: t.expm1, [((3, 4), "any")]),
    "log2": (xn.log2, lambda t: t.log2, [((3, 4), "pos")]),
    "log10": (xn.log10, lambda t: t.log10, [((3, 4), "pos")]),
    "sigmoid": (xn.sigmoid, lambda t: t.sigmoid, [((3, 4), "any")]),
    "relu": (xn.relu, lambda t: t.relu, [((3, 4), "any")]),
    "maximum": (xn.maximum, lambda t: t.maximum, [((3, 4), "any"), ((3, 4), "any")]),
    "where": (lambda a, b: xn.where(a > b, a * b, a - b),
              lambda t: lambda a, b: t.where(a > b, a * b, a - b), [((3, 4), "any"), ((3, 4), "any")]),
    "sum": _same(lambda a: a.sum(), [((3, 4), "any")]),
    "sum axis": (lambda a: a.sum(1, keepdims=True), lambda t: lambda a: a.sum(1, keepdim=True),
                 [((3, 4), "any")]),
    "mean": _same(lambda a: a.mean(), [((3, 4), "any")]),
    "mean axis": _same(lambda a: a.mean(0), [((3, 4), "any")]),
    "reshape": _same(lambda a: a.reshape(4, 3) * 2.0, [((3, 4), "any")]),
    "transpose": _same(lambda a: a.T, [((3, 4), "any")]),
    "matmul": _same(lambda a, b: a @ b, [((3, 4), "any"), ((4, 5), "any")]),
    "matmul batched": _same(lambda a, b: a @ b, [((2, 3, 4), "any"), ((4, 5), "any")]),
    "matmul vector": _same(lambda a, b: a @ b, [((4,), "any"), ((4, 5), "any")]),
    "matrix vector": _same(lambda a, b: a @ b, [((3, 4), "any"), ((4,), "any")]),
    "linear": (F.linear, lambda t: _tf(t).linear, [((5, 3), "any"), ((4, 3), "any"), ((4,), "any")]),
    "linear no bias": (F.linear, lambda t: _tf(t).linear, [((5, 3), "any"), ((4, 3), "any")]),
    "linear 3-d": (F.linear, lambda t: _tf(t).linear, [((2, 5, 3), "any"), ((4, 3), "any"), ((4,), "any")]),
    "linear+tanh": (lambda x, w, b: F.linear(x, w, b, activation="tanh"),
                    lambda t: lambda x, w, b: t.tanh(_tf(t).linear(x, w, b)),
                    [((5, 3), "any"), ((4, 3), "any"), ((4,), "any")]),
    "linear+sigmoid": (lambda x, w, b: F.linear(x, w, b, activation="sigmoid"),
                       lambda t: lambda x, w, b: t.sigmoid(_tf(t).linear(x, w, b)),
                       [((5, 3), "any"), ((4, 3), "any"), ((4,), "any")]),
    "linear+relu": (lambda x, w, b: F.linear(x, w, b, activation="relu"),
                    lambda t: lambda x, w, b: t.relu(_tf(t).linear(x, w, b)),
                    [((5, 3), "any"), ((4, 3), "any"), ((4,), "any")]),
    "norm": _same(lambda a: a.norm(), [((3, 4), "any")]),
    "norm dim": (lambda a: a.norm(dim=1), lambda t: lambda a: a.norm(dim=1), [((3, 4), "any")]),
    "norm dim keepdim": (lambda a: xn.norm(a, 2, 0, True), lambda t: lambda a: t.norm(a, 2, 0, True),
                         [((3, 4), "any")]),
    "norm p=1": (lambda a: xn.norm(a * a * a, 1, 1), lambda t: lambda a: t.norm(a * a * a, 1, 1),
                 [((3, 4), "any")]),
    "norm p=inf": (lambda a: xn.norm(a, float("inf"), 1) * a.sum(1),
                   lambda t: lambda a: t.norm(a, float("inf"), 1) * a.sum(1), [((3, 4), "any")]),
    "norm p=-inf all": (lambda a: xn.norm(a, float("-inf")) * a,
                        lambda t: lambda a: t.norm(a, float("-inf")) * a, [((3, 4), "any")]),
    "norm p=3": (lambda a: xn.norm(a, 3, (0, 1), True), lambda t: lambda a: t.norm(a, 3, (0, 1), True),
                 [((3, 4), "any")]),
    "norm p=0.5": (lambda a: xn.norm(a, 0.5, 0), lambda t: lambda a: t.norm(a, 0.5, 0), [((3, 4), "pos")]),
    "softmax": (lambda a: xn.softmax(a, 1), lambda t: lambda a: t.softmax(a, 1), [((3, 4), "any")]),
    "log_softmax": (lambda a: xn.log_softmax(a, 0), lambda t: lambda a: t.log_softmax(a, 0),
                    [((3, 4), "any")]),
    "cross_entropy": (lambda a: F.cross_entropy(a, _classes(a)),
                      lambda t: lambda a: _tf(t).cross_entropy(a, _classes(a)), [((5, 4), "any")]),
    "cross_entropy sum weighted": (
        lambda a: F.cross_entropy(a, _classes(a), _like(a, [1.0, 2.0, 0.5, 1.5]), reduction="sum"),
        lambda t: lambda a: _tf(t).cross_entropy(a, _classes(a), _like(a, [1.0, 2.0, 0.5, 1.5]),
                                                 reduction="sum"), [((5, 4), "any")]),
    "cross_entropy none smoothed": (
        lambda a: F.cross_entropy(a, _classes(a), reduction="none", label_smoothing=0.1),
        lambda t: lambda a: _tf(t).cross_entropy(a, _classes(a), reduction="none", label_smoothing=0.1),
        [((5, 4), "any")]),
    "cross_entropy probabilities": (
        lambda a: F.cross_entropy(a, xn.softmax(a.detach() * 0.5, 1)),
        lambda t: lambda a: _tf(t).cross_entropy(a, t.softmax(a.detach() * 0.5, 1)), [((5, 4), "any")]),
    "nll_loss": (lambda a: F.nll_loss(xn.log_softmax(a, 1), _classes(a)),
                 lambda t: lambda a: _tf(t).nll_loss(t.log_softmax(a, 1), _classes(a)), [((5, 4), "any")]),
    "getitem column": _same(lambda a: a[:, 0:1] * a[:, 1:2], [((5, 3), "any")]),
    "getitem column exp": _same(lambda a: a[:, 0:1].exp() * a[:, 1:2], [((5, 3), "any")]),
    "cat tanh": (lambda a: xn.cat([a[:, :1], a.tanh()], 1),
                 lambda t: lambda a: t.cat([a[:, :1], a.tanh()], 1), [((3, 2), "any")]),
    "getitem int": _same(lambda a: a[1] * a[:, 2].sum(), [((3, 4), "any")]),
    "getitem step none": _same(lambda a: a[None, ::2, 1] ** 2, [((5, 3), "any")]),
    "getitem ellipsis": _same(lambda a: a[..., 1] * a[0, ...], [((3, 3), "any")]),
    "getitem mask": _same(lambda a: a[a > 0] ** 3, [((3, 4), "any")]),
    "getitem rows": _same(lambda a: a[[2, 0, 2]] ** 2, [((3, 4), "any")]),
    "getitem rows cols": _same(lambda a: a[[0, 1, 1], [3, 0, 0]] ** 2, [((3, 4), "any")]),
    "getitem rows then slice": _same(lambda a: a[[1, 1], 1:] ** 2, [((3, 4), "any")]),
    "cat": (lambda a, b: xn.cat([a * b, a], 1) ** 2, lambda t: lambda a, b: t.cat([a * b, a], 1) ** 2,
            [((3, 2), "any"), ((3, 2), "any")]),
    "stack": (lambda a, b: xn.stack([a, b * a], 0) ** 2,
              lambda t: lambda a, b: t.stack([a, b * a], 0) ** 2, [((3, 2), "any"), ((3, 2), "any")]),
    "split": _same(lambda a: a.split(2, 1)[0] * a.split(2, 1)[1][:, :1], [((3, 4), "any")]),
    "unbind": (lambda a: xn.unbind(a, 1)[0] * xn.unbind(a, 1)[2],
               lambda t: lambda a: t.unbind(a, 1)[0] * t.unbind(a, 1)[2], [((3, 4), "any")]),
    "repeat": _same(lambda a: a.repeat(2, 3) ** 2, [((3, 2), "any")]),
    "flip": (lambda a: xn.flip(a, (1,)) * a, lambda t: lambda a: t.flip(a, (1,)) * a, [((3, 4), "any")]),
    "gather": (lambda a: xn.gather(a, 1, _idx(a, [[0, 2], [1, 1], [3, 0]])) ** 2,
               lambda t: lambda a: t.gather(a, 1, _idx(a, [[0, 2], [1, 1], [3, 0]])) ** 2,
               [((3, 4), "any")]),
    "index_select": (lambda a: xn.index_select(a, 1, _idx(a, [3, 0, 3])) ** 2,
                     lambda t: lambda a: t.index_select(a, 1, _idx(a, [3, 0, 3])) ** 2, [((3, 4), "any")]),
    "gelu": (F.gelu, lambda t: _tf(t).gelu, [((3, 4), "any")]),
    "gelu tanh": (lambda a: F.gelu(a, approximate="tanh"),
                  lambda t: lambda a: _tf(t).gelu(a, approximate="tanh"), [((3, 4), "any")]),
    "leaky_relu": (F.leaky_relu, lambda t: _tf(t).leaky_relu, [((3, 4), "any")]),
    "leaky_relu negative slope": (lambda a: F.leaky_relu(a * a * a, -0.3),
                                  lambda t: lambda a: _tf(t).leaky_relu(a * a * a, -0.3), [((3, 4), "any")]),
    "linear+leaky_relu": (lambda x, w, b: F.linear(x, w, b, activation="leaky_relu", negative_slope=0.2),
                          lambda t: lambda x, w, b: _tf(t).leaky_relu(_tf(t).linear(x, w, b), 0.2),
                          [((5, 3), "any"), ((4, 3), "any"), ((4,), "any")]),
    "linear+leaky_relu 3-d": (lambda x, w: F.linear(x, w, None, activation="leaky_relu"),
                              lambda t: lambda x, w: _tf(t).leaky_relu(_tf(t).linear(x, w)),
                              [((2, 5, 3), "any"), ((4, 3), "any")]),
    "linear+gelu_tanh": (lambda x, w, b: F.linear(x, w, b, activation="gelu_tanh"),
                         lambda t: lambda x, w, b: _tf(t).gelu(_tf(t).linear(x, w, b), approximate="tanh"),
                         [((5, 3), "any"), ((4, 3), "any"), ((4,), "any")]),
    "elu": (lambda a: F.elu(a, 0.7), lambda t: lambda a: _tf(t).elu(a, 0.7), [((3, 4), "any")]),
    "selu": (F.selu, lambda t: _tf(t).selu, [((3, 4), "any")]),
    "silu": (F.silu, lambda t: _tf(t).silu, [((3, 4), "any")]),
    "mish": (F.mish, lambda t: _tf(t).mish, [((3, 4), "any")]),
    "softplus": (F.softplus, lambda t: _tf(t).softplus, [((3, 4), "any")]),
    "softplus beta threshold": (lambda a: F.softplus(a * 3, 0.5, 1.0),
                                lambda t: lambda a: _tf(t).softplus(a * 3, 0.5, 1.0), [((3, 4), "any")]),
    "logsigmoid": (F.logsigmoid, lambda t: _tf(t).logsigmoid, [((3, 4), "any")]),
    "tanhshrink": (F.tanhshrink, lambda t: _tf(t).tanhshrink, [((3, 4), "any")]),
    "celu": (lambda a: F.celu(a * 2, 0.7), lambda t: lambda a: _tf(t).celu(a * 2, 0.7), [((3, 4), "any")]),
    "hardswish": (lambda a: F.hardswish(a * 3), lambda t: lambda a: _tf(t).hardswish(a * 3),
                  [((3, 4), "any")]),
    "softshrink": (lambda a: F.softshrink(a * a * a, 0.3),
                   lambda t: lambda a: _tf(t).softshrink(a * a * a, 0.3), [((3, 4), "any")]),
    "hardshrink": (lambda a: F.hardshrink(a, 0.3) * a, lambda t: lambda a: _tf(t).hardshrink(a, 0.3) * a,
                   [((3, 4), "any")]),
    "threshold": (lambda a: F.threshold(a * a * a, 0.2, -1.5),
                  lambda t: lambda a: _tf(t).threshold(a * a * a, 0.2, -1.5), [((3, 4), "any")]),
    "rrelu eval": (lambda a: F.rrelu(a * a * a, 0.1, 0.3),
                   lambda t: lambda a: _tf(t).rrelu(a * a * a, 0.1, 0.3), [((3, 4), "any")]),
    "soft_margin_loss": (lambda x: F.soft_margin_loss(x * x, (x.detach() > 0) * 2.0 - 1),
                         lambda t: lambda x: _tf(t).soft_margin_loss(x * x, (x.detach() > 0) * 2.0 - 1),
                         [((3, 4), "any")]),
    "bce_with_logits pos_weight": (
        lambda x, y: F.binary_cross_entropy_with_logits(x, y, pos_weight=_like(x, [0.5, 2.0, 1.0, 3.0])),
        lambda t: lambda x, y: _tf(t).binary_cross_entropy_with_logits(
            x, y, pos_weight=_like(x, [0.5, 2.0, 1.0, 3.0])), [((3, 4), "any"), ((3, 4), "prob")]),
    "pad constant": (lambda a: F.pad(a.exp(), (1, 2, -1, 1), value=0.5),
                     lambda t: lambda a: _tf(t).pad(a.exp(), (1, 2, -1, 1), value=0.5), [((2, 3, 4), "any")]),
    "pad reflect": (lambda a: F.pad(a * a * a, (2, 1), mode="reflect"),
                    lambda t: lambda a: _tf(t).pad(a * a * a, (2, 1), mode="reflect"), [((2, 3, 4), "any")]),
    "tril": _same(lambda a: (a * a * a).tril(-1), [((3, 4), "any")]),
    "triu_ in place": _same(lambda a: (a * a * a).triu_(1) * a, [((3, 4), "any")]),
    "nan_to_num": _same(lambda a: (a * a * a).nan_to_num() * a, [((3, 4), "any")]),
    "fmod": _same(lambda a, b: (a * a).fmod(b) * a, [((3, 4), "any"), ((4,), "pos")]),
    "fmod number": _same(lambda a: (a * a).fmod(-0.7) * a.exp(), [((3, 4), "any")]),
    # torch has no double backward of cdist: its formula in torch primitives (no zero distance)
    "cdist vs formula": (lambda a, b: xn.cdist(a, b),
                         lambda t: lambda a, b: ((a[:, None] - b[None]) ** 2).sum(-1).sqrt(),
                         [((3, 4), "any"), ((2, 4), "any")]),
    "cdist batched vs formula": (
        lambda a, b: xn.cdist(a, b),
        lambda t: lambda a, b: ((a[..., None, :] - b[..., None, :, :]) ** 2).sum(-1).sqrt(),
        [((2, 3, 2), "any"), ((1, 4, 2), "any")]),
    "cdist p=3 vs formula": (lambda a, b: xn.cdist(a, b, 3.0),
                             lambda t: lambda a, b: ((a[:, None] - b[None]).abs() ** 3).sum(-1) ** (1 / 3),
                             [((3, 4), "any"), ((2, 4), "any")]),
    "cdist p=0.5 vs formula": (lambda a, b: xn.cdist(a, b, 0.5),
                               lambda t: lambda a, b: ((a[:, None] - b[None]).abs() ** 0.5).sum(-1) ** 2,
                               [((3, 4), "any"), ((2, 4), "any")]),
    "cdist p=1 vs formula": (lambda a, b: xn.cdist(a * a, b, 1.0),
                             lambda t: lambda a, b: (a[:, None] * a[:, None] - b[None]).abs().sum(-1),
                             [((3, 4), "any"), ((2, 4), "any")]),
    "cdist p=inf vs formula": (lambda a, b: xn.cdist(a * a, b, float("inf")),
                               lambda t: lambda a, b: (a[:, None] * a[:, None] - b[None]).abs().amax(-1),
                               [((3, 4), "any"), ((2, 4), "any")]),
    "floor": _same(lambda a: a.floor() * a + a.round() + a.sign() * a * a, [((3, 4), "any")]),
    "softsign": (F.softsign, lambda t: _tf(t).softsign, [((3, 4), "any")]),
    "hardtanh": (lambda a: F.hardtanh(a * 2, -1.5, 1.0) * a,
                 lambda t: lambda a: _tf(t).hardtanh(a * 2, -1.5, 1.0) * a, [((3, 4), "any")]),
    "relu6": (lambda a: F.relu6(a * 4) * a, lambda t: lambda a: _tf(t).relu6(a * 4) * a, [((3, 4), "any")]),
    "prelu": (F.prelu, lambda t: _tf(t).prelu, [((2, 3, 4), "any"), ((3,), "any")]),
    "prelu shared": (lambda x, w: F.prelu(x * x * x, w), lambda t: lambda x, w: _tf(t).prelu(x * x * x, w),
                     [((3, 4), "any"), ((1,), "any")]),
    "clamp numbers": _same(lambda a: a.clamp(-0.5, 0.8) * a, [((3, 4), "any")]),
    "clamp min": _same(lambda a: a.clamp(min=-0.2) ** 2, [((3, 4), "any")]),
    "clamp tensors": (lambda a, lo, hi: xn.clamp(a * a, lo, hi) * a,
                      lambda t: lambda a, lo, hi: t.clamp(a * a, lo, hi) * a,
                      [((3, 4), "any"), ((4,), "any"), ((3, 1), "pos")]),
    "amax": (lambda a: xn.max(a, (1,)) * a.sum(1), lambda t: lambda a: t.amax(a, 1) * a.sum(1),
             [((3, 4), "any")]),
    "amin tuple": (lambda a: xn.min(a, (0, 2)) ** 3, lambda t: lambda a: t.amin(a, (0, 2)) ** 3,
                   [((3, 4, 2), "any")]),
    "max all": _same(lambda a: a.max() * a, [((3, 4), "any")]),
    "max dim": _same(lambda a: a.max(1).values ** 3, [((3, 4), "any")]),
    "min dim keepdim": _same(lambda a: a.min(0, keepdim=True)[0] * a, [((3, 4), "any")]),
    "logsumexp": _same(lambda a: a.logsumexp(1), [((3, 4), "any")]),
    "logsumexp keepdim": _same(lambda a: a.logsumexp((0, 1), keepdim=True) * a, [((3, 4), "any")]),
    "var": _same(lambda a: a.var(), [((3, 4), "any")]),
    "var dim": _same(lambda a: a.var(1, keepdim=True) * a, [((3, 4), "any")]),
    "var correction 0": _same(lambda a: a.var(0, correction=0), [((3, 4), "any")]),
    "std": _same(lambda a: a.std(), [((3, 4), "any")]),
    "std dim": _same(lambda a: a.std(1) ** 3, [((3, 4), "any")]),
    "binary_cross_entropy": (lambda p: F.binary_cross_entropy(p, 1 - p.detach() * 0.7),
                             lambda t: lambda p: _tf(t).binary_cross_entropy(p, 1 - p.detach() * 0.7),
                             [((3, 4), "prob")]),
    "binary_cross_entropy sum": (
        lambda p: F.binary_cross_entropy(p, p.detach() * 0.5, reduction="sum"),
        lambda t: lambda p: _tf(t).binary_cross_entropy(p, p.detach() * 0.5, reduction="sum"),
        [((3, 4), "prob")]),
    "bce_with_logits": (F.binary_cross_entropy_with_logits, lambda t: _tf(t).binary_cross_entropy_with_logits,
                        [((3, 4), "any"), ((3, 4), "prob")]),
    "bce_with_logits none": (
        lambda x, y: F.binary_cross_entropy_with_logits(x, y, reduction="none"),
        lambda t: lambda x, y: _tf(t).binary_cross_entropy_with_logits(x, y, reduction="none"),
        [((3, 4), "any"), ((3, 4), "prob")]),
    "smooth_l1_loss": (lambda x, y: F.smooth_l1_loss(x, y, beta=0.8),
                       lambda t: lambda x, y: _tf(t).smooth_l1_loss(x, y, beta=0.8),
                       [((4, 5), "any"), ((4, 5), "any")]),
    "smooth_l1_loss sum beta 0": (
        lambda x, y: F.smooth_l1_loss(x * x, y, reduction="sum", beta=0.0),
        lambda t: lambda x, y: _tf(t).smooth_l1_loss(x * x, y, reduction="sum", beta=0.0),
        [((4, 5), "any"), ((4, 5), "any")]),
    "huber_loss": (lambda x, y: F.huber_loss(x, y, delta=0.7),
                   lambda t: lambda x, y: _tf(t).huber_loss(x, y, delta=0.7),
                   [((4, 5), "any"), ((4, 5), "any")]),
    "l1_loss": (lambda x, y: F.l1_loss(x * x, y), lambda t: lambda x, y: _tf(t).l1_loss(x * x, y),
                [((4, 5), "any"), ((4, 5), "any")]),
    "layer_norm": (lambda x, w, b: F.layer_norm(x, (4,), w, b),
                   lambda t: lambda x, w, b: _tf(t).layer_norm(x, (4,), w, b),
                   [((3, 4), "any"), ((4,), "any"), ((4,), "any")]),
    # torch's own layer_norm has a wrong 4th derivative (finite differences of its 3rd give 0,
    # it gives -2.7...): the higher orders are checked against the formula in torch primitives.
    "layer_norm vs formula": (lambda x, w, b: F.layer_norm(x, (4,), w, b),
                              lambda t: lambda x, w, b: (x - x.mean(-1, keepdim=True)) * t.rsqrt(
                                  x.var(-1, correction=0, keepdim=True) + 1e-5) * w + b,
                              [((3, 4), "any"), ((4,), "any"), ((4,), "any")]),
    "layer_norm 2 axes no affine": (lambda x: F.layer_norm(x, (3, 2), eps=0.1),
                                    lambda t: lambda x: _tf(t).layer_norm(x, (3, 2), eps=0.1),
                                    [((2, 3, 2), "any")]),
    "layer_norm weight only": (lambda x, w: F.layer_norm(x * x, (4,), w),
                               lambda t: lambda x, w: _tf(t).layer_norm(x * x, (4,), w),
                               [((3, 4), "any"), ((4,), "any")]),
    "take_along_dim": (lambda a: xn.take_along_dim(a, _idx(a, [[0, 2], [1, 1], [3, 0]]), 1) ** 2,
                       lambda t: lambda a: t.take_along_dim(a, _idx(a, [[0, 2], [1, 1], [3, 0]]), 1) ** 2,
                       [((3, 4), "any")]),
    "index_add": (lambda a, s: xn.index_add(a * a, 0, _idx(a, [2, 0, 2]), s * a[:1], alpha=0.5) ** 2,
                  lambda t: lambda a, s: t.index_add(a * a, 0, _idx(a, [2, 0, 2]), s * a[:1], alpha=0.5) ** 2,
                  [((3, 4), "any"), ((3, 4), "any")]),
    "scatter_add": (lambda a, s: xn.scatter_add(a, 1, _idx(a, [[0, 0], [3, 1]]), s * s) ** 2,
                    lambda t: lambda a, s: t.scatter_add(a, 1, _idx(a, [[0, 0], [3, 1]]), s * s) ** 2,
                    [((2, 4), "any"), ((2, 2), "any")]),
    "scatter": (lambda a, s: xn.scatter(a, 1, _idx(a, [[0, 2], [3, 1]]), s * s) ** 2,
                lambda t: lambda a, s: t.scatter(a, 1, _idx(a, [[0, 2], [3, 1]]), s * s) ** 2,
                [((2, 4), "any"), ((2, 2), "any")]),
    "masked_select": (lambda a: xn.masked_select(a, a > 0) ** 3,
                      lambda t: lambda a: t.masked_select(a, a > 0) ** 3, [((3, 4), "any")]),
    "sort": (lambda a: xn.sort(a * a * a, 1).values * a,
             lambda t: lambda a: t.sort(a * a * a, 1).values * a, [((3, 4), "any")]),
    "topk": (lambda a: xn.topk(a, 2, 0).values ** 3, lambda t: lambda a: t.topk(a, 2, 0).values ** 3,
             [((3, 4), "any")]),
    "cast": _same(lambda a: (a.float().double() * a) ** 2, [((3, 4), "any")]),
    "cumsum": (lambda a: xn.cumsum(a * a, 1) * a, lambda t: lambda a: t.cumsum(a * a, 1) * a,
               [((3, 4), "any")]),
    "embedding": (lambda w: F.embedding(_idx(w, [[0, 2], [2, 1]]), w) ** 3,
                  lambda t: lambda w: _tf(t).embedding(_idx(w, [[0, 2], [2, 1]]), w) ** 3, [((3, 4), "any")]),
    "embedding padding": (
        lambda w: F.embedding(_idx(w, [[0, 2], [2, 1]]), w, padding_idx=2) ** 3,
        lambda t: lambda w: _tf(t).embedding(_idx(w, [[0, 2], [2, 1]]), w, padding_idx=2) ** 3,
        [((3, 4), "any")]),
    "kl_div": (lambda x, y: F.kl_div(x * x, y, reduction="batchmean"),
               lambda t: lambda x, y: _tf(t).kl_div(x * x, y, reduction="batchmean"),
               [((3, 4), "any"), ((3, 4), "prob")]),
    "kl_div log_target sum": (
        lambda x, y: F.kl_div(x * x, y, reduction="sum", log_target=True),
        lambda t: lambda x, y: _tf(t).kl_div(x * x, y, reduction="sum", log_target=True),
        [((3, 4), "any"), ((3, 4), "any")]),
    "poisson_nll_loss": (F.poisson_nll_loss, lambda t: _tf(t).poisson_nll_loss,
                         [((3, 4), "any"), ((3, 4), "pos")]),
    "poisson_nll_loss rate full": (
        lambda x, y: F.poisson_nll_loss(x, y * 2, log_input=False, full=True, reduction="sum"),
        lambda t: lambda x, y: _tf(t).poisson_nll_loss(x, y * 2, log_input=False, full=True, reduction="sum"),
        [((3, 4), "pos"), ((3, 4), "pos")]),
    "margin_ranking_loss": (
        lambda a, b: F.margin_ranking_loss(a * a, b, (a.detach() > 0) * 2.0 - 1, margin=0.3),
        lambda t: lambda a, b: _tf(t).margin_ranking_loss(a * a, b, (a.detach() > 0) * 2.0 - 1, margin=0.3),
        [((3, 4), "any"), ((3, 4), "any")]),
    "batch_norm": (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                   lambda t: lambda x, w, b: _tf(t).batch_norm(x, None, None, w, b, training=True),
                   [((4, 3, 2), "any"), ((3,), "any"), ((3,), "any")]),
    "batch_norm 2-d no affine": (
        lambda x: F.batch_norm(x * x, None, None, training=True, eps=0.1),
        lambda t: lambda x: _tf(t).batch_norm(x * x, None, None, training=True, eps=0.1),
        [((5, 3), "any")]),
    # torch's own batch_norm has a wrong 3rd derivative (of sum(batch_norm(x)), which is 0 for
    # every x, it gives nonzero values): the higher orders are checked against the formula.
    "batch_norm cubed vs formula": (
        lambda x: F.batch_norm(x, None, None, training=True, eps=0.1) ** 3,
        lambda t: lambda x: ((x - x.mean(0)) * t.rsqrt(x.var(0, correction=0) + 0.1)) ** 3,
        [((5, 3), "any")]),
    "batch_norm eval": (
        lambda x, w, b: F.batch_norm(x * x, _like(x, [0.1, -0.2, 0.3]), _like(x, [1.5, 0.5, 2.0]), w, b),
        lambda t: lambda x, w, b: _tf(t).batch_norm(x * x, _like(x, [0.1, -0.2, 0.3]),
                                                    _like(x, [1.5, 0.5, 2.0]), w, b),
        [((4, 3), "any"), ((3,), "any"), ((3,), "any")]),
    "remainder": _same(lambda a, b: (a * a) % b * a, [((3, 4), "any"), ((4,), "pos")]),
    "remainder scalar": _same(lambda a: (a * a) % 0.7 * a, [((3, 4), "any")]),
    "ensemble_linear": (lambda x, w, b: F.ensemble_linear(x, w, b),
                        lambda t: lambda x, w, b: x @ w.mT + b[:, None],
                        [((2, 5, 3), "any"), ((2, 4, 3), "any"), ((2, 4), "any")]),
    "ensemble_linear shared x +tanh": (lambda x, w: F.ensemble_linear(x, w, None, activation="tanh"),
                                       lambda t: lambda x, w: t.tanh(x @ w.mT),
                                       [((5, 3), "any"), ((2, 4, 3), "any")]),
    "ensemble_linear +leaky_relu": (
        lambda x, w, b: F.ensemble_linear(x, w, b, activation="leaky_relu", negative_slope=0.1),
        lambda t: lambda x, w, b: _tf(t).leaky_relu(x @ w.mT + b[:, None], 0.1),
        [((2, 5, 3), "any"), ((2, 4, 3), "any"), ((2, 4), "any")]),
    "asin": (xn.asin, lambda t: t.asin, [((3, 4), "unit")]),
    "acos": (xn.acos, lambda t: t.acos, [((3, 4), "unit")]),
    "atan": (xn.atan, lambda t: t.atan, [((3, 4), "any")]),
    "sinh": (xn.sinh, lambda t: t.sinh, [((3, 4), "any")]),
    "cosh": (xn.cosh, lambda t: t.cosh, [((3, 4), "any")]),
    "asinh": (xn.asinh, lambda t: t.asinh, [((3, 4), "any")]),
    "acosh": (xn.acosh, lambda t: t.acosh, [((3, 4), "gt1")]),
    "atanh": (xn.atanh, lambda t: t.atanh, [((3, 4), "unit")]),
    "exp2": (xn.exp2, lambda t: t.exp2, [((3, 4), "any")]),
    "erf": (xn.erf, lambda t: t.erf, [((3, 4), "any")]),
    "erfc": (xn.erfc, lambda t: t.erfc, [((3, 4), "any")]),
    "erfinv": (xn.erfinv, lambda t: t.erfinv, [((3, 4), "unit")]),
    "logit": (xn.logit, lambda t: t.logit, [((3, 4), "prob")]),
    "logit eps": (lambda a: xn.logit(a, 0.2), lambda t: lambda a: t.logit(a, 0.2), [((3, 4), "prob")]),
    "atan2": (xn.atan2, lambda t: t.atan2, [((3, 4), "any"), ((3, 4), "any")]),
    "atan2 broadcast": (xn.atan2, lambda t: t.atan2, [((3, 4), "any"), ((4,), "pos")]),
    "prod": _same(lambda a: a.prod(1) * a[:, 0], [((3, 4), "any")]),
    "prod all": _same(lambda a: a.prod(), [((2, 3), "any")]),
    # zeros pinned where _ZEROS is 1 (row 0: two, row 1: one, row 2: none): torch's prod is
    # exact there to every order (its rule under grad mode), so must ours be
    "prod at zeros": _same(lambda a: _pinned(a).prod(1), [((3, 4), "any")]),
    "prod all at a zero": _same(lambda a: _pinned(a)[1:].prod(), [((3, 4), "any")]),
    "prod keepdim at zeros": _same(lambda a: _pinned(a).prod(0, keepdim=True) * a, [((3, 4), "any")]),
    "cumprod": _same(lambda a: a.cumprod(1) * a, [((3, 4), "any")]),
    "cumprod at zeros": _same(lambda a: _pinned(a).cumprod(1), [((3, 4), "any")]),
    "cumprod dim 0 at zeros": _same(lambda a: _pinned(a).cumprod(0) * a, [((3, 4), "any")]),
    "scatter_reduce prod at a zero": _same(
        lambda s, a: a.scatter_reduce(1, _idx(a, [[0, 0, 2], [1, 1, 1]]), _pinned(s, [[1, 0, 0], [0, 0, 1]]),
                                      "prod"), [((2, 3), "any"), ((2, 3), "any")]),
    "scatter_reduce prod include_self=False": _same(
        lambda s, a: a.scatter_reduce(0, _idx(a, [[0, 1], [0, 0], [2, 1]]), s * s, "prod",
                                      include_self=False),
        [((3, 2), "any"), ((3, 2), "any")]),
    "scatter_reduce mean": _same(
        lambda s, a: a.scatter_reduce(0, _idx(a, [[0, 1], [0, 0], [2, 1]]), s * s, "mean") ** 2,
        [((3, 2), "any"), ((3, 2), "any")]),
    "scatter_reduce amax": _same(
        lambda s, a: a.scatter_reduce(0, _idx(a, [[0, 1], [0, 0], [2, 1]]), s * s, "amax") ** 2,
        [((3, 2), "any"), ((3, 2), "any")]),
    "median": _same(lambda a: a.median() * a, [((3, 5), "any")]),
    "mse_loss": (F.mse_loss, lambda t: _tf(t).mse_loss, [((5, 2), "any"), ((5, 2), "any")]),
    "mse_loss sum": (lambda x, y: F.mse_loss(x, y, reduction="sum"),
                     lambda t: lambda x, y: _tf(t).mse_loss(x, y, reduction="sum"),
                     [((5, 2), "any"), ((5, 2), "any")]),
    "mse_loss none": (lambda x, y: F.mse_loss(x, y, reduction="none"),
                      lambda t: lambda x, y: _tf(t).mse_loss(x, y, reduction="none"),
                      [((5, 2), "any"), ((5, 2), "any")]),
}

# linalg (inputs "invertible": A + 3 I; "spd": A A^T + I, whose log-determinant is real)
CASES.update({
    "inv": (lambda a: xn.linalg.inv(a), lambda t: t.linalg.inv, [((3, 3), "invertible")]),
    "inv batched method": _same(lambda a: a.inverse() * a, [((2, 3, 3), "invertible")]),
    "solve": (xn.linalg.solve, lambda t: t.linalg.solve, [((3, 3), "invertible"), ((3, 2), "any")]),
    "solve vector broadcast": (xn.linalg.solve, lambda t: t.linalg.solve,
                               [((2, 3, 3), "invertible"), ((3,), "any")]),
    "solve left=False": (lambda a, b: xn.linalg.solve(a, b * b, left=False),
                         lambda t: lambda a, b: t.linalg.solve(a, b * b, left=False),
                         [((3, 3), "invertible"), ((2, 3), "any")]),
    # det(a * a): det(A + t 11^T) is linear in t, so the repeated derivatives of det(A) itself
    # (along ones) vanish from the third on
    "det": (lambda a: xn.linalg.det(a * a), lambda t: lambda a: t.linalg.det(a * a),
            [((3, 3), "invertible")]),
    "det batched": _same(lambda a: a.det() ** 2, [((2, 3, 3), "invertible")]),
    "slogdet": (lambda a: xn.linalg.slogdet(a).logabsdet, lambda t: lambda a: t.linalg.slogdet(a).logabsdet,
                [((2, 3, 3), "invertible")]),
    "logdet": _same(lambda a: a.logdet(), [((3, 3), "spd")]),
    "matrix_norm nuc": (lambda a: xn.linalg.matrix_norm(a, "nuc"),
                        lambda t: lambda a: t.linalg.matrix_norm(a, "nuc"), [((2, 3, 4), "any")]),
    "matrix_norm 2": (lambda a: xn.linalg.matrix_norm(a, 2), lambda t: lambda a: t.linalg.matrix_norm(a, 2),
                      [((4, 3), "any")]),
    "matrix_norm -2 dims keepdim": (lambda a: xn.linalg.matrix_norm(a, -2, (2, 0), True),
                                    lambda t: lambda a: t.linalg.matrix_norm(a, -2, (2, 0), True),
                                    [((3, 2, 4), "any")]),
})


def _classes(a: Any) -> Any:
    """Class indices 0..3 for the rows of ``a``, in ``a``'s library and device (int64)."""
    rows = [k % 4 for k in range(a.shape[0])]
    if isinstance(a, xn.Tensor):
        return xn.tensor(rows, dtype=xn.int64, device=a.device)
    import torch

    return torch.tensor(rows)


def _idx(a: Any, rows: list[Any]) -> Any:
    """``rows`` as an int64 index tensor of ``a``'s kind and device."""
    if isinstance(a, xn.Tensor):
        return xn.tensor(rows, dtype=xn.int64, device=a.device)
    import torch

    return torch.tensor(rows)


_ZEROS = [[1, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 0]]


def _pinned(a: Any, where: list[Any] = _ZEROS) -> Any:
    """``a`` less its own values (a constant) where ``where`` is 1: exact zeros there, of
    derivative 1 (``a``'s kind, dtype and device)."""
    return a - a.detach() * _like(a, where)


def _like(a: Any, values: list[float]) -> Any:
    """``values`` as a tensor of ``a``'s kind, dtype and device."""
    if isinstance(a, xn.Tensor):
        return xn.tensor(values, dtype=a.dtype, device=a.device)
    import torch

    return torch.tensor(values, dtype=a.dtype)


def _values(name: str, specs: list[tuple[tuple[int, ...], str]]) -> list[np.ndarray]:
    rng = np.random.default_rng(sum(map(ord, name)))
    out = []
    for shape, kind in specs:
        v = rng.standard_normal(shape)
        if kind == "pos":
            v = 0.5 + np.abs(v)
        elif kind == "unit":  # inside (-1, 1), away from the ends
            v = np.tanh(v) * 0.9
        elif kind == "prob":  # inside (0, 1), away from the ends
            v = 0.05 + 0.9 / (1 + np.exp(-v))
        elif kind == "gt1":
            v = 1.2 + np.abs(v)
        elif kind == "invertible":  # well conditioned
            v = v + 3 * np.eye(shape[-1])
        elif kind == "spd":  # symmetric positive definite
            v = v @ np.swapaxes(v, -1, -2) + np.eye(shape[-1])
        out.append(v)
    return out


def _second_order(lib: Any, op: Callable[..., Any], inputs: list[Any], r: Any, v: list[Any]) -> list[Any]:
    """[first gradients..., Hessian-vector products...] of ``L = sum(r * out * out)``."""
    out = op(*inputs)
    loss = (r * out * out).sum()
    first = lib.autograd.grad(loss, inputs, create_graph=True)
    dot = sum((g * w).sum() for g, w in zip(first, v))
    second = lib.autograd.grad(dot, inputs, allow_unused=True)
    return [*first, *second]


@pytest.mark.parametrize("name", list(CASES))
def test_second_derivatives_match_torch(xp, torch, name):
    op, torch_op, specs = CASES[name]
    values = _values(name, specs)
    rng = np.random.default_rng(1)
    shape = np.asarray(torch_op(torch)(*(torch.tensor(a) for a in values)).detach()).shape
    r = rng.standard_normal(shape)
    v = [rng.standard_normal(a.shape) for a in values]
    ours = _second_order(xn, op, [xp.tensor(a, "float64", requires_grad=True) for a in values],
                         xp.tensor(r, "float64"), [xp.tensor(w, "float64") for w in v])
    theirs = _second_order(torch, torch_op(torch), [torch.tensor(a, requires_grad=True) for a in values],
                           torch.tensor(r), [torch.tensor(w) for w in v])
    for k, (a, b) in enumerate(zip(ours, theirs)):
        if b is None:  # torch: this input does not reach the product
            assert a is None, f"gradient {k}: torch gives None"
            continue
        assert xp.same_place(a), f"gradient {k} left the backend"
        np.testing.assert_allclose(xp.numpy(a), b.detach().numpy(), rtol=RTOL, atol=ATOL,
                                   err_msg=f"{name}: gradient {k}")


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "tanh", "sigmoid", "pow fraction", "pow tensors",
                                  "rdiv scalar", "sin", "tan", "log1p",
                                  "asin", "atanh", "erf", "erfinv", "getitem column exp", "cat tanh",
                                  "gelu", "gelu tanh", "elu", "silu", "mish", "softsign",
                                  "softplus", "logsumexp",
                                  "std dim", "binary_cross_entropy", "bce_with_logits",
                                  "layer_norm vs formula", "batch_norm cubed vs formula",
                                  "inv", "solve", "solve vector broadcast", "det",
                                  "slogdet", "logdet", "matrix_norm nuc", "matrix_norm 2",
                                  "prod", "prod at zeros", "prod all at a zero", "prod keepdim at zeros",
                                  "cumprod", "cumprod at zeros", "cumprod dim 0 at zeros",
                                  "scatter_reduce prod at a zero", "scatter_reduce prod include_self=False",
                                  "logsigmoid", "tanhshrink", "celu", "pad constant",
                                  "fmod number", "cdist vs formula", "cdist p=3 vs formula"])
def test_third_and_fourth_derivatives_match_torch(xp, torch, name):
    op, torch_op, specs = CASES[name]
    values = _values(name, specs)

    def derivatives(lib: Any, op: Callable[..., Any], inputs: list[Any]) -> list[Any]:
        y = op(*inputs).sum()
        found = []
        for _ in range(4):  # d^k/dx^k of y, summed to a scalar each time
            (y,) = lib.autograd.grad(y, inputs[:1], create_graph=True)
            found.append(y)
            y = y.sum()
        return found

    ours = derivatives(xn, op, [xp.tensor(a, "float64", requires_grad=True) for a in values])
    theirs = derivatives(torch, torch_op(torch), [torch.tensor(a, requires_grad=True) for a in values])
    for k, (a, b) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(xp.numpy(a), b.detach().numpy(), rtol=RTOL, atol=ATOL,
                                   err_msg=f"{name}: derivative {k + 1}")


def test_backward_create_graph_leaves_grads_with_a_graph(xp, torch):
    values = np.array([0.3, -1.2, 2.0])
    x = xp.tensor(values, "float64", requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)  # x.grad = 3 x^2, itself differentiable
    assert x.grad is not None and x.grad.requires_grad
    first = xp.numpy(x.grad)
    x.grad.sum().backward()  # adds d(sum 3 x^2)/dx = 6 x to x.grad
    xt = torch.tensor(values, requires_grad=True)
    with warnings.catch_warnings():  # torch warns (once) of the cycle x -> x.grad -> graph -> x
        warnings.simplefilter("ignore", UserWarning)
        (xt ** 3).sum().backward(create_graph=True)
    np.testing.assert_allclose(first, xt.grad.detach().numpy(), rtol=RTOL)
    xt.grad.sum().backward()
    np.testing.assert_allclose(xp.numpy(x.grad), xt.grad.detach().numpy(), rtol=RTOL)


def test_backward_create_graph_inputs_only(xp, torch):
    a = xp.tensor([1.0, 2.0], "float64", requires_grad=True)
    b = xp.tensor([0.5, -1.0], "float64", requires_grad=True)
    (a * a * b).sum().backward(create_graph=True, inputs=[a])
    assert b.grad is None
    np.testing.assert_allclose(xp.numpy(a.grad), [1.0, -4.0])  # 2 a b
    assert a.grad.requires_grad


def test_unconverted_op_refuses_and_changes_no_grad(xp):
    x = xp.tensor([1.0, 2.0, 3.0], "float64", requires_grad=True)
    w = xp.tensor([0.5, 0.5, 0.5], "float64", requires_grad=True)
    loss = (_unconverted(x * w) * w).sum()
    with pytest.raises(NotImplementedError, match="double backward of 'twice' is not supported yet"):
        loss.backward(create_graph=True)
    assert x.grad is None and w.grad is None
    loss.backward()  # the first-order path is unaffected
    assert x.grad is not None and not x.grad.requires_grad


_GRAD_TARGETS = {  # losses whose target is differentiable too, as in torch: (lib, a, b, y) -> loss
    "margin_ranking_loss": lambda lib, a, b, y: lib.nn.functional.margin_ranking_loss(
        a * a, b, y * y * y, margin=0.3, reduction="sum"),
    "binary_cross_entropy": lambda lib, a, b, y: lib.nn.functional.binary_cross_entropy(
        lib.sigmoid(a * b), lib.sigmoid(y)),
}


@pytest.mark.parametrize("name", list(_GRAD_TARGETS))
def test_loss_target_that_requires_grad_matches_torch(xp, torch, name):
    values = [[1.0, -2.0, 0.5], [0.3, 1.5, -0.2], [1.0, -1.0, 0.8]]
    ours = [xp.tensor(v, "float64", requires_grad=True) for v in values]
    theirs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
    found = []
    for lib, inputs in ((xn, ours), (torch, theirs)):
        loss = _GRAD_TARGETS[name](lib, *inputs)
        grads = lib.autograd.grad(loss, inputs, create_graph=True)
        second = lib.autograd.grad(sum((g * g).sum() for g in grads), inputs)
        found.append([*grads, *second])
    for got, expected in zip(*found):
        np.testing.assert_allclose(xp.numpy(got), expected.detach().numpy(), rtol=RTOL, atol=ATOL)


def test_first_order_gradients_have_no_graph(xp):
    x = xp.tensor([1.0, 2.0], "float64", requires_grad=True)
    (g,) = xn.autograd.grad((x * x).sum(), [x])
    assert not g.requires_grad and g.is_leaf
    (g,) = xn.autograd.grad((x * x).sum(), [x], create_graph=True)
    assert g.requires_grad and not g.is_leaf


def _unconverted(x):
    """``2 x`` as an op whose rule is declared nowhere (so its double backward is refused)."""
    from xpnet.tensor import make_result

    def backward(g):
        return (g * 2,)

    return make_result(x.array * 2, x.xp, (x,), backward, "twice")


def test_create_graph_after_a_freeing_backward_raises_as_torch(xp, torch):
    for lib, x in ((xn, xp.tensor([1.0, 2.0], "float64", requires_grad=True)),
                   (torch, torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True))):
        loss = (lib.exp(x) * x).sum()
        loss.backward()
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            lib.autograd.grad(loss, [x], create_graph=True)


def test_create_graph_refuses_values_changed_in_place(xp):
    x = xp.tensor([1.0, 2.0], "float64", requires_grad=True)
    w = xp.tensor([0.5, 3.0], "float64", requires_grad=True)
    loss = (x * w).sum()
    with xn.no_grad():
        w *= 2
    with pytest.raises(RuntimeError, match="modified in place"):
        xn.autograd.grad(loss, [x], create_graph=True)


def test_create_graph_records_even_under_no_grad_as_torch(xp, torch):
    for lib, x in ((xn, xp.tensor([1.0, 2.0], "float64", requires_grad=True)),
                   (torch, torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True))):
        y = (x ** 3).sum()
        with lib.no_grad():
            (g,) = lib.autograd.grad(y, x, create_graph=True)
        assert g.requires_grad
        (h,) = lib.autograd.grad(g.sum(), x)
        assert h.tolist() == [6.0, 12.0]


def test_dropout_second_derivatives_match_torch_with_the_same_mask(xp, torch):
    values = np.random.default_rng(3).standard_normal((4, 5)) + 3.0  # nonzero: the mask is out / x
    x = xp.tensor(values, "float64", requires_grad=True)
    out = F.dropout(x * x, 0.4)
    mask = xp.numpy(out.detach()) / values ** 2
    assert 0 < np.count_nonzero(mask) < mask.size
    (g,) = xn.autograd.grad((out * out).sum(), [x], create_graph=True)
    (h,) = xn.autograd.grad((g * g).sum(), [x])
    xt = torch.tensor(values, requires_grad=True)
    ot = xt * xt * torch.tensor(mask)
    (gt,) = torch.autograd.grad((ot * ot).sum(), [xt], create_graph=True)
    (ht,) = torch.autograd.grad((gt * gt).sum(), [xt])
    np.testing.assert_allclose(xp.numpy(g), gt.detach().numpy(), rtol=RTOL)
    np.testing.assert_allclose(xp.numpy(h), ht.numpy(), rtol=RTOL)


@pytest.mark.parametrize("name", ["getitem column exp", "cat tanh", "gelu", "leaky_relu negative slope",
                                  "softplus beta threshold", "logsumexp keepdim", "std dim",
                                  "layer_norm", "batch_norm", "bce_with_logits", "smooth_l1_loss",
                                  "index_add", "erfinv", "norm p=3", "kl_div log_target sum",
                                  "solve left=False", "det batched", "matrix_norm -2 dims keepdim",
                                  "scatter_reduce mean",
                                  "celu", "logsigmoid", "pad constant", "cdist vs formula", "fmod"])
def test_gradgradcheck_finite_differences(xp, name):
    op, _, specs = CASES[name]
    inputs = tuple(xp.tensor(a, "float64", requires_grad=True) for a in _values(name, specs))
    assert xn.autograd.gradgradcheck(op, inputs)


_AT_ZEROS = np.array([[0.0, 1.5, 0.0, -0.7], [0.8, 0.0, 1.2, 2.0], [0.3, -1.1, 0.9, 1.4]])
_SLOTS = [[0, 1, 0, 1], [1, 1, 1, 0], [2, 0, 0, 0]]  # slot (0, 0) gets two zeros (torch refuses there)


@pytest.mark.parametrize("name", ["prod", "prod all", "cumprod", "cumprod dim 0", "scatter_reduce prod",
                                  "scatter_reduce prod include_self=False"])
def test_gradgradcheck_at_zeros(xp, name):
    """prod, cumprod, scatter_reduce prod at inputs with one and two zeros in a row (or slot):
    second derivatives against finite differences of the first (exact: polynomials)."""
    ops = {"prod": lambda a: a.prod(1), "prod all": lambda a: a[:, :3].prod(),
           "cumprod": lambda a: a.cumprod(1), "cumprod dim 0": lambda a: a.cumprod(0),
           "scatter_reduce prod": lambda a, s: a.scatter_reduce(1, _idx(a, _SLOTS), s, "prod"),
           "scatter_reduce prod include_self=False":
               lambda a, s: a.scatter_reduce(1, _idx(a, _SLOTS), s, "prod", include_self=False)}
    op = ops[name]
    values = [_AT_ZEROS] if "scatter" not in name else [_AT_ZEROS[::-1] + 0.5, _AT_ZEROS]
    inputs = tuple(xp.tensor(v, "float64", requires_grad=True) for v in values)
    assert xn.autograd.gradgradcheck(op, inputs)
