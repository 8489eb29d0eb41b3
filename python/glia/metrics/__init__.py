"""glia.metrics: classification, ranking, regression and translation metrics.

Functions take glia Tensors, numpy arrays or lists, follow scikit-learn's argument order
(y_true first) and return Python floats, or numpy arrays for curves, per-class scores and the
confusion matrix.
"""
from glia.metrics.bleu import corpus_bleu, sentence_bleu
from glia.metrics.classification import (
    accuracy,
    confusion_matrix,
    f1_score,
    fbeta_score,
    precision,
    recall,
    sensitivity,
    specificity,
    top_k_accuracy,
    true_positive_rate,
)
from glia.metrics.ranking import (
    auc,
    average_precision,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)
from glia.metrics.regression import mean_absolute_error, mean_squared_error, r2_score

__all__ = [
    "accuracy",
    "auc",
    "average_precision",
    "confusion_matrix",
    "corpus_bleu",
    "f1_score",
    "fbeta_score",
    "mean_absolute_error",
    "mean_squared_error",
    "precision",
    "precision_recall_curve",
    "r2_score",
    "recall",
    "roc_auc_score",
    "roc_curve",
    "sensitivity",
    "sentence_bleu",
    "specificity",
    "top_k_accuracy",
    "true_positive_rate",
]
