"""ASGD: SGD whose parameters are also averaged over the run (Polyak-Ruppert averaging)."""

from glia._C import _asgd_step
from glia.optim.optimizer import Optimizer

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """Averaged SGD, as torch.optim.ASGD.

    Args:
        params: iterable of tensors or of dicts defining parameter groups.
        lr: learning rate (default 1e-2).
        lambd: decay term (default 1e-4).
        alpha: power of the step-size decay (default 0.75).
        t0: the step after which averaging starts (default 1e6).
        weight_decay: L2 penalty (default 0).
        maximize: maximize the objective instead of minimizing it (default False).

    Update at step t, with g = ±grad + weight_decay * p, eta and mu from the previous step
    (starting at lr and 1):
        p = p (1 - lambd eta) - eta g;  ax = ax + mu (p - ax)
        eta = lr / (1 + lambd lr t)^alpha;  mu = 1 / max(1, t - t0)
    The average is state["ax"].
    """

    _non_negative = ("lr", "lambd", "weight_decay")

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, *,
                 maximize=False):
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0,
                    "weight_decay": weight_decay, "maximize": maximize}
        super().__init__(params, defaults)

    def _update(self, group, params, grads, states):
        self._prepare_state(params, states, ax=0.0)
        for st in states:
            st.setdefault("eta", float(group["lr"]))
            st.setdefault("mu", 1.0)
        etas, mus = _asgd_step(
            params, grads, [st["ax"] for st in states], [st["eta"] for st in states],
            [st["mu"] for st in states], [st["step"] for st in states], group["lr"],
            group["lambd"], group["alpha"], group["t0"], group["weight_decay"],
            group["maximize"])
        for st, eta, mu in zip(states, etas, mus):
            st["eta"], st["mu"] = eta, mu
