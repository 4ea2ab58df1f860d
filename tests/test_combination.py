"""The forecast combination (forecast/combination.py): weights over the model, seasonal naive
and the linear baseline chosen on the validation windows, kept in the fitted state."""

from __future__ import annotations

import json

import keras
import numpy as np
import pandas as pd
import pytest
from series_helpers import periodic_series

from forecast import Forecaster
from forecast.combination import (
    PANEL,
    Combination,
    check_combination,
    fit_combination,
    weight_grid,
)
from forecast.errors import ConfigError
from forecast.panel import Span

TINY = dict(horizon=3, epochs=1, batch_size=16, verbose=0, seed=0, lookback=8,
            model_options={"units": 4})  # fmt: skip


def _span(actual: np.ndarray, model: np.ndarray, snaive: np.ndarray, linear: np.ndarray) -> Span:
    """A span of `n` windows, horizon 3, one target, from `(n, 3)` arrays."""
    shaped = lambda a: np.asarray(a, np.float64).reshape(-1, 3, 1)  # noqa: E731
    n = shaped(actual).shape[0]
    bases = {"seasonal_naive": shaped(snaive), "linear": shaped(linear), "naive": shaped(snaive)}
    return Span(np.arange(n), shaped(model), shaped(actual), bases, "model")


def _spans(windows: int, n_series: int = 3, seed: int = 0) -> dict[str, Span]:
    """Series where the model is off by +1 and the linear baseline by -1 (the half-and-half
    blend is exact), seasonal naive off by 3."""
    rng = np.random.default_rng(seed)
    out = {}
    for k in range(n_series):
        actual = rng.normal(10.0 * (k + 1), 1.0, (windows, 3))
        out[f"s{k}"] = _span(actual, actual + 1, actual + 3, actual - 1)
    return out


def test_the_weight_grid_covers_the_simplex_model_alone_first() -> None:
    grid = weight_grid(3)
    assert grid.shape == (66, 3) and np.allclose(grid.sum(axis=1), 1) and (grid >= 0).all()
    assert list(grid[0]) == [1.0, 0.0, 0.0]
    assert len({tuple(r) for r in np.round(grid, 6)}) == 66  # every point once
    assert list(weight_grid(1)[0]) == [1.0]


def test_the_blend_that_cancels_the_errors_is_chosen_for_the_panel() -> None:
    spans = _spans(windows=1)  # one window per series: "panel" pools them (one set)
    scales = {k: np.array([2.0]) for k in spans}
    assert fit_combination(spans, scales, "auto", horizon=3) is None  # too few windows
    found = fit_combination(spans, scales, "panel", horizon=3)
    assert set(found.weights) == {PANEL}
    assert found.weights[PANEL] == pytest.approx({"model": 0.5, "seasonal_naive": 0.0,
                                                  "linear": 0.5})  # fmt: skip
    assert found.errors["model"] == pytest.approx(0.5)  # MAE 1 / scale 2
    assert found.errors["combined"] == pytest.approx(0.0, abs=1e-12)
    assert found.windows == 3
    blended = found.apply_spans(dict(spans))
    for key, span in blended.items():
        assert np.allclose(span.forecasts, spans[key].actual) and span.method == "model"
    assert "0.5 model + 0.5 linear for the panel" in found.summary()


def test_a_model_that_is_best_stays_alone_and_a_perfect_baseline_is_picked() -> None:
    rng = np.random.default_rng(1)
    actual = rng.normal(5.0, 1.0, (30, 3))
    good = {"a": _span(actual, actual, actual + 1, actual - 2)}
    kept = fit_combination(good, {"a": np.array([1.0])}, "series", horizon=3)
    assert kept.weights["a"]["model"] == 1.0 and kept.weights_for("a") is None
    preds = good["a"].forecasts
    assert kept.apply("a", preds, good["a"].baselines)[0] is preds  # untouched
    bad = {"a": _span(actual, actual + 5, actual, actual - 2)}  # seasonal naive exact
    picked = fit_combination(bad, {"a": np.array([1.0])}, "series", horizon=3)
    assert picked.weights["a"] == {"model": 0.0, "seasonal_naive": 1.0, "linear": 0.0}
    quants = np.zeros((30, 3, 1, 2))
    out, q = picked.apply("a", preds, bad["a"].baselines, quants)
    assert np.array_equal(out, bad["a"].baselines["seasonal_naive"]) and q is None


def test_auto_gives_series_with_enough_windows_their_own_weights() -> None:
    spans = _spans(windows=30)  # >= MIN_WINDOWS (24) and horizon
    found = fit_combination(spans, {}, "auto", horizon=3)
    assert set(found.weights) == set(spans)  # no panel set
    assert found.weights["s1"] == pytest.approx({"model": 0.5, "seasonal_naive": 0.0,
                                                 "linear": 0.5})  # fmt: skip
    mixed = {**_spans(windows=30, n_series=2), "short": _spans(windows=5, n_series=1)["s0"]}
    some = fit_combination(mixed, {}, "auto", horizon=3)
    assert set(some.weights) == {"s0", "s1"} and some.weights_for("short") is None
    assert some.windows == 60  # the blended series' windows
    lone = _spans(windows=30, n_series=1)  # a lone series: the model alone (as the guard)
    assert fit_combination(lone, {}, "auto", horizon=3) is None
    assert set(fit_combination(lone, {}, "series", horizon=3).weights) == {"s0"}
    empty = fit_combination(_spans(windows=5, n_series=1), {}, "panel", horizon=3)
    assert set(empty.weights) == {PANEL}
    assert fit_combination(spans, {}, "none", horizon=3) is None


def test_series_the_guard_gave_to_a_baseline_are_not_blended_nor_counted() -> None:
    spans = _spans(windows=1)
    spans["s0"] = spans["s0"]._replace(method="seasonal_naive", forecasts=np.zeros((1, 3, 1)))
    found = fit_combination(spans, {}, "panel", horizon=3)
    assert found.windows == 2
    assert np.array_equal(found.apply_spans(dict(spans))["s0"].forecasts, np.zeros((1, 3, 1)))


def test_a_missing_baseline_is_left_out_of_the_members() -> None:
    spans = _spans(windows=1)
    spans["s1"].baselines["linear"][:] = np.nan  # no linear forecast for one series
    found = fit_combination(spans, {}, "panel", horizon=3)
    assert set(found.weights[PANEL]) == {"model", "seasonal_naive"}


def test_the_combination_round_trips_through_json_exactly() -> None:
    found = fit_combination(_spans(windows=1, seed=3), {}, "panel", horizon=3)
    again = Combination.from_dict(json.loads(json.dumps(found.to_dict())))
    assert again == found
    with pytest.raises(ConfigError, match="combination"):
        check_combination("always")
    with pytest.raises(ConfigError, match="combination"):
        Forecaster(combination="always").check_settings()


def test_the_forecaster_picks_a_perfect_baseline_and_reloads_it_bit_for_bit(tmp_path) -> None:
    keras.utils.set_random_seed(0)
    data = periodic_series()
    f = Forecaster(season=4, guard="report", combination="panel", **TINY).fit(data, val=3)
    blend = f.combination_
    assert blend.weights[PANEL]["seasonal_naive"] == 1.0  # a 1-epoch model loses to it
    assert blend.errors["combined"] == pytest.approx(0.0, abs=1e-9)
    out = f.predict(data)
    for key, frame in out.items():
        base = f._baselines(data[key], np.array([len(data[key])]), key)["seasonal_naive"]
        assert np.allclose(frame["y"].to_numpy(), base[0, :, 0])
        assert frame.attrs["method"] == "model"  # the blend is the model's forecast
    tidy = f.predict_windows(data, start=3, baselines=True)
    assert np.allclose(tidy["forecast"], tidy["seasonal_naive"])
    report = f.evaluate(data, test=3)
    assert report.overall().loc[("y", "model"), "MAE"] == pytest.approx(0.0, abs=1e-9)
    f.save(tmp_path / "run")
    again = Forecaster.load(tmp_path / "run")
    assert again.combination_ == blend
    for key, frame in again.predict(data).items():
        assert np.array_equal(frame.to_numpy(), out[key].to_numpy())
    none = Forecaster(season=4, guard="report", **TINY).fit(data, val=3)
    assert none.combination == "auto" and none.combination_ is None  # one window: alone
    many = Forecaster(season=4, guard="report", **TINY).fit(data, val=28)  # 26 windows
    assert set(many.combination_.weights) == set(data)  # the default, per series
    for key in data:
        assert many.combination_.weights[key]["seasonal_naive"] == 1.0


def test_the_cli_prints_the_combination_and_writes_it_to_metrics(tmp_path) -> None:
    from cli_helpers import invoke, one_error

    csv = tmp_path / "panel.csv"
    rows = [(k, step, v) for k, f in periodic_series().items()
            for step, v in zip(f.index, f["y"], strict=True)]  # fmt: skip
    pd.DataFrame(rows, columns=["series_id", "step", "value"]).to_csv(csv, index=False)
    common = ["train", csv, "--id-col", "series_id", "--time-col", "step", "--target", "value",
              "--horizon", "3", "--season", "4", "--test-size", "3", "--val-size", "3",
              "--lookback", "8", "--epochs", "1", "--no-plots"]  # fmt: skip
    bad = invoke(*common, "--combination", "always", "--out", tmp_path / "bad")
    one_error(bad, "combination", "always")
    assert not (tmp_path / "bad").exists()
    result = invoke(*common, "--combination", "panel", "--out", tmp_path / "run")
    assert result.exit_code == 0, result.output
    assert "combination: 1.0 seasonal naive for the panel" in result.output
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["combination"]["weights"][PANEL]["seasonal_naive"] == 1.0
