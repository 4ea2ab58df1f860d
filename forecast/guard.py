"""The guard against disasters: per series, the model against seasonal naive and the linear
baseline on the validation part, and what forecasts the series the model loses on.

`Forecaster.fit` scores every validation window of every series (`forecast.panel.window_spans`)
and calls `fit_guard`: each series' validation MAE of the model and of each baseline in
`CANDIDATES`. The `guard` setting (`GUARDS`) says what follows for the series on which the
best candidate beats the model:

- "auto" (the default): in a panel, "fallback" for the series whose validation part holds
  at least `horizon` and at least `MIN_WINDOWS` (24) windows (enough origins to judge),
  "report" for the others; a lone series is only reported (`auto_acts`). Chosen on the
  validation parts of the development panels (`benchmarks/panels.py --validation`): with
  one validation window per series (tourism, M4: the last h values) acting on the choice
  raised MASE (tourism quarterly 2.058 → 2.168 fallback, 2.091 combine), and with the
  validation part rolled to h windows (`val_origins="auto"`) too (tourism quarterly 8
  windows 2.153 → 2.220, M4 weekly 13 windows 2.519 → 2.711; tourism monthly 24 windows
  1.839 → 1.837, a tie); with 24 and 145 hourly windows it lowered it (pedestrian 1.348 →
  1.075 and 1.438 → 1.161; GEFCom load 0.800 → 0.801, a tie);
- "fallback": that candidate forecasts the series (named in `forecast_by` / `attrs["method"]`);
- "combine": the mean of the model's and that candidate's forecasts;
- "report": the model forecasts every series; the count is only reported.

`Guard.summary()` is the line the CLI prints and metrics.json keeps (`Guard.to_dict()`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from forecast.errors import check_choice
from forecast.settings import choices

GUARDS = choices("guard")  # declared in `forecast.settings`
CANDIDATES = ("seasonal_naive", "linear")  # what may stand in for the model on a series
COMBINED = "combined"  # the `forecast_by` prefix of a combined series: "combined:linear"
# "auto" acts where a series holds at least this many validation windows (and `horizon`):
# measured on the panels' validation parts, acting helped with 24 and 145 windows per series
# (pedestrian), tied with 24 (tourism monthly, rolled) and 145 (GEFCom), and hurt with 1
# (tourism, M4), 8 (tourism quarterly, rolled) and 13 (M4 weekly, rolled)
MIN_WINDOWS = 24


def check_guard(value: str) -> str:
    """Check a `guard` setting against `GUARDS` (ConfigError naming it)."""
    return check_choice("guard", value, GUARDS)


@dataclass
class Guard:
    """Per-series validation errors and the resulting choice.

    Attributes:
        mode: the `guard` setting it was fitted with.
        errors: `{series: {method: validation MAE}}` in original units (mean over the
            validation windows, steps and targets), for "model" and each candidate scored.
        choice: `{series: candidate}` for the series on which the candidate's validation MAE
            is below the model's (every mode records it).
        acting: the series of `choice` the guard acts on (none with "report"; with "auto"
            those with at least `horizon` validation windows).
    """

    mode: str
    errors: dict[str, dict[str, float]] = field(default_factory=dict)
    choice: dict[str, str] = field(default_factory=dict)
    acting: list[str] = field(default_factory=list)

    def losses(self, to: str) -> int:
        """How many series the model loses on against baseline `to` on validation."""
        return sum(e[to] < e["model"] for e in self.errors.values() if to in e)

    def acts(self, key: str) -> str | None:
        """The candidate that replaces ("fallback") or joins ("combine") the model on series
        `key`, or None."""
        return self.choice.get(key) if key in self.acting else None

    def apply(
        self,
        key: str,
        preds: np.ndarray,
        bases: Mapping[str, np.ndarray],
        quants: np.ndarray | None = None,
    ) -> tuple[np.ndarray, str, np.ndarray | None]:
        """`(forecasts, method, quantile forecasts)` of series `key` from the model's `preds`
        `(n, horizon, n_targets)`, the baselines' (same shapes) and the model's quantile
        forecasts `quants` `(n, horizon, n_targets, Q)` or None: unchanged ("model") unless
        the guard acts on the series; then the quantiles are dropped (they are not centred on
        a baseline's or a combined forecast), and `evaluate`, `predict_windows` and `predict`
        all draw the point forecast's conformal intervals around it."""
        other = self.acts(key)
        if other is None or other not in bases:
            return preds, "model", quants
        if self.mode in ("fallback", "auto"):
            return bases[other], other, None
        return 0.5 * (preds + bases[other]), f"{COMBINED}:{other}", None

    def apply_spans(self, spans: dict[str, tuple]) -> dict[str, tuple]:
        """`forecast.panel.window_spans` output with `apply` done on every series the model
        forecasts (its method then names the baseline, or "combined:<baseline>")."""

        def guarded(key: str, span: Any) -> Any:
            preds, method, quants = self.apply(key, span.forecasts, span.baselines, span.quantiles)
            return span._replace(forecasts=preds, method=method, quantiles=quants)

        return on_model_spans(spans, guarded)

    def summary(self) -> str:
        """One line: how many series the model loses on, and what the guard did."""
        n = len(self.errors)
        if not n:
            return "guard: no validation windows to compare the model with the baselines on"
        lost = ", ".join(
            f"{name.replace('_', ' ')} on {self.losses(name)}"
            for name in CANDIDATES
            if any(name in e for e in self.errors.values())
        )
        text = f"guard: on validation the model loses to {lost} of {n} series"
        chosen = [self.choice[k] for k in self.acting]
        if not chosen:
            return text + "; reported only"
        counts = {c: chosen.count(c) for c in CANDIDATES if c in chosen}
        verb = "combined with" if self.mode == "combine" else "forecast by"
        used = ", ".join(f"{c.replace('_', ' ')} ({k})" for c, k in counts.items())
        return f"{text}; {len(chosen)} series {verb} {used}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: mode, counts, choice and per-series errors (metrics.json, the config)."""
        return {
            "mode": self.mode,
            "series": len(self.errors),
            "losses": {c: self.losses(c) for c in CANDIDATES},
            "choice": dict(self.choice),
            "acting": list(self.acting),
            "errors": {k: {m: float(v) for m, v in e.items()} for k, e in self.errors.items()},
            "summary": self.summary(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Guard:
        """Rebuild from `to_dict()`."""
        errors = {str(k): {str(m): float(v) for m, v in e.items()}
                  for k, e in data.get("errors", {}).items()}  # fmt: skip
        choice = {str(k): str(v) for k, v in data.get("choice", {}).items()}
        acting = [str(k) for k in data.get("acting", [])]
        return cls(check_guard(data["mode"]), errors, choice, acting)


def on_model_spans(spans: dict[str, tuple], change: Callable[[str, Any], Any]) -> dict[str, tuple]:
    """`spans` (`forecast.panel.window_spans` output, `{id: Span}`) with `change(id, span)`,
    a new Span, in place of every span the model forecasts (method "model"): what the guard
    and the combination (`forecast.combination`) each do to the model's forecasts."""
    for key, span in spans.items():
        if span.method == "model":
            spans[key] = change(key, span)
    return spans


def auto_acts(spans: Mapping[str, tuple], preds: np.ndarray, horizon: int) -> bool:
    """Whether "auto" acts on a series: in a panel (several series; the setting was chosen
    on panels only, `benchmarks/panels.py --validation`) whose series holds at least
    `horizon` and at least `MIN_WINDOWS` validation windows. A lone series is only reported:
    its validation windows already chose its epoch and its intervals."""
    return len(spans) > 1 and len(preds) >= max(horizon, MIN_WINDOWS)


def fit_guard(spans: Mapping[str, tuple], mode: str, horizon: int) -> Guard:
    """The guard from validation spans (`forecast.panel.window_spans` output: `{id: (origins,
    forecasts, actuals, baselines, method, ...)}`); series a fallback forecast already are
    left out. A candidate is chosen for a series when its validation MAE is the lowest of the
    candidates and below the model's; `mode` and `horizon` say which choices act."""
    guard = Guard(check_guard(mode))
    for key, (_, preds, actual, bases, method, *_) in spans.items():
        if method != "model":
            continue
        errors = {"model": float(np.mean(np.abs(preds - actual)))}
        for name in CANDIDATES:
            if name in bases and np.isfinite(bases[name]).all():
                errors[name] = float(np.mean(np.abs(bases[name] - actual)))
        guard.errors[key] = errors
        best = min((n for n in errors if n != "model"), key=errors.get, default=None)
        if best is not None and errors[best] < errors["model"]:
            guard.choice[key] = best
            if mode in ("fallback", "combine") or (
                mode == "auto" and auto_acts(spans, preds, horizon)
            ):
                guard.acting.append(key)
    return guard
