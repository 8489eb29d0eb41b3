"""Learning-rate schedulers with torch.optim.lr_scheduler's names, arguments and values.

A scheduler sets group['lr'] of its optimizer's param groups at construction (epoch 0)
and on every step(); get_last_lr() returns the rates it set last.
"""

import math
import types
from bisect import bisect_right
from collections import Counter

from glia.optim.optimizer import Optimizer

__all__ = [
    "ChainedScheduler",
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "MultiplicativeLR",
    "OneCycleLR",
    "PolynomialLR",
    "ReduceLROnPlateau",
    "SequentialLR",
    "StepLR",
]


def _per_group(owner, name, optimizer, value):
    """A list with one value per param group, from a scalar or a list; `owner` (the
    scheduler's name) starts the error message."""
    if isinstance(value, (list, tuple)):
        if len(value) != len(optimizer.param_groups):
            raise ValueError(
                f"{owner}: {name} must have one value per param group: got {len(value)} "
                f"values for {len(optimizer.param_groups)} groups"
            )
        return list(value)
    return [value] * len(optimizer.param_groups)


def _set_momentum(group, use_beta1, value):
    """Sets group['momentum'], or beta1 of group['betas'] (Adam and its kin), as torch does."""
    if use_beta1:
        group["betas"] = (value, *group["betas"][1:])
    else:
        group["momentum"] = value


def _check_momentum_option(owner, optimizer):
    """True if the optimizer's momentum is beta1; raises if it has no momentum to cycle."""
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise ValueError(
            f"{owner}: cycle_momentum needs an optimizer with a momentum or betas option"
        )
    return "betas" in optimizer.defaults


class LRScheduler:
    """Base class: subclasses define get_lr(), the rates for epoch `last_epoch`.

    Most schedules are written, like torch's, as a recursion on the current group['lr'],
    so they compose with other changes of the rate; `_closed_form_lr()` gives the rate
    from base_lrs directly and is used by step(epoch).

    Args:
        optimizer: the optimizer whose rates are set.
        last_epoch: index of the last epoch; -1 starts a fresh schedule, a larger value
            resumes one (the groups must then hold 'initial_lr').
    """

    def __init__(self, optimizer, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param 'initial_lr' is not specified in param_groups[{i}] "
                        "when resuming a scheduler with last_epoch >= 0"
                    )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self):
        """The constructor's step: it sets the epoch-0 rates (SequentialLR calls it again
        when a scheduler's turn comes); recursive schedules must not advance a resumed rate
        then."""
        self._step_count = 0
        self._is_initial = True
        self.step()
        self._is_initial = False

    def get_lr(self):
        raise NotImplementedError(f"{type(self).__name__} must define get_lr()")

    def get_last_lr(self):
        """The learning rates set by the last step(), one per param group."""
        return self._last_lr

    def step(self, epoch=None):
        """Advances one epoch (or jumps to `epoch`) and writes the new rates into the groups."""
        self._step_count += 1
        self._update_lr(epoch)

    def _update_lr(self, epoch=None):
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            values = self._closed_form_lr() if hasattr(self, "_closed_form_lr") else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _current_lrs(self):
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self):
        """Every attribute except the optimizer."""
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)


class LambdaLR(LRScheduler):
    """lr = base_lr * lr_lambda(epoch).

    Args:
        optimizer: the optimizer.
        lr_lambda: a function of the epoch, or a list of them, one per param group.
        last_epoch: index of the last epoch (default -1).
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        self.lr_lambdas = _per_group("LambdaLR", "lr_lambda", optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * fn(self.last_epoch) for fn, base in zip(self.lr_lambdas, self.base_lrs)]

    def state_dict(self):
        # functions are not state; callable objects keep their attributes
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [
            None if isinstance(fn, types.FunctionType) else dict(fn.__dict__)
            for fn in self.lr_lambdas
        ]
        return state

    def load_state_dict(self, state_dict):
        state = dict(state_dict)
        lambdas = state.pop("lr_lambdas")
        self.__dict__.update(state)
        for fn, saved in zip(self.lr_lambdas, lambdas):
            if saved is not None:
                fn.__dict__.update(saved)


class MultiplicativeLR(LRScheduler):
    """lr = previous lr * lr_lambda(epoch), from epoch 1 on.

    Args:
        optimizer: the optimizer.
        lr_lambda: a function of the epoch giving the factor, or a list of them, one per
            param group.
        last_epoch: index of the last epoch (default -1).
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        self.lr_lambdas = _per_group("MultiplicativeLR", "lr_lambda", optimizer, lr_lambda)
        for fn in self.lr_lambdas:
            if not callable(fn):
                raise TypeError(
                    f"MultiplicativeLR: lr_lambda must be a function, got {type(fn).__name__}"
                )
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._is_initial:
            return self._current_lrs()
        return [lr * fn(self.last_epoch) for fn, lr in zip(self.lr_lambdas, self._current_lrs())]

    # functions are not state; callable objects keep their attributes, as in LambdaLR
    state_dict = LambdaLR.state_dict
    load_state_dict = LambdaLR.load_state_dict


class StepLR(LRScheduler):
    """lr = base_lr * gamma ** (epoch // step_size).

    Args:
        optimizer: the optimizer.
        step_size: epochs between decays.
        gamma: decay factor (default 0.1).
        last_epoch: index of the last epoch (default -1).
    """

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _closed_form_lr(self):
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """lr = base_lr * gamma ** (number of milestones <= epoch).

    Args:
        optimizer: the optimizer.
        milestones: increasing epoch indices at which the rate decays.
        gamma: decay factor (default 0.1).
        last_epoch: index of the last epoch (default -1).
    """

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch not in self.milestones:
            return self._current_lrs()
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [lr * factor for lr in self._current_lrs()]

    def _closed_form_lr(self):
        milestones = sorted(self.milestones.elements())
        return [
            base * self.gamma ** bisect_right(milestones, self.last_epoch) for base in self.base_lrs
        ]


class ExponentialLR(LRScheduler):
    """lr = base_lr * gamma ** epoch.

    Args:
        optimizer: the optimizer.
        gamma: decay factor per epoch.
        last_epoch: index of the last epoch (default -1).
    """

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._is_initial:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _closed_form_lr(self):
        return [base * self.gamma**self.last_epoch for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2.

    Computed with torch's recursion on the current rate (so its values match torch's to
    the last bit); past T_max the cosine continues, rising back to base_lr at 2 T_max.

    Args:
        optimizer: the optimizer.
        T_max: epochs of a half period.
        eta_min: lowest rate (default 0).
        last_epoch: index of the last epoch (default -1).
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        e, T, lo = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current_lrs()
        if self._step_count == 1 and e > 0:
            return [
                lo + (base - lo) * (1 + math.cos(e * math.pi / T)) / 2 for base in self.base_lrs
            ]
        if (e - 1 - T) % (2 * T) == 0:
            # at the bottom of the cosine the ratio below divides by zero: add the first rise
            return [
                lr + (base - lo) * (1 - math.cos(math.pi / T)) / 2
                for base, lr in zip(self.base_lrs, self._current_lrs())
            ]
        ratio = (1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T))
        return [ratio * (lr - lo) + lo for lr in self._current_lrs()]

    def _closed_form_lr(self):
        return [
            self.eta_min
            + (base - self.eta_min) * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
            for base in self.base_lrs
        ]


class LinearLR(LRScheduler):
    """lr = base_lr * factor, the factor moving linearly from start_factor to end_factor
    over total_iters epochs, then constant.

    Args:
        optimizer: the optimizer.
        start_factor: factor at epoch 0, in (0, 1] (default 1/3).
        end_factor: factor from epoch total_iters on, in [0, 1] (default 1.0).
        total_iters: epochs of the linear change (default 5).
        last_epoch: index of the last epoch (default -1).
    """

    def __init__(
        self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1
    ):
        if not 0 < start_factor <= 1:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1], got {start_factor}")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"LinearLR: end_factor must be in [0, 1], got {end_factor}")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0:
            return [lr * self.start_factor for lr in self._current_lrs()]
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._current_lrs()
        span = self.end_factor - self.start_factor
        ratio = 1.0 + span / (self.total_iters * self.start_factor + (self.last_epoch - 1) * span)
        return [lr * ratio for lr in self._current_lrs()]

    def _closed_form_lr(self):
        # torch's order of operations, so the values agree to the last bit
        span = self.end_factor - self.start_factor
        factor = (
            self.start_factor + span * min(self.total_iters, self.last_epoch) / self.total_iters
        )
        return [base * factor for base in self.base_lrs]


class OneCycleLR(LRScheduler):
    """The 1cycle policy: the rate rises from max_lr / div_factor to max_lr over pct_start
    of the steps, then anneals to initial_lr / final_div_factor; momentum (or beta1) moves
    the opposite way between max_momentum and base_momentum. Step it after every batch.

    Args:
        optimizer: the optimizer.
        max_lr: peak rate, or one per group.
        total_steps: steps in the cycle; or give epochs and steps_per_epoch.
        epochs, steps_per_epoch: total_steps = epochs * steps_per_epoch.
        pct_start: fraction of the cycle spent rising (default 0.3).
        anneal_strategy: 'cos' or 'linear' (default 'cos').
        cycle_momentum: cycle group['momentum'] or betas[0] too (default True).
        base_momentum, max_momentum: momentum at the peak and at the ends (0.85, 0.95).
        div_factor: initial_lr = max_lr / div_factor (default 25).
        final_div_factor: min_lr = initial_lr / final_div_factor (default 1e4).
        three_phase: rise, fall back to initial_lr symmetrically, then anneal to min_lr
            (default False: rise, then anneal to min_lr).
        last_epoch: index of the last batch (default -1).

    In a phase from step a to b, pct = (step - a) / (b - a) and
    cos: lr = end + (start - end) * (1 + cos(pi * pct)) / 2
    linear: lr = start + (end - start) * pct
    """

    def __init__(
        self,
        optimizer,
        max_lr,
        total_steps=None,
        epochs=None,
        steps_per_epoch=None,
        pct_start=0.3,
        anneal_strategy="cos",
        cycle_momentum=True,
        base_momentum=0.85,
        max_momentum=0.95,
        div_factor=25.0,
        final_div_factor=1e4,
        three_phase=False,
        last_epoch=-1,
    ):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        if total_steps is not None:
            if not isinstance(total_steps, int) or total_steps <= 0:
                raise ValueError(
                    f"OneCycleLR: expected a positive integer total_steps, got " f"{total_steps}"
                )
            self.total_steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            if not isinstance(epochs, int) or epochs <= 0:
                raise ValueError(f"OneCycleLR: expected a positive integer epochs, got {epochs}")
            if not isinstance(steps_per_epoch, int) or steps_per_epoch <= 0:
                raise ValueError(
                    f"OneCycleLR: expected a positive integer steps_per_epoch, got "
                    f"{steps_per_epoch}"
                )
            self.total_steps = epochs * steps_per_epoch
        else:
            raise ValueError(
                "OneCycleLR: define either total_steps or (epochs and " "steps_per_epoch)"
            )
        if not isinstance(pct_start, float) or not 0 <= pct_start <= 1:
            raise ValueError(f"OneCycleLR: expected a float pct_start in [0, 1], got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', got "
                f"{anneal_strategy!r}"
            )
        self.anneal_strategy = anneal_strategy
        # each phase: (end step, start/end lr keys, start/end momentum keys) of the group
        rise_end = float(pct_start * self.total_steps) - 1
        if three_phase:
            self._phases = [
                (rise_end, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                (
                    float(2 * pct_start * self.total_steps) - 2,
                    "max_lr",
                    "initial_lr",
                    "base_momentum",
                    "max_momentum",
                ),
                (self.total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"),
            ]
        else:
            self._phases = [
                (rise_end, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                (self.total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"),
            ]
        max_lrs = _per_group("OneCycleLR", "max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for group, top in zip(optimizer.param_groups, max_lrs):
                group["initial_lr"] = top / div_factor
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = _check_momentum_option("OneCycleLR", optimizer)
            if last_epoch == -1:
                for group, top, bottom in zip(
                    optimizer.param_groups,
                    _per_group("OneCycleLR", "max_momentum", optimizer, max_momentum),
                    _per_group("OneCycleLR", "base_momentum", optimizer, base_momentum),
                ):
                    _set_momentum(group, self.use_beta1, top)
                    group["max_momentum"] = top
                    group["base_momentum"] = bottom
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start, end, pct):
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self):
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(
                f"OneCycleLR: tried to step {step} times; total_steps is " f"{self.total_steps}"
            )
        lrs = []
        for group in self.optimizer.param_groups:
            start = 0.0
            for i, (end, lr0, lr1, m0, m1) in enumerate(self._phases):
                if step <= end or i == len(self._phases) - 1:
                    pct = (step - start) / (end - start)
                    lrs.append(self._anneal(group[lr0], group[lr1], pct))
                    if self.cycle_momentum:
                        _set_momentum(
                            group, self.use_beta1, self._anneal(group[m0], group[m1], pct)
                        )
                    break
                start = end
        return lrs


class ReduceLROnPlateau(LRScheduler):
    """Multiplies the rate by `factor` when a metric stops improving for `patience` epochs.

    Args:
        optimizer: the optimizer.
        mode: 'min' (the metric should fall) or 'max' (default 'min').
        factor: new_lr = lr * factor, < 1 (default 0.1).
        patience: epochs without improvement tolerated before a reduction (default 10).
        threshold: the least change that counts as an improvement (default 1e-4).
        threshold_mode: 'rel' (best * (1 -/+ threshold)) or 'abs' (best -/+ threshold).
        cooldown: epochs after a reduction during which bad epochs are not counted (default 0).
        min_lr: lower bound of the rate, or one per group (default 0).
        eps: reductions smaller than eps are skipped (default 1e-8).
    """

    def __init__(
        self,
        optimizer,
        mode="min",
        factor=0.1,
        patience=10,
        threshold=1e-4,
        threshold_mode="rel",
        cooldown=0,
        min_lr=0,
        eps=1e-8,
    ):
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be < 1.0, got {factor}")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', got "
                f"{threshold_mode!r}"
            )
        self.optimizer = optimizer
        self.factor = factor
        self.min_lrs = _per_group("ReduceLROnPlateau", "min_lr", optimizer, min_lr)
        self.mode, self.threshold, self.threshold_mode = mode, threshold, threshold_mode
        self.patience, self.cooldown, self.eps = patience, cooldown, eps
        self.last_epoch = 0
        self._last_lr = self._current_lrs()
        self._reset()

    def _reset(self):
        self.best = math.inf if self.mode == "min" else -math.inf
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    @property
    def in_cooldown(self):
        return self.cooldown_counter > 0

    def is_better(self, a, best):
        if self.mode == "min":
            return a < (
                best * (1.0 - self.threshold)
                if self.threshold_mode == "rel"
                else best - self.threshold
            )
        return a > (
            best * (1.0 + self.threshold) if self.threshold_mode == "rel" else best + self.threshold
        )

    def step(self, metrics, epoch=None):
        """Records one epoch's metric and reduces the rates if it has plateaued."""
        current = float(metrics)
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
                old = float(group["lr"])
                new = max(old * self.factor, min_lr)
                if old - new > self.eps:
                    group["lr"] = new
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._current_lrs()


class ConstantLR(LRScheduler):
    """lr = base_lr * factor for epochs before total_iters, then base_lr.

    Computed, like torch's, on the current rate (times factor at epoch 0, divided by it at
    epoch total_iters), so it composes with other changes of the rate.

    Args:
        optimizer: the optimizer.
        factor: multiplier until epoch total_iters, in [0, 1] (default 1/3).
        total_iters: epochs during which the factor applies (default 5).
        last_epoch: index of the last epoch (default -1).
    """

    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5, last_epoch=-1):
        if not 0 <= factor <= 1:
            raise ValueError(f"ConstantLR: factor must be in [0, 1], got {factor}")
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0:
            return [lr * self.factor for lr in self._current_lrs()]
        if self.last_epoch != self.total_iters:
            return self._current_lrs()
        return [lr * (1.0 / self.factor) for lr in self._current_lrs()]

    def _closed_form_lr(self):
        done = self.last_epoch >= self.total_iters
        return [base * (self.factor + done * (1 - self.factor)) for base in self.base_lrs]


class PolynomialLR(LRScheduler):
    """lr = base_lr * (1 - min(epoch, total_iters) / total_iters) ** power: decays to 0 at
    epoch total_iters and stays there.

    Args:
        optimizer: the optimizer.
        total_iters: epochs of the decay (default 5).
        power: power of the polynomial (default 1.0).
        last_epoch: index of the last epoch (default -1).
    """

    def __init__(self, optimizer, total_iters=5, power=1.0, last_epoch=-1):
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        e, n = self.last_epoch, self.total_iters
        if self._is_initial or e > n:
            return self._current_lrs()
        ratio = ((1.0 - e / n) / (1.0 - (e - 1) / n)) ** self.power
        return [lr * ratio for lr in self._current_lrs()]

    def _closed_form_lr(self):
        left = 1.0 - min(self.total_iters, self.last_epoch) / self.total_iters
        return [base * left**self.power for base in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    """SGDR: lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2, where
    T_cur counts the epochs since the last restart and T_i, the length of the current
    cycle, starts at T_0 and is multiplied by T_mult at each restart.

    Args:
        optimizer: the optimizer.
        T_0: epochs until the first restart, a positive int.
        T_mult: factor by which T_i grows after a restart, an int >= 1 (default 1).
        eta_min: lowest rate (default 0).
        last_epoch: index of the last epoch (default -1).

    step(epoch) may be given a fractional epoch (e.g. epoch + i / batches_per_epoch after
    batch i); last_epoch is then floor(epoch), and a later step() continues from there.
    """

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):
        if not isinstance(T_0, int) or T_0 <= 0:
            raise ValueError(
                f"CosineAnnealingWarmRestarts: T_0 must be a positive integer, got {T_0}"
            )
        if not isinstance(T_mult, int) or T_mult < 1:
            raise ValueError(
                f"CosineAnnealingWarmRestarts: T_mult must be an integer >= 1, got {T_mult}"
            )
        if not isinstance(eta_min, (float, int)):
            raise ValueError(  # noqa: TRY004 -- torch raises ValueError here
                f"CosineAnnealingWarmRestarts: eta_min must be a float or int, got "
                f"{eta_min!r} of type {type(eta_min).__name__}"
            )
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        lo = self.eta_min
        return [
            lo + (base - lo) * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
            for base in self.base_lrs
        ]

    def step(self, epoch=None):
        """Advances one epoch, or jumps to `epoch` (an int or a float >= 0)."""
        # like torch's, this step does not count _step_count
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            if epoch < 0:
                raise ValueError(
                    f"CosineAnnealingWarmRestarts: epoch must be non-negative, got {epoch}"
                )
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:
                    # the number of completed cycles: T_0 (T_mult^n - 1) / (T_mult - 1) <= epoch
                    n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult**n - 1) / (self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult**n
            else:
                self.T_i = self.T_0
                self.T_cur = epoch
        self.last_epoch = math.floor(epoch)
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = self._current_lrs()


class CyclicLR(LRScheduler):
    """Cyclical learning rate: the rate moves between base_lr and max_lr, up over
    step_size_up steps and down over step_size_down, the swing scaled by the policy;
    momentum (or Adam's beta1) moves the opposite way between max_momentum and
    base_momentum. Step it after every batch.

    Args:
        optimizer: the optimizer.
        base_lr: lowest rate, or one per group; written into the groups at construction.
        max_lr: highest rate, or one per group (reached only where the scale is 1).
        step_size_up: steps of the rising half of a cycle (default 2000).
        step_size_down: steps of the falling half (default None: step_size_up).
        mode: 'triangular' (scale 1), 'triangular2' (halved each cycle) or 'exp_range'
            (gamma ** step); ignored when scale_fn is given (default 'triangular').
        gamma: the base of 'exp_range' (default 1.0).
        scale_fn: a function of the cycle number (1, 2, ...) or of the step, in [0, 1],
            that replaces the mode's scale (default None).
        scale_mode: what scale_fn is given, 'cycle' or 'iterations' (default 'cycle'); the
            built-in modes set it themselves ('exp_range': 'iterations').
        cycle_momentum: cycle group['momentum'] or betas[0] too (default True).
        base_momentum, max_momentum: momentum at the peak and at the ends of a cycle, or
            one per group (0.8, 0.9).
        last_epoch: index of the last batch (default -1).

    With cycle = floor(1 + step / (up + down)), x = 1 + step / (up + down) - cycle and
    f = x / r when x <= r = up / (up + down), else (x - 1) / (r - 1):
    lr = base_lr + (max_lr - base_lr) * f * scale,
    momentum = max_momentum - (max_momentum - base_momentum) * f * scale.
    """

    def __init__(
        self,
        optimizer,
        base_lr,
        max_lr,
        step_size_up=2000,
        step_size_down=None,
        mode="triangular",
        gamma=1.0,
        scale_fn=None,
        scale_mode="cycle",
        cycle_momentum=True,
        base_momentum=0.8,
        max_momentum=0.9,
        last_epoch=-1,
    ):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError(
                f"CyclicLR: mode must be 'triangular', 'triangular2' or 'exp_range' when "
                f"scale_fn is None, got {mode!r}"
            )
        if scale_mode not in ("cycle", "iterations"):
            raise ValueError(
                f"CyclicLR: scale_mode must be 'cycle' or 'iterations', got {scale_mode!r}"
            )
        base_lrs = _per_group("CyclicLR", "base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for group, lr in zip(optimizer.param_groups, base_lrs):
                group["lr"] = lr
        self.max_lrs = _per_group("CyclicLR", "max_lr", optimizer, max_lr)
        step_size_up = float(step_size_up)
        step_size_down = step_size_up if step_size_down is None else float(step_size_down)
        self.total_size = step_size_up + step_size_down
        self.step_ratio = step_size_up / self.total_size
        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        self._init_scale_fn()
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = _check_momentum_option("CyclicLR", optimizer)
            self.base_momentums = _per_group("CyclicLR", "base_momentum", optimizer, base_momentum)
            self.max_momentums = _per_group("CyclicLR", "max_momentum", optimizer, max_momentum)
            if last_epoch == -1:
                for group, top, bottom in zip(
                    optimizer.param_groups, self.max_momentums, self.base_momentums
                ):
                    _set_momentum(group, self.use_beta1, top)
                    group["max_momentum"] = top
                    group["base_momentum"] = bottom
        # as in torch, the constructor's step runs with base_lrs = the groups' initial_lr
        # (base_lr unless the groups already had one); base_lr is used from then on
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _init_scale_fn(self):
        if self._scale_fn_custom is None:
            self.scale_mode = "iterations" if self.mode == "exp_range" else "cycle"

    def scale_fn(self, x):
        """The amplitude's scale at cycle number or step x."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma**x

    def get_lr(self):
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            f = x / self.step_ratio
        else:
            f = (x - 1) / (self.step_ratio - 1)
        at = cycle if self.scale_mode == "cycle" else self.last_epoch
        # scale_fn is called once per group and value, as torch does
        lrs = [
            base + (top - base) * f * self.scale_fn(at)
            for base, top in zip(self.base_lrs, self.max_lrs)
        ]
        if self.cycle_momentum:
            momentums = [
                top - (top - bottom) * f * self.scale_fn(at)
                for bottom, top in zip(self.base_momentums, self.max_momentums)
            ]
            for group, momentum in zip(self.optimizer.param_groups, momentums):
                _set_momentum(group, self.use_beta1, momentum)
        return lrs

    def state_dict(self):
        # a function scale_fn is not state; a callable object keeps its attributes
        state = super().state_dict()
        fn = state.pop("_scale_fn_custom")
        state["_scale_fn_custom"] = (
            None if fn is None or isinstance(fn, types.FunctionType) else dict(fn.__dict__)
        )
        return state

    def load_state_dict(self, state_dict):
        state = dict(state_dict)
        fn = state.pop("_scale_fn_custom")
        super().load_state_dict(state)
        if fn is not None:
            self._scale_fn_custom.__dict__.update(fn)
        self._init_scale_fn()


def _check_schedulers(owner, optimizer, schedulers):
    """The checks torch makes of SequentialLR's and ChainedScheduler's schedulers."""
    if len(schedulers) < 1:
        raise ValueError(f"{owner}: expected at least one scheduler, got none")
    for i, sched in enumerate(schedulers):
        if not hasattr(sched, "optimizer"):
            raise TypeError(
                f"{owner}: the {type(sched).__name__} at index {i} has no optimizer attribute"
            )
        if isinstance(sched, ReduceLROnPlateau):
            raise ValueError(  # noqa: TRY004 -- torch raises ValueError here
                f"{owner}: got ReduceLROnPlateau at index {i}, which is not supported (its "
                "step() needs a metric)"
            )
        if sched.optimizer != optimizer:
            raise ValueError(
                f"{owner}: all schedulers must belong to the same optimizer, but the "
                f"{type(sched).__name__} at index {i} has another one"
            )


class SequentialLR(LRScheduler):
    """Runs schedulers one after another: schedulers[i] steps from epoch milestones[i-1] on.

    At construction the groups' rates go back to their initial_lr and only the first
    scheduler's epoch-0 step is kept; at milestone m the next scheduler restarts at its
    epoch 0 (computed in closed form where it has one), as in torch.

    Args:
        optimizer: the optimizer all the schedulers belong to.
        schedulers: the schedulers, in order.
        milestones: increasing epochs at which the next scheduler takes over, one fewer
            than the schedulers.
        last_epoch: index of the last epoch (default -1).
    """

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        _check_schedulers("SequentialLR", optimizer, schedulers)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                f"SequentialLR: expected one milestone fewer than schedulers, got "
                f"{len(schedulers)} schedulers and {len(milestones)} milestones"
            )
        self._schedulers = schedulers
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        # undo the constructors' steps, then take the first scheduler's step again
        self.recursive_undo()
        idx = bisect_right(self._milestones, 0)
        self._schedulers[idx]._initial_step()
        self._last_lr = schedulers[idx].get_last_lr()

    def recursive_undo(self, sched=None):
        """Moves every (nested) scheduler's last_epoch back one step."""
        sched = self if sched is None else sched
        if hasattr(sched, "_schedulers"):
            for inner in sched._schedulers:
                self.recursive_undo(inner)
        elif hasattr(sched, "last_epoch"):
            sched.last_epoch -= 1

    def step(self):
        """Advances one epoch: steps the scheduler whose turn it is."""
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        sched = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            sched._update_lr(0)
        else:
            sched.step()
        self._last_lr = sched.get_last_lr()

    def state_dict(self):
        """Every attribute except the optimizer, with the schedulers' own state dicts."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [sched.state_dict() for sched in self._schedulers]
        return state

    def load_state_dict(self, state_dict):
        state = dict(state_dict)
        inner = state.pop("_schedulers")
        self.__dict__.update(state)
        for sched, saved in zip(self._schedulers, inner):
            sched.load_state_dict(saved)


class ChainedScheduler(LRScheduler):
    """Steps several schedulers of one optimizer together: each step() calls every
    scheduler's step() in order, so their (recursive) changes of the rate compose.

    Args:
        schedulers: the schedulers, in the order they step.
        optimizer: their optimizer (default None: the first scheduler's).
    """

    def __init__(self, schedulers, optimizer=None):
        if len(schedulers) < 1:
            raise ValueError("ChainedScheduler: expected at least one scheduler, got none")
        if optimizer is None:
            optimizer = getattr(schedulers[0], "optimizer", None)
        _check_schedulers("ChainedScheduler", optimizer, schedulers)
        self._schedulers = schedulers
        self.optimizer = optimizer
        self._last_lr = [group["lr"] for group in schedulers[-1].optimizer.param_groups]

    def step(self):
        """Steps every scheduler once."""
        for sched in self._schedulers:
            sched.step()
        self._last_lr = [group["lr"] for group in self._schedulers[-1].optimizer.param_groups]

    state_dict = SequentialLR.state_dict
    load_state_dict = SequentialLR.load_state_dict
