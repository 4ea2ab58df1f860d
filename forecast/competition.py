"""The M3/M4 competitions' metrics, per series: sMAPE, MASE, Naive2 and OWA.

As the M4 competitors' guide and its reference code (M4-methods, "Benchmarks and
Evaluation.R": `smape_cal`, `mase_cal`, `SeasonalityTest`, `naive2`) define them:

- sMAPE = mean over the forecast steps of 200·|y − ŷ| / (|y| + |ŷ|) (0 where both are 0);
- MASE = mean |y − ŷ| divided by the series' own in-sample seasonal-naive MAE,
  mean |x_t − x_(t−m)| over its history, with m from `M4_SEASONS` (1 for weekly and daily);
- Naive2 = the naive forecast of the seasonally adjusted series (classical multiplicative
  decomposition), re-seasonalized, when the 90 % autocorrelation test finds the season m;
  else plain naive;
- OWA = (sMAPE / sMAPE of Naive2 + MASE / MASE of Naive2) / 2; aggregated as M4 does, from
  the means over series.

Every function takes plain numpy arrays; `score_series` returns one row per method.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from forecast import seasons

# The M4 guide's seasonal period per frequency (pandas unit prefixes); weekly and daily are 1.
M4_SEASONS = {"Y": 1, "A": 1, "Q": 4, "M": 12, "W": 1, "D": 1, "B": 1, "h": 24, "H": 24}
TCRIT = 1.645  # the one-sided 90 % normal quantile of the seasonality test


def m4_season(freq: str | None, season: Any = None) -> int:
    """The MASE / Naive2 period: the shortest given `season` (one or several,
    `forecast.seasons.parse`: 24 of 24,168, as the M4 guide's hourly period), else the M4
    guide's for the frequency (12 monthly, 4 quarterly, 24 hourly, 1 otherwise, step-indexed
    data included)."""
    given = seasons.parse(season)
    if given is not None:
        return given[0]
    if not freq:
        return 1
    unit = freq.lstrip("0123456789").split("-")[0]
    if freq[0].isdigit():
        return 1
    return M4_SEASONS.get(unit, M4_SEASONS.get(unit[:1], 1))


def smape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """sMAPE in percent (0..200) over every value of `actual` / `forecast` (same shape)."""
    y = np.asarray(actual, dtype=np.float64)
    p = np.asarray(forecast, dtype=np.float64)
    denom = np.abs(y) + np.abs(p)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(denom > 0, 2.0 * np.abs(y - p) / denom, 0.0)
    return float(100.0 * ratio.mean())


def mase_scale(history: np.ndarray, season: int) -> float:
    """The in-sample seasonal-naive MAE of one series' history `(length,)`: mean |x_t −
    x_(t−m)|, with m = 1 when the history is not longer than a season; NaN when it is
    constant or has a single value."""
    x = np.asarray(history, dtype=np.float64).reshape(-1)
    lag = season if len(x) > season else 1
    if len(x) <= lag:
        return float("nan")
    pairs = np.abs(x[lag:] - x[:-lag])
    pairs = pairs[~np.isnan(pairs)]  # gap rows (forecast.gaps): the observed pairs only
    scale = float(pairs.mean()) if len(pairs) else float("nan")
    return scale if scale > 0 else float("nan")


def is_seasonal(history: np.ndarray, season: int) -> bool:
    """M4's seasonality test: the autocorrelation at lag `season` exceeds its 90 % limit,
    1.645 · sqrt((1 + 2 Σ_{k<m} r_k²) / n). False for m = 1 or fewer than 3 seasons."""
    x = np.asarray(history, dtype=np.float64).reshape(-1)
    n = len(x)
    if season <= 1 or n < 3 * season:
        return False
    dev = x - x.mean()
    denom = float(dev @ dev)
    if denom == 0:
        return False
    acf = np.array([dev[: n - k] @ dev[k:] / denom for k in range(1, season + 1)])
    limit = TCRIT / np.sqrt(n) * np.sqrt(1 + 2 * np.sum(acf[: season - 1] ** 2))
    return bool(abs(acf[season - 1]) > limit)


def seasonal_indices(history: np.ndarray, season: int) -> np.ndarray:
    """Classical multiplicative decomposition's seasonal figure `(season,)`, as R's
    `decompose(type="multiplicative")`: ratios to the centred moving average, averaged per
    position of the cycle (counted from the first value), normalised to mean 1."""
    x = np.asarray(history, dtype=np.float64).reshape(-1)
    n, m = len(x), season
    weights = np.ones(m) / m if m % 2 else np.r_[0.5, np.ones(m - 1), 0.5] / m
    half = len(weights) // 2
    trend = np.full(n, np.nan)
    trend[half : n - half] = np.convolve(x, weights, mode="valid")
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = x / trend
    figure = np.array([np.nanmean(ratio[i::m]) for i in range(m)])
    return figure / figure.mean()


def naive2(history: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """M4's Naive2 forecast `(horizon,)` of one series' history `(length,)`: the last
    seasonally adjusted value times the coming seasonal indices when `is_seasonal`, else
    the last value."""
    x = np.asarray(history, dtype=np.float64).reshape(-1)
    if not is_seasonal(x, season):
        return np.full(horizon, x[-1])
    figure = seasonal_indices(x, season)
    position = np.arange(len(x) + horizon) % season
    adjusted_last = x[-1] / figure[position[len(x) - 1]]
    return adjusted_last * figure[position[len(x) :]]


def owa(smape_value: float, mase_value: float, smape_naive2: float, mase_naive2: float) -> float:
    """Overall weighted average relative to Naive2: (sMAPE ratio + MASE ratio) / 2; NaN when
    Naive2 scores 0 (a perfect Naive2 leaves nothing to be relative to)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        ratios = np.divide([smape_value, mase_value], [smape_naive2, mase_naive2], dtype=float)
    ratios[~np.isfinite(ratios)] = np.nan
    return float(0.5 * ratios.sum()) if np.isfinite(ratios).all() else float("nan")


def score_series(
    actual: np.ndarray, forecasts: Mapping[str, np.ndarray], scale: float
) -> dict[str, dict[str, float]]:
    """sMAPE, MASE and (when "naive2" is among `forecasts`) OWA of each method on one series.

    Args:
        actual: the series' scored values, any shape (windows × steps).
        forecasts: method name -> forecasts of the same shape.
        scale: `mase_scale` of the series' history.

    Returns:
        `{method: {"sMAPE": ..., "MASE": ..., "OWA": ...}}`.
    """
    y = np.asarray(actual, dtype=np.float64)
    out = {}
    for name, pred in forecasts.items():
        p = np.asarray(pred, dtype=np.float64).reshape(y.shape)
        mae = float(np.mean(np.abs(y - p)))
        out[name] = {"sMAPE": smape(y, p), "MASE": mae / scale if scale > 0 else float("nan")}
    if "naive2" in out:
        base = out["naive2"]
        for row in out.values():
            row["OWA"] = owa(row["sMAPE"], row["MASE"], base["sMAPE"], base["MASE"])
    return out


def aggregate(per_series: Mapping[str, Mapping[str, Mapping[str, float]]]) -> dict:
    """M4's aggregate of `{series: score_series(...)}`: mean sMAPE and MASE per method over
    the series (NaN MASE left out), and OWA from those means relative to Naive2's."""
    methods = list(next(iter(per_series.values())))
    out: dict[str, dict[str, float]] = {}
    for name in methods:
        rows = [scores[name] for scores in per_series.values() if name in scores]
        out[name] = {
            "sMAPE": float(np.mean([r["sMAPE"] for r in rows])),
            "MASE": float(np.nanmean([r["MASE"] for r in rows])) if rows else float("nan"),
        }
    if "naive2" in out:
        base = out["naive2"]
        for row in out.values():
            row["OWA"] = owa(row["sMAPE"], row["MASE"], base["sMAPE"], base["MASE"])
    return out
