"""The ``xpnet`` command line: one module per subcommand (``demo``, ``train``, ...).

A subcommand module defines ``register(subparsers)``, which adds its parser and
sets ``run`` as its default (``parser.set_defaults(run=run)``), and
``run(args) -> int``, the exit status. ``xpnet.__main__.COMMANDS`` lists the
modules, one per line. Helpers shared by subcommands live here.

Exit status: 0 done; 1 the run failed (it diverged, ran out of memory, could not
save); 2 a bad argument, said in one line ``xpnet <command>: error: ...`` before
any work starts; 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
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
    """An argparse type: a finite float > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
    return value


def seed(text: str) -> int:
    """An argparse type: a seed, a whole number from 0 to 2**32 - 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"must be from 0 to {2**32 - 1}, got {value}")
    return value


class UsageError(ValueError):
    """A bad argument found after parsing: ``run`` prints it in one line and exits 2."""


def _file_in_the_way(path: str) -> str | None:
    """The nearest existing ancestor of ``path`` when it is a file, not a folder."""
    parent = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(parent) and os.path.dirname(parent) != parent:
        parent = os.path.dirname(parent)
    return None if os.path.isdir(parent) else parent


def _cannot_write(option: str, path: str, exc: OSError, what: str) -> UsageError:
    blocker = _file_in_the_way(path)
    why = f"{blocker} is a file, not a folder" if blocker else (exc.strerror or str(exc))
    return UsageError(f"{option} {path}: cannot write there ({why}): give a {what} you can write")


def writable_folder(path: str, option: str = "--out") -> str:
    """Create ``path`` if needed and check that a file can be written in it.

    Raises :class:`UsageError` saying why not (empty, a file in the way, no permission,
    a read-only or special file system such as /proc) and how to fix it.
    """
    if not path:
        raise UsageError(f"{option} is empty: give a folder, e.g. {option} runs/digits")
    if os.path.exists(path) and not os.path.isdir(path):
        raise UsageError(f"{option} {path}: a file is there, not a folder: give a folder (it is "
                         f"created if missing)")
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise _cannot_write(option, path, exc, "folder") from None
    return path


def writable_file(path: str, option: str) -> str:
    """Check, before any work, that ``path`` can be written (its parent folders are created).

    Raises :class:`UsageError` saying why not and how to fix it. An existing file is left as it was.
    """
    if not path:
        raise UsageError(f"{option} is empty: give a file name")
    if os.path.isdir(path):
        raise UsageError(f"{option} {path}: a folder is there: give a file name")
    existed = os.path.exists(path)
    try:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "a", encoding="utf-8"):
            pass
        if not existed:
            os.remove(path)
    except OSError as exc:
        raise _cannot_write(option, path, exc, "path") from None
    return path


def check_device(device: str, option: str = "--device") -> str:
    """``device`` described (``cpu (NumPy)``), or :class:`UsageError` saying what to use."""
    try:
        return describe(device)
    except (ImportError, RuntimeError, ValueError, TypeError) as exc:
        raise UsageError(f"{option} {device}: {exc} ({option} cpu always works)") from None


@contextmanager
def quiet_float_warnings() -> Iterator[None]:
    """Silence NumPy's overflow / invalid-value warnings: a run that diverges is said once, plainly."""
    with warnings.catch_warnings():
        for what in ("overflow", "invalid value", "divide by zero"):
            warnings.filterwarnings("ignore", message=f"{what} encountered", category=RuntimeWarning)
        yield


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
