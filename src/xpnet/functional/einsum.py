"""``einsum``: Einstein summation, composed from ops that carry their own gradients.

``einsum("bij,bjk->bik", a, b)``. The operands are contracted left to right, two
at a time; each pairwise contraction is ``permute``, ``reshape`` and one batched
``matmul`` (labels in both operands that are still needed are the batch, labels in
both that are not are summed by the product, the others stay free). A label found
in one operand only and needed nowhere else is summed first. Gradients come from
those ops' backward rules: no rule of its own to get wrong.

Covered: explicit (``->``) and implicit outputs, any number of operands, outer
products, sums of whole operands (``"ij->"``), ``...`` (the dimensions the letters do
not name, broadcast between operands as torch does: ``"...ij,...jk->...ik"``), and a
label repeated within one operand (its diagonal, taken first: ``"ii->"`` is the trace,
``"ii->i"`` the diagonal).
"""

from __future__ import annotations

import math
from typing import Any

from .. import _backend
from ._core import Tensor, as_tensor
from .dims import expand
from .gathering import index_select
from .linalg import matmul
from .reduction import sum as _sum
from .shape import permute_dims, reshape

__all__ = ["einsum"]


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _expand_ellipsis(equation: str, ndims: list[int]) -> str:
    """``equation`` with each ``...`` replaced by letters of its own (unused elsewhere), one per
    dimension the operand's letters leave out, right-aligned across operands as broadcasting is;
    an implicit output starts with them (torch's rule)."""
    text = equation.replace(" ", "")
    inputs, arrow, output = text.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(ndims):
        raise RuntimeError(f"einsum(): {equation!r} names {len(terms)} operand(s) but "
                           f"{len(ndims)} were given")
    free = [c for c in _LETTERS if c not in text]
    counts = []
    for term, ndim in zip(terms, ndims):
        if term.count("...") > 1 or ("." in term.replace("...", "")):
            raise RuntimeError(f"einsum(): invalid ellipsis in {term!r}: at most one '...' per operand")
        n = ndim - len(term.replace("...", "")) if "..." in term else 0
        if n < 0:
            raise RuntimeError(f"einsum(): the operand with subscripts {term!r} has {ndim} dimension(s)")
        counts.append(n)
    width = max(counts)
    if width > len(free):
        raise RuntimeError(f"einsum(): too many dimensions under '...' in {equation!r}")
    labels = "".join(free[:width])
    terms = [t.replace("...", labels[width - n:]) for t, n in zip(terms, counts)]
    if arrow:
        output = output.replace("...", labels)
    else:
        joined = "".join(terms)
        output = labels + "".join(sorted(c for c in set(joined) if joined.count(c) == 1
                                         and c not in labels))
    return ",".join(terms) + "->" + output


def _parse(equation: str, count: int) -> tuple[list[str], str]:
    text = equation.replace(" ", "")
    inputs, arrow, output = text.partition("->")
    terms = inputs.split(",")
    if len(terms) != count:
        raise RuntimeError(f"einsum(): {equation!r} names {len(terms)} operand(s) but {count} were given")
    for term in terms + [output]:
        if not all(c.isalpha() for c in term):
            raise RuntimeError(f"einsum(): invalid subscript in {equation!r}: labels are letters a-z, A-Z")
    if len(set(output)) != len(output):
        raise RuntimeError(f"einsum(): output subscript {output!r} repeats a label")
    if not arrow:  # implicit: the labels seen once, in alphabetical order
        joined = "".join(terms)
        output = "".join(sorted(c for c in set(joined) if joined.count(c) == 1))
    elif any(c not in inputs for c in output):
        raise RuntimeError(f"einsum(): output label(s) of {equation!r} appear in no operand")
    return terms, output


def _diagonals(x: Tensor, labels: str) -> tuple[Tensor, str]:
    """``x`` with each label it repeats reduced to the diagonal of those axes (the label once,
    last): the entries where the repeated indices agree, through differentiable ops."""
    while len(set(labels)) != len(labels):
        c = next(c for c in labels if labels.count(c) > 1)
        p = labels.index(c)
        q = labels.index(c, p + 1)
        n = x.shape[p]
        if x.shape[q] != n:
            raise RuntimeError(f"einsum(): subscript {c!r} is repeated for an operand but the sizes "
                               f"don't match, {n} != {x.shape[q]}")
        rest = [i for i in range(len(labels)) if i not in (p, q)]
        moved = reshape(permute_dims(x, tuple(rest + [p, q])), tuple(x.shape[i] for i in rest) + (n * n,))
        xp = x.xp
        step = xp.arange(0, n * n, n + 1, dtype=xp.int64, device=_backend.device(x.array))
        x = index_select(moved, len(rest), step)
        labels = "".join(labels[i] for i in rest) + c
    return x, labels


def _broadcast(tensors: list[Tensor], terms: list[str]) -> list[Tensor]:
    """The operands with each size-1 dimension expanded where another operand's same label is
    larger (broadcasting under ``...``); other size disagreements are left for :func:`_pair`."""
    size: dict[str, int] = {}
    for t, term in zip(tensors, terms):
        for c, n in zip(term, t.shape):
            if n != 1:
                size.setdefault(c, n)
    out = []
    for t, term in zip(tensors, terms):
        shape = tuple(size.get(c, n) if n == 1 else n for c, n in zip(term, t.shape))
        out.append(t if shape == tuple(t.shape) else expand(t, shape))
    return out


def _sum_out(x: Tensor, labels: str, keep: set[str]) -> tuple[Tensor, str]:
    """``x`` summed over the labels that no later step needs."""
    gone = tuple(i for i, c in enumerate(labels) if c not in keep)
    if not gone:
        return x, labels
    return _sum(x, axis=gone), "".join(c for c in labels if c in keep)


def _pair(a: Tensor, la: str, b: Tensor, lb: str, keep: set[str]) -> tuple[Tensor, str]:
    """``a`` and ``b`` contracted over their shared labels not in ``keep``."""
    size = {**dict(zip(lb, b.shape)), **dict(zip(la, a.shape))}
    for c in set(la) & set(lb):
        if a.shape[la.index(c)] != b.shape[lb.index(c)]:
            raise RuntimeError(f"einsum(): label {c!r} has size {a.shape[la.index(c)]} in one operand "
                               f"and {b.shape[lb.index(c)]} in another")
    batch = [c for c in la if c in lb and c in keep]
    summed = [c for c in la if c in lb and c not in keep]
    free_a = [c for c in la if c not in lb]
    free_b = [c for c in lb if c not in la]
    n = [math.prod(size[c] for c in group) for group in (batch, free_a, summed, free_b)]
    a3 = reshape(permute_dims(a, tuple(la.index(c) for c in batch + free_a + summed)), (n[0], n[1], n[2]))
    b3 = reshape(permute_dims(b, tuple(lb.index(c) for c in batch + summed + free_b)), (n[0], n[2], n[3]))
    labels = batch + free_a + free_b
    return reshape(matmul(a3, b3), tuple(size[c] for c in labels)), "".join(labels)


def einsum(equation: str, *operands: Any) -> Tensor:
    """Sum of products of ``operands`` over the labels of ``equation`` that the output lacks.

    ``einsum("ij,jk->ik", a, b)`` is ``a @ b``; ``einsum("i,i->", u, v)`` a dot product;
    ``einsum("ij->ji", a)`` a transpose; ``einsum("...ij,...jk->...ik", a, b)`` a batched
    product (``...`` broadcasts); ``einsum("ii->", a)`` the trace. Operands may also come as
    one list (torch's ``einsum(eq, [a, b])``). Raises RuntimeError (as torch) for a
    malformed equation or sizes that disagree.
    dL/d(operand) flows back through the permute/reshape/matmul/sum it is built from.
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    tensors = [as_tensor(x, "einsum") for x in operands]
    if not tensors:
        raise RuntimeError("einsum(): must provide at least one operand")
    if "." in equation:
        equation = _expand_ellipsis(equation, [t.ndim for t in tensors])
    terms, output = _parse(equation, len(tensors))
    for t, term in zip(tensors, terms):
        if t.ndim != len(term):
            raise RuntimeError(f"einsum(): the operand with subscripts {term!r} has {t.ndim} "
                               f"dimension(s), shape {t.shape}")
    for i, (t, term) in enumerate(zip(tensors, terms)):
        if len(set(term)) != len(term):
            tensors[i], terms[i] = _diagonals(t, term)
    tensors = _broadcast(tensors, terms)
    x, labels = _sum_out(tensors[0], terms[0], set(output).union(*terms[1:]))
    for i in range(1, len(tensors)):
        later = set(output).union(*terms[i + 1:])
        y, ly = _sum_out(tensors[i], terms[i], later | set(labels))
        x, labels = _pair(x, labels, y, ly, later)
    x, labels = _sum_out(x, labels, set(output))
    if labels != output:
        x = permute_dims(x, tuple(labels.index(c) for c in output))
    return x
