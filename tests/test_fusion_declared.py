"""Fusion declared on the layers: ``fused_as`` on activations, ``absorbs_activation`` on linears.

``nn.Sequential`` (and ``nn.Ensemble``) fuse a linear layer with the activation
after it exactly when both declare it on their own class (``xpnet.nn.fusion``):
stock layers, user layers that declare ``fused_as``, never a subclass whose
overridden ``forward`` would be skipped. A fused pair gives the numbers of
``linear.forward(x, activation=...)`` bit for bit (the same op), and those of
the layers run one by one (and of torch) to rounding.
"""

from __future__ import annotations

import numpy as np
import pytest

import xpnet as xn
from xpnet import functional as F
from xpnet import nn
from xpnet.nn import fusion

STOCK = [  # (layer, its fused_as, what F.linear gets)
    (lambda: nn.ReLU(), "relu", {"activation": "relu"}),
    (lambda: nn.LeakyReLU(0.2), "leaky_relu", {"activation": "leaky_relu", "negative_slope": 0.2}),
    (lambda: nn.Sigmoid(), "sigmoid", {"activation": "sigmoid"}),
    (lambda: nn.Tanh(), "tanh", {"activation": "tanh"}),
    (lambda: nn.GELU(approximate="tanh"), "gelu_tanh", {"activation": "gelu_tanh"}),
]


def _x(xp, shape=(5, 3)):
    return xp.array(np.random.default_rng(0).standard_normal(shape) * 2, "float64")


def _pair(xp, act):
    xn.manual_seed(1)
    return nn.Sequential(nn.Linear(3, 4), act).to(xp.device).double()


def _linear_act(model, x, **kwargs):
    return F.linear(x, model[0].weight, model[0].bias, **kwargs)


@pytest.mark.parametrize("make, name, kwargs", STOCK, ids=[s[1] for s in STOCK])
def test_stock_activations_declare_how_they_fuse(xp, make, name, kwargs):
    model = _pair(xp, make())
    assert model[1].fused_as == name
    x = _x(xp)
    out = model(x)
    assert out.grad_fn == f"linear+{name}"
    np.testing.assert_array_equal(xp.numpy(out), xp.numpy(_linear_act(model, x, **kwargs)))
    model.fuse_activations = False
    np.testing.assert_allclose(xp.numpy(out), xp.numpy(model(x)), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("make, name, kwargs", STOCK, ids=[s[1] for s in STOCK])
def test_the_public_linear_forward_fuses_as_torch_composes(xp, torch, make, name, kwargs):
    model = _pair(xp, make())
    x = _x(xp)
    out = model[0].forward(x, **kwargs)
    assert out.grad_fn == f"linear+{name}" and xp.same_place(out)
    reference = model[1].__class__.__name__
    t_act = {"ReLU": torch.nn.ReLU(), "LeakyReLU": torch.nn.LeakyReLU(0.2), "Sigmoid": torch.nn.Sigmoid(),
             "Tanh": torch.nn.Tanh(), "GELU": torch.nn.GELU(approximate="tanh")}[reference]
    expected = t_act(torch.nn.functional.linear(torch.from_numpy(xp.numpy(x)),
                                                torch.from_numpy(xp.numpy(model[0].weight)),
                                                torch.from_numpy(xp.numpy(model[0].bias))))
    np.testing.assert_allclose(xp.numpy(out), expected.numpy(), rtol=1e-12, atol=1e-12)


def test_layers_that_do_not_declare_run_by_themselves(xp):
    x = _x(xp)
    for act, node in ((nn.GELU(), "gelu"), (nn.Softmax(dim=-1), "softmax"), (nn.ELU(), "elu")):
        model = _pair(xp, act)
        assert getattr(act, "fused_as", None) is None
        assert model(x).grad_fn == node


def test_a_user_activation_that_declares_fused_as_fuses(xp):
    class MyTanh(nn.Module):
        fused_as = "tanh"

        def forward(self, x):
            return F.tanh(x)

    model = _pair(xp, MyTanh())
    x = _x(xp)
    out = model(x)
    assert out.grad_fn == "linear+tanh"
    np.testing.assert_array_equal(xp.numpy(out), xp.numpy(_linear_act(model, x, activation="tanh")))
    model.fuse_activations = False
    np.testing.assert_allclose(xp.numpy(out), xp.numpy(model(x)), rtol=1e-12, atol=1e-12)


def test_a_relu_subclass_that_overrides_forward_runs_its_forward(xp):
    class DoubleReLU(nn.ReLU):
        def forward(self, x):
            return F.relu(x) * 2.0

    model = _pair(xp, DoubleReLU())
    x = _x(xp)
    out = model(x)
    assert out.grad_fn == "mul"  # the override ran, after the plain Linear
    expected = 2.0 * np.maximum(xp.numpy(model[0](x)), 0.0)
    np.testing.assert_array_equal(xp.numpy(out), expected)


def test_a_subclass_that_overrides_forward_and_declares_fused_as_again_fuses(xp):
    class LoggedReLU(nn.ReLU):
        fused_as = "relu"  # vouches that the fused op computes this forward

        def forward(self, x):
            return F.relu(x)

    class Renamed(nn.ReLU):  # forward inherited: the declaration still holds
        pass

    x = _x(xp)
    for act in (LoggedReLU(), Renamed()):
        model = _pair(xp, act)
        out = model(x)
        assert out.grad_fn == "linear+relu"
        np.testing.assert_array_equal(xp.numpy(out), xp.numpy(_linear_act(model, x, activation="relu")))


def test_a_forward_set_on_the_instance_or_fused_as_none_turns_fusion_off(xp):
    x = _x(xp)
    model = _pair(xp, nn.Tanh())
    model[1].forward = lambda t: F.tanh(t) + 1.0  # the instance's own forward must run
    out = model(x)
    np.testing.assert_array_equal(xp.numpy(out), xp.numpy(F.tanh(model[0](x)) + 1.0))
    model = _pair(xp, nn.Tanh())
    model[1].fused_as = None
    assert model(x).grad_fn == "tanh"


def test_linear_subclasses_fuse_unless_they_override_forward(xp):
    class Initialised(nn.Linear):  # forward inherited: still absorbs the activation
        def reset_parameters(self):
            super().reset_parameters()

    class Scaled(nn.Linear):
        def forward(self, x):
            return super().forward(x) * 3.0

    x = _x(xp)
    xn.manual_seed(1)
    model = nn.Sequential(Initialised(3, 4), nn.ReLU()).to(xp.device).double()
    assert model(x).grad_fn == "linear+relu"
    xn.manual_seed(1)
    model = nn.Sequential(Scaled(3, 4), nn.ReLU()).to(xp.device).double()
    out = model(x)
    assert out.grad_fn == "relu"
    plain = F.linear(x, model[0].weight, model[0].bias)
    np.testing.assert_array_equal(xp.numpy(out), np.maximum(xp.numpy(plain) * 3.0, 0.0))


def test_options_are_read_at_each_call(xp):
    x = _x(xp)
    leaky = nn.LeakyReLU(0.2)
    model = _pair(xp, leaky)
    model(x)
    leaky.negative_slope = 0.5
    out = model(x)
    assert out.grad_fn == "linear+leaky_relu"
    np.testing.assert_array_equal(
        xp.numpy(out), xp.numpy(_linear_act(model, x, activation="leaky_relu", negative_slope=0.5)))
    gelu = nn.GELU()
    model = _pair(xp, gelu)
    assert model(x).grad_fn == "gelu"
    gelu.approximate = "tanh"
    assert model(x).grad_fn == "linear+gelu_tanh"


def test_the_plan_is_made_once_and_again_only_when_the_layers_change(xp, monkeypatch):
    made = []
    real = fusion.plan
    monkeypatch.setattr(fusion, "plan", lambda modules: made.append(len(modules)) or real(modules))
    x = _x(xp)
    model = _pair(xp, nn.ReLU())
    for _ in range(3):
        model(x)
    assert made == [2]
    model.append(nn.Linear(4, 2, device=xp.device, dtype=model[0].weight.dtype))
    model(x)
    model(x)
    assert made == [2, 3]
    handle = model[1].register_forward_hook(lambda *args: None)
    assert model(x).grad_fn == "linear"
    handle.remove()
    model(x)
    assert made == [2, 3, 3, 3]


def test_an_unknown_fused_as_is_refused_with_the_names_known(xp):
    class Swish(nn.Module):
        fused_as = "swish"

        def forward(self, x):
            return x * F.sigmoid(x)

    model = _pair(xp, Swish())
    with pytest.raises(ValueError, match=r"Swish.fused_as is 'swish': the fused op knows 'relu', "
                                         r".*set fused_as = None"):
        model(_x(xp))
    with pytest.raises(ValueError, match=r"Linear\(3 -> 4\): activation must be None or one of"):
        model[0](_x(xp), activation="swish")
    with pytest.raises(TypeError, match=r"Linear\(3 -> 4\): negative_slope must be a number"):
        model[0](_x(xp), activation="leaky_relu", negative_slope="0.1")


def test_the_ensemble_stacks_and_fuses_declared_activations(xp):
    class MyTanh(nn.Module):
        fused_as = "tanh"

        def forward(self, x):
            return F.tanh(x)

    def member():
        return nn.Sequential(nn.Linear(3, 4), MyTanh(), nn.Linear(4, 2)).to(xp.device).double()

    xn.manual_seed(2)
    models = [member() for _ in range(3)]
    ens = nn.Ensemble.from_models(models)
    x = _x(xp, (3, 5, 3))
    assert ens[:2](x).grad_fn == "ensemble_linear+tanh"
    out = ens(x)
    for k, m in enumerate(models):
        np.testing.assert_allclose(xp.numpy(out)[k], xp.numpy(m(x[k, ...])), rtol=1e-12, atol=1e-12)


def test_the_ensemble_refuses_an_activation_whose_forward_is_overridden(xp):
    class DoubleReLU(nn.ReLU):
        def forward(self, x):
            return F.relu(x) * 2.0

    models = [nn.Sequential(nn.Linear(3, 4), DoubleReLU()).to(xp.device) for _ in range(2)]
    with pytest.raises(TypeError, match=r"layer '1' is a DoubleReLU; an ensemble stacks Linear and "
                                        r"elementwise layers \(activations that declare fused_as"):
        nn.Ensemble.from_models(models)
