import numpy as np

import glia
from glia.data import DataLoader
from glia.text import PadCollate, Vocab, pad_sequences
from helpers import check_raises


def test_pad_right_and_left():
    seqs = [[5, 6, 7], [8], []]
    ids, mask = pad_sequences(seqs, pad_id=0)
    assert ids.dtype == glia.int64 and mask.dtype == glia.bool and ids.shape == (3, 3)
    np.testing.assert_array_equal(ids.numpy(), [[5, 6, 7], [8, 0, 0], [0, 0, 0]])
    np.testing.assert_array_equal(mask.numpy(), [[1, 1, 1], [1, 0, 0], [0, 0, 0]])
    ids, mask = pad_sequences(seqs, pad_id=Vocab.pad_id, padding="left", max_len=4)
    np.testing.assert_array_equal(ids.numpy(), [[0, 5, 6, 7], [0, 0, 0, 8], [0, 0, 0, 0]])
    np.testing.assert_array_equal(mask.numpy(), [[0, 1, 1, 1], [0, 0, 0, 1], [0, 0, 0, 0]])


def test_truncation_and_inputs():
    seqs = [np.arange(1, 6), glia.tensor([9, 8])]
    ids, mask = pad_sequences(seqs, pad_id=-1, max_len=3)
    np.testing.assert_array_equal(ids.numpy(), [[1, 2, 3], [9, 8, -1]])
    np.testing.assert_array_equal(mask.numpy(), [[1, 1, 1], [1, 1, 0]])
    ids, _ = pad_sequences(seqs, max_len=3, truncating="left")
    np.testing.assert_array_equal(ids.numpy()[0], [3, 4, 5])
    ids, _ = pad_sequences([])
    assert ids.shape == (0, 0)


def test_pad_collate_in_a_loader():
    data = [([4, 5, 6], 1), ([7], 0), ([8, 9], 1)]
    batches = list(DataLoader(data, batch_size=2, collate_fn=PadCollate(pad_id=0)))
    ids, mask, labels = batches[0]
    np.testing.assert_array_equal(ids.numpy(), [[4, 5, 6], [7, 0, 0]])
    np.testing.assert_array_equal(mask.numpy().sum(1), [3, 1])
    np.testing.assert_array_equal(labels.numpy(), [1, 0])
    ids, mask = next(iter(DataLoader([[1, 2], [3]], batch_size=2, collate_fn=PadCollate(9))))
    np.testing.assert_array_equal(ids.numpy(), [[1, 2], [3, 9]])


def test_padding_errors():
    check_raises(lambda: pad_sequences([[1.5]]), ValueError, "pad_sequences", "float64")
    check_raises(lambda: pad_sequences([[[1]]]), ValueError, "pad_sequences", "(1, 1)")
    check_raises(lambda: pad_sequences([[1]], padding="middle"), ValueError, "padding",
                 "middle")
    check_raises(lambda: pad_sequences([[1]], max_len=-2), ValueError, "max_len", "-2")
