"""NAdam: Adam with Nesterov momentum and a warming-up momentum schedule."""

from glia._C import _nadam_step
from glia.optim.adam import _check_betas
from glia.optim.optimizer import Optimizer

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """NAdam, as torch.optim.NAdam.

    Args:
        params: iterable of tensors or of dicts defining parameter groups.
        lr: learning rate (default 2e-3).
        betas: decay rates (beta1, beta2) of the moment estimates (default (0.9, 0.999)).
        eps: added to the denominator for stability (default 1e-8).
        weight_decay: L2 penalty (default 0).
        momentum_decay: speed of the momentum warm-up (default 4e-3).
        maximize: maximize the objective instead of minimizing it (default False).

    Update at step t, with g = ±grad + weight_decay * p, mu_t = beta1 * (1 - 0.5 * 0.96^(t * psi)):
        m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g^2
        d = sqrt(v / (1 - beta2^t)) + eps;  P_t = mu_1 * ... * mu_t
        p -= lr * (1 - mu_t) / (1 - P_t) * g / d + lr * mu_{t+1} / (1 - P_t * mu_{t+1}) * m / d
    """

    _non_negative = ("lr", "eps", "weight_decay", "momentum_decay")

    def __init__(
        self,
        params,
        lr=2e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        momentum_decay=4e-3,
        *,
        maximize=False,
    ):
        _check_betas("NAdam", betas)
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _update(self, group, params, grads, states):
        self._prepare_state(params, states, exp_avg=0.0, exp_avg_sq=0.0)
        for st in states:
            st.setdefault("mu_product", 1.0)  # running product of the momentum coefficients
        beta1, beta2 = group["betas"]
        products = _nadam_step(
            params,
            grads,
            [st["exp_avg"] for st in states],
            [st["exp_avg_sq"] for st in states],
            [st["mu_product"] for st in states],
            [st["step"] for st in states],
            group["lr"],
            beta1,
            beta2,
            group["eps"],
            group["weight_decay"],
            group["momentum_decay"],
            group["maximize"],
        )
        for st, mu_product in zip(states, products):
            st["mu_product"] = mu_product
