"""xpnet.viz: training curves as PNG, computation graphs as Graphviz DOT, rendering."""

from __future__ import annotations

import re
import shutil
import sys

import numpy as np
import pytest

import xpnet as xn
from xpnet import nn
from xpnet.train.history import History

PNG = b"\x89PNG\r\n\x1a\n"


def _history():
    h = History()
    for epoch, (loss, acc) in enumerate([(1.0, 0.5), (0.6, 0.7), (0.4, 0.8)], 1):
        h.append(epoch, {"loss": loss, "accuracy": acc, "val_loss": loss + 0.1, "val_accuracy": acc - 0.05})
    return h


def test_plot_history_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib (xpnet[plot]) not installed")
    path = xn.viz.plot_history(_history(), tmp_path / "curves.png", title="run")
    assert path.endswith("curves.png") and (tmp_path / "curves.png").read_bytes()[:8] == PNG
    assert _history().plot(tmp_path / "again.png") and (tmp_path / "again.png").stat().st_size > 5000


def test_plotting_an_empty_history_is_an_error(tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib (xpnet[plot]) not installed")
    with pytest.raises(ValueError, match="empty"):
        xn.viz.plot_history(History(), tmp_path / "x.png")


def test_plotting_without_matplotlib_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"xpnet\[plot\]"):
        _history().plot(tmp_path / "x.png")


def _loss_graph(xp, backward=True):
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)).to(xp.device)
    x = xp.array(np.ones((4, 2)))
    y = xp.array(np.zeros((4, 1)))
    loss = nn.MSELoss()(model(x), y)
    if backward:
        loss.backward(retain_graph=True)  # backward() alone frees the graph
    return model, loss


def _labels(dot):
    return dict(re.findall(r'(n\d+) \[label="([^"]*)"', dot))


def test_graph_shows_ops_parameters_shapes_and_gradients(xp):
    model, loss = _loss_graph(xp)
    dot = xn.viz.graph(loss, params=dict(model.named_parameters()))
    assert dot.startswith('digraph "xpnet" {') and "rankdir=BT;" in dot and dot.rstrip().endswith("}")
    labels = _labels(dot)
    texts = list(labels.values())
    assert r"0.weight\n(3, 2) float32\ngrad (3, 2)" in texts and r"2.bias\n(1,) float32\ngrad (1,)" in texts
    assert any(t.startswith(r"input\n(4, 2)") for t in texts)
    assert texts[-1].startswith("mse_loss") and "penwidth=2" in dot.splitlines()[-2 - dot.count("->")]
    assert any("tanh" in t for t in texts)  # its own node, or fused with the Linear (linear+tanh)
    edges = re.findall(r"(n\d+) -> (n\d+);", dot)
    assert all(a in labels and b in labels for a, b in edges)
    order = [int(n[1:]) for n in labels]
    assert all(int(a[1:]) < int(b[1:]) for a, b in edges) and order == sorted(order)  # inputs first


def test_graph_before_backward_has_no_gradients_and_leaves_default_names(xp):
    _, loss = _loss_graph(xp, backward=False)
    dot = xn.viz.graph(loss, rankdir="LR")
    assert "grad (" not in dot and "rankdir=LR;" in dot and r'label="parameter\n(3, 2)' in dot


def test_autograd_history_lists_the_graph_inputs_first(xp):
    w = xn.asarray(xp.asarray(np.ones((2, 3)), dtype=xp.float32)).requires_grad_()
    x = xn.asarray(xp.asarray(np.ones((3,)), dtype=xp.float32))
    y = 2.0 * (w * x)  # the Python number is no node
    loss = y.sum()
    nodes = xn.autograd.history(loss)
    want = [w, x, nodes[2][0], y, loss]  # x needs no grad: still an input
    assert len(nodes) == 5 and all(t is u for (t, _, _), u in zip(nodes, want))
    assert [(op, len(inputs)) for _, op, inputs in nodes] == [("", 0), ("", 0), ("mul", 2), ("mul", 1),
                                                              ("sum", 1)]
    assert [[id(t) for t in inputs] for _, _, inputs in nodes[2:]] == [
        [id(w), id(x)], [id(nodes[2][0])], [id(y)]]


def test_graph_checks_its_arguments():
    with pytest.raises(TypeError, match="Tensor"):
        xn.viz.graph(np.ones(2))
    with pytest.raises(ValueError, match="rankdir"):
        xn.viz.graph(xn.ones(2), rankdir="UP")


def test_render_without_graphviz_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match=r"Graphviz.*apt-get install graphviz"):
        xn.viz.render("digraph { a -> b }", tmp_path / "g.svg")
    with pytest.raises(ValueError, match="suffix"):
        xn.viz.render("digraph { a -> b }", tmp_path / "g")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")
def test_render_draws_svg_and_png(tmp_path):
    x = xn.tensor([[1.0, 2.0]], requires_grad=True)
    dot = xn.viz.graph((x * 2.0).sum())
    svg = xn.viz.render(dot, tmp_path / "g.svg")
    assert "<svg" in (tmp_path / "g.svg").read_text(encoding="utf-8") and svg.endswith("g.svg")
    xn.viz.render(dot, tmp_path / "g.png")
    assert (tmp_path / "g.png").read_bytes()[:8] == PNG
