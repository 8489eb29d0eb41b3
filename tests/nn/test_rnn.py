"""nn.RNN / nn.LSTM / nn.GRU and the fused rnn_layer op against PyTorch with copied weights:
outputs, final states, input, initial-state and parameter gradients; variable lengths;
dropout; gradient checks; errors; vanishing and exploding gradients."""
import itertools

import numpy as np
import pytest
import torch
from helpers import assert_close, check_raises, gradcheck, load_from_torch, randn, to_glia

import glia
import glia.nn.utils.rnn as grnn
from glia import _C

MODES = {  # name: (glia class, torch class, extra kwargs)
    "lstm": ("LSTM", {}),
    "gru": ("GRU", {}),
    "rnn_tanh": ("RNN", {}),
    "rnn_relu": ("RNN", {"nonlinearity": "relu"}),
}


def _shape(t):
    return tuple(t.shape)


def make_pair(mode, input_size, hidden_size, dtype=torch.float64, **kw):
    cls, extra = MODES[mode]
    tm = getattr(torch.nn, cls)(input_size, hidden_size, **extra, **kw).to(dtype)
    gdt = glia.float64 if dtype == torch.float64 else glia.float32
    gm = getattr(glia.nn, cls)(input_size, hidden_size, **extra, **kw, dtype=gdt)
    load_from_torch(gm, tm)
    return gm, tm


def states(mode, out):
    """(output, [h_n] or [h_n, c_n]) of a layer's return value."""
    o, s = out
    return o, (list(s) if mode == "lstm" else [s])


def assert_np(g, t, atol=1e-10, rtol=1e-7):
    assert_close(g, t, rtol=rtol, atol=atol)


def compare(mode, gm, tm, x, hx=None, atol=1e-10, rtol=1e-7, **fwd):
    """Runs both layers on numpy x (and numpy initial states), backpropagates the same random
    cotangents through output and final states, and compares every value and gradient."""
    gx, tx = to_glia(x, True), torch.tensor(x, requires_grad=True)
    g_hx = t_hx = None
    if hx is not None:
        g_hx = [to_glia(h, True) for h in hx]
        t_hx = [torch.tensor(h, requires_grad=True) for h in hx]
    pack = lambda s: None if s is None else (tuple(s) if mode == "lstm" else s[0])  # noqa: E731
    g_out, g_st = states(mode, gm(gx, pack(g_hx), **fwd))
    t_out, t_st = states(mode, tm(tx, pack(t_hx)))
    assert_np(g_out, t_out, atol, rtol)
    for g, t in zip(g_st, t_st):
        assert_np(g, t, atol, rtol)
    cot = [randn(*t.shape).astype(x.dtype) for t in [t_out] + t_st]
    g_loss = sum(((a * to_glia(c)).sum() for a, c in zip([g_out] + g_st, cot)), to_glia(np.zeros((), x.dtype)))
    t_loss = sum((a * torch.tensor(c)).sum() for a, c in zip([t_out] + t_st, cot))
    g_loss.backward()
    t_loss.backward()
    assert_np(gx.grad, tx.grad, atol, rtol)
    if hx is not None:
        for g, t in zip(g_hx, t_hx):
            assert_np(g.grad, t.grad, atol, rtol)
    g_params = dict(gm.named_parameters())
    for name, p in tm.named_parameters():
        if p.grad is None:  # frozen
            assert g_params[name].grad is None, name
            continue
        assert_np(g_params[name].grad, p.grad, atol, rtol)


# ---- every layer configuration against torch ----

@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("layers,bidir,batch_first,with_state",
                         list(itertools.product([1, 2, 3], [False, True], [False, True], [False, True])))
def test_layer_matches_torch(mode, layers, bidir, batch_first, with_state):
    gm, tm = make_pair(mode, 3, 4, num_layers=layers, bidirectional=bidir, batch_first=batch_first)
    T, B = 4, 3
    x = randn(B, T, 3) if batch_first else randn(T, B, 3)
    hx = None
    if with_state:
        hx = [randn(layers * (2 if bidir else 1), B, 4) for _ in range(2 if mode == "lstm" else 1)]
    compare(mode, gm, tm, x, hx)


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("T,B", [(1, 3), (5, 1), (1, 1)])
def test_layer_seq1_batch1(mode, T, B):
    gm, tm = make_pair(mode, 2, 5, num_layers=2, bidirectional=True)
    hx = [randn(4, B, 5) for _ in range(2 if mode == "lstm" else 1)]
    compare(mode, gm, tm, randn(T, B, 2), hx)


@pytest.mark.parametrize("mode", list(MODES))
def test_layer_float32(mode):
    gm, tm = make_pair(mode, 6, 8, dtype=torch.float32, num_layers=2, bidirectional=True)
    compare(mode, gm, tm, randn(7, 5, 6).astype(np.float32), atol=2e-5, rtol=1e-4)


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_layer_larger_sizes(mode, dtype, restore_threads):
    # hidden 40: full vector tiles plus leftover columns in the step products; with 4 threads,
    # two per direction, LSTM and GRU split batch 11 into uneven row tiles (a plain RNN this
    # small stays on one thread)
    glia.set_num_threads(4)
    gm, tm = make_pair(mode, 7, 40, dtype=dtype, bidirectional=True)
    tol = dict(atol=1e-10, rtol=1e-7) if dtype == torch.float64 else dict(atol=3e-5, rtol=1e-4)
    x = randn(6, 11, 7).astype(np.float64 if dtype == torch.float64 else np.float32)
    compare(mode, gm, tm, x, **tol)


@pytest.mark.parametrize("mode", ["lstm", "gru"])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("threads", [1, 2, 3])
def test_wide_input_matches_torch(mode, dtype, threads, restore_threads):
    # the input projection multiplies the 13 * 5 = 65 rows by panels of W_ih^T in blocks of 12
    # rows (the last one partial) and strips of 16 or 8 gate columns (GRU's 60 leave a partial
    # one), split over the threads; the two directions' input gradients add into one tensor
    glia.set_num_threads(threads)
    gm, tm = make_pair(mode, 37, 20, dtype=dtype, bidirectional=True)
    tol = dict(atol=1e-10, rtol=1e-7) if dtype == torch.float64 else dict(atol=3e-5, rtol=1e-4)
    x = randn(13, 5, 37).astype(np.float64 if dtype == torch.float64 else np.float32)
    compare(mode, gm, tm, x, **tol)


# ---- how the time loop splits over threads ----
# Tiny problems run on one thread. Otherwise each direction gets its own threads; threads
# sharing a direction split its batch or, when that would leave slices of fewer than 4 or of
# 7 to 11 rows and W_hh has at least 128 KiB, its hidden units, meeting at a barrier after
# every step. In
# float64 (8-column strips) these sizes reach every way; hidden 36 and 76 are not multiples of
# 8, so the unit slices and the step products have edge columns.
SPLITS = {  # name: (hidden, batch, steps, bidirectional)
    "batch slices": (36, 30, 10, False),
    "unit slices": (76, 14, 5, False),  # LSTM and GRU; a plain RNN's W_hh is too small
    "unit slices of a tiny batch": (76, 4, 6, False),
    "one direction per thread": (36, 5, 30, True),
    "directions and unit slices": (76, 14, 5, True),  # units with 3 threads
}


def compare_lengths(mode, gm, tm, x, lengths, hx=None):
    """gm with lengths= on a padded time-major batch against tm on the packed batch: output,
    final states and every gradient (of the initial states too, when given as numpy hx)."""
    gx, tx = to_glia(x, True), torch.tensor(x, requires_grad=True)
    g_hx = [to_glia(h, True) for h in hx] if hx else None
    t_hx = [torch.tensor(h, requires_grad=True) for h in hx] if hx else None
    pack = lambda s: None if s is None else (tuple(s) if mode == "lstm" else s[0])  # noqa: E731
    g_out, g_st = states(mode, gm(gx, pack(g_hx), lengths=lengths))
    packed = torch.nn.utils.rnn.pack_padded_sequence(tx, lengths, enforce_sorted=False)
    t_out, t_st = states(mode, tm(packed, pack(t_hx)))
    t_out, _ = torch.nn.utils.rnn.pad_packed_sequence(t_out, total_length=x.shape[0])
    assert_np(g_out, t_out)
    for g, t in zip(g_st, t_st):
        assert_np(g, t)
    cot = [randn(*t.shape) for t in [t_out] + t_st]
    sum((a * to_glia(c)).sum() for a, c in zip([g_out] + g_st, cot)).backward()
    sum((a * torch.tensor(c)).sum() for a, c in zip([t_out] + t_st, cot)).backward()
    assert_np(gx.grad, tx.grad)
    for g, t in zip(g_hx or [], t_hx or []):
        assert_np(g.grad, t.grad)
    g_params = dict(gm.named_parameters())
    for name, p in tm.named_parameters():
        assert_np(g_params[name].grad, p.grad)


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("split", list(SPLITS))
@pytest.mark.parametrize("threads", [1, 2, 3])
def test_layer_matches_torch_however_threads_split_it(mode, split, threads, restore_threads):
    H, B, T, bidir = SPLITS[split]
    glia.set_num_threads(threads)
    gm, tm = make_pair(mode, 5, H, bidirectional=bidir)
    hx = [randn(2 if bidir else 1, B, H) for _ in range(2 if mode == "lstm" else 1)]
    compare(mode, gm, tm, randn(T, B, 5), hx)
    gm.zero_grad()
    tm.zero_grad()
    lengths = np.random.default_rng(B).integers(1, T + 1, size=B)
    lengths[0] = T  # pad_packed_sequence pads to the longest
    compare_lengths(mode, gm, tm, randn(T, B, 5), lengths.tolist())
    # sorted longest first, as packed batches are: the step products skip the ended rows;
    # with initial states
    gm.zero_grad()
    tm.zero_grad()
    hx = [randn(2 if bidir else 1, B, H) for _ in range(2 if mode == "lstm" else 1)]
    compare_lengths(mode, gm, tm, randn(T, B, 5), sorted(lengths.tolist(), reverse=True), hx)


@pytest.mark.parametrize("mode", ["lstm", "gru"])
@pytest.mark.parametrize("B", [4, 13])
def test_float32_unit_slices_match_torch(mode, B, restore_threads):
    # float32 strips are 16 wide: hidden 108 cuts gate blocks mid-strip on both sides (and
    # its W_hh is large enough for the unit split)
    glia.set_num_threads(2)
    gm, tm = make_pair(mode, 5, 108, dtype=torch.float32)
    hx = [randn(1, B, 108).astype(np.float32) for _ in range(2 if mode == "lstm" else 1)]
    compare(mode, gm, tm, randn(6, B, 5).astype(np.float32), hx, atol=3e-5, rtol=1e-4)


@pytest.mark.parametrize("mode", ["lstm", "gru"])
@pytest.mark.parametrize("H,B,bidir", [(96, 2, False), (96, 2, True), (32, 3, True)])
def test_more_threads_than_the_split_has_work_for(mode, H, B, bidir, restore_threads):
    # 8 threads: LSTM hidden 96 (float32) has 6 strips, so its unit split takes at most 6
    # threads per direction; where W_hh is too small for units (GRU 96, hidden 32) the batch
    # of 2 or 3 rows splits at most 2 or 3 ways. The team is cut to what the split uses, with
    # every barrier still met.
    glia.set_num_threads(8)
    gm, tm = make_pair(mode, 5, H, dtype=torch.float32, bidirectional=bidir)
    D = 2 if bidir else 1
    hx = [randn(D, B, H).astype(np.float32) for _ in range(2 if mode == "lstm" else 1)]
    compare(mode, gm, tm, randn(20, B, 5).astype(np.float32), hx, atol=3e-5, rtol=1e-4)


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("frozen", ["weight_ih", "weight_hh", "bias_ih", "bias_hh", "bias"])
@pytest.mark.parametrize("with_state", [False, True])
def test_layer_with_a_frozen_weight_matches_torch(mode, frozen, with_state):
    # LSTM and plain RNNs get both weight gradients from one GEMM; with one of them frozen,
    # the other has a GEMM of its own. The kernel sums only the wanted bias gradients: one
    # sum serves both biases except for GRU, whose two differ.
    gm, tm = make_pair(mode, 3, 5, bidirectional=True)
    for m in (gm, tm):
        for name, p in m.named_parameters():
            if name.startswith(frozen):
                p.requires_grad_(False)
    hx = [randn(2, 4, 5) for _ in range(2 if mode == "lstm" else 1)] if with_state else None
    compare(mode, gm, tm, randn(6, 4, 3), hx)


@pytest.mark.parametrize("mode", ["lstm", "gru"])
def test_layer_noncontiguous_input_and_no_bias(mode):
    gm, tm = make_pair(mode, 3, 4, bias=False, num_layers=2)
    x = np.ascontiguousarray(randn(3, 5, 4).transpose(1, 0, 2))[:, :, :3]  # strided view
    compare(mode, gm, tm, x)
    assert "bias_ih_l0" not in dict(gm.named_parameters())


@pytest.mark.parametrize("mode", list(MODES))
def test_unbatched_input(mode):
    gm, tm = make_pair(mode, 3, 4, num_layers=2, bidirectional=True)
    hx = [randn(4, 4) for _ in range(2 if mode == "lstm" else 1)]
    compare(mode, gm, tm, randn(5, 3), hx)


def test_parameters_follow_torch_names_shapes_and_init():
    for mode in MODES:
        cls, extra = MODES[mode]
        tm = getattr(torch.nn, cls)(5, 7, num_layers=2, bidirectional=True, **extra)
        gm = getattr(glia.nn, cls)(5, 7, num_layers=2, bidirectional=True, **extra)
        t_sd, g_sd = tm.state_dict(), gm.state_dict()
        assert list(g_sd) == list(t_sd)
        for k in t_sd:
            assert tuple(g_sd[k].shape) == tuple(t_sd[k].shape), k
            v = g_sd[k].numpy()
            assert np.abs(v).max() <= 1 / np.sqrt(7) and v.std() > 0.1 / np.sqrt(7), k
    assert "bidirectional=True" in repr(glia.nn.LSTM(5, 7, bidirectional=True))


def test_truncated_bptt_carries_state_with_detach():
    gm, tm = make_pair("lstm", 3, 4)
    x = randn(8, 2, 3)
    whole = gm(to_glia(x))[0].detach().numpy()
    first = to_glia(x[:5], True)
    out1, (h, c) = gm(first)
    out2, _ = gm(to_glia(x[5:]), (h.detach(), c.detach()))
    np.testing.assert_allclose(np.concatenate([out1.detach().numpy(), out2.detach().numpy()]), whole,
                               atol=1e-12)
    out2.sum().backward()
    assert first.grad is None  # the detached state cut the graph
    # the weights get the second window's gradient alone, as in torch
    t_out1, (th, tc) = tm(torch.tensor(x[:5]))
    tm(torch.tensor(x[5:]), (th.detach(), tc.detach()))[0].sum().backward()
    g_params = dict(gm.named_parameters())
    for name, p in tm.named_parameters():
        assert_np(g_params[name].grad, p.grad)


# ---- variable lengths ----

@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("bidir", [False, True])
def test_packed_sequence_matches_torch(mode, bidir):
    gm, tm = make_pair(mode, 3, 4, num_layers=2, bidirectional=bidir, batch_first=True)
    lengths = [3, 6, 1, 4]
    x = randn(4, 6, 3)
    hx = [randn(2 * (2 if bidir else 1), 4, 4) for _ in range(2 if mode == "lstm" else 1)]
    gx, tx = to_glia(x, True), torch.tensor(x, requires_grad=True)
    g_hx, t_hx = [to_glia(h, True) for h in hx], [torch.tensor(h, requires_grad=True) for h in hx]
    pack = lambda s: tuple(s) if mode == "lstm" else s[0]  # noqa: E731
    g_out, g_st = states(mode, gm(grnn.pack_padded_sequence(gx, lengths, True, False), pack(g_hx)))
    t_out, t_st = states(mode, tm(torch.nn.utils.rnn.pack_padded_sequence(tx, lengths, True, False),
                                  pack(t_hx)))
    assert_np(g_out.data, t_out.data)
    assert_np(g_out.batch_sizes, t_out.batch_sizes)
    g_pad, g_len = grnn.pad_packed_sequence(g_out, batch_first=True)
    t_pad, t_len = torch.nn.utils.rnn.pad_packed_sequence(t_out, batch_first=True)
    assert_np(g_pad, t_pad)
    assert g_len.tolist() == t_len.tolist()
    for g, t in zip(g_st, t_st):
        assert_np(g, t)
    # the lengths= keyword on a padded batch gives the same numbers
    g_out2, g_st2 = states(mode, gm(to_glia(x), pack([to_glia(h) for h in hx]), lengths=lengths))
    assert_np(g_out2, t_pad)
    for g, t in zip(g_st2, t_st):
        assert_np(g, t)
    cot = randn(*t_pad.shape)
    ((g_pad * to_glia(cot)).sum() + g_st[0].sum()).backward()
    ((t_pad * torch.tensor(cot)).sum() + t_st[0].sum()).backward()
    assert_np(gx.grad, tx.grad)
    for g, t in zip(g_hx, t_hx):
        assert_np(g.grad, t.grad)
    g_params = dict(gm.named_parameters())
    for name, p in tm.named_parameters():
        assert_np(g_params[name].grad, p.grad)
    # padded steps get no gradient
    for b, n in enumerate(lengths):
        assert not gx.grad.numpy()[b, n:].any()


def test_padded_steps_output_zero_and_keep_state():
    gm, _ = make_pair("gru", 2, 3)
    x = randn(5, 2, 2)
    with glia.no_grad():
        out, h = gm(to_glia(x), lengths=[2, 5])
        short = gm(to_glia(x[:2, :1]))[1].numpy()
    assert not out.numpy()[2:, 0].any()
    np.testing.assert_allclose(h.numpy()[:, :1], short, atol=1e-12)


def test_packing_helpers_match_torch():
    seqs = [randn(n, 2) for n in (3, 5, 1)]
    g_seqs = [to_glia(s, True) for s in seqs]
    t_seqs = [torch.tensor(s, requires_grad=True) for s in seqs]
    for bf in (False, True):
        assert_np(grnn.pad_sequence(g_seqs, bf, -1.0), torch.nn.utils.rnn.pad_sequence(t_seqs, bf, -1.0))
    assert_np(grnn.pad_sequence(g_seqs, True, padding_side="left"),
              torch.nn.utils.rnn.pad_sequence(t_seqs, True, padding_side="left"))
    g_p = grnn.pack_sequence(g_seqs, enforce_sorted=False)
    t_p = torch.nn.utils.rnn.pack_sequence(t_seqs, enforce_sorted=False)
    assert_np(g_p.data, t_p.data)
    assert g_p.sorted_indices.tolist() == t_p.sorted_indices.tolist()
    assert g_p.unsorted_indices.tolist() == t_p.unsorted_indices.tolist()
    g_pad, g_len = grnn.pad_packed_sequence(g_p, total_length=6, padding_value=9.0)
    t_pad, t_len = torch.nn.utils.rnn.pad_packed_sequence(t_p, total_length=6, padding_value=9.0)
    assert_np(g_pad, t_pad)
    assert g_len.tolist() == t_len.tolist()
    cot = randn(*t_pad.shape)
    (g_pad * to_glia(cot)).sum().backward()
    (t_pad * torch.tensor(cot)).sum().backward()
    for g, t in zip(g_seqs, t_seqs):
        assert_np(g.grad, t.grad)


# ---- LSTM with projections (proj_size) ----

@pytest.mark.parametrize("layers,bidir,batch_first,with_state",
                         list(itertools.product([1, 2], [False, True], [False, True], [False, True])))
def test_lstm_proj_size_matches_torch(layers, bidir, batch_first, with_state):
    gm, tm = make_pair("lstm", 4, 6, proj_size=3, num_layers=layers, bidirectional=bidir,
                       batch_first=batch_first)
    assert [n for n, _ in gm.named_parameters()] == [n for n, _ in tm.named_parameters()]
    D = 2 if bidir else 1
    hx = [randn(layers * D, 3, 3), randn(layers * D, 3, 6)] if with_state else None
    compare("lstm", gm, tm, randn(*((3, 5, 4) if batch_first else (5, 3, 4))), hx)


@pytest.mark.parametrize("bidir", [False, True])
@pytest.mark.parametrize("with_state", [False, True])
def test_lstm_proj_size_with_lengths_matches_torch(bidir, with_state):
    # the initial state enters each sequence's first step, the last one in reverse
    gm, tm = make_pair("lstm", 4, 6, proj_size=3, num_layers=2, bidirectional=bidir)
    D = 2 if bidir else 1
    hx = [randn(2 * D, 4, 3), randn(2 * D, 4, 6)] if with_state else None
    compare_lengths("lstm", gm, tm, randn(6, 4, 4), [6, 2, 4, 1], hx)


@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
@pytest.mark.parametrize("T", [1, 4])
@pytest.mark.parametrize("threads", [1, 2])
def test_lstm_proj_size_float32_no_bias_matches_torch(T, threads, restore_threads):
    glia.set_num_threads(threads)
    gm, tm = make_pair("lstm", 6, 40, dtype=torch.float32, proj_size=24, bias=False,
                       bidirectional=True)
    hx = [randn(2, 13, 24).astype(np.float32), randn(2, 13, 40).astype(np.float32)]
    compare("lstm", gm, tm, randn(T, 13, 6).astype(np.float32), hx, atol=3e-5, rtol=1e-4)


def test_lstm_proj_size_dropout_between_layers():
    # eval: the same numbers as torch; train: the second layer reads a dropped-out first
    gm, tm = make_pair("lstm", 3, 6, proj_size=2, num_layers=2, dropout=0.5)
    gm.eval()
    tm.eval()
    compare("lstm", gm, tm, randn(4, 2, 3))
    gm.train()
    x = to_glia(randn(4, 2, 3))
    glia.manual_seed(0)
    a = gm(x)[0].detach().numpy()
    glia.manual_seed(0)
    np.testing.assert_array_equal(a, gm(x)[0].detach().numpy())
    glia.manual_seed(1)
    assert not np.allclose(a, gm(x)[0].detach().numpy())
    # dropout 1: the second layer reads zeros, in train mode as torch (and the first layer's
    # output is dropped only between the layers, not after the last)
    gm, tm = make_pair("lstm", 3, 6, proj_size=2, num_layers=2, dropout=1.0)
    compare("lstm", gm, tm, randn(4, 2, 3))


def test_lstm_proj_size_packed_and_unbatched_match_torch():
    gm, tm = make_pair("lstm", 2, 5, proj_size=2, bidirectional=True)
    seqs = [randn(n, 2) for n in (3, 5, 1)]
    # the batch is sorted by length inside: the initial states follow their sequences
    h0, c0 = randn(2, 3, 2), randn(2, 3, 5)
    g_out, (g_h, g_c) = gm(grnn.pack_sequence([to_glia(q) for q in seqs], enforce_sorted=False),
                           (to_glia(h0), to_glia(c0)))
    t_out, (t_h, t_c) = tm(torch.nn.utils.rnn.pack_sequence([torch.tensor(q) for q in seqs],
                                                           enforce_sorted=False),
                           (torch.tensor(h0), torch.tensor(c0)))
    assert_np(g_out.data, t_out.data)
    assert_np(g_h, t_h)
    assert_np(g_c, t_c)
    x, h0, c0 = randn(4, 2), randn(2, 2), randn(2, 5)
    g_out, (g_h, g_c) = gm(to_glia(x), (to_glia(h0), to_glia(c0)))
    t_out, (t_h, t_c) = tm(torch.tensor(x), (torch.tensor(h0), torch.tensor(c0)))
    for g, t in ((g_out, t_out), (g_h, t_h), (g_c, t_c)):
        assert_np(g, t)


def test_lstm_proj_size_zero_length_sequence_keeps_its_state():
    # torch's packing refuses length 0; lengths= takes it: no output, the state passes through,
    # and the other sequences are as torch has them without it
    gm, tm = make_pair("lstm", 2, 5, proj_size=3, bidirectional=True)
    x, h0_np, c0_np = randn(4, 3, 2), randn(2, 3, 3), randn(2, 3, 5)
    h0, c0 = to_glia(h0_np, True), to_glia(c0_np, True)
    out, (h_n, c_n) = gm(to_glia(x), (h0, c0), lengths=[4, 0, 2])
    assert np.all(out.detach().numpy()[:, 1] == 0)
    assert_np(h_n[:, 1], h0[:, 1])
    assert_np(c_n[:, 1], c0[:, 1])
    keep = [0, 2]
    packed = torch.nn.utils.rnn.pack_padded_sequence(torch.tensor(x[:, keep]), [4, 2])
    t_out, (t_h, t_c) = tm(packed, (torch.tensor(h0_np[:, keep]), torch.tensor(c0_np[:, keep])))
    t_out, _ = torch.nn.utils.rnn.pad_packed_sequence(t_out, total_length=4)
    assert_np(out[:, keep], t_out)
    assert_np(h_n[:, keep], t_h)
    assert_np(c_n[:, keep], t_c)
    cot = randn(2, 3, 3)
    (h_n * to_glia(cot)).sum().backward()
    assert_np(h0.grad[:, 1], cot[:, 1])


def test_lstm_proj_size_errors_and_repr():
    check_raises(lambda: glia.nn.LSTM(3, 4, proj_size=4), ValueError, "LSTM", "proj_size", "smaller")
    check_raises(lambda: glia.nn.LSTM(3, 4, proj_size=-1), ValueError, "LSTM", "proj_size")
    check_raises(lambda: glia.nn.LSTM(3, 4, proj_size=True), ValueError, "LSTM", "proj_size")
    lstm = glia.nn.LSTM(3, 4, proj_size=2, num_layers=2)
    assert "proj_size=2" in repr(lstm)
    assert _shape(lstm.weight_hh_l1) == (16, 2) and _shape(lstm.weight_ih_l1) == (16, 2)
    assert _shape(lstm.weight_hr_l0) == (2, 4)
    x, h, c = glia.zeros(5, 2, 3), glia.zeros(2, 2, 2), glia.zeros(2, 2, 4)
    # h0 has proj_size features, c0 hidden_size
    check_raises(lambda: lstm(x, (c, c)), ValueError, "LSTM", "h0", "(2, 2, 2)")
    check_raises(lambda: lstm(x, (h, h)), ValueError, "LSTM", "c0", "(2, 2, 4)")
    out, (h_n, c_n) = lstm(x, (h, c))
    assert _shape(out) == (5, 2, 2) and _shape(h_n) == (2, 2, 2) and _shape(c_n) == (2, 2, 4)


# ---- cells ----

CELLS = {"lstm": ("LSTMCell", {}), "gru": ("GRUCell", {}), "rnn_tanh": ("RNNCell", {}),
         "rnn_relu": ("RNNCell", {"nonlinearity": "relu"})}


@pytest.mark.parametrize("mode", list(CELLS))
@pytest.mark.parametrize("batched,with_state", [(True, True), (True, False), (False, True)])
def test_cell_matches_torch(mode, batched, with_state):
    cls, extra = CELLS[mode]
    tc = getattr(torch.nn, cls)(3, 4, **extra).double()
    gc = getattr(glia.nn, cls)(3, 4, **extra, dtype=glia.float64)
    load_from_torch(gc, tc)
    lead = (2,) if batched else ()
    x = randn(*lead, 3)
    gx, tx = to_glia(x, True), torch.tensor(x, requires_grad=True)
    hs = [randn(*lead, 4) for _ in range(2 if mode == "lstm" else 1)] if with_state else None
    g_h = [to_glia(h, True) for h in hs] if hs else None
    t_h = [torch.tensor(h, requires_grad=True) for h in hs] if hs else None
    arg = lambda s: None if s is None else (tuple(s) if mode == "lstm" else s[0])  # noqa: E731
    g_out, t_out = gc(gx, arg(g_h)), tc(tx, arg(t_h))
    g_out = list(g_out) if mode == "lstm" else [g_out]
    t_out = list(t_out) if mode == "lstm" else [t_out]
    cot = [randn(*t.shape) for t in t_out]
    sum((g * to_glia(c)).sum() for g, c in zip(g_out, cot)).backward()
    sum((t * torch.tensor(c)).sum() for t, c in zip(t_out, cot)).backward()
    for g, t in zip(g_out, t_out):
        assert_np(g, t)
    assert_np(gx.grad, tx.grad)
    for g, t in zip(g_h or [], t_h or []):
        assert_np(g.grad, t.grad)
    for name, p in tc.named_parameters():
        assert_np(dict(gc.named_parameters())[name].grad, p.grad)


@pytest.mark.parametrize("mode", list(CELLS))
def test_cell_gradcheck(mode):
    cls, extra = CELLS[mode]
    cell = getattr(glia.nn, cls)(2, 3, **extra, dtype=glia.float64)
    params = [cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh]
    n_state = 2 if mode == "lstm" else 1

    def fn(x, *rest):
        st, ws = rest[:n_state], rest[n_state:]
        y = _C.rnn_layer(mode, x.unsqueeze(0), st[0].unsqueeze(0),
                         st[1].unsqueeze(0) if n_state == 2 else None, [ws])
        return y[1:]

    arrays = [randn(2, 2)] + [randn(2, 3) for _ in range(n_state)] + [p.detach().numpy() for p in params]
    gradcheck(fn, *arrays)


# ---- the fused op itself ----

@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("directions", [1, 2])
@pytest.mark.parametrize("with_lengths", [False, True])
def test_rnn_layer_gradcheck(mode, directions, with_lengths):
    G = {"lstm": 4, "gru": 3}.get(mode, 1)
    T, B, I, H = 4, 3, 2, 3
    lengths = glia.tensor(np.array([4, 1, 3])) if with_lengths else None
    n_state = 2 if mode == "lstm" else 1

    def fn(x, *rest):
        st, ws = rest[:n_state], rest[n_state:]
        params = [ws[4 * d:4 * d + 4] for d in range(directions)]
        return _C.rnn_layer(mode, x, st[0], st[1] if n_state == 2 else None, params, lengths)

    arrays = [randn(T, B, I)] + [randn(directions, B, H) for _ in range(n_state)]
    for _ in range(directions):
        arrays += [randn(G * H, I) * 0.5, randn(G * H, H) * 0.5, randn(G * H), randn(G * H)]
    gradcheck(fn, *arrays)


@pytest.mark.parametrize("mode", ["lstm", "rnn_tanh", "rnn_relu"])
@pytest.mark.parametrize("directions", [1, 2])
@pytest.mark.parametrize("lengths", [None, [4, 1, 3], [4, 0, 2]])
def test_rnn_layer_first_hh_gradcheck(mode, directions, lengths):
    # first_hh: each sequence's first recurrent product given directly (in reverse, at its
    # last valid step); its gradient is the hidden-side dG of that step
    G = {"lstm": 4, "gru": 3}.get(mode, 1)
    T, B, I, H = 4, 3, 2, 3
    lens = glia.tensor(np.array(lengths)) if lengths else None

    def fn(x, first_hh, *ws):
        params = [ws[4 * d:4 * d + 4] for d in range(directions)]
        return _C.rnn_layer(mode, x, None, None, params, lens, first_hh)

    arrays = [randn(T, B, I), randn(directions, B, G * H)]
    for _ in range(directions):
        arrays += [randn(G * H, I) * 0.5, randn(G * H, H) * 0.5, randn(G * H), randn(G * H)]
    gradcheck(fn, *arrays)


@pytest.mark.parametrize("mode", ["lstm", "rnn_tanh"])
@pytest.mark.parametrize("split", ["batch slices", "unit slices", "one direction per thread"])
@pytest.mark.parametrize("threads", [1, 2, 3])
def test_rnn_layer_first_hh_of_h0_is_h0(mode, split, threads, restore_threads):
    # first_hh = h0 W_hh^T gives h0's outputs, final cell states and gradients, with sequences
    # of every length (reverse ones start at their last valid step) on every thread split
    glia.set_num_threads(threads)
    H, B, T, bidir = SPLITS[split]
    G, D = {"lstm": 4, "gru": 3}.get(mode, 1), 2 if bidir else 1
    x, h0 = randn(T, B, 3), randn(D, B, H)
    c0 = randn(D, B, H) if mode == "lstm" else None
    params = [[randn(G * H, 3) * 0.3, randn(G * H, H) * 0.3, randn(G * H), randn(G * H)]
              for _ in range(D)]
    lengths = glia.tensor(np.random.default_rng(B).integers(0, T + 1, size=B))
    cot = randn(T, B, D * H)
    results = []
    for given in ("h0", "first_hh"):
        gx, gh0 = to_glia(x, True), to_glia(h0, True)
        gc0 = to_glia(c0, True) if c0 is not None else None
        gp = [tuple(to_glia(w, True) for w in p) for p in params]
        if given == "h0":
            y = _C.rnn_layer(mode, gx, gh0, gc0, gp, lengths)
        else:
            first = glia.stack([gh0[d] @ gp[d][1].t() for d in range(D)])
            y = _C.rnn_layer(mode, gx, None, gc0, gp, lengths, first)
        loss = (y[:T] * to_glia(cot)).sum()
        if c0 is not None:
            loss = loss + (y[T + 1] * to_glia(cot[0])).sum()
        loss.backward()
        grads = [gx.grad, gh0.grad] + ([gc0.grad] if c0 is not None else [])
        results.append([y[:T]] + ([y[T + 1]] if c0 is not None else []) + grads
                       + [w.grad for p in gp for w in p])
    for a, b in zip(*results):
        assert_np(a, b, atol=1e-10, rtol=1e-8)


def test_rnn_layer_first_hh_errors():
    x, h0, w = to_glia(randn(2, 3, 2)), to_glia(randn(1, 3, 4)), to_glia(randn(16, 2))
    params = [(w, to_glia(randn(16, 4)), None, None)]
    check_raises(lambda: _C.rnn_layer("lstm", x, h0, None, params, None, to_glia(randn(1, 3, 16))),
                 ValueError, "lstm", "h0 or first_hh")
    check_raises(lambda: _C.rnn_layer("lstm", x, None, None, params, None, to_glia(randn(1, 3, 4))),
                 ValueError, "lstm", "first_hh", "(1, 3, 16)", "(1, 3, 4)")
    gru = [(to_glia(randn(12, 2)), to_glia(randn(12, 4)), None, None)]
    check_raises(lambda: _C.rnn_layer("gru", x, None, None, gru, None, to_glia(randn(1, 3, 12))),
                 ValueError, "gru", "first_hh", "h0")


@pytest.mark.parametrize("mode", list(MODES))
def test_rnn_layer_reads_transposed_weights(mode):
    # the kernels read raw weight memory: a transposed (strided) view must give the same
    # outputs and gradients as its contiguous copy
    G = {"lstm": 4, "gru": 3}.get(mode, 1)
    x = glia.tensor(randn(5, 3, 4), requires_grad=True)
    w_ih, w_hh = randn(4, G * 6), randn(6, G * 6)  # stored transposed
    results = []
    for strided in (False, True):
        ws = [glia.tensor(w if strided else np.ascontiguousarray(w.T), requires_grad=True)
              for w in (w_ih, w_hh)]
        used = [w.t() if strided else w for w in ws]
        y = _C.rnn_layer(mode, x, None, None, [(used[0], used[1], None, None)], None)
        (y * glia.tensor(np.arange(y.numel()).reshape(y.shape) % 7)).sum().backward()
        results.append([y.detach().numpy(), x.grad.numpy()] + [w.grad.numpy().T if strided else w.grad.numpy() for w in ws])
        x.grad = None
    for a, b in zip(*results):
        assert_np(a, b)


@pytest.mark.parametrize("mode", ["lstm", "gru"])
def test_rnn_layer_zero_length_sequences_keep_their_state(mode):
    # torch's packing refuses length 0; the op takes it: no output, the state passes through
    # (with its gradient), and the other sequences are as if it were not in the batch
    G, n_state, H = (4, 2, 5) if mode == "lstm" else (3, 1, 5)
    x = randn(4, 3, 2)
    st = [randn(2, 3, H) for _ in range(n_state)]
    params = [[randn(G * H, 2), randn(G * H, H), randn(G * H), randn(G * H)] for _ in range(2)]
    cot = randn(4 + n_state, 3, 2 * H)

    def run(batch, lengths):
        gx = glia.tensor(x[:, batch], requires_grad=True)
        gs = [glia.tensor(s[:, batch], requires_grad=True) for s in st]
        gp = [tuple(glia.tensor(w) for w in p) for p in params]
        y = _C.rnn_layer(mode, gx, gs[0], gs[1] if n_state == 2 else None, gp,
                         glia.tensor(np.array(lengths)))
        (y * glia.tensor(cot[:, batch])).sum().backward()
        return y.detach().numpy(), gx.grad.numpy(), [s.grad.numpy() for s in gs]

    y, gx, gs = run([0, 1, 2], [4, 0, 3])
    y2, gx2, gs2 = run([0, 2], [4, 3])
    assert_np(y[:, [0, 2]], y2)
    assert_np(gx[:, [0, 2]], gx2)
    for a, b in zip(gs, gs2):
        assert_np(a[:, [0, 2]], b)
    assert np.all(y[:4, 1] == 0) and np.all(gx[:, 1] == 0)
    for k in range(n_state):  # final state row 4 + k: (B, D*H), the directions side by side
        final = y[4 + k, 1].reshape(2, H)
        assert_np(final, st[k][:, 1])
        assert_np(gs[k][:, 1], cot[4 + k, 1].reshape(2, H))


def test_rnn_layer_packs_outputs_and_final_states():
    x, h0, c0 = randn(3, 2, 2), randn(2, 4), randn(2, 4)
    w_ih, w_hh = randn(16, 2), randn(16, 4)
    y = _C.rnn_layer("lstm", to_glia(x), to_glia(h0[None]), to_glia(c0[None]),
                     [(to_glia(w_ih), to_glia(w_hh), None, None)])
    assert tuple(y.shape) == (5, 2, 4)
    tm = torch.nn.LSTM(2, 4, bias=False).double()
    tm.load_state_dict({"weight_ih_l0": torch.tensor(w_ih), "weight_hh_l0": torch.tensor(w_hh)})
    out, (h, c) = tm(torch.tensor(x), (torch.tensor(h0)[None], torch.tensor(c0)[None]))
    assert_np(y[:3], out)
    assert_np(y[3], h[0])
    assert_np(y[4], c[0])


def test_rnn_layer_runs_both_directions_side_by_side():
    T, B, I, H = 4, 3, 2, 5
    tm = torch.nn.LSTM(I, H, bidirectional=True).double()
    x, h0, c0 = randn(T, B, I), randn(2, B, H), randn(2, B, H)
    params = [tuple(to_glia(getattr(tm, n + sfx).detach().numpy())
                    for n in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"))
              for sfx in ("", "_reverse")]
    y = _C.rnn_layer("lstm", to_glia(x), to_glia(h0), to_glia(c0), params)
    assert tuple(y.shape) == (T + 2, B, 2 * H)
    out, (h, c) = tm(torch.tensor(x), (torch.tensor(h0), torch.tensor(c0)))
    assert_np(y[:T], out)
    for d in range(2):  # final states of direction d in columns [d * H, (d + 1) * H)
        assert_np(y[T][:, d * H:(d + 1) * H], h[d])
        assert_np(y[T + 1][:, d * H:(d + 1) * H], c[d])


# ---- dropout between layers ----

def test_dropout_eval_matches_torch_and_train_is_random():
    gm, tm = make_pair("lstm", 3, 4, num_layers=3, dropout=0.5)
    gm.eval()
    tm.eval()
    compare("lstm", gm, tm, randn(5, 2, 3))
    gm.train()
    x = to_glia(randn(5, 2, 3))
    a, b = gm(x)[0].detach().numpy(), gm(x)[0].detach().numpy()
    assert not np.allclose(a, b)
    gm.eval()
    assert not np.allclose(a, gm(x)[0].detach().numpy())


def test_dropout_one_zeroes_the_next_layer_input():
    # with p = 1 layer 2 sees zeros, so the output is layer 2 run on a zero sequence
    gm = glia.nn.GRU(3, 4, num_layers=2, dropout=1.0, dtype=glia.float64)
    top = glia.nn.GRU(4, 4, dtype=glia.float64)
    top.load_state_dict({k.replace("_l1", "_l0"): v for k, v in gm.state_dict().items() if "_l1" in k})
    out = gm(to_glia(randn(5, 2, 3)))[0]
    np.testing.assert_allclose(out.detach().numpy(), top(glia.zeros(5, 2, 4, dtype=glia.float64))[0].detach().numpy(),
                               atol=1e-12)


def test_dropout_is_not_applied_after_the_last_layer():
    gm = glia.nn.RNN(3, 4, num_layers=1, dropout=0.9, dtype=glia.float64)
    x = to_glia(randn(4, 2, 3))
    np.testing.assert_array_equal(gm(x)[0].detach().numpy(), gm.eval()(x)[0].detach().numpy())


# ---- vanishing and exploding gradients ----

def early_to_late_ratio(layer, T=50):
    x = glia.randn(T, 4, 8, requires_grad=True)
    layer(x)[0][-1].sum().backward()
    g = np.linalg.norm(x.grad.numpy(), axis=(1, 2))
    return g[0] / g[-1]


def test_gradients_vanish_through_a_plain_rnn_but_not_an_lstm():
    glia.manual_seed(0)
    rnn_ratio = early_to_late_ratio(glia.nn.RNN(8, 32))
    lstm = glia.nn.LSTM(8, 32)
    with glia.no_grad():  # forget-gate bias 1 (in b_ih; b_hh keeps its small default)
        lstm.bias_ih_l0.copy_(glia.cat([lstm.bias_ih_l0[:32], glia.ones(32), lstm.bias_ih_l0[64:]]))
    lstm_ratio = early_to_late_ratio(lstm)
    assert rnn_ratio < 1e-8  # 50 tanh steps with |W_hh| < 1: the early signal is gone
    assert lstm_ratio > 1e4 * rnn_ratio  # the cell path keeps orders of magnitude more
    saturated = glia.nn.LSTM(8, 32)
    with glia.no_grad():  # forget gate near 1: the cell carries gradient almost unchanged
        saturated.bias_ih_l0.copy_(glia.cat([saturated.bias_ih_l0[:32], glia.full((32,), 4.0),
                                             saturated.bias_ih_l0[64:]]))
    assert early_to_late_ratio(saturated) > 1e-2


def test_clip_grad_norm_bounds_an_exploding_relu_rnn():
    rnn = glia.nn.RNN(4, 16, nonlinearity="relu", bias=False)
    with glia.no_grad():
        rnn.weight_hh_l0.copy_(glia.eye(16) * 1.5 + glia.rand(16, 16) * 0.05)
    x = glia.rand(40, 2, 4)
    rnn(x)[0][-1].sum().backward()
    total = float(glia.nn.utils.clip_grad_norm_(rnn.parameters(), 1.0))
    assert total > 1e6  # 1.5^40 growth
    after = np.sqrt(sum(float((p.grad * p.grad).sum()) for p in rnn.parameters()))
    assert after <= 1.0 + 1e-4


# ---- errors ----

def test_layer_errors():
    lstm = glia.nn.LSTM(3, 4, num_layers=2)
    check_raises(lambda: lstm(glia.zeros(2, 3, 4, 3)), ValueError, "LSTM", "2-D (unbatched) or 3-D", "(2, 3, 4, 3)")
    check_raises(lambda: lstm(glia.zeros(5, 2, 7)), ValueError, "LSTM", "input_size", "Expected 3, got 7")
    h = glia.zeros(1, 2, 4)
    check_raises(lambda: lstm(glia.zeros(5, 2, 3), (h, h)), ValueError, "LSTM", "(2, 2, 4)", "(1, 2, 4)")
    check_raises(lambda: lstm(glia.zeros(5, 2, 3), h), ValueError, "LSTM", "tuple")
    gru = glia.nn.GRU(3, 4)
    check_raises(lambda: gru(glia.zeros(5, 2, 3), lengths=[6, 1]), ValueError, "GRU", "lengths", "[0, 5]")
    check_raises(lambda: gru(glia.zeros(5, 2, 3), lengths=[1]), ValueError, "GRU", "lengths")
    check_raises(lambda: gru(glia.zeros(5, 2, 3, dtype=glia.float64)), TypeError, "GRU", "float64")
    check_raises(lambda: glia.nn.RNN(3, 4, nonlinearity="sigmoid"), ValueError, "RNN", "nonlinearity")
    check_raises(lambda: glia.nn.LSTM(3, 0), ValueError, "LSTM", "hidden_size")
    check_raises(lambda: glia.nn.GRU(3, 4, num_layers=0), ValueError, "GRU", "num_layers")
    check_raises(lambda: glia.nn.GRU(3, 4, dropout=1.5), ValueError, "GRU", "dropout")
    cell = glia.nn.LSTMCell(3, 4)
    check_raises(lambda: cell(glia.zeros(2, 5)), ValueError, "LSTMCell", "input_size=3")
    check_raises(lambda: cell(glia.zeros(2, 3), (glia.zeros(2, 5), glia.zeros(2, 4))), ValueError,
                 "LSTMCell", "(2, 4)")


def test_packing_errors():
    x = glia.zeros(4, 3, 2)
    check_raises(lambda: grnn.pack_padded_sequence(x, [2, 3, 1]), ValueError, "sorted in decreasing order",
                 "[2, 3, 1]")
    check_raises(lambda: grnn.pack_padded_sequence(x, [5, 3, 1]), ValueError, "[1, 4]", "[5, 3, 1]")
    check_raises(lambda: grnn.pack_padded_sequence(x, [3, 0, 0]), ValueError, "[1, 4]")
    check_raises(lambda: grnn.pack_padded_sequence(x, [3, 2]), ValueError, "expected 3 lengths")
    p = grnn.pack_padded_sequence(x, [4, 3, 1])
    check_raises(lambda: grnn.pad_packed_sequence(p, total_length=2), ValueError, "total_length=2")


def test_rnn_layer_errors():
    x, w_ih, w_hh = glia.zeros(3, 2, 5), glia.zeros(8, 5), glia.zeros(8, 2)

    def run(mode, x, w_ih, w_hh, h0=None, c0=None, b_ih=None, lengths=None, directions=1):
        return _C.rnn_layer(mode, x, h0, c0, [(w_ih, w_hh, b_ih, None)] * directions, lengths)

    check_raises(lambda: run("lstm", glia.zeros(3, 5), w_ih, w_hh), ValueError, "lstm", "3-D", "(3, 5)")
    check_raises(lambda: run("lstm", glia.zeros(0, 2, 5), w_ih, w_hh), ValueError, "lstm", "at least 1")
    check_raises(lambda: run("lstm", x, glia.zeros(7, 5), w_hh), ValueError, "lstm", "weight_ih", "(7, 5)")
    check_raises(lambda: run("gru", x, glia.zeros(6, 4), glia.zeros(6, 2)), ValueError, "gru",
                 "weight_ih", "(6, 4)")
    check_raises(lambda: run("lstm", x, w_ih, glia.zeros(8, 3)), ValueError, "lstm", "weight_hh",
                 "(8, 2)", "(8, 3)")
    check_raises(lambda: run("lstm", x, w_ih, w_hh, h0=glia.zeros(2, 2)), ValueError, "lstm", "h0",
                 "(1, 2, 2)", "(2, 2)")
    check_raises(lambda: run("lstm", x, w_ih, w_hh, h0=glia.zeros(1, 2, 2), directions=2), ValueError,
                 "lstm", "h0", "(2, 2, 2)", "(1, 2, 2)")
    check_raises(lambda: run("gru", x, glia.zeros(6, 5), glia.zeros(6, 2), c0=glia.zeros(1, 2, 2)),
                 ValueError, "gru", "c0")
    check_raises(lambda: run("lstm", x, w_ih, w_hh, b_ih=glia.zeros(8, dtype=glia.float64)), TypeError,
                 "lstm", "bias_ih", "float64")
    check_raises(lambda: run("lstm", x, w_ih, w_hh, lengths=glia.tensor([1.0, 2.0])), TypeError, "lstm",
                 "lengths", "int64")
    check_raises(lambda: run("lstm", x, w_ih, w_hh, lengths=glia.tensor([1, 4])), ValueError, "lstm",
                 "lengths[1] = 4", "[0, 3]")
    check_raises(lambda: run("lstm", glia.zeros(3, 2, 5, dtype=glia.int64), w_ih, w_hh), TypeError, "lstm")
    check_raises(lambda: run("conv", x, w_ih, w_hh), ValueError, "rnn_layer", "'conv'")
    check_raises(lambda: run("lstm", x, w_ih, w_hh, directions=3), ValueError, "lstm", "1 or 2", "3")
    check_raises(lambda: run("lstm", x, w_ih, w_hh, directions=0), ValueError, "lstm", "1 or 2", "0")


def test_bias_gradients_are_separate_tensors():
    # b_ih and b_hh get equal gradients (except GRU's n gate); they must not share memory
    lstm = glia.nn.LSTM(2, 3)
    lstm(glia.randn(4, 2, 2))[0].sum().backward()
    before = lstm.bias_hh_l0.grad.numpy().copy()
    lstm.bias_ih_l0.grad.mul_(0)
    np.testing.assert_array_equal(lstm.bias_hh_l0.grad.numpy(), before)


def test_initial_state_changed_after_the_forward_keeps_gradients_right():
    # h0 is copied into the op's own state buffer, so updating it in place (carrying the
    # state to the next batch) must not invalidate this batch's backward.
    torch.manual_seed(0)
    t_gru = torch.nn.GRU(3, 4).double()
    g_gru = glia.nn.GRU(3, 4, dtype=glia.float64)
    load_from_torch(g_gru, t_gru)
    x, h = randn(5, 2, 3), randn(1, 2, 4)
    gx, gh = glia.tensor(x, requires_grad=True), glia.tensor(h)
    out, hn = g_gru(gx, gh)
    with glia.no_grad():
        gh.copy_(hn)
    out.sum().backward()
    tx = torch.tensor(x, requires_grad=True)
    t_gru(tx, torch.tensor(h))[0].sum().backward()
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    # a given h0 that needs no gradient: every step's W_hh rows count, dh0 is not computed
    g_params = dict(g_gru.named_parameters())
    for name, p in t_gru.named_parameters():
        assert_np(g_params[name].grad, p.grad)
