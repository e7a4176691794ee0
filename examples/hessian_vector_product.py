"""Hessian-vector products of an MLP's loss, and the loss's sharpest curvature.

For a loss L(w) of the weights, ``H v`` (the Hessian times a vector, without forming H)
is the gradient of ``g(w) . v`` where ``g = dL/dw`` was computed with ``create_graph=True``:
two backward sweeps. Newton-type methods, meta-learning and sharpness measures use it. Here:

1. ``H v`` by double backward, checked against central differences of the gradient,
   ``(g(w + e v) - g(w - e v)) / 2e``, and against ``xn.autograd.functional.hvp``;
2. power iteration ``v <- H v / |H v|`` finds the largest Hessian eigenvalue of the loss of a
   small trained regression network (how sharp its minimum is).

``hvp`` is written once for ``lib = xpnet`` or ``lib = torch``; ``main`` runs torch from
the same weights and vectors (float64) when it is installed::

    python examples/hessian_vector_product.py [--device cpu|cuda] [--iterations 30]
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

import xpnet as xn


def make_net(lib: Any) -> Any:
    nn = lib.nn
    return nn.Sequential(nn.Linear(3, 16, dtype=lib.float64), nn.Tanh(),
                         nn.Linear(16, 1, dtype=lib.float64))


def loss_of(lib: Any, net: Any, x: Any, y: Any) -> Any:
    return lib.nn.functional.mse_loss(net(x), y)


def hvp(lib: Any, net: Any, x: Any, y: Any, v: list[Any]) -> list[Any]:
    """H v for the loss at ``net``'s weights (``v``: one tensor per parameter)."""
    params = list(net.parameters())
    grads = lib.autograd.grad(loss_of(lib, net, x, y), params, create_graph=True)  # g, with a graph
    return list(lib.autograd.grad(sum((g * u).sum() for g, u in zip(grads, v)), params))  # d(g.v)/dw


def top_eigenvalue(lib: Any, net: Any, x: Any, y: Any, v: list[Any], iterations: int) -> float:
    """The largest |eigenvalue| of the Hessian by power iteration from ``v``."""
    value = 0.0
    for _ in range(iterations):
        hv = hvp(lib, net, x, y, v)
        norm = sum((h * h).sum() for h in hv) ** 0.5
        value = float((sum((h * u).sum() for h, u in zip(hv, v)) / sum((u * u).sum() for u in v)).item())
        v = [h / norm for h in hv]
    return value


def fit(lib: Any, net: Any, x: Any, y: Any, steps: int = 300) -> float:
    opt = lib.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(steps):
        loss = loss_of(lib, net, x, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return float(loss.item())


def finite_difference_hvp(net: Any, x: Any, y: Any, v: list[Any], eps: float = 1e-5) -> list[Any]:
    """(g(w + eps v) - g(w - eps v)) / 2 eps, with first-order gradients only."""
    params = list(net.parameters())

    def grads_at(sign: float) -> list[Any]:
        with xn.no_grad():
            for p, u in zip(params, v):
                p += sign * eps * u
        grads = xn.autograd.grad(loss_of(xn, net, x, y), params)
        with xn.no_grad():
            for p, u in zip(params, v):
                p -= sign * eps * u
        return list(grads)

    up, down = grads_at(1.0), grads_at(-1.0)
    return [(a - b) / (2 * eps) for a, b in zip(up, down)]


def main(device: Any = "cpu", iterations: int = 30, seed: int = 0, compare: bool = True,
         verbose: bool = False) -> dict[str, Any]:
    """The checks of (1) and the eigenvalue of (2) on ``device``; torch's too if installed."""
    rng = np.random.default_rng(seed)
    x_host = rng.uniform(-1.0, 1.0, (64, 3))
    y_host = np.sin(x_host.sum(axis=1, keepdims=True))
    xn.manual_seed(seed)
    net = make_net(xn)  # built on the CPU: torch can start from its weights
    start = {name: xn.as_tensor(v).numpy().copy() for name, v in net.state_dict().items()}
    net.to(device)
    x, y = (xn.tensor(a, dtype=xn.float64, device=device) for a in (x_host, y_host))
    v_host = [rng.standard_normal(tuple(p.shape)) for p in net.parameters()]
    v = [xn.tensor(a, dtype=xn.float64, device=device) for a in v_host]

    hv = hvp(xn, net, x, y, v)
    fd = finite_difference_hvp(net, x, y, v)
    _, functional = xn.autograd.functional.hvp(
        lambda *w: _loss_with(net, x, y, w), tuple(net.parameters()), tuple(v))
    differences = {"vs finite differences": _max_rel(hv, fd),
                   "vs autograd.functional.hvp": _max_rel(hv, functional)}
    final_loss = fit(xn, net, x, y)
    eigenvalue = top_eigenvalue(xn, net, x, y, v, iterations)
    if verbose:
        for what, d in differences.items():
            print(f"H v {what}: max relative difference {d:.1e}")
        print(f"fitted loss {final_loss:.2e}; largest Hessian eigenvalue {eigenvalue:.6f}")
    result: dict[str, Any] = {"hvp": [h.detach() for h in hv], "differences": differences,
                              "eigenvalue": eigenvalue, "final_loss": final_loss}
    if compare:
        try:
            import torch
        except ImportError:
            return result
        ref = make_net(torch)
        ref.load_state_dict({name: torch.from_numpy(a) for name, a in start.items()})
        xt, yt = torch.from_numpy(x_host), torch.from_numpy(y_host)
        vt = [torch.from_numpy(a) for a in v_host]
        result["torch_hvp"] = [h.numpy() for h in hvp(torch, ref, xt, yt, vt)]
        fit(torch, ref, xt, yt)
        result["torch_eigenvalue"] = top_eigenvalue(torch, ref, xt, yt, vt, iterations)
    return result


def _loss_with(net: Any, x: Any, y: Any, weights: tuple[Any, ...]) -> Any:
    """The loss as a function of the weights (for ``autograd.functional.hvp``): the layers'
    math with ``weights`` in place of the parameters."""
    w1, b1, w2, b2 = weights
    return xn.nn.functional.mse_loss(xn.tanh(x @ w1.T + b1) @ w2.T + b2, y)


def _max_rel(a: list[Any], b: list[Any]) -> float:
    scale = max(float(t.abs().max().item()) for t in b)
    return max(float((s - t).abs().max().item()) for s, t in zip(a, b)) / scale


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if xn.cuda_available() else "cpu")
    parser.add_argument("--iterations", type=int, default=30)
    args = parser.parse_args()
    out = main(args.device, args.iterations, verbose=True)
    if "torch_eigenvalue" in out:
        print(f"torch, same weights and vectors: largest Hessian eigenvalue {out['torch_eigenvalue']:.6f}")
