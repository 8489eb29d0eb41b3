"""Short runs of the examples on real data."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples"))

import cnn_digits  # noqa: E402


def test_cnn_digits_learns_real_digits():
    lines = []
    accuracy, losses = cnn_digits.train(epochs=4, out=lines.append)
    assert accuracy > 0.9  # chance is 0.1
    assert losses[-1] < 0.5 * losses[0]
    assert "test accuracy" in lines[-1]
