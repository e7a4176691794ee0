"""Batch-size sweep: the MNIST-size net's training step at batch 1 .. 1024, per device.

One group per batch size, so the CPU, the GPU and PyTorch on each sit side by
side; where the GPU overtakes the CPU is where its rows pass the CPU's.
``--bench-smoke`` keeps two small batch sizes.
"""

from __future__ import annotations

import pytest
from _bench import measure

from xpnet.bench import models


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "batch" in metafunc.fixturenames:
        smoke = metafunc.config.getoption("--bench-smoke")
        metafunc.parametrize("batch", models.SMOKE_SWEEP_BATCHES if smoke else models.SWEEP_BATCHES)


def test_sweep_train_step(benchmark, specs, batch, backend):
    framework, device = backend
    spec = specs[models.SWEEP_MODEL]
    flops = models.train_flops(spec.sizes, batch)
    benchmark.group = f"sweep {spec.name} training, batch {batch}"
    benchmark.extra_info.update(model=spec.name, batch=batch, framework=framework, device=device,
                                samples_per_call=batch, flops_per_step=flops)
    measure(benchmark, models.make_train_step(framework, spec, device, batch), flops / 1e9)
