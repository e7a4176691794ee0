"""nn.Module and nn.Parameter: reflection, names, modes, grads, moving, saving and loading."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import xpnet as xn
from xpnet import _backend, nn


def _net(xp, dtype="float32"):
    """A model using every kind of member: attributes, Sequential, lists and dicts."""

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.Sequential(nn.Linear(3, 4, device=xp.device, dtype=dtype), nn.ReLU(),
                                        nn.Linear(4, 2, device=xp.device, dtype=dtype))
            self.head = nn.Linear(2, 1, bias=False, device=xp.device, dtype=dtype)
            self.scale = nn.Parameter(xp.array([1.5], dtype))
            self.params = nn.ParameterList([xp.array(np.ones((2, 2)), dtype)])
            self.pdict = nn.ParameterDict({"shift": xp.array([0.5], dtype)})
            self.blocks = nn.ModuleList([nn.Linear(1, 1, device=xp.device, dtype=dtype)])
            self.named = nn.ModuleDict({"out": nn.Linear(1, 2, device=xp.device, dtype=dtype)})
            self.not_a_member = [nn.Linear(1, 1)]  # a plain list hides modules, as in PyTorch

        def forward(self, x):
            h = self.head(self.layers(x) @ self.params[0]) * self.scale + self.pdict["shift"]
            return self.named["out"](self.blocks[0](h))

    return Net()


def _torch_net(torch):
    """The same architecture in torch.nn, for the expected names."""

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(),
                                              torch.nn.Linear(4, 2))
            self.head = torch.nn.Linear(2, 1, bias=False)
            self.scale = torch.nn.Parameter(torch.ones(1))
            self.params = torch.nn.ParameterList([torch.ones(2, 2)])
            self.pdict = torch.nn.ParameterDict({"shift": torch.ones(1)})
            self.blocks = torch.nn.ModuleList([torch.nn.Linear(1, 1)])
            self.named = torch.nn.ModuleDict({"out": torch.nn.Linear(1, 2)})

    return Net()


# -- Parameter ---------------------------------------------------------------------------
def test_parameter_wraps_without_copy(xp):
    arr = xp.array([[1.0, 2.0]])
    p = nn.Parameter(arr)
    assert isinstance(p, xn.Tensor) and p.requires_grad and p.is_leaf
    assert p.array is arr and xp.same_place(p)
    t = xp.tensor([3.0])
    q = nn.Parameter(t, requires_grad=False)
    assert q.array is t.array and not q.requires_grad
    assert repr(p).startswith("Parameter containing:\ntensor(")
    assert type(p * 2) is xn.Tensor  # ops give plain tensors


def test_parameter_rejects_bad_data(xp):
    with pytest.raises(TypeError, match=r"got list; build one with xn.tensor"):
        nn.Parameter([1.0, 2.0])
    with pytest.raises(TypeError, match="only floating-point tensors can require grad"):
        nn.Parameter(xp.array([1, 2], "int64"))


# -- reflection and names ------------------------------------------------------------------
def test_named_parameters_match_torch(xp, torch):
    model = _net(xp)
    names = [n for n, _ in model.named_parameters()]
    assert names == [n for n, _ in _torch_net(torch).named_parameters()]
    # a module's own parameters come first, then its submodules', as in torch
    assert names[:5] == ["scale", "layers.0.weight", "layers.0.bias", "layers.2.weight",
                         "layers.2.bias"]
    assert "params.0" in names and "pdict.shift" in names
    assert [p.shape for p in model.parameters()] == [
        tuple(p.shape) for p in _torch_net(torch).parameters()]
    assert all(xp.same_place(p) for p in model.parameters())
    assert [n for n, _ in model.named_children()] == [
        n for n, _ in _torch_net(torch).named_children()]
    assert [n for n, _ in model.named_children()] == [
        "layers", "head", "params", "pdict", "blocks", "named"]
    assert [n for n, _ in model.named_modules()] == [
        n for n, _ in _torch_net(torch).named_modules()]
    assert next(iter(model.children())) is model.layers
    assert [n for n, _ in model.named_parameters(recurse=False)] == ["scale"]
    assert len(list(model.modules())) == len(list(_torch_net(torch).modules()))


def test_shared_parameters_are_yielded_once(xp, torch):
    lin = nn.Linear(2, 2, device=xp.device)
    model = nn.Sequential(lin, nn.ReLU(), lin)
    ref_lin = torch.nn.Linear(2, 2)
    ref = torch.nn.Sequential(ref_lin, torch.nn.ReLU(), ref_lin)
    assert [n for n, _ in model.named_parameters()] == [n for n, _ in ref.named_parameters()]
    assert list(model.state_dict()) == list(ref.state_dict())  # every name, as in torch
    assert len(list(model.parameters())) == 2

    class Tied(nn.Module):
        def __init__(self):
            self.a = nn.Parameter(xp.array([1.0]))
            self.b = self.a

    assert [n for n, _ in Tied().named_parameters()] == ["a"]


def test_subclass_without_super_init(xp):
    class Bare(nn.Module):
        def __init__(self):  # no super().__init__(): reflection needs none
            self.fc = nn.Linear(2, 3, device=xp.device)

        def forward(self, x):
            return xn.relu(self.fc(x))

    model = Bare()
    assert model.training is True
    assert [n for n, _ in model.named_parameters()] == ["fc.weight", "fc.bias"]
    out = model(xp.array([[1.0, -1.0]]))
    assert out.shape == (1, 3) and xp.same_place(out)
    assert model.eval() is model and not model.training and not model.fc.training


def test_module_without_forward_names_the_class(xp):
    class NoForward(nn.Module):
        pass

    with pytest.raises(NotImplementedError, match="NoForward has no forward"):
        NoForward()(xp.array([1.0]))
    with pytest.raises(NotImplementedError, match="ModuleList has no forward"):
        nn.ModuleList()(xp.array([1.0]))


def test_train_eval_propagate(xp):
    model = _net(xp)
    assert model.eval() is model
    assert all(not m.training for m in model.modules())
    assert model.train() is model
    assert all(m.training for m in model.modules())
    model.layers.train(False)
    assert model.training and not model.layers[0].training and model.head.training
    with pytest.raises(ValueError, match="True or False"):
        model.train("no")


def test_zero_grad_both_ways(xp):
    model = _net(xp)
    model(xp.array(np.ones((5, 3)))).sum().backward()
    grads = {n: p.grad.array for n, p in model.named_parameters()}
    assert all(g is not None for g in grads.values())
    kept = xp.numpy(grads["layers.0.weight"]).copy()
    model.zero_grad(set_to_none=False)
    for name, p in model.named_parameters():
        assert p.grad.array is not grads[name]  # rebound, not zeroed in place
        assert xp.same_place(p.grad) and p.grad.array.dtype == p.array.dtype
        np.testing.assert_array_equal(xp.numpy(p.grad), np.zeros(p.shape))
    np.testing.assert_array_equal(xp.numpy(grads["layers.0.weight"]), kept)
    assert np.abs(kept).sum() > 0
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_repr_is_nested_like_torch(xp):
    model = nn.Sequential(nn.Linear(3, 4, device=xp.device), nn.ReLU(),
                          nn.Sequential(nn.Dropout(0.1), nn.Linear(4, 1, bias=False)))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=3, out_features=4, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Sequential(\n"
        "    (0): Dropout(p=0.1, inplace=False)\n"
        "    (1): Linear(in_features=4, out_features=1, bias=False)\n"
        "  )\n"
        ")"
    )


# -- state dicts ----------------------------------------------------------------------------
def test_state_dict_round_trip(xp):
    a, b = _net(xp), _net(xp)
    sd = a.state_dict()
    assert isinstance(sd, OrderedDict)
    assert list(sd) == [n for n, _ in a.named_parameters()]
    assert all(sd[n] is p.array for n, p in a.named_parameters())
    x = xp.array(np.random.default_rng(0).standard_normal((4, 3)))
    assert not np.allclose(xp.numpy(a(x)), xp.numpy(b(x)))
    result = b.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    np.testing.assert_array_equal(xp.numpy(a(x)), xp.numpy(b(x)))
    assert all(xp.same_place(p) for p in b.parameters())
    with xn.no_grad():  # the loaded model owns copies
        a.layers[0].weight += 1.0
    assert not np.allclose(xp.numpy(a(x)), xp.numpy(b(x)))


def test_load_torch_state_dict_matches_torch(xp, torch):
    torch.manual_seed(0)
    ref = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3),
                              torch.nn.Sigmoid()).double()
    model = nn.Sequential(nn.Linear(4, 8, device=xp.device, dtype="float64"), nn.Tanh(),
                          nn.Linear(8, 3, device=xp.device, dtype="float64"), nn.Sigmoid())
    model.load_state_dict(ref.state_dict())  # torch tensors, converted to this backend
    assert all(xp.same_place(p) and p.dtype == xn.float64 for p in model.parameters())
    x = np.random.default_rng(1).standard_normal((6, 4))
    out = model(xp.array(x, "float64"))
    expected = ref(torch.from_numpy(x)).detach().numpy()
    assert xp.same_place(out) and out.dtype == xn.float64
    np.testing.assert_allclose(xp.numpy(out), expected, rtol=0, atol=1e-10)
    # torch's keep_vars=True (tensors that require grad) and NumPy arrays load too
    model.load_state_dict(ref.state_dict(keep_vars=True))
    model.load_state_dict({k: v.detach().numpy() for k, v in ref.state_dict().items()})
    np.testing.assert_allclose(xp.numpy(model(xp.array(x, "float64"))), expected, atol=1e-10)
    assert all(not getattr(p.array, "requires_grad", False) for p in model.parameters())


def test_load_casts_to_the_parameter_dtype(xp):
    model = nn.Linear(2, 1, device=xp.device)
    model.load_state_dict({"weight": np.array([[1.0, 2.0]]), "bias": xn.tensor([0.5], "float64")})
    assert model.weight.dtype == xn.float32 and xp.same_place(model.weight)
    np.testing.assert_array_equal(xp.numpy(model.weight), [[1.0, 2.0]])
    np.testing.assert_array_equal(xp.numpy(model.bias), [0.5])


def _snapshot(model, xp):
    return {n: (p.array, xp.numpy(p).copy()) for n, p in model.named_parameters()}


def _unchanged(model, xp, snap):
    for n, p in model.named_parameters():
        assert p.array is snap[n][0]
        np.testing.assert_array_equal(xp.numpy(p), snap[n][1])


def test_load_errors_name_the_keys_and_change_nothing(xp):
    model = nn.Sequential(nn.Linear(3, 4, device=xp.device), nn.ReLU(),
                          nn.Linear(4, 2, device=xp.device))
    good = {k: np.zeros(tuple(v.shape), "float32") for k, v in model.state_dict().items()}
    snap = _snapshot(model, xp)

    missing = dict(good)
    del missing["2.bias"]
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "2.bias"'):
        model.load_state_dict(missing)
    _unchanged(model, xp, snap)

    with pytest.raises(RuntimeError, match=r'Unexpected key\(s\) in state_dict: "extra.weight"'):
        model.load_state_dict({**good, "extra.weight": np.zeros(3)})
    _unchanged(model, xp, snap)

    bad_shape = {**good, "0.weight": np.zeros((4, 5), "float32")}
    with pytest.raises(RuntimeError, match=r"size mismatch for 0.weight.*\(4, 5\).*\(4, 3\)"):
        model.load_state_dict(bad_shape)
    _unchanged(model, xp, snap)
    with pytest.raises(RuntimeError, match=r"size mismatch for 0.weight"):
        model.load_state_dict(bad_shape, strict=False)  # shapes are checked even then
    _unchanged(model, xp, snap)

    with pytest.raises(RuntimeError, match=r"'0.bias' holds a list"):
        model.load_state_dict({**good, "0.bias": [0.0] * 4})
    _unchanged(model, xp, snap)

    result = model.load_state_dict({**missing, "extra": np.zeros(1)}, strict=False)
    assert result == (["2.bias"], ["extra"])
    assert result.missing_keys == ["2.bias"] and result.unexpected_keys == ["extra"]
    np.testing.assert_array_equal(xp.numpy(model[0].weight), np.zeros((4, 3)))
    np.testing.assert_array_equal(xp.numpy(model[2].bias), snap["2.bias"][1])


# -- moving -----------------------------------------------------------------------------------
def test_to_dtype_keeps_parameter_objects(xp):
    model = _net(xp)
    params = list(model.parameters())  # what an optimizer built now would hold
    model(xp.array(np.ones((2, 3)))).sum().backward()
    assert model.to(dtype=xn.float64) is model
    assert [id(p) for p in model.parameters()] == [id(p) for p in params]
    for p in params:
        assert p.dtype == xn.float64 and p.grad.dtype == p.array.dtype
        assert xp.same_place(p) and xp.same_place(p.grad)
    out = model(xp.array(np.ones((2, 3)), "float64"))
    assert out.dtype == xn.float64
    assert model.float() is model and all(p.dtype == xn.float32 for p in params)
    assert model.double() is model and all(p.dtype == xn.float64 for p in params)
    model.to(xn.float32)  # a dtype as the first argument, as in PyTorch
    assert all(p.dtype == xn.float32 for p in params)
    with pytest.raises(TypeError, match="only casts to floating dtypes"):
        model.to(dtype="int64")
    with xn.no_grad():  # an update through the old references reaches the model
        for p in params:
            p -= 0.1 * p.grad
    assert all(p.dtype == xn.float32 and xp.same_place(p) for p in model.parameters())


def test_to_another_device_and_back(xp):
    strict = pytest.importorskip("array_api_strict")
    model = _net(xp, dtype="float64")
    params = list(model.parameters())
    x = np.random.default_rng(2).standard_normal((3, 3))
    before = xp.numpy(model(xp.array(x, "float64")))
    model(xp.array(x, "float64")).sum().backward()

    device1 = strict.Device("device1")
    assert model.to(device1) is model
    assert [id(p) for p in model.parameters()] == [id(p) for p in params]
    for p in params:
        assert p.xp.namespace is strict and p.device == device1 and p.grad.device == device1
    out = model(strict.asarray(x, device=device1))
    assert out.device == device1
    np.testing.assert_array_equal(xp.numpy(out), before)
    if xp.name != "array_api_strict-device1":
        with pytest.raises(RuntimeError, match="different"):
            model(xp.array(x, "float64"))

    if xp.name == "numpy":  # from array_api_strict, "cpu" is its own CPU device
        model.to("cpu")
        assert all(p.xp.namespace is strict and p.device == strict.Device("CPU_DEVICE") for p in params)
    else:
        model.to(xp.device)
        assert all(xp.same_place(p) and xp.same_place(p.grad) for p in params)
        np.testing.assert_array_equal(xp.numpy(model(xp.array(x, "float64"))), before)
    assert [id(p) for p in model.parameters()] == [id(p) for p in params]


def test_failed_move_changes_nothing(xp):
    model = nn.Linear(2, 2, device=xp.device)
    snap = _snapshot(model, xp)
    with pytest.raises(ValueError, match="unknown device"):
        model.to("tpu")
    _unchanged(model, xp, snap)
    assert all(_backend.namespace(p.array) is xp.ns for p in model.parameters())
