"""glia.nn.Embedding: a lookup table of learned vectors, as torch.nn.Embedding."""
import glia
from glia.nn import init
from glia.nn.functional.embedding import embedding
from glia.nn.module import Module
from glia.nn.parameter import Parameter

__all__ = ["Embedding"]


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
