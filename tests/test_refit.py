"""The refit (forecast/refit.py): after the choices on validation, the model trained again on
the training and validation rows for the chosen epoch count."""

from __future__ import annotations

import json

import keras
import numpy as np
import pandas as pd
import pytest
from series_helpers import step_series

from forecast import Forecaster
from forecast.linear import LinearBaseline
from forecast.refit import continues, epochs_for, joined_parts

TINY = dict(lookback=6, horizon=3, epochs=3, batch_size=16, verbose=0, seed=0,
            model_options={"units": 4})  # fmt: skip


def test_joined_parts_append_the_validation_rows_that_continue_a_series() -> None:
    frame = step_series({"a": 30})["a"]
    train, held = frame.iloc[:20], frame.iloc[14:]  # 6 context rows, then rows 20..29
    assert continues(train, held, 6)
    joined = joined_parts({"a": train}, {"a": held}, {"a": 6})
    assert joined["a"].equals(frame) and joined["a"].attrs == train.attrs
    other = frame.iloc[20:].set_axis(pd.RangeIndex(100, 110, name="step"))  # separate data
    assert not continues(train, other, 6)
    assert joined_parts({"a": train}, {"a": other}, {"a": 6})["a"].equals(train)
    assert joined_parts({"a": train}, {}, {})["a"].equals(train)  # no validation part
    assert epochs_for(None) is None and epochs_for(0) == 0 and epochs_for(7) == 7


@pytest.fixture(scope="module")
def pair() -> tuple[dict, Forecaster, Forecaster]:
    """The same panel fitted with refit=True and without it (refit=False, the default).
    The first test refits the second one in place (`refit_on`); the later ones read only
    their settings."""
    data = step_series({"a": 60, "b": 50, "c": 70})
    keras.utils.set_random_seed(0)
    f = Forecaster(refit=True, **TINY).fit(data, val=6)
    keras.utils.set_random_seed(0)
    g = Forecaster(**TINY).fit(data, val=6)  # the same fit without the refit
    return data, f, g


def test_refit_retrains_on_every_row_for_the_chosen_epochs_and_reloads(tmp_path, pair) -> None:
    data, f, g = pair
    assert f.fit_result_.best_epoch == g.fit_result_.best_epoch  # chosen on validation alike
    assert f.refit_epochs_ == f.fit_result_.best_epoch and not hasattr(g, "refit_epochs_")
    # the linear baseline is refitted on training + validation rows with the chosen penalty
    arrays = [f.scaler_.transform(frame, key=k)[:, :1] for k, frame in data.items()]
    by_hand = LinearBaseline(6, 3).fit(arrays, alpha=g.linear_.alpha_)
    assert np.array_equal(f.linear_.coef_, by_hand.coef_)
    assert np.array_equal(f.linear_.alpha_, g.linear_.alpha_)
    assert not np.allclose(f.linear_.coef_, g.linear_.coef_)  # it saw more rows
    before = g.predict(data)
    g.refit_on(data, 6)  # the refit alone, after a fit without it: the same model
    after = f.predict(data)
    for key in data:
        assert np.array_equal(after[key].to_numpy(), g.predict(data)[key].to_numpy())
        assert not np.allclose(after[key].to_numpy(), before[key].to_numpy())
    f.save(tmp_path / "run")
    again = Forecaster.load(tmp_path / "run")
    for key, frame in again.predict(data).items():
        assert np.array_equal(frame.to_numpy(), after[key].to_numpy())


def test_a_kept_linear_start_is_refitted_as_the_linear_baseline() -> None:
    data = step_series({"a": 60, "b": 50})
    keras.utils.set_random_seed(0)
    f = Forecaster(refit=True, **{**TINY, "epochs": 1, "learning_rate": 10.0}).fit(data, val=6)
    assert f.fit_result_.best_epoch == 0  # a wild step: the linear start was kept
    assert f.refit_epochs_ == 0
    tidy = f.predict_windows(data, start=3, baselines=True)
    assert np.allclose(tidy["forecast"], tidy["linear"], rtol=1e-5)  # the refitted linear


def test_without_a_validation_part_nothing_is_refitted() -> None:
    keras.utils.set_random_seed(0)
    f = Forecaster(refit=True, **TINY).fit(step_series({"a": 60}), val=None)
    assert not hasattr(f, "refit_epochs_")


def test_the_cli_refit_prints_one_line_and_writes_metrics(tmp_path) -> None:
    from cli_helpers import invoke

    csv = tmp_path / "panel.csv"
    rows = [(k, step, v) for k, f in step_series({"a": 60, "b": 50}).items()
            for step, v in zip(f.index, f["y"], strict=True)]  # fmt: skip
    pd.DataFrame(rows, columns=["series_id", "step", "value"]).to_csv(csv, index=False)
    result = invoke("train", csv, "--id-col", "series_id", "--time-col", "step", "--target",
                    "value", "--horizon", "3", "--test-size", "3", "--val-size", "6",
                    "--lookback", "6", "--epochs", "2", "--no-plots", "--refit",
                    "--out", tmp_path / "run")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "refit: trained again on the training and validation rows" in result.output
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["refit_epochs"] in (0, 1, 2)
    assert Forecaster.load(tmp_path / "run").refit is True


@pytest.mark.parametrize("value", [False, True])
def test_refit_is_a_saved_setting(value, tmp_path, pair) -> None:
    f = pair[1] if value else pair[2]  # fitted with refit=True / without it
    assert f.refit is value
    f.save(tmp_path / "run")
    assert Forecaster.load(tmp_path / "run").get_params()["refit"] is value
