"""The op-test harness (after Chainer's ``check_backward``): one case, every check.

A :class:`Case` gives the inputs (host NumPy values), the op (a callable over
xpnet Tensors), and a NumPy reference of the forward pass. :func:`check_case`
then, on the backend under test:

1. runs the op in float64 and compares the forward with the reference;
2. sends a random upstream gradient R back (``out.backward(R)``, i.e. the
   gradient of ``loss = sum(out * R)``) and compares every input gradient with
   float64 central finite differences of ``sum(ref(...) * R)``;
3. checks that the output and every gradient keep the backend's namespace,
   device, dtype and the input's shape, in float64 and in float32 (where the
   forward and gradients must also agree with float64 to float32 precision);
4. where torch is installed, compares forward and gradients with torch
   autograd in float64 to 1e-10.

The finite differences and the torch results do not depend on the backend, so
they are computed once per case and cached.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import xpnet as xn

EPS = 1e-6  # finite-difference step (float64)
FD_RTOL, FD_ATOL = 1e-6, 1e-7  # analytic vs finite differences
REF_RTOL, REF_ATOL = 1e-10, 1e-12  # float64 forward vs NumPy; float64 vs torch autograd
F32_RTOL, F32_ATOL = 2e-4, 2e-5  # float32 results vs float64 ones (relative to their scale)

SAME = "same"  # Case.torch = SAME: the op itself runs on torch tensors too


@dataclass
class Arg:
    """One input: host values, and whether it is differentiable.

    Floating values take the dtype under test (float64, then float32); integer
    and boolean values keep their own dtype and never require grad.
    """

    values: np.ndarray
    grad: bool = True

    @property
    def floating(self) -> bool:
        return self.values.dtype.kind == "f"

    @property
    def differentiable(self) -> bool:
        return self.grad and self.floating


@dataclass
class Case:
    """An op under test: ``op(*tensors)`` must equal ``ref(*arrays)`` and differentiate right.

    ``torch`` is a callable over torch tensors giving the same result (or
    :data:`SAME` when ``op`` itself works on torch tensors, or None).
    ``fd=False`` skips finite differences (inputs on a kink): torch decides there.
    """

    id: str
    op: Callable[..., Any]
    ref: Callable[..., Any]
    args: Sequence[Arg]
    torch: Any = SAME
    fd: bool = True  # False at kinks (ties of max/min), where only torch is the reference
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def upstream(self, shape: tuple[int, ...]) -> np.ndarray:
        """The random upstream gradient R (seeded by the case id, so reruns agree)."""
        rng = np.random.default_rng(zlib.crc32(self.id.encode()))
        return rng.uniform(-1.0, 1.0, size=shape)

    def host_inputs(self) -> list[np.ndarray]:
        return [a.values.astype(np.float64) if a.floating else a.values for a in self.args]


# -- input makers: deterministic values that avoid the kinks of the ops ------------------
_rng = np.random.default_rng(20240601)


def randn(*shape: int, scale: float = 1.0) -> np.ndarray:
    """Normal values (distinct almost surely, so max/min have no ties)."""
    return _rng.standard_normal(shape) * scale


def uniform(*shape: int, low: float = -2.0, high: float = 2.0) -> np.ndarray:
    return _rng.uniform(low, high, size=shape)


def positive(*shape: int, low: float = 0.5, high: float = 2.0) -> np.ndarray:
    """Values in [low, high]: for log, sqrt, division and fractional powers."""
    return _rng.uniform(low, high, size=shape)


def away(*shape: int, margin: float = 0.1, high: float = 2.0) -> np.ndarray:
    """Values with ``margin <= |x| <= high`` and both signs: for relu, abs, leaky_relu."""
    mag = _rng.uniform(margin, high, size=shape)
    sign = np.where(_rng.uniform(size=shape) < 0.5, -1.0, 1.0)
    return mag * sign


def probabilities(*shape: int, axis: int = -1) -> np.ndarray:
    """Rows that sum to one along ``axis``."""
    p = _rng.uniform(0.1, 1.0, size=shape)
    return p / p.sum(axis=axis, keepdims=True)


def indices(classes: int, *shape: int) -> np.ndarray:
    return _rng.integers(0, classes, size=shape).astype(np.int64)


def mask(*shape: int) -> np.ndarray:
    m = _rng.uniform(size=shape) < 0.5
    m.flat[0], m.flat[-1] = True, False  # never all-true or all-false
    return m


# -- the checks --------------------------------------------------------------------------
def _loss_value(case: Case, inputs: list[np.ndarray], r: np.ndarray) -> float:
    return float(np.sum(np.asarray(case.ref(*inputs), dtype=np.float64) * r))


def finite_differences(case: Case) -> list[np.ndarray | None]:
    """Central differences of ``sum(ref(x) * R)`` for each differentiable input (cached)."""
    if "fd" in case._cache:
        return case._cache["fd"]
    inputs = case.host_inputs()
    r = case.upstream(np.shape(case.ref(*inputs)))
    grads: list[np.ndarray | None] = []
    for i, arg in enumerate(case.args):
        if not arg.differentiable:
            grads.append(None)
            continue
        g = np.zeros_like(inputs[i])
        for j in range(inputs[i].size):
            shifted = [x.copy() for x in inputs]
            shifted[i].flat[j] += EPS
            up = _loss_value(case, shifted, r)
            shifted[i].flat[j] -= 2 * EPS
            down = _loss_value(case, shifted, r)
            g.flat[j] = (up - down) / (2 * EPS)
        grads.append(g)
    case._cache["fd"] = grads
    return grads


def torch_reference(case: Case) -> tuple[np.ndarray, list[np.ndarray | None]] | None:
    """Forward and gradients from torch autograd in float64 (cached); None without torch."""
    if case.torch is None:
        return None
    if "torch" in case._cache:
        return case._cache["torch"]
    try:
        import torch
    except ImportError:
        return None
    fn = case.op if case.torch == SAME else case.torch
    inputs = [torch.tensor(x, requires_grad=arg.differentiable)
              for x, arg in zip(case.host_inputs(), case.args)]
    out = fn(*inputs)
    out.backward(torch.tensor(case.upstream(tuple(out.shape))))
    result = (out.detach().numpy(),
              [x.grad.numpy() if arg.differentiable else None for x, arg in zip(inputs, case.args)])
    case._cache["torch"] = result
    return result


def run(xp: Any, case: Case, dtype: str) -> tuple[xn.Tensor, list[xn.Tensor]]:
    """The op on backend ``xp`` with floating inputs of ``dtype``; gradients sent back from R."""
    tensors = [xp.tensor(x, dtype if arg.floating else x.dtype.name, arg.differentiable)
               for x, arg in zip(case.host_inputs(), case.args)]
    out = case.op(*tensors)
    assert isinstance(out, xn.Tensor), f"{case.id}: the op returned {type(out).__name__}"
    if any(arg.differentiable for arg in case.args):
        out.backward(xp.array(case.upstream(out.shape), dtype=dtype))
    return out, tensors


def _check_place(xp: Any, case: Case, what: str, obj: Any, dtype: str,
                 shape: tuple[int, ...]) -> None:
    assert xp.same_place(obj), f"{case.id}: {what} left the {xp.name} backend or its device"
    native = obj.array if isinstance(obj, xn.Tensor) else obj
    assert native.dtype == getattr(xp.ns, dtype), f"{case.id}: {what} has dtype {native.dtype}"
    assert tuple(native.shape) == shape, f"{case.id}: {what} has shape {tuple(native.shape)}"


def check_case(xp: Any, case: Case) -> None:
    """Every check of the module docstring, for one case on one backend."""
    host = case.host_inputs()
    expected = np.asarray(case.ref(*host), dtype=np.float64)
    fd = finite_differences(case) if case.fd else []
    reference = torch_reference(case)

    out, tensors = run(xp, case, "float64")
    _check_place(xp, case, "output", out, "float64", expected.shape)
    got = xp.numpy(out)
    np.testing.assert_allclose(got, expected, rtol=REF_RTOL, atol=REF_ATOL,
                               err_msg=f"{case.id}: forward differs from the NumPy reference")
    if reference is not None:
        np.testing.assert_allclose(got, reference[0], rtol=REF_RTOL, atol=REF_ATOL,
                                   err_msg=f"{case.id}: forward differs from torch")
    grads64: list[np.ndarray | None] = []
    for i, (t, arg) in enumerate(zip(tensors, case.args)):
        if not arg.differentiable:
            assert t.grad is None, f"{case.id}: input {i} needs no gradient but got one"
            grads64.append(None)
            continue
        assert t.grad is not None, f"{case.id}: no gradient reached input {i}"
        _check_place(xp, case, f"gradient of input {i}", t.grad, "float64", tuple(host[i].shape))
        g = xp.numpy(t.grad)
        grads64.append(g)
        if case.fd:
            np.testing.assert_allclose(g, fd[i], rtol=FD_RTOL, atol=FD_ATOL,
                                       err_msg=f"{case.id}: gradient of input {i} vs "
                                       "finite differences")
        if reference is not None:
            np.testing.assert_allclose(g, reference[1][i], rtol=REF_RTOL, atol=REF_ATOL,
                                       err_msg=f"{case.id}: gradient of input {i} vs torch")

    # float32: same place, float32 everywhere (Python scalars never promote), close to float64.
    out32, tensors32 = run(xp, case, "float32")
    _check_place(xp, case, "float32 output", out32, "float32", expected.shape)
    _close32(xp.numpy(out32), expected, f"{case.id}: float32 forward")
    for i, (t, g64) in enumerate(zip(tensors32, grads64)):
        if g64 is None:
            continue
        _check_place(xp, case, f"float32 gradient of input {i}", t.grad, "float32",
                     tuple(host[i].shape))
        _close32(xp.numpy(t.grad), g64, f"{case.id}: float32 gradient of input {i}")


def _close32(got: np.ndarray, expected: np.ndarray, msg: str) -> None:
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    np.testing.assert_allclose(got, expected, rtol=F32_RTOL, atol=F32_ATOL * scale, err_msg=msg)
