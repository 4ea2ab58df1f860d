"""Many series (forecast/panel.py and the split's many-series rules in windowing.py): the M4
protocol, common-time cuts, short series left out of training, batched forecasts."""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd
import pytest

from forecast import Forecaster
from forecast.errors import ConfigError, DataError
from forecast.panel import fallback_method, history_of
from forecast.windowing import SplitSpec, split_series

TINY = dict(lookback=6, horizon=3, epochs=1, batch_size=16, verbose=0, seed=0,
            model_options={"units": 4})  # fmt: skip


def _steps(lengths: dict[str, int]) -> dict[str, pd.DataFrame]:
    """Step-indexed series (no timestamps, like the M4 files), levels 10x apart."""
    rng = np.random.default_rng(0)
    out = {}
    for n, (key, length) in enumerate(lengths.items()):
        values = 10.0**n * (5 + np.sin(np.arange(length) / 3) + 0.1 * rng.standard_normal(length))
        frame = pd.DataFrame({"y": values}, index=pd.RangeIndex(1, length + 1, name="step"))
        frame.attrs["forecast"] = {"target": ["y"], "covariates": [], "freq": None}
        out[key] = frame
    return out


def test_test_size_holds_out_the_last_rows_of_every_series() -> None:
    data = _steps({"a": 40, "b": 25})
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
    steps = split_series(_steps({"a": 30, "b": 30}), SplitSpec((0.6, 0.2, 0.2)))
    assert "step numbers" in steps.spans["split_note"]


def test_fallback_names_the_linear_baseline_then_seasonal_naive_then_naive() -> None:
    assert fallback_method(10, 6, 4, linear_fitted=True) == "linear"
    assert fallback_method(5, 6, 4, linear_fitted=True) == "seasonal_naive"
    assert fallback_method(3, 6, 4, linear_fitted=True) == "naive"
    assert fallback_method(10, 6, 1, linear_fitted=False) == "naive"


@pytest.fixture(scope="module")
def panel_fit():
    keras.utils.set_random_seed(0)
    data = _steps({"a": 60, "b": 50, "short": 12})  # short: 12 - 3 - 3 = 6 < 6 + 3
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


def test_per_series_mase_uses_each_series_own_history(panel_fit) -> None:
    f, data, parts = panel_fit
    report = f.evaluate(parts.test, history=history_of(parts))
    row = report.per_series.query("series == 'b' and method == 'naive'").iloc[0]
    past = data["b"]["y"].to_numpy()[:-3]
    actual = data["b"]["y"].to_numpy()[-3:]
    by_hand = np.mean(np.abs(actual - past[-1])) / np.mean(np.abs(np.diff(past)))
    assert row["MASE"] == pytest.approx(by_hand)


def test_many_series_are_predicted_in_one_model_call(panel_fit, monkeypatch) -> None:
    f, data, parts = panel_fit
    calls = []
    real = f.model_.predict
    monkeypatch.setattr(f.model_, "predict", lambda x, **kw: calls.append(1) or real(x, **kw))
    f.predict(data)
    f.evaluate(parts.test)
    f.predict_windows(data)
    assert len(calls) == 3  # one per call, whatever the number of series


def test_per_series_scaling_is_saved_without_pickle_and_reloads(tmp_path) -> None:
    keras.utils.set_random_seed(0)
    data = _steps({"a": 40, "b": 40})  # levels 10x apart
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
    data = _steps({"a": 80, "b": 70, "short": 12})
    f = Forecaster(**TINY)
    choice = f.choose_lookback(data, val=SplitSpec(test_size=3, val_size=6), candidates=[3, 6])
    assert choice.lookback in (3, 6) and all(v is not None for v in choice.scores.values())
    assert "1 of 3 series too short to score" in choice.summary()


def _periodic(n_series: int = 3, length: int = 48) -> dict[str, pd.DataFrame]:
    """Step-indexed series repeating a 4-step pattern exactly: seasonal naive is perfect."""
    out = {}
    for k in range(n_series):
        values = 10.0 ** (k + 1) * np.tile([1.0, 3.0, 2.0, 5.0], length // 4)
        frame = pd.DataFrame({"y": values}, index=pd.RangeIndex(1, length + 1, name="step"))
        frame.attrs["forecast"] = {"target": ["y"], "covariates": [], "freq": None}
        out[f"s{k}"] = frame
    return out


@pytest.mark.parametrize("mode", ["fallback", "combine", "report", "auto"])
def test_guard_counts_series_the_model_loses_on_and_acts_as_told(mode, tmp_path) -> None:
    from forecast.guard import CANDIDATES

    keras.utils.set_random_seed(0)
    data = _periodic()
    f = Forecaster(season=4, guard=mode, **{**TINY, "lookback": 8}).fit(data, val=8)
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
        if mode in ("fallback", "auto"):  # auto: 6 validation windows >= horizon 3
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
    data = _periodic()
    f = Forecaster(season=4, **{**TINY, "lookback": 8}).fit(data, val=3)  # one window each
    assert f.guard == "auto" and set(f.guard_.choice) == set(data) and f.guard_.acting == []
    assert f.guard_.summary().endswith("reported only")
    assert {frame.attrs["method"] for frame in f.predict(data).values()} == {"model"}


def test_train_rows_trains_on_the_most_recent_windows_only() -> None:
    keras.utils.set_random_seed(0)
    data = _steps({"a": 40, "b": 40})
    f = Forecaster(train_rows=4, **TINY).fit(data, val=6)  # the last 4 + lookback 6 rows
    train_a = data["a"]["y"].to_numpy()[:34]  # before the 6 validation rows
    scaled = f.scaler_.transform(data["a"].iloc[:1], key="a")[0, 0]
    assert scaled == pytest.approx(train_a[0] / train_a[-10:].mean(), rel=1e-5)  # "mean" scale
    with pytest.raises(ConfigError, match="train_rows"):
        Forecaster(train_rows=0).check_settings()
