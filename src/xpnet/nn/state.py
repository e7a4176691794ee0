"""Loading a state dict into a module, and converting arrays to a parameter's place and dtype.

(``Module.load_state_dict`` and ``Module.to`` call these; kept here so that
``module.py`` stays about what a module is.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from .. import _backend, _dtypes
from ..tensor import Tensor


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(..., strict=False)`` did not match, as in PyTorch."""

    missing_keys: list[str]
    unexpected_keys: list[str]


def load(module: Any, state_dict: Mapping[str, Any], strict: bool) -> IncompatibleKeys:
    """``module.load_state_dict(state_dict, strict)``: see there."""
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"load_state_dict expects a mapping name -> array, got "
                        f"{type(state_dict).__name__}")
    own = module.state_dict(keep_vars=True)
    optional = {_join(prefix, name) for prefix, m in module.named_modules(remove_duplicate=False)
                for name in m._optional_state}
    missing = [k for k in own if k not in state_dict and k not in optional]
    unexpected = [k for k in state_dict if k not in own]
    problems = []
    if strict and missing:
        problems.append("Missing key(s) in state_dict: "
                        + ", ".join(f'"{k}"' for k in missing) + ". ")
    if strict and unexpected:
        problems.append("Unexpected key(s) in state_dict: "
                        + ", ".join(f'"{k}"' for k in unexpected) + ". ")
    plan = []
    for name, p in own.items():
        if name not in state_dict:
            continue
        value = state_dict[name]
        value = value.array if isinstance(value, Tensor) else value
        if getattr(value, "requires_grad", False):  # torch's state_dict(keep_vars=True)
            value = value.detach()
        if not _backend.is_array(value):
            problems.append(f"{name!r} holds a {type(value).__name__}, not an array or Tensor")
        elif tuple(value.shape) != p.shape:
            problems.append(f"size mismatch for {name}: copying a param with shape "
                            f"{tuple(value.shape)} from checkpoint, the shape in current "
                            f"model is {tuple(p.shape)}.")
        else:
            plan.append((p, value))
    if problems:
        raise RuntimeError(
            f"Error(s) in loading state_dict for {type(module).__name__}:\n\t"
            + "\n\t".join(problems)
            + ("\n(nothing was changed; load_state_dict(..., strict=False) skips missing "
               "and unexpected keys)" if strict and (missing or unexpected)
               else "\n(nothing was changed)")
        )
    converted = [(p, convert(v, p.xp, _backend.device(p.array), p.array.dtype, copy=True)) for p, v in plan]
    for p, data in converted:
        p.array = data
    return IncompatibleKeys(missing, unexpected)


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def is_dtype(obj: Any) -> bool:
    """Whether ``model.to(x)`` got a dtype (``xn.float64``, ``"float64"``, ``torch.float64``)."""
    if obj is None:
        return False
    try:
        _dtypes.resolve(obj, _backend.numpy_xp)
    except (TypeError, ValueError, AttributeError):
        return False
    return True


def convert(array: Any, xp: Any, dev: Any, dtype: Any, copy: bool = False) -> Any:
    """``array`` on ``(xp, dev)`` with ``dtype`` (None: keep); ``copy`` never shares memory."""
    out = _backend.move(array, xp, dev)
    target = _dtypes.resolve(dtype, xp, default=None)
    if target is not None and out.dtype != target:
        return xp.astype(out, target)
    if copy:
        # A moved array may still share memory with ``array`` (a torch CPU tensor's
        # .numpy()); the model must own its parameters.
        return xp.asarray(out, copy=True)
    return out
