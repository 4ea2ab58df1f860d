"""Issue #13, the run folder and failed training, from the command line: nothing lost,
nothing silent. Each case is the exact input a user gave; each ends in the right result or
one `error: ...` line with exit 2 (never exit 1, never exit 0 with a wrong result), and
checks that need no training are made before training.

The commit mechanics (SIGKILL at every step of a save) and the lock itself are specified in
test_files.py; this file runs them through `forecast train`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_helpers import invoke, one_error

from forecast import files, runs, tables, training
from forecast.forecaster import Forecaster
from forecast.training import FitResult

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--lookback", "14", "--horizon", "7", "--epochs", "2", "--units", "8", "--quiet"]
TOOLKIT = {
    "forecaster.json",
    "model.keras",
    "history.csv",
    "metrics.json",
    "linear_baseline.npz",
    "intervals.npz",
}
USERS = {"NOTES.md": "my notes", "predictions.csv": "time,value\n"}


def _daily(path: Path, rows: int = 400, **edits: float) -> Path:
    """A small daily series (weekly season) as a CSV; `edits` set single rows by index."""
    t = np.arange(rows)
    values = 20 + 5 * np.sin(2 * np.pi * t / 7) + 0.01 * t
    frame = pd.DataFrame({"date": pd.date_range("2020-01-01", periods=rows), "value": values})
    for row, value in edits.items():
        frame.loc[int(row.strip("r")), "value"] = value
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _daily(tmp_path_factory.mktemp("data") / "daily.csv")


@pytest.fixture
def no_training(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if training starts: the error must come before it."""

    def train(*args: object, **kwargs: object) -> None:
        raise AssertionError("training started before the check")

    monkeypatch.setattr(training, "fit", train)
    monkeypatch.setattr(training, "train_members", train)


def _train(data: Path, out: Path, *more: object) -> object:
    result = invoke("train", data, *TINY, "--no-plots", "--out", out, *more)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def saved_run(data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One run folder trained by `forecast train` (lookback 10), shared read-only."""
    out = tmp_path_factory.mktemp("saved") / "x"
    _train(data, out, "--lookback", "10")
    return out


@pytest.fixture
def run_copy(saved_run: Path, tmp_path: Path) -> Path:
    """A private copy of `saved_run`, free to re-train into."""
    return Path(shutil.copytree(saved_run, tmp_path / "r"))


# ------------------------------------------------------------------ 1. users' files are kept
def test_retraining_into_a_run_folder_keeps_the_users_files(data: Path, run_copy: Path) -> None:
    out = run_copy
    for name, text in USERS.items():
        (out / name).write_text(text)
    (out / "analysis").mkdir()
    (out / "analysis" / "a.txt").write_text("kept")
    (out / "attention.png").write_bytes(b"a plot of another model")
    dead = {"pid": 999999, "host": "here", "since": "", "command": ""}
    (out / files.LOCK).write_text(json.dumps(dead))  # left by a killed process: taken over
    _train(data, out, "--model", "stacked")
    # attention.png described the old model: removed; the user's files: kept
    assert {p.name for p in out.iterdir()} == TOOLKIT | set(USERS) | {"analysis"}
    assert all((out / n).read_text() == t for n, t in USERS.items())
    assert (out / "analysis" / "a.txt").read_text() == "kept"
    assert json.loads((out / "forecaster.json").read_text())["settings"]["model"] == "stacked"


def test_a_new_run_folder_gets_the_users_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        with runs.run_folder(tmp_path / "runs" / "r") as folder:
            (folder / "model.keras").write_text("x")
            mode = folder.stat().st_mode & 0o777
    finally:
        os.umask(old)
    assert mode == 0o750  # not mkdtemp's 0700


# ------------------------------------------------------------------ 3. checks before training
def test_out_dot_in_a_project_folder_is_refused_before_training(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_training: None
) -> None:
    monkeypatch.chdir(data.parent)
    one_error(invoke("train", data.name, *TINY, "--out", "."), "--out .", "not a run folder")
    assert [p.name for p in data.parent.iterdir()] == [data.name]


@pytest.mark.parametrize(
    "out, needle",
    [("daily.csv", "is a file"), ("daily.csv/run", "lies under"), ("data", "not a run folder")],
)
def test_an_out_that_cannot_be_the_run_folder_is_refused_before_training(
    out: str, needle: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_training: None
) -> None:
    _daily(tmp_path / "daily.csv")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "other.csv").write_text("x")
    monkeypatch.chdir(tmp_path)
    one_error(invoke("train", "daily.csv", *TINY, "--out", out), needle)
    assert (tmp_path / "data" / "other.csv").read_text() == "x"


def test_a_test_part_without_a_complete_window_is_refused_before_training(
    data: Path, tmp_path: Path, no_training: None
) -> None:
    result = invoke("train", data, *TINY, "--split", "0.6,0.39,0.01", "--out", tmp_path / "r")
    one_error(result, "test part has 18 rows", "lookback + horizon = 21")
    assert not (tmp_path / "r").exists()


# ------------------------------------------------------------------ 5. failed training
def test_a_value_that_overflows_float32_is_refused_before_training(
    tmp_path: Path, no_training: None
) -> None:
    huge = _daily(tmp_path / "huge.csv", r5=1e308)
    result = invoke("train", huge, *TINY, "--out", tmp_path / "r")
    one_error(result, "column 'value'", "1e+308", "overflow")
    assert not (tmp_path / "r").exists()


def test_a_nan_loss_stops_training_and_saves_nothing(
    data: Path, run_copy: Path, tmp_path: Path
) -> None:
    before = {p.name: p.read_bytes() for p in run_copy.iterdir()}
    diverging = ["--optimizer", "sgd", "--lr", "1e30", "--loss", "mse", "--no-ridge-skip"]
    result = invoke("train", data, *TINY, *diverging, "--out", run_copy)
    one_error(result, "training diverged", "NaN", "--lr")
    assert result.stdout == ""  # --quiet: Keras's own NaN line is not printed either
    assert {p.name: p.read_bytes() for p in run_copy.iterdir()} == before  # the old run
    result = invoke("train", data, *TINY, *diverging, "--out", tmp_path / "new")
    one_error(result, "training diverged")
    assert not (tmp_path / "new").exists()


def test_json_output_is_valid_json_when_a_metric_is_undefined(
    saved_run: Path, tmp_path: Path
) -> None:
    zeros = _daily(tmp_path / "zeros.csv", **{f"r{i}": 0.0 for i in range(300, 400)})
    result = invoke("evaluate", saved_run, "--data", zeros, "--test", "50", "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout, parse_constant=pytest.fail)
    assert shown["overall"]["value"]["model"]["MAPE"] is None  # every actual is zero
    json.loads((saved_run / "metrics.json").read_text(), parse_constant=pytest.fail)


def test_the_summary_says_validation_was_used_when_no_epoch_improved() -> None:
    class Model:
        name = "m"

        def count_params(self) -> int:
            return 1

    f = Forecaster(epochs=2)
    f.model_ = Model()
    kept = tables.fit_summary(f, FitResult(epochs_run=2, validated=True), 1.0)
    assert "val_loss never improved" in kept and "no validation" not in kept
    assert "no validation" in tables.fit_summary(f, FitResult(epochs_run=2), 1.0)


# ------------------------------------------------------------------ 2. the lock
def test_a_second_train_into_a_locked_folder_is_refused_at_once(
    data: Path, tmp_path: Path, no_training: None
) -> None:
    """The folder is locked (an flock on OUT/.lock, as another `forecast train` holds it):
    refused before the data is read, the holder named, its live checkpoints untouched."""
    import fcntl

    out = tmp_path / "r"
    (out / runs.RUN_SUBDIR).mkdir(parents=True)
    (out / runs.RUN_SUBDIR / "state.json").write_text('{"epochs": []}')  # live checkpoints
    holder = {"pid": 4242, "host": "node7", "since": "09:00", "command": "forecast train x"}
    fd = os.open(out / files.LOCK, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, json.dumps(holder).encode())
        result = invoke("train", data, *TINY, "--lookback", "10", "--out", out)
        one_error(result, f"--out {out} is in use by pid 4242 on node7 (since 09:00")
        assert (out / runs.RUN_SUBDIR / "state.json").read_text() == '{"epochs": []}'
    finally:
        os.close(fd)


@pytest.mark.slow
def test_two_concurrent_trains_one_runs_one_is_refused(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "r"
    first = subprocess.Popen(
        [sys.executable, "-m", "forecast.cli", "train", str(data), *TINY, "--no-plots",
         "--out", str(out)],
        env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        for _ in range(600):  # until the first one holds the folder
            if (out / files.LOCK).exists() or first.poll() is not None:
                break
            time.sleep(0.1)
        second = invoke("train", data, *TINY, "--lookback", "10", "--out", out)
        one_error(second, f"is in use by pid {first.pid}")
        _, err = first.communicate(timeout=300)
    finally:
        first.kill()
    assert first.returncode == 0, err
    assert json.loads((out / "forecaster.json").read_text())["settings"]["lookback"] == 14


# ------------------------------------------------------------------ 4. killed while saving
KILL_IN_SAVE = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    real, moved, out = os.replace, [], Path(os.environ["KILL_IN"])

    def replace(src, dst):
        if Path(src).parent.name == ".saving" and Path(dst).parent == out:
            moved.append(dst)
            if len(moved) == 2:
                os.kill(os.getpid(), signal.SIGKILL)
        real(src, dst)

    os.replace = replace
    from forecast.cli import main
    sys.argv = ["forecast", *sys.argv[1:]]
    main()
    """
)


@pytest.mark.slow
def test_a_train_killed_mid_save_is_completed_by_the_next_command(
    data: Path, run_copy: Path
) -> None:
    out = run_copy
    (out / "NOTES.md").write_text("my notes")
    killed = subprocess.run(
        [sys.executable, "-c", KILL_IN_SAVE, "train", str(data), *TINY, "--model", "stacked",
         "--no-plots", "--out", str(out)],
        env={**os.environ, "PYTHONPATH": str(ROOT), "KILL_IN": str(out)}, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert (out / files.STAGING / "COMMIT").exists()  # committed, half moved in
    result = invoke("evaluate", out, "--data", data, "--json")  # the next command
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["n_windows"] > 0
    assert json.loads((out / "forecaster.json").read_text())["settings"]["model"] == "stacked"
    assert {p.name for p in out.iterdir()} == TOOLKIT | {"NOTES.md", ".train"}


# ------------------------------------------------------------------ Ctrl-C
def test_ctrl_c_during_training_says_the_same_command_resumes(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(self: Forecaster, *args: object, **kwargs: object) -> None:
        state = Path(kwargs["run_dir"]) / "state.json"
        state.write_text('{"epochs": []}')  # as if an epoch had finished
        raise KeyboardInterrupt

    monkeypatch.setattr(Forecaster, "fit", interrupted)
    result = invoke("train", data, *TINY, "--out", tmp_path / "r")
    assert result.exit_code == 130, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "run the same command again to resume" in lines[0]
    assert (tmp_path / "r" / runs.RUN_SUBDIR / "state.json").exists()
    assert not (tmp_path / "r" / files.LOCK).exists()


# ------------------------------------------------------------------ --from
def test_train_from_a_saved_run_continues_it_with_its_scaler_and_settings(
    saved_run: Path, tmp_path: Path
) -> None:
    more = _daily(tmp_path / "more.csv", rows=500)
    out = tmp_path / "y"
    result = invoke("train", more, "--from", saved_run, "--epochs", "3", "--quiet", "--out", out)
    assert result.exit_code == 0, result.output
    old, new = (json.loads((d / "forecaster.json").read_text()) for d in (saved_run, out))
    assert new["scaler"] == old["scaler"] and new["settings"]["lookback"] == 10
    assert new["settings"]["epochs"] == 3 and new["fit"]["epochs_run"] == 2 + 3
    assert len(pd.read_csv(out / "history.csv")) == 5


@pytest.mark.parametrize(
    "change, needle",
    [
        (["--lookback", "20"], "--lookback comes from the saved run"),
        (["--units", "4"], "--reduce-lr-patience, --batch-size, --device may change"),
        (["--model", "stacked"], "--model comes from the saved run"),
        (["--lr", "0.1"], "--lr comes from the saved run"),
        ("weekly", "has frequency W-"),
        ("renamed", "target column 'value' not found"),
    ],
)
def test_train_from_refuses_other_settings_or_other_data(
    change: object, needle: str, saved_run: Path, data: Path, tmp_path: Path, no_training: None
) -> None:
    source, frame = data, pd.read_csv(data)
    if change == "weekly":
        source = tmp_path / "weekly.csv"
        frame.iloc[::7].to_csv(source, index=False)
    elif change == "renamed":
        source = tmp_path / "renamed.csv"
        frame.rename(columns={"value": "other"}).to_csv(source, index=False)
    options = change if isinstance(change, list) else []
    result = invoke("train", source, "--from", saved_run, *options, "--out", tmp_path / "y")
    one_error(result, needle)
    assert not (tmp_path / "y").exists()


def test_a_train_killed_while_saving_does_not_train_again(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from forecast import artifacts

    out, save = tmp_path / "r", artifacts.save_folder

    def killed(path: Path, **kwargs: object) -> Path:
        if Path(path) == out:  # the run itself, after the trained model was kept in .train
            raise KeyboardInterrupt
        return save(path, **kwargs)

    monkeypatch.setattr(artifacts, "save_folder", killed)
    args = ["train", data, *TINY[:-1], "--no-plots", "--out", out]  # not --quiet
    assert invoke(*args).exit_code == 130
    monkeypatch.undo()
    again = invoke(*args)
    assert again.exit_code == 0, again.output
    assert "kept the model an earlier run of this command trained" in again.stdout
    assert "Epoch 1/2" not in again.stdout
    assert (out / "forecaster.json").exists() and not (out / runs.RUN_SUBDIR).exists()
