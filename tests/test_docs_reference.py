"""The API reference's plumbing: autograd's public names, where each renders, how prose renders.

docs/_ext holds the mkdocs hook (api_pages) and the griffe extension (griffe_rst) that
``mkdocs build --strict`` loads; these tests hold the promises the build relies on.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path

import pytest

import xpnet as xn

EXT = Path(__file__).resolve().parent.parent / "docs" / "_ext"


def _load(name: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(f"_xpnet_docs_{name}", EXT / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_autograd_exports_torch_names_and_hides_the_sweep_helpers() -> None:
    public = set(xn.autograd.__all__)
    assert {"Function", "grad", "gradcheck", "backward", "no_grad", "enable_grad", "set_grad_enabled",
            "inference_mode", "detect_anomaly", "set_detect_anomaly", "is_grad_enabled"} <= public
    assert not public & {"bump", "bump_all", "check_saved", "wrap", "first_grad", "grad_mode"}
    for name in public:  # every name resolves (some through the module's __getattr__)
        assert getattr(xn.autograd, name) is not None, name
    namespace: dict[str, object] = {}
    exec("from xpnet.autograd import *", namespace)
    assert namespace["Function"] is xn.autograd.Function


def test_a_name_reached_through_module_getattr_renders_from_its_defining_module() -> None:
    api = _load("api_pages")
    function = xn.autograd.Function
    assert "Function" not in vars(xn.autograd)  # griffe cannot see it in autograd.py
    assert api.identifier("xpnet.autograd", "Function", function) == \
        f"{function.__module__}.{function.__qualname__}"
    assert api.identifier("xpnet.autograd", "no_grad", xn.autograd.no_grad) == "xpnet.autograd.no_grad"
    assert "bump" not in api.public_names(xn.autograd)


def test_prose_shapes_with_a_star_render_as_code_and_code_spans_stay() -> None:
    pytest.importorskip("griffe", reason="the docs extra (griffe) renders docstrings")
    rst = _load("griffe_rst")
    out = rst.markdown_of("Input: (*, in_features); output: (N, out). See ``randn(*size)``.")
    assert out == "Input: ``(*, in_features)``; output: (N, out). See ``randn(*size)``."
    assert rst.markdown_of("dL/dx = out * (G - sum(G * out, axis))") == \
        "dL/dx = out * (G - sum(G * out, axis))"
    block = "Text.\n\n    y = f(*, x)\n"  # an indented code block is left as written
    assert rst.markdown_of(block) == block.rstrip("\n")


def test_builtin_annotations_are_not_resolved_to_xpnet_dtypes() -> None:
    griffe = pytest.importorskip("griffe", reason="the docs extra (griffe) renders docstrings")
    rst = _load("griffe_rst")
    module = griffe.load("xpnet.nn.embedding", search_paths=[str(Path(xn.__file__).parent.parent)],
                         extensions=griffe.load_extensions(rst.RstToMarkdown))
    parameter = module["Embedding.__init__"].parameters["num_embeddings"]
    assert parameter.annotation.canonical_path == "int"  # not xpnet.int (int32)
