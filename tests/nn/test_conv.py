"""Convolutions vs PyTorch: F.conv1d/2d/3d and F.conv_transpose1d/2d/3d over a grid of
kernels, strides, paddings ('same'/'valid' included), dilations and groups (depthwise
included), batched and unbatched, float32 and float64 (outputs and input/weight/bias
gradients); float64 gradchecks; the layers Conv1d/2d/3d (every padding_mode),
ConvTranspose1d/2d and SeparableConv2d with copied weights; default init, repr and errors."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glia
from glia import nn
from glia.nn import functional as F
from helpers import assert_close, check_op, check_raises, compare_module, gradcheck, load_from_torch, randn

# torch warns that 'same' with an even kernel copies the input; so does glia, by design
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")

TOL = {np.float32: dict(rtol=1e-4, atol=1e-5), np.float64: dict(rtol=1e-7, atol=1e-9)}


def check_conv(g_fn, t_fn, x_shape, w_shape, b_size, dtype, kwargs):
    arrays = [randn(*x_shape, dtype=dtype), randn(*w_shape, dtype=dtype)]
    if b_size:
        arrays.append(randn(b_size, dtype=dtype))
    check_op(lambda *a: g_fn(*a, **kwargs), lambda *a: t_fn(*a, **kwargs), *arrays,
             **TOL[dtype])


# ---- functional: conv ----

CONV2D = [
    ((2, 3, 7, 6), (4, 3, 3, 3), {}),
    ((1, 3, 5, 5), (2, 3, 1, 1), {}),  # batch 1, pointwise
    ((2, 4, 7, 5), (6, 2, 3, 2), dict(stride=(2, 1), padding=(1, 0), groups=2)),
    ((2, 4, 9, 8), (4, 1, 3, 3), dict(padding=2, dilation=2, groups=4)),  # depthwise, dilated
    ((2, 8, 5, 5), (16, 1, 3, 3), dict(padding=1, groups=8)),  # depthwise, multiplier 2
    ((2, 3, 6, 7), (5, 3, 2, 4), dict(padding="same")),  # even kernels: asymmetric padding
    ((1, 3, 6, 7), (5, 3, 3, 2), dict(padding="same", dilation=(2, 3))),
    ((2, 3, 6, 5), (4, 3, 3, 3), dict(padding="valid", stride=2)),
    ((3, 7, 6), (4, 3, 3, 3), dict(padding=1)),  # unbatched
    ((2, 2, 5, 5), (3, 2, 5, 5), {}),  # kernel as large as the input
    ((2, 6, 8, 7), (6, 2, 3, 3), dict(stride=3, padding=1, groups=3)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_shape,w_shape,kwargs", CONV2D)
def test_conv2d_matches_torch(x_shape, w_shape, kwargs, dtype):
    check_conv(F.conv2d, TF.conv2d, x_shape, w_shape, w_shape[0], dtype, kwargs)


# 3x3 stride-1 convolutions with >= 8 channels each way run through Winograd F(2x2, 3x3):
# every padding it takes, odd and tiny planes (partial edge tiles), batch 1, and enough
# tiles for several blocks.
WINOGRAD = [
    ((2, 8, 7, 5), (9, 8, 3, 3), dict(padding=1)),
    ((1, 16, 6, 6), (8, 16, 3, 3), {}),
    ((3, 9, 5, 4), (10, 9, 3, 3), dict(padding=2)),
    ((2, 8, 1, 1), (8, 8, 3, 3), dict(padding=1)),
    ((1, 8, 2, 9), (12, 8, 3, 3), dict(padding=(2, 0))),
    ((3, 8, 21, 19), (8, 8, 3, 3), dict(padding=1)),
    ((2, 12, 3, 3), (8, 12, 3, 3), dict(padding="same")),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_shape,w_shape,kwargs", WINOGRAD)
def test_conv2d_winograd_matches_torch(x_shape, w_shape, kwargs, dtype):
    # weight gradients sum ~1000 products of size ~100: float32 rounding reaches 3e-5
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else TOL[dtype]
    arrays = [randn(*shape, dtype=dtype) for shape in (x_shape, w_shape, w_shape[:1])]
    check_op(lambda *a: F.conv2d(*a, **kwargs), lambda *a: TF.conv2d(*a, **kwargs), *arrays, **tol)


@pytest.mark.parametrize("padding", [0, 1, 2])
def test_conv_transpose2d_winograd_matches_torch(padding):
    check_conv(F.conv_transpose2d, TF.conv_transpose2d, (2, 8, 6, 5), (8, 9, 3, 3), 9,
               np.float32, dict(padding=padding))


def test_conv2d_winograd_non_contiguous_input():
    gx = glia.tensor(randn(2, 8, 12, 4, dtype=np.float32)).permute(0, 2, 3, 1)  # (2, 12, 4, 8)
    assert not gx.is_contiguous()
    w = randn(8, 12, 3, 3, dtype=np.float32)
    expected = TF.conv2d(torch.from_numpy(gx.numpy().copy()), torch.from_numpy(w), padding=1)
    assert_close(F.conv2d(gx, glia.tensor(w), padding=1), expected, **TOL[np.float32])


def test_conv2d_winograd_gradcheck():
    gradcheck(lambda x, w, b: F.conv2d(x, w, b, padding=1), randn(1, 8, 3, 4),
              randn(8, 8, 3, 3), randn(8))


CONV1D = [
    ((2, 3, 9), (4, 3, 3), {}),
    ((1, 4, 8), (4, 2, 4), dict(padding="same", groups=2)),
    ((2, 3, 10), (5, 3, 2), dict(stride=3, padding=2, dilation=2)),
    ((3, 7), (2, 3, 3), dict(padding=1)),  # unbatched
    ((2, 4, 7), (4, 1, 3), dict(groups=4, padding="same", dilation=2)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_shape,w_shape,kwargs", CONV1D)
def test_conv1d_matches_torch(x_shape, w_shape, kwargs, dtype):
    check_conv(F.conv1d, TF.conv1d, x_shape, w_shape, w_shape[0], dtype, kwargs)


CONV3D = [
    ((2, 2, 4, 5, 4), (3, 2, 2, 3, 2), dict(padding=1, stride=(1, 2, 1))),
    ((1, 4, 5, 4, 4), (4, 2, 3, 3, 2), dict(padding="same", groups=2)),
    ((5, 4, 4, 5), (3, 5, 3, 1, 2), dict(dilation=(1, 1, 2))),  # unbatched
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_shape,w_shape,kwargs", CONV3D)
def test_conv3d_matches_torch(x_shape, w_shape, kwargs, dtype):
    check_conv(F.conv3d, TF.conv3d, x_shape, w_shape, w_shape[0], dtype, kwargs)


def test_conv2d_without_bias():
    check_conv(F.conv2d, TF.conv2d, (2, 3, 5, 6), (4, 3, 3, 3), 0, np.float64,
               dict(padding=1, stride=2))


# ---- functional: transposed conv ----

CONV_T2D = [
    ((2, 4, 4, 5), (4, 3, 3, 3), dict(stride=2, padding=1, output_padding=1)),
    ((1, 4, 3, 3), (4, 2, 2, 3), dict(stride=(2, 3), groups=2)),
    ((2, 3, 4, 4), (3, 2, 3, 3), dict(dilation=2, padding=1)),
    ((3, 4, 4), (3, 5, 3, 3), dict(stride=2)),  # unbatched
    ((2, 4, 3, 5), (4, 1, 3, 3), dict(stride=2, padding=1, output_padding=(1, 0), groups=4)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_shape,w_shape,kwargs", CONV_T2D)
def test_conv_transpose2d_matches_torch(x_shape, w_shape, kwargs, dtype):
    groups = kwargs.get("groups", 1)
    check_conv(F.conv_transpose2d, TF.conv_transpose2d, x_shape, w_shape, w_shape[1] * groups,
               dtype, kwargs)


CONV_T1D = [
    ((2, 3, 6), (3, 4, 3), dict(stride=2, padding=1, output_padding=1)),
    ((4, 5), (4, 2, 4), dict(stride=3, groups=2, dilation=2, output_padding=2)),  # unbatched
    ((1, 2, 7), (2, 3, 1), {}),
    # 1x1 kernel whose output is longer than its input: not a pointwise GEMM
    ((2, 3, 5), (3, 2, 1), dict(dilation=2, output_padding=1)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_shape,w_shape,kwargs", CONV_T1D)
def test_conv_transpose1d_matches_torch(x_shape, w_shape, kwargs, dtype):
    groups = kwargs.get("groups", 1)
    check_conv(F.conv_transpose1d, TF.conv_transpose1d, x_shape, w_shape, w_shape[1] * groups,
               dtype, kwargs)


def test_conv_transpose3d_matches_torch():
    check_conv(F.conv_transpose3d, TF.conv_transpose3d, (1, 2, 3, 3, 2), (2, 3, 2, 2, 3), 3,
               np.float64, dict(stride=2, padding=(0, 1, 1)))


# ---- gradchecks ----

@pytest.mark.parametrize("fn,x_shape,w_shape,kwargs", [
    (F.conv1d, (2, 2, 6), (3, 2, 3), dict(stride=2, padding=1)),
    (F.conv1d, (1, 2, 5), (2, 1, 2), dict(padding="same", groups=2, dilation=2)),
    (F.conv2d, (1, 2, 5, 6), (3, 2, 2, 3), dict(padding=(1, 0), dilation=(1, 2))),
    (F.conv2d, (2, 4, 4, 4), (4, 1, 3, 3), dict(padding=1, groups=4, stride=2)),
    (F.conv2d, (1, 2, 4, 5), (2, 2, 2, 2), dict(padding="same")),
    (F.conv3d, (1, 2, 3, 4, 3), (2, 1, 2, 2, 2), dict(padding=1, groups=2)),
    (F.conv_transpose1d, (1, 2, 4), (2, 3, 3), dict(stride=2, output_padding=1)),
    (F.conv_transpose2d, (1, 2, 3, 3), (2, 2, 3, 2), dict(stride=2, padding=1)),
    (F.conv_transpose3d, (1, 2, 2, 2, 2), (2, 1, 2, 2, 2), dict(stride=2, groups=2)),
])
def test_conv_gradcheck(fn, x_shape, w_shape, kwargs):
    transposed = fn in (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)
    out_channels = w_shape[1] * kwargs.get("groups", 1) if transposed else w_shape[0]
    gradcheck(lambda x, w, b: fn(x, w, b, **kwargs), randn(*x_shape), randn(*w_shape),
              randn(out_channels))


# ---- layers ----

@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding", [1, (2, 0), "same", "valid"])
def test_conv2d_layer_padding_modes(padding, padding_mode):
    t = torch.nn.Conv2d(4, 6, (3, 2), padding=padding, padding_mode=padding_mode, groups=2)
    g = nn.Conv2d(4, 6, (3, 2), padding=padding, padding_mode=padding_mode, groups=2)
    load_from_torch(g, t)
    compare_module(g, t, randn(2, 4, 6, 5, dtype=np.float32), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("cls,t_cls,args,kwargs,x_shape", [
    (nn.Conv1d, torch.nn.Conv1d, (3, 4, 3), dict(stride=2, padding=1), (2, 3, 9)),
    (nn.Conv1d, torch.nn.Conv1d, (4, 4, 4), dict(padding="same", groups=4,
                                                 padding_mode="reflect"), (4, 7)),
    (nn.Conv1d, torch.nn.Conv1d, (2, 3, 3), dict(dilation=2, bias=False,
                                                 padding_mode="circular", padding=2), (1, 2, 6)),
    (nn.Conv2d, torch.nn.Conv2d, (3, 5, 3), dict(stride=2, dilation=2, padding=2), (1, 3, 9, 8)),
    (nn.Conv2d, torch.nn.Conv2d, (3, 2, 1), dict(bias=False), (3, 4, 5)),
    (nn.Conv3d, torch.nn.Conv3d, (2, 3, 2), dict(padding=1, stride=(2, 1, 1)), (1, 2, 4, 3, 3)),
    (nn.Conv3d, torch.nn.Conv3d, (2, 4, 3), dict(padding="same", padding_mode="replicate",
                                                 groups=2), (2, 3, 4, 3)),
    (nn.ConvTranspose1d, torch.nn.ConvTranspose1d, (3, 4, 3), dict(stride=2, padding=1,
                                                                   output_padding=1), (2, 3, 5)),
    (nn.ConvTranspose2d, torch.nn.ConvTranspose2d, (4, 2, 3), dict(stride=2, groups=2,
                                                                   dilation=2), (1, 4, 3, 4)),
    (nn.ConvTranspose2d, torch.nn.ConvTranspose2d, (2, 3, (2, 3)), dict(bias=False), (2, 3, 3)),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_layers_match_torch(cls, t_cls, args, kwargs, x_shape, dtype):
    t = t_cls(*args, **kwargs).to(torch.float64 if dtype == np.float64 else torch.float32)
    g = cls(*args, **kwargs, dtype=glia.float64 if dtype == np.float64 else glia.float32)
    load_from_torch(g, t)
    compare_module(g, t, randn(*x_shape, dtype=dtype), **TOL[dtype])


def test_conv_transpose2d_output_size():
    t = torch.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    g = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    load_from_torch(g, t)
    x = randn(1, 3, 4, 4, dtype=np.float32)
    for size in [(7, 7), (8, 7), [1, 2, 8, 8]]:
        compare_module(g, t, x, rtol=1e-4, atol=1e-5, output_size=size)
    check_raises(lambda: g(glia.tensor(x), output_size=(10, 7)), ValueError, "ConvTranspose2d",
                 "output_size")


@pytest.mark.parametrize("kwargs", [dict(), dict(stride=2, padding=1, depth_multiplier=2),
                                    dict(padding="same", dilation=2, bias=False)])
def test_separable_conv2d_matches_depthwise_then_pointwise(kwargs):
    dm, bias = kwargs.get("depth_multiplier", 1), kwargs.get("bias", True)
    conv_kw = {k: v for k, v in kwargs.items() if k not in ("depth_multiplier", "bias")}
    t = torch.nn.Sequential(torch.nn.Conv2d(3, 3 * dm, 3, groups=3, bias=False, **conv_kw),
                            torch.nn.Conv2d(3 * dm, 5, 1, bias=bias))
    g = nn.SeparableConv2d(3, 5, 3, **kwargs)
    names = {"0.weight": "depthwise.weight", "1.weight": "pointwise.weight",
             "1.bias": "pointwise.bias"}
    g.load_state_dict({names[k]: glia.tensor(v.numpy()) for k, v in t.state_dict().items()})
    assert g.depthwise.weight.shape == (3 * dm, 1, 3, 3)
    assert g.pointwise.weight.shape == (5, 3 * dm, 1, 1)
    x = randn(2, 3, 7, 6, dtype=np.float32)
    gx, tx = glia.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    go, to = g(gx), t(tx)
    assert_close(go, to, 1e-4, 1e-5)
    go.sum().backward()
    to.sum().backward()
    assert_close(gx.grad, tx.grad, 1e-4, 1e-5)
    assert_close(g.depthwise.weight.grad, t[0].weight.grad, 1e-4, 1e-4)
    assert_close(g.pointwise.weight.grad, t[1].weight.grad, 1e-4, 1e-4)


@pytest.mark.parametrize("module,fan_in", [(lambda: nn.Conv2d(16, 8, 3), 16 * 9),
                                           (lambda: nn.Conv1d(8, 4, 5, groups=2), 4 * 5),
                                           (lambda: nn.ConvTranspose2d(8, 16, 3), 16 * 9)])
def test_conv_default_init(module, fan_in):
    glia.manual_seed(3)
    m = module()
    bound = 1 / math.sqrt(fan_in)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    # U(-bound, bound) has std bound / sqrt(3)
    assert abs(w.std() - bound / math.sqrt(3)) < 0.15 * bound


@pytest.mark.parametrize("make", [
    lambda m: m.Conv2d(3, 8, 3),
    lambda m: m.Conv2d(4, 8, (3, 2), stride=2, padding=(1, 0), dilation=2, groups=2, bias=False),
    lambda m: m.Conv2d(3, 8, 3, padding="same", padding_mode="reflect"),
    lambda m: m.Conv1d(2, 4, 3, padding="valid"),
    lambda m: m.Conv3d(2, 4, 3, padding_mode="circular", padding=1),
    lambda m: m.ConvTranspose2d(4, 2, 3, stride=2, output_padding=1, groups=2),
    lambda m: m.ConvTranspose1d(4, 2, 3, dilation=2),
])
def test_conv_repr_matches_torch(make):
    assert repr(make(nn)) == repr(make(torch.nn))


def test_conv_layer_errors():
    check_raises(lambda: nn.Conv2d(3, 8, 3, groups=2), ValueError, "Conv2d",
                 "divisible by groups")
    check_raises(lambda: nn.Conv1d(4, 6, 3, groups=4), ValueError, "Conv1d", "(6)")
    check_raises(lambda: nn.Conv2d(3, 8, 3, padding_mode="mirror"), ValueError, "Conv2d",
                 "padding_mode", "'mirror'")
    check_raises(lambda: nn.Conv2d(3, 8, 3, padding="full"), ValueError, "Conv2d", "'full'")
    check_raises(lambda: nn.Conv2d(3, 8, 3, stride=2, padding="same"), ValueError, "Conv2d",
                 "strided")
    check_raises(lambda: nn.Conv2d(3, 8, (3, 3, 3)), ValueError, "Conv2d", "kernel_size")
    check_raises(lambda: nn.Conv2d(3, 8, 0), ValueError, "Conv2d", "kernel_size")
    check_raises(lambda: nn.ConvTranspose2d(3, 8, 3, padding="same"), ValueError,
                 "ConvTranspose2d", "padding")
    check_raises(lambda: nn.SeparableConv2d(3, 8, 3, depth_multiplier=0), ValueError,
                 "SeparableConv2d")


def test_conv_functional_errors():
    x = glia.randn(2, 4, 5, 5)
    check_raises(lambda: F.conv2d(x, glia.randn(6, 4, 7, 7)), ValueError, "conv2d",
                 "larger than the padded input")
    check_raises(lambda: F.conv2d(x, glia.randn(6, 2, 3, 3), groups=3), ValueError, "conv2d")
    check_raises(lambda: F.conv2d(x, glia.randn(5, 2, 3, 3), groups=2), ValueError, "conv2d",
                 "divisible by groups")
    check_raises(lambda: F.conv2d(glia.randn(5, 5), glia.randn(6, 4, 3, 3)), ValueError,
                 "conv2d", "3-D or 4-D", "(5, 5)")
    check_raises(lambda: F.conv1d(x, glia.randn(6, 4, 3, 3)), ValueError, "conv1d", "weight",
                 "3-D")
    check_raises(lambda: F.conv2d(x, glia.randn(6, 4, 3, 3), padding="full"), ValueError,
                 "conv2d", "'full'")
    check_raises(lambda: F.conv2d(x, glia.randn(6, 4, 3, 3), padding="same", stride=2),
                 ValueError, "conv2d", "strided")
    check_raises(lambda: F.conv2d(x, glia.randn(6, 4, 3, 3), stride=0), ValueError, "conv2d",
                 "stride")
    check_raises(lambda: F.conv2d(x, glia.randn(6, 4, 3, 3), padding=(1, 2, 3)), ValueError,
                 "conv2d", "padding")
    check_raises(lambda: F.conv_transpose2d(x, glia.randn(4, 2, 3, 3), stride=2,
                                            output_padding=2), ValueError, "conv_transpose2d")
    check_raises(lambda: F.conv_transpose2d(glia.randn(4, 5), glia.randn(4, 2, 3, 3)),
                 ValueError, "conv_transpose2d", "(4, 5)")
    # the Python layer checks output_padding too; the core must not trust it
    check_raises(lambda: glia._C.conv_transpose(glia.randn(1, 2, 4), glia.randn(2, 3, 1), None,
                                                [1], [0], [-1], [1], 1),
                 ValueError, "conv_transpose1d", "output_padding")
    for fn, w in ((F.conv2d, glia.randn(6, 4, 3, 3)), (F.conv_transpose2d, glia.randn(4, 6, 3, 3))):
        check_raises(lambda: fn(x, w, glia.zeros(6, dtype=glia.float64)), TypeError,
                     fn.__name__, "bias", "float64")
        check_raises(lambda: fn(x, w, glia.zeros(5)), ValueError, fn.__name__, "bias", "(6,)")


def test_conv_layer_trains():
    """A few SGD steps on a fixed target lower the loss (parameters receive gradients)."""
    glia.manual_seed(0)
    m = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 1, 3, padding=1))
    x = glia.randn(4, 1, 6, 6)
    y = x * 0.5 + 0.25  # a target the layers can fit
    opt = glia.optim.SGD(m.parameters(), lr=0.05)
    losses = []
    for _ in range(20):
        loss = ((m(x) - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.9 * losses[0]


def test_conv_empty_batch():
    assert F.conv2d(glia.randn(0, 2, 5, 5), glia.randn(3, 2, 3, 3), padding="same").shape == \
        (0, 3, 5, 5)
    assert F.conv_transpose1d(glia.randn(0, 2, 4), glia.randn(2, 3, 3), stride=2).shape == \
        (0, 3, 9)
