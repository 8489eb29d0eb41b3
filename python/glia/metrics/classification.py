"""Classification metrics on predicted labels, with scikit-learn's names, arguments and values.

Each takes y_true and y_pred as glia Tensors, numpy arrays or lists and returns a Python
float (or a numpy array for per-class results and the confusion matrix).

Undefined ratios (a class never predicted has no precision, a class never present has no
recall) take the value `zero_division` (0.0 by default, as scikit-learn's default "warn"
returns, but silently; 1.0 or nan also accepted). Averages skip nan entries.
"""
import math
import warnings

import numpy as np

from glia.metrics._inputs import label_vectors, to_numpy

__all__ = [
    "accuracy",
    "confusion_matrix",
    "f1_score",
    "fbeta_score",
    "precision",
    "recall",
    "sensitivity",
    "specificity",
    "top_k_accuracy",
    "true_positive_rate",
]

_AVERAGES = ("binary", "micro", "macro", "weighted", None)


def accuracy(y_true, y_pred):
    """The fraction of samples whose predicted label equals the true label.

    y_pred may also be a 2-D (N, C) array of scores or logits: its argmax over classes is
    the predicted label. Labels given as floats must be whole numbers: a ValueError, as in
    scikit-learn, for scores passed as labels.
    """
    y_pred = to_numpy(y_pred, "accuracy", "y_pred")
    if y_pred.ndim == 2 and y_pred.shape[1] > 1:
        y_pred = y_pred.argmax(1)
    y_true, y_pred = label_vectors("accuracy", y_true, y_pred)
    return float(np.mean(y_true == y_pred))


def top_k_accuracy(y_true, y_score, k=5):
    """The fraction of samples whose true label is among the k highest scores.

    Args:
        y_true: (N,) integer labels in [0, C).
        y_score: (N, C) scores, logits or probabilities; column c scores label c.
        k: how many of the best-scored labels count as a hit.
    Ties are broken as scikit-learn's top_k_accuracy_score breaks them (the higher label
    index wins). Unlike scikit-learn, labels are the column indices, so y_true need not
    contain every class. As in scikit-learn, k >= C gives 1.0 with a UserWarning.
    """
    y_true = to_numpy(y_true, "top_k_accuracy", "y_true").reshape(-1)
    y_score = to_numpy(y_score, "top_k_accuracy", "y_score")
    if y_score.ndim != 2:
        raise ValueError(f"top_k_accuracy: y_score must be 2-D (N, C), got shape {y_score.shape}")
    if len(y_true) != len(y_score) or len(y_true) == 0:
        raise ValueError(f"top_k_accuracy: y_true has {len(y_true)} samples but y_score has "
                         f"shape {y_score.shape}")
    n_classes = y_score.shape[1]
    if y_true.min() < 0 or y_true.max() >= n_classes:
        raise ValueError(f"top_k_accuracy: labels must lie in [0, {n_classes}) for "
                         f"{n_classes} score columns, got range [{y_true.min()}, {y_true.max()}]")
    if not (isinstance(k, int) and k >= 1):
        raise ValueError(f"top_k_accuracy: k must be a positive int, got {k!r}")
    if k >= n_classes:
        warnings.warn(f"top_k_accuracy: k={k} >= the {n_classes} classes gives a perfect score, "
                      "which is meaningless", UserWarning, stacklevel=2)
    best = np.argsort(y_score, axis=1, kind="mergesort")[:, ::-1][:, :k]
    return float(np.mean((best == y_true[:, None]).any(axis=1)))


def _labels(y_true, y_pred, labels):
    if labels is None:
        return np.union1d(y_true, y_pred)
    return np.asarray(labels)


def confusion_matrix(y_true, y_pred, labels=None):
    """Counts C[i, j] of samples with true label labels[i] predicted as labels[j].

    Args:
        labels: the label order of rows and columns; by default the sorted union of the
            labels in y_true and y_pred. Samples with a label outside `labels` are ignored.
    Returns:
        a (L, L) numpy int64 array.
    """
    y_true, y_pred = label_vectors("confusion_matrix", y_true, y_pred)
    labels = _labels(y_true, y_pred, labels)
    if len(labels) == 0:
        raise ValueError("confusion_matrix: 'labels' must not be empty")
    true_idx = _index_of(labels, y_true)
    pred_idx = _index_of(labels, y_pred)
    keep = (true_idx >= 0) & (pred_idx >= 0)
    n = len(labels)
    flat = true_idx[keep] * n + pred_idx[keep]
    return np.bincount(flat, minlength=n * n).reshape(n, n).astype(np.int64)


def _index_of(labels, values):
    """The position of each value in `labels`, -1 where absent."""
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    pos = np.clip(np.searchsorted(sorted_labels, values), 0, len(labels) - 1)
    found = sorted_labels[pos] == values
    return np.where(found, order[pos], -1)


def _counts(fn, y_true, y_pred, average, labels, pos_label):
    """Per-label (tp, predicted, true, negatives) counts for the labels being scored."""
    if average not in _AVERAGES:
        raise ValueError(f"{fn}: average must be one of {_AVERAGES}, got {average!r}")
    y_true, y_pred = label_vectors(fn, y_true, y_pred)
    present = np.union1d(y_true, y_pred)
    if average == "binary":
        if len(present) > 2:
            raise ValueError(f"{fn}: average='binary' needs at most 2 labels, got "
                             f"{len(present)} ({present.tolist()}); pass average='macro', "
                             "'micro', 'weighted' or None for multiclass targets")
        if pos_label not in present and len(present) == 2:
            raise ValueError(f"{fn}: pos_label={pos_label!r} is not one of the labels "
                             f"{present.tolist()}")
        labels = np.asarray([pos_label])
    else:
        labels = present if labels is None else np.asarray(labels)
    # count over the distinct labels (as confusion_matrix does), then in `labels` order
    uniq, inverse = np.unique(labels, return_inverse=True)
    n = len(uniq)
    if n == 0:
        true_idx = pred_idx = np.full(len(y_true), -1)
    else:
        true_idx, pred_idx = _index_of(uniq, y_true), _index_of(uniq, y_pred)

    def count(idx):
        return np.bincount(idx[idx >= 0], minlength=n)[inverse.reshape(-1)]

    true, pred = count(true_idx), count(pred_idx)
    tp = count(np.where(true_idx == pred_idx, true_idx, -1))
    negatives = len(y_true) - true
    return tp, pred, true, negatives


def _divide(num, den, zero_division):
    num, den = np.asarray(num, np.float64), np.asarray(den, np.float64)
    out = np.full(num.shape, float(zero_division))
    ok = den != 0
    out[ok] = num[ok] / den[ok]
    return out


def _average(scores, average, support):
    if average in ("binary", "micro"):
        return float(scores[0])
    if average is None:
        return scores
    keep = ~np.isnan(scores)
    if not keep.any():
        return math.nan
    weights = support[keep] if average == "weighted" else None
    if weights is not None and weights.sum() == 0:
        weights = None  # all classes absent: weigh them equally, as scikit-learn does
    return float(np.average(scores[keep], weights=weights))


def _zero_division(fn, value):
    if isinstance(value, str) and value == "nan":
        return math.nan
    if not (value in (0, 1) or (isinstance(value, float) and math.isnan(value))):
        raise ValueError(f"{fn}: zero_division must be 0, 1 or nan, got {value!r}")
    return float(value)


def _score(fn, kind, y_true, y_pred, average, labels, pos_label, zero_division, beta=1.0):
    zero = _zero_division(fn, zero_division)
    tp, pred, true, negatives = _counts(fn, y_true, y_pred, average, labels, pos_label)
    fp, fn_ = pred - tp, true - tp
    tn = negatives - fp
    if average == "micro":
        tp, pred, true, fp, fn_, tn, negatives = (
            np.atleast_1d(a.sum()) for a in (tp, pred, true, fp, fn_, tn, negatives))
    if kind == "precision":
        scores = _divide(tp, pred, zero)
    elif kind == "recall":
        scores = _divide(tp, true, zero)
    elif kind == "specificity":
        scores = _divide(tn, negatives, zero)
    else:
        b2 = beta * beta
        scores = _divide((1 + b2) * tp, b2 * true + pred, zero)
    support = negatives if kind == "specificity" else true
    return _average(scores, average, support)


_ARGS_DOC = """
    Args:
        y_true, y_pred: (N,) labels (ints, bools or strings).
        average: 'binary' (default: the score of pos_label; at most two labels),
            'macro' (unweighted mean over labels), 'micro' (from the summed counts),
            'weighted' (mean weighted by each label's support) or None (one score per label,
            a numpy array in `labels` order).
        labels: the labels to score when average != 'binary' (default: all present).
        pos_label: the positive class for average='binary'.
        zero_division: the value of an undefined ratio: 0 (default), 1 or nan.
"""


def precision(y_true, y_pred, average="binary", labels=None, pos_label=1, zero_division=0.0):
    return _score("precision", "precision", y_true, y_pred, average, labels, pos_label,
                  zero_division)


def recall(y_true, y_pred, average="binary", labels=None, pos_label=1, zero_division=0.0):
    return _score("recall", "recall", y_true, y_pred, average, labels, pos_label,
                  zero_division)


def specificity(y_true, y_pred, average="binary", labels=None, pos_label=1, zero_division=0.0):
    return _score("specificity", "specificity", y_true, y_pred, average, labels, pos_label,
                  zero_division)


def fbeta_score(y_true, y_pred, beta, average="binary", labels=None, pos_label=1,
                zero_division=0.0):
    if not beta > 0:
        raise ValueError(f"fbeta_score: beta must be > 0, got {beta!r}")
    return _score("fbeta_score", "f", y_true, y_pred, average, labels, pos_label,
                  zero_division, beta)


def f1_score(y_true, y_pred, average="binary", labels=None, pos_label=1, zero_division=0.0):
    return _score("f1_score", "f", y_true, y_pred, average, labels, pos_label, zero_division)


precision.__doc__ = ("Precision tp / (tp + fp): how many predicted positives are right.\n"
                     + _ARGS_DOC)
recall.__doc__ = "Recall tp / (tp + fn): how many true positives are found.\n" + _ARGS_DOC
specificity.__doc__ = ("Specificity tn / (tn + fp): how many true negatives are recognised "
                       "(the recall of 'not this label'); 'weighted' weighs by each label's "
                       "negatives.\n" + _ARGS_DOC)
f1_score.__doc__ = ("F1 = 2 tp / (2 tp + fp + fn), the harmonic mean of precision and recall.\n"
                    + _ARGS_DOC)
fbeta_score.__doc__ = ("F-beta = (1 + b^2) tp / ((1 + b^2) tp + b^2 fn + fp); beta > 1 favours "
                       "recall.\n" + _ARGS_DOC)
sensitivity = true_positive_rate = recall
