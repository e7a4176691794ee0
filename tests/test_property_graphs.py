"""Property-based: random small graphs of ops give torch's values and gradients (float64).

Hypothesis draws leaves of broadcast-compatible shapes and a sequence of ops
(add, sub, mul, div, matmul, exp, tanh, sigmoid, relu, sum/mean over axes,
reshape, Python-number operands on either side), each reading earlier nodes
(so tensors are reused: branches and weight sharing). The same graph is built
in xpnet, on every backend, and in torch; every node's value and every leaf's
gradient must agree to rtol 1e-10.
"""

from __future__ import annotations

import hypothesis
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

RTOL = ATOL = 1e-10
VALUES = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False, width=64)
OPS = ["add", "sub", "mul", "div", "rsub", "rdiv", "scalar_mul", "scalar_add", "matmul", "exp",
       "tanh", "sigmoid", "relu", "sum", "mean", "reshape", "transpose"]


class Graph:
    """Nodes built twice: ``ours`` (xpnet on the backend) and ``theirs`` (torch)."""

    def __init__(self, xp, torch):
        self.xp, self.torch = xp, torch
        self.ours: list = []
        self.theirs: list = []
        self.leaves: list[int] = []

    def leaf(self, values: np.ndarray) -> int:
        self.ours.append(self.xp.tensor(values, "float64", requires_grad=True))
        self.theirs.append(self.torch.tensor(values, dtype=self.torch.float64, requires_grad=True))
        self.leaves.append(len(self.ours) - 1)
        return len(self.ours) - 1

    def add(self, f) -> None:
        """A node ``f(...)`` of the last arguments, built in both frameworks."""
        self.ours.append(f(self.ours))
        self.theirs.append(f(self.theirs))

    def host(self, i: int) -> np.ndarray:
        return self.theirs[i].detach().numpy()


def _variant(draw, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that broadcasts against ``shape``: a suffix of it, some sizes set to 1."""
    start = draw(st.integers(0, len(shape)))
    return tuple(1 if draw(st.booleans()) else n for n in shape[start:])


def _broadcasts(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        return False
    return True


def _step(draw, g: Graph) -> None:
    i = draw(st.integers(0, len(g.ours) - 1))
    a = g.host(i)
    shape = a.shape
    op = draw(st.sampled_from(OPS))
    hypothesis.event(op)
    if op in ("add", "sub", "mul", "div"):
        partners = [j for j in range(len(g.ours)) if _broadcasts(shape, g.host(j).shape)]
        if draw(st.booleans()):
            partners.append(g.leaf(draw(hnp.arrays(np.float64, _variant(draw, shape),
                                                   elements=VALUES))))
        j = draw(st.sampled_from(partners))
        if op == "add":
            g.add(lambda n: n[i] + n[j])
        elif op == "sub":
            g.add(lambda n: n[i] - n[j])
        elif op == "mul":
            g.add(lambda n: n[i] * n[j])
        else:  # a denominator >= 1
            g.add(lambda n: n[i] / (n[j] * n[j] + 1.0))
    elif op in ("rsub", "rdiv", "scalar_mul", "scalar_add"):
        c = draw(st.sampled_from([0.5, -1.5, 2.0, 3.0]))
        if op == "rsub":
            g.add(lambda n: c - n[i])
        elif op == "rdiv":
            g.add(lambda n: c / (n[i] * n[i] + 1.0))
        elif op == "scalar_mul":
            g.add(lambda n: n[i] * c)
        else:
            g.add(lambda n: c + n[i])
    elif op == "matmul" and len(shape) >= 1:
        k = draw(st.integers(1, 3))
        w = g.leaf(draw(hnp.arrays(np.float64, (shape[-1], k), elements=VALUES)))
        g.add(lambda n: n[i] @ n[w])
    elif op == "exp" and np.all(np.abs(a) < 20):  # no overflow
        g.add(lambda n: n[i].exp())
    elif op == "relu" and np.all(np.abs(a) > 1e-9):  # away from the kink at 0
        g.add(lambda n: n[i].relu())
    elif op == "sigmoid":
        g.add(lambda n: n[i].sigmoid())
    elif op in ("sum", "mean") and len(shape) >= 1:
        axes = draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, max_size=len(shape),
                             unique=True))
        keep = draw(st.booleans())
        axis = tuple(axes) if len(axes) > 1 else axes[0]
        g.add(lambda n: _reduce(n[i], op, axis, keep))
    elif op == "reshape":
        target = (-1,) if draw(st.booleans()) or len(shape) < 2 else tuple(reversed(shape))
        g.add(lambda n: n[i].reshape(target))
    elif op == "transpose" and len(shape) >= 2:
        g.add(lambda n: n[i].mT)
    else:
        g.add(lambda n: n[i].tanh())


def _reduce(t, op: str, axis, keep: bool):
    """``t.sum``/``t.mean`` over ``axis``: xpnet takes axis/keepdims, torch dim/keepdim."""
    if type(t).__module__.startswith("torch"):
        return getattr(t, op)(dim=axis, keepdim=keep)
    return getattr(t, op)(axis=axis, keepdims=keep)


@st.composite
def graphs(draw, xp, torch):
    g = Graph(xp, torch)
    base = tuple(draw(st.lists(st.integers(1, 3), min_size=0, max_size=3)))
    for _ in range(draw(st.integers(1, 3))):
        g.leaf(draw(hnp.arrays(np.float64, _variant(draw, base), elements=VALUES)))
    for _ in range(draw(st.integers(1, 7))):
        _step(draw, g)
    return g


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_random_graphs_match_torch(xp, torch, data):
    g = data.draw(graphs(xp, torch))
    # Each node's value.
    for ours, theirs in zip(g.ours, g.theirs):
        assert ours.shape == tuple(theirs.shape)
        np.testing.assert_allclose(xp.numpy(ours), theirs.detach().numpy(), rtol=RTOL, atol=ATOL)
    # The loss: the last node, plus a weighted earlier one (a second path through the graph).
    k = data.draw(st.integers(0, len(g.ours) - 1))
    loss = g.ours[-1].sum() + g.ours[k].sum() * 0.5
    tloss = g.theirs[-1].sum() + g.theirs[k].sum() * 0.5
    loss.backward()
    tloss.backward()
    for i in g.leaves:
        ours, theirs = g.ours[i], g.theirs[i]
        if theirs.grad is None:  # a leaf the loss does not reach
            assert ours.grad is None
            continue
        assert xp.same_place(ours.grad)
        np.testing.assert_allclose(xp.numpy(ours.grad), theirs.grad.numpy(), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("op", ["sigmoid", "tanh", "relu", "exp"])
def test_activations_of_a_0d_tensor(xp, torch, op):
    """Found by the suite above: sigmoid of a 0-d NumPy tensor raised TypeError."""
    x = xp.tensor(np.array(0.75), "float64", requires_grad=True)
    tx = torch.tensor(0.75, dtype=torch.float64, requires_grad=True)
    out, tout = getattr(x, op)(), getattr(tx, op)()
    out.backward()
    tout.backward()
    assert out.shape == ()
    np.testing.assert_allclose(xp.numpy(out), tout.detach().numpy(), rtol=RTOL)
    np.testing.assert_allclose(xp.numpy(x.grad), tx.grad.numpy(), rtol=RTOL)
