"""Optimizers follow torch.optim step for step, on every backend, and behave like it."""

from __future__ import annotations

import numpy as np
import pytest

import xpnet as xn
from xpnet import _backend, optim
from xpnet import functional as F

STEPS = 20

# (optimizer name in both libraries, keyword options, per-group options for two groups or None)
CASES = [
    ("SGD", {"lr": 0.1}, None),
    ("SGD", {"lr": 0.1, "momentum": 0.9}, None),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3}, None),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1}, None),
    ("SGD", {"lr": 0.1, "weight_decay": 0.2, "maximize": True}, None),
    ("SGD", {"lr": 0.1, "momentum": 0.5}, ({"lr": 0.2}, {"lr": 0.01, "momentum": 0.9})),
    ("Adam", {}, None),
    ("Adam", {"lr": 0.05, "betas": (0.8, 0.9), "eps": 1e-3}, None),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True}, None),
    ("Adam", {"lr": 0.05, "maximize": True}, None),
    ("Adam", {"lr": 0.01}, ({"lr": 0.1}, {"betas": (0.5, 0.6), "amsgrad": True})),
    ("AdamW", {"lr": 0.05}, None),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.5, "amsgrad": True, "eps": 1e-4}, None),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.1, "maximize": True}, None),
    ("RMSprop", {}, None),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-3, "weight_decay": 0.1}, None),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}, None),
    ("RMSprop", {"lr": 0.01, "centered": True}, None),
    ("RMSprop", {"lr": 0.005, "centered": True, "momentum": 0.5, "maximize": True}, None),
    ("RMSprop", {"lr": 0.01}, ({"lr": 0.02, "centered": True}, {"momentum": 0.3})),
    ("Adagrad", {"lr": 0.1}, None),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.1}, None),
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-3}, None),
    ("Adagrad", {"lr": 0.1, "maximize": True}, ({"lr": 0.3}, {"lr_decay": 0.1})),
]


def _case_id(case):
    name, options, groups = case
    parts = [f"{k}={v}" for k, v in options.items()]
    return name + ("[" + ",".join(parts) + "]" if parts else "") + ("-2groups" if groups else "")


# -- the problem: a 2-layer MLP, y ~ tanh(x W1^T + b1) W2^T + b2, in float64 --------------------
def _host_problem(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((8, 3))
    y = rng.standard_normal((8, 2))
    params = [rng.standard_normal((4, 3)) * 0.5, rng.standard_normal(4) * 0.1,
              rng.standard_normal((2, 4)) * 0.5, rng.standard_normal(2) * 0.1]
    return x, y, params


def _ours(xp, seed=0):
    x, y, params = _host_problem(seed)
    params = [xp.tensor(p, "float64", requires_grad=True) for p in params]
    return xp.tensor(x, "float64"), xp.tensor(y, "float64"), params


def _loss(x, y, params):
    w1, b1, w2, b2 = params
    return F.mse_loss(F.linear(xn.tanh(F.linear(x, w1, b1)), w2, b2), y)


def _theirs(torch, seed=0):
    x, y, params = _host_problem(seed)
    return (torch.from_numpy(x), torch.from_numpy(y),
            [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in params])


def _torch_loss(torch, x, y, params):
    w1, b1, w2, b2 = params
    hidden = torch.tanh(torch.nn.functional.linear(x, w1, b1))
    return torch.nn.functional.mse_loss(torch.nn.functional.linear(hidden, w2, b2), y)


def _grouped(params, groups):
    if groups is None:
        return params
    return [{"params": params[:2], **groups[0]}, {"params": params[2:], **groups[1]}]


def _train_step(opt, x, y, params):
    opt.zero_grad()
    loss = _loss(x, y, params)
    loss.backward()
    opt.step()
    return loss


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_trajectory_matches_torch(xp, torch, case):
    name, options, groups = case
    x, y, params = _ours(xp)
    tx, ty, tparams = _theirs(torch)
    opt = getattr(optim, name)(_grouped(params, groups), **options)
    ref = getattr(torch.optim, name)(_grouped(tparams, groups), **options)
    start = [xp.numpy(p).copy() for p in params]
    for step in range(STEPS):
        loss = _train_step(opt, x, y, params)
        ref.zero_grad()
        ref_loss = _torch_loss(torch, tx, ty, tparams)
        ref_loss.backward()
        ref.step()
        np.testing.assert_allclose(xp.numpy(loss), ref_loss.item(), rtol=1e-9, atol=1e-12,
                                   err_msg=f"loss before step {step}")
        for p, tp in zip(params, tparams):
            np.testing.assert_allclose(xp.numpy(p), tp.detach().numpy(), rtol=1e-9, atol=1e-9,
                                       err_msg=f"{name} {options} step {step}")
    for p, p0 in zip(params, start):  # the parameters did move
        assert np.abs(xp.numpy(p) - p0).max() > 1e-3
        assert xp.same_place(p) and p.dtype == xn.float64


def test_rebinds_when_arrays_are_not_writeable(xp, torch, monkeypatch):
    """Where arrays are immutable (JAX), updates rebind ``p.array``: the same trajectory.

    That is the generic ``adam_step`` (``apply_`` rebinding what is not writeable): CuPy's
    kernel updates in place, CuPy arrays being always writeable, so the test runs the generic
    update on every backend.
    """
    from xpnet._backend import Backend

    monkeypatch.setattr(_backend, "is_writeable", lambda array: False)
    monkeypatch.setattr(type(xp.ns), "is_writeable", lambda self, array: False)
    monkeypatch.setattr(type(xp.ns), "adam_step", Backend.adam_step)
    x, y, params = _ours(xp)
    tx, ty, tparams = _theirs(torch)
    opt = optim.Adam(params, lr=0.05, amsgrad=True)
    ref = torch.optim.Adam(tparams, lr=0.05, amsgrad=True)
    for _ in range(5):
        before = [p.array for p in params]
        exp_avgs = [opt.state[p].get("exp_avg") for p in params]
        _train_step(opt, x, y, params)
        ref.zero_grad()
        _torch_loss(torch, tx, ty, tparams).backward()
        ref.step()
        assert all(p.array is not b for p, b in zip(params, before))
        assert all(opt.state[p]["exp_avg"] is not m for p, m in zip(params, exp_avgs))
    for p, tp in zip(params, tparams):
        np.testing.assert_allclose(xp.numpy(p), tp.detach().numpy(), rtol=1e-9, atol=1e-9)


def _all_optimizers():
    return [
        lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1),
        lambda ps: optim.Adam(ps, lr=0.05, amsgrad=True, weight_decay=0.1),
        lambda ps: optim.AdamW(ps, lr=0.05),
        lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.5, centered=True, weight_decay=0.1),
        lambda ps: optim.Adagrad(ps, lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1),
    ]


OPTIMIZERS = _all_optimizers()
OPT_IDS = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"]


@pytest.mark.parametrize("make", OPTIMIZERS, ids=OPT_IDS)
def test_updates_in_place_and_state_keeps_place(xp, make):
    x, y, params = _ours(xp)
    opt = make(params)
    _train_step(opt, x, y, params)
    data = [p.array for p in params]
    buffers = {id(p): {k: v for k, v in opt.state[p].items() if not isinstance(v, int)} for p in params}
    assert all(buffers.values()), "every parameter has state buffers after a step"
    for _ in range(3):
        grads = [p.grad for p in params]
        _train_step(opt, x, y, params)
        assert all(g is not p.grad for g, p in zip(grads, params))  # fresh grads each step
    rebound = xp.ns.immutable  # JAX: parameters and state buffers are rebound to new arrays
    for p, d in zip(params, data):
        assert (p.array is not d) if rebound else (p.array is d)  # else in place: no new arrays
        for name, buf in buffers[id(p)].items():
            now = opt.state[p][name]
            assert (now is not buf) if rebound else (now is buf), name
            assert xp.same_place(now), name
            assert now.dtype == p.array.dtype and tuple(now.shape) == p.shape, name


@pytest.mark.parametrize("make", OPTIMIZERS, ids=OPT_IDS)
def test_float32_stays_float32_and_grads_are_not_mutated(xp, make):
    p = xp.tensor([[0.5, -1.0], [2.0, 0.25]], "float32", requires_grad=True)
    opt = make([p])
    for _ in range(3):
        grad = xp.array([[0.1, -0.2], [0.3, 0.4]], "float32")
        p.grad = grad
        opt.step()
        assert p.grad.array is grad
        np.testing.assert_array_equal(xp.numpy(grad), np.array([[0.1, -0.2], [0.3, 0.4]], "float32"))
    assert p.dtype == xn.float32 and xp.same_place(p)
    for value in opt.state[p].values():
        if not isinstance(value, int):
            assert xp.same_place(value) and _backend.namespace(value).float32 == value.dtype
    if "step" in opt.state[p]:
        assert opt.state[p]["step"] == 3 and type(opt.state[p]["step"]) is int


def test_first_momentum_buffer_is_the_gradient_not_a_view_of_it(xp):
    p = xp.tensor([1.0, 2.0], "float64", requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = xp.array([1.0, -1.0], "float64")
    opt.step()
    buf = opt.state[p]["momentum_buffer"]
    assert buf is not p.grad
    np.testing.assert_array_equal(xp.numpy(buf), [1.0, -1.0])
    np.testing.assert_allclose(xp.numpy(p), [0.9, 2.1])
    p.grad = xp.array([1.0, 1.0], "float64")
    opt.step()  # buf = 0.9 * [1, -1] + [1, 1]
    np.testing.assert_allclose(xp.numpy(opt.state[p]["momentum_buffer"]), [1.9, 0.1])
    np.testing.assert_allclose(xp.numpy(p), [0.9 - 0.19, 2.1 - 0.01])


@pytest.mark.parametrize("make", OPTIMIZERS, ids=OPT_IDS)
def test_state_dict_round_trip_continues_identically(xp, make):
    x, y, params = _ours(xp)
    opt = make(_grouped(params, ({"lr": 0.02}, {})))
    for _ in range(5):
        _train_step(opt, x, y, params)
    saved = opt.state_dict()
    assert sorted(saved["state"]) == [0, 1, 2, 3]
    assert [g["params"] for g in saved["param_groups"]] == [[0, 1], [2, 3]]
    assert saved["param_groups"][0]["lr"] == 0.02

    _, _, clones = _ours(xp)
    for c, p in zip(clones, params):
        c.array = xp.array(xp.numpy(p).copy(), "float64")  # a copy: NumPy would share p's memory
    resumed = make(_grouped(clones, ({"lr": 0.5}, {})))
    resumed.load_state_dict(saved)
    assert resumed.param_groups[0]["lr"] == 0.02
    for p, c in zip(params, clones):
        for name, value in opt.state[p].items():
            if isinstance(value, int):
                assert resumed.state[c][name] == value
            else:
                assert resumed.state[c][name] is not value  # a copy: the two can train on
                assert xp.same_place(resumed.state[c][name])
    for _ in range(5):
        _train_step(opt, x, y, params)
        _train_step(resumed, x, y, clones)
    for p, c in zip(params, clones):
        np.testing.assert_array_equal(xp.numpy(p), xp.numpy(c))


def test_load_state_dict_of_torch_optimizer_moves_and_casts_state(xp, torch):
    """A torch.optim.Adam state dict (torch tensors, float64) loads onto float32 params of any backend."""
    tx, ty, tparams = _theirs(torch)
    ref = torch.optim.Adam(tparams, lr=0.05)
    for _ in range(3):
        ref.zero_grad()
        _torch_loss(torch, tx, ty, tparams).backward()
        ref.step()
    params = [xp.tensor(tp.detach().numpy(), "float32", requires_grad=True) for tp in tparams]
    opt = optim.Adam(params, lr=0.5)
    opt.load_state_dict(ref.state_dict())
    assert opt.param_groups[0]["lr"] == 0.05
    for p, tp in zip(params, tparams):
        state = opt.state[p]
        assert state["step"] == 3 and type(state["step"]) is int
        for name in ("exp_avg", "exp_avg_sq"):
            assert xp.same_place(state[name]) and state[name].dtype == p.array.dtype
            np.testing.assert_allclose(xp.numpy(state[name]), ref.state[tp][name].numpy(), rtol=1e-6)
    x, y = xp.tensor(tx.numpy(), "float32"), xp.tensor(ty.numpy(), "float32")
    _train_step(opt, x, y, params)
    ref.zero_grad()
    _torch_loss(torch, tx, ty, tparams).backward()
    ref.step()
    for p, tp in zip(params, tparams):
        np.testing.assert_allclose(xp.numpy(p), tp.detach().numpy(), rtol=1e-4, atol=1e-5)


def test_load_state_dict_rejects_mismatch_and_changes_nothing(xp):
    x, y, params = _ours(xp)
    opt = optim.Adam(_grouped(params, ({}, {})), lr=0.01)
    _train_step(opt, x, y, params)
    other = optim.Adam(params[:3], lr=0.3)
    _train_step(other, x, y, params)
    groups, state = opt.param_groups, dict(opt.state)
    exp_avg = opt.state[params[0]]["exp_avg"]
    with pytest.raises(ValueError, match=r"1 parameter group\(s\) but the optimizer has 2"):
        opt.load_state_dict(other.state_dict())
    two = optim.Adam([{"params": params[:1]}, {"params": params[1:3]}], lr=0.3)
    _train_step(two, x, y, params)
    with pytest.raises(ValueError, match=r"group 0 has 1 parameter\(s\) but the optimizer's group 0 has 2"):
        opt.load_state_dict(two.state_dict())
    bad = opt.state_dict()
    bad["state"] = dict(bad["state"])
    bad["state"][3] = dict(bad["state"][3], exp_avg=xp.array(np.zeros((5, 5))))
    with pytest.raises(ValueError, match=r"'exp_avg' of parameter 3 has shape \(5, 5\)"):
        opt.load_state_dict(bad)
    bad = opt.state_dict()
    bad["param_groups"] = [dict(bad["param_groups"][0], lr=-1.0), bad["param_groups"][1]]
    with pytest.raises(ValueError, match=r"Invalid learning rate: -1\.0"):
        opt.load_state_dict(bad)
    assert opt.param_groups is groups and opt.param_groups[0]["lr"] == 0.01
    assert dict(opt.state) == state and opt.state[params[0]]["exp_avg"] is exp_avg


def test_zero_grad_to_none_or_zeros(xp):
    x, y, params = _ours(xp)
    opt = optim.SGD(params, lr=0.1)
    _loss(x, y, params).backward()
    old = [p.grad.array for p in params]
    opt.zero_grad(set_to_none=False)
    for p, g in zip(params, old):
        assert p.grad.array is not g  # rebound: the old array (maybe shared) is left alone
        assert xp.same_place(p.grad) and tuple(p.grad.shape) == p.shape
        assert not xp.numpy(p.grad).any()
    assert xp.numpy(old[0]).any()
    opt.zero_grad()
    assert all(p.grad is None for p in params)


def test_step_with_closure_reevaluates_under_grad_mode(xp):
    x, y, params = _ours(xp)
    opt = optim.SGD(params, lr=0.1)
    calls = []

    def closure():
        calls.append(xn.is_grad_enabled())
        opt.zero_grad()
        loss = _loss(x, y, params)
        loss.backward()
        return loss

    first = xp.numpy(_loss(x, y, params))
    with xn.no_grad():
        loss = opt.step(closure)
    assert calls == [True]
    assert isinstance(loss, xn.Tensor) and xp.same_place(loss)
    np.testing.assert_allclose(xp.numpy(loss), first)
    assert xp.numpy(_loss(x, y, params)) < first
    assert opt.step() is None


@pytest.mark.parametrize("make", OPTIMIZERS, ids=OPT_IDS)
def test_parameters_without_grad_are_skipped(xp, make):
    x, y, params = _ours(xp)
    frozen = xp.tensor([[1.0, 2.0]], "float64", requires_grad=True)
    opt = make([frozen, *params])
    _train_step(opt, x, y, params)
    assert frozen.grad is None
    np.testing.assert_array_equal(xp.numpy(frozen), [[1.0, 2.0]])
    assert frozen not in opt.state and len(opt.state) == 4
    assert sorted(opt.state_dict()["state"]) == [1, 2, 3, 4]


def test_options_are_read_from_the_group_every_step(xp):
    p = xp.tensor([1.0, 1.0], "float64", requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    p.grad = xp.array([1.0, 2.0], "float64")
    opt.step()
    opt.param_groups[0]["lr"] = 0.0
    opt.step()
    np.testing.assert_allclose(xp.numpy(p), [0.9, 0.8])
    opt.param_groups[0]["lr"] = 1.0
    opt.step()
    np.testing.assert_allclose(xp.numpy(p), [-0.1, -1.2])


def test_add_param_group_uses_defaults_and_own_options(xp):
    a = xp.tensor([1.0], "float64", requires_grad=True)
    b = xp.tensor([1.0], "float64", requires_grad=True)
    opt = optim.SGD([a], lr=0.1, momentum=0.5)
    opt.add_param_group({"params": b, "lr": 0.01})
    assert len(opt.param_groups[1]["params"]) == 1 and opt.param_groups[1]["params"][0] is b
    assert opt.param_groups[1]["momentum"] == 0.5 and opt.param_groups[1]["lr"] == 0.01
    a.grad = xp.array([1.0], "float64")
    b.grad = xp.array([1.0], "float64")
    opt.step()
    np.testing.assert_allclose(xp.numpy(a), [0.9])
    np.testing.assert_allclose(xp.numpy(b), [0.99])
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})


BAD_OPTIONS = [
    (optim.SGD, {"lr": -0.1}, "Invalid learning rate: -0.1"),
    (optim.SGD, {"momentum": -0.5}, "Invalid momentum value: -0.5"),
    (optim.SGD, {"weight_decay": -1.0}, "Invalid weight_decay value: -1.0"),
    (optim.SGD, {"nesterov": True}, "Nesterov momentum requires a momentum and zero dampening"),
    (optim.SGD, {"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "Nesterov momentum requires"),
    (optim.Adam, {"lr": -1e-3}, "Invalid learning rate: -0.001"),
    (optim.Adam, {"eps": -1e-8}, "Invalid epsilon value: -1e-08"),
    (optim.Adam, {"betas": (1.0, 0.999)}, "Invalid beta parameter at index 0: 1.0"),
    (optim.Adam, {"betas": (0.9, -0.1)}, r"Invalid beta parameter at index 1: -0.1"),
    (optim.Adam, {"betas": (0.9,)}, r"Invalid betas: \(0.9,\)"),
    (optim.Adam, {"weight_decay": -0.1}, "Invalid weight_decay value: -0.1"),
    (optim.AdamW, {"betas": (0.9, 1.5)}, "Invalid beta parameter at index 1: 1.5"),
    (optim.AdamW, {"lr": float("nan")}, "Invalid learning rate: nan"),
    (optim.RMSprop, {"alpha": -0.9}, "Invalid alpha value: -0.9"),
    (optim.RMSprop, {"momentum": -0.9}, "Invalid momentum value: -0.9"),
    (optim.RMSprop, {"eps": -1.0}, "Invalid epsilon value: -1.0"),
    (optim.Adagrad, {"lr_decay": -0.1}, "Invalid lr_decay value: -0.1"),
    (optim.Adagrad, {"initial_accumulator_value": -1.0}, "Invalid initial_accumulator_value value: -1.0"),
    (optim.Adagrad, {"eps": -1.0}, "Invalid epsilon value: -1.0"),
]


@pytest.mark.parametrize(("cls", "options", "match"), BAD_OPTIONS,
                         ids=[f"{c.__name__}-{next(iter(o))}" for c, o, _ in BAD_OPTIONS])
def test_bad_hyperparameters_raise(xp, cls, options, match):
    p = xp.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match=match):
        cls([p], **options)
    with pytest.raises(ValueError, match=match):  # per-group options are checked too
        cls([{"params": [p], **options}])


def test_bad_params_raise(xp):
    p = xp.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([p * 2], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors or dicts, but got a Tensor"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors, but one of the params is"):
        optim.SGD([p, xp.array([1.0])], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.Adam([{"params": {p}}])
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.Adam([{"params": [p]}, {"params": [p]}])
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.Adam([p, p])


def test_step_never_reads_array_values(xp, torch):
    """No host synchronisation: every optimizer steps on torch 'meta' tensors, which hold no values."""
    if not xp.name.startswith("torch"):
        pytest.skip("meta tensors are torch's")
    for make in _all_optimizers():
        p = xn.Tensor(torch.empty((3, 2), dtype=torch.float32, device="meta"), requires_grad=True)
        opt = make([p])
        for _ in range(2):
            p.grad = torch.empty((3, 2), dtype=torch.float32, device="meta")
            opt.step()
        assert p.array.device.type == "meta"


@pytest.mark.parametrize("make", [lambda ps: xn.optim.SGD(ps, lr=0.1, momentum=0.9),
                                  lambda ps: xn.optim.Adam(ps, lr=0.01, amsgrad=True)])
def test_state_follows_the_model_after_to(xp, make):
    """model.to(...) after steps were taken: the optimizer's state moves with the parameters."""
    model = xn.nn.Linear(3, 2)  # NumPy first, then moved to the backend under test as float64
    opt = make(model.parameters())
    x = xn.tensor(np.ones((4, 3), dtype=np.float32))

    def step(inputs):
        opt.zero_grad()
        (model(inputs) ** 2).mean().backward()
        opt.step()

    step(x)
    model.to(xp.device).to(dtype="float64")
    step(x.to(xp.device).to(dtype="float64"))
    for p in model.parameters():
        for value in opt.state[p].values():
            if hasattr(value, "shape"):
                assert xp.same_place(value) and value.dtype == p.array.dtype
