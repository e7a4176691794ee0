"""Double backward of the linear-algebra ops beyond the parity table's cases, against torch.

* ``svd_factors`` (the thin SVD node the singular-value norms' higher derivatives use):
  first and second derivatives of losses that do not depend on the singular vectors' signs,
  tall, wide, square and batched;
* ``solve`` with only one operand requiring grad, and ``backward(create_graph=True)``;
* a singular matrix under ``create_graph`` raises LinAlgError as in first order.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import xpnet as xn
from xpnet.functional.linalg_svd import svd_factors

RTOL, ATOL = 1e-10, 1e-12


def _gauge_free(lib: Any, a: Any, svd: Any, r: Any, w: Any, q: Any) -> Any:
    """sum(R * U diag(w) V^T) + sum(q * S) + |U diag(w) V^T|^2: no singular vector's sign matters."""
    u, s, vh = svd(a)
    m = (u * w) @ vh
    return (r * m).sum() + (s * q).sum() + (m * m).sum()


@pytest.mark.parametrize("shape", [(3, 3), (4, 3), (3, 4), (2, 3, 4), (2, 4, 3)])
def test_svd_factors_derivatives_match_torch(xp, torch, shape):
    rng = np.random.default_rng(sum(shape))
    k = min(shape[-2:])
    a, r, v = (rng.standard_normal(shape) for _ in range(3))
    w, q = rng.standard_normal(k), rng.standard_normal(k)
    found = []
    for lib, svd, make in ((xn, svd_factors, lambda x, g=False: xp.tensor(x, "float64", g)),
                           (torch, lambda x: torch.linalg.svd(x, full_matrices=False),
                            lambda x, g=False: torch.tensor(x, requires_grad=g))):
        x = make(a, True)
        loss = _gauge_free(lib, x, svd, make(r), make(w), make(q))
        (g,) = lib.autograd.grad(loss, [x], create_graph=True)
        (h,) = lib.autograd.grad((g * make(v)).sum(), [x])
        found.append([np.asarray(g.tolist()), np.asarray(h.tolist())])
    for order, (ours, theirs) in enumerate(zip(*found), 1):
        np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL, err_msg=f"derivative {order}")


@pytest.mark.parametrize("which", ["A", "B"])
def test_solve_with_one_operand_requiring_grad(xp, torch, which):
    rng = np.random.default_rng(5)
    a = rng.standard_normal((3, 3)) + 3 * np.eye(3)
    b, r = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    results = []
    for lib, make in ((xn, lambda x, g=False: xp.tensor(x, "float64", g)),
                      (torch, lambda x, g=False: torch.tensor(x, requires_grad=g))):
        ta, tb = make(a, which == "A"), make(b, which == "B")
        x = lib.linalg.solve(ta, tb)
        wanted = ta if which == "A" else tb
        (g,) = lib.autograd.grad((make(r) * x * x).sum(), [wanted], create_graph=True)
        (h,) = lib.autograd.grad((g * g).sum(), [wanted])
        results.append((np.asarray(g.tolist()), np.asarray(h.tolist())))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL)


def test_backward_create_graph_through_inv_and_det(xp, torch):
    values = np.random.default_rng(2).standard_normal((3, 3)) + 3 * np.eye(3)
    grads = []
    for lib, x in ((xn, xp.tensor(values, "float64", requires_grad=True)),
                   (torch, torch.tensor(values, requires_grad=True))):
        with warnings.catch_warnings():  # torch warns (once) of the cycle x -> x.grad -> graph -> x
            warnings.simplefilter("ignore", UserWarning)
            (lib.linalg.inv(x).sum() * lib.linalg.det(x)).backward(create_graph=True)
        assert x.grad.requires_grad
        first = np.asarray(x.grad.tolist())
        g, x.grad = x.grad, None
        (g * g).sum().backward()
        grads.append((first, np.asarray(x.grad.tolist())))
    for ours, theirs in zip(*grads):
        np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL)


def test_singular_matrix_under_create_graph_raises_linalg_error(xp):
    x = xp.tensor([[1.0, 2.0], [2.0, 4.0]], "float64", requires_grad=True)
    with pytest.raises(xn.linalg.LinAlgError, match="singular"):
        xn.autograd.grad(xn.linalg.det(x), [x], create_graph=True)
    assert x.grad is None
