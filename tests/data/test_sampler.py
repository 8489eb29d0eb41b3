import numpy as np

import glia
from glia.data import (BatchSampler, RandomSampler, SequentialSampler, SubsetRandomSampler,
                       WeightedRandomSampler)
from helpers import check_raises


def test_sequential_and_batch_sampler():
    assert list(SequentialSampler(range(5))) == [0, 1, 2, 3, 4]
    assert list(BatchSampler(range(7), 3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(BatchSampler(range(7), 3, drop_last=True)) == [[0, 1, 2], [3, 4, 5]]
    assert len(BatchSampler(range(7), 3)) == 3 and len(BatchSampler(range(7), 3, True)) == 2
    assert list(BatchSampler(range(0), 3)) == [] and len(BatchSampler(range(0), 3)) == 0


def test_random_sampler_permutes_and_is_seeded():
    a = list(RandomSampler(range(20), seed=1))
    assert sorted(a) == list(range(20)) and a != list(range(20))
    assert a == list(RandomSampler(range(20), seed=1))
    s = RandomSampler(range(20), seed=1)
    assert list(s) != list(s)  # a seeded sampler moves on each epoch
    glia.manual_seed(4)
    b = list(RandomSampler(range(20)))
    glia.manual_seed(4)
    assert b == list(RandomSampler(range(20)))
    draws = list(RandomSampler(range(3), replacement=True, num_samples=50, seed=0))
    assert len(draws) == 50 and set(draws) == {0, 1, 2}


def test_subset_random_sampler():
    out = list(SubsetRandomSampler([3, 8, 9, 11], seed=0))
    assert sorted(out) == [3, 8, 9, 11]
    indices = list(range(100, 130))
    a = list(SubsetRandomSampler(indices, seed=0))
    assert sorted(a) == indices and a != indices  # a permutation, not the given order
    # the same seed gives the same order (exactly numpy's permutation of the positions)
    assert a == list(SubsetRandomSampler(indices, seed=0))
    assert a == [indices[i] for i in np.random.default_rng(0).permutation(30)]
    assert a != list(SubsetRandomSampler(indices, seed=1))
    s = SubsetRandomSampler(indices, seed=0)
    first, second = list(s), list(s)
    assert first == a and second != first and sorted(second) == indices  # a new epoch
    # without a seed, glia.manual_seed fixes the order
    glia.manual_seed(4)
    b = list(SubsetRandomSampler(indices))
    glia.manual_seed(4)
    assert b == list(SubsetRandomSampler(indices)) and sorted(b) == indices and b != indices
    glia.manual_seed(5)
    assert list(SubsetRandomSampler(indices)) != b


def test_weighted_sampler_frequencies_follow_weights():
    weights = np.array([1.0, 2.0, 0.0, 7.0])
    draws = np.array(list(WeightedRandomSampler(weights, 20000, seed=0)))
    freq = np.bincount(draws, minlength=4) / draws.size
    np.testing.assert_allclose(freq, weights / weights.sum(), atol=0.01)
    assert freq[2] == 0
    unique = list(WeightedRandomSampler(glia.tensor(weights), 3, replacement=False, seed=0))
    assert sorted(unique) == [0, 1, 3]
    assert list(WeightedRandomSampler(weights, 9, seed=5)) == \
        list(WeightedRandomSampler(weights, 9, seed=5))


def test_weighted_sampler_balances_classes_with_class_weights():
    labels = np.array([0] * 90 + [1] * 10)
    per_sample = (1.0 / np.bincount(labels))[labels]
    draws = np.array(list(WeightedRandomSampler(per_sample, 10000, seed=1)))
    assert abs((labels[draws] == 1).mean() - 0.5) < 0.02


def test_weights_requiring_grad_are_read_detached():
    w = glia.tensor([0.0, 1.0, 0.0], requires_grad=True)
    assert list(WeightedRandomSampler(w, 4, seed=0)) == [1, 1, 1, 1]


def test_sampler_errors():
    check_raises(lambda: WeightedRandomSampler([1.0, -1.0], 2), ValueError,
                 "WeightedRandomSampler", "-1")
    check_raises(lambda: WeightedRandomSampler([0.0, 0.0], 2), ValueError,
                 "WeightedRandomSampler")
    check_raises(lambda: WeightedRandomSampler([1.0, 0.0], 2, replacement=False), ValueError,
                 "WeightedRandomSampler", "2")
    check_raises(lambda: WeightedRandomSampler([[1.0]], 1), ValueError, "WeightedRandomSampler",
                 "(1, 1)")
    check_raises(lambda: WeightedRandomSampler([1.0], 0), ValueError, "num_samples", "0")
    check_raises(lambda: RandomSampler(range(3), num_samples=5), ValueError, "RandomSampler",
                 "replacement")
    check_raises(lambda: BatchSampler(range(3), 0), ValueError, "BatchSampler", "0")
    check_raises(lambda: list(RandomSampler([], replacement=True, num_samples=2)), ValueError,
                 "RandomSampler", "empty")
