"""Pictures: training curves (``plot_history``, needs matplotlib) and computation graphs
(``graph`` gives Graphviz DOT text; ``render`` draws it with the ``dot`` program)."""

from .graph import graph, render
from .plot import plot_history

__all__ = ["graph", "plot_history", "render"]
