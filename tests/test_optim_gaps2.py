"""Rprop and ASGD follow torch.optim step for step (30 steps, 1e-9 in float64), on every
backend; defaults, hyperparameter errors and the state-dict round trip as torch's."""

from __future__ import annotations

import numpy as np
import pytest

import test_optim_new as base
from test_optim_new import torch64  # noqa: F401  (a fixture)
from xpnet import optim

CASES = [
    ("Rprop", {}, None),
    ("Rprop", {"lr": 0.05, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.08)}, None),
    ("Rprop", {"lr": 0.002, "maximize": True}, ({"lr": 0.005}, {"etas": (0.6, 1.1)})),
    ("ASGD", {}, None),
    ("ASGD", {"lr": 0.1, "lambd": 1e-2, "alpha": 0.5, "t0": 5, "weight_decay": 0.1}, None),
    ("ASGD", {"lr": 0.02, "t0": 3, "maximize": True}, ({"lr": 0.05}, {"lambd": 0.1})),
]
NAMES = ["Rprop", "ASGD"]


@pytest.mark.parametrize("case", CASES, ids=[base._case_id(c) for c in CASES])
def test_trajectory_matches_torch_float64(xp, torch64, case):  # noqa: F811
    for step, loss, ref_loss, params, tparams in base._run_both(xp, torch64, case, "float64", False):
        np.testing.assert_allclose(xp.numpy(loss), ref_loss.item(), rtol=1e-9, atol=1e-12,
                                   err_msg=f"loss before step {step}")
        for p, tp in zip(params, tparams):
            np.testing.assert_allclose(xp.numpy(p), tp.detach().numpy(), rtol=1e-9, atol=1e-9,
                                       err_msg=f"{case} step {step}")


@pytest.mark.parametrize("case", CASES, ids=[base._case_id(c) for c in CASES])
def test_trajectory_matches_torch_float32_to_1e_6(xp, torch, case):
    for step, _, _, params, tparams in base._run_both(xp, torch, case, "float32"):
        for p, tp in zip(params, tparams):
            np.testing.assert_allclose(xp.numpy(p), tp.detach().numpy(), rtol=1e-6, atol=1e-6,
                                       err_msg=f"{case} step {step}")


def test_asgd_average_matches_torch(xp, torch64):  # noqa: F811
    case = ("ASGD", {"lr": 0.1, "t0": 4}, None)
    x, y, params = base._ours(xp)
    tx, ty, tparams = base._theirs(torch64, "float64")
    opt, ref = optim.ASGD(params, lr=0.1, t0=4), torch64.optim.ASGD(tparams, lr=0.1, t0=4)
    for _ in range(12):
        base._step(opt, x, y, params)
        base._torch_step(torch64, ref, tx, ty, tparams)
    for p, tp in zip(params, tparams):
        np.testing.assert_allclose(xp.numpy(opt.state[p]["ax"]), ref.state[tp]["ax"].numpy(),
                                   rtol=1e-9, atol=1e-12, err_msg=str(case))
        assert opt.state[p]["mu"] == ref.state[tp]["mu"].item()
        np.testing.assert_allclose(opt.state[p]["eta"], ref.state[tp]["eta"].item(), rtol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_defaults_are_torchs(xp, torch, name):
    base.test_defaults_are_torchs(xp, torch, name)


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_round_trip_continues_identically(xp, name):
    base.test_state_dict_round_trip_continues_identically(xp, name)


BAD = [
    (optim.Rprop, {"lr": -1.0}, "Invalid learning rate: -1.0"),
    (optim.Rprop, {"etas": (1.2, 0.5)}, "Invalid eta values: 1.2, 0.5"),
    (optim.ASGD, {"lr": -0.1}, "Invalid learning rate: -0.1"),
    (optim.ASGD, {"weight_decay": -0.1}, "Invalid weight_decay value: -0.1"),
]


@pytest.mark.parametrize(("cls", "options", "match"), BAD,
                         ids=[f"{c.__name__}-{next(iter(o))}" for c, o, _ in BAD])
def test_bad_hyperparameters_raise_as_torch(xp, torch, cls, options, match):
    base.test_bad_hyperparameters_raise_as_torch(xp, torch, cls, options, match)


@pytest.mark.parametrize("options", [{}, {"lr": 0.5, "max_iter": 7, "history_size": 3},
                                     {"lr": 0.8, "max_iter": 4, "max_eval": 3}],
                         ids=["defaults", "history3", "max_eval3"])
def test_lbfgs_matches_torch(xp, torch64, options):  # noqa: F811
    torch = torch64
    x, y, params = base._ours(xp)
    tx, ty, tparams = base._theirs(torch, "float64")
    opt, ref = optim.LBFGS(params, **options), torch.optim.LBFGS(tparams, **options)

    def closure():
        opt.zero_grad()
        loss = base._loss(x, y, params)
        loss.backward()
        return loss

    def torch_closure():
        ref.zero_grad()
        loss = base._torch_loss(torch, tx, ty, tparams)
        loss.backward()
        return loss

    # 3 steps (up to 60 iterations): a quasi-Newton run amplifies the rounding of its dot
    # products (summed in another order than torch's BLAS), 3e-8 after 80 iterations
    for step in range(3):
        loss, ref_loss = opt.step(closure), ref.step(torch_closure)
        np.testing.assert_allclose(xp.numpy(loss), ref_loss.item(), rtol=1e-9, atol=1e-12)
        for p, tp in zip(params, tparams):
            assert xp.same_place(p)
            np.testing.assert_allclose(xp.numpy(p), tp.detach().numpy(), rtol=1e-8, atol=1e-9,
                                       err_msg=f"step {step}")
        ours, theirs = opt.state[params[0]], ref.state[tparams[0]]
        assert (ours["n_iter"], ours["func_evals"]) == (theirs["n_iter"], theirs["func_evals"])
    assert base._loss(x, y, params).item() < 0.5 * base._loss(x, y, base._ours(xp)[2]).item()


def test_lbfgs_errors_match_torch(xp, torch):
    p, tp = xp.tensor([1.0], requires_grad=True), torch.zeros(1, requires_grad=True)
    with pytest.raises(ValueError, match=r"Invalid learning rate: -1\.0"):
        torch.optim.LBFGS([tp], lr=-1.0)
    with pytest.raises(ValueError, match=r"Invalid learning rate: -1\.0"):
        optim.LBFGS([p], lr=-1.0)
    ref = torch.optim.LBFGS([tp], line_search_fn="armijo")

    def closure():
        ref.zero_grad()
        loss = (tp - 1).pow(2).sum()
        loss.backward()
        return loss

    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):  # torch: at step
        ref.step(closure)
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):  # xpnet: at once
        optim.LBFGS([p], line_search_fn="armijo")
    q = xp.tensor([2.0], requires_grad=True)
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS([{"params": [p]}, {"params": [q]}])
    with pytest.raises(ValueError, match="parameter groups"):
        torch.optim.LBFGS([{"params": [tp]}, {"params": [torch.zeros(1, requires_grad=True)]}])
    with pytest.raises(TypeError, match="needs a closure"):
        optim.LBFGS([p]).step()
    with pytest.raises(NotImplementedError, match="strong_wolfe"):
        optim.LBFGS([p], line_search_fn="strong_wolfe")
