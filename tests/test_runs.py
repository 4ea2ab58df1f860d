"""Tests for forecast/runs.py: the run folder (resume fingerprint, old names kept)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecast import runs, splits
from forecast.forecaster import Forecaster


def test_run_folder_is_resumed_only_with_the_same_settings(tmp_path: Path) -> None:
    frame = pd.DataFrame({"y": range(100)}, index=pd.RangeIndex(100))
    parts = splits.split_series(frame, context=5)
    folder = tmp_path / ".train"
    assert runs.prepare_run_dir(folder, Forecaster(lookback=5), parts) == "new"
    (folder / "state.json").write_text("{}")
    assert runs.prepare_run_dir(folder, Forecaster(lookback=5, epochs=7), parts) == "resume"
    assert (folder / "state.json").exists()
    assert runs.prepare_run_dir(folder, Forecaster(lookback=6), parts) == "restart"
    assert not (folder / "state.json").exists()
