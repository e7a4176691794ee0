"""Worked programs that need second derivatives, each against torch on the same initial weights.

* A Hessian-vector product of an MLP's loss (fused Linear+activation layers, mse_loss).
* A WGAN-GP critic step (the penalty is the norm of an input gradient).
* A physics-informed network: fit u''(x) = -pi^2 sin(pi x) on [0, 1], u(0) = u(1) = 0,
  where the loss contains the second derivative of the network with respect to its input.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import xpnet as xn
from xpnet import nn

RTOL, ATOL = 1e-10, 1e-12


def _mlp_pair(torch, sizes, act):
    """The same float64 MLP in xpnet and torch (torch's initial weights loaded into xpnet's)."""
    torch.manual_seed(0)
    ours, theirs = [], []
    for i in range(len(sizes) - 1):
        ours.append(nn.Linear(sizes[i], sizes[i + 1], dtype="float64"))
        theirs.append(torch.nn.Linear(sizes[i], sizes[i + 1], dtype=torch.float64))
        if i < len(sizes) - 2:
            ours.append(getattr(nn, act)())
            theirs.append(getattr(torch.nn, act)())
    model, ref = nn.Sequential(*ours), torch.nn.Sequential(*theirs)
    model.load_state_dict({k: v.detach().numpy() for k, v in ref.state_dict().items()})
    return model, ref


@pytest.mark.parametrize("act", ["Tanh", "Sigmoid", "ReLU"])
def test_mlp_loss_hessian_vector_product_matches_torch(xp, torch, act):
    model, ref = _mlp_pair(torch, (3, 8, 6, 2), act)
    model.to(xp.device)
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((7, 3)), rng.standard_normal((7, 2))
    vs = [rng.standard_normal(tuple(p.shape)) for p in ref.parameters()]

    def hvp(lib, net, x, y, vs):
        params = list(net.parameters())
        loss = lib.nn.functional.mse_loss(net(x), y)
        grads = lib.autograd.grad(loss, params, create_graph=True)
        return lib.autograd.grad(sum((g * v).sum() for g, v in zip(grads, vs)), params)

    ours = hvp(xn, model, xp.array(x, "float64"), xp.array(y, "float64"),
               [xp.array(v, "float64") for v in vs])
    theirs = hvp(torch, ref, torch.from_numpy(x), torch.from_numpy(y), [torch.from_numpy(v) for v in vs])
    for a, b in zip(ours, theirs):
        assert xp.same_place(a)
        np.testing.assert_allclose(xp.numpy(a), b.numpy(), rtol=RTOL, atol=ATOL)


def pinn_step(lib, net, x, opt):
    """One step on the loss mean((u'' + pi^2 sin(pi x))^2) + u(0)^2 + u(1)^2; returns the loss."""
    x = x.detach().requires_grad_(True)
    u = net(x)
    (du,) = lib.autograd.grad(u.sum(), x, create_graph=True)
    (d2u,) = lib.autograd.grad(du.sum(), x, create_graph=True)
    residual = d2u + math.pi ** 2 * lib.sin(math.pi * x.detach())
    ends = net(x.detach()[[0, -1]])  # x runs from 0 to 1
    loss = (residual * residual).mean() + (ends * ends).sum()
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item()


def test_physics_informed_mlp_trains_as_torch(xp, torch):
    model, ref = _mlp_pair(torch, (1, 16, 16, 1), "Tanh")
    model.to(xp.device)
    grid = np.linspace(0.0, 1.0, 17).reshape(-1, 1)
    x_ours, x_ref = xp.tensor(grid, "float64"), torch.from_numpy(grid)
    opt = xn.optim.Adam(model.parameters(), lr=1e-2)
    ref_opt = torch.optim.Adam(ref.parameters(), lr=1e-2)
    ours = [pinn_step(xn, model, x_ours, opt) for _ in range(5)]
    theirs = [pinn_step(torch, ref, x_ref, ref_opt) for _ in range(5)]
    np.testing.assert_allclose(ours, theirs, rtol=1e-9)
    assert ours[-1] < ours[0]
    for p, q in zip(model.parameters(), ref.parameters()):
        np.testing.assert_allclose(xp.numpy(p), q.detach().numpy(), rtol=1e-8, atol=1e-10)


def gradient_penalty_step(lib, critic, real, fake, alpha, opt, weight=10.0):
    """One WGAN-GP critic step: E[D(fake)] - E[D(real)] + weight E[(|grad_x D(x_hat)| - 1)^2]."""
    x_hat = (alpha * real + (1 - alpha) * fake).detach().requires_grad_(True)
    (g,) = lib.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    penalty = ((g.norm(2, dim=1) - 1) ** 2).mean()
    loss = critic(fake).mean() - critic(real).mean() + weight * penalty
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item()


def test_wgan_gp_critic_steps_match_torch(xp, torch):
    critic, ref = _mlp_pair(torch, (2, 16, 16, 1), "Tanh")
    critic.to(xp.device)
    rng = np.random.default_rng(3)
    real, fake, alpha = rng.standard_normal((8, 2)) + 2.0, rng.standard_normal((8, 2)), rng.random((8, 1))
    opt = xn.optim.SGD(critic.parameters(), lr=1e-2, momentum=0.9)
    ref_opt = torch.optim.SGD(ref.parameters(), lr=1e-2, momentum=0.9)
    ours = [gradient_penalty_step(xn, critic, *(xp.tensor(a, "float64") for a in (real, fake, alpha)), opt)
            for _ in range(4)]
    theirs = [gradient_penalty_step(torch, ref, *(torch.from_numpy(a) for a in (real, fake, alpha)), ref_opt)
              for _ in range(4)]
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)
    for p, q in zip(critic.parameters(), ref.parameters()):
        np.testing.assert_allclose(xp.numpy(p), q.detach().numpy(), rtol=1e-9, atol=1e-12)
