"""Learning-rate schedulers give torch.optim.lr_scheduler's values, step for step."""

from __future__ import annotations

import numpy as np
import pytest

from xpnet import optim
from xpnet.optim import lr_scheduler

STEPS = 30
LRS = (0.1, 0.03)


class Warmup:
    """A callable object (not a function): its attributes go into the state dict."""

    def __init__(self, epochs):
        self.epochs = epochs

    def __call__(self, epoch):
        return min(1.0, (epoch + 1) / self.epochs)


SCHEDULES = {
    "StepLR": lambda m, o: m.StepLR(o, step_size=4, gamma=0.5),
    "StepLR-default-gamma": lambda m, o: m.StepLR(o, step_size=7),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, milestones=[3, 8, 8, 20], gamma=0.3),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=10),
    "CosineAnnealingLR-eta_min": lambda m, o: m.CosineAnnealingLR(o, T_max=7, eta_min=0.01),
    "LambdaLR": lambda m, o: m.LambdaLR(o, lambda epoch: 0.95**epoch),
    "LambdaLR-per-group": lambda m, o: m.LambdaLR(o, [lambda e: 1 / (1 + e), Warmup(5)]),
    "LinearLR": lambda m, o: m.LinearLR(o),
    "LinearLR-decay": lambda m, o: m.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=12),
}


def _ours(xp, lrs=LRS):
    groups = [{"params": [xp.tensor([1.0, 2.0], requires_grad=True)], "lr": lr} for lr in lrs]
    return optim.SGD(groups, lr=lrs[0])


def _theirs(torch, lrs=LRS):
    groups = [{"params": [torch.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
    return torch.optim.SGD(groups, lr=lrs[0])


def _lrs(opt):
    return [g["lr"] for g in opt.param_groups]


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_schedule_matches_torch(xp, torch, name):
    opt, ref_opt = _ours(xp), _theirs(torch)
    sched = SCHEDULES[name](lr_scheduler, opt)
    ref = SCHEDULES[name](torch.optim.lr_scheduler, ref_opt)
    seen = []
    for step in range(STEPS + 1):
        np.testing.assert_allclose(sched.get_last_lr(), ref.get_last_lr(), rtol=1e-10, atol=1e-12,
                                   err_msg=f"{name} epoch {step}")
        np.testing.assert_allclose(_lrs(opt), _lrs(ref_opt), rtol=1e-10, atol=1e-12)
        assert sched.last_epoch == ref.last_epoch == step
        seen.append(tuple(_lrs(opt)))
        opt.step()
        ref_opt.step()
        sched.step()
        ref.step()
    assert len(set(seen)) > 2  # the schedule did change the rates
    assert sched.base_lrs == list(LRS) and [g["initial_lr"] for g in opt.param_groups] == list(LRS)


def test_chained_schedulers_and_manual_changes_match_torch(xp, torch):
    """Rules are chainable: two schedulers on one optimizer, and an lr set by hand, carry forward."""
    opt, ref_opt = _ours(xp), _theirs(torch)
    ours = [lr_scheduler.LinearLR(opt, start_factor=0.2, total_iters=6),
            lr_scheduler.ExponentialLR(opt, gamma=0.9)]
    theirs = [torch.optim.lr_scheduler.LinearLR(ref_opt, start_factor=0.2, total_iters=6),
              torch.optim.lr_scheduler.ExponentialLR(ref_opt, gamma=0.9)]
    for step in range(STEPS):
        if step == 10:
            opt.param_groups[1]["lr"] = ref_opt.param_groups[1]["lr"] = 0.5
        opt.step()
        ref_opt.step()
        for s in (*ours, *theirs):
            s.step()
        np.testing.assert_allclose(_lrs(opt), _lrs(ref_opt), rtol=1e-10, err_msg=f"step {step}")


def test_scheduled_lr_drives_the_optimizer(xp):
    p = xp.tensor([0.0], "float64", requires_grad=True)
    opt = optim.SGD([p], lr=1.0)
    sched = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(3):
        p.grad = xp.array([1.0], "float64")
        opt.step()
        sched.step()
    np.testing.assert_allclose(xp.numpy(p), [-1.75])  # -(1 + 0.5 + 0.25)
    assert sched.get_last_lr() == [0.125]


@pytest.mark.parametrize("name", ["CosineAnnealingLR", "MultiStepLR", "LambdaLR-per-group", "LinearLR"])
def test_state_dict_resumes_the_schedule(xp, name):
    opt = _ours(xp)
    sched = SCHEDULES[name](lr_scheduler, opt)
    for _ in range(9):
        opt.step()
        sched.step()
    saved_opt, saved = opt.state_dict(), sched.state_dict()
    assert "optimizer" not in saved and saved["last_epoch"] == 9

    resumed_opt = _ours(xp, lrs=(7.0, 7.0))
    resumed = SCHEDULES[name](lr_scheduler, resumed_opt)
    resumed.load_state_dict(saved)
    resumed_opt.load_state_dict(saved_opt)  # after creating the scheduler, as in PyTorch
    assert resumed.last_epoch == 9 and resumed.base_lrs == list(LRS)
    for _ in range(10):
        for o, s in ((opt, sched), (resumed_opt, resumed)):
            o.step()
            s.step()
        assert _lrs(resumed_opt) == _lrs(opt) and resumed.get_last_lr() == sched.get_last_lr()


def test_lambda_state_dict_keeps_callable_objects_and_skips_functions(xp):
    opt = _ours(xp)
    warmup = Warmup(5)
    sched = lr_scheduler.LambdaLR(opt, [lambda e: 1.0, warmup])
    saved = sched.state_dict()
    assert saved["lr_lambdas"] == [None, {"epochs": 5}]
    other = Warmup(99)
    fresh = lr_scheduler.LambdaLR(_ours(xp), [lambda e: 1.0, other])
    fresh.load_state_dict(saved)
    assert other.epochs == 5 and saved["lr_lambdas"] == [None, {"epochs": 5}]


def test_resuming_needs_initial_lr_and_checks_arguments(xp):
    opt = _ours(xp)
    with pytest.raises(KeyError, match=r"'initial_lr' is not specified in param_groups\[0\]"):
        lr_scheduler.StepLR(opt, step_size=2, last_epoch=4)
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        lr_scheduler.ExponentialLR([], gamma=0.5)
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas"):
        lr_scheduler.LambdaLR(opt, [lambda e: 1.0])
    with pytest.raises(ValueError, match="step_size must be a positive int, got 0"):
        lr_scheduler.StepLR(opt, step_size=0)
    with pytest.raises(ValueError, match="T_max must be a positive"):
        lr_scheduler.CosineAnnealingLR(opt, T_max=0)
    with pytest.raises(ValueError, match=r"start_factor must be in \(0, 1\], got 0"):
        lr_scheduler.LinearLR(opt, start_factor=0)
    assert _lrs(opt) == list(LRS)  # failed constructions left the rates alone


# -- ReduceLROnPlateau: driven by a metric --------------------------------------------------------
# Falls, plateaus (changes below the threshold), rises and noise: every branch of the rule.
METRICS = [5.0, 4.0, 4.0, 3.9999, 4.1, 4.2, 3.0, 3.0, 3.0, 3.0, 2.9999, 2.5, 2.6, 2.7, 2.8, 2.4,
           2.4, 2.4, 2.4, 2.4, 2.4, 2.4, *[1.0] * 24]
PLATEAUS = {
    "defaults": {},
    "patience0": {"patience": 0},
    "min-abs-cooldown": {"patience": 1, "threshold": 0.05, "threshold_mode": "abs", "cooldown": 2,
                         "factor": 0.5},
    "max-rel": {"mode": "max", "patience": 2, "factor": 0.5, "threshold": 0.01},
    "max-abs-min_lr": {"mode": "max", "patience": 1, "threshold": 0.2, "threshold_mode": "abs",
                       "factor": 0.5, "min_lr": 0.005},
    "min_lr-per-group-cooldown": {"patience": 1, "factor": 0.3, "cooldown": 1,
                                  "min_lr": [0.005, 0.01]},
    "eps-blocks-tiny-steps": {"patience": 0, "factor": 0.5, "eps": 0.01},
}


@pytest.mark.parametrize("metric_kind", ["float", "tensor", "array"])
@pytest.mark.parametrize("name", list(PLATEAUS))
def test_reduce_lr_on_plateau_matches_torch(xp, torch, name, metric_kind):
    opt, ref_opt = _ours(xp), _theirs(torch)
    sched = lr_scheduler.ReduceLROnPlateau(opt, **PLATEAUS[name])
    ref = torch.optim.lr_scheduler.ReduceLROnPlateau(ref_opt, **PLATEAUS[name])
    assert sched.get_last_lr() == ref.get_last_lr() == list(LRS)  # creating it takes no step
    metrics = [10 - m for m in METRICS] if PLATEAUS[name].get("mode") == "max" else METRICS
    seen = set()
    for step, value in enumerate(metrics, 1):
        given = {"float": value, "tensor": xp.tensor(value, "float64"),
                 "array": xp.array(value, "float64")}[metric_kind]
        opt.step()
        ref_opt.step()
        sched.step(given)  # a 0-d tensor is read once with float(): the one host read
        ref.step(value)
        np.testing.assert_allclose(sched.get_last_lr(), ref.get_last_lr(), rtol=1e-12,
                                   err_msg=f"{name} step {step}")
        assert _lrs(opt) == sched.get_last_lr()
        assert (sched.last_epoch, sched.best, sched.num_bad_epochs, sched.cooldown_counter) == \
            (ref.last_epoch, ref.best, ref.num_bad_epochs, ref.cooldown_counter) == \
            (step, ref.best, ref.num_bad_epochs, ref.cooldown_counter)
        seen.add(tuple(_lrs(opt)))
    assert len(seen) > 2  # the rates did drop, more than once


def test_reduce_lr_on_plateau_state_dict_resumes(xp, torch):
    kwargs = PLATEAUS["min-abs-cooldown"]
    opt = _ours(xp)
    sched = lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    for value in METRICS[:9]:
        sched.step(value)
    saved, saved_opt = sched.state_dict(), opt.state_dict()
    assert "optimizer" not in saved
    assert set(saved) == set(torch.optim.lr_scheduler.ReduceLROnPlateau(
        _theirs(torch), **kwargs).state_dict())  # PyTorch's keys

    resumed_opt = _ours(xp, lrs=(7.0, 7.0))
    resumed = lr_scheduler.ReduceLROnPlateau(resumed_opt, mode="max", threshold_mode="rel")
    resumed_opt.load_state_dict(saved_opt)
    resumed.load_state_dict(saved)
    assert resumed.mode == "min" and resumed.threshold_mode == "abs" and resumed.best == sched.best
    for value in METRICS[9:]:
        sched.step(value)
        resumed.step(value)
        assert resumed.get_last_lr() == sched.get_last_lr() == _lrs(resumed_opt)


def test_reduce_lr_on_plateau_checks_arguments(xp):
    opt = _ours(xp)
    with pytest.raises(ValueError, match=r"factor must be < 1.0 .* got 1.5"):
        lr_scheduler.ReduceLROnPlateau(opt, factor=1.5)
    with pytest.raises(ValueError, match=r"mode must be 'min' or 'max', got 'lowest'"):
        lr_scheduler.ReduceLROnPlateau(opt, mode="lowest")
    with pytest.raises(ValueError, match=r"threshold_mode must be 'rel' or 'abs', got 'pct'"):
        lr_scheduler.ReduceLROnPlateau(opt, threshold_mode="pct")
    with pytest.raises(ValueError, match=r"expected 2 min_lrs \(one per parameter group\), got 3"):
        lr_scheduler.ReduceLROnPlateau(opt, min_lr=[0.0] * 3)
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        lr_scheduler.ReduceLROnPlateau([])
    with pytest.raises(ValueError, match="one-element tensor"):
        lr_scheduler.ReduceLROnPlateau(opt).step(xp.tensor([1.0, 2.0]))
    assert _lrs(opt) == list(LRS)
