"""THE split: a series (or many) cut into training, validation and test parts, in time order.

- `split`: one series by fractions or timestamps, each later part with `context` rows from
  before it so that its first window can look back (`Split`);
- `SplitSpec`: how to split (fractions, the end timestamps of train and validation, or the
  last `test_size` / `val_size` rows of each series; `parse_fractions`), and `split_series`
  which applies it to one series or a collection (`SplitParts`; many series are cut at the
  same timestamps, `common_cut`);
- `first_origin`: where the forecast targets of a span begin (a fraction or row count at the
  end, or a timestamp): what `evaluate`, `predict_windows` and the fit-time hold-outs
  (`forecast.panel.fit_parts`) score.

NumPy and pandas only (no Keras): the command line builds its `SplitSpec` before Keras starts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from forecast.errors import ConfigError, DataError, check_positive_int
from forecast.series_set import SINGLE, SeriesSet, keyed
from forecast.settings import SPLIT


@dataclass(frozen=True)
class Split:
    """A chronological train / validation / test split of one series.

    `val` and `test` start with `context` rows taken from before them (the last rows of the
    previous part), so that their first window can look back; `val_start` / `test_start` are
    the positions in `val` / `test` where the span proper begins (fewer than `context` when the
    previous parts are shorter). Windows cut from them with `lookback == context`, or with any
    `lookback <= context` when those whose targets begin before `val_start` / `test_start` are
    skipped (`WindowFeeder(first_target=...)`), have every target inside the span: nothing of
    val or test is ever a training target, and no training target is used as a val/test target.
    """

    train: pd.DataFrame
    val: pd.DataFrame
    test: pd.DataFrame
    context: int

    @property
    def val_start(self) -> int:
        # Only as many context rows as train has could be prepended.
        return min(self.context, len(self.train))

    @property
    def test_start(self) -> int:
        # Only as many as train and the val span have together.
        return min(self.context, len(self.train) + len(self.val) - self.val_start)


def _boundary(spec: Any, index: pd.Index, n: int, name: str) -> int:
    """Translate a size (fraction, rows) or an end timestamp into a row count."""
    if isinstance(spec, bool):
        raise ConfigError(f"{name} must be a fraction, a row count or a timestamp, got {spec!r}")
    if isinstance(spec, (float, np.floating)):
        if not 0.0 <= spec <= 1.0:
            raise ConfigError(f"{name} as a fraction must lie in [0, 1], got {spec}")
        return round(spec * n)
    if isinstance(spec, (int, np.integer)):
        if spec < 0:
            raise ConfigError(f"{name} as a row count must be >= 0, got {spec}")
        return int(spec)
    if isinstance(index, pd.DatetimeIndex):
        try:
            stamp = pd.Timestamp(spec)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{name}={spec!r} is not a fraction, row count or timestamp") from exc
        return int(index.searchsorted(stamp, side="right"))
    raise ConfigError(f"{name}={spec!r} is a timestamp but the series has no time index")


def split(
    series: pd.DataFrame,
    train: Any = 0.7,
    val: Any = 0.15,
    test: Any = None,
    context: int = 0,
) -> Split:
    """Split a series chronologically into train, validation and test parts.

    Each of `train` / `val` / `test` is a fraction of the rows (float), a row count (int) or,
    for `train` and `val`, the last timestamp of that part (str or Timestamp, inclusive).
    `test=None` takes every row after validation; a fraction or count takes that many rows
    right after validation.

    Args:
        series: a frame in time order (as `load_series` returns it).
        train, val, test: the parts' sizes or end timestamps.
        context: rows before `val` and `test` to prepend to them, usually the lookback.

    Returns:
        A `Split`; `split.train` is never longer than its own span.

    Raises:
        ConfigError: for sizes that overlap or exceed the series.
    """
    if not isinstance(series, pd.DataFrame):
        raise ConfigError(f"split expects a pandas DataFrame, got {type(series).__name__}")
    context = check_positive_int("context", context, allow_zero=True)
    n = len(series)
    n_train = _boundary(train, series.index, n, "train")
    if isinstance(val, (str, pd.Timestamp)):
        end_val = _boundary(val, series.index, n, "val")
    else:
        end_val = n_train + _boundary(val, series.index, n, "val")
    if test is None:
        end_test = n
    else:
        if isinstance(test, (str, pd.Timestamp)):
            raise ConfigError("test takes a fraction or a row count; it runs after validation")
        end_test = end_val + _boundary(test, series.index, n, "test")
    _check_dates_inside(series.index, train, val, n_train, end_val)
    if not 0 < n_train <= end_val <= end_test <= n:
        raise ConfigError(
            f"split train={train!r}, val={val!r}, test={test!r} does not fit a series of {n} "
            f"rows (train ends at row {n_train}, val at {end_val}, test at {end_test}); "
            "fractions must sum to at most 1 and timestamps must be in order"
        )
    return Split(
        train=series.iloc[:n_train],
        val=series.iloc[max(0, n_train - context) : end_val],
        test=series.iloc[max(0, end_val - context) : end_test],
        context=context,
    )


def _check_dates_inside(index: pd.Index, train: Any, val: Any, n_train: int, end_val: int) -> None:
    """ConfigError for a train end before the data, or a val end leaving no rows to test."""
    if isinstance(train, (str, pd.Timestamp)) and n_train == 0:
        first = f"before the data's first timestamp {format_stamp(index[0])}; give a later date"
        raise ConfigError(f"train_end {train} is {first}", setting="train_end")
    if isinstance(val, (str, pd.Timestamp)) and end_val >= len(index) > n_train:
        last = f"at or after the data's last timestamp {format_stamp(index[-1])}"
        raise DataError(f"val_end {val} is {last}: it leaves no test rows", setting="val_end")


def format_stamp(value: Any) -> str:
    """A timestamp (or row number) as text, without a midnight time part (`1958-08-01`)."""
    text = str(value)
    return text.removesuffix(" 00:00:00")


def parse_fractions(value: str | Sequence[float], name: str = "fractions") -> tuple[float, ...]:
    """Check `(train, val, test)` fractions, given as numbers or as text like "0.6,0.2,0.2"
    (`forecast.settings.SPLIT`).

    Each lies in [0, 1], they sum to 1, and train and test are above 0 (val 0: no validation).

    Raises:
        ConfigError: naming `name` and the value given.
    """
    text = value if isinstance(value, str) else ",".join(str(v) for v in value)
    try:
        parts = tuple(float(v) for v in text.split(","))
    except ValueError:
        parts = ()
    ok = len(parts) == 3 and all(0 <= v <= 1 for v in parts) and abs(sum(parts) - 1) < 1e-6
    if not ok or parts[0] <= 0 or parts[2] <= 0:
        raise ConfigError(
            f"{name} must be three fractions like {','.join(f'{x:g}' for x in SPLIT)} summing "
            f"to 1 (train and test above 0), got {text!r}",
            setting=name,
        )
    return parts


@dataclass(frozen=True)
class SplitSpec:
    """Where to cut every series: by `(train, val, test)` fractions of its rows (of the
    shared time axis, for many dated series: `split_series`), at two timestamps (`train_end`,
    `val_end`: the last rows of training and validation, inclusive; the test part is
    everything after), or, the M4 protocol, by sizes: the last `test_size` rows of each
    series are its test part and the `val_size` rows before them its validation part.

    Raises ConfigError for fractions that are not three numbers summing to 1, for one
    timestamp without the other, a size that is not a positive row count, or two ways at once.
    """

    fractions: tuple[float, ...] | None = None
    train_end: Any = None
    val_end: Any = None
    test_size: int | None = None
    val_size: int | None = None

    def __post_init__(self) -> None:
        by_time = self.train_end is not None or self.val_end is not None
        if self.val_size is not None and self.test_size is None:
            raise ConfigError("val_size goes with test_size: give test_size", setting="val_size")
        if self.by_size:
            check_positive_int("test_size", self.test_size)
            check_positive_int("val_size", self.val_size or 0, allow_zero=True)
        if sum([by_time, self.fractions is not None, self.by_size]) > 1:
            raise ConfigError(
                "give one way to split, not both: fractions, train_end and val_end, or test_size"
            )
        if by_time and (self.train_end is None or self.val_end is None):
            raise ConfigError("train_end and val_end go together: give both timestamps")
        if not by_time and not self.by_size:
            fractions = self.fractions if self.fractions is not None else SPLIT
            object.__setattr__(self, "fractions", parse_fractions(fractions))

    @property
    def by_time(self) -> bool:
        return self.train_end is not None

    @property
    def by_size(self) -> bool:
        return self.test_size is not None


class KeyedParts(NamedTuple):
    """`SplitParts` as the package reads them (`SplitParts.sets`): every part a `SeriesSet`
    (a lone series' flag kept), every start `{id: row}`."""

    train: SeriesSet
    val: SeriesSet | None
    test: SeriesSet
    val_start: dict[str, int]
    test_start: dict[str, int]


@dataclass
class SplitParts:
    """A chronological train / validation / test split of a series or a collection, in the
    shape users get (`split_series`' return); `sets` gives the package's.

    Attributes:
        train: the training rows (a frame, or `{id: frame}`).
        val: validation rows with up to `context` rows before them, or None for no validation.
        test: test rows with up to `context` rows before them.
        val_start, test_start: where the validation / test span proper begins inside `val` /
            `test` (the rows before are context): an int, or `{id: int}` for a collection.
        spans: JSON-ready first / last timestamp and row count of each part (per series).
        evaluate_test: the `test=` value that makes `Forecaster.evaluate(full_series, test=)`
            score the same rows as the test part.
    """

    train: Any
    val: Any
    test: Any
    val_start: Any
    test_start: Any
    spans: dict[str, Any]
    evaluate_test: Any

    def sets(self) -> KeyedParts:
        """The parts as `SeriesSet`s and `{id: start}` (`forecast.series_set.keyed`): a lone
        series (the parts are frames) is a lone set, its starts keyed `SINGLE`."""
        train = keyed(self.train)
        starts = lambda value: {SINGLE: value} if train.lone else dict(value)  # noqa: E731
        val = None if self.val is None else keyed(self.val)
        return KeyedParts(train, val, keyed(self.test), starts(self.val_start),
                          starts(self.test_start))  # fmt: skip


def _span(frame: pd.DataFrame, start: int) -> dict[str, Any]:
    rows = len(frame) - start
    first = format_stamp(frame.index[start]) if rows else None
    last = format_stamp(frame.index[-1]) if rows else None
    return {"start": first, "end": last, "rows": rows}


def common_cut(frames: Mapping[str, pd.DataFrame], fractions: Sequence[float]) -> tuple:
    """Fractions of many dated series as two timestamps of their shared time axis (the
    union of their indexes), so that no series' test rows lie inside another's training
    rows; `(None, None, why)` when that cannot be: step numbers instead of timestamps, or a
    series with no training or no test row at the common cut.

    Returns `(train_end, val_end, note)`: the last training and validation timestamps.
    """
    if not all(isinstance(f.index, pd.DatetimeIndex) for f in frames.values()):
        why = "the series have step numbers, not timestamps"
        return None, None, f"{why}: each series is cut by its own fractions"
    axis = pd.DatetimeIndex(np.unique(np.concatenate([f.index.values for f in frames.values()])))
    n_train = max(1, round(fractions[0] * len(axis)))
    end_val = min(len(axis) - 1, n_train + round(fractions[1] * len(axis)))
    train_end, val_end = axis[n_train - 1], axis[end_val - 1]
    misfits = [k for k, f in frames.items() if f.index[0] > train_end or f.index[-1] <= val_end]
    if misfits:
        return (
            None,
            None,
            (
                f"{len(misfits)} of {len(frames)} series (e.g. {misfits[0]!r}) have no "
                "training or no test row at the shared time axis' cut: each series is cut by "
                "its own fractions, so one series' test rows may lie inside another's "
                "training rows"
            ),
        )
    return train_end, val_end, None


def split_series(
    series: pd.DataFrame | Mapping[str, pd.DataFrame],
    spec: SplitSpec | None = None,
    context: int = 0,
) -> SplitParts:
    """Split one series or a `{id: frame}` collection chronologically.

    Fractions cut many dated series at the same two timestamps of their shared time axis
    (`common_cut`: no look-ahead across series); where that cannot be, each series by its
    own fractions, and `spans["split_note"]` says why. `test_size` / `val_size` hold out the
    last rows of every series (the M4 protocol).

    Args:
        series: a frame from `load_series`, a collection, or a `SeriesSet`.
        spec: where to cut; default `SplitSpec()` (fractions `forecast.settings.SPLIT`).
        context: rows before val and test given to them as input history (the lookback).

    Returns a `SplitParts` (frames for a lone series, else `{id: frame}`); raises DataError
    when the test part of some series is empty.
    """
    spec = spec or SplitSpec()
    frames = keyed(series)
    collection = not frames.lone
    train_end, val_end, note = spec.train_end, spec.val_end, None
    if collection and not spec.by_time and not spec.by_size:
        train_end, val_end, note = common_cut(frames, spec.fractions)
    cuts: dict[str, Split] = {}
    spans, first_test = {}, set()
    for key, frame in frames.items():
        label = frames.label(key)
        if spec.by_size:  # a series too short for validation too gives up its val part
            if len(frame) <= spec.test_size:
                raise DataError(
                    f"{label}{len(frame)} rows leave no history before test_size={spec.test_size}",
                    setting="test_size",
                )
            val_rows = min(spec.val_size or 0, len(frame) - spec.test_size - 1)
            if not collection and val_rows < (spec.val_size or 0):  # one series: say so
                why = f"{spec.val_size} with test size {spec.test_size} leaves no training rows"
                raise ConfigError(f"val_size {why} in {len(frame)}", setting="val_size")
            cut = split(frame, len(frame) - spec.test_size - val_rows, val_rows, context=context)
        elif train_end is not None:
            cut = split(frame, train=str(train_end), val=str(val_end), context=context)
        else:
            train, val, _ = spec.fractions
            cut = split(frame, train=float(train), val=float(val), context=context)
        test_rows = len(cut.test) - cut.test_start
        if test_rows == 0:
            fix = "move val_end earlier" if spec.by_time else "the data is too short to split"
            raise DataError(f"{label}the split leaves no test rows of {len(frame)}; {fix}")
        cuts[key] = cut
        spans[key] = {
            "train": _span(cut.train, 0),
            "val": _span(cut.val, cut.val_start),
            "test": _span(cut.test, cut.test_start),
        }
        first_test.add(cut.test.index[cut.test_start])
    has_val = any(s["val"]["rows"] > 0 for s in spans.values())
    stamps = all(isinstance(t, pd.Timestamp) for t in first_test)
    if spec.by_size:
        evaluate_test: Any = spec.test_size  # the last rows of every series
    elif stamps and len(first_test) == 1:
        evaluate_test = format_stamp(next(iter(first_test)))
    elif stamps and train_end is not None:  # the first row after val_end, in every series
        evaluate_test = str(pd.Timestamp(val_end) + pd.Timedelta(1, "ns"))
    elif collection:
        evaluate_test = None if spec.by_time else float(spec.fractions[2])
    else:
        evaluate_test = test_rows  # step-indexed data: rows at the end
    info: dict[str, Any] = {"context": context}
    if spec.by_size:
        info.update({"test_size": spec.test_size, "val_size": spec.val_size or 0})
    elif train_end is not None:
        info.update({"train_end": format_stamp(train_end), "val_end": format_stamp(val_end)})
    if spec.fractions is not None:
        info["fractions"] = list(spec.fractions)
    if note:
        info["split_note"] = note
    info.update({"series": spans} if collection else spans[SINGLE])
    info["evaluate_test"] = evaluate_test

    def pick(name: str) -> Any:  # one `Split` attribute, per series or of the lone one
        values = {key: getattr(cut, name) for key, cut in cuts.items()}
        return values if collection else values[SINGLE]

    def part(name: str) -> Any:  # one part, in the shape users get
        return frames.with_frames({key: getattr(cut, name) for key, cut in cuts.items()}).unwrap()

    return SplitParts(
        train=part("train"),
        val=part("val") if has_val else None,
        test=part("test"),
        val_start=pick("val_start"),
        test_start=pick("test_start"),
        spans=info,
        evaluate_test=evaluate_test,
    )


def first_origin(index: pd.Index, start: Any, lookback: int) -> int:
    """Row of the first forecast target in a series with `index`: from `start` (a fraction of
    the rows at the end, a row count at the end, or a timestamp), never before `lookback`;
    `start=None`: `lookback`.

    Raises:
        ConfigError: for a fraction outside (0, 1) or a value that is none of the three.
    """
    n = len(index)
    if start is None:
        row = lookback
    elif isinstance(start, float):
        if not 0 < start < 1:
            raise ConfigError(f"a fractional start must lie in (0, 1), got {start}")
        row = n - round(start * n)
    elif isinstance(start, (int, np.integer)) and not isinstance(start, bool):
        row = n - int(start)
    else:
        try:
            row = int(index.searchsorted(pd.Timestamp(start), side="left"))
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{start!r} is not a fraction, a row count or a timestamp") from exc
    return max(row, lookback)
