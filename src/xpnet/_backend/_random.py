"""Seeded random numbers on every backend, each drawn where its array will live.

``manual_seed(n)`` reseeds every generator: NumPy's (cpu), one CuPy generator
per GPU, one torch generator per torch device. Libraries without a random
module (array-api-strict, JAX) draw on a NumPy generator of their own and
copy the numbers to their device once, at creation.

A :class:`Generator` (``xn.Generator``, torch's ``torch.Generator``) is the same
thing with its own seed: the draws that take ``generator=`` use its own native
generators (one per library and device, made on first use), so they repeat
whatever else is drawn in between.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_seed: int | None = None
_library_seeds: dict[str, int] = {}  # library -> its own seed (xpnet.cuda.manual_seed: "cupy")
_generators: dict[tuple[str, str], Any] = {}


def manual_seed(seed: int, library: str | None = None) -> None:
    """Make every later random draw reproducible, on every backend (or on ``library``'s only)."""
    global _seed
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"manual_seed expects a non-negative int, got {seed!r}")
    if library is None:
        _seed = seed
        _library_seeds.clear()
        _generators.clear()
        return
    _library_seeds[library] = seed
    for key in [k for k in _generators if k[0] == library]:
        del _generators[key]


_DEFAULT_SEED = 67280421310721  # torch.Generator().initial_seed()


class Generator:
    """A random number generator with its own seed (torch's ``torch.Generator``).

    ``g = xn.Generator().manual_seed(42)``, then ``xn.randn(3, generator=g)``,
    ``xn.randperm(10, generator=g)``, ``DataLoader(..., generator=g)``: the draws
    through ``g`` repeat for its seed and leave :func:`xpnet.manual_seed`'s
    generators alone. ``device``: recorded (``g.device``); ``g`` draws on whatever
    device each call asks for, from one native generator per library and device.
    The numbers are not torch's for the same seed. ``get_state``/``set_state`` are
    not supported (raise NotImplementedError): reseed with ``manual_seed`` instead.
    """

    def __init__(self, device: Any = "cpu") -> None:
        from .._device import device as _device

        self.device = _device(device)
        self._seed = _DEFAULT_SEED
        self._natives: dict[tuple[str, str], Any] = {}

    def manual_seed(self, seed: int) -> Generator:
        """Reseed: later draws through this generator start over from ``seed``. Returns self."""
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"manual_seed expected an int seed, got {seed!r}")
        self._seed = seed % (1 << 64)  # torch also takes negative seeds (two's complement)
        self._natives.clear()
        return self

    def initial_seed(self) -> int:
        """The seed of the current stream (the last ``manual_seed`` or ``seed``)."""
        return self._seed

    def seed(self) -> int:
        """Reseed from fresh entropy (not reproducible); returns the new seed."""
        new = int(np.random.SeedSequence().generate_state(1, np.uint64)[0])
        self.manual_seed(new)
        return new

    def get_state(self) -> Any:
        raise NotImplementedError("Generator.get_state is not supported in xpnet: keep the seed "
                                  "(g.initial_seed()) and call g.manual_seed(seed) to start over")

    def set_state(self, new_state: Any) -> Generator:
        raise NotImplementedError("Generator.set_state is not supported in xpnet: call "
                                  "g.manual_seed(seed) to start over")

    def __repr__(self) -> str:
        return f"<xpnet.Generator device={self.device} seed={self._seed}>"


def _generator(xp: Any, dev: Any, source: Generator | None = None) -> Any:
    """The native generator of ``xp``'s library for draws on ``dev``: the global one, or
    ``source``'s own (made on first use, seeded by its seed)."""
    lib = xp.library
    key = (lib, str(dev))
    if source is not None and not isinstance(source, Generator):
        raise TypeError(f"generator must be an xn.Generator (or None), got {type(source).__name__}")
    cache = _generators if source is None else source._natives
    gen = cache.get(key)
    if gen is None:
        seed = _library_seeds.get(lib, _seed) if source is None else source._seed
        if seed is None:
            seed = int(np.random.SeedSequence().generate_state(1)[0])
        gen = cache[key] = xp.generator(dev, seed)
    return gen


def uniform(shape: tuple[int, ...], *, xp: Any, device: Any, dtype: Any,
            generator: Generator | None = None) -> Any:
    """Samples of U[0, 1) with the given shape, dtype and device (from ``generator`` if given)."""
    return xp.draw(_generator(xp, device, generator), "uniform", shape, device, dtype)


def normal(shape: tuple[int, ...], *, xp: Any, device: Any, dtype: Any,
           generator: Generator | None = None) -> Any:
    """Samples of N(0, 1) with the given shape, dtype and device (from ``generator`` if given)."""
    return xp.draw(_generator(xp, device, generator), "normal", shape, device, dtype)


def permutation(n: int, *, xp: Any, device: Any, generator: Generator | None = None) -> Any:
    """A random permutation of ``0..n-1`` as an int64 array on ``device``."""
    return xp.draw_permutation(_generator(xp, device, generator), n, device)
