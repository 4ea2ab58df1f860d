"""Many series (forecast/panel.py and the split's many-series rules in windowing.py): the M4
protocol, common-time cuts, short series left out of training, batched forecasts."""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd
import pytest
from series_helpers import periodic_series, step_series

from forecast import Forecaster
from forecast.errors import ConfigError, DataError
from forecast.panel import fallback_method, history_of
from forecast.splits import SplitSpec, split_series

TINY = dict(lookback=6, horizon=3, epochs=1, batch_size=16, verbose=0, seed=0,
            model_options={"units": 4})  # fmt: skip


def test_test_size_holds_out_the_last_rows_of_every_series() -> None:
    data = step_series({"a": 40, "b": 25})
    parts = split_series(data, SplitSpec(test_size=3, val_size=4), context=6)
    assert {k: len(v) for k, v in parts.train.items()} == {"a": 33, "b": 18}
    assert parts.test_start == {"a": 6, "b": 6} and len(parts.test["b"]) == 9
    assert list(parts.test["a"].index[-3:]) == [38, 39, 40]
    assert parts.evaluate_test == 3 and parts.spans["test_size"] == 3
    assert len(history_of(parts)["b"]) == 22  # train + val: the rows before the test
    with pytest.raises(ConfigError, match="val_size goes with test_size"):
        SplitSpec(val_size=3)
    tiny = split_series({"c": data["b"].iloc[:5]}, SplitSpec(test_size=3, val_size=4))
    assert len(tiny.train["c"]) == 1 and tiny.spans["series"]["c"]["val"]["rows"] == 1
    with pytest.raises(DataError, match="no history before test_size=3"):
        split_series({"c": data["b"].iloc[:3]}, SplitSpec(test_size=3, val_size=4))


def test_dated_series_are_cut_at_common_timestamps() -> None:
    days = pd.date_range("2020-01-01", periods=100, freq="D")
    a = pd.DataFrame({"y": np.arange(100.0)}, index=days)
    late = a.iloc[40:]  # starts later: per-series fractions would put its test inside a's
    parts = split_series({"a": a, "late": late}, SplitSpec((0.6, 0.2, 0.2)), context=0)
    assert parts.train["a"].index[-1] == parts.train["late"].index[-1] == days[59]
    assert parts.test["late"].index[0] == parts.test["a"].index[0] == days[80]
    assert "split_note" not in parts.spans
    early = a.iloc[:50]  # ends inside the common training part: cannot be cut the same way
    cut = split_series({"a": a, "early": early}, SplitSpec((0.6, 0.2, 0.2)))
    assert "own fractions" in cut.spans["split_note"]
    steps = split_series(step_series({"a": 30, "b": 30}), SplitSpec((0.6, 0.2, 0.2)))
    assert "step numbers" in steps.spans["split_note"]


def test_fallback_names_the_linear_baseline_then_seasonal_naive_then_naive() -> None:
    assert fallback_method(10, 6, 4, linear_fitted=True) == "linear"
    assert fallback_method(5, 6, 4, linear_fitted=True) == "seasonal_naive"
    assert fallback_method(3, 6, 4, linear_fitted=True) == "naive"
    assert fallback_method(10, 6, 1, linear_fitted=False) == "naive"


@pytest.fixture(scope="module")
def panel_fit():
    keras.utils.set_random_seed(0)
    data = step_series({"a": 60, "b": 50, "short": 12})  # short: 12 - 3 - 3 = 6 < 6 + 3
    parts = split_series(data, SplitSpec(test_size=3, val_size=3), context=6)
    return Forecaster(guard="report", **TINY).fit(parts), data, parts  # the model on a, b


def test_short_series_never_stop_a_run(panel_fit) -> None:
    f, data, parts = panel_fit
    assert f.short_series_ == ["short"]
    report = f.evaluate(parts.test, history=history_of(parts))
    assert report.notes[0].startswith("1 of 3 series too short to train on (e.g. 'short')")
    rows = report.per_series[report.per_series["method"] == "model"].set_index("series")
    assert rows.loc["short", "forecast_by"] == "linear" and rows.loc["a", "forecast_by"] == "model"
    assert set(report.competition["y"]) >= {"model", "naive", "naive2", "linear"}
    assert report.to_dict()["per_series"][0]["series"] == "a"
    future = f.predict(data)
    assert future["short"].attrs["method"] == "linear" and future["a"].attrs["method"] == "model"


def test_a_short_series_fallback_reads_it_on_its_own_scale() -> None:
    """A series too short to train on is forecast by the linear baseline, which was fitted on
    series each divided by its own level: the short series gets its own scaler too, so
    multiplying it by 1000 multiplies its forecast by 1000 (with the pooled scaler of the
    series trained on, tourism quarterly's q194 at level 2,000 was forecast at 23,000-67,000
    between series at levels up to 10^7)."""
    forecasts = []
    for factor in (1.0, 1000.0):
        data = step_series({"short": 12, "a": 60, "b": 50})  # levels 5, 50, 500
        data["short"] = data["short"] * factor
        parts = split_series(data, SplitSpec(test_size=3, val_size=3), context=6)
        keras.utils.set_random_seed(0)
        f = Forecaster(guard="report", **TINY).fit(parts)
        assert f.short_series_ == ["short"]
        future = f.predict(data)["short"]
        assert future.attrs["method"] == "linear"
        forecasts.append(future["y"].to_numpy())
    np.testing.assert_allclose(forecasts[1], 1000.0 * forecasts[0], rtol=1e-4)


def test_per_series_mase_uses_each_series_own_history(panel_fit) -> None:
    f, data, parts = panel_fit
    report = f.evaluate(parts.test, history=history_of(parts))
    row = report.per_series.query("series == 'b' and method == 'naive'").iloc[0]
    past = data["b"]["y"].to_numpy()[:-3]
    actual = data["b"]["y"].to_numpy()[-3:]
    by_hand = np.mean(np.abs(actual - past[-1])) / np.mean(np.abs(np.diff(past)))
    assert row["MASE"] == pytest.approx(by_hand)


def test_many_series_are_predicted_in_one_model_call(panel_fit, monkeypatch) -> None:
    from forecast import panel

    f, data, parts = panel_fit
    calls = []
    real = panel.model_output
    monkeypatch.setattr(panel, "model_output", lambda m, x: calls.append(1) or real(m, x))
    f.predict(data)
    f.evaluate(parts.test)
    f.predict_windows(data)
    assert len(calls) == 3  # one per call, whatever the number of series


def test_per_series_scaling_is_saved_without_pickle_and_reloads(tmp_path) -> None:
    keras.utils.set_random_seed(0)
    data = step_series({"a": 40, "b": 40})  # levels 10x apart
    f = Forecaster(series_scaling="per_series", **TINY).fit(data, val=6)
    assert set(f.scaler_.per_series_) == {"a", "b"}
    f.save(tmp_path / "run")
    assert "per_series" in (tmp_path / "run" / "forecaster.json").read_text()
    again = Forecaster.load(tmp_path / "run")
    before, after = f.predict(data), again.predict(data)
    assert np.allclose(before["b"].to_numpy(), after["b"].to_numpy())
    with pytest.raises(ConfigError, match="series_scaling"):
        Forecaster(series_scaling="each").check_settings()


def test_lookback_auto_scores_candidates_on_the_series_that_hold_them() -> None:
    data = step_series({"a": 80, "b": 70, "short": 12})
    f = Forecaster(**TINY)
    choice = f.choose_lookback(data, val=SplitSpec(test_size=3, val_size=6), candidates=[3, 6])
    assert choice.lookback in (3, 6) and all(v is not None for v in choice.scores.values())
    assert "1 of 3 series too short to score" in choice.summary()


@pytest.mark.parametrize("lookback", ["auto", "6"])
def test_a_series_short_in_the_test_part_gets_its_fallback_not_an_error(tmp_path, lookback):
    """M4 Weekly's W295 (issue #22): a series whose test part, with the context it has, is
    shorter than lookback + horizon is forecast by its fallback on its test span only; the
    run trains and scores every series (with --lookback auto and a fixed one, issue #26)."""
    from cli_helpers import invoke

    frames = step_series({"a": 90, "b": 80, "c": 70, "short": 8})  # short: 5 rows before the test
    rows = [
        {"series_id": key, "step": step, "value": value}
        for key, frame in frames.items()
        for step, value in frame["y"].items()
    ]
    pd.DataFrame(rows).to_csv(tmp_path / "panel.csv", index=False)
    keras.utils.set_random_seed(0)
    result = invoke(
        "train", tmp_path / "panel.csv", "--id-col", "series_id", "--time-col", "step",
        "--target", "value", "--horizon", "3", "--test-size", "3", "--val-size", "3",
        "--lookback", lookback, "--epochs", "1", "--units", "4", "--quiet",
        "--out", tmp_path / "run",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    scores = pd.read_csv(tmp_path / "run" / "series_metrics.csv")
    model = scores[scores["method"] == "model"].set_index("series")
    assert set(model.index) == {"a", "b", "c", "short"}
    assert model.loc["short", "forecast_by"] in ("naive", "seasonal_naive")
    values = frames["short"]["y"].to_numpy()  # its one test window, from its last input row
    actual, naive = values[-3:], np.full(3, values[-4])
    by_hand = 200 * np.mean(np.abs(actual - naive) / (np.abs(actual) + np.abs(naive)))
    naive_row = scores.query("series == 'short' and method == 'naive'").iloc[0]
    assert naive_row["sMAPE"] == pytest.approx(by_hand)  # the test span only, not row 1 on
    assert "too short to train on (e.g. 'short')" in result.output


def _gappy_panel() -> dict[str, pd.DataFrame]:
    """Two hourly series; 'a' has a hole in its training rows and one inside its test part,
    and a missing timestamp; loaded with fill='drop' (gap rows, nothing filled)."""
    from forecast.series import load_series

    hours = pd.date_range("2024-01-01", periods=160, freq="h")
    rng = np.random.default_rng(1)
    rows = []
    for n, key in enumerate(["a", "b"]):
        values = 10.0**n * (5 + np.sin(np.arange(160) * 2 * np.pi / 24))
        values += 0.1 * rng.standard_normal(160)
        rows.append(pd.DataFrame({"id": key, "time": hours, "y": values}))
    frame = pd.concat(rows, ignore_index=True)
    frame.loc[30:37, "y"] = np.nan  # a: 8 empty values in training
    frame.loc[152, "y"] = np.nan  # a: one inside its test part
    frame = frame.drop(index=[80])  # a: a missing timestamp
    return load_series(frame, id_col="id", time_col="time", target="y", fill="drop")


def test_gaps_are_respected_by_fit_scaler_evaluate_and_predict() -> None:
    from forecast.panel import test_rows
    from forecast.scaling import SeriesScaler

    data = _gappy_panel()
    assert data["a"]["y"].isna().sum() == 10 and not data["b"]["y"].isna().any()
    keras.utils.set_random_seed(0)
    parts = split_series(data, SplitSpec(test_size=12, val_size=12), context=6)
    f = Forecaster(**TINY, guard="report").fit(parts)  # the model forecasts every series
    observed = pd.concat([parts.train["a"].dropna(), parts.train["b"]])
    by_hand = SeriesScaler().fit(observed, targets=["y"])  # fitted on observed values only
    np.testing.assert_allclose(f.scaler_.scale_, by_hand.scale_)
    assert np.isfinite(f.linear_.coef_).all() and np.isfinite(f.mase_scale_).all()

    report = f.evaluate(parts.test, test=test_rows(parts), history=history_of(parts))
    assert np.isfinite(report.overall().to_numpy()).all()
    windows = f.predict_windows(parts.test, start=test_rows(parts), baselines=True)
    assert not windows.drop(columns="series").isna().any().any()
    a = windows[windows["series"] == "a"]
    gap = data["a"].index[152]  # no window reads it: not as a target, not as an input
    assert gap not in set(a["time"]) and a["time"].max() < gap
    assert len(a) == 2 * 3  # targets from rows 148, 149: the later ones would read row 152
    assert len(windows[windows["series"] == "b"]) == 3 * 10  # b: every test window

    future = f.predict(data)  # a's last rows are complete: the model forecasts both
    assert {k: v.attrs["method"] for k, v in future.items()} == {"a": "model", "b": "model"}
    cut = {k: v.iloc[:154] for k, v in data.items()}  # a: a gap 2 rows before its end
    assert f.predict(cut)["a"].attrs["method"] != "model"  # the short-series fallback
    with pytest.raises(DataError, match=r"the last lookback = 6 rows hold a gap \(a missing "):
        f.predict(cut["a"].rename(columns=str))


def test_a_test_part_whose_every_window_spans_a_gap_is_refused_before_training() -> None:
    from forecast.runs import check_test_windows

    data = _gappy_panel()
    lone = data["a"].copy()
    lone.iloc[[146, 158], 0] = np.nan  # with row 152's: no 9 complete rows in rows 142-159
    parts = split_series(lone, SplitSpec(test_size=12, val_size=12), context=6)
    with pytest.raises(DataError, match=r"every window of the test part spans a gap \(missing"):
        check_test_windows(Forecaster(**TINY), parts)
    both = split_series({"a": lone, "b": data["b"]}, SplitSpec(test_size=12, val_size=12), 6)
    check_test_windows(Forecaster(**TINY), both)  # a panel: 'a' is left to its fallback


@pytest.mark.parametrize("mode", ["fallback", "combine", "report", "auto"])
def test_guard_counts_series_the_model_loses_on_and_acts_as_told(mode, tmp_path) -> None:
    from forecast.guard import CANDIDATES

    keras.utils.set_random_seed(0)
    data = periodic_series()
    f = Forecaster(season=4, guard=mode, **{**TINY, "lookback": 8}).fit(data, val=26)
    guard = f.guard_
    assert set(guard.errors) == set(data)  # every series compared on validation
    assert guard.losses("seasonal_naive") == len(data)  # a 1-epoch model loses to a perfect one
    assert set(guard.choice) == set(data) and set(guard.choice.values()) <= set(CANDIDATES)
    assert f"loses to seasonal naive on {len(data)}" in guard.summary()
    out = f.predict(data)
    methods = {k: frame.attrs["method"] for k, frame in out.items()}
    bases = {k: f._baselines(data[k], np.array([len(data[k])]), k) for k in data}
    for key, frame in out.items():
        chosen = bases[key][guard.choice[key]][0, :, 0]
        got = frame["y"].to_numpy()
        if mode in ("fallback", "auto"):  # auto: 24 validation windows (MIN_WINDOWS)
            assert methods[key] == guard.choice[key] and np.allclose(got, chosen)
        else:  # combine: the model's forecast moved halfway to the baseline; report: untouched
            expected = "model" if mode == "report" else f"combined:{guard.choice[key]}"
            assert methods[key] == expected
    tidy = f.predict_windows(data, start=4)
    assert len(tidy) > 0
    f.save(tmp_path / "run")
    again = Forecaster.load(tmp_path / "run")
    assert again.guard_.choice == guard.choice and again.guard_.summary() == guard.summary()
    with pytest.raises(ConfigError, match="guard"):
        Forecaster(guard="always").check_settings()


def test_auto_guard_only_reports_on_a_single_validation_window() -> None:
    keras.utils.set_random_seed(0)
    data = periodic_series()
    f = Forecaster(season=4, val_origins=1, **{**TINY, "lookback": 8}).fit(data, val=3)
    assert f.guard == "auto" and set(f.guard_.choice) == set(data) and f.guard_.acting == []
    assert f.guard_.summary().endswith("reported only")
    assert {frame.attrs["method"] for frame in f.predict(data).values()} == {"model"}


def test_train_rows_trains_on_the_most_recent_windows_only() -> None:
    keras.utils.set_random_seed(0)
    data = step_series({"a": 40, "b": 40})
    f = Forecaster(train_rows=4, **TINY).fit(data, val=6)  # the last 4 + lookback 6 rows
    train_a = data["a"]["y"].to_numpy()[:34]  # before the 6 validation rows
    scaled = f.scaler_.transform(data["a"].iloc[:1], key="a")[0, 0]
    assert scaled == pytest.approx(train_a[0] / train_a[-10:].mean(), rel=1e-5)  # "mean" scale
    with pytest.raises(ConfigError, match="train_rows"):
        Forecaster(train_rows=0).check_settings()


def test_auto_guard_reports_a_lone_series_and_names_guarded_panel_series_apart() -> None:
    keras.utils.set_random_seed(0)
    lone = periodic_series(1)["s0"]
    f = Forecaster(season=4, **{**TINY, "lookback": 8}).fit(lone, val=26)  # 24 windows
    assert f.guard_.choice and f.guard_.acting == []  # it loses, and is only reported
    assert f.predict(lone).attrs["method"] == "model"

    keras.utils.set_random_seed(0)
    data = periodic_series()
    parts = split_series(data, SplitSpec(test_size=4, val_size=8), context=8)
    g = Forecaster(season=4, guard="fallback", **{**TINY, "lookback": 8}).fit(parts)
    notes = " ".join(g.evaluate(parts.test).notes)
    assert f"{len(data)} of {len(data)} series forecast as the guard chose on validation" in notes
    assert "too short to train on" not in notes


# ------------------------------------------------------------ rolled validation (val_origins)
def test_rolled_validation_holds_the_origins_asked_and_no_training_target_after_it() -> None:
    from forecast.panel import fit_parts

    data = step_series({"long": 40, "short": 13, "wide": 40})
    collect = dict  # the frames are already a collection
    _, train, held, starts = fit_parts(data, 3, 6, 3, collect, origins=4)
    for key in data:
        span = held[key].iloc[starts[key] :]
        windows = len(span) - 3 + 1
        assert train[key].index[-1] < span.index[0]  # every training target before validation
        assert pd.concat([train[key], span]).equals(data[key])  # no row lost or repeated
        context = held[key].iloc[: starts[key]]
        assert context.equals(train[key].iloc[len(train[key]) - len(context) :])  # its history
        if key == "short":  # 10 training rows: it keeps lookback + horizon = 9 of them
            assert len(train[key]) == 9 and windows == 2
        else:  # 3 more rows joined the span: 4 origins, one row apart
            assert len(train[key]) == 34 and windows == 4 and len(context) == 6
    # a validation span that already holds the origins, and separate data, stay as given
    _, train, held, starts = fit_parts(data, 12, 6, 3, collect, origins=4)
    assert len(train["long"]) == 28 and len(held["long"]) - starts["long"] == 12
    _, train, held, _ = fit_parts(data, data, 6, 3, collect, origins=4)
    assert all(train[k].equals(data[k]) and held[k].equals(data[k]) for k in data)


@pytest.mark.parametrize("origins", [1, 24])
def test_lookback_guard_and_intervals_use_every_validation_origin(origins) -> None:
    keras.utils.set_random_seed(0)
    data = periodic_series(length=96)
    spec = SplitSpec(test_size=4, val_size=3)  # one validation window per series, as cut
    settings = {**TINY, "lookback": "auto", "val_origins": origins, "season": 4}
    choice = Forecaster(**settings).choose_lookback(data, spec)
    assert choice.windows == origins * len(data)  # every candidate scored on every origin
    f = Forecaster(**{**settings, "intervals": "conformal"}).fit(data, val=spec)
    assert f.lookback_choice_.windows == origins * len(data)
    assert f.calibration_.scores["model"].shape[0] == origins * len(data)  # every window
    # "auto" acts where a series holds 24 validation windows (MIN_WINDOWS): rolled, every one
    assert (f.guard_.acting == list(data)) == (origins == 24)


def test_val_origins_is_checked_saved_and_reloaded(tmp_path) -> None:
    keras.utils.set_random_seed(0)
    data = periodic_series()
    f = Forecaster(season=4, val_origins=24, **{**TINY, "lookback": 8}).fit(data, val=3)
    again = Forecaster.load(_saved(f, tmp_path))
    assert again.val_origins == 24 and f.guard_.acting  # 24 windows: auto acts
    assert Forecaster().val_origins == 1  # the validation part as cut
    for bad in (0, -2, "some", 1.5, True):
        with pytest.raises(ConfigError, match="val_origins must be 'auto' or a positive"):
            Forecaster(val_origins=bad).check_settings()


def _saved(f: Forecaster, tmp_path) -> object:
    f.save(tmp_path / "run")
    return tmp_path / "run"


def test_a_guarded_series_gets_the_same_bands_from_predict_and_evaluate() -> None:
    keras.utils.set_random_seed(0)
    data = periodic_series()
    f = Forecaster(season=4, guard="fallback", loss="quantile", intervals="conformal",
                   **{**TINY, "lookback": 8}).fit(data, val=8)  # fmt: skip
    assert f.guard_.acting  # seasonal naive is perfect: the 1-epoch model loses everywhere
    cut = {k: frame.iloc[:-3] for k, frame in data.items()}  # the last window's input
    ahead = f.predict(cut, levels=[80])
    tidy = f.predict_windows(data, start=3, levels=[80])  # the same window, with actuals
    report = f.evaluate(data, test=3, levels=[80])
    assert report.intervals is not None
    for key in f.guard_.acting:
        window = tidy[tidy["series"] == key]
        assert ahead[key].attrs["method"] == f.guard_.choice[key]
        assert np.allclose(ahead[key]["y"].to_numpy(), window["forecast"].to_numpy())
        for side in ("lo", "hi"):  # the point's conformal bands both ways, not the heads'
            assert np.allclose(ahead[key][f"y-{side}-80"].to_numpy(), window[f"{side}-80"])


@pytest.mark.parametrize("bad", ["0", "many", "-3"])
def test_a_bad_val_origins_is_one_error_line(tmp_path, bad) -> None:
    from cli_helpers import invoke, one_error

    csv = tmp_path / "panel.csv"
    rows = [(k, step, v) for k, f in periodic_series().items()
            for step, v in zip(f.index, f["y"], strict=True)]  # fmt: skip
    pd.DataFrame(rows, columns=["series_id", "step", "value"]).to_csv(csv, index=False)
    result = invoke("train", csv, "--id-col", "series_id", "--time-col", "step", "--target",
                    "value", "--horizon", "3", "--season", "4", "--test-size", "3", "--val-size",
                    "3", "--val-origins", bad, "--out", tmp_path / "run")  # fmt: skip
    one_error(result, "--val-origins must be 'auto' or a positive number", repr(bad))
    assert not (tmp_path / "run").exists()
