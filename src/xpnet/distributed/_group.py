"""The process group: which process this is, how many there are, and the engine between them.

There is one group per process (the world), made by :func:`init_process_group`
from what the MPI launcher (``mpiexec``, ``srun``) gave the process: ranks are
MPI's ranks. The engine is MPI through ``mpi4py`` (``backend="mpi"``), or NCCL
through CuPy for CuPy arrays (``backend="nccl"``, its communicator bootstrapped
over MPI, as ChainerMN did; everything else still goes through MPI).

Faults: while a group of more than one process is up, an uncaught exception
on any rank prints that rank's traceback and calls ``MPI.COMM_WORLD.Abort(1)``,
which ends every rank with a non-zero exit within seconds -- the others would
otherwise wait forever in their next collective.
"""

from __future__ import annotations

import sys
import traceback
from types import TracebackType
from typing import Any

BACKENDS = ("mpi", "nccl")


class ProcessGroup:
    """The world: ``rank``, ``size``, the MPI communicator and, for NCCL, its communicator."""

    def __init__(self, backend: str, comm: Any, nccl: Any) -> None:
        self.backend = backend
        self.comm = comm  # mpi4py's COMM_WORLD (a duplicate: our traffic never meets the user's)
        self.rank: int = comm.Get_rank()
        self.size: int = comm.Get_size()
        local = comm.Split_type(_mpi().COMM_TYPE_SHARED)  # the ranks of this machine
        self.local_rank: int = local.Get_rank()
        local.Free()
        self.nccl = nccl  # a distributed._nccl.Nccl, or None


_WORLD: list[ProcessGroup | None] = [None]
_HOOK: list[Any] = [None]  # the sys.excepthook we replaced


def _mpi() -> Any:
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise RuntimeError(
            "xpnet.distributed needs mpi4py and an MPI library: pip install \"xpnet[distributed]\" "
            "(mpi4py and the mpich wheel), then launch with mpiexec -n 2 python train.py "
            f"({type(exc).__name__}: {exc})") from None
    return MPI


def init_process_group(backend: str = "mpi", init_method: Any = None, timeout: Any = None,
                       world_size: int = -1, rank: int = -1, store: Any = None,
                       group_name: str = "", pg_options: Any = None, device_id: Any = None) -> None:
    """Join the group of processes started by the MPI launcher (``mpiexec -n 4 python train.py``).

    Args:
        backend: ``"mpi"`` (CPU arrays; CuPy arrays staged through the host) or
            ``"nccl"`` (CuPy arrays through NCCL, one GPU per rank: rank ``r`` of a
            machine uses GPU ``r`` of it; other arrays through MPI).
        world_size: accepted as in torch; if given (not -1) it must equal the
            launcher's number of processes (ValueError otherwise).
        rank: accepted as in torch; if given (not -1) it must equal the launcher's
            rank of this process (ValueError otherwise).

    ``init_method``, ``timeout``, ``store``, ``group_name``, ``pg_options``, ``device_id``:
    accepted for torch programs, unused (MPI knows the processes).

    Raises RuntimeError when already initialized, or when mpi4py is missing;
    ValueError for an unknown backend.
    """
    if _WORLD[0] is not None:
        raise RuntimeError("init_process_group() was already called in this process: call "
                           "destroy_process_group() first to make a new group")
    name = str(backend).lower()
    if name not in BACKENDS:
        raise ValueError(f"init_process_group: unknown backend {backend!r}: xpnet speaks "
                         f"{' and '.join(BACKENDS)} (gloo's place is taken by mpi)")
    MPI = _mpi()
    if not MPI.Is_initialized():
        MPI.Init()
    comm = MPI.COMM_WORLD.Dup()
    for given, actual, what in ((world_size, comm.Get_size(), "world_size"),
                                (rank, comm.Get_rank(), "rank")):
        if given not in (-1, None) and given != actual:
            comm.Free()
            raise ValueError(f"init_process_group: {what}={given}, but the MPI launcher says "
                             f"{actual}: leave it out (xpnet takes it from mpiexec)")
    nccl = None
    if name == "nccl":
        from ._nccl import Nccl

        nccl = Nccl(comm)
    _WORLD[0] = ProcessGroup(name, comm, nccl)
    if comm.Get_size() > 1 and _HOOK[0] is None:
        _HOOK[0] = sys.excepthook
        sys.excepthook = _abort_on_error


def _abort_on_error(kind: type[BaseException], value: BaseException,
                    tb: TracebackType | None) -> None:
    """sys.excepthook while a group is up: print this rank's error, then end every rank."""
    current = _WORLD[0]
    rank = "?" if current is None else current.rank
    text = "".join(traceback.format_exception(kind, value, tb))
    sys.stderr.write(f"xpnet.distributed: rank {rank} failed; aborting every rank\n{text}")
    sys.stderr.flush()
    sys.stdout.flush()
    _mpi().COMM_WORLD.Abort(1)


def world() -> ProcessGroup:
    """The world group; RuntimeError naming the fix when there is none."""
    world = _WORLD[0]
    if world is None:
        raise RuntimeError("xpnet.distributed: no process group: call "
                           "xpnet.distributed.init_process_group(\"mpi\") first (and launch the "
                           "program with mpiexec -n N)")
    return world


def is_available() -> bool:
    """Whether mpi4py (and so an MPI library) can be imported."""
    try:
        _mpi()
    except RuntimeError:
        return False
    return True


def is_initialized() -> bool:
    """Whether :func:`init_process_group` was called (and the group not destroyed since)."""
    return _WORLD[0] is not None


def get_rank(group: Any = None) -> int:
    """This process's rank, 0 to ``world_size - 1`` (RuntimeError without a group)."""
    return world().rank if group is None else group.rank


def get_world_size(group: Any = None) -> int:
    """The number of processes in the group (RuntimeError without a group)."""
    return world().size if group is None else group.size


def get_node_local_rank(fallback_rank: int | None = None) -> int:
    """This process's rank among the ranks of its machine: the GPU index to use, one rank per GPU.

    ``fallback_rank`` (torch's argument) is returned when there is no process group;
    without one either, RuntimeError.
    """
    if _WORLD[0] is None and fallback_rank is not None:
        return fallback_rank
    return world().local_rank


def get_backend(group: Any = None) -> str:
    """``"mpi"`` or ``"nccl"``.

    Args:
        group: None (the world), or a process group.

    Raises:
        RuntimeError: there is no process group.
    """
    return world().backend if group is None else group.backend


def barrier(group: Any = None, async_op: bool = False, device_ids: Any = None) -> None:
    """Wait until every rank has reached this call.

    Args:
        group: accepted for torch programs; the one group is the world.
        async_op: accepted; the call always completes before returning.
        device_ids: accepted for torch programs, unused.

    Raises:
        RuntimeError: there is no process group.
    """
    world().comm.Barrier()


def destroy_process_group(group: Any = None) -> None:
    """Leave the group (every rank calls it); the excepthook is restored. A no-op without a group."""
    world = _WORLD[0]
    if world is None:
        return
    if world.nccl is not None:
        world.nccl.destroy()
    world.comm.Free()
    _WORLD[0] = None
    if _HOOK[0] is not None:
        sys.excepthook = _HOOK[0]
        _HOOK[0] = None
