"""Saving and restoring random streams, as torch's ``get_state``/``set_state`` and
``get_rng_state``/``set_rng_state``: the draws after a restore repeat, on every backend."""

from __future__ import annotations

import numpy as np
import pytest

import xpnet as xn

DRAWS = [
    lambda dev, g: xn.randn(3, 2, device=dev, generator=g),
    lambda dev, g: xn.rand(5, device=dev, generator=g, dtype=xn.float64),
    lambda dev, g: xn.randperm(7, device=dev, generator=g),
    lambda dev, g: xn.randint(0, 50, (4,), device=dev, generator=g),
]


def _draw_all(xp, g=None):
    return [xp.numpy(draw(xp.device, g)) for draw in DRAWS]


def _same(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a, b))


def _cupy_has_no_state(xp):
    if xp.name.startswith("cupy"):
        with pytest.raises(NotImplementedError, match="reseed"):
            xn.get_rng_state()
        pytest.skip(f"{xp.name}: CuPy's generators keep no readable state (checked it says so)")


def test_global_state_round_trip(xp):
    xn.manual_seed(11)
    _draw_all(xp)  # the streams exist and have moved
    _cupy_has_no_state(xp)
    state = xn.get_rng_state()
    assert state.dtype == xn.uint8 and state.ndim == 1
    first = _draw_all(xp)
    xn.set_rng_state(state)
    assert _same(_draw_all(xp), first)
    xn.manual_seed(11)  # a seed still starts over, after a restore
    again = _draw_all(xp)
    assert not _same(again, first)  # (the state above was taken after one round of draws)


def test_generator_state_round_trip_and_independence(xp):
    g = xn.Generator().manual_seed(5)
    _draw_all(xp, g)
    if xp.name.startswith("cupy"):
        with pytest.raises(NotImplementedError, match="reseed"):
            g.get_state()
        pytest.skip(f"{xp.name}: CuPy's generators keep no readable state (checked it says so)")
    state = g.get_state()
    first = _draw_all(xp, g)
    xn.randn(10, device=xp.device)  # global draws in between change nothing for g
    g.manual_seed(99)
    _draw_all(xp, g)
    assert g.set_state(state) is g
    assert g.initial_seed() == 5
    assert _same(_draw_all(xp, g), first)


def test_a_state_taken_before_a_librarys_first_draw_restores_its_fresh_stream(xp):
    xn.manual_seed(4)
    if xp.name.startswith("cupy"):
        _draw_all(xp)
        _cupy_has_no_state(xp)
    state = xn.get_rng_state()  # nothing drawn yet: each stream starts from the seed
    first = _draw_all(xp)
    _draw_all(xp)
    xn.set_rng_state(state)
    assert _same(_draw_all(xp), first)


def test_a_bad_state_is_refused_and_changes_nothing(torch):
    xn.manual_seed(2)
    before = xn.get_rng_state()
    for bad in (torch.get_rng_state(), xn.tensor([1, 2, 3], dtype=xn.uint8), b"not a state"):
        with pytest.raises(ValueError, match="xpnet's get_state"):
            xn.set_rng_state(bad)
    assert np.array_equal(xn.get_rng_state().numpy(), before.numpy())


def test_the_torch_idiom_runs_renamed(torch):
    """``s = torch.get_rng_state(); a = torch.rand(3); torch.set_rng_state(s); b = torch.rand(3)``."""
    for lib in (torch, xn):
        lib.manual_seed(0)
        s = lib.get_rng_state()
        a = lib.rand(3)
        lib.set_rng_state(s)
        assert bool((lib.rand(3) == a).all())
