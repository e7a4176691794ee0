"""Tensor names of torch, run through torch and through xpnet on every backend, compared.

Each case is one piece of code written once against a module ``m`` (``torch`` or
``xpnet``, as ``sed s/torch/xpnet/g`` would leave it) and a maker of input tensors.
The harness runs it with torch and with xpnet on the backend under test and
compares everything it returns (values, dtypes, shapes, named-tuple fields, Python
numbers, strings with ``torch`` read as ``xpnet``), then the gradients of the inputs,
or the type of the error raised.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

import xpnet as xn

torch = pytest.importorskip("torch")


@dataclass
class Case:
    name: str
    fn: Callable[..., Any]  # fn(m, *inputs) -> anything comparable
    inputs: list[tuple[Any, ...]] = field(default_factory=list)  # (values, dtype, requires_grad)
    raises: bool = False  # both must raise, xpnet an instance of torch's error type
    match: str | None = None  # and xpnet's message must contain this
    needs: str | None = None  # a dtype the backend must have (array-api-strict has no float16)
    moves: bool = False  # results may leave the backend's device (``.to("cpu")``)


CASES: list[Case] = []


def case(name: str, fn: Callable[..., Any], *inputs: tuple[Any, ...], **kw: Any) -> None:
    CASES.append(Case(name, fn, list(inputs), **kw))


X = ([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]], "float32", True)
TIES = ([[1.0, 3.0, 3.0], [2.0, 2.0, -1.0]], "float32", True)
I64 = ([[1, 2], [3, 4]], "int64", False)
I32 = ([1, 2, 3], "int32", False)
B = ([True, False, True], "bool", False)
V = ([0.5, -1.5, 2.0], "float32", True)
V64 = ([0.25, 2.0, -1.0], "float64", True)
S64 = (1.5, "float64", True)

# -- 1. max / min return (values, indices) along a dim -------------------------------------
case("x.max(dim)", lambda m, x: x.max(1), X)
case("x.min(dim)", lambda m, x: x.min(0), X)
case("m.max(x, 1)", lambda m, x: m.max(x, 1), X)
case("m.min(x, dim=-1, keepdim=True)", lambda m, x: m.min(x, dim=-1, keepdim=True), X)
case("x.max(dim=1, keepdim=True)", lambda m, x: x.max(dim=1, keepdim=True), X)
case("v, i = x.max(1)", lambda m, x: (lambda v, i: (v * 2, i))(*x.max(1)), X)
case("x.max(1).values / .indices", lambda m, x: (x.max(1).values, x.max(1).indices), X)
case("x.max(np.int64(1)): a NumPy int is a dim", lambda m, x: x.max(np.int64(1)), X)
case("m.min(x, np.int32(0))", lambda m, x: m.min(x, np.int32(0)), X)
case("x.permute(np.int64(1), 0)", lambda m, x: x.permute(np.int64(1), 0), X)
case("m.cumsum(x, np.int64(1))", lambda m, x: m.cumsum(x, np.int64(1)), X)
case("x.max() scalar", lambda m, x: x.max(), X)
case("x.min() ties share", lambda m, x: x.min(), TIES)
case("x.max(1) ties: first index", lambda m, x: x.max(1), TIES)
case("m.max(a, b) elementwise", lambda m, a, b: m.max(a, b), V, ([1.0, -2.0, 0.0], "float32", True))
case("max dim out of range", lambda m, x: x.max(2), X, raises=True)
case("int max(dim)", lambda m, x: x.max(1), I64)
case("0-d max(0)", lambda m, x: x.max(0), (2.5, "float32", True))
# -- argmax / argmin, sum / mean, softmax: dim= and keepdim= ---------------------------------
case("x.argmax()", lambda m, x: x.argmax(), X)
case("x.argmax(1)", lambda m, x: x.argmax(1), X)
case("x.argmin(dim=0, keepdim=True)", lambda m, x: x.argmin(dim=0, keepdim=True), X)
case("m.argmax(x, dim=1)", lambda m, x: m.argmax(x, dim=1), X)
case("m.argmin(x, 1)", lambda m, x: m.argmin(x, 1), X)
case("x.sum(dim=1, keepdim=True)", lambda m, x: x.sum(dim=1, keepdim=True), X)
case("m.sum(x, dim=(0, 1))", lambda m, x: m.sum(x, dim=(0, 1)), X)
case("m.sum(x, 0)", lambda m, x: m.sum(x, 0), X)
case("x.mean(dim=0)", lambda m, x: x.mean(dim=0), X)
case("m.mean(x, dim=1, keepdim=True)", lambda m, x: m.mean(x, dim=1, keepdim=True), X)
case("x.sum(dtype=m.float64)", lambda m, x: x.sum(dtype=m.float64), X)
case("int64 sum", lambda m, x: x.sum(), I64)
case("int32 sum -> int64", lambda m, x: (x.sum(), x.sum(0)), I32)
case("bool sum -> int64", lambda m, x: x.sum(), B)
case("m.softmax(x, dim=1)", lambda m, x: m.softmax(x, dim=1), X)
case("x.softmax(dim=0)", lambda m, x: x.softmax(dim=0), X)
case("x.log_softmax(dim=-1)", lambda m, x: x.log_softmax(dim=-1), X)
case("m.log_softmax(x, 0)", lambda m, x: m.log_softmax(x, 0), X)
# -- 2. one dtype rule: torch's ----------------------------------------------------------------
case("int64 * 2.5", lambda m, x: x * 2.5, I64)
case("2.5 - int64", lambda m, x: 2.5 - x, I64)
case("int64 / int64", lambda m, x: x / x, I64)
case("int64 / 2", lambda m, x: x / 2, I64)
case("3 / int32", lambda m, x: 3 / x, I32)
case("int32 + 3 stays int32", lambda m, x: x + 3, I32)
case("int32 * 2 stays int32", lambda m, x: 2 * x, I32)
case("float32 * 2.5 stays float32", lambda m, x: x * 2.5, V)
case("float32 + int64 -> float32", lambda m, a, b: a + b, V, ([1, 2, 3], "int64", False))
case("int64 - float32 -> float32", lambda m, a, b: a - b, ([1, 2, 3], "int64", False), V)
case("float32 * float64 -> float64", lambda m, a, b: a * b, V, V64)
case("float32 (3,) + float64 () -> float32", lambda m, a, b: a + b, V, S64)
case("int64 (2,2) * float64 () -> float64", lambda m, a, b: a * b, I64, S64)
case("int32 + int64 -> int64", lambda m, a, b: a + b, I32, ([1, 1, 1], "int64", False))
case("int32 (3,) + int64 () -> int32", lambda m, a, b: a + b, I32, (7, "int64", False))
case("uint8 + int8 -> int16", lambda m, a, b: a + b, ([1, 200], "uint8", False), ([-1, 3], "int8", False))
case("bool + 1 -> int64", lambda m, x: x + 1, B)
case("bool + 1.5 -> float32", lambda m, x: x + 1.5, B)
case("bool + int32 -> int32", lambda m, a, b: a + b, B, I32)
case("bool * float32 -> float32", lambda m, a, b: a * b, B, V)
case("int64 < 2.5", lambda m, x: x < 2.5, I64)
case("int32 == float32", lambda m, a, b: a == b, I32, ([1.0, 2.5, 3.0], "float32", False))
case("float32 / float64 grad dtypes", lambda m, a, b: a / b, V, V64)
case("int64 ** 2", lambda m, x: x**2, I64)
case("float32 ** 2.0", lambda m, x: x**2.0, V)
case("float32 > int64", lambda m, a, b: a > b, V, ([0, 0, 3], "int64", False))


def _with_default_float64(m: Any, x: Any) -> Any:
    m.set_default_dtype(m.float64)
    try:
        return (m.get_default_dtype(), m.tensor([1.5]), x * 2.5, x / 2, m.zeros(2), m.rand(2).dtype,
                m.arange(0.0, 1.0, 0.5))
    finally:
        m.set_default_dtype(m.float32)


case("set_default_dtype(float64)", _with_default_float64, I64)
case("get_default_dtype()", lambda m: m.get_default_dtype())
case("set_default_dtype(int64) refuses", lambda m: m.set_default_dtype(m.int64), raises=True)


# -- 3. .data and .grad are Tensors sharing memory ---------------------------------------------
def _raw_loop(m: Any, w: Any, x: Any) -> Any:
    """The seed tutorial's loop: ``w.data -= lr * w.grad.data``, then ``w.grad.data.zero_()``."""
    seen = []
    for _ in range(3):
        loss = ((x * w).sum() - 1.0) ** 2
        loss.backward()
        seen.append((loss.item(), w.grad.clone()))
        w.data -= 0.1 * w.grad.data
        w.grad.data.zero_()
    return w, w.grad, w.grad.sum(), seen


def _sub_(m: Any, p: Any) -> Any:
    (p * p).sum().backward()
    p.data.sub_(0.5 * p.grad)
    grad = p.grad
    p.grad.zero_()
    return p, grad, p.grad is grad, p.is_leaf


def _no_grad_update(m: Any, w: Any) -> Any:
    (w**3).sum().backward()
    with m.no_grad():
        w -= 0.1 * w.grad
        w.grad.zero_()
    return w, w.grad


case("w.data -= lr * w.grad.data", _raw_loop, V, ([1.0, 2.0, -1.0], "float32", False))
case("p.data.sub_(lr * p.grad); p.grad.zero_()", _sub_, V)
case("no_grad: w -= lr * w.grad", _no_grad_update, V)
case("outputs.data.max(1)", lambda m, x: (x * 2).data.max(1), X)
case("x.data.numpy() / .tolist()", lambda m, x: (x.data.numpy(), x.detach().tolist(), x.data.tolist()), X)
case("w.data shares memory", lambda m, w: (w.data.add_(1.0), w, w.data.requires_grad, w.data.is_leaf), V)
case("np.asarray(t)", lambda m, x: np.asarray(x.detach()), X)
case("t.grad is a Tensor",
     lambda m, w: ((w * 3).sum().backward(), w.grad, w.grad.data, type(w.grad) is type(w))[1:], V)


# -- 4. printing -------------------------------------------------------------------------------
def _printed(m: Any, x: Any, s: Any) -> Any:
    loss = (s * 0.1234).sum()
    return [str(x), repr(x), repr(x * 2), f"{loss}", f"{loss:.4f}", f"{loss:8.2e}", str(loss),
            repr(loss.detach()), repr(x.detach().long()), repr(x.detach().double()),
            repr(x.detach() > 2), str(x.detach() * 1000), str(x.detach() / 1e5), repr(x.shape),
            str(x.detach()[:0]), repr(m.zeros(2, 0)), str(m.tensor([[1.5, 2.25], [3.0, 4.0]]))]


case("str / repr / format", _printed, X, (1.0, "float32", True))
case("format spec on a vector", lambda m, x: f"{x:.2f}", X, raises=True)

# -- 6. conversions ----------------------------------------------------------------------------
case(".float() .double() .long() .int() .bool()",
     lambda m, x: (x.double(), x.double().float(), x.long(), x.int(), x.bool(), (x * 0).bool()), X)
case(".half()", lambda m, x: x.half(), X, needs="float16")
case(".type(dtype) / .type()", lambda m, x: (x.type(m.float64), x.type(), x.long().type(),
                                             x.type(m.float32) is x, x.bool().type()), X)
case(".clone() is differentiable", lambda m, x: (x.clone() * 3, x.clone().is_leaf), X)
case(".is_floating_point()", lambda m, x, i: (x.is_floating_point(), i.is_floating_point()), X, I64)
case(".to(dtype) / .to(other) / .to(device, dtype)",
     lambda m, x, i: (x.to(m.float64), i.to(x), x.to("cpu", m.float64).detach(), x.to(dtype=m.int64),
                      x.to(x) is x, x.to(m.float64).dtype), X, I64, moves=True)
case("dtype= aliases", lambda m: [m.zeros(2, dtype=d) for d in (m.float, m.long, m.int, m.bool, m.double)]
     + [m.float == m.float32, m.long == m.int64, m.int == m.int32, m.double == m.float64,
        m.half == m.float16, m.bool is not None])
case("float16 zeros", lambda m: m.zeros(2, dtype=m.half), needs="float16")
case("int tensor .long() has no grad", lambda m, x: (x.long().requires_grad, x.double().requires_grad), X)
# -- 7. Size -----------------------------------------------------------------------------------
case("x.size() / .shape / dim / numel / ndim",
     lambda m, x: (x.size(), x.shape, isinstance(x.size(), tuple), x.size().numel(), x.size(1),
                   x.size(-1), x.dim(), x.numel(), x.ndim, x.shape[1:], list(x.shape), len(x),
                   x.shape == (2, 3), x.nelement()), X)


# -- 8. in-place methods -----------------------------------------------------------------------
def _in_place_chain(m: Any, a: Any, o: Any) -> Any:
    b = a * 2
    b += 1
    b *= o
    b -= 0.5
    b /= 2.0
    c = (a + 0).add_(o, alpha=2).sub_(1.0, alpha=3).mul_(o).div_(2.0)
    return b, c, b.is_leaf, b.requires_grad


case("b = a * 2; b += 1 records", lambda m, a: (lambda b: (b.__iadd__(1), b.is_leaf))(a * 2), V)
case("in-place chain on non-leaves", _in_place_chain, V, ([2.0, 0.5, -1.0], "float32", True))
case("zero_ / fill_ on a non-leaf", lambda m, a: ((a * 2).zero_() + a, (a * 3).fill_(2.5) * a), V)
case("fill_ with a 0-d tensor", lambda m, a, s: (a * 1).fill_(s), V, (2.0, "float32", True))
case("copy_ from a tensor", lambda m, a, s: (a * 1).copy_(s * 2), V, ([1.0, 2.0, 3.0], "float32", True))
case("copy_ broadcasts and casts", lambda m, a, s: (a * 1).copy_(s), V, ([4.0], "float64", True))
case("clamp_", lambda m, a: (a * 2).clamp_(-1.0, 2.0), V)
case("clamp_ min only", lambda m, a: (a * 2).clamp_(min=0.0), V)
case("+= another tensor that requires grad",
     lambda m, a, o: (lambda b: (b.__iadd__(o), b.grad_fn is not None))(m.zeros(3)), V, V)
case("in-place on a leaf that requires grad", lambda m, a: a.add_(1.0), V, raises=True,
     match="a leaf Variable that requires grad is being used in an in-place operation.")
case("+= on a leaf that requires grad", lambda m, a: a.__iadd__(1.0), V, raises=True,
     match="a leaf Variable that requires grad is being used in an in-place operation.")
case("zero_ on a leaf that requires grad", lambda m, a: a.zero_(), V, raises=True)
case("int64 += 2.5 refuses", lambda m, x: x.__iadd__(2.5), I64, raises=True)
case("int64 /= 2 refuses", lambda m, x: x.div_(2), I64, raises=True)
case("int64 += float tensor refuses", lambda m, x, f: x.add_(f), I32, ([1.0, 1.0, 1.0], "float32", False),
     raises=True)
case("float32 += float64 stays float32", lambda m, a, b: (a * 1).add_(b), V, V64)
case("float32 += int64 tensor", lambda m, a, b: (a * 1).add_(b), V, ([1, 2, 3], "int64", False))
case("int32 *= 3", lambda m, x: x.mul_(3), I32)


def _leaf_update(m: Any, a: Any) -> Any:
    with m.no_grad():
        a.add_(1.0).mul_(2.0)
        a[0] = 9.0
    return a, a.is_leaf, a.requires_grad


case("in place and x[i] = v on a leaf under no_grad", _leaf_update, V)
case("in-place after exp is caught", lambda m, a: (lambda b: (b.add_(1), b.sum().backward()))(a.exp()), V,
     raises=True)
case("in-place after sigmoid is caught",
     lambda m, a: (lambda b: (b.mul_(2), b.sum().backward()))(a.sigmoid()), V, raises=True)
case("in-place on max(dim) values is fine", lambda m, x: (lambda v: (v.add_(1), v * 2))(x.max(1).values), X)
case("in-place after mul is fine", lambda m, a, w: (lambda b: (b.add_(1), b))(a * w), V, V)
case("a saved input changed in place is caught",
     lambda m, a, w: (lambda b: (lambda c: (b.mul_(2), c.sum().backward()))(b * w))(a + 0), V, V, raises=True)


# -- 9. item assignment ------------------------------------------------------------------------
def _setitem(m: Any, a: Any, v: Any) -> Any:
    b = a * 2
    b[0] = 5.0
    c = a.unsqueeze(0).repeat(2, 1) * 1 if hasattr(a, "unsqueeze") else None
    d = a * 1
    d[1:] = v[:2] * 3
    e = a * 1
    e[e > 0] = 0.0
    f = m.zeros(2, 3)
    f[1] = a
    f[0, 2] = v[2]
    return b, d, e, f, c is None or c.shape == (2, 3)


case("x[i] = v recorded on non-leaves", _setitem, V, ([1.0, 2.0, 3.0], "float32", True))
case("x[i] = v on a leaf that requires grad", lambda m, a: a.__setitem__(0, 1.0), V, raises=True)
case("int64 x[i] = 2.7 truncates", lambda m, x: (x.__setitem__((0, 1), 2.7), x)[1], I64)


# -- the harness -------------------------------------------------------------------------------
def _torch_make(values: Any, dtype: str, requires_grad: bool) -> Any:
    return torch.tensor(np.asarray(values, dtype=dtype), requires_grad=requires_grad)


def _xn_maker(xp: Any) -> Callable[..., Any]:
    def make(values: Any, dtype: str, requires_grad: bool) -> Any:
        return xn.Tensor(xp.array(values, dtype), requires_grad=requires_grad)

    return make


def _dtype_name(dtype: Any) -> str:
    return str(dtype).replace("torch.", "").replace("xpnet.", "")


def _norm(obj: Any) -> Any:
    """A comparable form of what a case returns."""
    if isinstance(obj, (torch.Tensor, xn.Tensor)):
        host = obj.detach().cpu().numpy() if isinstance(obj, torch.Tensor) else np.asarray(obj.numpy())
        return ("tensor", _dtype_name(obj.dtype), tuple(obj.shape), host, obj.requires_grad)
    if isinstance(obj, (torch.Size, xn.Size)):
        return ("size", tuple(obj))
    if isinstance(obj, tuple) and hasattr(obj, "values") and hasattr(obj, "indices"):  # (values, indices)
        assert obj[0] is obj.values and obj[1] is obj.indices and len(obj) == 2
        return ("named", type(obj).__name__, [_norm(obj.values), _norm(obj.indices)])
    if isinstance(obj, (list, tuple)):
        return [_norm(o) for o in obj]
    if isinstance(obj, np.ndarray):
        return ("ndarray", str(obj.dtype), obj)
    if isinstance(obj, (torch.dtype, xn.DType)):
        return ("dtype", _dtype_name(obj))
    if isinstance(obj, str):
        return obj.replace("torch", "xpnet")
    return obj


def _assert_same(got: Any, want: Any, where: str) -> None:
    if isinstance(want, tuple) and want and want[0] in ("tensor", "ndarray"):
        assert isinstance(got, tuple) and got[0] == want[0], f"{where}: {got!r} vs {want!r}"
        assert got[1:3] == want[1:3] if want[0] == "tensor" else got[1] == want[1], \
            f"{where}: dtype/shape {got[1:3]} vs {want[1:3]}"
        got_v, want_v = (got[3], want[3]) if want[0] == "tensor" else (got[2], want[2])
        np.testing.assert_allclose(np.asarray(got_v, dtype=np.float64), np.asarray(want_v, dtype=np.float64),
                                   rtol=1e-5, atol=1e-6, err_msg=where)
        if want[0] == "tensor":
            assert got[4] == want[4], f"{where}: requires_grad {got[4]} vs {want[4]}"
        return
    if isinstance(want, (list, tuple)):
        assert type(got) is type(want) and len(got) == len(want), f"{where}: {got!r} vs {want!r}"
        for i, (g, w) in enumerate(zip(got, want)):
            _assert_same(g, w, f"{where}[{i}]")
        return
    if isinstance(want, float):
        assert got == pytest.approx(want, rel=1e-5), f"{where}: {got!r} vs {want!r}"
        return
    assert type(got) is type(want) and got == want, f"{where}: {got!r} vs {want!r}"


def _run(c: Case, m: Any, make: Callable[..., Any]) -> tuple[Any, Any, list[Any]]:
    inputs = [make(*spec) for spec in c.inputs]
    try:
        out = c.fn(m, *inputs)
    except Exception as exc:  # compared below with torch's
        return None, exc, inputs
    return out, None, inputs


def _backward(out: Any, inputs: list[Any]) -> list[Any]:
    """Sum every floating output that requires grad (weighted by position), then backward."""
    flat: list[Any] = []

    def collect(o: Any) -> None:
        if isinstance(o, (torch.Tensor, xn.Tensor)):
            if o.requires_grad and o.is_floating_point():
                flat.append(o)
        elif isinstance(o, (list, tuple)):
            for p in o:
                collect(p)

    collect(out)
    if flat:
        total = sum((o.sum() * (k + 1) for k, o in enumerate(flat)), start=flat[0].sum() * 0)
        total.backward()
    return [t.grad if isinstance(t, (torch.Tensor, xn.Tensor)) else None for t in inputs]


@pytest.mark.parametrize("c", CASES, ids=[c.name for c in CASES])
def test_torch_name_behaves_as_torch(xp, c):
    if c.needs and not hasattr(xp.ns, c.needs):
        with pytest.raises(TypeError, match=c.needs):
            xn.zeros(2, dtype=c.needs, device=xp.device)
        return
    torch.manual_seed(0)
    want, want_exc, want_inputs = _run(c, torch, _torch_make)
    xn.manual_seed(0)
    xn.set_default_device(xp.device)  # creation inside the case (m.zeros, m.tensor) lands here
    try:
        got, got_exc, got_inputs = _run(c, xn, _xn_maker(xp))
    finally:
        xn.set_default_device(None)
    if c.raises:
        assert want_exc is not None, f"torch did not raise for {c.name}"
        assert got_exc is not None, f"xpnet did not raise for {c.name} (torch raised {want_exc!r})"
        assert isinstance(got_exc, type(want_exc)), f"xpnet raised {got_exc!r}, torch {want_exc!r}"
        if c.match:
            assert c.match in str(want_exc) and c.match in str(got_exc)
        return
    if want_exc is not None:
        raise want_exc
    if got_exc is not None:
        raise got_exc
    for t in _flat_tensors(got):
        assert c.moves or xp.same_place(t), f"{c.name}: a result left the backend {xp.name}"
    where = xn.Tensor(xp.array([0.0])).device  # a tensor's: 'cuda:0' on a GPU, as torch prints
    if where != "cpu":  # torch's repr names a device other than the CPU: so does xpnet's
        text = repr(xn.zeros(1, device=xp.device))
        assert f", device='{where}'" in text
        got = _drop_device(got, f", device='{where}'")
        if where.type == "cuda":  # .type() names the CUDA class, as torch: torch.cuda.FloatTensor
            got = _drop_device(got, "cuda.")
    _assert_same(_norm(got), _norm(want), c.name)
    _assert_same(_norm(_backward(got, got_inputs)), _norm(_backward(want, want_inputs)), c.name + " grads")


def _drop_device(obj: Any, text: str) -> Any:
    if isinstance(obj, str):
        return obj.replace(text, "")
    if isinstance(obj, list):
        return [_drop_device(o, text) for o in obj]
    if type(obj) is tuple:
        return tuple(_drop_device(o, text) for o in obj)
    return obj


def _flat_tensors(obj: Any) -> list[Any]:
    if isinstance(obj, xn.Tensor):
        return [obj]
    if isinstance(obj, (list, tuple)):
        return [t for o in obj for t in _flat_tensors(o)]
    return []
