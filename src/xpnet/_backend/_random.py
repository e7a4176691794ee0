"""Seeded random numbers on every backend, each drawn where its array will live.

``manual_seed(n)`` reseeds every generator: NumPy's (cpu), one CuPy generator
per GPU, one torch generator per torch device. Libraries without a random
module (array-api-strict, JAX) draw on a NumPy generator of their own and
copy the numbers to their device once, at creation.

A :class:`Generator` (``xn.Generator``, torch's ``torch.Generator``) is the same
thing with its own seed: the draws that take ``generator=`` use its own native
generators (one per library and device, made on first use), so they repeat
whatever else is drawn in between.

A state (``g.get_state()``, ``xn.get_rng_state()``) is a uint8 Tensor holding the seed
and each native generator's own state (JSON): ``set_state`` restores them, and a
native generator not made yet picks its saved state up when it is made.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

_seed: int | None = None
_library_seeds: dict[str, int] = {}  # library -> its own seed (xpnet.cuda.manual_seed: "cupy")


class _Streams:
    """Native generators by (library, device), each made on first use from a seed; and the
    saved states of generators not made yet (``set_state``), applied when they are made."""

    __slots__ = ("natives", "pending")

    def __init__(self) -> None:
        self.natives: dict[tuple[str, str], tuple[Any, Any]] = {}  # key -> (backend, generator)
        self.pending: dict[tuple[str, str], Any] = {}

    def get(self, xp: Any, dev: Any, seed: int | None) -> Any:
        key = (xp.library, str(dev))
        entry = self.natives.get(key)
        if entry is None:
            if seed is None:
                seed = int(np.random.SeedSequence().generate_state(1)[0])
            gen = xp.generator(dev, seed)
            saved = self.pending.pop(key, None)
            if saved is not None:
                gen = xp.set_generator_state(gen, saved)
            entry = self.natives[key] = (xp, gen)
        return entry[1]

    def clear(self, library: str | None = None) -> None:
        for key in [k for k in self.natives if library is None or k[0] == library]:
            del self.natives[key]
        for key in [k for k in self.pending if library is None or k[0] == library]:
            del self.pending[key]

    def state(self) -> dict[str, Any]:
        saved = {f"{lib}|{dev}": state for (lib, dev), state in self.pending.items()}
        for (lib, dev), (xp, gen) in self.natives.items():
            saved[f"{lib}|{dev}"] = xp.generator_state(gen)
        return saved

    def restore(self, saved: dict[str, Any]) -> None:
        self.natives.clear()
        self.pending = {tuple(key.split("|", 1)): state for key, state in saved.items()}  # type: ignore[misc]


_global = _Streams()


def manual_seed(seed: int, library: str | None = None) -> None:
    """Make every later random draw reproducible, on every backend (or on ``library``'s only)."""
    global _seed
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"manual_seed expects a non-negative int, got {seed!r}")
    if library is None:
        _seed = seed
        _library_seeds.clear()
        _global.clear()
        return
    _library_seeds[library] = seed
    _global.clear(library)


def _encode(seeds: dict[str, Any], streams: _Streams) -> Any:
    from ..creation import tensor  # the state is a Tensor, as torch's ByteTensor

    text = json.dumps({"format": "xpnet-rng-1", **seeds, "streams": streams.state()})
    return tensor(np.frombuffer(text.encode(), dtype=np.uint8).copy())


def _decode(state: Any) -> dict[str, Any]:
    from ._transfer import to_numpy

    data = getattr(state, "array", state)  # a Tensor, a native array, or bytes
    raw = bytes(data) if isinstance(data, (bytes, bytearray)) else to_numpy(data).astype(np.uint8).tobytes()
    try:
        saved = json.loads(raw.decode())
    except (UnicodeDecodeError, ValueError):
        saved = None
    if not isinstance(saved, dict) or saved.get("format") != "xpnet-rng-1":
        raise ValueError("set_state expects a state from xpnet's get_state()/get_rng_state() (a uint8 "
                         "tensor); torch's generator states cannot be read by xpnet")
    return saved


def get_rng_state() -> Any:
    """The state of every global generator (``xn.manual_seed``'s), as a uint8 Tensor.

    ``state = xn.get_rng_state()``, draws, ``xn.set_rng_state(state)``: the same draws again,
    on every library and device (CuPy's generators keep no readable state: NotImplementedError
    once a CuPy draw has been made).
    """
    return _encode({"seed": _seed, "library_seeds": dict(_library_seeds)}, _global)


def set_rng_state(new_state: Any) -> None:
    """Restore the global generators to ``new_state`` (from :func:`get_rng_state`).

    Raises:
        ValueError: ``new_state`` is not an xpnet state.
    """
    global _seed
    saved = _decode(new_state)
    _seed = saved["seed"]
    _library_seeds.clear()
    _library_seeds.update(saved["library_seeds"])
    _global.restore(saved["streams"])


_DEFAULT_SEED = 67280421310721  # torch.Generator().initial_seed()


class Generator:
    """A random number generator with its own seed (torch's ``torch.Generator``).

    ``g = xn.Generator().manual_seed(42)``, then ``xn.randn(3, generator=g)``,
    ``xn.randperm(10, generator=g)``, ``DataLoader(..., generator=g)``: the draws
    through ``g`` repeat for its seed and leave :func:`xpnet.manual_seed`'s
    generators alone. ``device``: recorded (``g.device``); ``g`` draws on whatever
    device each call asks for, from one native generator per library and device.
    The numbers are not torch's for the same seed. ``get_state``/``set_state`` save and
    restore its seed and streams (a uint8 Tensor; not torch's format).
    """

    def __init__(self, device: Any = "cpu") -> None:
        from .._device import device as _device

        self.device = _device(device)
        self._seed = _DEFAULT_SEED
        self._natives = _Streams()

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
        """Its seed and the state of each of its native generators, as a uint8 Tensor.

        Raises:
            NotImplementedError: it has drawn on CuPy, whose generators keep no readable state.
        """
        return _encode({"seed": self._seed}, self._natives)

    def set_state(self, new_state: Any) -> Generator:
        """Restore the seed and streams of ``new_state`` (from :meth:`get_state`). Returns self.

        Raises:
            ValueError: ``new_state`` is not an xpnet generator state.
        """
        saved = _decode(new_state)
        self._seed = saved["seed"]
        self._natives.restore(saved["streams"])
        return self

    def __repr__(self) -> str:
        return f"<xpnet.Generator device={self.device} seed={self._seed}>"


def _generator(xp: Any, dev: Any, source: Generator | None = None) -> Any:
    """The native generator of ``xp``'s library for draws on ``dev``: the global one, or
    ``source``'s own (made on first use, seeded by its seed)."""
    if source is None:
        return _global.get(xp, dev, _library_seeds.get(xp.library, _seed))
    if not isinstance(source, Generator):
        raise TypeError(f"generator must be an xn.Generator (or None), got {type(source).__name__}")
    return source._natives.get(xp, dev, source._seed)


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
