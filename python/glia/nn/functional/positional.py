"""glia.nn.functional: rotary position embeddings (RoPE, Su et al. 2021).

Convention ("rotate half", as GPT-NeoX and LLaMA): feature i of the first half is paired
with feature i + D/2 and the pair is rotated by the angle pos * base^(-2i/D):

    out = x * cos + rotate_half(x) * sin,   rotate_half([x1, x2]) = [-x2, x1],

with cos/sin tables (T, D) holding each angle twice (once per half). Rotating queries and
keys this way makes q_m . k_n depend only on m - n.
"""
import glia

__all__ = ["apply_rotary", "rotary_cos_sin"]


def rotary_cos_sin(positions, dim, base=10000.0, dtype=None):
    """The (T, dim) cos and sin tables for the given positions.

    Args:
        positions: int, a sequence of ints, or a 1-D tensor of positions (an int T means
            positions 0..T-1).
        dim: the rotated feature size D (even).
        base: the wavelength base (10000 in the paper).
    """
    if dim <= 0 or dim % 2:
        raise ValueError(f"rotary_cos_sin: dim must be a positive even number, got {dim}")
    dtype = dtype or glia.float32
    if isinstance(positions, int):
        positions = glia.arange(positions)
    elif not isinstance(positions, glia.Tensor):
        positions = glia.tensor(list(positions))
    if positions.ndim != 1:
        raise ValueError(f"rotary_cos_sin: positions must be 1-D, got shape "
                         f"{tuple(positions.shape)}")
    # computed in float64 so float32 tables are exact to rounding at long positions
    inv_freq = base ** (-glia.arange(0, dim, 2, dtype=glia.float64) / dim)
    angles = positions.to(glia.float64).unsqueeze(1) * inv_freq.unsqueeze(0)  # (T, dim/2)
    angles = glia.cat([angles, angles], 1)
    return angles.cos().to(dtype), angles.sin().to(dtype)


def apply_rotary(x, cos, sin):
    """Rotates pairs of features of x by the angles in the cos/sin tables.

    Args:
        x: (..., T, D), e.g. queries or keys (N, H, T, head_dim).
        cos, sin: (T, D) from rotary_cos_sin (or anything broadcastable to x).
    Returns:
        a tensor shaped like x. Differentiable in x.
    """
    if x.ndim < 2:
        raise ValueError(f"apply_rotary: x must be (..., T, D) with at least 2 dims, got shape "
                         f"{tuple(x.shape)}")
    d = x.shape[-1]
    if d % 2 or tuple(cos.shape) != tuple(sin.shape) or cos.shape[-1] != d:
        raise ValueError(f"apply_rotary: x (..., T, D) needs an even D and cos/sin of shape "
                         f"(T, D); got x {tuple(x.shape)}, cos {tuple(cos.shape)}, sin "
                         f"{tuple(sin.shape)}")
    if cos.ndim >= 2 and cos.shape[-2] != x.shape[-2]:
        raise ValueError(f"apply_rotary: cos/sin cover {cos.shape[-2]} positions but x has "
                         f"{x.shape[-2]} (shape {tuple(x.shape)})")
    half = d // 2
    rotated = glia.cat([-x.narrow(-1, half, half), x.narrow(-1, 0, half)], -1)
    return x * cos.to(x.dtype) + rotated * sin.to(x.dtype)
