"""XOR from four samples: the classic backpropagation example, PyTorch-style.

A 2-3-1 network (Linear, ReLU, Linear), mean squared error and plain
gradient descent learn the truth table of XOR::

    x1 x2 | y
     0  0 | 0
     0  1 | 1
     1  0 | 1
     1  1 | 0

Run it with ``python examples/xor.py [--device cpu|cuda] [--hidden 16]``.

Where the run starts matters for a net this small: from PyTorch's default
random init, a 2-3-1 ReLU net ends in a dead-unit local minimum (every
output 0.5) for about half of all seeds (30 of seeds 0-59). So, like the
classic hand-worked tutorials, the 2-3-1 net starts from written-out
weights (``START``): the same numbers on every backend, well inside the
basin of the XOR solution (in a NumPy re-run, each of 100 starts perturbed
by up to +-0.3 from them converged too).

The second variant is a slightly wider net, ``--hidden 16``, from the
default random init: it learned XOR from each of seeds 0-59 (and from 300
of 300 seeds in a NumPy re-run of the same setup). Its weights are drawn on
the CPU (NumPy's generator, seeded by ``xn.manual_seed``) and then moved
with ``model.to(device)``, so every backend starts from the same numbers.
"""

from __future__ import annotations

import argparse
from typing import Any

import xpnet as xn
from xpnet import nn, optim

INPUTS = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
TARGETS = [[0.0], [1.0], [1.0], [0.0]]

# The 2-3-1 net's starting weights, by parameter name (Linear weights are (out, in)).
START = {
    "0.weight": [[0.5, -0.4], [-0.3, 0.6], [0.2, 0.3]],  # hidden layer: (3, 2)
    "0.bias": [0.1, 0.1, 0.1],  # (3,)
    "2.weight": [[0.4, 0.5, -0.3]],  # output layer: (1, 3)
    "2.bias": [0.0],  # (1,)
}


def main(device: Any = "cpu", hidden: int = 3, epochs: int = 1000, lr: float = 0.1, seed: int = 0,
         verbose: bool = False) -> dict[str, Any]:
    """Train XOR on ``device``; return the learned predictions and the loss before/after.

    ``hidden=3`` starts from ``START``; any other width from the default init seeded by ``seed``.
    """
    xn.manual_seed(seed)
    model = nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, 1))  # built on the CPU
    if hidden == 3:
        model.load_state_dict({name: xn.tensor(value) for name, value in START.items()})
    model.to(device)
    x = xn.tensor(INPUTS, device=device)  # (4, 2)
    y = xn.tensor(TARGETS, device=device)  # (4, 1)
    loss_fn = nn.MSELoss()
    opt = optim.SGD(model.parameters(), lr=lr)  # plain gradient descent: w <- w - lr * dL/dw

    losses = []
    for epoch in range(epochs):
        loss = loss_fn(model(x), y)  # forward
        opt.zero_grad()
        loss.backward()  # backward: the chain rule, layer by layer
        opt.step()  # update
        if epoch == 0 or epoch == epochs - 1:
            losses.append(loss.item())
        if verbose and epoch % (epochs // 5) == 0:
            print(f"epoch {epoch:5d}  loss {loss.item():.6f}")

    with xn.no_grad():
        predictions = model(x).numpy().reshape(-1).tolist()
    return {"predictions": predictions, "first_loss": losses[0], "final_loss": losses[-1],
            "model": model}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu (NumPy) or cuda / cuda:N (CuPy)")
    parser.add_argument("--hidden", type=int, default=3, help="hidden units (default 3)")
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--lr", type=float, default=0.1)
    args = parser.parse_args()
    result = main(args.device, hidden=args.hidden, epochs=args.epochs, lr=args.lr, verbose=True)
    print(f"loss {result['first_loss']:.4f} -> {result['final_loss']:.6f}")
    for (a, b), target, p in zip(INPUTS, TARGETS, result["predictions"]):
        print(f"  {a:.0f} xor {b:.0f} = {p:.3f}  (target {target[0]:.0f})")
