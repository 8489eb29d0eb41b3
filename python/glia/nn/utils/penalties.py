"""Weight penalties (regularizers): differentiable scalars to add to a loss.

Each takes a Module (all its parameters), one tensor, or an iterable of tensors; pass a
filtered list to leave out, e.g., biases.
"""
import glia
from glia._C import Tensor
from glia.nn.module import Module

__all__ = ["l1_penalty", "l2_penalty", "elastic_net_penalty"]


def _params(model_or_params):
    if isinstance(model_or_params, Module):
        return list(model_or_params.parameters())
    if isinstance(model_or_params, Tensor):
        return [model_or_params]
    return list(model_or_params)


def _total(terms):
    if not terms:
        return glia.tensor(0.0)
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


def l1_penalty(model_or_params):
    """Lasso penalty: sum_i |w_i| over all parameters (gradient sign(w))."""
    return _total([glia.abs(p).sum() for p in _params(model_or_params)])


def l2_penalty(model_or_params):
    """Ridge penalty: sum_i w_i^2 over all parameters (gradient 2 w; no 1/2 factor)."""
    return _total([glia.square(p).sum() for p in _params(model_or_params)])


def elastic_net_penalty(model_or_params, l1_ratio=0.5, alpha=1.0):
    """Elastic-net penalty in scikit-learn's convention:

    alpha * l1_ratio * sum|w| + 0.5 * alpha * (1 - l1_ratio) * sum w^2

    Args:
        l1_ratio: in [0, 1]; 1 is pure L1 (lasso), 0 pure (halved) L2 (ridge).
        alpha: overall strength.
    """
    if not 0.0 <= l1_ratio <= 1.0:
        raise ValueError(f"elastic_net_penalty: l1_ratio must lie in [0, 1], got {l1_ratio}")
    params = _params(model_or_params)
    return ((alpha * l1_ratio) * l1_penalty(params)
            + (0.5 * alpha * (1.0 - l1_ratio)) * l2_penalty(params))
