"""What every model builder shares: option checks, recurrent layers, the head, cuDNN checks.

A builder only describes its body, the layers between the (normalized) input window and the
features fed to the head; `build_forecaster` adds the rest around it:

    window (batch, lookback, n_inputs)
      → [KnownFutureSplit]    (n_future: the window spans lookback + horizon rows; past rows
                               go on, the future channels of the horizon rows go to future_path)
      → WindowNormalization   (normalize="last" | "mean_std")
      → [Cropping1D]          (recurrent_lookback: the body reads only the last steps)
      → body                  (the family: one LSTM, a stack, a stack + self-attention)
      → [Flatten] → Dropout → Dense(horizon * n_targets) ──┐
      → (linear_skip: Flatten(normalized window) → Dense) ─┤
      → (n_future: future_path(features, future rows)) ────┴─ Add
      → Reshape (batch, horizon, n_targets)
      → [quantile_head]       (quantiles: (batch, horizon, n_targets, Q) around it, the median)
      → WindowDenormalization (undoes the normalization on the forecast)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np

from forecast.errors import ConfigError, check_positive_int
from forecast.models.known_future import KnownFutureSplit, future_path
from forecast.models.normalization import (
    WindowDenormalization,
    WindowNormalization,
    check_normalize,
)
from forecast.models.quantile import quantile_head
from forecast.quantiles import check_quantiles

CELLS = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU}
LINEAR_SKIP, HEAD = "linear_skip", "head"  # layer names that `forecast.models.surgery` reads


def check_units(units: Any, name: str = "units") -> tuple[int, ...]:
    """Return layer sizes as a tuple: an int is one layer, a sequence is one layer per item."""
    sizes = (units,) if isinstance(units, (int, np.integer)) else units
    ok = isinstance(sizes, Sequence) and len(sizes) > 0
    if ok:
        ok = all(
            isinstance(u, (int, np.integer)) and not isinstance(u, bool) and u >= 1 for u in sizes
        )
    if not ok:
        raise ConfigError(f"{name} must be positive integers, got {units!r}")
    return tuple(int(u) for u in sizes)


def check_rate(name: str, value: Any) -> float:
    """Return a dropout rate as a float, or raise ConfigError unless `0 <= value < 1`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ConfigError(f"{name} must be a number in [0, 1), got {value!r}")
    return float(value)


def check_activation(name: str, value: Any) -> str | None:
    """Return an activation name (None is linear), or raise ConfigError if Keras lacks it."""
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        keras.activations.get(value)
    except ValueError:
        raise ConfigError(
            f"{name} must be None or a Keras activation name such as 'relu', got {value!r}"
        ) from None
    return value


@dataclasses.dataclass(frozen=True)
class ModelOptions:
    """The options every builder takes as keyword arguments, checked once.

    Attributes:
        cell: `"lstm"` or `"gru"`, the recurrent layer type.
        bidirectional: wrap every recurrent layer in `keras.layers.Bidirectional` (concat).
        output_activation: activation of the output Dense layer; None (linear) by default.
            `"relu"` clips the network's output below zero, as some tutorials do for standardized
            targets; with `normalize` set, the clipping applies before denormalization (with
            `"last"`: no forecast below the last observed value), so it is rarely what you want.
        l2: L2 penalty on every kernel (recurrent input kernels, attention, output Dense); 0 is off.
        normalize: per-window reversible normalization: `"last"` (default: subtract each
            channel's last input value, add the targets' last value back to the forecast, so a
            zero network output is the naive forecast), `"mean_std"` (per-window standardization,
            RevIN-style), `"none"` or None. Needs the targets to be the first `n_targets` input
            channels.
        linear_skip: add a linear map from the whole normalized input window straight to the
            forecast (`Flatten → Dense(horizon * n_targets)`, layer `"linear_skip"`, zero
            initialized) to the recurrent head's output. With `normalize="last"` this is the
            NLinear model (a linear regression on last-value-normalized windows), so the network
            is at least as expressive as that strong baseline and the recurrent layers learn what
            it misses. Default True; it adds `lookback * n_inputs * horizon * n_targets` weights
            and keeps cuDNN eligibility. On ETTh1 validation (horizon 24, lookback 336) it took
            the single LSTM from MAE 1.556 to 1.493 °C (naive: 1.793).
        recurrent_lookback: feed only the last this-many steps of the normalized window to the
            recurrent body (a `Cropping1D` layer, `"recent_steps"`), while the linear skip still
            sees the whole window: a long lookback for the linear path at the cost of a short
            one for the LSTM (training time grows with the recurrent length). Default 48; None
            feeds the whole window, as does a value of `lookback` or more. On ETTh1 (lookback
            336, horizon 24) 48 and 96 recent steps scored the same on validation (MAE 1.493
            vs 1.494 °C); 48 trains about twice as fast.
        quantiles: None (a point forecast), or quantiles like (0.1, 0.5, 0.9) with 0.5 among
            them: the model then outputs `(batch, horizon, n_targets, Q)`, the point path as the
            median and non-crossing quantiles around it (`forecast.models.quantile`); train it
            with `compile_model(model, "quantile", quantiles=...)` (the pinball loss).
        n_future: known-future covariates, the last `n_future` input channels: the input
            window spans `lookback + horizon` rows and the model reads those channels over
            the horizon (`forecast.models.known_future`); 0 (default): `lookback` rows.

    Builders return uncompiled models; compile them with `forecast.training.compile_model`
    (loss, optimizer and learning rate by name), as in plain Keras.
    """

    cell: str = "lstm"
    bidirectional: bool = False
    output_activation: str | None = None
    l2: float = 0.0
    normalize: str | None = "last"
    linear_skip: bool = True
    recurrent_lookback: int | None = 48
    quantiles: tuple[float, ...] | None = None
    n_future: int = 0

    def __post_init__(self) -> None:
        if self.cell not in CELLS:
            raise ConfigError(f"cell must be one of {', '.join(CELLS)}, got {self.cell!r}")
        for flag in ("bidirectional", "linear_skip"):
            if not isinstance(getattr(self, flag), bool):
                raise ConfigError(f"{flag} must be True or False, got {getattr(self, flag)!r}")
        check_activation("output_activation", self.output_activation)
        if isinstance(self.l2, bool) or not isinstance(self.l2, (int, float)) or not self.l2 >= 0:
            raise ConfigError(f"l2 must be a non-negative number, got {self.l2!r}")
        object.__setattr__(self, "normalize", check_normalize(self.normalize))
        if self.recurrent_lookback is not None:
            check_positive_int("recurrent_lookback", self.recurrent_lookback)
        if self.quantiles is not None:
            object.__setattr__(self, "quantiles", check_quantiles(self.quantiles))
        check_positive_int("n_future", self.n_future, allow_zero=True)

    @classmethod
    def from_kwargs(cls, builder: str, options: dict[str, Any]) -> ModelOptions:
        """Build options from a builder's `**options`; unknown names raise ConfigError."""
        known = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(options) - set(known))
        if unknown:
            raise ConfigError(
                f"{builder} got unknown option(s): {', '.join(unknown)}; "
                f"the shared options are: {', '.join(known)}"
            )
        return cls(**options)

    @property
    def regularizer(self) -> keras.regularizers.Regularizer | None:
        """The kernel regularizer for `l2`, or None."""
        return keras.regularizers.L2(float(self.l2)) if self.l2 else None


def _float32_if_mixed() -> str | None:
    """Under a mixed-precision policy, keep normalization and the output in float32."""
    return "float32" if keras.config.dtype_policy().name.startswith("mixed") else None


def recurrent_stack(
    x: keras.KerasTensor,
    units: tuple[int, ...],
    options: ModelOptions,
    *,
    dropout: float = 0.0,
    return_sequences: bool = False,
) -> keras.KerasTensor:
    """Apply one recurrent layer per entry of `units`, named `lstm_1`, `lstm_2`, ... .

    Every layer but the last returns sequences; the last does when `return_sequences`. The
    layers keep Keras's cuDNN-eligible defaults. With `dropout`, a Dropout layer follows every
    layer but the last (the head adds its own).

    Args:
        x: `(batch, lookback, channels)`.
        units: layer sizes.
        options: `cell`, `bidirectional` and `l2` are used.
        dropout: rate of the Dropout layers between recurrent layers.
        return_sequences: whether the last layer returns the full sequence.

    Returns:
        `(batch, lookback, units[-1])` with `return_sequences`, else `(batch, units[-1])`
        (twice `units[-1]` when bidirectional).
    """
    for i, size in enumerate(units, start=1):
        last = i == len(units)
        name = f"{options.cell}_{i}"
        layer = CELLS[options.cell](
            size,
            return_sequences=return_sequences or not last,
            kernel_regularizer=options.regularizer,
            name=name,
        )
        if options.bidirectional:
            layer = keras.layers.Bidirectional(layer, name=f"bidirectional_{name}")
        x = layer(x)
        if dropout and not last:
            x = keras.layers.Dropout(dropout, name=f"dropout_{i}")(x)
    return x


def build_forecaster(
    name: str,
    body: Callable[[keras.KerasTensor], keras.KerasTensor],
    *,
    lookback: int,
    n_inputs: int,
    horizon: int,
    n_targets: int,
    dropout: float,
    options: ModelOptions,
) -> keras.Model:
    """Wrap a body with the input, normalization and head every builder shares.

    Args:
        name: the model's name.
        body: maps the normalized window `(batch, lookback, n_inputs)` to features,
            `(batch, features)` or `(batch, steps, features)` (flattened by the head).
        lookback: input steps per window.
        n_inputs: input channels (targets first, then covariates).
        horizon: steps forecast.
        n_targets: channels forecast.
        dropout: rate of the Dropout layer before the output Dense layer (0: none).
        options: the shared options.

    Returns:
        An uncompiled `keras.Model` mapping `(batch, lookback, n_inputs)` (with
        `options.n_future`: `(batch, lookback + horizon, n_inputs)`) to
        `(batch, horizon, n_targets)` (with `options.quantiles`: `(..., Q)`).

    Raises:
        ConfigError: for a bad size, or `normalize` with more targets than inputs.
    """
    lookback = check_positive_int("lookback", lookback)
    n_inputs = check_positive_int("n_inputs", n_inputs)
    horizon = check_positive_int("horizon", horizon)
    n_targets = check_positive_int("n_targets", n_targets)
    if options.normalize and n_targets > n_inputs:
        raise ConfigError(
            f"normalize={options.normalize!r} reads each target's history from the inputs, which "
            f"must start with the {n_targets} target columns, but n_inputs={n_inputs}; include "
            "the targets in the inputs or use normalize=None"
        )
    if options.n_future and options.n_future > n_inputs - n_targets:
        raise ConfigError(
            f"n_future={options.n_future} leaves fewer than the {n_targets} target inputs "
            f"of n_inputs={n_inputs}"
        )
    dtype = _float32_if_mixed()
    steps = lookback + (horizon if options.n_future else 0)
    window = keras.Input((steps, n_inputs), name="window")
    past = window
    if options.n_future:
        past, future = KnownFutureSplit(lookback, options.n_future, name="known_future")(window)
    x = past
    if options.normalize:
        x = WindowNormalization(options.normalize, name="normalize", dtype=dtype)(x)
    normalized = x
    if options.recurrent_lookback is not None and options.recurrent_lookback < lookback:
        x = keras.layers.Cropping1D(
            (lookback - options.recurrent_lookback, 0), name="recent_steps"
        )(x)
    x = body(x)
    if len(x.shape) == 3:
        x = keras.layers.Flatten(name="flatten")(x)
    extra = [future_path(x, future, horizon, n_targets, dtype)] if options.n_future else []
    if dropout:
        x = keras.layers.Dropout(dropout, name="head_dropout")(x)
    features = x
    x = keras.layers.Dense(
        horizon * n_targets,
        activation=options.output_activation,
        kernel_regularizer=options.regularizer,
        name=HEAD,
        dtype=dtype,
    )(x)
    if options.linear_skip:
        skip = keras.layers.Flatten(name="skip_flatten")(normalized)
        skip = keras.layers.Dense(
            horizon * n_targets,
            kernel_initializer="zeros",
            kernel_regularizer=options.regularizer,
            name=LINEAR_SKIP,
            dtype=dtype,
        )(skip)
        extra.append(skip)
    if extra:
        x = keras.layers.Add(name="head_plus_skip", dtype=dtype)([x, *extra])
    y = keras.layers.Reshape((horizon, n_targets), name="forecast", dtype=dtype)(x)
    if options.quantiles:
        y = quantile_head(features, y, normalized, options.quantiles, options.regularizer, dtype)
    if options.normalize:
        y = WindowDenormalization(
            options.normalize, n_targets=n_targets, name="denormalize", dtype=dtype
        )([y, past])
    return keras.Model(window, y, name=name)


def _recurrent_layers(layers: list[keras.layers.Layer]) -> list[keras.layers.Layer]:
    """Every recurrent layer, looking inside Bidirectional wrappers and nested models."""
    found: list[keras.layers.Layer] = []
    for layer in layers:
        if isinstance(layer, keras.layers.Bidirectional):
            found += [layer.forward_layer, layer.backward_layer]
        elif isinstance(layer, keras.layers.RNN):
            found.append(layer)
        elif isinstance(layer, keras.Model):
            found += _recurrent_layers(layer.layers)
    return found


def _cudnn_problems(layer: keras.layers.Layer) -> list[str]:
    if not isinstance(layer, (keras.layers.LSTM, keras.layers.GRU)):
        return [f"{type(layer).__name__} has no cuDNN kernel (use LSTM or GRU)"]
    problems = []
    if getattr(layer, "use_cudnn", "auto") is False:
        problems.append("use_cudnn=False (must be 'auto' or True)")
    if layer.recurrent_dropout:
        problems.append(f"recurrent_dropout={layer.recurrent_dropout} (must be 0)")
    for attr, wanted in (("activation", "tanh"), ("recurrent_activation", "sigmoid")):
        got = getattr(getattr(layer, attr), "__name__", repr(getattr(layer, attr)))
        if got != wanted:
            problems.append(f"{attr}={got} (must be {wanted})")
    if layer.unroll:
        problems.append("unroll=True (must be False)")
    if not layer.use_bias:
        problems.append("use_bias=False (must be True)")
    if isinstance(layer, keras.layers.GRU) and not layer.reset_after:
        problems.append("reset_after=False (must be True)")
    return problems


def cudnn_eligible(model: keras.Model) -> list[str]:
    """Say which recurrent layers of `model` cannot use the fused cuDNN kernel, and why.

    Keras runs an LSTM or GRU on the GPU's fused cuDNN kernel (several times faster) only with
    `activation="tanh"`, `recurrent_activation="sigmoid"`, `recurrent_dropout=0`,
    `unroll=False`, `use_bias=True` (and, for GRU, `reset_after=True`). The builders' defaults
    meet all of them.

    Args:
        model: any Keras model; Bidirectional wrappers and nested models are looked into.

    Returns:
        One line per offending layer, e.g. `"lstm_1: recurrent_dropout=0.2 (must be 0)"`; an
        empty list when every recurrent layer is eligible.
    """
    report = []
    for layer in _recurrent_layers(model.layers):
        problems = _cudnn_problems(layer)
        if problems:
            report.append(f"{layer.name}: {'; '.join(problems)}")
    return report
