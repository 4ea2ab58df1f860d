"""The seasonal periods of a run: THE parse of a given `season` and the seasons of a frequency.

A run has one season or several, shortest first: given as `season=24`, `season=(24, 168)`,
`season=[24, 168]` or `"24,168"` (the CLI's `--season 24,168`), or else from the frequency
(`of_frequency`): hourly 24 and 168 (a day and a week), sub-hourly steps the same per day and
per week, daily 7 (and 365 when the training parts hold two years), weekly 52, monthly 12,
quarterly 4, yearly none. A longer season is only added when the data holds two of it.

What each consumer reads (`resolve` gives all of them; `primary` the first):
- seasonal naive, the MASE scale and the guard's seasonal naive: the shortest season (the M4
  protocol: `forecast.evaluation.season_for`; `forecast.competition.m4_season` keeps the M4
  guide's periods when no season is given: 24 hourly, 1 weekly and daily);
- the default lookback candidates: 1 to 14 of the shortest season, plus two of the longest
  (`forecast.linear.lookback_candidates`; 336 for hourly data);
- the benchmark's MSTL: every season (`benchmarks/panels.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral
from typing import Any

from forecast.errors import ConfigError

# The seasons of a frequency's unit (pandas unit prefixes), shortest first; a second season is
# added only when the data holds two of it (`of_frequency`). Sub-daily units count per day and
# per week of their step.
UNIT_SEASONS = {
    "min": (60, 24 * 60, 7 * 24 * 60),
    "h": (24, 7 * 24),
    "D": (7, 365),
    "B": (5,),
    "W": (52,),
    "MS": (12,),
    "ME": (12,),
    "M": (12,),
    "QS": (4,),
    "QE": (4,),
    "Q": (4,),
}
_SUB_DAILY = {"min": (24 * 60, 7 * 24 * 60), "h": (24, 7 * 24)}  # per day, per week


def parse(value: Any, name: str = "season") -> tuple[int, ...] | None:
    """A given season setting as seasons, shortest first; None when not given.

    Accepts a positive integer, a sequence of them (`(24, 168)`, `[24, 168]`) or a string of
    them separated by commas (`"24,168"`); duplicates are dropped.

    Raises:
        ConfigError: (setting `name`) for anything else: `0`, `"x"`, `"24,"`, `()`, `True`.
    """
    if value is None:
        return None
    items: list[Any]
    if isinstance(value, str):
        items = [p.strip() for p in value.split(",")]
        items = [int(p) if p.isdigit() else p for p in items]
    elif isinstance(value, Sequence):
        items = list(value)
    else:
        items = [value]
    good = [isinstance(v, Integral) and not isinstance(v, bool) and v >= 1 for v in items]
    if not items or not all(good):
        raise ConfigError(
            f"{name} must be a positive whole number or several separated by commas (like "
            f"24 or 24,168), got {value!r}",
            setting=name,
        )
    return tuple(sorted({int(v) for v in items}))


def as_setting(value: Any) -> int | list[int] | None:
    """A given season as the Forecaster's setting: one int, a list of several, or None
    (`parse` checks it: the CLI's `--season 24,168` becomes `[24, 168]`)."""
    found = parse(value)
    return None if found is None else found[0] if len(found) == 1 else list(found)


def of_frequency(freq: str | None, rows: int | None = None) -> tuple[int, ...]:
    """The seasons of the frequency `freq`, shortest first; () for none (yearly data,
    step numbers, an unknown or irregular frequency).

    Args:
        freq: a pandas frequency string ("h", "15min", "D", "W-SUN", "MS", "QS-DEC", ...).
        rows: the longest training part's rows: a season after the first is kept only when
            they hold two of it (daily data: 365 from 730 rows); None keeps every season.
    """
    if not freq:
        return ()
    digits = "".join(ch for ch in freq if ch.isdigit())
    unit = freq[len(digits) :].split("-")[0]
    step = int(digits) if digits else 1
    if unit in _SUB_DAILY and step > 1:
        found = tuple(n // step for n in _SUB_DAILY[unit] if n % step == 0)
    else:
        found = UNIT_SEASONS.get(unit, ()) if step == 1 else ()
    keep = [s for i, s in enumerate(found) if i == 0 or rows is None or rows >= 2 * s]
    return tuple(s for s in keep if s > 1)


def resolve(freq: str | None, season: Any = None, rows: int | None = None) -> tuple[int, ...]:
    """The run's seasons: the given `season` (`parse`) or those of the frequency
    (`of_frequency(freq, rows)`); () when there are none."""
    given = parse(season)
    return given if given is not None else of_frequency(freq, rows)


def primary(freq: str | None, season: Any = None) -> int:
    """The shortest season (1 when there is none): seasonal naive's and the MASE scale's."""
    found = resolve(freq, season)
    return found[0] if found else 1


def longest_rows(frames: Any) -> int:
    """The most rows of any frame of `frames` (a `{id: frame}` mapping or one frame)."""
    values = frames.values() if hasattr(frames, "values") and callable(frames.values) else [frames]
    return max((len(f) for f in values), default=0)
