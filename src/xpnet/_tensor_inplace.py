"""In-place methods of :class:`~xpnet.tensor.Tensor` (``add_``, ``zero_``, ``x[i] = v``, ``+=``).

As in torch:

- a leaf that requires grad refuses them while grad mode is on (update parameters
  under ``no_grad()`` or through ``.data``);
- on any other tensor in a graph (``b = a * 2; b += 1``) the op is recorded: the
  tensor object becomes the op's output and the values it held before become a
  new node behind it, so ``backward()`` gives torch's gradient;
- the tensor keeps its dtype: ``other`` is cast to it, and a result of a higher
  category (``int_tensor += 2.5``) raises RuntimeError as torch does;
- the array is changed in place where it is writeable (NumPy, CuPy, torch,
  array-api-strict) and rebound otherwise (JAX), and the tensor's version is
  bumped (:func:`xpnet.autograd.bump`) so that graphs that saved the old values
  refuse to use them.

The operand of the in-place op itself may have been computed from the old values
(``y[0] = 2 * y[1]``, ``y.mul_(y)``): its graph is pointed at the old values' node, as
torch's. Known difference: another op that read the old value *without saving it*
(``c = b + w`` before ``b.mul_(2)``) sends its gradient through the in-place op; torch
sends it to the old value. Ops that saved it raise at ``backward()``, as in torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import _backend, _dtypes
from .autograd import CLOCK, bump, grad_mode

if TYPE_CHECKING:
    from .tensor import Tensor

LEAF_MESSAGE = ("a leaf Variable that requires grad is being used in an in-place operation. "
                "(update parameters inside `with xn.no_grad():` or through `w.data`)")

# Ops whose backward reads only their inputs, never their output: changing the output
# in place leaves their gradient right. Any other op's output, once changed, makes
# backward() through that op raise (its version is bumped), as torch's does.
_OUTPUT_FREE = frozenset({
    "add", "sub", "mul", "neg", "matmul", "linear", "sum", "mean", "reshape", "permute_dims",
    "getitem", "to", "where", "log", "abs", "leaky_relu", "gelu", "dropout", "max", "min",
    "clone", "add_", "sub_", "mul_", "fill_", "copy_", "setitem", "zero_",
})


def check_leaf(t: Tensor) -> None:
    """RuntimeError (torch's words) for an in-place op on a leaf that requires grad."""
    if t.requires_grad and t._backward is None and grad_mode.enabled:
        raise RuntimeError(LEAF_MESSAGE)


def operand(t: Tensor, other: Any, op: str) -> Any:
    """``other`` for an in-place op on ``t``: a Python number, or a native array of t's dtype.

    RuntimeError when torch's result dtype would not fit ``t`` (``int_tensor += 2.5``).
    """
    from .functional._core import as_tensor, check_same_place, python_number

    name = _dtypes.wrap(t.array.dtype).name
    if not is_tensor(other):
        number = python_number(other)
        if isinstance(number, (int, float, bool)):
            result = _dtypes.promote_scalar_name(name, number)
            if op == "div_" and _dtypes._kind(result) < 2:
                result = _dtypes.get_default_dtype().name
            _fits(result, name, op)
            return number
        other = as_tensor(other, op)
    check_same_place(t, other, f"in-place {op}")
    other_name = _dtypes.wrap(other.array.dtype).name
    result = _dtypes.promote_names(name, other_name, False, not other.array.shape)
    if op == "div_" and _dtypes._kind(result) < 2:
        result = _dtypes.get_default_dtype().name
    _fits(result, name, op)
    return other.array if other_name == name else t.xp.astype(other.array, t.array.dtype)


def _fits(result: str, name: str, op: str) -> None:
    if result != name and _dtypes._kind(result) > _dtypes._kind(name):
        raise RuntimeError(f"result type {result} can't be cast to the desired output type {name} "
                           f"of this in-place {op}: use an out-of-place op, or convert first "
                           f"(e.g. t = t.float())")


def is_tensor(obj: Any) -> bool:
    from .tensor import Tensor

    return isinstance(obj, Tensor)


def recording(t: Tensor, *others: Any) -> bool:
    """Whether an in-place op on ``t`` with inputs ``others`` goes into the graph."""
    if not grad_mode.enabled:
        return False
    return t.requires_grad or any(is_tensor(o) and o.requires_grad for o in others)


def write(t: Tensor, out: Any, method: str | None = None, other: Any = None) -> None:
    """Give ``t`` new values: ``t.array.<method>(other)`` (``"__iadd__"``...) or the array ``out``.

    In place where the array is writeable, rebound otherwise; then the version is bumped.
    """
    array = t.array
    if _backend.is_writeable(array):
        if method is not None:
            getattr(array, method)(other)
        else:
            array[...] = out
    elif method is not None:
        t.array = getattr(array, method.replace("__i", "__", 1))(other)
    else:
        t.array = out
    bump(t)


def alias(t: Tensor) -> Tensor:
    """``t.data`` / ``t.detach()`` where arrays are immutable (JAX): a Tensor whose array is
    ``t``'s own slot, read and written through (:mod:`xpnet._tensor_alias`)."""
    from ._tensor_alias import alias as make

    return make(t)


def split(t: Tensor) -> Tensor:
    """A new node holding ``t``'s place in the graph and its current array (shared memory).

    ``t`` will become the output of the in-place op with this node as its input.
    """
    from .tensor import Tensor

    old: Tensor = object.__new__(Tensor)
    for name in Tensor.__slots__:  # (an alias's array is its owner's: read through)
        if name != "__weakref__" and hasattr(t, name):
            setattr(old, name, getattr(t, name))
    old._grad = None
    old._retains_grad = False
    return old


def record(t: Tensor, old: Tensor, parents: tuple[Tensor, ...], backward: Any, op: str,
           saves: bool) -> None:
    """Make ``t`` (just changed in place) the output of ``op`` with inputs ``parents``."""
    from .tensor import next_seq

    if old._saved is not None and old._op not in _OUTPUT_FREE:
        old._version = t._version  # its backward may read the values just overwritten
    parents = tuple(old if p is t else p for p in parents)  # ``y.mul_(y)``: its old values
    for p in parents[1:]:  # an operand computed from t (``y[0] = 2 * y[1]``) read its old values
        if p._backward is not None and p._seq > old._seq:
            _repoint(p, t, old)
    t._parents = parents
    t._backward = backward
    t._op = op
    t._seq = next_seq()
    t._saved = CLOCK[0] if saves else None
    t.requires_grad = True


def _repoint(start: Tensor, t: Tensor, old: Tensor) -> None:
    """In the graph of ``start``, inputs that are ``t`` become ``old`` (t's values before the
    in-place op), so that ``t``'s new node does not feed itself. Only nodes made after ``t``
    can have read it: the walk stops at older ones."""
    seen: set[int] = set()
    todo = [start]
    while todo:
        node = todo.pop()
        if id(node) in seen or node._seq <= old._seq:
            continue
        seen.add(id(node))
        if any(p is t for p in node._parents):
            node._parents = tuple(old if p is t else p for p in node._parents)
        todo.extend(node._parents)


def grad_for(other: Any, g: Any) -> Any:
    """``g`` as the gradient of input tensor ``other``: summed to its shape, in its dtype."""
    from .functional._core import unbroadcast

    g = unbroadcast(other.xp, g, tuple(other.array.shape))
    return g if g.dtype == other.array.dtype else other.xp.astype(g, other.array.dtype)


def needs_grad(obj: Any) -> bool:
    return is_tensor(obj) and obj.requires_grad


def graph_input(obj: Any) -> Tensor:
    from .tensor import CONSTANT

    return obj if is_tensor(obj) else CONSTANT


def arith_(t: Tensor, other: Any, method: str, op: str, alpha: Any = 1) -> Tensor:
    """``t <method>= alpha * other`` in place (``method``: ``"__iadd__"``, ...), torch's rules.

    add_: dL/dt_old = G, dL/dother = alpha G;  sub_: G, -alpha G;
    mul_: G * other, G * t_old;  div_: G / other, -G * t_new / other.
    """
    check_leaf(t)
    o = operand(t, other, op)
    if alpha != 1:
        o = o * alpha
    if not recording(t, other):
        write(t, None, method, o)
        return t
    old = split(t)
    if other is t and op in ("mul_", "div_"):  # ``y.mul_(y)``: o would be overwritten
        o = t.xp.asarray(o, copy=True)
    kept = t.xp.asarray(t.array, copy=True) if op == "mul_" and needs_grad(other) else None
    write(t, None, method, o)
    new = t.array

    def backward(g: Any) -> tuple[Any, Any]:
        if op in ("add_", "sub_"):
            sign = alpha if op == "add_" else -alpha
            return g, (grad_for(other, g * sign) if needs_grad(other) else None)
        if op == "mul_":
            return g * o, (grad_for(other, g * kept) if needs_grad(other) else None)
        return g / o, (grad_for(other, -g * new / o) if needs_grad(other) else None)

    record(t, old, (old, graph_input(other)), backward, op, saves=op in ("mul_", "div_"))
    return t


def fill_(t: Tensor, value: Any, op: str = "fill_") -> Tensor:
    """Every element set to ``value`` (a number or a one-element tensor).

    dL/dt_old = 0, dL/dvalue = sum(G).
    """
    from .functional._core import as_tensor, python_number

    check_leaf(t)
    xp, shape = t.xp, tuple(t.array.shape)
    if isinstance(value, (int, float, bool)) or not (is_tensor(value) or _backend.is_array(value)):
        number = python_number(value)
        kind = _dtypes._kind(_dtypes.wrap(t.array.dtype).name)
        number = (bool, int, float, complex)[kind](number)  # torch casts the value to t's dtype
        out = xp.full(shape, number, dtype=t.array.dtype, device=_backend.device(t.array))
    else:
        value = as_tensor(value, op)
        if value.numel() != 1:
            raise RuntimeError(f"{op} only supports a 0-dimension value tensor, got shape "
                               f"{tuple(value.shape)}")
        one = xp.reshape(value.array, ())
        out = xp.broadcast_to(one if one.dtype == t.array.dtype else xp.astype(one, t.array.dtype), shape)
    if not recording(t, value):
        write(t, out)
        return t
    old = split(t)
    write(t, out)

    def backward(g: Any) -> tuple[Any, Any]:
        zero = xp.zeros_like(g)  # torch sends zeros (not nothing) to the overwritten values
        if not needs_grad(value):
            return zero, None
        return zero, grad_for(value, xp.reshape(xp.sum(g), (1,) * value.ndim))

    record(t, old, (old, graph_input(value)), backward, op, saves=False)
    return t


def copy_(t: Tensor, src: Any) -> Tensor:
    """``t``'s values replaced by ``src`` (broadcast, cast, moved to t's device).

    dL/dt_old = 0, dL/dsrc = G summed to src's shape (moved back to its device).
    """
    from .functional import to as _to
    from .functional._core import as_tensor

    check_leaf(t)
    src_t = as_tensor(src, "copy_") if not isinstance(src, (int, float, bool)) else None
    if src_t is None:
        return fill_(t, src, "copy_")
    moved = _to(src_t, device=t.device, dtype=t.array.dtype)
    xp = t.xp
    out = xp.broadcast_to(moved.array, tuple(t.array.shape))
    if not recording(t, moved):
        write(t, out)
        return t
    old = split(t)
    write(t, out)

    def backward(g: Any) -> tuple[Any, Any]:
        return xp.zeros_like(g), (grad_for(moved, g) if moved.requires_grad else None)

    record(t, old, (old, moved), backward, "copy_", saves=False)
    return t


def clamp_(t: Tensor, min: Any = None, max: Any = None) -> Tensor:
    """Values limited to ``[min, max]`` (numbers).  dL/dt_old = G where min <= t <= max, else 0."""
    check_leaf(t)
    if min is None and max is None:
        raise ValueError("clamp_: at least one of min and max must be given")
    xp = t.xp
    out = xp.clip(t.array, min=min, max=max)
    if not recording(t):
        write(t, out)
        return t
    inside = out == t.array
    old = split(t)
    write(t, out)

    def backward(g: Any) -> tuple[Any]:
        return (xp.where(inside, g, xp.zeros_like(g)),)

    record(t, old, (old,), backward, "clamp_", saves=False)
    return t


def random_(t: Tensor, kind: str, shift: float, scale: float, generator: Any = None) -> Tensor:
    """``t`` filled with ``shift + scale * X``, X ~ N(0, 1) or U[0, 1), from the device's generator.

    The generator is the one :func:`xpnet.manual_seed` seeds. dL/dt_old = 0.
    """
    check_leaf(t)
    if not _dtypes.is_floating(t.array.dtype):
        raise TypeError(f"{kind}_ fills floating-point tensors, got {t.dtype}")
    xp, dev = t.xp, _backend.device(t.array)
    draw = _backend.normal if kind == "normal" else _backend.uniform
    out = draw(tuple(t.array.shape), xp=xp, device=dev, dtype=t.array.dtype, generator=generator)
    out = out * scale + shift
    if not recording(t):
        write(t, out)
        return t
    old = split(t)
    write(t, out)
    record(t, old, (old,), lambda g: (xp.zeros_like(g),), kind + "_", saves=False)
    return t


class InPlaceMethods:
    """The in-place methods of Tensor (see the module docstring for the rules they share)."""

    __slots__ = ()

    def add_(self: Any, other: Any, *, alpha: Any = 1) -> Tensor:
        """``self += alpha * other`` in place."""
        return arith_(self, other, "__iadd__", "add_", alpha)

    def sub_(self: Any, other: Any, *, alpha: Any = 1) -> Tensor:
        """``self -= alpha * other`` in place."""
        return arith_(self, other, "__isub__", "sub_", alpha)

    def mul_(self: Any, other: Any) -> Tensor:
        """``self *= other`` in place."""
        return arith_(self, other, "__imul__", "mul_")

    def div_(self: Any, other: Any) -> Tensor:
        """``self /= other`` in place (RuntimeError on an integer tensor, as torch)."""
        return arith_(self, other, "__itruediv__", "div_")

    def __iadd__(self: Any, other: Any) -> Tensor:
        return arith_(self, other, "__iadd__", "add_")

    def __isub__(self: Any, other: Any) -> Tensor:
        return arith_(self, other, "__isub__", "sub_")

    def __imul__(self: Any, other: Any) -> Tensor:
        return arith_(self, other, "__imul__", "mul_")

    def __itruediv__(self: Any, other: Any) -> Tensor:
        return arith_(self, other, "__itruediv__", "div_")

    def zero_(self: Any) -> Tensor:
        """Every element set to 0, in place."""
        return fill_(self, 0, "zero_")

    def fill_(self: Any, value: Any) -> Tensor:
        """Every element set to ``value`` (cast to this dtype), in place."""
        return fill_(self, value)

    def copy_(self: Any, src: Any, non_blocking: bool = False) -> Tensor:
        """The values of ``src`` (broadcast, cast, moved here), in place."""
        return copy_(self, src)

    def clamp_(self: Any, min: Any = None, max: Any = None) -> Tensor:
        """Values limited to ``[min, max]``, in place."""
        return clamp_(self, min, max)

    clip_ = clamp_

    def normal_(self: Any, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Tensor:
        """Samples of N(mean, std**2), in place, from the seeded generator of this device."""
        return random_(self, "normal", mean, std, generator)

    def uniform_(self: Any, from_: float = 0.0, to: float = 1.0, *, generator: Any = None) -> Tensor:
        """Samples of U[from_, to), in place, from the seeded generator of this device."""
        return random_(self, "uniform", from_, to - from_, generator)

    def __setitem__(self: Any, index: Any, value: Any) -> None:
        from ._tensor_setitem import setitem

        setitem(self, index, value)
