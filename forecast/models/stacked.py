"""Stacked recurrent layers: the deeper LSTM forecaster."""

from __future__ import annotations

from typing import Any

import keras

from forecast.models.common import (
    ModelOptions,
    build_forecaster,
    check_rate,
    check_units,
    recurrent_stack,
)


def build_stacked_lstm(
    *,
    lookback: int,
    n_inputs: int,
    horizon: int,
    n_targets: int,
    units: int | tuple[int, ...] = (32, 16),
    dropout: float = 0.2,
    **options: Any,
) -> keras.Model:
    """Build a stack of recurrent layers with a dense multi-step head.

    window → [normalize] → LSTM(units[0]) → Dropout → ... → LSTM(units[-1]) → Dropout →
    Dense(horizon * n_targets) → Reshape → [denormalize]. Every layer but the last returns
    its full sequence to the next; you only list the sizes.

    Args:
        lookback: input steps per window.
        n_inputs: input channels: the targets first, then covariates.
        horizon: steps forecast.
        n_targets: channels forecast.
        units: recurrent layer sizes, one layer per entry (an int is one layer); default
            (32, 16), small because the linear skip path carries most of the signal.
        dropout: rate of the Dropout layer after every recurrent layer.
        **options: the shared options (see `ModelOptions`): cell, bidirectional,
            output_activation, l2, normalize (default `"last"`), linear_skip (default True),
            recurrent_lookback (default 48).

    Returns:
        An uncompiled `keras.Model`: `(batch, lookback, n_inputs)` → `(batch, horizon, n_targets)`.

    Raises:
        ConfigError: for an invalid argument, named with its value.

    Example:
        >>> model = build_stacked_lstm(
        ...     lookback=48, n_inputs=7, horizon=24, n_targets=1, units=(64, 32, 16)
        ... )
        >>> [layer.name for layer in model.layers if layer.name.startswith("lstm")]
        ['lstm_1', 'lstm_2', 'lstm_3']
    """
    opts = ModelOptions.from_kwargs("build_stacked_lstm", options)
    layers = check_units(units)
    rate = check_rate("dropout", dropout)
    return build_forecaster(
        f"stacked_{opts.cell}",
        lambda x: recurrent_stack(x, layers, opts, dropout=rate),
        lookback=lookback,
        n_inputs=n_inputs,
        horizon=horizon,
        n_targets=n_targets,
        dropout=rate,
        options=opts,
    )
