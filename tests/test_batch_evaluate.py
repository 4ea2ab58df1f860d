"""examples/batch_evaluate.py: its results file and leaderboard (the training cells are covered
by the Forecaster tests)."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "examples" / "batch_evaluate.py"


@pytest.fixture(scope="module")
def batch():
    spec = importlib.util.spec_from_file_location("batch_evaluate", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _row(batch, seed: int, mae: float) -> dict:
    row = {k: "" for k in batch.FIELDS}
    row.update(
        dataset="air", model="single", horizon=12, seed=seed, lookback=24, MAE=mae, RMSE=mae,
        MASE=1.0, sMAPE=5.0, naive_MAE=80.0, seasonal_naive_MAE=50.0, mean_MAE=70.0,
        linear_MAE=20.0, epochs_run=10, best_epoch=5, seconds=1.0,
    )  # fmt: skip
    return row


def test_rows_accumulate_and_the_leaderboard_ranks_every_baseline(tmp_path, batch) -> None:
    path = tmp_path / "results.csv"
    batch.append_row(path, _row(batch, 0, 22.0))
    batch.append_row(path, _row(batch, 1, 24.0))
    rows = batch.read_results(path)
    assert [r["seed"] for r in rows] == ["0", "1"]
    board = batch.leaderboard(rows)
    lines = [line for line in board.splitlines() if line.startswith("| ") and "rank" not in line]
    assert [line.split(" | ")[1] for line in lines] == [
        "*linear (ridge)* (baseline)", "single", "*seasonal naive* (baseline)",
        "*mean* (baseline)", "*naive* (baseline)",
    ]  # fmt: skip


def test_a_results_file_from_before_the_linear_baseline_is_upgraded_in_place(tmp_path, batch):
    old_fields = [f for f in batch.FIELDS if f != "linear_MAE"]
    path = tmp_path / "results.csv"
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=old_fields, lineterminator="\n")
        writer.writeheader()
        writer.writerow({k: v for k, v in _row(batch, 0, 22.0).items() if k in old_fields})
    assert "linear" not in batch.leaderboard(batch.read_results(path))  # nothing to show yet
    batch.append_row(path, _row(batch, 1, 24.0))
    rows = batch.read_results(path)
    assert list(rows[0]) == batch.FIELDS
    assert rows[0]["epochs_run"] == "10" and rows[0]["linear_MAE"] == ""  # columns line up
    assert rows[1]["linear_MAE"] == "20.0"
