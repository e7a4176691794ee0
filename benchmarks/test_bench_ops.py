"""Autograd overhead: forward + backward of one op on 4x4 float32, in microseconds.

Beside xpnet (``numpy``, ``cupy``) and PyTorch (``torch``, ``torch-cuda``) run
``numpy-raw`` / ``cupy-raw``: the array library computing the same forward and
backward formulas with no graph. xpnet's overhead per op is the difference.
"""

from __future__ import annotations

import pytest
from _bench import BACKENDS, measure, usable

from xpnet.bench import models

IMPLEMENTATIONS = {**BACKENDS, "numpy-raw": ("raw", "cpu"), "cupy-raw": ("raw", "cuda")}


@pytest.mark.parametrize("implementation", list(IMPLEMENTATIONS))
@pytest.mark.parametrize("op", models.OPS)
def test_op_forward_backward(benchmark, op, implementation):
    framework, device = IMPLEMENTATIONS[implementation]
    usable(framework, device)
    benchmark.group = f"op {op} (forward + backward, 4x4)"
    benchmark.extra_info.update(op=op, framework=framework, device=device)
    measure(benchmark, models.make_op(framework, op, device))
