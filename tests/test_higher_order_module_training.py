"""Whole networks trained with second derivatives in the loss, step by step against torch
(float64; losses 1e-10, parameters and running statistics 1e-9):

* an MLP critic of fused Linear+activation pairs mixed with LayerNorm, RMSNorm, GroupNorm,
  SiLU, ELU, Softplus, Dropout, trained with a WGAN-GP gradient penalty (SGD and Adam);
* a classifier with BatchNorm1d in training mode, GLU, Mish, LayerNorm, trained by double
  backpropagation (the loss plus the squared norm of its input gradient);
* an ``nn.Ensemble`` of critics (batched, fused EnsembleLinear+tanh) with a gradient penalty.

Also: ``F.binary_cross_entropy``'s torch signature (``weight`` third), against torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import xpnet as xn
from _module_cases import ensemble
from xpnet import nn

torch = pytest.importorskip("torch")


def _critic(m: Any) -> Any:
    """An MLP critic: fused Linear+activation pairs (tanh, leaky_relu, gelu_tanh, sigmoid, relu)
    with normalization and other layers between them."""
    return m.Sequential(
        m.Linear(3, 12), m.Tanh(),
        m.Linear(12, 12), m.LeakyReLU(0.1), m.LayerNorm(12),
        m.Linear(12, 10), m.GELU(approximate="tanh"),
        m.Linear(10, 10), m.SiLU(), m.RMSNorm(10),
        m.Linear(10, 8), m.Sigmoid(), m.Dropout(0.0),
        m.Linear(8, 8), m.ReLU(), m.GroupNorm(2, 8),
        m.Linear(8, 6), m.ELU(), m.Softplus(),
        m.Linear(6, 1))


def _penalty_step(lib: Any, critic: Any, opt: Any, real: Any, fake: Any, alpha: Any) -> float:
    """One WGAN-GP critic step: E[D(fake)] - E[D(real)] + 10 E[(|grad_x D(x_hat)|_2 - 1)^2]."""
    x_hat = (alpha * real + (1 - alpha) * fake).detach().requires_grad_(True)
    (gx,) = lib.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    penalty = ((gx.norm(2, dim=-1) - 1) ** 2).mean()
    loss = critic(fake).mean() - critic(real).mean() + 10 * penalty
    opt.zero_grad()
    loss.backward()
    opt.step()
    return float(loss.item())


@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_mlp_trained_with_gradient_penalty_matches_torch_step_by_step(xp: Any, optimizer: str) -> None:
    torch.manual_seed(0)
    theirs = _critic(torch.nn).double()
    ours = _critic(nn).to(xp.device, dtype=xn.float64)
    with torch.no_grad():  # the norms' weights away from their initial ones
        for p in theirs.parameters():
            p.add_(0.1 * torch.randn_like(p))
    ours.load_state_dict(theirs.state_dict())
    kwargs = {"lr": 1e-2, "momentum": 0.9} if optimizer == "SGD" else {"lr": 1e-3}
    opt = getattr(xn.optim, optimizer)(ours.parameters(), **kwargs)
    ref_opt = getattr(torch.optim, optimizer)(theirs.parameters(), **kwargs)
    rng = np.random.default_rng(11)
    for step in range(4):
        real, fake = rng.standard_normal((6, 3)) + 1.5, rng.standard_normal((6, 3))
        alpha = rng.random((6, 1))
        ref_loss = _penalty_step(torch, theirs, ref_opt, *(torch.from_numpy(a) for a in (real, fake, alpha)))
        loss = _penalty_step(xn, ours, opt, *(xp.tensor(a, "float64") for a in (real, fake, alpha)))
        np.testing.assert_allclose(loss, ref_loss, rtol=1e-10, err_msg=f"step {step}")
        for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
            assert xp.same_place(p)
            np.testing.assert_allclose(xp.numpy(p), q.detach().numpy(), rtol=1e-9, atol=1e-12,
                                       err_msg=f"step {step}: {name}")


def _classifier(m: Any) -> Any:
    """A classifier with BatchNorm1d (training: its batch statistics), GLU, other mixed
    layers, and fused Linear+activation pairs."""
    return m.Sequential(
        m.Linear(4, 12), m.ReLU(), m.BatchNorm1d(12),
        m.Linear(12, 10), m.GLU(), m.Mish(),
        m.Linear(5, 8), m.LeakyReLU(0.05), m.Dropout(0.0),
        m.Linear(8, 6), m.Softsign(), m.LayerNorm(6, bias=False),
        m.Linear(6, 3))


def _double_backprop_step(lib: Any, model: Any, opt: Any, x: Any, y: Any) -> float:
    """One step of "double backpropagation" (Drucker and LeCun): the loss plus the squared norm
    of its gradient with respect to the input, cross_entropy(model(x), y) + 0.5 |dL/dx|^2."""
    x = x.detach().requires_grad_(True)
    loss = lib.nn.functional.cross_entropy(model(x), y, label_smoothing=0.1)
    (gx,) = lib.autograd.grad(loss, x, create_graph=True)
    total = loss + 0.5 * (gx * gx).sum()
    opt.zero_grad()
    total.backward()
    opt.step()
    return float(total.item())


def test_classifier_trained_with_double_backprop_matches_torch_step_by_step(xp: Any) -> None:
    torch.manual_seed(1)
    theirs = _classifier(torch.nn).double()
    ours = _classifier(nn).to(xp.device, dtype=xn.float64)
    with torch.no_grad():
        for p in theirs.parameters():
            p.add_(0.1 * torch.randn_like(p))
    ours.load_state_dict(theirs.state_dict())
    opt = xn.optim.Adam(ours.parameters(), lr=1e-2)
    ref_opt = torch.optim.Adam(theirs.parameters(), lr=1e-2)
    rng = np.random.default_rng(12)
    for step in range(4):
        x, y = rng.standard_normal((8, 4)) * 2, rng.integers(0, 3, size=8)
        ref_loss = _double_backprop_step(torch, theirs, ref_opt, torch.from_numpy(x), torch.from_numpy(y))
        loss = _double_backprop_step(xn, ours, opt, xp.tensor(x, "float64"), xp.tensor(y, "int64"))
        np.testing.assert_allclose(loss, ref_loss, rtol=1e-10, err_msg=f"step {step}")
        state = ours.state_dict()
        for name, q in theirs.state_dict().items():  # parameters and BatchNorm's running statistics
            np.testing.assert_allclose(xp.numpy(state[name]), q.numpy(), rtol=1e-9, atol=1e-12,
                                       err_msg=f"step {step}: {name}")


def test_ensemble_of_critics_trained_with_gradient_penalty_matches_torch(xp: Any) -> None:
    """K critics as one nn.Ensemble (batched, fused EnsembleLinear+activation nodes), each with
    its own batch, against torch's stacked-weight equivalent."""
    make = ensemble(lambda m: m.Tanh())
    torch.manual_seed(2)
    theirs = make(torch.nn).double()
    with torch.no_grad():
        for p in theirs.parameters():
            p.uniform_(-1.0, 1.0)
    ours = make(nn).to(xp.device, dtype=xn.float64)
    ours.load_state_dict(theirs.state_dict())
    opt = xn.optim.SGD(ours.parameters(), lr=1e-2, momentum=0.5)
    ref_opt = torch.optim.SGD(theirs.parameters(), lr=1e-2, momentum=0.5)
    rng = np.random.default_rng(13)
    for step in range(3):
        real, fake = rng.standard_normal((3, 5, 3)) + 1.0, rng.standard_normal((3, 5, 3))
        alpha = rng.random((3, 5, 1))
        ref_loss = _penalty_step(torch, theirs, ref_opt, *(torch.from_numpy(a) for a in (real, fake, alpha)))
        loss = _penalty_step(xn, ours, opt, *(xp.tensor(a, "float64") for a in (real, fake, alpha)))
        np.testing.assert_allclose(loss, ref_loss, rtol=1e-10, err_msg=f"step {step}")
        for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
            np.testing.assert_allclose(xp.numpy(p), q.detach().numpy(), rtol=1e-9, atol=1e-12,
                                       err_msg=f"step {step}: {name}")


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_cross_entropy_weight_positional_as_torch(xp: Any, reduction: str) -> None:
    """torch's signature: ``binary_cross_entropy(input, target, weight, ...)``; the weight
    broadcasts and rescales each element's loss (values and gradients against torch)."""
    rng = np.random.default_rng(14)
    p, y, w = rng.uniform(0.05, 0.95, (3, 4)), rng.uniform(0.0, 1.0, (3, 4)), rng.uniform(0.1, 2.0, 4)
    tp = torch.tensor(p, requires_grad=True)
    ref = torch.nn.functional.binary_cross_entropy(tp, torch.from_numpy(y), torch.from_numpy(w),
                                                   reduction=reduction)
    ref.sum().backward()
    x = xp.tensor(p, "float64", requires_grad=True)
    out = xn.nn.functional.binary_cross_entropy(x, xp.tensor(y, "float64"), xp.tensor(w, "float64"),
                                                reduction=reduction)
    out.sum().backward()
    assert tuple(out.shape) == tuple(ref.shape) and xp.same_place(out)
    np.testing.assert_allclose(xp.numpy(out), ref.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(xp.numpy(x.grad), tp.grad.numpy(), rtol=1e-12)
