"""Surgery on the builders' own models: start from a linear fit, average ensemble members.

These functions know the layer names `build_forecaster` gives (`LINEAR_SKIP`, `HEAD`), so no
caller outside `forecast.models` has to. They change weights and structure only; the caller
compiles the result (`forecast.training.compile_model`) once, after the surgery.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

from forecast.models.common import HEAD, LINEAR_SKIP


def has_linear_skip(model: keras.Model) -> bool:
    """Whether `model` has the builders' linear skip path (`linear_skip=True`)."""
    return any(layer.name == LINEAR_SKIP for layer in model.layers)


def start_from_linear(
    model: keras.Model, coef: np.ndarray, intercept: np.ndarray, n_inputs: int
) -> None:
    """Set the linear skip to a per-target linear map, freeze it, and zero the head.

    The untrained model then forecasts exactly what the linear map does (with
    `normalize="last"`, the maps of `forecast.linear.LinearBaseline`), and the recurrent path
    learns what it misses.

    Args:
        model: a builder's model with a linear skip (see `has_linear_skip`).
        coef: `(n_targets, lookback, horizon)`, one map per target, from that target's own
            normalized history.
        intercept: `(n_targets, horizon)`.
        n_inputs: input channels of the model (targets first, then covariates).
    """
    n_targets, lookback, horizon = coef.shape
    kernel = np.zeros((lookback * n_inputs, horizon * n_targets), dtype=np.float32)
    bias = np.zeros(horizon * n_targets, dtype=np.float32)
    rows = np.arange(lookback) * n_inputs  # Flatten order: step-major, then channel
    for t in range(n_targets):
        cols = np.arange(horizon) * n_targets + t  # Reshape order: step-major, then target
        kernel[np.ix_(rows + t, cols)] = coef[t]
        bias[cols] = intercept[t]
    skip, head = model.get_layer(LINEAR_SKIP), model.get_layer(HEAD)
    skip.set_weights([kernel, bias])
    skip.trainable = False
    head.set_weights([np.zeros_like(w) for w in head.get_weights()])


def average_members(members: Sequence[keras.Model]) -> keras.Model:
    """One model averaging the members' forecasts (`keras.layers.Average`), uncompiled.

    Args:
        members: models mapping the same input `(batch, steps, n_inputs)` to the same output
            shape; they are renamed `<name>_member_<k>` (names must be unique in one model).

    Returns:
        A `keras.Model` named `ensemble_of_<n>`.
    """
    inputs = keras.Input(tuple(members[0].inputs[0].shape[1:]), name="window")
    for k, member in enumerate(members):
        member.name = f"{member.name}_member_{k}"
    outputs = keras.layers.Average(name="ensemble_mean")([m(inputs) for m in members])
    return keras.Model(inputs, outputs, name=f"ensemble_of_{len(members)}")


def first_member(model: keras.Model) -> keras.Model:
    """The first member of an `average_members` ensemble, or `model` itself."""
    members = [layer for layer in model.layers if isinstance(layer, keras.Model)]
    return members[0] if members else model
