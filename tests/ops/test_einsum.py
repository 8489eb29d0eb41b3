"""einsum against PyTorch: matrix and batched products, attention scores, outer products,
transposes, reductions, chains of three operands, implicit outputs, '...' broadcasting,
size-0 and size-1 dims, diagonals (a subscript repeated within a term); values and gradients (non-contiguous inputs too), float64
gradchecks, int64, errors."""
import numpy as np
import pytest
import torch

import glia
from helpers import check_op, check_raises, gradcheck, randn, to_glia

CASES = {
    "matmul": ("ij,jk->ik", [(3, 4), (4, 5)]),
    "implicit": ("ij,jk", [(3, 4), (4, 5)]),
    "bmm": ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    "attention_scores": ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)]),
    "attention_values": ("bhqk,bhkd->bhqd", [(2, 3, 4, 6), (2, 3, 6, 5)]),
    "dot": ("i,i->", [(4,), (4,)]),
    "outer": ("i,j->ij", [(3,), (4,)]),
    "outer_implicit": ("i,j", [(2,), (3,)]),
    "transpose": ("ijk->kji", [(2, 3, 4)]),
    "sum_all": ("ij->", [(3, 4)]),
    "sum_rows": ("ij->j", [(3, 4)]),
    "hadamard": ("ij,ij->ij", [(3, 4), (3, 4)]),
    "batch_outer": ("bi,bj->bij", [(2, 3), (2, 4)]),
    "matvec": ("ij,j->i", [(3, 4), (4,)]),
    "chain": ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    "chain_sums": ("abc,cd,de->abe", [(2, 3, 4), (4, 5), (5, 2)]),
    "three_way": ("i,i,i->i", [(4,), (4,), (4,)]),
    "ellipsis": ("...ij,...jk->...ik", [(2, 3, 4), (4, 5)]),
    "ellipsis_broadcast": ("...ij,...jk", [(2, 1, 3, 4), (3, 4, 5)]),
    "ellipsis_front": ("i...,i...->...", [(3, 2, 2), (3, 2, 2)]),
    "upper_case": ("Ab,bC->AC", [(2, 3), (3, 4)]),
    "spaces": ("b i j , b j k -> b i k", [(2, 3, 4), (2, 4, 5)]),
    "size1_broadcast": ("ij,jk->ik", [(3, 1), (4, 5)]),
    "empty_rows": ("ij,jk->ik", [(0, 4), (4, 5)]),
    "empty_inner": ("ij,jk->ik", [(3, 0), (0, 5)]),
    "scalar_operand": (",ij->ij", [(), (2, 3)]),
    "implicit_mixed_case": ("bA,Ac", [(2, 3), (3, 4)]),
    "trace": ("ii", [(4, 4)]),
    "diagonal": ("ii->i", [(3, 3)]),
    "batch_diagonal": ("bii->bi", [(2, 4, 4)]),
    "batch_trace": ("bii->b", [(2, 3, 3)]),
    "diagonal_inner": ("iji->j", [(3, 2, 3)]),
    "diagonal_times": ("ii,i->i", [(3, 3), (3,)]),
    "diagonal_keep": ("iij->ij", [(2, 2, 3)]),
    "triple_repeat": ("iii->i", [(3, 3, 3)]),
    "diag_of_product": ("ij,ji->i", [(3, 4), (4, 3)]),
}


def test_einsum_of_one_tensor_twice():
    a = randn(4, 3)
    check_op(lambda x: glia.einsum("ij,ij->j", x, x), lambda x: torch.einsum("ij,ij->j", x, x), a)


@pytest.mark.parametrize("case", list(CASES))
def test_einsum_matches_torch(case):
    eq, shapes = CASES[case]
    arrays = [randn(*s) for s in shapes]
    check_op(lambda *xs: glia.einsum(eq, *xs), lambda *xs: torch.einsum(eq, *xs), *arrays)
    # the operands as one list, as torch also takes them
    out = glia.einsum(eq, [to_glia(a) for a in arrays])
    np.testing.assert_allclose(out.numpy(), torch.einsum(eq, *map(torch.tensor, arrays)).numpy(),
                               rtol=1e-10, atol=1e-12)


def test_einsum_gradcheck_and_int64():
    gradcheck(lambda a, b: glia.einsum("bij,bkj->bik", a, b), randn(2, 3, 4), randn(2, 5, 4))
    gradcheck(lambda a, b, c: glia.einsum("ij,jk,k->i", a, b, c), randn(2, 3), randn(3, 4),
              randn(4))
    gradcheck(lambda a: glia.einsum("...ij->...j", a), randn(2, 3, 4))
    gradcheck(lambda a, b: glia.einsum("bii,bi->b", a, b), randn(2, 3, 3), randn(2, 3))
    a, b = np.arange(6).reshape(2, 3), np.arange(12).reshape(3, 4)
    check_op(lambda x, y: glia.einsum("ij,jk->ik", x, y), lambda x, y: torch.einsum("ij,jk->ik", x, y),
             a, b)


def test_einsum_errors():
    a, b = glia.zeros(3, 4), glia.zeros(5, 6)
    check_raises(lambda: glia.einsum("ij,jk->ik", a), ValueError, "einsum", "2 terms", "1 operands")
    check_raises(lambda: glia.einsum("ij,jk->ik", a, b), ValueError, "einsum", "'j'", "4", "5")
    check_raises(lambda: glia.einsum("ijk->i", a), ValueError, "einsum", "3 subscripts", "(3, 4)")
    check_raises(lambda: glia.einsum("ii->i", glia.zeros(3, 4)), ValueError, "einsum", "'i'",
                 "repeats", "3", "4")
    check_raises(lambda: glia.einsum("ij->iz", a), ValueError, "einsum", "'z'", "no input")
    check_raises(lambda: glia.einsum("ij->ii", a), ValueError, "einsum", "repeats")
    check_raises(lambda: glia.einsum("i1->i", a), ValueError, "einsum", "'1'", "letter")
    check_raises(lambda: glia.einsum("...i...->i", a), ValueError, "einsum", "'...'")
    letters = "".join(chr(c) for c in list(range(65, 91)) + list(range(97, 123)))
    check_raises(lambda: glia.einsum(letters[:51] + "...->", glia.zeros(*([1] * 53))), ValueError,
                 "einsum", "'...'", "letters")
