"""SeriesScaler: fitted on train only, exact inverses, JSON round trips without pickle."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from forecast.errors import ConfigError, DataError
from forecast.scaling import PanelScaler, SeriesScaler
from forecast.splits import split

ROOT = Path(__file__).resolve().parents[1]
METHODS = ["minmax", "standard", "robust", "none"]
FAST = settings(max_examples=50, deadline=None)

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, allow_subnormal=False)
tables = st.integers(1, 4).flatmap(
    lambda k: arrays(np.float64, st.tuples(st.integers(2, 30), st.just(k)), elements=finite)
)


def _frame(n: int = 40, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "load": rng.normal(50.0, 10.0, n),
            "temp": rng.normal(-3.0, 0.01, n),
            "price": rng.uniform(1e3, 1e5, n),
        },
        index=pd.date_range("2024-01-01", periods=n, freq="h"),
    )
    frame.attrs["forecast"] = {"target": ["load", "temp"], "covariates": ["price"], "freq": "h"}
    return frame


# Each method --------------------------------------------------------------------------------


def test_minmax_maps_train_to_the_feature_range():
    frame = _frame()

    scaled = SeriesScaler("minmax", feature_range=(-1, 1)).fit(frame).transform(frame)

    np.testing.assert_allclose(scaled.min(axis=0), -1, atol=1e-6)
    np.testing.assert_allclose(scaled.max(axis=0), 1, atol=1e-6)


def test_standard_gives_zero_mean_unit_variance_on_train():
    frame = _frame()

    scaled = SeriesScaler("standard").fit(frame).transform(frame, dtype=np.float64)

    np.testing.assert_allclose(scaled.mean(axis=0), 0, atol=1e-9)
    np.testing.assert_allclose(scaled.std(axis=0), 1, atol=1e-9)


def test_robust_centres_on_the_median_and_divides_by_the_iqr():
    frame = _frame()

    scaled = SeriesScaler("robust").fit(frame).transform(frame, dtype=np.float64)

    np.testing.assert_allclose(np.median(scaled, axis=0), 0, atol=1e-9)
    q75, q25 = np.percentile(scaled, [75, 25], axis=0)
    np.testing.assert_allclose(q75 - q25, 1, atol=1e-9)


def test_none_leaves_values_as_they_are():
    frame = _frame()

    scaled = SeriesScaler("none").fit(frame).transform(frame, dtype=np.float64)

    np.testing.assert_array_equal(scaled, frame.to_numpy())


@pytest.mark.parametrize("method", METHODS)
def test_transform_gives_float32_by_default(method):
    frame = _frame()

    scaled = SeriesScaler(method).fit(frame).transform(frame)

    assert scaled.dtype == np.float32
    assert scaled.shape == (40, 3)


@pytest.mark.parametrize("method", METHODS)
def test_constant_column_does_not_divide_by_zero(method):
    values = np.column_stack([np.arange(10.0), np.full(10, 7.0)])

    scaler = SeriesScaler(method).fit(values)
    scaled = scaler.transform(values, dtype=np.float64)

    assert np.isfinite(scaled).all()
    np.testing.assert_allclose(scaler.inverse_transform(scaled), values)


# The scikit-learn contract ------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_fit_returns_self(method):
    scaler = SeriesScaler(method)

    assert scaler.fit(_frame()) is scaler


def test_settings_are_stored_unchanged_and_learned_state_ends_in_underscore():
    scaler = SeriesScaler("minmax", feature_range=(-1, 1))

    assert vars(scaler) == {"method": "minmax", "feature_range": (-1, 1)}
    scaler.fit(_frame())
    learned = {name for name in vars(scaler) if name not in {"method", "feature_range"}}
    public = {name for name in learned if not name.startswith("_")}
    assert public == {"columns_", "target_columns_", "n_features_in_", "scale_", "offset_"}
    assert scaler.method == "minmax"
    assert scaler.feature_range == (-1, 1)


@pytest.mark.parametrize("method", METHODS)
def test_scale_and_offset_describe_the_transform(method):
    frame = _frame()

    scaler = SeriesScaler(method).fit(frame)

    assert scaler.scale_.shape == scaler.offset_.shape == (3,)
    np.testing.assert_allclose(
        scaler.transform(frame, dtype=np.float64),
        frame.to_numpy() * scaler.scale_ + scaler.offset_,
        rtol=1e-12,
        atol=1e-9,
    )


def test_fitted_attributes_record_columns_and_targets():
    scaler = SeriesScaler().fit(_frame())

    assert scaler.columns_ == ["load", "temp", "price"]
    assert scaler.target_columns_ == ["load", "temp"]
    assert scaler.n_features_in_ == 3


def test_targets_can_be_given_by_name_or_position_and_default_to_the_first_column():
    values = _frame().to_numpy()

    assert SeriesScaler().fit(values).target_columns_ == ["0"]
    assert SeriesScaler().fit(values, targets=[2]).target_columns_ == ["2"]
    assert SeriesScaler().fit(_frame(), targets=["price"]).target_columns_ == ["price"]


def test_repr_shows_the_settings():
    assert repr(SeriesScaler("robust")) == "SeriesScaler(method='robust', feature_range=(0, 1))"


# Round trips --------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
@FAST
@given(values=tables)
def test_inverse_transform_undoes_transform(method, values):
    scaler = SeriesScaler(method).fit(values)

    restored = scaler.inverse_transform(scaler.transform(values, dtype=np.float64))

    tolerance = 1e-9 * (1.0 + np.abs(values).max())
    np.testing.assert_allclose(restored, values, rtol=0, atol=tolerance)


@pytest.mark.parametrize("method", METHODS)
@FAST
@given(fit_on=tables, data=st.data())
def test_round_trip_holds_for_data_outside_the_fitted_range(method, fit_on, data):
    other = data.draw(
        arrays(np.float64, (data.draw(st.integers(1, 20)), fit_on.shape[1]), elements=finite)
    )
    scaler = SeriesScaler(method).fit(fit_on)

    restored = scaler.inverse_transform(scaler.transform(other, dtype=np.float64))

    # Error grows with the size of the values and of the fitted spread.
    spread = 1.0 + np.abs(other).max() + np.abs(fit_on).max()
    ratio = 1.0 + np.abs(scaler.scale_).max() / np.abs(scaler.scale_).min()
    np.testing.assert_allclose(restored, other, rtol=0, atol=1e-9 * spread * ratio)


# Fitted on train only -----------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
@FAST
@given(
    n=st.integers(10, 60),
    train=st.floats(0.2, 0.8),
    seed=st.integers(0, 2**32 - 1),
    new=finite,
)
def test_scaler_is_fitted_on_train_only(method, n, train, seed, new):
    series = _frame(n, seed=seed % 1000)
    parts = split(series, train=train, val=0.0)
    fitted = SeriesScaler(method).fit(parts.train).to_dict()

    changed = series.copy()
    rng = np.random.default_rng(seed)
    rows = np.arange(len(parts.train), n)
    changed.iloc[rows, rng.integers(0, 3)] = new * rng.uniform(-10, 10, len(rows))
    refitted = SeriesScaler(method).fit(split(changed, train=train, val=0.0).train).to_dict()

    assert refitted == fitted


def test_targets_default_to_those_recorded_by_load_series_even_after_split():
    parts = split(_frame(), train=0.5, val=0.25)

    assert SeriesScaler().fit(parts.train).target_columns_ == ["load", "temp"]


# Inverting model outputs --------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_inverse_transform_targets_matches_inverting_every_column(method):
    frame = _frame()
    scaler = SeriesScaler(method).fit(frame)
    full = np.random.default_rng(1).normal(size=(5, 4, 3))  # (n, horizon, features)

    targets_only = scaler.inverse_transform_targets(full[..., :2])  # (n, horizon, n_targets)

    assert targets_only.shape == (5, 4, 2)
    np.testing.assert_array_equal(targets_only, scaler.inverse_transform(full)[..., :2])


@pytest.mark.parametrize("method", METHODS)
def test_inverse_transform_targets_accepts_n_by_horizon_for_one_target(method):
    frame = _frame()
    scaler = SeriesScaler(method).fit(frame, targets=["price"])
    full = np.random.default_rng(2).normal(size=(6, 3, 3))

    y = scaler.inverse_transform_targets(full[..., 2])  # (n, horizon)

    assert y.shape == (6, 3)
    np.testing.assert_array_equal(y, scaler.inverse_transform(full)[..., 2])


def test_inverse_transform_targets_gives_back_original_units_of_windowed_targets():
    frame = _frame()
    scaler = SeriesScaler("standard").fit(frame)
    scaled = scaler.transform(frame, dtype=np.float64)
    y_scaled = np.stack([scaled[i : i + 4, :2] for i in range(10)])  # (10, 4, 2)

    y = scaler.inverse_transform_targets(y_scaled)

    expected = np.stack([frame.to_numpy()[i : i + 4, :2] for i in range(10)])
    np.testing.assert_allclose(y, expected, rtol=1e-12)


@pytest.mark.parametrize("shape", [(5, 4, 3), (5, 4, 1), (5, 4)])
def test_inverse_transform_targets_rejects_a_wrong_last_axis(shape):
    scaler = SeriesScaler().fit(_frame())  # two targets

    with pytest.raises(DataError, match=r"expected model outputs shaped \(n, horizon, 2\)"):
        scaler.inverse_transform_targets(np.zeros(shape))


def test_inverse_transform_rejects_a_wrong_last_axis():
    scaler = SeriesScaler().fit(_frame())

    with pytest.raises(DataError, match="expected last axis of size 3"):
        scaler.inverse_transform(np.zeros((5, 2)))


def test_transform_rejects_other_columns():
    scaler = SeriesScaler().fit(_frame())

    with pytest.raises(DataError, match=r"expected 3 columns \(load, temp, price\), got 2"):
        scaler.transform(np.zeros((5, 2)))
    with pytest.raises(DataError, match="differ from the fitted ones"):
        scaler.transform(_frame()[["price", "temp", "load"]])


# Saving -------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=25, deadline=None)
@given(values=tables)
def test_json_round_trip_is_bit_exact(method, values):
    scaler = SeriesScaler(method, feature_range=(-1, 1)).fit(values)

    restored = SeriesScaler.from_dict(json.loads(json.dumps(scaler.to_dict())))

    assert restored.to_dict() == scaler.to_dict()
    assert np.array_equal(restored.transform(values), scaler.transform(values))
    assert np.array_equal(
        restored.transform(values, dtype=np.float64), scaler.transform(values, dtype=np.float64)
    )
    outputs = np.random.default_rng(0).normal(size=(3, 2, values.shape[1]))
    assert np.array_equal(restored.inverse_transform(outputs), scaler.inverse_transform(outputs))
    assert np.array_equal(
        restored.inverse_transform_targets(outputs[..., :1]),
        scaler.inverse_transform_targets(outputs[..., :1]),
    )
    np.testing.assert_array_equal(restored.scale_, scaler.scale_)
    np.testing.assert_array_equal(restored.offset_, scaler.offset_)


def test_restored_scaler_keeps_columns_and_targets():
    scaler = SeriesScaler("robust").fit(_frame())

    restored = SeriesScaler.from_dict(json.loads(json.dumps(scaler.to_dict())))

    assert restored.columns_ == ["load", "temp", "price"]
    assert restored.target_columns_ == ["load", "temp"]
    assert restored.method == "robust"
    assert tuple(restored.feature_range) == (0, 1)


@pytest.mark.parametrize("method", METHODS)
def test_saving_and_loading_never_touch_pickle(method, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("pickle was used")

    for name in ("dump", "dumps", "load", "loads"):
        monkeypatch.setattr(pickle, name, refuse)
    scaler = SeriesScaler(method).fit(_frame())

    text = json.dumps(scaler.to_dict())
    restored = SeriesScaler.from_dict(json.loads(text))

    assert np.array_equal(restored.transform(_frame()), scaler.transform(_frame()))


@pytest.mark.parametrize("method", ["minmax", "standard", "robust"])
@settings(max_examples=25, deadline=None)
@given(values=tables)
def test_transform_gives_scikit_learns_bits(method, values):
    from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

    scaler = SeriesScaler(method, feature_range=(-1, 1)).fit(values)
    sk = {"minmax": MinMaxScaler((-1, 1)), "standard": StandardScaler(),
          "robust": RobustScaler()}[method].fit(values)  # fmt: skip
    new = values[::-1] * 3 + 1  # other values than the fitted ones
    assert np.array_equal(scaler.transform(new, dtype=np.float64), sk.transform(new))


def test_a_loaded_scaler_transforms_without_scikit_learn() -> None:
    text = json.dumps(PanelScaler("robust", per_series=True).fit_panel({"a": _frame()}).to_dict())
    script = (
        "import json, sys\nimport numpy as np\nfrom forecast.scaling import PanelScaler\n"
        f"s = PanelScaler.from_panel_dict(json.loads({text!r}))\n"
        "print(float(s.transform(np.ones((2, 3)), key='a').sum()), 'sklearn' in sys.modules)\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    total, imported = done.stdout.split()
    assert imported == "False"
    restored = PanelScaler.from_panel_dict(json.loads(text))
    assert float(total) == float(restored.transform(np.ones((2, 3)), key="a").sum())


def test_infinite_values_are_a_data_error():
    scaler = SeriesScaler("standard").fit(_frame())
    values = _frame().to_numpy().copy()  # pandas 3: a read-only view
    values[3, 1] = np.inf
    with pytest.raises(DataError, match="column 'temp' holds infinite values"):
        scaler.transform(values)


@pytest.mark.parametrize(
    "broken",
    [{}, {"method": "minmax"}, {"method": "bogus", "feature_range": [0, 1]}],
)
def test_broken_description_is_a_config_error(broken):
    with pytest.raises(ConfigError):
        SeriesScaler.from_dict(broken)


# Misuse -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "use",
    [
        lambda s: s.transform(np.zeros((3, 1))),
        lambda s: s.inverse_transform(np.zeros((3, 1))),
        lambda s: s.inverse_transform_targets(np.zeros((3, 2))),
        lambda s: s.to_dict(),
    ],
    ids=["transform", "inverse_transform", "inverse_transform_targets", "to_dict"],
)
def test_unfitted_scaler_says_to_fit_first(use):
    with pytest.raises(ConfigError, match="not fitted yet; call fit"):
        use(SeriesScaler())


def test_unknown_method_is_a_config_error():
    with pytest.raises(ConfigError, match="method must be one of minmax, standard, robust, none"):
        SeriesScaler("log").fit(_frame())


def test_inverted_feature_range_is_a_config_error():
    with pytest.raises(ConfigError, match="low < high"):
        SeriesScaler("minmax", feature_range=(1, 0)).fit(_frame())


def test_unknown_target_is_a_config_error_listing_the_columns():
    with pytest.raises(ConfigError, match="target 'OT' is not a column; columns are: load, temp"):
        SeriesScaler().fit(_frame(), targets=["OT"])


def test_fitting_on_fewer_than_two_rows_is_a_data_error():
    with pytest.raises(DataError, match="cannot fit a scaler on 1 row"):
        SeriesScaler().fit(_frame().iloc[:1])


def test_three_dimensional_input_is_a_data_error():
    with pytest.raises(DataError, match="expected a 2-D array"):
        SeriesScaler().fit(np.zeros((4, 3, 2)))


def test_panel_scaler_scales_each_series_on_its_own_rows_and_round_trips_json() -> None:
    from forecast.scaling import PanelScaler

    small = pd.DataFrame({"y": [1.0, 2.0, 3.0]})
    large = pd.DataFrame({"y": [1000.0, 3000.0, 5000.0]})
    scaler = PanelScaler("standard", per_series=True).fit_panel({"s": small, "l": large})
    assert scaler.transform(small, key="s") == pytest.approx(scaler.transform(large, key="l"))
    pooled = scaler.transform(small)  # an unseen key, or none: the pooled fit
    assert pooled == pytest.approx(scaler.transform(small, key="unseen"))
    assert not np.allclose(pooled, scaler.transform(small, key="s"))
    again = PanelScaler.from_panel_dict(json.loads(json.dumps(scaler.to_dict())))
    y = np.array([[[0.5], [1.0]]])
    std = np.sqrt(2 * 2000.0**2 / 3)  # the large series' own standard deviation
    assert again.inverse_transform_targets(y, "l") == pytest.approx(
        np.array([[[3000 + std / 2], [3000 + std]]])
    )
    assert again.inverse_transform_targets(y, "l") == pytest.approx(
        scaler.inverse_transform_targets(y, "l")
    )
    plain = PanelScaler.from_panel_dict(SeriesScaler("standard").fit(small).to_dict())
    assert plain.per_series_ == {}  # an artifact saved before per-series scaling loads
    assert plain.transform(large, key="l") == pytest.approx(
        SeriesScaler().fit(small).transform(large)
    )


def test_level_scalings_make_series_that_differ_only_in_level_identical() -> None:
    from forecast.scaling import PanelScaler

    rng = np.random.default_rng(0)
    shape = 5 + np.sin(np.arange(30) / 2) + 0.1 * rng.standard_normal(30)
    small, large = pd.DataFrame({"y": shape}), pd.DataFrame({"y": 1000 * shape})
    for mode in ("mean", "diff"):
        scaler = PanelScaler("standard", per_series=mode, season=4)
        scaler.fit_panel({"s": small, "l": large})
        assert scaler.transform(small, key="s") == pytest.approx(
            scaler.transform(large, key="l"), rel=1e-5
        )
        again = PanelScaler.from_panel_dict(json.loads(json.dumps(scaler.to_dict())))
        y = np.array([[[0.5], [1.0]]])
        assert again.inverse_transform_targets(y, "l") == pytest.approx(
            scaler.inverse_transform_targets(y, "l")
        )
    mean = PanelScaler("standard", per_series="mean").fit_panel({"l": large})
    assert mean.inverse_transform_targets(np.array([[1.0]]), "l") == pytest.approx(
        np.array([[np.mean(np.abs(1000 * shape))]])  # DeepAR's scale: x / mean |x|, no centring
    )
    diff = PanelScaler("standard", per_series="diff", season=4).fit_panel({"l": large})
    step = np.mean(np.abs(1000 * shape[4:] - 1000 * shape[:-4]))  # the MASE scale, m = 4
    got = diff.inverse_transform_targets(np.array([[1.0], [0.0]]), "l")
    assert got[0] - got[1] == pytest.approx(np.array([step]))


def test_mean_scaling_leaves_a_series_with_negative_values_to_standard_scaling() -> None:
    from forecast.scaling import PanelScaler

    frame = pd.DataFrame({"y": [-2.0, 1.0, 4.0, 1.0]})
    scaler = PanelScaler("standard", per_series="mean").fit_panel({"n": frame})
    assert scaler.transform(frame, key="n") == pytest.approx(
        SeriesScaler("standard").fit(frame).transform(frame)
    )
