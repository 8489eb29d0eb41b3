"""glia.nn: positional encodings for sequence models: the fixed sinusoidal table of Vaswani
et al. (2017), learned absolute position embeddings, and rotary embeddings (RoPE)."""
import math

import glia
from glia.nn import functional as F
from glia.nn import init
from glia.nn.dropout import Dropout
from glia.nn.module import Module
from glia.nn.parameter import Parameter

__all__ = ["LearnedPositionalEmbedding", "RotaryEmbedding", "SinusoidalPositionalEncoding"]


def _positions(x, batch_first, offset, max_len, d_model, name):
    """Sequence length of x ((N, T, d) batch first, (T, N, d), or unbatched (T, d)), checked
    against max_len; d must be d_model (a table would broadcast over d = 1)."""
    if x.ndim not in (2, 3):
        raise ValueError(f"{name}: expected input (T, d) or (N, T, d)/(T, N, d), got shape "
                         f"{tuple(x.shape)}")
    if x.shape[-1] != d_model:
        raise ValueError(f"{name}: expected {d_model} features, got input shape "
                         f"{tuple(x.shape)}")
    t = x.shape[1] if (x.ndim == 3 and batch_first) else x.shape[0]
    if offset < 0 or offset + t > max_len:
        raise ValueError(f"{name}: positions {offset}..{offset + t - 1} exceed max_len "
                         f"{max_len} (input shape {tuple(x.shape)})")
    return t


def _add_table(x, table, batch_first):
    """x + table (T, d) along the sequence dim of x."""
    if x.ndim == 3 and not batch_first:
        table = table.unsqueeze(1)  # (T, 1, d) against (T, N, d)
    return x + table


class SinusoidalPositionalEncoding(Module):
    """Adds the fixed table of Vaswani et al. (2017), then dropout:

        pe[pos, 2i] = sin(pos / 10000^(2i / d_model)),
        pe[pos, 2i + 1] = cos(pos / 10000^(2i / d_model)).

    Args:
        d_model: feature size (even).
        max_len: longest sequence (table rows).
        dropout: dropout applied to the sum in training.
        batch_first: inputs are (N, T, d_model) rather than (T, N, d_model).
    Forward: x (T, N, d) / (N, T, d) / (T, d), offset (first position, for incremental
    decoding) -> same shape.
    """

    def __init__(self, d_model, max_len=5000, dropout=0.0, batch_first=False):
        super().__init__()
        if d_model <= 0 or d_model % 2:
            raise ValueError(f"SinusoidalPositionalEncoding: d_model must be positive and even, "
                             f"got {d_model}")
        self.d_model, self.max_len, self.batch_first = d_model, max_len, batch_first
        self.dropout = Dropout(dropout)
        pos = glia.arange(max_len, dtype=glia.float64).unsqueeze(1)
        div = glia.exp(glia.arange(0, d_model, 2, dtype=glia.float64)
                       * (-math.log(10000.0) / d_model))
        angles = pos * div  # (max_len, d/2); interleave sin and cos into even/odd columns
        pe = glia.stack([angles.sin(), angles.cos()], -1).reshape(max_len, d_model)
        self.register_buffer("pe", pe.to(glia.float32), persistent=False)

    def forward(self, x, offset=0):
        t = _positions(x, self.batch_first, offset, self.max_len, self.d_model,
                       "SinusoidalPositionalEncoding")
        return self.dropout(_add_table(x, self.pe.narrow(0, offset, t).to(x.dtype),
                                       self.batch_first))

    def extra_repr(self):
        return f"d_model={self.d_model}, max_len={self.max_len}, batch_first={self.batch_first}"


class LearnedPositionalEmbedding(Module):
    """Adds a learned vector per absolute position (as GPT-2's wpe): x + weight[pos].

    Args:
        max_len: number of positions.
        d_model: feature size.
        batch_first: inputs are (N, T, d_model) rather than (T, N, d_model).
    Parameters: weight (max_len, d_model), initialised N(0, 0.02^2) (GPT-2's choice).
    Forward: x (T, N, d) / (N, T, d) / (T, d), offset -> same shape.
    """

    def __init__(self, max_len, d_model, batch_first=False, dtype=None):
        super().__init__()
        if max_len <= 0 or d_model <= 0:
            raise ValueError(f"LearnedPositionalEmbedding: max_len and d_model must be positive, "
                             f"got ({max_len}, {d_model})")
        self.max_len, self.d_model, self.batch_first = max_len, d_model, batch_first
        self.weight = Parameter(glia.empty(max_len, d_model, dtype=dtype or glia.float32))
        init.normal_(self.weight, 0.0, 0.02)

    def forward(self, x, offset=0):
        t = _positions(x, self.batch_first, offset, self.max_len, self.d_model,
                       "LearnedPositionalEmbedding")
        return _add_table(x, self.weight.narrow(0, offset, t), self.batch_first)

    def extra_repr(self):
        return f"max_len={self.max_len}, d_model={self.d_model}, batch_first={self.batch_first}"


class RotaryEmbedding(Module):
    """Rotary position embedding (RoPE, Su et al. 2021) for queries and keys, applied inside
    attention rather than added to the input: see F.apply_rotary for the convention.

    Args:
        dim: rotated feature size (the head dim, even).
        base: wavelength base (10000).
    Forward: x (..., T, dim), offset (position of the first row) -> x rotated, same shape.
    Rotating queries and keys with the same module makes their dot products depend only on
    the distance between positions.
    """

    def __init__(self, dim, base=10000.0):
        super().__init__()
        if dim <= 0 or dim % 2:
            raise ValueError(f"RotaryEmbedding: dim must be positive and even, got {dim}")
        self.dim, self.base = dim, base
        # (dtype, dim, base) -> (cos, sin) for positions 0..n-1; not part of the state. The key
        # holds dim and base so that changing either never reads stale tables.
        self._tables = {}

    def _cos_sin(self, end, dtype):
        """cos/sin tables covering positions 0..end-1 (at least), grown by doubling."""
        key = (dtype, self.dim, self.base)
        cos, sin = self._tables.get(key, (None, None))
        if cos is None or cos.shape[0] < end:
            n = 16 if cos is None else cos.shape[0]
            while n < end:
                n *= 2
            cos, sin = self._tables[key] = F.rotary_cos_sin(n, self.dim, self.base, dtype)
        return cos, sin

    def forward(self, x, offset=0):
        if x.ndim < 2:
            raise ValueError(f"RotaryEmbedding: x must be (..., T, {self.dim}) with at least 2 "
                             f"dims, got shape {tuple(x.shape)}")
        if offset < 0:
            raise ValueError(f"RotaryEmbedding: offset must be non-negative, got {offset}")
        t = x.shape[-2]
        cos, sin = self._cos_sin(offset + t, x.dtype)
        return F.apply_rotary(x, cos.narrow(0, offset, t), sin.narrow(0, offset, t))

    def extra_repr(self):
        return f"dim={self.dim}, base={self.base}"
