"""Specification of forecast.models: shapes, options, normalization, registry, saving, attention."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest

from forecast.errors import ConfigError
from forecast.models import (
    BUILDERS,
    AdditiveSelfAttention,
    SeqSelfAttention,
    attention_weights,
    build_attention_lstm,
    build_single_lstm,
    build_stacked_lstm,
    cudnn_eligible,
    get_builder,
)
from forecast.models import attention as attention_module
from forecast.models.normalization import WindowDenormalization, WindowNormalization
from forecast.training import DEFAULT_STEPS_PER_EXECUTION, compile_model

LOOKBACK, HORIZON = 8, 3
TINY = {"single": {"units": 6}, "stacked": {"units": (6, 4)}, "attention": {"units": (6,)}}
TF_BACKEND = keras.backend.backend() == "tensorflow"
# Saving a compiled model before its first step stores an unbuilt optimizer; Keras warns on load.
UNBUILT_OPTIMIZER = "ignore:Skipping variable loading for optimizer"


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)


def windows(n_inputs: int, batch: int = 5, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(batch, LOOKBACK, n_inputs)).astype("float32")


def build(name: str, n_inputs: int = 3, n_targets: int = 1, **options) -> keras.Model:
    kwargs = {**TINY[name], **options}
    return BUILDERS[name](
        lookback=LOOKBACK, n_inputs=n_inputs, horizon=HORIZON, n_targets=n_targets, **kwargs
    )


def predict(model: keras.Model, X: np.ndarray) -> np.ndarray:
    """Inference-mode forward pass (eager: much faster than `predict` for one tiny batch)."""
    return keras.ops.convert_to_numpy(model(X, training=False))


# --- shapes and options ---------------------------------------------------------------------


@pytest.mark.parametrize("name", list(BUILDERS))
@pytest.mark.parametrize(
    ("n_inputs", "n_targets"),
    [(1, 1), (3, 1), (3, 2)],
    ids=["univariate", "covariates", "multi-target"],
)
def test_builders_map_windows_to_multi_step_forecasts(name, n_inputs, n_targets):
    model = build(name, n_inputs, n_targets)
    assert model.input_shape == (None, LOOKBACK, n_inputs)
    assert model.output_shape == (None, HORIZON, n_targets)
    assert predict(model, windows(n_inputs)).shape == (5, HORIZON, n_targets)
    assert not model.compiled  # callers compile (forecast.training.compile_model)


@pytest.mark.parametrize("name", list(BUILDERS))
def test_gru_and_bidirectional_options_change_the_recurrent_layers(name):
    model = build(name, cell="gru", bidirectional=True)
    wrappers = [lay for lay in model.layers if isinstance(lay, keras.layers.Bidirectional)]
    assert wrappers and all(isinstance(w.forward_layer, keras.layers.GRU) for w in wrappers)
    assert predict(model, windows(3)).shape == (5, HORIZON, 1)


def test_stacked_builder_chains_any_number_of_layers():
    model = build("stacked", units=(5, 4, 3, 2))
    lstms = [lay for lay in model.layers if isinstance(lay, keras.layers.LSTM)]
    assert [lay.name for lay in lstms] == ["lstm_1", "lstm_2", "lstm_3", "lstm_4"]
    assert [lay.return_sequences for lay in lstms] == [True, True, True, False]
    assert predict(model, windows(3)).shape == (5, HORIZON, 1)


def test_relu_output_activation_clips_the_network_output_at_zero():
    model = build("single", output_activation="relu", normalize=None)
    assert model.get_layer("head").activation is keras.activations.relu
    assert predict(model, windows(3)).min() >= 0.0


def test_l2_adds_a_penalty_on_the_kernels():
    assert not build("attention", l2=0.0).losses
    assert len(build("attention", l2=1e-3).losses) >= 3  # recurrent, attention and head kernels


@pytest.mark.parametrize("loss", ["mse", "mae", "mape", "msle", "huber", "logcosh"])
def test_every_loss_name_compiles(loss):
    model = compile_model(build("single"), loss=loss)
    assert model.loss.name in {
        "mean_squared_error",
        "mean_absolute_error",
        "mean_absolute_percentage_error",
        "mean_squared_logarithmic_error",
        "huber_loss",
        "log_cosh",
    }


@pytest.mark.parametrize(
    "optimizer", ["sgd", "rmsprop", "adagrad", "adadelta", "adam", "adamax", "nadam"]
)
def test_every_optimizer_name_compiles_with_the_learning_rate(optimizer):
    model = compile_model(build("single"), optimizer=optimizer, learning_rate=0.05)
    assert type(model.optimizer).__name__.lower() == optimizer
    assert float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) == pytest.approx(0.05)


def test_builders_return_uncompiled_models_that_compile_model_compiles():
    model = build("single")
    assert not model.compiled
    assert predict(model, windows(3)).shape == (5, HORIZON, 1)
    assert compile_model(model).steps_per_execution == DEFAULT_STEPS_PER_EXECUTION
    assert compile_model(build("single"), steps_per_execution=4).steps_per_execution == 4


def test_a_built_model_trains():
    model = compile_model(build("attention", n_inputs=2, n_targets=2))
    X, y = windows(2, batch=16), np.zeros((16, HORIZON, 2), "float32")
    history = model.fit(X, y, epochs=1, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"][0])


@pytest.mark.parametrize("name", list(BUILDERS))
def test_mixed_precision_keeps_normalization_and_forecast_in_float32(name):
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = build(name, normalize="mean_std")
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert model.get_layer("lstm_1").compute_dtype == "float16"
    for layer in ("normalize", "head", "denormalize"):
        assert model.get_layer(layer).compute_dtype == "float32"
    assert predict(model, windows(3)).dtype == np.float32


# --- per-window normalization ---------------------------------------------------------------


def zero_head(model: keras.Model) -> keras.Model:
    head = model.get_layer("head")
    head.set_weights([np.zeros_like(w) for w in head.get_weights()])
    return model


@pytest.mark.parametrize("name", list(BUILDERS))
def test_last_normalized_model_with_a_zero_head_is_the_naive_forecast(name):
    X = windows(3) * 10 + 50  # far from zero: the level must come back from the inputs
    model = zero_head(build(name, n_inputs=3, n_targets=2, normalize="last"))
    naive = np.repeat(X[:, -1:, :2], HORIZON, axis=1)
    np.testing.assert_array_equal(predict(model, X), naive)


def test_mean_std_normalized_model_with_a_zero_head_forecasts_the_window_mean():
    X = windows(3) * 10 + 50
    model = zero_head(build("stacked", n_inputs=3, n_targets=2, normalize="mean_std"))
    mean = np.repeat(X[:, :, :2].mean(axis=1, keepdims=True), HORIZON, axis=1)
    np.testing.assert_allclose(predict(model, X), mean, rtol=1e-5)


@pytest.mark.parametrize("mode", ["last", "mean_std"])
def test_window_normalization_is_exactly_undone_on_the_targets(mode):
    X = windows(3) * 10 + 50
    normalized = WindowNormalization(mode)(X)
    if mode == "last":
        np.testing.assert_array_equal(np.asarray(normalized)[:, -1], 0.0)
    else:
        np.testing.assert_allclose(np.asarray(normalized).mean(axis=1), 0.0, atol=1e-5)
        np.testing.assert_allclose(np.asarray(normalized).std(axis=1), 1.0, atol=1e-4)
    restored = WindowDenormalization(mode, n_targets=2)([normalized[:, :, :2], X])
    np.testing.assert_allclose(np.asarray(restored), X[:, :, :2], rtol=1e-5)


def test_normalize_without_the_targets_in_the_inputs_is_refused():
    with pytest.raises(ConfigError, match="n_inputs=1"):
        build("single", n_inputs=1, n_targets=2)
    model = build("single", n_inputs=1, n_targets=2, normalize=None)
    assert model.output_shape == (None, HORIZON, 2)


def test_default_normalization_is_last_value():
    layer = build("single").get_layer("normalize")
    assert layer.mode == "last"


# --- argument checks and the registry -------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("stacked", {"units": (100, 0)}, r"units must be positive integers, got \(100, 0\)"),
        ("single", {"units": 0}, "units must be a positive integer, got 0"),
        ("single", {"units": (4, 4)}, r"got \(4, 4\); for several layers use build_stacked_lstm"),
        ("single", {"dropout": 1.0}, r"dropout must be a number in \[0, 1\), got 1.0"),
        ("single", {"cell": "rnn"}, "cell must be one of lstm, gru, got 'rnn'"),
        ("single", {"normalize": "minmax"}, "unknown normalize 'minmax'; choose one of"),
        ("single", {"loss": "mae"}, "unknown option.*loss"),  # builders do not compile
        ("single", {"l2": -1}, "l2 must be a non-negative number, got -1"),
        ("single", {"bidirectional": "yes"}, "bidirectional must be True or False, got 'yes'"),
        ("single", {"output_activation": "nope"}, "output_activation must be .*got 'nope'"),
        ("single", {"unit": 4}, "unknown option.*unit"),
        ("single", {"lookback": 0}, "lookback must be a positive integer, got 0"),
        ("attention", {"attention_units": 0}, "attention_units must be a positive integer"),
        ("attention", {"attention_width": -2}, "attention_width must be a positive integer"),
        ("attention", {"attention_activation": "nope"}, "attention_activation must be"),
    ],
)
def test_invalid_arguments_raise_config_error_naming_them(name, options, message):
    args = {"lookback": LOOKBACK, "n_inputs": 3, "horizon": HORIZON, "n_targets": 1}
    args.update(options)
    with pytest.raises(ConfigError, match=message):
        BUILDERS[name](**args)


def test_get_builder_finds_every_family_and_lists_them_on_a_typo():
    assert get_builder("single") is build_single_lstm
    assert get_builder("Stacked") is build_stacked_lstm
    assert get_builder("attention") is build_attention_lstm
    with pytest.raises(
        ConfigError, match=r"unknown model 'transformer'; choose one of: single, stacked, attention"
    ):
        get_builder("transformer")


# --- cuDNN eligibility ----------------------------------------------------------------------


@pytest.mark.parametrize("name", list(BUILDERS))
def test_builder_defaults_are_cudnn_eligible(name):
    assert cudnn_eligible(build(name)) == []
    assert cudnn_eligible(build(name, cell="gru", bidirectional=True)) == []


def test_cudnn_eligible_names_each_offending_layer_and_why():
    inputs = keras.Input((LOOKBACK, 2))
    x = keras.layers.LSTM(4, recurrent_dropout=0.2, return_sequences=True, name="lstm_1")(inputs)
    x = keras.layers.LSTM(4, return_sequences=True, name="lstm_2")(x)
    x = keras.layers.Bidirectional(keras.layers.GRU(3, reset_after=False, name="gru"))(x)
    report = cudnn_eligible(keras.Model(inputs, x))
    assert report == [
        "lstm_1: recurrent_dropout=0.2 (must be 0)",
        "forward_gru: reset_after=False (must be True)",
        "backward_gru: reset_after=False (must be True)",
    ]


# --- saving ---------------------------------------------------------------------------------


@pytest.mark.filterwarnings(UNBUILT_OPTIMIZER)
@pytest.mark.parametrize("normalize", ["last", "mean_std", None])
@pytest.mark.parametrize("name", list(BUILDERS))
def test_saved_models_load_in_safe_mode_without_custom_objects(tmp_path, name, normalize):
    model = build(name, n_inputs=3, n_targets=2, normalize=normalize, l2=1e-4)
    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    X = windows(3)
    np.testing.assert_array_equal(predict(loaded, X), predict(model, X))
    assert json.dumps(loaded.get_config(), sort_keys=True) == json.dumps(
        model.get_config(), sort_keys=True
    )


# --- self-attention -------------------------------------------------------------------------


def test_attention_weights_give_one_distribution_over_lags_per_step():
    model = build("attention", n_inputs=3, n_targets=2)
    weights = attention_weights(model, windows(3))
    assert weights.shape == (5, LOOKBACK, LOOKBACK)
    assert (weights >= 0).all()
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-5)


@pytest.mark.filterwarnings(UNBUILT_OPTIMIZER)
def test_attention_weights_work_on_a_loaded_model_and_only_on_attention_models(tmp_path):
    model = build("attention", attention_width=3)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    X = windows(3)
    np.testing.assert_array_equal(attention_weights(loaded, X), attention_weights(model, X))
    with pytest.raises(ConfigError, match="build_attention_lstm"):
        attention_weights(build("single"), X)


@pytest.mark.skipif(not TF_BACKEND, reason="keras-self-attention needs the TensorFlow backend")
@pytest.mark.parametrize(
    ("attention_width", "history_only", "activation"),
    [(None, False, "sigmoid"), (3, False, None), (4, True, "tanh"), (None, True, "sigmoid")],
)
def test_seq_self_attention_and_native_layer_compute_the_same(
    attention_width, history_only, activation
):
    config = {
        "units": 5,
        "attention_width": attention_width,
        "history_only": history_only,
        "attention_activation": activation,
        "return_attention": True,
    }
    x = np.random.default_rng(1).normal(size=(4, 9, 6)).astype("float32")
    upstream = SeqSelfAttention(attention_type="additive", **config)
    native = AdditiveSelfAttention(**config)
    v_up, a_up = upstream(x)
    native.build(x.shape)
    assert [w.shape for w in native.weights] == [w.shape for w in upstream.weights]
    native.set_weights(upstream.get_weights())
    v_nat, a_nat = native(x)
    np.testing.assert_allclose(np.asarray(a_nat), np.asarray(a_up), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(np.asarray(v_nat), np.asarray(v_up), rtol=1e-6, atol=1e-7)


@pytest.mark.skipif(not TF_BACKEND, reason="keras-self-attention needs the TensorFlow backend")
def test_attention_model_weights_transfer_to_the_native_model(monkeypatch):
    upstream = build("attention", n_inputs=3, n_targets=2, attention_width=5)
    assert type(upstream.get_layer("attention")) is SeqSelfAttention
    monkeypatch.setattr(attention_module, "USE_KERAS_SELF_ATTENTION", False)
    native = build("attention", n_inputs=3, n_targets=2, attention_width=5)
    assert type(native.get_layer("attention")) is AdditiveSelfAttention
    native.set_weights(upstream.get_weights())
    X = windows(3)
    np.testing.assert_allclose(predict(native, X), predict(upstream, X), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        attention_weights(native, X), attention_weights(upstream, X), rtol=1e-5, atol=1e-7
    )


JAX_CHECK = """
import sys
from pathlib import Path

from forecast.backends import lean_keras_import
lean_keras_import()  # no scikit-learn, matplotlib (unused here): ~1 s less
import keras
import numpy as np

from forecast.models import BUILDERS, AdditiveSelfAttention, attention_weights
from forecast.training import compile_model

assert keras.backend.backend() == "jax", keras.backend.backend()
folder = Path(sys.argv[1])
keras.utils.set_random_seed(0)
X = np.random.default_rng(0).normal(size=(16, 8, 3)).astype("float32")
y = np.random.default_rng(1).normal(size=(16, 3, 2)).astype("float32")
for name, build in BUILDERS.items():
    extra = {"attention_units": 4} if name == "attention" else {}
    model = compile_model(build(lookback=8, n_inputs=3, horizon=3, n_targets=2, units=4, **extra))
    loss = model.fit(X, y, epochs=1, batch_size=8, verbose=0).history["loss"][0]
    assert np.isfinite(loss), (name, loss)
    model.save(folder / f"jax_{name}.keras")
    loaded = keras.models.load_model(folder / f"jax_{name}.keras")
    np.testing.assert_array_equal(np.asarray(loaded(X)), np.asarray(model(X)))
assert isinstance(model.get_layer("attention"), AdditiveSelfAttention)
assert attention_weights(loaded, X).shape == (16, 8, 8)
# a model saved on the TensorFlow backend (SeqSelfAttention) loads and predicts the same
from_tf = keras.models.load_model(folder / "tf_attention.keras")
expected = np.load(folder / "tf_prediction.npy")
np.testing.assert_allclose(np.asarray(from_tf(X)), expected, rtol=1e-4, atol=1e-5)
print("jax ok")
"""


@pytest.mark.filterwarnings(UNBUILT_OPTIMIZER)
@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax is not installed")
@pytest.mark.skipif(not TF_BACKEND, reason="saves the reference model on TensorFlow")
@pytest.mark.slow
def test_models_train_save_and_load_on_the_jax_backend(tmp_path: Path):
    X = np.random.default_rng(0).normal(size=(16, 8, 3)).astype("float32")
    tf_model = build_attention_lstm(
        lookback=8, n_inputs=3, horizon=3, n_targets=2, units=4, attention_units=4
    )
    tf_model.save(tmp_path / "tf_attention.keras")
    np.save(tmp_path / "tf_prediction.npy", predict(tf_model, X))
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(JAX_CHECK), str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "jax ok" in done.stdout
