"""The thin singular value decomposition A = U diag(S) V^T as one differentiable node.

The singular-value norms (``matrix_norm`` "nuc", 2, -2) keep U and V^T from their forward;
their higher derivatives need those factors as Tensors with a graph, recomputed from A:
:func:`svd_factors` gives them. Its node's output packs the three factors (one node, one
rule, reading only its own output), and its rule is torch's ``svd_backward`` (real case):

    gA = U [ (skew(U^T gU) S + S skew(V^T gV)) / E + diag(gS) ] V^T
         + (I - U U^T) gU S^-1 V^T      (m > n)
         + U S^-1 gV^T (I - V V^T)      (m < n)

with ``skew(X) = X - X^T`` and ``E_jk = s_k^2 - s_j^2`` (1 on the diagonal). It holds for
losses that do not depend on the signs of the singular vectors (``U V^T``, ``u_i v_i^T``, S);
repeated or zero singular values make it infinite, as torch's.
"""

from __future__ import annotations

from typing import Any

from .. import _backend
from .._double_backward import double_backward_ready
from ._core import Tensor, as_tensor, make_result
from .linalg_solve import linalg_of

__all__ = ["svd_factors"]


def svd_factors(A: Any) -> tuple[Tensor, Tensor, Tensor]:
    """``(U, S, Vh)`` of the thin SVD of each matrix, differentiable (torch.linalg.svd with
    ``full_matrices=False``).

    Shapes: A (..., m, n) -> U (..., m, k), S (..., k), Vh (..., k, n), with k = min(m, n).

    Args:
        A: a floating Tensor of at least 2 dims.
    """
    a = as_tensor(A, "linalg.svd")
    xp = a.xp
    m, n = a.shape[-2:]
    k = min(m, n)
    u, s, vh = linalg_of(xp).svd(a.array, full_matrices=False)
    out = xp.concat([u, xp.matrix_transpose(vh), xp.expand_dims(s, axis=-2)], axis=-2)  # (..., m+n+1, k)
    diagonal = xp.eye(k, dtype=xp.bool, device=_backend.device(s))

    def backward(g: Any) -> tuple[Any]:
        U, V, S = out[..., :m, :], out[..., m:m + n, :], out[..., m + n:, :]  # S: a row (..., 1, k)
        gU, gV, gS = g[..., :m, :], g[..., m:m + n, :], g[..., m + n:, :]
        Vh, Sc = xp.matrix_transpose(V), xp.matrix_transpose(S)
        UgU, VgV = xp.matrix_transpose(U) @ gU, xp.matrix_transpose(V) @ gV
        UgU, VgV = UgU - xp.matrix_transpose(UgU), VgV - xp.matrix_transpose(VgV)  # skew
        S2 = S * S
        E = S2 - xp.matrix_transpose(S2)  # E_jk = s_k^2 - s_j^2
        inner = (UgU * S + Sc * VgV) / xp.where(diagonal, xp.ones_like(E), E)
        if m > k:  # [U inner + (I - U U^T) gU S^-1] V^T
            gUS = gU / S
            gA = (U @ inner + gUS - U @ (xp.matrix_transpose(U) @ gUS)) @ Vh
        elif n > k:  # U [inner V^T + S^-1 gV^T (I - V V^T)]
            SgVh = xp.matrix_transpose(gV / S)
            gA = U @ (inner @ Vh + SgVh - (SgVh @ V) @ Vh)
        else:
            gA = U @ inner @ Vh
        return (gA + (U * gS) @ Vh,)  # + U diag(gS) V^T

    t = make_result(out, xp, (a,), backward, "svd")
    vt = t[..., m:m + n, :]
    return t[..., :m, :], t[..., m + n, :], vt.mT


# The rule reads only xp, its node's output, shapes and the constant diagonal mask: it runs on
# Tensors as it is (xpnet._double_backward).
double_backward_ready(svd_factors)
