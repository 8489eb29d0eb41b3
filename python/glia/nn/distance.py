"""glia.nn distance layers, as torch.nn: PairwiseDistance and CosineSimilarity."""
from glia.nn import functional as F
from glia.nn.module import Module

__all__ = ["CosineSimilarity", "PairwiseDistance"]


class PairwiseDistance(Module):
    """||x1 - x2 + eps||_p over the last dim. As torch, p is stored as `norm`.

    Shapes: x1, x2 (*, D), broadcasting -> (*) (or (*, 1) with keepdim).
    """

    def __init__(self, p=2.0, eps=1e-6, keepdim=False):
        super().__init__()
        self.norm = p
        self.eps = eps
        self.keepdim = keepdim

    def forward(self, x1, x2):
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class CosineSimilarity(Module):
    """<x1, x2> / (max(||x1||, eps) max(||x2||, eps)) along `dim`.

    Shapes: x1, x2 (*, D, *), broadcasting -> (*, *).
    """

    def __init__(self, dim=1, eps=1e-8):
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, self.dim, self.eps)
