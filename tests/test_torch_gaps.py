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


# -- by index: nonzero, where(cond), in-place scatter, errors (values and gradients: _parity_cases) --
M = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]], dtype=np.float32)
BY_INDEX: list[tuple[str, Any, tuple[np.ndarray, ...]]] = [
    ("nonzero", lambda lib, a: lib.nonzero(a), (M,)),
    ("nonzero method", lambda lib, a: a.nonzero(), (I64 - 4,)),
    ("nonzero of bool", lambda lib, a: lib.nonzero(a), (B,)),
    ("nonzero as_tuple 0", lambda lib, a: lib.nonzero(a, as_tuple=True)[0], (M,)),
    ("nonzero as_tuple 1", lambda lib, a: a.nonzero(as_tuple=True)[1], (M,)),
    ("nonzero none", lambda lib, a: lib.nonzero(a * 0), (M,)),
    ("nonzero 1-D", lambda lib, a: lib.nonzero(a[0]), (M,)),
    ("where one argument", lambda lib, a: lib.where(a > 0)[1], (M,)),
    ("where one argument rows", lambda lib, a: lib.where(a)[0], (B,)),
    ("index by where", lambda lib, a: a[lib.where(a > 0)], (M,)),
    ("gather ints", lambda lib, a, i: lib.gather(a, 0, i), (I64, np.array([[1, 0, 1]]))),
    ("scatter_add ints", lambda lib, a, i: a.scatter_add(1, i, a[:, :2]), (I64, np.array([[2, 2], [0, 1]]))),
    ("scatter value int", lambda lib, a, i: a.scatter(1, i, value=-7), (I64, np.array([[2], [0]]))),
    ("index_select bool", lambda lib, a, i: lib.index_select(a, 1, i), (B, np.array([2, 0, 2]))),
    ("masked_select ints", lambda lib, a, m: lib.masked_select(a, m), (I64, B)),
    ("cumprod int32 gives int64", lambda lib, a: lib.cumprod(a, 0), (I32,)),
    ("cumprod dtype", lambda lib, a: a.cumprod(1, dtype=lib.float64), (I64,)),
]


def _run(xp: Any, lib: Any, f: Any, inputs: tuple[np.ndarray, ...]) -> Any:
    if lib is torch:
        return f(torch, *[torch.from_numpy(a.copy()) for a in inputs])
    return f(xn, *[xp.tensor(a, a.dtype.name) for a in inputs])


@pytest.mark.parametrize("f, inputs", [(f, i) for _, f, i in BY_INDEX], ids=[v[0] for v in BY_INDEX])
def test_by_index_matches_torch(xp, f, inputs):
    expected = _run(xp, torch, f, inputs)
    got = _run(xp, xn, f, inputs)
    assert isinstance(got, xn.Tensor) and xp.same_place(got)
    assert got.dtype.name == str(expected.dtype).removeprefix("torch."), (got.dtype, expected.dtype)
    assert got.shape == tuple(expected.shape)
    np.testing.assert_array_equal(xp.numpy(got), expected.numpy())


def test_nonzero_as_tuple_is_a_tuple_of_ndim(xp):
    got = xn.nonzero(xp.tensor(M), as_tuple=True)
    expected = torch.nonzero(torch.from_numpy(M), as_tuple=True)
    assert isinstance(got, tuple) and len(got) == len(expected) == 2
    got0 = xn.nonzero(xp.tensor(5.0))
    assert got0.shape == tuple(torch.nonzero(torch.tensor(5.0)).shape) == (1, 0)


@pytest.mark.parametrize("method", ["scatter_", "scatter_add_"])
def test_scatter_in_place_records_as_torch(xp, method):
    x0 = np.arange(12, dtype=np.float64).reshape(3, 4) / 10
    src0 = np.linspace(-1, 1, 8).reshape(2, 4)
    index = np.array([[0, 1, 2, 0], [2, 0, 0, 1]])
    upstream = np.linspace(0.5, 2, 12).reshape(3, 4)

    def program(lib: Any, make: Any) -> tuple[Any, Any, Any]:
        w = make(x0, True)
        src = make(src0, True)
        b = w * 2  # a non-leaf: torch records the in-place op
        out = getattr(b, method)(0, make(index, False), src)
        assert out is b
        (b * make(upstream, False)).sum().backward()
        return b, w.grad, src.grad

    def torch_make(a: np.ndarray, grad: bool) -> Any:
        return torch.tensor(a, requires_grad=grad and a.dtype.kind == "f")

    def xn_make(a: np.ndarray, grad: bool) -> Any:
        return xp.tensor(a, a.dtype.name, requires_grad=grad and a.dtype.kind == "f")

    expected = program(torch, torch_make)
    got = program(xn, xn_make)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(xp.numpy(g), e.detach().numpy(), rtol=1e-12)
    assert xp.same_place(got[0])


def test_scatter_in_place_refuses_a_leaf_that_requires_grad(xp):
    w = xp.tensor(np.zeros((2, 2)), "float64", requires_grad=True)
    index = xp.tensor(np.array([[0, 1]]), "int64")
    with pytest.raises(RuntimeError, match="leaf"):
        w.scatter_(0, index, value=1.0)
    with torch.no_grad(), xn.no_grad():
        w.scatter_(0, index, value=1.0)
    np.testing.assert_array_equal(xp.numpy(w), [[1.0, 0.0], [0.0, 1.0]])


def test_scatter_with_repeated_index_keeps_the_last_value(xp):
    # torch leaves the winner undefined; xpnet takes the last in row-major order (NumPy's rule)
    got = xn.zeros(3, dtype=xn.float32, device=xp.device).scatter(
        0, xp.tensor(np.array([1, 1, 2]), "int64"), xp.tensor([5.0, 6.0, 7.0]))
    np.testing.assert_array_equal(xp.numpy(got), [0.0, 6.0, 7.0])


# Indices out of range are checked where reading them is free (not on a GPU: see below).
RANGE_ERRORS: list[tuple[str, Any, tuple[np.ndarray, ...]]] = [
    ("gather index out of range", lambda lib, a, i: lib.gather(a, 1, i + 3), (M, np.array([[0], [1]]))),
    ("gather negative index", lambda lib, a, i: lib.gather(a, 1, i - 2), (M, np.array([[0], [1]]))),
    ("scatter index out of range", lambda lib, a, i: a.scatter(0, i + 2, a), (M, np.zeros((2, 3), np.int64))),
    ("index_select out of range", lambda lib, a, i: a.index_select(0, i), (M, np.array([0, 2]))),
]
ERRORS: list[tuple[str, Any, tuple[np.ndarray, ...]]] = [
    ("gather float index", lambda lib, a, i: lib.gather(a, 1, i), (M, M)),
    ("gather dims differ", lambda lib, a, i: lib.gather(a, 1, i), (M, np.array([0, 1]))),
    ("gather index too wide", lambda lib, a, i: lib.gather(a, 0, i), (M, np.zeros((1, 4), np.int64))),
    ("scatter src dtype", lambda lib, a, i: a.scatter(0, i, a.double()), (M, np.array([[1, 0, 1]]))),
    ("index_select 2-D index", lambda lib, a, i: a.index_select(0, i), (M, np.zeros((1, 1), np.int64))),
    ("masked_select float mask", lambda lib, a: lib.masked_select(a, a), (M,)),
    ("multinomial too many", lambda lib, a: lib.multinomial(a.abs(), 4), (M,)),
    ("multinomial of ints", lambda lib, a: lib.multinomial(a, 1), (I64,)),
    ("multinomial 3-D", lambda lib, a: lib.multinomial(a[None].abs(), 1), (M,)),
    ("cumprod dim out of range", lambda lib, a: lib.cumprod(a, 5), (M,)),
    ("cumsum dim out of range", lambda lib, a: lib.cumsum(a, -3), (M,)),
    ("permute dim out of range", lambda lib, a: a.permute(0, 5), (M,)),
]


@pytest.mark.parametrize("f, inputs", [(f, i) for _, f, i in ERRORS + RANGE_ERRORS],
                         ids=[v[0] for v in ERRORS + RANGE_ERRORS])
def test_by_index_errors_as_torch(xp, f, inputs):
    if not xn._backend.on_host(xp.ns, xp.device) and any(f is r[1] for r in RANGE_ERRORS):
        return  # a GPU: not checked, test_by_index_never_waits_for_the_gpu holds that promise
    with pytest.raises(Exception) as torch_error:
        _run(xp, torch, f, inputs)
    with pytest.raises(torch_error.type):
        _run(xp, xn, f, inputs)


# -- multinomial -----------------------------------------------------------------------------
def test_multinomial_is_seeded_on_the_device_and_follows_the_weights(xp):
    weights = xp.tensor([[1.0, 0.0, 3.0, 4.0], [0.0, 0.0, 1.0, 0.0]])
    xn.manual_seed(3)
    a = xn.multinomial(weights, 4000, replacement=True)
    xn.manual_seed(3)
    b = weights.multinomial(4000, True)
    assert xp.same_place(a) and a.dtype == xn.int64 and a.shape == (2, 4000)
    assert a.shape == tuple(torch.multinomial(torch.tensor(xp.numpy(weights)), 4000, True).shape)
    drawn = xp.numpy(a)
    np.testing.assert_array_equal(drawn, xp.numpy(b))
    counts = np.bincount(drawn[0], minlength=4) / 4000
    assert counts[1] == 0 and np.all(drawn[1] == 2)  # zero weight never drawn
    np.testing.assert_allclose(counts, [1 / 8, 0, 3 / 8, 4 / 8], atol=0.03)


def test_multinomial_without_replacement_draws_each_category_once(xp):
    weights = xp.tensor([0.1, 5.0, 0.0, 2.0, 1.0])
    xn.manual_seed(0)
    got = xn.multinomial(weights, 4)
    assert got.shape == (4,) and xp.same_place(got)
    assert sorted(xp.numpy(got).tolist()) == [0, 1, 3, 4]  # the zero weight comes last
    firsts = [int(xp.numpy(xn.multinomial(weights, 1))[0]) for _ in range(300)]
    assert np.bincount(firsts, minlength=5)[1] > np.bincount(firsts, minlength=5)[3] > 0


def test_by_index_never_waits_for_the_gpu(tmp_path_factory):
    """On CuPy (its CPU double, which raises on any host read) nothing but nonzero reads values."""
    pytest.importorskip("cupy", reason="cupy not installed (it imports without a GPU)")
    from _cupy_double import installed, session_double

    double = session_double(tmp_path_factory.getbasetemp() / "cupy-double")
    with installed(double):
        x = xn.tensor(M, device="cuda", requires_grad=True)
        index = xn.tensor([[1, 0, 2], [0, 0, 1]], device="cuda")
        with double.no_host_read():
            out = (xn.gather(x, 1, index).sum() + x.scatter(0, index[:, :2], x[:, :2] * 2).sum()
                   + x.scatter_add(1, index, x).sum() + x.index_select(1, index[0]).sum()
                   + xn.cumprod(x, 1).sum())
            out.backward()
            picks = xn.multinomial(x.detach().abs() + 0.1, 2)
            with_replacement = xn.multinomial(x.detach().abs(), 5, replacement=True)
        with pytest.raises(Exception, match="host"):
            with double.no_host_read():
                xn.nonzero(x)  # needs the count of non-zeros on the host, as torch's
        t = torch.tensor(M, requires_grad=True)
        tindex = torch.tensor([[1, 0, 2], [0, 0, 1]])
        expected = (torch.gather(t, 1, tindex).sum() + t.scatter(0, tindex[:, :2], t[:, :2] * 2).sum()
                    + t.scatter_add(1, tindex, t).sum() + t.index_select(1, tindex[0]).sum()
                    + torch.cumprod(t, 1).sum())
        expected.backward()
        np.testing.assert_allclose(xn._backend.to_numpy(out.array), expected.item(), rtol=1e-6)
        np.testing.assert_allclose(xn._backend.to_numpy(x.grad.array), t.grad.numpy(), rtol=1e-6)
        assert picks.shape == (2, 2) and with_replacement.shape == (2, 5)


# -- xn.Generator ------------------------------------------------------------------------------
def test_generator_names_and_seeds_as_torch():
    g, tg = xn.Generator(), torch.Generator()
    assert g.initial_seed() == tg.initial_seed()
    assert g.manual_seed(7) is g and tg.manual_seed(7) is tg
    assert g.initial_seed() == tg.initial_seed() == 7
    assert g.device == "cpu" and str(g.device) == str(tg.device)
    fresh = g.seed()
    assert isinstance(fresh, int) and g.initial_seed() == fresh
    assert g.manual_seed(-1).initial_seed() == torch.Generator().manual_seed(-1).initial_seed()
    for name in ("manual_seed", "initial_seed", "seed", "get_state", "set_state", "device"):
        assert hasattr(tg, name) and hasattr(g, name), name
    with pytest.raises(ValueError, match="torch's generator states cannot be read"):
        g.set_state(tg.get_state())
    with pytest.raises(TypeError, match=r"xn\.Generator"):
        xn.randn(2, generator=tg)


DRAWS = {
    "randn": lambda g, dev: xn.randn(2, 3, generator=g, device=dev),
    "rand": lambda g, dev: xn.rand((4,), generator=g, device=dev, dtype=xn.float64),
    "randint": lambda g, dev: xn.randint(0, 100, (5,), generator=g, device=dev),
    "randperm": lambda g, dev: xn.randperm(9, generator=g, device=dev),
    "normal": lambda g, dev: xn.normal(2.0, 3.0, (3,), generator=g, device=dev),
    "normal of tensors": lambda g, dev: xn.normal(xn.zeros(3, device=dev), 1.0, generator=g),
    "multinomial": lambda g, dev: xn.multinomial(xn.ones(6, device=dev), 3, generator=g),
    "normal_": lambda g, dev: xn.zeros(4, device=dev).normal_(generator=g),
    "uniform_": lambda g, dev: xn.zeros(4, device=dev).uniform_(-1, 1, generator=g),
}


@pytest.mark.parametrize("name", list(DRAWS))
def test_generator_streams_repeat_and_leave_the_global_one_alone(xp, name):
    draw = DRAWS[name]
    g = xn.Generator().manual_seed(11)
    xn.manual_seed(1)
    first = draw(g, xp.device)
    after_global = xp.numpy(xn.randn(5, device=xp.device))
    assert xp.same_place(first)
    xn.manual_seed(1)
    g.manual_seed(11)
    xn.randn(3, device=xp.device)  # global draws in between change nothing in g's stream
    again = draw(g, xp.device)
    np.testing.assert_array_equal(xp.numpy(again), xp.numpy(first))
    xn.manual_seed(1)
    draw(xn.Generator().manual_seed(99), xp.device)  # g's draws leave the global stream alone
    np.testing.assert_array_equal(xp.numpy(xn.randn(5, device=xp.device)), after_global)
    other = [xp.numpy(draw(xn.Generator().manual_seed(s), xp.device)) for s in (12, 13, 14)]
    assert any(not np.array_equal(o, xp.numpy(first)) for o in other)


def test_generator_drives_dataloader_and_random_split(xp):
    from xpnet.utils.data import DataLoader, TensorDataset, random_split

    x = xn.arange(20, device=xp.device)
    data = TensorDataset(x)

    def order(seed: int) -> list[int]:
        loader = DataLoader(data, batch_size=5, shuffle=True, generator=xn.Generator().manual_seed(seed))
        return [int(v) for batch in loader for v in xp.numpy(batch[0])]

    assert order(3) == order(3) and sorted(order(3)) == list(range(20)) and order(3) != order(4)
    split = [list(s.indices) for s in random_split(data, [15, 5], generator=xn.Generator().manual_seed(3))]
    again = [list(s.indices) for s in random_split(data, [15, 5], generator=xn.Generator().manual_seed(3))]
    assert split == again and sorted(split[0] + split[1]) == list(range(20))


# -- einsum: values and gradients in _parity_cases; errors here --------------------------------
EINSUM_ERRORS = [
    ("too few operands", "ij,jk->ik", [(2, 3)]),
    ("sizes disagree", "ij,jk->ik", [(2, 3), (4, 2)]),
    ("wrong number of dims", "ij,jk->ik", [(2, 3), (3,)]),
    ("unknown output label", "ij->iz", [(2, 3)]),
    ("repeated label, sizes differ", "ii->i", [(2, 3)]),
    ("ellipsis that does not broadcast", "...ij,...jk->...ik", [(2, 2, 3), (3, 3, 2)]),
    ("two ellipses", "......i->i", [(2,)]),
    ("repeated output label", "ij->ii", [(2, 2)]),
]


@pytest.mark.parametrize("eq, shapes", [(e, s) for _, e, s in EINSUM_ERRORS],
                         ids=[v[0] for v in EINSUM_ERRORS])
def test_einsum_errors_as_torch(xp, eq, shapes):
    arrays = [np.ones(s, dtype=np.float32) for s in shapes]
    with pytest.raises(Exception) as torch_error:
        torch.einsum(eq, *[torch.from_numpy(a) for a in arrays])
    with pytest.raises(torch_error.type):
        xn.einsum(eq, *[xp.tensor(a) for a in arrays])


def test_einsum_keeps_place_and_dtype(xp):
    a = xp.tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    out = xn.einsum("ij,kj->ik", a, a)
    expected = torch.einsum("ij,kj->ik", *[torch.arange(6, dtype=torch.float32).reshape(2, 3)] * 2)
    _same(out, expected, xp)


INDEXING_ERRORS = [
    ("index_add out of range", lambda lib, z, t: z(3).index_add(0, t([5]), z(1))),
    ("index_add dtypes", lambda lib, z, t: z(3).index_add(0, t([1]), z(1).double())),
    ("index_add float index", lambda lib, z, t: z(3).index_add(0, t([1.0]), z(1))),
    ("index_add source shape", lambda lib, z, t: z(3, 2).index_add(0, t([1]), z(2, 2))),
    ("take_along_dim dims", lambda lib, z, t: lib.take_along_dim(z(3, 2), t([0, 1]), 0)),
    ("take_along_dim float", lambda lib, z, t: lib.take_along_dim(z(3, 2), z(1, 2), 0)),
]


@pytest.mark.parametrize("call", [c for _, c in INDEXING_ERRORS], ids=[n for n, _ in INDEXING_ERRORS])
def test_index_add_and_take_along_dim_refuse_as_torch(xp, torch, call):
    """Bad indices, dtypes and shapes raise torch's error type, on every backend (the range
    check only where reading the index is free)."""
    with pytest.raises(Exception) as theirs:
        call(torch, torch.zeros, torch.tensor)
    if xp.name in ("cupy", "cupy-double") and "range" in str(theirs.value):
        pytest.skip(f"{xp.name}: index ranges are not read on a GPU (no host wait)")
    with pytest.raises(type(theirs.value)):
        call(xn, lambda *shape: xn.zeros(*shape, device=xp.device),
             lambda values: xn.tensor(values, device=xp.device))


def test_erfinv_and_erfc_in_the_far_tails_match_torch_in_float64(xp, torch):
    """Where 1 - |x| is 1e-15 (erfinv) or erfc(x) is 1e-270, the results keep their digits."""
    x = np.array([-1 + 1e-15, -0.999999999, -1e-300, 3e-9, 1 - 1e-12, 1 - 2.0**-52, 1.0, -1.0, 1.5])
    ours = xp.numpy(xn.erfinv(xp.tensor(x, "float64")))
    theirs = torch.from_numpy(x).erfinv().numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-9)
    z = np.array([-3.0, 0.5, 5.0, 12.0, 25.0])
    np.testing.assert_allclose(xp.numpy(xn.erfc(xp.tensor(z, "float64"))),
                               torch.from_numpy(z).erfc().numpy(), rtol=1e-13)
