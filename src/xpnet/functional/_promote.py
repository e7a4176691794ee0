"""torch's dtype rule, the same on every backend: operands are cast before ``xp`` sees them.

The Array API leaves mixed-kind promotion undefined (NumPy widens ``int64 + 2.5`` to
float64, array-api-strict refuses it, torch gives float32), so xpnet decides the result
dtype itself (:func:`xpnet._dtypes.promote_names`) and casts the inputs that differ.
A cast is an op: its backward casts the gradient back, so a float32 input of a float64
op still gets a float32 ``.grad``, as in torch.

Cost on the hot path: two tensors of one dtype are told apart by identity
(``a.dtype is b.dtype``); a Python number meets a floating tensor of the dtype seen
last (``FLOAT_SEEN``), again one identity check. Only other cases come here.
"""

from __future__ import annotations

from typing import Any

from .. import _dtypes
from ..tensor import Tensor, make_result

# The last floating native dtype object met with a Python number (one identity check
# tells the common case ``float32 tensor * 2.5``; any other dtype takes the slow path).
FLOAT_SEEN: list[Any] = [None]


def cast(x: Tensor, name: str) -> Tensor:
    """``x`` as dtype ``name``.  dL/dx = G cast back to x's dtype."""
    xp, src = x.xp, x.array.dtype
    out = xp.astype(x.array, _dtypes.resolve(name, xp))

    def backward(g: Any) -> tuple[Any]:
        return (xp.astype(g, src),)

    return make_result(out, xp, (x,), backward, "to", saves=False)


def _name(x: Tensor) -> str:
    return _dtypes.wrap(x.array.dtype).name


def promote(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor, Any]:
    """Two tensors of (maybe) different dtypes, cast to torch's result dtype."""
    na, nb = _name(a), _name(b)
    if na == nb:  # equal, just not the same object (array-api-strict)
        return a, b, a.xp
    target = _dtypes.promote_names(na, nb, not a.array.shape, not b.array.shape)
    return (a if na == target else cast(a, target)), (b if nb == target else cast(b, target)), a.xp


def with_scalar(t: Tensor, scalar: Any) -> Tensor:
    """Tensor ``t`` cast for an op with a Python number, where torch's rule says so."""
    name = _name(t)
    if name in _dtypes.FLOATING:
        FLOAT_SEEN[0] = t.array.dtype
        return t
    target = _dtypes.promote_scalar_name(name, scalar)
    return t if target == name else cast(t, target)


def floating(t: Tensor) -> Tensor:
    """``t`` itself if floating, else cast to the default float dtype (true division, mean)."""
    name = _name(t)
    if name in _dtypes.FLOATING or name.startswith("complex"):
        return t
    return cast(t, _dtypes.get_default_dtype().name)


def floating_array(xp: Any, a: Any) -> Any:
    """The native array ``a`` cast to the default float dtype when it is integer or bool.

    torch's rule for the ops whose result is a fraction (``exp``, ``sqrt``, ``sin``...):
    an integer input gives the default float dtype (NumPy alone would give float64,
    array-api-strict would refuse). The float hot path pays one identity check.
    """
    dt = a.dtype
    if dt is FLOAT_SEEN[0] or _dtypes.is_floating(dt):
        return a
    return xp.astype(a, _dtypes.resolve(None, xp))  # None: the default float dtype


def bool_scalar(t: Tensor, scalar: bool) -> Any:
    """A Python bool for an op with ``t``: itself for a bool tensor, else 0 or 1 (same value).

    torch never lets a bool number change a tensor's dtype; array-api-strict refuses
    a bool number with a numeric array, so it meets one as an int.
    """
    return scalar if _name(t) == "bool" else int(scalar)


def logical(xp: Any, a: Any, b: Any, op: str) -> Any:
    """``a + b`` (or) and ``a * b`` (and) of two bool operands, as torch and NumPy give them.

    The Array API has no arithmetic on bool (array-api-strict refuses): the ops that
    meet one fall back here when the library raised.
    """
    names = ["bool" if isinstance(v, bool) else _dtypes.wrap(v.dtype).name for v in (a, b)]
    if names != ["bool", "bool"]:
        raise TypeError(f"{op} of {names[0]} and {names[1]} values is not defined in {xp.__name__}")
    return a | b if op == "add" else a & b
