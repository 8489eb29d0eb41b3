"""Preprocessing fitted on the training set and applied to validation and test data:
standardization, min-max scaling, one-hot labels and class weights for imbalanced data."""
import numpy as np

import glia
from glia.data._checks import count


def _to_numpy(x, op):
    if isinstance(x, glia.Tensor):
        return x.detach().numpy()
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{op}: expected numbers, got dtype {arr.dtype}")
    return arr


def _like(out, x):
    """`out` in the kind of `x`: a glia tensor of x's float dtype, or a numpy array."""
    if isinstance(x, glia.Tensor):
        dtype = np.float64 if x.dtype == glia.float64 else np.float32
        return glia.from_numpy(np.ascontiguousarray(out, dtype=dtype))
    dtype = x.dtype if isinstance(x, np.ndarray) and x.dtype.kind == "f" else np.float64
    return out.astype(dtype)


class _Scaler:
    """Shared fit/transform plumbing: per-feature statistics over dimension 0."""

    def fit(self, x):
        arr = _to_numpy(x, type(self).__name__).astype(np.float64)
        if arr.ndim == 0 or arr.shape[0] == 0:
            raise ValueError(f"{type(self).__name__}: fit needs at least one sample, got shape "
                             f"{arr.shape}")
        self._fit(arr)
        self.n_features_shape_ = arr.shape[1:]
        return self

    def _checked(self, x, op):
        name = f"{type(self).__name__}.{op}"
        if not hasattr(self, "n_features_shape_"):
            raise RuntimeError(f"{name}: call fit (on the training data) first")
        arr = _to_numpy(x, name).astype(np.float64)
        if arr.shape[1:] != self.n_features_shape_:
            raise ValueError(f"{name}: fitted on samples shaped {self.n_features_shape_}, got "
                             f"data of shape {arr.shape}")
        return arr

    def transform(self, x):
        return _like(self._forward(self._checked(x, "transform")), x)

    def inverse_transform(self, x):
        return _like(self._inverse(self._checked(x, "inverse_transform")), x)

    def fit_transform(self, x):
        return self.fit(x).transform(x)


class Standardizer(_Scaler):
    """(x - mean) / std per feature, with mean and (population) std from the data given to
    `fit`, as sklearn's StandardScaler. Constant features keep std 1 (are only centered)."""

    def _fit(self, arr):
        self.mean_ = arr.mean(0)
        std = arr.std(0)
        self.scale_ = np.where(std == 0, 1.0, std)

    def _forward(self, arr):
        return (arr - self.mean_) / self.scale_

    def _inverse(self, arr):
        return arr * self.scale_ + self.mean_


class MinMax(_Scaler):
    """Scales each feature linearly so the fitted data spans `feature_range`, as sklearn's
    MinMaxScaler. Constant features map to the range's lower end."""

    def __init__(self, feature_range=(0.0, 1.0)):
        lo, hi = (float(v) for v in feature_range)
        if not lo < hi:
            raise ValueError(f"MinMax: feature_range must be (min, max) with min < max, got "
                             f"{tuple(feature_range)!r}")
        self.feature_range = (lo, hi)

    def _fit(self, arr):
        self.data_min_, self.data_max_ = arr.min(0), arr.max(0)
        span = self.data_max_ - self.data_min_
        lo, hi = self.feature_range
        self.scale_ = (hi - lo) / np.where(span == 0, 1.0, span)

    def _forward(self, arr):
        return (arr - self.data_min_) * self.scale_ + self.feature_range[0]

    def _inverse(self, arr):
        return (arr - self.feature_range[0]) / self.scale_ + self.data_min_


def standardize(train, *others):
    """Standardizes `train` with its own statistics and `others` (validation, test) with the
    same ones. Returns the transformed train alone, or a tuple (train, *others)."""
    scaler = Standardizer().fit(train)
    out = tuple(scaler.transform(x) for x in (train, *others))
    return out if others else out[0]


def normalize(train, *others, feature_range=(0.0, 1.0)):
    """Min-max scales `train` to `feature_range` and `others` with the same per-feature
    minimum and maximum. Returns the transformed train alone, or a tuple (train, *others)."""
    scaler = MinMax(feature_range).fit(train)
    out = tuple(scaler.transform(x) for x in (train, *others))
    return out if others else out[0]


def _labels(labels, op):
    arr = _to_numpy(labels, op)
    if arr.size and arr.dtype.kind not in "iu":
        raise TypeError(f"{op}: labels must be integers, got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    if arr.size and arr.min() < 0:
        raise ValueError(f"{op}: labels must be >= 0, got {arr.min()}")
    return arr


def _num_classes(arr, num_classes, op):
    if num_classes is None:
        return int(arr.max()) + 1 if arr.size else 0
    num_classes = count(num_classes, "num_classes", op, minimum=0)  # True is no count
    if arr.size and arr.max() >= num_classes:
        raise ValueError(f"{op}: label {arr.max()} is out of range for num_classes="
                         f"{num_classes}")
    return int(num_classes)


def one_hot(labels, num_classes=None, dtype=None):
    """Integer labels (any shape) -> (*labels.shape, num_classes) with a 1 at each label:
    glia.nn.functional.one_hot, but taking lists and arrays too, and float32 by default.

    num_classes defaults to max(label) + 1 (0 for no labels); dtype defaults to float32
    (for losses)."""
    arr = _labels(labels, "one_hot")
    k = _num_classes(arr, num_classes, "one_hot")
    out = glia.nn.functional.one_hot(glia.from_numpy(np.ascontiguousarray(arr)), k)
    return out.to(glia.float32 if dtype is None else dtype)


def class_weights(labels, num_classes=None):
    """Per-class weights that balance an imbalanced label set, sklearn's "balanced" rule:
    n_samples / (n_present_classes * count[c]). Classes absent from `labels` get 0.

    Returns a float32 tensor of length num_classes (default max(label) + 1), ready for
    ``nn.CrossEntropyLoss(weight=...)``; ``class_weights(y)[y]`` weighs samples for a
    WeightedRandomSampler."""
    arr = _labels(labels, "class_weights").reshape(-1)
    if arr.size == 0:
        raise ValueError("class_weights: needs at least one label")
    counts = np.bincount(arr, minlength=_num_classes(arr, num_classes, "class_weights"))
    present = np.count_nonzero(counts)
    weights = np.where(counts > 0, arr.size / (present * np.maximum(counts, 1)), 0.0)
    return glia.from_numpy(weights.astype(np.float32))
