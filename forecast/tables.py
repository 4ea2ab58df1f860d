"""What the `forecast` command line prints: tables of metrics and folds, numbers, JSON.

`forecast.cli` holds the commands; `forecast.tables` formats their results with rich, so a reader
finds every table in one place. Nothing here computes a result.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from forecast import files

METHOD_NAMES = {"seasonal_naive": "seasonal naive", "linear": "linear (ridge)"}


def num(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    value = float(value)
    return f"{value:,.0f}" if abs(value) >= 10_000 else f"{value:.4g}"


def metrics_tables(overall: Any, model: str) -> list[Table]:
    """One table per target: a row per method (model first), a column per metric."""
    from forecast.evaluation import METRICS

    tables = []
    for target in overall.index.get_level_values("target").unique():
        rows = overall.loc[target]
        best = rows["MAE"].idxmin()
        table = Table(title=f"target {target}", title_justify="left")
        table.add_column("method")
        for metric in METRICS:
            table.add_column(metric, justify="right")
        for method, row in rows.iterrows():
            name = f"model ({model})" if method == "model" else METHOD_NAMES.get(method, method)
            style = "bold" if method == "model" else None
            cells = [num(row[m]) for m in METRICS]
            if method == best:
                cells[0] = f"[green]{cells[0]}[/]"
            table.add_row(name, *cells, style=style)
        tables.append(table)
    return tables


def print_report(console: Console, report: Any, heading: str, model: str) -> None:
    console.print(heading, soft_wrap=True)
    for table in metrics_tables(report.overall(), model):
        console.print(table)
    if report.competition and report.per_series["series"].nunique() > 1:  # many series
        console.print(competition_table(report.competition, report.per_series, model))
    if report.intervals is not None:
        console.print(intervals_table(report.interval_overall(), model))
    if report.interval_mode is not None:
        console.print(interval_mode_line(report.interval_mode), soft_wrap=True)
    for note in report.notes:
        console.print(note, soft_wrap=True)


def interval_mode_line(mode: dict) -> str:
    """The report line naming the interval mode used and why (`Report.interval_mode`)."""
    if mode["mode"] == "auto":
        return f"intervals: {mode['used']} (auto, chosen on validation: {mode['reason']})"
    return f"intervals: {mode['used']} ({mode['reason']})"


def competition_table(aggregate: dict, per_series: Any, model: str, worst: int = 3) -> Table:
    """The competitions' metrics averaged over series (M4's OWA vs Naive2), per target and
    method, and the series where the model's sMAPE is worst."""
    n = per_series["series"].nunique()
    table = Table(title=f"per series, mean over {n} series (M4 definitions)", title_justify="left")
    for name in ("target", "method", "sMAPE", "MASE", "OWA"):
        table.add_column(name, justify="left" if name in ("target", "method") else "right")
    for target, methods in aggregate.items():
        for method, row in methods.items():
            name = f"model ({model})" if method == "model" else METHOD_NAMES.get(method, method)
            cells = [num(row.get(m)) for m in ("sMAPE", "MASE", "OWA")]
            table.add_row(str(target), name, *cells, style="bold" if method == "model" else None)
    rows = per_series[per_series["method"] == "model"].nlargest(worst, "sMAPE")
    worst_text = ", ".join(
        f"{r.series} (sMAPE {num(r.sMAPE)}, MASE {num(r.MASE)}, by {r.forecast_by})"
        for r in rows.itertuples()
    )
    table.caption = f"worst series: {worst_text}"
    table.caption_justify = "left"
    return table


def intervals_table(overall: Any, model: str) -> Table:
    """Prediction intervals: a row per (target, method, level) of `Report.interval_overall`
    (or a backtest's mean over folds): coverage, mean width, pinball loss, MSIS."""
    from forecast.intervals import INTERVAL_METRICS

    title = "prediction intervals (naive: its own conformal errors)"
    table = Table(title=title, title_justify="left")
    for name in ("target", "method", "level"):
        table.add_column(name)
    for metric in INTERVAL_METRICS:
        table.add_column("coverage %" if metric == "coverage" else metric, justify="right")
    for (target, method, level), row in overall.iterrows():
        name = f"model ({model})" if method == "model" else METHOD_NAMES.get(method, method)
        cells = [num(row[m]) for m in INTERVAL_METRICS]
        table.add_row(str(target), name, f"{level:g}%", *cells)
    return table


def echo_json(payload: Any) -> None:
    """Print `payload` as valid JSON (NaN and infinities as null; `forecast.files.json_text`)."""
    typer.echo(files.json_text(payload))


def data_line(data: Path, series: Any, parts: Any) -> str:
    from forecast.series_set import keyed

    frames = keyed(series)
    first = next(iter(frames.values()))
    info = first.attrs["forecast"]
    many = "" if frames.lone else f"{len(frames)} series, "
    covs = f", covariates {', '.join(info['covariates'])}" if info["covariates"] else ""
    text = (
        f"data   {data}: {many}{len(first)} rows, freq {info['freq'] or 'none (steps)'}, "
        f"target {', '.join(info['target'])}{covs}"
    )
    spans = (
        parts.spans if "series" not in parts.spans else next(iter(parts.spans["series"].values()))
    )
    pieces = [
        f"{name} {s['start']} … {s['end']} ({s['rows']} rows)"
        for name, s in ((n, spans[n]) for n in ("train", "val", "test"))
        if s["rows"]
    ]
    note = f"\nnote   {parts.spans['split_note']}" if "split_note" in parts.spans else ""
    return text + "\nsplit  " + "\n       ".join(pieces) + note


def fit_summary(forecaster: Any, fitted: Any, seconds: float) -> str:
    params = forecaster.model_.count_params()
    how = "stopped early" if fitted.stopped_early else f"epoch limit {forecaster.epochs}"
    if fitted.resumed_from:
        how += f", resumed after epoch {fitted.resumed_from}"
    if fitted.best_epoch:
        best = f"best epoch {fitted.best_epoch} (val_loss {fitted.best_value:.4g})"
    elif fitted.best_epoch == 0:
        best = (
            f"best epoch 0, the starting point (val_loss {fitted.best_value:.4g}): no epoch beat it"
        )
    elif getattr(fitted, "validated", False):
        best = "val_loss never improved: kept the last epoch"
    else:
        best = "no validation: kept the last epoch"
    steps = getattr(forecaster, "lookback_", forecaster.lookback)  # the one chosen
    return (
        f"model  {forecaster.model_.name}: {params:,} parameters, lookback "
        f"{steps} → horizon {forecaster.horizon}\n"
        f"fit    {fitted.epochs_run} epochs ({how}), {best}, {seconds:.1f} s"
    )


def when(value: Any) -> str:
    """A timestamp as the tables show it (`forecast.splits.format_stamp`)."""
    from forecast.splits import format_stamp

    return format_stamp(value)


def folds_table(folds: Any, mode: str, test_size: int) -> Table:
    """MAE per fold and method, by test block (training ends right before it; a sliding
    window also shows where training starts); with --refit-every, which folds retrained."""
    methods = list(folds["method"].unique())
    targets = list(folds["target"].unique())
    show_refit = not folds["refit"].all()
    table = Table(
        title=f"MAE per fold (test blocks of {test_size} rows)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("fold", justify="right")
    if len(targets) > 1:
        table.add_column("target")
    if mode == "sliding":
        table.add_column("train from", no_wrap=True)
    table.add_column("test from", no_wrap=True)
    if show_refit:
        table.add_column("refit")
    for method in methods:
        table.add_column("s. naive" if method == "seasonal_naive" else method, justify="right")
    for (fold, target), rows in folds.groupby(["fold", "target"], sort=False):
        first = rows.iloc[0]
        mae = dict(zip(rows["method"], rows["MAE"], strict=True))
        cells = [str(fold)] + ([str(target)] if len(targets) > 1 else [])
        cells += [when(first["train_start"])] if mode == "sliding" else []
        cells += [when(first["test_start"])]
        cells += ["yes" if first["refit"] else "no"] if show_refit else []
        table.add_row(*cells, *(num(mae.get(m)) for m in methods))
    return table


def load_lines(series: Any, time: bool = True) -> list[str]:
    """What loading the data decided and changed (`forecast.series.load_report`; the time
    column too unless `time=False`), each line starting `load   `, like the other lines of
    `forecast train`."""
    from forecast.series import load_report

    return [f"load   {line}" for line in load_report(series, time=time)]


def forecast_table(preds: Any, lone: str | None = None) -> Table:
    """`forecast predict`'s table: a row per future timestamp, a column per target (and the
    series id, for many series; interval bounds `lo-80` ... without the `lone` target's name)."""
    table = Table()
    table.add_column(preds.index.name or "time")
    for col in preds.columns:
        head = str(col).removeprefix(f"{lone}-") if lone else str(col)
        table.add_column(head, justify="left" if col == "series" else "right")
    for stamp, row in preds.iterrows():
        table.add_row(when(stamp), *(v if isinstance(v, str) else num(v) for v in row))
    return table


def datasets_table(title: str, found: list[Any]) -> Table:
    """`forecast datasets`: a row per `forecast.catalogue.DatasetInfo`: its path, the options to
    pass and one line on what it holds; its rows and frequency."""

    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("path, the options to pass, what it holds", overflow="fold")
    table.add_column("rows", justify="right", no_wrap=True)
    table.add_column("freq", no_wrap=True)
    for d in found:
        path = os.path.relpath(d.path) if d.path.is_absolute() else str(d.path)
        freq = str(d.freq) if d.freq else ("steps" if d.time_col is None else "?")
        cell = f"{path}\n  [dim]{d.options}[/]\n  [italic]{d.summary}[/]"
        table.add_row(cell, f"{d.rows:,}", freq)
    return table


def environment_table(env: dict[str, Any]) -> Table:
    """`forecast info`: versions, devices and cuDNN eligibility (`forecast.models.environment`)."""
    table = Table(title="forecast environment", title_justify="left", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value")
    for key in ("forecast", "python", "keras", "backend", "tensorflow", "jax", "torch"):
        if env[key] is not None:
            table.add_row(key, env[key])
    table.add_row("CUDA_VISIBLE_DEVICES", str(env["CUDA_VISIBLE_DEVICES"] or "(unset)"))
    table.add_row("visible GPUs", ", ".join(env["gpus"]) or "none")
    eligible = env["default_model_cudnn_eligible"]
    table.add_row(
        "default LSTM cuDNN-eligible",
        "yes" if eligible else "no: " + "; ".join(env["cudnn_problems"]),
    )
    table.add_row(
        "default LSTM uses cuDNN",
        "yes" if env["uses_cudnn"] else "no (no GPU visible)" if eligible else "no",
    )
    if env["speed_hint"]:
        table.add_row("faster CPU training", env["speed_hint"])
    return table


# `forecast tune`'s trial table in 80 columns: short headers and values (search.csv keeps
# the full ones), explained in the table's caption.
SEARCH_HEADERS = {"trial": "#", "val_MAE": "val MAE", "best_epoch": "ep", "lookback": "lb",
                  "learning_rate": "lr", "normalize": "norm", "dropout": "drop",
                  "status": "ended"}  # fmt: skip
SEARCH_VALUES = {"(model's)": "def", "finished": "done", "stopped by ASHA": "ASHA",
                 "mean_std": "m_std"}  # fmt: skip
SEARCH_CAPTION = ("ep: best epoch; lb: lookback; lr: learning rate; def: the model's default; "
                  "ASHA: stopped early by ASHA; full table in search.csv")  # fmt: skip


def _search_value(value: Any) -> str:
    if isinstance(value, float):
        return num(value)
    text = str(value)
    return "error" if text.startswith("error") else SEARCH_VALUES.get(text, text)


def search_table(table: Any, limit: int = 12) -> Table:
    """`forecast tune`: the best `limit` trials of the search table (best validation MAE
    first), their values of the search space and how each ended, in 80 columns (the short
    names are explained by `SEARCH_CAPTION`, printed under it)."""
    shown = Table(title="trials, best validation MAE first", title_justify="left",
                  box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)  # fmt: skip
    for col in table.columns:
        justify = "left" if col in ("model", "status", "normalize", "loss") else "right"
        shown.add_column(SEARCH_HEADERS.get(col, str(col)), justify=justify, no_wrap=True)
    for _, row in table.head(limit).iterrows():
        shown.add_row(*(_search_value(v) for v in row))
    return shown


# `forecast tune`'s live lines, one a trial as it ends, in the trial table's columns: the
# width of each (wider values push the line, they are never cut)
TRIAL_WIDTHS = {"trial": 3, "val_MAE": 8, "best_epoch": 3, "status": 5, "lookback": 4,
                "model": 9, "units": 5, "dropout": 4, "learning_rate": 8, "normalize": 5,
                "loss": 5}  # fmt: skip
TRIAL_LEFT = ("status", "model", "normalize", "loss")


def _trial_cells(row: dict[str, Any], header: bool) -> str:
    cells = []
    for key, value in row.items():
        text = SEARCH_HEADERS.get(key, key) if header else _search_value(value)
        if not header and key == "val_MAE":
            text = num(value)
        width = TRIAL_WIDTHS.get(key, len(SEARCH_HEADERS.get(key, key)))
        cells.append(text.ljust(width) if key in TRIAL_LEFT else text.rjust(width))
    return "  ".join(cells).rstrip()


def trial_text(row: dict[str, Any], header: bool = False) -> str:
    """`forecast tune`'s live line for one trial that ended (`header`: the line naming its
    columns), in 80 columns: the trial table's short names and values (`SEARCH_HEADERS`,
    `SEARCH_VALUES`; an error is "error", its message is in search.csv)."""
    return _trial_cells(row, header)


def trial_line(progress: Any, task: Any) -> Any:
    """`on_trial` for `forecast tune`: print the trial's line (`trial_text`; the column
    names before the first), advance the rich progress bar `progress`'s `task`."""
    shown = []

    def show(row: dict[str, Any]) -> None:
        if not shown:
            progress.console.print(trial_text(row, header=True), soft_wrap=True)
        progress.console.print(trial_text(row), soft_wrap=True)
        shown.append(row["trial"])
        progress.advance(task)

    return show


def print_search(console: Console, result: Any, out: Path) -> None:
    """`forecast tune`: the trials table, the default's and the best validation MAE, then the
    winner's test report (`forecast.distributed.tuning.TuneResult`)."""
    console.print(search_table(result.table))
    console.print(SEARCH_CAPTION, style="dim")
    best = result.table.loc[0, "val_MAE"]
    console.print(
        f"validation MAE: default (trial 0) {num(result.default_val_mae)}, best {num(best)} "
        f"(trial {result.table.loc[0, 'trial']}); {result.seconds:.0f} s",
        soft_wrap=True,
    )
    heading = f"winner on the test part (scored once), saved to {out} with search.csv"
    print_report(console, result.run.report, heading, result.best["model"])
