"""The backward sweep and grad mode, on every backend, against hand-derived gradients."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import xpnet as xn
from xpnet import functional as F


def test_gradients_accumulate_over_backward_calls(xp):
    """Like PyTorch: ``.grad`` sums over backward calls until it is reset."""
    host = np.array([1.0, -2.0, 3.0], dtype=np.float32)
    x = xp.tensor(host, requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_allclose(xp.numpy(x.grad), 2 * host)
    (x * x * x).sum().backward()
    np.testing.assert_allclose(xp.numpy(x.grad), 2 * host + 3 * host**2)
    loss = (x * 4.0).sum()
    loss.backward(retain_graph=True)
    loss.backward()  # the graph was kept: a second sweep over it adds again
    np.testing.assert_allclose(xp.numpy(x.grad), 2 * host + 3 * host**2 + 8.0)
    assert xp.same_place(x.grad) and x.grad.dtype == xp.float32
    x.grad = None
    (x * 1.0).sum().backward()
    np.testing.assert_allclose(xp.numpy(x.grad), np.ones(3))


def test_no_grad_context_builds_no_graph(xp):
    x = xp.tensor([1.0, 2.0], requires_grad=True)
    assert xn.is_grad_enabled()
    with xn.no_grad():
        assert not xn.is_grad_enabled()
        y = (x * 2).exp().sum()
        with xn.enable_grad():
            z = x * 3
        assert not xn.is_grad_enabled()
    assert xn.is_grad_enabled()
    assert not y.requires_grad and y.is_leaf and y.grad_fn is None
    assert z.requires_grad and z.grad_fn == "mul"
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_no_grad_is_restored_after_an_exception(xp):
    x = xp.tensor([1.0], requires_grad=True)
    with pytest.raises(ZeroDivisionError), xn.no_grad():
        raise ZeroDivisionError
    assert xn.is_grad_enabled() and (x * 2).requires_grad


def test_no_grad_as_decorator(xp):
    x = xp.tensor([1.0, 2.0], requires_grad=True)

    @xn.no_grad()
    def called(t):
        assert not xn.is_grad_enabled()
        return t * 2

    @xn.no_grad
    def bare(t):
        return t * 2

    assert called.__name__ == "called"
    for fn in (called, bare):
        out = fn(x)
        assert not out.requires_grad and xn.is_grad_enabled()


def test_detach_stops_the_gradient(xp):
    host = np.array([1.0, -2.0, 0.5], dtype=np.float32)
    x = xp.tensor(host, requires_grad=True)
    (x.detach() * x).sum().backward()  # d/dx (c * x) with c = x held constant
    np.testing.assert_allclose(xp.numpy(x.grad), host)


def test_retain_grad_keeps_an_intermediate_gradient(xp):
    host = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    x = xp.tensor(host, requires_grad=True)
    y = (x * 3).retain_grad()
    z = x * 2
    (y * y).sum().backward()
    np.testing.assert_allclose(xp.numpy(y.grad), 2 * 3 * host)
    np.testing.assert_allclose(xp.numpy(x.grad), 18 * host)
    assert z.grad is None
    assert xp.same_place(y.grad) and not y.is_leaf


def test_diamond_graph_sums_its_paths(xp):
    """``y`` feeds ``z`` along two paths: dz/dx = dz/dy dy/dx summed over both."""
    host = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    x = xp.tensor(host, requires_grad=True)
    y = x * 2.0
    z = (y * y + y.exp() * 3.0 - y).sum()  # z = sum(y^2 + 3 e^y - y)
    z.backward()
    y_host = 2 * host
    np.testing.assert_allclose(xp.numpy(x.grad), 2 * (2 * y_host + 3 * np.exp(y_host) - 1),
                               rtol=1e-5)
    w = xp.tensor(host, requires_grad=True)
    (w * w).sum().backward()  # the same leaf twice in one op
    np.testing.assert_allclose(xp.numpy(w.grad), 2 * host)


def _counted(t):
    """Wrap ``t``'s backward rule to count its runs."""
    runs = []
    rule = t._backward

    def counting(g):
        runs.append(1)
        return rule(g)

    t._backward = counting
    return runs


@pytest.mark.parametrize("graph", ["exp(a) + a", "a + exp(a)", "a * a", "branches"])
def test_each_node_runs_once_with_its_whole_gradient(xp, graph):
    """The sweep takes a chain's next node at once (no heap) only while no other node waits.
    Whatever the order the parents come in, each inner node's rule runs once, after every
    consumer has sent its share (running it early would still sum right, but twice)."""
    host = np.array([0.25, -0.5, 1.0], dtype=np.float32)
    x = xp.tensor(host, requires_grad=True)
    a = x * 3.0
    if graph == "exp(a) + a":
        out, expected = a.exp() + a, 3 * (np.exp(3 * host) + 1)
    elif graph == "a + exp(a)":
        out, expected = a + a.exp(), 3 * (np.exp(3 * host) + 1)
    elif graph == "a * a":
        out, expected = (a * a).tanh(), 18 * host * (1 - np.tanh(9 * host ** 2) ** 2)
    else:  # two branches from the sum; the newer one (tanh(a)) also needs a
        b = a * 2.0
        out = b.exp() + a.tanh()
        expected = 6 * np.exp(6 * host) + 3 * (1 - np.tanh(3 * host) ** 2)
    runs = _counted(a)
    out.sum().backward()
    # atol: float32 tanh(9) is 1 - 6e-8; XLA's (JAX) rounds it to 1, so 1 - tanh**2 is 0 there
    np.testing.assert_allclose(xp.numpy(x.grad), expected, rtol=1e-5, atol=3e-6)
    assert len(runs) == 1


def _independent(xp, a, b):
    """Whether the two ``.grad`` arrays are separate memory: writing one leaves the other."""
    before = xp.numpy(b).copy()
    a += 100.0
    return np.array_equal(xp.numpy(b), before)


def test_two_leaves_never_share_a_grad_array(xp):
    a = xp.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    b = xp.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    assert a.grad is not b.grad and _independent(xp, a.grad, b.grad)
    np.testing.assert_array_equal(xp.numpy(a.grad), 101.0)

    # b's gradient is a view (reshape) of the array a's gradient is.
    a = xp.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    b = xp.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    c = xp.tensor([1.0, 2.0, 3.0, 4.0])
    ((a + b.reshape(4)) * c).sum().backward()
    np.testing.assert_array_equal(xp.numpy(b.grad), [[1.0, 2.0], [3.0, 4.0]])
    assert _independent(xp, a.grad, b.grad) and _independent(xp, b.grad, a.grad)


def test_grad_arrays_are_writeable_in_place(xp):
    """A gradient that came from a broadcast (``sum``) is still a normal array."""
    x = xp.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    x.sum().backward()
    x.grad *= 3.0
    x.grad += 1.0
    np.testing.assert_array_equal(xp.numpy(x.grad), np.full((2, 2), 4.0))
    m = xp.tensor([1.0, 2.0], requires_grad=True)
    m.mean().backward()
    m.grad -= 0.5
    np.testing.assert_array_equal(xp.numpy(m.grad), [0.0, 0.0])


def test_a_kept_grad_is_never_reused_by_a_later_backward(xp):
    """``zero_grad()`` keeps the old ``.grad`` Tensor as a spare for the next step, but only
    reuses it when nothing else refers to it: a ``.grad`` the user kept keeps its values."""
    w = xp.tensor([1.0, 2.0], "float64", requires_grad=True)
    (w * w).sum().backward()
    kept = w.grad
    w.grad = None  # what zero_grad() does
    (3.0 * w).sum().backward()
    assert w.grad is not kept
    np.testing.assert_array_equal(xp.numpy(kept), [2.0, 4.0])
    np.testing.assert_array_equal(xp.numpy(w.grad), [3.0, 3.0])
    for _ in range(3):  # nobody keeps it: the values are still each step's own
        w.grad = None
        (w * w * w).sum().backward()
        np.testing.assert_array_equal(xp.numpy(w.grad), [3.0, 12.0])
    array = w.grad.array  # a kept native array is not written either
    w.grad = None
    (5.0 * w).sum().backward()
    np.testing.assert_array_equal(xp.numpy(array), [3.0, 12.0])
    np.testing.assert_array_equal(xp.numpy(w.grad), [5.0, 5.0])
    graph = w * w.grad  # a graph holding the old .grad (its backward reads it): never reused
    w.grad = None
    (2.0 * w).sum().backward()
    np.testing.assert_array_equal(xp.numpy(w.grad), [2.0, 2.0])
    w.grad = None
    graph.sum().backward()  # d(w * g_old)/dw = g_old
    np.testing.assert_array_equal(xp.numpy(w.grad), [5.0, 5.0])


def test_zero_grad_frees_the_gradients_memory(xp):
    """``t.grad = None`` (``zero_grad()``) lets the old gradient array go at once, as torch's
    set_to_none, also while the emptied Tensor waits to be refilled by the next backward."""
    w = xp.tensor([1.0, 2.0], "float64", requires_grad=True)
    (w * w).sum().backward()
    gone = weakref.ref(w.grad.array)
    w.grad = None
    gc.collect()
    assert gone() is None
    (3.0 * w).sum().backward()
    np.testing.assert_array_equal(xp.numpy(w.grad), [3.0, 3.0])


def test_backward_does_not_adopt_the_callers_gradient(xp):
    a = xp.tensor([1.0, 2.0], requires_grad=True)
    b = xp.tensor([3.0, 4.0], requires_grad=True)
    upstream = xp.array([0.5, -1.0])
    (a + b).backward(upstream)
    a.grad += 10.0
    np.testing.assert_array_equal(xp.numpy(upstream), [0.5, -1.0])
    np.testing.assert_array_equal(xp.numpy(b.grad), [0.5, -1.0])
    leaf = xp.tensor([1.0, 2.0], requires_grad=True)
    leaf.backward(upstream)  # backward on a leaf: dL/dleaf is the gradient itself
    leaf.grad += 1.0
    np.testing.assert_array_equal(xp.numpy(upstream), [0.5, -1.0])


def test_backward_with_a_tensor_gradient(xp):
    x = xp.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    (x * 3.0).backward(xp.tensor([[1.0, 0.0], [0.0, 2.0]]))
    np.testing.assert_array_equal(xp.numpy(x.grad), [[3.0, 0.0], [0.0, 6.0]])


def test_non_scalar_backward_needs_a_gradient(xp):
    x = xp.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"non-scalar.*\(2,\).*gradient=.*\.sum\(\)\.backward"):
        (x * 2).backward()


def test_backward_gradient_of_the_wrong_shape_or_library(xp):
    x = xp.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"shape \(3,\).*\(2,\)"):
        (x * 2).backward(xp.array([1.0, 1.0, 1.0]))
    with pytest.raises(TypeError, match="same library"):
        (x * 2).backward([1.0, 1.0])
    if xp.name != "numpy":
        with pytest.raises(TypeError, match="same library"):
            (x * 2).backward(np.ones(2, dtype=np.float32))


def test_requires_grad_on_integers_is_a_type_error(xp):
    with pytest.raises(TypeError, match="floating-point"):
        xn.tensor([1, 2], device=xp.device, requires_grad=True)
    with pytest.raises(TypeError, match="floating-point"):
        xn.Tensor(xp.array([1, 2], dtype="int64"), requires_grad=True)
    with pytest.raises(TypeError, match="floating-point"):
        xn.arange(3, device=xp.device).requires_grad_()
    with pytest.raises(TypeError, match="floating-point"):
        xn.zeros(2, dtype="int64", device=xp.device, requires_grad=True)


def test_backward_on_a_tensor_without_grad_is_an_error(xp):
    x = xp.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        (x * 2).sum().backward()


def test_ops_on_constants_build_no_graph(xp):
    x = xp.tensor([1.0, 2.0])
    y = xp.tensor([1.0, 2.0], requires_grad=True)
    out = F.relu(x * 2 + 1)
    assert not out.requires_grad and out.is_leaf
    mixed = x * y
    assert mixed.requires_grad and mixed.grad_fn == "mul"
    mixed.sum().backward()
    assert x.grad is None
    np.testing.assert_array_equal(xp.numpy(y.grad), [1.0, 2.0])


@pytest.mark.parametrize("depth", [2000])
def test_deep_chains_do_not_recurse(xp, depth):
    """The sweep is iterative: depth far beyond Python's recursion limit is fine."""
    x = xp.tensor([1.0, -1.0], dtype="float64", requires_grad=True)
    y = x
    for _ in range(depth):
        y = y * 1.0001 + 0.0
    y.sum().backward()
    np.testing.assert_allclose(xp.numpy(x.grad), np.full(2, 1.0001**depth), rtol=1e-12)
    del y  # freeing the long chain must not overflow the stack either


def test_deeper_chain_than_the_recursion_limit():
    import sys

    depth = sys.getrecursionlimit() * 3
    x = xn.tensor([2.0], dtype="float64", requires_grad=True)
    y = x
    for _ in range(depth):
        y = -y
    y.sum().backward()
    assert x.grad[0] == (-1.0) ** depth


def test_raw_autograd_workflow_learns(xp):
    """The DESIGN's raw workflow: tensors, backward, read .grad, update under no_grad."""
    xs = xp.tensor([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [2.0, 1.0]])
    ys = xp.tensor([1.0, 2.0, 3.0, 5.0])  # y = 2 x0 + x1
    w = xn.zeros(2, device=xp.device, requires_grad=True)
    for _ in range(300):
        loss = ((xs @ w - ys) ** 2).mean()
        w.grad = None
        loss.backward()
        with xn.no_grad():
            w -= 0.1 * w.grad
    np.testing.assert_allclose(xp.numpy(w), [2.0, 1.0], atol=1e-3)
    assert xp.same_place(w) and w.dtype == xn.float32


def test_backward_refuses_inputs_changed_in_place_after_the_forward(xp):
    """PyTorch's rule: a saved value updated in place makes backward() raise, not lie."""
    w = xp.tensor([3.0, 4.0], requires_grad=True)
    b = xp.tensor([1.0, 2.0])
    y = (w * b).sum()
    with xn.no_grad():
        b += 10.0
    with pytest.raises(RuntimeError, match="modified in place after the forward pass"):
        y.backward()
    assert w.grad is None  # nothing was accumulated before the error


def test_an_optimizer_step_between_forward_and_backward_is_caught(xp):
    model = xn.nn.Linear(2, 1, device=xp.device)
    opt = xn.optim.SGD(model.parameters(), lr=0.1)
    x = xp.tensor([[1.0, 2.0], [3.0, 4.0]])
    first, second = model(x).sum(), model(x).sum()
    first.backward()
    opt.step()
    with pytest.raises(RuntimeError, match="compute the loss again after the update"):
        second.backward()


def test_ops_that_only_route_gradients_ignore_later_updates(xp):
    """add/reshape/sum read no values in backward: updating an input afterwards is harmless."""
    w = xp.tensor([3.0, 4.0], requires_grad=True)
    y = (w + 1.0).reshape((2, 1)).sum()
    with xn.no_grad():
        w -= 1.0
    y.backward()
    np.testing.assert_array_equal(xp.numpy(w.grad), [1.0, 1.0])
