"""glia.nn.Embedding and EmbeddingBag: lookup tables of learned vectors, as torch.nn."""
import glia
from glia.nn import init
from glia.nn.functional.embedding import _BAG_MODES, embedding, embedding_bag
from glia.nn.module import Module
from glia.nn.parameter import Parameter

__all__ = ["Embedding", "EmbeddingBag"]


class Embedding(Module):
    """out[..., :] = weight[input[...], :].

    Args:
        num_embeddings: size of the table (indices run 0..num_embeddings-1).
        embedding_dim: size of each vector.
        padding_idx: a row initialised to zero that never receives a gradient.
        max_norm: rows looked up whose norm exceeds this are rescaled in place to it.
        norm_type: the p of the p-norm for max_norm (default 2).
        dtype: weight dtype (default float32).
    Shapes:
        input (*) int64 -> output (*, embedding_dim); weight (num_embeddings, embedding_dim),
        initialised from N(0, 1) as in PyTorch.
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None,
                 norm_type=2.0, dtype=None):
        super().__init__()
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Embedding: padding_idx {padding_idx} must be within "
                                 f"[-{num_embeddings}, {num_embeddings})")
            padding_idx %= num_embeddings
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = padding_idx
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.weight = Parameter(glia.empty(num_embeddings, embedding_dim,
                                           dtype=dtype or glia.float32))
        self.reset_parameters()

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with glia.no_grad():
                self.weight[self.padding_idx].fill_(0)

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None,
                        norm_type=2.0):
        """An Embedding holding a copy of the 2-D tensor `embeddings` (frozen by default)."""
        if embeddings.dim() != 2:
            raise ValueError("Embedding.from_pretrained: embeddings must be 2-D, got shape "
                             f"{tuple(embeddings.shape)}")
        rows, cols = embeddings.shape
        emb = cls(rows, cols, padding_idx, max_norm, norm_type, dtype=embeddings.dtype)
        with glia.no_grad():
            emb.weight.copy_(embeddings)
        emb.weight.requires_grad_(not freeze)
        return emb

    def forward(self, input):
        return embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type)

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2.0:
            s += f", norm_type={self.norm_type}"
        return s


class EmbeddingBag(Module):
    """Sums, averages or maxes bags of embeddings (F.embedding_bag) without materializing the
    individual lookups; e.g. a bag-of-words text encoder.

    Args:
        num_embeddings, embedding_dim: the table's size.
        max_norm, norm_type: as Embedding.
        scale_grad_by_freq: divide each row's gradient by its index's frequency in the input.
        mode: 'sum', 'mean' (default) or 'max'.
        sparse: must be False (no sparse gradients in glia).
        _weight: an initial (num_embeddings, embedding_dim) table (copied).
        include_last_offset: offsets has one more entry, the end of the last bag.
        padding_idx: an index left out of every bag; its row starts at zero.
        dtype: weight dtype (default float32).
    Shapes:
        forward(input, offsets=None, per_sample_weights=None): input 1-D int64 with 1-D
        offsets, or 2-D (B, L) -> (B, embedding_dim); weight (num_embeddings, embedding_dim)
        ~ N(0, 1) as in PyTorch.
    """

    def __init__(self, num_embeddings, embedding_dim, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, mode="mean", sparse=False, _weight=None,
                 include_last_offset=False, padding_idx=None, dtype=None):
        super().__init__()
        if mode not in _BAG_MODES:
            raise ValueError(f"EmbeddingBag: mode must be one of {_BAG_MODES}, got {mode!r}")
        if sparse:
            raise ValueError("EmbeddingBag: sparse=True is not supported (glia has no sparse "
                             "gradients)")
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"EmbeddingBag: padding_idx {padding_idx} must be within "
                                 f"[-{num_embeddings}, {num_embeddings})")
            padding_idx %= num_embeddings
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.mode, self.sparse = scale_grad_by_freq, mode, sparse
        self.include_last_offset, self.padding_idx = include_last_offset, padding_idx
        if _weight is None:
            self.weight = Parameter(glia.empty(num_embeddings, embedding_dim,
                                               dtype=dtype or glia.float32))
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(f"EmbeddingBag: _weight must have shape ({num_embeddings}, "
                                 f"{embedding_dim}), got {tuple(_weight.shape)}")
            self.weight = Parameter(_weight.detach().clone())

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with glia.no_grad():
                self.weight[self.padding_idx].fill_(0)

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, max_norm=None, norm_type=2.0,
                        scale_grad_by_freq=False, mode="mean", sparse=False,
                        include_last_offset=False, padding_idx=None):
        """An EmbeddingBag holding a copy of the 2-D tensor `embeddings` (frozen by default)."""
        if embeddings.dim() != 2:
            raise ValueError("EmbeddingBag.from_pretrained: embeddings must be 2-D, got shape "
                             f"{tuple(embeddings.shape)}")
        rows, cols = embeddings.shape
        bag = cls(rows, cols, max_norm, norm_type, scale_grad_by_freq, mode, sparse, embeddings,
                  include_last_offset, padding_idx)
        bag.weight.requires_grad_(not freeze)
        return bag

    def forward(self, input, offsets=None, per_sample_weights=None):
        return embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type,
                             self.scale_grad_by_freq, self.mode, self.sparse, per_sample_weights,
                             self.include_last_offset, self.padding_idx)

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        s += f", mode={self.mode!r}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s
