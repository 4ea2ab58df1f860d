"""Load and validate time series from a CSV (plain or compressed) or Parquet file, or a
pandas DataFrame.

`load_series` is the toolkit's front door: everything downstream assumes what it guarantees.
The frame it returns is indexed by time (a sorted, unique `DatetimeIndex`, or a `RangeIndex`
for step-indexed data), holds the target columns first and the covariates after, all float,
with no NaN or infinite value but the gap rows `fill="drop"` leaves inside a series (all
NaN, never inside a window: `forecast.gaps`). Its `attrs["forecast"]` records the roles of
the columns and the frequency, so later stages need not be told again.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from forecast.errors import ConfigError, DataError, ForecastError, ForecastWarning, check_choice
from forecast.reading import (
    DUPLICATES,
    LARGEST,
    Changes,
    changes_report,
    check_order,
    fill_gaps,
    fill_missing,
    infer_freq,
    numeric_columns,
    parse_timestamps,
    read_table,
)
from forecast.series_set import FUTURE_ATTR, FutureRows, SeriesSet, keyed
from forecast.series_set import SINGLE as SINGLE  # the lone series' key, named here too

FILLS = ("interpolate", "ffill", "drop")
# Column names taken as the time column when `time_col` is not given.
TIME_NAMES = ("date", "datetime", "timestamp", "time", "ds", "month", "day", "week", "year")


def _names(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _list_columns(frame: pd.DataFrame) -> str:
    return ", ".join(str(c) for c in frame.attrs.get("file_columns", frame.columns))


def _read(
    source: Any, csv_options: dict[str, Any], time_col: str | None, roles: list[Any]
) -> pd.DataFrame:
    """The source as a frame; from a file (`forecast.reading.read_table`) only the columns
    with a role (`roles`: targets, covariates, id) and the time column, when the targets are
    named and the time column is given or found by its name."""
    if isinstance(source, pd.DataFrame):
        return source.copy()
    if isinstance(source, pd.Series):
        return source.to_frame(name=source.name if source.name is not None else "value")
    if not isinstance(source, (str, os.PathLike)):
        raise DataError(
            "source must be a CSV or Parquet path or a pandas DataFrame, got "
            f"{type(source).__name__}"
        )

    def pick(header: list[str]) -> list[str] | None:
        by_name = [c for c in header if c.strip().lower() in TIME_NAMES][:1]
        time = [time_col] if time_col is not None else by_name
        if not time:  # no target named, or a time column to find by content: read all
            return None
        return [c for c in header if c in {*time, *roles}]

    return read_table(source, **csv_options, pick=pick if roles else None)


def pick_time_col(frame: pd.DataFrame, time_col: str | None, skip: set) -> tuple[Any, str]:
    """The time column and how it was found: "given", "by name" (date, time, month, ...),
    "by content" (the one other text column whose values are all timestamps), or
    (None, "index") / (None, "none": step-indexed rows)."""
    if time_col is not None:
        return time_col, "given"
    if isinstance(frame.index, pd.DatetimeIndex):
        return None, "index"
    for col in frame.columns:
        if str(col).strip().lower() in TIME_NAMES:
            return str(col), "by name"
    texts = [c for c in frame.columns if c not in skip and is_text(frame[c])]
    found = [c for c in texts if _looks_like_time(frame[c])]
    return (str(found[0]), "by content") if len(found) == 1 else (None, "none")


def is_text(column: pd.Series) -> bool:
    return column.dtype == object or pd.api.types.is_string_dtype(column)


def _looks_like_time(column: pd.Series) -> bool:
    """Whether every non-empty value of a text column is a timestamp (checked on every row)."""
    values = column.dropna().astype(str)
    if values.empty or not values.str.contains(r"\d").all():
        return False
    try:
        pd.to_datetime(values, format="mixed", utc=True)
    except (ValueError, TypeError, OverflowError):
        return False
    return True


def _require(frame: pd.DataFrame, names: list[str], role: str) -> None:
    for name in names:
        if name not in frame.columns:
            raise DataError(
                f"{role} column {name!r} not found; columns are: {_list_columns(frame)}"
            )


def _parse_time(
    frame: pd.DataFrame, time_col: str | None, tz: str | None, dates: dict[str, Any]
) -> tuple[Any, Any]:
    """`frame` indexed by its time column (see `forecast.reading.parse_timestamps`), and the
    zone to show its timestamps in (None: as they are). `dates`: dayfirst, date_format, and
    the `notes` list the reading's note goes into."""
    if time_col is None:
        if isinstance(frame.index, pd.DatetimeIndex):
            frame.index = _nanoseconds(frame.index).rename(frame.index.name or "time")
            return frame, None
        if isinstance(frame.index, pd.RangeIndex) or pd.api.types.is_integer_dtype(frame.index):
            return frame, None
        try:
            frame.index = pd.DatetimeIndex(pd.to_datetime(frame.index, format="mixed"))
        except (ValueError, TypeError) as exc:
            raise DataError(
                "the index is neither timestamps nor step numbers; pass time_col= to name the "
                "time column"
            ) from exc
        return frame, None
    _require(frame, [time_col], "time")
    raw = frame[time_col]
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        # Numbers are step numbers; pandas would read them as nanoseconds since 1970.
        if raw.isna().any() or (raw % 1 != 0).any():
            raise DataError(
                f"time column {time_col!r} holds numbers that are not whole step numbers; "
                "give timestamps or integer steps"
            )
        frame = frame.drop(columns=[time_col])
        frame.index = pd.Index(raw.to_numpy(dtype=np.int64), name=time_col)
        return frame, None
    try:
        stamps, zone = parse_timestamps(raw, time_col, tz, **dates)
    except (ValueError, TypeError, OverflowError) as exc:
        if isinstance(exc, ForecastError):
            raise
        stamps = pd.to_datetime(raw, errors="coerce", format="mixed", utc=True)
        bad = raw[stamps.isna() & raw.notna()]
        example = bad.iloc[0] if len(bad) else raw[raw.isna()].index[0]
        raise DataError(
            f"time column {time_col!r} has values that are not timestamps, e.g. {example!r} "
            f"(row {bad.index[0] if len(bad) else example}); fix or remove those rows"
        ) from None
    if stamps.isna().any():
        row = int(np.flatnonzero(np.asarray(stamps.isna()))[0])
        raise DataError(
            f"time column {time_col!r} has {int(stamps.isna().sum())} empty timestamps "
            f"(first at row {row}); fix or remove those rows"
        )
    frame = frame.drop(columns=[time_col])
    frame.index = _nanoseconds(stamps)
    return frame, zone


def _nanoseconds(stamps: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """`stamps` in nanoseconds, the unit every grid (`pd.date_range`) is built in: Parquet
    written by Spark or Arrow holds microseconds, which would not equal their own grid.

    Raises:
        DataError: a timestamp outside the years 1677-2262 that nanoseconds hold.
    """
    try:
        return stamps.as_unit("ns")
    except (OverflowError, ValueError) as exc:  # pandas' OutOfBoundsDatetime is a ValueError
        raise DataError(
            f"timestamps out of range for the forecast ({stamps.min()} .. {stamps.max()}): "
            "only the years 1677-2262 are supported"
        ) from exc


def _validate_one(
    frame: pd.DataFrame,
    targets: list[str],
    covariates: list[str],
    options: dict[str, Any],
    label: str = "",
) -> pd.DataFrame:
    """One series, its columns already float64 (`numeric_columns`), checked and cleaned:
    ordered, merged, on its grid, filled.

    `options`: freq, fill, sort, duplicates (as `load_series` takes them) and the notes to
    record in `attrs["forecast"]` (time_col, time_found, tz)."""
    changes = Changes()
    fill, freq = options["fill"], options["freq"]
    frame = check_order(frame, options["sort"], options["duplicates"], label, changes)
    frame, future = _cut_future(frame, targets) if options["future_rows"] else (frame, None)
    if isinstance(frame.index, pd.DatetimeIndex):
        freq = infer_freq(frame.index, freq, label)
        frame = fill_gaps(frame, freq, fill, label)
    else:
        freq = None
    frame = fill_missing(frame, fill, label, changes)
    if len(frame) == 0:
        raise DataError(f"{label}no rows left after removing missing values")
    frame.attrs["forecast"] = {"target": targets, "covariates": covariates, "freq": freq}
    notes = {k: options[k] for k in ("time_col", "time_found", "tz", "dates")}
    frame.attrs["load"] = {**notes, "changes": changes}
    if future is not None:  # load_series' public format; `keyed` lifts it into SeriesSet.future
        frame.attrs[FUTURE_ATTR] = future
    return frame


def _cut_future(frame: pd.DataFrame, targets: list[str]) -> tuple[pd.DataFrame, Any]:
    """`(frame without its trailing rows whose targets are all empty, FutureRows or None)`."""
    known = np.flatnonzero(frame[targets].notna().any(axis=1).to_numpy())
    if len(known) == 0 or known[-1] == len(frame) - 1:
        return frame, None
    return frame.iloc[: known[-1] + 1], FutureRows.of(frame.iloc[known[-1] + 1 :])


@dataclass(frozen=True)
class LoadOptions:
    """How `load_series` reads a source: every option it takes, declared once, with its
    default. The command line's data options, a Forecaster's settings (`from_settings`) and
    the dataset tables of `forecast batch` (`of`) become one `LoadOptions`, the one way into
    `load_series`.

    Attributes:
        time_col: the time column; by default a `DatetimeIndex`, or a column named like
            `date`, `timestamp`, `time`, `month`, ..., or the one text column that holds
            only timestamps, or none (step-indexed); `attrs` records which and how.
        target: the column(s) to forecast; by default the only numeric column left.
        covariates: extra input columns (known past values fed to the model).
        id_col: for long-format data (many series in one file): the series id column.
        freq: the pandas frequency ('h', 'D', 'MS', ...); inferred when not given.
        fill: what to do with missing values and missing timestamps: None (error),
            "interpolate" (between known values), "ffill" or "drop" (rows at the start or
            end removed; inside the series left as gap rows, all NaN, that no window spans:
            `forecast.gaps`). Every place filled or dropped is recorded.
        sort: sort unsorted timestamps instead of raising.
        duplicates: repeated timestamps: "error", or merge them by "mean", "sum", "first"
            or "last" (hourly files repeat the autumn daylight-saving hour).
        tz: the time zone of naive local timestamps ("Europe/Berlin"); timestamps with UTC
            offsets (mixed ones too) need none. Either way the index is naive UTC and
            `attrs["load"]` keeps the zone for output (`future_index`).
        sep, decimal, encoding: the CSV dialect; by default the separator (, ; tab |) and a
            decimal comma are sniffed, and the encoding is UTF-8 (e.g. "latin-1").
        future_rows: keep the rows after the last target value (targets empty) aside, in
            `attrs["future"]` (a `FutureRows`), instead of refusing or filling them: the
            known-future covariates a forecast reads (`forecast.known_future`). That attr is
            the public format only: inside the package they are `SeriesSet.future`
            (`forecast.series_set.keyed` lifts them off the frame).
        dayfirst: read `01-02-2020` as 1 February (True) or 2 January (False); by default
            decided from the values (`forecast.reading.read_dates`), said in the load report.
        date_format: the time column's strftime format (`"%d.%m.%Y %H:%M"`), read strictly.
    """

    time_col: str | None = None
    target: str | Sequence[str] | None = None
    covariates: str | Sequence[str] = ()
    id_col: str | None = None
    freq: str | None = None
    fill: str | None = None
    sort: bool = False
    duplicates: str = "error"
    tz: str | None = None
    sep: str | None = None
    decimal: str | None = None
    encoding: str | None = None
    future_rows: bool = False
    dayfirst: bool | None = None
    date_format: str | None = None

    def __post_init__(self) -> None:  # lists (TOML, the command line) kept as tuples
        for name in ("target", "covariates"):
            value = getattr(self, name)
            if isinstance(value, list):
                object.__setattr__(self, name, tuple(value))

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """Every option's name, in declared order."""
        return tuple(field.name for field in dataclasses.fields(cls))

    @classmethod
    def of(cls, given: Mapping[str, Any], where: str = "") -> LoadOptions:
        """The options in `given` (a TOML table's keys, keyword arguments), the rest default.

        Raises:
            ConfigError: for a key that is not a load option, listing them (`where` first).
        """
        for key in (k for k in given if k not in cls.names()):
            raise ConfigError(
                f"{where}unknown load option `{key}`; load options are: {', '.join(cls.names())}"
            )
        return cls(**given)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], **given: Any) -> LoadOptions:
        """The options a Forecaster's settings (`get_params()`) load with: its `time_col`,
        `id_col`, `freq`, `fill`, `target`, `covariates` and `future_covariates` (both read
        as covariates) and its `load_options` (`EXTRA`); `given` laid over them."""
        covariates = _names(settings.get("covariates")) + _names(settings.get("future_covariates"))
        own = {k: settings.get(k) for k in ("time_col", "id_col", "freq", "fill", "target")}
        return cls.of({**own, "covariates": covariates, **(settings.get("load_options") or {}),
                       **given})  # fmt: skip

    def extra(self) -> dict[str, Any]:
        """The options of `EXTRA` that differ from their default: a Forecaster's
        `load_options` setting (its other settings hold the rest)."""
        default = LoadOptions()
        return {k: getattr(self, k) for k in EXTRA if getattr(self, k) != getattr(default, k)}

    def replace(self, **changes: Any) -> LoadOptions:
        """These options with `changes` (load option names) laid over them."""
        return self.of({**self.kwargs(), **changes})

    def kwargs(self) -> dict[str, Any]:
        """The options as `load_series` keyword arguments."""
        return {name: getattr(self, name) for name in self.names()}

    def load(
        self, source: str | os.PathLike | pd.DataFrame
    ) -> pd.DataFrame | dict[str, pd.DataFrame]:
        """`load_series(source, self)`."""
        return load_series(source, self)


# The options a Forecaster keeps in its `load_options` setting (its own settings hold the rest).
EXTRA = ("sort", "duplicates", "tz", "sep", "decimal", "encoding", "dayfirst", "date_format")


def load_series(
    source: str | os.PathLike | pd.DataFrame,
    options: LoadOptions | None = None,
    **given: Any,
) -> pd.DataFrame | dict[str, pd.DataFrame]:
    """Load a time series and check everything the models rely on.

    Args:
        source: a CSV path (compressed too: .gz, .bz2, .zip, .xz, .zst), a Parquet file or
            folder of `*.parquet` parts (the `parquet` extra), or a DataFrame (with a
            `DatetimeIndex`, a time column, or a plain `RangeIndex` for step-indexed data).
            From a file only the columns with a role are read when `target` is given.
        options: how to read it (`LoadOptions`); default every option's default.
        **given: options by name, laid over `options` (`LoadOptions`' attributes:
            time_col, target, covariates, id_col, freq, fill, sort, duplicates, tz, sep,
            decimal, encoding, future_rows, dayfirst, date_format).

    Example:
        >>> series = load_series("data/synthetic_daily.csv", fill="interpolate")

    Returns:
        A DataFrame `(length, n_targets + n_covariates)` indexed by time, targets first, all
        float64, with `attrs["forecast"] = {"target": [...], "covariates": [...], "freq": ...}`
        and `attrs["load"]`: time_col, time_found ("given", "by name", "by content", "index"
        or "none"), tz, and changes (what was merged, filled or dropped; `load_report`).
        With `id_col`: a dict `{series id: such a DataFrame}` in order of first appearance.

    Raises:
        DataError: for every problem in the data, with what was found and how to fix it.
        ConfigError: for invalid arguments (unknown fill, a column both target and covariate,
            a name that is not a load option).
    """
    o = LoadOptions.of(given) if options is None else options.replace(**given)
    time_col, target, covariates, id_col, freq, fill = (
        o.time_col, o.target, o.covariates, o.id_col, o.freq, o.fill
    )  # fmt: skip
    sort, duplicates, tz, future_rows = o.sort, o.duplicates, o.tz, o.future_rows
    sep, decimal, encoding, dayfirst, date_format = (
        o.sep, o.decimal, o.encoding, o.dayfirst, o.date_format
    )  # fmt: skip
    if fill is not None:
        fill = check_choice("fill", fill, FILLS)
    check_choice("duplicates", duplicates, DUPLICATES)
    covs = _names(covariates)
    targets = _names(target)
    roles = [*targets, *covs, *([] if id_col is None else [id_col])] if targets else []
    ids = [id_col] if id_col is not None else []  # read as text: `001` is not `1`
    options_csv = {"sep": sep, "decimal": decimal, "encoding": encoding, "text_columns": ids}
    frame = _read(source, options_csv, time_col, roles)
    frame.columns = [str(c) for c in frame.columns]
    time_col, found = pick_time_col(frame, time_col, {id_col, *covs, *targets})
    _require(frame, covs, "covariate")
    if id_col is not None:
        _require(frame, [id_col], "id")
    if not targets:
        skip = {time_col, id_col, *covs}
        candidates = [c for c in frame.columns if c not in skip]
        numeric = [c for c in candidates if pd.api.types.is_numeric_dtype(frame[c])]
        if len(numeric) != 1:
            raise DataError(
                "cannot tell which column to forecast; pass target= (columns are: "
                f"{_list_columns(frame)})"
            )
        targets = numeric
    _require(frame, targets, "target")
    frame.attrs.pop("file_columns", None)  # only for the messages above
    for name in (n for n in [*targets, *covs] if time_col is not None and n == time_col):
        raise ConfigError(
            f"column {name!r} is the time column; it cannot also be a target or covariate "
            "(give target= the value columns only)"
        )
    overlap = set(targets) & set(covs)
    if overlap:
        raise ConfigError(f"column {sorted(overlap)[0]!r} is both a target and a covariate")
    notes: list[str] = []
    dates = {"dayfirst": dayfirst, "date_format": date_format, "notes": notes}
    frame, zone = _parse_time(frame, time_col, tz, dates)
    options = dict(freq=freq, fill=fill, sort=sort, duplicates=duplicates.lower())
    options["future_rows"] = future_rows
    options.update(time_col=time_col, time_found=found, tz=None if zone is None else str(zone))
    options["dates"] = notes[0] if notes else None
    if id_col is None:
        return _validate_one(numeric_columns(frame, targets + covs), targets, covs, options)
    collection: dict[str, pd.DataFrame] = {}
    if frame[id_col].isna().any():
        raise DataError(f"id column {id_col!r} has empty values; fill or remove those rows")
    ids = frame[id_col].to_numpy()
    values = numeric_columns(frame, targets + covs)  # one pass over the panel, not per series
    regular = _regular_panel(values, ids, targets, covs, options)
    if regular is not None:
        return regular
    for key, group in values.groupby(ids, sort=False):
        name = str(key)
        collection[name] = _validate_one(group, targets, covs, options, f"series {name!r}: ")
    _check_one_freq(collection)
    return collection


def _regular_panel(
    values: pd.DataFrame,
    ids: np.ndarray,
    targets: list[str],
    covs: list[str],
    options: dict[str, Any],
) -> dict[str, pd.DataFrame] | None:
    """A clean panel's series without a check per series: `{id: frame}` exactly as
    `_validate_one` gives them, or None when any series needs cleaning or a message.

    Checked once over the long arrays (rows `(n,)`, `values` `(n, columns)` float64): every
    series has at least 3 rows, its timestamps one step apart, the same step and phase for
    all (one grid, so one frequency, inferred from the first series), every value finite and
    at most `LARGEST`. Then nothing is unsorted, repeated, missing or filled, and each frame
    is a slice of one array indexed by a slice of one `date_range` over the panel's span.
    """
    index = values.index
    if not isinstance(index, pd.DatetimeIndex) or index.dtype != "M8[ns]" or len(index) < 3:
        return None
    codes, uniques = pd.factorize(ids)  # in order of first appearance, as groupby(sort=False)
    order = np.argsort(codes, kind="stable")
    counts = np.bincount(codes)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    stamps = index.asi8[order]  # nanoseconds
    steps = np.diff(stamps)
    inner = np.ones(len(steps), dtype=bool)
    inner[starts[1:] - 1] = False  # the step from one series' last row to the next's first
    if counts.min() < 3 or steps[0] <= 0 or (steps[inner] != steps[0]).any():
        return None
    step, firsts = int(steps[0]), stamps[starts]
    cells = values.to_numpy()[order]
    with np.errstate(invalid="ignore"):
        clean = np.isfinite(cells).all() and (np.abs(cells) <= LARGEST).all()
    if not clean or ((firsts - firsts[0]) % step).any():
        return None
    freq = infer_freq(pd.DatetimeIndex(stamps[: counts[0]].view("M8[ns]")), options["freq"], "")
    begin = pd.Timestamp(firsts.min())
    full = pd.date_range(begin, periods=1 + (stamps.max() - firsts.min()) // step, freq=freq)
    if len(full) < 2 or full[0] != begin or (np.diff(full.asi8) != step).any():
        return None  # a calendar frequency (months), a given freq off this grid, or anchored
    full = full.rename(index.name)  # elsewhere (another weekday than the data's)
    at = (firsts - firsts.min()) // step
    notes = {k: options[k] for k in ("time_col", "time_found", "tz", "dates")}
    names, out = pd.Index([*targets, *covs]), {}  # every frame a view of `cells`: one array
    for i, key in enumerate(uniques):
        frame = pd.DataFrame(
            cells[starts[i] : starts[i] + counts[i]],
            index=full[at[i] : at[i] + counts[i]],
            columns=names,
            copy=False,
        )
        frame.attrs["forecast"] = {"target": targets, "covariates": covs, "freq": freq}
        frame.attrs["load"] = {**notes, "changes": Changes()}
        out[str(key)] = frame
    return out


def _check_one_freq(collection: Mapping[str, pd.DataFrame]) -> None:
    """Refuse a collection whose series have different frequencies (an hourly and a daily
    one): one model reads one step length."""
    found = {k: f.attrs["forecast"]["freq"] for k, f in collection.items()}
    known = {k: v for k, v in found.items() if v is not None}
    if len(set(known.values())) > 1:
        (a, fa), (b, fb) = (
            next(iter(known.items())),
            next((k, v) for k, v in known.items() if v != next(iter(known.values()))),
        )
        raise DataError(
            f"series {a!r} has frequency {fa!r} but series {b!r} has {fb!r}: one model reads "
            "one step length; resample them to one frequency (or give freq=) or train them "
            "apart"
        )


def series_info(frame: pd.DataFrame) -> dict[str, Any]:
    """The column roles and frequency recorded by `load_series` (empty roles if absent)."""
    info = dict(frame.attrs.get("forecast", {}))
    info.setdefault("target", [])
    info.setdefault("covariates", [])
    info.setdefault("freq", None)
    return info


Collection = SeriesSet  # THE shape of one series or many inside the package


def as_collection(
    series: Any,
    *,
    target: str | Sequence[str] | None = None,
    covariates: str | Sequence[str] = (),
    fitted: bool = False,
    **options: Any,
) -> SeriesSet:
    """Any input as a `SeriesSet`: what the public edge turns data into (loading it if need
    be; `forecast.series_set.keyed` for the shape).

    Frames come back with their targets first, then covariates (the toolkit's column
    convention); a lone series (a bare frame, a path without an id column) is a lone set.
    Frames that `load_series` already validated with the wanted roles are used as they are;
    anything else goes through `load_series`. A `SeriesSet` keeps its `lone` flag and
    future rows.

    Args:
        series: a frame (validated or raw), a CSV path, a mapping `{id: one of those}`, or a
            `SeriesSet`.
        target, covariates: the wanted column roles; empty takes them from the data.
        fitted: the roles are a fitted model's: the data must have exactly these columns.
        **options: `time_col`, `id_col`, `freq`, `fill` for `load_series`.

    Raises:
        DataError: for data that does not load, a nested collection, or (with `fitted`)
            columns other than the fitted ones.
    """
    wanted = (_names(target), _names(covariates))
    order = functools.partial(_ordered, wanted=wanted, fitted=fitted)
    if isinstance(series, Mapping):
        if all(isinstance(v, pd.DataFrame) and _roles_match(v, *wanted, fitted)
               for v in series.values()):  # fmt: skip
            return keyed(series).map(order)  # validated frames: one pass, no reload
        frames, future = {}, {}
        for key, value in series.items():
            got = as_collection(
                value, target=target, covariates=covariates, fitted=fitted, **options
            )
            if len(got) != 1:
                raise DataError("a series collection cannot contain another collection")
            frames[str(key)] = next(iter(got.values()))
            future.update({str(key): rows for rows in got.future.values()})
        if isinstance(series, SeriesSet):  # inside the package: its flag and future rows kept
            return SeriesSet(frames, lone=series.lone, future={**series.future, **future})
        return SeriesSet(frames, future=future)
    if isinstance(series, pd.DataFrame) and _roles_match(series, *wanted, fitted):
        return keyed(series).map(order)
    return keyed(load_series(series, target=target, covariates=covariates, **options)).map(order)


def _roles_match(frame: pd.DataFrame, targets: list[str], covs: list[str], fitted: bool) -> bool:
    """Whether `frame` was validated by `load_series` with these roles."""
    info = frame.attrs.get("forecast")
    if not info:
        return False
    if fitted:
        return list(info["target"]) + list(info["covariates"]) == targets + covs
    return (not targets or targets == list(info["target"])) and (
        not covs or covs == list(info["covariates"])
    )


def _ordered(
    frame: pd.DataFrame, *, wanted: tuple[list[str], list[str]], fitted: bool
) -> pd.DataFrame:
    """`frame`'s target and covariate columns, targets first (attrs kept)."""
    info = series_info(frame)
    columns = list(info["target"]) + list(info["covariates"])
    expected = wanted[0] + wanted[1]
    if fitted and columns != expected:
        raise DataError(
            f"the data has columns {columns} but the forecaster was fitted on {expected}"
        )
    if list(frame.columns) == columns:  # already in order: no copy (many series add up)
        return frame
    out = frame[columns]
    out.attrs = dict(frame.attrs)
    return out


def load_report(series: pd.DataFrame | Mapping[str, pd.DataFrame], time: bool = True) -> list[str]:
    """What `load_series` decided and changed, one line each: which column was taken as
    time (or that none was) and its zone (with `time=False` only when the column was found
    by its content, or none was), and every merged, filled or dropped place. `series`: what
    `load_series` returned, or a `SeriesSet`."""
    frames = keyed(series)
    lines = []
    for key, frame in frames.items():
        load = frame.attrs.get("load")
        if not load:
            continue
        if not lines and (time or load["time_found"] not in ("given", "by name")):
            lines += _time_report(load, frame)
        if key == next(iter(frames)) and load.get("dates"):  # how day and month were told apart
            lines.append(load["dates"])
        changes = changes_report(load["changes"], series_info(frame)["freq"], frames.label(key))
        lines += changes
    return lines


def _time_report(load: Mapping[str, Any], frame: pd.DataFrame) -> list[str]:
    col, found, zone = load["time_col"], load["time_found"], load["tz"]
    if found == "none":
        return [
            "time: no time column found, so rows are steps 0, 1, 2, ... in file order; name "
            "the time column with time_col= if there is one"
        ]
    if found == "index":
        return []
    how = {"given": "", "by name": " (by its name)"}.get(found, " (it holds timestamps)")
    kind = "step numbers" if not isinstance(frame.index, pd.DatetimeIndex) else "timestamps"
    where = f", read as UTC and shown in {zone}" if zone else ""
    return [f"time: column {col!r}{how}, {kind}{where}"]


def check_forecast_rows(frame: pd.DataFrame, lookback: int, n_targets: int) -> None:
    """Refuse to forecast from invented values, and warn when the input window was filled.

    Raises DataError when the last rows of a target were filled (empty future rows, e.g.
    handed over with known covariates): a forecast starts after the last known value. Warns
    (ForecastWarning) naming the filled places among the last `lookback` rows.
    """
    load = frame.attrs.get("load") or {}
    changes = load.get("changes")
    if changes is None or not changes.filled:
        return
    last = frame.index[-1]
    for col in list(frame.columns[:n_targets]):
        places = changes.filled.get(str(col), [])
        if places and places[-1] == last:
            tail = int(np.sum(frame.index.isin(places)[::-1].cumprod()))
            raise DataError(
                f"the last {tail} rows (from {frame.index[-tail]}) have no {col!r} value and "
                f"would be {changes.fill}-filled: a forecast starts after the last known value; "
                "remove those rows (this model reads no future covariates: train with "
                "future_covariates= to use them)"
            )
    window = frame.index[-lookback:]
    inside = {c: [p for p in v if p in window] for c, v in changes.filled.items()}
    found = Changes(filled={c: v for c, v in inside.items() if v}, fill=changes.fill)
    lines = changes_report(found, series_info(frame)["freq"])
    if lines:
        warnings.warn(
            f"the forecast reads filled values in its last {lookback} input rows: "
            + "; ".join(lines), ForecastWarning, stacklevel=3,
        )  # fmt: skip


def future_index(
    index: pd.Index, horizon: int, freq: str | None, tz: str | None = None
) -> pd.Index:
    """The `horizon` timestamps (or row numbers) after the end of `index`; with `tz`, the
    index is naive UTC and the timestamps come back in that zone.

    Raises:
        DataError: for a time index without a frequency (given or inferable).
    """
    if isinstance(index, pd.DatetimeIndex):
        freq = freq or (pd.infer_freq(index) if len(index) >= 3 else None)
        if freq is None:
            raise DataError(
                "cannot build future timestamps: the series has no frequency; pass freq="
            )
        return _future_stamps(index[-1], horizon, freq, tz, index.name)
    last = int(index[-1]) if len(index) else -1
    return pd.RangeIndex(last + 1, last + 1 + horizon, name=index.name)


@functools.lru_cache(maxsize=64)
def _future_stamps(
    last: pd.Timestamp, horizon: int, freq: str, tz: str | None, name: Any
) -> pd.Index:
    """`future_index` of a time index ending at `last`: one `date_range` for all the series
    of a panel that end together (an Index is immutable, so they share it)."""
    stamps = pd.date_range(last, periods=horizon + 1, freq=freq)[1:]
    if tz is not None:
        stamps = stamps.tz_localize("UTC").tz_convert(tz)
    return stamps.rename(name)
