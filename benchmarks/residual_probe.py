"""Is there anything left for a recurrent path to learn? Probe the linear baseline's residuals.

For each task of `benchmarks/lstm_vs_linear.py`: the linear baseline (ridge on
last-value-normalized windows, lookback and alpha chosen by validation MAE, as accuracy.py) is
fitted on the training part; a gradient-boosted tree model (scikit-learn
`HistGradientBoostingRegressor`, absolute-error loss, its own early stopping on 10 % of the
training windows) then learns the ridge's residual at a few forecast steps from
(a) what the LSTM sees: the last-value-normalized window (its last 48 steps), or
(b) the same plus the window's level (its last value on the training part's standardized
scale, which the last-value normalization hides from both the ridge and the LSTM), or
(c) the same plus the calendar of the forecast target time (hour, day of week, month, day of
year): information from outside the window, as known-future covariates would bring.
Validation MAE of the ridge alone vs ridge + trees, per step: a flexible learner's bound on
what a nonlinear residual model can add from that input. Validation only.

Run from the repository root:

    python benchmarks/residual_probe.py

Writes benchmarks/results/residual_probe/residual_probe.md and .csv.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import pandas as pd
from accuracy import linear_baseline, target_windows
from common import ROOT, out_stem
from ett_published import header
from lstm_vs_linear import DATA_DIR, all_tasks, load_task
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import Ridge

RECENT = 48  # steps the LSTM reads
NAMES = ("shape", "shape+level", "shape+level+calendar")  # the trees' inputs


def calendar(when: pd.DatetimeIndex) -> np.ndarray:
    """Hour, day of week, month and day of year of the forecast target times `(n, 4)`."""
    return np.stack([when.hour, when.dayofweek, when.month, when.dayofyear], axis=1)


def probe(key: str, data_dir: str) -> list[dict]:
    """Ridge vs ridge + trees on its residual, validation MAE at steps 1, H/2 and H."""
    task = all_tasks()[key]
    frame = load_task(task, data_dir)
    values = frame[task.target].to_numpy(dtype=np.float64)
    index = pd.DatetimeIndex(frame.index)
    tr, va = task.train, task.train + task.val
    lookback, alpha, _, _ = linear_baseline(values, task)
    mean, std = values[:tr].mean(), values[:tr].std()
    ot, Xt, Yt = target_windows(values, 0, tr, lookback, task.horizon)
    ov, Xv, Yv = target_windows(values, tr, va, lookback, task.horizon)
    ridge = Ridge(alpha=alpha).fit(Xt - Xt[:, -1:], Yt - Xt[:, -1:])

    def parts(X, Y):
        resid = Y - (ridge.predict(X - X[:, -1:]) + X[:, -1:])
        shape = (X[:, -RECENT:] - X[:, -1:]) / std
        level = (X[:, -1:] - mean) / std
        return resid, shape, np.hstack([shape, level])

    rt, st, lt = parts(Xt, Yt)
    rv, sv, lv = parts(Xv, Yv)
    rows = []
    for step in sorted({1, max(task.horizon // 2, 1), task.horizon}):
        row = {"task": key, "lookback": lookback, "step": step, "windows": len(rv)}
        row["ridge_val_MAE"] = float(np.abs(rv[:, step - 1]).mean())
        inputs = {"shape": (st, sv), "shape+level": (lt, lv)}
        when_t, when_v = index[ot + step - 1], index[ov + step - 1]
        inputs["shape+level+calendar"] = (np.hstack([lt, calendar(when_t)]),
                                          np.hstack([lv, calendar(when_v)]))  # fmt: skip
        for name, (ft, fv) in inputs.items():
            trees = HistGradientBoostingRegressor(
                loss="absolute_error", max_iter=300, learning_rate=0.05, early_stopping=True,
                validation_fraction=0.1, random_state=0,
            ).fit(ft, rt[:, step - 1])  # fmt: skip
            left = rv[:, step - 1] - trees.predict(fv)
            row[f"{name}_val_MAE"] = float(np.abs(left).mean())
        rows.append(row)
        print(rows[-1], flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=DATA_DIR)
    parser.add_argument("--tasks", nargs="+", default=list(all_tasks()))
    args = parser.parse_args(argv)
    start = time.perf_counter()
    table = pd.DataFrame([r for key in args.tasks for r in probe(key, args.data_dir)])
    for name in NAMES:
        table[f"{name}_gain"] = 100 * (table[f"{name}_val_MAE"] / table.ridge_val_MAE - 1)
    out = ROOT / out_stem("residual_probe")
    table.to_csv(out.with_suffix(".csv"), index=False, float_format="%.6g")
    lines = [
        f"| {r.task} | {r.lookback} | {r.step} | {r.windows} | {r.ridge_val_MAE:.4g} | "
        f"{r['shape_val_MAE']:.4g} ({r['shape_gain']:+.2f} %) | "
        f"{r['shape+level_val_MAE']:.4g} ({r['shape+level_gain']:+.2f} %) | "
        f"{r['shape+level+calendar_val_MAE']:.4g} ({r['shape+level+calendar_gain']:+.2f} %) |"
        for _, r in table.iterrows()
    ]
    command = "python benchmarks/residual_probe.py " + " ".join(argv)
    text = "\n".join([
        *header("What a nonlinear model can add to the linear baseline (validation)",
                command.strip()),
        f"- Wall time: {(time.perf_counter() - start) / 60:.1f} min",
        "",
        __doc__.split("\n\n")[1].replace("\n", " "),
        "",
        "| task | lookback | step | windows | ridge MAE | + trees on the normalized window "
        "| + trees on window and level | + trees on window, level and calendar |",
        "|---|---|---|---|---|---|---|---|",
        *lines,
        "",
        "Mean change: " + ", ".join(f"{name} {table[f'{name}_gain'].mean():+.2f} %"
                                    for name in NAMES) + ".",
        "",
    ])  # fmt: skip
    out.with_suffix(".md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
