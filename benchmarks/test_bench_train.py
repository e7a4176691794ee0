"""One training step (forward, loss, zero_grad, backward, SGD momentum step) of the three MLPs.

XOR-size 2-8-1 at batch 4 (MSE), MNIST-size 784-256-128-10 at batch 128
(cross-entropy), wide 1024-4096-4096-1024 at batch 512 (MSE). GFLOP/s per
step is in ``extra_info`` (the formula: xpnet.bench.models.train_flops).
"""

from __future__ import annotations

import pytest
from _bench import measure

from xpnet.bench import models


@pytest.mark.parametrize("model", list(models.MODELS))
def test_train_step(benchmark, specs, model, backend):
    framework, device = backend
    spec = specs[model]
    flops = models.train_flops(spec.sizes, spec.batch)
    benchmark.group = f"train {model} ({spec.describe()})"
    benchmark.extra_info.update(model=model, sizes=list(spec.sizes), batch=spec.batch, framework=framework,
                                device=device, flops_per_step=flops)
    measure(benchmark, models.make_train_step(framework, spec, device), flops / 1e9)
