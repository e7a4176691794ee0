"""Adadelta, Adamax, NAdam and RAdam follow torch.optim step for step, on every backend."""

from __future__ import annotations

import numpy as np
import pytest

import xpnet as xn
from xpnet import functional as F
from xpnet import optim

STEPS = 30

# (optimizer name in both libraries, keyword options, per-group options for two groups or None)
CASES = [
    ("Adadelta", {}, None),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.1}, None),
    ("Adadelta", {"lr": 0.3, "maximize": True}, ({"rho": 0.5}, {"lr": 1.0})),
    ("Adamax", {}, None),
    ("Adamax", {"lr": 0.05, "betas": (0.8, 0.9), "eps": 1e-3, "weight_decay": 0.1}, None),
    ("Adamax", {"lr": 0.02, "maximize": True}, ({"lr": 0.05}, {"betas": (0.5, 0.6)})),
    ("NAdam", {}, None),
    ("NAdam", {"lr": 0.05, "betas": (0.8, 0.9), "momentum_decay": 0.01, "weight_decay": 0.1}, None),
    ("NAdam", {"lr": 0.05, "weight_decay": 0.2, "decoupled_weight_decay": True}, None),
    ("NAdam", {"lr": 0.01, "maximize": True}, ({"lr": 0.03}, {"momentum_decay": 0.0})),
    ("RAdam", {}, None),
    ("RAdam", {"lr": 0.05, "betas": (0.8, 0.9), "eps": 1e-3, "weight_decay": 0.1}, None),
    ("RAdam", {"lr": 0.05, "weight_decay": 0.2, "decoupled_weight_decay": True}, None),
    ("RAdam", {"lr": 0.02, "maximize": True}, ({"lr": 0.1}, {"betas": (0.5, 0.6)})),
]
NAMES = ["Adadelta", "Adamax", "NAdam", "RAdam"]


def _case_id(case):
    name, options, groups = case
    parts = [f"{k}={v}" for k, v in options.items()]
    return name + ("[" + ",".join(parts) + "]" if parts else "") + ("-2groups" if groups else "")


# -- the problem: a 2-layer MLP, y ~ tanh(x W1^T + b1) W2^T + b2 ----------------------------------
def _host_problem(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((8, 3))
    y = rng.standard_normal((8, 2))
    params = [rng.standard_normal((4, 3)) * 0.5, rng.standard_normal(4) * 0.1,
              rng.standard_normal((2, 4)) * 0.5, rng.standard_normal(2) * 0.1]
    return x, y, params


def _ours(xp, dtype="float64"):
    x, y, params = _host_problem()
    params = [xp.tensor(p, dtype, requires_grad=True) for p in params]
    return xp.tensor(x, dtype), xp.tensor(y, dtype), params


def _theirs(torch, dtype):
    x, y, params = _host_problem()
    dt = getattr(torch, dtype)
    return (torch.tensor(x, dtype=dt), torch.tensor(y, dtype=dt),
            [torch.tensor(p, dtype=dt, requires_grad=True) for p in params])


def _loss(x, y, params):
    w1, b1, w2, b2 = params
    return F.mse_loss(F.linear(xn.tanh(F.linear(x, w1, b1)), w2, b2), y)


def _torch_loss(torch, x, y, params):
    w1, b1, w2, b2 = params
    fn = torch.nn.functional
    return fn.mse_loss(fn.linear(torch.tanh(fn.linear(x, w1, b1)), w2, b2), y)


def _grouped(params, groups):
    if groups is None:
        return params
    return [{"params": params[:2], **groups[0]}, {"params": params[2:], **groups[1]}]


def _step(opt, x, y, params):
    opt.zero_grad()
    loss = _loss(x, y, params)
    loss.backward()
    opt.step()
    return loss


def _torch_step(torch, opt, x, y, params):
    opt.zero_grad()
    loss = _torch_loss(torch, x, y, params)
    loss.backward()
    opt.step()
    return loss


@pytest.fixture
def torch64(torch):
    """torch with float64 as its default dtype: its 0-d optimizer scalars (NAdam's mu_product)
    are then float64, as our Python floats are, so trajectories agree to rounding."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield torch
    torch.set_default_dtype(old)


def _run_both(xp, torch, case, dtype, flat=True):
    name, options, groups = case
    x, y, params = _ours(xp, dtype)
    tx, ty, tparams = _theirs(torch, dtype)
    opt = getattr(optim, name)(_grouped(params, groups), **options)
    opt.flat = flat
    ref = getattr(torch.optim, name)(_grouped(tparams, groups), **options)
    start = [xp.numpy(p).copy() for p in params]
    for step in range(STEPS):
        loss = _step(opt, x, y, params)
        ref_loss = _torch_step(torch, ref, tx, ty, tparams)
        yield step, loss, ref_loss, params, tparams
    for p, p0 in zip(params, start):  # the parameters did move
        assert np.abs(xp.numpy(p) - p0).max() > 1e-4
        assert xp.same_place(p) and p.dtype == getattr(xn, dtype)


@pytest.mark.parametrize("flat", [True, False], ids=["flat", "per-parameter"])
@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_trajectory_matches_torch_float64(xp, torch64, case, flat):
    for step, loss, ref_loss, params, tparams in _run_both(xp, torch64, case, "float64", flat):
        np.testing.assert_allclose(xp.numpy(loss), ref_loss.item(), rtol=1e-9, atol=1e-12,
                                   err_msg=f"loss before step {step}")
        for p, tp in zip(params, tparams):
            np.testing.assert_allclose(xp.numpy(p), tp.detach().numpy(), rtol=1e-9, atol=1e-9,
                                       err_msg=f"{case} step {step}")


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_trajectory_matches_torch_float32_to_1e_6(xp, torch, case):
    """torch's own defaults (float32 params, float32 scalar state): 30 steps agree to 1e-6."""
    for step, _, _, params, tparams in _run_both(xp, torch, case, "float32"):
        for p, tp in zip(params, tparams):
            np.testing.assert_allclose(xp.numpy(p), tp.detach().numpy(), rtol=1e-6, atol=1e-6,
                                       err_msg=f"{case} step {step}")


@pytest.mark.parametrize("name", NAMES)
def test_defaults_are_torchs(xp, torch, name):
    p = xp.tensor([1.0], requires_grad=True)
    ours = getattr(optim, name)([p]).defaults
    theirs = getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)]).defaults
    assert ours, theirs
    for key, value in ours.items():
        assert theirs[key] == value, key
    missing = {"foreach", "capturable", "differentiable", "fused"}
    assert set(theirs) - set(ours) <= missing  # every option of the update rule is here


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_round_trip_continues_identically(xp, name):
    x, y, params = _ours(xp)
    opt = getattr(optim, name)(_grouped(params, ({"lr": 0.02}, {})))
    for _ in range(5):
        _step(opt, x, y, params)
    saved = opt.state_dict()
    assert sorted(saved["state"]) == [0, 1, 2, 3] and saved["state"][0]["step"] == 5
    _, _, clones = _ours(xp)
    for c, p in zip(clones, params):
        c.array = xp.array(xp.numpy(p).copy(), "float64")
    resumed = getattr(optim, name)(_grouped(clones, ({"lr": 0.5}, {})))
    resumed.load_state_dict(saved)
    assert resumed.param_groups[0]["lr"] == 0.02
    for _ in range(5):
        _step(opt, x, y, params)
        _step(resumed, x, y, clones)
    for p, c in zip(params, clones):
        np.testing.assert_array_equal(xp.numpy(p), xp.numpy(c))


@pytest.mark.parametrize("name", NAMES)
def test_loads_a_torch_state_dict_and_continues_as_torch(xp, torch64, name):
    """torch.optim's state (0-d tensors for step and mu_product) loads onto any backend."""
    torch = torch64
    x, y, params = _ours(xp)
    tx, ty, tparams = _theirs(torch, "float64")
    ref = getattr(torch.optim, name)(tparams, lr=0.01)
    for _ in range(4):
        _torch_step(torch, ref, tx, ty, tparams)
    for p, tp in zip(params, tparams):
        p.array = xp.array(tp.detach().numpy().copy(), "float64")
    opt = getattr(optim, name)(params, lr=0.5)
    opt.load_state_dict(ref.state_dict())
    assert opt.param_groups[0]["lr"] == 0.01 and opt.state[params[0]]["step"] == 4
    if name == "NAdam":
        assert isinstance(opt.state[params[0]]["mu_product"], float)
    for _ in range(4):
        _step(opt, x, y, params)
        _torch_step(torch, ref, tx, ty, tparams)
    for p, tp in zip(params, tparams):
        np.testing.assert_allclose(xp.numpy(p), tp.detach().numpy(), rtol=1e-9, atol=1e-9)
        assert xp.same_place(p)


BAD_OPTIONS = [
    (optim.Adadelta, {"lr": -1.0}, "Invalid learning rate: -1.0"),
    (optim.Adadelta, {"rho": 1.5}, "Invalid rho value: 1.5"),
    (optim.Adadelta, {"eps": -1.0}, "Invalid epsilon value: -1.0"),
    (optim.Adadelta, {"weight_decay": -0.1}, "Invalid weight_decay value: -0.1"),
    (optim.Adamax, {"betas": (0.9, 1.0)}, "Invalid beta parameter at index 1: 1.0"),
    (optim.Adamax, {"eps": -1.0}, "Invalid epsilon value: -1.0"),
    (optim.NAdam, {"momentum_decay": -0.1}, "Invalid momentum_decay value: -0.1"),
    (optim.NAdam, {"betas": (-0.1, 0.9)}, "Invalid beta parameter at index 0: -0.1"),
    (optim.RAdam, {"lr": -0.1}, "Invalid learning rate: -0.1"),
    (optim.RAdam, {"weight_decay": -0.1}, "Invalid weight_decay value: -0.1"),
]


@pytest.mark.parametrize(("cls", "options", "match"), BAD_OPTIONS,
                         ids=[f"{c.__name__}-{next(iter(o))}" for c, o, _ in BAD_OPTIONS])
def test_bad_hyperparameters_raise_as_torch(xp, torch, cls, options, match):
    p = xp.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match=match):
        cls([p], **options)
    with pytest.raises(ValueError, match=match):  # per-group options are checked too
        cls([{"params": [p], **options}])
    with pytest.raises(ValueError, match=match):  # torch refuses the same values with these words
        getattr(torch.optim, cls.__name__)([torch.zeros(1, requires_grad=True)], **options)
