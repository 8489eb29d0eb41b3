"""Regression metrics with scikit-learn's names and values: MSE, MAE and R^2.

y_true and y_pred are (N,) or (N, outputs); with several outputs the scores are averaged
over them (multioutput='uniform_average') or returned per output ('raw_values').
"""
import numpy as np

from glia.metrics._inputs import to_numpy

__all__ = ["mean_absolute_error", "mean_squared_error", "r2_score"]


def _pair(fn, y_true, y_pred):
    a = to_numpy(y_true, fn, "y_true").astype(np.float64)
    b = to_numpy(y_pred, fn, "y_pred").astype(np.float64)
    if a.ndim == 1:
        a = a[:, None]
    if b.ndim == 1:
        b = b[:, None]
    if a.ndim != 2 or a.shape != b.shape:
        raise ValueError(f"{fn}: y_true and y_pred must have the same (N,) or (N, outputs) "
                         f"shape, got {a.shape} and {b.shape}")
    if len(a) == 0:
        raise ValueError(f"{fn}: got empty inputs")
    return a, b


def _reduce(fn, per_output, multioutput):
    if multioutput == "raw_values":
        return per_output
    if multioutput != "uniform_average":
        raise ValueError(f"{fn}: multioutput must be 'uniform_average' or 'raw_values', "
                         f"got {multioutput!r}")
    return float(np.mean(per_output))


def mean_squared_error(y_true, y_pred, multioutput="uniform_average"):
    """mean((y_true - y_pred)^2)."""
    a, b = _pair("mean_squared_error", y_true, y_pred)
    return _reduce("mean_squared_error", np.mean((a - b) ** 2, axis=0), multioutput)


def mean_absolute_error(y_true, y_pred, multioutput="uniform_average"):
    """mean(|y_true - y_pred|)."""
    a, b = _pair("mean_absolute_error", y_true, y_pred)
    return _reduce("mean_absolute_error", np.mean(np.abs(a - b), axis=0), multioutput)


def r2_score(y_true, y_pred, multioutput="uniform_average"):
    """The coefficient of determination 1 - sum((y - y_pred)^2) / sum((y - mean(y))^2).

    A constant y_true has no variance to explain: the score is then 1.0 for a perfect
    prediction and 0.0 otherwise (scikit-learn's force_finite=True).
    """
    a, b = _pair("r2_score", y_true, y_pred)
    if len(a) < 2:
        raise ValueError("r2_score: needs at least 2 samples")
    residual = np.sum((a - b) ** 2, axis=0)
    total = np.sum((a - a.mean(axis=0)) ** 2, axis=0)
    safe = np.where(total != 0, total, 1.0)
    score = np.where(total != 0, 1 - residual / safe, np.where(residual == 0, 1.0, 0.0))
    return _reduce("r2_score", score, multioutput)
