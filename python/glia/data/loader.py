"""DataLoader: batches from a dataset, shuffled reproducibly, optionally prefetched by a
background thread."""
import numbers
import queue
import threading

from glia.data import _random
from glia.data.collate import default_collate
from glia.data.sampler import BatchSampler, RandomSampler, SequentialSampler


class DataLoader:
    """Iterates over `dataset` in batches, as torch.utils.data.DataLoader.

    Args:
        dataset: a map-style dataset (``__getitem__`` and ``__len__``).
        batch_size: samples per batch.
        shuffle: a new random order each epoch.
        sampler: yields the indices of one epoch (excludes `shuffle`).
        batch_sampler: yields lists of indices (excludes batch_size, shuffle, sampler,
            drop_last).
        drop_last: drop the last batch when it is smaller than `batch_size`.
        collate_fn: turns a list of samples into a batch (default: `default_collate`).
        generator, seed: where the epoch's randomness comes from (a numpy Generator or an int
            seed). Without them each epoch draws a seed from glia's global generator, so
            ``glia.manual_seed(s)`` makes shuffling and augmentation reproducible.
        prefetch: False, or True / a number n >= 1 to prepare up to n (True: 2) batches
            ahead in a background thread. The batches are the same either way.

    Each epoch draws one generator up front and runs its sampling, loading and augmentation
    with it (see glia.data._random), so results do not depend on threads or on what the
    training loop draws from glia's generator in between.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None,
                 drop_last=False, collate_fn=None, generator=None, seed=None, prefetch=False):
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("DataLoader: batch_sampler excludes batch_size, shuffle, "
                                 "sampler and drop_last")
        elif sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler excludes shuffle (the sampler decides the "
                             "order)")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be callable, got {collate_fn!r}")
        self.dataset = dataset
        self._rng = _random.resolve(generator, seed, "DataLoader")
        if batch_sampler is None:
            if sampler is None:
                sampler = RandomSampler(dataset) if shuffle else SequentialSampler(dataset)
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.batch_size = getattr(batch_sampler, "batch_size", None)
        self.drop_last = getattr(batch_sampler, "drop_last", False)
        self.collate_fn = collate_fn or default_collate
        self.prefetch = _prefetch_count(prefetch)

    def __len__(self):
        return len(self.batch_sampler)

    def __iter__(self):
        # The epoch's generator is drawn now, in the caller's thread, not lazily.
        rng = self._rng or _random.current()
        batches = self._epoch(rng)
        return _Prefetcher(batches, self.prefetch) if self.prefetch else batches

    def _epoch(self, rng):
        fetch = getattr(self.dataset, "get_batch", None)
        if self.collate_fn is not default_collate:
            fetch = None
        indices = iter(self.batch_sampler)
        while True:
            with _random.scope(rng):
                idx = next(indices, None)
                if idx is None:
                    return
                if fetch is not None:
                    batch = fetch(idx)
                else:
                    batch = self.collate_fn([self.dataset[i] for i in idx])
            yield batch


def _prefetch_count(prefetch):
    if prefetch is True:
        return 2
    if prefetch is False or prefetch is None:
        return 0
    if not isinstance(prefetch, numbers.Integral) or prefetch < 1:
        raise ValueError(f"DataLoader: prefetch must be a bool or an int >= 1, got {prefetch!r}")
    return int(prefetch)


class _Prefetcher:
    """Runs a batch iterator in a daemon thread, `depth` batches ahead. The worker's
    exceptions are raised in the consumer; when the consumer stops early (break, close, or
    the iterator is dropped) the worker is told to stop and the thread ends."""

    _POLL_S = 0.05

    def __init__(self, batches, depth):
        self._queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        # The thread gets no reference to self, so dropping the iterator frees it.
        self._thread = threading.Thread(target=_prefetch_worker, name="glia-data-prefetch",
                                        args=(batches, self._queue, self._stop), daemon=True)
        self._thread.start()
        self._done = False

    def __iter__(self):
        return self

    def __next__(self):
        if self._done:
            raise StopIteration
        while True:
            try:
                kind, value = self._queue.get(timeout=self._POLL_S)
                break
            except queue.Empty:
                if not self._thread.is_alive() and self._queue.empty():
                    self._done = True
                    raise RuntimeError("DataLoader: the prefetch thread ended without "
                                       "finishing the epoch") from None
        if kind == "batch":
            return value
        self._done = True
        self._thread.join()
        if kind == "error":
            raise value
        raise StopIteration

    def close(self):
        """Stops the worker and waits for its thread to end."""
        self._done = True
        self._stop.set()
        while self._thread.is_alive():
            try:  # make room, so a worker blocked on a full queue sees the stop
                self._queue.get_nowait()
            except queue.Empty:
                pass
            self._thread.join(self._POLL_S)

    def __del__(self):
        if hasattr(self, "_thread"):
            self.close()


def _prefetch_worker(batches, out, stop):
    def put(item):
        while not stop.is_set():
            try:
                out.put(item, timeout=_Prefetcher._POLL_S)
                return True
            except queue.Full:
                continue
        return False

    try:
        for batch in batches:
            if not put(("batch", batch)):
                return
        put(("end", None))
    except BaseException as e:  # noqa: BLE001  re-raised in the consumer's thread
        put(("error", e))
    finally:
        batches.close()
