"""From a file to a clean frame: the CSV dialect, time zones, order and repeated timestamps,
the frequency, gaps and missing values, and the record of every value the loader changed.

`forecast.series.load_series` (the front door, with the column roles) stands on it:

- `read_table`: a data file: `read_csv` (a CSV file, plain or compressed: .gz .bz2 .zip .xz
  .zst, with its separator (`,` `;` tab `|`, sniffed), decimal mark (`.` or a decimal comma,
  sniffed) and encoding (UTF-8 unless given, e.g. `latin-1`)) or `read_parquet` (a Parquet
  file or a folder of parts), only the columns needed;
- `parse_timestamps`: timestamps with UTC offsets (mixed ones too, as across a daylight-saving
  change) or naive local ones in a named zone (`tz`), as naive UTC, with the zone to show;
  `read_dates`: day-first or month-first (`dayfirst`, `date_format`, else decided from the
  values and, when both orders fit, from which reading steps regularly);
- `check_order` / `merge_duplicates`: sorted on request, repeated timestamps merged by
  `DUPLICATES` (mean, sum, first, last);
- `numeric_columns`, `infer_freq`, `fill_gaps`, `fill_missing`: float columns, the frequency
  (gaps allowed), the full time grid, and missing values filled by `fill`, or with "drop"
  left as gap rows (all NaN) that windows never span;
- `Changes` / `changes_report`: where values were merged, filled or dropped, in one line each.
"""

from __future__ import annotations

import bz2
import codecs
import csv
import gzip
import io
import lzma
import os
import re
import warnings
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast.errors import ConfigError, DataError, check_choice

DUPLICATES = ("error", "mean", "sum", "first", "last")  # what to do with repeated timestamps
SEPARATORS = ",;\t|"
LARGEST = 1e37  # largest |value| loaded: the model computes in float32 (max 3.4e38)
_OFFSET = re.compile(r"(?:Z|[+-]\d\d:?\d\d)$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_SHOWN = 30  # places listed in one report line; the rest are counted


def _sample(text: str, lines: int = 50) -> str:
    return "\n".join(text.splitlines()[:lines])


def sniff_dialect(text: str, sep: str | None, decimal: str | None) -> tuple[str, str]:
    """The separator and decimal mark of CSV `text`: the given ones, else sniffed from its
    first lines (a decimal comma when the separator is not a comma and fields like `1,5`
    appear). Raises ConfigError when both are the same character."""
    sample = _sample(text)
    if sep is None:
        try:
            sep = csv.Sniffer().sniff(sample, delimiters=SEPARATORS).delimiter
        except csv.Error:
            sep = ","
    if decimal is None:
        fields = [f.strip().strip('"') for line in sample.splitlines()[1:] for f in line.split(sep)]
        comma = sep != "," and any(_DECIMAL_COMMA.match(f) for f in fields)
        decimal = "," if comma else "."
    if sep == decimal:
        raise ConfigError(f"sep={sep!r} and decimal={decimal!r} are the same; give different ones")
    return sep, decimal


COMPRESSIONS = {".gz": "gzip", ".bz2": "bz2", ".zip": "zip", ".xz": "xz", ".zst": "zstd"}
PARQUET = (".parquet", ".pq")  # a Parquet file, or a folder of `*.parquet` parts
_SNIFF_BYTES = 1 << 16  # decompressed bytes read to sniff the dialect
Pick = Callable[[list[str]], "list[str] | None"]  # header -> the columns to read (None: all)


def read_table(
    path: str | os.PathLike,
    sep: str | None = None,
    decimal: str | None = None,
    encoding: str | None = None,
    pick: Pick | None = None,
    text_columns: Sequence[str] = (),
) -> pd.DataFrame:
    """Read a data file: a CSV file (compressed or not, see `read_csv`), a Parquet file or a
    folder of `*.parquet` parts (`read_parquet`).

    Args:
        path: the file or folder; sep, decimal, encoding: the CSV dialect (not for Parquet).
        pick: given the file's column names, the ones to read (None: all); only those are
            parsed, so memory follows the columns used, not the file's width.
        text_columns: columns kept as text (series ids: `001` stays `001`); in Parquet they
            are read as stored.

    Returns:
        The frame (rows in file order); `attrs["file_columns"]` lists every column of the file.
    """
    path = Path(path)
    if path.suffix.lower() in PARQUET or (path.is_dir() and parquet_parts(path)):
        return read_parquet(path, pick)
    return read_csv(path, sep, decimal, encoding, pick, text_columns)


def parquet_parts(folder: Path) -> list[Path]:
    """The Parquet parts of `folder` (`PARQUET` suffixes), in name order."""
    return sorted(p for p in folder.glob("*") if p.suffix.lower() in PARQUET and p.is_file())


def read_parquet(
    path: str | os.PathLike | Sequence[str | os.PathLike],
    pick: Pick | None = None,
    rows: tuple[str, Sequence[Any]] | None = None,
) -> pd.DataFrame:
    """A Parquet file, a folder of `*.parquet` parts read in name order, or a list of part
    files, as one frame with only the columns `pick` chooses (see `read_table`); categorical
    columns as plain values.

    `rows`: (column, values): only the rows whose `column` holds one of `values` (a shard of
    series ids, `forecast.distributed.predict.read_shard`): the filter runs in the scan, so
    row groups without a match are not decoded.

    Raises:
        ConfigError: pyarrow is not installed (the `parquet` extra).
        DataError: a missing path, a folder without parts, a file that is not Parquet, no
            column `rows[0]`, or no row.
    """
    if isinstance(path, (str, os.PathLike)):
        path = Path(path)
        parts = parquet_parts(path) if path.is_dir() else [path]
    else:  # a list of part files: messages name their folder
        parts = [Path(p) for p in path]
        path = parts[0].parent if parts else Path(".")
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.dataset as ds
    except ImportError:
        raise ConfigError(
            f"reading {path.name} needs pyarrow: pip install 'forecast[parquet]'"
        ) from None
    if not parts:
        raise DataError(f"{path} holds no *.parquet parts; give a Parquet file or folder of parts")
    if not parts[0].is_file():
        raise DataError(f"data file not found: {parts[0]}; check the path")
    try:
        dataset = ds.dataset([str(p) for p in parts], format="parquet")
        names = list(dataset.schema.names)
        where = None
        if rows is not None:
            column, values = rows
            if column not in names:
                raise DataError(f"{path} has no column {column!r}; columns are: {', '.join(names)}")
            kind = dataset.schema.field(column).type
            where = pc.field(column).isin(pa.array(list(values)).cast(kind))
        # the system allocator gives the table's memory back once converted (measured:
        # benchmarks/load_memory.py); Arrow's own pool keeps it
        pool = pa.system_memory_pool()
        table = dataset.to_table(columns=(pick(names) if pick else None) or names,
                                 filter=where, memory_pool=pool)  # fmt: skip
    except DataError:
        raise
    except Exception as exc:  # pyarrow raises ArrowInvalid / OSError for unreadable parts
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"cannot read {path} as Parquet ({reason}); is it a Parquet file?") from exc
    frame = table.to_pandas(memory_pool=pool, split_blocks=True, self_destruct=True)
    del table  # self_destruct: the columns are freed as they are converted
    for col in frame.columns:
        if isinstance(frame[col].dtype, pd.CategoricalDtype):
            frame[col] = frame[col].astype(frame[col].cat.categories.dtype)
    if frame.empty:
        raise DataError(f"{path} has no data rows; the data is too short")
    frame.attrs["file_columns"] = names
    return frame


def open_bytes(path: Path) -> Any:
    """A binary stream of the file's (decompressed) bytes, by its suffix (`COMPRESSIONS`)."""
    kind = COMPRESSIONS.get(path.suffix.lower())
    if kind == "gzip":
        return gzip.open(path, "rb")
    if kind == "bz2":
        return bz2.open(path, "rb")
    if kind == "xz":
        return lzma.open(path, "rb")
    if kind == "zip":
        archive = zipfile.ZipFile(path)
        inside = [n for n in archive.namelist() if not n.endswith("/")]
        if len(inside) != 1:
            raise DataError(f"{path} holds {len(inside)} files; give a zip of one CSV file")
        return archive.open(inside[0])
    if kind == "zstd":
        try:
            import zstandard
        except ImportError:
            raise ConfigError(
                f"reading {path.name} needs the zstandard package: pip install zstandard"
            ) from None
        return zstandard.ZstdDecompressor().stream_reader(path.open("rb"))
    return path.open("rb")


def _head(path: Path) -> tuple[bytes, bool]:
    """The first `_SNIFF_BYTES` (decompressed) bytes of the file, and whether that is all."""
    try:
        with open_bytes(path) as stream:
            head = stream.read(_SNIFF_BYTES + 1)
    except (OSError, EOFError, zipfile.BadZipFile, lzma.LZMAError) as exc:
        kind = COMPRESSIONS.get(path.suffix.lower(), "text")
        raise DataError(f"cannot read {path} as {kind} ({exc}); is the file complete?") from None
    return head[:_SNIFF_BYTES], len(head) <= _SNIFF_BYTES


def _bad_byte(path: Path, encoding: str) -> tuple[int, int] | None:
    """`(byte, position)` of the first byte that is not `encoding` text, or None."""
    decoder, at = codecs.getincrementaldecoder(encoding)(), 0
    with open_bytes(path) as stream:
        while chunk := stream.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return chunk[exc.start], at + exc.start
            at += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            return 0, at + exc.start
    return None


def _not_text(path: Path, encoding: str | None, byte: int, position: int) -> DataError:
    what = f"is not {encoding}" if encoding else "is not UTF-8"
    hint = "give its encoding" if encoding else "give its encoding, e.g. encoding='latin-1'"
    return DataError(f"{path} {what} (byte {byte:#04x} at position {position}); {hint}")


def check_file(path: str | os.PathLike) -> Path:
    """`path` as a `Path`, once it names a file or a folder of Parquet parts (the command
    line checks it before Keras starts).

    Raises:
        DataError: for a directory or a missing file.
    """
    path = Path(path)
    if path.is_dir():
        if parquet_parts(path):
            return path
        raise DataError(
            f"{path} is a directory, not a file; give the CSV file inside it (or a folder of "
            "*.parquet parts)"
        )
    if not path.is_file():
        raise DataError(f"data file not found: {path}; check the path")
    return path


def read_csv(
    path: str | os.PathLike,
    sep: str | None = None,
    decimal: str | None = None,
    encoding: str | None = None,
    pick: Pick | None = None,
    text_columns: Sequence[str] = (),
) -> pd.DataFrame:
    """Read a CSV file, plain or compressed (by its suffix: .gz, .bz2, .zip, .xz, .zst), its
    dialect sniffed from its first lines unless given (see `sniff_dialect`); only the
    columns `pick` chooses are parsed (see `read_table`). pandas reads the file itself, so
    nothing but the frame is held in memory. `text_columns` (series ids) are kept as
    written: `001` stays `001`, not 1.

    Raises:
        DataError: a directory, a missing, empty or damaged file, text that is not in
            `encoding` (UTF-8 by default), or a file pandas cannot parse.
    """
    path = check_file(path)
    if path.is_dir():
        raise DataError(f"{path} is a directory, not a file; give the CSV file inside it")
    codec = encoding or "utf-8-sig"
    try:
        codecs.lookup(codec)
    except LookupError:
        raise ConfigError(f"encoding {encoding!r} is unknown (try latin-1 or utf-8)") from None
    head, whole = _head(path)
    _refuse_binary(path, head, encoding)
    try:
        text = codecs.getincrementaldecoder(codec)().decode(head, final=whole)
    except UnicodeDecodeError as exc:
        raise _not_text(path, encoding, head[exc.start], exc.start) from None
    if not whole:  # a cut line would mislead the sniffer
        text = text[: text.rfind("\n") + 1] or text
    if not text.strip():
        raise DataError(f"{path} is empty; give a CSV file with a header and data rows")
    sep, decimal = sniff_dialect(text, sep, decimal)
    # pandas' C parser reads UTF-8 itself (and skips a byte-order mark)
    options: dict[str, Any] = dict(sep=sep, decimal=decimal, encoding=encoding or "utf-8")
    try:
        header = [str(c) for c in pd.read_csv(io.StringIO(text), nrows=0, **options).columns]
        wanted = pick(header) if pick else None
        as_text = dict.fromkeys(text_columns, str)
        frame = pd.read_csv(
            path,
            compression=COMPRESSIONS.get(path.suffix.lower()),
            usecols=wanted,
            dtype=as_text or None,
            float_precision="round_trip",  # the values written are the values read, to the bit
            **options,
        )
    except UnicodeDecodeError:
        raise _not_text(path, encoding, *(_bad_byte(path, codec) or (0, 0))) from None
    except (OSError, EOFError, zipfile.BadZipFile, lzma.LZMAError) as exc:
        kind = COMPRESSIONS.get(path.suffix.lower(), "text")
        raise DataError(f"cannot read {path} as {kind} ({exc}); is the file complete?") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"cannot parse {path} as CSV ({reason}); is it a CSV file?") from exc
    if frame.empty:
        raise DataError(f"{path} has no data rows, only a header; the data is too short")
    frame.attrs["file_columns"] = header
    return frame


# Day and month as the first two numbers (`01-02-2020 10:00`, `01.02.2020`, `1/2/20`): which
# is which cannot be told from one value whose both numbers are 12 or less.
_DAY_MONTH = re.compile(r"^\s*(\d{1,2})([./-])(\d{1,2})\2(?:\d{4}|\d{2})(?!\d)")
_CLEAR = 0.5  # a reading is taken when its irregular steps are at most this share of the other's


def read_dates(
    raw: pd.Series,
    name: str,
    dayfirst: bool | None = None,
    date_format: str | None = None,
    utc: bool = False,
) -> tuple[pd.Series, str | None]:
    """The timestamps of the time column `raw`, and a note when their day/month order was
    decided from the data.

    `date_format` (strftime codes, e.g. "%d.%m.%Y %H:%M") reads every value strictly.
    `dayfirst` True / False reads `01-02-2020` as 1 February / 2 January. With neither, a
    column of `DD?MM?YYYY` values (separator `-`, `.` or `/`) is read by the only order its
    values allow (a first number over 12 means day-first), else by the order whose
    timestamps, in file order, step regularly: one reading clearly more regular is taken,
    with a note; when both are as regular the column is refused, naming both readings.

    Raises:
        DataError: values that do not match `date_format`, a column whose values allow
            neither order (13-01 and 01-13), or one whose two readings are as plausible.
        ValueError: from pandas, for values that are not timestamps (the caller words it).
    """
    if date_format is not None:
        try:
            return pd.to_datetime(raw, format=date_format, utc=utc), None
        except (ValueError, TypeError) as exc:
            reason = str(exc).split(". You might")[0].split(", at position")[0]
            raise DataError(
                f"time column {name!r} does not match date_format={date_format!r} ({reason}); "
                "give the format its values have, e.g. '%d.%m.%Y %H:%M'",
            ) from None
    if pd.api.types.is_datetime64_any_dtype(raw):  # already timestamps (Parquet, pandas)
        return (raw.dt.tz_convert("UTC") if utc and raw.dt.tz is not None else raw), None
    note = None
    if dayfirst is None:
        dayfirst, note = _day_month_order(raw, name)
    if dayfirst:
        return _fast_dates(raw, True, utc), note
    return _mixed_dates(raw, False, utc), note


def _fast_dates(raw: pd.Series, dayfirst: bool, utc: bool) -> pd.Series:
    """`raw` read with one format pandas infers from its first value (fast), else value by
    value; `dayfirst` decides an ambiguous order."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            warnings.simplefilter("ignore", FutureWarning)
            stamps = pd.to_datetime(raw, dayfirst=dayfirst, utc=utc)
    except (ValueError, TypeError):
        return _mixed_dates(raw, dayfirst, utc)
    if stamps.dtype == object:  # offsets that differ from row to row (pandas 2)
        return _mixed_dates(raw, dayfirst, utc)
    return stamps


def _mixed_dates(raw: pd.Series, dayfirst: bool, utc: bool) -> pd.Series:
    """`raw` read value by value. Raises ValueError("Mixed timezones ...") for offsets that
    differ from row to row without `utc` (pandas 2 returns objects with a FutureWarning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        stamps = pd.to_datetime(raw, format="mixed", dayfirst=dayfirst, utc=utc)
    if stamps.dtype == object:
        raise ValueError("Mixed timezones: the offsets differ from row to row")
    return stamps


def _day_month_order(raw: pd.Series, name: str) -> tuple[bool, str | None]:
    """(dayfirst, note) for a time column: False (month-first, pandas' reading) unless its
    values are all `DD?MM?YYYY` and the day-first reading is the one that fits them."""
    if pd.api.types.is_datetime64_any_dtype(raw):  # typed timestamps (Parquet): no order to read
        return False, None
    values = raw.dropna().astype(str)
    found = values.str.extract(_DAY_MONTH)
    if values.empty or found[0].isna().any():
        return False, None
    first, second = found[0].astype(int), found[2].astype(int)
    example = f"{values.iloc[int(np.argmax(first.to_numpy()))]!r}"
    if first.max() > 12 and second.max() > 12:
        other = values.iloc[int(np.argmax(second.to_numpy()))]
        raise DataError(
            f"time column {name!r} mixes day-first and month-first dates ({example} and "
            f"{other!r}); give every date in one order, and its format with date_format="
        )
    if second.max() > 12:
        return False, None
    if first.max() > 12:
        return (
            True,
            f"dates: column {name!r} read day-first (DD-MM-YYYY), as values like {example} require",
        )
    day = _fast_dates(raw, True, utc=True)
    month = _mixed_dates(raw, False, utc=True)
    if day.equals(month):
        return False, None
    odd_day, odd_month = _irregular_steps(day), _irregular_steps(month)
    if odd_day < odd_month and odd_day <= _CLEAR * odd_month:
        return True, (
            f"dates: column {name!r} read day-first (DD-MM-YYYY): {odd_day} irregular steps "
            f"that way, {odd_month} month-first"
        )
    if odd_month < odd_day and odd_month <= _CLEAR * odd_day:
        return False, None
    at = int(np.flatnonzero((day != month).to_numpy())[0])
    raise DataError(
        f"time column {name!r} reads both ways: {raw.iloc[at]!r} is {day.iloc[at]:%Y-%m-%d} "
        f"day-first or {month.iloc[at]:%Y-%m-%d} month-first, and both readings step as "
        "regularly; give dayfirst=True to read them day-first, or their format with "
        "date_format= (e.g. '%m/%d/%Y' for month-first)"
    )


def _irregular_steps(stamps: pd.Series) -> int:
    """How many steps between neighbouring rows (file order) differ from the most common
    positive step: backwards steps and jumps."""
    if len(stamps) >= 3 and stamps.is_monotonic_increasing:
        if pd.infer_freq(pd.DatetimeIndex(stamps).tz_convert(None)) is not None:
            return 0  # on a calendar grid (monthly steps of 28 to 31 days too)
    steps = stamps.diff().dropna()
    positive = steps[steps > pd.Timedelta(0)]
    if positive.empty:
        return len(steps)
    return int((steps != positive.mode().iloc[0]).sum())


_BINARY = {
    b"PK\x03\x04": "a zip or Excel (.xlsx) file",
    b"\xd0\xcf\x11\xe0": "an Excel (.xls) file",
}


def _refuse_binary(path: Path, raw: bytes, encoding: str | None) -> None:
    """DataError for a spreadsheet or other binary file (NUL bytes, unless UTF-16/32)."""
    kind = next((k for magic, k in _BINARY.items() if raw.startswith(magic)), None)
    wide = raw.startswith((b"\xff\xfe", b"\xfe\xff")) or any(
        n in (encoding or "") for n in ("16", "32")
    )
    if kind is None and b"\x00" in raw[:4096] and not wide:
        kind = "a binary file"
    if kind is not None:
        raise DataError(
            f"{path} is {kind}, not CSV text; save it as CSV (in a spreadsheet: Save As, CSV)"
        )


def parse_timestamps(
    raw: pd.Series,
    name: str,
    tz: str | None,
    dayfirst: bool | None = None,
    date_format: str | None = None,
    notes: list[str] | None = None,
) -> tuple[pd.DatetimeIndex, Any]:
    """Timestamps of a time column as a naive UTC index (when they carry offsets or `tz` names
    their zone) or as they are (naive, no zone), and the zone to show them in (None: naive).

    Offsets may differ from row to row (a daylight-saving change); `tz` names the zone of naive
    local timestamps (e.g. "Europe/Berlin"): the repeated autumn hour is told apart by order,
    a skipped spring hour is refused. `dayfirst` / `date_format`: see `read_dates`; a note on
    how the day/month order was decided goes into `notes`.

    Raises:
        DataError: a mix of timestamps with and without offsets, a local time that does not
            exist or is ambiguous in `tz`, or values that are not timestamps (ValueError from
            pandas, left to the caller to word).
        ConfigError: an unknown zone.
    """
    zone = _zone(tz)
    try:
        if dayfirst is None and date_format is None:
            dayfirst, note = _day_month_order(raw, name)  # decided once, for the retry too
            if note and notes is not None:
                notes.append(note)
        stamps, _ = read_dates(raw, name, dayfirst, date_format)
    except DataError:
        raise
    except ValueError as exc:
        if "Mixed timezones" not in str(exc) and "tz-aware" not in str(exc):
            raise
        has_offset = raw.astype(str).str.strip().str.contains(_OFFSET)
        if not has_offset.all():
            row = int(np.flatnonzero(~has_offset.to_numpy())[0])
            raise DataError(
                f"time column {name!r} mixes timestamps with and without a UTC offset (row "
                f"{row}: {raw.iloc[row]!r}); give every timestamp an offset, or none and name "
                "their zone with tz="
            ) from None
        stamps = read_dates(raw, name, dayfirst, date_format, utc=True)[0]
        return pd.DatetimeIndex(stamps.dt.tz_convert(None), name=name), zone or "UTC"
    if getattr(stamps.dt, "tz", None) is not None:  # one offset throughout
        shown = zone or stamps.dt.tz
        return pd.DatetimeIndex(stamps.dt.tz_convert(None), name=name), shown
    if zone is None:
        return pd.DatetimeIndex(stamps, name=name), None
    return pd.DatetimeIndex(_localize(stamps, zone, name).dt.tz_convert(None), name=name), zone


def _zone(tz: str | None) -> Any:
    if tz is None:
        return None
    try:
        return pd.Timestamp("2000-01-01", tz=tz).tz
    except Exception:  # pytz / zoneinfo raise their own types
        raise ConfigError(
            f"tz {tz!r} is not a time zone; give a name like Europe/Berlin or UTC", setting="tz"
        ) from None


def _localize(stamps: pd.Series, zone: Any, name: str) -> pd.Series:
    """Naive local `stamps` in `zone`; a repeated autumn hour is resolved by row order."""
    try:
        return stamps.dt.tz_localize(zone, ambiguous="infer", nonexistent="raise")
    except Exception as exc:  # pytz.NonExistentTimeError / AmbiguousTimeError are ValueErrors
        reason = " ".join(str(exc).split(". Try")[0].split())  # without pandas' own advice
        raise DataError(
            f"time column {name!r} cannot be read as local time in {zone} ({reason}); fix those "
            "rows, or leave tz out to read the timestamps as they are"
        ) from None


@dataclass
class Changes:
    """What the loader did to the values: merged duplicates, filled or dropped rows.

    Each list holds the places (timestamps or row numbers) in time order.
    """

    merged: list[Any] = field(default_factory=list)  # timestamps that had repeated rows
    merged_rows: int = 0  # rows merged away
    duplicates: str = "error"
    filled: dict[str, list[Any]] = field(default_factory=dict)  # column -> places filled
    fill: str | None = None
    dropped: list[Any] = field(default_factory=list)  # rows removed by fill="drop" (at the ends)
    gaps: list[Any] = field(default_factory=list)  # inner rows left empty by fill="drop"

    def to_dict(self) -> dict[str, Any]:
        return {
            "merged": [str(p) for p in self.merged],
            "merged_rows": self.merged_rows,
            "filled": {k: [str(p) for p in v] for k, v in self.filled.items()},
            "dropped": [str(p) for p in self.dropped],
            "gaps": [str(p) for p in self.gaps],
        }


def merge_duplicates(frame: pd.DataFrame, how: str, label: str, changes: Changes) -> pd.DataFrame:
    """`frame` (sorted) with each repeated timestamp merged into one row by `how`.

    Raises:
        DataError: with `how="error"`, naming the first repeated timestamp and the choices.
    """
    how = check_choice("duplicates", how, DUPLICATES)
    dup = frame.index.duplicated(keep=False)
    if not dup.any():
        return frame
    stamps = frame.index[dup].unique()
    if how == "error":
        raise DataError(
            f"{label}duplicate timestamp {stamps[0]} ({int(frame.index.duplicated().sum())} "
            "duplicates); merge them with duplicates='mean' (or sum, first, last) or remove "
            "the repeated rows"
        )
    merged = frame.groupby(level=0, sort=True).agg(how)
    changes.merged, changes.duplicates = list(stamps), how
    changes.merged_rows = len(frame) - len(merged)
    merged.index = merged.index.rename(frame.index.name)
    return merged


# ---------------------------------------------------------------------- cleaning
def numeric_columns(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """`frame[columns]` as float64 columns (a new frame, the same index; for a panel one pass
    over the long frame, not one per series).

    Raises:
        DataError: a column with a value that is not a number, named with its row.
    """
    out = {}
    for col in columns:
        raw = frame[col]
        if pd.api.types.is_bool_dtype(raw) or pd.api.types.is_numeric_dtype(raw):
            out[col] = raw.to_numpy(dtype="float64")  # nothing to parse (and fast)
            continue
        values = pd.to_numeric(raw, errors="coerce")
        bad = raw.notna() & values.isna()
        if bad.any():
            where = raw.index[bad.to_numpy()][0]
            raise DataError(
                f"column {col!r} is not numeric: value {raw[bad].iloc[0]!r} at {where}; "
                "clean it or leave the column out"
            )
        out[col] = values.to_numpy(dtype="float64")
    return pd.DataFrame(out, index=frame.index)


def check_order(
    frame: pd.DataFrame, sort: bool, duplicates: str, label: str, changes: Changes
) -> pd.DataFrame:
    """`frame` in time order (sorted with `sort`), repeated timestamps merged by
    `duplicates` (`forecast.reading.merge_duplicates`)."""
    index = frame.index
    if not index.is_monotonic_increasing:
        if not sort:
            pos = int(np.flatnonzero(index[1:] < index[:-1])[0])
            raise DataError(
                f"{label}timestamps are not sorted ({index[pos + 1]} comes after {index[pos]}); "
                "sort the data or pass sort=True"
            )
        frame = frame.sort_index(kind="stable")
    return merge_duplicates(frame, duplicates, label, changes)


def infer_freq(index: pd.DatetimeIndex, freq: str | None, label: str) -> str | None:
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


def fill_gaps(frame: pd.DataFrame, freq: str | None, fill: str | None, label: str) -> pd.DataFrame:
    """`frame` on its full `freq` grid: missing timestamps become rows of NaN for `fill`.

    Raises:
        DataError: a timestamp off the grid, data coarser than `freq` (daily rows for an
            hourly `freq` would be mostly invented), missing timestamps without `fill`, or
            (with `fill="drop"`) inside the series, where windows would span the gap.
    """
    if freq is None or not isinstance(frame.index, pd.DatetimeIndex):
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
    steps = np.diff(full.get_indexer(frame.index))
    step = int(np.bincount(steps).argmax()) if len(steps) else 1
    if step > 1:
        raise DataError(
            f"{label}the data has one row every {step} steps of {freq!r} (e.g. {frame.index[0]}, "
            f"{frame.index[1]}): its frequency is not {freq!r}; give data at frequency {freq!r} "
            f"(resample it) rather than have {step - 1} of every {step} values invented"
        )
    missing = full.difference(frame.index)
    if fill is None:
        raise DataError(
            f"{label}{len(missing)} missing timestamps in a {freq!r} series (first {missing[0]}); "
            "pass fill='interpolate', 'ffill' or 'drop'"
        )
    return frame.reindex(full.rename(frame.index.name))  # rows of NaN for `fill_missing`


def fill_missing(
    frame: pd.DataFrame, fill: str | None, label: str, changes: Changes
) -> pd.DataFrame:
    """`frame` with its missing values filled by `fill`, or, with "drop", its leading and
    trailing rows with missing values removed and the inner ones left as gap rows (every
    column NaN: windows are cut only inside the gap-free segments between them,
    `forecast.gaps.complete_windows`); every place changed goes into `changes`.

    Raises:
        DataError: infinite values or ones over `LARGEST`; missing values without `fill`;
            with "interpolate", missing values at the start or end (nothing to interpolate
            from or towards); with "ffill", at the start.
    """
    values = frame.to_numpy()
    if np.isinf(values).any():
        row, col = np.argwhere(np.isinf(values))[0]
        raise DataError(
            f"{label}column {frame.columns[col]!r} has infinite values (first at "
            f"{frame.index[row]}); replace them before loading"
        )
    with np.errstate(invalid="ignore"):
        huge = np.abs(values) > LARGEST
    if huge.any():
        row, col = np.argwhere(huge)[0]
        raise DataError(
            f"{label}column {frame.columns[col]!r} has a value too large to forecast "
            f"({values[row, col]:.3g} at {frame.index[row]}; over {LARGEST:.0e} it would overflow "
            "the model's 32-bit numbers): fix it, or rescale the column (e.g. divide by 1e6)"
        )
    nan = np.isnan(values)
    if not nan.any():
        return frame
    changes.fill = fill
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
    rows = nan.any(axis=1)
    complete = np.flatnonzero(~rows)
    if fill == "drop":
        if len(complete) == 0:
            raise DataError(f"{label}every row has a missing value; nothing is left to load")
        ends = np.ones(len(frame), dtype=bool)
        ends[complete[0] : complete[-1] + 1] = False
        changes.dropped = list(frame.index[rows & ends])
        frame = frame.iloc[complete[0] : complete[-1] + 1]
        inner = rows[complete[0] : complete[-1] + 1]
        if inner.any():  # gap rows: every column NaN, so no window spans them
            changes.gaps = list(frame.index[inner])
            frame = frame.copy()
            frame.iloc[np.flatnonzero(inner), :] = np.nan
        return frame
    if fill == "ffill":
        frame = frame.ffill()
    else:
        method = "time" if isinstance(frame.index, pd.DatetimeIndex) else "linear"
        frame = frame.interpolate(method=method, limit_direction="forward", limit_area="inside")
    left = np.isnan(frame.to_numpy())
    if left.any():
        row = int(np.flatnonzero(left.any(axis=1))[0])
        where = "first" if row == 0 else "last"
        fix = "trim the start of the data" if row == 0 else "remove the rows after the last value"
        raise DataError(
            f"{label}the {where} rows are missing (from {frame.index[row]}) and {fill} has "
            f"nothing to fill them from; use fill='drop' or {fix}"
        )
    changes.filled = {
        str(col): list(frame.index[nan[:, j]])
        for j, col in enumerate(frame.columns)
        if nan[:, j].any()
    }
    return frame


# ---------------------------------------------------------------------- reports
def _runs(places: list[Any], freq: str | None) -> list[str]:
    """`places` with neighbours (one `freq` step or one row apart) written as runs."""
    step = pd.tseries.frequencies.to_offset(freq) if freq else None
    runs: list[list[Any]] = []
    for place in places:
        last = runs[-1][-1] if runs else None
        if isinstance(last, pd.Timestamp):
            neighbour = step is not None and place == last + step
        else:
            neighbour = last is not None and place == last + 1
        if neighbour:
            runs[-1].append(place)
        else:
            runs.append([place])
    shown = [[_when(r[0], freq), _when(r[-1], freq), len(r)] for r in runs]
    return [first if n == 1 else f"{first}..{last} ({n})" for first, last, n in shown]


def _when(place: Any, freq: str | None = None) -> str:
    if not isinstance(place, pd.Timestamp):
        return f"row {place}"
    try:
        daily = pd.Timedelta(pd.tseries.frequencies.to_offset(freq)) >= pd.Timedelta(days=1)
    except (TypeError, ValueError):  # None, or a calendar frequency (MS, W-SUN, ...)
        daily = freq is not None
    return str(place.date()) if daily and place == place.normalize() else str(place)[:16]


def _listing(places: list[Any], freq: str | None) -> str:
    runs = _runs(places, freq)
    more = f", and {len(runs) - _SHOWN} more runs" if len(runs) > _SHOWN else ""
    return ", ".join(runs[:_SHOWN]) + more


def changes_report(changes: Changes, freq: str | None, label: str = "") -> list[str]:
    """One line per kind of change, with the count and the places (runs of neighbours
    joined as `first..last (n)`)."""
    lines = []
    if changes.merged:
        lines.append(
            f"{label}merged {changes.merged_rows + len(changes.merged)} rows into "
            f"{len(changes.merged)} repeated timestamps by {changes.duplicates}: "
            f"{_listing(changes.merged, freq)}"
        )
    for col, places in changes.filled.items():
        lines.append(
            f"{label}filled {len(places)} missing values of {col!r} by {changes.fill}: "
            f"{_listing(places, freq)}"
        )
    if changes.dropped:
        lines.append(
            f"{label}dropped {len(changes.dropped)} rows with missing values at the ends: "
            f"{_listing(changes.dropped, freq)}"
        )
    if changes.gaps:
        runs = _runs(changes.gaps, freq)
        lines.append(
            f"{label}dropped {len(changes.gaps)} rows with missing values inside the series, "
            f"{len(runs)} gap{'s' * (len(runs) != 1)} no window spans: "
            f"{_listing(changes.gaps, freq)}"
        )
    return lines
