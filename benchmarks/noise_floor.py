"""Benchmark: one-step test MAE of the LSTM builders against the noise floor of a known process.

`data/synthetic_daily.csv` is `level + trend + yearly sine + weekly pattern + N(0, 1)` noise
(see data/README.md). No model can predict the noise, so the best one-step MAE is
`sigma * sqrt(2 / pi) = 0.798` (the noise floor); on a finite test span the "oracle" that knows
the deterministic part exactly gets a little more or less, so it is measured on the same rows.

Protocol: chronological split 70 / 15 / 15 with `forecast.splits.split(context=lookback)`,
`SeriesScaler("standard")` fitted on the training part, one-step windows, early stopping on
the validation part (patience, best weights kept), seed 0. Each builder (single, stacked,
attention) is trained with its defaults and lookback `--lookback`; its test forecasts are turned
back into original units with `SeriesScaler.inverse_transform_targets`. Every model is scored on
the same test rows (the context rows only supply lags), beside the oracle, the naive forecast
(yesterday's value) and the seasonal naive (the value a week earlier). Extra rows: the single
LSTM at other lookbacks (`--sweep`), and the single LSTM without the builders' linear skip path
(the recurrent network alone, `--ablation`).

Goal: every model within 10% of the noise floor (MAE <= 0.878).

Run from the repository root:

    python benchmarks/noise_floor.py                       # about 6-9 minutes on 2 cores
    python benchmarks/noise_floor.py --normalize mean_std  # another builder option
    python benchmarks/noise_floor.py --sweep "" --no-ablation   # the three builders only

It prints a table and writes benchmarks/results/noise_floor/noise_floor.md and .csv.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pandas as pd
from common import ROOT, out_stem

OUT = ROOT / out_stem("noise_floor")
DATA = Path("data/synthetic_daily.csv")  # relative to the repository root
SIGMA = 1.0
NOISE_FLOOR = SIGMA * math.sqrt(2 / math.pi)
GOAL = 1.10 * NOISE_FLOOR
MODELS = ("single", "stacked", "attention")
NORMALIZE = {"last": "last", "mean_std": "mean_std", "none": None}


def deterministic_part(index: pd.DatetimeIndex) -> np.ndarray:
    """The noise-free value of synthetic_daily.csv on `index` (formula of data/make_datasets.py)."""
    sys.path.insert(0, str(ROOT / "data"))
    try:
        import make_datasets as gen
    finally:
        sys.path.pop(0)
    t = (index - pd.Timestamp(gen.DAILY_START)).days.to_numpy(dtype=np.float64)
    return (
        gen.LEVEL
        + gen.TREND_PER_DAY * t
        + gen.YEARLY_AMPLITUDE * np.sin(2.0 * np.pi * t / gen.YEARLY_PERIOD_DAYS)
        + gen.WEEKLY_PATTERN[index.day_of_week.to_numpy()]
    )


def train_and_forecast(
    name: str,
    series: pd.DataFrame,
    lookback: int,
    options: dict[str, Any],
    args: argparse.Namespace,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Train one builder; return its forecasts of the test rows (original units) and facts."""
    from forecast.models import get_builder
    from forecast.scaling import SeriesScaler
    from forecast.splits import split
    from forecast.training import fit, set_seed
    from forecast.windowing import WindowFeeder, make_windows

    parts = split(series, train=0.7, val=0.15, context=lookback)
    scaler = SeriesScaler("standard").fit(parts.train)
    train = scaler.transform(parts.train)
    val = scaler.transform(parts.val)
    test = scaler.transform(parts.test)
    train_feeder = WindowFeeder(
        train, lookback, 1, batch_size=args.batch_size, shuffle=True, seed=args.seed
    )
    val_feeder = WindowFeeder(
        val, lookback, 1, batch_size=256, shuffle=False, first_target=parts.val_start
    )
    set_seed(args.seed)
    model = get_builder(name)(
        lookback=lookback,
        n_inputs=1,
        horizon=1,
        n_targets=1,
        **{"normalize": NORMALIZE[args.normalize], "learning_rate": args.learning_rate, **options},
    )
    start = time.perf_counter()
    result = fit(
        model,
        train_feeder,
        val_feeder,
        epochs=args.epochs,
        patience=args.patience,
        reduce_lr_patience=args.reduce_lr_patience,
        seed=args.seed,
        verbose=0,
    )
    seconds = time.perf_counter() - start
    X, _ = make_windows(test, lookback, 1)
    X = X[parts.test_start - lookback :]  # windows whose target is a test row
    scaled_forecast = model.predict(np.ascontiguousarray(X), batch_size=512, verbose=0)
    forecast = scaler.inverse_transform_targets(scaled_forecast)[:, 0, 0]
    names = [layer.name for layer in model.layers]
    recent = model.get_layer("recent_steps").output.shape[1] if "recent_steps" in names else None
    facts = {
        "lookback": lookback,
        "recurrent_steps": recent or lookback,
        "linear_skip": "yes" if "linear_skip" in names else "no",
        "params": model.count_params(),
        "epochs": result.epochs_run,
        "best_epoch": result.best_epoch,
        "train_s": round(seconds, 1),
    }
    return forecast, facts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated builders")
    parser.add_argument("--lookback", type=int, default=168)
    parser.add_argument("--normalize", choices=list(NORMALIZE), default="last")
    parser.add_argument("--epochs", type=int, default=100, help="epoch limit")
    parser.add_argument("--patience", type=int, default=15)
    parser.add_argument(
        "--reduce-lr-patience", type=int, default=None, help="halve the rate after N flat epochs"
    )
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--options", default="{}", help="extra builder options as JSON, e.g. '{\"units\": 64}'"
    )
    parser.add_argument(
        "--sweep", default="56,112", help="other lookbacks for the single LSTM ('' for none)"
    )
    parser.add_argument(
        "--no-ablation", action="store_true", help="skip the single LSTM without linear skip"
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()

    import keras

    from forecast.series import load_series
    from forecast.splits import split

    began = time.perf_counter()
    series = load_series(ROOT / DATA, target="value")
    parts = split(series, train=0.7, val=0.15, context=7)
    test_rows = parts.test.iloc[parts.test_start :]
    actual = test_rows["value"].to_numpy()
    test_span = f"{test_rows.index[0].date()} to {test_rows.index[-1].date()}"

    options = json.loads(args.options)
    runs = [
        (f"LSTM {m.strip()}", m.strip(), args.lookback, options) for m in args.models.split(",")
    ]
    runs += [
        (f"LSTM single, lookback {int(lb)}", "single", int(lb), options)
        for lb in args.sweep.split(",")
        if lb.strip()
    ]
    if not args.no_ablation:
        recurrent_only = {"linear_skip": False, "recurrent_lookback": None, "units": 100}
        runs.append(
            (
                "LSTM single, recurrent path only (no linear skip, units 100), lookback 56",
                "single",
                56,
                {**options, **recurrent_only},
            )
        )

    # Baselines on exactly the models' test rows (the context rows supply the lags).
    full = parts.test["value"].to_numpy()
    begin = parts.test_start
    oracle = deterministic_part(test_rows.index)
    baselines = {
        "oracle (knows the deterministic part)": oracle,
        "naive (yesterday)": full[begin - 1 : -1],
        "seasonal naive (a week earlier)": full[begin - 7 : len(full) - 7],
    }
    oracle_mae = float(np.mean(np.abs(actual - oracle)))
    rows: list[dict[str, Any]] = []
    for label, name, lookback, extra in runs:
        forecast, facts = train_and_forecast(name, series, lookback, extra, args)
        mae = float(np.mean(np.abs(actual - forecast)))
        rows.append({"method": label, "mae": mae, **facts})
        print(f"{label}: MAE {mae:.4f} ({facts})", flush=True)
    for label, forecast in baselines.items():
        rows.append({"method": label, "mae": float(np.mean(np.abs(actual - forecast)))})
    for row in rows:
        row["vs_noise_floor"] = row["mae"] / NOISE_FLOOR
        row["vs_oracle"] = row["mae"] / oracle_mae
        row["within_goal"] = "yes" if row["mae"] <= GOAL else "no"
    minutes = (time.perf_counter() - began) / 60

    keys = ["method", "mae", "vs_noise_floor", "vs_oracle", "within_goal"]
    keys += ["lookback", "recurrent_steps", "linear_skip", "params", "epochs", "best_epoch"]
    keys += ["train_s"]
    table = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    for row in rows:
        cells = []
        for key in keys:
            value = row.get(key, "")
            cells.append(
                f"{value:.4f}" if isinstance(value, float) and key != "train_s" else str(value)
            )
        table.append("| " + " | ".join(cells) + " |")
    print("\n".join(table))
    main_rows = rows[: len(args.models.split(","))]
    met = all(r["mae"] <= GOAL for r in main_rows)
    summary = (
        f"Goal (each builder, lookback {args.lookback}: MAE <= {GOAL:.3f}, 10% above the "
        f"noise floor {NOISE_FLOOR:.3f}): "
        + ("met" if met else "not met")
        + "; "
        + ", ".join(f"{r['method']} {r['mae']:.3f}" for r in main_rows)
        + f"; the oracle gets {oracle_mae:.4f} on these {len(actual)} test rows."
    )
    trained = [r for r in rows if "epochs" in r]
    reached = "; ".join(
        f"{r['method']} {r['mae']:.3f}" for r in trained if r["within_goal"] == "yes"
    )
    missed = "; ".join(f"{r['method']} {r['mae']:.3f}" for r in trained if r["within_goal"] == "no")
    reach = f"Reached MAE <= {GOAL:.3f}: {reached or 'none'}. Not reached: {missed or 'none'}."
    print(summary)
    print(reach)
    if args.no_write:
        return 0

    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT.with_suffix(".csv"), "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=keys, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    command = "python benchmarks/noise_floor.py " + " ".join(sys.argv[1:])
    lines = [
        "# Noise floor: LSTM builders on synthetic_daily.csv",
        "",
        f"- Command: `{command.strip()}` (from the repository root)",
        f"- Date: {dt.date.today().isoformat()}",
        f"- Machine: 2 CPU cores, shared machine; {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}, Keras {keras.__version__} "
        f"({keras.backend.backend()} backend); wall time {minutes:.1f} min",
        f"- Data: {DATA.as_posix()} (daily, noise sigma {SIGMA}); split 70/15/15 "
        f"chronologically, test span {test_span} ({len(actual)} rows, the same for every row "
        "below); scaler: standard, fitted on the training part",
        f"- Models: builder defaults (extra options: {json.dumps(options)}), horizon 1, "
        f"normalize {args.normalize!r}, batch {args.batch_size}, Adam lr {args.learning_rate}, "
        f"at most {args.epochs} epochs, early stopping on validation MSE with patience "
        f"{args.patience} (best weights kept), seed {args.seed}",
        f"- Noise floor: sigma * sqrt(2/pi) = {NOISE_FLOOR:.4f}; MAE in original units",
        "",
        *table,
        "",
        f"- {summary}",
        f"- {reach}",
        "",
    ]
    OUT.with_suffix(".md").write_text("\n".join(lines))
    print(f"wrote {OUT}.md and .csv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
