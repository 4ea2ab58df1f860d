"""Gaps inside a series: the rows `load_series(fill="drop")` leaves empty (every column NaN)
where values or timestamps are missing. NumPy only, below every stage that cuts windows.

A series with gap rows is a run of gap-free segments (`segments`); a window (its lookback
rows and its horizon rows) counts only when it lies inside one segment (`complete_windows`
for the feeders' window numbers, `complete_origins` for the first target rows that scoring
uses). Nothing is ever filled: the windows that would span a gap are left out.

`check_window_fits` is THE window-fits check: every place that needs one window of
`lookback + horizon` rows (the data, a training or test part, the feeders) asks it, so the
message is one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from forecast.errors import DataError


def check_window_fits(
    rows: int, lookback: int, horizon: int, what: str = "the series", windows: int | None = None
) -> None:
    """Raise DataError unless `rows` hold one window: `lookback` input rows and `horizon`
    target rows; with `windows`, the count of such windows inside gap-free segments
    (`complete_windows`, `complete_origins`), unless one is left.

    Args:
        rows: the rows of the part checked (`what`: "the data", "series 'a': the test part").
        lookback, horizon: the window geometry.
        what: the part, as the message names it.
        windows: the complete windows counted, when gaps may leave none (None: not counted).

    Raises:
        DataError: "{what} has {rows} rows, too short: one window needs lookback + horizon =
            {need} rows; ...", or, for `windows` 0, that every window of `what` spans a gap
            (`what` "": of any series).
            The fix is written `lookback=` / `horizon=` (the command line reads its options).
    """
    need = lookback + horizon
    fix = "give more rows, or a shorter lookback= or horizon="
    if rows < need:
        raise DataError(
            f"{what} has {rows} rows, too short: one window needs lookback + horizon = "
            f"{need} rows; {fix}"
        )
    if windows == 0:  # `what` "" for the feeders: "every window spans a gap"
        where = f" of {what}" if what else ""
        raise DataError(
            f"every window{where} spans a gap (missing values left by fill='drop'): one "
            f"window needs lookback + horizon = {need} rows in a row without a gap; {fix}"
        )


def gap_rows(values: Any) -> np.ndarray | None:
    """Rows `(length,)` of `values` `(length, features)` or `(length,)` with a missing value
    (NaN); None when there is none."""
    nan = np.isnan(np.asarray(values))
    if not nan.any():  # one flat reduction: fast on the many small series of a panel
        return None
    return nan.any(axis=1) if nan.ndim == 2 else nan


def segments(values: Any) -> list[tuple[int, int]]:
    """The gap-free segments of a series: `[(start, stop), ...]` row ranges without a
    missing value, in order (`[(0, length)]` without gaps)."""
    n, bad = len(values), gap_rows(values)
    if bad is None:
        return [(0, n)] if n else []
    edges = np.flatnonzero(np.diff(np.concatenate([[1], bad.astype(np.int8), [1]])))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _seen(bad: np.ndarray) -> np.ndarray:
    """Gap rows before each row `(length + 1,)`: a window `[a, b)` is complete when
    `seen[b] == seen[a]`."""
    return np.concatenate([[0], np.cumsum(bad, dtype=np.int64)])


def complete_windows(
    values: Any, lookback: int, horizon: int, stride: int = 1
) -> np.ndarray | None:
    """Numbers `(m,)` of the windows (as `forecast.windowing.make_windows` counts them: window
    `i` starts at row `i * stride`) that lie inside one segment: every row of their lookback
    and horizon observed. None when every window does (a series without gaps)."""
    bad = gap_rows(values)
    if bad is None:
        return None
    span = len(bad) - lookback - horizon
    starts = np.arange(span // stride + 1 if span >= 0 else 0, dtype=np.int64) * stride
    seen = _seen(bad)
    return np.flatnonzero(seen[starts + lookback + horizon] == seen[starts])


def complete_origins(values: Any, first: int, inputs: int, horizon: int) -> np.ndarray:
    """First target rows `o >= max(first, inputs)` `(m,)`, ascending, of the windows whose
    `inputs` rows before `o` and `horizon` rows from `o` are all observed."""
    origins = np.arange(max(first, inputs), len(values) - horizon + 1)
    bad = gap_rows(values)
    if bad is None or len(origins) == 0:
        return origins
    seen = _seen(bad)
    return origins[seen[origins + horizon] == seen[origins - inputs]]


def observed_tail(values: np.ndarray) -> np.ndarray:
    """The rows of `values` after its last gap row (all of them without gaps)."""
    bad = gap_rows(values)
    return values if bad is None else values[int(np.flatnonzero(bad)[-1]) + 1 :]
