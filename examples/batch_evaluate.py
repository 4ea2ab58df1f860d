"""Batch evaluation: a grid of models × datasets × horizons × seeds, as a leaderboard.

    python examples/batch_evaluate.py                          # examples/batch_config.toml
    python examples/batch_evaluate.py my_grid.toml --jobs 2    # cells in 2 processes

Each cell trains one `Forecaster` on the chronological train part, early-stops on the
validation part and scores the test part beside the baselines. Every finished cell becomes one
row of `<out>/results.csv`, written atomically (a new file renamed over the old one), so the
script can be killed at any moment: run it again and it skips the cells already in the CSV.
At the end `<out>/leaderboard.md` ranks the models by MAE (mean ± std over seeds) beside the
naive, seasonal-naive, mean and linear baselines, per dataset and horizon. Delete the CSV (or change
`out`) after changing the training settings, since cells are keyed by dataset, model, horizon
and seed only.
"""

from __future__ import annotations

import argparse
import csv
import io
import logging
import multiprocessing
import os
import sys
import time
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    try:
        import tomli as tomllib
    except ModuleNotFoundError:
        sys.exit("error: reading the TOML config needs Python 3.11+, or `pip install tomli`")

DEFAULT_CONFIG = Path(__file__).with_name("batch_config.toml")
KEY = ("dataset", "model", "horizon", "seed")
FIELDS = [
    *KEY, "lookback", "MAE", "RMSE", "MASE", "sMAPE",
    "naive_MAE", "seasonal_naive_MAE", "mean_MAE", "linear_MAE", "epochs_run", "best_epoch",
    "seconds", "OWA",
]  # fmt: skip
BASELINES = {
    "naive": "naive", "seasonal_naive": "seasonal naive", "mean": "mean",
    "linear": "linear (ridge)",
}  # fmt: skip


# ---------------------------------------------------------------------- the grid
def read_config(path: Path) -> dict[str, Any]:
    """The TOML config, with a clear message for the usual mistakes."""
    try:
        config = tomllib.loads(path.read_text())
    except FileNotFoundError:
        sys.exit(f"error: config {path} not found")
    except tomllib.TOMLDecodeError as exc:
        sys.exit(f"error: {path} is not valid TOML ({exc})")
    for key in ("models", "seeds", "datasets"):
        if not config.get(key):
            sys.exit(f"error: {path} needs a non-empty `{key}`")
    return config


def grid(config: dict[str, Any]) -> list[dict[str, Any]]:
    """One dict per cell: everything a worker needs, plain data only (it is pickled)."""
    cells = []
    for data in config["datasets"]:
        own = ("name", "path", "lookback", "horizons", "test_size", "val_size")
        load = {k: v for k, v in data.items() if k not in own}
        for horizon in data["horizons"]:
            for model in config["models"]:
                for seed in config["seeds"]:
                    cells.append(
                        {
                            "dataset": data["name"],
                            "path": data["path"],
                            "load": load,
                            "lookback": data["lookback"],
                            "horizon": horizon,
                            "model": model,
                            "seed": seed,
                            "split": config.get("split", [0.6, 0.2, 0.2]),
                            "sizes": [data.get("test_size"), data.get("val_size")],
                            "train": config.get("train", {}),
                            "model_options": config.get("model_options", {}).get(model, {}),
                        }
                    )
    return cells


def key_of(row: dict[str, Any]) -> tuple[str, ...]:
    return tuple(str(row[k]) for k in KEY)


# ---------------------------------------------------------------------- one cell (in a worker)
def limit_threads(jobs: int) -> None:
    """Share the CPU cores between worker processes (set before TensorFlow starts)."""
    threads = str(max(1, (os.cpu_count() or 1) // jobs))
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", threads)
    os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")


def run_cell(cell: dict[str, Any]) -> dict[str, Any]:
    """Train and score one cell; returns its results row. The Forecaster seeds Python, NumPy
    and the backend with the cell's seed, so each cell is repeatable in any worker."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # retracing notes between cells
    import keras

    from forecast import Forecaster, load_series
    from forecast.panel import history_of
    from forecast.windowing import SplitSpec, split_series

    began = time.perf_counter()
    series = load_series(cell["path"], **cell["load"])  # with `id_col`: many series
    test_size, val_size = cell.get("sizes") or (None, None)
    spec = SplitSpec(test_size=test_size, val_size=val_size) if test_size else None
    spec = spec or SplitSpec(tuple(cell["split"]))
    parts = split_series(series, spec, context=cell["lookback"])
    forecaster = Forecaster(
        model=cell["model"],
        lookback=cell["lookback"],
        horizon=cell["horizon"],
        seed=cell["seed"],
        model_options=cell["model_options"],
        verbose=0,
        **cell["train"],
    )
    forecaster.fit(parts)  # one global model for many series
    report = forecaster.evaluate(parts.test, history=history_of(parts))
    overall = report.overall()
    target = overall.index.get_level_values("target")[0]  # the first target
    scores = overall.loc[target]
    fitted = forecaster.fit_result_
    keras.backend.clear_session()  # free the graph before the next cell in this process
    return {
        **{k: cell[k] for k in KEY},
        "lookback": cell["lookback"],
        **{m: float(scores.loc["model", m]) for m in ("MAE", "RMSE", "MASE", "sMAPE")},
        **{
            f"{b}_MAE": float(scores.loc[b, "MAE"]) if b in scores.index else float("nan")
            for b in BASELINES
        },
        "epochs_run": fitted.epochs_run,
        "best_epoch": fitted.best_epoch,
        "seconds": round(time.perf_counter() - began, 1),
        "OWA": report.competition[target]["model"]["OWA"],  # M4's, mean over series
    }


def run_inline(cell: dict[str, Any]) -> Future:
    """`run_cell` in this process, its outcome wrapped like a worker's."""
    future: Future = Future()
    try:
        future.set_result(run_cell(cell))
    except Exception as exc:
        future.set_exception(exc)
    return future


# ---------------------------------------------------------------------- results file
def read_results(path: Path) -> list[dict[str, str]]:
    """The rows already in the CSV (none when it does not exist yet)."""
    if not path.is_file():
        return []
    with open(path, newline="") as fh:
        return [row for row in csv.DictReader(fh) if all(row.get(k) for k in KEY)]


def append_row(path: Path, row: dict[str, Any]) -> None:
    """Add one row: write the whole file anew beside the old one, then rename it over the
    old one (atomic), so a kill leaves either the old file or the new one, never half a row.
    A file written with fewer columns (an older version) gets today's header, its rows kept."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS, lineterminator="\n", restval="")
    writer.writeheader()
    for old in read_results(path):
        writer.writerow({k: v for k, v in old.items() if k in FIELDS})
    writer.writerow(row)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="") as fh:
        fh.write(buffer.getvalue())
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


# ---------------------------------------------------------------------- leaderboard
def leaderboard(rows: list[dict[str, str]]) -> str:
    """Markdown: per dataset and horizon, models (mean ± std over seeds) and baselines,
    best MAE first."""
    import pandas as pd

    if not rows:
        return "No results yet.\n"
    table = pd.DataFrame(rows)
    for col in FIELDS[4:]:
        table[col] = pd.to_numeric(table.get(col), errors="coerce")
    table["horizon"] = table["horizon"].astype(int)

    def cell(values: pd.Series) -> str:
        if len(values) < 2:
            return f"{values.mean():.4g}"
        return f"{values.mean():.4g} ± {values.std():.2g}"

    lines = ["# Leaderboard", ""]
    lines.append("Test-set scores in original units; mean ± standard deviation over seeds.")
    for (dataset, horizon), group in table.groupby(["dataset", "horizon"], sort=False):
        ranked = []
        for model, runs in group.groupby("model", sort=False):
            ranked.append(
                (runs["MAE"].mean(), model, cell(runs["MAE"]), cell(runs["RMSE"]),
                 cell(runs["MASE"]), str(len(runs)))
            )  # fmt: skip
        for base, name in BASELINES.items():
            mae = group[f"{base}_MAE"].mean()
            if mae == mae:  # NaN: not scored (rows from an older version)
                ranked.append((mae, f"*{name}* (baseline)", f"{mae:.4g}", "", "", ""))
        lookback = int(group["lookback"].iloc[0])
        lines += ["", f"## {dataset}, horizon {horizon} (lookback {lookback})", ""]
        lines += ["| rank | method | MAE | RMSE | MASE | seeds |", "|---:|---|---|---|---|---:|"]
        for rank, (_, *cells) in enumerate(sorted(ranked, key=lambda r: r[0]), start=1):
            lines.append(f"| {rank} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config", nargs="?", type=Path, default=DEFAULT_CONFIG)
    parser.add_argument("--jobs", type=int, default=1, help="cells run in parallel processes")
    parser.add_argument("--out", type=Path, help="output folder (default: `out` in the config)")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")

    config = read_config(args.config)
    out = args.out or Path(config.get("out", "runs/batch"))
    out.mkdir(parents=True, exist_ok=True)
    results = out / "results.csv"
    done = {key_of(row) for row in read_results(results)}
    todo, missing = [], set()
    for cell in grid(config):
        if not Path(cell["path"]).is_file():
            missing.add(cell["path"])
        elif key_of(cell) not in done:
            todo.append(cell)
    for path in sorted(missing):
        print(f"skipping {path}: file not found")
    print(f"{len(done)} cells already in {results}, {len(todo)} to run with {args.jobs} job(s)")

    failed = 0
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn()]
    with Progress(*columns, TimeElapsedColumn()) as progress:
        bar = progress.add_task("cells", total=len(todo))

        def finished(cell: dict[str, Any], future: Future) -> None:
            nonlocal failed
            name = "/".join(key_of(cell))
            try:
                row = future.result()
            except Exception as exc:  # one failing cell must not stop the grid
                failed += 1
                progress.console.print(f"[red]{name} failed:[/] {type(exc).__name__}: {exc}")
            else:
                append_row(results, row)
                progress.console.print(f"{name}: MAE {row['MAE']:.4g} in {row['seconds']} s")
            progress.advance(bar)

        if args.jobs == 1:  # in this process, one cell after the other
            limit_threads(1)
            for cell in todo:
                finished(cell, run_inline(cell))
        else:  # fresh processes ("spawn"): no state shared with this one
            spawn = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(
                args.jobs, mp_context=spawn, initializer=limit_threads, initargs=(args.jobs,)
            ) as pool:
                futures = {pool.submit(run_cell, cell): cell for cell in todo}
                for future in as_completed(futures):
                    finished(futures[future], future)

    board = leaderboard(read_results(results))
    (out / "leaderboard.md").write_text(board)
    print()
    print(board)
    print(f"results: {results}\nleaderboard: {out / 'leaderboard.md'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
