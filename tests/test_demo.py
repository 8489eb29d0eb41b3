"""The README's main job: python -m glia demo trains a CNN on the bundled digits."""
import os

import numpy as np
import pytest
from glia.__main__ import main
from glia.demo import run


def test_short_demo_learns_and_saves(tmp_path):
    lines = []
    result = run(out=str(tmp_path), epochs=1, verbose=0, print=lines.append)
    assert result["accuracy"] > 0.5  # chance is 0.1; the full run reaches ~99%
    cm = result["confusion_matrix"]
    n_test = cm.sum()
    assert cm.shape == (10, 10) and abs(n_test - 0.15 * 1797) < 10  # the 15% test split
    assert np.trace(cm) == round(n_test * result["accuracy"])
    assert sorted(os.listdir(tmp_path)) == [
        "history.csv", "learning_curves.png", "model.safetensors"]
    assert (tmp_path / "learning_curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert any(line.startswith("test accuracy") for line in lines)
    assert any("confusion matrix" in line for line in lines)
    assert any(str(tmp_path / "model.safetensors") in line for line in lines)


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
