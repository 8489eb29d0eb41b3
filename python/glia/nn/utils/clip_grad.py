"""Gradient clipping, as torch.nn.utils.clip_grad_norm_ / clip_grad_value_."""
import math

import glia
from glia._C import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scales all gradients in place so that their joint norm is at most `max_norm`.

    The joint norm is the p-norm of the vector of per-parameter p-norms (the norm of all
    gradients concatenated); norm_type may be inf (or 'inf'): the largest |g|.
    Every gradient is multiplied by min(1, max_norm / (total + 1e-6)).

    Args:
        parameters: a tensor or an iterable of tensors (e.g. model.parameters()).
        error_if_nonfinite: raise RuntimeError if the total norm is nan or inf.
    Returns:
        the total norm before clipping, a 0-d tensor.
    """
    grads = _grads(parameters)
    norm_type = float(norm_type)
    if not grads:
        return glia.tensor(0.0)
    dtype = grads[0].dtype
    with glia.no_grad():
        norms = glia.stack([glia.norm(g, norm_type).to(dtype) for g in grads])
        total = glia.norm(norms, norm_type)
        if error_if_nonfinite and not math.isfinite(total.item()):
            raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the "
                               f"gradients is {total.item()}; set error_if_nonfinite=False "
                               "to clip anyway")
        # always multiply (by 1 when under the limit) so no host sync decides the branch
        coef = glia.clamp(max_norm / (total + 1e-6), max=1.0)
        for g in grads:
            g.mul_(coef.to(g.dtype))
    return total


def clip_grad_value_(parameters, clip_value):
    """Clamps every gradient in place to [-clip_value, clip_value]."""
    clip_value = float(clip_value)
    with glia.no_grad():
        for g in _grads(parameters):
            g.copy_(glia.clamp(g, -clip_value, clip_value))
