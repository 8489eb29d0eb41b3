"""nn.Embedding, F.embedding and F.one_hot vs PyTorch: lookups, weight gradients with repeated
indices, padding_idx, max_norm renormalisation, initialisation, gradcheck and errors."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glia
from glia import nn
from glia.nn import functional as F
from helpers import assert_close, check_raises, gradcheck, randn, to_glia, to_torch

RNG = np.random.default_rng(7)


def twins(num, dim, **kw):
    """A torch and a glia Embedding (float64) holding the same weights."""
    t = torch.nn.Embedding(num, dim, **kw).double()
    g = nn.Embedding(num, dim, dtype=glia.float64, **kw)
    with glia.no_grad():
        g.weight.copy_(glia.tensor(t.weight.detach().numpy()))
    return g, t


def compare(g, t, idx):
    """Outputs and weight gradients (random cotangent) for int64 indices `idx`."""
    go, to = g(glia.tensor(idx)), t(torch.from_numpy(idx))
    assert_close(go, to)
    cot = randn(*to.shape)
    (go * glia.tensor(cot)).sum().backward()
    (to * torch.from_numpy(cot)).sum().backward()
    assert_close(g.weight.grad, t.weight.grad)
    assert_close(g.weight, t.weight)


@pytest.mark.parametrize("shape", [(), (6,), (3, 4), (2, 0), (2, 3, 2)])
def test_embedding_matches_torch(shape):
    g, t = twins(5, 3)
    compare(g, t, RNG.integers(0, 5, size=shape))


def test_repeated_indices_accumulate_gradient():
    g, t = twins(4, 2)
    idx = np.array([[1, 1, 3], [1, 0, 1]])
    compare(g, t, idx)
    # row 1 was looked up four times, row 2 never
    assert np.all(g.weight.grad.numpy()[2] == 0)


@pytest.mark.parametrize("padding_idx", [0, 2, -1])
def test_padding_idx(padding_idx):
    g, t = twins(5, 3, padding_idx=padding_idx)
    assert g.padding_idx == t.padding_idx
    idx = np.array([[0, 2, 4, 1], [4, 4, 2, 0]])
    compare(g, t, idx)
    assert np.all(g.weight.grad.numpy()[g.padding_idx] == 0)
    # a fresh layer starts with a zero padding row and N(0, 1) elsewhere
    fresh = nn.Embedding(5, 3, padding_idx=padding_idx).weight.detach().numpy()
    assert np.all(fresh[g.padding_idx] == 0) and np.abs(fresh).sum() > 0


def test_padding_row_changed_by_user_is_returned_but_gets_no_gradient():
    g, t = twins(4, 2, padding_idx=1)
    with glia.no_grad():
        g.weight[1] = glia.tensor([3.0, -2.0], dtype=glia.float64)
    with torch.no_grad():
        t.weight[1] = torch.tensor([3.0, -2.0], dtype=torch.float64)
    compare(g, t, np.array([1, 2, 1]))


@pytest.mark.parametrize("max_norm,norm_type", [(1.0, 2.0), (0.5, 1.0), (2.0, 3.0)])
def test_max_norm_renormalizes_rows_in_place(max_norm, norm_type):
    g, t = twins(6, 4, max_norm=max_norm, norm_type=norm_type)
    before = g.weight.detach().numpy().copy()
    idx = np.array([[0, 2, 2], [5, 0, 3]])
    compare(g, t, idx)
    after = g.weight.detach().numpy()
    norms = np.linalg.norm(after, ord=norm_type, axis=1)
    assert np.all(norms[[0, 2, 3, 5]] <= max_norm + 1e-6)
    # rows not looked up are untouched
    np.testing.assert_array_equal(after[[1, 4]], before[[1, 4]])
    assert g.weight.is_leaf and g.weight.grad_fn is None


def test_functional_embedding_matches_torch():
    w = randn(7, 3)
    idx = RNG.integers(0, 7, size=(4, 5))
    gw, tw = glia.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    go = F.embedding(glia.tensor(idx), gw, padding_idx=3)
    to = TF.embedding(torch.from_numpy(idx), tw, padding_idx=3)
    assert_close(go, to)
    go.sum().backward()
    to.sum().backward()
    assert_close(gw.grad, tw.grad)


def test_embedding_gradcheck():
    idx = glia.tensor([[0, 3, 3], [2, 1, 0]])
    gradcheck(lambda w: F.embedding(idx, w), randn(4, 3))
    # padding_idx cuts the padding row's gradient on purpose, so finite differences would
    # disagree there; with no padding index looked up the gradient is the true one
    gradcheck(lambda w: F.embedding(idx, w, padding_idx=3)[1], randn(4, 3))


def test_default_init_is_standard_normal():
    w = nn.Embedding(400, 100).weight.detach().numpy()
    assert w.shape == (400, 100) and w.dtype == np.float32
    assert abs(w.mean()) < 0.01 and abs(w.std() - 1.0) < 0.01


def test_from_pretrained_and_repr():
    w = glia.tensor(randn(3, 2))
    e = nn.Embedding.from_pretrained(w)
    np.testing.assert_array_equal(e.weight.detach().numpy(), w.numpy())
    assert not e.weight.requires_grad
    assert nn.Embedding.from_pretrained(w, freeze=False).weight.requires_grad
    for kw in [{}, {"padding_idx": 2}, {"max_norm": 1.5, "norm_type": 1.0}]:
        assert repr(nn.Embedding(10, 3, **kw)) == repr(torch.nn.Embedding(10, 3, **kw))


def test_embedding_errors():
    e = nn.Embedding(4, 2)
    check_raises(lambda: e(glia.tensor([1, 4])), IndexError, "embedding", "4")
    check_raises(lambda: e(glia.tensor([-1])), IndexError, "embedding", "-1")
    check_raises(lambda: e(glia.tensor([[0, -3]])), IndexError, "embedding", "-3")
    check_raises(lambda: e(glia.tensor([1.0])), TypeError, "embedding", "int64")
    check_raises(lambda: nn.Embedding(4, 2, padding_idx=4), ValueError, "Embedding", "4")
    check_raises(lambda: F.embedding(glia.tensor([0]), glia.randn(4)), ValueError, "2-D")
    check_raises(lambda: e(glia.tensor([[0, 1], [7, 2]])), IndexError, "embedding", "7")
    m = nn.Embedding(4, 2, max_norm=1.0)
    check_raises(lambda: m(glia.tensor([1, 4])), IndexError, "embedding", "4")
    check_raises(lambda: m(glia.tensor([-2])), IndexError, "embedding", "-2")


def test_embedding_reads_indices_into_numpy_only_for_max_norm(monkeypatch):
    # index_select checks the range; the numpy scan is only for max_norm's renorm
    import sys
    emb = sys.modules["glia.nn.functional.embedding"]  # the module, not F.embedding
    scanned = []
    real = emb._check_indices
    monkeypatch.setattr(emb, "_check_indices",
                        lambda *a: scanned.append(1) or real(*a))
    w, idx = randn(5, 3), np.array([[0, 4], [2, 2]])
    F.embedding(to_glia(idx), to_glia(w))
    assert not scanned
    gw, tw = to_glia(w), to_torch(w)
    assert_close(F.embedding(to_glia(idx), gw, max_norm=1.0),
                 TF.embedding(to_torch(idx), tw, max_norm=1.0))
    assert scanned
    assert_close(gw, tw)


# ---- one_hot ----

@pytest.mark.parametrize("shape,num_classes", [((5,), -1), ((2, 3), 6), ((), 4), ((0,), 3)])
def test_one_hot_matches_torch(shape, num_classes):
    idx = RNG.integers(0, 4, size=shape)
    g = F.one_hot(glia.tensor(idx), num_classes)
    assert g.dtype == glia.int64
    assert_close(g, TF.one_hot(torch.from_numpy(idx), num_classes))


def test_one_hot_errors():
    check_raises(lambda: F.one_hot(glia.tensor([0, 3]), 3), ValueError, "one_hot", "3")
    check_raises(lambda: F.one_hot(glia.tensor([0, -1])), ValueError, "non-negative")
    check_raises(lambda: F.one_hot(glia.tensor([0.0])), TypeError, "int64")
    check_raises(lambda: F.one_hot(glia.zeros(0, dtype=glia.int64)), ValueError, "empty")
