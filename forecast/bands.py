"""A `Forecaster`'s prediction intervals: calibrated after `fit`, drawn around its forecasts.

The glue between the Forecaster and `forecast.intervals` (conformal scores and bounds) and
`forecast.quantiles` (quantile heads):

- `calibrate`: after training, the validation windows' scores (`intervals.validation_scores`:
  absolute errors of the model and naive; with quantile heads also the CQR scores of each
  quantile pair), scaled per series for many series;
- `bounds`: level -> (lo, hi) around the forecasts of one series, by the forecaster's
  `intervals` mode: "conformal" (static), "adaptive" (re-calibrated on `actual`), "raw" (the
  quantile heads' own bounds, uncorrected);
- `check_levels`: the levels asked, which quantile heads must be able to serve.

With quantile heads (`loss="quantile"`) the default "conformal" mode is conformalized quantile
regression (CQR): the heads' (lo, hi) pair of a level is widened (or shrunk) by the conformal
quantile of the validation scores `max(lo - y, y - hi)`, which restores the coverage guarantee
the raw quantiles lack (they are fitted on the training windows, where they cover too much or
too little). Series forecast by a fallback have no quantiles: they get the point forecast's
conformal intervals.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from forecast import intervals, panel, quantiles
from forecast.intervals import Calibration


def quantiles_of(f: Any) -> tuple[float, ...] | None:
    """The quantiles the model of Forecaster `f` learns, or None (no quantile heads);
    `forecast.quantiles.resolve` checks the settings (ConfigError)."""
    return quantiles.resolve(f.loss, f.quantiles, f.intervals)


def split(f: Any, out: np.ndarray, key: str) -> tuple[np.ndarray, np.ndarray | None]:
    """The model outputs `out` of series `key` in original units: the point forecasts `(n,
    horizon, n_targets)` (the median with quantile heads) and the quantile forecasts `(n,
    horizon, n_targets, Q)` or None (`forecast.panel.unscaled`)."""
    return panel.unscaled(f.scaler_, key, out, quantiles_of(f))


def check_levels(f: Any, levels: Any, strict: bool = True) -> tuple[float, ...]:
    """`intervals.check_levels(levels)`; with quantile heads each level must be servable
    (ConfigError naming the levels available), or, not `strict`, the others are dropped."""
    levels, qs = intervals.check_levels(levels), quantiles_of(f)
    if qs is None:
        return levels
    if not strict:
        return quantiles.served_levels(qs, levels)
    return quantiles.check_servable(qs, levels)


def calibrate(f: Any, train: dict, held: dict, starts: dict) -> Calibration | None:
    """Split-conformal scores of the fitted Forecaster `f` and of naive on the validation
    windows (`held`, their targets from `starts`), scaled per series for many
    (`intervals.calibrate`); None without validation data or with `intervals="none"`."""
    if intervals.check_interval_mode(f.intervals) == "none" or not held:
        return None
    qs = quantiles_of(f)
    levels = list(quantiles.servable_levels(qs)) if qs else []
    start = {k: len(frame) - max(starts[k], f.lookback) for k, frame in held.items()}
    errors = {}
    for key, (_, preds, actual, bases, _, quants) in f._spans(held, start).items():
        pairs = {lv: (preds, preds) for lv in levels}  # a fallback: the point's errors
        if quants is not None:
            pairs = quantiles.pairs(quants, qs, levels)
        errors[key] = intervals.validation_scores(actual, preds, bases["naive"], pairs)
    scales = {k: intervals.series_scale(f._values(frame)) for k, frame in train.items()}
    return intervals.calibrate(errors, scales if len(train) > 1 else None)


def bounds(
    f: Any,
    key: str,
    frame: Any,
    preds: np.ndarray,
    levels: Sequence[float],
    method: str = "model",
    origins: np.ndarray | None = None,
    actual: np.ndarray | None = None,
    quants: np.ndarray | None = None,
) -> dict[float, tuple[np.ndarray, np.ndarray]]:
    """level -> (lo, hi) around `preds` `(n, horizon, n_targets)` of series `key` (rows
    `frame`) by `method` ("model" or "naive"): conformal, adaptive to `actual` (`origins`
    `(n,)`) with `intervals="adaptive"`, CQR around the quantile forecasts `quants` `(n,
    horizon, n_targets, Q)` of the model when given, or those raw with `intervals="raw"`."""
    if not levels:
        return {}
    pairs = None
    if quants is not None and method == "model":
        pairs = quantiles.pairs(quants, quantiles_of(f), levels)
        if f.intervals == "raw":
            return pairs
    calibration = intervals.check_calibrated(f.calibration_)
    scale = calibration.scale_for(key, f._values(frame))
    actual = actual if f.intervals == "adaptive" else None
    return calibration.bounds(method, preds, levels, scale, origins, actual, pairs)
