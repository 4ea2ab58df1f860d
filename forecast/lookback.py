"""The lookback setting and its choice on validation data: THE rule behind `lookback="auto"`.

`AUTO` ("auto") is the default lookback: `Forecaster.fit` sets it with `resolve` (the winner of
`choose`: the linear baseline, the map the default models start from, fitted on the training
windows for every candidate and scored by its MAE on the same validation windows,
`forecast.panel.lookback_choice` over many series) when the data has a validation part, and to
`FALLBACK` steps when it has none. `Forecaster.choose_lookback` / `resolve_lookback` call these.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from forecast import panel
from forecast.errors import ConfigError, check_positive_int
from forecast.linear import LookbackChoice
from forecast.windowing import SplitParts

AUTO = "auto"  # lookback setting: choose on the validation part
FALLBACK = 48  # lookback used for AUTO when there is no validation part


def is_auto(lookback: Any) -> bool:
    """Whether a lookback setting asks for the choice on validation (`AUTO`)."""
    return isinstance(lookback, str) and lookback.strip().lower() == AUTO


def choose(
    forecaster: Any, series: Any, val: Any, candidates: Sequence[int] | None
) -> LookbackChoice:
    """`Forecaster.choose_lookback`: every candidate (default: the forecaster's
    `default_lookbacks`) scored on the same validation windows of `series` (data, or a
    `SplitParts`); nothing is changed.

    Raises:
        ConfigError: without validation data (setting "val") or for a bad candidate.
        DataError: when no candidate fits the training part.
    """
    parts = isinstance(series, SplitParts)
    data = series if parts else forecaster.collection(series)  # read once
    if candidates is None:
        candidates = forecaster.default_lookbacks(data.train if parts else data)
    tried = sorted({check_positive_int("lookback candidate", int(c)) for c in candidates})
    if not tried:
        raise ConfigError("give at least one lookback candidate")
    origins = panel.origins_wanted(forecaster.val_origins, forecaster.horizon)
    choice, left_out = panel.lookback_choice(
        data, val, tried, forecaster.horizon, forecaster.scaler, forecaster.collection, origins
    )
    if left_out:
        frames = data.train if parts else data
        total = len(frames) if isinstance(frames, dict) else 1
        choice.windows_note = f"; {left_out} of {total} series too short to score"
    return choice


def resolve(
    forecaster: Any, series: Any, val: Any, candidates: Sequence[int] | None
) -> LookbackChoice | None:
    """`Forecaster.resolve_lookback`: set the forecaster's `lookback` to `choose`'s winner, or
    to `FALLBACK` without a validation part (with given `candidates`: ConfigError); the
    choice (None: the fallback) is kept in `lookback_choice_` and returned."""
    try:
        choice = choose(forecaster, series, val, candidates)
    except ConfigError as exc:
        if exc.setting != "val" or candidates is not None:
            raise
        choice = None
    forecaster.lookback_choice_ = choice
    forecaster.set_params(lookback=choice.lookback if choice else FALLBACK)
    return choice


def before(forecaster: Any, data: Any, cut: int, val: Any) -> int:
    """The lookback `resolve` gives `forecaster` on the first `cut` rows of every series of
    `data` (`{id: frame}`): a backtest chooses it once, before its first test block."""
    resolve(forecaster, {k: f.iloc[:cut] for k, f in data.items()}, val, None)
    return forecaster.lookback
