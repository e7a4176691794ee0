"""Small parameter groups updated as one array (``xpnet.optim._flat``): the same numbers, and
every way of rebinding a parameter or its state is noticed."""

from __future__ import annotations

import numpy as np
import pytest

import xpnet as xn
from test_optim import OPT_IDS, OPTIMIZERS, _grouped, _loss, _ours, _train_step
from xpnet import nn, optim
from xpnet.optim import _flat

FLAT_LIBRARIES = ("numpy", "torch", "cupy")


def _flattens(xp) -> bool:
    return xp.name.split("-")[0] in FLAT_LIBRARIES


def _trajectory(xp, make, flat, steps=6, between=None, groups=None):
    x, y, params = _ours(xp)
    opt = make(_grouped(params, groups))
    opt.flat = flat
    for i in range(steps):
        _train_step(opt, x, y, params)
        if between is not None:
            between(i, opt, params)
    return opt, params


@pytest.mark.parametrize("make", OPTIMIZERS, ids=OPT_IDS)
@pytest.mark.parametrize("groups", [None, ({"lr": 0.02}, {})], ids=["1group", "2groups"])
def test_flat_steps_give_the_same_numbers(xp, make, groups):
    opt, params = _trajectory(xp, make, flat=True, groups=groups)
    _, reference = _trajectory(xp, make, flat=False, groups=groups)
    for p, r in zip(params, reference):
        np.testing.assert_array_equal(xp.numpy(p), xp.numpy(r))
    flat_groups = [entry[1] for entry in opt._flat_groups.values()]
    if not _flattens(xp):
        assert flat_groups == []
        return
    assert len(flat_groups) == len(opt.param_groups)
    for fg in flat_groups:
        for i, p in enumerate(fg.params):
            assert p.array is fg.views[i]
            assert tuple(p.array.shape) == p.shape
            for name, views in fg.state_views.items():
                assert opt.state[p][name] is views[i], name
        # The views share the flat array's memory: a change through the flat array shows.
        before = xp.numpy(fg.params[0]).copy()
        fg.flat[0] += 1.0
        assert xp.numpy(fg.params[0]).reshape(-1)[0] == before.reshape(-1)[0] + 1.0


@pytest.mark.parametrize("make", OPTIMIZERS, ids=OPT_IDS)
def test_rebinding_data_or_state_midway_is_followed(xp, make):
    """``p.array = ...``, ``load_state_dict`` and state rebound by hand between flat steps: same numbers."""
    def meddle(i, opt, params):
        if i == 1:  # rebind one parameter to a copy of its values
            params[1].array = xp.array(xp.numpy(params[1]).copy(), "float64")
        if i == 2:  # reload the optimizer's own state: fresh buffers, no views
            saved = opt.state_dict()
            opt.load_state_dict({"state": {k: {n: (xp.array(xp.numpy(v).copy(), "float64")
                                                   if not isinstance(v, (int, float)) else v)
                                               for n, v in s.items()} for k, s in saved["state"].items()},
                                 "param_groups": saved["param_groups"]})
        if i == 3:  # rebind one parameter's state buffers by hand, to other values
            state = opt.state[params[2]]
            for name, value in list(state.items()):
                if not isinstance(value, (int, float)):
                    state[name] = xp.array(xp.numpy(value) * 0.5, "float64")

    _, params = _trajectory(xp, make, flat=True, between=meddle)
    _, reference = _trajectory(xp, make, flat=False, between=meddle)
    for p, r in zip(params, reference):
        np.testing.assert_array_equal(xp.numpy(p), xp.numpy(r))


def test_a_parameter_without_grad_takes_the_per_parameter_path(xp):
    x, y, params = _ours(xp)
    opt = optim.SGD(params, lr=0.1, momentum=0.9)
    for _ in range(3):
        _train_step(opt, x, y, params)
    frozen = xp.numpy(params[0]).copy()
    rest = [xp.numpy(p).copy() for p in params[1:]]
    opt.zero_grad()

    _loss(x, y, params).backward()
    params[0].grad = None  # frozen for this step
    opt.step()
    np.testing.assert_array_equal(xp.numpy(params[0]), frozen)
    assert all(not np.array_equal(xp.numpy(p), r) for p, r in zip(params[1:], rest))


def test_flat_false_keeps_every_parameters_own_array(xp):
    x, y, params = _ours(xp)
    data = [p.array for p in params]
    opt = optim.Adam(params, lr=0.01)
    opt.flat = False
    for _ in range(3):
        _train_step(opt, x, y, params)
    # JAX: each parameter is rebound to its own new array (nothing is written in place)
    assert all((p.array is not d) if xp.ns.immutable else (p.array is d) for p, d in zip(params, data))
    assert opt._flat_groups == {}


def test_large_groups_are_not_flattened(xp):
    rng = np.random.default_rng(0)
    params = [xp.tensor(rng.standard_normal((300, 300)), "float64", requires_grad=True),
              xp.tensor(rng.standard_normal(300), "float64", requires_grad=True)]
    assert 300 * 300 + 300 > _flat.MAX_ELEMENTS
    opt = optim.SGD(params, lr=0.1, momentum=0.9)
    data = [p.array for p in params]
    for _ in range(3):
        opt.zero_grad()
        ((params[0] * params[0]).sum() + (params[1] * params[1]).sum()).backward()
        opt.step()
    assert opt._flat_groups == {}
    assert all((p.array is not d) if xp.ns.immutable else (p.array is d) for p, d in zip(params, data))


def test_model_to_after_flat_steps_moves_state_and_continues(xp):
    """``model.to(dtype)`` rebinds every parameter: the next step follows, then flattens again."""
    def run(flat):
        xn.manual_seed(0)
        model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).to(xp.device)
        opt = optim.Adam(model.parameters(), lr=0.01)
        opt.flat = flat
        x, y = xn.randn(8, 3, device=xp.device), xn.randn(8, 2, device=xp.device)
        for i in range(6):
            if i == 3:
                model.to(dtype=xn.float64)
                x, y = x.to(dtype=xn.float64), y.to(dtype=xn.float64)
            opt.zero_grad()
            nn.MSELoss()(model(x), y).backward()
            opt.step()
        return opt, [xp.numpy(p) for p in model.parameters()]

    opt, flat = run(True)
    _, reference = run(False)
    for a, b in zip(flat, reference):
        assert a.dtype == np.float64
        np.testing.assert_array_equal(a, b)
    groups = [entry[1] for entry in opt._flat_groups.values()]
    if not _flattens(xp):
        assert groups == []
        return
    (fg,) = groups
    assert xp.numpy(fg.flat).dtype == np.float64
    assert all(opt.state[p]["exp_avg"].dtype == fg.flat.dtype for p in fg.params)


@pytest.mark.parametrize("flat", [True, False], ids=["flat", "per-parameter"])
def test_a_gradient_of_the_wrong_shape_raises_and_changes_nothing(xp, flat):
    """A ``.grad`` set by hand that would broadcast (shape (1,) for a (8,) bias) is refused before
    any parameter or state moves, flat group or not."""
    x, y, params = _ours(xp)
    opt = optim.SGD(params, lr=0.1, momentum=0.9)
    opt.flat = flat
    for _ in range(3):
        _train_step(opt, x, y, params)
    opt.zero_grad()
    _loss(x, y, params).backward()
    bias = next(p for p in params if len(p.shape) == 1 and p.shape[0] > 1)
    short = xp.array(xp.numpy(bias.grad)[:1], "float64")
    with pytest.raises(RuntimeError, match="assigned grad has data of a different size"):
        bias.grad = short  # refused at once, as torch does
    bias.grad.array = short  # the native array rebound by hand: step() still refuses it
    values = [xp.numpy(p).copy() for p in params]
    buffers = [xp.numpy(opt.state[p]["momentum_buffer"]).copy() for p in params]
    with pytest.raises(ValueError, match=r"\.grad of shape \(1,\)"):
        opt.step()
    for p, v, b in zip(params, values, buffers):
        np.testing.assert_array_equal(xp.numpy(p), v)
        np.testing.assert_array_equal(xp.numpy(opt.state[p]["momentum_buffer"]), b)


SGD_OPTIONS = {
    "plain": {},
    "momentum": {"momentum": 0.9},
    "dampening": {"momentum": 0.9, "dampening": 0.3},
    "nesterov+wd": {"momentum": 0.9, "nesterov": True, "weight_decay": 0.1},
    "maximize": {"momentum": 0.5, "maximize": True},
}


@pytest.mark.parametrize("options", SGD_OPTIONS.values(), ids=SGD_OPTIONS.keys())
def test_sgd_plans_follow_option_changes_bit_for_bit(xp, options):
    """A flat SGD group runs a plan made for its option values (NumPy); a changed lr every
    step, and momentum switched on midway (no buffer yet), give the per-parameter numbers."""
    used = []

    def change(i, opt, params):
        for group in opt.param_groups:
            used.append(group["lr"])  # the value the step just taken ran with
            group["lr"] = 0.1 / (i + 2)  # a schedule: a new value every step
            if i == 2 and group["momentum"] == 0:
                group["momentum"] = 0.8  # the plan has no buffer to use: the update makes it

    def make(ps):
        return optim.SGD(ps, lr=0.1, **options)

    opt, params = _trajectory(xp, make, flat=True, between=change)
    _, reference = _trajectory(xp, make, flat=False, between=change)
    for p, r in zip(params, reference):
        np.testing.assert_array_equal(xp.numpy(p), xp.numpy(r))
    if xp.name == "numpy":  # the flat group ran a plan, made for the last option values
        (_, group), = opt._flat_groups.values()
        assert group.plan is not None
        assert group.plan_key[0] == used[-1] == 0.1 / 6


def test_a_subclass_with_its_own_update_is_not_bypassed_by_a_plan(xp):
    """A flat group of an SGD subclass that overrides ``_update`` keeps calling it."""
    calls = []

    class Halved(optim.SGD):
        def _update(self, p, g, state, group):
            calls.append(p.shape)
            super()._update(p, g * 0.5, state, group)

    x, y, params = _ours(xp)
    opt = Halved(params, lr=0.1, momentum=0.9)
    for _ in range(4):
        _train_step(opt, x, y, params)
    per_step = len(params) if not _flattens(xp) else 1  # one call for the whole flat group
    assert len(calls) == len(params) + 3 * per_step
