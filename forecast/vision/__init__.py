"""forecast.vision: the MNIST digit CNN, sharing the toolkit's training helpers.

Names are imported lazily, like the top-level package, so importing the CLI (`forecast.vision
.cli`) and asking for `--help` does not load Keras.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "MnistData": "forecast.vision.dataset",
    "load_mnist": "forecast.vision.dataset",
    "prepare_images": "forecast.vision.dataset",
    "one_hot": "forecast.vision.dataset",
    "read_digit_image": "forecast.vision.dataset",
    "split_validation": "forecast.vision.dataset",
    "MnistEvaluation": "forecast.vision.mnist",
    "MnistResult": "forecast.vision.mnist",
    "build_mnist_cnn": "forecast.vision.mnist",
    "evaluate_mnist": "forecast.vision.mnist",
    "load_mnist_model": "forecast.vision.mnist",
    "predict_digits": "forecast.vision.mnist",
    "save_mnist": "forecast.vision.mnist",
    "train_mnist": "forecast.vision.mnist",
    "write_mnist_run": "forecast.vision.mnist",
    "run_data": "forecast.vision.mnist",
    "plot_confusion": "forecast.vision.plots",
    "plot_samples": "forecast.vision.plots",
}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'forecast.vision' has no attribute {name!r}")
