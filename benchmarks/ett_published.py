"""ETTh1 on the protocol the literature publishes, our LSTMs beside the published best.

ETTh1, target `OT` alone (univariate, "S"): rows 0-8639 train, 8640-11519 validation,
11520-14399 test; the scaler is fitted on the training rows; **every** test window whose
targets lie in the test span is scored (2881 - H of them: the published runs dropped up to
113 of the last ones with `drop_last=True`); horizons 96, 192, 336 and 720; MSE and MAE on the
standardized scale `(x - train mean) / train std` (population std). Naive (repeat the last
value) and the model's own linear path (its frozen ridge map, `Forecaster`'s "linear"
baseline) are computed in the same run on the same windows; the published rows are copied
from the papers' tables.

The models are `Forecaster` defaults (model single, stacked or attention), except the lookback,
chosen on the validation rows by `Forecaster.choose_lookback` (the linear baseline's
validation MAE) from candidates up to 720, and the early-stopping patience (`--patience`,
default 5, to keep the run short on a CPU). Nothing is chosen on the test rows.

Run from the repository root:

    python benchmarks/ett_published.py --models single --seeds 0     # about 1-2 min a horizon
    python benchmarks/ett_published.py                              # 3 models x 3 seeds

Each finished run is appended to benchmarks/results/ett_published/ett_published.csv at once
(so a cut run keeps what it measured); the table is printed and written to ett_published.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pandas as pd
from accuracy import scores
from common import DATA_DIR, ROOT, command_line, out_stem, resolve, utc_now

from forecast import Forecaster, __version__, load_series

TRAIN, VAL, TEST = 8640, 2880, 2880
HORIZONS = (96, 192, 336, 720)
CANDIDATES = (24, 48, 96, 168, 336, 512, 720)  # lookbacks tried on validation
MODELS = ("single", "stacked", "attention")
DEFAULT_OUT = out_stem("ett_published")
LINEAR_PATH = "linear path alone (the models' frozen ridge map)"
PUBLISHED = {  # (MSE, MAE) per horizon, standardized scale, ETTh1 univariate
    "NLinear (L=336), LTSF-Linear Table 1": ((0.053, 0.177), (0.069, 0.204), (0.081, 0.226),
                                            (0.080, 0.226)),
    "PatchTST/64 (L=512), PatchTST Table 8": ((0.059, 0.189), (0.074, 0.215), (0.076, 0.220),
                                              (0.087, 0.236)),
}  # fmt: skip


def load(data_dir: str) -> pd.DataFrame:
    """ETTh1 `OT`, the first 14 400 rows (train + validation + test)."""
    frame = load_series(resolve(data_dir) / "ETTh1.csv", time_col="date", target="OT")
    return frame.iloc[: TRAIN + VAL + TEST]


def choose(frame: pd.DataFrame, horizon: int) -> tuple[int, str]:
    """The lookback with the lowest validation MAE of the linear baseline (rows 0-11519)."""
    choice = Forecaster(horizon=horizon, target="OT", season=24, verbose=0).choose_lookback(
        frame.iloc[: TRAIN + VAL], val=VAL, candidates=CANDIDATES
    )
    return choice.lookback, choice.summary()


def run_model(frame, kind, horizon, lookback, seed, args, actual, mean, std) -> list[dict]:
    """Train one model; its rows (the LSTM, and for the first seed its linear path)."""
    f = Forecaster(
        model=kind, lookback=lookback, horizon=horizon, target="OT", season=24, seed=seed,
        verbose=0, patience=args.patience, **({"epochs": args.epochs} if args.epochs else {}),
    )  # fmt: skip
    start = time.perf_counter()
    f.fit(frame.iloc[: TRAIN + VAL], val=VAL)
    seconds = time.perf_counter() - start
    tidy = f.predict_windows(frame.iloc[TRAIN + VAL - lookback :], start=TEST, baselines=True)
    shape = actual.shape
    if not np.allclose(tidy["actual"].to_numpy().reshape(shape), actual):
        raise RuntimeError("the model's test windows differ from the naive baseline's")
    common = {"horizon": horizon, "lookback": lookback, "seed": seed, "windows": shape[0]}
    rows = [
        {**common, "method": f"LSTM {kind}", "epochs": f.fit_result_.epochs_run,
         "best_epoch": f.fit_result_.best_epoch, "train_s": round(seconds, 1),
         **scores(tidy["forecast"].to_numpy().reshape(shape), actual, mean, std)},
        {**common, "method": f"linear path of LSTM {kind}",
         **scores(tidy["linear"].to_numpy().reshape(shape), actual, mean, std)},
    ]  # fmt: skip
    print(
        f"[h={horizon}] {kind:<9s} seed {seed}: MSE {rows[0]['MSE_std']:.4f} MAE "
        f"{rows[0]['MAE_std']:.4f} (its linear path {rows[1]['MSE_std']:.4f} / "
        f"{rows[1]['MAE_std']:.4f}; {rows[0]['epochs']} epochs, {seconds:.0f} s)",
        flush=True,
    )
    return rows


def run_horizon(frame: pd.DataFrame, horizon: int, args, log: Path) -> list[dict]:
    values = frame["OT"].to_numpy(dtype=np.float64)
    mean, std = float(values[:TRAIN].mean()), float(values[:TRAIN].std())
    origins = np.arange(TRAIN + VAL, len(values) - horizon + 1)
    actual = values[origins[:, None] + np.arange(horizon)]
    lookback, why = choose(frame, horizon)
    print(f"[h={horizon}] {len(origins)} test windows; chose {why}", flush=True)
    naive = np.repeat(values[origins - 1][:, None], horizon, axis=1)
    rows = [{"horizon": horizon, "method": "naive (repeat last)", "windows": len(origins),
             **scores(naive, actual, mean, std)}]  # fmt: skip
    _append(log, rows)
    for kind in args.models:
        for seed in args.seeds:
            found = run_model(frame, kind, horizon, lookback, seed, args, actual, mean, std)
            _append(log, found)
            rows += found
    return rows


COLUMNS = ("horizon", "method", "seed", "lookback", "windows", "MSE_std", "MAE_std", "MAE")
COLUMNS += ("epochs", "best_epoch", "train_s")


def _append(path: Path, rows: list[dict]) -> None:
    frame = pd.DataFrame(rows).reindex(columns=list(COLUMNS))
    frame.to_csv(path, mode="a", header=not path.exists(), index=False)


# ---------------------------------------------------------------------------- report
def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Mean and std over seeds per horizon and method, the published rows added."""
    keys = ["horizon", "method"]
    linear = table.method.str.startswith("linear path of")  # one ridge map for every model
    table = table.assign(
        method=table.method.where(~linear, LINEAR_PATH), seed=table.seed.where(~linear)
    )
    table = table.drop_duplicates(subset=[*keys, "seed"], keep="last")  # re-runs replace
    grouped = table.groupby(keys, sort=False)
    out = grouped[["MSE_std", "MAE_std"]].mean()
    out[["MSE_sd", "MAE_sd"]] = grouped[["MSE_std", "MAE_std"]].std(ddof=1).to_numpy()
    out["seeds"] = grouped.size()
    extra = grouped[[c for c in ("lookback", "windows", "epochs", "train_s") if c in table]]
    out = out.join(extra.mean()).reset_index()
    published = [
        {"horizon": h, "method": name + " (published)", "MSE_std": mse, "MAE_std": mae}
        for name, rows in PUBLISHED.items()
        for h, (mse, mae) in zip(HORIZONS, rows, strict=True)
        if h in set(table.horizon)
    ]
    out = pd.concat([out, pd.DataFrame(published)], ignore_index=True)
    order = out.method.map(  # naive, the linear path, the LSTMs, the published rows
        lambda m: 0 if m.startswith("naive") else 1 if m == LINEAR_PATH else 2 + m.endswith(")")
    )
    out = out.assign(order=order).sort_values(["horizon", "order"], kind="stable")
    return out.drop(columns="order").reset_index(drop=True)


def _cell(row: pd.Series, key: str, sd: str) -> str:
    text = f"{row[key]:.4f}" if not str(row.method).endswith("(published)") else f"{row[key]:.3f}"
    return text + (f" ± {row[sd]:.4f}" if row.get("seeds", 1) > 1 else "")


def header(title: str, command: str) -> list[str]:
    """A results file's title and where it was measured: command, date, machine, versions."""
    import keras

    return [
        f"# {title}",
        "",
        f"- Command: `{command}`",
        f"- Date: {utc_now()}",
        "- Machine: 2 CPU cores, shared with other jobs (no GPU)",
        f"- Versions: forecast {__version__}, Keras {keras.__version__} "
        f"({keras.backend.backend()} backend)",
    ]


def markdown(table: pd.DataFrame, args, command: str, wall: float) -> str:
    out = summary(table)
    runs = out[out.method.str.startswith("LSTM")]
    models = [m.removeprefix("LSTM ") for m in dict.fromkeys(runs.method)]
    seeds = sorted({int(s) for s in table.seed.dropna()})
    horizons = sorted(set(table.horizon))
    lines = []
    for _, row in out.iterrows():
        notes = []
        if pd.notna(row.get("lookback")):
            notes.append(f"lookback {row.lookback:.0f}")
        if pd.notna(row.get("epochs")):
            notes.append(f"{row.epochs:.1f} epochs, {row.train_s:.0f} s a run")
        if pd.notna(row.get("seeds")) and row.seeds > 1:
            notes.append(f"{row.seeds:.0f} seeds")
        windows = f"{row.windows:.0f}" if pd.notna(row.get("windows")) else "(≤ 2881 - H)"
        lines.append(
            f"| {row.horizon} | {row.method} | {_cell(row, 'MSE_std', 'MSE_sd')} | "
            f"{_cell(row, 'MAE_std', 'MAE_sd')} | {windows} | {', '.join(notes)} |"
        )
    return "\n".join([
        *header("ETTh1 univariate, the published protocol: our LSTMs beside the published best",
                command),
        f"- Models {', '.join(models)}; seeds {', '.join(map(str, seeds))}; horizons "
        f"{', '.join(map(str, horizons))}; patience {args.patience} (from the results file)",
        *([f"- Runs: {args.runs}"] if args.runs else []),
        f"- Training time summed over the runs: {table.train_s.sum() / 60:.1f} min (this "
        f"invocation: {wall / 60:.1f} min)",
        "",
        "Protocol: rows 0-8639 train, 8640-11519 validation, 11520-14399 test; scaler fitted "
        "on train; every test window (2881 - H); MSE / MAE on (x - train mean) / train std. "
        f"Lookback chosen on validation from {', '.join(map(str, CANDIDATES))} by the linear "
        "baseline's MAE. `linear path alone`: the frozen ridge map every model starts from "
        "(the same for every model and seed at a horizon), scored alone: what the recurrent "
        "part adds is the difference. Mean ± std over seeds.",
        "",
        "| H | method | MSE | MAE | windows | notes |",
        "|---|---|---|---|---|---|",
        *lines,
        "",
        "## Reading the table",
        "",
        *verdicts(out),
        "",
        "## Cut for time (2 CPU cores shared with other jobs)",
        "",
        *(cut(table) or ["- nothing: every model, horizon and seed 0, 1, 2 ran."]),
        "",
    ])  # fmt: skip


def cut(table: pd.DataFrame) -> list[str]:
    """The runs of the full plan (every model and horizon, seeds 0, 1, 2) not in `table`."""
    lines = []
    for kind in MODELS:
        for horizon in HORIZONS:
            ran = table[(table.method == f"LSTM {kind}") & (table.horizon == horizon)]
            missing = sorted({0, 1, 2} - {int(s) for s in ran.seed})
            if missing:
                seeds = ", ".join(map(str, missing))
                lines.append(f"- LSTM {kind}, H={horizon}: seed(s) {seeds} not run.")
    return lines


def verdicts(out: pd.DataFrame) -> list[str]:
    """Per horizon and model: below naive? below the best published MSE? what the recurrent
    part adds over the linear path alone."""
    lines = []
    for horizon, group in out.groupby("horizon", sort=False):
        mse = group.set_index("method")["MSE_std"]
        best = min(v for k, v in mse.items() if str(k).endswith("(published)"))
        for method in (m for m in mse.index if str(m).startswith("LSTM")):
            lines.append(
                f"- H={horizon}: {method} MSE {mse[method]:.4f}: "
                f"{'below' if mse[method] < mse['naive (repeat last)'] else 'NOT below'} naive "
                f"({mse['naive (repeat last)']:.4f}), "
                f"{'below' if mse[method] < best else 'NOT below'} the best published "
                f"({best:.3f}); {100 * (mse[method] / mse[LINEAR_PATH] - 1):+.1f} % vs its "
                f"linear path alone ({mse[LINEAR_PATH]:.4f})."
            )
    return lines


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=DATA_DIR, help="folder with ETTh1.csv")
    parser.add_argument("--out", default=DEFAULT_OUT, help="results path without suffix")
    parser.add_argument("--horizons", type=int, nargs="+", default=list(HORIZONS))
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=None, help="override the epoch limit")
    parser.add_argument("--patience", type=int, default=5, help="early-stopping patience")
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite the .md from the .csv, train nothing"
    )
    parser.add_argument("--runs", default=None, help="with --report-only: the commands run")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    command = command_line("ett_published.py", argv)
    out = Path(args.out) if Path(args.out).is_absolute() else ROOT / args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    log = out.with_suffix(".csv")
    start = time.perf_counter()
    if not args.report_only:
        frame = load(args.data_dir)
        for horizon in args.horizons:
            run_horizon(frame, horizon, args, log)
    table = pd.read_csv(log)
    text = markdown(table, args, command.strip(), time.perf_counter() - start)
    out.with_suffix(".md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
