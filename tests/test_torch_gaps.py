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
    ("scatter_reduce unknown", lambda lib, z, t: z(3).scatter_reduce(0, t([1]), z(1), "foo")),
    ("scatter_reduce dtypes", lambda lib, z, t: z(3).scatter_reduce(0, t([1]), z(1).double(), "sum")),
    ("scatter_reduce float index", lambda lib, z, t: z(3).scatter_reduce(0, t([1.0]), z(1), "sum")),
]


@pytest.mark.parametrize("call", [c for _, c in INDEXING_ERRORS], ids=[n for n, _ in INDEXING_ERRORS])
def test_indexing_ops_refuse_as_torch(xp, torch, call):
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


def test_scatter_reduce_takes_torchs_max_and_min_names(xp, torch):
    """torch's forward also takes "max"/"min" (its backward refuses them; ours differentiates)."""
    x, s = np.array([1.0, 5.0, 3.0]), np.array([4.0, 2.0, 1.0])
    index = np.array([0, 0, 2])
    for name in ("max", "min"):
        theirs = torch.from_numpy(x).scatter_reduce(0, torch.from_numpy(index), torch.from_numpy(s), name)
        ours = xp.tensor(x, "float64").scatter_reduce(0, xn.tensor(index, device=xp.device),
                                                      xp.tensor(s, "float64"), name)
        np.testing.assert_array_equal(xp.numpy(ours), theirs.numpy())


@pytest.mark.parametrize("dtype", ["int32", "int16", "uint8", "float32"])
def test_view_dtype_reads_the_bytes_as_torch(xp, torch, dtype):
    """``x.view(torch.int32)``: the same bytes as another dtype, cut from the graph; libraries
    without a bitcast (the Array API has none) refuse with the fix."""
    values = np.array([[1.0, -2.5], [0.1, 3.0]], dtype=np.float32)
    theirs = torch.from_numpy(values).view(getattr(torch, dtype))
    t = xp.tensor(values, requires_grad=True)
    if xp.name.startswith(("array_api_strict", "jax")):
        with pytest.raises(TypeError, match=r"\.to\(dtype\)"):
            t.view(getattr(xn, dtype))
        return
    ours = t.view(getattr(xn, dtype))
    assert ours.dtype == getattr(xn, dtype) and not ours.requires_grad and xp.same_place(ours)
    np.testing.assert_array_equal(xp.numpy(ours), theirs.numpy())


@pytest.mark.parametrize("num_classes", [-1, 5])
def test_one_hot_matches_torch(xp, torch, num_classes):
    import torch.nn.functional as TF

    import xpnet.nn.functional as F

    labels = np.array([[0, 3], [2, 2], [1, 0]])
    theirs = TF.one_hot(torch.from_numpy(labels), num_classes)
    ours = F.one_hot(xn.tensor(labels, device=xp.device), num_classes)
    assert ours.dtype == xn.int64 and xp.same_place(ours) and ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(xp.numpy(ours), theirs.numpy())


def test_one_hot_refuses_as_torch(xp, torch):
    import torch.nn.functional as TF

    import xpnet.nn.functional as F

    cases = [(np.array([1.0, 2.0]), 3), (np.array([0, 3]), 3), (np.array([], dtype=np.int64), -1)]
    for bad, classes in cases:
        with pytest.raises(RuntimeError):
            TF.one_hot(torch.from_numpy(bad), classes)
        if xp.name.startswith("cupy") and classes != -1 and bad.dtype.kind == "i":
            continue  # an index out of range is not read on a GPU (no host wait)
        with pytest.raises(RuntimeError):
            F.one_hot(xn.tensor(bad, device=xp.device), classes)


# -- torch's names for counting, locating and binning (integer results; gaps1) --------------
def _as_torch(values: Any) -> Any:
    return torch.from_numpy(np.array(values))


def _equal(got: Any, expected: Any, xp: Any) -> None:
    assert isinstance(got, xn.Tensor) and xp.same_place(got)
    assert got.dtype.name == str(expected.dtype).removeprefix("torch."), (got.dtype, expected.dtype)
    assert got.shape == tuple(expected.shape)
    np.testing.assert_allclose(xp.numpy(got), expected.numpy(), rtol=1e-6, atol=0, equal_nan=True)


_V = np.array([[0.5, 2.0, 2.5, -1.0], [3.0, 3.5, 1.0, 2.0]])
_S = np.array([1.0, 2.0, 3.0])
_U = np.array([[3, 1, 3], [2, 2, 7]], dtype=np.int64)


INTEGER_RESULTS = {
    "count_nonzero": lambda lib, v, s: lib.count_nonzero(v > 1),
    "count_nonzero dim": lambda lib, v, s: lib.count_nonzero(v, 1),
    "count_nonzero dims": lambda lib, v, s: lib.count_nonzero(v > 1, (0, 1)),
    "argwhere": lambda lib, v, s: lib.argwhere(v > 1),
    "argwhere method": lambda lib, v, s: (v > 1).argwhere(),
    "searchsorted": lambda lib, v, s: lib.searchsorted(s, v),
    "searchsorted right": lambda lib, v, s: lib.searchsorted(s, v,
                                                          right=True),
    "searchsorted side int32": lambda lib, v, s: lib.searchsorted(s, v, side="right", out_int32=True),
    "searchsorted rows": lambda lib, v, s: lib.searchsorted(lib.sort(v, 1).values, v * 0.9),
    "bucketize": lambda lib, v, s: lib.bucketize(v, s),
    "bucketize right int32": lambda lib, v, s: lib.bucketize(v, s,
                                                          right=True, out_int32=True),
    "histc": lambda lib, v, s: lib.histc(v, 4),
    "histc range": lambda lib, v, s: lib.histc(v, 3, min=0, max=3),
    "histc method": lambda lib, v, s: v.histc(bins=5, min=-1, max=2.5),
    "median indices": lambda lib, v, s: lib.median(v, 1).indices,
    "kthvalue indices": lambda lib, v, s: lib.kthvalue(v, 3, 1).indices,
    "cummax indices": lambda lib, v, s: lib.cummax(v, 1).indices,
    "cummin indices": lambda lib, v, s: v.cummin(0).indices,
    "mode indices": lambda lib, v, s: lib.mode(v, 1).indices,
    "floor of frac": lambda lib, v, s: lib.frac(v).floor(),
}


@pytest.mark.parametrize("name", list(INTEGER_RESULTS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_integer_results_match_torch(xp, name, dtype):
    f = INTEGER_RESULTS[name]
    values = _V.astype(dtype)
    edges = _S.astype(dtype)
    _equal(f(xn, xp.tensor(values, dtype), xp.tensor(edges, dtype)),
           f(torch, _as_torch(values), _as_torch(edges)), xp)


@pytest.mark.parametrize("flags", [(False, False), (True, False), (False, True), (True, True)])
def test_unique_matches_torch(xp, flags):
    inverse, counts = flags
    ours = xn.unique(xp.tensor(_U, "int64"), return_inverse=inverse, return_counts=counts)
    theirs = torch.unique(_as_torch(_U), return_inverse=inverse, return_counts=counts)
    if not (inverse or counts):
        ours, theirs = (ours,), (theirs,)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        _equal(a, b, xp)
    floats = xp.tensor(_V, "float32").unique(return_counts=True)
    for a, b in zip(floats, torch.unique(_as_torch(_V.astype(np.float32)), return_counts=True)):
        _equal(a, b, xp)


def test_integer_inputs_keep_torch_dtypes(xp):
    ints = xp.tensor(_U, "int64")
    for f in (lambda lib, v: lib.tril(v), lambda lib, v: lib.roll(v, 1, 1), lambda lib, v: lib.diag(v),
              lambda lib, v: lib.trace(v), lambda lib, v: lib.amax(v, 0), lambda lib, v: lib.fmod(v, -2),
              lambda lib, v: lib.kron(v, v), lambda lib, v: lib.repeat_interleave(v, 2, 0),
              lambda lib, v: lib.diff(v), lambda lib, v: lib.nan_to_num(v),
              lambda lib, v: lib.median(v), lambda lib, v: lib.mode(v, 1).values,
              lambda lib, v: lib.cummax(v, 1).values, lambda lib, v: lib.count_nonzero(v)):
        _equal(f(xn, ints), f(torch, _as_torch(_U)), xp)
    assert xn.is_floating_point(xp.tensor(_V)) and not xn.is_floating_point(ints)
    assert torch.is_floating_point(_as_torch(_V)) and not torch.is_floating_point(_as_torch(_U))


def test_nan_to_num_default_bounds_and_nan_order_stats(xp):
    v = np.array([np.nan, np.inf, -np.inf, 1.5, np.nan, 0.5], dtype=np.float32)
    for f in (lambda lib, t: lib.nan_to_num(t), lambda lib, t: t.nan_to_num(nan=2.0),
              lambda lib, t: lib.median(t), lambda lib, t: lib.median(t, 0).values,
              lambda lib, t: lib.median(t, 0).indices, lambda lib, t: lib.cummax(t, 0).values,
              lambda lib, t: lib.cummin(t, 0).indices, lambda lib, t: lib.quantile(t, 0.5)):
        _equal(f(xn, xp.tensor(v)), f(torch, _as_torch(v)), xp)


def test_meshgrid_and_result_types_as_torch(xp):
    a, b = np.arange(2.0), np.arange(3.0)
    for ix in ("ij", "xy"):
        ours = xn.meshgrid(xp.tensor(a), xp.tensor(b), indexing=ix)
        theirs = torch.meshgrid(_as_torch(a).float(), _as_torch(b).float(), indexing=ix)
        for p, q in zip(ours, theirs):
            _equal(p, q, xp)
    x = xp.tensor(_V)
    assert type(xn.median(x, 0)).__name__ == type(torch.median(_as_torch(_V), 0)).__name__ == "median"
    assert tuple(xn.aminmax(x)._fields) == ("min", "max")
    assert type(xn.cummax(x, 0)).__name__ == "cummax" and type(x.kthvalue(1)).__name__ == "kthvalue"


def test_bernoulli_draws_zeros_and_ones_of_the_input_dtype(xp):
    xn.manual_seed(0)
    p = np.full((400,), 0.25, dtype=np.float32)
    draw = xn.bernoulli(xp.tensor(p))
    theirs = torch.bernoulli(_as_torch(p))
    assert draw.dtype.name == str(theirs.dtype).removeprefix("torch.") and xp.same_place(draw)
    values = xp.numpy(draw)
    assert set(np.unique(values)) <= {0.0, 1.0} and 0.1 < values.mean() < 0.4
    assert set(np.unique(xp.numpy(xp.tensor(p).bernoulli(1.0)))) == {1.0}
    certain = xp.numpy(xn.bernoulli(xp.tensor(np.array([0.0, 1.0, 0.0]))))
    np.testing.assert_array_equal(certain, torch.bernoulli(torch.tensor([0.0, 1.0, 0.0])).numpy())


REFUSED = [
    ("tril of a vector", lambda lib, v, s: lib.tril(v[0])),
    ("diagonal same dims", lambda lib, v, s: lib.diagonal(v, 0, 1, 1)),
    ("diagonal dim out of range", lambda lib, v, s: lib.diagonal(v, 0, 0, 5)),
    ("diag of 3-D", lambda lib, v, s: lib.diag(v[None])),
    ("trace of 3-D", lambda lib, v, s: lib.trace(v[None])),
    ("roll shifts/dims lengths", lambda lib, v, s: lib.roll(v, (1, 2), 0)),
    ("diff of 0-d", lambda lib, v, s: lib.diff(v[0, 0])),
    ("repeat_interleave negative", lambda lib, v, s: lib.repeat_interleave(v, -1)),
    ("repeat_interleave counts length", lambda lib, v, s: lib.repeat_interleave(
        v, lib.tensor([1, 2, 3]), dim=0)),
    ("meshgrid indexing", lambda lib, v, s: lib.meshgrid(v[0], v[1], indexing="ab")),
    ("meshgrid 2-D", lambda lib, v, s: lib.meshgrid(v, v[0], indexing="ij")),
    ("addmm shapes", lambda lib, v, s: lib.addmm(v, v, v)),
    ("kthvalue k too large", lambda lib, v, s: lib.kthvalue(v, 5, 1)),
    ("kthvalue k zero", lambda lib, v, s: lib.kthvalue(v, 0, 1)),
    ("median dim", lambda lib, v, s: lib.median(v, 3)),
    ("cummax dim", lambda lib, v, s: lib.cummax(v, 2)),
    ("quantile q > 1", lambda lib, v, s: lib.quantile(v, 1.5)),
    ("quantile q < 0 tensor", lambda lib, v, s: lib.quantile(v, lib.tensor([0.5, -0.1], dtype=v.dtype))),
    ("quantile interpolation", lambda lib, v, s: lib.quantile(v, 0.5, interpolation="cubic")),
    ("quantile of ints", lambda lib, v, s: lib.quantile(v.long(), 0.5)),
    ("histc bins", lambda lib, v, s: lib.histc(v, 0)),
    ("histc min > max", lambda lib, v, s: lib.histc(v, 3, 2.0, 1.0)),
    ("histc of ints", lambda lib, v, s: lib.histc(v.long())),
    ("bucketize 2-D boundaries", lambda lib, v, s: lib.bucketize(v, v)),
    ("searchsorted side", lambda lib, v, s: lib.searchsorted(v[0], v, side="middle")),
    ("searchsorted rows", lambda lib, v, s: lib.searchsorted(v, v[:1])),
]


@pytest.mark.parametrize("name", [n for n, _ in REFUSED])
def test_refused_as_torch(xp, name):
    f = dict(REFUSED)[name]
    with pytest.raises(Exception) as theirs:
        f(torch, _as_torch(_V.astype(np.float32)), _as_torch(_S))
    with pytest.raises(type(theirs.value)):
        f(xn, xp.tensor(_V), xp.tensor(_S))


def test_bernoulli_refuses_probabilities_outside_0_1_where_reading_is_free(xp):
    with pytest.raises(RuntimeError):
        torch.bernoulli(_as_torch(_V))
    if xp.name.startswith("cupy"):  # not read on a GPU (no host wait): still zeros and ones
        assert set(np.unique(xp.numpy(xn.bernoulli(xp.tensor(_V))))) <= {0.0, 1.0}
        return
    with pytest.raises(RuntimeError):
        xn.bernoulli(xp.tensor(_V))


LINALG_REFUSED = [
    ("inv singular", lambda lib, a: lib.linalg.inv(a * 0)),
    ("solve singular", lambda lib, a: lib.linalg.solve(a * 0, a)),
    ("inv not square", lambda lib, a: lib.linalg.inv(a[:, :2])),
    ("det of a vector", lambda lib, a: lib.linalg.det(a[0])),
    ("slogdet of ints", lambda lib, a: lib.linalg.slogdet(a.long())),
    ("inv of ints", lambda lib, a: lib.linalg.inv(a.long())),
    ("solve shapes", lambda lib, a: lib.linalg.solve(a, a[:2])),
    ("matrix_norm ord", lambda lib, a: lib.linalg.matrix_norm(a, 3)),
    ("matrix_norm of a vector", lambda lib, a: lib.linalg.matrix_norm(a[0])),
    ("norm ord of 3-D", lambda lib, a: lib.linalg.norm(a[None], 2)),
    ("vector_norm of ints", lambda lib, a: lib.linalg.vector_norm(a.long())),
]


@pytest.mark.parametrize("name", [n for n, _ in LINALG_REFUSED])
def test_linalg_refused_as_torch(xp, name):
    f = dict(LINALG_REFUSED)[name]
    square = np.array([[2.0, 1.0, 0.5], [0.0, 3.0, 1.0], [1.0, 0.0, 4.0]])
    with pytest.raises(Exception) as theirs:
        f(torch, _as_torch(square))
    if "singular" in name and xp.name.startswith("cupy"):  # CuPy answers inf/NaN (no host wait)
        return
    expected = type(theirs.value)
    if isinstance(theirs.value, torch.linalg.LinAlgError):
        expected = xn.linalg.LinAlgError  # torch's class, by its own name
    with pytest.raises(expected):
        f(xn, xp.tensor(square, "float64"))
    assert issubclass(xn.linalg.LinAlgError, RuntimeError)
    assert issubclass(torch.linalg.LinAlgError, RuntimeError)


def test_logdet_of_negative_and_zero_determinants_as_torch(xp):
    for m in ([[0.0, 1.0], [1.0, 0.0]], [[1.0, 2.0], [2.0, 4.0]], [[2.0, 0.0], [0.0, 3.0]]):
        m = np.array(m)
        _equal(xn.logdet(xp.tensor(m, "float64")), torch.logdet(_as_torch(m)), xp)
