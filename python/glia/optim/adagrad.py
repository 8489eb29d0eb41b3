"""Adagrad: per-coordinate learning rates from the sum of squared gradients."""

from glia._C import _adagrad_step
from glia.optim.optimizer import Optimizer

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad, as torch.optim.Adagrad.

    Args:
        params: iterable of tensors or of dicts defining parameter groups.
        lr: learning rate (default 1e-2).
        lr_decay: learning-rate decay per step (default 0).
        weight_decay: L2 penalty (default 0).
        initial_accumulator_value: starting value of the squared-gradient sum (default 0).
        eps: added to the denominator for stability (default 1e-10).
        maximize: maximize the objective instead of minimizing it (default False).

    Update at step t, with g = ±grad + weight_decay * p:
        s += g^2;  p -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)
    """

    _non_negative = ("lr", "lr_decay", "weight_decay", "eps", "initial_accumulator_value")

    def __init__(
        self,
        params,
        lr=1e-2,
        lr_decay=0,
        weight_decay=0,
        initial_accumulator_value=0,
        eps=1e-10,
        *,
        maximize=False,
    ):
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "eps": eps,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _update(self, group, params, grads, states):
        self._prepare_state(params, states, sum=float(group["initial_accumulator_value"]))
        _adagrad_step(
            params,
            grads,
            [st["sum"] for st in states],
            [st["step"] for st in states],
            group["lr"],
            group["lr_decay"],
            group["weight_decay"],
            group["eps"],
            group["maximize"],
        )
