"""Padding and resampling vs PyTorch: F.pad (constant / reflect / replicate / circular,
negative widths), F.interpolate (nearest, nearest-exact, linear, bilinear, trilinear, bicubic,
area; size or scale_factor; align_corners), F.pixel_shuffle / pixel_unshuffle: outputs and input
gradients in float32 and float64, float64 gradchecks; the layers ZeroPad2d, ConstantPad2d,
ReflectionPad2d, ReplicationPad2d, Upsample, PixelShuffle, PixelUnshuffle with their repr;
errors."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glia
from glia import nn
from glia.nn import functional as F
from helpers import assert_close, check_op, check_raises, compare_module, gradcheck, randn, to_glia, to_torch

TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-7, atol=1e-9)}


# ---- pad ----

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,widths", [
    ((2, 3, 7), (2, 3)),
    ((3, 6), (0, 4)),
    ((2, 3, 5, 6), (1, 2, 3, 0)),
    ((2, 3, 5, 6), (2, -1, -2, 3)),
    ((1, 2, 4, 3, 5), (1, 1, 2, 0, 0, 3)),
])
def test_pad_matches_torch(shape, widths, mode, dtype):
    check_op(lambda a: F.pad(a, widths, mode=mode), lambda a: TF.pad(a, widths, mode=mode),
             randn(*shape, dtype=dtype), **TOL[dtype])


@pytest.mark.parametrize("shape,widths", [((2, 3), (1, 2, 0, 1)), ((4,), (3, -1)),
                                          ((2, 3, 4, 5), (1, 1, 0, 0, 2, 1, 1, 0))])
def test_pad_constant_value_any_rank(shape, widths):
    check_op(lambda a: F.pad(a, widths, value=-1.5), lambda a: TF.pad(a, widths, value=-1.5),
             randn(*shape))


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_gradcheck(mode):
    gradcheck(lambda x: F.pad(x, (2, 1, -1, 3), mode=mode), randn(1, 2, 4, 3))


def test_pad_errors():
    x = glia.randn(1, 2, 3, 4)
    check_raises(lambda: F.pad(x, (4, 0), mode="reflect"), ValueError, "pad", "reflect",
                 "smaller than")
    check_raises(lambda: F.pad(x, (0, 0, 0, 4), mode="circular"), ValueError, "pad", "circular")
    check_raises(lambda: F.pad(x, (-2, 3), mode="circular"), ValueError, "pad", "cropping")
    check_raises(lambda: F.pad(x, (1, 2, 3)), ValueError, "pad", "even")
    check_raises(lambda: F.pad(x, (1,) * 10), ValueError, "pad", "(1, 2, 3, 4)")
    check_raises(lambda: F.pad(x, (1, 1), mode="wrap"), ValueError, "pad", "'wrap'")
    check_raises(lambda: F.pad(x, (-3, -2)), ValueError, "pad", "negative")
    check_raises(lambda: F.pad(x, (1, 1), mode="reflect", value=2), ValueError, "pad", "value")


# ---- interpolate ----

INTERP = [
    ((2, 3, 5, 4), dict(size=(7, 9), mode="nearest")),
    ((1, 2, 5, 4), dict(scale_factor=1.7, mode="nearest")),
    ((1, 2, 6, 6), dict(scale_factor=(0.5, 2), mode="nearest")),
    ((1, 2, 5, 3), dict(scale_factor=3, mode="nearest")),
    ((1, 2, 7, 5), dict(size=(3, 4), mode="nearest-exact")),
    ((2, 2, 5, 4), dict(size=(8, 7), mode="bilinear", align_corners=False)),
    ((2, 2, 5, 4), dict(size=(8, 7), mode="bilinear", align_corners=True)),
    ((1, 3, 6, 7), dict(size=(4, 3), mode="bilinear")),  # downsampling
    ((1, 2, 5, 4), dict(scale_factor=(2.5, 1.3), mode="bilinear")),
    ((1, 2, 5, 4), dict(scale_factor=1.5, mode="bilinear", recompute_scale_factor=True)),
    ((1, 2, 4, 5), dict(size=(1, 5), mode="bilinear", align_corners=True)),
    ((2, 3, 6), dict(size=11, mode="linear")),
    ((2, 3, 6), dict(scale_factor=0.6, mode="linear", align_corners=True)),
    ((2, 3, 5), dict(scale_factor=2, mode="nearest")),
    ((1, 2, 3, 4, 3), dict(size=(5, 4, 6), mode="trilinear")),
    ((1, 2, 3, 4, 3), dict(scale_factor=2, mode="nearest")),
    ((2, 2, 5, 4), dict(size=(8, 7), mode="bicubic")),
    ((2, 2, 5, 4), dict(size=(8, 7), mode="bicubic", align_corners=True)),
    ((1, 3, 7, 6), dict(size=(3, 4), mode="bicubic")),  # taps clamped at both edges
    ((1, 2, 5, 4), dict(scale_factor=(2.5, 1.3), mode="bicubic")),
    ((1, 2, 5, 4), dict(scale_factor=0.7, mode="bicubic", recompute_scale_factor=True)),
    ((1, 2, 1, 4), dict(size=(3, 1), mode="bicubic", align_corners=True)),
    ((2, 3, 7), dict(size=3, mode="area")),
    ((1, 2, 6, 5), dict(size=(4, 7), mode="area")),  # windows overlap when upsampling
    ((1, 2, 6, 5), dict(scale_factor=0.5, mode="area")),
    ((1, 2, 3, 4, 5), dict(size=(2, 3, 7), mode="area")),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,kwargs", INTERP)
def test_interpolate_matches_torch(shape, kwargs, dtype):
    tol = dict(TOL[dtype])
    if kwargs["mode"] == "bicubic" and dtype == np.float32:
        tol["atol"] = 1e-5  # 16 float32 products per pixel, summed in another order than torch
    check_op(lambda a: F.interpolate(a, **kwargs), lambda a: TF.interpolate(a, **kwargs),
             randn(*shape, dtype=dtype), **tol)


@pytest.mark.parametrize("spatial", [(3,), (4,), (7,), (3, 4), (4, 3), (3, 4, 5)],
                         ids=lambda s: f"{len(s) + 2}-D {s}")
@pytest.mark.parametrize("scale", [1.0, 1.1, 1.3, 2.0, 2.2, 2.5, 0.7])
def test_interpolate_nearest_scale_factor_picks_torchs_pixels(spatial, scale):
    # torch's 2-D kernel copies when out == in and halves when out == 2 in whatever the
    # scale; its 1-D and 3-D kernels use the scale (length 3, scale 1.3: [0, 0, 1])
    x = np.arange(2 * 3 * int(np.prod(spatial)), dtype=np.float64).reshape((2, 3) + spatial)
    t = TF.interpolate(to_torch(x), scale_factor=scale, mode="nearest")
    assert_close(F.interpolate(to_glia(x), scale_factor=scale, mode="nearest"), t, 0, 0)


@pytest.mark.parametrize("spatial,scale", [((64, 64), 1.005), ((64, 65), 1.005), ((3, 55), 2.2),
                                           ((3, 56), 2.2), ((60, 70), 1.01)])
def test_interpolate_nearest_2d_shortcuts_only_for_small_outputs(spatial, scale):
    # torch takes the 2-D shortcuts only while out_h + out_w <= 128: (64, 64) at 1.005 is a
    # copy, (64, 65) drops a row and a column; (3, 55) at 2.2 halves, (3, 56) uses the scale.
    # (torch's backward takes the shortcuts at every size, against its own forward; glia's
    # gradient is that of its forward, so only the forward is compared here.)
    x = np.arange(int(np.prod(spatial)), dtype=np.float64).reshape((1, 1) + spatial)
    t = TF.interpolate(to_torch(x), scale_factor=scale, mode="nearest")
    assert_close(F.interpolate(to_glia(x), scale_factor=scale, mode="nearest"), t, 0, 0)


@pytest.mark.parametrize("kwargs", [dict(size=(5, 7), mode="nearest"),
                                    dict(size=(5, 3), mode="bilinear"),
                                    dict(scale_factor=1.5, mode="bilinear", align_corners=True),
                                    dict(size=(6, 3), mode="bicubic"),
                                    dict(scale_factor=1.7, mode="bicubic", align_corners=True),
                                    dict(size=(2, 3), mode="area")])
def test_interpolate_gradcheck(kwargs):
    gradcheck(lambda x: F.interpolate(x, **kwargs), randn(1, 2, 3, 4))


def test_interpolate_linear_gradcheck():
    gradcheck(lambda x: F.interpolate(x, size=7, mode="linear"), randn(2, 1, 4))


def test_interpolate_errors():
    x = glia.randn(1, 2, 4, 4)
    check_raises(lambda: F.interpolate(x, size=(8, 8), scale_factor=2), ValueError,
                 "interpolate", "exactly one")
    check_raises(lambda: F.interpolate(x), ValueError, "interpolate")
    check_raises(lambda: F.interpolate(x, size=8, mode="linear"), ValueError, "interpolate",
                 "'linear'", "3-D")
    check_raises(lambda: F.interpolate(glia.randn(2, 4), size=8), ValueError, "interpolate",
                 "(2, 4)")
    check_raises(lambda: F.interpolate(x, size=8, align_corners=True), ValueError,
                 "interpolate", "align_corners")
    check_raises(lambda: F.interpolate(glia.randn(1, 2, 4), size=8, mode="bicubic"),
                 ValueError, "interpolate", "'bicubic'", "4-D")
    check_raises(lambda: F.interpolate(x, size=8, mode="bilinear2"), ValueError, "interpolate",
                 "'bilinear2'")
    for mode in ("bilinear", "bicubic"):  # integer weights would truncate to 0
        check_raises(lambda: F.interpolate(glia.arange(16).reshape(1, 1, 4, 4), size=6, mode=mode),
                     TypeError, "interpolate", mode, "int64")
    check_raises(lambda: F.interpolate(x, size=8, mode="area", align_corners=False), ValueError,
                 "interpolate", "align_corners")
    check_raises(lambda: F.interpolate(x, size=(8, 8, 8)), ValueError, "interpolate", "size")
    check_raises(lambda: F.interpolate(x, scale_factor=0.1), ValueError, "interpolate",
                 "positive")


# ---- pixel shuffle ----

@pytest.mark.parametrize("shape,r", [((2, 8, 3, 4), 2), ((9, 2, 3), 3), ((2, 1, 4, 2, 2), 2)])
def test_pixel_shuffle_matches_torch(shape, r):
    check_op(lambda a: F.pixel_shuffle(a, r), lambda a: TF.pixel_shuffle(a, r), randn(*shape))
    out_shape = F.pixel_shuffle(glia.randn(*shape), r).shape
    check_op(lambda a: F.pixel_unshuffle(a, r), lambda a: TF.pixel_unshuffle(a, r),
             randn(*out_shape))


def test_pixel_shuffle_gradcheck_and_inverse():
    gradcheck(lambda x: F.pixel_shuffle(x, 2), randn(1, 4, 2, 3))
    gradcheck(lambda x: F.pixel_unshuffle(x, 2), randn(1, 1, 4, 2))
    x = glia.randn(2, 12, 3, 2)
    np.testing.assert_array_equal(F.pixel_unshuffle(F.pixel_shuffle(x, 2), 2).numpy(), x.numpy())


def test_pixel_shuffle_errors():
    check_raises(lambda: F.pixel_shuffle(glia.randn(1, 6, 2, 2), 2), ValueError,
                 "pixel_shuffle", "divisible")
    check_raises(lambda: F.pixel_shuffle(glia.randn(4, 2), 2), ValueError, "pixel_shuffle",
                 "(4, 2)")
    check_raises(lambda: F.pixel_shuffle(glia.randn(1, 4, 2, 2), 0), ValueError,
                 "pixel_shuffle", "upscale_factor")
    check_raises(lambda: F.pixel_unshuffle(glia.randn(1, 1, 3, 4), 2), ValueError,
                 "pixel_unshuffle", "divisible")


# ---- layers ----

@pytest.mark.parametrize("make,shape", [
    (lambda m: m.ZeroPad2d(2), (2, 3, 4, 5)),
    (lambda m: m.ZeroPad2d((1, 0, 2, -1)), (3, 4, 5)),
    (lambda m: m.ConstantPad2d((0, 2, 1, 1), 3.5), (1, 2, 3, 3)),
    (lambda m: m.ReflectionPad2d(2), (1, 2, 4, 3)),
    (lambda m: m.ReflectionPad2d((1, 0, 2, 1)), (2, 4, 3)),
    (lambda m: m.ReplicationPad2d((3, 1, 0, 2)), (1, 2, 3, 4)),
    (lambda m: m.Upsample(scale_factor=2), (1, 2, 3, 4)),
    (lambda m: m.Upsample(size=(5, 7), mode="bilinear", align_corners=True), (1, 2, 3, 4)),
    (lambda m: m.Upsample(scale_factor=(1.5, 2.0), mode="bilinear"), (2, 1, 3, 4)),
    (lambda m: m.Upsample(size=7, mode="linear"), (2, 3, 4)),
    (lambda m: m.Upsample(scale_factor=2, mode="bicubic", align_corners=False), (1, 2, 3, 4)),
    (lambda m: m.Upsample(size=(2, 3), mode="area"), (1, 2, 5, 4)),
    (lambda m: m.PixelShuffle(2), (1, 8, 2, 3)),
    (lambda m: m.PixelUnshuffle(2), (1, 2, 4, 6)),
])
def test_vision_layers_match_torch(make, shape):
    g, t = make(nn), make(torch.nn)
    assert repr(g) == repr(t)
    compare_module(g, t, randn(*shape))


def test_padding_layer_errors():
    check_raises(lambda: nn.ZeroPad2d((1, 2, 3)), ValueError, "ZeroPad2d", "tuple of 4")
    check_raises(lambda: nn.ReplicationPad2d((1, 2, 1.5, 0)), ValueError, "ReplicationPad2d",
                 "padding", "1.5")
    check_raises(lambda: nn.ConstantPad2d(True, 0.0), ValueError, "ConstantPad2d", "padding")
    assert nn.ZeroPad2d([1, -2, 3, 4]).padding == torch.nn.ZeroPad2d([1, -2, 3, 4]).padding
    assert nn.ZeroPad2d(2).padding == torch.nn.ZeroPad2d(2).padding
    check_raises(lambda: nn.ReflectionPad2d(1)(glia.randn(4, 4)), ValueError, "ReflectionPad2d",
                 "(4, 4)")
    check_raises(lambda: nn.ReflectionPad2d(3)(glia.randn(1, 1, 3, 3)), ValueError, "pad",
                 "reflect")
    check_raises(lambda: nn.Upsample(), ValueError, "Upsample", "exactly one")
