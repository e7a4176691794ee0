"""torch's op names against torch itself, on every backend.

1. Every differentiable op of tests/_parity_cases.py through ``check_case``: forward,
   float64 gradients (finite differences and torch autograd), dtype and device kept.
2. Ops with boolean or integer results (comparisons, logic, ``//``, ``%`` on ints,
   dtype rules of ``sqrt``/``floor``/``cumsum``/``prod`` on ints): values, dtypes and
   shapes equal to torch's, each written once as ``f(lib, *tensors)``.
3. Bad arguments raise the exception type torch raises.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import xpnet as xn
from _gradcheck import check_case
from _parity_cases import CASES

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_op_matches_torch(xp, case):
    check_case(xp, case)


F32 = np.array([[1.5, -2.0, 0.0], [np.nan, np.inf, -0.5]], dtype=np.float32)
G32 = np.array([[1.5, 2.0, -0.0], [np.nan, -np.inf, -0.5]], dtype=np.float32)
I64 = np.array([[7, -7, 0], [5, -3, 2]], dtype=np.int64)
J64 = np.array([[2, 2, 3], [-2, 2, -4]], dtype=np.int64)
I32 = np.array([1, 2, 3, 4], dtype=np.int32)
B = np.array([[True, False, True], [False, False, True]])
C = np.array([[True, True, False], [False, True, True]])

# (id, f(lib, *tensors), inputs): f(xn, ...) must equal f(torch, ...) in value, dtype, shape
VALUES: list[tuple[str, Any, tuple[np.ndarray, ...]]] = [
    ("eq", lambda lib, a, b: lib.eq(a, b), (F32, G32)),
    ("ne method", lambda lib, a, b: a.ne(b), (F32, G32)),
    ("lt number", lambda lib, a: lib.lt(a, 0.5), (F32,)),
    ("le", lambda lib, a, b: lib.le(a, b), (I64, J64)),
    ("gt method", lambda lib, a, b: a.gt(b), (I64, J64)),
    ("ge broadcast", lambda lib, a, b: lib.ge(a, b[0]), (I64, J64)),
    ("greater", lambda lib, a, b: lib.greater(a, b), (F32, G32)),
    ("greater_equal", lambda lib, a, b: lib.greater_equal(a, b), (F32, G32)),
    ("less", lambda lib, a, b: lib.less(a, b), (F32, G32)),
    ("less_equal method", lambda lib, a, b: a.less_equal(b), (F32, G32)),
    ("not_equal", lambda lib, a, b: lib.not_equal(a, b), (I64, J64)),
    ("isnan", lambda lib, a: lib.isnan(a), (F32,)),
    ("isinf method", lambda lib, a: a.isinf(), (F32,)),
    ("isfinite", lambda lib, a: lib.isfinite(a), (F32,)),
    ("isclose", lambda lib, a, b: lib.isclose(a, b), (F32, G32)),
    ("isclose equal_nan", lambda lib, a, b: lib.isclose(a, b, equal_nan=True), (F32, G32)),
    ("isclose atol", lambda lib, a, b: a.isclose(b, atol=5.0), (F32, G32)),
    ("logical_and", lambda lib, a, b: lib.logical_and(a, b), (B, C)),
    ("logical_or ints", lambda lib, a, b: lib.logical_or(a, b), (I64, J64)),
    ("logical_xor method", lambda lib, a, b: a.logical_xor(b), (B, C)),
    ("logical_not", lambda lib, a: lib.logical_not(a), (I64,)),
    ("& bool", lambda lib, a, b: a & b, (B, C)),
    ("| bool", lambda lib, a, b: a | b, (B, C)),
    ("^ bool", lambda lib, a, b: a ^ b, (B, C)),
    ("~ bool", lambda lib, a: ~a, (B,)),
    ("& int bitwise", lambda lib, a, b: a & b, (I64, J64)),
    ("| int bitwise", lambda lib, a, b: lib.bitwise_or(a, b), (I64, J64)),
    ("~ int bitwise", lambda lib, a: ~a, (I64,)),
    ("mask of comparisons", lambda lib, a: (a > 0) & (a < 6), (I64,)),
    ("any", lambda lib, a: lib.any(a), (B,)),
    ("any dim", lambda lib, a: a.any(dim=1), (I64,)),
    ("all", lambda lib, a: lib.all(a), (B,)),
    ("all dim keepdim", lambda lib, a: a.all(0, keepdim=True), (C,)),
    ("floor_divide ints", lambda lib, a, b: lib.floor_divide(a, b), (I64, J64)),
    ("// ints", lambda lib, a, b: a // b, (I64, J64)),
    ("// int scalar", lambda lib, a: a // 3, (I64,)),
    ("// floats", lambda lib, a: a // 0.75, (G32[:1],)),
    ("% ints", lambda lib, a, b: a % b, (I64, J64)),
    ("% int scalar", lambda lib, a: a % 3, (I64,)),
    ("% negative divisor", lambda lib, a: a % -3, (I64,)),
    ("remainder ints", lambda lib, a, b: lib.remainder(a, b), (I64, J64)),
    ("maximum ints", lambda lib, a, b: lib.maximum(a, b), (I64, J64)),
    ("minimum nan", lambda lib, a, b: lib.minimum(a, b), (F32, G32)),
    ("norm p=0 counts nonzeros", lambda lib, a: a.norm(p=0, dim=1), (G32,)),
    ("sin of int is float32", lambda lib, a: lib.sin(a), (I64,)),
    ("exp2-like rsqrt int", lambda lib, a: lib.rsqrt(a), (I32,)),
    ("floor of int keeps int", lambda lib, a: lib.floor(a), (I64,)),
    ("round of int keeps int", lambda lib, a: a.round(), (I32,)),
    ("sign of int", lambda lib, a: lib.sign(a), (I64,)),
    ("sign of bool", lambda lib, a: lib.sign(a), (B,)),
    ("abs of int", lambda lib, a: lib.abs(a), (I64,)),
    ("square of int", lambda lib, a: lib.square(a), (I64,)),
    ("cumsum int32 gives int64", lambda lib, a: lib.cumsum(a, 0), (I32,)),
    ("cumsum bool", lambda lib, a: a.cumsum(1), (B,)),
    ("prod int32 gives int64", lambda lib, a: lib.prod(a), (I32,)),
    ("prod int dim", lambda lib, a: a.prod(1), (I64,)),
    ("clamp ints", lambda lib, a: lib.clamp(a, -2, 3), (I64,)),
    ("where bool", lambda lib, c, a, b: lib.where(c, a, b), (B, I64, J64)),
    ("cat ints", lambda lib, a, b: lib.cat([a, b], dim=1), (I64, J64)),
    ("cat int64 and float32 is float32", lambda lib, a, b: lib.cat([a, b[0]]), (I64[0], F32)),
    ("cat bool and int32 is int32", lambda lib, a, b: lib.cat([a[0], b]), (B, I32)),
    ("stack float32 and float64", lambda lib, a, b: lib.stack([a, b]), (F32, F32.astype(np.float64))),
    ("stack bools", lambda lib, a, b: lib.stack([a, b], 1), (B, C)),
    ("split sizes shapes", lambda lib, a: a.split([1, 2], dim=1)[1], (I64,)),
    ("chunk more than size", lambda lib, a: lib.stack(lib.chunk(a, 5, 0)), (I64,)),
    ("unbind shapes", lambda lib, a: lib.unbind(a)[1], (I64,)),
    ("narrow ints", lambda lib, a: a.narrow(1, 1, 2), (I64,)),
    ("repeat bools", lambda lib, a: a.repeat(2, 1, 2), (B,)),
    ("flip ints", lambda lib, a: lib.flip(a, (0, 1)), (I64,)),
    ("sort indices", lambda lib, a: lib.sort(a, dim=1).indices, (I64 * 10 + J64,)),
    ("sort descending values ints", lambda lib, a: a.sort(0, descending=True).values, (I64,)),
    ("argsort", lambda lib, a: lib.argsort(a[0], descending=True), (I64,)),
    ("argsort method", lambda lib, a: a.argsort(dim=0), (F32[:1].T,)),
    ("topk indices", lambda lib, a: lib.topk(a, 2, dim=1).indices, (I64,)),
    ("topk values ints", lambda lib, a: a.topk(1, largest=False)[0], (I64,)),
    ("div floor ints", lambda lib, a, b: lib.div(a, b, rounding_mode="floor"), (I64, J64)),
    ("div trunc ints", lambda lib, a, b: a.div(b, rounding_mode="trunc"), (I64, J64)),
    ("div trunc int scalar", lambda lib, a: lib.div(a, -4, rounding_mode="trunc"), (I64,)),
    ("add alpha ints", lambda lib, a, b: lib.add(a, b, alpha=3), (I64, J64)),
    ("masked_fill ints", lambda lib, a, m: a.masked_fill(m, 7), (I64, B)),
    ("norm float32 dtype", lambda lib, a: lib.norm(a[:1]), (G32,)),
    ("std float32", lambda lib, a: a[:1].std(), (G32,)),
]


def _run(xp: Any, lib: Any, f: Any, inputs: tuple[np.ndarray, ...]) -> Any:
    if lib is torch:
        return f(torch, *[torch.from_numpy(a.copy()) for a in inputs])
    return f(xn, *[xp.tensor(a, a.dtype.name) for a in inputs])


@pytest.mark.parametrize("f, inputs", [(f, i) for _, f, i in VALUES], ids=[v[0] for v in VALUES])
def test_values_and_dtypes_match_torch(xp, f, inputs):
    expected = _run(xp, torch, f, inputs)
    got = _run(xp, xn, f, inputs)
    assert isinstance(got, xn.Tensor) and xp.same_place(got)
    assert got.dtype.name == str(expected.dtype).removeprefix("torch."), (got.dtype, expected.dtype)
    assert got.shape == tuple(expected.shape)
    np.testing.assert_array_equal(xp.numpy(got), expected.numpy())


def test_sort_and_topk_return_named_tuples(xp):
    x = xp.tensor([[3.0, 1.0, 2.0]])
    values, indices = xn.sort(x, descending=True)
    result = x.topk(2)
    assert result.values.tolist() == [[3.0, 2.0]] and result.indices.tolist() == [[0, 2]]
    assert values.tolist() == [[3.0, 2.0, 1.0]] and indices.tolist() == [[0, 2, 1]]
    assert xp.same_place(values) and xp.same_place(indices) and indices.dtype == xn.int64
    assert xn.is_tensor(x) and not xn.is_tensor(xp.array([1.0])) and xn.numel(x) == 3


def test_python_bool_results(xp):
    a, b, c = xp.tensor([1.0, 2.0]), xp.tensor([1.0, 2.00001]), xp.tensor([1.0, 2.001])
    ta, tb, tc = torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.00001]), torch.tensor([1.0, 2.001])
    assert xn.allclose(a, b) is torch.allclose(ta, tb) is True
    assert a.allclose(c) is torch.allclose(ta, tc) is False
    assert a.allclose(c, atol=0.01) is torch.allclose(ta, tc, atol=0.01) is True
    assert xn.equal(a, a) is torch.equal(ta, ta) is True
    assert a.equal(b) is torch.equal(ta, tb) is False
    assert xn.equal(a, xp.tensor([1.0])) is torch.equal(ta, torch.tensor([1.0])) is False


def _raises_as_torch(xp: Any, f: Any, inputs: tuple[np.ndarray, ...]) -> None:
    with pytest.raises(Exception) as torch_error:
        _run(xp, torch, f, inputs)
    kind = torch_error.type
    with pytest.raises(kind):
        _run(xp, xn, f, inputs)


X = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
ERRORS: list[tuple[str, Any, tuple[np.ndarray, ...]]] = [
    ("t of 3-D", lambda lib, x: x.t(), (X,)),
    ("mm of 3-D", lambda lib, x: lib.mm(x, x), (X,)),
    ("mm shapes", lambda lib, x: lib.mm(x[0], x[0]), (X,)),
    ("dot of 2-D", lambda lib, x: lib.dot(x[0], x[0]), (X,)),
    ("dot sizes", lambda lib, x: lib.dot(x[0, 0], x[0, 0, :2]), (X,)),
    ("mv of 1-D", lambda lib, x: lib.mv(x[0, 0], x[0, 0]), (X,)),
    ("bmm of 2-D", lambda lib, x: lib.bmm(x[0], x[0]), (X,)),
    ("squeeze dim out of range", lambda lib, x: x.squeeze(3), (X,)),
    ("unsqueeze dim out of range", lambda lib, x: x.unsqueeze(4), (X,)),
    ("transpose dim out of range", lambda lib, x: x.transpose(0, 3), (X,)),
    ("flatten start after end", lambda lib, x: x.flatten(2, 1), (X,)),
    ("cat shapes", lambda lib, x: lib.cat([x, x[:, :2]], dim=2), (X,)),
    ("cat of a tensor", lambda lib, x: lib.cat(x), (X,)),
    ("cat of nothing", lambda lib, x: lib.cat([]), (X,)),
    ("cat 0-d", lambda lib, x: lib.cat([x[0, 0, 0], x[0, 0, 1]]), (X,)),
    ("stack shapes", lambda lib, x: lib.stack([x[0], x[1, :2]]), (X,)),
    ("split sizes sum", lambda lib, x: x.split([1, 1], dim=1), (X,)),
    ("chunk zero", lambda lib, x: x.chunk(0), (X,)),
    ("expand wrong size", lambda lib, x: x.expand(3, 3, 4), (X,)),
    ("expand fewer sizes", lambda lib, x: x.expand(3, 4), (X,)),
    ("repeat fewer sizes", lambda lib, x: x.repeat(2, 2), (X,)),
    ("narrow past the end", lambda lib, x: x.narrow(2, 3, 2), (X,)),
    ("movedim lengths", lambda lib, x: x.movedim((0, 1), 2), (X,)),
    ("std of ints", lambda lib, x: lib.std(x), (I64,)),
    ("var of ints", lambda lib, x: x.var(), (I64,)),
    ("norm of ints", lambda lib, x: x.norm(), (I64,)),
    ("topk k too large", lambda lib, x: x.topk(5), (X,)),
    ("div bad rounding_mode", lambda lib, x: lib.div(x, 2, rounding_mode="round"), (X,)),
    ("clamp without bounds", lambda lib, x: lib.clamp(x), (X,)),
    ("~ of floats", lambda lib, x: ~x, (X,)),
    ("floor_divide backward", lambda lib, x: (lib.floor_divide(x, 2.0)).sum().backward(),
     (np.array([1.0, 2.0]),)),
]


@pytest.mark.parametrize("f, inputs", [(f, i) for _, f, i in ERRORS], ids=[e[0] for e in ERRORS])
def test_errors_match_torch(xp, f, inputs):
    if "backward" in repr(f.__code__.co_consts):  # inputs that require grad
        def g(lib, x):
            return f(lib, x.requires_grad_())
        _raises_as_torch(xp, g, inputs)
    else:
        _raises_as_torch(xp, f, inputs)
