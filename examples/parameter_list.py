"""A model that keeps its weights in ``nn.ParameterList`` and writes ``forward`` by hand.

Each layer is ``h = relu(h @ W + b)`` spelled with ``xn.matmul`` and
``xn.relu``; ``nn.ParameterList`` makes the weights visible to
``model.parameters()``, so ``optim.Adam`` trains them. The model fits
``y = sin(3x)`` on [-1, 1].

Run it with ``python examples/parameter_list.py [--device cpu|cuda]``.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import xpnet as xn
from xpnet import nn, optim


class HandWrittenMLP(nn.Module):
    """Weights ``W_i: (sizes[i], sizes[i+1])`` and biases in two ParameterLists.

    Input: (N, sizes[0]); output: (N, sizes[-1]); ReLU between layers.
    """

    def __init__(self, sizes: Sequence[int]) -> None:
        super().__init__()
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for n_in, n_out in pairwise(sizes):
            # He (Kaiming) normal init, drawn on the CPU; model.to(device) moves it.
            self.weights.append(nn.Parameter(xn.randn(n_in, n_out) * math.sqrt(2.0 / n_in)))
            self.biases.append(nn.Parameter(xn.zeros(n_out)))

    def forward(self, x: Any) -> xn.Tensor:
        h = x
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            h = xn.matmul(h, w) + b
            if i < last:
                h = xn.relu(h)
        return h


def main(device: Any = "cpu", epochs: int = 400, lr: float = 0.01, seed: int = 0,
         verbose: bool = False) -> dict[str, Any]:
    """Train on ``device``; return the loss per epoch."""
    xn.manual_seed(seed)
    points = [i / 64 - 1.0 for i in range(128)]  # [-1, 1) in steps of 1/64
    x = xn.tensor([[v] for v in points], device=device)  # (128, 1)
    y = xn.tensor([[math.sin(3.0 * v)] for v in points], device=device)  # (128, 1)
    model = HandWrittenMLP([1, 32, 32, 1]).to(device)
    opt = optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.MSELoss()

    history = []  # the losses stay arrays (on the device) until the end
    for epoch in range(epochs):
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        history.append(loss.detach())
        if verbose and epoch % (epochs // 5) == 0:
            print(f"epoch {epoch:4d}  loss {loss.item():.5f}")
    losses = [h.item() for h in history]  # Python floats, at the end
    return {"losses": losses, "model": model}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu (NumPy) or cuda / cuda:N (CuPy)")
    parser.add_argument("--epochs", type=int, default=400)
    args = parser.parse_args()
    result = main(args.device, epochs=args.epochs, verbose=True)
    print(f"{sum(p.numel() for p in result['model'].parameters())} parameters; "
          f"loss {result['losses'][0]:.5f} -> {result['losses'][-1]:.5f}")
