"""Batch evaluation: a grid of models × datasets × horizons × seeds, run locally or on Ray.

Each cell trains one `Forecaster` on the chronological train part, early-stops on the
validation part and scores the test part beside the baselines (`run_cell`). The driver (the
process that calls `run_grid`) is the only writer of the results: every finished cell becomes
its own part file, `<out>/parts/*.csv`, written atomically (`record_row`: a new file renamed
over the old one; no other file is touched, so a row costs the same at the 10,000th cell as at
the first), and `<out>/results.csv` is assembled from the parts (`assemble`, one rename) when
the run ends, Ctrl-C included, and when the next run starts. A grid can be killed at any
moment and run again: cells already finished are skipped.

Data paths in the config are made absolute at the driver (relative to its working
directory), so every Ray worker opens the same file whatever directory its node was started
from; before the first cell a tiny task on every node checks that it sees them
(`check_nodes`).

Engines (`ENGINES`):
- "local": the cells one after the other in this process, or in `jobs` spawned processes.
- "ray": each cell is a Ray task asking for `cpus` CPUs and `gpus` GPUs, on a cluster at
  `address` ("auto", "HOST:PORT") or on a Ray instance started here (None), at most `in_flight`
  tasks submitted at once (default: twice the cells the cluster runs together). A task whose worker
  dies is retried `max_retries` times by Ray; if it still fails, the cell is recorded as
  failed, with its error, and is run again by the next run of the grid (its row replaced, never
  duplicated).

At the end `<out>/leaderboard.md` ranks the models by MAE (mean ± std over seeds) beside the
naive, seasonal-naive, mean and linear baselines, per dataset and horizon. Cells are keyed by
dataset, model, horizon and seed only: use a new `out` after changing the training settings.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forecast.errors import ConfigError, DataError, check_choice, check_positive_int
from forecast.files import check_writable_folder, write_output, write_text_output

ENGINES = ("local", "ray")
# `forecast tune --search`: who draws trials 1.. (forecast.distributed.tuning); declared here,
# beside ENGINES, so the CLI reads both without importing the tuning module
SEARCHES = ("random", "optuna")
KEY = ("dataset", "model", "horizon", "seed")
FIELDS = [
    *KEY, "lookback", "MAE", "RMSE", "MASE", "sMAPE",
    "naive_MAE", "seasonal_naive_MAE", "mean_MAE", "linear_MAE", "epochs_run", "best_epoch",
    "seconds", "OWA", "status", "error",
]  # fmt: skip
BASELINES = {
    "naive": "naive", "seasonal_naive": "seasonal naive", "mean": "mean",
    "linear": "linear (ridge)",
}  # fmt: skip
OK, FAILED = "ok", "failed"  # the `status` column; rows from older versions have none (ok)


# ---------------------------------------------------------------------- the grid
def read_config(path: str | os.PathLike) -> dict[str, Any]:
    """The grid's TOML config (see `examples/batch_config.toml`).

    Raises:
        ConfigError: for a missing or invalid file, or an empty `models`, `seeds` or
            `datasets` (setting "config").
    """
    import tomllib  # Python 3.11+; on 3.10 `pip install tomli` and alias it

    path = Path(path)
    try:
        config = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"config {path} not found", setting="config") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML ({exc})", setting="config") from None
    for key in ("models", "seeds", "datasets"):
        if not config.get(key):
            raise ConfigError(f"{path} needs a non-empty `{key}`", setting="config")
    return config


OWN_KEYS = ("name", "path", "lookback", "horizons", "test_size", "val_size")  # a dataset's
SET_BY_GRID = ("model", "lookback", "horizon", "seed", "model_options", "verbose")


def check_config(config: dict[str, Any]) -> None:
    """Check the whole grid before its first cell: every dataset table (name, path, a whole
    `lookback`, `horizons` a list of whole numbers, no key `load_series` does not take), the
    `[train]` keys, every model with its options and every setting (`Forecaster.check_settings`),
    and at least one dataset file present.

    Raises:
        ConfigError: naming the table and key (setting "config").
    """
    from forecast.forecaster import Forecaster
    from forecast.series import LoadOptions

    loads = set(LoadOptions.names())
    for key in ("models", "seeds", "datasets"):
        if not isinstance(config.get(key), list) or not config[key]:
            raise ConfigError(f"the config needs a non-empty list `{key}`")
    train = config.get("train", {})
    wrong = sorted(set(train) - (set(Forecaster().get_params()) - set(SET_BY_GRID)))
    if wrong:
        raise ConfigError(
            f"[train] key `{wrong[0]}` is not a Forecaster setting the grid lets you set "
            "(e.g. epochs, patience, batch_size, learning_rate)"
        )  # fmt: skip
    for number, data in enumerate(config["datasets"], start=1):
        label = f"[[datasets]] {data.get('name') or f'#{number}'}"
        _check_dataset(data, label, loads)
        for model in config["models"]:
            for horizon in data["horizons"]:
                try:
                    Forecaster(
                        model=model, lookback=data["lookback"], horizon=horizon,
                        model_options=config.get("model_options", {}).get(model, {}),
                        **train,
                    ).check_settings()  # fmt: skip
                except ConfigError as exc:
                    raise ConfigError(f"{label}, model {model!r}: {exc}") from None
    paths = [str(d["path"]) for d in config["datasets"]]
    if not any(Path(p).is_file() for p in paths):
        raise ConfigError(
            f"no dataset file of the config exists ({', '.join(paths)}); check the paths "
            "(relative to the folder you run from)"
        )  # fmt: skip


def _check_dataset(data: Any, label: str, loads: set) -> None:
    if not isinstance(data, Mapping):
        raise ConfigError(f"{label} must be a table")
    for key in ("name", "path", "lookback", "horizons"):
        if key not in data:
            raise ConfigError(f"{label} needs `{key}`")
    horizons = data["horizons"]
    whole = [isinstance(h, int) and not isinstance(h, bool) and h > 0 for h in
             (horizons if isinstance(horizons, list) else [None])]  # fmt: skip
    if not isinstance(horizons, list) or not horizons or not all(whole):
        raise ConfigError(
            f"{label}: horizons must be a list of whole numbers like [12] or [12, 24], got "
            f"{horizons!r}"
        )
    lookback = data["lookback"]
    if not isinstance(lookback, int) or isinstance(lookback, bool) or lookback < 1:
        raise ConfigError(f"{label}: lookback must be a whole number like 24, got {lookback!r}")
    unknown = sorted(set(data) - set(OWN_KEYS) - loads)
    if unknown:
        raise ConfigError(
            f"{label}: unknown key `{unknown[0]}`; a dataset takes {', '.join(OWN_KEYS)} and "
            f"the load options {', '.join(sorted(loads))}"
        )  # fmt: skip


def grid(config: dict[str, Any]) -> list[dict[str, Any]]:
    """One dict per cell: everything a worker needs, plain data only (it is pickled)."""
    cells = []
    for data in config["datasets"]:
        load = {k: v for k, v in data.items() if k not in OWN_KEYS}
        for horizon in data["horizons"]:
            for model in config["models"]:
                for seed in config["seeds"]:
                    cells.append(
                        {
                            "dataset": data["name"],
                            "path": os.path.abspath(data["path"]),  # the driver's cwd
                            "load": load,
                            "lookback": data["lookback"],
                            "horizon": horizon,
                            "model": model,
                            "seed": seed,
                            "split": config.get("split"),  # None: SplitSpec's
                            "sizes": [data.get("test_size"), data.get("val_size")],
                            "train": config.get("train", {}),
                            "model_options": config.get("model_options", {}).get(model, {}),
                        }
                    )
    return cells


def key_of(row: dict[str, Any]) -> tuple[str, ...]:
    """The cell's identity in the results file: (dataset, model, horizon, seed) as text."""
    return tuple(str(row[k]) for k in KEY)


# ---------------------------------------------------------------------- one cell (in a worker)
def limit_threads(threads: int) -> None:
    """Give each cell `threads` CPU threads (set before the backend starts in this process)."""
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", str(threads))
    os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")


def run_cell(cell: dict[str, Any]) -> dict[str, Any]:
    """Train and score one cell; returns its results row. The Forecaster seeds Python, NumPy
    and the backend with the cell's seed, so each cell is repeatable in any worker."""
    import logging

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if cell.get("backend"):
        os.environ.setdefault("KERAS_BACKEND", cell["backend"])
    limit_threads(cell.get("threads", 1))
    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # retracing notes between cells
    import keras

    from forecast import runs
    from forecast.forecaster import Forecaster
    from forecast.series import LoadOptions
    from forecast.splits import SplitSpec

    began = time.perf_counter()
    options = LoadOptions.of(cell["load"])  # with `id_col`: many series
    series = runs.load_data(cell["path"], options, cell["lookback"], cell["horizon"])
    test_size, val_size = cell.get("sizes") or (None, None)
    spec = SplitSpec(test_size=test_size, val_size=val_size) if test_size else None
    spec = spec or SplitSpec(tuple(cell["split"]) if cell.get("split") else None)
    forecaster = Forecaster(
        model=cell["model"], lookback=cell["lookback"], horizon=cell["horizon"],
        seed=cell["seed"], model_options=cell["model_options"], verbose=0, **cell["train"],
    )  # fmt: skip
    report = runs.train(forecaster, series, spec).report  # THE train workflow, in memory
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
        "status": OK,
    }


def failed_row(cell: dict[str, Any], error: BaseException) -> dict[str, Any]:
    """The results row of a cell that failed: its key, `status` "failed" and the error, one
    line; the next run of the grid runs it again."""
    text = " ".join(f"{type(error).__name__}: {error}".split())
    return {**{k: cell[k] for k in KEY}, "lookback": cell["lookback"], "status": FAILED,
            "error": text[:500]}  # fmt: skip


# ---------------------------------------------------------------------- results file
def read_results(path: str | os.PathLike) -> list[dict[str, str]]:
    """The rows in the results CSV, failed ones included (none when it does not exist yet)."""
    path = Path(path)
    if not path.is_file():
        return []
    with open(path, newline="") as fh:
        return [row for row in csv.DictReader(fh) if all(row.get(k) for k in KEY)]


def finished(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The rows of cells that finished (status "ok", or none: a file from an older version)."""
    return [row for row in rows if row.get("status") in (None, "", OK)]


PARTS = "parts"  # <out>/parts/: one results file per finished (or failed) cell


def part_path(out: str | os.PathLike, row: dict[str, Any]) -> Path:
    """`<out>/parts/<dataset>-<model>-h<horizon>-s<seed>-<hash>.csv`: the cell's own file
    (the hash of its key keeps two keys that print alike apart)."""
    key = key_of(row)
    slug = "-".join(key[:2]) + f"-h{key[2]}-s{key[3]}"
    slug = "".join(c if c.isalnum() or c in "-_." else "_" for c in slug)[:80]
    digest = hashlib.sha1("\x1f".join(key).encode()).hexdigest()[:10]
    return Path(out) / PARTS / f"{slug}-{digest}.csv"


def _csv_text(rows: list[dict[str, Any]]) -> str:
    """`rows` as CSV text with the header `FIELDS` (unknown columns left out)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS, lineterminator="\n", restval="")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: v for k, v in row.items() if k in FIELDS})
    return buffer.getvalue()


def record_row(out: str | os.PathLike, row: dict[str, Any]) -> Path:
    """Write one cell's row as its own part file (`part_path`), atomically, replacing an
    earlier part of the same cell (a failed attempt). O(1) per row: no other file is read
    or rewritten. Returns the part's path."""
    return write_text_output(part_path(out, row), _csv_text([row]), setting="results")


def read_parts(out: str | os.PathLike) -> list[dict[str, str]]:
    """The rows of every part in `<out>/parts`, one per cell, in file-name order."""
    rows = []
    for path in sorted((Path(out) / PARTS).glob("*.csv")):
        if not path.stem.endswith(".tmp"):  # a part being written (`files.atomic_write`)
            rows.extend(read_results(path))
    return rows


def recovered_parts(out: str | os.PathLike) -> list[dict[str, str]]:
    """The rows of every part (`read_parts`); a results.csv from an older version (no parts
    folder) is first split into parts, so its rows are kept and get today's header."""
    out = Path(out)
    results = out / "results.csv"
    if not (out / PARTS).is_dir() and results.is_file():
        for row in read_results(results):
            record_row(out, row)
    return read_parts(out)


def write_results(out: str | os.PathLike, rows: list[dict[str, Any]]) -> Path:
    """Write `rows` as `<out>/results.csv`, atomically (one rename); returns its path."""
    return write_text_output(Path(out) / "results.csv", _csv_text(rows), setting="results")


def assemble(out: str | os.PathLike) -> Path:
    """Write `<out>/results.csv` from the parts (`recovered_parts`, `write_results`)."""
    return write_results(out, recovered_parts(out))


# ---------------------------------------------------------------------- leaderboard
def leaderboard(rows: list[dict[str, str]]) -> str:
    """Markdown: per dataset and horizon, models (mean ± std over seeds) and baselines,
    best MAE first. Failed cells are left out."""
    import pandas as pd

    rows = finished(rows)
    if not rows:
        return "No results yet.\n"
    table = pd.DataFrame(rows)
    for col in FIELDS[4:-2]:
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


# ---------------------------------------------------------------------- engines
Outcome = tuple[dict[str, Any], "dict[str, Any] | BaseException"]  # (cell, row or error)


def _local(cells: list[dict[str, Any]], jobs: int) -> Iterator[Outcome]:
    """Cells in this process one after the other (`jobs` 1), else in `jobs` fresh processes
    ("spawn": no state shared with this one)."""
    if jobs == 1:
        for cell in cells:
            try:
                yield cell, run_cell(cell)
            except Exception as exc:  # one failing cell must not stop the grid
                yield cell, exc
        return
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(jobs, mp_context=spawn) as pool:
        futures: dict[Future, dict[str, Any]] = {pool.submit(run_cell, c): c for c in cells}
        for future in as_completed(futures):
            try:
                yield futures[future], future.result()
            except Exception as exc:
                yield futures[future], exc


def connect_ray(address: str | None, cpus: int | None = None) -> Any:
    """`ray.init` at `address` ("auto" or "HOST:PORT": an existing cluster, e.g. one started
    with `ray start --head`), or a Ray instance started here (None) with `cpus` CPUs (default:
    all). Returns the `ray` module.

    Raises:
        ConfigError: when Ray is not installed (`pip install "forecast[ray]"`).
    """
    try:
        import ray
    except ModuleNotFoundError:
        raise ConfigError(
            'the ray engine needs Ray: pip install -e ".[ray]"', setting="engine"
        ) from None
    import logging

    if not ray.is_initialized():
        extra = {} if address else {"num_cpus": cpus, "include_dashboard": False}
        ray.init(address=address, logging_level=logging.ERROR, log_to_driver=False, **extra)
    return ray


def in_flight_default(ray: Any, cpus: float, gpus: float) -> int:
    """Tasks kept submitted at once: twice what the cluster runs at the same time (its CPUs
    / `cpus`, its GPUs / `gpus`), at least 1, so a worker that finishes finds the next
    task queued but a million-cell grid is not submitted at once."""
    total = ray.cluster_resources()
    slots = total.get("CPU", 1) / cpus
    if gpus:
        slots = min(slots, total.get("GPU", 0) / gpus)
    return max(1, int(2 * slots))


def _missing_here(paths: list[str]) -> tuple[str, list[str]]:
    """(this node's IP, the `paths` that are not files here): run on each node by
    `check_nodes`."""
    import ray

    return ray.util.get_node_ip_address(), [p for p in paths if not os.path.isfile(p)]


def check_nodes(ray: Any, paths: list[str]) -> None:
    """Check that every alive node of the cluster sees every file in `paths`: one tiny task
    (no CPU asked) pinned to each node stats them. Runs before the first cell.

    Raises:
        DataError: naming the nodes and the files they do not see.
    """
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    probe = ray.remote(num_cpus=0, max_retries=0)(_missing_here)
    refs = [
        probe.options(
            scheduling_strategy=NodeAffinitySchedulingStrategy(node["NodeID"], soft=False)
        ).remote(paths)
        for node in ray.nodes()
        if node.get("Alive")
    ]
    blind = [(ip, missing) for ip, missing in ray.get(refs) if missing]
    if blind:
        where = "; ".join(f"node {ip}: {', '.join(missing)}" for ip, missing in blind)
        raise DataError(
            f"not every Ray node sees the data ({where}): put the files at the same "
            "absolute paths on every node (a shared file system, or copy them)"
        )


def _ray(
    cells: list[dict[str, Any]],
    address: str | None,
    cpus: float,
    gpus: float,
    max_retries: int,
    in_flight: int | None,
) -> Iterator[Outcome]:
    """One Ray task per cell (`cpus` CPUs, `gpus` GPUs each, retried `max_retries` times when
    its worker dies), at most `in_flight` submitted at once (default `in_flight_default`);
    outcomes in the order the cells finish. Every node's view of the data files is checked
    first (`check_nodes`)."""
    ray = connect_ray(address)
    check_nodes(ray, sorted({cell["path"] for cell in cells}))
    limit = in_flight or in_flight_default(ray, cpus, gpus)
    remote = ray.remote(num_cpus=cpus, num_gpus=gpus, max_retries=max_retries)(run_cell)
    waiting = iter(cells)
    pending: dict[Any, dict[str, Any]] = {}
    while True:
        for cell in itertools.islice(waiting, limit - len(pending)):
            pending[remote.remote(cell)] = cell
        if not pending:
            return
        done, _ = ray.wait(list(pending), num_returns=1)
        for ref in done:
            cell = pending.pop(ref)
            try:
                yield cell, ray.get(ref)
            except Exception as exc:  # the cell's error, or Ray's when its worker died
                yield cell, getattr(exc, "cause", None) or exc


@dataclass
class GridResult:
    """What `run_grid` did: cells done before, run now, failed now; the files it wrote."""

    already_done: int
    ran: int
    failed: int
    results: Path
    leaderboard: Path
    missing_paths: list[str]


def run_grid(
    config: dict[str, Any],
    out: str | os.PathLike,
    *,
    engine: str = "local",
    address: str | None = None,
    jobs: int = 1,
    cpus: float | None = None,
    gpus: float = 0,
    max_retries: int = 1,
    in_flight: int | None = None,
    on_start: Callable[[int, int], None] | None = None,
    on_cell: Callable[[dict[str, Any]], None] | None = None,
) -> GridResult:
    """Run the cells of `config` not yet finished in `<out>/parts`; write `results.csv`
    (assembled from the parts) and the leaderboard.

    Args:
        config: as `read_config` returns it.
        out: output folder (created).
        engine: "local" or "ray" (`ENGINES`).
        address: ray only: "auto", "HOST:PORT", or None to start a Ray instance here.
        jobs: local only: cells run at once in separate processes.
        cpus: CPU threads per cell, and on Ray the CPUs its task asks for; default: 1 on Ray,
            the machine's CPUs shared between the `jobs` locally. Give the same value to
            compare engines bit for bit.
        gpus: ray only: GPUs each cell's task asks for.
        max_retries: ray only: reruns of a task whose worker died.
        in_flight: ray only: tasks submitted at once; default `in_flight_default`.
        on_start: called with (cells already done, cells to run) before the first cell.
        on_cell: called with each row (status "ok" or "failed") after it is written.

    Raises:
        ConfigError: for an unknown engine or a bad number, before any cell runs.
        DataError: ray only: when a node of the cluster does not see a data file, before
            any cell runs (`check_nodes`).
    """
    engine = check_choice("engine", engine, ENGINES)
    check_config(config)
    check_positive_int("jobs", jobs)
    check_positive_int("max_retries", max_retries, allow_zero=True)
    if cpus is None:
        cpus = 1 if engine == "ray" else max(1, (os.cpu_count() or 1) // jobs)
    if not (cpus > 0 and gpus >= 0):
        raise ConfigError(f"cpus must be > 0 and gpus >= 0, got {cpus}, {gpus}", setting="cpus")
    out = check_writable_folder(out, "out")
    out.mkdir(parents=True, exist_ok=True)
    rows = recovered_parts(out)  # after a kill: the parts written so far; an old file: split
    results = write_results(out, rows)
    done = {key_of(row) for row in finished(rows)}
    todo, missing = [], set()
    backend = os.environ.get("KERAS_BACKEND")
    for cell in grid(config):
        if not Path(cell["path"]).is_file():
            missing.add(cell["path"])
        elif key_of(cell) not in done:
            todo.append({**cell, "backend": backend, "threads": max(1, int(cpus))})
    if on_start:
        on_start(len(done), len(todo))
    if engine == "ray" and todo:
        outcomes = _ray(todo, address, cpus, gpus, max_retries, in_flight)
    else:
        outcomes = _local(todo, jobs)
    failed = 0
    try:
        for cell, outcome in outcomes:
            if isinstance(outcome, BaseException):
                failed += 1
                outcome = failed_row(cell, outcome)
            record_row(out, outcome)
            if on_cell:
                on_cell(outcome)
    finally:  # Ctrl-C included: results.csv holds every part written
        rows = read_parts(out)
        write_results(out, rows)
    board = out / "leaderboard.md"
    write_output(board, lambda tmp: tmp.write_text(leaderboard(rows)))
    return GridResult(len(done), len(todo), failed, results, board, sorted(missing))


if sys.version_info < (3, 11):  # pragma: no cover - tomllib is in the standard library
    try:
        import tomli

        sys.modules.setdefault("tomllib", tomli)
    except ModuleNotFoundError:
        pass
