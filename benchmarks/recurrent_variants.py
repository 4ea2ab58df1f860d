"""Research on the recurrent path: which LSTM variants beat their own linear path, on validation.

The default model is a frozen ridge map (the linear path) plus an LSTM that learns what it
misses (`Forecaster(ridge_skip=True)`). This script asks, variant by variant, how much the
recurrent part adds: each variant's MAE beside the MAE of its own linear path alone, on the
same windows.

Validation data only, never the test rows: ETTh1 `OT` rows 0-5759 train, 5760-8639 early
stopping, and the score on rows 8640-11519 (the published protocol's validation rows; its test
rows 11520-14399 are not used). Lookback: `"auto"` (chosen on the early-stopping rows, the
same for every variant of a horizon). Errors on the standardized scale of the training rows.

Run from the repository root:

    python benchmarks/recurrent_variants.py                 # horizons 24 and 96, seed 0

Rows are appended to benchmarks/results/recurrent_variants/recurrent_variants.csv as they
finish; the table is written to recurrent_variants.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import pandas as pd
from accuracy import scores
from common import DATA_DIR, ROOT, command_line, out_stem
from ett_published import header, load

from forecast import Forecaster, models
from forecast.models.common import ModelOptions, build_forecaster, recurrent_stack

FIT, STOP, SCORE = 5760, 2880, 2880  # rows: train, early stopping, scored
VARIANTS = {  # name -> Forecaster settings changed from the defaults
    "default (LSTM 32 on the last 48 steps + frozen ridge)": {},
    "longer recurrent context (168 steps)": {"model_options": {"recurrent_lookback": 168}},
    "LR schedule (halve after 2) + patience 10": {"reduce_lr_patience": 2, "patience": 10},
    "wider LSTM (128 units)": {"model_options": {"units": 128}},
    "segment recurrence (SegRNN-style: 24-step segments embedded, LSTM 64 over the whole "
    "lookback)": {"model": "segment"},
    "MSE loss": {"loss": "mse"},
    "linear path trained too (no ridge skip)": {"ridge_skip": False},
    "ensemble of 3 seeds": {"ensemble": 3},
}
COLUMNS = ("horizon", "variant", "seed", "lookback", "windows", "MAE_std", "MSE_std")
COLUMNS += ("linear_MAE_std", "linear_MSE_std", "naive_MAE_std", "epochs", "train_s")


def build_segment_lstm(
    *,
    lookback: int,
    n_inputs: int,
    horizon: int,
    n_targets: int,
    segment: int = 24,
    units: int = 64,
    dropout: float = 0.1,
    **options,
) -> keras.Model:
    """SegRNN's encoder idea on the shared wrapper (normalize "last", the ridge skip): the
    whole window cut into `segment`-step pieces `(batch, lookback // segment, segment *
    n_inputs)`, each embedded by Dense(units, relu), an LSTM over the pieces, the dense head.
    Only the research script registers it (`models.BUILDERS["segment"]`)."""
    opts = ModelOptions.from_kwargs("build_segment_lstm", {**options, "recurrent_lookback": None})
    pieces = lookback // segment

    def body(x: keras.KerasTensor) -> keras.KerasTensor:
        x = keras.layers.Cropping1D((lookback - pieces * segment, 0))(x)  # whole pieces only
        x = keras.layers.Reshape((pieces, segment * n_inputs))(x)
        x = keras.layers.Dense(units, activation="relu", name="segment_embedding")(x)
        return recurrent_stack(x, (units,), opts)

    return build_forecaster(
        "segment_lstm", body, lookback=lookback, n_inputs=n_inputs, horizon=horizon,
        n_targets=n_targets, dropout=dropout, options=opts,
    )  # fmt: skip


models.BUILDERS["segment"] = build_segment_lstm


def run(frame: pd.DataFrame, horizon: int, name: str, settings: dict, seed: int, patience: int):
    """Train one variant on rows 0-8639 (early stopping on 5760-8639), score rows 8640-11519."""
    values = frame["OT"].to_numpy(dtype=np.float64)
    mean, std = float(values[:FIT].mean()), float(values[:FIT].std())
    options = {"patience": patience, **settings}
    f = Forecaster(horizon=horizon, target="OT", season=24, seed=seed, verbose=0, **options)
    start = time.perf_counter()
    f.fit(frame.iloc[: FIT + STOP], val=STOP)
    seconds = time.perf_counter() - start
    span = frame.iloc[FIT + STOP - f.lookback_ : FIT + STOP + SCORE]
    tidy = f.predict_windows(span, start=SCORE, baselines=True)
    shape = (-1, horizon)
    actual = tidy["actual"].to_numpy().reshape(shape)
    model = scores(tidy["forecast"].to_numpy().reshape(shape), actual, mean, std)
    linear = scores(tidy["linear"].to_numpy().reshape(shape), actual, mean, std)
    naive = scores(tidy["naive"].to_numpy().reshape(shape), actual, mean, std)
    return {
        "horizon": horizon, "variant": name, "seed": seed, "lookback": f.lookback_,
        "windows": len(actual), "MAE_std": model["MAE_std"], "MSE_std": model["MSE_std"],
        "linear_MAE_std": linear["MAE_std"], "linear_MSE_std": linear["MSE_std"],
        "naive_MAE_std": naive["MAE_std"], "epochs": f.fit_result_.epochs_run,
        "train_s": round(seconds, 1),
    }  # fmt: skip


def markdown(table: pd.DataFrame, command: str, runs: str | None = None) -> str:
    table = table.drop_duplicates(subset=["horizon", "variant", "seed"], keep="last")
    table = table.assign(gain=100 * (table.MAE_std / table.linear_MAE_std - 1))
    lines, verdicts = [], []
    for _, row in table.iterrows():
        lines.append(
            f"| {row.horizon} | {row.variant} | {row.MAE_std:.4f} | {row.MSE_std:.4f} | "
            f"{row.linear_MAE_std:.4f} | {row.gain:+.2f} % | {row.naive_MAE_std:.4f} | "
            f"{row.lookback:.0f} | {row.epochs:.0f} | {row.train_s:.0f} |"
        )
    for horizon, group in table.groupby("horizon"):
        best = group.loc[group.gain.idxmin()]
        verdicts.append(
            f"- H={horizon}: best {best.variant} ({best.gain:+.2f} % MAE vs its linear path); "
            f"variants below -1 %: {', '.join(group[group.gain < -1].variant) or 'none'}."
        )
    return "\n".join([
        *header("The recurrent path on validation data: LSTM variants vs their own linear path",
                command),
        *([f"- Runs: {runs}"] if runs else []),
        "",
        "ETTh1 OT: rows 0-5759 train, 5760-8639 early stopping (and the lookback choice), "
        "scored on rows 8640-11519 (every window; the test rows 11520-14399 are never used). "
        "MAE / MSE on the training rows' standardized scale. `vs linear`: the variant's MAE "
        "relative to the MAE of the ridge map its linear path starts from (the frozen linear "
        "path alone; for the no-ridge-skip variant the same ridge map, which that variant "
        "does not use), on the same windows: what the recurrent part adds. One seed per "
        "variant unless named.",
        "",
        "| H | variant | MAE | MSE | its linear path MAE | vs linear | naive MAE | lookback "
        "| epochs | s |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *lines,
        "",
        *verdicts,
        "",
    ])  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=DATA_DIR)
    parser.add_argument("--out", default=out_stem("recurrent_variants"))
    parser.add_argument("--horizons", type=int, nargs="+", default=[24, 96])
    parser.add_argument("--variants", nargs="+", default=None, help="names (default: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--patience", type=int, default=5)
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--runs", default=None, help="with --report-only: the commands run")
    args = parser.parse_args(argv)
    command = command_line("recurrent_variants.py", argv)
    out = Path(args.out) if Path(args.out).is_absolute() else ROOT / args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    log = out.with_suffix(".csv")
    if not args.report_only:
        frame = load(args.data_dir)
        for horizon in args.horizons:
            for name, settings in VARIANTS.items():
                if args.variants and name not in args.variants:
                    continue
                row = run(frame, horizon, name, settings, args.seed, args.patience)
                print(
                    f"[h={horizon}] {name}: MAE {row['MAE_std']:.4f} vs its linear path "
                    f"{row['linear_MAE_std']:.4f} ({row['epochs']} epochs, {row['train_s']} s)",
                    flush=True,
                )
                frame_row = pd.DataFrame([row]).reindex(columns=list(COLUMNS))
                frame_row.to_csv(log, mode="a", header=not log.exists(), index=False)
    text = markdown(pd.read_csv(log), command.strip(), args.runs)
    out.with_suffix(".md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
