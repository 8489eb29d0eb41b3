"""Optimizers against torch.optim: identical parameter trajectories on a small two-tensor model
whose gradients come from glia and from torch autograd on the same values; plus LBFGS on the
Rosenbrock function and the gradient-free Evolution strategy."""

import copy

import numpy as np
import pytest
import torch

import glia
from glia import optim
from helpers import check_raises

RNG = np.random.default_rng(7)
X = RNG.standard_normal((6, 3))
Y = RNG.standard_normal((6, 2))
W0 = 0.5 * RNG.standard_normal((2, 3))
B0 = 0.1 * RNG.standard_normal(2)

# name -> (glia class, torch class, lr, option grid); maximize, weight decay and each flag
CASES = {
    "SGD": (
        optim.SGD,
        torch.optim.SGD,
        0.05,
        [
            {},
            {"momentum": 0.9},
            {"momentum": 0.9, "dampening": 0.3},
            {"momentum": 0.9, "nesterov": True},
            {"weight_decay": 0.1},
            {"maximize": True},
            {"momentum": 0.8, "weight_decay": 0.05, "maximize": True, "nesterov": True},
        ],
    ),
    "Adam": (
        optim.Adam,
        torch.optim.Adam,
        0.05,
        [
            {},
            {"amsgrad": True},
            {"weight_decay": 0.1},
            {"maximize": True},
            {"betas": (0.8, 0.95)},
            {"amsgrad": True, "weight_decay": 0.1, "maximize": True, "eps": 1e-3},
            {"weight_decay": 0.1, "decoupled_weight_decay": True},
        ],
    ),
    "AdamW": (
        optim.AdamW,
        torch.optim.AdamW,
        0.05,
        [{}, {"amsgrad": True}, {"weight_decay": 0.3}, {"maximize": True, "weight_decay": 0.1}],
    ),
    "Adagrad": (
        optim.Adagrad,
        torch.optim.Adagrad,
        0.1,
        [
            {},
            {"lr_decay": 0.1},
            {"weight_decay": 0.1},
            {"initial_accumulator_value": 0.5},
            {"maximize": True, "eps": 1e-3},
        ],
    ),
    "RMSprop": (
        optim.RMSprop,
        torch.optim.RMSprop,
        0.01,
        [
            {},
            {"momentum": 0.9},
            {"centered": True},
            {"centered": True, "momentum": 0.5},
            {"weight_decay": 0.1, "alpha": 0.9},
            {"maximize": True, "centered": True},
        ],
    ),
    "Adadelta": (
        optim.Adadelta,
        torch.optim.Adadelta,
        1.0,
        [{}, {"rho": 0.5}, {"weight_decay": 0.1}, {"maximize": True, "eps": 1e-4}],
    ),
    "NAdam": (
        optim.NAdam,
        torch.optim.NAdam,
        0.02,
        [
            {},
            {"weight_decay": 0.1},
            {"momentum_decay": 0.01, "betas": (0.8, 0.99)},
            {"maximize": True},
        ],
    ),
    "Adamax": (
        optim.Adamax,
        torch.optim.Adamax,
        0.05,
        [
            {},
            {"weight_decay": 0.1},
            {"betas": (0.8, 0.99), "eps": 1e-3},
            {"maximize": True},
        ],
    ),
    "RAdam": (
        optim.RAdam,
        torch.optim.RAdam,
        0.05,
        [
            {},
            {"weight_decay": 0.1},
            {"weight_decay": 0.1, "decoupled_weight_decay": True},
            {"betas": (0.5, 0.9)},  # rho_t passes 5 within the run: both update rules
            {"maximize": True, "eps": 1e-3},
        ],
    ),
    "ASGD": (
        optim.ASGD,
        torch.optim.ASGD,
        0.05,
        [
            {},
            {"t0": 5},  # the averaging starts within the run
            {"lambd": 0.1, "alpha": 0.5, "weight_decay": 0.1},
            {"maximize": True, "t0": 0},
        ],
    ),
    "Adafactor": (
        optim.Adafactor,
        torch.optim.Adafactor,
        0.05,
        [
            {},
            {"weight_decay": 0.1},
            {"beta2_decay": -0.5, "eps": (1e-3, 1e-2)},
            {"d": 1.5, "maximize": True},
            {"lr": 2.0},  # the 1/sqrt(t) cap on the step takes over
        ],
    ),
    "Rprop": (
        optim.Rprop,
        torch.optim.Rprop,
        0.01,
        [
            {},
            {"etas": (0.3, 1.5)},
            {"step_sizes": (1e-3, 0.02)},
            {"maximize": True},
            {"lr": 5.0, "step_sizes": (1e-4, 1.0)},
        ],
    ),
}
GRID = [(name, kw) for name, case in CASES.items() for kw in case[3]]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}" for name, kw in GRID]


def loss_fn(lib, W, b, use_b=True):
    x = (
        lib.tensor(X.astype(W.detach().numpy().dtype))
        if lib is glia
        else torch.tensor(X.astype(W.detach().numpy().dtype))
    )
    y = Y.astype(W.detach().numpy().dtype)
    h = lib.tanh(x @ W.T + b) if use_b else lib.tanh(x @ W.T)
    yt = lib.tensor(y) if lib is glia else torch.tensor(y)
    return ((h - yt) ** 2).sum() + 0.1 * (W**4).sum()


def make(lib, dtype):
    new = glia.tensor if lib is glia else torch.tensor
    return new(W0.astype(dtype), requires_grad=True), new(B0.astype(dtype), requires_grad=True)


def groups(W, b, second):
    return [{"params": [W]}, dict(params=[b], **second)] if second is not None else [W, b]


def run(name, kw, steps=15, dtype=np.float64, second=None, schedule=None):
    """Parameter trajectories of glia and torch; `schedule(i)` -> (set_to_none, backward, use_b)."""
    gcls, tcls, lr, _ = CASES[name]
    kw = {"lr": lr, **kw}
    out = []
    for lib, cls in ((glia, gcls), (torch, tcls)):
        W, b = make(lib, dtype)
        opt = cls(groups(W, b, second), **kw)
        traj = []
        for i in range(steps):
            set_to_none, backward, use_b = schedule(i) if schedule else (True, True, True)
            opt.zero_grad(set_to_none=set_to_none)
            if backward:
                loss_fn(lib, W, b, use_b).backward()
            opt.step()
            traj.append((W.detach().numpy().copy(), b.detach().numpy().copy()))
        out.append(traj)
    return out


def assert_same(gtraj, ttraj, rtol=1e-6, atol=1e-9):
    assert len(gtraj) == len(ttraj)
    for step, (g, t) in enumerate(zip(gtraj, ttraj)):
        for a, e in zip(g, t):
            assert a.dtype == e.dtype
            np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, err_msg=f"step {step}")


@pytest.mark.parametrize("name,kw", GRID, ids=IDS)
def test_optimizer_matches_torch(name, kw):
    g, t = run(name, kw)
    assert_same(g, t)
    # the problem moved the parameters: the comparison is not of two untouched copies
    assert np.abs(g[-1][0] - W0).max() > 1e-3


@pytest.mark.parametrize("name", CASES)
def test_optimizer_float32_matches_torch(name):
    kw = CASES[name][3][1]
    g, t = run(name, kw, dtype=np.float32)
    assert_same(g, t, rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("name", CASES)
def test_two_param_groups_with_own_lr(name):
    lr = CASES[name][2]
    second = {"lr": lr * 3}
    if name == "SGD":
        second["momentum"] = 0.5  # a group option besides lr, and a momentum-free first group
    g, t = run(name, {}, second=second)
    assert_same(g, t)
    # the second group's lr is used: compare against a run where both groups share lr
    same_lr = run(name, {}, second={"lr": lr})[0]
    assert not np.allclose(g[-1][1], same_lr[-1][1])


@pytest.mark.parametrize("name", CASES)
def test_zero_grad_modes_match_torch(name):
    """set_to_none=True: a step without backward skips every parameter; set_to_none=False:
    it steps with zero gradients (moment estimates still move the parameters)."""

    def schedule(i):  # -> (set_to_none, backward, b in the loss)
        return (i % 2 == 0, i % 3 != 2, i % 5 != 0)

    kw = CASES[name][3][1]
    g, t = run(name, kw, steps=16, schedule=schedule)
    assert_same(g, t)


def test_zero_grad_sets_none_or_zeros():
    W, b = make(glia, np.float64)
    opt = optim.SGD([W, b], lr=0.1)
    loss_fn(glia, W, b).backward()
    grad_w = W.grad
    opt.zero_grad(set_to_none=False)
    # zeroed in place: the handle taken before sees the zeros
    assert np.all(grad_w.numpy() == 0) and np.all(W.grad.numpy() == 0)
    assert np.all(b.grad.numpy() == 0)
    opt.zero_grad()
    assert W.grad is None and b.grad is None
    opt.step()  # no gradients: nothing moves
    np.testing.assert_array_equal(W.detach().numpy(), W0)


def test_sgd_momentum_buffer_created_when_gradient_first_appears():
    """b has no gradient for the first steps, so its buffer starts later than W's (the
    buffer list passed to C++ is partial); torch starts it from that step's gradient."""

    def schedule(i):
        return (True, True, i >= 3)

    g, t = run("SGD", {"momentum": 0.9, "weight_decay": 0.01}, schedule=schedule)
    assert_same(g, t)
    np.testing.assert_array_equal(g[2][1], B0)


@pytest.mark.parametrize("name", CASES)
def test_state_dict_round_trip_continues_trajectory(name):
    gcls, _, lr, grid = CASES[name]
    kw = {"lr": lr, **grid[1]}
    ref = run(name, grid[1])[1]
    W, b = make(glia, np.float64)
    opt = gcls([W, b], **kw)
    traj = []
    for i in range(15):
        if i == 7:
            saved = opt.state_dict()
            opt = gcls([W, b], **{**kw, "lr": 123.0})  # load_state_dict restores lr too
            opt.load_state_dict(copy.deepcopy(saved))
        opt.zero_grad()
        loss_fn(glia, W, b).backward()
        opt.step()
        traj.append((W.detach().numpy().copy(), b.detach().numpy().copy()))
    assert_same(traj, ref)
    assert saved["param_groups"][0]["lr"] == lr and sorted(saved["state"]) == [0, 1]


def test_state_dict_is_a_copy():
    W, b = make(glia, np.float64)
    opt = optim.Adam([W, b], lr=0.1)
    loss_fn(glia, W, b).backward()
    opt.step()
    saved = opt.state_dict()
    before = saved["state"][0]["exp_avg"].numpy().copy()
    opt.step()
    np.testing.assert_array_equal(saved["state"][0]["exp_avg"].numpy(), before)
    assert saved["state"][0]["step"] == 1 and opt.state[W]["step"] == 2


@pytest.mark.parametrize(
    "name,module,fn",
    [
        ("SGD", "sgd", "_sgd_step"),
        ("Adam", "adam", "_adam_step"),
        ("Adagrad", "adagrad", "_adagrad_step"),
        ("RMSprop", "rmsprop", "_rmsprop_step"),
        ("Adadelta", "adadelta", "_adadelta_step"),
        ("NAdam", "nadam", "_nadam_step"),
        ("Adamax", "adamax", "_adamax_step"),
        ("RAdam", "radam", "_radam_step"),
        ("ASGD", "asgd", "_asgd_step"),
        ("Adafactor", "adafactor", "_adafactor_step"),
        ("Rprop", "rprop", "_rprop_step"),
    ],
)
def test_one_cpp_call_per_group(monkeypatch, name, module, fn):
    import importlib

    mod = importlib.import_module(f"glia.optim.{module}")
    calls = []
    real = getattr(mod, fn)
    monkeypatch.setattr(mod, fn, lambda params, *a: calls.append(len(params)) or real(params, *a))
    W, b = make(glia, np.float64)
    extra = glia.tensor(np.ones(4), requires_grad=True)
    kw = CASES[name][3][1]
    opt = CASES[name][0]([{"params": [W, extra]}, {"params": [b]}], lr=0.01, **kw)
    for _ in range(2):
        opt.zero_grad()
        (loss_fn(glia, W, b) + (extra * extra).sum()).backward()
        opt.step()
    assert calls == [2, 1, 2, 1]


@pytest.mark.parametrize(
    "cls",
    [
        optim.SGD,
        optim.Adam,
        optim.AdamW,
        optim.Adagrad,
        optim.RMSprop,
        optim.Adadelta,
        optim.NAdam,
        optim.Adamax,
        optim.RAdam,
        optim.ASGD,
        optim.Adafactor,
        optim.Rprop,
        optim.LBFGS,
    ],
)
def test_invalid_lr_raises(cls):
    W, _ = make(glia, np.float64)
    with pytest.raises(ValueError, match="learning rate"):
        cls([W], lr=-0.1)
    opt = cls([W], lr=0.1)
    with pytest.raises(ValueError, match="learning rate"):
        opt.add_param_group({"params": [glia.zeros(2, requires_grad=True)], "lr": -1.0})


@pytest.mark.parametrize(
    "make_opt,fragments",
    [
        (lambda p: optim.Adam(p, betas=(1.0, 0.999)), ("Adam:", "betas (1.0, 0.999)")),
        (lambda p: optim.NAdam(p, betas=(0.9, -0.1)), ("NAdam:", "betas (0.9, -0.1)")),
        (lambda p: optim.Adamax(p, betas=(0.9, 1.5)), ("Adamax:", "betas (0.9, 1.5)")),
        (lambda p: optim.RAdam(p, betas=(-0.1, 0.9)), ("RAdam:", "betas (-0.1, 0.9)")),
        (lambda p: optim.Adafactor(p, beta2_decay=0.5), ("Adafactor:", "beta2_decay", "0.5")),
        (lambda p: optim.Adafactor(p, d=0.5), ("Adafactor:", "d must be >= 1", "0.5")),
        (lambda p: optim.SGD(p, lr=0.1, nesterov=True), ("SGD:", "Nesterov", "momentum")),
        (lambda p: optim.Adadelta(p, rho=1.5), ("Adadelta:", "rho 1.5")),
        (lambda p: optim.Rprop(p, etas=(1.5, 1.2)), ("Rprop:", "etas (1.5, 1.2)")),
        (lambda p: optim.RMSprop(p, alpha=-1), ("RMSprop:", "alpha -1")),
        (lambda p: optim.LBFGS(p, line_search_fn="armijo"),
         ("LBFGS:", "line_search_fn", "'armijo'")),
        (lambda p: optim.Evolution(p, population_size=0),
         ("Evolution:", "population_size", "got 0")),
        (lambda p: optim.Evolution(p, elite_fraction=0),
         ("Evolution:", "elite_fraction", "got 0")),
    ],
)
def test_invalid_options_raise(make_opt, fragments):
    check_raises(lambda: make_opt([glia.zeros(3, requires_grad=True)]), ValueError, *fragments)


@pytest.mark.parametrize("cls,name", [
    (optim.SGD, "momentum"), (optim.SGD, "weight_decay"), (optim.Adam, "eps"),
    (optim.NAdam, "momentum_decay"), (optim.Adagrad, "lr_decay"), (optim.RMSprop, "alpha"),
    (optim.Adadelta, "weight_decay"), (optim.Adamax, "eps"), (optim.RAdam, "weight_decay"),
])
def test_negative_hyperparameters_raise_in_constructor_and_groups(cls, name):
    W, _ = make(glia, np.float64)
    with pytest.raises(ValueError, match=f"{cls.__name__}: invalid {name} -0.5"):
        cls([W], lr=0.1, **{name: -0.5})
    opt = cls([W], lr=0.1)
    with pytest.raises(ValueError, match=f"invalid {name}"):
        opt.add_param_group({"params": [glia.zeros(2, requires_grad=True)], name: -0.5})


# ---- LBFGS ----


def rosenbrock(z):
    return (100 * (z[1:] - z[:-1] ** 2) ** 2 + (1 - z[:-1]) ** 2).sum()


def lbfgs_runs(line_search_fn, params0, steps, **kw):
    out = []
    for lib, cls in ((glia, optim.LBFGS), (torch, torch.optim.LBFGS)):
        new = glia.tensor if lib is glia else torch.tensor
        ps = [new(np.array(p0), requires_grad=True) for p0 in params0]
        opt = cls(ps, line_search_fn=line_search_fn, **kw)

        def closure(lib=lib, opt=opt, ps=ps):
            opt.zero_grad()
            loss = rosenbrock(lib.cat(ps) if len(ps) > 1 else ps[0])
            loss.backward()
            return loss

        traj = []
        for _ in range(steps):
            loss = opt.step(closure)
            traj.append(
                (
                    float(loss.detach()),
                    np.concatenate([p.detach().numpy() for p in ps]),
                    opt.state[ps[0]]["func_evals"],
                    opt.state[ps[0]]["n_iter"],
                )
            )
        out.append(traj)
    return out


def test_lbfgs_strong_wolfe_matches_torch_and_converges():
    g, t = lbfgs_runs("strong_wolfe", [[-1.5, 2.0]], steps=4)
    for (gl, gx, gev, git), (tl, tx, tev, tit) in zip(g, t):
        assert (gev, git) == (tev, tit)  # same closure evaluations and iterations
        np.testing.assert_allclose(gx, tx, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(gl, tl, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(g[-1][1], [1.0, 1.0], atol=1e-5)
    assert g[-1][0] < 1e-9


def test_lbfgs_fixed_step_matches_torch_and_converges():
    g, t = lbfgs_runs(None, [[-1.5, 2.0]], steps=6)
    for i, ((gl, gx, gev, git), (tl, tx, tev, tit)) in enumerate(zip(g, t)):
        assert (gev, git) == (tev, tit)
        # fixed unit steps on Rosenbrock amplify last-bit differences of the two autograds
        # (1e-13 after 40 iterations, 1e-4 after 80); compare exactly where that is bounded
        if i < 2:
            np.testing.assert_allclose(gx, tx, rtol=1e-9, atol=1e-10)
            np.testing.assert_allclose(gl, tl, rtol=1e-9)
    np.testing.assert_allclose(g[-1][1], [1.0, 1.0], atol=1e-4)
    np.testing.assert_allclose(t[-1][1], [1.0, 1.0], atol=1e-4)


def test_lbfgs_several_tensors_short_history_matches_torch():
    g, t = lbfgs_runs(
        "strong_wolfe",
        [[-1.2, 1.0], [0.5, -0.3]],
        steps=3,
        history_size=3,
        max_iter=8,
        max_eval=12,
        lr=0.8,
    )
    for (gl, gx, gev, git), (tl, tx, tev, tit) in zip(g, t):
        assert (gev, git) == (tev, tit)
        np.testing.assert_allclose(gx, tx, rtol=1e-8, atol=1e-10)
    assert g[-1][0] < g[0][0]


def test_lbfgs_stops_at_optimum_and_returns_first_loss():
    x = glia.tensor(np.ones(2), requires_grad=True)
    opt = optim.LBFGS([x])
    calls = []

    def closure():
        calls.append(1)
        opt.zero_grad()
        loss = rosenbrock(x)
        loss.backward()
        return loss

    assert float(opt.step(closure)) == 0.0 and len(calls) == 1
    np.testing.assert_array_equal(x.detach().numpy(), [1.0, 1.0])


# ---- Evolution ----


def evolve(closure_of, params, steps, sigma_schedule=None, **kw):
    opt = optim.Evolution(params, **kw)
    closure = closure_of(params)
    losses = []
    for i in range(steps):
        if sigma_schedule:
            opt.param_groups[0]["sigma"] = sigma_schedule(i)
        losses.append(opt.step(closure))
    return opt, losses


C = np.array([0.7, -1.3, 2.0, 0.25])


def quadratic(params):
    c = glia.tensor(C)

    def closure():
        return ((glia.cat(params) - c) ** 2).sum()

    return closure


def params_at_zero():
    return [glia.zeros(2, dtype=glia.float64), glia.zeros(2, dtype=glia.float64)]


def test_evolution_minimizes_quadratic():
    params = params_at_zero()
    _, losses = evolve(
        quadratic, params, 60, sigma_schedule=lambda i: 0.3 if i < 30 else 0.03, seed=0
    )
    x = np.concatenate([p.numpy() for p in params])
    np.testing.assert_allclose(x, C, atol=0.03)
    assert losses[-1] < 2e-3 and losses[0] < float((C**2).sum())
    assert all(b <= a for a, b in zip(losses, losses[1:]))  # elitism: never worse
    # the returned loss is the loss at the parameters written back
    assert abs(float(quadratic(params)()) - losses[-1]) < 1e-12


def test_evolution_minimizes_non_differentiable_function():
    """A staircase (zero gradient almost everywhere) with its minimum 0 where every
    coordinate is within 0.1 of C."""

    def staircase(params):
        def closure():
            return float(
                np.floor(np.abs(np.concatenate([p.numpy() for p in params]) - C) * 10).sum()
            )

        return closure

    params = params_at_zero()
    _, losses = evolve(staircase, params, 40, sigma=0.2, seed=1)
    x = np.concatenate([p.numpy() for p in params])
    assert losses[-1] == 0.0 and np.all(np.abs(x - C) < 0.1)
    assert losses[0] > 0


def test_evolution_without_crossover_and_partial_mutation():
    params = params_at_zero()
    _, losses = evolve(
        quadratic,
        params,
        30,
        seed=2,
        crossover=False,
        mutation_rate=0.5,
        sigma=0.3,
        population_size=30,
    )
    assert losses[-1] < 0.05 * float((C**2).sum())


def test_evolution_is_reproducible_with_seed():
    a, b, c = params_at_zero(), params_at_zero(), params_at_zero()
    _, la = evolve(quadratic, a, 5, seed=11)
    _, lb = evolve(quadratic, b, 5, seed=11)
    _, lc = evolve(quadratic, c, 5, seed=12)
    assert la == lb and la != lc
    for p, q in zip(a, b):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


def test_evolution_state_dict_resumes_identically():
    params = params_at_zero()
    opt, _ = evolve(quadratic, params, 3, seed=4)
    saved = opt.state_dict()
    snapshot = [p.numpy().copy() for p in params]
    closure = quadratic(params)
    first = [opt.step(closure) for _ in range(3)]
    for p, s in zip(params, snapshot):
        p.copy_(glia.tensor(s))
    opt.load_state_dict(saved)
    assert [opt.step(closure) for _ in range(3)] == first


def test_evolution_float32_parameters_and_groups():
    w = glia.zeros(3)  # float32, no requires_grad
    v = glia.zeros(1)
    target = np.array([0.5, -0.5, 1.0, 0.2], dtype=np.float32)

    def closure():
        return float(((np.concatenate([w.numpy(), v.numpy()]) - target) ** 2).sum())

    # v's group does not mutate: it must stay where it is
    opt = optim.Evolution([{"params": [w]}, {"params": [v], "sigma": 0.0}], sigma=0.2, seed=3)
    for _ in range(30):
        loss = opt.step(closure)
    assert w.dtype == glia.float32 and v.numpy()[0] == 0.0
    np.testing.assert_allclose(w.numpy(), target[:3], atol=0.1)
    assert loss < 0.2**2 + 0.03


@pytest.mark.parametrize("make_opt,key", [
    (lambda p: optim.SGD(p, lr=0.1, momentum=0.9), "momentum_buffer"),
    (lambda p: optim.Adam(p, lr=0.1), "exp_avg"),
    (lambda p: optim.RMSprop(p, lr=0.1), "square_avg"),
])
def test_loaded_state_of_the_wrong_shape_raises(make_opt, key):
    p = glia.zeros(4, requires_grad=True)
    opt = make_opt([p])
    p.grad = glia.ones(4)
    opt.step()
    state = opt.state_dict()
    state["state"][0][key] = glia.zeros(2)
    opt.load_state_dict(state)
    before = p.detach().numpy().copy()
    check_raises(opt.step, ValueError, "state tensor", "(2,)", "(4,)")
    np.testing.assert_array_equal(p.detach().numpy(), before)  # nothing was written


@pytest.mark.parametrize("make_opt", [
    lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
    lambda p: optim.Adam(p, lr=0.1, amsgrad=True),
    lambda p: optim.Adagrad(p, lr=0.1),
    lambda p: optim.RMSprop(p, lr=0.1, centered=True, momentum=0.5),
    lambda p: optim.Adadelta(p),
    lambda p: optim.NAdam(p, lr=0.1),
    lambda p: optim.Adamax(p, lr=0.1),
    lambda p: optim.RAdam(p, lr=0.1),
    lambda p: optim.ASGD(p, lr=0.1),
    lambda p: optim.Adafactor(p, lr=0.1),
    lambda p: optim.Rprop(p, lr=0.1),
])
def test_a_failed_first_step_leaves_no_state_behind(make_opt):
    # A non-contiguous parameter fails the first step. Its state and the other parameter's
    # are then as before (empty), so later steps run as on a fresh optimizer: before, Rprop
    # kept half-made state and every later step raised KeyError.
    a = glia.tensor([1.0, -2.0, 3.0], requires_grad=True)
    bad = glia.tensor([[1.0, 2.0], [3.0, 4.0]]).t().detach().requires_grad_(True)
    opt = make_opt([a, bad])
    a.grad, bad.grad = glia.tensor([0.1, 0.2, -0.3]), glia.ones(2, 2)
    check_raises(opt.step, RuntimeError, "parameter 1", "contiguous")
    assert opt.state.get(a, {}) == {} and opt.state.get(bad, {}) == {}
    np.testing.assert_array_equal(a.detach().numpy(), [1.0, -2.0, 3.0])

    fresh = glia.tensor([1.0, -2.0, 3.0], requires_grad=True)
    twin = make_opt([fresh])
    bad.grad = None
    for _ in range(2):
        fresh.grad = glia.tensor([0.1, 0.2, -0.3])
        opt.step()
        twin.step()
        np.testing.assert_array_equal(a.detach().numpy(), fresh.detach().numpy())


@pytest.mark.parametrize("make_opt,key", [
    (lambda p: optim.SGD(p, lr=0.1, momentum=0.9), "momentum_buffer"),
    (lambda p: optim.Adam(p, lr=0.1), "exp_avg_sq"),
    (lambda p: optim.Adam(p, lr=0.1, amsgrad=True), "max_exp_avg_sq"),
    (lambda p: optim.Adagrad(p, lr=0.1), "sum"),
    (lambda p: optim.RMSprop(p, lr=0.1, centered=True), "grad_avg"),
    (lambda p: optim.RMSprop(p, lr=0.1, momentum=0.5), "momentum_buffer"),
    (lambda p: optim.Adadelta(p), "acc_delta"),
    (lambda p: optim.NAdam(p, lr=0.1), "exp_avg"),
    (lambda p: optim.Adamax(p, lr=0.1), "exp_inf"),
    (lambda p: optim.RAdam(p, lr=0.1), "exp_avg_sq"),
    (lambda p: optim.ASGD(p, lr=0.1), "ax"),
    (lambda p: optim.Adafactor(p, lr=0.1), "variance"),
    (lambda p: optim.Rprop(p, lr=0.1), "step_size"),
])
@pytest.mark.parametrize("bad", ["shape", "dtype"])
def test_bad_state_of_a_later_parameter_leaves_every_parameter_as_it_was(make_opt, key, bad):
    # The state is checked for every parameter before the first is updated, and the step
    # counts are restored: a failed step changes nothing (parameters, state tensors, step
    # counts), and once the state is fixed the run goes on exactly as one that never failed.
    def make():
        a = glia.tensor([1.0, -2.0, 3.0], requires_grad=True)
        b = glia.tensor([0.5, 0.25], requires_grad=True)
        opt = make_opt([a, b])
        a.grad, b.grad = glia.tensor([0.1, 0.2, -0.3]), glia.tensor([1.0, -1.0])
        opt.step()
        return a, b, opt

    def snapshot(opt, params):
        return [{k: (v.numpy().copy() if isinstance(v, glia.Tensor) else v)
                 for k, v in opt.state[p].items()} for p in params]

    a, b, opt = make()
    twin_a, twin_b, twin = make()
    twin.step()
    good = opt.state[b][key]
    before = [p.detach().numpy().copy() for p in (a, b)]
    state_before = snapshot(opt, (a, b))
    if bad == "shape":
        opt.state[b][key] = glia.zeros(3)
        check_raises(opt.step, ValueError, "state tensor 1", "(3,)", "(2,)")
    else:
        opt.state[b][key] = glia.zeros(2, dtype=glia.float64)
        check_raises(opt.step, TypeError, "state tensor 1", "float64", "float32")
    for p, was in zip((a, b), before):
        np.testing.assert_array_equal(p.detach().numpy(), was)
    opt.state[b][key] = good
    state_after = snapshot(opt, (a, b))
    assert [sorted(st) for st in state_after] == [sorted(st) for st in state_before]
    for st, was in zip(state_after, state_before):
        for k in st:
            np.testing.assert_array_equal(st[k], was[k], err_msg=k)

    opt.step()
    for p, q in ((a, twin_a), (b, twin_b)):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    for st, want in zip(snapshot(opt, (a, b)), snapshot(twin, (twin_a, twin_b))):
        assert sorted(st) == sorted(want)
        for k in st:
            np.testing.assert_array_equal(st[k], want[k], err_msg=k)
