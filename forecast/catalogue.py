"""The dataset catalogue behind `forecast datasets`: every data file found in the bundled
`data/` folder and the shared public datasets folder, each described from its own rows.

`bundled_datasets` and `public_datasets` list them (`scan_dataset`: read fast, a sample of
rows plus the id column).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from forecast.errors import DataError
from forecast.reading import open_bytes
from forecast.series import is_text, pick_time_col

DATA_SUFFIXES = (".csv", ".csv.gz")  # the files `forecast datasets` lists
SAMPLE_ROWS = 2000  # rows read to find a listed file's columns, order and frequency
TARGET_NAMES = ("value", "y", "target", "OT")  # taken as the target when present (else the first)


@dataclass
class DatasetInfo:
    """A CSV the toolkit can load: its shape, frequency and the columns to pass."""

    path: Path
    rows: int
    columns: list[str]
    freq: str | None
    time_col: str | None
    target: str
    id_col: str | None = None  # many series in one file (long format)
    n_series: int = 1
    sort: bool = False  # rows not in time order: `--sort`

    @property
    def options(self) -> str:
        """The `forecast train` options that load it."""
        found = [f"--time-col {self.time_col}"] if self.time_col else []
        found.append(f"--target {self.target}")
        found += [f"--id-col {self.id_col}"] if self.id_col else []
        found += ["--sort"] if self.sort else []
        return " ".join(found)

    @property
    def summary(self) -> str:
        """One line: how many series, and the columns besides the time, id and target."""
        others = [c for c in self.columns if c not in (self.time_col, self.target, self.id_col)]
        what = f"{self.n_series} series by {self.id_col}" if self.id_col else "one series"
        return what + (f"; also {', '.join(others)}" if others else "")


def repo_root() -> Path:
    """The folder holding the package source (the repository in an editable install)."""
    return Path(__file__).resolve().parents[1]


def scan_dataset(path: str | os.PathLike) -> DatasetInfo:
    """What `forecast datasets` shows of a data file, found from its own rows and read fast:
    the columns, the time column (by name or content, as `load_series` finds it), a series
    id column (a text column besides the time), the target (a numeric column named like
    `TARGET_NAMES`, else the first numeric one), the
    frequency and order of the first `SAMPLE_ROWS` rows, the row and series counts."""
    path = Path(path)
    sample = pd.read_csv(path, nrows=SAMPLE_ROWS)
    columns = [str(c) for c in sample.columns]
    time_col, _ = pick_time_col(sample, None, set())
    texts = [c for c in columns if c != time_col and is_text(sample[c])]
    id_col = next((c for c in texts if sample[c].nunique() < len(sample)), None)
    numeric = [c for c in columns if pd.api.types.is_numeric_dtype(sample[c])]
    numeric = [c for c in numeric if c not in (time_col, id_col)]
    if not numeric:
        raise DataError(f"{path} has no numeric column to forecast")
    first = sample if id_col is None else sample[sample[id_col] == sample[id_col].iloc[0]]
    freq, order = None, False
    if time_col is not None:
        stamps = pd.to_datetime(first[time_col], format="mixed", errors="coerce").dropna()
        order = not stamps.is_monotonic_increasing
        unique = stamps.sort_values().drop_duplicates()
        freq = pd.infer_freq(unique[:50]) if len(unique) >= 3 else None
    if id_col is None:
        rows, n_series = _count_rows(path), 1
    else:
        ids = pd.read_csv(path, usecols=[id_col])[id_col]
        rows, n_series = len(ids), ids.nunique()
    target = next((c for c in numeric if c in TARGET_NAMES), numeric[0])
    return DatasetInfo(path, rows, columns, freq, time_col, target, id_col, n_series, order)


def _count_rows(path: Path) -> int:
    """Data rows of a CSV file (lines after the header; compressed files read through,
    `forecast.reading.open_bytes`), counted 1 MiB at a time."""
    lines, last = 0, b""
    with open_bytes(path) as stream:
        while chunk := stream.read(1 << 20):
            lines, last = lines + chunk.count(b"\n"), chunk[-1:]
    return lines - 1 + (last != b"\n")


def dataset_files(folder: str | os.PathLike) -> list[Path]:
    """The data files in `folder` (`DATA_SUFFIXES`), by name."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name.endswith(DATA_SUFFIXES))


def bundled_datasets() -> list[DatasetInfo]:
    """The data files shipped in the repository's data/ folder (`scan_dataset`)."""
    return [scan_dataset(p) for p in dataset_files(repo_root() / "data")]


def public_datasets() -> list[DatasetInfo]:
    """The data files in the shared public datasets folder (../shared/datasets, from the
    working folder or beside the repository), whatever is there (`scan_dataset`)."""
    for base in (Path("../shared/datasets"), repo_root().parent / "shared" / "datasets"):
        if base.is_dir():
            return [scan_dataset(p) for p in dataset_files(base)]
    return []
