"""Real, messy data through the command line and `load_series` (issue 13, cases 6, 7 and 9-12).

Each case feeds the exact kind of input that went wrong (daily rows for an hourly run, empty
future targets, a `;` file with decimal commas, a daylight-saving change, ...) and checks for
the right result or one `error: ...` line with exit status 2, in the command line's terms.
Runs are tiny (8 units, 2 epochs); the tests that train are marked slow.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_helpers import invoke, one_error

from forecast import load_series
from forecast.errors import ConfigError, DataError
from forecast.series import load_report

ROOT = Path(__file__).resolve().parents[1]
AEP = ROOT.parent / "shared" / "datasets" / "AEP_hourly.csv"
TINY = ["--lookback", "12", "--horizon", "6", "--epochs", "2", "--units", "8", "--quiet"]


def hourly(n: int = 300, start: str = "2024-01-01") -> pd.DataFrame:
    """`time,load`: a daily cycle plus a little noise, `n` hours."""
    index = pd.date_range(start, periods=n, freq="h")
    rng = np.random.default_rng(0)
    load = 100 + 10 * np.sin(2 * np.pi * np.arange(n) / 24) + rng.normal(0, 1, n)
    return pd.DataFrame({"time": index.strftime("%Y-%m-%d %H:%M:%S"), "load": load.round(3)})


def write(frame: pd.DataFrame, path: Path, **options: object) -> Path:
    frame.to_csv(path, index=False, **options)
    return path


@pytest.fixture(scope="module")
def hourly_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run trained with `--fill ffill` on clean hourly data."""
    folder = tmp_path_factory.mktemp("messy")
    data = write(hourly(), folder / "hourly.csv")
    out = folder / "run"
    result = invoke("train", data, *TINY, "--fill", "ffill", "--no-plots", "--out", out)
    assert result.exit_code == 0, result.output
    return out


# ---------------------------------------------------------------------- 6: no invented input
@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_daily_data_for_an_hourly_run_is_refused(
    hourly_run: Path, tmp_path: Path, command: str
) -> None:
    daily = hourly(60)
    daily["time"] = pd.date_range("2024-01-01", periods=60, freq="D").strftime("%Y-%m-%d")
    data = write(daily, tmp_path / "daily.csv")

    result = invoke(command, hourly_run, "--data", data)

    one_error(result, "the data has one row every 24 steps of 'h'", "its frequency is not 'h'")


def test_future_rows_with_an_empty_target_are_refused_not_filled(
    hourly_run: Path, tmp_path: Path
) -> None:
    frame = hourly()
    frame.loc[frame.index[-3:], "load"] = np.nan  # the usual way to hand over future rows
    data = write(frame, tmp_path / "future.csv")

    result = invoke("predict", hourly_run, "--data", data)

    one_error(
        result, "the last 3 rows (from 2024-01-13 09:00:00) have no 'load' value", "remove those"
    )


@pytest.mark.slow  # trains (in-process, tiny)
def test_every_command_that_fills_says_how_many_values_and_where(
    hourly_run: Path, tmp_path: Path
) -> None:
    frame = hourly()
    frame.loc[[100, 101, 297], "load"] = np.nan  # two inside training, one in predict's input
    data = write(frame, tmp_path / "holes.csv")
    line = "filled 3 missing values of 'load' by ffill: 2024-01-05 04:00..2024-01-05 05:00 (2)"
    line += ", 2024-01-13 09:00"

    trained = invoke("train", data, *TINY, "--fill", "ffill", "--no-plots", "--out", tmp_path / "r")
    evaluated = invoke("evaluate", hourly_run, "--data", data)
    predicted = invoke("predict", hourly_run, "--data", data)
    tested = invoke("backtest", data, *TINY, "--fill", "ffill", "--folds", "2", "--epochs", "1",
                    "--refit-every", "0")  # fmt: skip

    for result in (trained, evaluated, predicted, tested):
        assert result.exit_code == 0, result.output
        assert line in result.stdout, result.stdout
    assert "warning: the forecast reads filled values in its last 12 input rows" in (
        predicted.stderr
    )
    assert "2024-01-13 09:00" in predicted.stderr
    record = json.loads((tmp_path / "r" / "metrics.json").read_text())["load"]  # every place
    assert record["filled"] == {"load": ["2024-01-05 04:00:00", "2024-01-05 05:00:00",
                                         "2024-01-13 09:00:00"]}  # fmt: skip


# ---------------------------------------------------------------------- 7
def test_fill_drop_trains_around_a_gap_and_says_so(tmp_path: Path) -> None:
    data = write(hourly().drop(index=[150, 151]), tmp_path / "gap.csv")

    result = invoke("train", data, *TINY[:-1], "--fill", "drop", "--out", tmp_path / "r")

    assert result.exit_code == 0, result.output
    assert "dropped 2 rows with missing values inside the series, 1 gap no window spans: " \
        "2024-01-07 06:00..2024-01-07 07:00 (2)" in result.stdout  # fmt: skip
    assert "gaps   19 training windows left out (they would span a gap)" in result.stdout
    record = json.loads((tmp_path / "r" / "metrics.json").read_text())["load"]
    assert record["gaps"] == ["2024-01-07 06:00:00", "2024-01-07 07:00:00"]
    assert record["filled"] == {}  # nothing filled


def test_evaluate_from_before_the_test_part_warns_that_it_scores_trained_rows(
    hourly_run: Path, tmp_path: Path
) -> None:
    data = write(hourly(), tmp_path / "same.csv")

    result = invoke("evaluate", hourly_run, "--data", data, "--test-start", "2024-01-05")

    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(
        "warning: scoring from 2024-01-05 00:00:00 includes 144 rows up to 2024-01-10 23:00:00 "
        "that the model was trained or validated on"
    ), result.stderr
    default = invoke("evaluate", hourly_run, "--data", data)
    assert "warning" not in default.stderr


@pytest.mark.slow  # trains (in-process, tiny)
def test_an_unrecognised_time_column_is_found_by_its_content_and_named(tmp_path: Path) -> None:
    frame = hourly().rename(columns={"time": "Zeit", "load": "Wert"})
    shuffled = write(frame.iloc[::-1], tmp_path / "zeit.csv")

    one_error(invoke("train", shuffled, *TINY), "timestamps are not sorted", "pass --sort")
    result = invoke("train", shuffled, *TINY, "--sort", "--no-plots", "--out", tmp_path / "r")

    assert result.exit_code == 0, result.output
    assert "load   time: column 'Zeit' (it holds timestamps), timestamps" in result.stdout


def test_no_time_column_is_said_out_loud() -> None:
    frame = load_series(pd.DataFrame({"Nummer": ["a", "b", "c"], "Wert": [1.0, 2.0, 3.0]}))

    assert isinstance(frame.index, pd.RangeIndex)
    assert load_report(frame)[0].startswith("time: no time column found, so rows are steps")


# ---------------------------------------------------------------------- 9: time zones
def _local(start: str, periods: int, zone: str = "Europe/Berlin") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=periods, freq="h", tz=zone)


@pytest.mark.slow  # trains (in-process, tiny)
def test_offsets_that_change_at_daylight_saving_load_as_one_hourly_series(tmp_path: Path) -> None:
    stamps = _local("2024-03-30", 48)  # 31 March: +01:00 -> +02:00
    frame = pd.DataFrame({"time": [s.isoformat() for s in stamps], "load": np.arange(48.0)})
    path = write(frame, tmp_path / "dst.csv")

    series = load_series(path)

    assert series.attrs["forecast"]["freq"] == "h" and len(series) == 48
    assert series.index[0] == pd.Timestamp("2024-03-29 23:00")  # naive UTC
    assert series.attrs["load"]["tz"] == "UTC"
    result = invoke("train", path, "--lookback", "6", "--horizon", "2", "--epochs", "1",
                    "--units", "4", "--quiet", "--no-plots", "--out", tmp_path / "r")  # fmt: skip
    assert result.exit_code == 0, result.output


@pytest.mark.slow  # trains (in-process, tiny)
def test_tz_names_the_zone_of_naive_local_times_and_forecasts_come_back_in_it(
    tmp_path: Path,
) -> None:
    stamps = _local("2024-10-26", 60)  # 27 October: 02:00 local happens twice
    naive = [s.strftime("%Y-%m-%d %H:%M") for s in stamps]
    path = write(pd.DataFrame({"time": naive, "load": np.arange(60.0)}), tmp_path / "local.csv")

    one_error(invoke("train", path, *TINY), "duplicate timestamp 2024-10-27 02:00:00")
    series = load_series(path, tz="Europe/Berlin")
    assert series.attrs["forecast"]["freq"] == "h" and len(series) == 60
    assert series.index.equals(pd.DatetimeIndex(stamps.tz_convert(None), name="time"))

    out = tmp_path / "r"
    small = ["--lookback", "6", "--horizon", "2", "--epochs", "1", "--units", "4", "--quiet"]
    trained = invoke("train", path, "--tz", "Europe/Berlin", *small, "--no-plots", "--out", out)
    assert trained.exit_code == 0, trained.output
    predicted = invoke("predict", out, "--data", path, "--out", "-")
    assert predicted.exit_code == 0, predicted.output
    assert "2024-10-28 12:00:00+01:00" in predicted.stdout  # the next hour, local time


def test_mixed_offsets_and_naive_times_and_bad_zones_are_clear_errors(tmp_path: Path) -> None:
    mixed = pd.DataFrame({"time": ["2024-01-01 00:00", "2024-01-01 01:00+01:00"], "y": [1, 2]})

    with pytest.raises(DataError, match="mixes timestamps with and without a UTC offset"):
        load_series(mixed)
    with pytest.raises(ConfigError, match="tz 'Mars/Olympus' is not a time zone"):
        load_series(hourly(5), tz="Mars/Olympus")


# ---------------------------------------------------------------------- 10: sort, duplicates
def _aep_like() -> pd.DataFrame:
    """Hourly load in yearly blocks, newest first; one hour repeated, one missing."""
    frame = hourly(200)
    frame = pd.concat([frame, frame.iloc[[50]].assign(load=frame["load"][50] + 10)])
    frame = frame.drop(index=[120])
    return pd.concat([frame.iloc[100:], frame.iloc[:100]])


@pytest.mark.slow  # trains (in-process, tiny)
def test_sort_and_duplicates_on_the_command_line_with_what_was_merged_and_filled(
    tmp_path: Path,
) -> None:
    path = write(_aep_like(), tmp_path / "aep_like.csv")

    one_error(invoke("train", path, *TINY), "timestamps are not sorted", "pass --sort")
    one_error(invoke("train", path, *TINY, "--sort"), "duplicate timestamp 2024-01-03 02:00:00",
              "merge them with --duplicates mean (or sum, first, last)")  # fmt: skip
    one_error(invoke("train", path, *TINY, "--sort", "--duplicates", "mean"),
              "1 missing timestamps in a 'h' series (first 2024-01-06 00:00:00)",
              "pass --fill interpolate")  # fmt: skip
    one_error(invoke("train", path, *TINY, "--duplicates", "median"), "unknown --duplicates")
    result = invoke("train", path, *TINY, "--sort", "--duplicates", "mean", "--fill",
                    "interpolate", "--no-plots", "--out", tmp_path / "r")  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "merged 2 rows into 1 repeated timestamps by mean: 2024-01-03 02:00" in result.stdout
    assert "filled 1 missing values of 'load' by interpolate: 2024-01-06 00:00" in result.stdout


@pytest.mark.skipif(not AEP.is_file(), reason="../shared/datasets/AEP_hourly.csv is absent")
def test_aep_hourly_loads_with_its_merges_and_fills_counted() -> None:
    series = load_series(AEP, sort=True, duplicates="mean", fill="interpolate")

    assert len(series) == 121296 and series.attrs["forecast"]["freq"] == "h"
    changes = series.attrs["load"]["changes"]
    assert (len(changes.merged), changes.merged_rows, len(changes.filled["AEP_MW"])) == (4, 4, 27)
    report = load_report(series)
    assert report[1].startswith("merged 8 rows into 4 repeated timestamps by mean: 2014-11-02")
    assert report[2].startswith("filled 27 missing values of 'AEP_MW' by interpolate: ")


# ---------------------------------------------------------------------- 11: dialects
def test_semicolons_and_decimal_commas_are_sniffed(tmp_path: Path) -> None:
    frame = hourly(40).assign(temp=np.linspace(-2.5, 3.5, 40))
    path = write(frame.rename(columns={"time": "timestamp"}), tmp_path / "de.csv",
                 sep=";", decimal=",")  # fmt: skip

    series = load_series(path, target="load", covariates="temp")

    assert series.attrs["forecast"]["freq"] == "h"
    np.testing.assert_allclose(series["temp"], frame["temp"])
    same = load_series(path, target="load", covariates="temp", sep=";", decimal=",")
    pd.testing.assert_frame_equal(series, same)


def test_latin1_files_need_and_take_an_encoding(tmp_path: Path) -> None:
    frame = hourly(40).rename(columns={"time": "Zeit", "load": "Leistung (°C)"})
    path = tmp_path / "latin1.csv"
    path.write_bytes(frame.to_csv(index=False, sep=";", decimal=",").encode("latin-1"))

    one_error(invoke("train", path, *TINY), "is not UTF-8 (byte 0xb0",
              "give its encoding, e.g. --encoding latin-1")  # fmt: skip
    series = load_series(path, encoding="latin-1")
    assert list(series.columns) == ["Leistung (°C)"] and len(series) == 40
    with pytest.raises(ConfigError, match="encoding 'klingon' is unknown"):
        load_series(path, encoding="klingon")


# ---------------------------------------------------------------------- 12: the CLI's terms
def test_errors_speak_the_command_line(tmp_path: Path) -> None:
    one_error(invoke("train", tmp_path, *TINY), "is a directory, not a file")
    one_row = tmp_path / "one.csv"
    one_row.write_text("date,y\n2024-01-01,1\n")
    one_error(invoke("train", one_row, *TINY), "the data has 1 rows", "too short")
    two = write(hourly(50).assign(other=1.0), tmp_path / "two.csv")
    one_error(invoke("train", two, *TINY), "pass --target")
    holes = hourly(50)
    holes.loc[10, "load"] = np.nan
    one_error(invoke("train", write(holes, tmp_path / "h.csv"), *TINY), "pass --fill interpolate")
