"""``nn.parallel``: :class:`DistributedDataParallel` (data parallel over xpnet.distributed)."""

from .distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
