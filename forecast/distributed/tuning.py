"""Hyperparameter search: Ray Tune with ASHA early termination, or the same trials locally.

`tune(forecaster, series, spec, out)` tries `trials` configurations of the search space around
`forecaster`'s settings, each trained on the train part and scored on the validation part, the
validation MAE in original units as the objective; the test part is never seen by a trial. The
winner is then trained once more the normal way (`forecast.runs.train`: early stopping,
crash resume), its test part scored once, and saved as a run folder that
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

import hashlib
import json
import math
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast.distributed.grid import SEARCHES
from forecast.errors import ConfigError, ForecastError, check_choice, check_positive_int
from forecast.files import write_output, write_text_output
from forecast.forecaster import Forecaster
from forecast.runs import TUNE_SUBDIR
from forecast.settings import choices

ENGINES = ("local", "ray")
DEFAULT_SPACE: dict[str, Any] = {
    "lookback": [24, 48, 96, 168, 336],
    "model": list(choices("model")),
    "units": [16, 32, 64, 128],
    "dropout": [0.0, 0.1, 0.25],
    "learning_rate": {"loguniform": [3e-4, 3e-3]},
    "normalize": list(choices("normalize")),
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
    from forecast.splits import split_series

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
    search: str = "random",
    max_failures: int = 1,
    data: str | None = None,
    on_trial: Callable[[dict[str, Any]], None] | None = None,
) -> TuneResult:
    """Search the space around `forecaster`'s settings; save the winner to `out`.

    Args:
        forecaster: the base settings (epochs, patience, seed, ... and trial 0's values).
        series: the whole data (a frame, path or collection).
        spec: the `forecast.splits.SplitSpec` (it needs a validation part).
        out: the winner's run folder (with `search.csv`).
        trials: configurations tried, the default included.
        space: the search space; default `DEFAULT_SPACE`.
        engine: "ray" (Ray Tune, ASHA, trials in parallel) or "local".
        address: ray only: "auto", "HOST:PORT" or None (a Ray instance started here).
        cpus, gpus: ray only: the resources of each trial.
        grace: ray only: epochs every trial runs before ASHA may stop it.
        search: ray only: "random" (trials 1.. drawn with NumPy and `seed`, the same as
            locally) or "optuna" (Ray Tune's `OptunaSearch`; the `optuna` extra).
        max_failures: ray only: reruns of a trial whose worker died (`FailureConfig`).
        data: the data's path, written into the run's metrics.json.
        on_trial: called with each trial's row when it ends.

    A search stopped by Ctrl-C or a killed driver is resumed by the same call: on Ray its
    experiment is kept in `<out>/.tune` (`Tuner.restore`); locally the trials that ended are
    kept in `<out>/.tune/local-<hash>.csv` and skipped.

    Raises:
        ConfigError: for a bad setting or space, a split without a validation part, or an
            output folder the run cannot be saved in; before any trial.
        TuneInterrupted: after Ctrl-C, the trials that ended kept for the next call.
    """
    from forecast import runs
    from forecast.splits import split_series

    engine = check_choice("engine", engine, ENGINES)
    search = check_choice("search", search, SEARCHES)
    check_positive_int("trials", trials)
    check_positive_int("grace", grace)
    check_positive_int("max_failures", max_failures, allow_zero=True)
    if search != "random" and engine != "ray":
        raise ConfigError(f"search {search} runs on Ray Tune: use engine ray", setting="search")
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
        setup = RaySetup(out, address, cpus, gpus, grace, search, space, max_failures)
        rows = _ray_trials(base, configs, series, spec, setup, on_trial)
    else:
        kept = Path(out) / STORAGE / f"local-{experiment_name(base, configs, 'random')[7:]}.csv"
        rows = _local_trials(base, configs, series, spec, kept, on_trial)
    table = pd.DataFrame(rows).sort_values(["val_MAE", "trial"]).reset_index(drop=True)
    winner = configs[int(table.loc[0, "trial"])]
    best = Forecaster(**{**trial_settings(base, winner), "verbose": 0})
    result = runs.train(best, series, spec, out, data=data)  # THE train workflow
    write_output(Path(out) / "search.csv", lambda tmp: table.to_csv(tmp, index=False))
    default = float(table.loc[table["trial"] == 0, "val_MAE"].iloc[0])
    seconds = time.perf_counter() - began
    return TuneResult(table, best.get_params(), default, result, seconds)


@dataclass
class RaySetup:
    """How `tune` runs on Ray: the run folder (its `.tune` holds the experiment), the cluster,
    each trial's resources, ASHA's grace, the search algorithm and its space, retries."""

    out: str | os.PathLike
    address: str | None
    cpus: float
    gpus: float
    grace: int
    search: str
    space: Mapping[str, Any]
    max_failures: int


def _local_trials(
    base: dict[str, Any],
    configs: list[dict[str, Any]],
    series: Any,
    spec: Any,
    kept: Path,
    on_trial: Callable[[dict[str, Any]], None] | None,
) -> list[dict[str, Any]]:
    """The trials one after the other in this process. Each row that ends is added to `kept`
    (a small CSV, one line per trial), so after Ctrl-C the same call runs only the others.

    Raises:
        TuneInterrupted: on Ctrl-C, the trials that ended kept.
    """
    rows = pd.read_csv(kept).to_dict(orient="records") if kept.is_file() else []
    done = {int(row["trial"]) for row in rows}
    for row in rows:
        if on_trial:
            on_trial(row)
    for number, config in enumerate(configs):
        if number in done:
            continue
        settings = trial_settings(base, config)
        try:
            outcome = run_trial(settings, series, spec, lambda _: None)
            rows.append(_row(number, settings, outcome, "finished"))
        except ForecastError as exc:  # e.g. a lookback too long for the train part
            rows.append(_row(number, settings, FAILED, f"error: {exc}"))
        except KeyboardInterrupt:
            raise TuneInterrupted(
                f"tune interrupted: {len(rows)} of {len(configs)} trials ended (kept in "
                f"{kept}); run the same command again to resume"
            ) from None
        kept.parent.mkdir(parents=True, exist_ok=True)
        _write_table(rows, kept)
        if on_trial:
            on_trial(rows[-1])
    return rows


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


STORAGE = TUNE_SUBDIR  # in the run folder: the search's state, kept for a resume


class TuneInterrupted(ForecastError):
    """A search stopped by Ctrl-C (SIGINT) before every trial ended; its state is kept in
    `<out>/.tune` and the same command resumes it."""


def experiment_name(base: Mapping[str, Any], configs: list[dict[str, Any]], search: str) -> str:
    """`search-<hash>`: the same settings, space and trials give the same name, so running the
    same command again finds the experiment to resume, and a changed one starts afresh."""
    text = json.dumps([dict(base), configs, search], sort_keys=True, default=str)
    return f"search-{hashlib.sha1(text.encode()).hexdigest()[:12]}"


def ray_space(space: Mapping[str, Any]) -> dict[str, Any]:
    """The search space as Ray Tune's distributions (for a search algorithm such as Optuna):
    a list is `tune.choice`, a range `tune.loguniform` / `tune.uniform`."""
    from ray import tune as ray_tune

    found = {}
    for key, values in space.items():
        if isinstance(values, Mapping):
            kind, (low, high) = next(iter(values.items()))
            found[key] = getattr(ray_tune, kind)(low, high)
        else:
            found[key] = ray_tune.choice(list(values))
    return found


def default_point(base: Mapping[str, Any], space: Mapping[str, Any]) -> dict[str, Any]:
    """Trial 0 for a search algorithm: `base`'s own values of the space's keys where they lie
    in the space; elsewhere the first choice, or the middle of the range (geometric for
    loguniform), as the algorithm needs a value for every key."""
    options = base.get("model_options") or {}
    units = options.get("units")
    own = {**{k: base.get(k) for k in ("lookback", "model", "normalize", "loss")},
           "learning_rate": base.get("learning_rate"),
           "units": units[0] if isinstance(units, (list, tuple)) else units,
           "dropout": options.get("dropout")}  # fmt: skip
    point = {}
    for key, values in space.items():
        value = own.get(key)
        if isinstance(values, Mapping):
            kind, (low, high) = next(iter(values.items()))
            inside = isinstance(value, (int, float)) and low <= value <= high
            middle = math.sqrt(low * high) if kind == "loguniform" else (low + high) / 2
            point[key] = value if inside else middle
        else:
            point[key] = value if value in values else values[0]
    return point


def _searcher(search: str, space: Mapping[str, Any], point: dict[str, Any], seed: int) -> Any:
    """Ray Tune's search algorithm for `search` ("optuna": `OptunaSearch`, which needs the
    `optuna` extra), starting from `point`."""
    if search == "optuna":
        try:
            from ray.tune.search.optuna import OptunaSearch

            return OptunaSearch(points_to_evaluate=[point], seed=seed)
        except (ImportError, AssertionError):  # Ray asserts that Optuna is installed
            raise ConfigError(
                'search optuna needs Optuna: pip install -e ".[optuna]"', setting="search"
            ) from None
    return None


def _ray_trials(
    base: dict[str, Any],
    configs: list[dict[str, Any]],
    series: Any,
    spec: Any,
    setup: RaySetup,
    on_trial: Callable[[dict[str, Any]], None] | None,
) -> list[dict[str, Any]]:
    """The trials on Ray Tune, ASHA stopping the laggards. With search "random" a grid over the
    trial numbers (`configs`, drawn with NumPy); else `setup.search`'s algorithm draws
    `len(configs)` configurations from the space, trial 0 its `default_point`.

    The experiment lives in `<out>/.tune/<experiment_name>`: a search stopped by Ctrl-C or a
    killed driver is resumed by the same call (`Tuner.restore`: finished trials kept, the
    others run again). A trial whose worker dies is retried `setup.max_failures` times.

    Raises:
        TuneInterrupted: after Ctrl-C, once Ray Tune has saved the experiment.
    """
    from forecast.distributed.grid import connect_ray

    connect_ray(setup.address)
    from ray import tune as ray_tune
    from ray.tune.schedulers import ASHAScheduler

    backend, cpus = os.environ.get("KERAS_BACKEND"), setup.cpus

    def trainable(params: dict[str, Any], series: Any, spec: Any) -> None:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        os.environ.setdefault("TF_NUM_INTRAOP_THREADS", str(max(1, int(cpus))))
        if backend:
            os.environ.setdefault("KERAS_BACKEND", backend)
        config = configs[params["trial"]] if "trial" in params else params
        run_trial(trial_settings(base, config), series, spec, ray_tune.report)

    # reuse_actors (below): a worker process runs trial after trial, as the local engine does
    # in this one, instead of a new process starting Python and the backend for each trial
    wrapped = ray_tune.with_resources(
        ray_tune.with_parameters(trainable, series=series, spec=spec),
        {"cpu": setup.cpus, "gpu": setup.gpus},
    )
    # No Ray Tune banner and no TensorBoard logger (not installed): the CSV and JSON loggers
    # that `_table` reads, asked for by name.
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    os.environ.setdefault("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")
    from ray.tune.logger import CSVLoggerCallback, JsonLoggerCallback

    loggers = [CSVLoggerCallback(), JsonLoggerCallback()]
    storage = Path(setup.out).absolute() / STORAGE
    name = experiment_name(base, configs, setup.search)
    if ray_tune.Tuner.can_restore(storage / name):
        tuner = ray_tune.Tuner.restore(
            str(storage / name), trainable=wrapped, resume_unfinished=True, resume_errored=True
        )
    else:
        scheduler = ASHAScheduler(
            time_attr="epoch", max_t=base["epochs"], grace_period=min(setup.grace, base["epochs"])
        )
        if setup.search == "random":
            param_space = {"trial": ray_tune.grid_search(list(range(len(configs))))}
            searcher, samples = None, 1
        else:
            param_space = ray_space(setup.space)
            point = default_point(base, setup.space)
            searcher = _searcher(setup.search, setup.space, point, base["seed"] or 0)
            samples = len(configs)
        tuner = ray_tune.Tuner(
            wrapped,
            param_space=param_space,
            tune_config=ray_tune.TuneConfig(
                metric="val_MAE", mode="min", scheduler=scheduler, search_alg=searcher,
                num_samples=samples, reuse_actors=True,
            ),
            run_config=ray_tune.RunConfig(
                name=name, storage_path=str(storage), verbose=0, callbacks=loggers,
                failure_config=ray_tune.FailureConfig(max_failures=setup.max_failures),
            ),
        )  # fmt: skip
    grid = tuner.fit()
    ended = _ended(storage / name)
    rows = _table(grid, base, configs, on_trial, ended)
    if len(ended) < len(configs):
        _write_table(rows, storage / name / "search.csv")
        raise TuneInterrupted(
            f"tune interrupted: {len(rows)} of {len(configs)} trials ended (table in "
            f"{storage / name / 'search.csv'}); run the same command again to resume"
        )
    return rows


def _ended(experiment: Path) -> set[str]:
    """The ids of the trials that ended (finished, stopped or failed) in the experiment's
    saved state: after Ctrl-C Ray Tune saves the running and pending trials as such, then
    stops them, so the `ResultGrid` in memory cannot tell them from finished ones."""
    from ray.tune import ExperimentAnalysis

    trials = ExperimentAnalysis(str(experiment)).trials
    return {t.trial_id for t in trials if t.status in ("TERMINATED", "ERROR")}


def _write_table(rows: list[dict[str, Any]], path: Path) -> None:
    """The search table, best first, as CSV at `path`."""
    table = pd.DataFrame(rows)
    if not table.empty:
        table = table.sort_values(["val_MAE", "trial"])
    write_text_output(path, table.to_csv(index=False), setting="out")  # atomic: a resume reads it


def _table(
    grid: Any,
    base: dict[str, Any],
    configs: list[dict[str, Any]],
    on_trial: Callable[[dict[str, Any]], None] | None,
    ended: set[str] | None = None,
) -> list[dict[str, Any]]:
    """The search table's rows from Ray Tune's `ResultGrid`: the trials that ended (finished,
    stopped or failed; with `ended`, only the trial ids in it); those never started or cut by
    Ctrl-C are left out. Trials drawn by a search algorithm are numbered in the order Ray Tune
    created them."""
    results = [r for r in grid if r.config is not None]
    if ended is not None:
        results = [r for r in results if str((r.metrics or {}).get("trial_id")) in ended]
    drawn = [r for r in results if "trial" not in r.config]
    order = {id(r): n for n, r in enumerate(sorted(drawn, key=_created))}
    rows = []
    for result in results:
        if "trial" in result.config:
            number, config = int(result.config["trial"]), configs[int(result.config["trial"])]
        else:
            number, config = order[id(result)], result.config
        history = result.metrics_dataframe
        if result.error is not None:
            outcome, status = FAILED, f"error: {result.error}"
        elif history is None or history.empty or "val_MAE" not in history:
            continue  # started, nothing reported: it runs again on resume
        else:
            best = history["val_MAE"].idxmin()
            outcome = {"best_val_MAE": float(history.loc[best, "val_MAE"]),
                       "best_epoch": int(history.loc[best, "epoch"])}  # fmt: skip
            stopped = int(history["epoch"].max()) < base["epochs"] and not _stalled(
                history, base["patience"]
            )
            status = "stopped by ASHA" if stopped else "finished"
        rows.append(_row(number, trial_settings(base, config), outcome, status))
        if on_trial:
            on_trial(rows[-1])
    return rows


def _created(result: Any) -> tuple[int, str]:
    """A sort key in Ray Tune's order of creation: the trial's index in its folder name
    (`trainable_<trial id>_<index>_<values>...`), else the counter ending its trial id."""
    trial_id = str((result.metrics or {}).get("trial_id", ""))
    name = Path(str(result.path)).name
    found = re.search(rf"{re.escape(trial_id)}_(\d+)", name) if trial_id else None
    tail = found.group(1) if found else trial_id.rsplit("_", 1)[-1]
    return (int(tail) if tail.isdigit() else 1 << 30, name)


def _stalled(history: pd.DataFrame, patience: int | None) -> bool:
    """Whether a trial ended by its own patience (no better val MAE for `patience` epochs)."""
    if not patience:
        return False
    last, best = int(history["epoch"].max()), int(history.loc[history["val_MAE"].idxmin(), "epoch"])
    return last - best >= patience
