"""torch names and rules that used to differ, each against torch itself on every backend.

1. Ops whose result is a fraction (exp, log, sqrt, sigmoid, tanh, sin, ...) of an
   integer or bool tensor compute in the default float dtype, as torch; relu keeps ints.
2. ``xn.accelerator`` answers as ``torch.accelerator`` does on a machine without one.
3. ``xn.data.train_test_split(shuffle=False)`` puts the last rows in the test set,
   as scikit-learn.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import xpnet as xn

torch = pytest.importorskip("torch")

I64 = np.array([[1, 2, 3], [4, 9, 16]], dtype=np.int64)
I32 = np.array([1, 2, 5, 7], dtype=np.int32)
B = np.array([[True, False, True], [False, False, True]])
AT_ZERO = {"log", "rsqrt", "log2", "log10", "reciprocal"}  # infinite at 0 (NumPy warns)

FRACTIONS = ["exp", "log", "sqrt", "sigmoid", "tanh", "rsqrt", "sin", "cos", "tan", "log1p",
             "expm1", "log2", "log10", "reciprocal"]


def _same(got: Any, expected: Any, xp: Any) -> None:
    assert isinstance(got, xn.Tensor) and xp.same_place(got)
    assert got.dtype.name == str(expected.dtype).removeprefix("torch."), (got.dtype, expected.dtype)
    assert got.shape == tuple(expected.shape)
    np.testing.assert_allclose(xp.numpy(got), expected.numpy(), rtol=1e-6, atol=0)


@pytest.mark.parametrize("name", FRACTIONS)
@pytest.mark.parametrize("values", [I64, I32, B], ids=["int64", "int32", "bool"])
def test_fraction_of_integers_is_default_float(xp, name, values):
    if name in AT_ZERO and values is B:
        values = B | True
    expected = getattr(torch, name)(torch.from_numpy(values.copy()))
    _same(getattr(xn, name)(xp.tensor(values, values.dtype.name)), expected, xp)
    _same(getattr(xp.tensor(values, values.dtype.name), name)(), expected, xp)


@pytest.mark.parametrize("name", ["exp", "sqrt", "sigmoid"])
def test_fraction_of_integers_follows_set_default_dtype(xp, name):
    previous = xn.get_default_dtype()
    xn.set_default_dtype(xn.float64)
    torch_previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        expected = getattr(torch, name)(torch.from_numpy(I64.copy()))
        _same(getattr(xn, name)(xp.tensor(I64, "int64")), expected, xp)
    finally:
        xn.set_default_dtype(previous)
        torch.set_default_dtype(torch_previous)


def test_relu_keeps_integers_and_floats_keep_their_dtype(xp):
    ints = np.array([-2, 0, 3], dtype=np.int64)
    _same(xn.relu(xp.tensor(ints, "int64")), torch.relu(torch.from_numpy(ints)), xp)
    for dtype in ("float32", "float64"):
        x = np.array([0.5, 2.0], dtype=dtype)
        for name in ("exp", "log", "sqrt", "tanh", "sigmoid"):
            _same(getattr(xn, name)(xp.tensor(x, dtype)), getattr(torch, name)(torch.from_numpy(x)), xp)


def test_float_gradients_unchanged(xp):
    x = np.array([0.5, 2.0, 3.0])
    t = torch.from_numpy(x.copy()).requires_grad_()
    (t.exp() + t.log() + t.sqrt()).sum().backward()
    ours = xp.tensor(x, "float64", requires_grad=True)
    (ours.exp() + ours.log() + ours.sqrt()).sum().backward()
    np.testing.assert_allclose(xp.numpy(ours.grad), t.grad.numpy(), rtol=1e-12)


# -- accelerator ---------------------------------------------------------------------------
ACCELERATOR = ["current_accelerator", "current_device_index", "device_count", "is_available",
               "set_device_index", "synchronize"]


def test_accelerator_names_exist_in_torch_and_answer_alike():
    for name in ACCELERATOR:
        assert hasattr(torch.accelerator, name) and hasattr(xn.accelerator, name), name
    assert set(ACCELERATOR) == set(xn.accelerator.__all__)
    if xn.accelerator.is_available():
        assert xn.accelerator.current_accelerator() == "cuda"
        assert xn.accelerator.device_count() == xn.cuda.device_count() >= 1
        assert xn.accelerator.current_device_index() == xn.cuda.current_device()
        xn.accelerator.synchronize()
        return
    # torch here is a CPU build: both say "none", and the GPU-only calls raise the same error
    assert xn.accelerator.is_available() is torch.accelerator.is_available() is False
    assert xn.accelerator.current_accelerator() is torch.accelerator.current_accelerator() is None
    assert xn.accelerator.device_count() == torch.accelerator.device_count() == 0
    for call in (lambda lib: lib.accelerator.current_device_index(),
                 lambda lib: lib.accelerator.synchronize(),
                 lambda lib: lib.accelerator.set_device_index(0)):
        with pytest.raises(RuntimeError):
            call(torch)
        with pytest.raises(RuntimeError, match="none is available"):
            call(xn)


def test_accelerator_picks_a_device_a_program_can_use(xp):
    device = xn.accelerator.current_accelerator() or "cpu"
    x = xn.zeros(2, device=device)
    assert str(x.device).startswith(str(device))


# -- train_test_split ----------------------------------------------------------------------
@pytest.mark.parametrize("test_size", [0.25, 0.5, 3, 0.1])
def test_train_test_split_without_shuffle_matches_sklearn(xp, test_size):
    sklearn = pytest.importorskip("sklearn.model_selection")
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10, dtype=np.int64)
    expected = sklearn.train_test_split(x, y, test_size=test_size, shuffle=False)
    got = xn.data.train_test_split(xp.array(x), xp.array(y, "int64"), test_size=test_size,
                                   shuffle=False)
    assert len(got) == len(expected) == 4
    for g, e in zip(got, expected):
        np.testing.assert_array_equal(xp.numpy(g), e)


def test_train_test_split_shuffled_sizes_match_sklearn(xp):
    sklearn = pytest.importorskip("sklearn.model_selection")
    x = np.arange(11, dtype=np.float32)
    for test_size in (0.25, 0.3, 4):
        expected = sklearn.train_test_split(x, test_size=test_size, random_state=0)
        got = xn.data.train_test_split(xp.array(x), test_size=test_size, seed=0)
        assert [a.shape[0] for a in got] == [a.shape[0] for a in expected]
        rows = np.concatenate([xp.numpy(a) for a in got])
        np.testing.assert_array_equal(np.sort(rows), x)  # every row once
