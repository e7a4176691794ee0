"""``Ensemble``: K models of one architecture trained at once, as one batched model.

    ens = nn.Ensemble(64, lambda: nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1)))
    opt = optim.Adam(ens.parameters(), lr=1e-2)
    pred = ens(x)                              # x (N, 2) shared, or (64, N, 2): pred (64, N, 1)
    loss = ens.loss(nn.MSELoss(), pred, y)     # sum over members of each member's own loss
    opt.zero_grad(); loss.backward(); opt.step()
    best = ens.member(3)                       # a plain nn.Sequential with member 3's weights

Every ``Linear`` becomes an :class:`EnsembleLinear` (weights (K, out, in), one
batched GEMM); elementwise layers run unchanged on the (K, N, ...) arrays.
Because the total loss is the *sum* of the members' losses, and nothing
mixes members, each member gets exactly the gradient -- and, with any
elementwise optimizer (SGD, Adam, ...), exactly the trajectory -- it would
get alone. (``clip_grad_norm_`` is the exception: its norm spans all members.)
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from .. import _dtypes
from .. import functional as F
from ..tensor import Tensor, as_tensor
from ._input import loss_input, loss_target
from .activation import Identity, LogSoftmax, Softmax
from .containers import Sequential
from .dropout import Dropout
from .ensemble_linear import EnsembleLinear
from .fusion import declared
from .linear import Linear
from .module import Module

_ELEMENTWISE = (Identity, Dropout)  # besides the activations that declare fused_as


class Ensemble(Sequential):
    """K copies of a ``Sequential`` architecture with independent weights, run as one model.

    ``Ensemble(k, factory)`` calls ``factory()`` k times (each call builds and
    initialises a plain model, so every member starts exactly as an
    independent model would) and stacks them; ``Ensemble.from_models(models)``
    stacks models you built. The models must be ``nn.Sequential`` of
    ``Linear`` and elementwise layers (activations that declare ``fused_as``:
    ReLU, LeakyReLU, Sigmoid, Tanh, GELU, your own; Identity, Dropout;
    Softmax/LogSoftmax over a negative dim), all alike. An activation after a
    ``Linear`` runs fused into its ``EnsembleLinear`` as in ``nn.Sequential``.

    Input: (K, N, in) (a batch per member) or (N, in) (the same batch for all);
    output: (K, N, out). Parameters keep the plain model's names with a leading
    K axis: ``"0.weight"`` is (K, out, in), ``"0.bias"`` is (K, out).

    Args:
        ensemble_size: ``K``, the number of members (a positive int).
        factory: a callable with no arguments that builds one member (an ``nn.Sequential``).

    Raises:
        ValueError: ``ensemble_size`` is not a positive int.
        TypeError: ``factory`` is not callable, or builds something other than an
            ``nn.Sequential`` of the layers above.
    """

    def __init__(self, ensemble_size: int, factory: Callable[[], Module]) -> None:
        if isinstance(ensemble_size, bool) or not isinstance(ensemble_size, int) or ensemble_size < 1:
            raise ValueError(f"Ensemble: ensemble_size must be a positive int, got {ensemble_size!r}")
        if not callable(factory) or isinstance(factory, Module):
            raise TypeError("Ensemble(k, factory): factory builds one member, e.g. "
                            "lambda: nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))")
        self._stack([factory() for _ in range(ensemble_size)])

    @classmethod
    def from_models(cls, models: Iterable[Module]) -> Ensemble:
        """An ensemble whose member k is a copy of ``models[k]`` (all of one architecture)."""
        ens = cls.__new__(cls)
        ens._stack(list(models))
        return ens

    def _stack(self, given: list[Module]) -> None:
        if not given:
            raise ValueError("Ensemble needs at least one model")
        models: list[Sequential] = []
        for m in given:
            if not isinstance(m, Sequential):
                raise TypeError(f"Ensemble stacks nn.Sequential models, got {type(m).__name__}: build "
                                f"your own model from nn.EnsembleLinear layers instead")
            models.append(m)
        names = list(models[0]._store)
        for i, m in enumerate(models):
            if list(m._store) != names:
                raise ValueError(f"Ensemble: model {i} has layers {list(m._store)} but model 0 has "
                                 f"{names}: all models must have the same architecture")
        layers: OrderedDict[str, Module] = OrderedDict()
        for name in names:
            parts = [m._store[name] for m in models]
            layers[name] = _stack_layer(parts, name)
        Sequential.__init__(self, layers)
        self.ensemble_size = len(models)

    def extra_repr(self) -> str:
        return f"ensemble_size={self.ensemble_size}"

    def _check(self, value: Any) -> Module:
        """What append, insert, extend and ``ens[i] = ...`` accept: no layer the members would share.

        A plain ``Linear`` (one weight for all K members, which ``member(k)`` would
        export as each member's own) and an ``EnsembleLinear`` of another size are
        refused; parameter-free layers (activations, Dropout...) are taken as they are.
        """
        module = super()._check(value)
        k = self.__dict__.get("ensemble_size")  # unset while the constructor stacks the layers
        if k is None:
            return module
        for m in module.modules():
            if isinstance(m, Linear):
                bias = "" if m.bias is not None else ", bias=False"
                raise TypeError(
                    f"Ensemble: cannot add a plain {m!r}: its one weight would be shared by all {k} "
                    f"members (and member(k) would export it as each member's own); add "
                    f"nn.EnsembleLinear({m.in_features}, {m.out_features}, {k}{bias}) instead")
            if isinstance(m, EnsembleLinear) and m.ensemble_size != k:
                raise ValueError(f"Ensemble: cannot add {m!r}: its ensemble_size is "
                                 f"{m.ensemble_size} but this ensemble has {k} members; use "
                                 f"nn.EnsembleLinear({m.in_features}, {m.out_features}, {k})")
        return module

    def _slice(self, idx: slice) -> Sequential:
        return Sequential(OrderedDict(list(self._store.items())[idx]))

    def member(self, index: int) -> Sequential:
        """Member ``index`` as a plain ``nn.Sequential`` (copies of its weights, same names)."""
        k = self.ensemble_size
        if isinstance(index, bool) or not isinstance(index, int) or not -k <= index < k:
            raise IndexError(f"member index {index!r} is out of range for an ensemble of {k}")
        return Sequential(OrderedDict((name, _unstack_layer(m, index % k))
                                      for name, m in self._store.items()))

    def loss(self, loss_fn: Module, input: Any, target: Any) -> Tensor:
        """``sum_k loss_fn(input[k], target[k])``: each member's own loss, summed.

        ``loss_fn`` is a loss module (``nn.MSELoss()``, ``nn.CrossEntropyLoss()``...)
        whose ``reduction`` ("mean" or "sum") applies within each member. input:
        (K, N, ...); target: per member (K, N, ...) or shared (N, ...), as the loss
        takes it for one member (class indices (N,) for cross-entropy). Summing,
        not averaging, over members gives each the gradient it would get alone.
        """
        name = "Ensemble.loss"
        reduction = getattr(loss_fn, "reduction", None)
        if not isinstance(loss_fn, Module) or reduction not in ("mean", "sum"):
            raise TypeError(f"{name} takes a loss module with reduction 'mean' or 'sum' (e.g. "
                            f"nn.MSELoss()), got {loss_fn!r}")
        x = loss_input(input, name)
        k = self.ensemble_size
        if x.ndim < 2 or x.shape[0] != k:
            raise ValueError(f"{name}: the prediction must have shape ({k}, N, ...) (the ensemble "
                             f"size first), got {tuple(x.shape)}")
        y = as_tensor(loss_target(target, x, name), name)
        member_ndim = x.ndim - 1 - (0 if _dtypes.is_floating(y.array.dtype) else 1)
        if y.ndim == member_ndim:  # shared by every member
            if y.requires_grad:
                raise ValueError(f"{name}: a target that requires grad must be given per member, "
                                 f"shape ({k}, ...)")
            y = as_tensor(y.xp.broadcast_to(y.array, (k, *y.shape)), name)
        elif y.ndim != member_ndim + 1 or y.shape[0] != k:
            raise ValueError(f"{name}: target of shape {tuple(y.shape)} fits neither one member's "
                             f"prediction {x.shape[1:]} (shared) nor ({k}, ...) (per member)")
        if x.ndim >= 3:  # merge (K, N) so the loss sees one batch of K*N samples
            x = F.reshape(x, (-1, *x.shape[2:]))
            y = F.reshape(y, (-1, *y.shape[2:]))
        elementwise: Any = copy.copy(loss_fn)
        elementwise.reduction = "none"
        per_member = F.reshape(elementwise(x, y), (k, -1))
        if reduction == "sum":
            return F.sum(F.sum(per_member, axis=1))
        counts = _class_weight_sums(loss_fn, y, k, x.array.dtype)  # weighted/ignoring class losses
        if counts is None:
            return F.sum(F.mean(per_member, axis=1))
        return F.sum(F.div(F.sum(per_member, axis=1), counts))


def _class_weight_sums(loss_fn: Module, y: Tensor, k: int, dtype: Any) -> Any:
    """Each member's "mean" denominator for a class-index loss with weights or ignore_index.

    PyTorch's mean of such a loss divides by the summed weights of the targets
    that are not ignored, ``sum_i w[y_i] [y_i != ignore_index]``, not by N.
    Returns None when the plain mean is right (no class options, or probability
    targets). ``y`` holds the K members' targets, merged: (K*N, ...).
    """
    weight, ignore = getattr(loss_fn, "weight", None), getattr(loss_fn, "ignore_index", None)
    if (weight is None and ignore is None) or _dtypes.is_floating(y.array.dtype):
        return None
    xp, ids = y.xp, y.array
    kept = ids != ignore if ignore is not None else ids == ids
    if weight is None:
        per_target = xp.astype(kept, dtype)
    else:
        w = weight.array if isinstance(weight, Tensor) else weight
        safe = xp.where(kept, ids, xp.zeros_like(ids))  # ignored ids may be out of range
        taken = xp.reshape(xp.take(w, xp.reshape(safe, (-1,))), ids.shape)
        per_target = taken * xp.astype(kept, taken.dtype)
    return xp.sum(xp.reshape(per_target, (k, -1)), axis=1)


def _stack_layer(parts: list[Module], name: str) -> Module:
    first = parts[0]
    for i, m in enumerate(parts):
        if type(m) is not type(first) or repr(m) != repr(first):
            raise ValueError(f"Ensemble: layer {name!r} of model {i} is {m!r} but model 0 has "
                             f"{first!r}: all models must have the same architecture")
    if type(first) is Linear:
        return _stack_linear(parts)  # type: ignore[arg-type]
    if type(first) in (Softmax, LogSoftmax) and first.dim >= 0:  # type: ignore[attr-defined]
        raise ValueError(f"Ensemble: layer {name!r} ({first!r}) normalises over a fixed axis, which "
                         f"the ensemble's leading axis shifts: use dim=-1")
    # an activation the fused op computes (fused_as, whatever its value now) is elementwise
    if type(first) not in (*_ELEMENTWISE, Softmax, LogSoftmax) and not declared(first, "fused_as"):
        raise TypeError(f"Ensemble: layer {name!r} is a {type(first).__name__}; an ensemble stacks "
                        f"Linear and elementwise layers (activations that declare fused_as, such as "
                        f"ReLU, Tanh or GELU; {', '.join(c.__name__ for c in _ELEMENTWISE)}, Softmax, "
                        f"LogSoftmax): for others, write a model from nn.EnsembleLinear")
    return copy.deepcopy(first)


def _stack_linear(parts: list[Linear]) -> EnsembleLinear:
    first = parts[0]
    xp, dev, dtype = first.weight.xp, first.weight.device, first.weight.array.dtype
    for i, m in enumerate(parts):
        w = m.weight
        if w.xp is not xp or w.array.dtype != dtype or str(w.device) != str(dev):
            raise ValueError(f"Ensemble: model {i}'s {m!r} is on {w.device} with {w.dtype}, "
                             f"model 0's on {dev} with {first.weight.dtype}: move them with "
                             f".to(...) first")
    layer = EnsembleLinear(first.in_features, first.out_features, len(parts),
                           bias=first.bias is not None, device=dev, dtype=dtype)
    layer.weight.array = xp.stack([m.weight.array for m in parts])  # a copy
    if layer.bias is not None:
        layer.bias.array = xp.stack([m.bias.array for m in parts])  # type: ignore[union-attr]
    return layer


def _unstack_layer(m: Module, k: int) -> Module:
    if type(m) is not EnsembleLinear:
        return copy.deepcopy(m)
    w = m.weight
    layer = Linear(m.in_features, m.out_features, bias=m.bias is not None, device=w.device,
                   dtype=w.array.dtype)
    layer.weight.array = w.xp.asarray(w.array[k, ...], copy=True)
    if m.bias is not None and layer.bias is not None:
        layer.bias.array = w.xp.asarray(m.bias.array[k, ...], copy=True)
    return layer
