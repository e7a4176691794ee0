"""Double backward of the nodes whose rule keeps derived values: run through their composition.

A fused node's rule keeps what only its fast first-order path needs (the activation's
derivative as a closure of the backend, the 2-D product function, ``x - y`` of a loss).
Under ``create_graph=True`` such a node is differentiated as the op written with
primitives (whose rules run on Tensors): ``linear+tanh`` as ``tanh(x @ W^T + b)``,
``mse_loss`` as ``sum((x - y)**2) * scale / 2``, ``norm`` as ``sqrt(sum(x * x))``; an
activation node through the derivative formula of :mod:`xpnet._backend._ops` evaluated on
Tensors. The formulas
stay written once: these are the forward definitions, not second copies of the rules.

Also declared here (to keep this branch's edits out of those files): the rules of
:mod:`..functional.shape` and :mod:`..functional.dims` that run on Tensors as they are.
"""

from __future__ import annotations

import math
from typing import Any

from .. import _backend, _dtypes
from .. import functional as F
from .._double_backward import double_backward_by, double_backward_ready
from ..functional import (
    activation,
    dims,
    ensemble,
    fused,
    gathering,
    indexing_more,
    joining,
    loss,
    shape,
    statistics,
)
from ..tensor import CONSTANT, Tensor
from . import index_adjoints
from .higher_order import Rule, constant, lift_with, through, unsupported
from .tensor_namespace import tensor_namespace

# Reshape, permute and expand read only xp and shapes; softmax and log_softmax xp, the axis
# and their output.
double_backward_ready(shape.reshape, shape.permute_dims, dims.expand, activation.softmax,
                      activation.log_softmax)
# Integer-array indexing (x[rows], x[rows, cols]) scatter-adds G by constant positions
# (xp.scatter_add: a Tensor op on the Tensor namespace), as gather, index_select, scatter,
# scatter_add and index_add do (xp.take: its adjoint);
# repeat and flip read only shapes and axes.
double_backward_ready(shape._take, dims.repeat, dims.flip, gathering.gather, gathering.index_select,
                      gathering._write, indexing_more._node)

# The activations whose derivative the generic formulas give on Tensors (Ops.activation), by
# node name (a gelu node of _activation is GELU's tanh form).
_FROM_FORMULA = {"relu": "relu", "sigmoid": "sigmoid", "tanh": "tanh", "gelu": "gelu_tanh",
                 "gelu_tanh": "gelu_tanh"}


def _slopes(node: Tensor, act_grad: Any, shape: tuple[int, ...]) -> Tensor:
    """LeakyReLU's derivative act'(z) (1 where z > 0, else the slope) from the node's own
    ``act_grad`` (whatever backend made it), as a constant: it is piecewise constant, so
    ``leaky_relu(z) = z act'(z)`` and the second derivative is 0 almost everywhere."""
    xp = node.xp
    ones = xp.ones(shape, dtype=node.array.dtype, device=_backend.device(node.array))
    return constant(node, xp.reshape(act_grad(ones), tuple(node.shape)))


def _activation_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    """relu, sigmoid, tanh, gelu (tanh form): ``G act'(x)`` with ``act'`` from ``T.activation``
    (the formulas of :mod:`xpnet._backend._ops`), on the input Tensor; leaky_relu: ``G act'(x)``
    with its piecewise-constant ``act'`` a constant (see :func:`_slopes`)."""
    (x,) = node._parents
    if node._op == "leaky_relu":
        slopes = _slopes(node, captured["act_grad"], tuple(node.shape))
        return lambda g: (g * slopes,)
    if node._op not in _FROM_FORMULA:
        raise unsupported(node, "only relu, leaky_relu, sigmoid, tanh and gelu are converted")
    _, act_grad = tensor_namespace(x.xp).activation(x, _FROM_FORMULA[node._op])
    return lambda g: (act_grad(g),)


def _linear_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    """linear and linear+<activation>: differentiate ``act(x @ W^T + b)`` built of primitives
    (LeakyReLU as ``z act'(z)``, its ``act'`` a constant: see :func:`_slopes`)."""
    name = node._op.partition("+")[2] or None  # the node is named linear or linear+<activation>
    slopes = None
    if name == "leaky_relu":
        rows = math.prod(node.shape[:-1]) if node.ndim else 1
        slopes = _slopes(node, captured["act_grad"], (rows, node.shape[-1]))
    elif name is not None and name not in _FROM_FORMULA:
        raise unsupported(node, "of the fused activations only relu, leaky_relu, sigmoid, tanh and "
                                "gelu_tanh are converted")

    def composite(x: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
        z = F.matmul(x, F.matrix_transpose(weight))
        if bias is not CONSTANT:
            z = z + bias
        if name is None:
            return z
        if slopes is not None:
            return z * slopes
        return tensor_namespace(z.xp).activation(z, _FROM_FORMULA[name])[0]

    return through(composite, node)


def _ensemble_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    """ensemble_linear(+<activation>): differentiate ``act(x @ W[k]^T + b[k])`` (x (N, in) is
    shared by the K members: matmul broadcasts it), as :func:`_linear_rule`."""
    name = node._op.partition("+")[2] or None
    slopes = None
    if name == "leaky_relu":
        slopes = _slopes(node, captured["act_grad"], tuple(node.shape))
    elif name is not None and name not in _FROM_FORMULA:
        raise unsupported(node, "of the fused activations only relu, leaky_relu, sigmoid, tanh and "
                                "gelu_tanh are converted")

    def composite(x: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
        z = F.matmul(x, F.matrix_transpose(weight))
        if bias is not CONSTANT:
            z = z + F.unsqueeze(bias, 1)
        if name is None:
            return z
        if slopes is not None:
            return z * slopes
        return tensor_namespace(z.xp).activation(z, _FROM_FORMULA[name])[0]

    return through(composite, node)


def _mse_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    """mse_loss: differentiate ``(x - y)**2``, summed and scaled as the node was (``scale`` is
    2 for "sum" and "none", 2 / count for "mean")."""
    half_scale = captured["scale"] / 2

    def composite(x: Tensor, y: Tensor) -> Tensor:
        d = x - y
        squares = d * d
        if tuple(squares.shape) == tuple(node.shape):  # "none" (or a 0-d input)
            return squares * half_scale if half_scale != 1 else squares
        return F.sum(squares) * half_scale

    return through(composite, node)


def _norm_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    """norm: differentiate its definition over the same axes: ``sqrt(sum(x * x))`` (p = 2),
    ``sum(|x|)`` (p = 1), ``max(|x|)`` / ``min(|x|)`` (p = +-inf, ties sharing as the first
    order), ``sum(|x|**p) ** (1/p)``. Where a norm is 0 its second derivative is undefined
    (p other than 1 and +-inf): refused; p = 0 (a count) has no gradient to differentiate."""
    p, out, xp, dim = captured["p"], captured["out"], node.xp, captured["dim"]
    if p == 0:
        raise unsupported(node, "p=0 (a count of nonzeros)")
    smooth = p != 1 and not math.isinf(p)
    if smooth and bool(xp.any(out == 0)):
        raise unsupported(node, "a norm is 0, where its second derivative is undefined")
    axes = (dim,) if isinstance(dim, int) else dim  # a tuple: max over axes, not (values, indices)

    def composite(x: Tensor) -> Tensor:
        if p == 2:
            r = F.sqrt(F.sum(x * x, dim, True))
        elif p == 1:
            r = F.sum(F.abs(x), dim, True)
        elif math.isinf(p):
            r = (F.max if p > 0 else F.min)(F.abs(x), axes, True)
        else:
            r = F.sum(F.abs(x) ** p, dim, True) ** (1 / p)
        return F.reshape(r, tuple(node.shape))

    return through(composite, node)


def _class_loss_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    """cross_entropy and nll_loss: their own rule, with the log-probabilities ``logp`` (of
    cross_entropy) recomputed as ``log_softmax(x)`` on Tensors; the target weights ``q``, the
    reduction's ``share`` and ``per_sample`` (read for its shape) do not depend on ``x``."""
    x, y = node._parents
    if y.requires_grad:
        raise unsupported(node, "probability targets that require grad")
    given: dict[str, Any] = {name: captured[name] for name in ("q", "share", "per_sample", "w")
                             if name in captured}
    if "logp" in captured:
        given["logp"] = activation.log_softmax(x, captured["axis"])
    return lift_with(node, **given)


def _getitem_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    """x[index] (basic indices, masks): G written into zeros at the index, as a Tensor op
    (``put_zeros``, whose own gradient reads H[index] again)."""
    shape, target, target_shape = captured["shape"], captured["target"], captured["target_shape"]
    return lambda g: (index_adjoints.put_zeros(g, shape, target, target_shape),)


def _narrow_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    """narrow (and split, chunk, unbind): G written into zeros at the slice it came from."""
    axis, start, length = captured["axis"], captured["start"], captured["length"]
    index = (slice(None),) * axis + (slice(start, start + length), Ellipsis)
    shape = tuple(captured["shape"])
    return lambda g: (index_adjoints.put_zeros(g, shape, index, None),)


def _cat_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    """cat (and stack, hstack, vstack): its own rule, which cuts G into the inputs' pieces
    (``g[lo:hi]``, getitem on Tensors); ``parts`` are the node's inputs (read only for
    requires_grad), ``bounds`` ints, ``dtypes`` as xpnet dtypes (Tensor.dtype's kind): a piece
    of another dtype is cast back by ``xp.astype`` on Tensors (``to``)."""
    return lift_with(node, parts=captured["parts"], bounds=captured["bounds"],
                     dtypes=[_dtypes.wrap(d) for d in captured["dtypes"]])


double_backward_by(shape.getitem, _getitem_rule)
double_backward_by(dims.narrow, _narrow_rule)
double_backward_by(joining.cat, _cat_rule)
double_backward_by(activation._node, _activation_rule)
double_backward_by(loss.cross_entropy, _class_loss_rule)
double_backward_by(loss.nll_loss, _class_loss_rule)
double_backward_by(statistics.norm, _norm_rule)
double_backward_by(fused.linear_node, _linear_rule)
double_backward_by(ensemble.ensemble_linear, _ensemble_rule)
double_backward_by(loss.mse_loss, _mse_rule)
