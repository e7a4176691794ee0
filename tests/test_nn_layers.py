"""nn layers against torch.nn (float64, 1e-10): Linear, activations, Dropout, containers."""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
import pytest

import xpnet as xn
from xpnet import nn

RNG = np.random.default_rng(0)


def _check_grad(xp, out, x, expected_out, expected_grad, g):
    assert xp.same_place(out) and out.dtype == xn.float64
    np.testing.assert_allclose(xp.numpy(out), expected_out, rtol=0, atol=1e-10)
    (out * xp.array(g, "float64")).sum().backward()
    assert xp.same_place(x.grad)
    np.testing.assert_allclose(xp.numpy(x.grad), expected_grad, rtol=0, atol=1e-10)


# -- Linear -------------------------------------------------------------------------------------
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(5, 3), (2, 4, 3), (3,)])
def test_linear_matches_torch(xp, torch, bias, shape):
    ref = torch.nn.Linear(3, 4, bias=bias, dtype=torch.float64)
    layer = nn.Linear(3, 4, bias=bias, device=xp.device, dtype="float64")
    layer.load_state_dict(ref.state_dict())
    x_host = RNG.standard_normal(shape)
    g = RNG.standard_normal(shape[:-1] + (4,))
    x = xp.tensor(x_host, "float64", requires_grad=True)
    xt = torch.tensor(x_host, requires_grad=True)
    out_t = ref(xt)
    (out_t * torch.from_numpy(g)).sum().backward()
    out = layer(x)
    assert out.grad_fn == "linear"  # one fused node
    _check_grad(xp, out, x, out_t.detach().numpy(), xt.grad.numpy(), g)
    np.testing.assert_allclose(xp.numpy(layer.weight.grad), ref.weight.grad.numpy(), atol=1e-10)
    assert xp.same_place(layer.weight.grad)
    if bias:
        np.testing.assert_allclose(xp.numpy(layer.bias.grad), ref.bias.grad.numpy(), atol=1e-10)
    else:
        assert layer.bias is None and [n for n, _ in layer.named_parameters()] == ["weight"]


def test_linear_default_init(xp):
    layer = nn.Linear(50, 20, device=xp.device)
    assert layer.weight.shape == (20, 50) and layer.bias.shape == (20,)
    bound = 1 / math.sqrt(50)
    for p in (layer.weight, layer.bias):
        assert xp.same_place(p) and p.dtype == xn.float32 and p.requires_grad
        values = xp.numpy(p)
        assert np.abs(values).max() <= bound
        assert np.abs(values).max() > 0.8 * bound  # spread over the whole range
    assert abs(float(xp.numpy(layer.weight).mean())) < 0.1 * bound
    assert repr(layer) == "Linear(in_features=50, out_features=20, bias=True)"


def test_linear_init_is_seeded(xp):
    xn.manual_seed(7)
    a = nn.Linear(4, 3, device=xp.device)
    xn.manual_seed(7)
    b = nn.Linear(4, 3, device=xp.device)
    c = nn.Linear(4, 3, device=xp.device)
    for pa, pb, pc in zip(a.parameters(), b.parameters(), c.parameters()):
        np.testing.assert_array_equal(xp.numpy(pa), xp.numpy(pb))
        assert not np.array_equal(xp.numpy(pa), xp.numpy(pc))


def test_linear_wrong_width(xp):
    layer = nn.Linear(3, 4, device=xp.device)
    msg = r"Linear\(3 -> 4\) got input of shape \(5, 2\): the last dimension must be 3"
    with pytest.raises(ValueError, match=msg):
        layer(xp.array(np.ones((5, 2))))
    with pytest.raises(ValueError, match="positive int"):
        nn.Linear(0, 4)


def _foreign(xp, values):
    """The same values in another array library than ``xp``'s."""
    import array_api_strict

    if xp.name == "numpy":
        return array_api_strict.asarray(np.asarray(values, "float32"))
    return np.asarray(values, "float32")


def test_linear_input_of_another_library(xp):
    layer = nn.Linear(2, 1, device=xp.device)
    with pytest.raises(RuntimeError, match=r"Linear\(2 -> 1\): tensors on different array "
                                           r"libraries.*\.to\(\.\.\.\)"):
        layer(_foreign(xp, [[1.0, 2.0]]))


def test_linear_input_on_another_device(xp):
    import array_api_strict as strict

    # numpy and torch-cpu have no second device here: use array_api_strict's pair
    cpu, device1 = strict.Device("CPU_DEVICE"), strict.Device("device1")
    model_dev, input_dev = (cpu, device1) if xp.name == "array_api_strict-device1" else (device1, cpu)
    layer = nn.Linear(2, 1, device=model_dev)
    x = strict.asarray([[1.0, 2.0]], device=input_dev)
    with pytest.raises(RuntimeError, match=r"tensors on different devices.*\.to\(\.\.\.\)"):
        layer(x)
    assert layer(strict.asarray([[1.0, 2.0]], device=model_dev)).device == model_dev


def test_linear_dtype_rule(xp):
    layer = nn.Linear(2, 3, device=xp.device)  # float32
    with pytest.raises(TypeError, match=r"float64 input.*x\.to\(dtype=xn\.float32\).*"
                                        r"model\.to\(dtype=xn\.float64\)"):
        layer(xp.tensor([[1.0, 2.0]], "float64"))
    expected = xp.numpy(layer(xp.tensor([[1.0, 2.0]])))
    for data in (xp.array([[1.0, 2.0]], "float64"), xp.array([[1, 2]], "int64"),
                 xp.tensor([[1, 2]], "int64"), xp.tensor([[1, 2]], "int32")):
        out = layer(data)  # data is cast to the layer's dtype
        assert out.dtype == xn.float32 and xp.same_place(out)
        np.testing.assert_allclose(xp.numpy(out), expected, rtol=1e-6)
    assert layer.to(dtype="float64")(xp.array([[1.0, 2.0]])).dtype == xn.float64


# -- activations ---------------------------------------------------------------------------------
ACTIVATIONS = [
    (lambda: nn.ReLU(), lambda t: t.nn.ReLU()),
    (lambda: nn.ReLU(inplace=True), lambda t: t.nn.ReLU()),
    (lambda: nn.LeakyReLU(), lambda t: t.nn.LeakyReLU()),
    (lambda: nn.LeakyReLU(0.2), lambda t: t.nn.LeakyReLU(0.2)),
    (lambda: nn.Sigmoid(), lambda t: t.nn.Sigmoid()),
    (lambda: nn.Tanh(), lambda t: t.nn.Tanh()),
    (lambda: nn.GELU(), lambda t: t.nn.GELU()),
    (lambda: nn.GELU(approximate="tanh"), lambda t: t.nn.GELU(approximate="tanh")),
    (lambda: nn.Softmax(dim=-1), lambda t: t.nn.Softmax(dim=-1)),
    (lambda: nn.Softmax(dim=0), lambda t: t.nn.Softmax(dim=0)),
    (lambda: nn.LogSoftmax(dim=1), lambda t: t.nn.LogSoftmax(dim=1)),
    (lambda: nn.Identity(), lambda t: t.nn.Identity()),
]


@pytest.mark.parametrize("make", ACTIVATIONS, ids=lambda m: repr(m[0]()))
def test_activation_matches_torch(xp, torch, make):
    ours, theirs = make[0](), make[1](torch)
    assert repr(ours).replace("inplace=True", "") == repr(theirs)  # torch's leaf can't be inplace
    x_host = RNG.standard_normal((4, 5)) * 3
    g = RNG.standard_normal((4, 5))
    x = xp.tensor(x_host, "float64", requires_grad=True)
    xt = torch.tensor(x_host, requires_grad=True)
    out_t = theirs(xt)
    (out_t * torch.from_numpy(g)).sum().backward()
    _check_grad(xp, ours(x), x, out_t.detach().numpy(), xt.grad.numpy(), g)


@pytest.mark.parametrize("make", ACTIVATIONS, ids=lambda m: repr(m[0]()))
def test_activation_takes_raw_arrays_and_keeps_float32(xp, make):
    out = make[0]()(xp.array([[-1.5, 0.0, 2.0]]))
    assert isinstance(out, xn.Tensor) and xp.same_place(out) and out.dtype == xn.float32


def test_activation_arguments_are_checked():
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh', got 'fast'"):
        nn.GELU(approximate="fast")
    with pytest.raises(TypeError, match="dim must be an int"):
        nn.Softmax(dim=None)


# -- Dropout -------------------------------------------------------------------------------------
def test_dropout_eval_is_identity(xp):
    drop = nn.Dropout(0.5).eval()
    x = xp.tensor(np.ones((10, 10)), requires_grad=True)
    assert drop(x) is x
    np.testing.assert_array_equal(xp.numpy(drop(xp.array(np.ones(3)))), np.ones(3))


def test_dropout_train_zeroes_p_and_scales(xp):
    p = 0.3
    drop = nn.Dropout(p)
    assert drop.training
    x = xp.tensor(np.ones((200, 100)), requires_grad=True)
    out = drop(x)
    assert xp.same_place(out) and out.dtype == xn.float32
    values = xp.numpy(out)
    zero = values == 0
    assert 0.27 < zero.mean() < 0.33
    np.testing.assert_allclose(values[~zero], 1 / (1 - p), rtol=1e-6)
    out.sum().backward()
    np.testing.assert_array_equal(xp.numpy(x.grad), values)  # dL/dx = mask / (1 - p)


def test_dropout_is_seeded(xp):
    x = xp.array(np.ones((50, 50)))
    xn.manual_seed(3)
    a = xp.numpy(nn.Dropout(0.5)(x))
    xn.manual_seed(3)
    b = xp.numpy(nn.Dropout(0.5)(x))
    c = xp.numpy(nn.Dropout(0.5)(x))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_dropout_checks_p():
    for bad in (-0.1, 1.5, "half"):
        with pytest.raises(ValueError, match=r"must be in \[0, 1\]"):
            nn.Dropout(bad)


# -- containers ----------------------------------------------------------------------------------
def test_sequential_indexing(xp, torch):
    layers = [nn.Linear(2, 3, device=xp.device), nn.ReLU(), nn.Linear(3, 1, device=xp.device)]
    model = nn.Sequential(*layers)
    assert len(model) == 3 and list(model) == layers
    assert model[0] is layers[0] and model[-1] is layers[2]
    tail = model[1:]
    assert isinstance(tail, nn.Sequential) and list(tail) == layers[1:]
    ref = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    assert [n for n, _ in tail.named_parameters()] == [n for n, _ in ref[1:].named_parameters()]
    with pytest.raises(IndexError, match="index 3 is out of range for Sequential of length 3"):
        model[3]
    x = xp.array([[1.0, -2.0]])
    np.testing.assert_allclose(xp.numpy(model(x)), xp.numpy(layers[2](layers[1](layers[0](x)))))


def test_sequential_append_extend_insert(xp):
    model = nn.Sequential()
    assert model.append(nn.Linear(2, 2, device=xp.device)) is model
    model.extend([nn.ReLU(), nn.Linear(2, 1, device=xp.device)])
    model.insert(1, nn.Tanh())
    assert [type(m).__name__ for m in model] == ["Linear", "Tanh", "ReLU", "Linear"]
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "3.weight", "3.bias"]
    del model[1]
    assert [n for n, _ in model.named_children()] == ["0", "1", "2"]
    with pytest.raises(TypeError, match=r"call the class: nn.ReLU\(\), not nn.ReLU"):
        model.append(nn.ReLU)
    with pytest.raises(TypeError, match="Sequential holds Modules, got Tensor"):
        nn.Sequential(xp.tensor([1.0]))


def test_sequential_from_ordered_dict(xp):
    model = nn.Sequential(OrderedDict(fc=nn.Linear(2, 3, device=xp.device), act=nn.Sigmoid()))
    assert [n for n, _ in model.named_parameters()] == ["fc.weight", "fc.bias"]
    assert isinstance(model[1], nn.Sigmoid) and model(xp.array([[1.0, 2.0]])).shape == (1, 3)


def test_module_list_and_dict(xp):
    blocks = nn.ModuleList([nn.Linear(2, 2, device=xp.device) for _ in range(3)])
    assert len(blocks) == 3 and blocks[-1] is list(blocks)[2]
    assert isinstance(blocks[:2], nn.ModuleList) and len(blocks[:2]) == 2
    assert [n for n, _ in blocks.named_parameters()][:2] == ["0.weight", "0.bias"]
    heads = nn.ModuleDict({"a": nn.Linear(2, 1, device=xp.device)})
    heads["b"] = nn.Identity()
    assert heads.keys() == ["a", "b"] and "b" in heads and len(heads) == 2
    assert [n for n, _ in heads.named_parameters()] == ["a.weight", "a.bias"]
    with pytest.raises(KeyError, match="'c' is not in the ModuleDict; its keys are"):
        heads["c"]


def test_parameter_list(xp):
    plist = nn.ParameterList([xp.array([1.0, 2.0]), xp.tensor([3.0])])
    extra = nn.Parameter(xp.array([4.0]))
    assert plist.append(extra) is plist
    plist.extend([xp.array([5.0])])
    assert len(plist) == 4 and all(isinstance(p, nn.Parameter) for p in plist)
    assert all(p.requires_grad and xp.same_place(p) for p in plist)
    assert plist[2] is extra and plist.index(extra) == 2 and extra in plist
    assert [n for n, _ in plist.named_parameters()] == ["0", "1", "2", "3"]

    class Model(nn.Module):
        def __init__(self):
            self.params = plist

        def forward(self, x):
            return self.params[0] * x + self.params[1]

    assert [n for n, _ in Model().named_parameters()] == [f"params.{i}" for i in range(4)]
    Model()(xp.array([1.0, 1.0])).sum().backward()
    np.testing.assert_array_equal(xp.numpy(plist[0].grad), [1.0, 1.0])
    with pytest.raises(TypeError, match="ParameterList: Parameter wraps a Tensor or an array"):
        plist.append("w")


def test_parameter_dict(xp):
    pdict = nn.ParameterDict({"w": xp.array([1.0, 2.0])})
    pdict["b"] = xp.tensor([0.5])
    assert len(pdict) == 2 and "w" in pdict and "x" not in pdict
    assert pdict.keys() == ["w", "b"] and list(pdict) == ["w", "b"]
    assert [k for k, _ in pdict.items()] == ["w", "b"]
    assert all(isinstance(p, nn.Parameter) and xp.same_place(p) for p in pdict.values())
    assert [n for n, _ in pdict.named_parameters()] == ["w", "b"]
    assert pdict["b"] is pdict.values()[1]
    with pytest.raises(TypeError, match="keys must be str"):
        pdict[0] = xp.array([1.0])


def test_container_subclass_without_super_init(xp):
    class Block(nn.Sequential):
        def __init__(self):  # no super().__init__()
            self.append(nn.Linear(2, 2, device=xp.device)).append(nn.Tanh())

    block = Block()
    assert len(block) == 2 and [n for n, _ in block.named_parameters()] == ["0.weight", "0.bias"]
    assert xp.same_place(block(xp.array([[1.0, 2.0]])))
    with pytest.raises(AttributeError, match="'Block' object has no attribute 'missing'"):
        block.missing  # noqa: B018
