"""Tests for forecast/cli.py (the run folder itself is tested in test_runs.py).

Every command runs in-process through Typer's CliRunner on tiny settings (2 epochs, 8 units);
one test runs the installed `forecast` script in a subprocess.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from cli_helpers import trained_run
from typer.testing import CliRunner

from forecast import load_series, runs, training
from forecast.cli import app
from forecast.splits import split_series

ROOT = Path(__file__).resolve().parents[1]
DAILY = ROOT / "data" / "synthetic_daily.csv"
AIR = ROOT.parent / "shared" / "datasets" / "AirPassengers.csv"
TINY = ["--lookback", "14", "--horizon", "7", "--epochs", "2", "--units", "8"]
TINY += ["--batch-size", "256", "--quiet"]

runner = CliRunner()


def invoke(*args: object) -> object:
    return runner.invoke(app, [str(a) for a in args])


def assert_one_error_line(result: object, code: int = 2, *needles: str) -> str:
    """The result failed with `code` and printed exactly one `error: ...` line on stderr."""
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder trained once by `forecast train` on the bundled daily data."""
    return trained_run(tmp_path_factory, "cli", *TINY)


# ---------------------------------------------------------------------- train
def test_train_writes_the_artifact_plots_and_metrics(run_dir: Path) -> None:
    names = {p.name for p in run_dir.iterdir()}
    assert {
        "model.keras",
        "forecaster.json",
        "history.csv",
        "metrics.json",
        "linear_baseline.npz",
    } <= names
    assert {"forecast.png", "history.png"} <= names
    assert not (run_dir / runs.RUN_SUBDIR).exists(), "checkpoints are removed once saved"
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert set(metrics["overall"]["value"]) == {
        "model",
        "naive",
        "seasonal_naive",
        "mean",
        "linear",
    }
    assert metrics["split"]["fractions"] == [0.6, 0.2, 0.2]
    assert metrics["split"]["test"]["rows"] == 3653 - 2192 - 731
    assert metrics["split"]["evaluate_test"] == metrics["split"]["test"]["start"]
    assert metrics["data"].endswith("synthetic_daily.csv")


@pytest.fixture(scope="module")
def split_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, Path]:
    """`forecast train --no-plots` split at timestamps, trained once: its result and folder."""
    out = tmp_path_factory.mktemp("split") / "r"
    result = invoke(
        "train", DAILY, *TINY, "--no-plots", "--train-end", "2021-12-31",
        "--val-end", "2023-06-30", "--out", out,
    )  # fmt: skip
    return result, out


def test_train_prints_summary_metrics_beside_baselines_and_verdict(
    split_run: tuple[object, Path],
) -> None:
    result, run = split_run
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "parameters" in out and "best epoch" in out and "2 epochs" in out
    for row in ("model (single)", "naive", "seasonal naive", "mean", "linear (ridge)"):
        assert row in out
    for metric in ("MAE", "RMSE", "MAPE", "sMAPE", "MASE"):
        assert metric in out
    verdict = r"value: the model (beats every|does NOT beat every|ties the best) baseline"
    assert re.search(verdict, out)
    assert "Epoch 1/2" not in out, "--quiet hides the progress"
    assert not (run / "forecast.png").exists()


def test_train_splits_at_timestamps(split_run: tuple[object, Path]) -> None:
    result, out = split_run
    assert result.exit_code == 0, result.output
    split = json.loads((out / "metrics.json").read_text())["split"]
    assert split["train"]["end"] == "2021-12-31"
    assert split["val"] == {"start": "2022-01-01", "end": "2023-06-30", "rows": 546}
    assert split["test"]["start"] == "2023-07-01"


@pytest.mark.skipif(not AIR.is_file(), reason="../shared/datasets/AirPassengers.csv is absent")
def test_train_attention_model_on_air_passengers_draws_attention(tmp_path: Path) -> None:
    out = tmp_path / "air"
    result = invoke(
        "train", AIR, "--time-col", "Month", "--target", "Passengers", "--model", "attention",
        "--lookback", "12", "--horizon", "6", "--epochs", "2", "--units", "8", "--quiet",
        "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "model (attention)" in result.stdout
    assert (out / "attention.png").is_file() and (out / "forecast.png").is_file()


def test_rerunning_train_after_a_crash_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "r"
    args = ["train", DAILY, *TINY, "--epochs", "3", "--patience", "5", "--no-plots", "--out", out]
    finish_epoch = training.RestoreBestWeights.on_epoch_end

    def crash_in_epoch_2(self: object, epoch: int, logs: object = None) -> None:
        finish_epoch(self, epoch, logs)
        if epoch == 1:
            raise KeyboardInterrupt  # as if killed before epoch 2 was checkpointed

    monkeypatch.setattr(training.RestoreBestWeights, "on_epoch_end", crash_in_epoch_2)
    crashed = invoke(*args)
    assert crashed.exit_code == 130
    assert "run the same command again to resume" in crashed.stderr
    assert (out / runs.RUN_SUBDIR / "state.json").is_file(), "checkpoints survive the crash"
    assert not (out / "forecaster.json").exists()
    monkeypatch.undo()
    resumed = invoke(*args)
    assert resumed.exit_code == 0, resumed.output
    assert "3 epochs (epoch limit 3, resumed after epoch 1)" in resumed.stdout
    assert not (out / runs.RUN_SUBDIR).exists()


# ---------------------------------------------------------------------- evaluate / predict
def test_evaluate_json_is_the_only_output_and_matches_training(run_dir: Path) -> None:
    result = invoke("evaluate", run_dir, "--data", DAILY, "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    saved = json.loads((run_dir / "metrics.json").read_text())
    assert payload["test"] == saved["split"]["evaluate_test"]
    assert payload["n_windows"] == saved["n_windows"]
    got, want = payload["overall"]["value"]["model"], saved["overall"]["value"]["model"]
    assert got["MAE"] == pytest.approx(want["MAE"], rel=1e-5)
    assert set(payload["overall"]["value"]) == {
        "model",
        "naive",
        "seasonal_naive",
        "mean",
        "linear",
    }


def test_evaluate_table_on_the_last_fraction_or_from_a_date(run_dir: Path) -> None:
    by_fraction = invoke("evaluate", run_dir, "--data", DAILY, "--test", "0.1")
    assert by_fraction.exit_code == 0, by_fraction.output
    assert "scored from 0.1" in by_fraction.stdout and "seasonal naive" in by_fraction.stdout
    by_date = invoke("evaluate", run_dir, "--data", DAILY, "--test-start", "2024-12-01", "--json")
    assert json.loads(by_date.stdout)["n_windows"] == 31 - 7 + 1


def test_predict_prints_the_next_horizon_timestamps(run_dir: Path, tmp_path: Path) -> None:
    table = invoke("predict", run_dir, "--data", DAILY)
    assert table.exit_code == 0, table.output
    assert "2025-01-01" in table.stdout and "2025-01-07" in table.stdout
    csv = tmp_path / "preds.csv"
    written = invoke("predict", run_dir, "--data", DAILY, "--out", csv)
    assert written.exit_code == 0, written.output
    preds = pd.read_csv(csv, parse_dates=["date"])
    assert list(preds.columns) == ["date", "value"]
    assert list(preds["date"]) == list(pd.date_range("2025-01-01", periods=7, freq="D"))
    to_stdout = invoke("predict", run_dir, "--data", DAILY, "--out", "-")
    assert to_stdout.stdout.splitlines()[0] == "date,value"


# ---------------------------------------------------------------------- backtest
def test_backtest_reports_summary_and_folds(tmp_path: Path) -> None:
    # Trained once per backtest (the README's backtest refits every fold through the CLI).
    args = ["backtest", DAILY, *TINY, "--epochs", "1", "--folds", "2", "--test-size", "60"]
    args += ["--refit-every", "0"]
    table = invoke(*args)
    assert table.exit_code == 0, table.output
    assert "mean over 2 folds" in table.stdout and "MAE per fold (test blocks of 60 rows)" in (
        table.stdout
    )
    as_json = invoke(*args, "--json", "--mode", "sliding")
    assert as_json.exit_code == 0, as_json.output
    payload = json.loads(as_json.stdout)
    assert {r["method"] for r in payload["summary"]} == {
        "model",
        "naive",
        "seasonal_naive",
        "mean",
        "linear",
    }
    folds = pd.DataFrame(payload["folds"])
    assert sorted(folds["fold"].unique()) == [1, 2]
    assert folds.groupby("fold")["refit"].first().tolist() == [True, False]
    intervals = pd.DataFrame(payload["intervals"])  # mean over folds, model and naive
    assert set(zip(intervals["method"], intervals["level"], strict=True)) == {
        (m, lv) for m in ("model", "naive") for lv in (80.0, 95.0)
    }
    assert "prediction intervals" in table.stdout


# ---------------------------------------------------------------------- datasets / info / help
def test_datasets_lists_the_bundled_files_with_their_options() -> None:
    result = invoke("datasets")
    assert result.exit_code == 0, result.output
    assert "data/synthetic_daily.csv" in result.stdout and "3,653" in result.stdout
    assert "--time-col date --target value" in result.stdout


def test_info_reports_backend_and_cudnn_eligibility() -> None:
    result = invoke("info", "--json")
    assert result.exit_code == 0, result.output
    env = json.loads(result.stdout)
    assert env["backend"] in ("tensorflow", "jax", "torch")
    assert env["default_model_cudnn_eligible"] is True
    assert env["uses_cudnn"] == bool(env["gpus"])
    from forecast import models

    assert env.keys() == models.environment().keys()  # the library's report, as JSON
    table = invoke("info")
    assert "default LSTM uses cuDNN" in table.stdout
    assert ("faster CPU training" in table.stdout) == (env["speed_hint"] is not None)


def test_train_and_backtest_share_every_data_and_model_option() -> None:
    """Typer needs each command's options in its own signature, so train and backtest spell
    the shared ones twice: they must not drift apart (name, type, help or default)."""
    import inspect

    from forecast import cli

    train = inspect.signature(cli.train, eval_str=True).parameters
    backtest = inspect.signature(cli.backtest, eval_str=True).parameters
    shared = [name for name in train if name in backtest]
    assert {"model", "lookback", "horizon", "loss", "ridge_skip", "normalize", "seed"} <= set(
        shared
    )
    for name in shared:
        a, b = train[name], backtest[name]
        assert (a.annotation, a.default) == (b.annotation, b.default), name
    # In the same order, so both --help screens read alike.
    assert shared == [name for name in backtest if name in train]


def test_help_lists_every_command_and_shows_defaults() -> None:
    import typer.main  # the registered commands, not words that any help text may contain

    group = typer.main.get_command(app)
    commands = [
        "train", "evaluate", "predict", "backtest", "batch", "tune", "datasets", "info", "mnist"
    ]  # fmt: skip
    assert group.list_commands(typer.Context(group)) == commands
    assert invoke("--help").exit_code == 0
    train = invoke("train", "--help")
    assert train.exit_code == 0
    text = " ".join(train.stdout.replace("│", " ").split())  # help wraps in narrow terminals
    assert "default: single" in text
    assert "default: 100" in text
    assert invoke("mnist", "--help").exit_code == 0


@pytest.mark.parametrize("command", ["train", "backtest", "evaluate", "predict"])
def test_help_fits_80_columns_with_every_option_name_whole(command: str) -> None:
    import typer.main

    result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "80"})

    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in result.stdout
    click_command = typer.main.get_command(app).commands[command]
    names = [n for p in click_command.params for n in [*p.opts, *p.secondary_opts]]
    shown = " ".join(result.stdout.replace("│", " ").split())
    assert all(f" {n} " in f" {shown} " for n in names if n.startswith("--")), names
    if command == "train":
        assert all(f"─ {panel} " in result.stdout for panel in ("Data", "Model", "Training"))


def test_train_chooses_the_lookback_on_validation(tmp_path: Path) -> None:
    tiny = [a for a in TINY if a not in ("--lookback", "14")]
    out = tmp_path / "auto"
    # One epoch: the choice is made before training (it picks 730 here, a long LSTM to train).
    result = invoke("train", DAILY, *tiny, "--lookback", "auto", "--epochs", "1", "--out", out,
                    "--no-plots")  # fmt: skip
    assert result.exit_code == 0, result.output
    saved = json.loads((out / "forecaster.json").read_text())
    # 1-14 weeks of daily data, or two years (the training part holds two: seasons 7 and 365)
    assert saved["settings"]["lookback"] in (7, 14, 28, 49, 98, 730)
    # A candidate longer than the training rows is reported, and the others are scored on
    # exactly the validation windows: none reaches back into the training rows.
    table = invoke("train", DAILY, *tiny[:-1], "--lookback", "7,14,3000", "--no-plots", "--out",
                   tmp_path / "b")  # fmt: skip
    assert table.exit_code == 0, table.output
    found = re.search(r"chose  lookback (\d+): .* over (\d+) windows .*3000 too long", table.stdout)
    assert found, table.stdout
    assert int(found.group(1)) in (7, 14)
    val_rows = split_series(load_series(DAILY)).spans["val"]["rows"]
    assert int(found.group(2)) == val_rows - 7 + 1


def test_lookback_errors_are_one_line(tmp_path: Path) -> None:
    assert_one_error_line(
        invoke("train", DAILY, "--lookback", "fourteen", "--out", tmp_path / "a"), 2, "--lookback"
    )
    no_val = invoke("train", DAILY, "--lookback", "7,14", "--split", "0.8,0,0.2", "--out",
                    tmp_path / "b")  # fmt: skip
    assert_one_error_line(no_val, 2, "candidates need a validation part")
    assert_one_error_line(invoke("backtest", DAILY, "--lookback", "7,14"), 2, "for train")


def test_lookback_is_auto_by_default_and_fixed_without_a_validation_part(tmp_path: Path) -> None:
    tiny = [a for a in TINY if a not in ("--lookback", "14", "--quiet")]
    data = tmp_path / "daily.csv"
    pd.read_csv(DAILY).iloc[:400].to_csv(data, index=False)  # a short series: a quick test
    result = invoke("train", data, *tiny, "--no-plots", "--out", tmp_path / "a")
    assert result.exit_code == 0, result.output
    assert re.search(r"chose  lookback \d+: the lowest validation MAE", result.stdout)
    fixed = invoke("train", data, *tiny, "--no-plots", "--split", "0.8,0,0.2", "--out",
                   tmp_path / "b")  # fmt: skip
    assert fixed.exit_code == 0, fixed.output
    assert "chose  lookback 48: no validation part to choose it on (fixed)" in fixed.stdout
    assert (
        json.loads((tmp_path / "b" / "forecaster.json").read_text())["settings"]["lookback"] == 48
    )


def test_several_targets_from_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "two"
    result = invoke(
        "train", ROOT / "data" / "synthetic_covariate.csv", "--target", "load, temperature",
        "--covariates", "noise_feature", *TINY, "--no-plots", "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    saved = json.loads((out / "forecaster.json").read_text())
    assert saved["columns"] == ["load", "temperature", "noise_feature"]
    assert saved["n_targets"] == 2
    assert "target load" in result.stdout and "target temperature" in result.stdout
    predicted = invoke("predict", out, "--data", ROOT / "data" / "synthetic_covariate.csv",
                       "--out", "-")  # fmt: skip
    assert predicted.exit_code == 0, predicted.output
    assert predicted.stdout.splitlines()[0] == "timestamp,load,temperature"
    assert len(predicted.stdout.splitlines()) == 1 + 7


# ---------------------------------------------------------------------- errors
def test_missing_column_is_one_error_line(tmp_path: Path) -> None:
    result = invoke("train", DAILY, "--target", "OT", "--out", tmp_path / "r")
    assert_one_error_line(result, 2, "target column 'OT' not found", "date, value")
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("split", ["0.6,0.2", "0.5,0.2,0.2", "a,b,c", "0,0.5,0.5"])
def test_bad_split_is_one_error_line(split: str, tmp_path: Path) -> None:
    result = invoke("train", DAILY, "--split", split, "--out", tmp_path / "r")
    assert_one_error_line(result, 2, "--split must be three fractions like 0.6,0.2,0.2", split)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--model", "transformer"], "unknown --model 'transformer'"),
        (["--units", "8,x"], "--units must be positive integers"),
        (
            ["--normalize", "zscore"],
            "unknown --normalize 'zscore'; choose one of: last, mean_std, none",
        ),
        (["--device", "tpu"], "device must be"),
        (["--train-end", "2020-01-01"], "--train-end and --val-end go together"),
        (["--split", "0.6,0.2,0.2", "--train-end", "2020", "--val-end", "2021"], "not both"),
        (["--lookback", "4000"], "lookback + horizon"),
    ],
)
def test_bad_train_options_are_one_error_line(args: list[str], needle: str, tmp_path: Path) -> None:
    result = invoke("train", DAILY, *args, "--quiet", "--out", tmp_path / "r")
    assert_one_error_line(result, 2, needle)


def test_out_must_not_be_a_folder_of_other_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    result = invoke("train", DAILY, *TINY, "--out", tmp_path)
    assert_one_error_line(result, 2, "not a run folder")
    assert (tmp_path / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize("command", ["evaluate", "predict"])
def test_missing_run_folder_is_one_error_line(command: str, tmp_path: Path) -> None:
    result = invoke(command, tmp_path / "nope", "--data", DAILY)
    assert_one_error_line(result, 2, "no saved forecaster at")


@pytest.mark.parametrize(
    ("file", "junk", "needle"),
    [
        ("forecaster.json", "{not json", "is not valid JSON"),
        ("model.keras", "not a zip", "is corrupt or not a Keras model"),
    ],
)
def test_corrupt_artifact_is_one_error_line(
    run_dir: Path, tmp_path: Path, file: str, junk: str, needle: str
) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(run_dir, broken)
    (broken / file).write_text(junk)
    result = invoke("evaluate", broken, "--data", DAILY, "--json")
    assert_one_error_line(result, 2, needle)
    assert result.stdout == ""


def test_bad_test_option_and_wrong_data_are_one_error_line(run_dir: Path, tmp_path: Path) -> None:
    bad = invoke("evaluate", run_dir, "--data", DAILY, "--test", "abc")
    assert_one_error_line(bad, 2, "--test must be a fraction like 0.2")
    other = tmp_path / "other.csv"
    other.write_text("date,load\n2020-01-01,1\n2020-01-02,2\n")
    wrong = invoke("predict", run_dir, "--data", other)
    assert_one_error_line(wrong, 2, "column 'value' not found")


def test_usage_errors_exit_2() -> None:
    assert invoke("train").exit_code == 2
    assert invoke("train", DAILY, "--epochs", "0").exit_code == 2
    assert invoke("no-such-command").exit_code == 2


def test_unexpected_errors_are_one_line_with_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom() -> None:
        raise RuntimeError("boom")

    from forecast import catalogue

    monkeypatch.setattr(catalogue, "bundled_datasets", boom)
    line = assert_one_error_line(invoke("datasets"), 1)
    assert line == "error: unexpected RuntimeError: boom (rerun with --debug for the traceback)"
    debug = invoke("--debug", "datasets")
    assert debug.exit_code == 1
    assert "Traceback" in debug.stderr and "RuntimeError: boom" in debug.stderr
    assert debug.stderr.strip().splitlines()[-1].startswith("error: unexpected RuntimeError")


def test_debug_shows_the_traceback_and_keeps_exit_status_2(tmp_path: Path) -> None:
    result = invoke("--debug", "evaluate", tmp_path / "nope", "--data", DAILY)
    assert result.exit_code == 2
    assert "Traceback" in result.stderr and "ArtifactError" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: no saved forecaster")


# ---------------------------------------------------------------------- installed script
@pytest.mark.slow
def test_installed_forecast_script_runs() -> None:
    script = Path(sys.executable).parent / "forecast"
    if not script.is_file():
        pytest.skip(f"no installed `forecast` script next to {sys.executable}")
    helped = subprocess.run(
        [script, "--help"], capture_output=True, text=True, timeout=120, check=False
    )
    assert helped.returncode == 0, helped.stderr
    assert "backtest" in helped.stdout and "datasets" in helped.stdout
    listed = subprocess.run(
        [script, "datasets"], capture_output=True, text=True, timeout=120, check=False, cwd=ROOT
    )
    assert listed.returncode == 0, listed.stderr
    assert "data/synthetic_daily.csv" in listed.stdout


@pytest.mark.slow
def test_train_with_device_cpu_chooses_the_device_before_checking_settings(tmp_path: Path) -> None:
    """Checking settings creates no Keras state, so --device is never 'too late'."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "forecast.cli", "train", DAILY, "--horizon", "3", "--epochs", "1",
         "--units", "8", "--batch-size", "256", "--device", "cpu", "--quiet", "--no-plots",
         "--out", str(tmp_path / "r")],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-500:]
    assert (tmp_path / "r" / "model.keras").is_file()


# ---------------------------------------------------------------------- many series
def test_train_many_series_with_test_size_and_a_short_series(tmp_path: Path) -> None:
    """The M4 protocol on a long-format file whose shortest series (Q1, 9 rows) is shorter
    than lookback + horizon: it is left out of training, forecast by its fallback, counted."""
    rows = [
        (key, t + 1, level * (5 + (t % 4)))
        for key, n, level in (("A", 40, 1.0), ("B", 36, 100.0), ("Q1", 9, 10.0))
        for t in range(n)
    ]
    data = tmp_path / "panel.csv"
    pd.DataFrame(rows, columns=["series_id", "step", "value"]).to_csv(data, index=False)
    out = tmp_path / "run"
    args = ["train", data, "--id-col", "series_id", "--time-col", "step", "--target", "value"]
    args += ["--lookback", "6", "--horizon", "3", "--epochs", "1", "--units", "4", "--quiet"]
    result = invoke(*args, "--test-size", "3", "--val-size", "3", "--out", out,
                    "--series", "Q1")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "1 of 3 series too short to train on (e.g. 'Q1'): forecast with" in result.output
    assert "worst series:" in result.output
    table = pd.read_csv(out / "series_metrics.csv")
    assert set(table["series"]) == {"A", "B", "Q1"}
    assert {"sMAPE", "MASE", "OWA", "forecast_by"} <= set(table.columns)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["competition"]["value"]["naive2"]["OWA"] == pytest.approx(1.0)
    guard = metrics["guard"]  # the model vs seasonal naive and linear per series, on validation
    assert (
        guard["mode"] == "auto"
        and guard["series"] == 2
        and guard["summary"].startswith("guard: on validation the model loses to seasonal naive on")
    )
    assert set(guard["losses"]) == {"seasonal_naive", "linear"}
    assert (out / "forecast_Q1.png").is_file() and not (out / "forecast_A.png").exists()
    future = invoke("predict", out, "--data", data, "--out", "-")
    assert future.exit_code == 0 and "by a fallback, e.g. 'Q1'" in future.stderr
    wrong = invoke(*args, "--test-size", "3", "--out", tmp_path / "x", "--series", "Z9")
    assert_one_error_line(wrong, 2, "--series 'Z9'")
    both = invoke(*args, "--test-size", "3", "--split", "0.6,0.2,0.2", "--out", tmp_path / "y")
    assert_one_error_line(both, 2, "not both")
