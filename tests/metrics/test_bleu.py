"""BLEU against cases worked out by hand (and NLTK when it happens to be installed)."""
import math

import pytest
from glia.metrics import corpus_bleu, sentence_bleu
from helpers import check_raises

REF = "the cat is on the mat"
HYP = "the cat sat on the mat"
# matches by order, worked out by hand for HYP against REF (both 6 tokens, so BP = 1):
#   1-grams: the x2, cat, on, mat           5 / 6
#   2-grams: the cat, on the, the mat       3 / 5
#   3-grams: on the mat                     1 / 4
#   4-grams: none                           0 / 3


def test_hand_computed_sentence():
    assert sentence_bleu([REF], HYP) == 0.0  # no 4-gram matches, no smoothing
    assert sentence_bleu([REF], HYP, max_n=2) == pytest.approx(math.sqrt(5 / 6 * 3 / 5))
    assert sentence_bleu([REF], HYP, max_n=3) == pytest.approx((5 / 6 * 3 / 5 * 1 / 4) ** (1 / 3))
    # epsilon smoothing counts 0.1 matches for the empty 4-gram order
    assert sentence_bleu([REF], HYP, smoothing="epsilon") == pytest.approx(
        (5 / 6 * 3 / 5 * 1 / 4 * 0.1 / 3) ** 0.25)
    # add-one smoothing on orders 2..4: 4/6, 2/5, 1/4
    assert sentence_bleu([REF], HYP, smoothing="add1") == pytest.approx(
        (5 / 6 * 4 / 6 * 2 / 5 * 1 / 4) ** 0.25)
    assert sentence_bleu([REF], REF) == 1.0
    assert sentence_bleu([REF.split()], HYP.split(), max_n=2, weights=[1, 0]) == \
        pytest.approx(5 / 6)


def test_clipping_and_brevity_penalty():
    # 7 x 'the' against a reference that has 'the' twice: 2 / 7, and c = 7 > r = 6
    assert sentence_bleu([REF], "the " * 7, max_n=1) == pytest.approx(2 / 7)
    # a 2-token hypothesis against 6 reference tokens: all n-grams match, BP = e^(1 - 6/2)
    assert sentence_bleu([REF], "the cat", max_n=2) == pytest.approx(math.exp(-2))
    # two references of lengths 4 and 6 for a 5-token hypothesis: the shorter one is the
    # closest on a tie, so r = 4 < c = 5 and there is no penalty
    refs = ["on the mat sat", "the cat is on the mat"]
    assert sentence_bleu(refs, "the cat on the mat", max_n=1) == pytest.approx(1.0)
    # clipping takes the most any single reference has: 'the' twice in the second one
    assert sentence_bleu(["the cat", "the the cat"], "the the the", max_n=1) == \
        pytest.approx(2 / 3 * math.exp(1 - 3 / 3))


def test_corpus_bleu_sums_counts_before_dividing():
    # sentence 1 as above; sentence 2 is a perfect 2-token match; totals: 7/8 and 4/6
    got = corpus_bleu([[REF], ["the cat"]], [HYP, "the cat"], max_n=2)
    assert got == pytest.approx(math.sqrt(7 / 8 * 4 / 6))
    mean_of_sentences = (sentence_bleu([REF], HYP, max_n=2) + 1.0) / 2
    assert got != pytest.approx(mean_of_sentences)


def test_matches_nltk():
    import nltk.translate.bleu_score as bleu
    other, short = "there is a cat on the mat", "a b c d e f"
    refs = [[REF.split(), other.split()], [short.split()]]
    hyps = [HYP.split(), ["a", "b", "c", "d", "x", "f", "g"]]
    smooth = bleu.SmoothingFunction()
    assert corpus_bleu(refs, hyps, smoothing="epsilon") == pytest.approx(
        bleu.corpus_bleu(refs, hyps, smoothing_function=smooth.method1))
    assert corpus_bleu(refs, hyps, smoothing="add1") == pytest.approx(
        bleu.corpus_bleu(refs, hyps, smoothing_function=smooth.method2))


def test_bad_arguments():
    check_raises(lambda: corpus_bleu([[REF]], [HYP, HYP]), ValueError, "corpus_bleu",
                 "1 reference lists for 2 hypotheses")
    check_raises(lambda: sentence_bleu([REF], HYP, smoothing="magic"), ValueError, "smoothing")
    check_raises(lambda: sentence_bleu([REF], HYP, weights=[1.0]), ValueError, "1 weights")
    check_raises(lambda: sentence_bleu([], HYP), ValueError, "no references")
    check_raises(lambda: sentence_bleu([REF], 5), TypeError, "hypothesis")
