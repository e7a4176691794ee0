"""Double backward through every computing module of ``xpnet.nn``, against ``torch.nn``.

Each case builds the module in torch and in xpnet, gives torch's module random weights and
copies them into xpnet's (``load_state_dict``), then differentiates twice:
``L = sum(R * out * out)`` (for a loss, ``out`` is the loss), its gradients ``g`` of the
input(s) AND of every parameter with ``create_graph=True``, then the gradient of
``sum_i g_i . V_i`` of the same tensors: a Hessian-vector product, which goes through the
double backward of every op the module's forward uses. The reference:

* torch autograd's own Hessian-vector product (float64, 1e-9 relative);
* where torch has no double backward (it raises), central finite differences of torch's
  first-order gradient along ``V`` (inputs and parameters moved together), 1e-6.

Also: a whole ``nn.Sequential`` MLP (fused Linear+activation pairs, LayerNorm, GroupNorm-free
mixed layers) trained a few steps with a gradient penalty (WGAN-GP style), step by step
against torch.
"""

from __future__ import annotations

import copy
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import xpnet as xn
from xpnet import nn

torch = pytest.importorskip("torch")

RTOL, ATOL = 1e-9, 1e-11
FD_EPS, FD_RTOL, FD_ATOL = 1e-5, 1e-6, 1e-7

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


def _ensemble(act: Callable[[Any], Any], *tail: Callable[[Any], Any]) -> Callable[[Any], Any]:
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
    ("Ensemble-tanh", _ensemble(lambda m: m.Tanh()), [X(N, 3)]),
    ("Ensemble-relu", _ensemble(lambda m: m.ReLU()), [X(3, N, 3)]),
    ("Ensemble-sigmoid", _ensemble(lambda m: m.Sigmoid(), lambda m: m.LogSoftmax(dim=-1)), [X(N, 3)]),
    ("Ensemble-leaky_relu", _ensemble(lambda m: m.LeakyReLU(0.3), lambda m: m.Softmax(dim=-1)),
     [X(3, N, 3)]),
    ("Ensemble-gelu_tanh", _ensemble(lambda m: m.GELU(approximate="tanh"), lambda m: m.Identity()),
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

# Cases that need an op another helper converts (marks to drop once their branch is merged).
_HOB = "needs the double backward of {}: helper hob"
NEEDS: dict[str, str] = {
    "CELU": _HOB.format("celu"), "Hardsigmoid": _HOB.format("hardsigmoid"),
    "Hardswish": _HOB.format("hardswish"), "Hardshrink": _HOB.format("hardshrink"),
    "Softshrink": _HOB.format("softshrink"), "Tanhshrink": _HOB.format("tanhshrink"),
    "LogSigmoid": _HOB.format("logsigmoid"), "Threshold": _HOB.format("threshold"),
    "RReLU-eval": _HOB.format("rrelu"), "SoftMarginLoss": _HOB.format("logsigmoid"),
    "MultiLabelSoftMarginLoss": _HOB.format("logsigmoid"),
    "MultiLabelSoftMarginLoss-weight": _HOB.format("logsigmoid"),
    "BCEWithLogitsLoss-posweight": _HOB.format("logsigmoid"),
    **{name: _HOB.format("pad (constant mode)") for name in
       ("ConstantPad1d", "ConstantPad2d", "ZeroPad1d", "ZeroPad2d")},
}


def _params(case: tuple[str, Any, Any]) -> Any:
    if case[0] in NEEDS:
        return pytest.param(*case, id=case[0],
                            marks=pytest.mark.xfail(strict=True, reason=NEEDS[case[0]]))
    return pytest.param(*case, id=case[0])


def _setup(case_id: str, make: Any, inputs: list[Input]) -> tuple[Any, list[np.ndarray], list[bool],
                                                                     np.ndarray, list[np.ndarray]]:
    """torch's module (random weights), the host inputs, which need grad, R, and V (for each
    differentiable input, then each parameter in torch's order)."""
    rng = np.random.default_rng(zlib.crc32(case_id.encode()))
    torch.manual_seed(0)
    theirs = make(torch.nn).double()
    with torch.no_grad():
        for name, p in theirs.named_parameters():
            p.copy_(torch.from_numpy(rng.uniform(0.5 if "norm" in case_id.lower() and
                                                 name.endswith("weight") else -1.0, 1.5, p.shape)))
    hosts, diff = zip(*(make_input(rng) for make_input in inputs))
    with torch.no_grad():
        shape = tuple(copy.deepcopy(theirs)(*[torch.from_numpy(h) for h in hosts]).shape)
    r = rng.uniform(-1.0, 1.0, size=shape)
    v = [rng.uniform(-1.0, 1.0, size=h.shape) for h, d in zip(hosts, diff) if d]
    v += [rng.uniform(-1.0, 1.0, size=tuple(p.shape)) for p in theirs.parameters()]
    return theirs, list(hosts), list(diff), r, v


def _hvp(lib: Any, module: Any, inputs: list[Any], params: list[Any], r: Any,
         v: list[Any]) -> tuple[list[Any], list[Any]]:
    """(the first gradients, the Hessian-vector product) of ``sum(r * out * out)`` with respect
    to the inputs that require grad and ``params``."""
    out = module(*inputs)
    loss = (r * out * out).sum()
    wanted = [t for t in inputs if t.requires_grad] + params
    g = lib.autograd.grad(loss, wanted, create_graph=True, allow_unused=True)
    terms = [(gi * vi).sum() for gi, vi in zip(g, v) if gi is not None and gi.requires_grad]
    if not terms:
        return list(g), [None] * len(wanted)
    return list(g), list(lib.autograd.grad(sum(terms), wanted, allow_unused=True))


def _torch_at(theirs: Any, hosts: list[np.ndarray], diff: list[bool], r: np.ndarray,
              v: list[np.ndarray], along: list[np.ndarray], e: float,
              create_graph: bool) -> tuple[list[Any], list[Any]]:
    """torch's first gradients (and, with ``create_graph``, its Hessian-vector product along
    ``v``) at the inputs and parameters moved by ``e * along``."""
    module = copy.deepcopy(theirs)
    shifts = iter(along)
    moved = [torch.tensor(h + e * next(shifts) if d else h, requires_grad=d) for h, d in zip(hosts, diff)]
    with torch.no_grad():
        for p in module.parameters():
            p.add_(e * torch.from_numpy(next(shifts)))
    params = list(module.parameters())
    if create_graph:
        return _hvp(torch, module, moved, params, torch.from_numpy(r), [torch.from_numpy(x) for x in v])
    out = module(*moved)
    wanted = [t for t in moved if t.requires_grad] + params
    return list(torch.autograd.grad((torch.from_numpy(r) * out * out).sum(), wanted,
                                    allow_unused=True)), []


def _numpy(ts: list[Any], like: list[np.ndarray]) -> list[np.ndarray]:
    return [np.zeros(x.shape) if t is None else t.detach().numpy() for t, x in zip(ts, like)]


def _torch_reference(theirs: Any, hosts: list[np.ndarray], diff: list[bool], r: np.ndarray,
                     v: list[np.ndarray]) -> tuple[list[np.ndarray], str, list[np.ndarray]]:
    """torch's first gradients, and its Hessian-vector product (kind "torch") or central
    differences of its first-order gradient (kind "fd")."""
    first = _numpy(_torch_at(theirs, hosts, diff, r, v, v, 0.0, False)[0], v)
    try:
        return first, "torch", _numpy(_torch_at(theirs, hosts, diff, r, v, v, 0.0, True)[1], v)
    except (RuntimeError, NotImplementedError):  # "derivative for ... is not implemented"
        up, down = (_numpy(_torch_at(theirs, hosts, diff, r, v, v, e, False)[0], v)
                    for e in (FD_EPS, -FD_EPS))
        return first, "fd", [(a - b) / (2 * FD_EPS) for a, b in zip(up, down)]


def _host(xp: Any, ts: list[Any], like: list[np.ndarray]) -> list[np.ndarray]:
    """Host copies of xpnet's gradients (None: zeros), each checked to be on the backend."""
    out = []
    for t, x in zip(ts, like):
        assert t is None or xp.same_place(t)
        out.append(np.zeros(x.shape) if t is None else xp.numpy(t))
    return out


_REFERENCES: dict[str, Any] = {}  # case id -> torch's results (the same on every backend)


@pytest.mark.parametrize("case_id, make, inputs", [_params(c) for c in CASES])
def test_module_hessian_vector_product_matches_torch(xp: Any, case_id: str, make: Any,
                                                     inputs: list[Input]) -> None:
    if case_id not in _REFERENCES:
        theirs, hosts, diff, r, v = _setup(case_id, make, inputs)
        _REFERENCES[case_id] = (theirs, hosts, diff, r, v, *_torch_reference(theirs, hosts, diff, r, v))
    theirs, hosts, diff, r, v, first, kind, expected = _REFERENCES[case_id]
    ours, tensors, params = _ours(xp, theirs, make, hosts, diff)
    g, h = _hvp(xn, ours, tensors, params, xp.tensor(r, "float64"), [xp.tensor(x, "float64") for x in v])
    assert len(g) == len(h) == len(expected)
    for i, (a, b) in enumerate(zip(_host(xp, g, v), first)):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL, err_msg=f"{case_id}: gradient {i}")
    rtol, atol = (FD_RTOL, FD_ATOL) if kind == "fd" else (RTOL, ATOL)
    for i, (a, b) in enumerate(zip(_host(xp, h, v), expected)):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol,
                                   err_msg=f"{case_id}: Hessian-vector product {i}, against {kind}")


def _ours(xp: Any, theirs: Any, make: Any, hosts: list[np.ndarray],
          diff: list[bool]) -> tuple[Any, list[Any], list[Any]]:
    """xpnet's module with torch's weights, the inputs on the backend, and the parameters in
    torch's order."""
    ours = make(nn).to(xp.device, dtype=xn.float64)
    ours.train(theirs.training)
    for name in ("weight", "pos_weight"):  # a loss's weights (attributes, not buffers)
        if isinstance(getattr(ours, name, None), np.ndarray):
            setattr(ours, name, xp.tensor(getattr(ours, name), "float64"))
    state = ours.state_dict()
    ours.load_state_dict({k: v for k, v in theirs.state_dict().items() if k in state})
    tensors = [xp.tensor(h, "float64" if h.dtype.kind == "f" else "int64", d) for h, d in zip(hosts, diff)]
    named = dict(ours.named_parameters())
    return ours, tensors, [named[name] for name, _ in theirs.named_parameters()]


# Third derivatives of a selection: d/d(x, params) of sum(H v . w), against central differences
# of torch's Hessian-vector product along w (third derivatives are symmetric), so that torch's
# own third derivatives (wrong for layer_norm and batch_norm) are not the reference.
THIRD = ["Mish", "SELU", "Softplus", "Softmin", "GLU", "PReLU(3)", "Bilinear",
         "Linear+Tanh", "Linear+GELU-tanh", "Ensemble-tanh", "BatchNorm1d-train", "LayerNorm",
         "GroupNorm", "GroupNorm-NC", "RMSNorm", "CosineSimilarity", "PairwiseDistance-p3",
         "CrossEntropyLoss-smooth", "KLDivLoss-logtarget", "GaussianNLLLoss", "CosineEmbeddingLoss",
         "TripletMarginLoss", "PoissonNLLLoss-full", "MSELoss"]
THIRD_EPS, THIRD_RTOL, THIRD_ATOL = 1e-5, 1e-6, 1e-7


@pytest.mark.parametrize("case_id, make, inputs", [_params(c) for c in CASES if c[0] in THIRD])
def test_module_third_derivatives_match_torch(xp: Any, case_id: str, make: Any,
                                              inputs: list[Input]) -> None:
    theirs, hosts, diff, r, v = _setup(case_id, make, inputs)
    rng = np.random.default_rng(zlib.crc32(case_id.encode()) + 3)
    w = [rng.uniform(-1.0, 1.0, size=x.shape) for x in v]
    up, down = (_numpy(_torch_at(theirs, hosts, diff, r, v, w, e, True)[1], v)
                for e in (THIRD_EPS, -THIRD_EPS))
    expected = [(a - b) / (2 * THIRD_EPS) for a, b in zip(up, down)]
    ours, tensors, params = _ours(xp, theirs, make, hosts, diff)
    wanted = [t for t in tensors if t.requires_grad] + params
    out = ours(*tensors)
    g = xn.autograd.grad((xp.tensor(r, "float64") * out * out).sum(), wanted, create_graph=True)
    h = xn.autograd.grad(sum((gi * xp.tensor(x, "float64")).sum() for gi, x in zip(g, v)), wanted,
                         create_graph=True)
    third = xn.autograd.grad(sum((hi * xp.tensor(x, "float64")).sum() for hi, x in zip(h, w)), wanted,
                             allow_unused=True)
    for i, (a, b) in enumerate(zip(_host(xp, list(third), v), expected)):
        np.testing.assert_allclose(a, b, rtol=THIRD_RTOL, atol=THIRD_ATOL,
                                   err_msg=f"{case_id}: third derivative {i}")


# --- a whole network trained with a gradient penalty -----------------------------------------


def _critic(m: Any) -> Any:
    """An MLP critic: fused Linear+activation pairs (tanh, leaky_relu, gelu_tanh, sigmoid, relu)
    with normalization and other layers between them."""
    return m.Sequential(
        m.Linear(3, 12), m.Tanh(),
        m.Linear(12, 12), m.LeakyReLU(0.1), m.LayerNorm(12),
        m.Linear(12, 10), m.GELU(approximate="tanh"),
        m.Linear(10, 10), m.SiLU(), m.RMSNorm(10),
        m.Linear(10, 8), m.Sigmoid(), m.Dropout(0.0),
        m.Linear(8, 8), m.ReLU(), m.GroupNorm(2, 8),
        m.Linear(8, 6), m.ELU(), m.Softplus(),
        m.Linear(6, 1))


def _penalty_step(lib: Any, critic: Any, opt: Any, real: Any, fake: Any, alpha: Any) -> float:
    """One WGAN-GP critic step: E[D(fake)] - E[D(real)] + 10 E[(|grad_x D(x_hat)|_2 - 1)^2]."""
    x_hat = (alpha * real + (1 - alpha) * fake).detach().requires_grad_(True)
    (gx,) = lib.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    penalty = ((gx.norm(2, dim=-1) - 1) ** 2).mean()
    loss = critic(fake).mean() - critic(real).mean() + 10 * penalty
    opt.zero_grad()
    loss.backward()
    opt.step()
    return float(loss.item())


@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_mlp_trained_with_gradient_penalty_matches_torch_step_by_step(xp: Any, optimizer: str) -> None:
    torch.manual_seed(0)
    theirs = _critic(torch.nn).double()
    ours = _critic(nn).to(xp.device, dtype=xn.float64)
    with torch.no_grad():  # the norms' weights away from their initial ones
        for p in theirs.parameters():
            p.add_(0.1 * torch.randn_like(p))
    ours.load_state_dict(theirs.state_dict())
    kwargs = {"lr": 1e-2, "momentum": 0.9} if optimizer == "SGD" else {"lr": 1e-3}
    opt = getattr(xn.optim, optimizer)(ours.parameters(), **kwargs)
    ref_opt = getattr(torch.optim, optimizer)(theirs.parameters(), **kwargs)
    rng = np.random.default_rng(11)
    for step in range(4):
        real, fake = rng.standard_normal((6, 3)) + 1.5, rng.standard_normal((6, 3))
        alpha = rng.random((6, 1))
        ref_loss = _penalty_step(torch, theirs, ref_opt, *(torch.from_numpy(a) for a in (real, fake, alpha)))
        loss = _penalty_step(xn, ours, opt, *(xp.tensor(a, "float64") for a in (real, fake, alpha)))
        np.testing.assert_allclose(loss, ref_loss, rtol=1e-10, err_msg=f"step {step}")
        for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
            assert xp.same_place(p)
            np.testing.assert_allclose(xp.numpy(p), q.detach().numpy(), rtol=1e-9, atol=1e-12,
                                       err_msg=f"step {step}: {name}")


def _classifier(m: Any) -> Any:
    """A classifier with BatchNorm1d (training: its batch statistics), GLU, other mixed
    layers, and fused Linear+activation pairs."""
    return m.Sequential(
        m.Linear(4, 12), m.ReLU(), m.BatchNorm1d(12),
        m.Linear(12, 10), m.GLU(), m.Mish(),
        m.Linear(5, 8), m.LeakyReLU(0.05), m.Dropout(0.0),
        m.Linear(8, 6), m.Softsign(), m.LayerNorm(6, bias=False),
        m.Linear(6, 3))


def _double_backprop_step(lib: Any, model: Any, opt: Any, x: Any, y: Any) -> float:
    """One step of "double backpropagation" (Drucker and LeCun): the loss plus the squared norm
    of its gradient with respect to the input, cross_entropy(model(x), y) + 0.5 |dL/dx|^2."""
    x = x.detach().requires_grad_(True)
    loss = lib.nn.functional.cross_entropy(model(x), y, label_smoothing=0.1)
    (gx,) = lib.autograd.grad(loss, x, create_graph=True)
    total = loss + 0.5 * (gx * gx).sum()
    opt.zero_grad()
    total.backward()
    opt.step()
    return float(total.item())


def test_classifier_trained_with_double_backprop_matches_torch_step_by_step(xp: Any) -> None:
    torch.manual_seed(1)
    theirs = _classifier(torch.nn).double()
    ours = _classifier(nn).to(xp.device, dtype=xn.float64)
    with torch.no_grad():
        for p in theirs.parameters():
            p.add_(0.1 * torch.randn_like(p))
    ours.load_state_dict(theirs.state_dict())
    opt = xn.optim.Adam(ours.parameters(), lr=1e-2)
    ref_opt = torch.optim.Adam(theirs.parameters(), lr=1e-2)
    rng = np.random.default_rng(12)
    for step in range(4):
        x, y = rng.standard_normal((8, 4)) * 2, rng.integers(0, 3, size=8)
        ref_loss = _double_backprop_step(torch, theirs, ref_opt, torch.from_numpy(x), torch.from_numpy(y))
        loss = _double_backprop_step(xn, ours, opt, xp.tensor(x, "float64"), xp.tensor(y, "int64"))
        np.testing.assert_allclose(loss, ref_loss, rtol=1e-10, err_msg=f"step {step}")
        state = ours.state_dict()
        for name, q in theirs.state_dict().items():  # parameters and BatchNorm's running statistics
            np.testing.assert_allclose(xp.numpy(state[name]), q.numpy(), rtol=1e-9, atol=1e-12,
                                       err_msg=f"step {step}: {name}")


def test_ensemble_of_critics_trained_with_gradient_penalty_matches_torch(xp: Any) -> None:
    """K critics as one nn.Ensemble (batched, fused EnsembleLinear+activation nodes), each with
    its own batch, against torch's stacked-weight equivalent."""
    make = _ensemble(lambda m: m.Tanh())
    torch.manual_seed(2)
    theirs = make(torch.nn).double()
    with torch.no_grad():
        for p in theirs.parameters():
            p.uniform_(-1.0, 1.0)
    ours = make(nn).to(xp.device, dtype=xn.float64)
    ours.load_state_dict(theirs.state_dict())
    opt = xn.optim.SGD(ours.parameters(), lr=1e-2, momentum=0.5)
    ref_opt = torch.optim.SGD(theirs.parameters(), lr=1e-2, momentum=0.5)
    rng = np.random.default_rng(13)
    for step in range(3):
        real, fake = rng.standard_normal((3, 5, 3)) + 1.0, rng.standard_normal((3, 5, 3))
        alpha = rng.random((3, 5, 1))
        ref_loss = _penalty_step(torch, theirs, ref_opt, *(torch.from_numpy(a) for a in (real, fake, alpha)))
        loss = _penalty_step(xn, ours, opt, *(xp.tensor(a, "float64") for a in (real, fake, alpha)))
        np.testing.assert_allclose(loss, ref_loss, rtol=1e-10, err_msg=f"step {step}")
        for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
            np.testing.assert_allclose(xp.numpy(p), q.detach().numpy(), rtol=1e-9, atol=1e-12,
                                       err_msg=f"step {step}: {name}")


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_cross_entropy_weight_positional_as_torch(xp: Any, reduction: str) -> None:
    """torch's signature: ``binary_cross_entropy(input, target, weight, ...)``; the weight
    broadcasts and rescales each element's loss (values and gradients against torch)."""
    rng = np.random.default_rng(14)
    p, y, w = rng.uniform(0.05, 0.95, (3, 4)), rng.uniform(0.0, 1.0, (3, 4)), rng.uniform(0.1, 2.0, 4)
    tp = torch.tensor(p, requires_grad=True)
    ref = torch.nn.functional.binary_cross_entropy(tp, torch.from_numpy(y), torch.from_numpy(w),
                                                   reduction=reduction)
    ref.sum().backward()
    x = xp.tensor(p, "float64", requires_grad=True)
    out = xn.nn.functional.binary_cross_entropy(x, xp.tensor(y, "float64"), xp.tensor(w, "float64"),
                                                reduction=reduction)
    out.sum().backward()
    assert tuple(out.shape) == tuple(ref.shape) and xp.same_place(out)
    np.testing.assert_allclose(xp.numpy(out), ref.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(xp.numpy(x.grad), tp.grad.numpy(), rtol=1e-12)
