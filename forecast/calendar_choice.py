"""The calendar of a fit, chosen on its validation data: THE rule behind `calendar="auto"`.

`Forecaster.fit` calls `choose` once for a new model, after the lookback is chosen and before
its data is cut: the training parts say which calendar features may be built
(`forecast.known_future.allowed`: those that vary at the frequency, day of year from two
training years); with `calendar="auto"` the linear baseline is fitted on the training windows
without and with them (as `forecast.known_future.probe_columns`: one-hot hour of the week, ...)
and scored on the same validation windows (`forecast.linear.calendar_scores`, in the
forecaster's own scaling), and the calendar is kept
when it lowers that MAE by `forecast.known_future.CALENDAR_GAIN`. The choice
(`forecast.known_future.CalendarChoice`) is kept in `calendar_choice_`, saved, and the columns
it built in `calendar_`, which a loaded forecaster builds again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from forecast import known_future, panel
from forecast.competition import m4_season
from forecast.known_future import CalendarChoice
from forecast.linear import calendar_scores
from forecast.scaling import PanelScaler
from forecast.series import series_info
from forecast.series_set import SeriesSet

DAYS_PER_YEAR = 365.25


def choose(
    setting: str,
    series: Any,
    val: Any,
    lookback: int,
    horizon: int,
    collect: Callable[[Any], SeriesSet],
    season: Any,
    scaler: str,
    series_scaling: str,
) -> CalendarChoice | None:
    """The calendar a new model reads, for the calendar `setting` on `series` / `val` (as
    `Forecaster.fit` takes them): None for "none"; "on": every allowed feature; "auto":
    `known_future.decide` on the validation windows (off without timestamps or a validation
    part).

    Args:
        lookback, horizon: the window; collect: `Forecaster.collection` building no calendar
            (the parts the choice compares are cut without one); season, scaler,
            series_scaling: the Forecaster's settings of those names (its own scaling).

    Raises:
        DataError: with calendar="on" on data without timestamps (step numbers).
    """
    if setting == "none":
        return None
    _, train, held, starts = panel.fit_parts(series, val, lookback, horizon, collect)
    first = next(iter(train.values()))
    if not isinstance(first.index, pd.DatetimeIndex):
        if setting == "on":  # the one error of calendar features without timestamps
            known_future.features(first, first.index, setting, None)
        return CalendarChoice(setting, (), "the data has no timestamps (rows are step numbers)")
    found = known_future.allowed(series_info(first)["freq"], training_years(train))
    scores = None
    if setting == "auto" and found[0] and held:
        probe = PanelScaler(scaler, series_scaling, m4_season(series_info(first)["freq"], season))
        scores = _scores(probe, train, held, starts, found[0], lookback, horizon)
    choice = known_future.decide(setting, found, scores)
    if scores is None and choice.setting == "auto" and found[0] and held:
        choice.reason = "too few training windows to compare it on validation"
    return choice


def training_years(train: SeriesSet) -> float:
    """The longest training part's time span in years (0 without timestamps)."""
    spans = [
        (f.index[-1] - f.index[0]).days / DAYS_PER_YEAR
        for f in train.values()
        if isinstance(f.index, pd.DatetimeIndex) and len(f)
    ]
    return max(spans, default=0.0)


def _scores(
    scaler: PanelScaler,
    train: SeriesSet,
    held: SeriesSet,
    starts: dict[str, int],
    features: tuple[str, ...],
    lookback: int,
    horizon: int,
) -> tuple[float, float, int] | None:
    """`forecast.linear.calendar_scores` of the parts, in the forecaster's own scaling
    (`scaler`, fitted here on the training parts), with the probe columns of the calendar
    `features` (`forecast.known_future.probe_columns`)."""
    targets = list(series_info(next(iter(train.values())))["target"])
    scaler = scaler.fit_panel(train, targets=targets)
    n = len(targets)

    def arrays(key: str, frame: pd.DataFrame) -> tuple:
        scaled = scaler.transform(frame, np.float64, key=key)[:, :n]
        return scaled, known_future.probe_columns(frame, features)

    fit = [arrays(k, f) for k, f in train.items()]
    scored = [(*arrays(k, f), starts[k]) for k, f in held.items() if k in train]
    if not scored:
        return None
    return calendar_scores(fit, scored, lookback, horizon)
