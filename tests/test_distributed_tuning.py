"""forecast.distributed.tuning (`forecast tune`): the search space, the trials, the winner's run
folder; on the local engine in this process and on a local Ray cluster."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from forecast import runs
from forecast.distributed import tuning
from forecast.errors import ConfigError
from forecast.forecaster import Forecaster
from forecast.windowing import SplitSpec

SPACE = {"lookback": [12, 24], "units": [4, 8], "learning_rate": {"loguniform": [1e-3, 1e-2]}}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> pd.DataFrame:
    t = np.arange(240)
    noise = np.random.default_rng(1).normal(0, 1, 240)
    stamps = pd.date_range("2021", periods=240, freq="h", name="time")
    frame = pd.DataFrame({"y": np.sin(t / 5) * 10 + 20 + noise}, index=stamps)
    frame.to_csv(tmp_path_factory.mktemp("data") / "tiny.csv")
    return frame


def _base(**changes) -> Forecaster:
    settings = dict(lookback=12, horizon=4, epochs=2, patience=2, batch_size=32, verbose=0)
    return Forecaster(**{**settings, "model_options": {"units": 4}, **changes})


def test_the_space_is_sampled_the_same_way_every_time_and_checked() -> None:
    first = tuning.sample(tuning.DEFAULT_SPACE, 5, seed=3)
    assert first == tuning.sample(tuning.DEFAULT_SPACE, 5, seed=3)
    assert all(3e-4 <= c["learning_rate"] <= 3e-3 for c in first)
    assert all(c["model"] in tuning.DEFAULT_SPACE["model"] for c in first)
    with pytest.raises(ConfigError, match="search space key"):
        tuning.check_space({"epochs": [1, 2]})
    with pytest.raises(ConfigError, match="low <= high") as caught:
        tuning.check_space({"learning_rate": {"loguniform": [0.1, 0.01]}})
    assert caught.value.setting == "space"


def test_a_space_file_overrides_the_default_space(tmp_path) -> None:
    path = tmp_path / "space.toml"
    path.write_text('[space]\nlookback = [48, 96]\nloss = ["mae"]\n')
    space = tuning.read_space(path)
    assert space["lookback"] == [48, 96] and space["loss"] == ["mae"]
    assert space["model"] == tuning.DEFAULT_SPACE["model"]
    path.write_text("[space]\nlookback = []\n")
    with pytest.raises(ConfigError, match="non-empty list"):
        tuning.read_space(path)


def test_trial_settings_put_units_and_dropout_in_the_model_options() -> None:
    base = _base().get_params()
    stacked = tuning.trial_settings(base, {"model": "stacked", "units": 32, "dropout": 0.1})
    assert stacked["model_options"] == {"units": [32, 16], "dropout": 0.1}
    same = tuning.trial_settings(base, {"learning_rate": 0.01})
    assert same["model_options"] == {"units": 4} and same["learning_rate"] == 0.01


def test_a_bad_setting_in_the_space_is_refused_before_any_training(tiny, tmp_path) -> None:
    with pytest.raises(ConfigError, match="loss"):
        tuning.tune(_base(), tiny, SplitSpec(), tmp_path / "run", trials=3,
                    space={"loss": ["not-a-loss"]}, engine="local")  # fmt: skip
    assert not (tmp_path / "run").exists()


@pytest.mark.slow  # 3 trials of 2 epochs, then the winner: about a minute on 2 shared cores
def test_local_tuning_saves_the_winner_as_a_run_that_evaluate_scores(tiny, tmp_path) -> None:
    out = tmp_path / "run"
    result = tuning.tune(
        _base(), tiny, SplitSpec((0.6, 0.2, 0.2)), out, trials=3, space=SPACE, engine="local"
    )
    table = pd.read_csv(out / "search.csv")
    assert sorted(table["trial"]) == [0, 1, 2] and (table["status"] == "finished").all()
    assert table["val_MAE"].is_monotonic_increasing  # best first
    assert table.loc[0, "val_MAE"] <= result.default_val_mae
    assert result.best["lookback"] == table.loc[0, "lookback"]
    _, report, _ = runs.evaluate_run(out, tiny)  # the saved test start: the same rows
    assert report.overall().loc[("y", "model"), "MAE"] == pytest.approx(
        result.run.report.overall().loc[("y", "model"), "MAE"], rel=1e-5
    )


@pytest.mark.slow
def test_tune_on_a_ray_cluster_stops_trials_with_asha(tiny, tmp_path, env, ray_cluster) -> None:
    data = tmp_path / "tiny.csv"
    tiny.to_csv(data)
    space = tmp_path / "space.toml"
    space.write_text('[space]\nlookback = [12, 24]\nunits = [4, 8]\nmodel = ["single"]\n')
    out = tmp_path / "run"
    command = [
        sys.executable, "-m", "forecast.cli", "tune", str(data), "--horizon", "4",
        "--lookback", "12", "--epochs", "4", "--patience", "4", "--batch-size", "32",
        "--units", "4", "--trials", "4", "--space", str(space), "--engine", "ray",
        "--address", ray_cluster.address, "--out", str(out),
    ]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    table = pd.read_csv(out / "search.csv")
    assert sorted(table["trial"]) == [0, 1, 2, 3]
    assert set(table["status"]) <= {"finished", "stopped by ASHA"}
    assert table.loc[0, "val_MAE"] <= table.loc[table["trial"] == 0, "val_MAE"].iloc[0]
    assert Forecaster.load(out).lookback == table.loc[0, "lookback"]
