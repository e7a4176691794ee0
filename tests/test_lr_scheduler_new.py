"""OneCycleLR, CyclicLR, CosineAnnealingWarmRestarts, PolynomialLR, ConstantLR, SequentialLR and
ChainedScheduler give torch.optim.lr_scheduler's rates (and momenta), step for step."""

from __future__ import annotations

import numpy as np
import pytest

from xpnet import optim
from xpnet.optim import lr_scheduler

STEPS = 50
LRS = (0.1, 0.03)


class Halving:
    """A callable object (not a function): CyclicLR keeps its ``__dict__`` in the state dict."""

    def __init__(self, base):
        self.base = base

    def __call__(self, x):
        return self.base**x


def _sequential(m, o):
    return m.SequentialLR(o, [m.ConstantLR(o, factor=0.1, total_iters=3), m.ExponentialLR(o, 0.9)],
                          milestones=[5])


def _sequential3(m, o):
    return m.SequentialLR(o, [m.LinearLR(o, start_factor=0.2, total_iters=4),
                              m.CosineAnnealingLR(o, T_max=8, eta_min=0.001),
                              m.StepLR(o, step_size=3, gamma=0.5)], milestones=[6, 20])


SCHEDULES = {
    "OneCycleLR": lambda m, o: m.OneCycleLR(o, max_lr=0.5, total_steps=STEPS + 1),
    "OneCycleLR-linear-3phase": lambda m, o: m.OneCycleLR(
        o, max_lr=[0.5, 0.2], epochs=6, steps_per_epoch=9, anneal_strategy="linear", three_phase=True,
        pct_start=0.25, base_momentum=0.7, max_momentum=[0.9, 0.95], div_factor=10.0,
        final_div_factor=100.0),
    "OneCycleLR-no-momentum": lambda m, o: m.OneCycleLR(o, max_lr=0.3, total_steps=60,
                                                        cycle_momentum=False),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=7),
    "CosineAnnealingWarmRestarts-T_mult": lambda m, o: m.CosineAnnealingWarmRestarts(
        o, T_0=3, T_mult=2, eta_min=0.001),
    "CyclicLR": lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4),
    "CyclicLR-triangular2": lambda m, o: m.CyclicLR(o, base_lr=[0.01, 0.02], max_lr=0.2,
                                                    step_size_up=3, step_size_down=6,
                                                    mode="triangular2"),
    "CyclicLR-exp_range": lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=5,
                                                  mode="exp_range", gamma=0.95, base_momentum=0.5),
    "CyclicLR-scale_fn": lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=2,
                                                 scale_fn=Halving(0.8), scale_mode="iterations",
                                                 cycle_momentum=False),
    "PolynomialLR": lambda m, o: m.PolynomialLR(o),
    "PolynomialLR-power": lambda m, o: m.PolynomialLR(o, total_iters=20, power=2.0),
    "ConstantLR": lambda m, o: m.ConstantLR(o, factor=0.5, total_iters=4),
    "SequentialLR": _sequential,
    "SequentialLR-3": _sequential3,
    "ChainedScheduler": lambda m, o: m.ChainedScheduler([m.ConstantLR(o, factor=0.1, total_iters=3),
                                                         m.ExponentialLR(o, gamma=0.9)]),
    "ChainedScheduler-optimizer": lambda m, o: m.ChainedScheduler(
        [m.LinearLR(o, start_factor=0.5, total_iters=6), m.StepLR(o, step_size=4, gamma=0.7)],
        optimizer=o),
}
BETAS = ["OneCycleLR", "CyclicLR-exp_range"]  # also run on Adam, whose beta1 is cycled


def _ours(xp, lrs=LRS, adam=False):
    groups = [{"params": [xp.tensor([1.0, 2.0], requires_grad=True)], "lr": lr} for lr in lrs]
    return optim.Adam(groups, lr=lrs[0]) if adam else optim.SGD(groups, lr=lrs[0], momentum=0.9)


def _theirs(torch, lrs=LRS, adam=False):
    groups = [{"params": [torch.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
    return torch.optim.Adam(groups, lr=lrs[0]) if adam else torch.optim.SGD(groups, lr=lrs[0],
                                                                             momentum=0.9)


def _options(opt):
    """Every group's lr and momentum (or beta1): what the schedules write."""
    return [(g["lr"], g["betas"][0] if "betas" in g else g["momentum"]) for g in opt.param_groups]


def _cases():
    return [(name, False) for name in SCHEDULES] + [(name, True) for name in BETAS]


@pytest.mark.parametrize(("name", "adam"), _cases(),
                         ids=[n + ("-Adam" if a else "") for n, a in _cases()])
def test_schedule_matches_torch(xp, torch, name, adam):
    opt, ref_opt = _ours(xp, adam=adam), _theirs(torch, adam=adam)
    sched = SCHEDULES[name](lr_scheduler, opt)
    ref = SCHEDULES[name](torch.optim.lr_scheduler, ref_opt)
    seen = []
    for step in range(STEPS + 1):
        np.testing.assert_allclose(sched.get_last_lr(), ref.get_last_lr(), rtol=1e-10, atol=1e-12,
                                   err_msg=f"{name} epoch {step}")
        np.testing.assert_allclose(_options(opt), _options(ref_opt), rtol=1e-10, atol=1e-12,
                                   err_msg=f"{name} epoch {step}")
        assert getattr(sched, "last_epoch", None) == getattr(ref, "last_epoch", None)
        seen.append(tuple(g["lr"] for g in opt.param_groups))
        opt.step()
        ref_opt.step()
        sched.step()
        ref.step()
    assert len(set(seen)) > 1  # the schedule did change the rates


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_state_dict_resumes_the_schedule(xp, torch, name):
    """Saved at epoch 20 and loaded into fresh objects, the schedule goes on as torch's does."""
    opt, ref_opt = _ours(xp), _theirs(torch)
    sched = SCHEDULES[name](lr_scheduler, opt)
    ref = SCHEDULES[name](torch.optim.lr_scheduler, ref_opt)
    for _ in range(20):
        for o, s in ((opt, sched), (ref_opt, ref)):
            o.step()
            s.step()
    saved_opt, saved = opt.state_dict(), sched.state_dict()
    assert "optimizer" not in saved

    resumed_opt = _ours(xp, lrs=(7.0, 7.0))
    resumed = SCHEDULES[name](lr_scheduler, resumed_opt)
    resumed.load_state_dict(saved)
    resumed_opt.load_state_dict(saved_opt)  # after creating the scheduler, as in PyTorch
    assert getattr(resumed, "last_epoch", None) == getattr(sched, "last_epoch", None)
    if hasattr(sched, "_schedulers"):
        assert [s.last_epoch for s in resumed._schedulers] == [s.last_epoch for s in sched._schedulers]
    for step in range(STEPS - 20):
        for o, s in ((resumed_opt, resumed), (ref_opt, ref)):
            o.step()
            s.step()
        np.testing.assert_allclose(resumed.get_last_lr(), ref.get_last_lr(), rtol=1e-10, atol=1e-12,
                                   err_msg=f"{name} resumed, step {step}")
        np.testing.assert_allclose(_options(resumed_opt), _options(ref_opt), rtol=1e-10, atol=1e-12)


def test_warm_restarts_take_fractional_epochs_as_torch(xp, torch):
    """The SGDR idiom: ``scheduler.step(epoch + i / iters)`` after every batch."""
    opt, ref_opt = _ours(xp), _theirs(torch)
    sched = lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2, eta_min=0.01)
    ref = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(ref_opt, T_0=2, T_mult=2, eta_min=0.01)
    iters = 4
    for epoch in range(8):
        for i in range(iters):
            opt.step()
            ref_opt.step()
            sched.step(epoch + i / iters)
            ref.step(epoch + i / iters)
            np.testing.assert_allclose(sched.get_last_lr(), ref.get_last_lr(), rtol=1e-10)
            assert (sched.T_i, sched.last_epoch) == (ref.T_i, ref.last_epoch)
    with pytest.raises(ValueError, match="Expected non-negative epoch, but got -1"):
        sched.step(-1)


def test_cyclic_lr_drives_sgd_momentum(xp):
    """The momentum a schedule writes is the one the next optimizer step uses."""
    p = xp.tensor([0.0], "float64", requires_grad=True)
    opt = optim.SGD([p], lr=1.0, momentum=0.0)
    sched = lr_scheduler.CyclicLR(opt, base_lr=0.1, max_lr=0.3, step_size_up=1, base_momentum=0.5,
                                  max_momentum=0.5)
    assert opt.param_groups[0]["momentum"] == 0.5 and opt.param_groups[0]["lr"] == 0.1
    for _ in range(2):
        p.grad = xp.array([1.0], "float64")
        opt.step()
        sched.step()
    np.testing.assert_allclose(xp.numpy(p), [-(0.1 * 1.0 + 0.3 * 1.5)])  # buf = 1, then 0.5 + 1


@pytest.mark.parametrize(("make", "error", "match"), [
    (lambda m, o: m.OneCycleLR(o, max_lr=0.1), ValueError, "either total_steps OR"),
    (lambda m, o: m.OneCycleLR(o, max_lr=0.1, total_steps=0), ValueError,
     "Expected positive integer total_steps, but got 0"),
    (lambda m, o: m.OneCycleLR(o, max_lr=0.1, total_steps=5, pct_start=2.0), ValueError,
     "pct_start, but got 2.0"),
    (lambda m, o: m.OneCycleLR(o, max_lr=0.1, total_steps=5, anneal_strategy="tan"), ValueError,
     "anneal_strategy must be one of 'cos' or 'linear'"),
    (lambda m, o: m.OneCycleLR(o, max_lr=[0.1], total_steps=5), ValueError,
     "max_lr must have the same length as optimizer.param_groups"),
    (lambda m, o: m.CyclicLR(o, 0.1, 0.2, mode="square"), ValueError, "mode is invalid"),
    (lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=0), ValueError,
     "Expected positive integer T_0, but got 0"),
    (lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0), ValueError,
     "Expected integer T_mult >= 1, but got 0"),
    (lambda m, o: m.ConstantLR(o, factor=1.5), ValueError, "between 0 and 1"),
    (lambda m, o: m.SequentialLR(o, [m.ConstantLR(o)], milestones=[3]), ValueError,
     "one more than the number of milestone points"),
    (lambda m, o: m.SequentialLR(o, [], milestones=[]), ValueError, "at least one scheduler"),
    (lambda m, o: m.ChainedScheduler([m.ConstantLR(o), m.ReduceLROnPlateau(o)]), ValueError,
     "does not support `ReduceLROnPlateau`"),
], ids=["onecycle-no-steps", "onecycle-zero", "onecycle-pct", "onecycle-anneal", "onecycle-groups",
        "cyclic-mode", "warm-T_0", "warm-T_mult", "constant-factor", "sequential-milestones",
        "sequential-empty", "chained-plateau"])
def test_bad_arguments_raise_as_torch(xp, torch, make, error, match):
    with pytest.raises(error, match=match):
        make(lr_scheduler, _ours(xp))
    with pytest.raises(error):  # torch refuses the same arguments
        make(torch.optim.lr_scheduler, _theirs(torch))


def test_schedulers_refuse_another_optimizer_and_one_cycle_overrun(xp):
    opt, other = _ours(xp), _ours(xp)
    with pytest.raises(ValueError, match="belong to the same optimizer"):
        lr_scheduler.SequentialLR(opt, [lr_scheduler.ConstantLR(opt), lr_scheduler.ConstantLR(other)],
                                  milestones=[2])
    sched = lr_scheduler.OneCycleLR(_ours(xp), max_lr=0.1, total_steps=3)
    for _ in range(3):
        sched.step()
    with pytest.raises(ValueError, match=r"Tried to step 4 times\. The specified number of total steps is 3"):
        sched.step()
    with pytest.raises(ValueError, match="must support momentum or beta1"):
        lr_scheduler.CyclicLR(optim.Adagrad([xp.tensor([1.0], requires_grad=True)]), 0.1, 0.2)
