"""matmul / @, mm, bmm, outer, dot against PyTorch: every numpy matmul case, transposed and
strided operands, size-0 dims, the Eigen (small), panel (medium) and BLAS (large) paths,
gradients, errors and thread counts."""
import numpy as np
import pytest
import torch

import glia
from helpers import (assert_close, check_op, check_raises, compare_module, gradcheck, load_from_torch,
                     randn, to_glia, to_torch)

TOL = {np.float32: dict(rtol=1e-4, atol=1e-5), np.float64: dict(rtol=1e-10, atol=1e-10)}

MATMUL_CASES = {
    "1d.1d": ((4,), (4,)),
    "1d@2d": ((4,), (4, 3)),
    "2d@1d": ((3, 4), (4,)),
    "2d@2d": ((3, 4), (4, 5)),
    "3d@3d": ((2, 3, 4), (2, 4, 5)),
    "bcast_batch": ((2, 1, 3, 4), (5, 4, 2)),
    "bcast_batch1": ((1, 3, 4), (2, 4, 5)),
    "3d@2d": ((2, 3, 4), (4, 5)),
    "4d@2d": ((2, 2, 3, 4), (4, 5)),
    "2d@3d": ((3, 4), (2, 4, 5)),
    "1d@3d": ((4,), (2, 4, 3)),
    "3d@1d": ((2, 3, 4), (4,)),
    "row@col": ((1, 4), (4, 1)),
    "col@row": ((4, 1), (1, 3)),
    "K1": ((3, 1), (1, 5)),
}
EMPTY_CASES = {
    "M0": ((0, 4), (4, 5)),
    "N0": ((3, 4), (4, 0)),
    "K0": ((3, 0), (0, 5)),
    "K0_1d": ((0,), (0,)),
    "K0_batched": ((2, 3, 0), (2, 0, 5)),
    "B0": ((0, 3, 4), (0, 4, 5)),
    "K0_nd@2d": ((2, 3, 0), (0, 4)),
}


def _fns():
    return [lambda a, b: a @ b, lambda a, b: glia.matmul(a, b), lambda a, b: a.matmul(b)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", list(MATMUL_CASES))
def test_matmul_matches_torch(case, dtype):
    sa, sb = MATMUL_CASES[case]
    a, b = randn(*sa, dtype=dtype), randn(*sb, dtype=dtype)
    for g in _fns():
        check_op(g, torch.matmul, a, b, **TOL[dtype])


@pytest.mark.parametrize("case", list(MATMUL_CASES))
def test_gradcheck_matmul(case):
    sa, sb = MATMUL_CASES[case]
    gradcheck(lambda a, b: a @ b, randn(*sa), randn(*sb))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", list(EMPTY_CASES))
def test_matmul_size0(case, dtype):
    sa, sb = EMPTY_CASES[case]
    a, b = randn(*sa, dtype=dtype), randn(*sb, dtype=dtype)
    check_op(lambda x, y: x @ y, torch.matmul, a, b, **TOL[dtype])
    out = (to_glia(a) @ to_glia(b)).numpy()
    if sa[-1] == 0:  # an empty inner dim sums nothing: zeros, not garbage
        assert out.size > 0 and not out.any()


def test_matmul_k0_overwrites_reused_memory():
    for _ in range(3):  # fresh outputs may land on recycled, non-zero memory
        junk = glia.tensor(np.full((50, 50), 7.0)) @ glia.tensor(np.ones((50, 50)))
        del junk
        out = glia.tensor(np.ones((50, 0))) @ glia.tensor(np.ones((0, 50)))
        np.testing.assert_array_equal(out.numpy(), np.zeros((50, 50)))


def test_matmul_int64():
    a = np.arange(12).reshape(3, 4) - 5
    b = np.arange(20).reshape(4, 5) % 7
    check_op(lambda x, y: x @ y, torch.matmul, a, b)
    check_op(lambda x, y: x @ y, torch.matmul, a.reshape(1, 3, 4).repeat(2, 0), b)


# ---------------------------------------------------------------- strides and views

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("m,k,n", [(3, 4, 5), (1, 4, 5), (3, 4, 1), (3, 1, 5), (200, 300, 100)])
def test_transposed_operands(m, k, n, dtype):
    at, bt = randn(k, m, dtype=dtype), randn(n, k, dtype=dtype)  # stored transposed
    a, b = randn(m, k, dtype=dtype), randn(k, n, dtype=dtype)
    tol = dict(TOL[dtype])
    if dtype == np.float32:  # gradients sum hundreds of float32 products of size ~30
        tol["atol"] = max(tol["atol"], 2e-4)
    check_op(lambda x, y: x.T @ y, lambda x, y: x.T @ y, at, b, noncontig=False, **tol)
    check_op(lambda x, y: x @ y.T, lambda x, y: x @ y.T, a, bt, noncontig=False, **tol)
    check_op(lambda x, y: x.T @ y.T, lambda x, y: x.T @ y.T, at, bt, noncontig=False, **tol)
    check_op(lambda x, y: x.t().mm(y), lambda x, y: x.t().mm(y), at, b, noncontig=False, **tol)
    # the transposed views are left untouched
    g = to_glia(at)
    _ = g.T @ to_glia(b)
    np.testing.assert_array_equal(g.numpy(), at)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_batched_transposed_operands(dtype):
    a, b = randn(3, 5, 4, dtype=dtype), randn(3, 6, 5, dtype=dtype)
    tol = TOL[dtype]
    check_op(lambda x, y: x.mT @ y.mT, lambda x, y: x.mT @ y.mT, a, b, noncontig=False, **tol)
    check_op(lambda x, y: glia.bmm(x.transpose(1, 2), y.permute(0, 2, 1)),
             lambda x, y: torch.bmm(x.transpose(1, 2), y.permute(0, 2, 1)), a, b,
             noncontig=False, **tol)
    # batch dim not outermost in memory
    check_op(lambda x, y: x.permute(1, 0, 2) @ y, lambda x, y: x.permute(1, 0, 2) @ y,
             randn(5, 3, 4, dtype=dtype), randn(3, 4, 2, dtype=dtype), noncontig=False, **tol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("big", [False, True], ids=["eigen", "blas"])
def test_strided_and_expanded_operands(big, dtype):
    m, k, n = (160, 140, 120) if big else (5, 4, 3)
    tol = dict(rtol=1e-4, atol=1e-4) if big and dtype == np.float32 else TOL[dtype]
    a, b = randn(m, 2 * k, dtype=dtype), randn(2 * k, n + 3, dtype=dtype)
    # every other column / row: no unit stride in the sliced dim
    check_op(lambda x, y: x[:, ::2] @ y[1::2, :n], lambda x, y: x[:, ::2] @ y[1::2, :n], a, b,
             noncontig=False, **tol)
    check_op(lambda x, y: x[::2] @ y[:k], lambda x, y: x[::2] @ y[:k], a[:, :k], b, noncontig=False,
             **tol)
    # stride-0 rows (broadcast_to) and a broadcast batch
    row = randn(1, k, dtype=dtype)
    check_op(lambda x, y: glia.broadcast_to(x, (m, k)) @ y,
             lambda x, y: torch.broadcast_to(x, (m, k)) @ y, row, b[:k, :n], noncontig=False, **tol)
    check_op(lambda x, y: glia.broadcast_to(x, (2, m, k)) @ y,
             lambda x, y: torch.broadcast_to(x, (2, m, k)) @ y, a[:, :k], b[:k], noncontig=False,
             **tol)


# ---------------------------------------------------------------- BLAS sizes

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sa,sb", [((200, 300), (300, 100)), ((2, 100, 120), (2, 120, 100)),
                                   ((3, 64, 150), (150, 96)), ((1, 1000), (1000, 900)),
                                   ((900, 1000), (1000, 1)), ((1000,), (1000, 900)),
                                   ((96, 96), (96, 96)), ((95, 96), (96, 96))])
def test_matmul_large(sa, sb, dtype):
    a, b = randn(*sa, dtype=dtype), randn(*sb, dtype=dtype)
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-9, atol=1e-9)
    check_op(lambda x, y: x @ y, torch.matmul, a, b, **tol)
    ref = np.matmul(a.astype(np.float64), b.astype(np.float64))
    np.testing.assert_allclose((to_glia(a) @ to_glia(b)).numpy(), ref, **tol)


# ---------------------------------------------------------------- panel sizes
# Below BLAS sizes, products with every dim >= 16 and A not stored transposed run on glia's
# panel kernel: tiles of up to 6 rows against strips of 16 (float32) or 8 (float64) columns.
# These leave partial tiles and strips, read A and B through leading dims wider than a row,
# B stored transposed (a Linear layer's weight), batches (one B for all of them too), and
# the smallest size on either side of the cutoff.
PANEL_CASES = {
    "16^3": ((16, 16), (16, 16), None, None),
    "15_rows_eigen": ((15, 16), (16, 16), None, None),
    "odd": ((37, 29), (29, 53), None, None),
    "95^3": ((95, 95), (95, 95), None, None),
    "wide_ld": ((40, 70), (70, 90), lambda x: x[:, :50], lambda y: y[:50, 3:70]),
    "b_T": ((33, 45), (61, 45), None, lambda y: y.T),
    "b_T_wide_ld": ((33, 45), (61, 80), None, lambda y: y[:, 5:50].T),
    "a_T_eigen": ((45, 33), (45, 61), lambda x: x.T, None),
    "batch": ((3, 20, 30), (3, 30, 25), None, None),
    "batch_shared_b": ((3, 20, 30), (1, 30, 25), None, None),  # a stride-0 batch of B
    "batch_b_T": ((2, 50, 17), (2, 41, 17), None, lambda y: y.mT),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", list(PANEL_CASES))
def test_matmul_panel_sizes(case, dtype):
    sa, sb, fa, fb = PANEL_CASES[case]
    fa, fb = fa or (lambda x: x), fb or (lambda y: y)
    a, b = randn(*sa, dtype=dtype), randn(*sb, dtype=dtype)
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
    check_op(lambda x, y: fa(x) @ fb(y), lambda x, y: fa(x) @ fb(y), a, b, noncontig=False, **tol)
    ref = np.matmul(fa(a.astype(np.float64)), fb(b.astype(np.float64)))
    np.testing.assert_allclose((fa(to_glia(a)) @ fb(to_glia(b))).numpy(), ref, **tol)


def test_matmul_panel_sizes_gradcheck_and_non_finite():
    gradcheck(lambda a, b: a @ b, randn(17, 19), randn(19, 21))
    gradcheck(lambda a, b: a @ b.T, randn(2, 18, 16), randn(20, 16))
    a, b = randn(20, 16), randn(16, 21)  # 21 columns: the last strip is zero-padded
    a[3, 5], b[7, 20] = np.inf, np.nan  # row 3 and column 20 of the product only
    got, want = (to_glia(a) @ to_glia(b)).numpy(), a @ b
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(got[np.isinf(want)], want[np.isinf(want)])
    np.testing.assert_allclose(got[np.isfinite(want)], want[np.isfinite(want)], rtol=1e-10)


@pytest.mark.parametrize("bias", [True, False])
def test_linear_at_panel_sizes_matches_torch(bias):
    tl = torch.nn.Linear(48, 70, bias=bias).double()
    gl = glia.nn.Linear(48, 70, bias=bias, dtype=glia.float64)
    load_from_torch(gl, tl)
    compare_module(gl, tl, randn(3, 21, 48), rtol=1e-10, atol=1e-10)


LARGE_VIEWS = {
    "outer_K1": ((1000, 1), (1, 1000), lambda x: x, lambda y: y),
    "outer_K1_T": ((1, 1000), (1000, 1), lambda x: x.T, lambda y: y.T),
    "vecT@mat": ((1000, 1), (1000, 900), lambda x: x.T, lambda y: y),
    "mat@vecT": ((900, 1000), (1, 1000), lambda x: x, lambda y: y.T),
    "strided_row": ((5, 3000), (1000, 900), lambda x: x[3:4, ::3], lambda y: y),
    "strided_col": ((900, 1000), (3000, 5), lambda x: x, lambda y: y[::3, 2:3]),
    "narrow_ld": ((100, 200), (200, 300), lambda x: x[:, :120], lambda y: y[:120, :100]),
    "narrow_ld_T": ((200, 300), (200, 300), lambda x: x[:120, :100].T, lambda y: y[:100, :120].T),
    "batch_T": ((3, 120, 110), (3, 120, 100), lambda x: x.mT, lambda y: y),
    "batch_perm": ((100, 2, 120), (2, 120, 100), lambda x: x.permute(1, 0, 2), lambda y: y),
    "batch_bcast": ((2, 1, 100, 120), (3, 120, 100), lambda x: x, lambda y: y),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", list(LARGE_VIEWS))
def test_matmul_large_views(case, dtype):
    sa, sb, fa, fb = LARGE_VIEWS[case]
    a, b = randn(*sa, dtype=dtype), randn(*sb, dtype=dtype)
    tol = dict(rtol=1e-4, atol=3e-4) if dtype == np.float32 else dict(rtol=1e-9, atol=1e-9)
    check_op(lambda x, y: fa(x) @ fb(y), lambda x, y: fa(x) @ fb(y), a, b, noncontig=False, **tol)


# ---------------------------------------------------------------- mm, bmm, outer, dot

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mm_bmm_outer_dot(dtype):
    tol = TOL[dtype]
    a, b = randn(3, 4, dtype=dtype), randn(4, 5, dtype=dtype)
    check_op(glia.mm, torch.mm, a, b, **tol)
    check_op(lambda x, y: x.mm(y), torch.mm, a, b, **tol)
    a3, b3 = randn(2, 3, 4, dtype=dtype), randn(2, 4, 5, dtype=dtype)
    check_op(glia.bmm, torch.bmm, a3, b3, **tol)
    check_op(lambda x, y: x.bmm(y), torch.bmm, a3, b3, **tol)
    u, v = randn(4, dtype=dtype), randn(3, dtype=dtype)
    check_op(glia.outer, torch.outer, u, v, **tol)
    check_op(lambda x, y: x.outer(y), torch.outer, u, v, **tol)
    w = randn(4, dtype=dtype)
    check_op(glia.dot, torch.dot, u, w, **tol)
    check_op(lambda x, y: x.dot(y), torch.dot, u, w, **tol)
    assert glia.dot(to_glia(u), to_glia(w)).shape == ()
    np.testing.assert_allclose(glia.dot(to_glia(u), to_glia(w)).item(), float(u @ w), rtol=1e-5)


def test_mm_bmm_outer_dot_size0():
    check_op(glia.mm, torch.mm, randn(3, 0), randn(0, 2))
    check_op(glia.bmm, torch.bmm, randn(2, 3, 0), randn(2, 0, 4))
    check_op(glia.outer, torch.outer, randn(0), randn(3))
    check_op(glia.dot, torch.dot, randn(0), randn(0))
    assert glia.dot(to_glia(randn(0)), to_glia(randn(0))).item() == 0.0


def test_gradcheck_mm_bmm_outer_dot():
    gradcheck(glia.mm, randn(3, 4), randn(4, 2))
    gradcheck(glia.bmm, randn(2, 3, 4), randn(2, 4, 2))
    gradcheck(glia.outer, randn(4), randn(3))
    gradcheck(glia.dot, randn(4), randn(4))
    gradcheck(lambda a, b: a.T @ b.T, randn(4, 3), randn(2, 4))
    gradcheck(lambda a, b: a.mT @ b, randn(2, 4, 3), randn(4, 2))
    gradcheck(lambda a, b: a[:, ::2] @ b, randn(3, 8), randn(4, 2))


def test_matmul_grad_accumulates_when_operand_used_twice():
    a = randn(3, 3)
    ga, ta = to_glia(a, True), to_torch(a, True)
    (ga @ ga @ ga.T).sum().backward()
    (ta @ ta @ ta.T).sum().backward()
    assert_close(ga.grad, ta.grad, rtol=1e-10)
    gradcheck(lambda x: x @ x.T @ x, a)


def test_matmul_grad_one_side_only():
    a, b = randn(3, 4), randn(4, 2)
    ga, gb = to_glia(a, True), to_glia(b)
    ta, tb = to_torch(a, True), to_torch(b)
    (ga @ gb).sum().backward()
    (ta @ tb).sum().backward()
    assert gb.grad is None
    assert_close(ga.grad, ta.grad)


# ---------------------------------------------------------------- errors

def test_matmul_inner_mismatch_message():
    a, b = glia.ones(3, 4), glia.ones(5, 6)
    check_raises(lambda: glia.matmul(a, b), ValueError, "matmul", "(3, 4)", "(5, 6)")
    check_raises(lambda: a @ b, ValueError, "matmul", "(3, 4)", "(5, 6)")
    check_raises(lambda: glia.ones(4) @ glia.ones(5), ValueError, "matmul", "(4,)", "(5,)")
    check_raises(lambda: glia.ones(2, 3, 4) @ glia.ones(5), ValueError, "matmul", "(2, 3, 4)")


def test_matmul_other_shape_errors():
    check_raises(lambda: glia.ones(2, 3, 4) @ glia.ones(3, 4, 5), ValueError, "matmul")
    check_raises(lambda: glia.ones(()) @ glia.ones(3), ValueError, "matmul")
    check_raises(lambda: glia.mm(glia.ones(2, 3, 4), glia.ones(4, 5)), ValueError, "mm")
    check_raises(lambda: glia.mm(glia.ones(3, 4), glia.ones(5, 6)), ValueError, "(3, 4)", "(5, 6)")
    check_raises(lambda: glia.bmm(glia.ones(3, 4), glia.ones(4, 5)), ValueError, "bmm")
    check_raises(lambda: glia.bmm(glia.ones(2, 3, 4), glia.ones(3, 4, 5)), ValueError, "bmm")
    check_raises(lambda: glia.dot(glia.ones(3), glia.ones(4)), ValueError, "dot")
    check_raises(lambda: glia.dot(glia.ones(3, 1), glia.ones(3)), ValueError, "dot")
    check_raises(lambda: glia.outer(glia.ones(3, 1), glia.ones(3)), ValueError, "outer")


def test_matmul_dtype_errors():
    f32, f64 = glia.ones(3, 4, dtype=glia.float32), glia.ones(4, 2, dtype=glia.float64)
    check_raises(lambda: f32 @ f64, TypeError, "matmul", "float32", "float64")
    check_raises(lambda: glia.mm(f32, f64), TypeError, "mm")
    check_raises(lambda: glia.ones(3, dtype=glia.float64).dot(glia.ones(3)), TypeError, "dot")
    b = glia.ones(3, 3, dtype=glia.bool)
    check_raises(lambda: b @ b, TypeError, "matmul")


# ---------------------------------------------------------------- threads


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_set_num_threads_gives_same_results(restore_threads, dtype):
    shapes = [((200, 300), (300, 100)), ((64, 5, 6), (64, 6, 7)), ((3, 4), (4, 5)),
              ((4, 150, 160), (160, 170))]
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-9, atol=1e-9)
    results = {}
    for n in (1, 2):
        glia.set_num_threads(n)
        assert glia.get_num_threads() == n
        for i, (sa, sb) in enumerate(shapes):
            a = np.random.default_rng(i).standard_normal(sa).astype(dtype)
            b = np.random.default_rng(100 + i).standard_normal(sb).astype(dtype)
            check_op(lambda x, y: x @ y, torch.matmul, a, b, **tol)
            results.setdefault(i, []).append((to_glia(a) @ to_glia(b)).numpy())
    for outs in results.values():
        np.testing.assert_allclose(outs[0], outs[1], **tol)


def test_a_blas_library_is_loaded():
    # the thread splits below, and the "blas" cases above, run only when one is: without it
    # they would pass on Eigen's path alone (scipy-openblas32 is a dependency)
    assert glia._blas.blas_name() != "eigen"


# fewer rows than two per thread, or at most a quarter as many rows as columns: the threads
# share the columns of the product (the rows of a transposed B, as a Linear layer's weight is
# stored); one-row products are matrix-vector
FEW_ROWS = [((1, 700), (700, 1500)), ((3, 500), (500, 900)), ((5, 400), (400, 777)),
            ((40, 300), (300, 1201))]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("transposed", ["none", "a", "b", "both"])
def test_few_rows_share_columns(restore_threads, dtype, threads, transposed):
    glia.set_num_threads(threads)
    tol = dict(rtol=1e-4, atol=3e-4) if dtype == np.float32 else dict(rtol=1e-9, atol=1e-9)
    ta, tb = transposed in ("a", "both"), transposed in ("b", "both")
    for sa, sb in FEW_ROWS:
        # stored transposed: the product reads x.T of the stored array
        a = randn(*(sa[::-1] if ta else sa), dtype=dtype)
        b = randn(*(sb[::-1] if tb else sb), dtype=dtype)
        fa = (lambda x: x.T) if ta else (lambda x: x)
        fb = (lambda y: y.T) if tb else (lambda y: y)
        check_op(lambda x, y: fa(x) @ fb(y), lambda x, y: fa(x) @ fb(y), a, b, noncontig=False,
                 **tol)


@pytest.mark.parametrize("threads", [2, 3])
def test_narrow_products_keep_row_blocks(restore_threads, threads):
    # few rows but also few columns: too few column blocks to go round, so rows are split
    glia.set_num_threads(threads)
    check_op(lambda x, y: x @ y, torch.matmul, randn(16, 2048), randn(2048, 64), noncontig=False,
             rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("threads", [2, 3])
def test_few_rows_of_a_small_batch_share_columns(restore_threads, threads):
    # 2 matrices: with 3 threads each product shares its columns, with 2 each has a thread
    glia.set_num_threads(threads)
    a, b = randn(2, 3, 500), randn(2, 500, 900)
    check_op(lambda x, y: x @ y, torch.matmul, a, b, noncontig=False, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("batch", [1, 2])
def test_linear_on_few_rows_matches_torch(restore_threads, batch):
    glia.set_num_threads(2)
    tl = torch.nn.Linear(900, 1300).double()
    gl = glia.nn.Linear(900, 1300, dtype=glia.float64)
    load_from_torch(gl, tl)
    compare_module(gl, tl, randn(batch, 900), rtol=1e-10, atol=1e-10)
