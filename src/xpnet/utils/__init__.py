"""``xpnet.utils``: torch.utils's import path for data loading (:mod:`xpnet.utils.data`)."""

from . import data

__all__ = ["data"]
