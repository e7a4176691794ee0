"""The Module API against torch.nn.Module: buffers, registration, hooks, state dicts, moving.

Each test builds the same model in xpnet and in torch (one function over the
``nn`` namespace) and compares what a user sees: names, orders, dtypes, hook
calls and their gradients, the keys a load reports, the error texts.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import xpnet as xn
from xpnet import nn

RNG = np.random.default_rng(3)


def _net(m: Any, zeros: Any) -> Any:
    """A model with parameters, a BatchNorm and buffers of every kind, in namespace ``m``."""

    class Net(m.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = m.Linear(3, 4)
            self.bn = m.BatchNorm1d(4)
            self.register_buffer("scale", zeros(4) + 2)
            self.register_buffer("scratch", zeros(2), persistent=False)
            self.register_buffer("nothing", None)
            self.head = m.Sequential(m.ReLU(), m.Linear(4, 2))

        def forward(self, x: Any) -> Any:
            return self.head(self.bn(self.fc(x)) * self.scale)

    return Net()


def _pair(xp: Any, torch: Any) -> tuple[Any, Any]:
    theirs = _net(torch.nn, lambda n: torch.zeros(n)).double()
    ours = _net(nn, lambda n: xn.zeros(n, device=xp.device)).to(xp.device, xn.float64)
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


def test_buffers_are_listed_saved_and_loaded_as_torch(xp, torch):
    ours, theirs = _pair(xp, torch)
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert list(ours.state_dict()) == list(theirs.state_dict())  # "scratch" is not persistent
    assert "scratch" not in ours.state_dict() and "nothing" not in ours.state_dict()
    assert len(list(ours.buffers())) == len(list(theirs.buffers()))
    assert [n for n, _ in ours.named_buffers(recurse=False)] == ["scale", "scratch"]
    for name, b in ours.named_buffers():
        assert xp.same_place(b), name
    # train both for two steps: the running statistics move the same way
    for _ in range(2):
        x_host = RNG.standard_normal((5, 3))
        out, ref = ours(xp.tensor(x_host, "float64")), theirs(torch.tensor(x_host))
        np.testing.assert_allclose(xp.numpy(out), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    mine = ours.state_dict()
    for name, value in theirs.state_dict().items():
        np.testing.assert_allclose(xp.numpy(mine[name]), value.numpy(), rtol=1e-10, err_msg=name)
    # and a torch model loads ours
    fresh = _net(torch.nn, lambda n: torch.zeros(n)).double()
    fresh.load_state_dict({k: torch.tensor(xp.numpy(v)) for k, v in mine.items()})
    assert int(fresh.bn.num_batches_tracked) == 2


def test_to_casts_floating_buffers_and_keeps_integer_ones(xp, torch):
    ours, theirs = _pair(xp, torch)
    ours.to(xn.float32)
    theirs.to(torch.float32)
    for (name, b), (_, tb) in zip(ours.named_buffers(), theirs.named_buffers()):
        assert b.dtype.name == str(tb.dtype).replace("torch.", ""), name
        assert xp.same_place(b)
    ours.double()
    assert ours.bn.running_mean.dtype == xn.float64 and ours.bn.num_batches_tracked.dtype == xn.int64
    ours.float()
    assert ours.scale.dtype == xn.float32 and ours.fc.weight.dtype == xn.float32
    held = ours.bn.running_var
    ours.to(ours.fc.weight)  # a Tensor: its device and dtype
    assert ours.bn.running_var is held  # buffers keep their object, as parameters do
    if xp.name in ("numpy", "torch"):
        ours.half()
        assert ours.scale.dtype == xn.float16 and ours.fc.weight.dtype == xn.float16
        assert ours.bn.num_batches_tracked.dtype == xn.int64


def test_to_moves_buffers_between_devices():
    model = nn.BatchNorm1d(3)
    model.running_mean.data = model.running_mean.array + 1
    assert model.cpu() is model and model.running_mean.device == "cpu"
    if xn.cuda_available():
        model.cuda()
        assert "cuda" in str(model.running_mean.device) and "cuda" in str(model.weight.device)
        model.cpu()
    else:
        with pytest.raises(Exception, match=r"(?i)cuda|gpu"):
            model.cuda()
    assert float(np.asarray(model.running_mean.array)[0]) == 1.0  # a failed move changes nothing


def test_load_state_dict_reports_keys_as_torch(xp, torch):
    ours, theirs = _pair(xp, torch)
    state = {k: v.clone() for k, v in theirs.state_dict().items()}
    del state["fc.bias"]
    del state["bn.num_batches_tracked"]  # torch's BatchNorm keeps its own: not "missing"
    state["extra.weight"] = torch.zeros(2)
    ours_result = ours.load_state_dict(state, strict=False)
    theirs_result = theirs.load_state_dict(state, strict=False)
    assert ours_result.missing_keys == theirs_result.missing_keys
    assert ours_result.unexpected_keys == theirs_result.unexpected_keys
    assert tuple(ours_result) == (theirs_result.missing_keys, theirs_result.unexpected_keys)
    with pytest.raises(RuntimeError) as mine:
        ours.load_state_dict(state)
    with pytest.raises(RuntimeError) as ref:
        theirs.load_state_dict(state)
    assert str(mine.value).startswith(str(ref.value).rstrip())  # torch's text, then our hint
    assert "strict=False" in str(mine.value)


def test_registering_as_torch(xp, torch):
    for m in (nn, torch.nn):
        seq = m.Sequential(m.Linear(2, 2))
        seq.add_module("act", m.ReLU())
        seq.register_module("out", m.Linear(2, 1))
        layer = m.Linear(2, 2)
        layer.register_parameter("bias", None)
        layer.register_buffer("count", None)
        assert [n for n, _ in seq.named_children()] == ["0", "act", "out"]
        assert len(seq) == 3 and type(seq[1]).__name__ == "ReLU"
        assert [n for n, _ in layer.named_parameters()] == ["weight"]
        assert list(layer.state_dict()) == ["weight"]
        with pytest.raises(KeyError, match="attribute 'weight' already exists"):
            layer.register_buffer("weight", None)
        with pytest.raises(KeyError, match=r'contain "\."'):
            layer.register_buffer("a.b", None)
        with pytest.raises(TypeError):
            layer.register_parameter("w2", m.Linear(1, 1))
        assert seq.get_submodule("out") is seq[2]
    ours = nn.Linear(2, 2, device=xp.device)
    ours.register_buffer("raw", xp.array([1.0, 2.0]))  # a raw array is wrapped, not copied
    assert isinstance(ours.raw, xn.Tensor) and xp.same_place(ours.raw)


def test_apply_modules_and_requires_grad_as_torch(torch):
    def build(m: Any) -> Any:
        return m.Sequential(m.Linear(2, 3), m.Sequential(m.LayerNorm(3), m.SiLU()), m.Linear(3, 1))

    seen: dict[str, list[str]] = {"ours": [], "theirs": []}
    for key, m in (("ours", nn), ("theirs", torch.nn)):
        model = build(m)
        assert model.apply(lambda mod, k=key: seen[k].append(type(mod).__name__)) is model
        model.requires_grad_(False)
        assert not any(p.requires_grad for p in model.parameters())
        seen[key].append(",".join(n for n, _ in model.named_modules()))
        seen[key].append(repr(model))
    assert seen["ours"] == seen["theirs"]


# -- hooks -------------------------------------------------------------------------------------
def _hooked_run(m: Any, model: Any, x: Any, log: list[Any], numpy: Any) -> Any:
    """Hooks of every kind on every module of ``model``; forward and backward; the handles."""
    handles = []
    for name, mod in model.named_modules():
        name = name or "top"

        def pre(mod: Any, args: Any, name: str = name) -> None:
            log.append(("pre", name, len(args)))

        def fwd(mod: Any, args: Any, out: Any, name: str = name) -> None:
            log.append(("fwd", name, tuple(out.shape)))

        def bpre(mod: Any, grad_output: Any, name: str = name) -> None:
            log.append(("bpre", name, [numpy(g) for g in grad_output]))

        def bwd(mod: Any, grad_input: Any, grad_output: Any, name: str = name) -> None:
            log.append(("bwd", name, [None if g is None else numpy(g) for g in grad_input],
                        [numpy(g) for g in grad_output]))

        handles += [mod.register_forward_pre_hook(pre), mod.register_forward_hook(fwd),
                    mod.register_full_backward_pre_hook(bpre), mod.register_full_backward_hook(bwd)]
    out = model(x)
    out.sum().backward()
    return handles


def _same_log(ours: list[Any], theirs: list[Any]) -> None:
    assert [e[:2] for e in ours] == [e[:2] for e in theirs]
    for a, b in zip(ours, theirs):
        for u, v in zip(a[2:], b[2:]):
            if isinstance(u, list):
                assert len(u) == len(v)
                for gu, gv in zip(u, v):
                    assert (gu is None) == (gv is None), a[:2]
                    if gu is not None:
                        np.testing.assert_allclose(gu, gv, rtol=1e-10, atol=1e-12, err_msg=str(a[:2]))
            else:
                assert u == v, a[:2]


@pytest.mark.filterwarnings("ignore:Full backward hook is firing:UserWarning")  # torch's
@pytest.mark.parametrize("input_grad", [True, False])
def test_hooks_fire_in_torch_order_with_torch_gradients(xp, torch, input_grad):
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2),
                                 torch.nn.Tanh()).double()
    ours = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2), nn.Tanh()) \
        .to(xp.device, xn.float64)
    ours.load_state_dict(theirs.state_dict())
    x_host = RNG.standard_normal((5, 3))
    log_ours: list[Any] = []
    log_theirs: list[Any] = []
    x = xp.tensor(x_host, "float64", requires_grad=input_grad)
    xt = torch.tensor(x_host, requires_grad=input_grad)
    handles = _hooked_run(nn, ours, x, log_ours, xp.numpy)
    t_handles = _hooked_run(torch.nn, theirs, xt, log_theirs, lambda g: g.detach().numpy())
    _same_log(log_ours, log_theirs)
    if input_grad:
        np.testing.assert_allclose(xp.numpy(x.grad), xt.grad.numpy(), rtol=1e-10)
    # removing the handles silences every hook (and the fused fast path comes back)
    for h in handles + t_handles:
        h.remove()
        h.remove()  # twice is harmless, as in torch
    log_ours.clear()
    ours(x).sum().backward()
    assert log_ours == []


def test_hooks_that_change_values_as_torch(xp, torch):
    def build(m: Any) -> Any:
        return m.Sequential(m.Linear(3, 3), m.Sigmoid(), m.Linear(3, 1))

    def hook_up(model: Any, order: list[str]) -> None:
        model[0].register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
        model[1].register_forward_hook(lambda mod, args, out: out + 1)
        model[2].register_full_backward_hook(lambda mod, gi, go: (gi[0] * 3,))
        model[1].register_forward_hook(lambda mod, a, o: order.append("second"))
        model[1].register_forward_hook(lambda mod, a, o: order.append("first"), prepend=True)
        with model[0].register_forward_hook(lambda mod, a, o: order.append("ctx")):
            pass  # leaving the block removes it

    x_host = RNG.standard_normal((4, 3))
    theirs = build(torch.nn).double()
    ours = build(nn).to(xp.device, xn.float64)
    ours.load_state_dict(theirs.state_dict())
    t_order: list[str] = []
    o_order: list[str] = []
    hook_up(theirs, t_order)
    hook_up(ours, o_order)
    xt = torch.tensor(x_host, requires_grad=True)
    x = xp.tensor(x_host, "float64", requires_grad=True)
    out_t, out = theirs(xt), ours(x)
    out_t.sum().backward()
    out.sum().backward()
    np.testing.assert_allclose(xp.numpy(out), out_t.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(xp.numpy(x.grad), xt.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(xp.numpy(ours[0].weight.grad), theirs[0].weight.grad.numpy(),
                               rtol=1e-10)
    assert o_order == t_order == ["first", "second"]


def test_a_hook_on_a_fused_activation_still_fires(xp):
    model = nn.Sequential(nn.Linear(2, 3, device=xp.device), nn.ReLU())
    x = xp.tensor([[1.0, -2.0]])
    fused = model(x)
    assert fused.grad_fn == "linear+relu"  # Linear + ReLU ran as one node
    calls = []
    handle = model[1].register_forward_hook(lambda mod, a, o: calls.append(o))
    hooked = model(x)
    assert len(calls) == 1 and hooked.grad_fn == "relu"
    np.testing.assert_allclose(xp.numpy(hooked), xp.numpy(fused), rtol=1e-6)
    handle.remove()
    assert model(x).grad_fn == "linear+relu" and len(calls) == 1


def test_hooks_with_kwargs_as_torch(xp, torch):
    outs = []
    for m, x in ((nn, xp.tensor([1.0, 2.0])), (torch.nn, torch.tensor([1.0, 2.0]))):
        class Scale(m.Module):
            def forward(self, x: Any, factor: float = 1.0) -> Any:
                return x * factor

        layer = Scale()
        seen: list[Any] = []
        layer.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"factor": 3.0}),
                                        with_kwargs=True)
        layer.register_forward_hook(lambda mod, args, kwargs, out, seen=seen: seen.append(kwargs)
                                    or out + 1,
                                    with_kwargs=True)
        out = layer(x, factor=2.0)
        outs.append((np.asarray(out.tolist()), seen))
    (ours, ours_seen), (theirs, theirs_seen) = outs
    np.testing.assert_allclose(ours, theirs)
    assert ours_seen == theirs_seen == [{"factor": 3.0}]
