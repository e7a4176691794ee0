"""Double backward through every computing module of ``xpnet.nn``, against ``torch.nn``.

Each case (``tests/_module_cases.py``) builds the module in torch and in xpnet, gives torch's
module random weights and copies them into xpnet's (``load_state_dict``), then
differentiates twice: ``L = sum(R * out * out)`` (for a loss, ``out`` is the loss), its
gradients ``g`` of the input(s) AND of every parameter with ``create_graph=True``, then the
gradient of ``sum_i g_i . V_i`` of the same tensors: a Hessian-vector product, which goes
through the double backward of every op the module's forward uses. The reference:

* torch autograd's own Hessian-vector product (float64, 1e-9 relative);
* where torch has no double backward (it raises), central finite differences of torch's
  first-order gradient along ``V`` (inputs and parameters moved together), 1e-6.

The first gradients are compared too, and third derivatives for a selection. Whole networks
trained with gradient penalties: tests/test_higher_order_module_training.py.
"""

from __future__ import annotations

import copy
import zlib
from typing import Any

import numpy as np
import pytest

import xpnet as xn
from _module_cases import CASES, Input
from xpnet import nn

torch = pytest.importorskip("torch")

RTOL, ATOL = 1e-9, 1e-11
FD_EPS, FD_RTOL, FD_ATOL = 1e-5, 1e-6, 1e-7


def _params(case: tuple[str, Any, Any]) -> Any:
    return pytest.param(*case, id=case[0])


def _setup(case_id: str, make: Any, inputs: list[Input]) -> tuple[Any, list[np.ndarray], list[bool],
                                                                     np.ndarray, list[np.ndarray]]:
    """torch's module (random weights), the host inputs, which need grad, R, and V (for each
    differentiable input, then each parameter in torch's order)."""
    rng = np.random.default_rng(zlib.crc32(case_id.encode()))
    torch.manual_seed(0)
    theirs = make(torch.nn).double()
    with torch.no_grad():
        for name, p in theirs.named_parameters():
            p.copy_(torch.from_numpy(rng.uniform(0.5 if "norm" in case_id.lower() and
                                                 name.endswith("weight") else -1.0, 1.5, p.shape)))
    hosts, diff = zip(*(make_input(rng) for make_input in inputs))
    with torch.no_grad():
        shape = tuple(copy.deepcopy(theirs)(*[torch.from_numpy(h) for h in hosts]).shape)
    r = rng.uniform(-1.0, 1.0, size=shape)
    v = [rng.uniform(-1.0, 1.0, size=h.shape) for h, d in zip(hosts, diff) if d]
    v += [rng.uniform(-1.0, 1.0, size=tuple(p.shape)) for p in theirs.parameters()]
    return theirs, list(hosts), list(diff), r, v


def _hvp(lib: Any, module: Any, inputs: list[Any], params: list[Any], r: Any,
         v: list[Any]) -> tuple[list[Any], list[Any]]:
    """(the first gradients, the Hessian-vector product) of ``sum(r * out * out)`` with respect
    to the inputs that require grad and ``params``."""
    out = module(*inputs)
    loss = (r * out * out).sum()
    wanted = [t for t in inputs if t.requires_grad] + params
    g = lib.autograd.grad(loss, wanted, create_graph=True, allow_unused=True)
    terms = [(gi * vi).sum() for gi, vi in zip(g, v) if gi is not None and gi.requires_grad]
    if not terms:
        return list(g), [None] * len(wanted)
    return list(g), list(lib.autograd.grad(sum(terms), wanted, allow_unused=True))


def _torch_at(theirs: Any, hosts: list[np.ndarray], diff: list[bool], r: np.ndarray,
              v: list[np.ndarray], along: list[np.ndarray], e: float,
              create_graph: bool) -> tuple[list[Any], list[Any]]:
    """torch's first gradients (and, with ``create_graph``, its Hessian-vector product along
    ``v``) at the inputs and parameters moved by ``e * along``."""
    module = copy.deepcopy(theirs)
    shifts = iter(along)
    moved = [torch.tensor(h + e * next(shifts) if d else h, requires_grad=d) for h, d in zip(hosts, diff)]
    with torch.no_grad():
        for p in module.parameters():
            p.add_(e * torch.from_numpy(next(shifts)))
    params = list(module.parameters())
    if create_graph:
        return _hvp(torch, module, moved, params, torch.from_numpy(r), [torch.from_numpy(x) for x in v])
    out = module(*moved)
    wanted = [t for t in moved if t.requires_grad] + params
    return list(torch.autograd.grad((torch.from_numpy(r) * out * out).sum(), wanted,
                                    allow_unused=True)), []


def _numpy(ts: list[Any], like: list[np.ndarray]) -> list[np.ndarray]:
    return [np.zeros(x.shape) if t is None else t.detach().numpy() for t, x in zip(ts, like)]


def _torch_reference(theirs: Any, hosts: list[np.ndarray], diff: list[bool], r: np.ndarray,
                     v: list[np.ndarray]) -> tuple[list[np.ndarray], str, list[np.ndarray]]:
    """torch's first gradients, and its Hessian-vector product (kind "torch") or central
    differences of its first-order gradient (kind "fd")."""
    first = _numpy(_torch_at(theirs, hosts, diff, r, v, v, 0.0, False)[0], v)
    try:
        return first, "torch", _numpy(_torch_at(theirs, hosts, diff, r, v, v, 0.0, True)[1], v)
    except (RuntimeError, NotImplementedError):  # "derivative for ... is not implemented"
        up, down = (_numpy(_torch_at(theirs, hosts, diff, r, v, v, e, False)[0], v)
                    for e in (FD_EPS, -FD_EPS))
        return first, "fd", [(a - b) / (2 * FD_EPS) for a, b in zip(up, down)]


def _host(xp: Any, ts: list[Any], like: list[np.ndarray]) -> list[np.ndarray]:
    """Host copies of xpnet's gradients (None: zeros), each checked to be on the backend."""
    out = []
    for t, x in zip(ts, like):
        assert t is None or xp.same_place(t)
        out.append(np.zeros(x.shape) if t is None else xp.numpy(t))
    return out


_REFERENCES: dict[str, Any] = {}  # case id -> torch's results (the same on every backend)


@pytest.mark.parametrize("case_id, make, inputs", [_params(c) for c in CASES])
def test_module_hessian_vector_product_matches_torch(xp: Any, case_id: str, make: Any,
                                                     inputs: list[Input]) -> None:
    if case_id not in _REFERENCES:
        theirs, hosts, diff, r, v = _setup(case_id, make, inputs)
        _REFERENCES[case_id] = (theirs, hosts, diff, r, v, *_torch_reference(theirs, hosts, diff, r, v))
    theirs, hosts, diff, r, v, first, kind, expected = _REFERENCES[case_id]
    ours, tensors, params = _ours(xp, theirs, make, hosts, diff)
    g, h = _hvp(xn, ours, tensors, params, xp.tensor(r, "float64"), [xp.tensor(x, "float64") for x in v])
    assert len(g) == len(h) == len(expected)
    for i, (a, b) in enumerate(zip(_host(xp, g, v), first)):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL, err_msg=f"{case_id}: gradient {i}")
    rtol, atol = (FD_RTOL, FD_ATOL) if kind == "fd" else (RTOL, ATOL)
    for i, (a, b) in enumerate(zip(_host(xp, h, v), expected)):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol,
                                   err_msg=f"{case_id}: Hessian-vector product {i}, against {kind}")


def _ours(xp: Any, theirs: Any, make: Any, hosts: list[np.ndarray],
          diff: list[bool]) -> tuple[Any, list[Any], list[Any]]:
    """xpnet's module with torch's weights, the inputs on the backend, and the parameters in
    torch's order."""
    ours = make(nn).to(xp.device, dtype=xn.float64)
    ours.train(theirs.training)
    for name in ("weight", "pos_weight"):  # a loss's weights (attributes, not buffers)
        if isinstance(getattr(ours, name, None), np.ndarray):
            setattr(ours, name, xp.tensor(getattr(ours, name), "float64"))
    state = ours.state_dict()
    ours.load_state_dict({k: v for k, v in theirs.state_dict().items() if k in state})
    tensors = [xp.tensor(h, "float64" if h.dtype.kind == "f" else "int64", d) for h, d in zip(hosts, diff)]
    named = dict(ours.named_parameters())
    return ours, tensors, [named[name] for name, _ in theirs.named_parameters()]


# Third derivatives of a selection: d/d(x, params) of sum(H v . w), against central differences
# of torch's Hessian-vector product along w (third derivatives are symmetric), so that torch's
# own third derivatives (wrong for layer_norm and batch_norm) are not the reference.
THIRD = ["Mish", "SELU", "Softplus", "Softmin", "GLU", "PReLU(3)", "Bilinear",
         "Linear+Tanh", "Linear+GELU-tanh", "Ensemble-tanh", "BatchNorm1d-train", "LayerNorm",
         "GroupNorm", "GroupNorm-NC", "RMSNorm", "CosineSimilarity", "PairwiseDistance-p3",
         "CrossEntropyLoss-smooth", "KLDivLoss-logtarget", "GaussianNLLLoss", "CosineEmbeddingLoss",
         "TripletMarginLoss", "PoissonNLLLoss-full", "MSELoss"]
THIRD_EPS, THIRD_RTOL, THIRD_ATOL = 1e-5, 1e-6, 1e-7


@pytest.mark.parametrize("case_id, make, inputs", [_params(c) for c in CASES if c[0] in THIRD])
def test_module_third_derivatives_match_torch(xp: Any, case_id: str, make: Any,
                                              inputs: list[Input]) -> None:
    theirs, hosts, diff, r, v = _setup(case_id, make, inputs)
    rng = np.random.default_rng(zlib.crc32(case_id.encode()) + 3)
    w = [rng.uniform(-1.0, 1.0, size=x.shape) for x in v]
    up, down = (_numpy(_torch_at(theirs, hosts, diff, r, v, w, e, True)[1], v)
                for e in (THIRD_EPS, -THIRD_EPS))
    expected = [(a - b) / (2 * THIRD_EPS) for a, b in zip(up, down)]
    ours, tensors, params = _ours(xp, theirs, make, hosts, diff)
    wanted = [t for t in tensors if t.requires_grad] + params
    out = ours(*tensors)
    g = xn.autograd.grad((xp.tensor(r, "float64") * out * out).sum(), wanted, create_graph=True)
    h = xn.autograd.grad(sum((gi * xp.tensor(x, "float64")).sum() for gi, x in zip(g, v)), wanted,
                         create_graph=True)
    third = xn.autograd.grad(sum((hi * xp.tensor(x, "float64")).sum() for hi, x in zip(h, w)), wanted,
                             allow_unused=True)
    for i, (a, b) in enumerate(zip(_host(xp, list(third), v), expected)):
        np.testing.assert_allclose(a, b, rtol=THIRD_RTOL, atol=THIRD_ATOL,
                                   err_msg=f"{case_id}: third derivative {i}")
