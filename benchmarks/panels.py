"""Five development panels: the global LSTM beside seasonal naive, Naive2, the linear
baseline and statsforecast, all in one run.

    python benchmarks/panels.py                              # every panel, 1 seed
    python benchmarks/panels.py --panels tourism_quarterly --seeds 0 1 2
    python benchmarks/panels.py --validation --no-statsforecast --set series_scaling=global
    python benchmarks/panels.py --panels gefcom2012_load --validation --no-statsforecast \
        --set combination=auto refit=True --name panels/e22_val_gefcom2012_load

A forecaster with a combination (`forecast.combination`) is also scored without it (`LSTM
<model> no combination`: the same fitted model); `--set refit=True` scores each seed before
(`no refit`) and after `Forecaster.refit_on` (and the refitted linear baseline, `linear refit`),
from one training. `--name panels/NAME` writes under `benchmarks/results/panels/`.

Panels (../shared/datasets, README there): `m4_weekly` (h 13, the official test = the last
13 values; no dates, so the forecaster gets `season=52`), `tourism_monthly` (h 24),
`tourism_quarterly` (h 8): the test part is the last h values of every series, the h values
before it the validation part (the protocol flags `--test-size h --val-size h`).
`gefcom2012_load` and `pedestrian_melbourne` (h 24, hourly): the last 7 days (168 hours) of
every series are the test part, 7 day-ahead origins (one a day, stride 24); the 168 hours
before them are the validation part (145 rolling origins for early stopping and choices;
`--val-size` changes how many rows it holds).

Each LSTM is ONE global `Forecaster` over the panel with the defaults (lookback "auto",
normalization, series scaling, guard, ...), only the protocol settings given; `--set
NAME=VALUE` overrides a setting (for the validation experiments). `--validation` drops the
test part first, so the last `h` (hourly: 168) values before it are scored instead: every
choice was made there, never on a test part.

Scores: M4 definitions (`forecast.competition`): sMAPE, MASE with the panel's metric period
(M4 weekly 1, monthly 12, quarterly 4, hourly 24), each series' scale from all its values
before the scored part; OWA relative to Naive2. Baselines computed here on the same origins:
naive, seasonal naive (the metric period), Naive2, the forecaster's linear baseline.
statsforecast (the `bench` extra): AutoETS, AutoTheta, AutoARIMA with the metric period
(hourly: AutoETS with 24 and MSTL with the frequency's seasons, `forecast.seasons`: (24, 168),
and an AutoETS trend; `--stat-models`),
fitted on the same rows as the LSTM; at the hourly panels' 7 origins, fitted once at the
first and updated with the new values at the next (`cross_validation(refit=False)`).

Cuts made to fit 2 shared CPU cores (the same for every method): hourly series keep only
their rows after their last missing value (the holes are not filled; a series with fewer
than `--min-rows` such rows is left out: named in the results) and at most `--hourly-rows`
training rows; LSTMs train for at most `--epochs` epochs with `--patience`.
"""

from __future__ import annotations

import argparse
import ast
import functools
import os
import sys
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from common import ROOT, command_line, out_folder

sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

DATA = ROOT.parent / "shared" / "datasets"
OUT = out_folder("panels")  # --name NAME: OUT/NAME.md and .csv (parts/NAME, validation/NAME)


@dataclass(frozen=True)
class Panel:
    name: str
    file: str
    id_col: str
    time_col: str
    target: str
    horizon: int
    test: int  # rows scored at the end of every series
    metric_season: int  # MASE / Naive2 / seasonal naive period (M4's)
    season: int | None = None  # the forecaster's `season` (data without timestamps)
    stride: int = 1  # origins scored in the test part: every `stride` rows

    @property
    def hourly(self) -> bool:
        return self.stride > 1


PANELS = {
    p.name: p
    for p in (
        Panel("m4_weekly", "m4_weekly.csv", "series_id", "step", "value", 13, 13, 1, 52),
        Panel("tourism_monthly", "tourism_monthly.csv", "series_id", "month", "visitors", 24,
              24, 12),
        Panel("tourism_quarterly", "tourism_quarterly.csv", "series_id", "quarter", "visitors",
              8, 8, 4),
        Panel("gefcom2012_load", "gefcom2012_load.csv.gz", "zone", "timestamp", "load", 24,
              168, 24, stride=24),
        Panel("pedestrian_melbourne", "pedestrian_melbourne.csv.gz", "sensor", "timestamp",
              "count", 24, 168, 24, stride=24),
    )
}  # fmt: skip


def load_panel(panel: Panel, args: argparse.Namespace) -> tuple[dict, list[str]]:
    """`{id: frame}` (index = time, one column = the target) and the ids left out."""
    raw = pd.read_csv(DATA / panel.file)
    if "split" in raw:
        raw = raw.drop(columns="split")
    out, dropped = {}, []
    for key, group in raw.groupby(panel.id_col, sort=False):
        values = group[panel.target].to_numpy(dtype=np.float64)
        if panel.hourly:  # the rows after the last hole, capped
            holes = np.flatnonzero(np.isnan(values))
            start = holes[-1] + 1 if len(holes) else 0
            keep = args.hourly_rows + 2 * panel.test
            start = max(start, len(values) - keep)
            if len(values) - start < args.min_rows:
                dropped.append(str(key))
                continue
            group = group.iloc[start:]
        if args.validation:  # the test part is never seen
            group = group.iloc[: -panel.test]
        index = (
            pd.DatetimeIndex(pd.to_datetime(group[panel.time_col]), name=panel.time_col)
            if panel.season is None
            else pd.RangeIndex(len(group), name=panel.time_col)
        )
        out[str(key)] = pd.DataFrame({panel.target: group[panel.target].to_numpy()}, index=index)
    return out, dropped


def parse_value(text: str):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def origins_scored(panel: Panel, length: int) -> np.ndarray:
    """First target rows of the scored windows of a series of `length` rows."""
    first = length - panel.test
    return np.arange(first, length - panel.horizon + 1, panel.stride)


def baseline_windows(values: np.ndarray, origins: np.ndarray, panel: Panel) -> dict:
    """naive, seasonal naive and Naive2 forecasts `(n, h)` at `origins` (each fitted on
    the values before its origin)."""
    from forecast import competition

    h, m = panel.horizon, panel.metric_season
    steps = np.arange(h)
    naive = np.repeat(values[origins - 1][:, None], h, axis=1)
    lag = m if m > 1 else 1
    snaive = values[(origins[:, None] - lag + steps % lag)]
    naive2 = np.stack([competition.naive2(values[:o], h, m) for o in origins])
    return {"naive": naive, "seasonal_naive": snaive, "naive2": naive2}


def score(per: dict) -> dict:
    from forecast import competition

    return competition.aggregate(per)


def lstm_rows(panel: Panel, series: dict, args: argparse.Namespace, model: str) -> tuple:
    """Train one global Forecaster per seed; score it and the baselines. Returns (rows,
    per-series scores of the first seed). With `--set refit=True`, each seed's forecaster is
    scored before (`LSTM <model> no refit`) and after `Forecaster.refit_on` (the same choices,
    retrained on the training and validation rows)."""
    import keras

    from forecast import Forecaster
    from forecast.splits import SplitSpec

    rows, first_per = [], None
    settings = {k: parse_value(v) for k, v in (s.split("=", 1) for s in args.set)}
    refit = bool(settings.pop("refit", False))
    for seed in args.seeds:
        keras.utils.set_random_seed(seed)
        f = Forecaster(
            model=model, horizon=panel.horizon, season=panel.season, seed=seed, verbose=0,
            epochs=args.epochs, patience=args.patience, **settings,
        )  # fmt: skip
        spec = SplitSpec(test_size=panel.test, val_size=args.val_size or panel.test)
        began = time.perf_counter()
        f.fit(series, val=spec)
        fit_s = time.perf_counter() - began
        for variant in ("no refit", "refit") if refit else ("",):
            if variant == "refit":
                began = time.perf_counter()
                f.refit_on(series, spec)
                f.refit = True
                fit_s += time.perf_counter() - began
            label = f"LSTM {model}" + (" no refit" if variant == "no refit" else "")
            found, per = score_forecaster(f, panel, series, args, label, seed, fit_s, spec)
            rows += found
            if variant == "refit" and "linear" in score(per):  # the refitted linear baseline
                rows.append({"panel": panel.name, "method": "linear refit", "seed": seed,
                             **score(per)["linear"]})  # fmt: skip
            if first_per is None:
                first_per = per
                agg = score(per)
                for name in ("naive", "seasonal_naive", "naive2", "linear"):
                    if name in agg:
                        rows.append({"panel": panel.name, "method": name, "seed": None,
                                     **agg[name]})  # fmt: skip
                        print(rows[-1], flush=True)
    return rows, first_per


def score_forecaster(f, panel: Panel, series: dict, args, label: str, seed: int,
                     fit_s: float, spec) -> tuple[list[dict], dict]:  # fmt: skip
    """Rows of one fitted forecaster (`label`; with a combination also the same model
    without it; with guard="report" the guard's other modes) and its per-series scores."""
    from forecast import competition

    rows = []
    began = time.perf_counter()
    tidy = f.predict_windows(series, start=panel.test, baselines=True)
    predict_s = time.perf_counter() - began
    blend = getattr(f, "combination_", None)
    if blend is not None:  # the same fitted model without its combination (scored apart)
        f.state_.combination = None
        alone = f.predict_windows(series, start=panel.test)
        f.state_.combination = blend
        tidy["alone"] = alone["forecast"].to_numpy()
    guard = getattr(f, "guard_", None)
    alternatives = guard is not None and guard.mode == "report"  # score the other modes too
    per, per_alt, guard_rows = {}, {"fallback": {}, "combine": {}}, []
    per_alone = {}
    for key, group in tidy.groupby("series", sort=False):
        values = series[key][panel.target].to_numpy(dtype=np.float64)
        origins = origins_scored(panel, len(values))
        all_origins = np.arange(len(values) - panel.test, len(values) - panel.horizon + 1)
        pick = np.isin(all_origins, origins)
        windows = {c: group[c].to_numpy().reshape(-1, panel.horizon)[pick]
                   for c in ("forecast", "linear", "seasonal_naive", "alone")
                   if c in group}  # fmt: skip
        actual = values[origins[:, None] + np.arange(panel.horizon)]
        forecasts = {"model": windows["forecast"], **baseline_windows(values, origins, panel)}
        if "linear" in windows and np.isfinite(windows["linear"]).all():
            forecasts["linear"] = windows["linear"]
        scale = competition.mase_scale(values[: len(values) - panel.test], panel.metric_season)
        per[key] = competition.score_series(actual, forecasts, scale)
        if "alone" in windows:
            per_alone[key] = competition.score_series(
                actual, {"model": windows["alone"], "naive2": forecasts["naive2"]}, scale
            )
        if guard is not None and key in guard.errors:  # the guard's inputs and outcome
            scored = {"model": windows["forecast"], "naive2": forecasts["naive2"]}
            scored.update({n: windows[n] for n in ("seasonal_naive", "linear")
                           if n in windows and np.isfinite(windows[n]).all()})  # fmt: skip
            found = competition.score_series(actual, scored, scale)
            guard_rows.append(
                {"series": key, "seed": seed,
                 **{f"val_{m}": e for m, e in guard.errors[key].items()},
                 **{f"mase_{m}": r["MASE"] for m, r in found.items() if m != "naive2"}}
            )  # fmt: skip
        if alternatives:
            other = guard.choice.get(key)
            base = windows.get(other) if other else None
            for mode in per_alt:
                pred = windows["forecast"]
                if base is not None and np.isfinite(base).all():
                    pred = base if mode == "fallback" else 0.5 * (pred + base)
                per_alt[mode][key] = competition.score_series(
                    actual, {"model": pred, "naive2": forecasts["naive2"]}, scale
                )
    agg = score(per)
    if guard_rows and args.guard_table:  # per series: validation errors, scored MASE
        name = label.split()[1] + ("_refit" if f.refit else "")
        pd.DataFrame(guard_rows).to_csv(OUT / f"{args.name}_{name}_guard.csv", index=False)
    extra = {
        "lookback": f.lookback_, "epochs": len(f.history_.get("loss", [])),
        "best_epoch": getattr(f.fit_result_, "best_epoch", None),
        "fit_s": fit_s, "predict_s": predict_s,
        "losses_to_snaive": sum(p["model"]["MASE"] > p["seasonal_naive"]["MASE"]
                                for p in per.values()),
        "settings": " ".join(args.set),
        "guard": guard.summary() if guard is not None else "",
        "calendar": calendar_note(f, series, spec),
        "combination": blend.summary() if blend is not None else "",
    }  # fmt: skip
    rows.append({"panel": panel.name, "method": label, "seed": seed, **agg["model"], **extra})
    print(rows[-1], flush=True)
    variants = {"no combination": per_alone} if per_alone else {}
    if alternatives:
        variants.update({f"guard={mode}": scored for mode, scored in per_alt.items()})
    for name, scored in variants.items():  # the same fit, scored another way
        rows.append({"panel": panel.name, "method": f"{label} {name}",
                     "seed": seed, **score(scored)["model"], "lookback": f.lookback_,
                     "losses_to_snaive": sum(
                         scored[k]["model"]["MASE"] > per[k]["seasonal_naive"]["MASE"]
                         for k in scored)})  # fmt: skip
        print(rows[-1], flush=True)
    return rows, per


def calendar_note(f, series: dict, spec) -> str:
    """The run's calendar choice; with calendar="on", also what "auto" would have chosen on
    the same validation windows (the linear baseline with and without the calendar: cheap)."""
    from forecast import Forecaster

    choice = getattr(f, "calendar_choice_", None)
    if choice is None:
        return ""
    note = choice.summary()
    if f.calendar == "on":
        probe = Forecaster(**{**f.get_params(), "calendar": "auto", "lookback": f.lookback_})
        note += "; auto: " + probe.choose_calendar(series, spec).summary()
    return note


def statsforecast_rows(panel: Panel, series: dict, names: list[str]) -> list[dict]:
    """statsforecast's methods on the same scored origins (refitted at each hourly origin)."""
    from statsforecast import StatsForecast
    from statsforecast import models as sf

    from forecast import competition, seasons

    m = panel.metric_season
    frame = pd.concat(
        pd.DataFrame({"unique_id": k, "ds": np.arange(len(v)), "y": v.iloc[:, 0].to_numpy()})
        for k, v in series.items()
    )
    windows = (panel.test - panel.horizon) // panel.stride + 1
    first = next(iter(series.values()))
    freq = pd.infer_freq(first.index[:100]) if isinstance(first.index, pd.DatetimeIndex) else None
    periods = list(seasons.of_frequency(freq, max(len(v) for v in series.values())))  # (24, 168)
    rows = []
    for name in names:
        if name == "MSTL":
            model = sf.MSTL(season_length=periods, trend_forecaster=sf.AutoETS(model="ZZN"))
        else:
            model = getattr(sf, name)(season_length=m)
        began = time.perf_counter()
        out = StatsForecast(models=[model], freq=1, n_jobs=1).cross_validation(
            df=frame,
            h=panel.horizon,
            n_windows=windows,
            step_size=panel.stride,
            refit=not panel.hourly,  # hourly: fitted once, at the first origin (time)
        )
        seconds = time.perf_counter() - began
        per = {}
        for key, group in out.groupby("unique_id", sort=False):
            values = series[key].iloc[:, 0].to_numpy(dtype=np.float64)
            origins = origins_scored(panel, len(values))
            actual = values[origins[:, None] + np.arange(panel.horizon)]
            pred = group.sort_values(["cutoff", "ds"])[name].to_numpy().reshape(actual.shape)
            base = baseline_windows(values, origins, panel)
            scale = competition.mase_scale(values[: len(values) - panel.test], m)
            per[key] = competition.score_series(
                actual, {name: pred, "naive2": base["naive2"]}, scale
            )
        agg = score(per)[name]
        rows.append({"panel": panel.name, "method": f"statsforecast {name}", "seed": None, **agg,
                     "fit_s": seconds})  # fmt: skip
        print(rows[-1], flush=True)
    return rows


def stat_names(panel: Panel, args: argparse.Namespace) -> list[str]:
    if args.no_statsforecast:
        return []
    if panel.hourly:
        return [n for n in args.stat_models if n not in ("AutoARIMA", "AutoTheta")] + ["MSTL"]
    return list(args.stat_models)


def _text(group: pd.DataFrame, col: str) -> str:
    """The first non-empty text of column `col` of `group`, or ""."""
    found = group[col].dropna() if col in group else []
    return str(found.iloc[0]) if len(found) else ""


def _cell(group: pd.DataFrame, col: str, digits: int = 3) -> str:
    """Mean (± standard deviation over seeds) of column `col` of `group`, or ""."""
    if col not in group or group[col].isna().all():
        return ""
    mean, std = group[col].mean(), group[col].std()
    text = f"{mean:.{digits}f}"
    return text + (f" ± {std:.{digits}f}" if len(group) > 1 and pd.notna(std) else "")


def markdown(table: pd.DataFrame, args: argparse.Namespace, command: str, notes: list[str]) -> str:
    part = "validation (the test part dropped first)" if args.validation else "test"
    blends = "combination" in table and table["combination"].fillna("").astype(bool).any()
    lines = [
        f"# Development panels: global LSTM vs baselines and statsforecast ({part})",
        "",
        f"Command: `{command}`; 2 CPU cores shared with other jobs (seconds are wall-clock). "
        f"LSTMs: at most {args.epochs} epochs, patience {args.patience}; hourly panels: the "
        f"rows after each series' last missing value, at most {args.hourly_rows} training rows.",
        "",
        *notes,
        "",
        "| panel | method | seeds | sMAPE | MASE | OWA | fit s | predict s | lookback | "
        "loses to sNaive (series) | guard |"
        + (" calendar |" if "calendar" in table else "")
        + (" combination |" if blends else ""),
        "|---|---|---|---|---|---|---|---|---|---|---|"
        + ("---|" if "calendar" in table else "")
        + ("---|" if blends else ""),
    ]
    for (panel, method), group in table.groupby(["panel", "method"], sort=False):
        cell = functools.partial(_cell, group)
        seeds = ",".join(str(int(s)) for s in group["seed"].dropna()) if "seed" in group else ""
        guard = (
            str(group["guard"].iloc[0]) if "guard" in group and group["guard"].notna().any() else ""
        )
        lines.append(
            f"| {panel} | {method} | {seeds} | {cell('sMAPE')} | {cell('MASE')} | {cell('OWA')} "
            f"| {cell('fit_s', 1)} | {cell('predict_s', 2)} | {cell('lookback', 0)} "
            f"| {cell('losses_to_snaive', 0)} | {guard} |"
            + (f" {_text(group, 'calendar')} |" if "calendar" in table else "")
            + (f" {_text(group, 'combination')} |" if blends else "")
        )
    return "\n".join(lines) + "\n"


def combined(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The rows of earlier runs for `--combine`, a later part's row replacing an earlier
    part's of the same panel, method and seed (a rerun: a seed is never counted twice, a
    baseline never averaged with itself); the (panel, method) groups keep the order in which
    they first appear. Different seeds of one method are kept, to be averaged."""
    table = pd.concat(parts, ignore_index=True)
    first = table.groupby(["panel", "method"], sort=False).ngroup()
    table = table.drop_duplicates(["panel", "method", "seed"], keep="last")
    return table.loc[first.loc[table.index].sort_values(kind="stable").index]


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panels", nargs="+", default=list(PANELS), choices=list(PANELS))
    parser.add_argument("--models", nargs="*", default=["single"],
                        choices=["single", "stacked", "attention"])  # fmt: skip
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--patience", type=int, default=5)
    parser.add_argument("--hourly-rows", type=int, default=2016)
    parser.add_argument("--min-rows", type=int, default=700)
    parser.add_argument("--stat-models", nargs="*", default=["AutoETS", "AutoTheta", "AutoARIMA"])
    parser.add_argument("--no-statsforecast", action="store_true")
    parser.add_argument("--validation", action="store_true")
    parser.add_argument(
        "--guard-table", action="store_true",
        help="Write NAME_<model>_guard.csv: per series the guard's validation MAE of the "
        "model and each baseline, and the scored MASE of each (for the guard's rule).",
    )  # fmt: skip
    parser.add_argument(
        "--val-size", type=int, default=None,
        help="The forecaster's validation rows per series (default: the panel's test rows).",
    )  # fmt: skip
    parser.add_argument("--set", nargs="*", default=[], metavar="NAME=VALUE")
    parser.add_argument("--name", default="panels")
    parser.add_argument(
        "--combine", nargs="+", metavar="NAME",
        help="Write NAME.md from the results of earlier runs (results/panels/NAME.csv); a "
        "later run's row replaces an earlier one's of the same panel, method and seed.",
    )  # fmt: skip
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    command = command_line("panels.py", argv)
    (OUT / args.name).parent.mkdir(parents=True, exist_ok=True)  # --name panels/NAME
    rows, notes = [], []
    if args.combine:  # runs made as separate processes: their tables and commands together
        table = combined([pd.read_csv(OUT / f"{name}.csv") for name in args.combine])
        for name in args.combine:
            head = (OUT / f"{name}.md").read_text().splitlines()
            notes += [f"- part `{name}`: " + line for line in head if line.startswith("Command")]
            notes += [line for line in head if line.startswith("- ") and "left out" in line]
        text = markdown(table, args, command, notes)
        (OUT / f"{args.name}.md").write_text(text)
        table.to_csv(OUT / f"{args.name}.csv", index=False)
        print(text)
        return 0
    for name in args.panels:
        panel = PANELS[name]
        series, dropped = load_panel(panel, args)
        if dropped:
            notes.append(f"- {name}: left out (fewer than {args.min_rows} rows after the last "
                         f"missing value): {', '.join(dropped)}.")  # fmt: skip
        for model in args.models:
            found, _ = lstm_rows(panel, series, args, model)
            rows += (
                found if model == args.models[0] else [r for r in found if r["seed"] is not None]
            )
        rows += statsforecast_rows(panel, series, stat_names(panel, args))
        table = pd.DataFrame(rows)
        table.to_csv(OUT / f"{args.name}.csv", index=False)
        text = markdown(table, args, command, notes)
        (OUT / f"{args.name}.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
