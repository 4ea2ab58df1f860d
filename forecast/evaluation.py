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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from forecast.errors import DataError, check_positive_int

METRICS = ("MAE", "RMSE", "MAPE", "sMAPE", "MASE")
BASELINES = ("naive", "seasonal_naive", "mean")
TIE_PERCENT = 0.1  # MAEs closer than this (in %) are reported as a tie, not a win or a loss
# Seasonal period by pandas frequency prefix (the unit part of e.g. "h", "D", "MS").
SEASONS = {
    "min": 60,
    "h": 24,
    "D": 7,
    "B": 5,
    "W": 52,
    "MS": 12,
    "ME": 12,
    "M": 12,
    "QS": 4,
    "QE": 4,
    "Q": 4,
    "YS": 1,
    "YE": 1,
    "Y": 1,
}


def season_for(freq: str | None, season: int | None = None) -> int:
    """The seasonal period: `season` if given, else from the frequency (24 for hourly, 7 for
    daily, 12 for monthly, ...), else 1 (seasonal naive is then plain naive)."""
    if season is not None:
        return check_positive_int("season", season)
    if not freq:
        return 1
    digits = "".join(ch for ch in freq if ch.isdigit())
    unit = freq[len(digits) :].split("-")[0]
    base = SEASONS.get(unit, 1)
    step = int(digits) if digits else 1
    if unit in ("min", "h") and step > 1:
        per_day = 24 * 60 if unit == "min" else 24
        return max(1, per_day // step) if per_day % step == 0 else 1
    return base if step == 1 else 1


def seasonal_naive_scale(train: np.ndarray, season: int) -> np.ndarray:
    """In-sample seasonal-naive MAE of a training slice `(length, n_targets)`, per target.

    The MASE denominator; falls back to lag 1 when the slice is shorter than a season.
    """
    arr = np.asarray(train, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    lag = season if len(arr) > season else 1
    if len(arr) <= lag:
        return np.full(arr.shape[1], np.nan)
    scale = np.mean(np.abs(arr[lag:] - arr[:-lag]), axis=0)
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
        season: seasonal period; windows need `origin >= season` for seasonal naive
            (otherwise it falls back to naive for that window).

    Returns:
        name -> `(n, horizon, n_targets)` array.
    """
    values = np.asarray(values, dtype=np.float64)
    origins = np.asarray(origins, dtype=np.int64)
    steps = np.arange(horizon)
    naive = np.repeat(values[origins - 1][:, None, :], horizon, axis=1)
    back = season * ((steps // season) + 1)  # (horizon,) how far back each step looks
    idx = origins[:, None] + steps[None, :] - back[None, :]
    seasonal = np.where(idx[..., None] >= 0, values[np.clip(idx, 0, None)], naive)
    csum = np.concatenate([np.zeros((1, values.shape[1])), np.cumsum(values, axis=0)])
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
        n_windows: windows scored.
        notes: plain sentences for the reader (baseline verdicts, skipped zero actuals).
    """

    table: pd.DataFrame
    n_windows: int
    notes: list[str] = field(default_factory=list)

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
        return {
            "n_windows": self.n_windows,
            "overall": overall,
            "per_step_mae": per_step,
            "notes": list(self.notes),
        }

    def __str__(self) -> str:
        text = self.overall().to_string(float_format=lambda v: f"{v:.4g}")
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
