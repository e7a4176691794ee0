"""create_graph=True at the edges of rrelu, cdist and floor_divide (the rest: test_higher_order.py).

* rrelu in training draws its slopes: compared with torch given the same slopes.
* cdist has no double backward in torch: ``cdist(x, x)`` (whose own pairs are at distance 0)
  against finite differences of torch's first-order gradient; a distance of 0 between two
  different points is refused (p = 2, 3), and p = 1 keeps abs's convention there (torch's
  ``abs`` at 0); p < 1 with a zero difference gives torch's first-order 0, not NaN.
* floor_divide has no derivative: the same RuntimeError as torch with or without create_graph.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import xpnet as xn

RTOL = 1e-10
FD_EPS, FD_RTOL, FD_ATOL = 1e-5, 1e-6, 1e-8


def _hvp(lib: Any, op: Any, inputs: list[Any], r: Any, v: list[Any]) -> list[Any]:
    """[gradients..., Hessian-vector products...] of ``L = sum(r * op(*inputs)**2)``."""
    out = op(*inputs)
    first = lib.autograd.grad((r * out * out).sum(), inputs, create_graph=True)
    second = lib.autograd.grad(sum((g * w).sum() for g, w in zip(first, v)), inputs)
    return [*first, *second]


def test_rrelu_training_second_derivatives_match_torch_with_the_same_slopes(xp, torch):
    rng = np.random.default_rng(5)
    values, r, v = (rng.standard_normal((4, 5)) for _ in range(3))
    xn.manual_seed(0)
    x = xp.tensor(values, "float64", requires_grad=True)
    out = xn.nn.functional.rrelu(x * x * x, 0.1, 0.4, training=True)
    slopes = xp.numpy(out.detach()) / values ** 3
    assert np.unique(np.round(slopes[values < 0], 12)).size > 1  # drawn, not the mean
    xn.manual_seed(0)
    ours = _hvp(xn, lambda t: xn.nn.functional.rrelu(t * t * t, 0.1, 0.4, training=True),
                [xp.tensor(values, "float64", requires_grad=True)], xp.tensor(r, "float64"),
                [xp.tensor(v, "float64")])
    a = torch.tensor(slopes)
    theirs = _hvp(torch, lambda t: t * t * t * a, [torch.tensor(values, requires_grad=True)],
                  torch.tensor(r), [torch.tensor(v)])
    for k, (got, want) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(xp.numpy(got), want.detach().numpy(), rtol=RTOL, err_msg=f"{k}")


@pytest.mark.parametrize("p", [2.0, 3.0, 1.5, 1.0, float("inf")])
def test_cdist_of_a_set_with_itself_matches_finite_differences_of_torch(xp, torch, p):
    rng = np.random.default_rng(7)
    values, v = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    r = rng.uniform(-1.0, 1.0, (4, 4))

    def torch_grad(at: np.ndarray) -> np.ndarray:
        t = torch.tensor(at, requires_grad=True)
        out = torch.cdist(t, t, p=p)
        return torch.autograd.grad((torch.tensor(r) * out * out).sum(), t)[0].numpy()

    fd = (torch_grad(values + FD_EPS * v) - torch_grad(values - FD_EPS * v)) / (2 * FD_EPS)
    x = xp.tensor(values, "float64", requires_grad=True)
    g, h = _hvp(xn, lambda t: xn.cdist(t, t, p=p), [x], xp.tensor(r, "float64"),
                [xp.tensor(v, "float64")])
    np.testing.assert_allclose(xp.numpy(g), torch_grad(values), rtol=RTOL, atol=1e-12)
    np.testing.assert_allclose(xp.numpy(h), fd, rtol=FD_RTOL, atol=FD_ATOL)


@pytest.mark.parametrize("p", [2.0, 3.0, 0.5])
def test_cdist_zero_distance_between_different_points_refuses_and_changes_no_grad(xp, torch, p):
    va, vb = [[1.0, 2.0], [0.0, 0.5]], [[1.0, 2.0]]
    a, b = (xp.tensor(w, "float64", requires_grad=True) for w in (va, vb))
    loss = (xn.cdist(a, b, p=p) ** 2).sum()
    with pytest.raises(NotImplementedError, match=r"double backward of 'cdist'.*distance between two "
                                                  r"different points is 0"):
        loss.backward(create_graph=True)
    assert a.grad is None and b.grad is None
    loss.backward()  # first order: torch's 0 for the pair at distance 0
    ta = torch.tensor(va, dtype=torch.float64, requires_grad=True)
    (torch.cdist(ta, torch.tensor(vb, dtype=torch.float64), p=p) ** 2).sum().backward()
    np.testing.assert_allclose(xp.numpy(a.grad), ta.grad.numpy(), rtol=RTOL)
    assert xp.numpy(a.grad)[0].tolist() == [0.0, 0.0]


def test_cdist_p1_zero_distance_keeps_the_convention_of_abs_as_torch(xp, torch):
    va, vb = np.array([[1.5, 0.5], [0.0, -0.7]]), np.array([[1.5, 0.5], [-1.0, 0.3]])  # pair (0, 0): 0
    rng = np.random.default_rng(11)
    r, v = rng.uniform(-1.0, 1.0, (2, 2)), [rng.standard_normal((2, 2)) for _ in range(2)]
    ours = _hvp(xn, lambda a, b: xn.cdist(a, b, p=1.0) * a.sum(1, keepdim=True),
                [xp.tensor(w, "float64", requires_grad=True) for w in (va, vb)],
                xp.tensor(r, "float64"), [xp.tensor(w, "float64") for w in v])
    theirs = _hvp(torch, lambda a, b: (a[:, None] - b[None]).abs().sum(-1) * a.sum(1, keepdim=True),
                  [torch.tensor(w, requires_grad=True) for w in (va, vb)],
                  torch.tensor(r), [torch.tensor(w) for w in v])
    for k, (got, want) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(xp.numpy(got), want.detach().numpy(), rtol=RTOL, atol=1e-12,
                                   err_msg=f"{k}")


@pytest.mark.parametrize("p", [0.5, 0.3])
def test_cdist_p_below_1_first_order_is_torch_zero_where_a_difference_is_0(xp, torch, p):
    va, vb = np.array([[1.0, 2.0], [0.0, 0.5]]), np.array([[1.0, 3.0], [2.0, 0.5]])
    a, b = (xp.tensor(w, "float64", requires_grad=True) for w in (va, vb))
    xn.cdist(a, b, p=p).sum().backward()
    ta, tb = (torch.tensor(w, requires_grad=True) for w in (va, vb))
    torch.cdist(ta, tb, p=p).sum().backward()
    assert np.isfinite(xp.numpy(a.grad)).all()
    np.testing.assert_allclose(xp.numpy(a.grad), ta.grad.numpy(), rtol=RTOL)
    np.testing.assert_allclose(xp.numpy(b.grad), tb.grad.numpy(), rtol=RTOL)


def test_floor_divide_has_no_derivative_with_or_without_create_graph_as_torch(xp, torch):
    for lib, make in ((xn, lambda w: xp.tensor(w, "float64", requires_grad=True)),
                      (torch, lambda w: torch.tensor(w, requires_grad=True))):
        a, b = make([2.5, -1.3]), make([0.7, 0.4])
        for create_graph in (False, True):
            with pytest.raises(RuntimeError, match=r"derivative (for .*|of )floor_divide is not "
                                                   r"implemented"):
                lib.autograd.grad(lib.floor_divide(a * a, b).sum(), [a, b], create_graph=create_graph)


def test_embedding_double_backward_with_max_norm_matches_torch_and_scale_grad_by_freq_refuses(xp, torch):
    """max_norm renormalizes the table (no graph) and the lookup differentiates twice as torch;
    scale_grad_by_freq's gradient is rescaled, not a derivative: refused under create_graph."""
    table = np.linspace(-1.0, 1.0, 15).reshape(5, 3) * 1.5
    found = []
    for lib, w in ((xn, xp.tensor(table, "float64", requires_grad=True)),
                   (torch, torch.tensor(table, requires_grad=True))):
        idx = lib.tensor([0, 2, 2, 1]) if lib is torch else xp.tensor([0, 2, 2, 1], "int64")
        out = lib.nn.functional.embedding(idx, w, padding_idx=1, max_norm=1.0)
        (g,) = lib.autograd.grad((out ** 3).sum(), w, create_graph=True)
        (h,) = lib.autograd.grad((g * g).sum(), w)
        found.append(h.detach().numpy() if lib is torch else xp.numpy(h))
    np.testing.assert_allclose(found[0], found[1], rtol=1e-12)
    w = xp.tensor(table, "float64", requires_grad=True)
    out = xn.nn.functional.embedding(xp.tensor([0, 2, 2], "int64"), w, scale_grad_by_freq=True)
    with pytest.raises(NotImplementedError, match="scale_grad_by_freq"):
        xn.autograd.grad((out ** 3).sum(), w, create_graph=True)
    assert w.grad is None
