"""The classic Keras MNIST CNN: build, train, evaluate, predict, save and load it.

The whole workflow::

    data = load_mnist("../shared/datasets/mnist.npz")
    result = train_mnist(data, epochs=15, run_dir="runs/mnist")
    print(result.evaluation.accuracy)
    labels, probabilities = predict_digits(result.model, data.x_test[:5])
    model = load_mnist_model("runs/mnist")

Nothing is downloaded: the data comes from a local `mnist.npz` (see `forecast.vision.dataset`).
Training goes through `forecast.training.fit`, so the CNN gets the toolkit's early stopping
(best weights restored), checkpoints and crash resume.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np

from forecast.errors import ArtifactError, ConfigError
from forecast.training import (
    FitResult,
    atomic_write_text,
    compile_model,
    fit,
    set_seed,
    write_history_csv,
)
from forecast.vision.dataset import (
    IMAGE_SHAPE,
    NUM_CLASSES,
    MnistData,
    load_mnist,
    prepare_images,
    split_validation,
)
from forecast.vision.plots import plot_confusion, plot_samples

MODEL_SUFFIXES = (".keras", ".h5", ".hdf5")


def build_mnist_cnn(
    loss: str = "categorical_crossentropy",
    optimizer: str = "adam",
    learning_rate: float | None = None,
    compile: bool = True,
) -> keras.Model:
    """Build the classic Keras MNIST CNN (600,810 parameters).

    Conv2D(32, 3x3, relu) → Conv2D(32, 3x3, relu) → MaxPool2D(2x2) → Dropout(0.25) → Flatten →
    Dense(128, relu) → Dropout(0.5) → Dense(10, softmax). Input `(batch, 28, 28, 1)`,
    output `(batch, 10)` class probabilities.

    Args:
        loss: a loss name from `forecast.training.LOSSES`.
        optimizer: an optimizer name from `forecast.training.OPTIMIZERS`.
        learning_rate: None keeps the optimizer's default (0.001 for Adam).
        compile: compile with `forecast.training.compile_model` and an accuracy metric.
    """
    layers = keras.layers
    model = keras.Sequential(
        [
            keras.Input(shape=(*IMAGE_SHAPE, 1)),
            layers.Conv2D(32, (3, 3), activation="relu"),
            layers.Conv2D(32, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Dropout(0.25),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="mnist_cnn",
    )
    if compile:
        compile_model(
            model, loss=loss, optimizer=optimizer, learning_rate=learning_rate, metrics=["accuracy"]
        )
    return model


@dataclass
class MnistEvaluation:
    """Test-set figures of a digit classifier.

    Attributes:
        loss: the model's loss on the test set (categorical cross-entropy unless compiled
            with another loss).
        accuracy: the share of test images classified correctly.
        confusion: `(10, 10)` counts, rows the true digit, columns the predicted one.
        predicted: `(n,)` the predicted digit of each test image.
    """

    loss: float
    accuracy: float
    confusion: np.ndarray
    predicted: np.ndarray

    def to_dict(self) -> dict[str, Any]:
        return {
            "test_loss": self.loss,
            "test_accuracy": self.accuracy,
            "n_test": int(self.confusion.sum()),
            "confusion_matrix": self.confusion.tolist(),
        }


@dataclass
class MnistResult:
    """What `train_mnist` returns.

    Attributes:
        model: the trained CNN, holding the weights of the best validation epoch.
        fit: the `forecast.training.FitResult` (history, best epoch, epochs run, ...).
        evaluation: the test-set figures of `model`.
        epoch_seconds: wall time of each epoch run by this call (training + validation).
        settings: what the run used (images, batch size, epochs, patience, seed).
        run_dir: the run folder written, or None.
    """

    model: keras.Model
    fit: FitResult
    evaluation: MnistEvaluation
    epoch_seconds: list[float] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    run_dir: Path | None = None

    @property
    def seconds_per_epoch(self) -> float | None:
        return float(np.mean(self.epoch_seconds)) if self.epoch_seconds else None


class _EpochTimer(keras.callbacks.Callback):
    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[float] = []
        self._start = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.seconds.append(time.perf_counter() - self._start)


def _as_data(data: MnistData | str | os.PathLike | None) -> MnistData:
    if isinstance(data, MnistData):
        return data.prepared()
    return load_mnist(data)


def train_mnist(
    data: MnistData | str | os.PathLike | None = None,
    *,
    epochs: int = 15,
    batch_size: int = 32,
    patience: int | None = 3,
    val_split: int | float = 5000,
    seed: int | None = 0,
    learning_rate: float | None = None,
    run_dir: str | os.PathLike | None = None,
    verbose: int = 1,
    callbacks: list[keras.callbacks.Callback] | None = None,
) -> MnistResult:
    """Train the MNIST CNN with early stopping, then evaluate it on the test set.

    The last `val_split` training images are held out for validation (the test set is never
    used for training decisions). Training runs through `forecast.training.fit`: the model
    keeps the weights of its best validation epoch.

    Args:
        data: an `MnistData` (raw or prepared), the path of a Keras-format `mnist.npz`, or
            None for the Keras cache.
        epochs: the epoch limit.
        batch_size: images per training step.
        patience: epochs without a better `val_loss` before stopping; None never stops early.
        val_split: validation images taken from the end of the training set (or a fraction).
        seed: seeds weights, dropout and shuffling for a repeatable run; None leaves them.
        learning_rate: Adam's learning rate; None keeps 0.001.
        run_dir: a run folder to write: `model.keras`, `metrics.json`, `history.csv`,
            `samples.png`, `confusion.png`, and `checkpoints/` (best model + crash-resume
            state; the same command continues an interrupted run).
        verbose: 1 progress bar, 2 one line per epoch, 0 quiet.
        callbacks: extra Keras callbacks for `fit`.

    Returns:
        An `MnistResult` with the model, the fit history and the test-set evaluation.
    """
    if not (isinstance(batch_size, int) and batch_size >= 1):
        raise ConfigError(f"batch_size must be a positive integer, got {batch_size!r}")
    source = os.path.abspath(data) if isinstance(data, (str, os.PathLike)) else None
    data = _as_data(data)
    train, val = split_validation(data.x_train, data.y_train, val_split)
    set_seed(seed)
    model = build_mnist_cnn(learning_rate=learning_rate)
    timer = _EpochTimer()
    fitted = fit(
        model,
        train,
        val,
        epochs=epochs,
        patience=patience,
        run_dir=None if run_dir is None else Path(run_dir) / "checkpoints",
        seed=seed,
        batch_size=batch_size,
        verbose=verbose,
        callbacks=[timer, *(callbacks or [])],
    )
    settings = {
        "train_images": len(train[0]),
        "val_images": len(val[0]),
        "batch_size": batch_size,
        "epochs": epochs,
        "patience": patience,
        "learning_rate": learning_rate,
        "seed": seed,
        "data": source,  # the mnist.npz trained on (None: given as arrays, or the Keras cache)
    }
    result = MnistResult(model, fitted, evaluate_mnist(model, data), timer.seconds, settings)
    if run_dir is not None:
        result.run_dir = write_mnist_run(run_dir, result, data)
    return result


def predict_digits(model: keras.Model, images: Any) -> tuple[np.ndarray, np.ndarray]:
    """Classify digit images.

    Args:
        model: a model from `build_mnist_cnn`, `train_mnist` or `load_mnist_model`.
        images: `(28, 28)`, `(n, 28, 28)` or `(n, 28, 28, 1)`; uint8 0..255 or float 0..1.

    Returns:
        `(labels, probabilities)`: `(n,)` int64 digits and `(n, 10)` float32 probabilities.
    """
    x = prepare_images(images)
    probabilities = np.asarray(model.predict(x, batch_size=256, verbose=0), dtype=np.float32)
    return probabilities.argmax(axis=1), probabilities


def evaluate_mnist(
    model: keras.Model, data: MnistData | str | os.PathLike | None = None
) -> MnistEvaluation:
    """Test loss, accuracy and the `(10, 10)` confusion matrix of `model` on the test set.

    Args:
        model: a digit classifier with 10 softmax outputs.
        data: an `MnistData`, the path of a Keras-format `mnist.npz`, or None (Keras cache).
    """
    data = _as_data(data)
    predicted, probabilities = predict_digits(model, data.x_test)
    truth = data.y_test.argmax(axis=1)
    loss_fn = getattr(model, "loss", None)
    if not isinstance(loss_fn, keras.losses.Loss):
        loss_fn = keras.losses.CategoricalCrossentropy()
    loss = float(keras.ops.convert_to_numpy(loss_fn(data.y_test, probabilities)))
    confusion = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=np.int64)
    np.add.at(confusion, (truth, predicted), 1)
    return MnistEvaluation(loss, float(np.mean(predicted == truth)), confusion, predicted)


def save_mnist(model: keras.Model, path: str | os.PathLike) -> Path:
    """Save a model as `.keras` (Keras 3 format) or `.h5` (legacy HDF5), atomically.

    Raises:
        ConfigError: for another file suffix.
        ArtifactError: when the file cannot be written.
    """
    path = Path(path)
    if path.suffix not in MODEL_SUFFIXES:
        raise ConfigError(f"model path must end in .keras or .h5, got {str(path)!r}")
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        model.save(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ArtifactError(f"cannot write the model to {path}: {exc.strerror or exc}") from None
    return path


def load_mnist_model(path: str | os.PathLike) -> keras.Model:
    """Load a digit model saved as `.keras` or `.h5` (Keras safe mode; no pickle).

    Args:
        path: the model file, or a run folder holding `model.keras`.

    Raises:
        ArtifactError: the file is missing, corrupt, or not a 28x28 → 10 classifier.
    """
    path = Path(path)
    if path.is_dir():
        if not (path / "model.keras").is_file():
            raise ArtifactError(f"no model.keras in the run folder {path}; was training finished?")
        path = path / "model.keras"
    if not path.is_file():
        raise ArtifactError(
            f"model file not found: {path} (give a .keras/.h5 file or a run folder); "
            "train one with `forecast mnist train`"
        )
    if path.suffix not in MODEL_SUFFIXES:
        raise ArtifactError(f"cannot load {path}: a model file ends in .keras or .h5")
    try:
        model = keras.saving.load_model(path, safe_mode=True)
    except Exception as exc:  # Keras raises many types for a damaged file
        reason = (str(exc).splitlines() or [""])[0][:200] or type(exc).__name__
        raise ArtifactError(
            f"cannot load the model in {path}: corrupt or not a Keras model ({reason})"
        ) from None
    shapes = (tuple(model.input_shape[1:]), tuple(model.output_shape[1:]))
    if shapes != ((*IMAGE_SHAPE, 1), (NUM_CLASSES,)):
        raise ArtifactError(
            f"{path} holds a model from {shapes[0]} to {shapes[1]}, not a 28x28x1 digit classifier"
        )
    return model


def run_data(run_dir: str | os.PathLike) -> str | None:
    """The `mnist.npz` a run folder was trained on (remembered in its `metrics.json`), so
    `evaluate` and `predict` need no `--data` again; None when it was not a file, the file
    is gone, or the run predates the record."""
    try:
        path = json.loads((Path(run_dir) / "metrics.json").read_text()).get("data")
    except (OSError, ValueError, AttributeError):
        return None
    return path if isinstance(path, str) and Path(path).is_file() else None


def write_mnist_run(run_dir: str | os.PathLike, result: MnistResult, data: MnistData) -> Path:
    """Write a run folder: `model.keras`, `metrics.json`, `history.csv`, figures.

    `samples.png` shows the first 25 test digits with predicted and true labels,
    `confusion.png` the confusion matrix.

    Args:
        run_dir: the folder (created if needed).
        result: what `train_mnist` returned.
        data: the data it was evaluated on (the figures use its test images).

    Returns:
        The run folder.
    """
    run_dir = Path(run_dir)
    save_mnist(result.model, run_dir / "model.keras")
    write_history_csv(run_dir / "history.csv", result.fit.history)
    metrics = {
        **result.evaluation.to_dict(),
        "epochs_run": result.fit.epochs_run,
        "best_epoch": result.fit.best_epoch,
        "best_val_loss": result.fit.best_value,
        "stopped_early": result.fit.stopped_early,
        "resumed_from": result.fit.resumed_from,
        "seconds_per_epoch": result.seconds_per_epoch,
        "epoch_seconds": result.epoch_seconds,
        **result.settings,
    }
    text = json.dumps(metrics, indent=2)
    # One line per list of numbers (a confusion-matrix row, the epoch times), not per number.
    text = re.sub(r"\[\s+([-+.\deE,\s]+?)\s+\]", lambda m: f"[{' '.join(m[1].split())}]", text)
    atomic_write_text(run_dir / "metrics.json", text + "\n")
    predicted = result.evaluation.predicted[:25]
    plot_samples(data.x_test[:25], data.y_test[:25], predicted, run_dir / "samples.png")
    plot_confusion(result.evaluation.confusion, run_dir / "confusion.png")
    return run_dir
