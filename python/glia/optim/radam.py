"""RAdam: Adam whose adaptive rate is rectified by the variance it has early in training."""

from glia._C import _radam_step
from glia.optim.adam import _check_betas
from glia.optim.optimizer import Optimizer

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """RAdam, as torch.optim.RAdam (Liu et al., 2019).

    Args:
        params: iterable of tensors or of dicts defining parameter groups.
        lr: learning rate (default 1e-3).
        betas: decay rates (beta1, beta2) of the moment estimates (default (0.9, 0.999)).
        eps: added to the denominator for stability (default 1e-8).
        weight_decay: L2 penalty, or decoupled decay when decoupled_weight_decay (default 0).
        decoupled_weight_decay: decay p by lr * weight_decay directly, as AdamW (default False).
        maximize: maximize the objective instead of minimizing it (default False).

    Update at step t, with g = ±grad (+ weight_decay * p unless decoupled), m and v as Adam's,
    rho_inf = 2 / (1 - beta2) - 1 and rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t):
        while rho_t <= 5:  p -= lr * m / (1 - beta1^t)            (momentum SGD)
        then:              p -= lr * m / (1 - beta1^t) * r_t * sqrt(1 - beta2^t) / (sqrt(v) + eps)
    with r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t)).
    """

    _non_negative = ("lr", "eps", "weight_decay")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, maximize=False):
        _check_betas("RAdam", betas)
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize}
        super().__init__(params, defaults)

    def _update(self, group, params, grads, states):
        self._prepare_state(params, states, exp_avg=0.0, exp_avg_sq=0.0)
        beta1, beta2 = group["betas"]
        _radam_step(params, grads, [st["exp_avg"] for st in states],
                    [st["exp_avg_sq"] for st in states], [st["step"] for st in states],
                    group["lr"], beta1, beta2, group["eps"], group["weight_decay"],
                    group["decoupled_weight_decay"], group["maximize"])
