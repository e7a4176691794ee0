"""``Tensor`` and the creation functions, on every backend."""

from __future__ import annotations

import operator

import numpy as np
import pytest

import xpnet as xn


def native_dtypes(xp, name):
    """Every spelling of a dtype xpnet accepts: its name, the ``xn`` dtype, the backend's own."""
    return [name, getattr(xn, name), getattr(xp.ns, name)]


# -- xn.tensor ------------------------------------------------------------------------------
def test_tensor_from_python_data_follows_pytorch_dtypes(xp):
    floats = xn.tensor([[1.0, 2.0], [3.0, 4.5]], device=xp.device)
    ints = xn.tensor([1, 2, 3], device=xp.device)
    mixed = xn.tensor([1, 2.5], device=xp.device)
    flags = xn.tensor([True, False], device=xp.device)
    scalar = xn.tensor(2.5, device=xp.device)
    assert floats.dtype == xn.float32 and floats.array.dtype == xp.float32
    assert ints.dtype == xn.int64 and ints.array.dtype == xp.int64
    assert mixed.dtype == xn.float32
    assert flags.dtype == xn.bool_
    assert scalar.shape == () and scalar.dtype == xn.float32
    for t in (floats, ints, mixed, flags, scalar):
        assert xp.same_place(t)
    np.testing.assert_array_equal(xp.numpy(floats), [[1.0, 2.0], [3.0, 4.5]])
    np.testing.assert_array_equal(xp.numpy(ints), [1, 2, 3])


def test_tensor_dtype_argument_in_every_spelling(xp):
    for spelling in native_dtypes(xp, "float64"):
        t = xn.tensor([1, 2], dtype=spelling, device=xp.device)
        assert t.dtype == xn.float64 and t.array.dtype == xp.float64 and xp.same_place(t)
    t = xn.tensor([1.7, 2.2], dtype="int32", device=xp.device)
    assert t.dtype == xn.int32


def test_tensor_copies_an_array_and_keeps_its_place(xp):
    native = xp.array([1.0, 2.0, 3.0], dtype="float64")
    t = xn.tensor(native)
    assert t.array is not native
    assert xp.same_place(t) and t.dtype == xn.float64
    if xp.ns.immutable:  # JAX: no array can be written, so no copy can be told apart that way
        with pytest.raises(TypeError, match="immutable"):
            native[0] = 100.0
    else:
        native[0] = 100.0
    assert xp.numpy(t)[0] == 1.0
    again = xn.tensor(t)
    assert again.array is not t.array and not again.requires_grad
    cast = xn.tensor(native, dtype="float32")
    assert cast.dtype == xn.float32 and xp.same_place(cast)


def test_tensor_rejects_what_it_cannot_hold():
    with pytest.raises(TypeError):
        xn.tensor("abc")
    with pytest.raises(ValueError):
        xn.tensor([[1.0, 2.0], [3.0]])
    with pytest.raises(TypeError, match="unknown dtype"):
        xn.tensor([1.0], dtype="float128")


# -- xn.asarray -----------------------------------------------------------------------------
def test_asarray_wraps_without_copy(xp):
    for dtype in ("float32", "float64", "int64"):
        native = xp.array([[1, 2], [3, 4]], dtype=dtype)
        t = xn.asarray(native)
        assert t.array is native
        assert t.dtype == dtype and xp.same_place(t) and t.xp is xp.ns
    native = xp.array([1.0, 2.0])
    t = xn.asarray(native)
    with xn.no_grad():
        t += 1.0
    if xp.ns.immutable:  # JAX: the Tensor is rebound to a new array; the one wrapped is unchanged
        assert t.array is not native
        np.testing.assert_array_equal(xp.numpy(native), [1.0, 2.0])
        np.testing.assert_array_equal(xp.numpy(t), [2.0, 3.0])
        native = t.array
    else:
        np.testing.assert_array_equal(xp.numpy(native), [2.0, 3.0])  # one array, two names
    assert xn.asarray(t) is t
    assert xn.asarray(native, dtype=native.dtype).array is native
    assert xn.asarray(native, device=xp.device).array is native


def test_asarray_casts_or_converts_when_asked(xp):
    native = xp.array([1.0, 2.0])
    t = xn.asarray(native, dtype="float64")
    assert t.dtype == xn.float64 and xp.same_place(t)
    grad = xn.asarray(native, requires_grad=True)
    assert grad.requires_grad and grad.array is native
    listed = xn.asarray([1.0, 2.0], device=xp.device)
    assert listed.dtype == xn.float32 and xp.same_place(listed)


# -- creation from scratch ------------------------------------------------------------------
@pytest.mark.parametrize("fill", ["zeros", "ones"])
def test_zeros_ones(xp, fill):
    value = {"zeros": 0.0, "ones": 1.0}[fill]
    make = getattr(xn, fill)
    t = make(2, 3, device=xp.device)
    assert t.shape == (2, 3) and t.dtype == xn.float32 and xp.same_place(t)
    assert (xp.numpy(t) == value).all()
    assert make((2, 3), device=xp.device).shape == (2, 3)
    assert make([4], device=xp.device).shape == (4,)
    for spelling in native_dtypes(xp, "float64"):
        t = make(3, dtype=spelling, device=xp.device)
        assert t.array.dtype == xp.float64 and xp.same_place(t)
    assert make(2, dtype="int64", device=xp.device).dtype == xn.int64
    assert make(2, device=xp.device, requires_grad=True).requires_grad
    with pytest.raises(ValueError, match="non-negative ints"):
        make(2, -1, device=xp.device)


@pytest.mark.parametrize("draw", ["rand", "randn"])
def test_random_creation(xp, draw):
    make = getattr(xn, draw)
    t = make(50, 40, device=xp.device)
    assert t.shape == (50, 40) and t.dtype == xn.float32 and xp.same_place(t)
    values = xp.numpy(t)
    if draw == "rand":
        assert values.min() >= 0.0 and values.max() < 1.0
        assert abs(values.mean() - 0.5) < 0.05
    else:
        assert abs(values.mean()) < 0.1 and abs(values.std() - 1.0) < 0.1
    for spelling in native_dtypes(xp, "float64"):
        t = make(3, dtype=spelling, device=xp.device)
        assert t.array.dtype == xp.float64 and xp.same_place(t)
    with pytest.raises(TypeError, match="floating point"):
        make(2, dtype="int64", device=xp.device)


@pytest.mark.parametrize("draw", ["rand", "randn"])
def test_manual_seed_makes_draws_reproducible(xp, draw):
    make = getattr(xn, draw)
    xn.manual_seed(123)
    first = [xp.numpy(make(4, 5, device=xp.device)), xp.numpy(make(3, device=xp.device))]
    xn.manual_seed(123)
    second = [xp.numpy(make(4, 5, device=xp.device)), xp.numpy(make(3, device=xp.device))]
    xn.manual_seed(124)
    other = xp.numpy(make(4, 5, device=xp.device))
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other)
    assert not np.array_equal(first[0][:3, 0], first[1])  # the generator moves on


def test_manual_seed_rejects_bad_seeds():
    for bad in (-1, 1.5, True, "1"):
        with pytest.raises(ValueError):
            xn.manual_seed(bad)


def test_float16_random_where_the_backend_has_it(xp):
    if not hasattr(xp.ns, "float16"):
        pytest.skip(f"{xp.name} has no float16")
    for draw in (xn.rand, xn.randn):
        t = draw(4, dtype="float16", device=xp.device)
        assert t.array.dtype == xp.float16 and xp.same_place(t)


def test_arange(xp):
    ints = xn.arange(5, device=xp.device)
    assert ints.dtype == xn.int64 and xp.same_place(ints)
    np.testing.assert_array_equal(xp.numpy(ints), np.arange(5))
    floats = xn.arange(0.0, 1.0, 0.25, device=xp.device)
    assert floats.dtype == xn.float32
    np.testing.assert_allclose(xp.numpy(floats), [0.0, 0.25, 0.5, 0.75])
    for spelling in native_dtypes(xp, "float64"):
        t = xn.arange(2, 8, 2, dtype=spelling, device=xp.device)
        assert t.array.dtype == xp.float64 and xp.same_place(t)
        np.testing.assert_array_equal(xp.numpy(t), [2.0, 4.0, 6.0])


def test_arange_with_a_zero_step_says_so(xp):
    with pytest.raises(ValueError, match=r"arange: step must be non-zero, got 0$"):
        xn.arange(0, 5, 0, device=xp.device)
    with pytest.raises(ValueError, match=r"step must be non-zero, got 0\.0"):
        xn.arange(0.0, 1.0, 0.0, device=xp.device)


# -- properties and leaving xpnet -----------------------------------------------------------
@pytest.mark.parametrize(("shape", "axis"), [((2, 3, 4), None), ((2, 3, 4), 1), ((2, 3, 4), -1),
                                             ((2, 3, 4), (0, 2)), ((2, 3, 4), (-1, 0, 1)),
                                             ((5, 0), 1), ((7,), 0), ((), None)])
def test_reduced_count_is_what_a_sum_of_ones_gives_in_torch(torch, shape, axis):
    from xpnet._size import reduced_count

    ones = torch.ones(shape).sum() if axis is None else torch.ones(shape).sum(dim=axis)
    assert ones.numel() > 0 and bool((ones == reduced_count(shape, axis)).all())


def test_properties(xp):
    host = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    t = xp.tensor(host)
    assert t.shape == (2, 3, 4) and t.ndim == 3 and t.numel() == 24 and len(t) == 2
    assert t.size() == (2, 3, 4) and t.size(1) == 3
    assert t.dtype == xn.float32 and t.dtype == "float32"
    assert t.device == xp.expected_device or xp.name == "numpy"
    if xp.name == "numpy":
        assert t.device == "cpu"
    assert t.T.shape == (4, 3, 2)
    np.testing.assert_array_equal(xp.numpy(t.T), host.transpose(2, 1, 0))
    np.testing.assert_array_equal(xp.numpy(t.mT), np.swapaxes(host, -1, -2))
    assert xp.same_place(t.T) and xp.same_place(t.mT)
    assert t.is_leaf and t.grad_fn is None


def test_numpy_item_tolist(xp):
    t = xp.tensor([[1.5, -2.0], [3.0, 4.25]])
    out = t.numpy()
    assert isinstance(out, np.ndarray) and out.dtype == np.float32
    np.testing.assert_array_equal(out, [[1.5, -2.0], [3.0, 4.25]])
    assert t.tolist() == [[1.5, -2.0], [3.0, 4.25]]
    total = t.sum().item()
    assert type(total) is float and total == 6.75
    assert type(xn.tensor([3], device=xp.device).item()) is int
    assert xn.tensor([True], device=xp.device).item() is True
    assert float(t[0, 0]) == 1.5 and int(t[1, 1]) == 4
    with pytest.raises(ValueError, match="one-element"):
        t.item()
    with pytest.raises(TypeError):
        len(t.sum())


def test_detach_shares_data_and_leaves_the_graph(xp):
    x = xp.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert d.array is y.array and not d.requires_grad and d.is_leaf
    assert xp.same_place(d)


def test_to_without_change_and_methods(xp):
    t = xp.tensor([1.0, 2.0])
    assert t.to() is t
    assert t.to(t.device) is t
    assert t.double().dtype == xn.float64 and t.double().float().dtype == xn.float32
    assert t.astype(xn.float64).dtype == xn.float64
    assert xp.same_place(t.double())


# -- comparisons ------------------------------------------------------------------------------
COMPARISONS = [operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne]


@pytest.mark.parametrize("op", COMPARISONS, ids=lambda op: op.__name__)
def test_comparisons(xp, op):
    a_host = np.array([1.0, 2.0, 3.0, 2.0], dtype=np.float32)
    b_host = np.array([2.0, 2.0, 1.0, 0.5], dtype=np.float32)
    a = xp.tensor(a_host, requires_grad=True)
    b = xp.tensor(b_host)
    for got, want in [(op(a, b), op(a_host, b_host)), (op(a, 2.0), op(a_host, 2.0)),
                      (op(2.0, a), op(2.0, a_host)), (op(a, 2), op(a_host, 2))]:
        assert isinstance(got, xn.Tensor)
        assert got.dtype == xn.bool_ and xp.same_place(got)
        assert not got.requires_grad
        np.testing.assert_array_equal(xp.numpy(got), want)


# -- in-place updates ---------------------------------------------------------------------------
INPLACE = [("__iadd__", np.add), ("__isub__", np.subtract), ("__imul__", np.multiply),
           ("__itruediv__", np.divide)]


@pytest.mark.parametrize(("method", "ref"), INPLACE, ids=[m for m, _ in INPLACE])
def test_in_place_under_no_grad(xp, method, ref):
    host = np.array([1.0, 2.0, 4.0], dtype=np.float32)
    other = np.array([0.5, 4.0, 2.0], dtype=np.float32)
    expected = ref(ref(host, other), np.float32(2.0))
    w = xp.tensor(host.copy(), requires_grad=True)
    before = w.array
    with xn.no_grad():
        result = getattr(w, method)(xp.tensor(other))
        result = getattr(result, method)(2.0)
    assert result is w and w.requires_grad
    if xp.ns.immutable:  # JAX: w is rebound to a new array; the old one keeps its values
        assert w.array is not before
        np.testing.assert_array_equal(xp.numpy(before), host)
    else:
        assert w.array is before  # in place where arrays are writeable
    assert w.dtype == xn.float32 and xp.same_place(w)
    np.testing.assert_allclose(xp.numpy(w), expected, rtol=1e-6)


def test_in_place_with_grad_on_is_an_error(xp):
    w = xp.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        w -= 0.1
    x = xp.tensor([1.0, 2.0])
    x += 1.0  # no grad needed: allowed with grad mode on
    np.testing.assert_array_equal(xp.numpy(x), [2.0, 3.0])


def test_in_place_update_with_a_gradient(xp):
    """The raw-autograd training step: ``w -= lr * w.grad`` under no_grad."""
    w = xp.tensor([1.0, -2.0], requires_grad=True)
    (w * w).sum().backward()
    with xn.no_grad():
        w -= 0.25 * w.grad
    np.testing.assert_allclose(xp.numpy(w), [0.5, -1.0])
    w.grad = None
    (w * w).sum().backward()
    np.testing.assert_allclose(xp.numpy(w.grad), [1.0, -2.0])


# -- Python scalars never promote float32 ------------------------------------------------------
BINARY = [operator.add, operator.sub, operator.mul, operator.truediv, operator.pow]


@pytest.mark.parametrize("op", BINARY, ids=lambda op: op.__name__)
@pytest.mark.parametrize("scalar", [2.5, 3], ids=["float", "int"])
def test_python_scalars_keep_float32(xp, op, scalar):
    host = np.array([0.5, 1.5, 2.0], dtype=np.float32)
    t = xp.tensor(host, requires_grad=True)
    for got, want in [(op(t, scalar), op(host, scalar)), (op(scalar, t), op(scalar, host))]:
        assert got.dtype == xn.float32 and got.array.dtype == xp.float32 and xp.same_place(got)
        np.testing.assert_allclose(xp.numpy(got), want, rtol=1e-6)
        t.grad = None
        got.sum().backward()
        assert t.grad.dtype == xp.float32 and xp.same_place(t.grad)


def test_python_scalars_keep_float32_in_place_and_functions(xp):
    t = xp.tensor([0.5, 1.5])
    with xn.no_grad():
        t += 1.5
        t *= 2
        t /= 3.0
        t -= 0.25
    assert t.dtype == xn.float32 and xp.same_place(t)
    for out in (t.clip(0.1, 0.9), xn.functional.leaky_relu(t, 0.3), abs(-t), t.mean(),
                xn.functional.where(t > 1.0, t, 0.0), xn.functional.huber_loss(t, t * 0.5)):
        assert out.dtype == xn.float32 and xp.same_place(out)


def test_xn_dtypes_equal_native_dtypes(xp):
    assert xn.float32 == xp.float32
    assert xn.float64 == xp.float64
    assert xn.int64 == xp.int64
    assert xn.bool_ == xp.bool
    assert xn.float32 != xp.float64
    assert xn.float32 == "float32" and xn.float32 != "float64"
    t = xp.tensor([1.0])
    assert t.dtype == xn.float32 and t.dtype == t.array.dtype
    assert hash(xn.float32) == hash(xn.DType("float32"))
    assert xn.float32.is_floating_point and not xn.int64.is_floating_point


# -- repr --------------------------------------------------------------------------------------
def test_repr(xp, torch):
    """torch's layout and numbers (torch's own output is the reference), on every backend."""
    host = np.array([1.5, -2.0], dtype=np.float32)
    leaf = xp.tensor(host, requires_grad=True)
    ref = torch.tensor(host, requires_grad=True)
    where = leaf.device  # torch prints a CUDA tensor's device with its index: 'cuda:0'
    extra = "" if where == "cpu" else f", device='{where}'"
    assert repr(leaf) == repr(ref).replace(", requires_grad", extra + ", requires_grad")
    assert repr(leaf * 2) == repr(ref * 2).replace(", grad_fn", extra + ", grad_fn")
    assert "grad_fn=<MulBackward0>" in repr(leaf * 2)
    for values, dtype in (([1, 2], "int64"), ([1.0, 2.0], "float64"), ([True, False], "bool"),
                          (3.25, "float32"), ([[0.001, 1000.0]], "float32")):
        mine = xn.tensor(values, dtype=dtype, device=xp.device)
        theirs = torch.tensor(values, dtype=getattr(torch, dtype))
        assert extra in repr(mine)
        assert repr(mine).replace(extra, "") == repr(theirs).replace("torch.", "xpnet.")


@pytest.mark.parametrize("scalar", [np.float64(0.5), np.int64(2), np.float32(1.5), np.int8(3)])
def test_numpy_scalars_act_like_python_numbers(xp, scalar):
    """As in PyTorch: a NumPy scalar never promotes a float32 tensor (NEP 50 would)."""
    x = xp.tensor([1.0, 2.0], requires_grad=True)
    for out in (x * scalar, scalar * x, x + scalar, scalar - x, x / (scalar + 1)):
        assert out.dtype == xn.float32 and xp.same_place(out)
    (x * scalar).sum().backward()
    assert x.grad.dtype == xp.float32
    np.testing.assert_allclose(xp.numpy(x.grad), [float(scalar)] * 2)


@pytest.mark.parametrize("op", [lambda t: t.mean(), lambda t: xn.softmax(t, axis=0),
                                lambda t: xn.log_softmax(t, axis=0)])
def test_fraction_ops_refuse_integer_tensors(xp, op):
    """NumPy would answer in float64; like PyTorch we ask for a float tensor instead."""
    with pytest.raises(TypeError, match=r"needs a floating-point tensor, got xpnet\.int64"):
        op(xp.tensor([1, 2, 3], dtype="int64"))
