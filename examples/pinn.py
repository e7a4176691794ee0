"""A physics-informed network: u''(x) = -pi^2 sin(pi x) on [0, 1], u(0) = u(1) = 0.

The exact solution is u(x) = sin(pi x). The network u(x) is trained so that its *second
derivative in x* matches the right-hand side, and its values at the ends are 0; the loss
contains u'', so each step differentiates the network twice with ``create_graph=True``
and then once more (``loss.backward()``) for the weights.

``train`` is written once and runs with ``lib = xpnet`` or ``lib = torch``; ``main``
trains xpnet's network on ``--device`` and, when torch is installed, torch's from the same
initial weights, and prints both losses and the error to sin(pi x)::

    python examples/pinn.py [--device cpu|cuda] [--steps 1000] [--dtype float32|float64]
"""

from __future__ import annotations

import argparse
import math
from typing import Any

import xpnet as xn


def make_net(lib: Any, dtype: Any) -> Any:
    """1-16-16-1, tanh: smooth, so u'' exists everywhere."""
    nn = lib.nn
    return nn.Sequential(nn.Linear(1, 16, dtype=dtype), nn.Tanh(), nn.Linear(16, 16, dtype=dtype),
                         nn.Tanh(), nn.Linear(16, 1, dtype=dtype))


def train(lib: Any, net: Any, x: Any, steps: int, lr: float = 1e-2,
          report: Any = None) -> list[float]:
    """Adam on mean((u'' - f)^2) + u(0)^2 + u(1)^2 at the points ``x`` (N, 1); the losses."""
    opt = lib.optim.Adam(net.parameters(), lr=lr)
    f = -math.pi ** 2 * lib.sin(math.pi * x)  # u'' must equal f
    ends = x[[0, -1]]  # x runs from 0 to 1: u must be 0 there
    losses = []
    for step in range(steps):
        xg = x.detach().requires_grad_(True)
        u = net(xg)
        (du,) = lib.autograd.grad(u.sum(), xg, create_graph=True)  # u'(x), with a graph
        (d2u,) = lib.autograd.grad(du.sum(), xg, create_graph=True)  # u''(x), with a graph
        loss = ((d2u - f) ** 2).mean() + (net(ends) ** 2).sum()
        opt.zero_grad()
        loss.backward()  # through u'' back to the weights: a third differentiation
        opt.step()
        losses.append(loss.item())
        if report is not None and (step % max(steps // 5, 1) == 0 or step == steps - 1):
            report(f"step {step:5d}  loss {losses[-1]:.3e}")
    return losses


def error(lib: Any, net: Any, x: Any) -> float:
    """max |u(x) - sin(pi x)| at the points ``x``."""
    with lib.no_grad():
        return float((net(x) - lib.sin(math.pi * x)).abs().max().item())


def main(device: Any = "cpu", steps: int = 1000, points: int = 32, dtype: str = "float32",
         seed: int = 0, compare: bool = True, verbose: bool = False) -> dict[str, Any]:
    """Train on ``device``; with ``compare``, torch too (same start, on its CPU) if installed."""
    xn.manual_seed(seed)
    net = make_net(xn, getattr(xn, dtype))  # built on the CPU: torch can start from its weights
    start = {name: xn.as_tensor(value).numpy().copy() for name, value in net.state_dict().items()}
    net.to(device)
    x = xn.linspace(0.0, 1.0, points, dtype=getattr(xn, dtype), device=device).reshape(-1, 1)
    losses = train(xn, net, x, steps, report=print if verbose else None)
    result: dict[str, Any] = {"losses": losses, "error": error(xn, net, x), "model": net}
    if compare:
        try:
            import torch
        except ImportError:
            return result
        ref = make_net(torch, getattr(torch, dtype))
        ref.load_state_dict({name: torch.from_numpy(value) for name, value in start.items()})
        x_ref = torch.linspace(0.0, 1.0, points, dtype=getattr(torch, dtype)).reshape(-1, 1)
        result["torch_losses"] = train(torch, ref, x_ref, steps)
        result["torch_error"] = error(torch, ref, x_ref)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if xn.cuda_available() else "cpu")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    args = parser.parse_args()
    out = main(args.device, args.steps, dtype=args.dtype, verbose=True)
    print(f"xpnet on {args.device}: final loss {out['losses'][-1]:.3e}, "
          f"max |u - sin(pi x)| = {out['error']:.1e}")
    if "torch_losses" in out:
        print(f"torch (same start):   final loss {out['torch_losses'][-1]:.3e}, "
              f"max |u - sin(pi x)| = {out['torch_error']:.1e}")
