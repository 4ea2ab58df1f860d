"""Prediction intervals of a fitted forecaster: calibrated after `fit`, drawn around forecasts.

Pure functions over `Bands` (the forecaster's `intervals` mode, the quantiles its model
learns, its lookback, targets and calibration: explicit values, never the Forecaster), the
glue between `Forecaster` and `forecast.intervals` (conformal scores and bounds) and
`forecast.quantiles` (quantile heads):

- `calibrate`: after training, the validation windows' scores (`intervals.validation_scores`:
  absolute errors of the model and naive; with quantile heads also the CQR scores of each
  quantile pair), scaled per series for many series (`choose_scales`: the one-step change,
  or the seasonal-naive MAE when the validation windows favour it);
- `choose`: with `intervals="auto"` (the default), the mode chosen per run on the validation
  windows: each candidate (adaptive, conformal; with quantile heads also their CQR versions)
  is fitted on each series' early windows and checked on its late ones
  (`interval_choice.check`), and `interval_choice.choose_mode` picks by coverage, then
  interval score, keeping the default (adaptive) unless another wins by more than noise;
- `bounds`: level -> (lo, hi) around the forecasts of one series, by the forecaster's
  `intervals` mode: "conformal" (static), "adaptive" (re-calibrated on `actual`), "raw" (the
  quantile heads' own bounds, uncorrected), "auto" (the chosen one);
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
from typing import Any, NamedTuple

import numpy as np

from forecast import interval_choice, intervals, quantiles
from forecast.intervals import Calibration


class Bands(NamedTuple):
    """What drawing a fitted forecaster's intervals needs.

    Attributes:
        mode: its `intervals` setting ("auto", "conformal", "adaptive", "raw" or "none").
        quantiles: the quantiles its model learns (`forecast.quantiles.resolve`), or None.
        lookback: the input rows of a window (`Forecaster.lookback_`).
        n_targets: the target columns, first in each frame.
        calibration: its calibration on the validation windows (`calibrate`), or None.
        season: its seasonal period (`Forecaster.season_`): the lag of the seasonal-naive
            scale many series may be pooled with (`scales`).
    """

    mode: str
    quantiles: tuple[float, ...] | None
    lookback: int
    n_targets: int
    calibration: Calibration | None = None
    season: int = 1

    def targets(self, frame: Any) -> np.ndarray:
        """The target values `(rows, n_targets)` of `frame`, in original units."""
        return frame.to_numpy(dtype=np.float64)[:, : self.n_targets]


def check_levels(levels: Any, qs: Sequence[float] | None, strict: bool = True) -> tuple[float, ...]:
    """`intervals.check_levels(levels)`; with quantile heads (quantiles `qs`) each level must
    be servable (ConfigError naming the levels available), or, not `strict`, the others are
    dropped."""
    levels = intervals.check_levels(levels)
    if qs is None:
        return levels
    if not strict:
        return quantiles.served_levels(qs, levels)
    return quantiles.check_servable(qs, levels)


def calibrate(bands: Bands, train: dict, held: dict, spans: dict) -> Calibration | None:
    """Split-conformal scores of a fitted forecaster and of naive on the validation windows
    (`held`; `spans`: `Forecaster.window_spans` of every origin there, the guard applied,
    computed once by `fit`), scaled per series (`train`: the training parts) for many
    (`intervals.calibrate`); with `intervals="auto"` also the mode chosen on them
    (`choose`). None without validation data or with `intervals="none"`."""
    if intervals.check_interval_mode(bands.mode) == "none" or not held:
        return None
    qs = bands.quantiles
    levels = list(quantiles.servable_levels(qs)) if qs else []
    errors, widths, origins, local = {}, {}, {}, {}
    for key, (found, preds, actual, bases, _, quants) in spans.items():
        pairs = {lv: (preds, preds) for lv in levels}  # a fallback: the point's errors
        if quants is not None:
            pairs = quantiles.pairs(quants, qs, levels)
        local[key] = intervals.window_scale(bands.targets(held[key]), found, bands.lookback)
        errors[key] = intervals.validation_scores(actual, preds, bases["naive"], pairs, local[key])
        widths[key] = {lv: hi - lo for lv, (lo, hi) in pairs.items()}
        origins[key] = found
    scales, lag, why = {}, 1, None
    if len(train) > 1:
        scales, lag, why = choose_scales(bands, train, errors, origins, levels or None)
    calibration = intervals.calibrate(errors, scales)
    calibration.scale_lag, calibration.scaling = lag, why
    if bands.mode == "auto":
        calibration.choice = choose(calibration, errors, widths, origins, local, levels or None)
    return calibration


def choose_scales(
    bands: Bands, train: dict, errors: dict, origins: dict, levels: list[float] | None
) -> tuple[dict, int, str | None]:
    """Many series' scales (`intervals.series_scale` of each training part `train`), their
    lag and why: the one-step change, or with a season the seasonal-naive MAE when the
    held-out check of the default mode (`interval_choice.check`, adaptive, on the point
    forecast's validation errors `errors` at `origins`, per series) scores it lower by more
    than noise (`interval_choice.choose_scale`; scores in each series' seasonal-naive MAE)."""
    one = {k: intervals.series_scale(bands.targets(frame)) for k, frame in train.items()}
    if bands.season <= 1:
        return one, 1, None
    by_lag = {
        1: one,
        bands.season: {
            k: intervals.series_scale(bands.targets(frame), bands.season)
            for k, frame in train.items()
        },
    }
    unit = by_lag[bands.season]
    checks = {}
    for lag, scales in by_lag.items():
        parts = [
            (e["model"] / scales.get(k, 1.0), np.zeros_like(e["model"]), origins[k],
             scales.get(k, 1.0) / unit.get(k, 1.0))
            for k, e in errors.items()
        ]  # fmt: skip
        checks[lag] = {
            level: interval_choice.check(parts, level, True) for level in levels or intervals.LEVELS
        }
    lag, why = interval_choice.choose_scale(checks)
    return by_lag[lag], lag, why


def choose(
    calibration: Calibration,
    errors: dict,
    widths: dict,
    origins: dict,
    local: dict,
    levels: list[float] | None,
) -> dict[str, Any]:
    """The mode `intervals="auto"` uses, chosen on the validation windows
    (`interval_choice.check` for each candidate, `interval_choice.choose_mode`): {"used",
    "reason", "checked"}. Candidates (`interval_choice.CANDIDATES`): adaptive and conformal on
    the point forecast, the same on its window-scaled errors (each window's scale `local`), and with
    quantile heads (their servable `levels`) adaptive and conformal CQR; widths compared per
    series scale as `calibration`'s; the point's candidates are checked at
    `intervals.LEVELS` without heads. Per series (`errors`, `widths`, `origins`, `local`):
    `validation_scores`, level -> hi - lo, window origins, `window_scale`."""
    checked = {}
    for c in interval_choice.CANDIDATES:
        if c.quantile and not levels:
            continue
        found = {}
        for level in levels or intervals.LEVELS:
            key = intervals.score_key("model", level if c.quantile else None, c.local)
            parts = []
            for k, e in errors.items():
                scale = calibration.scales.get(k, 1.0)
                base = widths[k][level] / scale if c.quantile else np.zeros_like(e["model"])
                if c.local:
                    parts.append((e[key], base, origins[k], local[k] / scale))
                else:
                    parts.append((e[key] / scale, base, origins[k], 1.0))
            found[level] = interval_choice.check(parts, level, c.adaptive)
        checked[c.name] = found
    used, reason = interval_choice.choose_mode(checked)
    table = {n: {f"{lv:g}": [round(float(v), 4) for v in cw] for lv, cw in by.items()}
             for n, by in checked.items()}  # fmt: skip
    return {"used": used, "reason": reason, "checked": table}


def bounds(
    bands: Bands,
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
    horizon, n_targets, Q)` of the model when given, or those raw with `intervals="raw"`.
    With `intervals="auto"`, the mode the calibration chose (`choose`): adaptive or not, CQR
    or the point's; without `actual` (`predict`) adaptive is the fixed conformal quantile of
    every validation window. Levels always nest (`intervals.nested`)."""
    if not levels:
        return {}
    calibration = intervals.check_calibrated(bands.calibration)
    used = interval_choice.Candidate(bands.mode, bands.mode == "adaptive", True)
    if bands.mode == "auto" and calibration.choice:
        used = interval_choice.candidate(calibration.choice["used"])
    pairs = None
    if quants is not None and method == "model" and used.quantile:
        pairs = quantiles.pairs(quants, bands.quantiles, levels)
        if bands.mode == "raw":
            return intervals.nested(pairs)
    values = bands.targets(frame)
    scale = calibration.scale_for(key, values)
    local = used.local and method == "model"
    if local:
        scale = intervals.window_scale(values, _origins(values, origins), bands.lookback)
    actual = actual if used.adaptive else None
    return calibration.bounds(method, preds, levels, scale, origins, actual, pairs, local)


def _origins(values: np.ndarray, origins: np.ndarray | None) -> np.ndarray:
    """`origins`, or for `predict` (None) the row after the last with every target value
    `(1,)` (rows after it are future covariate rows)."""
    if origins is not None:
        return origins
    valid = np.flatnonzero(np.isfinite(values).all(axis=1))
    return np.array([valid[-1] + 1 if len(valid) else len(values)])


def score(
    bands: Bands,
    report: Any,
    data: dict,
    spans: dict,
    levels: Sequence[float],
    names: Any,
    mase_scale: np.ndarray,
) -> None:
    """Score the intervals of the model and naive over `spans` (`Forecaster.window_spans` of
    `data`) into `report` (a `forecast.evaluation.Report`): `intervals` pooled over series
    (`intervals.interval_table`, MSIS by `mase_scale` `(n_targets,)`), with many series each
    one's coverage in `per_series` (`intervals.series_coverage`), the small-set and
    full-coverage notes, and `interval_mode` (the mode used and why)."""
    found = [
        {m: bounds(bands, k, data[k], p, levels, m, s.origins, s.actual, s.quantiles)
         for m, p in (("model", s.forecasts), ("naive", s.baselines["naive"]))}
        for k, s in spans.items()
    ]  # fmt: skip
    if len(spans) > 1 and report.per_series is not None:
        actual = {k: s.actual for k, s in spans.items()}
        cover = intervals.series_coverage(actual, dict(zip(spans, found, strict=True)), names)
        report.per_series = report.per_series.merge(cover, "left")
    actual = np.concatenate([s.actual for s in spans.values()])
    pooled = intervals.concat_bounds(found)
    report.intervals = intervals.interval_table(actual, pooled, mase_scale, names)
    calibration = intervals.check_calibrated(bands.calibration)
    report.notes += calibration.notes(levels)
    overall = report.interval_overall()
    report.notes += intervals.full_coverage_notes(overall, actual[..., 0].size)
    report.interval_mode = calibration.describe(bands.mode)
