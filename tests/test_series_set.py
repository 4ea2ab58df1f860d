"""`forecast.series_set`: THE shape of one series or many inside the package (SeriesSet,
the lone flag, the known-future rows as a field), built once at the public edge (`keyed`,
`series.as_collection`) and unwrapped once (`SeriesSet.unwrap`)."""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd
import pytest

from forecast import Forecaster, load_series, panel
from forecast.errors import DataError
from forecast.known_future import extended, future_frame
from forecast.series import as_collection
from forecast.series_set import SINGLE, FutureRows, SeriesSet, keyed
from forecast.splits import SplitSpec, split_series


def frame(n: int = 40, level: float = 0.0, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    index = pd.date_range("2024-01-01", periods=n, freq="D", name="date")
    values = level + np.sin(np.arange(n) * 2 * np.pi / 7) + rng.normal(0, 0.05, n)
    return pd.DataFrame({"y": values}, index=index)


def rows_after(data: pd.DataFrame, events: list[float]) -> FutureRows:
    index = pd.date_range(data.index[-1], periods=len(events) + 1, freq="D")[1:]
    return FutureRows.of(pd.DataFrame({"y": np.nan, "event": events}, index=index))


# ---------------------------------------------------------------------- the type
def test_a_bare_frame_is_a_lone_set_and_unwraps_to_the_same_frame() -> None:
    one = frame()
    found = keyed(one)
    assert found.lone and list(found) == [SINGLE] and found[SINGLE] is one
    assert found.unwrap() is one
    assert found.label(SINGLE) == ""  # a lone series' messages name no series
    assert keyed(found) is found  # a set inside the package is taken as it is


def test_a_mapping_keeps_its_order_and_unwraps_to_a_keyed_result() -> None:
    frames = {"z": frame(), 7: frame(level=1), "a": frame(level=2)}
    found = keyed(frames)
    assert not found.lone and list(found) == ["z", "7", "a"]  # ids as text, in the given order
    assert found.label("z") == "series 'z': "
    out = found.unwrap()
    assert type(out) is dict and list(out) == ["z", "7", "a"] and out["7"] is frames[7]
    assert keyed({SINGLE: frame()}).lone is False  # only a bare frame is lone


def test_the_lone_flag_and_future_rows_survive_cuts_maps_and_subsets() -> None:
    one = frame()
    lone = SeriesSet.one(one, rows_after(one, [1.0, 0.0]))
    cut = lone.map(lambda f: f.iloc[:10])
    assert cut.lone and len(cut[SINGLE]) == 10 and cut.future == lone.future
    assert cut.unwrap() is cut[SINGLE]
    assert not lone.only([]).lone and len(lone.only([])) == 0  # nothing kept: nothing lone
    many = SeriesSet({"a": one, "b": frame(level=1)}, future={"b": rows_after(one, [1.0])})
    assert list(many.only(["b", "a"])) == ["b", "a"]
    assert many.only(["a"]).future == {} and list(many.only(["b"]).future) == ["b"]
    with pytest.raises(ValueError, match="lone series is keyed"):
        SeriesSet({"a": one}, lone=True)


def test_future_rows_loaded_with_a_frame_move_into_the_field_not_the_frames_attrs() -> None:
    raw = frame().reset_index()
    later = pd.DataFrame({"date": pd.date_range("2024-02-10", periods=3), "y": np.nan})
    loaded = load_series(pd.concat([raw, later], ignore_index=True), time_col="date",
                         target="y", future_rows=True)  # fmt: skip
    assert "future" in loaded.attrs  # load_series' public return is unchanged
    found = as_collection(loaded, target="y")
    assert found.lone and len(found.future[SINGLE].index) == 3
    assert "future" not in found[SINGLE].attrs and "future" in loaded.attrs  # user's frame kept
    again = as_collection(found, target="y")  # inside the package: flag and rows kept
    assert again.lone and again.future == found.future


def test_as_collection_keeps_a_sets_flag_and_a_panels_order() -> None:
    many = as_collection({"b": frame(), "a": frame(level=1)}, target="y")
    assert not many.lone and list(many) == ["b", "a"]
    assert as_collection(frame(), target="y").lone
    long = pd.concat([frame().assign(id=k) for k in ("q", "p")]).reset_index()
    from_file = as_collection(long, target="y", time_col="date", id_col="id")
    assert not from_file.lone and list(from_file) == ["q", "p"]


# ---------------------------------------------------------------------- the split
def test_split_parts_read_as_sets_and_unwrap_as_before() -> None:
    one = split_series(frame(), SplitSpec((0.6, 0.2, 0.2)), context=5)
    assert isinstance(one.train, pd.DataFrame) and isinstance(one.val_start, int)
    sets = one.sets()
    assert sets.train.lone and sets.test.lone and sets.val.lone
    assert sets.train[SINGLE] is one.train and sets.test_start == {SINGLE: one.test_start}
    assert panel.history_of(one).lone
    assert panel.test_rows(one) == {SINGLE: len(one.test) - one.test_start}
    many = split_series({"b": frame(), "a": frame(level=1)}, SplitSpec((0.6, 0.2, 0.2)))
    assert list(many.train) == ["b", "a"] and not many.sets().train.lone
    lone_set = split_series(keyed(frame()), SplitSpec((0.6, 0.2, 0.2)), context=5)
    pd.testing.assert_frame_equal(lone_set.test, one.test)  # a lone set splits as its frame


# ---------------------------------------------------------------------- future rows
def test_future_covariates_are_an_explicit_argument() -> None:
    data = frame().assign(event=0.0)
    data.attrs["forecast"] = {"target": ["y"], "covariates": ["event"], "freq": "D"}
    index = pd.date_range(data.index[-1], periods=3, freq="D")[1:]
    given = future_frame(data, index, rows_after(data, [1.0, 0.0]), ["event"], "none", None)
    assert given["event"].tolist() == [1.0, 0.0] and given["y"].isna().all()
    with pytest.raises(DataError, match="the data has 0: add them"):
        future_frame(data, index, None, ["event"], "none", None)
    longer = extended(data, 2, "D", rows_after(data, [1.0, 1.0]), ["event"], "none", None)
    assert len(longer) == len(data) + 2 and longer["event"].iloc[-2:].tolist() == [1.0, 1.0]


# ---------------------------------------------------------------------- the public edge
@pytest.fixture(scope="module")
def fitted() -> Forecaster:
    keras.utils.set_random_seed(0)
    f = Forecaster(lookback=7, horizon=3, target="y", epochs=1, verbose=0,
                   model_options={"units": 4})  # fmt: skip
    return f.fit({"z": frame(60), "a": frame(60, level=1, seed=1)}, val=0.25)


def test_the_edge_gives_a_frame_for_a_lone_series_and_a_keyed_result_for_a_panel(fitted) -> None:
    lone = fitted.predict(frame(60))
    assert isinstance(lone, pd.DataFrame) and lone.shape == (3, 1)
    pd.testing.assert_frame_equal(fitted.predict(keyed(frame(60))), lone)
    result = fitted.predict({"m": frame(60), "z": frame(60), "a": frame(60, level=1, seed=1)})
    assert type(result) is dict and list(result) == ["m", "z", "a"]  # the order given
    windows = fitted.predict_windows(frame(60), start=6)
    assert "series" not in windows.columns  # a lone series' table names no series
    keyed_windows = fitted.predict_windows({"z": frame(60)}, start=6)
    assert (keyed_windows["series"] == "z").all()


def test_a_lone_series_too_short_or_with_a_gap_is_refused_by_name(fitted) -> None:
    with pytest.raises(DataError, match="predict needs the last lookback = 7 rows, got 5"):
        fitted.predict(frame(5))
    short = fitted.predict({"z": frame(60), "tiny": frame(5)})  # a panel: a fallback instead
    assert short["tiny"].attrs["method"] != "model"
