"""NumPy's backend overrides (blocked and in-place optimizer steps, activations in place, the
namespace functions bound to C) give exactly the generic code's results, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from xpnet import _backend
from xpnet._backend import Backend
from xpnet._backend import _blocked as blocked

GENERIC = Backend(_backend.numpy_xp.namespace)  # the generic code over array-api-compat's NumPy

SGD_OPTIONS = [
    dict(lr=0.1, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False),
    dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01, nesterov=False),
    dict(lr=0.05, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=True),
]
ADAM_OPTIONS = [
    dict(amsgrad=False, weight_decay=0.0, decoupled=False),
    dict(amsgrad=True, weight_decay=0.01, decoupled=False),
    dict(amsgrad=False, weight_decay=0.01, decoupled=True),
]


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of 256 elements from 1000 on, so a (37, 29) array has a partial last block."""
    monkeypatch.setattr(blocked, "BLOCK", 256)
    monkeypatch.setattr(blocked, "MIN_SIZE", 1000)


def _arrays(xp, dtype, n=4, shape=(37, 29)):
    rng = np.random.default_rng(0)
    return [xp.array(rng.standard_normal(shape), dtype) for _ in range(n)]


def _numpy_only(xp):
    if xp.name != "numpy":
        pytest.skip(f"{xp.name}: NumPy's overrides are NumPy's own (other libraries run the generic code)")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("options", SGD_OPTIONS)
def test_blocked_sgd_is_bit_identical_to_the_generic_code(xp, small_blocks, options, dtype):
    _numpy_only(xp)
    p, g, b, _ = _arrays(xp, dtype)
    p2, b2 = p.copy(), b.copy()
    for _ in range(3):
        p, b = xp.ns.sgd_step(p, g, b, **options)
        p2, b2 = GENERIC.sgd_step(p2, g, b2, **options)
    assert np.array_equal(p, p2) and np.array_equal(b, b2)
    assert not np.array_equal(p, _arrays(xp, dtype)[0])  # it really moved


@pytest.mark.parametrize("options", ADAM_OPTIONS)
def test_blocked_adam_is_bit_identical_to_the_generic_code(xp, small_blocks, options):
    _numpy_only(xp)
    p, g, m, v = _arrays(xp, "float32")
    v = v * v
    options = dict(options)
    vmax = v.copy() if options.pop("amsgrad") else None
    p2, m2, v2 = p.copy(), m.copy(), v.copy()
    vmax2 = None if vmax is None else vmax.copy()
    for step in range(1, 4):
        kw = dict(step=step, lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, **options)
        p, m, v, vmax = xp.ns.adam_step(p, g, m, v, vmax, **kw)
        p2, m2, v2, vmax2 = GENERIC.adam_step(p2, g, m2, v2, vmax2, **kw)
    for ours, generic in [(p, p2), (m, m2), (v, v2), (vmax, vmax2)]:
        assert (ours is None and generic is None) or np.array_equal(ours, generic)


def test_blocked_update_is_in_place_and_declines_the_rest(xp, small_blocks, monkeypatch):
    _numpy_only(xp)
    p, g, b, _ = _arrays(xp, "float32")
    before = p.copy()
    out = xp.ns.sgd_step(p, g, b, **SGD_OPTIONS[1])
    assert out[0] is p and out[1] is b
    assert not np.array_equal(p, before)
    calls = []
    generic = Backend.sgd_step
    monkeypatch.setattr(Backend, "sgd_step", lambda self, *a, **k: calls.append(1) or generic(self, *a, **k))
    xp.ns.sgd_step(p, g, None, **SGD_OPTIONS[1])  # first momentum step: the generic code makes b
    xp.ns.sgd_step(p.T, g.T, b.T, **SGD_OPTIONS[1])  # not C-contiguous: the generic code
    assert len(calls) == 2


def test_a_worker_error_reaches_the_caller(xp, small_blocks):
    _numpy_only(xp)
    p = xp.array(np.zeros(3000), "float32")

    def fail(block):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        blocked.in_blocks(fail, [p])


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(5, 7), (64, 40)], ids=["small", "bitwise-where"])
@pytest.mark.parametrize("with_bias", [True, False], ids=["bias", "no-bias"])
def test_bias_act_is_bit_identical_to_the_generic_code(xp, activation, dtype, shape, with_bias):
    """Same forward and gradient bits, extremes included (the stable sigmoid's both branches)."""
    _numpy_only(xp)

    rng = np.random.default_rng(1)
    z = rng.standard_normal(shape) * 4
    z.flat[:6] = [0.0, -0.0, 800.0, -800.0, 40.0, -40.0]
    z = xp.array(z, dtype)
    bias = xp.array(rng.standard_normal(shape[-1]), dtype) if with_bias else None
    g = xp.array(rng.standard_normal(shape), dtype)
    y, grad = xp.ns.bias_act(z.copy(), bias, activation)
    y_twin, grad_twin = GENERIC.bias_act(z.copy(), bias, activation)
    assert y.dtype == y_twin.dtype
    np.testing.assert_array_equal(y, y_twin)
    np.testing.assert_array_equal(grad(g), grad_twin(g))


def test_activation_declines_what_it_does_not_cover(xp, monkeypatch):
    """gelu, leaky_relu, integers and 0-d inputs go to the generic code; the fused path writes
    the fresh GEMM output in place, a standalone activation never writes its input."""
    _numpy_only(xp)
    calls = []
    generic = Backend.activation
    monkeypatch.setattr(Backend, "activation",
                        lambda self, *a, **k: calls.append(a[1]) or generic(self, *a, **k))
    z = xp.array(np.ones((3, 4)), "float32")
    xp.ns.activation(z.copy(), "gelu_tanh")
    xp.ns.activation(z.copy(), "leaky_relu")
    xp.ns.activation(np.ones((3, 4), "float16"), "relu")
    xp.ns.activation(np.float32(2.0), "relu")
    assert calls == ["gelu_tanh", "leaky_relu", "relu", "relu"]
    fresh = z.copy()
    y, _ = xp.ns.bias_act(fresh, None, "relu")
    assert y is fresh  # in place in the fresh GEMM output
    kept = -z
    y, _ = xp.ns.activation(kept, "relu")
    assert y is not kept and np.array_equal(kept, -z)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("options", SGD_OPTIONS)
def test_small_sgd_in_place_is_bit_identical_to_the_generic_code(xp, options, dtype):
    """Below the block size NumPy runs the generic passes in place, writeability checked once."""
    _numpy_only(xp)
    p, g, b, _ = _arrays(xp, dtype, shape=(3, 5))
    p2, b2 = p.copy(), b.copy()
    for _ in range(3):
        out = xp.ns.sgd_step(p, g, b, **options)
        assert out[0] is p and out[1] is b  # in place: the same arrays
        p2, b2 = GENERIC.sgd_step(p2, g, b2, **options)
    assert np.array_equal(p, p2) and np.array_equal(b, b2)
    read_only = p.copy()
    read_only.flags.writeable = False
    out = xp.ns.sgd_step(read_only, g, b.copy(), **options)  # the generic code rebinds it
    assert out[0] is not read_only and np.array_equal(read_only, p)
