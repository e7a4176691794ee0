"""The computation graph of a tensor as Graphviz DOT text, drawn like the BP tutorials' figures.

>>> loss = loss_fn(model(x), y); loss.backward(retain_graph=True)
>>> dot = xn.viz.graph(loss, params=dict(model.named_parameters()))
>>> xn.viz.render(dot, "graph.svg")      # needs Graphviz's ``dot`` program

Every op records its inputs and its name on its output, so walking the inputs
from the loss visits the whole graph (:func:`xpnet.autograd.history`).
Data flows bottom to top: inputs and parameters at the bottom, the loss at the
top (the default ``rankdir="BT"``: bottom to top; pass ``rankdir="LR"`` to draw
it left to right). Each node shows the op (a leaf: its
parameter name, or "input"), the shape, and the gradient's shape once
``backward()`` has filled ``.grad``. ``backward()`` frees the graph as it goes
(as torch frees saved values): draw it before, or pass ``retain_graph=True``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any

from ..autograd import history
from ..tensor import Tensor

_STYLE = {
    "param": 'shape=box, style="rounded,filled", fillcolor="#cfe2ff"',
    "input": 'shape=box, style="rounded,filled", fillcolor="#e9ecef"',
    "op": 'shape=ellipse, style=filled, fillcolor="#fff3cd"',
    "root": 'shape=ellipse, style=filled, fillcolor="#f8d7da", penwidth=2',
}


def _shape(shape: Any) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def graph(tensor: Tensor, params: dict[str, Any] | None = None, rankdir: str = "BT",
          name: str = "xpnet") -> str:
    """The computation graph that produced ``tensor``, as DOT text (a string).

    ``params``: ``{name: Parameter}`` (``dict(model.named_parameters())``) to label leaves
    by name. ``rankdir``: ``"BT"`` (inputs at the bottom, the result at the top) or
    ``"LR"`` (left to right).
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"graph() draws a Tensor's history, got {type(tensor).__name__}")
    if rankdir not in ("BT", "LR", "TB", "RL"):
        raise ValueError(f"rankdir must be 'BT', 'LR', 'TB' or 'RL', got {rankdir!r}")
    names = {id(p): n for n, p in (params or {}).items()}
    nodes = history(tensor)
    lines = [f'digraph "{_escape(name)}" {{', f"  rankdir={rankdir};",
             '  node [fontname="Helvetica", fontsize=11]; edge [color="#555555"];']
    for i, (t, op, inputs) in enumerate(nodes):
        if inputs:
            title, kind = op or "op", "op"
        elif id(t) in names:
            title, kind = names[id(t)], "param"
        else:
            title, kind = ("parameter" if t.requires_grad else "input"), (
                "param" if t.requires_grad else "input")
        if t is tensor:
            kind = "root"
        label = [title, f"{_shape(t.shape)} {t.dtype.name}"]
        if t.grad is not None:
            label.append(f"grad {_shape(tuple(t.grad.shape))}")
        text = "\\n".join(_escape(part) for part in label)
        lines.append(f'  n{i} [label="{text}", {_STYLE[kind]}];')
    index = {id(t): i for i, (t, _, _) in enumerate(nodes)}
    for t, _, inputs in nodes:
        for p in inputs:
            lines.append(f"  n{index[id(p)]} -> n{index[id(t)]};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(dot: str, path: str | os.PathLike[str], format: str | None = None) -> str:
    """Draw DOT text to ``path`` with Graphviz's ``dot`` program; returns the path.

    ``format`` defaults to the suffix of ``path`` (``svg``, ``png``, ``pdf``).
    """
    out = os.fspath(path)
    fmt = format or os.path.splitext(out)[1].lstrip(".").lower()
    if not fmt:
        raise ValueError(f"cannot tell the image format of {out!r}: give it a suffix (.svg, .png) "
                         f"or format=...")
    program = shutil.which("dot")
    if program is None:
        raise RuntimeError(
            "rendering needs Graphviz's `dot` program, which is not on PATH: install Graphviz "
            "(apt-get install graphviz, brew install graphviz, conda install graphviz), or save the "
            "DOT text and view it in any Graphviz viewer")
    done = subprocess.run([program, f"-T{fmt}", "-o", out], input=dot.encode("utf-8"),
                          capture_output=True, check=False, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"dot failed (exit {done.returncode}): "
                           f"{done.stderr.decode('utf-8', 'replace').strip()}")
    return out
