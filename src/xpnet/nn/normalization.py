"""``LayerNorm`` and ``BatchNorm1d``, torch's arguments, parameters, buffers and reprs.

The ops and their gradients are :func:`xpnet.functional.layer_norm` and
:func:`xpnet.functional.batch_norm`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import functional as F
from ..creation import ones, tensor, zeros
from ..tensor import Tensor, as_tensor
from . import init
from ._input import layer_input
from .module import Module
from .parameter import Parameter


class LayerNorm(Module):
    """Standardise each sample over its last axes, then scale and shift per element.

    ``out = (x - mean) / sqrt(var + eps) * weight + bias``, the mean and (biased)
    variance over the trailing ``normalized_shape`` axes. weight (ones) and bias
    (zeros): ``normalized_shape``, present when ``elementwise_affine`` (bias
    also needs ``bias=True``). Input: (*, *normalized_shape); output: the same.

    Backward: ``dL/dx = (1 / sqrt(var + eps)) (Gw - mean(Gw) - xhat mean(Gw xhat))``, means over
    the normalized axes; dL/dweight = sum of G xhat, dL/dbias = sum of G (over the leading axes).

    Args:
        normalized_shape: an int or a sequence of ints: the trailing axes normalized.
        eps: added to the variance before the square root.
        elementwise_affine: learn ``weight`` and ``bias``.
        bias: with ``elementwise_affine``, learn ``bias`` too.
        device: where the parameters live (None: the default device).
        dtype: their dtype (None: the default float dtype).

    Raises:
        ValueError: at call, when the input's trailing axes are not ``normalized_shape``.
    """

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, *, device: Any = None,
                 dtype: Any = None) -> None:
        shape = (normalized_shape,) if isinstance(normalized_shape, int) \
            else tuple(normalized_shape)
        if not shape or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0
                                for n in shape):
            raise ValueError(f"LayerNorm: normalized_shape must be a positive int or a tuple of "
                             f"them, got {normalized_shape!r}")
        self.normalized_shape = shape
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        self.weight: Parameter | None = None
        self.bias: Parameter | None = None
        if elementwise_affine:
            self.weight = Parameter(ones(*shape, device=device, dtype=dtype))
            if bias:
                self.bias = Parameter(zeros(*shape, device=device, dtype=dtype))

    def reset_parameters(self) -> None:
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, x: Any) -> Tensor:
        x = as_tensor(x, "LayerNorm") if self.weight is None \
            else layer_input(x, self.weight, "LayerNorm")
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class BatchNorm1d(Module):
    """Standardise each feature over the batch, then scale and shift it.

    Input: (N, C) or (N, C, L), C = ``num_features``; output: the same shape.
    In training mode (``model.train()``) the batch's mean and biased variance
    are used, and the buffers ``running_mean`` / ``running_var`` move towards
    the batch's mean and unbiased variance by ``momentum``
    (``running = (1 - momentum) running + momentum batch``; ``momentum=None``:
    the plain average of every batch so far), and ``num_batches_tracked`` counts
    the batches. In eval mode (``model.eval()``) the running statistics are used.
    ``track_running_stats=False``: no buffers, batch statistics in both modes.
    weight (ones) and bias (zeros): (C,), when ``affine`` (the bias also needs
    ``bias=True``).
    Raises ValueError for an input that is not 2-D or 3-D, or that has one
    value per channel in training.

    Backward in training: ``dL/dx = (w / sqrt(v + eps)) (G - mean(G) - xhat mean(G xhat))``,
    ``xhat = (x - m) / sqrt(v + eps)``, means over the batch (and L); dL/dweight = sum of G xhat,
    dL/dbias = sum of G. In eval mode: ``dL/dx = G w / sqrt(running_var + eps)``.

    Args:
        num_features: ``C``, the number of channels.
        eps: added to the variance before the square root.
        momentum: the weight of each batch in the running statistics (None: the plain average).
        affine: learn ``weight`` and ``bias``.
        track_running_stats: keep running statistics (for eval mode).
        device: where the parameters and buffers live (None: the default device).
        dtype: their dtype (None: the default float dtype).
        bias: with ``affine``, learn ``bias`` too.
    """

    running_mean: Tensor | None  # buffers (register_buffer), declared for type checkers
    running_var: Tensor | None
    num_batches_tracked: Tensor | None
    _optional_state = ("num_batches_tracked",)  # older checkpoints lack it: not "missing" (torch)

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device: Any = None,
                 dtype: Any = None, *, bias: bool = True) -> None:
        if isinstance(num_features, bool) or not isinstance(num_features, int) or num_features < 1:
            raise ValueError(f"BatchNorm1d: num_features must be a positive int, got "
                             f"{num_features!r}")
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        self.weight: Parameter | None = None
        self.bias: Parameter | None = None
        if affine:
            self.weight = Parameter(ones(num_features, device=device, dtype=dtype))
            if bias:
                self.bias = Parameter(zeros(num_features, device=device, dtype=dtype))
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, device=device, dtype=dtype))
            self.register_buffer("running_var", ones(num_features, device=device, dtype=dtype))
            self.register_buffer("num_batches_tracked",
                                 tensor(0, dtype="int64", device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        if self.running_mean is not None:
            init.zeros_(self.running_mean)
        if self.running_var is not None:
            init.ones_(self.running_var)
        if self.num_batches_tracked is not None:
            self.num_batches_tracked.data = self.num_batches_tracked.array * 0

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, x: Any) -> Tensor:
        like = self.weight if self.weight is not None else self.running_mean
        x = as_tensor(x, "BatchNorm1d") if like is None else layer_input(x, like, "BatchNorm1d")
        if x.ndim not in (2, 3):
            raise ValueError(f"BatchNorm1d: expected 2D or 3D input (got {x.ndim}D input of "
                             f"shape {x.shape})")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            count = self.num_batches_tracked
            count.data = count.array + 1
            if self.momentum is None:  # a cumulative average: reads the count (a sync on GPUs)
                factor = 1.0 / int(count.array)
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        keep = not self.training or self.track_running_stats
        return F.batch_norm(x, self.running_mean if keep else None,
                            self.running_var if keep else None, self.weight, self.bias,
                            use_batch, factor, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")
