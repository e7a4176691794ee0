"""Benchmarks: xpnet against PyTorch eager, on each device, in one run.

``python -m xpnet.bench`` (or ``xpnet bench``) times the training step of
three MLPs (XOR-size, MNIST-size, wide), the autograd overhead of single ops
and a batch-size sweep, prints steps/s, the ratio to PyTorch, GFLOP/s and the
share of the machine's float32 GEMM peak, and can write JSON and a plot. See
docs/benchmarks.md for the method. The pytest-benchmark suites in
``benchmarks/`` import their models and steps from :mod:`xpnet.bench.models`.
"""

from .models import (
    MODELS,
    OPS,
    ModelSpec,
    inference_flops,
    make_inference,
    make_op,
    make_train_step,
    model_specs,
    train_flops,
)
from .runner import Config, run

__all__ = ["MODELS", "OPS", "Config", "ModelSpec", "inference_flops", "make_inference", "make_op",
           "make_train_step", "model_specs", "run", "train_flops"]
