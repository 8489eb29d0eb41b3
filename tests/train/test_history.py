"""History bookkeeping and History.plot."""
import sys

import pytest
from glia.train import History
from helpers import check_raises


def filled_history(epochs=4):
    h = History()
    for e in range(epochs):
        h.record(e, {"loss": 1.0 / (e + 1), "accuracy": 0.5 + 0.1 * e,
                     "val_loss": 1.2 / (e + 1), "val_accuracy": 0.45 + 0.1 * e, "lr": 0.1})
    return h


def test_record_and_curves():
    h = filled_history()
    assert h.epoch == [0, 1, 2, 3] and h["val_loss"] == pytest.approx([1.2, 0.6, 0.4, 0.3])
    assert h.curves() == ["loss", "accuracy"]  # val_ joined to its curve, lr left out
    only_val = History()
    only_val.record(0, {"val_loss": 1.0})
    assert only_val.curves() == ["loss"]
    assert "epochs=4" in repr(h)


def test_plot_writes_a_png(tmp_path):
    path = filled_history().plot(tmp_path / "curves.png")
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    # width (big-endian at byte 16) grows with one panel per curve
    assert int.from_bytes(data[16:20], "big") == 900
    assert [p.name for p in tmp_path.iterdir()] == ["curves.png"]


def test_plot_is_atomic(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    path = tmp_path / "curves.png"
    path.write_bytes(b"the previous plot")

    def failing_savefig(self, fname, **kwargs):
        if isinstance(fname, (str, bytes)) or hasattr(fname, "__fspath__"):
            with open(fname, "wb") as f:
                f.write(b"partial")
        else:
            fname.write(b"partial")
        raise RuntimeError("disk full")

    monkeypatch.setattr(Figure, "savefig", failing_savefig)
    check_raises(lambda: filled_history().plot(path), RuntimeError, "disk full")
    assert path.read_bytes() == b"the previous plot"
    assert [p.name for p in tmp_path.iterdir()] == ["curves.png"]


def test_plot_errors(tmp_path, monkeypatch):
    check_raises(lambda: History().plot(tmp_path / "x.png"), ValueError, "nothing to plot")
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    check_raises(lambda: filled_history().plot(tmp_path / "x.png"), ImportError,
                 'pip install "glia[plot]"')
