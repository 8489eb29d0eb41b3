"""Rprop: sign-based steps whose sizes grow while the gradient keeps its sign."""

import glia
from glia._C import _rprop_step
from glia.optim.optimizer import Optimizer

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """Resilient backpropagation, as torch.optim.Rprop.

    Args:
        params: iterable of tensors or of dicts defining parameter groups.
        lr: initial step size (default 1e-2).
        etas: (eta_minus, eta_plus), step-size factors on a sign change / no change
            (default (0.5, 1.2)).
        step_sizes: (min, max) bounds of the step size (default (1e-6, 50)).
        maximize: maximize the objective instead of minimizing it (default False).

    Update, with g = ±grad and s = g * g_prev:
        s > 0: step = min(step * eta_plus, max);  s < 0: step = max(step * eta_minus, min), g = 0
        p -= sign(g) * step;  g_prev = g
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, maximize=False):
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(
                f"Rprop: invalid etas {tuple(etas)}; expected 0 < eta_minus < 1 < " "eta_plus"
            )
        defaults = {
            "lr": lr,
            "etas": tuple(etas),
            "step_sizes": tuple(step_sizes),
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _update(self, group, params, grads, states):
        (eta_minus, eta_plus), (step_min, step_max) = group["etas"], group["step_sizes"]
        for p, st in zip(params, states):
            if not st:
                st["step"] = 0
                st["prev"] = glia.zeros_like(p)
                # torch clamps every step size on the first step (the kernel only clamps
                # after a sign test), so start from the clamped lr
                st["step_size"] = glia.full_like(p, min(max(group["lr"], step_min), step_max))
            st["step"] += 1
        _rprop_step(
            params,
            grads,
            [st["prev"] for st in states],
            [st["step_size"] for st in states],
            group["lr"],
            eta_minus,
            eta_plus,
            step_min,
            step_max,
            group["maximize"],
        )
