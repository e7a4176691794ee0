"""backward() twice, retain_graph, inputs=, and the graph freed after backward, as in torch."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import xpnet as xn
from xpnet import nn

HOST = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], dtype=np.float64)
SECOND_TIME = "backward through the graph a second time"


def _pair(xp, torch, values=HOST):
    """The same leaf in xpnet (on the backend) and in torch, float64."""
    return xp.tensor(values, "float64", requires_grad=True), torch.tensor(values, requires_grad=True)


# Graphs whose ops keep values for their backward rule: torch frees them after backward().
SAVING = {
    "mul": lambda x: (x * 3.0).sum(),
    "tanh": lambda x: x.tanh().sum(),
    "exp": lambda x: x.exp().mean(),
    "matmul": lambda x: (x @ x.T).sum(),
    "relu": lambda x: x.relu().sum(),
    "sigmoid": lambda x: x.sigmoid().sum(),
    "mse": lambda x: ((x - 1.0) * (x - 1.0)).mean(),
}
# Graphs of ops that keep nothing: torch can sweep them again.
ROUTING = {
    "add": lambda x: (x + 1.0).sum(),
    "mean": lambda x: x.mean(),
    "reshape": lambda x: x.reshape(6).sum(),
    "neg": lambda x: (-x).sum(),
    "sub": lambda x: (x - x).sum(),
}


@pytest.mark.parametrize("name", sorted(SAVING))
def test_second_backward_raises_as_torch(xp, torch, name):
    f = SAVING[name]
    x, tx = _pair(xp, torch)
    loss, tloss = f(x), f(tx)
    loss.backward()
    tloss.backward()
    with pytest.raises(RuntimeError, match=SECOND_TIME) as ours:
        loss.backward()
    with pytest.raises(RuntimeError, match=SECOND_TIME):
        tloss.backward()
    assert "retain_graph=True" in str(ours.value)
    # Nothing was added by the refused call: still one sweep's gradient.
    np.testing.assert_allclose(xp.numpy(x.grad), tx.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", sorted(ROUTING))
def test_second_backward_through_routing_ops_works_as_torch(xp, torch, name):
    f = ROUTING[name]
    x, tx = _pair(xp, torch)
    loss, tloss = f(x), f(tx)
    for _ in range(2):
        loss.backward()
        tloss.backward()
    np.testing.assert_allclose(xp.numpy(x.grad), tx.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", sorted(SAVING))
def test_retain_graph_allows_a_second_backward(xp, torch, name):
    f = SAVING[name]
    x, tx = _pair(xp, torch)
    loss, tloss = f(x), f(tx)
    loss.backward(retain_graph=True)
    tloss.backward(retain_graph=True)
    loss.backward()
    tloss.backward()
    np.testing.assert_allclose(xp.numpy(x.grad), tx.grad.numpy(), rtol=1e-12)
    with pytest.raises(RuntimeError, match=SECOND_TIME):  # the last call freed it
        loss.backward()


def test_second_backward_of_a_model_loss_raises(xp):
    """The issue's case: an MLP's loss.backward() twice no longer doubles the gradients."""
    model = nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 1)).to(xp.device)
    x = xp.tensor(HOST)
    loss = nn.MSELoss()(model(x), xp.tensor([[1.0], [0.0]]))
    loss.backward()
    first = [xp.numpy(p.grad).copy() for p in model.parameters()]
    with pytest.raises(RuntimeError, match=SECOND_TIME):
        loss.backward()
    for p, g in zip(model.parameters(), first):
        np.testing.assert_array_equal(xp.numpy(p.grad), g)


def test_second_backward_after_an_optimizer_step_says_freed_not_modified(xp):
    """After opt.step() the parameters changed in place: the freed graph is still the reason."""
    w = xp.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    loss.backward()
    with xn.no_grad():
        w -= 0.1 * w.grad
    with pytest.raises(RuntimeError, match=SECOND_TIME):
        loss.backward()


def test_backward_frees_intermediates(xp):
    """The arrays a graph kept for backward are released by backward(), as torch frees them."""
    x = xp.tensor(HOST, "float64", requires_grad=True)
    w = xp.tensor(HOST.T, "float64", requires_grad=True)
    h = x @ w
    a = h.tanh()
    loss = (a * 2.0).sum()
    refs = [weakref.ref(h), weakref.ref(a)]
    del h, a
    gc.collect()
    assert all(r() is not None for r in refs)  # the graph holds them until backward
    loss.backward()
    assert all(r() is None for r in refs)
    kept = x @ w
    loss = kept.tanh().sum()
    ref = weakref.ref(kept)
    del kept
    loss.backward(retain_graph=True)
    assert ref() is not None  # retain_graph keeps them


def test_backward_signature_is_torchs(xp, torch):
    import inspect

    ours = list(inspect.signature(xn.Tensor.backward).parameters.values())[1:]
    theirs = list(inspect.signature(torch.Tensor.backward).parameters.values())[1:]
    assert [(p.name, p.default) for p in ours] == [(p.name, p.default) for p in theirs]


def test_create_graph_raises_clearly(xp):
    x = xp.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(NotImplementedError, match="double backward of 'twice' is not supported yet"):
        (_unconverted(x) * x).sum().backward(create_graph=True)
    assert x.grad is None


@pytest.mark.parametrize("as_list", [True, False])
def test_backward_inputs_accumulates_only_into_them(xp, torch, as_list):
    x, tx = _pair(xp, torch)
    w, tw = _pair(xp, torch, HOST.T.copy())
    h, th = x @ w, tx @ tw
    h.retain_grad()
    th.retain_grad()
    loss, tloss = (h.tanh() * 2.0).sum(), (th.tanh() * 2.0).sum()
    loss.backward(inputs=[w] if as_list else w)
    tloss.backward(inputs=[tw] if as_list else tw)
    assert x.grad is None and tx.grad is None
    np.testing.assert_allclose(xp.numpy(w.grad), tw.grad.numpy(), rtol=1e-12)
    assert x.requires_grad  # restored after the sweep


def test_backward_inputs_non_leaf(xp, torch):
    x, tx = _pair(xp, torch)
    h, th = x * 3.0, tx * 3.0
    loss, tloss = h.tanh().sum(), th.tanh().sum()
    loss.backward(inputs=[h, x])
    tloss.backward(inputs=[th, tx])
    rtol = 1e-10 if xp.name == "jax" else 1e-12  # XLA's float64 tanh differs from torch's in the last bits
    np.testing.assert_allclose(xp.numpy(h.grad), th.grad.numpy(), rtol=rtol)
    np.testing.assert_allclose(xp.numpy(x.grad), tx.grad.numpy(), rtol=rtol)


def test_backward_inputs_refuses_bad_values(xp):
    x = xp.tensor([1.0, 2.0], requires_grad=True)
    c = xp.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="cannot be empty"):
        (x * x).sum().backward(inputs=[])
    with pytest.raises(RuntimeError, match="does not require grad"):
        (x * c).sum().backward(inputs=[c])
    with pytest.raises(TypeError, match="takes Tensors"):
        (x * x).sum().backward(inputs=[1.0])


def _unconverted(x):
    """``2 x`` as an op whose rule is declared nowhere (so its double backward is refused)."""
    from xpnet.tensor import make_result

    def backward(g):
        return (g * 2,)

    return make_result(x.array * 2, x.xp, (x,), backward, "twice")
