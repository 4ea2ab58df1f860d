"""Model builders by name: single, stacked and attention LSTM (GRU / bidirectional options).

Every builder is called as `build_x(lookback=, n_inputs=, horizon=, n_targets=, **options)`
and returns a compiled `keras.Model` mapping windows `(batch, lookback, n_inputs)` (targets
first, then covariates) to forecasts `(batch, horizon, n_targets)`. Its layers are registered
with Keras, so `keras.models.load_model(path)` reloads a saved model in safe mode without
`custom_objects` once `forecast.models` is imported.

Example:
    >>> build = get_builder("stacked")
    >>> model = build(lookback=24, n_inputs=2, horizon=6, n_targets=1, units=(32, 16))
    >>> model.output_shape
    (None, 6, 1)
"""

from __future__ import annotations

from collections.abc import Callable

import keras

from forecast.errors import ConfigError
from forecast.models.attention import (
    AdditiveSelfAttention,
    SeqSelfAttention,
    attention_weights,
    build_attention_lstm,
)
from forecast.models.common import ModelOptions, cudnn_eligible
from forecast.models.normalization import WindowDenormalization, WindowNormalization
from forecast.models.single import build_single_lstm
from forecast.models.stacked import build_stacked_lstm

BUILDERS: dict[str, Callable[..., keras.Model]] = {
    "single": build_single_lstm,
    "stacked": build_stacked_lstm,
    "attention": build_attention_lstm,
}


def get_builder(name: str) -> Callable[..., keras.Model]:
    """Return the builder registered as `name` (one of `BUILDERS`: single, stacked, attention).

    Raises:
        ConfigError: for an unknown name; the message lists the known ones.
    """
    key = str(name).lower()
    if key not in BUILDERS:
        raise ConfigError(f"unknown model {name!r}; choose one of: {', '.join(BUILDERS)}")
    return BUILDERS[key]


__all__ = [
    "BUILDERS",
    "AdditiveSelfAttention",
    "ModelOptions",
    "SeqSelfAttention",
    "WindowDenormalization",
    "WindowNormalization",
    "attention_weights",
    "build_attention_lstm",
    "build_single_lstm",
    "build_stacked_lstm",
    "cudnn_eligible",
    "get_builder",
]
