"""load_series: what it accepts, what it guarantees, and how it says what is wrong."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.errors import ConfigError, DataError
from forecast.series import load_series, series_info

REPO = Path(__file__).parents[1]
DATASETS = REPO / ".." / "shared" / "datasets"


def _daily(values, start="2024-01-01", **columns) -> pd.DataFrame:
    index = pd.date_range(start, periods=len(values), freq="D", name="date")
    return pd.DataFrame({"y": np.asarray(values, dtype=float), **columns}, index=index)


def _dataset(name: str) -> Path:
    path = DATASETS / name
    if not path.is_file():
        pytest.skip(f"{name} is not in ../shared/datasets")
    return path


# Sources ------------------------------------------------------------------------------------


def test_csv_path_loads_with_its_date_column_as_index(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("date,y\n2024-01-01,1.5\n2024-01-02,2.5\n2024-01-03,3.5\n")

    frame = load_series(path)

    assert isinstance(frame.index, pd.DatetimeIndex)
    assert frame.index.name == "date"
    assert list(frame.columns) == ["y"]
    assert frame["y"].tolist() == [1.5, 2.5, 3.5]
    assert frame["y"].dtype == np.float64
    info = frame.attrs["forecast"]
    assert {k: info[k] for k in ("target", "covariates", "freq")} == {
        "target": ["y"],
        "covariates": [],
        "freq": "D",
    }
    load = frame.attrs["load"]
    assert (load["time_col"], load["time_found"], load["tz"]) == ("date", "by name", None)


def test_csv_path_may_be_a_string(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("date,y\n2024-01-01,1\n2024-01-02,2\n2024-01-03,3\n")

    assert load_series(str(path))["y"].tolist() == [1.0, 2.0, 3.0]


def test_dataframe_with_datetime_index_loads():
    frame = load_series(_daily([1, 2, 3, 4]))

    assert frame.index.equals(pd.date_range("2024-01-01", periods=4, freq="D"))
    assert frame.attrs["forecast"]["freq"] == "D"


def test_dataframe_with_time_column_is_indexed_by_it():
    source = pd.DataFrame(
        {"when": ["2024-01-01 00:00", "2024-01-01 01:00", "2024-01-01 02:00"], "y": [1, 2, 3]}
    )

    frame = load_series(source, time_col="when", target="y")

    assert frame.index.name == "when"
    assert list(frame.columns) == ["y"]
    assert frame.index[1] == pd.Timestamp("2024-01-01 01:00")
    assert frame.attrs["forecast"]["freq"] == "h"


def test_range_indexed_frame_is_step_indexed():
    frame = load_series(pd.DataFrame({"y": [3.0, 1.0, 2.0]}))

    assert isinstance(frame.index, pd.RangeIndex)
    assert frame["y"].tolist() == [3.0, 1.0, 2.0]
    assert frame.attrs["forecast"]["freq"] is None


def test_integer_time_column_holds_step_numbers_not_nanoseconds():
    frame = load_series(pd.DataFrame({"year": [2001, 2002, 2003], "y": [1.0, 2.0, 3.0]}))

    assert not isinstance(frame.index, pd.DatetimeIndex)
    assert frame.index.tolist() == [2001, 2002, 2003]
    assert frame.index.name == "year"


def test_fractional_numbers_in_time_column_are_rejected():
    with pytest.raises(DataError, match=r"'t'.*whole step numbers"):
        load_series(pd.DataFrame({"t": [0.5, 1.0, 1.5], "y": [1.0, 2.0, 3.0]}), time_col="t")


def test_source_frame_is_left_untouched():
    source = pd.DataFrame({"date": ["2024-01-02", "2024-01-01"], "y": [2, np.nan]})
    before = source.copy()

    load_series(source, sort=True, fill="drop")

    pd.testing.assert_frame_equal(source, before)


def test_series_info_reports_the_recorded_roles():
    frame = load_series(_daily([1, 2, 3], c=[4.0, 5.0, 6.0]), target="y", covariates="c")

    assert series_info(frame) == {"target": ["y"], "covariates": ["c"], "freq": "D"}
    assert series_info(pd.DataFrame({"y": [1.0]})) == {
        "target": [],
        "covariates": [],
        "freq": None,
    }


# Unreadable sources -------------------------------------------------------------------------


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(DataError, match=r"not found: .*nowhere\.csv"):
        load_series(tmp_path / "nowhere.csv")


def test_binary_garbage_is_reported_as_not_text(tmp_path):
    path = tmp_path / "weights.csv"
    path.write_bytes(bytes([0x80, 0xFF, 0xFE, 0x00, 0x9C]) * 200)

    # NUL bytes: no encoding reads it, so the advice is CSV, not another encoding (issue #26)
    with pytest.raises(DataError, match=r"is a binary file, not CSV text; save it as CSV"):
        load_series(path)
    text = tmp_path / "latin.csv"
    text.write_bytes("date,y\n2024-01-01,1\xe9\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"is not UTF-8 \(byte 0xe9 at position 19\); give its"):
        load_series(text)


def test_malformed_csv_is_reported_as_not_csv(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("date,y\n2024-01-01,1\n2024-01-02,2,3,4\n")

    with pytest.raises(DataError, match=r"cannot parse .* as CSV"):
        load_series(path)


def test_csv_without_data_rows_is_rejected(tmp_path):
    path = tmp_path / "header.csv"
    path.write_text("date,y\n")

    with pytest.raises(DataError, match="no data rows"):
        load_series(path)


def test_source_of_another_type_is_rejected():
    with pytest.raises(DataError, match="CSV or Parquet path or a pandas DataFrame, got list"):
        load_series([1.0, 2.0, 3.0])


# Columns ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "role"),
    [
        ({"target": "OT"}, "target column 'OT'"),
        ({"target": "y", "covariates": ["temp"]}, "covariate column 'temp'"),
        ({"target": "y", "time_col": "stamp"}, "time column 'stamp'"),
        ({"target": "y", "id_col": "store"}, "id column 'store'"),
    ],
)
def test_absent_column_is_named_with_the_existing_columns(kwargs, role):
    source = pd.DataFrame({"date": ["2024-01-01", "2024-01-02"], "y": [1, 2], "x": [3, 4]})

    with pytest.raises(DataError, match=f"{role} not found; columns are: date, y, x"):
        load_series(source, **kwargs)


def test_target_must_be_named_when_several_numeric_columns_could_be_it():
    source = pd.DataFrame({"date": ["2024-01-01", "2024-01-02"], "a": [1, 2], "b": [3, 4]})

    with pytest.raises(DataError, match=r"pass target=.*columns are: date, a, b"):
        load_series(source)


def test_non_numeric_target_names_the_column_and_the_value():
    source = _daily([1, 2, 3]).astype(object)
    source.iloc[1, 0] = "n/a"

    with pytest.raises(DataError, match=r"column 'y' is not numeric: value 'n/a' at 2024-01-02"):
        load_series(source, target="y")


def test_non_numeric_covariate_names_the_column_and_the_value():
    source = _daily([1, 2, 3], temp=["20.5", "21", "warm"])

    with pytest.raises(
        DataError, match=r"column 'temp' is not numeric: value 'warm' at 2024-01-03"
    ):
        load_series(source, target="y", covariates="temp")


def test_numeric_strings_and_booleans_are_converted_to_float():
    source = _daily([1, 2, 3], temp=["20.5", "21", "22"], holiday=[True, False, True])

    frame = load_series(source, target="y", covariates=["temp", "holiday"])

    assert frame["temp"].tolist() == [20.5, 21.0, 22.0]
    assert frame["holiday"].tolist() == [1.0, 0.0, 1.0]
    assert (frame.dtypes == np.float64).all()


def test_targets_come_first_then_covariates_and_roles_are_recorded():
    source = _daily([1, 2, 3], a=[4, 5, 6], b=[7, 8, 9], unused=[0, 0, 0])

    frame = load_series(source, target=["b", "y"], covariates=["a"])

    assert list(frame.columns) == ["b", "y", "a"]
    assert frame.attrs["forecast"] == {"target": ["b", "y"], "covariates": ["a"], "freq": "D"}
    assert frame.loc["2024-01-02"].tolist() == [8.0, 2.0, 5.0]


def test_column_cannot_be_both_target_and_covariate():
    with pytest.raises(ConfigError, match="'y' is both a target and a covariate"):
        load_series(_daily([1, 2, 3]), target="y", covariates=["y"])


# Time ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["date", "Month", "timestamp", "Date"])
def test_time_column_is_found_by_its_usual_name(name):
    source = pd.DataFrame({name: ["1949-01", "1949-02", "1949-03"], "passengers": [112, 118, 132]})

    frame = load_series(source)

    assert frame.index.name == name
    assert frame.index[0] == pd.Timestamp("1949-01-01")
    assert list(frame.columns) == ["passengers"]


def test_unparsable_timestamp_is_named_with_its_row():
    source = pd.DataFrame({"date": ["2024-01-01", "soon", "2024-01-03"], "y": [1, 2, 3]})

    with pytest.raises(
        DataError, match=r"'date' has values that are not timestamps.*'soon'.*row 1"
    ):
        load_series(source)


def test_empty_timestamp_is_reported_with_its_row():
    source = pd.DataFrame({"date": ["2024-01-01", None, "2024-01-03"], "y": [1, 2, 3]})

    with pytest.raises(DataError, match=r"1 empty timestamps \(first at row 1"):
        load_series(source)


def test_unsorted_timestamps_are_an_error_by_default():
    source = pd.DataFrame({"date": ["2024-01-01", "2024-01-03", "2024-01-02"], "y": [1, 3, 2]})

    with pytest.raises(DataError, match=r"not sorted \(2024-01-02 00:00:00 comes after 2024-01-03"):
        load_series(source)


def test_sort_true_sorts_rows_with_their_values():
    source = pd.DataFrame(
        {"date": ["2024-01-03", "2024-01-01", "2024-01-02"], "y": [3, 1, 2], "c": [30, 10, 20]}
    )

    frame = load_series(source, target="y", covariates="c", sort=True)

    assert frame.index.is_monotonic_increasing
    assert frame["y"].tolist() == [1.0, 2.0, 3.0]
    assert frame["c"].tolist() == [10.0, 20.0, 30.0]


def test_unsorted_step_index_is_an_error_and_sort_fixes_it():
    source = pd.DataFrame({"y": [30.0, 10.0, 20.0]}, index=[2, 0, 1])

    with pytest.raises(DataError, match="not sorted"):
        load_series(source)
    assert load_series(source, sort=True)["y"].tolist() == [10.0, 20.0, 30.0]


def test_duplicate_timestamps_name_the_first_duplicate():
    source = pd.DataFrame(
        {
            "date": ["2024-01-01", "2024-01-02", "2024-01-02", "2024-01-03", "2024-01-03"],
            "y": [1, 2, 2, 3, 3],
        }
    )

    with pytest.raises(DataError, match=r"duplicate timestamp 2024-01-02 00:00:00 \(2 duplicates"):
        load_series(source)
    with pytest.raises(DataError, match="duplicate timestamp"):
        load_series(source, sort=True)


# Missing and infinite values ----------------------------------------------------------------


def test_nan_is_an_error_naming_how_many_and_where():
    source = _daily([1, np.nan, 3, np.nan], c=[1.0, 2.0, np.nan, 4.0])

    with pytest.raises(DataError) as info:
        load_series(source, target="y", covariates="c")

    message = str(info.value)
    assert "3 missing values" in message
    assert "'y': 2 (first at 2024-01-02" in message
    assert "'c': 1 (first at 2024-01-03" in message
    assert "fill='interpolate'" in message


def test_fill_interpolate_draws_straight_lines_through_gaps():
    frame = load_series(_daily([1, np.nan, 3, np.nan, np.nan, 6]), fill="interpolate")

    np.testing.assert_allclose(frame["y"], [1, 2, 3, 4, 5, 6])


def test_fill_interpolate_weighs_by_time_when_gaps_are_uneven():
    index = pd.DatetimeIndex(["2024-01-01", "2024-01-02", "2024-01-05"], name="date")
    source = pd.DataFrame({"y": [0.0, np.nan, 8.0]}, index=index)

    frame = load_series(source, fill="interpolate", freq=None)

    assert frame["y"].iloc[1] == pytest.approx(2.0)


def test_fill_ffill_repeats_the_last_value():
    frame = load_series(_daily([1, np.nan, 3, np.nan, np.nan, 6]), fill="ffill")

    assert frame["y"].tolist() == [1.0, 1.0, 3.0, 3.0, 3.0, 6.0]


def test_fill_drop_removes_rows_with_a_missing_value_at_the_ends_only():
    frame = load_series(
        _daily([np.nan, 2, 3, 4, 5], c=[1.0, 2.0, 3.0, 4.0, np.nan]), covariates="c", fill="drop"
    )

    assert frame.index.strftime("%d").tolist() == ["02", "03", "04"]
    assert frame["y"].tolist() == [2.0, 3.0, 4.0]
    changes = frame.attrs["load"]["changes"]
    assert [str(p.date()) for p in changes.dropped] == ["2024-01-01", "2024-01-05"]


def test_fill_drop_leaves_a_hole_inside_the_series_as_gap_rows_never_filled():
    source = _daily([1, np.nan, 3, 4], c=[1.0, 2.0, np.nan, 4.0])
    frame = load_series(source, covariates="c", fill="drop")

    assert frame["y"].tolist()[::3] == [1.0, 4.0] and frame["c"].tolist()[::3] == [1.0, 4.0]
    assert frame.iloc[1:3].isna().all().all()  # a row with a missing value is a gap row
    assert [str(p.date()) for p in frame.attrs["load"]["changes"].gaps] == [
        "2024-01-02", "2024-01-03",
    ]  # fmt: skip
    gapped = _daily([1, 2, 3, 4, 5, 6]).drop(index=pd.DatetimeIndex(["2024-01-03"]))
    loaded = load_series(gapped, fill="drop")  # a missing timestamp: a gap row on the grid
    assert loaded.index.freqstr == "D" and len(loaded) == 6
    assert np.isnan(loaded["y"].iloc[2]) and loaded["y"].drop(loaded.index[2]).tolist() == [
        1.0, 2.0, 4.0, 5.0, 6.0,
    ]  # fmt: skip
    from forecast.series import load_report

    assert load_report(loaded, time=False) == [
        "dropped 1 rows with missing values inside the series, 1 gap no window spans: 2024-01-03"
    ]
    assert loaded.attrs["load"]["changes"].to_dict()["gaps"] == ["2024-01-03 00:00:00"]


def test_leading_nan_cannot_be_filled_forward():
    with pytest.raises(DataError, match="first rows are missing"):
        load_series(_daily([np.nan, 2, 3]), fill="ffill")
    assert load_series(_daily([np.nan, 2, 3]), fill="drop")["y"].tolist() == [2.0, 3.0]


def test_nan_in_step_indexed_series_is_interpolated_linearly():
    frame = load_series(pd.DataFrame({"y": [1.0, np.nan, np.nan, 7.0]}), fill="interpolate")

    np.testing.assert_allclose(frame["y"], [1, 3, 5, 7])


@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_infinite_values_are_rejected_even_with_fill(bad):
    with pytest.raises(DataError, match=r"column 'y' has infinite values \(first at 2024-01-02"):
        load_series(_daily([1, bad, 3]), fill="interpolate")


def test_unknown_fill_is_a_config_error():
    with pytest.raises(ConfigError, match=r"unknown fill 'mean'; choose one of: interpolate"):
        load_series(_daily([1, 2, 3]), fill="mean")


# Frequency and missing timestamps -----------------------------------------------------------


@pytest.mark.parametrize(
    ("freq", "expected"),
    [("h", "h"), ("D", "D"), ("MS", "MS"), ("W-MON", "W-MON"), ("15min", "15min")],
)
def test_frequency_is_inferred(freq, expected):
    index = pd.date_range("2024-01-01", periods=12, freq=freq)

    frame = load_series(pd.DataFrame({"y": np.arange(12.0)}, index=index))

    assert frame.attrs["forecast"]["freq"] == expected


@pytest.mark.parametrize(("given", "recorded"), [("h", "h"), ("D", "D"), ("MS", "MS"), ("1D", "D")])
def test_given_frequency_is_checked_and_recorded(given, recorded):
    index = pd.date_range("1949-01-01", periods=6, freq=given)

    frame = load_series(pd.DataFrame({"y": np.arange(6.0)}, index=index), freq=given)

    assert frame.attrs["forecast"]["freq"] == recorded


@pytest.mark.parametrize("freq", ["fortnightly", "3X", ""])
def test_invalid_frequency_is_a_config_error(freq):
    with pytest.raises(ConfigError, match="is not a pandas frequency"):
        load_series(_daily([1, 2, 3]), freq=freq)


def test_frequency_that_the_timestamps_do_not_follow_is_an_error():
    index = pd.date_range("2024-01-01", periods=5, freq="h")

    with pytest.raises(DataError, match="off the 'D' grid"):
        load_series(pd.DataFrame({"y": np.arange(5.0)}, index=index), freq="D")


def test_missing_timestamps_are_an_error_by_default():
    source = _daily([1, 2, 3, 4, 5, 6]).drop(index=pd.Timestamp("2024-01-03"))

    with pytest.raises(DataError, match=r"1 missing timestamps in a 'D' series \(first 2024-01-03"):
        load_series(source)


def test_missing_month_is_found_in_monthly_data():
    index = pd.date_range("1949-01-01", periods=24, freq="MS").delete(5)
    source = pd.DataFrame({"passengers": np.arange(23.0) + 100}, index=index)

    with pytest.raises(DataError, match=r"1 missing timestamps in a 'MS' series \(first 1949-06"):
        load_series(source)
    frame = load_series(source, fill="ffill")
    assert len(frame) == 24
    assert frame.attrs["forecast"]["freq"] == "MS"


@pytest.mark.parametrize(
    ("fill", "expected"),
    [("interpolate", [1, 2, 3, 4, 5, 6]), ("ffill", [1, 2, 2, 2, 5, 6])],
)
def test_missing_timestamps_are_filled_as_asked(fill, expected):
    source = _daily([1, 2, 3, 4, 5, 6]).drop(index=pd.DatetimeIndex(["2024-01-03", "2024-01-04"]))

    frame = load_series(source, fill=fill)

    np.testing.assert_allclose(frame["y"], expected)
    assert frame.attrs["forecast"]["freq"] == "D"
    assert frame.index.equals(pd.date_range("2024-01-01", periods=6, freq="D"))
    filled = frame.attrs["load"]["changes"].filled
    assert {k: [str(p.date()) for p in v] for k, v in filled.items()} == {
        "y": ["2024-01-03", "2024-01-04"]
    }


def test_very_short_series_has_no_inferred_frequency():
    index = pd.date_range("2024-01-01", periods=2, freq="h")

    frame = load_series(pd.DataFrame({"y": [1.0, 2.0]}, index=index))

    assert frame.attrs["forecast"]["freq"] is None


# Many series (long format) ------------------------------------------------------------------


def _long() -> pd.DataFrame:
    dates = list(pd.date_range("2024-01-01", periods=4, freq="D").strftime("%Y-%m-%d"))
    return pd.DataFrame(
        {
            "date": dates * 2,
            "store": ["north"] * 4 + ["south"] * 4,
            "sales": [1.0, 2, 3, 4, 10, 20, 30, 40],
            "price": [5.0] * 8,
        }
    )


def test_id_col_returns_one_validated_series_per_id_in_order_of_appearance():
    long = _long().iloc[::-1].reset_index(drop=True)  # south appears first, each reversed

    collection = load_series(long, target="sales", covariates="price", id_col="store", sort=True)

    assert list(collection) == ["south", "north"]
    south = collection["south"]
    assert list(south.columns) == ["sales", "price"]
    assert south["sales"].tolist() == [10.0, 20.0, 30.0, 40.0]
    assert south.index.is_monotonic_increasing
    assert south.attrs["forecast"] == {"target": ["sales"], "covariates": ["price"], "freq": "D"}
    assert collection["north"]["sales"].tolist() == [1.0, 2.0, 3.0, 4.0]


def test_id_col_errors_name_the_series():
    long = _long()
    long.loc[5, "sales"] = np.nan

    with pytest.raises(DataError, match="series 'south': 1 missing values"):
        load_series(long, target="sales", id_col="store")


def test_id_col_checks_order_and_duplicates_per_series():
    long = _long()
    long.loc[6, "date"] = "2024-01-01"

    with pytest.raises(DataError, match="series 'south': timestamps are not sorted"):
        load_series(long, target="sales", id_col="store")
    with pytest.raises(DataError, match="series 'south': duplicate timestamp 2024-01-01"):
        load_series(long, target="sales", id_col="store", sort=True)


def test_id_col_fills_each_series_on_its_own():
    long = _long()
    long.loc[[1, 6], "sales"] = np.nan

    collection = load_series(long, target="sales", id_col="store", fill="interpolate")

    assert collection["north"]["sales"].tolist() == [1.0, 2.0, 3.0, 4.0]
    assert collection["south"]["sales"].tolist() == [10.0, 20.0, 30.0, 40.0]


def test_empty_series_id_is_rejected():
    long = _long()
    long.loc[2, "store"] = None

    with pytest.raises(DataError, match="id column 'store' has empty values"):
        load_series(long, target="sales", id_col="store")


@pytest.mark.parametrize("freq", ["D", "h", "15min", "W-SUN", "MS"])
def test_a_clean_panel_loads_as_each_series_would_alone(freq):
    # a clean panel is cut from one array at once; each frame must be what the per-series
    # checks give: values, the index with its frequency, the roles, the load notes
    rng, ids = np.random.default_rng(0), ["b", "a", "c"]
    frames = [
        pd.DataFrame({"store": key, "date": pd.date_range("2024-01-07", periods=n, freq=freq)})
        for key, n in zip(ids, [5, 9, 3], strict=True)
    ]
    long = pd.concat(frames[1:2] + frames[:1] + frames[2:], ignore_index=True)
    long = long.assign(sales=rng.normal(size=len(long)), price=rng.integers(0, 9, len(long)))
    long = long.sample(frac=1, random_state=1).sort_values("date", kind="stable")  # interleaved

    collection = load_series(
        long, time_col="date", target="sales", covariates="price", id_col="store"
    )

    assert list(collection) == list(dict.fromkeys(long["store"]))  # order of first appearance
    for key, got in collection.items():
        alone = load_series(long[long["store"] == key].drop(columns="store"), time_col="date",
                            target="sales", covariates="price")  # fmt: skip
        pd.testing.assert_frame_equal(got, alone, check_exact=True, check_freq=True)
        assert got.index.freq == alone.index.freq
        assert got.attrs["forecast"] == alone.attrs["forecast"]
        assert {k: v for k, v in got.attrs["load"].items() if k != "changes"} == {
            k: v for k, v in alone.attrs["load"].items() if k != "changes"
        }
        assert got.attrs["load"]["changes"] == alone.attrs["load"]["changes"]


def test_a_panel_with_one_unclean_series_still_names_it():
    long = _long().assign(date=lambda d: pd.to_datetime(d["date"]))
    long.loc[6, "sales"] = np.inf  # the other series are clean
    with pytest.raises(DataError, match="series 'south': column 'sales' has infinite values"):
        load_series(long, target="sales", id_col="store")
    long.loc[6, "sales"], long.loc[7, "date"] = 3.0, pd.Timestamp("2024-01-06")
    with pytest.raises(DataError, match="series 'south': 2 missing timestamps"):
        load_series(long, target="sales", id_col="store")


def test_microsecond_timestamps_load_in_nanoseconds(tmp_path):
    # Spark and Arrow write Parquet timestamps in microseconds: their own grid in pandas is
    # in nanoseconds, and the two once compared unequal (an IndexError, not a message)
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    stamps = pa.array(np.arange(4) * 86_400_000_000, pa.timestamp("us"))
    table = pa.table({"id": ["a", "a", "b", "b"], "ds": stamps, "y": [1.0, 2.0, 3.0, 4.0]})
    pq.write_table(table.take([0, 1, 2, 3]), tmp_path / "us.parquet")
    pq.write_table(pa.table({"ds": stamps, "y": [1.0, 2.0, 4.0, 8.0]}), tmp_path / "one.parquet")
    gappy = pa.table({"id": ["a"] * 4, "ds": stamps, "y": [1.0, None, 4.0, 8.0]})
    pq.write_table(gappy, tmp_path / "gappy.parquet")

    panel = load_series(tmp_path / "us.parquet", id_col="id", time_col="ds", target="y")
    one = load_series(tmp_path / "one.parquet", time_col="ds", target="y")
    filled = load_series(tmp_path / "gappy.parquet", id_col="id", time_col="ds", target="y",
                         fill="interpolate")  # fmt: skip

    assert panel["b"].index.dtype == one.index.dtype == "datetime64[ns]"
    assert one.attrs["forecast"]["freq"] == "D" and one.index.freq == "D"
    assert filled["a"]["y"].tolist() == [1.0, 2.5, 4.0, 8.0]


# Bundled and public datasets ----------------------------------------------------------------


def test_bundled_daily_dataset_loads():
    frame = load_series(REPO / "data" / "synthetic_daily.csv")

    assert frame.shape == (3653, 1)
    assert frame.attrs["forecast"] == {"target": ["value"], "covariates": [], "freq": "D"}
    assert frame.index[0] == pd.Timestamp("2015-01-01")
    assert frame.index[-1] == pd.Timestamp("2024-12-31")


def test_bundled_covariate_dataset_loads_with_its_drivers():
    frame = load_series(
        REPO / "data" / "synthetic_covariate.csv",
        target="load",
        covariates=["temperature", "noise_feature"],
    )

    assert frame.shape == (6000, 3)
    assert list(frame.columns) == ["load", "temperature", "noise_feature"]
    assert frame.attrs["forecast"]["freq"] == "h"
    assert frame.index.name == "timestamp"


def test_etth1_loads_hourly():
    frame = load_series(_dataset("ETTh1.csv"), target="OT", covariates=["HUFL", "HULL"])

    assert frame.shape == (17420, 3)
    assert list(frame.columns) == ["OT", "HUFL", "HULL"]
    assert frame.attrs["forecast"]["freq"] == "h"


def test_air_passengers_loads_monthly():
    frame = load_series(_dataset("AirPassengers.csv"))

    assert frame.shape == (144, 1)
    assert frame.attrs["forecast"] == {"target": ["Passengers"], "covariates": [], "freq": "MS"}
    assert frame["Passengers"].iloc[0] == 112.0


def test_daily_min_temperatures_report_their_two_missing_days():
    path = _dataset("daily-min-temperatures.csv")

    with pytest.raises(DataError, match=r"2 missing timestamps in a 'D' series \(first 1984-12-31"):
        load_series(path)
    frame = load_series(path, fill="interpolate")
    assert len(frame) == 3652
    assert frame.attrs["forecast"]["freq"] == "D"
    day_before, missing, day_after = frame.loc["1984-12-30":"1985-01-01", "Temp"]
    assert missing == pytest.approx((day_before + day_after) / 2)


# Compressed and columnar files ---------------------------------------------------------------


def _panel_frame() -> pd.DataFrame:
    stamps = pd.date_range("2024-01-01", periods=30, freq="h")
    rows = [
        {"zone": z, "timestamp": str(t), "load": float(i * 10 + k), "temp": 0.5 * k, "note": "x"}
        for i, z in enumerate(["a", "b"])
        for k, t in enumerate(stamps)
    ]
    return pd.DataFrame(rows)


PANEL = dict(id_col="zone", time_col="timestamp", target="load", covariates="temp")


def _same_panel(got: dict, want: dict) -> None:
    assert list(got) == list(want)
    for key in want:
        pd.testing.assert_frame_equal(got[key], want[key])
        assert got[key].attrs["forecast"] == want[key].attrs["forecast"]


@pytest.mark.parametrize("suffix", [".csv.gz", ".csv.bz2", ".csv.xz", ".csv.zip"])
def test_compressed_csv_loads_like_the_plain_csv(tmp_path, suffix):
    plain, packed = tmp_path / "panel.csv", tmp_path / f"panel{suffix}"
    _panel_frame().to_csv(plain, index=False)
    _panel_frame().to_csv(packed, index=False)  # pandas compresses by the suffix
    _same_panel(load_series(packed, **PANEL), load_series(plain, **PANEL))


def test_compressed_csv_keeps_the_checks_and_messages(tmp_path):
    latin = tmp_path / "latin.csv.gz"
    frame = pd.DataFrame({"Zeit": ["2024-01-01", "2024-01-02", "2024-01-03"], "°C": [1, 2, 3]})
    frame.to_csv(latin, index=False, encoding="latin-1")
    with pytest.raises(DataError, match=r"is not UTF-8 \(byte 0xb0 at position \d+\); give its"):
        load_series(latin)
    assert load_series(latin, encoding="latin-1")["°C"].tolist() == [1.0, 2.0, 3.0]
    semicolons = tmp_path / "semi.csv.gz"
    _panel_frame().to_csv(semicolons, index=False, sep=";", decimal=",")
    assert load_series(semicolons, **PANEL)["b"]["temp"].iloc[3] == 1.5  # sniffed ; and ,
    with pytest.raises(DataError, match=r"target column 'nope' not found; columns are: zone, "):
        load_series(semicolons, id_col="zone", time_col="timestamp", target="nope")
    broken = tmp_path / "broken.csv.gz"
    broken.write_bytes((tmp_path / "semi.csv.gz").read_bytes()[:40])
    with pytest.raises(DataError, match=r"cannot read .*broken\.csv\.gz as gzip"):
        load_series(broken)


def test_zstd_without_its_package_is_one_clear_error(tmp_path):
    path = tmp_path / "panel.csv.zst"
    path.write_bytes(b"\x28\xb5\x2f\xfd")
    try:
        import zstandard  # noqa: F401
    except ImportError:
        with pytest.raises(ConfigError, match=r"needs the zstandard package: pip install"):
            load_series(path)


def test_parquet_file_and_folder_of_parts_load_like_the_csv(tmp_path):
    pytest.importorskip("pyarrow")
    frame = _panel_frame()
    frame.to_csv(tmp_path / "panel.csv", index=False)
    want = load_series(tmp_path / "panel.csv", **PANEL)
    frame.to_parquet(tmp_path / "panel.parquet", index=False)
    _same_panel(load_series(tmp_path / "panel.parquet", **PANEL), want)
    parts = tmp_path / "parts"
    parts.mkdir()
    for i, (_, group) in enumerate(frame.groupby("zone", sort=False)):
        group.to_parquet(parts / f"part-{i:03d}.parquet", index=False)
    (parts / "_SUCCESS").write_text("")
    _same_panel(load_series(parts, **PANEL), want)
    typed = frame.assign(timestamp=pd.to_datetime(frame["timestamp"]))  # a real timestamp type
    typed.assign(zone=typed["zone"].astype("category")).to_parquet(tmp_path / "typed.parquet")
    _same_panel(load_series(tmp_path / "typed.parquet", **PANEL), want)
    with pytest.raises(DataError, match=r"target column 'nope' not found; columns are: zone, "):
        load_series(parts, id_col="zone", time_col="timestamp", target="nope")
    (tmp_path / "fake.parquet").write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match=r"cannot read .*fake\.parquet as Parquet"):
        load_series(tmp_path / "fake.parquet")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="is a directory, not a file; give the CSV file inside"):
        load_series(tmp_path / "empty")


def test_only_the_columns_with_a_role_are_read(tmp_path, monkeypatch):
    import forecast.reading as reading

    path = tmp_path / "panel.csv.gz"
    _panel_frame().to_csv(path, index=False)
    seen = []
    original = reading.read_csv

    def spy(*args, **kwargs):
        seen.append(list(original(*args, **kwargs).columns))
        return original(*args, **kwargs)

    monkeypatch.setattr(reading, "read_csv", spy)
    load_series(path, **PANEL)
    load_series(path, id_col="zone", target="load")  # the time column found by its name
    with pytest.raises(DataError, match="cannot tell which column to forecast"):
        load_series(path, id_col="zone")  # the target to infer: every column read
    want = ["zone", "timestamp", "load", "temp"], ["zone", "timestamp", "load"]
    assert seen == [*want, ["zone", "timestamp", "load", "temp", "note"]]


def test_parquet_without_pyarrow_is_one_clear_error(tmp_path, monkeypatch):
    import builtins

    real = builtins.__import__

    def no_pyarrow(name, *args, **kwargs):
        if name.startswith("pyarrow"):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyarrow)
    with pytest.raises(ConfigError, match=r"needs pyarrow: pip install 'forecast\[parquet\]'"):
        load_series(tmp_path / "panel.parquet")


@pytest.mark.parametrize("name", ["bom.csv", "bom.csv.gz"])
def test_a_utf8_byte_order_mark_is_not_part_of_the_first_column_name(tmp_path, name):
    text = "\ufeffdate,y,z\n2024-01-01,1,5\n2024-01-02,2,6\n2024-01-03,3,7\n"
    path = tmp_path / name
    raw = text.encode("utf-8")
    if name.endswith(".gz"):
        import gzip

        raw = gzip.compress(raw)
    path.write_bytes(raw)

    frame = load_series(path, time_col="date", target="y")  # only date and y are read

    assert frame.index.name == "date" and frame["y"].tolist() == [1.0, 2.0, 3.0]
    assert load_series(path, target="z").attrs["load"]["time_found"] == "by name"
