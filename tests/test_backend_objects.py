"""One backend object per array library: the generic code in its base class, overrides in subclasses.

``t.xp`` is the backend object of the tensor's library: the library's Array API
namespace plus xpnet's operations. These tests hold the structure to its promises:
one object per library, every namespace function reachable on it, xpnet's methods
never shadowed by a namespace's own names, the generic code alone enough to train,
and a subclass overriding one method (declining with ``super()``) is all a fast
path takes.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

import xpnet as xn
from xpnet import _backend, nn, optim
from xpnet._backend import Backend


def test_one_backend_object_per_library(xp):
    a, b = xp.array([1.0, 2.0]), xp.array([[3.0]], "float64")
    assert _backend.namespace(a) is _backend.namespace(b) is xp.ns
    assert _backend.backend_for(xp.ns.namespace) is xp.ns
    assert xn.asarray(a).xp is xp.ns and isinstance(xp.ns, Backend)
    t = xn.asarray(a)
    assert copy.deepcopy(t).xp is xp.ns and copy.copy(xp.ns) is xp.ns


def test_every_namespace_function_is_on_the_backend(xp):
    ns = xp.ns.namespace
    names = [n for n in dir(ns) if not n.startswith("_")]
    missing = [n for n in names if not hasattr(xp.ns, n)]
    assert not missing
    own = set(dir(Backend))
    for n in names:  # the library's own function, unless NumPy's backend binds it to C
        if n not in own and n not in vars(type(xp.ns)):
            assert getattr(xp.ns, n) is getattr(ns, n), n


def test_xpnets_methods_win_over_a_namespaces_names(xp):
    """array_api_compat.torch carries all of torch (``torch.scatter_add``, ``from_numpy``): the
    backend's own methods of those names are the ones ops get."""
    for name in ("scatter_add", "from_numpy", "to_numpy", "apply_", "bias_act", "sgd_step"):
        assert getattr(type(xp.ns), name) is getattr(xp.ns, name).__func__, name


def test_library_names_and_descriptions(xp):
    library = xp.name.split("-")[0]  # torch-cuda: torch; cupy-double: cupy; ...-device1
    assert xp.ns.library == library == _backend.library(xp.ns)
    t = xn.asarray(xp.array([1.0]))
    assert _backend.describe(t.xp, _backend.device(t.array)).startswith(xp.ns.library + " ")


def _train(xp_backend: Backend, dtype: str = "float64") -> list[np.ndarray]:
    """A small MLP trained 20 steps with tensors of ``xp_backend`` (from the same numbers)."""
    rng = np.random.default_rng(0)
    host = {"x": rng.standard_normal((16, 3)), "y": rng.standard_normal((16, 2)),
            "w1": rng.standard_normal((8, 3)) * 0.5, "b1": np.zeros(8),
            "w2": rng.standard_normal((2, 8)) * 0.5, "b2": np.zeros(2)}
    arrays = {k: xp_backend.asarray(v.astype(dtype)) for k, v in host.items()}
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2)).to(dtype=getattr(xn, dtype))
    for p, key in zip(model.parameters(), ("w1", "b1", "w2", "b2")):
        p.array = arrays[key]
        p.xp = xp_backend
    opt = optim.Adam(model.parameters(), lr=0.05)
    x, y = xn.Tensor(arrays["x"]), xn.Tensor(arrays["y"])
    x.xp = y.xp = xp_backend
    for _ in range(20):
        opt.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        opt.step()
    return [_backend.to_numpy(p.array) for p in model.parameters()]


def test_the_generic_backend_alone_trains_as_numpys():
    """The base class is the whole generic code: a NumPy model trained through a plain
    ``Backend`` (no override at all) follows NumPy's backend with its fast paths."""
    generic = Backend(_backend.numpy_xp.namespace)
    for a, b in zip(_train(generic), _train(_backend.numpy_xp)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


class CountingBackend(Backend):
    """A new backend in a few lines: one override, declining to the generic code for the rest."""

    library = "counting"

    def __init__(self, namespace: object) -> None:
        super().__init__(namespace)
        self.calls: list[str] = []

    def activation(self, z, activation, negative_slope=0.01, overwrite=False):
        self.calls.append(activation)
        return super().activation(z, activation, negative_slope, overwrite)


def test_a_subclass_overrides_one_method_and_declines_with_super():
    counting = CountingBackend(_backend.numpy_xp.namespace)
    x = xn.Tensor(counting.asarray(np.array([[-1.0, 2.0]])))
    x.xp = counting
    x.requires_grad = True
    y = xn.relu(x) + xn.sigmoid(x)
    y.sum().backward()
    assert counting.calls == ["relu", "sigmoid"]
    s = 1 / (1 + np.exp(-np.array([-1.0, 2.0])))
    np.testing.assert_allclose(_backend.to_numpy(x.grad.array), [[0.0, 1.0]] + s * (1 - s))


def test_dask_arrays_are_refused_with_the_fix():
    da = pytest.importorskip("dask.array", reason="dask not installed")
    with pytest.raises(TypeError, match=r"dask.*\.compute\(\)"):
        xn.asarray(da.ones(3))
