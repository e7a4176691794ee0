"""``xpnet demo``: XOR from four samples, then two interleaved spirals, on the best device.

Self-contained on purpose: the data are made here (no download), the loops
are the plain PyTorch-style ``forward, zero_grad, backward, step``.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from typing import Any

from tqdm import tqdm

import xpnet as xn
from xpnet import nn, optim

XOR_INPUTS = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
XOR_TARGETS = [[0.0], [1.0], [1.0], [0.0]]


def best_device() -> str:
    """``"cuda"`` (CuPy) when a GPU is usable, else ``"cpu"`` (NumPy)."""
    return "cuda" if xn.cuda_available() else "cpu"


_LIBRARIES = {"numpy": "NumPy", "cupy": "CuPy", "torch": "PyTorch",
              "array_api_strict": "array-api-strict"}


def describe(device: Any) -> str:
    """A device as a person reads it: ``cpu (NumPy)``, ``cuda (CuPy, <CUDA Device 0>)``, ..."""
    t = xn.zeros(1, device=device)
    library = type(t.data).__module__.split(".")[0]
    name = _LIBRARIES.get(library, library)
    return f"{device} ({name})" if library == "numpy" else f"{device} ({name}, {t.device})"


def _progress(epochs: int, desc: str) -> Any:
    """A progress bar that is silent when the output is not a terminal."""
    return tqdm(range(epochs), desc=desc, unit="epoch", disable=None, leave=False,
                dynamic_ncols=True)


def _train(model: nn.Module, loss_fn: nn.Module, opt: optim.Optimizer, x: xn.Tensor, y: xn.Tensor,
           epochs: int, desc: str) -> float:
    """Full-batch training; the loss shows on the bar every few epochs. Returns the last loss."""
    bar = _progress(epochs, desc)
    loss = None
    for epoch in bar:
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if epoch % 25 == 0 or epoch == epochs - 1:  # .item() waits for the GPU: not every step
            bar.set_postfix(loss=f"{loss.item():.5f}", refresh=False)
    bar.close()
    return float("nan") if loss is None else loss.item()


def train_xor(device: Any, epochs: int = 1000, seed: int = 0) -> tuple[list[float], float]:
    """A 2-16-1 ReLU net learns XOR with MSE and gradient descent; returns predictions and loss."""
    xn.manual_seed(seed)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1)).to(device)
    x = xn.tensor(XOR_INPUTS, device=device)
    y = xn.tensor(XOR_TARGETS, device=device)
    loss = _train(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), x, y, epochs, "XOR")
    with xn.no_grad():
        predictions = model(x).numpy().reshape(-1).tolist()
    return predictions, loss


def make_spirals(n_per_class: int = 500, turns: float = 2.0, noise: float = 0.03,
                 seed: int = 0) -> tuple[list[list[float]], list[int]]:
    """Two interleaved spirals in the plane: points (2 n, 2) and class labels 0/1 (2 n,)."""
    rng = random.Random(seed)
    points, labels = [], []
    for label in (0, 1):
        for i in range(n_per_class):
            t = (i + 0.5) / n_per_class  # 0 .. 1 along the arm
            angle = 2.0 * math.pi * turns * t + math.pi * label
            radius = 0.1 + 0.9 * t
            points.append([radius * math.cos(angle) + rng.gauss(0.0, noise),
                           radius * math.sin(angle) + rng.gauss(0.0, noise)])
            labels.append(label)
    return points, labels


def train_spirals(device: Any, epochs: int = 1000, seed: int = 0) -> tuple[float, float, float]:
    """A 2-64-64-2 MLP separates two spirals (cross-entropy, Adam).

    Returns the accuracy on the training points, on fresh test points (other noise), and the loss.
    """
    xn.manual_seed(seed)
    points, labels = make_spirals(seed=seed)
    x = xn.tensor(points, device=device)  # (1000, 2) float32
    y = xn.tensor(labels, device=device)  # (1000,) int64 class indices
    model = nn.Sequential(nn.Linear(2, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(),
                          nn.Linear(64, 2)).to(device)
    opt = optim.Adam(model.parameters(), lr=0.01)
    loss = _train(model, nn.CrossEntropyLoss(), opt, x, y, epochs, "spirals")

    test_points, test_labels = make_spirals(seed=seed + 1)
    model.eval()
    with xn.no_grad():
        train_accuracy = _accuracy(model(x), y)
        test_accuracy = _accuracy(model(xn.tensor(test_points, device=device)),
                                  xn.tensor(test_labels, device=device))
    return train_accuracy, test_accuracy, loss


def _accuracy(logits: xn.Tensor, labels: xn.Tensor) -> float:
    return float((logits.argmax(axis=1) == labels).numpy().mean())


def run(device: Any = None, epochs: int | None = None, echo: Callable[[str], Any] = print) -> dict[str, Any]:
    """The whole demo; ``echo`` prints each line. Returns what was learned."""
    device = best_device() if device is None else device
    echo(f"device: {describe(device)}")

    start = time.perf_counter()
    predictions, loss = train_xor(device, epochs=epochs or 1000)
    echo(f"XOR, 2-16-1 ReLU net, MSE + SGD: final loss {loss:.2e} "
         f"({time.perf_counter() - start:.1f} s)")
    echo("  x1 x2 | learned  target")
    for (a, b), (t,), p in zip(XOR_INPUTS, XOR_TARGETS, predictions):
        echo(f"   {a:.0f}  {b:.0f} |  {p:6.3f}   {t:.0f}")

    start = time.perf_counter()
    train_accuracy, test_accuracy, loss = train_spirals(device, epochs=epochs or 1000)
    echo(f"two spirals (1000 points), 2-64-64-2 tanh MLP, cross-entropy + Adam: final loss "
         f"{loss:.4f} ({time.perf_counter() - start:.1f} s)")
    echo(f"  accuracy: {train_accuracy:.1%} on the training points, {test_accuracy:.1%} on "
         f"1000 fresh test points")
    return {"device": device, "xor": predictions, "spirals_train_accuracy": train_accuracy,
            "spirals_test_accuracy": test_accuracy}
