"""Every differentiable op of ``xpnet.functional`` through the harness of ``_gradcheck``.

Each case: the inputs (away from kinks), the op over xpnet Tensors, a NumPy
reference of the forward and, where the op is not written the same way in
torch, the torch equivalent. ``check_case`` checks forward, backward by float64
finite differences, namespace/device/dtype in float64 and float32, and torch.
The ops that are not deterministic functions of their inputs (dropout) or
that change dtype or device (``to``) have their own tests at the end.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pytest

import xpnet as xn
from _gradcheck import (
    SAME,
    Arg,
    Case,
    away,
    check_case,
    indices,
    mask,
    positive,
    probabilities,
    randn,
    uniform,
)
from _parity_cases import CASES as PARITY_CASES
from _parity_cases import TESTED_ELSEWHERE
from xpnet import functional as F


def A(values: Any, grad: bool = True) -> Arg:
    return Arg(np.asarray(values), grad)


def tF(name: str, *args: Any, **kwargs: Any) -> Any:
    """``torch.nn.functional.<name>(inputs..., *args, **kwargs)``, imported when called."""

    def call(*inputs: Any) -> Any:
        import torch.nn.functional as TF

        return getattr(TF, name)(*inputs, *args, **kwargs)

    return call


def tT(name: str, **kwargs: Any) -> Any:
    """``torch.<name>(inputs..., **kwargs)``, imported when called."""

    def call(*inputs: Any) -> Any:
        import torch

        return getattr(torch, name)(*inputs, **kwargs)

    return call


CASES: list[Case] = []


def case(id: str, op: Any, ref: Any, *args: Arg, torch: Any = SAME) -> None:
    CASES.append(Case(id, op, ref, list(args), torch))


# -- arithmetic, with broadcasting and Python scalars on either side ---------------------
BROADCAST = [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((4,), (2, 3, 4)), ((2, 3, 4), (4,)),
             ((2, 1, 4), (3, 1)), ((), (2, 3))]
for sa, sb in BROADCAST:
    tag = f"{sa}{sb}".replace(" ", "")
    case(f"add{tag}", lambda a, b: a + b, np.add, A(randn(*sa)), A(randn(*sb)))
    case(f"sub{tag}", lambda a, b: a - b, np.subtract, A(randn(*sa)), A(randn(*sb)))
    case(f"mul{tag}", lambda a, b: a * b, np.multiply, A(randn(*sa)), A(randn(*sb)))
    case(f"div{tag}", lambda a, b: a / b, np.divide, A(randn(*sa)), A(away(*sb, margin=0.5)))
    case(f"pow{tag}", lambda a, b: a**b, np.power, A(positive(*sa)), A(uniform(*sb)))
case("F.add", F.add, np.add, A(randn(3, 1)), A(randn(4)), torch=tT("add"))
case("F.sub", F.sub, np.subtract, A(randn(3, 1)), A(randn(4)), torch=tT("sub"))
case("F.mul", F.mul, np.multiply, A(randn(3, 1)), A(randn(4)), torch=tT("mul"))
case("F.div", F.div, np.divide, A(randn(3, 1)), A(positive(4)), torch=tT("div"))
case("F.pow", F.pow, np.power, A(positive(3, 1)), A(randn(4)), torch=tT("pow"))
case("add-one-input", lambda a, b: a + b, np.add, A(randn(3, 4)), A(randn(4), grad=False))
case("mul-one-input", lambda a, b: a * b, np.multiply, A(randn(3, 4), grad=False), A(randn(4)))

SCALAR_OPS = [
    ("t+s", lambda t: t + 2.5, lambda t: t + 2.5),
    ("s+t", lambda t: 2.5 + t, lambda t: 2.5 + t),
    ("t+int", lambda t: t + 2, lambda t: t + 2),
    ("t-s", lambda t: t - 1.5, lambda t: t - 1.5),
    ("s-t", lambda t: 1.5 - t, lambda t: 1.5 - t),
    ("t*s", lambda t: t * 0.3, lambda t: t * 0.3),
    ("s*t", lambda t: 0.3 * t, lambda t: 0.3 * t),
    ("int*t", lambda t: 3 * t, lambda t: 3 * t),
    ("t/s", lambda t: t / 3.0, lambda t: t / 3.0),
    ("t/int", lambda t: t / 3, lambda t: t / 3),
    ("s/t", lambda t: 2.0 / t, lambda t: 2.0 / t),
    ("t**2", lambda t: t**2, lambda t: t**2),
    ("t**3.0", lambda t: t**3.0, lambda t: t**3.0),
    ("t**0.5", lambda t: t**0.5, lambda t: t**0.5),
    ("t**-1.5", lambda t: t**-1.5, lambda t: t**-1.5),
    ("2**t", lambda t: 2.0**t, lambda t: 2.0**t),
    ("int**t", lambda t: 3**t, lambda t: 3.0**t),
    ("0.5**t", lambda t: 0.5**t, lambda t: 0.5**t),
]
for name, op, ref in SCALAR_OPS:
    case(f"scalar {name}", op, ref, A(positive(2, 3)))
case("t**2 negative base", lambda t: t**2, np.square, A(randn(2, 3)))
case("t**3 negative base", lambda t: t**3, lambda t: t**3, A(randn(2, 3)))
case("pow tensor**tensor same shape", F.pow, np.power, A(positive(2, 3)), A(uniform(2, 3)),
     torch=tT("pow"))

# -- elementwise functions ----------------------------------------------------------------
case("neg", lambda t: -t, np.negative, A(randn(2, 3)))
case("F.neg", F.neg, np.negative, A(randn(4)), torch=tT("neg"))
case("exp", F.exp, np.exp, A(uniform(2, 3)), torch=tT("exp"))
case("exp method", lambda t: t.exp(), np.exp, A(uniform(3)))
case("log", F.log, np.log, A(positive(2, 3, low=0.1, high=5.0)), torch=tT("log"))
case("log method", lambda t: t.log(), np.log, A(positive(3)))
case("sqrt", F.sqrt, np.sqrt, A(positive(2, 3, low=0.1, high=5.0)), torch=tT("sqrt"))
case("abs", F.abs, np.abs, A(away(2, 3)), torch=tT("abs"))
case("abs()", lambda t: abs(t), np.abs, A(away(5)))
case("clip both", lambda t: F.clip(t, -0.5, 0.5), lambda t: np.clip(t, -0.5, 0.5),
     A(np.array([-1.3, -0.7, -0.3, 0.0, 0.2, 0.45, 0.6, 1.9])),
     torch=lambda t: t.clamp(-0.5, 0.5))
case("clip min", lambda t: t.clip(min=-0.25), lambda t: np.clip(t, -0.25, None),
     A(np.array([[-1.0, -0.5, -0.1], [0.3, -0.3, 2.0]])), torch=lambda t: t.clamp(min=-0.25))
case("clip max", lambda t: t.clamp(max=0.25), lambda t: np.clip(t, None, 0.25),
     A(np.array([[-1.0, -0.5, 0.1], [0.3, -0.3, 2.0]])))
COND = mask(3, 4)
case("where", lambda c, a, b: F.where(c, a, b), np.where, A(COND), A(randn(3, 4)), A(randn(3, 4)),
     torch=tT("where"))
case("where broadcast", lambda c, a, b: F.where(c, a, b), np.where, A(COND), A(randn(3, 1)),
     A(randn(4)), torch=tT("where"))
case("where scalar b", lambda c, a: F.where(c, a, 0.5), lambda c, a: np.where(c, a, 0.5),
     A(COND), A(randn(3, 4)), torch=lambda c, a: __import__("torch").where(c, a, 0.5))
case("where scalar a", lambda c, b: F.where(c, -1.5, b), lambda c, b: np.where(c, -1.5, b),
     A(COND), A(randn(4)), torch=lambda c, b: __import__("torch").where(c, -1.5, b))

# -- matmul and linear ----------------------------------------------------------------------
MATMUL = [((3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,)), ((2, 3, 4), (2, 4, 5)),
          ((2, 3, 4), (4, 5)), ((3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2)),
          ((4,), (2, 4, 3)), ((2, 3, 4), (4,))]
for sa, sb in MATMUL:
    case(f"matmul{sa}@{sb}".replace(" ", ""), lambda a, b: a @ b, np.matmul,
         A(randn(*sa)), A(randn(*sb)))
case("F.matmul", F.matmul, np.matmul, A(randn(2, 3)), A(randn(3, 2)), torch=tT("matmul"))
case("xn.matmul one input", xn.matmul, np.matmul, A(randn(2, 3), grad=False), A(randn(3, 2)),
     torch=tT("matmul"))


def np_linear(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    out = x @ w.T
    return out if b is None else out + b


LINEAR = [(4,), (5, 4), (2, 5, 4), (2, 1, 3, 4)]
for sx in LINEAR:
    case(f"linear{sx}+bias".replace(" ", ""), F.linear, np_linear,
         A(randn(*sx)), A(randn(3, 4)), A(randn(3)), torch=tF("linear"))
    case(f"linear{sx}".replace(" ", ""), F.linear, np_linear, A(randn(*sx)), A(randn(3, 4)),
         torch=tF("linear"))
case("linear data input", F.linear, np_linear, A(randn(5, 4), grad=False), A(randn(3, 4)),
     A(randn(3)), torch=tF("linear"))
case("linear fixed weight", F.linear, np_linear, A(randn(5, 4)), A(randn(3, 4), grad=False),
     A(randn(3), grad=False), torch=tF("linear"))
case("linear+tanh fused", lambda x, w, b: F.linear(x, w, b, activation="tanh"),
     lambda x, w, b: np.tanh(np_linear(x, w, b)), A(randn(5, 4)), A(randn(3, 4)), A(randn(3)),
     torch=lambda x, w, b: tF("linear")(x, w, b).tanh())
case("ensemble_linear", F.ensemble_linear, lambda x, w, b: x @ np.swapaxes(w, -1, -2) + b[:, None, :],
     A(randn(2, 5, 4)), A(randn(2, 3, 4)), A(randn(2, 3)),
     torch=lambda x, w, b: x @ w.transpose(-1, -2) + b.unsqueeze(1))

# -- reductions -----------------------------------------------------------------------------
NP_REDUCE = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min}
TORCH_REDUCE = {"sum": "sum", "mean": "mean", "max": "amax", "min": "amin"}


def torch_reduce(name: str, axis: Any, keepdims: bool) -> Any:
    def call(t: Any) -> Any:
        import torch

        dim = () if axis is None and name in ("max", "min") else axis
        if dim is None:
            out = getattr(torch, TORCH_REDUCE[name])(t)
            return out.reshape((1,) * t.ndim) if keepdims else out
        return getattr(torch, TORCH_REDUCE[name])(t, dim=dim, keepdim=keepdims)

    return call


def values(out: Any) -> Any:
    """The values of ``max(x, dim)`` / ``min(x, dim)`` (a ``(values, indices)`` pair), or ``out``."""
    return out.values if isinstance(out, tuple) else out


for name in NP_REDUCE:
    for axis in (None, 0, -1, 1, (0, 2), (-1, 0, 1)):
        for keepdims in (False, True):
            case(f"{name}(axis={axis}, keepdims={keepdims})",
                 lambda t, n=name, a=axis, k=keepdims: values(getattr(t, n)(axis=a, keepdims=k)),
                 lambda t, n=name, a=axis, k=keepdims: NP_REDUCE[n](t, axis=a, keepdims=k),
                 A(randn(2, 3, 4)), torch=torch_reduce(name, axis, keepdims))
    case(f"F.{name} 1-D", getattr(F, name), NP_REDUCE[name], A(randn(5)),
         torch=torch_reduce(name, None, False))
case("sum dim=", lambda t: t.sum(dim=1), lambda t: t.sum(axis=1), A(randn(2, 3)),
     torch=lambda t: t.sum(dim=1))
case("mean list axis", lambda t: F.mean(t, axis=[0, 1]), lambda t: t.mean(axis=(0, 1)),
     A(randn(2, 3, 2)), torch=lambda t: t.mean(dim=(0, 1)))
# Ties: over all axes the gradient is shared equally among them (torch's max(), amax);
# along one dim it goes to the first index (torch's max(dim)).
TIES = np.array([[1.0, 3.0, 3.0, -2.0], [0.5, 0.5, -1.0, -1.0]])
for name in ("max", "min"):
    for axis in (None, 1):
        CASES.append(Case(f"{name} ties axis={axis}",
                          lambda t, n=name, a=axis: values(getattr(F, n)(t, a)),
                          lambda t, n=name, a=axis: NP_REDUCE[n](t, axis=a), [Arg(TIES)],
                          torch_reduce(name, None, False) if axis is None else
                          lambda t, n=name: getattr(__import__("torch"), n)(t, 1).values, fd=False))

# -- shapes and indexing ---------------------------------------------------------------------
case("reshape", lambda t: t.reshape(6, 4), lambda t: t.reshape(6, 4), A(randn(2, 3, 4)))
case("reshape tuple -1", lambda t: t.reshape((4, -1)), lambda t: t.reshape(4, -1),
     A(randn(2, 3, 4)))
case("F.reshape flat", lambda t: F.reshape(t, (-1,)), lambda t: t.reshape(-1), A(randn(2, 3)),
     torch=lambda t: t.reshape(-1))
case("flatten", lambda t: t.flatten(), lambda t: t.reshape(-1), A(randn(2, 3)))
case("permute_dims", lambda t: F.permute_dims(t, (2, 0, 1)), lambda t: t.transpose(2, 0, 1),
     A(randn(2, 3, 4)), torch=lambda t: t.permute(2, 0, 1))
case("permute negative", lambda t: t.permute(-1, 0, 1), lambda t: t.transpose(2, 0, 1),
     A(randn(2, 3, 4)))
case("matrix_transpose", F.matrix_transpose, lambda t: np.swapaxes(t, -1, -2),
     A(randn(2, 3, 4)), torch=lambda t: t.mT)
case(".mT", lambda t: t.mT, lambda t: np.swapaxes(t, -1, -2), A(randn(3, 4)))
case(".T", lambda t: t.T, lambda t: t.T, A(randn(3, 4)))
case(".T 1-D", lambda t: t.T, lambda t: t, A(randn(3)), torch=lambda t: t)
case("T@", lambda a, b: a.T @ b, lambda a, b: a.T @ b, A(randn(4, 3)), A(randn(4, 2)))
INDEXES: list[tuple[str, Any]] = [
    ("int", 1), ("negative int", -1), ("slice", slice(1, 3)),
    ("[:, 1:3]", (slice(None), slice(1, 3))), ("[::2, -1]", (slice(None, None, 2), -1)),
    ("[None, 1]", (None, 1)), ("[1, None, ::2]", (1, None, slice(None, None, 2))),
    ("[..., 0]", (Ellipsis, 0)), ("[1, 2, 3]", (1, 2, 3)), ("[:, None, :, None]",
                                                          (slice(None), None, slice(None), None)),
]
for name, index in INDEXES:
    case(f"getitem {name}", lambda t, i=index: t[i], lambda t, i=index: t[i], A(randn(3, 4, 5)))
MASK = mask(3, 4)
case("getitem mask", lambda t, m: t[m], lambda t, m: t[m], A(randn(3, 4)), A(MASK))
case("getitem row mask", lambda t, m: t[m], lambda t, m: t[m], A(randn(4, 3)),
     A(np.array([True, False, True, True])))
case("F.getitem", lambda t: F.getitem(t, (slice(0, 2), 1)), lambda t: t[0:2, 1],
     A(randn(3, 4)), torch=lambda t: t[0:2, 1])
# Integer arrays on the leading axes: repeated rows accumulate their gradients.
case("getitem int array repeats negatives", lambda t, i: t[i], lambda t, i: t[i], A(randn(4, 3)),
     A(np.array([0, -1, 0, 2, 0, -4])))
case("getitem int array 2-D", lambda t, i: t[i], lambda t, i: t[i], A(randn(5, 2, 3)),
     A(np.array([[1, 1, 4], [0, -5, 1]])))
case("getitem int list", lambda t: t[[2, 0, 2]], lambda t: t[[2, 0, 2]], A(randn(3, 4)))
case("getitem rows, cols (NLL)", lambda t, r, c: t[r, c], lambda t, r, c: t[r, c], A(randn(4, 5)),
     A(np.arange(4)), A(indices(5, 4)))
case("getitem rows, cols broadcast", lambda t, r, c: t[r, c], lambda t, r, c: t[r, c],
     A(randn(3, 4, 2)), A(np.array([[0], [2], [0]])), A(np.array([3, -1])))
case("getitem int, int array", lambda t, c: t[1, c], lambda t, c: t[1, c], A(randn(3, 4)),
     A(np.array([0, 3, 0])))
case("getitem int array then slice", lambda t, i: t[i, 1:3, None], lambda t, i: t[i, 1:3, None],
     A(randn(4, 5)), A(np.array([3, 3, 0])))
case("getitem int array then ..., int", lambda t, i: t[i, ..., -1], lambda t, i: t[i, ..., -1],
     A(randn(3, 2, 4)), A(np.array([[2, 0], [2, 2]])))

# -- activations ------------------------------------------------------------------------------
def np_sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def np_erf(x: np.ndarray) -> np.ndarray:
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def np_gelu(x: np.ndarray) -> np.ndarray:
    return x * 0.5 * (1 + np_erf(x / math.sqrt(2)))


def np_gelu_tanh(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


def np_log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    z = x - x.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


WIDE = np.concatenate([away(10), [-30.0, -8.0, 8.0, 30.0]])  # includes saturated values
case("relu", F.relu, lambda x: np.maximum(x, 0), A(away(3, 4)), torch=tT("relu"))
case("xn.relu method", lambda t: t.relu(), lambda x: np.maximum(x, 0), A(away(5)))
for slope in (0.01, 0.2):
    case(f"leaky_relu {slope}", lambda t, s=slope: F.leaky_relu(t, s),
         lambda x, s=slope: np.where(x > 0, x, s * x), A(away(3, 4)),
         torch=tF("leaky_relu", slope))
case("leaky_relu default", F.leaky_relu, lambda x: np.where(x > 0, x, 0.01 * x), A(away(6)),
     torch=tF("leaky_relu"))
case("sigmoid", F.sigmoid, np_sigmoid, A(WIDE), torch=tT("sigmoid"))
case("sigmoid method", lambda t: t.sigmoid(), np_sigmoid, A(randn(2, 3)))
case("tanh", F.tanh, np.tanh, A(WIDE), torch=tT("tanh"))
case("gelu exact", F.gelu, np_gelu, A(np.concatenate([uniform(12, low=-4, high=4),
                                                      [-7.0, -2.5, 2.5, 7.0]])),
     torch=tF("gelu"))
case("gelu tanh", lambda t: F.gelu(t, approximate="tanh"), np_gelu_tanh, A(uniform(3, 4)),
     torch=tF("gelu", approximate="tanh"))
for axis in (-1, 0, 1):
    case(f"softmax axis={axis}", lambda t, a=axis: F.softmax(t, axis=a),
         lambda x, a=axis: np.exp(np_log_softmax(x, a)), A(randn(2, 3, 4, scale=2.0)),
         torch=tF("softmax", dim=axis))
    case(f"log_softmax axis={axis}", lambda t, a=axis: F.log_softmax(t, axis=a),
         lambda x, a=axis: np_log_softmax(x, a), A(randn(2, 3, 4, scale=2.0)),
         torch=tF("log_softmax", dim=axis))
case("softmax large", xn.softmax, lambda x: np.exp(np_log_softmax(x, -1)),
     A(np.array([[1000.0, 999.0, 998.5], [-1000.0, -999.0, -1001.0]])), torch=tF("softmax", dim=-1))
case("log_softmax 1-D dim=", lambda t: t.log_softmax(dim=0), lambda x: np_log_softmax(x, 0),
     A(randn(5)), torch=tF("log_softmax", dim=0))
case("softmax method", lambda t: t.softmax(), lambda x: np.exp(np_log_softmax(x, -1)),
     A(randn(2, 5)), torch=tF("softmax", dim=-1))

# -- losses ------------------------------------------------------------------------------------
REDUCE = {"mean": np.mean, "sum": np.sum, "none": lambda v: v}


def np_huber(x: np.ndarray, y: np.ndarray, delta: float) -> np.ndarray:
    d = np.abs(x - y)
    return np.where(d < delta, 0.5 * d**2, delta * (d - 0.5 * delta))


def np_bce_logits(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x)))


def np_cross_entropy(x: np.ndarray, target: np.ndarray, smoothing: float = 0.0) -> np.ndarray:
    """Per-sample loss; the class axis is 1 (0 for 1-D scores)."""
    axis = 1 if x.ndim >= 2 else 0
    classes = x.shape[axis]
    logp = np_log_softmax(x, axis)
    if target.dtype.kind == "f":
        p = target
    else:
        p = (np.expand_dims(target, axis) == np.arange(classes).reshape(
            [classes if i == axis else 1 for i in range(x.ndim)])).astype(np.float64)
    p = p * (1 - smoothing) + smoothing / classes
    return -(p * logp).sum(axis=axis)


# Differences |x - y| kept away from 0 (l1 kink) and from delta (huber kink).
X_REG = np.array([[0.3, -1.2, 2.0], [1.5, 0.1, -0.4]])
Y_REG = np.array([[-0.5, -0.9, 0.2], [1.1, 1.6, -2.9]])
for red, np_red in REDUCE.items():
    case(f"mse_loss {red}", lambda x, y, r=red: F.mse_loss(x, y, reduction=r),
         lambda x, y, f=np_red: f((x - y) ** 2), A(randn(3, 4)), A(randn(3, 4)),
         torch=tF("mse_loss", reduction=red))
    case(f"l1_loss {red}", lambda x, y, r=red: F.l1_loss(x, y, reduction=r),
         lambda x, y, f=np_red: f(np.abs(x - y)), A(X_REG), A(Y_REG),
         torch=tF("l1_loss", reduction=red))
    for delta in (1.0, 0.5):
        case(f"huber_loss {red} delta={delta}",
             lambda x, y, r=red, d=delta: F.huber_loss(x, y, reduction=r, delta=d),
             lambda x, y, f=np_red, d=delta: f(np_huber(x, y, d)), A(X_REG), A(Y_REG),
             torch=tF("huber_loss", reduction=red, delta=delta))
    case(f"binary_cross_entropy {red}",
         lambda p, y, r=red: F.binary_cross_entropy(p, y, reduction=r),
         lambda p, y, f=np_red: f(-(y * np.log(p) + (1 - y) * np.log(1 - p))),
         A(positive(3, 4, low=0.05, high=0.95)), A(positive(3, 4, low=0.0, high=1.0), grad=False),
         torch=tF("binary_cross_entropy", reduction=red))
    case(f"binary_cross_entropy_with_logits {red}",
         lambda x, y, r=red: F.binary_cross_entropy_with_logits(x, y, reduction=r),
         lambda x, y, f=np_red: f(np_bce_logits(x, y)),
         A(np.concatenate([randn(6, scale=3.0), [-40.0, 40.0]])), A(positive(8, low=0, high=1)),
         torch=tF("binary_cross_entropy_with_logits", reduction=red))
    case(f"cross_entropy indices (N,C) {red}",
         lambda x, t, r=red: F.cross_entropy(x, t, reduction=r),
         lambda x, t, f=np_red: f(np_cross_entropy(x, t)), A(randn(5, 4)), A(indices(4, 5)),
         torch=tF("cross_entropy", reduction=red))
    case(f"cross_entropy indices (N,C,d) {red}",
         lambda x, t, r=red: F.cross_entropy(x, t, reduction=r),
         lambda x, t, f=np_red: f(np_cross_entropy(x, t)), A(randn(2, 4, 3)),
         A(indices(4, 2, 3)), torch=tF("cross_entropy", reduction=red))
    case(f"cross_entropy probabilities {red}",
         lambda x, p, r=red: F.cross_entropy(x, p, reduction=r),
         lambda x, p, f=np_red: f(np_cross_entropy(x, p)), A(randn(5, 4)),
         A(probabilities(5, 4)), torch=tF("cross_entropy", reduction=red))
    case(f"cross_entropy probabilities (N,C,d) {red}",
         lambda x, p, r=red: F.cross_entropy(x, p, reduction=r),
         lambda x, p, f=np_red: f(np_cross_entropy(x, p)), A(randn(2, 3, 4)),
         A(probabilities(2, 3, 4, axis=1)), torch=tF("cross_entropy", reduction=red))
    for eps in (0.1, 0.3):
        case(f"cross_entropy indices smoothing={eps} {red}",
             lambda x, t, r=red, e=eps: F.cross_entropy(x, t, reduction=r, label_smoothing=e),
             lambda x, t, f=np_red, e=eps: f(np_cross_entropy(x, t, e)), A(randn(5, 4)),
             A(indices(4, 5)), torch=tF("cross_entropy", reduction=red, label_smoothing=eps))
        case(f"cross_entropy probabilities smoothing={eps} {red}",
             lambda x, p, r=red, e=eps: F.cross_entropy(x, p, reduction=r, label_smoothing=e),
             lambda x, p, f=np_red, e=eps: f(np_cross_entropy(x, p, e)), A(randn(2, 4, 3)),
             A(probabilities(2, 4, 3, axis=1)),
             torch=tF("cross_entropy", reduction=red, label_smoothing=eps))
case("binary_cross_entropy 0-d", F.binary_cross_entropy,
     lambda p, y: -(y * np.log(p) + (1 - y) * np.log(1 - p)), A(np.array(0.3)),
     A(np.array(1.0), grad=False), torch=tF("binary_cross_entropy"))
case("cross_entropy 1-D scores", F.cross_entropy, np_cross_entropy, A(randn(4)),
     A(np.array(2, dtype=np.int64)), torch=tF("cross_entropy"))
case("mse_loss fixed target", F.mse_loss, lambda x, y: np.mean((x - y) ** 2), A(randn(4)),
     A(randn(4), grad=False), torch=tF("mse_loss"))


# class weights, ignore_index and nll_loss (PyTorch's rule: "mean" divides by sum_i k_i w_{y_i})
def np_class_loss(x: np.ndarray, t: np.ndarray, w: np.ndarray, red: str, ignore: int = -100,
                  smoothing: float = 0.0, logits: bool = True) -> np.ndarray:
    axis = 1 if x.ndim >= 2 else 0
    shape = [x.shape[axis] if i == axis else 1 for i in range(x.ndim)]
    logp = np_log_softmax(x, axis) if logits else x
    onehot = (np.expand_dims(t, axis) == np.arange(x.shape[axis]).reshape(shape)).astype(float)
    kw = np.expand_dims(t != ignore, axis) * w.reshape(shape)  # k_i w_c
    q = (onehot * (1 - smoothing) + smoothing / x.shape[axis]) * kw
    loss = -(q * logp).sum(axis=axis)
    if red == "mean":  # (torch gives NaN when every target is ignored: 0 / 0)
        with np.errstate(invalid="ignore"):
            return loss.sum() / (onehot * kw).sum()
    return loss if red == "none" else loss.sum()


def ignoring(classes: int, *shape: int, ignore: int) -> np.ndarray:
    t = indices(classes, *shape)
    t.flat[::3] = ignore
    return t


def tW(name: str, **kwargs: Any) -> Any:
    """``torch.nn.functional.<name>(x, target, weight=w, **kwargs)``."""
    return lambda x, t, w: tF(name, weight=w, **kwargs)(x, t)


for red, np_red in REDUCE.items():
    for ign in (-100, 1):
        for eps in (0.0, 0.2):
            case(f"cross_entropy weight ignore_index={ign} smoothing={eps} {red}",
                 lambda x, t, w, r=red, i=ign, e=eps: F.cross_entropy(
                     x, t, w, ignore_index=i, reduction=r, label_smoothing=e),
                 lambda x, t, w, r=red, i=ign, e=eps: np_class_loss(x, t, w, r, i, e),
                 A(randn(7, 4)), A(ignoring(4, 7, ignore=ign)), A(positive(4), grad=False),
                 torch=tW("cross_entropy", ignore_index=ign, reduction=red, label_smoothing=eps))
        case(f"nll_loss weight ignore_index={ign} {red}",
             lambda x, t, w, r=red, i=ign: F.nll_loss(x, t, w, ignore_index=i, reduction=r),
             lambda x, t, w, r=red, i=ign: np_class_loss(x, t, w, r, i, logits=False),
             A(randn(7, 4)), A(ignoring(4, 7, ignore=ign)), A(positive(4), grad=False),
             torch=tW("nll_loss", ignore_index=ign, reduction=red))
    case(f"cross_entropy probabilities weight smoothing=0.1 {red}",
         lambda x, p, w, r=red: F.cross_entropy(x, p, w, reduction=r, label_smoothing=0.1),
         lambda x, p, w, f=np_red: f(-((p * 0.9 + 0.1 / 4) * w.reshape(1, 4, 1)
                                       * np_log_softmax(x, 1)).sum(axis=1)),
         A(randn(2, 4, 3)), A(probabilities(2, 4, 3, axis=1)), A(positive(4), grad=False),
         torch=tW("cross_entropy", reduction=red, label_smoothing=0.1))
    case(f"nll_loss (N,C,d) {red}", lambda x, t, r=red: F.nll_loss(x, t, reduction=r),
         lambda x, t, r=red: np_class_loss(x, t, np.ones(4), r, logits=False),
         A(randn(2, 4, 3)), A(ignoring(4, 2, 3, ignore=-100)), torch=tF("nll_loss", reduction=red))
case("cross_entropy weight (N,C,d) ignore_index=2", lambda x, t, w: F.cross_entropy(
         x, t, w, ignore_index=2), lambda x, t, w: np_class_loss(x, t, w, "mean", 2),
     A(randn(3, 4, 2)), A(ignoring(4, 3, 2, ignore=2)), A(positive(4), grad=False),
     torch=tW("cross_entropy", ignore_index=2))
case("nll_loss 1-D", F.nll_loss, lambda x, t: -x[t], A(randn(4)),
     A(np.array(2, dtype=np.int64)), torch=tF("nll_loss"))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_op(xp, case):
    check_case(xp, case)


def test_every_differentiable_op_is_covered():
    """A new op in ``xpnet.functional`` must get a case here (or a test below)."""
    from test_nn_new_ops import CASES as NN_CASES  # the ops behind the newer nn layers

    ids = " ".join(c.id for c in CASES + NN_CASES + PARITY_CASES)  # torch's names: tests/_parity_cases.py
    tested_below = {"dropout", "to", "compare", "update_", "ValuesIndices", "argmax", "argmin"}
    tested_below |= TESTED_ELSEWHERE
    for op in F.__all__:
        if op not in tested_below:
            assert re.search(rf"\b{op}\b", ids), f"no gradcheck case for F.{op}"


# -- ops that need their own checks --------------------------------------------------------
@pytest.mark.parametrize("p", [0.3, 0.5])
def test_dropout_matches_its_mask(xp, p):
    """Same seed, same mask; out = x M and dL/dx = G M with M in {0, 1/(1-p)}."""
    host = positive(4, 25)
    x = xp.tensor(host, requires_grad=True)
    xn.manual_seed(7)
    out = F.dropout(x, p)
    scale = xp.numpy(out) / host
    kept = scale != 0
    np.testing.assert_allclose(scale[kept], 1 / (1 - p), rtol=1e-6)
    assert 0.0 < kept.mean() < 1.0 and abs(kept.mean() - (1 - p)) < 0.2
    r = np.random.default_rng(0).uniform(-1, 1, size=host.shape)
    out.backward(xp.array(r))
    np.testing.assert_allclose(xp.numpy(x.grad), r * scale, rtol=1e-6)
    assert xp.same_place(out) and xp.same_place(x.grad) and out.dtype == xn.float32
    xn.manual_seed(7)
    again = F.dropout(xp.tensor(host), p)
    np.testing.assert_array_equal(xp.numpy(again), xp.numpy(out))


def test_dropout_finite_differences(xp):
    """The mask fixed by the seed, dropout is linear: its gradient matches differences."""
    host = positive(3, 4).astype(np.float64)

    def run(values: np.ndarray) -> tuple[xn.Tensor, xn.Tensor]:
        xn.manual_seed(3)
        x = xp.tensor(values, "float64", requires_grad=True)
        return x, F.dropout(x, 0.4)

    x, out = run(host)
    r = np.random.default_rng(1).uniform(-1, 1, size=host.shape)
    out.backward(xp.array(r, "float64"))
    grad = xp.numpy(x.grad)
    eps = 1e-6
    for j in range(host.size):
        up, down = host.copy(), host.copy()
        up.flat[j] += eps
        down.flat[j] -= eps
        fd = (np.sum(xp.numpy(run(up)[1]) * r) - np.sum(xp.numpy(run(down)[1]) * r)) / (2 * eps)
        assert abs(fd - grad.flat[j]) <= 1e-6 * max(1.0, abs(fd))


def test_dropout_identity_and_extremes(xp):
    x = xp.tensor([[1.0, -2.0], [3.0, 4.0]], requires_grad=True)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    zero = F.dropout(x, 1.0)
    assert (xp.numpy(zero) == 0).all()
    zero.sum().backward()
    assert (xp.numpy(x.grad) == 0).all() and xp.same_place(x.grad)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        F.dropout(x, 1.5)


@pytest.mark.parametrize(("src", "dst"), [("float32", "float64"), ("float64", "float32")])
def test_to_dtype_casts_and_casts_the_gradient_back(xp, src, dst):
    host = randn(2, 3)
    x = xp.tensor(host, src, requires_grad=True)
    for y in (x.to(dtype=dst), F.to(x, dtype=getattr(xn, dst)), x.to(dst)):
        assert y.dtype == dst and xp.same_place(y)
        np.testing.assert_allclose(xp.numpy(y), host.astype(src), rtol=1e-6)
    y = x.double() if dst == "float64" else x.float()
    r = np.random.default_rng(2).uniform(-1, 1, size=host.shape)
    (y * xp.tensor(r, dst)).sum().backward()
    assert x.grad.dtype == getattr(xp.ns, src) and xp.same_place(x.grad)
    np.testing.assert_allclose(xp.numpy(x.grad), r.astype(dst).astype(src), rtol=1e-6)


def test_to_same_place_and_dtype_is_identity(xp):
    x = xp.tensor([1.0, 2.0], requires_grad=True)
    assert x.to(dtype="float32") is x
    assert x.to(x.device) is x


def test_to_other_strict_device_and_back(xp):
    """array_api_strict has two devices: the move is differentiable both ways."""
    if not xp.name.startswith("array_api_strict"):
        pytest.skip("only array_api_strict has a second CPU device")
    import array_api_strict as strict

    other = strict.Device("CPU_DEVICE" if xp.name.endswith("device1") else "device1")
    host = randn(2, 3)
    x = xp.tensor(host, requires_grad=True)
    y = x.to(other)
    assert y.device == other and y.device != x.device
    np.testing.assert_allclose(xp.numpy(y), host.astype(np.float32))
    w = xn.tensor(uniform(2, 3), device=other)
    (y * w).sum().backward()
    assert xp.same_place(x.grad)
    np.testing.assert_allclose(xp.numpy(x.grad), xp.numpy(w), rtol=1e-6)
    back = y.to(x.device)
    assert xp.same_place(back)


# -- edges: saturated inputs (no warning may fire: filterwarnings = error), op errors ------------
EXTREME = [-1e30, -50.0, -12.0, 12.0, 50.0, 1e30]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "leaky_relu", "gelu", "gelu_tanh",
                                  "softmax", "log_softmax", "bce_with_logits"])
def test_saturated_inputs_give_finite_values_and_gradients(xp, name, dtype):
    ops = {
        "gelu_tanh": lambda t: F.gelu(t, approximate="tanh"),
        "softmax": lambda t: F.softmax(t.reshape(2, 3)),
        "log_softmax": lambda t: F.log_softmax(t.reshape(3, 2), axis=0),
        "bce_with_logits": lambda t: F.binary_cross_entropy_with_logits(
            t, xn.ones(6, dtype=dtype, device=xp.device), reduction="none"),
    }
    op = ops.get(name, getattr(F, name, None))
    x = xp.tensor(EXTREME, dtype, requires_grad=True)
    out = op(x)
    out.sum().backward()
    values, grad = xp.numpy(out), xp.numpy(x.grad)
    assert np.isfinite(values).all() and np.isfinite(grad).all(), (values, grad)
    assert out.dtype == dtype and x.grad.dtype == getattr(xp.ns, dtype)


def test_saturated_values_match_torch(torch):
    x64 = np.array(EXTREME)
    ours = xn.tensor(x64, requires_grad=True)
    theirs = torch.tensor(x64, requires_grad=True)
    pairs = [(F.sigmoid, torch.sigmoid), (F.gelu, torch.nn.functional.gelu),
             (lambda t: F.gelu(t, approximate="tanh"),
              lambda t: torch.nn.functional.gelu(t, approximate="tanh"))]
    for mine, reference in pairs:
        ours.grad, theirs.grad = None, None
        a, b = mine(ours), reference(theirs)
        a.sum().backward()
        b.sum().backward()
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_cross_entropy_at_zero_and_one(xp, reduction):
    """log(0) is clamped to -100 as in PyTorch, without a warning or a nan."""
    p_host = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
    y_host = np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    p = xp.tensor(p_host, "float64", requires_grad=True)
    loss = F.binary_cross_entropy(p, xp.tensor(y_host, "float64"), reduction=reduction)
    per_element = np.array([100.0, 100.0, 0.0, 0.0, math.log(2)])
    np.testing.assert_allclose(xp.numpy(loss), REDUCE[reduction](per_element), rtol=1e-12)
    loss.backward(xp.array(np.ones(loss.shape), "float64"))
    assert np.isfinite(xp.numpy(p.grad)).all()
    try:
        import torch
    except ImportError:
        return
    tp = torch.tensor(p_host, requires_grad=True)
    ref = torch.nn.functional.binary_cross_entropy(tp, torch.tensor(y_host), reduction=reduction)
    ref.backward(torch.ones_like(ref))
    np.testing.assert_allclose(xp.numpy(loss), ref.detach().numpy(), rtol=1e-12)
    # At p = 0 or 1 the gradient is (p - y) / eps: torch's eps is 1e-12 rounded to float32.
    np.testing.assert_allclose(xp.numpy(p.grad), tp.grad.numpy(), rtol=1e-8)


@pytest.mark.parametrize("p_host", [[[0.2, 0.7], [0.4, 0.1]], [[0.0, 1.0], [0.5, 1e-60]]],
                         ids=["inside", "at the clamps"])
def test_binary_cross_entropy_target_gradient_matches_torch(xp, p_host):
    """A target that requires grad gets torch's dL/dy = G (log(1 - p) - log p), logs clamped at -100."""
    torch = pytest.importorskip("torch")
    y_host = [[0.3, 0.9], [0.5, 0.2]]
    p, y = xp.tensor(p_host, "float64", True), xp.tensor(y_host, "float64", True)
    tp, ty = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (p_host, y_host))
    for lib, a, b in ((F, p, y), (torch.nn.functional, tp, ty)):
        (lib.binary_cross_entropy(a, b, reduction="sum") * 1.5).backward()
    np.testing.assert_allclose(xp.numpy(y.grad), ty.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(xp.numpy(p.grad), tp.grad.numpy(), rtol=1e-8)


def test_loss_errors(xp):
    x = xp.tensor([[0.2, 0.7], [0.4, 0.1]], requires_grad=True)
    with pytest.raises(ValueError, match="target shape"):
        F.mse_loss(x, xp.tensor([0.1, 0.2]))
    with pytest.raises(ValueError, match="reduction"):
        F.l1_loss(x, x, reduction="avg")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        if xp.name.startswith("cupy") or xp.name.endswith("cuda"):
            pytest.skip("value checks need a device sync: skipped on GPUs")
        F.binary_cross_entropy(x * 2, xp.tensor([[1.0, 0.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="class indices"):
        F.cross_entropy(x, xn.tensor([0, 2], device=xp.device))
    with pytest.raises(ValueError, match="class-index target shape"):
        F.cross_entropy(x, xn.tensor([0, 1, 1], device=xp.device))
    with pytest.raises(TypeError, match="target dtype"):
        F.cross_entropy(x, xp.tensor([[0.5, 0.5], [1.0, 0.0]], "float64", requires_grad=True))
    with pytest.raises(ValueError, match="delta"):
        F.huber_loss(x, x, delta=0.0)


def test_loss_targets_of_other_dtypes_are_cast(xp):
    x = xp.tensor([0.5, 1.5], requires_grad=True)
    loss = F.mse_loss(x, xn.tensor([1, 1], device=xp.device))
    assert loss.dtype == xn.float32 and xp.same_place(loss)
    np.testing.assert_allclose(xp.numpy(loss), 0.25)


def test_getitem_errors_and_integer_arrays(xp):
    x = xp.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    rows = xn.tensor([1, 0], device=xp.device)
    np.testing.assert_array_equal(xp.numpy(x[rows]), [[3.0, 4.0], [1.0, 2.0]])
    with pytest.raises(TypeError, match="integer arrays must index the leading axes"):
        x[:, rows]
    if xp.name.startswith("array_api_strict"):
        return  # the standard leaves integer arrays after a slice out
    np.testing.assert_array_equal(xp.numpy(x.detach()[:, rows]), [[2.0, 1.0], [4.0, 3.0]])


def test_linear_takes_raw_arrays(xp):
    x = xp.array([[1.0, 2.0]])
    w = xp.tensor([[0.5, -1.0], [2.0, 0.0]], requires_grad=True)
    b = xp.array([0.25, 0.5])
    out = F.linear(x, w, b)
    np.testing.assert_allclose(xp.numpy(out), [[-1.25, 2.5]])
    out.sum().backward()
    np.testing.assert_allclose(xp.numpy(w.grad), [[1.0, 2.0], [1.0, 2.0]])
    with pytest.raises(ValueError, match="line up"):
        F.matmul(xp.tensor([[1.0, 2.0]]), xp.tensor([[1.0, 2.0]]))
