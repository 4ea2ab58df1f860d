"""Hyperparameter search: Ray Tune with ASHA early termination, or the same trials locally.

`tune(forecaster, series, spec, out)` tries `trials` configurations of the search space around
`forecaster`'s settings, each trained on the train part and scored on the validation part, the
validation MAE in original units as the objective; the test part is never seen by a trial. The
winner is then trained once more the normal way (`forecast.runs.train_and_save`: early
stopping, crash resume), its test part scored once, and saved as a run folder that
`forecast evaluate` and `Forecaster.load` read, with the search table beside its files
(`<out>/search.csv`).

The space (`DEFAULT_SPACE`, overridable by a TOML file's `[space]` table, `read_space`): a list is
a choice; `{loguniform = [low, high]}` or `{uniform = [low, high]}` a range. Keys: lookback,
model, units, dropout, learning_rate, normalize, loss. Trial 0 is `forecaster`'s own settings
(the default), so the search reports how far the winner beats it; trials 1.. are drawn from the
space with `seed`.

A trial trains one epoch per `Forecaster.fit(epochs=1)` call (reshuffled with seed + epoch)
and reports its validation MAE after each, so Ray Tune's `ASHAScheduler` (engine "ray") stops
the trials that fall behind at its rungs (epochs `grace`, 4·`grace`, ...); a trial also stops
after `patience` epochs without a better validation MAE. Engine "local" runs the same trials,
one after the other in this process, without ASHA.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast.errors import ConfigError, ForecastError, check_choice, check_positive_int
from forecast.files import write_output
from forecast.forecaster import Forecaster

ENGINES = ("local", "ray")
DEFAULT_SPACE: dict[str, Any] = {
    "lookback": [24, 48, 96, 168, 336],
    "model": ["single", "stacked", "attention"],
    "units": [16, 32, 64, 128],
    "dropout": [0.0, 0.1, 0.25],
    "learning_rate": {"loguniform": [3e-4, 3e-3]},
    "normalize": ["last", "mean_std", "none"],
    "loss": ["mae", "mse", "huber"],
}
RANGES = ("loguniform", "uniform")
FAILED = {"best_val_MAE": math.inf, "best_epoch": 0}  # the outcome of a trial that failed


def read_space(path: str | os.PathLike) -> dict[str, Any]:
    """`DEFAULT_SPACE` with the entries of the TOML file's `[space]` table replacing its own.

    Example file:
        [space]
        lookback = [48, 96]
        learning_rate = { loguniform = [1e-4, 1e-2] }

    Raises:
        ConfigError: for a missing or invalid file, an unknown key or an empty choice.
    """
    import tomllib

    path = Path(path)
    try:
        given = tomllib.loads(path.read_text()).get("space", {})
    except FileNotFoundError:
        raise ConfigError(f"space file {path} not found", setting="space") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML ({exc})", setting="space") from None
    return check_space({**DEFAULT_SPACE, **given})


def check_space(space: Mapping[str, Any]) -> dict[str, Any]:
    """Check every key and value of a search space; returns it as a dict."""
    for key, values in space.items():
        check_choice("search space key", key, tuple(DEFAULT_SPACE))
        is_range = isinstance(values, Mapping) and len(values) == 1 and set(values) <= set(RANGES)
        if is_range:
            low, high = next(iter(values.values()))
            if not 0 < low <= high:
                raise ConfigError(
                    f"space {key}: need 0 < low <= high, got {values}", setting="space"
                )
        elif not isinstance(values, list) or not values:
            raise ConfigError(
                f"space {key} must be a non-empty list or {{loguniform = [low, high]}}, "
                f"got {values!r}",
                setting="space",
            )
    return dict(space)


def sample(space: Mapping[str, Any], n: int, seed: int = 0) -> list[dict[str, Any]]:
    """`n` configurations drawn from `space` with `seed` (the same on every engine)."""
    rng = np.random.default_rng(seed)
    drawn = []
    for _ in range(n):
        config = {}
        for key, values in space.items():
            if isinstance(values, Mapping):
                kind, (low, high) = next(iter(values.items()))
                if kind == "loguniform":
                    config[key] = float(math.exp(rng.uniform(math.log(low), math.log(high))))
                else:
                    config[key] = float(rng.uniform(low, high))
            else:
                config[key] = values[int(rng.integers(len(values)))]
        drawn.append(config)
    return drawn


def trial_settings(base: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
    """The Forecaster settings of a trial: `base` with `config` laid over it (units and dropout
    go to the model options; the stacked and attention models get units [u, u // 2])."""
    settings = {**base, **{k: v for k, v in config.items() if k not in ("units", "dropout")}}
    same_model = settings["model"] == base["model"]
    options = dict(base.get("model_options") or {}) if same_model else {}
    if "units" in config:
        units = int(config["units"])
        options["units"] = units if settings["model"] == "single" else [units, max(units // 2, 1)]
    if "dropout" in config:
        options["dropout"] = float(config["dropout"])
    settings["model_options"] = options or None
    return settings


def validation_mae(forecaster: Forecaster, val: Any) -> float:
    """The model's MAE on the validation part, in original units (mean over targets)."""
    overall = forecaster.evaluate(val).overall()
    return float(overall.xs("model", level="method")["MAE"].mean())


def run_trial(
    settings: Mapping[str, Any],
    series: Any,
    spec: Any,
    report: Callable[[dict[str, float]], None],
) -> dict[str, float]:
    """Train one trial epoch by epoch on the train part, reporting the validation MAE after
    each epoch to `report`; stops after `patience` epochs without a better one (or when
    `report` raises, as Ray Tune does to stop it). Returns its best validation MAE."""
    from forecast.backends import quiet_backend_logs
    from forecast.windowing import split_series

    quiet_backend_logs()  # retracing notes as trials change shapes
    settings = dict(settings)
    epochs, patience, seed = settings["epochs"], settings["patience"] or 0, settings["seed"] or 0
    forecaster = Forecaster(**{**settings, "verbose": 0, "epochs": 1})
    parts = split_series(series, spec, context=forecaster.lookback)
    best, best_epoch = math.inf, 0
    for epoch in range(1, epochs + 1):
        forecaster.set_params(seed=seed + epoch - 1)  # a new batch order every epoch
        forecaster.fit(parts.train, val=parts.val, epochs=1)
        mae = validation_mae(forecaster, parts.val)
        if mae < best:
            best, best_epoch = mae, epoch
        report({"val_MAE": mae, "best_val_MAE": best, "epoch": epoch})
        if patience and epoch - best_epoch >= patience:
            break
    return {"best_val_MAE": best, "best_epoch": best_epoch}


@dataclass
class TuneResult:
    """A search: its table (one row per trial, best first), the winner's settings and the
    run folder it was saved to, the test report of the winner (scored once) and the time."""

    table: pd.DataFrame
    best: dict[str, Any]
    default_val_mae: float
    run: Any  # forecast.runs.TrainResult
    seconds: float


def tune(
    forecaster: Forecaster,
    series: Any,
    spec: Any,
    out: str | os.PathLike,
    *,
    trials: int = 12,
    space: Mapping[str, Any] | None = None,
    engine: str = "ray",
    address: str | None = None,
    cpus: float = 1,
    gpus: float = 0,
    grace: int = 2,
    data: str | None = None,
    on_trial: Callable[[dict[str, Any]], None] | None = None,
) -> TuneResult:
    """Search the space around `forecaster`'s settings; save the winner to `out`.

    Args:
        forecaster: the base settings (epochs, patience, seed, ... and trial 0's values).
        series: the whole data (a frame, path or collection).
        spec: the `forecast.windowing.SplitSpec` (it needs a validation part).
        out: the winner's run folder (with `search.csv`).
        trials: configurations tried, the default included.
        space: the search space; default `DEFAULT_SPACE`.
        engine: "ray" (Ray Tune, ASHA, trials in parallel) or "local".
        address: ray only: "auto", "HOST:PORT" or None (a Ray instance started here).
        cpus, gpus: ray only: the resources of each trial.
        grace: ray only: epochs every trial runs before ASHA may stop it.
        data: the data's path, written into the run's metrics.json.
        on_trial: called with each trial's row when it ends.

    Raises:
        ConfigError: for a bad setting or space, or a split without a validation part.
    """
    from forecast import runs
    from forecast.windowing import split_series

    engine = check_choice("engine", engine, ENGINES)
    check_positive_int("trials", trials)
    check_positive_int("grace", grace)
    space = check_space(DEFAULT_SPACE if space is None else space)
    forecaster.check_settings()
    base = forecaster.get_params()
    configs = [{}, *sample(space, trials - 1, seed=base["seed"] or 0)]
    for config in configs:
        Forecaster(**trial_settings(base, config)).check_settings()  # before any training
    runs.check_output_folder(out)  # a file or a folder of other files: refused before the search
    if split_series(series, spec).val is None:
        raise ConfigError("tuning needs a validation part: give a split with one", setting="split")
    began = time.perf_counter()
    if engine == "ray":
        rows = _ray_trials(base, configs, series, spec, address, cpus, gpus, grace, on_trial)
    else:
        rows = []
        for number, config in enumerate(configs):
            settings = trial_settings(base, config)
            try:
                outcome = run_trial(settings, series, spec, lambda _: None)
                rows.append(_row(number, settings, outcome, "finished"))
            except ForecastError as exc:  # e.g. a lookback too long for the train part
                rows.append(_row(number, settings, FAILED, f"error: {exc}"))
            if on_trial:
                on_trial(rows[-1])
    table = pd.DataFrame(rows).sort_values(["val_MAE", "trial"]).reset_index(drop=True)
    winner = configs[int(table.loc[0, "trial"])]
    best = Forecaster(**{**trial_settings(base, winner), "verbose": 0})
    parts = split_series(series, spec, context=best.lookback)
    result = runs.train_and_save(best, parts, out, data=data)
    write_output(Path(out) / "search.csv", lambda tmp: table.to_csv(tmp, index=False))
    default = float(table.loc[table["trial"] == 0, "val_MAE"].iloc[0])
    seconds = time.perf_counter() - began
    return TuneResult(table, best.get_params(), default, result, seconds)


def _row(number: int, settings: Mapping[str, Any], outcome: Mapping[str, float], status: str):
    """One line of the search table: the trial's values of the space's keys, and its score."""
    options = settings.get("model_options") or {}
    units = options.get("units", "(model's)")
    values = {
        **{k: settings[k] for k in ("lookback", "model", "normalize", "loss")},
        "units": units[0] if isinstance(units, (list, tuple)) else units,
        "dropout": options.get("dropout", "(model's)"),
        "learning_rate": round(settings["learning_rate"], 6),
    }
    return {
        "trial": number, "val_MAE": outcome["best_val_MAE"],
        "best_epoch": outcome["best_epoch"], "status": status,
        **{k: values[k] for k in DEFAULT_SPACE},
    }  # fmt: skip


def _ray_trials(
    base: dict[str, Any],
    configs: list[dict[str, Any]],
    series: Any,
    spec: Any,
    address: str | None,
    cpus: float,
    gpus: float,
    grace: int,
    on_trial: Callable[[dict[str, Any]], None] | None,
) -> list[dict[str, Any]]:
    """The trials as a Ray Tune grid over their numbers, ASHA stopping the laggards."""
    from forecast.distributed.grid import connect_ray

    connect_ray(address)
    from ray import tune as ray_tune
    from ray.tune.schedulers import ASHAScheduler

    backend = os.environ.get("KERAS_BACKEND")

    def trainable(params: dict[str, Any], series: Any, spec: Any) -> None:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        os.environ.setdefault("TF_NUM_INTRAOP_THREADS", str(max(1, int(cpus))))
        if backend:
            os.environ.setdefault("KERAS_BACKEND", backend)
        settings = trial_settings(base, configs[params["trial"]])
        run_trial(settings, series, spec, ray_tune.report)

    storage = tempfile.mkdtemp(prefix="forecast-tune-")  # Ray Tune's own files, removed after
    scheduler = ASHAScheduler(
        time_attr="epoch", max_t=base["epochs"], grace_period=min(grace, base["epochs"])
    )
    # No Ray Tune banner (its files are removed after) and no TensorBoard logger (not installed):
    # the CSV and JSON loggers that `_table` reads, asked for by name.
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    os.environ.setdefault("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")
    from ray.tune.logger import CSVLoggerCallback, JsonLoggerCallback

    loggers = [CSVLoggerCallback(), JsonLoggerCallback()]
    tuner = ray_tune.Tuner(
        ray_tune.with_resources(
            ray_tune.with_parameters(trainable, series=series, spec=spec),
            {"cpu": cpus, "gpu": gpus},
        ),
        param_space={"trial": ray_tune.grid_search(list(range(len(configs))))},
        tune_config=ray_tune.TuneConfig(metric="val_MAE", mode="min", scheduler=scheduler),
        run_config=ray_tune.RunConfig(storage_path=storage, verbose=0, callbacks=loggers),
    )
    try:
        return _table(tuner.fit(), base, configs, on_trial)
    finally:
        shutil.rmtree(storage, ignore_errors=True)


def _table(
    grid: Any,
    base: dict[str, Any],
    configs: list[dict[str, Any]],
    on_trial: Callable[[dict[str, Any]], None] | None,
) -> list[dict[str, Any]]:
    """The search table's rows from Ray Tune's `ResultGrid`."""
    rows = []
    for result in grid:
        number = int(result.config["trial"])
        history = result.metrics_dataframe
        if result.error is not None or history is None or history.empty:
            outcome, status = FAILED, f"error: {result.error}"
        else:
            best = history["val_MAE"].idxmin()
            outcome = {"best_val_MAE": float(history.loc[best, "val_MAE"]),
                       "best_epoch": int(history.loc[best, "epoch"])}  # fmt: skip
            stopped = int(history["epoch"].max()) < base["epochs"] and not _stalled(
                history, base["patience"]
            )
            status = "stopped by ASHA" if stopped else "finished"
        rows.append(_row(number, trial_settings(base, configs[number]), outcome, status))
        if on_trial:
            on_trial(rows[-1])
    return rows


def _stalled(history: pd.DataFrame, patience: int | None) -> bool:
    """Whether a trial ended by its own patience (no better val MAE for `patience` epochs)."""
    if not patience:
        return False
    last, best = int(history["epoch"].max()), int(history.loc[history["val_MAE"].idxmin(), "epoch"])
    return last - best >= patience
