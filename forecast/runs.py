"""Whole runs, as the CLI does them: split, train with crash resume, evaluate, save, plot.

The CLI (`forecast train`, `forecast evaluate`) is a thin layer over these functions, so a
Python user gets the same behaviour without it (`forecast datasets` stands on
`forecast.catalogue`, `forecast info` on `forecast.models.environment`):

    >>> series = load_series("data/synthetic_daily.csv")
    >>> f = Forecaster(model="single", lookback=28, horizon=7, epochs=20)
    >>> parts = split_series(series, SplitSpec((0.6, 0.2, 0.2)), context=f.lookback_)
    >>> result = train_and_save(f, parts, "runs/daily")      # resumable if killed
    >>> print(result.report)
    >>> save_plots(f, series, "runs/daily", test=parts.evaluate_test)
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forecast import files, seasons
from forecast.errors import ConfigError, DataError, ForecastWarning, OutputError, TrainingError
from forecast.series import load_report, series_label

if TYPE_CHECKING:
    import pandas as pd

    from forecast.evaluation import Report
    from forecast.forecaster import Forecaster
    from forecast.splits import SplitParts

RUN_SUBDIR = ".train"  # checkpoints and crash-resume state, inside the output folder
# Settings that may change between an interrupted run and its resumption.
RESUMABLE_CHANGES = ("epochs", "patience", "verbose", "device")
# Settings that may be given when continuing a saved run (`continue_from`): how to train on.
CONTINUE_CHANGES = ("epochs", "patience", "reduce_lr_patience", "batch_size", "device", "verbose")
# What the toolkit writes in a run folder besides the saved forecaster (artifacts.OWNED_FILES).
TUNE_SUBDIR = ".tune"  # `forecast tune`'s search state (forecast.distributed.tuning), for a resume
RUN_OWNED = (RUN_SUBDIR, files.LOCK, files.STAGING, TUNE_SUBDIR)
CONFIG_FILE = "forecaster.json"  # artifacts.CONFIG_FILE (artifacts imports Keras)
FITTED = "fitted"  # in RUN_SUBDIR: the trained forecaster, kept until the run is saved


# ---------------------------------------------------------------------- train
@dataclass
class TrainResult:
    """What `train_and_save` did: the fitted forecaster, its test report, timings."""

    forecaster: Forecaster
    report: Report
    parts: SplitParts
    out: Path
    seconds: float
    restarted: bool


def check_output_folder(out: str | os.PathLike) -> Path:
    """Refuse, before any training, an output folder the run cannot be saved in.

    A run folder is a new folder or one `forecast train` wrote: `--out data` or `--out .`
    in a project must not mix a run into other files. In a run folder, a re-save replaces
    only the toolkit's own files (`forecast.artifacts.OWNED_FILES`); the user's own files
    there (notes, predictions, analyses) are kept.

    Raises:
        OutputError: naming `out`, for a file, a path under a file or a folder that cannot
            be written (`forecast.files.check_writable_folder`).
        ConfigError: naming `out`, for a folder of other files that is not a run folder.
    """
    from forecast.artifacts import OWNED_FILES

    folder = files.check_writable_folder(out, "out")
    if folder.is_dir():
        names = {p.name for p in folder.iterdir()}
        foreign = sorted(names - set(OWNED_FILES) - set(RUN_OWNED) - set(_series_plots(folder)))
        if foreign and CONFIG_FILE not in names:
            raise ConfigError(
                f"out {folder} is a folder of other files, not a run folder (it holds "
                f"{', '.join(foreign[:3])}); choose a new folder such as runs/NAME",
                setting="out",
            )
    return folder


@contextlib.contextmanager
def run_folder(out: str | os.PathLike) -> Iterator[Path]:
    """`check_output_folder(out)`, then hold its lock (`forecast.files.FolderLock`) while the
    block writes the run; a folder made here and left empty is removed at the end.

    Raises:
        ConfigError: when another process holds the folder (naming its pid and host).
    """
    folder = check_output_folder(out)
    made = not folder.exists()
    try:
        with files.FolderLock(folder, what="run folder", setting="out"):
            files.recover_folder(folder)
            yield folder
    finally:
        if made and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def check_test_windows(forecaster: Forecaster, parts: SplitParts) -> None:
    """Raise DataError before training when the test part holds no complete window
    (lookback inputs and horizon targets): of a lone series, or of every series of a
    collection (a series short in any part is forecast by its fallback,
    `forecast.panel.fallback_method`, as the model leaves it out of training)."""
    from forecast.gaps import complete_origins
    from forecast.series import SINGLE, series_label

    need = forecaster.lookback_ + forecaster.horizon
    tests = parts.test if isinstance(parts.test, dict) else {SINGLE: parts.test}
    starts = parts.test_start if isinstance(parts.test, dict) else {SINGLE: parts.test_start}
    windows = {  # inside gap-free segments only (forecast.gaps)
        k: len(complete_origins(f.to_numpy(), starts[k], forecaster.lookback_, forecaster.horizon))
        for k, f in tests.items()
    }
    if len(tests) > 1 and any(windows.values()):
        return
    for key, frame in tests.items():
        if len(frame) < need:
            raise DataError(
                f"{series_label(key)}the test part has {len(frame)} rows with its context, but "
                f"one window needs lookback + horizon = {need}; give the test part more rows "
                "(e.g. --split 0.6,0.2,0.2) or use a shorter lookback or horizon"
            )
        if not windows[key]:
            raise DataError(
                f"{series_label(key)}every window of the test part spans a gap (missing "
                f"values left by fill='drop'); give a test part with {need} rows in a row "
                "without a gap, or use a shorter lookback or horizon"
            )


def check_season(forecaster: Forecaster, parts: SplitParts) -> None:
    """Raise ConfigError before training when a given season (`forecast.seasons.parse`) is at
    least as long as every series' training part: seasonal naive and the MASE scale would
    silently be naive's."""
    trains = parts.train if isinstance(parts.train, dict) else {"": parts.train}
    longest = max(len(frame) for frame in trains.values())
    for season in (s for s in seasons.parse(forecaster.season) or () if s >= longest):
        raise ConfigError(
            f"season {season} is not shorter than the training part ({longest} rows): seasonal "
            "naive and MASE would be plain naive's; give a season of a few periods at most "
            "(e.g. 24 for hourly data, 7 for daily) or leave it out",
            setting="season",
        )


def continue_from(
    run: str | os.PathLike, data: Any, given: Mapping[str, Any]
) -> tuple[Forecaster, Any]:
    """The saved forecaster in `run`, to train further on `data`, and the data.

    `Forecaster.fit` then continues from the saved weights, keeping the saved scaler and
    settings; `given` may change only `CONTINUE_CHANGES`. The data is loaded with the run's
    columns and fill, and must have the run's frequency.

    Raises:
        ConfigError: for any other setting in `given` (it comes from the saved run).
        DataError: when `data` lacks the run's columns or has another frequency.
    """
    from forecast import training
    from forecast.artifacts import read_config
    from forecast.forecaster import Forecaster
    from forecast.series import load_series

    fixed = sorted(set(given) - set(CONTINUE_CHANGES))
    if fixed:
        raise ConfigError(
            f"{fixed[0]} comes from the saved run {run} when continuing it; leave it out "
            f"(only {', '.join(n + '=' for n in CONTINUE_CHANGES[:-1])} may change)",
            setting=fixed[0],
        )
    # The model's random streams (dropout) are seeded as it is built: seed before loading it,
    # so continuing the same run twice gives the same model.
    saved = read_config(run).get("settings", {}).get("seed")
    training.set_seed(saved if isinstance(saved, int) else None)
    f = Forecaster.load(run).set_params(**given)
    targets, covariates = f.columns_[: f.n_targets_], f.state_.loaded_covariates()
    try:
        series = load_series(
            data, time_col=f.time_col, target=targets, covariates=covariates,
            id_col=f.id_col, fill=f.fill, future_rows=f.n_future_ > 0, **dict(f.load_options or {}),
        )  # fmt: skip
    except DataError as exc:
        many = f.id_col is None and ("sorted" in str(exc) or "duplicate" in str(exc))
        hint = (" (the run was trained on one series, without an id column: data of many "
                "series needs a new run with id_col=)") if many else ""  # fmt: skip
        raise DataError(
            f"{data} does not fit the run {run} (columns {f.columns_}): {exc}{hint}"
        ) from exc
    first = next(iter(series.values())) if isinstance(series, dict) else series
    freq = first.attrs.get("forecast", {}).get("freq")
    if freq != f.freq_:
        raise DataError(
            f"{data} has frequency {freq or 'none (steps)'}, but the run {run} was trained on "
            f"{f.freq_ or 'none (steps)'}; give data of the same frequency"
        )
    return f, series


def saved_files(out: str | os.PathLike) -> list[str]:
    """The toolkit's files in the run folder `out` (not the user's own), sorted."""
    from forecast.artifacts import OWNED_FILES

    return sorted(name for name in OWNED_FILES if (Path(out) / name).exists())


def interrupted_message(out: str | os.PathLike) -> str:
    """One line for an interrupted `forecast train` (Ctrl-C): how to resume it."""
    states = list((Path(out) / RUN_SUBDIR).rglob("state.json"))
    if not states:
        return "interrupted before an epoch finished; the same command starts the run again"
    return (
        f"interrupted; run the same command again to resume from the last finished epoch "
        f"(checkpoints in {Path(out) / RUN_SUBDIR})"
    )


def _fingerprint(forecaster: Forecaster, parts: SplitParts) -> dict[str, Any]:
    params = {k: v for k, v in forecaster.get_params().items() if k not in RESUMABLE_CHANGES}
    params["lookback"] = getattr(forecaster, "lookback_", forecaster.lookback)  # the choice
    return json.loads(json.dumps({"settings": params, "split": parts.spans}, default=str))


def prepare_run_dir(run_dir: str | os.PathLike, forecaster: Forecaster, parts: SplitParts) -> str:
    """Get a checkpoint folder ready: "new", "resume" (same settings) or "restart".

    A folder left by an interrupted run with other settings or another split cannot be
    resumed; it is cleared, and "restart" says so.
    """
    folder = Path(run_dir)
    stamp = folder / "run.json"
    wanted = _fingerprint(forecaster, parts)
    state = "new"
    if folder.is_dir():
        try:
            same = json.loads(stamp.read_text()) == wanted
        except (OSError, ValueError):
            same = False
        state = "resume" if same else "restart"
        if not same:
            shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stamp.write_text(json.dumps(wanted, indent=2) + "\n")
    return state


def train_and_save(
    forecaster: Forecaster,
    parts: SplitParts,
    out: str | os.PathLike,
    data: str | None = None,
    log: Callable[[str], None] | None = None,
) -> TrainResult:
    """Fit on the train part (early stopping on val), score the test part, save to `out`.

    Every check that does not need training comes first (`check_output_folder`,
    `check_test_windows`), and `out` is locked against a second writer (`run_folder`).
    Checkpoints live in `out/.train` until the artifact is saved, so running the same call
    again after a crash continues from the last finished epoch; once trained, the forecaster
    is kept in `out/.train/fitted`, so a run killed while evaluating or saving does not train
    again. `metrics.json` gets the test
    report, the split and `data`. A run whose loss became NaN raises `TrainingError` and
    saves nothing (its checkpoints are removed: they hold NaN weights).
    """
    with run_folder(out) as folder:
        check_test_windows(forecaster, parts)
        check_season(forecaster, parts)
        from forecast.panel import gap_windows

        train = parts.train if isinstance(parts.train, dict) else {"": parts.train}
        lost = gap_windows(train, forecaster.lookback_, forecaster.horizon)
        if lost and log:
            log(f"gaps   {lost:,} training windows left out (they would span a gap)")
        run_dir = folder / RUN_SUBDIR
        state = prepare_run_dir(run_dir, forecaster, parts)
        if state == "restart" and log:
            log(f"{run_dir} held an interrupted run with other settings; starting afresh")
        began = time.perf_counter()
        if not _kept_fit(forecaster, run_dir / FITTED, log):
            try:
                forecaster.fit(parts, run_dir=run_dir)  # train and val parts, context included
            except Exception as exc:
                # No epoch finished (nothing to resume), or NaN weights (nothing worth resuming).
                if isinstance(exc, TrainingError) or not any(run_dir.rglob("state.json")):
                    shutil.rmtree(run_dir, ignore_errors=True)
                if files.is_write_failure(exc):  # a checkpoint on a full disk
                    why = (exc.strerror or str(exc)).lower()
                    raise OutputError(
                        f"out {folder}: a training checkpoint could not be written ({why}); "
                        "free space, then run the same command again to resume",
                        setting="out",
                    ) from None
                raise
            fit_result = dataclasses.asdict(forecaster.fit_result_)
            forecaster.save(run_dir / FITTED, metrics={"fit_result": fit_result})
        seconds = time.perf_counter() - began
        from forecast.panel import history_of, test_rows

        test = test_rows(parts)  # each series' test span, short ones' included
        report = forecaster.evaluate(parts.test, test=test, history=history_of(parts))
        metrics = {**report.to_dict(), "split": parts.spans, "data": data}
        metrics["load"] = _changes(parts)
        if getattr(forecaster, "calendar_choice_", None) is not None:
            metrics["calendar"] = forecaster.calendar_choice_.to_dict()
        if getattr(forecaster, "guard_", None) is not None:
            guard = forecaster.guard_.to_dict()
            metrics["guard"] = {k: v for k, v in guard.items() if k != "errors"}
        if getattr(forecaster, "combination_", None) is not None:
            metrics["combination"] = forecaster.combination_.to_dict()
        if getattr(forecaster, "refit_epochs_", None) is not None:
            metrics["refit_epochs"] = forecaster.refit_epochs_
        forecaster.save(folder, metrics=metrics)  # replaces the toolkit's files only
        shutil.rmtree(run_dir, ignore_errors=True)
        if report.per_series is not None and report.per_series["series"].nunique() > 1:
            from forecast.artifacts import SERIES_METRICS

            path = folder / SERIES_METRICS
            files.atomic_write(path, lambda tmp: report.per_series.to_csv(tmp, index=False))
    return TrainResult(forecaster, report, parts, folder, seconds, state == "restart")


def _changes(parts: SplitParts) -> dict[str, Any] | None:
    """Every place loading merged, filled or dropped (`forecast.reading.Changes.to_dict`), from
    the parts' `attrs["load"]`; per series for a collection; None when not loaded from data."""
    frames = parts.train if isinstance(parts.train, dict) else {"": parts.train}
    found = {k: (f.attrs.get("load") or {}).get("changes") for k, f in frames.items()}
    record = {k: c.to_dict() for k, c in found.items() if c is not None}
    return record.get("", None) if list(frames) == [""] else record or None


def _kept_fit(forecaster: Forecaster, fitted: Path, log: Callable[[str], None] | None) -> bool:
    """Give `forecaster` the fitted state an earlier run of the same command saved in
    `fitted` after training, if it got that far (killed while evaluating or saving); True
    when it did. The fingerprint of `prepare_run_dir` guarantees the same settings and split.
    """
    from forecast.artifacts import read_metrics
    from forecast.training import FitResult

    if not (fitted / CONFIG_FILE).is_file():
        return False
    forecaster.restore_fitted(fitted, FitResult(**read_metrics(fitted)["fit_result"]))
    if log:
        log(f"kept the model an earlier run of this command trained ({fitted})")
    return True


def evaluate_run(
    run_dir: str | os.PathLike,
    data: Any,
    test: Any = None,
    log: Callable[[str], None] | None = None,
) -> tuple[Forecaster, Report, Any]:
    """Score a saved forecaster on `data`; returns it, the report and the `test` used.

    `test` is a fraction or row count at the end of the data, or a timestamp; by default the
    test start recorded when the forecaster was trained (else the last 20%). A `test` that
    scores rows the model was trained or validated on warns (ForecastWarning), naming them.
    `log` gets what loading the data changed (`forecast.series.load_report`).
    """
    from forecast.artifacts import read_metrics
    from forecast.forecaster import Forecaster

    forecaster = Forecaster.load(run_dir)
    split = read_metrics(run_dir).get("split") or {}
    if test is None:
        test = split.get("evaluate_test") or 0.2
    series = forecaster.collection(data)
    for line in load_report(series) if log else []:
        log(line)
    _check_start_inside(series, test)
    for key, frame in series.items():
        spans = split.get("series", {}).get(key, {}) if "series" in split else split
        note = seen_rows_note(frame, test, forecaster.lookback_, spans)
        if note:
            warnings.warn(series_label(key) + note, ForecastWarning, stacklevel=2)
    return forecaster, forecaster.evaluate(series, test=test), test


def _check_start_inside(series: Mapping[str, pd.DataFrame], test: Any) -> None:
    """DataError for a test start (a timestamp) after the last row of every series."""
    import pandas as pd

    if not isinstance(test, (str, pd.Timestamp)):
        return
    ends = [f.index[-1] for f in series.values() if isinstance(f.index, pd.DatetimeIndex)]
    if ends and pd.Timestamp(test) > max(ends):
        raise DataError(
            f"test start {test} is after the data's last timestamp {max(ends)}; give a start "
            "inside the data (the windows scored begin there)",
            setting="test_start",
        )


def seen_rows_note(frame: pd.DataFrame, test: Any, lookback: int, spans: dict) -> str | None:
    """What is wrong when scoring `frame` from `test` scores rows up to the end of the saved
    split's validation (or training) part `spans`: those scores are optimistic."""
    import pandas as pd

    from forecast.splits import first_origin

    seen = (spans.get("val") or {}).get("end") or (spans.get("train") or {}).get("end")
    if seen is None or not isinstance(frame.index, pd.DatetimeIndex):
        return None
    scored = frame.index[first_origin(frame.index, test, lookback) :]
    inside = int((scored <= pd.Timestamp(seen)).sum())
    if not inside:
        return None
    start = (spans.get("test") or {}).get("start")
    return (
        f"scoring from {scored[0]} includes {inside} rows up to {seen} that the model was "
        f"trained or validated on: their scores are optimistic; score from the run's test "
        f"start {start} (the default) or later"
    )


PLOT_SERIES = 3  # series of a collection plotted by default (forecast_<id>.png each)


def save_plots(
    forecaster: Forecaster,
    series: Any,
    out: str | os.PathLike,
    test: Any = None,
    series_ids: Sequence[str] | None = None,
) -> list[Path]:
    """Write forecast.png (for a collection: forecast_<id>.png for `series_ids`, default the
    first `PLOT_SERIES`, each titled with its id), history.png and (attention model)
    attention.png into `out`."""
    from forecast.plots import plot_attention, plot_forecast, plot_history

    folder = Path(out)
    from forecast.artifacts import SERIES_PLOTS

    if isinstance(series, dict):
        keys = list(series_ids or list(series)[:PLOT_SERIES])
        names = [f"{SERIES_PLOTS[0]}{name}{SERIES_PLOTS[1]}" for name in _file_names(keys)]
    else:
        keys, names = [None], ["forecast.png"]
    for stale in set(_series_plots(folder)) - set(names):
        (folder / stale).unlink(missing_ok=True)  # a plot of the previous run's series
    written = [folder / name for name in names] + [folder / "history.png"]
    for key, path in zip(keys, written, strict=False):
        kwargs = {} if key is None else {"series_id": key}
        with warnings.catch_warnings():  # the report already said what the plots would repeat
            warnings.simplefilter("ignore", ForecastWarning)
            files.atomic_write(
                path, lambda tmp, kw=kwargs: plot_forecast(forecaster, series, tmp, test=test, **kw)
            )
    files.atomic_write(written[-1], lambda tmp: plot_history(forecaster.history_, tmp))
    if forecaster.model == "attention":
        frame = next(iter(series.values())) if isinstance(series, dict) else series
        written.append(folder / "attention.png")
        weights = forecaster.attention(frame)
        files.atomic_write(written[-1], lambda tmp: plot_attention(weights, tmp))
    return written


def _file_names(keys: Sequence[Any]) -> list[str]:
    """A distinct file-name part per series id: characters other than letters, digits and
    `-_.` become `_`, and ids that would then clash (`x/y` and `x_y`) get `-2`, `-3`, ..."""
    taken: set[str] = set()
    names = []
    for key in keys:
        base = "".join(c if c.isalnum() or c in "-_." else "_" for c in str(key))
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}-{n}"
        taken.add(name)
        names.append(name)
    return names


def _series_plots(folder: Path) -> list[str]:
    """The forecast_<id>.png plots of a many-series run in `folder` (the toolkit's own)."""
    from forecast.artifacts import SERIES_PLOTS

    start, end = SERIES_PLOTS
    return [p.name for p in folder.glob(f"{start}*{end}")]


# ---------------------------------------------------------------------- datasets, environment
