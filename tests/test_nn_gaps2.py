"""torch.nn's activation, normalization, padding, distance and margin-loss layers (gaps2)
against torch itself, on every backend (float64, 1e-10): repr, state_dict keys, forward,
the gradient of the inputs and of every parameter; then BCEWithLogitsLoss's weights,
AlphaDropout, RReLU in training, nn.utils.parameters_to_vector, and the errors.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import test_nn_new_layers as base
import xpnet as xn
from xpnet import nn

RNG = np.random.default_rng(11)
TOL = base.TOL

LAYERS: list[tuple[str, Any, tuple[int, ...]]] = [
    ("Hardswish", lambda m: m.Hardswish(), (4, 5)),
    ("Hardsigmoid", lambda m: m.Hardsigmoid(), (4, 5)),
    ("LogSigmoid", lambda m: m.LogSigmoid(), (4, 5)),
    ("Softmin", lambda m: m.Softmin(dim=1), (4, 5)),
    ("GLU", lambda m: m.GLU(), (3, 4)),
    ("GLU(0)", lambda m: m.GLU(0), (4, 3)),
    ("CELU", lambda m: m.CELU(), (4, 5)),
    ("CELU(0.5)", lambda m: m.CELU(alpha=0.5), (4, 5)),
    ("Tanhshrink", lambda m: m.Tanhshrink(), (4, 5)),
    ("Threshold", lambda m: m.Threshold(0.1, 20.0), (4, 5)),
    ("Softshrink", lambda m: m.Softshrink(), (4, 5)),
    ("Hardshrink(1)", lambda m: m.Hardshrink(1.0), (4, 5)),
    ("RReLU-eval", lambda m: m.RReLU().eval(), (4, 5)),
    ("GroupNorm", lambda m: m.GroupNorm(2, 4), (3, 4, 5)),
    ("GroupNorm-NC", lambda m: m.GroupNorm(1, 4, eps=1e-3), (3, 4)),
    ("GroupNorm-noaffine", lambda m: m.GroupNorm(2, 6, affine=False), (2, 6, 2, 2)),
    ("GroupNorm-nobias", lambda m: m.GroupNorm(3, 6, bias=False), (2, 6, 3)),
    ("RMSNorm", lambda m: m.RMSNorm(5), (4, 5)),
    ("RMSNorm(3,5)", lambda m: m.RMSNorm([3, 5], eps=1e-4), (2, 3, 5)),
    ("RMSNorm-noaffine", lambda m: m.RMSNorm(5, elementwise_affine=False), (4, 5)),
    ("AlphaDropout-eval", lambda m: m.AlphaDropout(0.2).eval(), (4, 5)),
    ("ZeroPad1d", lambda m: m.ZeroPad1d(2), (2, 3, 4)),
    ("ZeroPad2d", lambda m: m.ZeroPad2d((1, 0, 2, 1)), (2, 3, 4)),
    ("ConstantPad1d", lambda m: m.ConstantPad1d((1, 2), 0.5), (2, 3, 4)),
    ("ConstantPad2d", lambda m: m.ConstantPad2d(1, -1.0), (2, 3, 4)),
    ("ReflectionPad1d", lambda m: m.ReflectionPad1d((3, 1)), (2, 3, 4)),
    ("ReflectionPad2d", lambda m: m.ReflectionPad2d(1), (2, 3, 4)),
    ("ReplicationPad1d", lambda m: m.ReplicationPad1d(2), (2, 3, 4)),
    ("ReplicationPad2d", lambda m: m.ReplicationPad2d((1, 2, 0, 1)), (1, 2, 3, 4)),
    ("CircularPad1d", lambda m: m.CircularPad1d(2), (2, 3, 4)),
]


@pytest.mark.parametrize("make, shape", [(m, s) for _, m, s in LAYERS], ids=[i for i, _, _ in LAYERS])
def test_layer_matches_torch(xp, torch, make, shape):
    base.test_layer_matches_torch(xp, torch, make, shape)


TWO_INPUTS: list[tuple[str, Any, tuple[int, ...], tuple[int, ...]]] = [
    ("Bilinear", lambda m: m.Bilinear(3, 4, 2), (5, 3), (5, 4)),
    ("Bilinear-nobias-3d", lambda m: m.Bilinear(3, 2, 4, bias=False), (2, 5, 3), (2, 5, 2)),
    ("CosineSimilarity", lambda m: m.CosineSimilarity(), (4, 3), (4, 3)),
    ("CosineSimilarity(-1)", lambda m: m.CosineSimilarity(dim=-1, eps=1e-6), (2, 4, 3), (4, 3)),
    ("PairwiseDistance", lambda m: m.PairwiseDistance(), (4, 3), (4, 3)),
    ("PairwiseDistance(1,keepdim)", lambda m: m.PairwiseDistance(p=1.0, keepdim=True), (4, 3), (4, 3)),
]


@pytest.mark.parametrize("make, s1, s2", [(m, a, b) for _, m, a, b in TWO_INPUTS],
                         ids=[i for i, *_ in TWO_INPUTS])
def test_two_input_layer_matches_torch(xp, torch, make, s1, s2):
    theirs = make(torch.nn).double()
    ours = base._ours(make, xp)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict(theirs.state_dict())
    h1, h2 = RNG.standard_normal(s1), RNG.standard_normal(s2)
    a, b = (xp.tensor(h, "float64", requires_grad=True) for h in (h1, h2))
    ta, tb = (torch.tensor(h, requires_grad=True) for h in (h1, h2))
    out, ref = ours(a, b), theirs(ta, tb)
    g = RNG.standard_normal(tuple(ref.shape))
    ref.backward(torch.from_numpy(g))
    out.backward(xp.array(g, "float64"))
    assert xp.same_place(out) and out.dtype == xn.float64
    np.testing.assert_allclose(xp.numpy(out), ref.detach().numpy(), **TOL)
    for x, t in ((a, ta), (b, tb)):
        np.testing.assert_allclose(xp.numpy(x.grad), t.grad.numpy(), **TOL)
    params = dict(ours.named_parameters())
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(xp.numpy(params[name].grad), p.grad.numpy(), **TOL, err_msg=name)


def _signs(*shape: int) -> np.ndarray:
    return RNG.choice([-1.0, 1.0], shape)


# (id, constructor, host inputs, how many leading inputs are differentiated)
LOSSES: list[tuple[str, Any, Any, int]] = [
    ("CosineEmbeddingLoss", lambda m: m.CosineEmbeddingLoss(margin=0.2),
     lambda: [RNG.standard_normal((5, 3)), RNG.standard_normal((5, 3)), _signs(5)], 2),
    ("HingeEmbeddingLoss(sum)", lambda m: m.HingeEmbeddingLoss(margin=0.5, reduction="sum"),
     lambda: [RNG.standard_normal((4, 3)), _signs(4, 3)], 1),
    ("SoftMarginLoss(none)", lambda m: m.SoftMarginLoss(reduction="none"),
     lambda: [RNG.standard_normal((4, 3)), _signs(4, 3)], 1),
    ("MultiLabelSoftMarginLoss", lambda m: m.MultiLabelSoftMarginLoss(),
     lambda: [RNG.standard_normal((4, 3)), (RNG.uniform(size=(4, 3)) > 0.5) * 1.0], 1),
    ("MultiMarginLoss", lambda m: m.MultiMarginLoss(),
     lambda: [RNG.standard_normal((4, 3)), RNG.integers(0, 3, 4)], 1),
    ("MultiMarginLoss(p=2,none)", lambda m: m.MultiMarginLoss(p=2, margin=0.5, reduction="none"),
     lambda: [RNG.standard_normal((4, 3)), RNG.integers(0, 3, 4)], 1),
    ("MultiLabelMarginLoss", lambda m: m.MultiLabelMarginLoss(),
     lambda: [RNG.standard_normal((2, 4)), np.array([[3, 0, -1, 1], [1, 2, 3, 0]])], 1),
    ("TripletMarginLoss", lambda m: m.TripletMarginLoss(),
     lambda: [RNG.standard_normal((5, 3)), RNG.standard_normal((5, 3)), RNG.standard_normal((5, 3))], 3),
    ("TripletMarginLoss(p=1,swap)", lambda m: m.TripletMarginLoss(margin=0.5, p=1.0, swap=True),
     lambda: [RNG.standard_normal((5, 3)), RNG.standard_normal((5, 3)), RNG.standard_normal((5, 3))], 3),
    ("GaussianNLLLoss", lambda m: m.GaussianNLLLoss(),
     lambda: [RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3)), RNG.uniform(0.5, 2, (4, 3))], 3),
    ("GaussianNLLLoss(full,homoscedastic)", lambda m: m.GaussianNLLLoss(full=True, reduction="sum"),
     lambda: [RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3)), RNG.uniform(0.5, 2, (4, 1))], 3),
    ("GaussianNLLLoss(var below eps)", lambda m: m.GaussianNLLLoss(eps=0.1),
     lambda: [RNG.standard_normal((4,)), RNG.standard_normal((4,)), np.array([0.01, 0.5, 0.0, 2.0])], 3),
]


@pytest.mark.parametrize("make, inputs, n_grad", [(m, i, n) for _, m, i, n in LOSSES],
                         ids=[i for i, *_ in LOSSES])
def test_loss_matches_torch(xp, torch, make, inputs, n_grad):
    ours, theirs = make(nn), make(torch.nn)
    assert repr(ours) == repr(theirs)
    hosts = inputs()
    xs = [xp.tensor(h, "float64" if h.dtype.kind == "f" else "int64", requires_grad=i < n_grad)
          for i, h in enumerate(hosts)]
    ts = [torch.tensor(h, requires_grad=i < n_grad) for i, h in enumerate(hosts)]
    loss, ref = ours(*xs), theirs(*ts)
    g = RNG.standard_normal(tuple(ref.shape))
    ref.backward(torch.from_numpy(g))
    loss.backward(xp.array(g, "float64"))
    assert xp.same_place(loss) and loss.dtype == xn.float64
    np.testing.assert_allclose(xp.numpy(loss), ref.detach().numpy(), **TOL)
    for x, t in zip(xs[:n_grad], ts[:n_grad]):
        np.testing.assert_allclose(xp.numpy(x.grad), t.grad.numpy(), **TOL)


@pytest.mark.parametrize("kwargs", [{"pos_weight": [0.5, 2.0, 3.0]}, {"weight": [[1.0, 0.0, 2.0]]},
                                    {"weight": [1.0, 2.0, 0.5], "pos_weight": [3.0, 1.0, 0.2],
                                     "reduction": "none"}],
                         ids=["pos_weight", "weight", "both-none"])
def test_bce_with_logits_weights_match_torch(xp, torch, kwargs):
    x_host, y_host = RNG.standard_normal((4, 3)) * 3, RNG.uniform(size=(4, 3))
    ours = nn.BCEWithLogitsLoss(**{k: (xp.tensor(v, "float64") if k != "reduction" else v)
                                   for k, v in kwargs.items()})
    theirs = torch.nn.BCEWithLogitsLoss(**{k: (torch.tensor(v, dtype=torch.float64)
                                               if k != "reduction" else v) for k, v in kwargs.items()})
    x, xt = xp.tensor(x_host, "float64", requires_grad=True), torch.tensor(x_host, requires_grad=True)
    loss, ref = ours(x, xp.tensor(y_host, "float64")), theirs(xt, torch.tensor(y_host))
    ref.sum().backward()
    loss.sum().backward()
    np.testing.assert_allclose(xp.numpy(loss), ref.detach().numpy(), **TOL)
    np.testing.assert_allclose(xp.numpy(x.grad), xt.grad.numpy(), **TOL)


def test_alpha_dropout_training_keeps_selu_statistics(xp):
    xn.manual_seed(0)
    x = xp.tensor(np.zeros((200, 100)), "float64")
    layer = nn.AlphaDropout(0.2)
    out = xp.numpy(layer(x))
    # a zero-mean unit-variance input keeps mean 0 and variance 1 (torch's promise); for
    # zeros the output takes two values: b where kept, a * (-alpha') + b where dropped
    alpha, p = 1.7580993408473766, 0.2
    a = 1 / np.sqrt((alpha**2 * p + 1) * (1 - p))
    assert set(np.round(np.unique(out), 12)) == {round(a * alpha * p, 12), round(a * alpha * (p - 1), 12)}
    assert abs((out < 0).mean() - p) < 0.02
    selu_like = xp.tensor(RNG.standard_normal((400, 200)), "float64")
    kept = xp.numpy(layer(selu_like))
    assert abs(kept.mean()) < 0.02 and abs(kept.std() - 1) < 0.02
    assert xp.numpy(layer.eval()(selu_like)).tolist() == xp.numpy(selu_like).tolist()


def test_rrelu_training_draws_slopes_in_range(xp):
    xn.manual_seed(1)
    x = xp.tensor(-np.ones((50, 40)), "float64", requires_grad=True)
    layer = nn.RReLU(0.1, 0.3)
    out = layer(x)
    slopes = -xp.numpy(out)
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and slopes.std() > 0.04
    out.sum().backward()
    np.testing.assert_array_equal(xp.numpy(x.grad), slopes)  # dL/dx = the drawn slope
    xn.manual_seed(1)
    np.testing.assert_array_equal(xp.numpy(layer(x)), xp.numpy(out))  # seeded: the same draws


def test_errors_match_torch(xp, torch):
    F, TF = nn.functional, torch.nn.functional
    x, xt = xp.tensor(np.ones((2, 3)), "float64"), torch.ones(2, 3, dtype=torch.float64)
    cases = [
        (lambda f, t: f.glu(t), RuntimeError, "Halving dimension must be even"),
        (lambda f, t: f.softshrink(t, -1.0), RuntimeError, "lambda must be greater or equal to 0"),
        (lambda f, t: f.group_norm(t, 2), RuntimeError, "divisible by num_groups"),
        (lambda f, t: f.pad(t, (1, 2, 3)), RuntimeError, "divisible by 2"),
        (lambda f, t: f.pad(t, (1,) * 6), RuntimeError, "two times the input dimension"),
        (lambda f, t: f.pad(t, (3, 3), mode="reflect"), RuntimeError, None),
        (lambda f, t: f.multi_margin_loss(t, t[:, 0].long(), p=3), ValueError, "only p == 1 and p == 2"),
        (lambda f, t: f.gaussian_nll_loss(t, t, -t), ValueError, "var has negative entry"),
        (lambda f, t: f.gaussian_nll_loss(t, t, t[:, :2]), ValueError, "var is of incorrect size"),
    ]
    for call, kind, match in cases:
        with pytest.raises(kind) as theirs:
            call(TF, xt)
        with pytest.raises(kind, match=match) as ours:
            call(F, x)
        assert issubclass(ours.type, theirs.type)
    with pytest.raises(ValueError, match="num_channels must be divisible by num_groups"):
        nn.GroupNorm(2, 3)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
        F.softmin(x)


def test_parameters_to_vector_and_back_match_torch(xp, torch):
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2)).double()
    ours = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).to(xp.device, dtype=xn.float64)
    ours.load_state_dict(theirs.state_dict())
    vec, ref = nn.utils.parameters_to_vector(ours.parameters()), \
        torch.nn.utils.parameters_to_vector(theirs.parameters())
    assert xp.same_place(vec) and tuple(vec.shape) == tuple(ref.shape) == (26,)
    np.testing.assert_array_equal(xp.numpy(vec), ref.detach().numpy())
    (vec * xp.tensor(np.arange(26.0), "float64")).sum().backward()  # differentiable: a cat
    (ref * torch.arange(26.0, dtype=torch.float64)).sum().backward()
    for p, tp in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_array_equal(xp.numpy(p.grad), tp.grad.numpy())
    new = RNG.standard_normal(26)
    nn.utils.vector_to_parameters(xp.tensor(new, "float64"), ours.parameters())
    torch.nn.utils.vector_to_parameters(torch.tensor(new), theirs.parameters())
    for p, tp in zip(ours.parameters(), theirs.parameters()):
        assert xp.same_place(p) and tuple(p.shape) == tuple(tp.shape)
        np.testing.assert_array_equal(xp.numpy(p), tp.detach().numpy())
    x = RNG.standard_normal((2, 3))
    np.testing.assert_allclose(xp.numpy(ours(xp.tensor(x, "float64"))),
                               theirs(torch.tensor(x)).detach().numpy(), **TOL)
    with pytest.raises(TypeError, match=r"expected torch\.Tensor"):
        nn.utils.vector_to_parameters(new, ours.parameters())
    with pytest.raises(TypeError, match=r"expected torch\.Tensor"):
        torch.nn.utils.vector_to_parameters(new, theirs.parameters())
    with pytest.raises(RuntimeError, match="vec has 5 elements"):
        nn.utils.vector_to_parameters(xp.tensor(new[:5], "float64"), ours.parameters())
