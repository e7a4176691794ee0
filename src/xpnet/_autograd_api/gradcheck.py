"""``xn.autograd.gradcheck``: backward rules checked against central finite differences.

As torch's: for every input that requires grad and every output, the Jacobian from
backward passes (one per output element) must match the numerical Jacobian
``(f(x + eps e_j) - f(x - eps e_j)) / (2 eps)`` within ``atol + rtol * |numerical|``.
Use float64 inputs: in float32 the differences are mostly rounding noise.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from .. import _backend, _dtypes
from ..autograd import enable_grad, no_grad
from ..tensor import Tensor, make_result
from .grad import grad

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]


class GradcheckError(RuntimeError):
    """A backward rule disagrees with finite differences (raised by :func:`gradcheck`)."""


def _outputs(value: Any) -> tuple[Tensor, ...]:
    items = value if isinstance(value, (tuple, list)) else (value,)
    return tuple(t for t in items if isinstance(t, Tensor))


def _flat(t: Tensor) -> Any:
    return t.xp.reshape(t.array, (-1,))


def gradcheck(func: Callable[..., Any], inputs: Any, *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, nondet_tol: float = 0.0,
              check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
              check_batched_grad: bool = False, check_batched_forward_grad: bool = False,
              check_forward_ad: bool = False, check_backward_ad: bool = True,
              fast_mode: bool = False, masked: bool | None = None) -> bool:
    """Whether ``func``'s gradients match central finite differences of ``func`` itself.

    Args:
        func: takes ``*inputs`` and returns a Tensor or a tuple of Tensors.
        inputs: a Tensor or a tuple of arguments; those Tensors with ``requires_grad=True``
            (float64 ones, or a UserWarning says the check will likely fail) are checked.
        eps: the finite-difference step: ``(f(x + eps) - f(x - eps)) / (2 eps)``.
        atol: the absolute tolerance of ``|analytical - numerical| <= atol + rtol * |numerical|``.
        rtol: the relative tolerance in the same test.
        raise_exception: raise :class:`GradcheckError` on a mismatch (else return False).

    ``nondet_tol``, ``check_undefined_grad``, ``check_grad_dtypes``, ``check_batched_grad``,
    ``check_batched_forward_grad``, ``check_forward_ad``, ``check_backward_ad``,
    ``fast_mode``, ``masked``: accepted for torch's signature; they change nothing.
    Returns True when every Jacobian matches.
    """
    args = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    checked = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
    if not checked:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none "
                         "of the them have requires_grad=True.")
    for i in checked:
        if args[i].dtype != "float64":
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point "
                          "or complex. This check will likely fail if all the inputs are not of double "
                          "precision floating point or complex. ", UserWarning, stacklevel=2)
    outputs = [o for o in _outputs(func(*args)) if _dtypes.is_floating(o.array.dtype)]
    for k, out in enumerate(outputs):
        for i in checked:
            numerical = _numerical(func, args, i, k, eps)
            analytical = _analytical(out, args[i])
            xp = out.xp
            ok = bool(xp.all(xp.abs(analytical - numerical) <= atol + rtol * xp.abs(numerical)))
            if not ok:
                if not raise_exception:
                    return False
                as_list = make_result  # (the Jacobians are printed as nested lists)
                raise GradcheckError(
                    f"Jacobian mismatch for output {k} with respect to input {i},\n"
                    f"numerical:{as_list(numerical, xp, (), None, '').tolist()}\n"
                    f"analytical:{as_list(analytical, xp, (), None, '').tolist()}\n")
    return True


def _numerical(func: Callable[..., Any], args: tuple[Any, ...], i: int, k: int, eps: float) -> Any:
    """The (input size, output size) Jacobian of output ``k`` by central differences in input ``i``."""
    x = args[i]
    xp, flat, n = x.xp, _flat(x), x.numel()
    positions = xp.arange(n, device=_backend.device(x.array))
    columns = []
    with no_grad():
        for j in range(n):
            step = xp.reshape(xp.astype(positions == j, flat.dtype) * eps, tuple(x.array.shape))
            shifted = []
            for delta in (step, -step):
                moved = list(args)
                moved[i] = make_result(x.array + delta, xp, (), None, "")
                shifted.append(_flat(_outputs(func(*moved))[k]))
            columns.append((shifted[0] - shifted[1]) / (2 * eps))
    return xp.stack(columns, axis=0)


def _analytical(out: Tensor, x: Tensor) -> Any:
    """The (input size, output size) Jacobian of ``out`` from one backward pass per output element."""
    xp, m = out.xp, out.numel()
    positions = xp.arange(m, device=_backend.device(out.array))
    columns = []
    for j in range(m):
        onehot = xp.reshape(xp.astype(positions == j, out.array.dtype), tuple(out.array.shape))
        (g,) = grad(out, x, grad_outputs=onehot, allow_unused=True, retain_graph=True)
        columns.append(xp.zeros_like(_flat(x)) if g is None else _flat(g))
    return xp.stack(columns, axis=1)


def gradgradcheck(func: Callable[..., Any], inputs: Any, grad_outputs: Any = None, *, eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False,
                  raise_exception: bool = True, nondet_tol: float = 0.0, check_undefined_grad: bool = True,
                  check_grad_dtypes: bool = False, check_batched_grad: bool = False,
                  check_fwd_over_rev: bool = False, check_rev_over_rev: bool = True,
                  fast_mode: bool = False, masked: bool = False) -> bool:
    """Whether ``func``'s second derivatives match central finite differences of its gradients.

    As torch's: the function ``(inputs, v) -> grad(func(inputs), inputs, grad_outputs=v,
    create_graph=True)`` is checked with :func:`gradcheck`, in the inputs and in ``v``
    (``grad_outputs``: one Tensor per output of ``func``; random normal ones when left out).
    Needs the double backward of every op ``func`` uses (docs/higher-order.md).

    Args:
        func: takes ``*inputs`` and returns a Tensor or a tuple of Tensors.
        inputs: a Tensor or a tuple of arguments (float64 Tensors with ``requires_grad=True``).
        grad_outputs: the vectors ``v``, or None.
        eps: the finite-difference step, as :func:`gradcheck`.
        atol: the absolute tolerance, as :func:`gradcheck`.
        rtol: the relative tolerance, as :func:`gradcheck`.
        raise_exception: raise on a mismatch (else return False), as :func:`gradcheck`.

    ``gen_non_contig_grad_outputs``, ``nondet_tol``, ``check_undefined_grad``,
    ``check_grad_dtypes``, ``check_batched_grad``, ``check_fwd_over_rev``,
    ``check_rev_over_rev``, ``fast_mode``, ``masked``: accepted for torch's signature; they
    change nothing.
    Returns True when every Jacobian matches; raises :class:`GradcheckError` (or returns
    False) otherwise.
    """
    from ..sampling import randn_like

    args = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    outputs = [o for o in _outputs(func(*args)) if _dtypes.is_floating(o.array.dtype)]
    if grad_outputs is None:
        vs = tuple(randn_like(o, requires_grad=True) for o in outputs)
    else:
        vs = (grad_outputs,) if isinstance(grad_outputs, Tensor) else tuple(grad_outputs)
    n = len(args)
    wrt_positions = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]

    def first_derivatives(*values: Any) -> tuple[Tensor, ...]:
        given = values[n:]
        # The inputs differentiated are those of ``args`` that require grad (gradcheck's
        # shifted copies do not: they are made to, so the outputs keep their order).
        ins = [a if i not in wrt_positions or a.requires_grad else a.detach().requires_grad_(True)
               for i, a in enumerate(values[:n])]
        wrt = [ins[i] for i in wrt_positions]
        with enable_grad():  # gradcheck's finite differences run under no_grad()
            outs = [o for o in _outputs(func(*ins)) if _dtypes.is_floating(o.array.dtype)]
            found = grad(outs, wrt, grad_outputs=list(given), create_graph=True, allow_unused=True)
        return tuple(g for g in found if g is not None)

    return gradcheck(first_derivatives, args + vs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
