"""Integer-array indexing: ``x[idx]`` and ``x[rows, cols]`` are differentiable on every backend.

The gradient is a scatter-add (rows read twice get both gradients), the backend's
``xp.scatter_add``: the generic code (``Backend.scatter_add``, a one-hot matmul) and
NumPy's override (``np.add.at``) must agree. Forward and backward against finite
differences and torch are in ``test_gradcheck.py``; here: the PyTorch patterns
(NLL by hand, embedding lookup), the generic scatter-add and NumPy's, errors.
"""

from __future__ import annotations

import numpy as np
import pytest

import xpnet as xn
from xpnet import _backend
from xpnet import functional as F
from xpnet._backend import Backend, _ops

DTYPES = ["float32", "float64"]


def _index(xp, values):
    return xn.tensor(np.asarray(values, dtype=np.int64), device=xp.device)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["list", "tensor", "native"])
def test_repeated_indices_accumulate(xp, dtype, kind):
    x = xp.tensor(np.arange(6.0).reshape(3, 2), dtype, requires_grad=True)
    idx = {"list": [0, 0, -1], "tensor": _index(xp, [0, 0, -1]),
           "native": xp.array([0, 0, -1], "int64")}[kind]
    out = x[idx]
    np.testing.assert_array_equal(xp.numpy(out), [[0, 1], [0, 1], [4, 5]])
    out.sum().backward()
    np.testing.assert_array_equal(xp.numpy(x.grad), [[2, 2], [0, 0], [1, 1]])
    for t in (out, x.grad):
        assert xp.same_place(t) and t.dtype == getattr(xp.ns, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_nll_by_hand_equals_cross_entropy(xp, dtype):
    """``-logp[arange(N), y].mean()``: value and gradient of ``F.cross_entropy``."""
    rng = np.random.default_rng(0)
    scores, labels = rng.standard_normal((6, 4)), np.array([0, 3, 3, 1, 0, 2])
    a = xp.tensor(scores, dtype, requires_grad=True)
    b = xp.tensor(scores, dtype, requires_grad=True)
    y = _index(xp, labels)
    by_hand = -F.log_softmax(a, axis=-1)[xn.arange(6, device=xp.device), y].mean()
    fused = F.cross_entropy(b, y)
    by_hand.backward()
    fused.backward()
    tol = 1e-12 if dtype == "float64" else 1e-6
    np.testing.assert_allclose(xp.numpy(by_hand), xp.numpy(fused), rtol=tol, atol=tol)
    np.testing.assert_allclose(xp.numpy(a.grad), xp.numpy(b.grad), rtol=tol, atol=tol)
    assert xp.same_place(by_hand) and xp.same_place(a.grad) and a.grad.dtype == b.grad.dtype


@pytest.mark.parametrize("dtype", DTYPES)
def test_embedding_lookup_matches_torch(xp, torch, dtype):
    """``table[token_ids]`` (2-D ids, repeats): gradient of ``torch.nn.functional.embedding``."""
    rng = np.random.default_rng(1)
    table_host, ids = rng.standard_normal((7, 3)), np.array([[1, 6, 1, 0], [6, 6, 2, 1]])
    r = rng.standard_normal((2, 4, 3))
    table = xp.tensor(table_host, dtype, requires_grad=True)
    out = table[_index(xp, ids)]
    (out * xp.tensor(r, dtype)).sum().backward()
    ref = torch.tensor(table_host, requires_grad=True)
    ref_out = torch.nn.functional.embedding(torch.tensor(ids), ref)
    (ref_out * torch.tensor(r)).sum().backward()
    tol = 1e-12 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(xp.numpy(out), ref_out.detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(xp.numpy(table.grad), ref.grad.numpy(), rtol=tol, atol=tol)
    assert xp.same_place(table.grad) and table.grad.dtype == getattr(xp.ns, dtype)


# -- the scatter-add: generic twin, chunked, and NumPy's sibling --------------------------------
def _scatter_inputs(values_kind, m=300, size=17, r=5):
    rng = np.random.default_rng(2)
    index = rng.integers(0, size, size=m)
    index[:40] = 3  # a row hit many times
    if values_kind == "integer-valued":
        values = rng.integers(-50, 50, size=(m, r)).astype(np.float64)
    else:
        values = rng.standard_normal((m, r))
    expected = np.zeros((size, r))
    np.add.at(expected, index, values)
    return index, values, size, expected


@pytest.mark.parametrize("onehot_elements", [1 << 22, 64], ids=["one-chunk", "chunks"])
@pytest.mark.parametrize("values_kind", ["random", "integer-valued"])
def test_twin_scatter_add_on_every_backend(xp, monkeypatch, onehot_elements, values_kind):
    monkeypatch.setattr(_ops, "ONEHOT_ELEMENTS", onehot_elements)  # 64 // 17: chunks of 3
    index, values, size, expected = _scatter_inputs(values_kind)
    for dtype in DTYPES:
        got = Backend.scatter_add(xp.ns, xp.array(index, "int64"), xp.array(values, dtype), size)
        assert xp.same_place(got) and got.dtype == getattr(xp.ns, dtype)
        assert tuple(got.shape) == expected.shape
        if values_kind == "integer-valued":  # small integers: every order of sums is exact
            np.testing.assert_array_equal(xp.numpy(got), expected)
        else:
            tol = 1e-12 if dtype == "float64" else 1e-5
            np.testing.assert_allclose(xp.numpy(got), expected, rtol=tol, atol=tol)


@pytest.mark.parametrize("values_kind", ["random", "integer-valued"])
def test_numpy_override_equals_the_generic_code(values_kind):
    xp = _backend.numpy_xp
    assert type(xp).scatter_add is not Backend.scatter_add  # NumPy's own: np.add.at
    index, values, size, _ = _scatter_inputs(values_kind)
    for dtype in DTYPES:
        v = values.astype(dtype)
        twin = Backend.scatter_add(xp, index, v, size)
        fast = xp.scatter_add(index, v, size)
        assert fast.dtype == twin.dtype and fast.shape == twin.shape
        if values_kind == "integer-valued":
            np.testing.assert_array_equal(fast, twin)
        else:
            tol = 1e-12 if dtype == "float64" else 1e-5
            np.testing.assert_allclose(fast, twin, rtol=tol, atol=tol)


@pytest.mark.parametrize("shape", [(0, 3), (4, 0)], ids=["no-indices", "no-columns"])
def test_scatter_add_of_nothing_is_zeros(xp, shape):
    values = xp.array(np.zeros(shape), "float64")
    index = xp.array(np.zeros(shape[0]), "int64")
    got = Backend.scatter_add(xp.ns, index, values, 5)
    assert tuple(got.shape) == (5, shape[1]) and xp.same_place(got)
    assert not xp.numpy(got).any()


def test_empty_index_gives_zero_gradient(xp):
    x = xp.tensor(np.ones((3, 2)), requires_grad=True)
    out = x[_index(xp, np.zeros((0,), dtype=np.int64))]
    assert out.shape == (0, 2)
    out.sum().backward()
    np.testing.assert_array_equal(xp.numpy(x.grad), np.zeros((3, 2)))


def test_no_host_sync_on_meta_tensors(torch):
    """On a device where reading values waits, the index is not read (no range check either)."""
    meta = torch.device("meta")
    table = xn.Tensor(torch.empty((10, 4), device=meta), requires_grad=True)
    ids = torch.empty((2, 3), dtype=torch.int64, device=meta)
    out = table[ids]
    assert out.shape == (2, 3, 4)
    out.sum().backward()
    assert table.grad.shape == (10, 4)


# -- errors ---------------------------------------------------------------------------------------
def _host_only(xp):
    if not _backend.on_host(xp.ns, xp.expected_device):
        pytest.skip(f"{xp.name}: indices are not range-checked on GPUs (it would wait for the device)")


@pytest.mark.parametrize("requires_grad", [True, False])
@pytest.mark.parametrize(("index", "message"), [
    (([3],), r"index 3 is out of range for axis 0 of size 3 .* \[-3, 2\]"),
    (([-4],), r"index -4 is out of range for axis 0 of size 3"),
    (([0, 1], [0, 2]), r"index 2 is out of range for axis 1 of size 2"),
])
def test_out_of_range_indices_are_reported(xp, requires_grad, index, message):
    _host_only(xp)
    x = xp.tensor(np.ones((3, 2)), requires_grad=requires_grad)
    with pytest.raises(IndexError, match=message):
        x[tuple(_index(xp, part) for part in index)]


def test_unsupported_forms_explain_themselves(xp):
    x = xp.tensor(np.ones((3, 4)), requires_grad=True)
    rows = _index(xp, [0, 2])
    with pytest.raises(TypeError, match=r"indexing with \[:, int64 array \(2,\)\] is not differentiable"):
        x[:, rows]
    with pytest.raises(TypeError, match="leading axes"):
        x[rows, :, rows]  # an integer array after a slice
    with pytest.raises(TypeError, match="leading axes"):
        x[0, 1:3, rows]


def test_index_errors(xp):
    x = xp.tensor(np.ones((3, 4)), requires_grad=True)
    with pytest.raises(IndexError, match=r"shapes \(2,\), \(3,\) do not broadcast"):
        x[_index(xp, [0, 1]), _index(xp, [0, 1, 2])]
    with pytest.raises(IndexError, match="too many indices: 3 for a tensor of shape"):
        x[_index(xp, [0]), 0, 1]
    with pytest.raises(TypeError, match="index lists must hold ints or bools"):
        x[[0.5, 1.0]]


def test_index_on_another_device_is_refused(xp):
    if not xp.name.startswith("array_api_strict"):
        pytest.skip("only array_api_strict has a second CPU device")
    import array_api_strict as strict

    other = strict.Device("CPU_DEVICE" if xp.name.endswith("device1") else "device1")
    x = xp.tensor(np.ones((3, 4)), requires_grad=True)
    with pytest.raises(RuntimeError, match="different devices"):
        x[xn.tensor([0, 1], device=other)]
