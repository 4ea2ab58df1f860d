"""forecast.distributed.multiworker: one global model trained by two worker processes, each on
its own shard of series (JAX multi-process data parallelism), against one worker on the whole
panel at the same global batch."""

from __future__ import annotations

import json

import pytest
from test_distributed_predict import _panel

from forecast.distributed import multiworker
from forecast.errors import ConfigError

# 16 equal series of 120 days: the train part (80 %) gives 86 windows a series, 1,376 in all;
# one global batch of all of them makes the step independent of the windows' order.
SETTINGS = {
    "lookback": 8, "horizon": 3, "epochs": 3, "batch_size": 1376, "time_col": "ds",
    "id_col": "unique_id", "target": "y", "model_options": {"units": 4}, "verbose": 0,
    "seed": 0, "patience": None, "scaler": "none", "ridge_skip": False, "series_scaling": "global",
}  # fmt: skip


def test_settings_fitted_from_a_workers_own_shard_are_refused() -> None:
    with pytest.raises(ConfigError, match="scaler='none'") as caught:
        multiworker.check_settings({**SETTINGS, "scaler": "standard"}, 2)
    assert caught.value.setting == "scaler"
    with pytest.raises(ConfigError, match="ridge_skip=False"):
        multiworker.check_settings({**SETTINGS, "ridge_skip": True}, 2)
    with pytest.raises(ConfigError, match="series_scaling='global'"):
        multiworker.check_settings({**SETTINGS, "series_scaling": "mean"}, 2)
    with pytest.raises(ConfigError, match="divide by the 3 workers"):
        multiworker.check_settings(SETTINGS, 3)
    multiworker.check_settings(SETTINGS, 2)


def _history(logs: list[str]) -> dict:
    lines = [line for line in logs[0].splitlines() if line.startswith("history ")]
    return json.loads(lines[-1][len("history ") :])


@pytest.mark.slow
def test_two_workers_on_their_own_shards_match_one_worker(tmp_path) -> None:
    pytest.importorskip("jax")
    _panel(16, length=120, seed=3).to_parquet(tmp_path / "panel.parquet", index=False)
    two = multiworker.launch_local(2, SETTINGS, tmp_path / "panel.parquet", tmp_path / "run")
    assert all("2 devices in the job" in log for log in two)
    assert _history(two) == _history(two[1:])  # both workers hold the same model
    one = multiworker.launch_local(1, SETTINGS, tmp_path / "panel.parquet")
    got, want = _history(two)["val_loss"], _history(one)["val_loss"]
    assert got == pytest.approx(want, rel=1e-4)  # measured: 2e-5
    assert (tmp_path / "run" / "forecaster.json").is_file()  # worker 0 saved the run
