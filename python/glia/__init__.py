"""glia: a small deep-learning library with a C++ core and a PyTorch-shaped Python API."""
from glia import _C  # noqa: F401
from glia._blas import load_default_blas
from glia._C import Tensor, dtype, from_dlpack, from_numpy  # noqa: F401
from glia.random import initial_seed, manual_seed  # noqa: F401
from glia._C import (  # noqa: F401  elementwise (add, sub, div: keyword forms in _math)
    mul, pow, minimum, maximum, atan2, eq, ne, lt, le, gt, ge,
    logical_and, logical_or, logical_xor, logical_not, isnan, isinf, isfinite, neg, exp, expm1, log, log1p,
    sqrt, rsqrt, abs, sign, sin, cos, tanh, sigmoid, relu, square, reciprocal, floor, ceil,
    round, erf, clamp, where, trunc, log2, log10, exp2, hypot, floor_divide, remainder, fmod,
    bitwise_and, bitwise_or, bitwise_xor, bitwise_not, erfc, tan, asin, acos, atan, sinh, cosh,
    asinh, acosh, atanh, lgamma, digamma, polygamma, erfinv, mvlgamma, copysign, fmax, fmin,
    nextafter, gcd, lcm, bitwise_left_shift, bitwise_right_shift, signbit,
)
from glia._C import (  # noqa: F401  reductions, linear algebra
    sum, mean, prod, amax, amin, argmax, argmin, var, std, logsumexp, norm, softmax,
    log_softmax, all, any, cumsum, cumprod, logcumsumexp, matmul, mm, bmm, outer, dot, einsum,
    set_num_threads, get_num_threads, empty_cache,
)
from glia._C import (  # noqa: F401  shapes, joining, indexing
    flatten, unsqueeze, transpose, permute, movedim, broadcast_to, narrow, select, cat,
    stack, chunk, index_select, gather, scatter_add, index_add, nonzero, masked_fill,
    contiguous, clone, detach, flip, tril, triu,
)
from glia._tensor import (  # noqa: F401
    reshape, squeeze, split, max, min, sort, argsort, topk, tile, repeat_interleave, trace,
    cummax, cummin,
    broadcast_shapes,
)
from glia._math import (  # noqa: F401  keyword forms, composites, aliases
    add, sub, div, lerp, logaddexp, logaddexp2, xlogy, logit, nan_to_num, addcmul, addcdiv,
    isclose, allclose, equal, deg2rad, rad2deg, frac, clamp_min, clamp_max, heaviside, sinc,
    float_power, isposinf, isneginf, count_nonzero, nansum, nanmean, aminmax, var_mean,
    std_mean, positive, arcsin, arccos, arctan, arcsinh, arccosh, arctanh, arctan2, absolute,
    negative, fix, sgn, multiply, subtract, divide, true_divide, greater, greater_equal, less,
    less_equal, not_equal, clip,
)
from glia import linalg, special  # noqa: F401,E402
from glia.linalg import det, slogdet, logdet, inverse, pinverse, matrix_power  # noqa: F401,E402
from glia import _inplace  # noqa: F401,E402  (x.<op>_ methods; needs _math's methods)
from glia._scatter import (  # noqa: F401,E402
    scatter, scatter_reduce, index_fill, index_copy, masked_scatter, put, index_put,
)
from glia._creation import (  # noqa: F401
    tensor, as_tensor, zeros, ones, empty, full, zeros_like, ones_like, empty_like,
    full_like, rand_like, randn_like, arange, linspace, eye, rand, randn, randint, normal,
    bernoulli, randperm,
)
from glia.autograd.grad_mode import no_grad, enable_grad, set_grad_enabled, is_grad_enabled  # noqa: F401
from glia import autograd, cuda, nn, optim  # noqa: F401
from glia import data, text  # noqa: F401
from glia.serialization import load, save  # noqa: F401
from glia import metrics, train  # noqa: F401,E402  (train uses save/load and nn)

dtype.__repr__ = dtype.__str__ = lambda self: f"glia.{self.name}"
float32 = float = dtype.float32
float64 = double = dtype.float64
int64 = long = dtype.int64
bool = dtype.bool  # noqa: A001  (as torch.bool)

__version__ = "0.1.0"

load_default_blas()

from glia._shapes import (  # noqa: F401,E402  rearranging, joining and picking composites
    roll, diff, rot90, fliplr, flipud, swapaxes, swapdims, moveaxis, ravel, unflatten,
    diagonal, diag_embed, diag, tensordot, kron, cross, atleast_1d, atleast_2d, atleast_3d,
    hstack, vstack, row_stack, dstack, column_stack, block_diag, meshgrid, cartesian_prod,
    tensor_split, hsplit, vsplit, dsplit, take, take_along_dim, masked_select, argwhere,
    tril_indices, triu_indices,
)

from glia._order import (  # noqa: F401,E402  order statistics and counting
    median, nanmedian, kthvalue, mode, quantile, nanquantile, msort, unique,
    unique_consecutive, bincount, histc, histogram, searchsorted, bucketize, isin,
)
from glia import distributions  # noqa: F401,E402
