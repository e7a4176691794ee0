"""NumPy's blocked optimizer steps (xpnet.cpu) give exactly the generic twins' results."""

from __future__ import annotations

import numpy as np
import pytest

from xpnet import _backend
from xpnet.cpu import blocked
from xpnet.optim.adam import adam_step
from xpnet.optim.sgd import sgd_step

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
        pytest.skip(f"{xp.name}: xpnet.cpu siblings are NumPy-only (dispatch runs the twin)")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("options", SGD_OPTIONS)
def test_blocked_sgd_is_bit_identical_to_the_twin(xp, small_blocks, options, dtype):
    _numpy_only(xp)
    p, g, b, _ = _arrays(xp, dtype)
    p2, b2 = p.copy(), b.copy()
    for _ in range(3):
        p, b = _backend.dispatch(sgd_step, xp.ns, p, g, b, **options)
        p2, b2 = sgd_step(xp.ns, p2, g, b2, **options)
    assert np.array_equal(p, p2) and np.array_equal(b, b2)
    assert not np.array_equal(p, _arrays(xp, dtype)[0])  # it really moved


@pytest.mark.parametrize("options", ADAM_OPTIONS)
def test_blocked_adam_is_bit_identical_to_the_twin(xp, small_blocks, options):
    _numpy_only(xp)
    p, g, m, v = _arrays(xp, "float32")
    v = v * v
    options = dict(options)
    vmax = v.copy() if options.pop("amsgrad") else None
    p2, m2, v2 = p.copy(), m.copy(), v.copy()
    vmax2 = None if vmax is None else vmax.copy()
    for step in range(1, 4):
        kw = dict(step=step, lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, **options)
        p, m, v, vmax = _backend.dispatch(adam_step, xp.ns, p, g, m, v, vmax, **kw)
        p2, m2, v2, vmax2 = adam_step(xp.ns, p2, g, m2, v2, vmax2, **kw)
    for ours, twin in [(p, p2), (m, m2), (v, v2), (vmax, vmax2)]:
        assert (ours is None and twin is None) or np.array_equal(ours, twin)


def test_blocked_update_is_in_place_and_reports_use(xp, small_blocks):
    _numpy_only(xp)
    import xpnet.cpu as cpu

    p, g, b, _ = _arrays(xp, "float32")
    before = p.copy()
    out = cpu.sgd_step(xp.ns, p, g, b, **SGD_OPTIONS[1])
    assert out is not None and out[0] is p and out[1] is b
    assert not np.array_equal(p, before)
    assert cpu.sgd_step(xp.ns, p, g, None, **SGD_OPTIONS[1]) is None  # first momentum step
    assert cpu.sgd_step(xp.ns, p.T, g.T, b.T, **SGD_OPTIONS[1]) is None  # not C-contiguous


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
def test_bias_act_is_bit_identical_to_the_twin(xp, activation, dtype, shape, with_bias):
    """Same forward and gradient bits, extremes included (the stable sigmoid's both branches)."""
    _numpy_only(xp)
    from xpnet.cpu.activation import bias_act as sibling
    from xpnet.functional.fused import bias_act as twin

    rng = np.random.default_rng(1)
    z = rng.standard_normal(shape) * 4
    z.flat[:6] = [0.0, -0.0, 800.0, -800.0, 40.0, -40.0]
    z = xp.array(z, dtype)
    bias = xp.array(rng.standard_normal(shape[-1]), dtype) if with_bias else None
    g = xp.array(rng.standard_normal(shape), dtype)
    y, grad = sibling(xp.ns, z.copy(), bias, activation)
    y_twin, grad_twin = twin(xp.ns, z.copy(), bias, activation)
    assert y.dtype == y_twin.dtype
    np.testing.assert_array_equal(y, y_twin)
    np.testing.assert_array_equal(grad(g), grad_twin(g))


def test_bias_act_leaves_what_it_does_not_cover_to_the_twin(xp):
    _numpy_only(xp)
    from xpnet.cpu.activation import bias_act as sibling

    z = xp.array(np.ones((3, 4)), "float32")
    assert sibling(xp.ns, z.copy(), None, "gelu_tanh") is None  # not written: the twin runs
    assert sibling(xp.ns, z.copy(), None, "leaky_relu") is None
    assert sibling(xp.ns, xp.array(np.ones((3, 4)), "int64"), None, "relu") is None
    assert sibling(xp.ns, z.copy(), xp.array(np.ones(4), "float64"), "relu") is None  # mixed dtypes
    fresh = z.copy()
    y, _ = sibling(xp.ns, fresh, None, "relu")
    assert y is fresh  # in place in the fresh GEMM output


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("options", SGD_OPTIONS)
def test_small_sgd_in_place_is_bit_identical_to_the_twin(xp, options, dtype):
    """Below the block size the sibling runs the twin's passes in place, checked once."""
    _numpy_only(xp)
    import xpnet.cpu as cpu

    p, g, b, _ = _arrays(xp, dtype, shape=(3, 5))
    p2, b2 = p.copy(), b.copy()
    for _ in range(3):
        out = cpu.sgd_step(xp.ns, p, g, b, **options)
        assert out is not None and out[0] is p and out[1] is b  # in place: the same arrays
        p2, b2 = sgd_step(xp.ns, p2, g, b2, **options)
    assert np.array_equal(p, p2) and np.array_equal(b, b2)
    assert cpu.sgd_step(xp.ns, p, g, None, **SGD_OPTIONS[1]) is None  # first momentum step
    read_only = p.copy()
    read_only.flags.writeable = False
    assert cpu.sgd_step(xp.ns, read_only, g, b, **options) is None  # the twin rebinds it
