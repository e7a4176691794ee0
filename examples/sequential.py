"""The PyTorch workflow with ``nn.Sequential``: model, loss, optimizer, loop.

A 3-10-6-4 network (Sigmoid, ReLU, Sigmoid) learns a smooth map from three
inputs to four outputs in [0, 1] with mean squared error and SGD.

Run it with ``python examples/sequential.py [--device cpu|cuda]``.
"""

from __future__ import annotations

import argparse
from typing import Any

import xpnet as xn
from xpnet import nn, optim


def make_data(n: int = 256) -> tuple[xn.Tensor, xn.Tensor]:
    """Inputs in [-1, 1)^3 and targets in (0, 1)^4 from a fixed smooth function (on the CPU)."""
    x = 2.0 * xn.rand(n, 3) - 1.0  # (n, 3)
    mix = xn.tensor([[1.5, -2.0, 0.5, 1.0], [-1.0, 1.0, 2.0, -0.5], [0.5, 1.5, -1.5, 2.0]])
    y = xn.sigmoid(2.0 * xn.tanh(x @ mix))  # (n, 4)
    return x, y


def main(device: Any = "cpu", epochs: int = 500, lr: float = 0.5, momentum: float = 0.9, seed: int = 0,
         verbose: bool = False) -> dict[str, Any]:
    """Train on ``device``; return the loss per epoch."""
    xn.manual_seed(seed)
    x, y = make_data()
    x, y = x.to(device), y.to(device)  # drawn on the CPU, so every device sees the same data

    model = nn.Sequential(nn.Linear(3, 10), nn.Sigmoid(), nn.Linear(10, 6), nn.ReLU(),
                          nn.Linear(6, 4), nn.Sigmoid()).to(device)
    loss_fn = nn.MSELoss()
    opt = optim.SGD(model.parameters(), lr=lr, momentum=momentum)

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
    parser.add_argument("--epochs", type=int, default=500)
    args = parser.parse_args()
    result = main(args.device, epochs=args.epochs, verbose=True)
    print(f"loss {result['losses'][0]:.5f} -> {result['losses'][-1]:.5f}")
