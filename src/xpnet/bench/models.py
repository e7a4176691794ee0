"""What the benchmarks time: the three MLPs, their training step and forward pass, one-op graphs.

Shared by ``python -m xpnet.bench`` and the pytest-benchmark suites in
``benchmarks/``, so both time exactly the same code. Every callable built here
runs its work to the end before returning: on a GPU it synchronises the
device, so a timer around one call measures the work, not the launch.

Frameworks: ``"xpnet"`` (NumPy on ``"cpu"``, CuPy on ``"cuda"``), ``"torch"``
(PyTorch eager on the same device, the peer reference), ``"jax"`` (xpnet on JAX's
CPU device, training steps only, when JAX is installed) and, for single ops,
``"raw"``: the array library itself (NumPy / CuPy) computing the same forward
and backward formulas with no graph (xpnet's overflow-free sigmoid included), so
that xpnet's overhead is the difference.
This is a measuring tool: it imports NumPy, CuPy and torch directly.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from .timing import synchronizer

FRAMEWORKS = ("xpnet", "torch")
JAX = "jax"  # xpnet over jax.numpy on JAX's CPU device: training rows beside xpnet on NumPy
DEVICES = ("cpu", "cuda")
OPS = ("add", "mul", "matmul", "relu", "sigmoid", "sum")
"""The one-op graphs timed for autograd overhead (forward + backward on (4, 4) operands)."""
OP_SIZE = 4  # the operands of the one-op graphs are (4, 4): the cost is all overhead


@dataclass(frozen=True)
class ModelSpec:
    """An MLP: ``Linear`` layers of ``sizes`` with ``hidden`` activations between them.

    ``name``: its key in ``MODELS``; ``sizes``: the layer widths, input first; ``batch``: rows
    per step; ``loss``: ``"mse"`` (targets (N, out) floats) or ``"cross_entropy"`` (targets
    (N,) class indices); ``hidden``: ``"relu"`` or ``"sigmoid"``; ``lr``, ``momentum``: the
    SGD settings of the training step.
    """

    name: str
    sizes: tuple[int, ...]
    batch: int
    loss: str  # "mse" (targets: (N, out) floats) or "cross_entropy" (targets: (N,) class indices)
    hidden: str = "relu"  # or "sigmoid"
    lr: float = 0.01
    momentum: float = 0.9

    def describe(self) -> str:
        return f"{'-'.join(map(str, self.sizes))}, batch {self.batch}"


MODELS: dict[str, ModelSpec] = {
    "xor": ModelSpec("xor", (2, 8, 1), 4, "mse", hidden="sigmoid", lr=0.1),
    "mnist": ModelSpec("mnist", (784, 256, 128, 10), 128, "cross_entropy"),
    "wide": ModelSpec("wide", (1024, 4096, 4096, 1024), 512, "mse", lr=0.001),
}
"""The benchmark MLPs by name: XOR-size, MNIST-size and wide (sizes, batch, loss, SGD settings)."""
SWEEP_MODEL = "mnist"
SWEEP_BATCHES = (1, 4, 16, 64, 256, 1024)

# Smoke mode (CI, tests): the same code on sizes that take milliseconds. Numbers are meaningless.
SMOKE_MODELS: dict[str, ModelSpec] = {**MODELS, "wide": replace(MODELS["wide"], sizes=(64, 256, 256, 64),
                                                                  batch=32)}
SMOKE_SWEEP_BATCHES = (1, 16)


def model_specs(smoke: bool = False) -> dict[str, ModelSpec]:
    """The model specs by name; shrunk to tiny sizes when ``smoke``."""
    return SMOKE_MODELS if smoke else MODELS


def train_flops(sizes: tuple[int, ...], batch: int) -> int:
    """GEMM FLOPs of one training step (forward + backward) of the MLP ``sizes``.

    Each layer (in -> out) on N rows costs 2·N·in·out per GEMM: one forward
    (``X W^T``), one for ``dL/dW = G^T X``, one for ``dL/dX = G W`` -- except the
    first layer, whose input (the data) needs no gradient; xpnet and PyTorch
    both skip that GEMM. So ``2·N·(3·Σ in·out - in₁·out₁)``. Bias, activations,
    the loss and the optimizer are elementwise and not counted.

    ``sizes``: the layer widths, input first; ``batch``: N, the rows per step.
    """
    pairs = list(itertools.pairwise(sizes))
    return 2 * batch * (3 * sum(i * o for i, o in pairs) - pairs[0][0] * pairs[0][1])


def inference_flops(sizes: tuple[int, ...], batch: int) -> int:
    """GEMM FLOPs of one forward pass: ``2·N·Σ in·out``.

    ``sizes``: the layer widths, input first; ``batch``: N, the rows per pass.
    """
    return 2 * batch * sum(i * o for i, o in itertools.pairwise(sizes))


def check(framework: str, device: str) -> None:
    """Raise RuntimeError saying why ``framework`` cannot run on ``device`` here."""
    if framework not in (*FRAMEWORKS, JAX, "raw"):
        raise ValueError(f"unknown framework {framework!r}: choose from {(*FRAMEWORKS, JAX, 'raw')}")
    if device not in DEVICES:
        raise ValueError(f"unknown device {device!r}: choose from {DEVICES}")
    if framework == JAX:
        try:
            import jax
        except ImportError:
            raise RuntimeError("jax is not installed (pip install jax)") from None
        if device != "cpu":
            raise RuntimeError("the bench times xpnet on JAX's CPU device only")
        jax.config.update("jax_enable_x64", True)  # xpnet's JAX backend needs it (int64 targets)
    elif framework == "torch":
        try:
            import torch
        except ImportError:
            raise RuntimeError("torch is not installed (pip install -e \".[torch]\")") from None
        if device == "cuda" and not torch.cuda.is_available():
            raise RuntimeError("torch sees no CUDA device")
    elif device == "cuda":
        import xpnet as xn

        if not xn.cuda_available():
            raise RuntimeError("no usable CUDA GPU for CuPy (is cupy installed? pip install -e \".[cuda]\")")


# --- xpnet -------------------------------------------------------------------------------------


def _xpnet_model(spec: ModelSpec, device: Any, batch: int, seed: int) -> tuple[Any, Any, Any]:
    import xpnet as xn
    from xpnet import nn

    xn.manual_seed(seed)
    layers: list[Any] = []
    for k, (i, o) in enumerate(itertools.pairwise(spec.sizes)):
        if k:
            layers.append(nn.Sigmoid() if spec.hidden == "sigmoid" else nn.ReLU())
        layers.append(nn.Linear(i, o))
    model = nn.Sequential(*layers).to(device)
    x = xn.randn(batch, spec.sizes[0], device=device)
    if spec.loss == "cross_entropy":
        rng = random.Random(seed)
        y = xn.tensor([rng.randrange(spec.sizes[-1]) for _ in range(batch)], device=device)
    else:
        y = xn.randn(batch, spec.sizes[-1], device=device)
    return model, x, y


def _torch_model(spec: ModelSpec, device: str, batch: int, seed: int) -> tuple[Any, Any, Any]:
    import torch

    torch.manual_seed(seed)
    layers: list[Any] = []
    for k, (i, o) in enumerate(itertools.pairwise(spec.sizes)):
        if k:
            layers.append(torch.nn.Sigmoid() if spec.hidden == "sigmoid" else torch.nn.ReLU())
        layers.append(torch.nn.Linear(i, o))
    model = torch.nn.Sequential(*layers).to(device)
    x = torch.randn(batch, spec.sizes[0], device=device)
    if spec.loss == "cross_entropy":
        y = torch.randint(0, spec.sizes[-1], (batch,), device=device)
    else:
        y = torch.randn(batch, spec.sizes[-1], device=device)
    return model, x, y


def make_train_step(framework: str, spec: ModelSpec, device: str = "cpu", batch: int | None = None,
                    seed: int = 0) -> Callable[[], None]:
    """One SGD-with-momentum training step of ``spec``: forward, loss, zero_grad, backward, step.

    The returned callable is the training loop body PyTorch users write, for
    ``framework`` on ``device``, on a fixed random batch (``batch`` rows,
    default ``spec.batch``); it synchronises the device before returning.

    ``seed``: seeds the framework's own generator (``xn.manual_seed`` or
    ``torch.manual_seed``) before the weights and the batch are drawn, so a step is
    reproducible.
    """
    check(framework, device)
    n = spec.batch if batch is None else batch
    sync = synchronizer(framework, device)
    if framework in ("xpnet", JAX):
        from xpnet import nn, optim

        model, x, y = _xpnet_model(spec, _jax_cpu() if framework == JAX else device, n, seed)
        loss_fn: Any = nn.CrossEntropyLoss() if spec.loss == "cross_entropy" else nn.MSELoss()
        opt: Any = optim.SGD(model.parameters(), lr=spec.lr, momentum=spec.momentum)
        if framework == JAX:  # JAX dispatches asynchronously: wait for the updated parameters
            sync = _jax_waiter(list(model.parameters()))
    else:
        import torch

        model, x, y = _torch_model(spec, device, n, seed)
        loss_fn = torch.nn.CrossEntropyLoss() if spec.loss == "cross_entropy" else torch.nn.MSELoss()
        opt = torch.optim.SGD(model.parameters(), lr=spec.lr, momentum=spec.momentum)

    def step() -> None:
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sync()

    return step


def _jax_cpu() -> Any:
    import jax

    return jax.devices("cpu")[0]


def _jax_waiter(params: list[Any]) -> Callable[[], None]:
    import jax

    def sync() -> None:
        jax.block_until_ready([p.array for p in params])

    return sync


def make_inference(framework: str, spec: ModelSpec, device: str = "cpu", batch: int | None = None,
                   seed: int = 0) -> Callable[[], None]:
    """One forward pass of ``spec`` under ``no_grad`` (eval mode); synchronises before returning.

    ``framework``: ``"xpnet"`` or ``"torch"``; ``device``: ``"cpu"`` or ``"cuda"``
    (RuntimeError saying why when it cannot run here); ``batch``: rows (default
    ``spec.batch``); ``seed``: seeds the framework's own generator before the weights and the
    batch are drawn.
    """
    check(framework, device)
    n = spec.batch if batch is None else batch
    sync = synchronizer(framework, device)
    if framework == "xpnet":
        import xpnet as xn

        model, x, _ = _xpnet_model(spec, device, n, seed)
        no_grad: Any = xn.no_grad
    else:
        import torch

        model, x, _ = _torch_model(spec, device, n, seed)
        no_grad = torch.no_grad
    model.eval()

    def forward() -> None:
        with no_grad():
            model(x)
        sync()

    return forward


# --- one op, forward + backward -----------------------------------------------------------------


def make_op(framework: str, op: str, device: str = "cpu", size: int = OP_SIZE) -> Callable[[], None]:
    """Forward and backward of the single op ``op`` on (size, size) float32 operands.

    ``xpnet``/``torch``: ``out = op(a[, b]); out.backward(G)`` on leaves that
    require grad (their ``.grad`` reset first, so nothing accumulates).
    ``raw``: the same forward and backward formulas in NumPy (CuPy on cuda).

    ``framework``: ``"xpnet"``, ``"torch"`` or ``"raw"``; ``device``: ``"cpu"`` or ``"cuda"``;
    ``size``: the operands' side (default 4). ValueError for an op not in ``OPS``.
    """
    if op not in OPS:
        raise ValueError(f"unknown op {op!r}: choose from {OPS}")
    check(framework, device)
    sync = synchronizer(framework, device)
    if framework == "raw":
        return _raw_op(op, device, size, sync)
    a: Any
    b: Any
    g: Any
    if framework == "xpnet":
        import xpnet as xn

        xn.manual_seed(0)
        a = xn.randn(size, size, device=device, requires_grad=True)
        b = xn.randn(size, size, device=device, requires_grad=True)
        g = xn.ones(size, size, device=device)
        fns: dict[str, Any] = {"add": lambda: a + b, "mul": lambda: a * b, "matmul": lambda: a @ b,
                               "relu": lambda: xn.relu(a), "sigmoid": lambda: xn.sigmoid(a),
                               "sum": lambda: a.sum()}
    else:
        import torch

        torch.manual_seed(0)
        a = torch.randn(size, size, device=device, requires_grad=True)
        b = torch.randn(size, size, device=device, requires_grad=True)
        g = torch.ones(size, size, device=device)
        fns = {"add": lambda: a + b, "mul": lambda: a * b, "matmul": lambda: a @ b,
               "relu": lambda: torch.relu(a), "sigmoid": lambda: torch.sigmoid(a),
               "sum": lambda: a.sum()}
    forward = fns[op]
    gradient = None if op == "sum" else g

    def call() -> None:
        a.grad = None
        b.grad = None
        forward().backward(gradient)
        sync()

    return call


def _raw_op(op: str, device: str, size: int, sync: Callable[[], None]) -> Callable[[], None]:
    if device == "cuda":
        import cupy as lib
    else:
        import numpy as lib
    a = lib.asarray(random.Random(0).choices(range(-3, 4), k=size * size), dtype=lib.float32)
    a = a.reshape(size, size) / 2
    b = a.T.copy()
    g = lib.ones((size, size), dtype=lib.float32)

    def add() -> Any:  # dA = G, dB = G
        return a + b

    def mul() -> Any:  # dA = G b, dB = G a
        return a * b, g * b, g * a

    def matmul() -> Any:  # dA = G B^T, dB = A^T G
        return a @ b, g @ b.T, a.T @ g

    def relu() -> Any:  # dA = G where out > 0
        out = lib.maximum(a, 0.0)
        return lib.where(out > 0, g, 0.0)

    def sigmoid() -> Any:  # s = 1 / (1 + e**-a) without overflow, as xpnet computes it; dA = G s (1 - s)
        s = lib.exp(lib.minimum(a, 0)) / (1 + lib.exp(-lib.abs(a)))
        return g * s * (1 - s)

    def sum_() -> Any:  # dA = 1 in a's shape (times the incoming 1)
        out = lib.sum(a)
        return lib.ones_like(a) * lib.ones_like(out)

    fn = {"add": add, "mul": mul, "matmul": matmul, "relu": relu, "sigmoid": sigmoid, "sum": sum_}[op]

    def call() -> None:
        fn()
        sync()

    return call
