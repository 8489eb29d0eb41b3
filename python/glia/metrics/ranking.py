"""Threshold-free metrics on scores: ROC and precision-recall curves, their areas.

Same values as scikit-learn's roc_curve, precision_recall_curve, auc, roc_auc_score and
average_precision_score (binary targets; roc_auc_score also one-vs-rest multiclass).
"""
import math

import numpy as np

from glia.metrics._inputs import to_numpy, vectors

__all__ = ["auc", "average_precision", "precision_recall_curve", "roc_auc_score", "roc_curve"]


def _positives(fn, y_true, pos_label):
    """y_true as a 0/1 float vector; pos_label defaults to 1 for {0, 1} or {-1, 1} labels."""
    classes = np.unique(y_true)
    if pos_label is None:
        if len(classes) > 2 or not set(classes.tolist()) <= {0, 1, -1}:
            raise ValueError(f"{fn}: y_true has labels {classes.tolist()}; pass pos_label "
                             "to say which one is positive")
        pos_label = 1
    return (y_true == pos_label).astype(np.float64)


def _threshold_counts(fn, y_true, y_score, pos_label):
    """(false positives, true positives, thresholds) at each distinct score, highest first."""
    y_true, y_score = vectors(fn, y_true, y_score, "y_score")
    if not np.all(np.isfinite(y_score)):
        raise ValueError(f"{fn}: y_score contains nan or inf")
    positive = _positives(fn, y_true, pos_label)
    # the order among equal scores does not matter: counts are read after the last of each
    order = np.argsort(y_score, kind="stable")[::-1]
    y_score, positive = y_score[order], positive[order]
    last_of_value = np.r_[np.flatnonzero(np.diff(y_score)), len(y_score) - 1]
    tps = np.cumsum(positive)[last_of_value]
    fps = 1 + last_of_value - tps
    return fps, tps, y_score[last_of_value]


def roc_curve(y_true, y_score, pos_label=None, drop_intermediate=True):
    """The receiver operating characteristic: false and true positive rates by threshold.

    Args:
        y_true: (N,) binary labels.
        y_score: (N,) scores (higher means more likely positive).
        pos_label: the positive label (default 1).
        drop_intermediate: drop thresholds on straight segments of the curve.
    Returns:
        (fpr, tpr, thresholds) numpy arrays; thresholds fall, starting at inf, where
        fpr = tpr = 0. Rates are nan when y_true has no negatives (fpr) or positives (tpr).
    """
    fps, tps, thresholds = _threshold_counts("roc_curve", y_true, y_score, pos_label)
    if drop_intermediate and len(fps) > 2:
        keep = np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True]
        fps, tps, thresholds = fps[keep], tps[keep], thresholds[keep]
    fps, tps = np.r_[0.0, fps], np.r_[0.0, tps]
    thresholds = np.r_[np.inf, thresholds.astype(np.float64)]
    fpr = fps / fps[-1] if fps[-1] > 0 else np.full(fps.shape, np.nan)
    tpr = tps / tps[-1] if tps[-1] > 0 else np.full(tps.shape, np.nan)
    return fpr, tpr, thresholds


def auc(x, y):
    """The area under a curve through points (x, y) by the trapezoidal rule; x must be
    monotonic (increasing or decreasing)."""
    x, y = vectors("auc", x, y, "y")
    if len(x) < 2:
        raise ValueError(f"auc: needs at least 2 points, got {len(x)}")
    dx = np.diff(x)
    direction = 1.0
    if np.any(dx < 0):
        if not np.all(dx <= 0):
            raise ValueError("auc: x is neither increasing nor decreasing")
        direction = -1.0
    return float(direction * np.sum(dx * (y[1:] + y[:-1]) / 2))


def roc_auc_score(y_true, y_score, average="macro", labels=None):
    """The area under the ROC curve.

    Binary: y_score is (N,) (or (N, 2), whose second column is used) and scores the
    greater of the two labels in y_true, as in scikit-learn. Multiclass: y_score is (N, C)
    with one column per label: labels[c], by default the sorted distinct labels of y_true,
    which must then number C. The result is the one-vs-rest AUC of each label, averaged by
    `average` ('macro' or 'weighted' by support). nan when a label has no positives or no
    negatives.
    """
    y_true = to_numpy(y_true, "roc_auc_score", "y_true").reshape(-1)
    y_score = to_numpy(y_score, "roc_auc_score", "y_score")
    if y_true.size == 0:
        raise ValueError("roc_auc_score: got empty inputs")
    classes = np.unique(y_true)
    if y_score.ndim == 2 and y_score.shape[1] == 2 and len(classes) <= 2:
        y_score = y_score[:, 1]
    if y_score.ndim == 1 or (y_score.ndim == 2 and y_score.shape[1] == 1):
        if len(classes) > 2:
            raise ValueError(f"roc_auc_score: one score per sample but y_true has "
                             f"{len(classes)} labels; pass (N, C) scores for multiclass")
        return _binary_auc(y_true, y_score.reshape(-1), classes[-1])
    if y_score.ndim != 2:
        raise ValueError(f"roc_auc_score: y_score must be 1-D or 2-D, got shape {y_score.shape}")
    if average not in ("macro", "weighted"):
        raise ValueError(f"roc_auc_score: average must be 'macro' or 'weighted' for multiclass "
                         f"scores, got {average!r}")
    if labels is None:
        labels = classes
        if len(labels) != y_score.shape[1]:
            raise ValueError(f"roc_auc_score: y_true has {len(labels)} distinct labels but "
                             f"y_score has {y_score.shape[1]} columns; pass labels to name "
                             "the columns")
    else:
        labels = np.asarray(labels)
        if len(labels) != y_score.shape[1]:
            raise ValueError(f"roc_auc_score: {len(labels)} labels for {y_score.shape[1]} "
                             "score columns")
        unknown = np.setdiff1d(classes, labels)
        if len(unknown):
            raise ValueError(f"roc_auc_score: y_true has labels {unknown.tolist()} that are "
                             "not in labels")
    scores = np.array([_binary_auc((y_true == c).astype(np.int64), y_score[:, i], 1)
                       for i, c in enumerate(labels)])
    support = np.array([np.sum(y_true == c) for c in labels])
    return float(np.average(scores, weights=support if average == "weighted" else None))


def _binary_auc(y_true, y_score, pos_label):
    if len(np.unique(y_true)) != 2:
        return math.nan  # AUC is undefined with one class only
    fpr, tpr, _ = roc_curve(y_true, y_score, pos_label=pos_label)
    return auc(fpr, tpr)


def precision_recall_curve(y_true, y_score, pos_label=None, drop_intermediate=False):
    """Precision and recall for every threshold on the scores.

    Returns:
        (precision, recall, thresholds) numpy arrays: thresholds rise; precision and
        recall have one more entry, the point (recall 0, precision 1). Recall is 1
        everywhere when y_true has no positives.
    """
    fps, tps, thresholds = _threshold_counts("precision_recall_curve", y_true, y_score,
                                             pos_label)
    if drop_intermediate and len(fps) > 2:
        keep = np.r_[True, np.logical_or(np.diff(tps[:-1]), np.diff(tps[1:])), True]
        fps, tps, thresholds = fps[keep], tps[keep], thresholds[keep]
    predicted = tps + fps
    precision = np.divide(tps, predicted, out=np.zeros_like(tps), where=predicted != 0)
    recall = tps / tps[-1] if tps[-1] > 0 else np.ones_like(tps)
    return np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0], thresholds[::-1]


def average_precision(y_true, y_score, pos_label=None):
    """Average precision: the precision at each threshold weighted by the gain in recall,
    sum_n (R_n - R_{n-1}) P_n (no interpolation, as scikit-learn)."""
    precision, recall, _ = precision_recall_curve(y_true, y_score, pos_label)
    return float(max(0.0, -np.sum(np.diff(recall) * precision[:-1])))
