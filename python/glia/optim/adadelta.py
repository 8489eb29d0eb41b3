"""Adadelta: steps scaled by the ratio of running RMS of updates and of gradients."""

from glia._C import _adadelta_step
from glia.optim.optimizer import Optimizer

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta, as torch.optim.Adadelta.

    Args:
        params: iterable of tensors or of dicts defining parameter groups.
        lr: coefficient scaling the delta (default 1.0).
        rho: decay rate of the running averages (default 0.9).
        eps: added inside the square roots for stability (default 1e-6).
        weight_decay: L2 penalty (default 0).
        maximize: maximize the objective instead of minimizing it (default False).

    Update, with g = ±grad + weight_decay * p:
        v = rho * v + (1 - rho) * g^2;  d = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * d^2;  p -= lr * d
    """

    _non_negative = ("lr", "eps", "weight_decay")

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False):
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Adadelta: invalid rho {rho}; expected a value in [0, 1]")
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _update(self, group, params, grads, states):
        self._prepare_state(params, states, square_avg=0.0, acc_delta=0.0)
        _adadelta_step(
            params,
            grads,
            [st["square_avg"] for st in states],
            [st["acc_delta"] for st in states],
            group["lr"],
            group["rho"],
            group["eps"],
            group["weight_decay"],
            group["maximize"],
        )
