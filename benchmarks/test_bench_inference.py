"""Inference: one forward pass of each MLP under no_grad, in eval mode."""

from __future__ import annotations

import pytest
from _bench import measure

from xpnet.bench import models


@pytest.mark.parametrize("model", list(models.MODELS))
def test_inference(benchmark, specs, model, backend):
    framework, device = backend
    spec = specs[model]
    flops = models.inference_flops(spec.sizes, spec.batch)
    benchmark.group = f"inference {model} ({spec.describe()})"
    benchmark.extra_info.update(model=model, batch=spec.batch, framework=framework, device=device,
                                flops_per_forward=flops)
    measure(benchmark, models.make_inference(framework, spec, device), flops / 1e9)
