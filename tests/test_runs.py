"""Tests for forecast/runs.py: the run folder (resume fingerprint, old names kept)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecast import runs, windowing
from forecast.forecaster import Forecaster


def test_run_folder_is_resumed_only_with_the_same_settings(tmp_path: Path) -> None:
    frame = pd.DataFrame({"y": range(100)}, index=pd.RangeIndex(100))
    parts = windowing.split_series(frame, context=5)
    folder = tmp_path / ".train"
    assert runs.prepare_run_dir(folder, Forecaster(lookback=5), parts) == "new"
    (folder / "state.json").write_text("{}")
    assert runs.prepare_run_dir(folder, Forecaster(lookback=5, epochs=7), parts) == "resume"
    assert (folder / "state.json").exists()
    assert runs.prepare_run_dir(folder, Forecaster(lookback=6), parts) == "restart"
    assert not (folder / "state.json").exists()


def test_the_old_split_names_in_runs_give_the_windowing_split() -> None:
    frame = pd.DataFrame({"y": range(50)}, index=pd.date_range("2020", periods=50, freq="D"))
    old = runs.split_series(frame, fractions=(0.6, 0.2, 0.2), context=4)
    new = windowing.split_series(frame, windowing.SplitSpec((0.6, 0.2, 0.2)), context=4)
    assert old.spans == new.spans and old.evaluate_test == new.evaluate_test
    pd.testing.assert_frame_equal(old.test, new.test)
    assert runs.parse_fractions is windowing.parse_fractions
    assert runs.SplitParts is windowing.SplitParts
