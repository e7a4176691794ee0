"""Which backward rules also run on Tensors (double backward): declared by each op module.

A rule is a closure ``backward(G)`` over what the forward kept: the namespace ``xp``,
the native arrays of the op's inputs and output, shapes and numbers. Under
``create_graph=True`` the sweep runs the *same* rule once more with each of those
values replaced by its Tensor counterpart (``xp`` by :class:`xpnet._autograd_api.
tensor_namespace.TensorNamespace`, an input's array by the input Tensor, the output's
array by the output Tensor), so the rule's arithmetic records a graph of its own
(see ``docs/higher-order-design.md``). That is only sound for a rule that reads
nothing else, so a module says which of its rules do, after review:

    double_backward_ready(add, sub, mul, ...)

registers the rules (nested functions named ``backward...``) of each op, the op's own
code (a module-level rule such as ``_route``), and its lambdas: a derivative formula
``lambda xp, a, out, g: g * xp.cos(a)`` that a shared rule calls with its values. A rule
whose node keeps values that are not its inputs or output (a fused node's activation
derivative) registers a *composite* instead: ``double_backward_by(op, hook)``; the hook
returns the rule to run on Tensors (usually: differentiate the op's composition of
primitives).

Nothing here runs on the first-order path: the registry is read only by the
``create_graph`` sweep, and an unregistered rule there raises NotImplementedError.
"""

from __future__ import annotations

from collections.abc import Callable
from types import CodeType
from typing import Any

READY: set[CodeType] = set()  # rules that may be re-run on Tensors as they are
COMPOSITE: dict[CodeType, Callable[..., Any]] = {}  # rule -> hook(node, captured) -> Tensor rule


def _rules_of(function: Any) -> list[CodeType]:
    """``function``'s own code, the code of each rule it defines (``backward...``) and of its
    lambdas and functions named ``derivative`` (derivative formulas handed to a shared rule,
    such as ``pointwise._unary``'s)."""
    code = function.__code__
    return [code] + [c for c in code.co_consts if isinstance(c, CodeType)
                     and (c.co_name.startswith("backward") or c.co_name in ("<lambda>", "derivative"))]


def double_backward_ready(*functions: Any) -> None:
    """Declare that the backward rules of ``functions`` (ops, or rules themselves) read only
    ``xp``, their node's input and output arrays, and constants: they run on Tensors as they are."""
    for function in functions:
        READY.update(_rules_of(function))


def double_backward_by(function: Any, hook: Callable[..., Any]) -> None:
    """Declare how the rules of ``function`` run on Tensors: ``hook(node, captured)`` returns
    ``rule(G) -> input gradients`` built of Tensor ops (``captured``: the rule's closure
    variables by name)."""
    for code in _rules_of(function):
        COMPOSITE[code] = hook
