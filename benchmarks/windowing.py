"""Benchmark: windowing a long series with `make_windows` versus the tutorial list of copies.

Windows a 10,000,000-point float32 series (lookback 168, horizon 24) with `make_windows`, builds
a shuffled `WindowFeeder` over it and draws batches of 128, and measures the naive approach
that tutorials write,

    for i in range(len(v) - lookback - horizon + 1):
        X.append(v[i : i + lookback]); y.append(v[i + lookback : i + lookback + horizon])
    X, y = np.array(X), np.array(y)

on the sizes it can handle here (100k and 1M points); its 10M figures are extrapolated
linearly (it holds every window, so time and memory grow with the window count).

Every measurement runs in a fresh Python process, so one case's memory does not hide
another's. Extra memory is read three ways: resident-set growth from /proc/self/statm, peak
resident-set growth from /proc/self/status (VmHWM, reset through /proc/self/clear_refs), and
the peak that tracemalloc traced (numpy reports its buffers to tracemalloc).

Goal: `make_windows` on the 10M series in under 1 s and under 100 MB of extra memory.

Run from the repository root:

    python benchmarks/windowing.py

It prints a table and writes benchmarks/results/windowing/windowing.md and .csv.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
from common import ROOT, out_stem

OUT = ROOT / out_stem("windowing")
MB = 1024 * 1024
GOAL_SECONDS = 1.0
GOAL_MB = 100.0


# Memory readings (Linux /proc; no psutil) ----------------------------------------------------


def _rss() -> int:
    """Resident set size of this process, in bytes."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak_rss() -> int:
    """Peak resident set size since the last reset, in bytes."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False where that is not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _measure(make: Callable[[], Any], repeat: int) -> dict[str, Any]:
    """Time `make()` and read the memory it adds while its result is alive."""
    gc.collect()
    before = _rss()
    peak_reset = _reset_peak()
    times = []
    out = None
    for _ in range(repeat):
        out = None  # drop the previous result before making the next one
        start = time.perf_counter()
        out = make()
        times.append(time.perf_counter() - start)
    after, peak = _rss(), _peak_rss()
    del out
    gc.collect()
    tracemalloc.start()
    out = make()
    traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del out
    return {
        "seconds": statistics.median(times),
        "best_seconds": min(times),
        "rss_growth_mb": (after - before) / MB,
        "peak_rss_growth_mb": (peak - before) / MB if peak_reset else None,
        "tracemalloc_peak_mb": traced / MB,
    }


# The cases, each run in its own process -------------------------------------------------------


def _series(n: int) -> np.ndarray:
    return np.random.default_rng(0).standard_normal(n, dtype=np.float32)


def _naive(values: np.ndarray, lookback: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    X, y = [], []
    for i in range(len(values) - lookback - horizon + 1):
        X.append(values[i : i + lookback])
        y.append(values[i + lookback : i + lookback + horizon])
    return np.array(X), np.array(y)


def _draw_seconds(draw: Callable[[int], Any], n_batches: int, draws: int = 50) -> float:
    picks = np.random.default_rng(1).integers(0, n_batches, draws)
    times = []
    for index in picks:
        start = time.perf_counter()
        draw(int(index))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run_case(case: str, n: int, lookback: int, horizon: int, batch_size: int) -> dict[str, Any]:
    values = _series(n)
    windows = n - lookback - horizon + 1
    row: dict[str, Any] = {"approach": case, "points": n, "windows": windows}
    if case == "make_windows":
        from forecast.windowing import make_windows

        row.update(_measure(lambda: make_windows(values, lookback, horizon), repeat=5))
        X, y = make_windows(values, lookback, horizon)
        assert X.shape == (windows, lookback, 1) and np.shares_memory(X, values)
        rng = np.random.default_rng(2)
        row["batch_seconds"] = _draw_seconds(
            lambda _: (X[(pick := rng.integers(0, windows, batch_size))], y[pick]), 1
        )
    elif case == "WindowFeeder":
        from forecast.windowing import WindowFeeder

        row.update(
            _measure(
                lambda: WindowFeeder(values, lookback, horizon, batch_size=batch_size), repeat=3
            )
        )
        feeder = WindowFeeder(values, lookback, horizon, batch_size=batch_size)
        assert feeder.n_windows == windows
        X, _ = feeder[0]
        assert X.shape == (batch_size, lookback, 1)
        row["batch_seconds"] = _draw_seconds(feeder.__getitem__, len(feeder))
    elif case == "naive list":
        row.update(_measure(lambda: _naive(values, lookback, horizon), repeat=1))
        X, y = _naive(values, lookback, horizon)
        rng = np.random.default_rng(2)
        row["batch_seconds"] = _draw_seconds(
            lambda _: (X[(pick := rng.integers(0, windows, batch_size))], y[pick]), 1
        )
    else:
        raise SystemExit(f"unknown case {case!r}")
    return row


def _in_child(case: str, n: int, args: argparse.Namespace) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--child",
        case,
        str(n),
        "--lookback",
        str(args.lookback),
        "--horizon",
        str(args.horizon),
        "--batch-size",
        str(args.batch_size),
    ]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{case} on {n:,} points failed:\n{done.stderr[-3000:]}")
    row = json.loads(done.stdout.strip().splitlines()[-1])
    row["measured"] = "yes"
    return row


def _extrapolate(row: dict[str, Any], n: int, lookback: int, horizon: int) -> dict[str, Any]:
    windows = n - lookback - horizon + 1
    factor = windows / row["windows"]
    out = {"approach": row["approach"], "points": n, "windows": windows, "measured": "no"}
    for key in ("seconds", "best_seconds", "rss_growth_mb", "peak_rss_growth_mb"):
        out[key] = None if row.get(key) is None else row[key] * factor
    out["tracemalloc_peak_mb"] = row["tracemalloc_peak_mb"] * factor
    out["batch_seconds"] = None  # not extrapolated: a batch costs the same at any length
    return out


# Reporting ------------------------------------------------------------------------------------

COLUMNS = [
    ("approach", "approach", "{}"),
    ("points", "points", "{:,}"),
    ("windows", "windows", "{:,}"),
    ("measured", "measured", "{}"),
    ("seconds", "time (s)", "{:.4g}"),
    ("rss_growth_mb", "RSS growth (MB)", "{:.1f}"),
    ("peak_rss_growth_mb", "peak RSS growth (MB)", "{:.1f}"),
    ("tracemalloc_peak_mb", "tracemalloc peak (MB)", "{:.3g}"),
    ("batch_seconds", "batch of 128 (ms)", "ms"),
]


def _cell(row: dict[str, Any], key: str, fmt: str) -> str:
    value = row.get(key)
    if value is None:
        return "n/a"
    if fmt == "ms":
        return f"{value * 1e3:.3f}"
    return fmt.format(value)


def _table(rows: list[dict[str, Any]]) -> str:
    header = "| " + " | ".join(title for _, title, _ in COLUMNS) + " |"
    rule = "|" + "|".join("---" for _ in COLUMNS) + "|"
    body = ["| " + " | ".join(_cell(r, k, f) for k, _, f in COLUMNS) + " |" for r in rows]
    return "\n".join([header, rule, *body])


def _extra_mb(row: dict[str, Any]) -> float:
    readings = [row["rss_growth_mb"], row["peak_rss_growth_mb"], row["tracemalloc_peak_mb"]]
    return max(r for r in readings if r is not None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000_000, help="points of the long series")
    parser.add_argument(
        "--naive-sizes",
        type=int,
        nargs="+",
        default=[100_000, 1_000_000],
        help="sizes the naive list of copies is measured on",
    )
    parser.add_argument("--lookback", type=int, default=168)
    parser.add_argument("--horizon", type=int, default=24)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--child", nargs=2, metavar=("CASE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        case, n = args.child[0], int(args.child[1])
        row = run_case(case, n, args.lookback, args.horizon, args.batch_size)
        print(json.dumps(row))
        return 0

    sizes = sorted(set(args.naive_sizes))
    rows = []
    for n in [*sizes, args.size]:
        print(f"make_windows on {n:,} points ...", flush=True)
        rows.append(_in_child("make_windows", n, args))
    print(f"WindowFeeder on {args.size:,} points ...", flush=True)
    rows.append(_in_child("WindowFeeder", args.size, args))
    naive = []
    for n in sizes:
        print(f"naive list of copies on {n:,} points ...", flush=True)
        naive.append(_in_child("naive list", n, args))
    rows += naive
    naive_big = _extrapolate(naive[-1], args.size, args.lookback, args.horizon)
    rows.append(naive_big)

    big = next(r for r in rows if r["approach"] == "make_windows" and r["points"] == args.size)
    same = next(r for r in rows if r["approach"] == "make_windows" and r["points"] == sizes[-1])
    ref = naive[-1]
    speedup = ref["seconds"] / same["seconds"]
    memory_ratio = _extra_mb(ref) / max(_extra_mb(same), 1e-3)
    met = big["seconds"] < GOAL_SECONDS and _extra_mb(big) < GOAL_MB

    table = _table(rows)
    lines = [
        f"make_windows vs naive list on {sizes[-1]:,} points (same run): "
        f"{speedup:,.0f}x faster, {memory_ratio:,.0f}x less extra memory "
        f"({_extra_mb(same):.3g} MB vs {_extra_mb(ref):,.0f} MB).",
        f"Goal for {args.size:,} points: make_windows in {big['seconds']:.4g} s "
        f"(< {GOAL_SECONDS:g} s) with {_extra_mb(big):.3g} MB extra (< {GOAL_MB:g} MB): "
        f"{'met' if met else 'NOT met'}.",
        f"WindowFeeder over {args.size:,} points: built in {rows[len(sizes) + 1]['seconds']:.3g} s "
        f"with {_extra_mb(rows[len(sizes) + 1]):.0f} MB of window indices; one batch of "
        f"{args.batch_size} in {rows[len(sizes) + 1]['batch_seconds'] * 1e3:.3f} ms.",
        f"The naive {args.size:,}-point row is extrapolated linearly from {sizes[-1]:,} points, "
        f"not run: about {_extra_mb(naive_big) / 1024:.0f} GB is too much for a machine shared "
        "with other workers.",
    ]
    print()
    print(table)
    print()
    print("\n".join(lines))

    OUT.parent.mkdir(parents=True, exist_ok=True)
    keys = [k for k, _, _ in COLUMNS if k != "batch_seconds"] + ["best_seconds", "batch_seconds"]
    with open(OUT.with_suffix(".csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=keys, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if row.get(k) is None else row[k] for k in keys})
    today = dt.date.today().isoformat()
    note = (
        f"2 CPU cores (os.cpu_count() = {os.cpu_count()}, shared with other workers), "
        f"{platform.system()} {platform.machine()}, Python {platform.python_version()}, "
        f"numpy {np.__version__}"
    )
    OUT.with_suffix(".md").write_text(
        "# Windowing benchmark\n\n"
        f"- Command: `python benchmarks/windowing.py` (from the repository root)\n"
        f"- Date: {today}\n"
        f"- Machine: {note}\n"
        f"- Series: float32, lookback {args.lookback}, horizon {args.horizon}, stride 1; "
        f"batches of {args.batch_size}\n"
        "- Each row runs in a fresh process. Time is the median of 5 runs for make_windows, "
        "3 for WindowFeeder (construction, shuffled), 1 for the naive list. RSS growth is read "
        "from /proc/self/statm while the result is alive, peak RSS growth from VmHWM in "
        "/proc/self/status (reset through /proc/self/clear_refs), and tracemalloc's peak counts "
        "numpy buffers and Python objects. A batch is the median of 50 draws of one batch.\n\n"
        f"{table}\n\n" + "\n".join(f"- {line}" for line in lines) + "\n"
    )
    print(f"\nwrote {OUT}.md and .csv")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
