"""Ensembles: K models trained at once as one batched model, each member exactly as alone.

The reference is always K plain ``nn.Sequential`` models run one by one; the
ensemble built from their weights must give each member the same outputs,
loss, gradients and optimizer trajectory (float64, 1e-12).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import xpnet as xn
from _gradcheck import Arg, Case, check_case, randn
from xpnet import functional as F
from xpnet import nn, optim

K = 5
TOL = {"rtol": 1e-12, "atol": 1e-12}


def _plain(xp, classes=2):
    return nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 8), nn.Tanh(),
                         nn.Linear(8, classes)).to(xp.device).double()


def _models(xp, classes=2):
    xn.manual_seed(7)
    return [_plain(xp, classes) for _ in range(K)]


def _grads(model):
    return [p.grad for p in model.parameters()]


@pytest.mark.parametrize("shared_input", [False, True], ids=["per-member-x", "shared-x"])
@pytest.mark.parametrize("shared_target", [False, True], ids=["per-member-y", "shared-y"])
def test_mse_ensemble_gives_each_member_what_it_gets_alone(xp, shared_input, shared_target):
    rng = np.random.default_rng(0)
    models = _models(xp)
    ens = nn.Ensemble.from_models(models)
    x = rng.standard_normal((6, 3) if shared_input else (K, 6, 3))
    y = rng.standard_normal((6, 2) if shared_target else (K, 6, 2))
    pred = ens(xp.array(x, "float64"))
    assert pred.shape == (K, 6, 2) and xp.same_place(pred)
    loss = ens.loss(nn.MSELoss(), pred, xp.tensor(y, "float64"))
    loss.backward()
    total = 0.0
    for k, model in enumerate(models):
        xk = x if shared_input else x[k]
        yk = y if shared_target else y[k]
        out = model(xp.array(xk, "float64"))
        alone = nn.MSELoss()(out, xp.tensor(yk, "float64"))
        alone.backward()
        total += float(alone)
        np.testing.assert_allclose(xp.numpy(pred)[k], xp.numpy(out), **TOL)
        for p, q in zip(ens.parameters(), model.parameters()):
            np.testing.assert_allclose(xp.numpy(p.grad)[k], xp.numpy(q.grad), **TOL)
    np.testing.assert_allclose(float(loss), total, **TOL)  # the sum of the members' losses


@pytest.mark.parametrize("shared_target", [False, True], ids=["per-member-y", "shared-y"])
def test_cross_entropy_ensemble_matches_each_member(xp, shared_target):
    rng = np.random.default_rng(1)
    models = _models(xp, classes=4)
    ens = nn.Ensemble.from_models(models)
    x = rng.standard_normal((K, 6, 3))
    y = rng.integers(0, 4, size=(6,) if shared_target else (K, 6))
    pred = ens(xp.array(x, "float64"))
    loss = ens.loss(nn.CrossEntropyLoss(reduction="sum"), pred, xp.tensor(y, "int64"))
    loss.backward()
    total = 0.0
    for k, model in enumerate(models):
        alone = nn.CrossEntropyLoss(reduction="sum")(model(xp.array(x[k], "float64")),
                                                    xp.tensor(y if shared_target else y[k], "int64"))
        alone.backward()
        total += float(alone)
        for p, q in zip(ens.parameters(), model.parameters()):
            np.testing.assert_allclose(xp.numpy(p.grad)[k], xp.numpy(q.grad), **TOL)
    np.testing.assert_allclose(float(loss), total, **TOL)


OPTIMIZERS = [lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), lambda ps: optim.Adam(ps, lr=0.01)]


@pytest.mark.parametrize("make_opt", OPTIMIZERS, ids=["SGD-momentum", "Adam"])
def test_ten_steps_of_the_ensemble_equal_ten_steps_of_each_model(xp, make_opt):
    rng = np.random.default_rng(2)
    models = _models(xp)
    ens = nn.Ensemble.from_models(models)
    x = xp.array(rng.standard_normal((K, 8, 3)), "float64")
    y = xp.array(rng.standard_normal((8, 2)), "float64")
    opt = make_opt(ens.parameters())
    for _ in range(10):
        opt.zero_grad()
        ens.loss(nn.MSELoss(), ens(x), y).backward()
        opt.step()
    for k, model in enumerate(models):
        opt_k = make_opt(model.parameters())
        for _ in range(10):
            opt_k.zero_grad()
            nn.MSELoss()(model(x[k, ...]), y).backward()
            opt_k.step()
        member = ens.member(k)
        assert list(member.state_dict()) == list(model.state_dict())
        for (name, p), q in zip(member.named_parameters(), model.parameters()):
            np.testing.assert_allclose(xp.numpy(p), xp.numpy(q), err_msg=name, **TOL)


def test_members_are_initialised_like_independent_linears(xp):
    ens = nn.Ensemble(K, lambda: nn.Sequential(nn.Linear(16, 32, device=xp.device), nn.ReLU(),
                                               nn.Linear(32, 1, device=xp.device)))
    assert ens.ensemble_size == K and len(ens) == 3
    assert ens[0].weight.shape == (K, 32, 16) and ens[0].bias.shape == (K, 32)
    assert list(ens.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    layer = nn.EnsembleLinear(16, 32, K, device=xp.device)
    for w, b in [(ens[0].weight, ens[0].bias), (layer.weight, layer.bias)]:
        w, b = xp.numpy(w), xp.numpy(b)
        bound = 1 / math.sqrt(16)
        assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
        assert np.abs(w).max() > 0.9 * bound  # the whole range is used
        assert len({w[k].tobytes() for k in range(K)}) == K  # different draws per member
    assert xp.same_place(layer.weight) and layer.weight.dtype == xn.float32


def test_member_is_a_plain_copy(xp):
    models = _models(xp)
    ens = nn.Ensemble.from_models(models)
    member = ens.member(-1)
    assert type(member) is nn.Sequential and type(member[0]) is nn.Linear
    x = xp.array(np.ones((2, 3)), "float64")
    np.testing.assert_allclose(xp.numpy(member(x)), xp.numpy(models[-1](x)), **TOL)
    with xn.no_grad():
        member[0].weight *= 0.0  # a copy: the ensemble is unchanged
    assert np.abs(xp.numpy(ens[0].weight)[-1]).max() > 0
    with pytest.raises(IndexError, match="member index 5 is out of range for an ensemble of 5"):
        ens.member(5)


def test_activations_are_fused_in_the_ensemble(xp):
    ens = nn.Ensemble.from_models(_models(xp))
    x = xp.array(np.ones((K, 2, 3)), "float64")
    assert ens(x).grad_fn == "ensemble_linear"
    hidden = ens[:2](x)
    assert type(ens[:2]) is nn.Sequential and hidden.grad_fn == "ensemble_linear+relu"


def test_shape_errors_teach(xp):
    ens = nn.Ensemble.from_models(_models(xp))
    with pytest.raises(ValueError, match=r"EnsembleLinear\(5 x 3 -> 8\) got input of shape \(4, 6, 3\): "
                                         r"expected \(5, N, 3\)"):
        ens(xp.array(np.ones((4, 6, 3)), "float64"))
    with pytest.raises(ValueError, match=r"got input of shape \(6, 2\).*or \(N, 3\)"):
        ens(xp.array(np.ones((6, 2)), "float64"))
    pred = ens(xp.array(np.ones((6, 3)), "float64"))
    with pytest.raises(ValueError, match=r"prediction must have shape \(5, N, \.\.\.\)"):
        ens.loss(nn.MSELoss(), pred[:3], xp.array(np.ones((6, 2)), "float64"))
    with pytest.raises(ValueError, match=r"target of shape \(4, 6, 2\) fits neither"):
        ens.loss(nn.MSELoss(), pred, xp.array(np.ones((4, 6, 2)), "float64"))
    with pytest.raises(TypeError, match="reduction 'mean' or 'sum'"):
        ens.loss(nn.MSELoss(reduction="none"), pred, xp.array(np.ones((6, 2)), "float64"))
    with pytest.raises(ValueError, match=r"ensemble_linear: an ensemble of 2 members \(3 -> 4\)"):
        F.ensemble_linear(xp.array(np.ones((3, 5, 3))), xp.array(np.ones((2, 4, 3))))


def test_architecture_errors_teach(xp):
    a = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
    with pytest.raises(ValueError, match=r"layer '1' of model 1 is Tanh\(\) but model 0 has ReLU\(\)"):
        nn.Ensemble.from_models([a, nn.Sequential(nn.Linear(3, 4), nn.Tanh())])
    with pytest.raises(ValueError, match="model 1 has layers"):
        nn.Ensemble.from_models([a, nn.Sequential(nn.Linear(3, 4))])
    with pytest.raises(TypeError, match=r"stacks nn\.Sequential models, got Linear"):
        nn.Ensemble.from_models([nn.Linear(3, 4)])
    with pytest.raises(ValueError, match="use dim=-1"):
        nn.Ensemble(2, lambda: nn.Sequential(nn.Linear(3, 4), nn.Softmax(dim=1)))
    with pytest.raises(TypeError, match="layer '0' is a Sequential"):
        nn.Ensemble(2, lambda: nn.Sequential(nn.Sequential(nn.Linear(3, 4))))
    with pytest.raises(ValueError, match="ensemble_size must be a positive int"):
        nn.Ensemble(0, lambda: a)
    with pytest.raises(TypeError, match="factory builds one member"):
        nn.Ensemble(2, a)


def test_adding_a_plain_linear_is_refused_never_shared(xp):
    ens = nn.Ensemble.from_models(_models(xp))  # K members, output (K, N, 2)
    names = list(ens.state_dict())
    msg = r"plain Linear\(in_features=2, out_features=1, bias=True\).*shared by all 5 members.*" \
          r"nn\.EnsembleLinear\(2, 1, 5\) instead"
    with pytest.raises(TypeError, match=msg):
        ens.append(nn.Linear(2, 1))
    with pytest.raises(TypeError, match=msg):
        ens.insert(1, nn.Linear(2, 1))
    with pytest.raises(TypeError, match=msg):
        ens.extend([nn.Linear(2, 1)])
    with pytest.raises(TypeError, match=msg):
        ens[-1] = nn.Linear(2, 1)
    with pytest.raises(TypeError, match=r"nn\.EnsembleLinear\(2, 1, 5, bias=False\)"):
        ens.append(nn.Sequential(nn.Linear(2, 1, bias=False)))  # nested: shared just the same
    with pytest.raises(ValueError, match=r"ensemble_size is 3 but this ensemble has 5 members; use "
                                         r"nn\.EnsembleLinear\(2, 1, 5\)"):
        ens.append(nn.EnsembleLinear(2, 1, 3))
    assert list(ens.state_dict()) == names  # nothing was added
    ens.append(nn.Tanh()).append(nn.EnsembleLinear(2, 1, K, device=xp.device, dtype=xn.float64))
    ens.insert(0, nn.Identity())
    ens[1] = ens[1]  # an EnsembleLinear of the right size may be put back
    x = xp.array(np.ones((4, 3)), "float64")
    out = ens(x)
    assert out.shape == (K, 4, 1)
    member = ens.member(2)
    assert [type(m) for m in member][-2:] == [nn.Tanh, nn.Linear]
    np.testing.assert_allclose(xp.numpy(member(x)), xp.numpy(out)[2], **TOL)


def _np_ensemble_linear(x, w, b):
    return np.matmul(x, np.swapaxes(w, -1, -2)) + b[:, None, :]


def _torch_ensemble_linear(x, w, b):
    return x @ w.transpose(-1, -2) + b.unsqueeze(1)


CASES = [
    Case("ensemble_linear(3,5,4)", F.ensemble_linear, _np_ensemble_linear,
         [Arg(randn(3, 5, 4)), Arg(randn(3, 2, 4)), Arg(randn(3, 2))], torch=_torch_ensemble_linear),
    Case("ensemble_linear shared x", F.ensemble_linear, _np_ensemble_linear,
         [Arg(randn(5, 4)), Arg(randn(3, 2, 4)), Arg(randn(3, 2))], torch=_torch_ensemble_linear),
    Case("ensemble_linear+sigmoid", lambda x, w, b: F.ensemble_linear(x, w, b, activation="sigmoid"),
         lambda x, w, b: 1 / (1 + np.exp(-_np_ensemble_linear(x, w, b))),
         [Arg(randn(3, 5, 4)), Arg(randn(3, 2, 4)), Arg(randn(3, 2))],
         torch=lambda x, w, b: _torch_ensemble_linear(x, w, b).sigmoid()),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_ensemble_linear_op_harness(xp, case):
    check_case(xp, case)


@pytest.mark.parametrize("options", [dict(ignore_index=1), dict(weight=[0.5, 2.0, 1.0]),
                                     dict(weight=[0.5, 2.0, 1.0], ignore_index=2)])
def test_ensemble_loss_means_weighted_class_losses_per_member(xp, options):
    """Each member's mean divides by its own summed target weights, as its solo loss does."""
    k, n = 3, 6
    rng = np.random.default_rng(0)
    logits = xp.tensor(rng.standard_normal((k, n, 3)), dtype="float64", requires_grad=True)
    targets = xp.array(rng.integers(0, 3, size=(k, n)), "int64")
    kwargs = dict(options)
    if "weight" in kwargs:
        kwargs["weight"] = xp.tensor(kwargs["weight"], dtype="float64")
    loss_fn = xn.nn.CrossEntropyLoss(**kwargs)
    ens = xn.nn.Ensemble(k, lambda: xn.nn.Sequential(xn.nn.Linear(2, 3)))
    total = ens.loss(loss_fn, logits, targets)
    solo = sum(loss_fn(logits[i], xn.Tensor(targets[i, ...])).item() for i in range(k))
    np.testing.assert_allclose(total.item(), solo, rtol=1e-12)
