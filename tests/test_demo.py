"""The README's main job: python -m glia demo trains a CNN on the bundled digits."""
import os

import numpy as np
import pytest

from glia.__main__ import main
from glia.demo import run, stratified_split

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")


def test_short_demo_learns_and_saves(tmp_path):
    lines = []
    result = run(out=str(tmp_path), epochs=2, verbose=0, print=lines.append)
    assert result["accuracy"] > 0.5  # chance is 0.1; the full run reaches ~99%
    cm = result["confusion_matrix"]
    assert cm.shape == (10, 10) and cm.sum() == 270 and np.trace(cm) == round(270 * result["accuracy"])
    assert sorted(os.listdir(tmp_path)) == ["history.csv", "learning_curves.png", "model.safetensors"]
    assert open(tmp_path / "learning_curves.png", "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    assert any(line.startswith("test accuracy") for line in lines)
    assert any("confusion matrix" in line for line in lines)
    assert any(str(tmp_path / "model.safetensors") in line for line in lines)


def test_split_is_stratified_and_disjoint():
    y = np.repeat(np.arange(4), [20, 40, 60, 80])
    parts = stratified_split(y, seed=1)
    assert sum(len(p) for p in parts) == len(y)
    assert len(np.unique(np.concatenate(parts))) == len(y)
    for p, share in zip(parts, (0.7, 0.15, 0.15)):
        np.testing.assert_allclose(np.bincount(y[p], minlength=4), share * np.bincount(y), atol=1)


def test_cli_rejects_unknown_arguments(capsys):
    with pytest.raises(SystemExit):
        main(["--version", "--bogus"])
    assert "--bogus" in capsys.readouterr().err


def test_missing_requirements_name_the_extra(monkeypatch, capsys, tmp_path):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    assert main(["demo", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert 'pip install "glia[demo]"' in err and "matplotlib is missing" in err
    assert os.listdir(tmp_path) == []
