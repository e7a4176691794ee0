"""Every public name has a docstring; how many are complete (every argument explained).

The public names are those the API reference shows (docs/_ext/api_pages.py): each area's
``__all__`` (without one: the functions and classes the module defines whose names do not start
with ``_``), submodules in ``__all__`` included, recursively. A function or class is *complete*
when its docstring (for a class: the class's and ``__init__``'s) names every parameter of its
signature; a module, or a constant documented by its class or by an attribute docstring, is
complete when it has one. A class whose constructor is Python's (an ``Enum``, a ``tuple``
subclass) has no parameters of its own to explain. Every public name must be complete;
``python tests/test_docstrings.py`` prints the incomplete ones.
"""

from __future__ import annotations

import ast
import enum
import importlib
import importlib.util
import inspect
import re
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

AREAS = ["xpnet", "xpnet.nn", "xpnet.functional", "xpnet.optim", "xpnet.optim.lr_scheduler",
         "xpnet.utils.data", "xpnet.data", "xpnet.train", "xpnet.autograd", "xpnet.viz", "xpnet.bench",
         "xpnet.cuda", "xpnet.distributed"]


def public_names(module: types.ModuleType) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is not None:
        return list(names)
    return [name for name, obj in vars(module).items()
            if not name.startswith("_") and (inspect.isfunction(obj) or inspect.isclass(obj))
            and obj.__module__ == module.__name__]


def walk(areas: list[str] = AREAS) -> Iterator[tuple[str, Any, types.ModuleType]]:
    """(qualified name, object, the module that exports it) for every public name, once each."""
    seen: set[str] = set()
    queue = [importlib.import_module(a) for a in areas if _importable(a)]
    while queue:
        module = queue.pop(0)
        if module.__name__ in seen:
            continue
        seen.add(module.__name__)
        yield module.__name__, module, module
        for name in public_names(module):
            obj = getattr(module, name)
            if isinstance(obj, types.ModuleType):
                queue.append(obj)
            else:
                yield f"{module.__name__}.{name}", obj, module


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def attribute_docstring(module_name: str, name: str, depth: int = 0) -> str | None:
    """The string literal right after ``name = ...`` where the module (or the one it imports
    ``name`` from) assigns it, as Sphinx and griffe read attribute docstrings."""
    spec = importlib.util.find_spec(module_name)
    if spec is None or spec.origin is None or depth > 5:
        return None
    body = ast.parse(Path(spec.origin).read_text(encoding="utf-8")).body
    for index, node in enumerate(body):
        targets = (node.targets if isinstance(node, ast.Assign)
                   else [node.target] if isinstance(node, ast.AnnAssign) else [])
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            after = body[index + 1] if index + 1 < len(body) else None
            if isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant) \
                    and isinstance(after.value.value, str):
                return after.value.value
        if isinstance(node, ast.ImportFrom) and any((a.asname or a.name) == name for a in node.names):
            source = importlib.util.resolve_name("." * node.level + (node.module or ""),
                                                 module_name if spec.submodule_search_locations
                                                 else module_name.rsplit(".", 1)[0])
            original = next(a.name for a in node.names if (a.asname or a.name) == name)
            return attribute_docstring(source, original, depth + 1)
    return None


def docstring(obj: Any, qualified: str, module: types.ModuleType) -> str:
    """The text a reader gets for this public name ('' when there is none)."""
    if isinstance(obj, types.ModuleType) or inspect.isroutine(obj):
        return obj.__doc__ or ""
    if inspect.isclass(obj):
        # The class's docstring and the docstrings of the xpnet class whose __init__ it runs.
        owner = next((k for k in obj.__mro__ if "__init__" in k.__dict__), object)
        init = owner.__dict__["__init__"] if owner is obj or owner.__module__.startswith("xpnet") else None
        extra = (owner.__doc__ or "") if owner is not obj and owner.__module__.startswith("xpnet") else ""
        return "\n".join([obj.__doc__ or "", (init.__doc__ or "") if init is not None else "", extra])
    own = attribute_docstring(module.__name__, qualified.rsplit(".", 1)[-1])
    if own:
        return own
    kind = type(obj)
    return (kind.__doc__ or "") if kind.__module__.startswith("xpnet") else ""


def unexplained_parameters(obj: Any, doc: str) -> list[str]:
    """Parameters of ``obj``'s signature that its docstring never names."""
    if not (inspect.isroutine(obj) or inspect.isclass(obj)):
        return []
    if inspect.isclass(obj) and (issubclass(obj, enum.Enum) or _stdlib(_constructor_owner(obj))):
        return []  # an Enum's or a tuple's constructor: Python's signature, not the library's
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):
        return []
    ignored = {"self", "cls", "args", "kwargs"}  # a bare *args/**kwargs passes through
    return [p for p in signature.parameters if p not in ignored and not p.startswith("_")
            and not re.search(rf"(?<![\w]){re.escape(p)}(?![\w])", doc)]


def _constructor_owner(cls: type) -> type:
    """The class in ``cls``'s MRO that defines the constructor ``cls(...)`` runs."""
    return next((k for k in cls.__mro__ if "__init__" in k.__dict__ or "__new__" in k.__dict__), object)


def _stdlib(cls: type) -> bool:
    return cls.__module__.split(".")[0] in sys.stdlib_module_names or cls.__module__ == "builtins"


def survey() -> tuple[list[str], list[str], dict[str, list[str]]]:
    """(all public names, those without a docstring, incomplete ones -> unexplained parameters)."""
    names, missing, incomplete = [], [], {}
    for qualified, obj, module in walk():
        names.append(qualified)
        doc = docstring(obj, qualified, module)
        if not doc.strip():
            missing.append(qualified)
        elif unexplained := unexplained_parameters(obj, doc):
            incomplete[qualified] = unexplained
    return names, missing, incomplete


def test_every_public_name_has_a_docstring() -> None:
    names, missing, _ = survey()
    assert len(names) > 200, f"the survey found only {len(names)} public names: is it walking?"
    assert not missing, f"{len(missing)} public names without a docstring: {missing}"


def test_every_public_name_has_a_complete_docstring() -> None:
    """No floor below the total: a new public name must name every parameter in its docstring."""
    names, _, incomplete = survey()
    lines = [f"{name}: does not name {', '.join(params)}" for name, params in incomplete.items()]
    assert not incomplete, (f"{len(incomplete)} of {len(names)} public names have incomplete docstrings "
                            "(name every argument: shapes, dtypes, devices, what raises):\n"
                            + "\n".join(lines))


def test_every_area_of_the_reference_is_surveyed() -> None:
    surveyed = {q for q, obj, _ in walk() if isinstance(obj, types.ModuleType)}
    expected = {a for a in AREAS if _importable(a)}
    assert expected <= surveyed, expected - surveyed
    assert {"xpnet.nn.init", "xpnet.nn.utils", "xpnet.nn.CrossEntropyLoss",
            "xpnet.optim.lr_scheduler.StepLR"} <= surveyed | {q for q, _, _ in walk()}


def test_completeness_check_tells_complete_from_incomplete() -> None:
    def complete(x: Any, dim: int = 0) -> Any:
        """Sum of ``x`` over ``dim``."""

    def incomplete(x: Any, keepdim: bool = False) -> Any:
        """Sum of x (keepdims is another word)."""

    class Layer:
        """A layer of width ``n``."""

        def __init__(self, n: int, bias: bool = True) -> None:
            """bias: whether to add one."""

    assert unexplained_parameters(complete, docstring(complete, "m.complete", types)) == []
    assert unexplained_parameters(incomplete, docstring(incomplete, "m.incomplete", types)) == ["keepdim"]
    assert unexplained_parameters(Layer, docstring(Layer, "m.Layer", types)) == []
    assert docstring(Layer, "m.Layer", types).startswith("A layer")

    class Kind(enum.Enum):
        """Two kinds."""

        A = "a"

    class Pair(tuple):
        """A pair."""

    assert unexplained_parameters(Kind, docstring(Kind, "m.Kind", types)) == []
    assert unexplained_parameters(Pair, docstring(Pair, "m.Pair", types)) == []


def test_constants_are_documented_by_attribute_docstrings_or_their_class() -> None:
    import xpnet as xn

    assert attribute_docstring("xpnet.bench", "MODELS"), "xpnet.bench.MODELS needs an attribute docstring"
    assert docstring(xn.float32, "xpnet.float32", xn) == xn.DType.__doc__


if __name__ == "__main__":
    all_names, no_doc, partial = survey()
    print(f"{len(all_names)} public names; {len(all_names) - len(no_doc)} with a docstring; "
          f"{len(all_names) - len(no_doc) - len(partial)} complete")
    for name in no_doc:
        print(f"no docstring: {name}")
    for name, params in partial.items():
        print(f"incomplete: {name}: does not name {', '.join(params)}")
