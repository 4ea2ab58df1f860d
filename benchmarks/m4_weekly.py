"""M4 Weekly: global LSTMs beside the naive methods and statsforecast's AutoETS/Theta/ARIMA.

    python benchmarks/m4_weekly.py                    # 1 seed, every method
    python benchmarks/m4_weekly.py --seeds 0 1 2      # mean ± std over seeds
    python benchmarks/m4_weekly.py --models single    # fewer LSTMs

Writes benchmarks/results/m4_weekly/NAME.md and .csv (`--name`, default m4_weekly; a part
combined later with `--combine`: `--name parts/NAME`).

Data: ../shared/datasets/m4_weekly.csv (359 series, the official test split: the last 13
values of every series, `split == "test"`; checked below). Each LSTM (single, stacked,
attention, the toolkit's defaults) is ONE global model over all 359 series, trained on the
training part with the 13 values before the test part as validation (early stopping), and
scored on the official test part with the M4 definitions (`forecast.competition`: sMAPE,
MASE with the M4 period m = 1 for weekly data, OWA against Naive2). statsforecast's methods
(the `bench` extra) run in the same process on the same training values (season_length=1,
M4's weekly period). Fit and predict seconds are measured on the same machine; the predict
time of the global model for all 359 series is printed beside one bare batched
`model.predict` on the same 359 windows (their ratio).

What was cut to fit a few minutes per model on 2 shared cores: the LSTMs train on the last
`--train-rows` values of each training part (default 520, ten years of weeks) and for at most
`--epochs` epochs. Settings are the defaults or fixed a priori (lookback 52: one year);
nothing was tuned on the test part.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import pandas as pd
from common import ROOT, out_folder

sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

DATA = ROOT.parent / "shared" / "datasets" / "m4_weekly.csv"
OUT = out_folder("m4_weekly")  # --name NAME: OUT/NAME.md and .csv
HORIZON = 13
PUBLISHED = {"AutoARIMA": 2.34, "AutoETS": 2.55}  # statsforecast's M4 Weekly MASE


def load() -> tuple[dict, pd.DataFrame]:
    from forecast import load_series

    raw = pd.read_csv(DATA)
    series = load_series(raw.drop(columns="split"), id_col="series_id", time_col="step",
                         target="value")  # fmt: skip
    return series, raw


def lstm_rows(args, series, parts, history) -> list[dict]:
    """Train each model once per seed; score it and the toolkit's baselines."""
    import keras

    from forecast import Forecaster
    from forecast.panel import last_windows

    rows = []
    train = {k: f.iloc[-args.train_rows :] for k, f in parts.train.items()}
    fit_parts = type(parts)(train, parts.val, parts.test, parts.val_start, parts.test_start,
                            parts.spans, parts.evaluate_test)  # fmt: skip
    for model in args.models:
        for seed in args.seeds:
            keras.utils.set_random_seed(seed)
            f = Forecaster(model=model, lookback=52, horizon=HORIZON, epochs=args.epochs,
                           patience=3, seed=seed, verbose=0,
                           series_scaling=args.series_scaling)  # fmt: skip
            began = time.perf_counter()
            f.fit(fit_parts)
            fit_s = time.perf_counter() - began
            report = f.evaluate(parts.test, history=history)
            windows = last_windows({k: f.scaler_.transform(v, key=k) for k, v in history.items()},
                                   52)  # fmt: skip
            timings = []
            for _ in range(2):  # the first call traces the model's predict function
                began = time.perf_counter()
                f.predict(history)  # the next 13 values of all 359 series = the test part
                timings.append(time.perf_counter() - began)
                began = time.perf_counter()
                f.model_.predict(windows, batch_size=1024, verbose=0)
                timings.append(time.perf_counter() - began)
            first_s, _, predict_s, bare_s = timings
            agg = report.competition["value"]
            rows.append({"method": f"LSTM {model} (global)", "seed": seed, **agg["model"],
                         "fit_s": fit_s, "first_predict_s": first_s, "predict_s": predict_s,
                         "bare_predict_s": bare_s, "predict_ratio": predict_s / bare_s,
                         "epochs": len(f.history_["loss"])})  # fmt: skip
            if model == args.models[0] and seed == args.seeds[0]:
                for name in ("naive", "seasonal_naive", "naive2", "linear"):
                    rows.append({"method": name, "seed": None, **agg[name]})
            print(rows[-1] if model != args.models[0] or seed != args.seeds[0] else rows[0])
    return rows


def statsforecast_rows(history: dict, test: dict, names: list[str]) -> list[dict]:
    """AutoETS, AutoTheta, AutoARIMA (those in `names`; season_length=1) fitted on each
    series' history."""
    from statsforecast import StatsForecast
    from statsforecast import models as sf_models

    from forecast import competition

    frame = pd.concat(
        pd.DataFrame({"unique_id": k, "ds": np.arange(len(v)), "y": v["value"].to_numpy()})
        for k, v in history.items()
    )
    rows = []
    for name in names:
        model = getattr(sf_models, name)(season_length=1)
        began = time.perf_counter()
        out = StatsForecast(models=[model], freq=1, n_jobs=1).forecast(df=frame, h=HORIZON)
        seconds = time.perf_counter() - began
        per = {}
        for key, group in out.groupby("unique_id", sort=False):
            past = history[key]["value"].to_numpy()
            per[key] = competition.score_series(
                test[key], {name: group[name].to_numpy()}, competition.mase_scale(past, 1)
            )
        agg = competition.aggregate(per)[name]
        rows.append({"method": f"statsforecast {name}", "seed": None, **agg,
                     "fit_s": seconds, "predict_s": None})  # fmt: skip
        print(rows[-1])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=["single", "stacked", "attention"])
    parser.add_argument("--stat-models", nargs="*", default=["AutoETS", "AutoTheta", "AutoARIMA"])
    parser.add_argument(
        "--combine", nargs="+", metavar="NAME",
        help="Write NAME.md from the results of earlier parts (results/m4_weekly/NAME.csv).",
    )  # fmt: skip
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--train-rows", type=int, default=520)
    parser.add_argument("--no-statsforecast", action="store_true")
    parser.add_argument("--name", default="m4_weekly")
    parser.add_argument("--series-scaling", default="global", choices=["global", "per_series"])
    parser.add_argument(
        "--validation", action="store_true",
        help="Leave the official test out: score the last 13 training values (for choices).",
    )  # fmt: skip
    args = parser.parse_args()

    from forecast.panel import history_of
    from forecast.splits import SplitSpec, split_series

    series, raw = load()
    if args.validation:  # the official test part is never seen: the last 13 values before it
        raw = raw[raw["split"] == "train"].copy()
        last = raw.groupby("series_id", sort=False)["step"].transform("max")
        raw.loc[raw["step"] > last - HORIZON, "split"] = "test"
        series = {k: f.iloc[:-HORIZON] for k, f in series.items()}
    parts = split_series(series, SplitSpec(test_size=HORIZON, val_size=HORIZON), context=52)
    official = raw[raw["split"] == "test"].groupby("series_id", sort=False)["value"]
    test = {k: parts.test[k]["value"].to_numpy()[parts.test_start[k] :] for k in series}
    assert all(np.array_equal(test[k], v.to_numpy()) for k, v in official), "test != official"
    history = history_of(parts)
    if args.combine:  # parts run as separate processes, on the same data and split
        table = pd.concat([pd.read_csv(OUT / f"{name}.csv") for name in args.combine])
        table = table[~(table["seed"].isna() & table.duplicated("method"))]  # baselines once
    else:
        names = [] if args.no_statsforecast else args.stat_models
        rows = statsforecast_rows(history, test, names) if names else []
        table = pd.DataFrame(lstm_rows(args, series, parts, history) + rows)
    naive2 = table[table["method"] == "naive2"]
    if len(naive2) and "OWA" in table:  # M4's OWA of the methods scored without Naive2 beside
        base = naive2.iloc[0]
        owa = 0.5 * (table["sMAPE"] / base["sMAPE"] + table["MASE"] / base["MASE"])
        table["OWA"] = table["OWA"].fillna(owa)
    numeric = ["sMAPE", "MASE", "OWA", "fit_s", "first_predict_s", "predict_s", "bare_predict_s",
               "predict_ratio", "epochs"]  # fmt: skip
    numeric = [c for c in numeric if c in table]
    summary = table.groupby("method", sort=False)[numeric].agg(["mean", "std"])
    (OUT / args.name).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(OUT / f"{args.name}.csv", index=False)
    part = "validation: the last 13 training values" if args.validation else "official test"
    lines = [
        f"# M4 Weekly (359 series, h={HORIZON}, {part}), seeds {args.seeds}, "
        f"series_scaling {args.series_scaling}",
        "",
        (
            f"Combined from the parts {', '.join(args.combine)} (each ran as its own process on "
            "the same data and split; their commands are in their .md files). "
            if args.combine
            else ""
        )
        + f"Command: `python benchmarks/m4_weekly.py --seeds {' '.join(map(str, args.seeds))} "
        f"--epochs {args.epochs} --train-rows {args.train_rows} --series-scaling "
        f"{args.series_scaling}{' --validation' if args.validation else ''}"
        f"{' --no-statsforecast' if args.no_statsforecast else ''}"
        f" --models {' '.join(args.models)} --stat-models {' '.join(args.stat_models)}"
        f"{' --combine ' + ' '.join(args.combine) if args.combine else ''}`; 2 shared CPU cores. "
        "LSTMs: one global model each, lookback 52, trained on the last "
        f"{args.train_rows} values of each training part, early stopping on the 13 values "
        "before the scored part."
        + (
            ""
            if args.validation
            else " Published statsforecast MASE on this test set: "
            + ", ".join(f"{k} {v}" for k, v in PUBLISHED.items())
            + "."
        ),
        "",
        "Seconds are wall-clock seconds on 2 CPU cores shared with other jobs (the load "
        "average ran between 4 and 16 during these runs): compare them within a row's run only.",
        "",
        "| method | sMAPE | MASE | OWA | fit s | first predict s | predict s (359 series) "
        "| bare model.predict s | ratio |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for method, row in summary.iterrows():

        def cell(col: str, row: pd.Series = row) -> str:
            if col not in summary.columns.get_level_values(0):
                return ""
            mean, std = row[(col, "mean")], row[(col, "std")]
            if pd.isna(mean):
                return ""
            return f"{mean:.3f}" + (f" ± {std:.3f}" if pd.notna(std) else "")

        lines.append(f"| {method} | " + " | ".join(
            cell(c) for c in ("sMAPE", "MASE", "OWA", "fit_s", "first_predict_s", "predict_s",
                              "bare_predict_s", "predict_ratio")
        ) + " |")  # fmt: skip
    text = "\n".join(lines) + "\n"
    (OUT / f"{args.name}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
