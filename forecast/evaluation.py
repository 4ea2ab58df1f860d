"""Metrics in original units, always beside the naive, seasonal-naive and mean baselines.

Every forecast is scored on exactly the windows the baselines are scored on:

- naive: repeat the last observed value over the horizon;
- seasonal naive: the value one season earlier (`season` steps), repeated season by season;
- mean: the mean of the input window.

Metrics: MAE first, then RMSE, MAPE (rows whose actual is zero are skipped, and the report
says how many), sMAPE (in percent, 0..200) and MASE (MAE divided by the in-sample
seasonal-naive MAE of the training slice). Each is given overall and per horizon step, per
target. A plain sentence says when the model does not beat seasonal naive.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from forecast import seasons
from forecast.errors import DataError, check_choice, check_positive_int
from forecast.series_set import SeriesSet

METRICS = ("MAE", "RMSE", "MAPE", "sMAPE", "MASE")
BASELINES = ("naive", "seasonal_naive", "mean")
TIE_PERCENT = 0.1  # MAEs closer than this (in %) are reported as a tie, not a win or a loss


def season_for(freq: str | None, season: Any = None) -> int:
    """The seasonal period of seasonal naive and the MASE scale: the shortest of the given
    `season` (one or several, `forecast.seasons.parse`), else of the frequency's seasons (24
    for hourly, 7 for daily, 12 for monthly, ...), else 1 (seasonal naive is then naive)."""
    return seasons.primary(freq, season)


def seasonal_naive_scale(train: np.ndarray, season: int) -> np.ndarray:
    """In-sample seasonal-naive MAE of a training slice `(length, n_targets)`, per target.

    The MASE denominator; falls back to lag 1 when the slice is shorter than a season.
    """
    arr = np.asarray(train, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if len(arr) <= 1:
        return np.full(arr.shape[1], np.nan)
    return _positive(_observed_mean(_seasonal_changes(arr, season)))


def _seasonal_changes(values: np.ndarray, season: int) -> np.ndarray:
    """`|values[t] - values[t - season]|` `(length - lag, n_targets)`: seasonal naive's
    in-sample errors, at lag 1 when `values` is not longer than a season."""
    lag = season if len(values) > season else 1
    return np.abs(values[lag:] - values[:-lag])


def _observed_mean(diffs: np.ndarray) -> np.ndarray:
    """The mean of `diffs` `(n, n_targets)` over its observed rows (NaN pairs, from gap rows,
    left out), per target; NaN for a target with none."""
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(diffs, axis=0)


def _positive(scale: np.ndarray) -> np.ndarray:
    """`scale` with every value that is not above 0 as NaN (a MASE scale of 0 is none)."""
    return np.where(scale > 0, scale, np.nan)


def baseline_forecasts(
    values: np.ndarray, origins: np.ndarray, lookback: int, horizon: int, season: int
) -> dict[str, np.ndarray]:
    """Naive, seasonal-naive and mean forecasts for windows whose first target is `origins`.

    Args:
        values: target series in original units, `(length, n_targets)`.
        origins: row of each window's first forecast step, `(n,)`; each >= `lookback`.
        lookback: input length (the mean baseline averages it).
        horizon: steps forecast.
        season: seasonal period; windows need `origin >= season` for seasonal naive, and
            the value a season back observed (otherwise it falls back to naive there).

    Returns:
        name -> `(n, horizon, n_targets)` array.
    """
    values = np.asarray(values, dtype=np.float64)
    origins = np.asarray(origins, dtype=np.int64)
    steps = np.arange(horizon)
    naive = np.repeat(values[origins - 1][:, None, :], horizon, axis=1)
    back = season * ((steps // season) + 1)  # (horizon,) how far back each step looks
    idx = origins[:, None] + steps[None, :] - back[None, :]
    seasonal = values[np.clip(idx, 0, None)]  # a gap row a season back: naive there too
    seasonal = np.where((idx[..., None] >= 0) & ~np.isnan(seasonal), seasonal, naive)
    # gap rows (NaN, forecast.gaps) count 0: the input rows of a window hold none
    csum = np.concatenate([np.zeros((1, values.shape[1])), np.nancumsum(values, axis=0)])
    mean = (csum[origins] - csum[origins - lookback]) / lookback
    return {
        "naive": naive,
        "seasonal_naive": seasonal,
        "mean": np.repeat(mean[:, None, :], horizon, axis=1),
    }


def _metric_table(y: np.ndarray, p: np.ndarray, scale: np.ndarray) -> dict[str, np.ndarray]:
    """Metrics over windows, per step and target: each value `(horizon, n_targets)`."""
    err = p - y
    abs_err = np.abs(err)
    nonzero = np.abs(y) > 1e-12
    with np.errstate(invalid="ignore", divide="ignore"):
        ape = np.where(nonzero, abs_err / np.abs(y), np.nan)
        denom = np.abs(y) + np.abs(p)
        sape = np.where(denom > 0, 2.0 * abs_err / denom, 0.0)
        mae = abs_err.mean(axis=0)
        return {
            "MAE": mae,
            "RMSE": np.sqrt((err**2).mean(axis=0)),
            "MAPE": 100.0 * np.nanmean(ape, axis=0)
            if nonzero.any()
            else np.full(mae.shape, np.nan),
            "sMAPE": 100.0 * sape.mean(axis=0),
            "MASE": mae / scale[None, :],
        }


def _overall(y: np.ndarray, p: np.ndarray, scale: np.ndarray) -> dict[str, np.ndarray]:
    n, h, t = y.shape
    flat = _metric_table(y.reshape(n * h, 1, t), p.reshape(n * h, 1, t), scale)
    return {k: v[0] for k, v in flat.items()}


@dataclass
class Report:
    """An evaluation: the model beside the baselines, overall and per horizon step.

    Attributes:
        table: tidy DataFrame with columns `target, method, step, MAE, RMSE, MAPE, sMAPE,
            MASE`; `step` is "all" for the overall row, else 1..horizon.
        per_series, competition: the competitions' metrics per series and aggregated (set by
            `Forecaster.evaluate`).
        n_windows: windows scored.
        notes: plain sentences for the reader (baseline verdicts, skipped zero actuals).
        intervals: prediction intervals scored (`forecast.intervals.interval_table`): columns
            `target, method, level, step, coverage, width, pinball, MSIS`; None without them.
        interval_mode: the interval mode used and why (`intervals.Calibration.describe`:
            "mode" the setting, "used", "reason", with "auto" "checked"); None without.
    """

    table: pd.DataFrame
    n_windows: int
    notes: list[str] = field(default_factory=list)
    per_series: pd.DataFrame | None = None  # sMAPE, MASE, OWA per series (forecast.panel)
    competition: dict[str, Any] | None = None  # their M4 aggregate, per target and method
    intervals: pd.DataFrame | None = None
    interval_mode: dict[str, Any] | None = None  # `Calibration.describe`: mode, used, reason

    def interval_overall(self) -> pd.DataFrame:
        """One row per (target, method, level): the overall interval scores (empty without
        intervals)."""
        if self.intervals is None:
            return pd.DataFrame()
        rows = self.intervals[self.intervals["step"] == "all"].drop(columns="step")
        return rows.set_index(["target", "method", "level"])

    def _intervals_dict(self) -> dict[str, Any]:
        """target -> method -> level -> overall scores and per-step coverage and MSIS."""
        found: dict[str, Any] = {}
        for (target, method, level), rows in self.intervals.groupby(
            ["target", "method", "level"], sort=False
        ):
            overall = rows[rows["step"] == "all"].iloc[0]
            steps = rows[rows["step"] != "all"]
            entry = {m: float(overall[m]) for m in ("coverage", "width", "pinball", "MSIS")}
            entry["per_step_coverage"] = [float(v) for v in steps["coverage"]]
            entry["per_step_MSIS"] = [float(v) for v in steps["MSIS"]]
            found.setdefault(str(target), {}).setdefault(str(method), {})[f"{level:g}"] = entry
        return found

    def overall(self) -> pd.DataFrame:
        """One row per (target, method): the overall metrics."""
        rows = self.table[self.table["step"] == "all"].drop(columns="step")
        return rows.set_index(["target", "method"])

    def per_step(self, metric: str = "MAE") -> pd.DataFrame:
        """`metric` by horizon step (rows) and (target, method) (columns)."""
        rows = self.table[self.table["step"] != "all"]
        return rows.pivot_table(index="step", columns=["target", "method"], values=metric)

    def beats(self, baseline: str = "seasonal_naive", metric: str = "MAE") -> bool:
        """Whether the model beats `baseline` on `metric` for every target."""
        o = self.overall()[metric]
        targets = o.index.get_level_values("target").unique()
        return all(o[(t, "model")] < o[(t, baseline)] for t in targets)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: overall metrics per target and method, per-step MAE, notes."""
        overall: dict[str, dict[str, dict[str, float | None]]] = {}
        for (target, method), row in self.overall().iterrows():
            overall.setdefault(str(target), {})[str(method)] = {
                m: (None if pd.isna(row[m]) else float(row[m])) for m in METRICS
            }
        steps = self.table[self.table["step"] != "all"]
        per_step = {
            str(t): {
                str(m): [float(v) for v in g.sort_values("step")["MAE"]]
                for m, g in steps[steps["target"] == t].groupby("method", sort=False)
            }
            for t in steps["target"].unique()
        }
        found = {
            "n_windows": self.n_windows,
            "overall": overall,
            "per_step_mae": per_step,
            "notes": list(self.notes),
            **({"competition": self.competition} if self.competition else {}),
            **(
                {"per_series": self.per_series.to_dict(orient="records")}
                if self.per_series is not None
                else {}
            ),
        }
        if self.intervals is not None:
            found["intervals"] = self._intervals_dict()
        if self.interval_mode is not None:
            found["interval_mode"] = self.interval_mode
        return found

    def __str__(self) -> str:
        text = self.overall().to_string(float_format=lambda v: f"{v:.4g}")
        if self.intervals is not None:
            text += "\n" + self.interval_overall().to_string(float_format=lambda v: f"{v:.4g}")
        return text + ("\n" + "\n".join(self.notes) if self.notes else "")


def evaluate_forecasts(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    baselines: Mapping[str, np.ndarray],
    mase_scale: np.ndarray | Sequence[float],
    targets: Sequence[str],
) -> Report:
    """Score model forecasts and baseline forecasts on the same windows.

    Args:
        y_true: actual values in original units, `(n, horizon, n_targets)`.
        y_pred: model forecasts, same shape.
        baselines: name -> forecasts of the same shape (see `baseline_forecasts`).
        mase_scale: per target, the in-sample seasonal-naive MAE of the training slice.
        targets: target names.

    Returns:
        A `Report`.
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    if y_true.ndim == 2:
        y_true = y_true[..., None]
    y_pred = np.asarray(y_pred, dtype=np.float64).reshape(y_true.shape)
    if len(y_true) == 0:
        raise DataError("no window to evaluate: the span is shorter than lookback + horizon")
    scale = np.asarray(mase_scale, dtype=np.float64).reshape(-1)
    methods = {
        "model": y_pred,
        **{k: np.asarray(v).reshape(y_true.shape) for k, v in baselines.items()},
    }
    rows = []
    for method, pred in methods.items():
        per = _metric_table(y_true, pred, scale)
        tot = _overall(y_true, pred, scale)
        for j, target in enumerate(targets):
            rows.append(
                {
                    "target": target,
                    "method": method,
                    "step": "all",
                    **{m: tot[m][j] for m in METRICS},
                }
            )
            for h in range(y_true.shape[1]):
                rows.append(
                    {
                        "target": target,
                        "method": method,
                        "step": h + 1,
                        **{m: per[m][h, j] for m in METRICS},
                    }
                )
    table = pd.DataFrame(rows, columns=["target", "method", "step", *METRICS])
    notes = []
    zeros = int((np.abs(y_true) <= 1e-12).sum())
    if zeros:
        notes.append(f"MAPE skips {zeros} actual values equal to zero.")
    report = Report(table=table, n_windows=len(y_true), notes=notes)
    overall = report.overall()["MAE"]
    for target in targets:
        model = overall[(target, "model")]
        best_name = min(baselines, key=lambda b: overall[(target, b)]) if baselines else None
        if "seasonal_naive" in baselines and model >= overall[(target, "seasonal_naive")]:
            notes.append(
                f"{target}: the model does NOT beat seasonal naive (MAE {model:.4g} vs "
                f"{overall[(target, 'seasonal_naive')]:.4g})."
            )
        elif best_name is not None:
            best = overall[(target, best_name)]
            change = 100 * (model - best) / best if best else 0.0
            if abs(change) < TIE_PERCENT:
                notes.append(
                    f"{target}: the model ties the best baseline, {best_name} (MAE {model:.4g} "
                    f"vs {best:.4g}, within {TIE_PERCENT:g}%)."
                )
            else:
                verdict = "beats" if model < best else "does NOT beat"
                notes.append(
                    f"{target}: the model {verdict} every baseline (MAE {model:.4g} vs best "
                    f"baseline {best_name} {best:.4g}, {change:+.1f}%)."
                )
    return report


def pooled_seasonal_scale(parts: Sequence[np.ndarray], season: int) -> np.ndarray:
    """The MASE denominator of many series: the seasonal-naive MAE pooled over every
    training part `(length, n_targets)` (lag 1 for parts shorter than a season), per target."""
    diffs = [_seasonal_changes(values, season) for values in parts]
    n_targets = parts[0].shape[1]
    scale = _observed_mean(np.concatenate(diffs)) if diffs else np.full(n_targets, np.nan)
    if np.isnan(scale).any():
        scale = seasonal_naive_scale(parts[0], 1)
    return _positive(scale)


# ---------------------------------------------------------------------- backtest folds
BACKTEST_MODES = ("expanding", "sliding")


@dataclass(frozen=True)
class Fold:
    """One rolling-origin fold, in rows of the (shortest) series.

    Attributes:
        number: 1-based.
        train_start, cut: training rows are `[train_start, cut)`; test rows `[cut, cut + size)`.
        size: test rows.
    """

    number: int
    train_start: int
    cut: int
    size: int


def check_fold_settings(folds: int, mode: str) -> None:
    """Check a backtest's fold count and mode (`BACKTEST_MODES`) before any data work.

    Raises:
        ConfigError: naming the setting and the value.
    """
    check_choice("mode", mode, BACKTEST_MODES)
    check_positive_int("folds", folds)


def backtest_folds(
    n_rows: int,
    lookback: int,
    horizon: int,
    folds: int = 5,
    test_size: int | None = None,
    step: int | None = None,
    mode: str = "expanding",
) -> list[Fold]:
    """Plan rolling-origin folds: `folds` test blocks at the end of `n_rows`, oldest first.

    Args:
        n_rows: rows of the (shortest) series.
        lookback, horizon: the forecaster's window.
        folds: test blocks.
        test_size: rows per block; default `max(horizon, 20% of rows / folds)`.
        step: rows between fold origins; default `test_size`.
        mode: "expanding" (training starts at row 0) or "sliding" (a fixed-length training
            window, as long as the first fold's).

    Returns:
        The folds.

    Raises:
        ConfigError: for a bad mode or fold count.
        DataError: when the folds leave too few training rows.
    """
    check_fold_settings(folds, mode)
    test_size = test_size or max(horizon, round(0.2 * n_rows / folds))
    step = step or test_size
    first_cut = n_rows - test_size - (folds - 1) * step
    if first_cut < 2 * (lookback + horizon) or test_size < horizon:
        raise DataError(
            f"{folds} folds of {test_size} rows (step {step}) leave {first_cut} training rows, "
            f"too few for lookback + horizon = {lookback + horizon}; use fewer or smaller folds"
        )
    plan = []
    for k in range(folds):
        cut = first_cut + k * step
        start = 0 if mode == "expanding" else cut - first_cut
        plan.append(Fold(k + 1, start, cut, test_size))
    return plan


@dataclass
class BacktestResult:
    """Rolling-origin backtest: per-fold metrics and their mean over folds.

    Attributes:
        folds: one row per (fold, target, method) with `train_start`, `train_end`,
            `test_start`, `test_end`, `refit` and the metrics.
        summary: mean of each metric over folds, per (target, method).
        models: with `keep_models=True`, the `Forecaster` that scored each fold (the same
            object for folds that did not refit); else None.
        intervals: one row per (fold, target, method, level) with the overall interval scores
            (coverage, width, pinball, MSIS) of `Report.interval_overall`; None without them.
        interval_summary: their mean over folds, per (target, method, level).
    """

    folds: pd.DataFrame
    summary: pd.DataFrame
    models: list[Any] | None = None
    intervals: pd.DataFrame | None = None
    interval_summary: pd.DataFrame | None = None

    def __str__(self) -> str:
        return self.summary.to_string(float_format=lambda v: f"{v:.4g}")

    @classmethod
    def from_rows(
        cls,
        rows: list[dict[str, Any]],
        models: list[Any] | None,
        interval_rows: list[dict[str, Any]] | None = None,
    ) -> BacktestResult:
        """Collect per-fold rows (fold, dates, refit, target, method, metrics...) and the
        per-fold interval rows (fold, target, method, level, scores)."""
        table = pd.DataFrame(rows)
        summary = table.groupby(["target", "method"], sort=False)[list(METRICS)].mean()
        found = cls(folds=table, summary=summary, models=models)
        if interval_rows:
            found.intervals = pd.DataFrame(interval_rows)
            keys = ["target", "method", "level"]
            found.interval_summary = (
                found.intervals.drop(columns="fold").groupby(keys, sort=False).mean()
            )
        return found


def run_backtest(
    data: SeriesSet,
    plan: Sequence[Fold],
    lookback: int,
    fit: Callable[[SeriesSet], Any],
    refit_every: int = 1,
    keep_models: bool = False,
) -> BacktestResult:
    """Run planned folds: fit on each fold's training rows (every `refit_every` folds; 0:
    the first only), score the next block with `model.evaluate(span, test=size)`.

    Args:
        data: the series; every series is cut at the same rows.
        plan: from `backtest_folds`.
        lookback: rows of context given before each test block.
        fit: trains a new model on the training rows (a `SeriesSet` like `data`) and
            returns it.
        keep_models: keep each fold's model on the result.
    """
    rows, model, models, interval_rows = [], None, [], []
    first = next(iter(data.values()))
    for fold in plan:
        refit = model is None or (refit_every > 0 and (fold.number - 1) % refit_every == 0)
        if refit:
            model = fit(data.map(lambda f, fold=fold: f.iloc[fold.train_start : fold.cut]))
        models.append(model)
        end = fold.cut + fold.size
        span = data.map(lambda f, fold=fold, end=end: f.iloc[fold.cut - lookback : end])
        report = model.evaluate(span, test=fold.size)
        dates = {
            "fold": fold.number,
            "train_start": first.index[fold.train_start],
            "train_end": first.index[fold.cut - 1],
            "test_start": first.index[fold.cut],
            "test_end": first.index[end - 1],
            "refit": refit,
        }
        for (target, method), metrics in report.overall().iterrows():
            rows.append({**dates, "target": target, "method": method, **metrics.to_dict()})
        for keys, scores in report.interval_overall().iterrows():
            named = dict(zip(("target", "method", "level"), keys, strict=True))
            interval_rows.append({"fold": fold.number, **named, **scores.to_dict()})
    return BacktestResult.from_rows(rows, models if keep_models else None, interval_rows)


def tidy_forecasts(
    index: pd.Index,
    origins: np.ndarray,
    preds: np.ndarray,
    actual: np.ndarray,
    columns: Sequence[str],
    extra: Mapping[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Window forecasts of one series as a tidy frame, a row per (window, step, target).

    Args:
        index: the series' index; origins `(n,)`: each window's first target row.
        preds, actual: `(n, horizon, n_targets)`; columns: names, targets first.
        extra: more forecasts of the same shape, one column each (the baselines).

    Returns:
        Columns `origin` (last observed time), `time`, `step` (1..horizon), `target`,
        `forecast`, `actual`, then the `extra` names.
    """
    n, h, t = preds.shape
    rows = origins[:, None] + np.arange(h)[None, :]
    tidy = pd.DataFrame(
        {
            "origin": np.repeat(index[origins - 1], h * t),
            "time": np.repeat(index[rows.reshape(-1)], t),
            "step": np.tile(np.repeat(np.arange(1, h + 1), t), n),
            "target": np.tile(list(columns)[:t], n * h),
            "forecast": preds.reshape(-1),
            "actual": actual.reshape(-1),
        }
    )
    for name, values in (extra or {}).items():
        tidy[name] = values.reshape(-1)
    return tidy
