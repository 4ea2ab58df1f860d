"""The forecast combination: the model's forecasts blended with its own baselines, with
weights chosen on the validation windows.

After training, `Forecaster.fit` scores every validation window of every series (the spans
of `forecast.panel.window_spans`, after the guard) and calls `fit_combination`: for every
point of a simplex grid of weights over `MEMBERS` (the model, seasonal naive and the linear
baseline; step `STEP`), the scale-free validation error of the blend `w_model * model +
w_snaive * seasonal naive + w_linear * linear`, each series' mean absolute error divided by
its in-sample seasonal-naive error (the MASE of the panel's scored windows). The lowest
wins; on a tie the weights with more model weight (the model alone first).

The `combination` setting (`COMBINATIONS`) says where one set of weights holds:

- "panel": one set for every series, chosen on the pooled windows (all the evidence there is
  when a series holds one validation window, as tourism and M4 give);
- "series": a set per series, on that series' own windows;
- "auto" (the default): in a panel, a set per series for the series whose validation part
  holds at least `horizon` and `forecast.guard.MIN_WINDOWS` (24) windows, the model alone for
  the others and for a lone series (the guard's rule, `forecast.guard.auto_acts`); measured
  on the validation parts of the five development panels (`benchmarks/panels.py
  --validation`, `benchmarks/results/panels/`): per series on the hourly panels' 145
  windows it lowered MASE (GEFCom load 0.801 → 0.795, pedestrians 1.161 → 1.153), while one
  set for the panel chosen on one window per series raised it (tourism quarterly 2.058 →
  2.104, monthly 1.779 → 1.801: every series' window lies in the same weeks, so the panel's
  windows are one draw of the period, not hundreds);
- "none": the model alone.

Only series the model forecasts are blended (not a short series' fallback, not one the guard
gave to a baseline). A blend that gives the model less than all the weight drops the model's
quantile forecasts (they are not centred on the blend): intervals are then drawn from the
blend's validation errors, as for the guard. `Combination` is part of the fitted state
(saved in forecaster.json, reloaded bit for bit); `predict`, `predict_windows` and
`evaluate` blend alike. `Combination.summary()` is the line the CLI prints.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from forecast.errors import check_choice
from forecast.guard import CANDIDATES, auto_acts, on_model_spans
from forecast.settings import choices

COMBINATIONS = choices("combination")  # declared in `forecast.settings`
MEMBERS = ("model", *CANDIDATES)  # ("model", "seasonal_naive", "linear")
STEP = 0.1  # the weight grid's step
PANEL = "*"  # the key of the panel's weights in `Combination.weights`


def check_combination(value: str) -> str:
    """Check a `combination` setting against `COMBINATIONS` (ConfigError naming it)."""
    return check_choice("combination", value, COMBINATIONS)


def weight_grid(members: int, step: float = STEP) -> np.ndarray:
    """Every weight vector `(k, members)` on the simplex with steps of `step` (non-negative,
    summing to 1), the first member's weight descending (the first row is `(1, 0, ...)`)."""
    n = round(1 / step)

    def parts(left: int, slots: int) -> list[tuple[int, ...]]:
        if slots == 1:
            return [(left,)]
        return [(a, *rest) for a in range(left, -1, -1) for rest in parts(left - a, slots - 1)]

    return np.array(parts(n, members), dtype=np.float64) / n


@dataclass
class Combination:
    """The weights chosen on validation and their evidence.

    Attributes:
        mode: the `combination` setting it was fitted with.
        weights: `{series or PANEL: {member: weight}}` (members absent weigh 0); a series
            with weights of its own uses them, another the panel's (PANEL), if any.
        errors: `{"model": ..., "combined": ...}` the validation error (mean over series of
            MAE / in-sample seasonal-naive MAE) of the model alone and of the blend.
        windows: validation windows the choice rested on (all series).
    """

    mode: str
    weights: dict[str, dict[str, float]] = field(default_factory=dict)
    errors: dict[str, float] = field(default_factory=dict)
    windows: int = 0

    def weights_for(self, key: str) -> dict[str, float] | None:
        """The weights of series `key` (its own, else the panel's), or None: the model alone."""
        found = self.weights.get(key, self.weights.get(PANEL))
        if found is None or found.get("model", 0.0) == 1.0:
            return None
        return found

    def apply(
        self,
        key: str,
        preds: np.ndarray,
        bases: Mapping[str, np.ndarray],
        quants: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """`(forecasts, quantile forecasts)` of series `key`: the blend of the model's `preds`
        `(n, horizon, n_targets)` and the baselines' `bases` (same shapes) by its weights;
        unchanged without weights or when a weighted baseline is missing or not finite; the
        quantiles `(n, horizon, n_targets, Q)` are dropped when the blend changes."""
        weights = self.weights_for(key)
        if weights is None:
            return preds, quants
        out = weights.get("model", 0.0) * preds
        for name, w in weights.items():
            if name == "model" or w == 0.0:
                continue
            if name not in bases or not np.isfinite(bases[name]).all():
                return preds, quants
            out = out + w * bases[name]
        return out, None

    def apply_spans(self, spans: dict[str, tuple]) -> dict[str, tuple]:
        """`forecast.panel.window_spans` output with `apply` done on every series the model
        forecasts (method "model"; the method stays "model": the blend is the model's)."""

        def blended(key: str, span: Any) -> Any:
            preds, quants = self.apply(key, span.forecasts, span.baselines, span.quantiles)
            return span._replace(forecasts=preds, quantiles=quants)

        return on_model_spans(spans, blended)

    def summary(self) -> str:
        """One line: the weights chosen and the validation errors with and without them."""
        if not self.weights:
            return f"combination: {self.mode}: the model alone (no series to blend)"
        own = [k for k in self.weights if k != PANEL]
        if PANEL in self.weights:
            text = f"combination: {_weights_text(self.weights[PANEL])} for the panel"
            text += f", own weights for {len(own)} series" if own else ""
        else:
            blended = sum(self.weights[k].get("model", 0.0) < 1.0 for k in own)
            text = f"combination: own weights for {len(own)} series ({blended} blended)"
        model, combined = self.errors.get("model"), self.errors.get("combined")
        if model is not None and combined is not None:
            change = 100 * (combined / model - 1) if model > 0 else 0.0
            text += (
                f"; validation MASE {model:.4g} model alone, {combined:.4g} combined "
                f"({change:+.1f} %, {self.windows} windows)"
            )
        return text

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (forecaster.json, metrics.json); `from_dict` reads it back exactly."""
        return {
            "mode": self.mode,
            "weights": {k: {m: float(w) for m, w in v.items()} for k, v in self.weights.items()},
            "errors": {k: float(v) for k, v in self.errors.items()},
            "windows": int(self.windows),
            "summary": self.summary(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Combination:
        """Rebuild from `to_dict()`."""
        weights = {str(k): {str(m): float(w) for m, w in v.items()}
                   for k, v in data.get("weights", {}).items()}  # fmt: skip
        errors = {str(k): float(v) for k, v in data.get("errors", {}).items()}
        return cls(check_combination(data["mode"]), weights, errors, int(data.get("windows", 0)))


def _weights_text(weights: Mapping[str, float]) -> str:
    return " + ".join(f"{w:.1f} {m.replace('_', ' ')}" for m, w in weights.items() if w > 0)


def _errors(span: tuple, members: tuple[str, ...], grid: np.ndarray, scale: np.ndarray) -> Any:
    """Scaled validation MAE `(k,)` of every blend of `grid` `(k, len(members))` on one
    series' span (its forecasts the model's), each target's errors divided by `scale`."""
    stacked = np.stack([span.forecasts if m == "model" else span.baselines[m] for m in members])
    blends = np.tensordot(grid, stacked, axes=1)  # (k, n, horizon, n_targets)
    return (np.abs(blends - span.actual[None]) / scale).mean(axis=(1, 2, 3))


def _usable(span: tuple) -> tuple[str, ...]:
    """The members one series' span can blend: the model and each finite baseline."""
    finite = lambda name: name in span.baselines and np.isfinite(span.baselines[name]).all()  # noqa: E731
    return ("model", *(m for m in CANDIDATES if finite(m)))


def fit_combination(
    spans: Mapping[str, tuple],
    scales: Mapping[str, np.ndarray],
    mode: str,
    horizon: int,
    step: float = STEP,
) -> Combination | None:
    """The `Combination` of `mode` chosen on validation spans (`forecast.panel.window_spans`
    output after the guard: only the series whose method is "model" count); `scales` gives
    each series' in-sample seasonal-naive MAE `(n_targets,)` (a NaN or zero one: its mean
    absolute actual, else 1). None for "none", and for "auto" where no series holds enough
    windows."""
    if check_combination(mode) == "none":
        return None
    found = Combination(mode)
    kept = {k: s for k, s in spans.items() if s.method == "model"}
    scale = {k: _scale(scales.get(k), s.actual) for k, s in kept.items()}
    own = {
        k for k, s in kept.items()
        if mode == "series" or (mode == "auto" and auto_acts(spans, s.origins, horizon))
    }  # fmt: skip
    pooled = [k for k in kept if k not in own] if mode == "panel" else []
    model_alone, combined = [], []
    for key in own:
        members = _usable(kept[key])
        grid = weight_grid(len(members), step)
        errors = _errors(kept[key], members, grid, scale[key])
        best = int(np.argmin(errors))
        found.weights[key] = dict(zip(members, map(float, grid[best]), strict=True))
        model_alone.append(errors[0])
        combined.append(errors[best])
    if pooled:
        members = tuple(m for m in MEMBERS if all(m in _usable(kept[k]) for k in pooled))
        grid = weight_grid(len(members), step)
        errors = np.stack([_errors(kept[k], members, grid, scale[k]) for k in pooled])
        best = int(np.argmin(errors.mean(axis=0)))
        found.weights[PANEL] = dict(zip(members, map(float, grid[best]), strict=True))
        model_alone += list(errors[:, 0])
        combined += list(errors[:, best])
    if mode == "auto" and not found.weights:
        return None  # nothing to weigh: the model alone, as with "none"
    if model_alone:
        found.errors = {"model": float(np.mean(model_alone)), "combined": float(np.mean(combined))}
        found.windows = sum(len(kept[k].origins) for k in (*own, *pooled))
    return found


def _scale(scale: Any, actual: np.ndarray) -> np.ndarray:
    """A series' error scale `(n_targets,)`: `scale` where finite and positive, else the mean
    absolute actual, else 1."""
    n = actual.shape[-1]
    out = np.full(n, np.nan) if scale is None else np.asarray(scale, np.float64).reshape(n)
    level = np.abs(actual).reshape(-1, n).mean(axis=0)
    out = np.where(np.isfinite(out) & (out > 0), out, level)
    return np.where(np.isfinite(out) & (out > 0), out, 1.0)
