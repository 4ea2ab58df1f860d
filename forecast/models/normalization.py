"""Reversible per-window normalization: take each input window's level out, put it back after.

A series whose level drifts (the ETTh1 test months are far colder than the training months)
sends the network inputs it never saw in training. Normalizing every window by its own
statistics and undoing it on the forecast lets the network learn shapes instead of levels:

- `"last"`: subtract each channel's last input value from the window; add the last value of
  each target back to the forecast. A network that outputs zero is then exactly the naive
  forecast ("tomorrow equals today"), so training starts from the naive baseline.
- `"mean_std"`: standardize each window and channel by its own mean and standard deviation
  (RevIN-style, without the learned affine); scale and shift the forecast back.

Targets are the first `n_targets` input channels (the toolkit's column convention), so the
statistics of the targets are read from the input window itself.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from forecast.errors import ConfigError, check_choice
from forecast.settings import choices

NORMALIZE_CHOICES = choices("normalize")  # every value `normalize=` accepts; None means "none"
MODES = tuple(c for c in NORMALIZE_CHOICES if c != "none")  # what a layer does


def check_normalize(value: Any) -> str | None:
    """Return a `normalize` setting as a mode, or None for none.

    Accepts "last", "mean_std", "none" (the CLI's spelling) and None; the one place these
    values are declared and checked.

    Raises:
        ConfigError: for anything else, listing the choices.
    """
    if value is None:
        return None
    mode = check_choice("normalize", value, NORMALIZE_CHOICES)
    return None if mode == "none" else mode


def _check_mode(mode: str) -> str:
    """A layer's `mode`: one of `MODES` (a layer always normalizes; "none" means no layer)."""
    return check_choice("mode", mode, MODES)


def _window_stats(x: Any, mode: str, epsilon: float) -> tuple[Any, Any]:
    """Return `(shift, scale)`, each `(batch, 1, channels)`; `x` is `(batch, steps, channels)`.

    `scale` is None for `"last"` (a shift only).
    """
    if mode == "last":
        return x[:, -1:, :], None
    mean = ops.mean(x, axis=1, keepdims=True)
    return mean, ops.std(x, axis=1, keepdims=True) + epsilon


@keras.saving.register_keras_serializable(package="forecast")
class WindowNormalization(keras.layers.Layer):
    """Normalizes every input window by its own statistics, per channel.

    With `mode="last"` the output is `x - x[:, -1:, :]`; with `mode="mean_std"` it is
    `(x - mean) / (std + epsilon)`, the mean and (population) standard deviation taken over the
    window's time axis. Pair it with `WindowDenormalization` on the model's output.

    Args:
        mode: `"last"` or `"mean_std"`.
        epsilon: added to the standard deviation (`"mean_std"` only), so flat windows stay finite.
        **kwargs: base `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Input shape:
        `(batch, lookback, n_inputs)`.

    Output shape:
        `(batch, lookback, n_inputs)`.
    """

    def __init__(self, mode: str = "last", epsilon: float = 1e-5, **kwargs: Any):
        super().__init__(**kwargs)
        self.mode = _check_mode(mode)
        self.epsilon = float(epsilon)

    def call(self, inputs: Any) -> Any:
        shift, scale = _window_stats(inputs, self.mode, self.epsilon)
        centered = inputs - shift
        return centered if scale is None else centered / scale

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mode": self.mode, "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="forecast")
class WindowDenormalization(keras.layers.Layer):
    """Undoes `WindowNormalization` on a forecast, using the statistics of the target inputs.

    Called on `[forecast, window]`: the statistics come from the first `n_targets` channels of
    the raw input window. With `mode="last"` the output is `forecast + window[:, -1:, :n_targets]`
    (so a zero forecast is the naive forecast); with `mode="mean_std"` it is
    `forecast * (std + epsilon) + mean`, the exact inverse of `WindowNormalization`.

    Args:
        mode: `"last"` or `"mean_std"`; the same as the paired `WindowNormalization`.
        n_targets: how many leading input channels are the forecast targets.
        epsilon: the paired `WindowNormalization`'s epsilon.
        **kwargs: base `keras.layers.Layer` arguments.

    Input shape:
        A list `[forecast (batch, horizon, n_targets), window (batch, lookback, n_inputs)]`;
        the forecast may carry a last quantile axis `(batch, horizon, n_targets, Q)`.

    Output shape:
        The forecast's.
    """

    def __init__(self, mode: str = "last", n_targets: int = 1, epsilon: float = 1e-5, **kwargs):
        super().__init__(**kwargs)
        self.mode = _check_mode(mode)
        if not (isinstance(n_targets, int) and n_targets >= 1):
            raise ConfigError(f"n_targets must be a positive integer, got {n_targets!r}")
        self.n_targets = n_targets
        self.epsilon = float(epsilon)

    def call(self, inputs: list[Any]) -> Any:
        forecast, window = inputs
        shift, scale = _window_stats(window[:, :, : self.n_targets], self.mode, self.epsilon)
        if len(forecast.shape) == 4:  # quantile forecasts: one more axis, after the targets
            shift = ops.expand_dims(shift, -1)
            scale = None if scale is None else ops.expand_dims(scale, -1)
        return forecast + shift if scale is None else forecast * scale + shift

    def compute_output_shape(self, input_shape: list[tuple]) -> tuple:
        return input_shape[0]

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "mode": self.mode,
            "n_targets": self.n_targets,
            "epsilon": self.epsilon,
        }
