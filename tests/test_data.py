"""xpnet.data: DataLoader batches stay on their device; datasets; seeded train/test split."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import xpnet as xn
from xpnet.data import DataLoader


def _rows(xp, n=10, features=3):
    x = xp.array(np.arange(n * features, dtype="float32").reshape(n, features))
    y = xp.array(np.arange(n), dtype="int64")
    return x, y


def test_batches_cover_every_row_in_order_on_the_device(xp):
    x, y = _rows(xp)
    loader = DataLoader((x, y), batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and [b[0].shape for b in batches] == [(4, 3), (4, 3), (2, 3)]
    assert all(xp.same_place(xb) and xp.same_place(yb) for xb, yb in batches)
    assert type(batches[0][0]) is type(x)  # native arrays in, native arrays out
    np.testing.assert_array_equal(np.concatenate([xp.numpy(b[0]) for b in batches]), xp.numpy(x))


def test_tensors_give_tensors_and_dicts_give_dicts(xp):
    x, y = _rows(xp)
    (xb,) = list(DataLoader(xp.tensor(xp.numpy(x)), batch_size=10))
    assert isinstance(xb, xn.Tensor) and xp.same_place(xb) and not xb.requires_grad
    batch = next(iter(DataLoader({"x": x, "y": y}, batch_size=3)))
    assert set(batch) == {"x", "y"} and batch["x"].shape == (3, 3)


def test_drop_last_and_len(xp):
    x, _ = _rows(xp)
    loader = DataLoader(x, batch_size=4, drop_last=True)
    assert len(loader) == 2 and [b.shape[0] for b in loader] == [4, 4]
    assert len(DataLoader(x, batch_size=20, drop_last=True)) == 0


def test_shuffle_keeps_rows_aligned_and_is_reproducible(xp):
    x, y = _rows(xp, n=50)

    def epoch():
        return [(xp.numpy(xb), xp.numpy(yb)) for xb, yb in DataLoader((x, y), 8, shuffle=True)]

    xn.manual_seed(3)
    first, second = epoch(), epoch()
    xn.manual_seed(3)
    again = epoch()
    order = np.concatenate([yb for _, yb in first])
    assert sorted(order.tolist()) == list(range(50)) and order.tolist() != list(range(50))
    for xb, yb in first:  # each x row still belongs to its y
        np.testing.assert_array_equal(xb[:, 0], yb * 3)
    assert all((a[1] == b[1]).all() for a, b in zip(first, again))
    assert np.concatenate([yb for _, yb in second]).tolist() != order.tolist()


def test_arrays_of_different_lengths_are_an_error(xp):
    x, y = _rows(xp)
    with pytest.raises(ValueError, match=r"different lengths \(0: 10, 1: 9 rows\)"):
        DataLoader((x, y[:9]))


def test_arrays_on_different_devices_are_an_error():
    strict = pytest.importorskip("array_api_strict")
    a = strict.asarray(np.ones((4, 2), dtype="float32"))
    b = strict.asarray(np.ones(4, dtype="float32"), device=strict.Device("device1"))
    with pytest.raises(ValueError, match=r"different devices.*to_device"):
        DataLoader((a, b))
    with pytest.raises(ValueError, match="different devices"):
        DataLoader((np.ones((4, 2)), a))


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_batch_size_must_be_a_positive_int(bad):
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        DataLoader(np.ones((4, 2)), batch_size=bad)


def test_lists_are_refused_with_a_fix():
    with pytest.raises(TypeError, match=r"xn.tensor"):
        DataLoader([[1.0, 2.0], [3.0, 4.0]])


def test_to_device_moves_arrays_tuples_and_dicts(xp):
    data = {"x": np.ones((2, 3), dtype="float32"), "pair": (np.zeros(2, dtype="int64"), "label"),
            "t": xn.tensor([1.0, 2.0])}
    moved = xn.data.to_device(data, xp.device)
    assert xp.same_place(moved["x"]) and xp.same_place(moved["pair"][0]) and xp.same_place(moved["t"])
    assert moved["pair"][1] == "label" and isinstance(moved["t"], xn.Tensor)
    back = xn.data.to_device(moved, "numpy")
    assert isinstance(back["x"], np.ndarray) and back["x"].dtype == np.float32


def test_toy_datasets_shapes_dtypes_and_device(xp):
    x, y = xn.data.xor(device=xp.device)
    assert x.shape == (4, 2) and y.shape == (4, 1) and xp.same_place(x)
    assert xp.numpy(y).ravel().tolist() == [0, 1, 1, 0]
    x, y = xn.data.spirals(101, classes=3, device=xp.device)
    assert x.shape == (101, 2) and y.shape == (101,) and xp.same_place(y)
    assert np.bincount(xp.numpy(y)).tolist() == [34, 34, 33] and xp.numpy(x).dtype == np.float32
    x, y = xn.data.moons(60, device=xp.device)
    assert x.shape == (60, 2) and sorted(set(xp.numpy(y).tolist())) == [0, 1]


def test_toy_datasets_follow_their_seed_not_the_global_one():
    xn.manual_seed(1)
    a = xn.data.moons(50, seed=4)[0]
    xn.manual_seed(2)
    np.testing.assert_array_equal(a, xn.data.moons(50, seed=4)[0])
    assert not np.array_equal(a, xn.data.moons(50, seed=5)[0])


def test_digits(xp):
    pytest.importorskip("sklearn", reason="scikit-learn (xpnet[datasets]) not installed")
    x, y = xn.data.digits(device=xp.device)
    assert x.shape == (1797, 64) and y.shape == (1797,) and xp.same_place(x)
    host = xp.numpy(x)
    assert host.min() == 0.0 and host.max() == 1.0 and sorted(set(xp.numpy(y).tolist())) == list(range(10))


def test_digits_without_scikit_learn_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=r"xpnet\[datasets\]"):
        xn.data.digits()


def test_train_test_split_is_seeded_disjoint_and_the_same_everywhere(xp):
    x, y = _rows(xp, n=20)
    x_train, x_test, y_train, y_test = xn.data.train_test_split(x, y, test_size=0.25, seed=7)
    assert x_train.shape == (15, 3) and y_test.shape == (5,) and xp.same_place(x_test)
    train, test = xp.numpy(y_train).tolist(), xp.numpy(y_test).tolist()
    assert sorted(train + test) == list(range(20))
    np.testing.assert_array_equal(xp.numpy(x_test)[:, 0], np.array(test) * 3)
    reference = xn.data.train_test_split(np.arange(20), test_size=0.25, seed=7)
    assert test == reference[1].tolist()  # the same rows on every backend
    assert xn.data.train_test_split(np.arange(20), test_size=5, seed=8)[1].tolist() != test


def test_train_test_split_checks_its_arguments():
    with pytest.raises(ValueError, match="test_size"):
        xn.data.train_test_split(np.arange(10), test_size=1.5)
    with pytest.raises(ValueError, match="different lengths"):
        xn.data.train_test_split(np.arange(10), np.arange(9))
    t = xn.data.train_test_split(xn.tensor([[1.0], [2.0], [3.0], [4.0]]), test_size=1)
    assert all(isinstance(part, xn.Tensor) for part in t)
