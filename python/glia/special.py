"""glia.special: special functions with torch.special's names. The gamma family and erfinv
run in C++ with their backward; the rest are written from glia ops."""
import math

from glia import _C
from glia._math import logit, sinc, xlogy  # noqa: F401  (re-exported)

__all__ = [
    "digamma", "entr", "erf", "erfc", "erfinv", "exp2", "expit", "expm1", "gammaln",
    "log1p", "log_ndtr", "log_softmax", "logit", "logsumexp", "multigammaln", "ndtr",
    "ndtri", "polygamma", "psi", "round", "sinc", "softmax", "xlog1py", "xlogy",
]

erf, erfc, erfinv = _C.erf, _C.erfc, _C.erfinv
expit, exp2, expm1, log1p, round = _C.sigmoid, _C.exp2, _C.expm1, _C.log1p, _C.round
gammaln, digamma, psi, polygamma, multigammaln = (_C.lgamma, _C.digamma, _C.digamma,
                                                   _C.polygamma, _C.mvlgamma)
logsumexp = _C.logsumexp

_SQRT2 = math.sqrt(2.0)


def _float(x):
    return x if x.dtype in (_C.dtype.float32, _C.dtype.float64) else x.to(_C.dtype.float32)


def softmax(input, dim):
    """exp(x) / sum(exp(x)) along dim."""
    return _C.softmax(input, dim)


def log_softmax(input, dim):
    """x - logsumexp(x) along dim."""
    return _C.log_softmax(input, dim)


def xlog1py(input, other):
    """input * log1p(other), and 0 where input is 0 (unless other is nan)."""
    like = input if isinstance(input, _C.Tensor) else other
    as_tensor = lambda v: v if isinstance(v, _C.Tensor) else _C.full([], v, like.dtype)  # noqa: E731
    x, y = _float(as_tensor(input)), _float(as_tensor(other))
    safe = _C.logical_and(_C.eq(x, 0), _C.logical_not(_C.isnan(y)))
    return _C.mul(x, _C.log1p(_C.where(safe, _C.zeros([], y.dtype), y)))


def entr(input):
    """-x log x elementwise: 0 at 0 and -inf for negative x."""
    x = _float(input)
    body = _C.neg(xlogy(x, x))
    return _C.where(_C.lt(x, 0), _C.full([], -math.inf, x.dtype), body)


def ndtr(input):
    """The standard normal CDF."""
    return _C.mul(_C.erfc(_C.div(_C.neg(_float(input)), _SQRT2)), 0.5)


def ndtri(input):
    """The standard normal quantile function (the inverse of ndtr)."""
    return _C.mul(_C.erfinv(_C.sub(_C.mul(_float(input), 2.0), 1.0)), _SQRT2)


def log_ndtr(input):
    """log of the standard normal CDF, accurate far into the lower tail."""
    x = _float(input)
    # above -20: log(erfc(-x/sqrt2)/2) directly; below, the asymptotic series of
    # log Phi(x) = -x^2/2 - log(-x) - log(2 pi)/2 + log(1 - 1/x^2 + 3/x^4 - 15/x^6 + ...)
    cut = _C.lt(x, -20.0)
    near = _C.where(cut, _C.zeros([], x.dtype), x)
    direct = _C.log(_C.mul(_C.erfc(_C.div(_C.neg(near), _SQRT2)), 0.5))
    # above 0, log(1 - Phi(-x)) keeps the tiny distance from 0
    upper = _C.log1p(_C.mul(_C.erfc(_C.div(_C.abs(near), _SQRT2)), -0.5))
    direct = _C.where(_C.gt(x, 0), upper, direct)
    far = _C.where(cut, x, _C.full([], -30.0, x.dtype))
    z = _C.reciprocal(_C.square(far))
    series = _C.full([], 0.0, x.dtype)
    for coef in (10395.0, -945.0, 105.0, -15.0, 3.0, -1.0):  # (-1)^k (2k-1)!! z^k, Horner
        series = _C.mul(_C.add(series, coef), z)
    series = _C.add(series, 1.0)
    asym = _C.sub(_C.sub(_C.mul(_C.square(far), -0.5), _C.log(_C.neg(far))),
                  0.5 * math.log(2 * math.pi))
    asym = _C.add(asym, _C.log(series))
    return _C.where(cut, asym, direct)

