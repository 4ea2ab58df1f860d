"""Prediction intervals on held-out test data: coverage and MSIS, beside naive's intervals.

For each task the default single-LSTM Forecaster is trained once per seed on the accuracy
benchmark's protocol (its train / validation / test rows, the ridge baseline's validation-chosen
lookback, patience 5, an epoch cap to fit the time budget). Its intervals are scored with the
default `intervals="auto"` (the mode chosen on the validation windows, named per seed), then
the same fitted model with `intervals="conformal"` (calibrated on the validation windows) and
`intervals="adaptive"` (online re-calibration on the test actuals known at each origin). With
`--quantile`, a second model per seed has quantile heads (`loss="quantile"`, the default
quantiles 0.025, 0.1, 0.5, 0.9, 0.975), scored with `quantile auto` (its default), `quantile
CQR` (the heads' bounds conformalized on the validation windows), adaptively (`quantile CQR
adaptive`) and with its raw quantiles (`quantile raw`). The naive method's intervals come from
its own conformal errors on the same validation windows (the reference, measured in the same
run): `MSIS ratio` = model MSIS / naive MSIS (below 1: better).

Tasks: ETTh1 OT at 24 and 168 steps, AirPassengers (12 steps), the Melbourne temperatures
(7 steps), AEP hourly load (`--tasks AEP`: the last 18 months, 24 steps), M4 Weekly (`--tasks
M4`: 359 series, one global model, lookback 52, the official 13-value test part, the 13 values
before it for validation; errors scaled per series) and the panels `tourism-monthly`,
`tourism-quarterly` (the official 24 / 8-value test parts) and `pedestrian` (55 sensors, the
last week; `PANELS`). Run from the repository root:

    python benchmarks/intervals.py                    # seeds 0 1, ~15 min on 2 shared cores
    python benchmarks/intervals.py --seeds 0 --epochs 5 --tasks AirPassengers   # a quick look
    python benchmarks/intervals.py --quantile --tasks AirPassengers Melbourne \
        --out benchmarks/results/intervals/auto_quantile   # quantile heads beside each mode
    python benchmarks/intervals.py --seeds 0 1 2 --epochs 10 --tasks ETTh1 AirPassengers \
        Melbourne AEP --out benchmarks/results/intervals/auto_single   # auto beside each mode
    python benchmarks/intervals.py --seeds 0 --tasks tourism-quarterly tourism-monthly \
        --panel-seeds 0 1 2 --panel-epochs 100 --out benchmarks/results/intervals/auto_tourism

`benchmarks/results/intervals/auto_summary.md` gathers the runs behind the default; earlier runs
are under its `parts/`.
Writes benchmarks/results/intervals/intervals.md and .csv (or `--out`).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import accuracy  # the same protocol and data loading
import choice  # the same parts and lookback choice
from common import DATA_DIR, command_line, out_stem, resolve, utc_now, write_results

from forecast import Forecaster, __version__
from forecast.settings import DEFAULTS

LEVELS = (80, 95)
DEFAULT_OUT = out_stem("intervals")
# loss -> the interval modes scored on one fitted model, and each one's label
MODES = {
    "mae": {"auto": "auto (default)", "conformal": "conformal", "adaptive": "adaptive"},
    "quantile": {
        "auto": "quantile auto",
        "conformal": "quantile CQR",
        "adaptive": "quantile CQR adaptive",
        "raw": "quantile raw",
    },
}


def chosen_tasks(names: list[str] | None) -> list[accuracy.Task]:
    """ETTh1 h=24 and h=168, AirPassengers, Melbourne (or those whose dataset is named)."""
    found = [
        t
        for t in accuracy.tasks(quick=True, horizons=(24, 168))
        if t.name != "h=1" and not t.covariates
    ]
    return [t for t in found if not names or t.dataset in names or t.dataset.split()[0] in names]


def interval_rows(f: Forecaster, frame: Any, count: int | None, part: str) -> list[dict]:
    """Overall interval scores of the model and naive on the last `count` rows of `frame`
    (None: every window)."""
    overall = f.evaluate(frame, test=count, levels=LEVELS).interval_overall().reset_index()
    return [
        {"part": part, "method": r["method"], "level": r["level"], "coverage": r["coverage"],
         "width": r["width"], "pinball": r["pinball"], "MSIS": r["MSIS"]}
        for _, r in overall.iterrows()
    ]  # fmt: skip


def fitted_rows(
    task: str, make: Callable[..., Forecaster], fit: Callable[[Forecaster], None],
    val: tuple, test: tuple, args: argparse.Namespace,
) -> list[dict]:  # fmt: skip
    """Per seed and loss (mae; quantile with `--quantile`): `make(seed=, loss=)` a
    Forecaster, `fit` it, score each of its interval modes on the `test` part (`(frame,
    count)`) and the conformal ones on `val` too."""
    rows = []
    for seed in args.seeds:
        for loss in ("mae", "quantile") if args.quantile else ("mae",):
            f = make(seed=seed, loss=loss)
            began = time.perf_counter()
            fit(f)
            seconds = time.perf_counter() - began
            chosen = (f.calibration_.choice or {}).get("used", "")
            reason = (f.calibration_.choice or {}).get("reason", "")
            lag = f.calibration_.scale_lag if f.calibration_.scales else 0  # 0: one series
            print(f"{task} seed {seed} {loss}: auto chose {chosen}: {reason}", flush=True)
            print(f"{task} seed {seed} {loss}: {f.calibration_.scaling}", flush=True)
            for mode, label in MODES[loss].items():
                f.set_params(intervals=mode)
                found = interval_rows(f, *val, "val") if mode in ("auto", "conformal") else []
                found += interval_rows(f, *test, "test")
                for row in found:
                    rows.append(
                        {"task": task, "mode": label, "seed": seed, "lookback": f.lookback_,
                         "epochs": f.fit_result_.epochs_run, "train_s": seconds,
                         "scale_lag": lag,
                         "chosen": chosen if mode == "auto" else "",
                         "reason": reason if mode == "auto" else "", **row}
                    )  # fmt: skip
            f.set_params(intervals="auto")
        if getattr(args, "progress", None):
            args.progress(rows)  # the results so far, written after each seed
        cover = {
            (r["mode"], r["level"]): r["coverage"]
            for r in rows
            if r["seed"] == seed and r["part"] == "test" and r["method"] == "model"
        }
        print(
            f"{task} seed {seed}: test coverage "
            + ", ".join(f"{m} {lv:g}%: {c:.1f}" for (m, lv), c in cover.items()),
            flush=True,
        )
    return rows


def run_task(task: accuracy.Task, args: argparse.Namespace) -> list[dict]:
    lookback, train, val, test = choice.task_parts(task, args.data_dir)

    def make(seed: int, loss: str) -> Forecaster:
        return Forecaster(
            lookback=lookback, horizon=task.horizon, target=task.target, season=task.season,
            seed=seed, verbose=0, patience=5, epochs=args.epochs, loss=loss,
        )  # fmt: skip

    return fitted_rows(
        f"{task.dataset} {task.name}", make, lambda f: f.fit(train, val=val),
        (val, task.val), (test, task.test), args,
    )  # fmt: skip


# panel -> file, id, time and target columns, horizon, lookback, validation and test values
# per series (validation: the values before the test part), training values kept per series
PANELS = {
    "tourism-monthly": ("tourism_monthly.csv", "series_id", "month", "visitors", 24, 24, 24,
                        24, 120),
    "tourism-quarterly": ("tourism_quarterly.csv", "series_id", "quarter", "visitors", 8, 8,
                          8, 8, 60),
    "pedestrian": ("pedestrian_melbourne.csv.gz", "sensor", "timestamp", "count", 24, 168,
                   168, 168, 24 * 28),
}  # fmt: skip


def panel_task(name: str, args: argparse.Namespace) -> list[dict]:
    """One global model over a panel (`PANELS`), errors scaled per series, the panel's last
    values the test part and those before them validation (`--panel-seeds`,
    `--panel-epochs`; gaps inside a series filled by interpolation, missing values at its
    start and end dropped)."""
    from forecast import load_series
    from forecast.splits import SplitSpec, split_series

    file, id_col, time_col, target, horizon, lookback, val_size, test_size, keep = PANELS[name]
    path = resolve(args.data_dir) / file
    raw = pd.read_csv(path)
    seen = raw[target].notna().groupby(raw[id_col])
    inside = seen.cummax() & seen.transform(lambda v: v[::-1].cummax()[::-1])
    series = load_series(raw[inside], id_col=id_col, time_col=time_col, target=target,
                         fill="interpolate")  # fmt: skip
    spec = SplitSpec(test_size=test_size, val_size=val_size)
    parts = split_series(series, spec, context=lookback)
    train = {k: f.iloc[-keep:] for k, f in parts.train.items()}
    fit_parts = type(parts)(train, parts.val, parts.test, parts.val_start, parts.test_start,
                            parts.spans, parts.evaluate_test)  # fmt: skip

    def make(seed: int, loss: str) -> Forecaster:
        return Forecaster(lookback=lookback, horizon=horizon, seed=seed, verbose=0,
                          epochs=args.panel_epochs, loss=loss)  # fmt: skip

    panel_args = argparse.Namespace(**{**vars(args), "seeds": args.panel_seeds})
    return fitted_rows(
        f"{name} h={horizon} ({len(series)} series)", make, lambda f: f.fit(fit_parts),
        (parts.val, None), (parts.test, None), panel_args,
    )  # fmt: skip


def aep_task(args: argparse.Namespace) -> list[dict]:
    """AEP hourly load, horizon 24: the last 18 months (13 128 rows), split 0.6 / 0.2 / 0.2,
    lookback 168, the single-series settings otherwise."""
    from forecast import load_series

    path = resolve(args.data_dir) / "AEP_hourly.csv"
    frame = load_series(path, time_col="Datetime", target="AEP_MW", sort=True,
                        duplicates="mean", fill="interpolate").iloc[-13128:]  # fmt: skip
    tr, va, lookback = int(0.6 * len(frame)), int(0.8 * len(frame)), 168
    train, val, test = frame.iloc[:tr], frame.iloc[tr - lookback : va], frame.iloc[va - lookback :]

    def make(seed: int, loss: str) -> Forecaster:
        return Forecaster(lookback=lookback, horizon=24, target="AEP_MW", season=24, seed=seed,
                          verbose=0, patience=5, epochs=args.epochs, loss=loss)  # fmt: skip

    return fitted_rows(
        "AEP h=24", make, lambda f: f.fit(train, val=val), (val, va - tr),
        (test, len(frame) - va), args,
    )  # fmt: skip


def m4_task(args: argparse.Namespace) -> list[dict]:
    """M4 Weekly: one global model over the 359 series (lookback 52, horizon 13), trained on
    the last `--m4-train-rows` values of each training part, validated (early stopping and
    calibration, per-series scaled) on the 13 values before the official test part."""
    import m4_weekly

    from forecast.splits import SplitSpec, split_series

    series, _ = m4_weekly.load()
    parts = split_series(series, SplitSpec(test_size=13, val_size=13), context=52)
    train = {k: f.iloc[-args.m4_train_rows :] for k, f in parts.train.items()}
    fit_parts = type(parts)(train, parts.val, parts.test, parts.val_start, parts.test_start,
                            parts.spans, parts.evaluate_test)  # fmt: skip

    def make(seed: int, loss: str) -> Forecaster:
        return Forecaster(lookback=52, horizon=13, seed=seed, verbose=0,
                          epochs=args.m4_epochs, loss=loss)  # fmt: skip

    m4_args = argparse.Namespace(**{**vars(args), "seeds": args.m4_seeds})
    return fitted_rows(
        "M4 Weekly h=13", make, lambda f: f.fit(fit_parts), (parts.val, None),
        (parts.test, None), m4_args,
    )  # fmt: skip


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
    out["chosen"] = model["chosen"].agg(
        lambda c: " / ".join(f"{n} x{k}" for n, k in c[c != ""].value_counts().items())
    )
    lags = model["scale_lag"] if "scale_lag" in test else None
    out["scale"] = (
        lags.agg(lambda c: " / ".join(f"lag {n} x{k}" for n, k in c[c > 0].value_counts().items()))
        if lags is not None
        else ""
    )
    val = table[(table["part"] == "val") & (table["method"] == "model")]
    out["val_coverage"] = val.groupby(keys, sort=False)["coverage"].mean()
    return out.reset_index()


def markdown(table: pd.DataFrame, args: argparse.Namespace, command: str, wall: float) -> str:
    s = summary(table)
    lines = [
        "# Prediction intervals on test data: coverage and MSIS beside naive",
        "",
        f"- Command: `{command}`",
        f"- Date: {utc_now()}",
        "- Machine: 2 CPU cores, shared with other jobs (no GPU)",
        f"- Versions: forecast {__version__}; seeds {' '.join(map(str, args.seeds))}",
        f"- Wall time: {wall / 60:.1f} min",
        "- Protocol: "
        + (
            f"single series: the accuracy benchmark's rows; the default single-LSTM Forecaster, "
            f"the ridge baseline's lookback, patience 5, at most {args.epochs} epochs"
            + (
                f" (cut from {DEFAULTS.epochs} for time). "
                if args.epochs < DEFAULTS.epochs
                else ". "
            )
            if chosen_tasks(args.tasks) or "AEP" in (args.tasks or ())
            else ""
        )
        + "Coverage in % of test actuals inside the interval (nominal: the level); width in "
        "original units; MSIS (M4 mean scaled interval score, scaled by the training part's "
        "seasonal-naive MAE; lower is better). `auto (default)`: the mode chosen per run on the "
        "validation windows (forecast.interval_choice: early windows fit, late windows check; "
        "`auto chose` names it per seed); `conformal`: calibrated on the validation windows; "
        "`adaptive`: the same model, re-calibrated as test actuals arrive. "
        "Naive: its own conformal errors on the same validation windows (measured in the same "
        "run). `val cov.`: coverage on the validation windows themselves (in-sample for the "
        "calibration). `scale`: many series' per-series scale lag, chosen on validation "
        "(forecast.interval_choice.choose_scale: lag 1 the one-step change, the season the "
        "seasonal-naive MAE; per seed).",
        *(
            [
                '- Quantile heads: a second model per seed with `loss="quantile"` (quantiles '
                "0.025, 0.1, 0.5, 0.9, 0.975; same settings otherwise). `quantile CQR`: its "
                "default intervals, the heads' bounds conformalized on the validation windows "
                "(Romano et al. 2019); `quantile CQR adaptive`: the same CQR scores re-calibrated "
                "online as test actuals arrive; `quantile raw`: the heads' own bounds."
            ]
            if args.quantile
            else []
        ),
        *(
            [
                f"- M4 Weekly: 359 series, one global model each (lookback 52, patience "
                f"{DEFAULTS.patience}), seeds "
                f"{' '.join(map(str, args.m4_seeds))}, at most {args.m4_epochs} epochs on the "
                f"last {args.m4_train_rows} training values of each series (cut for time), "
                "validated on the 13 values before the official 13-value test part; validation "
                "errors divided by each series' scale before pooling (per-series scaled "
                "conformal)."
            ]
            if args.tasks and "M4" in args.tasks
            else []
        ),
        *(
            [
                f"- Panels ({', '.join(n for n in PANELS if n in args.tasks)}): one global model "
                f"per panel and seed (seeds {' '.join(map(str, args.panel_seeds))}), the "
                f"Forecaster's default patience ({DEFAULTS.patience}), at most "
                f"{args.panel_epochs} epochs (default {DEFAULTS.epochs}) on the last "
                + ", ".join(f"{PANELS[n][-1]} ({n})" for n in PANELS if n in args.tasks)
                + " training values of each series; validation: as many values as the test "
                "part, just before it (tourism: the official 24 / 8-value test parts, one "
                "validation window per series, so the held-out check splits the series; "
                "pedestrian: the last week, the week before it validation)."
            ]
            if args.tasks and any(n in args.tasks for n in PANELS)
            else []
        ),
        "",
        "| task | mode | level | test coverage | within 3 pts | width | MSIS | naive MSIS | "
        "MSIS ratio | naive cov. | val cov. | auto chose (seeds) | scale (seeds) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for _, r in s.iterrows():
        sd = f" ± {r['coverage_sd']:.1f}" if r["seeds"] > 1 else ""
        ok = "yes" if abs(r["coverage"] - r["level"]) <= 3 else "no"
        val = "–" if pd.isna(r["val_coverage"]) else f"{r['val_coverage']:.1f}"
        lines.append(
            f"| {r['task']} | {r['mode']} | {r['level']:g} | {r['coverage']:.1f}{sd} | {ok} | "
            f"{r['width']:.4g} | {r['MSIS']:.3f} | {r['naive_MSIS']:.3f} | "
            f"{r['MSIS_ratio']:.3f} | {r['naive_coverage']:.1f} | {val} | {r['chosen'] or '–'} | "
            f"{r['scale'] or '–'} |"
        )
    lines.append("")
    for mode in s["mode"].unique():
        rows = s[s["mode"] == mode]
        within = (abs(rows["coverage"] - rows["level"]) <= 3).sum()
        below = (rows["MSIS_ratio"] < 1).sum()
        lines.append(
            f"- {mode}: within 3 points of nominal on {within} of {len(rows)} (task, level) "
            f"pairs; MSIS below naive's on {below} of {len(rows)}."
        )
    return "\n".join(lines) + "\n"


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=DATA_DIR, help="folder with the CSVs")
    parser.add_argument("--out", default=DEFAULT_OUT, help="results path without suffix")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--epochs", type=int, default=15, help="epoch cap per fit")
    parser.add_argument(
        "--tasks", nargs="*", help="datasets to run (ETTh1, AirPassengers, M4, ...)"
    )
    parser.add_argument("--quantile", action="store_true", help="also fit quantile-head models")
    parser.add_argument("--m4-seeds", type=int, nargs="+", default=[0], help="seeds for M4")
    parser.add_argument("--m4-epochs", type=int, default=2, help="epoch cap for M4")
    parser.add_argument("--m4-train-rows", type=int, default=156, help="M4 training values")
    parser.add_argument("--panel-seeds", type=int, nargs="+", default=[0], help="panel seeds")
    parser.add_argument("--panel-epochs", type=int, default=3, help="epoch cap for panels")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    command = command_line("intervals.py", argv)
    began = time.perf_counter()
    runs = [lambda t=t: run_task(t, args) for t in chosen_tasks(args.tasks)]
    if args.tasks and "AEP" in args.tasks:
        runs.append(lambda: aep_task(args))
    if args.tasks and "M4" in args.tasks:
        runs.append(lambda: m4_task(args))
    runs += [lambda n=name: panel_task(n, args) for name in PANELS
             if args.tasks and name in args.tasks]  # fmt: skip
    rows: list[dict] = []

    def write(found: list[dict], done: str = "") -> str:
        """Write the results `found` so far (`done`: a note when partial); its markdown."""
        table = pd.DataFrame(found)
        text = markdown(table, args, command.strip() + done, time.perf_counter() - began)
        write_results(resolve(args.out), table, text)
        return text

    for i, run in enumerate(runs):  # the results so far written after each seed and task
        note = f" (partial: task {i + 1} of {len(runs)})"
        args.progress = lambda new, before=list(rows), note=note: write(before + new, note)
        rows += run()
    print(write(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
