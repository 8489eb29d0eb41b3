"""Adamax: Adam with the infinity norm in place of the second moment."""

from glia._C import _adamax_step
from glia.optim.adam import _check_betas
from glia.optim.optimizer import Optimizer

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adamax, as torch.optim.Adamax.

    Args:
        params: iterable of tensors or of dicts defining parameter groups.
        lr: learning rate (default 2e-3).
        betas: decay rates (beta1, beta2) of the first moment and of the norm (default
            (0.9, 0.999)).
        eps: added to |g| in the norm for stability (default 1e-8).
        weight_decay: L2 penalty (default 0).
        maximize: maximize the objective instead of minimizing it (default False).

    Update at step t, with g = ±grad + weight_decay * p:
        m = beta1 * m + (1 - beta1) * g;  u = max(beta2 * u, |g| + eps)
        p -= lr / (1 - beta1^t) * m / u
    """

    _non_negative = ("lr", "eps", "weight_decay")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, *,
                 maximize=False):
        _check_betas("Adamax", betas)
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize}
        super().__init__(params, defaults)

    def _update(self, group, params, grads, states):
        self._prepare_state(params, states, exp_avg=0.0, exp_inf=0.0)
        beta1, beta2 = group["betas"]
        _adamax_step(params, grads, [st["exp_avg"] for st in states],
                     [st["exp_inf"] for st in states], [st["step"] for st in states],
                     group["lr"], beta1, beta2, group["eps"], group["weight_decay"],
                     group["maximize"])
