"""Benchmark: the load path's time and memory per point, CSV vs CSV.gz vs Parquet.

A synthetic long-format panel of `--series` hourly series × `--points` rows (default
10,000 × 1,000 = 10 M rows; columns id, timestamp, value and an unused `extra` column) is
written once as CSV, gzip-compressed CSV and Parquet. Each format is then loaded by
`forecast.series.load_series` (id_col, time_col, target named: only those columns are read)
in its own fresh process, so every peak RSS is that load's alone; the process's RSS after
importing the toolkit (and pandas, pyarrow) is the baseline subtracted, and
the peak (VmHWM) is reset there. All formats are
measured in the same run, one after the other.

Run from the repository root:

    python benchmarks/load_memory.py                          # 10 M rows
    python benchmarks/load_memory.py --series 1000 --points 1000

It prints a table and writes benchmarks/results/load_memory/load_memory.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, out_stem

sys.path.insert(0, str(ROOT))
OUT = ROOT / out_stem("load_memory")
FORMATS = {"csv": "panel.csv", "csv.gz": "panel.csv.gz", "parquet": "panel.parquet"}


def rss_mb() -> float:
    """This process's resident memory now (Linux /proc), in MB."""
    fields = Path("/proc/self/statm").read_text().split()
    return int(fields[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM, reset by `reset_peak`), in MB. Not
    ru_maxrss: on Linux it keeps the parent's peak across fork + exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024 / 1e6
    raise SystemExit("no VmHWM in /proc/self/status: this benchmark needs Linux")


def reset_peak() -> None:
    """Start the peak over from the current RSS (Linux: 5 into /proc/self/clear_refs)."""
    Path("/proc/self/clear_refs").write_text("5")


def write_panel(folder: Path, n_series: int, points: int, seed: int = 0) -> dict[str, float]:
    """Write the panel in every format of `FORMATS` under `folder`; returns seconds each."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    stamps = pd.date_range("2020-01-01", periods=points, freq="h").strftime("%Y-%m-%d %H:%M:%S")
    t = np.arange(points)
    level = rng.uniform(10, 1000, (n_series, 1))
    values = level * (1 + 0.3 * np.sin(2 * np.pi * t / 24)) + rng.normal(0, 1, (n_series, points))
    frame = pd.DataFrame(
        {
            "id": np.repeat([f"s{i:07d}" for i in range(n_series)], points),
            "timestamp": np.tile(np.asarray(stamps), n_series),
            "value": values.round(3).ravel(),
            "extra": rng.integers(0, 100, n_series * points),
        }
    )
    took = {}
    for name, file in FORMATS.items():
        began = time.perf_counter()
        if name == "parquet":
            frame.to_parquet(folder / file, index=False, row_group_size=1_000_000)
        else:
            frame.to_csv(folder / file, index=False)
        took[name] = time.perf_counter() - began
    return took


def child(path: str) -> None:
    """Load `path` once and print JSON: seconds, baseline RSS, peak RSS, rows, series."""
    import pandas as pd  # noqa: F401  (imported before the baseline, as the CLI does)
    import pyarrow.dataset  # noqa: F401

    from forecast.series import load_series

    reset_peak()
    base = rss_mb()
    began = time.perf_counter()
    panel = load_series(path, id_col="id", time_col="timestamp", target="value")
    seconds = time.perf_counter() - began
    rows = sum(len(f) for f in panel.values())
    out = {"seconds": seconds, "base_mb": base, "peak_mb": peak_mb(), "rows": rows}
    out["series"] = len(panel)
    out["held_mb"] = rss_mb() - base
    print(json.dumps(out))


def measure(path: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(path)],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=1_000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", default=str(OUT.with_suffix(".md")))
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child)
    with tempfile.TemporaryDirectory(prefix="load_memory_") as tmp:
        folder = Path(tmp)
        written = write_panel(folder, args.series, args.points)
        rows = []
        for name, file in FORMATS.items():
            got = measure(folder / file)
            size = (folder / file).stat().st_size / 1e6
            extra = got["peak_mb"] - got["base_mb"]
            rows.append(
                [name, f"{size:,.0f}", f"{written[name]:.1f}", f"{got['seconds']:.1f}",
                 f"{got['peak_mb']:,.0f}", f"{extra:,.0f}", f"{extra * 1e6 / got['rows']:.0f}",
                 f"{got['held_mb'] * 1e6 / got['rows']:.0f}", f"{got['rows']:,}",
                 f"{got['series']:,}"]
            )  # fmt: skip
            print(" | ".join(rows[-1]), flush=True)
    header = ["format", "file MB", "write s", "load s", "peak RSS MB", "peak − baseline MB",
              "peak bytes / point", "held bytes / point", "rows", "series"]  # fmt: skip
    lines = [
        "# Load path: time and memory per point, CSV vs CSV.gz vs Parquet",
        "",
        f"Command: `python benchmarks/load_memory.py --series {args.series} --points "
        f"{args.points}` ({dt.date.today()}, {platform.machine()}, Python "
        f"{platform.python_version()}, {os.cpu_count()} CPUs, shared with other work).",
        "",
        f"A panel of {args.series:,} hourly series × {args.points:,} rows (columns id, "
        "timestamp, value and an unused integer column), loaded by `load_series(path, "
        "id_col='id', time_col='timestamp', target='value')` (only those three columns "
        "are read), each format in its own fresh process, one after the other in one run. "
        "Baseline: the process's RSS after importing pandas, pyarrow and forecast.series. "
        "'held': RSS after the load minus the baseline (the loaded `{id: frame}` panel and "
        "what the allocator kept). Timings come from a 2-CPU machine shared with other "
        "jobs: compare them within one run only.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(r) + " |" for r in rows),
        "",
    ]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
