"""Quantile heads: one forecast per quantile around the median, never crossing.

`build_forecaster` (with `ModelOptions.quantiles`) keeps its point path as the median and
adds `quantile_head` beside it, before denormalization:

    features (batch, f) → Dense((Q - 1) * horizon * n_targets), layer "quantile_offsets"
      → Reshape (batch, horizon, n_targets, Q - 1)
    [median (batch, horizon, n_targets), offsets, normalized window]
      → QuantileSpread → (batch, horizon, n_targets, Q)

Monotone by construction (the cumulative parametrization): going outward from the median,
each quantile lies a gap `softplus(offset) * volatility` (> 0) beyond its neighbour, so no two
quantiles cross, for any weights. `volatility` is the window's own mean absolute one-step
change of each target (in the normalized units the median is in), so the spread follows each
window's scale: one global model over series of very different sizes (M4) gets wide quantiles
for the large, volatile series and narrow ones for the small, quiet ones from the start.

The median is the point path itself (the head, plus the linear skip): with
`ridge_skip`, `forecast.models.start_from_linear` freezes the ridge map there, so training
starts with the ridge forecast as the median, and the offsets (trained from the start; a zero
offset is a gap of softplus(0) = 0.69 times the window's volatility) learn the spread from the
body's features.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

from forecast.quantiles import median_index

QUANTILE_OFFSETS = "quantile_offsets"  # the Dense layer of the gaps between quantiles


@keras.saving.register_keras_serializable(package="forecast")
class QuantileSpread(keras.layers.Layer):
    """Quantiles from the median and raw gaps: cumulative softplus steps outward.

    With `m = median_index`, raw gaps `r`, the window's volatility `v` (per target: the mean
    absolute one-step change of its `n_targets` first channels, plus `epsilon`) and
    `g = softplus(r) * v`: quantile `m` is the median; quantile `m + k` is
    `median + g[m] + ... + g[m + k - 1]`; quantile `m - k` is `median - g[m - 1] - ... - g[m - k]`.

    Args:
        median_index: the position of 0.5 among the quantiles.
        epsilon: added to the volatility, so that flat windows keep a positive gap.

    Input shape:
        `[median (batch, horizon, n_targets), raw (batch, horizon, n_targets, Q - 1),
        window (batch, lookback, n_inputs)]` (targets first, normalized as the median is).

    Output shape:
        `(batch, horizon, n_targets, Q)`, increasing along the last axis.
    """

    def __init__(self, median_index: int, epsilon: float = 1e-6, **kwargs: Any):
        super().__init__(**kwargs)
        self.median_index = int(median_index)
        self.epsilon = float(epsilon)

    def call(self, inputs: list[Any]) -> Any:
        median, raw, window = inputs
        targets = window[:, :, : median.shape[-1]]
        change = ops.abs(targets[:, 1:, :] - targets[:, :-1, :])
        volatility = ops.mean(change, axis=1) + self.epsilon  # (batch, n_targets)
        gaps = ops.softplus(raw) * volatility[:, None, :, None]
        m, center = self.median_index, ops.expand_dims(median, -1)
        parts = []
        if m:
            below = ops.flip(ops.cumsum(ops.flip(gaps[..., :m], axis=-1), axis=-1), axis=-1)
            parts.append(center - below)
        parts.append(center)
        if gaps.shape[-1] > m:
            parts.append(center + ops.cumsum(gaps[..., m:], axis=-1))
        return ops.concatenate(parts, axis=-1)

    def compute_output_shape(self, input_shape: list[tuple]) -> tuple:
        return (*input_shape[0], input_shape[1][-1] + 1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "median_index": self.median_index, "epsilon": self.epsilon}


def quantile_head(
    features: keras.KerasTensor,
    median: keras.KerasTensor,
    window: keras.KerasTensor,
    quantiles: Sequence[float],
    regularizer: keras.regularizers.Regularizer | None = None,
    dtype: str | None = None,
) -> keras.KerasTensor:
    """Add the quantile forecasts around a model's point path (see the module docstring).

    Args:
        features: what the point head reads, `(batch, f)`.
        median: the point forecast, normalized, `(batch, horizon, n_targets)`.
        window: the normalized input window `(batch, lookback, n_inputs)`, targets first.
        quantiles: checked quantiles (`forecast.quantiles.check_quantiles`), 0.5 among them.
        regularizer: the kernel regularizer of the gaps' Dense layer.
        dtype: the layers' dtype (float32 under mixed precision).

    Returns:
        `(batch, horizon, n_targets, Q)`.
    """
    _, horizon, n_targets = median.shape
    n = len(quantiles) - 1
    raw = keras.layers.Dense(
        horizon * n_targets * n, kernel_regularizer=regularizer, name=QUANTILE_OFFSETS, dtype=dtype
    )(features)
    raw = keras.layers.Reshape((horizon, n_targets, n), name="quantile_gaps", dtype=dtype)(raw)
    spread = QuantileSpread(median_index(quantiles), name="quantiles", dtype=dtype)
    return spread([median, raw, window])
