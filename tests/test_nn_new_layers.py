"""The new layers and losses against torch.nn, on every backend (float64, 1e-10).

Each layer is built in xpnet and in torch, torch's weights are copied in with
``load_state_dict``, and then: repr, state_dict keys, forward, the gradient of
the input and of every parameter, and every buffer must match torch's.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

import xpnet as xn
from xpnet import nn

RNG = np.random.default_rng(7)
TOL = {"rtol": 1e-10, "atol": 1e-10}

# (id, constructor arguments as a function of the nn namespace, input shape)
LAYERS: list[tuple[str, Any, tuple[int, ...]]] = [
    ("ELU", lambda m: m.ELU(alpha=0.7), (4, 5)),
    ("SELU", lambda m: m.SELU(), (4, 5)),
    ("SiLU", lambda m: m.SiLU(), (4, 5)),
    ("Mish", lambda m: m.Mish(), (4, 5)),
    ("Softplus", lambda m: m.Softplus(), (4, 5)),
    ("Softplus(2,1)", lambda m: m.Softplus(beta=2, threshold=1), (4, 5)),
    ("Softsign", lambda m: m.Softsign(), (4, 5)),
    ("Hardtanh", lambda m: m.Hardtanh(), (4, 5)),
    ("Hardtanh(-0.5,0.8)", lambda m: m.Hardtanh(-0.5, 0.8), (4, 5)),
    ("ReLU6", lambda m: m.ReLU6(), (4, 5)),
    ("PReLU", lambda m: m.PReLU(), (4, 5)),
    ("PReLU(3)", lambda m: m.PReLU(3, init=0.1), (4, 3, 2)),
    ("LayerNorm", lambda m: m.LayerNorm(5), (4, 5)),
    ("LayerNorm(3,5)", lambda m: m.LayerNorm((3, 5), eps=1e-3), (2, 3, 5)),
    ("LayerNorm-noaffine", lambda m: m.LayerNorm(5, elementwise_affine=False), (4, 5)),
    ("LayerNorm-nobias", lambda m: m.LayerNorm(5, bias=False), (4, 5)),
    ("Flatten", lambda m: m.Flatten(), (2, 3, 4)),
    ("Flatten(0,1)", lambda m: m.Flatten(0, 1), (2, 3, 4)),
    ("Unflatten", lambda m: m.Unflatten(1, (2, 2)), (3, 4)),
    ("Unflatten(-1)", lambda m: m.Unflatten(-1, (2, -1)), (3, 4)),
    ("BatchNorm1d-eval", lambda m: m.BatchNorm1d(3).eval(), (4, 3)),
    ("BatchNorm1d-nobias", lambda m: m.BatchNorm1d(3, bias=False), (4, 3)),
]


def _ours(make: Any, xp: Any) -> nn.Module:
    model = make(nn)
    return model.to(xp.device, dtype=xn.float64)


def _compare(xp: Any, ours: nn.Module, theirs: Any, x_host: np.ndarray, g: np.ndarray,
             torch: Any) -> None:
    """Forward and backward through both; outputs, input grads, parameter grads, buffers."""
    x = xp.tensor(x_host, "float64", requires_grad=True)
    xt = torch.tensor(x_host, requires_grad=True)
    out, out_t = ours(x), theirs(xt)
    (out_t * torch.from_numpy(g)).sum().backward()
    (out * xp.array(g, "float64")).sum().backward()
    assert xp.same_place(out) and out.dtype == xn.float64
    np.testing.assert_allclose(xp.numpy(out), out_t.detach().numpy(), **TOL)
    np.testing.assert_allclose(xp.numpy(x.grad), xt.grad.numpy(), **TOL)
    params = dict(ours.named_parameters())
    for name, p in theirs.named_parameters():
        assert xp.same_place(params[name].grad)
        np.testing.assert_allclose(xp.numpy(params[name].grad), p.grad.numpy(), **TOL,
                                   err_msg=name)
    _same_buffers(xp, ours, theirs)


def _same_buffers(xp: Any, ours: nn.Module, theirs: Any) -> None:
    buffers = dict(ours.named_buffers())
    assert list(buffers) == [n for n, _ in theirs.named_buffers()]
    for name, b in theirs.named_buffers():
        assert xp.same_place(buffers[name]) and xp.numpy(buffers[name]).dtype == b.numpy().dtype
        np.testing.assert_allclose(xp.numpy(buffers[name]), b.numpy(), **TOL, err_msg=name)


@pytest.mark.parametrize("make, shape", [(m, s) for _, m, s in LAYERS],
                         ids=[i for i, _, _ in LAYERS])
def test_layer_matches_torch(xp, torch, make, shape):
    theirs = make(torch.nn).double()
    ours = _ours(make, xp)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    with torch.no_grad():  # torch's parameters are not all at their initial values
        for p in theirs.parameters():
            p.uniform_(-1.0, 1.0)
    ours.load_state_dict(theirs.state_dict())
    x_host = RNG.standard_normal(shape) * 2
    out_shape = tuple(copy.deepcopy(theirs)(torch.tensor(x_host)).shape)  # a copy: BN counts
    _compare(xp, ours, theirs, x_host, RNG.standard_normal(out_shape), torch)


@pytest.mark.parametrize("kwargs", [{}, {"momentum": None}, {"momentum": 0.3, "eps": 1e-3},
                                    {"affine": False}, {"track_running_stats": False}],
                         ids=["default", "cumulative", "momentum0.3", "noaffine", "nostats"])
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5)], ids=["NC", "NCL"])
def test_batchnorm_trains_and_evaluates_as_torch(xp, torch, kwargs, shape):
    """Three training steps (the running statistics move), then eval; buffers each time."""
    theirs = torch.nn.BatchNorm1d(3, **kwargs).double()
    ours = nn.BatchNorm1d(3, **kwargs, device=xp.device, dtype="float64")
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    if kwargs.get("affine", True):
        with torch.no_grad():
            theirs.weight.uniform_(0.5, 1.5)
            theirs.bias.uniform_(-1.0, 1.0)
        ours.load_state_dict(theirs.state_dict())
    for step in range(4):
        if step == 3:
            ours.eval()
            theirs.eval()
        ours.zero_grad()
        theirs.zero_grad()
        x_host = RNG.standard_normal(shape) * 3 + step
        _compare(xp, ours, theirs, x_host, RNG.standard_normal(shape), torch)
    assert ours.training is False
    if kwargs.get("track_running_stats", True):
        assert int(xp.numpy(ours.num_batches_tracked)) == 3
        assert ours.num_batches_tracked.dtype == xn.int64


def test_batchnorm_errors(xp):
    bn = nn.BatchNorm1d(3, device=xp.device)
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        bn(xp.tensor(np.zeros(3)))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(xp.tensor(np.zeros((1, 3))))
    assert int(xp.numpy(bn.num_batches_tracked)) in (0, 1)  # torch counts before it checks
    bn.eval()
    assert bn(xp.tensor(np.ones((1, 3)))).shape == (1, 3)  # eval needs no batch


@pytest.mark.parametrize("padding_idx", [None, 2, -1])
def test_embedding_matches_torch(xp, torch, padding_idx):
    theirs = torch.nn.Embedding(10, 4, padding_idx=padding_idx).double()
    ours = nn.Embedding(10, 4, padding_idx=padding_idx, device=xp.device, dtype="float64")
    assert repr(ours) == repr(theirs)
    assert ours.padding_idx == theirs.padding_idx
    if padding_idx is not None:  # the padding row starts at zero
        assert not np.any(xp.numpy(ours.weight)[padding_idx])
    ours.load_state_dict(theirs.state_dict())
    idx_host = np.array([[1, 2, 9], [2, 2, 0]])
    g = RNG.standard_normal((2, 3, 4))
    out = ours(xn.tensor(idx_host, device=xp.device))
    out_t = theirs(torch.tensor(idx_host))
    (out_t * torch.from_numpy(g)).sum().backward()
    (out * xp.array(g, "float64")).sum().backward()
    assert xp.same_place(out) and out.shape == (2, 3, 4)
    np.testing.assert_allclose(xp.numpy(out), out_t.detach().numpy(), **TOL)
    assert xp.same_place(ours.weight.grad)
    np.testing.assert_allclose(xp.numpy(ours.weight.grad), theirs.weight.grad.numpy(), **TOL)


def test_embedding_init_and_from_pretrained(xp, torch):
    e = nn.Embedding(200, 50, device=xp.device)
    values = xp.numpy(e.weight)
    assert e.weight.dtype == xn.float32 and xp.same_place(e.weight)
    assert abs(values.mean()) < 0.02 and 0.95 < values.std() < 1.05  # N(0, 1), as torch
    table = xp.tensor(RNG.standard_normal((5, 2)), "float64")
    frozen = nn.Embedding.from_pretrained(table)
    trained = nn.Embedding.from_pretrained(table, freeze=False)
    ref = torch.nn.Embedding.from_pretrained(torch.tensor(xp.numpy(table)))
    assert frozen.weight.requires_grad is ref.weight.requires_grad is False
    assert trained.weight.requires_grad
    idx = xn.tensor([4, 0], device=xp.device)
    np.testing.assert_allclose(xp.numpy(frozen(idx)), ref(torch.tensor([4, 0])).numpy())


@pytest.mark.parametrize("options", [
    {"max_norm": 1.0}, {"max_norm": 0.8, "norm_type": 1.0}, {"max_norm": 0.5, "norm_type": float("inf")},
    {"max_norm": 0.3, "norm_type": float("-inf")}, {"max_norm": 2.5, "norm_type": 0.0},
    {"scale_grad_by_freq": True}, {"scale_grad_by_freq": True, "padding_idx": 1, "max_norm": 1.2},
], ids=["max_norm", "max_norm p=1", "max_norm p=inf", "max_norm p=-inf", "max_norm p=0",
        "scale_grad_by_freq", "all three"])
def test_embedding_max_norm_and_scale_grad_by_freq_match_torch(xp, torch, options):
    """max_norm renormalizes the rows read, in place, before the lookup; scale_grad_by_freq
    divides each row's gradient by its count in the batch: both as torch, over two steps."""
    ref = torch.nn.Embedding(6, 3, dtype=torch.float64, **options)
    ours = nn.Embedding(6, 3, dtype="float64", device=xp.device, **options)
    ours.load_state_dict({"weight": ref.weight.detach().numpy() * 1.5})
    with torch.no_grad():
        ref.weight.mul_(1.5)
    assert repr(ours) == repr(ref)
    for idx in ([[0, 2, 2], [5, 2, 1]], [[3, 3, 3], [0, 1, 4]]):
        out = ours(xp.tensor(idx, "int64"))
        expected = ref(torch.tensor(idx))
        np.testing.assert_allclose(xp.numpy(out), expected.detach().numpy(), rtol=1e-12)
        (out * out).sum().backward()
        (expected * expected).sum().backward()
        np.testing.assert_allclose(xp.numpy(ours.weight.grad), ref.weight.grad.numpy(), rtol=1e-12)
        np.testing.assert_allclose(xp.numpy(ours.weight), ref.weight.detach().numpy(), rtol=1e-12)


def test_layer_errors_teach(xp):
    with pytest.raises(IndexError, match="Dimension out of range"):
        nn.Flatten()(xp.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="does not multiply"):
        nn.Unflatten(1, (3, 2))(xp.tensor(np.zeros((2, 4))))
    with pytest.raises(ValueError, match="min_val"):
        nn.Hardtanh(1.0, -1.0)
    with pytest.raises(ValueError, match="num_features"):
        nn.BatchNorm1d(0)
    with pytest.raises(ValueError, match="padding_idx"):
        nn.Embedding(3, 2, padding_idx=3)
    with pytest.raises(NotImplementedError, match="sparse"):
        nn.Embedding(3, 2, sparse=True)
    with pytest.raises(TypeError, match=r"xpnet\.float64 input but its parameters are xpnet\.float32"):
        nn.LayerNorm(2, device=xp.device)(xp.tensor([[1.0, 2.0]], "float64"))


# -- losses --------------------------------------------------------------------------------------
LOSSES: list[tuple[str, Any, Any]] = [
    # (id, constructor over the nn namespace, inputs as host arrays)
    ("SmoothL1Loss", lambda m: m.SmoothL1Loss(),
     lambda: [RNG.standard_normal((4, 3)) * 2, RNG.standard_normal((4, 3))]),
    ("SmoothL1Loss(beta=0.5,sum)", lambda m: m.SmoothL1Loss(reduction="sum", beta=0.5),
     lambda: [RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))]),
    ("SmoothL1Loss(none)", lambda m: m.SmoothL1Loss(reduction="none"),
     lambda: [RNG.standard_normal((5,)), RNG.standard_normal((5,))]),
    ("KLDivLoss(batchmean)", lambda m: m.KLDivLoss(reduction="batchmean"),
     lambda: [np.log(RNG.dirichlet(np.ones(4), 3)), RNG.dirichlet(np.ones(4), 3)]),
    ("KLDivLoss(sum,log_target)", lambda m: m.KLDivLoss(reduction="sum", log_target=True),
     lambda: [np.log(RNG.dirichlet(np.ones(4), 3)), np.log(RNG.dirichlet(np.ones(4), 3))]),
    ("PoissonNLLLoss", lambda m: m.PoissonNLLLoss(),
     lambda: [RNG.standard_normal((6,)), RNG.poisson(2.0, 6).astype(float)]),
    # counts of 0 with full=True: torch's gradient of the target is nan there (ours is not),
    # so only the input is differentiated (the target is index 1 of "grad_inputs")
    ("PoissonNLLLoss(rates,full)", lambda m: m.PoissonNLLLoss(log_input=False, full=True),
     lambda: [RNG.uniform(0.5, 3.0, 6), RNG.poisson(2.0, 6).astype(float) + 0.5]),
    ("MarginRankingLoss", lambda m: m.MarginRankingLoss(margin=0.2),
     lambda: [RNG.standard_normal(8), RNG.standard_normal(8), RNG.choice([-1.0, 1.0], 8)]),
]


@pytest.mark.parametrize("make, inputs", [(m, i) for _, m, i in LOSSES],
                         ids=[i for i, _, _ in LOSSES])
def test_loss_matches_torch(xp, torch, make, inputs):
    ours, theirs = make(nn), make(torch.nn)
    hosts = inputs()
    xs = [xp.tensor(h, "float64", requires_grad=True) for h in hosts[:2]]
    xs += [xp.tensor(h, "float64") for h in hosts[2:]]
    ts = [torch.tensor(h, requires_grad=i < 2) for i, h in enumerate(hosts)]
    loss, ref = ours(*xs), theirs(*ts)
    g = RNG.standard_normal(tuple(ref.shape))
    ref.backward(torch.from_numpy(g))
    loss.backward(xp.array(g, "float64"))
    assert xp.same_place(loss) and loss.dtype == xn.float64
    np.testing.assert_allclose(xp.numpy(loss), ref.detach().numpy(), **TOL)
    for x, t in zip(xs[:2], ts[:2]):
        np.testing.assert_allclose(xp.numpy(x.grad), t.grad.numpy(), **TOL)


def test_losses_take_python_targets_and_check_arguments(xp, torch):
    x = xp.tensor([0.5, -0.2, 0.3], requires_grad=True)
    loss = nn.MarginRankingLoss()(x, xp.tensor([0.1, 0.1, 0.9]), [1, -1, 1])
    ref = torch.nn.MarginRankingLoss()(torch.tensor([0.5, -0.2, 0.3]),
                                       torch.tensor([0.1, 0.1, 0.9]),
                                       torch.tensor([1.0, -1.0, 1.0]))
    assert loss.dtype == xn.float32 and xp.same_place(loss)
    np.testing.assert_allclose(xp.numpy(loss), ref.numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="batchmean"):
        nn.KLDivLoss(reduction="avg")
    with pytest.raises(ValueError, match="beta"):
        nn.SmoothL1Loss(beta=-1.0)
