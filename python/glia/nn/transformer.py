"""glia.nn: transformer layers and stacks (Vaswani et al. 2017), as torch.nn.Transformer*.

Sub-module and parameter names match torch's (self_attn, multihead_attn, linear1, linear2,
norm1..3, layers.N, encoder.norm, ...), so a torch state dict loads. The attention inside
uses the fused attention op. Layers and stacks also take a `cache` for incremental decoding
(see KVCache and new_cache()).
"""
import copy

import glia
from glia.nn import functional as F
from glia.nn import init
from glia.nn.attention import KVCache, MultiheadAttention
from glia.nn.container import ModuleList
from glia.nn.dropout import Dropout
from glia.nn.functional.attention import _causal_mask
from glia.nn.linear import Linear
from glia.nn.module import Module
from glia.nn.normalization import LayerNorm

__all__ = ["Transformer", "TransformerDecoder", "TransformerDecoderLayer", "TransformerEncoder",
           "TransformerEncoderLayer"]


def _activation(activation, layer):
    if callable(activation):
        return activation
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    raise ValueError(f"{layer}: activation must be 'relu', 'gelu' or a callable, got "
                     f"{activation!r}")


class _LayerBlocks(Module):
    """The self-attention and feed-forward blocks that the encoder and decoder layers share
    (each with the dropout after it: dropout1, and dropout2 or the decoder's dropout3)."""

    _ff_dropout = "dropout2"

    def _build(self, d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
               batch_first, norm_first, bias, dtype, cross):
        """The sub-modules, registered in torch's order (state dicts list them alike); the
        decoder (cross) adds multihead_attn, norm3 and dropout3."""
        def attention():
            return MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                      batch_first=batch_first, dtype=dtype)

        self.self_attn = attention()
        if cross:
            self.multihead_attn = attention()
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = norm_first
        for name in ("norm1", "norm2", "norm3")[:3 if cross else 2]:
            setattr(self, name, LayerNorm(d_model, eps=layer_norm_eps, bias=bias))
        for name in ("dropout1", "dropout2", "dropout3")[:3 if cross else 2]:
            setattr(self, name, Dropout(dropout))
        self.activation = _activation(activation, type(self).__name__)
        if dtype is not None:
            self.to(dtype)

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal, cache):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal, cache=cache)[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return getattr(self, self._ff_dropout)(x)


class TransformerEncoderLayer(_LayerBlocks):
    """Self-attention then a position-wise feed-forward block, each with a residual
    connection and layer norm:

        post-norm (default): x = norm1(x + SA(x));  x = norm2(x + FF(x))
        pre-norm (norm_first): x = x + SA(norm1(x));  x = x + FF(norm2(x))
        FF(x) = linear2(dropout(activation(linear1(x)))).

    Args:
        d_model, nhead: model width and attention heads.
        dim_feedforward: hidden width of the feed-forward block.
        dropout: after attention, inside and after the feed-forward block, on attention
            weights.
        activation: "relu", "gelu" or a callable.
        layer_norm_eps, batch_first, norm_first, bias: as torch.
    Forward: src (S, N, E) (or (N, S, E) batch first, or (S, E)), src_mask (S, S) or
    (N * nhead, S, S), src_key_padding_mask (N, S), is_causal, cache (a KVCache for
    incremental causal decoding: src holds only the new positions) -> same shape as src.
    """

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu",
                 layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True, dtype=None):
        super().__init__()
        self._build(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                    batch_first, norm_first, bias, dtype, cross=False)

    def new_cache(self):
        """An empty KVCache for this layer's self-attention."""
        return KVCache()

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False,
                cache=None):
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal,
                                   cache)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal,
                                              cache))
            x = self.norm2(x + self._ff_block(x))
        return x


class TransformerDecoderLayer(_LayerBlocks):
    """Self-attention, cross-attention to the encoder's memory, then a feed-forward block,
    each with a residual connection and layer norm (post-norm by default, pre-norm with
    norm_first), as torch.nn.TransformerDecoderLayer.

    Args: as TransformerEncoderLayer.
    Forward: tgt (T, N, E), memory (S, N, E) (or batch first), tgt_mask (T, T),
    memory_mask (T, S), tgt_key_padding_mask (N, T), memory_key_padding_mask (N, S),
    tgt_is_causal, memory_is_causal, cache (from new_cache(): the self-attention keys and
    values grow by tgt's positions; the memory's are computed once) -> (T, N, E).
    """

    _ff_dropout = "dropout3"

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu",
                 layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True, dtype=None):
        super().__init__()
        self._build(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                    batch_first, norm_first, bias, dtype, cross=True)

    def _mha_block(self, x, mem, attn_mask, key_padding_mask, is_causal, cache):
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask,
                                key_padding_mask=key_padding_mask, need_weights=False,
                                is_causal=is_causal, cache=cache)[0]
        return self.dropout2(x)

    def new_cache(self):
        """(self-attention KVCache, static cross-attention KVCache) for incremental decoding."""
        return (KVCache(), KVCache(static=True))

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False,
                cache=None):
        self_cache, cross_cache = cache if cache is not None else (None, None)
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal,
                                   self_cache)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask, memory_key_padding_mask,
                                    memory_is_causal, cross_cache)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal,
                                              self_cache))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask,
                                               memory_is_causal, cross_cache))
            x = self.norm3(x + self._ff_block(x))
        return x


class _LayerStack(Module):
    """num_layers deep copies of one layer (self.layers) and an optional final norm."""

    def __init__(self, layer, num_layers, norm):
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"{type(self).__name__}: num_layers must be at least 1, got "
                             f"{num_layers}")
        self.layers = ModuleList([copy.deepcopy(layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm

    def new_cache(self):
        """Per layer, that layer's new_cache(): a KVCache for an encoder layer, a
        (self-attention, cross-attention) pair for a decoder layer."""
        return [layer.new_cache() for layer in self.layers]


class TransformerEncoder(_LayerStack):
    """num_layers copies of encoder_layer applied in turn, then an optional final norm.

    Args:
        encoder_layer: a TransformerEncoderLayer (deep-copied num_layers times).
        num_layers: depth.
        norm: optional module applied to the output (e.g. LayerNorm).
        enable_nested_tensor, mask_check: accepted for torch compatibility; glia has no
            nested tensors, so padded positions keep their computed values (torch's eval
            fast path writes zeros there).
    Forward: src, mask, src_key_padding_mask, is_causal, cache (list from new_cache()).
    """

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True,
                 mask_check=True):
        super().__init__(encoder_layer, num_layers, norm)

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None, cache=None):
        x = src
        for i, layer in enumerate(self.layers):
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                      is_causal=bool(is_causal), cache=None if cache is None else cache[i])
        return self.norm(x) if self.norm is not None else x


class TransformerDecoder(_LayerStack):
    """num_layers copies of decoder_layer applied in turn, then an optional final norm.

    Forward: tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask,
    memory_key_padding_mask, tgt_is_causal, memory_is_causal, cache (list from new_cache()).
    """

    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__(decoder_layer, num_layers, norm)

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False,
                cache=None):
        x = tgt
        for i, layer in enumerate(self.layers):
            x = layer(x, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                      tgt_key_padding_mask=tgt_key_padding_mask,
                      memory_key_padding_mask=memory_key_padding_mask,
                      tgt_is_causal=bool(tgt_is_causal), memory_is_causal=memory_is_causal,
                      cache=None if cache is None else cache[i])
        return self.norm(x) if self.norm is not None else x


class Transformer(Module):
    """Encoder-decoder transformer (Vaswani et al. 2017), as torch.nn.Transformer: an
    encoder stack and a decoder stack, each ending in a LayerNorm; all weight matrices get
    xavier-uniform initialisation.

    Args: d_model, nhead, num_encoder_layers, num_decoder_layers, dim_feedforward,
    dropout, activation, custom_encoder, custom_decoder, layer_norm_eps, batch_first,
    norm_first, bias (as torch).
    Forward: src (S, N, E), tgt (T, N, E) (or batch first) and the masks of the stacks ->
    (T, N, E).
    """

    def __init__(self, d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6,
                 dim_feedforward=2048, dropout=0.1, activation="relu", custom_encoder=None,
                 custom_decoder=None, layer_norm_eps=1e-5, batch_first=False, norm_first=False,
                 bias=True, dtype=None):
        super().__init__()
        kw = dict(dim_feedforward=dim_feedforward, dropout=dropout, activation=activation,
                  layer_norm_eps=layer_norm_eps, batch_first=batch_first, norm_first=norm_first,
                  bias=bias, dtype=dtype)
        self.encoder = custom_encoder or TransformerEncoder(
            TransformerEncoderLayer(d_model, nhead, **kw), num_encoder_layers,
            LayerNorm(d_model, eps=layer_norm_eps, bias=bias))
        self.decoder = custom_decoder or TransformerDecoder(
            TransformerDecoderLayer(d_model, nhead, **kw), num_decoder_layers,
            LayerNorm(d_model, eps=layer_norm_eps, bias=bias))
        if dtype is not None:
            self.to(dtype)
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
                src_key_padding_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
                memory_is_causal=False):
        b = 0 if self.batch_first else 1
        if src.ndim != tgt.ndim or (src.ndim == 3 and src.shape[b] != tgt.shape[b]):
            raise ValueError(f"Transformer: src and tgt must have the same batch size, got "
                             f"shapes {tuple(src.shape)} and {tuple(tgt.shape)}")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise ValueError(f"Transformer: the feature size of src and tgt must be d_model "
                             f"({self.d_model}), got shapes {tuple(src.shape)} and "
                             f"{tuple(tgt.shape)}")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz, dtype=None):
        """(sz, sz) float mask: 0 on and below the diagonal, -inf above (future positions)."""
        return glia.where(_causal_mask(sz, sz), glia.tensor(0.0), glia.tensor(float("-inf"))).to(
            dtype or glia.float32)
