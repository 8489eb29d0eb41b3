"""The Lazy* convolutions and batch / instance norms vs torch's: the size inferred on the first
forward (batched and unbatched), the class they become, placeholders and reprs before and
after, the first forward's numbers, then outputs, input and parameter gradients and running
statistics with torch's weights loaded (float32 and float64), load_state_dict before the first
call, optimizers built before it, and errors."""
import contextlib
import copy
import math
import warnings

import numpy as np
import pytest
import torch

import glia
from glia import nn
from helpers import assert_close, check_raises, compare_module, load_from_torch, randn

TOL = {np.float32: dict(rtol=1e-5, atol=1e-5), np.float64: dict(rtol=1e-9, atol=1e-10)}
DTYPES = {np.float32: (glia.float32, torch.float32), np.float64: (glia.float64, torch.float64)}

CONV_CASES = [
    ("LazyConv1d", dict(out_channels=4, kernel_size=3), (2, 3, 7)),
    ("LazyConv1d", dict(out_channels=4, kernel_size=2, stride=2, padding=1, groups=2,
                        bias=False), (2, 6, 9)),
    ("LazyConv1d", dict(out_channels=3, kernel_size=3, padding="same",
                        padding_mode="reflect"), (5, 8)),  # unbatched
    ("LazyConv2d", dict(out_channels=4, kernel_size=3), (2, 3, 6, 5)),
    ("LazyConv2d", dict(out_channels=6, kernel_size=(2, 3), stride=(2, 1), padding=(1, 0),
                        dilation=(1, 2), groups=3), (2, 3, 7, 8)),
    ("LazyConv2d", dict(out_channels=2, kernel_size=3, padding=1, bias=False), (4, 5, 5)),
    ("LazyConv3d", dict(out_channels=3, kernel_size=2), (2, 2, 4, 3, 5)),
    ("LazyConv3d", dict(out_channels=4, kernel_size=(1, 2, 2), padding=1, groups=2),
     (4, 3, 4, 3)),
    ("LazyConvTranspose1d", dict(out_channels=4, kernel_size=3), (2, 3, 6)),
    ("LazyConvTranspose1d", dict(out_channels=4, kernel_size=3, stride=2, padding=1,
                                 output_padding=1, groups=2, bias=False), (4, 6)),
    ("LazyConvTranspose2d", dict(out_channels=3, kernel_size=3, stride=2), (2, 5, 4, 3)),
    ("LazyConvTranspose2d", dict(out_channels=4, kernel_size=(2, 3), stride=(1, 2),
                                 padding=(0, 1), dilation=2, groups=2), (4, 5, 4)),
    ("LazyConvTranspose3d", dict(out_channels=2, kernel_size=2, stride=2), (2, 3, 2, 3, 2)),
    ("LazyConvTranspose3d", dict(out_channels=4, kernel_size=(1, 2, 2), groups=2, bias=False),
     (4, 3, 2, 3)),
]

NORM_CASES = [
    ("LazyBatchNorm1d", dict(), (6, 3)),
    ("LazyBatchNorm1d", dict(momentum=None), (4, 5, 6)),
    ("LazyBatchNorm1d", dict(affine=False, track_running_stats=False), (5, 2, 3)),
    ("LazyBatchNorm2d", dict(), (3, 4, 5, 2)),
    ("LazyBatchNorm2d", dict(eps=1e-3, momentum=0.3, affine=False), (2, 3, 4, 4)),
    ("LazyBatchNorm3d", dict(), (2, 3, 2, 3, 4)),
    ("LazyBatchNorm3d", dict(track_running_stats=False), (3, 2, 2, 2, 3)),
    ("LazyInstanceNorm1d", dict(), (2, 3, 7)),
    ("LazyInstanceNorm1d", dict(affine=False), (3, 4, 6)),
    ("LazyInstanceNorm2d", dict(), (2, 3, 4, 5)),
    ("LazyInstanceNorm2d", dict(track_running_stats=False, momentum=0.5), (2, 5, 3, 3)),
    ("LazyInstanceNorm3d", dict(), (2, 3, 2, 3, 4)),
    ("LazyInstanceNorm3d", dict(affine=False, track_running_stats=False), (1, 2, 3, 2, 4)),
]


def make_pair(cls, kwargs, dtype):
    """The glia and torch lazy modules, in `dtype`: the convolutions take dtype=, the norms
    (no dtype argument in glia) are converted by .double() while still uninitialised."""
    gd, td = DTYPES[dtype]
    t = getattr(torch.nn, cls)(**kwargs, dtype=td)
    if "Norm" in cls:
        g = getattr(nn, cls)(**kwargs).to(gd)
    else:
        g = getattr(nn, cls)(**kwargs, dtype=gd)
    return g, t


@contextlib.contextmanager
def quiet_torch():
    """torch's LazyInstanceNorm*d(affine=False, track_running_stats=False) keeps
    num_features=0 (glia infers it), so its InstanceNorm warns on each call."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "input's size at dim=1", UserWarning)
        yield


def torch_state(g):
    return {k: torch.from_numpy(v.numpy().copy()) for k, v in g.state_dict().items()}


def size_name(cls):
    return "num_features" if "Norm" in cls else "in_channels"


def inferred(cls, shape):
    """The size a lazy module infers: dim 1, or dim 0 of an unbatched input."""
    n = int(cls[-2])
    unbatched = len(shape) == n + 1 and ("Conv" in cls or "Instance" in cls)
    return shape[0 if unbatched else 1]


def check_lazy_against_torch(cls, kwargs, shape, dtype, check_eval=False):
    g, t = make_pair(cls, kwargs, dtype)
    target_g, target_t = getattr(nn, cls[4:]), getattr(torch.nn, cls[4:])
    assert repr(g) == repr(t) and g.has_uninitialized_params()
    assert list(g.state_dict()) == list(t.state_dict())
    uninitialized = torch.nn.parameter.UninitializedTensorMixin
    lazy = [k for k, v in t.state_dict().items() if isinstance(v, uninitialized)]
    assert [k for k, v in g.state_dict().items() if v.shape == (0,)] == lazy

    # first forward: the size is inferred and the module becomes the ordinary layer
    x1 = randn(*shape, dtype=dtype)
    y1 = g(glia.tensor(x1))
    with quiet_torch():
        ty1 = t(torch.from_numpy(x1))
    assert type(g) is target_g and type(t) is target_t
    size = inferred(cls, shape)
    assert getattr(g, size_name(cls)) == size
    # the lazy norms (instance norms too) default to affine=True, track_running_stats=True
    defaults = dict(affine=True, track_running_stats=True) if "Norm" in cls else {}
    assert repr(g) == repr(target_t(size, **{**defaults, **kwargs}))
    gs, ts = g.state_dict(), t.state_dict()
    assert list(gs) == list(ts)
    for k in gs:
        assert gs[k].shape == tuple(ts[k].shape), k
        assert gs[k].dtype == glia.tensor(ts[k].numpy()).dtype, k
    assert y1.shape == tuple(ty1.shape)
    if "Norm" in cls:
        # deterministic initialisation: the first output and updated statistics match
        assert_close(y1, ty1, **TOL[dtype])
        for k in gs:
            assert_close(gs[k], ts[k], **TOL[dtype])
    else:
        # random initialisation within PyTorch's bounds, and the first output computed
        # with the materialised weights
        fan_in = g.weight.shape[1] * math.prod(g.kernel_size)
        for p in g.parameters():
            assert np.abs(p.detach().numpy()).max() <= 1 / math.sqrt(fan_in)
        ref = copy.deepcopy(t)
        ref.load_state_dict(torch_state(g))
        assert_close(y1, ref(torch.from_numpy(x1)), **TOL[dtype])

    # with torch's weights (moved off the norms' ones and zeros) and statistics, outputs and
    # all gradients match
    with torch.no_grad():
        for p in t.parameters():
            p.add_(torch.rand_like(p) - 0.5)
    load_from_torch(g, t)
    with quiet_torch():
        compare_module(g, t, randn(*shape, dtype=dtype), **TOL[dtype])
    for k, v in g.state_dict().items():  # running statistics moved the same way
        assert_close(v, t.state_dict()[k], **TOL[dtype])
    if check_eval:
        g.eval()
        t.eval()
        with quiet_torch():
            compare_module(g, t, randn(*shape, dtype=dtype), **TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cls,kwargs,shape", CONV_CASES)
def test_lazy_conv_matches_torch(cls, kwargs, shape, dtype):
    check_lazy_against_torch(cls, kwargs, shape, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cls,kwargs,shape", NORM_CASES)
def test_lazy_norm_matches_torch(cls, kwargs, shape, dtype):
    check_lazy_against_torch(cls, kwargs, shape, dtype, check_eval=True)


SHAPE_CASES = [
    ("LazyConv1d", dict(out_channels=6, kernel_size=3)),
    ("LazyConv2d", dict(out_channels=4, kernel_size=(2, 3), groups=2)),
    ("LazyConv3d", dict(out_channels=2, kernel_size=1, bias=False)),
    ("LazyConvTranspose1d", dict(out_channels=6, kernel_size=3, groups=2)),
    ("LazyConvTranspose2d", dict(out_channels=3, kernel_size=2)),
    ("LazyConvTranspose3d", dict(out_channels=2, kernel_size=(1, 2, 1))),
    ("LazyBatchNorm1d", dict()), ("LazyBatchNorm2d", dict()), ("LazyBatchNorm3d", dict()),
    ("LazyInstanceNorm1d", dict()), ("LazyInstanceNorm2d", dict()),
    ("LazyInstanceNorm3d", dict()),
]


@pytest.mark.parametrize("cls,kwargs,channels,batched", [
    (cls, kwargs, c, batched) for cls, kwargs in SHAPE_CASES for c in (1, 2, 3, 4, 6)
    for batched in (True, False)
    if c % kwargs.get("groups", 1) == 0 and (batched or "BatchNorm" not in cls)])
def test_lazy_shapes_inferred_for_several_channel_counts(cls, kwargs, channels, batched):
    n = int(cls[-2])
    shape = ((3,) if batched else ()) + (channels,) + (3,) * n
    g, t = getattr(nn, cls)(**kwargs), getattr(torch.nn, cls)(**kwargs)
    g(glia.randn(*shape))
    if "InstanceNorm" in cls and not batched:
        # torch's lazy instance norms read dim 1 even of an unbatched input; glia reads dim 0
        t = getattr(torch.nn, cls[4:])(channels, affine=True, track_running_stats=True)
    else:
        t(torch.randn(*shape))
    assert getattr(g, size_name(cls)) == channels
    assert [(k, v.shape) for k, v in g.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in t.state_dict().items()]


def test_lazy_instance_norm_unbatched_input_matches_instance_norm():
    # torch's LazyInstanceNorm1d takes num_features from dim 1 even of a (C, L) input (and
    # then fails); glia takes dim 0, as InstanceNorm1d reads an unbatched input
    x = randn(3, 7)
    g = nn.LazyInstanceNorm1d()
    t = torch.nn.InstanceNorm1d(3, affine=True, track_running_stats=True).double()
    g.double()(glia.tensor(x))
    assert type(g) is nn.InstanceNorm1d and g.num_features == 3
    with torch.no_grad():
        t.weight.uniform_(0.5, 1.5)
        t.bias.uniform_(-1, 1)
    load_from_torch(g, t)
    compare_module(g, t, randn(3, 7), **TOL[np.float64])
    for k, v in g.state_dict().items():
        assert_close(v, t.state_dict()[k], **TOL[np.float64])


@pytest.mark.parametrize("cls,torch_module,shape", [
    ("LazyConv2d", lambda: torch.nn.Conv2d(6, 4, 3, groups=2), (2, 6, 5, 5)),
    ("LazyConvTranspose1d", lambda: torch.nn.ConvTranspose1d(6, 4, 3, groups=2), (2, 6, 5)),
    ("LazyConv3d", lambda: torch.nn.Conv3d(2, 3, 2, bias=False), (2, 2, 3, 3, 3)),
    ("LazyBatchNorm2d", lambda: torch.nn.BatchNorm2d(5), (4, 5, 3, 2)),
    ("LazyInstanceNorm1d", lambda: torch.nn.InstanceNorm1d(5, affine=True,
                                                           track_running_stats=True), (2, 5, 6)),
])
def test_lazy_load_state_dict_before_the_first_call(cls, torch_module, shape):
    t = torch_module().double()
    kwargs = {}
    if "Conv" in cls:
        kwargs = dict(out_channels=t.out_channels, kernel_size=t.kernel_size, groups=t.groups,
                      bias=t.bias is not None, dtype=glia.float64)
    with torch.no_grad():  # non-default weights and statistics
        for v in t.state_dict().values():
            if v.dtype.is_floating_point:
                v.copy_(torch.rand_like(v) + 0.5)
        if "Norm" in cls:
            t.num_batches_tracked.fill_(7)
    g = getattr(nn, cls)(**kwargs)
    if "Norm" in cls:
        g.double()
    load_from_torch(g, t)
    # as torch, the module stays lazy until its first call; glia also sets the size now
    # (torch leaves in_channels / num_features at 0)
    assert type(g) is getattr(nn, cls) and not g.has_uninitialized_params()
    assert getattr(g, size_name(cls)) == shape[1]
    for k, v in g.state_dict().items():
        assert_close(v, t.state_dict()[k], 0, 0)
    g.eval()
    t.eval()
    compare_module(g, t, randn(*shape), **TOL[np.float64])
    assert type(g) is getattr(nn, cls[4:])
    assert repr(g) == repr(t)


def test_lazy_load_state_dict_errors():
    check_raises(lambda: nn.LazyConv2d(4, 3).load_state_dict(
        {"weight": glia.randn(5, 6, 3, 3), "bias": glia.randn(4)}),
        ValueError, "LazyConv2d", "(5, 6, 3, 3)", "(4, 6, 3, 3)")
    check_raises(lambda: nn.LazyConv2d(4, 3).load_state_dict(
        {"weight": glia.randn(4, 6, 3), "bias": glia.randn(4)}),
        ValueError, "LazyConv2d", "(4, 6, 3)", "4-D")
    check_raises(lambda: nn.LazyConvTranspose1d(4, 3, groups=2).load_state_dict(
        {"weight": glia.randn(3, 2, 3), "bias": glia.randn(4)}),
        ValueError, "LazyConvTranspose1d", "(3, 2, 3)", "groups (2)")
    check_raises(lambda: nn.LazyBatchNorm1d().load_state_dict(
        {"weight": glia.randn(3), "bias": glia.randn(4), "running_mean": glia.randn(3),
         "running_var": glia.randn(3), "num_batches_tracked": glia.tensor(0)}),
        ValueError, "bias", "(4,)", "(3,)")
    m = nn.LazyBatchNorm1d()
    check_raises(lambda: m.load_state_dict({"weight": glia.randn(3)}), KeyError, "missing")


@pytest.mark.parametrize("cls,args,shape", [
    ("LazyConv2d", (4, 3), (2, 3, 5, 5)),
    ("LazyConvTranspose2d", (4, 3), (2, 3, 5, 5)),
    ("LazyBatchNorm2d", (), (2, 3, 5, 5)),
    ("LazyInstanceNorm2d", (), (2, 3, 5, 5)),
])
def test_lazy_params_filled_in_place_for_an_optimizer_built_before(cls, args, shape):
    m = getattr(nn, cls)(*args)
    params = list(m.parameters())
    assert [p.shape for p in params] == [(0,), (0,)]
    m.reset_parameters()  # a no-op until the shapes are known
    opt = glia.optim.SGD(m.parameters(), lr=0.5)
    y = m(glia.randn(*shape))
    assert all(a is b for a, b in zip(m.parameters(), params))
    assert params[0].shape != (0,)
    before = [p.detach().numpy().copy() for p in params]
    (y * glia.randn(*y.shape)).sum().backward()
    opt.step()
    for p, b in zip(params, before):
        np.testing.assert_allclose(p.detach().numpy(), b - 0.5 * p.grad.numpy(), rtol=1e-6)


def test_lazy_norm_running_stats_are_reset_on_initialisation():
    m = nn.LazyBatchNorm1d(momentum=0.5).double()
    x = randn(8, 3)
    m(glia.tensor(x))
    np.testing.assert_allclose(m.running_mean.numpy(), 0.5 * x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(m.running_var.numpy(), 0.5 + 0.5 * x.var(0, ddof=1), rtol=1e-12)
    assert m.num_batches_tracked.item() == 1 and m.running_mean.dtype == glia.float64
    np.testing.assert_array_equal(m.weight.detach().numpy(), np.ones(3))
    np.testing.assert_array_equal(m.bias.detach().numpy(), np.zeros(3))


def test_lazy_errors():
    x = glia.randn(2, 3)
    check_raises(lambda: nn.LazyConv2d(4, 3)(x), ValueError, "LazyConv2d", "(2, 3)", "3-D",
                 "4-D")
    check_raises(lambda: nn.LazyConv1d(4, 3)(glia.randn(3)), ValueError, "LazyConv1d", "(3,)")
    check_raises(lambda: nn.LazyConv3d(4, 3)(glia.randn(1, 2, 3, 4, 5, 6)), ValueError,
                 "LazyConv3d", "(1, 2, 3, 4, 5, 6)")
    check_raises(lambda: nn.LazyConvTranspose2d(4, 3)(x), ValueError, "LazyConvTranspose2d",
                 "(2, 3)")
    check_raises(lambda: nn.LazyConvTranspose3d(4, 3)(glia.randn(2, 3, 4)), ValueError,
                 "LazyConvTranspose3d", "(2, 3, 4)")
    check_raises(lambda: nn.LazyBatchNorm2d()(x), ValueError, "LazyBatchNorm2d", "(2, 3)")
    check_raises(lambda: nn.LazyBatchNorm1d()(glia.randn(4)), ValueError, "LazyBatchNorm1d",
                 "(4,)")
    check_raises(lambda: nn.LazyInstanceNorm3d()(x), ValueError, "LazyInstanceNorm3d",
                 "(2, 3)")
    check_raises(lambda: nn.LazyConv2d(4, 3, groups=2)(glia.randn(1, 3, 5, 5)), ValueError,
                 "LazyConv2d", "in_channels (3)", "groups (2)", "(1, 3, 5, 5)")
    check_raises(lambda: nn.LazyConv1d(4, 3)(glia.randn(2, 0, 5)), ValueError, "LazyConv1d",
                 "in_channels", "(2, 0, 5)")
    check_raises(lambda: nn.LazyBatchNorm1d()(glia.randn(2, 0)), ValueError,
                 "LazyBatchNorm1d", "num_features", "(2, 0)")
    # constructor arguments are checked when built
    check_raises(lambda: nn.LazyConv2d(0, 3), ValueError, "LazyConv2d", "out_channels")
    check_raises(lambda: nn.LazyConv2d(4, 3, groups=3), ValueError, "LazyConv2d", "groups (3)")
    check_raises(lambda: nn.LazyConv2d(4, 0), ValueError, "LazyConv2d", "kernel_size")
    check_raises(lambda: nn.LazyConv2d(4, 3, padding_mode="wrap"), ValueError, "LazyConv2d",
                 "'wrap'")
    check_raises(lambda: nn.LazyConvTranspose2d(4, 3, padding="same"), ValueError,
                 "LazyConvTranspose2d", "'same'")
    # a failed first call leaves the module lazy and usable
    m = nn.LazyConv2d(4, 3)
    check_raises(lambda: m(x), ValueError, "LazyConv2d")
    assert type(m) is nn.LazyConv2d and m.has_uninitialized_params()
    assert m(glia.randn(1, 2, 4, 4)).shape == (1, 4, 2, 2) and type(m) is nn.Conv2d


def test_lazy_classes_exported():
    names = ["LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d",
             "LazyConvTranspose2d", "LazyConvTranspose3d", "LazyBatchNorm1d", "LazyBatchNorm2d",
             "LazyBatchNorm3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d",
             "LazyLinear"]
    for name in names:
        cls = getattr(nn, name)
        assert issubclass(cls, nn.lazy.LazyModuleMixin) and cls.cls_to_become.__name__ == name[4:]
        assert issubclass(cls, getattr(nn, name[4:]))
