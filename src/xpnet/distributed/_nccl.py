"""NCCL through CuPy (``cupy.cuda.nccl``) for CuPy arrays: ``init_process_group("nccl")``.

UNVERIFIED: written against CuPy 14's ``cupy.cuda.nccl`` API (``get_unique_id``,
``NcclCommunicator(ndev, commId, rank)`` and its ``allReduce``, ``bcast``,
``allGather`` taking device pointers, counts, NCCL data types and a stream), but
no GPU was present where it was written: until a GPU run records it in
docs/distributed.md, treat this path as documented only.

The communicator is bootstrapped over MPI, as ChainerMN did: rank 0 makes the
unique id, MPI broadcasts it, each rank joins with its rank. Each rank uses the
GPU whose index is its rank among the ranks of its machine (MPI's shared-memory
split), so launch one rank per GPU. This is the one module outside
``_backend`` that imports CuPy: the NCCL bindings are CuPy's.
"""

from __future__ import annotations

from typing import Any

_TYPES = {"float16": "NCCL_FLOAT16", "float32": "NCCL_FLOAT32", "float64": "NCCL_FLOAT64",
          "int32": "NCCL_INT32", "int64": "NCCL_INT64", "uint8": "NCCL_UINT8", "int8": "NCCL_INT8"}
_OPS = {"sum": "NCCL_SUM", "avg": "NCCL_SUM", "max": "NCCL_MAX", "min": "NCCL_MIN",
        "product": "NCCL_PROD"}


class Nccl:
    """One NCCL communicator over the ranks of ``comm`` (an mpi4py communicator)."""

    def __init__(self, comm: Any) -> None:
        try:
            import cupy
            from cupy.cuda import nccl
        except ImportError as exc:
            raise RuntimeError(f"init_process_group(\"nccl\") needs CuPy with NCCL: pip install "
                               f"\"xpnet[cuda,distributed]\" ({type(exc).__name__}: {exc})") from None
        if not getattr(nccl, "available", True) or not hasattr(nccl, "NcclCommunicator"):
            raise RuntimeError("init_process_group(\"nccl\"): this CuPy has no NCCL (cupy.cuda.nccl is "
                               "not available): install NCCL for your CUDA, or use backend=\"mpi\"")
        self.cupy, self.nccl, self.size = cupy, nccl, comm.Get_size()
        from mpi4py import MPI

        local = comm.Split_type(MPI.COMM_TYPE_SHARED)  # as get_node_local_rank()
        self.device = local.Get_rank()
        local.Free()
        count = cupy.cuda.runtime.getDeviceCount()
        if self.device >= count:
            raise RuntimeError(f"init_process_group(\"nccl\"): local rank {self.device} has no GPU "
                               f"(this machine has {count}): launch at most one rank per GPU")
        cupy.cuda.Device(self.device).use()
        uid = nccl.get_unique_id() if comm.Get_rank() == 0 else None
        uid = comm.bcast(uid, root=0)  # a small tuple of bytes: the only pickled message
        self.comm = nccl.NcclCommunicator(self.size, uid, comm.Get_rank())

    def _type(self, array: Any) -> int:
        name = _TYPES.get(str(array.dtype))
        if name is None:
            raise TypeError(f"NCCL cannot reduce dtype {array.dtype}: use one of {', '.join(_TYPES)}")
        return int(getattr(self.nccl, name))

    def _stream(self) -> int:
        return int(self.cupy.cuda.get_current_stream().ptr)

    def _contiguous(self, array: Any) -> Any:
        return array if array.flags.c_contiguous else self.cupy.ascontiguousarray(array)

    def all_reduce(self, array: Any, op: str) -> Any:
        """``op`` over the ranks into a contiguous array (``array`` itself when contiguous)."""
        buf = self._contiguous(array)
        self.comm.allReduce(buf.data.ptr, buf.data.ptr, buf.size, self._type(buf),
                            int(getattr(self.nccl, _OPS[op])), self._stream())
        if op == "avg":
            buf /= self.size
        return buf

    def broadcast(self, array: Any, src: int) -> Any:
        buf = self._contiguous(array)
        self.comm.bcast(buf.data.ptr, buf.size, self._type(buf), src, self._stream())
        return buf

    def all_gather(self, array: Any) -> list[Any]:
        buf = self._contiguous(array)
        out = self.cupy.empty((self.size, *buf.shape), dtype=buf.dtype)
        self.comm.allGather(buf.data.ptr, out.data.ptr, buf.size, self._type(buf), self._stream())
        return [out[i] for i in range(self.size)]

    def destroy(self) -> None:
        self.comm.destroy()
