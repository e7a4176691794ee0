"""A small model and data shared by the MPI tests: the same on every rank for a seed."""

from __future__ import annotations

from typing import Any

import numpy as np

import xpnet as xn
from xpnet import nn, optim

OPTIMIZERS = {
    "SGD-momentum": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
    "Adam": lambda ps: optim.Adam(ps, lr=0.01),
}
TOLERANCE = {"float64": 1e-12, "float32": 1e-5}


def make_model(xp: Any, dtype: str, seed: int, hidden: int = 8) -> nn.Module:
    xn.manual_seed(seed)
    model = nn.Sequential(nn.Linear(5, hidden), nn.Tanh(), nn.Linear(hidden, 3))
    return model.to(xp.device).to(dtype=getattr(xn, dtype))


def copy_of(model: nn.Module, xp: Any, dtype: str) -> nn.Module:
    """A second model holding a copy of ``model``'s values (load_state_dict copies)."""
    twin = make_model(xp, dtype, seed=12345)
    twin.load_state_dict(model.state_dict())
    return twin


def data(xp: Any, dtype: str, rows: int, seed: int = 7) -> tuple[Any, Any]:
    """``rows`` samples (x, y), the same on every rank."""
    rng = np.random.default_rng(seed)
    return (xp.array(rng.normal(size=(rows, 5)), dtype),
            xp.array(rng.normal(size=(rows, 3)), dtype))


def weights(xp: Any, model: nn.Module) -> np.ndarray:
    """Every parameter's values end to end, as a float64 NumPy vector."""
    return np.concatenate([xp.numpy(p).ravel().astype(np.float64) for p in model.parameters()])


def gather(dist: Any, obj: Any) -> list[Any]:
    """Every rank's ``obj`` (small Python values), in rank order."""
    out: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(out, obj)
    return out
