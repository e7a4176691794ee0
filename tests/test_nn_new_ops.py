"""The ops behind the new layers and losses through the harness of ``_gradcheck``.

Each case: inputs away from kinks, the xpnet op, a NumPy reference of the
forward, and torch's function. ``check_case`` checks the forward against both,
the gradients against float64 finite differences and torch autograd, and
namespace/device/dtype in float64 and float32, on every backend.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from _gradcheck import Arg, Case, away, check_case, indices, positive, probabilities, randn, uniform
from xpnet import functional as F


def A(values: Any, grad: bool = True) -> Arg:
    return Arg(np.asarray(values), grad)


def tF(name: str, *args: Any, **kwargs: Any) -> Any:
    """``torch.nn.functional.<name>(inputs..., *args, **kwargs)``, imported when called."""

    def call(*inputs: Any) -> Any:
        import torch.nn.functional as TF

        return getattr(TF, name)(*inputs, *args, **kwargs)

    return call


def tLN(shape: tuple[int, ...], **kwargs: Any) -> Any:
    """``torch.nn.functional.layer_norm(x, shape, weight, bias, **kwargs)``."""

    def call(x: Any, *affine: Any) -> Any:
        import torch.nn.functional as TF

        return TF.layer_norm(x, shape, *affine, **kwargs)

    return call


CASES: list[Case] = []


def case(id: str, op: Any, ref: Any, *args: Arg, torch: Any) -> None:
    CASES.append(Case(id, op, ref, list(args), torch))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _softplus(x: np.ndarray, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
    return np.where(x * beta > threshold, x, np.log1p(np.exp(np.minimum(x * beta, threshold))) / beta)


# -- activations --------------------------------------------------------------------------------
SA, SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
for alpha in (1.0, 0.5):
    case(f"elu(alpha={alpha})", lambda x, a=alpha: F.elu(x, a),
         lambda x, a=alpha: np.where(x > 0, x, a * np.expm1(x)), A(away(3, 4)),
         torch=tF("elu", alpha))
case("selu", F.selu, lambda x: SCALE * np.where(x > 0, x, SA * np.expm1(x)), A(away(3, 4)),
     torch=tF("selu"))
case("silu", F.silu, lambda x: x * _sigmoid(x), A(randn(3, 4, scale=3)), torch=tF("silu"))
case("mish", F.mish, lambda x: x * np.tanh(_softplus(x)), A(randn(3, 4, scale=3)),
     torch=tF("mish"))
case("softplus", F.softplus, _softplus, A(randn(3, 4, scale=3)), torch=tF("softplus"))
# beta 2, threshold 3: inputs on both sides of the switch at x = 1.5, away from it
case("softplus(beta=2,threshold=3)", lambda x: F.softplus(x, beta=2.0, threshold=3.0),
     lambda x: _softplus(x, 2.0, 3.0), A(np.array([-3.0, -0.4, 0.3, 1.2, 1.8, 4.0])),
     torch=tF("softplus", beta=2.0, threshold=3.0))
case("softsign", F.softsign, lambda x: x / (1 + np.abs(x)), A(randn(3, 4)), torch=tF("softsign"))
case("hardtanh", F.hardtanh, lambda x: np.clip(x, -1, 1),
     A(np.array([-2.0, -1.5, -0.7, 0.2, 0.9, 1.3, 3.0])), torch=tF("hardtanh"))
case("hardtanh(-2,0.5)", lambda x: F.hardtanh(x, -2.0, 0.5), lambda x: np.clip(x, -2, 0.5),
     A(np.array([-3.0, -1.5, -0.7, 0.2, 0.9, 1.3])), torch=tF("hardtanh", -2.0, 0.5))
case("relu6", F.relu6, lambda x: np.clip(x, 0, 6),
     A(np.array([-2.0, -0.5, 0.5, 3.0, 5.5, 6.5, 9.0])), torch=tF("relu6"))


def _prelu(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    a = w.reshape((1,) * x.ndim) if w.size == 1 else w.reshape(
        tuple(w.size if i == 1 else 1 for i in range(x.ndim)))
    return np.where(x > 0, x, a * x)


case("prelu(shared)", F.prelu, _prelu, A(away(4, 3)), A(np.array([0.25])), torch=tF("prelu"))
case("prelu(channels)", F.prelu, _prelu, A(away(4, 3)), A(uniform(3)), torch=tF("prelu"))
case("prelu(NCL)", F.prelu, _prelu, A(away(2, 3, 4)), A(uniform(3)), torch=tF("prelu"))
case("prelu(1d)", F.prelu, _prelu, A(away(3)), A(np.array([0.3])), torch=tF("prelu"))


# -- normalization ------------------------------------------------------------------------------
def _standardise(x: np.ndarray, axes: tuple[int, ...], eps: float) -> np.ndarray:
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


case("layer_norm", lambda x, w, b: F.layer_norm(x, (4,), w, b),
     lambda x, w, b: _standardise(x, (-1,), 1e-5) * w + b,
     A(randn(3, 4)), A(uniform(4)), A(uniform(4)), torch=tLN((4,)))
case("layer_norm(2 axes)", lambda x, w, b: F.layer_norm(x, (3, 4), w, b, eps=1e-3),
     lambda x, w, b: _standardise(x, (-2, -1), 1e-3) * w + b,
     A(randn(2, 3, 4)), A(uniform(3, 4)), A(uniform(3, 4)),
     torch=tLN((3, 4), eps=1e-3))
case("layer_norm(no affine)", lambda x: F.layer_norm(x, 4), lambda x: _standardise(x, (-1,), 1e-5),
     A(randn(3, 4)), torch=tLN((4,)))


def _bn_ref(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    axes = tuple(i for i in range(x.ndim) if i != 1)
    shape = tuple(-1 if i == 1 else 1 for i in range(x.ndim))
    return _standardise(x, axes, 1e-5) * w.reshape(shape) + b.reshape(shape)


def _bn_eval_ref(x: np.ndarray, rm: np.ndarray, rv: np.ndarray, w: np.ndarray,
                 b: np.ndarray) -> np.ndarray:
    shape = tuple(-1 if i == 1 else 1 for i in range(x.ndim))
    return ((x - rm.reshape(shape)) / np.sqrt(rv.reshape(shape) + 1e-5) * w.reshape(shape)
            + b.reshape(shape))


def _bn_train_torch(x: Any, w: Any, b: Any) -> Any:
    import torch.nn.functional as TF

    return TF.batch_norm(x, None, None, w, b, training=True)


case("batch_norm(train,NC)", lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
     _bn_ref, A(randn(5, 3)), A(uniform(3)), A(uniform(3)), torch=_bn_train_torch)
case("batch_norm(train,NCL)", lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
     _bn_ref, A(randn(2, 3, 4)), A(uniform(3)), A(uniform(3)), torch=_bn_train_torch)
case("batch_norm(eval)",
     lambda x, rm, rv, w, b: F.batch_norm(x, rm, rv, w, b, training=False),
     _bn_eval_ref, A(randn(4, 3, 2)), A(randn(3), grad=False), A(positive(3), grad=False),
     A(uniform(3)), A(uniform(3)), torch=tF("batch_norm", training=False))

# -- embedding ----------------------------------------------------------------------------------
IDX = np.array([[1, 4, 1], [0, 4, 2]])
case("embedding", lambda i, w: F.embedding(i, w), lambda i, w: w[i], A(IDX, grad=False),
     A(randn(5, 3)), torch=tF("embedding"))
# The padding row gets no gradient although the output reads it: not a derivative, so no
# finite differences; torch is the reference for the gradient.
CASES.append(Case("embedding(padding_idx)", lambda i, w: F.embedding(i, w, padding_idx=4),
                  lambda i, w: w[i], [A(IDX, grad=False), A(randn(5, 3))],
                  tF("embedding", padding_idx=4), fd=False))
case("embedding(1d)", lambda i, w: F.embedding(i, w), lambda i, w: w[i],
     A(indices(6, 7), grad=False), A(randn(6, 2)), torch=tF("embedding"))


# -- losses -------------------------------------------------------------------------------------
def _reduce(loss: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "batchmean":
        return loss.sum() / loss.shape[0]
    return loss


def _smooth_l1(x: np.ndarray, y: np.ndarray, beta: float) -> np.ndarray:
    d = np.abs(x - y)
    return np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta) if beta > 0 else d


def _kl(x: np.ndarray, y: np.ndarray, log_target: bool) -> np.ndarray:
    return np.exp(y) * (y - x) if log_target else y * (np.log(y) - x)


def _poisson(x: np.ndarray, y: np.ndarray, log_input: bool, full: bool) -> np.ndarray:
    loss = np.exp(x) - y * x if log_input else x - y * np.log(x + 1e-8)
    if full:
        safe = np.where(y > 1, y, 1.0)
        loss = loss + np.where(y > 1, safe * np.log(safe) - safe + 0.5 * np.log(2 * math.pi * safe),
                               0.0)
    return loss


# |x - y| away from beta (the kink): x - y in +-[0.1, 0.4] or +-[0.6, 2]
DIFF = np.array([[0.15, -0.3, 0.7, -1.5], [1.9, -0.65, 0.35, -0.2]])
Y = randn(2, 4)
COUNTS = np.array([[0.3, 0.5, 2.0, 3.0], [4.0, 0.2, 1.5, 6.0]])
for red in ("mean", "sum", "none"):
    for beta in (1.0, 0.5, 0.0):
        case(f"smooth_l1_loss({red},beta={beta})",
             lambda x, y, r=red, b=beta: F.smooth_l1_loss(x, y, reduction=r, beta=b),
             lambda x, y, r=red, b=beta: _reduce(_smooth_l1(x, y, b), r),
             A(Y + DIFF), A(Y), torch=tF("smooth_l1_loss", reduction=red, beta=beta))
    for log_input in (True, False):
        for full in (False, True):
            case(f"poisson_nll_loss({red},log_input={log_input},full={full})",
                 lambda x, y, r=red, li=log_input, f=full: F.poisson_nll_loss(
                     x, y, li, f, reduction=r),
                 lambda x, y, r=red, li=log_input, f=full: _reduce(_poisson(x, y, li, f), r),
                 A(uniform(2, 4) if log_input else positive(2, 4)), A(COUNTS),
                 torch=tF("poisson_nll_loss", log_input=log_input, full=full, reduction=red))
    case(f"margin_ranking_loss({red})",
         lambda a, b, y, r=red: F.margin_ranking_loss(a, b, y, 0.1, reduction=r),
         lambda a, b, y, r=red: _reduce(np.maximum(0, -y * (a - b) + 0.1), r),
         A(randn(6)), A(randn(6)), A(np.array([1.0, -1.0, 1.0, 1.0, -1.0, -1.0]), grad=False),
         torch=tF("margin_ranking_loss", margin=0.1, reduction=red))
for red in ("mean", "sum", "none", "batchmean"):
    for log_target in (False, True):
        target = probabilities(3, 4)
        case(f"kl_div({red},log_target={log_target})",
             lambda x, y, r=red, lt=log_target: F.kl_div(x, y, reduction=r, log_target=lt),
             lambda x, y, r=red, lt=log_target: _reduce(_kl(x, y, lt), r),
             A(np.log(probabilities(3, 4))), A(np.log(target) if log_target else target),
             torch=tF("kl_div", reduction=red, log_target=log_target))


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss:UserWarning")
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_op(xp, case):
    check_case(xp, case)


def test_kl_div_zero_targets_add_nothing(xp, torch):
    """``0 log 0 = 0``: a zero target gives a zero loss and a finite gradient, as torch."""
    x_host = np.log(np.array([[0.2, 0.3, 0.5]]))
    y_host = np.array([[0.0, 0.4, 0.6]])
    x = xp.tensor(x_host, "float64", requires_grad=True)
    loss = F.kl_div(x, xp.tensor(y_host, "float64"), reduction="none")
    ref = torch.nn.functional.kl_div(torch.tensor(x_host), torch.tensor(y_host), reduction="none")
    np.testing.assert_allclose(xp.numpy(loss), ref.numpy(), rtol=1e-12)
    assert xp.numpy(loss)[0, 0] == 0.0


def test_kl_div_mean_warns_as_torch(xp, torch):
    x = xp.tensor([[-1.0, -0.5]], "float64")
    with pytest.warns(UserWarning) as ours:
        F.kl_div(x, x, log_target=True)
    with pytest.warns(UserWarning) as theirs:
        torch.nn.functional.kl_div(torch.zeros(1, 2), torch.zeros(1, 2), log_target=True)
    assert str(ours[0].message) == str(theirs[0].message)


def test_errors_teach(xp):
    x = xp.tensor([[0.5, -1.0, 2.0]], "float64", requires_grad=True)
    with pytest.raises(ValueError, match="does not fit"):
        F.prelu(x, xp.tensor([0.1, 0.2], "float64"))
    with pytest.raises(ValueError, match="does not fit"):  # torch: a 1-D input has one channel
        F.prelu(xp.tensor([0.5, -1.0, 2.0], "float64"), xp.tensor([0.1, 0.2, 0.3], "float64"))
    with pytest.raises(ValueError, match="normalized_shape"):
        F.layer_norm(x, (4,))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(x, None, None, training=True)
    with pytest.raises(ValueError, match="reduction"):
        F.kl_div(x, x, reduction="avg")
    with pytest.raises(ValueError, match="reduction"):
        F.smooth_l1_loss(x, x, reduction="batchmean")
    with pytest.raises(ValueError, match="shapes"):
        F.smooth_l1_loss(x, xp.tensor([0.5], "float64"))
    with pytest.raises(TypeError, match="integers"):
        F.embedding(x, xp.tensor([[1.0, 2.0]], "float64"))
    with pytest.raises(ValueError, match="min_val"):
        F.hardtanh(x, 1.0, -1.0)
    if xp.name.startswith(("cupy", "torch-cuda")):
        return  # index checks need a device sync: done on CPUs only
    table = xp.tensor(np.zeros((3, 2)), "float64")
    from xpnet import tensor

    with pytest.raises(IndexError, match="index 3 is out of range for a table of 3 rows"):
        F.embedding(tensor([0, 3], device=xp.device), table)


def test_batch_norm_updates_running_statistics_in_place_as_torch(xp, torch):
    """Raw arrays are written in place, Tensors rebound: torch's F.batch_norm updates its
    running_mean / running_var arguments, with the unbiased variance."""
    x_host = np.random.default_rng(1).standard_normal((6, 3, 2)) * 2 + 1
    rm, rv = xp.array(np.zeros(3), "float64"), xp.tensor(np.ones(3), "float64")
    held = rv.array
    if xp.ns.immutable:  # JAX: a raw array cannot be updated; the error says to pass a Tensor
        with pytest.raises(TypeError, match="pass Tensors"):
            F.batch_norm(xp.tensor(x_host, "float64"), rm, rv, training=True, momentum=0.25)
        assert rv.array is held  # bad input loses nothing
        rm = xp.tensor(np.zeros(3), "float64")
    F.batch_norm(xp.tensor(x_host, "float64"), rm, rv, training=True, momentum=0.25)
    trm, trv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    torch.nn.functional.batch_norm(torch.tensor(x_host), trm, trv, training=True, momentum=0.25)
    np.testing.assert_allclose(xp.numpy(rm), trm.numpy(), rtol=1e-12)
    np.testing.assert_allclose(xp.numpy(rv), trv.numpy(), rtol=1e-12)
    assert rv.array is not held and xp.same_place(rv) and xp.same_place(rm)
