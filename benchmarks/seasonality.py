"""Issue #22 Deliver 3 on single series: the calendar chosen on validation, and the seasons.

For each task, on its validation part only (the test part is never loaded):

- what `calendar="auto"` decides (`forecast.calendar_choice`: the linear baseline with and
  without the calendar columns on the validation windows; day of year only from two training
  years), and the linear baseline's validation MAE both ways;
- the default LSTM (lookback "auto" over the seasons' candidates, `guard="report"` so the
  model's own forecasts are scored) trained with `calendar="none"` and `calendar="on"`: its
  validation MAE in original units, on the same windows (`Forecaster.evaluate(test=val)`).
  `calendar="auto"` gives the run of the calendar it chose (same seed, same model), so its
  decision is computed alone (the "auto (decision)" rows: no training).

Tasks: ETTh1 OT (rows 0-8639 train, 8640-11519 validation) at horizons 24 and 168; AEP_hourly
(sorted, duplicate hours averaged, missing hours interpolated) with 1 training year (8760 rows,
the last 18 months, as `benchmarks/lstm_vs_linear.py`) and with 3 (26280 rows), 2190 validation
rows, horizon 24; Melbourne daily minimum temperatures (2922 training rows, 365 validation,
horizon 7: two years, so the seasons are 7 and 365 and the lookback candidates add 730).

    python benchmarks/seasonality.py                 # every task, seed 0
    python benchmarks/seasonality.py --tasks etth1-24 --calendars    # the decisions only
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402
from common import out_stem  # noqa: E402  (beside this script)

DATA = ROOT.parent / "shared" / "datasets"
OUT = ROOT / out_stem("seasonality")
AEP = {"time_col": "Datetime", "sort": True, "duplicates": "mean", "fill": "interpolate"}
# name -> (file, target, load options, training rows, validation rows, horizon, from the end)
TASKS = {
    "etth1-24": ("ETTh1.csv", "OT", {"time_col": "date"}, 8640, 2880, 24, False),
    "etth1-168": ("ETTh1.csv", "OT", {"time_col": "date"}, 8640, 2880, 168, False),
    "aep-1y": ("AEP_hourly.csv", "AEP_MW", AEP, 8760, 2190, 24, True),
    "aep-3y": ("AEP_hourly.csv", "AEP_MW", AEP, 26280, 2190, 24, True),
    "melbourne": ("daily-min-temperatures.csv", "Temp", {"fill": "interpolate"}, 2922, 365, 7,
                  False),  # the seasons: 7 and, from two years, 365 (lookback candidate 730)
}  # fmt: skip


def frame_of(name: str) -> pd.DataFrame:
    """The task's training and validation rows (AEP: the most recent, its last 2190 test rows
    dropped first, as `benchmarks/lstm_vs_linear.py` cuts it)."""
    from forecast import load_series

    file, target, load, train, val, _, recent = TASKS[name]
    frame = load_series(DATA / file, target=target, **load)
    if recent:
        return frame.iloc[: len(frame) - 2190].iloc[-(train + val) :]
    return frame.iloc[: train + val]


def run(
    name: str, calendar: str, seed: int, epochs: int, patience: int, lookback: str = "auto"
) -> dict:
    """Fit one Forecaster on the task's training part (early stopping on validation) and score
    it on the validation windows."""
    import keras

    from forecast import Forecaster

    *_, val, horizon, _ = TASKS[name]
    frame = frame_of(name)
    keras.utils.set_random_seed(seed)
    f = Forecaster(horizon=horizon, calendar=calendar, seed=seed, epochs=epochs,
                   patience=patience, guard="report", verbose=0,
                   lookback=lookback if lookback == "auto" else int(lookback))  # fmt: skip
    began = time.perf_counter()
    f.fit(frame, val=val)
    seconds = time.perf_counter() - began
    mae = f.evaluate(frame, test=val, levels=None).overall()["MAE"]
    target = f.columns_[0]
    choice = f.calendar_choice_
    return {
        "task": name, "calendar": calendar, "seed": seed, "lookback": f.lookback_,
        "model_MAE": float(mae[(target, "model")]), "linear_MAE": float(mae[(target, "linear")]),
        "seasonal_naive_MAE": float(mae[(target, "seasonal_naive")]),
        "epochs": len(f.history_.get("loss", [])), "fit_s": round(seconds, 1),
        "choice": choice.summary() if choice else "", "columns": " ".join(f.calendar_),
    }  # fmt: skip


def decide(name: str) -> dict:
    """What calendar="auto" chooses for the task (the lookback chosen first, as `fit` does);
    no training."""
    from forecast import Forecaster

    *_, val, horizon, _ = TASKS[name]
    frame = frame_of(name)
    f = Forecaster(horizon=horizon, calendar="auto", verbose=0)
    f.resolve_lookback(frame, val)
    choice = f.choose_calendar(frame, val)
    return {"task": name, "calendar": "auto (decision)", "lookback": f.lookback_,
            "choice": choice.summary(), "columns": " ".join(choice.features)}  # fmt: skip


def markdown(table: pd.DataFrame, command: str) -> str:
    lines = [
        "# Seasonality on single series: the calendar chosen on validation (issue #22)",
        "",
        f"Command: `{command}` (validation parts only; 2 shared CPU cores, wall-clock "
        'seconds). MAE in original units on the validation windows; `guard="report"`.',
        "",
        "| task | calendar | lookback | model MAE | linear MAE | s. naive MAE | epochs | fit s "
        "| calendar columns | choice |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    num = lambda v, f="{:.4g}": "" if pd.isna(v) else f.format(v)  # noqa: E731
    text = lambda v: "" if pd.isna(v) else str(v)  # noqa: E731
    for _, r in table.iterrows():
        lines.append(
            f"| {r.task} | {r.calendar} | {r.lookback} | {num(r.get('model_MAE'))} "
            f"| {num(r.get('linear_MAE'))} | {num(r.get('seasonal_naive_MAE'))} "
            f"| {num(r.get('epochs'), '{:.0f}')} | {num(r.get('fit_s'), '{}')} "
            f"| {text(r.columns)} | {text(r.choice)} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=list(TASKS))
    parser.add_argument("--calendars", nargs="*", default=["none", "on"])
    parser.add_argument("--no-decision", action="store_true")
    parser.add_argument("--lookback", default="auto", help="auto (default) or a fixed number")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--patience", type=int, default=5)
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args(argv)
    command = "python benchmarks/seasonality.py " + " ".join(argv or sys.argv[1:])
    rows = []
    for name in args.tasks:
        jobs = [] if args.no_decision else [functools.partial(decide, name)]
        jobs += [functools.partial(run, name, c, args.seed, args.epochs, args.patience,
                                   args.lookback) for c in args.calendars]  # fmt: skip
        for job in jobs:
            rows.append(job())
            print(rows[-1], flush=True)
            table = pd.DataFrame(rows)
            table.to_csv(f"{args.out}.csv", index=False)
            Path(f"{args.out}.md").write_text(markdown(table, command.strip()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
