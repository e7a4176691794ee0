"""torch's dtype rule on every backend: each pair of dtypes, each operator, against torch itself.

NumPy widens ``int64 + 2.5`` to float64, array-api-strict refuses mixed kinds, torch
gives float32: xpnet gives torch's answer everywhere (values too) and a float input's
gradient keeps its dtype. Also: the default dtype, and the cost-free fast path.
"""

from __future__ import annotations

import operator

import numpy as np
import pytest

import xpnet as xn

torch = pytest.importorskip("torch")

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
OPS = [operator.add, operator.mul, operator.truediv, operator.lt, operator.eq]
SHAPES = [((2,), (2,)), ((2,), ()), ((), (2,)), ((), ())]


def _values(dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    base = np.array([1, 2], dtype=np.float64)[: 2 if shape else 1]
    values = (base > 0) if dtype == "bool" else base
    return np.asarray(values, dtype=dtype).reshape(shape)


def _pair(xp, a_dtype, b_dtype, a_shape, b_shape):
    ha, hb = _values(a_dtype, a_shape), _values(b_dtype, b_shape)
    return (xn.Tensor(xp.array(ha, a_dtype)), xn.Tensor(xp.array(hb, b_dtype)),
            torch.from_numpy(ha.copy()), torch.from_numpy(hb.copy()))


def _has(xp, name):
    return hasattr(xp.ns, name)


def _check(got, want, where):
    assert got.dtype.name == str(want.dtype).replace("torch.", ""), f"{where}: {got.dtype} vs {want.dtype}"
    np.testing.assert_allclose(got.numpy().astype(np.float64), want.numpy().astype(np.float64),
                               rtol=1e-3, err_msg=where)


@pytest.mark.parametrize("a_dtype", DTYPES)
@pytest.mark.parametrize("b_dtype", DTYPES)
def test_tensor_pairs_follow_torch(xp, a_dtype, b_dtype):
    if not (_has(xp, a_dtype) and _has(xp, b_dtype)):
        with pytest.raises(TypeError):
            xn.zeros(1, dtype="float16" if not _has(xp, "float16") else a_dtype, device=xp.device)
        return
    for op in OPS:
        for a_shape, b_shape in SHAPES:
            xa, xb, ta, tb = _pair(xp, a_dtype, b_dtype, a_shape, b_shape)
            where = f"{a_dtype}{a_shape} {op.__name__} {b_dtype}{b_shape}"
            try:
                want = op(ta, tb)
            except RuntimeError:  # torch refuses (none of these pairs today): so must we
                with pytest.raises((RuntimeError, TypeError)):
                    op(xa, xb)
                continue
            got = op(xa, xb)
            assert xp.same_place(got), where
            _check(got, want, where)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("scalar", [True, 3, 2.5], ids=["True", "3", "2.5"])
def test_python_numbers_follow_torch(xp, dtype, scalar):
    if not _has(xp, dtype):
        return
    for op in OPS:
        for shape in ((2,), ()):
            host = _values(dtype, shape)
            x, t = xn.Tensor(xp.array(host, dtype)), torch.from_numpy(host.copy())
            for got, want, side in ((op(x, scalar), op(t, scalar), "left"),
                                    (op(scalar, x), op(scalar, t), "right")):
                where = f"{dtype}{shape} {op.__name__} {scalar!r} ({side})"
                assert xp.same_place(got), where
                _check(got, want, where)


@pytest.mark.parametrize(("a_dtype", "b_dtype"), [("float32", "float64"), ("float32", "int64"),
                                                  ("float64", "float32"), ("float32", "bool")])
def test_a_float_input_keeps_its_gradient_dtype(xp, a_dtype, b_dtype):
    ha, hb = _values("float32", (2,)).astype(a_dtype), _values(b_dtype, (2,))
    xa = xn.Tensor(xp.array(ha, a_dtype), requires_grad=True)
    ta = torch.tensor(ha, requires_grad=True)
    xb = xn.Tensor(xp.array(hb, b_dtype), requires_grad=b_dtype.startswith("float"))
    tb = torch.tensor(hb, requires_grad=b_dtype.startswith("float"))
    (xa * xb / (xb + 1)).sum().backward()
    (ta * tb / (tb + 1)).sum().backward()
    for got, want in ((xa, ta), (xb, tb)):
        if want.grad is None:
            assert got.grad is None
            continue
        assert got.grad.dtype == str(want.grad.dtype).replace("torch.", "") and xp.same_place(got.grad)
        np.testing.assert_allclose(got.grad.numpy(), want.grad.numpy(), rtol=1e-5)


def test_default_dtype_is_float32_and_settable(xp):
    assert xn.get_default_dtype() == xn.float32 == torch.get_default_dtype()
    ints = xn.Tensor(xp.array([1, 2], "int64"))
    try:
        xn.set_default_dtype(xn.float64)
        torch.set_default_dtype(torch.float64)
        t_ints = torch.tensor([1, 2])
        for got, want in ((ints * 0.5, t_ints * 0.5), (ints / ints, t_ints / t_ints),
                          (xn.tensor([1.5], device=xp.device), torch.tensor([1.5])),
                          (xn.ones(2, device=xp.device), torch.ones(2)),
                          (xn.arange(0.0, 1.0, 0.5, device=xp.device), torch.arange(0.0, 1.0, 0.5))):
            _check(got, want, "default float64")
            assert xp.same_place(got)
    finally:
        xn.set_default_dtype(xn.float32)
        torch.set_default_dtype(torch.float32)
    with pytest.raises(TypeError, match="floating-point"):
        xn.set_default_dtype("int32")
    with pytest.raises(TypeError):
        torch.set_default_dtype(torch.int32)
    assert (ints * 0.5).dtype == xn.float32


def test_same_dtype_operands_take_the_identity_path(xp, monkeypatch):
    """float32 op float32 and float32 op a Python number never reach the promotion code."""
    from xpnet.functional import _promote

    a = xn.Tensor(xp.array([1.0, 2.0]))
    _ = a * 2.0  # notes float32 as the dtype seen (array-api-strict: its dtype objects vary)
    calls = []
    for name in ("promote", "with_scalar", "floating"):
        original = getattr(_promote, name)
        monkeypatch.setattr(_promote, name, lambda *args, _o=original, _n=name: calls.append(_n) or _o(*args))
    b = xn.Tensor(xp.array([3.0, 4.0]))
    out = (a + b) * 2.5 - a / b + 1
    assert out.dtype == xn.float32
    if xp.name in ("numpy", "torch"):  # dtype objects are singletons there
        assert calls == []
    c = xn.Tensor(xp.array([1, 2], "int64"))
    assert (c * 2.5).dtype == xn.float32 and "with_scalar" in calls
