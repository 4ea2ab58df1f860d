"""Benchmark: what a panel of many series costs on the paths that exist, and a 1 M-series,
16-node projection built only on those figures.

Every figure comes from one run on one machine; every timing is the median of `--repeats`
(default 3) runs, and each ratio divides two figures of the same run:

1. Load, the user's input path: a panel of `--load-series` series × `--load-points` rows
   written as CSV and as Parquet (typed timestamps), each loaded by `load_series(path,
   id_col=..., time_col=..., target=...)` in a fresh process: seconds, and memory per point
   (the peak over the process's baseline after imports, and what is held after the load).
2. Windows: the `WindowFeeder` over `--window-series` series × `--window-points` points
   (views of the series and one index per window) against the vectorized reference that
   materializes every window (`sliding_window_view(...)` copied, per series, concatenated):
   seconds and extra memory (tracemalloc peak).
3. Training throughput of one worker: windows/s of the toolkit's `training.fit` over the
   feeder's first `--steps` batches against a bare `model.fit` on the same batches as arrays
   (the same model, in the same process).
4. Predict per series: `forecast.distributed.predict.predict_parts` over a Parquet panel of
   `--predict-series` series in 4 parts, 16 shards, engine "local" (this process, the run
   loaded once) and engine "ray" (a Ray instance this script starts with 2 CPUs, in its own
   temp dir: 2 worker actors): the whole run's seconds, and the milliseconds a series on one
   worker once every worker has written its first shard (started, the run loaded).

Then the projection for 1 M series × 1,000 points on 16 nodes, each number computed from a
line above (named in brackets) and the capabilities that exist: Parquet shards read per
worker, predict on Ray actors, windows sampled per epoch (`windows_per_epoch`). A 16-node
training time is not projected: multi-worker training exists (JAX processes, tested with 2
on one machine) but its all-reduce across machines is not measured here.

Run from the repository root (nice it on a shared machine; compare ratios, not seconds):

    nice -n 10 python benchmarks/scale.py
    python benchmarks/scale.py --load-series 1000 --predict-series 1000 --repeats 1

It prints each figure as it is measured and writes benchmarks/results/scale/scale.md and .csv.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from common import ROOT, out_stem

sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
OUT = ROOT / out_stem("scale")
LOOKBACK, HORIZON, BATCH = 48, 24, 256
TARGET_SERIES, TARGET_POINTS, NODES = 1_000_000, 1_000, 16


def timed(run: Callable[[], Any]) -> float:
    """Seconds of `run()`."""
    began = time.perf_counter()
    run()
    return time.perf_counter() - began


# ---------------------------------------------------------------------- 1. load
def long_panel(n_series: int, points: int, seed: int = 0) -> Any:
    """A long pandas frame: ids "s0000000", ..., hourly timestamps, a value, an unused column."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    t = np.arange(points)
    level = rng.uniform(10, 1000, (n_series, 1))
    values = level * (1 + 0.3 * np.sin(2 * np.pi * t / 24)) + rng.normal(0, 1, (n_series, points))
    return pd.DataFrame(
        {
            "id": np.repeat([f"s{i:07d}" for i in range(n_series)], points),
            "timestamp": np.tile(pd.date_range("2020-01-01", periods=points, freq="h"), n_series),
            "value": values.round(3).ravel(),
            "extra": rng.integers(0, 100, n_series * points),
        }
    )


def load_child(path: str) -> None:
    """In a fresh process: load `path` once, print JSON (seconds, peak and held MB over the
    baseline after imports, rows)."""
    import pandas as pd  # noqa: F401  (imported before the baseline, as the CLI does)
    import pyarrow.dataset  # noqa: F401

    from forecast.series import load_series

    Path("/proc/self/clear_refs").write_text("5")  # the peak (VmHWM) starts over here
    base = rss_mb()
    began = time.perf_counter()
    panel = load_series(path, id_col="id", time_col="timestamp", target="value")
    seconds = time.perf_counter() - began
    rows = sum(len(f) for f in panel.values())
    peak = next(
        int(line.split()[1]) * 1024 / 1e6
        for line in Path("/proc/self/status").read_text().splitlines()
        if line.startswith("VmHWM:")
    )
    held = rss_mb() - base
    print(json.dumps({"seconds": seconds, "peak_mb": peak - base, "held_mb": held, "rows": rows}))


def rss_mb() -> float:
    """This process's resident memory now (Linux /proc), in MB."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def load(folder: Path, n_series: int, points: int, repeats: int) -> dict[str, float]:
    """Seconds and bytes per point of `load_series` on CSV and Parquet (medians)."""
    frame = long_panel(n_series, points)
    frame.to_csv(folder / "panel.csv", index=False)
    frame.to_parquet(folder / "panel.parquet", index=False)
    rows = len(frame)
    del frame
    found: dict[str, float] = {"load_rows": rows}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    runs: dict[str, list[dict[str, float]]] = {"csv": [], "parquet": []}
    for _ in range(repeats):
        for kind in runs:  # interleaved: the same load on both formats
            done = subprocess.run(
                [sys.executable, __file__, "--load-child", str(folder / f"panel.{kind}")],
                capture_output=True, text=True, env=env, check=True,
            )  # fmt: skip
            runs[kind].append(json.loads(done.stdout.strip().splitlines()[-1]))
    for kind, found_runs in runs.items():
        assert all(r["rows"] == rows for r in found_runs)
        found[f"{kind}_load_s"] = statistics.median(r["seconds"] for r in found_runs)
        for what in ("peak", "held"):
            mb = statistics.median(r[f"{what}_mb"] for r in found_runs)
            found[f"{kind}_{what}_B_per_point"] = mb * 1e6 / rows
        print(f"load {kind}: {found[f'{kind}_load_s']:.2f} s, "
              f"peak {found[f'{kind}_peak_B_per_point']:.0f} B/point", flush=True)  # fmt: skip
    return found


# ---------------------------------------------------------------------- 2. windows
def float_panel(n_series: int, points: int, seed: int = 0) -> list[np.ndarray]:
    """`n_series` float32 arrays `(points, 1)`: daily and weekly cycles, level, noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(points, dtype=np.float32)
    level = rng.normal(10, 3, (n_series, 1)).astype(np.float32)
    phase = rng.uniform(0, 2 * np.pi, (n_series, 1)).astype(np.float32)
    values = level + np.sin(2 * np.pi * t / 24 + phase) + 0.5 * np.sin(2 * np.pi * t / 168)
    values += rng.normal(0, 0.2, values.shape).astype(np.float32)
    return [row[:, None] for row in values.astype(np.float32)]


def traced(build: Callable[[], Any]) -> tuple[float, float]:
    """(seconds, peak extra MB traced) of `build()`."""
    gc.collect()
    tracemalloc.start()
    seconds = timed(build)
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return seconds, peak


def windows(series: list[np.ndarray], repeats: int) -> dict[str, float]:
    """The feeder against every window materialized by a vectorized copy (medians)."""
    from forecast.windowing import WindowFeeder

    def feeder() -> Any:
        return WindowFeeder(series, LOOKBACK, HORIZON, batch_size=BATCH, seed=0)

    def copies() -> tuple[np.ndarray, np.ndarray]:
        cut = [
            np.lib.stride_tricks.sliding_window_view(s[:, 0], LOOKBACK + HORIZON) for s in series
        ]
        both = np.concatenate(cut)  # the copy: (windows, lookback + horizon)
        return both[:, :LOOKBACK, None], both[:, LOOKBACK:, None]

    pairs = [(traced(feeder), traced(copies)) for _ in range(repeats)]  # interleaved
    runs, refs = [p[0] for p in pairs], [p[1] for p in pairs]
    found = {
        "window_series": len(series), "window_points": len(series) * len(series[0]),
        "windows": feeder().n_windows,
        "feeder_s": statistics.median(r[0] for r in runs),
        "feeder_MB": statistics.median(r[1] for r in runs),
        "copy_s": statistics.median(r[0] for r in refs),
        "copy_MB": statistics.median(r[1] for r in refs),
    }  # fmt: skip
    print(f"windows: feeder {found['feeder_s']:.2f} s {found['feeder_MB']:.0f} MB, "
          f"copy {found['copy_s']:.2f} s {found['copy_MB']:.0f} MB", flush=True)  # fmt: skip
    return found


# ---------------------------------------------------------------------- 3. training
def throughput(series: list[np.ndarray], steps: int, repeats: int) -> dict[str, float]:
    """Windows/s of one worker: the toolkit's fit over the feeder against a bare fit on the
    same batches as arrays (medians of `repeats` epochs of `steps` batches after a warm-up)."""
    import keras

    from forecast import training
    from forecast.models import get_builder
    from forecast.windowing import WindowFeeder

    feeder = WindowFeeder(series, LOOKBACK, HORIZON, batch_size=BATCH, seed=0)

    def model() -> Any:
        keras.utils.set_random_seed(0)
        built = get_builder("single")(lookback=LOOKBACK, n_inputs=1, horizon=HORIZON, n_targets=1)
        return training.compile_model(built, "mae", "adam", 1e-3)

    class Part(keras.utils.PyDataset):  # the first `steps` batches of the shuffled feeder
        def __len__(self) -> int:
            return steps

        def __getitem__(self, i: int) -> Any:
            return feeder[i]

    toolkit, bare = model(), model()
    X = np.concatenate([feeder[i][0] for i in range(steps)])
    y = np.concatenate([feeder[i][1] for i in range(steps)])

    def ours() -> float:
        return timed(lambda: training.fit(toolkit, Part(), epochs=1, patience=None, verbose=0))

    def theirs() -> float:
        return timed(lambda: bare.fit(X, y, batch_size=BATCH, epochs=1, verbose=0))

    ours(), theirs()  # compile, warm up
    pairs = [(ours(), theirs()) for _ in range(repeats)]  # interleaved: the same load on both
    found = {
        "train_windows_s": steps * BATCH / statistics.median(p[0] for p in pairs),
        "bare_windows_s": steps * BATCH / statistics.median(p[1] for p in pairs),
        "params": toolkit.count_params(),
    }
    print(f"training: {found['train_windows_s']:,.0f} windows/s "
          f"(bare fit {found['bare_windows_s']:,.0f})", flush=True)  # fmt: skip
    return found


# ---------------------------------------------------------------------- 4. predict
SHARDS = 16


def steady_ms(done: list[tuple[float, int]], workers: int) -> float:
    """Milliseconds a series on one worker once every worker is up: `done` holds (time,
    series) of each shard as it was written; the shards written after the first `workers`
    (one each: every worker started and loaded the run) over the time they took."""
    done = sorted(done)
    later = sum(n for _, n in done[workers:])
    return (done[-1][0] - done[workers - 1][0]) / later * workers * 1e3


def predict(folder: Path, n_series: int, rows: int, repeats: int) -> dict[str, float]:
    """Seconds of `predict_parts` over a Parquet panel, engine local and ray (medians), and
    the milliseconds a series on one worker once the workers are up (`steady_ms`)."""
    import keras
    import ray

    from forecast.distributed.predict import predict_parts
    from forecast.forecaster import Forecaster

    def panel(n: int, seed: int) -> Any:
        frame = long_panel(n, rows, seed).drop(columns="extra")
        return frame.rename(columns={"id": "unique_id", "timestamp": "ds", "value": "y"})

    keras.utils.set_random_seed(0)
    forecaster = Forecaster(
        lookback=24, horizon=12, epochs=1, time_col="ds", id_col="unique_id", target="y",
        model_options={"units": 16}, verbose=0, seed=0,
    )  # fmt: skip
    forecaster.fit(panel(100, 1))
    run, parts = folder / "run", folder / "parts"
    forecaster.save(run)
    parts.mkdir()
    frame = panel(n_series, 2)
    for part in range(4):  # series interleaved across the parts
        frame[frame.index // rows % 4 == part].to_parquet(parts / f"p{part}.parquet")
    del frame
    found: dict[str, float] = {"predict_series": n_series, "predict_rows": rows}
    temp = tempfile.mkdtemp(prefix="ray-", dir="/tmp")  # this script's own Ray, stopped below
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _temp_dir=temp)
    try:
        for engine, workers in (("local", 1), ("ray", 2)):
            walls, steadies = [], []
            for _ in range(repeats):
                out, done = folder / f"out-{engine}", []
                shutil.rmtree(out, ignore_errors=True)

                def written(_: int, n: int, done: list = done) -> None:
                    done.append((time.perf_counter(), n))

                began = time.perf_counter()
                predict_parts(run, parts, out, engine=engine, shards=SHARDS, on_shard=written)
                walls.append(time.perf_counter() - began)
                steadies.append(steady_ms(done, workers))
            found[f"predict_{engine}_s"] = statistics.median(walls)
            found[f"predict_{engine}_ms_per_series"] = statistics.median(steadies)
            found[f"predict_{engine}_workers"] = workers
            print(f"predict {engine}: {found[f'predict_{engine}_s']:.1f} s for {n_series:,} "
                  f"series, {found[f'predict_{engine}_ms_per_series']:.2f} ms a series a worker",
                  flush=True)  # fmt: skip
    finally:
        ray.shutdown()
        shutil.rmtree(temp, ignore_errors=True)
    return found


# ---------------------------------------------------------------------- the projection
def projection(m: dict[str, float]) -> list[str]:
    """1 M series × 1,000 points on 16 nodes, each figure from a measured one (named)."""
    points = TARGET_SERIES * TARGET_POINTS
    node_points = points / NODES
    per_point_s = m["parquet_load_s"] / m["load_rows"]
    windows = TARGET_SERIES * (TARGET_POINTS - LOOKBACK - HORIZON + 1)
    epoch_h = windows / m["train_windows_s"] / 3600
    ray_ms = m["predict_ray_ms_per_series"]
    workers = 2  # the Ray run's worker actors on this 2-CPU machine
    predict_h = TARGET_SERIES * ray_ms / 1e3 / (NODES * workers) / 3600
    sampled = 10_000_000
    return [
        f"- **Load** [load parquet]: {TARGET_SERIES:,} series × {TARGET_POINTS:,} points = "
        f"{points / 1e9:.0f} G points. At the measured {m['parquet_peak_B_per_point']:.0f} B a "
        f"point at peak one machine would need {points * m['parquet_peak_B_per_point'] / 1e12:.1f}"
        f" TB; split in {NODES} nodes, {node_points * m['parquet_peak_B_per_point'] / 1e9:.0f} GB"
        f" a node if a node loaded its whole share at once, and "
        f"{node_points * per_point_s / 60:.0f} min of loading a node at the measured "
        f"{per_point_s * 1e9:.0f} ns a point. Sharded predict never holds a node's share: a "
        f"worker reads one shard of series ids at a time (`read_shard`), so a shard of 10,000 "
        f"series × 1,000 points is {1e7 * m['parquet_peak_B_per_point'] / 1e9:.1f} GB.",
        f"- **Predict** [predict ray]: {ray_ms:.2f} ms a series on one worker once it is up "
        f"({m['predict_rows']:.0f} rows a series); {TARGET_SERIES:,} series on {NODES} nodes × "
        f"{workers} workers (this machine's 2 CPUs) = {predict_h * 60:.0f} min, plus starting "
        f"the workers (the whole {m['predict_series']:,.0f}-series run took "
        f"{m['predict_ray_s']:.0f} s here). The local engine's "
        f"{m['predict_local_ms_per_series']:.2f} ms a series [predict local] is one process: "
        f"{TARGET_SERIES * m['predict_local_ms_per_series'] / 3.6e6:.1f} h.",
        f"- **Train, one worker** [training]: {windows / 1e6:,.0f} M windows "
        f"(lookback {LOOKBACK}, horizon {HORIZON}) at the measured "
        f"{m['train_windows_s']:,.0f} windows/s: {epoch_h:,.0f} h an epoch. With "
        f"`windows_per_epoch={sampled:,}` (sampled anew each epoch) an epoch is "
        f"{sampled / m['train_windows_s'] / 60:,.0f} min, whatever the panel. The feeder's "
        f"index for all those windows [windows] is "
        f"{m['feeder_MB'] / m['windows'] * windows / 1e3:.1f} GB (its build's peak) where the "
        f"materialized copies would be {m['copy_MB'] / m['windows'] * windows / 1e6:.2f} TB.",
        f"- **Train, {NODES} nodes**: not projected. One global model on several processes "
        "exists (`forecast.distributed.multiworker`, JAX, tested with 2 processes on one "
        "machine, equal shards, `scaler='none'`), but its all-reduce across machines is not "
        f"measured here; {epoch_h / NODES:,.1f} h an epoch would be the bound of perfect "
        "scaling, not a figure.",
    ]


# ---------------------------------------------------------------------- main
def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--load-series", type=int, default=10_000)
    parser.add_argument("--load-points", type=int, default=100)
    parser.add_argument("--window-series", type=int, default=1_000)
    parser.add_argument("--window-points", type=int, default=1_000)
    parser.add_argument("--steps", type=int, default=30, help="training batches timed")
    parser.add_argument("--predict-series", type=int, default=10_000)
    parser.add_argument("--predict-rows", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=str(OUT))
    parser.add_argument("--load-child", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def table(m: dict[str, float]) -> list[tuple[str, str, str]]:
    """(what, measured, reference in the same run) rows."""
    return [
        ("load csv", f"{m['load_rows']:,.0f} rows: {m['csv_load_s']:.2f} s, peak "
         f"{m['csv_peak_B_per_point']:.0f} B/point, held {m['csv_held_B_per_point']:.0f} B/point",
         f"{m['csv_load_s'] / m['parquet_load_s']:.1f}× the Parquet load"),
        ("load parquet", f"{m['parquet_load_s']:.2f} s, peak {m['parquet_peak_B_per_point']:.0f}"
         f" B/point, held {m['parquet_held_B_per_point']:.0f} B/point",
         f"{m['load_rows'] / m['parquet_load_s'] / 1e6:.2f} M rows/s"),
        ("windows", f"feeder over {m['window_points']:,.0f} points ({m['windows']:,.0f} windows):"
         f" {m['feeder_s']:.2f} s, {m['feeder_MB']:.0f} MB",
         f"vectorized copy: {m['copy_s']:.2f} s, {m['copy_MB']:,.0f} MB "
         f"({m['copy_MB'] / max(m['feeder_MB'], 1e-9):.0f}× the memory)"),
        ("training", f"{m['train_windows_s']:,.0f} windows/s (feeder + fit, "
         f"{m['params']:,.0f} parameters)", f"bare model.fit on arrays: "
         f"{m['bare_windows_s']:,.0f} (ratio {m['train_windows_s'] / m['bare_windows_s']:.2f})"),
        ("predict local", f"{m['predict_series']:,.0f} series × {m['predict_rows']:.0f} rows, "
         f"{SHARDS} shards, 1 process: {m['predict_local_s']:.1f} s",
         f"{m['predict_local_ms_per_series']:.2f} ms a series after the first shard"),
        ("predict ray", f"the same on 2 actors: {m['predict_ray_s']:.1f} s (actors started "
         f"and the run loaded in each)", f"{m['predict_ray_ms_per_series']:.2f} ms a series a "
         f"worker once both are up; wall {m['predict_local_s'] / m['predict_ray_s']:.2f}× the "
         f"local engine's speed"),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.load_child:
        load_child(args.load_child)
        return 0
    folder = Path(tempfile.mkdtemp(prefix="scale-"))
    try:
        found = load(folder, args.load_series, args.load_points, args.repeats)
        series = float_panel(args.window_series, args.window_points)
        found.update(windows(series, args.repeats))
        found.update(throughput(series, args.steps, args.repeats))
        found.update(predict(folder, args.predict_series, args.predict_rows, args.repeats))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    import keras

    rows = table(found)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Scale: load, windows, training and predict per series; 1 M series on 16 nodes", "",
        f"{stamp}; {platform.machine()}, {os.cpu_count()} CPU cores shared with other jobs "
        f"(compare ratios within this run, not seconds across runs); Keras {keras.__version__} "
        f"on {keras.backend.backend()}. Every timing is the median of {args.repeats} runs.",
        f"Command: `python benchmarks/scale.py {' '.join(sys.argv[1:] if argv is None else argv)}`",
        "",
        "| what | measured | reference in the same run |", "|---|---|---|",
        *(f"| {a} | {b} | {c} |" for a, b, c in rows), "",
        f"## {TARGET_SERIES:,} series on {NODES} nodes (on paper, from the figures above)", "",
        *projection(found), "",
    ]  # fmt: skip
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".md").write_text("\n".join(lines))
    with open(out.with_suffix(".csv"), "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["measure", "value"])
        writer.writerows(found.items())
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
