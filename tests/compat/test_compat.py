"""torch programs, renamed to xpnet (``sed s/torch/xpnet/g``), print torch's numbers on every CPU backend.

Each program in ``programs/`` runs once under torch (the reference) and once
per backend under xpnet (see :mod:`harness`). A program fails here while a name
it uses is missing from xpnet: nothing is skipped for that; the error shows the name.
"""

from __future__ import annotations

import functools

import pytest

from .harness import (
    BACKENDS,
    backend_unavailable,
    compare,
    missing_name,
    programs,
    rename,
    run_torch,
    run_xpnet,
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "compat_backend" in metafunc.fixturenames:
        chosen = metafunc.config.getoption("--backend")
        names = BACKENDS if chosen == "all" else [b for b in chosen.split(",") if b in BACKENDS]
        metafunc.parametrize("compat_backend", names)


@functools.cache
def _reference(name: str):
    return run_torch(name)


@pytest.mark.parametrize("name", programs())
def test_program_prints_torchs_numbers(torch, name, compat_backend):
    reason = backend_unavailable(compat_backend)
    if reason:
        pytest.skip(reason)
    reference = _reference(name)
    assert reference.error is None, f"the torch run of {name} failed:\n{reference.error}"
    assert reference.output.count("\n") >= 3, "a program must print what it computes"
    run = run_xpnet(name, compat_backend)
    if run.error:
        missing = missing_name(run.error)
        pytest.fail(f"{name} stopped on {compat_backend}" + (f": xpnet lacks {missing}" if missing else "")
                    + f"\n{run.error}\nprinted before:\n{run.output}", pytrace=False)
    problems = compare(rename(reference.output), run.output)  # torch.Size(...) is xpnet.Size(...)
    assert not problems, f"{name} on {compat_backend}:\n" + "\n".join(problems[:5])


@pytest.mark.parametrize(("expected", "actual", "agree"), [
    ("loss: 0.123457 [   64/  256]", "loss: 0.123458 [   64/  256]", True),  # last printed digit
    ("loss: 0.123457", "loss: 0.123467", False),
    ("y = 0.5 + -1.25 x", "y = 0.5000001 + -1.25 x", True),  # rtol 1e-5
    ("y = 0.5 + -1.25 x", "y = 0.5002 + -1.25 x", False),
    ("Accuracy: 51.2%", "Accuracy: 51.2 %", False),  # words must match exactly
    ("99 1234.5\n199 17.25", "99 1234.5", False),  # a line missing
    ("w = 1.5e-03", "w = 1.5000001e-03", True),
    ("nan inf", "nan inf", True),
])
def test_compare_numbers_within_tolerance_and_words_exactly(expected, actual, agree):
    assert (compare(expected, actual) == []) is agree


def test_rename_is_sed_and_missing_names_are_reported():
    assert rename("import torch.nn as nn  # torch's\nx = torch.zeros(2)") == \
        "import xpnet.nn as nn  # xpnet's\nx = xpnet.zeros(2)"
    error = "Traceback...\nAttributeError: module 'xpnet' has no attribute 'linspace'"
    assert missing_name(error) == "xpnet.linspace"
