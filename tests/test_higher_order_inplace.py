"""create_graph=True beyond single ops: in-place ops, mixed dtypes, custom Functions, hooks.

Each program is written once for torch and xpnet (``L`` is the library); its gradients are
taken three times (``create_graph=True`` for the first two, each next scalar the sum of
the squares of the previous gradients), and every order is compared with torch's in
float64 to 1e-10 (float32 parts to float32's precision), on every backend.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import xpnet as xn

RTOL, ATOL = 1e-10, 1e-12
X = [0.5, 1.5, 2.0]
W = [1.2, -0.7, 0.3]


def _orders(L: Any, program: Callable[..., Any], ins: list[Any], consts: list[Any],
            n: int) -> list[tuple[Any, ...]]:
    """The gradients of ``program`` w.r.t. ``ins``, then of the sum of their squares, ``n`` times."""
    f = program(L, *ins, *consts)
    found = []
    for order in range(n):
        gs = L.autograd.grad(f, ins, create_graph=order < n - 1, allow_unused=True)
        found.append(gs)
        live = [g for g in gs if g is not None and g.requires_grad]
        if not live:
            break
        f = sum((g * g).sum() for g in live)
    return found


def _compare(xp: Any, torch: Any, program: Callable[..., Any], values: list[tuple[Any, str]],
             consts: tuple[tuple[Any, str], ...] = (), n: int = 3, rtol: float = RTOL) -> None:
    """``program``'s derivatives to order ``n`` on ``xp`` against torch's (values, dtypes, places)."""
    ours = _orders(xn, program, [xp.tensor(v, d, requires_grad=True) for v, d in values],
                   [xp.tensor(v, d) for v, d in consts], n)
    theirs = _orders(torch, program, [torch.tensor(v, dtype=getattr(torch, d), requires_grad=True)
                                      for v, d in values],
                     [torch.tensor(v, dtype=getattr(torch, d)) for v, d in consts], n)
    assert len(ours) == len(theirs)
    for order, (mine, ref) in enumerate(zip(ours, theirs)):
        for k, (a, b) in enumerate(zip(mine, ref)):
            assert (a is None) == (b is None), f"order {order + 1}, input {k}"
            if a is None:
                continue
            assert xp.same_place(a), f"order {order + 1}, input {k}: left the backend"
            assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
            np.testing.assert_allclose(xp.numpy(a), b.detach().numpy(), rtol=rtol, atol=ATOL,
                                       err_msg=f"order {order + 1}, input {k}")


F64 = [(X, "float64"), (W, "float64")]


# -- in-place ops on non-leaf tensors of a graph -----------------------------------------------

def _setitem(L: Any, x: Any, w: Any) -> Any:
    y = x * 1
    y[0] = x[1] ** 2
    y[1:] = x[:2] * w[:2]
    return (y ** 3 * w).sum()


def _setitem_index_and_mask(L: Any, x: Any, w: Any) -> Any:
    y = (x * w).reshape(1, 3).expand(2, 3) * 1.0
    y[1, ::2] = w[0] * x[2]  # a 0-d value broadcast to a strided slice
    y[y > 1.0] = 0.5  # a mask, a number
    y[:, 1] = (x * x)[1:2]  # broadcast along the first axis, summed back
    return (y.sin() * y).sum()


def _chain(L: Any, x: Any, w: Any) -> Any:
    y = x * x
    y.mul_(w)
    y.add_(x, alpha=0.5)
    y[0] = 2 * y[1]
    y.sub_(w * w, alpha=2.0)
    y.div_(x + 3.0)
    return (y * y * x).sum()


def _setitem_integer_arrays(L: Any, x: Any, w: Any) -> Any:
    y = x.reshape(3, 1) * w
    y[[0, 1], [2, 0]] = w[0] * x[2]  # a 0-d value broadcast to integer-array positions
    y[[2]] = x * x  # rows by an integer list
    return (y ** 3).sum()


INPLACE: dict[str, Callable[..., Any]] = {
    "setitem": _setitem,
    "setitem index, mask, broadcast": _setitem_index_and_mask,
    "setitem integer arrays": _setitem_integer_arrays,
    "add_": lambda L, x, w: ((y := x * x).add_(w * x), (y ** 2).sum())[1],
    "add_ alpha, broadcast": lambda L, x, w: ((y := (x * x).reshape(3, 1) * w).add_(w.sin(), alpha=-1.5),
                                              (y ** 2).sum())[1],
    "sub_": lambda L, x, w: ((y := x * x * w).sub_(w * x), (y ** 2 * x).sum())[1],
    "mul_": lambda L, x, w: ((y := x * x).mul_(w * x), (y ** 2).sum())[1],
    "mul_ number": lambda L, x, w: ((y := x * w).mul_(-2.5), (y ** 3).sum())[1],
    "div_": lambda L, x, w: ((y := x * x).div_(w * x + 2.0), (y ** 2).sum())[1],
    "div_ broadcast": lambda L, x, w: ((y := x.reshape(3, 1) * w).div_(x.cos() + 2.0),
                                       (y ** 3).sum())[1],
    "operators in place": lambda L, x, w: _operators(x, w),
    "chain": _chain,
    "fill_": lambda L, x, w: ((y := x * x).fill_((x ** 3 * w).sum()), (y ** 3 * w).sum())[1],
    "zero_": lambda L, x, w: ((y := x * w).zero_(), (y + x * x).pow(3).sum())[1],
    "copy_": lambda L, x, w: ((y := x * x).copy_(w.sin() * x), (y ** 3).sum())[1],
    "copy_ broadcast": lambda L, x, w: ((y := x.reshape(3, 1) * w).copy_(x * w), (y ** 3).sum())[1],
    "clamp_": lambda L, x, w: ((y := x * x * w).clamp_(-0.5, 1.0), (y ** 3).sum())[1],
    "clamp_ one side": lambda L, x, w: ((y := x * w).clamp_(min=-0.2), (y.exp() * x).sum())[1],
}


def _operators(x: Any, w: Any) -> Any:
    y = x * w
    y += x * x
    y *= w + x
    y -= 0.5 * x
    y /= x * x + 1.0
    return (y ** 2).sum()


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_under_create_graph_matches_torch(xp: Any, torch: Any, name: str) -> None:
    if name == "setitem integer arrays" and xp.name.startswith("array_api_strict"):
        pytest.skip("array-api-strict arrays take no assignment at integer arrays (first order too)")
    _compare(xp, torch, INPLACE[name], F64)


def test_inplace_with_another_dtype_matches_torch(xp: Any, torch: Any) -> None:
    """float64 tensors updated in place by float32 ones: their gradients come back float32."""
    def program(L: Any, x: Any, w: Any) -> Any:
        y = x * x
        y.add_(w * w)
        y.mul_(w.sin())
        z = x * 1
        z.copy_(w * w)
        z[1:] = w[:2] ** 3 * x[1:]
        return (y * y + z ** 3).sum()

    _compare(xp, torch, program, [(X, "float64"), (W, "float32")], rtol=1e-5)


# -- mixed dtypes -------------------------------------------------------------------------------

MIXED: dict[str, tuple[Callable[..., Any], list[tuple[Any, str]], tuple[tuple[Any, str], ...]]] = {
    "float32 with float64": (lambda L, x, w: ((x * w.sin()) ** 2 + w / x).sum(),
                             [(X, "float64"), (W, "float32")], ()),
    "cat of float32 and float64": (lambda L, x, w: (L.cat([w ** 2, x ** 3]) ** 2).sum()
                                   + (L.cat([x.float() * w, x]) * L.cat([x, w.double()])).sum(),
                                   [(X, "float64"), (W, "float32")], ()),
    "stack of float32 and float64": (lambda L, x, w: (L.stack([w * w, x.sin()]) ** 3).sum(),
                                     [(X, "float64"), (W, "float32")], ()),
    "atan2 of mixed dtypes": (lambda L, x, w: (L.atan2(w * x.float(), x) * x).sum(),
                              [(X, "float64"), (W, "float32")], ()),
    "atan2 with an integer tensor": (lambda L, x, w, k: (L.atan2(x * w, k) + L.atan2(k, x)).sum(),
                                     F64, (([1, -2, 3], "int64"),)),
    "remainder with a number": (lambda L, x, w: (L.remainder(x * x, 0.7) * w * x).sum(),
                                F64, ()),
    "remainder of tensors": (lambda L, x, w: (L.remainder(x * x, w.abs() + 0.5) * x).sum(),
                             F64, ()),
    "remainder with integer and float32 tensors": (
        lambda L, x, w, k: (L.remainder(x * x, k) * x + L.remainder(k, x + 2.5) * w
                            + L.remainder(x.float() * 3, x) * x).sum(), F64, (([1, -2, 3], "int64"),)),
    "int64 with float64": (lambda L, x, w, k: ((x * k + w) ** 2 / k).sum(), F64,
                           (([1, -2, 3], "int64"),)),
}


@pytest.mark.parametrize("name", list(MIXED))
def test_mixed_dtypes_under_create_graph_match_torch(xp: Any, torch: Any, name: str) -> None:
    program, values, consts = MIXED[name]
    floats32 = any(d == "float32" for _, d in values)
    _compare(xp, torch, program, values, consts, rtol=1e-5 if floats32 else RTOL)


def test_atan2_with_a_python_number_matches_torch(xp: Any, torch: Any) -> None:
    """torch's atan2 takes no Python number: its reference is a 0-d tensor of the value."""
    x = xp.tensor(X, "float64", requires_grad=True)
    xt = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    two = torch.tensor(2.0, dtype=torch.float64)
    outs = [((xn.atan2(x * x, 2.0) + xn.atan2(-1.5, x)) * x).sum(),
            ((torch.atan2(xt * xt, two) + torch.atan2(-1.5 * torch.ones(()), xt)) * xt).sum()]
    (g,), (gt,) = (lib.autograd.grad(o, t, create_graph=True)
                   for lib, o, t in ((xn, outs[0], x), (torch, outs[1], xt)))
    (h,), (ht,) = xn.autograd.grad((g * g).sum(), x), torch.autograd.grad((gt * gt).sum(), xt)
    np.testing.assert_allclose(xp.numpy(g), gt.detach().numpy(), rtol=RTOL)
    np.testing.assert_allclose(xp.numpy(h), ht.numpy(), rtol=RTOL)


# -- .to() between array libraries --------------------------------------------------------------

def _others(xp: Any) -> list[Any]:
    """Namespaces of other libraries than ``xp``'s to move to (and from): NumPy, or torch and
    array-api-strict from NumPy."""
    import array_api_strict
    import numpy
    import torch

    if xp.name == "numpy":
        return [torch, array_api_strict]
    return [numpy] if xp.name in ("torch", "array_api_strict") else []


def test_to_between_libraries_under_create_graph(xp: Any, torch: Any) -> None:
    others = _others(xp)
    if not others:
        pytest.skip(f"{xp.name}: moves are checked from numpy, torch and array_api_strict")
    xt = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    ref = _orders(torch, lambda L, x: ((x.sin() * x) ** 2).sum(), [xt], [], 3)
    for lib in others:
        x = xp.tensor(X, "float64", requires_grad=True)
        there = xn.asarray(lib.asarray([1.0], dtype=lib.float64))
        moved = xn.asarray(lib.asarray([0.0], dtype=lib.float64)).requires_grad_()
        orders = _orders(xn, lambda L, x, m, there=there: ((x.to(there.device).sin()
                                                            * x.to(there.device)) ** 2 + m).sum(),
                         [x, moved], [], 3)
        for mine, theirs in zip(orders, ref):
            g = mine[0]
            assert xp.same_place(g), f"the gradient did not come back from {lib.__name__}"
            np.testing.assert_allclose(xp.numpy(g), theirs[0].detach().numpy(), rtol=RTOL)
        assert len(orders) == len(ref)


# -- custom Functions ---------------------------------------------------------------------------

def _functions(L: Any, once: bool = False) -> tuple[Any, Any]:
    module = __import__(f"{L.__name__}.autograd.function", fromlist=["once_differentiable"])
    mark = module.once_differentiable if once else (lambda f: f)

    class Cube(L.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        @mark
        def backward(ctx: Any, g: Any) -> Any:
            (x,) = ctx.saved_tensors
            return g * 3 * x ** 2

    class ScaledExp(L.autograd.Function):  # saves its output; broadcasts its second argument
        @staticmethod
        def forward(ctx: Any, x: Any, s: Any) -> Any:
            y = (x * s).exp()
            ctx.save_for_backward(y, x, s)
            return y

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            y, x, s = ctx.saved_tensors
            return g * y * s, g * y * x

    return Cube, ScaledExp


def test_function_backward_is_differentiable_again(xp: Any, torch: Any) -> None:
    def program(L: Any, x: Any, s: Any) -> Any:
        cube, scaled_exp = _functions(L)
        return (cube.apply(x) * scaled_exp.apply(x, s) + cube.apply(x * s).sin()).sum()

    _compare(xp, torch, program, [(X, "float64"), ([0.3], "float64")])


def test_once_differentiable_refuses_a_second_differentiation_as_torch(xp: Any, torch: Any) -> None:
    errors = []
    for L, x in ((xn, xp.tensor(X, "float64", requires_grad=True)),
                 (torch, torch.tensor(X, dtype=torch.float64, requires_grad=True))):
        cube, _ = _functions(L, once=True)
        y = cube.apply(x)
        (g,) = L.autograd.grad((y * y).sum(), x, create_graph=True)  # the first derivative works
        np.testing.assert_allclose(np.asarray(g.tolist()), 6 * np.asarray(X) ** 5, rtol=RTOL)
        with pytest.raises(RuntimeError) as caught:
            g.sum().backward()
        errors.append(str(caught.value))
        assert x.grad is None
    assert errors[0] == errors[1]


def test_function_reading_another_output_refuses_before_any_grad(xp: Any) -> None:
    class Both(xn.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            a, b = x.exp(), x.sin()
            ctx.save_for_backward(a, b)
            return a, b

        @staticmethod
        def backward(ctx: Any, ga: Any, gb: Any) -> Any:
            a, b = ctx.saved_tensors
            return ga * a + gb * b

    x = xp.tensor(X, "float64", requires_grad=True)
    a, b = Both.apply(x)
    with pytest.raises(NotImplementedError, match="reads another of its outputs"):
        (a * b).sum().backward(create_graph=True)
    assert x.grad is None


def test_function_reading_its_index_output_is_differentiable_again(xp: Any, torch: Any) -> None:
    """A saved output marked non-differentiable (indices) is a constant of the second sweep."""
    def program(L: Any, x: Any) -> Any:
        class SortedCube(L.autograd.Function):
            @staticmethod
            def forward(ctx: Any, x: Any) -> Any:
                values, order = L.sort(x)
                ctx.mark_non_differentiable(order)
                ctx.save_for_backward(x, order)
                return values ** 3, order

            @staticmethod
            def backward(ctx: Any, g: Any, g_order: Any) -> Any:
                x, order = ctx.saved_tensors
                back = L.argsort(order)
                return (g * 3 * L.sort(x)[0] ** 2)[back]

        values, _ = SortedCube.apply(x)
        return (values * values.sin()).sum()

    _compare(xp, torch, program, [([2.0, -0.5, 1.5], "float64")])


# -- hooks and retain_grad ----------------------------------------------------------------------

def test_module_backward_hooks_under_create_graph_match_torch(xp: Any, torch: Any) -> None:
    def program(L: Any, x: Any, weight: Any, bias: Any) -> Any:
        lin = L.nn.Linear(3, 2).double().to(x.device)
        with L.no_grad():
            lin.weight.copy_(weight)
            lin.bias.copy_(bias)
        lin.register_full_backward_hook(lambda m, gi, go: (gi[0] * 2,))
        lin.register_full_backward_pre_hook(lambda m, go: (go[0] * go[0],))
        return (L.tanh(lin(x * x)) ** 3).sum()

    _compare(xp, torch, program, [([[0.5, 1.5, -2.0], [0.1, -0.3, 0.7]], "float64")],
             (([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]], "float64"), ([0.1, -0.1], "float64")))


def test_retain_grad_under_create_graph_matches_torch(xp: Any, torch: Any) -> None:
    found = []
    for L, x in ((xn, xp.tensor(X, "float64", requires_grad=True)),
                 (torch, torch.tensor(X, dtype=torch.float64, requires_grad=True))):
        y = x.sin()
        y.retain_grad()
        with warnings.catch_warnings():  # torch's advice on .grad reference cycles
            warnings.simplefilter("ignore", UserWarning)
            (y ** 3).sum().backward(create_graph=True)
        assert y.grad.requires_grad
        first = (np.asarray(y.grad.tolist()), np.asarray(x.grad.tolist()))
        (h,) = L.autograd.grad((y.grad * x).sum(), x)  # (torch also adds it into y.grad: not read)
        found.append((*first, np.asarray(h.tolist())))
    for a, b in zip(*found):
        np.testing.assert_allclose(a, b, rtol=RTOL)


# -- retain_graph -------------------------------------------------------------------------------

def _run(L: Any, x: Any, case: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        if case == "backward default keeps":
            y = (x * x).exp().sum()
            y.backward(create_graph=True)
            y.backward()
            return x.grad
        if case == "backward retain_graph=False frees":
            y = (x * x).exp().sum()
            y.backward(create_graph=True, retain_graph=False)
            y.backward()
            return x.grad
    y = (x * x * x).sum() if "cube" in case else (x.sin() * 2).sum()
    keep = None if "default" in case else False
    (g,) = L.autograd.grad(y, x, create_graph=True, retain_graph=keep)
    if "again" in case:
        return L.autograd.grad(y, x)[0]
    return L.autograd.grad(g.sum(), x)[0]


RETAIN = ["backward default keeps", "backward retain_graph=False frees", "grad default cube again",
          "grad default cube", "grad cube again", "grad cube", "grad sin"]


@pytest.mark.parametrize("case", RETAIN)
def test_retain_graph_with_create_graph_matches_torch(xp: Any, torch: Any, case: str) -> None:
    results = []
    for L, x in ((xn, xp.tensor(X, "float64", requires_grad=True)),
                 (torch, torch.tensor(X, dtype=torch.float64, requires_grad=True))):
        try:
            results.append(np.asarray(_run(L, x, case).tolist()))
        except RuntimeError as error:
            results.append(str(error).split(":")[0].split(" (")[0])
    if isinstance(results[1], str):
        assert results[0] == results[1] == "Trying to backward through the graph a second time"
    else:
        np.testing.assert_allclose(results[0], results[1], rtol=RTOL)


def test_operand_read_from_the_old_values_first_order_matches_torch(xp: Any, torch: Any) -> None:
    """``y[0] = 2 * y[1]``: the value was computed from y before the write (a graph without
    a cycle, so backward() ends and gives torch's gradient)."""
    grads = []
    for x in (xp.tensor(X, "float64", requires_grad=True),
              torch.tensor(X, dtype=torch.float64, requires_grad=True)):
        y = x * x
        y[0] = 2 * y[1]
        y.sub_(y.sum())  # (sum keeps no values: torch allows it)
        (y * y).sum().backward()
        grads.append(np.asarray(x.grad.tolist()))
    np.testing.assert_allclose(grads[0], grads[1], rtol=RTOL)
