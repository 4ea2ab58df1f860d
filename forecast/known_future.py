"""Known-future covariates: columns whose values over the forecast horizon are known ahead.

Three sources, all read by the model over the horizon (not only over the lookback):

- `future_covariates`: columns of the data (planned events, weather forecasts, prices). To
  forecast, the data holds them for the next `horizon` rows after the last target value
  (rows with the target empty: `load_series(future_rows=True)` keeps them aside; inside
  the package they travel as `SeriesSet.future`, handed to `extended` / `future_frame`).
- the calendar: hour-of-day, day-of-week and day-of-year as sin/cos pairs, only those that
  vary at the data's frequency (`calendar_columns`), in the data's local time; never day of
  year from training parts shorter than `YEARDAY_YEARS` (2) years (`allowed`).
  `calendar="on"` builds them; `calendar="auto"` chooses them on or off on the validation
  windows (`decide`: the linear baseline with and without them, `probe_columns`,
  `forecast.linear.calendar_scores`; kept when they lower its MAE by `CALENDAR_GAIN`); the choice
  (`CalendarChoice`) is saved, and a loaded forecaster builds the columns it was fitted with.
- `holidays="US"`: a 0/1 public-holiday column (the optional `holidays` package:
  `pip install "forecast[holidays]"`).

Column convention: targets, past covariates, future covariates, then the derived calendar
columns (`with_calendar` appends them); the model's window then spans `lookback + horizon`
rows and only the future columns of its last `horizon` rows are read
(`forecast.models.known_future`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from forecast.errors import ConfigError, DataError, check_choice
from forecast.series import future_index
from forecast.series_set import FutureRows
from forecast.settings import choices

CALENDARS = choices("calendar")  # calendar= / --calendar (`forecast.settings`)
HOLIDAY = "holiday"  # the name of the holidays column
YEARDAY_YEARS = 2.0  # training years a day-of-year column needs (one year: one sample per day)
CALENDAR_GAIN = 0.01  # calendar="auto" keeps the calendar when it lowers validation MAE by 1 %
# name -> (the longest step at which it still varies, its value in [0, 1) of its cycle)
_FEATURES = {
    "hour": (pd.Timedelta(days=1), lambda t: (t.hour + t.minute / 60) / 24),
    "weekday": (pd.Timedelta(days=7), lambda t: (t.dayofweek + t.hour / 24) / 7),
    "yearday": (
        pd.Timedelta(days=365),
        lambda t: (t.dayofyear - 1 + t.hour / 24) / (365 + t.is_leap_year),
    ),
}


def names(value: str | Sequence[str] | None) -> list[str]:
    """Column names as a list: one name, several, or none."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def check_holidays(country: Any) -> str | None:
    """Return the country code upper-cased (None: no holidays column).

    Raises:
        ConfigError: (setting `holidays`) when the `holidays` package is missing, naming the
            extra that installs it, or for a country code it does not know.
    """
    if country is None:
        return None
    try:
        import holidays as lib
    except ImportError:
        raise ConfigError(
            f"holidays={country!r} needs the holidays package: pip install 'forecast[holidays]'",
            setting="holidays",
        ) from None
    code = str(country).upper()
    if not isinstance(country, str) or code not in lib.list_supported_countries():
        raise ConfigError(
            f"holidays must be a country code the holidays package knows, like 'US', 'GB' or "
            f"'DE'; got {country!r}",
            setting="holidays",
        )
    return code


def check_settings(future_covariates: Any, covariates: Any, calendar: Any, holidays: Any) -> None:
    """Check the known-future settings before any data is read.

    Raises:
        ConfigError: for an unknown `calendar`, a bad `holidays` (`check_holidays`), or a
            column both a past and a future covariate.
    """
    check_choice("calendar", calendar, CALENDARS)
    check_holidays(holidays)
    both = sorted(set(names(future_covariates)) & set(names(covariates)))
    if both:
        raise ConfigError(
            f"column {both[0]!r} is both a covariate and a future covariate; give it once",
            setting="future_covariates",
        )


def is_used(future_covariates: Any, calendar: str, holidays: Any) -> bool:
    """Whether any known-future input is configured (the model then may read the horizon)."""
    return bool(names(future_covariates)) or calendar != "none" or holidays is not None


def calendar_features(calendar: str | Sequence[str]) -> tuple[str, ...]:
    """The calendar features asked for: a setting ("none": none; "auto", "on": every one,
    those that vary at the frequency are built) or the features themselves."""
    if isinstance(calendar, str):
        return () if calendar == "none" else tuple(_FEATURES)
    return tuple(f for f in _FEATURES if f in set(calendar))


def features_of(columns: Sequence[str]) -> tuple[str, ...]:
    """The calendar features of derived column names (`hour_sin`, ... → `hour`, ...)."""
    return tuple(f for f in _FEATURES if f"{f}_sin" in set(columns))


def building(fitted_columns: Sequence[str] | None, choice: CalendarChoice | None) -> tuple:
    """The calendar features a Forecaster's data gets: those it was fitted with (its
    `calendar_` columns), else those `fit` chose (`choice`), else none (before the choice:
    the lookback is chosen on the targets alone)."""
    if fitted_columns is not None:
        return features_of(fitted_columns)
    return choice.features if choice is not None else ()


def allowed(freq: str | None, years: float) -> tuple[tuple[str, ...], str]:
    """The calendar features that vary at `freq`, day of year only from `YEARDAY_YEARS`
    training years, and a note saying why day of year is left out ("" when it is not)."""
    found = tuple(n for n in _FEATURES if freq is not None and _step(freq) < _FEATURES[n][0])
    if "yearday" in found and years < YEARDAY_YEARS:
        note = (f"no day-of-year columns: the training parts span {years:.1f} years "
                f"({YEARDAY_YEARS:g} needed)")  # fmt: skip
        return tuple(n for n in found if n != "yearday"), note
    return found, ""


def probe_columns(frame: pd.DataFrame, features: Sequence[str]) -> np.ndarray:
    """What the linear probe of `calendar="auto"` reads of the calendar `features` at each
    row of `frame` `(rows, k)`: one-hot hour of the week (hour and weekday), hour of the day or
    day of the week, and day of year as sin/cos of its first two harmonics; in local time.

    A linear map of these gives any hour-of-week (or -day, -week) profile at every horizon
    step, as the model's non-linear path can from the sin/cos columns: a weekend is a step, not
    a sine, so the sin/cos pairs alone would understate what the calendar tells the model."""
    when = _local(frame, frame.index)
    hour, day = np.asarray(when.hour), np.asarray(when.dayofweek)
    cells, width = None, 0
    if "hour" in features and "weekday" in features:
        cells, width = day * 24 + hour, 168
    elif "hour" in features:
        cells, width = hour, 24
    elif "weekday" in features:
        cells, width = day, 7
    out = [np.eye(width)[cells]] if cells is not None else []
    if "yearday" in features:
        angle = 2 * np.pi * np.asarray(_FEATURES["yearday"][1](when), dtype=np.float64)
        out += [np.column_stack([f(k * angle) for k in (1, 2) for f in (np.sin, np.cos)])]
    return np.hstack(out) if out else np.empty((len(frame), 0))


@dataclass
class CalendarChoice:
    """The calendar a fit uses and why (`decide`).

    Attributes:
        setting: "auto" or "on"; features: the calendar features built (() off).
        reason: one sentence; mae_without, mae_with: the linear baseline's validation MAE
            (scaled units) without and with them (None: not compared); windows: scored.
    """

    setting: str
    features: tuple[str, ...] = ()
    reason: str = ""
    mae_without: float | None = None
    mae_with: float | None = None
    windows: int = 0

    def summary(self) -> str:
        """One line: `calendar: on (hour, weekday): ...` / `calendar: off: ...`."""
        state = f"on ({', '.join(self.features)})" if self.features else "off"
        return f"calendar: {state}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["features"] = list(self.features)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CalendarChoice:
        """A choice from `to_dict`; raises KeyError/TypeError/ValueError for a bad one."""
        features = tuple(str(f) for f in data["features"])
        if set(features) - set(_FEATURES):
            raise ValueError(f"unknown calendar features {features}")
        scores = data.get("mae_without"), data.get("mae_with"), int(data.get("windows", 0))
        return cls(str(data["setting"]), features, str(data.get("reason", "")), *scores)


def decide(
    setting: str,
    found: tuple[tuple[str, ...], str],
    scores: tuple[float, float, int] | None,
) -> CalendarChoice:
    """The calendar of a fit.

    Args:
        setting: "on" (every feature `found` allows) or "auto" (on when `scores` show a gain of
            at least `CALENDAR_GAIN`).
        found: `allowed`'s features and note.
        scores: the linear baseline's validation MAE without and with the calendar, and the
            windows scored (`forecast.linear.calendar_scores`); None without a validation part.
    """
    features, note = found
    extra = f"; {note}" if note else ""
    if not features:
        return CalendarChoice(setting, (), f"no calendar column varies at this frequency{extra}")
    if setting == "on":
        return CalendarChoice(setting, features, f"as given (calendar='on'){extra}")
    if scores is None:
        return CalendarChoice(setting, (), f"no validation part to choose it on{extra}")
    without, with_, windows = scores
    change = 100 * (with_ / without - 1) if without > 0 else 0.0
    keep = with_ <= without * (1 - CALENDAR_GAIN)
    verdict = "kept" if keep else f"not kept (needs {-100 * CALENDAR_GAIN:+.0f} %)"
    reason = (f"the linear baseline's validation MAE {without:.4g} without, {with_:.4g} with "
              f"({change:+.1f} %, {windows} windows): {verdict}{extra}")  # fmt: skip
    return CalendarChoice(setting, features if keep else (), reason, without, with_, windows)


def _step(freq: str) -> pd.Timedelta:
    """The spacing of a frequency: `"h"` → 1 hour, `"MS"` → 31 days, `"W-SUN"` → 7 days."""
    stamps = pd.date_range("2001-01-01", periods=2, freq=freq)
    return stamps[1] - stamps[0]


def calendar_columns(
    freq: str | None, calendar: str | Sequence[str], holidays: str | None
) -> list[str]:
    """The derived column names at frequency `freq` of the calendar features `calendar` (a
    setting or features, `calendar_features`): `hour_sin, hour_cos` below daily steps,
    `weekday_*` below weekly, `yearday_*` below yearly, then `holiday` (with `holidays`); at
    daily steps: weekday and yearday pairs."""
    names, asked = [], calendar_features(calendar)
    if asked and freq is not None:
        step = _step(freq)
        names = [f"{n}_{p}" for n, (most, _) in _FEATURES.items()
                 if step < most and n in asked for p in ("sin", "cos")]  # fmt: skip
    return names + ([HOLIDAY] if holidays is not None else [])


def _local(frame: pd.DataFrame, index: pd.Index) -> pd.DatetimeIndex:
    """`index` (naive UTC when the data named a zone) in the data's own local time."""
    tz = (frame.attrs.get("load") or {}).get("tz")
    return index.tz_localize("UTC").tz_convert(tz).tz_localize(None) if tz else index


def features(
    frame: pd.DataFrame, index: pd.Index, calendar: str | Sequence[str], holidays: str | None
) -> pd.DataFrame:
    """The calendar (and holiday) columns of the timestamps `index` of `frame`'s series.

    Returns:
        A float frame `(len(index), n_calendar)` indexed by `index`, columns
        `calendar_columns(freq, calendar, holidays)` (the frequency from `frame`'s attrs).

    Raises:
        DataError: when the data has no timestamps (rows are step numbers).
    """
    asked = calendar_features(calendar)
    setting, value = ("calendar", calendar) if asked else ("holidays", holidays)
    if not isinstance(index, pd.DatetimeIndex):
        raise DataError(
            f"{setting}={value!r} derives features "
            "from the timestamps, but the data has none (rows are step numbers); name the time "
            "column with time_col= or leave it out",
            setting=setting,
        )
    freq = (frame.attrs.get("forecast") or {}).get("freq")
    names = calendar_columns(freq, calendar, holidays)
    local, out = _local(frame, index), {}
    for name in (n[: -len("_sin")] for n in names[::2] if n.endswith("_sin")):
        angle = 2 * np.pi * np.asarray(_FEATURES[name][1](local), dtype=np.float64)
        out[f"{name}_sin"], out[f"{name}_cos"] = np.sin(angle), np.cos(angle)
    if holidays is not None:
        import holidays as lib

        years = range(local.year.min(), local.year.max() + 1)
        days = pd.DatetimeIndex(list(lib.country_holidays(check_holidays(holidays), years=years)))
        out[HOLIDAY] = local.normalize().isin(days).astype(np.float64)
    return pd.DataFrame(out, index=index, columns=names)


def with_calendar(
    frame: pd.DataFrame, calendar: str | Sequence[str], holidays: str | None
) -> pd.DataFrame:
    """`frame` with its calendar columns (of `calendar`, a setting or features:
    `calendar_features`) appended (the same frame when it has them already, or when none is
    configured); attrs kept.

    Raises:
        DataError: when the data has no timestamps, or already has a column of that name.
    """
    if not calendar_features(calendar) and holidays is None:
        return frame
    found = features(frame, frame.index, calendar, holidays)
    if list(frame.columns[-found.shape[1] :]) == list(found.columns) and found.shape[1]:
        return frame
    clash = [c for c in found.columns if c in frame.columns]
    if clash:
        raise DataError(
            f"the data already has a column {clash[0]!r}, the name of a derived calendar "
            "column; rename it",
            setting="calendar",
        )
    out = pd.concat([frame, found], axis=1)
    out.attrs = dict(frame.attrs)
    return out


def future_frame(
    frame: pd.DataFrame,
    index: pd.Index,
    future: FutureRows | None,
    future_covariates: Sequence[str],
    calendar: str | Sequence[str],
    holidays: str | None,
    label: str = "",
) -> pd.DataFrame:
    """The `horizon` rows after `frame` a forecast reads: every column of `frame`, the
    targets and past covariates empty (NaN: the model never reads them), the future
    covariates from the data's rows after its last target value (`future`), the calendar
    columns from the future timestamps `index`.

    Args:
        frame: one series, as `Forecaster.collection` gives it (calendar columns included).
        index: the next `horizon` timestamps (or step numbers).
        future: the series' rows after its last target value (`SeriesSet.future`), or None.
        future_covariates: the columns that must be given for those rows.
        calendar, holidays: the calendar features built (or the setting) and the country.
        label: the series' error prefix ("series 'id': " for one of many).

    Returns:
        A frame `(horizon, frame's columns)` indexed by `index`.

    Raises:
        DataError: when the future rows are missing, too few, off the expected timestamps,
            or have empty future-covariate values.
    """
    out = pd.DataFrame(np.nan, index=index, columns=frame.columns)
    wanted = names(future_covariates)
    if wanted:
        given = future.frame() if future is not None else pd.DataFrame(columns=wanted)
        horizon, have = len(index), len(given)
        need = (
            f"{label}forecasting needs the future covariates {', '.join(wanted)} for the "
            f"{horizon} rows after the last target value (rows with the target empty)"
        )
        if have < horizon:
            raise DataError(f"{need}; the data has {have}: add them")
        given = given.iloc[:horizon]
        if not given.index.equals(index):
            raise DataError(
                f"{need}, at {index[0]} to {index[-1]}; the data's future rows run from "
                f"{given.index[0]} to {given.index[-1]}"
            )
        empty = given[wanted].isna().any(axis=0)
        if empty.any():
            col = str(empty.index[empty.to_numpy()][0])
            raise DataError(f"{need}; {col!r} is empty in some of them: fill it")
        out[wanted] = given[wanted].to_numpy(dtype=np.float64)
    if calendar_features(calendar) or holidays is not None:
        found = features(frame, index, calendar, holidays)
        out[list(found.columns)] = found.to_numpy()
    return out


def extended(
    frame: pd.DataFrame,
    horizon: int,
    freq: str | None,
    future: FutureRows | None,
    future_covariates: Sequence[str],
    calendar: str | Sequence[str],
    holidays: str | None,
    label: str = "",
) -> pd.DataFrame:
    """`frame` followed by its `future_frame` at the next `horizon` timestamps of `freq`
    (the future covariates from `future`, the series' `SeriesSet.future` rows): the rows
    whose last `lookback + horizon` a forecast reads."""
    index = future_index(frame.index, horizon, freq)
    ahead = future_frame(frame, index, future, future_covariates, calendar, holidays, label)
    out = pd.concat([frame, ahead])
    out.attrs = dict(frame.attrs)
    return out
