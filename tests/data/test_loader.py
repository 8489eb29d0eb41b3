import gc
import threading
import time

import numpy as np
import pytest

import glia
from glia.data import (BatchSampler, DataLoader, Dataset, SequentialSampler, TensorDataset,
                       transforms)
from helpers import check_raises


def _dataset(n=10):
    return TensorDataset(np.arange(n, dtype=np.float32).reshape(n, 1), np.arange(n))


def _labels(loader):
    return [b[1].numpy().tolist() for b in loader]


def test_sequential_batches_and_len():
    loader = DataLoader(_dataset(10), batch_size=4)
    assert len(loader) == 3
    assert _labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    xb, yb = next(iter(loader))
    assert xb.shape == (4, 1) and xb.dtype == glia.float32 and yb.dtype == glia.int64


def test_drop_last():
    loader = DataLoader(_dataset(10), batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert _labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(DataLoader(_dataset(8), batch_size=4, drop_last=True)) == 2


def test_shuffle_is_a_permutation_new_each_epoch():
    loader = DataLoader(_dataset(50), batch_size=8, shuffle=True)
    a = [i for batch in _labels(loader) for i in batch]
    b = [i for batch in _labels(loader) for i in batch]
    assert sorted(a) == sorted(b) == list(range(50))
    assert a != b and a != list(range(50))


def test_shuffle_reproducible_under_manual_seed():
    def run():
        glia.manual_seed(7)
        loader = DataLoader(_dataset(30), batch_size=4, shuffle=True)
        return _labels(loader) + _labels(loader)

    assert run() == run()
    glia.manual_seed(8)
    assert _labels(DataLoader(_dataset(30), batch_size=4, shuffle=True)) != run()[:8]


def test_explicit_seed_ignores_global_generator():
    def epochs(loader_seed, global_seed):
        glia.manual_seed(global_seed)
        loader = DataLoader(_dataset(30), batch_size=4, shuffle=True, seed=loader_seed)
        return _labels(loader), _labels(loader)

    first, second = epochs(3, 0)
    assert epochs(3, 99) == (first, second)
    assert first != second
    gen = DataLoader(_dataset(30), batch_size=4, shuffle=True,
                     generator=np.random.default_rng(3))
    assert _labels(gen) == first


class Augmented(Dataset):
    """Samples that draw from the current random source, like an augmentation does."""

    def __len__(self):
        return 12

    def __getitem__(self, i):
        noise = transforms.GaussianNoise(1.0)(np.zeros((1, 2, 2), np.float32))
        return noise, i


def _epoch(loader, interfere):
    out = []
    for x, y in loader:
        out.append(x.numpy().copy())
        if interfere:  # the training loop uses glia's generator too (dropout, init, ...)
            glia.rand(5)
    return np.concatenate(out)


@pytest.mark.parametrize("prefetch", [False, True, 3])
def test_augmentation_reproducible_with_and_without_prefetch(prefetch):
    def run(prefetch, interfere):
        glia.manual_seed(11)
        loader = DataLoader(Augmented(), batch_size=5, shuffle=True, prefetch=prefetch)
        return _epoch(loader, interfere), _epoch(loader, interfere)

    # The loop's own draws between batches do not change the epoch's samples (they may
    # change the next epoch's seed, which is drawn from glia's generator, as in torch).
    for interfere in (False, True):
        reference = run(False, interfere)
        got = run(prefetch, interfere)
        np.testing.assert_array_equal(got[0], reference[0])
        np.testing.assert_array_equal(got[1], reference[1])
        np.testing.assert_array_equal(got[0], run(False, not interfere)[0])
    assert not np.array_equal(reference[0], reference[1])  # new draws each epoch


def test_prefetch_yields_the_same_batches():
    ds = TensorDataset(np.random.default_rng(0).standard_normal((23, 3)).astype(np.float32))
    plain = [b[0].numpy() for b in DataLoader(ds, batch_size=5)]
    fetched = [b[0].numpy() for b in DataLoader(ds, batch_size=5, prefetch=2)]
    assert len(plain) == len(fetched) == 5
    for a, b in zip(plain, fetched):
        np.testing.assert_array_equal(a, b)


class Failing(Dataset):
    def __len__(self):
        return 10

    def __getitem__(self, i):
        if i == 6:
            raise KeyError(f"sample {i} is broken")
        return np.float32(i)


def test_prefetch_reraises_worker_errors_in_main_thread():
    loader = DataLoader(Failing(), batch_size=2, prefetch=True)
    seen = []
    with pytest.raises(KeyError, match="sample 6 is broken"):
        for batch in loader:
            seen.append(batch.numpy().tolist())
    assert seen == [[0, 1], [2, 3], [4, 5]]


def _prefetch_threads():
    return [t for t in threading.enumerate() if t.name == "glia-data-prefetch"]


class Endless(Dataset):
    """A slow, long dataset: a worker left running would keep the queue full forever."""

    def __len__(self):
        return 10_000

    def __getitem__(self, i):
        return np.float32(i)


def test_prefetch_stops_when_consumer_breaks_early():
    loader = DataLoader(Endless(), batch_size=4, prefetch=2)
    for i, batch in enumerate(loader):
        if i == 2:
            break
    gc.collect()
    deadline = time.monotonic() + 5
    while _prefetch_threads() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not _prefetch_threads()
    it = iter(loader)
    next(it)
    it.close()  # explicit close joins the worker
    assert not _prefetch_threads()
    with pytest.raises(StopIteration):
        next(it)


def test_custom_sampler_batch_sampler_and_collate():
    ds = _dataset(6)
    reverse = list(reversed(range(6)))
    assert _labels(DataLoader(ds, batch_size=4, sampler=reverse)) == [[5, 4, 3, 2], [1, 0]]
    bs = BatchSampler(SequentialSampler(ds), 3)
    assert _labels(DataLoader(ds, batch_sampler=bs)) == [[0, 1, 2], [3, 4, 5]]
    loader = DataLoader(ds, batch_size=4, collate_fn=lambda s: [int(y) for _, y in s])
    assert list(loader) == [[0, 1, 2, 3], [4, 5]]


def test_loader_errors():
    ds = _dataset(4)
    check_raises(lambda: DataLoader(ds, batch_size=0), ValueError, "batch_size", "0")
    check_raises(lambda: DataLoader(ds, shuffle=True, sampler=[0, 1]), ValueError,
                 "DataLoader", "shuffle")
    check_raises(lambda: DataLoader(ds, prefetch=-1), ValueError, "DataLoader", "prefetch")
    check_raises(lambda: DataLoader(ds, seed=1, generator=2), ValueError, "DataLoader")
    check_raises(lambda: DataLoader(ds, generator="x"), TypeError, "DataLoader", "str")
    check_raises(lambda: DataLoader(ds, collate_fn=3), TypeError, "DataLoader", "collate_fn")
