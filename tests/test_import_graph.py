"""xpnet's modules import each other without cycles, and the operators stay the ops themselves.

The graph is read from the source by ``tools/import_cycles.py`` (``ast``, nothing imported):
the imports that run when a module loads, not those under TYPE_CHECKING or inside functions.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import xpnet as xn
from xpnet import functional as F

ROOT = Path(__file__).resolve().parents[1]


def _tool():
    spec = importlib.util.spec_from_file_location("import_cycles", ROOT / "tools" / "import_cycles.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_cycle_finder_finds_a_cycle_and_only_cycles():
    tool = _tool()
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert tool.cycles(graph) == [["a", "b", "c"]]
    assert tool.cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_of_xpnet_is_in_an_import_cycle():
    tool = _tool()
    graph = tool.load_time_graph(Path(xn.__file__).resolve().parent)
    assert "xpnet.functional._core" in graph and "xpnet.tensor" in graph["xpnet.functional._core"]
    assert "xpnet.functional" not in graph["xpnet.tensor"]  # tensor.py reads functional late
    assert tool.cycles(graph) == []


def test_the_operators_are_the_functional_ops_themselves():
    # No method frame between ``a + b`` and the op (the hottest call of a training step).
    T = xn.Tensor
    pairs = [(T.__add__, F.add), (T.__sub__, F.sub), (T.__mul__, F.mul), (T.__truediv__, F.div),
             (T.__matmul__, F.matmul), (T.__pow__, F.pow), (T.__neg__, F.neg),
             (T.__getitem__, F.getitem)]
    assert all(method is op for method, op in pairs)


def test_tensor_imported_first_has_its_operators():
    code = ("from xpnet.tensor import Tensor; a = Tensor([1.0, 1.0]); "
            "print((-(a + a * a) / a)[0].item(), (2 - a).sum().item())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["-2.0", "2.0"]
