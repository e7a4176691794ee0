"""``xn.autograd.functional``: torch's ``vjp``, ``jvp``, ``jacobian``, ``hessian``, ``hvp``, ``vhp``.

Each takes a function of Tensors and the point ``inputs`` (a Tensor or a tuple of Tensors),
as torch's, and is built on :func:`xpnet.autograd.grad`; those that need second derivatives
(``jvp``, ``hessian``, ``hvp``, ``vhp``) use ``create_graph=True`` and so work for the ops
whose double backward is converted (docs/higher-order.md). Results come back detached unless
``create_graph=True``, in the structure of the inputs (and outputs), as torch's.

``jvp`` uses the double-backward trick (as torch's): ``J^T u`` is linear in ``u``, so its
derivative in ``u`` along ``v`` is ``J v``. ``hvp`` is ``vhp`` (the Hessian of a scalar
function is symmetric), computed as ``d/dx (grad f(x) . v)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import _backend
from .. import functional as F
from ..tensor import Tensor, make_result
from .grad import grad

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]


def _as_tuple(obj: Any, what: str, fn: str) -> tuple[bool, tuple[Tensor, ...]]:
    """``(was_tuple, items)``: ``obj`` as a tuple of Tensors, refusing anything else."""
    is_tuple = isinstance(obj, (tuple, list))
    items = tuple(obj) if is_tuple else (obj,)
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            raise TypeError(f"The {what} given to {fn} must be either a Tensor or a tuple of Tensors but "
                            f"the value at index {i} has type {type(t).__name__}.")
    return is_tuple, items


def _prepare(inputs: tuple[Tensor, ...], create_graph: bool) -> tuple[Tensor, ...]:
    """The inputs as fresh tensors that require grad (kept in the caller's graph with create_graph)."""
    if create_graph:
        return tuple(t if t.requires_grad else t.detach().requires_grad_(True) for t in inputs)
    return tuple(t.detach().requires_grad_(True) for t in inputs)


def _finish(items: tuple[Any, ...], create_graph: bool, as_tuple: bool) -> Any:
    items = tuple(t if create_graph or t is None else t.detach() for t in items)
    return items if as_tuple else items[0]


def _grads(outputs: tuple[Tensor, ...], inputs: tuple[Tensor, ...], v: Any, create_graph: bool,
           strict: bool, fn: str) -> tuple[Tensor, ...]:
    """``sum_k v_k . d outputs_k / d inputs``, zeros where an input is not used (strict: an error)."""
    used = [o for o in outputs if o.requires_grad]
    seeds = [g for o, g in zip(outputs, v) if o.requires_grad]
    found: tuple[Any, ...] = (None,) * len(inputs)
    if used:
        found = grad(used, inputs, grad_outputs=seeds, create_graph=create_graph,
                     retain_graph=True, allow_unused=True)
    result = []
    for i, (t, g) in enumerate(zip(inputs, found)):
        if g is None:
            if strict:
                raise RuntimeError(f"The output of the user-provided function is independent of input {i}. "
                                   f"This is not allowed in strict mode ({fn}).")
            g = make_result(t.xp.zeros_like(t.array), t.xp, (), None, "")
        result.append(g)
    return tuple(result)


def _check_v(v: Any, like: tuple[Tensor, ...], fn: str, what: str) -> tuple[Any, ...]:
    if v is None:
        if len(like) != 1 or like[0].numel() != 1:
            raise RuntimeError(f"The vector v can only be None if the {what} of the user-provided function "
                               f"is a single Tensor with a single element ({fn}).")
        return (make_result(like[0].xp.ones_like(like[0].array), like[0].xp, (), None, ""),)
    _, vs = _as_tuple(v, "v", fn)
    if len(vs) != len(like):
        raise RuntimeError(f"{fn}: v has {len(vs)} Tensors but the {what} has {len(like)}")
    for i, (a, b) in enumerate(zip(vs, like)):
        if tuple(a.shape) != tuple(b.shape):
            raise RuntimeError(f"Mismatch in shape: v[{i}] has a shape of {tuple(a.shape)} and the {what} "
                               f"[{i}] has a shape of {tuple(b.shape)} ({fn}).")
    return vs


def vjp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(*inputs), v^T J)``: the vector-Jacobian product at ``inputs``.

    Args:
        func: takes the Tensors of ``inputs`` and returns a Tensor or a tuple of Tensors.
        inputs: a Tensor or a tuple of Tensors: the point.
        v: one Tensor per output, of its shape (None for a single one-element output).
        create_graph: keep a graph through the results (to differentiate them again).
        strict: raise if an input does not reach the outputs (else its part is zeros).
    """
    in_tuple, ins = _as_tuple(inputs, "inputs", "vjp")
    ins = _prepare(ins, create_graph)
    out_tuple, outs = _as_tuple(func(*ins), "outputs of the user-provided function", "vjp")
    vs = _check_v(v, outs, "vjp", "output")
    products = _grads(outs, ins, vs, create_graph, strict, "vjp")
    return _finish(outs, create_graph, out_tuple), _finish(products, create_graph, in_tuple)


def jvp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(*inputs), J v)``: the Jacobian-vector product, by the double-backward trick.

    ``v``: one Tensor per input, of its shape (None for a single one-element input). The
    other arguments as :func:`vjp`.
    """
    _, ins = _as_tuple(inputs, "inputs", "jvp")
    ins = _prepare(ins, create_graph)
    vs = _check_v(v, ins, "jvp", "input")
    out_tuple, outs = _as_tuple(func(*ins), "outputs of the user-provided function", "jvp")
    dummies = tuple(make_result(o.xp.zeros_like(o.array), o.xp, (), None, "").requires_grad_(True)
                    for o in outs)  # u: J^T u is linear in u, so d/du (J^T u . v) = J v
    transposed = _grads(outs, ins, dummies, True, strict, "jvp")
    linked = [(g, w) for g, w in zip(transposed, vs) if g.requires_grad]
    if linked:
        found = grad([g for g, _ in linked], dummies, grad_outputs=[w for _, w in linked],
                     create_graph=create_graph, allow_unused=True)
    else:
        found = (None,) * len(dummies)
    products = tuple(g if g is not None else make_result(o.xp.zeros_like(o.array), o.xp, (), None, "")
                     for g, o in zip(found, outs))
    return _finish(outs, create_graph, out_tuple), _finish(products, create_graph, out_tuple)


def _rows(out: Tensor, ins: tuple[Tensor, ...], create_graph: bool, strict: bool,
          fn: str) -> tuple[Tensor, ...]:
    """d out / d ins[j] for each j, of shape ``out.shape + ins[j].shape`` (one backward per element)."""
    xp, m = out.xp, out.numel()
    positions = xp.arange(m, device=_backend.device(out.array))
    per_input: list[list[Tensor]] = [[] for _ in ins]
    for k in range(m):
        onehot = xp.reshape(xp.astype(positions == k, out.array.dtype), tuple(out.array.shape))
        seed = make_result(onehot, xp, (), None, "")
        for j, g in enumerate(_grads((out,), ins, (seed,), create_graph, strict, fn)):
            per_input[j].append(g)
    result = []
    for t, rows in zip(ins, per_input):
        if create_graph:
            stacked = F.stack(rows, 0) if rows else F.reshape(t, (0,) + tuple(t.shape))
        else:
            arrays = [r.array for r in rows]
            stacked = make_result(xp.stack(arrays, axis=0) if arrays else
                                  xp.zeros((0,) + tuple(t.array.shape), dtype=t.array.dtype,
                                           device=_backend.device(t.array)), xp, (), None, "")
        result.append(F.reshape(stacked, tuple(out.shape) + tuple(t.shape)))
    return tuple(result)


def jacobian(func: Callable[..., Any], inputs: Any, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """The Jacobian of ``func`` at ``inputs``: ``d out / d in`` of shape ``out.shape + in.shape``.

    One Tensor for one output and one input; a tuple over inputs (or outputs); a tuple (per
    output) of tuples (per input) when both are tuples, as torch's. ``vectorize`` is accepted
    and changes nothing; only ``strategy="reverse-mode"`` exists (else ValueError).
    """
    if strategy != "reverse-mode":
        raise ValueError(f"jacobian: only strategy='reverse-mode' is supported, got {strategy!r}")
    in_tuple, ins = _as_tuple(inputs, "inputs", "jacobian")
    ins = _prepare(ins, create_graph)
    out_tuple, outs = _as_tuple(func(*ins), "outputs of the user-provided function", "jacobian")
    table = [_finish(_rows(o, ins, create_graph, strict, "jacobian"), create_graph, in_tuple) for o in outs]
    return tuple(table) if out_tuple else table[0]


def hessian(func: Callable[..., Any], inputs: Any, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The Hessian of the scalar function ``func`` at ``inputs``: ``in.shape + in.shape``.

    A tuple of tuples (``H[i][j] = d2 f / d in_i d in_j``) for a tuple of inputs, as torch's.
    Needs the double backward of every op ``func`` uses.
    """
    in_tuple, ins = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*xs: Tensor) -> tuple[Tensor, ...]:
        _, (out,) = _as_tuple(func(*xs), "outputs of the user-provided function", "hessian")
        if out.numel() != 1:
            raise RuntimeError(f"The function given to hessian should return a single element Tensor, "
                               f"got shape {tuple(out.shape)}")
        return _grads((out,), xs, (None,), True, strict, "hessian")

    table = jacobian(gradient, ins if in_tuple else ins[0], create_graph=create_graph, strict=strict,
                     strategy=outer_jacobian_strategy)
    if in_tuple:
        return table
    return table[0]


def vhp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(*inputs), v^T H)``: the vector-Hessian product of the scalar function ``func``."""
    return _hessian_product(func, inputs, v, create_graph, strict, "vhp")


def hvp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(*inputs), H v)``: the Hessian-vector product (``= v^T H``: H is symmetric)."""
    return _hessian_product(func, inputs, v, create_graph, strict, "hvp")


def _hessian_product(func: Callable[..., Any], inputs: Any, v: Any, create_graph: bool, strict: bool,
                     fn: str) -> tuple[Any, Any]:
    in_tuple, ins = _as_tuple(inputs, "inputs", fn)
    ins = _prepare(ins, create_graph)
    vs = _check_v(v, ins, fn, "input")
    _, outs = _as_tuple(func(*ins), "outputs of the user-provided function", fn)
    if len(outs) != 1 or outs[0].numel() != 1:
        raise RuntimeError(f"The function given to {fn} should return a single element Tensor")
    first = _grads(outs, ins, (None,), True, strict, fn)
    linked = [(g, w) for g, w in zip(first, vs) if g.requires_grad]
    total = None
    for g, w in linked:
        term = (g * w).sum()
        total = term if total is None else total + term
    if total is None:
        products = tuple(make_result(t.xp.zeros_like(t.array), t.xp, (), None, "") for t in ins)
    else:
        products = _grads((total,), ins, (None,), create_graph, strict, fn)
    return _finish(outs, create_graph, False), _finish(products, create_graph, in_tuple)


