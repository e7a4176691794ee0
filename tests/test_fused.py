"""Linear + activation as one node (``F.linear(..., activation=...)``) and its use by Sequential.

The fused op must give the numbers of ``activation(F.linear(...))`` -- values
and every gradient -- on every backend, pass the op harness (finite
differences, float32, torch), and make ``nn.Sequential`` build a smaller graph
with the same results.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import xpnet as xn
from _gradcheck import Arg, Case, check_case, randn
from xpnet import functional as F
from xpnet import nn

ACTIVATIONS = {  # name -> (composed op, NumPy reference, torch reference)
    "relu": (F.relu, lambda z: np.maximum(z, 0), "relu"),
    "leaky_relu": (lambda t: F.leaky_relu(t, 0.2), lambda z: np.where(z > 0, z, 0.2 * z), "leaky_relu"),
    "sigmoid": (F.sigmoid, lambda z: 1 / (1 + np.exp(-z)), "sigmoid"),
    "tanh": (F.tanh, np.tanh, "tanh"),
    "gelu_tanh": (lambda t: F.gelu(t, approximate="tanh"),
                  lambda z: 0.5 * z * (1 + np.tanh(math.sqrt(2 / math.pi) * (z + 0.044715 * z**3))),
                  "gelu"),
}


def _slope(activation):
    return 0.2 if activation == "leaky_relu" else 0.01


def _fused(activation, x, w, b=None):
    return F.linear(x, w, b, activation=activation, negative_slope=_slope(activation))


def _graph_size(t):
    seen, stack = set(), [t]
    while stack:
        node = stack.pop()
        if id(node) in seen or node._backward is None:
            continue
        seen.add(id(node))
        stack.extend(node._parents)
    return len(seen)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("x_shape", [(6, 4), (2, 3, 4)], ids=["2d", "3d"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_fused_equals_composed(xp, activation, bias, x_shape, dtype, request):
    rng = np.random.default_rng(0)
    values = [rng.standard_normal(x_shape) * 2, rng.standard_normal((5, 4)), rng.standard_normal(5)]
    values[0].flat[0] = 12.0  # saturated sigmoid/tanh/gelu
    g = xp.array(rng.standard_normal(x_shape[:-1] + (5,)), dtype)

    def run(fused):
        x, w, b = (xp.tensor(v, dtype, requires_grad=True) for v in values)
        b_arg = b if bias else None
        out = _fused(activation, x, w, b_arg) if fused else ACTIVATIONS[activation][0](F.linear(x, w, b_arg))
        out.backward(g)
        return out, [x.grad, w.grad] + ([b.grad] if bias else [])

    out, grads = run(True)
    ref, ref_grads = run(False)
    tol = {"rtol": 1e-12, "atol": 1e-12} if dtype == "float64" else {"rtol": 1e-6, "atol": 1e-6}
    if dtype == "float32" and request.node.callspec.params["xp"] == "cupy-double":
        # The CuPy double runs a kernel's body as C++ (glibc's tanhf, expf) and the composed ops
        # as NumPy (its own SIMD float32 tanh): a few ulps apart, which 1 - y**2 near saturation
        # turns into ~2e-6. On a GPU both are CUDA's. Still float32's rounding, far under 1e-3.
        tol = {"rtol": 1e-5, "atol": 1e-5}
    assert xp.same_place(out) and out.dtype == getattr(xn, dtype)
    assert out.grad_fn == f"linear+{activation}"
    np.testing.assert_allclose(xp.numpy(out), xp.numpy(ref), **tol)
    for got, expected in zip(grads, ref_grads):
        assert xp.same_place(got) and got.dtype == expected.dtype
        np.testing.assert_allclose(xp.numpy(got), xp.numpy(expected), **tol)


def _case(activation, x_shape, with_bias=True):
    _, ref, torch_name = ACTIVATIONS[activation]

    def np_ref(x, w, b=None):
        z = x @ w.T + (0 if b is None else b)
        return ref(z)

    def torch_ref(x, w, b=None):
        import torch.nn.functional as TF

        z = TF.linear(x, w, b)
        if activation == "leaky_relu":
            return TF.leaky_relu(z, 0.2)
        if activation == "gelu_tanh":
            return TF.gelu(z, approximate="tanh")
        return getattr(TF, torch_name)(z)

    args = [Arg(randn(*x_shape)), Arg(randn(3, 4))] + ([Arg(randn(3))] if with_bias else [])
    return Case(f"linear+{activation}{x_shape}{'' if with_bias else '-nobias'}",
                lambda *t: _fused(activation, *t), np_ref, args, torch=torch_ref)


CASES = [_case(a, (5, 4)) for a in ACTIVATIONS] + [_case("tanh", (2, 3, 4)), _case("relu", (5, 4), False)]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fused_op_harness(xp, case):
    """Forward vs NumPy, backward vs finite differences, float32, places, and torch autograd."""
    check_case(xp, case)


def test_bad_activation_teaches(xp):
    x, w = xp.tensor(np.ones((2, 3))), xp.tensor(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"activation must be None or one of 'relu'.*got 'softmax'"):
        F.linear(x, w, activation="softmax")
    with pytest.raises(TypeError, match="negative_slope must be a number"):
        F.linear(x, w, activation="leaky_relu", negative_slope="0.1")


def test_leaky_relu_negative_slope_keeps_the_mask(xp):
    """With a negative slope, Y > 0 no longer says where Z > 0: the gradient must still be right."""
    x = xp.tensor([[1.0, -2.0], [0.5, 3.0]], "float64", requires_grad=True)
    w = xp.tensor([[1.0, 0.0], [0.0, 1.0]], "float64", requires_grad=True)
    out = F.linear(x, w, activation="leaky_relu", negative_slope=-0.5)
    out.sum().backward()
    np.testing.assert_allclose(xp.numpy(out), [[1.0, 1.0], [0.5, 3.0]])
    np.testing.assert_allclose(xp.numpy(x.grad), [[1.0, -0.5], [1.0, 1.0]])


# -- nn.Sequential fuses Linear + activation -------------------------------------------------------
def _mlp(dtype="float64"):
    xn.manual_seed(3)
    return nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 8), nn.LeakyReLU(0.1),
                         nn.Linear(8, 8), nn.Sigmoid(), nn.Linear(8, 8), nn.Tanh(),
                         nn.Linear(8, 8), nn.GELU(approximate="tanh"), nn.Linear(8, 2))


def _moved(model, xp, dtype="float64"):
    return model.to(xp.device).to(dtype=dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_sequential_fusion_gives_the_same_outputs_and_grads(xp, dtype):
    rng = np.random.default_rng(1)
    x = xp.array(rng.standard_normal((16, 3)), dtype)
    y = xp.array(rng.standard_normal((16, 2)), dtype)
    fused, plain = _moved(_mlp(), xp, dtype), _moved(_mlp(), xp, dtype)
    plain.fuse_activations = False
    out_fused, out_plain = fused(x), plain(x)
    assert _graph_size(out_fused) == 6 and _graph_size(out_plain) == 11  # 5 fused pairs + last Linear
    assert [out_fused.grad_fn, out_plain.grad_fn] == ["linear", "linear"]
    nn.MSELoss()(out_fused, y).backward()
    nn.MSELoss()(out_plain, y).backward()
    tol = {"rtol": 1e-12, "atol": 1e-12} if dtype == "float64" else {"rtol": 1e-6, "atol": 1e-6}
    np.testing.assert_allclose(xp.numpy(out_fused), xp.numpy(out_plain), **tol)
    assert list(fused.state_dict()) == list(plain.state_dict())
    for (name, p), q in zip(fused.named_parameters(), plain.parameters()):
        np.testing.assert_allclose(xp.numpy(p.grad), xp.numpy(q.grad), err_msg=name, **tol)


def test_sequential_fuses_only_stock_pairs(xp):
    class MyReLU(nn.ReLU):
        def forward(self, x):
            return F.relu(x) * 2.0

    x = xp.array(np.ones((2, 3)))
    model = _moved(nn.Sequential(nn.Linear(3, 3), MyReLU(), nn.Linear(3, 3), nn.GELU(),
                                 nn.Linear(3, 3), nn.Softmax()), xp, "float32")
    out = model(x)
    assert _graph_size(out) == 7  # nothing fused: a subclass (2 ops), exact GELU, Softmax
    model.fuse_activations = False
    np.testing.assert_array_equal(xp.numpy(out), xp.numpy(model(x)))


def test_sequential_replans_when_its_layers_change(xp):
    x = xp.array(np.ones((2, 3)))
    model = _moved(nn.Sequential(nn.Linear(3, 3), nn.Identity()), xp, "float32")
    assert model(x).grad_fn == "linear"
    model[1] = nn.Tanh()
    assert model(x).grad_fn == "linear+tanh"
    model.append(nn.Linear(3, 3, device=xp.device)).append(nn.Sigmoid())
    assert model(x).grad_fn == "linear+sigmoid"
    model.insert(3, nn.ReLU())  # Linear, Tanh, Linear, ReLU, Sigmoid
    assert model(x).grad_fn == "sigmoid"
    del model[4]
    assert model(x).grad_fn == "linear+relu"
    gelu = nn.GELU(approximate="tanh")
    model[3] = gelu
    assert model(x).grad_fn == "linear+gelu_tanh"
    gelu.approximate = "none"  # options are read at each call
    assert model(x).grad_fn == "gelu"


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "sigmoid", "tanh", "gelu", "softmax", "log_softmax"])
def test_activations_leave_their_input_unchanged(xp, name):
    """Ops may compute in place only into arrays of their own (the sigmoid hands its input
    straight to the NumPy sibling, which must not write it)."""
    values = np.array([[-800.0, -3.0, -0.0, 0.0], [0.5, 2.0, 40.0, 800.0]])
    x = xp.tensor(values.copy(), "float64", requires_grad=True)  # NumPy would share `values`
    out = getattr(xn.functional, name)(x)
    out.backward(xn.Tensor(xp.ns.ones_like(out.array)))
    np.testing.assert_array_equal(xp.numpy(x), values)
