"""Prediction intervals on held-out test data: coverage and MSIS, beside naive's intervals.

For each task the default single-LSTM Forecaster is trained once per seed on the accuracy
benchmark's protocol (its train / validation / test rows, the ridge baseline's validation-chosen
lookback, patience 5, an epoch cap to fit the time budget). Conformal intervals are calibrated on
the validation windows (the default, `intervals="conformal"`); the same fitted model is then
scored with `intervals="adaptive"` (online re-calibration on the test actuals known at each
origin). The naive method's intervals come from its own conformal errors on the same
validation windows (the reference, measured in the same run): `MSIS ratio` = model MSIS /
naive MSIS (below 1: better).

Tasks: ETTh1 OT at 24 and 168 steps, AirPassengers (12 steps), the Melbourne temperatures
(7 steps). Run from the repository root:

    python benchmarks/intervals.py                    # seeds 0 1, ~15 min on 2 shared cores
    python benchmarks/intervals.py --seeds 0 --epochs 5 --tasks AirPassengers   # a quick look

Writes benchmarks/results/intervals.md and .csv.
"""

from __future__ import annotations

import argparse
import datetime
import os
import shlex
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import accuracy  # the same protocol and data loading
import choice  # the same parts and lookback choice

from forecast import Forecaster, __version__

LEVELS = (80, 95)
DEFAULT_OUT = "benchmarks/results/intervals"


def chosen_tasks(names: list[str] | None) -> list[accuracy.Task]:
    """ETTh1 h=24 and h=168, AirPassengers, Melbourne (or those whose dataset is named)."""
    found = [
        t
        for t in accuracy.tasks(quick=True, horizons=(24, 168))
        if t.name != "h=1" and not t.covariates
    ]
    return [t for t in found if not names or t.dataset in names or t.dataset.split()[0] in names]


def interval_rows(f: Forecaster, frame: pd.DataFrame, count: int, part: str) -> list[dict]:
    """Overall interval scores of the model and naive on the last `count` rows of `frame`."""
    overall = f.evaluate(frame, test=count, levels=LEVELS).interval_overall().reset_index()
    return [
        {"part": part, "method": r["method"], "level": r["level"], "coverage": r["coverage"],
         "width": r["width"], "pinball": r["pinball"], "MSIS": r["MSIS"]}
        for _, r in overall.iterrows()
    ]  # fmt: skip


def run_task(task: accuracy.Task, args: argparse.Namespace) -> list[dict]:
    lookback, train, val, test = choice.task_parts(task, args.data_dir)
    rows = []
    for seed in args.seeds:
        f = Forecaster(
            lookback=lookback, horizon=task.horizon, target=task.target, season=task.season,
            seed=seed, verbose=0, patience=5, epochs=args.epochs,
        )  # fmt: skip
        began = time.perf_counter()
        f.fit(train, val=val)
        seconds = time.perf_counter() - began
        for mode in ("conformal", "adaptive"):
            f.set_params(intervals=mode)
            found = interval_rows(f, val, task.val, "val") if mode == "conformal" else []
            found += interval_rows(f, test, task.test, "test")
            for row in found:
                rows.append(
                    {"task": f"{task.dataset} {task.name}", "mode": mode, "seed": seed,
                     "lookback": lookback, "epochs": f.fit_result_.epochs_run,
                     "train_s": seconds, **row}
                )  # fmt: skip
        cover = {
            (r["mode"], r["method"], r["level"]): r["coverage"]
            for r in rows
            if r["seed"] == seed and r["part"] == "test"
        }
        print(
            f"{task.dataset} {task.name} seed {seed}: test coverage "
            + ", ".join(f"{m}/{meth} {lv:g}%: {c:.1f}" for (m, meth, lv), c in cover.items())
            + f" ({f.fit_result_.epochs_run} epochs, {seconds:.0f} s)",
            flush=True,
        )
    return rows


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Test rows, mean over seeds: model coverage, width and MSIS beside naive's MSIS."""
    test = table[table["part"] == "test"]
    keys = ["task", "mode", "level"]
    model = test[test["method"] == "model"].groupby(keys, sort=False)
    naive = test[test["method"] == "naive"].groupby(keys, sort=False)["MSIS"].mean()
    out = model[["coverage", "width", "MSIS"]].mean()
    out["coverage_sd"] = model["coverage"].std()
    out["naive_coverage"] = (
        test[test["method"] == "naive"].groupby(keys, sort=False)["coverage"].mean()
    )
    out["naive_MSIS"] = naive
    out["MSIS_ratio"] = out["MSIS"] / out["naive_MSIS"]
    out["seeds"] = model.size() // 1
    val = table[(table["part"] == "val") & (table["method"] == "model")]
    out["val_coverage"] = val.groupby(keys, sort=False)["coverage"].mean()
    return out.reset_index()


def markdown(table: pd.DataFrame, args: argparse.Namespace, command: str, wall: float) -> str:
    s = summary(table)
    lines = [
        "# Prediction intervals on test data: coverage and MSIS beside naive",
        "",
        f"- Command: `{command}`",
        f"- Date: {datetime.datetime.now(datetime.UTC):%Y-%m-%dT%H:%M} UTC",
        "- Machine: 2 CPU cores, shared with other jobs (no GPU)",
        f"- Versions: forecast {__version__}; seeds {' '.join(map(str, args.seeds))}",
        f"- Wall time: {wall / 60:.1f} min",
        f"- Protocol: the accuracy benchmark's rows; the default single-LSTM Forecaster, the ridge "
        f"baseline's lookback, patience 5, at most {args.epochs} epochs (cut from 100 for time). "
        "Coverage in % of test actuals inside the interval (nominal: the level); width in "
        "original units; MSIS (M4 mean scaled interval score, scaled by the training part's "
        "seasonal-naive MAE; lower is better). `conformal`: the default, calibrated on the "
        "validation windows; `adaptive`: the same model, re-calibrated as test actuals arrive. "
        "Naive: its own conformal errors on the same validation windows (measured in the same "
        "run). `val cov.`: coverage on the validation windows themselves (in-sample for the "
        "calibration).",
        "",
        "| task | mode | level | test coverage | within 3 pts | width | MSIS | naive MSIS | "
        "MSIS ratio | naive cov. | val cov. |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for _, r in s.iterrows():
        sd = f" ± {r['coverage_sd']:.1f}" if r["seeds"] > 1 else ""
        ok = "yes" if abs(r["coverage"] - r["level"]) <= 3 else "no"
        val = "–" if pd.isna(r["val_coverage"]) else f"{r['val_coverage']:.1f}"
        lines.append(
            f"| {r['task']} | {r['mode']} | {r['level']:g} | {r['coverage']:.1f}{sd} | {ok} | "
            f"{r['width']:.4g} | {r['MSIS']:.3f} | {r['naive_MSIS']:.3f} | "
            f"{r['MSIS_ratio']:.3f} | {r['naive_coverage']:.1f} | {val} |"
        )
    default = s[s["mode"] == "conformal"]
    within = (abs(default["coverage"] - default["level"]) <= 3).sum()
    below = (default["MSIS_ratio"] < 1).sum()
    lines += [
        "",
        f"Default (conformal) intervals within 3 points of nominal: {within} of {len(default)} "
        f"(task, level) pairs; MSIS below naive's: {below} of {len(default)}.",
    ]
    return "\n".join(lines) + "\n"


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=accuracy.DATA_DIR, help="folder with the CSVs")
    parser.add_argument("--out", default=DEFAULT_OUT, help="results path without suffix")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--epochs", type=int, default=15, help="epoch cap per fit")
    parser.add_argument("--tasks", nargs="*", help="datasets to run (ETTh1, AirPassengers, ...)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    command = "python benchmarks/intervals.py " + " ".join(shlex.quote(a) for a in argv)
    began = time.perf_counter()
    rows = [row for task in chosen_tasks(args.tasks) for row in run_task(task, args)]
    table = pd.DataFrame(rows)
    out = accuracy._resolve(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out.with_suffix(".csv"), index=False)
    text = markdown(table, args, command.strip(), time.perf_counter() - began)
    out.with_suffix(".md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
