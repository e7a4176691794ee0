"""Raw autograd: tensors that require grad, ``loss.backward()``, and the update by hand.

No modules and no optimizer: fit ``y = 2 x1 - 3 x2 + 1`` by gradient
descent on ``w`` and ``b``, reading their gradients from ``.grad``.

Run it with ``python examples/raw_autograd.py [--device cpu|cuda]``.
"""

from __future__ import annotations

import argparse
from typing import Any

import xpnet as xn

TRUE_W = [[2.0], [-3.0]]
TRUE_B = 1.0


def main(device: Any = "cpu", steps: int = 200, lr: float = 0.1, seed: int = 0,
         update: str = "data", verbose: bool = False) -> dict[str, Any]:
    """Fit on ``device``; return the learned w and b and the loss per step.

    ``update="data"`` changes the values through ``.data`` (``w.data -= lr * w.grad.data``,
    the tutorial's own words: ``.data`` shares memory and is not recorded);
    ``update="no_grad"`` updates the tensors with grad mode off, PyTorch's other spelling.
    """
    xn.manual_seed(seed)
    x = (2.0 * xn.rand(100, 2) - 1.0).to(device)  # (100, 2), drawn on the CPU and moved
    y = x @ xn.tensor(TRUE_W, device=device) + TRUE_B  # (100, 1)

    w = xn.tensor([[0.0], [0.0]], device=device, requires_grad=True)  # (2, 1)
    b = xn.tensor([0.0], device=device, requires_grad=True)  # (1,)

    history = []  # the losses stay arrays (on the device) until the end
    for step in range(steps):
        loss = ((x @ w + b - y) ** 2).mean()  # forward: the graph is recorded
        loss.backward()  # backward: w.grad = dL/dw, b.grad = dL/db (Tensors)
        if update == "data":
            w.data -= lr * w.grad.data  # .data: the same memory, cut from the graph
            b.data -= lr * b.grad.data
        else:
            with xn.no_grad():  # in-place ops on tensors that require grad, not recorded
                w -= lr * w.grad
                b -= lr * b.grad
        w.grad = None  # gradients add up across backward() calls: clear them
        b.grad = None
        history.append(loss.detach())
        if verbose and step % (steps // 5) == 0:
            print(f"step {step:4d}  loss {loss.item():.6f}")
    losses = [h.item() for h in history]  # Python floats, at the end
    return {"w": w.numpy().reshape(-1).tolist(), "b": b.item(), "losses": losses}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu (NumPy) or cuda / cuda:N (CuPy)")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--update", choices=["data", "no_grad"], default="data",
                        help="w.data -= lr * w.grad.data, or w -= lr * w.grad under xn.no_grad()")
    args = parser.parse_args()
    result = main(args.device, steps=args.steps, update=args.update, verbose=True)
    w1, w2 = result["w"]
    print(f"learned y = {w1:.3f} x1 {w2:+.3f} x2 {result['b']:+.3f}  (true: 2 x1 - 3 x2 + 1)")
