"""The remaining torch.optim.lr_scheduler classes (ConstantLR, MultiplicativeLR, PolynomialLR,
CosineAnnealingWarmRestarts, CyclicLR, SequentialLR, ChainedScheduler) against torch: the same
rates (and momentum or beta1) step by step on identical two-group optimizers, the same after
a state_dict round trip or a last_epoch resumption, and the same errors. Also edge cases of
the older schedulers."""

import math
import pickle
import warnings

import glia
import numpy as np
import pytest
import torch
from glia import optim
from glia.optim import lr_scheduler as gsched
from helpers import check_raises
from torch.optim import lr_scheduler as tsched

STEPS = 80
RTOL = 1e-12


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


def record(sched, opt):
    """get_last_lr(), then each group's lr and momentum (SGD) or both betas (Adam)."""
    row = [float(x) for x in sched.get_last_lr()]
    for g in opt.param_groups:
        row += [g["lr"], *(g["betas"] if "betas" in g else [g["momentum"]])]
    return row


def run(build, kind="sgd", steps=STEPS, epochs=None, prep=None):
    """Each library's sequence of records: after construction, then after every step
    (step(epochs[i]) where epochs[i] is not None)."""
    seqs = []
    for mod, opt in zip((gsched, tsched), optimizers(kind)):
        if prep:
            prep(opt)
        sched = build(mod, opt)
        seq = [record(sched, opt)]
        for i in range(steps):
            opt.step()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # torch's deprecation warning for step(epoch)
                if epochs is None or epochs[i] is None:
                    sched.step()
                else:
                    sched.step(epochs[i])
            seq.append(record(sched, opt))
        seqs.append(np.array(seq, dtype=float))
    return seqs


def assert_same(g, t, exact=False):
    assert g.shape == t.shape
    if exact:
        np.testing.assert_array_equal(g, t)
    else:
        np.testing.assert_allclose(g, t, rtol=RTOL, atol=0)


def changes(seq):
    """The schedule did something: group 0's rate is not always the optimizer's 0.1."""
    return len(np.unique(np.r_[0.1, seq[:, 0]].round(14))) > 1


SCHEDULERS = {
    "ConstantLR-default": lambda m, o: m.ConstantLR(o),
    "ConstantLR": lambda m, o: m.ConstantLR(o, factor=0.3, total_iters=17),
    "ConstantLR-zero-iters": lambda m, o: m.ConstantLR(o, factor=0.5, total_iters=0),
    "MultiplicativeLR": lambda m, o: m.MultiplicativeLR(o, lambda e: 0.95),
    "MultiplicativeLR-per-group": lambda m, o: m.MultiplicativeLR(
        o, [lambda e: 0.9, lambda e: 1.1 if e % 3 else 0.7]
    ),
    "PolynomialLR-default": lambda m, o: m.PolynomialLR(o),
    "PolynomialLR": lambda m, o: m.PolynomialLR(o, total_iters=40, power=0.9),
    "PolynomialLR-square": lambda m, o: m.PolynomialLR(o, total_iters=25, power=2.0),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=10),
    "CosineAnnealingWarmRestarts-mult2": lambda m, o: m.CosineAnnealingWarmRestarts(
        o, T_0=3, T_mult=2, eta_min=0.001
    ),
    "CosineAnnealingWarmRestarts-T1": lambda m, o: m.CosineAnnealingWarmRestarts(
        o, T_0=1, T_mult=3, eta_min=0.01
    ),
    "CyclicLR-triangular": lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=5),
    "CyclicLR-triangular2-lists": lambda m, o: m.CyclicLR(
        o,
        base_lr=[0.01, 0.002],
        max_lr=[0.1, 0.05],
        step_size_up=4,
        step_size_down=7,
        mode="triangular2",
        base_momentum=[0.8, 0.85],
        max_momentum=(0.9, 0.95),
    ),
    "CyclicLR-exp_range": lambda m, o: m.CyclicLR(
        o, base_lr=0.02, max_lr=0.2, step_size_up=6, mode="exp_range", gamma=0.97
    ),
    "CyclicLR-scale_fn-cycle": lambda m, o: m.CyclicLR(
        o,
        base_lr=0.01,
        max_lr=0.1,
        step_size_up=3,
        step_size_down=5,
        scale_fn=lambda x: 0.5 * (1 + math.sin(x * math.pi / 2)),
    ),
    "CyclicLR-scale_fn-iterations": lambda m, o: m.CyclicLR(
        o,
        base_lr=0.01,
        max_lr=0.1,
        step_size_up=7,
        scale_fn=lambda x: 1 / (1 + 0.02 * x),
        scale_mode="iterations",
        mode="ignored-with-scale_fn",
    ),
    "CyclicLR-no-momentum": lambda m, o: m.CyclicLR(
        o, base_lr=0.05, max_lr=0.5, step_size_up=2, step_size_down=1, cycle_momentum=False
    ),
    "SequentialLR-warmup-cosine": lambda m, o: m.SequentialLR(
        o,
        [m.LinearLR(o, start_factor=0.1, total_iters=4), m.CosineAnnealingLR(o, T_max=20)],
        milestones=[5],
    ),
    "SequentialLR-constant-exponential": lambda m, o: m.SequentialLR(
        o, [m.ConstantLR(o, factor=0.1, total_iters=20), m.ExponentialLR(o, gamma=0.9)], [20]
    ),
    "SequentialLR-three": lambda m, o: m.SequentialLR(
        o,
        [
            m.MultiplicativeLR(o, lambda e: 0.9),
            m.PolynomialLR(o, total_iters=8, power=1.5),
            m.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2, eta_min=0.001),
        ],
        milestones=[6, 15],
    ),
    "ChainedScheduler-constant-exponential": lambda m, o: m.ChainedScheduler(
        [m.ConstantLR(o, factor=0.1, total_iters=20), m.ExponentialLR(o, gamma=0.9)],
        optimizer=o,
    ),
    "ChainedScheduler-three": lambda m, o: m.ChainedScheduler(
        [
            m.LinearLR(o, start_factor=0.5, total_iters=10),
            m.MultiplicativeLR(o, lambda e: 0.98),
            m.StepLR(o, step_size=7, gamma=0.5),
        ]
    ),
}
CYCLIC = [n for n in SCHEDULERS if n.startswith("CyclicLR")]


@pytest.mark.parametrize("name", SCHEDULERS)
def test_scheduler_matches_torch(name):
    g, t = run(SCHEDULERS[name])
    assert_same(g, t)
    assert changes(g)


@pytest.mark.parametrize("name", [n for n in CYCLIC if "no-momentum" not in n])
def test_cyclic_momentum_and_betas_match_torch(name):
    """torch cycles beta1 when the optimizer has betas (Adam) and keeps beta2."""
    for kind in ("sgd", "adam"):
        g, t = run(SCHEDULERS[name], kind=kind)
        assert_same(g, t)
        assert g[:, 3].min() < g[:, 3].max()  # group 0's momentum / beta1 cycles
        if kind == "adam":
            assert set(g[:, 4]) == {0.99}


def test_values_by_hand():
    opt = optimizers()[0]
    sched = gsched.ConstantLR(opt, factor=0.5, total_iters=3)
    seq = [sched.get_last_lr()[0]] + [(sched.step(), sched.get_last_lr()[0])[1] for _ in range(4)]
    assert seq == pytest.approx([0.05, 0.05, 0.05, 0.1, 0.1])

    opt = optimizers()[0]
    sched = gsched.PolynomialLR(opt, total_iters=4, power=2.0)
    seq = [sched.get_last_lr()[0]] + [(sched.step(), sched.get_last_lr()[0])[1] for _ in range(5)]
    assert seq == pytest.approx([0.1 * (1 - k / 4) ** 2 for k in range(5)] + [0.0])

    # triangular: 0.01 -> 0.1 over 2 steps, back over 2; momentum the opposite way
    opt = optimizers()[0]
    sched = gsched.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=2)
    seq, mom = [sched.get_last_lr()[0]], [opt.param_groups[0]["momentum"]]
    for _ in range(5):
        sched.step()
        seq.append(sched.get_last_lr()[0])
        mom.append(opt.param_groups[0]["momentum"])
    assert seq == pytest.approx([0.01, 0.055, 0.1, 0.055, 0.01, 0.055])
    assert mom == pytest.approx([0.9, 0.85, 0.8, 0.85, 0.9, 0.85])

    # warm restarts with T_0=2, T_mult=2: cycles of 2, 4, ... epochs
    opt = optimizers()[0]
    sched = gsched.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2)
    seq = [sched.get_last_lr()[0]] + [(sched.step(), sched.get_last_lr()[0])[1] for _ in range(6)]
    half = 0.1 * (1 + math.cos(math.pi / 4)) / 2
    assert seq == pytest.approx([0.1, 0.05, 0.1, half, 0.05, 0.1 - half, 0.1])


def test_cosine_warm_restarts_fractional_epochs_match_torch():
    """step(epoch + i / iters) after every batch, as torch's docs show, then step() and
    jumps interleaved; T_cur, T_i and last_epoch follow torch's."""
    iters = 7
    epochs = [e + i / iters for e in range(14) for i in range(iters)]
    epochs += [None, None, 26, None, 3.5, None, 0, 2.25, None, 100.75, None]
    for kw in ({"T_0": 2, "T_mult": 2, "eta_min": 0.001}, {"T_0": 3}, {"T_0": 1, "T_mult": 3}):
        res = []
        for mod, opt in zip((gsched, tsched), optimizers()):
            sched = mod.CosineAnnealingWarmRestarts(opt, **kw)
            seq = []
            for epoch in epochs:
                opt.step()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    sched.step() if epoch is None else sched.step(epoch)
                seq.append(record(sched, opt) + [sched.T_cur, sched.T_i, sched.last_epoch])
            res.append(np.array(seq, dtype=float))
        assert_same(*res)
        assert res[0][len(epochs) - 2, -1] == 100  # last_epoch = floor(100.75)


# step(epoch) uses the closed form where the scheduler has one (ConstantLR, PolynomialLR)
@pytest.mark.parametrize(
    "name", ["ConstantLR", "PolynomialLR", "PolynomialLR-square", "MultiplicativeLR"]
)
def test_step_with_epoch_matches_torch(name):
    epochs = [1, 2, 5, None, 9, 3, 14, None, None, 30, 16, 50, None]
    g, t = run(SCHEDULERS[name], steps=len(epochs), epochs=epochs)
    assert_same(g, t)


def saved_and_resumed(build, lib, kind, steps, at):
    """Runs the schedule in one library, and again with a checkpoint at step `at`: a fresh
    optimizer and scheduler, optimizer.load_state_dict, then scheduler.load_state_dict of
    the pickled state. Returns both record sequences and the scheduler's state dict."""
    i = 0 if lib is gsched else 1
    full = run_one(build, lib, optimizers(kind)[i], steps)
    opt = optimizers(kind)[i]
    sched = build(lib, opt)
    seq = [record(sched, opt)]
    for k in range(steps):
        if k == at:
            saved = sched.state_dict()
            state = pickle.loads(pickle.dumps(saved))
            opt_state = opt.state_dict()
            opt = optimizers(kind)[i]
            sched = build(lib, opt)
            opt.load_state_dict(opt_state)
            sched.load_state_dict(state)
        opt.step()
        sched.step()
        seq.append(record(sched, opt))
    return full, np.array(seq, dtype=float), saved


def run_one(build, lib, opt, steps):
    sched = build(lib, opt)
    seq = [record(sched, opt)]
    for _ in range(steps):
        opt.step()
        sched.step()
        seq.append(record(sched, opt))
    return np.array(seq, dtype=float)


@pytest.mark.parametrize(
    "name",
    [
        "ConstantLR",
        "MultiplicativeLR-per-group",
        "PolynomialLR",
        "CosineAnnealingWarmRestarts-mult2",
        "CyclicLR-triangular2-lists",
        "CyclicLR-scale_fn-iterations",
        "SequentialLR-three",
        "SequentialLR-warmup-cosine",
        "ChainedScheduler-three",
    ],
)
@pytest.mark.parametrize("at", [3, 12])
def test_state_dict_round_trip_mid_run(name, at):
    kind = "adam" if name.startswith("CyclicLR") else "sgd"
    g_full, g_resumed, g_state = saved_and_resumed(SCHEDULERS[name], gsched, kind, 40, at)
    t_full, t_resumed, t_state = saved_and_resumed(SCHEDULERS[name], tsched, kind, 40, at)
    assert_same(g_full, t_full)
    assert_same(g_resumed, t_resumed)
    assert_same(g_resumed, g_full)
    # the same entries as torch's (less its flag for warnings inside get_lr)
    assert set(g_state) == set(t_state) - {"_get_lr_called_within_step"}
    assert g_state.get("last_epoch", at) == t_state.get("last_epoch", at)


class Scale:
    """A callable scale_fn object: its attributes are saved in the state dict."""

    def __init__(self, rate):
        self.rate = rate

    def __call__(self, x):
        return 1 / (1 + self.rate * x)


def test_cyclic_state_dict_keeps_callable_object_attributes():
    out = []
    for mod, opt in zip((gsched, tsched), optimizers()):
        sched = mod.CyclicLR(opt, 0.01, 0.1, step_size_up=4, scale_fn=Scale(0.5))
        for _ in range(6):
            opt.step()
            sched.step()
        state = sched.state_dict()
        assert state["_scale_fn_custom"] == {"rate": 0.5}
        other = mod.CyclicLR(opt, 0.01, 0.1, step_size_up=4, scale_fn=Scale(0.1))
        other.load_state_dict(state)
        assert other._scale_fn_custom.rate == 0.5
        other.step()
        out.append(record(other, opt))
    assert_same(*np.array(out))


def _with_initial_lr(opt):
    for g in opt.param_groups:
        g["initial_lr"] = 2 * g["lr"]


RESUMED = {
    "ConstantLR": lambda m, o: m.ConstantLR(o, factor=0.25, total_iters=6, last_epoch=3),
    "ConstantLR-at-total": lambda m, o: m.ConstantLR(o, factor=0.25, total_iters=6, last_epoch=5),
    "MultiplicativeLR": lambda m, o: m.MultiplicativeLR(o, lambda e: 0.9, last_epoch=4),
    "PolynomialLR": lambda m, o: m.PolynomialLR(o, total_iters=20, power=2.0, last_epoch=7),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(
        o, T_0=4, T_mult=2, eta_min=0.01, last_epoch=9
    ),
    "CyclicLR": lambda m, o: m.CyclicLR(
        o, base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=4, last_epoch=13
    ),
}


@pytest.mark.parametrize("name", RESUMED)
def test_last_epoch_resumption_matches_torch(name):
    """A scheduler built with last_epoch >= 0 over groups that hold initial_lr."""
    for kind in ("sgd", "adam") if name == "CyclicLR" else ("sgd",):
        g, t = run(RESUMED[name], kind=kind, steps=40, prep=_with_initial_lr)
        assert_same(g, t)
        assert changes(g)


def test_get_last_lr_is_a_copy_of_the_group_rates():
    opt = optimizers()[0]
    sched = gsched.SequentialLR(
        opt, [gsched.ConstantLR(opt, 0.5, 2), gsched.ExponentialLR(opt, 0.5)], [3]
    )
    got = [sched.get_last_lr()]
    for _ in range(5):
        sched.step()
        got.append(sched.get_last_lr())
    got[0][0] = 123.0  # changing a returned list changes nothing
    assert opt.param_groups[0]["lr"] == pytest.approx(0.025)
    assert [g[1] for g in got] == pytest.approx([0.015, 0.015, 0.03, 0.03, 0.015, 0.0075])


# ---- the older schedulers' edge cases ----

EDGE = {
    "CosineAnnealingLR-T1": (lambda m, o: m.CosineAnnealingLR(o, T_max=1), None, None),
    "CosineAnnealingLR-eta_min-above-base": (
        lambda m, o: m.CosineAnnealingLR(o, T_max=3, eta_min=0.2),
        None,
        None,
    ),
    # closed form (epochs) and recursion (None) interleaved
    "CosineAnnealingLR-mixed": (
        lambda m, o: m.CosineAnnealingLR(o, T_max=7, eta_min=0.01),
        [1, 2, 10, None, None, 3, None, 20, None, None, 14, None] * 5,
        None,
    ),
    "CosineAnnealingLR-resumed": (
        lambda m, o: m.CosineAnnealingLR(o, T_max=7, eta_min=0.01, last_epoch=4),
        None,
        _with_initial_lr,
    ),
    "LinearLR-closed-form": (
        lambda m, o: m.LinearLR(o, start_factor=0.3, end_factor=0.7, total_iters=7),
        list(range(1, 13)) * 5,
        None,
    ),
    "OneCycleLR-three-phase-half": (
        lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=STEPS + 1, three_phase=True,
                                  pct_start=0.5),
        None,
        None,
    ),
    "OneCycleLR-three-phase-linear": (
        lambda m, o: m.OneCycleLR(o, max_lr=[1.0, 0.3], total_steps=STEPS, three_phase=True,
                                  pct_start=0.1, anneal_strategy="linear"),
        [None] * (STEPS - 1) + [STEPS],
        None,
    ),
    "OneCycleLR-pct_start-0": (
        lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=STEPS, pct_start=0.0),
        [None] * (STEPS - 1) + [STEPS],
        None,
    ),
}


@pytest.mark.parametrize("name", EDGE)
def test_older_scheduler_edge_cases_match_torch_exactly(name):
    """Bit for bit, LinearLR's closed form included (its order of operations now
    follows torch's)."""
    build, epochs, prep = EDGE[name]
    steps = len(epochs) if epochs else STEPS
    for kind in ("sgd", "adam") if name.startswith("OneCycle") else ("sgd",):
        g, t = run(build, kind=kind, steps=steps, epochs=epochs, prep=prep)
        assert_same(g, t, exact=True)


def test_one_cycle_degenerate_phase_raises_like_torch():
    """A phase of zero length (pct_start=1, or three phases in 2 steps) divides by zero
    in torch too."""
    for kw in ({"total_steps": 20, "pct_start": 1.0},
               {"total_steps": 2, "pct_start": 0.5, "three_phase": True}):
        for mod, opt in zip((gsched, tsched), optimizers()):
            with pytest.raises(ZeroDivisionError):
                sched = mod.OneCycleLR(opt, max_lr=1.0, **kw)
                for _ in range(kw["total_steps"]):
                    opt.step()
                    sched.step()


# ---- errors ----


def other_optimizer(mod):
    return optimizers()[0 if mod is gsched else 1]


ERRORS = [
    ("ConstantLR", lambda m, o: m.ConstantLR(o, factor=1.5), ValueError, ["factor", "got 1.5"]),
    ("ConstantLR", lambda m, o: m.ConstantLR(o, factor=-0.1), ValueError, ["got -0.1"]),
    ("MultiplicativeLR", lambda m, o: m.MultiplicativeLR(o, [lambda e: 0.9]), ValueError,
     ["lr_lambda", "got 1 values for 2 groups"]),
    ("MultiplicativeLR", lambda m, o: m.MultiplicativeLR(o, 0.9), TypeError,
     ["lr_lambda", "got float"]),
    ("CosineAnnealingWarmRestarts", lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=0),
     ValueError, ["T_0", "got 0"]),
    ("CosineAnnealingWarmRestarts", lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=2.5),
     ValueError, ["T_0", "got 2.5"]),
    ("CosineAnnealingWarmRestarts",
     lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0), ValueError,
     ["T_mult", "got 0"]),
    ("CosineAnnealingWarmRestarts",
     lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=1.5), ValueError,
     ["T_mult", "got 1.5"]),
    ("CosineAnnealingWarmRestarts",
     lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=2, eta_min="0"), ValueError,
     ["eta_min", "got '0'"]),
    ("CosineAnnealingWarmRestarts", lambda m, o: m.CosineAnnealingWarmRestarts(o, 2).step(-1),
     ValueError, ["epoch", "got -1"]),
    ("CyclicLR", lambda m, o: m.CyclicLR(o, 0.01, 0.1, mode="triangle"), ValueError,
     ["mode", "got 'triangle'"]),
    ("CyclicLR", lambda m, o: m.CyclicLR(o, [0.01, 0.02, 0.03], 0.1), ValueError,
     ["base_lr", "got 3 values for 2 groups"]),
    ("CyclicLR", lambda m, o: m.CyclicLR(o, 0.01, 0.1, max_momentum=[0.9]), ValueError,
     ["max_momentum", "got 1 values for 2 groups"]),
    ("CyclicLR",
     lambda m, o: m.CyclicLR(
         (optim if m is gsched else torch.optim).Rprop([(glia if m is gsched else torch)
                                                         .zeros(2, requires_grad=True)]),
         0.01, 0.1),
     ValueError, ["cycle_momentum", "momentum or betas"]),
    ("SequentialLR", lambda m, o: m.SequentialLR(o, [], []), ValueError, ["at least one"]),
    ("SequentialLR",
     lambda m, o: m.SequentialLR(o, [m.ConstantLR(o), m.ExponentialLR(o, 0.9)], [2, 5]),
     ValueError, ["2 schedulers and 2 milestones"]),
    ("SequentialLR",
     lambda m, o: m.SequentialLR(o, [m.ConstantLR(o), m.ReduceLROnPlateau(o)], [2]),
     ValueError, ["ReduceLROnPlateau at index 1"]),
    ("SequentialLR",
     lambda m, o: m.SequentialLR(o, [m.ConstantLR(o), m.StepLR(other_optimizer(m), 2)], [2]),
     ValueError, ["same optimizer", "StepLR at index 1"]),
    ("SequentialLR", lambda m, o: m.SequentialLR(o, [object()], []), TypeError,
     ["object at index 0", "optimizer"]),
    ("ChainedScheduler", lambda m, o: m.ChainedScheduler([]), ValueError, ["at least one"]),
    ("ChainedScheduler", lambda m, o: m.ChainedScheduler([m.ReduceLROnPlateau(o)]), ValueError,
     ["ReduceLROnPlateau at index 0"]),
    ("ChainedScheduler",
     lambda m, o: m.ChainedScheduler([m.ConstantLR(o), m.StepLR(other_optimizer(m), 2)]),
     ValueError, ["same optimizer", "StepLR at index 1"]),
]


@pytest.mark.parametrize("owner,build,exc,fragments", ERRORS)
def test_errors_like_torch(owner, build, exc, fragments):
    g_opt, t_opt = optimizers()
    with pytest.raises(exc):
        build(tsched, t_opt)
    check_raises(lambda: build(gsched, g_opt), exc, owner + ":", *fragments)


def test_cyclic_scale_mode_is_checked():
    """Unlike torch, which treats any scale_mode but 'cycle' as 'iterations'."""
    opt = optimizers()[0]
    check_raises(lambda: gsched.CyclicLR(opt, 0.01, 0.1, scale_fn=abs, scale_mode="iteration"),
                 ValueError, "CyclicLR:", "scale_mode", "got 'iteration'")
