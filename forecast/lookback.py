"""The lookback setting and its choice on validation data: THE rule behind `lookback="auto"`.

`AUTO` ("auto") is the default lookback setting. `Forecaster.fit` resolves it into
`lookback_` (the setting itself stays as given): the winner of `choose` (the linear baseline,
the map the default models start from, fitted on the training windows for every candidate
and scored by its MAE on the same validation windows, `forecast.panel.lookback_choice` over
many series) when the data has a validation part, and `FALLBACK` steps when it has none.
Pure functions with explicit arguments; `Forecaster.choose_lookback` / `resolve_lookback`
call them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from forecast import panel
from forecast.errors import ConfigError, check_positive_int
from forecast.linear import LookbackChoice
from forecast.series_set import SeriesSet
from forecast.splits import SplitParts

AUTO = "auto"  # lookback setting: choose on the validation part
FALLBACK = 48  # lookback used for AUTO when there is no validation part


def is_auto(lookback: Any) -> bool:
    """Whether a lookback setting asks for the choice on validation (`AUTO`)."""
    return isinstance(lookback, str) and lookback.strip().lower() == AUTO


def choose(
    data: SeriesSet | SplitParts,
    val: Any,
    candidates: Sequence[int],
    horizon: int,
    scaler: str,
    collect: Callable[[Any], SeriesSet],
    origins: int = 1,
) -> LookbackChoice:
    """Every candidate lookback scored on the same validation windows of `data` (`{id:
    frame}`, or a `SplitParts`); nothing is changed.

    Args:
        data, val: as `forecast.panel.fit_parts` takes them (the series, or a `SplitParts`);
        candidates: lookbacks to try;
        horizon: steps forecast; scaler: the scaler method; collect: `Forecaster.collection`;
        origins: validation windows a series' cut validation part holds at least
        (`forecast.panel.roll_validation`).

    Raises:
        ConfigError: without validation data (setting "val") or for a bad candidate.
        DataError: when no candidate fits the training part.
    """
    tried = sorted({check_positive_int("lookback candidate", int(c)) for c in candidates})
    if not tried:
        raise ConfigError("give at least one lookback candidate")
    choice, left_out = panel.lookback_choice(data, val, tried, horizon, scaler, collect, origins)
    if left_out:
        total = len(data.sets().train if isinstance(data, SplitParts) else data)
        choice.windows_note = f"; {left_out} of {total} series too short to score"
    return choice


def resolve(
    choose_one: Callable[[], LookbackChoice], given: bool
) -> tuple[int, LookbackChoice | None]:
    """The lookback to use and the choice behind it: `choose_one()`'s winner, or `FALLBACK`
    (and None) when there is no validation part to choose on; with `given` candidates that
    is a ConfigError (setting "val") instead."""
    try:
        choice = choose_one()
    except ConfigError as exc:
        if exc.setting != "val" or given:
            raise
        return FALLBACK, None
    return choice.lookback, choice


def head(data: SeriesSet, cut: int) -> SeriesSet:
    """The first `cut` rows of every series of `data`: a backtest chooses its lookback once,
    on the rows before its first test block."""
    return data.map(lambda frame: frame.iloc[:cut])
