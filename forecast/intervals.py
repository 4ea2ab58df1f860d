"""Prediction intervals: split-conformal calibration and the scores that judge intervals.

After training, the `Forecaster` forecasts its validation windows and hands the absolute
errors `|actual - forecast|`, per horizon step and target, to `calibrate`. The half-width of
a `level` % interval is the finite-sample conformal quantile of those errors: the k-th
smallest of n, with `k = ceil((n + 1) * level / 100)` (`conformal_rank`), so that on
exchangeable data the interval covers at least `level` % of new values. Naive forecasts get
their own errors on the same windows, so their intervals are a fair reference.

Many series: each series' errors are divided by its scale (`series_scale`: the mean absolute
one-step change of its training rows, or the seasonal-naive MAE when the validation windows
favour it, `forecast.interval_choice.choose_scale`) before pooling, and widths are multiplied
back by the series' own scale, so one noisy series does not widen the intervals of all the
others.

Adaptive mode (`adaptive_half_widths`): as actuals arrive (evaluation, `predict_windows`,
backtests), each window's interval level is re-calibrated online from the hits and misses of
the windows whose actuals are known before its origin (adaptive conformal inference), so the
coverage follows a change in the noise level after validation.

Quantile heads (`loss="quantile"`, `forecast.quantiles`): the intervals are conformalized
quantile regression (CQR, Romano, Patterson and Candes, 2019). The conformity score of a
validation window is `max(lo - y, y - hi)` for the quantile pair (lo, hi) of a level
(`conformity`; negative inside the interval), and the pair is widened (or shrunk) by the
conformal quantile of those scores: `(lo - q, hi + q)`. A point forecast is the pair (f, f),
whose score is the absolute error: the same code serves both. Mode "raw" keeps the heads'
own quantiles, uncorrected.

Scores (`interval_table`): coverage (% of actuals inside), mean width, the pinball loss of the
two bounds (quantiles `alpha / 2` and `1 - alpha / 2`) and MSIS, the M4 mean scaled interval
score: `mean(hi - lo + 2/alpha * (lo - y)+ + 2/alpha * (y - hi)+) / scale`, with the MASE scale.
Everything here is NumPy (and pandas for the tidy table).
"""

from __future__ import annotations

import bisect
import collections
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from forecast.errors import ConfigError, check_choice
from forecast.settings import choices

LEVELS = (80, 95)  # the levels reports score by default (statsforecast's `level=[80, 95]`)
ACI_STEP = 0.005  # adaptive mode's learning rate (gamma of Gibbs and Candes, 2021)
# auto: a mode chosen per run on validation (`forecast.interval_choice`); raw: quantile
# heads, uncorrected
INTERVAL_MODES = choices("intervals")  # declared in `forecast.settings`


def check_interval_mode(mode: str) -> str:
    """`mode` if it is one of `INTERVAL_MODES`; raises ConfigError naming `intervals`."""
    return check_choice("intervals", mode, INTERVAL_MODES)


def check_levels(levels: Iterable[float] | float | str | None) -> tuple[float, ...]:
    """Interval levels in percent, each strictly between 0 and 100, sorted, no repeats.

    Accepts a number, a sequence, a text like "80,95" or None (no intervals: `()`).

    Raises:
        ConfigError: naming `levels`, for a value that is not a number in (0, 100).
    """
    if levels is None:
        return ()
    if isinstance(levels, str):
        levels = [part for part in levels.replace(" ", "").split(",") if part]
    elif isinstance(levels, (int, float)):
        levels = [levels]
    found = []
    for value in levels:
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not 0 < number < 100 or isinstance(value, bool):
            raise ConfigError(
                f"levels must be percentages between 0 and 100 like 80,95; got {value!r}",
                setting="levels",
            )
        found.append(number)
    return tuple(sorted(set(found)))


def check_calibrated(calibration: Calibration | None) -> Calibration:
    """`calibration`, or ConfigError (naming `levels`) when there is none to give intervals."""
    if calibration is None:
        raise ConfigError(
            "no interval calibration: fit with validation data and intervals='conformal' (or "
            "'adaptive'), or ask for no levels",
            setting="levels",
        )
    return calibration


def level_name(level: float) -> str:
    """80.0 -> "80", 99.5 -> "99.5" (the suffix of `lo-80`)."""
    return f"{level:g}"


def bound_names(level: float, prefix: str = "") -> tuple[str, str]:
    """The columns of a level, statsforecast's naming: ("lo-80", "hi-80"), or with a prefix
    ("OT-lo-80", "OT-hi-80")."""
    head = f"{prefix}-" if prefix else ""
    return f"{head}lo-{level_name(level)}", f"{head}hi-{level_name(level)}"


def conformal_rank(n: int, level: float) -> int:
    """The 1-based rank k of the split-conformal quantile of n scores: `ceil((n + 1) *
    level / 100)`, at most n (with too few scores for the level, the largest score)."""
    k = math.ceil((n + 1) * level / 100 - 1e-9)
    return int(min(max(k, 1), n))


def too_few(n: int, level: float) -> bool:
    """Whether n scores are too few for a finite `level` % conformal quantile (n below
    `level / (100 - level)`: the rank `ceil((n + 1) * level / 100)` passes n)."""
    return math.ceil((n + 1) * level / 100 - 1e-9) > n


def pooled_scores(scores: np.ndarray) -> np.ndarray:
    """Scores of every horizon step pooled, each step's with its own scale (the small-set
    path): scores `(n, horizon, n_targets)` are divided by their step's mean absolute score,
    pooled over steps and multiplied back by each step's scale, `(n * horizon, horizon,
    n_targets)`, so a conformal quantile at step h reads `n * horizon` scores at h's scale."""
    scores = np.asarray(scores, dtype=np.float64)
    n, horizon, n_targets = scores.shape
    scale = np.mean(np.abs(scores), axis=0)  # (horizon, n_targets)
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
    unit = (scores / scale).reshape(n * horizon, n_targets)
    return unit[:, None, :] * scale[None]


def scores_for(scores: np.ndarray, level: float) -> np.ndarray:
    """`scores` `(n, horizon, n_targets)`, or, when n is `too_few` for `level` and the
    horizon has more than one step, `pooled_scores(scores)`."""
    if too_few(len(scores), level) and scores.shape[1] > 1:
        return pooled_scores(scores)
    return scores


def conformal_quantile(scores: np.ndarray, level: float) -> np.ndarray:
    """The conformal quantile along the first axis: scores `(n, ...)` -> `(...)`."""
    scores = np.asarray(scores, dtype=np.float64)
    k = conformal_rank(len(scores), level)
    return np.partition(scores, k - 1, axis=0)[k - 1]


def conformity(lo: np.ndarray, hi: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The conformity score `max(lo - y, y - hi)` of actuals `y` for bounds (lo, hi) (CQR);
    `|y - f|` for a point forecast `lo = hi = f`. Elementwise."""
    return np.maximum(lo - y, y - hi)


def score_key(method: str, level: float | None = None, local: bool = False) -> str:
    """The `Calibration.scores` key of a method's scores: "model" (absolute errors of the
    point forecast), "model_cqr_80" (CQR scores of the quantile pair of level 80), or
    "model_local" (absolute errors divided by each window's `window_scale`)."""
    key = method if level is None else f"{method}_cqr_{level_name(level)}"
    return f"{key}{LOCAL}" if local else key


LOCAL = "_local"  # the suffix of window-scaled scores (not divided by the series' scale)


def window_scale(values: np.ndarray, origins: np.ndarray, lookback: int) -> np.ndarray:
    """Each window's own scale (locally weighted conformal): the mean absolute one-step
    change of its `lookback` input rows, per target, `(m, 1, n_targets)`, for windows whose
    first target rows are `origins` `(m,)` in `values` `(rows, n_targets)`. Floored at 1 %
    of the input rows' mean absolute value (1 when those are all 0), so a flat input window
    does not give a zero-width interval."""
    values = np.asarray(values, dtype=np.float64)
    rows = np.asarray(origins)[:, None] - lookback + np.arange(lookback)  # (m, lookback)
    inputs = values[np.clip(rows, 0, len(values) - 1)]  # (m, lookback, n_targets)
    change = np.nanmean(np.abs(np.diff(inputs, axis=1)), axis=1) if lookback > 1 else 0.0
    level = np.nanmean(np.abs(inputs), axis=1)
    floor = np.where(np.isfinite(level) & (level > 0), 0.01 * level, 1.0)
    scale = np.where(np.isfinite(change), np.maximum(change, floor), floor)
    return scale[:, None, :]


def validation_scores(
    actual: np.ndarray,
    preds: np.ndarray,
    naive: np.ndarray,
    pairs: Mapping[float, tuple[np.ndarray, np.ndarray]] | None = None,
    local: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """What `calibrate` pools for one series: the absolute errors of the model's point
    forecasts and of naive's, and the CQR scores of each quantile pair, `(n, horizon,
    n_targets)` each (`actual`, `preds`, `naive` alike; `pairs`: level -> (lo, hi)); with
    each window's `local` scale `(n, 1, n_targets)` (`window_scale`), the model's absolute
    errors divided by it too ("model_local")."""
    found = {"model": np.abs(actual - preds), "naive": np.abs(actual - naive)}
    if local is not None:
        found[score_key("model", local=True)] = found["model"] / local
    for level, (lo, hi) in (pairs or {}).items():
        found[score_key("model", level)] = conformity(lo, hi, actual)
    return found


def series_scale(values: np.ndarray, lag: int = 1) -> np.ndarray:
    """The scale errors of one series are divided by: the mean absolute `lag`-step change of
    its rows `(rows, n_targets)` (lag 1: the naive forecast's in-sample MAE; the season: the
    seasonal-naive one, MASE's scale; lag 1 when the rows are not longer than `lag`), per
    target `(n_targets,)`; 1 where it is 0 or undefined."""
    values = np.asarray(values, dtype=np.float64)
    lag = lag if len(values) > lag else 1
    if len(values) < 2:
        return np.ones(values.shape[1])
    scale = np.nanmean(np.abs(values[lag:] - values[:-lag]), axis=0)
    return np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)


def adaptive_half_widths(
    calibration: np.ndarray,
    new: np.ndarray,
    origins: np.ndarray,
    level: float,
    step: float = ACI_STEP,
) -> np.ndarray:
    """Adaptive half-widths: rolling re-calibration with adaptive conformal inference (Gibbs
    and Candes, 2021), with the feedback a horizon delays.

    For window i and step h, the windows whose step-h actual is known before its origin
    feed back in order: each one's score joins the scores (the oldest leaves, so the set
    keeps the calibration size n) and the miscoverage level, starting at `alpha = 1 - level /
    100`, moves by `step * (alpha - miss)` (`miss` 1 when that actual fell outside its
    interval). After misses the intervals widen, after runs of hits they narrow, so coverage
    follows a change of the errors after validation. The half-width is the conformal quantile
    of the current scores at the current level (the largest score once the level asks for
    more, zero (or the smallest score, when negative: CQR) once it asks for none).

    Args:
        calibration: scores `(n, horizon, n_targets)`.
        new: scores of the windows scored now `(m, horizon, n_targets)`, in origin order.
        origins: each window's first target row `(m,)`, ascending.
        level: percent; step: the learning rate gamma.

    Returns:
        `(m, horizon, n_targets)`; the first window's equal `conformal_quantile`'s.
    """
    n, horizon, n_targets = calibration.shape
    origins = np.asarray(origins)
    alpha = 1 - level / 100
    out = np.empty((len(origins), horizon, n_targets))
    for h in range(horizon):
        known = np.searchsorted(origins, origins - h, side="left").tolist()
        for t in range(n_targets):
            window = collections.deque(calibration[:, h, t].tolist())  # in arrival order
            ordered, scores = sorted(window), new[:, h, t].tolist()
            widths: list[float] = []
            current, fed = alpha, 0
            for i in range(len(origins)):
                for j in range(fed, known[i]):  # feedback that has arrived since
                    current += step * (alpha - (scores[j] > widths[j]))
                    bisect.insort(ordered, scores[j])
                    window.append(scores[j])
                    del ordered[bisect.bisect_left(ordered, window.popleft())]
                fed = max(fed, known[i])
                rank = math.ceil((n + 1) * (1 - current) - 1e-9)
                widths.append(min(0.0, ordered[0]) if rank < 1 else ordered[min(rank, n) - 1])
            out[:, h, t] = widths
    return out


@dataclass
class Calibration:
    """Conformal scores of a fitted forecaster, and the intervals they give.

    Attributes:
        scores: method ("model", "naive") -> absolute validation errors `(n, horizon,
            n_targets)`, divided by each series' scale when `scales` is not empty.
        scales: series id -> its scale `(n_targets,)` (`series_scale` of its training rows,
            with lag `scale_lag`); empty for one series (errors in original units).
        choice: with `intervals="auto"`, the mode chosen on the validation windows: "used"
            (a `forecast.interval_choice.CANDIDATES` name), "reason" and "checked" (name ->
            level -> [coverage, interval score, its standard error, distinct values] on the
            late windows: `interval_choice.Check`); None otherwise.
        scale_lag: the lag of the series' scales (1: the mean absolute one-step change; the
            season: the seasonal-naive MAE), chosen on the validation windows for many series
            (`forecast.interval_choice.choose_scale`); scaling: why (None for one series).
    """

    scores: dict[str, np.ndarray]
    scales: dict[str, np.ndarray] = field(default_factory=dict)
    choice: dict[str, Any] | None = None  # intervals="auto": {"used", "reason", "checked"}
    scale_lag: int = 1  # the lag of `series_scale` (1, or the season: chosen on validation)
    scaling: str | None = None  # why that lag (`forecast.interval_choice.choose_scale`)

    @property
    def n(self) -> int:
        """Calibration windows."""
        return len(next(iter(self.scores.values())))

    def notes(self, levels: Sequence[float]) -> list[str]:
        """Sentences for a report: the levels too high for the calibration windows (n below
        `level / (100 - level)`, `too_few`): their scores are pooled over the horizon steps,
        each step's at its own scale (`pooled_scores`); with one step, or still too few, the
        largest score is used and coverage may fall short."""
        horizon, found = next(iter(self.scores.values())).shape[1], []
        for level in (lv for lv in levels if too_few(self.n, lv)):
            need = math.ceil(level / (100 - level) - 1e-9)
            head = f"{level:g}% intervals: {self.n} calibration windows are too few for the "
            if horizon > 1 and not too_few(self.n * horizon, level):
                found.append(
                    f"{head}conformal guarantee (it needs {need}); the errors of the {horizon} "
                    f"horizon steps are pooled, each step's divided by its mean error "
                    f"({self.n * horizon} scores), so the guarantee holds only approximately."
                )
            else:
                found.append(
                    f"{head}conformal guarantee (it needs {need}); they use the largest "
                    "validation error and may cover less. Use more validation data."
                )
        return found

    def describe(self, mode: str) -> dict[str, Any]:
        """What the run uses, JSON-ready: {"mode": the setting, "used": the mode applied,
        "reason": why, "checked": the held-out check} (`forecast.interval_choice`)."""
        scale = {"scale": self.scaling} if self.scaling else {}
        if mode == "auto" and self.choice:
            return {"mode": mode, **self.choice, **scale}
        return {"mode": mode, "used": mode, "reason": f"set by intervals={mode!r}", **scale}

    def scale_for(self, key: str, values: np.ndarray) -> np.ndarray | float:
        """The scale of series `key` `(n_targets,)`: saved at fit, else that of `values`
        `(rows, n_targets)` (a series the forecaster was not trained on); 1 for one series."""
        if not self.scales:
            return 1.0
        return self.scales[key] if key in self.scales else series_scale(values, self.scale_lag)

    def bounds(
        self,
        method: str,
        forecasts: np.ndarray,
        levels: Sequence[float],
        scale: np.ndarray | float = 1.0,
        origins: np.ndarray | None = None,
        actual: np.ndarray | None = None,
        pairs: Mapping[float, tuple[np.ndarray, np.ndarray]] | None = None,
        local: bool = False,
    ) -> dict[float, tuple[np.ndarray, np.ndarray]]:
        """Intervals around `forecasts` `(m, horizon, n_targets)` in original units.

        `scale` multiplies the scores back: the series' scale `(n_targets,)`, or with
        `local` (the window-scaled scores, `score_key(..., local=True)`) each window's
        `window_scale` `(m, 1, n_targets)`.

        Given actuals (`origins` `(m,)`, `actual` like `forecasts`), the half-widths adapt
        to the hits and misses known at each origin (`adaptive_half_widths`); otherwise they
        are fixed. Given quantile `pairs` (level -> (lo, hi) like `forecasts`), each pair is
        widened by its CQR scores instead (`score_key(method, level)`); CQR may also narrow a
        pair, but never past the point forecast: `lo <= forecasts <= hi` always holds. With
        too few windows for a level, the scores are pooled over steps (`scores_for`). Levels
        nest (`nested`).

        Returns:
            level -> (lo, hi), each like `forecasts`.
        """
        found = {}
        for level in levels:
            lo, hi = pairs[level] if pairs else (forecasts, forecasts)
            key = score_key(method, level if pairs else None, local)
            scores = scores_for(self.scores[key], level)
            if actual is not None and origins is not None:
                new = conformity(lo, hi, actual) / scale
                half = adaptive_half_widths(scores, new, origins, level) * scale
            else:
                half = conformal_quantile(scores, level)[None] * scale
            found[level] = (np.minimum(lo - half, forecasts), np.maximum(hi + half, forecasts))
        return nested(found)

    def to_arrays(self) -> tuple[dict[str, np.ndarray], dict[str, object]]:
        """Arrays for an `.npz` file and a JSON-ready description (series ids, mode)."""
        keys = list(self.scales)
        arrays = {f"scores_{m}": v for m, v in self.scores.items()}
        if keys:
            arrays["scales"] = np.stack([self.scales[k] for k in keys])
        info = {"methods": list(self.scores), "series": keys, "scale_lag": self.scale_lag}
        info.update({"scaling": self.scaling} if self.scaling else {})
        return arrays, {**info, **({"choice": self.choice} if self.choice else {})}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], info: Mapping[str, Any]) -> Calibration:
        """The inverse of `to_arrays`; raises KeyError or ValueError for inconsistent input."""
        scores = {m: np.asarray(arrays[f"scores_{m}"], np.float64) for m in info["methods"]}
        keys = [str(k) for k in info["series"]]
        scales = np.asarray(arrays["scales"], np.float64) if keys else np.empty((0, 0))
        if len(scales) != len(keys) or len({v.shape for v in scores.values()}) != 1:
            raise ValueError("series scales or score shapes do not match")
        found = cls(scores, dict(zip(keys, scales, strict=True)), info.get("choice"))
        found.scale_lag, found.scaling = int(info.get("scale_lag", 1)), info.get("scaling")
        return found


def nested(
    bounds: Mapping[float, tuple[np.ndarray, np.ndarray]],
) -> dict[float, tuple[np.ndarray, np.ndarray]]:
    """`bounds` (level -> (lo, hi)) with every level's interval containing every lower
    level's: each bound is taken outward to the next lower level's where it lies inside."""
    found: dict[float, tuple[np.ndarray, np.ndarray]] = {}
    inner = None
    for level in sorted(bounds):
        lo, hi = bounds[level]
        if inner is not None:
            lo, hi = np.minimum(lo, inner[0]), np.maximum(hi, inner[1])
        found[level] = inner = (lo, hi)
    return {level: found[level] for level in bounds}


def calibrate(
    errors: Mapping[str, Mapping[str, np.ndarray]],
    scales: Mapping[str, np.ndarray] | None = None,
) -> Calibration:
    """Pool validation errors into a `Calibration`.

    Args:
        errors: series id -> method -> absolute errors `(n_k, horizon, n_targets)` in
            original units (window-scaled ones, `LOCAL`, as they are).
        scales: series id -> scale `(n_targets,)`; None or empty for no scaling.
    """
    scales = {k: np.asarray(v, np.float64) for k, v in (scales or {}).items()}
    methods = list(next(iter(errors.values())))
    pooled = {
        m: np.concatenate(
            [e[m] / (1.0 if m.endswith(LOCAL) else scales.get(k, 1.0)) for k, e in errors.items()]
        )
        for m in methods
    }
    return Calibration(pooled, scales)


# ---------------------------------------------------------------------- scoring intervals
def pinball(y: np.ndarray, q: np.ndarray, tau: float) -> np.ndarray:
    """The pinball (quantile) loss of quantile forecasts `q` at level `tau`, elementwise."""
    diff = y - q
    return np.maximum(tau * diff, (tau - 1) * diff)


def _scores(y: np.ndarray, lo: np.ndarray, hi: np.ndarray, level: float) -> dict[str, np.ndarray]:
    """Elementwise coverage (0/1), width, pinball of the bounds and interval score."""
    alpha = 1 - level / 100
    below, above = np.maximum(lo - y, 0), np.maximum(y - hi, 0)
    return {
        "coverage": 100.0 * ((y >= lo) & (y <= hi)),
        "width": hi - lo,
        "pinball": 0.5 * (pinball(y, lo, alpha / 2) + pinball(y, hi, 1 - alpha / 2)),
        "MSIS": (hi - lo) + (2 / alpha) * (below + above),
    }


INTERVAL_METRICS = ("coverage", "width", "pinball", "MSIS")


def interval_table(
    y_true: np.ndarray,
    bounds: Mapping[str, Mapping[float, tuple[np.ndarray, np.ndarray]]],
    scale: np.ndarray,
    targets: Sequence[str],
) -> pd.DataFrame:
    """Score intervals overall and per horizon step.

    Args:
        y_true: actuals `(n, horizon, n_targets)`.
        bounds: method -> level -> (lo, hi), each like `y_true`.
        scale: the MSIS denominator per target `(n_targets,)` (the MASE scale).
        targets: target names.

    Returns:
        Columns `target, method, level, step` ("all" or 1..horizon), `coverage` (%),
        `width`, `pinball`, `MSIS`.
    """
    scale = np.asarray(scale, np.float64).reshape(-1)
    rows = []
    for method, levels in bounds.items():
        for level, (lo, hi) in levels.items():
            scores = _scores(y_true, lo, hi, level)
            scores["MSIS"] = scores["MSIS"] / scale
            overall = {k: v.mean(axis=(0, 1)) for k, v in scores.items()}
            per_step = {k: v.mean(axis=0) for k, v in scores.items()}
            for j, target in enumerate(targets):
                head = {"target": target, "method": method, "level": level}
                rows.append({**head, "step": "all", **{k: overall[k][j] for k in overall}})
                for h in range(y_true.shape[1]):
                    rows.append({**head, "step": h + 1, **{k: per_step[k][h, j] for k in per_step}})
    return pd.DataFrame(rows, columns=["target", "method", "level", "step", *INTERVAL_METRICS])


def full_coverage_notes(overall: pd.DataFrame, n_values: int) -> list[str]:
    """Sentences for the model's levels that covered every scored value although at least
    two misses were due (`n_values` actuals scored per target: windows x horizon steps):
    the intervals were wider than these actuals needed. `overall`: `Report.interval_overall`
    (index target, method, level; a `coverage` column)."""
    found = []
    for (target, method, level), row in overall.iterrows():
        if method != "model" or row["coverage"] < 100 or n_values * (100 - level) / 100 < 2:
            continue
        found.append(
            f"{level:g}% intervals ({target}) covered every scored value: wider than these "
            "actuals needed (the validation errors were larger, or too few to calibrate)."
        )
    return found


def series_coverage(
    actual: Mapping[str, np.ndarray],
    bounds: Mapping[str, Mapping[str, Mapping[float, tuple[np.ndarray, np.ndarray]]]],
    targets: Sequence[str],
) -> pd.DataFrame:
    """Coverage per series, beside the pooled one of `interval_table`.

    Args:
        actual: series id -> actuals `(n_k, horizon, n_targets)`.
        bounds: series id -> method -> level -> (lo, hi), each like its actuals.
        targets: target names.

    Returns:
        Columns series, target, method, then `coverage-80`, ... (% of the series' actuals
        inside), one row per (series, target, method).
    """
    rows = []
    for key, methods in bounds.items():
        y = actual[key]
        for method, levels in methods.items():
            inside = {
                lv: ((y >= lo) & (y <= hi)).mean(axis=(0, 1)) for lv, (lo, hi) in levels.items()
            }
            for j, target in enumerate(targets):
                rows.append({"series": key, "target": target, "method": method,
                             **{f"coverage-{level_name(lv)}": 100.0 * v[j]
                                for lv, v in inside.items()}})  # fmt: skip
    return pd.DataFrame(rows)


def concat_bounds(
    parts: Sequence[Mapping[str, Mapping[float, tuple[np.ndarray, np.ndarray]]]],
) -> dict[str, dict[float, tuple[np.ndarray, np.ndarray]]]:
    """Bounds of several series (each method -> level -> (lo, hi) `(n_k, horizon,
    n_targets)`) joined along windows, in the order given."""
    return {
        method: {
            level: tuple(np.concatenate([p[method][level][i] for p in parts]) for i in (0, 1))
            for level in levels
        }
        for method, levels in parts[0].items()
    }


def bound_columns(
    bounds: Mapping[float, tuple[np.ndarray, np.ndarray]], targets: Sequence[str] | None = None
) -> dict[str, np.ndarray]:
    """Bounds as named columns: level -> (lo, hi) `(n, horizon, n_targets)` becomes
    {"lo-80": lo, "hi-80": hi, ...}; with `targets`, one `(n * horizon,)` column per target
    and bound, {"OT-lo-80": ..., ...} (the layout of `Forecaster.predict`)."""
    found = {}
    for level, pair in bounds.items():
        if targets is None:
            found.update(zip(bound_names(level), pair, strict=True))
            continue
        for j, target in enumerate(targets):
            found.update(
                zip(bound_names(level, target), (b[..., j].reshape(-1) for b in pair), strict=True)
            )
    return found
