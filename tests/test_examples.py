"""Short runs of the examples on real data."""
from helpers import import_example

cnn_digits = import_example("cnn_digits")


def test_cnn_digits_learns_real_digits():
    lines = []
    accuracy, losses = cnn_digits.train(epochs=4, out=lines.append)
    assert accuracy > 0.9  # chance is 0.1
    assert losses[-1] < 0.5 * losses[0]
    assert "test accuracy" in lines[-1]
