"""nn.CTCLoss / F.ctc_loss against torch with the same inputs: losses of every reduction and
the gradients through log_softmax (where torch's and the exact ones agree), plus a
finite-difference check of the exact gradient with respect to log_probs themselves."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glia
import glia.nn.functional as F
from helpers import check_raises, gradcheck, to_glia

rng = np.random.default_rng(7)


def batch(T, N, C, blank=0, max_label=4, padded=True, min_target=0):
    """Random frames (logits), labels avoiding the blank (with repeats, which need a blank
    between them), and lengths that leave every sample an alignment."""
    logits = rng.standard_normal((T, N, C))
    labels = [c for c in range(C) if c != blank]
    input_lengths, target_lengths, targets = [], [], []
    for _ in range(N):
        frames = int(rng.integers(max(1, T // 2), T + 1))
        seq = list(rng.choice(labels, size=int(rng.integers(min_target, max_label + 1))))
        while len(seq) + sum(a == b for a, b in zip(seq, seq[1:])) > frames:
            seq.pop()  # too many labels (with their separating blanks) for the frames
        input_lengths.append(frames)
        target_lengths.append(len(seq))
        targets.append(seq)
    if padded:
        S = max(target_lengths + [1])
        flat = np.zeros((N, S), dtype=np.int64)
        for n, seq in enumerate(targets):
            flat[n, :len(seq)] = seq
    else:
        flat = np.array([c for seq in targets for c in seq], dtype=np.int64)
    return logits, flat, np.array(input_lengths), np.array(target_lengths)


def both(logits, targets, il, tl, reduction, blank=0, zero_infinity=False, dtype=np.float64):
    """Loss and d loss / d logits through log_softmax, glia's and torch's."""
    gx = glia.tensor(logits.astype(dtype), requires_grad=True)
    tx = torch.tensor(logits.astype(dtype), requires_grad=True)
    g = F.ctc_loss(gx.log_softmax(2), glia.tensor(targets), glia.tensor(il), glia.tensor(tl),
                   blank=blank, reduction=reduction, zero_infinity=zero_infinity)
    t = TF.ctc_loss(tx.log_softmax(2), torch.tensor(targets), torch.tensor(il),
                    torch.tensor(tl), blank=blank, reduction=reduction,
                    zero_infinity=zero_infinity)
    weights = rng.standard_normal(tuple(t.shape))  # a cotangent for reduction='none'
    (g * glia.tensor(weights.astype(dtype))).sum().backward()
    (t * torch.tensor(weights.astype(dtype))).sum().backward()
    return g, t, gx.grad, tx.grad


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("T,N,C", [(1, 1, 2), (6, 3, 4), (12, 5, 7), (30, 4, 3)])
@pytest.mark.parametrize("padded", [True, False])
def test_matches_torch(reduction, T, N, C, padded):
    logits, targets, il, tl = batch(T, N, C, padded=padded)
    g, t, gg, tg = both(logits, targets, il, tl, reduction)
    np.testing.assert_allclose(g.detach().numpy(), t.detach().numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(gg.numpy(), tg.numpy(), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("blank", [2, 4])
def test_blank_other_than_zero_and_float32(blank):
    logits, targets, il, tl = batch(10, 4, 5, blank=blank)
    g, t, gg, tg = both(logits, targets, il, tl, "mean", blank=blank, dtype=np.float32)
    assert g.dtype == glia.float32
    np.testing.assert_allclose(g.detach().numpy(), t.detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(gg.numpy(), tg.numpy(), rtol=1e-4, atol=1e-6)


def test_repeated_labels_need_a_blank_between():
    # "1 1" needs three frames (1, blank, 1); with two frames no alignment exists
    logits = rng.standard_normal((3, 1, 3))
    lp = torch.tensor(logits).log_softmax(2)
    g = F.ctc_loss(to_glia(lp.numpy()), [[1, 1]], [3], [2], reduction="none")
    t = TF.ctc_loss(lp, torch.tensor([[1, 1]]), [3], [2], reduction="none")
    np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-12)
    # by hand: the only path is 1, blank, 1
    np.testing.assert_allclose(g.numpy(), [-(lp[0, 0, 1] + lp[1, 0, 0] + lp[2, 0, 1]).item()])
    two = F.ctc_loss(to_glia(lp.numpy()), [[1, 1]], [2], [2], reduction="none")
    assert np.isinf(two.numpy()[0])


def test_empty_target_and_no_frames():
    logits = rng.standard_normal((5, 3, 4))
    lp = torch.tensor(logits).log_softmax(2)
    args = ([[1, 2], [0, 0], [0, 0]], [5, 4, 0], [2, 0, 0])
    g = F.ctc_loss(to_glia(lp.numpy()), *args, reduction="none")
    t = TF.ctc_loss(lp, torch.tensor(args[0]), torch.tensor(args[1]), torch.tensor(args[2]),
                    reduction="none")
    np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-12)
    # an empty target: every frame is the blank
    np.testing.assert_allclose(g.numpy()[1], -lp[:4, 1, 0].sum().item(), rtol=1e-12)
    assert g.numpy()[2] == 0
    # 'mean' divides by the target length, at least 1
    m = F.ctc_loss(to_glia(lp.numpy()), *args)
    np.testing.assert_allclose(m.item(), (g.numpy()[0] / 2 + g.numpy()[1]) / 3, rtol=1e-12)


def test_impossible_alignment_inf_or_zero_infinity():
    logits = rng.standard_normal((4, 2, 3))
    targets = np.array([[1, 2, 1, 2], [1, 1, 2, 0]])
    il, tl = np.array([4, 3]), np.array([4, 3])  # the second needs 4 frames for "1 1 2"
    for zero_infinity in (False, True):
        g, t, gg, tg = both(logits, targets, il, tl, "none", zero_infinity=zero_infinity)
        np.testing.assert_allclose(g.detach().numpy(), t.detach().numpy(), rtol=1e-10)
        if zero_infinity:
            assert g.detach().numpy()[1] == 0
            assert np.all(gg.numpy()[:, 1] == 0)
            np.testing.assert_allclose(gg.numpy(), tg.numpy(), rtol=1e-8, atol=1e-10)
        else:
            assert np.isinf(g.detach().numpy()[1])
            assert np.isnan(gg.numpy()[:3, 1]).all()  # as torch: no gradient to follow
            np.testing.assert_allclose(gg.numpy()[:, 0], tg.numpy()[:, 0], rtol=1e-8)


def test_frames_past_the_input_length_get_no_gradient():
    logits, targets, _, tl = batch(8, 2, 4, max_label=2)
    il = np.array([5, 8])
    g, t, gg, tg = both(logits, targets, il, tl, "sum")
    assert np.all(gg.numpy()[5:, 0] == 0)
    np.testing.assert_allclose(gg.numpy(), tg.numpy(), rtol=1e-8, atol=1e-10)


def test_exact_gradient_by_finite_differences():
    # any log_probs, not only normalised ones: the gradient is d loss / d log_probs itself
    _, targets, il, tl = batch(7, 3, 4, min_target=1)
    lp = rng.standard_normal((7, 3, 4)) - 1.5
    for reduction in ("none", "mean"):
        gradcheck(lambda x: F.ctc_loss(x, glia.tensor(targets), glia.tensor(il),
                                       glia.tensor(tl), reduction=reduction), lp)


def test_gradient_is_minus_occupancy():
    # every valid frame's class occupancies sum to one: the gradient rows sum to -1 per frame
    logits, targets, il, tl = batch(9, 3, 5, min_target=1)
    x = glia.tensor(logits, requires_grad=True)
    lp = x.log_softmax(2).detach().requires_grad_()
    loss = F.ctc_loss(lp, glia.tensor(targets), glia.tensor(il), glia.tensor(tl), reduction="sum")
    loss.backward()
    sums = lp.grad.numpy().sum(2)
    for n in range(3):
        np.testing.assert_allclose(sums[:il[n], n], -1, rtol=1e-10)
        assert np.all(sums[il[n]:, n] == 0)


def test_unbatched_and_sequences_as_lists():
    logits = rng.standard_normal((6, 4))
    lp = torch.tensor(logits).log_softmax(1)
    g = F.ctc_loss(to_glia(lp.numpy()), [1, 3, 1], 6, 3, reduction="none")
    t = TF.ctc_loss(lp, torch.tensor([1, 3, 1]), torch.tensor(6), torch.tensor(3),
                    reduction="none")
    assert g.shape == ()
    np.testing.assert_allclose(g.item(), t.item(), rtol=1e-12)
    for reduction in ("sum", "mean"):
        np.testing.assert_allclose(
            F.ctc_loss(to_glia(lp.numpy()), [1, 3, 1], (6,), (3,), reduction=reduction).item(),
            TF.ctc_loss(lp, torch.tensor([1, 3, 1]), torch.tensor(6), torch.tensor(3),
                        reduction=reduction).item(), rtol=1e-12)


def test_noncontiguous_log_probs():
    logits, targets, il, tl = batch(7, 3, 5)
    batch_first = np.ascontiguousarray(logits.transpose(1, 0, 2))
    x = glia.tensor(batch_first, requires_grad=True)
    lp = x.log_softmax(2).transpose(0, 1)  # (T, N, C) view of a (N, T, C) tensor
    assert not lp.is_contiguous()
    loss = F.ctc_loss(lp, glia.tensor(targets), glia.tensor(il), glia.tensor(tl))
    loss.backward()
    tx = torch.tensor(batch_first, requires_grad=True)
    t = TF.ctc_loss(tx.log_softmax(2).transpose(0, 1), torch.tensor(targets), torch.tensor(il),
                    torch.tensor(tl))
    t.backward()
    np.testing.assert_allclose(loss.item(), t.item(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-8, atol=1e-12)


def test_empty_batch():
    lp = glia.zeros((5, 0, 3))
    out = F.ctc_loss(lp, glia.zeros((0, 2), dtype=glia.int64), glia.zeros((0,), dtype=glia.int64),
                     glia.zeros((0,), dtype=glia.int64), reduction="none")
    assert out.shape == (0,)
    assert F.ctc_loss(lp, glia.zeros((0, 2), dtype=glia.int64), [], [], reduction="sum").item() == 0


def test_module():
    logits, targets, il, tl = batch(8, 3, 5, blank=4)
    lp = torch.tensor(logits).log_softmax(2)
    m = glia.nn.CTCLoss(blank=4, reduction="sum", zero_infinity=True)
    assert repr(m) == "CTCLoss(blank=4, zero_infinity=True, reduction='sum')"
    t = torch.nn.CTCLoss(blank=4, reduction="sum", zero_infinity=True)
    np.testing.assert_allclose(
        m(to_glia(lp.numpy()), glia.tensor(targets), glia.tensor(il), glia.tensor(tl)).item(),
        t(lp, torch.tensor(targets), torch.tensor(il), torch.tensor(tl)).item(), rtol=1e-12)


def test_learns_an_alignment():
    # a per-frame linear classifier trained with CTC comes to emit the label sequence
    glia.manual_seed(0)
    T, C = 8, 4
    frames = glia.tensor(rng.standard_normal((T, 1, 6)).astype(np.float32))
    layer = glia.nn.Linear(6, C)
    opt = glia.optim.Adam(layer.parameters(), lr=0.1)
    targets, il, tl = [[1, 2, 2, 3]], [T], [4]
    first = None
    for _ in range(150):
        loss = F.ctc_loss(layer(frames).log_softmax(2), targets, il, tl)
        first = loss.item() if first is None else first
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.1 * first
    best = layer(frames).argmax(2).numpy()[:, 0]  # greedy decoding: merge repeats, drop blanks
    decoded = [c for i, c in enumerate(best) if c != 0 and (i == 0 or c != best[i - 1])]
    assert decoded == [1, 2, 2, 3]


def test_bad_input():
    lp = glia.zeros((5, 2, 4))
    tg, il, tl = [[1, 2], [3, 1]], [5, 4], [2, 2]
    check_raises(lambda: F.ctc_loss(lp, tg, il, tl, blank=4), ValueError, "ctc_loss", "blank 4",
                 "4 classes")
    check_raises(lambda: F.ctc_loss(lp, tg, [6, 4], tl), ValueError, "input_lengths[0] is 6",
                 "[0, 5]")
    check_raises(lambda: F.ctc_loss(lp, tg, il, [-1, 2]), ValueError, "target_lengths[0] is -1")
    check_raises(lambda: F.ctc_loss(lp, tg, il, [3, 2]), ValueError, "padded targets",
                 "longest target length 3", "(2, 2)")
    check_raises(lambda: F.ctc_loss(lp, [1, 2, 3], il, tl), ValueError, "1-D targets hold 3",
                 "add up to 4")
    check_raises(lambda: F.ctc_loss(lp, [[1, 4], [3, 1]], il, tl), IndexError, "label 4",
                 "sample 0", "4 classes")
    check_raises(lambda: F.ctc_loss(lp, [[1, 2], [0, 1]], il, tl), IndexError, "label 0",
                 "sample 1", "blank (0)")
    check_raises(lambda: F.ctc_loss(lp, tg, [5], tl), ValueError, "input_lengths",
                 "one value per sample (2)")
    check_raises(lambda: F.ctc_loss(lp, [[1.0, 2.0], [3.0, 1.0]], il, tl), TypeError,
                 "targets must hold integers")
    check_raises(lambda: F.ctc_loss(lp, tg, [5.0, 4.0], tl), TypeError, "input_lengths",
                 "integers")
    check_raises(lambda: F.ctc_loss(glia.zeros((5, 4)), tg, il, tl), ValueError, "unbatched",
                 "1-D targets")
    check_raises(lambda: F.ctc_loss(glia.zeros((2, 5, 2, 4)), tg, il, tl), ValueError,
                 "(T, N, C)", "(2, 5, 2, 4)")
    check_raises(lambda: F.ctc_loss(glia.zeros((5, 2, 4), dtype=glia.int64), tg, il, tl),
                 TypeError, "ctc_loss", "floating-point")
    check_raises(lambda: F.ctc_loss(lp, tg, il, tl, reduction="avg"), ValueError, "ctc_loss",
                 "reduction")
