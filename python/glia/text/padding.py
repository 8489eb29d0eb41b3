"""Padding variable-length token sequences into one tensor with a mask, and a collate
function that does it inside a DataLoader."""
import numbers

import numpy as np

import glia
from glia.data.collate import default_collate
from glia.metrics._inputs import to_numpy


def _side(value, name):
    if value not in ("right", "left"):
        raise ValueError(f"pad_sequences: {name} must be 'right' or 'left', got {value!r}")
    return value


def pad_sequences(seqs, pad_id=0, max_len=None, padding="right", truncating="right"):
    """Pads (or cuts) token-id sequences to one length.

    Args:
        seqs: sequences of ints (lists, numpy arrays or 1-D int tensors).
        pad_id: the id written into the padding (e.g. Vocab.pad_id).
        max_len: the output length; default the longest sequence. Longer ones are cut.
        padding: 'right' (pad after the tokens) or 'left' (before).
        truncating: 'right' (drop the end of long sequences) or 'left' (drop the start).
    Returns:
        (ids, mask): int64 (N, L) ids and a bool (N, L) mask, True at real tokens.
    """
    _side(padding, "padding")
    _side(truncating, "truncating")
    rows = []
    for k, s in enumerate(seqs):
        arr = to_numpy(s, "pad_sequences", f"sequence {k}")
        if arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iu"):
            raise ValueError(f"pad_sequences: sequence {k} must be a 1-D sequence of ints, got "
                             f"shape {arr.shape} and dtype {arr.dtype}")
        rows.append(arr.astype(np.int64))
    if max_len is None:
        max_len = max((len(r) for r in rows), default=0)
    elif not isinstance(max_len, numbers.Integral) or max_len < 0:
        raise ValueError(f"pad_sequences: max_len must be an int >= 0, got {max_len!r}")
    ids = np.full((len(rows), max_len), pad_id, dtype=np.int64)
    mask = np.zeros((len(rows), max_len), dtype=bool)
    for i, row in enumerate(rows):
        if len(row) > max_len:
            row = row[:max_len] if truncating == "right" else row[len(row) - max_len:]
        cols = slice(0, len(row)) if padding == "right" else slice(max_len - len(row), max_len)
        ids[i, cols] = row
        mask[i, cols] = True
    return glia.from_numpy(ids), glia.from_numpy(mask)


class PadCollate:
    """A DataLoader collate_fn for variable-length sequences: samples are sequences, or
    tuples whose first item is the sequence (e.g. ``(ids, label)``). Returns
    ``[ids, mask, *rest]``: the padded ids and mask (see pad_sequences), then the other
    fields batched by default_collate.
    """

    def __init__(self, pad_id=0, max_len=None, padding="right", truncating="right"):
        self.kwargs = {"pad_id": pad_id, "max_len": max_len, "padding": padding,
                       "truncating": truncating}

    def __call__(self, batch):
        if isinstance(batch[0], tuple):
            seqs = [sample[0] for sample in batch]
            rest = default_collate([sample[1:] for sample in batch]) if len(batch[0]) > 1 else []
        else:
            seqs, rest = batch, []
        return [*pad_sequences(seqs, **self.kwargs), *rest]
