"""A saved object's structure as JSON, its arrays set aside: ``flatten`` and ``unflatten``.

A state dict is a tree: dicts (with str, int, float, bool or None keys), lists,
tuples, numbers, strings, None, and arrays (or Tensors) at the leaves. The
manifest keeps the tree with every array replaced by a reference ``{"array": i}``
into the list of arrays, and every container tagged, so that int keys
(an optimizer's ``state`` is keyed by parameter index) and tuples (Adam's
``betas``) come back as they were::

    {"dict": [["lr", 0.1], [0, {"array": 0}]]}    # {"lr": 0.1, 0: <array 0>}

Nothing else is allowed in: an object that JSON cannot say is a TypeError at
save time, naming where it sits (``state['opt']['param_groups'][0]['fn']``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .. import _backend
from ..tensor import Tensor

_KEYS = (str, int, float, bool, type(None))
_ARRAY_TAGS = ("array", "tensor")


def flatten(obj: Any) -> tuple[Any, list[Any]]:
    """``(manifest tree, arrays)``: the JSON-able structure of ``obj`` and its arrays in order."""
    arrays: list[Any] = []
    return _encode(obj, arrays, "obj"), arrays


def _encode(obj: Any, arrays: list[Any], where: str) -> Any:
    if isinstance(obj, Tensor):
        arrays.append(obj.array)
        return {"tensor": len(arrays) - 1}
    if _backend.is_array(obj):
        arrays.append(obj)
        return {"array": len(arrays) - 1}
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else {"float": repr(obj)}  # JSON has no nan/inf
    if isinstance(obj, dict):
        items = []
        for key, value in obj.items():
            if not isinstance(key, _KEYS):
                raise TypeError(f"cannot save {where}: the key {key!r} is a {type(key).__name__}; "
                                f"keys must be str, int, float, bool or None")
            items.append([_encode(key, arrays, where), _encode(value, arrays, f"{where}[{key!r}]")])
        return {"dict": items}
    if isinstance(obj, (list, tuple)):
        values = [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(obj)]
        return {"list" if isinstance(obj, list) else "tuple": values}
    if hasattr(obj, "item") and getattr(obj, "shape", None) == ():  # a NumPy scalar
        return _encode(obj.item(), arrays, where)
    raise TypeError(
        f"cannot save {where}: a {type(obj).__name__} is not an array, Tensor, number, string, "
        f"None, list, tuple or dict (xn.save never pickles objects; save their state_dict())"
    )


def unflatten(tree: Any, arrays: list[Any], wrap: Callable[[Any], Any]) -> Any:
    """Rebuild the object: arrays by index; ``{"tensor": i}`` becomes ``wrap(arrays[i])``.

    Raises ValueError on a tree that :func:`flatten` could not have written.
    """
    if tree is None or isinstance(tree, (bool, int, float, str)):
        return tree
    if isinstance(tree, dict) and len(tree) == 1:
        ((tag, value),) = tree.items()
        if tag in _ARRAY_TAGS:
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < len(arrays):
                raise ValueError(f"the manifest refers to array {value!r}, but the file holds "
                                 f"{len(arrays)} array(s)")
            return wrap(arrays[value]) if tag == "tensor" else arrays[value]
        if tag == "float" and value in ("nan", "inf", "-inf"):
            return float(value)
        if tag in ("list", "tuple") and isinstance(value, list):
            items = [unflatten(v, arrays, wrap) for v in value]
            return items if tag == "list" else tuple(items)
        if tag == "dict" and isinstance(value, list):
            out = {}
            for pair in value:
                if not (isinstance(pair, list) and len(pair) == 2):
                    raise ValueError(f"a dict entry of the manifest is not a [key, value] pair: {pair!r}")
                key = unflatten(pair[0], arrays, wrap)
                if not isinstance(key, _KEYS):
                    raise ValueError(f"a dict key of the manifest is not a str or number: {key!r}")
                if key in out:  # 1 and True, 1 and 1.0 are one key too: which value is meant?
                    raise ValueError(f"a dict of the manifest holds the key {key!r} twice: an ambiguous "
                                     f"file, refused")
                out[key] = unflatten(pair[1], arrays, wrap)
            return out
    raise ValueError(f"the manifest holds an entry xpnet does not write: {str(tree)[:80]}")
