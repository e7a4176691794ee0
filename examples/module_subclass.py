"""Subclassing ``nn.Module``: a network built from a list of sizes and a list of activations.

``MLP([2, 32, 32, 2], [nn.Tanh, nn.ReLU])`` appends Linear and activation
layers to an empty ``nn.Sequential()``; its ``forward`` runs them. It learns
to tell points inside a circle from points outside with
``nn.CrossEntropyLoss`` and SGD with momentum.

Run it with ``python examples/module_subclass.py [--device cpu|cuda]``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import Any

import xpnet as xn
from xpnet import nn, optim


class MLP(nn.Module):
    """Linear layers of the given sizes, each but the last followed by its activation.

    Input: (N, sizes[0]); output: (N, sizes[-1]).
    """

    def __init__(self, sizes: Sequence[int], activations: Sequence[Callable[[], nn.Module]]) -> None:
        super().__init__()
        if len(activations) != len(sizes) - 2:
            raise ValueError(f"MLP with sizes {list(sizes)} has {len(sizes) - 2} hidden layer(s), "
                             f"so it needs that many activations, got {len(activations)}")
        self.layers = nn.Sequential()
        for i, (n_in, n_out) in enumerate(pairwise(sizes)):
            self.layers.append(nn.Linear(n_in, n_out))
            if i < len(activations):
                self.layers.append(activations[i]())

    def forward(self, x: Any) -> xn.Tensor:
        return self.layers(x)


def make_data(n: int = 512) -> tuple[xn.Tensor, xn.Tensor]:
    """Points in [-1, 1)^2 (on the CPU); class 1 inside the circle of radius 0.7, else 0."""
    x = 2.0 * xn.rand(n, 2) - 1.0
    r2 = (x * x).sum(axis=1)
    labels = xn.tensor([int(v < 0.49) for v in r2.tolist()])  # int64 class indices, (n,)
    return x, labels


def main(device: Any = "cpu", epochs: int = 300, lr: float = 0.2, seed: int = 0,
         verbose: bool = False) -> dict[str, Any]:
    """Train on ``device``; return the loss per epoch and the final training accuracy."""
    xn.manual_seed(seed)
    x, labels = make_data()
    x, labels = x.to(device), labels.to(device)
    model = MLP([2, 32, 32, 2], [nn.Tanh, nn.ReLU]).to(device)
    loss_fn = nn.CrossEntropyLoss()
    opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)

    history = []  # the losses stay arrays (on the device) until the end
    for epoch in range(epochs):
        loss = loss_fn(model(x), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
        history.append(loss.detach())
        if verbose and epoch % (epochs // 5) == 0:
            print(f"epoch {epoch:4d}  loss {loss.item():.4f}")

    losses = [h.item() for h in history]  # Python floats, at the end
    with xn.no_grad():
        predicted = model(x).argmax(axis=1)
    accuracy = (predicted == labels).numpy().mean().item()
    return {"losses": losses, "accuracy": accuracy, "model": model}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu (NumPy) or cuda / cuda:N (CuPy)")
    parser.add_argument("--epochs", type=int, default=300)
    args = parser.parse_args()
    result = main(args.device, epochs=args.epochs, verbose=True)
    print(result["model"])
    print(f"loss {result['losses'][0]:.4f} -> {result['losses'][-1]:.4f}, "
          f"accuracy {result['accuracy']:.1%}")
