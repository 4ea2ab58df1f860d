"""Specification of forecast.Forecaster: fit, predict, windows, honest evaluation, backtest."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast import Forecaster, load_series, lookback
from forecast.errors import ConfigError, DataError
from forecast.evaluation import baseline_forecasts
from forecast.series import SINGLE
from forecast.splits import SplitSpec, split_series

DATA = Path(__file__).resolve().parents[1] / "data"
DAILY = DATA / "synthetic_daily.csv"
COVARIATE = DATA / "synthetic_covariate.csv"
LOOKBACK, HORIZON = 12, 3
TINY = dict(
    lookback=LOOKBACK, horizon=HORIZON, epochs=2, batch_size=32, verbose=0, seed=0,
    model_options={"units": 8},
)  # fmt: skip
BASELINES = ("naive", "seasonal_naive", "mean", "linear")


def _daily_raw(rows: int = 300) -> pd.DataFrame:
    return pd.read_csv(DAILY).iloc[:rows]


@pytest.fixture(scope="module")
def daily() -> pd.DataFrame:
    return load_series(_daily_raw(), target="value")


@pytest.fixture(scope="module")
def fitted(daily) -> Forecaster:
    return Forecaster(model="single", **TINY).fit(daily)


def _sine(rows: int = 80) -> pd.DataFrame:
    index = pd.date_range("2020-01-01", periods=rows, freq="D")
    return pd.DataFrame({"value": np.sin(np.arange(rows) / 3.0)}, index=index)


SMALL = dict(lookback=8, horizon=2, epochs=2, verbose=0, model_options={"units": 4})


@pytest.fixture(scope="module")
def small() -> Forecaster:
    """A seed-3 model of SMALL's settings on 80 sine days (val=16), the default loss and batch
    size: the batch-size, default-loss and ensemble-member tests read this one fit."""
    return Forecaster(seed=3, **SMALL).fit(_sine(), val=16)


@pytest.fixture(scope="module")
def ensemble() -> Forecaster:
    """Two seed-3 members of SMALL's settings on the same data, trained without a run folder:
    the averaging test and the resume test's uninterrupted reference."""
    return Forecaster(ensemble=2, seed=3, **SMALL).fit(_sine(), val=16)


@pytest.fixture(scope="module")
def multi() -> tuple[Forecaster, pd.DataFrame]:
    frame = load_series(
        pd.read_csv(COVARIATE).iloc[:240],
        target=["load", "temperature"],
        covariates=["noise_feature"],
    )
    return Forecaster(model="single", **TINY).fit(frame), frame


# ------------------------------------------------------------------ fit / predict
def test_fit_then_predict_the_next_horizon_days(fitted, daily):
    future = fitted.predict(daily)
    expected = pd.date_range(daily.index[-1], periods=HORIZON + 1, freq="D")[1:]
    assert future.shape == (HORIZON, 1)
    assert list(future.columns) == ["value"]
    assert list(future.index) == list(expected)
    assert future.index.name == "date"
    assert np.isfinite(future.to_numpy()).all()
    # Within a few standard deviations of the data: predictions are in original units.
    assert abs(future["value"].mean() - daily["value"].iloc[-30:].mean()) < 5 * daily.std().iloc[0]
    assert fitted.is_fitted and fitted.freq_ == "D" and fitted.season_ == 7
    assert set(fitted.history_) >= {"loss", "val_loss"} and len(fitted.history_["loss"]) == 2


def test_predict_follows_a_monthly_start_frequency():
    index = pd.date_range("2015-01-01", periods=60, freq="MS", name="month")
    values = 100 + 10 * np.sin(np.arange(60) * 2 * np.pi / 12)
    frame = pd.DataFrame({"month": index, "sales": values})
    settings = {**TINY, "lookback": 6, "horizon": 4, "epochs": 1}
    f = Forecaster(**settings).fit(frame, val=None)
    future = f.predict(frame)
    assert f.freq_ == "MS" and f.season_ == 12
    assert list(future.index) == list(pd.date_range("2020-01-01", periods=4, freq="MS"))
    assert future.index.name == "month"


def test_several_targets_with_covariates(multi):
    f, frame = multi
    future = f.predict(frame)
    assert future.shape == (HORIZON, 2)
    assert list(future.columns) == ["load", "temperature"]
    assert f.columns_ == ["load", "temperature", "noise_feature"]
    assert f.model_.input_shape == (None, LOOKBACK, 3)
    assert f.model_.output_shape == (None, HORIZON, 2)
    expected = pd.date_range(frame.index[-1], periods=HORIZON + 1, freq="h")[1:]
    assert list(future.index) == list(expected)


def test_many_series_train_one_global_model():
    raw = _daily_raw(200)
    long = pd.concat(
        [
            raw.assign(store="a"),
            raw.iloc[:150].assign(store="b", value=raw["value"].iloc[:150] * 2 + 5),
        ],
        ignore_index=True,
    )
    f = Forecaster(id_col="store", target="value", **TINY).fit(long)
    futures = f.predict(long)
    assert isinstance(futures, dict) and list(futures) == ["a", "b"]
    for key, rows in (("a", 200), ("b", 150)):
        last = pd.Timestamp(raw["date"].iloc[rows - 1])
        assert futures[key].shape == (HORIZON, 1)
        assert futures[key].index[0] == last + pd.Timedelta(days=1)
    assert sorted(f.last_timestamps_) == ["a", "b"]
    report = f.evaluate(long, test=30)  # one report over both series' windows
    assert report.n_windows == 2 * (30 - HORIZON + 1)


# ------------------------------------------------------------------ predict_windows
def test_predict_windows_is_a_tidy_frame_of_every_rolling_forecast(multi):
    f, frame = multi
    tidy = f.predict_windows(frame)
    n_windows = len(frame) - LOOKBACK - HORIZON + 1
    assert list(tidy.columns) == ["origin", "time", "step", "target", "forecast", "actual"]
    assert len(tidy) == n_windows * HORIZON * 2
    assert sorted(tidy["step"].unique()) == list(range(1, HORIZON + 1))
    # `actual` is the data at `time`; `origin` is the last observed time before step 1.
    looked_up = [frame.at[t, c] for t, c in zip(tidy["time"], tidy["target"], strict=True)]
    np.testing.assert_array_equal(tidy["actual"].to_numpy(), np.asarray(looked_up))
    step = tidy["time"] - tidy["origin"]
    assert (step == pd.to_timedelta(tidy["step"], unit="h")).all()
    assert tidy["time"].min() == frame.index[LOOKBACK]
    assert tidy["time"].max() == frame.index[-1]


# ------------------------------------------------------------------ evaluate
def test_evaluate_scores_model_and_every_baseline_on_the_same_windows(fitted, daily):
    report = fitted.evaluate(daily)
    n_windows = len(daily) - LOOKBACK - HORIZON + 1
    assert report.n_windows == n_windows
    overall = report.overall()
    assert sorted(overall.index.get_level_values("method")) == sorted(["model", *BASELINES])
    # The model's numbers are those of its rolling forecasts ...
    tidy = fitted.predict_windows(daily)
    model_mae = (tidy["forecast"] - tidy["actual"]).abs().groupby(tidy["step"]).mean()
    np.testing.assert_allclose(report.per_step()[("value", "model")], model_mae, rtol=1e-12)
    # ... and the baselines' are computed by hand on exactly those windows.
    values = daily.to_numpy()
    origins = np.arange(LOOKBACK, len(daily) - HORIZON + 1)
    actual = values[origins[:, None] + np.arange(HORIZON)]
    naive = np.repeat(values[origins - 1][:, None], HORIZON, axis=1)
    seasonal = values[origins[:, None] + np.arange(HORIZON) - 7]
    mean = np.array([values[o - LOOKBACK : o].mean() for o in origins])[:, None, None]
    scaled = fitted.scaler_.transform(daily, key=SINGLE)[:, :1]  # the series' own scaler
    linear = fitted.linear_.predict(scaled, origins)
    linear = fitted.scaler_.inverse_transform_targets(linear, key=SINGLE)
    guesses = {"naive": naive, "seasonal_naive": seasonal, "mean": mean, "linear": linear}
    for name, guess in guesses.items():
        hand = np.abs(guess - actual).mean()
        assert overall.loc[("value", name), "MAE"] == pytest.approx(hand, rel=1e-12)


def test_evaluate_reports_original_units(fitted):
    raw = _daily_raw()
    big = raw.assign(value=raw["value"] * 1000)
    small = fitted.evaluate(raw).overall()  # fitted: TINY on these rows, as `large` below
    large = Forecaster(**TINY).fit(big).evaluate(big).overall()
    for name in BASELINES:
        ratio = large.loc[("value", name), "MAE"] / small.loc[("value", name), "MAE"]
        assert ratio == pytest.approx(1000, rel=1e-9)
        assert large.loc[("value", name), "MASE"] == pytest.approx(
            small.loc[("value", name), "MASE"], rel=1e-9
        )
    # The model sees the same standardized data either way, so its error scales too.
    model_ratio = large.loc[("value", "model"), "MAE"] / small.loc[("value", "model"), "MAE"]
    assert model_ratio == pytest.approx(1000, rel=1e-2)


def test_evaluate_test_n_scores_only_targets_in_the_last_n_rows(fitted, daily):
    n = 40
    report = fitted.evaluate(daily, test=n)
    assert report.n_windows == n - HORIZON + 1
    tidy = fitted.predict_windows(daily, start=n)
    assert tidy["time"].min() == daily.index[-n]
    # The same as scoring the last n rows with just lookback rows of context before them.
    alone = fitted.evaluate(daily.iloc[-(n + LOOKBACK) :])
    pd.testing.assert_frame_equal(report.table, alone.table)
    values = daily.to_numpy()
    origins = np.arange(len(daily) - n, len(daily) - HORIZON + 1)
    naive = baseline_forecasts(values, origins, LOOKBACK, HORIZON, 7)["naive"]
    actual = values[origins[:, None] + np.arange(HORIZON)]
    expected = np.abs(naive - actual).mean()
    assert report.overall().loc[("value", "naive"), "MAE"] == pytest.approx(expected, rel=1e-12)


# ------------------------------------------------------------------ backtest
@pytest.mark.parametrize(("mode", "refit_every"), [("expanding", 1), ("sliding", 0)])
def test_backtest_folds(daily, mode, refit_every):
    f = Forecaster(**TINY)
    result = f.backtest(
        daily, folds=2, test_size=20, mode=mode, refit_every=refit_every, keep_models=True
    )
    table = result.folds
    assert len(table) == 2 * (1 + len(BASELINES))  # per fold: model + baselines
    per_fold = 1 + len(BASELINES)
    assert table["fold"].tolist() == [1] * per_fold + [2] * per_fold
    refits = table.drop_duplicates("fold")["refit"].tolist()
    assert refits == ([True, True] if refit_every == 1 else [True, False])
    first_cut = len(daily) - 2 * 20
    folds = table.drop_duplicates("fold").reset_index(drop=True)
    assert folds["test_start"].tolist() == [daily.index[first_cut], daily.index[first_cut + 20]]
    assert folds["test_end"].tolist() == [daily.index[first_cut + 19], daily.index[-1]]
    starts = [0, 0] if mode == "expanding" else [0, 20]
    assert folds["train_start"].tolist() == [daily.index[s] for s in starts]
    # The summary is the mean over folds.
    mae = table.groupby("method")["MAE"].mean()
    for method in ("model", *BASELINES):
        assert result.summary.loc[("value", method), "MAE"] == pytest.approx(mae[method])
    # Each refitted model's scaler saw its own training slice only (less its val part).
    models = result.models
    assert len(models) == 2 and (models[0] is models[1]) == (refit_every == 0)
    for k, model in enumerate(models):
        if not folds.loc[k, "refit"]:
            continue
        cut = first_cut + 20 * k
        train = daily.iloc[starts[k] : cut]
        fit_rows = len(train) - round(0.2 * len(train))
        state = model.scaler_.to_dict()["state"]
        expected = train["value"].iloc[:fit_rows]
        assert state["mean_"] == pytest.approx([expected.mean()], rel=1e-12)
        assert state["var_"] == pytest.approx([expected.var(ddof=0)], rel=1e-9)
    assert f.is_fitted is False  # backtesting leaves the original untouched


# ------------------------------------------------------------------ continue training
def test_loaded_forecaster_continues_from_its_saved_weights(tmp_path, daily, fitted):
    f = fitted  # 2 epochs of TINY on every row of daily
    f.save(tmp_path / "run")
    saved = f.model_.get_weights()
    more = daily.iloc[150:]

    g = Forecaster.load(tmp_path / "run")
    scaler = g.scaler_.to_dict()
    g.model_.optimizer.learning_rate.assign(0.0)  # no update: the start point stays visible
    g.fit(more, epochs=2)
    assert len(g.history_["loss"]) == 4  # 2 saved epochs + 2 new ones
    for before, after in zip(saved, g.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)
    assert g.scaler_.to_dict() == scaler  # the scaler is kept, not refitted

    g.model_.optimizer.learning_rate.assign(1e-3)  # now a real learning rate
    g.fit(more, epochs=2)
    assert len(g.history_["loss"]) == 6
    moved = zip(saved, g.model_.get_weights(), strict=True)
    assert any(not np.array_equal(a, b) for a, b in moved)
    fresh = Forecaster(**TINY).fit(more, epochs=4)  # same data and epochs, from scratch
    differ = zip(fresh.model_.get_weights(), g.model_.get_weights(), strict=True)
    assert any(not np.allclose(a, b) for a, b in differ)


# ------------------------------------------------------------------ errors
def test_missing_target_column_lists_the_columns():
    with pytest.raises(DataError, match=r"'sales' not found; columns are: date, value"):
        Forecaster(target="sales", **TINY).fit(_daily_raw())


def test_series_shorter_than_lookback_plus_horizon_is_a_data_error():
    short = _daily_raw(LOOKBACK + HORIZON - 1)
    with pytest.raises(DataError, match="lookback \\+ horizon"):
        Forecaster(**TINY).fit(short, val=None)
    with pytest.raises(DataError, match="lookback \\+ horizon"):
        Forecaster(**TINY).fit(_daily_raw(LOOKBACK + HORIZON + 2))  # too short after val


def test_predicting_before_fitting_is_a_config_error(daily):
    with pytest.raises(ConfigError, match="not fitted"):
        Forecaster(**TINY).predict(daily)


def test_unknown_model_name_is_a_config_error(daily):
    with pytest.raises(ConfigError, match=r"unknown model 'transformer'.*single"):
        Forecaster(model="transformer", **TINY).fit(daily)


def test_predict_needs_a_full_lookback(fitted, daily):
    with pytest.raises(DataError, match=f"lookback = {LOOKBACK}"):
        fitted.predict(daily.iloc[: LOOKBACK - 1])


def test_default_batch_size_gives_short_series_enough_steps_per_epoch() -> None:
    from forecast.training import batch_size_for

    assert batch_size_for(100_000) == 128
    assert batch_size_for(1000) == 32  # 1000 windows: 31 steps per epoch, not 8
    assert batch_size_for(51) == 8  # AirPassengers-sized: 7 steps, not 1
    assert batch_size_for(51, batch_size=64) == 64  # an explicit size is kept


def test_fit_records_the_batch_size_it_used(small) -> None:
    assert small.batch_size is None  # not given: chosen for 55 training windows
    assert small.batch_size_ == 8


def test_learning_rate_schedule_reaches_training_and_is_saved(tmp_path: Path) -> None:
    index = pd.date_range("2020-01-01", periods=80, freq="D")
    frame = pd.DataFrame({"value": np.sin(np.arange(80) / 3.0)}, index=index)
    f = Forecaster(
        lookback=8, horizon=2, epochs=3, verbose=0, model_options={"units": 4},
        reduce_lr_patience=1,
    )  # fmt: skip
    f.fit(frame, val=16)
    assert len(f.history_["learning_rate"]) == 3  # ReduceLROnPlateau logs the rate each epoch
    f.save(tmp_path / "run")
    assert Forecaster.load(tmp_path / "run").reduce_lr_patience == 1


def test_ensemble_averages_independently_seeded_members(tmp_path: Path, ensemble, small) -> None:
    frame, f = _sine(), ensemble
    members = [layer for layer in f.model_.layers if hasattr(layer, "predict")]
    assert len(members) == 2
    window = f.scaler_.transform(frame.iloc[-8:])[None]
    each = [m.predict(window, verbose=0) for m in members]
    np.testing.assert_allclose(
        f.model_.predict(window, verbose=0), (each[0] + each[1]) / 2, rtol=1e-6
    )
    single = small  # member 0 is the seed-3 model of the same settings and data
    np.testing.assert_array_equal(each[0], single.model_.predict(window, verbose=0))
    f.save(tmp_path / "ens")
    g = Forecaster.load(tmp_path / "ens")
    assert g.ensemble == 2
    np.testing.assert_array_equal(g.predict(frame).to_numpy(), f.predict(frame).to_numpy())


@pytest.mark.parametrize(
    ("loss", "trained_on"), [(None, "mean_absolute_error"), ("mse", "mean_squared_error")]
)
def test_models_train_on_mae_unless_told_otherwise(loss, trained_on, request) -> None:
    if loss is None:  # no loss given: the shared model of SMALL's settings
        f = request.getfixturevalue("small")
    else:
        settings = {**SMALL, "epochs": 1, "loss": loss}
        f = Forecaster(**settings).fit(_sine(60), val=16)
    assert f.model_.loss.name == trained_on


def test_unknown_loss_is_a_config_error_naming_the_choices(daily) -> None:
    with pytest.raises(ConfigError, match=r"unknown loss 'l3'; choose one of: mse, mae"):
        Forecaster(loss="l3", **TINY).fit(daily)


def test_resumed_ensemble_keeps_the_members_that_had_finished(
    tmp_path: Path, monkeypatch, ensemble
) -> None:
    from forecast import training

    frame = _sine()
    settings = dict(**SMALL, ensemble=2, seed=3)
    uninterrupted = ensemble  # the same settings and data, trained in one go
    real_fit, calls = training.fit, []

    def crash_in_the_second_member(*args, **kwargs):
        calls.append(kwargs["run_dir"])
        if len(calls) == 2:
            raise RuntimeError("killed")
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(training, "fit", crash_in_the_second_member)
    with pytest.raises(RuntimeError, match="killed"):
        Forecaster(**settings).fit(frame, val=16, run_dir=tmp_path / "run")
    calls.clear()
    resumed = Forecaster(**settings).fit(frame, val=16, run_dir=tmp_path / "run")
    assert [Path(c).name for c in calls] == ["member-1"]  # member 0 was not trained again
    assert resumed.fit_result_.epochs_run == uninterrupted.fit_result_.epochs_run
    np.testing.assert_array_equal(resumed.predict(frame), uninterrupted.predict(frame))


def _fresh_start(f: Forecaster):
    """A new model of `f`'s shape, started from `f`'s linear baseline (untrained)."""
    from forecast.models import get_builder, start_from_linear

    model = get_builder(f.model)(
        lookback=f.lookback, n_inputs=len(f.columns_), horizon=f.horizon,
        n_targets=f.n_targets_, **dict(f.model_options or {}),
    )  # fmt: skip
    start_from_linear(model, f.linear_.coef_, f.linear_.intercept_, len(f.columns_))
    return model


def test_ridge_skip_starts_every_target_from_the_linear_baseline(multi) -> None:
    f, frame = multi  # two targets and a covariate
    model = _fresh_start(f)
    scaled = f.scaler_.transform(frame)
    origins = np.arange(f.lookback, len(frame) - f.horizon + 1)
    windows = scaled[origins[:, None] - f.lookback + np.arange(f.lookback)]
    np.testing.assert_allclose(
        model.predict(windows, verbose=0),
        f.linear_.predict(scaled[:, : f.n_targets_], origins),
        rtol=1e-4, atol=1e-5,
    )  # fmt: skip


def test_ridge_skip_stays_frozen_through_training_and_saving(tmp_path: Path, fitted) -> None:
    assert fitted.ridge_skip is True
    skip = fitted.model_.get_layer("linear_skip")
    assert not skip.trainable
    np.testing.assert_array_equal(
        skip.get_weights()[0], _fresh_start(fitted).get_layer("linear_skip").get_weights()[0]
    )
    fitted.save(tmp_path / "run")
    assert not Forecaster.load(tmp_path / "run").model_.get_layer("linear_skip").trainable


def test_without_ridge_skip_the_linear_skip_trains_from_zero(daily) -> None:
    f = Forecaster(ridge_skip=False, **TINY).fit(daily)
    skip = f.model_.get_layer("linear_skip")
    assert skip.trainable and np.abs(skip.get_weights()[0]).max() > 0
    assert f.linear_ is not None  # the report's linear baseline is fitted all the same


# ------------------------------------------------------------------ lookback choice
def _seasonal(rows: int = 400, period: int = 12, seed: int = 0) -> pd.DataFrame:
    """A noisy series with a 12-step cycle: a linear map needs a full period of inputs."""
    rng = np.random.default_rng(seed)
    t = np.arange(rows)
    values = 10 * np.sin(2 * np.pi * t / period) + rng.normal(0, 0.5, rows)
    index = pd.date_range("2020-01-01", periods=rows, freq="h", name="time")
    return load_series(pd.DataFrame({"value": values}, index=index).reset_index())


def test_choose_lookback_picks_a_full_cycle_and_scores_every_candidate_alike():
    frame = _seasonal()
    f = Forecaster(horizon=6, season=12)
    choice = f.choose_lookback(frame, val=0.25, candidates=[2, 12, 24, 300])
    assert f.lookback == "auto"  # nothing changed: the choice is applied by the caller
    assert choice.lookback in (12, 24)
    assert choice.scores[choice.lookback] == min(v for v in choice.scores.values() if v)
    assert choice.scores[2] > 2 * choice.scores[choice.lookback]  # half a cycle is not enough
    assert choice.scores[300] is None  # too few training windows for 300 coefficients
    assert choice.windows == 100 - 6 + 1  # every window of the validation rows
    assert "lookback" in choice.summary() and "300 too long" in choice.summary()
    # Default candidates: 1, 2, 4, 7 and 14 seasons (those the training slice can fit).
    default = f.choose_lookback(frame, val=0.25)
    assert list(default.scores) == [12, 24, 48, 84, 168]
    assert default.scores[168] is None


def test_choose_lookback_needs_validation_data_and_sane_candidates():
    frame = _seasonal()
    with pytest.raises(ConfigError, match="needs validation data"):
        Forecaster(horizon=6).choose_lookback(frame, val=None)
    with pytest.raises(ConfigError, match="positive"):
        Forecaster(horizon=6).choose_lookback(frame, candidates=[0, 12])
    with pytest.raises(DataError, match="no lookback candidate fits"):
        Forecaster(horizon=6).choose_lookback(frame.iloc[:120], candidates=[60, 80])


def test_auto_lookback_is_the_default_chosen_on_validation_else_fixed(tmp_path: Path):
    frame = _seasonal()
    small = dict(horizon=6, season=12, epochs=1, verbose=0, model_options={"units": 4})
    f = Forecaster(**small)
    assert f.lookback == "auto"
    expected = f.choose_lookback(frame, val=0.25)
    f.fit(frame, val=0.25)
    assert f.lookback_ == expected.lookback == f.lookback_choice_.lookback
    assert f.lookback == "auto"  # the setting stays as given; the choice is lookback_
    assert f.lookback_ in (12, 24, 48, 84)
    assert f.model_.input_shape == (None, f.lookback_, 1)
    f.save(tmp_path / "auto")
    assert Forecaster.load(tmp_path / "auto").lookback_ == f.lookback_  # saved as chosen
    parts = split_series(frame, SplitSpec((0.5, 0.25, 0.25)), context=84)  # as the CLI cuts it
    assert Forecaster(**small).fit(parts).lookback_ in (12, 24, 48, 84)
    # No validation part: the fixed fallback, nothing chosen.
    without = Forecaster(**small).fit(frame, val=0)
    assert (without.lookback_, without.lookback_choice_) == (lookback.FALLBACK, None)
    with pytest.raises(ConfigError, match="positive integer"):
        Forecaster(lookback="long", **small).fit(frame)


def test_backtest_chooses_an_auto_lookback_once_before_the_first_test_block():
    frame = _seasonal()
    f = Forecaster(horizon=6, season=12, epochs=1, verbose=0, model_options={"units": 4})
    result = f.backtest(frame, folds=2, test_size=20, val=0.25, keep_models=True)
    chosen = {m.lookback for m in result.models}
    assert len(chosen) == 1 and f.lookback == "auto"  # one choice; the settings untouched
    head = frame.iloc[: len(frame) - 40]  # the rows before the first test block
    assert chosen == {Forecaster(horizon=6, season=12).choose_lookback(head, 0.25).lookback}
