"""Cut series into (lookback → horizon) windows without copying and feed them to Keras.

A window of a series `values (length, features)` is the pair

    X = values[i : i + lookback, input_cols]                       (lookback, n_inputs)
    y = values[i + lookback : i + lookback + horizon, target_cols]  (horizon, n_targets)

for every start `i = 0, stride, 2 * stride, ...` that fits. `make_windows` returns all of them as
strided views of `values` (no copy, memory O(length)); `WindowFeeder` gathers one batch at a
time from those views for `keras.Model.fit`, so training never holds every window in memory.

Windows only: the split of a series into its parts is `forecast.splits`. Column
convention: targets first, covariates after (`target_cols=slice(0, n_targets)`); called
directly, `make_windows` and `WindowFeeder` default to every column for both.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from forecast.errors import ConfigError, DataError, check_positive_int
from forecast.gaps import check_window_fits, complete_windows

Cols = int | slice | Sequence[int] | None


def _as_slice(cols: Cols, n_features: int, default: slice) -> slice | list[int]:
    """Turn a column selection into a slice when possible (a slice keeps numpy views)."""
    if cols is None:
        return default
    if isinstance(cols, slice):
        return cols
    if isinstance(cols, (int, np.integer)):
        cols = [int(cols)]
    idx = [int(c) for c in cols]
    if not idx:
        raise ConfigError("column selection is empty")
    for c in idx:
        if not -n_features <= c < n_features:
            raise ConfigError(f"column index {c} is out of range for {n_features} columns")
    idx = [c % n_features for c in idx]
    if len(idx) == 1:
        return slice(idx[0], idx[0] + 1)
    step = idx[1] - idx[0]
    if step > 0 and all(b - a == step for a, b in itertools.pairwise(idx)):
        return slice(idx[0], idx[-1] + 1, step)
    return idx


def window_count(length: int, lookback: int, horizon: int, stride: int = 1) -> int:
    """Number of windows: `floor((length - lookback - horizon) / stride) + 1`, or 0."""
    span = length - lookback - horizon
    return span // stride + 1 if span >= 0 else 0


def _as_2d(values: Any) -> np.ndarray:
    if isinstance(values, (pd.DataFrame, pd.Series)):
        values = values.to_numpy(dtype=np.float32)
    arr = np.asarray(values)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise DataError(f"values must be 1-D or 2-D (length, features), got shape {arr.shape}")
    return arr


def make_windows(
    values: Any,
    lookback: int,
    horizon: int,
    stride: int = 1,
    target_cols: Cols = None,
    input_cols: Cols = None,
    ahead: int = 0,
    complete: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Return every (lookback → horizon) window of a series as zero-copy views.

    Args:
        values: array `(length, features)` or `(length,)`, usually the scaled series.
        lookback: input steps per window.
        horizon: steps to forecast after each input window.
        stride: steps between consecutive window starts.
        target_cols: columns forecast (int, slice or list); default: every column.
        input_cols: columns fed to the model; default: every column.
        ahead: rows of the horizon given as input too (0 or `horizon`): known-future
            covariates; the model must read only those columns of them.

    Returns:
        `X (n, lookback + ahead, n_inputs)` and `y (n, horizon, n_targets)`, with
        `n = floor((length - lookback - horizon) / stride) + 1`; both share memory with
        `values` (a non-contiguous column list such as `[0, 2, 3]` costs one O(length) copy).
        With gap rows (NaN, `forecast.gaps`) only the windows inside gap-free segments, a
        copy, unless `complete=False` (every window: `WindowFeeder` picks them, no copy).

    Raises:
        DataError: when the series is shorter than `lookback + horizon`.

    Example:
        >>> X, y = make_windows(np.arange(10.0), lookback=3, horizon=2)
        >>> X.shape, y.shape, X[0, :, 0].tolist(), y[0, :, 0].tolist()
        ((6, 3, 1), (6, 2, 1), [0.0, 1.0, 2.0], [3.0, 4.0])
    """
    lookback = check_positive_int("lookback", lookback)
    horizon = check_positive_int("horizon", horizon)
    stride = check_positive_int("stride", stride)
    arr = _as_2d(values)
    length, n_features = arr.shape
    check_window_fits(length, lookback, horizon)
    all_cols = slice(None)
    inputs = _as_slice(input_cols, n_features, all_cols)
    targets = _as_slice(target_cols, n_features, all_cols)

    def windows(cols: slice | list[int]) -> np.ndarray:
        # Pick the columns before windowing: a slice is a view, a column list one
        # (length, k) copy; picking them after would copy every window.
        part = arr[:, cols]
        # (n, k, lookback + horizon) -> (n, lookback + horizon, k); both are views of `part`.
        return sliding_window_view(part, lookback + horizon, axis=0)[::stride].transpose(0, 2, 1)

    ahead = check_positive_int("ahead", ahead, allow_zero=True)
    X, y = windows(inputs)[:, : lookback + min(ahead, horizon)], windows(targets)[:, lookback:]
    ok = complete_windows(arr, lookback, horizon, stride) if complete else None
    return (X, y) if ok is None else (X[ok], y[ok])


class WindowFeeder(keras.utils.PyDataset):
    """Batches of (lookback → horizon) windows gathered from zero-copy views, for `fit`.

    Takes one series or many (a list of arrays, one per series, for a global model). Window
    starts are indexed per series, so no window ever crosses from one series into another or
    a gap row (`forecast.gaps`; `gap_windows` counts those left out). One batch at a time.

    Args:
        series: array `(length, features)` or a list of such arrays (same `features`).
        lookback, horizon, stride: the window geometry (see `make_windows`).
        batch_size: windows per batch.
        shuffle: draw batches in a new random order every epoch (seeded by `seed`).
        seed: seed of the shuffling order.
        windows_per_epoch: an epoch is this many windows (None: every window), drawn anew
            each epoch from the shuffled order (without `shuffle`: the first ones), so one
            epoch of a huge panel is bounded; seeded like the order, so reproducible.
        target_cols, input_cols: column selections as in `make_windows`.
        first_target: per series, the first row that may be a target (e.g. `split.val_start`):
            windows whose targets begin before it are skipped. An int applies to every series.
        dtype: dtype of the batches.
        ahead: horizon rows in the inputs too (known-future covariates, `make_windows`).

    Each item is `(X (batch, lookback + ahead, n_inputs), y (batch, horizon, n_targets))`.
    """

    def __init__(
        self,
        series: Any,
        lookback: int,
        horizon: int,
        batch_size: int = 128,
        shuffle: bool = True,
        seed: int | None = 0,
        stride: int = 1,
        target_cols: Cols = None,
        input_cols: Cols = None,
        first_target: int | Sequence[int] = 0,
        dtype: str = "float32",
        ahead: int = 0,
        windows_per_epoch: int | None = None,
    ):
        super().__init__(workers=1, use_multiprocessing=False)
        arrays = list(series) if isinstance(series, (list, tuple)) else [series]
        if not arrays:
            raise DataError("no series given to the feeder")
        self.lookback = check_positive_int("lookback", lookback)
        self.horizon = check_positive_int("horizon", horizon)
        self.batch_size = check_positive_int("batch_size", batch_size)
        ahead = check_positive_int("ahead", ahead, allow_zero=True)
        self.steps = self.lookback + min(ahead, self.horizon)  # input rows per window
        stride = check_positive_int("stride", stride)
        firsts = (
            [first_target] * len(arrays)
            if isinstance(first_target, (int, np.integer))
            else list(first_target)
        )
        if len(firsts) != len(arrays):
            raise ConfigError(
                f"first_target has {len(firsts)} values for {len(arrays)} series; give one per "
                "series or a single int"
            )
        self.shuffle = shuffle
        self._X: list[np.ndarray] = []
        self._y: list[np.ndarray] = []
        skips, counts, chosen, self.gap_windows, n_columns = [], [], [], 0, -1
        for k, (arr, first) in enumerate(zip(arrays, firsts, strict=True)):
            arr = np.asarray(_as_2d(arr), dtype=dtype)
            n_columns = arr.shape[1] if k == 0 else n_columns
            if arr.shape[1] != n_columns:
                raise DataError(
                    f"series {k} has {arr.shape[1]} columns but series 0 has {n_columns}; "
                    "every series needs the same columns"
                )
            skip, count, numbers = 0, 0, None
            if len(arr) >= self.lookback + self.horizon:
                X, y = make_windows(arr, self.lookback, self.horizon, stride, target_cols,
                                    input_cols, ahead, complete=False)  # fmt: skip
                skip = min(len(X), max(0, math.ceil((int(first) - self.lookback) / stride)))
                ok = complete_windows(arr, self.lookback, self.horizon, stride)
                numbers = None if ok is None else ok[ok >= skip]  # gaps: windows in segments
                count = len(X) - skip if numbers is None else len(numbers)
                self.gap_windows += len(X) - skip - count
            else:
                X = np.empty((0, self.steps, 0), dtype)
                y = np.empty((0, self.horizon, 0), dtype)
            self._X.append(X)
            self._y.append(y)
            skips.append(skip)
            counts.append(count)
            chosen.append(numbers)
        if sum(counts) == 0:  # the rows from the first target's inputs on, in the longest
            rows = max(
                len(a) - max(int(f) - self.lookback, 0) for a, f in zip(arrays, firsts, strict=True)
            )
            check_window_fits(rows, self.lookback, self.horizon, "the longest series")
            check_window_fits(rows, self.lookback, self.horizon, "", windows=0)  # gaps
        self.skipped_series = sum(1 for X in self._X if len(X) == 0)
        # Window g of the epoch is window `g - cum[k] + skip[k]` of series k, cum[k] <= g <
        # cum[k + 1] (with gaps: `_numbers[g]`): one index per window is kept (int32 when it
        # fits), shuffled in place.
        self._skip = np.asarray(skips, dtype=np.int64)
        self._cum = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        n = int(self._cum[-1])
        self._order = np.arange(n, dtype=np.int32 if n < 2**31 else np.int64)
        whole = zip(skips, counts, chosen, strict=True)
        runs = [np.arange(a, a + c) if w is None else w for a, c, w in whole]
        self._numbers = np.concatenate(runs).astype(np.int64) if self.gap_windows else None
        if windows_per_epoch is not None:
            n = min(n, check_positive_int("windows_per_epoch", windows_per_epoch, or_none=True))
        self.epoch_windows = n  # windows in one epoch
        self.reseed(seed)
        live = [k for k in range(len(arrays)) if counts[k] > 0]
        self._single = len(live) == 1
        self.n_inputs = self._X[live[0]].shape[-1]
        self.n_targets = self._y[live[0]].shape[-1]

    @property
    def n_windows(self) -> int:
        return int(self._cum[-1])

    def __len__(self) -> int:
        return math.ceil(self.epoch_windows / self.batch_size)

    def batch_indices(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """(series number, window number within it) of every window in batch `index`."""
        stop = min((index + 1) * self.batch_size, self.epoch_windows)
        pick = self._order[index * self.batch_size : stop].astype(np.int64)
        series_of = np.searchsorted(self._cum, pick, side="right") - 1
        if self._numbers is not None:
            return series_of, self._numbers[pick]
        return series_of, pick - self._cum[series_of] + self._skip[series_of]

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} out of range for {len(self)} batches")
        series_of, start_of = self.batch_indices(index)
        if self._single:
            k = int(series_of[0])
            return self._X[k][start_of], self._y[k][start_of]
        X = np.empty((len(start_of), self.steps, self.n_inputs), self._X[0].dtype)
        y = np.empty((len(start_of), self.horizon, self.n_targets), self._y[0].dtype)
        for k in np.unique(series_of):
            mask = series_of == k
            X[mask] = self._X[k][start_of[mask]]
            y[mask] = self._y[k][start_of[mask]]
        return X, y

    def on_epoch_end(self) -> None:
        if self.shuffle:
            self._rng.shuffle(self._order)

    def reseed(self, seed: int | None) -> None:
        """Restart the batch order as a new feeder with this `seed` would have it (each
        ensemble member gets its own stream, whatever the members before it consumed)."""
        self._rng = np.random.default_rng(seed)
        self._order.sort()
        if self.shuffle:
            self._rng.shuffle(self._order)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Every window in feeding order, materialized (for prediction on small spans)."""
        parts = [self[i] for i in range(len(self))]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
