"""torch's names added for renamed torch programs (triangles, rearranging, order statistics,
counting, xn.linalg) never wait for the GPU where torch does not: forward and backward run
on the CuPy double (tests/_cupy_double.py) in its no-host-read mode, and give the values
the NumPy backend gives.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("cupy", reason="cupy not installed (it imports without a GPU)")

import xpnet as xn
from _cupy_double import installed, session_double
from xpnet import _backend


@pytest.fixture
def gpu(tmp_path_factory):
    d = session_double(tmp_path_factory.getbasetemp() / "cupy-double")
    with installed(d):
        xn.manual_seed(0)
        yield d


OPS = {
    "tril": lambda x: xn.tril(x, -1), "triu": lambda x: x.triu(1), "diagonal": lambda x: x.diagonal(1),
    "diag": lambda x: xn.diag(x[0], 1), "trace": lambda x: xn.trace(x),
    "roll": lambda x: xn.roll(x, (1, -2), (0, 1)), "diff": lambda x: xn.diff(x, 2, 0),
    "repeat_interleave": lambda x: x.repeat_interleave(2, dim=1),
    "repeat_interleave output_size": lambda x: xn.repeat_interleave(
        x, xn.tensor([1, 0, 2, 1], device=x.device), dim=1, output_size=4),
    "meshgrid": lambda x: xn.meshgrid(x[0], x[1], indexing="xy")[1],
    "kron": lambda x: xn.kron(x[:2, :2], x[1:, 2:]), "nan_to_num": lambda x: xn.nan_to_num(x, posinf=2.0),
    "lerp": lambda x: xn.lerp(x, x * 2, 0.3), "hypot": lambda x: xn.hypot(x, x + 1),
    "fmod": lambda x: xn.fmod(x, 0.7), "frac": lambda x: x.frac(),
    "addmm": lambda x: xn.addmm(x[0], x, x.T, beta=0.5),
    "baddbmm": lambda x: xn.baddbmm(x[None], x[None], x.T[None]),
    "amax": lambda x: xn.amax(x, 1), "aminmax": lambda x: xn.aminmax(x).min,
    "median": lambda x: xn.median(x), "median dim": lambda x: x.median(0).values,
    "kthvalue": lambda x: xn.kthvalue(x, 2).values, "mode": lambda x: xn.mode(x.round()).values,
    "cummax": lambda x: xn.cummax(x, 1).values, "cummin": lambda x: x.cummin(0).values,
    "quantile": lambda x: xn.quantile(x, 0.3, dim=1), "count_nonzero": lambda x: xn.count_nonzero(x > 0),
    "searchsorted": lambda x: xn.searchsorted(x[0].sort().values, x),
    "bucketize": lambda x: xn.bucketize(x, x[0].sort().values),
    "linalg.inv": lambda x: xn.linalg.inv(x[:, :4]),
    "linalg.solve": lambda x: xn.linalg.solve(x[:, :4], x[0]),
    "det": lambda x: xn.det(x[:, :4]), "slogdet": lambda x: xn.slogdet(x[:, :4]).logabsdet,
    "linalg.norm": lambda x: xn.linalg.norm(x), "matrix_norm": lambda x: xn.linalg.matrix_norm(x, 1),
}


def _values() -> np.ndarray:
    return np.random.default_rng(3).standard_normal((4, 4)) + 4 * np.eye(4)


@pytest.mark.parametrize("name", list(OPS))
def test_new_ops_never_wait_for_the_gpu(gpu, name):
    on_cpu = xn.tensor(_values(), requires_grad=True)
    expected = OPS[name](on_cpu)
    x = xn.tensor(_values(), device="cuda", requires_grad=True)
    with gpu.no_host_read():
        out = OPS[name](x)
        if out.requires_grad:
            out.sum().backward()
    assert out.device.type == "cuda" and out.dtype == expected.dtype
    np.testing.assert_allclose(_backend.to_numpy(out.array), _backend.to_numpy(expected.array), rtol=1e-9)
    if out.requires_grad:
        expected.sum().backward()
        np.testing.assert_allclose(_backend.to_numpy(x.grad.array), _backend.to_numpy(on_cpu.grad.array),
                                   rtol=1e-9)
