"""F.affine_grid and F.grid_sample vs PyTorch: every mode (bilinear, nearest, bicubic) x
padding mode (zeros, border, reflection) x align_corners, 4-D and 5-D, float32 and float64,
grids reaching outside the input, size-1 dims; outputs and gradients with respect to input,
grid and theta; grid points exactly on pixel centres and half-way between them (nearest
rounds half to even); float64 gradchecks; errors."""
import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glia
from glia.nn import functional as F
from helpers import RNG, assert_close, check_op, check_raises, gradcheck, randn

TOL = {np.float32: dict(rtol=1e-5, atol=2e-6), np.float64: dict(rtol=1e-7, atol=1e-9)}
MODES = ["bilinear", "nearest", "bicubic"]
PADDINGS = ["zeros", "border", "reflection"]


def random_grid(shape, dtype, reach=1.3):
    """Uniform in [-reach, reach]: some points fall outside the input."""
    return RNG.uniform(-reach, reach, shape).astype(dtype)


def compare(g_fn, t_fn, arrays, tol):
    """Outputs and gradients (one random cotangent) of every input; an input glia leaves
    without a gradient must get zeros from torch (the grid in nearest mode)."""
    gi = [glia.tensor(a, requires_grad=True) for a in arrays]
    ti = [torch.tensor(a, requires_grad=True) for a in arrays]
    go, to = g_fn(*gi), t_fn(*ti)
    assert_close(go, to, **tol)
    cot = RNG.standard_normal(tuple(to.shape)).astype(arrays[0].dtype)
    (go * glia.tensor(cot)).sum().backward()
    (to * torch.tensor(cot)).sum().backward()
    for a, b in zip(gi, ti):
        if a.grad is None:
            assert not b.grad.abs().max().item()
        else:
            assert_close(a.grad, b.grad, **tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode,padding_mode,align_corners",
                         list(itertools.product(MODES, PADDINGS, [False, True])))
def test_grid_sample_2d_matches_torch(mode, padding_mode, align_corners, dtype):
    kw = dict(mode=mode, padding_mode=padding_mode, align_corners=align_corners)
    tol = dict(TOL[dtype])
    if mode == "bicubic" and dtype == np.float32:
        # the grid gradient sums 16 float32 products of size ~1 that largely cancel; torch
        # writes the derivative out, glia's autograd differentiates the forward
        tol["atol"] = 5e-5
    for shape, out in [((2, 3, 5, 4), (6, 7)), ((1, 2, 1, 3), (2, 5))]:  # (N, C, H, W), (Ho, Wo)
        x = randn(*shape, dtype=dtype)
        grid = random_grid((shape[0],) + out + (2,), dtype)
        compare(lambda a, g: F.grid_sample(a, g, **kw), lambda a, g: TF.grid_sample(a, g, **kw),
                [x, grid], tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode,padding_mode,align_corners",
                         list(itertools.product(MODES[:2], PADDINGS, [False, True])))
def test_grid_sample_3d_matches_torch(mode, padding_mode, align_corners, dtype):
    kw = dict(mode=mode, padding_mode=padding_mode, align_corners=align_corners)
    x = randn(2, 2, 3, 4, 5, dtype=dtype)
    grid = random_grid((2, 2, 3, 4, 3), dtype)
    compare(lambda a, g: F.grid_sample(a, g, **kw), lambda a, g: TF.grid_sample(a, g, **kw),
            [x, grid], TOL[dtype])


def test_grid_sample_noncontiguous_inputs():
    x, grid = randn(1, 2, 4, 5), random_grid((1, 3, 4, 2), np.float64)
    check_op(lambda a, g: F.grid_sample(a, g, padding_mode="reflection"),
             lambda a, g: TF.grid_sample(a, g, padding_mode="reflection", align_corners=False),
             x, grid,
             **TOL[np.float64])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 2, 5, 4), (1, 2, 4, 3), (1, 1, 1, 2), (1, 2, 3, 4, 5)])
def test_grid_on_pixel_centres_and_halfway_points(shape, dtype):
    # multiples of 1/8 land on pixel centres, edges and exact halves for these sizes:
    # nearest rounds halves to even, and torch's float32 unnormalization is reproduced
    n = len(shape) - 2
    ticks = np.arange(-12, 13) / 8
    grid = np.stack(np.meshgrid(*[ticks] * n, indexing="ij")[::-1], -1)[None].astype(dtype)
    x = randn(*shape, dtype=dtype)
    for mode, padding_mode, align_corners in itertools.product(MODES, PADDINGS, [False, True]):
        if mode == "bicubic" and n == 3:
            continue
        kw = dict(mode=mode, padding_mode=padding_mode, align_corners=align_corners)
        assert_close(F.grid_sample(glia.tensor(x), glia.tensor(grid), **kw),
                     TF.grid_sample(torch.tensor(x), torch.tensor(grid), **kw), **TOL[dtype])


def test_identity_affine_grid_resamples_the_input_exactly():
    x = randn(2, 3, 5, 4)
    theta = glia.tensor(np.tile(np.eye(2, 3), (2, 1, 1)))
    for align in (False, True):
        grid = F.affine_grid(theta, [2, 3, 5, 4], align_corners=align)
        out = F.grid_sample(glia.tensor(x), grid, align_corners=align)
        np.testing.assert_allclose(out.numpy(), x, rtol=1e-12, atol=1e-12)


@pytest.mark.filterwarnings("ignore:Since version 1.3.0")  # torch, on unit-size grids
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("size", [[2, 3, 5, 4], [1, 1, 1, 3], [2, 1, 3, 4, 2], [1, 2, 1, 1, 3]])
def test_affine_grid_matches_torch(size, align_corners, dtype):
    n = len(size) - 2
    theta = randn(size[0], n, n + 1, dtype=dtype)
    check_op(lambda t: F.affine_grid(t, size, align_corners),
             lambda t: TF.affine_grid(t, size, align_corners), theta, **TOL[dtype])


def test_affine_grid_then_grid_sample_gradient_reaches_theta():
    theta = np.array([[[0.9, 0.2, 0.1], [-0.3, 1.1, -0.05]]])
    x = randn(1, 2, 4, 5)

    def g_fn(t, a):
        return F.grid_sample(a, F.affine_grid(t, [1, 2, 3, 6], False), padding_mode="border")

    def t_fn(t, a):
        return TF.grid_sample(a, TF.affine_grid(t, [1, 2, 3, 6], False), padding_mode="border",
                              align_corners=False)

    compare(g_fn, t_fn, [theta, x], TOL[np.float64])


# grid points chosen away from pixel centres and borders, where the interpolation has kinks
SMOOTH_GRID_2D = np.array([[[[-0.61, 0.33], [0.27, -0.71], [0.83, 0.58]],
                            [[-0.12, -0.41], [1.31, 0.17], [-1.23, 1.07]]]])
SMOOTH_GRID_3D = np.array([[[[[-0.61, 0.33, 0.12], [0.27, -0.71, -0.47]],
                             [[1.19, 0.58, -0.33], [-0.12, -1.41, 0.71]]]]])


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_2d_gradcheck(mode, padding_mode, align_corners):
    gradcheck(lambda a, g: F.grid_sample(a, g, mode, padding_mode, align_corners),
              randn(1, 2, 3, 4), SMOOTH_GRID_2D)


@pytest.mark.parametrize("padding_mode", PADDINGS)
def test_grid_sample_3d_and_nearest_gradcheck(padding_mode):
    gradcheck(lambda a, g: F.grid_sample(a, g, padding_mode=padding_mode, align_corners=True),
              randn(1, 2, 2, 3, 4), SMOOTH_GRID_3D)
    grid = glia.tensor(SMOOTH_GRID_2D)
    gradcheck(lambda a: F.grid_sample(a, grid, "nearest", padding_mode), randn(1, 2, 3, 4))


def test_affine_grid_gradcheck():
    gradcheck(lambda t: F.affine_grid(t, [2, 1, 3, 4]), randn(2, 2, 3))
    gradcheck(lambda t: F.affine_grid(t, [1, 1, 2, 3, 2], True), randn(1, 3, 4))


def test_errors():
    x, grid = glia.randn(1, 2, 3, 4), glia.randn(1, 2, 2, 2)
    check_raises(lambda: F.grid_sample(x, grid, mode="linear"), ValueError, "grid_sample",
                 "'linear'")
    check_raises(lambda: F.grid_sample(x, grid, padding_mode="wrap"), ValueError, "grid_sample",
                 "'wrap'")
    check_raises(lambda: F.grid_sample(glia.randn(2, 3, 4), grid), ValueError, "grid_sample",
                 "(2, 3, 4)")
    check_raises(lambda: F.grid_sample(x, glia.randn(1, 2, 2, 3)), ValueError, "grid_sample",
                 "(1, 2, 2, 3)")
    check_raises(lambda: F.grid_sample(x, glia.randn(2, 2, 2, 2)), ValueError, "grid_sample",
                 "(2, 2, 2, 2)")
    check_raises(lambda: F.grid_sample(x, grid.double()), TypeError, "grid_sample", "float64")
    check_raises(lambda: F.grid_sample(x.long(), grid), TypeError, "grid_sample", "int64")
    check_raises(lambda: F.grid_sample(glia.randn(1, 1, 2, 2, 2), glia.randn(1, 1, 1, 1, 3),
                                       mode="bicubic"), ValueError, "grid_sample", "bicubic")
    check_raises(lambda: F.grid_sample(glia.randn(1, 2, 0, 4), grid), ValueError, "grid_sample",
                 "non-empty")
    theta = glia.randn(2, 2, 3)
    check_raises(lambda: F.affine_grid(theta, [3, 1, 4, 4]), ValueError, "affine_grid",
                 "(3, 2, 3)", "(2, 2, 3)")
    check_raises(lambda: F.affine_grid(theta, [2, 1, 4]), ValueError, "affine_grid", "(2, 1, 4)")
    check_raises(lambda: F.affine_grid(theta, [2, 1, 3, 4, 5]), ValueError, "affine_grid",
                 "(2, 3, 4)")
    check_raises(lambda: F.affine_grid(theta, [2, 1, 0, 4]), ValueError, "affine_grid",
                 "positive")
    check_raises(lambda: F.affine_grid(theta.long(), [2, 1, 3, 4]), TypeError, "affine_grid",
                 "int64")
