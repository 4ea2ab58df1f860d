"""The builders' shared options (forecast/models/common.py) and the surgery on their layers
(forecast/models/surgery.py): the linear skip path, the recurrent lookback, start_from_linear,
average_members."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from forecast.errors import ConfigError
from forecast.models import BUILDERS, ModelOptions, cudnn_eligible

LOOKBACK, HORIZON = 8, 3
TINY = {"single": {"units": 4}, "stacked": {"units": (4, 3)}, "attention": {"units": (4,)}}


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)


def build(name: str, n_inputs: int = 2, n_targets: int = 1, **options) -> keras.Model:
    return BUILDERS[name](
        lookback=LOOKBACK, n_inputs=n_inputs, horizon=HORIZON, n_targets=n_targets,
        **{**TINY[name], **options},
    )  # fmt: skip


def windows(n_inputs: int = 2, batch: int = 4) -> np.ndarray:
    rng = np.random.default_rng(0)
    return (rng.normal(size=(batch, LOOKBACK, n_inputs)) * 5 + 20).astype("float32")


def predict(model: keras.Model, X: np.ndarray) -> np.ndarray:
    return keras.ops.convert_to_numpy(model(X, training=False))


def zero(model: keras.Model, layer: str) -> None:
    target = model.get_layer(layer)
    target.set_weights([np.zeros_like(w) for w in target.get_weights()])


def test_linear_skip_is_on_by_default_and_can_be_turned_off():
    assert ModelOptions().linear_skip is True
    for name in BUILDERS:
        assert build(name).get_layer("linear_skip").output.shape == (None, HORIZON)
        names = [layer.name for layer in build(name, linear_skip=False).layers]
        assert "linear_skip" not in names and "skip_flatten" not in names


@pytest.mark.parametrize("name", list(BUILDERS))
def test_an_untrained_last_normalized_model_with_a_zero_head_is_still_naive(name):
    X = windows()
    model = build(name)  # the skip path starts at zero
    zero(model, "head")
    np.testing.assert_allclose(predict(model, X), np.repeat(X[:, -1:, :1], HORIZON, 1))


def test_the_skip_path_is_the_nlinear_model():
    """Head zeroed, skip weights W: the forecast is last + (window - last) @ W + b."""
    X = windows(n_inputs=2)
    model = build("single")
    zero(model, "head")
    rng = np.random.default_rng(1)
    W = rng.normal(size=(LOOKBACK * 2, HORIZON)).astype("float32") * 0.1
    b = rng.normal(size=HORIZON).astype("float32")
    model.get_layer("linear_skip").set_weights([W, b])
    centered = (X - X[:, -1:, :]).reshape(len(X), -1)
    expected = X[:, -1, :1] + centered @ W + b
    np.testing.assert_allclose(predict(model, X)[..., 0], expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", list(BUILDERS))
def test_recurrent_lookback_feeds_only_the_recent_steps_to_the_lstm(name):
    model = build(name, recurrent_lookback=5)
    assert model.get_layer("recent_steps").output.shape[1] == 5
    assert model.get_layer("lstm_1").input.shape[1] == 5
    assert model.get_layer("skip_flatten").input.shape[1] == LOOKBACK  # skip sees everything
    assert cudnn_eligible(model) == []


def test_recurrent_lookback_at_or_above_lookback_uses_the_whole_window():
    model = build("single", recurrent_lookback=LOOKBACK)
    assert "recent_steps" not in [layer.name for layer in model.layers]
    assert model.get_layer("lstm_1").input.shape[1] == LOOKBACK
    longer = build("single", recurrent_lookback=LOOKBACK + 10)
    assert longer.get_layer("lstm_1").input.shape[1] == LOOKBACK


@pytest.mark.parametrize(
    "options, message",
    [
        ({"linear_skip": 1}, "linear_skip must be True or False"),
        ({"recurrent_lookback": 0}, "recurrent_lookback must be a positive integer"),
    ],
)
def test_bad_accuracy_options_are_refused(options, message):
    with pytest.raises(ConfigError, match=message):
        build("single", **options)


@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")
@pytest.mark.parametrize("name", list(BUILDERS))
def test_models_with_the_options_save_and_load_in_safe_mode(tmp_path, name):
    model = build(name, recurrent_lookback=5, normalize="mean_std")
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    X = windows()
    np.testing.assert_allclose(predict(loaded, X), predict(model, X), rtol=1e-5, atol=1e-6)
    assert loaded.get_layer("recent_steps").output.shape[1] == 5


@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")
def test_a_forecaster_saves_and_reloads_its_accuracy_options(tmp_path):
    import pandas as pd

    from forecast import Forecaster, load_series

    rng = np.random.default_rng(0)
    values = np.sin(np.arange(120) / 4) + rng.normal(scale=0.1, size=120) + 10
    series = load_series(pd.DataFrame({"value": values}), target="value")
    options = {"units": 4, "linear_skip": True, "recurrent_lookback": 6}
    f = Forecaster(
        lookback=12, horizon=3, epochs=1, verbose=0, normalize="mean_std", model_options=options
    ).fit(series, val=0.25)
    f.save(tmp_path / "run")
    g = Forecaster.load(tmp_path / "run")
    assert g.get_params()["model_options"] == options and g.normalize == "mean_std"
    assert g.model_.get_layer("lstm_1").input.shape[1] == 6
    assert g.model_.get_layer("linear_skip").get_weights()[0].shape == (12, 3)
    np.testing.assert_allclose(
        g.predict(series).to_numpy(), f.predict(series).to_numpy(), rtol=1e-5, atol=1e-6
    )


def test_start_from_linear_makes_the_model_forecast_the_linear_map():
    from forecast.models import start_from_linear

    model = build("single", n_inputs=2)  # target first, then a covariate
    rng = np.random.default_rng(1)
    coef = rng.normal(size=(1, LOOKBACK, HORIZON)) * 0.1
    intercept = rng.normal(size=(1, HORIZON))
    start_from_linear(model, coef, intercept, n_inputs=2)
    X = windows(2)
    target = X[:, :, 0].astype(np.float64)
    expected = (target - target[:, -1:]) @ coef[0] + intercept[0] + target[:, -1:]
    got = keras.ops.convert_to_numpy(model(X, training=False))[:, :, 0]
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
    assert not model.get_layer("linear_skip").trainable


def test_average_members_averages_the_members_forecasts():
    from forecast.models import average_members, first_member

    members = [build("single", units=4), build("single", units=4)]
    X = windows(2)
    each = [keras.ops.convert_to_numpy(m(X, training=False)) for m in members]
    ensemble = average_members(members)
    got = keras.ops.convert_to_numpy(ensemble(X, training=False))
    np.testing.assert_allclose(got, (each[0] + each[1]) / 2, rtol=1e-5, atol=1e-6)
    assert first_member(ensemble) is members[0]
    assert not ensemble.compiled
