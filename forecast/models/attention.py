"""LSTM + additive self-attention over the lags, and the layers that compute the attention.

The attention is keras-self-attention's `SeqSelfAttention` (additive), the layer many LSTM
forecasting tutorials use. It is written against TensorFlow, so it runs only on the TensorFlow
backend; this module is the one place in the toolkit that imports it. On JAX and PyTorch the
builder uses `AdditiveSelfAttention`, the same math in `keras.ops` with the same weights in
the same order (a model's weights load into either; a test holds their outputs equal).

For every step `t` of the recurrent states `x (batch, lookback, features)`:

    h[t, s] = tanh(x[t] @ Wt + x[s] @ Wx + bh)          (units,)
    e[t, s] = attention_activation(h[t, s] @ Wa + ba)    scalar; outside attention_width: -1e4
    a[t, :] = softmax(e[t, :])                           the attention weights over lags s
    v[t]    = sum_s a[t, s] x[s]
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

from forecast.errors import ConfigError, check_positive_int
from forecast.models.common import (
    ModelOptions,
    build_forecaster,
    check_activation,
    check_rate,
    check_units,
    recurrent_stack,
)


@keras.saving.register_keras_serializable(package="forecast")
class AdditiveSelfAttention(keras.layers.Layer):
    """Additive self-attention over time steps, in `keras.ops` (every backend).

    The same computation and weights (`Wt, Wx, bh, Wa, ba`, in that order) as
    keras-self-attention's `SeqSelfAttention(attention_type="additive")`, including its
    `attention_width` window, `history_only` and mask handling.

    Args:
        units: size of the hidden vectors `h[t, s]` that score each pair of steps.
        attention_width: if set, step `t` attends only to a window of this many steps (centred
            on `t`, or ending at `t` with `history_only`); None attends to all steps.
        attention_activation: activation applied to the scores before the softmax (None: linear).
        history_only: attend only to steps `s <= t`.
        return_attention: also return the attention weights.
        use_additive_bias: use `bh`.
        use_attention_bias: use `ba`.
        kernel_initializer: initializer of `Wt`, `Wx`, `Wa`.
        bias_initializer: initializer of `bh`, `ba`.
        kernel_regularizer: regularizer of `Wt`, `Wx`, `Wa`.
        bias_regularizer: regularizer of `bh`, `ba`.
        **kwargs: base `keras.layers.Layer` arguments.

    Input shape:
        `(batch, steps, features)`.

    Output shape:
        `(batch, steps, features)`; with `return_attention`, also the weights
        `(batch, steps, steps)`, each row summing to 1.
    """

    def __init__(
        self,
        units: int = 32,
        attention_width: int | None = None,
        attention_activation: Any = None,
        history_only: bool = False,
        return_attention: bool = False,
        use_additive_bias: bool = True,
        use_attention_bias: bool = True,
        kernel_initializer: Any = "glorot_normal",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.units = units
        self.history_only = history_only
        if history_only and attention_width is None:
            attention_width = int(1e9)  # as SeqSelfAttention does
        self.attention_width = attention_width
        self.attention_activation = keras.activations.get(attention_activation)
        self.return_attention = return_attention
        self.use_additive_bias = use_additive_bias
        self.use_attention_bias = use_attention_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)

    def build(self, input_shape: tuple) -> None:
        features = int(input_shape[-1])

        def weight(name: str, shape: tuple, kernel: bool) -> keras.Variable:
            return self.add_weight(
                name=name,
                shape=shape,
                initializer=self.kernel_initializer if kernel else self.bias_initializer,
                regularizer=self.kernel_regularizer if kernel else self.bias_regularizer,
            )

        self.Wt = weight("Wt", (features, self.units), True)
        self.Wx = weight("Wx", (features, self.units), True)
        self.bh = weight("bh", (self.units,), False) if self.use_additive_bias else None
        self.Wa = weight("Wa", (self.units, 1), True)
        self.ba = weight("ba", (1,), False) if self.use_attention_bias else None

    def call(self, inputs: Any, mask: Any = None) -> Any:
        steps = ops.shape(inputs)[1]
        q = ops.expand_dims(ops.matmul(inputs, self.Wt), 2)  # (batch, steps, 1, units)
        k = ops.expand_dims(ops.matmul(inputs, self.Wx), 1)  # (batch, 1, steps, units)
        h = q + k
        if self.bh is not None:
            h = h + self.bh
        h = ops.tanh(h)  # (batch, steps, steps, units)
        e = ops.squeeze(ops.matmul(h, self.Wa), -1)  # (batch, steps, steps)
        if self.ba is not None:
            e = e + self.ba
        e = self.attention_activation(e)
        if self.attention_width is not None:
            back = self.attention_width - 1 if self.history_only else self.attention_width // 2
            lower = ops.expand_dims(ops.arange(steps) - back, -1)
            upper = lower + self.attention_width
            idx = ops.expand_dims(ops.arange(steps), 0)
            inside = ops.cast(lower <= idx, e.dtype) * ops.cast(idx < upper, e.dtype)
            e = e - 10000.0 * (1.0 - inside)
        if mask is not None:
            # Same rule as SeqSelfAttention: only pairs where both steps are masked are pushed down.
            m = ops.expand_dims(ops.cast(mask, e.dtype), -1)
            e = e - 10000.0 * ((1.0 - m) * (1.0 - ops.transpose(m, (0, 2, 1))))
        e = ops.exp(e - ops.max(e, axis=-1, keepdims=True))
        a = e / ops.sum(e, axis=-1, keepdims=True)
        v = ops.matmul(a, inputs)
        return [v, a] if self.return_attention else v

    def compute_output_shape(self, input_shape: tuple) -> Any:
        if self.return_attention:
            return [tuple(input_shape), (input_shape[0], input_shape[1], input_shape[1])]
        return tuple(input_shape)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return [mask, None] if self.return_attention else mask

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "units": self.units,
            "attention_width": self.attention_width,
            "attention_activation": keras.activations.serialize(self.attention_activation),
            "history_only": self.history_only,
            "return_attention": self.return_attention,
            "use_additive_bias": self.use_additive_bias,
            "use_attention_bias": self.use_attention_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": keras.regularizers.serialize(self.bias_regularizer),
        }


try:
    if keras.backend.backend() != "tensorflow":
        raise ImportError("keras-self-attention runs on the TensorFlow backend only")
    from keras_self_attention import SeqSelfAttention as _KerasSelfAttention
except ImportError:
    _KerasSelfAttention = None

if _KerasSelfAttention is not None:

    @keras.saving.register_keras_serializable(package="forecast", name="SeqSelfAttention")
    class SeqSelfAttention(_KerasSelfAttention):
        """keras-self-attention's `SeqSelfAttention`, registered with Keras.

        The upstream layer is not registered with `keras.saving`, so a model holding it would
        not load without `custom_objects`. This subclass changes nothing but the registration
        (`"forecast>SeqSelfAttention"`); see the upstream layer for its arguments.
        """

else:

    @keras.saving.register_keras_serializable(package="forecast", name="SeqSelfAttention")
    class SeqSelfAttention(AdditiveSelfAttention):
        """Stand-in for keras-self-attention's layer where it cannot run (JAX, PyTorch).

        Takes `SeqSelfAttention`'s arguments, so a model saved on the TensorFlow backend loads
        here with the native math and the same weights.
        """

        def __init__(
            self,
            *args: Any,
            attention_type: str = "additive",
            kernel_constraint: Any = None,
            bias_constraint: Any = None,
            attention_regularizer_weight: float = 0.0,
            **kwargs: Any,
        ):
            if attention_type != "additive" or kernel_constraint or bias_constraint:
                raise ConfigError(
                    "only additive SeqSelfAttention without constraints runs on this backend"
                )
            if attention_regularizer_weight:
                raise ConfigError("SeqSelfAttention's attention regularizer needs TensorFlow")
            super().__init__(*args, **kwargs)


# The builder uses keras-self-attention where it runs (TensorFlow), else the native layer.
USE_KERAS_SELF_ATTENTION = _KerasSelfAttention is not None
ATTENTION_LAYERS = (AdditiveSelfAttention, SeqSelfAttention)


def _attention_layer(options: ModelOptions, **config: Any) -> keras.layers.Layer:
    config.update(kernel_regularizer=options.regularizer, return_attention=True, name="attention")
    if USE_KERAS_SELF_ATTENTION:
        return SeqSelfAttention(attention_type="additive", **config)
    return AdditiveSelfAttention(**config)


def build_attention_lstm(
    *,
    lookback: int,
    n_inputs: int,
    horizon: int,
    n_targets: int,
    units: int | tuple[int, ...] = (32,),
    attention_units: int = 16,
    attention_width: int | None = None,
    attention_activation: str | None = "sigmoid",
    dropout: float = 0.1,
    **options: Any,
) -> keras.Model:
    """Build a recurrent stack with additive self-attention over its states.

    window → [normalize] → LSTM(units[0]) → ... → LSTM(units[-1]) (all return sequences) →
    self-attention (layer `"attention"`) → Flatten → Dropout → Dense(horizon * n_targets) →
    Reshape → [denormalize]. The attention weights `(batch, lookback, lookback)` show which
    lags the model looks at; get them with `attention_weights(model, X)`.

    Args:
        lookback: input steps per window.
        n_inputs: input channels: the targets first, then covariates.
        horizon: steps forecast.
        n_targets: channels forecast.
        units: recurrent layer sizes, one layer per entry; default one layer of 32, small
            because the linear skip path carries most of the signal.
        attention_units: size of the attention's hidden scoring vectors (default 16).
        attention_width: attend only to this many neighbouring steps; None: all steps.
        attention_activation: activation of the attention scores before the softmax.
        dropout: rate of the Dropout layer before the output layer.
        **options: the shared options (see `ModelOptions`): cell, bidirectional,
            output_activation, l2, normalize (default `"last"`), linear_skip (default True),
            recurrent_lookback (default 48).

    Returns:
        An uncompiled `keras.Model`: `(batch, lookback, n_inputs)` → `(batch, horizon, n_targets)`.

    Raises:
        ConfigError: for an invalid argument, named with its value.
    """
    opts = ModelOptions.from_kwargs("build_attention_lstm", options)
    units = check_units(units)
    if attention_width is not None:
        attention_width = check_positive_int("attention_width", attention_width)
    attention = _attention_layer(
        opts,
        units=check_positive_int("attention_units", attention_units),
        attention_width=attention_width,
        attention_activation=check_activation("attention_activation", attention_activation),
    )

    def body(x: keras.KerasTensor) -> keras.KerasTensor:
        states = recurrent_stack(x, units, opts, return_sequences=True)
        return attention(states)[0]

    return build_forecaster(
        f"attention_{opts.cell}",
        body,
        lookback=lookback,
        n_inputs=n_inputs,
        horizon=horizon,
        n_targets=n_targets,
        dropout=check_rate("dropout", dropout),
        options=opts,
    )


def attention_weights(model: keras.Model, X: Any, batch_size: int = 256) -> np.ndarray:
    """Return the self-attention weights of an attention model for input windows `X`.

    Row `t` of a window's matrix says how much step `t` of the recurrent output draws on each
    lag; averaged over windows it shows which lags the model relies on.

    Args:
        model: a model from `build_attention_lstm` (also after `keras.models.load_model`).
        X: input windows `(batch, lookback, n_inputs)`.
        batch_size: windows per forward pass.

    Returns:
        `(batch, lookback, lookback)` float array; every row sums to 1.

    Raises:
        ConfigError: if the model has no self-attention layer returning its weights.
    """
    layer = next((lay for lay in model.layers if isinstance(lay, ATTENTION_LAYERS)), None)
    if layer is None or not layer.return_attention:
        raise ConfigError(
            f"model {model.name!r} has no self-attention layer that returns its weights; "
            "attention_weights needs a model built by build_attention_lstm"
        )
    probe = keras.Model(model.inputs, layer.output[1])
    return np.asarray(probe.predict(X, batch_size=batch_size, verbose=0))
