"""No host synchronisation inside a training step: forward, loss, backward and optimizer step.

torch's ``meta`` tensors have shapes and dtypes but no values: reading one
(``float()``, ``bool()``, ``.item()``, a Python ``if`` on an array, a copy to
NumPy) raises. A whole training step on meta tensors therefore proves that
the step never waits for the device -- on a GPU, the step's kernels are only
queued, and the host runs ahead. (Value checks such as class indices in
range run only where reading is free: ``_backend.on_host``.)
"""

from __future__ import annotations

import pytest

import xpnet as xn
from xpnet import nn, optim

OPTIMIZERS = {
    "SGD-momentum": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    "Adam": lambda ps: optim.Adam(ps, lr=0.01, amsgrad=True),
    "AdamW": lambda ps: optim.AdamW(ps, lr=0.01),
}


@pytest.fixture
def meta(torch):
    return torch.device("meta")


def _empty(torch, meta, *shape, dtype=None):
    return torch.empty(shape, dtype=dtype or torch.float32, device=meta)


def _train(model, loss_fn, x, y, make_opt, steps=2):
    opt = make_opt(model.parameters())
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    return loss


def test_meta_tensors_hold_no_values(torch, meta):
    t = xn.Tensor(_empty(torch, meta, 2))
    with pytest.raises((RuntimeError, NotImplementedError)):
        float(t.sum())
    with pytest.raises((RuntimeError, NotImplementedError)):
        bool((t > 0).array.any())


@pytest.mark.parametrize("fuse", [True, False], ids=["fused", "layer-by-layer"])
@pytest.mark.parametrize("opt", list(OPTIMIZERS))
def test_mlp_mse_step_never_reads_values(torch, meta, opt, fuse):
    model = nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Linear(16, 16), nn.Sigmoid(),
                          nn.Linear(16, 16), nn.GELU(approximate="tanh"), nn.Linear(16, 2)).to(meta)
    model.fuse_activations = fuse
    loss = _train(model, nn.MSELoss(), _empty(torch, meta, 8, 3), _empty(torch, meta, 8, 2),
                  OPTIMIZERS[opt])
    assert loss.array.device.type == "meta"
    assert all(p.array.device.type == "meta" for p in model.parameters())


@pytest.mark.parametrize("opt", list(OPTIMIZERS))
def test_cross_entropy_step_never_reads_values(torch, meta, opt):
    model = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 4)).to(meta)
    y = _empty(torch, meta, 8, dtype=torch.int64)  # class indices: their range is not checked here
    loss = _train(model, nn.CrossEntropyLoss(label_smoothing=0.1), _empty(torch, meta, 8, 3), y,
                  OPTIMIZERS[opt])
    assert loss.array.device.type == "meta"


@pytest.mark.parametrize("loss_fn", [nn.BCEWithLogitsLoss(), nn.HuberLoss(), nn.L1Loss()],
                         ids=["bce-logits", "huber", "l1"])
def test_other_losses_never_read_values(torch, meta, loss_fn):
    model = nn.Sequential(nn.Linear(3, 8), nn.LeakyReLU(0.1), nn.Linear(8, 1)).to(meta)
    _train(model, loss_fn, _empty(torch, meta, 8, 3), _empty(torch, meta, 8, 1), OPTIMIZERS["Adam"])


@pytest.mark.parametrize("opt", list(OPTIMIZERS))
def test_ensemble_step_never_reads_values(torch, meta, opt):
    ens = nn.Ensemble(4, lambda: nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))).to(meta)
    _train(ens, lambda pred, y: ens.loss(nn.MSELoss(), pred, y), _empty(torch, meta, 16, 2),
           _empty(torch, meta, 16, 1), OPTIMIZERS[opt])
    assert ens[0].weight.array.device.type == "meta"
