"""Gradient averaging for DistributedDataParallel: buckets of flat gradients, one all-reduce each.

The parameters are grouped, in reverse order of ``parameters()`` (the order in
which a backward sweep finishes them, as torch's DDP), into buckets of at most
``bucket_cap_mb`` megabytes of one library, device and dtype. After backward,
each bucket's gradients are laid end to end in one flat array (NumPy: copied into
views of a buffer made once; other libraries: one concatenation), the flat array
is averaged over the ranks in one ``all_reduce(op=AVG)``, and each ``p.grad``
becomes its view of the result (no copy back). A parameter without a gradient
counts as zeros and gets the averaged gradient, so every rank holds the same.

A reduction runs once per forward: the outputs of a DDP forward (each Tensor
that requires grad) pass through an identity node whose backward first runs the
sweep of the model's graph below it to the end (``autograd.backward(out, g)``),
so that every gradient of that forward is complete, and then -- after the last
of the forward's outputs -- reduces. Gradients the loss adds outside the model
(a weight penalty) are added by the outer sweep; averaging commutes with adding
a term every rank computes alike.
"""

from __future__ import annotations

import math
from typing import Any

from ... import _backend
from ...autograd import backward
from ...distributed import ReduceOp, all_reduce
from ...tensor import Tensor, make_result

_MOVED = ("DistributedDataParallel: a parameter was moved to another library or device after "
          "wrapping: call .to(...) on the model before wrapping it")


class Bucket:
    """Parameters of one library, device and dtype whose gradients travel as one flat array."""

    def __init__(self, params: list[Tensor]) -> None:
        self.params = params
        first = params[0].array
        self.xp = params[0].xp
        self.sizes = [math.prod(p.array.shape) for p in params]
        self.nbytes = sum(self.sizes) * int(getattr(first.dtype, "itemsize", 4))
        self.buffer = self.xp.flat_buffer(sum(self.sizes), first.dtype)  # NumPy: made once,
        self.views = None if self.buffer is None else self._split(self.buffer)  # copied into

    def _split(self, flat: Any) -> list[Any]:
        views, start = [], 0
        for p, n in zip(self.params, self.sizes):
            views.append(self.xp.reshape(flat[start:start + n], tuple(p.array.shape)))
            start += n
        return views

    def reduce(self) -> None:
        """Average this bucket's gradients over the ranks: one all-reduce."""
        xp = self.xp
        if self.buffer is not None:
            for p, view in zip(self.params, self.views):  # type: ignore[arg-type]
                g = p.grad
                if p.xp is not xp:
                    raise RuntimeError(_MOVED)
                if g is None:
                    view[...] = 0
                elif g.array is not view:
                    view[...] = g.array
            flat = self.buffer
        else:
            flat = xp.concat([xp.reshape(p.grad.array if p.grad is not None else
                                         xp.zeros_like(p.array), (-1,)) for p in self.params])
        box = Tensor(flat)
        all_reduce(box, ReduceOp.AVG)
        views = self.views if box.array is self.buffer else self._split(box.array)
        for p, view in zip(self.params, views):  # type: ignore[arg-type]
            if p.grad is None:
                p.grad = view
            else:
                p.grad.array = view


def buckets(params: list[Tensor], cap_bytes: int) -> list[Bucket]:
    """Parameters in reverse order, split where the library, device or dtype changes or a
    bucket would pass ``cap_bytes`` (a parameter larger than that has a bucket of its own)."""
    out: list[Bucket] = []
    current: list[Tensor] = []
    key: Any = None
    nbytes = 0
    for p in reversed(params):
        array = p.array
        k = (id(p.xp), str(_backend.device(array)), str(array.dtype))
        size = math.prod(array.shape) * int(getattr(array.dtype, "itemsize", 4))
        if current and (k != key or nbytes + size > cap_bytes):
            out.append(Bucket(current))
            current, nbytes = [], 0
        current.append(p)
        key, nbytes = k, nbytes + size
    if current:
        out.append(Bucket(current))
    return out


class _Round:
    """The outputs of one forward: how many must see backward before the reduction."""

    __slots__ = ("arrived", "expected", "stale")

    def __init__(self, expected: int) -> None:
        self.expected, self.arrived, self.stale = expected, 0, False


class Reducer:
    """The buckets of a model, and the rounds of its forwards (see the module docstring)."""

    def __init__(self, params: list[Tensor], cap_bytes: int) -> None:
        self.buckets = buckets(params, cap_bytes)
        self.round: _Round | None = None

    def reduce(self) -> None:
        for bucket in self.buckets:
            bucket.reduce()

    def watch(self, output: Any) -> Any:
        """``output`` with each Tensor that requires grad passed through a reducing identity node."""
        found: list[Tensor] = []
        _tensors(output, found)
        if not found:
            return output
        previous = self.round
        if previous is not None and 0 < previous.arrived < previous.expected:
            raise RuntimeError(
                f"DistributedDataParallel: the backward of the previous forward reached "
                f"{previous.arrived} of its {previous.expected} outputs that require grad, so the "
                f"gradients were never averaged: make every output take part in the loss (or "
                f"detach the ones that do not), then call backward() before the next forward")
        if previous is not None:
            previous.stale = True
        rnd = self.round = _Round(len(found))
        wrapped = {id(t): self._gate(t, rnd) for t in found}
        return _rebuild(output, wrapped)

    def _gate(self, out: Tensor, rnd: _Round) -> Tensor:
        def reduce_after(g: Any) -> tuple[None]:
            # d out / d out = 1: the identity passes G on -- by running the rest of the sweep now
            if rnd.stale or rnd.arrived >= rnd.expected:
                raise RuntimeError(
                    "DistributedDataParallel: backward() through the output of an earlier forward "
                    "(or twice through one): gradients are averaged once per forward, so call "
                    "backward() once per forward, before the next forward; compute extra forwards "
                    "under xn.no_grad() or model.no_sync()")
            # outputs of one forward share the model's graph: keep it until the last one's sweep
            backward(out, g, retain_graph=rnd.arrived + 1 < rnd.expected)
            rnd.arrived += 1
            if rnd.arrived == rnd.expected:
                self.reduce()
            return (None,)

        return make_result(out.array, out.xp, (out,), reduce_after, "ddp_reduce", saves=False)


def _tensors(obj: Any, found: list[Tensor]) -> None:
    if isinstance(obj, Tensor):
        if obj.requires_grad and all(obj is not t for t in found):
            found.append(obj)
    elif isinstance(obj, (tuple, list)):
        for item in obj:
            _tensors(item, found)
    elif isinstance(obj, dict):
        for item in obj.values():
            _tensors(item, found)


def _rebuild(obj: Any, wrapped: dict[int, Tensor]) -> Any:
    if isinstance(obj, Tensor):
        return wrapped.get(id(obj), obj)
    if isinstance(obj, (tuple, list)):
        items = [_rebuild(item, wrapped) for item in obj]
        return type(obj)(*items) if hasattr(obj, "_fields") else type(obj)(items)
    if isinstance(obj, dict):
        return type(obj)((key, _rebuild(value, wrapped)) for key, value in obj.items())
    return obj
