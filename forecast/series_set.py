"""THE shape of "one series or many" inside the package: `SeriesSet`.

Users hand the toolkit a bare frame (one series), a mapping `{id: frame}` (a panel), or what
`load_series` returned them (one of those two). Inside the package every one of them is a
`SeriesSet`: an ordered, read-only mapping id → frame with

- `lone`: True for a single series given as a bare frame (keyed `SINGLE`): its messages name
  no series, and the public edge gives a bare frame back (`unwrap`);
- `future`: `{id: FutureRows}`, the known-future covariate rows after a series' last target
  value (`load_series(future_rows=True)` keeps them aside), an explicit field, read by the
  forecast (`forecast.known_future.extended`) and nowhere else.

`keyed` is the one function that builds a set from what users pass (the public edge);
`SeriesSet.unwrap` the one that turns a set (of data or of results) back into what users
get. pandas only: every stage may use it.
"""

from __future__ import annotations

from collections.abc import (
    Callable,
    ItemsView,
    Iterable,
    Iterator,
    KeysView,
    Mapping,
    ValuesView,
)
from dataclasses import dataclass

import numpy as np
import pandas as pd

SINGLE = "__single__"  # the key of a lone series
FUTURE_ATTR = "future"  # load_series' public return carries its FutureRows under this attr


@dataclass(frozen=True)
class FutureRows:
    """The rows after a series' last target value (targets empty), kept aside by
    `load_series(future_rows=True)`: known-future covariate values to forecast with
    (`forecast.known_future.future_frame`). Immutable, compared by value."""

    index: tuple
    columns: tuple
    values: tuple  # rows of floats, None for an empty cell

    @classmethod
    def of(cls, rows: pd.DataFrame) -> FutureRows:
        cells = rows.to_numpy(dtype=np.float64)
        values = tuple(tuple(None if np.isnan(v) else float(v) for v in row) for row in cells)
        return cls(tuple(rows.index), tuple(str(c) for c in rows.columns), values)

    def frame(self) -> pd.DataFrame:
        """The rows as a float frame `(rows, columns)` (NaN for empty cells)."""
        cells = np.array(self.values, dtype=np.float64).reshape(len(self.index), -1)
        return pd.DataFrame(cells, index=pd.Index(self.index), columns=list(self.columns))


class SeriesSet(Mapping[str, pd.DataFrame]):
    """An ordered mapping id → frame: one series or many, as the package passes them.

    Args:
        frames: `{id: frame}` in order (kept as given).
        lone: the set is one series given as a bare frame; then its one id is `SINGLE`.
        future: `{id: FutureRows}` of the ids that have known-future rows (others dropped).

    Raises:
        ValueError: for `lone` with ids other than `[SINGLE]` (a programming error).
    """

    __slots__ = ("_frames", "future", "lone")

    def __init__(
        self,
        frames: Mapping[str, pd.DataFrame],
        lone: bool = False,
        future: Mapping[str, FutureRows] | None = None,
    ) -> None:
        self._frames = dict(frames)
        if lone and list(self._frames) != [SINGLE]:
            raise ValueError(f"a lone series is keyed {SINGLE!r}, got {list(self._frames)[:3]}")
        self.lone = lone
        self.future = {k: v for k, v in (future or {}).items() if k in self._frames}

    @classmethod
    def one(cls, frame: pd.DataFrame, future: FutureRows | None = None) -> SeriesSet:
        """A lone series: `{SINGLE: frame}` with `lone` set."""
        return cls({SINGLE: frame}, lone=True, future=None if future is None else {SINGLE: future})

    def __getitem__(self, key: str) -> pd.DataFrame:
        return self._frames[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._frames)

    def __len__(self) -> int:
        return len(self._frames)

    def __contains__(self, key: object) -> bool:
        return key in self._frames

    def keys(self) -> KeysView[str]:  # the dict's own read-only views: no per-item lookup
        return self._frames.keys()

    def values(self) -> ValuesView[pd.DataFrame]:
        return self._frames.values()

    def items(self) -> ItemsView[str, pd.DataFrame]:
        return self._frames.items()

    def __repr__(self) -> str:
        kind = "lone series" if self.lone else f"{len(self)} series"
        return f"SeriesSet({kind}: {list(self._frames)[:5]}{', ...' if len(self) > 5 else ''})"

    def with_frames(self, frames: Mapping[str, pd.DataFrame]) -> SeriesSet:
        """A set of the same kind over new frames for these ids or some of them (parts cut,
        frames transformed, a subset): the `lone` flag (while the lone series is kept) and
        the future rows of the ids kept come along."""
        return SeriesSet(frames, lone=self.lone and bool(frames), future=self.future)

    def map(self, fn: Callable[[pd.DataFrame], pd.DataFrame]) -> SeriesSet:
        """`fn` applied to every frame, in order (`with_frames`)."""
        return self.with_frames({k: fn(f) for k, f in self._frames.items()})

    def only(self, keys: Iterable[str]) -> SeriesSet:
        """The series of `keys`, in that order (`with_frames`)."""
        return self.with_frames({k: self._frames[k] for k in keys})

    def label(self, key: str) -> str:
        """The error prefix of series `key`: "" for a lone series, else "series 'id': "."""
        return "" if self.lone else f"series {key!r}: "

    def unwrap(self) -> pd.DataFrame | dict[str, pd.DataFrame]:
        """What users get back: the bare frame of a lone series, else `{id: frame}`."""
        return self._frames[SINGLE] if self.lone else dict(self._frames)


def keyed(series: pd.DataFrame | Mapping[str, pd.DataFrame]) -> SeriesSet:
    """THE builder at the public edge: a bare frame → a lone set; a mapping `{id: frame}` →
    a set keyed by `str(id)`, in order; a `SeriesSet` as it is. A frame `load_series`
    returned with future rows (its `attrs["future"]`, the public format) gives them to the
    set's `future` field; the frame inside no longer carries them.

    Raises:
        TypeError: for anything else (loading raw data is `forecast.series.as_collection`'s).
    """
    if isinstance(series, SeriesSet):
        return series
    if isinstance(series, pd.DataFrame):
        frame, future = _lifted(series)
        return SeriesSet.one(frame, future)
    if isinstance(series, Mapping):
        lifted = {str(k): _lifted(f) for k, f in series.items()}
        future = {k: rows for k, (_, rows) in lifted.items() if rows is not None}
        return SeriesSet({k: f for k, (f, _) in lifted.items()}, future=future)
    raise TypeError(f"expected a DataFrame or a mapping of them, got {type(series).__name__}")


def _lifted(frame: pd.DataFrame) -> tuple[pd.DataFrame, FutureRows | None]:
    """`(frame without attrs["future"], its FutureRows or None)`; the caller's frame is left
    as it is (a shallow copy carries the other attrs)."""
    rows = frame.attrs.get(FUTURE_ATTR)
    if rows is None:
        return frame, None
    out = frame.copy(deep=False)
    out.attrs = {k: v for k, v in frame.attrs.items() if k != FUTURE_ATTR}
    return out, rows
