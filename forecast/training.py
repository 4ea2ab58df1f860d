"""Compile and train Keras models: early stopping, checkpoints, crash resume, seeds, device.

The one entry point is `fit(model, train_data, val_data, ...)`. It is shared by the forecasting
models and the MNIST CNN (`forecast.vision`), so both get the same guarantees:

- early stopping on `val_loss` that restores the best weights, also when training ends by
  reaching the epoch limit (Keras's own `EarlyStopping` restores only when it triggers);
- with a `run_dir`: the best model saved as `best.keras`, the history written to `history.csv`,
  and a `BackupAndRestore` state in `run_dir/backup/`, so a process killed mid-run and started
  again with the same command continues from its last finished epoch, early-stopping state
  included;
- `seed=` for repeatable runs and `select_device()` for `CUDA_VISIBLE_DEVICES`.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import json
import math
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np

from forecast.backends import (
    active_distribution,
    check_distribution,
    distribution_scope,
    parallel_devices,
    parallel_plan,
    parallel_workers,
    select_device,
    start_backend,
)
from forecast.errors import ConfigError, TrainingError, check_choice, check_positive_int
from forecast.files import atomic_write, atomic_write_text
from forecast.quantiles import QUANTILE_LOSS, check_quantiles
from forecast.settings import choices


def use_device(device: str = "auto") -> str | None:
    """`forecast.backends.select_device(device)`, then start the backend there, its device
    discovery messages hidden (as the command line does): the device is fixed from here on."""
    chosen = select_device(device)
    start_backend()
    return chosen


@keras.saving.register_keras_serializable(package="forecast")
class PinballLoss(keras.losses.Loss):
    """The pinball (quantile) loss of quantile forecasts, averaged over the quantiles.

    For a quantile `q` and the error `d = y - forecast_q`: `max(q * d, (q - 1) * d)`, so
    under-forecasts cost `q` per unit and over-forecasts `1 - q`; its minimizer is the
    q-quantile. `loss="quantile"` (`LOSSES`) compiles a quantile-head model with it.

    Args:
        quantiles: the quantiles of the forecasts' last axis, in order (checked by
            `forecast.quantiles.check_quantiles`).

    Shapes: `y_true` `(batch, horizon, n_targets)`, `y_pred` `(batch, horizon, n_targets,
    Q)`; the loss is the mean over windows, steps, targets and quantiles.
    """

    def __init__(self, quantiles=None, name: str = "pinball", **kwargs: Any):
        super().__init__(name=name, **kwargs)
        self.quantiles = list(check_quantiles(quantiles))

    def call(self, y_true: Any, y_pred: Any) -> Any:
        q = keras.ops.convert_to_tensor(self.quantiles, dtype=y_pred.dtype)
        diff = keras.ops.expand_dims(keras.ops.cast(y_true, y_pred.dtype), -1) - y_pred
        return keras.ops.mean(keras.ops.maximum(q * diff, (q - 1) * diff), axis=-1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "quantiles": self.quantiles}


# The names, in order, are declared in `forecast.settings`; here each gets its Keras class.
LOSSES = dict(zip(choices("loss"), (
    keras.losses.MeanSquaredError,
    keras.losses.MeanAbsoluteError,
    keras.losses.MeanAbsolutePercentageError,
    keras.losses.MeanSquaredLogarithmicError,
    keras.losses.Huber,
    keras.losses.LogCosh,
    keras.losses.CategoricalCrossentropy,
    PinballLoss,  # QUANTILE_LOSS: quantile heads (`forecast.quantiles`)
), strict=True))  # fmt: skip
OPTIMIZERS = dict(zip(choices("optimizer"), (
    keras.optimizers.SGD,
    keras.optimizers.RMSprop,
    keras.optimizers.Adagrad,
    keras.optimizers.Adadelta,
    keras.optimizers.Adam,
    keras.optimizers.Adamax,
    keras.optimizers.Nadam,
), strict=True))  # fmt: skip
# Batches run per compiled call. Many steps per call removes per-step Python overhead
# (measured 1.16-1.35x on 2 CPU cores with identical losses); callbacks still run every epoch.
DEFAULT_STEPS_PER_EXECUTION = 32


def check_loss(name: str) -> str:
    """Check a loss name without creating anything; returns its key in `LOSSES`."""
    return check_choice("loss", str(name), tuple(LOSSES))


def get_loss(name: str, quantiles: Any = None) -> keras.losses.Loss:
    """Return a fresh Keras loss for a name in `LOSSES` (mse, mae, mape, msle, huber, logcosh,
    quantile: a `PinballLoss` of `quantiles`, default `forecast.quantiles.DEFAULT_QUANTILES`)."""
    key = check_loss(name)
    return PinballLoss(quantiles) if key == QUANTILE_LOSS else LOSSES[key]()


def check_optimizer(name: str, learning_rate: float | None = None) -> str:
    """Check an optimizer name and learning rate without creating anything (no Keras state);
    returns the name's key in `OPTIMIZERS`."""
    key = check_choice("optimizer", str(name), tuple(OPTIMIZERS))
    if learning_rate is not None and not (
        isinstance(learning_rate, (int, float)) and learning_rate > 0
    ):
        raise ConfigError(
            f"learning_rate must be a positive number, got {learning_rate!r}",
            setting="learning_rate",
        )
    return key


def get_optimizer(name: str, learning_rate: float | None = None) -> keras.optimizers.Optimizer:
    """Return a fresh Keras optimizer by name, with `learning_rate` if given."""
    key = check_optimizer(name, learning_rate)
    if learning_rate is None:
        return OPTIMIZERS[key]()
    return OPTIMIZERS[key](learning_rate=float(learning_rate))


def compile_model(
    model: keras.Model,
    loss: str = "mse",
    optimizer: str = "adam",
    learning_rate: float | None = 1e-3,
    metrics: list[Any] | None = None,
    steps_per_execution: int = DEFAULT_STEPS_PER_EXECUTION,
    quantiles: Any = None,
) -> keras.Model:
    """Compile `model` with a loss and optimizer chosen by name; returns the model.

    Args:
        loss: one of mse, mae, mape, msle, huber, logcosh, quantile (the pinball loss of a
            quantile-head model's `quantiles`) (or categorical_crossentropy).
        optimizer: one of sgd, rmsprop, adagrad, adadelta, adam, adamax, nadam.
        learning_rate: the optimizer's learning rate; None keeps the optimizer's own default.
        metrics: Keras metrics to report beside the loss.
        steps_per_execution: batches per compiled call; 1 is plain Keras (and always 1 inside
            a data-parallel `distribution_scope`: Keras's multi-step loop fails under
            TensorFlow's MirroredStrategy, keras-team/keras#19246).
        quantiles: with `loss="quantile"`, the model's quantiles (None: the default ones).
    """
    check_positive_int("steps_per_execution", steps_per_execution)
    if active_distribution() != "none":
        steps_per_execution = 1
    model.compile(
        optimizer=get_optimizer(optimizer, learning_rate),
        loss=get_loss(loss, quantiles),
        metrics=metrics,
        steps_per_execution=steps_per_execution,
    )
    return model


def batch_size_for(n_windows: int, batch_size: int | None = None) -> int:
    """`batch_size`, or when None: 128, shrunk (to a power of two, at least 8) so that an
    epoch of `n_windows` has at least 16 optimizer steps — small series such as AirPassengers
    (about 60 training windows) otherwise get one step per epoch and stop undertrained."""
    if batch_size is not None:
        return int(batch_size)
    size = 128
    while size > 8 and n_windows < 16 * size:
        size //= 2
    return size


def set_seed(seed: int | None) -> None:
    """Seed Python, NumPy and the Keras backend (`keras.utils.set_random_seed`)."""
    if seed is None:
        return
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"seed must be a non-negative integer, got {seed!r}")
    keras.utils.set_random_seed(int(seed))


def use_mixed_precision(enabled: bool = True) -> None:
    """Set Keras's global dtype policy to mixed_float16 (GPU only; call before building)."""
    keras.mixed_precision.set_global_policy("mixed_float16" if enabled else "float32")


@dataclass
class FitResult:
    """What `fit` returns: the merged history and where the kept weights came from.

    Attributes:
        history: metric name -> list of per-epoch values, across resumed runs.
        best_epoch: 1-based epoch whose weights the model now holds (None without validation).
        best_value: the monitored value at `best_epoch`.
        epochs_run: epochs finished in total (resumed runs included).
        stopped_early: whether patience ran out before the epoch limit.
        resumed_from: epochs that were already done when this call began (0 for a fresh run).
        validated: whether there was validation data (early stopping on `val_loss`).
    """

    history: dict[str, list[float]] = field(default_factory=dict)
    best_epoch: int | None = None
    best_value: float | None = None
    epochs_run: int = 0
    stopped_early: bool = False
    resumed_from: int = 0
    validated: bool = False


class StepCountingProgbar(keras.callbacks.ProgbarLogger):
    """Keras's progress bar, with the step count capped at the epoch's steps.

    With `steps_per_execution` above 1, Keras reports the last step of each chunk, so an
    epoch of 19 batches run in chunks of 32 shows "32/19" before it ends.
    """

    def _update_progbar(self, batch: int, logs: dict | None = None) -> None:
        if self.target is not None:
            batch = min(batch, self.target - 1)
        super()._update_progbar(batch, logs)


class TerminateOnNaN(keras.callbacks.TerminateOnNaN):
    """Keras's `TerminateOnNaN` (stop at the first batch whose loss is NaN or infinite),
    without its printed line: `fit` then raises a one-line `TrainingError`."""

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        with contextlib.redirect_stdout(io.StringIO()):
            super().on_batch_end(batch, logs)


class RestoreBestWeights(keras.callbacks.Callback):
    """Early stopping that always leaves the model with its best weights.

    Unlike `keras.callbacks.EarlyStopping(restore_best_weights=True)`, the best weights are
    restored also when training ends at the epoch limit. Its state can be saved and restored
    (`get_state` / `set_state`) so that a resumed run keeps counting patience correctly.
    """

    def __init__(self, monitor: str = "val_loss", patience: int | None = 10, verbose: int = 1):
        super().__init__()
        self.monitor = monitor
        self.patience = patience
        self.verbose = verbose
        self.reset()

    def reset(self) -> None:
        self.best = math.inf
        self.best_epoch: int | None = None
        self.wait = 0
        self.best_weights: list[np.ndarray] | None = None
        self.stopped_epoch: int | None = None
        self.last_epoch = 0
        self.improved = False

    def get_state(self) -> dict[str, Any]:
        return {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait}

    def start_from(self, value: float, weights: list[np.ndarray]) -> None:
        """Count the starting weights as epoch 0 with monitored value `value`: an epoch must
        beat them to be kept (`fit(keep_start=True)`)."""
        if np.isfinite(value):
            self.best, self.best_epoch, self.best_weights = float(value), 0, weights

    def set_state(self, state: Mapping[str, Any]) -> None:
        self.best = float(state["best"])
        self.best_epoch = state["best_epoch"]
        self.wait = int(state["wait"])

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.last_epoch = epoch + 1
        value = (logs or {}).get(self.monitor)
        self.improved = False
        if value is None or not np.isfinite(value):
            self.wait += 1
        elif value < self.best:
            self.best = float(value)
            self.best_epoch = epoch + 1
            self.wait = 0
            self.best_weights = self.model.get_weights()
            self.improved = True
        else:
            self.wait += 1
        if self.patience is not None and self.wait >= self.patience:
            self.stopped_epoch = epoch + 1
            self.model.stop_training = True

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.best_weights is None:
            return
        if self.best_epoch != self.last_epoch:
            self.model.set_weights(self.best_weights)
        if self.verbose:
            why = (
                f"early stopping at epoch {self.stopped_epoch}: {self.monitor} did not improve "
                f"for {self.patience} epochs"
                if self.stopped_epoch
                else f"reached the epoch limit ({self.last_epoch})"
            )
            kept = f"epoch {self.best_epoch}" if self.best_epoch else "the starting point"
            print(
                f"{why}; kept the weights of {kept} ({self.monitor} {self.best:.6g})",
                flush=True,
            )


def write_history_csv(path: Path, history: Mapping[str, list[float]]) -> None:
    """Write a history dict as CSV with an `epoch` column (1-based), atomically."""
    keys = list(history)
    n = max((len(v) for v in history.values()), default=0)

    def write(tmp: Path) -> None:
        with open(tmp, "w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["epoch", *keys])
            for i in range(n):
                writer.writerow([i + 1, *(repr(float(history[k][i])) for k in keys)])

    atomic_write(path, write)


class ResumableRun(keras.callbacks.BackupAndRestore):
    """`BackupAndRestore` that also keeps the run's history and early-stopping state.

    Files in `run_dir`: `backup/` (Keras's weights + optimizer + epoch), `state.json` (history
    and early-stopping counters per finished epoch), `best.keras` (the best model so far),
    `best-NNNN.weights.h5` (its weights, for resuming) and `history.csv`.
    """

    def __init__(self, run_dir: Path, stopper: RestoreBestWeights, verbose: int = 1):
        super().__init__(backup_dir=str(run_dir / "backup"), delete_checkpoint=True)
        self.run_dir = run_dir
        self.stopper = stopper
        self.verbose = verbose
        self.epochs: list[dict[str, Any]] = []
        self.resumed_from = 0

    @property
    def state_path(self) -> Path:
        return self.run_dir / "state.json"

    def _best_weights_path(self, epoch: int) -> Path:
        return self.run_dir / f"best-{epoch:04d}.weights.h5"

    def on_train_begin(self, logs: dict | None = None) -> None:
        saved: list[dict[str, Any]] = []
        backup_exists = Path(self._training_metadata_path).exists()
        if backup_exists and self.state_path.exists():
            try:
                saved = json.loads(self.state_path.read_text())["epochs"]
            except (OSError, ValueError, KeyError):
                saved = []
        super().on_train_begin(logs)
        done = int(getattr(self.model, "_initial_epoch", 0) or 0) if backup_exists else 0
        self.epochs = [e for e in saved if e["epoch"] <= done]
        self.resumed_from = done
        if done and self.epochs:
            state = self.epochs[-1]["stopper"]
            best_file = self._best_weights_path(state["best_epoch"] or 0)
            if state["best_epoch"] is not None and best_file.exists():
                # load_weights also loads the optimizer's variables (step count, moments,
                # learning rate) of the best epoch: keep the latest ones instead.
                latest = self.model.get_weights()
                optimizer_vars = list(self.model.optimizer.variables)
                latest_opt = [v.numpy() for v in optimizer_vars]
                self.model.load_weights(best_file)
                self.stopper.best_weights = self.model.get_weights()
                self.model.set_weights(latest)
                for var, value in zip(optimizer_vars, latest_opt, strict=True):
                    var.assign(value)
                self.stopper.set_state(state)
            self.stopper.last_epoch = done
            if self.verbose:
                print(f"resuming from epoch {done} (state in {self.run_dir})", flush=True)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.stopper.improved:
            self.model.save_weights(self._best_weights_path(epoch + 1))
            atomic_write(self.run_dir / "best.keras", self.model.save)
            for old in sorted(self.run_dir.glob("best-*.weights.h5"))[:-2]:
                old.unlink()
        self.epochs.append(
            {
                "epoch": epoch + 1,
                "logs": {k: float(v) for k, v in (logs or {}).items()},
                "stopper": self.stopper.get_state(),
            }
        )
        atomic_write_text(self.state_path, json.dumps({"epochs": self.epochs}))
        write_history_csv(self.run_dir / "history.csv", self.history())
        super().on_epoch_end(epoch, logs)

    def on_train_end(self, logs: dict | None = None) -> None:
        """Mark the run finished in `state.json` before Keras removes `backup/`: killed
        before the caller keeps the model, the same command restores it (`finished_fit`)
        instead of training again from epoch 1."""
        stopped = self.stopper.stopped_epoch
        finished = {"epochs": self.epochs, "finished": {"stopped_epoch": stopped}}
        atomic_write_text(self.state_path, json.dumps(finished))
        super().on_train_end(logs)

    def finished_fit(self, validated: bool) -> FitResult | None:
        """The `FitResult` of a run that finished in `run_dir` (its best weights loaded into
        the model), or None when none did."""
        try:
            state = json.loads(self.state_path.read_text())
            epochs, stopped = state["epochs"], state["finished"]["stopped_epoch"]
            best = epochs[-1]["stopper"]
        except (OSError, ValueError, KeyError, IndexError, TypeError):
            return None
        best_file = self._best_weights_path(best["best_epoch"] or 0)
        if best["best_epoch"] is None or not best_file.exists():
            return None
        self.model.load_weights(best_file)
        self.epochs = epochs
        if self.verbose:
            print(f"training had finished (state in {self.run_dir}): kept its best epoch "
                  f"{best['best_epoch']}", flush=True)  # fmt: skip
        history = {k: [float(v) for v in vals] for k, vals in self.history().items()}
        return FitResult(
            history=history, best_epoch=best["best_epoch"], best_value=float(best["best"]),
            epochs_run=len(epochs), stopped_early=stopped is not None,
            resumed_from=len(epochs), validated=validated,
        )  # fmt: skip

    def history(self) -> dict[str, list[float]]:
        keys: list[str] = []
        for e in self.epochs:
            keys += [k for k in e["logs"] if k not in keys]
        return {k: [e["logs"].get(k, math.nan) for e in self.epochs] for k in keys}


def fit(
    model: keras.Model,
    train_data: Any,
    val_data: Any = None,
    *,
    epochs: int = 100,
    patience: int | None = 10,
    reduce_lr_patience: int | None = None,
    run_dir: str | os.PathLike | None = None,
    resume: bool = True,
    seed: int | None = None,
    batch_size: int | None = None,
    verbose: int = 1,
    callbacks: list[keras.callbacks.Callback] | None = None,
    keep_start: bool = False,
) -> FitResult:
    """Train a compiled model with early stopping that keeps the best weights.

    Args:
        model: a compiled `keras.Model`.
        train_data: a `keras.utils.PyDataset` (e.g. `forecast.windowing.WindowFeeder`) or an
            `(x, y)` tuple of arrays. Arrays are shuffled every epoch; a PyDataset is fed in
            its own batch order (a `WindowFeeder` shuffles itself, seeded, if asked to).
        val_data: the same kinds, or None (then no early stopping: all `epochs` run).
        epochs: the epoch limit.
        patience: epochs without improvement of `val_loss` before stopping; None never stops.
        reduce_lr_patience: if set, halve the learning rate after this many flat epochs.
        run_dir: folder for `best.keras`, `history.csv` and the crash-resume state. A resumed
            run restores weights, optimizer and early-stopping state exactly; random streams
            (batch shuffling, dropout) start again from their seeds.
        resume: continue an interrupted run found in `run_dir` (else start again).
        seed: seeds Python, NumPy and the backend first, for repeatable runs.
        batch_size: only for array inputs (feeders carry their own).
        verbose: 1 for Keras's progress bar and the stop line, 2 one line per epoch, 0 quiet.
        keep_start: with validation data, score the starting weights first (as epoch 0):
            when no epoch beats them on `val_loss`, the model keeps them (`best_epoch` 0).
            A model started from the linear baseline then never ends worse than it on
            validation.

    Returns:
        A `FitResult`; the model holds the weights of `result.best_epoch` (0: the start).
    """
    check_positive_int("epochs", epochs)
    if patience is not None:
        check_positive_int("patience", patience, or_none=True)
    if not model.built:
        raise ConfigError("the model must be built before fit; use the forecast.models builders")
    if getattr(model, "optimizer", None) is None:
        raise ConfigError("the model must be compiled before fit; use compile_model(model)")
    set_seed(seed)
    x, y = (train_data, None) if not isinstance(train_data, tuple) else train_data
    if val_data is not None and isinstance(val_data, list):
        val_data = tuple(val_data)

    monitor = "val_loss" if val_data is not None else "loss"
    stopper = RestoreBestWeights(monitor, patience if val_data is not None else None, verbose)
    all_callbacks: list[keras.callbacks.Callback] = [
        TerminateOnNaN(),  # first: nothing is checkpointed after a NaN batch
        stopper,
        StepCountingProgbar(),
    ]
    if reduce_lr_patience:
        all_callbacks.append(
            keras.callbacks.ReduceLROnPlateau(
                monitor=monitor, factor=0.5, patience=reduce_lr_patience, verbose=verbose
            )
        )
    all_callbacks += list(callbacks or [])
    run: ResumableRun | None = None
    if run_dir is not None:
        path = Path(run_dir)
        path.mkdir(parents=True, exist_ok=True)
        if not resume:
            # All of backup/: Keras reloads latest.weights.h5 even without its metadata.
            shutil.rmtree(path / "backup", ignore_errors=True)
            (path / "state.json").unlink(missing_ok=True)
        run = ResumableRun(path, stopper, verbose)
        all_callbacks.append(run)
        run.set_model(model)
        kept = run.finished_fit(val_data is not None) if resume else None
        if kept is not None:  # killed after training finished, before the model was kept
            check_finite_losses(kept.history, kept.validated)
            return kept
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)

    if keep_start and val_data is not None:
        args = val_data if isinstance(val_data, tuple) else (val_data,)
        scored = model.evaluate(*args, verbose=0, return_dict=True)
        stopper.start_from(scored["loss"], model.get_weights())
        if run is not None:  # the start is "epoch 0": a resumed or finished run can keep it
            model.save_weights(run._best_weights_path(0))
            atomic_write(run.run_dir / "best.keras", model.save)
    # BackupAndRestore sets model._initial_epoch and Keras never clears it: without this, a
    # later fit of the same model would skip the epochs an earlier resumed run had done.
    model._initial_epoch = None
    keras_history = model.fit(
        x,
        y,
        batch_size=batch_size if y is not None else None,
        epochs=epochs,
        validation_data=val_data,
        callbacks=all_callbacks,
        verbose=verbose,
        # Arrays are shuffled by Keras. A PyDataset is not: Keras would reorder its batches
        # with Python's global RNG, overriding the feeder's own (seeded) `shuffle` setting.
        shuffle=y is not None,
    )
    history = run.history() if run is not None else dict(keras_history.history)
    history = {k: [float(v) for v in vals] for k, vals in history.items()}
    check_finite_losses(history, val_data is not None)
    epochs_run = len(next(iter(history.values()), []))
    return FitResult(
        history=history,
        best_epoch=stopper.best_epoch,
        best_value=None if stopper.best_epoch is None else stopper.best,
        epochs_run=epochs_run,
        stopped_early=stopper.stopped_epoch is not None,
        resumed_from=run.resumed_from if run is not None else 0,
        validated=val_data is not None,
    )


def check_finite_losses(history: Mapping[str, list[float]], validated: bool) -> None:
    """Raise `TrainingError` when training diverged: a non-finite `loss` in any epoch (Keras's
    `TerminateOnNaN` stops at the first such batch), or no finite `val_loss` at all.

    A model whose loss went NaN holds NaN weights: its forecasts would be NaN and its scores
    meaningless, so it must never be kept (or saved) as a trained model.
    """
    losses = history.get("loss", [])
    bad = next((i for i, v in enumerate(losses) if not math.isfinite(v)), None)
    if bad is None and validated and not any(math.isfinite(v) for v in history["val_loss"]):
        bad = len(history["val_loss"]) - 1
    if bad is None and losses:
        return
    epoch = "before the first epoch ended" if bad is None else f"in epoch {bad + 1}"
    raise TrainingError(
        f"training diverged: the loss became NaN or infinite {epoch}; check the data for "
        "huge or broken values, or lower learning_rate",
        setting="learning_rate",
    )


FINISHED_MEMBER = ("finished.keras", "finished.json")  # inside an ensemble member's run folder


def save_finished_member(
    member_dir: str | os.PathLike, model: keras.Model, result: FitResult
) -> None:
    """Keep a trained ensemble member, so a crash in a later member does not retrain it."""
    folder = Path(member_dir)
    atomic_write(folder / FINISHED_MEMBER[0], model.save)
    atomic_write_text(folder / FINISHED_MEMBER[1], json.dumps(dataclasses.asdict(result)))


def finished_member(member_dir: str | os.PathLike) -> tuple[keras.Model, FitResult] | None:
    """The model and `FitResult` kept by `save_finished_member`, or None (also when either
    file is unreadable: the member is then trained again)."""
    folder = Path(member_dir)
    model_file, result_file = (folder / name for name in FINISHED_MEMBER)
    if not (model_file.is_file() and result_file.is_file()):
        return None
    try:
        result = FitResult(**json.loads(result_file.read_text()))
        return keras.models.load_model(model_file), result
    except Exception:  # a damaged file only costs retraining the member
        return None


def train_members(
    build: Callable[[], keras.Model],
    n: int,
    train_data: Any,
    val_data: Any = None,
    *,
    seed: int | None = 0,
    run_dir: str | os.PathLike | None = None,
    distribution: str | None = None,
    **fit_args: Any,
) -> tuple[list[keras.Model], list[FitResult]]:
    """Build and `fit` `n` models with seeds `seed, seed + 1, ...` (an ensemble).

    With several members and a `run_dir`, member k trains in `run_dir/member-k` and is kept
    there when finished, so a crash-resumed ensemble keeps the members an earlier run finished
    (and resumes the interrupted one from its last epoch).

    Args:
        build: returns a new compiled model; called after the member's seed is set.
        n: members.
        train_data: as for `fit`; a `WindowFeeder` is reseeded per member.
        distribution: "data_parallel" builds and fits each member on every visible device,
            each global batch split between them (`forecast.backends.distribution_scope`).
        **fit_args: passed on to `fit` (epochs, patience, verbose, ...).

    Returns:
        The trained models and their `FitResult`s, in member order.
    """
    members, results = [], []
    verbose = fit_args.get("verbose", 1)
    if check_distribution(distribution) == "data_parallel":  # refused on one device
        plan = parallel_plan(parallel_devices(), parallel_workers())
        if verbose:
            print(plan)
    for k in range(n):
        member_dir = run_dir
        if run_dir is not None and n > 1:
            member_dir = os.path.join(run_dir, f"member-{k}")
            done = finished_member(member_dir)
            if done is not None:
                members.append(done[0])
                results.append(done[1])
                if verbose:
                    print(
                        f"ensemble member {k + 1}/{n}: kept, trained by an earlier run "
                        f"({done[1].epochs_run} epochs)"
                    )
                continue
        member_seed = None if seed is None else seed + k
        set_seed(member_seed)
        if hasattr(train_data, "reseed"):
            train_data.reseed(member_seed)
        with distribution_scope(distribution):
            members.append(build())
            results.append(fit(members[-1], train_data, val_data, run_dir=member_dir, **fit_args))
        if run_dir is not None and n > 1:
            save_finished_member(member_dir, members[-1], results[-1])
    return members, results
