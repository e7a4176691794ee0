"""torch's autograd API: ``autograd.grad``, ``autograd.Function``, ``gradcheck``,
``set_grad_enabled``, ``inference_mode``, each run with xpnet on every backend and with
torch, the program written once over ``lib`` (as a ``sed s/torch/xpnet/`` port would be).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import xpnet as xn

torch = pytest.importorskip("torch")


def _host(t: Any) -> np.ndarray:
    if isinstance(t, xn.Tensor):
        return t.numpy()
    return t.detach().numpy()


def _inputs(lib: Any, xp: Any) -> tuple[Any, Any]:
    a = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    b = np.array([0.3, -0.2, 0.9])
    if lib is torch:
        return torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    return xp.tensor(a, "float64", requires_grad=True), xp.tensor(b, "float64", requires_grad=True)


# -- autograd.grad ----------------------------------------------------------------------
PROGRAMS = {
    "two inputs": lambda lib, x, w: lib.autograd.grad(((x * w).sin().sum()), [x, w]),
    "non-leaf input": lambda lib, x, w: (lambda h: lib.autograd.grad((h * h).sum(), (h, x)))(x * w),
    "grad_outputs": lambda lib, x, w: lib.autograd.grad(
        x.exp() * w, x, grad_outputs=lib.ones_like(x) * 0.5),
    "two outputs": lambda lib, x, w: lib.autograd.grad([(x * w).sum(), (x * x).sum()], [x]),
    "unused, allowed": lambda lib, x, w: lib.autograd.grad(x.sum(), [x, w], allow_unused=True),
    "unused, zeros": lambda lib, x, w: lib.autograd.grad(x.sum(), [x, w], allow_unused=True,
                                                         materialize_grads=True),
    "output is input": lambda lib, x, w: lib.autograd.grad(w, w, grad_outputs=w * 0 + 2),
}


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_grad_matches_torch(xp, name):
    x, w = _inputs(xn, xp)
    got = PROGRAMS[name](xn, x, w)
    expected = PROGRAMS[name](torch, *_inputs(torch, xp))
    assert isinstance(got, tuple) and len(got) == len(expected)
    for g, e in zip(got, expected):
        if e is None:
            assert g is None
            continue
        assert isinstance(g, xn.Tensor) and xp.same_place(g) and g.array.dtype == xp.float64
        np.testing.assert_allclose(_host(g), _host(e), rtol=1e-12, atol=1e-14)
    assert x.grad is None and w.grad is None  # grad() writes no .grad


ERRORS = {
    "unused": (lambda lib, x, w: lib.autograd.grad(x.sum(), [x, w]), RuntimeError),
    "input without grad": (lambda lib, x, w: lib.autograd.grad(x.sum(), [x.detach()]), RuntimeError),
    "output without grad": (lambda lib, x, w: lib.autograd.grad(x.detach().sum(), [x]), RuntimeError),
    "non-scalar output": (lambda lib, x, w: lib.autograd.grad(x * 2, [x]), RuntimeError),
    "grad_outputs shape": (lambda lib, x, w: lib.autograd.grad(x * 2, [x], grad_outputs=w), RuntimeError),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_grad_errors_match_torch(xp, name):
    program, kind = ERRORS[name]
    with pytest.raises(kind):
        program(torch, *_inputs(torch, xp))
    with pytest.raises(kind):
        program(xn, *_inputs(xn, xp))


def test_grad_refuses_higher_order_and_values_changed_in_place(xp):
    x, w = _inputs(xn, xp)
    with pytest.raises(NotImplementedError, match="double backward of 'twice' is not supported yet"):
        xn.autograd.grad((_unconverted(x) * x).sum(), [x], create_graph=True)
    loss = (x * w).sum()
    with xn.no_grad():
        w *= 2
    with pytest.raises(RuntimeError, match="modified in place"):
        xn.autograd.grad(loss, [x])


# -- autograd.Function ------------------------------------------------------------------
def legendre_class(lib: Any) -> Any:
    """The custom Function of torch's tutorial "PyTorch: Defining New autograd Functions"."""

    class LegendrePolynomial3(lib.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input ** 3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input ** 2 - 1)

    return LegendrePolynomial3


def legendre_tutorial(lib: Any, device: Any, steps: int = 300) -> list[float]:
    """The tutorial's training loop, cut to ``steps`` steps; returns the losses it prints."""
    dtype = lib.float32
    x = lib.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
    y = lib.sin(x)
    a = lib.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
    b = lib.full((), -1.0, device=device, dtype=dtype, requires_grad=True)
    c = lib.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
    d = lib.full((), 0.3, device=device, dtype=dtype, requires_grad=True)
    learning_rate = 5e-6
    printed = []
    for t in range(steps):
        P3 = legendre_class(lib).apply
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        if t % 50 == 49:
            printed.append(loss.item())
        loss.backward()
        with lib.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    printed += [a.item(), b.item(), c.item(), d.item()]
    return printed


def test_the_tutorial_custom_function_prints_torchs_numbers(xp):
    expected = legendre_tutorial(torch, "cpu")
    got = legendre_tutorial(xn, xp.device)
    np.testing.assert_allclose(got, expected, rtol=2e-4, atol=1e-6)  # a and c stay ~0


def scaled_max_class(lib: Any) -> Any:
    """Two inputs (a Tensor and a number), two outputs (one non-differentiable)."""

    class ScaledMax(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, w, scale):
            ctx.scale = scale
            ctx.save_for_backward(x, w)
            y = x * w * scale
            flags = y > 0
            ctx.mark_non_differentiable(flags)
            return y, flags

        @staticmethod
        def backward(ctx, grad_y, grad_flags):
            x, w = ctx.saved_tensors
            gx = grad_y * w * ctx.scale if ctx.needs_input_grad[0] else None
            gw = grad_y * x * ctx.scale if ctx.needs_input_grad[1] else None
            if gw is not None:
                gw = gw.sum(0)  # w was broadcast over rows
            return gx, gw, None

    return ScaledMax


def test_function_with_several_inputs_and_outputs_matches_torch(xp):
    results = []
    for lib in (xn, torch):
        x, w = _inputs(lib, xp)
        y, flags = scaled_max_class(lib).apply(x, w, 2.0)
        assert not flags.requires_grad and y.requires_grad
        (y * y).sum().backward()
        results.append([_host(v) for v in (y, flags, x.grad, w.grad)])
    for got, expected in zip(*results):
        np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_function_setup_context_style_and_needs_input_grad(xp):
    seen = []

    class Square(xn.autograd.Function):
        @staticmethod
        def forward(x, factor):
            return x * x * factor

        @staticmethod
        def setup_context(ctx, inputs, output):
            x, factor = inputs
            ctx.save_for_backward(x)
            ctx.factor = factor

        @staticmethod
        def backward(ctx, g):
            seen.append(ctx.needs_input_grad)
            (x,) = ctx.saved_tensors
            return 2 * x * g * ctx.factor, None

    x = xp.tensor([1.0, -2.0, 3.0], "float64", requires_grad=True)
    out = Square.apply(x, 3.0)
    assert out.requires_grad and out.grad_fn == "SquareBackward"
    out.sum().backward()
    np.testing.assert_allclose(xp.numpy(x.grad), [6.0, -12.0, 18.0])
    assert seen == [(True, False)] and xp.same_place(x.grad)
    with xn.no_grad():
        assert not Square.apply(x, 1.0).requires_grad


def test_function_errors(xp):
    class WrongCount(xn.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g

    x = xp.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        WrongCount.apply(x, x).sum().backward()

    class SavesBadly(xn.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, 3)
            return x

    with pytest.raises(TypeError, match="save_for_backward"):
        SavesBadly.apply(x)

    class KeepsX(xn.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            (saved,) = ctx.saved_tensors
            return g * saved

    y = KeepsX.apply(x)
    with xn.no_grad():
        x += 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    with pytest.raises(RuntimeError, match="apply"):
        KeepsX()(x)


# -- gradcheck --------------------------------------------------------------------------
def test_gradcheck_passes_correct_rules_and_catches_wrong_ones(xp):
    x, w = _inputs(xn, xp)
    assert xn.autograd.gradcheck(lambda a, b: (a * b).sin().sum(1), (x, w)) is True
    assert xn.autograd.gradcheck(lambda a: a.std(dim=0), x, eps=1e-6, atol=1e-5) is True
    assert xn.autograd.gradcheck(legendre_class(xn).apply, (w,))

    class Wrong(xn.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3

    with pytest.raises(xn.autograd.GradcheckError, match="Jacobian mismatch for output 0 with "
                                                         "respect to input 0"):
        xn.autograd.gradcheck(Wrong.apply, (w,))
    assert issubclass(xn.autograd.GradcheckError, RuntimeError)
    assert xn.autograd.gradcheck.GradcheckError is xn.autograd.GradcheckError
    assert xn.autograd.gradcheck(Wrong.apply, (w,), raise_exception=False) is False


def test_gradcheck_refuses_as_torch(xp):
    for lib, x in ((torch, torch.tensor([1.0, 2.0])), (xn, xp.tensor([1.0, 2.0]))):
        with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
            lib.autograd.gradcheck(lambda a: a * 2, (x,))
        with pytest.warns(UserWarning, match="not a double precision"):
            lib.autograd.gradcheck(lambda a: a * 2, (x.requires_grad_(),), raise_exception=False)


# -- grad mode switches -------------------------------------------------------------------
def _modes(lib: Any, x: Any) -> list[bool]:
    seen = [lib.is_grad_enabled()]
    with lib.set_grad_enabled(False):
        seen += [lib.is_grad_enabled(), (x * 2).requires_grad]
    seen.append(lib.is_grad_enabled())
    lib.set_grad_enabled(False)
    seen += [lib.is_grad_enabled(), (x * 2).requires_grad]
    lib.set_grad_enabled(True)

    @lib.set_grad_enabled(False)
    def off() -> bool:
        return lib.is_grad_enabled()

    seen += [lib.is_grad_enabled(), off(), lib.is_grad_enabled()]
    with lib.inference_mode():
        seen += [lib.is_grad_enabled(), (x * 2).requires_grad]
    with lib.inference_mode(False):
        seen.append((x * 2).requires_grad)

    @lib.inference_mode()
    def infer() -> bool:
        return (x * 2).requires_grad

    @lib.inference_mode
    def bare() -> bool:
        return (x * 2).requires_grad

    with lib.no_grad():
        with lib.set_grad_enabled(True):
            seen.append((x * 2).requires_grad)
        seen.append(lib.is_grad_enabled())
    return [*seen, infer(), bare(), lib.is_grad_enabled()]


def test_grad_mode_switches_behave_as_torch(xp):
    expected = _modes(torch, torch.ones(2, requires_grad=True))
    assert _modes(xn, xp.tensor([1.0, 1.0], requires_grad=True)) == expected
    assert xn.autograd.set_grad_enabled is xn.set_grad_enabled
    assert xn.autograd.inference_mode is xn.inference_mode
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = xn.autograd.nothing


def test_autograd_backward_of_several_roots_matches_torch(xp, torch):
    """``autograd.backward([t1, t2], grad_tensors=[g1, g2])``: the gradients of a shared graph add up."""
    values = [0.5, -1.5, 2.0]

    def run(lib, make):
        a = make(values)
        b = a * a
        lib.autograd.backward([b.sum(), (b * 3).sum()])
        c = a.exp()
        lib.autograd.backward((c,), grad_tensors=(make([1.0, 10.0, 0.5], grad=False),))
        return a.grad

    ours = run(xn, lambda v, grad=True: xp.tensor(v, "float64", requires_grad=grad))
    theirs = run(torch, lambda v, grad=True: torch.tensor(v, dtype=torch.float64, requires_grad=grad))
    np.testing.assert_allclose(xp.numpy(ours), theirs.numpy(), rtol=1e-12)
    a = xp.tensor(values, requires_grad=True)
    with pytest.raises(RuntimeError, match="grad_tensors has 1 entries but tensors has 2"):
        xn.autograd.backward([a.sum(), a.sum()], [None])


def _unconverted(x):
    """``2 x`` as an op whose rule is declared nowhere (so its double backward is refused)."""
    from xpnet.tensor import make_result

    def backward(g):
        return (g * 2,)

    return make_result(x.array * 2, x.xp, (x,), backward, "twice")
