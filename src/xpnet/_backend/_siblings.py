"""Fast paths for one library: where the generic ``xp`` code hands a step to its sibling.

A *sibling* is a function with the same signature and the same results as a
generic function written in pure ``xp`` (its *twin*), specialised for one
library: CuPy's live in :mod:`xpnet.cuda` (fused ``ElementwiseKernel``s),
NumPy's in :mod:`xpnet.cpu` (large updates in cache-sized blocks on every
core). A sibling returns None for inputs it does not cover
(another dtype, an option it lacks), and then the twin runs: callers write
``dispatch(adam_step, xp, ...)`` instead of ``adam_step(xp, ...)``.

This is the one place that decides, per namespace, whether a sibling exists;
:mod:`xpnet.cuda` is imported only when a CuPy namespace asks.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from ._devices import library

_MODULES: dict[Any, Any] = {}  # namespace -> module of siblings, or None
_PACKAGES = {"cupy": "xpnet.cuda", "numpy": "xpnet.cpu"}  # library -> its siblings


def sibling(xp: Any, name: str) -> Any:
    """The fast-path function ``name`` for arrays of namespace ``xp``, or None (use the twin)."""
    try:
        module = _MODULES[xp]
    except KeyError:
        package = _PACKAGES.get(library(xp))
        module = None if package is None else importlib.import_module(package)
        _MODULES[xp] = module
    return None if module is None else getattr(module, name, None)


_CHOSEN: dict[tuple[Any, Any], tuple[Any, Any]] = {}  # (namespace, generic) -> (sibling, worth)


def dispatch(generic: Callable[..., Any], xp: Any, *args: Any, **kwargs: Any) -> Any:
    """``generic(xp, *args, **kwargs)``, or its sibling of the same name where one covers the call.

    A sibling may carry ``worth(first_argument) -> bool`` (NumPy's blocked steps do:
    only large arrays pay off), checked before calling it at all.
    """
    try:
        fast, worth = _CHOSEN[xp, generic]
    except KeyError:
        fast = sibling(xp, generic.__name__)
        worth = getattr(fast, "worth", None)
        _CHOSEN[xp, generic] = fast, worth
    if fast is not None and (worth is None or worth(args[0])):
        result = fast(xp, *args, **kwargs)
        if result is not None:
            return result
    return generic(xp, *args, **kwargs)
