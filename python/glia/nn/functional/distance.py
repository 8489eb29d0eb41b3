"""glia.nn.functional: distances and similarities between vectors (as torch's), composed
from glia.norm and elementwise ops."""
import glia
from glia.nn.functional.activation import _check_float

__all__ = ["pairwise_distance", "cosine_similarity", "pdist"]


def _check_nonnegative(op, **values):
    for name, v in values.items():
        if not v >= 0:
            raise ValueError(f"{op}: {name} must be non-negative, got {v}")


def _broadcast_shape(op, x1, x2):
    try:
        return glia.broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
    except ValueError:
        raise ValueError(f"{op}: x1 shape {tuple(x1.shape)} and x2 shape {tuple(x2.shape)} do "
                         f"not broadcast") from None


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p over the last dim (as torch: eps inside the norm keeps it
    differentiable where x1 == x2).

    Args:
        x1, x2: (*, D) tensors that broadcast together.
        p: the norm degree (>= 0; inf for the max norm).
        keepdim: keep the reduced last dim as size 1.
    Shapes: (*, D) -> (*) (or (*, 1) with keepdim).
    """
    _check_float("pairwise_distance", x1, "x1")
    _check_float("pairwise_distance", x2, "x2")
    _check_nonnegative("pairwise_distance", p=p, eps=eps)
    _broadcast_shape("pairwise_distance", x1, x2)
    return glia.norm(x1 - x2 + eps, p, -1, keepdim)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """<x1, x2> / (max(||x1||, eps) max(||x2||, eps)) along `dim`, x1 and x2 broadcast
    together first.

    As torch 2.x, each norm is clamped at eps separately and the clamp does not enter the
    gradient (torch clamps in place under no_grad): below eps the value divides by eps, but
    the gradient still treats the norm as ||x||.

    Shapes: x1, x2 broadcasting to (*, D, *) -> (*, *), the dim `dim` removed.
    """
    op = "cosine_similarity"
    _check_float(op, x1, "x1")
    _check_float(op, x2, "x2")
    _check_nonnegative(op, eps=eps)
    shape = _broadcast_shape(op, x1, x2)
    nd = len(shape)
    if not -max(nd, 1) <= dim < max(nd, 1):
        raise IndexError(f"{op}: dim {dim} is out of range for inputs of shape {shape}")
    if nd == 0:  # torch treats two scalars as 1-element vectors
        return cosine_similarity(x1.reshape(1), x2.reshape(1), 0, eps).reshape(())
    x1, x2 = glia.broadcast_to(x1, shape), glia.broadcast_to(x2, shape)

    def clamped_norm(x):
        n = glia.norm(x, 2.0, dim, keepdim=True)
        return n + (glia.clamp_min(n, eps) - n).detach()

    return ((x1 / clamped_norm(x1)) * (x2 / clamped_norm(x2))).sum(dim)


def pdist(input, p=2.0):
    """The p-norm distance between every pair of rows i < j of an (N, M) input, in the
    order (0, 1), (0, 2), ..., (0, N-1), (1, 2), ...: the upper triangle of cdist.

    Shapes: (N, M) -> (N (N - 1) / 2,).
    """
    if input.ndim != 2:
        raise ValueError(f"pdist: input must be 2-D (N, M), got shape {tuple(input.shape)}")
    _check_float("pdist", input)
    _check_nonnegative("pdist", p=p)
    n = input.shape[0]
    pairs = glia.triu_indices(n, n, 1)
    diff = glia.index_select(input, 0, pairs[0]) - glia.index_select(input, 0, pairs[1])
    # empty rows are all at distance 0, as torch (glia's inf-norm refuses an empty dim)
    return glia.norm(diff, 2.0 if input.shape[1] == 0 else p, -1)
