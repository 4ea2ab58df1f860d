"""forecast.distributed.grid (`forecast batch`): the result parts, the leaderboard, failed cells,
tasks in flight, and the same grid on a local Ray cluster (this test's own, started from
another folder than the driver's) with one of its workers killed mid-grid."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.distributed import grid as batch

ROOT = Path(__file__).resolve().parents[1]
SCORES = [f for f in batch.FIELDS if f not in ("seconds", "error")]


def _row(seed: int, mae: float) -> dict:
    row = {k: "" for k in batch.FIELDS}
    row.update(
        dataset="air", model="single", horizon=12, seed=seed, lookback=24, MAE=mae, RMSE=mae,
        MASE=1.0, sMAPE=5.0, naive_MAE=80.0, seasonal_naive_MAE=50.0, mean_MAE=70.0,
        linear_MAE=20.0, epochs_run=10, best_epoch=5, seconds=1.0, status="ok",
    )  # fmt: skip
    return row


def test_rows_accumulate_and_the_leaderboard_ranks_every_baseline(tmp_path) -> None:
    batch.record_row(tmp_path, _row(0, 22.0))
    batch.record_row(tmp_path, _row(1, 24.0))
    rows = batch.read_results(batch.assemble(tmp_path))
    assert [r["seed"] for r in rows] == ["0", "1"]
    board = batch.leaderboard(rows)
    lines = [line for line in board.splitlines() if line.startswith("| ") and "rank" not in line]
    assert [line.split(" | ")[1] for line in lines] == [
        "*linear (ridge)* (baseline)", "single", "*seasonal naive* (baseline)",
        "*mean* (baseline)", "*naive* (baseline)",
    ]  # fmt: skip


def test_a_row_writes_its_own_part_and_touches_no_other_file(tmp_path) -> None:
    first = batch.record_row(tmp_path, _row(0, 22.0))
    before = first.stat()
    second = batch.record_row(tmp_path, _row(1, 24.0))
    assert first != second and first.parent == second.parent == tmp_path / "parts"
    assert first.stat().st_ino == before.st_ino and first.stat().st_mtime_ns == before.st_mtime_ns
    assert not (tmp_path / "results.csv").exists()  # assembled when the run ends
    assert sorted(p.name for p in (tmp_path / "parts").iterdir()) == sorted(
        [first.name, second.name]
    )  # no temporary file left behind
    # a key whose text would make a clash or an odd file name gets its own part too
    odd = {**_row(0, 1.0), "dataset": "air/../x y"}
    assert batch.record_row(tmp_path, odd).parent == tmp_path / "parts"
    assert len(batch.read_parts(tmp_path)) == 3


def test_a_results_file_from_an_older_version_is_upgraded_in_place(tmp_path) -> None:
    old_fields = [f for f in batch.FIELDS if f not in ("linear_MAE", "status", "error")]
    path = tmp_path / "results.csv"
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=old_fields, lineterminator="\n")
        writer.writeheader()
        writer.writerow({k: v for k, v in _row(0, 22.0).items() if k in old_fields})
    assert "linear" not in batch.leaderboard(batch.read_results(path))  # nothing to show yet
    batch.assemble(tmp_path)  # the old rows become parts
    batch.record_row(tmp_path, _row(1, 24.0))
    rows = batch.read_results(batch.assemble(tmp_path))
    assert list(rows[0]) == batch.FIELDS
    assert rows[0]["epochs_run"] == "10" and rows[0]["linear_MAE"] == ""  # columns line up
    assert rows[1]["linear_MAE"] == "20.0"
    assert len(batch.finished(rows)) == 2  # an old row without a status counts as finished


def test_a_failed_cell_is_recorded_then_replaced_by_its_rerun(tmp_path) -> None:
    cell = {**_row(3, 0.0), "lookback": 24}
    batch.record_row(tmp_path, _row(0, 22.0))
    batch.record_row(tmp_path, batch.failed_row(cell, RuntimeError("worker died\nbadly")))
    rows = batch.read_results(batch.assemble(tmp_path))
    assert rows[1]["status"] == "failed" and rows[1]["error"] == "RuntimeError: worker died badly"
    assert "3" not in {r["seed"] for r in batch.finished(rows)}
    batch.record_row(tmp_path, _row(3, 23.0))  # the rerun
    assert [(r["seed"], r["status"]) for r in batch.read_results(batch.assemble(tmp_path))] == [
        ("0", "ok"), ("3", "ok")
    ]  # fmt: skip


class _FakeRay:
    """Just enough of the `ray` module for `grid._ray`: tasks run when waited on; records
    how many were submitted and not yet collected."""

    def __init__(self) -> None:
        self.pending, self.most = [], 0

    def cluster_resources(self) -> dict:
        return {"CPU": 2.0}

    def nodes(self) -> list:
        return []

    def get(self, ref):
        return ref() if callable(ref) else ref

    def remote(self, **_):
        def wrap(function):
            class Task:
                @staticmethod
                def remote(*args):
                    ref = (lambda: function(*args)) if args else None
                    self.pending.append(ref)
                    self.most = max(self.most, len(self.pending))
                    return ref

                @staticmethod
                def options(**_):
                    return Task

            return Task

        return wrap

    def wait(self, refs, num_returns=1):
        self.pending.remove(refs[0])
        return [refs[0]], refs[1:]


def test_ray_tasks_in_flight_are_bounded(monkeypatch) -> None:
    fake = _FakeRay()
    monkeypatch.setattr(batch, "connect_ray", lambda address: fake)
    monkeypatch.setattr(batch, "run_cell", lambda cell: {"seed": cell["seed"]})
    cells = [{"seed": i, "path": "x.csv"} for i in range(50)]
    outcomes = list(batch._ray(cells, None, 1, 0, 0, in_flight=3))
    assert sorted(row["seed"] for _, row in outcomes) == list(range(50))
    assert fake.most == 3
    fake.most = 0
    list(batch._ray(cells, None, 1, 0, 0, in_flight=None))  # 2 CPUs, 1 each: 2 × 2
    assert fake.most == 4


def test_a_cell_that_fails_does_not_stop_the_grid_and_is_run_again(tmp_path) -> None:
    data = tmp_path / "short.csv"
    stamps = pd.date_range("2021", periods=30, freq="D")
    pd.DataFrame({"time": stamps, "y": np.arange(30.0)}).to_csv(data, index=False)
    config = {
        "models": ["single"], "seeds": [0],
        "datasets": [{"name": "short", "path": str(data), "lookback": 40, "horizons": [2]}],
    }  # fmt: skip
    seen = []
    for _ in range(2):
        result = batch.run_grid(config, tmp_path / "out", on_cell=seen.append)
        assert (result.ran, result.failed) == (1, 1)
    assert [row["status"] for row in seen] == ["failed", "failed"]
    assert "lookback" in seen[0]["error"]
    assert len(batch.read_results(result.results)) == 1  # the one cell, once


# ---------------------------------------------------------------------- on a Ray cluster
CONFIG = """
models = ["single"]
seeds = [0, 1, 2]
split = [0.6, 0.2, 0.2]
[train]
epochs = 2
patience = 2
batch_size = 32
[model_options.single]
units = 4
[[datasets]]
name = "tiny"
path = "{path}"
lookback = 12
horizons = [4]
"""


def _batch(config: Path, out: Path, env: dict, *extra: str) -> subprocess.Popen:
    """`forecast batch` run from the config's folder (its data path is relative to it)."""
    command = [sys.executable, "-m", "forecast.cli", "batch", str(config), "--out", str(out)]
    return subprocess.Popen(
        [*command, "--cpus", "1", *extra], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, cwd=config.parent,
    )  # fmt: skip


def _running_cell(cluster, timeout: float = 240) -> int:
    """The pid of a Ray worker of `cluster` (this test's own) running a cell (Ray titles it
    `ray::run_cell`); a process of any other Ray cluster on the machine is never chosen."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid in cluster.pids():
            try:
                if Path(f"/proc/{pid}/cmdline").read_bytes().startswith(b"ray::run_cell"):
                    return pid
            except OSError:
                continue
        time.sleep(0.2)
    raise AssertionError("no Ray worker of the test cluster started a cell")


def _scores(path: Path) -> dict[tuple, dict]:
    rows = batch.read_results(path)
    keys = [batch.key_of(r) for r in rows]
    assert len(keys) == len(set(keys)), f"a cell written twice: {keys}"
    return {batch.key_of(r): {f: r[f] for f in SCORES} for r in rows}


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds Ray's worker pids in /proc")
def test_a_grid_on_ray_with_a_killed_worker_matches_the_local_grid(tmp_path, env, ray_cluster):
    data = tmp_path / "tiny.csv"
    t = np.arange(240)
    noise = np.random.default_rng(1).normal(0, 1, 240)
    stamps = pd.date_range("2021", periods=240, freq="h")
    pd.DataFrame({"time": stamps, "y": np.sin(t / 5) * 10 + 20 + noise}).to_csv(data, index=False)
    config = tmp_path / "grid.toml"
    config.write_text(CONFIG.format(path=data.name))  # relative: to the driver's folder
    # the local grid, to compare with: run beside the Ray grid (a process of its own, the
    # same threads a cell), while this test waits on Ray
    local = _batch(config, tmp_path / "local", env, "--engine", "local")

    # Ray, no retries: SIGKILL a worker mid-cell; its cell is recorded as failed.
    ray_args = ("--engine", "ray", "--address", ray_cluster.address, "--max-retries", "0")
    first = _batch(config, tmp_path / "ray", env, *ray_args)
    os.kill(_running_cell(ray_cluster), signal.SIGKILL)
    log = first.communicate(timeout=400)[0]
    assert first.returncode == 1, log
    rows = batch.read_results(tmp_path / "ray" / "results.csv")
    assert sorted(r["status"] for r in rows) == ["failed", "ok", "ok"], log
    # The next run runs only that cell and replaces its row.
    second = _batch(config, tmp_path / "ray", env, *ray_args)
    log = second.communicate(timeout=400)[0]
    assert second.returncode == 0, log
    assert "2 cells already in" in log and "1 to run" in log

    log = local.communicate(timeout=400)[0]
    assert local.returncode == 0, log
    on_ray, here = (
        _scores(tmp_path / "ray" / "results.csv"),
        _scores(tmp_path / "local" / "results.csv"),
    )
    assert len(here) == 3 and all(r["status"] == "ok" for r in here.values())
    assert on_ray == here  # the same seeds give the same scores, bit for bit


def test_a_ray_worker_is_told_apart_by_the_script_ray_runs(monkeypatch) -> None:
    # forecast.distributed's import then calls backends.lean_keras_import(): the worker's
    # Keras import leaves out scikit-learn and matplotlib (checked by hand on a local Ray)
    from forecast import distributed

    worker = str(Path("ray", "_private", "workers", "default_worker.py"))
    monkeypatch.setattr(sys, "argv", [worker, "--node-ip-address=127.0.0.1"])
    assert distributed.in_a_ray_worker()
    for argv in (["-c"], [str(ROOT / "forecast" / "cli.py")], []):
        monkeypatch.setattr(sys, "argv", argv)
        assert not distributed.in_a_ray_worker()
