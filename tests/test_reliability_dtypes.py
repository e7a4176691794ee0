"""Complex, object, string and other non-numeric dtypes are refused where data comes in."""

from __future__ import annotations

import numpy as np
import pytest

import xpnet as xn
from xpnet import functional as F
from xpnet import nn

DOORS = {
    "xn.tensor": xn.tensor,
    "xn.asarray": xn.asarray,
    "Tensor(...)": xn.Tensor,
    "Linear": lambda a: nn.Linear(2, 1)(a),
    "MSELoss": lambda a: nn.MSELoss()(a, a),
    "F.relu": F.relu,
    "F.add": lambda a: F.add(a, 1.0),
}


@pytest.mark.parametrize("door", sorted(DOORS))
@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_complex_is_refused_at_every_door(xp, door, dtype):
    z = xp.array([[1 + 2j, 3 - 1j]], dtype=dtype)
    with pytest.raises(TypeError, match=rf"{dtype}.*real numbers.*z\.real, z\.imag"):
        DOORS[door](z)


NON_NUMERIC = {
    "object with None": (np.array([1, None]), "object.*replace None by a number"),
    "object ragged": (np.array([[1.0], [1.0, 2.0]], dtype=object), "object"),
    "strings": (np.array(["1.0", "2.0"]), "<U3.*parse the strings"),
    "bytes": (np.array([b"a"]), "S1.*parse the strings"),
    "datetime": (np.array(["2026-01-01"], dtype="datetime64[D]"), "datetime64"),
}


# NumPy alone holds these dtypes (torch and array-api-strict cannot make such arrays).
@pytest.mark.parametrize("door", sorted(DOORS))
@pytest.mark.parametrize("case", sorted(NON_NUMERIC))
def test_non_numeric_numpy_arrays_are_refused_at_every_door(door, case):
    data, pattern = NON_NUMERIC[case]
    with pytest.raises(TypeError, match=pattern):
        DOORS[door](data)


def test_tensor_of_an_object_array_raises_as_torch(torch):
    data = np.array([1, None])
    with pytest.raises(TypeError):
        torch.tensor(data)
    with pytest.raises(TypeError, match="object"):
        xn.tensor(data)  # it used to build an object tensor whose .dtype then raised


@pytest.mark.parametrize("value", [[1, None], [1 + 2j], ["a"]])
def test_python_data_that_is_not_numbers_says_what_to_do(value):
    with pytest.raises(TypeError, match=r"cannot make a tensor from (NoneType|complex|str): "):
        xn.tensor(value)


@pytest.mark.parametrize("dtype", ["bool", "int8", "int32", "int64", "uint8", "float32", "float64"])
def test_bool_integer_and_float_stay_allowed(xp, dtype):
    data = xp.array([1, 0, 1], dtype=dtype)
    for door in (xn.tensor, xn.asarray, xn.Tensor):
        t = door(data)
        assert t.dtype == dtype
        np.testing.assert_array_equal(xp.numpy(t), np.array([1, 0, 1], dtype=dtype))


def test_integer_input_to_a_float_layer_still_works(xp):
    out = nn.Linear(2, 1).to(xp.device)(xp.array([[1, 2]], dtype="int64"))
    assert out.dtype == xn.float32


def test_setting_data_to_a_complex_array_is_refused(xp):
    t = xp.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match=r"Tensor\.data = .*complex64"):
        t.data = xp.array([1j, 2j], dtype="complex64")
    np.testing.assert_array_equal(xp.numpy(t), [1.0, 2.0])  # unchanged
