"""Known-future covariates (`forecast.known_future`, `forecast.models.known_future`): the
calendar and holiday columns, the future rows a forecast reads, the leak-proof window, the
Forecaster and the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest
from cli_helpers import invoke, one_error

from forecast import Forecaster, load_series
from forecast.errors import ConfigError, DataError
from forecast.known_future import calendar_columns, features, with_calendar
from forecast.models import BUILDERS, average_members

LOOKBACK, HORIZON = 12, 4


def hourly(n: int = 240, seed: int = 0) -> pd.DataFrame:
    """Hourly load driven by a planned 0/1 `event` (known ahead) and the hour of day."""
    rng = np.random.default_rng(seed)
    time = pd.date_range("2024-06-20", periods=n, freq="h")
    event = (rng.random(n) < 0.2).astype(float)
    load = 10 + 2 * np.sin(2 * np.pi * time.hour / 24) + 4 * event + rng.normal(0, 0.1, n)
    return pd.DataFrame({"time": time, "load": load, "event": event})


def with_future_rows(frame: pd.DataFrame, events: list[float]) -> pd.DataFrame:
    """`frame` and rows after its end with the target empty and the `event` plan given."""
    time = pd.date_range(frame["time"].iloc[-1], periods=len(events) + 1, freq="h")[1:]
    rows = pd.DataFrame({"time": time, "load": np.nan, "event": events})
    return pd.concat([frame, rows], ignore_index=True)


# ---------------------------------------------------------------------- calendar columns
def test_calendar_columns_are_the_ones_that_vary_at_the_frequency() -> None:
    assert calendar_columns("h", "auto", None) == [
        "hour_sin", "hour_cos", "weekday_sin", "weekday_cos", "yearday_sin", "yearday_cos",
    ]  # fmt: skip
    assert calendar_columns("D", "auto", "US") == [
        "weekday_sin", "weekday_cos", "yearday_sin", "yearday_cos", "holiday",
    ]  # fmt: skip
    assert calendar_columns("MS", "auto", None) == ["yearday_sin", "yearday_cos"]
    assert calendar_columns("W-SUN", "auto", None) == ["yearday_sin", "yearday_cos"]
    assert calendar_columns("h", "none", "US") == ["holiday"]


def test_calendar_values_for_hourly_and_daily_data() -> None:
    frame = load_series(hourly(48).iloc[:, :2], time_col="time")  # from Thu 2024-06-20 00:00
    found = features(frame, frame.index, "auto", None)
    six = found.loc["2024-06-20 06:00"]  # a quarter of the day
    assert six["hour_sin"] == pytest.approx(1) and six["hour_cos"] == pytest.approx(0, abs=1e-12)
    midnight = found.loc["2024-06-20 00:00"]
    assert midnight["hour_sin"] == pytest.approx(0, abs=1e-12) and midnight["hour_cos"] == 1
    thursday = 2 * np.pi * 3 / 7  # Monday is 0
    assert midnight["weekday_sin"] == pytest.approx(np.sin(thursday))
    yearday = 2 * np.pi * (172 - 1) / 366  # 2024 is a leap year; June 20 is day 172
    assert midnight["yearday_cos"] == pytest.approx(np.cos(yearday))
    days = pd.DataFrame({"date": pd.date_range("2024-07-01", periods=10, freq="D"),
                         "v": np.arange(10.0)})  # fmt: skip
    daily = with_calendar(load_series(days, time_col="date"), "auto", "US")
    assert list(daily.columns) == ["v", "weekday_sin", "weekday_cos", "yearday_sin",
                                   "yearday_cos", "holiday"]  # fmt: skip
    assert daily["holiday"].tolist() == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]  # July 4
    assert daily.loc["2024-07-01", "weekday_cos"] == pytest.approx(1)  # a Monday
    assert with_calendar(daily, "auto", "US") is daily  # already there: the same frame


def test_calendar_is_read_in_local_time_when_the_data_names_a_zone() -> None:
    frame = load_series(hourly(30).iloc[:, :2], time_col="time", tz="America/New_York")
    found = features(frame, frame.index, "auto", None)
    first_local_hour = 0  # 2024-06-20 00:00 in New York, stored as 04:00 UTC
    assert frame.index[0].hour == 4
    assert found["hour_cos"].iloc[0] == pytest.approx(np.cos(2 * np.pi * first_local_hour / 24))


def test_step_indexed_data_is_refused_for_calendar_features() -> None:
    steps = load_series(pd.DataFrame({"v": np.arange(50.0)}))
    with pytest.raises(DataError, match=r"the data has none \(rows are step numbers\)") as info:
        with_calendar(steps, "auto", None)
    assert info.value.setting == "calendar"


def test_holiday_settings_are_checked_before_data(monkeypatch: pytest.MonkeyPatch) -> None:
    for bad, needle in (
        ({"calendar": "weekly"}, "unknown calendar 'weekly'; choose one of: none, auto, on"),
        ({"holidays": "XX"}, "holidays must be a country code"),
        ({"covariates": ["a"], "future_covariates": ["a"]}, "both a covariate and a future"),
    ):
        with pytest.raises(ConfigError, match=needle):
            Forecaster(**bad).fit("no such file.csv")  # the settings fail first
    monkeypatch.setitem(sys.modules, "holidays", None)  # the package not installed
    with pytest.raises(ConfigError, match=r"pip install 'forecast\[holidays\]'") as info:
        Forecaster(holidays="US").check_settings()
    assert info.value.setting == "holidays"


# ---------------------------------------------------------------------- future rows
def test_load_series_keeps_the_rows_after_the_last_target_value_aside() -> None:
    data = with_future_rows(hourly(30), [1.0, 0.0, 1.0])
    with pytest.raises(DataError, match="missing values"):
        load_series(data, time_col="time", target="load", covariates=["event"])
    frame = load_series(data, time_col="time", target="load", covariates=["event"],
                        future_rows=True)  # fmt: skip
    assert len(frame) == 30 and not frame.isna().any().any()
    rows = frame.attrs["future"].frame()
    assert rows["event"].tolist() == [1.0, 0.0, 1.0] and rows["load"].isna().all()
    assert rows.index[0] == frame.index[-1] + pd.Timedelta("1h")


# ---------------------------------------------------------------------- the model
@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_the_model_reads_future_covariates_and_never_future_targets(name: str) -> None:
    keras.utils.set_random_seed(0)
    model = BUILDERS[name](lookback=LOOKBACK, n_inputs=3, horizon=HORIZON, n_targets=1,
                           units=8, n_future=1)  # fmt: skip
    assert model.input_shape == (None, LOOKBACK + HORIZON, 3)
    for layer in ("future_decoder", "future_linear", "head"):  # untrained: zero-initialized
        weights = model.get_layer(layer).get_weights()
        model.get_layer(layer).set_weights([np.random.default_rng(1).normal(size=w.shape)
                                            for w in weights])  # fmt: skip
    window = np.random.default_rng(2).normal(size=(2, LOOKBACK + HORIZON, 3)).astype("float32")
    base = model.predict(window, verbose=0)
    future_changed = window.copy()
    future_changed[:, LOOKBACK + 1, 2] += 3.0  # a known-future value at horizon step 2
    assert np.abs(model.predict(future_changed, verbose=0) - base).max() > 1e-3
    leaked = window.copy()
    leaked[:, LOOKBACK:, :2] = np.nan  # the target and the past covariate over the horizon
    np.testing.assert_array_equal(model.predict(leaked, verbose=0), base)
    past_changed = window.copy()
    past_changed[:, LOOKBACK - 1, 0] += 3.0  # the last known target value still counts
    assert np.abs(model.predict(past_changed, verbose=0) - base).max() > 1e-3
    ensemble = average_members([model])  # an ensemble takes the same window
    np.testing.assert_allclose(ensemble.predict(leaked, verbose=0), base, rtol=1e-6)


# ---------------------------------------------------------------------- the Forecaster
@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Forecaster, Path]:
    keras.utils.set_random_seed(0)
    f = Forecaster(lookback=LOOKBACK, horizon=HORIZON, target="load", future_covariates="event",
                   calendar="on", holidays="US", epochs=2, verbose=0, time_col="time",
                   model_options={"units": 8})  # fmt: skip
    f.fit(hourly(), val=0.25)
    folder = tmp_path_factory.mktemp("known") / "run"
    f.save(folder)
    return f, folder


def test_a_forecast_reads_the_future_covariates_given_after_the_last_target(fitted) -> None:
    f, _ = fitted
    assert f.columns_[:2] == ["load", "event"] and f.columns_[-1] == "holiday"
    # hour and weekday pairs (no day of year from 10 days), the holiday column
    assert f.n_future_ == 1 + 5 and f.model_.input_shape == (None, LOOKBACK + HORIZON, 7)
    data = hourly()
    plain = f.predict(with_future_rows(data, [0.0] * HORIZON))
    planned = f.predict(with_future_rows(data, [0.0, 1.0, 0.0, 0.0]))
    assert plain.index[0] == pd.Timestamp(data["time"].iloc[-1]) + pd.Timedelta("1h")
    assert not np.allclose(plain["load"], planned["load"])
    longer = f.predict(with_future_rows(data, [0.0] * (HORIZON + 3)))  # extra rows: unused
    np.testing.assert_array_equal(longer["load"], plain["load"])


def test_future_rows_loaded_by_load_series_forecast_as_the_raw_data_does(fitted) -> None:
    f, _ = fitted
    data = with_future_rows(hourly(), [0.0, 1.0, 0.0, 0.0])
    loaded = load_series(data, time_col="time", target="load", covariates=["event"],
                         future_rows=True)  # fmt: skip
    pd.testing.assert_frame_equal(f.predict(loaded), f.predict(data))
    assert "future" in loaded.attrs  # the user's frame keeps its rows for a second forecast
    assert f.predict({"x": loaded})["x"].shape == (HORIZON, 1)  # its rows, as a panel's


def test_missing_or_too_few_future_rows_are_refused(fitted) -> None:
    f, _ = fitted
    with pytest.raises(DataError, match=r"future covariates event for the 4 rows .* has 0"):
        f.predict(hourly())
    with pytest.raises(DataError, match="has 2: add them"):
        f.predict(with_future_rows(hourly(), [1.0, 0.0]))
    holey = with_future_rows(hourly(), [1.0, np.nan, 0.0, 0.0, np.nan])
    with pytest.raises(DataError, match="'event' is empty in some of them"):
        f.predict(holey)


def test_evaluation_and_windows_keep_working_and_reload_bit_for_bit(fitted) -> None:
    f, folder = fitted
    data = with_future_rows(hourly(), [1.0, 0.0, 0.0, 1.0])
    loaded = Forecaster.load(folder)
    saved = json.loads((folder / "forecaster.json").read_text())
    assert saved["settings"]["calendar"] == "on" and saved["settings"]["holidays"] == "US"
    assert saved["known_future"]["n_future"] == 6
    pd.testing.assert_frame_equal(loaded.predict(data), f.predict(data))
    windows = f.predict_windows(hourly(), start=0.25, levels=(80,))
    pd.testing.assert_frame_equal(loaded.predict_windows(hourly(), start=0.25, levels=(80,)),
                                  windows)  # fmt: skip
    assert len(windows) == (60 - HORIZON + 1) * HORIZON
    report = f.evaluate(hourly(), test=0.25).overall()
    assert report.loc[("load", "model"), "MAE"] < report.loc[("load", "naive"), "MAE"]


def test_calendar_alone_forecasts_from_the_frequency_without_future_rows() -> None:
    keras.utils.set_random_seed(0)
    f = Forecaster(lookback=LOOKBACK, horizon=HORIZON, target="load", calendar="on",
                   epochs=1, verbose=0, time_col="time", model_options={"units": 4})  # fmt: skip
    f.fit(hourly().drop(columns="event"), val=0.25)
    data = hourly().drop(columns="event")
    derived = f.predict(data)
    given = f.predict(with_future_rows(hourly(), [0.0] * HORIZON).drop(columns="event"))
    pd.testing.assert_frame_equal(derived, given)


def test_quantile_heads_read_the_future_covariates_too(tmp_path: Path) -> None:
    keras.utils.set_random_seed(0)
    f = Forecaster(lookback=LOOKBACK, horizon=HORIZON, target="load", future_covariates="event",
                   loss="quantile", quantiles=(0.1, 0.5, 0.9), epochs=2, verbose=0,
                   time_col="time", model_options={"units": 4})  # fmt: skip
    f.fit(hourly(), val=0.25)
    assert f.model_.input_shape == (None, LOOKBACK + HORIZON, 2)
    assert f.model_.output_shape == (None, HORIZON, 1, 3)
    data = hourly()
    plain = f.predict(with_future_rows(data, [0.0] * HORIZON), levels=80)
    planned = f.predict(with_future_rows(data, [1.0] * HORIZON), levels=80)
    assert not np.allclose(plain["load"], planned["load"])
    assert (plain["load-lo-80"] <= plain["load"]).all() and (
        plain["load"] <= plain["load-hi-80"]
    ).all()
    f.save(tmp_path / "run")
    again = Forecaster.load(tmp_path / "run").predict(
        with_future_rows(data, [1.0] * HORIZON), levels=80
    )
    pd.testing.assert_frame_equal(again, planned)


def test_a_backtest_reads_the_future_covariates_of_each_fold(fitted) -> None:
    f, _ = fitted
    settings = {**f.get_params(), "epochs": 1, "intervals": "none"}
    result = Forecaster(**settings).backtest(hourly(), folds=2, test_size=24)
    assert result.folds["fold"].nunique() == 2
    mae = result.summary["MAE"]
    assert mae[("load", "model")] < mae[("load", "naive")]


def test_many_series_read_their_own_future_rows() -> None:
    keras.utils.set_random_seed(0)
    frames = {key: hourly(120, seed).assign(load=lambda d, s=seed: d["load"] + 5 * s)
              for seed, key in enumerate("ab")}  # fmt: skip
    f = Forecaster(lookback=LOOKBACK, horizon=HORIZON, target="load", id_col="id",
                   future_covariates="event", calendar="on", epochs=1, verbose=0,
                   model_options={"units": 4})  # fmt: skip
    long = pd.concat([d.assign(id=k) for k, d in frames.items()], ignore_index=True)
    f.fit(long, val=0.25)
    plans = {"a": [1.0, 0.0, 0.0, 1.0], "b": [0.0, 0.0, 1.0, 0.0]}
    ahead = pd.concat([with_future_rows(d, plans[k]).assign(id=k) for k, d in frames.items()])
    forecasts = f.predict(ahead)
    assert sorted(forecasts) == ["a", "b"] and forecasts["b"].shape == (HORIZON, 1)
    only_a = pd.concat([with_future_rows(frames["a"], plans["a"]).assign(id="a"),
                        frames["b"].assign(id="b")])  # fmt: skip
    with pytest.raises(DataError, match="series 'b': forecasting needs the future covariates"):
        f.predict(only_a)


# ---------------------------------------------------------------------- command line
@pytest.mark.slow
def test_known_future_flags_from_the_command_line(tmp_path: Path) -> None:
    train_csv, future_csv = tmp_path / "load.csv", tmp_path / "with_future.csv"
    hourly().to_csv(train_csv, index=False)
    with_future_rows(hourly(), [0.0, 1.0, 0.0, 0.0]).to_csv(future_csv, index=False)
    out = tmp_path / "run"
    result = invoke(
        "train", train_csv, "--target", "load", "--future-covariates", "event",
        "--calendar", "on", "--holidays", "US", "--lookback", LOOKBACK, "--horizon", HORIZON,
        "--epochs", "1", "--units", "4", "--quiet", "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (out / "forecast.png").is_file()  # drawn without a future: no future rows given
    saved = json.loads((out / "forecaster.json").read_text())
    assert saved["settings"]["future_covariates"] == ["event"]
    predicted = invoke("predict", out, "--data", future_csv, "--out", "-")
    assert predicted.exit_code == 0, predicted.output
    assert len(predicted.stdout.splitlines()) == 1 + HORIZON
    refused = invoke("predict", out, "--data", train_csv)
    one_error(refused, "future covariates event for the 4 rows after the last target value")
    again = invoke("train", future_csv, "--from", out, "--epochs", "1", "--out", tmp_path / "b")
    assert again.exit_code == 0, again.output  # the future rows are left out of training


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--calendar", "weekly"], "unknown --calendar 'weekly'; choose one of: none, auto, on"),
        (["--holidays", "XX"], "--holidays must be a country code"),
        (["--covariates", "event", "--future-covariates", "event"], "both a covariate"),
        (["--future-covariates", "plan"], "covariate column 'plan' not found"),
    ],
)
def test_bad_known_future_options_are_one_error_line(args, needle, tmp_path: Path) -> None:
    csv = tmp_path / "load.csv"
    hourly(60).to_csv(csv, index=False)
    result = invoke("train", csv, "--target", "load", *args, "--out", tmp_path / "r")
    one_error(result, needle)
    assert not (tmp_path / "r").exists()


def test_calendar_on_step_numbers_is_one_error_line(tmp_path: Path) -> None:
    csv = tmp_path / "steps.csv"
    pd.DataFrame({"v": np.sin(np.arange(80.0))}).to_csv(csv, index=False)
    result = invoke("train", csv, "--calendar", "on", "--lookback", "8", "--horizon", "2",
                    "--out", tmp_path / "r")  # fmt: skip
    one_error(result, "--calendar on derives features from the timestamps")
