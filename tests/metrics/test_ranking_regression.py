"""glia.metrics curves, areas and regression scores against scikit-learn."""
import glia
import numpy as np
import pytest
from glia import metrics
from helpers import check_raises

import sklearn.metrics as skm


def scores_and_labels(n, seed, ties=False, labels=(0, 1)):
    rng = np.random.default_rng(seed)
    y = rng.choice(labels, n)
    s = rng.normal(size=n) + (y == labels[-1]) * 0.8
    return y, (s.round(1) if ties else s)


@pytest.mark.parametrize("n,seed,ties", [(30, 0, False), (200, 1, True), (5, 2, True),
                                         (500, 3, False)])
@pytest.mark.parametrize("drop", [True, False])
def test_roc_curve_and_auc(n, seed, ties, drop):
    y, s = scores_and_labels(n, seed, ties)
    fpr, tpr, thr = metrics.roc_curve(y, s, drop_intermediate=drop)
    efpr, etpr, ethr = skm.roc_curve(y, s, drop_intermediate=drop)
    for got, want in [(fpr, efpr), (tpr, etpr), (thr, ethr)]:
        np.testing.assert_allclose(got, want)
    assert metrics.auc(fpr, tpr) == pytest.approx(skm.auc(efpr, etpr))
    assert metrics.roc_auc_score(y, s) == pytest.approx(skm.roc_auc_score(y, s))
    assert metrics.auc(fpr[::-1], tpr[::-1]) == pytest.approx(skm.auc(efpr, etpr))


@pytest.mark.parametrize("n,seed,ties", [(30, 0, False), (200, 1, True), (7, 4, True)])
@pytest.mark.parametrize("drop", [True, False])
def test_precision_recall_curve_and_average_precision(n, seed, ties, drop):
    y, s = scores_and_labels(n, seed, ties, labels=(-1, 1))
    got = metrics.precision_recall_curve(y, glia.tensor(s), drop_intermediate=drop)
    want = skm.precision_recall_curve(y, s, drop_intermediate=drop)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w)
    assert metrics.average_precision(y, s) == pytest.approx(skm.average_precision_score(y, s))


def test_pos_label_and_string_labels():
    y, s = scores_and_labels(60, 5, labels=("ham", "spam"))
    for a, b in zip(metrics.roc_curve(y, s, pos_label="spam"),
                    skm.roc_curve(y, s, pos_label="spam")):
        np.testing.assert_allclose(a, b)
    check_raises(lambda: metrics.roc_curve(y, s), ValueError, "roc_curve", "pos_label")


@pytest.mark.parametrize("classes,average", [(3, "macro"), (5, "weighted"), (4, "macro")])
def test_multiclass_roc_auc_one_vs_rest(classes, average):
    rng = np.random.default_rng(classes)
    y = np.r_[np.arange(classes), rng.integers(0, classes, 100)]
    logits = rng.normal(size=(len(y), classes)) + np.eye(classes)[y]
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    assert metrics.roc_auc_score(y, probs, average=average) == pytest.approx(
        skm.roc_auc_score(y, probs, multi_class="ovr", average=average))


def test_roc_auc_score_of_empty_inputs_raises():
    for scores in (np.zeros(0), np.zeros((0, 3))):
        check_raises(lambda: metrics.roc_auc_score(np.zeros(0, dtype=np.int64), scores),
                     ValueError, "roc_auc_score", "empty")


def test_roc_auc_score_infers_labels_as_sklearn():
    rng = np.random.default_rng(7)
    y = np.r_[np.arange(3), rng.integers(0, 3, 60)]
    probs = np.exp(rng.normal(size=(len(y), 3)) + np.eye(3)[y])
    probs /= probs.sum(1, keepdims=True)
    want = skm.roc_auc_score(y, probs, multi_class="ovr")
    for labels in (y + 1, np.array(["a", "b", "c"])[y]):  # 1-based and string labels
        assert metrics.roc_auc_score(labels, probs) == pytest.approx(
            skm.roc_auc_score(labels, probs, multi_class="ovr")) == pytest.approx(want)
    # binary: the greater label is the positive one
    yb, s = scores_and_labels(40, 3, labels=(1, 2))
    for labels in (yb, np.where(yb == 2, "spam", "ham")):
        assert metrics.roc_auc_score(labels, s) == pytest.approx(skm.roc_auc_score(labels, s))
    check_raises(lambda: metrics.roc_auc_score(y[y < 2], probs[y < 2]), ValueError,
                 "roc_auc_score", "2 distinct labels", "3 columns")
    check_raises(lambda: metrics.roc_auc_score(y, probs, labels=[0, 1, 5]), ValueError,
                 "roc_auc_score", "[2]")


def test_undefined_cases():
    assert np.isnan(metrics.roc_auc_score([1, 1, 1], [0.1, 0.2, 0.3]))
    fpr, tpr, _ = metrics.roc_curve([1, 1], [0.3, 0.4])
    assert np.isnan(fpr).all() and not np.isnan(tpr).any()
    _, r, _ = metrics.precision_recall_curve([0, 0, 0], [0.1, 0.5, 0.2])
    np.testing.assert_allclose(r, [1, 1, 1, 0])
    check_raises(lambda: metrics.auc([0, 1, 0.5], [1, 2, 3]), ValueError, "auc",
                 "neither increasing nor decreasing")
    check_raises(lambda: metrics.roc_curve([0, 1], [0.2, np.nan]), ValueError, "roc_curve", "nan")


@pytest.mark.parametrize("shape", [(50,), (40, 3), (2,), (30, 1)])
def test_regression_metrics(shape):
    rng = np.random.default_rng(len(shape) + shape[0])
    y = rng.normal(size=shape)
    p = y + rng.normal(scale=0.5, size=shape)
    for ours, theirs in [(metrics.mean_squared_error, skm.mean_squared_error),
                         (metrics.mean_absolute_error, skm.mean_absolute_error),
                         (metrics.r2_score, skm.r2_score)]:
        assert ours(y, p) == pytest.approx(theirs(y, p)), ours.__name__
        np.testing.assert_allclose(ours(y, p, multioutput="raw_values"),
                                   theirs(y, p, multioutput="raw_values"))
    assert metrics.mean_squared_error(glia.tensor(y.astype(np.float32)), list(p)) == \
        pytest.approx(skm.mean_squared_error(y, p), rel=1e-6)


def test_r2_constant_target_and_errors():
    assert metrics.r2_score([2, 2, 2], [2, 2, 2]) == skm.r2_score([2, 2, 2], [2, 2, 2]) == 1.0
    assert metrics.r2_score([2, 2, 2], [1, 2, 3]) == skm.r2_score([2, 2, 2], [1, 2, 3]) == 0.0
    check_raises(lambda: metrics.mean_squared_error(np.zeros(3), np.zeros(4)), ValueError,
                 "mean_squared_error", "(3, 1)", "(4, 1)")
    check_raises(lambda: metrics.r2_score([1, 2], [1, 2], multioutput="avg"), ValueError,
                 "r2_score", "multioutput")
