"""A Wasserstein GAN with gradient penalty (WGAN-GP) learns a 2-D Gaussian.

The critic D is trained to score real samples high and generated ones low, with the
penalty ``lambda * E[(|grad_x D(x_hat)| - 1)^2]`` at points ``x_hat`` between real and fake
samples: the norm of an *input gradient* is part of the loss, so each critic step
differentiates D with ``create_graph=True`` and then differentiates that gradient again
for D's weights. The generator G (an affine map of Gaussian noise) then moves its samples
where the critic scores high.

``train`` is written once for ``lib = xpnet`` or ``lib = torch``; every random draw comes
from one NumPy generator, so ``main`` can run torch from the same start and compare::

    python examples/wgan_gp.py [--device cpu|cuda] [--steps 300]
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

import xpnet as xn

MEAN, SCALE = np.array([2.0, -1.0]), 0.3  # the real data: N(MEAN, SCALE^2 I)


def make_nets(lib: Any, dtype: str = "float32") -> tuple[Any, Any]:
    """The generator (noise (N, 2) -> samples (N, 2)) and the critic (samples -> scores (N, 1))."""
    nn, dt = lib.nn, getattr(lib, dtype)
    critic = nn.Sequential(nn.Linear(2, 32, dtype=dt), nn.Tanh(), nn.Linear(32, 32, dtype=dt), nn.Tanh(),
                           nn.Linear(32, 1, dtype=dt))
    return nn.Linear(2, 2, dtype=dt), critic


def penalty(lib: Any, critic: Any, real: Any, fake: Any, alpha: Any) -> Any:
    """E[(|grad_x D(x_hat)| - 1)^2] at x_hat = alpha real + (1 - alpha) fake."""
    x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    (g,) = lib.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)  # with a graph
    return ((g.norm(2, dim=1) - 1) ** 2).mean()


def train(lib: Any, gen: Any, critic: Any, steps: int, device: Any = None, batch: int = 64,
          n_critic: int = 5, weight: float = 10.0, seed: int = 0, dtype: str = "float32",
          report: Any = None) -> dict[str, list[float]]:
    """``steps`` generator steps (Adam, lr 1e-2), each after ``n_critic`` critic steps (Adam, lr
    1e-3); betas (0.5, 0.9) for both."""
    rng = np.random.default_rng(seed)
    dt = getattr(lib, dtype)

    def draw(*shape: int) -> Any:
        return lib.tensor(rng.standard_normal(shape), dtype=dt, device=device)

    opt_g = lib.optim.Adam(gen.parameters(), lr=1e-2, betas=(0.5, 0.9))
    opt_d = lib.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.5, 0.9))
    history: dict[str, list[float]] = {"critic": [], "penalty": [], "generator": []}
    for step in range(steps):
        for _ in range(n_critic):
            real = draw(batch, 2) * SCALE + lib.tensor(MEAN, dtype=dt, device=device)
            fake = gen(draw(batch, 2)).detach()
            alpha = lib.tensor(rng.random((batch, 1)), dtype=dt, device=device)
            gp = penalty(lib, critic, real, fake, alpha)
            loss_d = critic(fake).mean() - critic(real).mean() + weight * gp
            opt_d.zero_grad()
            loss_d.backward()  # through the input gradient to D's weights
            opt_d.step()
        loss_g = -critic(gen(draw(batch, 2))).mean()
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        history["critic"].append(loss_d.item())
        history["penalty"].append(gp.item())
        history["generator"].append(loss_g.item())
        if report is not None and (step % max(steps // 5, 1) == 0 or step == steps - 1):
            report(f"step {step:4d}  critic {loss_d.item():+.4f}  penalty {gp.item():.4f}  "
                   f"generator {loss_g.item():+.4f}")
    return history


def sample_mean(lib: Any, gen: Any, device: Any = None, n: int = 4096) -> list[float]:
    """The mean of ``n`` generated samples (noise from a fixed generator)."""
    dt = gen.weight.dtype
    z = lib.tensor(np.random.default_rng(99).standard_normal((n, 2)), dtype=dt, device=device)
    with lib.no_grad():
        return [float(v) for v in gen(z).mean(0).tolist()]


def main(device: Any = "cpu", steps: int = 300, seed: int = 0, dtype: str = "float32",
         compare: bool = True, verbose: bool = False) -> dict[str, Any]:
    """Train on ``device``; with ``compare``, torch too (same start, same draws) if installed."""
    xn.manual_seed(seed)
    gen, critic = make_nets(xn, dtype)  # built on the CPU: torch can start from their weights
    start = [{name: xn.as_tensor(v).numpy().copy() for name, v in net.state_dict().items()}
             for net in (gen, critic)]
    gen.to(device)
    critic.to(device)
    history = train(xn, gen, critic, steps, device, seed=seed, dtype=dtype,
                    report=print if verbose else None)
    result: dict[str, Any] = {"history": history, "mean": sample_mean(xn, gen, device),
                              "target_mean": MEAN.tolist()}
    if compare:
        try:
            import torch
        except ImportError:
            return result
        ref_gen, ref_critic = make_nets(torch, dtype)
        for net, state in zip((ref_gen, ref_critic), start):
            net.load_state_dict({name: torch.from_numpy(v) for name, v in state.items()})
        result["torch_history"] = train(torch, ref_gen, ref_critic, steps, seed=seed, dtype=dtype)
        result["torch_mean"] = sample_mean(torch, ref_gen)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if xn.cuda_available() else "cpu")
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    out = main(args.device, args.steps, verbose=True)
    print(f"real mean {out['target_mean']}; generated mean (xpnet on {args.device}): "
          f"[{out['mean'][0]:.3f}, {out['mean'][1]:.3f}]")
    if "torch_mean" in out:
        print(f"generated mean (torch, same start and draws): "
              f"[{out['torch_mean'][0]:.3f}, {out['torch_mean'][1]:.3f}]")
