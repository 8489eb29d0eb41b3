"""glia.save / glia.load: flat dicts of tensors in the safetensors format.

Layout (https://github.com/huggingface/safetensors): an 8-byte little-endian header length
N, N bytes of JSON mapping each name to {"dtype", "shape", "data_offsets": [begin, end]}
(plus an optional "__metadata__" dict of strings), then the raw little-endian tensor bytes,
offsets counted from the end of the header. Nothing is unpickled, so loading runs no code.
"""
import json
import math
import os
from collections import OrderedDict
from collections.abc import Mapping

import numpy as np

import glia
from glia._atomic import atomic_write

__all__ = ["load", "save"]

_TO_NUMPY = {"F32": "<f4", "F64": "<f8", "I64": "<i8", "BOOL": "|b1"}
_FROM_GLIA = {"float32": "F32", "float64": "F64", "int64": "I64", "bool": "BOOL"}
_MAX_HEADER = 100 * 1024 * 1024  # the limit the reference reader uses


def _tensor_bytes(tensor):
    """The tensor's values as C-ordered little-endian bytes."""
    arr = tensor.detach().numpy()
    return np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<")).tobytes()


def _check_state(obj):
    """The (name, tensor) pairs to write, from a mapping of str to glia.Tensor."""
    if not isinstance(obj, Mapping):
        raise TypeError(f"save: expected a dict of str -> glia.Tensor (e.g. a state_dict()), "
                        f"got {type(obj).__name__}")
    items = []
    for name, t in obj.items():
        if not isinstance(name, str):
            raise TypeError(f"save: keys must be strings, got {name!r}")
        if name == "__metadata__":
            raise ValueError("save: the key '__metadata__' is reserved by the file format")
        if not isinstance(t, glia.Tensor):
            raise TypeError(f"save: value of {name!r} must be a glia.Tensor, "
                            f"got {type(t).__name__}")
        if t.dtype.name not in _FROM_GLIA:
            raise TypeError(f"save: {name!r} has unsupported dtype {t.dtype}")
        items.append((name, t))
    return items


def _header(items, metadata):
    """The padded JSON header bytes for tensors laid out back to back in `items` order."""
    header, offset = {}, 0
    if metadata is not None:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise TypeError("save: metadata must map str to str")
        header["__metadata__"] = dict(metadata)
    for name, t in items:
        size = t.numel() * t.dtype.itemsize
        header[name] = {"dtype": _FROM_GLIA[t.dtype.name], "shape": list(t.shape),
                        "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    # pad with spaces so the data starts 8-byte aligned, as the reference writer does
    return raw + b" " * (-len(raw) % 8)


def save(obj, path, metadata=None):
    """Writes a flat dict of tensors (e.g. model.state_dict()) to a safetensors file.

    The file is written to a temporary file in the same directory, flushed to disk and
    renamed over `path`, so a crash never leaves a partial file behind.

    Args:
        obj: dict of str -> glia.Tensor.
        path: destination file path.
        metadata: optional dict of str -> str stored under "__metadata__".
    """
    items = _check_state(obj)
    header = _header(items, metadata)
    with atomic_write(path, "wb") as f:
        f.write(len(header).to_bytes(8, "little"))
        f.write(header)
        for _, t in items:
            f.write(_tensor_bytes(t))




def _bad(path, what):
    return ValueError(f"load: {path!r} is not a valid safetensors file: {what}")


def _no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    for k in keys:
        if keys.count(k) > 1:
            raise KeyError(k)
    return dict(pairs)


def _parse_header(path, data):
    if len(data) < 8:
        raise _bad(path, f"file is {len(data)} bytes, shorter than the 8-byte header length")
    n = int.from_bytes(data[:8], "little")
    if n > _MAX_HEADER or 8 + n > len(data):
        raise _bad(path, f"header length {n} exceeds the file size {len(data)}")
    raw = bytes(data[8:8 + n])
    if not raw.startswith(b"{"):
        raise _bad(path, "header does not start with '{'")
    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise _bad(path, f"header is not valid JSON ({e})") from None
    except KeyError as e:
        raise _bad(path, f"header names {e.args[0]!r} twice") from None
    if not isinstance(header, dict):
        raise _bad(path, "header is not a JSON object")
    return header, 8 + n


def _entry(path, name, info, buffer_len):
    """Validated (numpy dtype, shape, begin, end) of one header entry."""
    if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
        raise _bad(path, f"entry {name!r} must have exactly dtype, shape and data_offsets")
    dt, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    if dt not in _TO_NUMPY:
        raise _bad(path, f"entry {name!r} has unsupported dtype {dt!r} "
                         f"(glia reads {', '.join(_TO_NUMPY)})")
    if not isinstance(shape, list) or not all(type(s) is int and s >= 0 for s in shape):
        raise _bad(path, f"entry {name!r} has invalid shape {shape!r}")
    if (not isinstance(offsets, list) or len(offsets) != 2
            or not all(type(o) is int for o in offsets)):
        raise _bad(path, f"entry {name!r} has invalid data_offsets {offsets!r}")
    begin, end = offsets
    nbytes = math.prod(shape) * np.dtype(_TO_NUMPY[dt]).itemsize
    if not 0 <= begin <= end <= buffer_len or end - begin != nbytes:
        raise _bad(path, f"entry {name!r} has data_offsets {offsets} but needs {nbytes} bytes "
                         f"within a data section of {buffer_len} bytes")
    return _TO_NUMPY[dt], tuple(shape), begin, end


def load(path):
    """Reads a safetensors file written by glia.save (or any writer of F32/F64/I64/BOOL).

    Args:
        path: the file to read.
    Returns:
        dict of str -> glia.Tensor, in the file's data order; each tensor owns its memory.
    Raises:
        ValueError naming the file if the header or the offsets are malformed.
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        data = f.read()
    header, start = _parse_header(path, data)
    metadata = header.pop("__metadata__", None)
    if metadata is not None and not (isinstance(metadata, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())):
        raise _bad(path, "__metadata__ must map strings to strings")
    buffer_len = len(data) - start
    entries = sorted(((_entry(path, k, v, buffer_len), k) for k, v in header.items()),
                     key=lambda e: (e[0][2], e[0][3]))
    # tensors must tile the data section exactly: no overlap, no gaps, nothing after
    cursor = 0
    out = OrderedDict()
    for (np_dtype, shape, begin, end), name in entries:
        if begin != cursor:
            raise _bad(path, f"entry {name!r} starts at byte {begin}, expected {cursor} "
                             "(tensors overlap or leave a gap)")
        cursor = end
        arr = np.frombuffer(data, dtype=np_dtype, count=math.prod(shape), offset=start + begin)
        if np_dtype == "|b1" and arr.view(np.uint8).max(initial=0) > 1:
            raise _bad(path, f"entry {name!r} holds BOOL bytes other than 0 and 1")
        # a native-order copy: the tensor must not alias the read-only file bytes
        out[name] = glia.from_numpy(arr.astype(np_dtype[1:], copy=True).reshape(shape))
    if cursor != buffer_len:
        raise _bad(path, f"data section is {buffer_len} bytes but the tensors cover {cursor}")
    return out
