"""What the command line prints (`forecast/tables.py`), at a terminal's 80 columns."""

from __future__ import annotations

import pandas as pd
from rich.console import Console

from forecast.tables import search_table, trial_line

ROWS = [
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


def test_the_tune_trial_table_fits_80_columns_without_cutting_a_value() -> None:
    rows = ROWS
    console = Console(width=80, record=True)
    console.print(search_table(pd.DataFrame(rows)))
    lines = console.export_text().splitlines()

    assert all(len(line) <= 80 for line in lines) and not any("…" in line for line in lines)
    text = "\n".join(lines)
    for value in ("1.329", "0.001179", "attention", "huber", "336", "ASHA", "error", "def"):
        assert value in text, value


class _Bar:
    """The part of a rich progress bar `trial_line` uses: its console, `advance`."""

    def __init__(self, console: Console) -> None:
        self.console, self.advanced = console, 0

    def advance(self, task: int) -> None:
        self.advanced += 1


def test_the_tune_live_lines_fit_80_columns_under_their_column_names() -> None:
    console = Console(width=80, record=True)
    bar = _Bar(console)
    show = trial_line(bar, 0)
    for row in ROWS:
        show(row)
    lines = console.export_text().splitlines()
    assert bar.advanced == 3 and len(lines) == 4  # the column names once, then a line a trial
    assert all(len(line) <= 80 for line in lines) and not any("…" in line for line in lines)
    assert lines[0].split() == ["#", "val", "MAE", "ep", "ended", "lb", "model", "units", "drop",
                                "lr", "norm", "loss"]  # fmt: skip
    assert lines[1].split() == ["11", "1.329", "14", "ASHA", "336", "attention", "128", "0.25",
                                "0.001179", "m_std", "huber"]  # fmt: skip
    assert lines[3].split()[:4] == ["3", "inf", "0", "error"]
