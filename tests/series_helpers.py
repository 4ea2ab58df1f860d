"""Small step-indexed panels the panel, combination and refit tests share."""

from __future__ import annotations

import numpy as np
import pandas as pd


def _frame(values: np.ndarray) -> pd.DataFrame:
    """One step-indexed series `y` (no timestamps, like the M4 files), as load_series tags it."""
    frame = pd.DataFrame({"y": values}, index=pd.RangeIndex(1, len(values) + 1, name="step"))
    frame.attrs["forecast"] = {"target": ["y"], "covariates": [], "freq": None}
    return frame


def step_series(lengths: dict[str, int]) -> dict[str, pd.DataFrame]:
    """Noisy sinusoids of the given lengths, levels 10x apart."""
    rng = np.random.default_rng(0)
    out = {}
    for n, (key, length) in enumerate(lengths.items()):
        values = 10.0**n * (5 + np.sin(np.arange(length) / 3) + 0.1 * rng.standard_normal(length))
        out[key] = _frame(values)
    return out


def periodic_series(n_series: int = 3, length: int = 48) -> dict[str, pd.DataFrame]:
    """Series repeating a 4-step pattern exactly (seasonal naive is perfect), keyed s0, s1..."""
    return {
        f"s{k}": _frame(10.0 ** (k + 1) * np.tile([1.0, 3.0, 2.0, 5.0], length // 4))
        for k in range(n_series)
    }
