"""Specification of forecast.evaluation: metrics, baselines, verdicts, seasons, reports."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from forecast.errors import ConfigError, DataError
from forecast.evaluation import (
    METRICS,
    Report,
    baseline_forecasts,
    evaluate_forecasts,
    season_for,
    seasonal_naive_scale,
)

# Two windows, horizon 2, one target. Errors: [[1, -2], [1, 0]]; one actual is zero.
Y_TRUE = np.array([[2.0, 4.0], [0.0, 5.0]])[..., None]
Y_PRED = np.array([[3.0, 2.0], [1.0, 5.0]])[..., None]
SCALE = [2.0]


def _report(y_true=Y_TRUE, y_pred=Y_PRED, baselines=None, scale=SCALE, targets=("y",)):
    return evaluate_forecasts(y_true, y_pred, baselines or {}, scale, list(targets))


def _row(report: Report, method: str = "model", target: str = "y") -> pd.Series:
    return report.overall().loc[(target, method)]


def test_overall_metrics_match_hand_computed_values():
    row = _row(_report())
    assert row["MAE"] == pytest.approx(1.0)  # (1 + 2 + 1 + 0) / 4
    assert row["RMSE"] == pytest.approx(math.sqrt(1.5))  # sqrt((1 + 4 + 1 + 0) / 4)
    assert row["MAPE"] == pytest.approx(100 * (0.5 + 0.5 + 0.0) / 3)  # the zero actual skipped
    smape = (2 * 1 / 5 + 2 * 2 / 6 + 2 * 1 / 1 + 0.0) / 4
    assert row["sMAPE"] == pytest.approx(100 * smape)
    assert row["MASE"] == pytest.approx(1.0 / 2.0)  # MAE / known scale


def test_per_step_metrics_match_hand_computed_values():
    report = _report()
    steps = report.table[report.table["step"] != "all"].set_index("step")
    assert list(steps.index) == [1, 2]
    assert steps.loc[1, "MAE"] == pytest.approx(1.0)
    assert steps.loc[2, "MAE"] == pytest.approx(1.0)
    assert steps.loc[1, "RMSE"] == pytest.approx(1.0)
    assert steps.loc[2, "RMSE"] == pytest.approx(math.sqrt(2.0))
    assert steps.loc[1, "MAPE"] == pytest.approx(50.0)  # 1/2; the zero actual skipped
    assert steps.loc[2, "MAPE"] == pytest.approx(25.0)  # (2/4 + 0/5) / 2
    assert steps.loc[1, "sMAPE"] == pytest.approx(100 * (0.4 + 2.0) / 2)
    assert steps.loc[2, "sMAPE"] == pytest.approx(100 * (2 * 2 / 6 + 0.0) / 2)
    assert steps.loc[1, "MASE"] == pytest.approx(0.5)
    assert report.per_step("MAE")[("y", "model")].tolist() == pytest.approx([1.0, 1.0])


def test_mape_skips_zero_actuals_and_the_notes_say_so():
    report = _report()
    assert any("MAPE skips 1 actual values equal to zero" in note for note in report.notes)
    clean = _report(y_true=Y_TRUE + 1.0, y_pred=Y_PRED + 1.0)
    assert not any("MAPE" in note for note in clean.notes)


def test_mape_is_missing_not_zero_when_every_actual_is_zero():
    zeros = np.zeros((3, 2, 1))
    row = _row(_report(y_true=zeros, y_pred=zeros + 1.0))
    assert math.isnan(row["MAPE"])
    assert row["sMAPE"] == pytest.approx(200.0)


def test_seasonal_naive_scale_is_the_in_sample_seasonal_mae():
    train = np.array([1.0, 2.0, 4.0, 7.0])
    assert seasonal_naive_scale(train, 1) == pytest.approx([2.0])  # |1|, |2|, |3|
    assert seasonal_naive_scale(train, 2) == pytest.approx([4.0])  # |4-1|, |7-2|
    # Shorter than a season: falls back to lag 1; a flat series has no scale (NaN, not inf).
    assert seasonal_naive_scale(train, 10) == pytest.approx([2.0])
    assert np.isnan(seasonal_naive_scale(np.ones(5), 1)).all()


def test_metrics_are_reported_for_every_target_and_method():
    y = np.stack([Y_TRUE[..., 0], 10 * Y_TRUE[..., 0]], axis=-1)
    p = np.stack([Y_PRED[..., 0], 10 * Y_PRED[..., 0]], axis=-1)
    report = evaluate_forecasts(y, p, {"naive": y + 1}, [2.0, 20.0], ["a", "b"])
    overall = report.overall()
    assert set(overall.index) == {("a", "model"), ("a", "naive"), ("b", "model"), ("b", "naive")}
    assert overall.loc[("b", "model"), "MAE"] == pytest.approx(10.0)
    assert overall.loc[("b", "model"), "MASE"] == pytest.approx(0.5)
    assert overall.loc[("a", "naive"), "MAE"] == pytest.approx(1.0)
    assert list(report.table.columns) == ["target", "method", "step", *METRICS]


# ------------------------------------------------------------------ baselines
VALUES = np.array([5.0, 1.0, 4.0, 2.0, 8.0, 3.0, 7.0, 6.0, 9.0, 0.0, 2.0, 4.0])
TWO = np.stack([VALUES, 10 * VALUES], axis=1)  # (12, 2)


def test_naive_repeats_the_last_observed_value():
    naive = baseline_forecasts(TWO, np.array([4, 5]), lookback=4, horizon=5, season=3)["naive"]
    assert naive.shape == (2, 5, 2)
    assert naive[0, :, 0].tolist() == [2.0] * 5  # VALUES[3]
    assert naive[1, :, 0].tolist() == [8.0] * 5  # VALUES[4]
    assert naive[1, :, 1].tolist() == [80.0] * 5


def test_seasonal_naive_wraps_season_by_season():
    # Season 3, horizon 5: steps 1-3 repeat the last season, steps 4-5 repeat it again.
    seasonal = baseline_forecasts(TWO, np.array([4, 5]), 4, 5, season=3)["seasonal_naive"]
    assert seasonal[0, :, 0].tolist() == [1.0, 4.0, 2.0, 1.0, 4.0]  # VALUES[1:4], then again
    assert seasonal[1, :, 0].tolist() == [4.0, 2.0, 8.0, 4.0, 2.0]  # VALUES[2:5], then again
    assert seasonal[1, :, 1].tolist() == [40.0, 20.0, 80.0, 40.0, 20.0]


def test_seasonal_naive_falls_back_to_naive_without_a_full_season_of_history():
    bases = baseline_forecasts(TWO, np.array([4]), lookback=4, horizon=2, season=7)
    np.testing.assert_array_equal(bases["seasonal_naive"], bases["naive"])


def test_mean_baseline_averages_the_lookback_window():
    mean = baseline_forecasts(TWO, np.array([4, 5]), lookback=4, horizon=5, season=3)["mean"]
    assert mean[0, :, 0].tolist() == pytest.approx([3.0] * 5)  # (5 + 1 + 4 + 2) / 4
    assert mean[1, :, 0].tolist() == pytest.approx([3.75] * 5)  # (1 + 4 + 2 + 8) / 4
    assert mean[1, :, 1].tolist() == pytest.approx([37.5] * 5)


# ------------------------------------------------------------------ verdicts
def _scored(pred_offset: float) -> Report:
    rng = np.random.default_rng(0)
    series = np.sin(np.arange(120) * 2 * np.pi / 12)[:, None] + 0.05 * rng.normal(size=(120, 1))
    lookback, horizon = 24, 6
    origins = np.arange(lookback, len(series) - horizon + 1)
    actual = series[origins[:, None] + np.arange(horizon)]
    bases = baseline_forecasts(series, origins, lookback, horizon, season=12)
    return evaluate_forecasts(
        actual,
        actual + pred_offset,
        bases,
        seasonal_naive_scale(series[:lookback], 12),
        ["y"],
    )


def test_a_bad_model_is_told_it_does_not_beat_seasonal_naive():
    report = _scored(pred_offset=1.0)
    assert any("does NOT beat seasonal naive" in note for note in report.notes)
    assert not report.beats("seasonal_naive")


def test_a_perfect_model_is_not_told_it_loses():
    report = _scored(pred_offset=0.0)
    assert not any("does NOT beat" in note for note in report.notes)
    assert any("beats every baseline" in note for note in report.notes)
    assert report.beats("seasonal_naive") and report.beats("naive")


def test_no_windows_is_a_clear_error():
    with pytest.raises(DataError, match="no window"):
        evaluate_forecasts(np.zeros((0, 2, 1)), np.zeros((0, 2, 1)), {}, [1.0], ["y"])


# ------------------------------------------------------------------ seasons
@pytest.mark.parametrize(
    ("freq", "season"),
    [("h", 24), ("D", 7), ("MS", 12), ("15min", 96), (None, 1), ("W-SUN", 52), ("3h", 8)],
)
def test_season_follows_the_frequency(freq, season):
    assert season_for(freq) == season


def test_an_explicit_season_wins_and_is_checked():
    assert season_for("h", 168) == 168
    with pytest.raises(ConfigError, match="season must be a positive whole number"):
        season_for("h", 0)


# ------------------------------------------------------------------ report
def test_report_to_dict_is_json_serializable():
    y = np.zeros((3, 2, 1))  # MAPE undefined: must become null, not NaN
    report = evaluate_forecasts(y, y + 1, {"naive": y + 2, "seasonal_naive": y + 3}, [1], ["y"])
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert data["n_windows"] == 3
    assert data["overall"]["y"]["model"]["MAE"] == pytest.approx(1.0)
    assert data["overall"]["y"]["model"]["MAPE"] is None
    assert data["per_step_mae"]["y"]["naive"] == pytest.approx([2.0, 2.0])
    assert data["notes"] == report.notes
    assert "MAE" in str(report)


def test_a_model_as_good_as_the_best_baseline_is_told_it_ties():
    rng = np.random.default_rng(1)
    actual = rng.normal(size=(50, 4, 1))
    guess = actual + rng.normal(scale=0.3, size=actual.shape)
    report = evaluate_forecasts(
        actual, guess * 1.00001, {"linear": guess, "naive": guess + 1.0}, [1.0], ["y"]
    )
    assert any("ties the best baseline, linear" in note for note in report.notes)
    assert not any("beats every baseline" in note for note in report.notes)
