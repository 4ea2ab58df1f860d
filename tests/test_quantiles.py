"""Tests for quantile heads: forecast/quantiles.py (the declared quantiles and the levels they
serve), the pinball loss, the non-crossing head of every builder, CQR intervals, and a
quantile-head Forecaster end to end (median = point, save / reload, ensembles, CLI, JAX)."""

from __future__ import annotations

import importlib.util
import io
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pandas as pd
import pytest
from cli_helpers import invoke, one_error

from forecast import Forecaster, models, panel
from forecast.errors import ConfigError
from forecast.intervals import Calibration, conformal_quantile, conformity, pinball
from forecast.quantiles import (
    DEFAULT_QUANTILES,
    check_quantiles,
    check_servable,
    pairs,
    servable_levels,
)
from forecast.series import SINGLE
from forecast.training import PinballLoss

Q3 = (0.1, 0.5, 0.9)


def _series(n: int = 300) -> pd.DataFrame:
    t = np.arange(n)
    rng = np.random.default_rng(0)
    values = 10 + np.sin(2 * np.pi * t / 12) + 0.3 * rng.normal(size=n)
    return pd.DataFrame({"v": values}, index=pd.date_range("2020-01-01", periods=n, freq="D"))


def _quantile_forecaster(**settings) -> Forecaster:
    keras.utils.set_random_seed(0)
    options = {"lookback": 12, "horizon": 3, "epochs": 2, "verbose": 0, "loss": "quantile"}
    options["model_options"] = {"units": 4}
    return Forecaster(**{**options, **settings})


@pytest.fixture(scope="module")
def fitted() -> Forecaster:
    return _quantile_forecaster().fit(_series().iloc[:240], val=0.3)


# ---------------------------------------------------------------------- declared quantiles
def test_the_default_quantiles_serve_the_default_levels() -> None:
    assert check_quantiles(None) == DEFAULT_QUANTILES
    assert servable_levels(DEFAULT_QUANTILES) == {80.0: (1, 3), 95.0: (0, 4)}
    assert check_quantiles("0.1, 0.5,0.9") == Q3


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ((0.0, 0.5, 1.0), "strictly between 0 and 1"),
        ((0.9, 0.5, 0.1), "not increasing"),
        ((0.1, 0.5, 0.5, 0.9), "not increasing"),
        ((0.1, 0.4, 0.9), "0.5 (the median"),
        ((0.1, 0.5, 0.95), "no pair"),
        ("a,b", "not numbers"),
    ],
)
def test_bad_quantiles_are_one_clear_error(value, why) -> None:
    with pytest.raises(ConfigError, match="quantiles must be") as info:
        check_quantiles(value)
    assert why in str(info.value) and info.value.setting == "quantiles"


def test_a_level_the_quantiles_cannot_serve_names_the_levels_available() -> None:
    with pytest.raises(ConfigError, match=r"levels 90 cannot be served.*available are 80, 95"):
        check_servable(DEFAULT_QUANTILES, (80, 90))
    forecasts = np.arange(5.0)[None, None, None, :]
    lo, hi = pairs(forecasts, DEFAULT_QUANTILES, (95,))[95]
    assert (lo.item(), hi.item()) == (0.0, 4.0)


def test_settings_are_checked_before_any_data_work() -> None:
    for settings, name in (
        ({"quantiles": (0.9, 0.5, 0.1)}, "quantiles"),
        ({"loss": "mae", "quantiles": Q3}, "quantiles"),
        ({"loss": "mae", "intervals": "raw"}, "intervals"),
    ):
        f = Forecaster(**{"loss": "quantile", **settings})
        with pytest.raises(ConfigError) as info:
            f.fit("no-such-file.csv")  # the settings fail first, not the missing file
        assert info.value.setting == name


# ---------------------------------------------------------------------- loss and head
def test_pinball_loss_by_hand() -> None:
    y_true = np.array([[[1.0]], [[2.0]]], dtype="float32")  # (2, 1, 1)
    y_pred = np.array([[[[0.0, 1.0, 3.0]]], [[[2.0, 2.0, 2.0]]]], dtype="float32")
    # window 1: errors 1, 0, -2 -> 0.1 * 1, 0, 0.1 * 2 (over-forecast costs 1 - 0.9);
    # window 2: all exact -> 0. Mean over quantiles, then windows: (0.3 / 3 + 0) / 2.
    loss = PinballLoss(Q3)(y_true, y_pred)
    assert float(loss) == pytest.approx(0.05, abs=1e-7)
    by_numpy = np.mean([pinball(y_true, y_pred[..., i], q) for i, q in enumerate(Q3)])
    assert float(loss) == pytest.approx(by_numpy, abs=1e-7)
    again = keras.losses.deserialize(keras.losses.serialize(PinballLoss(Q3)))
    assert again.quantiles == list(Q3)


@pytest.mark.parametrize("builder", ["single", "stacked", "attention"])
def test_every_builder_gives_non_crossing_quantiles(builder: str) -> None:
    keras.utils.set_random_seed(0)
    model = models.get_builder(builder)(
        lookback=8, n_inputs=2, horizon=3, n_targets=2, quantiles=DEFAULT_QUANTILES
    )
    assert model.output_shape == (None, 3, 2, 5)
    big = models.QuantileSpread(2)  # any raw gaps, even huge ones, stay ordered
    raw = keras.random.normal((4, 3, 2, 4), seed=1) * 50
    window = keras.random.normal((4, 8, 2), seed=2)
    out = keras.ops.convert_to_numpy(big([keras.ops.zeros((4, 3, 2)), raw, window]))
    x = np.random.default_rng(0).normal(size=(6, 8, 2)).astype("float32")
    for found in (model.predict(x, verbose=0), out):
        assert np.all(np.diff(found, axis=-1) >= 0)


def test_the_frozen_ridge_path_gives_the_median_of_an_untrained_model() -> None:
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    coef, intercept = rng.normal(size=(1, 8, 3)), rng.normal(size=(1, 3))
    x = rng.normal(size=(5, 8, 1)).astype("float32")
    point, quantile = (
        models.build_single_lstm(lookback=8, n_inputs=1, horizon=3, n_targets=1, quantiles=q)
        for q in (None, Q3)
    )
    for model in (point, quantile):
        models.start_from_linear(model, coef, intercept, 1)
    median = quantile.predict(x, verbose=0)[..., 1]
    assert np.array_equal(median, point.predict(x, verbose=0))
    assert not quantile.get_layer("linear_skip").trainable
    assert quantile.get_layer("quantile_offsets").trainable


# ---------------------------------------------------------------------- CQR
def test_cqr_widens_each_pair_by_the_conformal_quantile_of_its_scores() -> None:
    rng = np.random.default_rng(0)
    y = rng.normal(size=(40, 2, 1))
    lo, hi = np.full_like(y, -0.5), np.full_like(y, 0.5)
    scores = conformity(lo, hi, y)
    assert np.array_equal(conformity(y * 0, y * 0, y), np.abs(y))  # a point: |error|
    calibration = Calibration({"model": np.abs(y), "model_cqr_80": scores, "naive": np.abs(y)})
    new_lo, new_hi = lo[:3] + 1, hi[:3] + 2
    got = calibration.bounds("model", new_lo, (80,), pairs={80: (new_lo, new_hi)})[80]
    q = conformal_quantile(scores, 80)
    assert np.array_equal(got[0], new_lo - q) and np.array_equal(got[1], new_hi + q)


def test_cqr_narrows_a_pair_but_never_past_the_point_forecast() -> None:
    y = np.zeros((40, 2, 1))  # every actual deep inside +-5: the scores say "narrow by 5"
    scores = conformity(np.full_like(y, -5.0), np.full_like(y, 5.0), y)
    calibration = Calibration({"model": np.abs(y), "model_cqr_80": scores})
    point = np.full((3, 2, 1), 0.2)
    lo, hi = point - 1.0, point + 1.0  # narrowed by 5, these would cross
    got_lo, got_hi = calibration.bounds("model", point, (80,), pairs={80: (lo, hi)})[80]
    assert np.array_equal(got_lo, point) and np.array_equal(got_hi, point)


def test_cqr_levels_nest_even_when_the_inner_scores_are_larger() -> None:
    """The 80 % pair's scores say "widen by 2", the 95 % pair's "narrow by 0.4": widened
    apart, the 80 % interval would stick out of the 95 % one; it never does."""
    y = np.zeros((40, 2, 1))
    calibration = Calibration(
        {"model": np.abs(y), "model_cqr_80": y + 2.0, "model_cqr_95": y - 0.4}
    )
    point = np.zeros((3, 2, 1))
    pairs = {80: (point - 1.0, point + 1.0), 95: (point - 1.5, point + 1.5)}
    got = calibration.bounds("model", point, (80, 95), pairs=pairs)
    assert np.all(got[95][0] <= got[80][0]) and np.all(got[95][1] >= got[80][1])
    assert np.array_equal(got[80][0], point - 3.0)  # the inner level is kept as computed


# ---------------------------------------------------------------------- the Forecaster
def test_auto_weighs_the_cqr_modes_too_and_its_levels_nest(fitted) -> None:
    checked = fitted.calibration_.choice["checked"]
    assert {"adaptive CQR", "conformal CQR", "adaptive", "conformal"} <= set(checked)
    assert set(checked["conformal CQR"]) == {"80", "95"}
    windows = fitted.predict_windows(_series(), start=60, levels=(80, 95))
    assert (windows["lo-95"] <= windows["lo-80"]).all()
    assert (windows["hi-95"] >= windows["hi-80"]).all()
    assert (windows["lo-80"] <= windows["forecast"]).all()


def test_the_median_is_the_point_forecast_and_bounds_come_per_level(fitted) -> None:
    data = _series().iloc[:240]
    window = fitted.scaler_.transform(data.iloc[-12:], key=SINGLE)[None]  # its own scale
    out = panel.model_output(fitted.model_, window)  # (1, 3, 1, 5), as predict calls it
    median = fitted.scaler_.inverse_transform_targets(out[..., 2], key=SINGLE)[0, :, 0]
    banded = fitted.predict(data, levels=(80, 95))
    assert np.array_equal(banded["v"].to_numpy(), median)
    assert list(banded.columns) == ["v", "v-lo-80", "v-hi-80", "v-lo-95", "v-hi-95"]
    kinds = {"model", "model_local", "naive", "model_cqr_80", "model_cqr_95"}
    assert set(fitted.calibration_.scores) == kinds
    with pytest.raises(ConfigError, match="available are 80, 95") as info:
        fitted.predict(data, levels=(90,))
    assert info.value.setting == "levels"
    report = fitted.evaluate(_series(), test=60)  # the default levels: both served
    assert set(report.interval_overall().reset_index()["level"]) == {80.0, 95.0}
    assert report.overall().loc[("v", "model"), "MAE"] > 0


def test_raw_mode_gives_the_heads_own_quantiles(fitted) -> None:
    data = _series().iloc[:240]
    window = fitted.scaler_.transform(data.iloc[-12:], key=SINGLE)[None]  # its own scale
    out = fitted.model_.predict(window, verbose=0)[0]  # (3, 1, 5)
    unscale = fitted.scaler_.inverse_transform_targets
    quantiles = [unscale(out[..., i], key=SINGLE)[:, 0] for i in range(5)]
    f = _quantile_forecaster()
    f.__dict__.update(fitted.__dict__)
    f.set_params(intervals="raw")
    banded = f.predict(data, levels=(80, 95))
    np.testing.assert_allclose(banded["v-lo-80"], quantiles[1], rtol=1e-12)
    np.testing.assert_allclose(banded["v-hi-95"], quantiles[4], rtol=1e-12)


def test_a_saved_quantile_forecaster_reloads_bit_for_bit(fitted, tmp_path) -> None:
    fitted.save(tmp_path / "run")
    loaded = Forecaster.load(tmp_path / "run")
    data = _series()
    for f in (fitted, loaded):
        assert f.model_.output_shape == (None, 3, 1, 5)
    pd.testing.assert_frame_equal(
        loaded.predict(data, levels=(80, 95)), fitted.predict(data, levels=(80, 95)),
        check_exact=True,
    )  # fmt: skip
    for kept, saved in zip(
        loaded.calibration_.scores.values(), fitted.calibration_.scores.values(), strict=True
    ):
        assert kept.tobytes() == saved.tobytes()
    # Many windows at once: the reloaded model's batched float32 predictions may differ in the
    # last bit (as for point models; about 1e-7 here), so these are compared to 1e-6.
    pd.testing.assert_frame_equal(
        loaded.predict_windows(data, start=30, levels=(80,)),
        fitted.predict_windows(data, start=30, levels=(80,)),
        rtol=1e-6,
    )


def test_an_ensemble_averages_quantile_members() -> None:
    f = _quantile_forecaster(ensemble=2, quantiles=Q3, normalize="mean_std").fit(_series(), 0.3)
    assert f.model_.output_shape == (None, 3, 1, 3)
    banded = f.predict(_series(), levels=80)
    assert (banded["v-hi-80"] > banded["v-lo-80"]).all()


@pytest.mark.slow
def test_cli_quantile_loss_writes_bounds_and_refuses_bad_quantiles(tmp_path) -> None:
    data = tmp_path / "data.csv"
    _series().to_csv(data, index_label="date")
    run = tmp_path / "run"
    common = ["--lookback", "12", "--horizon", "3", "--epochs", "1", "--units", "4", "-q"]
    trained = invoke("train", data, "--loss", "quantile", "--quantiles", "0.1,0.5,0.9",
                     "--out", run, *common)  # fmt: skip
    assert trained.exit_code == 0, trained.output
    written = invoke("predict", run, "--data", data, "--levels", "80", "--out", "-")
    assert written.exit_code == 0, written.output
    table = pd.read_csv(io.StringIO(written.stdout), index_col=0, float_precision="round_trip")
    loaded = Forecaster.load(run)
    assert np.array_equal(table.to_numpy(), loaded.predict(_series(), levels=80).to_numpy())
    one_error(invoke("predict", run, "--data", data, "--levels", "95"), "--levels 95",
              "available are 80")  # fmt: skip
    for quantiles, why in (("0.1,0.4,0.9", "median"), ("0.9,0.5,0.1", "increasing"),
                           ("0,0.5,1", "between 0 and 1")):  # fmt: skip
        bad = invoke("train", data, "--loss", "quantile", "--quantiles", quantiles,
                     "--out", tmp_path / "bad", *common)  # fmt: skip
        one_error(bad, "--quantiles", why)
        assert not (tmp_path / "bad").exists()  # refused before training
    one_error(invoke("train", data, "--quantiles", "0.1,0.5,0.9", "--out", tmp_path / "bad"),
              "--quantiles", "--loss quantile")  # fmt: skip


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax is not installed")
def test_quantile_heads_train_save_and_reload_on_jax(tmp_path) -> None:
    script = textwrap.dedent(
        f"""
        from forecast.backends import lean_keras_import
        lean_keras_import()  # no scikit-learn, matplotlib (unused here): ~1 s less
        import keras, numpy as np, pandas as pd
        from forecast import Forecaster
        assert keras.backend.backend() == "jax"
        t = np.arange(200)
        data = pd.DataFrame({{"v": np.sin(t / 3) + 0.1 * np.cos(t)}},
                            index=pd.date_range("2020-01-01", periods=200, freq="D"))
        for model in ("single",):
            keras.utils.set_random_seed(0)
            f = Forecaster(model=model, lookback=8, horizon=2, epochs=1, verbose=0,
                           loss="quantile", model_options={{"units": 4}}).fit(data, val=0.3)
            out = f.model_.predict(np.zeros((1, 8, 1), "float32"), verbose=0)
            assert out.shape == (1, 2, 1, 5) and (np.diff(out, axis=-1) >= 0).all()
            f.save(r"{tmp_path}/" + model)
            again = Forecaster.load(r"{tmp_path}/" + model).predict(data, levels=(80, 95))
            pd.testing.assert_frame_equal(again, f.predict(data, levels=(80, 95)),
                                          check_exact=True)
        print("ok")
        """
    )
    env = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr[-2000:]
