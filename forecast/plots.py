"""PNG plots of forecasts, learning curves and attention weights (no display needed).

Each function draws one figure, writes it as a PNG, closes it and returns the path. The Agg
backend is selected here, before pyplot is imported, so plotting works on servers and in CI.

- `plot_forecast`: the actual series over the evaluated span beside the model's forecasts at
  horizon step 1 and at the last step, the naive, seasonal-naive and linear baselines for the
  same windows, and the future forecast after the end of the data.
- `plot_history`: loss and val_loss by epoch (other metrics in their own panels), with the
  best epoch marked.
- `plot_attention`: self-attention weights over lags, as a heatmap and as bars.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from forecast import known_future
from forecast.errors import ConfigError, DataError

if TYPE_CHECKING:
    from forecast.forecaster import Forecaster

DPI = 110
BASELINE_COLORS = {"naive": "tab:orange", "seasonal_naive": "tab:green", "linear": "tab:red"}


def _save(fig: Any, path: str | os.PathLike) -> Path:
    file = Path(path)
    if file.suffix.lower() != ".png":
        raise ConfigError(f"plots are written as PNG; give a path ending in .png, got {file.name}")
    file.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(file, dpi=DPI, format="png")
    return file


def _mae(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(np.abs(a - b)))


def plot_forecast(
    forecaster: Forecaster,
    series: Any,
    path: str | os.PathLike,
    test: Any = None,
    last: int | None = None,
    series_id: str | None = None,
) -> Path:
    """Plot actual values beside the model's and the baselines' forecasts, and the future.

    Over the span that `forecaster.evaluate(series, test=test)` scores, each target gets a
    panel with: the actual series; the model's forecast at horizon step 1 and at the last step
    (each window's forecast drawn at the time it is for); the naive, seasonal-naive and linear
    forecasts at the last step for the same windows; and `forecaster.predict(series)`, the
    `horizon` steps after the end. The legend gives each line's MAE over the span. With an
    interval calibration (`Forecaster(intervals=...)`), the 80 % and 95 % bands are shaded
    around the future and the 80 % band around the step-1 forecast.

    Args:
        forecaster: a fitted `Forecaster`.
        series: one series (a frame, CSV path or one-entry collection) in the forecaster's
            columns, with `lookback` rows of context before the scored span.
        path: the PNG file to write.
        test: where the scored targets begin, as in `Forecaster.evaluate`: a fraction or row
            count at the end, or a timestamp; default: every window.
        last: draw only the last `last` time steps of the span (the future is always drawn).
        series_id: the series of a collection to draw (named in the titles).

    Returns:
        The path of the PNG written.

    Raises:
        ConfigError: for an unfitted forecaster, a collection of several series or a bad `last`.
        DataError: when the span holds no complete window.
    """
    if not getattr(forecaster, "is_fitted", False):
        raise ConfigError("plot_forecast needs a fitted Forecaster; call fit(series) first")
    if last is not None and not (isinstance(last, (int, np.integer)) and last >= 1):
        raise ConfigError(f"last must be a positive integer or None, got {last!r}")
    frames = forecaster.collection(series)  # a member of a collection keeps its id
    if series_id is not None:
        if str(series_id) not in frames:
            known = ", ".join(list(frames)[:5]) + (", ..." if len(frames) > 5 else "")
            raise ConfigError(f"series {series_id!r} not found; series are: {known}",
                              setting="series")  # fmt: skip
        frames = frames.only([str(series_id)])
    if len(frames) != 1:
        raise ConfigError(
            f"plot_forecast draws one series; pass one of the {len(frames)} series "
            f"({', '.join(list(frames)[:5])}{', ...' if len(frames) > 5 else ''})"
        )
    key, frame = next(iter(frames.items()))
    lookback, horizon = forecaster.lookback_, forecaster.horizon
    targets = list(forecaster.columns_[: forecaster.n_targets_])

    levels = None  # the 80 and 95 % bands, or those of them quantile heads serve
    if getattr(forecaster, "calibration_", None) is not None:
        levels = forecaster.check_levels((80, 95), strict=False)
    windows = forecaster.predict_windows(frames, start=test, baselines=True, levels=levels)
    first_step = windows[windows["step"] == 1]
    first_times = pd.Index(first_step["time"].drop_duplicates())
    origins = frame.index.get_indexer(first_times)
    n = len(origins)
    # (n, horizon, n_targets): predict_windows is ordered by window, step, target.
    preds = windows["forecast"].to_numpy().reshape(n, horizon, len(targets))
    values = frame.to_numpy(dtype=np.float64)[:, : len(targets)]
    bases = {
        name: windows[name].to_numpy().reshape(n, horizon, len(targets))
        for name in BASELINE_COLORS
        if name in windows
    }
    # Known-future covariates without the rows that give them: no future to draw.
    unknown = known_future.names(forecaster.future_covariates) and key not in frames.future
    predicted = None if unknown else forecaster.predict(frames, levels=levels)
    future = predicted if frames.lone or predicted is None else predicted[key]
    band = {  # the 80 % band (the first level) of step 1, (n, n_targets) each
        k: windows[f"{k}-{levels[0]:g}"].to_numpy().reshape(n, horizon, len(targets))[:, 0]
        for k in ("lo", "hi")
        if levels
    }

    span = frame.index[origins[0] :]
    shown_from = span[-last] if last is not None and last < len(span) else span[0]
    times_first = frame.index[origins]
    times_last = frame.index[origins + horizon - 1]
    actual_first = values[origins]
    actual_last = values[origins + horizon - 1]

    fig, axes = plt.subplots(
        len(targets), 1, figsize=(11, 3.4 * len(targets)), squeeze=False, sharex=True
    )
    try:
        for j, (ax, name) in enumerate(zip(axes[:, 0], targets, strict=True)):
            keep_first = times_first >= shown_from
            keep_last = times_last >= shown_from
            keep_span = span >= shown_from
            ax.plot(
                span[keep_span],
                values[origins[0] :, j][keep_span],
                color="black",
                lw=1.4,
                label="actual",
            )
            ax.plot(
                times_first[keep_first],
                preds[:, 0, j][keep_first],
                color="tab:blue",
                lw=1.1,
                label=f"model, step 1 (MAE {_mae(preds[:, 0, j], actual_first[:, j]):.4g})",
            )
            if band:
                ax.fill_between(
                    times_first[keep_first], band["lo"][keep_first, j], band["hi"][keep_first, j],
                    color="tab:blue", alpha=0.15, lw=0,
                    label=f"model, step 1, {levels[0]:g}% interval",
                )  # fmt: skip
            if horizon > 1:
                ax.plot(
                    times_last[keep_last],
                    preds[:, -1, j][keep_last],
                    color="tab:purple",
                    lw=1.1,
                    label=(
                        f"model, step {horizon} "
                        f"(MAE {_mae(preds[:, -1, j], actual_last[:, j]):.4g})"
                    ),
                )
            for base, color in BASELINE_COLORS.items():
                if base not in bases:
                    continue
                guess = bases[base][:, -1, j]
                label = base.replace("_", " ")
                ax.plot(
                    times_last[keep_last],
                    guess[keep_last],
                    color=color,
                    lw=0.9,
                    ls="--",
                    label=f"{label}, step {horizon} (MAE {_mae(guess, actual_last[:, j]):.4g})",
                )
            if future is not None:
                ax.plot(
                    future.index,
                    future[name].to_numpy(),
                    color="tab:red",
                    lw=1.6,
                    marker="o",
                    ms=2.5,
                    label=f"future ({horizon} steps)",
                )
            shown = tuple(levels or ()) if future is not None else ()
            for level, alpha in zip(shown, (0.3, 0.15)[: len(shown)], strict=True):
                ax.fill_between(
                    future.index, future[f"{name}-lo-{level:g}"], future[f"{name}-hi-{level:g}"],
                    color="tab:red", alpha=alpha, lw=0, label=f"future, {level:g}% interval",
                )  # fmt: skip
            ax.axvline(frame.index[-1], color="grey", lw=0.8, ls=":")
            ax.set_ylabel(name)
            where = "" if frames.lone else f"series {key}, "
            ax.set_title(f"{where}{name}: {n} windows (lookback {lookback}, horizon {horizon})")
            ax.grid(alpha=0.3)
            ax.legend(loc="upper left", fontsize=7, ncol=2)
        axes[-1, 0].set_xlabel(frame.index.name or "time")
        fig.autofmt_xdate()
        fig.tight_layout()
        return _save(fig, path)
    finally:
        plt.close(fig)


def _best_epoch(history: Mapping[str, Sequence[float]]) -> tuple[str, int] | None:
    for key in ("val_loss", "loss"):
        values = np.asarray(history.get(key, []), dtype=np.float64)
        if values.size and np.isfinite(values).any():
            return key, int(np.nanargmin(np.where(np.isfinite(values), values, np.nan))) + 1
    return None


def plot_history(history: Mapping[str, Sequence[float]], path: str | os.PathLike) -> Path:
    """Plot learning curves by epoch and mark the best epoch.

    The first panel holds `loss` and `val_loss`; every other metric (`mae` with its
    `val_mae`, `learning_rate`, ...) gets its own panel. The best epoch, the one with the
    lowest `val_loss` (or `loss` without validation), is marked in every panel: it is the
    epoch whose weights early stopping keeps.

    Args:
        history: metric name → one value per epoch, e.g. `Forecaster.history_` or
            `keras.callbacks.History.history`.
        path: the PNG file to write.

    Returns:
        The path of the PNG written.

    Raises:
        DataError: when the history holds no epoch.
    """
    curves = {str(k): np.asarray(v, dtype=np.float64) for k, v in history.items() if len(v)}
    if not curves:
        raise DataError("the history is empty; train for at least one epoch before plotting")
    panels: list[list[str]] = []
    if "loss" in curves or "val_loss" in curves:
        panels.append([k for k in ("loss", "val_loss") if k in curves])
    for key in curves:
        base = key[4:] if key.startswith("val_") else key
        if base == "loss" or any(key in p for p in panels):
            continue
        panels.append([k for k in (base, f"val_{base}") if k in curves] or [key])
    best = _best_epoch(curves)

    fig, axes = plt.subplots(
        len(panels), 1, figsize=(8, 3.0 * len(panels)), squeeze=False, sharex=True
    )
    try:
        for ax, keys in zip(axes[:, 0], panels, strict=True):
            for key in keys:
                epochs = np.arange(1, len(curves[key]) + 1)
                ax.plot(epochs, curves[key], marker="o", ms=3, label=key)
                if best is not None and best[1] <= len(curves[key]):
                    ax.plot(best[1], curves[key][best[1] - 1], "r*", ms=11)
            if best is not None:
                ax.axvline(best[1], color="red", lw=0.8, ls="--")
            ax.set_ylabel(keys[0])
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8)
        if best is not None:
            key, epoch = best
            axes[0, 0].set_title(f"best epoch {epoch} (lowest {key} {curves[key][epoch - 1]:.4g})")
        axes[-1, 0].set_xlabel("epoch")
        axes[-1, 0].xaxis.set_major_locator(MaxNLocator(integer=True))
        fig.tight_layout()
        return _save(fig, path)
    finally:
        plt.close(fig)


def plot_attention(weights: np.ndarray, path: str | os.PathLike) -> Path:
    """Plot self-attention weights over lags: a heatmap and the last step's weights as bars.

    Column `j` of a `(lookback, lookback)` matrix is input step `j`, shown as its lag
    `lookback - j` (lag 1 is the last observed step); row `i` is the query step. The bars show
    the last row, how much the final recurrent state draws on each lag, which is what the
    forecast head sees last.

    Args:
        weights: `(lookback, lookback)` attention matrix (e.g. `Forecaster.attention(series)`),
            or `(lookback,)` weights of one query; rows are expected to sum to 1.
        path: the PNG file to write.

    Returns:
        The path of the PNG written.

    Raises:
        DataError: for weights that are not 1-D or square 2-D, or not finite.
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim not in (1, 2) or (w.ndim == 2 and w.shape[0] != w.shape[1]) or w.size == 0:
        raise DataError(
            f"attention weights must be (lookback, lookback) or (lookback,), got shape {w.shape}"
        )
    if not np.isfinite(w).all():
        raise DataError("attention weights hold NaN or infinite values")
    lookback = w.shape[-1]
    lags = lookback - np.arange(lookback)  # lag of each input step: lookback, ..., 1
    row = w[-1] if w.ndim == 2 else w

    fig, axes = plt.subplots(
        1, 2 if w.ndim == 2 else 1, figsize=(12 if w.ndim == 2 else 7, 4.6), squeeze=False
    )
    try:
        if w.ndim == 2:
            ax = axes[0, 0]
            image = ax.imshow(w, aspect="auto", cmap="viridis", origin="upper")
            every = max(1, int(np.ceil(lookback / 8)))
            ticks = np.arange(lookback - 1, -1, -every)[::-1]  # lag 1 always labelled
            ax.set_xticks(ticks, [str(lags[t]) for t in ticks])
            ax.set_yticks(ticks, [str(t + 1) for t in ticks])
            ax.set_xlabel("input lag (1 = last observed step)")
            ax.set_ylabel("query step")
            ax.set_title("attention weights")
            fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
        ax = axes[0, -1]
        ax.bar(lags, row, width=0.85, color="tab:blue")
        ax.invert_xaxis()  # time runs left to right: the oldest lag first
        top = int(lags[int(np.argmax(row))])
        ax.set_xlabel("lag (1 = last observed step)")
        ax.set_ylabel("weight")
        ax.set_title(f"last query step: weight by lag (largest at lag {top})")
        ax.grid(alpha=0.3, axis="y")
        fig.tight_layout()
        return _save(fig, path)
    finally:
        plt.close(fig)
