"""Quantile forecasts: which quantiles a quantile-head model learns, and the intervals they give.

With `loss="quantile"` the model outputs one forecast per quantile, `(n, horizon, n_targets,
Q)`, trained with the pinball loss (`forecast.training.PinballLoss`). The quantiles are declared
and checked here, once:

- strictly between 0 and 1, increasing, no repeats; 0.5 must be one of them: the median is
  the point forecast, so every report, baseline comparison and plot reads it unchanged;
- at least one pair `q, 1 - q` (an interval level: 0.1 and 0.9 give the 80 % interval).

`DEFAULT_QUANTILES` serves the default levels 80 and 95. A level is servable when both its
quantiles `(1 - level / 100) / 2` and `1 - (1 - level / 100) / 2` are among them
(`servable_levels`); asking another raises one `ConfigError` naming the levels available.
NumPy only.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from forecast.errors import ConfigError

DEFAULT_QUANTILES = (0.025, 0.1, 0.5, 0.9, 0.975)  # the 95 % and 80 % intervals and the median
QUANTILE_LOSS = "quantile"  # the loss name that turns quantile heads on
_TOL = 1e-9


def _bad(why: str, value: Any) -> ConfigError:
    return ConfigError(
        f"quantiles must be numbers in (0, 1), increasing, with 0.5 and a pair q, 1 - q, "
        f"like 0.1,0.5,0.9: {why}; got {value!r}",
        setting="quantiles",
    )


def check_quantiles(value: Iterable[float] | str | None) -> tuple[float, ...]:
    """The quantiles as a tuple of floats; None gives `DEFAULT_QUANTILES`.

    Accepts a sequence or a text like "0.1,0.5,0.9".

    Raises:
        ConfigError: naming `quantiles`, for a value outside (0, 1), an order that is not
            increasing, a repeat, no 0.5 or no pair `q, 1 - q`.
    """
    if value is None:
        return DEFAULT_QUANTILES
    parts = [p for p in value.replace(" ", "").split(",") if p] if isinstance(value, str) else value
    try:
        found = tuple(float(q) for q in parts)
    except (TypeError, ValueError):
        raise _bad("not numbers", value) from None
    if any(isinstance(q, bool) for q in parts) or not all(0 < q < 1 for q in found):
        raise _bad("each must lie strictly between 0 and 1", value)
    if any(b <= a for a, b in itertools.pairwise(found)):
        raise _bad("not increasing (sort them, no repeats)", value)
    if not any(abs(q - 0.5) < _TOL for q in found):
        raise _bad("0.5 (the median, the point forecast) is missing", value)
    if not servable_levels(found):
        raise _bad("no pair q, 1 - q, so no interval level", value)
    return found


def median_index(quantiles: Sequence[float]) -> int:
    """Position of 0.5 in checked `quantiles`."""
    return next(i for i, q in enumerate(quantiles) if abs(q - 0.5) < _TOL)


def servable_levels(quantiles: Sequence[float]) -> dict[float, tuple[int, int]]:
    """Interval levels (percent) the quantiles give -> positions of their (lo, hi) quantiles;
    (0.025, 0.1, 0.5, 0.9, 0.975) -> {80.0: (1, 3), 95.0: (0, 4)}."""
    found = {}
    for i, q in enumerate(quantiles):
        j = next((j for j, p in enumerate(quantiles) if abs(p - (1 - q)) < _TOL), None)
        if q < 0.5 and j is not None:
            found[round(100 * (1 - 2 * q), 9)] = (i, j)
    return dict(sorted(found.items()))


def _positions(served: dict[float, tuple[int, int]], level: float) -> tuple[int, int] | None:
    """The (lo, hi) quantile positions of `level` among `servable_levels`, or None."""
    return next((v for s, v in served.items() if math.isclose(s, level)), None)


def served_levels(quantiles: Sequence[float], levels: Sequence[float]) -> tuple[float, ...]:
    """Those of `levels` the quantiles give (the others dropped, no error)."""
    served = servable_levels(quantiles)
    return tuple(lv for lv in levels if _positions(served, lv) is not None)


def check_servable(quantiles: Sequence[float], levels: Sequence[float]) -> tuple[float, ...]:
    """`levels` when the quantiles give each of them.

    Raises:
        ConfigError: naming `levels` and the levels available.
    """
    served = servable_levels(quantiles)
    missing = [lv for lv in levels if _positions(served, lv) is None]
    if missing:
        have = ", ".join(f"{lv:g}" for lv in served)
        raise ConfigError(
            f"levels {', '.join(f'{lv:g}' for lv in missing)} cannot be served by the quantiles "
            f"{', '.join(f'{q:g}' for q in quantiles)}; the levels available are {have} (train "
            "with quantiles (1 - level/100)/2 and 1 - (1 - level/100)/2 for others)",
            setting="levels",
        )
    return tuple(levels)


def resolve(loss: str, quantiles: Any, intervals: str) -> tuple[float, ...] | None:
    """The quantiles a Forecaster's model learns: None unless `loss` is "quantile" (then the
    checked `quantiles`, `DEFAULT_QUANTILES` for None).

    Raises:
        ConfigError: for bad quantiles, quantiles without `loss="quantile"`, or
            `intervals="raw"` (the heads' own quantiles) without quantile heads.
    """
    if str(loss).lower() != QUANTILE_LOSS:
        if quantiles is not None:
            raise ConfigError(
                f"quantiles need loss='quantile' (the quantile heads), got loss={loss!r}",
                setting="quantiles",
            )
        if intervals == "raw":
            raise ConfigError(
                "intervals='raw' gives the quantile heads' own bounds; it needs loss='quantile'",
                setting="intervals",
            )
        return None
    return check_quantiles(quantiles)


def split(
    inverse: Callable[[np.ndarray], np.ndarray], out: np.ndarray, quantiles: Sequence[float] | None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Model outputs in original units: `(point, quantile forecasts)`.

    Args:
        inverse: undoes the scaling of `(..., n_targets)` arrays (monotone increasing, so a
            quantile in scaled units is the same quantile in original units).
        out: `(n, horizon, n_targets)`, or with quantile heads `(n, horizon, n_targets, Q)`.
        quantiles: the learned quantiles, or None.

    Returns:
        The point forecasts `(n, horizon, n_targets)` (the median with quantile heads) and
        the quantile forecasts `(n, horizon, n_targets, Q)` or None.
    """
    if quantiles is None:
        return inverse(out), None
    full = np.moveaxis(inverse(np.moveaxis(np.asarray(out), -1, 0)), 0, -1)
    return full[..., median_index(quantiles)], full


def pairs(
    forecasts: np.ndarray, quantiles: Sequence[float], levels: Sequence[float]
) -> dict[float, tuple[np.ndarray, np.ndarray]]:
    """The quantile bounds of each level: forecasts `(n, horizon, n_targets, Q)` -> level ->
    (lo, hi), each `(n, horizon, n_targets)`; raises ConfigError for a level not served."""
    served = servable_levels(quantiles)
    found = {}
    for level in check_servable(quantiles, levels):
        i, j = _positions(served, level)
        found[level] = (forecasts[..., i], forecasts[..., j])
    return found
