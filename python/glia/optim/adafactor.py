"""Adafactor: Adam-like steps whose second moment of a matrix is kept as row and column
means (memory O(rows + cols)), with relative step sizes and update clipping."""

import glia
from glia._C import _adafactor_step
from glia.optim.optimizer import Optimizer

__all__ = ["Adafactor"]


class Adafactor(Optimizer):
    """Adafactor, as torch.optim.Adafactor (Shazeer and Stern, 2018).

    Args:
        params: iterable of tensors or of dicts defining parameter groups.
        lr: learning rate (default 1e-2); the step is also capped by 1 / sqrt(t).
        beta2_decay: the second-moment weight at step t is t^beta2_decay (default -0.8).
        eps: (eps1, eps2): eps1 floors the second moment (None: the dtype's epsilon), eps2 the
            parameter RMS that scales the step (default (None, 1e-3)).
        d: the update's RMS is clipped at d (default 1.0).
        weight_decay: decoupled weight decay (default 0).
        maximize: maximize the objective instead of minimizing it (default False).

    For a parameter of 2 or more dims the second moment is factored over its last two dims:
    state["row_var"] (last dim 1) and state["col_var"] (second-to-last dim 1); a vector keeps
    state["variance"].
    """

    _non_negative = ("lr", "weight_decay")

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
                 weight_decay=0.0, *, maximize=False):
        if not beta2_decay <= 0:
            raise ValueError(f"Adafactor: beta2_decay must be <= 0, got {beta2_decay}")
        if eps[0] is not None and eps[0] < 0 or eps[1] < 0:
            raise ValueError(f"Adafactor: eps values must be >= 0, got {tuple(eps)}")
        if not d >= 1:
            raise ValueError(f"Adafactor: the clipping threshold d must be >= 1, got {d}")
        defaults = {"lr": lr, "beta2_decay": beta2_decay, "eps": tuple(eps), "d": d,
                    "weight_decay": weight_decay, "maximize": maximize}
        super().__init__(params, defaults)

    def _update(self, group, params, grads, states):
        self._prepare_state(params, states)
        for p, st in zip(params, states):
            if p.dim() > 1 and "row_var" not in st:
                row, col = list(p.shape), list(p.shape)
                row[-1], col[-2] = 1, 1
                st["row_var"] = glia.zeros(*row, dtype=p.dtype)
                st["col_var"] = glia.zeros(*col, dtype=p.dtype)
            elif p.dim() <= 1 and "variance" not in st:
                st["variance"] = glia.zeros_like(p)
        eps1, eps2 = group["eps"]
        _adafactor_step(
            params, grads, [st.get("row_var") for st in states],
            [st.get("col_var") for st in states], [st.get("variance") for st in states],
            [st["step"] for st in states], group["lr"], group["beta2_decay"],
            -1.0 if eps1 is None else eps1, eps2, group["d"], group["weight_decay"],
            group["maximize"])
