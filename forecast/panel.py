"""Many series at once: held-out parts, series too short to train on, batched forecasts.

- `fit_parts` / `split_last`: the training and validation parts `Forecaster.fit` uses,
  every way it accepts them (`forecast.splits` holds the split itself).
- `trainable`: which series can give a training window; the others are left out of
  training and forecast by a named fallback (`fallback_method`: the linear baseline where
  its input fits, else seasonal naive, else naive).
- `window_forecasts`: every window of every series as ONE array of windows, predicted by
  ONE `model.predict` call (in batches), not one call per series.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from forecast import competition
from forecast.errors import ConfigError, DataError
from forecast.evaluation import Report, evaluate_forecasts
from forecast.gaps import check_window_fits, complete_origins, complete_windows, observed_tail
from forecast.linear import LookbackChoice, choose_lookback, longest_fitting
from forecast.quantiles import split as quantile_split
from forecast.scaling import PanelScaler, SeriesScaler
from forecast.series import series_info
from forecast.series_set import SeriesSet, keyed
from forecast.splits import SplitParts, SplitSpec, first_origin, split, split_series
from forecast.windowing import WindowFeeder

PREDICT_BATCH = 1024  # windows per model call when predicting
# Predict calls hold a multiple of this many windows (zero windows pad the last): on CPU the
# float32 kernels give a window the same output whatever its batch's size then (checked for
# sizes that are multiples of 8), so a series' forecast does not depend on how many series
# share the call: predicting a panel by shards equals one call (forecast.distributed.predict)
PREDICT_ROWS = 16
COVERED = 0.9  # share of series whose training part holds the longest lookback tried
AUTO_ORIGINS = "auto"  # val_origins: `horizon` validation origins per series
# The `val_origins` setting: "auto" or a positive int (`check_val_origins`), declared once here.
VAL_ORIGINS = (AUTO_ORIGINS, "a positive number")


def check_val_origins(value: Any) -> int | str:
    """Check a `val_origins` setting: "auto" (any case) or a positive int (a numeric string
    from the command line is read as one). Returns "auto" or the int.

    Raises:
        ConfigError: naming the setting and the value.
    """
    if isinstance(value, str) and value.strip().lower() == AUTO_ORIGINS:
        return AUTO_ORIGINS
    number = int(value.strip()) if isinstance(value, str) and value.strip().isdigit() else value
    if isinstance(number, int | np.integer) and not isinstance(number, bool) and number >= 1:
        return int(number)
    raise ConfigError(
        f"val_origins must be {VAL_ORIGINS[0]!r} or {VAL_ORIGINS[1]} of validation origins per "
        f"series, got {value!r}",
        setting="val_origins",
    )


def origins_wanted(setting: Any, horizon: int) -> int:
    """Validation origins per series the `val_origins` setting asks for: "auto" gives
    `horizon` (origins one row apart: the validation targets span `2 * horizon - 1` rows),
    an int itself."""
    value = check_val_origins(setting)
    return horizon if value == AUTO_ORIGINS else value


def roll_validation(
    train: SeriesSet,
    held: SeriesSet,
    starts: dict[str, int],
    horizon: int,
    origins: int,
    context: int,
    need: int,
) -> tuple[SeriesSet, SeriesSet, dict[str, int]]:
    """Roll each series' validation part back until it holds `origins` windows (origins one
    row apart, each with `horizon` targets inside the validation span): the last rows of the
    training part move to the validation span, so every training target stays before every
    validation target (no leak). A series gives at most the rows beyond `need` (lookback +
    horizon: one training window), so no trainable series becomes too short; a validation
    span that already holds `origins` windows is left as it is.

    Args:
        train: the training parts; held: the validation parts with context; starts:
            `{id: first validation row of held[id]}` (its rows before are context: the last
            rows of train[id]), as `split_last` gives them.
        horizon: steps forecast; origins: windows wanted per series; context: rows of
            history the rolled parts get before their validation span; need: rows a
            training part keeps at least.

    Returns:
        `(train, held, starts)` rolled, keyed as given (series without a validation part
        unchanged).
    """
    heads, tails, starts = dict(train), dict(held), dict(starts)
    for key in list(held):
        frame, start, head = held[key], starts[key], heads.get(key)
        have = len(frame) - start - horizon + 1  # windows of the validation span now
        extra = min(max(origins - have, 0), max(len(head) - need, 0) if head is not None else 0)
        if extra <= 0:
            continue
        cut = len(head) - extra  # the new first validation row, counted in the training part
        begin = max(cut - context, 0)
        rolled = pd.concat([head.iloc[begin:], frame.iloc[start:]])
        rolled.attrs = dict(frame.attrs)
        heads[key], tails[key], starts[key] = head.iloc[:cut], rolled, cut - begin
    return train.with_frames(heads), held.with_frames(tails), starts


class Span(NamedTuple):
    """The forecasts of every window of one series over a span (`window_spans`), in
    original units; `n` windows, `horizon` steps, `n_targets` targets.

    Attributes:
        origins: `(n,)` each window's first target row.
        forecasts: `(n, horizon, n_targets)` the forecasts (the model's, or the fallback's).
        actual: `(n, horizon, n_targets)` the actual values.
        baselines: `{name: (n, horizon, n_targets)}` every baseline's forecasts.
        method: "model", a fallback's name, or what the guard chose (`forecast.guard`).
        quantiles: `(n, horizon, n_targets, Q)` the model's quantile forecasts, or None.
    """

    origins: np.ndarray
    forecasts: np.ndarray
    actual: np.ndarray
    baselines: dict[str, np.ndarray]
    method: str
    quantiles: np.ndarray | None = None


def split_last(
    data: SeriesSet, size: float | int, context: int, name: str = "val"
) -> tuple[SeriesSet, SeriesSet, dict[str, int]]:
    """Hold out the last `size` rows (an int) or fraction (a float) of every series.

    Args:
        data: the series; size: rows or fraction held out of each series; context: rows
            of history given to the held-out part; name: the setting's name, for errors.

    Returns:
        `(head, tail, tail_start)`: the rows before, the held-out rows with their context, and
        where each held-out span proper begins in its tail frame, all keyed like `data`.

    Raises:
        ConfigError: for a size that is not in (0, 1) or a row count below the series' length.
    """
    head, tail, starts = {}, {}, {}
    for key, frame in data.items():
        n_out = round(size * len(frame)) if isinstance(size, float) else int(size)
        if not 0 < n_out < len(frame):
            raise ConfigError(
                f"{name} must be a fraction in (0, 1) or a row count below {len(frame)}, got "
                f"{size!r}",
                setting=name,
            )
        cut = split(frame, train=len(frame) - n_out, val=n_out, test=0, context=context)
        head[key], tail[key], starts[key] = cut.train, cut.val, cut.val_start
    return data.with_frames(head), data.with_frames(tail), starts


def fit_parts(
    series: Any,
    val: Any,
    context: int,
    horizon: int,
    collect: Callable[[Any], SeriesSet],
    origins: int = 1,
) -> tuple[SeriesSet, SeriesSet, SeriesSet, dict[str, int]]:
    """The parts `Forecaster.fit` trains on, every way it accepts them.

    Args:
        series: the data (anything `collect` reads), or a `SplitParts` (its training and
            validation parts; `val` is then ignored).
        val: a fraction or row count held out from the end of each series; separate
            validation data (a frame, path or mapping: no context rows); a `SplitSpec`
            cutting `series`; or 0 / None for no validation.
        context: rows of history given to held-out validation parts (the lookback).
        horizon: steps forecast (a validation part needs at least that many rows).
        collect: turns data into a `SeriesSet` (`Forecaster.collection`; a mapping it
            returns is taken as a set of many series).
        origins: validation windows wanted per series (`origins_wanted`): a validation part
            cut from the series with fewer is rolled back (`roll_validation`, keeping
            `context + horizon` training rows); separate validation data is used as given.

    Returns:
        `(data, train, val, val_start)`, keyed like `collect`'s output: the data fitted on (a
        split's training part), training parts, validation parts (with context; an empty
        set without validation), and where each validation span begins. Raises ConfigError
        / DataError for a bad `val`.
    """
    data, train, held, starts = _parts(series, val, context, horizon, lambda x: keyed(collect(x)))
    if origins > 1 and held and not _separate(series, val):
        train, held, starts = roll_validation(
            train, held, starts, horizon, origins, context, context + horizon
        )
    return data, train, held, starts


def _separate(series: Any, val: Any) -> bool:
    """Whether `val` is separate validation data (not cut from `series`)."""
    cut = isinstance(series, SplitParts) or isinstance(val, SplitSpec)
    return not cut and isinstance(val, pd.DataFrame | Mapping | str | os.PathLike)


def _parts(
    series: Any,
    val: Any,
    context: int,
    horizon: int,
    collect: Callable[[Any], SeriesSet],
) -> tuple[SeriesSet, SeriesSet, SeriesSet, dict[str, int]]:
    """`fit_parts` before any rolling: the validation part as `val` cuts it."""
    if isinstance(series, SplitParts) or isinstance(val, SplitSpec):
        parts = series
        if not isinstance(series, SplitParts):
            parts = split_series(collect(series), val, context)
        cut = parts.sets()
        train = collect(cut.train)
        if cut.val is None:
            return train, train, train.only([]), {}
        return train, train, collect(cut.val), cut.val_start
    data = collect(series)
    if isinstance(val, pd.DataFrame | Mapping | str | os.PathLike):
        held = collect(val)
        return data, data, held, dict.fromkeys(held, 0)
    if val is None or (val == 0 and not isinstance(val, bool)):
        return data, data, data.only([]), {}
    train, held, starts = split_last(data, val, context)
    for key, frame in held.items():
        if len(frame) - starts[key] < horizon:
            raise DataError(
                f"{held.label(key)}the validation slice has {len(frame) - starts[key]} rows but "
                f"needs at least horizon = {horizon}; use a larger val"
            )
    return data, train, held, starts


def gap_windows(frames: Mapping[str, pd.DataFrame], lookback: int, horizon: int) -> int:
    """How many windows of `frames` `{id: frame}` are left out because they would span a
    gap row (`forecast.gaps`): the feeders cut windows inside gap-free segments only."""
    lost = 0
    for frame in frames.values():
        complete = complete_windows(frame.to_numpy(), lookback, horizon)
        if complete is not None:
            lost += max(len(frame) - lookback - horizon + 1, 0) - len(complete)
    return lost


def trainable(train: Mapping[str, pd.DataFrame], need: int) -> tuple[list[str], list[str]]:
    """`(kept, short)`: the ids of the series whose training part holds at least `need`
    rows (lookback + horizon: one training window), and of those that do not."""
    kept = [k for k, f in train.items() if len(f) >= need]
    return kept, [k for k in train if k not in kept]


def fallback_method(rows: int, lookback: int, season: int, linear_fitted: bool) -> str:
    """What forecasts a series the model was not trained on or cannot read: "linear" (the
    global linear baseline) when `rows >= lookback`, else "seasonal_naive" when a season
    fits (`season > 1`, `rows >= season`), else "naive"."""
    if linear_fitted and rows >= lookback:
        return "linear"
    return "seasonal_naive" if 1 < season <= rows else "naive"


def short_series_note(
    short: Sequence[str], total: int, methods: Mapping[str, str], why: str = "too short to train on"
) -> str:
    """'2 of 5 series too short to train on (e.g. 'Q1'): forecast with naive (2)' (`why`
    says why those series are forecast by a baseline)."""
    counts = pd.Series([methods[k] for k in short]).value_counts()
    used = ", ".join(f"{name} ({n})" for name, n in counts.items())
    return f"{len(short)} of {total} series {why} (e.g. {short[0]!r}): forecast with {used}"


def window_forecasts(
    predict: Callable[[Any], np.ndarray],
    arrays: Mapping[str, np.ndarray],
    firsts: Mapping[str, int],
    lookback: int,
    horizon: int,
    n_targets: int,
    ahead: int = 0,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Model forecasts of every window of many series, from ONE batched prediction.

    Args:
        predict: the model's `predict`, called once on a feeder of every window.
        arrays: `{id: scaled (length, features)}`; firsts: `{id: first target row}`
            (>= lookback).
        lookback, horizon, n_targets: the window and the number of target columns.
        ahead: horizon rows in the model's input too (known-future covariates).

    Returns:
        `{id: (origins (n,), scaled predictions (n, horizon, n_targets))}`, for the series
        with at least one window (the others are left out).
    """
    origins = {k: complete_origins(a, firsts[k], lookback, horizon) for k, a in arrays.items()}
    keys = [k for k in arrays if len(origins[k])]  # windows inside gap-free segments only
    if not keys:
        return {}
    feeder = WindowFeeder(
        [arrays[k] for k in keys], lookback, horizon, batch_size=PREDICT_BATCH, shuffle=False,
        target_cols=slice(0, n_targets), first_target=[firsts[k] for k in keys], ahead=ahead,
    )  # fmt: skip
    preds = predict(feeder)
    out, at = {}, 0
    for key in keys:
        out[key] = (origins[key], preds[at : at + len(origins[key])])
        at += len(origins[key])
    return out


def unscaled(
    scaler: PanelScaler | SeriesScaler, key: str, out: np.ndarray, quantiles: Sequence[float] | None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Model outputs `out` of series `key` in original units: the point forecasts `(n,
    horizon, n_targets)` (the median with quantile heads) and the quantile forecasts `(n,
    horizon, n_targets, Q)` or None (`forecast.quantiles.split`)."""
    invert = functools.partial(scaler.inverse_transform_targets, key=key)
    return quantile_split(invert, out, quantiles)


def input_rows(data: SeriesSet, lookback: int) -> dict[str, int]:
    """`{id: rows}` each series offers as the input of its next forecast: those after its
    last gap row (`forecast.gaps`; all of them without gaps). A series of a collection with
    fewer than `lookback` is forecast by its fallback (`fallback_method`), as a short one.

    Raises:
        DataError: for a lone series shorter than `lookback`, or whose last `lookback` rows
            hold a gap row.
    """
    rows = {k: len(observed_tail(f.to_numpy())) for k, f in data.items()}
    for key, frame in data.items() if data.lone else ():
        if len(frame) < lookback:
            raise DataError(f"predict needs the last lookback = {lookback} rows, got {len(frame)}")
        if rows[key] >= lookback:
            continue
        gap = frame.index[len(frame) - rows[key] - 1]
        raise DataError(
            f"the last lookback = {lookback} rows hold a gap (a missing value at {gap}); a "
            f"forecast reads them: give data whose last {lookback} rows are complete"
        )
    return rows


def model_output(model: Any, windows: Any) -> np.ndarray:
    """`model`'s output for `windows` (an array `(n, steps, features)`, or a feeder: batch by
    batch) computed on a multiple of `PREDICT_ROWS` windows: zero windows added, their output
    dropped, so that a window's forecast is the same whatever the other windows of the call
    (a shard of a panel scores its series as the whole panel does)."""
    if not isinstance(windows, np.ndarray):
        return np.concatenate([_padded_output(model, windows[i][0]) for i in range(len(windows))])
    return _padded_output(model, windows)


def _padded_output(model: Any, windows: np.ndarray) -> np.ndarray:
    """`model_output` of an array `(n, steps, features)`: padded to `PREDICT_ROWS` rows."""
    n = len(windows)
    rows = -(-n // PREDICT_ROWS) * PREDICT_ROWS
    import keras

    pad = np.zeros((rows - n, *windows.shape[1:]), dtype=windows.dtype)
    padded = np.concatenate([windows, pad]) if rows > n else windows
    out = [
        keras.ops.convert_to_numpy(model(padded[at : at + PREDICT_BATCH], training=False))
        for at in range(0, rows, PREDICT_BATCH)
    ]  # called directly: the same kernels for a model in memory and one reloaded
    return np.concatenate(out)[:n]


def last_windows(arrays: Mapping[str, np.ndarray], steps: int) -> np.ndarray:
    """The last `steps` rows of every series stacked: `(n_series, steps, features)`."""
    return np.stack([a[-steps:] for a in arrays.values()])


def lookback_choice(
    data: SeriesSet | SplitParts,
    val: Any,
    tried: Sequence[int],
    horizon: int,
    scaler: str,
    collect: Callable[[Any], SeriesSet],
    origins: int = 1,
) -> tuple[LookbackChoice, int]:
    """`forecast.linear.choose_lookback` over many series, short ones included: only the
    candidates that `COVERED` (90 %) of the series' training parts hold are tried (a longer
    lookback would leave more series untrained: on M4 Weekly 728 steps left half of them to
    the fallback), scored on the series that hold the longest of them (every candidate on
    the same windows); the shorter series are left out. Every candidate is scored on every
    origin of the rolled validation part (`roll_validation`: `origins` per series, each
    series keeping one training window of the longest candidate tried).

    Args:
        data: the series (or a `SplitParts`); val: as in `fit_parts`; tried: candidates, ascending;
        horizon: steps; scaler: the scaler method; collect: `Forecaster.collection`;
        origins: validation windows wanted per series (`origins_wanted`).

    Returns:
        `(choice, left_out)`: the `LookbackChoice` and how many series were left out.

    Raises:
        ConfigError: without validation data. DataError: when no series holds a candidate.
    """
    _, train, held, starts = fit_parts(data, val, tried[-1], horizon, collect)
    if not held:
        raise ConfigError("choosing the lookback needs validation data; give val", setting="val")
    lengths = sorted(len(frame) for frame in train.values())
    cover = lengths[int(len(lengths) * (1 - COVERED))]  # a lookback most series can train on
    longest = longest_fitting(tried, cover, horizon) or tried[0]
    if origins > 1 and not _separate(data, val):
        train, held, starts = roll_validation(
            train, held, starts, horizon, origins, tried[-1], longest + horizon
        )
    kept, short = trainable(train, longest + horizon)
    if not kept:
        rows = max(len(frame) for frame in train.values())
        check_window_fits(rows, longest, horizon, "the longest training part")
    targets = list(series_info(train[kept[0]])["target"])
    pooled = pd.concat([train[k] for k in kept], ignore_index=True)
    fitted = SeriesScaler(scaler).fit(pooled, targets=targets)
    n = len(targets)
    choice = choose_lookback(
        [fitted.transform(train[k])[:, :n] for k in kept],
        [(fitted.transform(held[k])[:, :n], starts[k]) for k in kept if k in held],
        tried,
        horizon,
    )
    return choice, len(short)


def history_of(parts: SplitParts) -> SeriesSet:
    """Each series' rows before its test part (training and validation spans), as
    `Forecaster.evaluate(parts.test, history=...)` takes them for the per-series scale."""
    cut = parts.sets()
    out = {}
    for key, train in cut.train.items():
        val = cut.val.get(key) if cut.val is not None else None
        out[key] = train if val is None else pd.concat([train, val.iloc[cut.val_start[key] :]])
    return cut.train.with_frames(out)


def test_rows(parts: SplitParts) -> dict[str, int]:
    """The `test=` that makes `Forecaster.evaluate(parts.test, test=...)` score exactly each
    series' test span: `{id: rows}` at its end (a lone series' keyed as its `SeriesSet`).
    Without it, a series whose test part has fewer context rows than the lookback (a short
    series, forecast by its fallback) would be scored from its first rows, inside training."""
    cut = parts.sets()
    return {k: len(f) - cut.test_start[k] for k, f in cut.test.items()}


def competition_scores(
    data: Mapping[str, pd.DataFrame],
    spans: Mapping[str, Span],
    history: Mapping[str, pd.DataFrame] | None,
    season: int,
    horizon: int,
    targets: Sequence[str],
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """sMAPE, MASE and OWA of the model and every baseline (Naive2 added), per series and
    target, and aggregated as M4 does (`forecast.competition`).

    Each series' MASE scale and Naive2 come from its history: `history[id]` when given,
    else the rows of `data[id]` before its first scored target. Naive2 (and its seasonality
    test) is fitted on that history once; each window re-seasonalizes its last value.

    Args:
        data: `{id: frame}` scored; spans: `Forecaster.window_spans` output, `{id: Span}`;
        season: the M4 period; targets: names.

    Returns:
        `(per_series, aggregate)`: a frame with columns series, target, method, forecast_by,
        sMAPE, MASE, OWA; and `{target: {method: {"sMAPE", "MASE", "OWA"}}}`.
    """
    rows, scored = [], {}
    steps = np.arange(horizon)
    for key, (origins, preds, actual, bases, method, *_) in spans.items():
        values = data[key].to_numpy(dtype=np.float64)[:, : len(targets)]
        past = (
            history[key].to_numpy(dtype=np.float64)[:, : len(targets)]
            if history is not None and key in history
            else values[: origins[0]]
        )
        for j, target in enumerate(targets):
            if len(past) == 0:
                continue
            # Naive2's seasonal figure from the history after its last gap row (forecast.gaps)
            tail = observed_tail(past[:, j])
            naive2 = _naive2_windows(values[:, j], tail if len(tail) else past[:, j], origins,
                                     steps, season)  # fmt: skip
            forecasts = {"model": preds[..., j], "naive2": naive2}
            forecasts.update({name: b[..., j] for name, b in bases.items()})
            scores = competition.score_series(
                actual[..., j], forecasts, competition.mase_scale(past[:, j], season)
            )
            scored.setdefault(target, {})[key] = scores
            for name, row in scores.items():
                by = method if name == "model" else name
                rows.append({"series": key, "target": target, "method": name, "forecast_by": by,
                             **row})  # fmt: skip
    columns = ["series", "target", "method", "forecast_by", "sMAPE", "MASE", "OWA"]
    table = pd.DataFrame(rows, columns=columns)
    return table, {t: competition.aggregate(per) for t, per in scored.items()}


def _naive2_windows(
    values: np.ndarray, past: np.ndarray, origins: np.ndarray, steps: np.ndarray, season: int
) -> np.ndarray:
    """Naive2 forecasts `(n, horizon)` of one target column for windows at `origins`: the
    seasonal figure of `past` (when it passes the test), continued from `past`'s start."""
    last = values[origins - 1]
    if not competition.is_seasonal(past, season):
        return np.repeat(last[:, None], len(steps), axis=1)
    figure = competition.seasonal_indices(past, season)
    # positions counted from the start of `past`, which ends right before origins[0]
    offset = len(past) - origins[0]
    position = lambda rows: (rows + offset) % season  # noqa: E731
    adjusted = last / figure[position(origins - 1)]
    return adjusted[:, None] * figure[position(origins[:, None] + steps[None, :])]


def window_spans(
    data: Mapping[str, pd.DataFrame],
    start: Any,
    lookback: int,
    horizon: int,
    n_targets: int,
    scaler: PanelScaler,
    fallback: Callable[[str, int], str | None],
    baselines: Callable[[pd.DataFrame, np.ndarray, str], dict[str, np.ndarray]],
    predict: Callable[[Any], np.ndarray],
    quantiles: Sequence[float] | None = None,
    ahead: int = 0,
) -> dict[str, Span]:
    """Forecasts of every window whose first target is at `start` or later, per series.

    Args:
        data: `{id: frame}`; start: as `splits.first_origin` takes it, or `{id: start}`.
        lookback, horizon, n_targets: the model's window and targets; scaler: its scaler.
        fallback: `(id, rows of input) -> None` (the model forecasts) or a baseline's name.
        baselines: `(frame, origins, id) -> {name: (n, horizon, n_targets)}`, original units.
        predict: the model's predict, called ONCE on every model window (`window_forecasts`).
        quantiles: the quantiles of a quantile-head model (its output `(n, horizon, n_targets,
            Q)`; the median is the forecast), or None.
        ahead: horizon rows in the model's input too (known-future covariates).

    Returns:
        `{id: Span}` in original units; its `method` is "model" or the fallback's name
        (whose quantile forecasts are None).

    Raises:
        DataError: when no series has a complete window.
    """

    starts = start if isinstance(start, Mapping) else dict.fromkeys(data, start)

    def rows_before(key: str, frame: pd.DataFrame) -> int:  # input rows before the first target
        s = starts[key]
        if s is None:
            return len(frame) - horizon
        # A start before row `lookback` of a long enough series: its windows begin at that
        # row (`first_origin`), read by the model, not by a fallback.
        return max(first_origin(frame.index, s, 0), min(lookback, len(frame) - horizon))

    methods = {k: fallback(k, rows_before(k, f)) for k, f in data.items()}
    firsts = {
        k: first_origin(f.index, starts[k], lookback if methods[k] in (None, "linear") else 1)
        for k, f in data.items()
    }
    arrays = {k: scaler.transform(f, key=k) for k, f in data.items() if methods[k] is None}
    predicted = window_forecasts(predict, arrays, firsts, lookback, horizon, n_targets, ahead)
    out = {}
    for key, frame in data.items():  # windows inside gap-free segments only (forecast.gaps)
        inputs = min(lookback, firsts[key])  # the input rows the forecasts and baselines read
        origins = complete_origins(frame.to_numpy(), firsts[key], inputs, horizon)
        if len(origins) == 0:
            continue
        values = frame.to_numpy(dtype=np.float64)[:, :n_targets]
        bases, quants = baselines(frame, origins, key), None
        if methods[key] is None:
            preds, quants = unscaled(scaler, key, predicted[key][1], quantiles)
        else:
            preds = bases[methods[key]]
        actual = values[origins[:, None] + np.arange(horizon)[None, :]]
        out[key] = Span(origins, preds, actual, bases, methods[key] or "model", quants)
    if not out:  # the rows from the first scored window's inputs on, in the longest span
        rows = max(len(frame) - max(firsts[key] - lookback, 0) for key, frame in data.items())
        check_window_fits(rows, lookback, horizon, "the longest span scored", windows=0)
    return out


def span_report(
    spans: Mapping[str, Span],
    mase_scale: np.ndarray,
    names: Sequence[str],
    guarded: Sequence[str] = (),
) -> Report:
    """The `Report` of `window_spans`' forecasts pooled over every series: the model (or a
    short series' fallback) beside each baseline (the linear one only where every series
    has it), in original units, with a note naming the series forecast by a fallback; the
    series in `guarded` are those the guard gave to a baseline (`forecast.guard`), named
    apart."""
    rows = list(spans.values())
    has_linear = all("linear" in s.baselines for s in rows)
    methods = [n for n in rows[0].baselines if has_linear or n != "linear"]
    report = evaluate_forecasts(
        np.concatenate([s.actual for s in rows]), np.concatenate([s.forecasts for s in rows]),
        {n: np.concatenate([s.baselines[n] for s in rows]) for n in methods}, mase_scale, names,
    )  # fmt: skip
    short = {k: s.method for k, s in spans.items() if s.method != "model" and k not in guarded}
    if short:
        report.notes.insert(0, short_series_note(list(short), len(spans), short) + ".")
    by_guard = {k: spans[k].method for k in guarded if k in spans and spans[k].method != "model"}
    if by_guard:
        why = "forecast as the guard chose on validation"
        note = short_series_note(list(by_guard), len(spans), by_guard, why)
        report.notes.insert(0, note + ".")
    return report
