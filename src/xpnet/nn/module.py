"""``Module``: the base class of layers and models.

A module finds its parameters and submodules by reflection: every attribute
(in assignment order) that holds a :class:`Parameter` or a :class:`Module`
is part of the model, so ``self.fc = nn.Linear(3, 4)`` is all it takes --
there is nothing to register and no ``super().__init__()`` to forget.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

from .. import _backend, _dtypes
from ..tensor import Tensor
from .parameter import Parameter, rebind


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(..., strict=False)`` did not match, as in PyTorch."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class of every layer and model: subclass it and write ``forward``.

    >>> class MLP(nn.Module):
    ...     def __init__(self):
    ...         self.hidden = nn.Linear(2, 8)
    ...         self.out = nn.Linear(8, 1)
    ...     def forward(self, x):
    ...         return self.out(xn.relu(self.hidden(x)))
    """

    training: bool = True  # a class attribute: subclasses need no super().__init__()

    # -- what the model holds --------------------------------------------------------
    def _members(self) -> Iterator[tuple[str, Any]]:
        """The direct Parameters and Modules, by name, in assignment order (containers add theirs)."""
        for name, value in vars(self).items():
            if isinstance(value, (Parameter, Module)):
                yield name, value

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__} has no forward(): define `def forward(self, x): ...` in the "
            f"class to say what calling it computes"
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def named_modules(self, memo: set[int] | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """``(dotted name, module)`` for this module (name ``prefix``) and all below it."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, child in self._members():
            if isinstance(child, Module):
                yield from child.named_modules(memo, _join(prefix, name), remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The direct submodules, each once."""
        seen: set[int] = set()
        for name, child in self._members():
            if isinstance(child, Module) and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """``(dotted name, parameter)``: ``"weight"``, ``"0.bias"``, ``"layers.1.weight"``...

        A parameter shared by several modules is yielded once, under its first name.
        """
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) \
            if recurse else iter([(prefix, self)])
        seen: set[int] = set()
        for module_prefix, module in modules:
            for name, p in module._members():
                if not isinstance(p, Parameter):
                    continue
                if remove_duplicate:
                    if id(p) in seen:
                        continue
                    seen.add(id(p))
                yield _join(module_prefix, name), p

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter once (the argument an optimizer takes)."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every submodule and then on this module; returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # -- training state ----------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode (Dropout drops) on this module and all below it; returns self."""
        if not isinstance(mode, bool):
            raise ValueError(f"train(mode) expects True or False, got {mode!r}")
        for m in self.modules():
            m.training = mode
        return self

    def eval(self) -> Module:
        """Evaluation mode (Dropout is the identity): ``train(False)``."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: ``.grad = None``, or (``set_to_none=False``) fresh zeros.

        As in PyTorch, ``set_to_none=False`` zeroes only the gradients that
        exist, in place: a ``.grad`` someone kept reads zeros too.
        """
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.array = p._xp.zeros_like(p.grad.array)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freeze (False) or unfreeze every parameter; returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    # -- moving ------------------------------------------------------------------------
    def to(self, device: Any = None, dtype: Any = None) -> Module:
        """Move every parameter to ``device`` and/or cast it to a floating ``dtype``; returns self.

        The parameter objects stay the same (their ``.data`` and ``.grad`` are
        rebound), so an optimizer built before still holds the model's
        parameters. ``device`` follows :func:`xpnet._backend.resolve`: ``"cpu"``,
        ``"cuda"``, ``"cuda:1"``, or a device object of a library (``torch.device``,
        ``array_api_strict.Device``), read relative to each parameter's library.
        ``model.to(xn.float64)`` is accepted as ``model.to(dtype=xn.float64)``.
        """
        if dtype is None and _is_dtype(device):
            device, dtype = None, device
        if dtype is not None and not _dtypes.wrap(_dtypes.resolve(dtype, _backend.numpy_xp)) \
                .is_floating_point:
            raise TypeError(f"Module.to only casts to floating dtypes, got {dtype}")
        plan = []  # everything is converted first, so a failure leaves the model as it was
        for p in self.parameters():
            xp, dev = _backend.resolve(device, like=(p._xp, _backend.device(p.array)))
            cast = dtype is not None and _dtypes.is_floating(p.array.dtype)
            data = _convert(p.array, xp, dev, dtype if cast else None)
            grad = None if p.grad is None else _convert(p.grad.array, xp, dev, dtype if cast else None)
            plan.append((p, data, grad))
        for p, data, grad in plan:
            rebind(p, data, grad)
        return self

    def float(self) -> Module:
        return self.to(dtype="float32")

    def double(self) -> Module:
        return self.to(dtype="float64")

    def cpu(self) -> Module:
        return self.to("cpu")

    def cuda(self) -> Module:
        return self.to("cuda")

    # -- saving and loading --------------------------------------------------------------
    def state_dict(self, prefix: str = "", keep_vars: bool = False) -> OrderedDict[str, Any]:
        """``name -> native array`` (``p.array``, not a copy) for every parameter name.

        A shared parameter appears under each of its names, as in PyTorch.
        ``keep_vars=True`` gives the Parameter objects instead.
        """
        out: OrderedDict[str, Any] = OrderedDict()
        for name, p in self.named_parameters(prefix=prefix, remove_duplicate=False):
            out[name] = p if keep_vars else p.array
        return out

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy values into the parameters, converting each to the parameter's place and dtype.

        Values may be Tensors or arrays of any library (a torch model's
        ``state_dict()``, NumPy arrays...). With ``strict``, missing and
        unexpected keys are errors; a shape mismatch always is. Every value
        is checked and converted before any parameter changes, so a failed
        load leaves the model as it was. Returns ``(missing_keys, unexpected_keys)``.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict expects a mapping name -> array, got "
                            f"{type(state_dict).__name__}")
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        problems = []
        if strict and missing:
            problems.append("missing key(s): " + ", ".join(map(repr, missing)))
        if strict and unexpected:
            problems.append("unexpected key(s): " + ", ".join(map(repr, unexpected)))
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
                problems.append(f"size mismatch for {name!r}: the state dict has shape "
                                f"{tuple(value.shape)}, the model's parameter has shape {tuple(p.shape)}")
            else:
                plan.append((p, value))
        if problems:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__} (nothing was "
                f"changed): " + "; ".join(problems)
                + (" (strict=False skips missing and unexpected keys)"
                   if strict and (missing or unexpected) else "")
            )
        converted = [(p, _convert(v, p._xp, _backend.device(p.array), p.array.dtype, copy=True))
                     for p, v in plan]
        for p, data in converted:
            p.array = data
        return IncompatibleKeys(missing, unexpected)

    # -- printing ------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The constructor arguments shown inside ``Name(...)``; override in layers."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        children = [f"({name}): {_indent(repr(m))}"
                    for name, m in self._members() if isinstance(m, Module)]
        if not children and len(lines) <= 1:
            return f"{type(self).__name__}({extra})"
        body = "\n  ".join(lines + children)
        return f"{type(self).__name__}(\n  {body}\n)"


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _indent(text: str) -> str:
    return text.replace("\n", "\n  ")


def _is_dtype(obj: Any) -> bool:
    """Whether ``model.to(x)`` got a dtype (``xn.float64``, ``"float64"``, ``torch.float64``)."""
    if obj is None:
        return False
    try:
        _dtypes.resolve(obj, _backend.numpy_xp)
    except (TypeError, ValueError, AttributeError):
        return False
    return True


def _convert(array: Any, xp: Any, dev: Any, dtype: Any, copy: bool = False) -> Any:
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
