"""How a tensor prints: torch's layout and number format, on every backend.

``repr(t)`` and ``str(t)`` read as torch's (``tensor([1., 2.], requires_grad=True)``,
``tensor(0.1234)``, ``dtype=xpnet.float64`` when not a default dtype, ``device='cuda:0'``
when not the CPU); values are copied to the host to be printed. ``format(t, spec)``
of a 0-d tensor formats its number (``f"{loss:.4f}"``), as torch does; other
tensors take only an empty spec.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from . import _backend, _dtypes

if TYPE_CHECKING:
    from .tensor import Tensor

# torch's print options (torch.set_printoptions defaults).
PRECISION, THRESHOLD, EDGEITEMS, LINEWIDTH = 4, 1000, 3, 80


class _Formatter:
    """torch's ``_Formatter``: one width and one style (int-like, fixed, scientific) for all values."""

    def __init__(self, values: list[Any], floating: bool) -> None:
        self.floating, self.int_mode, self.sci_mode, self.width = floating, True, False, 1
        if not floating:
            self.width = max([len(f"{v}") for v in values] + [1])
            return
        finite = [abs(v) for v in values if math.isfinite(v) and v != 0]
        if not finite:
            return
        low, high = min(finite), max(finite)
        self.int_mode = all(v == math.ceil(v) for v in finite)
        if self.int_mode:
            self.sci_mode = high / low > 1000.0 or high > 1.0e8
        else:
            self.sci_mode = high / low > 1000.0 or high > 1.0e8 or low < 1.0e-4
        nonzero = [v for v in values if math.isfinite(v) and v != 0]
        if self.sci_mode:
            self.width = max(len(f"{v:.{PRECISION}e}") for v in nonzero)
        elif self.int_mode:
            self.width = max(len(f"{v:.0f}") + 1 for v in nonzero)
        else:
            self.width = max(len(f"{v:.{PRECISION}f}") for v in nonzero)

    def format(self, value: Any) -> str:
        if not self.floating:
            text = f"{value}"
        elif self.sci_mode:
            text = f"{value:{self.width}.{PRECISION}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{PRECISION}f}"
        return " " * (self.width - len(text)) + text


def _edges(host: Any) -> list[Any]:
    """The values torch shows of a summarized array (``EDGEITEMS`` at each end of each axis)."""
    if host.ndim == 0:
        return [host.item()]
    if host.shape[0] > 2 * EDGEITEMS:
        rows = [*host[:EDGEITEMS], *host[-EDGEITEMS:]]
    else:
        rows = list(host)
    if host.ndim == 1:
        return [r.item() for r in rows]
    return [v for r in rows for v in _edges(r)]


def _body(host: Any, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if host.ndim == 0:
        return fmt.format(host.item())
    if host.ndim == 1:
        per_line = max(1, (LINEWIDTH - indent) // (fmt.width + 2))
        if summarize and host.shape[0] > 2 * EDGEITEMS:
            items = ([fmt.format(v) for v in host[:EDGEITEMS].tolist()] + [" ..."]
                     + [fmt.format(v) for v in host[-EDGEITEMS:].tolist()])
        else:
            items = [fmt.format(v) for v in host.tolist()]
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"
    n = host.shape[0]
    if summarize and n > 2 * EDGEITEMS:
        parts = ([_body(host[i], indent + 1, summarize, fmt) for i in range(EDGEITEMS)] + ["..."]
                 + [_body(host[i], indent + 1, summarize, fmt) for i in range(n - EDGEITEMS, n)])
    else:
        parts = [_body(host[i], indent + 1, summarize, fmt) for i in range(n)]
    return "[" + ("," + "\n" * (host.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def grad_fn_name(op: str) -> str:
    """torch's spelling of a graph node: ``"mul"`` -> ``"MulBackward0"``."""
    return "".join(part.capitalize() for part in op.strip("_").split("_")) + "Backward0"


def tensor_repr(t: Tensor, prefix: str = "tensor(") -> str:
    """torch's ``repr`` of a tensor (values, then device, size, dtype, grad_fn or requires_grad)."""
    host = _backend.to_numpy(t.array)
    name = _dtypes.wrap(host.dtype).name
    indent = len(prefix)
    suffixes = []
    where = t.device
    if where.type != "cpu":
        suffixes.append(f"device='{where}'")
    if host.size == 0:
        body = "[]"
        if host.ndim != 1:
            suffixes.append(f"size={tuple(host.shape)}")
    else:
        summarize = host.size > THRESHOLD
        values = _edges(host) if summarize else host.reshape(-1).tolist()
        body = _body(host, indent, summarize, _Formatter(values, name in _dtypes.FLOATING))
    if name not in (_dtypes.get_default_dtype().name, "int64", "bool", "complex64"):
        suffixes.append(f"dtype=xpnet.{name}")
    if t._backward is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name(t._op)}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    text = prefix + body
    last = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last + len(suffix) + 2 > LINEWIDTH:
            text += ",\n" + " " * indent + suffix
            last = indent + len(suffix)
        else:
            text += ", " + suffix
            last += len(suffix) + 2
    return text + ")"


def tensor_format(t: Tensor, spec: str) -> str:
    """``format(t, spec)``: a 0-d tensor formats its number (as torch); others need ``spec == ""``."""
    if not t.array.shape:
        return format(t.item(), spec)
    if spec:
        raise TypeError(f"unsupported format string {spec!r} passed to Tensor.__format__: only a "
                        f"0-d tensor formats as a number; use t.item() or t.tolist()")
    return tensor_repr(t)
