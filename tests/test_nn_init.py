"""nn.init: PyTorch's gains, fans and distributions, on every backend, in place and seeded."""

from __future__ import annotations

import math

import numpy as np
import pytest

import xpnet as xn
from xpnet import nn
from xpnet.nn import init


@pytest.mark.parametrize("name,param", [
    ("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
    ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", math.sqrt(5)), ("selu", None),
])
def test_calculate_gain_matches_torch(torch, name, param):
    assert init.calculate_gain(name, param) == pytest.approx(
        torch.nn.init.calculate_gain(name, param), rel=1e-12)


def test_calculate_gain_rejects_unknown():
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="negative_slope 'x' is not a number"):
        init.calculate_gain("leaky_relu", "x")


@pytest.mark.parametrize("shape", [(3, 5), (4, 3, 2, 2), (7, 2, 3)])
def test_fans_match_torch(xp, torch, shape):
    t = xp.tensor(np.zeros(shape))
    assert init._calculate_fan_in_and_fan_out(t) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(shape))


def test_fans_need_two_dimensions(xp):
    with pytest.raises(ValueError, match=r"at least 2 dimensions.*got shape \(4,\)"):
        init.xavier_uniform_(xp.tensor(np.zeros(4)))


def _param(xp, shape, dtype="float32"):
    return nn.Parameter(xp.array(np.zeros(shape), dtype))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fill_functions_keep_place_and_return_t(xp, dtype):
    for fill, args, expected in ((init.constant_, (2.5,), 2.5), (init.zeros_, (), 0.0),
                                 (init.ones_, (), 1.0)):
        p = _param(xp, (3, 4), dtype)
        assert fill(p, *args) is p
        assert xp.same_place(p) and p.dtype == dtype and p.shape == (3, 4)
        np.testing.assert_array_equal(xp.numpy(p), np.full((3, 4), expected))
    p = _param(xp, (100, 100), dtype)
    assert init.uniform_(p, -2.0, 3.0) is p and xp.same_place(p) and p.dtype == dtype
    v = xp.numpy(p)
    assert v.min() >= -2.0 and v.max() < 3.0 and abs(v.mean() - 0.5) < 0.1
    assert init.normal_(p, 1.0, 0.5) is p and xp.same_place(p) and p.dtype == dtype
    v = xp.numpy(p)
    assert abs(v.mean() - 1.0) < 0.02 and abs(v.std() - 0.5) < 0.02
    assert p.requires_grad and p.is_leaf


def test_xavier(xp):
    p = _param(xp, (200, 300))
    bound = 2.0 * math.sqrt(6 / 500)
    init.xavier_uniform_(p, gain=2.0)
    v = xp.numpy(p)
    assert xp.same_place(p) and p.dtype == xn.float32
    assert np.abs(v).max() <= bound and np.abs(v).max() > 0.99 * bound
    init.xavier_normal_(p)
    assert abs(xp.numpy(p).std() - math.sqrt(2 / 500)) < 0.03 * math.sqrt(2 / 500)


def test_kaiming(xp):
    p = _param(xp, (200, 300))
    init.kaiming_uniform_(p)  # leaky_relu with a=0: gain sqrt(2), fan_in 300
    bound = math.sqrt(2) * math.sqrt(3 / 300)
    v = xp.numpy(p)
    assert np.abs(v).max() <= bound and np.abs(v).max() > 0.99 * bound
    init.kaiming_uniform_(p, a=math.sqrt(5))  # nn.Linear's: bound 1/sqrt(fan_in)
    assert np.abs(xp.numpy(p)).max() <= 1 / math.sqrt(300) * (1 + 1e-6)
    init.kaiming_normal_(p, mode="fan_out", nonlinearity="relu")
    std = math.sqrt(2 / 200)
    assert abs(xp.numpy(p).std() - std) < 0.03 * std
    assert xp.same_place(p) and p.dtype == xn.float32
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out', got 'fan_avg'"):
        init.kaiming_uniform_(p, mode="fan_avg")
    with pytest.raises(ValueError, match="unsupported nonlinearity 'elu'"):
        init.kaiming_normal_(p, nonlinearity="elu")


def test_init_is_seeded(xp):
    a, b, c = _param(xp, (5, 5)), _param(xp, (5, 5)), _param(xp, (5, 5))
    xn.manual_seed(11)
    init.xavier_normal_(a)
    xn.manual_seed(11)
    init.xavier_normal_(b)
    init.xavier_normal_(c)
    np.testing.assert_array_equal(xp.numpy(a), xp.numpy(b))
    assert not np.array_equal(xp.numpy(a), xp.numpy(c))


def test_init_records_no_graph_and_checks_input(xp):
    layer = nn.Linear(3, 2, device=xp.device)
    init.normal_(layer.weight)
    assert layer.weight.is_leaf and layer.weight.grad_fn is None
    layer(xp.array([[1.0, 2.0, 3.0]])).sum().backward()
    assert layer.weight.grad.shape == (2, 3)
    with pytest.raises(TypeError, match=r"needs a floating-point tensor, got xpnet\.int64"):
        init.uniform_(xp.tensor([1, 2], "int64"))
    with pytest.raises(TypeError, match="initialises a Tensor or Parameter, got list"):
        init.normal_([1.0, 2.0])
