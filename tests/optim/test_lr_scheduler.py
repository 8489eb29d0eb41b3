"""Learning-rate schedulers against torch.optim.lr_scheduler: the same rate (and momentum)
sequences on identical optimizers with two param groups."""

import math
import warnings

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler as tsched

import glia
from glia import optim
from glia.optim import lr_scheduler as gsched
from helpers import check_raises

STEPS = 35


def optimizers(kind="sgd"):
    """The same two-group optimizer in glia and torch (no gradients: steps change nothing)."""
    out = []
    for lib, mod in ((glia, optim), (torch, torch.optim)):
        a, b = lib.zeros(3, requires_grad=True), lib.zeros(2, requires_grad=True)
        groups = [{"params": [a]}, {"params": [b], "lr": 0.03}]
        if kind == "sgd":
            out.append(mod.SGD(groups, lr=0.1, momentum=0.9))
        else:
            out.append(mod.Adam(groups, lr=0.1, betas=(0.9, 0.99)))
    return out


def lrs(opt, key="lr"):
    return [g[key] if key != "beta1" else g["betas"][0] for g in opt.param_groups]


SCHEDULERS = {
    "StepLR": lambda m, o: m.StepLR(o, step_size=4, gamma=0.5),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, milestones=[3, 7, 7, 20], gamma=0.3),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=10),
    "CosineAnnealingLR-eta_min": lambda m, o: m.CosineAnnealingLR(o, T_max=7, eta_min=0.005),
    "LinearLR": lambda m, o: m.LinearLR(o, start_factor=0.25, end_factor=0.9, total_iters=12),
    "LinearLR-default": lambda m, o: m.LinearLR(o),
    "LambdaLR": lambda m, o: m.LambdaLR(o, lambda e: 1 / (1 + 0.3 * e)),
    "LambdaLR-per-group": lambda m, o: m.LambdaLR(o, [lambda e: 0.95**e, lambda e: e % 4 + 1]),
    "OneCycleLR-cos": lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=STEPS + 1),
    "OneCycleLR-linear-3phase": lambda m, o: m.OneCycleLR(
        o,
        max_lr=[1.0, 0.5],
        epochs=6,
        steps_per_epoch=6,
        anneal_strategy="linear",
        three_phase=True,
        pct_start=0.25,
        base_momentum=0.8,
        max_momentum=[0.9, 0.95],
    ),
    "OneCycleLR-no-momentum": lambda m, o: m.OneCycleLR(
        o, max_lr=0.4, total_steps=40, cycle_momentum=False, div_factor=10.0
    ),
}


def run(build, kind="sgd", steps=STEPS, key="lr"):
    seqs = []
    for mod, opt in zip((gsched, tsched), optimizers(kind)):
        sched = build(mod, opt)
        seq = [(sched.get_last_lr(), lrs(opt, key))]
        for _ in range(steps):
            opt.step()
            sched.step()
            seq.append((sched.get_last_lr(), lrs(opt, key)))
        seqs.append(seq)
    return seqs


@pytest.mark.parametrize("name", SCHEDULERS)
def test_scheduler_matches_torch(name):
    g, t = run(SCHEDULERS[name])
    np.testing.assert_allclose(
        np.array(g, dtype=float), np.array(t, dtype=float), rtol=1e-13, atol=1e-15
    )
    assert len({round(x[0][0], 12) for x in g}) > 3  # the rate actually changed


@pytest.mark.parametrize("name", [n for n in SCHEDULERS if n.startswith("OneCycleLR")])
@pytest.mark.parametrize("kind,key", [("sgd", "momentum"), ("adam", "beta1")])
def test_one_cycle_momentum_matches_torch(name, kind, key):
    g, t = run(SCHEDULERS[name], kind=kind, key=key)
    np.testing.assert_allclose(np.array(g, dtype=float), np.array(t, dtype=float), rtol=1e-13)
    if "no-momentum" not in name:
        assert min(x[1][0] for x in g) < max(x[1][0] for x in g)


def test_one_cycle_values():
    """Two-phase cos schedule by hand: 0.04 = max_lr / 25 at step 0, rising until step 2.3,
    then annealing to 0.04 / 1e4 at step 10; stepping past total_steps raises."""

    def cos(start, end, pct):
        return end + (start - end) / 2 * (1 + math.cos(math.pi * pct))

    opt = optimizers()[0]
    sched = gsched.OneCycleLR(opt, max_lr=1.0, total_steps=11)
    seq = [sched.get_last_lr()[0]]
    for _ in range(10):
        sched.step()
        seq.append(sched.get_last_lr()[0])
    assert seq[0] == pytest.approx(0.04) and seq[-1] == pytest.approx(4e-6)
    assert seq[2] == pytest.approx(cos(0.04, 1.0, 2 / 2.3))
    assert seq[3] == pytest.approx(cos(1.0, 4e-6, 0.7 / 7.7))
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.95)
    sched.step()  # step 11 == total_steps is still allowed, as in torch
    with pytest.raises(ValueError, match="total_steps"):
        sched.step()


@pytest.mark.parametrize(
    "name", ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR"]
)
def test_step_with_epoch_uses_closed_form_like_torch(name):
    out = []
    for mod, opt in zip((gsched, tsched), optimizers()):
        sched = SCHEDULERS[name](mod, opt)
        seq = []
        for epoch in [1, 2, 5, 9, 3, 14, 30]:
            opt.step()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sched.step(epoch)
            seq.append(sched.get_last_lr())
        out.append(seq)
    np.testing.assert_allclose(out[0], out[1], rtol=1e-13)


@pytest.mark.parametrize(
    "name", ["StepLR", "CosineAnnealingLR", "LinearLR", "OneCycleLR-cos", "LambdaLR"]
)
def test_state_dict_resumes_the_sequence(name):
    ref = run(SCHEDULERS[name])[0]
    opt = optimizers()[0]
    sched = SCHEDULERS[name](gsched, opt)
    seq = [(sched.get_last_lr(), lrs(opt))]
    for i in range(STEPS):
        if i == 12:
            saved = sched.state_dict()
            assert "optimizer" not in saved and saved["last_epoch"] == 12
            sched = SCHEDULERS[name](gsched, opt)  # rebuilding resets the groups' rates...
            sched.load_state_dict(saved)  # ...which the state restores, with the group's lr
            for group, lr in zip(opt.param_groups, saved["_last_lr"]):
                group["lr"] = lr
        opt.step()
        sched.step()
        seq.append((sched.get_last_lr(), lrs(opt)))
    np.testing.assert_allclose(np.array(seq, dtype=float), np.array(ref, dtype=float), rtol=1e-13)


# scripted metric: improves, plateaus, improves within threshold only, rises
LOSSES = [
    1.0,
    0.9,
    0.8,
    0.8,
    0.8,
    0.8,
    0.8,
    0.79995,
    0.7,
    0.7,
    0.7,
    0.7,
    0.7,
    0.7,
    0.7,
    0.7,
    0.65,
    0.66,
    0.67,
    0.68,
    0.69,
    0.7,
    0.71,
    0.72,
    0.73,
    0.5,
    0.5,
    0.5,
    0.5,
    0.5,
    0.5,
    0.5,
]
PLATEAU_CONFIGS = [
    {},
    {"patience": 2},
    {"patience": 1, "cooldown": 2, "factor": 0.5},
    {"patience": 0, "threshold": 0.05, "threshold_mode": "abs", "min_lr": [0.01, 0.001]},
    {"mode": "max", "patience": 1, "factor": 0.3},
    {"mode": "max", "threshold_mode": "abs", "patience": 1, "threshold": 0.01},
    {"patience": 0, "factor": 0.5, "min_lr": 0.0299, "eps": 1e-3},
]


@pytest.mark.parametrize("kw", PLATEAU_CONFIGS)
def test_reduce_lr_on_plateau_matches_torch(kw):
    out = []
    for mod, opt in zip((gsched, tsched), optimizers()):
        sched = mod.ReduceLROnPlateau(opt, **kw)
        seq = []
        for loss in LOSSES:
            opt.step()
            sched.step(loss)
            seq.append(
                sched.get_last_lr() + lrs(opt) + [sched.num_bad_epochs, sched.cooldown_counter]
            )
        out.append(seq)
    np.testing.assert_allclose(np.array(out[0]), np.array(out[1]), rtol=1e-14)


def test_reduce_lr_on_plateau_by_hand():
    opt = optimizers()[0]
    sched = gsched.ReduceLROnPlateau(opt, patience=2, factor=0.5, cooldown=1)
    seen = []
    for loss in [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5]:
        sched.step(glia.tensor(loss))  # a 0-d tensor metric is accepted
        seen.append(sched.get_last_lr()[0])
    # epochs 2-4 bad -> cut at 4; epoch 5 is cooldown (not counted); 6, 7 bad; 0.5 improves
    # at 8; 9-11 bad -> cut at 11
    assert seen == pytest.approx([0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.025])


def test_reduce_lr_on_plateau_state_dict_and_errors():
    opt = optimizers()[0]
    sched = gsched.ReduceLROnPlateau(opt, patience=1)
    for loss in [1.0, 2.0]:
        sched.step(loss)
    saved = sched.state_dict()
    other = gsched.ReduceLROnPlateau(opt, patience=1)
    other.load_state_dict(saved)
    other.step(3.0)
    assert other.get_last_lr() == pytest.approx([0.01, 0.003])
    check_raises(lambda: gsched.ReduceLROnPlateau(opt, factor=1.0), ValueError,
                 "ReduceLROnPlateau", "factor", "got 1.0")
    check_raises(lambda: gsched.ReduceLROnPlateau(opt, mode="avg"), ValueError,
                 "ReduceLROnPlateau", "mode", "got 'avg'")
    check_raises(lambda: gsched.ReduceLROnPlateau(opt, min_lr=[0.1]), ValueError,
                 "min_lr", "got 1 values for 2 groups")


def test_scheduler_errors():
    opt = optimizers()[0]
    check_raises(lambda: gsched.StepLR(object(), step_size=2), TypeError, "not an Optimizer")
    check_raises(lambda: gsched.StepLR(opt, step_size=2, last_epoch=3), KeyError,
                 "initial_lr", "param_groups[0]", "last_epoch >= 0")
    check_raises(lambda: gsched.LinearLR(opt, start_factor=0), ValueError,
                 "LinearLR", "start_factor", "got 0")
    check_raises(lambda: gsched.OneCycleLR(opt, max_lr=0.1), ValueError,
                 "OneCycleLR", "total_steps", "steps_per_epoch")
    check_raises(lambda: gsched.LambdaLR(opt, [lambda e: 1.0]), ValueError,
                 "lr_lambda", "got 1 values for 2 groups")
    rprop = optim.Rprop([glia.zeros(2, requires_grad=True)])
    check_raises(lambda: gsched.OneCycleLR(rprop, max_lr=0.1, total_steps=10), ValueError,
                 "OneCycleLR", "cycle_momentum", "momentum or betas")


def test_scheduled_lr_reaches_the_update():
    """The optimizer reads group['lr'] at every step: SGD's update equals the scheduled lr."""
    p = glia.zeros(1, requires_grad=True)
    opt = optim.SGD([p], lr=1.0)
    sched = gsched.StepLR(opt, step_size=2, gamma=0.5)
    moved = []
    for _ in range(5):
        p.grad = glia.ones(1)
        before = p.detach().numpy()[0]
        opt.step()
        moved.append(before - p.detach().numpy()[0])
        sched.step()
    assert moved == pytest.approx([1.0, 1.0, 0.5, 0.5, 0.25])
