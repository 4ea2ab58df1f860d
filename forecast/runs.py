"""Whole runs, as the CLI does them: load, choose the lookback, split, train with crash
resume, evaluate, save, plot.

`train` is THE train workflow: `forecast train`, each cell of `forecast batch`
(`forecast.distributed.grid`) and the winner of `forecast tune`
(`forecast.distributed.tuning`) all call it, so a Python user gets the same run without the
command line (`forecast datasets` stands on `forecast.catalogue`, `forecast info` on
`forecast.models.environment`). What it has to say goes to the `log` and `on_split`
callbacks and into the `TrainResult` it returns; it prints nothing:

    >>> series = load_data("data/synthetic_daily.csv", LoadOptions(), lookback=28, horizon=7)
    >>> f = Forecaster(model="single", lookback=28, horizon=7, epochs=20)
    >>> result = train(f, series, SplitSpec(), "runs/daily", plots=True)  # resumable if killed
    >>> print(result.report)
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
from forecast.gaps import check_window_fits
from forecast.series import LoadOptions, load_report
from forecast.series_set import keyed
from forecast.settings import SPLIT

if TYPE_CHECKING:
    import pandas as pd

    from forecast.evaluation import Report
    from forecast.forecaster import Forecaster
    from forecast.linear import LookbackChoice
    from forecast.splits import SplitParts, SplitSpec

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
    """What `train` did: the fitted forecaster, its test report and split, the run folder
    (None: nothing saved) and the files written there (the toolkit's, then the plots), the
    training time, whether an interrupted run with other settings was restarted, and the
    lookback choice (None: the lookback was given, or no validation part to choose it on)."""

    forecaster: Forecaster
    report: Report
    parts: SplitParts
    out: Path | None
    seconds: float
    restarted: bool
    written: list[str] = dataclasses.field(default_factory=list)
    choice: LookbackChoice | None = None


Log = Callable[[str], None]


def load_data(
    source: Any,
    options: LoadOptions,
    lookback: int | str,
    horizon: int,
    on_load: Callable[[Any], None] | None = None,
) -> Any:
    """THE data step of a run: `source` loaded with `options` (`forecast.series.load_series`),
    handed to `on_load` (what loading decided and changed, `load_report`, for the caller to
    say), then refused when it holds no window: a lone series, or every series of a
    collection (the others are forecast by their fallback). No Keras is imported.

    Args:
        source: a file path or a frame. options: how to read it.
        lookback: the lookback; "auto" (or a list, chosen later) counts 1 row.
        horizon: steps forecast at once.
        on_load: called with the loaded series before the check.

    Returns:
        The series: a frame, or `{id: frame}` with `options.id_col`.

    Raises:
        DataError: for data that does not load or is too short (`check_window_fits`).
    """
    series = options.load(source)
    if on_load is not None:
        on_load(series)
    frames = keyed(series)
    key = max(frames, key=lambda k: len(frames[k]))  # the longest: only it may be too short
    rows = len(frames[key])
    check_window_fits(rows, lookback if isinstance(lookback, int) else 1, horizon,
                      f"{frames.label(key) if len(frames) > 1 else ''}the data")  # fmt: skip
    return series


def train(
    forecaster: Forecaster,
    series: Any,
    spec: SplitSpec | None = None,
    out: str | os.PathLike | None = None,
    *,
    candidates: Sequence[int] | None = None,
    data: str | None = None,
    plots: bool = False,
    plot_series: Sequence[str] | None = None,
    log: Log | None = None,
    on_split: Callable[[SplitParts], None] | None = None,
) -> TrainResult:
    """THE train workflow: the lookback (chosen on validation for "auto" or `candidates`),
    the split, the checks before training (`check_parts`), fit with crash resume, the test
    report, the run folder and its plots.

    Args:
        forecaster: the settings (not fitted), or a fitted one to train on (`continue_from`).
        series: the loaded data (`load_data`): a frame or `{id: frame}`.
        spec: where to cut (`forecast.splits.SplitSpec`); default its fractions
            `forecast.settings.SPLIT`.
        out: the run folder (`train_and_save`: locked, resumable); None keeps the run in
            memory (`fit_and_score`: a `forecast batch` cell).
        candidates: lookbacks to choose from on the validation part.
        data: the data's path, written into metrics.json.
        plots: write forecast.png, history.png, ... into `out` (`save_plots`).
        plot_series: a collection's series to plot; default the first `PLOT_SERIES`.
        log: gets one line per thing worth saying (the lookback chosen, windows left out
            by gaps, a restart, a kept fit), each led by its word ("chose  ", "gaps   ").
        on_split: called with the parts before training (the caller says the split).

    Raises:
        ConfigError: for candidates without a validation part, a season too long or a
            folder the run cannot be written to; DataError for a test part without a window;
            all before training. TrainingError when the loss became NaN.
    """
    from forecast.splits import SplitSpec, split_series

    choosing = chooses_lookback(forecaster, candidates)
    choice = choose_lookback(forecaster, series, spec, candidates) if choosing else None
    parts = split_series(series, spec or SplitSpec(), context=forecaster.lookback_)
    if on_split is not None:
        on_split(parts)
    if choosing and log is not None:
        fixed = f"lookback {forecaster.lookback_}: no validation part to choose it on (fixed)"
        log(f"chose  {choice.summary() if choice else fixed}")
    if out is None:
        result = fit_and_score(forecaster, parts, log)
    else:
        result = train_and_save(forecaster, parts, out, data=data, log=log)
        if plots:
            test = parts.evaluate_test
            found = save_plots(forecaster, series, out, test, plot_series)
            result.written += [p.name for p in found]
    result.choice = choice
    return result


def chooses_lookback(forecaster: Forecaster, candidates: Sequence[int] | None) -> bool:
    """Whether `train` chooses the lookback: a new forecaster whose `lookback` is "auto", or
    one given `candidates` (a given lookback, or a fitted forecaster's, stays)."""
    from forecast.lookback import is_auto

    return not forecaster.is_fitted and bool(candidates or is_auto(forecaster.lookback))


def choose_lookback(
    forecaster: Forecaster,
    series: Any,
    spec: SplitSpec | None,
    candidates: Sequence[int] | None,
) -> LookbackChoice | None:
    """Set `lookback_` to the lookback chosen on the validation part of `spec`
    (`Forecaster.resolve_lookback`), or `forecast.lookback.FALLBACK` without one (None).

    Raises:
        ConfigError: for `candidates` without a validation part (setting "lookback").
    """
    from forecast.splits import SplitSpec

    try:
        return forecaster.resolve_lookback(series, val=spec or SplitSpec(), candidates=candidates)
    except ConfigError as exc:
        if exc.setting != "val":
            raise
        raise ConfigError(
            "lookback candidates need a validation part: give split= fractions with a "
            "validation one, train_end= and val_end=, or val_size=",
            setting="lookback",
        ) from None


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
    (lookback inputs and horizon targets, `check_window_fits`): of a lone series, or of every
    series of a collection (a series short in any part is forecast by its fallback,
    `forecast.panel.fallback_method`, as the model leaves it out of training)."""
    from forecast.gaps import complete_origins

    cut = parts.sets()
    tests, starts = cut.test, cut.test_start
    windows = {  # inside gap-free segments only (forecast.gaps)
        k: len(complete_origins(f.to_numpy(), starts[k], forecaster.lookback_, forecaster.horizon))
        for k, f in tests.items()
    }
    if len(tests) > 1 and any(windows.values()):
        return
    for key, frame in tests.items():
        what = f"{tests.label(key)}the test part"
        check_window_fits(len(frame), forecaster.lookback_, forecaster.horizon, what, windows[key])


def check_season(forecaster: Forecaster, parts: SplitParts) -> None:
    """Raise ConfigError before training when a given season (`forecast.seasons.parse`) is at
    least as long as every series' training part: seasonal naive and the MASE scale would
    silently be naive's."""
    trains = parts.sets().train
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
    options = LoadOptions.from_settings(
        f.get_params(), target=f.columns_[: f.n_targets_], freq=None,
        covariates=f.state_.loaded_covariates(), future_rows=f.n_future_ > 0,
    )  # fmt: skip
    try:
        series = options.load(data)
    except DataError as exc:
        many = f.id_col is None and ("sorted" in str(exc) or "duplicate" in str(exc))
        hint = (" (the run was trained on one series, without an id column: data of many "
                "series needs a new run with id_col=)") if many else ""  # fmt: skip
        raise DataError(
            f"{data} does not fit the run {run} (columns {f.columns_}): {exc}{hint}"
        ) from exc
    first = next(iter(keyed(series).values()))
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
    log: Log | None = None,
) -> TrainResult:
    """`train`'s run folder: fit on the train part (early stopping on val), score the test
    part, save to `out`.

    Every check that does not need training comes first (`check_output_folder`,
    `check_parts`), and `out` is locked against a second writer (`run_folder`).
    Checkpoints live in `out/.train` until the artifact is saved, so running the same call
    again after a crash continues from the last finished epoch; once trained, the forecaster
    is kept in `out/.train/fitted`, so a run killed while evaluating or saving does not train
    again. `metrics.json` gets the test report, the split and `data`. A run whose loss became
    NaN raises `TrainingError` and saves nothing (its checkpoints are removed: they hold NaN
    weights).
    """
    with run_folder(out) as folder:
        check_parts(forecaster, parts, log)
        run_dir = folder / RUN_SUBDIR
        state = prepare_run_dir(run_dir, forecaster, parts)
        if state == "restart" and log:
            log(f"{run_dir} held an interrupted run with other settings; starting afresh")
        began = time.perf_counter()
        if not _kept_fit(forecaster, run_dir / FITTED, log):
            _fit_resumable(forecaster, parts, run_dir, folder)
            fit_result = dataclasses.asdict(forecaster.fit_result_)
            forecaster.save(run_dir / FITTED, metrics={"fit_result": fit_result})
        seconds = time.perf_counter() - began
        report = score(forecaster, parts)
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
    written = saved_files(folder)
    return TrainResult(forecaster, report, parts, folder, seconds, state == "restart", written)


def fit_and_score(forecaster: Forecaster, parts: SplitParts, log: Log | None = None) -> TrainResult:
    """`train` without a run folder (`forecast batch`'s cells): the same checks
    (`check_parts`), fit on the train part (early stopping on val), the same test report."""
    check_parts(forecaster, parts, log)
    began = time.perf_counter()
    forecaster.fit(parts)  # train and val parts, context included
    seconds = time.perf_counter() - began
    return TrainResult(forecaster, score(forecaster, parts), parts, None, seconds, False)


def check_parts(forecaster: Forecaster, parts: SplitParts, log: Log | None = None) -> None:
    """The checks of `parts` before training: a window in the test part
    (`check_test_windows`), a season shorter than the training part (`check_season`);
    `log` gets how many training windows gaps leave out."""
    from forecast.panel import gap_windows

    check_test_windows(forecaster, parts)
    check_season(forecaster, parts)
    lost = gap_windows(parts.sets().train, forecaster.lookback_, forecaster.horizon)
    if lost and log:
        log(f"gaps   {lost:,} training windows left out (they would span a gap)")


def score(forecaster: Forecaster, parts: SplitParts) -> Report:
    """The fitted forecaster's test report: each series' test span (`forecast.panel.test_rows`,
    short series' included), MASE and Naive2 from its rows before it (`history_of`)."""
    from forecast.panel import history_of, test_rows

    return forecaster.evaluate(parts.test, test=test_rows(parts), history=history_of(parts))


def _fit_resumable(forecaster: Forecaster, parts: SplitParts, run_dir: Path, out: Path) -> None:
    """`forecaster.fit(parts)` with checkpoints in `run_dir`; a failed fit leaves nothing
    behind to resume when no epoch finished or its weights are NaN.

    Raises:
        OutputError: naming `out`, when a checkpoint cannot be written (a full disk).
    """
    try:
        forecaster.fit(parts, run_dir=run_dir)  # train and val parts, context included
    except Exception as exc:
        # No epoch finished (nothing to resume), or NaN weights (nothing worth resuming).
        if isinstance(exc, TrainingError) or not any(run_dir.rglob("state.json")):
            shutil.rmtree(run_dir, ignore_errors=True)
        if files.is_write_failure(exc):  # a checkpoint on a full disk
            why = (exc.strerror or str(exc)).lower()
            raise OutputError(
                f"out {out}: a training checkpoint could not be written ({why}); "
                "free space, then run the same command again to resume",
                setting="out",
            ) from None
        raise


def _changes(parts: SplitParts) -> dict[str, Any] | None:
    """Every place loading merged, filled or dropped (`forecast.reading.Changes.to_dict`), from
    the parts' `attrs["load"]`; per series for a collection; None when not loaded from data."""
    frames = parts.sets().train
    found = {k: (f.attrs.get("load") or {}).get("changes") for k, f in frames.items()}
    record = {k: c.to_dict() for k, c in found.items() if c is not None}
    return next(iter(record.values()), None) if frames.lone else record or None


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
    test start recorded when the forecaster was trained (else the test fraction of
    `forecast.settings.SPLIT`). A `test` that
    scores rows the model was trained or validated on warns (ForecastWarning), naming them.
    `log` gets what loading the data changed (`forecast.series.load_report`).
    """
    from forecast.artifacts import read_metrics
    from forecast.forecaster import Forecaster

    forecaster = Forecaster.load(run_dir)
    split = read_metrics(run_dir).get("split") or {}
    if test is None:
        test = split.get("evaluate_test") or SPLIT[-1]
    series = forecaster.collection(data)
    for line in load_report(series) if log else []:
        log(line)
    _check_start_inside(series, test)
    for key, frame in series.items():
        spans = split.get("series", {}).get(key, {}) if "series" in split else split
        note = seen_rows_note(frame, test, forecaster.lookback_, spans)
        if note:
            warnings.warn(series.label(key) + note, ForecastWarning, stacklevel=2)
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

    frames = keyed(series)
    if not frames.lone:
        keys = list(series_ids or list(frames)[:PLOT_SERIES])
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
        frame = next(iter(frames.values()))
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
