"""Tests for forecast/training.py: early stopping, run folders, crash resume, seeds."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import keras
import numpy as np
import pytest

from forecast.errors import ConfigError
from forecast.models import build_single_lstm
from forecast.training import (
    LOSSES,
    OPTIMIZERS,
    compile_model,
    fit,
    set_seed,
)
from forecast.windowing import WindowFeeder

WEIGHTS = np.array([1.0, 2.0, -1.0, 0.5], dtype="float32")


def _linear_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    x = np.random.default_rng(seed).normal(size=(n, 4)).astype("float32")
    return x, (x @ WEIGHTS)[:, None]


TRAIN = _linear_data(64, 0)
VAL = _linear_data(32, 1)


def _dense_model(seed: int = 0, learning_rate: float = 0.05) -> keras.Model:
    set_seed(seed)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    return compile_model(model, learning_rate=learning_rate)


class BlowUpAfter(keras.callbacks.Callback):
    """Sets a huge learning rate after `epoch` epochs, so every later epoch is worse."""

    def __init__(self, epoch: int):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 == self.epoch:
            self.model.optimizer.learning_rate.assign(50.0)


class FixedBatches(keras.utils.PyDataset):
    """`(x, y)` arrays in batches of `batch_size`, always in the same order."""

    def __init__(self, x: np.ndarray, y: np.ndarray, batch_size: int):
        super().__init__()
        self.x, self.y, self.batch_size = x, y, batch_size

    def __len__(self) -> int:
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        rows = slice(i * self.batch_size, (i + 1) * self.batch_size)
        return self.x[rows], self.y[rows]


class WeightsPerEpoch(keras.callbacks.Callback):
    """Records the model's weights at the end of every epoch (1-based keys)."""

    def __init__(self):
        super().__init__()
        self.weights: dict[int, list[np.ndarray]] = {}

    def on_epoch_end(self, epoch, logs=None):
        self.weights[epoch + 1] = self.model.get_weights()


def _same_weights(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


# --- early stopping -------------------------------------------------------------------------


def test_epoch_limit_restores_the_best_weights():
    model = _dense_model()
    seen = WeightsPerEpoch()
    result = fit(
        model, TRAIN, VAL, epochs=8, patience=20, batch_size=16, verbose=0,
        callbacks=[BlowUpAfter(5), seen],
    )  # fmt: skip
    val_loss = result.history["val_loss"]
    assert result.epochs_run == 8 and not result.stopped_early
    assert int(np.argmin(val_loss)) + 1 == 5 == result.best_epoch
    assert val_loss[-1] > val_loss[4]  # the last epoch is not the best one
    assert result.best_value == pytest.approx(val_loss[4])
    assert _same_weights(model.get_weights(), seen.weights[5])
    assert not _same_weights(model.get_weights(), seen.weights[8])


def test_patience_stops_and_restores_the_best_weights():
    model = _dense_model()
    seen = WeightsPerEpoch()
    result = fit(
        model, TRAIN, VAL, epochs=30, patience=3, batch_size=16, verbose=0,
        callbacks=[BlowUpAfter(4), seen],
    )  # fmt: skip
    assert result.stopped_early
    assert result.best_epoch == 4
    assert result.epochs_run == 4 + 3 == len(result.history["loss"])
    assert _same_weights(model.get_weights(), seen.weights[4])


def test_without_validation_every_epoch_runs_and_best_loss_is_kept():
    model = _dense_model()
    seen = WeightsPerEpoch()
    result = fit(
        model, TRAIN, epochs=6, patience=1, batch_size=16, verbose=0,
        callbacks=[BlowUpAfter(3), seen],
    )  # fmt: skip
    assert result.epochs_run == 6 and not result.stopped_early  # no early stopping on loss
    assert result.best_epoch == int(np.argmin(result.history["loss"])) + 1
    assert _same_weights(model.get_weights(), seen.weights[result.best_epoch])


# --- run folder -----------------------------------------------------------------------------


def test_run_dir_gets_best_model_history_and_the_stop_line(tmp_path, capsys):
    run_dir = tmp_path / "run"
    model = _dense_model()
    seen = WeightsPerEpoch()
    result = fit(
        model, TRAIN, VAL, epochs=7, patience=20, batch_size=16, verbose=2, run_dir=run_dir,
        callbacks=[BlowUpAfter(5), seen],
    )  # fmt: skip
    out = capsys.readouterr().out
    assert "reached the epoch limit (7); kept the weights of epoch 5" in out

    best = keras.models.load_model(run_dir / "best.keras")
    assert _same_weights(best.get_weights(), seen.weights[5])

    with open(run_dir / "history.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["epoch"]) for r in rows] == list(range(1, 8))
    assert [float(r["val_loss"]) for r in rows] == result.history["val_loss"]
    assert [float(r["loss"]) for r in rows] == result.history["loss"]
    assert not (run_dir / "backup").exists()  # a finished run leaves no resume state behind


def test_patience_stop_line_names_the_kept_epoch(tmp_path, capsys):
    fit(
        _dense_model(), TRAIN, VAL, epochs=30, patience=2, batch_size=16, verbose=2,
        run_dir=tmp_path, callbacks=[BlowUpAfter(3)],
    )  # fmt: skip
    out = capsys.readouterr().out
    assert "early stopping at epoch 5" in out
    assert "kept the weights of epoch 3" in out


def test_resume_false_starts_again_from_fresh_weights(tmp_path):
    """A leftover backup is ignored with resume=False: same result as a clean run."""
    first = _dense_model()

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 3:  # after 3 finished epochs
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fit(first, TRAIN, VAL, epochs=6, batch_size=16, verbose=0, run_dir=tmp_path,
            callbacks=[Interrupt()])  # fmt: skip
    assert (tmp_path / "backup" / "training_metadata.json").exists()

    again = _dense_model()
    result = fit(again, TRAIN, VAL, epochs=4, batch_size=16, verbose=0, run_dir=tmp_path,
                 resume=False)  # fmt: skip
    clean = _dense_model()
    expected = fit(clean, TRAIN, VAL, epochs=4, batch_size=16, verbose=0)
    assert result.resumed_from == 0 and result.epochs_run == 4
    assert result.history == expected.history
    assert _same_weights(again.get_weights(), clean.get_weights())


def test_model_interrupted_in_process_trains_from_epoch_one_without_run_dir(tmp_path):
    """A resumed run must not leave the model starting later epochs in its next fit."""
    model = _dense_model()

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 2:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fit(model, TRAIN, VAL, epochs=5, batch_size=16, verbose=0, run_dir=tmp_path,
            callbacks=[Interrupt()])  # fmt: skip
    resumed = fit(model, TRAIN, VAL, epochs=5, batch_size=16, verbose=0, run_dir=tmp_path)
    assert resumed.resumed_from == 2 and resumed.epochs_run == 5
    again = fit(model, TRAIN, VAL, epochs=3, batch_size=16, verbose=0)
    assert again.epochs_run == 3


# --- crash resume ---------------------------------------------------------------------------

RESUME_SCRIPT = textwrap.dedent(
    """
    import json, sys, time

    from forecast.backends import lean_keras_import

    lean_keras_import()  # no scikit-learn, matplotlib, JAX (unused here): ~1 s less
    import keras
    import numpy as np

    from forecast.training import compile_model, fit, set_seed
    from forecast.windowing import WindowFeeder

    run_dir, epochs, delay, out = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    series = (np.sin(np.arange(400) / 6.0) + 0.1 * np.cos(np.arange(400) / 2.3)).astype("float32")
    train = WindowFeeder(series[:300], lookback=8, horizon=1, batch_size=32, shuffle=False)
    val = WindowFeeder(series[292:], lookback=8, horizon=1, batch_size=64, shuffle=False)


    class Slow(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            print(f"finished epoch {epoch + 1}", flush=True)
            time.sleep(delay)


    set_seed(0)
    model = keras.Sequential(
        [keras.Input((8, 1)), keras.layers.Flatten(), keras.layers.Dense(8, activation="tanh"),
         keras.layers.Dense(1), keras.layers.Reshape((1, 1))]
    )
    compile_model(model, learning_rate=0.01)
    result = fit(model, train, val, epochs=epochs, patience=None, run_dir=run_dir, verbose=2,
                 callbacks=[Slow()])
    np.savez(out + ".npz", *model.get_weights())
    with open(out + ".json", "w") as fh:
        json.dump({"history": result.history, "best_epoch": result.best_epoch,
                   "epochs_run": result.epochs_run, "resumed_from": result.resumed_from}, fh)
    print("done", flush=True)
    """
)


def _epochs_backed_up(run_dir: Path) -> int:
    try:
        return json.loads((run_dir / "backup" / "training_metadata.json").read_text())["epoch"]
    except (OSError, ValueError, KeyError):
        return 0


def _subprocess_env() -> dict[str, str]:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="-1")
    env["PYTHONPATH"] = os.pathsep.join([str(Path.cwd()), env.get("PYTHONPATH", "")])
    return env


@pytest.mark.slow
def test_killed_run_resumes_from_its_last_finished_epoch(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(RESUME_SCRIPT)
    run_dir, epochs = tmp_path / "run", 8
    command = [sys.executable, str(script), str(run_dir), str(epochs)]

    # First run: killed (SIGKILL, no clean-up) once at least 2 epochs are backed up.
    with open(tmp_path / "first.log", "w") as log:
        proc = subprocess.Popen(
            [*command, "0.3", str(tmp_path / "first")],
            stdout=log, stderr=subprocess.STDOUT, env=_subprocess_env(),
        )  # fmt: skip
        deadline = time.monotonic() + 180
        while proc.poll() is None and time.monotonic() < deadline:
            if _epochs_backed_up(run_dir) >= 2:
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.02)
        proc.wait(timeout=30)
    first_log = (tmp_path / "first.log").read_text()
    assert proc.returncode == -signal.SIGKILL, first_log
    done = _epochs_backed_up(run_dir)
    assert 2 <= done < epochs, first_log
    assert not (tmp_path / "first.json").exists()

    # Same command again: continues after the last finished epoch.
    second = subprocess.run(
        [*command, "0", str(tmp_path / "second")],
        capture_output=True, text=True, env=_subprocess_env(), timeout=180,
    )  # fmt: skip
    assert second.returncode == 0, second.stdout + second.stderr
    assert f"resuming from epoch {done}" in second.stdout
    assert "finished epoch 1\n" not in second.stdout
    assert f"finished epoch {done + 1}\n" in second.stdout
    resumed = json.loads((tmp_path / "second.json").read_text())
    assert resumed["resumed_from"] == done and resumed["epochs_run"] == epochs

    with open(run_dir / "history.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["epoch"]) for r in rows] == list(range(1, epochs + 1))

    # The resumed run ends exactly where an uninterrupted run does (weights, optimizer state
    # and history all carried over); the reference runs here, in this process.
    argv = sys.argv
    try:
        sys.argv = [str(script), str(tmp_path / "clean"), str(epochs), "0", str(tmp_path / "ref")]
        code = compile(RESUME_SCRIPT, str(script), "exec")
        exec(code, {"__name__": "__main__"})
    finally:
        sys.argv = argv
    reference = json.loads((tmp_path / "ref.json").read_text())
    assert resumed["history"] == reference["history"]
    assert resumed["best_epoch"] == reference["best_epoch"]
    with np.load(tmp_path / "second.npz") as a, np.load(tmp_path / "ref.npz") as b:
        assert all(np.array_equal(a[k], b[k]) for k in b.files)


def test_resume_keeps_the_optimizer_state_when_the_best_epoch_is_older(tmp_path):
    """Reloading the best epoch's weights on resume must not roll back the optimizer.

    Batches come in a fixed order: a resumed run restarts the shuffling streams from their
    seeds (documented), and Keras shuffles arrays with a backend-specific stream.
    """
    train = FixedBatches(*TRAIN, batch_size=16)

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 5:
                raise KeyboardInterrupt

    model = _dense_model()
    with pytest.raises(KeyboardInterrupt):
        fit(model, train, VAL, epochs=6, patience=None, verbose=0,
            run_dir=tmp_path, callbacks=[BlowUpAfter(3), Interrupt()])  # fmt: skip
    resumed_model = _dense_model()
    resumed = fit(resumed_model, train, VAL, epochs=6, patience=None, verbose=0,
                  run_dir=tmp_path)  # fmt: skip

    clean_model = _dense_model()
    seen = WeightsPerEpoch()
    clean = fit(clean_model, train, VAL, epochs=6, patience=None, verbose=0,
                callbacks=[BlowUpAfter(3), seen])  # fmt: skip
    assert resumed.resumed_from == 5 and resumed.best_epoch == clean.best_epoch == 3
    assert resumed.history == clean.history
    assert float(resumed_model.optimizer.learning_rate) == 50.0
    assert int(resumed_model.optimizer.iterations) == int(clean_model.optimizer.iterations)
    assert _same_weights(resumed_model.get_weights(), seen.weights[3])


# --- reproducibility ------------------------------------------------------------------------


def _single_lstm_on_feeder(seed: int) -> list[np.ndarray]:
    series = np.sin(np.arange(240) / 5.0).astype("float32")[:, None]
    train = WindowFeeder(series[:200], lookback=6, horizon=1, batch_size=16, shuffle=True, seed=3)
    val = WindowFeeder(series[194:], lookback=6, horizon=1, batch_size=64, shuffle=False)
    set_seed(seed)
    model = compile_model(
        build_single_lstm(lookback=6, n_inputs=1, horizon=1, n_targets=1, units=4)
    )
    fit(model, train, val, epochs=2, seed=seed, verbose=0)
    return model.get_weights()


def test_same_seed_gives_identical_weights_and_another_seed_does_not():
    def run(seed: int) -> list[np.ndarray]:
        set_seed(seed)
        model = keras.Sequential(
            [keras.Input((4,)), keras.layers.Dense(8), keras.layers.Dropout(0.3),
             keras.layers.Dense(1)]
        )  # fmt: skip
        compile_model(model, learning_rate=0.01)
        fit(model, TRAIN, VAL, epochs=3, batch_size=8, seed=seed, verbose=0)
        return model.get_weights()

    first, second, other = run(7), run(7), run(8)
    assert _same_weights(first, second)
    assert not _same_weights(first, other)


def test_same_seed_gives_identical_weights_with_a_shuffling_feeder():
    runs = [_single_lstm_on_feeder(seed) for seed in (1, 1, 2)]
    first, second, other = runs
    assert _same_weights(first, second)
    assert not _same_weights(first, other)


# --- compile_model --------------------------------------------------------------------------


def _tiny_classifier() -> keras.Model:
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])


PROBS = (
    np.random.default_rng(0).normal(size=(8, 3)).astype("float32"),
    np.tile(np.array([[0.3, 0.7]], dtype="float32"), (8, 1)),
)


@pytest.mark.parametrize("loss", sorted(set(LOSSES) - {"quantile"}))  # test_quantiles.py
def test_every_loss_name_trains(loss):
    model = compile_model(_tiny_classifier(), loss=loss)
    value = model.train_on_batch(*PROBS)
    assert np.isfinite(value)


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_every_optimizer_name_trains(optimizer):
    model = compile_model(_tiny_classifier(), optimizer=optimizer, learning_rate=0.01)
    before = model.get_weights()
    assert np.isfinite(model.train_on_batch(*PROBS))
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01)
    assert not _same_weights(before, model.get_weights())


def test_names_are_case_insensitive_and_none_keeps_the_default_rate():
    model = compile_model(_tiny_classifier(), loss="MSE", optimizer="Adam", learning_rate=None)
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.001)


@pytest.mark.parametrize(
    ("kwargs", "names"),
    [({"loss": "rmse"}, LOSSES), ({"optimizer": "adamw2"}, OPTIMIZERS)],
)
def test_unknown_names_list_the_known_ones(kwargs, names):
    with pytest.raises(ConfigError) as err:
        compile_model(_tiny_classifier(), **kwargs)
    message = str(err.value)
    assert repr(next(iter(kwargs.values()))) in message
    assert all(name in message for name in names)


@pytest.mark.parametrize(
    "kwargs",
    [{"learning_rate": 0}, {"learning_rate": -1.0}, {"learning_rate": "fast"},
     {"steps_per_execution": 0}, {"steps_per_execution": 2.0}],
)  # fmt: skip
def test_compile_rejects_bad_settings(kwargs):
    with pytest.raises(ConfigError):
        compile_model(_tiny_classifier(), **kwargs)


# --- fit arguments --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epochs": 0}, "epochs must be a positive integer"),
        ({"epochs": -3}, "epochs must be a positive integer"),
        ({"epochs": 2.5}, "epochs must be a positive integer"),
        ({"epochs": "10"}, "epochs must be a positive integer"),
        ({"epochs": True}, "epochs must be a positive integer"),
        ({"patience": 0}, "patience must be a positive integer or None"),
        ({"patience": -1}, "patience must be a positive integer or None"),
        ({"patience": 1.5}, "patience must be a positive integer or None"),
        ({"patience": False}, "patience must be a positive integer or None"),
        ({"seed": -1}, "seed must be a non-negative integer"),
    ],
)
def test_fit_rejects_bad_arguments(tmp_path, kwargs, message):
    model = _dense_model()
    with pytest.raises(ConfigError, match=message):
        fit(model, TRAIN, VAL, verbose=0, run_dir=tmp_path / "run", **kwargs)
    assert not (tmp_path / "run").exists()  # nothing is written before the check


def test_fit_needs_a_built_and_compiled_model(tmp_path):
    unbuilt = keras.Sequential([keras.layers.Dense(1)])
    compile_model(unbuilt)
    with pytest.raises(ConfigError, match="built"):
        fit(unbuilt, TRAIN, VAL, verbose=0)
    uncompiled = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    with pytest.raises(ConfigError, match="compile"):
        fit(uncompiled, TRAIN, VAL, verbose=0)


def test_fit_feeds_an_unshuffled_feeder_in_order():
    requested: list[int] = []

    class Recording(WindowFeeder):
        def __getitem__(self, index):
            requested.append(index)
            return super().__getitem__(index)

    series = np.arange(100, dtype="float32")
    feeder = Recording(series, lookback=4, horizon=1, batch_size=8, shuffle=False)
    model = keras.Sequential([keras.Input((4, 1)), keras.layers.Flatten(), keras.layers.Dense(1),
                              keras.layers.Reshape((1, 1))])  # fmt: skip
    compile_model(model)
    fit(model, feeder, epochs=2, verbose=0)
    n = len(feeder)
    assert requested[-2 * n :] == list(range(n)) * 2


def test_progress_bar_never_counts_past_the_epochs_steps(capsys):
    # 64 windows in batches of 16: 4 steps per epoch, run in chunks of 32 steps by default.
    fit(_dense_model(), TRAIN, VAL, epochs=2, patience=None, batch_size=16, verbose=1)
    out = re.sub(r"\x1b\[[0-9;]*m", "", capsys.readouterr().out)  # no colour codes
    counts = re.findall(r"(\d+)/(\d+) ", out)
    steps = [(int(a), int(b)) for a, b in counts if b == "4"]
    assert steps and all(done <= total for done, total in steps)


def test_keep_start_keeps_the_starting_weights_when_no_epoch_beats_them():
    from forecast.training import compile_model, fit

    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).standard_normal((64, 4)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    model.layers[-1].set_weights([np.ones((4, 1), "float32"), np.zeros(1, "float32")])  # exact
    compile_model(model, "mae", "adam", 0.05)
    start = [w.copy() for w in model.get_weights()]
    noisy = y + np.random.default_rng(1).standard_normal(y.shape).astype("float32")
    result = fit(model, (x, noisy), (x, y), epochs=3, verbose=0, keep_start=True)
    assert result.best_epoch == 0 and result.best_value == pytest.approx(0.0, abs=1e-6)
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), start, strict=True))
    plain = fit(model, (x, noisy), (x, y), epochs=3, verbose=0)  # the default: an epoch wins
    assert plain.best_epoch >= 1
