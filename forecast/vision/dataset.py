"""The MNIST dataset, offline: load a local Keras-format `mnist.npz`, check it, prepare it.

Nothing is downloaded. `load_mnist(path)` reads the file Keras's `mnist.load_data()` would
cache (`x_train (60000, 28, 28) uint8`, `y_train`, `x_test (10000, 28, 28)`, `y_test`), from
the given path or from the Keras cache, and says exactly what is wrong with a file that is not
that. `prepare_images` turns any digit images into model input, and `read_digit_image` reads
one PNG.
"""

from __future__ import annotations

import os
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from forecast.errors import ConfigError, DataError

IMAGE_SHAPE = (28, 28)
NUM_CLASSES = 10
_KEYS = ("x_train", "y_train", "x_test", "y_test")
_HINT = (
    "pass a local Keras-format mnist.npz, e.g. "
    "load_mnist('../shared/datasets/mnist.npz') or --data ../shared/datasets/mnist.npz"
)


@dataclass(frozen=True)
class MnistData:
    """The four MNIST arrays; unpacks like Keras: `(x, y), (x_test, y_test) = data`.

    Raw (`load_mnist(raw=True)`): images `(n, 28, 28)` uint8 0..255, labels `(n,)` integers.
    Prepared (the default): images `(n, 28, 28, 1)` float32 in [0, 1], labels one-hot
    `(n, 10)` float32.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        return iter(((self.x_train, self.y_train), (self.x_test, self.y_test)))

    def prepared(self) -> MnistData:
        """Return the model-ready form (itself when already prepared)."""
        if self.x_train.ndim == 4 and self.y_train.ndim == 2 and self.x_train.dtype == np.float32:
            return self
        return MnistData(
            prepare_images(self.x_train),
            one_hot(self.y_train),
            prepare_images(self.x_test),
            one_hot(self.y_test),
        )


def keras_cache_path() -> Path:
    """Where Keras caches `mnist.npz`: `$KERAS_HOME/datasets` or `~/.keras/datasets`."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "datasets" / "mnist.npz"


def load_mnist(path: str | os.PathLike | None = None, raw: bool = False) -> MnistData:
    """Load MNIST from a local Keras-format `mnist.npz`; never downloads.

    Args:
        path: the `.npz` file, holding `x_train (n, 28, 28) uint8`, `y_train (n,)`,
            `x_test (m, 28, 28) uint8`, `y_test (m,)`. None reads the Keras cache
            (`~/.keras/datasets/mnist.npz`, or under `$KERAS_HOME`).
        raw: return the arrays as stored instead of model-ready.

    Returns:
        An `MnistData`: images `(n, 28, 28, 1)` float32 in [0, 1] and one-hot labels `(n, 10)`
        float32, or with `raw=True` the stored uint8 images and integer labels.

    Raises:
        DataError: the file is missing, not an npz archive, or has wrong keys, shapes, dtypes
            or labels outside 0..9.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_mnist("../shared/datasets/mnist.npz")
    """
    file = _find_mnist_file(path)
    if not zipfile.is_zipfile(file):
        raise DataError(f"{file} is not an npz archive (a zip of .npy arrays); {_HINT}")
    try:
        with np.load(file, allow_pickle=False) as npz:
            names = list(npz.files)
            arrays = {k: npz[k] for k in _KEYS if k in names}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        reason = (str(exc).splitlines() or [""])[0] or type(exc).__name__
        raise DataError(f"cannot read {file}: corrupt npz archive ({reason}); {_HINT}") from None
    missing = [k for k in _KEYS if k not in arrays]
    if missing:
        raise DataError(
            f"{file} lacks {', '.join(missing)}: a Keras-format mnist.npz holds x_train, "
            f"y_train, x_test, y_test; this one holds: {', '.join(names) or 'nothing'}"
        )
    for split in ("train", "test"):
        _check_split(file, split, arrays[f"x_{split}"], arrays[f"y_{split}"])
    data = MnistData(**arrays)
    return data if raw else data.prepared()


def _find_mnist_file(path: str | os.PathLike | None) -> Path:
    if path is not None:
        file = Path(path).expanduser()
        if not file.is_file():
            raise DataError(f"MNIST file not found: {file}; {_HINT}")
        return file
    cache = keras_cache_path()
    if not cache.is_file():
        raise DataError(
            f"no MNIST data: no path was given and the Keras cache {cache} does not exist "
            f"(nothing is downloaded); {_HINT}, or copy the file to {cache}"
        )
    return cache


def _check_split(file: Path, split: str, x: np.ndarray, y: np.ndarray) -> None:
    if x.ndim != 3 or x.shape[1:] != IMAGE_SHAPE or len(x) == 0:
        raise DataError(f"{file}: x_{split} has shape {x.shape}; expected (n, 28, 28) images")
    if x.dtype != np.uint8:
        raise DataError(
            f"{file}: x_{split} has dtype {x.dtype}; expected uint8 pixels 0..255 "
            "(the Keras mnist.npz format)"
        )
    if y.shape != (len(x),):
        raise DataError(
            f"{file}: y_{split} has shape {y.shape}; expected ({len(x)},), one label per image"
        )
    if not np.issubdtype(y.dtype, np.integer):
        raise DataError(f"{file}: y_{split} has dtype {y.dtype}; expected integer labels 0..9")
    if y.min() < 0 or y.max() >= NUM_CLASSES:
        raise DataError(
            f"{file}: y_{split} has labels from {y.min()} to {y.max()}; expected digits 0..9"
        )


def prepare_images(images: Any) -> np.ndarray:
    """Turn digit images into model input `(n, 28, 28, 1)` float32 in [0, 1].

    Args:
        images: `(28, 28)` (one image), `(n, 28, 28)` or `(n, 28, 28, 1)`; integers 0..255
            (uint8 as stored) or floats already scaled to [0, 1].

    Raises:
        DataError: for another shape, or values outside those ranges.
    """
    x = np.asarray(images)
    if x.ndim == 2:
        x = x[None]
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim != 3 or x.shape[1:] != IMAGE_SHAPE:
        raise DataError(
            f"images have shape {np.shape(images)}; expected (28, 28), (n, 28, 28) "
            "or (n, 28, 28, 1)"
        )
    if x.dtype == np.bool_ or not np.issubdtype(x.dtype, np.number):
        raise DataError(f"images have dtype {x.dtype}; expected uint8 0..255 or floats 0..1")
    if x.size and np.issubdtype(x.dtype, np.integer):
        if x.min() < 0 or x.max() > 255:
            raise DataError(f"integer images must be 0..255, got {x.min()}..{x.max()}")
        return (x.astype(np.float32) / 255.0)[..., None]
    if x.size and not (np.isfinite(x).all() and x.min() >= 0 and x.max() <= 1):
        raise DataError(
            f"float images must be scaled to [0, 1], got {np.nanmin(x)}..{np.nanmax(x)}; "
            "pass uint8 pixels or divide by 255"
        )
    return x.astype(np.float32, copy=False)[..., None]


def one_hot(labels: Any) -> np.ndarray:
    """Digit labels `(n,)` 0..9 as one-hot `(n, 10)` float32 (one-hot input is kept)."""
    y = np.asarray(labels)
    if y.ndim == 2 and y.shape[1] == NUM_CLASSES:
        return y.astype(np.float32, copy=False)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer) or (y.size and y.min() < 0):
        raise DataError(f"labels must be integers 0..9 of shape (n,), got {y.dtype} {y.shape}")
    if y.size and y.max() >= NUM_CLASSES:
        raise DataError(f"labels must be digits 0..9, got up to {y.max()}")
    return np.eye(NUM_CLASSES, dtype=np.float32)[y]


def split_validation(
    x: np.ndarray, y: np.ndarray, val_split: int | float = 5000
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Hold out the END of the training set for validation (never the test set).

    Args:
        x, y: training images and labels, `(n, ...)`.
        val_split: how many images to hold out (an int >= 1), or a fraction in (0, 1).

    Returns:
        `((x_fit, y_fit), (x_val, y_val))`, views of the inputs; the validation part is the
        last images.
    """
    n = len(x)
    if isinstance(val_split, float) and 0 < val_split < 1:
        n_val = round(n * val_split)
    elif isinstance(val_split, (int, np.integer)) and not isinstance(val_split, bool):
        n_val = int(val_split)
    else:
        raise ConfigError(
            f"val_split must be a number of images or a fraction in (0, 1), got {val_split!r}"
        )
    if not 1 <= n_val < n:
        raise ConfigError(
            f"val_split={val_split!r} holds out {n_val} of {n} training images; "
            f"it must leave at least one image for training and one for validation"
        )
    return (x[:-n_val], y[:-n_val]), (x[-n_val:], y[-n_val:])


def read_digit_image(path: str | os.PathLike) -> np.ndarray:
    """Read a PNG/JPEG of one digit as a `(28, 28)` uint8 image, white on black like MNIST.

    Colour is converted to grayscale and the image resized to 28x28; a picture with a light
    background (dark ink on white paper) is inverted to MNIST's white digit on black.

    Raises:
        DataError: the file is missing or not an image.
    """
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise DataError(f"image not found: {path}")
    try:
        with Image.open(path) as img:
            gray = img.convert("L").resize(IMAGE_SHAPE[::-1], Image.Resampling.LANCZOS)
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise DataError(f"cannot read {path} as an image ({exc})") from None
    pixels = np.asarray(gray, dtype=np.uint8)
    return 255 - pixels if pixels.mean() > 127 else pixels
