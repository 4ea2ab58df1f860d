"""Specification of forecast.vision: the offline MNIST loader, the classic CNN, its CLI.

Everything runs on a tiny synthetic `mnist.npz` (seven-segment digits) written into a temporary
folder in the Keras layout; the real dataset is never read here.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest
from typer.testing import CliRunner

from forecast.errors import ArtifactError, ConfigError, DataError
from forecast.vision import (
    MnistData,
    build_mnist_cnn,
    evaluate_mnist,
    load_mnist,
    load_mnist_model,
    predict_digits,
    prepare_images,
    save_mnist,
    split_validation,
    train_mnist,
)
from forecast.vision.cli import mnist_app

ROOT = Path(__file__).resolve().parents[1]

# Seven-segment strokes as (top, bottom, left, right) within an 18x12 box.
SEGMENTS = {
    "a": (0, 3, 0, 12),
    "b": (0, 10, 9, 12),
    "c": (8, 18, 9, 12),
    "d": (15, 18, 0, 12),
    "e": (8, 18, 0, 3),
    "f": (0, 10, 0, 3),
    "g": (8, 11, 0, 12),
}
DIGITS = ["abcdef", "bc", "abged", "abgcd", "fgbc", "afgcd", "afgedc", "abc", "abcdefg", "abcdfg"]


def synthetic_digits(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """`n` shifted, noisy seven-segment digits: `(n, 28, 28)` uint8 and labels `(n,)` uint8."""
    labels = (np.arange(n) % 10).astype(np.uint8)
    rng.shuffle(labels)
    images = rng.integers(0, 40, size=(n, 28, 28)).astype(np.uint8)
    for image, label in zip(images, labels, strict=True):
        top, left = rng.integers(2, 9), rng.integers(3, 14)
        for segment in DIGITS[label]:
            t, b, lft, r = SEGMENTS[segment]
            image[top + t : top + b, left + lft : left + r] = rng.integers(180, 256)
    return images, labels


def write_npz(path, **arrays):
    np.savez_compressed(path, **arrays)
    return path


@pytest.fixture(scope="module")
def arrays():
    rng = np.random.default_rng(0)
    x_train, y_train = synthetic_digits(200, rng)
    x_test, y_test = synthetic_digits(50, rng)
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


@pytest.fixture(scope="module")
def npz(tmp_path_factory, arrays):
    return write_npz(tmp_path_factory.mktemp("data") / "mnist.npz", **arrays)


@pytest.fixture(autouse=True)
def _seeded():
    keras.utils.set_random_seed(0)


@pytest.fixture(scope="module")
def trained(tmp_path_factory, npz):
    """One short training run shared by the tests that need a trained model."""
    keras.utils.set_random_seed(0)
    run_dir = tmp_path_factory.mktemp("runs") / "mnist"
    return train_mnist(npz, epochs=2, batch_size=16, val_split=40, run_dir=run_dir, verbose=0)


# --- the network ------------------------------------------------------------------------------


def test_cnn_is_the_classic_keras_example():
    model = build_mnist_cnn()
    shapes = [tuple(layer.output.shape[1:]) for layer in model.layers]
    assert shapes == [
        (26, 26, 32),
        (24, 24, 32),
        (12, 12, 32),
        (12, 12, 32),
        (4608,),
        (128,),
        (128,),
        (10,),
    ]
    assert model.count_params() == 600_810
    assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == 600_810
    assert [type(layer).__name__ for layer in model.layers] == [
        "Conv2D",
        "Conv2D",
        "MaxPooling2D",
        "Dropout",
        "Flatten",
        "Dense",
        "Dropout",
        "Dense",
    ]
    assert [layer.rate for layer in model.layers if hasattr(layer, "rate")] == [0.25, 0.5]


def test_cnn_is_compiled_with_adam_defaults_and_toolkit_speed_setting():
    model = build_mnist_cnn()
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.001)
    assert isinstance(model.loss, keras.losses.CategoricalCrossentropy)
    assert model.steps_per_execution == 32
    assert not build_mnist_cnn(compile=False).compiled


# --- the loader -------------------------------------------------------------------------------


def test_loader_scales_images_and_one_hot_encodes_labels(npz, arrays):
    (x_train, y_train), (x_test, y_test) = load_mnist(npz)
    assert x_train.shape == (200, 28, 28, 1) and x_test.shape == (50, 28, 28, 1)
    assert x_train.dtype == np.float32 and y_train.dtype == np.float32
    assert 0.0 <= x_train.min() and x_train.max() <= 1.0
    np.testing.assert_allclose(x_train[..., 0] * 255, arrays["x_train"], atol=1e-3)
    assert y_train.shape == (200, 10) and y_test.shape == (50, 10)
    np.testing.assert_array_equal(y_train.argmax(axis=1), arrays["y_train"])
    np.testing.assert_array_equal(y_train.sum(axis=1), 1.0)


def test_raw_option_returns_the_stored_arrays_unchanged(npz, arrays):
    data = load_mnist(npz, raw=True)
    for key, value in arrays.items():
        stored = getattr(data, key)
        assert stored.dtype == value.dtype and stored.shape == value.shape
        np.testing.assert_array_equal(stored, value)


def test_loader_falls_back_to_the_keras_cache(tmp_path, monkeypatch, npz):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KERAS_HOME", raising=False)
    cache = tmp_path / ".keras" / "datasets"
    cache.mkdir(parents=True)
    (cache / "mnist.npz").write_bytes(npz.read_bytes())
    assert load_mnist().x_train.shape == (200, 28, 28, 1)


def test_without_file_or_cache_the_error_says_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KERAS_HOME", raising=False)
    with pytest.raises(DataError) as caught:
        load_mnist()
    message = str(caught.value)
    assert "nothing is downloaded" in message
    assert str(tmp_path / ".keras" / "datasets" / "mnist.npz") in message
    assert "--data ../shared/datasets/mnist.npz" in message
    assert "\n" not in message


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(DataError, match=r"MNIST file not found: .*nope\.npz"):
        load_mnist(tmp_path / "nope.npz")


def _corrupt(path, arrays):
    good = write_npz(path.with_name("good.npz"), **arrays)
    path.write_bytes(good.read_bytes()[:600])  # a zip cut short


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda a: a.pop("y_test"), "lacks y_test"),
        (lambda a: a.update(x_train=a["x_train"][:, :, :27]), r"shape \(200, 28, 27\)"),
        (lambda a: a.update(x_test=a["x_test"][..., None]), r"x_test has shape \(50, 28, 28, 1\)"),
        (lambda a: a.update(x_train=a["x_train"] / 255.0), "dtype float64; expected uint8"),
        (lambda a: a.update(y_train=a["y_train"].astype(np.float32)), "integer labels"),
        (lambda a: a.update(y_test=a["y_test"] + 1), "labels from 1 to 10"),
        (lambda a: a.update(y_train=a["y_train"][:-1]), r"expected \(200,\)"),
    ],
    ids=["wrong-keys", "wrong-shape", "extra-axis", "wrong-dtype", "float-labels", "label-10", "n"],
)
def test_malformed_files_raise_one_line_data_errors(tmp_path, arrays, change, expected):
    bad = dict(arrays)
    change(bad)
    path = write_npz(tmp_path / "bad.npz", **bad)
    with pytest.raises(DataError, match=expected) as caught:
        load_mnist(path)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("kind", ["text", "npy", "truncated-zip"])
def test_a_corrupt_or_non_npz_file_raises_a_data_error(tmp_path, arrays, kind):
    path = tmp_path / "mnist.npz"
    if kind == "text":
        path.write_text("not an archive\n")
    elif kind == "npy":
        with open(path, "wb") as fh:
            np.save(fh, arrays["x_train"])
    else:
        _corrupt(path, arrays)
    with pytest.raises(DataError, match=re.escape(str(path))) as caught:
        load_mnist(path)
    assert "\n" not in str(caught.value)
    if kind != "truncated-zip":
        assert not zipfile.is_zipfile(path)


def test_validation_comes_from_the_end_of_the_training_set():
    x = np.arange(100)
    (x_fit, _), (x_val, _) = split_validation(x, x, 10)
    np.testing.assert_array_equal(x_fit, np.arange(90))
    np.testing.assert_array_equal(x_val, np.arange(90, 100))
    assert len(split_validation(x, x, 0.25)[1][0]) == 25
    for bad in (0, 100, 1.5, True):
        with pytest.raises(ConfigError, match="val_split"):
            split_validation(x, x, bad)


def test_images_are_accepted_as_uint8_or_unit_floats_with_or_without_channel(arrays):
    raw = arrays["x_test"][:3]
    expected = prepare_images(raw)
    assert expected.shape == (3, 28, 28, 1) and expected.dtype == np.float32
    np.testing.assert_allclose(prepare_images(raw[..., None] / 255.0), expected, atol=1e-6)
    assert prepare_images(raw[0]).shape == (1, 28, 28, 1)
    with pytest.raises(DataError, match=r"scaled to \[0, 1\]"):
        prepare_images(raw.astype(np.float32))
    with pytest.raises(DataError, match="expected"):
        prepare_images(np.zeros((3, 32, 32)))


# --- training, evaluation, artifacts ----------------------------------------------------------


@pytest.mark.slow
def test_training_keeps_the_best_epoch_and_evaluates_on_the_test_set(trained, npz):
    assert trained.fit.epochs_run == 2
    assert trained.fit.best_epoch in (1, 2)
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(trained.fit.history)
    assert len(trained.epoch_seconds) == 2
    evaluation = trained.evaluation
    assert evaluation.confusion.shape == (10, 10)
    assert evaluation.confusion.sum() == 50
    assert evaluation.accuracy == pytest.approx(np.trace(evaluation.confusion) / 50)
    (_, _), (x_test, y_test) = load_mnist(npz)
    keras_figures = trained.model.evaluate(x_test, y_test, verbose=0, return_dict=True)
    assert evaluation.loss == pytest.approx(keras_figures["loss"], rel=1e-4)
    assert evaluation.accuracy == pytest.approx(keras_figures["accuracy"])


@pytest.mark.slow
def test_training_writes_the_run_folder(trained):
    run_dir = trained.run_dir
    for name in ("model.keras", "metrics.json", "history.csv", "samples.png", "confusion.png"):
        assert (run_dir / name).is_file(), name
    assert (run_dir / "samples.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["test_accuracy"] == pytest.approx(trained.evaluation.accuracy)
    assert np.array(metrics["confusion_matrix"]).shape == (10, 10)
    assert metrics["epochs_run"] == 2 and metrics["best_epoch"] == trained.fit.best_epoch
    assert (metrics["train_images"], metrics["val_images"], metrics["batch_size"]) == (160, 40, 16)
    assert metrics["seconds_per_epoch"] > 0
    assert len((run_dir / "history.csv").read_text().splitlines()) == 1 + 2


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
@pytest.mark.slow
def test_saved_model_predicts_exactly_like_the_trained_one(trained, arrays, tmp_path, suffix):
    images = arrays["x_test"]
    labels, probabilities = predict_digits(trained.model, images)
    assert labels.shape == (50,) and probabilities.shape == (50, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    path = save_mnist(trained.model, tmp_path / f"model{suffix}")
    loaded = load_mnist_model(path)
    again_labels, again_probabilities = predict_digits(loaded, images)
    np.testing.assert_array_equal(again_labels, labels)
    np.testing.assert_array_equal(again_probabilities, probabilities)


@pytest.mark.slow
def test_a_run_folder_loads_as_its_model(trained):
    assert load_mnist_model(trained.run_dir).count_params() == 600_810


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_corrupt_model_file_raises_an_artifact_error_naming_it(tmp_path, suffix):
    path = tmp_path / f"model{suffix}"
    path.write_bytes(b"\x00garbage" * 50)
    with pytest.raises(ArtifactError, match=f"cannot load the model in {path}"):
        load_mnist_model(path)
    with pytest.raises(ArtifactError, match="model file not found"):
        load_mnist_model(tmp_path / f"missing{suffix}")
    (tmp_path / "empty-run").mkdir()
    with pytest.raises(ArtifactError, match=r"no model\.keras in the run folder"):
        load_mnist_model(tmp_path / "empty-run")


@pytest.mark.slow
def test_models_are_saved_only_as_keras_or_h5(trained, tmp_path):
    with pytest.raises(ConfigError, match=r"\.keras or \.h5"):
        save_mnist(trained.model, tmp_path / "model.pkl")


@pytest.mark.slow
def test_evaluation_accepts_raw_data(trained, npz):
    raw = load_mnist(npz, raw=True)
    assert evaluate_mnist(trained.model, raw).accuracy == trained.evaluation.accuracy
    assert isinstance(raw, MnistData)


# --- the CLI ----------------------------------------------------------------------------------


runner = CliRunner()


@pytest.mark.slow
def test_cli_train_writes_a_run_and_reports_accuracy(tmp_path, npz):
    """Through the installed entry point, output piped (as into a log file): one plain line
    per epoch, no progress bar (no ANSI codes, no carriage returns) and no TensorFlow
    "failed call to cuInit" error on a machine without a GPU driver."""
    out = tmp_path / "run"
    args = ["train", "--data", str(npz), "--epochs", "1", "--val-split", "40"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "forecast.cli", "mnist", *args, "--out", str(out)],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "accuracy" in result.stdout and "confusion matrix" in result.stdout
    assert str(out / "samples.png") in result.stdout
    assert (out / "model.keras").is_file() and (out / "metrics.json").is_file()
    assert " - loss: " in result.stdout and "\x1b[" not in result.stdout
    assert "\r" not in result.stdout
    assert "cuInit" not in result.stderr


@pytest.mark.slow
def test_cli_evaluate_prints_figures_and_json(trained, npz):
    result = runner.invoke(mnist_app, ["evaluate", str(trained.run_dir), "--data", str(npz)])
    assert result.exit_code == 0, result.output
    assert f"accuracy {trained.evaluation.accuracy:.4f}" in result.stdout
    as_json = runner.invoke(
        mnist_app, ["evaluate", str(trained.run_dir), "--data", str(npz), "--json"]
    )
    assert as_json.exit_code == 0, as_json.output
    figures = json.loads(as_json.stdout)
    assert figures["test_accuracy"] == pytest.approx(trained.evaluation.accuracy)
    assert figures["confusion_matrix"] == trained.evaluation.confusion.tolist()


@pytest.mark.slow
def test_cli_predicts_a_test_image_and_a_png(trained, npz, arrays, tmp_path):
    by_index = runner.invoke(
        mnist_app, ["predict", str(trained.run_dir), "--index", "3", "--data", str(npz)]
    )
    assert by_index.exit_code == 0, by_index.output
    expected = predict_digits(trained.model, arrays["x_test"][3])[0][0]
    assert f"digit {expected}" in by_index.stdout
    assert f"true {arrays['y_test'][3]}" in by_index.stdout

    from PIL import Image

    png = tmp_path / "digit.png"
    Image.fromarray(255 - arrays["x_test"][3]).resize((56, 56)).save(png)  # dark ink on white
    from_png = runner.invoke(mnist_app, ["predict", str(trained.run_dir), str(png)])
    assert from_png.exit_code == 0, from_png.output
    assert "digit" in from_png.stdout and str(png) in from_png.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["evaluate", "{tmp}/no-such-run", "--data", "{npz}"],
        ["train", "--data", "{tmp}/missing.npz", "--out", "{tmp}/run"],
        ["predict", "{run}"],
        ["predict", "{run}", "--index", "99999", "--data", "{npz}"],
    ],
    ids=["missing-run", "missing-data", "no-image", "bad-index"],
)
@pytest.mark.slow
def test_cli_errors_are_one_line_and_exit_2(trained, npz, tmp_path, args):
    fill = {"tmp": tmp_path, "npz": npz, "run": trained.run_dir}
    result = runner.invoke(mnist_app, [a.format(**fill) for a in args])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_a_run_remembers_the_mnist_file_it_was_trained_on(tmp_path):
    from forecast.vision.mnist import run_data

    npz = tmp_path / "mnist.npz"
    npz.write_bytes(b"")
    run = tmp_path / "run"
    run.mkdir()
    assert run_data(run) is None  # no metrics.json
    (run / "metrics.json").write_text(json.dumps({"data": str(npz)}))
    assert run_data(run) == str(npz)
    npz.unlink()
    assert run_data(run) is None  # the file is gone: fall back to --data or the Keras cache
