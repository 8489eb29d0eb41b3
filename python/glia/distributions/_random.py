"""Samplers and special functions the gamma-family distributions need, built on glia ops and
glia's generator (glia.rand / glia.randn), so glia.manual_seed reproduces every draw.

- standard_gamma(alpha): Gamma(alpha, 1) draws (Marsaglia-Tsang), differentiable in alpha by
  implicit reparameterization (torch's _standard_gamma_grad approximations)
- poisson(rate), binomial(count, prob): exact draws (inversion for small means, Hormann's
  transformed rejection PTRS / BTRS with an exact lgamma acceptance test for large)
- gammainc(a, x): the regularized lower incomplete gamma function P(a, x)

All work in float64 and return the dtype of their parameters.
"""
import math

import glia
from glia.autograd import Function
from glia.distributions.utils import finfo

__all__ = ["binomial", "gammainc", "poisson", "standard_gamma", "standard_gamma_grad"]

_F64 = glia.float64


def _flat64(t):
    return t.detach().to(_F64).contiguous().reshape(-1)


def _rand(n):
    return glia.rand((n,), dtype=_F64)


def _rejection(n, propose):
    """Fills n values: propose(idx) returns (values, accepted) for the still-pending indices
    idx; rejected ones are proposed again until every value is accepted."""
    out = glia.zeros((n,), dtype=_F64)
    idx = glia.arange(n)
    while idx.numel():
        values, accepted = propose(idx)
        out[idx[accepted]] = values[accepted]
        idx = idx[~accepted]
    return out


# Gamma


def _marsaglia_tsang(a):
    """Gamma(a, 1) draws for a >= 1 (float64, flat): d v with v = (1 + c x)^3, x normal."""
    d = a - 1.0 / 3.0
    c = (9.0 * d).rsqrt()

    def propose(idx):
        dd, cc = d[idx], c[idx]
        m = idx.numel()
        x = glia.randn((m,), dtype=_F64)
        u = 1.0 - _rand(m)  # (0, 1]
        v = (1.0 + cc * x) ** 3
        positive = v > 0
        v_safe = glia.where(positive, v, 1.0)
        accepted = positive & (u.log() < 0.5 * x * x + dd - dd * v_safe + dd * v_safe.log())
        return dd * v_safe, accepted

    return _rejection(a.numel(), propose)


def _sample_standard_gamma(alpha):
    """Gamma(alpha, 1) draws of alpha's shape and dtype, clamped at the dtype's tiny (as
    torch); alpha < 1 is boosted: Gamma(a) = Gamma(a + 1) U^(1/a). Alpha 0 gives tiny (as
    torch), a negative or non-finite alpha NaN."""
    a = _flat64(alpha)
    positive = (a > 0) & a.isfinite()
    a_safe = glia.where(positive, a, 1.0)
    small = a_safe < 1
    x = _marsaglia_tsang(glia.where(small, a_safe + 1, a_safe))
    if small.any().item():
        u = 1.0 - _rand(a.numel())
        boosted = (x.log() + u.log() / a_safe).exp()
        x = glia.where(small, boosted, x)
    x = glia.where(positive, x, glia.where(a == 0, 0.0, math.nan))
    x = x.to(alpha.dtype).clamp(min=float(finfo(alpha.dtype).tiny))
    return x.reshape(alpha.shape)


def standard_gamma_grad(alpha, x):
    """d x / d alpha for x ~ Gamma(alpha, 1) held at fixed quantile: -(dF/dalpha) / f(x), by
    torch's approximations (Taylor series for x < 0.8, Rice saddle point for alpha > 8, a
    bivariate rational approximation otherwise)."""
    dtype = x.dtype
    a, x = alpha.detach().to(_F64), x.detach().to(_F64)
    # Taylor series of the cdf for small x: P(a, x) = x^a / Gamma(a) sum_k (-x)^k / (k! (a + k));
    # the ratio is written without x^a (which underflows for large a)
    xs = x.clamp(max=0.8)
    numer = glia.ones_like(xs)
    denom = a
    series1, series2 = 1 / denom, 1 / (denom * denom)
    for i in range(1, 6):
        numer = numer * (-xs / i)
        denom = denom + 1
        series1 = series1 + numer / denom
        series2 = series2 + numer / (denom * denom)
    small_x = -xs * xs.exp() * ((xs.log() - glia.digamma(a)) * series1 - series2)
    small_x = glia.where(small_x.isnan(), 0.0, small_x)
    # Rice saddle point expansion for large alpha
    aa = a.clamp(min=8.0)
    numer_1 = 1 + 24 * aa * (1 + 12 * aa)
    numer_2 = (1440 * aa * aa + 6 * x * (53 - 120 * x) - 65 * x * x / aa
               + aa * (107 + 3600 * x))
    near_mean = numer_1 * numer_2 / (1244160 * aa * aa * aa * aa)
    denom = (8 * aa).sqrt()
    diff = aa - x
    diff = glia.where(diff == 0, 1.0, diff)
    term2 = denom / diff
    log_ratio = (x / aa).log()
    term3 = (x - aa - aa * log_ratio).clamp(min=1e-300).pow(-1.5)
    term23 = glia.where(x < aa, term2 - term3, term2 + term3)
    term1 = log_ratio * term23 - (2 / aa).sqrt() * (aa + x) / (diff * diff)
    stirling = 1 + 1 / (12 * aa) * (1 + 1 / (24 * aa))
    far = -stirling * x * term1 / denom
    large_a = glia.where((0.9 * aa <= x) & (x <= 1.1 * aa), near_mean, far)
    # bivariate rational approximation
    u, v = (x / a).log(), a.log()
    coef = [[0.16009398, -0.094634809, 0.025146376, -0.0030648343,
             1, 0.32668115, 0.10406089, 0.0014179084],
            [0.53487893, 0.1298071, 0.065735949, -0.0015649758,
             0.16639465, 0.020070113, -0.0035938915, -0.00058392623],
            [0.040121004, -0.0065914022, -0.0026286047, -0.0013441777,
             0.017050642, -0.0021309326, 0.00085092367, -1.5247877e-07]]
    cv = [coef[0][i] + u * (coef[1][i] + u * coef[2][i]) for i in range(8)]
    p = cv[0] + v * (cv[1] + v * (cv[2] + v * cv[3]))
    q = cv[4] + v * (cv[5] + v * (cv[6] + v * cv[7]))
    rational = (p / q).exp()
    result = glia.where(x < 0.8, small_x, glia.where(a > 8, large_a, rational))
    return result.to(dtype)


class _StandardGamma(Function):
    @staticmethod
    def forward(ctx, alpha):
        x = _sample_standard_gamma(alpha)
        ctx.save_for_backward(alpha, x)
        return x

    @staticmethod
    def backward(ctx, grad):
        alpha, x = ctx.saved_tensors
        return grad * standard_gamma_grad(alpha, x)


def standard_gamma(alpha):
    """Gamma(alpha, 1) draws of alpha's shape; gradients reach alpha (implicit
    reparameterization) when it requires them."""
    return _StandardGamma.apply(alpha)


# Poisson


def _poisson_inversion(lam):
    """Poisson draws for small rates (flat float64) by sequential search of the cdf."""
    u = _rand(lam.numel())
    k = glia.zeros_like(lam)
    p = (-lam).exp()
    cdf = p
    active = u > cdf
    while active.any().item():
        k = glia.where(active, k + 1, k)
        p = glia.where(active, p * lam / k, p)
        cdf = glia.where(active, cdf + p, cdf)
        active = active & (u > cdf) & (p > 0)
    return k


def _poisson_ptrs(lam):
    """Poisson draws for rates >= 10 (flat float64): Hormann's transformed rejection with
    squeeze (PTRS, 1993), accepting with the exact log pmf ratio."""
    slam, loglam = lam.sqrt(), lam.log()
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2)

    def propose(idx):
        m = idx.numel()
        la, ll, bb, aa, ia, v_r = (t[idx] for t in (lam, loglam, b, a, inv_alpha, vr))
        u = _rand(m) - 0.5
        v = 1.0 - _rand(m)  # (0, 1]
        us = (0.5 - u.abs()).clamp(min=1e-300)
        k = ((2 * aa / us + bb) * u + la + 0.43).floor()
        squeeze = (us >= 0.07) & (v <= v_r)
        k_safe = k.clamp(min=0)
        log_accept = v.log() + ia.log() - (aa / (us * us) + bb).log()
        exact = log_accept <= -la + k_safe * ll - glia.lgamma(k_safe + 1)
        return k, squeeze | ((k >= 0) & ~((us < 0.013) & (v > us)) & exact)

    return _rejection(lam.numel(), propose)


def poisson(rate):
    """Poisson(rate) draws of rate's shape and dtype, without gradient."""
    lam = _flat64(rate)
    out = glia.full_like(lam, math.nan)
    out = glia.where(lam == 0, 0.0, out)
    for use, sampler in ((lam > 0) & (lam < 10), _poisson_inversion), \
                        ((lam >= 10) & lam.isfinite(), _poisson_ptrs):
        idx = glia.nonzero(use).reshape(-1)
        if idx.numel():
            out[idx] = sampler(lam[idx])
    return out.to(rate.dtype).reshape(rate.shape)


# Binomial


def _binomial_inversion(n, p):
    """Binomial draws for n p < 10 (flat float64, p <= 1/2): count the geometric waiting
    times (each the number of trials to a success) that fit in n trials."""
    log_q = (-p).log1p()
    total = glia.zeros_like(n)
    count = glia.zeros_like(n)
    active = glia.ones(n.shape, dtype=glia.bool)
    while active.any().item():
        u = 1.0 - _rand(n.numel())  # (0, 1]
        total = total + glia.where(active, (u.log() / log_q).ceil().clamp(min=1), 0.0)
        active = active & (total <= n)
        count = glia.where(active, count + 1, count)
    return count


def _binomial_btrs(n, p):
    """Binomial draws for n p >= 10 (flat float64, p <= 1/2): Hormann's transformed
    rejection with squeeze (BTRS, 1993), accepting with the exact log pmf ratio."""
    q = 1 - p
    spq = (n * p * q).sqrt()
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * p
    c = n * p + 0.5
    alpha = (2.83 + 5.1 / b) * spq
    vr = 0.92 - 4.2 / b
    m = ((n + 1) * p).floor()
    log_r = (p / q).log()
    lg_m = glia.lgamma(m + 1) + glia.lgamma(n - m + 1)

    def propose(idx):
        k_n, aa, bb, cc, al, v_r, mm, lr, lgm = (t[idx] for t in (n, a, b, c, alpha, vr, m,
                                                                     log_r, lg_m))
        size = idx.numel()
        u = _rand(size) - 0.5
        v = 1.0 - _rand(size)
        us = (0.5 - u.abs()).clamp(min=1e-300)
        k = ((2 * aa / us + bb) * u + cc).floor()
        inside = (k >= 0) & (k <= k_n)
        squeeze = (us >= 0.07) & (v <= v_r)
        k_safe = k.clamp(min=0).minimum(k_n)
        log_v = (v * al / (aa / (us * us) + bb)).log()
        log_h = lgm - glia.lgamma(k_safe + 1) - glia.lgamma(k_n - k_safe + 1) + (k_safe - mm) * lr
        return k, inside & (squeeze | (log_v <= log_h))

    return _rejection(n.numel(), propose)


def binomial(count, prob):
    """Binomial(count, prob) draws (count and prob of one shape; count integral), in prob's
    dtype, without gradient."""
    n, p = _flat64(count), _flat64(prob)
    flip = p > 0.5
    pp = glia.where(flip, 1 - p, p)
    out = glia.where((n >= 0) & (pp >= 0) & (pp <= 0.5), 0.0, math.nan)
    positive = (n > 0) & (pp > 0)
    for use, sampler in ((positive & (n * pp < 10), _binomial_inversion),
                         (positive & (n * pp >= 10), _binomial_btrs)):
        idx = glia.nonzero(use).reshape(-1)
        if idx.numel():
            out[idx] = sampler(n[idx], pp[idx])
    out = glia.where(flip, n - out, out)
    return out.to(prob.dtype).reshape(prob.shape)


# Incomplete gamma


def _log_gamma_prefactor(a, x):
    """log(x^a e^-x / Gamma(a))."""
    return a * x.log() - x - glia.lgamma(a)


def _gammainc_values(a, x, eps=1e-16, max_iter=100000):
    """P(a, x) in float64: its power series for x < a + 1, else 1 - Q(a, x) with Q's
    continued fraction (modified Lentz), each iterated to convergence."""
    a, x = _broadcast(a.detach().to(_F64), x.detach().to(_F64))
    valid = (a > 0) & (x > 0) & x.isfinite()
    series = valid & (x < a + 1)
    frac = valid & ~series
    a_s = glia.where(valid, a, 1.0)
    x_s = glia.where(valid, x, 1.0)
    result = glia.where(x == 0, 0.0, glia.where(x == math.inf, 1.0, math.nan))
    result = glia.where((a <= 0) | a.isnan() | (x < 0), math.nan, result)
    if series.any().item():
        term = glia.ones_like(a_s)
        total = glia.ones_like(a_s)
        ap = a_s
        for i in range(max_iter):
            ap = ap + 1
            term = term * x_s / ap
            total = total + term
            if i % 16 == 15 and not (series & (term > total * eps)).any().item():
                break
        p = (_log_gamma_prefactor(a_s, x_s) - a_s.log()).exp() * total
        result = glia.where(series, p, result)
    if frac.any().item():
        tiny = 1e-300
        b = x_s + 1 - a_s
        c = glia.full_like(b, 1 / tiny)
        d = 1 / glia.where(b.abs() < tiny, tiny, b)
        h = d
        for i in range(1, max_iter):
            an = -i * (i - a_s)
            b = b + 2
            d = an * d + b
            d = glia.where(d.abs() < tiny, tiny, d)
            c = b + an / c
            c = glia.where(c.abs() < tiny, tiny, c)
            d = 1 / d
            delta = d * c
            h = h * delta
            if i % 8 == 0 and not (frac & ((delta - 1).abs() > 4 * eps)).any().item():
                break
        q = _log_gamma_prefactor(a_s, x_s).exp() * h
        result = glia.where(frac, 1 - q, result)
    return result


def _broadcast(*ts):
    shape = glia.broadcast_shapes(*[t.shape for t in ts])
    return tuple(t.expand(shape) for t in ts)


class _GammaInc(Function):
    @staticmethod
    def forward(ctx, a, x):
        ctx.save_for_backward(a, x)
        return _gammainc_values(a, x).to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        a, x = ctx.saved_tensors
        if ctx.needs_input_grad[0]:
            raise NotImplementedError("the derivative of gammainc with respect to its first "
                                      "argument (the concentration) is not implemented, as "
                                      "in torch")
        pdf = glia.where(x > 0, ((a - 1) * x.log() - x - glia.lgamma(a)).exp(), 0.0)
        return None, grad * pdf


def gammainc(a, x):
    """The regularized lower incomplete gamma function P(a, x) (torch.special.gammainc),
    differentiable in x."""
    a, x = _broadcast(a, x)
    return _GammaInc.apply(a, x)
