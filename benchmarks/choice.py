"""Choosing a Forecaster default on validation data: two values of one setting, compared.

Trains the default single-LSTM Forecaster with each value of one setting (everything else at
its default) on the accuracy benchmark's protocol and reports the validation MAE, which is
what a default is chosen on; test MAE is printed beside it for the record only. Tasks: ETTh1
univariate OT (rows 0-8639 train, 8640-11519 validation, 11520-14399 test) at 1 to 720 steps,
AirPassengers (horizon 12) and the Melbourne temperatures (horizon 7); the lookback is the one
the ridge baseline chose on validation; patience 5.

Run from the repository root:

    python benchmarks/choice.py --setting loss --values mse mae --datasets ETTh1   # ~5 min
    python benchmarks/choice.py --setting ridge_skip --values false true            # ~6 min

Writes benchmarks/results/choice/choice_<setting>.md and .csv.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import accuracy  # the same protocol, data loading and baselines
from common import DATA_DIR, out_stem, resolve, utc_now, write_results

from forecast import Forecaster, __version__

HORIZONS = (24, 48, 168, 336, 720)  # plus one step ahead, as in the accuracy benchmark


def _value(text: str) -> Any:
    """A command-line value as JSON when it parses (true, 3, null), else the string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def task_parts(task: accuracy.Task, data_dir: str) -> tuple[int, pd.DataFrame, ...]:
    """The ridge baseline's validation-chosen lookback and the task's train, validation and
    test frames (validation and test with `lookback` rows of context)."""
    frame = accuracy.load(task, data_dir)
    series = frame[task.target].to_numpy(dtype=np.float64)
    tr, va, te = task.train, task.train + task.val, task.train + task.val + task.test
    lookback, _, _, _ = accuracy.linear_baseline(series, task)
    train, val = frame.iloc[:tr], frame.iloc[tr - lookback : va]
    return lookback, train, val, frame.iloc[va - lookback : te]


def run_task(task: accuracy.Task, setting: str, values: list, seeds: list[int], data_dir: str):
    lookback, train, val, test = task_parts(task, data_dir)
    rows = []
    for value in values:
        for seed in seeds:
            f = Forecaster(
                lookback=lookback, horizon=task.horizon, target=task.target,
                season=task.season, seed=seed, verbose=0, patience=5, **{setting: value},
            )  # fmt: skip
            start = time.perf_counter()
            f.fit(train, val=val)
            seconds = time.perf_counter() - start
            scores = {}
            for part, frame_part, count in (("val", val, task.val), ("test", test, task.test)):
                tidy = f.predict_windows(frame_part, start=count)
                scores[f"{part}_MAE"] = float(np.abs(tidy["forecast"] - tidy["actual"]).mean())
            rows.append(
                {"task": f"{task.dataset} {task.name}", setting: json.dumps(value),
                 "seed": seed, "lookback": lookback, **scores,
                 "epochs": f.fit_result_.epochs_run, "train_s": seconds}
            )  # fmt: skip
            print(
                f"{task.dataset} {task.name} {setting}={value} seed {seed}: val MAE "
                f"{scores['val_MAE']:.4f}, test {scores['test_MAE']:.4f}, "
                f"{f.fit_result_.epochs_run} epochs",
                flush=True,
            )
    return rows


def summarize(runs: pd.DataFrame, setting: str) -> pd.DataFrame:
    """One row per task: mean validation (and test) MAE per value, the value with the lower
    validation MAE, by how much, and whether it was lower on every seed."""
    out = []
    for task, group in runs.groupby("task", sort=False):
        val = group.pivot(index="seed", columns=setting, values="val_MAE")
        test = group.pivot(index="seed", columns=setting, values="test_MAE")
        best = val.mean().idxmin()
        others = [c for c in val.columns if c != best]
        row: dict[str, Any] = {"task": task}
        for value in val.columns:
            row[f"val {value}"] = val[value].mean()
        for value in val.columns:
            row[f"test {value}"] = test[value].mean()
        row.update(
            {"lower val MAE": best,
             "margin %": (val[others].mean().min() / val[best].mean() - 1) * 100,
             "on every seed": bool(all((val[best] < val[o]).all() for o in others))}
        )  # fmt: skip
        out.append(row)
    return pd.DataFrame(out)


def markdown(summary: pd.DataFrame, args: argparse.Namespace, wall: float) -> str:
    lines = [
        f"# Default choice: `{args.setting}`, judged on validation MAE",
        "",
        f"- Command: `python benchmarks/choice.py {' '.join(sys.argv[1:])}`".rstrip(),
        f"- Date: {utc_now()}",
        "- Machine: 2 CPU cores, shared with other jobs (no GPU)",
        f"- Versions: forecast {__version__}; seeds {', '.join(map(str, args.seeds))}",
        f"- Wall time: {wall / 60:.1f} min",
        "- Protocol: the accuracy benchmark's splits; the default single-LSTM Forecaster with "
        f"only `{args.setting}` changed; the ridge baseline's validation-chosen lookback; "
        "patience 5. MAE in original units, mean over seeds. The choice uses the validation "
        "columns; test is for the record.",
        "",
        "| " + " | ".join(summary.columns) + " |",
        "|---" * len(summary.columns) + "|",
    ]
    for _, row in summary.iterrows():
        cells = []
        for col in summary.columns:
            value = row[col]
            if isinstance(value, float):
                value = f"{value:.2f}" if "%" in col else f"{value:.4f}"
            cells.append(str(value))
        lines.append("| " + " | ".join(cells) + " |")
    wins = summary["lower val MAE"].value_counts()
    lines += [
        "",
        "`margin %`: how much higher the other value's mean validation MAE is.",
        "",
        "Lower validation MAE on: "
        + ", ".join(f"`{v}` {n} of {len(summary)} tasks" for v, n in wins.items())
        + ".",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--setting", required=True, help="a Forecaster setting, e.g. loss")
    parser.add_argument("--values", nargs=2, required=True, help="two values (JSON or text)")
    parser.add_argument("--datasets", nargs="+", default=None, help="only these datasets")
    parser.add_argument("--data-dir", default=DATA_DIR)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--out", default=None, help="results path without suffix")
    args = parser.parse_args(argv)
    values = [_value(v) for v in args.values]
    tasks = [
        t for t in accuracy.tasks(True, HORIZONS)
        if args.datasets is None or t.dataset in args.datasets
    ]  # fmt: skip
    start = time.perf_counter()
    runs = pd.DataFrame(
        [row for t in tasks for row in run_task(t, args.setting, values, args.seeds,
                                                 args.data_dir)]
    )  # fmt: skip
    text = markdown(summarize(runs, args.setting), args, time.perf_counter() - start)
    print(text)
    out = resolve(args.out or out_stem("choice", f"choice_{args.setting}"))
    write_results(out, runs, text, float_format="%.5f")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
