"""Choosing the lookback on validation data: THE rule behind `lookback="auto"`.

For each candidate lookback, fit the linear baseline (the map the default models start from,
`forecast.linear`) on the training windows, in the scaler's units, and score its MAE on the
validation windows; the lowest wins (ties: the shorter). It combines the split
(`forecast.windowing.fit_parts`), a scaler fitted on the training part and the linear scoring
(`forecast.linear.choose_lookback`), so it sits above those stages; `Forecaster` calls it.

`AUTO` ("auto") is the default lookback: chosen this way when the data has a validation part,
`FALLBACK` steps when it has none.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from forecast.errors import ConfigError, DataError, check_positive_int
from forecast.linear import LookbackChoice, choose_lookback, longest_fitting
from forecast.scaling import SeriesScaler
from forecast.series import SINGLE, series_info, series_label
from forecast.windowing import fit_parts

AUTO = "auto"  # lookback setting: choose on the validation part
FALLBACK = 48  # lookback used for AUTO when there is no validation part


def check_train_length(train: Mapping[str, pd.DataFrame], lookback: int, horizon: int) -> None:
    """Raise DataError when a training part `{id: frame}` has fewer than `lookback + horizon`
    rows (no whole window)."""
    need = lookback + horizon
    for key, frame in train.items():
        if len(frame) < need:
            raise DataError(
                f"{series_label(key)}the training slice has {len(frame)} rows but lookback + "
                f"horizon = {need}; use a shorter lookback or horizon, or more data"
            )


def choose_on_validation(
    data: Mapping[str, pd.DataFrame],
    val: Any,
    candidates: Sequence[int],
    horizon: int,
    scaler: str,
    collect: Callable[[Any], dict[str, pd.DataFrame]],
) -> LookbackChoice:
    """Score every candidate on the same validation windows of `data`.

    Args:
        data: `{id: frame}` as `collect` gives it (targets first), or a `SplitParts`.
        val: as `Forecaster.fit` takes it (fraction, rows, frame, `SplitSpec`).
        candidates: lookbacks to try.
        horizon: steps forecast.
        scaler: the scaler method, fitted on the training part (`forecast.scaling`).
        collect: `Forecaster.collection`.

    Returns a `LookbackChoice`. Raises ConfigError (setting "val") without validation data
    and for a bad candidate, DataError when no candidate fits the training part.
    """
    tried = sorted({check_positive_int("lookback candidate", int(c)) for c in candidates})
    if not tried:
        raise ConfigError("give at least one lookback candidate")
    _, train, held, starts = fit_parts(data, val, tried[-1], horizon, collect, SINGLE)
    shortest = min(len(frame) for frame in train.values())
    if longest_fitting(tried, shortest, horizon) is None:
        check_train_length(train, tried[0], horizon)
    if not held:
        need = "choosing the lookback needs validation data; give val"
        raise ConfigError(need, setting="val")
    targets = list(series_info(next(iter(train.values())))["target"])
    pooled = pd.concat(list(train.values()), ignore_index=True)
    fitted = SeriesScaler(scaler).fit(pooled, targets=targets)
    n = len(targets)
    return choose_lookback(
        [fitted.transform(f)[:, :n] for f in train.values()],
        [(fitted.transform(f)[:, :n], starts[k]) for k, f in held.items()],
        tried,
        horizon,
    )


def is_auto(lookback: Any) -> bool:
    """Whether a lookback setting asks for the choice on validation (`AUTO`)."""
    return isinstance(lookback, str) and lookback.strip().lower() == AUTO
