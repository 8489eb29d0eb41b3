"""Positional encodings: the sinusoidal table against a numpy formula, learned embeddings
(gradients reach the used rows only), rotary embeddings against a numpy reference with a
float64 gradient check, and the rotary property (q . k depends only on relative position)."""
import numpy as np
import pytest

import glia
import glia.nn.functional as F
from glia import nn
from helpers import check_raises, gradcheck, randn, to_glia


def _numpy_sinusoid(max_len, d):
    pe = np.zeros((max_len, d))
    pos = np.arange(max_len)[:, None]
    div = 10000.0 ** (np.arange(0, d, 2) / d)
    pe[:, 0::2], pe[:, 1::2] = np.sin(pos / div), np.cos(pos / div)
    return pe


@pytest.mark.parametrize("batch_first", [False, True])
def test_sinusoidal_adds_vaswani_table(batch_first):
    enc = nn.SinusoidalPositionalEncoding(6, max_len=20, batch_first=batch_first)
    pe = _numpy_sinusoid(20, 6)
    np.testing.assert_allclose(enc.pe.numpy(), pe, rtol=1e-6, atol=1e-6)
    x = randn(2, 5, 6) if batch_first else randn(5, 2, 6)
    out = enc(to_glia(x), offset=3).numpy()
    table = pe[3:8][None] if batch_first else pe[3:8][:, None]
    np.testing.assert_allclose(out, x + table, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(enc(to_glia(x[0] if batch_first else x[:, 0])).numpy(),
                               (x[0] if batch_first else x[:, 0]) + pe[:5], atol=1e-6)
    assert "pe" not in enc.state_dict()


def test_sinusoidal_dropout_and_errors():
    enc = nn.SinusoidalPositionalEncoding(4, max_len=8, dropout=0.5)
    x = glia.ones(6, 3, 4)
    out = enc(x).numpy()
    assert np.isclose(out, 0).any()
    summed = x.numpy() + enc.pe.numpy()[:6][:, None]
    kept = out != 0  # the kept values are scaled by 1 / (1 - p)
    assert kept.any()
    np.testing.assert_allclose(out[kept], summed[kept] / (1 - 0.5), rtol=1e-6)
    enc.eval()  # no dropout: exactly x + the table's first rows
    np.testing.assert_array_equal(enc(x).numpy(), summed)
    check_raises(lambda: enc(glia.ones(9, 1, 4)), ValueError, "max_len", "(9, 1, 4)")
    check_raises(lambda: nn.SinusoidalPositionalEncoding(5), ValueError, "even")
    # a feature size other than d_model (1 would broadcast against the table)
    for shape in ((5, 2, 1), (5, 2, 3), (5, 1)):
        check_raises(lambda s=shape: enc(glia.ones(*s)), ValueError,
                     "SinusoidalPositionalEncoding", "4 features", str(shape))


def test_learned_positional_embedding():
    emb = nn.LearnedPositionalEmbedding(10, 4, batch_first=True).double()
    assert tuple(emb.weight.shape) == (10, 4)
    w = emb.weight.detach().numpy().copy()
    x = randn(2, 3, 4)
    gx = glia.tensor(x, requires_grad=True)
    out = emb(gx, offset=2)
    np.testing.assert_allclose(out.detach().numpy(), x + w[2:5][None])
    out.sum().backward()
    expected = np.zeros((10, 4))
    expected[2:5] = 2.0  # two samples
    np.testing.assert_allclose(emb.weight.grad.numpy(), expected)
    np.testing.assert_allclose(gx.grad.numpy(), np.ones_like(x))
    check_raises(lambda: emb(glia.ones(1, 9, 4), offset=2), ValueError,
                 "LearnedPositionalEmbedding", "max_len")
    check_raises(lambda: emb(glia.ones(1, 3, 5)), ValueError, "(1, 3, 5)")


def _numpy_rotary(x, positions, base=10000.0):
    d = x.shape[-1]
    inv = base ** (-np.arange(0, d, 2) / d)
    ang = np.asarray(positions)[:, None] * inv[None]
    x1, x2 = x[..., : d // 2], x[..., d // 2:]
    c, s = np.cos(ang), np.sin(ang)
    return np.concatenate([x1 * c - x2 * s, x2 * c + x1 * s], -1)


def test_rotary_matches_numpy_reference():
    x = randn(2, 3, 5, 8)
    rope = nn.RotaryEmbedding(8)
    np.testing.assert_allclose(rope(to_glia(x)).numpy(), _numpy_rotary(x, np.arange(5)),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(rope(to_glia(x), offset=7).numpy(),
                               _numpy_rotary(x, np.arange(7, 12)), rtol=1e-12, atol=1e-12)
    rope.base = 100.0  # the cached tables follow a changed base
    np.testing.assert_allclose(rope(to_glia(x)).numpy(), _numpy_rotary(x, np.arange(5), 100.0),
                               rtol=1e-12, atol=1e-12)
    cos, sin = F.rotary_cos_sin([0, 4, 9], 8, base=100.0, dtype=glia.float64)
    x3 = randn(3, 8)
    np.testing.assert_allclose(F.apply_rotary(to_glia(x3), cos, sin).numpy(),
                               _numpy_rotary(x3, [0, 4, 9], base=100.0), rtol=1e-12)
    x32 = x.astype(np.float32)
    assert rope(to_glia(x32)).dtype == glia.float32


def test_rotary_relative_position_property():
    """<R(m) q, R(n) k> is the same for every (m, n) with the same m - n."""
    q, k = randn(1, 16), randn(1, 16)
    rope = nn.RotaryEmbedding(16)

    def score(m, n):
        qm = rope(to_glia(np.repeat(q, m + 1, 0))).numpy()[m]
        kn = rope(to_glia(np.repeat(k, n + 1, 0))).numpy()[n]
        return float(qm @ kn)

    for delta in (0, 3, 7):
        scores = [score(n + delta, n) for n in (0, 5, 11)]
        np.testing.assert_allclose(scores, scores[0], rtol=1e-10)
    assert not np.isclose(score(3, 0), score(0, 0))
    # rotation keeps norms
    x = randn(6, 16)
    np.testing.assert_allclose(np.linalg.norm(rope(to_glia(x)).numpy(), axis=-1),
                               np.linalg.norm(x, axis=-1), rtol=1e-12)


def test_rotary_tables_are_cached_and_grown_by_doubling(monkeypatch):
    """The cos/sin tables are computed once per dtype and doubled when a call needs more
    positions; every output equals rotating by freshly computed tables."""
    direct = F.rotary_cos_sin
    built = []

    def counting(positions, dim, base=10000.0, dtype=None):
        built.append((positions, dtype))
        return direct(positions, dim, base, dtype)

    monkeypatch.setattr(F, "rotary_cos_sin", counting)
    rope = nn.RotaryEmbedding(8)
    calls = [(0, 5), (7, 5), (10, 6), (16, 1), (3, 30), (60, 4), (0, 100), (99, 1)]
    for offset, t in calls:
        x = randn(2, t, 8)
        expected = F.apply_rotary(to_glia(x), *direct(glia.arange(offset, offset + t), 8,
                                                      dtype=glia.float64))
        out = rope(to_glia(x), offset=offset)
        np.testing.assert_array_equal(out.numpy(), expected.numpy())
        np.testing.assert_allclose(out.numpy(), _numpy_rotary(x, np.arange(offset, offset + t)),
                                   rtol=1e-12, atol=1e-12)
    assert built == [(16, glia.float64), (32, glia.float64), (64, glia.float64),
                     (128, glia.float64)]
    out32 = rope(glia.ones(3, 8), offset=2)
    assert out32.dtype == glia.float32 and built[-1] == (16, glia.float32)
    np.testing.assert_array_equal(
        out32.numpy(), F.apply_rotary(glia.ones(3, 8), *direct(glia.arange(2, 5), 8)).numpy())


def test_rotary_gradcheck_and_errors():
    cos, sin = F.rotary_cos_sin(4, 6, dtype=glia.float64)
    gradcheck(lambda x: F.apply_rotary(x, cos, sin), randn(2, 4, 6))
    check_raises(lambda: F.apply_rotary(glia.randn(4, 5), *F.rotary_cos_sin(4, 6)),
                 ValueError, "apply_rotary", "(4, 5)")
    check_raises(lambda: F.apply_rotary(glia.randn(3, 6), *F.rotary_cos_sin(4, 6)),
                 ValueError, "apply_rotary", "4 positions")
    check_raises(lambda: F.apply_rotary(glia.randn(6), *F.rotary_cos_sin(1, 6)),
                 ValueError, "apply_rotary", "(6,)")
    check_raises(lambda: nn.RotaryEmbedding(6)(glia.randn(6)), ValueError, "RotaryEmbedding",
                 "(6,)")
    check_raises(lambda: nn.RotaryEmbedding(6)(glia.randn(2, 6), offset=-1), ValueError,
                 "RotaryEmbedding", "-1")
    check_raises(lambda: nn.RotaryEmbedding(7), ValueError, "RotaryEmbedding", "even")
    check_raises(lambda: F.rotary_cos_sin(4, 3), ValueError, "rotary_cos_sin", "3")
