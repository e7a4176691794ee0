"""The module cases of tests/test_higher_order_modules.py: every computing module of
``xpnet.nn`` as ``(id, maker, inputs)``, where ``maker(m)`` builds the module from the ``nn``
namespace ``m`` (``xpnet.nn`` or ``torch.nn``), and the torch references of xpnet's modules
that torch lacks (``EnsembleLinear``, ``Ensemble``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from xpnet import nn

torch = pytest.importorskip("torch")

# --- inputs: each a function rng -> (host array, differentiable) ------------------------------
Input = Callable[[np.random.Generator], tuple[np.ndarray, bool]]


def X(*shape: int, scale: float = 1.0) -> Input:
    """Normal floats that require grad."""
    return lambda rng: (np.asarray(rng.standard_normal(shape) * scale), True)


def C(*shape: int) -> Input:
    """Normal floats, a constant (a target)."""
    return lambda rng: (rng.standard_normal(shape), False)


def U(lo: float, hi: float, *shape: int, grad: bool = True) -> Input:
    """Uniform floats in (lo, hi)."""
    return lambda rng: (rng.uniform(lo, hi, size=shape), grad)


def I(high: int, *shape: int) -> Input:  # noqa: E743 (an integer input)
    """Integers in [0, high), a constant."""
    return lambda rng: (rng.integers(0, high, size=shape).astype(np.int64), False)


def S(*shape: int) -> Input:
    """Signs (+1 / -1) as floats, a constant (the targets of margin losses)."""
    return lambda rng: (np.asarray(rng.choice([-1.0, 1.0], size=shape)), False)


def B(*shape: int) -> Input:
    """0 / 1 as floats, a constant (multi-label targets)."""
    return lambda rng: (rng.integers(0, 2, size=shape).astype(np.float64), False)


def ML(n: int, c: int) -> Input:
    """MultiLabelMarginLoss targets: each row some class indices, then -1."""
    def make(rng: np.random.Generator) -> tuple[np.ndarray, bool]:
        out = -np.ones((n, c), dtype=np.int64)
        for row in out:
            k = int(rng.integers(1, c))
            row[:k] = rng.permutation(c)[:k]
        return out, False
    return make


# --- torch references for xpnet's modules that torch lacks ----------------------------------


class TorchEnsembleLinear(torch.nn.Module):
    """``x @ W[k]^T + b[k]`` for K members (W (K, out, in), b (K, out)): xpnet's EnsembleLinear."""

    def __init__(self, in_features: int, out_features: int, k: int, bias: bool = True) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.empty(k, out_features, in_features))
        self.bias = torch.nn.Parameter(torch.empty(k, out_features)) if bias else None

    def forward(self, x: Any) -> Any:
        z = torch.matmul(x, self.weight.transpose(-1, -2))
        return z if self.bias is None else z + self.bias.unsqueeze(-2)


def _ensemble_linear(m: Any) -> Any:
    if m is nn:
        return nn.EnsembleLinear(3, 4, 5)
    return TorchEnsembleLinear(3, 4, 5)


def ensemble(act: Callable[[Any], Any], *tail: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A K=3 ensemble of Linear(3, 4), act, Linear(4, 2), *tail (fused pairs on xpnet's side)."""
    def make(m: Any) -> Any:
        if m is nn:
            return nn.Ensemble(3, lambda: nn.Sequential(nn.Linear(3, 4), act(nn), nn.Linear(4, 2),
                                                        *(t(nn) for t in tail)))
        return torch.nn.Sequential(TorchEnsembleLinear(3, 4, 3), act(torch.nn),
                                   TorchEnsembleLinear(4, 2, 3), *(t(torch.nn) for t in tail))
    return make


def _pair(act: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``Sequential(Linear(5, 3), act)``: xpnet runs a Linear and the activation after it as one
    fused node where the activation declares ``fused_as``."""
    return lambda m: m.Sequential(m.Linear(5, 3), act(m))


N, D = 4, 5
WC = np.array([0.5, 1.0, 2.0, 0.3, 1.5])  # class weights
WE = np.linspace(0.2, 1.8, N * D).reshape(N, D)  # element weights (BCELoss)
PW = np.array([0.5, 2.0, 1.0, 3.0, 0.7])  # BCEWithLogits' positive weights


def W(m: Any, values: np.ndarray) -> Any:
    """A loss's weight: a torch tensor for torch, NumPy for xpnet (moved to the backend by the
    test: xpnet's losses keep weights as attributes, not buffers)."""
    return torch.from_numpy(values) if m is torch.nn else values


# (id, module maker (of the nn namespace: xpnet.nn or torch.nn), inputs)
CASES: list[tuple[str, Callable[[Any], Any], list[Input]]] = [
    # activations
    ("ReLU", lambda m: m.ReLU(), [X(N, D)]),
    ("LeakyReLU", lambda m: m.LeakyReLU(0.2), [X(N, D)]),
    ("Sigmoid", lambda m: m.Sigmoid(), [X(N, D)]),
    ("Tanh", lambda m: m.Tanh(), [X(N, D)]),
    ("GELU", lambda m: m.GELU(), [X(N, D)]),
    ("GELU-tanh", lambda m: m.GELU(approximate="tanh"), [X(N, D)]),
    ("ELU", lambda m: m.ELU(alpha=0.7), [X(N, D)]),
    ("CELU", lambda m: m.CELU(alpha=0.6), [X(N, D)]),
    ("SELU", lambda m: m.SELU(), [X(N, D)]),
    ("SiLU", lambda m: m.SiLU(), [X(N, D)]),
    ("Mish", lambda m: m.Mish(), [X(N, D)]),
    ("Softplus", lambda m: m.Softplus(beta=2, threshold=1), [X(N, D)]),
    ("Softsign", lambda m: m.Softsign(), [X(N, D)]),
    ("Hardtanh", lambda m: m.Hardtanh(-0.5, 0.8), [X(N, D)]),
    ("ReLU6", lambda m: m.ReLU6(), [X(N, D, scale=4.0)]),
    ("Hardsigmoid", lambda m: m.Hardsigmoid(), [X(N, D, scale=3.0)]),
    ("Hardswish", lambda m: m.Hardswish(), [X(N, D, scale=3.0)]),
    ("Hardshrink", lambda m: m.Hardshrink(0.3), [X(N, D)]),
    ("Softshrink", lambda m: m.Softshrink(0.3), [X(N, D)]),
    ("Tanhshrink", lambda m: m.Tanhshrink(), [X(N, D)]),
    ("LogSigmoid", lambda m: m.LogSigmoid(), [X(N, D)]),
    ("Threshold", lambda m: m.Threshold(0.1, -2.0), [X(N, D)]),
    ("RReLU-eval", lambda m: m.RReLU(0.1, 0.3).eval(), [X(N, D)]),
    ("PReLU", lambda m: m.PReLU(), [X(N, D)]),
    ("PReLU(3)", lambda m: m.PReLU(3), [X(N, 3, 2)]),
    ("Softmax", lambda m: m.Softmax(dim=1), [X(N, D)]),
    ("Softmin", lambda m: m.Softmin(dim=-1), [X(N, D)]),
    ("LogSoftmax", lambda m: m.LogSoftmax(dim=0), [X(N, D)]),
    ("GLU", lambda m: m.GLU(), [X(N, 6)]),
    ("GLU(0)", lambda m: m.GLU(0), [X(4, 3)]),
    ("Identity", lambda m: m.Identity(), [X(N, D)]),
    # layers
    ("Linear", lambda m: m.Linear(D, 3), [X(N, D)]),
    ("Linear-nobias", lambda m: m.Linear(D, 3, bias=False), [X(2, N, D)]),
    ("Bilinear", lambda m: m.Bilinear(3, 4, 2), [X(N, 3), X(N, 4)]),
    ("Bilinear-nobias", lambda m: m.Bilinear(3, 4, 2, bias=False), [X(N, 3), X(N, 4)]),
    ("Embedding", lambda m: m.Embedding(7, 3), [I(7, N, 2)]),
    ("Embedding-padding", lambda m: m.Embedding(7, 3, padding_idx=1), [I(7, N, 3)]),
    ("Bilinear-1d", lambda m: m.Bilinear(3, 2, 2), [X(3), X(2)]),
    ("Linear+PReLU", _pair(lambda m: m.PReLU(3)), [X(N, D)]),
    ("EnsembleLinear", _ensemble_linear, [X(5, N, 3)]),
    ("EnsembleLinear-shared", _ensemble_linear, [X(N, 3)]),
    ("Ensemble-tanh", ensemble(lambda m: m.Tanh()), [X(N, 3)]),
    ("Ensemble-relu", ensemble(lambda m: m.ReLU()), [X(3, N, 3)]),
    ("Ensemble-sigmoid", ensemble(lambda m: m.Sigmoid(), lambda m: m.LogSoftmax(dim=-1)), [X(N, 3)]),
    ("Ensemble-leaky_relu", ensemble(lambda m: m.LeakyReLU(0.3), lambda m: m.Softmax(dim=-1)),
     [X(3, N, 3)]),
    ("Ensemble-gelu_tanh", ensemble(lambda m: m.GELU(approximate="tanh"), lambda m: m.Identity()),
     [X(N, 3)]),
    ("Linear+ReLU", _pair(lambda m: m.ReLU()), [X(N, D)]),
    ("Linear+LeakyReLU", _pair(lambda m: m.LeakyReLU(0.2)), [X(N, D)]),
    ("Linear+Sigmoid", _pair(lambda m: m.Sigmoid()), [X(2, N, D)]),
    ("Linear+Tanh", _pair(lambda m: m.Tanh()), [X(D)]),
    ("Linear+GELU-tanh", _pair(lambda m: m.GELU(approximate="tanh")), [X(N, D)]),
    ("Linear+GELU", _pair(lambda m: m.GELU()), [X(N, D)]),
    ("Flatten", lambda m: m.Flatten(), [X(2, 3, 4)]),
    ("Unflatten", lambda m: m.Unflatten(1, (2, 2)), [X(3, 4)]),
    ("Dropout-eval", lambda m: m.Dropout(0.4).eval(), [X(N, D)]),
    ("Dropout-p0", lambda m: m.Dropout(0.0), [X(N, D)]),
    ("AlphaDropout-eval", lambda m: m.AlphaDropout(0.4).eval(), [X(N, D)]),
    ("Linear-1d", lambda m: m.Linear(D, 2), [X(D)]),
    ("Bilinear-3d", lambda m: m.Bilinear(2, 3, 4), [X(2, 3, 2), X(2, 3, 3)]),
    ("Flatten(0,1)", lambda m: m.Flatten(0, 1), [X(2, 3, 4)]),
    # normalization
    ("BatchNorm1d-noaffine", lambda m: m.BatchNorm1d(3, affine=False, momentum=None), [X(5, 3)]),
    ("GroupNorm-4d", lambda m: m.GroupNorm(2, 4, eps=1e-3), [X(2, 4, 2, 3)]),
    ("LayerNorm-nobias", lambda m: m.LayerNorm(D, bias=False), [X(N, D)]),
    ("BatchNorm1d-train", lambda m: m.BatchNorm1d(3), [X(6, 3)]),
    ("BatchNorm1d-train-NCL", lambda m: m.BatchNorm1d(3), [X(4, 3, 2)]),
    ("BatchNorm1d-eval", lambda m: m.BatchNorm1d(3).eval(), [X(6, 3)]),
    ("BatchNorm1d-nostats", lambda m: m.BatchNorm1d(3, track_running_stats=False), [X(6, 3)]),
    ("LayerNorm", lambda m: m.LayerNorm(D), [X(N, D)]),
    ("LayerNorm(3,5)", lambda m: m.LayerNorm((3, 5), eps=1e-3), [X(2, 3, 5)]),
    ("LayerNorm-noaffine", lambda m: m.LayerNorm(D, elementwise_affine=False), [X(N, D)]),
    ("GroupNorm", lambda m: m.GroupNorm(2, 4), [X(3, 4, 3)]),
    ("GroupNorm-NC", lambda m: m.GroupNorm(3, 6), [X(N, 6)]),
    ("GroupNorm-noaffine", lambda m: m.GroupNorm(1, 4, affine=False), [X(3, 4, 2)]),
    ("RMSNorm", lambda m: m.RMSNorm(D), [X(N, D)]),
    ("RMSNorm-eps", lambda m: m.RMSNorm((2, D), eps=1e-3), [X(3, 2, D)]),
    ("RMSNorm-noaffine", lambda m: m.RMSNorm(D, elementwise_affine=False), [X(N, D)]),
    # padding
    ("ReflectionPad1d", lambda m: m.ReflectionPad1d((2, 1)), [X(2, 3, 4)]),
    ("ReflectionPad2d", lambda m: m.ReflectionPad2d(1), [X(2, 3, 4)]),
    ("ReplicationPad1d", lambda m: m.ReplicationPad1d((1, 3)), [X(2, 3, 4)]),
    ("ReplicationPad2d", lambda m: m.ReplicationPad2d((1, 0, 2, 1)), [X(2, 3, 4)]),
    ("CircularPad1d", lambda m: m.CircularPad1d(2), [X(2, 3, 4)]),
    ("CircularPad2d", lambda m: m.CircularPad2d((1, 1, 2, 0)), [X(2, 3, 4)]),
    ("ConstantPad1d", lambda m: m.ConstantPad1d((1, 2), 0.5), [X(2, 3, 4)]),
    ("ConstantPad2d", lambda m: m.ConstantPad2d(1, -1.0), [X(2, 3, 4)]),
    ("ZeroPad1d", lambda m: m.ZeroPad1d(2), [X(2, 3, 4)]),
    ("ZeroPad2d", lambda m: m.ZeroPad2d((1, 2, 0, 1)), [X(2, 3, 4)]),
    # distances
    ("CosineSimilarity", lambda m: m.CosineSimilarity(), [X(N, D), X(N, D)]),
    ("CosineSimilarity-broadcast", lambda m: m.CosineSimilarity(dim=-1, eps=1e-6), [X(N, D), X(1, D)]),
    ("CosineSimilarity(0)", lambda m: m.CosineSimilarity(dim=0), [X(N, D), X(N, D)]),
    ("PairwiseDistance", lambda m: m.PairwiseDistance(), [X(N, D), X(N, D)]),
    ("PairwiseDistance-p1", lambda m: m.PairwiseDistance(p=1.0, keepdim=True), [X(N, D), X(N, D)]),
    ("PairwiseDistance-broadcast", lambda m: m.PairwiseDistance(eps=1e-3), [X(N, D), X(D)]),
    ("PairwiseDistance-p3", lambda m: m.PairwiseDistance(p=3.0), [X(N, D), X(N, D)]),
    # losses
    ("MSELoss", lambda m: m.MSELoss(), [X(N, D), X(N, D)]),
    ("MSELoss-none", lambda m: m.MSELoss(reduction="none"), [X(N, D), C(N, D)]),
    ("L1Loss", lambda m: m.L1Loss(), [X(N, D), X(N, D)]),
    ("L1Loss-sum", lambda m: m.L1Loss(reduction="sum"), [X(N, D), C(N, D)]),
    ("HuberLoss", lambda m: m.HuberLoss(delta=0.5), [X(N, D), X(N, D)]),
    ("SmoothL1Loss", lambda m: m.SmoothL1Loss(beta=0.5), [X(N, D), X(N, D)]),
    ("BCELoss", lambda m: m.BCELoss(), [U(0.05, 0.95, N, D), U(0.0, 1.0, N, D, grad=False)]),
    ("BCELoss-sum", lambda m: m.BCELoss(reduction="sum"), [U(0.05, 0.95, N, D), B(N, D)]),
    ("BCEWithLogitsLoss", lambda m: m.BCEWithLogitsLoss(), [X(N, D), U(0.0, 1.0, N, D, grad=False)]),
    ("CrossEntropyLoss", lambda m: m.CrossEntropyLoss(), [X(N, D), I(D, N)]),
    ("CrossEntropyLoss-smooth", lambda m: m.CrossEntropyLoss(label_smoothing=0.2), [X(N, D), I(D, N)]),
    ("CrossEntropyLoss-probs", lambda m: m.CrossEntropyLoss(), [X(N, D), U(0.0, 1.0, N, D, grad=False)]),
    ("NLLLoss", lambda m: m.NLLLoss(), [X(N, D), I(D, N)]),
    ("KLDivLoss", lambda m: m.KLDivLoss(reduction="batchmean"), [X(N, D), U(0.1, 1.0, N, D)]),
    ("KLDivLoss-logtarget", lambda m: m.KLDivLoss(reduction="sum", log_target=True),
     [X(N, D), X(N, D)]),
    ("PoissonNLLLoss", lambda m: m.PoissonNLLLoss(), [X(N, D), U(0.0, 3.0, N, D, grad=False)]),
    ("PoissonNLLLoss-full", lambda m: m.PoissonNLLLoss(log_input=False, full=True),
     [U(0.5, 2.0, N, D), U(0.0, 3.0, N, D, grad=False)]),
    ("GaussianNLLLoss", lambda m: m.GaussianNLLLoss(), [X(N, D), X(N, D), U(0.5, 2.0, N, D)]),
    ("GaussianNLLLoss-full", lambda m: m.GaussianNLLLoss(full=True, reduction="sum"),
     [X(N, D), C(N, D), U(0.5, 2.0, N, 1)]),
    ("MarginRankingLoss", lambda m: m.MarginRankingLoss(margin=0.3), [X(N), X(N), S(N)]),
    ("HingeEmbeddingLoss", lambda m: m.HingeEmbeddingLoss(margin=1.5), [X(N, D), S(N, D)]),
    ("SoftMarginLoss", lambda m: m.SoftMarginLoss(), [X(N, D), S(N, D)]),
    ("CosineEmbeddingLoss", lambda m: m.CosineEmbeddingLoss(margin=0.2), [X(N, D), X(N, D), S(N)]),
    ("MultiLabelSoftMarginLoss", lambda m: m.MultiLabelSoftMarginLoss(), [X(N, D), B(N, D)]),
    ("MultiLabelMarginLoss", lambda m: m.MultiLabelMarginLoss(), [X(N, D), ML(N, D)]),
    ("MultiMarginLoss", lambda m: m.MultiMarginLoss(), [X(N, D), I(D, N)]),
    ("MultiMarginLoss-p2", lambda m: m.MultiMarginLoss(p=2, margin=0.7, reduction="sum"),
     [X(N, D), I(D, N)]),
    # losses: weights, other reductions, targets that require grad
    ("MSELoss-sum-0d", lambda m: m.MSELoss(reduction="sum"), [X(), X()]),
    ("HuberLoss-none", lambda m: m.HuberLoss(reduction="none", delta=1.5), [X(N, D), X(N, D)]),
    ("SmoothL1Loss-sum", lambda m: m.SmoothL1Loss(reduction="sum"), [X(N, D), X(N, D)]),
    ("BCELoss-none", lambda m: m.BCELoss(reduction="none"),
     [U(0.05, 0.95, N, D), U(0.0, 1.0, N, D, grad=False)]),
    ("BCELoss-weight", lambda m: m.BCELoss(weight=W(m, WE)), [U(0.05, 0.95, N, D), B(N, D)]),
    ("BCELoss-weight-sum", lambda m: m.BCELoss(weight=W(m, WC), reduction="sum"),
     [U(0.05, 0.95, N, D), U(0.0, 1.0, N, D, grad=False)]),
    ("BCEWithLogitsLoss-target", lambda m: m.BCEWithLogitsLoss(reduction="none"),
     [X(N, D), U(0.0, 1.0, N, D)]),
    ("BCEWithLogitsLoss-posweight", lambda m: m.BCEWithLogitsLoss(pos_weight=W(m, PW), reduction="sum"),
     [X(N, D), U(0.0, 1.0, N, D)]),
    ("CrossEntropyLoss-weight", lambda m: m.CrossEntropyLoss(weight=W(m, WC), ignore_index=1),
     [X(6, D), I(D, 6)]),
    ("CrossEntropyLoss-none-3d", lambda m: m.CrossEntropyLoss(reduction="none", label_smoothing=0.1),
     [X(2, D, 3), I(D, 2, 3)]),
    ("NLLLoss-weight", lambda m: m.NLLLoss(weight=W(m, WC), reduction="sum"), [X(N, D), I(D, N)]),
    ("PoissonNLLLoss-none", lambda m: m.PoissonNLLLoss(reduction="none", full=True),
     [X(N, D), U(0.0, 3.0, N, D, grad=False)]),
    ("GaussianNLLLoss-none", lambda m: m.GaussianNLLLoss(reduction="none", eps=1e-3),
     [X(N, D), X(N, D), U(0.5, 2.0, N, D)]),
    ("GaussianNLLLoss-1d-var", lambda m: m.GaussianNLLLoss(), [X(N, D), X(N, D), U(0.5, 2.0, N)]),
    ("MarginRankingLoss-none", lambda m: m.MarginRankingLoss(reduction="none"), [X(N), X(N), S(N)]),
    ("HingeEmbeddingLoss-none", lambda m: m.HingeEmbeddingLoss(reduction="none"), [X(N, D), S(N, D)]),
    ("CosineEmbeddingLoss-none", lambda m: m.CosineEmbeddingLoss(reduction="none", margin=-0.5),
     [X(N, D), X(N, D), S(N)]),
    ("CosineEmbeddingLoss-1d", lambda m: m.CosineEmbeddingLoss(), [X(D), X(D), S()]),
    ("MultiLabelMarginLoss-none", lambda m: m.MultiLabelMarginLoss(reduction="none"), [X(N, D), ML(N, D)]),
    ("MultiLabelSoftMarginLoss-weight", lambda m: m.MultiLabelSoftMarginLoss(weight=W(m, WC)),
     [X(N, D), B(N, D)]),
    ("MultiMarginLoss-weight", lambda m: m.MultiMarginLoss(weight=W(m, WC), reduction="none"),
     [X(N, D), I(D, N)]),
    ("TripletMarginLoss-none", lambda m: m.TripletMarginLoss(reduction="none", p=3.0),
     [X(N, D), X(N, D), X(N, D)]),
    ("TripletMarginLoss-1d", lambda m: m.TripletMarginLoss(), [X(D), X(D), X(D)]),
    ("TripletMarginLoss", lambda m: m.TripletMarginLoss(margin=2.0), [X(N, D), X(N, D), X(N, D)]),
    ("TripletMarginLoss-swap", lambda m: m.TripletMarginLoss(margin=2.0, p=1.5, swap=True),
     [X(N, D), X(N, D), X(N, D)]),
]
