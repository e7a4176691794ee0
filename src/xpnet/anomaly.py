"""Anomaly mode: the first op that makes a NaN or an infinity raises, naming itself.

``xn.autograd.set_detect_anomaly(True)``, or the block ``with
xn.autograd.detect_anomaly():``, makes every op record where in your code it
was called (the traceback of the forward call) and check its values:

* forward: an op whose output holds NaN raises ``RuntimeError``, and so does one
  whose output holds an infinity none of its inputs held (an overflow such as
  ``exp(1000)``, a division by zero, ``log(0)``). An infinity passed on from an
  input is allowed: ``-inf`` is how masks are written (``log_softmax`` of masked
  logits is ``-inf`` there, as in torch).
* backward: a backward rule that returns a NaN or infinite gradient raises
  ``RuntimeError: Function 'mul' returned nan values in its 0th output``
  (torch's words), with the op's shapes and the traceback of its forward call.
  Any other error inside a backward rule gets that traceback as a note.

``check_nan=False`` (as torch) keeps the tracebacks and drops the value checks.

The message names the op, the shapes of its inputs and output, and the lines
of your code (outside xpnet) that called it, most recent call last.

Cost: nothing while off. Every op calls ``xpnet.tensor.make_result``; turning
the mode on swaps that function's body (its code object: the modules that
imported it hold the function itself) for one that records and checks, and
turning it off swaps the original back. While on, each op captures a
traceback and reads whether its values are finite: on CuPy (and torch on a
GPU) that read waits for the device, once per op and per gradient. It is a
debugging mode, as torch's: expect a training step to be many times slower.
"""

from __future__ import annotations

import functools
import math
import os
import sys
import threading
import traceback
import types
from collections.abc import Callable
from typing import Any, TypeVar

from . import _backend, _dtypes

F = TypeVar("F", bound=Callable[..., Any])

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep
_STACK_LIMIT = 12  # frames of the user's code shown (the most recent ones)


class _Mode:
    enabled = False
    check_nan = True
    plain: Any = None  # the original make_result, as a function of its own
    plain_code: Any = None


_mode = _Mode()
_lock = threading.Lock()


def is_anomaly_enabled() -> bool:
    """Whether anomaly mode is on (see :mod:`xpnet.anomaly`)."""
    return _mode.enabled


def is_anomaly_check_nan_enabled() -> bool:
    """Whether anomaly mode also checks values for NaN and infinities (``check_nan``)."""
    return _mode.enabled and _mode.check_nan


def _set(enabled: bool, check_nan: bool) -> None:
    from .tensor import make_result as target  # the function every op calls

    with _lock:
        if _mode.plain_code is None:
            ours, theirs = _recording_make_result.__code__, target.__code__
            if (ours.co_varnames[:ours.co_argcount] != theirs.co_varnames[:theirs.co_argcount]
                    or _recording_make_result.__defaults__ != target.__defaults__):
                raise AssertionError("xpnet.tensor.make_result changed its signature: update "
                                     "xpnet.anomaly._recording_make_result to match it")
            _mode.plain_code = target.__code__
            _mode.plain = types.FunctionType(target.__code__, target.__globals__,
                                             "make_result", target.__defaults__)
        target.__code__ = _recording_make_result.__code__ if enabled else _mode.plain_code
        _mode.enabled = bool(enabled)
        _mode.check_nan = bool(check_nan)


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """Turn anomaly mode on or off for the rest of the program (``torch.set_anomaly_enabled``).

    Args:
        enabled: True: every op records the traceback of its forward call and checks its
            output and its gradients, raising RuntimeError (naming the op) at the first NaN
            or new infinity; False: off (no cost).
        check_nan: with ``enabled``, check the values (False: keep only the tracebacks).
    """
    _set(enabled, check_nan)


class set_detect_anomaly:
    """Turn anomaly mode on or off: at once, and, used as a ``with`` block, until it ends.

    ``xn.autograd.set_detect_anomaly(True)`` switches it on for the rest of the
    program; ``with xn.autograd.set_detect_anomaly(False): ...`` switches it off for
    a block and restores the previous mode after (torch's behaviour).

    Args:
        mode: True to turn it on.
        check_nan: check forward outputs and backward gradients for NaN and
            infinities (True, the default); False only records where each op was called.
    """

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self._previous = (_mode.enabled, _mode.check_nan)
        _set(mode, check_nan)

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        _set(*self._previous)


class detect_anomaly:
    """Context manager and decorator: anomaly mode on inside, as ``torch.autograd.detect_anomaly``.

    >>> with xn.autograd.detect_anomaly():
    ...     loss = loss_fn(model(x), y)
    ...     loss.backward()          # the first op making a nan raises, naming itself

    Args:
        check_nan: see :class:`set_detect_anomaly`.
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan

    def __enter__(self) -> None:
        self._previous = (_mode.enabled, _mode.check_nan)
        _set(True, self.check_nan)

    def __exit__(self, *exc: object) -> None:
        _set(*self._previous)

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


def _recording_make_result(data: Any, xp: Any, parents: Any, backward: Any, op: str,
                           saves: bool = True) -> Any:
    """The body ``make_result`` runs while anomaly mode is on (installed by :func:`_set`).

    It runs with ``xpnet.tensor``'s globals: it names nothing of this module but
    through the import below.
    """
    from xpnet.anomaly import record

    return record(data, xp, parents, backward, op, saves)


def record(data: Any, xp: Any, parents: tuple[Any, ...], backward: Any, op: str,
           saves: bool) -> Any:
    """``make_result``, plus the checks and the traceback of anomaly mode."""
    t = _mode.plain(data, xp, parents, backward, op, saves)
    if not parents:  # a new leaf (xn.tensor, .detach(), a .grad): data, not an op
        return t
    where = _user_stack()
    shapes = tuple(_shape(p.array) for p in parents if p.array is not None)
    if _mode.check_nan:
        _check_forward(op, data, parents, shapes, where)
    if t._backward is not None:
        t._backward = _recording_rule(t._backward, op, shapes, _shape(data), where)
    return t


def _recording_rule(rule: Callable[[Any], Any], op: str, shapes: tuple[Any, ...],
                    out_shape: Any, where: traceback.StackSummary) -> Callable[[Any], Any]:
    check = _mode.check_nan

    def recorded(g: Any) -> Any:
        try:
            grads = rule(g)
        except Exception as exc:
            if sys.version_info >= (3, 11):  # Python 3.10 shows the error without the note
                exc.add_note(f"anomaly mode: the error came from the backward rule of '{op}', "
                             f"whose forward call was here (most recent call last):\n"
                             + "".join(where.format()).rstrip())
            raise
        if check:
            for i, pg in enumerate(grads):
                kind = None if pg is None else _non_finite(pg)
                if kind is not None:
                    raise RuntimeError(
                        f"Function '{op}' returned {kind} values in its {i}th output "
                        f"(anomaly mode): the gradient for its input {i} of shape "
                        f"{_shape(pg)}; the op's inputs have shapes {_shapes(shapes)}, its "
                        f"output {out_shape}, and its incoming gradient "
                        f"{'is finite' if _non_finite(g) is None else 'already held ' + str(_non_finite(g))}"
                        f". The forward call was here (most recent call last):\n"
                        + "".join(where.format()).rstrip()
                    )
        return grads

    return recorded


def _check_forward(op: str, data: Any, parents: tuple[Any, ...], shapes: tuple[Any, ...],
                   where: traceback.StackSummary) -> None:
    kind = _non_finite(data)
    if kind is None:
        return
    inputs = [(i, _non_finite(p.array)) for i, p in enumerate(parents) if p.array is not None]
    held = [(i, k) for i, k in inputs if k is not None]
    if kind == "inf" and held:
        return  # an infinity passed on from an input (a -inf mask): allowed
    if held:
        why = "; ".join(f"its input {i} already held {k}"
                        + (" (a leaf: the data or a parameter itself)" if parents[i]._backward is None
                           and not parents[i]._op else "")
                        for i, k in held)
    elif kind == "nan":
        why = "its inputs were finite: the op made the nan (0/0, inf - inf, 0 * inf, log of a negative)"
    else:
        why = ("its inputs were finite: the op made the infinity (an overflow, a division by zero, "
               "log(0)); a -inf mask is allowed when the -inf comes in as a tensor")
    raise RuntimeError(
        f"anomaly mode: '{op}' returned {kind} values in its forward output of shape "
        f"{_shape(data)} from inputs of shapes {_shapes(shapes)}: {why}. It was called here "
        f"(most recent call last):\n" + "".join(where.format()).rstrip()
    )


def _non_finite(a: Any) -> str | None:
    """'nan' or 'inf' if the array (or number) ``a`` holds one (nan first), else None."""
    if not _backend.is_array(a):
        if isinstance(a, float) and not math.isfinite(a):
            return "nan" if math.isnan(a) else "inf"
        return None
    if not _dtypes.is_floating(a.dtype):
        return None
    xp = _backend.namespace(a)
    if bool(xp.all(xp.isfinite(a))):  # one read of the device (a sync on a GPU)
        return None
    return "nan" if bool(xp.any(xp.isnan(a))) else "inf"


def _user_stack() -> traceback.StackSummary:
    """The caller's stack outside xpnet, most recent call last (the last few frames)."""
    frame: types.FrameType | None = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
    if frame is None:
        return traceback.StackSummary()
    return traceback.extract_stack(frame, limit=_STACK_LIMIT)


def _shape(a: Any) -> tuple[int, ...]:
    return tuple(getattr(a, "shape", ()))


def _shapes(shapes: tuple[Any, ...]) -> str:
    return ", ".join(str(s) for s in shapes) or "()"
