"""Data for training: minibatches that stay on their device, and small built-in data sets.

>>> x, y = xn.data.spirals(1000, classes=3, device="cuda")
>>> x_train, x_test, y_train, y_test = xn.data.train_test_split(x, y, test_size=0.2)
>>> for xb, yb in xn.data.DataLoader((x_train, y_train), batch_size=64, shuffle=True):
...     ...
"""

from .datasets import digits, moons, spirals, train_test_split, xor
from .loader import DataLoader, to_device

__all__ = ["DataLoader", "digits", "moons", "spirals", "to_device", "train_test_split", "xor"]
