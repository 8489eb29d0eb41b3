"""MultivariateNormal(loc, covariance_matrix | precision_matrix | scale_tril), as
torch.distributions.MultivariateNormal."""
import math

import glia
from glia.distributions import constraints
from glia.distributions.distribution import Distribution
from glia.distributions.utils import lazy_property, standard_normal


def _batch_mv(bmat, bvec):
    """Matrix-vector products broadcast over the batch dims."""
    return glia.matmul(bmat, bvec.unsqueeze(-1)).squeeze(-1)


def _solve_tril(L, B):
    """L^-1 B for lower-triangular L, batch dims broadcast. glia.linalg has no triangular
    solve: the general one on tril(L) reads (and differentiates) only the lower triangle,
    as torch's solve_triangular."""
    shape = glia.broadcast_shapes(L.shape[:-2], B.shape[:-2])
    return glia.linalg.solve(L.tril().expand(shape + L.shape[-2:]), B.expand(shape + B.shape[-2:]))


def _batch_mahalanobis(bL, bx):
    """|L^-1 x|^2 for the Cholesky factor L of a covariance, broadcast over the batch dims."""
    return _solve_tril(bL, bx.unsqueeze(-1)).squeeze(-1).pow(2).sum(-1)


def _eye_like(A):
    return glia.eye(A.shape[-1], dtype=A.dtype).expand(A.shape)


def _precision_to_scale_tril(P):
    # L with L L^T = P^-1: the flips make chol(flip(P)) give the upper-triangular factor
    # U^T U = P, and L = U^-1 (torch's route, which avoids inverting P itself)
    Lf = glia.linalg.cholesky(glia.flip(P, (-2, -1)))
    L_inv = glia.flip(Lf, (-2, -1)).mT
    return _solve_tril(L_inv, _eye_like(P))


def _diag_log_sum(L):
    return glia.diagonal(L, 0, -2, -1).log().sum(-1)


class MultivariateNormal(Distribution):
    """The multivariate normal with mean `loc` (..., n) and one of covariance_matrix,
    precision_matrix or scale_tril (..., n, n); batch dims broadcast."""
    arg_constraints = {"loc": constraints.real_vector,
                       "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite,
                       "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args=None):
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        given = [(n, m) for n, m in (("scale_tril", scale_tril),
                                     ("covariance_matrix", covariance_matrix),
                                     ("precision_matrix", precision_matrix)) if m is not None]
        if len(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or "
                             "scale_tril may be specified.")
        name, matrix = given[0]
        if matrix.dim() < 2:
            raise ValueError(f"{name} matrix must be at least two-dimensional, "
                             "with optional leading batch dimensions")
        batch_shape = glia.broadcast_shapes(matrix.shape[:-2], loc.shape[:-1])
        setattr(self, name, matrix.expand(batch_shape + matrix.shape[-2:]))
        self.loc = loc.expand(batch_shape + loc.shape[-1:])
        super().__init__(batch_shape, self.loc.shape[-1:], validate_args=validate_args)
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = glia.linalg.cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(precision_matrix)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(MultivariateNormal, _instance)
        batch_shape = tuple(batch_shape)
        cov_shape = batch_shape + self.event_shape + self.event_shape
        new.loc = self.loc.expand(batch_shape + self.event_shape)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                setattr(new, name, self.__dict__[name].expand(cov_shape))
        super(MultivariateNormal, new).__init__(batch_shape, self.event_shape,
                                                validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _matrix_shape(self):
        return self._batch_shape + self._event_shape + self._event_shape

    @lazy_property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(self._matrix_shape())

    @lazy_property
    def covariance_matrix(self):
        L = self._unbroadcasted_scale_tril
        return glia.matmul(L, L.mT).expand(self._matrix_shape())

    @lazy_property
    def precision_matrix(self):
        L_inv = _solve_tril(self._unbroadcasted_scale_tril,
                            _eye_like(self._unbroadcasted_scale_tril))
        return glia.matmul(L_inv.mT, L_inv).expand(self._matrix_shape())

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        var = self._unbroadcasted_scale_tril.pow(2).sum(-1)
        return var.expand(self._batch_shape + self._event_shape)

    def rsample(self, sample_shape=()):
        eps = standard_normal(self._extended_shape(sample_shape), self.loc.dtype)
        return self.loc + _batch_mv(self._unbroadcasted_scale_tril, eps)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        M = _batch_mahalanobis(self._unbroadcasted_scale_tril, value - self.loc)
        half_log_det = _diag_log_sum(self._unbroadcasted_scale_tril)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + M) - half_log_det

    def entropy(self):
        half_log_det = _diag_log_sum(self._unbroadcasted_scale_tril)
        H = 0.5 * self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + half_log_det
        return H.expand(self._batch_shape) if self._batch_shape else H
