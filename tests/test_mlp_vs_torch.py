"""Whole MLPs give the loss and gradients of PyTorch's autograd, to 1e-10 in float64."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import xpnet as xn
from xpnet import nn

# (xpnet layer factory, torch layer factory) for each activation we mix in.
ACTIVATIONS = {
    "relu": (nn.ReLU, "ReLU"),
    "sigmoid": (nn.Sigmoid, "Sigmoid"),
    "tanh": (nn.Tanh, "Tanh"),
    "leaky_relu": (lambda: nn.LeakyReLU(0.1), lambda t: t.nn.LeakyReLU(0.1)),
    "gelu": (nn.GELU, "GELU"),
    "gelu_tanh": (lambda: nn.GELU(approximate="tanh"), lambda t: t.nn.GELU(approximate="tanh")),
}


def _pair(torch, sizes, acts):
    """The same MLP in xpnet and torch (float64), torch's weights loaded into xpnet's."""
    torch.manual_seed(0)
    ours, theirs = [], []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        ours.append(nn.Linear(n_in, n_out, dtype="float64"))
        theirs.append(torch.nn.Linear(n_in, n_out, dtype=torch.float64))
        if i < len(acts):
            mine, ref = ACTIVATIONS[acts[i]]
            ours.append(mine())
            theirs.append(getattr(torch.nn, ref)() if isinstance(ref, str) else ref(torch))
    return nn.Sequential(*ours), torch.nn.Sequential(*theirs)


@pytest.mark.parametrize("loss_name", ["mse", "cross_entropy"])
@pytest.mark.parametrize("acts", [("sigmoid", "relu", "tanh"), ("gelu", "leaky_relu", "gelu_tanh")])
def test_mlp_loss_and_gradients_match_torch(xp, torch, loss_name, acts):
    sizes = (5, 16, 12, 8, 4)
    model, ref = _pair(torch, sizes, acts)
    model.load_state_dict({k: v.detach().numpy() for k, v in ref.state_dict().items()})
    model.to(xp.device)

    rng = np.random.default_rng(1)
    x_host = rng.standard_normal((32, sizes[0]))
    if loss_name == "mse":
        y_host = rng.standard_normal((32, sizes[-1]))
        ours_fn, theirs_fn = nn.MSELoss(), torch.nn.MSELoss()
        y_ours, y_ref = xp.array(y_host, "float64"), torch.from_numpy(y_host)
    else:
        y_host = rng.integers(0, sizes[-1], size=32)
        ours_fn, theirs_fn = nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()
        y_ours, y_ref = xp.array(y_host, "int64"), torch.from_numpy(y_host)

    loss = ours_fn(model(xp.array(x_host, "float64")), y_ours)
    loss.backward()
    ref_loss = theirs_fn(ref(torch.from_numpy(x_host)), y_ref)
    ref_loss.backward()

    assert xp.same_place(loss) and loss.dtype == xn.float64
    np.testing.assert_allclose(xp.numpy(loss), ref_loss.item(), rtol=1e-10, atol=1e-12)
    ref_grads = {k: p.grad.numpy() for k, p in ref.named_parameters()}
    ours = dict(model.named_parameters())
    assert ours.keys() == ref_grads.keys()
    for name, p in ours.items():
        assert xp.same_place(p.grad), name
        np.testing.assert_allclose(xp.numpy(p.grad), ref_grads[name], rtol=1e-10, atol=1e-12,
                                   err_msg=name)


def test_training_matches_torch_step_for_step(xp, torch):
    """Ten SGD steps with momentum on a whole MLP stay with PyTorch's to 1e-10."""
    model, ref = _pair(torch, (3, 10, 6, 4), ("sigmoid", "relu"))
    model.load_state_dict({k: v.detach().numpy() for k, v in ref.state_dict().items()})
    model.to(xp.device)
    opt = xn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    ref_opt = torch.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    rng = np.random.default_rng(2)
    x_host, y_host = rng.standard_normal((16, 3)), rng.random((16, 4))
    x, y = xp.array(x_host, "float64"), xp.array(y_host, "float64")
    for _ in range(10):
        loss = nn.MSELoss()(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        ref_loss = torch.nn.functional.mse_loss(ref(torch.from_numpy(x_host)), torch.from_numpy(y_host))
        ref_opt.zero_grad()
        ref_loss.backward()
        ref_opt.step()
        np.testing.assert_allclose(xp.numpy(loss), ref_loss.item(), rtol=1e-10)
    for name, p in ref.named_parameters():
        np.testing.assert_allclose(xp.numpy(dict(model.named_parameters())[name]),
                                   p.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=name)
