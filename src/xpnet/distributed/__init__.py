"""Data-parallel training across processes: torch.distributed's names, on MPI and NCCL.

Launch one process per core (or per GPU) with MPI, and let each join the group::

    # mpiexec -n 4 python train.py
    import xpnet.distributed as dist
    dist.init_process_group("mpi")            # "nccl" for CuPy arrays, one GPU per rank
    model = nn.parallel.DistributedDataParallel(model)
    sampler = xpnet.utils.data.distributed.DistributedSampler(dataset)
    ...
    dist.destroy_process_group()

The engines are MPI through ``mpi4py`` (``pip install "xpnet[distributed]"``)
and NCCL through CuPy; xpnet adds no communication layer of its own. NumPy
buffers travel without pickling; other arrays are staged through host NumPy
(see :mod:`xpnet.distributed._collectives`). docs/distributed.md has the whole story.
"""

from ._collectives import ReduceOp, all_gather, all_gather_object, all_reduce, broadcast
from ._group import (
    barrier,
    destroy_process_group,
    get_backend,
    get_node_local_rank,
    get_rank,
    get_world_size,
    init_process_group,
    is_available,
    is_initialized,
)

__all__ = ["ReduceOp", "all_gather", "all_gather_object", "all_reduce", "barrier", "broadcast",
           "destroy_process_group", "get_backend", "get_node_local_rank", "get_rank",
           "get_world_size", "init_process_group", "is_available", "is_initialized"]
