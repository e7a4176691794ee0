"""JAX as a backend, and dask refused: what differs from the other libraries, held to torch.

JAX arrays never change, so an xpnet Tensor is the mutable box around one: in-place
ops rebind it, and ``.data``/``detach()`` are aliases of its array slot. The first
tests run on every backend (the ``xp`` fixture) against torch itself: the program
behaves as torch's everywhere. The rest need JAX (skipped, with the reason, without it).
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import xpnet as xn
from xpnet import nn, optim


# -- torch's shared-memory idioms, on every backend (JAX: through the alias) ---------------------
def _shared_memory_program(m, make):
    """torch's idioms that rely on .data / detach() sharing memory with their tensor."""
    w = make([1.0, 2.0, 3.0])
    (w * w).sum().backward()
    w.data -= 0.1 * w.grad.data  # the tutorial's update
    d = w.data
    d.mul_(2.0)  # through a .data taken earlier
    det = w.detach()
    det.add_(1.0)  # detach() shares memory too
    with m.no_grad():
        w.sub_(0.5)
    seen = det.tolist()  # an alias taken before sees later updates of w
    w.grad.data.zero_()
    det[0] = 10.0
    return w.tolist(), d.tolist(), seen, w.grad.tolist()


def test_data_and_detach_share_memory_as_in_torch(xp, torch):
    want = _shared_memory_program(torch, lambda v: torch.tensor(v, requires_grad=True))
    got = _shared_memory_program(xn, lambda v: xp.tensor(v, requires_grad=True))
    np.testing.assert_allclose(np.array(got[0]), want[0], rtol=1e-6)
    for g, t in zip(got[1:], want[1:]):
        np.testing.assert_allclose(np.array(g), t, rtol=1e-6)


def test_hand_written_training_loop_learns_as_torch(xp, torch):
    """``w.data -= lr * w.grad.data`` and ``w.grad.zero_()`` in a loop: torch's numbers."""
    rng = np.random.default_rng(0)
    x_host, y_host = rng.standard_normal((8, 3)), rng.standard_normal((8, 1))
    w0 = rng.standard_normal((3, 1))
    results = []
    for make in (lambda a, g: torch.tensor(a, requires_grad=g),
                 lambda a, g: xp.tensor(a, "float64", requires_grad=g)):
        x, y, w = make(x_host, False), make(y_host, False), make(w0, True)
        for _ in range(5):
            loss = ((x @ w - y) ** 2).mean()
            loss.backward()
            w.data -= 0.1 * w.grad.data
            w.grad.zero_()
        results.append(np.array(w.tolist()))
    np.testing.assert_allclose(results[1], results[0], rtol=1e-12)


# -- JAX ---------------------------------------------------------------------------------------
@pytest.fixture
def jax():
    jax = pytest.importorskip("jax", reason="jax: not installed")
    jax.config.update("jax_enable_x64", True)  # what xpnet requires (see test_x64_mode_is_required)
    return jax


def test_a_jax_device_selects_jax(jax):
    cpu = jax.devices("cpu")[0]
    t = xn.zeros(2, 3, device=cpu)
    assert type(t.array).__module__.startswith("jax") and t.xp.library == "jax"
    assert t.device == "cpu" and t.device.type == "cpu" and xn.device(cpu) == "cpu"
    assert t.dtype == xn.float32 and xn.ones(2, dtype=xn.float64, device=cpu).dtype == xn.float64
    assert xn.tensor([1, 2], device=cpu).dtype == xn.int64
    again = xn.zeros(1, device=t.device)  # a JAX tensor's device goes back to JAX
    assert again.xp is t.xp
    assert t.to("cpu") is t  # "cpu" given for a JAX tensor is JAX's CPU, as torch's is torch's
    assert t.to("numpy").xp.library == "numpy"


def test_to_a_jax_device_and_back_keeps_values_and_gradient(jax):
    cpu = jax.devices("cpu")[0]
    x = xn.tensor([[1.0, -2.0], [3.0, 0.5]], requires_grad=True)  # NumPy
    y = x.to(cpu)
    assert y.xp.library == "jax" and np.array_equal(y.numpy(), x.numpy())
    (y * y).sum().backward()
    assert x.grad.xp.library == "numpy"  # the gradient went back to NumPy
    np.testing.assert_array_equal(x.grad.numpy(), 2 * x.numpy())
    host = y.numpy()
    host[0, 0] = 99.0  # a writeable host copy of its own
    assert y[0, 0].item() == 1.0


def test_mixing_jax_with_another_library_is_a_clear_error(jax):
    a = xn.ones(3, device=jax.devices("cpu")[0])
    b = xn.ones(3)
    with pytest.raises(RuntimeError, match=r"jax cpu and numpy cpu.*\.to\("):
        a + b
    with pytest.raises(RuntimeError, match="jax cpu"):
        nn.Linear(3, 2)(a)


def test_manual_seed_makes_jax_draws_reproducible(jax):
    cpu = jax.devices("cpu")[0]

    def draws():
        xn.manual_seed(7)
        model = nn.Linear(4, 3).to(cpu)
        return xn.randn(5, device=cpu).numpy(), xn.rand(2, 2, device=cpu).numpy(), \
            model.weight.numpy(), xn.randperm(6, device=cpu).numpy()

    first, second = draws(), draws()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    xn.manual_seed(8)
    assert not np.array_equal(xn.randn(5, device=cpu).numpy(), first[0])


def test_training_on_jax_matches_numpy(jax):
    """Sequential + Adam + CrossEntropyLoss on JAX: the same numbers as on NumPy, every
    parameter and state buffer a JAX array (rebound each step, never mutated)."""
    cpu = jax.devices("cpu")[0]
    rng = np.random.default_rng(1)
    x_host, y_host = rng.standard_normal((16, 4)), rng.integers(0, 3, 16)
    losses = {}
    for place in ("cpu", cpu):
        xn.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)).double().to(place)
        opt = optim.Adam(model.parameters(), lr=0.01)
        x, y = xn.tensor(x_host, device=place), xn.tensor(y_host, device=place)
        for _ in range(5):
            loss = nn.CrossEntropyLoss()(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        losses[str(type(x.array).__module__).split(".")[0]] = (loss.item(), model.state_dict())
    (l_np, sd_np), (l_jax, sd_jax) = losses["numpy"], losses["jaxlib"]
    assert l_jax == pytest.approx(l_np, rel=1e-12)
    for k in sd_np:
        got, want = xn.asarray(sd_jax[k]), xn.asarray(sd_np[k])
        assert got.xp.library == "jax"
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-10, atol=1e-12)


def test_load_state_dict_and_init_fill_jax_parameters(jax):
    cpu = jax.devices("cpu")[0]
    model = nn.Linear(3, 2).to(cpu)
    before = model.weight.array
    nn.init.zeros_(model.weight)
    assert model.weight.array is not before and not model.weight.numpy().any()
    src = nn.Linear(3, 2)
    model.load_state_dict(src.state_dict())
    np.testing.assert_array_equal(model.weight.numpy(), src.weight.numpy())
    assert model.weight.xp.library == "jax"


def test_x64_mode_is_required_with_the_fix_in_the_message():
    """Without JAX's x64 mode, JAX silently makes float64/int64 arrays 32-bit: xpnet refuses
    its arrays and says how to turn it on (a fresh process: x64 is global and on here)."""
    pytest.importorskip("jax", reason="jax: not installed")
    code = ("import jax.numpy as jnp, xpnet as xn\n"
            "try:\n    xn.asarray(jnp.ones(3))\nexcept TypeError as e:\n    print('REFUSED', e)\n")
    env = {k: v for k, v in os.environ.items() if k != "JAX_ENABLE_X64"}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert "REFUSED" in run.stdout and "jax.config.update('jax_enable_x64', True)" in run.stdout


# -- dask: refused, with the fix ---------------------------------------------------------------
def test_dask_arrays_are_refused_with_the_fix():
    da = pytest.importorskip("dask.array", reason="dask: not installed")
    lazy = da.ones((4, 3), chunks=2)
    for make in (xn.asarray, xn.tensor, xn.Tensor, lambda a: nn.Linear(3, 2)(a)):
        with pytest.raises(TypeError, match=r"dask.*\.compute\(\)"):
            make(lazy)
    with pytest.raises(TypeError, match="dask"):
        xn.ones(4, 3) + lazy
    t = xn.asarray(lazy.compute())  # the fix the message gives
    assert t.xp.library == "numpy" and t.shape == (4, 3)
