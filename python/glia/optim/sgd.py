"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from glia._C import _sgd_step
from glia.optim.optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent, as torch.optim.SGD.

    Args:
        params: iterable of tensors or of dicts defining parameter groups.
        lr: learning rate (default 1e-3).
        momentum: momentum factor (default 0).
        dampening: dampening of the momentum (default 0).
        weight_decay: L2 penalty (default 0).
        nesterov: use Nesterov momentum (default False).
        maximize: maximize the objective instead of minimizing it (default False).

    Update, with g = ±grad + weight_decay * p:
        b = g on the first step, else b = momentum * b + (1 - dampening) * g
        p -= lr * (g + momentum * b if nesterov else b)   (p -= lr * g without momentum)
    """

    _non_negative = ("lr", "momentum", "weight_decay")

    def __init__(
        self,
        params,
        lr=1e-3,
        momentum=0,
        dampening=0,
        weight_decay=0,
        nesterov=False,
        *,
        maximize=False,
    ):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum and zero dampening")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _update(self, group, params, grads, states):
        momentum = group["momentum"]
        args = (
            group["lr"],
            momentum,
            group["dampening"],
            group["weight_decay"],
            group["nesterov"],
            group["maximize"],
        )
        # None where a parameter has no buffer yet: C++ starts it from the gradient (as torch)
        bufs = [state.get("momentum_buffer") for state in states]
        new_bufs = _sgd_step(params, grads, bufs, *args)
        if momentum != 0:
            for state, buf in zip(states, new_bufs):
                state["momentum_buffer"] = buf
