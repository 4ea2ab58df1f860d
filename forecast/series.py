"""Load and validate time series from a CSV file or a pandas DataFrame.

`load_series` is the toolkit's front door: everything downstream assumes what it guarantees.
The frame it returns is indexed by time (a sorted, unique `DatetimeIndex`, or a `RangeIndex`
for step-indexed data), holds the target columns first and the covariates after, all float,
with no NaN or infinite value. Its `attrs["forecast"]` records the roles of the columns and
the frequency, so later stages need not be told again.

The dataset catalogue behind `forecast datasets` lives here too: `bundled_datasets`,
`public_datasets` and `describe_dataset` (the options that load a CSV).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast.errors import ConfigError, DataError

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
    return ", ".join(str(c) for c in frame.columns)


def _read(source: Any) -> pd.DataFrame:
    if isinstance(source, pd.DataFrame):
        return source.copy()
    if isinstance(source, pd.Series):
        return source.to_frame(name=source.name if source.name is not None else "value")
    if not isinstance(source, (str, os.PathLike)):
        raise DataError(
            f"source must be a CSV path or a pandas DataFrame, got {type(source).__name__}"
        )
    path = Path(source)
    if not path.is_file():
        raise DataError(f"data file not found: {path}; check the path")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"cannot parse {path} as CSV ({reason}); is it a CSV file?") from exc
    if frame.empty:
        raise DataError(f"{path} has no data rows")
    return frame


def _pick_time_col(frame: pd.DataFrame, time_col: str | None) -> str | None:
    if time_col is not None:
        return time_col
    if isinstance(frame.index, pd.DatetimeIndex):
        return None
    for col in frame.columns:
        if str(col).strip().lower() in TIME_NAMES:
            return str(col)
    return None


def _require(frame: pd.DataFrame, names: list[str], role: str) -> None:
    for name in names:
        if name not in frame.columns:
            raise DataError(
                f"{role} column {name!r} not found; columns are: {_list_columns(frame)}"
            )


def _parse_time(frame: pd.DataFrame, time_col: str | None) -> pd.DataFrame:
    if time_col is None:
        if isinstance(frame.index, pd.DatetimeIndex):
            frame.index = frame.index.rename(frame.index.name or "time")
            return frame
        if isinstance(frame.index, pd.RangeIndex) or pd.api.types.is_integer_dtype(frame.index):
            return frame
        try:
            frame.index = pd.DatetimeIndex(pd.to_datetime(frame.index, format="mixed"))
        except (ValueError, TypeError) as exc:
            raise DataError(
                "the index is neither timestamps nor step numbers; pass time_col= to name the "
                "time column"
            ) from exc
        return frame
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
        return frame
    try:
        stamps = pd.to_datetime(raw, format="mixed")
    except (ValueError, TypeError, OverflowError):
        stamps = pd.to_datetime(raw, errors="coerce", format="mixed")
        bad = raw[stamps.isna() & raw.notna()]
        example = bad.iloc[0] if len(bad) else raw[raw.isna()].index[0]
        raise DataError(
            f"time column {time_col!r} has values that are not timestamps, e.g. {example!r} "
            f"(row {bad.index[0] if len(bad) else example}); fix or remove those rows"
        ) from None
    if stamps.isna().any():
        row = int(np.flatnonzero(stamps.isna().to_numpy())[0])
        raise DataError(
            f"time column {time_col!r} has {int(stamps.isna().sum())} empty timestamps "
            f"(first at row {row}); fix or remove those rows"
        )
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_convert(None)
    frame = frame.drop(columns=[time_col])
    frame.index = pd.DatetimeIndex(stamps, name=time_col)
    return frame


def _to_numeric(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    out = {}
    for col in columns:
        raw = frame[col]
        if pd.api.types.is_bool_dtype(raw):
            out[col] = raw.astype("float64")
            continue
        values = pd.to_numeric(raw, errors="coerce")
        bad = raw.notna() & values.isna()
        if bad.any():
            where = raw.index[bad.to_numpy()][0]
            raise DataError(
                f"column {col!r} is not numeric: value {raw[bad].iloc[0]!r} at {where}; "
                "clean it or leave the column out"
            )
        out[col] = values.astype("float64")
    return pd.DataFrame(out, index=frame.index)


def _check_order(frame: pd.DataFrame, sort: bool, label: str) -> pd.DataFrame:
    index = frame.index
    if not index.is_monotonic_increasing:
        if not sort:
            pos = int(np.flatnonzero(index[1:] < index[:-1])[0])
            raise DataError(
                f"{label}timestamps are not sorted ({index[pos + 1]} comes after {index[pos]}); "
                "sort the data or pass sort=True"
            )
        frame = frame.sort_index(kind="stable")
        index = frame.index
    dup = index.duplicated()
    if dup.any():
        raise DataError(
            f"{label}duplicate timestamp {index[dup][0]} ({int(dup.sum())} duplicates); "
            "aggregate or remove the repeated rows"
        )
    return frame


def _infer_freq(index: pd.DatetimeIndex, freq: str | None, label: str) -> str | None:
    if freq is not None:
        try:
            return pd.tseries.frequencies.to_offset(freq).freqstr
        except ValueError as exc:
            raise ConfigError(
                f"freq={freq!r} is not a pandas frequency (e.g. 'h', 'D', 'MS')"
            ) from exc
    if len(index) < 3:
        return None
    inferred = pd.infer_freq(index)
    if inferred is not None:
        return inferred
    # Irregular because of gaps: take the most common step and check it divides the span.
    steps = pd.Series(index[1:] - index[:-1])
    step = steps.mode().iloc[0]
    if not ((steps / step) % 1 != 0).any():
        try:
            if step % pd.Timedelta(days=1) == pd.Timedelta(0):
                return pd.tseries.frequencies.to_offset(f"{step.days}D").freqstr
            return pd.tseries.frequencies.to_offset(step).freqstr
        except ValueError:
            pass
    return _calendar_freq(index)


def _calendar_freq(index: pd.DatetimeIndex) -> str | None:
    """A calendar frequency ('MS', 'W-SUN', ...) with gaps: the most common one of runs of
    three timestamps, if every timestamp lies on its grid."""
    starts = range(0, len(index) - 2, max(1, (len(index) - 2) // 64))
    found = pd.Series([pd.infer_freq(index[i : i + 3]) for i in starts]).dropna()
    if found.empty:
        return None
    freq = found.mode().iloc[0]
    grid = pd.date_range(index[0], index[-1], freq=freq)
    return freq if index.isin(grid).all() else None


def _fill_gaps(frame: pd.DataFrame, freq: str | None, fill: str | None, label: str) -> pd.DataFrame:
    if freq is None or not isinstance(frame.index, pd.DatetimeIndex) or fill == "drop":
        return frame
    full = pd.date_range(frame.index[0], frame.index[-1], freq=freq)
    if len(full) == len(frame) and full.equals(frame.index):
        frame.index = full.rename(frame.index.name)
        return frame
    off_grid = frame.index.difference(full)
    if len(off_grid):
        raise DataError(
            f"{label}timestamp {off_grid[0]} is off the {freq!r} grid that starts at "
            f"{frame.index[0]}; pass the right freq= or resample the data"
        )
    missing = full.difference(frame.index)
    if fill is None:
        raise DataError(
            f"{label}{len(missing)} missing timestamps in a {freq!r} series (first {missing[0]}); "
            "pass fill='interpolate', 'ffill' or 'drop'"
        )
    return frame.reindex(full.rename(frame.index.name))


def _handle_nan(frame: pd.DataFrame, fill: str | None, label: str) -> pd.DataFrame:
    values = frame.to_numpy()
    if np.isinf(values).any():
        row, col = np.argwhere(np.isinf(values))[0]
        raise DataError(
            f"{label}column {frame.columns[col]!r} has infinite values (first at "
            f"{frame.index[row]}); replace them before loading"
        )
    nan = np.isnan(values)
    if not nan.any():
        return frame
    if fill is None:
        parts = []
        for j, col in enumerate(frame.columns):
            if nan[:, j].any():
                first = frame.index[int(np.flatnonzero(nan[:, j])[0])]
                parts.append(f"{col!r}: {int(nan[:, j].sum())} (first at {first})")
        raise DataError(
            f"{label}{int(nan.sum())} missing values ({'; '.join(parts)}); "
            "pass fill='interpolate', 'ffill' or 'drop'"
        )
    if fill == "drop":
        return frame.dropna()
    if fill == "ffill":
        frame = frame.ffill()
    else:
        method = "time" if isinstance(frame.index, pd.DatetimeIndex) else "linear"
        frame = frame.interpolate(method=method, limit_direction="forward")
    if frame.isna().to_numpy().any():
        raise DataError(
            f"{label}the first rows are missing and cannot be filled forward; "
            "use fill='drop' or trim the start of the data"
        )
    return frame


def _validate_one(
    frame: pd.DataFrame,
    targets: list[str],
    covariates: list[str],
    freq: str | None,
    fill: str | None,
    sort: bool,
    label: str = "",
) -> pd.DataFrame:
    index = frame.index
    frame = _to_numeric(frame, targets + covariates)
    frame.index = index
    if isinstance(frame.index, pd.DatetimeIndex):
        frame = _check_order(frame, sort, label)
        freq = _infer_freq(frame.index, freq, label)
        frame = _fill_gaps(frame, freq, fill, label)
    else:
        frame = _check_order(frame, sort, label)
        freq = None
    frame = _handle_nan(frame, fill, label)
    if len(frame) == 0:
        raise DataError(f"{label}no rows left after removing missing values")
    frame.attrs["forecast"] = {"target": targets, "covariates": covariates, "freq": freq}
    return frame


def load_series(
    source: str | os.PathLike | pd.DataFrame,
    time_col: str | None = None,
    target: str | Sequence[str] | None = None,
    covariates: str | Sequence[str] = (),
    id_col: str | None = None,
    freq: str | None = None,
    fill: str | None = None,
    sort: bool = False,
) -> pd.DataFrame | dict[str, pd.DataFrame]:
    """Load a time series and check everything the models rely on.

    Args:
        source: a CSV path or a DataFrame (with a `DatetimeIndex`, a time column, or a plain
            `RangeIndex` for step-indexed data).
        time_col: the time column; by default a `DatetimeIndex`, or a column named like
            `date`, `timestamp`, `time`, `month`, ..., or none (step-indexed).
        target: the column(s) to forecast; by default the only numeric column left.
        covariates: extra input columns (known past values fed to the model).
        id_col: for long-format data (many series in one file): the series id column.
        freq: the pandas frequency ('h', 'D', 'MS', ...); inferred when not given.
        fill: what to do with missing values and missing timestamps: None (error),
            "interpolate", "ffill" or "drop".
        sort: sort unsorted timestamps instead of raising.

    Returns:
        A DataFrame `(length, n_targets + n_covariates)` indexed by time, targets first, all
        float64, with `attrs["forecast"] = {"target": [...], "covariates": [...], "freq": ...}`.
        With `id_col`: a dict `{series id: such a DataFrame}` in order of first appearance.

    Raises:
        DataError: for every problem in the data, with what was found and how to fix it.
        ConfigError: for invalid arguments (unknown fill, a column both target and covariate).
    """
    if fill is not None and fill not in FILLS:
        raise ConfigError(f"fill must be None or one of {', '.join(FILLS)}, got {fill!r}")
    frame = _read(source)
    frame.columns = [str(c) for c in frame.columns]
    time_col = _pick_time_col(frame, time_col)
    covs = _names(covariates)
    targets = _names(target)
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
    overlap = set(targets) & set(covs)
    if overlap:
        raise ConfigError(f"column {sorted(overlap)[0]!r} is both a target and a covariate")
    frame = _parse_time(frame, time_col)

    if id_col is None:
        return _validate_one(frame, targets, covs, freq, fill, sort)
    collection: dict[str, pd.DataFrame] = {}
    if frame[id_col].isna().any():
        raise DataError(f"id column {id_col!r} has empty values; fill or remove those rows")
    for key, group in frame.groupby(id_col, sort=False):
        name = str(key)
        collection[name] = _validate_one(
            group.drop(columns=[id_col]), targets, covs, freq, fill, sort, f"series {name!r}: "
        )
    return collection


def series_info(frame: pd.DataFrame) -> dict[str, Any]:
    """The column roles and frequency recorded by `load_series` (empty roles if absent)."""
    info = dict(frame.attrs.get("forecast", {}))
    info.setdefault("target", [])
    info.setdefault("covariates", [])
    info.setdefault("freq", None)
    return info


SINGLE = "__single__"  # the key of a lone series in a collection
Collection = dict[str, pd.DataFrame]


def as_collection(
    series: Any,
    *,
    target: str | Sequence[str] | None = None,
    covariates: str | Sequence[str] = (),
    fitted: bool = False,
    **options: Any,
) -> Collection:
    """Any input as `{id: frame}`: THE representation of "one series or many".

    Frames come back with their targets first, then covariates (the toolkit's column
    convention); a lone series is keyed `SINGLE`. Frames that `load_series` already validated
    with the wanted roles are used as they are; anything else goes through `load_series`.

    Args:
        series: a frame (validated or raw), a CSV path, or a mapping `{id: one of those}`.
        target, covariates: the wanted column roles; empty takes them from the data.
        fitted: the roles are a fitted model's: the data must have exactly these columns.
        **options: `time_col`, `id_col`, `freq`, `fill` for `load_series`.

    Raises:
        DataError: for data that does not load, a nested collection, or (with `fitted`)
            columns other than the fitted ones.
    """
    wanted = (_names(target), _names(covariates))
    if isinstance(series, Mapping):
        out = {}
        for key, value in series.items():
            got = as_collection(
                value, target=target, covariates=covariates, fitted=fitted, **options
            )
            if len(got) != 1:
                raise DataError("a series collection cannot contain another collection")
            out[str(key)] = next(iter(got.values()))
        return out
    if isinstance(series, pd.DataFrame) and _roles_match(series, *wanted, fitted):
        return {SINGLE: _ordered(series, wanted, fitted)}
    loaded = load_series(series, target=target, covariates=covariates, **options)
    if isinstance(loaded, dict):
        return {k: _ordered(v, wanted, fitted) for k, v in loaded.items()}
    return {SINGLE: _ordered(loaded, wanted, fitted)}


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
    frame: pd.DataFrame, wanted: tuple[list[str], list[str]], fitted: bool
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


def series_label(key: str) -> str:
    """ "series 'id': " for a member of a collection, "" for a lone series (error prefixes)."""
    return "" if key == SINGLE else f"series {key!r}: "


def future_index(index: pd.Index, horizon: int, freq: str | None) -> pd.Index:
    """The `horizon` timestamps (or row numbers) after the end of `index`.

    Raises:
        DataError: for a time index without a frequency (given or inferable).
    """
    if isinstance(index, pd.DatetimeIndex):
        freq = freq or (pd.infer_freq(index) if len(index) >= 3 else None)
        if freq is None:
            raise DataError(
                "cannot build future timestamps: the series has no frequency; pass freq="
            )
        return pd.date_range(index[-1], periods=horizon + 1, freq=freq)[1:].rename(index.name)
    last = int(index[-1]) if len(index) else -1
    return pd.RangeIndex(last + 1, last + 1 + horizon, name=index.name)


# ---------------------------------------------------------------------- dataset catalogue
PUBLIC_DATASETS = (  # file, time column, target: the shared public datasets we know
    ("ETTh1.csv", "date", "OT"),
    ("AirPassengers.csv", "Month", "Passengers"),
    ("daily-min-temperatures.csv", "Date", "Temp"),
)


@dataclass
class DatasetInfo:
    """A CSV the toolkit can load: its shape, frequency and the columns to pass."""

    path: Path
    rows: int
    columns: list[str]
    freq: str | None
    time_col: str | None
    target: str
    fill: str | None = None  # "interpolate" when the file has gaps or missing values

    @property
    def options(self) -> str:
        """The `forecast train` options that load it."""
        fill = f" --fill {self.fill}" if self.fill else ""
        return f"--time-col {self.time_col} --target {self.target}{fill}"


def repo_root() -> Path:
    """The folder holding the package source (the repository in an editable install)."""
    return Path(__file__).resolve().parents[1]


def describe_dataset(
    path: str | os.PathLike, time_col: str | None = None, target: str | None = None
) -> DatasetInfo:
    """Rows, columns and frequency of a CSV, and whether it needs `fill="interpolate"`."""
    raw = pd.read_csv(path)
    columns = [str(c) for c in raw.columns]
    if time_col is None:
        time_col = next((c for c in columns if c.strip().lower() in TIME_NAMES), None)
    if target is None:
        numeric = [c for c in columns if c != time_col and pd.api.types.is_numeric_dtype(raw[c])]
        if not numeric:
            raise DataError(f"{path} has no numeric column to forecast")
        target = numeric[0]
    fill = None
    try:
        frame = load_series(raw, time_col=time_col, target=target)
    except DataError:
        fill = "interpolate"
        frame = load_series(raw, time_col=time_col, target=target, fill=fill)
    freq = frame.attrs["forecast"]["freq"]
    return DatasetInfo(Path(path), len(raw), columns, freq, time_col, target, fill)


def bundled_datasets() -> list[DatasetInfo]:
    """The CSVs shipped in the repository's data/ folder."""
    folder = repo_root() / "data"
    return [describe_dataset(p) for p in sorted(folder.glob("*.csv"))]


def public_datasets() -> list[DatasetInfo]:
    """The shared public datasets (../shared/datasets) that exist on this machine."""
    found: list[DatasetInfo] = []
    for base in (Path("../shared/datasets"), repo_root().parent / "shared" / "datasets"):
        if base.is_dir():
            for name, time_col, target in PUBLIC_DATASETS:
                if (base / name).is_file():
                    found.append(describe_dataset(base / name, time_col, target))
            return found
    return found
