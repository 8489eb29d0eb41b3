"""RMSprop: gradients scaled by a running root mean square, optionally centered."""

from glia._C import _rmsprop_step
from glia.optim.optimizer import Optimizer

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop, as torch.optim.RMSprop.

    Args:
        params: iterable of tensors or of dicts defining parameter groups.
        lr: learning rate (default 1e-2).
        alpha: smoothing constant of the squared-gradient average (default 0.99).
        eps: added to the denominator for stability (default 1e-8).
        weight_decay: L2 penalty (default 0).
        momentum: momentum factor (default 0).
        centered: normalize by an estimate of the gradient's variance (default False).
        maximize: maximize the objective instead of minimizing it (default False).

    Update, with g = ±grad + weight_decay * p:
        v = alpha * v + (1 - alpha) * g^2;  centered: a = alpha * a + (1 - alpha) * g, v~ = v - a^2
        d = g / (sqrt(v~) + eps);  with momentum b = momentum * b + d, p -= lr * b; else p -= lr * d
    """

    _non_negative = ("lr", "alpha", "eps", "weight_decay", "momentum")

    def __init__(
        self,
        params,
        lr=1e-2,
        alpha=0.99,
        eps=1e-8,
        weight_decay=0,
        momentum=0,
        centered=False,
        maximize=False,
    ):
        defaults = {
            "lr": lr,
            "alpha": alpha,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "centered": centered,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _update(self, group, params, grads, states):
        centered, momentum = group["centered"], group["momentum"]
        # created lazily, so momentum or centering switched on later starts from zero
        self._prepare_state(params, states, square_avg=0.0,
                            momentum_buffer=0.0 if momentum > 0 else None,
                            grad_avg=0.0 if centered else None)
        _rmsprop_step(
            params,
            grads,
            [st["square_avg"] for st in states],
            [st["grad_avg"] for st in states] if centered else [],
            [st["momentum_buffer"] for st in states] if momentum > 0 else [],
            group["lr"],
            group["alpha"],
            group["eps"],
            group["weight_decay"],
            momentum,
            centered,
            group["maximize"],
        )
