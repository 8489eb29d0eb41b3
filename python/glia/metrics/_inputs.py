"""Input checks shared by the metrics: any of glia Tensor / numpy array / list in, numpy out."""
import numpy as np

from glia._C import Tensor


def to_numpy(x, fn, name):
    """`x` as a numpy array; glia tensors are detached (metrics never build a graph)."""
    if isinstance(x, Tensor):
        return x.detach().numpy()
    try:
        return np.asarray(x)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{fn}: {name} must be a glia.Tensor, numpy array or list, "
                        f"got {type(x).__name__} ({e})") from None


def vectors(fn, y_true, y_pred, pred_name="y_pred"):
    """Two 1-D arrays of the same length (a column (N, 1) counts as a vector)."""
    a, b = to_numpy(y_true, fn, "y_true"), to_numpy(y_pred, fn, pred_name)
    out = []
    for arr, name in ((a, "y_true"), (b, pred_name)):
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim != 1:
            raise ValueError(f"{fn}: {name} must be 1-D, got shape {arr.shape}")
        out.append(arr)
    if len(out[0]) != len(out[1]):
        raise ValueError(f"{fn}: y_true and {pred_name} have different lengths "
                         f"({len(out[0])} != {len(out[1])})")
    if len(out[0]) == 0:
        raise ValueError(f"{fn}: got empty inputs")
    return out[0], out[1]


def label_vectors(fn, y_true, y_pred):
    """vectors() of two label arrays; floats must hold whole numbers, since non-integer
    floats are scores or probabilities, not labels (scikit-learn rejects them as
    "continuous" targets)."""
    y_true, y_pred = vectors(fn, y_true, y_pred)
    for arr, name in ((y_true, "y_true"), (y_pred, "y_pred")):
        if arr.dtype.kind == "f":
            bad = arr[arr != np.round(arr)]  # nan included
            if len(bad):
                raise ValueError(
                    f"{fn}: {name} must hold labels, got non-integer float {bad[0]!r} (scores "
                    "or probabilities?); threshold them, or take the argmax of (N, C) scores")
    return y_true, y_pred
