"""Tests for the per-series scale many series' validation errors are pooled with: the
one-step change or the seasonal-naive MAE (MASE's scale), chosen on the validation windows
(forecast.bands.choose_scales, forecast.interval_choice.choose_scale), kept with the
calibration and reported."""

from __future__ import annotations

import json

import keras
import numpy as np
import pandas as pd
import pytest

from forecast import Forecaster, bands
from forecast.interval_choice import Check, choose_scale
from forecast.intervals import Calibration, series_scale

SEASON = 4


def _panel(seasonal: bool, n: int = 300, rows: int = 60, seed: int = 0) -> tuple:
    """`n` series (training frames), each with one validation window of 4 steps whose
    absolute errors follow the series' own noise level `sigma`; `seasonal`: each series also
    swings by a seasonal amplitude unrelated to its noise (the model has learnt it), else
    each is a random walk with steps of size `sigma`. Returns (train, errors, origins)."""
    rng = np.random.default_rng(seed)
    train, errors, origins = {}, {}, {}
    pattern = np.array([0.0, 1.0, 0.0, -1.0])
    for k in range(n):
        sigma, amp = np.exp(rng.normal()), np.exp(2 * rng.normal())
        noise = sigma * rng.normal(size=rows)
        values = amp * np.tile(pattern, rows // 4) + noise if seasonal else np.cumsum(noise)
        train[f"s{k}"] = pd.DataFrame({"v": 100 + values})
        errors[f"s{k}"] = {"model": np.abs(sigma * rng.normal(size=(1, 4, 1)))}
        origins[f"s{k}"] = np.array([rows])
    return train, errors, origins


def _bands(season: int = SEASON) -> bands.Bands:
    return bands.Bands("auto", None, lookback=8, n_targets=1, season=season)


def test_series_scale_takes_the_lag_asked() -> None:
    values = np.tile([1.0, 5.0], 10)[:, None] + 0.1 * np.arange(20)[:, None]
    assert series_scale(values)[0] == pytest.approx(4.0, abs=0.11)  # the swing
    assert series_scale(values, 2)[0] == pytest.approx(0.2)  # a season back: the trend
    assert series_scale(values[:2], 2)[0] == pytest.approx(series_scale(values[:2])[0])
    assert series_scale(np.ones((10, 1)), 2)[0] == 1.0  # constant: 1, not 0


def test_the_seasonal_scale_is_chosen_where_the_one_step_change_misleads() -> None:
    """Series whose seasonal swing is unrelated to their noise: the one-step change measures
    the swing, so a loud-swing series gets wide intervals and a quiet-swing one misses. The
    seasonal-naive MAE measures the noise: the held-out check shows it, beyond noise."""
    train, errors, origins = _panel(seasonal=True)
    scales, lag, why = bands.choose_scales(_bands(), train, errors, origins, None)
    assert lag == SEASON
    assert why.startswith("per-series scale the seasonal-naive MAE (lag 4), lower held-out")
    assert scales["s0"] == pytest.approx(series_scale(train["s0"].to_numpy(), SEASON))
    ones = bands.choose_scales(_bands(season=1), train, errors, origins, None)
    assert ones[1:] == (1, None)  # no season: the one-step change, nothing to choose
    assert ones[0]["s0"] == pytest.approx(series_scale(train["s0"].to_numpy()))


def test_the_one_step_change_stays_where_the_seasonal_scale_does_not_help() -> None:
    """Random walks: both scales follow the noise, so neither scores lower by more than the
    tie and noise; the default (the one-step change) stays."""
    train, errors, origins = _panel(seasonal=False)
    scales, lag, why = bands.choose_scales(_bands(), train, errors, origins, None)
    assert lag == 1 and "the one-step change, the default" in why
    assert scales["s1"] == pytest.approx(series_scale(train["s1"].to_numpy()))


def test_choose_scale_wants_a_win_beyond_noise_at_a_coverage_that_holds() -> None:
    base = {80: Check(80.5, 1.0, 0.01, 2000), 95: Check(95.2, 2.0, 0.02, 2000)}
    better = {80: Check(81.0, 0.8, 0.01, 2000), 95: Check(95.0, 1.6, 0.02, 2000)}
    assert choose_scale({1: base, 12: better})[0] == 12
    noisy = {lv: c._replace(score_se=c.score_se * 20) for lv, c in better.items()}
    assert choose_scale({1: base, 12: noisy})[0] == 1  # 20 % lower, within 2 errors
    off = {80: better[80]._replace(coverage=70.0), 95: better[95]}
    assert choose_scale({1: base, 12: off})[0] == 1  # lower, but misses 80 % by 10 points


def test_the_scale_lag_is_saved_reported_and_used_for_a_new_series() -> None:
    cal = Calibration({"model": np.ones((3, 2, 1))}, {"a": np.array([2.0])})
    cal.scale_lag, cal.scaling = SEASON, "per-series scale the seasonal-naive MAE (lag 4)"
    arrays, info = cal.to_arrays()
    back = Calibration.from_arrays(arrays, json.loads(json.dumps(info)))
    assert (back.scale_lag, back.scaling) == (SEASON, cal.scaling)
    values = np.tile([0.0, 8.0, 0.0, -8.0], 5)[:, None] + np.arange(20)[:, None]
    assert back.scale_for("new", values)[0] == pytest.approx(4.0)  # a season back: the trend
    assert back.scale_for("a", values)[0] == 2.0  # a fitted series keeps its own
    assert back.describe("conformal")["scale"] == cal.scaling
    assert back.describe("auto")["scale"] == cal.scaling
    old = {k: v for k, v in info.items() if k not in ("scale_lag", "scaling")}
    assert Calibration.from_arrays(arrays, old).scale_lag == 1  # runs saved before the choice
    assert "scale" not in Calibration({"model": np.ones((3, 2, 1))}).describe("conformal")


def test_a_fitted_panel_reports_its_scale_and_a_lone_series_has_none(tmp_path) -> None:
    keras.utils.set_random_seed(0)
    t = np.arange(160)
    rng = np.random.default_rng(0)
    index = pd.date_range("2020-01-01", periods=len(t), freq="D")
    panel = {
        f"s{k}": pd.DataFrame(
            {"v": 50 + (k + 1) * np.sin(2 * np.pi * t / 7) + rng.normal(size=len(t))}, index
        )
        for k in range(3)
    }
    f = Forecaster(lookback=14, horizon=2, season=7, epochs=1, verbose=0,
                   model_options={"units": 4})  # fmt: skip
    f.fit(panel, val=0.3)
    cal = f.calibration_
    assert cal.scale_lag in (1, 7) and cal.scaling.startswith("per-series scale the ")
    assert "seasonal-naive MAE (lag 7)" in cal.scaling  # both were checked
    assert set(cal.scales) == set(panel)
    report = f.evaluate(panel, test=30)
    assert report.interval_mode["scale"] == cal.scaling
    f.save(tmp_path / "run")
    again = Forecaster.load(tmp_path / "run").calibration_
    assert (again.scale_lag, again.scaling) == (cal.scale_lag, cal.scaling)
    lone = Forecaster(lookback=14, horizon=2, season=7, epochs=1, verbose=0,
                      model_options={"units": 4})  # fmt: skip
    lone.fit(panel["s0"], val=0.3)
    assert lone.calibration_.scaling is None and not lone.calibration_.scales
