"""The ``xpnet`` command line: one module per subcommand (``demo``, ``train``, ...).

A subcommand module defines ``register(subparsers)``, which adds its parser and
sets ``run`` as its default (``parser.set_defaults(run=run)``), and
``run(args) -> int``, the exit status. ``xpnet.__main__.COMMANDS`` lists the
modules, one per line. Helpers shared by subcommands live here.
"""

from __future__ import annotations

import argparse
from typing import Any


def positive_int(text: str) -> int:
    """An argparse type: an int >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def positive_float(text: str) -> float:
    """An argparse type: a float > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
    return value


def best_device() -> str:
    """``"cuda"`` (CuPy) when a GPU is usable, else ``"cpu"`` (NumPy)."""
    import xpnet as xn

    return "cuda" if xn.cuda_available() else "cpu"


_LIBRARIES = {"numpy": "NumPy", "cupy": "CuPy", "torch": "PyTorch",
              "array_api_strict": "array-api-strict"}


def describe(device: Any) -> str:
    """A device as a person reads it: ``cpu (NumPy)``, ``cuda (CuPy, <CUDA Device 0>)``, ..."""
    import xpnet as xn

    t = xn.zeros(1, device=device)
    library = type(t.array).__module__.split(".")[0]
    name = _LIBRARIES.get(library, library)
    return f"{device} ({name})" if library == "numpy" else f"{device} ({name}, {t.device})"
