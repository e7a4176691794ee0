"""``Module``: the base class of layers and models.

A module finds its parameters and submodules by reflection: every attribute
(in assignment order) that holds a :class:`Parameter` or a :class:`Module`
is part of the model, so ``self.fc = nn.Linear(3, 4)`` is all it takes --
there is nothing to register and no ``super().__init__()`` to forget.
Buffers (tensors that are state but not trained, such as BatchNorm's running
statistics) are the exception: ``register_buffer`` names them, as in torch.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from .. import _backend, _dtypes
from ..tensor import Tensor
from . import hooks
from .hooks import RemovableHandle
from .parameter import Parameter, rebind
from .state import IncompatibleKeys, convert, is_dtype, load


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
    _hooked: bool = False  # set per instance by register_*_hook (see nn.hooks)
    # state_dict entries a load may leave out without a "missing key" (they keep their value)
    _optional_state: tuple[str, ...] = ()

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
        if self._hooked:
            return hooks.call_with_hooks(self, args, kwargs)
        return self.forward(*args, **kwargs)

    # -- registering what the model holds ----------------------------------------------
    def register_buffer(self, name: str, tensor: Any, persistent: bool = True) -> None:
        """Keep ``tensor`` as state that is not trained (BatchNorm's running statistics).

        It is the attribute ``self.<name>``; it is listed by ``buffers()`` /
        ``named_buffers()``, moved and cast (floating buffers only) by ``.to(...)``,
        and saved in ``state_dict()`` unless ``persistent=False``. ``tensor`` may be a
        Tensor, a raw array (wrapped without copying), or None (then it is skipped
        everywhere until a tensor is assigned). Raises KeyError when ``name`` is
        already another attribute, TypeError for a Parameter or a non-array.
        """
        _check_name(self, name, "buffer", self.__dict__.get("_buffer_names", {}))
        if tensor is not None:
            if isinstance(tensor, Parameter):
                raise TypeError(f"register_buffer({name!r}): got a Parameter; register it with "
                                f"register_parameter, or pass a plain Tensor")
            if not isinstance(tensor, Tensor):
                if not _backend.is_array(tensor):
                    raise TypeError(f"register_buffer({name!r}) takes a Tensor, an array or "
                                    f"None, got {type(tensor).__name__}")
                tensor = Tensor(tensor)
        self.__dict__.setdefault("_buffer_names", {})[name] = bool(persistent)
        self.__dict__[name] = tensor

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """``self.<name> = param`` (a Parameter, or None for an absent one such as a bias)."""
        _check_name(self, name, "parameter", {})
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter({name!r}) takes an nn.Parameter or None, got "
                            f"{type(param).__name__} (wrap it: nn.Parameter(t))")
        setattr(self, name, param)

    def add_module(self, name: str, module: Module | None) -> None:
        """``self.<name> = module``; in a container, appended under ``name``."""
        _check_name(self, name, "module", {})
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module({name!r}) takes a Module or None, got "
                            f"{type(module).__name__}")
        self._add_member(name, module)

    def register_module(self, name: str, module: Module | None) -> None:
        """Alias of :meth:`add_module`."""
        self.add_module(name, module)

    def _add_member(self, name: str, module: Module | None) -> None:
        setattr(self, name, module)

    def get_submodule(self, target: str) -> Module:
        """The submodule at the dotted path ``target`` (``""`` is this module)."""
        module: Module = self
        for part in target.split(".") if target else []:
            child = dict(module.named_children()).get(part)
            if child is None:
                raise AttributeError(f"{type(module).__name__} has no submodule {part!r} "
                                     f"(looking up {target!r})")
            module = child
        return module

    # -- hooks (see nn.hooks) ----------------------------------------------------------
    def register_forward_pre_hook(self, hook: Callable[..., Any], *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """``hook(module, args)`` before ``forward``; a non-None result replaces ``args``."""
        return hooks.register(self, "_forward_pre_hooks", hook, prepend, with_kwargs=with_kwargs)

    def register_forward_hook(self, hook: Callable[..., Any], *, prepend: bool = False,
                              with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """``hook(module, args, output)`` after ``forward``; a non-None result is the output."""
        return hooks.register(self, "_forward_hooks", hook, prepend, with_kwargs=with_kwargs)

    def register_full_backward_pre_hook(self, hook: Callable[..., Any],
                                        prepend: bool = False) -> RemovableHandle:
        """``hook(module, grad_output)`` in backward, before the gradients reach the module."""
        return hooks.register(self, "_backward_pre_hooks", hook, prepend)

    def register_full_backward_hook(self, hook: Callable[..., Any],
                                    prepend: bool = False) -> RemovableHandle:
        """``hook(module, grad_input, grad_output)`` once the inputs' gradients are known.

        The gradients are tuples of Tensors (None where an input needs none); a
        non-None result replaces ``grad_input``.
        """
        return hooks.register(self, "_backward_hooks", hook, prepend)

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

    def _own_buffers(self, persistent_only: bool = False) -> Iterator[tuple[str, Tensor]]:
        """This module's buffers (not None), in registration order."""
        names = self.__dict__.get("_buffer_names")
        if not names:
            return
        for name, persistent in names.items():
            b = self.__dict__.get(name)
            if isinstance(b, Tensor) and (persistent or not persistent_only):
                yield name, b

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        """``(dotted name, buffer)``: ``"running_mean"``, ``"0.num_batches_tracked"``..."""
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) \
            if recurse else iter([(prefix, self)])
        seen: set[int] = set()
        for module_prefix, module in modules:
            for name, b in module._own_buffers():
                if remove_duplicate:
                    if id(b) in seen:
                        continue
                    seen.add(id(b))
                yield _join(module_prefix, name), b

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every buffer once."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

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
                p.grad.array = p.xp.zeros_like(p.grad.array)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freeze (False) or unfreeze every parameter; returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    # -- moving ------------------------------------------------------------------------
    def to(self, device: Any = None, dtype: Any = None, non_blocking: bool = False) -> Module:
        """Move every parameter and buffer to ``device`` and/or cast it to a floating ``dtype``.

        Returns self. Integer buffers (``num_batches_tracked``) keep their dtype, as
        in torch; ``model.to(t)`` takes the device and dtype of the Tensor ``t``.

        The parameter objects stay the same (their ``.data`` and ``.grad`` are
        rebound), so an optimizer built before still holds the model's
        parameters. ``device`` follows :func:`xpnet._backend.resolve`: ``"cpu"``,
        ``"cuda"``, ``"cuda:1"``, or a device object of a library (``torch.device``,
        ``array_api_strict.Device``), read relative to each parameter's library.
        ``model.to(xn.float64)`` is accepted as ``model.to(dtype=xn.float64)``.
        """
        if isinstance(device, Tensor):
            device, dtype = device.device, (device.dtype if dtype is None else dtype)
        if dtype is None and is_dtype(device):
            device, dtype = None, device
        if dtype is not None and not _dtypes.wrap(_dtypes.resolve(dtype, _backend.numpy_xp)) \
                .is_floating_point:
            raise TypeError(f"Module.to only casts to floating dtypes, got {dtype}")
        plan = []  # everything is converted first, so a failure leaves the model as it was
        for p in self.parameters():
            xp, dev = _backend.resolve(device, like=(p.xp, _backend.device(p.array)))
            cast = dtype is not None and _dtypes.is_floating(p.array.dtype)
            data = convert(p.array, xp, dev, dtype if cast else None)
            grad = None if p.grad is None else convert(p.grad.array, xp, dev, dtype if cast else None)
            plan.append((p, data, grad))
        moved = []
        for _, b in self.named_buffers():
            xp, dev = _backend.resolve(device, like=(b.xp, _backend.device(b.array)))
            cast = dtype is not None and _dtypes.is_floating(b.array.dtype)
            moved.append((b, convert(b.array, xp, dev, dtype if cast else None)))
        for p, data, grad in plan:
            rebind(p, data, grad)
        for b, data in moved:
            b.data = data
        return self

    def float(self) -> Module:
        return self.to(dtype="float32")

    def double(self) -> Module:
        return self.to(dtype="float64")

    def half(self) -> Module:
        return self.to(dtype="float16")

    def cpu(self) -> Module:
        return self.to("cpu")

    def cuda(self, device: Any = None) -> Module:
        """Move to the GPU (``device``: an index or ``"cuda:N"``; default the current one)."""
        if isinstance(device, int) and not isinstance(device, bool):
            device = f"cuda:{device}"
        return self.to("cuda" if device is None else device)

    # -- saving and loading --------------------------------------------------------------
    def state_dict(self, *, destination: Any = None, prefix: str = "",
                   keep_vars: bool = False) -> OrderedDict[str, Any]:
        """``name -> native array`` (``p.array``, not a copy) for every parameter and
        persistent buffer, in torch's order (a module's parameters, its buffers, then
        its submodules').

        A shared parameter appears under each of its names, as in PyTorch.
        ``keep_vars=True`` gives the Parameter and buffer Tensors instead;
        ``destination``: a mapping to fill (and return) instead of a new OrderedDict.
        """
        out: Any = OrderedDict() if destination is None else destination
        for module_prefix, module in self.named_modules(prefix=prefix, remove_duplicate=False):
            for name, p in module._members():
                if isinstance(p, Parameter):
                    out[_join(module_prefix, name)] = p if keep_vars else p.array
            for name, b in module._own_buffers(persistent_only=True):
                out[_join(module_prefix, name)] = b if keep_vars else b.array
        return out

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True,
                        assign: bool = False) -> IncompatibleKeys:
        """Copy values into the parameters and persistent buffers, each converted to the
        place and dtype of what it replaces.

        Values may be Tensors or arrays of any library (a torch model's
        ``state_dict()``, NumPy arrays...). With ``strict`` (the default),
        missing and unexpected keys are a RuntimeError listing them in torch's
        words (``Missing key(s) in state_dict: "fc.bias".``); a shape mismatch
        always is. Every value is checked and converted before anything changes,
        so a failed load leaves the model as it was. Returns the named tuple
        ``(missing_keys, unexpected_keys)``, as torch. ``assign`` is accepted for
        torch compatibility; values are always copied into the existing objects.
        """
        return load(self, state_dict, strict)

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


def _check_name(module: Module, name: Any, what: str, same_kind: Mapping[str, Any]) -> None:
    """torch's rules for a registered name: a non-empty str without dots, not already
    another attribute (re-registering a buffer under its own name is fine)."""
    if not isinstance(name, str):
        raise TypeError(f"{what} name should be a string, got {type(name).__name__}")
    if not name or "." in name:
        raise KeyError(f"{what} name can't be empty or contain \".\", got {name!r}")
    if name in same_kind:
        return
    if name in module.__dict__ and not (what == "parameter" and isinstance(
            module.__dict__[name], (Parameter, type(None)))) and not (
            what == "module" and isinstance(module.__dict__[name], (Module, type(None)))):
        raise KeyError(f"attribute '{name}' already exists")
    if name in module.__dict__.get("_buffer_names", {}):
        raise KeyError(f"attribute '{name}' already exists (a buffer)")


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _indent(text: str) -> str:
    return text.replace("\n", "\n  ")
