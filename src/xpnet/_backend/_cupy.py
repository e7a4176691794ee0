"""CuPy's namespace with ``device=`` honoured: array-api-compat's, creation run on the asked GPU.

CuPy allocates and launches on the *current* GPU. array-api-compat's CuPy
``zeros``/``ones``/``full``/``arange``/``empty``/``eye``/``linspace`` accept
``device=`` and ignore it, and its ``*_like`` follow the current GPU, not the
array's. This namespace is array-api-compat's, with those functions run under
``with device:`` (``*_like``: the array's device unless ``device=`` says
otherwise), so a tensor made for ``"cuda:1"`` lives on GPU 1 whichever GPU is
current. Everything else is array-api-compat's own function, unchanged.

Operators and other ops run on the current GPU, as in CuPy itself: work on
``cuda:N`` for ``N != 0`` under ``with xpnet.cuda.device(N):`` (or after
``xpnet.cuda.set_device(N)``), as with ``torch.cuda.device``; xpnet's fused
kernels and random draws follow their arrays' device on their own.
"""

from __future__ import annotations

import functools
import types
from typing import Any

_CREATION = ("arange", "asarray", "empty", "eye", "full", "linspace", "ones", "zeros")
_LIKE = ("empty_like", "full_like", "ones_like", "zeros_like")


class CupyNamespace(types.ModuleType):
    """array-api-compat's CuPy namespace; creation functions place arrays on their ``device``."""

    def __init__(self, compat_cupy: Any, device_class: Any) -> None:
        super().__init__("xpnet._backend.cupy", __doc__)
        self.__dict__.update({k: v for k, v in vars(compat_cupy).items() if not k.startswith("__")})
        self.__array_api_version__ = compat_cupy.__array_api_version__
        self.compat = compat_cupy
        for name in _CREATION:
            setattr(self, name, _placed(getattr(compat_cupy, name), device_class))
        for name in _LIKE:
            setattr(self, name, _placed_like(getattr(compat_cupy, name), device_class))


def _placed(create: Any, device_class: Any) -> Any:
    @functools.wraps(create)
    def placed(*args: Any, device: Any = None, **kwargs: Any) -> Any:
        if device is None:
            return create(*args, **kwargs)
        with device_class(device):
            return create(*args, **kwargs)

    return placed


def _placed_like(create: Any, device_class: Any) -> Any:
    @functools.wraps(create)
    def placed_like(x: Any, /, *args: Any, device: Any = None, **kwargs: Any) -> Any:
        with device_class(x.device if device is None else device):
            return create(x, *args, **kwargs)

    return placed_like


_NAMESPACES: dict[Any, CupyNamespace] = {}  # array-api-compat's CuPy module -> ours


def cupy_namespace(compat_cupy: Any) -> CupyNamespace:
    """Our namespace over ``compat_cupy`` (array-api-compat's CuPy), made once per module object."""
    try:
        return _NAMESPACES[compat_cupy]
    except KeyError:
        import cupy

        ns = _NAMESPACES[compat_cupy] = CupyNamespace(compat_cupy, cupy.cuda.Device)
        return ns
