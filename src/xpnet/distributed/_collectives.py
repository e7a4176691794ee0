"""Collectives with torch.distributed's names: ``all_reduce``, ``broadcast``, ``all_gather``.

Each takes Tensors (or writeable native arrays) and works in place, as torch's
do. What travels, and how:

* NumPy arrays go through MPI as buffers (``Allreduce``, ``Bcast``,
  ``Allgather``: the buffer protocol, no pickling), in place when contiguous.
* torch CPU tensors are NumPy views of the same memory (no copy): the same path.
* CuPy arrays go through NCCL under ``backend="nccl"``; under ``"mpi"`` they are
  staged through host memory (copied to NumPy, reduced, copied back).
* Any other array (array-api-strict, torch CUDA under "mpi") is staged through
  NumPy on the host likewise, and the result is written back into the array
  (or, where it cannot be written, the Tensor is rebound to a new array).
"""

from __future__ import annotations

import enum
from typing import Any

from .. import _backend, _dtypes
from ..tensor import Tensor
from ._group import ProcessGroup, _mpi, world


class ReduceOp(enum.Enum):
    """How :func:`all_reduce` combines the ranks' values (torch.distributed.ReduceOp's names)."""

    SUM = "sum"
    AVG = "avg"
    MAX = "max"
    MIN = "min"
    PRODUCT = "product"


def _native(tensor: Any, who: str) -> Any:
    if isinstance(tensor, Tensor):
        return tensor.array
    if _backend.is_array(tensor):
        return tensor
    raise TypeError(f"{who} takes a Tensor (or a native array), got {type(tensor).__name__}")


def _store(tensor: Any, array: Any, result: Any) -> None:
    """Put ``result`` (the collective's values, same shape) into ``tensor`` in place where it can."""
    if result is array:
        return
    if _backend.is_writeable(array):
        array[...] = result
    elif isinstance(tensor, Tensor):
        tensor.array = result
    else:
        raise TypeError(f"the array of type {type(array).__name__} is read-only: pass an xpnet Tensor "
                        f"(which is rebound to the result)")


def _staged(array: Any) -> tuple[Any, bool]:
    """``(host, shared)``: a C-contiguous NumPy array with ``array``'s values; ``shared`` when it
    is ``array``'s own memory (NumPy; torch on the CPU), so that writing it updates ``array``."""
    memory = _backend.namespace(array).host_memory(array)
    host = _backend.to_numpy(array)
    shared, fresh = memory == "shared", memory == "fresh"
    if not (host.flags.c_contiguous and host.flags.writeable) or not (shared or fresh):
        return host.copy(), False  # ndarray.copy() is C order; never write a library's own memory
    return host, shared


def _back(host: Any, like: Any) -> Any:
    """The NumPy array ``host`` on ``like``'s library and device."""
    xp = _backend.namespace(like)
    return _backend.move(host, xp, _backend.device(like))


def _use_nccl(g: ProcessGroup, array: Any) -> bool:
    return g.nccl is not None and _backend.library(_backend.namespace(array)) == "cupy"


def _mpi_op(op: Any) -> Any:
    MPI = _mpi()
    op = ReduceOp(op.value if isinstance(op, ReduceOp) else op)
    return {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.MAX: MPI.MAX,
            ReduceOp.MIN: MPI.MIN, ReduceOp.PRODUCT: MPI.PROD}[op]


def _check_op(op: Any, array: Any) -> ReduceOp:
    try:
        op = ReduceOp(op.value if isinstance(op, ReduceOp) else op)
    except ValueError:
        raise ValueError(f"all_reduce: unknown op {op!r}: use ReduceOp.SUM, AVG, MAX, MIN or "
                         f"PRODUCT") from None
    if op is ReduceOp.AVG and not _dtypes.is_floating(array.dtype):
        raise TypeError(f"all_reduce(op=ReduceOp.AVG) needs a floating tensor, got {array.dtype}: "
                        f"use ReduceOp.SUM and divide by get_world_size()")
    return op


def all_reduce(tensor: Any, op: Any = ReduceOp.SUM, group: Any = None, async_op: bool = False) -> None:
    """Combine ``tensor`` over all ranks, in place: every rank ends with the same result.

    ``op``: ``ReduceOp.SUM`` (default), ``AVG`` (floating tensors), ``MAX``, ``MIN``,
    ``PRODUCT``. The same call must be made on every rank with tensors of one
    shape and dtype (MPI's rule; a mismatch is undefined). Returns None
    (``async_op`` is accepted; the call always completes before returning).
    Raises RuntimeError without a process group, TypeError for AVG on integers.
    """
    g = world()
    array = _native(tensor, "all_reduce")
    op = _check_op(op, array)
    if g.size == 1:
        return
    if _use_nccl(g, array):
        result = g.nccl.all_reduce(array, op.value)
    else:
        host, shared = _staged(array)
        g.comm.Allreduce(_mpi().IN_PLACE, host, op=_mpi_op(op))
        if op is ReduceOp.AVG:
            host /= g.size
        result = array if shared else _back(host, array)
    _store(tensor, array, result)


def broadcast(tensor: Any, src: int = 0, group: Any = None, async_op: bool = False) -> None:
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every other rank, in place.

    Every rank passes a tensor of the same shape and dtype. ValueError for a
    ``src`` outside ``0..world_size-1``.

    Args:
        tensor: a Tensor or array, the same shape and dtype on every rank; overwritten on
            the ranks other than ``src``.
        src: the rank whose values are sent.
        group: accepted for torch programs; the one group is the world.
        async_op: accepted; the call always completes before returning.

    Raises:
        RuntimeError: there is no process group.
        ValueError: ``src`` is not a rank.
    """
    g = world()
    array = _native(tensor, "broadcast")
    if not isinstance(src, int) or not 0 <= src < g.size:
        raise ValueError(f"broadcast: src={src!r} is not a rank of this group (0..{g.size - 1})")
    if g.size == 1:
        return
    if _use_nccl(g, array):
        result = g.nccl.broadcast(array, src)
    else:
        host, shared = _staged(array)
        g.comm.Bcast(host, root=src)
        result = array if shared else _back(host, array)
    _store(tensor, array, result)


def all_gather(tensor_list: list[Any], tensor: Any, group: Any = None, async_op: bool = False) -> None:
    """Every rank's ``tensor``, in rank order, into ``tensor_list`` (one tensor per rank, each of
    ``tensor``'s shape and dtype), in place as torch.

    ValueError when ``tensor_list`` does not hold ``world_size`` tensors of ``tensor``'s shape.

    Args:
        tensor_list: ``world_size`` Tensors (or arrays) of ``tensor``'s shape and dtype,
            overwritten.
        tensor: this rank's Tensor or array.
        group: accepted for torch programs; the one group is the world.
        async_op: accepted; the call always completes before returning.

    Raises:
        RuntimeError: there is no process group.
        ValueError: ``tensor_list`` has the wrong length or shapes.
    """
    g = world()
    array = _native(tensor, "all_gather")
    targets = [_native(t, "all_gather's tensor_list") for t in tensor_list]
    if len(targets) != g.size:
        raise ValueError(f"all_gather: tensor_list holds {len(targets)} tensors; it needs one per "
                         f"rank: {g.size} (world size)")
    for i, t in enumerate(targets):
        if tuple(t.shape) != tuple(array.shape):
            raise ValueError(f"all_gather: tensor_list[{i}] has shape {tuple(t.shape)}, the tensor "
                             f"{tuple(array.shape)}: they must match")
    if _use_nccl(g, array):
        parts = g.nccl.all_gather(array)
    else:
        host, _ = _staged(array)
        gathered = _backend.numpy_xp.empty((g.size, *host.shape), dtype=host.dtype, device="cpu")
        g.comm.Allgather(host, gathered)
        parts = [_back(gathered[i], array) for i in range(g.size)]
    for target, original, part in zip(tensor_list, targets, parts):
        _store(target, original, part)


def all_gather_object(object_list: list[Any], obj: Any, group: Any = None) -> None:
    """Every rank's picklable ``obj``, in rank order, into ``object_list`` (of world_size items).

    For small metadata (names, shapes, flags): the objects are pickled. Arrays go
    through :func:`all_gather`. ValueError when ``object_list`` is not world_size long.

    Args:
        object_list: a list of ``world_size`` items, overwritten.
        obj: this rank's picklable object.
        group: accepted for torch programs; the one group is the world.

    Raises:
        RuntimeError: there is no process group.
        ValueError: ``object_list`` is not ``world_size`` long.
    """
    g = world()
    if len(object_list) != g.size:
        raise ValueError(f"all_gather_object: object_list holds {len(object_list)} items; it needs "
                         f"one per rank: {g.size} (world size)")
    object_list[:] = g.comm.allgather(obj)


__all__ = ["ReduceOp", "all_gather", "all_gather_object", "all_reduce", "broadcast"]
