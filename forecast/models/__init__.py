"""Model builders by name: single, stacked and attention LSTM (GRU / bidirectional options).

Every builder is called as `build_x(lookback=, n_inputs=, horizon=, n_targets=, **options)`
and returns an uncompiled `keras.Model` mapping windows `(batch, lookback, n_inputs)` (targets
first, then covariates) to forecasts `(batch, horizon, n_targets)`; compile it with
`forecast.training.compile_model`, as in plain Keras. Its layers are registered
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
from typing import Any

import keras

from forecast.errors import check_choice
from forecast.models.attention import (
    AdditiveSelfAttention,
    SeqSelfAttention,
    attention_weights,
    build_attention_lstm,
)
from forecast.models.common import ModelOptions, cudnn_eligible
from forecast.models.normalization import (
    NORMALIZE_CHOICES,
    WindowDenormalization,
    WindowNormalization,
    check_normalize,
)
from forecast.models.quantile import QuantileSpread
from forecast.models.single import build_single_lstm
from forecast.models.stacked import build_stacked_lstm
from forecast.models.surgery import (
    average_members,
    first_member,
    has_linear_skip,
    start_from_linear,
)
from forecast.settings import choices

BUILDERS: dict[str, Callable[..., keras.Model]] = dict(
    zip(
        choices("model"), (build_single_lstm, build_stacked_lstm, build_attention_lstm), strict=True
    )
)  # the names declared in `forecast.settings`, in order


def get_builder(name: str) -> Callable[..., keras.Model]:
    """Return the builder registered as `name` (one of `BUILDERS`: single, stacked, attention).

    Raises:
        ConfigError: for an unknown name; the message lists the known ones.
    """
    return BUILDERS[check_choice("model", str(name), tuple(BUILDERS))]


def environment() -> dict[str, Any]:
    """`forecast.backends.environment()` (versions, backend, visible GPUs, speed hint) plus
    whether the default LSTM will run on cuDNN: `default_model_cudnn_eligible`,
    `cudnn_problems` and `uses_cudnn`. What `forecast info` shows."""
    from forecast import backends

    # The default forecaster's model (Forecaster(): single, horizon 1; lookback 48, the fallback of
    # lookback="auto"), one series.
    model = build_single_lstm(lookback=48, n_inputs=1, horizon=1, n_targets=1)
    return backends.environment(cudnn_problems=cudnn_eligible(model))


__all__ = [
    "BUILDERS",
    "NORMALIZE_CHOICES",
    "AdditiveSelfAttention",
    "ModelOptions",
    "QuantileSpread",
    "SeqSelfAttention",
    "WindowDenormalization",
    "WindowNormalization",
    "attention_weights",
    "average_members",
    "build_attention_lstm",
    "build_single_lstm",
    "build_stacked_lstm",
    "check_normalize",
    "cudnn_eligible",
    "environment",
    "first_member",
    "get_builder",
    "has_linear_skip",
    "start_from_linear",
]
