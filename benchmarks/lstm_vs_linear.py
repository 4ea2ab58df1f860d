"""Does the LSTM earn its place? The default LSTM against the linear baseline, and its share.

Issue #15's "Must show" measurement, on the accuracy protocol (`benchmarks/accuracy.py`):

- ETTh1 `OT` (rows 0-8639 train, 8640-11519 validation, 11520-14399 test) at horizons 24
  and 168; AirPassengers (last 24 months test, 24 before validation, horizon 12); Melbourne
  daily minimum temperatures (last 365 days test, 365 before validation, horizon 7); and
  AEP_hourly (sorted, duplicate hours averaged, missing hours interpolated; the most recent
  18 months only, to fit a shared 2-core machine: 8760 hours train, 2190 validation, 2190
  test; horizon 24).
- "linear baseline": accuracy.py's ridge on last-value-normalized windows (NLinear), lookback
  and alpha chosen by validation MAE; the LSTM uses that lookback.
- "its linear path": the LSTM's own frozen ridge skip alone (its head zeroed), measured on the
  same windows in the same run; the LSTM against it is the recurrent part's share.

`--variants` (validation only) trains research variants of the recipe on the same tasks, to
look for a recurrent path that earns its place: see `VARIANTS`. Choosing reads validation
figures only; `--test` adds the test figures (run once, for the final default).

Run from the repository root:

    python benchmarks/lstm_vs_linear.py --seeds 0 1 2 --test          # the default, 3 seeds
    python benchmarks/lstm_vs_linear.py --variants NAME ... --seeds 0  # validation screening

Rows are appended to `<out>.csv` as each run finishes; `<out>.md` is rewritten from it (also
with `--report-only`). Default out: benchmarks/results/lstm_vs_linear/lstm_vs_linear (the
variants: lstm_vs_linear/lstm_variants).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import pandas as pd
from accuracy import ETT, ETT_LOOKBACKS, Task, linear_baseline
from common import DATA_DIR, ROOT, command_line, out_stem, resolve
from ett_published import header

from forecast import Forecaster, load_series, models, training
from forecast.models.common import HEAD, LINEAR_SKIP, ModelOptions, build_forecaster
from forecast.models.normalization import WindowDenormalization, WindowNormalization

AEP_ROWS = (8760, 2190, 2190)  # train, validation, test: the most recent 18 months


def all_tasks() -> dict[str, Task]:
    """The five tasks of the issue, by short name."""
    ett = dict(ETT, season=24, lookbacks=ETT_LOOKBACKS, load={"time_col": "date"})
    return {
        "etth1-24": Task(**ett, horizon=24),
        "etth1-168": Task(**ett, horizon=168),
        "air": Task("AirPassengers", "AirPassengers.csv", "Passengers", 96, 24, 24, 12, 12,
                    (12, 24)),
        "melbourne": Task("Melbourne min temp", "daily-min-temperatures.csv", "Temp",
                          3652 - 730, 365, 365, 7, 365, (14, 30, 60, 120),
                          load={"fill": "interpolate"}),
        "aep": Task("AEP_hourly (last 18 months)", "AEP_hourly.csv", "AEP_MW", *AEP_ROWS,
                    horizon=24, season=24, lookbacks=ETT_LOOKBACKS,
                    load={"time_col": "Datetime", "sort": True, "duplicates": "mean",
                          "fill": "interpolate"}),
    }  # fmt: skip


def load_task(task: Task, data_dir: str) -> pd.DataFrame:
    """The task's rows: the first train+val+test rows, or for AEP the most recent ones."""
    frame = load_series(resolve(data_dir) / task.file, target=task.target, **task.load)
    need = task.train + task.val + task.test
    return frame.iloc[-need:] if task.file == "AEP_hourly.csv" else frame.iloc[:need]


def with_calendar(
    frame: pd.DataFrame, train: int, seen_twice: bool = False
) -> tuple[pd.DataFrame, list[str]]:
    """The frame plus sin/cos calendar columns of its timestamps, and their names: hour of day
    and day of week when the spacing is a day or less, day of year always. Past covariates
    only (the research stand-in for #15's known-future calendar): the window's last timestamp
    fixes the calendar of every forecast step, so the model can still learn calendar effects.
    With `seen_twice`, day of year only when the first `train` rows span two years or more."""
    when = pd.DatetimeIndex(frame.index)
    spacing = pd.Series(when).diff().median()
    cycles = {}
    if not seen_twice or when[train - 1] - when[0] >= pd.Timedelta("730D"):
        cycles["doy"] = (when.dayofyear - 1, 365.25)
    if spacing <= pd.Timedelta("1D"):
        cycles["dow"] = (when.dayofweek, 7)
    if spacing < pd.Timedelta("1D"):
        cycles["hour"] = (when.hour, 24)
    out = frame.copy()
    for name, (value, period) in cycles.items():
        angle = 2 * np.pi * np.asarray(value, dtype=np.float64) / period
        out[f"{name}_sin"], out[f"{name}_cos"] = np.sin(angle), np.cos(angle)
    return out, [c for c in out.columns if c not in frame.columns]


# ---------------------------------------------------------------------------- research variants
def build_seasonal_input_lstm(
    *, lookback: int, n_inputs: int, horizon: int, n_targets: int, season: int = 24,
    units: int = 32, dropout: float = 0.25, **options,
) -> keras.Model:  # fmt: skip
    """The default single LSTM whose recurrent input also carries the seasonal difference
    `x[t] - x[t - season]` of every channel: `(batch, recent, 2 * n_inputs)` over the last
    `recurrent_lookback` steps (the cropping is done here, after the difference). Research
    only (`models.BUILDERS["seasonal_input"]`, registered by this script)."""
    recent = options.pop("recurrent_lookback", 48)
    opts = ModelOptions.from_kwargs("seasonal_input", {**options, "recurrent_lookback": None})
    recent = min(recent, lookback - season)

    def body(x: keras.KerasTensor) -> keras.KerasTensor:
        now = keras.layers.Cropping1D((lookback - recent, 0))(x)
        before = keras.layers.Cropping1D((lookback - recent - season, season))(x)
        both = keras.layers.Concatenate()([now, keras.layers.Subtract()([now, before])])
        return models.common.recurrent_stack(both, (units,), opts)

    return build_forecaster(
        "seasonal_input_lstm", body, lookback=lookback, n_inputs=n_inputs, horizon=horizon,
        n_targets=n_targets, dropout=dropout, options=opts,
    )  # fmt: skip


def build_segment_pmd(
    *, lookback: int, n_inputs: int, horizon: int, n_targets: int, segment: int = 12,
    units: int = 64, dropout: float = 0.1, **options,
) -> keras.Model:  # fmt: skip
    """SegRNN (Lin et al. 2023) on the shared wrapper: the whole window cut into
    `segment`-step pieces, each embedded (Dense + ReLU) and read by a GRU (encoder); parallel
    multi-step decoding: one learned position embedding per output segment,
    `(batch, ceil(horizon / segment), units)`, each decoded by the same GRU cell from the
    encoder's final state (one step, all segments at once), then the shared dense head. Research
    only (`models.BUILDERS["segment_pmd"]`)."""
    opts = ModelOptions.from_kwargs("segment_pmd", {**options, "recurrent_lookback": None})
    pieces, outs = lookback // segment, -(-horizon // segment)

    def body(x: keras.KerasTensor) -> keras.KerasTensor:
        x = keras.layers.Cropping1D((lookback - pieces * segment, 0))(x)
        x = keras.layers.Reshape((pieces, segment * n_inputs))(x)
        x = keras.layers.Dense(units, activation="relu", name="segment_embedding")(x)
        state = keras.layers.GRU(units, name="encoder")(x)  # (batch, units)
        positions = PositionQueries(outs, units, name="positions")(state)  # (batch*outs, 1, u)
        states = keras.layers.Lambda(lambda s: keras.ops.repeat(s, outs, axis=0))(state)
        decoded = keras.layers.GRU(units, name="decoder")(positions, initial_state=states)
        return keras.layers.Lambda(lambda d: keras.ops.reshape(d, (-1, outs * units)))(decoded)

    return build_forecaster(
        "segment_pmd", body, lookback=lookback, n_inputs=n_inputs, horizon=horizon,
        n_targets=n_targets, dropout=dropout, options=opts,
    )  # fmt: skip


class PositionQueries(keras.layers.Layer):
    """One learned embedding per output segment, tiled over the batch: `(batch * outs, 1,
    units)` (batch-major), the decoder input of SegRNN's parallel multi-step decoding."""

    def __init__(self, outs: int, units: int, **kwargs):
        super().__init__(**kwargs)
        self.outs, self.units = outs, units
        self.table = self.add_weight(shape=(outs, units), initializer="random_normal")

    def call(self, state):
        batch = keras.ops.shape(state)[0]
        tiled = keras.ops.tile(self.table[None], (batch, 1, 1))
        return keras.ops.reshape(tiled, (-1, 1, self.units))


def build_level_aware(
    *, lookback: int, n_inputs: int, horizon: int, n_targets: int, units: int = 32,
    dropout: float = 0.25, recurrent_lookback: int = 48, **options,
) -> keras.Model:  # fmt: skip
    """The default single LSTM, but its recurrent part reads the last `recurrent_lookback`
    steps of the raw (globally standardized) window beside the last-value-normalized ones,
    `(batch, recent, 2 * n_inputs)`: the level that the normalization hides from the ridge and
    the default LSTM. Layer names as `build_forecaster`'s, so the ridge start applies.
    Research only (`models.BUILDERS["level_aware"]`)."""
    opts = ModelOptions.from_kwargs("level_aware", {**options, "recurrent_lookback": None})
    recent = min(recurrent_lookback, lookback)
    window = keras.Input((lookback, n_inputs), name="window")
    normalized = WindowNormalization("last", name="normalize")(window)
    both = keras.layers.Concatenate()([normalized, window])
    both = keras.layers.Cropping1D((lookback - recent, 0), name="recent_steps")(both)
    x = models.common.recurrent_stack(both, (units,), opts)
    x = keras.layers.Dropout(dropout, name="head_dropout")(x)
    x = keras.layers.Dense(horizon * n_targets, name=HEAD)(x)
    skip = keras.layers.Flatten(name="skip_flatten")(normalized)
    skip = keras.layers.Dense(horizon * n_targets, kernel_initializer="zeros", name=LINEAR_SKIP)(
        skip
    )
    y = keras.layers.Reshape((horizon, n_targets))(keras.layers.Add()([x, skip]))
    y = WindowDenormalization("last", n_targets=n_targets, name="denormalize")([y, window])
    return keras.Model(window, y, name="level_aware_lstm")


def build_linear_only(
    *, lookback: int, n_inputs: int, horizon: int, n_targets: int, **options
) -> keras.Model:
    """The shared wrapper with a body that outputs zeros `(batch, 1)`: the linear path (and
    the head's bias) alone, a control for the joint variants. Research only."""
    opts = ModelOptions.from_kwargs("linear_only", options)
    zeros = keras.layers.Lambda(lambda x: keras.ops.zeros_like(x[:, -1, :1]), name="nothing")
    return build_forecaster(
        "linear_only", zeros, lookback=lookback, n_inputs=n_inputs, horizon=horizon,
        n_targets=n_targets, dropout=0.0, options=opts,
    )  # fmt: skip


models.BUILDERS["seasonal_input"] = build_seasonal_input_lstm
models.BUILDERS["linear_only"] = build_linear_only
models.BUILDERS["level_aware"] = build_level_aware
models.BUILDERS["segment_pmd"] = build_segment_pmd

# name -> Forecaster settings changed from the defaults; "skip": "joint" trains the ridge-started
# linear path with the LSTM, "finetune": fine-tune it (and the LSTM) after at that learning rate.
VARIANTS: dict[str, dict] = {
    "default": {},
    "linear path trained jointly (ridge start, not frozen)": {"skip": "joint"},
    "linear path fine-tuned after (lr 1e-4, patience 5)": {"finetune": 1e-4},
    "no recurrent part (the ridge-started linear path trained alone, MAE loss)": {
        "skip": "joint", "model": "linear_only"},
    "SegRNN, GRU 128": {"model": "segment_pmd", "model_options": {"units": 128}},
    "SegRNN + calendar columns": {"model": "segment_pmd", "calendar_columns": True},
    "SegRNN, GRU 128 + calendar columns seen twice in training (no day of year on 1 year)": {
        "model": "segment_pmd", "model_options": {"units": 128}, "calendar_columns": "seen twice"},
    "calendar columns seen twice in training (no day of year on 1 year)": {
        "calendar_columns": "seen twice"},
    "seasonal difference as extra LSTM input": {"model": "seasonal_input"},
    "level-aware LSTM (raw standardized window beside the normalized one)": {
        "model": "level_aware"},
    "SegRNN (segments 12, GRU 64, parallel multi-step decoding)": {"model": "segment_pmd"},
    "more regularization (dropout 0.5, l2 1e-4)": {
        "model_options": {"dropout": 0.5, "l2": 1e-4}},
    "batch 512, lr 3e-3, patience 10, LR schedule": {
        "batch_size": 512, "learning_rate": 3e-3, "patience": 10, "reduce_lr_patience": 3},
    "ensemble of 3 LSTM seeds": {"ensemble": 3},
    "calendar columns as past covariates (sin/cos hour, weekday, day of year)": {
        "calendar_columns": True},
    "level-aware LSTM + calendar columns": {"model": "level_aware", "calendar_columns": True},
}  # fmt: skip


class ResearchForecaster(Forecaster):
    """`Forecaster` with the research switch `skip_mode`: "frozen" (the default's) or "joint"
    (the ridge-started linear path trains with the rest)."""

    skip_mode = "frozen"

    def _new_model(self) -> keras.Model:
        model = super()._new_model()
        if self.skip_mode == "joint":
            model.get_layer(LINEAR_SKIP).trainable = True
            model = self._compiled(model)
        return model


# ---------------------------------------------------------------------------- one run
def _mae(tidy: pd.DataFrame, column: str) -> float:
    return float(np.abs(tidy[column] - tidy["actual"]).mean())


def linear_path_alone(f: Forecaster, span: pd.DataFrame, start: int) -> pd.Series:
    """The model's forecasts with its head zeroed (the linear path alone), restored after."""
    head = f.model_.get_layer(HEAD)
    kept = head.get_weights()
    head.set_weights([np.zeros_like(w) for w in kept])
    try:
        return f.predict_windows(span, start=start)["forecast"]
    finally:
        head.set_weights(kept)


def run(task: Task, frame: pd.DataFrame, lookback: int, settings: dict, seed: int, args) -> dict:
    """Train one model; its MAE, its linear path's and the training-loss story, per part."""
    tr, va = task.train, task.train + task.val
    settings = dict(settings)
    skip, finetune = settings.pop("skip", "frozen"), settings.pop("finetune", None)
    calendar = settings.pop("calendar_columns", False)
    if calendar:
        frame, settings["covariates"] = with_calendar(frame, tr, calendar == "seen twice")
    if args.calendar:
        settings["calendar"] = "on"  # the known-future calendar (calendar="auto" then)
    if settings.get("model") == "seasonal_input":  # a lag the lookback holds twice
        lag = task.season if 2 * task.season <= lookback else lookback // 2
        settings["model_options"] = {"season": lag, **settings.get("model_options", {})}
    options = dict(patience=args.patience, epochs=args.epochs, intervals="none")
    f = ResearchForecaster(
        lookback=lookback, horizon=task.horizon, target=task.target, season=task.season,
        seed=seed, verbose=0, **{**options, **settings},
    )  # fmt: skip
    f.skip_mode = skip
    train, val = frame.iloc[:tr], frame.iloc[tr - lookback : va]
    start = time.perf_counter()
    f.fit(train, val=val)
    epochs = f.fit_result_.epochs_run
    history = {k: list(v) for k, v in f.history_.items()}
    if finetune:
        f.model_.get_layer(LINEAR_SKIP).trainable = True
        f.model_ = training.compile_model(f.model_, f.loss, f.optimizer, finetune)
        f.fit(train, val=val)
        epochs += f.fit_result_.epochs_run
    seconds = time.perf_counter() - start
    row = {"epochs": epochs, "train_s": round(seconds, 1), "seed": seed}
    row["best_epoch"] = int(np.argmin(history["val_loss"])) + 1
    row["loss_first"], row["loss_best"] = history["loss"][0], min(history["loss"])
    row["val_loss_first"], row["val_loss_best"] = history["val_loss"][0], min(history["val_loss"])
    parts = {"train": (frame.iloc[:tr], tr - lookback), "val": (val, task.val)}
    if args.test:
        parts["test"] = (frame.iloc[va - lookback :], task.test)
    for part, (span, count) in parts.items():
        tidy = f.predict_windows(span, start=count)
        row[f"{part}_MAE"] = _mae(tidy, "forecast")
        tidy["alone"] = linear_path_alone(f, span, count).to_numpy()
        row[f"{part}_path_MAE"] = _mae(tidy, "alone")
    return row


# ---------------------------------------------------------------------------- report
def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Mean over seeds per (variant, task), with the ratios."""
    keys = ["variant", "task"]
    numeric = [c for c in table.columns if c not in (*keys, "dataset", "seed")]
    means = table.groupby(keys, sort=False)[numeric].mean()
    means["seeds"] = table.groupby(keys, sort=False)["seed"].nunique()
    for part in ("val", "test"):
        if f"{part}_MAE" in means:
            means[f"{part}_vs_linear"] = 100 * (means[f"{part}_MAE"] / means[f"{part}_lin"] - 1)
            means[f"{part}_share"] = 100 * (means[f"{part}_MAE"] / means[f"{part}_path_MAE"] - 1)
    return means.reset_index()


def _pct(x: float) -> str:
    return "" if pd.isna(x) else f"{x:+.2f} %"


def markdown(table: pd.DataFrame, command: str, args) -> str:
    means = summary(table)
    lines = []
    for part in ("val", "test"):
        if f"{part}_MAE" not in means or means[f"{part}_MAE"].isna().all():
            continue
        lines += [
            f"## {'Validation' if part == 'val' else 'Test'} MAE (original units)",
            "",
            "| variant | task | seeds | linear baseline | LSTM | vs linear | its linear path "
            "| recurrent share | epochs (best) | train loss 1st → best | val loss 1st → best "
            "| s |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for _, r in means[means[f"{part}_MAE"].notna()].iterrows():
            lines.append(
                f"| {r.variant} | {r.task} | {r.seeds:.0f} | {r[f'{part}_lin']:.4g} | "
                f"{r[f'{part}_MAE']:.4g} | {_pct(r[f'{part}_vs_linear'])} | "
                f"{r[f'{part}_path_MAE']:.4g} | {_pct(r[f'{part}_share'])} | "
                f"{r.epochs:.0f} ({r.best_epoch:.0f}) | {r.loss_first:.4f} → {r.loss_best:.4f} | "
                f"{r.val_loss_first:.4f} → {r.val_loss_best:.4f} | {r.train_s:.0f} |"
            )
        lines += ["", "Mean over the tasks each variant ran on (the goal: ≤ −3 % vs linear, no "
                  "task above +1 %):", ""]  # fmt: skip
        for variant, group in means[means[f"{part}_MAE"].notna()].groupby("variant", sort=False):
            worst = group.loc[group[f"{part}_vs_linear"].idxmax()]
            lines.append(
                f"- {variant}: {len(group)} tasks, mean vs linear "
                f"{group[f'{part}_vs_linear'].mean():+.2f} %, recurrent share "
                f"{group[f'{part}_share'].mean():+.2f} %, worst {worst.task} "
                f"{worst[f'{part}_vs_linear']:+.2f} %."
            )
        lines.append("")
    return "\n".join([
        *header("Does the LSTM earn its place? LSTM vs the linear baseline and its own linear "
                "path", command),
        *([f"- Runs: {args.runs}"] if args.runs else []),
        "",
        "Tasks (accuracy.py's protocol): ETTh1 OT horizons 24 and 168 (rows 0-8639 train, "
        "8640-11519 validation, 11520-14399 test); AirPassengers horizon 12 (last 24 months "
        "test, 24 before validation); Melbourne daily minimum temperatures horizon 7 (last 365 "
        "days test, 365 before validation); AEP_hourly horizon 24, sorted, duplicate hours "
        "averaged, missing hours interpolated, the most recent 18 months only (8760 / 2190 / "
        "2190 hours; cut to fit the machine). Every window at stride 1 whose targets lie in the "
        "part. Rows without `+ calendar=auto` use no calendar features; `--calendar` gives the "
        "Forecaster `calendar=\"auto\"` (the known-future calendar, read over the horizon).",
        "",
        "- linear baseline: accuracy.py's ridge on last-value-normalized windows (lookback and "
        "alpha chosen by validation MAE); the LSTM gets the same lookback.",
        "- LSTM: `Forecaster` defaults (single LSTM 32 on the last 48 steps + frozen ridge "
        f"skip) unless the variant says; early stopping on the validation part, patience "
        f"{args.patience}, at most {args.epochs} epochs (cut from 100 to fit the machine), no "
        "intervals. Validation figures share the early-stopping rows (an advantage to the "
        "LSTM, as the baseline's lookback and alpha were chosen there too).",
        "- its linear path: the same trained model with its head zeroed (the frozen ridge map "
        "alone; for the joint / fine-tuned variants, the trained linear path alone), on the "
        "same windows. `recurrent share`: LSTM MAE vs that.",
        "- train / val loss: the Keras loss (MAE on the standardized scale) in the first epoch "
        "and at its best; `epochs (best)`: epochs run and the best validation epoch.",
        "",
        *lines,
    ])  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    tasks = all_tasks()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=DATA_DIR)
    parser.add_argument("--out", default=None, help="results path without suffix")
    parser.add_argument("--tasks", nargs="+", choices=list(tasks), default=list(tasks))
    parser.add_argument("--variants", nargs="+", default=None, help="names (default: default)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--patience", type=int, default=5)
    parser.add_argument("--test", action="store_true", help="also score the test part")
    parser.add_argument("--calendar", action="store_true", help='calendar="auto"')
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--runs", default=None, help="with --report-only: the commands run")
    args = parser.parse_args(argv)
    if args.calendar and "calendar" not in Forecaster._param_names():
        parser.error("--calendar needs Forecaster(calendar=...), #15's known-future covariates")
    unknown = set(args.variants or ()) - set(VARIANTS)
    if unknown:
        parser.error(f"unknown variants {sorted(unknown)}; known: {list(VARIANTS)}")
    default_out = "lstm_variants" if args.variants else "lstm_vs_linear"
    out = Path(args.out or out_stem("lstm_vs_linear", default_out))
    out = out if out.is_absolute() else ROOT / out
    out.parent.mkdir(parents=True, exist_ok=True)
    log = out.with_suffix(".csv")
    command = command_line("lstm_vs_linear.py", argv)
    if not args.report_only:
        for key in args.tasks:
            task = tasks[key]
            frame = load_task(task, args.data_dir)
            values = frame[task.target].to_numpy(dtype=np.float64)
            lookback, alpha, linear, val_lin = linear_baseline(values, task)
            te0 = task.train + task.val
            test_lin = float(np.abs(linear - np.lib.stride_tricks.sliding_window_view(
                values[te0:], task.horizon)).mean())  # fmt: skip
            for name in args.variants or ["default"]:
                for seed in args.seeds:
                    row = run(task, frame, lookback, VARIANTS[name], seed, args)
                    label = name + (" + calendar=auto" if args.calendar else "")
                    row = {"variant": label, "task": key, "dataset": task.dataset,
                           "lookback": lookback, "alpha": alpha, "val_lin": val_lin,
                           "test_lin": test_lin if args.test else np.nan, **row}  # fmt: skip
                    print(
                        f"[{key}] {name} seed {seed}: val MAE {row['val_MAE']:.4g} vs linear "
                        f"{val_lin:.4g} ({100 * (row['val_MAE'] / val_lin - 1):+.2f} %), its "
                        f"path {row['val_path_MAE']:.4g}; {row['epochs']} epochs (best "
                        f"{row['best_epoch']}), {row['train_s']} s",
                        flush=True,
                    )
                    pd.DataFrame([row]).to_csv(log, mode="a", header=not log.exists(), index=False)
    table = pd.read_csv(log).drop_duplicates(["variant", "task", "seed"], keep="last")
    out.with_suffix(".md").write_text(markdown(table, command.strip(), args))
    means = summary(table)
    out.with_suffix(".json").write_text(json.dumps(means.to_dict("records"), indent=1))
    print(out.with_suffix(".md").read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
