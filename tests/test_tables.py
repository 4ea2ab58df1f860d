"""What the command line prints (`forecast/tables.py`), at a terminal's 80 columns."""

from __future__ import annotations

import pandas as pd
from rich.console import Console

from forecast.tables import search_table


def test_the_tune_trial_table_fits_80_columns_without_cutting_a_value() -> None:
    rows = [
        dict(trial=11, val_MAE=1.329123, best_epoch=14, status="stopped by ASHA", lookback=336,
             model="attention", units=128, dropout=0.25, learning_rate=0.001179,
             normalize="mean_std", loss="huber"),
        dict(trial=0, val_MAE=1.28, best_epoch=1, status="finished", lookback=96, model="single",
             units="(model's)", dropout="(model's)", learning_rate=0.001, normalize="last",
             loss="mae"),
        dict(trial=3, val_MAE=float("inf"), best_epoch=0, status="error: ValueError boom",
             lookback=48, model="stacked", units=16, dropout=0.0, learning_rate=0.00033,
             normalize="none", loss="mse"),
    ]  # fmt: skip
    console = Console(width=80, record=True)
    console.print(search_table(pd.DataFrame(rows)))
    lines = console.export_text().splitlines()

    assert all(len(line) <= 80 for line in lines) and not any("…" in line for line in lines)
    text = "\n".join(lines)
    for value in ("1.329", "0.001179", "attention", "huber", "336", "ASHA", "error", "def"):
        assert value in text, value
