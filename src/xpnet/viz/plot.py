"""Training curves as a PNG: loss and each metric per epoch, train and validation."""

from __future__ import annotations

import os
from typing import Any


def _figure_class() -> Any:
    """matplotlib's ``Figure``: drawn straight to a file, no pyplot state, no window, no display."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError('plotting needs matplotlib: pip install "xpnet[plot]" (or pip install '
                          'matplotlib)') from None
    return Figure


def plot_history(history: Any, path: str | os.PathLike[str], title: str | None = None) -> str:
    """Write ``history``'s curves to the image ``path`` (PNG, or what its suffix says).

    One panel for the loss, one per metric; training solid, validation dashed.
    ``history`` is a :class:`xpnet.train.History` (or a dict ``name -> list``). Returns the path.

    ``title``: the figure's title (None: no title). Needs matplotlib (``pip install
    "xpnet[plot]"``).
    """
    Figure = _figure_class()
    series = history.history if hasattr(history, "history") else dict(history)
    if not series or not any(series.values()):
        raise ValueError("the history is empty: nothing to plot (train for an epoch first)")
    epochs = list(getattr(history, "epochs", [])) or list(range(1, len(next(iter(series.values()))) + 1))
    panels = [name for name in series if not name.startswith("val_")]
    panels += [name[4:] for name in series if name.startswith("val_") and name[4:] not in panels]
    fig = Figure(figsize=(4.5 * len(panels), 3.6))
    axes = fig.subplots(1, len(panels), squeeze=False)
    for ax, name in zip(axes[0], panels):
        if name in series:
            ax.plot(epochs, series[name], label="train", color="tab:blue")
        if f"val_{name}" in series:
            ax.plot(epochs, series[f"val_{name}"], label="validation", color="tab:orange",
                    linestyle="--")
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.grid(True, alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    out = os.fspath(path)
    fig.savefig(out, dpi=100)
    return out
