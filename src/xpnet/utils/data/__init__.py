"""torch.utils.data's names: datasets, samplers, ``DataLoader`` and ``default_collate``.

>>> from xpnet.utils.data import DataLoader, TensorDataset
>>> loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True)
>>> for xb, yb in loader:       # xb: (64, features), yb: (64,), on x's device
...     ...

A ``TensorDataset`` (or a ``Subset`` of one) is batched as whole arrays: each
batch is one gather of rows on the data's device (:mod:`xpnet.data`'s loader),
with no Python loop over samples. Any other map-style dataset (a class with
``__getitem__`` and ``__len__``) goes sample by sample through ``collate_fn``
(``default_collate`` stacks Tensors, arrays and numbers into Tensors, and
recurses into tuples, lists and dicts, as torch's does).
"""

from .collate import default_collate, default_convert
from .dataloader import DataLoader
from .dataset import ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset, random_split
from .distributed import DistributedSampler
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler

__all__ = ["BatchSampler", "ConcatDataset", "DataLoader", "Dataset", "IterableDataset", "RandomSampler",
           "DistributedSampler", "Sampler", "SequentialSampler", "Subset", "SubsetRandomSampler",
           "TensorDataset", "default_collate", "default_convert", "random_split"]
