"""The known-future path of `build_forecaster`: read covariates over the horizon, leak-proof.

With `n_future > 0` the model's one input is the window `(batch, lookback + horizon,
n_inputs)` whose last `n_future` channels are known-future covariates
(`forecast.known_future`). `KnownFutureSplit` cuts it, by slicing (so a value there, even
NaN, never reaches the output):

    past   = window[:, :lookback, :]                  every channel, the usual model input
    future = window[:, lookback:, -n_future:]         only the known-future channels

Every horizon row of the targets and past covariates is dropped. `future_path` then maps the
future rows to a correction of the forecast, added before denormalization, NeuralForecast's
LSTM decoder style:

    context  = Dense(horizon * CONTEXT)(recurrent features) → (batch, horizon, CONTEXT)
    decoder  = Dense(n_targets, zero init)(Dense(units, relu)(concat(context_h, future_h)))
    linear   = Dense(horizon * n_targets, zero init)(Flatten(future))
    output   = Flatten(decoder) + linear                       (batch, horizon * n_targets)

Both output layers start at zero, so an untrained model forecasts what it would without the
covariates (with `ridge_skip`, its ridge map) and learns what the covariates add. Both parts
stay by validation evidence: on `data/synthetic_covariate.csv` (load driven by temperature, a
future covariate, with the calendar; horizon 24) the decoder alone reached val_loss 0.312 and
both 0.192 (test MAE 2.321 vs 1.357); on AEP hourly load with the calendar (3 seeds) the
decoder alone scored validation MAE 501.1 and both 502.9, the linear map alone 508.5 (seed 0)
(`benchmarks/known_future_aep.py`): a large gain on one task against a 0.4 % loss on the other.
"""

from __future__ import annotations

from typing import Any

import keras

CONTEXT = 8  # context features per horizon step from the recurrent path
PARTS = ("decoder", "linear")  # the two parts of future_path
FUTURE_UNITS = 32  # hidden units of the per-step decoder


@keras.saving.register_keras_serializable(package="forecast")
class KnownFutureSplit(keras.layers.Layer):
    """Cut a window `(batch, lookback + horizon, n_inputs)` into the past rows `(batch,
    lookback, n_inputs)` and the known-future channels of the horizon rows `(batch, horizon,
    n_future)` (the last `n_future` channels), by slicing.

    Args:
        lookback: rows of the past part.
        n_future: trailing channels known over the horizon.
    """

    def __init__(self, lookback: int, n_future: int, **kwargs: Any):
        super().__init__(**kwargs)
        self.lookback = int(lookback)
        self.n_future = int(n_future)

    def call(self, window: Any) -> tuple[Any, Any]:
        past = window[:, : self.lookback, :]
        future = window[:, self.lookback :, -self.n_future :]
        return past, future

    def compute_output_shape(self, input_shape: tuple) -> tuple[tuple, tuple]:
        batch, steps, channels = input_shape
        rest = None if steps is None else steps - self.lookback
        return (batch, self.lookback, channels), (batch, rest, self.n_future)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "lookback": self.lookback, "n_future": self.n_future}


def future_path(
    features: keras.KerasTensor,
    future: keras.KerasTensor,
    horizon: int,
    n_targets: int,
    dtype: str | None = None,
    parts: tuple[str, ...] = PARTS,
) -> keras.KerasTensor:
    """The forecast correction `(batch, horizon * n_targets)` (step-major, then target) from
    the recurrent `features (batch, f)` and the known-future rows `(batch, horizon,
    n_future)` (see the module docstring); layers named `future_*`. `parts`: both (the
    default), or one of them (`benchmarks/known_future_aep.py` compares them)."""
    layers, outputs = keras.layers, []
    if "decoder" in parts:
        context = layers.Dense(horizon * CONTEXT, name="future_context")(features)
        context = layers.Reshape((horizon, CONTEXT), name="future_context_steps")(context)
        steps = layers.Concatenate(axis=-1, name="future_inputs")([context, future])
        steps = layers.Dense(FUTURE_UNITS, activation="relu", name="future_hidden")(steps)
        steps = layers.Dense(
            n_targets, kernel_initializer="zeros", name="future_decoder", dtype=dtype
        )(steps)
        outputs.append(layers.Flatten(name="future_decoded")(steps))
    if "linear" in parts:
        linear = layers.Flatten(name="future_flatten")(future)
        linear = layers.Dense(
            horizon * n_targets, kernel_initializer="zeros", name="future_linear", dtype=dtype
        )(linear)
        outputs.append(linear)
    if len(outputs) == 1:
        return outputs[0]
    return layers.Add(name="future_sum", dtype=dtype)(outputs)
