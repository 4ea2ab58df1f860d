"""Seasonality (issue #22, Deliver 3): several seasons (`forecast.seasons`, `--season 24,168`),
the lookback candidates they give, and the known-future calendar chosen on validation
(`forecast.calendar_choice`, `calendar="auto"`), never with day of year from < 2 years."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest
from cli_helpers import invoke, one_error

from forecast import Forecaster, load_series, seasons
from forecast.competition import m4_season
from forecast.errors import ConfigError
from forecast.evaluation import season_for
from forecast.known_future import allowed, decide, probe_columns
from forecast.linear import calendar_scores, lookback_candidates

HORIZON = 6


def weekly_pattern(days: int = 42, noise: float = 0.2, seed: int = 0) -> pd.DataFrame:
    """Hourly values with a weekend level a 24-hour lookback cannot see, or (noise only)
    nothing a calendar explains when `noise` is large."""
    rng = np.random.default_rng(seed)
    time = pd.date_range("2024-01-01", periods=24 * days, freq="h")
    level = 3.0 * (time.dayofweek >= 5) + np.sin(2 * np.pi * time.hour / 24)
    return pd.DataFrame({"time": time, "y": 10 + level + rng.normal(0, noise, len(time))})


def white_noise(days: int = 42, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    time = pd.date_range("2024-01-01", periods=24 * days, freq="h")
    return pd.DataFrame({"time": time, "y": 10 + rng.normal(0, 1, len(time))})


def tiny(**settings) -> Forecaster:
    keras.utils.set_random_seed(0)
    base = dict(lookback=24, horizon=HORIZON, target="y", time_col="time", epochs=1,
                verbose=0, model_options={"units": 4})  # fmt: skip
    return Forecaster(**{**base, **settings})


# ---------------------------------------------------------------------- seasons
@pytest.mark.parametrize(
    ("given", "found"),
    [(24, (24,)), ((24, 168), (24, 168)), ([168, 24], (24, 168)), ("24,168", (24, 168)),
     (" 168 , 24 ", (24, 168)), ("24,24", (24,)), (None, None)],
)  # fmt: skip
def test_a_season_is_one_number_or_several(given, found) -> None:
    assert seasons.parse(given) == found


@pytest.mark.parametrize("bad", [0, -1, "x", "0,x", "24,", "", (), [24, 0], True, 2.5, "24;168"])
def test_a_bad_season_is_one_config_error(bad) -> None:
    with pytest.raises(ConfigError, match="season must be a positive whole number") as info:
        seasons.parse(bad)
    assert info.value.setting == "season"
    with pytest.raises(ConfigError, match="season must be"):
        Forecaster(season=bad).check_settings()  # before any data


@pytest.mark.parametrize(
    ("freq", "rows", "found"),
    [("h", None, (24, 168)), ("h", 300, (24,)), ("15min", None, (96, 672)),
     ("D", 729, (7,)), ("D", 730, (7, 365)), ("W-SUN", None, (52,)), ("MS", None, (12,)),
     ("QS-DEC", None, (4,)), ("YS", None, ()), (None, None, ()), ("3D", None, ())],
)  # fmt: skip
def test_seasons_of_a_frequency_need_two_of_a_longer_season(freq, rows, found) -> None:
    assert seasons.of_frequency(freq, rows) == found


def test_seasonal_naive_and_mase_use_the_shortest_season() -> None:
    assert season_for("h") == 24 and season_for("h", (24, 168)) == 24
    assert season_for("h", "168,24") == 24 and season_for("D", 365) == 365
    assert m4_season("h", [24, 168]) == 24  # the M4 hourly period
    assert m4_season("D") == 1 and m4_season("W-SUN") == 1  # the M4 guide's, unchanged


def test_lookback_candidates_are_1_to_14_short_seasons_and_2_long_ones() -> None:
    assert lookback_candidates((24, 168)) == (24, 48, 96, 168, 336)
    assert lookback_candidates((7, 365)) == (7, 14, 28, 49, 98, 730)
    assert lookback_candidates((12, 100)) == (12, 24, 48, 84, 168, 200)
    assert lookback_candidates(()) == (8, 16, 32, 64, 128, 256)
    assert lookback_candidates((2, 50)) == (8, 16, 32, 64, 100, 128, 256)


def test_daily_candidates_include_two_years_only_when_the_data_holds_them() -> None:
    f = Forecaster(horizon=7, target="y", time_col="time")

    def daily(days: int) -> pd.DataFrame:
        time = pd.date_range("2020-01-01", periods=days, freq="D")
        return pd.DataFrame({"time": time, "y": np.sin(np.arange(days) / 10.0)})

    assert 730 in f.default_lookbacks(daily(800)) and 730 not in f.default_lookbacks(daily(400))
    assert f.set_params(season="24,168").default_lookbacks(daily(400))[-1] == 336


def test_season_flags_from_the_command_line(tmp_path: Path) -> None:
    csv = tmp_path / "hourly.csv"
    weekly_pattern(days=21).to_csv(csv, index=False)
    for bad in ("0,x", "0", "24,"):
        out = tmp_path / f"bad{len(bad)}"
        result = invoke("train", csv, "--target", "y", "--season", bad, "--out", out)
        one_error(result, "--season must be a positive whole number")
        assert not out.exists()  # refused before training
    out = tmp_path / "run"
    result = invoke("train", csv, "--target", "y", "--season", "168,24", "--lookback", "24",
                    "--horizon", HORIZON, "--epochs", "1", "--units", "4", "--no-plots",
                    "--out", out)  # fmt: skip
    assert result.exit_code == 0, result.output
    saved = json.loads((out / "forecaster.json").read_text())
    assert saved["settings"]["season"] == [24, 168] and saved["seasons"] == [24, 168]
    assert saved["season"] == 24  # seasonal naive's and the MASE scale's
    assert Forecaster.load(out).seasons_ == (24, 168)


def test_a_season_longer_than_every_training_part_is_refused_before_training(
    tmp_path: Path,
) -> None:
    csv = tmp_path / "hourly.csv"
    weekly_pattern(days=10).to_csv(csv, index=False)
    out = tmp_path / "run"
    result = invoke("train", csv, "--target", "y", "--season", "24,5000", "--lookback", "24",
                    "--horizon", HORIZON, "--epochs", "1", "--out", out)  # fmt: skip
    one_error(result, "--season 5000 is not shorter than the training part")
    assert not (out / "forecaster.json").exists()


@pytest.fixture(scope="module")
def calendar_on() -> Forecaster:
    """`calendar="auto"` fitted once on `weekly_pattern()`, where the calendar helps."""
    return tiny(calendar="auto").fit(weekly_pattern(), val=0.25)


@pytest.fixture(scope="module")
def calendar_off() -> Forecaster:
    """`calendar="auto"` fitted once on `white_noise()`, where it does not."""
    return tiny(calendar="auto").fit(white_noise(), val=0.25)


# ---------------------------------------------------------------------- calendar
def test_calendar_scores_see_what_the_window_cannot() -> None:
    rng = np.random.default_rng(0)
    n, lookback, horizon = 2000, 8, 4
    phase = np.arange(n) % 50  # a 50-step cycle an 8-step window cannot see
    calendar = np.eye(50)[phase]  # its one-hot position, known ahead
    values = (np.sin(2 * np.pi * phase / 50) + rng.normal(0, 0.05, n))[:, None]
    train, val = [(values[:1500], calendar[:1500])], [(values, calendar, 1500)]
    without, with_, windows = calendar_scores(train, val, lookback, horizon)
    assert windows == n - 1500 - horizon + 1 and with_ < 0.8 * without
    noise = rng.normal(0, 1, (n, 1))
    plain = calendar_scores([(noise[:1500], calendar[:1500])], [(noise, calendar, 1500)],
                            lookback, horizon)  # fmt: skip
    assert abs(plain[1] / plain[0] - 1) < 0.05  # nothing to find: about the same
    assert calendar_scores([(values[:40], calendar[:40])], val, lookback, horizon) is None


def test_auto_keeps_the_calendar_where_it_lowers_the_validation_error(
    calendar_on: Forecaster,
) -> None:
    f = calendar_on
    choice = f.calendar_choice_
    assert choice.features == ("hour", "weekday") and choice.mae_with < choice.mae_without
    assert f.calendar_ == ["hour_sin", "hour_cos", "weekday_sin", "weekday_cos"]
    assert f.n_future_ == 4 and f.model_.input_shape == (None, 24 + HORIZON, 5)
    assert choice.summary().startswith("calendar: on (hour, weekday): the linear baseline's")
    assert "no day-of-year columns" in choice.reason  # 6 weeks of data


def test_auto_leaves_the_calendar_out_where_it_does_not_help(calendar_off: Forecaster) -> None:
    f = calendar_off
    choice = f.calendar_choice_
    assert choice.features == () and choice.mae_without is not None
    assert f.calendar_ == [] and f.n_future_ == 0
    assert f.model_.input_shape == (None, 24, 1)  # the plain model, no horizon rows read
    assert choice.summary().startswith("calendar: off: the linear baseline's validation MAE")


def test_the_calendar_decision_is_saved_and_reused_by_predict_after_load(
    calendar_on: Forecaster, calendar_off: Forecaster, tmp_path: Path
) -> None:
    data, f = weekly_pattern(), calendar_on
    f.save(tmp_path / "run")
    loaded = Forecaster.load(tmp_path / "run")
    assert loaded.calendar_choice_ == f.calendar_choice_ and loaded.calendar_ == f.calendar_
    saved = json.loads((tmp_path / "run" / "forecaster.json").read_text())
    assert saved["known_future"]["calendar_choice"]["features"] == ["hour", "weekday"]
    pd.testing.assert_frame_equal(loaded.predict(data), f.predict(data))
    off = calendar_off
    off.save(tmp_path / "off")
    again = Forecaster.load(tmp_path / "off")
    assert again.calendar_ == [] and again.calendar_choice_.features == ()
    pd.testing.assert_frame_equal(again.predict(white_noise()), off.predict(white_noise()))


def test_the_probe_reads_the_hour_of_the_week_one_hot() -> None:
    frame = load_series(weekly_pattern(days=8), time_col="time")  # from Monday 2024-01-01 00:00
    week = probe_columns(frame, ("hour", "weekday"))
    assert week.shape == (len(frame), 168) and (week.sum(axis=1) == 1).all()
    assert week[0, 0] == 1 and week[24 * 5 + 13, 24 * 5 + 13] == 1  # Saturday 13:00
    assert probe_columns(frame, ("hour",)).shape == (len(frame), 24)
    assert probe_columns(frame, ("weekday", "yearday")).shape == (len(frame), 7 + 4)


def test_no_day_of_year_from_fewer_than_two_training_years() -> None:
    assert allowed("h", 1.9) == (("hour", "weekday"), allowed("h", 1.9)[1])
    assert "span 1.9 years (2 needed)" in allowed("h", 1.9)[1]
    assert allowed("h", 2.0) == (("hour", "weekday", "yearday"), "")
    assert allowed("MS", 1.0)[0] == ()  # monthly: only day of year varies
    on = decide("on", allowed("D", 1.0), None)
    assert on.features == ("weekday",) and "no day-of-year columns" in on.summary()
    time = pd.date_range("2020-01-01", periods=1000, freq="D")
    days = pd.DataFrame({"time": time, "y": np.sin(2 * np.pi * time.dayofyear / 365.25)})
    f = tiny(calendar="on", lookback=7, horizon=3).fit(days, val=0.2)
    assert f.calendar_[-2:] == ["yearday_sin", "yearday_cos"]  # 2.2 training years
    g = tiny(calendar="on", lookback=7, horizon=3).fit(days.iloc[:500], val=0.2)
    assert f"{'yearday_sin'}" not in g.calendar_ and g.calendar_ == ["weekday_sin", "weekday_cos"]
    assert "no day-of-year columns: the training parts span 1.1 years" in g.calendar_choice_.reason


def test_auto_without_timestamps_or_validation_is_off_with_its_reason() -> None:
    steps = pd.DataFrame({"y": np.sin(np.arange(200.0))})
    f = tiny(calendar="auto", time_col=None).fit(steps, val=0.2)
    assert f.calendar_ == [] and "no timestamps" in f.calendar_choice_.reason
    g = tiny(calendar="auto").fit(weekly_pattern(days=14), val=None)
    assert g.calendar_ == [] and "no validation part" in g.calendar_choice_.reason


def test_the_command_line_reports_and_saves_the_calendar_choice(tmp_path: Path) -> None:
    csv = tmp_path / "hourly.csv"
    weekly_pattern().to_csv(csv, index=False)
    out = tmp_path / "run"
    result = invoke("train", csv, "--target", "y", "--calendar", "auto", "--lookback", "24",
                    "--horizon", HORIZON, "--epochs", "1", "--units", "4", "--no-plots",
                    "--out", out)  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.startswith("calendar: ")]
    assert len(lines) == 1 and lines[0].startswith("calendar: on (hour, weekday): the linear")
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["calendar"]["features"] == ["hour", "weekday"]
    assert metrics["calendar"]["mae_with"] < metrics["calendar"]["mae_without"]
    predicted = invoke("predict", out, "--data", csv, "--out", "-")
    assert predicted.exit_code == 0, predicted.output
    assert len(predicted.stdout.splitlines()) == 1 + HORIZON
