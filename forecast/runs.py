"""Whole runs, as the CLI does them: split, train with crash resume, evaluate, save, plot.

The CLI (`forecast train`, `forecast evaluate`) is a thin layer over these functions, so a
Python user gets the same behaviour without it (`forecast datasets` stands on
`forecast.series`, `forecast info` on `forecast.models.environment`):

    >>> series = load_series("data/synthetic_daily.csv")
    >>> f = Forecaster(model="single", lookback=28, horizon=7, epochs=20)
    >>> parts = split_series(series, fractions=(0.6, 0.2, 0.2), context=f.lookback)
    >>> result = train_and_save(f, parts, "runs/daily")      # resumable if killed
    >>> print(result.report)
    >>> save_plots(f, series, "runs/daily", test=parts.evaluate_test)
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forecast.backends import (  # noqa: F401  (kept for compatibility)
    JAX_CPU_SPEEDUP,
    cpu_speed_hint,
    package_version,
    visible_gpus,
)
from forecast.errors import ConfigError
from forecast.series import (  # noqa: F401  (kept for compatibility)
    PUBLIC_DATASETS,
    DatasetInfo,
    bundled_datasets,
    describe_dataset,
    public_datasets,
    repo_root,
)

if TYPE_CHECKING:
    import pandas as pd

    from forecast.evaluation import Report
    from forecast.forecaster import Forecaster
    from forecast.windowing import SplitParts

_MOVED_TO_WINDOWING = ("SplitParts", "parse_fractions")  # kept for compatibility


def __getattr__(name: str) -> Any:
    """The split's old names here, imported on use (windowing imports Keras)."""
    if name in _MOVED_TO_WINDOWING:
        from forecast import windowing

        return getattr(windowing, name)
    raise AttributeError(f"module 'forecast.runs' has no attribute {name!r}")


SERIES_METRICS = "series_metrics.csv"  # sMAPE, MASE, OWA per series and method, beside the run
RUN_SUBDIR = ".train"  # checkpoints and crash-resume state, inside the output folder
# Settings that may change between an interrupted run and its resumption.
RESUMABLE_CHANGES = ("epochs", "patience", "verbose", "device")


# ---------------------------------------------------------------------- split
def split_series(
    series: pd.DataFrame | dict[str, pd.DataFrame],
    fractions: Sequence[float] | None = None,
    train_end: Any = None,
    val_end: Any = None,
    context: int = 0,
) -> SplitParts:
    """`forecast.windowing.split_series` with the cut given as keywords (kept for
    compatibility): `fractions=(train, val, test)`, or `train_end` and `val_end`."""
    from forecast import windowing

    spec = windowing.SplitSpec(fractions, train_end, val_end)
    return windowing.split_series(series, spec, context=context)


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
    """Refuse an output folder that holds something other than a saved forecaster.

    Saving replaces the whole folder, so `--out data` must not wipe the data.
    """
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"output {folder} is a file; choose a folder name (e.g. runs/NAME)")
    if folder.is_dir():
        ours = {RUN_SUBDIR, "forecaster.json", "model.keras", "history.csv", "metrics.json"}
        ours |= {SERIES_METRICS}
        names = {p.name for p in folder.iterdir()}
        foreign = sorted(n for n in names - ours if not n.endswith(".png"))
        if foreign and "forecaster.json" not in names:
            raise ConfigError(
                f"output folder {folder} exists and is not a saved forecaster (it holds "
                f"{', '.join(foreign[:3])}); choose a new folder such as runs/NAME"
            )
    return folder


def _fingerprint(forecaster: Forecaster, parts: SplitParts) -> dict[str, Any]:
    params = {k: v for k, v in forecaster.get_params().items() if k not in RESUMABLE_CHANGES}
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

    Checkpoints live in `out/.train` until the artifact is saved, so running the same call
    again after a crash continues from the last finished epoch. `metrics.json` gets the test
    report, the split and `data`.
    """
    folder = check_output_folder(out)
    made_folder = not folder.exists()
    run_dir = folder / RUN_SUBDIR
    state = prepare_run_dir(run_dir, forecaster, parts)
    if state == "restart" and log:
        log(f"{run_dir} held an interrupted run with other settings; starting afresh")
    began = time.perf_counter()
    try:
        forecaster.fit(parts, run_dir=run_dir)  # its train and val parts, context included
    except Exception:
        if not any(run_dir.rglob("state.json")):  # no epoch finished: nothing to resume
            shutil.rmtree(run_dir, ignore_errors=True)
            if made_folder and not any(folder.iterdir()):
                folder.rmdir()
        raise
    seconds = time.perf_counter() - began
    from forecast.panel import history_of

    report = forecaster.evaluate(parts.test, history=history_of(parts))
    metrics = {**report.to_dict(), "split": parts.spans, "data": data}
    forecaster.save(folder, metrics=metrics)  # replaces the folder, checkpoints included
    shutil.rmtree(run_dir, ignore_errors=True)
    if report.per_series is not None:
        report.per_series.to_csv(folder / SERIES_METRICS, index=False)
    return TrainResult(forecaster, report, parts, folder, seconds, state == "restart")


def evaluate_run(
    run_dir: str | os.PathLike, data: Any, test: Any = None
) -> tuple[Forecaster, Report, Any]:
    """Score a saved forecaster on `data`; returns it, the report and the `test` used.

    `test` is a fraction or row count at the end of the data, or a timestamp; by default the
    test start recorded when the forecaster was trained (else the last 20%).
    """
    from forecast.artifacts import read_metrics
    from forecast.forecaster import Forecaster

    forecaster = Forecaster.load(run_dir)
    if test is None:
        test = read_metrics(run_dir).get("split", {}).get("evaluate_test") or 0.2
    return forecaster, forecaster.evaluate(data, test=test), test


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
    written = []
    if isinstance(series, dict):
        for key in series_ids or list(series)[:PLOT_SERIES]:
            name = "".join(c if c.isalnum() or c in "-_." else "_" for c in str(key))
            written.append(folder / f"forecast_{name}.png")
            plot_forecast(forecaster, series, written[-1], test=test, series_id=key)
    else:
        written.append(folder / "forecast.png")
        plot_forecast(forecaster, series, written[0], test=test)
    written.append(folder / "history.png")
    plot_history(forecaster.history_, written[-1])
    if forecaster.model == "attention":
        frame = next(iter(series.values())) if isinstance(series, dict) else series
        written.append(folder / "attention.png")
        plot_attention(forecaster.attention(frame), written[-1])
    return written


# ---------------------------------------------------------------------- datasets, environment
def environment() -> dict[str, Any]:
    """`forecast.models.environment()`: versions, backend, GPUs, cuDNN (kept for compatibility)."""
    from forecast import models

    return models.environment()
