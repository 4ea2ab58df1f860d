"""make_windows, split and WindowFeeder: exact alignment, no copies, no leakage across parts."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from forecast.errors import ConfigError, DataError
from forecast.splits import Split, split
from forecast.windowing import WindowFeeder, make_windows, window_count

FAST = settings(max_examples=50, deadline=None)


def _rows(length: int, features: int = 1, dtype=np.float64) -> np.ndarray:
    """A series whose value at row r, column c is 10 * r + c: every value says where it is."""
    return (10 * np.arange(length)[:, None] + np.arange(features)).astype(dtype)


def _frame(length: int) -> pd.DataFrame:
    index = pd.date_range("2024-01-01", periods=length, freq="D")
    return pd.DataFrame({"row": np.arange(length, dtype=np.float64)}, index=index)


def _multiset(X: np.ndarray, y: np.ndarray) -> Counter:
    return Counter(x.tobytes() + t.tobytes() for x, t in zip(X, y, strict=True))


# make_windows -------------------------------------------------------------------------------


@st.composite
def geometries(draw, fits: bool = True) -> dict:
    """Window geometry and a series length that fits at least one window (or, not, none)."""
    g = {
        "lookback": draw(st.integers(1, 20)),
        "horizon": draw(st.integers(1, 8)),
        "stride": draw(st.integers(1, 5)),
        "features": draw(st.integers(1, 3)),
    }
    need = g["lookback"] + g["horizon"]
    g["length"] = draw(st.integers(need, need + 100) if fits else st.integers(1, need - 1))
    return g


@FAST
@given(g=geometries())
def test_window_count_is_floor_of_span_over_stride_plus_one(g):
    length, lookback, horizon, stride = g["length"], g["lookback"], g["horizon"], g["stride"]

    X, y = make_windows(_rows(length, g["features"]), lookback, horizon, stride)

    expected = (length - lookback - horizon) // stride + 1
    assert len(X) == len(y) == expected == window_count(length, lookback, horizon, stride)
    assert X.shape == (expected, lookback, g["features"])
    assert y.shape == (expected, horizon, g["features"])


@FAST
@given(g=geometries())
def test_windows_are_aligned_with_the_series(g):
    lookback, horizon, stride = g["lookback"], g["horizon"], g["stride"]
    values = _rows(g["length"], g["features"])

    X, y = make_windows(values, lookback, horizon, stride)

    for i in range(len(X)):
        start = i * stride
        np.testing.assert_array_equal(X[i], values[start : start + lookback])
        np.testing.assert_array_equal(y[i], values[start + lookback : start + lookback + horizon])
        # The first target is the row right after the last input.
        np.testing.assert_array_equal(y[i, 0], X[i, -1] + 10)


@FAST
@given(g=geometries(fits=False))
def test_series_shorter_than_lookback_plus_horizon_is_a_data_error(g):
    lookback, horizon = g["lookback"], g["horizon"]

    with pytest.raises(DataError, match=f"lookback \\+ horizon = {lookback + horizon}"):
        make_windows(_rows(g["length"]), lookback, horizon, g["stride"])
    assert window_count(g["length"], lookback, horizon, g["stride"]) == 0


def test_series_exactly_lookback_plus_horizon_long_gives_one_window():
    X, y = make_windows(np.arange(5.0), lookback=3, horizon=2)

    assert X[:, :, 0].tolist() == [[0.0, 1.0, 2.0]]
    assert y[:, :, 0].tolist() == [[3.0, 4.0]]


@pytest.mark.parametrize(
    ("target_cols", "input_cols"),
    [
        (None, None),
        (0, slice(1, 4)),
        (slice(0, 2), [0, 1, 2]),
        ([0, 2], [1, 3]),
        ([3], [-4, -2]),
        (slice(None, None, 2), [0, 1, 2, 3]),
    ],
)
def test_windows_are_views_not_copies(target_cols, input_cols):
    values = _rows(50, 4)

    X, y = make_windows(values, 6, 3, target_cols=target_cols, input_cols=input_cols)

    assert np.shares_memory(X, values)
    assert np.shares_memory(y, values)
    assert not X.flags.owndata and not y.flags.owndata


def test_one_dimensional_series_and_dataframe_share_memory_too():
    values = np.arange(30, dtype=np.float32)

    X, y = make_windows(values, 4, 2)

    assert X.shape == (25, 4, 1)
    assert np.shares_memory(X, values) and np.shares_memory(y, values)


def test_irregular_column_list_copies_the_series_once_not_every_window():
    values = _rows(200, 4)

    X, y = make_windows(values, 24, 6, target_cols=[0], input_cols=[0, 2, 3])

    np.testing.assert_array_equal(X[5], values[5:29][:, [0, 2, 3]])
    # Overlapping windows still overlap in memory: one (length, 3) copy, not (n, 24, 3).
    assert np.shares_memory(X[0], X[1])
    owner = X
    while getattr(owner, "base", None) is not None:
        owner = owner.base
    assert owner.flags.owndata and owner.size == 200 * 3
    assert np.shares_memory(y, values)


def test_columns_are_picked_as_asked():
    values = _rows(20, 3)

    X, y = make_windows(values, 4, 2, target_cols=[2], input_cols=[0, 2])

    np.testing.assert_array_equal(X[0], values[0:4][:, [0, 2]])
    np.testing.assert_array_equal(y[0], values[4:6][:, [2]])


def test_dataframe_is_windowed_as_float32():
    X, y = make_windows(_frame(10), 3, 2)

    assert X.dtype == y.dtype == np.float32
    assert y[:, 0, 0].tolist() == [3.0, 4.0, 5.0, 6.0, 7.0, 8.0]


@pytest.mark.parametrize("name", ["lookback", "horizon", "stride"])
@pytest.mark.parametrize("bad", [0, -3, 2.5, "4", True, None])
def test_bad_geometry_is_a_config_error_naming_the_argument(name, bad):
    geometry = {"lookback": 4, "horizon": 2, "stride": 1, name: bad}

    message = re.escape(f"{name} must be a positive integer, got {bad!r}")
    with pytest.raises(ConfigError, match=message):
        make_windows(np.arange(20.0), **geometry)


def test_numpy_integers_are_accepted_as_geometry():
    X, _ = make_windows(np.arange(20.0), np.int64(4), np.int32(2), stride=np.int16(2))

    assert X.shape == (8, 4, 1)


@pytest.mark.parametrize(
    ("cols", "message"), [([], "column selection is empty"), ([0, 5], "index 5 is out of range")]
)
def test_bad_column_selection_is_a_config_error(cols, message):
    with pytest.raises(ConfigError, match=message):
        make_windows(_rows(20, 3), 4, 2, input_cols=cols)


def test_three_dimensional_values_are_a_data_error():
    with pytest.raises(DataError, match="1-D or 2-D"):
        make_windows(np.zeros((20, 2, 2)), 4, 2)


# split --------------------------------------------------------------------------------------


def test_split_by_fractions():
    parts = split(_frame(100), train=0.7, val=0.2)

    assert parts.train["row"].tolist() == list(range(70))
    assert parts.val["row"].tolist() == list(range(70, 90))
    assert parts.test["row"].tolist() == list(range(90, 100))


def test_split_by_row_counts_with_an_explicit_test_size():
    parts = split(_frame(100), train=50, val=20, test=10)

    assert (len(parts.train), len(parts.val), len(parts.test)) == (50, 20, 10)
    assert parts.test["row"].iloc[0] == 70


def test_split_by_timestamps_includes_the_end_day():
    parts = split(_frame(30), train="2024-01-10", val=pd.Timestamp("2024-01-20"))

    assert parts.train.index[-1] == pd.Timestamp("2024-01-10")
    assert parts.val.index[0] == pd.Timestamp("2024-01-11")
    assert parts.val.index[-1] == pd.Timestamp("2024-01-20")
    assert parts.test.index[0] == pd.Timestamp("2024-01-21")


def test_context_rows_are_prepended_to_val_and_test():
    parts = split(_frame(100), train=60, val=20, context=7)

    assert parts.val_start == parts.test_start == 7
    assert parts.val["row"].tolist() == list(range(53, 80))
    assert parts.test["row"].tolist() == list(range(73, 100))
    assert parts.val["row"].iloc[parts.val_start] == 60
    assert parts.test["row"].iloc[parts.test_start] == 80
    assert len(parts.train) == 60


def test_context_longer_than_what_precedes_marks_the_span_start_correctly():
    parts = split(_frame(100), train=5, val=3, context=10)

    assert parts.val_start == 5
    assert parts.val["row"].iloc[parts.val_start] == 5
    assert parts.test_start == 8
    assert parts.test["row"].iloc[parts.test_start] == 8


def test_split_keeps_the_recorded_roles():
    frame = _frame(20)
    frame.attrs["forecast"] = {"target": ["row"], "covariates": [], "freq": "D"}

    parts = split(frame, train=10, val=5, context=3)

    assert isinstance(parts, Split)
    assert parts.train.attrs["forecast"]["target"] == ["row"]
    assert parts.val.attrs["forecast"]["target"] == ["row"]


@FAST
@given(
    n=st.integers(10, 300),
    data=st.data(),
    lookback=st.integers(1, 12),
    horizon=st.integers(1, 6),
    extra_context=st.integers(0, 5),
)
def test_no_training_target_inside_val_or_test(n, data, lookback, horizon, extra_context):
    n_train = data.draw(st.integers(1, n), label="n_train")
    n_val = data.draw(st.integers(0, n - n_train), label="n_val")
    context = lookback + extra_context
    parts = split(_frame(n), train=n_train, val=n_val, context=context)
    val_end, test_end = n_train + n_val, n

    # The spans partition the series in order.
    spans = [
        parts.train["row"],
        parts.val["row"].iloc[parts.val_start :],
        parts.test["row"].iloc[parts.test_start :],
    ]
    assert np.concatenate(spans).tolist() == list(range(n))

    if len(parts.train) >= lookback + horizon:
        _, y = make_windows(parts.train.to_numpy(), lookback, horizon)
        assert y.max() < n_train
    for part, start, lo, hi in [
        (parts.val, parts.val_start, n_train, val_end),
        (parts.test, parts.test_start, val_end, test_end),
    ]:
        if len(part) < lookback + horizon:
            continue
        _, y = make_windows(part.to_numpy(), lookback, horizon)
        first_target = np.arange(len(y)) + lookback
        kept = y[first_target >= start]
        assert ((kept >= lo) & (kept < hi)).all()
        if extra_context == 0:  # lookback == context: every window is inside the span
            assert len(kept) == len(y)
        if hi - lo >= horizon and lo >= lookback:
            # The context lets the very first row of the span be forecast.
            assert kept[0, 0, 0] == lo


@pytest.mark.parametrize(
    "kwargs",
    [
        {"train": 0},
        {"train": 0.0},
        {"train": 1.5},
        {"train": -1},
        {"train": 0.8, "val": 0.3},
        {"train": 80, "val": 10, "test": 20},
        {"train": 101},
        {"train": True},
        {"train": "2023-12-01"},
        {"train": "2024-02-01", "val": "2024-01-15"},
        {"train": "next tuesday"},
        {"train": 0.5, "test": "2024-03-01"},
        {"train": 0.5, "context": -1},
    ],
)
def test_invalid_splits_are_config_errors(kwargs):
    with pytest.raises(ConfigError):
        split(_frame(100), **kwargs)


def test_timestamp_split_of_a_step_indexed_series_is_a_config_error():
    with pytest.raises(ConfigError, match="no time index"):
        split(pd.DataFrame({"y": np.arange(10.0)}), train="2024-01-05")


def test_split_of_an_array_is_a_config_error():
    with pytest.raises(ConfigError, match="expects a pandas DataFrame, got ndarray"):
        split(np.arange(10.0))


# WindowFeeder -------------------------------------------------------------------------------


def _epoch(feeder: WindowFeeder) -> tuple[np.ndarray, np.ndarray]:
    batches = [feeder[i] for i in range(len(feeder))]
    return np.concatenate([b[0] for b in batches]), np.concatenate([b[1] for b in batches])


def test_batches_have_the_documented_shapes():
    feeder = WindowFeeder(_rows(100, 3, np.float32), 8, 4, batch_size=16, target_cols=[0])

    assert feeder.n_windows == 89
    assert len(feeder) == 6
    X, y = feeder[0]
    assert X.shape == (16, 8, 3) and y.shape == (16, 4, 1)
    assert X.dtype == y.dtype == np.float32
    X_last, _ = feeder[5]
    assert X_last.shape == (89 - 5 * 16, 8, 3)
    assert (feeder.n_inputs, feeder.n_targets) == (3, 1)


def test_batch_index_past_the_end_raises_index_error():
    feeder = WindowFeeder(_rows(30), 4, 2, batch_size=10)

    with pytest.raises(IndexError):
        feeder[len(feeder)]


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("stride", [1, 3])
def test_every_window_is_delivered_exactly_once_per_epoch(shuffle, stride):
    values = _rows(103, 2, np.float32)
    feeder = WindowFeeder(values, 7, 3, batch_size=8, shuffle=shuffle, stride=stride)

    for _ in range(2):
        X, y = _epoch(feeder)
        assert _multiset(X, y) == _multiset(*make_windows(values, 7, 3, stride))
        feeder.on_epoch_end()


def test_shuffled_order_changes_every_epoch_and_repeats_for_the_same_seed():
    values = _rows(200, 1, np.float32)
    first = WindowFeeder(values, 5, 2, batch_size=32, seed=7)
    second = WindowFeeder(values, 5, 2, batch_size=32, seed=7)
    other = WindowFeeder(values, 5, 2, batch_size=32, seed=8)

    epoch_1 = _epoch(first)[0]
    np.testing.assert_array_equal(epoch_1, _epoch(second)[0])
    assert not np.array_equal(epoch_1, _epoch(other)[0])
    assert not np.array_equal(epoch_1, make_windows(values, 5, 2)[0])  # shuffled at all
    first.on_epoch_end()
    second.on_epoch_end()
    epoch_2 = _epoch(first)[0]
    assert not np.array_equal(epoch_1, epoch_2)
    np.testing.assert_array_equal(epoch_2, _epoch(second)[0])


def test_ordered_mode_yields_windows_in_time_order_every_epoch():
    values = _rows(60, 2, np.float32)
    feeder = WindowFeeder(values, 6, 3, batch_size=7, shuffle=False)
    X_all, y_all = make_windows(values, 6, 3)

    for _ in range(2):
        X, y = feeder.arrays()
        np.testing.assert_array_equal(X, X_all)
        np.testing.assert_array_equal(y, y_all)
        feeder.on_epoch_end()


@FAST
@given(
    lengths=st.lists(st.integers(1, 60), min_size=2, max_size=6),
    lookback=st.integers(1, 8),
    horizon=st.integers(1, 4),
    batch_size=st.integers(1, 20),
    shuffle=st.booleans(),
)
def test_no_window_crosses_from_one_series_into_another(
    lengths, lookback, horizon, batch_size, shuffle
):
    # Series k holds values in [1000 k, 1000 k + 999]: a window's range tells its series.
    series = [1000.0 * k + np.arange(n, dtype=np.float32) for k, n in enumerate(lengths)]
    expected = sum(window_count(n, lookback, horizon) for n in lengths)
    assume(expected > 0)

    feeder = WindowFeeder(series, lookback, horizon, batch_size=batch_size, shuffle=shuffle)

    assert feeder.n_windows == expected
    assert feeder.skipped_series == sum(n < lookback + horizon for n in lengths)
    seen = 0
    for i in range(len(feeder)):
        X, y = feeder[i]
        whole = np.concatenate([X[..., 0], y[..., 0]], axis=1)  # (batch, lookback + horizon)
        owner = whole // 1000
        assert (owner == owner[:, :1]).all()
        # Consecutive rows of one series, in order.
        assert (np.diff(whole, axis=1) == 1).all()
        seen += len(X)
    assert seen == expected


def test_many_series_deliver_each_window_once():
    series = [_rows(n, 2, np.float32) + 1000 * k for k, n in enumerate([30, 12, 45])]
    feeder = WindowFeeder(series, 5, 2, batch_size=9, seed=3)

    expected = Counter()
    for s in series:
        expected += _multiset(*make_windows(s, 5, 2))
    assert _multiset(*_epoch(feeder)) == expected


@pytest.mark.parametrize("stride", [1, 2, 3])
def test_first_target_skips_windows_whose_targets_start_before_it(stride):
    values = np.arange(50, dtype=np.float32)

    feeder = WindowFeeder(values, 6, 3, shuffle=False, stride=stride, first_target=20)

    _, y = feeder.arrays()
    first_targets = y[:, 0, 0]
    assert first_targets.min() >= 20
    expected = [t for t in range(6, 48, stride) if t >= 20]
    assert first_targets.tolist() == expected


def test_first_target_may_differ_per_series():
    series = [np.arange(30, dtype=np.float32), 1000 + np.arange(30, dtype=np.float32)]

    feeder = WindowFeeder(series, 4, 2, shuffle=False, first_target=[10, 25])

    _, y = feeder.arrays()
    firsts = y[:, 0, 0]
    assert firsts[firsts < 1000].tolist() == list(range(10, 29))
    assert firsts[firsts >= 1000].tolist() == [1025, 1026, 1027, 1028]


def test_feeder_over_a_split_never_serves_a_training_target_for_validation():
    parts = split(_frame(200), train=140, val=30, context=24)

    feeder = WindowFeeder(parts.val, 12, 5, shuffle=False, first_target=parts.val_start)

    _, y = feeder.arrays()
    assert y.min() == 140
    assert y.max() < 170


def test_series_too_short_are_skipped():
    series = [np.arange(3, dtype=np.float32), np.arange(20, dtype=np.float32)]

    feeder = WindowFeeder(series, 4, 2, shuffle=False)

    assert feeder.skipped_series == 1
    assert feeder.n_windows == 15
    assert feeder.arrays()[0][0, :, 0].tolist() == [0.0, 1.0, 2.0, 3.0]


def test_all_series_too_short_is_a_data_error_naming_lookback_plus_horizon():
    with pytest.raises(DataError, match=r"lookback \+ horizon = 6"):
        WindowFeeder([np.arange(3.0), np.arange(5.0)], 4, 2)


def test_series_with_different_columns_are_rejected():
    with pytest.raises(DataError, match="series 1 has 3 columns but series 0 has 2"):
        WindowFeeder([_rows(20, 2), _rows(20, 3)], 4, 2)


def test_first_target_list_must_match_the_series():
    with pytest.raises(ConfigError, match="first_target has 1 values for 2 series"):
        WindowFeeder([_rows(20), _rows(20)], 4, 2, first_target=[3])


@pytest.mark.parametrize("name", ["lookback", "horizon", "batch_size", "stride"])
def test_bad_feeder_settings_are_config_errors(name):
    settings_ = {"lookback": 4, "horizon": 2, "batch_size": 8, "stride": 1, name: 0}

    with pytest.raises(ConfigError, match=f"{name} must be a positive integer"):
        WindowFeeder(_rows(20), **settings_)


def test_feeder_holds_views_of_the_series_not_copies():
    values = np.arange(10_000, dtype=np.float32)

    feeder = WindowFeeder(values, 48, 12, batch_size=64)

    assert np.shares_memory(feeder._X[0], values)
    assert np.shares_memory(feeder._y[0], values)
    assert not feeder._X[0].flags.owndata


def test_feeder_trains_a_keras_model():
    import keras

    values = np.sin(np.arange(300, dtype=np.float32) / 5.0)
    feeder = WindowFeeder(values, 12, 3, batch_size=32)
    model = keras.Sequential(
        [
            keras.Input((12, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(3),
            keras.layers.Reshape((3, 1)),
        ]
    )
    model.compile(optimizer="adam", loss="mse")

    history = model.fit(feeder, epochs=2, verbose=0)

    assert len(history.history["loss"]) == 2


def test_reseed_restarts_the_batch_order_of_a_feeder_built_with_that_seed() -> None:
    series = np.arange(200, dtype=np.float32)
    used = WindowFeeder([series], lookback=5, horizon=2, batch_size=16, seed=0)
    for _ in range(3):
        used.on_epoch_end()
    used.reseed(7)
    fresh = WindowFeeder([series], lookback=5, horizon=2, batch_size=16, seed=7)
    for _ in range(2):
        np.testing.assert_array_equal(used[0][0], fresh[0][0])
        used.on_epoch_end()
        fresh.on_epoch_end()


def _epoch_windows(feeder: WindowFeeder) -> list[tuple[int, int]]:
    """(series, window start) of every window one epoch serves, then the epoch ends."""
    seen = []
    for i in range(len(feeder)):
        series_of, start_of = feeder.batch_indices(i)
        seen += list(zip(series_of.tolist(), start_of.tolist(), strict=True))
    feeder.on_epoch_end()
    return seen


def test_windows_per_epoch_bounds_an_epoch_and_draws_anew_each_epoch_reproducibly() -> None:
    panel = [np.arange(n, dtype=np.float32) for n in (120, 80, 200)]  # 382 windows of 5 + 2 rows
    bounded = WindowFeeder(panel, 5, 2, batch_size=16, seed=3, windows_per_epoch=50)
    assert bounded.n_windows == 382 and bounded.epoch_windows == 50 and len(bounded) == 4
    epochs = [_epoch_windows(bounded) for _ in range(3)]
    assert all(len(e) == len(set(e)) == 50 for e in epochs)  # 50 distinct windows an epoch
    assert len(bounded[3][0]) == 2  # the last batch holds 50 - 3 * 16
    assert epochs[0] != epochs[1] != epochs[2]  # a new sample each epoch, over every series
    assert {k for e in epochs for k, _ in e} == {0, 1, 2}
    again = WindowFeeder(panel, 5, 2, batch_size=16, seed=3, windows_per_epoch=50)
    assert [_epoch_windows(again) for _ in range(3)] == epochs  # seeded: the same samples
    every = WindowFeeder(panel, 5, 2, batch_size=16, seed=3, windows_per_epoch=10_000)
    assert every.epoch_windows == 382 and len(set(_epoch_windows(every))) == 382
    with pytest.raises(ConfigError, match="windows_per_epoch must be a positive integer"):
        WindowFeeder(panel, 5, 2, windows_per_epoch=0)


def test_a_forecaster_trains_on_windows_per_epoch_reproducibly() -> None:
    from forecast.forecaster import Forecaster

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"y": np.sin(np.arange(400) / 5) + rng.normal(0, 0.1, 400)},
        index=pd.date_range("2024-01-01", periods=400, freq="h"),
    )
    histories = []
    for per_epoch in (64, 64, None):
        forecaster = Forecaster(lookback=8, horizon=2, epochs=2, patience=None, batch_size=32,
                                windows_per_epoch=per_epoch, model_options={"units": 4},
                                verbose=0, seed=0)  # fmt: skip
        forecaster.fit(frame)
        histories.append(forecaster.history_["loss"])
    assert histories[0] == histories[1]  # seeded: the same windows, the same weights
    assert histories[0] != histories[2]  # 2 steps an epoch, not every window's 8
    with pytest.raises(ConfigError, match="windows_per_epoch"):
        Forecaster(windows_per_epoch=-1).check_settings()


# ---------------------------------------------------------------------- split_series / SplitSpec
def test_split_series_gives_val_and_test_their_context_explicitly() -> None:
    from forecast.splits import SplitSpec, split_series

    frame = pd.DataFrame(
        {"y": range(100)}, index=pd.date_range("2020-01-01", periods=100, freq="D")
    )
    parts = split_series(frame, SplitSpec((0.6, 0.2, 0.2)), context=10)
    assert (len(parts.train), len(parts.val), len(parts.test)) == (60, 30, 30)
    assert (parts.val_start, parts.test_start) == (10, 10)
    assert parts.spans["test"] == {"start": "2020-03-21", "end": "2020-04-09", "rows": 20}
    assert parts.evaluate_test == "2020-03-21"
    assert split_series(frame, SplitSpec((0.8, 0, 0.2)), context=10).val is None
    many = split_series({"a": frame, "b": frame.iloc[:50]}, SplitSpec(), context=10)
    assert many.val_start == {"a": 10, "b": 10} and len(many.train["b"]) == 30


@pytest.mark.parametrize("value", ["0.6,0.4", "0.7,0.2,0.2", "1,0,0", "-0.2,0.6,0.6"])
def test_parse_fractions_rejects_what_cannot_split(value: str) -> None:
    from forecast.splits import parse_fractions

    with pytest.raises(ConfigError, match="three fractions"):
        parse_fractions(value, "split")


def test_split_spec_takes_fractions_or_both_timestamps() -> None:
    from forecast.splits import SplitSpec

    assert SplitSpec().fractions == (0.6, 0.2, 0.2)
    with pytest.raises(ConfigError, match="go together"):
        SplitSpec(train_end="2020-01-10")
    with pytest.raises(ConfigError, match="not both"):
        SplitSpec((0.6, 0.2, 0.2), train_end="2020-01-10", val_end="2020-02-01")


def test_split_series_refuses_an_empty_test() -> None:
    from forecast.splits import SplitSpec, split_series

    frame = pd.DataFrame({"y": range(30)}, index=pd.date_range("2020", periods=30, freq="D"))
    with pytest.raises(DataError, match="no test rows"):
        split_series(frame, SplitSpec(train_end="2020-01-10", val_end="2020-02-28"))


# Gaps (forecast.gaps): windows only inside gap-free segments ------------------------------


def _gapped(length: int, gaps: list[int], features: int = 1) -> np.ndarray:
    values = _rows(length, features, np.float32)
    values[gaps] = np.nan  # gap rows, as load_series(fill="drop") leaves them
    return values


def _complete_by_hand(values, lookback, horizon, stride, first=0) -> list[int]:
    """Window starts whose every row is observed and whose targets start at `first` or later."""
    span = lookback + horizon
    return [
        s for s in range(0, len(values) - span + 1, stride)
        if s + lookback >= first and not np.isnan(values[s : s + span]).any()
    ]  # fmt: skip


def test_segments_are_the_gap_free_row_ranges():
    from forecast.gaps import segments

    assert segments(_gapped(20, [0, 5, 6, 12, 19])) == [(1, 5), (7, 12), (13, 19)]
    assert segments(_rows(4)) == [(0, 4)]


@FAST
@given(g=geometries(), data=st.data())
def test_no_window_spans_a_gap_and_every_complete_window_is_kept(g, data):
    gaps = data.draw(st.lists(st.integers(0, g["length"] - 1), max_size=4, unique=True))
    values = _gapped(g["length"], gaps, g["features"])
    lookback, horizon, stride = g["lookback"], g["horizon"], g["stride"]
    starts = _complete_by_hand(values, lookback, horizon, stride)

    X, y = make_windows(values, lookback, horizon, stride)

    assert [int(x[0, 0]) // 10 for x in X] == starts  # each value says its row
    assert not np.isnan(X).any() and not np.isnan(y).any()
    assume(starts)
    feeder = WindowFeeder(values, lookback, horizon, batch_size=7, stride=stride, seed=1)
    served = np.concatenate([feeder[i][0][:, 0, 0] for i in range(len(feeder))])
    assert sorted(int(v) // 10 for v in served) == starts  # each once, none across a gap
    assert feeder.gap_windows == window_count(g["length"], lookback, horizon, stride) - len(starts)


def test_feeder_with_gaps_holds_views_and_respects_first_target_per_series():
    values, clean = _gapped(200, [50, 51, 120]), _rows(80, 1, np.float32)

    feeder = WindowFeeder([values, clean], 10, 5, batch_size=16, first_target=[60, 0])

    assert np.shares_memory(feeder._X[0], values) and not feeder._X[0].flags.owndata
    firsts = Counter()
    for i in range(len(feeder)):
        series_of, starts = feeder.batch_indices(i)
        firsts.update(zip(series_of.tolist(), starts.tolist(), strict=True))
    assert sorted(s for k, s in firsts if k == 0) == _complete_by_hand(values, 10, 5, 1, 60)
    assert sorted(s for k, s in firsts if k == 1) == list(range(66))
    assert set(firsts.values()) == {1}
    with pytest.raises(DataError, match="every window spans a gap"):
        WindowFeeder(_gapped(20, [10]), 8, 3)


def test_complete_origins_need_the_inputs_and_the_horizon_observed():
    from forecast.gaps import complete_origins

    values = _gapped(30, [10])
    assert complete_origins(values, 0, 4, 2).tolist() == [4, 5, 6, 7, 8, *range(15, 29)]
    assert complete_origins(_rows(10), 3, 2, 2).tolist() == [3, 4, 5, 6, 7, 8]
