"""F.embedding_bag and nn.EmbeddingBag vs PyTorch: modes sum / mean / max with offsets (empty
bags included), 2-D inputs, include_last_offset, padding_idx, per_sample_weights, max_norm,
float32 and float64; gradients with respect to weight and per_sample_weights; float64
gradchecks; scale_grad_by_freq against torch's embedding (torch 2.13's CPU embedding_bag
divides by the wrong count, pytorch#190063); the layer's state dict, repr, from_pretrained;
errors."""
import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glia
from glia import nn
from glia.nn import functional as F
from helpers import RNG, assert_close, check_raises, compare_module, gradcheck, load_from_torch, randn

TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-7, atol=1e-9)}

INPUT = np.array([1, 2, 4, 5, 4, 3, 2, 2, 0, 6, 6])
OFFSETS = np.array([0, 3, 3, 7])  # bag 1 is empty; the last bag runs to the end


def compare_bag(inp, offsets, dtype, num=7, dim=3, psw=None, t_inp=None, **kw):
    """Output and the gradients of weight (and per_sample_weights) under one cotangent;
    torch gets t_inp instead of inp when given."""
    w = randn(num, dim, dtype=dtype)
    gw, tw = glia.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    gp = tp = None
    if psw is not None:
        gp, tp = glia.tensor(psw, requires_grad=True), torch.tensor(psw, requires_grad=True)
    go_ = None if offsets is None else glia.tensor(offsets)
    to_ = None if offsets is None else torch.tensor(offsets)
    g = F.embedding_bag(glia.tensor(inp), gw, go_, per_sample_weights=gp, **kw)
    t = TF.embedding_bag(torch.tensor(inp if t_inp is None else t_inp), tw, to_,
                         per_sample_weights=tp, **kw)
    assert_close(g, t, **TOL[dtype])
    cot = RNG.standard_normal(tuple(t.shape)).astype(dtype)
    (g * glia.tensor(cot)).sum().backward()
    (t * torch.tensor(cot)).sum().backward()
    assert_close(gw.grad, tw.grad, **TOL[dtype])
    if psw is not None:
        assert_close(gp.grad, tp.grad, **TOL[dtype])
    return g


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode,padding_idx,include_last_offset",
                         list(itertools.product(["sum", "mean", "max"], [None, 2, -1],
                                                [False, True])))
def test_matches_torch(mode, padding_idx, include_last_offset, dtype):
    offsets = np.append(OFFSETS, len(INPUT)) if include_last_offset else OFFSETS
    out = compare_bag(INPUT, offsets, dtype, mode=mode, padding_idx=padding_idx,
                      include_last_offset=include_last_offset)
    assert out.shape == (4, 3) and not out.detach().numpy()[1].any()  # empty bag: zeros


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("shape", [(3, 4), (1, 1), (4, 1), (2, 6)])
def test_2d_input_is_one_bag_per_row(shape, mode):
    inp = RNG.integers(0, 5, shape)
    compare_bag(inp, None, np.float64, num=5, dim=2, mode=mode, padding_idx=3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,offsets", [((11,), OFFSETS), ((2, 5), None), ((1,), [0])])
def test_per_sample_weights(shape, offsets, dtype):
    inp = INPUT[:int(np.prod(shape))].reshape(shape)
    compare_bag(inp, None if offsets is None else np.array(offsets), dtype,
                psw=randn(*shape, dtype=dtype), mode="sum", padding_idx=4)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_trailing_indices_after_the_last_offset_are_in_no_bag(mode):
    # the same as leaving them out. (torch is inconsistent here: its float32 'sum' forward
    # ends the last bag at offsets[-1], its other kernels at the input's end, and its
    # backward reads uninitialized bag numbers for the trailing indices)
    offsets = np.array([0, 3, 3, 7, 9])
    compare_bag(INPUT, offsets, np.float64, t_inp=INPUT[:9], mode=mode,
                include_last_offset=True)
    w = randn(7, 3, dtype=np.float32)
    assert_close(F.embedding_bag(glia.tensor(INPUT), glia.tensor(w), glia.tensor(offsets),
                                 mode="sum", include_last_offset=True),
                 TF.embedding_bag(torch.tensor(INPUT), torch.tensor(w), torch.tensor(offsets),
                                  mode="sum", include_last_offset=True), **TOL[np.float32])


@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_scale_grad_by_freq_divides_by_each_index_count(mode):
    # reference: torch's embedding (correct) reduced per bag; torch 2.13's CPU embedding_bag
    # scales a once-seen index that sorts after a repeated one by the wrong count
    w = randn(7, 3)
    gw, tw = glia.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    g = F.embedding_bag(glia.tensor(INPUT), gw, glia.tensor(OFFSETS), mode=mode,
                        scale_grad_by_freq=True, padding_idx=2)
    rows = TF.embedding(torch.tensor(INPUT), tw, padding_idx=2, scale_grad_by_freq=True)
    bag = torch.tensor(np.searchsorted(OFFSETS, np.arange(len(INPUT)), side="right") - 1)
    rows = rows * (torch.tensor(INPUT) != 2).unsqueeze(1)
    t = torch.zeros(4, 3, dtype=torch.float64).index_add(0, bag, rows)
    if mode == "mean":
        sizes = torch.zeros(4, dtype=torch.float64).index_add(
            0, bag, (torch.tensor(INPUT) != 2).double())
        t = t / sizes.clamp(min=1).unsqueeze(1)
    assert_close(g, t, **TOL[np.float64])
    cot = randn(4, 3)
    (g * glia.tensor(cot)).sum().backward()
    (t * torch.tensor(cot)).sum().backward()
    assert_close(gw.grad, tw.grad, **TOL[np.float64])


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_max_norm_renormalizes_the_rows_looked_up(mode):
    w = randn(7, 3) * 2
    gw, tw = glia.tensor(w), torch.tensor(w)
    g = F.embedding_bag(glia.tensor(INPUT), gw, glia.tensor(OFFSETS), max_norm=1.5, norm_type=1,
                        mode=mode)
    t = TF.embedding_bag(torch.tensor(INPUT), tw, torch.tensor(OFFSETS), max_norm=1.5,
                         norm_type=1, mode=mode)
    assert_close(g, t, **TOL[np.float64])
    assert_close(gw, tw, **TOL[np.float64])


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_gradcheck(mode):
    gradcheck(lambda w: F.embedding_bag(glia.tensor(INPUT), w, glia.tensor(OFFSETS), mode=mode,
                                        padding_idx=6), randn(7, 3))
    gradcheck(lambda w, p: F.embedding_bag(glia.tensor(INPUT[:9].reshape(3, 3)), w, mode="sum",
                                           per_sample_weights=p), randn(7, 2), randn(3, 3))


@pytest.mark.parametrize("kwargs", [dict(), dict(mode="sum", padding_idx=-2),
                                    dict(mode="max", include_last_offset=True)])
def test_module_loads_torch_state_and_matches(kwargs):
    t = torch.nn.EmbeddingBag(7, 4, **kwargs).double()
    g = nn.EmbeddingBag(7, 4, dtype=glia.float64, **kwargs)
    load_from_torch(g, t)
    assert repr(g) == repr(t)
    offsets = np.append(OFFSETS, 11) if kwargs.get("include_last_offset") else OFFSETS
    gw = glia.tensor(INPUT)
    go = g(gw, glia.tensor(offsets))
    to = t(torch.tensor(INPUT), torch.tensor(offsets))
    assert_close(go, to, **TOL[np.float64])
    cot = randn(*to.shape)
    (go * glia.tensor(cot)).sum().backward()
    (to * torch.tensor(cot)).sum().backward()
    assert_close(g.weight.grad, t.weight.grad, **TOL[np.float64])


def test_module_2d_input_and_per_sample_weights_via_compare_module():
    t = torch.nn.EmbeddingBag(7, 3, mode="sum").double()
    g = nn.EmbeddingBag(7, 3, mode="sum", dtype=glia.float64)
    load_from_torch(g, t)
    inp = INPUT[:8].reshape(2, 4)
    compare_module(lambda p: g(glia.tensor(inp), per_sample_weights=p),
                   lambda p: t(torch.tensor(inp), per_sample_weights=p), randn(2, 4))


def test_module_init_repr_and_from_pretrained():
    g = nn.EmbeddingBag(50, 40, padding_idx=3, mode="max", max_norm=2.0, norm_type=1.0,
                        scale_grad_by_freq=False)
    w = g.weight.detach().numpy()
    assert not w[3].any() and abs(w.std() - 1) < 0.1 and w.dtype == np.float32
    assert repr(g) == repr(torch.nn.EmbeddingBag(50, 40, padding_idx=3, mode="max", max_norm=2.0,
                                                 norm_type=1.0))
    assert repr(nn.EmbeddingBag(5, 2, scale_grad_by_freq=True)) == \
        "EmbeddingBag(5, 2, scale_grad_by_freq=True, mode='mean')"
    table = randn(5, 2)
    p = nn.EmbeddingBag.from_pretrained(glia.tensor(table), mode="sum")
    assert not p.weight.requires_grad
    t = torch.nn.EmbeddingBag.from_pretrained(torch.tensor(table), mode="sum")
    inp = np.array([[0, 4], [2, 2]])
    assert_close(p(glia.tensor(inp)), t(torch.tensor(inp)), **TOL[np.float64])
    assert nn.EmbeddingBag.from_pretrained(glia.tensor(table), freeze=False).weight.requires_grad


def test_errors():
    w, inp, off = glia.randn(7, 3), glia.tensor(INPUT), glia.tensor(OFFSETS)
    check_raises(lambda: F.embedding_bag(inp, w, off, mode="min"), ValueError, "embedding_bag",
                 "'min'")
    check_raises(lambda: F.embedding_bag(inp, w), ValueError, "embedding_bag", "offsets")
    check_raises(lambda: F.embedding_bag(inp.reshape(1, 11), w, off), ValueError,
                 "embedding_bag", "2-D")
    check_raises(lambda: F.embedding_bag(inp.reshape(1, 1, 11), w), ValueError,
                 "embedding_bag", "(1, 1, 11)")
    check_raises(lambda: F.embedding_bag(inp, glia.randn(7)), ValueError, "embedding_bag",
                 "weight", "(7,)")
    check_raises(lambda: F.embedding_bag(inp.double(), w, off), TypeError, "embedding_bag",
                 "float64")
    check_raises(lambda: F.embedding_bag(inp, w, glia.tensor([1, 3])), ValueError,
                 "embedding_bag", "offsets[0]", "1")
    check_raises(lambda: F.embedding_bag(inp, w, glia.tensor([0, 5, 3])), ValueError,
                 "embedding_bag", "non-decreasing", "[0, 5, 3]")
    check_raises(lambda: F.embedding_bag(inp, w, glia.tensor([0, 12])), ValueError,
                 "embedding_bag", "offsets[-1] (12)", "(11)")
    check_raises(lambda: F.embedding_bag(inp, w, off.reshape(2, 2)), ValueError,
                 "embedding_bag", "offsets", "(2, 2)")
    check_raises(lambda: F.embedding_bag(inp, w, off, mode="max", scale_grad_by_freq=True),
                 ValueError, "embedding_bag", "scale_grad_by_freq")
    check_raises(lambda: F.embedding_bag(inp, w, off, per_sample_weights=glia.randn(11)),
                 ValueError, "embedding_bag", "per_sample_weights", "'mean'")
    check_raises(lambda: F.embedding_bag(inp, w, off, mode="sum",
                                         per_sample_weights=glia.randn(10)),
                 ValueError, "embedding_bag", "(10,)", "(11,)")
    check_raises(lambda: F.embedding_bag(inp, w, off, mode="sum",
                                         per_sample_weights=glia.randn(11).double()),
                 TypeError, "embedding_bag", "float64", "float32")
    check_raises(lambda: F.embedding_bag(inp, w, off, padding_idx=7), ValueError,
                 "embedding_bag", "padding_idx 7")
    check_raises(lambda: F.embedding_bag(inp, w, off, sparse=True), ValueError, "embedding_bag",
                 "sparse")
    check_raises(lambda: F.embedding_bag(glia.tensor([0, 7]), w, glia.tensor([0])), IndexError,
                 "embedding_bag", "7")
    check_raises(lambda: nn.EmbeddingBag(5, 2, mode="prod"), ValueError, "EmbeddingBag", "'prod'")
    check_raises(lambda: nn.EmbeddingBag(5, 2, padding_idx=5), ValueError, "EmbeddingBag",
                 "padding_idx 5")
