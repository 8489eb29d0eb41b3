"""glia.save / glia.load: bit-exact round trips of every dtype, the safetensors byte layout,
atomic writes (no temp files, an existing file survives a failed write), validation of
corrupt files, and interoperability with the reference safetensors reader and writer."""
import json
import os
import pickle
import struct

import numpy as np
import pytest

import glia
from glia import nn, serialization
from helpers import check_raises


def tensors():
    """One tensor of each dtype and a few awkward shapes."""
    rng = np.random.default_rng(0)
    return {
        "f32": glia.tensor(rng.standard_normal((3, 4)).astype(np.float32)),
        "f64": glia.tensor(rng.standard_normal((2, 3, 2))),
        "i64": glia.tensor(rng.integers(-2**62, 2**62, size=(5,))),
        "bool": glia.tensor(rng.random((2, 2)) > 0.5),
        "scalar": glia.tensor(3.5),
        "empty": glia.zeros(0, 7),
        "noncontig": glia.tensor(rng.standard_normal((4, 3))).t(),
        "special": glia.tensor([np.inf, -np.inf, np.nan, -0.0], dtype=glia.float32),
    }


def test_round_trip_every_dtype_bit_exact(tmp_path):
    path = tmp_path / "all.safetensors"
    src = tensors()
    glia.save(src, path)
    out = glia.load(path)
    assert list(out) == list(src)
    for k, v in src.items():
        assert out[k].dtype == v.dtype and out[k].shape == v.shape, k
        assert out[k].numpy().tobytes() == v.numpy().tobytes(), k  # NaN, -0.0 included
        assert not out[k].requires_grad
    # loaded tensors own writable memory
    out["f32"].fill_(0.0)
    assert out["f32"].sum().item() == 0.0


def test_module_state_dict_round_trip(tmp_path):
    model = nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 2))
    model.register_buffer("count", glia.tensor([7]))
    glia.save(model.state_dict(), str(tmp_path / "m.safetensors"))
    other = nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 2))
    other.register_buffer("count", glia.tensor([0]))
    assert other.load_state_dict(glia.load(tmp_path / "m.safetensors")) == ([], [])
    x = glia.randn(3, 4)
    np.testing.assert_array_equal(other(x).detach().numpy(), model(x).detach().numpy())
    assert other.count.tolist() == [7]


def test_file_layout_is_safetensors(tmp_path):
    path = tmp_path / "layout.safetensors"
    glia.save({"a": glia.arange(3), "b": glia.ones(2, 2, dtype=glia.float64)}, path,
              metadata={"format": "pt", "note": "glia"})
    raw = path.read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    assert (8 + n) % 8 == 0  # data starts 8-byte aligned
    header = json.loads(raw[8:8 + n])
    assert header["__metadata__"] == {"format": "pt", "note": "glia"}
    assert header["a"] == {"dtype": "I64", "shape": [3], "data_offsets": [0, 24]}
    assert header["b"] == {"dtype": "F64", "shape": [2, 2], "data_offsets": [24, 56]}
    assert len(raw) == 8 + n + 56
    assert np.frombuffer(raw[8 + n:8 + n + 24], "<i8").tolist() == [0, 1, 2]


def test_write_leaves_no_temp_files_and_overwrites(tmp_path):
    path = tmp_path / "w.safetensors"
    glia.save({"x": glia.ones(2)}, path)
    glia.save({"x": glia.zeros(3)}, path)
    assert os.listdir(tmp_path) == ["w.safetensors"]
    assert glia.load(path)["x"].tolist() == [0.0, 0.0, 0.0]


def test_failed_write_keeps_existing_file(tmp_path, monkeypatch):
    path = tmp_path / "keep.safetensors"
    glia.save({"x": glia.arange(4)}, path)
    before = path.read_bytes()
    calls = []
    real = serialization._tensor_bytes

    def fail_on_second(t):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(t)

    monkeypatch.setattr(serialization, "_tensor_bytes", fail_on_second)
    check_raises(lambda: glia.save({"a": glia.ones(100), "b": glia.ones(100)}, path), OSError,
                 "disk full")
    assert len(calls) == 2  # it failed midway, after writing part of the data
    monkeypatch.setattr(serialization, "_tensor_bytes", real)
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError("fsync failed")))
    check_raises(lambda: glia.save({"a": glia.ones(3)}, path), OSError, "fsync failed")
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["keep.safetensors"]
    assert glia.load(path)["x"].tolist() == [0, 1, 2, 3]


def test_save_rejects_bad_input(tmp_path):
    p = tmp_path / "bad.safetensors"
    check_raises(lambda: glia.save([glia.ones(1)], p), TypeError, "dict", "list")
    check_raises(lambda: glia.save(nn.Linear(1, 1), p), TypeError, "state_dict", "Linear")
    check_raises(lambda: glia.save({1: glia.ones(1)}, p), TypeError, "keys must be strings")
    check_raises(lambda: glia.save({"a": np.ones(1)}, p), TypeError, "'a'", "ndarray")
    check_raises(lambda: glia.save({"__metadata__": glia.ones(1)}, p), ValueError, "reserved")
    check_raises(lambda: glia.save({"a": glia.ones(1)}, p, metadata={"k": 1}), TypeError,
                 "metadata")
    assert os.listdir(tmp_path) == []


def write_raw(path, header, data=b""):
    """A file with a given header (dict or raw bytes) and data section."""
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)
    return path


GOOD = {"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}
CORRUPT = {
    "short": (None, "shorter than the 8-byte"),
    "huge_length": (b"huge", "exceeds the file size"),
    "not_json": (b"{not json", "not valid JSON"),
    "not_object": (b"[1, 2]", "start with '{'"),
    "json_list_in_braces": (b"{}}", "not valid JSON"),
    "bad_dtype": ({"x": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}}, "'F16'"),
    "bad_shape": ({"x": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}, "shape"),
    "size_mismatch": ({"x": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, "needs 12"),
    "past_end": ({"x": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, "data section"),
    "gap": ({"x": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, "gap"),
    "overlap": ({"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                 "y": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, "overlap"),
    "trailing": ({"x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, "cover 4"),
    "missing_field": ({"x": {"dtype": "F32", "shape": [2]}}, "data_offsets"),
    "bad_offsets": ({"x": {"dtype": "F32", "shape": [2], "data_offsets": [0]}}, "data_offsets"),
    "bad_metadata": (dict(GOOD, __metadata__={"k": 3}), "__metadata__"),
    "duplicate": (b'{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
                  + b'"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', "twice"),
    "bool_bytes": ({"x": {"dtype": "BOOL", "shape": [8], "data_offsets": [0, 8]}}, "BOOL"),
}


@pytest.mark.parametrize("case", list(CORRUPT))
def test_corrupt_files_raise_value_error_naming_file(tmp_path, case):
    header, fragment = CORRUPT[case]
    path = tmp_path / f"{case}.safetensors"
    if header is None:
        path.write_bytes(b"\x01\x02\x03")
    elif header == b"huge":
        path.write_bytes(struct.pack("<Q", 1 << 40) + b"{}")
    else:
        write_raw(path, header, bytes(range(1, 9)))
    check_raises(lambda: glia.load(path), ValueError, str(path), fragment)


def test_valid_minimal_file_and_pickle_is_refused(tmp_path):
    path = write_raw(tmp_path / "ok.safetensors", GOOD, np.array([1.5, -2.0], "<f4").tobytes())
    assert glia.load(path)["x"].tolist() == [1.5, -2.0]
    empty = write_raw(tmp_path / "empty.safetensors", {})
    assert dict(glia.load(empty)) == {}
    pkl = tmp_path / "model.pt"
    pkl.write_bytes(pickle.dumps({"w": [1.0, 2.0]}))
    check_raises(lambda: glia.load(pkl), ValueError, "model.pt")


def test_interop_with_reference_safetensors(tmp_path):
    import safetensors.numpy as st
    src = tensors()
    ours = tmp_path / "glia.safetensors"
    glia.save(src, ours, metadata={"by": "glia"})
    read = st.load_file(str(ours))
    assert set(read) == set(src)
    for k, v in src.items():
        np.testing.assert_array_equal(read[k], v.numpy())
        assert read[k].dtype == v.numpy().dtype
    theirs = tmp_path / "ref.safetensors"
    ref = {"w": np.arange(12, dtype=np.float32).reshape(3, 4), "d": np.array([0.25, -1e300]),
           "i": np.array([[-5, 2**40]], dtype=np.int64), "b": np.array([True, False, True]),
           "e": np.zeros((2, 0), np.float32)}
    st.save_file(ref, str(theirs), metadata={"format": "np"})
    loaded = glia.load(theirs)
    assert set(loaded) == set(ref)
    for k, v in ref.items():
        np.testing.assert_array_equal(loaded[k].numpy(), v)
        assert loaded[k].numpy().dtype == v.dtype


def test_saved_file_gets_default_permissions(tmp_path):
    # atomic writes go through mkstemp, whose files are private (0600) unless fixed up
    mask = os.umask(0o022)
    try:
        glia.save({"w": glia.ones(2)}, tmp_path / "m.safetensors")
    finally:
        os.umask(mask)
    assert (tmp_path / "m.safetensors").stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]


def test_atomic_write_leaves_the_process_umask_alone(tmp_path, monkeypatch):
    # the kernel applies the umask when the temporary file is created: the process umask is
    # never changed (a temporary 0 would let other threads create world-writable files)
    from glia._atomic import atomic_write

    mask = os.umask(0o027)
    try:
        def no_umask(_):
            raise AssertionError("atomic_write changed the process umask")

        monkeypatch.setattr(os, "umask", no_umask)
        with atomic_write(tmp_path / "a.txt", "w", encoding="utf-8") as f:
            f.write("é\n")
            (tmp_name,) = os.listdir(tmp_path)
        monkeypatch.undo()
    finally:
        os.umask(mask)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o640
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "é\n"
    assert tmp_name.startswith(".a.txt.") and tmp_name.endswith(".tmp")
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]
    with pytest.raises(ZeroDivisionError):  # a failed write leaves the old file, no temp
        with atomic_write(tmp_path / "a.txt", "w") as f:
            f.write("partial")
            1 / 0
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "é\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]
