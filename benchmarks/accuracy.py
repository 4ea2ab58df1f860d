"""Accuracy benchmark: the LSTM forecasters against naive, seasonal-naive and linear baselines.

Every number is measured in this run, on the same test windows for every method:

- ETTh1, target `OT` alone (univariate): rows 0-8639 train, 8640-11519 validation,
  11520-14399 test; every test window at stride 1 whose targets lie in the test span;
  horizons 24, 48, 168, 336 and 720 hours. MSE and MAE on the standardized scale
  `(x - train mean) / train std` and MAE in degrees C. Plus one-step forecasts (horizon 1),
  univariate and with the other six ETTh1 columns as covariates.
- AirPassengers: the last 24 months test, the 24 before them validation, horizon 12.
- Melbourne daily minimum temperatures: the last 365 days test, the 365 before them
  validation, horizon 7 (two missing days interpolated).

Baselines: naive (repeat the last value), seasonal naive (the same hour one day earlier;
for the monthly and daily data, one year earlier), and "linear": a ridge regression on
last-value-normalized windows (the NLinear idea), its lookback and alpha chosen by MAE on the
validation slice. The LSTM models are `Forecaster` defaults, trained on the training slice
with early stopping on the validation slice (patience 5, to keep the run short); their
lookback is the linear baseline's validation-chosen lookback. Nothing is chosen on the test
slice. Models run over several seeds; the table shows mean and standard deviation.

Run from the repository root:

    python benchmarks/accuracy.py            # the full benchmark (about 30-45 min on 2 CPUs)
    python benchmarks/accuracy.py --quick    # a few minutes: fewer horizons, one seed

The table is printed and written to benchmarks/results/accuracy/accuracy.md and .csv
(--quick: parts/accuracy_quick.md and .csv, so a quick run never replaces the full results).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pandas as pd
from common import DATA_DIR, command_line, out_stem, resolve, utc_now, write_results

from forecast import Forecaster, __version__, load_series

DEFAULT_OUT = out_stem("accuracy")  # + .md and .csv
QUICK_OUT = out_stem("accuracy", "accuracy_quick", part=True)  # never over the full results
MODELS = ("single", "stacked", "attention")
ALPHAS = (0.1, 1.0, 10.0, 100.0, 1e3, 1e4, 1e5)
ETT_COVARIATES = ("HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL")


@dataclass
class Task:
    """One dataset and horizon: where the slices are and what the baselines use."""

    dataset: str
    file: str
    target: str
    train: int  # rows
    val: int
    test: int
    horizon: int
    season: int
    lookbacks: tuple[int, ...]  # candidates for the linear baseline (and so the models)
    covariates: tuple[str, ...] = ()
    label: str = ""
    load: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.label or f"h={self.horizon}"


ETT = dict(dataset="ETTh1", file="ETTh1.csv", target="OT", train=8640, val=2880, test=2880)
ETT_LOOKBACKS = (48, 96, 168, 336)


def tasks(quick: bool, horizons: Sequence[int]) -> list[Task]:
    out = [
        Task(**ETT, horizon=h, season=24, lookbacks=ETT_LOOKBACKS, load={"time_col": "date"})
        for h in horizons
    ]
    one_step = dict(ETT, horizon=1, season=24, lookbacks=(24, 48, 96), load={"time_col": "date"})
    out.append(Task(**one_step, label="h=1"))
    if not quick:
        out.append(Task(**one_step, covariates=ETT_COVARIATES, label="h=1 + covariates"))
    air = dict(dataset="AirPassengers", file="AirPassengers.csv", target="Passengers")
    out.append(Task(**air, train=96, val=24, test=24, horizon=12, season=12, lookbacks=(12, 24)))
    temps = dict(dataset="Melbourne min temp", file="daily-min-temperatures.csv", target="Temp")
    out.append(
        Task(
            **temps,
            train=3652 - 730,
            val=365,
            test=365,
            horizon=7,
            season=365,
            lookbacks=(14, 30, 60, 120),
            load={"fill": "interpolate"},
        )
    )
    return out


# ---------------------------------------------------------------------------- data and scores
def load(task: Task, data_dir: str) -> pd.DataFrame:
    frame = load_series(
        resolve(data_dir) / task.file, target=task.target, covariates=list(task.covariates),
        **task.load,
    )  # fmt: skip
    need = task.train + task.val + task.test
    if len(frame) < need:
        raise SystemExit(f"{task.file} needs {need} rows, got {len(frame)}")
    return frame.iloc[:need]


def target_windows(values: np.ndarray, start: int, stop: int, lookback: int, horizon: int):
    """Inputs `(n, lookback)` and targets `(n, horizon)` of every window whose targets lie in
    rows `[start, stop)` (inputs may reach back before `start`)."""
    origins = np.arange(max(start, lookback), stop - horizon + 1)
    X = values[origins[:, None] - lookback + np.arange(lookback)]
    Y = values[origins[:, None] + np.arange(horizon)]
    return origins, X, Y


def seasonal_naive(values: np.ndarray, origins: np.ndarray, horizon: int, season: int):
    steps = np.arange(horizon)
    return values[origins[:, None] + steps - season * (steps // season + 1)]


def linear_baseline(values: np.ndarray, task: Task) -> tuple[int, float, np.ndarray, float]:
    """Ridge on last-value-normalized windows; lookback and alpha chosen by validation MAE.

    Returns:
        The chosen lookback, alpha, the test forecasts and the validation MAE.
    """
    from sklearn.linear_model import Ridge

    tr, va, te = task.train, task.train + task.val, task.train + task.val + task.test
    best = None
    for lookback in task.lookbacks:
        if tr - lookback - task.horizon < 10:
            continue
        _, Xt, Yt = target_windows(values, 0, tr, lookback, task.horizon)
        _, Xv, Yv = target_windows(values, tr, va, lookback, task.horizon)
        for alpha in ALPHAS:
            ridge = Ridge(alpha=alpha).fit(Xt - Xt[:, -1:], Yt - Xt[:, -1:])
            mae = float(np.abs(ridge.predict(Xv - Xv[:, -1:]) + Xv[:, -1:] - Yv).mean())
            if best is None or mae < best[0]:
                best = (mae, lookback, alpha, ridge)
    mae, lookback, alpha, ridge = best
    _, Xs, _ = target_windows(values, va, te, lookback, task.horizon)
    return lookback, alpha, ridge.predict(Xs - Xs[:, -1:]) + Xs[:, -1:], mae


def scores(pred: np.ndarray, actual: np.ndarray, mean: float, std: float) -> dict[str, float]:
    err = np.asarray(pred, dtype=np.float64) - actual
    return {
        "MSE_std": float(np.mean((err / std) ** 2)),
        "MAE_std": float(np.mean(np.abs(err / std))),
        "MAE": float(np.mean(np.abs(err))),
    }


# ---------------------------------------------------------------------------- one task
def run_task(task: Task, args: argparse.Namespace) -> list[dict]:
    frame = load(task, args.data_dir)
    values = frame[task.target].to_numpy(dtype=np.float64)
    tr, va, te = task.train, task.train + task.val, task.train + task.val + task.test
    mean, std = float(values[:tr].mean()), float(values[:tr].std())
    origins, _, actual = target_windows(values, va, te, 1, task.horizon)
    common = {"dataset": task.dataset, "task": task.name, "horizon": task.horizon}
    rows = []

    def add(method: str, pred_or_scores: np.ndarray | dict, **extra) -> None:
        s = pred_or_scores if isinstance(pred_or_scores, dict) else scores(
            pred_or_scores, actual, mean, std
        )  # fmt: skip
        rows.append({**common, "method": method, "windows": len(origins), **s, **extra})

    add("naive", np.repeat(values[origins - 1][:, None], task.horizon, axis=1))
    add("seasonal naive", seasonal_naive(values, origins, task.horizon, task.season))
    lookback, alpha, linear, val_mae = linear_baseline(values, task)
    add("linear (ridge, NLinear)", linear, lookback=lookback, alpha=alpha, val_MAE=val_mae)
    print(
        f"[{task.dataset} {task.name}] naive {rows[0]['MAE']:.3f}  seasonal {rows[1]['MAE']:.3f}"
        f"  linear {rows[2]['MAE']:.3f} (lookback {lookback}, alpha {alpha:g})",
        flush=True,
    )
    train = frame.iloc[:tr]
    val = frame.iloc[tr - lookback : va]
    test = frame.iloc[va - lookback : te]
    for kind in args.models:
        per_seed, preds = [], []
        for seed in args.seeds:
            f = Forecaster(
                model=kind, lookback=lookback, horizon=task.horizon, target=task.target,
                covariates=list(task.covariates), season=task.season, seed=seed, verbose=0,
                patience=args.patience, **({"epochs": args.epochs} if args.epochs else {}),
            )  # fmt: skip
            start = time.perf_counter()
            f.fit(train, val=val)
            seconds = time.perf_counter() - start
            tidy = f.predict_windows(test, start=task.test)
            pred = tidy["forecast"].to_numpy().reshape(actual.shape)
            if not np.allclose(tidy["actual"].to_numpy().reshape(actual.shape), actual):
                raise RuntimeError("the model's test windows differ from the baselines'")
            val_tidy = f.predict_windows(val, start=task.val)
            val_err = np.abs(val_tidy["forecast"] - val_tidy["actual"]).mean()
            s = scores(pred, actual, mean, std)
            preds.append(pred)
            per_seed.append(
                {**s, "val_MAE": float(val_err), "epochs": f.fit_result_.epochs_run,
                 "train_s": seconds}
            )  # fmt: skip
            print(
                f"[{task.dataset} {task.name}] {kind:<9s} seed {seed}: MAE {s['MAE']:.3f} "
                f"(val {val_err:.3f}; {f.fit_result_.epochs_run} epochs, {seconds:.0f} s)",
                flush=True,
            )
        table = pd.DataFrame(per_seed)
        summary = {k: float(table[k].mean()) for k in table}
        summary.update({f"{k}_sd": float(table[k].std(ddof=1)) if len(table) > 1 else 0.0
                        for k in ("MSE_std", "MAE_std", "MAE")})  # fmt: skip
        label = f"LSTM {kind}" + (" + covariates" if task.covariates else "")
        add(label, summary, lookback=lookback, seeds=len(per_seed))
        if len(preds) > 1:  # evidence for (not a default of) an ensemble over seeds
            add(f"{label}, mean of {len(preds)} seeds' forecasts", np.mean(preds, axis=0))
    return rows


# ---------------------------------------------------------------------------- report
def _fmt(row: pd.Series, key: str, digits: int) -> str:
    sd = row.get(f"{key}_sd")
    text = f"{row[key]:.{digits}f}"
    return text + (f" ± {sd:.{digits}f}" if pd.notna(sd) and row.get("seeds", 1) > 1 else "")


def verdicts(table: pd.DataFrame) -> list[str]:
    lines = []
    for (dataset, task), group in table.groupby(["dataset", "task"], sort=False):
        by = group.set_index("method")["MAE"]
        naive, seasonal = by["naive"], by["seasonal naive"]
        linear = by["linear (ridge, NLinear)"]
        for method, mae in by.items():
            if not str(method).startswith("LSTM"):
                continue
            said = [
                f"{'beats' if mae < ref else 'does NOT beat'} {name} ({ref:.3f})"
                for name, ref in (("naive", naive), ("seasonal naive", seasonal),
                                  ("linear", linear))
            ]  # fmt: skip
            lines.append(
                f"- {dataset} {task}: {method} MAE {mae:.3f} ({100 * (mae / naive - 1):+.1f} % "
                f"vs naive) {', '.join(said[:2])} and {said[2]}."
            )
    return lines


def markdown(table: pd.DataFrame, args: argparse.Namespace, command: str, wall: float) -> str:
    import keras

    shown = []
    for _, row in table.iterrows():
        naive = table[
            (table.dataset == row.dataset) & (table.task == row.task) & (table.method == "naive")
        ]["MAE"].iloc[0]
        extra = ""
        if pd.notna(row.get("alpha")):
            extra = f"lookback {row.lookback:g}, alpha {row.alpha:g}"
        elif pd.notna(row.get("lookback")):
            extra = f"lookback {row.lookback:g}, {row.epochs:.0f} epochs, {row.train_s:.0f} s"
        shown.append(
            f"| {row.dataset} | {row.task} | {row.method} | {_fmt(row, 'MSE_std', 4)} | "
            f"{_fmt(row, 'MAE_std', 4)} | {_fmt(row, 'MAE', 3)} | "
            f"{100 * (row.MAE / naive - 1):+.1f} % | {extra} |"
        )
    quick = "QUICK RUN (subset; not the result) — " if args.quick else ""
    return "\n".join(
        [
            "# Accuracy: LSTM forecasters vs naive, seasonal-naive and linear baselines",
            "",
            f"- Mode: {quick}seeds {', '.join(map(str, args.seeds))}; mean ± std over seeds",
            f"- Command: `{command}`",
            f"- Date: {utc_now()}",
            "- Machine: 2 CPU cores, shared with other jobs (no GPU)",
            f"- Versions: forecast {__version__}, Keras {keras.__version__} "
            f"({keras.backend.backend()} backend)",
            f"- Wall time: {wall / 60:.1f} min",
            "",
            "## Protocol",
            "",
            "- ETTh1, target OT (univariate unless marked): rows 0-8639 train, 8640-11519 "
            "validation, 11520-14399 test; every window at stride 1 whose targets lie in the "
            "test span. MSE_std / MAE_std: errors on the scale (x - train mean) / train std; "
            "MAE in original units (°C for ETTh1 and the temperatures, thousands of passengers).",
            "- AirPassengers: last 24 months test, the 24 before validation, horizon 12, "
            "seasonal naive = same month a year earlier. Melbourne daily minimum temperatures "
            "(two missing days interpolated): last 365 days test, 365 before validation, "
            "horizon 7, seasonal naive = same day a year earlier.",
            "- naive: the last value; seasonal naive: ETTh1 the same hour a day earlier. "
            "linear: scikit-learn Ridge on last-value-normalized windows (NLinear), lookback "
            "and alpha chosen by validation MAE.",
            "- LSTM rows: `Forecaster(model=..., lookback=..., horizon=...)` with its defaults "
            "(see the Forecaster and builder docstrings), trained on the training slice, "
            f"early stopping on the validation slice with patience {args.patience} (the one "
            "setting changed from the Forecaster's defaults, to keep the run short); "
            "lookback = the linear baseline's validation-chosen lookback. Nothing is chosen "
            "on the test slice.",
            "- `vs naive`: MAE relative to the naive MAE on the same windows.",
            "",
            "| dataset | task | method | MSE_std | MAE_std | MAE | vs naive | notes |",
            "|---|---|---|---|---|---|---|---|",
            *shown,
            "",
            "## Reading the table",
            "",
            *verdicts(table),
            "",
        ]
    )


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=DATA_DIR, help="folder with the CSV files")
    parser.add_argument(
        "--out",
        default=None,
        help=f"results path without suffix (default: {DEFAULT_OUT}, with --quick {QUICK_OUT})",
    )
    parser.add_argument("--horizons", type=int, nargs="+", default=[24, 48, 168, 336, 720])
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=None, help="override the epoch limit")
    parser.add_argument(
        "--patience", type=int, default=5, help="early-stopping patience (default: %(default)s)"
    )
    parser.add_argument("--datasets", nargs="+", default=None, help="only these datasets")
    parser.add_argument(
        "--quick", action="store_true", help="horizons 24 and 168, seed 0: a few minutes"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.horizons, args.seeds = [24, 168], [0]
    if args.out is None:
        args.out = QUICK_OUT if args.quick else DEFAULT_OUT
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    command = command_line("accuracy.py", argv)
    start = time.perf_counter()
    rows = []
    for task in tasks(args.quick, args.horizons):
        if args.datasets and task.dataset not in args.datasets:
            continue
        rows += run_task(task, args)
    table = pd.DataFrame(rows)
    wall = time.perf_counter() - start
    out = resolve(".") / args.out if not Path(args.out).is_absolute() else Path(args.out)
    text = markdown(table, args, command.strip(), wall)
    write_results(out, table, text, float_format="%.6g")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
