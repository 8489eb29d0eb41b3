"""Augmentation and normalization for image tensors shaped (C, H, W) (or (H, W)), as
torchvision.transforms: each transform takes a glia Tensor or a numpy array and returns a
glia Tensor. The maths runs in numpy on one sample at a time (the DataLoader applies them
per sample through TensorDataset(transform=...)).

Random transforms draw from the generator or seed they were given; without one, from the
DataLoader's epoch generator, or glia's global generator outside a loader, so
``glia.manual_seed(s)`` makes augmentation reproducible.
"""
import functools
import numbers

import numpy as np

import glia
from glia.data import _random
from glia.nn.functional.conv import _ntuple
from glia.nn.functional.dropout import _check_p


def _to_numpy(img, op):
    if isinstance(img, glia.Tensor):
        arr = img.detach().numpy()
    elif isinstance(img, np.ndarray):
        arr = img
        if arr.dtype.str[1:] not in ("f4", "f8", "i8", "b1"):  # glia has no twin dtype
            arr = arr.astype(np.float32 if arr.dtype.kind == "f" else np.int64)
    else:
        raise TypeError(f"{op}: expected a glia Tensor or numpy array, got {type(img).__name__}")
    if arr.ndim < 2:
        raise ValueError(f"{op}: expected an image shaped (C, H, W) or (H, W), got shape "
                         f"{arr.shape}")
    return arr


def _to_tensor(arr, fresh=False):
    """`arr` as a glia tensor that never aliases the transform's input, with one copy at
    most: into a new C-contiguous array, or none when `fresh` (arr was made by the
    transform) and already contiguous. glia.from_numpy then shares that array's memory."""
    return glia.from_numpy(np.ascontiguousarray(arr) if fresh else np.array(arr, order="C"))


def _unchanged(img, arr):
    return img if isinstance(img, glia.Tensor) else _to_tensor(arr)


def _check_float(arr, op):
    if arr.dtype.kind != "f":
        raise TypeError(f"{op}: needs a floating-point image, got dtype {arr.dtype}")


def _range(value, name, op, center=0.0, low=-np.inf):
    """A number v -> (center - v, center + v) (clipped below at `low`); a pair passes."""
    if isinstance(value, numbers.Real):
        if value < 0:
            raise ValueError(f"{op}: {name} must be >= 0, got {value}")
        return max(low, center - float(value)), center + float(value)
    lo, hi = (float(v) for v in value)
    if not low <= lo <= hi:
        raise ValueError(f"{op}: {name} range must satisfy {low} <= min <= max, got {value!r}")
    return lo, hi


class Compose:
    """Applies `transforms` in order."""

    def __init__(self, transforms):
        self.transforms = list(transforms)
        for t in self.transforms:
            if not callable(t):
                raise TypeError(f"Compose: every transform must be callable, got {t!r}")

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        return "Compose(" + ", ".join(repr(t) for t in self.transforms) + ")"


class _RandomTransform:
    """Holds the optional own generator of a random transform."""

    def __init__(self, generator=None, seed=None):
        self._rng = _random.resolve(generator, seed, type(self).__name__)

    def _generator(self):
        return self._rng or _random.current()


class _RandomFlip(_RandomTransform):
    """Mirrors the image along axis `_axis` with probability `p`."""

    _axis = None

    def __init__(self, p=0.5, generator=None, seed=None):
        super().__init__(generator, seed)
        _check_p(p, type(self).__name__, "p")
        self.p = float(p)

    def __call__(self, img):
        arr = _to_numpy(img, type(self).__name__)
        if self._generator().random() < self.p:
            return _to_tensor(np.flip(arr, self._axis))
        return _unchanged(img, arr)

    def __repr__(self):
        return f"{type(self).__name__}(p={self.p})"


class RandomHorizontalFlip(_RandomFlip):
    """Mirrors the image left-right (last axis) with probability `p`."""

    _axis = -1


class RandomVerticalFlip(_RandomFlip):
    """Mirrors the image top-bottom (second-to-last axis) with probability `p`."""

    _axis = -2


class RandomCrop(_RandomTransform):
    """Pads the image by `padding` (filled with `fill`), then cuts a random `size` window.

    Args:
        size: output (h, w), or an int for a square.
        padding: int (all sides), (left/right, top/bottom) or (left, top, right, bottom),
            as torchvision.
    """

    def __init__(self, size, padding=None, fill=0.0, generator=None, seed=None):
        super().__init__(generator, seed)
        self.size = tuple(_ntuple(size, 2, "RandomCrop", "size", minimum=1))
        pad = 0 if padding is None else padding
        if isinstance(pad, (tuple, list)) and len(pad) == 2:  # (left/right, top/bottom)
            pad = tuple(pad) * 2
        self.padding = tuple(_ntuple(pad, 4, "RandomCrop", "padding", minimum=0))
        self.fill = fill

    def __call__(self, img):
        arr = _to_numpy(img, "RandomCrop")
        left, top, right, bottom = self.padding
        if any(self.padding):  # (np.pad is several times slower on small images)
            h, w = arr.shape[-2:]
            padded = np.full((*arr.shape[:-2], top + h + bottom, left + w + right), self.fill,
                             dtype=arr.dtype)
            padded[..., top:top + h, left:left + w] = arr
            arr = padded
        (h, w), (H, W) = self.size, arr.shape[-2:]
        if h > H or w > W:
            raise ValueError(f"RandomCrop: crop size {(h, w)} is larger than the padded image "
                             f"{(H, W)}")
        rng = self._generator()
        i, j = int(rng.integers(0, H - h + 1)), int(rng.integers(0, W - w + 1))
        # a window of the padded copy is already apart from the input
        return _to_tensor(arr[..., i:i + h, j:j + w], fresh=any(self.padding))

    def __repr__(self):
        return f"RandomCrop(size={self.size}, padding={self.padding})"


@functools.lru_cache(maxsize=16)
def _centered_grid(h, w):
    """x (column) and y (row) of every pixel, flattened, relative to the image center."""
    rows, cols = np.meshgrid(np.arange(h) - (h - 1) / 2, np.arange(w) - (w - 1) / 2,
                             indexing="ij")
    return cols.ravel(), rows.ravel()


def _warp(arr, angle, shift, interpolation, fill):
    """Rotates `arr` counter-clockwise by `angle` degrees about its center, then shifts it by
    `shift` = (dx, dy) pixels (right, down). Each output pixel samples the input at the
    inverse-mapped point; points outside the image read `fill`."""
    h, w = arr.shape[-2:]
    xo, yo = _centered_grid(h, w)
    xo, yo = xo - shift[0], yo - shift[1]
    c, s = np.cos(np.deg2rad(angle)), np.sin(np.deg2rad(angle))
    # Rounded so that multiples of 90 degrees land exactly on pixel centers.
    xi = np.round(c * xo - s * yo + (w - 1) / 2, 9)
    yi = np.round(s * xo + c * yo + (h - 1) / 2, 9)
    flat = arr.reshape(*arr.shape[:-2], h * w)

    def sample(r, col):
        valid = (r >= 0) & (r < h) & (col >= 0) & (col < w)
        return np.where(valid, flat[..., np.where(valid, r * w + col, 0)], fill)

    if interpolation == "nearest":
        out = sample(np.floor(yi + 0.5).astype(np.int64), np.floor(xi + 0.5).astype(np.int64))
        return out.astype(arr.dtype, copy=False).reshape(arr.shape)
    x0, y0 = np.floor(xi), np.floor(yi)
    fx, fy = xi - x0, yi - y0
    x0, y0 = x0.astype(np.int64), y0.astype(np.int64)
    out = (sample(y0, x0) * ((1 - fy) * (1 - fx)) + sample(y0, x0 + 1) * ((1 - fy) * fx)
           + sample(y0 + 1, x0) * (fy * (1 - fx)) + sample(y0 + 1, x0 + 1) * (fy * fx))
    return out.astype(arr.dtype).reshape(arr.shape)


def _check_interpolation(interpolation, op):
    if interpolation not in ("nearest", "bilinear"):
        raise ValueError(f"{op}: interpolation must be 'nearest' or 'bilinear', got "
                         f"{interpolation!r}")
    return interpolation


class RandomRotation(_RandomTransform):
    """Rotates counter-clockwise by an angle drawn uniformly from `degrees` (d -> (-d, d)),
    about the image center; uncovered pixels get `fill`.

    Args:
        interpolation: 'nearest' (any dtype) or 'bilinear' (floating-point images).
    """

    def __init__(self, degrees, interpolation="nearest", fill=0.0, generator=None, seed=None):
        super().__init__(generator, seed)
        self.degrees = _range(degrees, "degrees", "RandomRotation")
        self.interpolation = _check_interpolation(interpolation, "RandomRotation")
        self.fill = fill

    def __call__(self, img):
        arr = _to_numpy(img, "RandomRotation")
        if self.interpolation == "bilinear":
            _check_float(arr, "RandomRotation")
        angle = self._generator().uniform(*self.degrees)
        return _to_tensor(_warp(arr, angle, (0, 0), self.interpolation, self.fill), fresh=True)

    def __repr__(self):
        return f"RandomRotation(degrees={self.degrees}, interpolation={self.interpolation!r})"


class RandomAffine(_RandomTransform):
    """A random rotation (as RandomRotation) followed by a random whole-pixel shift.

    Args:
        degrees: rotation range; 0 for none.
        translate: (a, b): shift horizontally by up to a * width and vertically by up to
            b * height pixels (drawn uniformly, rounded to whole pixels); None for none.
    """

    def __init__(self, degrees=0, translate=None, interpolation="nearest", fill=0.0,
                 generator=None, seed=None):
        super().__init__(generator, seed)
        self.degrees = _range(degrees, "degrees", "RandomAffine")
        if translate is not None:
            translate = tuple(float(t) for t in translate)
            if len(translate) != 2 or not all(0 <= t <= 1 for t in translate):
                raise ValueError(f"RandomAffine: translate must be two fractions in [0, 1], "
                                 f"got {translate!r}")
        self.translate = translate
        self.interpolation = _check_interpolation(interpolation, "RandomAffine")
        self.fill = fill

    def __call__(self, img):
        arr = _to_numpy(img, "RandomAffine")
        if self.interpolation == "bilinear":
            _check_float(arr, "RandomAffine")
        rng = self._generator()
        angle = rng.uniform(*self.degrees)
        shift = (0, 0)
        if self.translate is not None:
            h, w = arr.shape[-2:]
            a, b = self.translate
            shift = (round(rng.uniform(-a * w, a * w)), round(rng.uniform(-b * h, b * h)))
        return _to_tensor(_warp(arr, angle, shift, self.interpolation, self.fill), fresh=True)

    def __repr__(self):
        return f"RandomAffine(degrees={self.degrees}, translate={self.translate})"


class GaussianNoise(_RandomTransform):
    """Adds independent normal noise N(mean, std^2) to every pixel."""

    def __init__(self, std, mean=0.0, generator=None, seed=None):
        super().__init__(generator, seed)
        if not isinstance(std, numbers.Real) or std < 0:
            raise ValueError(f"GaussianNoise: std must be a number >= 0, got {std!r}")
        self.std, self.mean = float(std), float(mean)

    def __call__(self, img):
        arr = _to_numpy(img, "GaussianNoise")
        _check_float(arr, "GaussianNoise")
        noise = self._generator().normal(self.mean, self.std, arr.shape)
        return _to_tensor((arr + noise).astype(arr.dtype, copy=False), fresh=True)

    def __repr__(self):
        return f"GaussianNoise(std={self.std}, mean={self.mean})"


class ColorJitter(_RandomTransform):
    """Random brightness, then random contrast (the factor ranges of torchvision's
    ColorJitter, but not its results: torchvision applies the two in random order, clips
    after each, and blends contrast with the grayscale mean).

    brightness b: multiply by a factor from [max(0, 1 - b), 1 + b]; contrast c: blend with
    the mean over all channels and pixels, (x - mean) * f + mean, with f from
    [max(0, 1 - c), 1 + c]. Either may be a (min, max) factor range. The result is clipped
    once, at the end, to `clip` ((0, 1) by default; None for no clipping).
    """

    def __init__(self, brightness=0.0, contrast=0.0, clip=(0.0, 1.0), generator=None,
                 seed=None):
        super().__init__(generator, seed)
        self.brightness = _range(brightness, "brightness", "ColorJitter", center=1.0, low=0.0)
        self.contrast = _range(contrast, "contrast", "ColorJitter", center=1.0, low=0.0)
        self.clip = clip

    def __call__(self, img):
        arr = _to_numpy(img, "ColorJitter")
        _check_float(arr, "ColorJitter")
        rng = self._generator()
        out = arr.astype(np.float64)
        if self.brightness != (1.0, 1.0):
            out = out * rng.uniform(*self.brightness)
        if self.contrast != (1.0, 1.0):
            mean = out.mean()
            out = (out - mean) * rng.uniform(*self.contrast) + mean
        if self.clip is not None:
            out = np.clip(out, *self.clip)
        return _to_tensor(out.astype(arr.dtype, copy=False), fresh=True)

    def __repr__(self):
        return f"ColorJitter(brightness={self.brightness}, contrast={self.contrast})"


class Normalize:
    """(x - mean[c]) / std[c] for each channel c of a (C, H, W) image."""

    def __init__(self, mean, std):
        self.mean = np.atleast_1d(np.asarray(mean, dtype=np.float64))
        self.std = np.atleast_1d(np.asarray(std, dtype=np.float64))
        if self.mean.ndim != 1 or self.mean.shape != self.std.shape:
            raise ValueError(f"Normalize: mean and std must be numbers or equal-length "
                             f"sequences, got shapes {self.mean.shape} and {self.std.shape}")
        if np.any(self.std == 0):
            raise ValueError(f"Normalize: std must be non-zero, got {self.std.tolist()}")

    def __call__(self, img):
        arr = _to_numpy(img, "Normalize")
        _check_float(arr, "Normalize")
        n = self.mean.size
        if n != 1 and (arr.ndim < 3 or arr.shape[-3] != n):
            raise ValueError(f"Normalize: {n} means/stds need an image with {n} channels, got "
                             f"shape {arr.shape}")
        shape = (n, 1, 1) if n != 1 else (1,)
        out = (arr - self.mean.reshape(shape)) / self.std.reshape(shape)
        return _to_tensor(out.astype(arr.dtype, copy=False), fresh=True)

    def __repr__(self):
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"
