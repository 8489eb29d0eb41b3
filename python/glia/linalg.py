"""glia.linalg: linear algebra as torch.linalg, over the last two dims and batched over the
rest. Factorizations run in C++ (Eigen) with their backward; norms, ranks, pseudo-inverses
and powers are written from them."""
import collections
import math
import numbers

from glia import _C, _shapes
from glia._C import Tensor
from glia.autograd.function import Function

__all__ = [
    "cholesky", "cond", "cross", "det", "diagonal", "eigh", "eigvalsh", "inv", "matmul",
    "matrix_norm", "matrix_power", "matrix_rank", "multi_dot", "norm", "pinv", "qr",
    "slogdet", "solve", "svd", "svdvals", "vecdot", "vector_norm",
]

SlogdetResult = collections.namedtuple("SlogdetResult", ["sign", "logabsdet"])
EighResult = collections.namedtuple("EighResult", ["eigenvalues", "eigenvectors"])
SVDResult = collections.namedtuple("SVDResult", ["U", "S", "Vh"])
QRResult = collections.namedtuple("QRResult", ["Q", "R"])

matmul = _C.matmul


def _mT(x):
    return _C.transpose(x, -2, -1)


def _check_uplo(uplo, op):
    if uplo not in ("L", "U"):
        raise ValueError(f"linalg.{op}: UPLO must be 'L' or 'U', got {uplo!r}")
    return uplo


def det(A):
    """The determinant of each square matrix."""
    return _C._linalg_det(A)


def slogdet(A):
    """(sign, log|det|) of each square matrix: the determinant without overflow."""
    return SlogdetResult(*_C._linalg_slogdet(A))


def inv(A):
    """The inverse of each square matrix; raises if one is singular."""
    return _C._linalg_inv(A)


def solve(A, B, *, left=True):
    """X with A X = B (or X A = B when left=False); B is a matrix or a vector per batch."""
    if left:
        return _C._linalg_solve(A, B)
    # X A = B  <=>  A^T X^T = B^T
    if B.dim() == 1:
        return _C._linalg_solve(_mT(A), B)
    return _mT(_C._linalg_solve(_mT(A), _mT(B)))


def cholesky(A, *, upper=False):
    """The Cholesky factor L (A = L L^T) of each symmetric positive-definite matrix, read from
    its lower triangle; with upper=True, U = L^T."""
    return _C._linalg_cholesky(A, upper)


def eigh(A, UPLO="L"):
    """(eigenvalues ascending, eigenvectors as columns) of each symmetric matrix, read from
    its lower (UPLO='L') or upper ('U') triangle."""
    if _check_uplo(UPLO, "eigh") == "U":
        A = _mT(A)  # the upper triangle of A is the lower one of A^T
    return EighResult(*_C._linalg_eigh(A))


def eigvalsh(A, UPLO="L"):
    """The eigenvalues (ascending) of each symmetric matrix."""
    if _check_uplo(UPLO, "eigvalsh") == "U":
        A = _mT(A)
    return _C._linalg_eigvalsh(A)


def svd(A, full_matrices=True):
    """(U, S, Vh) with A = U diag(S) Vh, S descending; full_matrices=False gives the thin
    factors (k = min(m, n) columns of U and rows of Vh)."""
    return SVDResult(*_C._linalg_svd(A, full_matrices))


def svdvals(A):
    """The singular values of each matrix, descending."""
    return _C._linalg_svdvals(A)


def qr(A, mode="reduced"):
    """(Q, R) with A = Q R, Q orthonormal columns, R upper triangular; mode 'reduced',
    'complete' or 'r' (Q left empty)."""
    return QRResult(*_C._linalg_qr(A, mode))


def _dims(dim, ndim, op):
    dims = (dim,) if isinstance(dim, numbers.Integral) else tuple(dim)
    for d in dims:
        if not -ndim <= d < max(ndim, 1):
            raise IndexError(f"linalg.{op}: dim {d} is out of range for a {ndim}-d tensor")
    return dims


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """The ord-norm of x seen as vectors along `dim` (all elements when None): inf and -inf
    give the largest and smallest |x|, 0 the number of nonzeros."""
    if not isinstance(ord, numbers.Number) or isinstance(ord, bool):
        raise TypeError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    if dtype is not None:
        x = x.to(dtype)
    if x.dtype not in (_C.dtype.float32, _C.dtype.float64):
        raise TypeError(f"linalg.vector_norm: expected a floating-point tensor, got {x.dtype}")
    dims = None if dim is None else list(_dims(dim, x.dim(), "vector_norm"))
    if ord == math.inf:
        return _C.amax(_C.abs(x), dims, keepdim)
    if ord == -math.inf:
        return _C.amin(_C.abs(x), dims, keepdim)
    if ord == 0:
        return _C.sum(_C.ne(x, 0), dims, keepdim).to(x.dtype)
    if ord > 0:
        return _C.norm(x, float(ord), dims, keepdim)
    # negative orders: (sum |x|^ord)^(1/ord)
    return _C.pow(_C.sum(_C.pow(_C.abs(x), float(ord)), dims, keepdim), 1.0 / ord)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """The matrix norm over the two dims `dim`: 'fro', 'nuc', 2/-2 (largest/smallest
    singular value), 1/-1 (max/min column sum of |A|), inf/-inf (max/min row sum)."""
    if dtype is not None:
        A = A.to(dtype)
    if A.dim() < 2:
        raise ValueError(f"linalg.matrix_norm: expected a tensor with 2 or more dims, got "
                         f"shape {tuple(A.shape)}")
    d0, d1 = (d % A.dim() for d in _dims(dim, A.dim(), "matrix_norm"))
    if len(dim) != 2 or d0 == d1:
        raise ValueError(f"linalg.matrix_norm: dim must be two different dims, got {dim}")
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        moved = _C.movedim(A, [d0, d1], [-2, -1])
        s = svdvals(moved)
        out = _C.sum(s, [-1]) if ord == "nuc" else (
            _C.amax(s, [-1]) if ord == 2 else _C.amin(s, [-1]))
        return _C.unsqueeze(_C.unsqueeze(out, min(d0, d1)), max(d0, d1)) if keepdim else out
    if ord in (1, -1, math.inf, -math.inf):
        # 1: sum over rows (dim d0) then max over columns; inf: the other way round
        first, second = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = _C.sum(_C.abs(A), [first], True)
        out = (_C.amax if ord > 0 else _C.amin)(sums, [second], True)
        return out if keepdim else _C.squeeze(_C.squeeze(out, max(d0, d1)), min(d0, d1))
    raise ValueError(f"linalg.matrix_norm: ord must be 'fro', 'nuc', 2, -2, 1, -1, inf or -inf, "
                     f"got {ord!r}")


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """vector_norm or matrix_norm, as torch.linalg.norm picks: a matrix norm when dim has two
    dims (or A is 2-d with ord given and dim None), else a vector norm."""
    if dim is not None and not isinstance(dim, numbers.Integral) and len(tuple(dim)) == 2:
        return matrix_norm(A, "fro" if ord is None else ord, tuple(dim), keepdim, dtype=dtype)
    if dim is None and ord is not None:
        if A.dim() == 2:
            return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
        if A.dim() != 1:
            raise ValueError(f"linalg.norm: with ord={ord!r} and dim=None the input must be 1-d or "
                             f"2-d, got shape {tuple(A.shape)}")
    if isinstance(ord, str):
        raise ValueError(f"linalg.norm: ord {ord!r} is a matrix norm; give two dims")
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


def _tolerance(s, m, n, atol, rtol):
    """max(atol, rtol * largest singular value) per matrix, with torch's default rtol."""
    if rtol is None:
        eps = 1.1920928955078125e-07 if s.dtype == _C.dtype.float32 else 2.220446049250313e-16
        rtol = eps * max(m, n) if atol is None or atol == 0 else 0.0
    smax = _C.amax(s, [-1], True) if s.shape[-1] > 0 else _C.zeros(list(s.shape[:-1]) + [1],
                                                                     s.dtype)
    return _C.maximum(_C.mul(smax, rtol), 0.0 if atol is None else atol)


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False):
    """The number of singular values above max(atol, rtol * the largest)."""
    s = _C.abs(eigvalsh(A)) if hermitian else svdvals(A)
    tol = _tolerance(s, A.shape[-2], A.shape[-1], atol, rtol)
    return _C.sum(_C.gt(s, tol), [-1])


def _svd_pinv(A, atol, rtol):
    """A+ from the SVD: singular values at or below matrix_rank's tolerance count as zero."""
    U, S, Vh = svd(A, full_matrices=False)
    tol = _tolerance(S, A.shape[-2], A.shape[-1], atol, rtol)
    keep = _C.gt(S, tol)
    safe = _C.where(keep, S, _C.ones([], S.dtype))
    inv_s = _C.where(keep, _C.reciprocal(safe), _C.zeros([], S.dtype))
    return _C.matmul(_mT(Vh) * _C.unsqueeze(inv_s, -2), _mT(U))


class _Pinv(Function):
    """The pseudo-inverse with the gradient of Golub and Pereyra (1973), in terms of A and
    A+ alone (as torch's): unlike the SVD's, it is finite at repeated singular values."""

    @staticmethod
    def forward(ctx, A, atol, rtol):
        P = _svd_pinv(A, atol, rtol)
        ctx.save_for_backward(A, P)
        ctx.tolerances = atol, rtol
        return P

    @staticmethod
    def backward(ctx, G):
        # dA+ = -A+ dA A+ + A+ A+^T dA^T (I - A A+) + (I - A+ A) dA^T A+^T A+, transposed
        A, P = ctx.saved_tensors
        if _C.is_grad_enabled():  # create_graph: A+ as a function of A, for the next order
            P = _svd_pinv(A, *ctx.tolerances)
        Pt, Gt = _mT(P), _mT(G)
        grad = -_C.matmul(_C.matmul(Pt, G), Pt)
        left = Gt - _C.matmul(A, _C.matmul(P, Gt))  # (I - A A+) G^T
        grad = grad + _C.matmul(left, _C.matmul(P, Pt))
        right = Gt - _C.matmul(_C.matmul(Gt, P), A)  # G^T (I - A+ A)
        return grad + _C.matmul(_C.matmul(Pt, P), right), None, None


def pinv(A, *, atol=None, rtol=None, hermitian=False):
    """The Moore-Penrose pseudo-inverse, from the SVD: singular values at or below the
    tolerance of matrix_rank count as zero."""
    return _Pinv.apply(A, atol, rtol)


def matrix_power(A, n):
    """A multiplied by itself n times (n < 0: powers of the inverse; 0: the identity)."""
    if not isinstance(n, numbers.Integral):
        raise TypeError(f"linalg.matrix_power: n must be an int, got {n!r}")
    if A.dim() < 2 or A.shape[-1] != A.shape[-2]:
        raise ValueError(f"linalg.matrix_power: expected square matrices, got shape "
                         f"{tuple(A.shape)}")
    if n == 0:
        return _C.expand(_C.eye(A.shape[-1], A.shape[-1], A.dtype), list(A.shape)).contiguous()
    if n < 0:
        A, n = inv(A), -n
    result, base = None, A
    while n:  # repeated squaring
        if n & 1:
            result = base if result is None else _C.matmul(result, base)
        n >>= 1
        if n:
            base = _C.matmul(base, base)
    return result


def multi_dot(tensors):
    """The product of a chain of matrices (the first may be a vector, as may the last)."""
    if len(tensors) < 2:
        raise ValueError(f"linalg.multi_dot: expected at least 2 tensors, got {len(tensors)}")
    out = tensors[0]
    for t in tensors[1:]:
        out = _C.matmul(out, t)
    return out


def cond(A, p=None):
    """The condition number of each matrix in the norm p (default 2: the ratio of the largest
    to the smallest singular value)."""
    if p in (None, 2, -2):
        s = svdvals(A)
        big, small = _C.amax(s, [-1]), _C.amin(s, [-1])
        return _C.div(big, small) if p in (None, 2) else _C.div(small, big)
    return _C.mul(matrix_norm(A, p), matrix_norm(inv(A), p))


def vecdot(x, y, *, dim=-1):
    """The dot products of x and y along dim (broadcast)."""
    return _C.sum(_C.mul(x, y), [dim])


def cross(input, other, *, dim=-1):
    """The cross product of 3-vectors along dim."""
    return _shapes.cross(input, other, dim=dim)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """The diagonals of A over dim1 and dim2."""
    return _shapes.diagonal(A, offset, dim1, dim2)


# torch's top-level names
def logdet(A):
    """log det A (nan for a negative determinant)."""
    sign, logabs = slogdet(A)
    return _C.where(_C.lt(sign, 0), _C.full([], math.nan, logabs.dtype), logabs)


def pinverse(input, rcond=1e-15):
    """pinv with singular values below rcond times the largest treated as zero."""
    return pinv(input, rtol=rcond)


inverse = inv
Tensor.det = det
Tensor.slogdet = slogdet
Tensor.logdet = logdet
Tensor.inverse = inv
Tensor.pinverse = pinverse
Tensor.matrix_power = matrix_power
