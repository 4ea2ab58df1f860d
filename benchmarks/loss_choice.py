"""Which training loss should the Forecaster default to? MSE against MAE on ETTh1 validation.

The accuracy benchmark scores forecasts by MAE. A model trained on MSE learns the conditional
mean, one trained on MAE the conditional median; they differ where the errors are skewed or
heavy-tailed. This script trains the default single-LSTM Forecaster with each loss on the
accuracy benchmark's ETTh1 protocol (univariate OT, rows 0-8639 train, 8640-11519
validation, 11520-14399 test; the lookback the ridge baseline chose on validation; patience
5) and reports the validation MAE, which is what the choice is made on. Test MAE is printed
beside it for the record only.

Run from the repository root (about 6 minutes on 2 CPUs):

    python benchmarks/loss_choice.py

Writes benchmarks/results/loss_choice.md and loss_choice.csv.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import accuracy  # the same protocol, data loading and baselines

from forecast import Forecaster, __version__

DEFAULT_OUT = "benchmarks/results/loss_choice"


def run_horizon(horizon: int, losses: list[str], seeds: list[int], data_dir: str) -> list[dict]:
    lookbacks = (24, 48, 96) if horizon == 1 else accuracy.ETT_LOOKBACKS
    task = accuracy.Task(
        **accuracy.ETT, horizon=horizon, season=24, lookbacks=lookbacks, load={"time_col": "date"}
    )
    frame = accuracy.load(task, data_dir)
    values = frame[task.target].to_numpy(dtype=np.float64)
    tr, va, te = task.train, task.train + task.val, task.train + task.val + task.test
    lookback, _, _, _ = accuracy.linear_baseline(values, task)
    _, val_x, val_y = accuracy.target_windows(values, tr, va, 1, horizon)
    _, test_x, test_y = accuracy.target_windows(values, va, te, 1, horizon)
    naive = {
        "val_MAE": float(np.abs(val_x[:, -1:] - val_y).mean()),
        "test_MAE": float(np.abs(test_x[:, -1:] - test_y).mean()),
    }
    train, val = frame.iloc[:tr], frame.iloc[tr - lookback : va]
    test = frame.iloc[va - lookback : te]
    rows = []
    for loss in losses:
        for seed in seeds:
            f = Forecaster(
                lookback=lookback, horizon=horizon, target=task.target, season=24, seed=seed,
                verbose=0, patience=5, loss=loss,
            )  # fmt: skip
            start = time.perf_counter()
            f.fit(train, val=val)
            seconds = time.perf_counter() - start
            scores = {}
            for part, frame_part, count in (("val", val, task.val), ("test", test, task.test)):
                tidy = f.predict_windows(frame_part, start=count)
                scores[f"{part}_MAE"] = float(np.abs(tidy["forecast"] - tidy["actual"]).mean())
            rows.append(
                {"horizon": horizon, "loss": loss, "seed": seed, "lookback": lookback, **scores,
                 "naive_val_MAE": naive["val_MAE"], "naive_test_MAE": naive["test_MAE"],
                 "epochs": f.fit_result_.epochs_run, "train_s": seconds}
            )  # fmt: skip
            print(
                f"h={horizon:<4d} {loss:<4s} seed {seed}: val MAE {scores['val_MAE']:.4f} "
                f"(naive {naive['val_MAE']:.4f}), test {scores['test_MAE']:.4f} "
                f"(naive {naive['test_MAE']:.4f}), {f.fit_result_.epochs_run} epochs",
                flush=True,
            )
    return rows


def summarize(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per horizon: mean validation MAE per loss, the winner, and whether it won on
    every seed."""
    out = []
    for horizon, group in runs.groupby("horizon", sort=False):
        val = group.pivot(index="seed", columns="loss", values="val_MAE")
        test = group.pivot(index="seed", columns="loss", values="test_MAE")
        best = val.mean().idxmin()
        others = [c for c in val.columns if c != best]
        every_seed = bool(all((val[best] < val[o]).all() for o in others))
        row = {"horizon": horizon}
        for loss in val.columns:
            row[f"val {loss}"] = val[loss].mean()
            row[f"test {loss}"] = test[loss].mean()
        gap = (val[others].mean().min() / val[best].mean() - 1) * 100 if others else 0.0
        row.update(
            {"naive val": group["naive_val_MAE"].iloc[0],
             "naive test": group["naive_test_MAE"].iloc[0],
             "lower val MAE": best, "margin %": gap, "on every seed": every_seed}
        )  # fmt: skip
        out.append(row)
    return pd.DataFrame(out)


def markdown(summary: pd.DataFrame, args: argparse.Namespace, wall: float) -> str:
    lines = [
        "# Loss choice: MSE vs MAE training, judged on ETTh1 validation MAE",
        "",
        "- Command: `python benchmarks/loss_choice.py`",
        f"- Date: {datetime.datetime.now(datetime.UTC):%Y-%m-%dT%H:%M} UTC",
        "- Machine: 2 CPU cores, shared with other jobs (no GPU)",
        f"- Versions: forecast {__version__}; seeds {', '.join(map(str, args.seeds))}",
        f"- Wall time: {wall / 60:.1f} min",
        "- Protocol: the accuracy benchmark's ETTh1 split (univariate OT; 8640 train, 2880 "
        "validation, 2880 test rows), the default single-LSTM Forecaster with only `loss` "
        "changed, the ridge baseline's validation-chosen lookback, patience 5. MAE in °C, "
        "mean over seeds. The choice uses the validation columns; test is for the record.",
        "",
        "| horizon | " + " | ".join(c for c in summary.columns if c != "horizon") + " |",
        "|---" * len(summary.columns) + "|",
    ]
    for _, row in summary.iterrows():
        cells = [str(row["horizon"])]
        for col in summary.columns[1:]:
            value = row[col]
            if isinstance(value, float):
                value = f"{value:.2f}" if "%" in col else f"{value:.4f}"
            cells.append(str(value))
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "`margin %`: how much higher the other loss's mean validation MAE is.", ""]
    lines.append(
        "Rule: keep MSE, the usual loss, unless MAE gives the lower validation MAE on every "
        "seed. Where it does:"
    )
    for _, row in summary.iterrows():
        wins = row["lower val MAE"] == "mae" and row["on every seed"]
        verdict = "MAE wins on every seed: train on MAE" if wins else "keep MSE"
        lines.append(f"- horizon {row['horizon']}: {verdict}")
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=accuracy.DATA_DIR)
    parser.add_argument("--horizons", type=int, nargs="+", default=[1, 24, 48, 168, 336, 720])
    parser.add_argument("--losses", nargs="+", default=["mse", "mae"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--out", default=DEFAULT_OUT, help="results path without suffix")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    runs = pd.DataFrame(
        [row for h in args.horizons for row in run_horizon(h, args.losses, args.seeds,
                                                            args.data_dir)]
    )  # fmt: skip
    summary = summarize(runs)
    text = markdown(summary, args, time.perf_counter() - start)
    print(text)
    out = accuracy._resolve(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    runs.to_csv(out.with_suffix(".csv"), index=False, float_format="%.5f")
    out.with_suffix(".md").write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
