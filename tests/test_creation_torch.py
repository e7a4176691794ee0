"""torch's creation functions on every backend: sizes, dtypes, values and places as torch's.

Deterministic creations (full, eye, linspace, *_like) are compared with torch's own
results; random ones with their laws (range, permutation, moments) and with
themselves under the same seed. Each result must live on the backend and device asked for.
"""

from __future__ import annotations

import numpy as np
import pytest

import xpnet as xn

torch = pytest.importorskip("torch")


def _same_dtype(t: xn.Tensor, expected: object) -> bool:
    return t.dtype.name == str(expected).removeprefix("torch.")


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_sizes_as_varargs_tuple_list_or_size_keyword(xp, name):
    make = getattr(xn, name)
    for t in (make(2, 3, device=xp.device), make((2, 3), device=xp.device),
              make([2, 3], device=xp.device), make(size=(2, 3), device=xp.device)):
        assert t.shape == (2, 3) and t.dtype == xn.float32 and xp.same_place(t)
    assert make(device=xp.device).shape == ()
    assert make(4, dtype=xn.float64, device=xp.device).array.dtype == xp.float64
    assert make(2, device=xp.device, requires_grad=True).requires_grad
    with pytest.raises(TypeError):
        make(2.5, device=xp.device)
    with pytest.raises(TypeError):
        getattr(torch, name)(2.5)


@pytest.mark.parametrize("fill", [3, 2.5, True, -1])
def test_full_infers_dtype_as_torch(xp, fill):
    t = xn.full((2, 3), fill, device=xp.device)
    expected = torch.full((2, 3), fill)
    assert _same_dtype(t, expected.dtype) and xp.same_place(t)
    np.testing.assert_array_equal(xp.numpy(t), expected.numpy())
    assert xn.full((2,), fill, dtype=xn.float64, device=xp.device).array.dtype == xp.float64


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
def test_like_functions_keep_dtype_and_place(xp, dtype):
    source = xp.tensor(np.arange(6).reshape(2, 3) % 2, dtype)
    reference = torch.from_numpy((np.arange(6).reshape(2, 3) % 2).astype(dtype))
    for name in ("zeros_like", "ones_like", "empty_like"):
        t = getattr(xn, name)(source)
        expected = getattr(torch, name)(reference)
        assert t.shape == (2, 3) and _same_dtype(t, expected.dtype) and xp.same_place(t), name
        if name != "empty_like":
            np.testing.assert_array_equal(xp.numpy(t), expected.numpy())
    for fill in (2.7, 1, False):
        t = xn.full_like(source, fill)
        expected = torch.full_like(reference, fill)
        assert _same_dtype(t, expected.dtype) and xp.same_place(t)
        np.testing.assert_array_equal(xp.numpy(t), expected.numpy())
    t = xn.zeros_like(source, dtype=xn.float64, requires_grad=True)
    assert t.array.dtype == xp.float64 and t.requires_grad and xp.same_place(t)


def test_like_functions_move_with_device(xp):
    t = xn.ones_like(xp.tensor([1.0, 2.0]), device="numpy")
    assert t.xp is xn.asarray(np.zeros(1)).xp and t.dtype == xn.float32
    with pytest.raises(TypeError, match="expects a Tensor"):
        xn.zeros_like([1, 2])


@pytest.mark.parametrize("n, m", [(3, None), (2, 4), (4, 2), (0, None)])
def test_eye(xp, n, m):
    t = xn.eye(n, device=xp.device) if m is None else xn.eye(n, m, device=xp.device)
    expected = torch.eye(n) if m is None else torch.eye(n, m)
    assert _same_dtype(t, expected.dtype) and xp.same_place(t)
    np.testing.assert_array_equal(xp.numpy(t), expected.numpy())
    assert xn.eye(2, dtype=xn.int64, device=xp.device).dtype == xn.int64


LINSPACE = [(0, 1, 5), (-np.pi, np.pi, 2000), (3, -2.5, 7), (0.1, 0.7, 11), (2, 3, 1), (2, 3, 0),
            (-1e-3, 1e4, 101)]


@pytest.mark.parametrize("start, end, steps", LINSPACE)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_linspace_equals_torch(xp, start, end, steps, dtype):
    """float32 (the default): bit for bit; float64: within an ulp of the range's scale (torch
    rounds a fused multiply-add once, which float64 arithmetic cannot reproduce exactly)."""
    t = xn.linspace(start, end, steps, dtype=dtype, device=xp.device)
    expected = torch.linspace(start, end, steps, dtype=getattr(torch, dtype))
    assert t.shape == (steps,) and _same_dtype(t, expected.dtype) and xp.same_place(t)
    if dtype == "float32":
        np.testing.assert_array_equal(xp.numpy(t), expected.numpy())
    else:
        scale = max(abs(start), abs(end))
        np.testing.assert_allclose(xp.numpy(t), expected.numpy(), rtol=0, atol=2.3e-16 * scale)


def test_linspace_defaults_and_integers(xp):
    assert xn.linspace(0, 1, 3, device=xp.device).dtype == xn.float32
    t = xn.linspace(0, 10, 5, dtype=xn.int64, device=xp.device)
    np.testing.assert_array_equal(xp.numpy(t), torch.linspace(0, 10, 5, dtype=torch.int64).numpy())
    with pytest.raises(RuntimeError):
        xn.linspace(0, 1, -1, device=xp.device)


@pytest.mark.parametrize("name", ["randn_like", "rand_like"])
def test_random_like(xp, name):
    source = xp.tensor(np.zeros((3, 4)), "float64")
    t = getattr(xn, name)(source)
    assert t.shape == (3, 4) and t.array.dtype == xp.float64 and xp.same_place(t)
    assert getattr(xn, name)(source, dtype=xn.float32).dtype == xn.float32
    values = xp.numpy(t)
    assert len(np.unique(values)) == 12
    if name == "rand_like":
        assert values.min() >= 0 and values.max() < 1
    with pytest.raises(TypeError, match="floating point"):
        getattr(xn, name)(xp.tensor([1, 2], "int64"))


def test_randint(xp):
    t = xn.randint(3, 7, (1000,), device=xp.device)
    expected = torch.randint(3, 7, (1000,))
    assert t.shape == (1000,) and _same_dtype(t, expected.dtype) and xp.same_place(t)
    assert set(np.unique(xp.numpy(t))) == {3, 4, 5, 6}
    t = xn.randint(5, size=(2, 3), device=xp.device)
    assert t.shape == (2, 3) and xp.numpy(t).min() >= 0 and xp.numpy(t).max() < 5
    assert xn.randint(0, 2, (4,), dtype=xn.int32, device=xp.device).dtype == xn.int32
    with pytest.raises(RuntimeError):
        torch.randint(3, 3, (2,))
    with pytest.raises(RuntimeError):
        xn.randint(3, 3, (2,), device=xp.device)


def test_randperm(xp):
    t = xn.randperm(50, device=xp.device)
    assert _same_dtype(t, torch.randperm(50).dtype) and xp.same_place(t)
    assert sorted(xp.numpy(t).tolist()) == list(range(50))
    assert xp.numpy(t).tolist() != list(range(50))
    assert xn.randperm(0, device=xp.device).shape == (0,)
    assert xn.randperm(4, dtype=xn.int32, device=xp.device).dtype == xn.int32


def test_random_draws_repeat_under_the_same_seed(xp):
    def draw():
        xn.manual_seed(11)
        return [xp.numpy(t) for t in (xn.randint(0, 100, (5,), device=xp.device),
                                      xn.randperm(7, device=xp.device),
                                      xn.normal(0.0, 1.0, (3,), device=xp.device),
                                      xn.randn_like(xp.tensor(np.zeros(3))))]

    for a, b in zip(draw(), draw()):
        np.testing.assert_array_equal(a, b)


def test_normal_overloads(xp):
    mean = xp.tensor(np.full((200, 100), 3.0))
    std = xp.tensor(np.full((100,), 0.5))
    wide_std = xp.tensor(np.full((200, 100), 0.5))
    for t in (xn.normal(mean, std), xn.normal(mean, 0.5), xn.normal(3.0, wide_std)):
        assert t.shape == (200, 100) and t.dtype == xn.float32 and xp.same_place(t)
        values = xp.numpy(t)
        assert abs(values.mean() - 3.0) < 0.02 and abs(values.std() - 0.5) < 0.02
    t = xn.normal(2.0, 3.0, (4, 5), device=xp.device)
    assert t.shape == (4, 5) and t.dtype == xn.float32 and xp.same_place(t)
    assert xn.normal(2.0, 3.0, size=(2,), dtype=xn.float64, device=xp.device).dtype == xn.float64
    with pytest.raises(TypeError, match="size"):
        xn.normal(0.0, 1.0)


def test_new_tensor_methods_follow_the_tensor(xp):
    base = xp.tensor(np.zeros(2), "float64")
    reference = torch.zeros(2, dtype=torch.float64)
    for name, args in (("new_zeros", (2, 3)), ("new_ones", ((2, 3),)), ("new_empty", (2, 3)),
                       ("new_full", ((2, 3), 1.5)), ("new_tensor", ([[1, 2, 3], [4, 5, 6]],))):
        t = getattr(base, name)(*args)
        expected = getattr(reference, name)(*args)
        assert t.shape == tuple(expected.shape) and _same_dtype(t, expected.dtype), name
        assert xp.same_place(t), name
        if name != "new_empty":
            np.testing.assert_array_equal(xp.numpy(t), expected.numpy())
    assert base.new_zeros(3, dtype=xn.int64).dtype == xn.int64
    assert base.new_ones(1, requires_grad=True).requires_grad


def test_from_numpy_shares_memory():
    host = np.arange(4, dtype=np.int32)
    t = xn.from_numpy(host)
    host[0] = 9
    assert t.dtype == xn.int32 and t.tolist() == torch.from_numpy(host).tolist() == [9, 1, 2, 3]
    with pytest.raises(TypeError, match=r"expected np\.ndarray"):
        xn.from_numpy([1, 2])


def test_as_tensor(xp):
    native = xp.array([1.0, 2.0])
    t = xn.as_tensor(native)
    assert t.array is native
    assert xn.as_tensor(native, dtype=xn.float64).array.dtype == xp.float64
    from_list = xn.as_tensor([1, 2, 3])
    assert _same_dtype(from_list, torch.as_tensor([1, 2, 3]).dtype)
    assert from_list.tolist() == [1, 2, 3]


def test_tensor_constructor_takes_python_data(xp):
    t = xn.Tensor([[1, 2], [3, 4]])
    expected = torch.Tensor([[1, 2], [3, 4]])
    assert _same_dtype(t, expected.dtype) and t.tolist() == expected.tolist()
    assert xn.Tensor([0.5], requires_grad=True).requires_grad
    native = xp.array([1.0, 2.0])
    assert xn.Tensor(native).array is native  # arrays are still wrapped without a copy
    with pytest.raises(TypeError, match=r"xn\.empty"):
        xn.Tensor(3)
