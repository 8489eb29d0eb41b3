import math

import numpy as np

import glia
from glia.data import make_moons, make_sine_sequences, make_spirals, make_xor
from helpers import check_raises


def test_spirals_shapes_and_geometry():
    x, y = make_spirals(n_per_class=100, n_classes=3, noise=0.0, seed=0)
    assert x.shape == (300, 2) and x.dtype == glia.float32 and y.dtype == glia.int64
    xn, yn = x.numpy().astype(np.float64), y.numpy()
    assert np.bincount(yn).tolist() == [100, 100, 100]
    # without noise every point lies on its arm: radius = t / 10 at angle t + 2 pi k / K
    r = np.hypot(xn[:, 0], xn[:, 1])
    t = r * 10
    angle = np.arctan2(xn[:, 1], xn[:, 0])
    expected = t + 2 * math.pi * yn / 3
    diff = np.angle(np.exp(1j * (angle - expected)))
    np.testing.assert_allclose(diff, 0, atol=1e-4)
    assert t.max() <= 3 * math.pi + 1e-4
    # each arm is arm 0 rotated
    a = 2 * math.pi / 3
    rot = np.array([[math.cos(a), math.sin(a)], [-math.sin(a), math.cos(a)]])
    np.testing.assert_allclose(xn[yn == 1], xn[yn == 0] @ rot, atol=1e-5)


def test_generators_are_seeded():
    for make in (make_spirals, make_xor, make_moons, make_sine_sequences):
        a, b = make(seed=4), make(seed=4)
        np.testing.assert_array_equal(a[0].numpy(), b[0].numpy())
        glia.manual_seed(2)
        c = make()
        glia.manual_seed(2)
        np.testing.assert_array_equal(c[0].numpy(), make()[0].numpy())
        assert not np.array_equal(c[0].numpy(), make()[0].numpy())


def test_xor_labels():
    x, y = make_xor(500, seed=0)
    xn = x.numpy()
    np.testing.assert_array_equal(y.numpy(), (xn[:, 0] > 0) != (xn[:, 1] > 0))
    assert 0.4 < y.numpy().mean() < 0.6
    noisy, _ = make_xor(500, noise=0.1, seed=0)
    assert 0.08 < np.std(noisy.numpy() - xn) < 0.12


def test_moons_match_sklearn():
    import sklearn.datasets as sk
    for n in (10, 101):
        x, y = make_moons(n, shuffle=False)
        xr, yr = sk.make_moons(n, shuffle=False)
        np.testing.assert_allclose(x.numpy(), xr, atol=1e-6)
        np.testing.assert_array_equal(y.numpy(), yr)
    x, y = make_moons(50, seed=1)  # shuffled: the same points with their labels
    xr, yr = sk.make_moons(50, shuffle=False)
    dist = np.linalg.norm(x.numpy()[:, None] - xr[None], axis=2)
    assert dist.min(1).max() < 1e-6
    np.testing.assert_array_equal(y.numpy(), yr[dist.argmin(1)])
    assert not np.array_equal(y.numpy(), yr)


def test_sine_sequences():
    x, y = make_sine_sequences(8, 30, seed=0)
    assert x.shape == (8, 30, 1) and y.shape == (8, 30, 1) and x.dtype == glia.float32
    xn, yn = x.numpy()[..., 0], y.numpy()[..., 0]
    np.testing.assert_allclose(yn[:, :-1], xn[:, 1:], atol=1e-6)  # y is x one step ahead
    # each row is a sine: x[t+1] + x[t-1] = 2 cos(2 pi f) x[t] for a constant f
    ratio = (xn[:, 2:] + xn[:, :-2]) / (2 * xn[:, 1:-1])
    keep = np.abs(xn[:, 1:-1]) > 0.2
    for row, mask in zip(ratio, keep):
        f = np.arccos(np.clip(row[mask], -1, 1)) / (2 * math.pi)
        assert np.ptp(f) < 1e-3 and 0.05 - 1e-3 <= f.mean() <= 0.2 + 1e-3


def test_generator_errors():
    check_raises(lambda: make_spirals(0), ValueError, "make_spirals", "n_per_class")
    check_raises(lambda: make_spirals(n_classes=1), ValueError, "make_spirals", "n_classes")
    check_raises(lambda: make_xor(noise=-1), ValueError, "make_xor", "noise")
    check_raises(lambda: make_moons(1), ValueError, "make_moons", "n_samples")
    check_raises(lambda: make_xor(True), ValueError, "make_xor", "n_samples", "True")
    check_raises(lambda: make_sine_sequences(freq_range=(0.3, 0.1)), ValueError,
                 "make_sine_sequences", "freq_range")
