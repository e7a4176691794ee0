"""Run a torch program, and the same source renamed to xpnet, and compare what they print.

The rename is exactly ``sed s/torch/xpnet/g`` on the source text. The xpnet run
first selects a backend with ``xpnet.set_default_device(...)`` (NumPy's cpu,
array-api-strict's devices, torch's cpu): creation functions without
``device=`` then make tensors of that library, so the whole program runs on it.
Both runs execute in this process (``exec``), in a fresh temporary working
directory, with warnings recorded rather than raised (as a user's run would).

Printed text is compared line by line, torch's renamed as the source was (its
``torch.Size([2, 3])`` is expected as ``xpnet.Size([2, 3])``): the words must be
equal, and the numbers in them equal within ``rtol`` plus the resolution they
were printed at (a loss printed as ``0.123457`` may differ from the other run's
by one in its last digit).

    python tests/compat/harness.py [--backend numpy,torch] [program ...]

prints each program's result per backend, with the first difference or the
error that stopped the xpnet run (for a missing name, its AttributeError).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import os
import re
import sys
import tempfile
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROGRAMS = Path(__file__).resolve().parent / "programs"
BACKENDS = ("numpy", "array_api_strict", "array_api_strict-device1", "torch")  # the CPU backends

# Run before the renamed program, in its namespace: makes the backend the default device.
_PREAMBLES = {
    "numpy": 'import xpnet as _compat_xn\n_compat_xn.set_default_device("cpu")\n',
    "array_api_strict": ("import array_api_strict as _compat_s\nimport xpnet as _compat_xn\n"
                         '_compat_xn.set_default_device(_compat_s.Device("CPU_DEVICE"))\n'),
    "array_api_strict-device1": ("import array_api_strict as _compat_s\nimport xpnet as _compat_xn\n"
                                 '_compat_xn.set_default_device(_compat_s.Device("device1"))\n'),
    "torch": ("import torch as _compat_t\nimport xpnet as _compat_xn\n"
              '_compat_xn.set_default_device(_compat_t.device("cpu"))\n'),
}

NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|[-+]?\b(?:nan|inf)\b")


def programs() -> list[str]:
    """The names of the programs (files ``programs/*.py``), sorted."""
    return sorted(p.stem for p in PROGRAMS.glob("*.py"))


def rename(source: str) -> str:
    """``sed s/torch/xpnet/g``: every ``torch`` in the text, in names, strings and comments."""
    return source.replace("torch", "xpnet")


def backend_unavailable(backend: str) -> str | None:
    """Why the xpnet run cannot select ``backend`` on this checkout, or None if it can."""
    import xpnet

    if backend == "numpy":
        return None  # the default: no selection needed
    if not hasattr(xpnet, "set_default_device"):
        return (f"xpnet.set_default_device does not exist on this checkout (the devices work adds "
                f"it): a renamed program cannot be made to run on {backend}; only numpy runs")
    return None


@dataclass
class Run:
    """What a program printed, and the error that stopped it (a traceback), if any."""

    output: str
    error: str | None
    warnings: list[str]


def run_source(source: str, filename: str, preamble: str = "") -> Run:
    """Execute ``source`` as ``__main__`` in a new temporary directory, capturing stdout."""
    out = io.StringIO()
    namespace: dict[str, Any] = {"__name__": "__main__", "__file__": filename}
    error = None
    old_cwd = os.getcwd()
    state = _save_state()
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        os.chdir(tmp)
        try:
            with contextlib.redirect_stdout(out):
                if preamble:
                    exec(compile(preamble, "<compat preamble>", "exec"), namespace)
                exec(compile(source, filename, "exec"), namespace)
        except BaseException:  # a program's own SystemExit or error: reported, not raised
            error = traceback.format_exc()
        finally:
            os.chdir(old_cwd)
            _restore_state(state)
    return Run(out.getvalue(), error, [str(w.message) for w in caught])


def _save_state() -> dict[str, Any]:
    state: dict[str, Any] = {}
    try:
        import torch

        state["torch_dtype"] = torch.get_default_dtype()
    except ImportError:
        pass
    import xpnet

    if hasattr(xpnet, "get_default_dtype"):
        state["xpnet_dtype"] = xpnet.get_default_dtype()
    return state


def _restore_state(state: dict[str, Any]) -> None:
    import xpnet

    if "torch_dtype" in state:
        import torch

        torch.set_default_dtype(state["torch_dtype"])
    if hasattr(xpnet, "set_default_device"):
        xpnet.set_default_device(None)
    if "xpnet_dtype" in state and hasattr(xpnet, "set_default_dtype"):
        xpnet.set_default_dtype(state["xpnet_dtype"])
    if hasattr(xpnet, "set_grad_enabled"):
        xpnet.set_grad_enabled(True)


def run_torch(name: str) -> Run:
    """The program as written, under torch."""
    path = PROGRAMS / f"{name}.py"
    return run_source(path.read_text(), str(path))


def run_xpnet(name: str, backend: str) -> Run:
    """The program renamed to xpnet, on ``backend``."""
    path = PROGRAMS / f"{name}.py"
    preamble = _PREAMBLES[backend] if backend != "numpy" or _has_default_device() else ""
    return run_source(rename(path.read_text()), f"{path} (renamed to xpnet, {backend})", preamble)


def _has_default_device() -> bool:
    import xpnet

    return hasattr(xpnet, "set_default_device")


def _resolution(token: str) -> float:
    """Half-way between two neighbours as printed: 1e-6 for ``0.123457``, 1e-3 for ``1.5e+03``."""
    mantissa, _, exponent = token.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 10.0 ** (int(exponent or 0) - decimals)


def compare(expected: str, actual: str, rtol: float = 1e-5) -> list[str]:
    """The differences between two printouts (empty when they agree); see the module docstring."""
    want, got = expected.splitlines(), actual.splitlines()
    problems = []
    for i, (a, b) in enumerate(zip(want, got), 1):
        if NUMBER.sub("#", a) != NUMBER.sub("#", b):
            problems.append(f"line {i}: text differs\n  torch: {a!r}\n  xpnet: {b!r}")
            continue
        for x, y in zip(NUMBER.findall(a), NUMBER.findall(b)):
            u, v = float(x), float(y)
            if math.isnan(u) and math.isnan(v):
                continue
            tol = rtol * max(abs(u), abs(v)) + min(_resolution(x), _resolution(y))
            if not (u == v or abs(u - v) <= tol):
                problems.append(f"line {i}: {y} differs from torch's {x} (tolerance {tol:.3g})\n"
                                f"  torch: {a!r}\n  xpnet: {b!r}")
                break
    if len(want) != len(got):
        problems.append(f"torch printed {len(want)} lines, xpnet {len(got)}")
    return problems


def missing_name(error: str) -> str | None:
    """The name an AttributeError / ImportError says is missing, from a traceback."""
    last = error.strip().splitlines()[-1]
    found = re.search(r"has no attribute '([^']+)'", last) or re.search(r"cannot import name '([^']+)'",
                                                                        last)
    if not found:
        return None
    owner = re.search(r"module '([^']+)'|object '([^']+)'|'([^']+)' object", last)
    where = next((g for g in owner.groups() if g), "") if owner else ""
    return f"{where}.{found.group(1)}" if where else found.group(1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default=",".join(BACKENDS))
    parser.add_argument("names", nargs="*", default=None)
    args = parser.parse_args(argv)
    failures = 0
    for name in args.names or programs():
        reference = run_torch(name)
        if reference.error:
            print(f"{name}: the torch run itself failed:\n{reference.error}")
            failures += 1
            continue
        for backend in args.backend.split(","):
            reason = backend_unavailable(backend)
            if reason:
                print(f"{name} [{backend}]: SKIPPED ({reason})")
                continue
            run = run_xpnet(name, backend)
            if run.error:
                missing = missing_name(run.error)
                summary = f"missing {missing}" if missing else run.error.strip().splitlines()[-1]
                print(f"{name} [{backend}]: ERROR ({summary})")
                failures += 1
                continue
            problems = compare(rename(reference.output), run.output)
            print(f"{name} [{backend}]: " + ("PASS" if not problems else "DIFFERS\n  " + problems[0]))
            failures += bool(problems)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
    sys.exit(main())
