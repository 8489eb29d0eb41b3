"""glia.linalg vs torch.linalg: det, slogdet, inv, solve, cholesky, eigh, eigvalsh, svd,
svdvals, qr, the norms, matrix_rank, pinv, matrix_power, multi_dot, cond. Values and
gradients on random well-conditioned batches (empty and size-1 batches, non-contiguous
inputs), float64 finite differences, gauge-invariant losses for the vectors of eigh and svd,
singular and indefinite inputs, and errors."""
import math
import zlib

import numpy as np
import pytest
import torch

import glia
from helpers import assert_close, check_op, check_raises, gradcheck

BATCHES = [(), (1,), (3,), (2, 2)]


def _rng(*key):
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def square(batch, n, key=()):
    """Well-conditioned matrices: random plus n on the diagonal."""
    a = _rng(batch, n, key).standard_normal(batch + (n, n))
    return a + n * np.eye(n)


def spd(batch, n, key=()):
    a = _rng(batch, n, key, "spd").standard_normal(batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def rect(batch, m, n, key=()):
    return _rng(batch, m, n, key, "r").standard_normal(batch + (m, n))


TOL = dict(rtol=1e-9, atol=1e-10)


# ---- det, slogdet, inv, solve ----

@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("n", [1, 3, 5])
def test_det_slogdet_inv_match_torch(batch, n):
    a = square(batch, n, "d")
    check_op(glia.linalg.det, torch.linalg.det, a, **TOL)
    check_op(lambda x: glia.linalg.slogdet(x).logabsdet,
             lambda x: torch.linalg.slogdet(x).logabsdet, -a, **TOL)
    check_op(lambda x: glia.linalg.slogdet(x).sign, lambda x: torch.linalg.slogdet(x).sign,
             -a, grad=False)
    check_op(glia.linalg.inv, torch.linalg.inv, a, **TOL)
    check_op(lambda x: x.det(), lambda x: x.det(), a.astype(np.float32), rtol=1e-4, atol=1e-4)
    check_op(glia.inverse, torch.inverse, a, **TOL)
    check_op(glia.logdet, torch.logdet, spd(batch, n, "ld"), **TOL)


def test_det_inv_gradcheck_and_singular_matrices():
    a = square((2,), 3, "g")
    gradcheck(glia.linalg.det, a)
    gradcheck(glia.linalg.inv, a)
    gradcheck(lambda x: glia.linalg.slogdet(x).logabsdet, a)
    # det's gradient at a singular matrix is its adjugate (torch 2.13 gives zeros there):
    # checked against central differences of numpy's det
    s = np.array([[[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]],
                  [[2.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 4.0]]])
    check_op(glia.linalg.det, torch.linalg.det, s, grad=False, **TOL)
    x = glia.tensor(s, requires_grad=True)
    glia.linalg.det(x).sum().backward()
    numeric = np.zeros_like(s)
    for idx in np.ndindex(*s.shape):
        step = np.zeros_like(s)
        step[idx] = 1e-6
        numeric[idx] = (np.linalg.det(s + step) - np.linalg.det(s - step)).sum() / 2e-6
    np.testing.assert_allclose(x.grad.numpy(), numeric, atol=1e-8)
    check_raises(lambda: glia.linalg.inv(glia.tensor(s)), RuntimeError, "linalg.inv", "singular")
    sign, logabs = glia.linalg.slogdet(glia.tensor(s))
    assert sign.numpy()[0] == 0 and logabs.numpy()[0] == -math.inf
    assert glia.linalg.det(glia.zeros(0, 0)).item() == 1.0


@pytest.mark.parametrize("a_batch,b_shape", [((), (4,)), ((), (4, 2)), ((3,), (3, 4)),
                                             ((3,), (3, 4, 1)), ((2, 1), (3, 4, 2)),
                                             ((3,), (4, 2)), ((), (0, 4, 2))])
def test_solve_matches_torch(a_batch, b_shape):
    a = square(a_batch, 4, "s")
    b = _rng(b_shape, "b").standard_normal(b_shape)
    check_op(glia.linalg.solve, torch.linalg.solve, a, b, **TOL)


def test_solve_right_gradcheck_and_errors():
    a, b = square((2,), 3, "sr"), rect((2,), 4, 3, "br")
    check_op(lambda x, y: glia.linalg.solve(x, y, left=False),
             lambda x, y: torch.linalg.solve(x, y, left=False), a, b, **TOL)
    gradcheck(glia.linalg.solve, a, rect((2,), 3, 2, "g"))
    check_raises(lambda: glia.linalg.solve(glia.tensor(a), glia.tensor(rect((2,), 4, 2))),
                 ValueError, "linalg.solve", "(2, 4, 2)")
    check_raises(lambda: glia.linalg.solve(glia.ones(2, 2), glia.ones(2)), RuntimeError,
                 "linalg.solve", "singular")
    check_raises(lambda: glia.linalg.solve(glia.ones(2, 3), glia.ones(2)), ValueError,
                 "linalg.solve", "square")
    check_raises(lambda: glia.linalg.inv(glia.tensor([[1, 2], [3, 4]])), TypeError,
                 "linalg.inv", "int64")


# ---- cholesky, eigh ----

@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("n", [1, 4])
def test_cholesky_matches_torch(batch, n):
    a = spd(batch, n, "c")
    # the gradient of a symmetric input: compare through a symmetric parametrization
    sym = lambda f: lambda x: f((x + x.transpose(-1, -2)) / 2)  # noqa: E731
    check_op(sym(glia.linalg.cholesky), sym(torch.linalg.cholesky), a, **TOL)
    check_op(sym(lambda x: glia.linalg.cholesky(x, upper=True)),
             sym(lambda x: torch.linalg.cholesky(x, upper=True)), a, **TOL)
    gradcheck(sym(glia.linalg.cholesky), spd((2,), 3, "cg"))


def test_cholesky_of_an_indefinite_matrix_raises_naming_the_minor():
    a = np.array([[[4.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0]],
                  [[1.0, 2.0, 0], [2.0, 1.0, 0], [0, 0, 1.0]]])
    check_raises(lambda: glia.linalg.cholesky(glia.tensor(a)), RuntimeError,
                 "linalg.cholesky", "matrix 1", "order 2")


def _gauge_free(values, vectors, w):
    """A loss that does not depend on the signs of the vectors."""
    return (values * values).sum() + (vectors * vectors * w).sum()


@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("n", [1, 2, 5])
def test_eigh_matches_torch(batch, n):
    a = spd(batch, n, "e") - n * np.eye(n)  # indefinite too
    w = _rng(n, "w").standard_normal((n, n))
    sym = lambda x: (x + x.transpose(-1, -2)) / 2  # noqa: E731
    check_op(lambda x: glia.linalg.eigvalsh(sym(x)), lambda x: torch.linalg.eigvalsh(sym(x)), a,
             **TOL)
    gl = glia.linalg.eigh(glia.tensor(a))
    th = torch.linalg.eigh(torch.tensor(a))
    assert_close(gl.eigenvalues, th.eigenvalues, **TOL)
    # eigenvectors up to sign: A V = V diag(L), V orthonormal
    v, lam = gl.eigenvectors.numpy(), gl.eigenvalues.numpy()
    np.testing.assert_allclose(a @ v, v * lam[..., None, :], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(np.abs(v), np.abs(th.eigenvectors.numpy()), rtol=1e-7, atol=1e-8)
    check_op(lambda x: _gauge_free(*glia.linalg.eigh(sym(x)), glia.tensor(w)),
             lambda x: _gauge_free(*torch.linalg.eigh(sym(x)), torch.tensor(w)), a, **TOL)


def test_eigh_upper_and_gradcheck():
    a = spd((), 4, "eu")
    lower_only = np.tril(a) + np.triu(np.full((4, 4), 7.0), 1)  # garbage above
    upper_only = np.triu(a) + np.tril(np.full((4, 4), 7.0), -1)
    lg = glia.linalg.eigvalsh(glia.tensor(lower_only)).numpy()
    ug = glia.linalg.eigvalsh(glia.tensor(upper_only), UPLO="U").numpy()
    np.testing.assert_allclose(lg, np.linalg.eigvalsh(a), rtol=1e-10)
    np.testing.assert_allclose(ug, np.linalg.eigvalsh(a), rtol=1e-10)
    w = glia.tensor(_rng("ew").standard_normal((4, 4)))
    gradcheck(lambda x: _gauge_free(*glia.linalg.eigh((x + x.mT) / 2), w), a)
    check_raises(lambda: glia.linalg.eigh(glia.tensor(a), UPLO="X"), ValueError, "UPLO", "'X'")


# ---- svd, qr ----

@pytest.mark.parametrize("batch", [(), (2,)])
@pytest.mark.parametrize("m,n", [(4, 3), (3, 4), (3, 3), (1, 4)])
def test_svd_matches_torch(batch, m, n):
    a = rect(batch, m, n, "svd")
    check_op(glia.linalg.svdvals, torch.linalg.svdvals, a, **TOL)
    for full in (False, True):
        U, S, Vh = glia.linalg.svd(glia.tensor(a), full_matrices=full)
        tU, tS, tVh = torch.linalg.svd(torch.tensor(a), full_matrices=full)
        assert U.shape == tuple(tU.shape) and Vh.shape == tuple(tVh.shape)
        k = min(m, n)
        rebuilt = (U.numpy()[..., :k] * S.numpy()[..., None, :]) @ Vh.numpy()[..., :k, :]
        np.testing.assert_allclose(rebuilt, a, rtol=1e-10, atol=1e-10)
        gram = np.swapaxes(U.numpy(), -1, -2) @ U.numpy()
        np.testing.assert_allclose(gram, np.broadcast_to(np.eye(U.shape[-1]), gram.shape),
                                   atol=1e-10)
        assert_close(S, tS, **TOL)
    wu = glia.tensor(_rng(m, "wu").standard_normal((m, min(m, n))))
    wv = glia.tensor(_rng(n, "wv").standard_normal((min(m, n), n)))
    loss = lambda lib, wu, wv: lambda x: (  # noqa: E731
        lambda u, s, vh: (s * s).sum() + (u * u * wu).sum() + (vh * vh * wv).sum())(
            *lib.linalg.svd(x, full_matrices=False))
    check_op(loss(glia, wu, wv), loss(torch, torch.tensor(wu.numpy()), torch.tensor(wv.numpy())),
             a, rtol=1e-8, atol=1e-9)
    gradcheck(loss(glia, wu, wv), rect((), m, n, "svdg"))


def test_svd_full_matrices_gradient_only_through_the_unique_part():
    a = glia.tensor(rect((), 4, 2, "full"), requires_grad=True)
    U, S, Vh = glia.linalg.svd(a, full_matrices=True)
    (S.sum() + (Vh * Vh).sum()).backward()  # U unused: fine
    t = torch.tensor(a.detach().numpy(), requires_grad=True)
    tU, tS, tVh = torch.linalg.svd(t, full_matrices=True)
    (tS.sum() + (tVh * tVh).sum()).backward()
    assert_close(a.grad, t.grad, **TOL)
    U, S, Vh = glia.linalg.svd(a, full_matrices=True)
    check_raises(lambda: U[:, 3].sum().backward(), RuntimeError, "linalg.svd",
                 "full_matrices=False")


@pytest.mark.parametrize("batch", [(), (2,)])
@pytest.mark.parametrize("m,n", [(4, 3), (3, 4), (3, 3), (5, 1)])
def test_qr_matches_torch(batch, m, n):
    a = rect(batch, m, n, "qr")
    for mode in ("reduced", "complete"):
        g, t = glia.linalg.qr(glia.tensor(a), mode), torch.linalg.qr(torch.tensor(a), mode)
        assert_close(g.Q, t.Q, **TOL)
        assert_close(g.R, t.R, **TOL)
    assert_close(glia.linalg.qr(glia.tensor(a), "r").R, torch.linalg.qr(torch.tensor(a), "r").R,
                 **TOL)
    w = _rng(m, n, "qw").standard_normal((2, max(m, n), max(m, n)))
    loss = lambda lib, w: lambda x: (lambda q, r: (q * w[0][:m, :q.shape[-1]]).sum()  # noqa: E731
                                     + (r * w[1][:r.shape[-2], :n]).sum())(*lib.linalg.qr(x))
    check_op(loss(glia, glia.tensor(w)), loss(torch, torch.tensor(w)), a, rtol=1e-8, atol=1e-9)
    gradcheck(loss(glia, glia.tensor(w)), rect((), m, n, "qrg"))


def test_qr_without_a_gradient_raises_on_backward():
    a = glia.tensor(rect((), 4, 2, "qrr"), requires_grad=True)
    r = glia.linalg.qr(a, "r").R
    check_raises(lambda: r.sum().backward(), RuntimeError, "linalg.qr", "mode='r'")
    check_raises(lambda: glia.linalg.qr(a, "full"), RuntimeError, "linalg.qr", "'full'")


# ---- composites ----

@pytest.mark.parametrize("ord", [2, 1, math.inf, -math.inf, 0, 3.5, -1.5])
@pytest.mark.parametrize("dim", [None, 1, (0, 2), -1])
def test_vector_norm_matches_torch(ord, dim):
    x = rect((), 3, 4, "vn")[None].repeat(2, 0)
    kw = dict(ord=ord, dim=dim)
    grad = ord not in (0,)
    check_op(lambda t: glia.linalg.vector_norm(t, **kw), lambda t: torch.linalg.vector_norm(t, **kw),
             x, grad=grad, **TOL)
    check_op(lambda t: glia.linalg.vector_norm(t, keepdim=True, **kw),
             lambda t: torch.linalg.vector_norm(t, keepdim=True, **kw), x, grad=grad, **TOL)


@pytest.mark.parametrize("ord", ["fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf])
@pytest.mark.parametrize("dim,keepdim", [((-2, -1), False), ((0, 2), True), ((2, 0), False)])
def test_matrix_norm_matches_torch(ord, dim, keepdim):
    x = rect((2,), 3, 4, "mn")
    check_op(lambda t: glia.linalg.matrix_norm(t, ord, dim, keepdim),
             lambda t: torch.linalg.matrix_norm(t, ord, dim, keepdim), x, rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize("ord,dim", [(None, None), (None, 1), (2, None), ("fro", None),
                                     ("nuc", (0, 1)), (1, None), (math.inf, (1, 0)), (3, 0)])
def test_norm_picks_like_torch(ord, dim):
    x = rect((), 3, 4, "nrm")
    check_op(lambda t: glia.linalg.norm(t, ord, dim), lambda t: torch.linalg.norm(t, ord, dim), x,
             rtol=1e-8, atol=1e-9)
    check_op(lambda t: glia.linalg.norm(t[0], ord if not isinstance(ord, str) else None),
             lambda t: torch.linalg.norm(t[0], ord if not isinstance(ord, str) else None), x,
             rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (2, 4, 4)])
def test_pinv_gradient_at_repeated_singular_values(shape):
    # a scaled orthonormal (or orthogonal) matrix: every singular value is 2. The SVD's
    # gradient divides by their gaps; the pseudo-inverse's own does not.
    rng = np.random.default_rng(5)
    q = np.linalg.qr(rng.standard_normal(shape[:-2] + (max(shape[-2:]), min(shape[-2:]))))[0]
    a = 2 * (q if shape[-2] >= shape[-1] else np.swapaxes(q, -1, -2))
    check_op(glia.linalg.pinv, torch.linalg.pinv, a, rtol=1e-8, atol=1e-9, noncontig=False)
    g = glia.tensor(a, requires_grad=True)
    (glia.linalg.pinv(g) ** 2).sum().backward()
    assert np.isfinite(g.grad.numpy()).all()
    gradcheck(glia.linalg.pinv, a)


def test_pinv_second_derivative_matches_torch():
    a = rect((), 4, 3, "pinv2")
    g, t = glia.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    (dg,) = glia.autograd.grad((glia.linalg.pinv(g) ** 2).sum(), [g], create_graph=True)
    (dt,) = torch.autograd.grad((torch.linalg.pinv(t) ** 2).sum(), [t], create_graph=True)
    (ddg,) = glia.autograd.grad((dg * dg).sum(), [g])
    (ddt,) = torch.autograd.grad((dt * dt).sum(), [t])
    np.testing.assert_allclose(ddg.numpy(), ddt.numpy(), rtol=1e-8, atol=1e-9)


def test_matrix_rank_pinv_power_multi_dot_cond_match_torch():
    low = rect((2,), 5, 2, "lr") @ rect((2,), 2, 4, "lr2")  # rank 2
    for kw in ({}, dict(atol=1e-3), dict(rtol=0.5), dict(hermitian=True)):
        x = low @ np.swapaxes(low, -1, -2) if kw.get("hermitian") else low
        assert_close(glia.linalg.matrix_rank(glia.tensor(x), **kw),
                     torch.linalg.matrix_rank(torch.tensor(x), **kw))
    check_op(glia.linalg.pinv, torch.linalg.pinv, rect((2,), 4, 3, "pinv"), rtol=1e-8, atol=1e-9)
    assert_close(glia.linalg.pinv(glia.tensor(low)), torch.linalg.pinv(torch.tensor(low)),
                 rtol=1e-8, atol=1e-9)
    a = square((2,), 3, "mp") / 3
    for n in (0, 1, 2, 5, -1, -3):
        # torch 2.13's own backward of negative powers trips its in-place check: values only
        check_op(lambda t: glia.linalg.matrix_power(t, n), lambda t: torch.linalg.matrix_power(t, n),
                 a, grad=n > 0, **TOL)
    gradcheck(lambda t: glia.linalg.matrix_power(t, -2), a)
    mats = [rect((), 2, 3, "m1"), rect((), 3, 4, "m2"), rect((), 4, 1, "m3")]
    check_op(lambda *t: glia.linalg.multi_dot(list(t)), lambda *t: torch.linalg.multi_dot(list(t)),
             *mats, **TOL)
    for p in (None, 2, -2, "fro", 1, math.inf):
        # values only: torch 2.13's backward of cond trips its own in-place check
        check_op(lambda t: glia.linalg.cond(t, p), lambda t: torch.linalg.cond(t, p),
                 square((2,), 3, "cond"), grad=False, rtol=1e-8, atol=1e-9)
        gradcheck(lambda t: glia.linalg.cond(t, p), square((), 3, "condg"))
    check_raises(lambda: glia.linalg.matrix_power(glia.ones(2, 3), 2), ValueError,
                 "matrix_power", "(2, 3)")
    check_raises(lambda: glia.linalg.matrix_norm(glia.ones(2, 3), "bad"), ValueError,
                 "matrix_norm", "'bad'")


@pytest.mark.parametrize("name", ["det", "inv", "cholesky", "eigvalsh", "svdvals"])
def test_double_backward_matches_torch(name):
    a = spd((), 3, "dbl")
    g = glia.tensor(a, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    sym = lambda x: (x + x.transpose(-1, -2)) / 2  # noqa: E731
    fg, ft = getattr(glia.linalg, name), getattr(torch.linalg, name)
    w = _rng("dw").standard_normal(tuple(ft(torch.tensor(a)).shape))
    (gg,) = glia.autograd.grad((fg(sym(g)) * glia.tensor(w)).sum(), [g], create_graph=True)
    (tg,) = torch.autograd.grad((ft(sym(t)) * torch.tensor(w)).sum(), [t], create_graph=True)
    assert_close(gg, tg, rtol=1e-9, atol=1e-10)
    (g2,) = glia.autograd.grad((gg * gg).sum(), [g])
    (t2,) = torch.autograd.grad((tg * tg).sum(), [t])
    assert_close(g2, t2, rtol=1e-7, atol=1e-9)


def test_value_gradients_at_repeated_and_zero_singular_values_match_torch():
    # svdvals/eigvalsh/nuclear norm of the identity or of a rank-deficient matrix: finite
    for x in (np.eye(3), np.array([[1.0, 0, 0], [0, 0, 0]]), np.diag([2.0, 2.0, 5.0])):
        check_op(glia.linalg.svdvals, torch.linalg.svdvals, x)
        check_op(lambda t: glia.linalg.matrix_norm(t, "nuc"),
                 lambda t: torch.linalg.matrix_norm(t, "nuc"), x)
        if x.shape[0] == x.shape[1]:
            check_op(glia.linalg.eigvalsh, torch.linalg.eigvalsh, x)


def test_eigh_gradient_is_symmetric_like_torch():
    a = spd((), 4, "esym") - 4 * np.eye(4)
    w = _rng("esw").standard_normal((4, 4))
    x, y = glia.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    (glia.linalg.eigh(x).eigenvectors * glia.tensor(w)).abs().sum().backward()
    (torch.linalg.eigh(y).eigenvectors * torch.tensor(w)).abs().sum().backward()
    assert_close(x.grad, y.grad, rtol=1e-9, atol=1e-10)


def test_non_finite_inputs():
    bad = np.array([[np.nan, 1.0], [1.0, 2.0]])
    check_raises(lambda: glia.linalg.svd(glia.tensor(bad)), RuntimeError, "linalg.svd",
                 "non-finite")
    check_raises(lambda: glia.linalg.svdvals(glia.tensor(bad)), RuntimeError, "linalg.svd")
    assert np.isnan(glia.linalg.inv(glia.tensor(bad)).numpy()).all()  # NaN propagates, as torch
    # cholesky(upper=True) reads the upper triangle, as torch
    ns = np.array([[4.0, 1.0], [2.0, 3.0]])
    assert_close(glia.linalg.cholesky(glia.tensor(ns), upper=True),
                 torch.linalg.cholesky(torch.tensor(ns), upper=True))
