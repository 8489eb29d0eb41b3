"""The fused attention op's operands: broadcast (stride-0) keys and values large enough for
BLAS, masks that need a gradient, and masks changed in place after the forward."""
import numpy as np
import torch
import torch.nn.functional as TF

import glia
import glia.nn.functional as F
from glia import _C
from helpers import assert_close, check_raises, randn


def test_sdpa_with_keys_and_values_expanded_along_the_sequence():
    # one key / value row repeated: row stride 0, which BLAS rejects as a leading dim
    q, k_row, v_row = randn(64, 64), randn(1, 64), randn(1, 64)
    gq, tq = glia.tensor(q), torch.from_numpy(q)
    gk, gv = glia.tensor(k_row).expand(64, 64), glia.tensor(v_row).expand(64, 64)
    tk, tv = torch.from_numpy(k_row).expand(64, 64), torch.from_numpy(v_row).expand(64, 64)
    assert_close(F.scaled_dot_product_attention(gq, gk, gv),
                 TF.scaled_dot_product_attention(tq, tk, tv), rtol=1e-10, atol=1e-12)


def test_sdpa_with_queries_expanded_along_the_sequence():
    # stride-0 rows of the scores' left operand, against distinct keys and values (with one
    # key row every score row is equal, so that case cannot show a wrong product); gradients
    q_row, k, v = randn(1, 64), randn(64, 64), randn(64, 64)
    gq_row = glia.tensor(q_row, requires_grad=True)
    gk, gv = glia.tensor(k, requires_grad=True), glia.tensor(v, requires_grad=True)
    tq_row = torch.tensor(q_row, requires_grad=True)
    tk, tv = torch.tensor(k, requires_grad=True), torch.tensor(v, requires_grad=True)
    go = F.scaled_dot_product_attention(gq_row.expand(64, 64), gk, gv)
    to = TF.scaled_dot_product_attention(tq_row.expand(64, 64), tk, tv)
    assert_close(go, to, rtol=1e-10, atol=1e-12)
    cot = randn(64, 64)
    (go * glia.tensor(cot)).sum().backward()
    (to * torch.from_numpy(cot)).sum().backward()
    for g, t in ((gq_row, tq_row), (gk, tk), (gv, tv)):
        assert_close(g.grad, t.grad, rtol=1e-9, atol=1e-11)


def test_fused_op_refuses_a_mask_that_needs_a_gradient():
    q = glia.randn(2, 3, 4, requires_grad=True)
    mask = glia.zeros(3, 3, requires_grad=True)
    check_raises(lambda: _C.scaled_dot_product_attention(q, q, q, mask, False, None),
                 RuntimeError, "attn_mask requires grad")
    # the functional form (and MultiheadAttention, which goes through it) composes the op
    # instead and gives the mask its gradient
    out = F.scaled_dot_product_attention(q, q, q, attn_mask=mask)
    out.sum().backward()
    tq = torch.tensor(q.detach().numpy(), requires_grad=True)
    tm = torch.zeros(3, 3, requires_grad=True)
    TF.scaled_dot_product_attention(tq, tq, tq, attn_mask=tm).sum().backward()
    assert_close(mask.grad, tm.grad)


def test_mask_changed_in_place_after_the_forward_is_caught():
    q = glia.randn(1, 4, 8, requires_grad=True)
    mask = glia.zeros(4, 4)
    out = F.scaled_dot_product_attention(q, q, q, attn_mask=mask)
    with glia.no_grad():
        mask.fill_(-1e9)
    check_raises(lambda: out.sum().backward(), RuntimeError, "modified by an in-place")
    assert np.isfinite(out.detach().numpy()).all()
