"""Loss modules against torch.nn.functional (float64, 1e-10): values and input gradients."""

from __future__ import annotations

import numpy as np
import pytest

import xpnet as xn
from xpnet import _backend, nn

REDUCTIONS = ["mean", "sum", "none"]


def _compare(xp, torch, ours, theirs, x_host, target_ours, target_torch, reduction):
    """Loss value and dL/dinput of ``ours`` (a module) and ``theirs`` (a torch function)."""
    x = xp.tensor(x_host, "float64", requires_grad=True)
    xt = torch.tensor(x_host, requires_grad=True)
    loss = ours(x, target_ours)
    expected = theirs(xt, target_torch, reduction=reduction)
    assert xp.same_place(loss) and loss.dtype == xn.float64
    assert loss.shape == tuple(expected.shape)
    np.testing.assert_allclose(xp.numpy(loss), expected.detach().numpy(), rtol=0, atol=1e-10)
    g = np.random.default_rng(5).standard_normal(loss.shape)
    (loss * xp.array(g, "float64")).sum().backward()
    (expected * torch.from_numpy(g)).sum().backward()
    assert xp.same_place(x.grad)
    np.testing.assert_allclose(xp.numpy(x.grad), xt.grad.numpy(), rtol=0, atol=1e-10)


def _their_cross_entropy(torch, *weight, **options):
    """torch's cross_entropy with these options, called as ``_compare`` calls ``theirs``."""
    def theirs(x, y, reduction):
        return torch.nn.functional.cross_entropy(x, y, *weight, reduction=reduction, **options)

    return theirs


REGRESSION = [
    ("MSELoss", {}, "mse_loss", {}),
    ("L1Loss", {}, "l1_loss", {}),
    ("HuberLoss", {}, "huber_loss", {}),
    ("HuberLoss", {"delta": 0.5}, "huber_loss", {"delta": 0.5}),
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", REGRESSION, ids=lambda c: f"{c[0]}{c[1]}")
def test_regression_losses_match_torch(xp, torch, case, reduction):
    name, kwargs, fn, torch_kwargs = case
    rng = np.random.default_rng(0)
    x_host, y_host = rng.standard_normal((6, 3)), rng.standard_normal((6, 3))
    ours = getattr(nn, name)(reduction=reduction, **kwargs)
    theirs = lambda x, y, reduction: getattr(torch.nn.functional, fn)(  # noqa: E731
        x, y, reduction=reduction, **torch_kwargs)
    _compare(xp, torch, ours, theirs, x_host, xp.array(y_host, "float64"),
             torch.from_numpy(y_host), reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_matches_torch(xp, torch, reduction):
    rng = np.random.default_rng(1)
    p_host = rng.uniform(0.02, 0.98, (5, 4))
    y_host = rng.uniform(0, 1, (5, 4))
    _compare(xp, torch, nn.BCELoss(reduction=reduction), torch.nn.functional.binary_cross_entropy,
             p_host, xp.array(y_host, "float64"), torch.from_numpy(y_host), reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_matches_torch(xp, torch, reduction):
    rng = np.random.default_rng(2)
    x_host = rng.standard_normal((5, 4)) * 10  # large scores: no overflow
    y_host = (rng.uniform(0, 1, (5, 4)) > 0.5).astype("float64")
    _compare(xp, torch, nn.BCEWithLogitsLoss(reduction=reduction),
             torch.nn.functional.binary_cross_entropy_with_logits,
             x_host, xp.array(y_host, "float64"), torch.from_numpy(y_host), reduction)


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(6, 4), (3, 4, 5)], ids=["N,C", "N,C,d"])
def test_cross_entropy_indices_match_torch(xp, torch, shape, reduction, smoothing):
    rng = np.random.default_rng(3)
    x_host = rng.standard_normal(shape) * 3
    y_host = rng.integers(0, shape[1], (shape[0],) + shape[2:])
    ours = nn.CrossEntropyLoss(reduction=reduction, label_smoothing=smoothing)
    theirs = _their_cross_entropy(torch, label_smoothing=smoothing)
    _compare(xp, torch, ours, theirs, x_host, xp.array(y_host, "int64"),
             torch.from_numpy(y_host), reduction)


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_probabilities_match_torch(xp, torch, reduction, smoothing):
    rng = np.random.default_rng(4)
    x_host = rng.standard_normal((5, 3))
    y_host = rng.dirichlet(np.ones(3), 5)
    ours = nn.CrossEntropyLoss(reduction=reduction, label_smoothing=smoothing)
    theirs = _their_cross_entropy(torch, label_smoothing=smoothing)
    _compare(xp, torch, ours, theirs, x_host, xp.array(y_host, "float64"),
             torch.from_numpy(y_host), reduction)


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("ignore_index", [-100, 1])
@pytest.mark.parametrize("shape", [(8, 4), (3, 4, 5)], ids=["N,C", "N,C,d"])
def test_cross_entropy_weight_ignore_index_match_torch(xp, torch, shape, ignore_index, reduction,
                                                       smoothing):
    rng = np.random.default_rng(6)
    x_host, w_host = rng.standard_normal(shape) * 3, rng.uniform(0.2, 2.0, shape[1])
    y_host = rng.integers(0, shape[1], (shape[0],) + shape[2:])
    y_host.flat[::3] = ignore_index
    ours = nn.CrossEntropyLoss(xp.array(w_host, "float64"), ignore_index=ignore_index,
                               reduction=reduction, label_smoothing=smoothing)
    theirs = _their_cross_entropy(torch, torch.from_numpy(w_host), ignore_index=ignore_index,
                                  label_smoothing=smoothing)
    _compare(xp, torch, ours, theirs, x_host, xp.array(y_host, "int64"),
             torch.from_numpy(y_host), reduction)


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_probabilities_weight_match_torch(xp, torch, reduction, smoothing):
    """With probability targets the weight scales each class term and "mean" divides by N."""
    rng = np.random.default_rng(7)
    x_host, w_host = rng.standard_normal((5, 3)), rng.uniform(0.2, 2.0, 3)
    y_host = rng.dirichlet(np.ones(3), 5)
    ours = nn.CrossEntropyLoss(xp.array(w_host, "float64"), reduction=reduction,
                               label_smoothing=smoothing)
    theirs = _their_cross_entropy(torch, torch.from_numpy(w_host), label_smoothing=smoothing)
    _compare(xp, torch, ours, theirs, x_host, xp.array(y_host, "float64"),
             torch.from_numpy(y_host), reduction)


@pytest.mark.parametrize("weighted", [False, True], ids=["", "weight"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(8, 4), (3, 4, 5), (4,)], ids=["N,C", "N,C,d", "C"])
def test_nll_loss_matches_torch(xp, torch, shape, reduction, weighted):
    axis = 1 if len(shape) > 1 else 0
    rng = np.random.default_rng(8)
    x_host, w_host = rng.standard_normal(shape), rng.uniform(0.2, 2.0, shape[axis])
    y_host = rng.integers(0, shape[axis], shape[:axis] + shape[axis + 1:])
    y_host.flat[::3] = -100 if y_host.ndim else 2
    w = torch.from_numpy(w_host) if weighted else None
    ours = nn.NLLLoss(xp.array(w_host, "float64") if weighted else None, reduction=reduction)
    theirs = lambda x, y, reduction: torch.nn.functional.nll_loss(  # noqa: E731
        x, y, w, reduction=reduction)
    _compare(xp, torch, ours, theirs, x_host, xp.array(y_host, "int64"),
             torch.from_numpy(y_host), reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_log_softmax_then_nll_equals_cross_entropy(xp, reduction):
    """The classic pair nn.LogSoftmax(dim=1) + nn.NLLLoss() is nn.CrossEntropyLoss()."""
    rng = np.random.default_rng(9)
    x_host, w_host = rng.standard_normal((6, 5, 2)), rng.uniform(0.2, 2.0, 5)
    y_host = rng.integers(0, 5, (6, 2))
    y_host[0, 0] = y_host[3, 1] = -100
    y, w = xp.array(y_host, "int64"), xp.array(w_host, "float64")
    x1 = xp.tensor(x_host, "float64", requires_grad=True)
    x2 = xp.tensor(x_host, "float64", requires_grad=True)
    pair = nn.NLLLoss(w, reduction=reduction)(nn.LogSoftmax(dim=1)(x1), y)
    fused = nn.CrossEntropyLoss(w, reduction=reduction)(x2, y)
    np.testing.assert_allclose(xp.numpy(pair), xp.numpy(fused), rtol=0, atol=1e-12)
    g = xp.array(np.random.default_rng(1).standard_normal(pair.shape), "float64")
    (pair * g).sum().backward()
    (fused * g).sum().backward()
    np.testing.assert_allclose(xp.numpy(x1.grad), xp.numpy(x2.grad), rtol=0, atol=1e-12)


@pytest.mark.parametrize("make", ["CrossEntropyLoss", "NLLLoss"])
def test_every_target_ignored_gives_nan_and_zero_gradient_like_torch(xp, torch, make):
    x = xp.tensor(np.zeros((3, 4)) + 0.5, "float64", requires_grad=True)
    xt = torch.full((3, 4), 0.5, dtype=torch.float64, requires_grad=True)
    loss = getattr(nn, make)()(x, xp.array([-100, -100, -100], "int64"))
    expected = getattr(torch.nn, make)()(xt, torch.tensor([-100, -100, -100]))
    assert np.isnan(xp.numpy(loss)) and bool(torch.isnan(expected))
    loss.backward()
    expected.backward()
    np.testing.assert_array_equal(xp.numpy(x.grad), xt.grad.numpy())


# -- what losses accept -------------------------------------------------------------------------
LOSSES = [nn.MSELoss, nn.L1Loss, nn.HuberLoss, nn.BCELoss, nn.BCEWithLogitsLoss]


@pytest.mark.parametrize("make", LOSSES, ids=lambda c: c.__name__)
def test_losses_take_raw_arrays_and_keep_float32(xp, make):
    pred = xp.array([[0.2, 0.7], [0.9, 0.4]])  # float32
    target = xp.array([[0.0, 1.0], [1.0, 0.0]], "float64")  # cast down to the input's dtype
    loss = make()(pred, target)
    assert isinstance(loss, xn.Tensor) and xp.same_place(loss)
    assert loss.dtype == xn.float32 and loss.shape == ()
    same = make()(pred, [[0.0, 1.0], [1.0, 0.0]])  # Python data is made on the input's device
    np.testing.assert_allclose(xp.numpy(same), xp.numpy(loss), rtol=1e-6)


def test_cross_entropy_takes_raw_arrays_and_lists(xp):
    scores = xp.array([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]])
    loss = nn.CrossEntropyLoss()(scores, xp.array([0, 2], "int64"))
    assert xp.same_place(loss) and loss.dtype == xn.float32
    same = nn.CrossEntropyLoss()(scores, [0, 2])
    np.testing.assert_allclose(xp.numpy(same), xp.numpy(loss), rtol=1e-6)
    soft = nn.CrossEntropyLoss()(scores, [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    np.testing.assert_allclose(xp.numpy(soft), xp.numpy(loss), rtol=1e-6)


def test_loss_repr():
    assert repr(nn.MSELoss()) == "MSELoss()"
    assert repr(nn.L1Loss(reduction="sum")) == "L1Loss(reduction='sum')"
    assert repr(nn.HuberLoss(delta=2.0)) == "HuberLoss(delta=2.0)"
    assert repr(nn.CrossEntropyLoss(label_smoothing=0.1)) == "CrossEntropyLoss(label_smoothing=0.1)"
    assert repr(nn.NLLLoss(np.ones(3), ignore_index=0)) == \
        "NLLLoss(weight=<3 classes>, ignore_index=0)"


# -- errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("make", [*LOSSES, nn.CrossEntropyLoss, nn.NLLLoss],
                         ids=lambda c: c.__name__)
def test_bad_reduction(make):
    with pytest.raises(ValueError, match=rf"{make.__name__}: reduction must be 'mean', 'sum' or "
                                         r"'none', got 'avg'"):
        make(reduction="avg")


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="delta must be a positive number, got -1"):
        nn.HuberLoss(delta=-1)
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\], got 1.5"):
        nn.CrossEntropyLoss(label_smoothing=1.5)


@pytest.mark.parametrize("make", LOSSES, ids=lambda c: c.__name__)
def test_target_shape_mismatch(xp, make):
    with pytest.raises(ValueError, match=r"target shape \(4,\) does not match input shape "
                                         r"\(4, 1\)"):
        make()(xp.array([[0.5]] * 4), xp.array([0.0, 1.0, 1.0, 0.0]))


def test_cross_entropy_target_shape_mismatch(xp):
    with pytest.raises(ValueError, match=r"class-index target shape \(3,\) does not match input "
                                         r"shape \(2, 3\): expected \(2,\)"):
        nn.CrossEntropyLoss()(xp.array(np.zeros((2, 3))), xp.array([0, 1, 2], "int64"))


def _on_host(xp):
    return _backend.on_host(xp.ns, xp.expected_device)


def test_bce_input_outside_unit_interval(xp):
    if not _on_host(xp):
        pytest.skip("value checks would wait for the GPU, so they run only on host devices")
    with pytest.raises(ValueError, match=r"input values must lie in \[0, 1\].*BCEWithLogitsLoss"):
        nn.BCELoss()(xp.array([0.5, 1.5]), xp.array([0.0, 1.0]))


def test_class_index_out_of_range(xp):
    if not _on_host(xp):
        pytest.skip("value checks would wait for the GPU, so they run only on host devices")
    with pytest.raises(ValueError, match=r"class indices must lie in \[0, 2\] for 3 classes"):
        nn.CrossEntropyLoss()(xp.array(np.zeros((2, 3))), xp.array([0, 3], "int64"))
    with pytest.raises(ValueError, match=r"class indices must lie in \[0, 2\]"):
        nn.CrossEntropyLoss()(xp.array(np.zeros((2, 3))), xp.array([-1, 0], "int64"))


def test_loss_of_another_library(xp):
    import array_api_strict

    other = (array_api_strict.asarray([1.0, 0.0]) if xp.name == "numpy"
             else np.asarray([1.0, 0.0], "float32"))
    with pytest.raises(RuntimeError, match=r"mse_loss: tensors on different array libraries"):
        nn.MSELoss()(xp.array([0.5, 0.5]), other)


def test_class_index_out_of_range_allows_ignore_index(xp):
    if not _on_host(xp):
        pytest.skip("value checks would wait for the GPU, so they run only on host devices")
    scores = xp.array(np.zeros((3, 3)))
    for make in (nn.CrossEntropyLoss, nn.NLLLoss):
        make()(scores, xp.array([0, -100, 2], "int64"))
        make(ignore_index=7)(scores, xp.array([7, 1, 2], "int64"))
        with pytest.raises(ValueError, match=r"class indices must lie in \[0, 2\] for 3 classes "
                                             r"\(or equal ignore_index=-100\)"):
            make()(scores, xp.array([0, -1, -100], "int64"))


@pytest.mark.parametrize("make", [nn.CrossEntropyLoss, nn.NLLLoss], ids=lambda c: c.__name__)
def test_bad_class_weight(xp, make):
    name = "cross_entropy" if make is nn.CrossEntropyLoss else "nll_loss"
    scores, target = xp.array(np.zeros((2, 3))), xp.array([0, 2], "int64")
    with pytest.raises(ValueError, match=rf"{name}: weight must be 1-D with one value per class, "
                                         r"shape \(3,\) for 3 classes, got shape \(4,\)"):
        make(xp.array([1.0] * 4))(scores, target)
    with pytest.raises(ValueError, match=rf"{make.__name__}: weight must be 1-D .* got shape "
                                         r"\(1, 3\)"):
        make(xp.array([[1.0] * 3]))
    with pytest.raises(ValueError, match=rf"{name}: weight cannot require grad"):
        make(xp.tensor([1.0] * 3, requires_grad=True))(scores, target)
    import array_api_strict

    elsewhere = (array_api_strict.asarray([1.0] * 3, device=array_api_strict.Device("CPU_DEVICE"))
                 if xp.name == "array_api_strict-device1"
                 else array_api_strict.asarray([1.0] * 3, device=array_api_strict.Device("device1")))
    with pytest.raises(RuntimeError, match=rf"{name} \(input and weight\): tensors on different "
                                           r"(devices|array libraries).*\.to\("):
        make(elsewhere)(scores, target)


def test_probability_target_refuses_ignore_index_like_torch(xp, torch):
    scores, probs = np.zeros((2, 3)), np.full((2, 3), 1 / 3)
    with pytest.raises(RuntimeError, match="ignore_index is not supported for floating point"):
        torch.nn.functional.cross_entropy(torch.from_numpy(scores), torch.from_numpy(probs),
                                          ignore_index=0)
    with pytest.raises(RuntimeError, match=r"ignore_index=0 is not supported for a probability"):
        nn.CrossEntropyLoss(ignore_index=0)(xp.array(scores), xp.array(probs))
    nn.CrossEntropyLoss(ignore_index=-1)(xp.array(scores), xp.array(probs))  # negative: allowed


def test_nll_loss_needs_class_indices(xp):
    with pytest.raises(TypeError, match=r"nll_loss: target must hold integer class indices, got "
                                        r"xpnet\.float32 \(for class probabilities use cross_entropy"):
        nn.NLLLoss()(xp.array(np.zeros((2, 3))), xp.array(np.full((2, 3), 1 / 3)))


_WEIGHTED = [  # (loss, its weights, input shape, target maker)
    ("CrossEntropyLoss", {"weight": [1.0, 2.0, 0.5]}, (4, 3), "classes"),
    ("NLLLoss", {"weight": [1.0, 2.0, 0.5]}, (4, 3), "classes"),
    ("MultiMarginLoss", {"weight": [1.0, 2.0, 0.5]}, (4, 3), "classes"),
    ("BCELoss", {"weight": [1.0, 2.0, 0.5]}, (4, 3), "probabilities"),
    ("BCEWithLogitsLoss", {"weight": [1.0, 2.0, 0.5], "pos_weight": [2.0, 1.0, 0.5]}, (4, 3),
     "probabilities"),
    ("MultiLabelSoftMarginLoss", {"weight": [1.0, 2.0, 0.5]}, (4, 3), "labels"),
]


@pytest.mark.parametrize("name, weights, shape, kind", _WEIGHTED, ids=[w[0] for w in _WEIGHTED])
def test_loss_weights_are_buffers_as_in_torch(xp, name, weights, shape, kind):
    """torch registers a loss's weights as buffers: in state_dict, cast and moved by .to()."""
    torch = pytest.importorskip("torch")
    theirs = getattr(torch.nn, name)(**{k: torch.tensor(v) for k, v in weights.items()})
    ours = getattr(nn, name)(**{k: xn.tensor(v) for k, v in weights.items()})  # on NumPy
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    ours.to(xp.device).to(xn.float64)  # moved to the inputs' library, then cast: as torch's .double()
    theirs.double()
    for key in weights:
        assert getattr(ours, key).dtype == xn.float64 and xp.same_place(getattr(ours, key))
    rng = np.random.default_rng(3)
    x = rng.uniform(0.1, 0.9, size=shape)
    y = {"classes": np.array([0, 2, 1, 2]), "probabilities": rng.uniform(0, 1, size=shape),
         "labels": (rng.uniform(size=shape) < 0.5).astype(np.float64)}[kind]
    y_ours = xp.tensor(y, y.dtype.name)
    got = ours(xp.tensor(x, "float64"), y_ours)
    expected = theirs(torch.tensor(x), torch.tensor(y))
    np.testing.assert_allclose(xp.numpy(got), expected.numpy(), rtol=1e-12)
    fresh = getattr(nn, name)(**{k: xn.zeros(3) for k in weights})
    fresh.load_state_dict(theirs.state_dict())  # torch's state dict loads into ours
    for key in weights:
        np.testing.assert_array_equal(getattr(fresh, key).numpy(), getattr(theirs, key).numpy())
