"""Adam and AdamW: adaptive moment estimation, with L2 or decoupled weight decay."""

from glia._C import _adam_step
from glia.optim.optimizer import Optimizer

__all__ = ["Adam", "AdamW"]


def _check_betas(name, betas):
    if not 0.0 <= betas[0] < 1.0 or not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"{name}: invalid betas {tuple(betas)}; expected values in [0, 1)")


class Adam(Optimizer):
    """Adam, as torch.optim.Adam.

    Args:
        params: iterable of tensors or of dicts defining parameter groups.
        lr: learning rate (default 1e-3).
        betas: decay rates (beta1, beta2) of the moment estimates (default (0.9, 0.999)).
        eps: added to the denominator for stability (default 1e-8).
        weight_decay: L2 penalty, or decoupled decay when decoupled_weight_decay (default 0).
        amsgrad: use the running maximum of the second moment (default False).
        maximize: maximize the objective instead of minimizing it (default False).
        decoupled_weight_decay: decay p by lr * weight_decay directly, as AdamW (default False).

    Update at step t, with g = ±grad (+ weight_decay * p unless decoupled):
        m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g^2
        p -= lr / (1 - beta1^t) * m / (sqrt(v_hat) / sqrt(1 - beta2^t) + eps)
    where v_hat = v, or max(v_hat, v) with amsgrad.
    """

    _non_negative = ("lr", "eps", "weight_decay")

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        amsgrad=False,
        *,
        maximize=False,
        decoupled_weight_decay=False,
    ):
        _check_betas(type(self).__name__, betas)
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _update(self, group, params, grads, states):
        amsgrad = group["amsgrad"]
        self._prepare_state(params, states, exp_avg=0.0, exp_avg_sq=0.0,
                            max_exp_avg_sq=0.0 if amsgrad else None)
        beta1, beta2 = group["betas"]
        _adam_step(
            params,
            grads,
            [st["exp_avg"] for st in states],
            [st["exp_avg_sq"] for st in states],
            [st["max_exp_avg_sq"] for st in states] if amsgrad else [],
            [st["step"] for st in states],
            group["lr"],
            beta1,
            beta2,
            group["eps"],
            group["weight_decay"],
            amsgrad,
            group["maximize"],
            group["decoupled_weight_decay"],
        )


class AdamW(Adam):
    """Adam with decoupled weight decay, as torch.optim.AdamW.

    Args are Adam's, with weight_decay defaulting to 1e-2. Each step first shrinks
    p *= 1 - lr * weight_decay, then applies Adam's update to the raw gradient.
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=1e-2,
        amsgrad=False,
        *,
        maximize=False,
    ):
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )
