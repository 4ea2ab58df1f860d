"""Tests for forecast/intervals.py (conformal maths, interval scores) and the intervals a
`Forecaster` gives: predict / predict_windows columns, evaluation, the saved calibration."""

from __future__ import annotations

import io
import json
import math

import keras
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from forecast import Forecaster
from forecast.cli import app
from forecast.errors import ArtifactError, ConfigError
from forecast.interval_choice import CANDIDATES, choose_mode, held_out
from forecast.intervals import (
    adaptive_half_widths,
    bound_names,
    calibrate,
    check_levels,
    conformal_quantile,
    conformal_rank,
    full_coverage_notes,
    interval_table,
    nested,
    pooled_scores,
    series_scale,
    window_scale,
)


# ---------------------------------------------------------------------- conformal maths
def test_conformal_rank_is_the_finite_sample_quantile() -> None:
    assert conformal_rank(19, 95) == 19  # ceil(20 * 0.95)
    assert conformal_rank(100, 80) == 81  # ceil(101 * 0.8) = ceil(80.8)
    assert conformal_rank(9, 80) == 8  # ceil(10 * 0.8) exactly, no float rounding up
    assert conformal_rank(5, 99) == 5  # too few scores: the largest


def test_conformal_quantile_is_the_kth_smallest_per_step_and_target() -> None:
    scores = np.random.default_rng(0).exponential(size=(50, 4, 2))
    k = math.ceil(51 * 0.9)
    assert np.array_equal(conformal_quantile(scores, 90), np.sort(scores, axis=0)[k - 1])


def test_conformal_intervals_cover_exchangeable_data() -> None:
    """The guarantee: coverage of new draws at least the level (here averaged over trials)."""
    rng = np.random.default_rng(1)
    hits = []
    for _ in range(400):
        cal, new = rng.standard_t(3, size=(40, 1, 1)), rng.standard_t(3, size=(1, 1, 1))
        hits.append(abs(new) <= conformal_quantile(np.abs(cal), 80))
    assert 0.79 <= np.mean(hits) <= 0.87


def test_adaptive_widths_start_static_and_restore_coverage_after_a_noise_change() -> None:
    rng = np.random.default_rng(2)
    cal = np.abs(rng.normal(size=(200, 2, 1)))
    new = 3 * np.abs(rng.normal(size=(2000, 2, 1)))  # the noise triples after calibration
    origins = np.arange(1000, 3000)
    adapted = adaptive_half_widths(cal, new, origins, 80)
    static = conformal_quantile(cal, 80)
    assert np.array_equal(adapted[0], static)
    assert np.array_equal(adapted[1, 1], static[1])  # step 2's first actual is not known yet
    assert np.mean(new <= static) < 0.4  # fixed intervals lose coverage ...
    assert 0.77 <= np.mean(new[500:] <= adapted[500:]) <= 0.83  # ... adaptive ones win it back
    same = np.abs(rng.normal(size=(2000, 2, 1)))  # no change: coverage stays at the level
    assert 0.77 <= np.mean(same <= adaptive_half_widths(cal, same, origins, 80)) <= 0.83


def test_series_are_scaled_so_a_noisy_one_does_not_widen_the_others() -> None:
    rng = np.random.default_rng(3)
    quiet, noisy = rng.normal(size=(300, 1)).cumsum(0), 100 * rng.normal(size=(300, 1)).cumsum(0)
    scales = {"quiet": series_scale(quiet), "noisy": series_scale(noisy)}
    errors = {
        "quiet": {"model": np.abs(rng.normal(size=(100, 1, 1)))},
        "noisy": {"model": 100 * np.abs(rng.normal(size=(100, 1, 1)))},
    }
    pooled = calibrate(errors, scales)
    alone = calibrate({"quiet": errors["quiet"]})
    quiet_width = pooled.bounds("model", np.zeros((1, 1, 1)), (80,), scales["quiet"])[80][1]
    assert quiet_width[0, 0, 0] < 3 * alone.bounds("model", np.zeros((1, 1, 1)), (80,))[80][1]
    unscaled = calibrate(errors).bounds("model", np.zeros((1, 1, 1)), (80,))[80][1]
    assert unscaled[0, 0, 0] > 10 * quiet_width[0, 0, 0]


def test_too_few_calibration_windows_for_a_level_are_reported() -> None:
    """n scores give the guarantee up to level n / (n + 1): 13 windows reach 80 %, not 95 %."""
    few = calibrate({"a": {"model": np.ones((13, 2, 1))}})
    assert [note.split("%")[0] for note in few.notes((80, 95))] == ["95"]
    assert "needs 19" in few.notes((95,))[0] and "pooled" in few.notes((95,))[0]
    assert calibrate({"a": {"model": np.ones((19, 2, 1))}}).notes((80, 95)) == []
    one_step = calibrate({"a": {"model": np.ones((13, 1, 1))}})  # nothing to pool
    assert "largest validation error" in one_step.notes((95,))[0]


def test_too_few_windows_pool_the_steps_each_at_its_own_scale() -> None:
    """13 windows x 6 steps: the 95 % half-width is a finite quantile of 78 pooled scores,
    per step at that step's scale, not each step's largest error."""
    rng = np.random.default_rng(4)
    scores = np.abs(rng.normal(size=(13, 6, 1))) * np.arange(1, 7)[None, :, None]
    pooled = pooled_scores(scores)
    assert pooled.shape == (78, 6, 1)
    ratio = pooled[:, 5, 0] / pooled[:, 0, 0]  # every score, at step 6's scale and step 1's
    assert np.allclose(ratio, scores[:, 5].mean() / scores[:, 0].mean())
    half = calibrate({"a": {"model": scores}}).bounds("model", np.zeros((1, 6, 1)), (95,))[95][1]
    assert np.allclose(half[0], conformal_quantile(pooled, 95))
    assert (half[0, :, 0] < scores.max(axis=0)[:, 0]).any()  # finite, not the max everywhere
    per_step = half[0, :, 0] / scores.mean(axis=0)[:, 0]  # in proportion to each step's scale
    assert np.allclose(per_step, per_step[0])


def test_full_coverage_is_noted_when_misses_were_due() -> None:
    index = pd.MultiIndex.from_tuples(
        [("v", "model", 80.0), ("v", "model", 95.0), ("v", "naive", 95.0)],
        names=["target", "method", "level"],
    )
    overall = pd.DataFrame({"coverage": [90.0, 100.0, 100.0]}, index=index)
    notes = full_coverage_notes(overall, 100)  # 5 misses were due at 95 %
    assert len(notes) == 1 and notes[0].startswith("95% intervals (v) covered every")
    assert full_coverage_notes(overall, 20) == []  # 1 miss due: 100 % is no news


# ----------------------------------------------------------- intervals="auto": the rule
def test_choose_mode_takes_the_narrowest_mode_that_holds_else_the_closest() -> None:
    adaptive_misses = {
        "adaptive": {80: (70.0, 1.0), 95: (90.0, 2.0)},
        "conformal": {80: (81.0, 1.2), 95: (94.0, 2.3)},
    }
    assert choose_mode(adaptive_misses)[0] == "conformal"
    both_hold = {
        "adaptive": {80: (79.0, 1.00), 95: (95.5, 2.0)},
        "conformal": {80: (82.0, 1.01), 95: (96.0, 2.01)},  # a tie: the earlier one
        "conformal window-scaled": {80: (80.0, 0.80), 95: (94.0, 1.6)},  # clearly narrower
    }
    chosen, why = choose_mode(both_hold)
    assert chosen == "conformal window-scaled" and "within 3 points" in why
    assert choose_mode({k: both_hold[k] for k in ("adaptive", "conformal")})[0] == "adaptive"
    none_hold = {
        "adaptive": {80: (70.0, 1.0), 95: (90.0, 2.0)},
        "conformal": {80: (75.0, 1.2), 95: (88.0, 2.3)},
    }
    chosen, why = choose_mode(none_hold)
    assert chosen == "conformal" and why.startswith("no mode held")  # worst miss 7, not 10


def _check(parts: list, level: float) -> dict:
    return {
        "adaptive": {level: held_out(parts, level, adaptive=True)},
        "conformal": {level: held_out(parts, level, adaptive=False)},
    }


def test_held_out_check_picks_adaptive_after_a_noise_change_in_validation() -> None:
    """The late validation windows are three times noisier: conformal scores fitted on the
    early ones miss, the adaptive ones follow."""
    rng = np.random.default_rng(6)
    errors = (
        np.abs(rng.normal(size=(2000, 1, 1)))
        * np.r_[np.ones(1000), 3 * np.ones(1000)][:, None, None]
    )
    parts = [(errors, np.zeros_like(errors), np.arange(2000), 1.0)]
    checks = _check(parts, 80)
    assert checks["conformal"][80][0] < 50 and abs(checks["adaptive"][80][0] - 80) < 3
    assert choose_mode(checks)[0] == "adaptive"


def test_held_out_check_keeps_plain_errors_when_window_scales_mislead() -> None:
    """Constant noise, input windows whose scale swings: dividing by it widens the
    intervals for nothing, so the plain scores win; with noise that follows the windows'
    scale, the window-scaled ones do."""
    rng = np.random.default_rng(7)
    n = 4000
    local = np.exp(rng.normal(size=(n, 1, 1)))  # each window's own scale
    for noise, winner in ((np.ones((n, 1, 1)), "conformal"), (local, "conformal window-scaled")):
        errors = np.abs(rng.normal(size=(n, 1, 1))) * noise
        checks = {
            "conformal": {80: held_out([(errors, 0 * errors, np.arange(n), 1.0)], 80, False)},
            "conformal window-scaled": {
                80: held_out([(errors / local, 0 * errors, np.arange(n), local)], 80, False)
            },
        }
        assert all(abs(c[80][0] - 80) < 3 for c in checks.values())
        assert choose_mode(checks)[0] == winner


def test_held_out_check_with_one_window_per_series_splits_across_series() -> None:
    rng = np.random.default_rng(8)
    parts = [
        (np.abs(rng.normal(size=(1, 2, 1))), np.zeros((1, 2, 1)), np.array([5]), 1.0)
        for _ in range(400)
    ]
    cover, width = held_out(parts, 80, adaptive=True)
    assert abs(cover - 80) < 6 and width > 0
    assert held_out(parts, 80, adaptive=False)[0] == cover  # no feedback: the same
    ordered = sorted(parts, key=lambda p: p[0].max())  # series in order of their noise
    assert abs(held_out(ordered, 80, adaptive=False)[0] - 80) < 6  # every other one checks


def test_window_scale_is_the_inputs_mean_one_step_change_floored() -> None:
    values = np.r_[np.zeros(4), np.arange(4.0) * 2, 5 * np.ones(4)][:, None]  # (12, 1)
    scale = window_scale(values, np.array([8, 12]), 4)
    assert scale.shape == (2, 1, 1)
    assert scale[0, 0, 0] == pytest.approx(2.0)  # rows 4..7: 0, 2, 4, 6
    assert scale[1, 0, 0] == pytest.approx(0.05)  # flat at 5: 1 % of the level
    assert window_scale(np.zeros((6, 1)), np.array([6]), 4)[0, 0, 0] == 1.0


def test_levels_nest_even_when_computed_bounds_cross() -> None:
    lo80, hi80 = np.array([0.0, -1.0]), np.array([3.0, 1.0])
    lo95, hi95 = np.array([0.5, -2.0]), np.array([2.0, 2.0])  # inside the 80 % at first
    out = nested({95: (lo95, hi95), 80: (lo80, hi80)})
    assert list(out) == [95, 80]
    assert np.all(out[95][0] <= out[80][0]) and np.all(out[95][1] >= out[80][1])
    assert np.array_equal(out[80][0], lo80) and np.array_equal(out[95][0], [0.0, -2.0])


def test_levels_are_checked_and_named_like_statsforecast() -> None:
    assert check_levels("95,80") == (80.0, 95.0)
    assert check_levels(None) == ()
    assert bound_names(80.0) == ("lo-80", "hi-80")
    assert bound_names(99.5, "OT") == ("OT-lo-99.5", "OT-hi-99.5")
    for bad in (0, 100, "x", [80, 120]):
        with pytest.raises(ConfigError, match="levels") as info:
            check_levels(bad)
        assert info.value.setting == "levels"


def test_interval_scores_coverage_width_pinball_and_msis() -> None:
    y = np.array([0.0, 1.0, 2.0, 10.0]).reshape(4, 1, 1)
    lo, hi = np.zeros_like(y), np.full_like(y, 2.0)
    table = interval_table(y, {"model": {80.0: (lo, hi)}}, np.array([2.0]), ["v"])
    row = table[table["step"] == "all"].iloc[0]
    assert row["coverage"] == 75.0 and row["width"] == 2.0
    # MSIS: mean(width + 2/alpha * excess) / scale = (2 + 10 * 8 / 4) / 2
    assert row["MSIS"] == pytest.approx((2 + (2 / 0.2) * 8 / 4) / 2)
    # pinball of the bounds at 0.1 and 0.9, averaged: only y=10 above hi and y>0 above lo
    lo_loss = np.mean(0.1 * y.ravel())
    hi_loss = np.mean([0.1 * 2, 0.1 * 1, 0, 0.9 * 8])
    assert row["pinball"] == pytest.approx(0.5 * (lo_loss + hi_loss))


# ---------------------------------------------------------------------- the Forecaster
def _series(n: int = 400) -> pd.DataFrame:
    t = np.arange(n)
    rng = np.random.default_rng(0)
    values = 10 + np.sin(2 * np.pi * t / 12) + 0.3 * rng.normal(size=n)
    return pd.DataFrame({"v": values}, index=pd.date_range("2020-01-01", periods=n, freq="D"))


@pytest.fixture(scope="module")
def fitted() -> Forecaster:
    keras.utils.set_random_seed(0)
    f = Forecaster(lookback=12, horizon=3, epochs=2, verbose=0, model_options={"units": 4})
    return f.fit(_series().iloc[:320], val=0.3)


def test_fit_calibrates_on_the_validation_windows(fitted: Forecaster) -> None:
    cal = fitted.calibration_
    n_val = round(0.3 * 320)
    assert cal.scores["model"].shape == (n_val - 3 + 1, 3, 1)
    assert set(cal.scores) == {"model", "model_local", "naive"} and not cal.scales


def test_predict_gives_bounds_around_the_point_forecast(fitted: Forecaster) -> None:
    plain = fitted.predict(_series())
    banded = fitted.predict(_series(), levels=(80, 95))
    assert list(banded.columns) == ["v", "v-lo-80", "v-hi-80", "v-lo-95", "v-hi-95"]
    assert np.array_equal(banded["v"], plain["v"])
    assert (banded["v-lo-95"] <= banded["v-lo-80"]).all()
    assert (banded["v-lo-80"] < banded["v"]).all() and (banded["v"] < banded["v-hi-80"]).all()
    assert (banded["v-hi-80"] <= banded["v-hi-95"]).all()


def test_predict_windows_and_evaluate_report_intervals(fitted: Forecaster) -> None:
    data = _series()
    windows = fitted.predict_windows(data, start=80, levels=[80])
    assert {"lo-80", "hi-80"} <= set(windows.columns)
    inside = (windows["actual"] >= windows["lo-80"]) & (windows["actual"] <= windows["hi-80"])
    report = fitted.evaluate(data, test=80)
    overall = report.interval_overall()
    assert overall.loc[("v", "model", 80.0), "coverage"] == pytest.approx(100 * inside.mean())
    assert set(overall.index.get_level_values("method")) == {"model", "naive"}
    as_dict = report.to_dict()["intervals"]["v"]["naive"]["95"]
    assert len(as_dict["per_step_coverage"]) == 3 and as_dict["MSIS"] > 0
    json.dumps(report.to_dict())


def test_adaptive_mode_recalibrates_on_known_actuals(fitted: Forecaster) -> None:
    data = _series().copy()
    data.iloc[-100:, 0] += 3 * np.random.default_rng(5).normal(size=100)  # noisier test part
    try:
        static = fitted.set_params(intervals="conformal").predict_windows(data, 100, levels=[80])
        rolled = fitted.set_params(intervals="adaptive").predict_windows(data, 100, levels=[80])
    finally:
        fitted.set_params(intervals="auto")
    first = rolled["origin"] == rolled["origin"].iloc[0]
    assert np.allclose(rolled.loc[first, "hi-80"], static.loc[first, "hi-80"])
    width = lambda w: (w["hi-80"] - w["lo-80"]).iloc[-30:].mean()  # noqa: E731
    assert width(rolled) > 1.5 * width(static)


def test_intervals_none_and_no_validation_give_clear_errors() -> None:
    keras.utils.set_random_seed(0)
    f = Forecaster(lookback=12, horizon=2, epochs=1, verbose=0, model_options={"units": 4})
    f.set_params(intervals="none").fit(_series().iloc[:200], val=0.3)
    assert f.calibration_ is None and f.evaluate(_series().iloc[:200]).intervals is None
    with pytest.raises(ConfigError, match="no interval calibration") as info:
        f.predict(_series(), levels=(80,))
    assert info.value.setting == "levels"
    with pytest.raises(ConfigError, match="intervals"):
        Forecaster(intervals="bootstrap").check_settings()


def test_a_saved_forecaster_reloads_its_bounds_bit_for_bit(fitted: Forecaster, tmp_path) -> None:
    fitted.save(tmp_path / "run")
    config = json.loads((tmp_path / "run" / "forecaster.json").read_text())
    saved = config["calibration"]
    assert saved["methods"] == ["model", "naive", "model_local"] and saved["series"] == []
    assert saved["choice"]["used"] == fitted.calibration_.choice["used"]  # intervals="auto"
    assert saved["choice"]["used"] in [c.name for c in CANDIDATES]
    with np.load(tmp_path / "run" / "intervals.npz", allow_pickle=False) as arrays:
        assert set(arrays.files) == {"scores_model", "scores_naive", "scores_model_local"}
    loaded = Forecaster.load(tmp_path / "run")
    assert loaded.calibration_.choice == fitted.calibration_.choice
    pd.testing.assert_frame_equal(
        loaded.predict(_series(), levels=(80, 95)),
        fitted.predict(_series(), levels=(80, 95)),
        check_exact=True,  # bit for bit
    )
    for kept, saved in zip(
        loaded.calibration_.scores.values(), fitted.calibration_.scores.values(), strict=True
    ):
        assert kept.tobytes() == saved.tobytes()


@pytest.mark.slow
def test_cli_train_reports_the_interval_mode_and_why(tmp_path) -> None:
    """The default `--intervals auto` names the mode it chose on validation, in the
    printed report and in metrics.json; an explicit mode says it was set."""
    data = tmp_path / "data.csv"
    _series().to_csv(data, index_label="date")
    tiny = ["--lookback", "12", "--horizon", "3", "--epochs", "1", "--units", "4", "--no-plots"]
    result = CliRunner().invoke(app, ["train", str(data), *tiny, "--out", str(tmp_path / "a")])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.stdout.splitlines() if x.startswith("intervals: "))
    mode = json.loads((tmp_path / "a" / "metrics.json").read_text())["interval_mode"]
    assert mode["mode"] == "auto" and mode["used"] in line and "chosen on validation" in line
    assert set(mode["checked"]) >= {"adaptive", "conformal"} and mode["reason"] in line
    tiny += ["--intervals", "conformal"]
    result = CliRunner().invoke(app, ["train", str(data), *tiny, "--out", str(tmp_path / "b")])
    assert "intervals: conformal (set by intervals='conformal')" in result.stdout


@pytest.mark.slow
def test_cli_predict_levels_writes_the_bounds(fitted: Forecaster, tmp_path) -> None:
    fitted.save(tmp_path / "run")
    data = tmp_path / "data.csv"
    _series().to_csv(data, index_label="date")
    result = CliRunner().invoke(
        app,
        ["predict", str(tmp_path / "run"), "--data", str(data), "--levels", "80,95", "--out", "-"],
    )
    assert result.exit_code == 0, result.output
    header = result.stdout.splitlines()[0]
    assert header == "date,v,v-lo-80,v-hi-80,v-lo-95,v-hi-95"
    written = pd.read_csv(io.StringIO(result.stdout), index_col=0, float_precision="round_trip")
    expected = fitted.predict(_series(), levels=(80, 95))
    assert np.array_equal(written.to_numpy(), expected.to_numpy())  # the CSV holds every bit
    bad = CliRunner().invoke(
        app, ["predict", str(tmp_path / "run"), "--data", str(data), "--levels", "80,100"]
    )
    assert bad.exit_code == 2 and "--levels" in bad.stderr


def test_many_series_are_calibrated_on_scaled_errors_and_saved(tmp_path) -> None:
    keras.utils.set_random_seed(0)
    quiet, noisy = _series(300), _series(300) * 50
    f = Forecaster(lookback=12, horizon=2, epochs=1, verbose=0, model_options={"units": 4})
    f.fit({"quiet": quiet, "noisy": noisy}, val=0.3)
    assert set(f.calibration_.scales) == {"quiet", "noisy"}
    assert f.calibration_.scales["noisy"] == pytest.approx(50 * f.calibration_.scales["quiet"])
    banded = f.predict({"quiet": quiet, "noisy": noisy}, levels=(80,))  # any mode auto takes
    width = {k: (b["v-hi-80"] - b["v-lo-80"]).mean() for k, b in banded.items()}
    assert width["noisy"] == pytest.approx(50 * width["quiet"], rel=1e-6)
    report = f.evaluate({"quiet": quiet, "noisy": noisy}, test=40)
    model = report.per_series.set_index(["series", "method"]).loc[(slice(None), "model"), :]
    assert model[["coverage-80", "coverage-95"]].notna().all().all()  # per series ...
    pooled = report.interval_overall().loc[("v", "model", 80.0), "coverage"]
    assert model["coverage-80"].mean() == pytest.approx(pooled)  # ... and pooled (equal sizes)
    json.dumps(report.to_dict())
    f.save(tmp_path / "many")
    loaded = Forecaster.load(tmp_path / "many")
    again = loaded.predict({"quiet": quiet, "noisy": noisy}, levels=(80,))
    pd.testing.assert_frame_equal(again["noisy"], banded["noisy"], check_exact=True)


def test_separate_validation_data_and_backtests_give_intervals() -> None:
    keras.utils.set_random_seed(0)
    data = _series(300)
    f = Forecaster(lookback=12, horizon=2, epochs=1, verbose=0, model_options={"units": 4})
    f.fit(data.iloc[:200], val=data.iloc[200 - 12 : 260])  # validation with its context
    assert len(f.calibration_.scores["model"]) == 60 - 2 + 1
    result = f.backtest(data, folds=2, test_size=30, refit_every=0)  # one refit: quick
    assert set(result.intervals["fold"]) == {1, 2}
    summary = result.interval_summary
    assert set(summary.index.get_level_values("level")) == {80.0, 95.0}
    assert (summary["coverage"].between(0, 100)).all() and (summary["MSIS"] > 0).all()


def test_a_missing_or_damaged_calibration_file_is_named(fitted: Forecaster, tmp_path) -> None:
    fitted.save(tmp_path / "run")
    (tmp_path / "run" / "intervals.npz").write_bytes(b"not an npz")
    with pytest.raises(ArtifactError, match=r"intervals\.npz"):
        Forecaster.load(tmp_path / "run")
    (tmp_path / "run" / "intervals.npz").unlink()
    with pytest.raises(ArtifactError, match=r"intervals\.npz is missing or corrupt"):
        Forecaster.load(tmp_path / "run")
