import numpy as np
import pytest
import torch

import glia
from glia.data import Subset, TensorDataset, random_split, train_val_test_split
from glia.data.split import split_sizes
from helpers import check_raises


def test_split_sizes():
    assert split_sizes(10, [3, 7]) == [3, 7]
    assert split_sizes(10, [0.7, 0.15, 0.15]) == [7, 2, 1]  # largest remainder, ties first
    assert split_sizes(11, [0.5, 0.5]) == [6, 5]
    assert split_sizes(100, [0.8, 0.1, 0.1]) == [80, 10, 10]
    for n in range(40):
        sizes = split_sizes(n, [0.6, 0.25, 0.15])
        assert sum(sizes) == n
        assert all(abs(s - n * f) < 1 for s, f in zip(sizes, [0.6, 0.25, 0.15]))


def test_split_sizes_rejects_an_unknown_rule():
    # a misspelt rule must not fall back to largest remainder silently
    check_raises(lambda: split_sizes(10, [0.5, 0.5], "my_split", rule="Torch"), ValueError,
                 "my_split", "rule", "'Torch'")


@pytest.mark.parametrize("n,fractions", [(10, [0.34, 0.66]), (10, [0.7, 0.15, 0.15]),
                                         (7, [0.2, 0.2, 0.6]), (100, [0.29, 0.71]),
                                         (13, [0.25, 0.25, 0.25, 0.25])])
def test_random_split_sizes_match_torch(n, fractions):
    want = [len(p) for p in torch.utils.data.random_split(range(n), fractions)]
    assert [len(p) for p in random_split(TensorDataset(np.arange(n)), fractions, seed=0)] == want
    assert split_sizes(n, fractions, rule="torch") == want


def test_random_split_partitions_reproducibly():
    ds = TensorDataset(np.arange(20))
    parts = random_split(ds, [0.5, 0.3, 0.2], seed=0)
    assert [len(p) for p in parts] == [10, 6, 4]
    items = sorted(int(p[i][0].item()) for p in parts for i in range(len(p)))
    assert items == list(range(20))
    assert all(isinstance(p, Subset) for p in parts)
    again = random_split(ds, [10, 6, 4], seed=0)
    assert [a.indices.tolist() for a in parts] == [b.indices.tolist() for b in again]
    glia.manual_seed(1)
    g1 = random_split(ds, [0.5, 0.5])
    glia.manual_seed(1)
    np.testing.assert_array_equal(g1[0].indices, random_split(ds, [0.5, 0.5])[0].indices)


def test_train_val_test_split_of_arrays_and_tensors():
    x = np.arange(40).reshape(20, 2)
    y = glia.tensor(np.arange(20))
    train, val, test = train_val_test_split((x, y), (0.6, 0.2, 0.2), seed=3)
    assert [len(p[1].numpy()) for p in (train, val, test)] == [12, 4, 4]
    for xs, ys in (train, val, test):
        assert isinstance(xs, np.ndarray) and isinstance(ys, glia.Tensor)
        np.testing.assert_array_equal(xs[:, 0] // 2, ys.numpy())  # rows stay aligned
    all_y = np.concatenate([p[1].numpy() for p in (train, val, test)])
    assert sorted(all_y) == list(range(20))
    a, b = train_val_test_split(glia.tensor(x), (0.75, 0.25), seed=3)
    assert a.shape == (15, 2) and b.shape == (5, 2)
    subsets = train_val_test_split(TensorDataset(x), seed=0)
    assert [len(s) for s in subsets] == [14, 3, 3] and isinstance(subsets[0], Subset)


@pytest.mark.parametrize("fractions", [(0.7, 0.15, 0.15), (0.5, 0.3, 0.2), (0.8, 0.2)])
def test_stratified_split_keeps_class_proportions(fractions):
    rng = np.random.default_rng(0)
    labels = rng.permutation(np.repeat([0, 1, 2, 3], [101, 37, 12, 250]))
    x = np.arange(labels.size)
    parts = train_val_test_split((x, labels), fractions, stratify=labels, seed=1)
    for c, n_c in zip(*np.unique(labels, return_counts=True)):
        expected = split_sizes(n_c, fractions, "test")
        got = [int(np.sum(p[1] == c)) for p in parts]
        assert got == expected, (c, got, expected)
    for xs, ys in parts:
        np.testing.assert_array_equal(labels[xs], ys)
        assert not np.all(np.diff(ys) >= 0)  # classes are mixed, not in blocks
    assert sorted(np.concatenate([p[0] for p in parts])) == list(range(labels.size))


def test_stratified_split_matches_sklearn_counts():
    import sklearn.model_selection as sk
    labels = np.repeat([0, 1, 2], [60, 30, 10])
    train, test = train_val_test_split(labels, (0.8, 0.2), stratify=labels, seed=0)
    a, b = sk.train_test_split(labels, test_size=0.2, stratify=labels, random_state=0)
    np.testing.assert_array_equal(np.bincount(train), np.bincount(a))
    np.testing.assert_array_equal(np.bincount(test), np.bincount(b))


def test_split_errors():
    ds = TensorDataset(np.arange(10))
    check_raises(lambda: random_split(ds, [3, 3]), ValueError, "random_split", "10")
    check_raises(lambda: random_split(ds, [0.5, 0.6]), ValueError, "random_split", "1")
    check_raises(lambda: random_split(ds, [-1, 11]), ValueError, "random_split")
    check_raises(lambda: train_val_test_split((np.zeros(3), np.zeros(4))), ValueError,
                 "train_val_test_split", "(3,)", "(4,)")
    check_raises(lambda: train_val_test_split(np.zeros(4), (1.0,)), ValueError,
                 "train_val_test_split")
    check_raises(lambda: train_val_test_split(np.zeros(4), stratify=[0, 1]), ValueError,
                 "train_val_test_split", "(2,)")
