"""forecast.distributed.tuning (`forecast tune`): the search space, the trials, the winner's run
folder; on the local engine in this process and on a local Ray cluster."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast import runs
from forecast.distributed import tuning
from forecast.errors import ConfigError
from forecast.forecaster import Forecaster
from forecast.splits import SplitSpec

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


class _Result:
    """One entry of a fake Ray Tune `ResultGrid`."""

    def __init__(self, config, history=None, error=None, trial_id="t_00000"):
        self.config, self.error, self.path = config, error, trial_id
        self.metrics_dataframe = None if history is None else pd.DataFrame(history)
        self.metrics = {"trial_id": trial_id}


def test_the_table_leaves_out_trials_never_started_after_ctrl_c() -> None:
    base = _base().get_params()
    grid = [
        _Result({"trial": 0}, {"val_MAE": [3.0, 2.0], "epoch": [1, 2]}),
        _Result(None),  # never started: Ray Tune has no config for it yet
        _Result({"trial": 1}, {"val_MAE": [], "epoch": []}),  # started, nothing reported
    ]
    rows = tuning._table(grid, base, [{}, {"units": 8}], None)
    assert [(r["trial"], r["val_MAE"], r["status"]) for r in rows] == [(0, 2.0, "finished")]
    # cut by Ctrl-C: Ray Tune's saved state does not list it as ended, so it is left out
    assert tuning._table(grid, base, [{}, {"units": 8}], None, ended={"t_00009"}) == []


def test_trials_drawn_by_a_search_algorithm_are_numbered_in_order_of_creation() -> None:
    base = _base().get_params()
    history = {"val_MAE": [1.0], "epoch": [1]}
    grid = [
        _Result({"units": 8}, history, trial_id="ab_00001"),
        _Result({"units": 4}, history, trial_id="ab_00000"),
    ]
    rows = tuning._table(grid, base, [{}, {}], None)
    assert {r["trial"]: r["units"] for r in rows} == {0: 4, 1: 8}
    grid[0].path, grid[0].metrics = "/x/trainable_94407792_3_units=8", {"trial_id": "94407792"}
    grid[1].path, grid[1].metrics = "/x/trainable_aed1893f_1_units=4", {"trial_id": "aed1893f"}
    rows = tuning._table(grid, base, [{}, {}], None)
    assert {r["trial"]: r["units"] for r in rows} == {0: 4, 1: 8}


def test_trial_zero_of_a_search_algorithm_is_the_given_settings_where_in_the_space() -> None:
    base = _base(lookback=24, learning_rate=1e-3).get_params()
    space = {"lookback": [12, 24], "units": [8, 16], "learning_rate": {"loguniform": [1e-4, 1e-2]}}
    assert tuning.default_point(base, space) == {"lookback": 24, "units": 8, "learning_rate": 1e-3}
    with pytest.raises(ConfigError, match="engine ray"):
        tuning.tune(_base(), pd.DataFrame(), SplitSpec(), "x", search="optuna", engine="local")
    pytest.importorskip("optuna")
    assert type(tuning._searcher("optuna", space, {}, 0)).__name__ == "OptunaSearch"


def test_local_tuning_stopped_by_ctrl_c_resumes_where_it_stopped(tiny, tmp_path, monkeypatch):
    calls = []

    def trial(settings, series, spec, report):
        calls.append(settings["model_options"]["units"])
        if len(calls) == 2:
            raise KeyboardInterrupt
        return {"best_val_MAE": 10.0 - len(calls), "best_epoch": 1}

    monkeypatch.setattr(tuning, "run_trial", trial)
    space = {"units": [4, 8], "lookback": [12]}
    out = tmp_path / "run"
    with pytest.raises(tuning.TuneInterrupted, match=r"1 of 3 trials ended.*run the same"):
        tuning.tune(_base(), tiny, SplitSpec((0.6, 0.2, 0.2)), out, trials=3, space=space,
                    engine="local")  # fmt: skip
    assert len(calls) == 2  # trial 0 ended, trial 1 interrupted
    result = tuning.tune(_base(), tiny, SplitSpec((0.6, 0.2, 0.2)), out, trials=3, space=space,
                         engine="local")  # fmt: skip
    assert len(calls) == 4  # trials 1 and 2 only: trial 0 was kept
    assert sorted(result.table["trial"]) == [0, 1, 2]
    assert sorted(pd.read_csv(out / "search.csv")["trial"]) == [0, 1, 2]


def _tune_command(tiny, folder, space_text, address, *extra) -> tuple[list[str], Path]:
    """`forecast tune` on Ray over `tiny` (written to `folder`) with the search space
    `space_text`, and the run folder it writes."""
    data, space, out = folder / "tiny.csv", folder / "space.toml", folder / "run"
    tiny.to_csv(data)
    space.write_text(space_text)
    command = [
        sys.executable, "-m", "forecast.cli", "tune", str(data), "--horizon", "4",
        "--lookback", "12", "--epochs", "4", "--patience", "4", "--batch-size", "32",
        "--units", "4", "--space", str(space), "--engine", "ray", "--address", address,
        "--out", str(out), *extra,
    ]  # fmt: skip
    return command, out


# Trials 1..: the default's settings but a learning rate 10,000 times smaller, so they
# stay worse than trial 0 (the same seed, the same initial weights) and ASHA stops those that
# reach its rung (epoch 2) after trial 0 has.
SLOW = '[space]\nlookback = [12]\nunits = [4]\nmodel = ["single"]\n'
SLOW += "learning_rate = { loguniform = [1e-7, 2e-7] }\n"


def _results(out) -> dict[str, list[dict]]:
    """Ray Tune's trial folders under the run's .tune, with the results each reported so far
    (its result.json, one JSON line a result; a line being written is left out)."""
    found = {}
    for path in (out / ".tune").glob("search-*/*/result.json"):
        lines = []
        for line in path.read_text().splitlines():
            try:
                lines.append(json.loads(line))
            except json.JSONDecodeError:
                break
        found[path.parent.name] = lines
    return found


def _reported(out) -> dict[str, int]:
    """How many results each trial has reported so far (one an epoch)."""
    return {name: len(lines) for name, lines in _results(out).items()}


def _stopped_by_asha(results: dict[str, list[dict]]) -> list[str]:
    """The trials that ASHA stopped at its rung: their last result says done before epoch 4
    (Ray Tune marks the result it stops a trial on as done)."""
    return [name for name, lines in results.items()
            if lines and lines[-1].get("done") and lines[-1]["epoch"] < 4]  # fmt: skip


def _pids(out) -> set[int]:
    """The worker processes the trials' results came from."""
    return {line["pid"] for lines in _results(out).values() for line in lines}


@pytest.mark.slow
def test_tune_on_a_ray_cluster_stops_trials_with_asha(tiny, tmp_path, env, ray_cluster) -> None:
    command, out = _tune_command(tiny, tmp_path, SLOW, ray_cluster.address, "--trials", "4")
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    printed = done.stdout + done.stderr
    assert "tensorboard" not in printed.lower() and "View detailed results" not in printed
    lines = done.stdout.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("trials, best validation"))
    trials = lines[first : first + 8]  # title, blank, header, rule, 4 trials: 80 columns, whole
    assert all(len(line) <= 80 and "…" not in line for line in trials), trials
    table = pd.read_csv(out / "search.csv")
    assert sorted(table["trial"]) == [0, 1, 2, 3]
    assert set(table["status"]) <= {"finished", "stopped by ASHA"}
    assert "stopped by ASHA" in set(table["status"]), table
    assert _stopped_by_asha(_results(out))  # stopped at its rung, before its 4th epoch
    assert Forecaster.load(out).lookback == table.loc[0, "lookback"]
    assert len(_pids(out)) < 4, _pids(out)  # a worker process runs trial after trial


@pytest.mark.slow
def test_tune_on_ray_stopped_by_ctrl_c_resumes(tiny, tmp_path, env, ray_cluster) -> None:
    # 8 trials, 2 at a time on the cluster's 2 CPUs: once trial 0 has ended, 6 are left, 3
    # rounds of at least 2 epochs each (ASHA's rung); a trial's first epoch alone (a new model,
    # its graphs traced) takes over a second, so even an idle machine cannot end the search in
    # the 2 s before the Ctrl-C.
    command, out = _tune_command(tiny, tmp_path, SLOW, ray_cluster.address, "--trials", "8")
    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True)  # fmt: skip
    deadline = time.monotonic() + 400
    while max(_reported(out).values(), default=0) < 4:  # a trial has run its 4 epochs
        assert first.poll() is None and time.monotonic() < deadline, first.communicate()[0]
        time.sleep(0.5)
    time.sleep(2)
    first.send_signal(signal.SIGINT)
    log = first.communicate(timeout=300)[0]
    assert first.returncode == 130, log
    assert "run the same command again to resume" in log
    assert not (out / "search.csv").exists()  # no winner yet
    before = _reported(out)
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert sorted(pd.read_csv(out / "search.csv")["trial"]) == list(range(8))
    after = _reported(out)
    assert len(list((out / ".tune").glob("search-*"))) == 1  # the same experiment, resumed
    kept = [name for name, lines in before.items() if lines >= 4 and after[name] == lines]
    assert kept, (before, after)  # a trial that had ended was not run again


@pytest.mark.slow
def test_optuna_draws_the_trials_on_ray_trial_zero_the_given_settings(
    tiny, tmp_path, env, ray_cluster
) -> None:
    pytest.importorskip("optuna")
    space = (
        '[space]\nlookback = [12]\nunits = [4]\nmodel = ["single"]\nnormalize = ["last"]\n'
        'loss = ["mae"]\ndropout = [0.0]\nlearning_rate = { loguniform = [1e-4, 1e-2] }\n'
    )
    command, out = _tune_command(tiny, tmp_path, space, ray_cluster.address, "--trials", "3")
    command[command.index("--epochs") + 1] = "2"
    done = subprocess.run([*command, "--search", "optuna"], env=env, capture_output=True,
                          text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    table = pd.read_csv(out / "search.csv").set_index("trial")
    assert sorted(table.index) == [0, 1, 2]
    assert table.loc[0, "learning_rate"] == 0.001  # the given settings, first
    assert table.loc[[1, 2], "learning_rate"].between(1e-4, 1e-2).all()
