"""glia.metrics classification metrics against scikit-learn on random labels."""
import warnings

import glia
import numpy as np
import pytest
from glia import metrics
from helpers import check_raises

import sklearn.metrics as skm


def random_labels(n, classes, seed, skip=None):
    """True and predicted labels; `skip` is a class that is never predicted."""
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, classes, n)
    y_pred = np.where(rng.random(n) < 0.6, y_true, rng.integers(0, classes, n))
    if skip is not None:
        y_pred[y_pred == skip] = (skip + 1) % classes
    return y_true, y_pred


def sk(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn warns on zero division; glia is silent
        return fn(*args, **kwargs)


CASES = [(2, 0, None), (3, 1, None), (5, 2, 3), (10, 3, 0), (7, 4, None)]


@pytest.mark.parametrize("classes,seed,skip", CASES)
def test_accuracy_and_confusion_matrix(classes, seed, skip):
    y_true, y_pred = random_labels(200, classes, seed, skip)
    assert metrics.accuracy(y_true, y_pred) == pytest.approx(skm.accuracy_score(y_true, y_pred))
    cm = metrics.confusion_matrix(y_true, y_pred)
    assert cm.dtype == np.int64
    np.testing.assert_array_equal(cm, skm.confusion_matrix(y_true, y_pred))
    labels = list(range(classes))[::-1][: max(2, classes - 1)]
    np.testing.assert_array_equal(metrics.confusion_matrix(y_true, y_pred, labels=labels),
                                  skm.confusion_matrix(y_true, y_pred, labels=labels))


@pytest.mark.parametrize("classes,seed,skip", CASES)
@pytest.mark.parametrize("average", ["macro", "micro", "weighted", None])
@pytest.mark.parametrize("zero_division", [0.0, 1.0])
def test_precision_recall_f1_match_sklearn(classes, seed, skip, average, zero_division):
    y_true, y_pred = random_labels(150, classes, seed, skip)
    for ours, theirs in [(metrics.precision, skm.precision_score),
                         (metrics.recall, skm.recall_score),
                         (metrics.f1_score, skm.f1_score)]:
        got = ours(y_true, y_pred, average=average, zero_division=zero_division)
        want = sk(theirs, y_true, y_pred, average=average, zero_division=zero_division)
        np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=ours.__name__)
    got = metrics.fbeta_score(y_true, y_pred, beta=2.0, average=average)
    np.testing.assert_allclose(got, sk(skm.fbeta_score, y_true, y_pred, beta=2.0,
                                       average=average, zero_division=0.0))


def test_labels_argument_and_counts_without_n_by_labels_matrices():
    import tracemalloc

    y_true, y_pred = random_labels(150, 5, 11)
    labels = [3, 0, 9, 1]  # a subset in any order, with a label that never occurs
    for ours, theirs in [(metrics.precision, skm.precision_score),
                         (metrics.recall, skm.recall_score),
                         (metrics.f1_score, skm.f1_score)]:
        for average in (None, "macro", "micro", "weighted"):
            np.testing.assert_allclose(
                ours(y_true, y_pred, average=average, labels=labels),
                sk(theirs, y_true, y_pred, average=average, labels=labels, zero_division=0.0),
                rtol=1e-12, err_msg=f"{ours.__name__} {average}")
    # 20,000 samples and 2,000 labels: counting by bincount needs no (N, L) boolean
    # matrices (three of them would take 120 MB)
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 2000, 20_000)
    y_pred = np.where(rng.random(20_000) < 0.5, y_true, rng.integers(0, 2000, 20_000))
    tracemalloc.start()
    try:
        got = metrics.recall(y_true, y_pred, average="macro")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert got == pytest.approx(skm.recall_score(y_true, y_pred, average="macro"), rel=1e-12)
    assert peak < 10 * 2**20, peak


def test_binary_average_and_pos_label():
    y_true, y_pred = random_labels(100, 2, 7)
    for pos in (0, 1):
        for ours, theirs in [(metrics.precision, skm.precision_score),
                             (metrics.recall, skm.recall_score),
                             (metrics.f1_score, skm.f1_score)]:
            assert ours(y_true, y_pred, pos_label=pos) == pytest.approx(
                theirs(y_true, y_pred, pos_label=pos))
    # string labels, glia tensors and lists are all accepted
    names = np.array(["cat", "dog"])
    assert metrics.f1_score(names[y_true], names[y_pred], pos_label="dog") == pytest.approx(
        skm.f1_score(names[y_true], names[y_pred], pos_label="dog"))
    assert metrics.recall(glia.tensor(y_true), list(y_pred)) == pytest.approx(
        skm.recall_score(y_true, y_pred))
    assert metrics.sensitivity is metrics.recall and metrics.true_positive_rate is metrics.recall


def test_never_predicted_class_uses_zero_division():
    y_true = np.array([0, 1, 2, 2, 1, 0])
    y_pred = np.array([0, 1, 1, 1, 1, 0])  # class 2 is never predicted: precision undefined
    per_class = metrics.precision(y_true, y_pred, average=None)
    np.testing.assert_allclose(per_class, [1.0, 0.5, 0.0])
    np.testing.assert_allclose(metrics.precision(y_true, y_pred, average=None,
                                                 zero_division=1.0), [1.0, 0.5, 1.0])
    # nan entries are left out of the average, as scikit-learn does
    assert metrics.precision(y_true, y_pred, average="macro", zero_division="nan") == 0.75
    assert np.isnan(metrics.precision([0, 0], [0, 0], pos_label=1, zero_division=np.nan))
    assert metrics.recall([0, 0], [0, 0], pos_label=1) == 0.0  # no positives at all


def test_specificity_is_recall_of_the_negatives():
    y_true, y_pred = random_labels(120, 2, 3)
    assert metrics.specificity(y_true, y_pred) == pytest.approx(
        skm.recall_score(y_true, y_pred, pos_label=0))
    y_true, y_pred = random_labels(300, 4, 5, skip=1)
    mcm = skm.multilabel_confusion_matrix(y_true, y_pred)  # per class [[tn, fp], [fn, tp]]
    tn, fp = mcm[:, 0, 0], mcm[:, 0, 1]
    np.testing.assert_allclose(metrics.specificity(y_true, y_pred, average=None), tn / (tn + fp))
    assert metrics.specificity(y_true, y_pred, average="macro") == pytest.approx(
        np.mean(tn / (tn + fp)))
    assert metrics.specificity(y_true, y_pred, average="micro") == pytest.approx(
        tn.sum() / (tn + fp).sum())


@pytest.mark.parametrize("classes,k", [(3, 1), (5, 2), (10, 5), (10, 3)])
def test_top_k_accuracy(classes, k):
    rng = np.random.default_rng(classes + k)
    y_true = np.r_[np.arange(classes), rng.integers(0, classes, 80)]
    scores = rng.normal(size=(len(y_true), classes)).round(1)  # rounding makes ties
    assert metrics.top_k_accuracy(y_true, scores, k=k) == pytest.approx(
        skm.top_k_accuracy_score(y_true, scores, k=k, labels=np.arange(classes)))
    distinct = rng.normal(size=scores.shape)  # without ties, top-1 is argmax accuracy
    assert metrics.top_k_accuracy(glia.tensor(y_true), glia.tensor(distinct), k=1) == \
        pytest.approx(metrics.accuracy(y_true, distinct))


def test_bad_inputs_name_the_metric():
    check_raises(lambda: metrics.f1_score([0, 1, 2], [0, 1, 1]), ValueError, "f1_score",
                 "average='binary'", "3")
    check_raises(lambda: metrics.precision([0, 1], [0, 1, 1], average="macro"), ValueError,
                 "precision", "(2 != 3)")
    check_raises(lambda: metrics.recall([0, 1], [0, 1], average="mean"), ValueError,
                 "recall", "average")
    check_raises(lambda: metrics.f1_score([0, 1], [0, 1], pos_label=2), ValueError, "pos_label=2")
    check_raises(lambda: metrics.top_k_accuracy([0, 3], np.zeros((2, 3))), ValueError,
                 "top_k_accuracy", "[0, 3)")
    check_raises(lambda: metrics.accuracy(np.zeros((2, 2, 2)), np.zeros((2, 2, 2))), ValueError,
                 "accuracy", "1-D")
    check_raises(lambda: metrics.accuracy([], []), ValueError, "accuracy", "empty")


def test_scores_passed_as_labels_are_rejected_as_in_sklearn():
    y, scores = [0, 1, 1], [[0.2], [0.9], [0.7]]
    with pytest.raises(ValueError, match="continuous"):
        skm.accuracy_score(y, np.ravel(scores))
    check_raises(lambda: metrics.accuracy(y, scores), ValueError, "accuracy", "y_pred", "0.2")
    check_raises(lambda: metrics.f1_score(y, np.ravel(scores)), ValueError, "f1_score", "0.2")
    check_raises(lambda: metrics.confusion_matrix([0.5, 1.0], [0, 1]), ValueError,
                 "confusion_matrix", "y_true", "0.5")
    # whole-number floats are labels, as in sklearn
    assert metrics.accuracy([0.0, 1, 1], glia.tensor([0.0, 1.0, 0.0])) == pytest.approx(
        skm.accuracy_score([0.0, 1, 1], [0.0, 1.0, 0.0]))


def test_top_k_accuracy_with_k_at_least_the_classes_warns_as_sklearn():
    y, scores = [0, 1, 2, 1], np.random.default_rng(0).random((4, 3))
    for k in (3, 5):
        with pytest.warns(UserWarning, match="meaningless"):
            want = skm.top_k_accuracy_score(y, scores, k=k)
        with pytest.warns(UserWarning, match=f"k={k}"):
            assert metrics.top_k_accuracy(y, scores, k=k) == want == 1.0
