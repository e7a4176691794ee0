"""``Embedding``: a table of vectors looked up by integer index, torch's arguments and init."""

from __future__ import annotations

from typing import Any

from .. import _backend
from .. import functional as F
from ..creation import zeros
from ..tensor import Tensor, as_tensor, check_same_place
from . import init
from .module import Module
from .parameter import Parameter


class Embedding(Module):
    """Row ``i`` of ``weight`` for each index ``i`` of the input.

    weight: (num_embeddings, embedding_dim), drawn from N(0, 1) as torch (with
    ``xn.manual_seed``); the ``padding_idx`` row starts at zero and gets no
    gradient. Input: integer indices of any shape ``(*)``; output: ``(*, embedding_dim)``.
    Raises IndexError for an index outside [0, num_embeddings) (checked on
    CPUs). ``sparse`` is not supported (gradients are dense).

    dL/dweight[r] = the sum of G over the positions whose index is r (0 for ``padding_idx``),
    divided by how many positions read r with ``scale_grad_by_freq``.

    Args:
        num_embeddings: the number of rows (the size of the vocabulary).
        embedding_dim: the size of each row.
        padding_idx: a row that starts at zero and gets no gradient, or None.
        max_norm: each row a forward reads whose ``norm_type``-norm exceeds it is rescaled
            in place to ``max_norm / (norm + 1e-7)`` times itself first, as torch.
        norm_type: the p of the norm for ``max_norm``.
        scale_grad_by_freq: divide each row's gradient by how many positions of the input
            read it (torch's inverse frequency in the mini-batch).
        sparse: not supported (True raises NotImplementedError: gradients are dense).
        device: where the weight lives (None: the default device).
        dtype: the weight's dtype (None: the default float dtype).
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, sparse: bool = False, _weight: Any = None,
                 _freeze: bool = False, *, device: Any = None, dtype: Any = None) -> None:
        for name, n in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise ValueError(f"Embedding: {name} must be a positive int, got {n!r}")
        if sparse:
            raise NotImplementedError("Embedding: sparse=True is not supported (xpnet's gradients "
                                      "are dense); leave it False")
        if padding_idx is not None:
            if isinstance(padding_idx, bool) or not isinstance(padding_idx, int) \
                    or not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Embedding: padding_idx must be within num_embeddings "
                                 f"({num_embeddings}), got {padding_idx!r}")
            padding_idx %= num_embeddings
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = padding_idx
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        if _weight is None:
            self.weight = Parameter(zeros(num_embeddings, embedding_dim, device=device,
                                          dtype=dtype), requires_grad=not _freeze)
            self.reset_parameters()
        else:
            w = as_tensor(_weight, "Embedding")
            if tuple(w.shape) != (num_embeddings, embedding_dim):
                raise ValueError(f"Embedding: _weight has shape {tuple(w.shape)}, expected "
                                 f"{(num_embeddings, embedding_dim)}")
            self.weight = Parameter(w.array, requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        self._fill_padding_idx_with_zero()

    def _fill_padding_idx_with_zero(self) -> None:
        if self.padding_idx is not None:
            w = self.weight
            xp = w.xp
            rows = xp.arange(self.num_embeddings, dtype=xp.int64, device=_backend.device(w.array))
            w.data = xp.where(xp.reshape(rows == self.padding_idx, (-1, 1)), 0.0, w.array)

    def forward(self, input: Any) -> Tensor:
        idx = as_tensor(input, "Embedding")
        check_same_place(self.weight, idx, "Embedding")
        return F.embedding(idx, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                           self.scale_grad_by_freq)

    @classmethod
    def from_pretrained(cls, embeddings: Any, freeze: bool = True,
                        padding_idx: int | None = None, max_norm: float | None = None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        sparse: bool = False) -> Embedding:
        """An Embedding holding ``embeddings`` (2-D, shared, not copied); frozen by default."""
        w = as_tensor(embeddings, "Embedding.from_pretrained")
        if w.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings must be 2-D, got shape "
                             f"{tuple(w.shape)}")
        rows, dim = w.shape
        return cls(rows, dim, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse,
                   _weight=w, _freeze=freeze)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            s += ", scale_grad_by_freq=True"
        return s
