"""Normalization layers against torch with the same weights and buffers: outputs, input and
parameter gradients, running statistics over several training steps (plain, batch-1 and
non-contiguous inputs), eval mode, state-dict names; float64 gradient checks of the
functionals; input checks."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glia
import glia.nn.functional as F
from glia import nn
from helpers import assert_close, check_raises, gradcheck, noncontiguous, randn, to_glia, to_torch


def _copy_from_torch(gm, tm, seed=0):
    """Random affine parameters in torch, then torch's whole state dict into glia."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in tm.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=p.dtype) * 0.5 + 1.0)
    gm.load_state_dict({k: v.numpy().copy() for k, v in tm.state_dict().items()})
    assert list(gm.state_dict()) == list(tm.state_dict())


def _compare(gm, tm, shapes, dtype=np.float64, rtol=1e-10, atol=1e-12):
    """Forward/backward both on each shape in turn (every other input non-contiguous) and
    compare outputs, input gradients, accumulated parameter gradients and buffers."""
    for i, shape in enumerate(shapes):
        x = (randn(*shape) * 2 + 0.5).astype(dtype)
        x = noncontiguous(x) if i % 2 else x
        gx, tx = glia.from_numpy(x).requires_grad_(True), to_torch(x, True)
        go, to = gm(gx), tm(tx)
        assert_close(go, to, rtol, atol)
        cot = randn(*shape).astype(dtype)
        (go * to_glia(cot)).sum().backward()
        (to * to_torch(cot)).sum().backward()
        assert_close(gx.grad, tx.grad, rtol, atol)
        for (gn, gp), (tn, tp) in zip(gm.named_parameters(), tm.named_parameters(), strict=True):
            assert gn == tn
            assert_close(gp.grad, tp.grad, rtol, atol)
        for (gn, gb), (tn, tb) in zip(gm.named_buffers(), tm.named_buffers(), strict=True):
            assert gn == tn
            assert_close(gb, tb, rtol, atol)


def _train_then_eval(gm, tm, shapes, **kw):
    _copy_from_torch(gm, tm)
    _compare(gm, tm, shapes, **kw)
    gm.eval()
    tm.eval()
    _compare(gm, tm, shapes[:2], **kw)
    assert repr(gm) == repr(tm)


BN_CASES = [
    ("BatchNorm1d", (3,), {}, [(4, 3), (4, 3), (7, 3)]),
    ("BatchNorm1d", (3,), {"momentum": 0.3}, [(2, 3, 5), (1, 3, 6), (4, 3, 2)]),
    ("BatchNorm1d", (3,), {"momentum": None}, [(5, 3), (2, 3), (6, 3), (3, 3)]),
    ("BatchNorm2d", (3,), {}, [(2, 3, 4, 5), (1, 3, 3, 3), (3, 3, 2, 4)]),
    ("BatchNorm2d", (3,), {"affine": False, "eps": 1e-3}, [(2, 3, 4, 5), (1, 3, 3, 3)]),
    ("BatchNorm2d", (3,), {"track_running_stats": False}, [(2, 3, 4, 5), (2, 3, 2, 2)]),
    ("BatchNorm2d", (3,), {"bias": False}, [(2, 3, 2, 2), (3, 3, 1, 2)]),
    ("BatchNorm2d", (3,), {"momentum": None, "affine": False}, [(2, 3, 2, 3)] * 3),
    ("BatchNorm3d", (2,), {}, [(2, 2, 3, 2, 2), (1, 2, 2, 3, 2), (3, 2, 1, 2, 2)]),
]


@pytest.mark.parametrize("name,args,kw,shapes", BN_CASES,
                         ids=[f"{c[0]}-{c[2]}" for c in BN_CASES])
def test_batchnorm_matches_torch(name, args, kw, shapes):
    gm, tm = getattr(nn, name)(*args, **kw).double(), getattr(torch.nn, name)(*args, **kw).double()
    _train_then_eval(gm, tm, shapes)
    if gm.track_running_stats:
        assert gm.num_batches_tracked.item() == len(shapes)


def test_batchnorm_float32_matches_torch():
    gm, tm = nn.BatchNorm2d(4), torch.nn.BatchNorm2d(4)
    assert gm.weight.dtype == glia.float32 and gm.num_batches_tracked.dtype == glia.int64
    _train_then_eval(gm, tm, [(3, 4, 5, 5), (2, 4, 3, 6), (1, 4, 4, 4)],
                     dtype=np.float32, rtol=1e-4, atol=1e-5)


def test_batchnorm_cumulative_average():
    m = nn.BatchNorm1d(2, momentum=None).double()
    xs = [randn(6, 2) for _ in range(3)]
    for x in xs:
        m(to_glia(x))
    np.testing.assert_allclose(m.running_mean.numpy(), np.mean([x.mean(0) for x in xs], 0),
                               rtol=1e-10)
    np.testing.assert_allclose(m.running_var.numpy(),
                               np.mean([x.var(0, ddof=1) for x in xs], 0), rtol=1e-10)


@pytest.mark.parametrize("name,shape", [("BatchNorm1d", (2, 3, 4, 5)), ("BatchNorm1d", (3,)),
                                        ("BatchNorm2d", (2, 3, 4)), ("BatchNorm3d", (2, 3, 4, 5)),
                                        ("InstanceNorm1d", (2, 3, 4, 5)),
                                        ("InstanceNorm2d", (3, 4))])
def test_norm_rank_check_names_layer_and_shape(name, shape):
    m = getattr(nn, name)(3)
    check_raises(lambda: m(glia.randn(*shape)), ValueError, name, str(shape))


def test_batchnorm_other_errors():
    check_raises(lambda: nn.BatchNorm2d(3)(glia.randn(2, 4, 3, 3)), ValueError, "BatchNorm2d",
                 "3 channels", "(2, 4, 3, 3)")
    # as torch: one value per channel has no batch variance
    check_raises(lambda: nn.BatchNorm1d(3)(glia.randn(1, 3)), ValueError,
                 "more than 1 value per channel")
    with pytest.raises(ValueError):
        torch.nn.BatchNorm1d(3)(torch.randn(1, 3))
    assert nn.BatchNorm1d(3).eval()(glia.randn(1, 3)).shape == (1, 3)


LN_CASES = [
    ((4,), {}, [(2, 3, 4), (1, 4), (5, 4), (4,)]),
    (((3, 4),), {}, [(2, 3, 4), (1, 3, 4), (2, 2, 3, 4)]),
    ((5,), {"elementwise_affine": False, "eps": 1e-3}, [(3, 5), (1, 2, 5)]),
    ([6], {"bias": False}, [(2, 6), (4, 6)]),
]


@pytest.mark.parametrize("args,kw,shapes", LN_CASES, ids=[str(c[:2]) for c in LN_CASES])
def test_layernorm_matches_torch(args, kw, shapes):
    gm, tm = nn.LayerNorm(*args, **kw).double(), torch.nn.LayerNorm(*args, **kw).double()
    _train_then_eval(gm, tm, shapes)


GN_CASES = [
    ((3, 6), {}, [(2, 6, 4, 4), (1, 6, 5), (3, 6, 2, 2, 2)]),
    ((1, 4), {}, [(3, 4), (2, 4, 3)]),
    ((4, 4), {"eps": 1e-2}, [(2, 4, 3), (1, 4, 2, 3)]),
    ((2, 4), {"affine": False}, [(2, 4, 3, 3), (1, 4, 5)]),
    ((2, 4), {"bias": False}, [(2, 4, 3, 3), (1, 4, 5)]),
]


@pytest.mark.parametrize("args,kw,shapes", GN_CASES, ids=[str(c[:2]) for c in GN_CASES])
def test_groupnorm_matches_torch(args, kw, shapes):
    gm, tm = nn.GroupNorm(*args, **kw).double(), torch.nn.GroupNorm(*args, **kw).double()
    _train_then_eval(gm, tm, shapes)


IN_CASES = [
    ("InstanceNorm1d", {}, [(2, 3, 5), (3, 4), (1, 3, 6)]),
    ("InstanceNorm1d", {"affine": True, "track_running_stats": True},
     [(2, 3, 5), (3, 4), (1, 3, 6), (4, 3, 3)]),
    ("InstanceNorm1d", {"track_running_stats": True, "momentum": None}, [(2, 3, 5), (3, 3, 4)]),
    ("InstanceNorm2d", {"affine": True}, [(2, 3, 4, 4), (3, 2, 3), (1, 3, 2, 5)]),
    ("InstanceNorm2d", {"affine": True, "bias": False}, [(2, 3, 2, 2), (3, 2, 3)]),
    ("InstanceNorm2d", {"affine": True, "track_running_stats": True, "momentum": 0.4},
     [(2, 3, 4, 4), (3, 2, 3), (1, 3, 2, 5)]),
]


@pytest.mark.parametrize("name,kw,shapes", IN_CASES, ids=[f"{c[0]}-{c[1]}" for c in IN_CASES])
def test_instancenorm_matches_torch(name, kw, shapes):
    gm, tm = getattr(nn, name)(3, **kw).double(), getattr(torch.nn, name)(3, **kw).double()
    _train_then_eval(gm, tm, shapes)


@pytest.mark.parametrize("shapes", [[(1, 1, 5), (1, 1, 4)], [(3, 1, 5), (2, 1, 6)]])
def test_instancenorm_one_channel_with_running_stats(shapes):
    # one channel made the per-instance running stats a stride-0 view batch_norm cannot update
    gm = nn.InstanceNorm1d(1, affine=True, track_running_stats=True).double()
    tm = torch.nn.InstanceNorm1d(1, affine=True, track_running_stats=True).double()
    _train_then_eval(gm, tm, shapes)


def test_instancenorm_channel_mismatch():
    x = glia.randn(2, 4, 5)
    check_raises(lambda: nn.InstanceNorm1d(3, affine=True)(x), ValueError, "InstanceNorm1d",
                 "(2, 4, 5)")
    with pytest.warns(UserWarning, match="InstanceNorm1d"):
        out = nn.InstanceNorm1d(3)(x)
    assert_close(out, TF.instance_norm(to_torch(x.numpy())), rtol=1e-5, atol=1e-5)
    check_raises(lambda: F.instance_norm(glia.randn(2, 3, 1)), ValueError, "instance_norm",
                 "spatial element")


LRN_CASES = [
    ((3,), {"alpha": 0.5, "beta": 0.75, "k": 2.0}, [(2, 4, 3), (1, 6, 2, 3)]),
    ((5,), {}, [(2, 3, 4, 4), (1, 7, 3)]),
    ((2,), {"alpha": 1.0, "beta": 0.5}, [(2, 5, 2, 2, 2), (2, 5, 3, 2)]),
    ((1,), {"alpha": 0.3, "beta": 1.0, "k": 0.5}, [(3, 2, 4)]),
    ((6,), {"alpha": 2.0}, [(2, 3, 2, 2)]),  # window wider than the channels
]


@pytest.mark.parametrize("args,kw,shapes", LRN_CASES, ids=[str(c[:2]) for c in LRN_CASES])
def test_local_response_norm_matches_torch(args, kw, shapes):
    gm = nn.LocalResponseNorm(*args, **kw)
    tm = torch.nn.LocalResponseNorm(*args, **kw)
    _train_then_eval(gm, tm, shapes)


def test_local_response_norm_errors_and_empty():
    check_raises(lambda: F.local_response_norm(glia.randn(3, 4), 2), ValueError,
                 "local_response_norm", "(3, 4)")
    assert F.local_response_norm(glia.zeros(0, 3, 2), 3).shape == (0, 3, 2)


def test_groupnorm_errors():
    check_raises(lambda: nn.GroupNorm(4, 6), ValueError, "GroupNorm", "6", "4")
    check_raises(lambda: nn.GroupNorm(2, 4)(glia.randn(2, 6, 3)), ValueError, "GroupNorm",
                 "(2, 6, 3)")
    check_raises(lambda: F.group_norm(glia.randn(2, 6, 3), 4), ValueError, "group_norm", "4 groups")


@pytest.mark.parametrize("shape", [(1,), (4, 1), (2,), ()])
@pytest.mark.parametrize("which", ["weight", "bias"])
def test_group_and_instance_norm_reject_parameters_not_per_channel(shape, which):
    # torch raises too; a (1,) weight used to broadcast over the 4 channels
    x, t = glia.randn(2, 4, 3), glia.ones(*shape)
    check_raises(lambda: F.group_norm(x, 2, **{which: t}), ValueError, "group_norm", which,
                 "(4,)", str(tuple(shape)))
    check_raises(lambda: F.instance_norm(x, **{which: t}), ValueError, "instance_norm", which,
                 "(4,)")
    stat = "running_mean" if which == "weight" else "running_var"
    check_raises(lambda: F.instance_norm(x, **{stat: t}), ValueError, "instance_norm", stat)


def _w(c):
    return randn(c) * 0.5 + 1.0


def test_gradcheck_functionals():
    x = randn(2, 4, 3)
    gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b, 1e-3), x, _w(4), randn(4))
    gradcheck(lambda x: F.group_norm(x, 4), noncontiguous(x))
    gradcheck(lambda x, w, b: F.instance_norm(x, weight=w, bias=b), x, _w(4), randn(4))
    rm, rv = to_glia(randn(4)), to_glia(np.abs(randn(4)) + 0.5)
    gradcheck(lambda x, w, b: F.instance_norm(x, rm, rv, w, b, use_input_stats=False), x, _w(4),
              randn(4))
    gradcheck(lambda x: F.local_response_norm(x, 3, alpha=0.5, beta=0.75, k=1.5), x)
    gradcheck(lambda x: F.local_response_norm(x, 2, alpha=1.0, beta=0.6), randn(1, 3, 2, 2))
    gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), x, _w(4),
              randn(4))
    gradcheck(lambda x, w, b: F.layer_norm(x, (4, 3), w, b), x, randn(4, 3), randn(4, 3))


def test_instance_norm_functional_running_stats():
    x = randn(3, 2, 5)
    rm, rv = to_glia(np.zeros(2)), to_glia(np.ones(2))
    trm, trv = torch.zeros(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64)
    out = F.instance_norm(to_glia(x), rm, rv, momentum=0.2)
    ref = TF.instance_norm(to_torch(x), trm, trv, momentum=0.2)
    assert_close(out, ref, rtol=1e-10, atol=1e-12)
    assert_close(rm, trm, rtol=1e-10, atol=1e-12)
    assert_close(rv, trv, rtol=1e-10, atol=1e-12)
    # per-(sample, channel) statistics: each row is standardized
    np.testing.assert_allclose(out.numpy().mean(-1), 0.0, atol=1e-12)
