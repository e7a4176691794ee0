"""Double backward through every op of the parity table (tests/_parity_cases.py), against torch.

Each parity case ``f(lib, *inputs)`` is an op spelled as in torch. Here it is
differentiated twice: ``L = sum(R * out * out)``, its gradients ``g_i`` with
``create_graph=True``, then ``d/dx_j sum_i g_i . V_i`` (a Hessian-vector product, which
goes through the double backward of every op the case uses). The reference:

* torch autograd's own Hessian-vector product, in float64 (1e-10 relative);
* where torch has no double backward for the op (``cdist``, ``hardsigmoid``, the multi-margin
  losses), central finite differences of torch's *first-order* gradient along ``V``
  (``(grad L(x + eV) - grad L(x - eV)) / 2e``, 1e-6);
* for piecewise-constant ops (``sign``, ``floor``, ...) torch's gradient has no graph: xpnet's
  second derivative must be zero.

A case listed in ``REFUSED`` must refuse (NotImplementedError, no ``.grad`` written): there
the second derivative is not a function of what the op's node sees, and a local rule would give
a silently wrong number.

Every case runs on every backend of the ``xp`` fixture, so adding an op to the parity table
adds its double backward here: an op whose rule has not been converted fails with
``NotImplementedError`` instead of passing.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
import pytest

import xpnet as xn
from _gradcheck import SAME, Case
from _parity_cases import CASES

torch = pytest.importorskip("torch")

RTOL, ATOL = 1e-10, 1e-12
FD_EPS, FD_RTOL, FD_ATOL = 1e-5, 1e-6, 1e-7
DIFFERENTIABLE = [c for c in CASES if any(a.differentiable for a in c.args)]
# case: why its double backward refuses. At a distance r = 0 between two different points the
# node's rule sees G (0 for a loss smooth in r^2) and D / r (no limit): the Hessian of the
# loss exists, but depends on lim G / r, which no local rule can see (torch has no cdist
# double backward at all).
REFUSED = {"cdist zero distance": "distance 0 between two different points"}


def _directions(case: Case) -> tuple[np.ndarray, list[np.ndarray | None]]:
    """R (the outer weights, shaped as the output) and V (one direction per input)."""
    host = case.host_inputs()
    fn = case.op if case.torch == SAME else case.torch
    with torch.no_grad():
        shape = tuple(fn(*[torch.tensor(x) for x in host]).shape)
    rng = np.random.default_rng(zlib.crc32(case.id.encode()) + 7)
    r = rng.uniform(-1.0, 1.0, size=shape)
    v = [rng.uniform(-1.0, 1.0, size=x.shape) if a.differentiable else None
         for x, a in zip(host, case.args)]
    return r, v


def _first(fn: Any, inputs: list[Any], r: Any, lib: Any, create_graph: bool) -> Any:
    """The gradients of ``sum(r * out * out)`` (``r`` a tensor of ``lib``) of the inputs that
    require grad."""
    out = fn(*inputs)
    loss = (r * out * out).sum()
    wanted = [t for t in inputs if t.requires_grad]
    return wanted, lib.autograd.grad(loss, wanted, create_graph=create_graph, allow_unused=True)


def torch_hvp(case: Case) -> tuple[str, list[np.ndarray]]:
    """torch's Hessian-vector product (kind "torch"), its finite differences ("fd"), or
    "zero" where torch's gradient carries no graph (cached on the case)."""
    if "hvp" in case._cache:
        return case._cache["hvp"]
    host = case.host_inputs()
    fn = case.op if case.torch == SAME else case.torch
    r, v = _directions(case)
    diff = [a.differentiable for a in case.args]
    tensors = [torch.tensor(x, requires_grad=d) for x, d in zip(host, diff)]
    vs = [torch.tensor(d) for d in v if d is not None]
    try:
        wanted, g = _first(fn, tensors, torch.tensor(r), torch, True)
        s = sum((gi * vi).sum() for gi, vi in zip(g, vs) if gi is not None and gi.requires_grad)
        if not torch.is_tensor(s):
            result = ("zero", [np.zeros(x.shape) for x, d in zip(host, diff) if d])
        else:
            h = torch.autograd.grad(s, wanted, allow_unused=True)
            result = ("torch", [np.zeros(w.shape) if hi is None else hi.numpy()
                                for w, hi in zip(wanted, h)])
    except (RuntimeError, NotImplementedError):  # torch: "derivative for ... is not implemented"
        def grads_at(e: float) -> list[np.ndarray]:
            moved = [torch.tensor(x + e * d if d is not None else x, requires_grad=a.differentiable)
                     for x, d, a in zip(host, v, case.args)]
            _, g = _first(fn, moved, torch.tensor(r), torch, False)
            return [np.zeros(m.shape) if gi is None else gi.numpy()
                    for m, gi in zip([m for m in moved if m.requires_grad], g)]

        up, down = grads_at(FD_EPS), grads_at(-FD_EPS)
        result = ("fd", [(a - b) / (2 * FD_EPS) for a, b in zip(up, down)])
    case._cache["hvp"] = result
    return result


@pytest.mark.parametrize("case", DIFFERENTIABLE, ids=[c.id for c in DIFFERENTIABLE])
def test_hessian_vector_product_matches_torch(xp: Any, case: Case) -> None:
    r, v = _directions(case)
    if case.id in REFUSED:
        tensors = [xp.tensor(x, "float64" if a.floating else x.dtype.name, a.differentiable)
                   for x, a in zip(case.host_inputs(), case.args)]
        with pytest.raises(NotImplementedError, match="double backward of"):
            wanted, g = _first(case.op, tensors, xp.tensor(r, "float64"), xn, True)
            xn.autograd.grad(sum((gi * gi).sum() for gi in g if gi is not None), wanted)
        assert all(t.grad is None for t in tensors)
        return
    kind, expected = torch_hvp(case)
    tensors = [xp.tensor(x, "float64" if a.floating else x.dtype.name, a.differentiable)
               for x, a in zip(case.host_inputs(), case.args)]
    wanted, g = _first(case.op, tensors, xp.tensor(r, "float64"), xn, True)
    vs = [xp.tensor(d, "float64") for d in v if d is not None]
    terms = [(gi * vi).sum() for gi, vi in zip(g, vs) if gi is not None and gi.requires_grad]
    if terms:
        h = xn.autograd.grad(sum(terms), wanted, allow_unused=True)
        got = [np.zeros(w.shape) if hi is None else xp.numpy(hi) for w, hi in zip(wanted, h)]
    else:
        got = [np.zeros(w.shape) for w in wanted]
    rtol, atol = (FD_RTOL, FD_ATOL) if kind == "fd" else (RTOL, ATOL)
    for i, (a, b) in enumerate(zip(got, expected)):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol,
                                   err_msg=f"{case.id}: input {i}, against {kind}")
