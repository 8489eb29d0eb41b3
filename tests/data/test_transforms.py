import numpy as np
import pytest

import glia
from glia.data import transforms as T
from helpers import check_raises

RNG = np.random.default_rng(5)


def _image(c=3, h=6, w=6, dtype=np.float32):
    return RNG.random((c, h, w)).astype(dtype)


def _outputs(transform, img, n=20):
    return [transform(img).numpy() for _ in range(n)]


def test_flips_equal_numpy_flips():
    img = _image(2, 4, 5)
    for t in (T.RandomHorizontalFlip(p=1.0), T.RandomHorizontalFlip(p=1.0, seed=0)):
        out = t(glia.tensor(img))
        assert isinstance(out, glia.Tensor) and out.dtype == glia.float32
        np.testing.assert_array_equal(out.numpy(), img[:, :, ::-1])
    np.testing.assert_array_equal(T.RandomVerticalFlip(p=1.0)(img).numpy(), img[:, ::-1, :])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=0.0)(img).numpy(), img)
    # p = 0.5: both outcomes happen, and nothing else
    outs = _outputs(T.RandomHorizontalFlip(seed=0), img, 40)
    flipped = sum(np.array_equal(o, img[:, :, ::-1]) for o in outs)
    kept = sum(np.array_equal(o, img) for o in outs)
    assert flipped + kept == 40 and 8 < flipped < 32


def test_flip_works_on_2d_and_noncontiguous_input():
    img = _image(1, 5, 4)[0]
    np.testing.assert_array_equal(T.RandomVerticalFlip(1.0)(img.T).numpy(), img.T[::-1])
    t = glia.tensor(img).t()
    np.testing.assert_array_equal(T.RandomHorizontalFlip(1.0)(t).numpy(), img.T[:, ::-1])


def test_random_crop_with_padding_picks_a_valid_window():
    img = _image(2, 5, 6)
    padded = np.pad(img, ((0, 0), (2, 2), (2, 2)))
    crop = T.RandomCrop((5, 6), padding=2, seed=1)
    offsets = set()
    for out in _outputs(crop, img, 60):
        assert out.shape == (2, 5, 6)
        matches = [(i, j) for i in range(5) for j in range(5)
                   if np.array_equal(out, padded[:, i:i + 5, j:j + 6])]
        assert matches, "the crop is not a window of the padded image"
        offsets.update(matches)
    assert len(offsets) > 10  # many different windows were drawn
    # without padding a same-size crop is the image itself
    np.testing.assert_array_equal(T.RandomCrop(5)(img[:, :, :5]).numpy(), img[:, :, :5])
    # uneven (left, top, right, bottom) padding with a fill value
    out = T.RandomCrop((1, 1), padding=(0, 0, 3, 0), fill=-1.0)(np.zeros((1, 1, 1)))
    assert out.numpy().item() in (0.0, -1.0)
    # the whole padded image as the only window: the image then 3 fill columns on the right
    out = T.RandomCrop((1, 4), padding=(0, 0, 3, 0), fill=-1.0)(np.full((1, 1, 1), 2.0))
    np.testing.assert_array_equal(out.numpy(), [[[2.0, -1.0, -1.0, -1.0]]])
    out = T.RandomCrop((3, 2), padding=(1, 2, 0, 0), fill=-1.0)(np.full((1, 1, 1), 2.0))
    np.testing.assert_array_equal(out.numpy(), [[[-1.0, -1.0], [-1.0, -1.0], [-1.0, 2.0]]])


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("shape", [(3, 6, 6), (1, 5, 5), (7, 7)])
def test_rotation_by_90_degrees_equals_rot90(interpolation, shape):
    img = RNG.random(shape).astype(np.float64)
    for angle, k in ((90, 1), (-90, -1), (180, 2)):
        out = T.RandomRotation((angle, angle), interpolation=interpolation)(img).numpy()
        np.testing.assert_allclose(out, np.rot90(img, k, axes=(-2, -1)), atol=1e-12)


def test_rotation_bilinear_interpolates_and_fills():
    img = np.zeros((1, 5, 5), np.float32)
    img[0, 2, 2] = 1.0
    # the center pixel stays put under any rotation about the center
    out = T.RandomRotation((45, 45), interpolation="nearest")(img).numpy()
    assert out[0, 2, 2] == 1.0
    # bilinear at 45 degrees: a unit ramp is rotated into a blend of neighbours
    ramp = np.tile(np.arange(7, dtype=np.float64), (7, 1))[None]  # value = column
    out = T.RandomRotation((45, 45), interpolation="bilinear", fill=-7.0)(ramp).numpy()
    c, s = np.cos(np.pi / 4), np.sin(np.pi / 4)
    for row, col in ((3, 1), (2, 4), (4, 2)):
        x, y = col - 3, row - 3  # centered output coordinates
        # bilinear is exact on a linear ramp: the value is the source point's column
        assert out[0, row, col] == pytest.approx(c * x - s * y + 3)
    assert out[0, 0, 0] == -7.0  # corners rotate in from outside the image


def test_random_rotation_angles_stay_in_range():
    img = np.zeros((1, 9, 9), np.float32)
    img[0, 4, 8] = 1.0  # a point on the right edge, 4 px from the center
    for out in _outputs(T.RandomRotation(30, seed=3), img, 30):
        r, c = np.argwhere(out[0] == 1.0)[0]
        angle = np.degrees(np.arctan2(-(r - 4), c - 4))  # counter-clockwise, rows go down
        assert abs(angle) <= 30 + 8  # 8: rounding to the pixel grid at radius 4


def test_affine_shift_moves_pixels():
    img = _image(2, 8, 8)
    seen = set()
    for out in _outputs(T.RandomAffine(translate=(0.25, 0.25), seed=4), img, 30):
        found = None
        for dy in range(-2, 3):
            for dx in range(-2, 3):
                shifted = np.zeros_like(img)
                shifted[:, max(dy, 0):8 + min(dy, 0), max(dx, 0):8 + min(dx, 0)] = \
                    img[:, max(-dy, 0):8 + min(-dy, 0), max(-dx, 0):8 + min(-dx, 0)]
                if np.array_equal(out, shifted):
                    found = (dx, dy)
        assert found is not None, "output is not a whole-pixel shift of the input"
        seen.add(found)
    assert len(seen) > 5


def test_gaussian_noise_has_the_right_statistics():
    img = np.full((1, 200, 200), 0.5, np.float32)
    out = T.GaussianNoise(0.2, seed=0)(img).numpy()
    assert out.dtype == np.float32
    noise = out - 0.5
    assert abs(noise.mean()) < 0.005
    assert noise.std() == pytest.approx(0.2, rel=0.02)
    assert abs(np.corrcoef(noise[0, :, :-1].ravel(), noise[0, :, 1:].ravel())[0, 1]) < 0.02


def test_color_jitter_brightness_and_contrast():
    img = _image(3, 4, 4) * 0.5
    for out in _outputs(T.ColorJitter(brightness=0.5, seed=1), img, 10):
        factor = out.sum() / img.sum()
        assert 0.5 - 1e-6 <= factor <= 1.5 + 1e-6
        np.testing.assert_allclose(out, np.clip(img * factor, 0, 1), rtol=1e-5)
    for out in _outputs(T.ColorJitter(contrast=(2.0, 2.0), clip=None), img, 2):
        np.testing.assert_allclose(out, (img - img.mean()) * 2 + img.mean(), rtol=1e-5)
    out = T.ColorJitter(brightness=(3.0, 3.0))(img).numpy()
    assert out.max() <= 1.0  # clipped to the float image range


def test_normalize_per_channel():
    img = _image(3, 4, 5)
    mean, std = [0.1, 0.2, 0.3], [0.5, 2.0, 1.0]
    expected = (img - np.array(mean)[:, None, None]) / np.array(std)[:, None, None]
    np.testing.assert_allclose(T.Normalize(mean, std)(img).numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(T.Normalize(0.5, 0.25)(img).numpy(), (img - 0.5) / 0.25,
                               rtol=1e-6)


def test_same_seed_same_output_and_manual_seed():
    img = _image(1, 8, 8)
    pipeline = lambda seed=None: T.Compose([
        T.RandomCrop(8, padding=1, seed=seed), T.RandomHorizontalFlip(seed=seed),
        T.RandomAffine(15, (0.1, 0.1), interpolation="bilinear", seed=seed),
        T.ColorJitter(0.3, 0.3, seed=seed), T.GaussianNoise(0.1, seed=seed)])
    a, b = _outputs(pipeline(42), img, 5), _outputs(pipeline(42), img, 5)
    np.testing.assert_array_equal(np.stack(a), np.stack(b))
    assert not np.array_equal(a[0], a[1])

    def global_run():
        glia.manual_seed(3)
        return np.stack(_outputs(pipeline(), img, 5))

    np.testing.assert_array_equal(global_run(), global_run())
    gen = T.GaussianNoise(1.0, generator=np.random.default_rng(9))
    np.testing.assert_array_equal(gen(img).numpy(), T.GaussianNoise(1.0, seed=9)(img).numpy())


def test_outputs_never_alias_the_input():
    img = _image(2, 5, 5, np.float64)
    t = glia.tensor(img)
    transforms = [T.RandomHorizontalFlip(1.0), T.RandomHorizontalFlip(0.0),
                  T.RandomVerticalFlip(1.0), T.RandomCrop(5), T.RandomCrop(5, padding=1),
                  T.RandomRotation(0), T.RandomAffine(0), T.GaussianNoise(0.0),
                  T.ColorJitter(clip=None), T.Normalize(0.0, 1.0)]
    for transform in transforms:
        for source in (img.copy(), glia.tensor(img)):
            out = transform(source)
            assert out.numpy().flags["C_CONTIGUOUS"], transform
            before = out.numpy().copy()
            if isinstance(source, glia.Tensor):
                if out is source:  # p = 0 may hand back the very tensor (tensors are values)
                    continue
                source.mul_(0.0)
            else:
                source[...] = 0.0
            np.testing.assert_array_equal(out.numpy(), before, err_msg=repr(transform))
    np.testing.assert_array_equal(t.numpy(), img)
    assert repr(T.RandomVerticalFlip(0.3)) == "RandomVerticalFlip(p=0.3)"


def test_transform_errors():
    check_raises(lambda: T.RandomHorizontalFlip(p=1.5), ValueError, "RandomHorizontalFlip",
                 "1.5")
    check_raises(lambda: T.RandomHorizontalFlip()(np.zeros(3)), ValueError,
                 "RandomHorizontalFlip", "(3,)")
    check_raises(lambda: T.RandomVerticalFlip()([1, 2]), TypeError, "RandomVerticalFlip",
                 "list")
    check_raises(lambda: T.RandomCrop(5)(np.zeros((1, 3, 3))), ValueError, "RandomCrop",
                 "(5, 5)", "(3, 3)")
    check_raises(lambda: T.RandomRotation(-3), ValueError, "RandomRotation", "-3")
    check_raises(lambda: T.RandomRotation(3, interpolation="cubic"), ValueError,
                 "RandomRotation", "cubic")
    check_raises(lambda: T.RandomAffine(translate=(2, 0)), ValueError, "RandomAffine")
    check_raises(lambda: T.GaussianNoise(0.1)(np.zeros((2, 2), np.int64)), TypeError,
                 "GaussianNoise", "int64")
    check_raises(lambda: T.Normalize([0, 0], [1, 1])(np.zeros((3, 2, 2))), ValueError,
                 "Normalize", "(3, 2, 2)")
    check_raises(lambda: T.Normalize(0, 0), ValueError, "Normalize", "std")
    check_raises(lambda: T.Compose([1]), TypeError, "Compose")
    check_raises(lambda: T.GaussianNoise(0.1, seed=-1), ValueError, "GaussianNoise", "-1")
    # the checks of nn.functional: a bool is no probability, a float no size
    check_raises(lambda: T.RandomVerticalFlip(p=True), ValueError, "RandomVerticalFlip", "True")
    check_raises(lambda: T.RandomCrop(3.7), ValueError, "RandomCrop", "size", "3.7")
    check_raises(lambda: T.RandomCrop((2, 0)), ValueError, "RandomCrop", "size", "(2, 0)")
    # padding is checked as size is: no silent truncation of 1.5, no bool, no negatives
    check_raises(lambda: T.RandomCrop(2, padding=1.5), ValueError, "RandomCrop", "padding", "1.5")
    check_raises(lambda: T.RandomCrop(2, padding=(1, True)), ValueError, "RandomCrop", "padding")
    check_raises(lambda: T.RandomCrop(2, padding=(1, 2, 3)), ValueError, "RandomCrop", "padding")
    check_raises(lambda: T.RandomCrop(2, padding=-1), ValueError, "RandomCrop", "padding", ">= 0")
    assert T.RandomCrop(2, padding=(1, 2)).padding == (1, 2, 1, 2)
