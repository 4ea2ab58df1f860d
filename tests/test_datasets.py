"""`forecast datasets`: every data file found in data/ and ../shared/datasets is listed, with
the options that load it and one line on what it holds (issue #24: it listed 3 hard-coded
files)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest
from cli_helpers import invoke

from forecast import catalogue


def _long(n_series: int, rows: int) -> pd.DataFrame:
    stamps = pd.date_range("2020-01-01", periods=rows, freq="h")
    return pd.concat(
        pd.DataFrame({"zone": f"z{i}", "timestamp": stamps, "load": range(rows)})
        for i in range(n_series)
    )


def test_scan_finds_id_column_series_rows_and_frequency_of_a_gzip_panel(tmp_path: Path) -> None:
    path = tmp_path / "panel.csv.gz"
    with gzip.open(path, "wt") as fh:
        _long(3, 40).to_csv(fh, index=False)

    info = catalogue.scan_dataset(path)

    assert (info.rows, info.n_series, info.freq) == (120, 3, "h")
    assert info.options == "--time-col timestamp --target load --id-col zone"
    assert info.summary == "3 series by zone"


def test_scan_prefers_a_target_named_value_and_flags_unsorted_rows(tmp_path: Path) -> None:
    path = tmp_path / "steps.csv"
    frame = pd.DataFrame({"date": pd.date_range("2021-01-01", periods=30, freq="D")[::-1],
                          "step": range(30), "value": range(30)})  # fmt: skip
    frame.to_csv(path, index=False)

    info = catalogue.scan_dataset(path)

    assert (info.target, info.sort, info.freq, info.rows) == ("value", True, "D", 30)
    assert info.options == "--time-col date --target value --sort"
    assert info.summary == "one series; also step"


def test_datasets_lists_whatever_the_shared_folder_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared" / "datasets"
    shared.mkdir(parents=True)
    _long(2, 30).to_csv(shared / "my_zones.csv", index=False)
    (shared / "notes.md").write_text("not data\n")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)

    result = invoke("datasets")

    assert result.exit_code == 0, result.output
    assert "../shared/datasets/my_zones.csv" in result.stdout
    assert "2 series by zone" in result.stdout and "--id-col zone" in result.stdout
    assert "notes.md" not in result.stdout
    assert "data/synthetic_daily.csv" in result.stdout  # the bundled ones still
