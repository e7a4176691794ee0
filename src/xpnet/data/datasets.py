"""Small data sets that need no download, and a seeded train/test split.

Each returns ``(x, y)``: features ``x`` of shape (N, features) (float32 by
default) and targets ``y``, made on the host and put on ``device`` (default:
NumPy cpu). The toy sets are drawn from their own ``seed``, so they are the
same whatever ``xn.manual_seed`` says.
"""

from __future__ import annotations

import math
import random
from typing import Any

from .. import _backend, _dtypes
from .loader import columns, take_rows

_np = _backend.numpy_xp  # host arrays are built with the Array API namespace of NumPy


def _place(values: Any, device: Any, dtype: Any) -> Any:
    """Host values (lists or a NumPy array) as an array of ``dtype`` on ``device``."""
    xp, dev = _backend.resolve(device)
    host = _np.asarray(values, dtype=_dtypes.resolve(dtype, _np))
    return _backend.move(host, xp, dev)


def xor(device: Any = None, dtype: Any = "float32") -> tuple[Any, Any]:
    """The four XOR samples: ``x`` (4, 2) in {0, 1}, ``y`` (4, 1) = ``x1 xor x2`` (as floats).

    ``device``: where the arrays are made (None: NumPy on the CPU; any ``device=`` xpnet
    accepts); ``dtype``: the features' dtype (default float32; the targets too).
    """
    x = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    y = [[0.0], [1.0], [1.0], [0.0]]
    return _place(x, device, dtype), _place(y, device, dtype)


def spirals(n: int = 1000, classes: int = 2, noise: float = 0.03, turns: float = 1.5, seed: int = 0,
            device: Any = None, dtype: Any = "float32") -> tuple[Any, Any]:
    """``classes`` interleaved spiral arms in the plane.

    Returns ``x`` (n, 2) points within about the unit disc and ``y`` (n,) int64
    labels ``0..classes-1`` (``n // classes`` per arm, the remainder to the first arms).

    ``noise``: the standard deviation of the Gaussian noise added to each coordinate;
    ``turns``: how many turns each arm makes; ``seed``: the seed of the draw (Python's
    ``random``, so the same points on every backend). ``device``: where the arrays are made
    (None: NumPy on the CPU; any ``device=`` xpnet accepts); ``dtype``: the features' dtype
    (default float32; labels are int64).
    """
    _check_count(n, "n", 1)
    _check_count(classes, "classes", 2)
    rng = random.Random(seed)
    points, labels = [], []
    for k in range(classes):
        count = n // classes + (1 if k < n % classes else 0)
        for i in range(count):
            t = (i + 0.5) / count  # 0 .. 1 along the arm
            angle = 2.0 * math.pi * (turns * t + k / classes)
            radius = 0.1 + 0.9 * t
            points.append([radius * math.cos(angle) + rng.gauss(0.0, noise),
                           radius * math.sin(angle) + rng.gauss(0.0, noise)])
            labels.append(k)
    return _place(points, device, dtype), _place(labels, device, "int64")


def moons(n: int = 1000, noise: float = 0.1, seed: int = 0, device: Any = None,
          dtype: Any = "float32") -> tuple[Any, Any]:
    """Two interleaving half circles (scikit-learn's ``make_moons``).

    Returns ``x`` (n, 2) and ``y`` (n,) int64 in {0, 1}: the upper moon is 0.

    ``noise``: the standard deviation of the Gaussian noise added to each coordinate;
    ``seed``: the seed of the draw (Python's ``random``, so the same points on every backend).
    ``device``: where the arrays are made (None: NumPy on the CPU; any ``device=`` xpnet
    accepts); ``dtype``: the features' dtype (default float32; labels are int64).
    """
    _check_count(n, "n", 2)
    rng = random.Random(seed)
    points, labels = [], []
    for label, count in ((0, n - n // 2), (1, n // 2)):
        for i in range(count):
            theta = math.pi * i / max(count - 1, 1)
            x0, x1 = (math.cos(theta), math.sin(theta)) if label == 0 else \
                (1.0 - math.cos(theta), 0.5 - math.sin(theta))
            points.append([x0 + rng.gauss(0.0, noise), x1 + rng.gauss(0.0, noise)])
            labels.append(label)
    return _place(points, device, dtype), _place(labels, device, "int64")


def digits(device: Any = None, dtype: Any = "float32") -> tuple[Any, Any]:
    """The 1797 8x8 handwritten digits that ship with scikit-learn (no download).

    Returns ``x`` (1797, 64) pixel intensities scaled to [0, 1] and ``y`` (1797,) int64 in 0..9.
    Needs scikit-learn: ``pip install "xpnet[datasets]"``.

    ``device``: where the arrays are made (None: NumPy on the CPU; any ``device=`` xpnet
    accepts); ``dtype``: the features' dtype (default float32; labels are int64).
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ImportError(
            "xn.data.digits() needs scikit-learn, which ships the 8x8 digits data set: "
            'pip install "xpnet[datasets]" (or pip install scikit-learn)') from None
    bunch = load_digits()
    return _place(bunch.data / 16.0, device, dtype), _place(bunch.target, device, "int64")


def train_test_split(*arrays: Any, test_size: float | int = 0.25, shuffle: bool = True,
                     seed: int = 0) -> list[Any]:
    """Split arrays (same rows, one device) into train and test rows, as scikit-learn does.

    ``x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2)``.
    ``test_size`` is a fraction in (0, 1) or a count of rows; the order is drawn
    from ``seed`` (the same split on every backend) and the rows are gathered on
    the arrays' own device. Tensors give Tensors.

    ``shuffle``: draw the order from ``seed`` (default; the test rows come first in it, as
    scikit-learn's ShuffleSplit); False keeps the rows in order, the last ``n_test`` rows
    being the test rows, as scikit-learn.
    """
    if not arrays:
        raise ValueError("train_test_split needs at least one array")
    _, items, xp, dev, n = columns(list(arrays), "train_test_split")
    if isinstance(test_size, float) and 0.0 < test_size < 1.0:
        n_test = math.ceil(test_size * n)
    elif isinstance(test_size, int) and not isinstance(test_size, bool) and 0 < test_size < n:
        n_test = test_size
    else:
        raise ValueError(f"train_test_split: test_size must be a fraction in (0, 1) or a row count "
                         f"in [1, {n - 1}], got {test_size!r}")
    if n - n_test < 1:
        raise ValueError(f"train_test_split: {n} rows leave none for training with test_size={test_size}")
    order = list(range(n))
    if shuffle:
        random.Random(seed).shuffle(order)
        test_rows, train_rows = order[:n_test], order[n_test:]
    else:  # scikit-learn: train = the first n - n_test rows, test = the rest
        train_rows, test_rows = order[:n - n_test], order[n - n_test:]
    train = xp.asarray(train_rows, dtype=xp.int64, device=dev)
    test = xp.asarray(test_rows, dtype=xp.int64, device=dev)
    out = []
    for item in items:
        out += [take_rows(item, xp, train), take_rows(item, xp, test)]
    return out


def _check_count(value: Any, name: str, least: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ValueError(f"{name} must be an int >= {least}, got {value!r}")
